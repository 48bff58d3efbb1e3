//! `mipset save` and `mipset restore`: families as ipset dumps.

use std::io;

use serde_json::json;

use crate::bulk;
use crate::cli::bulk::RestoreArgs;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family;
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

pub fn restore(args: &RestoreArgs, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    let input = source::open(&args.file, stdin)?;
    let source = input.name.clone();
    let text = input.read_to_string()?;
    let dump = crate::savefile::parse(&text, &source)?;
    drop(text);
    let mut kernel = Kernel::open()?;
    // Everything is parsed and checked before the first family is created.
    let mut lists = Vec::new();
    for (spec, entries) in &dump.families {
        lists.push(listfile::read(&mut entries.as_bytes(), &source, spec)?);
    }
    // Refuse before creating anything if a family exists and may not be merged.
    for (spec, _) in &dump.families {
        match family::open::open_any(&mut kernel, &spec.name) {
            Err(Error::NoSuchFamily(_)) => {}
            Ok(family::discover::Discovery::Family(have)) if args.exist && have == *spec => {}
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
    let mut restored = Vec::new();
    for ((spec, _), list) in dump.families.iter().zip(&lists) {
        family::create::create(&mut kernel, spec, args.exist)?;
        let plan = bulk::read::plan(&mut kernel, spec, list, bulk::plan::Mode::Load, false)?;
        bulk::apply::apply(&mut kernel, spec, &plan, false)?;
        out.text(&format!(
            "restored family {} ({} entries)\n",
            spec.name,
            list.len()
        ));
        restored.push(json!({ "family": spec.name, "entries": list.len() }));
    }
    out.value(&json!({ "result": "restored", "families": restored }));
    Ok(ExitCode::Ok)
}
