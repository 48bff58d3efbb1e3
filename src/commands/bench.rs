//! `mipset bench`: set up a private namespace, sets and rules; run the
//! measurements of [`crate::bench`]; report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::addr::{AddrFamily, SetType};
use crate::bench::machine::Machine;
use crate::bench::ops::{self, Budget, Programs, Subjects};
use crate::bench::packet_path;
use crate::bench::report::{self, Measurement, Report, Settings, SCHEMA_VERSION};
use crate::bench::scale::{self, ScaleReport};
use crate::bench::{fill, fill_family, measure_overhead, ratio, summarize};
use crate::cli::bench::BenchArgs;
use crate::error::{Error, KernelErrorKind, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::output::sink::Out;
use crate::route::{self, Routing};
use crate::rules;
use crate::rules::apply;
use crate::rules::iptables::Backend;
use crate::rules::spec::Direction;
use crate::rules::spec::Layout;
use crate::rules::spec::RuleSpec;
use crate::text::human_ns;

const SINGLE: &str = "mbs";
/// Addresses in neither set, for misses and insertions.
const STRANGERS: usize = 10_000;

/// "1k,10k,1M" → sizes.
pub fn parse_sizes(text: &str) -> std::result::Result<Vec<usize>, String> {
    let mut sizes = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (digits, mult) = match part.chars().last() {
            Some('k' | 'K') => (&part[..part.len() - 1], 1_000),
            Some('M' | 'm') => (&part[..part.len() - 1], 1_000_000),
            _ => (part, 1),
        };
        let n: usize = digits
            .parse()
            .ok()
            .and_then(|d: usize| d.checked_mul(mult))
            .filter(|&n| (1..=16_000_000).contains(&n))
            .ok_or_else(|| {
                format!("--entries '{part}': a size from 1 to 16M, such as 1000, 10k or 1M")
            })?;
        sizes.push(n);
    }
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

fn parse_shards(text: &str, routing: Routing, t: SetType, af: AddrFamily) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let n: u32 = part
            .parse()
            .map_err(|_| Error::Usage(format!("--shards '{part}': a power of two such as 16")))?;
        route::validate(n, routing, t, af).map_err(Error::Usage)?;
        out.push(n);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Bring `lo` up in this namespace (SIOCSIFFLAGS).
fn loopback_up() -> Result<()> {
    // SAFETY: plain ioctls on a fresh socket with a zeroed, NUL-terminated
    // ifreq; the socket is closed before returning.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        if fd < 0 {
            return Err(os_error("socket"));
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let ok = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) == 0 && {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut req) == 0
        };
        let err = os_error("bringing lo up");
        libc::close(fd);
        if ok {
            Ok(())
        } else {
            Err(err)
        }
    }
}

fn os_error(what: &str) -> Error {
    let e = std::io::Error::last_os_error();
    let kind = if e.raw_os_error() == Some(libc::EPERM) {
        KernelErrorKind::NoPermission
    } else {
        KernelErrorKind::Other
    };
    Error::kernel(kind, format!("{what}: {e}"))
}

/// Move this process into a fresh network namespace with `lo` up.
fn private_namespace() -> Result<()> {
    // SAFETY: unshare has no memory-safety preconditions; mipset has not
    // started any thread yet, so the whole process moves.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        let e = os_error("creating a private network namespace (unshare)");
        return Err(Error::kernel(
            e.kernel_kind().unwrap_or(KernelErrorKind::Other),
            format!("{e}; mipset bench needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"),
        ));
    }
    loopback_up()
}

/// With `--in-place`: whatever happens (an error, a signal), the sets the
/// bench created go again. Runs after the `Kernel` handle is gone, through
/// libipset directly; names that do not exist are skipped.
struct InPlaceCleanup {
    shard_counts: Vec<u32>,
}

impl Drop for InPlaceCleanup {
    fn drop(&mut self) {
        let mut names: Vec<String> = Vec::new();
        let shards = |prefix: &str, n: u32| {
            let prefix = prefix.to_string();
            (0..n).map(move |i| crate::naming::shard_name(&prefix, i))
        };
        for &n in &self.shard_counts {
            names.push(format!("mbf{n}"));
            names.extend(shards(&format!("mbf{n}"), n));
        }
        let first = self.shard_counts.first().copied().unwrap_or(1);
        for f in ["mb-grow-f", "mb-grow-fs"] {
            names.push(f.to_string());
            names.extend(shards(f, first));
        }
        for single in [
            SINGLE,
            "mb-grow-1",
            "mb-grow-1s",
            "mb-rep-1",
            "mb-rep-s",
            "mb-rep-1-new",
            "mb-rep-s-new",
        ] {
            names.push(single.to_string());
        }
        for name in names {
            let _ = crate::kernel::run_line(&format!("destroy {name}"));
        }
    }
}

struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn new(quiet: bool) -> Spinner {
        use std::io::IsTerminal;
        if quiet || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner(Some(bar))
    }
    fn step(&self, text: &str) {
        if let Some(b) = &self.0 {
            b.set_message(text.to_string());
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

pub fn run(args: &BenchArgs, out: &mut Out) -> Result<ExitCode> {
    // Everything is checked before anything is created.
    let sizes = parse_sizes(&args.entries).map_err(Error::Usage)?;
    let set_type = match args.set_type.as_str() {
        "hash:net" => SetType::HashNet,
        _ => SetType::HashIp,
    };
    let af = match args.family.as_str() {
        "inet6" => AddrFamily::Inet6,
        _ => AddrFamily::Inet,
    };
    let routing = match &args.route {
        Some(r) => r.parse::<Routing>().map_err(Error::Usage)?,
        None => scale::bench_routing(set_type, af),
    };
    let shard_counts = parse_shards(&args.shards, routing, set_type, af)?;
    let mut methods: Vec<&str> = Vec::new();
    for m in args.method.split(',').map(str::trim) {
        match m {
            "all" => methods.extend(["netlink", "exec", "packet"]),
            "netlink" | "exec" | "packet" => methods.push(m),
            _ => {
                return Err(Error::Usage(format!(
                    "--method '{m}': netlink, exec, packet or all (comma-separated)"
                )))
            }
        }
    }
    methods.dedup();
    let layout = match (args.layout.as_str(), routing) {
        ("dispatch" | "umbrella", Routing::Hash) => Layout::Umbrella,
        (l, Routing::Hash) => {
            return Err(Error::Usage(format!(
                "--layout {l}: a hash-routed family can only be matched by --layout umbrella"
            )))
        }
        ("dispatch", _) => Layout::dispatch(),
        (l, _) => l.parse().map_err(Error::Usage)?,
    };
    let duration = match args.duration.as_deref() {
        None => None,
        Some(text) => match humantime::parse_duration(text) {
            Ok(d) if d >= Duration::from_millis(100) => Some(d),
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "--duration {text}: at least 100ms, or there is nothing to measure"
                )))
            }
            Err(e) => {
                return Err(Error::Usage(format!(
                    "--duration '{text}': {e} (for example 500ms, 10s, 1m)"
                )))
            }
        },
    };
    // Fewer samples make percentiles and bootstrap intervals meaningless.
    for (flag, value, least) in [
        ("--ops", args.ops, 20),
        ("--exec-ops", args.exec_ops, 20),
        ("--rounds", args.rounds, 5),
        ("--packets", args.packets, 1000),
    ] {
        if value < least {
            return Err(Error::Usage(format!(
                "{flag} {value}: at least {least}, or the statistics mean nothing"
            )));
        }
    }
    if args.in_place && methods.iter().any(|m| *m != "netlink") {
        return Err(Error::Usage(
            "--in-place runs only --method netlink: exec needs the node lock the bench holds, and packet would drop this namespace's traffic in raw PREROUTING while it runs".into(),
        ));
    }
    if af == AddrFamily::Inet6 && methods.iter().all(|m| *m == "packet") {
        return Err(Error::Usage(
            "--method packet cannot run for inet6: only ::1 is reachable on loopback, so no set of many IPv6 entries can be probed without sending packets off the node".into(),
        ));
    }
    for (path, what) in [(&args.export, "--export"), (&args.plot, "--plot")] {
        if let Some(p) = path {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            let ok = match what {
                "--plot" => ext == "svg",
                _ => matches!(ext, "json" | "csv" | "md"),
            };
            if !ok {
                return Err(Error::Usage(format!(
                    "{what} {}: the file name must end in {}",
                    p.display(),
                    if what == "--plot" {
                        ".svg"
                    } else {
                        ".json, .csv or .md"
                    }
                )));
            }
        }
    }
    for path in [&args.export, &args.plot].into_iter().flatten() {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{}: directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
    }
    let command = std::env::args().collect::<Vec<_>>().join(" ");

    let _lock = if args.in_place {
        Some(crate::lock::NodeLock::acquire(crate::lock::Wait::No)?)
    } else {
        private_namespace()?;
        None
    };
    let spinner = Spinner::new(out.quiet || out.json);
    let mut kernel = Kernel::open()?;
    if args.in_place {
        let taken: Vec<String> = kernel
            .list_headers(None)?
            .into_iter()
            .map(|h| h.name)
            .filter(|n| n.starts_with("mb"))
            .collect();
        if !taken.is_empty() {
            return Err(Error::Usage(format!(
                "--in-place: sets named mb* exist ({}); the benchmark would use those names; nothing was changed",
                taken.join(" ")
            )));
        }
    }
    // Only now, with no mb* set of anyone else's here: whatever happens
    // from here on, the sets the bench creates are removed again.
    let _cleanup = args.in_place.then(|| {
        interrupt::defer();
        InPlaceCleanup {
            shard_counts: shard_counts.clone(),
        }
    });
    spinner.step("describing the machine");
    let machine = Machine::describe();
    let overhead = measure_overhead();
    let mut notes = Vec::new();
    let largest = *sizes.last().unwrap_or(&1000);
    let (members, strangers) = scale::addresses(af, args.seed, largest, STRANGERS);

    let base = FamilySpec {
        name: String::new(),
        set_type,
        family: af,
        shards: 1,
        routing,
        hashsize: (largest as u32 / 2).next_power_of_two().max(1024),
        maxelem: (largest as u32).saturating_mul(2).max(65536),
        timeout: None,
        counters: false,
        comment: false,
    };
    kernel.create_shard(&base, SINGLE)?;
    let families: Vec<FamilySpec> = shard_counts
        .iter()
        .map(|&n| FamilySpec {
            name: format!("mbf{n}"),
            shards: n,
            hashsize: crate::options::per_shard_hashsize(base.hashsize, n),
            maxelem: crate::options::per_shard(base.maxelem, n),
            ..base.clone()
        })
        .collect();
    for f in &families {
        family::create::create(&mut kernel, f, false)?;
    }

    // The exec method's programs and rules.
    let backend = if methods.iter().any(|m| *m != "netlink") {
        Some(Backend::detect(None)?)
    } else {
        None
    };
    let ipset_program = crate::rules::iptables::which("ipset");
    if methods.contains(&"exec") && ipset_program.is_none() {
        notes.push("the exec method was skipped: the ipset command is not installed".into());
        methods.retain(|m| *m != "exec");
    }
    if methods.contains(&"packet") && af == AddrFamily::Inet6 {
        notes.push("the packet method was skipped: only ::1 is reachable on loopback in IPv6, so no set of many IPv6 entries can be probed without sending packets off the node".into());
        methods.retain(|m| *m != "packet");
    }
    let mut family_rules = Vec::new();
    if let (true, Some(b)) = (methods.contains(&"exec"), &backend) {
        let program = b.command(af);
        let single_rule = format!("INPUT -m set --match-set {SINGLE} src -j ACCEPT");
        b.restore(af, &format!("*filter\n-A {single_rule}\nCOMMIT\n"))?;
        for f in &families {
            let spec = RuleSpec {
                family: f.name.clone(),
                table: "filter".into(),
                chain: "INPUT".into(),
                direction: Direction::Src,
                jump: "ACCEPT".into(),
                layout,
                note: None,
            };
            spec.validate(f).map_err(Error::Usage)?;
            apply::add(b, &spec, f, None)?;
            let mut words = vec!["INPUT".to_string()];
            words.extend(rules::save::split_words(&rules::plan::plan(&spec, f).rule));
            family_rules.push(words);
        }
        family_rules.insert(0, rules::save::split_words(&single_rule));
        family_rules.insert(0, vec![program]);
    }

    let mut measurements: Vec<Measurement> = Vec::new();
    let budget = Budget {
        ops: args.ops,
        warmup: args.warmup,
        duration,
    };
    let mipset_exe = std::env::current_exe().map_err(|e| {
        Error::kernel(
            KernelErrorKind::Other,
            format!("where is mipset itself? {e}"),
        )
    })?;
    let mut loaded = 0;
    let mut memory = (0, 0);
    for &size in &sizes {
        interrupt::check()?;
        spinner.step(&format!("loading {size} entries"));
        fill(SINGLE, af, &members[loaded..size])?;
        for f in &families {
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
            if methods.contains(&"netlink") {
                spinner.step(&format!("netlink: {size} entries, {} shards", f.shards));
                measurements.extend(ops::netlink(&mut kernel, &subjects, budget)?);
            }
            if methods.contains(&"exec") {
                spinner.step(&format!("exec: {size} entries, {} shards", f.shards));
                let iptables = PathBuf::from(&family_rules[0][0]);
                let programs = Programs {
                    ipset: ipset_program.as_deref().unwrap_or(Path::new("ipset")),
                    mipset: &mipset_exe,
                    iptables: &iptables,
                    single_rule: family_rules[1].clone(),
                    family_rule: family_rules[2 + fi].clone(),
                };
                let exec_budget = Budget {
                    ops: args.exec_ops,
                    ..budget
                };
                measurements.extend(ops::exec(&subjects, &programs, exec_budget)?);
            }
            if methods.contains(&"packet") {
                spinner.step(&format!("packet path: {size} entries, {} shards", f.shards));
                measurements.extend(packet(&mut kernel, args, size, f, layout, &mut notes)?);
            }
        }
        if size == largest {
            memory = scale::memory(&mut kernel, SINGLE, &families[0])?;
        }
    }

    interrupt::check()?;
    let scale_report: Option<ScaleReport> = if args.no_scale {
        None
    } else {
        let mut s = scale::run(
            &mut kernel,
            &FamilySpec {
                shards: shard_counts[0],
                ..base.clone()
            },
            &members,
            5,
            &mut |step| spinner.step(step),
        )?;
        s.memory_single = memory.0;
        s.memory_family = memory.1;
        Some(s)
    };

    spinner.step("cleaning up");
    if let Some(b) = &backend {
        if methods.contains(&"exec") {
            for f in &families {
                apply::del_family(b, af, &f.name)?;
            }
            b.restore(
                af,
                &format!("*filter\n-D INPUT -m set --match-set {SINGLE} src -j ACCEPT\nCOMMIT\n"),
            )?;
        }
    }
    for f in &families {
        family::destroy::destroy(&mut kernel, &f.name, false)?;
    }
    kernel.destroy_set(SINGLE)?;
    drop(spinner);

    let smallest = measurements
        .iter()
        .filter(|m| m.method != "packet")
        .flat_map(|m| [m.single.median, m.multi.median])
        .fold(f64::INFINITY, f64::min);
    let overhead_fraction = if smallest.is_finite() {
        overhead.bookkeeping_ns / smallest
    } else {
        0.0
    };
    let verdicts = verdicts(&measurements, scale_report.as_ref());
    let report = Report {
        schema_version: SCHEMA_VERSION,
        command,
        machine,
        settings: Settings {
            entries: sizes,
            shards: shard_counts,
            set_type: set_type.as_str().into(),
            address_family: af.as_str().into(),
            route: routing.to_string(),
            layout: layout.to_string(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            ops: args.ops,
            exec_ops: args.exec_ops,
            warmup: args.warmup,
            packets: args.packets,
            rounds: args.rounds,
            seed: args.seed,
            in_place: args.in_place,
        },
        overhead,
        overhead_fraction,
        measurements,
        scale: scale_report,
        verdicts,
        notes,
    };
    let rendered = |format: &str| match format {
        "json" => report::json(&report),
        "csv" => report::csv(&report),
        "markdown" | "md" => report::markdown(&report),
        _ => report::table(&report),
    };
    if out.json {
        out.write(report::json(&report).as_bytes());
    } else {
        out.text(&rendered(&args.format));
    }
    if let Some(path) = &args.export {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("json");
        std::fs::write(path, rendered(ext))
            .map_err(|e| Error::Usage(format!("--export {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.plot {
        crate::bench::plot::svg(&report, path)
            .map_err(|e| Error::Usage(format!("--plot {}: {e}", path.display())))?;
    }
    let problems: Vec<&String> = report
        .notes
        .iter()
        .filter(|n| n.contains("COUNTERS"))
        .collect();
    if !problems.is_empty() {
        out.warn(
            "rule counters disagreed with the packets sent; the packet rows are not trustworthy",
        );
        return Ok(ExitCode::Partial);
    }
    Ok(ExitCode::Ok)
}

/// The packet-path rows for one size and family.
fn packet(
    kernel: &mut Kernel,
    args: &BenchArgs,
    size: usize,
    f: &FamilySpec,
    layout: Layout,
    notes: &mut Vec<String>,
) -> Result<Vec<Measurement>> {
    let cfg = packet_path::Config {
        entries: size,
        shards: vec![f.shards],
        layouts: vec![layout],
        packets: args.packets,
        rounds: args.rounds,
        seed: args.seed,
        backend: None,
        set_type: f.set_type,
        routing: f.routing,
    };
    let r = packet_path::run(kernel, &cfg, &mut |_| {})?;
    if !r.counters_ok {
        notes.push(format!(
            "RULE COUNTERS DISAGREE at {size} entries: {}",
            r.counter_problems.join("; ")
        ));
    }
    let (single, multi) = (&r.rows[0], &r.rows[1]);
    let make = |metric: &str, op: &str, s: &Vec<f64>, m: &Vec<f64>| Measurement {
        method: "packet",
        metric: metric.into(),
        operation: op.into(),
        entries: size,
        shards: f.shards,
        single: summarize(s),
        multi: summarize(m),
        ratio: ratio(s, m),
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

/// Plain statements from the measurements at the largest size.
fn verdicts(ms: &[Measurement], scale: Option<&ScaleReport>) -> Vec<String> {
    let mut out = Vec::new();
    let largest = ms.iter().map(|m| m.entries).max().unwrap_or(0);
    for m in ms.iter().filter(|m| m.entries == largest) {
        let verdict = if m.ratio.within_noise {
            format!(
                "no significantly different time from one set ({:.2}x, the 95% interval includes 1)",
                m.ratio.ratio
            )
        } else if m.ratio.ratio > 1.0 {
            format!("{:.2}x the time of one set", m.ratio.ratio)
        } else {
            format!("{:.2}x the time of one set (faster)", m.ratio.ratio)
        };
        let diff = m.multi.median - m.single.median;
        out.push(format!(
            "{} {}, {} entries, {} shards: the family takes {verdict} (median {} vs {}, {}{})",
            m.method,
            m.metric,
            m.entries,
            m.shards,
            human_ns(m.multi.median),
            human_ns(m.single.median),
            if diff >= 0.0 { "+" } else { "" },
            human_ns(diff)
        ));
    }
    if let Some(s) = scale {
        if let (Some(one), Some(fam)) = (s.growth.first(), s.growth.get(2)) {
            out.push(format!(
                "growing to {} entries: worst single add {} for one set ({} adds over 1 ms) against {} for the family ({} over 1 ms); pre-sized: {} and {}",
                s.entries,
                human_ns(one.latency.max),
                one.over_1ms,
                human_ns(fam.latency.max),
                fam.over_1ms,
                human_ns(s.growth[1].latency.max),
                human_ns(s.growth.get(3).map_or(0.0, |g| g.latency.max))
            ));
        }
        out.push(format!(
            "replacing one shard atomically costs {:.2}x of replacing the whole set",
            s.replace.ratio.ratio
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(
            parse_sizes("1k,10k,1M").unwrap(),
            vec![1000, 10_000, 1_000_000]
        );
        assert_eq!(parse_sizes("500,500").unwrap(), vec![500]);
        for bad in ["", "0", "1x", "k", "17M", "-5"] {
            assert!(parse_sizes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn entries_are_distinct_and_loopback_or_documentation() {
        let (m, s) = scale::addresses(AddrFamily::Inet, 1, 5000, 1000);
        let all: std::collections::HashSet<_> = m.iter().chain(&s).collect();
        assert_eq!(all.len(), 6000);
        assert!(m
            .iter()
            .all(|e| matches!(e.addr, IpAddr::V4(a) if a.octets()[0] == 127)));
        let (m6, _) = scale::addresses(AddrFamily::Inet6, 1, 100, 10);
        assert!(m6
            .iter()
            .all(|e| matches!(e.addr, IpAddr::V6(a) if a.segments()[0..2] == [0x2001, 0x0db8])));
    }
}
