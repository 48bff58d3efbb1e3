//! `mipset reconcile`: converges a family and its rules from a
//! configuration, repairs drift made with stock tools within one resync,
//! follows list changes, and stops cleanly on SIGTERM.

use std::io::BufRead;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{kernel_tests_enabled, Netns};

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn config_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mipset-rc-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn reconcile_converges_repairs_drift_follows_changes_and_stops_on_sigterm() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = config_dir("main");
    let list: String = (1..=100)
        .map(|i| format!("10.0.{}.{}\n", i / 50, i % 50 + 1))
        .collect();
    std::fs::write(dir.join("list.txt"), &list).unwrap();
    let metrics = dir.join("mipset.prom");
    let config = dir.join("reconcile.toml");
    std::fs::write(
        &config,
        format!(
            "resync = \"3s\"\nmetrics_file = \"{}\"\n\n[[family]]\nname = \"rc\"\nshards = 4\nsource = \"list.txt\"\n\n[[family.rule]]\ntable = \"raw\"\nchain = \"PREROUTING\"\nmatch = \"src\"\njump = \"DROP\"\n",
            metrics.display()
        ),
    )
    .unwrap();
    let mut child = ns
        .mipset_command(&["reconcile", config.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let check = [
        "rule",
        "check",
        "rc",
        "--table",
        "raw",
        "--chain",
        "PREROUTING",
        "--match",
        "src",
        "--jump",
        "DROP",
    ];
    wait_for("convergence", Duration::from_secs(15), || {
        ns.mipset(&["-q", "test", "rc", "10.0.1.1"]).code == 0 && ns.mipset(&check).code == 0
    });
    // Drift made with stock tools.
    let shard = ns
        .mipset(&["which", "rc", "10.0.1.1"])
        .stdout
        .lines()
        .next()
        .unwrap()
        .to_string();
    ns.ok("ipset", &["del", &shard, "10.0.1.1"]);
    let rule = ns
        .ok("iptables", &["-t", "raw", "-S", "PREROUTING"])
        .lines()
        .find(|l| l.contains("mipset family=rc"))
        .unwrap()
        .to_string();
    let mut args: Vec<String> = vec!["-t".into(), "raw".into()];
    args.extend(mipset::rules::save::split_words(
        &rule.replacen("-A", "-D", 1),
    ));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ns.ok("iptables", &args);
    assert_eq!(ns.mipset(&["-q", "test", "rc", "10.0.1.1"]).code, 1);
    let drifted = Instant::now();
    wait_for("drift repair", Duration::from_secs(10), || {
        ns.mipset(&["-q", "test", "rc", "10.0.1.1"]).code == 0 && ns.mipset(&check).code == 0
    });
    // Within one resync interval (3 s), with room for a loaded machine.
    assert!(
        drifted.elapsed() < Duration::from_secs(5),
        "repaired after {:?}",
        drifted.elapsed()
    );
    // A list change is applied at once (inotify), not at the next resync.
    std::fs::write(dir.join("list.txt"), format!("{list}10.9.9.9\n")).unwrap();
    wait_for("list change", Duration::from_secs(6), || {
        ns.mipset(&["-q", "test", "rc", "10.9.9.9"]).code == 0
    });
    wait_for("metrics", Duration::from_secs(5), || {
        std::fs::read_to_string(&metrics).is_ok_and(|m| {
            m.contains("mipset_reconcile_drift_repairs_total{family=\"rc\"} ")
                && !m.contains("drift_repairs_total{family=\"rc\"} 0\n")
        })
    });
    let m = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        m.contains("mipset_shard_elements{family=\"rc\",shard=\"rc-s0\"}"),
        "{m}"
    );
    // SIGTERM: a clean stop, the last line says so, no temporary sets.
    let pid = child.id() as i32;
    // `ip netns exec` execs mipset in place, so the pid is mipset's.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let lines: Vec<String> = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .collect();
    let last: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["result"], "stopped");
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v["time"].is_string(), "{l}");
    }
    // The drift was repaired by a resync; the list edit was applied because
    // inotify saw it, not by a resync.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"drift_repaired\":2") && l.contains("\"trigger\":\"resync\"")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"adds\":1") && l.contains("\"trigger\":\"change\"")),
        "{lines:?}"
    );
    let sets = ns.ok("ipset", &["list", "-n"]);
    assert!(!sets.lines().any(|s| s.contains("-t")), "{sets}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reconcile_once_and_bad_configurations() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = config_dir("once");
    std::fs::write(dir.join("a.txt"), "192.0.2.1\n192.0.2.2\n").unwrap();
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "[[family]]\nname = \"one\"\nshards = 2\nsource = \"a.txt\"\n",
    )
    .unwrap();
    let r = ns.mipset(&["reconcile", "--once", good.to_str().unwrap()]);
    r.expect(0);
    assert!(r.stdout.contains("\"result\":\"ok\""), "{}", r.stdout);
    ns.mipset(&["-q", "test", "one", "192.0.2.2"]).expect(0);
    // Bad configuration: exit 2, one line, nothing created.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[family]]\nname = \"two\"\nshards = 3\nsource = \"a.txt\"\n",
    )
    .unwrap();
    let before = ns.ipset_save();
    let r = ns.mipset(&["reconcile", bad.to_str().unwrap()]);
    r.expect(2);
    assert!(
        r.stderr.contains("bad.toml") && r.stderr.contains("power of two"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before);
    // A missing list is an apply error (exit 4 with --once), retried when running.
    std::fs::write(
        &bad,
        "[[family]]\nname = \"three\"\nsource = \"missing.txt\"\n",
    )
    .unwrap();
    let before = ns.ipset_save();
    let r = ns.mipset(&["reconcile", "--once", bad.to_str().unwrap()]);
    r.expect(4);
    assert!(r.stdout.contains("missing.txt"), "{}", r.stdout);
    // The list is read before the kernel is touched: no empty family left.
    assert_eq!(ns.ipset_save(), before);
    let _ = std::fs::remove_dir_all(&dir);
}
