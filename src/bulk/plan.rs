//! Planning a load or sync, shard by shard (pure): what to add, refresh
//! and delete, and whether to change the shard in place or rebuild it.

use serde::Serialize;

use super::merge::{self, Elements, Incoming, Match};
use crate::addr::Entry;
use crate::listfile::ListEntry;
use crate::listing::Element;
use crate::route;

/// The most entries one list may hold: positions are `u32`, with a bit
/// and two values kept for marks (see [`plan_shard`]).
pub const MAX_ENTRIES: usize = (1 << 31) - 2;

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

/// A shard's elements as read from the kernel.
#[derive(Debug, Clone, Default)]
pub struct Current {
    elements: Elements,
    /// `kept[j]` is what element `j` carries beyond its address; empty
    /// while no element carries anything (a family without extensions).
    kept: Vec<Kept>,
}

impl Current {
    pub fn push(&mut self, entry: Entry, kept: Kept) {
        if kept.is_some() || !self.kept.is_empty() {
            self.kept.resize_with(self.elements.len(), || None);
            self.kept.push(kept);
        }
        self.elements.push(entry);
    }

    pub fn len(&self) -> usize {
        self.elements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The elements, in the order read.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.elements.len()).map(|j| self.elements.get(j))
    }

    fn take_kept(&mut self, j: usize) -> Kept {
        self.kept.get_mut(j).and_then(Option::take)
    }

    fn nomatch(&self, j: usize) -> bool {
        matches!(self.kept.get(j), Some(Some(k)) if k.nomatch)
    }
}

impl FromIterator<(Entry, Kept)> for Current {
    fn from_iter<I: IntoIterator<Item = (Entry, Kept)>>(items: I) -> Current {
        let mut current = Current::default();
        for (entry, kept) in items {
            current.push(entry, kept);
        }
        current
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

/// Whether listing an element again refreshes it: always in a family with
/// timeouts (a listed entry's timeout restarts, as with `ipset -exist`),
/// otherwise only when the list gives it options.
fn refreshes(item: &ListEntry, timeouts: bool) -> bool {
    timeouts || item.has_options()
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

/// A list position with [`REFRESH`]: that line refreshes its element if
/// the shard holds it.
const REFRESH: u32 = merge::FLAG;

/// The list's entries by shard, keyed for [`plan_shard`], in one pass over
/// the list. `timeouts`: the family has timeouts (every listed element is
/// refreshed). The list holds at most [`MAX_ENTRIES`].
pub fn route_list(
    list: &[ListEntry],
    shards: u32,
    routing: route::Routing,
    timeouts: bool,
) -> Vec<Incoming> {
    let mut by_shard = vec![Incoming::default(); shards as usize];
    for (i, item) in list.iter().enumerate() {
        let payload = i as u32 | (REFRESH * u32::from(refreshes(item, timeouts)));
        for s in route::shards_for(&item.entry, shards, routing) {
            by_shard[s as usize].push(&item.entry, payload);
        }
    }
    by_shard
}

/// Plan one shard (pure). `current` is what the shard holds (with each
/// element's remaining timeout, counters and comment); `incoming` are the
/// entries of `list` routed to it ([`route_list`]). Returns the plan and
/// how many incoming elements were duplicates (the last line for an
/// element wins).
pub fn plan_shard<'a>(
    shard: &str,
    mut current: Current,
    list: &'a [ListEntry],
    incoming: Incoming,
    mode: Mode,
    limits: Limits,
) -> (ShardPlan<'a>, usize) {
    let Limits {
        maxelem,
        max_in_place,
        force_rebuild,
        timeouts,
    } = limits;
    // Per element of the shard: the list line naming it last (with
    // REFRESH if that line refreshes it), or one of the marks.
    const UNLISTED: u32 = u32::MAX;
    const SETTLED: u32 = u32::MAX - 1; // a twin, refreshed, or deleted
    let mut listed = vec![UNLISTED; current.len()];
    let mut before = current.len();
    let mut adds: Vec<u32> = Vec::new();
    let mut duplicates = 0;
    let entry_of = |i: u32| list[(i & !REFRESH) as usize].entry;
    // Without extensions to keep in step, the elements may be sorted in place.
    let reorder = current.kept.is_empty();
    merge::matches(
        &mut current.elements,
        reorder,
        incoming,
        entry_of,
        |m| match m {
            Match::Twin(j) => {
                listed[j as usize] = SETTLED;
                before -= 1;
            }
            Match::Listed {
                j,
                i,
                duplicates: d,
            } => {
                listed[j as usize] = i;
                duplicates += d;
            }
            Match::New { i, duplicates: d } => {
                adds.push(i & !REFRESH);
                duplicates += d;
            }
        },
    );
    // In list order: applying reads the list front to back, not at random.
    adds.sort_unstable();
    let mut plan = ShardPlan {
        shard: shard.to_string(),
        before,
        adds: adds.len(),
        add_items: adds.iter().map(|&i| &list[i as usize]).collect(),
        ..ShardPlan::default()
    };
    drop(adds);
    for (j, mark) in listed.iter_mut().enumerate() {
        match *mark {
            SETTLED => {}
            UNLISTED => {
                if mode == Mode::Sync {
                    plan.del_entries.push(current.elements.get(j));
                    *mark = SETTLED;
                }
            }
            i => {
                if timeouts || i & REFRESH != 0 || current.nomatch(j) {
                    let item = &list[(i & !REFRESH) as usize];
                    plan.refresh_items.push((item, current.take_kept(j)));
                    *mark = SETTLED;
                }
            }
        }
    }
    plan.refreshes = plan.refresh_items.len();
    plan.dels = plan.del_entries.len();
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
        plan.keep = Vec::with_capacity(plan.unchanged);
        for (j, mark) in listed.iter().enumerate() {
            if *mark != SETTLED {
                let kept = current.take_kept(j);
                plan.keep.push((current.elements.get(j), kept));
            }
        }
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
    use super::{Current, Limits, Mode, ShardPlan};
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
        ListEntry::plain(e(text))
    }

    pub(crate) fn current(entries: &[&str]) -> Current {
        entries.iter().map(|t| (e(t), None)).collect()
    }

    /// Plan shard `w-s0` holding `current` for all of `list`.
    pub(crate) fn plan(
        current: Current,
        list: &[ListEntry],
        mode: Mode,
        limits: Limits,
    ) -> (ShardPlan<'_>, usize) {
        let one = crate::route::Routing::Bits { shift: 0 };
        let incoming = super::route_list(list, 1, one, limits.timeouts).remove(0);
        super::plan_shard("w-s0", current, list, incoming, mode, limits)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{current, e, item, limits, plan};
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
        let (p, dups) = plan(cur.clone(), &list, Mode::Sync, limits(100, false, false));
        assert_eq!(
            (p.before, p.after, p.adds, p.dels, p.rebuild, dups),
            (5, 5, 1, 1, false, 1)
        );
        assert_eq!(p.add_items[0].entry, e("10.0.0.9"));
        assert_eq!(p.del_entries, vec![e("10.0.0.5")]);
        assert!(p.keep.is_empty(), "in place copies nothing");
        // Load keeps what the list does not name.
        let (p, _) = plan(cur.clone(), &list, Mode::Load, limits(100, false, false));
        assert_eq!((p.after, p.adds, p.dels), (6, 1, 0));
        // Half the shard changing: rebuild; an empty shard: rebuild; forced.
        assert!(
            plan(
                cur.clone(),
                &list[..2],
                Mode::Sync,
                limits(100, false, false)
            )
            .0
            .rebuild
        );
        assert!(
            plan(
                Current::default(),
                &list,
                Mode::Sync,
                limits(100, false, false)
            )
            .0
            .rebuild
        );
        assert!(
            plan(cur.clone(), &list, Mode::Sync, limits(100, true, false))
                .0
                .rebuild
        );
        // Passing maxelem mid-way (5 + 1 > 5): rebuild holds only the target.
        let (p, _) = plan(cur.clone(), &list, Mode::Sync, limits(5, false, false));
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
        let (p, _) = plan(cur, &same, Mode::Sync, limits(100, true, false));
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
        // One add and one delete: in place while two fit in one send.
        let bounded = |max_in_place| Limits {
            max_in_place,
            ..limits(100, false, false)
        };
        let (p, _) = plan(cur.clone(), &list, Mode::Sync, bounded(2));
        assert!(!p.rebuild);
        let (p, _) = plan(cur, &list, Mode::Sync, bounded(1));
        assert!(p.rebuild && p.keep.len() == 3, "{p:?}");
    }

    #[test]
    fn timeout_families_refresh_every_listed_element() {
        let cur = current(&["10.0.0.1", "10.0.0.2"]);
        let list = [item("10.0.0.1"), item("10.0.0.2")];
        let (p, _) = plan(cur.clone(), &list, Mode::Sync, limits(100, false, true));
        assert_eq!((p.adds, p.refreshes, p.dels, p.rebuild), (0, 2, 0, false));
        let (p, _) = plan(cur, &list, Mode::Sync, limits(100, false, false));
        assert!(!p.changes());
    }

    #[test]
    fn duplicates_count_once_and_the_last_line_wins() {
        let mut cur = current(&["10.0.0.1", "10.0.0.2"]);
        // An element the kernel listed twice counts once.
        cur.push(e("10.0.0.2"), None);
        let with = |text: &str, t: u32| ListEntry::new(e(text), Some(t), None);
        let list = [
            with("10.0.0.1", 1),
            with("10.0.0.9", 1),
            with("10.0.0.1", 2),
            with("10.0.0.9", 2),
            with("10.0.0.9", 3),
        ];
        let (p, dups) = plan(cur, &list, Mode::Load, limits(100, true, false));
        assert_eq!((p.before, p.adds, p.refreshes, dups), (2, 1, 1, 3));
        assert_eq!(p.add_items[0].timeout(), Some(3));
        assert_eq!(p.refresh_items[0].0.timeout(), Some(2));
        assert_eq!(p.keep, vec![(e("10.0.0.2"), None)]);
    }
}
