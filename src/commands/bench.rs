//! `mipset bench`: check the arguments, choose the namespace (a private
//! one, or this one with `--in-place` under the node lock), run the
//! measurement of [`crate::bench::run`], then print, export and plot.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::addr::{AddrFamily, SetType};
use crate::bench::list::{self, ListConfig};
use crate::bench::list_report;
use crate::bench::ops::Budget;
use crate::bench::plot;
use crate::bench::report::{self, Format, Method};
use crate::bench::run::{self, Config};
use crate::bench::setup::private_namespace;
use crate::bench::workload::bench_routing;
use crate::cli::bench::BenchArgs;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::listfile;
use crate::lock::{NodeLock, Wait};
use crate::options::{self, FamilyOptions};
use crate::output::progress::Spinner;
use crate::output::sink::Out;
use crate::route::{self, Routing};
use crate::rules::spec::{Layout, LayoutChoice};
use crate::source;

pub fn run(args: &BenchArgs, out: &mut Out) -> Result<ExitCode> {
    if let Some(path) = &args.list {
        return run_list(args, path, out);
    }
    // Everything is checked before anything is created.
    let cfg = config(args, args.set_type.unwrap_or(SetType::HashIp))?;
    check_output_paths(args)?;
    let _lock = if args.in_place {
        Some(NodeLock::acquire(Wait::No)?)
    } else {
        private_namespace()?;
        None
    };
    let spinner = Spinner::new(out.quiet || out.json);
    let report = run::run(&cfg, &mut |step| spinner.step(step))?;
    drop(spinner);
    if out.json {
        out.write(report::json(&report).as_bytes());
    } else {
        out.text(&report::render(&report, args.format, args.wide));
    }
    // The measurement is done: a file that cannot be written is an output
    // failure (exit 4), not a usage error; each file is tried.
    let mut failed = Vec::new();
    if let Some(path) = &args.export {
        let format = Format::of_path(path).unwrap_or(Format::Json);
        if let Err(e) = std::fs::write(path, report::render(&report, format, true)) {
            failed.push(format!("--export {}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.plot {
        if let Err(e) = plot::svg(&report, path) {
            failed.push(format!("--plot {}: {e}", path.display()));
        }
    }
    if !failed.is_empty() {
        return Err(Error::Output(failed.join("; ")));
    }
    if report.notes.iter().any(|n| n.contains("COUNTERS")) {
        out.warn(
            "rule counters disagreed with the packets sent; the packet rows are not trustworthy",
        );
        return Ok(ExitCode::Partial);
    }
    Ok(ExitCode::Ok)
}

/// `mipset bench --list FILE`: the list checked (FILE:LINE, exit 2) before
/// the private namespace is made; then measured, printed and exported.
fn run_list(args: &BenchArgs, path: &Path, out: &mut Out) -> Result<ExitCode> {
    let cfg = list_config(args, path)?;
    check_output_paths(args)?;
    private_namespace()?;
    let spinner = Spinner::new(out.quiet || out.json);
    let report = list::run(&cfg, &mut |step| spinner.step(step))?;
    drop(spinner);
    if out.json {
        out.write(list_report::json(&report).as_bytes());
    } else {
        out.text(&list_report::render(&report, args.format));
    }
    if let Some(path) = &args.export {
        let format = Format::of_path(path).unwrap_or(Format::Json);
        if let Err(e) = std::fs::write(path, list_report::render(&report, format)) {
            return Err(Error::Output(format!("--export {}: {e}", path.display())));
        }
    }
    if report.notes.iter().any(|n| n.contains("COUNTERS")) {
        out.warn(
            "rule counters disagreed with the packets sent; the packet rows are not trustworthy",
        );
        return Ok(ExitCode::Partial);
    }
    Ok(ExitCode::Ok)
}

/// What `--list` asks for, every value checked and the list parsed.
fn list_config(args: &BenchArgs, path: &Path) -> Result<ListConfig> {
    let refuse = |why: &str| Err(Error::Usage(format!("--list: {why}")));
    if args.in_place {
        return refuse("runs in a private namespace only, not with --in-place");
    }
    if args.plot.is_some() {
        return refuse("--plot draws the random-address runs only");
    }
    let csv = args.export.as_deref().and_then(Format::of_path) == Some(Format::Csv);
    if args.format == Format::Csv || csv {
        return refuse("no CSV: use --format json, markdown or table (--export .json or .md)");
    }
    let set_type = args.set_type.unwrap_or(SetType::HashNet);
    let cfg = config(args, set_type)?;
    let [shards] = cfg.shard_counts[..] else {
        return refuse("one shard count at a time (--shards N)");
    };
    let mut family = FamilyOptions {
        name: list::FAMILY.into(),
        set_type,
        family: cfg.family,
        shards,
        // As `mipset create` would: the routing asked for, else the type's
        // default (auto for hash:net), and --reduce (auto unless given).
        route: args.route.clone(),
        hashsize: 1024,
        maxelem: 65536,
        timeout: None,
        counters: false,
        comment: false,
        reduce: Some(args.reduce.clone().unwrap_or_else(|| {
            if set_type == SetType::HashNet {
                "auto"
            } else {
                "off"
            }
            .into()
        })),
    };
    let spec = options::family_spec(&family)?;
    let mut input = source::open_file(path)?;
    let mut text = Vec::new();
    input
        .reader
        .read_to_end(&mut text)
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", input.name)))?;
    let entries = listfile::read(&mut &text[..], &input.name, &spec)?;
    if entries.is_empty() {
        return Err(Error::Usage(format!("{} holds no entries", input.name)));
    }
    // Room for the list, as a user would raise --maxelem: the fullest
    // shard's share in every shard (short prefixes go into several).
    // Room for the list, as for the stock set: every shard may hold the
    // family's maxelem.
    family.maxelem = u32::try_from(entries.len()).unwrap_or(u32::MAX).max(65536);
    Ok(ListConfig {
        command: cfg.command,
        file: input.name,
        text,
        list: entries,
        family,
        layout: cfg.layout,
        budget: cfg.budget,
        packet: cfg.methods.contains(&Method::Packet),
        exec_asked: cfg.methods.contains(&Method::Exec),
        packets: cfg.packets,
        rounds: cfg.rounds,
        seed: cfg.seed,
    })
}

/// The measurement the arguments ask for, every value checked.
fn config(args: &BenchArgs, set_type: SetType) -> Result<Config> {
    let sizes = parse_sizes(&args.entries).map_err(Error::Usage)?;
    let af = args.family;
    let routing = match &args.route {
        Some(r) => r.parse::<Routing>().map_err(Error::Usage)?,
        None => bench_routing(set_type, af),
    };
    let shard_counts = parse_shards(&args.shards, routing, set_type, af)?;
    let methods = Method::expand(&args.method);
    let needs_rules = methods.iter().any(|m| *m != Method::Netlink);
    // The one rule of which layout a routing allows; a netlink-only run
    // installs no rule, so its (reported) layout is only what would be.
    let layout = match LayoutChoice::resolve(Some(args.layout), routing) {
        // A netlink-only run installs no rule: the default stands for the
        // umbrella, the one layout hash routing allows.
        Err(_) if !needs_rules && args.layout == LayoutChoice::Dispatch => Layout::Umbrella,
        other => other
            .map_err(|e| Error::Usage(format!("--route {routing}: {e}: add --layout umbrella")))?,
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
    if args.in_place && needs_rules {
        return Err(Error::Usage(
            "--in-place runs only --method netlink: exec needs the node lock the bench holds, and packet would drop this namespace's traffic in raw PREROUTING while it runs".into(),
        ));
    }
    if af == AddrFamily::Inet6 && methods.iter().all(|m| *m == Method::Packet) {
        return Err(Error::Usage(
            "--method packet cannot run for inet6: only ::1 is reachable on loopback, so no set of many IPv6 entries can be probed without sending packets off the node".into(),
        ));
    }
    Ok(Config {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        sizes,
        shard_counts,
        set_type,
        family: af,
        routing,
        layout,
        methods,
        budget: Budget {
            ops: args.ops,
            warmup: args.warmup,
            duration,
        },
        exec_ops: args.exec_ops,
        packets: args.packets,
        rounds: args.rounds,
        seed: args.seed,
        scale: !args.no_scale,
        in_place: args.in_place,
    })
}

/// `--export` and `--plot` name files of a known kind in a directory that
/// exists, so a long run does not end in an error it could have given first.
fn check_output_paths(args: &BenchArgs) -> Result<()> {
    if let Some(p) = &args.export {
        if Format::of_path(p).is_none() {
            return Err(Error::Usage(format!(
                "--export {}: the file name must end in .json, .csv or .md",
                p.display()
            )));
        }
    }
    if let Some(p) = &args.plot {
        if p.extension().and_then(|e| e.to_str()) != Some("svg") {
            return Err(Error::Usage(format!(
                "--plot {}: the file name must end in .svg",
                p.display()
            )));
        }
    }
    for (flag, path) in [("--export", &args.export), ("--plot", &args.plot)] {
        let Some(path) = path else { continue };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{flag} {}: directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
        if path.is_dir() {
            return Err(Error::Usage(format!(
                "{flag} {}: is a directory",
                path.display()
            )));
        }
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
