//! `mipset list` and `mipset metrics`: families and their state, for people
//! and for Prometheus.

use serde_json::json;

use crate::cli::family::ListArgs;
use crate::error::Result;
use crate::exit::ExitCode;
use crate::family;
use crate::kernel::Kernel;
use crate::output::sink::Out;
use crate::output::tables;

pub fn list(args: &ListArgs, out: &mut Out) -> Result<ExitCode> {
    let mut kernel = Kernel::open()?;
    // Damaged families are listed too, marked DAMAGED, with what is wrong.
    let found = family::open::select(&mut kernel, args.family.as_deref())?;
    let statuses = family::open::selected_statuses(&mut kernel, found)?;
    if args.terse || statuses.is_empty() {
        if statuses.is_empty() && args.family.is_none() {
            out.text("no mipset families\n");
        } else {
            out.text(&tables::families_table(&statuses));
        }
    } else {
        let blocks: Vec<String> = statuses.iter().map(tables::family_detail).collect();
        out.text(&blocks.join("\n"));
    }
    if args.terse {
        let terse: Vec<_> = statuses
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.remove("shards_detail");
                }
                v
            })
            .collect();
        out.value(&json!(terse));
    } else {
        out.value(&json!(statuses));
    }
    Ok(ExitCode::Ok)
}

pub fn metrics(args: &ListArgs, out: &mut Out) -> Result<ExitCode> {
    let mut kernel = Kernel::open()?;
    let found = family::open::select(&mut kernel, args.family.as_deref())?;
    let statuses = family::open::selected_statuses(&mut kernel, found)?;
    out.write(crate::output::metrics::render(&statuses, &Default::default()).as_bytes());
    Ok(ExitCode::Ok)
}
