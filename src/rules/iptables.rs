//! Running iptables: which backend the host uses, and the three things
//! mipset asks of it (save with counters, check one rule, restore a
//! script atomically with `--noflush`). Every command that takes the
//! xtables lock waits for it at most 5 s (`-w 5`).
//!
//! Every command is run directly (no shell) and killed after 30 s. (Rule
//! checks went through the `iptables` crate before; its regex dependency
//! alone put ~6,800 start-up relocations, 38 pages written at every start,
//! into every one-shot mipset command: docs/BENCHMARKS.md.) Arguments are
//! mipset's own validated names (see [`super::spec::RuleSpec::validate`]),
//! never shell text.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::installed::BackendKind;
use crate::addr::AddrFamily;
use crate::error::{Error, KernelErrorKind, Result};

/// Seconds any iptables command waits for the xtables lock.
pub const XTABLES_WAIT_SECS: u32 = 5;
/// How long any iptables process may run before mipset gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// The backend mipset uses on this host, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Backend {
    pub kind: BackendKind,
    /// How it was chosen, for `mipset rule list`.
    pub reason: String,
    /// Whether the suffixed binaries (iptables-nft, iptables-legacy)
    /// exist; if not, plain `iptables` is that backend.
    #[serde(skip)]
    suffixed: bool,
}

/// The kube-proxy/iptables-wrapper hint chains (in the mangle table of the
/// backend the kubelet uses).
const HINT_CHAINS: &[&str] = &["KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY"];

/// Where `program` is: on PATH, or in /usr/sbin or /sbin (root's tools,
/// when PATH lacks them).
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn on_path(program: &str) -> bool {
    which(program).is_some()
}

/// Run a program with a time limit; stdout if it succeeds.
fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String> {
    let (status, stdout, stderr) = run_status(program, args, stdin)?;
    if status.success() {
        Ok(stdout)
    } else {
        Err(iptables_error(program, &stderr))
    }
}

/// Run `program`, killed after [`COMMAND_TIMEOUT`]: its exit status,
/// stdout and stderr.
fn run_status(
    program: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<(std::process::ExitStatus, String, String)> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::kernel(
                KernelErrorKind::Other,
                format!("cannot run {program}: {e} (is iptables installed?)"),
            )
        })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A failed write shows up as the program's own error below.
        let _ = pipe.write_all(text.as_bytes());
    }
    // Read both pipes on threads so a chatty program cannot block.
    fn drain<R: std::io::Read + Send + 'static>(
        pipe: Option<R>,
    ) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut s);
            }
            s
        })
    }
    let out_thread = drain(child.stdout.take());
    let err_thread = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::kernel(KernelErrorKind::Other, format!("{program}: {e}")))?
        {
            break status;
        }
        if start.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::kernel(
                KernelErrorKind::Other,
                format!(
                    "{program} did not finish within {}s; killed",
                    COMMAND_TIMEOUT.as_secs()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok((status, stdout, stderr))
}

/// An iptables failure as one line.
fn iptables_error(program: &str, stderr: &str) -> Error {
    let text: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        // Hints about options, and line numbers of a script the user never
        // saw, only confuse.
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Try `") && !l.starts_with("Error occurred at line")
        })
        .map(|l| {
            // iptables names itself ("iptables-restore v1.8.9 (legacy): ").
            match l.split_once("): ") {
                Some((head, rest)) if head.contains("tables") && head.contains(" v") => rest,
                _ => l,
            }
        })
        .collect();
    let message = text.join("; ");
    let kind =
        if message.contains("Permission denied") || message.contains("Operation not permitted") {
            KernelErrorKind::NoPermission
        } else {
            KernelErrorKind::Other
        };
    Error::kernel(kind, format!("{program}: {message}"))
}

/// Count the rules (`-A` lines) in a save dump, leaving out mipset's own
/// dispatch chains (a large family's chains would otherwise decide).
fn rule_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with("-A ") && !l.starts_with("-A mipset-"))
        .count()
}

/// The legacy tables that exist in this namespace. Reading legacy tables
/// that do not exist would create them (and make every later `iptables`
/// print a warning), so look in /proc first.
fn legacy_tables(v6: bool) -> String {
    let path = if v6 {
        "/proc/net/ip6_tables_names"
    } else {
        "/proc/net/ip_tables_names"
    };
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Backend {
    /// Every backend that may hold mipset rules here: nf_tables, and legacy
    /// if any legacy table exists (or the one plain `iptables` is, on hosts
    /// without the suffixed binaries). For finding rules wherever they
    /// are, whichever backend `detect` picks for new ones.
    pub fn present() -> Result<Vec<Backend>> {
        let suffixed = on_path("iptables-nft") && on_path("iptables-legacy");
        if !suffixed {
            return Ok(vec![Backend {
                kind: Self::default_kind()?,
                reason: "the only iptables on this host".into(),
                suffixed,
            }]);
        }
        let mut all = vec![Backend {
            kind: BackendKind::Nft,
            reason: "searched".into(),
            suffixed,
        }];
        if !legacy_tables(false).trim().is_empty() || !legacy_tables(true).trim().is_empty() {
            all.push(Backend {
                kind: BackendKind::Legacy,
                reason: "searched: legacy tables exist".into(),
                suffixed,
            });
        }
        Ok(all)
    }

    /// The backend to use: `forced` (from `--backend` or
    /// `MIPSET_IPTABLES_BACKEND`), else detected the way kube-proxy's
    /// iptables-wrapper does it: the backend whose mangle table has the
    /// kubelet's hint chain; else the one with more rules (IPv4 and IPv6);
    /// else the one plain `iptables` is.
    pub fn detect(forced: Option<BackendKind>) -> Result<Backend> {
        let suffixed = on_path("iptables-nft") && on_path("iptables-legacy");
        let forced = match forced {
            Some(k) => Some((k, "chosen with --backend".to_string())),
            None => match std::env::var("MIPSET_IPTABLES_BACKEND") {
                Ok(v) if !v.is_empty() => Some((
                    v.parse::<BackendKind>().map_err(Error::Usage)?,
                    "chosen with MIPSET_IPTABLES_BACKEND".to_string(),
                )),
                _ => None,
            },
        };
        if let Some((kind, reason)) = forced {
            if !suffixed && kind != Self::default_kind()? {
                return Err(Error::Usage(format!(
                    "iptables backend {} asked for, but this host has only iptables ({}) and no iptables-{}",
                    kind.as_str(),
                    Self::default_kind()?.kernel_name(),
                    kind.as_str()
                )));
            }
            return Ok(Backend {
                kind,
                reason,
                suffixed,
            });
        }
        if !suffixed {
            let kind = Self::default_kind()?;
            return Ok(Backend {
                kind,
                // The kind is printed beside the reason: no brackets in it.
                reason: "the only iptables on this host".into(),
                suffixed,
            });
        }
        let save = |kind: BackendKind, v6: bool, table: Option<&str>| -> String {
            if kind == BackendKind::Legacy {
                let present = legacy_tables(v6);
                let wanted = table.map_or(!present.trim().is_empty(), |t| {
                    present.lines().any(|l| l.trim() == t)
                });
                if !wanted {
                    return String::new();
                }
            }
            let program = format!(
                "{}-{}-save",
                if v6 { "ip6tables" } else { "iptables" },
                kind.as_str()
            );
            let mut args = Vec::new();
            if let Some(t) = table {
                args.extend(["-t", t]);
            }
            run(&program, &args, None).unwrap_or_default()
        };
        for kind in [BackendKind::Nft, BackendKind::Legacy] {
            let mangle = save(kind, false, Some("mangle"));
            if let Some(hint) = HINT_CHAINS
                .iter()
                .find(|h| mangle.contains(&format!(":{h} ")))
            {
                return Ok(Backend {
                    kind,
                    reason: format!(
                        "the kubelet's {hint} chain is in iptables-{}",
                        kind.as_str()
                    ),
                    suffixed,
                });
            }
        }
        let count =
            |kind| rule_lines(&save(kind, false, None)) + rule_lines(&save(kind, true, None));
        let (nft, legacy) = (count(BackendKind::Nft), count(BackendKind::Legacy));
        if nft != legacy {
            let kind = if legacy > nft {
                BackendKind::Legacy
            } else {
                BackendKind::Nft
            };
            return Ok(Backend {
                kind,
                reason: format!("it holds more rules: nft {nft}, legacy {legacy}"),
                suffixed,
            });
        }
        let kind = Self::default_kind()?;
        Ok(Backend {
            kind,
            reason: format!(
                "no rules in either; plain iptables is {}",
                kind.kernel_name()
            ),
            suffixed,
        })
    }

    /// What plain `iptables` is, from `iptables -V`.
    fn default_kind() -> Result<BackendKind> {
        let v = run("iptables", &["-V"], None)?;
        Ok(if v.contains("legacy") {
            BackendKind::Legacy
        } else {
            BackendKind::Nft
        })
    }

    fn program(&self, family: AddrFamily, tool: &str) -> String {
        let base = match family {
            AddrFamily::Inet => "iptables",
            AddrFamily::Inet6 => "ip6tables",
        };
        match (self.suffixed, tool) {
            (true, "") => format!("{base}-{}", self.kind.as_str()),
            (true, t) => format!("{base}-{}-{t}", self.kind.as_str()),
            (false, "") => base.to_string(),
            (false, t) => format!("{base}-{t}"),
        }
    }

    /// The iptables command this backend runs for `family`.
    pub fn command(&self, family: AddrFamily) -> String {
        self.program(family, "")
    }

    /// `iptables-save -c`, one table or all.
    pub fn save(&self, family: AddrFamily, table: Option<&str>) -> Result<String> {
        let program = self.program(family, "save");
        let mut args = vec!["-c"];
        if let Some(t) = table {
            args.extend(["-t", t]);
        }
        run(&program, &args, None)
    }

    /// Apply a restore script atomically, leaving everything it does not
    /// mention alone (`--noflush`).
    pub fn restore(&self, family: AddrFamily, script: &str) -> Result<()> {
        let program = self.program(family, "restore");
        let wait = XTABLES_WAIT_SECS.to_string();
        run(&program, &["-w", &wait, "--noflush"], Some(script)).map(|_| ())
    }

    /// Parse and check a restore script without committing it
    /// (`iptables-restore --test`): nothing changes.
    pub fn restore_test(&self, family: AddrFamily, script: &str) -> Result<()> {
        let program = self.program(family, "restore");
        let wait = XTABLES_WAIT_SECS.to_string();
        run(
            &program,
            &["-w", &wait, "--noflush", "--test"],
            Some(script),
        )
        .map(|_| ())
    }

    /// Whether a rule exists (`iptables -C`): exit 0 yes, 1 no.
    pub fn exists(&self, family: AddrFamily, table: &str, chain: &str, args: &str) -> Result<bool> {
        let program: &'static str = match (self.suffixed, family, self.kind) {
            (false, AddrFamily::Inet, _) => "iptables",
            (false, AddrFamily::Inet6, _) => "ip6tables",
            (true, AddrFamily::Inet, BackendKind::Nft) => "iptables-nft",
            (true, AddrFamily::Inet, BackendKind::Legacy) => "iptables-legacy",
            (true, AddrFamily::Inet6, BackendKind::Nft) => "ip6tables-nft",
            (true, AddrFamily::Inet6, BackendKind::Legacy) => "ip6tables-legacy",
        };
        let wait = XTABLES_WAIT_SECS.to_string();
        // `args` as iptables-save prints them: quoted comments stay one word.
        let words = super::save::split_words(args);
        let mut argv = vec!["-t", table, "-w", &wait, "-C", chain];
        argv.extend(words.iter().map(String::as_str));
        let (status, _, stderr) = run_status(program, &argv, None)?;
        match status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(iptables_error(program, &stderr)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names_follow_the_backend() {
        let b = Backend {
            kind: BackendKind::Legacy,
            reason: String::new(),
            suffixed: true,
        };
        assert_eq!(
            b.program(AddrFamily::Inet6, "restore"),
            "ip6tables-legacy-restore"
        );
        assert_eq!(b.command(AddrFamily::Inet), "iptables-legacy");
        let plain = Backend {
            suffixed: false,
            ..b
        };
        assert_eq!(plain.program(AddrFamily::Inet, "save"), "iptables-save");
    }

    #[test]
    fn errors_are_one_line() {
        let e = iptables_error(
            "iptables-restore",
            "iptables-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nError occurred at line: 4\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
        );
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
        assert_eq!(
            e.to_string(),
            "iptables-restore: Chain 'NOPE' does not exist"
        );
    }
}
