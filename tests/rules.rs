//! `mipset rule`: rules are stock iptables objects, and real packets on the
//! loopback path match a family exactly as they match one set.
//!
//! Packets go only to 127.0.0.0/8 and ::1, from a thread inside the test's
//! own network namespace (see `mipset::packet`).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use mipset::packet;

use crate::util::{kernel_tests_enabled, Netns, Rng};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

/// A random address in 127.0.0.0/8, never the network or broadcast one.
fn loopback_addr(rng: &mut Rng) -> Ipv4Addr {
    let a = 0x7f00_0001 + rng.below(0x00ff_fffe) as u32;
    Ipv4Addr::from(a)
}

/// Which of `dests` arrive from `source`; fails if the receive buffer
/// dropped anything (so "not delivered" means "dropped by a rule").
fn probe(ns: &Netns, source: IpAddr, dests: Vec<IpAddr>) -> Vec<bool> {
    ns.in_thread(move || {
        let before = packet::receive_buffer_drops();
        let arrived = packet::delivered(source, &dests).expect("send packets");
        assert_eq!(
            packet::receive_buffer_drops(),
            before,
            "the receive buffer overflowed"
        );
        arrived
    })
}

fn mismatches(a: &[bool], b: &[bool]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

/// Packets matched by the family's rules, from `mipset rule list --json`.
fn matched(ns: &Netns, family: &str) -> u64 {
    let l = json(
        &ns.mipset(&["--json", "rule", "list", family])
            .expect(0)
            .stdout,
    );
    l["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["matched_packets"].as_u64().unwrap())
        .sum()
}

/// Drop packets to members of `family` in raw PREROUTING, through each
/// layout in turn, and compare what arrives with a single reference set
/// `reference` holding the same entries and with the expected answer.
fn check_layouts(
    ns: &Netns,
    family: &str,
    reference: &str,
    probes: &[IpAddr],
    expected_member: &[bool],
    layouts: &[&str],
) {
    let rule = [
        "-t",
        "raw",
        "-A",
        "PREROUTING",
        "-m",
        "set",
        "--match-set",
        reference,
        "dst",
        "-j",
        "DROP",
    ];
    ns.ok("iptables", &rule);
    let by_reference = probe(ns, "127.0.0.1".parse().unwrap(), probes.to_vec());
    let mut del = rule;
    del[2] = "-D";
    ns.ok("iptables", &del);
    let expected: Vec<bool> = expected_member.iter().map(|m| !m).collect();
    assert_eq!(
        mismatches(&by_reference, &expected),
        0,
        "the reference set itself"
    );
    let members = expected_member.iter().filter(|m| **m).count();
    assert!(
        members > probes.len() / 10 && members < probes.len() * 9 / 10,
        "{members} of {} probes are members: the test would prove little",
        probes.len()
    );
    for layout in layouts {
        ns.mipset(&[
            "rule",
            "add",
            family,
            "--table",
            "raw",
            "--chain",
            "PREROUTING",
            "--match",
            "dst",
            "--jump",
            "DROP",
            "--layout",
            layout,
        ])
        .expect(0);
        let arrived = probe(ns, "127.0.0.1".parse().unwrap(), probes.to_vec());
        assert_eq!(
            mismatches(&arrived, &by_reference),
            0,
            "{family} layout {layout}: packets matched differently from one set"
        );
        assert_eq!(
            matched(ns, family),
            members as u64,
            "{family} layout {layout}: rule counters"
        );
        ns.mipset(&["rule", "del", family, "--all"]).expect(0);
    }
}

#[test]
fn packets_match_a_hash_ip_family_like_one_set_in_every_layout() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let mut rng = Rng(5);
    let members: Vec<Ipv4Addr> = (0..3000).map(|_| loopback_addr(&mut rng)).collect();
    let member_set: HashSet<Ipv4Addr> = members.iter().copied().collect();
    let mut probes: Vec<IpAddr> = members[..2000].iter().map(|a| (*a).into()).collect();
    probes.extend((0..2000).map(|_| IpAddr::from(loopback_addr(&mut rng))));
    // Interleave hits and misses.
    for i in (1..probes.len()).rev() {
        probes.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let expected: Vec<bool> = probes
        .iter()
        .map(|p| matches!(p, IpAddr::V4(a) if member_set.contains(a)))
        .collect();
    let list: String = members.iter().map(|a| format!("{a}\n")).collect();
    ns.ok("ipset", &["create", "ref", "hash:ip"]);
    let restore: String = members.iter().map(|a| format!("add ref {a}\n")).collect();
    let r = ns.exec_stdin("ipset", &["restore"], &restore);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (name, shards, route) in [
        ("f16", "16", "bits:0"),
        ("f64", "64", "bits:5"),
        ("f1", "1", "bits:0"),
    ] {
        ns.mipset(&["create", name, "--shards", shards, "--route", route])
            .expect(0);
        ns.mipset_stdin(&["load", name, "-"], &list).expect(0);
        check_layouts(
            &ns,
            name,
            "ref",
            &probes,
            &expected,
            &["twolevel", "tree", "linear", "umbrella"],
        );
    }
}

#[test]
fn packets_match_a_hash_net_family_like_one_set_in_every_layout() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let mut rng = Rng(11);
    // Networks of /16 to /32 inside 127/8: with bits:8 and 16 shards, the
    // short ones cover several shards.
    let nets: Vec<(u32, u32)> = (0..400)
        .map(|_| {
            let len = 16 + rng.below(17) as u32;
            let mask = u32::MAX << (32 - len);
            (u32::from(loopback_addr(&mut rng)) & mask, len)
        })
        .collect();
    let contains = |a: u32| {
        nets.iter()
            .any(|&(n, len)| a & (u32::MAX << (32 - len)) == n)
    };
    let mut probes: Vec<u32> = Vec::new();
    for i in 0..2000 {
        let (n, len) = nets[i % nets.len()];
        let host = if len == 32 {
            0
        } else {
            rng.below(1 << (32 - len)) as u32
        };
        probes.push(n | host);
        probes.push(u32::from(loopback_addr(&mut rng)));
    }
    // Network and broadcast addresses of 127/8 cannot be sent to.
    probes.retain(|&a| a != 0x7f00_0000 && a != 0x7fff_ffff);
    let expected: Vec<bool> = probes.iter().map(|&a| contains(a)).collect();
    let probes: Vec<IpAddr> = probes
        .into_iter()
        .map(|a| Ipv4Addr::from(a).into())
        .collect();
    let list: String = nets
        .iter()
        .map(|&(n, len)| format!("{}/{len}\n", Ipv4Addr::from(n)))
        .collect();
    ns.ok("ipset", &["create", "ref", "hash:net"]);
    for line in list.lines() {
        ns.ok("ipset", &["add", "ref", line, "-exist"]);
    }
    for (name, shards, route) in [("n16", "16", "bits:8"), ("n4", "4", "bits:0")] {
        ns.mipset(&[
            "create", name, "--type", "hash:net", "--shards", shards, "--route", route,
        ])
        .expect(0);
        ns.mipset_stdin(&["load", name, "-"], &list).expect(0);
        check_layouts(
            &ns,
            name,
            "ref",
            &probes,
            &expected,
            &["twolevel", "tree", "linear", "umbrella"],
        );
    }
}

#[test]
fn source_matches_follow_the_packet_source() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let mut rng = Rng(3);
    ns.mipset(&["create", "src", "--shards", "8"]).expect(0);
    let sources: Vec<Ipv4Addr> = (0..160).map(|_| loopback_addr(&mut rng)).collect();
    let members: Vec<&Ipv4Addr> = sources.iter().step_by(2).collect();
    let list: String = members.iter().map(|a| format!("{a}\n")).collect();
    ns.mipset_stdin(&["load", "src", "-"], &list).expect(0);
    ns.mipset(&[
        "rule",
        "add",
        "src",
        "--table",
        "raw",
        "--chain",
        "PREROUTING",
        "--match",
        "src",
        "--jump",
        "DROP",
    ])
    .expect(0);
    for (i, s) in sources.iter().enumerate() {
        let arrived = probe(&ns, (*s).into(), vec!["127.0.0.1".parse().unwrap()]);
        assert_eq!(arrived, [i % 2 == 1], "packet from {s}");
    }
    assert_eq!(matched(&ns, "src"), members.len() as u64);
}

#[test]
fn ipv6_rules_match_on_the_loopback_path() {
    if !kernel_tests_enabled() {
        return;
    }
    // Only ::1 is reachable without routing packets off the loopback
    // interface, so one address is probed, in and out of the family, with
    // routings that put it in different shards.
    let ns = Netns::new();
    for (i, route) in ["bits:0", "bits:1", "bits:16", "bits:126"]
        .iter()
        .enumerate()
    {
        let name = format!("six{i}");
        ns.mipset(&[
            "create", &name, "--family", "inet6", "--shards", "4", "--route", route,
        ])
        .expect(0);
        ns.mipset(&["add", &name, "::2", "::5", "2001:db8::1"])
            .expect(0);
        for layout in ["twolevel", "tree", "linear", "umbrella"] {
            ns.mipset(&[
                "rule",
                "add",
                &name,
                "--table",
                "raw",
                "--chain",
                "PREROUTING",
                "--match",
                "dst",
                "--jump",
                "DROP",
                "--layout",
                layout,
            ])
            .expect(0);
            // ip6tables prints some masks IPv4-style (::0.1.0.0): re-adding
            // must still see the rule as intact.
            let again = ns.mipset(&[
                "rule",
                "add",
                &name,
                "--table",
                "raw",
                "--chain",
                "PREROUTING",
                "--match",
                "dst",
                "--jump",
                "DROP",
                "--layout",
                layout,
            ]);
            again.expect(0);
            assert!(
                again.stdout.starts_with("unchanged"),
                "{route} {layout}: {}",
                again.stdout
            );
            for member in [false, true, false] {
                let verb = if member { "add" } else { "del" };
                let r = ns.mipset(&[verb, &name, "::1", "--exist"]);
                r.expect(0);
                let arrived = probe(&ns, "::1".parse().unwrap(), vec!["::1".parse().unwrap()]);
                assert_eq!(arrived, [!member], "{route} {layout} member={member}");
            }
            assert_eq!(matched(&ns, &name), 1, "{route} {layout}");
            ns.mipset(&["rule", "del", &name, "--all"]).expect(0);
        }
    }
    let s = ns.ok("ip6tables", &["-S", "-t", "raw"]);
    assert!(!s.contains("mipset"), "{s}");
}

/// Everything `iptables-save` prints except comments and counters.
fn iptables_state(ns: &Netns, backend: &str) -> String {
    ns.ok(&format!("iptables-{backend}-save"), &[])
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{}\n", l.split(" [").next().unwrap_or(l)))
        .collect()
}

#[test]
fn rules_are_stock_iptables_objects_on_both_backends() {
    if !kernel_tests_enabled() {
        return;
    }
    for backend in ["nft", "legacy"] {
        let ns = Netns::new();
        let ipt = format!("iptables-{backend}");
        let b = ["--backend", backend];
        ns.mipset(&["create", "web", "--shards", "8"]).expect(0);
        // Somebody else's rules, one with a comment that looks like ours.
        ns.ok(
            &ipt,
            &[
                "-A",
                "INPUT",
                "-m",
                "comment",
                "--comment",
                "mipset is great",
                "-j",
                "ACCEPT",
            ],
        );
        ns.ok(&ipt, &["-N", "mine"]);
        let add = [
            "rule",
            "add",
            "web",
            "--chain",
            "INPUT",
            "--match",
            "src",
            "--jump",
            "ACCEPT",
            "--position",
            "1",
            "--backend",
            backend,
        ];
        ns.mipset(&add).expect(0);
        let s = ns.ok(&ipt, &["-S"]);
        let user_rule = s
            .lines()
            .find(|l| l.contains("mipset family=web"))
            .unwrap_or_else(|| panic!("no mipset rule in iptables -S:\n{s}"))
            .to_string();
        assert!(user_rule.starts_with("-A INPUT -m comment"), "{user_rule}");
        assert_eq!(
            s.lines().position(|l| l == user_rule),
            s.lines().position(|l| l.starts_with("-A INPUT"))
        );
        // Idempotent.
        let before = iptables_state(&ns, backend);
        let r = ns.mipset(&add);
        r.expect(0);
        assert!(r.stdout.starts_with("unchanged"), "{}", r.stdout);
        assert_eq!(iptables_state(&ns, backend), before);
        let check = [
            "rule",
            "check",
            "web",
            "--chain",
            "INPUT",
            "--match",
            "src",
            "--jump",
            "ACCEPT",
            "--backend",
            backend,
        ];
        ns.mipset(&check).expect(0);
        // Stock iptables removes it; check sees that; add puts it back.
        let mut del: Vec<String> = mipset::rules::save::split_words(&user_rule);
        del[0] = "-D".into();
        let del: Vec<&str> = del.iter().map(String::as_str).collect();
        ns.ok(&ipt, &del);
        ns.mipset(&check).expect(1);
        // Its chains are left behind: listed as orphaned, found by check.
        let l = json(
            &ns.mipset(&["--json", "rule", "list", "web"])
                .expect(0)
                .stdout,
        );
        assert_eq!(l["rules"][0]["orphan"], true, "{l}");
        let r = ns.mipset(&["check", "web"]);
        r.expect(1);
        assert!(r.stdout.contains("orphaned"), "{}", r.stdout);
        ns.mipset(&add).expect(0);
        ns.mipset(&check).expect(0);
        // A chain damaged by hand: check says so, add repairs it.
        let chain = s
            .lines()
            .filter_map(|l| l.strip_prefix("-N "))
            .find(|c| c.starts_with("mipset-") && c.ends_with("-1"))
            .expect("a group chain of the default (twolevel) layout")
            .to_string();
        ns.ok(&ipt, &["-F", &chain]);
        let r = ns.mipset(&check);
        r.expect(1);
        assert!(
            r.stderr.contains("damaged") || r.stderr.contains("stale"),
            "{}",
            r.stderr
        );
        let r = ns.mipset(&add);
        r.expect(0);
        assert!(r.stdout.starts_with("repaired"), "{}", r.stdout);
        assert_eq!(iptables_state(&ns, backend), before);
        // `mipset check` finds such damage too, and --repair fixes it.
        ns.ok(&ipt, &["-F", &chain]);
        let r = ns.mipset(&["check", "web"]);
        r.expect(1);
        assert!(r.stdout.contains("rule in filter INPUT"), "{}", r.stdout);
        ns.mipset(&["check", "--repair", "web"]).expect(0);
        assert_eq!(iptables_state(&ns, backend), before);
        let l = json(
            &ns.mipset(&["--json", "rule", "list", "--backend", backend])
                .expect(0)
                .stdout,
        );
        assert_eq!(l["backend"]["kind"], backend);
        assert_eq!(l["rules"].as_array().unwrap().len(), 1, "{l}");
        assert_eq!(l["rules"][0]["state"], "ok");
        assert_eq!(l["rules"][0]["layout"], "twolevel");
        assert_eq!(l["rules"][0]["chains"].as_array().unwrap().len(), 3);
        // Destroy refuses while the rule is there and says how to go on.
        let r = ns.mipset(&["destroy", "web", "--backend", backend]);
        r.expect(3);
        assert!(r.stderr.contains("destroy --rules"), "{}", r.stderr);
        // A rule of another layout, then del of one, then --all.
        ns.mipset(&[
            "rule",
            "add",
            "web",
            "--chain",
            "mine",
            "--match",
            "dst",
            "--jump",
            "ACCEPT",
            "--layout",
            "linear",
            "--comment",
            "web tier",
            "--backend",
            backend,
        ])
        .expect(0);
        let mut del_one = check.to_vec();
        del_one[1] = "del";
        ns.mipset(&del_one).expect(0);
        ns.mipset(&del_one).expect(1);
        let s = ns.ok(&ipt, &["-S"]);
        assert!(s.contains("note=web tier"), "{s}");
        ns.mipset(&["destroy", "web", "--rules", "--backend", backend])
            .expect(0);
        let s = ns.ok(&ipt, &["-S"]);
        assert!(!s.contains("mipset-") && !s.contains("family=web"), "{s}");
        assert!(
            s.contains("mipset is great"),
            "a foreign rule was removed:\n{s}"
        );
        assert_eq!(ns.ipset_save(), "");
        let _ = b;
    }
}

#[test]
fn bad_rule_input_is_refused_and_changes_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
    ns.mipset(&["create", "hashed", "--shards", "4", "--route", "hash"])
        .expect(0);
    let before = iptables_state(&ns, "nft");
    let base = [
        "rule", "add", "web", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
    ];
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "rule", "add", "nope", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
            ],
            2,
            "nope",
        ),
        (
            vec![
                "rule", "add", "web", "--chain", "IN PUT", "--match", "src", "--jump", "ACCEPT",
            ],
            2,
            "chain 'IN PUT'",
        ),
        (
            vec![
                "rule", "add", "web", "--chain", "INPUT", "--match", "src", "--jump", "A;B",
            ],
            2,
            "jump target",
        ),
        (
            vec![
                "rule",
                "add",
                "web",
                "--chain",
                "INPUT",
                "--match",
                "src",
                "--jump",
                "ACCEPT",
                "--comment",
                "a\"b",
            ],
            2,
            "comment",
        ),
        (
            vec![
                "rule", "add", "web", "--chain", "INPUT", "--match", "both", "--jump", "ACCEPT",
            ],
            2,
            "both",
        ),
        (
            vec!["rule", "add", "web", "--chain", "INPUT", "--match", "src"],
            2,
            "--jump",
        ),
        (
            vec![
                "rule",
                "add",
                "web",
                "--chain",
                "INPUT",
                "--match",
                "src",
                "--jump",
                "ACCEPT",
                "--position",
                "0",
            ],
            2,
            "position",
        ),
        (
            vec![
                "rule", "add", "hashed", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
            ],
            2,
            "umbrella",
        ),
        (
            vec![
                "rule", "add", "hashed", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
                "--layout", "tree",
            ],
            2,
            "umbrella",
        ),
        (
            vec![
                "rule", "add", "web", "--chain", "NOCHAIN", "--match", "src", "--jump", "ACCEPT",
            ],
            2,
            "NOCHAIN",
        ),
        (
            vec![
                "rule", "add", "web", "--chain", "INPUT", "--match", "src", "--jump", "RETURN",
            ],
            2,
            "RETURN",
        ),
        (
            vec![
                "rule", "add", "web", "--chain", "INPUT", "--match", "src", "--jump", "NOTARGET",
            ],
            3,
            "NOTARGET",
        ),
        (
            vec![
                "rule",
                "add",
                "web",
                "--chain",
                "INPUT",
                "--match",
                "src",
                "--jump",
                "ACCEPT",
                "--position",
                "9",
            ],
            3,
            "iptables",
        ),
        (
            vec![
                "rule",
                "add",
                "web",
                "--chain",
                "mipset-1234",
                "--match",
                "src",
                "--jump",
                "ACCEPT",
            ],
            2,
            "mipset-",
        ),
        (
            vec![
                "rule",
                "add",
                "web",
                "--chain",
                "INPUT",
                "--match",
                "src",
                "--jump",
                "ACCEPT",
                "--backend",
                "ebpf",
            ],
            2,
            "ebpf",
        ),
    ];
    for (args, code, needle) in cases {
        let r = ns.mipset(&args);
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        // mipset's own errors are one line (clap's usage errors add hints).
        if !r.stderr.starts_with("error:") {
            assert_eq!(r.stderr.trim().lines().count(), 1, "{args:?}: {}", r.stderr);
        }
        assert_eq!(
            iptables_state(&ns, "nft"),
            before,
            "{args:?} changed iptables"
        );
    }
    // The hashed family works with the umbrella, with a warning about cost.
    let r = ns.mipset(&[
        "rule", "add", "hashed", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
        "--layout", "umbrella",
    ]);
    r.expect(0);
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("per packet"),
        "{}",
        r.stderr
    );
    ns.mipset(&base).expect(0);
}

#[test]
fn resize_moves_dispatch_rules_along_and_packets_stay_right() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let mut rng = Rng(21);
    ns.mipset(&["create", "grow", "--shards", "4", "--maxelem", "400000"])
        .expect(0);
    let members: Vec<Ipv4Addr> = (0..20_000).map(|_| loopback_addr(&mut rng)).collect();
    let member_set: HashSet<Ipv4Addr> = members.iter().copied().collect();
    let list: String = members.iter().map(|a| format!("{a}\n")).collect();
    ns.mipset_stdin(&["load", "grow", "-"], &list).expect(0);
    let mut probes: Vec<IpAddr> = members[..300].iter().map(|a| (*a).into()).collect();
    probes.extend((0..300).map(|_| IpAddr::from(loopback_addr(&mut rng))));
    let expected: Vec<bool> = probes
        .iter()
        .map(|p| matches!(p, IpAddr::V4(a) if !member_set.contains(a)))
        .collect();
    for layout in ["twolevel", "tree"] {
        ns.mipset(&[
            "rule",
            "add",
            "grow",
            "--table",
            "raw",
            "--chain",
            "PREROUTING",
            "--match",
            "dst",
            "--jump",
            "DROP",
            "--layout",
            layout,
        ])
        .expect(0);
    }
    for shards in ["16", "2", "8"] {
        let mut resize = ns
            .mipset_command(&["resize", "grow", "--shards", shards])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut rounds = 0;
        loop {
            let arrived = probe(&ns, "127.0.0.1".parse().unwrap(), probes.clone());
            assert_eq!(
                mismatches(&arrived, &expected),
                0,
                "during resize to {shards}"
            );
            rounds += 1;
            if resize.try_wait().unwrap().is_some() {
                break;
            }
        }
        assert!(resize.wait().unwrap().success(), "resize to {shards}");
        assert!(rounds >= 1);
        let l = json(
            &ns.mipset(&["--json", "rule", "list", "grow"])
                .expect(0)
                .stdout,
        );
        for r in l["rules"].as_array().unwrap() {
            assert_eq!(r["state"], "ok", "{r}");
        }
        let arrived = probe(&ns, "127.0.0.1".parse().unwrap(), probes.clone());
        assert_eq!(
            mismatches(&arrived, &expected),
            0,
            "after resize to {shards}"
        );
    }
    ns.mipset(&["check", "grow"]).expect(0);
}

#[test]
fn rules_in_both_backends_follow_a_resize_and_go_with_destroy() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "both", "--shards", "4"]).expect(0);
    // nf_tables holds more rules, so it is the detected backend.
    for port in ["1", "2", "3"] {
        ns.ok(
            "iptables-nft",
            &["-A", "INPUT", "-p", "tcp", "--dport", port, "-j", "ACCEPT"],
        );
    }
    ns.mipset(&[
        "rule",
        "add",
        "both",
        "--chain",
        "INPUT",
        "--match",
        "src",
        "--jump",
        "ACCEPT",
        "--backend",
        "legacy",
    ])
    .expect(0);
    ns.mipset(&[
        "rule", "add", "both", "--chain", "FORWARD", "--match", "dst", "--jump", "DROP",
    ])
    .expect(0);
    ns.mipset(&["resize", "both", "--shards", "16"]).expect(0);
    let l = json(
        &ns.mipset(&["--json", "rule", "list", "both"])
            .expect(0)
            .stdout,
    );
    let rules = l["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{l}");
    let mut backends: Vec<&str> = rules
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    backends.sort_unstable();
    assert_eq!(backends, ["legacy", "nft"]);
    assert!(rules.iter().all(|r| r["state"] == "ok"), "{l}");
    ns.mipset(&["check", "both"]).expect(0);
    ns.mipset(&["resize", "both", "--shards", "2"]).expect(0);
    ns.mipset(&["check", "both"]).expect(0);
    ns.mipset(&["destroy", "--rules", "both"]).expect(0);
    for ipt in ["iptables-nft", "iptables-legacy"] {
        let s = ns.ok(ipt, &["-S"]);
        assert!(!s.contains("mipset"), "{ipt}: {s}");
    }
    assert_eq!(ns.ipset_save(), "");
}

/// The rule lines of one iptables chain that mention `needle`.
fn rules_with(ns: &Netns, ipt: &str, table: &str, needle: &str) -> Vec<String> {
    ns.ok(ipt, &["-t", table, "-S"])
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

/// `ipset save` with its lines sorted and without hash seeds (a rebuilt set
/// lists in another order, with another `initval`).
fn sorted_sets(ns: &Netns) -> Vec<String> {
    let mut lines: Vec<String> = ns
        .ipset_save()
        .lines()
        .map(|l| l.split(" initval ").next().unwrap_or(l).to_string())
        .collect();
    lines.sort_unstable();
    lines
}

/// Lines in one listing and not the other, for a short failure message.
fn differing(a: &[String], b: &[String]) -> Vec<String> {
    let only = |x: &[String], y: &[String], mark: &str| -> Vec<String> {
        x.iter()
            .filter(|l| !y.contains(l))
            .map(|l| format!("{mark} {l}"))
            .collect()
    };
    let mut d = only(a, b, "-");
    d.extend(only(b, a, "+"));
    d.truncate(20);
    d
}

/// Rules of family `family` from `rule list --json`.
fn listed(ns: &Netns, family: &str) -> Vec<serde_json::Value> {
    json(
        &ns.mipset(&["--json", "rule", "list", family])
            .expect(0)
            .stdout,
    )["rules"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_rule_deleted_by_hand_leaves_orphans_that_check_repair_and_resize_handle() {
    if !kernel_tests_enabled() {
        return;
    }
    for backend in ["nft", "legacy"] {
        let ipt = format!("iptables-{backend}");
        let ns = Netns::new();
        let mut rng = Rng(44);
        ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
        let members: Vec<Ipv4Addr> = (0..2_000).map(|_| loopback_addr(&mut rng)).collect();
        let member_set: HashSet<Ipv4Addr> = members.iter().copied().collect();
        let list: String = members.iter().map(|a| format!("{a}\n")).collect();
        ns.mipset_stdin(&["load", "web", "-"], &list).expect(0);
        let kept = [
            "rule",
            "add",
            "web",
            "--table",
            "raw",
            "--chain",
            "PREROUTING",
            "--match",
            "dst",
            "--jump",
            "DROP",
            "--backend",
            backend,
        ];
        let by_hand = [
            "rule",
            "add",
            "web",
            "--chain",
            "INPUT",
            "--match",
            "src",
            "--jump",
            "ACCEPT",
            "--backend",
            backend,
        ];
        ns.mipset(&kept).expect(0);
        ns.mipset(&by_hand).expect(0);
        // Stock iptables removes the user's rule; its chains stay behind.
        ns.ok(&ipt, &["-D", "INPUT", "1"]);
        let l = listed(&ns, "web");
        assert!(l.iter().any(|r| r["orphan"] == true), "{backend}: {l:?}");
        ns.mipset(&["check", "web"]).expect(1);
        ns.mipset(&["check", "--repair", "web"]).expect(0);
        let l = listed(&ns, "web");
        assert_eq!(l.len(), 1, "{backend}: {l:?}");
        assert_eq!(l[0]["state"], "ok", "{backend}: {l:?}");
        assert_eq!(
            rules_with(&ns, &ipt, "filter", "mipset"),
            Vec::<String>::new()
        );
        ns.mipset(&["check", "web"]).expect(0);

        // Again, then resize: every rule and the umbrella move, the
        // orphaned chains go.
        ns.mipset(&by_hand).expect(0);
        ns.ok(&ipt, &["-D", "INPUT", "1"]);
        ns.mipset(&["resize", "web", "--shards", "8"]).expect(0);
        let l = listed(&ns, "web");
        assert_eq!(l.len(), 1, "{backend}: {l:?}");
        assert_eq!(l[0]["state"], "ok", "{backend}: {l:?}");
        assert_eq!(
            rules_with(&ns, &ipt, "filter", "mipset"),
            Vec::<String>::new()
        );
        let d = json(&ns.mipset(&["--json", "list", "web"]).expect(0).stdout);
        assert!(d.to_string().contains("\"shards\":8"), "{d}");
        ns.mipset(&["check", "web"]).expect(0);
        // The packet path and `mipset test` agree.
        let mut probes: Vec<IpAddr> = members[..200].iter().map(|a| (*a).into()).collect();
        probes.extend((0..200).map(|_| IpAddr::from(loopback_addr(&mut rng))));
        let expected: Vec<bool> = probes
            .iter()
            .map(|p| matches!(p, IpAddr::V4(a) if !member_set.contains(a)))
            .collect();
        let arrived = probe(&ns, "127.0.0.1".parse().unwrap(), probes.clone());
        assert_eq!(mismatches(&arrived, &expected), 0, "{backend}");
        for p in &probes[..5] {
            ns.mipset(&["test", "web", &p.to_string()]).expect(0);
        }
    }
}

#[test]
fn a_resize_the_rules_cannot_follow_changes_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    for backend in ["nft", "legacy"] {
        let ipt = format!("iptables-{backend}");
        let ns = Netns::new();
        let mut rng = Rng(45);
        ns.mipset(&["create", "web", "--shards", "16"]).expect(0);
        let list: String = (0..3_000)
            .map(|_| format!("{}\n", loopback_addr(&mut rng)))
            .collect();
        ns.mipset_stdin(&["load", "web", "-"], &list).expect(0);
        ns.mipset(&[
            "rule",
            "add",
            "web",
            "--chain",
            "INPUT",
            "--match",
            "src",
            "--jump",
            "ACCEPT",
            "--backend",
            backend,
        ])
        .expect(0);
        // Someone else's rule uses a group chain that 4 shards no longer
        // need, so the rules cannot be rewritten for 4 shards.
        let base = rules_with(&ns, &ipt, "filter", "-A INPUT")[0]
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string();
        ns.ok(&ipt, &["-A", "FORWARD", "-j", &format!("{base}-3")]);
        let sets = sorted_sets(&ns);
        let rules = iptables_state(&ns, backend);
        let r = ns.mipset(&["resize", "web", "--shards", "4"]);
        r.expect(3);
        assert!(r.stderr.contains("nothing was changed"), "{}", r.stderr);
        let after = sorted_sets(&ns);
        assert!(
            after == sets,
            "{backend}: the sets changed: {:?}",
            differing(&sets, &after)
        );
        assert_eq!(
            iptables_state(&ns, backend),
            rules,
            "{backend}: the rules changed"
        );
        ns.mipset(&["check", "web"]).expect(0);
    }
}

#[test]
fn rules_that_only_carry_a_mipset_comment_are_never_touched() {
    if !kernel_tests_enabled() {
        return;
    }
    for backend in ["nft", "legacy"] {
        let ipt = format!("iptables-{backend}");
        let ns = Netns::new();
        ns.mipset(&["create", "web", "--shards", "4"]).expect(0);
        let real = [
            "rule",
            "add",
            "web",
            "--chain",
            "INPUT",
            "--match",
            "src",
            "--jump",
            "ACCEPT",
            "--backend",
            backend,
        ];
        ns.mipset(&real).expect(0);
        // Forged marks: a dispatch comment on a plain ACCEPT, and an
        // umbrella comment on a rule that is not the planned one.
        ns.ok(
            &ipt,
            &[
                "-A",
                "INPUT",
                "-s",
                "127.0.0.2/32",
                "-m",
                "comment",
                "--comment",
                "mipset family=web match=src jump=ACCEPT layout=twolevel",
                "-j",
                "ACCEPT",
            ],
        );
        ns.ok(
            &ipt,
            &[
                "-A",
                "INPUT",
                "-p",
                "tcp",
                "-m",
                "comment",
                "--comment",
                "mipset family=web match=dst jump=DROP layout=umbrella",
                "-j",
                "DROP",
            ],
        );
        let forged = |ns: &Netns| -> Vec<String> {
            rules_with(ns, &ipt, "filter", "-A INPUT")
                .into_iter()
                .filter(|l| !l.contains("-j mipset-"))
                .collect()
        };
        let before = forged(&ns);
        assert_eq!(before.len(), 2, "{before:?}");
        let l = listed(&ns, "web");
        assert_eq!(
            l.iter().filter(|r| r["foreign"] == true).count(),
            2,
            "{backend}: {l:?}"
        );
        assert!(l.iter().any(|r| r["state"] == "ok"), "{l:?}");
        // Each command that removes or rewrites mipset's rules leaves them.
        ns.mipset(&["check", "web"]).expect(0);
        ns.mipset(&["check", "--repair", "web"]).expect(0);
        ns.mipset(&["resize", "web", "--shards", "8"]).expect(0);
        assert_eq!(forged(&ns), before, "{backend}: after resize");
        ns.mipset(&["rule", "del", "web", "--all"]).expect(0);
        assert_eq!(forged(&ns), before, "{backend}: after rule del --all");
        ns.mipset(&real).expect(0);
        ns.mipset(&[
            "rule", "del", "web", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
        ])
        .expect(0);
        ns.mipset(&[
            "rule", "del", "web", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
        ])
        .expect(1);
        assert_eq!(forged(&ns), before, "{backend}: after rule del");
        ns.mipset(&real).expect(0);
        let r = ns.mipset(&["destroy", "--rules", "web"]);
        r.expect(0);
        assert!(r.stderr.contains("removed 1 mipset rule"), "{}", r.stderr);
        assert_eq!(forged(&ns), before, "{backend}: after destroy --rules");
        assert!(!ns.ok(&ipt, &["-S"]).contains("-j mipset-"));
    }
}

#[test]
fn rule_check_without_layout_names_the_layout_it_found() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "8"]).expect(0);
    let rule = [
        "web", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
    ];
    let add: Vec<&str> = ["rule", "add"]
        .iter()
        .chain(&rule)
        .chain(&["--layout", "tree"])
        .copied()
        .collect();
    ns.mipset(&add).expect(0);
    let check: Vec<&str> = ["rule", "check"].iter().chain(&rule).copied().collect();
    let r = ns.mipset(&check);
    r.expect(0);
    assert!(r.stdout.contains("(tree layout, 8 shards)"), "{}", r.stdout);
    let json_check: Vec<&str> = ["--json"].iter().chain(&check).copied().collect();
    let j = json(&ns.mipset(&json_check).expect(0).stdout);
    assert_eq!(j["rule"]["layout"], "tree", "{j}");
}

/// iptables-save spells out REJECT's default `--reject-with`; a REJECT rule
/// of every layout is still mipset's and intact, for IPv4 and IPv6 (#14).
#[test]
fn reject_rules_read_back_intact_in_every_layout() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    for (family, addr_family) in [("rej", "inet"), ("rej6", "inet6")] {
        ns.mipset(&["create", family, "--shards", "4", "--family", addr_family])
            .expect(0);
        for layout in ["twolevel", "linear", "tree", "umbrella"] {
            let rule = [
                "--chain", "INPUT", "--match", "src", "--jump", "REJECT", "--layout", layout,
            ];
            let with = |verb: &'static str| [&["rule", verb, family][..], &rule[..]].concat();
            ns.mipset(&with("add")).expect(0);
            let saved = ns.ok(
                if addr_family == "inet" {
                    "iptables-save"
                } else {
                    "ip6tables-save"
                },
                &["-t", "filter"],
            );
            assert!(saved.contains("--reject-with"), "{saved}");
            ns.mipset(&with("check")).expect(0);
            let list = ns.mipset(&["rule", "list", family, "--json"]);
            list.expect(0);
            assert!(
                json(&list.stdout).to_string().contains("\"ok\""),
                "{layout}: {}",
                list.stdout
            );
            ns.mipset(&with("del")).expect(0);
        }
    }
}

/// One mipset rule per identity (table, chain, family, match, jump):
/// `rule add` with another --layout replaces the installed rule in its
/// place, keeps its comment and removes its dispatch chains; other rules,
/// mipset's or not, are left alone.
#[test]
fn rule_add_with_another_layout_replaces_the_rule_in_place() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "web", "--shards", "8"]).expect(0);
    ns.ok(
        "iptables",
        &["-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"],
    );
    let rule = [
        "web", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
    ];
    let add = |extra: &[&str]| -> Vec<String> {
        ["rule", "add"]
            .iter()
            .chain(&rule)
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ns.mipset(&args)
    };
    run(&add(&["--layout", "tree", "--comment", "keep-me"])).expect(0);
    // Another identity (jump DROP) and a rule of the user's after it.
    ns.mipset(&[
        "rule", "add", "web", "--chain", "INPUT", "--match", "dst", "--jump", "DROP", "--layout",
        "tree",
    ])
    .expect(0);
    ns.ok(
        "iptables",
        &["-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"],
    );
    let before = listed(&ns, "web");
    assert_eq!(before.len(), 2, "{before:?}");
    let accept = |rules: &[serde_json::Value]| -> serde_json::Value {
        let mine: Vec<&serde_json::Value> =
            rules.iter().filter(|r| r["jump"] == "ACCEPT").collect();
        assert_eq!(mine.len(), 1, "one rule per identity: {rules:?}");
        mine[0].clone()
    };
    let old = accept(&before);
    assert_eq!(old["position"], 2, "{old}");
    let old_chains: Vec<String> = old["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(!old_chains.is_empty(), "{old}");
    let drop_rule = before.iter().find(|r| r["jump"] == "DROP").unwrap().clone();

    for (layout, was) in [
        ("linear", "tree"),
        ("umbrella", "linear"),
        ("twolevel", "umbrella"),
    ] {
        let r = run(&add(&["--layout", layout]));
        r.expect(0);
        assert!(
            r.stdout.starts_with(&format!(
                "replaced the {was} layout with: filter INPUT -m set web src -j ACCEPT ({layout} layout, 8 shards)"
            )),
            "{}",
            r.stdout
        );
        let now = listed(&ns, "web");
        assert_eq!(now.len(), 2, "{now:?}");
        let new = accept(&now);
        assert_eq!(new["layout"], layout, "{new}");
        assert_eq!(new["position"], 2, "in the old rule's place: {new}");
        assert_eq!(new["note"], "keep-me", "{new}");
        assert_eq!(new["state"], "ok", "{new}");
        // The other identity is untouched.
        let drop_now = now.iter().find(|r| r["jump"] == "DROP").unwrap();
        assert_eq!(drop_now["chains"], drop_rule["chains"]);
        assert_eq!(drop_now["layout"], "tree");
        // No mipset chain is left that no rule of ours uses.
        let used: Vec<String> = now
            .iter()
            .flat_map(|r| r["chains"].as_array().unwrap().clone())
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        for line in ns.ok("iptables", &["-S"]).lines() {
            if let Some(chain) = line.strip_prefix("-N ") {
                if chain.starts_with("mipset-") {
                    assert!(used.iter().any(|c| c == chain), "left over: {chain}");
                }
            }
        }
        // check agrees: the new layout is there, the old one is not.
        ns.mipset(&[
            "rule", "check", "web", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
            "--layout", layout,
        ])
        .expect(0);
        ns.mipset(&[
            "rule", "check", "web", "--chain", "INPUT", "--match", "src", "--jump", "ACCEPT",
            "--layout", was,
        ])
        .expect(1);
        // The same command again changes nothing.
        let r = run(&add(&["--layout", layout]));
        r.expect(0);
        assert!(r.stdout.starts_with("unchanged: "), "{}", r.stdout);
    }
    // The user's rules are where they were.
    let rules = rules_with(&ns, "iptables", "filter", "-A INPUT");
    assert!(rules[0].contains("--dport 22"), "{rules:?}");
    assert!(rules[3].contains("--dport 80"), "{rules:?}");
    let chains = ns.ok("iptables", &["-S"]);
    for chain in old_chains {
        assert!(!chains.contains(&format!("-N {chain}\n")), "{chains}");
    }
}
