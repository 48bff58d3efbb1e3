//! What an operation in progress made for a family, recorded in the
//! family's own metadata while it exists (invariant 7, "only what is ours").
//!
//! Before a rebuild creates a temporary set, or a resize creates shards or a
//! second umbrella, the names go into a member comment of the umbrella
//! (after the family's metadata, see [`Records`]; a list:set member's
//! comment is rewritten with `add ... -exist`). They leave it once the sets
//! are gone. A run killed in between leaves the record, so the next run (or
//! `check --repair`) destroys exactly those sets, if they are still of the
//! recorded kind and unused. A set that merely has a leftover-like name
//! (`FAMILY-tN`, `FAMILY-sN` past the shard count) is never touched.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::Kernel;
use crate::listing::SetInfo;
use crate::meta::FamilySpec;
use crate::records::Records;

/// Temporary names are `FAMILY-tK` with K below this (a 25-character
/// family name plus `-t9999` is the kernel's 31).
const TEMP_NAMES: u32 = 10_000;

/// The records on the umbrella's members, by member index (members with
/// none are left out).
pub fn recorded(kernel: &mut Kernel, spec: &FamilySpec) -> Result<Vec<(u32, Records)>> {
    let umbrella = kernel.list_set(&spec.name)?;
    let encoder = spec.encoder();
    let mut found = Vec::new();
    for (i, m) in umbrella.members.unwrap_or_default().iter().enumerate() {
        let index = i as u32;
        if m.elem != spec.shard_name(index) {
            continue;
        }
        let comment = m.comment.as_deref().unwrap_or("");
        if let Some(r) = encoder.matches_with_records(&spec.name, comment, index) {
            if !r.is_empty() {
                found.push((index, r));
            }
        }
    }
    Ok(found)
}

/// The comment of member `index` of the umbrella with `records`.
pub fn member_comment(spec: &FamilySpec, index: u32, records: &Records) -> String {
    format!("{}{}", spec.encode(index), records.encode())
}

/// Write `records` after member `index`'s metadata in the umbrella (an
/// empty `records` clears them).
pub fn record(kernel: &mut Kernel, spec: &FamilySpec, index: u32, records: &Records) -> Result<()> {
    let comment = member_comment(spec, index, records);
    kernel.add_member(&spec.name, &spec.shard_name(index), &comment, true)
}

/// What [`clean`] did.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// Recorded leftovers destroyed.
    pub destroyed: Vec<String>,
    /// Recorded names now held by something else (another kind, or in
    /// use): reported, not touched.
    pub kept: Vec<String>,
}

fn same_kind(spec: &FamilySpec, h: &SetInfo) -> bool {
    h.set_type == spec.set_type.as_str()
        && h.header.get("family").map(String::as_str) == Some(spec.family.as_str())
}

/// Destroy the sets a killed run recorded and left, then clear the records.
pub fn clean(kernel: &mut Kernel, spec: &FamilySpec) -> Result<Cleaned> {
    let records = recorded(kernel, spec)?;
    let mut cleaned = Cleaned::default();
    if records.is_empty() {
        return Ok(cleaned);
    }
    // Umbrellas first: an old umbrella references the shards it lists.
    let umbrellas: Vec<&String> = records
        .iter()
        .filter_map(|(_, r)| r.umbrella.as_ref())
        .collect();
    let mut rest: Vec<String> = records
        .iter()
        .flat_map(|(_, r)| r.temps.iter().cloned())
        .collect();
    for (_, r) in &records {
        if let Some((lo, hi)) = r.extra {
            // Never a shard the family uses now.
            rest.extend((lo.max(spec.shards)..hi).map(|j| spec.shard_name(j)));
        }
    }
    let headers = headers(kernel)?;
    for u in umbrellas {
        match headers.get(u.as_str()) {
            Some(h) if h.set_type == "list:set" && h.references == 0 => {
                kernel.destroy_set(u)?;
                cleaned.destroyed.push(u.clone());
            }
            Some(_) => cleaned.kept.push(u.clone()),
            None => {}
        }
    }
    let headers = self::headers(kernel)?;
    for name in rest {
        match headers.get(name.as_str()) {
            Some(h) if same_kind(spec, h) && h.references == 0 => {
                kernel.destroy_set(&name)?;
                cleaned.destroyed.push(name);
            }
            Some(_) => cleaned.kept.push(name),
            None => {}
        }
    }
    for (index, _) in &records {
        record(kernel, spec, *index, &Records::default())?;
    }
    Ok(cleaned)
}

fn headers(kernel: &mut Kernel) -> Result<HashMap<String, SetInfo>> {
    Ok(kernel
        .list_headers(None)?
        .into_iter()
        .map(|h| (h.name.clone(), h))
        .collect())
}

/// Every set name `records` claim (shards the family uses aside).
pub fn recorded_names(spec: &FamilySpec, records: &[(u32, Records)]) -> Vec<String> {
    let mut names = Vec::new();
    for (_, r) in records {
        names.extend(r.umbrella.iter().cloned());
        names.extend(r.temps.iter().cloned());
        if let Some((lo, hi)) = r.extra {
            names.extend((lo.max(spec.shards)..hi).map(|j| spec.shard_name(j)));
        }
    }
    names
}

/// Sets whose names look like this family's leftovers (`FAMILY-tK`, or
/// `FAMILY-sJ` past the shard count) but that no record names: someone
/// else's, to report and leave alone.
pub fn lookalikes(spec: &FamilySpec, names: &[&str], records: &[(u32, Records)]) -> Vec<String> {
    let ours: HashSet<String> = recorded_names(spec, records).into_iter().collect();
    let numbered = |name: &str, infix: &str| {
        name.strip_prefix(spec.name.as_str())
            .and_then(|r| r.strip_prefix(infix))
            .and_then(|k| k.parse::<u32>().ok().filter(|n| n.to_string() == k))
    };
    names
        .iter()
        .filter(|n| !ours.contains(**n))
        .filter(|n| {
            numbered(n, "-t").is_some() || numbered(n, "-s").is_some_and(|j| j >= spec.shards)
        })
        .map(|n| n.to_string())
        .collect()
}

/// `count` temporary names of family `spec` that no set holds (`taken`):
/// `FAMILY-tK`, lowest K first. A name someone else uses is skipped, never
/// reused.
pub fn free_temps(spec: &FamilySpec, taken: &HashSet<String>, count: usize) -> Result<Vec<String>> {
    let names: Vec<String> = (0..TEMP_NAMES)
        .map(|k| crate::naming::temp_name(&spec.name, k))
        .filter(|n| !taken.contains(n))
        .take(count)
        .collect();
    if names.len() < count {
        return Err(Error::kernel(
            KernelErrorKind::SetExists,
            format!(
                "no free temporary set name {}-tK (K below {TEMP_NAMES}): other sets hold them; nothing was changed",
                spec.name
            ),
        ));
    }
    Ok(names)
}

/// The names of every set in the kernel.
pub fn set_names(kernel: &mut Kernel) -> Result<HashSet<String>> {
    Ok(kernel
        .list_headers(None)?
        .into_iter()
        .map(|h| h.name)
        .collect())
}
