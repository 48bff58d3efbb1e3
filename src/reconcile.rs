//! `mipset reconcile CONFIG`: keep families and their rules as a
//! configuration file says, for a DaemonSet or a systemd service.
//!
//! Each family is applied (created if missing, synced from its list file,
//! checked and repaired, its rules installed or repaired) at start, when
//! its list file or the configuration changes (inotify, through the
//! `notify` crate; the parent directories are watched, so ConfigMap
//! updates, which swap a symlink, are seen), and every `resync` interval
//! (default 90 s, like Calico). A failed apply is retried with backoff
//! (1 s doubling, at most the resync interval). SIGTERM, SIGINT or SIGHUP
//! end it cleanly: an apply in progress finishes or is undone, and no
//! temporary set is left. One JSON line per apply goes to stdout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::json;

use crate::bulk;
use crate::error::{Error, KernelErrorKind, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::family::discover::Discovery;
use crate::family::status::FamilyStatus;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::listfile;
use crate::lock::{NodeLock, Wait};
use crate::meta::FamilySpec;
use crate::options::{family_spec, FamilyOptions};
use crate::output::metrics::{self, ApplyStats};
use crate::output::sink::Out;
use crate::rules::apply;
use crate::rules::iptables::Backend;
use crate::rules::spec::BackendKind;
use crate::rules::spec::Change;
use crate::rules::spec::LayoutChoice;
use crate::rules::spec::RuleSpec;
use crate::source;

/// The configuration file (TOML). See `mipset reconcile --help`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How often every family is re-applied (humantime or seconds).
    #[serde(default = "default_resync")]
    pub resync: String,
    /// Write Prometheus metrics here after each apply (node-exporter
    /// textfile collector).
    pub metrics_file: Option<PathBuf>,
    /// iptables backend for rules (default: detected).
    pub backend: Option<String>,
    #[serde(default, rename = "family")]
    pub families: Vec<FamilyConfig>,
}

fn default_resync() -> String {
    "90s".into()
}
fn default_type() -> String {
    "hash:ip".into()
}
fn default_family() -> String {
    "inet".into()
}
fn default_shards() -> u32 {
    16
}
fn default_hashsize() -> u32 {
    1024
}
fn default_maxelem() -> u32 {
    65536
}
fn default_table() -> String {
    "filter".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyConfig {
    pub name: String,
    #[serde(rename = "type", default = "default_type")]
    pub set_type: String,
    #[serde(default = "default_family")]
    pub family: String,
    #[serde(default = "default_shards")]
    pub shards: u32,
    pub route: Option<String>,
    #[serde(default = "default_hashsize")]
    pub hashsize: u32,
    #[serde(default = "default_maxelem")]
    pub maxelem: u32,
    pub timeout: Option<String>,
    #[serde(default)]
    pub counters: bool,
    #[serde(default)]
    pub comment: bool,
    /// The list the family must hold (`mipset sync` format), relative to
    /// the configuration file's directory.
    pub source: PathBuf,
    /// Allow an empty list to empty the family.
    #[serde(default)]
    pub allow_empty: bool,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub chain: String,
    #[serde(rename = "match")]
    pub direction: String,
    pub jump: String,
    #[serde(default = "default_table")]
    pub table: String,
    pub layout: Option<String>,
    pub position: Option<u32>,
    pub comment: Option<String>,
}

/// One family, checked and ready to apply.
#[derive(Debug, Clone)]
pub struct Desired {
    pub spec: FamilySpec,
    pub source: PathBuf,
    pub allow_empty: bool,
    pub rules: Vec<(RuleSpec, Option<u32>)>,
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Plan {
    pub resync: Duration,
    pub metrics_file: Option<PathBuf>,
    pub backend: Option<BackendKind>,
    pub families: Vec<Desired>,
}

/// Read and check a configuration: every name, option and rule, before
/// anything is applied. Errors name the file (and line, for TOML syntax).
pub fn load(path: &Path) -> Result<Plan> {
    let text = source::open_file(path)?.read_to_string()?;
    parse(&text, path)
}

/// [`load`] from text; `path` names it in errors and anchors relative
/// source paths.
pub fn parse(text: &str, path: &Path) -> Result<Plan> {
    let where_ = path.display();
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                Error::Usage(format!("{where_}:{line}: {message}"))
            }
            None => Error::Usage(format!("{where_}: {message}")),
        }
    })?;
    let resync = crate::options::parse_timeout("resync", &config.resync)
        .map_err(|e| Error::Usage(format!("{where_}: {e}")))?;
    if resync == 0 {
        return Err(Error::Usage(format!(
            "{where_}: resync must be at least 1s"
        )));
    }
    let backend = config
        .backend
        .as_deref()
        .map(|b| b.parse::<BackendKind>())
        .transpose()
        .map_err(|e| Error::Usage(format!("{where_}: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut families = Vec::new();
    for f in config.families {
        let at = |e: String| Error::Usage(format!("{where_}: family {}: {e}", f.name));
        if families.iter().any(|d: &Desired| d.spec.name == f.name) {
            return Err(at("defined twice".into()));
        }
        let spec = family_spec(&FamilyOptions {
            name: f.name.clone(),
            set_type: f.set_type.parse().map_err(at)?,
            family: f.family.parse().map_err(at)?,
            shards: f.shards,
            route: f.route.clone(),
            hashsize: f.hashsize,
            maxelem: f.maxelem,
            timeout: f.timeout.clone(),
            counters: f.counters,
            comment: f.comment,
        })
        .map_err(|e| at(e.to_string()))?;
        let mut rules = Vec::new();
        for r in &f.rules {
            let choice = r
                .layout
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(at)?;
            let layout = LayoutChoice::resolve(choice, &spec).map_err(at)?;
            let rule = RuleSpec {
                family: spec.name.clone(),
                table: r.table.clone(),
                chain: r.chain.clone(),
                direction: r.direction.parse().map_err(at)?,
                jump: r.jump.clone(),
                layout,
                note: r.comment.clone(),
            };
            rule.validate(&spec).map_err(at)?;
            if r.position == Some(0) {
                return Err(at("rule position counts from 1".into()));
            }
            rules.push((rule, r.position));
        }
        families.push(Desired {
            spec,
            source: base.join(&f.source),
            allow_empty: f.allow_empty,
            rules,
        });
    }
    Ok(Plan {
        resync: Duration::from_secs(u64::from(resync)),
        metrics_file: config.metrics_file,
        backend,
        families,
    })
}

/// What one apply did.
#[derive(Debug, Default)]
struct Applied {
    created: bool,
    adds: usize,
    dels: usize,
    repairs: usize,
    rules_added: usize,
    rules_repaired: usize,
}

fn apply_family(kernel: &mut Kernel, d: &Desired, backend: &Option<Backend>) -> Result<Applied> {
    let _lock = NodeLock::acquire(Wait::For(Duration::from_secs(30)))?;
    let mut done = Applied::default();
    match family::open::open_any(kernel, &d.spec.name) {
        Ok(Discovery::Family(have)) if have == d.spec => {}
        Ok(Discovery::Family(have)) => {
            return Err(Error::Usage(format!(
                "family {} exists with another definition ({} shards, {}); change the configuration or resize/recreate it by hand",
                have.name, have.shards, have.routing
            )))
        }
        Ok(Discovery::Damaged { problem, .. }) => {
            // check --repair below can fix what it knows; say what it was.
            eprintln!("mipset: warning: family {} was damaged: {problem}", d.spec.name);
        }
        Ok(Discovery::NotFamily(reason)) => {
            return Err(Error::NotAFamily {
                name: d.spec.name.clone(),
                reason,
            })
        }
        Err(Error::NoSuchFamily(_)) => {
            family::create::create(kernel, &d.spec, false)?;
            done.created = true;
        }
        Err(e) => return Err(e),
    }
    let input = source::open_file(&d.source)?;
    let list = listfile::read(
        &mut std::io::BufReader::new(input.reader),
        &input.name,
        &d.spec,
    )?;
    if list.is_empty() && !d.allow_empty {
        return Err(Error::Usage(format!(
            "{} holds no entries; set allow_empty = true to empty family {}",
            d.source.display(),
            d.spec.name
        )));
    }
    let report = crate::check::check(kernel, &d.spec.name, true)?;
    done.repairs += report.findings.iter().filter(|f| f.repaired).count();
    let plan = bulk::read::plan(kernel, &d.spec, &list, bulk::plan::Mode::Sync, false)?;
    let (adds, dels, _, _) = plan.totals();
    bulk::apply::apply(kernel, &d.spec, &plan, false)?;
    (done.adds, done.dels) = (adds, dels);
    if let Some(b) = backend {
        for (rule, position) in &d.rules {
            match apply::add(b, rule, &d.spec, *position)? {
                Change::Added => done.rules_added += 1,
                Change::Repaired => done.rules_repaired += 1,
                Change::Unchanged => {}
            }
        }
    }
    Ok(done)
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Write `text` to `path` atomically (a temporary file renamed over it), as
/// the node-exporter textfile collector wants.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let temp = path.with_extension("prom.tmp");
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path)
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
    let watch = |watcher: &mut notify::RecommendedWatcher, plan: &Plan| {
        use notify::Watcher;
        for dir in watched_dirs(config_path, plan) {
            if let Err(e) = watcher.watch(&dir, notify::RecursiveMode::NonRecursive) {
                eprintln!("mipset: warning: cannot watch {}: {e}", dir.display());
            }
        }
    };
    watch(&mut watcher, &plan);
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
            let elapsed = started.elapsed();
            let s = stats.entry(f.desired.spec.name.clone()).or_default();
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
                    f.due = Instant::now() + plan.resync;
                    f.trigger = "resync";
                    failed_last = false;
                }
                Err(Error::Interrupted(_)) => {
                    line["result"] = json!("interrupted");
                    out.write(format!("{line}\n").as_bytes());
                    break;
                }
                Err(e) => {
                    s.applies_failed += 1;
                    s.last_success = false;
                    line["result"] = json!("error");
                    line["error"] = json!(e.to_string());
                    line["retry_in_s"] = json!(f.backoff.as_secs());
                    f.due = Instant::now() + f.backoff;
                    f.backoff = (f.backoff * 2).min(plan.resync);
                    f.trigger = "retry";
                    failed_last = true;
                }
            }
            out.write(format!("{line}\n").as_bytes());
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
        // Wait for the next due family, a file change or a signal.
        let next = families
            .iter()
            .map(|f| f.due)
            .min()
            .unwrap_or_else(|| Instant::now() + plan.resync);
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
        if config_changed {
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
                    watch(&mut watcher, &plan);
                }
                Err(e) => {
                    let line = json!({"time": now_rfc3339(), "result": "error", "config": config_path.display().to_string(), "error": e.to_string(), "note": "keeping the previous configuration"});
                    out.write(format!("{line}\n").as_bytes());
                }
            }
        }
    }
    let line = json!({"time": now_rfc3339(), "result": "stopped", "reason": if interrupt::pending() { "signal" } else { "done" }});
    out.write(format!("{line}\n").as_bytes());
    Ok(if once && failed_last {
        ExitCode::Partial
    } else {
        ExitCode::Ok
    })
}

fn family_statuses(kernel: &mut Kernel, plan: &Plan) -> Result<Vec<FamilyStatus>> {
    let specs: Vec<FamilySpec> = plan
        .families
        .iter()
        .filter_map(|d| family::open::open(kernel, &d.spec.name).ok())
        .collect();
    family::open::statuses(kernel, &specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::spec::Layout;

    const GOOD: &str = r#"
resync = "30s"
metrics_file = "/tmp/mipset.prom"

[[family]]
name = "blocklist"
type = "hash:net"
shards = 16
maxelem = 1000000
source = "lists/blocklist.txt"

[[family.rule]]
table = "raw"
chain = "PREROUTING"
match = "src"
jump = "DROP"

[[family]]
name = "pods"
route = "hash"
source = "/etc/mipset/pods.txt"

[[family.rule]]
chain = "FORWARD"
match = "dst"
jump = "ACCEPT"
layout = "umbrella"
"#;

    #[test]
    fn a_good_configuration_is_checked_and_resolved() {
        let p = parse(GOOD, Path::new("/etc/mipset/reconcile.toml")).unwrap();
        assert_eq!(p.resync, Duration::from_secs(30));
        assert_eq!(p.families.len(), 2);
        let b = &p.families[0];
        assert_eq!(b.spec.shards, 16);
        assert_eq!(b.spec.maxelem, 1_000_000 / 16);
        assert_eq!(b.source, Path::new("/etc/mipset/lists/blocklist.txt"));
        assert_eq!(b.rules[0].0.layout, Layout::dispatch());
        // hash routing: the umbrella layout, asked for by name.
        assert_eq!(p.families[1].rules[0].0.layout, Layout::Umbrella);
        assert_eq!(p.families[1].source, Path::new("/etc/mipset/pods.txt"));
    }

    #[test]
    fn bad_configurations_name_the_file_and_what() {
        for (text, needle) in [
            ("resync = \"soon\"", "resync"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\nshards = 3", "power of two"),
            ("[[family]]\nname = \"this-name-is-far-too-long-for-ipset\"\nsource = \"a\"", "characters"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\ncolour = \"red\"", "colour"),
            ("[[family]]\nname = \"x\"", "source"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\n[[family.rule]]\nchain = \"IN PUT\"\nmatch = \"src\"\njump = \"DROP\"", "IN PUT"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\n[[family]]\nname = \"x\"\nsource = \"b\"", "twice"),
            ("backend = \"ebpf\"", "ebpf"),
            // A hash-routed family's rules need the umbrella layout by name,
            // as `rule add` and `bench` do.
            ("[[family]]\nname = \"x\"\nsource = \"a\"\nroute = \"hash\"\n[[family.rule]]\nchain = \"FORWARD\"\nmatch = \"dst\"\njump = \"ACCEPT\"", "umbrella"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\n[[family.rule]]\nchain = \"FORWARD\"\nmatch = \"dst\"\njump = \"ACCEPT\"\nlayout = \"star\"", "star"),
            ("[[family]\nname = 1", "c.toml:1"),
        ] {
            let e = parse(text, Path::new("c.toml")).unwrap_err().to_string();
            assert!(e.contains("c.toml") && e.contains(needle), "{text}: {e}");
        }
    }
}
