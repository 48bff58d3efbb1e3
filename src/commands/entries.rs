//! `mipset add`, `del`, `test` and `which`: single entries.

use std::io;

use serde_json::json;

use crate::addr::parse_entry;
use crate::cli::family::{AddArgs, DelArgs, TestArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::input;
use crate::interrupt;
use crate::kernel::{AddOptions, Kernel};
use crate::meta::FamilySpec;
use crate::naming::check_family_name;
use crate::options;
use crate::output::sink::Out;
use crate::route;
use crate::text::plural;

pub fn add(args: &AddArgs, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| options::parse_timeout("--timeout", t))
        .transpose()?;
    let opts = AddOptions {
        exist: args.exist,
        timeout,
        comment: args.comment.clone(),
    };
    let mut kernel = Kernel::open()?;
    let spec = family::open::open(&mut kernel, &args.family)?;
    family::add::validate_add_options(&spec, &opts)?;
    let entries = read_entries(&args.addrs, stdin, &spec, out, "add")?;
    interrupt::defer();
    let change = if crate::bulk::cover::is_covering(&spec) {
        family::add::validate_add_options(&spec, &opts)?;
        crate::bulk::covered::change(&mut kernel, &spec, &entries, true, opts.exist)?
    } else {
        family::add::add(&mut kernel, &spec, &entries, &opts)?
    };
    out.text(&summary(
        "added",
        "to",
        &spec,
        &change,
        "already there (refreshed)",
    ));
    out.value(&json!({ "result": "added", "family": spec.name, "change": change }));
    Ok(ExitCode::Ok)
}

pub fn del(args: &DelArgs, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open::open(&mut kernel, &args.family)?;
    let entries = read_entries(&args.addrs, stdin, &spec, out, "delete")?;
    interrupt::defer();
    let change = if crate::bulk::cover::is_covering(&spec) {
        crate::bulk::covered::change(&mut kernel, &spec, &entries, false, args.exist)?
    } else {
        family::remove::del(&mut kernel, &spec, &entries, args.exist)?
    };
    out.text(&summary("deleted", "from", &spec, &change, "not there"));
    out.value(&json!({ "result": "deleted", "family": spec.name, "change": change }));
    Ok(ExitCode::Ok)
}

/// The entries of an add or del, all checked against the family; warns when
/// there are none (an empty list is not an error for scripts).
fn read_entries(
    addrs: &[String],
    mut stdin: &mut dyn io::BufRead,
    spec: &FamilySpec,
    out: &mut Out,
    verb: &str,
) -> Result<Vec<crate::addr::Entry>> {
    let entries = input::read_args(addrs, &mut stdin, spec.set_type, spec.family)?;
    if entries.is_empty() {
        out.warn(&format!("no addresses read; nothing to {verb}"));
    }
    Ok(entries)
}

/// "added 2 of 3 entries to family web (2 shard elements), 1 already there".
fn summary(
    verb: &str,
    preposition: &str,
    spec: &FamilySpec,
    change: &family::change::Change,
    unchanged: &str,
) -> String {
    let mut text = format!(
        "{verb} {} of {} to family {} ({})",
        change.entries - change.unchanged,
        plural(change.entries as u64, "entry", "entries"),
        spec.name,
        plural(change.elements as u64, "shard element", "shard elements"),
    )
    .replace(" to family", &format!(" {preposition} family"));
    if change.unchanged > 0 {
        text.push_str(&format!(", {} {unchanged}", change.unchanged));
    }
    if change.duplicates > 0 {
        text.push_str(&format!(
            ", {} ignored",
            plural(change.duplicates as u64, "duplicate", "duplicates")
        ));
    }
    text.push('\n');
    text
}

pub fn test(args: &TestArgs, out: &mut Out) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open::open(&mut kernel, &args.family)?;
    let entry = parse_entry(&args.addr, spec.set_type, spec.family).map_err(Error::Usage)?;
    // A network of a reduced family: is every address of it a member?
    let member = if !entry.is_host() && crate::bulk::cover::is_covering(&spec) {
        crate::bulk::covered::test(&spec, &entry)?
    } else {
        family::lookup::test(&mut kernel, &spec, &entry)?
    };
    let shards = route::shards_for(&entry, spec.shards, spec.routing);
    // A network of a reduced family is asked of every shard it spans.
    let shard = if crate::bulk::cover::is_covering(&spec) && shards.len() > 1 {
        format!(
            "{}..{}",
            spec.shard_name(shards.start),
            spec.shard_name(shards.end - 1)
        )
    } else {
        spec.shard_name(shards.start)
    };
    out.text(&format!(
        "{entry} is {}in family {} ({} {shard})\n",
        if member { "" } else { "NOT " },
        spec.name,
        if shard.contains("..") {
            "shards"
        } else {
            "shard"
        }
    ));
    out.value(&json!({ "family": spec.name, "entry": entry.to_string(), "member": member, "shard": shard }));
    Ok(if member { ExitCode::Ok } else { ExitCode::No })
}

pub fn which(args: &TestArgs, out: &mut Out) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open::open(&mut kernel, &args.family)?;
    let entry = parse_entry(&args.addr, spec.set_type, spec.family).map_err(Error::Usage)?;
    let shards: Vec<String> = route::shards_for(&entry, spec.shards, spec.routing)
        .map(|i| spec.shard_name(i))
        .collect();
    let lookup = spec.shard_name(route::lookup_shard(&entry, spec.shards, spec.routing));
    let mut text = String::new();
    for s in &shards {
        text.push_str(s);
        text.push('\n');
    }
    out.text(&text);
    out.value(&json!({ "family": spec.name, "entry": entry.to_string(), "shards": shards, "lookup": lookup }));
    Ok(ExitCode::Ok)
}
