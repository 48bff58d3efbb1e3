//! `load` and `sync` against the real kernel: the family ends up holding
//! exactly the list (read back from the kernel), bad input changes nothing,
//! and SIGKILL leaves every shard with its old or its new contents.

use std::collections::{BTreeMap, BTreeSet};

use crate::util::{kernel_tests_enabled, Netns, Rng};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Every shard's elements as the kernel lists them (stock `ipset list`).
fn shard_contents(ns: &Netns, family: &str, shards: u32) -> BTreeMap<String, BTreeSet<String>> {
    (0..shards)
        .map(|i| {
            let name = format!("{family}-s{i}");
            let listing = ns.ok("ipset", &["list", &name]);
            let members = listing
                .split("Members:\n")
                .nth(1)
                .unwrap_or("")
                .lines()
                .filter(|l| !l.is_empty())
                .map(|l| l.split_whitespace().next().unwrap().to_string())
                .collect();
            (name, members)
        })
        .collect()
}

/// What the shards must hold for `entries` (routing through `mipset which`
/// would be slow; the family's own `--json which` is exercised elsewhere,
/// so ask it once per entry only for small lists).
fn expected(
    ns: &Netns,
    family: &str,
    shards: u32,
    entries: &[String],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut want: BTreeMap<String, BTreeSet<String>> = (0..shards)
        .map(|i| (format!("{family}-s{i}"), BTreeSet::new()))
        .collect();
    for e in entries {
        let r = json(&ns.mipset(&["--json", "which", family, e]).stdout);
        let canonical = r["entry"].as_str().unwrap().to_string();
        for shard in r["shards"].as_array().unwrap() {
            want.get_mut(shard.as_str().unwrap())
                .unwrap()
                .insert(canonical.clone());
        }
    }
    want
}

fn random_list(rng: &mut Rng, net: bool, v6: bool, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let host = rng.below(4096) as u32;
            match (net, v6) {
                (false, false) => format!("10.0.{}.{}", host >> 8, host & 255),
                (false, true) => format!("2001:db8::{:x}", host + 1),
                (true, false) => format!(
                    "10.{}.{}.0/{}",
                    host >> 8,
                    host & 255,
                    [16, 22, 24, 28][rng.below(4) as usize]
                ),
                (true, true) => format!(
                    "2001:db8:{:x}::/{}",
                    host,
                    [48, 60, 64, 96][rng.below(4) as usize]
                ),
            }
        })
        .collect()
}

#[test]
fn sync_makes_the_family_hold_exactly_the_list() {
    if !kernel_tests_enabled() {
        return;
    }
    let mut rng = Rng(42);
    for case in 0..8u32 {
        let (net, v6) = (case & 1 == 1, case & 2 == 2);
        let ns = Netns::new();
        let mut create = vec!["create", "fam", "--shards", "8"];
        if net {
            create.extend(["--type", "hash:net"]);
        }
        if v6 {
            create.extend(["--family", "inet6"]);
        }
        ns.mipset(&create).expect(0);
        let initial = random_list(&mut rng, net, v6, 60);
        // Overlapping target: some kept, some new, some gone; sometimes tiny
        // (rebuild), sometimes close to the initial list (in place).
        let keep = if case < 4 { 55 } else { 10 };
        let mut target: Vec<String> = initial[..keep].to_vec();
        target.extend(random_list(&mut rng, net, v6, 5));
        ns.mipset_stdin(&["load", "fam"], &initial.join("\n"))
            .expect(0);
        let atomic = if case % 3 == 0 {
            "--atomic"
        } else {
            "--dry-run"
        };
        if atomic == "--dry-run" {
            let before = ns.ipset_save();
            let plan = json(
                &ns.mipset_stdin(
                    &["--json", "sync", "fam", "-", "--dry-run"],
                    &target.join("\n"),
                )
                .stdout,
            );
            assert_eq!(plan["result"], "planned");
            assert_eq!(ns.ipset_save(), before, "dry run changed the kernel");
            ns.mipset_stdin(&["sync", "fam", "-"], &target.join("\n"))
                .expect(0);
        } else {
            ns.mipset_stdin(&["sync", "fam", "-", "--atomic"], &target.join("\n"))
                .expect(0);
        }
        assert_eq!(
            shard_contents(&ns, "fam", 8),
            expected(&ns, "fam", 8, &target),
            "case {case}"
        );
        // Syncing again changes nothing.
        let again = json(
            &ns.mipset_stdin(&["--json", "sync", "fam", "-"], &target.join("\n"))
                .stdout,
        );
        assert_eq!(again["applied"]["swapped"], 0);
        assert_eq!(again["applied"]["in_place"], 0);
        assert!(
            !ns.ok("ipset", &["list", "-n"]).contains("fam-t"),
            "temporary sets left"
        );
    }
}

#[test]
fn a_bad_last_line_of_a_million_changes_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "big", "--maxelem", "2000000"])
        .expect(0);
    ns.mipset(&["add", "big", "192.0.2.1"]).expect(0);
    let before = ns.ipset_save();
    let mut list: String = (0..1_000_000u32)
        .map(|i| format!("10.{}.{}.{}\n", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    list.push_str("10.0.0.256\n");
    let path = std::env::temp_dir().join(format!("mipset-bad-{}.txt", std::process::id()));
    std::fs::write(&path, &list).unwrap();
    for command in ["load", "sync"] {
        let r = ns.mipset(&[command, "big", path.to_str().unwrap()]);
        r.expect(2);
        assert!(
            r.stderr.contains(&format!(
                "{}:1000001: '10.0.0.256' is not an IPv4 address",
                path.display()
            )),
            "{}",
            r.stderr
        );
        assert_eq!(ns.ipset_save(), before);
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn load_migrates_an_ipset_save_dump_and_keeps_options() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok(
        "ipset",
        &["create", "old", "hash:net", "timeout", "600", "comment"],
    );
    ns.ok(
        "ipset",
        &["add", "old", "10.1.0.0/16", "comment", "office net"],
    );
    ns.ok("ipset", &["add", "old", "192.0.2.7", "timeout", "30"]);
    let dump = ns.ok("ipset", &["save", "old"]);
    ns.mipset(&[
        "create",
        "new",
        "--type",
        "hash:net",
        "--timeout",
        "600",
        "--comment",
    ])
    .expect(0);
    ns.mipset_stdin(&["load", "new", "-"], &dump).expect(0);
    ns.mipset(&["test", "new", "10.1.2.3"]).expect(0);
    ns.mipset(&["test", "new", "192.0.2.7"]).expect(0);
    let shard = ns.mipset(&["which", "new", "10.1.0.0/16"]).stdout;
    let listing = ns.ok("ipset", &["list", shard.lines().next().unwrap()]);
    assert!(listing.contains("comment \"office net\""), "{listing}");
    // A dump of the wrong type is refused before anything changes.
    let before = ns.ipset_save();
    ns.mipset(&["create", "ips"]).expect(0);
    let before_ips = ns.ipset_save();
    let r = ns.mipset_stdin(&["load", "ips", "-"], &dump);
    r.expect(2);
    assert!(
        r.stderr
            .contains("<stdin>:1: the dump is of a hash:net inet set"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before_ips);
    drop(before);
}

#[test]
fn a_list_that_overfills_a_shard_is_refused_whole() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "small", "--shards", "2", "--maxelem", "4"])
        .expect(0);
    ns.mipset(&["add", "small", "10.0.0.1"]).expect(0);
    let before = ns.ipset_save();
    let list: String = (0..6).map(|i| format!("10.0.0.{}\n", 2 * i)).collect();
    let r = ns.mipset_stdin(&["sync", "small", "-"], &list);
    r.expect(3);
    assert!(
        r.stderr.contains(
            "shard small-s0 would hold 6 elements but its maxelem is 4; nothing was changed"
        ),
        "{}",
        r.stderr
    );
    // The ways out.
    for way in [
        "`mipset resize small --maxelem N`",
        "`mipset resize small --shards N`",
        "--auto-grow",
    ] {
        assert!(r.stderr.contains(way), "{way}: {}", r.stderr);
    }
    assert_eq!(ns.ipset_save(), before);
}

#[test]
fn sigkill_during_sync_leaves_every_shard_old_or_new_and_the_next_run_cleans_up() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "k", "--shards", "4", "--maxelem", "400000"])
        .expect(0);
    let list = |base: u32| -> String {
        (0..60_000u32)
            .map(|i| format!("10.{}.{}.{}\n", base + (i >> 16), (i >> 8) & 255, i & 255))
            .collect()
    };
    let (a, b) = (list(0), list(100));
    ns.mipset_stdin(&["load", "k", "-"], &a).expect(0);
    let old = shard_contents(&ns, "k", 4);
    ns.mipset_stdin(&["sync", "k", "-"], &b).expect(0);
    let new = shard_contents(&ns, "k", 4);
    let mut rng = Rng(9);
    for trial in 0..8 {
        // Start from the old list each time, then kill a sync to the new one.
        ns.mipset_stdin(&["sync", "k", "-", "--atomic"], &a)
            .expect(0);
        let mut args = vec!["sync", "k", "-"];
        if trial % 2 == 0 {
            args.push("--atomic");
        }
        let mut child = ns
            .mipset_command(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), b.as_bytes()).unwrap();
        drop(child.stdin.take());
        std::thread::sleep(std::time::Duration::from_millis(rng.below(400)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = shard_contents(&ns, "k", 4);
        for (shard, contents) in &now {
            assert!(
                *contents == old[shard] || *contents == new[shard],
                "trial {trial}: {shard} holds {} elements, neither old nor new",
                contents.len()
            );
        }
    }
    // The next run removes any temporary set and finishes the job.
    let r = ns.mipset_stdin(&["sync", "k", "-"], &b);
    r.expect(0);
    assert!(!ns.ok("ipset", &["list", "-n"]).contains("k-t"));
    assert_eq!(shard_contents(&ns, "k", 4), new);
}

#[test]
fn sync_takes_the_lock_refuses_empty_lists_and_foreign_temp_names() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "2"]).expect(0);
    ns.mipset(&["add", "web", "10.0.0.1", "10.0.0.2"]).expect(0);
    let before = ns.ipset_save();
    // An empty list would wipe the family: refused without --allow-empty.
    let r = ns.mipset_stdin(&["sync", "web", "-"], "# nothing\n");
    r.expect(2);
    assert!(r.stderr.contains("--allow-empty"), "{}", r.stderr);
    assert_eq!(ns.ipset_save(), before);
    // A family may not be named like another family's temporary set...
    let r = ns.mipset(&["create", "web-t1", "--shards", "2"]);
    r.expect(2);
    assert!(
        r.stderr
            .contains("reserves for shards (-sN) and temporary sets (-tN)"),
        "{}",
        r.stderr
    );
    // ...and a hand-made set under that name is never filled or destroyed:
    // rebuilds take free temporary names (see #11).
    ns.ok("ipset", &["create", "web-t1", "hash:net"]);
    ns.ok("ipset", &["add", "web-t1", "192.0.2.0/24"]);
    let theirs = ns.ok("ipset", &["save", "web-t1"]);
    ns.mipset_stdin(&["sync", "web", "-", "--atomic"], "10.0.0.3\n10.0.0.5\n")
        .expect(0);
    assert_eq!(ns.ok("ipset", &["save", "web-t1"]), theirs);
    ns.mipset(&["test", "web", "10.0.0.5"]).expect(0);
    ns.ok("ipset", &["destroy", "web-t1"]);
    // The lock: sync waits for (or refuses while) another mipset holds it.
    let mut holder = ns.hold_lock();
    ns.mipset_stdin(&["sync", "web", "-"], "10.0.0.3\n")
        .expect(5);
    ns.mipset_stdin(&["load", "web", "-"], "10.0.0.3\n")
        .expect(5);
    holder.kill().unwrap();
    holder.wait().unwrap();
    ns.mipset_stdin(&["--wait=10", "sync", "web", "-"], "10.0.0.3\n10.0.0.5\n")
        .expect(0);
    ns.mipset(&["test", "web", "10.0.0.1"]).expect(1);
    ns.mipset(&["test", "web", "10.0.0.5"]).expect(0);
}

/// The metadata comment of member `index` of umbrella `family`.
fn member_comment(ns: &Netns, family: &str, index: u32) -> String {
    let saved = ns.ok("ipset", &["save", family]);
    let prefix = format!("add {family} {family}-s{index} ");
    let line = saved
        .lines()
        .find(|l| l.starts_with(&prefix))
        .expect("member line");
    line.split('"').nth(1).expect("comment").to_string()
}

#[test]
fn check_finds_and_repairs_hand_made_damage() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create", "web", "--shards", "4", "--type", "hash:net", "--route", "bits:0",
    ])
    .expect(0);
    ns.mipset(&["add", "web", "10.0.0.0/30", "10.0.0.9"])
        .expect(0);
    let healthy = ns.ipset_save();
    ns.mipset(&["check", "web"]).expect(0);
    // Damage it with stock ipset: a misplaced element, a missing replica,
    // a leftover temporary set (recorded in the umbrella, as a killed load
    // leaves it), a shard taken out of the umbrella; and a user's set named
    // like a temporary, which is only reported.
    ns.ok("ipset", &["add", "web-s2", "10.0.0.9"]);
    ns.ok("ipset", &["del", "web-s3", "10.0.0.0/30"]);
    ns.ok("ipset", &["create", "web-t1", "hash:net"]);
    let meta0 = member_comment(&ns, "web", 0);
    ns.ok(
        "ipset",
        &[
            "add",
            "web",
            "web-s0",
            "comment",
            &format!("{meta0} temp=web-t1"),
            "-exist",
        ],
    );
    ns.ok("ipset", &["create", "web-t2", "hash:net"]);
    ns.ok("ipset", &["del", "web", "web-s1"]);
    let r = ns.mipset(&["--json", "check", "web"]);
    r.expect(1);
    let kinds: Vec<String> = json(&r.stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["umbrella", "temporary", "incomplete", "misplaced"]);
    assert_eq!(json(&r.stdout)["lookalikes"], serde_json::json!(["web-t2"]));
    ns.mipset(&["check", "web", "--repair"]).expect(0);
    ns.ok("ipset", &["list", "-n", "web-t2"]);
    ns.ok("ipset", &["destroy", "web-t2"]);
    ns.mipset(&["check", "web"]).expect(0);
    // Repaired back to the healthy state (member order, elements, no temp).
    let strip = |s: &str| -> Vec<String> {
        let mut lines: Vec<String> = s
            .lines()
            .filter(|l| !l.starts_with("create"))
            .map(String::from)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(strip(&ns.ipset_save()), strip(&healthy));
    ns.mipset(&["test", "web", "10.0.0.3"]).expect(0);
}

#[test]
fn restore_recreates_families_from_a_save_dump() {
    if !kernel_tests_enabled() {
        return;
    }
    let a = Netns::new();
    a.mipset(&["create", "web", "--shards", "4", "--comment"])
        .expect(0);
    a.mipset(&["add", "web", "192.0.2.1", "192.0.2.2", "--comment", "x"])
        .expect(0);
    a.mipset(&["create", "nets", "--type", "hash:net", "--shards", "8"])
        .expect(0);
    a.mipset(&["add", "nets", "10.1.0.0/16", "10.2.3.0/24"])
        .expect(0);
    let dump = a.mipset(&["save", "web"]).stdout + &a.mipset(&["save", "nets"]).stdout;
    let b = Netns::new();
    b.mipset_stdin(&["restore"], &dump).expect(0);
    for f in ["web", "nets"] {
        assert_eq!(
            b.mipset(&["save", f])
                .stdout
                .lines()
                .filter(|l| l.starts_with("add"))
                .count(),
            a.mipset(&["save", f])
                .stdout
                .lines()
                .filter(|l| l.starts_with("add"))
                .count()
        );
    }
    b.mipset(&["test", "nets", "10.1.200.1"]).expect(0);
    b.mipset(&["check", "nets"]).expect(0);
    // Again: refused without --exist, merged with it.
    let before = b.ipset_save();
    b.mipset_stdin(&["restore"], &dump).expect(2);
    assert_eq!(b.ipset_save(), before);
    b.mipset_stdin(&["restore", "--exist"], &dump).expect(0);
    // A whole-node dump with a set that is no family is refused, naming it.
    a.ok("ipset", &["create", "plain", "hash:ip"]);
    let node = a.ipset_save();
    let c = Netns::new();
    let r = c.mipset_stdin(&["restore"], &node);
    r.expect(2);
    assert!(
        r.stderr
            .contains("set 'plain' is not part of a mipset family"),
        "{}",
        r.stderr
    );
    assert_eq!(c.ipset_save(), "");
}

#[test]
fn resize_keeps_every_answer_right_while_it_runs() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create",
        "r",
        "--type",
        "hash:net",
        "--shards",
        "4",
        "--route",
        "bits:0",
        "--maxelem",
        "200000",
    ])
    .expect(0);
    let members: Vec<String> = (0..20_000u32)
        .map(|i| format!("10.{}.{}.{}", i >> 14, (i >> 6) & 255, (i & 63) * 4))
        .collect();
    let mut list = members.join("\n");
    list.push_str("\n10.200.0.0/22\n"); // a network that spans shards
    ns.mipset_stdin(&["load", "r", "-"], &list).expect(0);
    let probes = [
        ("10.0.0.0", 0),
        ("10.0.0.1", 1),
        ("10.1.3.8", 0),
        ("10.1.3.9", 1),
        ("10.200.2.77", 0),
        ("10.200.4.1", 1),
    ];
    for (shards, maxelem) in [
        ("16", "200000"),
        ("64", "400000"),
        ("8", "200000"),
        ("8", "100000"),
    ] {
        let mut resize = ns
            .mipset_command(&["resize", "r", "--shards", shards, "--maxelem", maxelem])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut asked = 0;
        loop {
            for (addr, want) in probes {
                let r = ns.mipset(&["-q", "test", "r", addr]);
                assert_eq!(
                    r.code, want,
                    "{addr} during resize to {shards}: {}",
                    r.stderr
                );
                asked += 1;
            }
            if resize.try_wait().unwrap().is_some() {
                break;
            }
        }
        assert!(
            resize.wait().unwrap().success(),
            "resize to {shards} failed"
        );
        assert!(asked >= 6);
        ns.mipset(&["check", "r"]).expect(0);
        let l = json(&ns.mipset(&["--json", "list", "r"]).stdout);
        assert_eq!(l[0]["shards"].as_u64().unwrap().to_string(), shards);
    }
    assert!(!ns.ok("ipset", &["list", "-n"]).contains("r-t"));
}

#[test]
fn auto_grow_doubles_the_shards_until_the_list_fits() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "g", "--shards", "2", "--maxelem", "100"])
        .expect(0);
    let list: String = (0..700u32)
        .map(|i| format!("10.0.{}.{}\n", i >> 8, i & 255))
        .collect();
    let before = ns.ipset_save();
    let r = ns.mipset_stdin(&["load", "g", "-"], &list);
    r.expect(3);
    assert_eq!(ns.ipset_save(), before);
    let r = ns.mipset_stdin(&["load", "g", "-", "--auto-grow"], &list);
    r.expect(0);
    assert!(
        r.stderr
            .contains("--auto-grow is growing family g from 2 to 4 shards"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("--auto-grow is growing family g from 4 to 8 shards"),
        "{}",
        r.stderr
    );
    // The family is changed: the refusal's advice is not repeated.
    assert!(
        !r.stderr.contains("nothing was changed") && !r.stderr.contains("mipset resize"),
        "{}",
        r.stderr
    );
    let l = json(&ns.mipset(&["--json", "list", "g"]).stdout);
    assert_eq!(l[0]["shards"], 8);
    assert_eq!(l[0]["elements"], 700);
    ns.mipset(&["check", "g"]).expect(0);
}

#[test]
fn rebuilds_and_repairs_keep_nomatch_counters_and_comments() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create",
        "n",
        "--type",
        "hash:net",
        "--shards",
        "2",
        "--route",
        "bits:0",
        "--counters",
        "--comment",
    ])
    .expect(0);
    ns.mipset(&["add", "n", "10.0.0.0/16", "--comment", "wide"])
        .expect(0);
    // A nomatch hole, made with stock ipset in every shard the /24 covers.
    for shard in ns.mipset(&["which", "n", "10.0.1.0/24"]).stdout.lines() {
        ns.ok(
            "ipset",
            &[
                "add",
                shard,
                "10.0.1.0/24",
                "nomatch",
                "comment",
                "hole",
                "packets",
                "7",
                "bytes",
                "700",
            ],
        );
    }
    ns.mipset(&["test", "n", "10.0.1.5"]).expect(1);
    ns.mipset(&["resize", "n", "--shards", "4"]).expect(0);
    ns.mipset(&["test", "n", "10.0.1.5"]).expect(1);
    ns.mipset(&["test", "n", "10.0.2.5"]).expect(0);
    let dump = ns.ok("ipset", &["save"]);
    assert!(
        dump.contains("10.0.1.0/24 nomatch packets 7 bytes 700 comment \"hole\""),
        "{dump}"
    );
    // A misplaced copy is moved by check --repair with its extensions.
    ns.ok("ipset", &["del", "n-s0", "10.0.0.0/16"]);
    let r = ns.mipset(&["check", "n", "--repair"]);
    r.expect(0);
    assert!(ns
        .ok("ipset", &["list", "n-s0"])
        .contains("10.0.0.0/16 packets 0 bytes 0 comment \"wide\""));
}

#[test]
fn an_interrupted_resize_is_finished_by_running_it_again() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "r", "--shards", "4"]).expect(0);
    ns.mipset(&["add", "r", "10.0.0.1", "10.0.0.2", "10.0.0.5"])
        .expect(0);
    // What a resize from 8 to 4 shards killed after its umbrella swap leaves:
    // the old umbrella and two extra shards.
    ns.ok(
        "ipset",
        &[
            "create", "r-s4", "hash:ip", "hashsize", "64", "maxelem", "16384",
        ],
    );
    ns.ok(
        "ipset",
        &[
            "create", "r-s5", "hash:ip", "hashsize", "64", "maxelem", "16384",
        ],
    );
    ns.ok("ipset", &["add", "r-s5", "10.0.0.5"]);
    ns.ok("ipset", &["create", "r-t1024", "list:set", "comment"]);
    ns.ok("ipset", &["add", "r-t1024", "r-s4"]);
    // The new umbrella records them (see #11); unrecorded, they would be
    // someone else's sets.
    let meta0 = member_comment(&ns, "r", 0);
    ns.ok(
        "ipset",
        &[
            "add",
            "r",
            "r-s0",
            "comment",
            &format!("{meta0} umbrella=r-t1024 extra=4-8"),
            "-exist",
        ],
    );
    ns.mipset(&["check", "r"]).expect(1);
    let r = ns.mipset(&["resize", "r", "--shards", "4"]);
    r.expect(0);
    assert!(r.stdout.contains("repaired 3 leftovers"), "{}", r.stdout);
    ns.mipset(&["check", "r"]).expect(0);
    assert_eq!(
        ns.ok("ipset", &["list", "-n"])
            .lines()
            .filter(|l| l.starts_with("r-s4") || l.starts_with("r-t"))
            .count(),
        0
    );
    ns.mipset(&["test", "r", "10.0.0.5"]).expect(0);
}

#[test]
fn auto_grow_refuses_a_list_that_more_shards_cannot_spread() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create",
        "s",
        "--type",
        "hash:net",
        "--route",
        "bits:8",
        "--shards",
        "2",
        "--maxelem",
        "100",
    ])
    .expect(0);
    // bits:8: every host of one /24 lands in one shard, however many there are.
    let list: String = (0..150).map(|i| format!("10.0.5.{i}\n")).collect();
    let before = ns.ipset_save();
    let r = ns.mipset_stdin(&["load", "s", "-", "--auto-grow"], &list);
    r.expect(3);
    assert!(r.stderr.contains("--auto-grow cannot help"), "{}", r.stderr);
    assert_eq!(ns.ipset_save(), before);
}

#[test]
fn restore_refuses_adds_for_sets_the_dump_does_not_create() {
    if !kernel_tests_enabled() {
        return;
    }
    let a = Netns::new();
    a.mipset(&["create", "w", "--shards", "2"]).expect(0);
    a.mipset(&["add", "w", "10.0.0.1", "10.0.0.2"]).expect(0);
    let dump = a
        .mipset(&["save", "w"])
        .stdout
        .replace("add w-s1 ", "add w-s9 ");
    let b = Netns::new();
    let r = b.mipset_stdin(&["restore"], &dump);
    r.expect(2);
    assert!(
        r.stderr
            .contains("add line for set 'w-s9', which the dump does not create"),
        "{}",
        r.stderr
    );
    assert_eq!(b.ipset_save(), "");
}

/// `restore` of several families checks everything before it creates
/// anything: a set that a family would need, or a list too big for its
/// maxelem, and nothing at all is made; a dump that never ends or has no
/// lines is refused quickly. See: issue 11, finding 9.
#[test]
fn restore_validates_every_family_before_creating_any() {
    if !kernel_tests_enabled() {
        return;
    }
    let a = Netns::new();
    a.mipset(&["create", "aa", "--shards", "2"]).expect(0);
    a.mipset(&["create", "bb", "--shards", "2"]).expect(0);
    a.mipset(&["add", "aa", "10.0.0.1", "10.0.0.2"]).expect(0);
    a.mipset(&["add", "bb", "10.0.0.3", "10.0.0.4", "10.0.0.6"])
        .expect(0);
    let dump = format!(
        "{}{}",
        a.mipset(&["save", "aa"]).stdout,
        a.mipset(&["save", "bb"]).stdout
    );
    // A foreign set holds a name the second family needs.
    let b = Netns::new();
    b.ok("ipset", &["create", "bb-s1", "hash:net"]);
    let before = b.ipset_save();
    let r = b.mipset_stdin(&["restore"], &dump);
    r.expect(2);
    assert!(r.stderr.contains("needs the name bb-s1"), "{}", r.stderr);
    assert_eq!(b.ipset_save(), before, "nothing was restored");
    // A maxelem too small for the list: refused before the family exists.
    let small = dump
        .replace("maxelem=65536", "maxelem=1")
        .replace("maxelem 65536", "maxelem 1");
    assert_ne!(small, dump, "the dump carries maxelem 65536");
    let c = Netns::new();
    let r = c.mipset_stdin(&["restore"], &small);
    r.expect(3);
    assert!(r.stderr.contains("nothing was restored"), "{}", r.stderr);
    assert_eq!(c.ipset_save(), "");
    // Endless or binary input fails fast, with nothing made.
    let r = c.exec(
        "sh",
        &["-c", "exec \"$0\" restore /dev/zero", crate::util::MIPSET],
    );
    r.expect(2);
    assert!(
        r.stderr.contains("/dev/zero:1: line is longer than"),
        "{}",
        r.stderr
    );
    assert_eq!(c.ipset_save(), "");
}

/// The kernel refuses to swap or destroy a set while another process lists
/// it (EBUSY); resizes and syncs wait that out instead of failing.
#[test]
fn swaps_wait_out_concurrent_listings() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "busy", "--shards", "4"]).expect(0);
    let list: String = (0..3000u32)
        .map(|i| format!("10.{}.{}.{}\n", i % 200, i / 200, i % 250 + 1))
        .collect();
    ns.mipset_stdin(&["load", "busy", "-"], &list).expect(0);
    let script = "for i in $(seq 1 100000); do ipset list busy >/dev/null 2>&1; ipset list busy-s0 >/dev/null 2>&1; done";
    let mut lister = ns.command("sh", &["-c", script]).spawn().unwrap();
    for shards in ["8", "4", "8", "4", "8", "4"] {
        let r = ns.mipset(&["resize", "busy", "--shards", shards]);
        assert_eq!(r.code, 0, "resize to {shards}: {}", r.stderr);
        let r = ns.mipset_stdin(&["sync", "--atomic", "busy", "-"], &list);
        assert_eq!(r.code, 0, "sync: {}", r.stderr);
    }
    lister.kill().unwrap();
    lister.wait().unwrap();
    ns.mipset(&["check", "busy"]).expect(0);
}

/// Ctrl-C while a resize fills the new shards undoes it: exit 130 and the
/// family exactly as before (it left the filled extra shards behind). If
/// the signal comes too late, the resize completes; too early, mipset dies
/// of it before changing anything.
#[test]
fn an_interrupted_resize_is_undone() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "big", "--shards", "16", "--maxelem", "1000000"])
        .expect(0);
    let list: String = (0..200_000u32)
        .map(|i| format!("10.{}.{}.{}\n", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    ns.mipset_stdin(&["load", "big", "-"], &list).expect(0);
    let before = ns.ipset_save();
    let child = ns
        .mipset_command(&["resize", "big", "--shards", "64"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first new shard exists (step 1 is under way).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !ns
        .exec("ipset", &["list", "-n", "big-s16"])
        .stdout
        .contains("big-s16")
        && std::time::Instant::now() < deadline
    {}
    // ip netns exec replaces itself with mipset, so this is mipset's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(130) => {
            eprintln!("interrupted as intended: {stderr}");
            assert!(stderr.contains("undone"), "{stderr}");
            assert_eq!(ns.ipset_save(), before);
        }
        Some(0) => {
            eprintln!("the resize finished before the signal");
            ns.mipset(&["check", "big"]).expect(0);
        }
        None => assert_eq!(ns.ipset_save(), before, "killed mid-change: {stderr}"),
        other => panic!("unexpected exit {other:?}: {stderr}"),
    }
    ns.mipset(&["test", "big", "10.1.2.3"]).expect(0);
}
