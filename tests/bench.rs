//! `mipset bench`: it runs in its own private namespace (it unshares
//! itself), its JSON validates against docs/bench-schema.json, and its
//! rows show what they must (process start-up in exec rows, the exec
//! method's three sides on the same entries, counters confirmed for packet
//! rows).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{kernel_tests_enabled, MIPSET};

fn bench(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(MIPSET)
        .arg("bench")
        .args(args)
        .output()
        .expect("run mipset bench");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn find<'a>(
    m: &'a [serde_json::Value],
    method: &str,
    metric: &str,
    entries: u64,
) -> &'a serde_json::Value {
    m.iter()
        .find(|x| x["method"] == method && x["metric"] == metric && x["entries"] == entries)
        .unwrap_or_else(|| panic!("no {method} {metric} at {entries}"))
}

#[test]
fn bench_json_follows_the_schema_and_rows_mean_what_they_say() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mipset-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (svg, csv) = (dir.join("plot.svg"), dir.join("run.csv"));
    let (code, stdout, stderr) = bench(&[
        "--entries",
        "1k,2k",
        "--ops",
        "300",
        "--exec-ops",
        "20",
        "--packets",
        "5000",
        "--rounds",
        "5",
        "--format",
        "json",
        "--plot",
        svg.to_str().unwrap(),
        "--export",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/bench-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:?}");
    // The schema holds exec rows to their three sides, and only them.
    let exec_row = report["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["method"] == "exec")
        .expect("an exec row");
    let mut without = report.clone();
    without["measurements"][exec_row]
        .as_object_mut()
        .unwrap()
        .remove("one_shard");
    assert!(!validator.is_valid(&without), "exec row without one_shard");
    let mut netlink_too = report.clone();
    netlink_too["measurements"][0]["tool_ratio"] =
        report["measurements"][exec_row]["tool_ratio"].clone();
    assert!(
        !validator.is_valid(&netlink_too),
        "netlink row with tool_ratio"
    );

    let m = report["measurements"].as_array().unwrap();
    // 2 sizes x (4 netlink + 5 exec + 2 packet) rows.
    assert_eq!(m.len(), 22);
    for entries in [1000, 2000] {
        let netlink = find(m, "netlink", "Lookup Time (hit)", entries);
        let exec = find(m, "exec", "Lookup Time (hit)", entries);
        let (n, e) = (
            netlink["single"]["median"].as_f64().unwrap(),
            exec["single"]["median"].as_f64().unwrap(),
        );
        // A process per operation costs its start-up: hundreds of
        // microseconds over a few microseconds in process.
        assert!(
            e - n > 200_000.0 && e > 20.0 * n,
            "exec {e} ns vs netlink {n} ns"
        );
        assert!(exec["one_shard"]["median"].as_f64().unwrap() > n, "{exec}");
        assert!(netlink.get("one_shard").is_none(), "{netlink}");
        find(m, "packet", "Policy Evaluation Time (packet, hit)", entries);
    }
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n.as_str().unwrap().contains("COUNTERS")),
        "{}",
        report["notes"]
    );
    // The bench's own overhead is small next to what it measures.
    assert!(
        report["overhead_fraction"].as_f64().unwrap() < 0.05,
        "{}",
        report["overhead"]
    );
    let scale = &report["scale"];
    assert_eq!(scale["growth"].as_array().unwrap().len(), 4);
    // The shard replaced is one of 16: about 1/16 of the entries (at this
    // small size fixed costs dominate, so the time ratio is not asserted).
    let (whole, shard) = (
        scale["replace"]["whole_entries"].as_u64().unwrap(),
        scale["replace"]["shard_entries"].as_u64().unwrap(),
    );
    assert!(shard > 0 && shard * 8 < whole, "{scale}");
    assert!(scale["replace"]["whole"]["median"].as_f64().unwrap() > 0.0);
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    // Two sides per row, three for the 2 x 5 exec rows.
    assert_eq!(csv_text.lines().count(), 1 + 2 * 22 + 2 * 5);
    assert!(csv_text.starts_with("method,metric,operation,entries"));
    let one_shard_rows: Vec<&str> = csv_text
        .lines()
        .filter(|l| l.contains(",one_shard,"))
        .collect();
    assert_eq!(one_shard_rows.len(), 2 * 5, "{csv_text}");
    assert!(one_shard_rows.iter().all(|l| l.starts_with("exec,")));
    // Nothing left in this namespace: the bench used its own.
    let sets = Command::new("ipset").args(["list", "-n"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&sets.stdout)
        .lines()
        .any(|l| l.starts_with("mb")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_table_and_markdown_and_ipv6() {
    if !kernel_tests_enabled() {
        return;
    }
    let (code, stdout, stderr) = bench(&[
        "--entries",
        "500",
        "--method",
        "netlink",
        "--ops",
        "100",
        "--no-scale",
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("| Lookup Time (hit) |"), "{stdout}");
    let (code, stdout, stderr) = bench(&[
        "--entries",
        "500",
        "--family",
        "inet6",
        "--method",
        "netlink,packet",
        "--ops",
        "100",
        "--no-scale",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Lookup Time (miss)") && stdout.contains("only ::1"),
        "{stdout}"
    );
}

#[test]
fn bench_refuses_bad_input_in_one_line() {
    if !kernel_tests_enabled() {
        return;
    }
    // An export file that is a directory is refused before the run.
    let dir = std::env::temp_dir().join(format!("mipset-isdir-{}.json", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir_arg = dir.to_str().unwrap();
    for (args, needle) in [
        (vec!["--export", dir_arg], "is a directory"),
        (vec!["--entries", "0"], "--entries"),
        (vec!["--entries", "2x"], "--entries"),
        (vec!["--shards", "3"], "power of two"),
        (vec!["--method", "dns"], "--method"),
        (vec!["--export", "out.txt"], ".json, .csv or .md"),
        (vec!["--plot", "out.png"], ".svg"),
        (vec!["--duration", "soon"], "--duration"),
        (vec!["--ops", "0"], "at least 20"),
        (vec!["--rounds", "2"], "at least 5"),
        (vec!["--duration", "0s"], "at least 100ms"),
        (
            vec!["--in-place", "--method", "packet"],
            "--in-place runs only",
        ),
        (vec!["--route", "hash", "--layout", "tree"], "umbrella"),
        // Rules would be installed (exec, packet): the umbrella by name.
        (vec!["--route", "hash"], "add --layout umbrella"),
        (
            vec!["--route", "hash", "--method", "netlink", "--layout", "tree"],
            "umbrella",
        ),
        (vec!["--plot", "/nonexistent/x.svg"], "does not exist"),
        (vec!["--family", "inet6", "--method", "packet"], "inet6"),
        (vec!["--route", "hash", "--type", "hash:net"], "hash"),
    ] {
        let (code, _, stderr) = bench(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        // The message is on the first line: mipset's own errors are one
        // line, clap's usage errors (`error: ...`) add hints below it.
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.contains(needle), "{args:?}: {stderr}");
        if !stderr.starts_with("error:") {
            assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        }
    }
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn bench_in_place_runs_netlink_only_and_leaves_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = crate::util::Netns::new();
    let r = ns.mipset(&[
        "bench",
        "--in-place",
        "--method",
        "netlink",
        "--entries",
        "1k",
        "--ops",
        "50",
    ]);
    r.expect(0);
    assert!(r.stdout.contains("Lookup Time (hit)"), "{}", r.stdout);
    assert_eq!(ns.ipset_save(), "", "the bench left sets behind");
    // A set with one of the bench's names: refused, nothing touched.
    ns.ok("ipset", &["create", "mbs", "hash:ip"]);
    let before = ns.ipset_save();
    let r = ns.mipset(&[
        "bench",
        "--in-place",
        "--method",
        "netlink",
        "--entries",
        "1k",
    ]);
    r.expect(2);
    assert!(r.stderr.contains("mbs"), "{}", r.stderr);
    assert_eq!(ns.ipset_save(), before);
}

/// A report that cannot be written after the measurement ran is an output
/// failure (exit 4), not a usage error (exit 2: "nothing changed").
#[test]
fn an_export_that_cannot_be_written_after_the_run_is_exit_4() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mipset-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A report file on a full disk: every check before the run passes, the
    // write after it fails.
    let taken = dir.join("run.json");
    std::os::unix::fs::symlink("/dev/full", &taken).unwrap();
    let (code, stdout, stderr) = bench(&[
        "--entries",
        "1k",
        "--method",
        "netlink",
        "--ops",
        "100",
        "--no-scale",
        "--export",
        taken.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stdout.contains("Lookup Time"),
        "the report is still printed: {stdout}"
    );
    assert!(
        stderr.starts_with("mipset: error: --export") && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
}

/// A hash-routed family is matched only by the umbrella layout, asked for
/// by name; a netlink-only run installs no rule and needs none.
#[test]
fn bench_of_a_hash_routed_family_needs_the_umbrella_only_for_rules() {
    if !kernel_tests_enabled() {
        return;
    }
    let quick = [
        "--entries",
        "1k",
        "--ops",
        "100",
        "--no-scale",
        "--format",
        "json",
    ];
    let (code, stdout, stderr) =
        bench(&[&["--route", "hash", "--method", "netlink"][..], &quick].concat());
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["settings"]["route"], "hash");
    assert_eq!(report["settings"]["layout"], "umbrella");
    let with_rules = [
        &["--route", "hash", "--method", "exec", "--exec-ops", "20"][..],
        &quick,
    ]
    .concat();
    let (code, _, stderr) = bench(&with_rules);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("add --layout umbrella"), "{stderr}");
    let (code, stdout, stderr) = bench(&[&with_rules[..], &["--layout", "umbrella"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"exec\""), "{stdout}");
}

/// `ipset save` in the network namespace of process `pid`, as sets: name ->
/// (create options, members); None if it cannot be read.
fn sets_of(pid: u32) -> Option<BTreeMap<String, (String, BTreeSet<String>)>> {
    let out = Command::new("nsenter")
        .arg(format!("--net=/proc/{pid}/ns/net"))
        .args(["ipset", "save"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut sets: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["create", name, ref rest @ ..] => {
                sets.entry(name.into()).or_default().0 = rest.join(" ");
            }
            ["add", name, member, ..] => {
                sets.entry(name.into()).or_default().1.insert(member.into());
            }
            _ => {}
        }
    }
    Some(sets)
}

/// The value after `key` in `create` options.
fn option<'a>(create: &'a str, key: &str) -> &'a str {
    let words: Vec<&str> = create.split_whitespace().collect();
    let at = words.iter().position(|w| *w == key).expect(key);
    words[at + 1]
}

/// The exec method separates the tool from the data structure: ipset on
/// one set, mipset on a family of one shard, mipset on the N-shard family,
/// the same entries in each. Seen from inside the bench's own namespace
/// while it runs, the one-shard family has exactly one shard, sized like
/// the set and holding its entries; every exec row reports all three sides
/// and the ratios between them; the table stays narrow.
#[test]
fn exec_bench_has_three_sides_on_the_same_entries() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mipset-bench3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("run.json");
    let mut child = Command::new(MIPSET)
        .args([
            "bench",
            "--method",
            "exec",
            "--entries",
            "1k",
            "--shards",
            "4",
            "--exec-ops",
            "60",
            "--no-scale",
            "--export",
        ])
        .arg(&json)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mipset bench");
    let pid = child.id();
    let ours = std::fs::read_link("/proc/self/ns/net").unwrap();
    // Once in its own namespace with every set filled (the one-shard
    // family is filled last), look at what the bench measures.
    let deadline = Instant::now() + Duration::from_secs(120);
    let sets = loop {
        assert!(
            Instant::now() < deadline,
            "never saw the bench's sets filled"
        );
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            panic!("the bench ended ({status}) before its sets were seen filled: {stderr}");
        }
        let own = std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|ns| ns != ours);
        if let Some(sets) = own.then(|| sets_of(pid)).flatten() {
            let filled = sets.get("mbone").is_some_and(|(_, shards)| {
                let held = shards.iter().filter_map(|s| sets.get(s)).map(|s| s.1.len());
                held.sum::<usize>() >= 1000
            });
            if filled {
                break sets;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (umbrella, shards) = &sets["mbone"];
    assert!(umbrella.starts_with("list:set"), "{umbrella}");
    assert_eq!(shards.len(), 1, "the one-shard family: {shards:?}");
    assert_eq!(
        sets["mbf4"].1.len(),
        4,
        "the family of 4: {:?}",
        sets["mbf4"]
    );
    let (single_opts, single) = &sets["mbs"];
    let (shard_opts, shard) = &sets[shards.first().unwrap()];
    // Sized like the set: the tool is measured on the same structure.
    assert!(single_opts.starts_with("hash:ip ") && shard_opts.starts_with("hash:ip "));
    for key in ["family", "hashsize", "maxelem"] {
        assert_eq!(option(shard_opts, key), option(single_opts, key), "{key}");
    }
    // The same 1000 entries; the exec loop may be adding one stranger to
    // either while the namespace is read.
    assert!(
        single.len() >= 1000 && single.len() <= 1001,
        "{}",
        single.len()
    );
    assert!(
        single.symmetric_difference(shard).count() <= 2,
        "the one-shard family does not hold the set's entries"
    );
    let family4: BTreeSet<&String> = sets["mbf4"].1.iter().flat_map(|s| &sets[s].1).collect();
    assert!(family4.len() >= 1000 && family4.len() <= 1001);

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let rows = report["measurements"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{rows:?}");
    let median = |row: &serde_json::Value, side: &str| row[side]["median"].as_f64().unwrap();
    for row in rows {
        assert_eq!(
            (row["method"].as_str(), row["shards"].as_u64()),
            (Some("exec"), Some(4))
        );
        for side in ["single", "one_shard", "multi"] {
            let s = &row[side];
            assert_eq!(s["samples"], 60, "{side}: {row}");
            // A process per sample: more than 10 µs, less than 10 s.
            let m = median(row, side);
            assert!(m > 1e4 && m < 1e10, "{side}: {row}");
            let (p5, p95) = (s["p5"].as_f64().unwrap(), s["p95"].as_f64().unwrap());
            assert!(p5 > 0.0 && p5 <= m && m <= p95, "{side}: {row}");
        }
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        let (one, single, multi) = (
            median(row, "one_shard"),
            median(row, "single"),
            median(row, "multi"),
        );
        assert!(
            close(row["tool_ratio"]["ratio"].as_f64().unwrap(), one / single),
            "{row}"
        );
        assert!(
            close(
                row["sharding_ratio"]["ratio"].as_f64().unwrap(),
                multi / one
            ),
            "{row}"
        );
        assert!(
            close(row["ratio"].as_f64().unwrap(), multi / single),
            "{row}"
        );
    }
    // The table: each metric, then its three sides; no wider than the
    // two-sided tables before (up to 136 columns).
    for (label, count) in [
        ("(1) ipset, one set", 4),
        ("(2) mipset, 1 shard", 4),
        ("(3) mipset, 4 shards", 4),
        ("(2) rule of 1 shard", 1),
    ] {
        assert_eq!(stdout.matches(label).count(), count, "{label}: {stdout}");
    }
    let widest = stdout
        .lines()
        .filter(|l| l.starts_with(' '))
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(widest <= 136, "{widest} columns: {stdout}");
}

/// The widest line of `text`, in characters (µ is one column).
fn widest(text: &str) -> (usize, &str) {
    text.lines()
        .map(|l| (l.chars().count(), l))
        .max()
        .unwrap_or((0, ""))
}

/// #14: the default tables fit 100 columns (every method and the scale
/// section, small sizes); --wide shows the ranges and p99.9 as well; units
/// are in the headers, so cells are plain numbers. `bench --list` too.
#[test]
fn bench_tables_fit_100_columns_unless_wide() {
    if !kernel_tests_enabled() {
        return;
    }
    let small = [
        "--entries",
        "1k",
        "--ops",
        "50",
        "--exec-ops",
        "20",
        "--warmup",
        "5",
        "--packets",
        "2000",
        "--rounds",
        "5",
    ];
    let (code, narrow, stderr) = bench(&small);
    assert_eq!(code, 0, "{stderr}");
    let (width, line) = widest(&narrow);
    assert!(width <= 100, "{width} columns: {line}\n{narrow}");
    for section in [
        "netlink:",
        "exec:",
        "packet:",
        "At scale:",
        "What the numbers say",
    ] {
        assert!(narrow.contains(section), "{section}: {narrow}");
    }
    assert!(narrow.contains("single median "), "{narrow}");
    assert!(
        !narrow.contains("single from") && !narrow.contains("p99.9"),
        "{narrow}"
    );
    // Units in the headers only: table rows hold plain numbers.
    let rows: Vec<&str> = narrow
        .lines()
        .filter(|l| {
            [
                " Lookup Time",
                "   (1) ipset",
                "   (3) mipset",
                "   one set,",
                " Policy",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .collect();
    assert!(rows.len() >= 8, "{narrow}");
    for l in rows {
        let cells = format!("{l} ");
        assert!(
            [" ns ", " µs ", " ms ", " s "]
                .iter()
                .all(|u| !cells.contains(u)),
            "{l}"
        );
    }
    assert!(
        narrow.contains("median µs") || narrow.contains("median ns"),
        "{narrow}"
    );

    let mut args = small.to_vec();
    args.push("--wide");
    let (code, wide, stderr) = bench(&args);
    assert_eq!(code, 0, "{stderr}");
    for column in [
        "single from",
        "single to",
        "multi from",
        "multi to",
        "p99.9",
        "from ",
    ] {
        assert!(wide.contains(column), "{column}: {wide}");
    }
    assert!(widest(&wide).0 > 100, "{wide}");

    // bench --list, as a table.
    let dir = std::env::temp_dir().join(format!("mipset-bench-wide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("list.txt");
    std::fs::write(
        &list,
        "10.1.0.0/16\n127.5.0.0/16\n198.51.100.0/24\n192.0.2.7\n",
    )
    .unwrap();
    let (code, text, stderr) = bench(&[
        "--list",
        list.to_str().unwrap(),
        "--shards",
        "4",
        "--ops",
        "20",
        "--packets",
        "1000",
        "--rounds",
        "5",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{stderr}");
    let (width, line) = widest(&text);
    assert!(width <= 100, "{width} columns: {line}\n{text}");
    assert!(
        text.contains("memory MiB") && text.contains("lookup miss "),
        "{text}"
    );
}
