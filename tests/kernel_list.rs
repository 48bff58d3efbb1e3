//! `kernel::list` reads set headers, members and `ipset save` text over
//! mipset's own netlink, and must give exactly what the stock `ipset list`
//! (parsed by `listing::parse`, which the libipset path used before) and
//! `ipset save` give, over a varied population made with the stock `ipset`
//! command. Each test runs in its own named network namespace; the library
//! code runs on a thread inside it.
//!
//! Element timeouts tick while the sets are read, so every comparison reads
//! the reference before and after the code under test and only judges a
//! round in which the two reference readings agree (nothing changed in
//! between, so the middle reading must equal them).

use std::fmt::Debug;
use std::process::Command;

use mipset::error::KernelErrorKind;
use mipset::kernel::list;
use mipset::listing::{self, SetInfo};

use crate::util::{kernel_tests_enabled, Netns, Rng};

/// `ipset save [NAME]` inside namespace `ns`, run from any thread.
fn stock_save(ns: &str, name: &str) -> String {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "ipset", "save", name])
        .output()
        .expect("run ipset save");
    assert!(out.status.success(), "ipset save {name}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `ipset list ARGS...` inside namespace `ns`, parsed.
fn stock_list(ns: &str, args: &[&str]) -> Vec<SetInfo> {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "ipset", "list"])
        .args(args)
        .output()
        .expect("run ipset list");
    assert!(out.status.success(), "ipset list {args:?}: {out:?}");
    listing::parse(&String::from_utf8(out.stdout).expect("UTF-8")).expect("parse")
}

/// Compare `mine` with `reference` once a round of reference readings
/// agrees (see the module doc).
#[track_caller]
fn settled<T: PartialEq + Debug>(what: &str, reference: impl Fn() -> T, mine: impl Fn() -> T) {
    for _ in 0..20 {
        let before = reference();
        let got = mine();
        if reference() == before {
            assert_eq!(
                got, before,
                "{what}: netlink (left) differs from reference (right)"
            );
            return;
        }
    }
    panic!("{what}: the reference kept changing over 20 rounds");
}

/// The comments elements and members get: spaces, shell-ish characters,
/// everything but `"` and control characters (which mipset refuses).
const COMMENTS: &[&str] = &[
    "plain",
    "two  spaces and trailing ",
    " leading",
    "$(rm -rf /) `id` $HOME ${X}",
    "'single' ; & | < > * ? # ! ~ {} [] % \\ back\\slash",
    "mipset:v1 shard=3/8 type=hash:net",
    "=",
    "ünïcödé",
];

/// Stock-ipset sets mipset reads members and save text of, as a restore
/// script, with their names.
fn population(rng: &mut Rng) -> (String, Vec<&'static str>) {
    let mut s = String::new();
    let mut add = |line: String| {
        s.push_str(&line);
        s.push('\n');
    };
    let sets: &[(&str, &str)] = &[
        ("h4", "hash:ip"),
        (
            "h4x",
            "hash:ip hashsize 64 maxelem 1000 timeout 600 counters comment",
        ),
        ("h6", "hash:ip family inet6 hashsize 2048"),
        ("h6c", "hash:ip family inet6 comment"),
        ("hmask", "hash:ip netmask 24 forceadd skbinfo"),
        ("hbits", "hash:ip bitmask 255.255.0.255"),
        ("n4", "hash:net"),
        ("n4x", "hash:net timeout 300 counters comment"),
        ("n6", "hash:net family inet6 maxelem 4096"),
        ("n6c", "hash:net family inet6 counters comment"),
        ("t0", "hash:net family inet6 timeout 0"),
        ("empty", "hash:ip family inet6 counters"),
        ("u", "list:set size 16 comment"),
        ("u2", "list:set"),
        ("u3", "list:set size 8 timeout 100 counters comment"),
    ];
    for (name, create) in sets {
        add(format!("create {name} {create}"));
    }
    let comment = |rng: &mut Rng| COMMENTS[rng.below(COMMENTS.len() as u64) as usize];
    for i in 0..60u32 {
        let v4 = std::net::Ipv4Addr::from(0x0a00_0000 + rng.below(1 << 24) as u32);
        let v6 = std::net::Ipv6Addr::from(
            0x2001_0db8u128 << 96 | u128::from(i) << 40 | rng.u128() >> 100,
        );
        add(format!("add h4 {v4}"));
        let t = [0, 100, 300, 599][i as usize % 4];
        let c = comment(rng);
        add(format!(
            "add h4x {v4} timeout {t} packets {i} bytes {} comment \"{c}\"",
            i * 1500
        ));
        add(format!("add h6 {v6}"));
        add(format!("add n4 {v4}/{}", 8 + i % 25));
        let nomatch = if i % 3 == 0 { " nomatch" } else { "" };
        add(format!(
            "add n4x {v4}/{}{nomatch} comment \"{c}\"",
            1 + i % 32
        ));
        add(format!("add n6 {v6}/{}{nomatch}", 1 + (i * 7) % 128));
        add(format!(
            "add n6c {v6}/{} packets 9 bytes 99{nomatch} comment \"{c}\"",
            16 + i % 113
        ));
        if i % 2 == 0 {
            add(format!("add h6c {v6} comment \"{c}\""));
            add(format!("add t0 {v6}/64 timeout {}", i * 10));
        }
    }
    // Addresses glibc prints in its own way (see render::ip_text).
    for a in [
        "::1.2.3.4",
        "::ffff:1.2.3.4",
        "::1",
        "1::",
        "2001:db8:0:0:1:0:0:1",
        "::0.0.1.0",
        "fe80::1",
    ] {
        add(format!("add h6 {a}"));
        add(format!("add h6c {a} comment \"{a}\""));
    }
    add("add n6 ::/1".into());
    add("add n6 2001:db8::1/128 nomatch".into());
    add("add n4 0.0.0.0/1".into());
    add("add n4 192.0.2.1/32".into());
    add("add hmask 192.0.2.77 skbmark 0x10/0xff skbprio 1:2 skbqueue 3".into());
    add("add hmask 198.51.100.1 skbmark 0x20".into());
    add("add hbits 10.20.30.40".into());
    add("add u h4 comment \"mipset:v1 shard=0/2 type=hash:ip\"".into());
    add("add u n4 comment \"$(x) 'y' ; z\"".into());
    add("add u h6".into());
    add("add u2 n6".into());
    add("add u2 h6c".into());
    add("add u3 n4x timeout 50 comment \"a b\"".into());
    add("add u3 empty".into());
    let names = sets.iter().map(|(n, _)| *n).collect();
    (s, names)
}

/// Other types: headers and (empty) save text only. A type this kernel
/// lacks is left out.
const FOREIGN: &[(&str, &str)] = &[
    ("fport", "bitmap:port range 1-1000 counters"),
    ("fip", "bitmap:ip range 10.0.0.0/16 netmask 24 timeout 5"),
    ("fipmac", "bitmap:ip,mac range 10.0.0.0-10.0.0.255"),
    ("fipport", "hash:ip,port netmask 24"),
    ("fnetiface", "hash:net,iface family inet6 comment"),
    ("fnetport", "hash:net,port hashsize 128"),
];

/// A namespace holding the population (and whichever foreign sets this
/// kernel supports): its name, the names of all sets, of the foreign ones.
fn populated(seed: u64) -> (Netns, Vec<String>, Vec<String>) {
    let ns = Netns::new();
    let (script, names) = population(&mut Rng(seed));
    // -exist: random entries may repeat (a later one replaces an earlier).
    let r = ns.exec_stdin("ipset", &["-exist", "restore"], &script);
    assert_eq!(r.code, 0, "restore failed: {}\n{script}", r.stderr);
    let mut foreign = Vec::new();
    for (name, create) in FOREIGN {
        let mut args = vec!["create", name];
        args.extend(create.split(' '));
        let r = ns.exec("ipset", &args);
        if r.code == 0 {
            foreign.push(name.to_string());
        } else {
            eprintln!("left out {create}: {}", r.stderr.trim());
        }
    }
    let mut all: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    all.extend(foreign.iter().cloned());
    (ns, all, foreign)
}

#[test]
fn headers_equal_the_stock_listing() {
    if !kernel_tests_enabled() {
        return;
    }
    let (ns, names, _) = populated(0x11);
    let ns_name = ns.name.clone();
    ns.in_thread(move || {
        let lib = |name: Option<&str>| match name {
            Some(n) => stock_list(&ns_name, &["-t", n]),
            None => stock_list(&ns_name, &["-t"]),
        };
        settled("all headers", || lib(None), || list::headers(None).unwrap());
        let all = list::headers(None).unwrap();
        let listed: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(listed.len(), names.len(), "{listed:?}");
        for name in &names {
            let one = Some(name.as_str());
            settled(name, || lib(one), || list::headers(one).unwrap());
        }
        // Spot checks that the reference parsed what it should.
        let h4x = &list::headers(Some("h4x")).unwrap()[0];
        assert_eq!(h4x.header_num("maxelem"), Some(1000));
        assert!(h4x.header_flag("counters") && h4x.header_flag("comment"));
        assert_eq!(h4x.header.get("initval").map(String::len), Some(10));
        let u = &list::headers(Some("u")).unwrap()[0];
        assert_eq!(
            (u.set_type.as_str(), u.header_num("size")),
            ("list:set", Some(16))
        );
        assert_eq!((u.entries, u.members.is_none()), (3, true));
        assert_eq!(list::headers(Some("h4")).unwrap()[0].references, 1);
    });
}

#[test]
fn members_equal_the_stock_listing() {
    if !kernel_tests_enabled() {
        return;
    }
    let (ns, names, foreign) = populated(0x22);
    let ns_name = ns.name.clone();
    ns.in_thread(move || {
        for name in names.iter().filter(|n| !foreign.contains(n)) {
            let lib = || stock_list(&ns_name, &[name]).pop().unwrap();
            settled(name, lib, || list::set(name).unwrap());
        }
        let u = list::set("u").unwrap();
        let members = u.members.unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[1].comment.as_deref(), Some("$(x) 'y' ; z"));
        assert_eq!(list::set("empty").unwrap().members, Some(vec![]));
    });
}

#[test]
fn save_text_is_byte_identical_to_stock_ipset_save() {
    if !kernel_tests_enabled() {
        return;
    }
    let (ns, names, _) = populated(0x33);
    let ns_name = ns.name.clone();
    ns.in_thread(move || {
        for name in &names {
            let text = list::save_text(name).unwrap();
            assert!(text.starts_with(&format!("create {name} ")), "{text}");
            settled(
                name,
                || stock_save(&ns_name, name),
                || list::save_text(name).unwrap(),
            );
        }
    });
}

#[test]
fn missing_sets_are_no_such_set_as_before() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok("ipset", &["create", "present", "hash:ip"]);
    let stock = ns.exec("ipset", &["list", "nosuch"]).stderr;
    ns.in_thread(move || {
        let kinds = [
            list::headers(Some("nosuch")).unwrap_err(),
            list::set("nosuch").unwrap_err(),
            list::save_text("nosuch").unwrap_err(),
        ];
        for e in &kinds {
            assert_eq!(e.kernel_kind(), Some(KernelErrorKind::NoSuchSet), "{e}");
            // The stock command's words.
            assert!(
                stock.contains("The set with the given name does not exist")
                    && e.to_string()
                        .contains("The set with the given name does not exist"),
                "{e} / {stock}"
            );
        }
        assert_eq!(list::headers(Some("present")).unwrap().len(), 1);
    });
    // An empty namespace lists no sets.
    let empty = Netns::new();
    assert_eq!(empty.in_thread(|| list::headers(None).unwrap()), vec![]);
}

#[test]
fn large_sets_stream_over_many_messages() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let mut rng = Rng(0x44);
    let mut script = String::from(
        "create big hash:net family inet6 maxelem 100000 counters comment\ncreate many list:set size 600 comment\n",
    );
    for i in 0..30_000u32 {
        let v6 = std::net::Ipv6Addr::from(rng.u128());
        let c = COMMENTS[i as usize % COMMENTS.len()];
        let nomatch = if i % 5 == 0 { " nomatch" } else { "" };
        script.push_str(&format!(
            "add big {v6}/{}{nomatch} comment \"{c} {i}\"\n",
            64 + i % 65
        ));
    }
    for i in 0..500 {
        script.push_str(&format!("create m{i} hash:ip timeout {}\n", i + 1));
        script.push_str(&format!(
            "add many m{i} comment \"mipset:v1 shard={i}/500\"\n"
        ));
    }
    let r = ns.exec_stdin("ipset", &["restore"], &script);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ns_name = ns.name.clone();
    ns.in_thread(move || {
        for name in ["big", "many"] {
            let text = list::save_text(name).unwrap();
            assert_eq!(text, stock_save(&ns_name, name), "{name}");
            let lib = stock_list(&ns_name, &[name]).pop().unwrap();
            assert_eq!(list::set(name).unwrap(), lib, "{name}");
        }
        assert_eq!(list::save_text("big").unwrap().lines().count(), 30_001);
        let lib = stock_list(&ns_name, &["-t"]);
        let all = list::headers(None).unwrap();
        assert_eq!(all.len(), 502);
        assert_eq!(all, lib);
    });
}

#[test]
fn other_types_give_headers_but_not_members() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    if ns.exec("ipset", &["create", "ipport", "hash:ip,port"]).code != 0 {
        eprintln!("hash:ip,port is not supported by this kernel: test left out");
        return;
    }
    ns.ok("ipset", &["add", "ipport", "192.0.2.1,tcp:80"]);
    let lib = stock_list(&ns.name, &["-t", "ipport"]);
    ns.in_thread(move || {
        assert_eq!(list::headers(Some("ipport")).unwrap(), lib);
        let e = list::set("ipport").unwrap_err();
        assert_eq!(e.kernel_kind(), Some(KernelErrorKind::Other));
        assert!(e.to_string().contains("not supported"), "{e}");
        assert!(list::save_text("ipport").is_err());
    });
}

/// `Kernel::probe` learns a set's type, address family and extensions
/// without listing it, exactly as its header says, for every combination
/// mipset creates, and changes nothing (see: issue 12, add flat in size).
#[test]
fn probes_agree_with_headers_and_change_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let mut names = Vec::new();
    for (t, fam, host) in [
        ("hash:ip", "inet", "10.0.0.1"),
        ("hash:ip", "inet6", "2001:db8::1"),
        ("hash:net", "inet", "10.0.0.0/24"),
        ("hash:net", "inet6", "2001:db8::/64"),
    ] {
        for ext in 0..8u32 {
            let name = format!("p{}{}{ext}", &t[5..6], &fam[4..]);
            let mut args = vec!["create", &name, t, "family", fam];
            if ext & 1 != 0 {
                args.extend(["timeout", "0"]);
            }
            if ext & 2 != 0 {
                args.push("counters");
            }
            if ext & 4 != 0 {
                args.push("comment");
            }
            ns.ok("ipset", &args);
            ns.ok("ipset", &["add", &name, host]);
            names.push(name);
        }
    }
    let before = ns.ipset_save();
    ns.in_thread(move || {
        let mut kernel = mipset::kernel::Kernel::open().unwrap();
        for name in &names {
            let probe = kernel
                .probe(name)
                .unwrap()
                .expect("this kernel answers probes");
            let header = &list::headers(Some(name)).unwrap()[0];
            assert_eq!(probe.typename, header.set_type, "{name}");
            assert_eq!(
                probe.family.map(|f| f.as_str()),
                header.header.get("family").map(String::as_str),
                "{name}"
            );
            for (flag, have) in [
                ("timeout", probe.timeout),
                ("counters", probe.counters),
                ("comment", probe.comment),
            ] {
                assert_eq!(have, header.header_flag(flag), "{name} {flag}");
            }
        }
        let e = kernel.probe("nosuch").unwrap_err();
        assert_eq!(e.kernel_kind(), Some(KernelErrorKind::NoSuchSet), "{e}");
    });
    assert_eq!(ns.ipset_save(), before, "a probe changed something");
}
