//! Applying a load or sync plan: shards changed in place in batched
//! netlink messages, or rebuilt in a temporary set and swapped in.

use serde::Serialize;

use super::plan::{Kept, Plan, ShardPlan};
use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{batch, Kernel};
use crate::listfile::ListEntry;
use crate::meta::FamilySpec;
use crate::naming;
use crate::options;

fn list_element(item: &ListEntry) -> batch::Element<'_> {
    batch::Element {
        entry: Some(item.entry),
        timeout: item.timeout,
        comment: item.comment.as_deref(),
        ..batch::Element::default()
    }
}

/// A listed element re-added over what the kernel holds: the list's options,
/// and the kernel's counters and (when the list gives none) comment, which
/// a re-add would otherwise reset.
fn refresh_element<'a>(item: &'a ListEntry, kept: &'a Kept) -> batch::Element<'a> {
    let mut e = list_element(item);
    if let Some(k) = kept {
        e.packets = k.packets;
        e.bytes = k.bytes;
        if e.comment.is_none() {
            e.comment = k.comment.as_deref();
        }
    }
    e
}

fn kept_element<'a>(entry: &Entry, kept: &'a Kept) -> batch::Element<'a> {
    match kept {
        Some(e) => batch::Element::from_dumped(e),
        None => batch::Element::plain(*entry),
    }
}

/// Change a live shard in place: adds (and refreshes), then deletes, all
/// in one netlink send, so that even SIGKILL leaves it old or new (the
/// plan keeps in-place deltas within one send).
fn update_in_place(spec: &FamilySpec, name: &str, plan: &ShardPlan) -> Result<()> {
    batch::apply_in_one_send(
        name,
        spec.family,
        plan.add_items.iter().map(|i| list_element(i)).chain(
            plan.refresh_items
                .iter()
                .map(|(i, k)| refresh_element(i, k)),
        ),
        plan.del_entries.iter().map(|e| batch::Element::plain(*e)),
    )?;
    Ok(())
}

/// Create and fill the temporary set of a rebuild.
fn fill(kernel: &mut Kernel, spec: &FamilySpec, temp: &str, plan: &ShardPlan) -> Result<()> {
    kernel.exec(
        &format!("create {temp}"),
        temp,
        &format!("create {temp} {}", create_args(spec, plan.after)),
    )?;
    let kept = plan.keep.iter().map(|(e, k)| kept_element(e, k));
    let added = plan.add_items.iter().map(|i| list_element(i)).chain(
        plan.refresh_items
            .iter()
            .map(|(i, k)| refresh_element(i, k)),
    );
    if let Err(e) = batch::apply(batch::Op::Add, temp, spec.family, true, kept.chain(added)) {
        let _ = kernel.destroy_set(temp);
        return Err(e);
    }
    Ok(())
}

/// `ipset create` arguments for a shard's replacement, sized so the kernel
/// never resizes it while it is filled (hashsize ≥ elements / 4, as
/// measured in the design notes).
pub(crate) fn create_args(spec: &FamilySpec, elements: usize) -> String {
    let hashsize =
        options::per_shard_hashsize(elements.div_ceil(4).min(u32::MAX as usize) as u32, 1)
            .max(spec.hashsize);
    let mut args = format!(
        "{} family {} hashsize {hashsize} maxelem {}",
        spec.set_type, spec.family, spec.maxelem
    );
    if let Some(t) = spec.timeout {
        args.push_str(&format!(" timeout {t}"));
    }
    if spec.counters {
        args.push_str(" counters");
    }
    if spec.comment {
        args.push_str(" comment");
    }
    args
}

/// Destroy temporary sets left by an interrupted rebuild of this family.
pub fn clean_leftovers(kernel: &mut Kernel, spec: &FamilySpec) -> Result<Vec<String>> {
    let headers = kernel.list_headers(None)?;
    let mut cleaned = Vec::new();
    for h in headers {
        let is_temp = (0..spec.shards).any(|i| naming::temp_name(&spec.name, i) == h.name);
        let same_kind = h.set_type == spec.set_type.as_str()
            && h.header.get("family").map(String::as_str) == Some(spec.family.as_str());
        if is_temp && same_kind && h.references == 0 {
            kernel.destroy_set(&h.name)?;
            cleaned.push(h.name);
        }
    }
    Ok(cleaned)
}

/// What applying did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    /// Shards changed in place.
    pub in_place: usize,
    /// Shards replaced by swapping in a rebuilt set.
    pub swapped: usize,
    /// Leftover temporary sets removed first.
    pub cleaned: Vec<String>,
}

/// Apply a plan. Shard by shard, or with `atomic` all rebuilt first and
/// swapped together at the end. Ctrl-C is honoured between shards.
pub fn apply(kernel: &mut Kernel, spec: &FamilySpec, plan: &Plan, atomic: bool) -> Result<Applied> {
    apply_with(kernel, spec, plan, atomic, &mut |_| {})
}

/// [`apply`], calling `tick(shard)` after each changed shard is filled or
/// updated (for a progress bar).
pub fn apply_with(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    plan: &Plan,
    atomic: bool,
    tick: &mut dyn FnMut(usize),
) -> Result<Applied> {
    let mut applied = Applied {
        cleaned: clean_leftovers(kernel, spec)?,
        ..Applied::default()
    };
    let changed: Vec<(usize, &ShardPlan)> = plan
        .shards
        .iter()
        .filter(|s| s.changes())
        .map(|s| (shard_index(spec, &s.shard), s))
        .collect();
    // A temporary name still taken after the cleanup belongs to someone
    // else: stop before changing anything.
    let names: std::collections::HashSet<String> = kernel
        .list_headers(None)?
        .into_iter()
        .map(|h| h.name)
        .collect();
    if let Some(taken) = changed
        .iter()
        .filter(|(_, s)| s.rebuild)
        .map(|(i, _)| naming::temp_name(&spec.name, *i as u32))
        .find(|t| names.contains(t))
    {
        return Err(Error::kernel(
            KernelErrorKind::SetExists,
            format!(
                "set {taken} exists and is not a temporary set of mipset (another type, or in use); names {}-tN are reserved for rebuilding shards: rename or remove it; nothing was changed",
                spec.name
            ),
        ));
    }
    let mut filled: Vec<(String, String)> = Vec::new();
    let interrupted = |applied: &Applied, filled: &[(String, String)], kernel: &mut Kernel| {
        for (_, temp) in filled {
            let _ = kernel.destroy_set(temp);
        }
        Error::Interrupted(format!(
            "{} of {} changed shards were done (each holds its old or its new contents); run it again to finish",
            applied.in_place + applied.swapped,
            changed.len()
        ))
    };
    for (index, shard) in &changed {
        if crate::interrupt::pending() {
            return Err(interrupted(&applied, &filled, kernel));
        }
        if shard.rebuild {
            let temp = naming::temp_name(&spec.name, *index as u32);
            if let Err(e) = fill(kernel, spec, &temp, shard) {
                for (_, t) in &filled {
                    let _ = kernel.destroy_set(t);
                }
                return Err(partial(e, &applied));
            }
            filled.push((shard.shard.clone(), temp));
            if !atomic {
                swap_all(kernel, &mut filled, &mut applied)?;
            }
        } else {
            update_in_place(spec, &shard.shard, shard).map_err(|e| {
                Error::Partial(format!(
                    "{e}; shard {} may be partly updated (in-place changes are not atomic) and {} other shards were already changed; fix the cause and run it again",
                    shard.shard,
                    applied.in_place + applied.swapped
                ))
            })?;
            applied.in_place += 1;
        }
        tick(*index);
    }
    if crate::interrupt::pending() {
        return Err(interrupted(&applied, &filled, kernel));
    }
    swap_all(kernel, &mut filled, &mut applied)?;
    Ok(applied)
}

fn shard_index(spec: &FamilySpec, name: &str) -> usize {
    name.strip_prefix(&format!("{}-s", spec.name))
        .and_then(|i| i.parse().ok())
        .unwrap_or(0)
}

/// Swap every filled temporary set in, one shard at a time, stopping at the
/// first failure; then destroy the temporary sets (holding the old contents
/// of swapped shards, the unused new contents of the others).
fn swap_all(
    kernel: &mut Kernel,
    filled: &mut Vec<(String, String)>,
    applied: &mut Applied,
) -> Result<()> {
    let mut failure = None;
    for (shard, temp) in filled.iter() {
        if let Err(e) = kernel.swap_sets(shard, temp) {
            failure = Some(e);
            break;
        }
        applied.swapped += 1;
    }
    for (_, temp) in filled.drain(..) {
        let _ = kernel.destroy_set(&temp);
    }
    match failure {
        Some(e) => Err(partial(e, applied)),
        None => Ok(()),
    }
}

fn partial(e: Error, applied: &Applied) -> Error {
    if applied.in_place + applied.swapped == 0 {
        e
    } else {
        Error::Partial(format!(
            "{e}; {} shards were already changed (each holds its old or its new contents); fix the cause and run it again",
            applied.in_place + applied.swapped
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::fixtures::{current, e, item, limits};
    use super::super::plan::{plan_shard, Mode};
    use super::*;
    use crate::listing::Element;

    #[test]
    fn refreshes_keep_counters_and_comments_and_clear_nomatch() {
        let mut cur = current(&[]);
        let held = Element {
            entry: e("10.0.0.0/24"),
            timeout: Some(5),
            packets: Some(7),
            bytes: Some(700),
            comment: Some("kept".into()),
            nomatch: true,
        };
        cur.insert(e("10.0.0.0/24"), Some(Box::new(held)));
        let list = [item("10.0.0.0/24")];
        let refs: Vec<&ListEntry> = list.iter().collect();
        // Listed again, a nomatch exception is re-added as a plain entry.
        let (p, _) = plan_shard("w-s0", cur, &refs, Mode::Sync, limits(100, false, false));
        assert_eq!(p.refreshes, 1);
        let (i, k) = &p.refresh_items[0];
        let el = refresh_element(i, k);
        assert_eq!(
            (el.packets, el.bytes, el.comment, el.nomatch),
            (Some(7), Some(700), Some("kept"), false)
        );
    }

    #[test]
    fn rebuilds_keep_old_extensions_and_apply_new_options() {
        let mut cur = current(&["10.0.0.1"]);
        let old = Element {
            entry: e("10.0.0.2"),
            timeout: Some(42),
            packets: None,
            bytes: None,
            comment: Some("old".into()),
            nomatch: false,
        };
        cur.insert(e("10.0.0.2"), Some(Box::new(old)));
        let mut new = item("10.0.0.3");
        new.timeout = Some(60);
        let mut refreshed = item("10.0.0.1");
        refreshed.comment = Some("new".into());
        let list = [refreshed, item("10.0.0.2"), new];
        let refs: Vec<&ListEntry> = list.iter().collect();
        let (p, _) = plan_shard("w-s0", cur, &refs, Mode::Sync, limits(100, true, false));
        assert_eq!((p.adds, p.refreshes, p.dels), (1, 1, 0));
        assert_eq!(p.keep.len(), 1);
        let kept = kept_element(&p.keep[0].0, &p.keep[0].1);
        assert_eq!((kept.timeout, kept.comment), (Some(42), Some("old")));
        let added: Vec<_> = p.add_items.iter().map(|i| list_element(i)).collect();
        assert!(added.iter().any(|a| a.timeout == Some(60)));
        let refreshed: Vec<_> = p
            .refresh_items
            .iter()
            .map(|(i, k)| refresh_element(i, k))
            .collect();
        assert!(refreshed.iter().any(|a| a.comment == Some("new")));
    }
}
