//! Planning a load or sync, shard by shard (pure): what to add, refresh
//! and delete, and whether to change the shard in place or rebuild it.

use std::collections::HashMap as StdHashMap;

/// Hash maps keyed by elements: foldhash is several times faster than the
/// default SipHash for these small keys and is seeded per process, so a
/// hostile list cannot force collisions (1M-element syncs spend much of
/// their time here).
pub(crate) type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;

use serde::Serialize;

use crate::addr::Entry;
use crate::listfile::ListEntry;
use crate::listing::Element;
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
    pub(crate) add_items: Vec<&'a ListEntry>,
    /// Elements already there that are re-added, with what the kernel held
    /// (counters and comment are carried over; a nomatch exception becomes a
    /// plain entry, as listed).
    #[serde(skip)]
    pub(crate) refresh_items: Vec<(&'a ListEntry, Kept)>,
    #[serde(skip)]
    pub(crate) del_entries: Vec<Entry>,
    /// Elements that stay, with their extensions (kept only for a rebuild,
    /// which copies them).
    #[serde(skip)]
    pub(crate) keep: Vec<(Entry, Kept)>,
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
pub type Kept = Option<Box<Element>>;

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

/// What bounds one shard's plan.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The shard's kernel maxelem: in place, adds come before deletes.
    pub maxelem: usize,
    /// The most elements (adds, refreshes and deletes) an in-place change
    /// may carry: what fits in one netlink send.
    pub max_in_place: usize,
    /// `--atomic`: rebuild every changed shard.
    pub force_rebuild: bool,
    /// The family has timeouts: every listed element is refreshed.
    pub timeouts: bool,
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
    limits: Limits,
) -> (ShardPlan<'a>, usize) {
    let Limits {
        maxelem,
        max_in_place,
        force_rebuild,
        timeouts,
    } = limits;
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
    // In place, the whole delta goes to the kernel in one send (so SIGKILL
    // leaves the shard old or new); a larger one is rebuilt and swapped.
    let too_big = plan.adds + plan.refreshes + plan.dels > max_in_place;
    plan.rebuild = plan.changes()
        && (force_rebuild
            || plan.before == 0
            || would_overflow
            || too_big
            || (plan.adds + plan.dels) as f64 >= rebuild_ratio() * plan.after as f64);
    if plan.rebuild {
        // Only a rebuild copies the elements that stay.
        plan.keep = current.into_iter().collect();
    }
    (plan, duplicates)
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

/// Test fixtures shared by the planner's and the applier's tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{HashMap, Kept, Limits};
    use crate::addr::{parse_entry, AddrFamily, Entry, SetType};
    use crate::listfile::ListEntry;

    /// Limits with no bound on in-place changes.
    pub(crate) fn limits(maxelem: usize, force_rebuild: bool, timeouts: bool) -> Limits {
        Limits {
            maxelem,
            max_in_place: usize::MAX,
            force_rebuild,
            timeouts,
        }
    }

    pub(crate) fn e(text: &str) -> Entry {
        parse_entry(text, SetType::HashNet, AddrFamily::Inet).unwrap()
    }

    pub(crate) fn item(text: &str) -> ListEntry {
        ListEntry {
            entry: e(text),
            timeout: None,
            comment: None,
        }
    }

    pub(crate) fn current(entries: &[&str]) -> HashMap<Entry, Kept> {
        entries.iter().map(|t| (e(t), None)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{current, e, item, limits};
    use super::*;

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
        let (p, dups) = plan_shard(
            "w-s0",
            cur.clone(),
            &refs,
            Mode::Sync,
            limits(100, false, false),
        );
        assert_eq!(
            (p.before, p.after, p.adds, p.dels, p.rebuild, dups),
            (5, 5, 1, 1, false, 1)
        );
        assert_eq!(p.add_items[0].entry, e("10.0.0.9"));
        assert_eq!(p.del_entries, vec![e("10.0.0.5")]);
        assert!(p.keep.is_empty(), "in place copies nothing");
        // Load keeps what the list does not name.
        let (p, _) = plan_shard(
            "w-s0",
            cur.clone(),
            &refs,
            Mode::Load,
            limits(100, false, false),
        );
        assert_eq!((p.after, p.adds, p.dels), (6, 1, 0));
        // Half the shard changing: rebuild; an empty shard: rebuild; forced.
        let few: Vec<&ListEntry> = refs[..2].to_vec();
        assert!(
            plan_shard(
                "w-s0",
                cur.clone(),
                &few,
                Mode::Sync,
                limits(100, false, false)
            )
            .0
            .rebuild
        );
        assert!(
            plan_shard(
                "w-s0",
                HashMap::default(),
                &refs,
                Mode::Sync,
                limits(100, false, false)
            )
            .0
            .rebuild
        );
        assert!(
            plan_shard(
                "w-s0",
                cur.clone(),
                &refs,
                Mode::Sync,
                limits(100, true, false)
            )
            .0
            .rebuild
        );
        // Passing maxelem mid-way (5 + 1 > 5): rebuild holds only the target.
        let (p, _) = plan_shard(
            "w-s0",
            cur.clone(),
            &refs,
            Mode::Sync,
            limits(5, false, false),
        );
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
        let (p, _) = plan_shard(
            "w-s0",
            cur,
            &same_refs,
            Mode::Sync,
            limits(100, true, false),
        );
        assert!(!p.changes() && !p.rebuild);
    }

    #[test]
    fn a_delta_too_big_for_one_send_is_rebuilt() {
        let cur = current(&["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
        let list = [
            item("10.0.0.1"),
            item("10.0.0.2"),
            item("10.0.0.3"),
            item("10.0.0.9"),
        ];
        let refs: Vec<&ListEntry> = list.iter().collect();
        // One add and one delete: in place while two fit in one send.
        let bounded = |max_in_place| Limits {
            max_in_place,
            ..limits(100, false, false)
        };
        let (p, _) = plan_shard("w-s0", cur.clone(), &refs, Mode::Sync, bounded(2));
        assert!(!p.rebuild);
        let (p, _) = plan_shard("w-s0", cur, &refs, Mode::Sync, bounded(1));
        assert!(p.rebuild && p.keep.len() == 3, "{p:?}");
    }

    #[test]
    fn timeout_families_refresh_every_listed_element() {
        let cur = current(&["10.0.0.1", "10.0.0.2"]);
        let list = [item("10.0.0.1"), item("10.0.0.2")];
        let refs: Vec<&ListEntry> = list.iter().collect();
        let (p, _) = plan_shard(
            "w-s0",
            cur.clone(),
            &refs,
            Mode::Sync,
            limits(100, false, true),
        );
        assert_eq!((p.adds, p.refreshes, p.dels, p.rebuild), (0, 2, 0, false));
        let (p, _) = plan_shard("w-s0", cur, &refs, Mode::Sync, limits(100, false, false));
        assert!(!p.changes());
    }
}
