//! `mipset bench --list FILE`: the user's own list, held three ways and
//! measured alike (in the namespace the caller chose):
//!
//! * `stock`: one stock set of default options (maxelem raised to fit),
//!   loaded by `ipset -exist restore` of the list's lines, timed;
//! * `iprange-R`: one stock set loaded with `iprange --ipset-reduce R` of
//!   the list (R = 20 and 100; skipped with a note when iprange is not
//!   installed, for IPv6, which iprange does not read, and for hash:ip);
//! * `family`: the family a user gets from `mipset create` with the same
//!   [`FamilyOptions`] and `mipset load` of the list: the same
//!   [`options::family_spec`], [`family::create`], [`listfile::read`] and
//!   bulk engine ([`bulk::read::plan`], [`bulk::apply::apply`]), timed.
//!
//! Then, per row: kernel elements, memory and prefix lengths (from the
//! kernel), in-process lookups of addresses inside and outside the list,
//! and the packet path ([`super::list_packet`]).

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::list_packet::{self, Target};
use super::list_report::{compare, ListReport, ListSettings, Prefixes, Row, Timed};
use super::machine;
use super::ops::Budget;
use super::workload::{hit_probes, unicast};
use crate::addr::{parse_entry, AddrFamily, Entry, SetType};
use crate::bulk;
use crate::error::{Error, KernelErrorKind, Result};
use crate::family;
use crate::kernel::{batch, dump, Kernel};
use crate::listfile::{self, ListEntry};
use crate::meta::FamilySpec;
use crate::options::{self, FamilyOptions};
use crate::rules::iptables::{which, Backend};
use crate::rules::spec::Layout;

/// The stock set of the list.
pub const STOCK: &str = "mbl-stock";
/// The family's name (its shards: `mbl-s0`...).
pub const FAMILY: &str = "mbl";
/// `iprange --ipset-reduce` percentages, one row each.
pub const IPRANGE_REDUCE: [u32; 2] = [20, 100];
/// Lookup probes of each kind (cycled through by the timed operations).
const PROBES: usize = 4096;

/// What to measure, checked by the caller.
#[derive(Debug, Clone)]
pub struct ListConfig {
    pub command: String,
    /// The file as named, for messages and the report.
    pub file: String,
    /// Its bytes, read once (parsed again when the family is loaded).
    pub text: Vec<u8>,
    /// Its entries, parsed and checked by the caller.
    pub list: Vec<ListEntry>,
    /// The family, as `mipset create` would be asked for it.
    pub family: FamilyOptions,
    pub layout: Layout,
    pub budget: Budget,
    /// Measure the packet path (IPv4 only).
    pub packet: bool,
    /// `--method exec` was asked for (it does not apply: a note says so).
    pub exec_asked: bool,
    pub packets: usize,
    pub rounds: usize,
    pub seed: u64,
}

fn other(message: String) -> Error {
    Error::kernel(KernelErrorKind::Other, message)
}

fn wrong(what: String) -> Error {
    other(format!("benchmark answer check failed: {what}"))
}

/// Measure; `progress` hears each step. Removes what it created.
pub fn run(cfg: &ListConfig, progress: &mut dyn FnMut(&str)) -> Result<ListReport> {
    let mut kernel = Kernel::open()?;
    progress("describing the machine");
    let machine = machine::describe();
    let spec = options::family_spec(&cfg.family)?;
    let (t, af) = (spec.set_type, spec.family);
    let mut notes = Vec::new();
    if cfg.exec_asked {
        notes.push("the exec method does not apply to --list: lookups are timed in process".into());
    }
    let lines: Vec<String> = cfg.list.iter().map(|e| e.entry.to_string()).collect();
    let ipset = which("ipset");

    let mut rows: Vec<(Row, Target)> = Vec::new();
    progress("loading the stock set");
    let maxelem = (cfg.list.len() as u32).max(65536);
    let seconds = load_set(&mut kernel, ipset.as_deref(), STOCK, t, af, maxelem, &lines)?;
    if ipset.is_none() {
        notes.push("the ipset command is not installed: the stock set was loaded in netlink batches, so its load time is not ipset restore's".into());
    }
    rows.push((
        row(
            "stock",
            "one stock set, default options, the list's lines by ipset restore",
            seconds,
        ),
        Target::Set(STOCK.into()),
    ));

    let iprange = which("iprange");
    match (iprange, t, af) {
        (Some(program), SetType::HashNet, AddrFamily::Inet) => {
            for reduce in IPRANGE_REDUCE {
                progress(&format!("iprange --ipset-reduce {reduce}"));
                let (started, reduced) = run_iprange(&program, reduce, &lines)?;
                let name = format!("mbl-ipr{reduce}");
                let max = (reduced.len() as u32).max(65536);
                let seconds = load_set(&mut kernel, ipset.as_deref(), &name, t, af, max, &reduced)?;
                let mut r = row(
                    &format!("iprange-{reduce}"),
                    &format!("one stock set, loaded with iprange --ipset-reduce {reduce} of the list"),
                    seconds,
                );
                r.prepare_seconds = Some(started);
                notes.push(format!(
                    "iprange --ipset-reduce {reduce} turned {} lines into {} in {started:.3} s (not in its load time)",
                    lines.len(),
                    reduced.len()
                ));
                rows.push((r, Target::Set(name)));
            }
        }
        (None, ..) => notes.push(
            "iprange not installed: the iprange rows were skipped (FireHOL's iprange, package iprange)".into(),
        ),
        _ => notes.push(format!(
            "iprange rows skipped: iprange reads IPv4 networks only, and this is {t} {af}"
        )),
    }

    progress(&format!(
        "creating and loading the family of {} shards",
        spec.shards
    ));
    let (seconds, spec) = load_family(&mut kernel, cfg, &spec)?;
    rows.push((
        row(
            "family",
            &format!(
                "mipset create + load: {} shards, route {}{}, reduce {}",
                spec.shards,
                if spec.route_auto { "auto: " } else { "" },
                spec.routing,
                spec.reduce
            ),
            seconds,
        ),
        Target::Family(spec.clone()),
    ));

    progress("reading what the kernel holds");
    for (r, target) in &mut rows {
        describe(&mut kernel, r, target)?;
    }

    progress("choosing lookup addresses");
    let hits = hit_probes(&cfg.list, cfg.seed, PROBES);
    let misses = miss_probes(&mut kernel, t, af, cfg.seed, PROBES)?;
    if misses.is_empty() {
        notes.push("the list covers every address tried: no lookup misses were measured".into());
    }
    progress("lookups");
    lookups(&mut kernel, &mut rows, &hits, &misses, cfg.budget)?;

    if cfg.packet && af == AddrFamily::Inet {
        progress("packet path");
        let backend = Backend::detect(None)?;
        let run = list_packet::Settings {
            layout: cfg.layout,
            packets: cfg.packets,
            rounds: cfg.rounds,
            seed: cfg.seed,
        };
        let targets: Vec<Target> = rows.iter().map(|(_, t)| t.clone()).collect();
        let in_loopback: Vec<ListEntry> = cfg
            .list
            .iter()
            .filter(|e| e.entry.prefix >= 8)
            .filter(|e| matches!(e.entry.addr, IpAddr::V4(a) if a.octets()[0] == 127))
            .cloned()
            .collect();
        let inside = hit_probes(&in_loopback, cfg.seed, PROBES);
        let measured =
            list_packet::run(&mut kernel, &backend, &targets, &inside, &run, &mut notes)?;
        for ((r, _), (hit, miss)) in rows.iter_mut().zip(measured) {
            r.packet_hit = Timed::new(hit);
            r.packet_miss = Timed::new(miss);
        }
    } else if cfg.packet {
        notes.push(
            "the packet method was skipped: only ::1 is reachable on loopback in IPv6".into(),
        );
    }

    progress("cleaning up");
    for (_, target) in &rows {
        match target {
            Target::Set(name) => kernel.destroy_set(name)?,
            Target::Family(f) => {
                family::destroy::destroy(&mut kernel, &f.name, false)?;
            }
        }
    }
    let rows: Vec<Row> = rows.into_iter().map(|(r, _)| r).collect();
    Ok(ListReport {
        mode: "list",
        command: cfg.command.clone(),
        machine,
        settings: ListSettings {
            file: cfg.file.clone(),
            list_entries: cfg.list.len(),
            set_type: t.as_str().into(),
            address_family: af.as_str().into(),
            shards: spec.shards,
            route: spec.routing.to_string(),
            layout: cfg.layout.to_string(),
            ops: cfg.budget.ops,
            packets: cfg.packets,
            rounds: cfg.rounds,
            seed: cfg.seed,
        },
        compared: compare(&rows),
        rows,
        notes,
    })
}

fn row(name: &str, description: &str, load_seconds: f64) -> Row {
    Row {
        name: name.into(),
        description: description.into(),
        sets: 1,
        entries: 0,
        memory_bytes: 0,
        prefixes: Prefixes::default(),
        load_seconds,
        prepare_seconds: None,
        lookup_hit: None,
        lookup_miss: None,
        packet_hit: None,
        packet_miss: None,
    }
}

/// Create set `name` of default options (maxelem `maxelem`) and load
/// `lines` with `ipset -exist restore` (duplicates as ipset handles them);
/// seconds from spawn to exit. Without ipset: netlink batches.
fn load_set(
    kernel: &mut Kernel,
    ipset: Option<&Path>,
    name: &str,
    t: SetType,
    af: AddrFamily,
    maxelem: u32,
    lines: &[String],
) -> Result<f64> {
    let Some(ipset) = ipset else {
        let started = Instant::now();
        let kind = crate::kernel::requests::SetKind::Hash {
            set_type: t,
            family: af,
            hashsize: 1024,
            maxelem,
            timeout: None,
            counters: false,
            comment: false,
        };
        kernel.create_set(name, &kind, false)?;
        let entries = lines.iter().filter_map(|l| parse_entry(l, t, af).ok());
        batch::apply(
            batch::Op::Add,
            name,
            af,
            true,
            entries.map(batch::Element::plain),
        )?;
        return Ok(started.elapsed().as_secs_f64());
    };
    let mut script = format!("create {name} {t} family {af} maxelem {maxelem}\n");
    for l in lines {
        script.push_str("add ");
        script.push_str(name);
        script.push(' ');
        script.push_str(l);
        script.push('\n');
    }
    let started = Instant::now();
    let out = pipe(ipset, &["-exist", "restore"], script.into_bytes())?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(other(format!(
            "ipset restore of {name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(seconds)
}

/// Run `program` with `input` on its stdin (written from another thread).
fn pipe(program: &Path, args: &[&str], input: Vec<u8>) -> Result<std::process::Output> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| other(format!("cannot run {}: {e}", program.display())))?;
    let mut stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(&input);
        }
    });
    let out = child
        .wait_with_output()
        .map_err(|e| other(format!("waiting for {}: {e}", program.display())))?;
    let _ = writer.join();
    Ok(out)
}

/// `iprange --ipset-reduce R` of the list: its seconds and its lines.
fn run_iprange(program: &Path, reduce: u32, lines: &[String]) -> Result<(f64, Vec<String>)> {
    let input = lines.join("\n") + "\n";
    let started = Instant::now();
    let pct = reduce.to_string();
    let out = pipe(program, &["--ipset-reduce", &pct], input.into_bytes())?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(other(format!(
            "iprange --ipset-reduce {reduce} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut reduced = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let e = parse_entry(line, SetType::HashNet, AddrFamily::Inet)
            .map_err(|e| other(format!("iprange printed {line:?}: {e}")))?;
        reduced.push(e.to_string());
    }
    Ok((seconds, reduced))
}

/// Create and load the family as `mipset create` and `mipset load` do:
/// the list parsed again from its bytes, the routing chosen from it
/// (`--route auto`), planned and applied; seconds, and the family as made.
fn load_family(
    kernel: &mut Kernel,
    cfg: &ListConfig,
    spec: &FamilySpec,
) -> Result<(f64, FamilySpec)> {
    let started = Instant::now();
    family::create::create(kernel, spec, false)?;
    let list = listfile::read(&mut &cfg.text[..], &cfg.file, spec)?;
    let spec = match crate::reroute::choose(kernel, spec, &list)? {
        Some((chosen, _)) => {
            crate::reroute::switch(kernel, spec, &chosen)?;
            chosen
        }
        None => spec.clone(),
    };
    let mode = bulk::plan::Mode::Load;
    if bulk::cover::is_covering(&spec) {
        bulk::cover::apply_list(kernel, &spec, &list, mode, false)?;
    } else {
        let plan = bulk::read::plan(kernel, &spec, &list, mode, false)?;
        bulk::apply::apply(kernel, &spec, &plan, false)?;
    }
    Ok((started.elapsed().as_secs_f64(), spec))
}

/// The distinct prefix lengths of one set, from a netlink dump.
fn lengths(name: &str) -> Result<Vec<u8>> {
    let mut seen = [false; 129];
    dump::dump_entries(name, false, |e, _| seen[e.prefix as usize] = true)?;
    Ok((0..=128u8).filter(|&p| seen[p as usize]).collect())
}

/// Fill in what the kernel holds for a row: elements, memory, prefixes.
fn describe(kernel: &mut Kernel, r: &mut Row, target: &Target) -> Result<()> {
    let names: Vec<String> = match target {
        Target::Set(n) => vec![n.clone()],
        Target::Family(f) => (0..f.shards).map(|i| f.shard_name(i)).collect(),
    };
    let headers = kernel.list_headers(None)?;
    let mut sets = Vec::new();
    for n in &names {
        let h = headers
            .iter()
            .find(|h| &h.name == n)
            .ok_or_else(|| other(format!("set {n} vanished during the benchmark")))?;
        r.entries += h.entries;
        r.memory_bytes += h.memory;
        sets.push(lengths(n)?);
    }
    r.sets = names.len() as u32;
    r.prefixes = Prefixes::of(&sets);
    Ok(())
}

/// Up to `count` unicast addresses (IPv4 1/8..223/8, IPv6 2000::/3) the
/// stock set does not hold, as the kernel answers.
fn miss_probes(
    kernel: &mut Kernel,
    t: SetType,
    af: AddrFamily,
    seed: u64,
    count: usize,
) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for i in 0..count as u64 * 20 {
        if out.len() == count {
            break;
        }
        let Some(candidate) = unicast(af, seed, i) else {
            continue;
        };
        if !kernel.test(STOCK, t, &candidate)? {
            out.push(candidate);
        }
    }
    Ok(out)
}

/// In-process lookups, every row in turn (rotating which goes first): a
/// hit then a miss each round; every answer is checked.
fn lookups(
    kernel: &mut Kernel,
    rows: &mut [(Row, Target)],
    hits: &[Entry],
    misses: &[Entry],
    budget: Budget,
) -> Result<()> {
    let n = rows.len();
    let mut samples: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); n];
    let start = Instant::now();
    for round in 0..budget.warmup + budget.ops {
        for k in 0..n {
            let i = (round + k) % n;
            let target = &rows[i].1;
            for (pool, want, slot) in [(hits, true, 0), (misses, false, 1)] {
                if pool.is_empty() {
                    continue;
                }
                let probe = &pool[round % pool.len()];
                let t0 = Instant::now();
                let got = target.test(kernel, probe)?;
                let ns = t0.elapsed().as_nanos() as f64;
                if got != want {
                    return Err(wrong(format!(
                        "{}: test {probe} said {got}",
                        rows[i].0.name
                    )));
                }
                if round >= budget.warmup {
                    let s = &mut samples[i];
                    if slot == 0 { &mut s.0 } else { &mut s.1 }.push(ns);
                }
            }
        }
        if budget.duration.is_some_and(|d| start.elapsed() > d) && round > budget.warmup {
            break;
        }
    }
    for ((r, _), (hit, miss)) in rows.iter_mut().zip(samples) {
        r.lookup_hit = Timed::new(hit);
        r.lookup_miss = Timed::new(miss);
    }
    Ok(())
}
