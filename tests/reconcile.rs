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

/// A running mipset whose stdout lines arrive on a channel as it prints
/// them, so a test sees what a log collector would see.
struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Running {
    fn spawn(ns: &Netns, args: &[&str]) -> Running {
        let mut child = ns
            .mipset_command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// The next stdout line within `limit`, or a failed test (the process
    /// is killed first, so a hung mipset never outlives the test).
    fn line(&mut self, what: &str, limit: Duration) -> String {
        match self.lines.recv_timeout(limit) {
            Ok(line) => line,
            Err(_) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{what}: no line on stdout within {limit:?}");
            }
        }
    }

    /// Wait for the exit within `limit`: (code, the rest of stdout, stderr).
    fn exit(mut self, what: &str, limit: Duration) -> (i32, Vec<String>, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{what}: still running after {limit:?} (killed)");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr);
        let rest = self.lines.iter().collect();
        (status.code().unwrap_or(-1), rest, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sigterm(r: &Running) {
    // `ip netns exec` execs mipset in place, so the pid is mipset's.
    unsafe { libc::kill(r.child.id() as i32, libc::SIGTERM) };
}

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn family_config(dir: &std::path::Path, file: &str, source: &str, extra: &str) -> String {
    let config = dir.join(file);
    std::fs::write(
        &config,
        format!("[[family]]\nname = \"rf\"\nshards = 2\nsource = \"{source}\"\n{extra}"),
    )
    .unwrap();
    config.to_str().unwrap().to_string()
}

/// #11: a FIFO, a device or a huge file as `source` is refused at once
/// (before it was opened and read: a FIFO blocked in open(), /dev/zero
/// spun forever), nothing is created, and a running reconciler whose
/// source is a FIFO still reports it and stops on SIGTERM.
#[test]
fn reconcile_reads_only_bounded_regular_files_and_always_hears_sigterm() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = config_dir("fifo");
    mkfifo(&dir.join("fifo.txt"));
    let big = std::fs::File::create(dir.join("big.txt")).unwrap();
    // Sparse: 256 MiB + 1 byte costs no disk.
    big.set_len(mipset::source::MAX_LIST_BYTES + 1).unwrap();
    let before = ns.ipset_save();
    for (file, source, extra, needle) in [
        ("fifo.toml", "fifo.txt", "", "FIFO"),
        ("zero.toml", "/dev/zero", "allow_outside = true\n", "device"),
        ("dir.toml", ".", "", "directory"),
        ("big.toml", "big.txt", "", "limit"),
    ] {
        let config = family_config(&dir, file, source, extra);
        let r = Running::spawn(&ns, &["reconcile", "--once", &config]);
        let (code, lines, _) = r.exit(source, Duration::from_secs(10));
        assert_eq!(code, 4, "{source}: {lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("\"result\":\"error\"") && l.contains(needle)),
            "{source}: {lines:?}"
        );
        assert_eq!(ns.ipset_save(), before, "{source}: nothing created");
    }
    // Running (not --once): the failed apply is reported, then SIGTERM
    // stops the reconciler during its retry wait.
    let config = family_config(&dir, "fifo.toml", "fifo.txt", "");
    let mut r = Running::spawn(&ns, &["reconcile", &config]);
    let first = r.line("the FIFO's error", Duration::from_secs(10));
    assert!(first.contains("FIFO"), "{first}");
    sigterm(&r);
    let (code, rest, stderr) = r.exit("stop on SIGTERM", Duration::from_secs(5));
    assert_eq!(code, 0, "{rest:?} {stderr}");
    assert!(
        rest.last().is_some_and(|l| l.contains("\"stopped\"")),
        "{rest:?}"
    );
    assert_eq!(ns.ipset_save(), before);
    // Waiting for the node lock (up to 30 s, the DaemonSet's whole grace
    // period) also ends on SIGTERM, with nothing changed.
    std::fs::write(dir.join("a.txt"), "192.0.2.1\n").unwrap();
    let config = family_config(&dir, "a.toml", "a.txt", "");
    let mut holder = ns.hold_lock();
    let r = Running::spawn(&ns, &["reconcile", &config]);
    std::thread::sleep(Duration::from_millis(1500));
    sigterm(&r);
    let (code, lines, stderr) = r.exit("stop while waiting for the lock", Duration::from_secs(5));
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(code, 0, "{lines:?} {stderr}");
    assert!(
        lines.iter().any(|l| l.contains("\"interrupted\"")),
        "{lines:?}"
    );
    assert_eq!(ns.ipset_save(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// #12: each JSON line reaches a pipe as soon as its apply ends (stdout
/// is block-buffered when it is not a terminal, and a SIGKILLed process
/// never flushed what it held).
#[test]
fn reconcile_lines_reach_a_pipe_at_once_and_survive_sigkill() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = config_dir("flush");
    std::fs::write(dir.join("a.txt"), "192.0.2.1\n").unwrap();
    let config = family_config(&dir, "c.toml", "a.txt", "");
    let mut r = Running::spawn(&ns, &["reconcile", &config]);
    let line = r.line("the first apply's line", Duration::from_secs(15));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["result"], "ok", "{line}");
    assert!(r.child.try_wait().unwrap().is_none(), "still running");
    r.child.kill().unwrap();
    r.child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// #10: the metrics file is never written through a link planted in its
/// directory (the old fixed temporary `PATH.tmp` was followed), and a
/// directory others may write to without the sticky bit is refused.
#[test]
fn reconcile_metrics_never_follow_a_planted_link_and_refuse_an_open_directory() {
    if !kernel_tests_enabled() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let ns = Netns::new();
    let dir = config_dir("metrics");
    std::fs::write(dir.join("a.txt"), "192.0.2.1\n").unwrap();
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let sticky = dir.join("sticky");
    std::fs::create_dir(&sticky).unwrap();
    std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
    // Every name the old code or a guess could use.
    for name in ["mipset.prom.tmp", ".mipset.prom.tmp", "mipset.prom.new"] {
        std::os::unix::fs::symlink(&victim, sticky.join(name)).unwrap();
    }
    let metrics = sticky.join("mipset.prom");
    let config = family_config(&dir, "c.toml", "a.txt", "");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("metrics_file = \"{}\"\n{text}", metrics.display()),
    )
    .unwrap();
    let r = ns.mipset(&["reconcile", "--once", &config]);
    r.expect(0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let meta = std::fs::symlink_metadata(&metrics).unwrap();
    assert!(meta.file_type().is_file(), "{meta:?}");
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o644,
        "the collector reads it"
    );
    assert!(std::fs::read_to_string(&metrics)
        .unwrap()
        .contains("mipset_shard_elements{family=\"rf\""));
    // No temporaries left beside it.
    let names: Vec<String> = std::fs::read_dir(&sticky)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    // World-writable without the sticky bit: refused, named, nothing written.
    let open = dir.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let metrics = open.join("mipset.prom");
    std::fs::write(
        &config,
        format!("metrics_file = \"{}\"\n{text}", metrics.display()),
    )
    .unwrap();
    let r = ns.mipset(&["reconcile", "--once", &config]);
    r.expect(0);
    assert!(
        r.stderr.contains(&open.display().to_string()) && r.stderr.contains("sticky"),
        "{}",
        r.stderr
    );
    assert!(!metrics.exists());
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// #13: a `source` that leads outside the configuration's directory is
/// refused unless the family allows it, and errors about a list or a
/// configuration quote at most a short, escaped excerpt of what they read
/// (a symlink to a secret leaked it before).
#[test]
fn reconcile_errors_never_echo_more_than_an_excerpt_and_sources_stay_inside() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = config_dir("secret");
    let outside = config_dir("secret-outside");
    let secret_text = format!("hunter2-{}", "s".repeat(300));
    let secret = outside.join("secret");
    std::fs::write(&secret, format!("192.0.2.1 {secret_text}\n")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.join("list.txt")).unwrap();
    let before = ns.ipset_save();
    let leaks = |text: &str| text.contains(&"s".repeat(80)) || text.contains('\u{1b}');
    // Outside the configuration's directory: refused before it is read.
    let config = family_config(&dir, "c.toml", "list.txt", "");
    let r = ns.mipset(&["reconcile", "--once", &config]);
    r.expect(4);
    assert!(
        r.stdout.contains("outside") && r.stdout.contains("allow_outside"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("hunter2"), "{}", r.stdout);
    // Allowed: read, and its bad line is quoted only in part.
    let config = family_config(&dir, "c.toml", "list.txt", "allow_outside = true\n");
    let r = ns.mipset(&["reconcile", "--once", &config]);
    r.expect(4);
    assert!(
        r.stdout.contains("list.txt:1: unexpected 'hunter2-sss"),
        "{}",
        r.stdout
    );
    assert!(
        !leaks(&r.stdout) && !leaks(&r.stderr),
        "{}{}",
        r.stdout,
        r.stderr
    );
    // Escape sequences are escaped.
    std::fs::write(&secret, "192.0.2.1 \u{1b}[2J\n").unwrap();
    let r = ns.mipset(&["reconcile", "--once", &config]);
    r.expect(4);
    assert!(
        !leaks(&r.stdout) && r.stdout.contains("\\\\u{1b}"),
        "{}",
        r.stdout
    );
    // The configuration itself as a symlink to secret TOML: excerpts only.
    for body in [
        format!("[[family]]\nname = \"x\"\nsource = \"a\"\nshards = \"{secret_text}\"\n"),
        format!("{secret_text} = 1\n"),
        format!("[[family]]\nname = \"{secret_text}\"\nsource = \"a\"\n"),
        format!("[[family]]\nname = \"x\"\nsource = \"a\"\ntimeout = \"5 {secret_text}\"\n"),
    ] {
        std::fs::write(&secret, &body).unwrap();
        let link = dir.join("linked.toml");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let r = ns.mipset(&["reconcile", "--once", link.to_str().unwrap()]);
        r.expect(2);
        assert!(r.stderr.contains("hunter2"), "an excerpt: {}", r.stderr);
        assert!(!leaks(&r.stderr), "{}", r.stderr);
    }
    assert_eq!(ns.ipset_save(), before);
    // A ConfigMap volume: every file a link into `..data`, itself a link to
    // a timestamped directory; all inside, so accepted as it is.
    let cm = config_dir("configmap");
    let real = cm.join("..2026_12_02_07_00_00.1");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("list.txt"), "192.0.2.9\n").unwrap();
    family_config(&real, "reconcile.toml", "list.txt", "");
    std::os::unix::fs::symlink(real.file_name().unwrap(), cm.join("..data")).unwrap();
    for name in ["list.txt", "reconcile.toml"] {
        std::os::unix::fs::symlink(format!("..data/{name}"), cm.join(name)).unwrap();
    }
    let r = ns.mipset(&[
        "reconcile",
        "--once",
        cm.join("reconcile.toml").to_str().unwrap(),
    ]);
    r.expect(0);
    ns.mipset(&["-q", "test", "rf", "192.0.2.9"]).expect(0);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&outside);
    let _ = std::fs::remove_dir_all(&cm);
}
