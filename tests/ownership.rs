//! Invariant 7, "only what is ours" (issue 11, findings 6 and 7): mipset
//! changes or destroys only sets its kernel metadata records as its own. A
//! set that merely has a leftover-like name, or a hand-made list:set with a
//! mipset-like comment, is reported and never touched.

use crate::util::{kernel_tests_enabled, Netns};

/// The members of `set`, as `ipset save` lines.
fn saved(ns: &Netns, set: &str) -> String {
    ns.ok("ipset", &["save", set])
}

/// A user's set named like a temporary (`web-t1`, the family's type, with
/// data, unreferenced) survives load, sync and check --repair, which pick
/// other temporary names for their rebuilds.
#[test]
fn a_users_set_named_like_a_temporary_is_never_touched() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    ns.ok("ipset", &["create", "web-t1", "hash:ip"]);
    ns.ok("ipset", &["add", "web-t1", "10.9.9.9"]);
    let mine = saved(&ns, "web-t1");
    // Empty shards are rebuilt: every shard gets a temporary.
    let list = "10.0.0.0\n10.0.0.1\n10.0.0.2\n10.0.0.3\n";
    ns.mipset_stdin(&["load", "web", "-"], list).expect(0);
    assert_eq!(saved(&ns, "web-t1"), mine);
    ns.mipset_stdin(&["sync", "web", "-", "--atomic"], "10.0.0.5\n10.0.0.6\n")
        .expect(0);
    assert_eq!(saved(&ns, "web-t1"), mine);
    ns.mipset(&["test", "web", "10.0.0.5"]).expect(0);
    ns.mipset(&["test", "web", "10.0.0.1"]).expect(1);
    // check reports it as a look-alike; the family itself is healthy.
    let r = ns.mipset(&["check", "web", "--repair"]);
    r.expect(0);
    assert!(r.stdout.contains("look-alike: web-t1"), "{}", r.stdout);
    assert_eq!(saved(&ns, "web-t1"), mine);
    // No temporary of mipset's is left, and the metadata records none.
    let all = ns.ipset_save();
    assert!(!all.contains("temp="), "{all}");
    let temps: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("create web-t"))
        .collect();
    assert_eq!(temps.len(), 1, "{all}");
}

/// A user's `web-s20` (past the shard count, the family's type) is not an
/// "extra shard" to check --repair, and blocks a resize that would need its
/// name instead of being replaced.
#[test]
fn a_users_set_named_like_an_extra_shard_is_never_touched() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "16"]).expect(0);
    ns.ok("ipset", &["create", "web-s20", "hash:ip"]);
    ns.ok("ipset", &["add", "web-s20", "10.7.7.7"]);
    let before = ns.ipset_save();
    let r = ns.mipset(&["check", "web", "--repair"]);
    r.expect(0);
    assert!(r.stdout.contains("look-alike: web-s20"), "{}", r.stdout);
    assert_eq!(ns.ipset_save(), before);
    let r = ns.mipset(&["resize", "web", "--shards", "32"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("web-s20") && r.stderr.contains("nothing was changed"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before);
}

/// resize used `FAMILY-t1024` for the old umbrella and destroyed whatever
/// held that name; now it takes a free name and leaves the user's set.
#[test]
fn resize_leaves_a_users_set_named_like_its_old_umbrella() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "16"]).expect(0);
    ns.mipset_stdin(&["load", "web", "-"], "10.0.0.1\n10.0.0.2\n10.0.0.17\n")
        .expect(0);
    ns.ok("ipset", &["create", "web-t1024", "hash:net"]);
    ns.ok("ipset", &["add", "web-t1024", "10.8.0.0/16"]);
    ns.ok("ipset", &["create", "web-t0", "list:set"]);
    let (a, b) = (saved(&ns, "web-t1024"), saved(&ns, "web-t0"));
    ns.mipset(&["resize", "web", "--shards", "64"]).expect(0);
    ns.mipset(&["resize", "web", "--shards", "8"]).expect(0);
    assert_eq!((saved(&ns, "web-t1024"), saved(&ns, "web-t0")), (a, b));
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.17"] {
        ns.mipset(&["test", "web", ip]).expect(0);
    }
    let all = ns.ipset_save();
    assert!(
        !all.contains("temp=") && !all.contains("umbrella="),
        "{all}"
    );
    ns.mipset(&["check", "web"]).expect(0);
}

/// What a killed run recorded in the umbrella is removed by the next run
/// (and by check --repair); a recorded name now held by another kind of set
/// is left alone.
#[test]
fn recorded_leftovers_of_a_killed_run_are_cleaned() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    // The metadata comment mipset wrote for member i.
    let umbrella = saved(&ns, "web");
    let meta = |i: u32| {
        let line = umbrella
            .lines()
            .find(|l| l.starts_with(&format!("add web web-s{i} ")))
            .expect("member line");
        line.split('"').nth(1).expect("comment").to_string()
    };
    // A load killed while filling web-t3 for shard 2.
    ns.ok("ipset", &["create", "web-t3", "hash:ip"]);
    ns.ok("ipset", &["add", "web-t3", "10.0.0.2"]);
    let c = format!("{} temp=web-t3", meta(2));
    ns.ok("ipset", &["add", "web", "web-s2", "comment", &c, "-exist"]);
    // The family still reads as healthy apart from the leftover.
    ns.mipset(&["test", "web", "10.0.0.2"]).expect(1);
    let r = ns.mipset(&["check", "web"]);
    r.expect(1);
    assert!(r.stdout.contains("temporary: web-t3"), "{}", r.stdout);
    ns.mipset_stdin(&["load", "web", "-"], "10.0.0.1\n")
        .expect(0);
    let all = ns.ipset_save();
    assert!(!all.contains("web-t3") && !all.contains("temp="), "{all}");
    ns.mipset(&["check", "web"]).expect(0);

    // A resize to 8 killed after creating web-s4..web-s7 (recorded with the
    // prepared umbrella web-t0); web-s6 was since replaced by a user's set
    // of another type.
    let c = format!("{} umbrella=web-t0 extra=4-8", meta(0));
    ns.ok("ipset", &["add", "web", "web-s0", "comment", &c, "-exist"]);
    for j in [4, 5, 7] {
        ns.ok("ipset", &["create", &format!("web-s{j}"), "hash:ip"]);
    }
    ns.ok("ipset", &["create", "web-s6", "hash:net"]);
    ns.ok("ipset", &["create", "web-t0", "list:set"]);
    ns.ok("ipset", &["add", "web-t0", "web-s4"]);
    let r = ns.mipset(&["check", "web", "--repair"]);
    r.expect(0);
    assert!(r.stdout.contains("look-alike: web-s6"), "{}", r.stdout);
    let all = ns.ipset_save();
    for gone in ["web-t0", "web-s4", "web-s5", "web-s7", "umbrella="] {
        assert!(!all.contains(gone), "{gone}: {all}");
    }
    assert!(all.contains("create web-s6 hash:net"), "{all}");
}

/// A hand-made list:set with one valid-looking member comment and a
/// foreign member is not a family: check --repair reports it and changes
/// nothing (it used to adopt it and take the foreign member out).
#[test]
fn a_hand_made_list_set_is_not_repaired_into_a_family() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok("ipset", &["create", "web-s0", "hash:ip"]);
    ns.ok("ipset", &["create", "mine", "hash:ip"]);
    ns.ok("ipset", &["create", "web", "list:set", "comment"]);
    let c = "mipset:v1 shard=0/2 type=hash:ip family=inet route=bits:0 hashsize=64 maxelem=4096 timeout=none counters=0 comment=0";
    ns.ok("ipset", &["add", "web", "web-s0", "comment", c]);
    ns.ok("ipset", &["add", "web", "mine", "comment", "my own set"]);
    let before = ns.ipset_save();
    for args in [
        &["check", "web", "--repair"][..],
        &["check", "web"],
        &["load", "web", "/dev/null"],
        &["resize", "web", "--shards", "4"],
    ] {
        let r = ns.mipset(args);
        r.expect(2);
        assert!(
            r.stderr.contains("is not a mipset family"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert_eq!(ns.ipset_save(), before);
}
