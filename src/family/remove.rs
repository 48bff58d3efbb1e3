//! Deleting entries (all or nothing, like adding) and flushing a family.

use std::collections::{BTreeMap, HashSet};

use super::change::{dedup, Change};
use crate::addr::{Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{AddOptions, Kernel};
use crate::meta::FamilySpec;
use crate::route;
use crate::text::plural;

/// Delete one entry (with `--exist` semantics: Ok(false) if it was not
/// there): the per-entry path for programs that embed mipset.
pub fn del_one(kernel: &mut Kernel, spec: &FamilySpec, entry: &Entry) -> Result<bool> {
    del(kernel, spec, std::slice::from_ref(entry), true).map(|c| c.unchanged == 0)
}

/// Delete entries from every shard they route to. Without `exist`, an entry
/// that is not in the family is an error and nothing is deleted.
pub fn del(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entries: &[Entry],
    exist: bool,
) -> Result<Change> {
    let given = entries.len();
    let entries = dedup(entries);
    let mut change = Change {
        entries: entries.len(),
        duplicates: given - entries.len(),
        ..Change::default()
    };
    // One entry in one shard, looked up exactly: the kernel's own refusal
    // of the delete ("not there") changes nothing, so no test first.
    let alone = match entries.as_slice() {
        [e] => {
            route::shards_for(e, spec.shards, spec.routing).len() == 1
                && !(e.is_host() && spec.set_type == SetType::HashNet)
        }
        _ => false,
    };
    if !exist && !alone {
        check_present(kernel, spec, &entries)?;
    }
    let mut done: Vec<(u32, Entry)> = Vec::new();
    for entry in &entries {
        if crate::interrupt::pending() {
            let undone = done.len();
            return Err(
                match undo_dels(kernel, spec, &done, Error::Interrupted(String::new())) {
                    Error::Interrupted(_) => Error::Interrupted(format!(
                        "re-added the {} this command had deleted",
                        plural(undone as u64, "element", "elements")
                    )),
                    other => other,
                },
            );
        }
        let mut found = false;
        for shard in route::shards_for(entry, spec.shards, spec.routing) {
            match kernel.del(&spec.shard_name(shard), spec.set_type, entry) {
                Ok(true) => {
                    done.push((shard, *entry));
                    change.elements += 1;
                    found = true;
                }
                Ok(false) if exist => {}
                Ok(false) => return Err(undo_dels(kernel, spec, &done, missing(spec, entry))),
                Err(e) => return Err(undo_dels(kernel, spec, &done, e)),
            }
        }
        change.unchanged += usize::from(!found);
    }
    Ok(change)
}

/// Fail, changing nothing, unless every entry is in the family. Kernel tests
/// are exact for hash:ip and for hash:net networks; a hash:net host test
/// also matches a covering network, so those hosts are looked up in a
/// listing of their shard.
fn check_present(kernel: &mut Kernel, spec: &FamilySpec, entries: &[Entry]) -> Result<()> {
    let mut listed: BTreeMap<u32, HashSet<std::net::IpAddr>> = BTreeMap::new();
    for entry in entries {
        let shard = route::lookup_shard(entry, spec.shards, spec.routing);
        let name = spec.shard_name(shard);
        let present = kernel.test(&name, spec.set_type, entry)?;
        let exact = !(entry.is_host() && spec.set_type == SetType::HashNet);
        let present = if present && !exact {
            let hosts = match listed.entry(shard) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    let members = kernel.list_set(&name)?.members.unwrap_or_default();
                    // Host entries are listed without a prefix length.
                    v.insert(members.iter().filter_map(|m| m.elem.parse().ok()).collect())
                }
            };
            hosts.contains(&entry.addr)
        } else {
            present
        };
        if !present {
            return Err(missing(spec, entry));
        }
    }
    Ok(())
}

fn missing(spec: &FamilySpec, entry: &Entry) -> Error {
    Error::kernel(
        KernelErrorKind::ElementMissing,
        format!(
            "{entry} is not in family '{}'; nothing was deleted (use --exist to skip missing entries)",
            spec.name
        ),
    )
}

fn undo_dels(kernel: &mut Kernel, spec: &FamilySpec, done: &[(u32, Entry)], cause: Error) -> Error {
    let opts = AddOptions::default();
    let failed: Vec<String> = done
        .iter()
        .rev()
        .filter(|(shard, e)| {
            kernel
                .add(&spec.shard_name(*shard), spec.set_type, e, &opts)
                .is_err()
        })
        .map(|(shard, e)| format!("{e} from {}", spec.shard_name(*shard)))
        .collect();
    if !failed.is_empty() {
        Error::Partial(format!(
            "{cause}; restoring the earlier deletions failed, these stay deleted: {}",
            failed.join(", ")
        ))
    } else if !done.is_empty() && spec.has_extensions() {
        Error::Partial(format!(
            "{cause}; the {} deleted before the failure {} re-added, but without their timeout/comment/counters",
            plural(done.len() as u64, "element", "elements"),
            if done.len() == 1 { "was" } else { "were" }
        ))
    } else {
        cause
    }
}

/// Remove every entry from every shard (shard by shard, not atomic).
pub fn flush(kernel: &mut Kernel, spec: &FamilySpec) -> Result<()> {
    for (i, shard) in spec.shard_names().enumerate() {
        if let Err(e) = kernel.flush_set(&shard) {
            return Err(if i == 0 {
                e
            } else {
                Error::Partial(format!(
                    "{e}; shards {}-s0..s{} were already flushed",
                    spec.name,
                    i - 1
                ))
            });
        }
    }
    Ok(())
}
