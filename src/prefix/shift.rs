//! Choosing the routing shift S of a `bits:S` hash:net family for a list:
//! the S whose fullest shard holds the fewest kernel elements after prefix
//! reduction ([`choose_shift`]).
//!
//! Every S is scanned once for the minimal cover of each shard (one pass over
//! the sorted list per S: within a shard, projection keeps the list's order).
//! No reduction stores fewer elements than that cover, so it is an exact
//! lower bound: shifts are fully evaluated (levels chosen per shard) best
//! bound first, and the search stops at the first bound worse than the best
//! found.

use super::geometry::{lowest_level, project, stored_entries, Geometry};
use super::levels::{choose_levels, Reduce};
use super::ranges::{interval_cidrs, Cidr, Ranges};

/// The shift chosen for a list, with what it costs.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftChoice {
    pub shift: u32,
    /// Kernel elements of the fullest shard after reduction.
    pub fullest: usize,
    /// Kernel elements over all shards (a CIDR in several shards counts in
    /// each).
    pub total: usize,
    /// `total` / the list's CIDR count (1 for an empty list).
    pub replication: f64,
    /// How many shifts were fully evaluated (the rest were ruled out by
    /// their lower bound).
    pub evaluated: usize,
}

/// Minimal-cover CIDR counts per projected prefix length of every shard:
/// `counts[t][len]`. `cover` must be sorted and disjoint.
fn shard_cover_counts(g: &Geometry, cover: &[Cidr]) -> Vec<Vec<u128>> {
    let width = g.projected_width();
    let shards = g.shards() as usize;
    let mut counts = vec![vec![0u128; width as usize + 1]; shards];
    let mut open: Vec<Option<(u128, u128)>> = vec![None; shards];
    for &c in cover {
        let (range, p) = project(g, c);
        let (start, end) = (p.bits, p.last(width));
        for t in range {
            let t = t as usize;
            match &mut open[t] {
                Some(o) if start <= o.1.saturating_add(1) => o.1 = o.1.max(end),
                slot => {
                    if let Some((s, e)) = slot.replace((start, end)) {
                        interval_cidrs(width, s, e, |x| counts[t][usize::from(x.len)] += 1);
                    }
                }
            }
        }
    }
    for (t, slot) in open.into_iter().enumerate() {
        if let Some((s, e)) = slot {
            interval_cidrs(width, s, e, |x| counts[t][usize::from(x.len)] += 1);
        }
    }
    counts
}

/// (fullest, total) kernel elements of a geometry after reduction.
fn evaluate(g: &Geometry, counts: &[Vec<u128>], policy: Reduce, cap: usize) -> (u128, u128) {
    let lowest = lowest_level(g);
    counts
        .iter()
        .fold((0u128, 0u128), |(fullest, total), shard| {
            let choice = choose_levels(shard, lowest, policy, cap as u128);
            let entries = stored_entries(&choice.levels, choice.entries);
            (fullest.max(entries), total.saturating_add(entries))
        })
}

/// (fullest, total) without reduction: a lower bound for every policy.
fn lower_bound(g: &Geometry, counts: &[Vec<u128>]) -> (u128, u128) {
    evaluate(g, counts, Reduce::Off, usize::MAX)
}

/// The shift S in 0..=W-k for a family of 2^k shards holding `list_cover`
/// (any CIDRs of a `width`-bit space) that minimises the fullest shard's
/// kernel elements after `policy` reduction within `cap` elements per shard;
/// ties go to fewer elements in total, then to the larger S.
pub fn choose_shift(
    list_cover: &[Cidr],
    width: u32,
    k: u32,
    policy: Reduce,
    cap: usize,
) -> Result<ShiftChoice, String> {
    Geometry::new(width, k, 0)?;
    if let Some(bad) = list_cover.iter().find(|c| !c.is_valid(width)) {
        return Err(format!(
            "{:#x}/{} is not a {width}-bit network",
            bad.bits, bad.len
        ));
    }
    let cover = Ranges::from_cidrs(width, list_cover.iter().copied()).to_cidrs();
    let mut bounds = Vec::new();
    for shift in 0..=width - k {
        let g = Geometry::new(width, k, shift)?;
        let (fullest, total) = lower_bound(&g, &shard_cover_counts(&g, &cover));
        bounds.push((fullest, total, std::cmp::Reverse(shift)));
    }
    bounds.sort_unstable();
    let mut best: Option<(u128, u128, u32)> = None;
    let mut evaluated = 0;
    for (low_fullest, low_total, std::cmp::Reverse(shift)) in bounds {
        if let Some((fullest, total, _)) = best {
            if (low_fullest, low_total) > (fullest, total) {
                break;
            }
        }
        let g = Geometry::new(width, k, shift)?;
        let (fullest, total) = if policy == Reduce::Off {
            (low_fullest, low_total)
        } else {
            evaluate(&g, &shard_cover_counts(&g, &cover), policy, cap)
        };
        evaluated += 1;
        let better = match best {
            None => true,
            Some((f, t, s)) => (fullest, total, s) < (f, t, shift),
        };
        if better {
            best = Some((fullest, total, shift));
        }
    }
    let (fullest, total, shift) = best.unwrap_or((0, 0, width - k));
    let replication = if list_cover.is_empty() {
        1.0
    } else {
        total as f64 / list_cover.len() as f64
    };
    Ok(ShiftChoice {
        shift,
        fullest: usize::try_from(fullest).unwrap_or(usize::MAX),
        total: usize::try_from(total).unwrap_or(usize::MAX),
        replication,
        evaluated,
    })
}
