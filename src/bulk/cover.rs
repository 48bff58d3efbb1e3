//! Families that store their addresses' coverage (`--reduce`, hash:net
//! with `bits:S` routing): each shard holds exactly the addresses of its
//! tag that the family covers, in as few prefix lengths as its policy
//! allows ([`crate::prefix`]). A change (load, sync, add, del) works out
//! what each shard it touches should cover, turns that into the shard's
//! target elements, and plans it as a sync of that shard, so the bulk
//! applier writes it: in place in one send, or rebuilt and swapped.

use super::merge::Incoming;
use super::plan::Kept;
use super::plan::{plan_shard, Limits, Mode, Plan};
use super::read::{read_shard, Prefetched, Shard};
use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::batch;
use crate::kernel::dump;
use crate::listfile::ListEntry;
use crate::meta::FamilySpec;
use crate::prefix::cover::family_cover;
use crate::prefix::geometry::{self, Geometry};
use crate::prefix::geometry::{shard_coverage, split_list};
use crate::prefix::levels::Reduce;
use crate::prefix::ranges::{Cidr, Ranges};
use crate::prefix::target::{self, stored_entries};
use crate::route::{self, Routing};

/// How `spec`'s routing splits its address space (`bits:S` only).
pub fn geometry(spec: &FamilySpec) -> Result<Geometry> {
    let Routing::Bits { shift } = spec.routing else {
        return Err(Error::Usage(format!(
            "family '{}' uses hash routing, which --reduce cannot follow",
            spec.name
        )));
    };
    Geometry::new(spec.family.width(), spec.shards.trailing_zeros(), shift).map_err(Error::Usage)
}

/// Does the family store coverage (rather than each entry as given)?
pub fn is_covering(spec: &FamilySpec) -> bool {
    spec.reduce != Reduce::Off
}

/// Shards `indices`, from what a sync read while it parsed, or read now.
pub fn shards(
    spec: &FamilySpec,
    prefetched: Prefetched,
    indices: impl IntoIterator<Item = u32>,
) -> Result<Vec<(u32, Shard)>> {
    let mut read = prefetched.into_shards();
    indices
        .into_iter()
        .map(|t| {
            let ready = read.get_mut(t as usize).and_then(Option::take);
            let shard = ready.unwrap_or_else(|| read_shard(spec, t as usize))?;
            Ok((t, shard))
        })
        .collect()
}

/// What shard `t` covers now (in its projected space), from its elements.
/// Elements the routing does not place in `t` (a killed re-route's extra
/// ones) are never consulted there, so they do not count.
pub fn coverage(g: &Geometry, spec: &FamilySpec, t: u32, shard: &Shard) -> Result<Ranges> {
    let stored: Vec<Cidr> = shard
        .entries()
        .map(|e| Cidr::from_entry(&e))
        .filter(|c| geometry::project(g, *c).0.contains(&t))
        .collect();
    geometry::shard_coverage(g, t, &stored).map_err(|why| {
        Error::Usage(format!(
            "shard {} of family '{}' holds an element outside its tag ({why}); `mipset sync` rewrites it",
            spec.shard_name(t),
            spec.name
        ))
    })
}

/// The projected coverage of every shard of a list of entries.
pub fn split(g: &Geometry, entries: impl IntoIterator<Item = Cidr>) -> Vec<Ranges> {
    let cover = Ranges::from_cidrs(g.width(), entries).to_cidrs();
    geometry::split_list(g, &cover)
}

/// The targets of a load or sync of `list` into every shard: a load adds
/// the list's addresses to what each shard covers, a sync makes each shard
/// cover exactly the list's addresses of its tag. Returns the shards as
/// read, for [`plan`].
pub fn prepare(
    spec: &FamilySpec,
    list: &[ListEntry],
    mode: Mode,
    prefetched: Prefetched,
) -> Result<(Targets, Vec<(u32, Shard)>)> {
    let g = geometry(spec)?;
    let shards = shards(spec, prefetched, 0..spec.shards)?;
    let listed = split(&g, list.iter().map(|item| Cidr::from_entry(&item.entry)));
    let mut wanted = Vec::with_capacity(shards.len());
    for ((t, shard), listed) in shards.iter().zip(listed) {
        let cover = match mode {
            Mode::Sync => listed,
            Mode::Load => coverage(&g, spec, *t, shard)?.union(&listed),
        };
        wanted.push((*t, cover));
    }
    Ok((targets(&g, spec, &wanted)?, shards))
}

/// Load or sync `list` into a family that stores coverage, planned and
/// applied in one go (for `restore` and the reconciler); what was applied
/// and the elements (added, deleted).
pub fn apply_list(
    kernel: &mut crate::kernel::Kernel,
    spec: &FamilySpec,
    list: &[ListEntry],
    mode: Mode,
    atomic: bool,
) -> Result<(super::apply::Applied, (usize, usize))> {
    let (targets, shards) = prepare(spec, list, mode, Prefetched::default())?;
    let plan = plan(spec, &targets, shards, atomic)?;
    let (adds, dels, _, _) = plan.totals();
    Ok((
        super::apply::apply(kernel, spec, &plan, atomic)?,
        (adds, dels),
    ))
}

/// The target elements of some shards, as one list (each shard's run in
/// it) with each shard's part keyed for the planner.
pub struct Targets {
    pub list: Vec<ListEntry>,
    incoming: Vec<(u32, Incoming)>,
}

impl Targets {
    /// Each shard's index and how many elements of [`Targets::list`] are
    /// its, in list order.
    pub fn counts(&self) -> impl Iterator<Item = (u32, usize)> + '_ {
        self.incoming.iter().map(|(t, keyed)| (*t, keyed.len()))
    }
}

/// The elements every shard (`wanted`: index and what it should cover)
/// stores, reduced by the family's policy within its maxelem. Every shard:
/// what all of them cover decides which pieces may leave the tag bits free.
pub fn targets(g: &Geometry, spec: &FamilySpec, wanted: &[(u32, Ranges)]) -> Result<Targets> {
    let mut list = Vec::new();
    let mut incoming = Vec::with_capacity(wanted.len());
    let all: Vec<Ranges> = wanted.iter().map(|(_, c)| c.clone()).collect();
    if all.len() != spec.shards as usize {
        return Err(Error::Usage(format!(
            "family '{}': {} of {} shards planned; a reduced family is planned whole",
            spec.name,
            all.len(),
            spec.shards
        )));
    }
    let common = target::common_coverage(g, &all);
    let cap = spec.maxelem as usize;
    // Every shard's level choice first (a percentage is the family's
    // budget), and the family's total against its maxelem, before any
    // piece is made: a large budget cannot make mipset build millions.
    let choices = target::family_choices(g, &all, &common, spec.reduce, cap);
    let total: u128 = choices
        .iter()
        .map(|c| stored_entries(&c.levels, c.entries))
        .fold(0, u128::saturating_add);
    if total > u128::from(spec.maxelem) {
        return Err(Error::kernel(
            KernelErrorKind::Full,
            format!(
                "family {} would hold {total} elements in all but its maxelem is {}; nothing was changed (a smaller --reduce, or `mipset resize {} --maxelem N`)",
                spec.name, spec.maxelem, spec.name
            ),
        ));
    }
    for ((t, cover), choice) in wanted.iter().zip(&choices) {
        let target =
            target::shard_pieces(g, *t, cover, &common, choice, cap).map_err(Error::Usage)?;
        if !target.within_cap {
            return Err(Error::kernel(
                KernelErrorKind::Full,
                format!(
                    "shard {} would hold {} elements but its maxelem is {}; nothing was changed (raise it with `mipset resize {} --maxelem N`)",
                    spec.shard_name(*t),
                    target.elements,
                    spec.maxelem,
                    spec.name
                ),
            ));
        }
        let mut keyed = Incoming::default();
        for c in target.cidrs {
            let entry = c.to_entry(spec.family).map_err(Error::Usage)?;
            keyed.push(&entry, list.len() as u32);
            list.push(ListEntry::new(entry, None, None));
        }
        incoming.push((*t, keyed));
    }
    Ok(Targets { list, incoming })
}

/// Plan `shards` (as read) to hold exactly their targets.
pub fn plan<'a>(
    spec: &FamilySpec,
    targets: &'a Targets,
    shards: Vec<(u32, Shard)>,
    atomic: bool,
) -> Result<Plan<'a>> {
    let mut plan = Plan::default();
    let mut incoming = targets.incoming.clone();
    for (t, shard) in shards {
        let keyed = incoming
            .iter_mut()
            .find(|(i, _)| *i == t)
            .map(|(_, k)| std::mem::take(k))
            .unwrap_or_default();
        let (maxelem, current) = shard.into_parts();
        let limits = Limits {
            maxelem: maxelem.unwrap_or(spec.maxelem) as usize,
            max_in_place: batch::ONE_SEND_BYTES / batch::element_bytes_max(spec.comment),
            force_rebuild: atomic,
            timeouts: false,
        };
        let name = spec.shard_name(t);
        let (shard_plan, _) = plan_shard(&name, current, &targets.list, keyed, Mode::Sync, limits);
        plan.shards.push(shard_plan);
    }
    Ok(plan)
}

/// The most CIDRs a family's minimal cover is made of before merging: a
/// family whose shards disagree about a network (by hand) can need one
/// piece per tag of it.
pub const COVER_LIMIT: usize = 1 << 24;

/// A shard's elements with what they carry beyond the address.
pub type Contents = Vec<(Entry, Kept)>;

/// The first shard (index, elements) that would hold more than `maxelem`.
pub fn over_maxelem(placed: &[Contents], maxelem: u32) -> Option<(u32, usize)> {
    placed
        .iter()
        .position(|c| c.len() > maxelem as usize)
        .map(|t| (t as u32, placed[t].len()))
}

/// Each shard's elements now (only those its routing places there: a
/// killed re-route may have left others), and where the new routing
/// places the family's networks (reduced again, for a family that stores
/// coverage).
pub fn placements(old: &FamilySpec, new: &FamilySpec) -> Result<(Vec<Contents>, Vec<Contents>)> {
    let extensions = old.has_extensions();
    let mut current: Vec<Contents> = Vec::with_capacity(old.shards as usize);
    let mut unique: Vec<(Entry, Kept)> = Vec::new();
    let mut seen: std::collections::HashSet<Entry> = std::collections::HashSet::new();
    for t in 0..old.shards {
        let mut shard = Vec::new();
        dump::dump_set(&old.shard_name(t), |e| {
            let entry = e.entry;
            if !route::shards_for(&entry, old.shards, old.routing).any(|s| s == t) {
                return; // not placed here by the old routing
            }
            let kept: Kept = extensions.then(|| Box::new(e));
            if seen.insert(entry) {
                unique.push((entry, kept.clone()));
            }
            shard.push((entry, kept));
        })?;
        current.push(shard);
    }
    let mut placed: Vec<Contents> = vec![Vec::new(); new.shards as usize];
    if is_covering(old) {
        let (g_old, g_new) = (geometry(old)?, geometry(new)?);
        let coverage: Vec<Ranges> = current
            .iter()
            .enumerate()
            .map(|(t, c)| {
                let stored: Vec<Cidr> = c.iter().map(|(e, _)| Cidr::from_entry(e)).collect();
                shard_coverage(&g_old, t as u32, &stored).map_err(Error::Usage)
            })
            .collect::<Result<_>>()?;
        let cidrs = family_cover(&g_old, &coverage, COVER_LIMIT).map_err(Error::Usage)?;
        let wanted: Vec<(u32, Ranges)> = split_list(&g_new, &cidrs)
            .into_iter()
            .enumerate()
            .map(|(t, r)| (t as u32, r))
            .collect();
        let targets = targets(&g_new, new, &wanted)?;
        let mut start = 0;
        for (t, count) in targets.counts() {
            placed[t as usize] = targets.list[start..start + count]
                .iter()
                .map(|item| (item.entry, None))
                .collect();
            start += count;
        }
    } else {
        for (entry, kept) in unique {
            for t in route::shards_for(&entry, new.shards, new.routing) {
                placed[t as usize].push((entry, kept.clone()));
            }
        }
    }
    Ok((current, placed))
}
