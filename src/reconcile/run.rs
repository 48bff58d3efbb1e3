//! The reconciler's loop: apply each family when due (at start, on a
//! change of its list or of the configuration, every resync, and after a
//! failure with backoff), print one JSON line per apply, write the metrics
//! file, and stop cleanly on a signal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::apply::{apply_family, Applied};
use super::config::{parse, Desired, Plan};
use crate::error::{Error, KernelErrorKind, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::family::status::FamilyStatus;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::output::file::write_atomically;
use crate::output::metrics::{self, ApplyStats};
use crate::output::sink::Out;
use crate::rules::iptables::Backend;
use crate::source;

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Directories to watch: those of the configuration and of every list.
fn watched_dirs(config: &Path, plan: &Plan) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::iter::once(config.to_path_buf())
        .chain(plan.families.iter().map(|d| d.source.clone()))
        .map(|p| {
            p.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        })
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p
            }
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

struct Family {
    desired: Desired,
    due: Instant,
    backoff: Duration,
    /// Applied once already: later adds/dels with an unchanged source are
    /// drift that was repaired.
    applied_once: bool,
    source_changed: bool,
    trigger: &'static str,
}

impl Family {
    /// Due now.
    fn new(desired: &Desired, applied_once: bool, trigger: &'static str) -> Family {
        Family {
            desired: desired.clone(),
            due: Instant::now(),
            backoff: Duration::from_secs(1),
            applied_once,
            source_changed: false,
            trigger,
        }
    }
}

/// Run until a signal (or once, with `once`).
pub fn run(config_path: &Path, once: bool, out: &mut Out) -> Result<ExitCode> {
    let mut plan = load(config_path)?;
    interrupt::defer();
    let mut kernel = Kernel::open()?;
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| Error::kernel(KernelErrorKind::Other, format!("cannot watch files: {e}")))?;
    watch(&mut watcher, config_path, &plan);
    let mut families: Vec<Family> = plan
        .families
        .iter()
        .map(|d| Family::new(d, false, "start"))
        .collect();
    let mut stats: BTreeMap<String, ApplyStats> = BTreeMap::new();
    let mut failed_last = false;
    loop {
        let backend = if families.iter().any(|f| !f.desired.rules.is_empty()) {
            Some(Backend::detect(plan.backend)?)
        } else {
            None
        };
        let mut applied_any = false;
        for f in families.iter_mut().filter(|f| f.due <= Instant::now()) {
            if interrupt::pending() {
                break;
            }
            applied_any = true;
            let started = Instant::now();
            let result = apply_family(&mut kernel, &f.desired, &backend);
            let s = stats.entry(f.desired.spec.name.clone()).or_default();
            let line = record(f, result, started.elapsed(), s, plan.resync);
            emit(out, &line);
            match line["result"].as_str() {
                Some("interrupted") => break,
                Some(result) => failed_last = result == "error",
                None => {}
            }
        }
        if applied_any {
            if let Some(path) = &plan.metrics_file {
                let statuses = family_statuses(&mut kernel, &plan)?;
                if let Err(e) = write_atomically(path, &metrics::render(&statuses, &stats)) {
                    eprintln!(
                        "mipset: warning: cannot write metrics to {}: {e}",
                        path.display()
                    );
                }
            }
        }
        if once || interrupt::pending() {
            break;
        }
        if wait_for_change(&rx, config_path, &mut families, plan.resync) {
            match load(config_path) {
                Ok(new_plan) => {
                    families = new_plan
                        .families
                        .iter()
                        .map(|d| {
                            let seen = families
                                .iter()
                                .any(|f| f.desired.spec.name == d.spec.name && f.applied_once);
                            let mut f = Family::new(d, seen, "config");
                            f.source_changed = true;
                            f
                        })
                        .collect();
                    plan = new_plan;
                    watch(&mut watcher, config_path, &plan);
                }
                Err(e) => {
                    let line = json!({"time": now_rfc3339(), "result": "error", "config": config_path.display().to_string(), "error": e.to_string(), "note": "keeping the previous configuration"});
                    emit(out, &line);
                }
            }
        }
    }
    let line = json!({"time": now_rfc3339(), "result": "stopped", "reason": if interrupt::pending() { "signal" } else { "done" }});
    emit(out, &line);
    Ok(if once && failed_last {
        ExitCode::Partial
    } else {
        ExitCode::Ok
    })
}

/// Watch the directories of the configuration and of every list.
fn watch(watcher: &mut notify::RecommendedWatcher, config_path: &Path, plan: &Plan) {
    use notify::Watcher;
    for dir in watched_dirs(config_path, plan) {
        if let Err(e) = watcher.watch(&dir, notify::RecursiveMode::NonRecursive) {
            eprintln!("mipset: warning: cannot watch {}: {e}", dir.display());
        }
    }
}

/// One apply's outcome: its JSON line, the family's next due time and
/// trigger, and the metrics.
fn record(
    f: &mut Family,
    result: Result<Applied>,
    elapsed: Duration,
    s: &mut ApplyStats,
    resync: Duration,
) -> serde_json::Value {
    s.last_duration = elapsed.as_secs_f64();
    let mut line = json!({
        "time": now_rfc3339(),
        "family": f.desired.spec.name,
        "trigger": f.trigger,
        "duration_ms": (elapsed.as_secs_f64() * 1e4).round() / 10.0,
    });
    match result {
        Ok(a) => {
            let drift = if f.applied_once && !f.source_changed {
                a.adds + a.dels + a.repairs + a.rules_added + a.rules_repaired
            } else {
                a.repairs + a.rules_repaired
            };
            s.applies_ok += 1;
            s.last_success = true;
            s.last_success_time = unix_now();
            s.drift_repairs += drift as u64;
            line["result"] = json!("ok");
            line["created"] = json!(a.created);
            line["adds"] = json!(a.adds);
            line["dels"] = json!(a.dels);
            line["repairs"] = json!(a.repairs);
            line["rules_added"] = json!(a.rules_added);
            line["rules_repaired"] = json!(a.rules_repaired);
            line["drift_repaired"] = json!(drift);
            f.applied_once = true;
            f.source_changed = false;
            f.backoff = Duration::from_secs(1);
            f.due = Instant::now() + resync;
            f.trigger = "resync";
        }
        Err(Error::Interrupted(_)) => {
            line["result"] = json!("interrupted");
        }
        Err(e) => {
            s.applies_failed += 1;
            s.last_success = false;
            line["result"] = json!("error");
            line["error"] = json!(e.to_string());
            line["retry_in_s"] = json!(f.backoff.as_secs());
            f.due = Instant::now() + f.backoff;
            f.backoff = (f.backoff * 2).min(resync);
            f.trigger = "retry";
        }
    }
    line
}

/// Wait for the next due family, a file change or a signal; whether the
/// configuration changed. A changed list makes its family due soon.
fn wait_for_change(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    config_path: &Path,
    families: &mut [Family],
    resync: Duration,
) -> bool {
    let next = families
        .iter()
        .map(|f| f.due)
        .min()
        .unwrap_or_else(|| Instant::now() + resync);
    let mut config_changed = false;
    while Instant::now() < next && !interrupt::pending() {
        match rx.recv_timeout(Duration::from_millis(200)) {
            // Reading a file (our own applies do) is not a change.
            Ok(Ok(event)) if matches!(event.kind, notify::EventKind::Access(_)) => {}
            Ok(Ok(event)) => {
                for path in &event.paths {
                    if path.file_name() == config_path.file_name() || path == config_path {
                        config_changed = true;
                    }
                    for f in families.iter_mut() {
                        let same = path == &f.desired.source
                            || path.file_name() == f.desired.source.file_name()
                            || path.file_name().is_some_and(|n| n == "..data");
                        if same {
                            f.source_changed = true;
                            f.trigger = "change";
                            // Let a writer finish (editors write in steps).
                            f.due = Instant::now() + Duration::from_millis(300);
                        }
                    }
                }
                if config_changed || families.iter().any(|f| f.source_changed) {
                    break;
                }
            }
            Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    config_changed
}

/// Print one JSON line and flush it at once: stdout is block-buffered
/// when it is not a terminal (a DaemonSet's log pipe), and a line still in
/// the buffer is lost when the process is killed.
fn emit(out: &mut Out, line: &serde_json::Value) {
    out.write(format!("{line}\n").as_bytes());
    out.flush();
}

/// Read and check the configuration file at `path` (a regular file of at
/// most [`source::MAX_CONFIG_BYTES`]; it is re-read on a change, while
/// signals only set a flag, so it must never block).
pub fn load(path: &std::path::Path) -> Result<Plan> {
    let input = source::open_regular(path, source::MAX_CONFIG_BYTES, None)?;
    parse(&input.read_to_string()?, path)
}

/// The state of the configured families that exist, for the metrics file.
pub fn family_statuses(kernel: &mut Kernel, plan: &Plan) -> Result<Vec<FamilyStatus>> {
    let specs: Vec<FamilySpec> = plan
        .families
        .iter()
        .filter_map(|d| family::open::open(kernel, &d.spec.name).ok())
        .collect();
    family::open::statuses(kernel, &specs)
}
