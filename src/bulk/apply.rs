//! Applying a load or sync plan: shards changed in place in batched
//! netlink messages, or rebuilt in a temporary set and swapped in.

use serde::Serialize;

use super::plan::{Kept, Plan, ShardPlan};
use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};
use crate::family::leftovers;
use crate::kernel::requests::SetKind;
use crate::kernel::{batch, Kernel};
use crate::listfile::ListEntry;
use crate::meta::FamilySpec;
use crate::options;
use crate::records::Records;

fn list_element(item: &ListEntry) -> batch::Element<'_> {
    batch::Element {
        entry: Some(item.entry),
        timeout: item.timeout(),
        comment: item.comment(),
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
    kernel.create_set(temp, &replacement_kind(spec, plan.after), false)?;
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

/// What a shard's replacement is, sized so the kernel never resizes it
/// while it is filled (hashsize ≥ elements / 4, as measured in the design
/// notes).
pub(crate) fn replacement_kind(spec: &FamilySpec, elements: usize) -> SetKind {
    let hashsize =
        options::per_shard_hashsize(elements.div_ceil(4).min(u32::MAX as usize) as u32, 1)
            .max(spec.hashsize);
    SetKind::Hash {
        set_type: spec.set_type,
        family: spec.family,
        hashsize,
        maxelem: spec.maxelem,
        timeout: spec.timeout,
        counters: spec.counters,
        comment: spec.comment,
    }
}

/// Destroy the temporary sets an interrupted run of this family recorded
/// in the umbrella and left (see [`leftovers`]); sets that merely look
/// like temporaries are never touched.
pub fn clean_leftovers(kernel: &mut Kernel, spec: &FamilySpec) -> Result<Vec<String>> {
    Ok(leftovers::clean(kernel, spec)?.destroyed)
}

/// Destroy a rebuild's temporary set, then forget its record.
fn drop_temp(kernel: &mut Kernel, spec: &FamilySpec, index: u32, temp: &str) -> Result<()> {
    let _ = kernel.destroy_set(temp);
    leftovers::record(kernel, spec, index, &Records::default())
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
    // Temporary names no set holds: a set that merely looks like a
    // temporary is someone else's, and its name is skipped. (Listing every
    // set makes the kernel walk each one: only a rebuild needs a name.)
    let rebuilds = changed.iter().filter(|(_, s)| s.rebuild).count();
    let taken = match rebuilds {
        0 => Default::default(),
        _ => leftovers::set_names(kernel)?,
    };
    let mut temps = leftovers::free_temps(spec, &taken, rebuilds)?.into_iter();
    let mut filled: Vec<(String, String)> = Vec::new();
    let interrupted = |applied: &Applied, filled: &[(String, String)], kernel: &mut Kernel| {
        for (shard, temp) in filled {
            let _ = drop_temp(kernel, spec, shard_index(spec, shard) as u32, temp);
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
            let temp = temps.next().expect("a free name per rebuild");
            // Recorded before it exists, forgotten after it is gone: a
            // killed run's temporary is found and removed by the next one.
            let recorded = Records {
                temps: vec![temp.clone()],
                ..Records::default()
            };
            let filled_ok = leftovers::record(kernel, spec, *index as u32, &recorded)
                .and_then(|()| fill(kernel, spec, &temp, shard));
            if let Err(e) = filled_ok {
                if e.kernel_kind() == Some(KernelErrorKind::SetExists) {
                    // Someone else created that name meanwhile: not ours.
                    let _ = leftovers::record(kernel, spec, *index as u32, &Records::default());
                } else {
                    let _ = drop_temp(kernel, spec, *index as u32, &temp);
                }
                for (s, t) in &filled {
                    let _ = drop_temp(kernel, spec, shard_index(spec, s) as u32, t);
                }
                return Err(partial(e, &applied));
            }
            filled.push((shard.shard.clone(), temp));
            if !atomic {
                swap_all(kernel, spec, &mut filled, &mut applied)?;
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
    swap_all(kernel, spec, &mut filled, &mut applied)?;
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
    spec: &FamilySpec,
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
    for (shard, temp) in filled.drain(..) {
        let _ = drop_temp(kernel, spec, shard_index(spec, &shard) as u32, &temp);
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
    use super::super::plan::fixtures::{current, e, item, limits, plan};
    use super::super::plan::Mode;
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
        cur.push(e("10.0.0.0/24"), Some(Box::new(held)));
        let list = [item("10.0.0.0/24")];
        // Listed again, a nomatch exception is re-added as a plain entry.
        let (p, _) = plan(cur, &list, Mode::Sync, limits(100, false, false));
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
        cur.push(e("10.0.0.2"), Some(Box::new(old)));
        let new = ListEntry::new(e("10.0.0.3"), Some(60), None);
        let refreshed = ListEntry::new(e("10.0.0.1"), None, Some("new"));
        let list = [refreshed, item("10.0.0.2"), new];
        let (p, _) = plan(cur, &list, Mode::Sync, limits(100, true, false));
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
