//! Adding entries to a family, all or nothing: every target shard is
//! checked first (it exists, has the metadata's type, has room), and on a
//! failure the elements this call added are removed again.

use std::collections::BTreeMap;

use super::change::{dedup, Change};
use super::status::{check_shard, check_shard_facts, ShardFacts};
use crate::addr::{Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{AddOptions, Kernel};
use crate::listing::SetInfo;
use crate::meta::FamilySpec;
use crate::options::check_comment;
use crate::route;
use crate::text::plural;

/// Check per-entry options against what the family supports.
pub fn validate_add_options(spec: &FamilySpec, opts: &AddOptions) -> Result<()> {
    if opts.timeout.is_some() && spec.timeout.is_none() {
        return Err(Error::Usage(format!(
            "--timeout: family '{}' was created without timeout support (create it with --timeout)",
            spec.name
        )));
    }
    if let Some(c) = &opts.comment {
        if !spec.comment {
            return Err(Error::Usage(format!(
                "--comment: family '{}' was created without comment support (create it with --comment)",
                spec.name
            )));
        }
        check_comment(c).map_err(|e| Error::Usage(format!("--{e}")))?;
    }
    Ok(())
}

/// Headers of the given shards: one listing per shard for a few, one
/// listing of every set for many.
fn shard_headers(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    shards: &[u32],
) -> Result<BTreeMap<u32, SetInfo>> {
    let wanted: BTreeMap<String, u32> = shards.iter().map(|&i| (spec.shard_name(i), i)).collect();
    let headers = if shards.len() <= 8 {
        let mut all = Vec::new();
        for name in wanted.keys() {
            all.extend(
                kernel
                    .list_headers(Some(name))
                    .map_err(|e| missing_shard(spec, name, e))?,
            );
        }
        all
    } else {
        kernel.list_headers(None)?
    };
    let found: BTreeMap<u32, SetInfo> = headers
        .into_iter()
        .filter_map(|h| wanted.get(&h.name).map(|&i| (i, h)))
        .collect();
    if let Some((name, _)) = wanted.iter().find(|(_, i)| !found.contains_key(i)) {
        return Err(Error::Usage(format!(
            "family '{}' is damaged: its shard {name} does not exist; `mipset destroy --force {}` removes the family",
            spec.name, spec.name
        )));
    }
    Ok(found)
}

fn missing_shard(spec: &FamilySpec, name: &str, e: Error) -> Error {
    if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) {
        Error::Usage(format!(
            "family '{}' is damaged: its shard {name} does not exist; `mipset destroy --force {}` removes the family",
            spec.name, spec.name
        ))
    } else {
        e
    }
}

/// Before an add touches anything: every target shard exists, has the type
/// and address family the metadata says, and has room (by its own kernel
/// maxelem) for the entries that are not in it yet.
fn preflight_add(kernel: &mut Kernel, spec: &FamilySpec, entries: &[Entry]) -> Result<()> {
    let mut per_shard: BTreeMap<u32, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        for s in route::shards_for(e, spec.shards, spec.routing) {
            per_shard.entry(s).or_default().push(e);
        }
    }
    let shards: Vec<u32> = per_shard.keys().copied().collect();
    let headers = shard_headers(kernel, spec, &shards)?;
    for (shard, incoming) in per_shard {
        let header = &headers[&shard];
        check_shard(spec, header)?;
        let name = &header.name;
        let maxelem = header
            .header_num("maxelem")
            .unwrap_or(u64::from(spec.maxelem));
        let have = header.entries;
        if have + incoming.len() as u64 <= maxelem {
            continue;
        }
        // Entries already present take no room: count the new ones. A
        // hash:net host test also matches covering networks, so such an
        // entry counts as new (the safe side).
        let mut new = 0u64;
        for e in incoming {
            let exact = !(e.is_host() && spec.set_type == SetType::HashNet);
            if !(exact && kernel.test(name, spec.set_type, e)?) {
                new += 1;
            }
        }
        if have + new > maxelem {
            return Err(Error::kernel(
                KernelErrorKind::Full,
                format!(
                    "shard {name} would be full: it holds {have} of maxelem {maxelem} and {} route to it; nothing was added. Recreate the family with a larger --maxelem or more --shards",
                    plural(new, "new entry", "new entries")
                ),
            ));
        }
    }
    Ok(())
}

fn full_message(spec: &FamilySpec, shard: &str, e: Error) -> Error {
    match e.kernel_kind() {
        Some(KernelErrorKind::Full) => Error::kernel(
            KernelErrorKind::Full,
            format!(
                "shard {shard} is full (maxelem {} per shard); nothing was added. Make room with `mipset resize {} --shards {}`, or recreate the family with a larger --maxelem",
                spec.maxelem,
                spec.name,
                (spec.shards * 2).min(route::MAX_SHARDS)
            ),
        ),
        _ => e,
    }
}

/// Before a single entry is added: each target shard exists and agrees
/// with the metadata (type, address family, extensions), asked without
/// walking the shard, so the cost does not grow with its size. Room is the
/// kernel's to refuse; its refusal names the shard (see [`full_message`]).
fn preflight_one(kernel: &mut Kernel, spec: &FamilySpec, entry: &Entry) -> Result<()> {
    for shard in route::shards_for(entry, spec.shards, spec.routing) {
        let name = spec.shard_name(shard);
        let Some(probe) = kernel
            .probe(&name)
            .map_err(|e| missing_shard(spec, &name, e))?
        else {
            return preflight_add(kernel, spec, std::slice::from_ref(entry));
        };
        check_shard_facts(
            spec,
            &ShardFacts {
                name: &name,
                set_type: &probe.typename,
                family: probe.family.map_or("?", |f| f.as_str()),
                timeout: probe.timeout,
                counters: probe.counters,
                comment: probe.comment,
            },
        )?;
    }
    Ok(())
}

/// Add entries (validated for this family) to every shard they route to.
/// All or nothing: on failure the elements added by this call are removed.
pub fn add(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entries: &[Entry],
    opts: &AddOptions,
) -> Result<Change> {
    validate_add_options(spec, opts)?;
    let unique = dedup(entries);
    match unique.as_slice() {
        [one] => preflight_one(kernel, spec, one)?,
        _ => preflight_add(kernel, spec, &unique)?,
    }
    let mut change = add_unchecked(kernel, spec, &unique, opts)?;
    change.duplicates = entries.len() - unique.len();
    Ok(change)
}

/// Add one entry: the per-entry path for programs that embed mipset (no
/// capacity pre-check; a full shard is still reported by the kernel and the
/// entry's other shards rolled back). Returns whether the entry was new.
pub fn add_one(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entry: &Entry,
    opts: &AddOptions,
) -> Result<bool> {
    validate_add_options(spec, opts)?;
    add_unchecked(kernel, spec, std::slice::from_ref(entry), opts).map(|c| c.unchanged == 0)
}

fn add_unchecked(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entries: &[Entry],
    opts: &AddOptions,
) -> Result<Change> {
    let plain = AddOptions {
        exist: false,
        ..opts.clone()
    };
    let mut done: Vec<(u32, Entry)> = Vec::new();
    let mut refreshed = 0usize;
    let mut change = Change {
        entries: entries.len(),
        ..Change::default()
    };
    for entry in entries {
        let mut existed = false;
        if crate::interrupt::pending() {
            let undone = done.len();
            let e = undo_adds(kernel, spec, &done, Error::Interrupted(String::new()));
            return Err(match e {
                Error::Interrupted(_) => Error::Interrupted(format!(
                    "removed the {} this command had added; the family is as before",
                    plural(undone as u64, "element", "elements")
                )),
                other => other,
            });
        }
        for shard in route::shards_for(entry, spec.shards, spec.routing) {
            let name = spec.shard_name(shard);
            let step = match kernel.add(&name, spec.set_type, entry, &plain) {
                Ok(true) => {
                    done.push((shard, *entry));
                    change.elements += 1;
                    Ok(())
                }
                Ok(false) if opts.exist => {
                    existed = true;
                    refreshed += 1;
                    // Like `ipset -exist`: refresh timeout and comment.
                    kernel.add(&name, spec.set_type, entry, opts).map(|_| ())
                }
                Ok(false) => Err(Error::kernel(
                    KernelErrorKind::ElementExists,
                    format!(
                        "{entry} is already in family '{}' (shard {name}); nothing was added (use --exist to skip existing entries)",
                        spec.name
                    ),
                )),
                Err(e) => Err(full_message(spec, &name, e)),
            };
            if let Err(e) = step {
                let e = undo_adds(kernel, spec, &done, e);
                return Err(if refreshed > 0 && spec.has_extensions() {
                    Error::Partial(format!(
                        "{e}; the new entries were removed again, but {} already there kept the timeout/comment/counters this command gave them",
                        plural(refreshed as u64, "entry", "entries")
                    ))
                } else {
                    e
                });
            }
        }
        change.unchanged += usize::from(existed);
    }
    Ok(change)
}

fn undo_adds(kernel: &mut Kernel, spec: &FamilySpec, done: &[(u32, Entry)], cause: Error) -> Error {
    let failed: Vec<String> = done
        .iter()
        .rev()
        .filter(|(shard, e)| {
            kernel
                .del(&spec.shard_name(*shard), spec.set_type, e)
                .is_err()
        })
        .map(|(shard, e)| format!("{e} in {}", spec.shard_name(*shard)))
        .collect();
    if failed.is_empty() {
        cause
    } else {
        Error::Partial(format!(
            "{cause}; undoing the earlier adds failed, these remain: {}",
            failed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::test_spec as spec;

    #[test]
    fn add_options_are_checked_against_the_family() {
        let s = spec(1);
        let with_timeout = AddOptions {
            timeout: Some(5),
            ..AddOptions::default()
        };
        assert!(validate_add_options(&s, &with_timeout).is_err());
        let comment = |c: &str| AddOptions {
            comment: Some(c.into()),
            ..AddOptions::default()
        };
        assert!(validate_add_options(&s, &comment("x")).is_err());
        let sc = FamilySpec {
            comment: true,
            ..spec(1)
        };
        assert!(validate_add_options(&sc, &comment("fine text")).is_ok());
        assert!(validate_add_options(&sc, &comment("a\"b")).is_err());
        assert!(validate_add_options(&sc, &comment(&"x".repeat(256))).is_err());
    }
}
