//! Standard 4: bad input gets one clear line on stderr, its documented exit
//! code, and the kernel exactly as before (`ipset save` byte-identical).

use crate::util::{kernel_tests_enabled, Netns};

struct Case {
    args: &'static [&'static str],
    stdin: &'static str,
    code: i32,
    message: &'static str,
}

const fn case(args: &'static [&'static str], code: i32, message: &'static str) -> Case {
    Case {
        args,
        stdin: "",
        code,
        message,
    }
}

const CORPUS: &[Case] = &[
    // Addresses.
    case(
        &["add", "v4", "10.0.0.300"],
        2,
        "'10.0.0.300' is not an IPv4 address",
    ),
    case(
        &["add", "v4", "10.0.0.1", "banana"],
        2,
        "'banana' is not an IPv4 address",
    ),
    case(
        &["add", "v4", "::1"],
        2,
        "is an IPv6 address, but the family holds IPv4",
    ),
    case(
        &["add", "v6", "10.0.0.1"],
        2,
        "is an IPv4 address, but the family holds IPv6",
    ),
    case(
        &["add", "v4", "10.0.0.0/24"],
        2,
        "hash:ip families hold single addresses",
    ),
    case(
        &["add", "net", "10.0.0.0/33"],
        2,
        "prefix length must be a number from 1 to 32",
    ),
    case(&["add", "net", "10.0.0.0/0"], 2, "prefix length 0"),
    case(&["add", "net", "10.0.0.0/"], 2, "prefix length"),
    case(&["add", "v4", ""], 2, "empty address"),
    case(
        &["add", "v4", "10.0.0.1 10.0.0.2"],
        2,
        "not an IPv4 address",
    ),
    case(&["test", "v4", "10.0.0.999"], 2, "not an IPv4 address"),
    case(&["which", "v4", "fe80::1%eth0"], 2, "not an IPv4 address"),
    case(&["del", "v4", "1.2.3"], 2, "not an IPv4 address"),
    // Stdin.
    Case {
        args: &["add", "v4", "-"],
        stdin: "10.0.0.1\n10.0.0.2\n10.0.0.2.5\n",
        code: 2,
        message: "<stdin>:3: '10.0.0.2.5' is not an IPv4 address",
    },
    Case {
        args: &["add", "v4", "-"],
        stdin: "10.0.0.1 extra\n",
        code: 2,
        message: "<stdin>:1: unexpected 'extra'",
    },
    Case {
        args: &["add", "v4", "-", "-"],
        stdin: "",
        code: 2,
        message: "may be given only once",
    },
    Case {
        args: &["del", "v4", "-"],
        stdin: "\u{0}\u{1}\n",
        code: 2,
        message: "<stdin>:1:",
    },
    // Names and families.
    case(
        &["add", "nosuch", "10.0.0.1"],
        2,
        "family 'nosuch' does not exist",
    ),
    case(&["test", "plain", "10.0.0.1"], 2, "is not a mipset family"),
    case(&["destroy", "plain"], 2, "is not a mipset family"),
    case(
        &["create", "aaaaaaaaaaaaaaaaaaaaaaaaaa"],
        2,
        "the limit is 25",
    ),
    case(&["create", "bad/name"], 2, "use only letters, digits"),
    case(&["create", "-x"], 2, "unexpected argument '-x'"),
    case(&["list", "we b"], 2, "use only letters, digits"),
    case(&["create", "v4"], 2, "already exists"),
    case(&["create", "plain"], 2, "is not a mipset family"),
    // Options.
    case(
        &["create", "x", "--shards", "12"],
        2,
        "power of two from 1 to 1024",
    ),
    case(
        &["create", "x", "--shards", "2048"],
        2,
        "power of two from 1 to 1024",
    ),
    case(&["create", "x", "--shards", "0"], 2, "power of two"),
    case(
        &["create", "x", "--shards", "-1"],
        2,
        "unexpected argument '-1'",
    ),
    case(
        &["create", "x", "--type", "hash:mac"],
        2,
        "invalid value 'hash:mac'",
    ),
    case(
        &["create", "x", "--family", "inet5"],
        2,
        "invalid value 'inet5'",
    ),
    case(
        &["create", "x", "--route", "bits:29"],
        2,
        "needs bits 29..32",
    ),
    case(&["create", "x", "--route", "bits:-1"], 2, "bits:S"),
    case(&["create", "x", "--route", "random"], 2, "unknown routing"),
    case(
        &["create", "x", "--type", "hash:net", "--route", "hash"],
        2,
        "hash routing works only for hash:ip",
    ),
    case(&["create", "x", "--timeout", "1.5s"], 2, "whole seconds"),
    case(
        &["create", "x", "--timeout", "99999999"],
        2,
        "longest timeout",
    ),
    case(
        &["create", "x", "--maxelem", "0"],
        2,
        "--maxelem must be at least 1",
    ),
    case(
        &["create", "x", "--maxelem", "99999999999"],
        2,
        "is not in 0..=4294967295",
    ),
    case(
        &[
            "create", "x", "--family", "inet6", "--shards", "1", "--route", "bits:128",
        ],
        2,
        "inet6 addresses have bits 0..127",
    ),
    case(
        &["create", "x", "--route", "bits:4294967295"],
        2,
        "inet addresses have bits 0..31",
    ),
    case(&["add", "v4", "0.0.0.0"], 2, "all-zero address"),
    case(&["add", "v6", "::"], 2, "all-zero address"),
    case(
        &["add", "v4", "10.0.0.1", "--timeout", "5"],
        2,
        "without timeout support",
    ),
    case(
        &["add", "v4", "10.0.0.1", "--comment", "x"],
        2,
        "without comment support",
    ),
    case(&["add", "v4"], 2, "required"),
    case(&["frobnicate"], 2, "unrecognized subcommand"),
    // Kernel state conflicts: refused, nothing changed.
    case(
        &["add", "v4", "10.0.0.1", "10.0.0.7"],
        3,
        "10.0.0.7 is already in family 'v4'",
    ),
    case(
        &["del", "v4", "10.0.0.8"],
        3,
        "10.0.0.8 is not in family 'v4'",
    ),
    case(
        &["add", "small", "10.0.0.2", "10.0.0.4"],
        3,
        "shard small-s0 would be full",
    ),
];

#[test]
fn every_bad_input_gets_its_code_and_message_and_changes_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "v4"]).expect(0);
    ns.mipset(&["create", "v6", "--family", "inet6"]).expect(0);
    ns.mipset(&["create", "net", "--type", "hash:net"])
        .expect(0);
    ns.mipset(&["create", "small", "--shards", "2", "--maxelem", "1"])
        .expect(0);
    ns.mipset(&["add", "v4", "10.0.0.7"]).expect(0);
    ns.ok("ipset", &["create", "plain", "hash:ip"]);
    let before = ns.ipset_save();
    let mut failures = Vec::new();
    for c in CORPUS {
        let r = ns.mipset_stdin(c.args, c.stdin);
        // mipset's own errors are one line; clap's usage errors put the
        // message on the first line and hints below it.
        let first = r.stderr.lines().next().unwrap_or("");
        let one_line = r.stderr.lines().filter(|l| !l.is_empty()).count() == 1;
        let clap = first.starts_with("error: ");
        if r.code != c.code
            || !first.contains(c.message)
            || !(one_line && first.starts_with("mipset: error: ") || clap)
            || r.stderr.contains("panicked")
            || !r.stdout.is_empty()
        {
            failures.push(format!(
                "{:?}: exit {} stderr {:?} stdout {:?}",
                c.args, r.code, r.stderr, r.stdout
            ));
        }
        if ns.ipset_save() != before {
            failures.push(format!("{:?} changed the kernel state", c.args));
            break;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn huge_input_lines_and_huge_arguments_are_refused_cleanly() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&["create", "v4"]).expect(0);
    let before = ns.ipset_save();
    let huge = format!("10.0.0.1\n{}\n", "7".repeat(1 << 20));
    let r = ns.mipset_stdin(&["add", "v4", "-"], &huge);
    r.expect(2);
    assert!(
        r.stderr
            .contains("<stdin>:2: line is longer than 4096 bytes"),
        "{}",
        r.stderr
    );
    let arg = "1".repeat(100_000);
    let r = ns.mipset(&["add", "v4", &arg]);
    r.expect(2);
    assert!(
        r.stderr.len() < 300,
        "message stays short: {}",
        r.stderr.len()
    );
    let r = ns.mipset(&["add", "v4", "-"]);
    r.expect(0);
    assert!(r.stderr.contains("no addresses read"), "{}", r.stderr);
    assert_eq!(ns.ipset_save(), before);
}

/// A comment `add` accepts is one `restore` accepts from the `save` output:
/// one rule for both (a tab used to pass `add` and fail `restore`). See:
/// issue 11, finding 5.
#[test]
fn comments_add_accepts_survive_save_and_restore() {
    if !kernel_tests_enabled() {
        return;
    }
    let a = Netns::new();
    a.mipset(&["create", "c", "--shards", "2", "--comment"])
        .expect(0);
    let before = a.ipset_save();
    for bad in ["tab\there", "", "quote\"d", "new\nline"] {
        let r = a.mipset(&["add", "c", "10.0.0.1", "--comment", bad]);
        r.expect(2);
        assert!(
            r.stderr.contains("--comment must be"),
            "{bad:?}: {}",
            r.stderr
        );
    }
    assert_eq!(a.ipset_save(), before);
    a.mipset(&[
        "add",
        "c",
        "10.0.0.1",
        "--comment",
        "web tier: ticket #42 (ok)",
    ])
    .expect(0);
    let dump = a.mipset(&["save", "c"]).stdout;
    let b = Netns::new();
    b.mipset_stdin(&["restore"], &dump).expect(0);
    // The same dump but for each set's random hash seed.
    let seedless = |text: &str| -> String {
        text.split_whitespace()
            .filter(|w| !w.starts_with("0x"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(seedless(&b.mipset(&["save", "c"]).stdout), seedless(&dump));
}
