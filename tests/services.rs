//! The host service files in deploy/, checked with the real tools that
//! read them: the systemd unit with `systemd-analyze`, the fail2ban action
//! with fail2ban itself, its commands run by a real fail2ban-server inside
//! a private network namespace.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{kernel_tests_enabled, Netns, MIPSET};

const UNIT: &str = "deploy/systemd/mipset-reconcile.service";
const ACTION: &str = "deploy/fail2ban/mipset.conf";
/// The paths the unit is installed with (README.md).
const UNIT_BINARY: &str = "/usr/local/sbin/mipset";
const UNIT_CONFIG: &str = "/etc/mipset/reconcile.toml";

/// Run a host program (not in a namespace); a missing one fails loudly.
fn host(program: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (scripts/deps): {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The unit's `Key=` values, in order.
fn directives<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

/// The unit as installed, with its binary at `binary`.
fn unit_with_binary(binary: &str) -> String {
    let unit = std::fs::read_to_string(UNIT).unwrap();
    assert!(
        unit.matches(UNIT_BINARY).count() >= 2,
        "ExecStartPre and ExecStart run {UNIT_BINARY}"
    );
    unit.replace(UNIT_BINARY, binary)
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify_and_security() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mipset-reconcile.service");
    std::fs::write(&path, unit_with_binary(MIPSET)).unwrap();
    let p = path.to_str().unwrap();
    // verify prints unknown keys, bad values, missing binaries and
    // dependency problems on stderr, even when it exits 0: both must be
    // empty. --man=no: mipset's page ships in man/, not installed here.
    let (code, out, err) = host("systemd-analyze", &["verify", "--man=no", p]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "", ""),
        "systemd-analyze verify {UNIT}"
    );
    // The sandbox keeps the exposure low ("OK": below 3 on 0..10).
    let (code, out, err) = host(
        "systemd-analyze",
        &[
            "security",
            "--offline=yes",
            "--threshold=30",
            "--no-pager",
            p,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let level: f64 = out
        .rsplit("Overall exposure level for mipset-reconcile.service: ")
        .next()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in {out}"));
    assert!(level < 3.0, "exposure {level}\n{out}");
}

#[test]
fn the_systemd_unit_keeps_what_mipset_needs_and_orders_before_the_firewall() {
    let unit = std::fs::read_to_string(UNIT).unwrap();
    let caps = directives(&unit, "CapabilityBoundingSet").concat();
    let mut sorted: Vec<&str> = caps.split_whitespace().collect();
    sorted.sort();
    assert_eq!(
        sorted,
        ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
        "ipset/iptables and the node lock's privileged port (src/lock.rs)"
    );
    let families = directives(&unit, "RestrictAddressFamilies").concat();
    for f in ["AF_NETLINK", "AF_INET", "AF_UNIX"] {
        assert!(families.contains(f), "{f}: {families}");
    }
    assert!(!unit.contains("PrivateNetwork="), "the sets are the host's");
    assert!(
        directives(&unit, "ReadWritePaths").contains(&"/run/xtables.lock"),
        "iptables-legacy's lock"
    );
    let before = directives(&unit, "Before").concat();
    for u in [
        "netfilter-persistent.service",
        "iptables.service",
        "nftables.service",
        "network-pre.target",
    ] {
        assert!(before.contains(u), "Before={before} lacks {u}");
    }
    assert_eq!(directives(&unit, "WantedBy"), ["multi-user.target"]);
    assert_eq!(directives(&unit, "Restart"), ["on-failure"]);
    assert_eq!(
        directives(&unit, "ExecStart"),
        [format!("{UNIT_BINARY} reconcile {UNIT_CONFIG}").as_str()]
    );
}

/// The unit's ExecStartPre (the boot apply) and ExecStart, as mipset
/// argument lists with the configuration at `config`.
fn unit_commands(config: &Path) -> (Vec<String>, Vec<String>) {
    let unit = unit_with_binary(MIPSET);
    let args = |line: &str| -> Vec<String> {
        let mut words = line.trim_start_matches(['-', '+']).split_whitespace();
        assert_eq!(words.next(), Some(MIPSET), "{line}");
        words
            .map(|w| {
                if w == UNIT_CONFIG {
                    config.to_str().unwrap().to_string()
                } else {
                    w.to_string()
                }
            })
            .collect()
    };
    let pre = directives(&unit, "ExecStartPre")
        .into_iter()
        .find(|l| l.contains(MIPSET))
        .expect("an ExecStartPre that runs mipset");
    assert!(
        pre.starts_with('-'),
        "a failed boot apply leaves the retries to the service"
    );
    let start = directives(&unit, "ExecStart");
    assert_eq!(start.len(), 1);
    (args(pre), args(start[0]))
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_units_commands_apply_at_boot_and_stop_cleanly_on_sigterm() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("reconcile.toml");
    std::fs::write(dir.path().join("ban.txt"), "192.0.2.7\n198.51.100.0\n").unwrap();
    std::fs::write(
        &config,
        "resync = \"1h\"\n[[family]]\nname = \"boot\"\ntype = \"hash:ip\"\nshards = 4\nsource = \"ban.txt\"\n\
         [[family.rule]]\ntable = \"raw\"\nchain = \"PREROUTING\"\nmatch = \"src\"\njump = \"DROP\"\n",
    )
    .unwrap();
    let (pre, start) = unit_commands(&config);
    let ns = Netns::new();
    // ExecStartPre: the boot apply, before units ordered after this one.
    let pre: Vec<&str> = pre.iter().map(String::as_str).collect();
    ns.mipset(&pre).expect(0);
    ns.mipset(&["test", "boot", "192.0.2.7"]).expect(0);
    assert!(ns
        .ok("iptables-save", &["-t", "raw"])
        .contains("mipset family=boot"));
    // ExecStart: the long-running reconciler; systemd stops it with SIGTERM
    // (KillMode=mixed), which must end it with status 0, not a failure
    // Restart=on-failure would act on.
    let start: Vec<&str> = start.iter().map(String::as_str).collect();
    let mut child = Killed(
        ns.mipset_command(&start)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.0.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("\"result\":\"ok\""), "{line}");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(child.0.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let status = child.0.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// A fail2ban configuration directory with one jail that uses the action.
struct Fail2ban {
    dir: tempfile::TempDir,
}

impl Fail2ban {
    fn new() -> Fail2ban {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let p = |f: &str| d.join(f).to_str().unwrap().to_string();
        for sub in ["action.d", "filter.d"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        std::fs::copy(ACTION, d.join("action.d/mipset.conf")).unwrap();
        std::fs::write(
            d.join("fail2ban.conf"),
            format!(
                "[Definition]\nloglevel = INFO\nlogtarget = {}\nsyslogsocket = auto\nsocket = {}\n\
                 pidfile = {}\ndbfile = :memory:\ndbpurgeage = 1d\nallowipv6 = auto\n",
                p("fail2ban.log"),
                p("fail2ban.sock"),
                p("fail2ban.pid")
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("filter.d/test.conf"),
            "[Definition]\nfailregex = ^fail from <HOST>$\n",
        )
        .unwrap();
        std::fs::write(d.join("auth.log"), "").unwrap();
        // The jail example of README.md, with mipset's path given.
        std::fs::write(
            d.join("jail.conf"),
            format!(
                "[DEFAULT]\nbackend = polling\n[sshd]\nenabled = true\nfilter = test\nlogpath = {}\n\
                 bantime = 600\naction = mipset[mipset={MIPSET}]\n",
                p("auth.log")
            ),
        )
        .unwrap();
        Fail2ban { dir }
    }

    fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    /// fail2ban-client with this configuration.
    fn client(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = vec!["-c", self.path()];
        all.extend_from_slice(args);
        host("fail2ban-client", &all)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("fail2ban.log")).unwrap_or_default()
    }
}

#[test]
fn fail2ban_loads_the_mipset_action() {
    let f = Fail2ban::new();
    let (code, out, err) = f.client(&["-t"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        format!("{out}{err}").contains("OK: configuration test is successful"),
        "{out}\n{err}"
    );
    let (code, out, err) = f.client(&["-d"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        !err.contains("WARNING") && !err.contains("ERROR"),
        "fail2ban-client -d: {err}"
    );
    assert!(
        out.contains("['set', 'sshd', 'addaction', 'mipset']"),
        "{out}"
    );
    // The parsed commands, with the jail's values substituted.
    for command in [
        format!("{MIPSET} --wait=10 add <ipmset> <ip> --exist --timeout 0"),
        format!("{MIPSET} --wait=10 del <ipmset> <ip> --exist"),
        format!("{MIPSET} --wait=10 destroy <ipmset> --rules"),
        format!("{MIPSET} --wait=10 rule add <ipmset> --table filter --chain INPUT --match src --jump REJECT --position 1"),
        "['ipmset?family=inet6', 'f2b-<name>6']".to_string(),
        "['addrfamily?family=inet6', 'inet6']".to_string(),
    ] {
        assert!(out.contains(&command), "{command} not in\n{out}");
    }
}

/// Poll `check` for up to 15 s (fail2ban bans from its jail's thread).
#[track_caller]
fn eventually(what: &str, f: &Fail2ban, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within 15 s\nfail2ban.log:\n{}",
            f.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn fail2ban_bans_and_unbans_through_mipset_in_a_private_namespace() {
    if !kernel_tests_enabled() {
        return;
    }
    let f = Fail2ban::new();
    let ns = Netns::new();
    // The real server, in the foreground, inside the namespace: the
    // action's commands run there, as fail2ban substitutes them.
    let server = Killed(
        ns.command("fail2ban-client", &["-c", f.path(), "-f", "-x", "start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("fail2ban-client is needed for this test (scripts/deps)"),
    );
    eventually("the server answers", &f, || {
        f.client(&["status", "sshd"]).0 == 0
    });
    let ipset = |ns: &Netns| ns.ipset_save();
    let rules = |ns: &Netns, prog: &str| ns.ok(prog, &["-t", "filter", "-S", "INPUT"]);

    // Ban: actionstart on demand (family and rule), then actionban.
    let (code, out, err) = f.client(&["set", "sshd", "banip", "192.0.2.7"]);
    assert_eq!(code, 0, "{out}\n{err}");
    eventually("192.0.2.7 banned", &f, || {
        ns.mipset(&["test", "f2b-sshd", "192.0.2.7"]).code == 0
    });
    ns.mipset(&["test", "f2b-sshd", "192.0.2.8"]).expect(1);
    let saved = ipset(&ns);
    assert!(
        saved.contains("create f2b-sshd-s0 hash:ip family inet"),
        "{saved}"
    );
    assert!(
        saved.contains("timeout 0"),
        "the family has timeouts: {saved}"
    );
    assert!(saved.contains("add f2b-sshd-s0 192.0.2.7"), "{saved}");
    let v4 = rules(&ns, "iptables");
    assert!(
        v4.lines()
            .any(|l| l.contains("mipset family=f2b-sshd match=src jump=REJECT")),
        "{v4}"
    );
    ns.mipset(&[
        "rule", "check", "f2b-sshd", "--chain", "INPUT", "--match", "src", "--jump", "REJECT",
    ])
    .expect(0);

    // An IPv6 ban: fail2ban's family=inet6 options, a second family.
    let (code, out, err) = f.client(&["set", "sshd", "banip", "2001:db8::7"]);
    assert_eq!(code, 0, "{out}\n{err}");
    eventually("2001:db8::7 banned", &f, || {
        ns.mipset(&["test", "f2b-sshd6", "2001:db8::7"]).code == 0
    });
    assert!(ipset(&ns).contains("hash:ip family inet6"));
    assert!(rules(&ns, "ip6tables").contains("mipset family=f2b-sshd6"));

    // Unban.
    let (code, out, err) = f.client(&["set", "sshd", "unbanip", "192.0.2.7"]);
    assert_eq!(code, 0, "{out}\n{err}");
    eventually("192.0.2.7 unbanned", &f, || {
        ns.mipset(&["test", "f2b-sshd", "192.0.2.7"]).code == 1
    });
    ns.mipset(&["test", "f2b-sshd6", "2001:db8::7"]).expect(0);

    // Stop: actionstop removes both rules and both families.
    let (code, out, err) = f.client(&["stop"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "fail2ban did not stop\n{}",
            f.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let saved = ipset(&ns);
    assert!(!saved.contains("f2b-sshd"), "{saved}");
    assert!(!rules(&ns, "iptables").contains("mipset"));
    assert!(!rules(&ns, "ip6tables").contains("mipset"));
    let log = f.log();
    assert!(!log.contains("ERROR"), "{log}");
}

#[test]
fn the_readme_jail_works_with_the_stock_fail2ban_configuration() {
    // Debian's own jail.conf (fail2ban package) turns `banaction = mipset`
    // into the action with its port, protocol and chain arguments.
    let stock = Path::new("/etc/fail2ban");
    assert!(
        stock.join("jail.conf").is_file(),
        "the fail2ban package is needed for this test (scripts/deps)"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = host(
        "cp",
        &["-r", &format!("{}/.", stock.display()), d.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    for local in ["jail.local", "fail2ban.local"] {
        let _ = std::fs::remove_file(d.join(local));
    }
    let jail_d = d.join("jail.d");
    if jail_d.is_dir() {
        std::fs::remove_dir_all(&jail_d).unwrap();
    }
    std::fs::create_dir(&jail_d).unwrap();
    std::fs::copy(ACTION, d.join("action.d/mipset.conf")).unwrap();
    let log = d.join("auth.log");
    std::fs::write(&log, "").unwrap();
    // README.md's jail, with a log file that exists here.
    std::fs::write(
        jail_d.join("mipset.local"),
        format!(
            "[sshd]\nenabled   = true\nbanaction = mipset\nbackend = polling\nlogpath = {}\n",
            log.display()
        ),
    )
    .unwrap();
    let (code, out, err) = host("fail2ban-client", &["-c", d.to_str().unwrap(), "-d"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!err.contains("ERROR"), "{err}");
    assert!(
        out.contains("['set', 'sshd', 'addaction', 'mipset']"),
        "{out}"
    );
    assert!(
        out.contains("mipset --wait=10 add <ipmset> <ip> --exist --timeout 0"),
        "{out}"
    );
    assert!(
        out.contains("--chain INPUT --match src --jump REJECT"),
        "{out}"
    );
}
