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
    // Shards first: the umbrella's members must exist when it is restored.
    for shard in spec.shard_names() {
        let text = kernel.save_text(&shard)?;
        out.write(text.as_bytes());
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
            Ok(family::discover::Discovery::Family(have)) if args.exist && have == *spec => {
                // Planned now, so a list that does not fit is refused first.
                merged.push(bulk::read::plan(&mut kernel, spec, list, Mode::Load, false)?);
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
            let plan = match family::create::create(&mut kernel, spec, args.exist)? {
                Created::New => bulk::read::plan(&mut kernel, spec, list, Mode::Load, false)?,
                Created::AlreadyThere => merged.next().unwrap_or_default(),
            };
            bulk::apply::apply(&mut kernel, spec, &plan, false)?;
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
