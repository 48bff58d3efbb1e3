//! The `mipset` binary against the real kernel, each test in its own named
//! network namespace: commands, exit codes, messages, and that failures leave
//! the kernel exactly as before (`ipset save` byte-identical).

use crate::util::{kernel_tests_enabled, Netns};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn create_add_test_which_del_flush_destroy() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    // Stock ipset sees the umbrella and the shards.
    let names = ns.ok("ipset", &["list", "-n"]);
    for name in ["web", "web-s0", "web-s1", "web-s2", "web-s3"] {
        assert!(
            names.lines().any(|l| l == name),
            "{name} missing from {names}"
        );
    }
    ns.mipset(&["add", "web", "192.0.2.1", "192.0.2.2", "192.0.2.7"])
        .expect(0);
    ns.mipset(&["test", "web", "192.0.2.1"]).expect(0);
    let r = ns.mipset(&["test", "web", "192.0.2.9"]);
    r.expect(1);
    assert!(r.stdout.contains("NOT in family web"), "{}", r.stdout);
    // 192.0.2.7: low bits 0b11 -> shard 3; stock ipset finds it there.
    assert_eq!(ns.mipset(&["which", "web", "192.0.2.7"]).stdout, "web-s3\n");
    ns.ok("ipset", &["test", "web-s3", "192.0.2.7"]);
    // JSON answers.
    let t = json(&ns.mipset(&["--json", "test", "web", "192.0.2.2"]).stdout);
    assert_eq!(t["member"], true);
    assert_eq!(t["shard"], "web-s2");
    let l = json(&ns.mipset(&["list", "web", "--json"]).stdout);
    assert_eq!(l[0]["elements"], 3);
    assert_eq!(l[0]["shards"], 4);
    assert_eq!(l[0]["type"], "hash:ip");
    assert_eq!(l[0]["routing"], "bits:0");
    assert_eq!(l[0]["shards_detail"].as_array().unwrap().len(), 4);
    let text = ns.mipset(&["list"]).stdout;
    assert!(
        text.contains("Family: web") && text.contains("web-s3"),
        "{text}"
    );
    let terse = ns.mipset(&["list", "--terse"]).stdout;
    assert!(terse.lines().nth(1).unwrap().starts_with(" web"), "{terse}");
    // del, then the address is gone; -q silences stdout only.
    let r = ns.mipset(&["-q", "del", "web", "192.0.2.1"]);
    r.expect(0);
    assert_eq!(r.stdout, "");
    ns.mipset(&["-q", "test", "web", "192.0.2.1"]).expect(1);
    ns.mipset(&["flush", "web"]).expect(0);
    assert_eq!(
        json(&ns.mipset(&["list", "web", "--json"]).stdout)[0]["elements"],
        0
    );
    ns.mipset(&["destroy", "web"]).expect(0);
    assert_eq!(ns.ok("ipset", &["list", "-n"]), "");
    ns.mipset(&["test", "web", "192.0.2.1"]).expect(2);
}

#[test]
fn create_is_idempotent_with_exist_and_refuses_a_different_family() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "8"]).expect(0);
    let before = ns.ipset_save();
    let r = ns.mipset(&["create", "web", "--shards", "8"]);
    r.expect(2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    ns.mipset(&["create", "web", "--shards", "8", "--exist"])
        .expect(0);
    let r = ns.mipset(&["create", "web", "--shards", "16", "--exist"]);
    r.expect(2);
    assert!(r.stderr.contains("shards 8 (asked 16)"), "{}", r.stderr);
    assert_eq!(ns.ipset_save(), before);
}

#[test]
fn hash_net_networks_span_shards_and_sizes_are_divided() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create",
        "nets",
        "--type",
        "hash:net",
        "--shards",
        "16",
        "--maxelem",
        "1000000",
        "--hashsize",
        "4096",
    ])
    .expect(0);
    let header = ns.ok("ipset", &["list", "-t", "nets-s0"]);
    assert!(header.contains("hashsize 256 maxelem 1000000"), "{header}");
    // Default bits:8: a /22 covers 4 shards, a /24 one.
    let which = ns.mipset(&["which", "nets", "10.1.36.0/22"]).stdout;
    assert_eq!(which, "nets-s4\nnets-s5\nnets-s6\nnets-s7\n");
    ns.mipset(&["add", "nets", "10.1.36.0/22", "10.9.3.0/24"])
        .expect(0);
    for shard in ["nets-s4", "nets-s5", "nets-s6", "nets-s7"] {
        ns.ok("ipset", &["test", shard, "10.1.36.0/22"]);
    }
    ns.mipset(&["test", "nets", "10.1.39.200"]).expect(0);
    ns.mipset(&["test", "nets", "10.1.40.1"]).expect(1);
    ns.mipset(&["test", "nets", "10.1.36.0/22"]).expect(0);
    ns.mipset(&["test", "nets", "10.1.36.0/23"]).expect(1);
    ns.mipset(&["del", "nets", "10.1.36.0/22"]).expect(0);
    ns.mipset(&["test", "nets", "10.1.39.200"]).expect(1);
    assert_eq!(
        json(&ns.mipset(&["--json", "list", "nets"]).stdout)[0]["elements"],
        1
    );
}

#[test]
fn ipv6_families_with_timeout_and_comment() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create",
        "six",
        "--family",
        "inet6",
        "--route",
        "hash",
        "--timeout",
        "1h30m",
        "--comment",
        "--counters",
    ])
    .expect(0);
    let header = ns.ok("ipset", &["list", "-t", "six-s0"]);
    assert!(
        header.contains("family inet6") && header.contains("timeout 5400"),
        "{header}"
    );
    assert!(
        header.contains("counters") && header.contains("comment"),
        "{header}"
    );
    ns.mipset(&[
        "add",
        "six",
        "2001:db8::1",
        "--timeout",
        "10m",
        "--comment",
        "web frontend",
    ])
    .expect(0);
    let shard = ns
        .mipset(&["which", "six", "2001:db8::1"])
        .stdout
        .trim()
        .to_string();
    let listing = ns.ok("ipset", &["list", &shard]);
    let line = listing
        .lines()
        .find(|l| l.starts_with("2001:db8::1 "))
        .expect("entry listed");
    let timeout: u32 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!((590..=600).contains(&timeout), "{line}");
    assert!(line.contains("comment \"web frontend\""), "{line}");
    // --exist refreshes an existing entry's timeout instead of failing.
    ns.mipset(&["add", "six", "2001:db8::1"]).expect(3);
    ns.mipset(&["add", "six", "2001:db8::1", "--exist", "--timeout", "30"])
        .expect(0);
    let listing = ns.ok("ipset", &["list", &shard]);
    let line = listing
        .lines()
        .find(|l| l.starts_with("2001:db8::1 "))
        .unwrap();
    let timeout: u32 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(timeout <= 30, "{line}");
    ns.mipset(&["test", "six", "2001:db8::1"]).expect(0);
    ns.mipset(&["test", "six", "2001:db8::2"]).expect(1);
    ns.mipset(&["test", "six", "192.0.2.1"]).expect(2);
}

#[test]
fn a_full_shard_is_named_and_nothing_changes() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    // 2 shards of maxelem 2; even addresses go to shard 0.
    ns.mipset(&["create", "tiny", "--shards", "2", "--maxelem", "2"])
        .expect(0);
    ns.mipset(&["add", "tiny", "10.0.0.2"]).expect(0);
    let before = ns.ipset_save();
    let r = ns.mipset(&["add", "tiny", "10.0.0.1", "10.0.0.4", "10.0.0.6"]);
    r.expect(3);
    assert!(
        r.stderr.contains("tiny-s0") && r.stderr.contains("maxelem 2"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    assert_eq!(ns.ipset_save(), before);
    // Re-adding a present entry with --exist takes no room.
    ns.mipset(&["add", "tiny", "10.0.0.2", "10.0.0.4", "--exist"])
        .expect(0);
}

#[test]
fn add_and_del_are_all_or_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web"]).expect(0);
    ns.mipset(&["add", "web", "10.0.0.5"]).expect(0);
    let before = ns.ipset_save();
    // The third address exists: the first two must not stay added.
    let r = ns.mipset(&["add", "web", "10.0.0.1", "10.0.0.2", "10.0.0.5"]);
    r.expect(3);
    assert!(
        r.stderr.contains("10.0.0.5 is already in family 'web'"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before);
    // A missing address: nothing is deleted.
    let r = ns.mipset(&["del", "web", "10.0.0.5", "10.0.0.6"]);
    r.expect(3);
    assert!(
        r.stderr.contains("10.0.0.6 is not in family"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before);
    let r = ns.mipset(&["--json", "del", "web", "10.0.0.5", "10.0.0.6", "--exist"]);
    r.expect(0);
    assert_eq!(json(&r.stdout)["change"]["unchanged"], 1);
    // stdin with a bad line: file:line, nothing added.
    let before = ns.ipset_save();
    let r = ns.mipset_stdin(&["add", "web", "-"], "10.0.0.1\n# comment\n\n10.0.0.300\n");
    r.expect(2);
    assert!(
        r.stderr
            .contains("<stdin>:4: '10.0.0.300' is not an IPv4 address"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before);
    ns.mipset_stdin(&["add", "web", "-"], "10.0.0.1\n10.0.0.2 # two\n")
        .expect(0);
    ns.mipset(&["test", "web", "10.0.0.2"]).expect(0);
}

#[test]
fn destroy_refuses_while_iptables_uses_the_family() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    for (set, rule_set) in [("web-s1", "web-s1"), ("umbrella", "web")] {
        let rule = [
            "-A",
            "INPUT",
            "-m",
            "set",
            "--match-set",
            rule_set,
            "src",
            "-j",
            "DROP",
        ];
        ns.ok("iptables", &rule);
        let before = ns.ipset_save();
        let r = ns.mipset(&["destroy", "web"]);
        r.expect(3);
        assert!(
            r.stderr.contains("in use") && r.stderr.contains(rule_set),
            "{set}: {}",
            r.stderr
        );
        assert_eq!(ns.ipset_save(), before);
        let r = ns.mipset(&["destroy", "--force", "web"]);
        r.expect(3);
        let mut del = rule;
        del[0] = "-D";
        ns.ok("iptables", &del);
    }
    let refs = json(&ns.mipset(&["--json", "list", "web"]).stdout);
    assert_eq!(refs[0]["references"], 0);
    ns.mipset(&["destroy", "web"]).expect(0);
}

#[test]
fn foreign_and_damaged_sets_are_never_touched() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    // A list:set that merely looks like a family.
    ns.ok("ipset", &["create", "lookalike-s0", "hash:ip"]);
    ns.ok("ipset", &["create", "lookalike", "list:set", "comment"]);
    ns.ok(
        "ipset",
        &["add", "lookalike", "lookalike-s0", "comment", "not mipset"],
    );
    ns.ok("ipset", &["create", "plain", "hash:ip"]);
    let before = ns.ipset_save();
    for args in [
        &["test", "lookalike", "10.0.0.1"][..],
        &["add", "lookalike", "10.0.0.1"],
        &["destroy", "lookalike"],
        &["destroy", "--force", "lookalike"],
        &["flush", "plain"],
        &["list", "plain"],
    ] {
        let r = ns.mipset(args);
        r.expect(2);
        assert!(
            r.stderr.contains("is not a mipset family"),
            "{args:?}: {}",
            r.stderr
        );
    }
    // Creating over them is refused too.
    ns.mipset(&["create", "lookalike"]).expect(2);
    ns.mipset(&["create", "plain", "--shards", "1"]).expect(2);
    assert_eq!(ns.mipset(&["list"]).stdout, "no mipset families\n");
    assert_eq!(ns.ipset_save(), before);

    // A damaged family: a shard taken out of the umbrella by hand.
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    ns.ok("ipset", &["del", "web", "web-s2"]);
    let r = ns.mipset(&["test", "web", "10.0.0.1"]);
    r.expect(2);
    assert!(r.stderr.contains("damaged"), "{}", r.stderr);
    // It is listed, marked DAMAGED, with what is wrong; also once the
    // shard is destroyed by hand. See: issue 11, finding 4.
    ns.ok("ipset", &["destroy", "web-s2"]);
    let r = ns.mipset(&["list", "--terse"]);
    r.expect(0);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("web ") && l.ends_with("DAMAGED")),
        "{}",
        r.stdout
    );
    let r = ns.mipset(&["--json", "list", "web"]);
    r.expect(0);
    let problems = json(&r.stdout)[0]["problems"].to_string();
    assert!(
        problems.contains("expected web-s2") && problems.contains("web-s2 does not exist"),
        "{problems}"
    );
    let metrics = ns.mipset(&["metrics"]);
    assert!(
        metrics
            .stdout
            .contains("mipset_family_problems{family=\"web\"} 2"),
        "{}",
        metrics.stdout
    );
    ns.mipset(&["destroy", "web"]).expect(2);
    ns.mipset(&["destroy", "--force", "web"]).expect(0);
    assert_eq!(ns.ipset_save(), before);
}

#[test]
fn without_privileges_the_kernel_refusal_is_explained() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web"]).expect(0);
    let before = ns.ipset_save();
    let nobody = [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        crate::util::MIPSET,
    ];
    for args in [
        &["list"][..],
        &["add", "web", "10.0.0.1"],
        &["test", "web", "10.0.0.1"],
        &["create", "x"],
    ] {
        let mut all = nobody.to_vec();
        all.extend_from_slice(args);
        let r = ns.exec("setpriv", &all);
        r.expect(3);
        assert!(
            r.stderr.contains("root or CAP_NET_ADMIN"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    assert_eq!(ns.ipset_save(), before);
}

#[test]
fn mipset_test_agrees_with_ipset_test_process_by_process() {
    if !kernel_tests_enabled() {
        return;
    }
    // The same answers through the binaries: mipset test on the family and
    // stock ipset test on one reference set with the same entries.
    let ns = Netns::new();
    ns.mipset(&[
        "create", "fam", "--type", "hash:net", "--shards", "16", "--route", "bits:4",
    ])
    .expect(0);
    ns.ok("ipset", &["create", "ref", "hash:net"]);
    let entries = [
        "10.0.0.0/24",
        "10.0.1.16/28",
        "10.0.2.0/23",
        "10.0.8.7",
        "10.0.16.0/20",
        "10.0.4.0/30",
    ];
    ns.mipset(&["add", "fam"]).expect(2); // no address: usage error
    let mut args = vec!["add", "fam"];
    args.extend(entries);
    ns.mipset(&args).expect(0);
    for e in entries {
        ns.ok("ipset", &["add", "ref", e]);
    }
    let mut rng = crate::util::Rng(7);
    for _ in 0..100 {
        let q = format!("10.0.{}.{}", rng.below(40), rng.below(256));
        let want = ns.exec("ipset", &["test", "ref", &q]).code;
        let got = ns.mipset(&["-q", "test", "fam", &q]).code;
        assert_eq!(got, want, "{q}");
    }
}

#[test]
fn a_full_shard_does_not_block_entries_for_other_shards_or_existing_ones() {
    if !kernel_tests_enabled() {
        return;
    }
    // See: new-user trial, a full shard refused --exist re-adds elsewhere.
    let ns = Netns::new();
    ns.mipset(&["create", "mid", "--shards", "4", "--maxelem", "2"])
        .expect(0);
    ns.mipset(&["add", "mid", "10.0.0.0", "10.0.0.4"]).expect(0); // shard 0 full (2 of 2)
    ns.mipset(&["add", "mid", "--exist", "10.0.0.0", "10.0.0.1"])
        .expect(0);
    let r = ns.mipset(&["add", "mid", "10.0.0.0", "10.0.0.2"]);
    r.expect(3);
    assert!(
        r.stderr.contains("10.0.0.0 is already in family"),
        "{}",
        r.stderr
    );
    let r = ns.mipset(&["add", "mid", "10.0.0.8", "10.0.0.12", "10.0.0.3"]);
    r.expect(3);
    assert!(
        r.stderr.contains("and 2 new entries route to it"),
        "{}",
        r.stderr
    );
}

#[test]
fn del_of_a_covered_host_changes_nothing_not_even_comments() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create",
        "n",
        "--type",
        "hash:net",
        "--comment",
        "--counters",
    ])
    .expect(0);
    ns.mipset(&[
        "add",
        "n",
        "10.0.0.0/24",
        "10.0.1.0/24",
        "--comment",
        "keep",
    ])
    .expect(0);
    let before = ns.ipset_save();
    // 10.0.1.5 is covered by 10.0.1.0/24 but is not an entry itself.
    let r = ns.mipset(&["del", "n", "10.0.0.0/24", "10.0.1.5"]);
    r.expect(3);
    assert!(
        r.stderr.contains("10.0.1.5 is not in family"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before);
    ns.mipset(&["add", "n", "10.0.1.5"]).expect(0);
    ns.mipset(&["del", "n", "10.0.1.5"]).expect(0);
    ns.mipset(&["test", "n", "10.0.1.5"]).expect(0); // still covered by the /24
}

#[test]
fn shards_that_disagree_with_the_metadata_are_reported_not_used() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    // A hand-made umbrella whose metadata says hash:net inet6 over a hash:ip inet shard.
    ns.ok("ipset", &["create", "fake-s0", "hash:ip"]);
    ns.ok("ipset", &["create", "fake", "list:set", "comment"]);
    let meta = "mipset:v1 shard=0/1 type=hash:net family=inet6 route=bits:64 hashsize=64 maxelem=64 timeout=none counters=0 comment=0";
    ns.ok("ipset", &["add", "fake", "fake-s0", "comment", meta]);
    let before = ns.ipset_save();
    let r = ns.mipset(&["add", "fake", "2001:db8::/64"]);
    r.expect(2);
    assert!(
        r.stderr
            .contains("is a hash:ip inet set but the family's metadata says hash:net inet6"),
        "{}",
        r.stderr
    );
    let l = json(&ns.mipset(&["--json", "list", "fake"]).stdout);
    assert_eq!(l[0]["problems"].as_array().unwrap().len(), 1);
    assert!(ns.mipset(&["list", "--terse"]).stdout.contains("DAMAGED"));
    assert_eq!(ns.ipset_save(), before);

    // A shard swapped by hand for a set of the same type but other
    // extensions: check says what list and add say, and --repair leaves the
    // foreign set alone. See: issue 11, finding 3.
    ns.mipset(&["create", "web", "--shards", "2"]).expect(0);
    ns.ok("ipset", &["create", "other", "hash:ip", "timeout", "0"]);
    ns.ok("ipset", &["swap", "web-s1", "other"]);
    let before = ns.ipset_save();
    for (args, code) in [
        (&["check", "web"][..], 1),
        (&["check", "web", "--repair"], 4),
    ] {
        let r = ns.mipset(args);
        r.expect(code);
        assert!(
            r.stdout.contains("web-s1 has timeout support"),
            "{args:?}: {}",
            r.stdout
        );
    }
    assert!(ns.mipset(&["list", "--terse"]).stdout.contains("DAMAGED"));
    ns.mipset(&["add", "web", "10.0.0.1"]).expect(2);
    assert_eq!(ns.ipset_save(), before);
}

#[test]
fn odd_foreign_sets_do_not_break_listing_and_force_spares_lookalikes() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok("ipset", &["create", "a b", "list:set", "comment"]);
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    let r = ns.mipset(&["list", "--terse"]);
    r.expect(0);
    assert!(r.stdout.contains(" web "), "{}", r.stdout);
    // Damage the family, and put a foreign hash:net set under a shard's name.
    ns.ok("ipset", &["del", "web", "web-s3"]);
    ns.ok("ipset", &["destroy", "web-s3"]);
    ns.ok("ipset", &["create", "web-s3", "hash:net"]);
    let r = ns.mipset(&["destroy", "--force", "web"]);
    r.expect(0);
    assert!(r.stderr.contains("left web-s3 alone"), "{}", r.stderr);
    let names = ns.ok("ipset", &["list", "-n"]);
    let mut names: Vec<&str> = names.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["a b", "web-s3"]);
}

#[test]
fn json_errors_and_summaries() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let r = ns.mipset(&["--json", "test", "nope", "10.0.0.1"]);
    r.expect(2);
    let e = json(&r.stdout);
    assert_eq!(e["exit_code"], 2);
    assert!(e["error"].as_str().unwrap().contains("does not exist"));
    let r = ns.mipset(&["create", "one", "--shards", "1", "--maxelem", "8"]);
    assert!(r.stdout.contains("1 shard (one-s0)"), "{}", r.stdout);
    let r = ns.mipset(&["add", "one", "10.0.0.1", "10.0.0.1"]);
    assert_eq!(
        r.stdout,
        "added 1 of 1 entry to family one (1 shard element), 1 duplicate ignored\n"
    );
}

/// Capacity like one set: every shard may hold the family's maxelem, so a
/// list that one set of that maxelem holds fits however it skews.
#[test]
fn a_skewed_list_that_fits_one_set_fits_the_family() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok("ipset", &["create", "one", "hash:ip", "maxelem", "8"]);
    ns.mipset(&["create", "skew", "--shards", "16", "--maxelem", "8"])
        .expect(0);
    // bits:0 with 16 shards: every multiple of 16 goes to shard 0.
    let list: String = (0..8).map(|i| format!("10.0.0.{}\n", i * 16)).collect();
    ns.mipset_stdin(&["load", "skew", "-"], &list).expect(0);
    for line in list.lines() {
        ns.ok("ipset", &["add", "one", line]);
    }
    let header = ns.ok("ipset", &["list", "-t", "skew-s0"]);
    assert!(header.contains("Number of entries: 8"), "{header}");
    // The ninth is refused by both, naming the shard, and nothing changes.
    let before = ns.ipset_save();
    let r = ns.mipset(&["add", "skew", "10.0.0.128"]);
    r.expect(3);
    assert!(r.stderr.contains("skew-s0"), "{}", r.stderr);
    assert_eq!(ns.ipset_save(), before);
    assert_ne!(ns.exec("ipset", &["add", "one", "10.0.0.128"]).code, 0);
}

/// Commands whose product is what they print fail with exit 4 when it
/// cannot be written (a full disk); a lost summary of a change does not
/// undo the change and keeps its exit status.
#[test]
fn output_that_cannot_be_written_is_exit_4_where_it_is_the_product() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    let list = std::env::temp_dir().join(format!("mipset-full-{}.txt", std::process::id()));
    std::fs::write(&list, "192.0.2.1\n").unwrap();
    let list = list.to_str().unwrap();
    let to_full = |args: &[&str]| {
        let full = std::fs::File::create("/dev/full").unwrap();
        let out = ns.mipset_command(args).stdout(full).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in [
        &["list"][..],
        &["--json", "list", "web"],
        &["metrics"],
        &["save", "web"],
        &["which", "web", "192.0.2.1"],
        &["rule", "list"],
        &["sync", "web", list, "--dry-run"],
    ] {
        let (code, stderr) = to_full(args);
        assert_eq!(code, Some(4), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("mipset: error: writing output: ") && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
    // A closed stdout: `save` refuses before it reads anything; a change
    // still happens (its summary goes nowhere).
    let closed = |args: &str| {
        ns.exec(
            "sh",
            &[
                "-c",
                &format!("exec \"$0\" {args} >&-"),
                crate::util::MIPSET,
            ],
        )
    };
    closed("save web").expect(4);
    closed("add web 192.0.2.9").expect(0);
    ns.mipset(&["test", "web", "192.0.2.9"]).expect(0);
    ns.mipset(&["del", "web", "192.0.2.9"]).expect(0);
    // A change whose summary is lost still happened: exit 0, and said.
    let (code, stderr) = to_full(&["sync", "web", list]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("writing output"), "{stderr}");
    ns.mipset(&["test", "web", "192.0.2.1"]).expect(0);
    std::fs::remove_file(list).unwrap();
}

#[test]
fn an_interrupted_add_leaves_the_family_as_before_or_complete() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "big", "--maxelem", "1000000"])
        .expect(0);
    ns.mipset(&["add", "big", "192.0.2.1"]).expect(0);
    let before = ns.ipset_save();
    let list: String = (0..200_000u32)
        .map(|i| format!("10.{}.{}.{}\n", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    // Interrupt as soon as the kernel shows the add in progress.
    let mut child = ns
        .mipset_command(&["add", "big", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), list.as_bytes()).unwrap();
    drop(child.stdin.take());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let elements: u64 = ns
            .ok("ipset", &["list", "-t", "big-s0"])
            .lines()
            .find_map(|l| l.strip_prefix("Number of entries: "))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if elements > 100 || std::time::Instant::now() > deadline {
            break;
        }
    }
    // ip netns exec replaces itself with mipset, so this is mipset's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(130) => {
            eprintln!("interrupted as intended: {stderr}");
            assert!(stderr.contains("interrupted; removed the"), "{stderr}");
            // The kernel grows a shard's hash while adds arrive and never
            // shrinks it: the hashsize may differ, the contents may not.
            let without_hashsize = |save: &str| {
                save.lines()
                    .map(|l| {
                        let w: Vec<&str> = l.split(' ').collect();
                        match w.iter().position(|&x| x == "hashsize") {
                            Some(i) if w[0] == "create" => {
                                [&w[..i], &w[i + 2..]].concat().join(" ")
                            }
                            _ => l.to_string(),
                        }
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                without_hashsize(&ns.ipset_save()),
                without_hashsize(&before)
            );
        }
        Some(0) => assert_eq!(
            json(&ns.mipset(&["--json", "list", "big"]).stdout)[0]["elements"],
            200_001
        ),
        // On a loaded machine the signal can come before mipset starts
        // changing anything (the deadline above passed first): then it dies
        // of the signal, and nothing may have changed.
        None => assert_eq!(ns.ipset_save(), before, "killed mid-change: {stderr}"),
        other => panic!("unexpected exit {other:?}: {stderr}"),
    }
}

#[test]
fn eight_concurrent_writers_take_turns_and_lose_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "pods", "--type", "hash:net", "--shards", "16"])
        .expect(0);
    let writers: Vec<_> = (0..8u32)
        .map(|w| {
            // Disjoint ranges; /30s from writer w straddle shards like real pod CIDRs.
            let list: String = (0..250u32)
                .map(|i| {
                    format!(
                        "10.{w}.{}.{}/30\n10.{}.{}.{}\n",
                        i,
                        (i % 64) * 4,
                        100 + w,
                        i,
                        i % 256
                    )
                })
                .collect();
            let mut child = ns
                .mipset_command(&["--wait=60", "add", "pods", "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), list.as_bytes()).unwrap();
            drop(child.stdin.take());
            child
        })
        .collect();
    for child in writers {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for w in 0..8u32 {
        for i in [0u32, 77, 249] {
            ns.mipset(&["test", "pods", &format!("10.{w}.{i}.{}", (i % 64) * 4 + 3)])
                .expect(0);
            ns.mipset(&["test", "pods", &format!("10.{}.{i}.{}", 100 + w, i % 256)])
                .expect(0);
        }
    }
    // 8 x 250 hosts in one shard each, 8 x 250 /30s in 1 shard each (bits:8 default).
    assert_eq!(
        json(&ns.mipset(&["--json", "list", "pods"]).stdout)[0]["elements"],
        4000
    );
}

#[test]
fn a_held_lock_is_exit_5_without_wait() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "w", "--shards", "2"]).expect(0);
    let before = ns.ipset_save();
    // Hold the lock from a stock `flock` inside the namespace.
    let mut holder = ns.hold_lock();
    let r = ns.mipset(&["add", "w", "10.0.0.1"]);
    r.expect(5);
    assert!(r.stderr.contains("use --wait"), "{}", r.stderr);
    let r = ns.mipset(&["--wait=0.2", "add", "w", "10.0.0.1"]);
    r.expect(5);
    assert!(r.stderr.contains("gave up after"), "{}", r.stderr);
    // Reading needs no lock.
    ns.mipset(&["test", "w", "10.0.0.1"]).expect(1);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(ns.ipset_save(), before);
    ns.mipset(&["--wait=10", "add", "w", "10.0.0.1"]).expect(0);
}

/// An unprivileged process in the namespace cannot hold mipset off: not
/// with the abstract socket name the lock used to be, and not with the
/// lock's privileged port. See: issue 11, finding 14.
#[test]
fn an_unprivileged_process_cannot_hold_the_lock() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "w", "--shards", "2"]).expect(0);
    let squatter = "import socket, time\n\
        old = socket.socket(socket.AF_UNIX)\nold.bind('\\0mipset-lock')\n\
        port = socket.socket()\nport.setsockopt(socket.SOL_IP, 15, 1)\n\
        try:\n    port.bind(('127.0.0.1', 1022))\n    print('port held', flush=True)\n\
        except OSError as e:\n    print('refused', e.errno, flush=True)\n\
        time.sleep(30)";
    let mut nobody = ns
        .command(
            "setpriv",
            &[
                "--reuid",
                "nobody",
                "--regid",
                "nogroup",
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
                squatter,
            ],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(nobody.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(
        line.trim(),
        "refused 13",
        "the unprivileged squatter got the port"
    );
    // mipset takes its lock and changes the family all the same.
    ns.mipset(&["add", "w", "10.0.0.1"]).expect(0);
    nobody.kill().unwrap();
    nobody.wait().unwrap();
    // With the capabilities the DaemonSet grants it works; without
    // NET_BIND_SERVICE the refusal says what is missing, nothing changed.
    let bin = crate::util::MIPSET;
    let caps = |set: &str, args: &[&str]| {
        let mut all = vec!["--bounding-set", set, bin];
        all.extend_from_slice(args);
        ns.exec("setpriv", &all)
    };
    caps(
        "-all,+net_admin,+net_raw,+net_bind_service",
        &["add", "w", "10.0.0.2"],
    )
    .expect(0);
    let r = caps("-all,+net_admin,+net_raw", &["add", "w", "10.0.0.3"]);
    r.expect(3);
    assert!(r.stderr.contains("CAP_NET_BIND_SERVICE"), "{}", r.stderr);
    ns.mipset(&["test", "w", "10.0.0.3"]).expect(1);
}

/// `mipset list` says the hashsize the shards were created with and the
/// one the kernel has grown them to, as the table of shards shows.
#[test]
fn list_says_the_created_and_the_current_hashsize() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "grow", "--shards", "2", "--hashsize", "128"])
        .expect(0);
    let text = ns.mipset(&["list", "grow"]).expect(0).stdout.clone();
    assert!(
        text.contains("Shards: 2 (created with hashsize 64, now 64; maxelem 65536)\n"),
        "{text}"
    );
    // 4096 addresses, all of them in shard 0 (the lowest bit is 0): the
    // kernel grows its hash, the other shard keeps 64.
    let list: String = (0..4096u32)
        .map(|i| format!("10.{}.{}.{}\n", i >> 7, (i >> 1) & 0x3f, (i & 1) * 2))
        .collect();
    ns.mipset_stdin(&["load", "grow", "-"], &list).expect(0);
    let l = json(&ns.mipset(&["--json", "list", "grow"]).stdout);
    let sizes: Vec<u64> = l[0]["shards_detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["hashsize"].as_u64().unwrap())
        .collect();
    let max = *sizes.iter().max().unwrap();
    assert!(max > 64 && sizes.contains(&64), "{sizes:?}");
    let text = ns.mipset(&["list", "grow"]).expect(0).stdout.clone();
    assert!(
        text.contains(&format!(
            "Shards: 2 (created with hashsize 64, now 64-{max}; maxelem 65536)\n"
        )),
        "{text}"
    );
}
