//! `mipset save` and `mipset restore`: families as ipset dumps.

use std::collections::HashSet;
use std::io;

use serde_json::json;

use crate::bulk;
use crate::bulk::plan::Mode;
use crate::cli::bulk::RestoreArgs;
use crate::error::{Error, KernelErrorKind, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::family::create::Created;
use crate::input;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::listfile;
use crate::naming::check_family_name;
use crate::output::sink::Out;
use crate::source;

pub fn save(name: &str, out: &mut Out) -> Result<ExitCode> {
    check_family_name(name)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open::open(&mut kernel, name)?;
    if bulk::cover::is_covering(&spec) {
        return save_cover(&mut kernel, &spec, out);
    }
    // Shards first: the umbrella's members must exist when it is restored.
    for shard in spec.shard_names() {
        let text = kernel.save_text(&shard)?;
        out.write(text.as_bytes());
    }
    let text = kernel.save_text(&spec.name)?;
    out.write(text.as_bytes());
    Ok(ExitCode::Ok)
}

/// `save` of a family that stores coverage: its addresses as the minimal
/// CIDR cover, each CIDR in every shard it covers (as a family without
/// `--reduce` stores it), so the stock `ipset restore` makes a family that
/// answers the same, and `mipset restore` reduces it again.
fn save_cover(
    kernel: &mut Kernel,
    spec: &crate::meta::FamilySpec,
    out: &mut Out,
) -> Result<ExitCode> {
    let cover = crate::bulk::covered::cover(spec)?;
    let mut by_shard: Vec<Vec<&crate::addr::Entry>> = vec![Vec::new(); spec.shards as usize];
    for entry in &cover {
        for t in crate::route::shards_for(entry, spec.shards, spec.routing) {
            by_shard[t as usize].push(entry);
        }
    }
    for (shard, entries) in spec.shard_names().zip(by_shard) {
        let text = kernel.save_text(&shard)?;
        let mut dump = String::new();
        for line in text.lines().filter(|l| l.starts_with("create ")) {
            dump.push_str(line);
            dump.push('\n');
        }
        for entry in entries {
            dump.push_str(&format!("add {shard} {entry}\n"));
        }
        out.write(dump.as_bytes());
    }
    let text = kernel.save_text(&spec.name)?;
    out.write(text.as_bytes());
    Ok(ExitCode::Ok)
}

/// The most a dump may hold (a 4M-element dump is about 150 MiB of text);
/// lines are at most [`input::MAX_LINE_LEN`] bytes.
const MAX_DUMP_BYTES: usize = 1 << 30;

pub fn restore(args: &RestoreArgs, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    let input = source::open(&args.file, stdin)?;
    let source = input.name.clone();
    // Line by line, bounded: a stream without newlines (/dev/zero) or
    // without end fails fast instead of filling memory.
    let mut text = String::new();
    input::for_each_line(&mut io::BufReader::new(input.reader), &source, |line| {
        if text.len() + line.len() >= MAX_DUMP_BYTES {
            return Err(format!("the dump is larger than {MAX_DUMP_BYTES} bytes"));
        }
        text.push_str(line);
        text.push('\n');
        Ok(())
    })?;
    let dump = crate::savefile::parse(&text, &source)?;
    drop(text);
    let mut kernel = Kernel::open()?;
    // Everything is parsed and checked before the first family is created.
    let mut lists = Vec::new();
    for (spec, entries) in &dump.families {
        lists.push(listfile::read(&mut entries.as_bytes(), &source, spec)?);
    }
    let taken: HashSet<String> = kernel
        .list_headers(None)?
        .into_iter()
        .map(|h| h.name)
        .collect();
    // Refuse before creating anything if a family exists and may not be
    // merged, a set has a name a new family needs, or a list does not fit.
    let mut merged = Vec::new();
    for ((spec, _), list) in dump.families.iter().zip(&lists) {
        match family::open::open_any(&mut kernel, &spec.name) {
            Err(Error::NoSuchFamily(_)) => {
                if let Some(name) = spec.shard_names().find(|n| taken.contains(n)) {
                    return Err(Error::Usage(format!(
                        "family '{}' needs the name {name}, which a set of this node already has; nothing was restored",
                        spec.name
                    )));
                }
                let fullest = bulk::plan::fullest_shard(list, spec.shards, spec.routing);
                if fullest > spec.maxelem as usize {
                    return Err(Error::kernel(
                        KernelErrorKind::Full,
                        format!(
                            "family '{}': a shard would hold {fullest} elements but its maxelem is {}; nothing was restored",
                            spec.name, spec.maxelem
                        ),
                    ));
                }
            }
            Ok(family::discover::Discovery::Family(have)) if args.exist && have.is_as_wanted(spec) => {
                // Planned now, so a list that does not fit is refused first.
                // With the family's own routing (`--route auto` may have
                // chosen other bits than the dump's).
                let plan = if bulk::cover::is_covering(&have) {
                    Default::default()
                } else {
                    bulk::read::plan(&mut kernel, &have, list, Mode::Load, false)?
                };
                merged.push((have, plan));
                continue;
            }
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "family '{}' (or a set of that name) already exists; nothing was restored (--exist merges into an identical family)",
                    spec.name
                )))
            }
            Err(e) => return Err(e),
        }
    }
    interrupt::defer();
    let mut restored: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    let mut merged = merged.into_iter();
    for ((spec, _), list) in dump.families.iter().zip(&lists) {
        let step = (|| -> Result<()> {
            let (have, plan) = match family::create::create(&mut kernel, spec, args.exist)? {
                Created::New if bulk::cover::is_covering(spec) => (spec.clone(), None),
                Created::New => (
                    spec.clone(),
                    Some(bulk::read::plan(
                        &mut kernel,
                        spec,
                        list,
                        Mode::Load,
                        false,
                    )?),
                ),
                Created::AlreadyThere => {
                    let (have, plan) = merged
                        .next()
                        .unwrap_or_else(|| (spec.clone(), Default::default()));
                    let covering = bulk::cover::is_covering(&have);
                    (have, (!covering).then_some(plan))
                }
            };
            match plan {
                Some(plan) => bulk::apply::apply(&mut kernel, &have, &plan, false)?,
                // Coverage is planned against what the shards hold now.
                None => bulk::cover::apply_list(&mut kernel, &have, list, Mode::Load, false)?.0,
            };
            Ok(())
        })();
        if let Err(e) = step {
            // Say exactly what was made before the failure.
            return Err(if restored.is_empty() {
                e
            } else {
                Error::Partial(format!(
                    "{e}; restored before the failure: {}",
                    restored.join(", ")
                ))
            });
        }
        restored.push(spec.name.clone());
        out.text(&format!(
            "restored family {} ({} entries)\n",
            spec.name,
            list.len()
        ));
        lines.push(json!({ "family": spec.name, "entries": list.len() }));
    }
    out.value(&json!({ "result": "restored", "families": lines }));
    Ok(ExitCode::Ok)
}
