//! Creating a family: checks that it (or a set with one of its names) is
//! not there yet, then creates the shards, the umbrella and the metadata in
//! one netlink send ([`crate::kernel::create`]).

use std::collections::HashSet;

use super::discover::Discovery;
use super::open::open_any;
use crate::error::{Error, Result};
use crate::kernel::Kernel;
use crate::meta::FamilySpec;

/// Result of `create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    /// `--exist` and an identical family was already there.
    AlreadyThere,
}

/// What differs between an existing family and the one asked for:
/// "shards 8 (asked 16), ...".
pub fn describe_difference(have: &FamilySpec, want: &FamilySpec) -> String {
    let fields = |s: &FamilySpec| {
        [
            ("type", s.set_type.to_string()),
            ("family", s.family.to_string()),
            ("shards", s.shards.to_string()),
            (
                "route",
                // Auto bits are chosen from the data: both auto is the same.
                match (s.route_auto, have.route_auto && want.route_auto) {
                    (true, true) => "auto".to_string(),
                    (true, false) => format!("auto ({})", s.routing),
                    (false, _) => s.routing.to_string(),
                },
            ),
            ("reduce", s.reduce.to_string()),
            ("hashsize per shard", s.hashsize.to_string()),
            ("maxelem per shard", s.maxelem.to_string()),
            (
                "timeout",
                s.timeout.map_or("none".to_string(), |t| t.to_string()),
            ),
            ("counters", s.counters.to_string()),
            ("comment", s.comment.to_string()),
        ]
    };
    let differences = fields(have).into_iter().zip(fields(want));
    differences
        .filter(|(h, w)| h.1 != w.1)
        .map(|((k, h), (_, w))| format!("{k} {h} (asked {w})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Create a family: the shards, then the umbrella with metadata, all in one
/// kernel call; on a refusal what was made is destroyed again.
pub fn create(kernel: &mut Kernel, spec: &FamilySpec, exist: bool) -> Result<Created> {
    match open_any(kernel, &spec.name) {
        Ok(Discovery::Family(have)) => {
            return if have.is_as_wanted(spec) && exist {
                Ok(Created::AlreadyThere)
            } else if have.is_as_wanted(spec) {
                Err(Error::Usage(format!(
                    "family '{}' already exists (add --exist to accept an identical one)",
                    spec.name
                )))
            } else {
                Err(Error::Usage(format!(
                    "family '{}' already exists with a different definition: {}",
                    spec.name,
                    describe_difference(&have, spec)
                )))
            };
        }
        Ok(Discovery::Damaged { problem, .. }) => {
            return Err(Error::Usage(format!(
            "family '{}' exists but is damaged: {problem}; `mipset destroy --force {}` removes it",
            spec.name, spec.name
        )))
        }
        Ok(Discovery::NotFamily(reason)) => {
            return Err(Error::Usage(format!(
                "a set named '{}' already exists and is not a mipset family ({reason})",
                spec.name
            )))
        }
        Err(Error::NoSuchFamily(_)) => {}
        Err(e) => return Err(e),
    }
    let existing: HashSet<String> = kernel
        .list_headers(None)?
        .into_iter()
        .map(|s| s.name)
        .collect();
    if let Some(taken) = spec.shard_names().find(|n| existing.contains(n)) {
        return Err(Error::Usage(format!(
            "cannot create family '{}': a set named '{taken}' already exists (if it is left over from an interrupted create, remove it with `ipset destroy {taken}`)",
            spec.name
        )));
    }
    // One send: SIGKILL leaves the whole family or nothing.
    kernel.create_family(spec)?;
    Ok(Created::New)
}
