//! Invariants 2 and 3: a family is plain kernel state that stock tools list,
//! test and remove, and an `ipset save` from one node restored on another
//! (here: another namespace) is a working family there.

use crate::util::{kernel_tests_enabled, Netns};

#[test]
fn stock_ipset_sees_tests_and_removes_a_family() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create", "web", "--shards", "8", "--type", "hash:net", "--route", "bits:0",
    ])
    .expect(0);
    ns.mipset(&["add", "web", "10.0.0.0/30", "10.0.0.9"])
        .expect(0);
    // /30 with bits:0 and 8 shards: tags 0..3 (bits 0 and 1 free).
    for shard in ["web-s0", "web-s1", "web-s2", "web-s3"] {
        ns.ok("ipset", &["test", shard, "10.0.0.0/30"]);
    }
    assert_ne!(ns.exec("ipset", &["test", "web-s4", "10.0.0.0/30"]).code, 0);
    ns.ok("ipset", &["test", "web-s1", "10.0.0.9"]);
    // The umbrella is an ordinary list:set whose members are the shards.
    ns.ok("ipset", &["test", "web", "web-s1"]);
    let listing = ns.ok("ipset", &["list", "web"]);
    assert!(listing.contains("Type: list:set"), "{listing}");
    assert!(
        listing.contains("web-s7 comment \"mipset:v1 shard=7/8 type=hash:net"),
        "{listing}"
    );
    // Names are within the kernel's 31 characters and [A-Za-z0-9_.-].
    let long = "a".repeat(25);
    ns.mipset(&["create", &long, "--shards", "1024", "--maxelem", "1024"])
        .expect(0);
    let names = ns.ok("ipset", &["list", "-n"]);
    assert!(names.lines().any(|n| n == format!("{long}-s1023")));
    for n in names.lines() {
        assert!(
            n.len() <= 31
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
            "{n}"
        );
    }
    // Stock tools remove it: umbrella first, then the shards.
    ns.ok("ipset", &["destroy", "web"]);
    for i in 0..8 {
        ns.ok("ipset", &["destroy", &format!("web-s{i}")]);
    }
    ns.mipset(&["list", "web"]).expect(2);
}

#[test]
fn ipset_save_on_one_node_restores_a_working_family_on_another() {
    if !kernel_tests_enabled() {
        return;
    }
    let a = Netns::new();
    a.mipset(&[
        "create",
        "pods",
        "--shards",
        "16",
        "--family",
        "inet6",
        "--comment",
    ])
    .expect(0);
    a.mipset(&[
        "add",
        "pods",
        "2001:db8::1",
        "2001:db8::2",
        "2001:db8::ff",
        "--comment",
        "from node a",
    ])
    .expect(0);
    a.mipset(&["create", "other", "--type", "hash:net", "--shards", "4"])
        .expect(0);
    a.mipset(&["add", "other", "10.2.0.0/16"]).expect(0);
    let dump = a.ipset_save();
    let listed_a = a.mipset(&["--json", "list"]).stdout;

    let b = Netns::new();
    let r = b.exec_stdin("ipset", &["restore"], &dump);
    assert_eq!(r.code, 0, "ipset restore failed for:\n{dump}{}", r.stderr);

    assert_eq!(b.mipset(&["--json", "list"]).stdout, listed_a);
    b.mipset(&["test", "pods", "2001:db8::ff"]).expect(0);
    b.mipset(&["test", "pods", "2001:db8::3"]).expect(1);
    b.mipset(&["test", "other", "10.2.200.1"]).expect(0);
    b.mipset(&["add", "pods", "2001:db8::3"]).expect(0);
    b.mipset(&["destroy", "pods"]).expect(0);
    assert_eq!(
        b.ipset_save(),
        a.ipset_save()
            .lines()
            .filter(|l| !l.contains("pods"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
}

#[test]
fn mipset_save_restores_with_stock_ipset_on_another_node() {
    if !kernel_tests_enabled() {
        return;
    }
    let a = Netns::new();
    a.mipset(&[
        "create",
        "web",
        "--shards",
        "4",
        "--comment",
        "--timeout",
        "0",
    ])
    .expect(0);
    a.mipset(&["add", "web", "192.0.2.1", "192.0.2.2", "--comment", "x y"])
        .expect(0);
    a.mipset(&["create", "other"]).expect(0);
    let dump = a.mipset(&["save", "web"]);
    dump.expect(0);
    assert!(!dump.stdout.contains("other"), "{}", dump.stdout);
    let b = Netns::new();
    let r = b.exec_stdin("ipset", &["restore"], &dump.stdout);
    assert_eq!(r.code, 0, "restore failed:\n{}{}", dump.stdout, r.stderr);
    assert_eq!(
        b.mipset(&["--json", "list", "web"]).stdout,
        a.mipset(&["--json", "list", "web"]).stdout
    );
    b.mipset(&["test", "web", "192.0.2.2"]).expect(0);
    assert_eq!(b.mipset(&["save", "web"]).stdout, dump.stdout);
}
