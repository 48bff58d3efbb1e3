//! What one shard of a reduced family stores: its coverage split into what
//! every shard covers (pieces there may leave the tag bits free) and its
//! own part (pieces that keep its tag), the level choice, and the real
//! CIDRs ([`shard_target`]); the choice across shards for a family-wide
//! percentage ([`choose_across`]).

use super::geometry::{lift, lift_in_tag, Geometry};
use super::levels::{choose_levels, expand, level_options, LevelChoice, Reduce};
use super::ranges::{low_mask, Cidr, Ranges};

/// What a shard should store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardTarget {
    /// Real CIDRs, each stored in this shard only.
    pub cidrs: Vec<Cidr>,
    /// Distinct real prefix lengths among them.
    pub levels: usize,
    /// Whether `cidrs` stays within the entry cap (false only when even no
    /// reduction exceeds it; then nothing is made).
    pub within_cap: bool,
    /// Kernel elements: `cidrs.len()`, or what they would be.
    pub elements: u128,
}

/// The lowest projected level a reduction may use: a projected /0 would
/// lift to a real /0, so level 1 when the space has one (see
/// [`own_level`] for the pieces outside the common part).
pub fn lowest_level(g: &Geometry) -> u32 {
    g.projected_width().min(1)
}

/// Kernel elements of a level choice in shard space: a projected /0 kept
/// at level 0 (only the common part can be the whole space) lifts to a
/// real /0, stored as two /1s.
pub fn stored_entries(levels: &[u32], entries: u128) -> u128 {
    entries.saturating_add(u128::from(levels.first() == Some(&0)))
}

/// What every shard covers (in the projected space): the only addresses a
/// shard may store in a piece that leaves the tag bits free.
pub fn common_coverage(g: &Geometry, per_shard: &[Ranges]) -> Ranges {
    per_shard
        .iter()
        .fold(Ranges::full(g.projected_width()), |common, c| {
            common.intersect(c)
        })
}

/// A shard's coverage in two parts: what every shard covers (`common`),
/// stored in pieces of any length, and the rest, in pieces that keep the
/// tag bits (at least [`own_level`] long in the projected space). Per
/// length, the CIDRs to store without reduction (an own piece shorter than
/// [`own_level`] counts as its expansion to it).
struct Parts {
    common: Vec<Cidr>,
    own: Vec<Cidr>,
    counts: Vec<u128>,
}

/// The shortest projected length of a piece outside the common part: with
/// several shards W-S-k, so that it keeps the tag bits (a piece there lies
/// inside its shard's tag, and the umbrella list:set, which asks every
/// shard, matches exactly what the family covers).
pub fn own_level(g: &Geometry) -> u32 {
    if g.tag_bits() == 0 {
        0
    } else {
        g.free_tag_len()
    }
}

fn parts(g: &Geometry, coverage: &Ranges, common: &Ranges) -> Parts {
    let width = g.projected_width();
    let projected = Ranges::from_intervals(width, coverage.intervals().iter().copied());
    let common = projected.intersect(common).to_cidrs();
    let own = projected.difference(&Ranges::from_cidrs(width, common.iter().copied()));
    let own = own.to_cidrs();
    let floor = own_level(g);
    let mut counts = vec![0u128; width as usize + 1];
    for c in &common {
        counts[usize::from(c.len)] += 1;
    }
    for c in &own {
        let len = u32::from(c.len).max(floor);
        let pieces = 1u128
            .checked_shl(len - u32::from(c.len))
            .unwrap_or(u128::MAX);
        counts[len as usize] = counts[len as usize].saturating_add(pieces);
    }
    Parts {
        common,
        own,
        counts,
    }
}

/// The level choice of every shard of a family (`per_shard`: what each
/// covers), before any piece is made: a percentage is the family's budget
/// ([`choose_across`]), otherwise each shard follows `policy` on its own;
/// each within `cap` where it can be.
pub fn family_choices(
    g: &Geometry,
    per_shard: &[Ranges],
    common: &Ranges,
    policy: Reduce,
    cap: usize,
) -> Vec<LevelChoice> {
    let lowest = lowest_level(g);
    let counts: Vec<Vec<u128>> = per_shard
        .iter()
        .map(|c| parts(g, c, common).counts)
        .collect();
    if let Reduce::Percent(p) = policy {
        let options: Vec<Vec<LevelChoice>> =
            counts.iter().map(|c| level_options(c, lowest)).collect();
        if let Some(picks) = choose_across(&options, p, cap as u128) {
            return options
                .into_iter()
                .zip(picks)
                .map(|(o, i)| o.into_iter().nth(i).unwrap_or_default())
                .collect();
        }
    }
    counts
        .iter()
        .map(|c| choose_levels(c, lowest, policy, cap as u128))
        .collect()
}

/// The real CIDRs shard `tag` stores to cover `coverage` (its projected
/// space) exactly, with prefix lengths reduced by `policy` within `cap`
/// entries. `common` is what every shard covers ([`common_coverage`]):
/// only there may a piece leave the tag bits free. Nothing is made when
/// even no reduction passes `cap` (`within_cap` false).
pub fn shard_target(
    g: &Geometry,
    tag: u32,
    coverage: &Ranges,
    common: &Ranges,
    policy: Reduce,
    cap: usize,
) -> Result<ShardTarget, String> {
    let counts = parts(g, coverage, common).counts;
    let choice = choose_levels(&counts, lowest_level(g), policy, cap as u128);
    shard_pieces(g, tag, coverage, common, &choice, cap)
}

/// [`shard_target`] for a level choice made already.
pub fn shard_pieces(
    g: &Geometry,
    tag: u32,
    coverage: &Ranges,
    common: &Ranges,
    choice: &LevelChoice,
    cap: usize,
) -> Result<ShardTarget, String> {
    let width = g.projected_width();
    let parts = parts(g, coverage, common);
    let elements = stored_entries(&choice.levels, choice.entries);
    if elements > cap as u128 {
        return Ok(ShardTarget {
            cidrs: Vec::new(),
            levels: choice.levels.len(),
            within_cap: false,
            elements,
        });
    }
    let floor = own_level(g);
    let mut raised = Vec::with_capacity(parts.own.len());
    for c in &parts.own {
        let len = u32::from(c.len);
        if len >= floor {
            raised.push(*c);
        } else {
            let host = width - floor;
            for i in 0..=low_mask(floor - len) {
                raised.push(Cidr {
                    bits: c.bits | i.checked_shl(host).unwrap_or(0),
                    len: floor as u8,
                });
            }
        }
    }
    let (common, own) = if width == 0 {
        (parts.common, raised)
    } else {
        (
            expand(width, &parts.common, &choice.levels, cap)?,
            expand(width, &raised, &choice.levels, cap)?,
        )
    };
    // Common pieces may keep the tag bits free (every shard covers them);
    // the shard's own pieces keep its tag.
    let mut cidrs: Vec<Cidr> = common
        .into_iter()
        .flat_map(|c| {
            let real = lift(g, tag, c);
            let half = 1u128 << (g.width() - 1);
            match real.len {
                0 => vec![Cidr { bits: 0, len: 1 }, Cidr { bits: half, len: 1 }],
                _ => vec![real],
            }
        })
        .collect();
    cidrs.extend(own.into_iter().map(|c| lift_in_tag(g, tag, c)));
    let mut lengths: Vec<u8> = cidrs.iter().map(|c| c.len).collect();
    lengths.sort_unstable();
    lengths.dedup();
    Ok(ShardTarget {
        levels: lengths.len(),
        within_cap: cidrs.len() <= cap,
        elements: cidrs.len() as u128,
        cidrs,
    })
}

/// `Percent(p)` over several shards at once: the budget is the family's
/// (the sum of every shard's entries without reduction, grown by p%), so
/// that the most levels in any shard is as small as it can be, as in one
/// set. `options[t]` are shard t's choices ([`level_options`]). Returns
/// each shard's choice (an index into its options), or `None` when no
/// level count fits the budget with every shard within `cap`.
pub fn choose_across(options: &[Vec<LevelChoice>], percent: u32, cap: u128) -> Option<Vec<usize>> {
    let unreduced: u128 = options
        .iter()
        .map(|o| o.last().map_or(0, |c| c.entries))
        .fold(0, u128::saturating_add);
    let budget = unreduced.saturating_mul(100 + u128::from(percent)) / 100;
    let most = options.iter().map(Vec::len).max().unwrap_or(0);
    (1..=most.max(1)).find_map(|levels| {
        let picks: Vec<usize> = options
            .iter()
            .map(|o| levels.min(o.len()).saturating_sub(1))
            .collect();
        let entries = |(o, &i): (&Vec<LevelChoice>, &usize)| o.get(i).map_or(0, |c| c.entries);
        let total = options
            .iter()
            .zip(&picks)
            .map(entries)
            .fold(0u128, u128::saturating_add);
        let within = options.iter().zip(&picks).all(|x| entries(x) <= cap);
        (total <= budget && within).then_some(picks)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_budget_keeps_the_most_levels_in_any_shard_low() {
        // Shard 0 shrinks cheaply, shard 1 not at all: alone, 20% of each
        // keeps shard 1 at 3 levels; the family's 20% brings both to 2.
        let opt = |e: &[u128]| -> Vec<LevelChoice> {
            e.iter()
                .enumerate()
                .map(|(i, &entries)| LevelChoice {
                    levels: (0..=i as u32).collect(),
                    entries,
                })
                .collect()
        };
        let options = vec![opt(&[400, 101, 100]), opt(&[200, 115, 100])];
        assert_eq!(choose_across(&options, 20, u128::MAX), Some(vec![1, 1]));
        assert_eq!(choose_across(&options, 0, u128::MAX), Some(vec![2, 2]));
        assert_eq!(choose_across(&options, 1000, u128::MAX), Some(vec![0, 0]));
        // The cap per shard rules out what the budget allows.
        assert_eq!(choose_across(&options, 1000, 300), Some(vec![1, 1]));
        assert_eq!(choose_across(&options, 0, 50), None);
        assert_eq!(choose_across(&[], 20, 10), Some(vec![]));
    }
}
