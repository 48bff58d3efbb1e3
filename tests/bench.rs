//! `mipset bench`: it runs in its own private namespace (it unshares
//! itself), its JSON validates against docs/bench-schema.json, and its
//! rows show what they must (process start-up in exec rows, counters
//! confirmed for packet rows).

use std::process::Command;

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
    assert_eq!(csv_text.lines().count(), 1 + 2 * 22);
    assert!(csv_text.starts_with("method,metric,operation,entries"));
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
