//! `load` and `sync`: whole lists applied per shard, in batched libipset
//! restore sessions, either in place or by atomic replacement.
//!
//! For every shard a list touches, a [`ShardPlan`] (pure) says what to add,
//! refresh and delete, and how:
//!
//! * **in place** (small changes): one restore session of `add -exist` then
//!   `del -exist` lines. Cheap, but not atomic: an interruption by SIGKILL
//!   can leave the shard between old and new (adds come first, so it is then
//!   a superset of what stays). Ctrl-C is caught between shards.
//! * **rebuild** (large changes, an empty shard, a shard that would pass its
//!   maxelem mid-way, or `--atomic`): the new contents go into a temporary
//!   set `FAMILY-tI` sized for them, which is then `swap`ped with the shard
//!   and destroyed. The swap is atomic for that shard: a packet or a test
//!   sees the old or the new contents, never a mix. Entries kept from the old
//!   shard are copied with their remaining timeout, comment and counters.
//!
//! Rebuild is chosen when `adds + deletes ≥ elements after the change`
//! ([`DEFAULT_REBUILD_RATIO`]). Measured on 1M elements
//! (`scripts/bench-threshold`, docs/BENCHMARKS.md): in place stays cheaper
//! up to a delta of about 1.3× the new size. At 1.0× a rebuild costs up to
//! ~25% more than in place would, which buys an atomic swap exactly for the
//! shards that change the most.
//!
//! `--atomic` rebuilds every changed shard first and then swaps them in one
//! right after the other: the family holds the old list until the first swap
//! and the new list after the last, mixed only during the swap sequence
//! (tens of microseconds per shard), and never empty. Swaps stop at the first
//! failure, and the error says how many shards were swapped.
//!
//! In a family with timeouts, every listed element is re-added (`-exist`),
//! so its timeout restarts, as `ipset -exist restore` would do.
//!
//! Leftover temporary sets (a SIGKILL during a rebuild) are destroyed by the
//! next load or sync of the family.

use std::collections::HashMap as StdHashMap;

/// Hash maps keyed by elements: foldhash is several times faster than the
/// default SipHash for these small keys and is seeded per process, so a
/// hostile list cannot force collisions (1M-element syncs spend much of
/// their time here).
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;

use serde::Serialize;

use crate::addr::Entry;
use crate::config;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{batch, dump, listing, Kernel};
use crate::listfile::ListEntry;
use crate::meta::FamilySpec;
use crate::naming;
use crate::route;

/// Add the list to what the family holds, or make it hold exactly the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Load,
    Sync,
}

/// What happens to one shard.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShardPlan<'a> {
    /// Shard name.
    pub shard: String,
    /// Elements before the change.
    pub before: usize,
    /// Elements after the change.
    pub after: usize,
    /// Elements to add.
    pub adds: usize,
    /// Elements to delete.
    pub dels: usize,
    /// Elements already there that the list gives a timeout or comment for
    /// (re-added with -exist, as `ipset -exist` does).
    pub refreshes: usize,
    /// Elements that stay as they are.
    pub unchanged: usize,
    /// Rebuilt in a temporary set and swapped in, instead of changed in place.
    pub rebuild: bool,
    /// Adds and refreshes.
    #[serde(skip)]
    add_items: Vec<&'a ListEntry>,
    /// Elements already there that are re-added, with what the kernel held
    /// (counters and comment are carried over; a nomatch exception becomes a
    /// plain entry, as listed).
    #[serde(skip)]
    refresh_items: Vec<(&'a ListEntry, Kept)>,
    #[serde(skip)]
    del_entries: Vec<Entry>,
    /// Elements that stay, with their extensions (kept only for a rebuild,
    /// which copies them).
    #[serde(skip)]
    keep: Vec<(Entry, Kept)>,
}

impl ShardPlan<'_> {
    pub fn changes(&self) -> bool {
        self.adds + self.dels + self.refreshes > 0
    }
}

/// The whole plan, as `--dry-run` and `--json` report it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan<'a> {
    /// Lines in the list.
    pub entries: usize,
    /// Elements named more than once (the last line wins).
    pub duplicates: usize,
    pub shards: Vec<ShardPlan<'a>>,
}

impl Plan<'_> {
    pub fn totals(&self) -> (usize, usize, usize, usize) {
        let sum = |f: fn(&ShardPlan) -> usize| self.shards.iter().map(f).sum::<usize>();
        (
            sum(|s| s.adds),
            sum(|s| s.dels),
            sum(|s| s.refreshes),
            self.shards
                .iter()
                .filter(|s| s.rebuild && s.changes())
                .count(),
        )
    }

    /// Elements left as they were, over all planned shards.
    pub fn unchanged(&self) -> usize {
        self.shards.iter().map(|s| s.unchanged).sum()
    }
}

/// An element's extensions as read from the kernel: boxed, and `None` in a
/// family without extensions, so a 1M-element shard costs 8 bytes each.
pub type Kept = Option<Box<dump::Element>>;

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

/// Rebuild a shard when its adds + deletes reach this fraction of its new
/// size (`MIPSET_REBUILD_RATIO` overrides it, for measuring). The default
/// comes from `scripts/bench-threshold` (docs/BENCHMARKS.md).
pub const DEFAULT_REBUILD_RATIO: f64 = 1.0;

fn rebuild_ratio() -> f64 {
    std::env::var("MIPSET_REBUILD_RATIO")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|r| r.is_finite() && *r >= 0.0)
        .unwrap_or(DEFAULT_REBUILD_RATIO)
}

fn has_options(item: &ListEntry) -> bool {
    item.timeout.is_some() || item.comment.is_some()
}

/// Whether listing an element again refreshes it: always in a family with
/// timeouts (a listed entry's timeout restarts, as with `ipset -exist`),
/// otherwise only when the list gives it options.
fn refreshes(item: &ListEntry, timeouts: bool) -> bool {
    timeouts || has_options(item)
}

/// Plan one shard (pure). `current` maps each element in the shard to the
/// rest of its listing line (remaining timeout, counters, comment);
/// `incoming` are the list entries routed to it, in list order. Returns the
/// plan and how many incoming elements were duplicates.
pub fn plan_shard<'a>(
    shard: &str,
    mut current: HashMap<Entry, Kept>,
    incoming: &[&'a ListEntry],
    mode: Mode,
    maxelem: usize,
    force_rebuild: bool,
    timeouts: bool,
) -> (ShardPlan<'a>, usize) {
    let mut plan = ShardPlan {
        shard: shard.to_string(),
        before: current.len(),
        ..ShardPlan::default()
    };
    // The last line for an element wins.
    let mut wanted: HashMap<Entry, &'a ListEntry> =
        HashMap::with_capacity_and_hasher(incoming.len(), Default::default());
    for item in incoming {
        wanted.insert(item.entry, item);
    }
    let duplicates = incoming.len() - wanted.len();
    for (entry, item) in &wanted {
        match current.get(entry) {
            None => {
                plan.adds += 1;
                plan.add_items.push(item);
            }
            Some(kept) if refreshes(item, timeouts) || kept.as_ref().is_some_and(|k| k.nomatch) => {
                plan.refreshes += 1;
                let kept = current.remove(entry).flatten();
                plan.refresh_items.push((item, kept));
            }
            Some(_) => {}
        }
    }
    if mode == Mode::Sync {
        let gone: Vec<Entry> = current
            .keys()
            .filter(|e| !wanted.contains_key(e))
            .copied()
            .collect();
        for e in &gone {
            current.remove(e);
        }
        plan.dels = gone.len();
        plan.del_entries = gone;
    }
    plan.after = plan.before + plan.adds - plan.dels;
    plan.unchanged = plan.before - plan.dels - plan.refreshes;
    // In place, adds come before deletes: the shard peaks at before + adds.
    let would_overflow = plan.before + plan.adds > maxelem;
    plan.rebuild = plan.changes()
        && (force_rebuild
            || plan.before == 0
            || would_overflow
            || (plan.adds + plan.dels) as f64 >= rebuild_ratio() * plan.after as f64);
    if plan.rebuild {
        // Only a rebuild copies the elements that stay.
        plan.keep = current.into_iter().collect();
    }
    (plan, duplicates)
}

/// Change a shard in place: adds (and refreshes) first, then deletes.
fn update_in_place(spec: &FamilySpec, name: &str, plan: &ShardPlan) -> Result<()> {
    batch::apply(
        batch::Op::Add,
        name,
        spec.family,
        true,
        plan.add_items.iter().map(|i| list_element(i)).chain(
            plan.refresh_items
                .iter()
                .map(|(i, k)| refresh_element(i, k)),
        ),
    )?;
    batch::apply(
        batch::Op::Del,
        name,
        spec.family,
        true,
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
        config::per_shard_hashsize(elements.div_ceil(4).min(u32::MAX as usize) as u32, 1)
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

/// Read one shard's elements with one netlink dump (no text round trip).
fn read_shard(spec: &FamilySpec, name: &str, capacity: usize) -> Result<HashMap<Entry, Kept>> {
    let mut current = HashMap::with_capacity_and_hasher(capacity, Default::default());
    let extensions = spec.has_extensions();
    dump::dump_set(name, |element| {
        let entry = element.entry;
        let keep = extensions || element.nomatch;
        current.insert(entry, keep.then(|| Box::new(element)));
    })?;
    Ok(current)
}

/// The most list entries any one shard gets with `shards` shards.
pub fn fullest_shard(list: &[ListEntry], shards: u32, routing: route::Routing) -> usize {
    let mut counts = vec![0usize; shards as usize];
    for item in list {
        for s in route::shards_for(&item.entry, shards, routing) {
            counts[s as usize] += 1;
        }
    }
    counts.into_iter().max().unwrap_or(0)
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

/// Plan a load or sync of `list` into the family: reads the shards the
/// list touches (sync: every shard) once each.
pub fn plan<'a>(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &'a [ListEntry],
    mode: Mode,
    atomic: bool,
) -> Result<Plan<'a>> {
    plan_with(kernel, spec, list, mode, atomic, &mut |_| {})
}

/// [`plan`], calling `tick(shard)` after each shard is read and planned
/// (for a progress bar).
pub fn plan_with<'a>(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &'a [ListEntry],
    mode: Mode,
    atomic: bool,
    tick: &mut dyn FnMut(usize),
) -> Result<Plan<'a>> {
    let mut per_shard: Vec<Vec<&ListEntry>> = vec![Vec::new(); spec.shards as usize];
    for item in list {
        for shard in route::shards_for(&item.entry, spec.shards, spec.routing) {
            per_shard[shard as usize].push(item);
        }
    }
    let headers = kernel.list_headers(None)?;
    let by_name: HashMap<&str, &listing::SetInfo> =
        headers.iter().map(|h| (h.name.as_str(), h)).collect();
    let mut plan = Plan {
        entries: list.len(),
        ..Plan::default()
    };
    for (i, incoming) in per_shard.iter().enumerate() {
        let name = spec.shard_name(i as u32);
        let header = by_name.get(name.as_str()).ok_or_else(|| {
            Error::Usage(format!(
                "family '{}' is damaged: its shard {name} does not exist; `mipset destroy --force {}` removes the family",
                spec.name, spec.name
            ))
        })?;
        if mode == Mode::Load && incoming.is_empty() {
            continue;
        }
        let current = if header.entries == 0 {
            HashMap::default()
        } else {
            read_shard(spec, &name, header.entries as usize)?
        };
        let maxelem = header
            .header_num("maxelem")
            .unwrap_or(u64::from(spec.maxelem)) as usize;
        let (shard_plan, duplicates) = plan_shard(
            &name,
            current,
            incoming,
            mode,
            maxelem,
            atomic,
            spec.timeout.is_some(),
        );
        plan.duplicates += duplicates;
        tick(i);
        if shard_plan.after > maxelem {
            return Err(Error::kernel(
                KernelErrorKind::Full,
                format!(
                    "shard {name} would hold {} elements but its maxelem is {maxelem}; nothing was changed. Recreate the family with a larger --maxelem or more --shards",
                    shard_plan.after
                ),
            ));
        }
        plan.shards.push(shard_plan);
    }
    Ok(plan)
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
    use super::*;
    use crate::addr::{parse_entry, AddrFamily, SetType};

    fn e(text: &str) -> Entry {
        parse_entry(text, SetType::HashNet, AddrFamily::Inet).unwrap()
    }

    fn item(text: &str) -> ListEntry {
        ListEntry {
            entry: e(text),
            timeout: None,
            comment: None,
        }
    }

    fn current(entries: &[&str]) -> HashMap<Entry, Kept> {
        entries.iter().map(|t| (e(t), None)).collect()
    }

    #[test]
    fn sync_plans_adds_and_deletes_and_picks_the_cheaper_way() {
        let cur = current(&["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]);
        let list: Vec<ListEntry> = [
            "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.9", "10.0.0.9",
        ]
        .iter()
        .map(|t| item(t))
        .collect();
        let refs: Vec<&ListEntry> = list.iter().collect();
        let (p, dups) = plan_shard("w-s0", cur.clone(), &refs, Mode::Sync, 100, false, false);
        assert_eq!(
            (p.before, p.after, p.adds, p.dels, p.rebuild, dups),
            (5, 5, 1, 1, false, 1)
        );
        assert_eq!(p.add_items[0].entry, e("10.0.0.9"));
        assert_eq!(p.del_entries, vec![e("10.0.0.5")]);
        assert!(p.keep.is_empty(), "in place copies nothing");
        // Load keeps what the list does not name.
        let (p, _) = plan_shard("w-s0", cur.clone(), &refs, Mode::Load, 100, false, false);
        assert_eq!((p.after, p.adds, p.dels), (6, 1, 0));
        // Half the shard changing: rebuild; an empty shard: rebuild; forced.
        let few: Vec<&ListEntry> = refs[..2].to_vec();
        assert!(
            plan_shard("w-s0", cur.clone(), &few, Mode::Sync, 100, false, false)
                .0
                .rebuild
        );
        assert!(
            plan_shard(
                "w-s0",
                HashMap::default(),
                &refs,
                Mode::Sync,
                100,
                false,
                false
            )
            .0
            .rebuild
        );
        assert!(
            plan_shard("w-s0", cur.clone(), &refs, Mode::Sync, 100, true, false)
                .0
                .rebuild
        );
        // Passing maxelem mid-way (5 + 1 > 5): rebuild holds only the target.
        let (p, _) = plan_shard("w-s0", cur.clone(), &refs, Mode::Sync, 5, false, false);
        assert!(p.rebuild);
        assert_eq!(
            p.keep.len() + p.add_items.len() + p.refresh_items.len(),
            p.after
        );
        // Nothing to do: no rebuild, no change.
        let same: Vec<ListEntry> = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]
            .iter()
            .map(|t| item(t))
            .collect();
        let same_refs: Vec<&ListEntry> = same.iter().collect();
        let (p, _) = plan_shard("w-s0", cur, &same_refs, Mode::Sync, 100, true, false);
        assert!(!p.changes() && !p.rebuild);
    }

    #[test]
    fn refreshes_keep_counters_and_comments_and_clear_nomatch() {
        let mut cur = current(&[]);
        let held = dump::Element {
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
        let (p, _) = plan_shard("w-s0", cur, &refs, Mode::Sync, 100, false, false);
        assert_eq!(p.refreshes, 1);
        let (i, k) = &p.refresh_items[0];
        let el = refresh_element(i, k);
        assert_eq!(
            (el.packets, el.bytes, el.comment, el.nomatch),
            (Some(7), Some(700), Some("kept"), false)
        );
    }

    #[test]
    fn timeout_families_refresh_every_listed_element() {
        let cur = current(&["10.0.0.1", "10.0.0.2"]);
        let list = [item("10.0.0.1"), item("10.0.0.2")];
        let refs: Vec<&ListEntry> = list.iter().collect();
        let (p, _) = plan_shard("w-s0", cur.clone(), &refs, Mode::Sync, 100, false, true);
        assert_eq!((p.adds, p.refreshes, p.dels, p.rebuild), (0, 2, 0, false));
        let (p, _) = plan_shard("w-s0", cur, &refs, Mode::Sync, 100, false, false);
        assert!(!p.changes());
    }

    #[test]
    fn rebuilds_keep_old_extensions_and_apply_new_options() {
        let mut cur = current(&["10.0.0.1"]);
        let old = dump::Element {
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
        let (p, _) = plan_shard("w-s0", cur, &refs, Mode::Sync, 100, true, false);
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
