//! Controlled prefix expansion: which prefix lengths ("levels") a set of
//! disjoint CIDRs is expanded to, so the set holds fewer distinct lengths.
//!
//! An exact dynamic program gives, for every number of levels, the fewest
//! entries; a [`Reduce`] policy and an entry cap pick one of those choices;
//! [`expand`] carries it out.

use std::fmt;
use std::str::FromStr;

use super::ranges::{low_mask, Cidr};
use crate::addr::quoted;

/// `Auto` takes one level fewer only while that step adds at most
/// n / `AUTO_STEP_DIVISOR` entries (n: entries without reduction).
pub const AUTO_STEP_DIVISOR: u128 = 8;

/// `Auto` never goes above `AUTO_TOTAL_FACTOR` × n entries.
pub const AUTO_TOTAL_FACTOR: u128 = 2;

/// Largest percentage `Reduce::Percent` accepts.
pub const MAX_PERCENT: u32 = 10_000;

/// How far to trade entries for fewer prefix lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// No expansion: the minimal cover as it is.
    Off,
    /// The fewest levels whose entries stay within n × (100 + P) / 100.
    Percent(u32),
    /// Fewer levels while each step is cheap (see [`AUTO_STEP_DIVISOR`],
    /// [`AUTO_TOTAL_FACTOR`]).
    Auto,
}

impl fmt::Display for Reduce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reduce::Off => f.write_str("off"),
            Reduce::Auto => f.write_str("auto"),
            Reduce::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl FromStr for Reduce {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => return Ok(Reduce::Off),
            "auto" => return Ok(Reduce::Auto),
            _ => {}
        }
        let digits = s.strip_suffix('%').unwrap_or(s);
        match digits.parse::<u32>() {
            Ok(p) if p <= MAX_PERCENT && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Reduce::Percent(p))
            }
            _ => Err(format!(
                "reduce {}: use off, auto, or a percentage of extra entries from 0 to {MAX_PERCENT} (such as 20 or 20%)",
                quoted(s)
            )),
        }
    }
}

/// One way to expand: the levels (ascending) and the entries it gives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LevelChoice {
    pub levels: Vec<u32>,
    pub entries: u128,
}

/// `count` × 2^`shift`, saturating.
fn times_power_of_two(count: u128, shift: u32) -> u128 {
    if count == 0 {
        0
    } else if shift < 128 && count.leading_zeros() >= shift {
        count << shift
    } else {
        u128::MAX
    }
}

/// The dynamic program over candidate levels, one layer per level count.
struct LevelTable {
    /// Levels worth considering, ascending; the last is the top level.
    candidates: Vec<u32>,
    /// `cost[p + 1][i]`: entries from lengths in (candidates[p],
    /// candidates[i]] expanded to candidates[i]; p = -1 is "all below".
    cost: Vec<Vec<u128>>,
    /// `layers[j - 1][i]`: fewest entries with j levels, the highest at
    /// candidates[i], and the level below it (index), if any.
    layers: Vec<Vec<(u128, Option<usize>)>>,
    /// Entries with every candidate a level (no reduction), known without
    /// the layers.
    every_level_entries: u128,
}

impl LevelTable {
    fn new(counts: &[u128], lowest: u32) -> LevelTable {
        let top_len = counts.len().saturating_sub(1) as u32;
        let lowest = lowest.min(top_len);
        let present = |q: u32| counts.get(q as usize).is_some_and(|&n| n > 0);
        let mut candidates: Vec<u32> = (lowest..=top_len).filter(|&q| present(q)).collect();
        if (0..lowest).any(present) && candidates.first() != Some(&lowest) {
            candidates.insert(0, lowest);
        }
        // Row p + 1 walks the lengths upwards from candidates[p] + 1:
        // entries at length L = 2 × entries at L - 1 + counts[L].
        let mut cost = Vec::with_capacity(candidates.len() + 1);
        for below in std::iter::once(None).chain((0..candidates.len()).map(Some)) {
            let from = below.map_or(0, |p: usize| candidates[p] + 1);
            let mut row = vec![u128::MAX; candidates.len()];
            let mut sum = 0u128;
            let mut length = from;
            for (i, &level) in candidates.iter().enumerate() {
                if level < from {
                    continue;
                }
                while length <= level {
                    let n = counts.get(length as usize).copied().unwrap_or(0);
                    sum = sum.saturating_mul(2).saturating_add(n);
                    length += 1;
                }
                row[i] = sum;
            }
            cost.push(row);
        }
        let first = (0..candidates.len()).map(|i| (cost[0][i], None)).collect();
        let every_level_entries =
            (0..candidates.len()).fold(0u128, |sum, i| sum.saturating_add(cost[i][i]));
        LevelTable {
            candidates,
            cost,
            layers: vec![first],
            every_level_entries,
        }
    }

    /// Most levels possible: every candidate.
    fn most_levels(&self) -> usize {
        self.candidates.len()
    }

    /// Fewest entries with `j` levels (1..=most_levels).
    fn entries(&mut self, j: usize) -> u128 {
        if j == self.most_levels() {
            return self.every_level_entries;
        }
        while self.layers.len() < j {
            let below = &self.layers[self.layers.len() - 1];
            let used = self.layers.len();
            let next = (0..self.candidates.len())
                .map(|i| {
                    let mut best = (u128::MAX, None);
                    // A layer of `used` levels needs at least `used` candidates.
                    for (p, &(entries, _)) in below.iter().enumerate().take(i).skip(used - 1) {
                        let total = entries.saturating_add(self.cost[p + 1][i]);
                        if best.1.is_none() || total < best.0 {
                            best = (total, Some(p));
                        }
                    }
                    best
                })
                .collect();
            self.layers.push(next);
        }
        self.layers[j - 1][self.candidates.len() - 1].0
    }

    /// The levels of the best choice with `j` levels.
    fn choice(&mut self, j: usize) -> LevelChoice {
        if j == self.most_levels() {
            return LevelChoice {
                levels: self.candidates.clone(),
                entries: self.every_level_entries,
            };
        }
        let entries = self.entries(j);
        let mut levels = Vec::with_capacity(j);
        let mut at = Some(self.candidates.len() - 1);
        for layer in (0..j).rev() {
            let Some(i) = at else { break };
            levels.push(self.candidates[i]);
            at = self.layers[layer][i].1;
        }
        levels.reverse();
        LevelChoice { levels, entries }
    }
}

/// For every number of levels (1, 2, ... up to every length present), the
/// fewest entries: CIDR counts per prefix length (`counts[q]`, q = 0..=M, of
/// disjoint CIDRs) expanded to levels no lower than `lowest`. Every choice
/// holds the longest length present. Empty counts give one empty choice.
pub fn level_options(counts: &[u128], lowest: u32) -> Vec<LevelChoice> {
    let mut table = LevelTable::new(counts, lowest);
    if table.most_levels() == 0 {
        return vec![LevelChoice {
            levels: Vec::new(),
            entries: 0,
        }];
    }
    (1..=table.most_levels()).map(|j| table.choice(j)).collect()
}

/// Entries without reduction (the choice [`Reduce::Off`] makes), counted
/// directly: every length kept, those below `lowest` expanded to it.
pub fn unreduced_entries(counts: &[u128], lowest: u32) -> u128 {
    let top_len = counts.len().saturating_sub(1) as u32;
    let lowest = lowest.min(top_len);
    (0..=top_len).fold(0u128, |sum, q| {
        let n = counts.get(q as usize).copied().unwrap_or(0);
        sum.saturating_add(times_power_of_two(n, lowest.saturating_sub(q)))
    })
}

/// The choice `policy` makes for CIDR counts per prefix length (see
/// [`level_options`]), held to at most `cap` entries: above it, the fewest
/// levels within the cap; if even no reduction exceeds the cap, no
/// reduction (the caller reports it). The n of a policy is the entry count
/// without reduction: the CIDR count, where a CIDR below `lowest` counts as
/// its expansion to `lowest`.
pub fn choose_levels(counts: &[u128], lowest: u32, policy: Reduce, cap: u128) -> LevelChoice {
    let mut table = LevelTable::new(counts, lowest);
    let most = table.most_levels();
    if most == 0 {
        return LevelChoice {
            levels: Vec::new(),
            entries: 0,
        };
    }
    let n = table.entries(most);
    let fewest_within = |table: &mut LevelTable, limit: u128| {
        (1..=most)
            .find(|&j| table.entries(j) <= limit)
            .unwrap_or(most)
    };
    let levels = match policy {
        Reduce::Off => most,
        Reduce::Percent(p) => {
            let budget = n.saturating_mul(100 + u128::from(p)) / 100;
            fewest_within(&mut table, budget.min(cap))
        }
        Reduce::Auto => {
            let mut j = most;
            while j > 1 {
                let (now, fewer) = (table.entries(j), table.entries(j - 1));
                let step_ok = fewer.saturating_sub(now).saturating_mul(AUTO_STEP_DIVISOR) <= n;
                if !step_ok || fewer > n.saturating_mul(AUTO_TOTAL_FACTOR) {
                    break;
                }
                j -= 1;
            }
            j
        }
    };
    let levels = if table.entries(levels) > cap {
        fewest_within(&mut table, cap)
    } else {
        levels
    };
    table.choice(levels)
}

/// Every CIDR of length q expanded to the lowest level L >= q (2^(L-q)
/// CIDRs of length L) in a `width`-bit space. A CIDR above every level is
/// kept as it is. An error, before anything is allocated, when the result
/// would hold more than `limit` CIDRs.
pub fn expand(
    width: u32,
    cidrs: &[Cidr],
    levels: &[u32],
    limit: usize,
) -> Result<Vec<Cidr>, String> {
    let target = |c: &Cidr| {
        let q = u32::from(c.len);
        levels
            .iter()
            .copied()
            .find(|&l| l >= q && l <= width)
            .unwrap_or(q)
    };
    let total = cidrs.iter().fold(0u128, |sum, c| {
        sum.saturating_add(times_power_of_two(1, target(c) - u32::from(c.len)))
    });
    if total > limit as u128 {
        return Err(format!(
            "expanding {} CIDRs to levels {levels:?} gives {total} entries, more than {limit}",
            cidrs.len()
        ));
    }
    let mut out = Vec::with_capacity(total as usize);
    for c in cidrs {
        let level = target(c);
        let host = width.saturating_sub(level);
        let pieces = low_mask(level - u32::from(c.len));
        for i in 0..=pieces {
            out.push(Cidr {
                bits: c.bits | i.checked_shl(host).unwrap_or(0),
                len: level as u8,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefix::ranges::Ranges;
    use proptest::prelude::*;

    #[test]
    fn reduce_parses_and_prints() {
        assert_eq!("off".parse(), Ok(Reduce::Off));
        assert_eq!("auto".parse(), Ok(Reduce::Auto));
        assert_eq!("20".parse(), Ok(Reduce::Percent(20)));
        assert_eq!("20%".parse(), Ok(Reduce::Percent(20)));
        assert_eq!("0".parse(), Ok(Reduce::Percent(0)));
        assert_eq!("10000%".parse(), Ok(Reduce::Percent(10_000)));
        for bad in ["10001", "-1", "+5", "", "%", "x%", "20%%", "Auto", "\x1b"] {
            let e = bad.parse::<Reduce>().unwrap_err();
            assert!(e.contains("use off, auto, or a percentage"), "{e}");
            assert!(!e.contains('\x1b'));
        }
        assert_eq!(Reduce::Percent(20).to_string(), "20%");
        assert_eq!(Reduce::Auto.to_string().parse(), Ok(Reduce::Auto));
    }

    #[test]
    fn options_and_policies_on_a_small_example() {
        // 4 /24s, 100 /30s, 1 /32 (width 32).
        let mut counts = vec![0u128; 33];
        counts[24] = 4;
        counts[30] = 100;
        counts[32] = 1;
        let opts = level_options(&counts, 1);
        assert_eq!(opts.len(), 3);
        assert_eq!(opts[2].levels, vec![24, 30, 32]);
        assert_eq!(opts[2].entries, 105);
        assert_eq!(opts[1].levels, vec![30, 32]);
        assert_eq!(opts[1].entries, 4 * 64 + 100 + 1);
        assert_eq!(opts[0].entries, 4 * 256 + 400 + 1);
        assert_eq!(choose_levels(&counts, 1, Reduce::Off, u128::MAX), opts[2]);
        assert_eq!(unreduced_entries(&counts, 1), 105);
        assert_eq!(unreduced_entries(&counts, 30), 4 * 64 + 101);
        assert_eq!(
            choose_levels(&counts, 1, Reduce::Percent(10_000), u128::MAX),
            opts[0]
        );
        assert_eq!(
            choose_levels(&counts, 1, Reduce::Percent(239), u128::MAX),
            opts[2]
        );
        assert_eq!(
            choose_levels(&counts, 1, Reduce::Percent(240), u128::MAX),
            opts[1]
        );
        assert_eq!(choose_levels(&counts, 1, Reduce::Auto, u128::MAX), opts[2]);
        // A cap below the choice takes more levels; below Off gives Off.
        assert_eq!(
            choose_levels(&counts, 1, Reduce::Percent(10_000), 1424),
            opts[1]
        );
        assert_eq!(
            choose_levels(&counts, 1, Reduce::Percent(10_000), 5),
            opts[2]
        );
        // Auto takes cheap steps: 8 /31 and 800 /32 -> one level (/32).
        let mut counts = vec![0u128; 33];
        counts[31] = 8;
        counts[32] = 800;
        assert_eq!(
            choose_levels(&counts, 1, Reduce::Auto, u128::MAX).levels,
            vec![32]
        );
        assert!(choose_levels(&[], 1, Reduce::Auto, 0).levels.is_empty());
    }

    #[test]
    fn huge_counts_saturate_and_lowest_level_lifts_zero() {
        let mut counts = vec![0u128; 129];
        counts[1] = 1 << 100;
        counts[128] = 1 << 100;
        let opts = level_options(&counts, 1);
        assert_eq!(opts[0].entries, u128::MAX);
        assert_eq!(opts[1].entries, 1 << 101);
        let mut counts = vec![0u128; 9];
        counts[0] = 1;
        let opts = level_options(&counts, 1);
        assert_eq!(
            opts,
            vec![LevelChoice {
                levels: vec![1],
                entries: 2
            }]
        );
        let halves = expand(8, &[Cidr { bits: 0, len: 0 }], &[1], 10).unwrap();
        assert_eq!(
            halves,
            vec![Cidr { bits: 0, len: 1 }, Cidr { bits: 128, len: 1 }]
        );
        assert!(expand(128, &[Cidr { bits: 0, len: 0 }], &[128], 1000).is_err());
        // Width 0 (a projected space of one address): level 0 only.
        assert_eq!(level_options(&[1], 1)[0].levels, vec![0]);
    }

    proptest! {
        #[test]
        fn dynamic_program_matches_every_subset(counts in proptest::collection::vec(0u128..5, 1..=9), lowest in 0u32..3) {
            let m = counts.len() as u32 - 1;
            let lowest_level = lowest.min(m);
            let opts = level_options(&counts, lowest);
            let longest = (0..=m).rev().find(|&q| counts[q as usize] > 0);
            let Some(longest) = longest else {
                prop_assert_eq!(opts.len(), 1);
                return Ok(());
            };
            let top = longest.max(lowest_level);
            let mut best = std::collections::BTreeMap::<usize, u128>::new();
            for mask in 0u32..1 << (m + 1) {
                let levels: Vec<u32> = (0..=m).filter(|&l| mask >> l & 1 == 1).collect();
                if levels.iter().any(|&l| l < lowest_level) || levels.last() != Some(&top) {
                    continue;
                }
                let total: u128 = (0..=top).map(|q| {
                    let l = *levels.iter().find(|&&l| l >= q).unwrap();
                    counts[q as usize] << (l - q)
                }).sum();
                let e = best.entry(levels.len()).or_insert(u128::MAX);
                *e = (*e).min(total);
            }
            for (j, choice) in opts.iter().enumerate() {
                prop_assert_eq!(choice.levels.len(), j + 1);
                prop_assert_eq!(Some(&choice.entries), best.get(&(j + 1)));
            }
            prop_assert_eq!(opts.last().map(|c| c.entries), Some(unreduced_entries(&counts, lowest)));
            // More levels than candidates never helps.
            let overall = best.values().min().copied();
            prop_assert_eq!(opts.last().map(|c| c.entries), overall);
            // Expansion of a disjoint set is exact, with the predicted count.
            let mut cidrs = Vec::new();
            let mut at = 0u128;
            for (q, &n) in counts.iter().enumerate().rev() {
                for _ in 0..n {
                    let size = 1u128 << (m - q as u32);
                    at = at.div_ceil(size) * size;
                    if at + size <= 1u128 << m {
                        cidrs.push(Cidr { bits: at, len: q as u8 });
                        at += size;
                    }
                }
            }
            let have = Ranges::from_cidrs(m.max(1), cidrs.iter().copied());
            if m >= 1 {
                for choice in &opts {
                    let out = expand(m, &cidrs, &choice.levels, 1 << 20).unwrap();
                    prop_assert_eq!(Ranges::from_cidrs(m, out.iter().copied()), have.clone());
                    prop_assert!(out.iter().all(|c| choice.levels.contains(&u32::from(c.len))));
                }
            }
        }
    }
}
