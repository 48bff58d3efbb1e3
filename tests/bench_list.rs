//! `mipset bench --list FILE` on the real kernel (in its own private
//! namespace): the rows hold what the kernel says they hold, a bad line is
//! refused with FILE:LINE before anything is created, and a missing
//! iprange is a note, not a failure. (Beside `bench.rs`, which is past the
//! 500-line limit already.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use mipset::addr::{parse_entry, AddrFamily, SetType};
use mipset::route::{self, Routing};

use crate::util::{kernel_tests_enabled, Netns, MIPSET};

/// A temporary directory, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("mipset-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small list from scripts/gen-blocklist, plus duplicates (one written
/// with host bits set) that ipset folds into one entry.
fn generated_list(dir: &Path) -> (PathBuf, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gen-blocklist");
    let out = Command::new("python3")
        .args([script, "--scale", "0.01", "--seed", "3"])
        .output()
        .expect("run scripts/gen-blocklist");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = String::from_utf8(out.stdout).unwrap();
    text.push_str("198.18.0.0/24\n198.18.0.9/24   # the same network\n198.18.0.0/24\n");
    let path = dir.join("list.txt");
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// The list's entries as ipset holds them (masked, duplicates folded).
fn distinct(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            parse_entry(l, SetType::HashNet, AddrFamily::Inet)
                .unwrap()
                .to_string()
        })
        .collect()
}

/// What the kernel itself says a stock hash:net set of `lines` holds.
fn kernel_entries(lines: &[String]) -> u64 {
    let ns = Netns::new();
    let mut script = String::from("create t hash:net maxelem 1000000\n");
    for l in lines {
        script.push_str(&format!("add t {l}\n"));
    }
    ns.exec_stdin("ipset", &["-exist", "restore"], &script)
        .expect(0);
    let listing = ns.ok("ipset", &["list", "-t", "t"]);
    listing
        .lines()
        .find_map(|l| l.strip_prefix("Number of entries: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("Number of entries")
}

fn bench(args: &[&str], path: Option<&str>) -> (i32, String, String) {
    let mut c = Command::new(MIPSET);
    c.arg("bench").args(args);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    let out = c.output().expect("run mipset bench");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

#[test]
fn bench_list_rows_hold_what_the_kernel_holds() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = Dir::new("bench-list");
    let (path, text) = generated_list(&dir.0);
    let (code, stdout, stderr) = bench(
        &[
            "--list",
            path.to_str().unwrap(),
            "--shards",
            "4",
            // Entries as given, in the shards bits:8 picks (the reduced
            // family is checked in tests/reduce.rs).
            "--reduce",
            "off",
            "--route",
            "bits:8",
            "--ops",
            "40",
            "--packets",
            "1000",
            "--rounds",
            "5",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(r["mode"], "list");
    let rows = r["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|x| x["name"].as_str().unwrap()).collect();
    let iprange = which("iprange");
    let want: &[&str] = if iprange {
        &["stock", "iprange-20", "iprange-100", "family"]
    } else {
        &["stock", "family"]
    };
    assert_eq!(names, want, "{stdout}");
    let row = |name: &str| rows.iter().find(|x| x["name"] == name).unwrap();

    // stock: the list after ipset's own duplicate handling, as the kernel
    // reports it for the same lines.
    let set = distinct(&text);
    let lines: Vec<String> = set.iter().cloned().collect();
    let stock = row("stock");
    assert_eq!(stock["entries"].as_u64().unwrap(), set.len() as u64);
    assert_eq!(stock["entries"].as_u64().unwrap(), kernel_entries(&lines));
    let lengths: BTreeSet<u8> = set
        .iter()
        .map(|e| {
            parse_entry(e, SetType::HashNet, AddrFamily::Inet)
                .unwrap()
                .prefix
        })
        .collect();
    assert_eq!(
        stock["prefixes"]["distinct"].as_u64().unwrap(),
        lengths.len() as u64
    );
    assert_eq!(
        r["settings"]["list_entries"].as_u64().unwrap(),
        set.len() as u64 + 2
    );

    // family: every entry in each shard it covers (bits:8 routing).
    let routing = Routing::Bits { shift: 8 };
    let in_shards: u64 = set
        .iter()
        .map(|e| {
            let e = parse_entry(e, SetType::HashNet, AddrFamily::Inet).unwrap();
            route::shards_for(&e, 4, routing).len() as u64
        })
        .sum();
    let family = row("family");
    assert_eq!(family["entries"].as_u64().unwrap(), in_shards);
    assert_eq!(family["sets"], 4);
    assert_eq!(family["prefixes"]["per_shard"].as_array().unwrap().len(), 3);

    // iprange: as many entries as iprange prints for the same lines.
    if iprange {
        for reduce in ["20", "100"] {
            let out = Command::new("iprange")
                .args(["--ipset-reduce", reduce, "-"])
                .stdin(std::fs::File::open(write_lines(&dir.0, &lines)).unwrap())
                .output()
                .unwrap();
            let printed = String::from_utf8_lossy(&out.stdout).lines().count() as u64;
            let got = row(&format!("iprange-{reduce}"))["entries"]
                .as_u64()
                .unwrap();
            assert_eq!(got, printed, "iprange --ipset-reduce {reduce}");
        }
    }

    for x in rows {
        assert!(x["memory_bytes"].as_u64().unwrap() > 0, "{x}");
        assert!(x["load_seconds"].as_f64().unwrap() > 0.0, "{x}");
        for side in ["lookup_hit", "lookup_miss", "packet_miss"] {
            assert!(x[side]["samples"].as_u64().unwrap() > 0, "{side}: {x}");
        }
        // Nothing of the generated list lies in 127.0.0.0/8.
        assert!(x["packet_hit"].is_null(), "{x}");
    }
    assert_eq!(r["compared"].as_array().unwrap().len(), rows.len() - 1);
    let notes = r["notes"].to_string();
    assert!(notes.contains("packet hits not measured"), "{notes}");
    assert!(!notes.contains("COUNTERS"), "{notes}");
    // Nothing left here: the bench used its own namespace.
    let sets = Command::new("ipset").args(["list", "-n"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&sets.stdout)
        .lines()
        .any(|l| l.starts_with("mbl")));
}

fn write_lines(dir: &Path, lines: &[String]) -> PathBuf {
    let p = dir.join("lines.txt");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn bench_list_refuses_a_bad_line_with_file_and_line_creating_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = Dir::new("bench-list-bad");
    let bad = dir.0.join("bad.txt");
    std::fs::write(&bad, "# mine\n192.0.2.0/24\n192.0.2.300\n").unwrap();
    let bad = bad.to_str().unwrap();
    let ns = Netns::new();
    let before = ns.ipset_save();
    for (args, needle) in [
        (
            vec!["bench", "--list", bad],
            format!("{bad}:3: '192.0.2.300'"),
        ),
        (
            vec!["bench", "--list", "/nonexistent/list.txt"],
            "cannot read /nonexistent/list.txt".to_string(),
        ),
        (
            vec!["bench", "--list", bad, "--in-place"],
            "--in-place".into(),
        ),
        (
            vec!["bench", "--list", bad, "--shards", "4,8"],
            "one shard count".into(),
        ),
        (
            vec!["bench", "--list", bad, "--format", "csv"],
            "no CSV".into(),
        ),
    ] {
        let r = ns.mipset(&args);
        r.expect(2);
        let first = r.stderr.lines().next().unwrap_or("");
        assert!(first.contains(&needle), "{args:?}: {}", r.stderr);
    }
    assert_eq!(ns.ipset_save(), before, "nothing may be created");
}

#[test]
fn bench_list_without_iprange_says_so_and_measures_the_rest() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = Dir::new("bench-list-noipr");
    let path = dir.0.join("list.txt");
    std::fs::write(&path, "10.1.0.0/16\n10.2.3.0/24\n192.0.2.7\n").unwrap();
    // iprange lives in /usr/bin; ipset and iptables are found in /usr/sbin.
    let (code, stdout, stderr) = bench(
        &[
            "--list",
            path.to_str().unwrap(),
            "--method",
            "netlink",
            "--ops",
            "30",
            "--format",
            "json",
        ],
        Some("/nonexistent"),
    );
    assert_eq!(code, 0, "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stock", "family"]);
    assert!(
        r["notes"].to_string().contains("iprange not installed"),
        "{r}"
    );
}

/// A list that covers part of 127.0.0.0/8 gets packet hits there, every
/// one matched by the set rule (counters checked by the bench).
#[test]
fn bench_list_measures_packet_hits_where_the_list_covers_loopback() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = Dir::new("bench-list-lo");
    let path = dir.0.join("list.txt");
    std::fs::write(&path, "10.1.0.0/16\n127.5.0.0/16\n198.51.100.0/24\n").unwrap();
    let (code, stdout, stderr) = bench(
        &[
            "--list",
            path.to_str().unwrap(),
            "--shards",
            "4",
            "--ops",
            "20",
            "--packets",
            "1000",
            "--rounds",
            "5",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for x in r["rows"].as_array().unwrap() {
        assert_eq!(x["packet_hit"]["samples"], 5, "{x}");
        assert_eq!(x["packet_miss"]["samples"], 5, "{x}");
    }
    let notes = r["notes"].to_string();
    assert!(notes.contains("packet hits: "), "{notes}");
    assert!(!notes.contains("COUNTERS"), "{notes}");
}
