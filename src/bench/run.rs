//! The whole measurement of `mipset bench`, from sets to report: one set
//! and a family per shard count hold the same entries (and, for the exec
//! method, a family of one shard); each size is measured by every method
//! asked for, then (at the largest size) what changes at scale. Expects to
//! run in the namespace its caller chose (see [`super::setup`]); removes
//! the sets and rules it created.

use std::path::{Path, PathBuf};

use super::fill::{fill, fill_family};
use super::machine;
use super::ops::{self, Budget, Programs, Subjects};
use super::packet_path;
use super::report::{verdicts, Machine, Measurement, Method, Report, Settings, SCHEMA_VERSION};
use super::scale;
use super::scale_report::ScaleReport;
use super::setup::{InPlaceCleanup, ONE_SHARD, SINGLE};
use super::stats::{measure_overhead, ratio, summarize, Overhead};
use super::workload;
use crate::addr::{AddrFamily, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::family;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::options::per_shard_hashsize;
use crate::route::Routing;
use crate::rules::apply;
use crate::rules::iptables::{which, Backend};
use crate::rules::plan::plan;
use crate::rules::save::split_words;
use crate::rules::spec::{Direction, Layout, RuleSpec};

/// Addresses in neither set, for misses and insertions.
const STRANGERS: usize = 10_000;

/// What to measure, checked by the caller.
#[derive(Debug, Clone)]
pub struct Config {
    /// The command line, for the report.
    pub command: String,
    /// Set sizes, ascending.
    pub sizes: Vec<usize>,
    /// Shard counts of the families, ascending.
    pub shard_counts: Vec<u32>,
    pub set_type: SetType,
    pub family: AddrFamily,
    pub routing: Routing,
    /// Rule layout of the families for the exec and packet methods.
    pub layout: Layout,
    pub methods: Vec<Method>,
    /// Timed operations (netlink), warm-up and time limit per measurement.
    pub budget: Budget,
    /// Timed processes per measurement of the exec method.
    pub exec_ops: usize,
    pub packets: usize,
    pub rounds: usize,
    pub seed: u64,
    /// Also measure growth, replacement, memory and capacity.
    pub scale: bool,
    /// In this namespace: refuse if mb* sets exist, remove ours whatever
    /// happens.
    pub in_place: bool,
}

/// Measure; `progress` hears each step.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Report> {
    let mut kernel = Kernel::open()?;
    if cfg.in_place {
        refuse_taken_names(&mut kernel)?;
    }
    // Only now, with no mb* set of anyone else's here: whatever happens
    // from here on, the sets the bench creates are removed again.
    let _cleanup = cfg.in_place.then(|| {
        interrupt::defer();
        InPlaceCleanup {
            shard_counts: cfg.shard_counts.clone(),
        }
    });
    progress("describing the machine");
    let machine = machine::describe();
    let overhead = measure_overhead();
    let mut notes = Vec::new();
    let largest = *cfg.sizes.last().unwrap_or(&1000);
    let (members, strangers) = workload::addresses(cfg.family, cfg.seed, largest, STRANGERS);
    let base = FamilySpec {
        name: String::new(),
        set_type: cfg.set_type,
        family: cfg.family,
        shards: 1,
        routing: cfg.routing,
        hashsize: (largest as u32 / 2).next_power_of_two().max(1024),
        maxelem: (largest as u32).saturating_mul(2).max(65536),
        timeout: None,
        counters: false,
        comment: false,
        reduce: crate::prefix::levels::Reduce::Off,
        route_auto: false,
    };
    kernel.create_shard(&base, SINGLE)?;
    let families: Vec<FamilySpec> = cfg
        .shard_counts
        .iter()
        .map(|&n| FamilySpec {
            name: format!("mbf{n}"),
            shards: n,
            hashsize: per_shard_hashsize(base.hashsize, n),
            maxelem: base.maxelem,
            ..base.clone()
        })
        .collect();
    for f in &families {
        family::create::create(&mut kernel, f, false)?;
    }
    let mut methods = cfg.methods.clone();
    let backend = if methods.iter().any(|m| *m != Method::Netlink) {
        Some(Backend::detect(None)?)
    } else {
        None
    };
    let ipset_program = which("ipset");
    if methods.contains(&Method::Exec) && ipset_program.is_none() {
        notes.push("the exec method was skipped: the ipset command is not installed".into());
        methods.retain(|m| *m != Method::Exec);
    }
    if methods.contains(&Method::Packet) && cfg.family == AddrFamily::Inet6 {
        notes.push("the packet method was skipped: only ::1 is reachable on loopback in IPv6, so no set of many IPv6 entries can be probed without sending packets off the node".into());
        methods.retain(|m| *m != Method::Packet);
    }
    // The exec method's middle side: mipset on a family of one shard, sized
    // like the single set, so the tool's cost shows apart from sharding's.
    let one_shard = if methods.contains(&Method::Exec) {
        Some(create_one_shard(&mut kernel, &base)?)
    } else {
        None
    };
    let exec_rules = match (&one_shard, &backend) {
        (Some(one), Some(b)) => Some(ExecRules::install(b, cfg, one, &families)?),
        _ => None,
    };
    let mipset_exe = std::env::current_exe().map_err(|e| {
        Error::kernel(
            KernelErrorKind::Other,
            format!("where is mipset itself? {e}"),
        )
    })?;

    let mut measurements: Vec<Measurement> = Vec::new();
    let mut loaded = 0;
    let mut memory = (0, 0);
    for &size in &cfg.sizes {
        interrupt::check()?;
        progress(&format!("loading {size} entries"));
        fill(SINGLE, cfg.family, &members[loaded..size])?;
        for f in families.iter().chain(&one_shard) {
            fill_family(f, &members[loaded..size])?;
        }
        loaded = size;
        for (fi, f) in families.iter().enumerate() {
            let subjects = Subjects {
                single: SINGLE,
                family: f,
                members: &members[..size],
                strangers: &strangers,
            };
            if methods.contains(&Method::Netlink) {
                progress(&format!("netlink: {size} entries, {} shards", f.shards));
                measurements.extend(ops::netlink(&mut kernel, &subjects, cfg.budget)?);
            }
            if let (Some(rules), Some(one)) = (&exec_rules, &one_shard) {
                progress(&format!("exec: {size} entries, 1 and {} shards", f.shards));
                let programs = Programs {
                    ipset: ipset_program.as_deref().unwrap_or(Path::new("ipset")),
                    mipset: &mipset_exe,
                    iptables: &rules.iptables,
                    single_rule: rules.single.clone(),
                    one_shard_rule: rules.one_shard.clone(),
                    family_rule: rules.families[fi].clone(),
                };
                let exec_budget = Budget {
                    ops: cfg.exec_ops,
                    ..cfg.budget
                };
                measurements.extend(ops::exec(&subjects, one, &programs, exec_budget)?);
            }
            if methods.contains(&Method::Packet) {
                progress(&format!("packet path: {size} entries, {} shards", f.shards));
                measurements.extend(packet(&mut kernel, cfg, size, f, &mut notes)?);
            }
        }
        if size == largest {
            memory = scale::memory(&mut kernel, SINGLE, &families[0])?;
        }
    }

    interrupt::check()?;
    let scale_report: Option<ScaleReport> = if cfg.scale {
        let mut s = scale::run(
            &mut kernel,
            &FamilySpec {
                shards: cfg.shard_counts[0],
                ..base.clone()
            },
            &members,
            5,
            &mut |step| progress(step),
        )?;
        s.memory_single = memory.0;
        s.memory_family = memory.1;
        Some(s)
    } else {
        None
    };

    progress("cleaning up");
    if let (Some(b), Some(_), Some(one)) = (&backend, &exec_rules, &one_shard) {
        ExecRules::remove(b, cfg, one, &families)?;
    }
    for f in families.iter().chain(&one_shard) {
        family::destroy::destroy(&mut kernel, &f.name, false)?;
    }
    kernel.destroy_set(SINGLE)?;
    Ok(report(
        cfg,
        &methods,
        machine,
        overhead,
        measurements,
        scale_report,
        notes,
    ))
}

/// With `--in-place`: refuse, changing nothing, if a set the bench would
/// use (any mb* name) exists.
fn refuse_taken_names(kernel: &mut Kernel) -> Result<()> {
    let taken: Vec<String> = kernel
        .list_headers(None)?
        .into_iter()
        .map(|h| h.name)
        .filter(|n| n.starts_with("mb"))
        .collect();
    if taken.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--in-place: sets named mb* exist ({}); the benchmark would use those names; nothing was changed",
        taken.join(" ")
    )))
}

/// Create the exec method's family of one shard, sized like the single
/// set, and read it back: it must be one shard.
fn create_one_shard(kernel: &mut Kernel, base: &FamilySpec) -> Result<FamilySpec> {
    let spec = FamilySpec {
        name: ONE_SHARD.into(),
        shards: 1,
        ..base.clone()
    };
    family::create::create(kernel, &spec, false)?;
    let found = family::open::open(kernel, ONE_SHARD)?;
    if found.shards != 1 {
        return Err(Error::kernel(
            KernelErrorKind::Other,
            format!(
                "{ONE_SHARD} was created with 1 shard but has {}",
                found.shards
            ),
        ));
    }
    Ok(spec)
}

/// The exec method's rules, the paper's "policy evaluation": one on the
/// single set, one on the family of one shard and one per family, each as
/// `iptables -C` arguments.
struct ExecRules {
    /// The iptables program of the backend.
    iptables: PathBuf,
    single: Vec<String>,
    one_shard: Vec<String>,
    /// One per family, in the order of the families.
    families: Vec<Vec<String>>,
}

impl ExecRules {
    fn single_rule() -> String {
        format!("INPUT -m set --match-set {SINGLE} src -j ACCEPT")
    }

    fn rule(cfg: &Config, f: &FamilySpec) -> RuleSpec {
        RuleSpec {
            family: f.name.clone(),
            table: "filter".into(),
            chain: "INPUT".into(),
            direction: Direction::Src,
            jump: "ACCEPT".into(),
            layout: cfg.layout,
            note: None,
        }
    }

    /// Install a family's rule; its `iptables -C` arguments.
    fn install_one(b: &Backend, cfg: &Config, f: &FamilySpec) -> Result<Vec<String>> {
        let spec = Self::rule(cfg, f);
        spec.validate(f).map_err(Error::Usage)?;
        apply::add(b, &spec, f, None)?;
        let mut words = vec!["INPUT".to_string()];
        words.extend(split_words(&plan(&spec, f).rule));
        Ok(words)
    }

    fn install(
        b: &Backend,
        cfg: &Config,
        one_shard: &FamilySpec,
        families: &[FamilySpec],
    ) -> Result<ExecRules> {
        let single = Self::single_rule();
        b.restore(cfg.family, &format!("*filter\n-A {single}\nCOMMIT\n"))?;
        Ok(ExecRules {
            iptables: PathBuf::from(b.command(cfg.family)),
            single: split_words(&single),
            one_shard: Self::install_one(b, cfg, one_shard)?,
            families: families
                .iter()
                .map(|f| Self::install_one(b, cfg, f))
                .collect::<Result<_>>()?,
        })
    }

    fn remove(
        b: &Backend,
        cfg: &Config,
        one_shard: &FamilySpec,
        families: &[FamilySpec],
    ) -> Result<()> {
        for f in families.iter().chain([one_shard]) {
            apply::del_family(b, cfg.family, &f.name)?;
        }
        b.restore(
            cfg.family,
            &format!("*filter\n-D {}\nCOMMIT\n", Self::single_rule()),
        )
    }
}

/// The report of a run: what was asked, what was measured, and verdicts.
fn report(
    cfg: &Config,
    methods: &[Method],
    machine: Machine,
    overhead: Overhead,
    measurements: Vec<Measurement>,
    scale: Option<ScaleReport>,
    notes: Vec<String>,
) -> Report {
    let smallest = measurements
        .iter()
        .filter(|m| m.method != Method::Packet.as_str())
        .flat_map(|m| {
            let one = m.tool.as_ref().map(|t| t.one_shard.median);
            [m.single.median, m.multi.median].into_iter().chain(one)
        })
        .fold(f64::INFINITY, f64::min);
    let overhead_fraction = if smallest.is_finite() {
        overhead.bookkeeping_ns / smallest
    } else {
        0.0
    };
    Report {
        schema_version: SCHEMA_VERSION,
        command: cfg.command.clone(),
        machine,
        settings: Settings {
            entries: cfg.sizes.clone(),
            shards: cfg.shard_counts.clone(),
            set_type: cfg.set_type.as_str().into(),
            address_family: cfg.family.as_str().into(),
            route: cfg.routing.to_string(),
            layout: cfg.layout.to_string(),
            methods: methods.iter().map(|m| m.as_str().to_string()).collect(),
            ops: cfg.budget.ops,
            exec_ops: cfg.exec_ops,
            warmup: cfg.budget.warmup,
            packets: cfg.packets,
            rounds: cfg.rounds,
            seed: cfg.seed,
            in_place: cfg.in_place,
        },
        overhead,
        overhead_fraction,
        verdicts: verdicts(&measurements, scale.as_ref()),
        measurements,
        scale,
        notes,
    }
}

/// The packet-path rows for one size and family.
fn packet(
    kernel: &mut Kernel,
    cfg: &Config,
    size: usize,
    f: &FamilySpec,
    notes: &mut Vec<String>,
) -> Result<Vec<Measurement>> {
    let layout = cfg.layout;
    let run = packet_path::Config {
        entries: size,
        shards: vec![f.shards],
        layouts: vec![layout],
        packets: cfg.packets,
        rounds: cfg.rounds,
        seed: cfg.seed,
        backend: None,
        set_type: f.set_type,
        routing: f.routing,
    };
    let r = packet_path::run(kernel, &run, &mut |_| {})?;
    if !r.counters_ok {
        notes.push(format!(
            "RULE COUNTERS DISAGREE at {size} entries: {}",
            r.counter_problems.join("; ")
        ));
    }
    let (single, multi) = (&r.rows[0], &r.rows[1]);
    let make = |metric: &str, op: &str, s: &Vec<f64>, m: &Vec<f64>| Measurement {
        method: Method::Packet.as_str(),
        metric: metric.into(),
        operation: op.into(),
        entries: size,
        shards: f.shards,
        single: summarize(s),
        multi: summarize(m),
        ratio: ratio(s, m),
        tool: None,
        samples: (s.clone(), m.clone()),
    };
    Ok(vec![
        make(
            "Policy Evaluation Time (packet, hit)",
            &format!("a packet to a member through the rule ({layout} layout for the family), ns above a bare DROP"),
            &single.samples.0,
            &multi.samples.0,
        ),
        make(
            "Policy Evaluation Time (packet, miss)",
            &format!("a packet to a non-member through the rule ({layout} layout for the family), ns above a bare DROP"),
            &single.samples.1,
            &multi.samples.1,
        ),
    ])
}
