//! `mipset load` and `mipset sync`: whole lists, with progress bars and
//! `--auto-grow`.

use std::io;

use serde_json::json;

use crate::bulk;
use crate::cli::bulk::BulkArgs;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::listfile;
use crate::meta::FamilySpec;
use crate::naming::check_family_name;
use crate::output::progress::Progress;
use crate::output::sink::Out;
use crate::route;
use crate::rules::switch::RuleSwitch;
use crate::source;
use crate::text::plural;

pub fn run(
    args: &BulkArgs,
    mode: bulk::plan::Mode,
    stdin: &mut dyn io::BufRead,
    out: &mut Out,
) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let started = std::time::Instant::now();
    let mut kernel = Kernel::open()?;
    let spec = family::open::open(&mut kernel, &args.family)?;
    let progress = Progress::new(out);
    let input = source::open(&args.file, stdin)?;
    let bar = progress.bytes("parse", input.size);
    let mut reader = io::BufReader::with_capacity(1 << 16, bar.wrap_read(input.reader));
    // A sync reads the family's shards meanwhile, on the other cores.
    let (list, prefetched) = bulk::read::parse_while_reading(&spec, mode, || {
        listfile::read(&mut reader, &input.name, &spec)
    });
    bar.finish_and_clear();
    let (source, list) = (input.name, list?);
    if mode == bulk::plan::Mode::Sync && list.is_empty() && !args.allow_empty {
        return Err(Error::Usage(format!(
            "{source} holds no entries: sync would empty family '{}'; add --allow-empty if that is what you want",
            spec.name
        )));
    }
    // An empty `--route auto` family takes the bits this list spreads best
    // (switched to just before the list is applied).
    let before = spec.clone();
    let mut prefetched = Some(prefetched);
    let mut spec = spec;
    let chosen = crate::reroute::choose(&mut kernel, &spec, &list)?;
    if let Some((new, choice)) = &chosen {
        if new.routing != spec.routing {
            prefetched = None; // routed for the old bits
        }
        spec = new.clone();
        out.text(&format!(
            "routing {} {} for family {} from {source}: {} for {} (fullest shard {})\n",
            spec.routing,
            if args.dry_run {
                "would be chosen"
            } else {
                "chosen"
            },
            spec.name,
            plural(choice.total as u64, "element", "elements"),
            plural(list.len() as u64, "entry", "entries"),
            choice.fullest,
        ));
        let per_entry = choice.total as f64 / list.len().max(1) as f64;
        if per_entry > family::status::REPLICATION_WARNING {
            out.warn(&format!(
                "family {} will store {per_entry:.2} elements per entry: networks that span several shards are stored in each (fewer shards store fewer)",
                spec.name
            ));
        }
    }
    let mut switched = false;
    let targets;
    let plan = if bulk::cover::is_covering(&spec) {
        if args.auto_grow {
            return Err(Error::Usage(format!(
                "--auto-grow: family {} stores coverage (--reduce {}), which more shards do not shrink; raise its maxelem with `mipset resize {} --maxelem N`",
                spec.name, spec.reduce, spec.name
            )));
        }
        let bar = progress.steps("read and plan", u64::from(spec.shards));
        let prefetched = prefetched.take().unwrap_or_default();
        let (ready, shards) = bulk::cover::prepare(&spec, &list, mode, prefetched)?;
        targets = ready;
        let mut plan = bulk::cover::plan(&spec, &targets, shards, args.atomic)?;
        bar.finish_and_clear();
        plan.entries = list.len();
        plan
    } else {
        loop {
            let bar = progress.steps("read and plan", u64::from(spec.shards));
            let planned = bulk::read::plan_prefetched(
                &mut kernel,
                &spec,
                &list,
                mode,
                args.atomic,
                prefetched.take().unwrap_or_default(),
                &mut |_| bar.inc(1),
            );
            bar.finish_and_clear();
            match planned {
                Err(e)
                    if args.auto_grow
                        && !args.dry_run
                        && e.kernel_kind() == Some(crate::error::KernelErrorKind::Full)
                        && spec.shards < route::MAX_SHARDS =>
                {
                    // Doubling helps only if it spreads the fullest shard's load:
                    // a skewed list (all in one /24 with bits:8) would double the
                    // family to 1024 shards for nothing.
                    if bulk::plan::fullest_shard(&list, spec.shards * 2, spec.routing)
                        >= bulk::plan::fullest_shard(&list, spec.shards, spec.routing)
                    {
                        return Err(Error::kernel(
                        crate::error::KernelErrorKind::Full,
                        format!("{e}; --auto-grow cannot help: the list's entries do not spread over more shards (raise the maxelem with `mipset resize {} --maxelem N`)", spec.name),
                    ));
                    }
                    let grown = FamilySpec {
                        shards: spec.shards * 2,
                        ..spec.clone()
                    };
                    route::validate(grown.shards, grown.routing, grown.set_type, grown.family)
                        .map_err(|why| {
                            Error::Usage(format!("--auto-grow cannot double the shards: {why}"))
                        })?;
                    out.warn(&format!(
                        "{}: --auto-grow is growing family {} from {} to {} shards, then plans again",
                        bulk::read::over_capacity_facts(&spec.name, &e),
                        spec.name,
                        spec.shards,
                        grown.shards
                    ));
                    interrupt::defer();
                    if !switched {
                        crate::reroute::switch(&mut kernel, &before, &spec)?;
                        switched = true;
                    }
                    let rules = RuleSwitch::prepare(&mut kernel, &spec)?;
                    crate::resize::resize(&mut kernel, &spec, &grown, &rules)?;
                    spec = grown;
                }
                other => break other?,
            }
        }
    };
    let (adds, dels, refreshes, rebuilds) = plan.totals();
    let verb = match mode {
        bulk::plan::Mode::Load => "load",
        bulk::plan::Mode::Sync => "sync",
    };
    if args.dry_run {
        let mut text = format!(
            "plan to {verb} family {} from {source}: {}, +{adds} -{dels} elements, {refreshes} refreshed, {rebuilds} shards rebuilt\n",
            spec.name, plural(plan.entries as u64, "entry", "entries")
        );
        for s in plan.shards.iter().filter(|s| s.changes()) {
            text.push_str(&format!(
                "  {}: {} -> {} (+{} -{} ~{}){}\n",
                s.shard,
                s.before,
                s.after,
                s.adds,
                s.dels,
                s.refreshes,
                if s.rebuild {
                    " rebuild and swap"
                } else {
                    " in place"
                }
            ));
        }
        out.text(&text);
        out.value(&json!({ "result": "planned", "family": spec.name, "plan": plan }));
        return Ok(ExitCode::Ok);
    }
    interrupt::defer();
    if !switched {
        crate::reroute::switch(&mut kernel, &before, &spec)?;
    }
    let bar = progress.steps(
        "apply",
        plan.shards.iter().filter(|s| s.changes()).count() as u64,
    );
    let applied =
        bulk::apply::apply_with(&mut kernel, &spec, &plan, args.atomic, &mut |_| bar.inc(1));
    bar.finish_and_clear();
    let applied = applied?;
    for temp in &applied.cleaned {
        out.warn(&format!(
            "removed {temp}, a temporary set left by an interrupted load or sync"
        ));
    }
    let elapsed = humantime::format_duration(std::time::Duration::from_millis(
        started.elapsed().as_millis() as u64,
    ));
    out.text(&format!(
        "{verb}: family {} from {source}: {}, +{adds} -{dels} elements, {refreshes} refreshed, {} unchanged, {} shards swapped, {} changed in place, {elapsed}\n",
        spec.name, plural(plan.entries as u64, "entry", "entries"), plan.unchanged(), applied.swapped, applied.in_place
    ));
    out.value(&json!({
        "result": verb,
        "family": spec.name,
        "plan": plan,
        "applied": applied,
        "elapsed_seconds": started.elapsed().as_secs_f64(),
    }));
    Ok(ExitCode::Ok)
}
