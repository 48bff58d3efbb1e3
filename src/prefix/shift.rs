//! Choosing the routing shift S of a `bits:S` hash:net family for a list:
//! the S whose fullest shard holds the fewest kernel elements after prefix
//! reduction ([`choose_shift`]).
//!
//! Every S is scanned once for the minimal cover of each shard (one pass over
//! the sorted list per S: within a shard, projection keeps the list's order;
//! what every shard holds is counted once, not once per shard).
//! No reduction stores fewer elements than that cover, so it is an exact
//! lower bound: shifts are fully evaluated (levels chosen per shard) best
//! bound first, and the search stops at the first bound worse than the best
//! found.

use super::geometry::{project, split_list, Geometry};
use super::levels::{unreduced_entries, Reduce};
use super::ranges::{interval_cidrs, push_merged, Cidr, Ranges};
use super::target::{common_coverage, family_choices, lowest_level, stored_entries};

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

/// Adds (or with `add` false, takes away) the minimal cover of an interval
/// to counts per prefix length.
fn count_interval(width: u32, (start, end): (u128, u128), counts: &mut [u128], add: bool) {
    interval_cidrs(width, start, end, |x| {
        let n = &mut counts[usize::from(x.len)];
        *n = if add { *n + 1 } else { n.saturating_sub(1) };
    });
}

/// One shard's scan state: its open interval, and where it stands in the
/// intervals common to every shard.
#[derive(Clone, Default)]
struct ShardScan {
    open: Option<(u128, u128)>,
    next_common: usize,
}

impl ShardScan {
    /// Grows the open interval over every common interval it touches, whose
    /// blocks are taken out of the counts (they are counted again as part
    /// of the open interval when it closes).
    fn absorb_common(&mut self, width: u32, common: &[(u128, u128)], counts: &mut [u128]) {
        let Some((start, end)) = self.open.as_mut() else {
            return;
        };
        // Gallop to the first common interval that reaches `start`.
        let before = |c: &(u128, u128)| c.1.saturating_add(1) < *start;
        if common.get(self.next_common).is_some_and(before) {
            let mut step = 1;
            while common.get(self.next_common + step).is_some_and(before) {
                step *= 2;
            }
            let end = common.len().min(self.next_common + step + 1);
            self.next_common += common[self.next_common..end].partition_point(before);
        }
        while let Some(&(s, e)) = common
            .get(self.next_common)
            .filter(|c| c.0 <= end.saturating_add(1))
        {
            count_interval(width, (s, e), counts, false);
            (*start, *end) = ((*start).min(s), (*end).max(e));
            self.next_common += 1;
        }
    }
}

/// Minimal-cover CIDR counts per projected prefix length of every shard:
/// `counts[t][len]`. `cover` must be sorted and disjoint.
///
/// What goes to every shard (tag bits all free) is counted once; each
/// shard's own pieces are streamed in order, and re-count only the common
/// intervals they touch.
fn shard_cover_counts(g: &Geometry, cover: &[Cidr]) -> Vec<Vec<u128>> {
    let width = g.projected_width();
    let shards = g.shards() as usize;
    let every_shard = |c: &Cidr| u32::from(c.len) <= g.free_tag_len();
    let mut common = Vec::new();
    for c in cover.iter().filter(|c| every_shard(c)) {
        let (_, p) = project(g, *c);
        push_merged(&mut common, (p.bits, p.last(width)));
    }
    let mut common_counts = vec![0u128; width as usize + 1];
    for &interval in &common {
        count_interval(width, interval, &mut common_counts, true);
    }
    let mut counts = vec![common_counts; shards];
    let mut scans = vec![ShardScan::default(); shards];
    for c in cover.iter().filter(|c| !every_shard(c)) {
        let (range, p) = project(g, *c);
        let (start, end) = (p.bits, p.last(width));
        for t in range {
            let (scan, counts) = (&mut scans[t as usize], &mut counts[t as usize]);
            match &mut scan.open {
                Some(open) if start <= open.1.saturating_add(1) => open.1 = open.1.max(end),
                slot => {
                    if let Some(closed) = slot.replace((start, end)) {
                        count_interval(width, closed, counts, true);
                    }
                }
            }
            scan.absorb_common(width, &common, counts);
        }
    }
    for (scan, counts) in scans.iter().zip(&mut counts) {
        if let Some(closed) = scan.open {
            count_interval(width, closed, counts, true);
        }
    }
    counts
}

/// (fullest, total) kernel elements of a geometry after reduction, as
/// [`shard_target`](super::geometry::shard_target) would store them.
fn evaluate(g: &Geometry, cover: &[Cidr], policy: Reduce, cap: usize) -> (u128, u128) {
    let split = split_list(g, cover);
    let common = common_coverage(g, &split);
    family_choices(g, &split, &common, policy, cap)
        .iter()
        .map(|c| stored_entries(&c.levels, c.entries))
        .fold((0u128, 0u128), |(fullest, total), entries| {
            (fullest.max(entries), total.saturating_add(entries))
        })
}

/// (fullest, total) without reduction: a lower bound for every policy.
fn lower_bound(g: &Geometry, counts: &[Vec<u128>]) -> (u128, u128) {
    let lowest = lowest_level(g);
    counts
        .iter()
        .fold((0u128, 0u128), |(fullest, total), shard| {
            // A projected /0 stays one level 0 entry, stored as two /1s.
            let split = lowest == 0 && shard.first().is_some_and(|&n| n > 0);
            let entries = unreduced_entries(shard, lowest).saturating_add(u128::from(split));
            (fullest.max(entries), total.saturating_add(entries))
        })
}

/// The shift S in 0..=W-k for a family of 2^k shards holding `list_cover`
/// (any CIDRs of a `width`-bit space) that minimises the fullest shard's
/// kernel elements after `policy` reduction within `cap` elements per shard;
/// ties go to fewer elements in total, then to the larger S. S stays at
/// most `max_shift` (a family that may grow to more shards keeps room for
/// their tag bits).
pub fn choose_shift(
    list_cover: &[Cidr],
    width: u32,
    k: u32,
    policy: Reduce,
    cap: usize,
    max_shift: u32,
) -> Result<ShiftChoice, String> {
    Geometry::new(width, k, 0)?;
    if let Some(bad) = list_cover.iter().find(|c| !c.is_valid(width)) {
        return Err(format!(
            "{:#x}/{} is not a {width}-bit network",
            bad.bits, bad.len
        ));
    }
    let cover = Ranges::from_cidrs(width, list_cover.iter().copied()).to_cidrs();
    let top = max_shift.min(width - k);
    let mut bounds = Vec::new();
    // With one shard every shift is the same geometry: take the largest.
    let first_shift = if k == 0 { top } else { 0 };
    for shift in first_shift..=top {
        let g = Geometry::new(width, k, shift)?;
        let counts = shard_cover_counts(&g, &cover);
        let (fullest, total) = lower_bound(&g, &counts);
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
        let (fullest, total) = evaluate(&g, &cover, policy, cap);
        evaluated += 1;
        let better = match best {
            None => true,
            Some((f, t, s)) => (fullest, total, s) < (f, t, shift),
        };
        if better {
            best = Some((fullest, total, shift));
        }
    }
    let (fullest, total, shift) = best.unwrap_or((0, 0, top));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefix::geometry::split_list;
    use crate::prefix::ranges::low_mask;
    use crate::prefix::target::shard_pieces;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// (fullest, total, most levels) of a geometry, built shard by shard.
    fn built(g: &Geometry, cover: &[Cidr], policy: Reduce, cap: usize) -> (usize, usize, usize) {
        let split = split_list(g, cover);
        let common = common_coverage(g, &split);
        let choices = family_choices(g, &split, &common, policy, cap);
        (0u32..).zip(&split).zip(&choices).fold(
            (0, 0, 0),
            |(f, t, l), ((tag, coverage), choice)| {
                let target = shard_pieces(g, tag, coverage, &common, choice, cap).unwrap();
                let elements = target.elements as usize;
                (f.max(elements), t + elements, l.max(target.levels))
            },
        )
    }

    proptest! {
        /// The chosen shift is the best of all, evaluated the slow way.
        #[test]
        fn chosen_shift_is_the_best_of_all(
            width in 4u32..=10,
            raw in proptest::collection::vec((any::<u128>(), 0u8..=10), 0..12),
            k in 0u32..=3,
            policy in prop_oneof![Just(Reduce::Off), Just(Reduce::Auto), (0u32..=200).prop_map(Reduce::Percent)],
            cap in prop_oneof![Just(usize::MAX), 1usize..30],
        ) {
            let list: Vec<Cidr> = raw.into_iter().map(|(b, l)| {
                let len = u32::from(l).min(width);
                Cidr { bits: b & low_mask(width) & !low_mask(width - len), len: len as u8 }
            }).collect();
            let cover = Ranges::from_cidrs(width, list.iter().copied()).to_cidrs();
            let got = choose_shift(&cover, width, k, policy, cap, width).unwrap();
            let mut best = None;
            for shift in 0..=width - k {
                let g = Geometry::new(width, k, shift).unwrap();
                let (f, t, _) = built(&g, &cover, policy, cap);
                if shift == got.shift {
                    prop_assert_eq!((f, t), (got.fullest, got.total));
                }
                if best.is_none_or(|(bf, bt, _)| (f, t) <= (bf, bt)) {
                    best = Some((f, t, shift));
                }
            }
            prop_assert_eq!(best, Some((got.fullest, got.total, got.shift)));
        }
    }

    #[test]
    fn edge_cases() {
        let empty = choose_shift(&[], 32, 4, Reduce::Auto, 10, 32).unwrap();
        assert_eq!((empty.shift, empty.fullest, empty.total), (28, 0, 0));
        assert!(choose_shift(&[Cidr { bits: 1, len: 24 }], 32, 4, Reduce::Off, 10, 32).is_err());
        assert!(choose_shift(&[], 32, 33, Reduce::Off, 10, 32).is_err());
        let all = [Cidr { bits: 0, len: 0 }];
        let one = choose_shift(&all, 128, 0, Reduce::Off, usize::MAX, 127).unwrap();
        assert_eq!((one.shift, one.fullest, one.total), (127, 2, 2));
        let host = [Cidr {
            bits: u128::MAX,
            len: 128,
        }];
        let one = choose_shift(&host, 128, 10, Reduce::Auto, usize::MAX, 128).unwrap();
        assert_eq!((one.shift, one.fullest, one.total), (118, 1, 1));
        // Capped: room left for more shards.
        let capped = choose_shift(&host, 128, 4, Reduce::Auto, usize::MAX, 100).unwrap();
        assert_eq!(capped.shift, 100);
    }

    /// A tiny deterministic generator (SplitMix64).
    struct Prng(u64);

    impl Prng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            crate::route::mix64(self.0)
        }
    }

    /// Non-overlapping random CIDRs of a `width`-bit space, `count` of each
    /// prefix length (shortest placed first; a taken spot is retried).
    fn synthetic(width: u32, lengths: &[(u32, usize)], seed: u64) -> Vec<Cidr> {
        let mut rng = Prng(seed);
        let mut taken = BTreeMap::<u128, u128>::new();
        let mut sorted = lengths.to_vec();
        sorted.sort_unstable();
        for (len, count) in sorted {
            let mut placed = 0;
            for _ in 0..count * 4 {
                if placed == count {
                    break;
                }
                let random =
                    (u128::from(rng.next()) << 64 | u128::from(rng.next())) & low_mask(width);
                let c = Cidr {
                    bits: random & !low_mask(width - len),
                    len: len as u8,
                };
                let last = c.last(width);
                let clash = taken
                    .range(..=last)
                    .next_back()
                    .is_some_and(|(_, &e)| e >= c.bits);
                if !clash {
                    taken.insert(c.bits, last);
                    placed += 1;
                }
            }
        }
        taken
            .into_iter()
            .map(|(s, e)| Cidr {
                bits: s,
                len: (width - (e - s).count_ones()) as u8,
            })
            .collect()
    }

    const REALISTIC_V4: &[(u32, usize)] = &[
        (8, 1),
        (10, 5),
        (11, 1),
        (12, 14),
        (13, 26),
        (14, 40),
        (15, 102),
        (16, 335),
        (17, 164),
        (18, 285),
        (19, 708),
        (20, 915),
        (21, 1434),
        (22, 3853),
        (23, 3483),
        (24, 8041),
        (25, 1426),
        (26, 2211),
        (27, 3750),
        (28, 7557),
        (29, 11600),
        (30, 2795),
        (31, 929),
        (32, 2435),
    ];

    #[test]
    fn realistic_ipv4_list() {
        let list = synthetic(32, REALISTIC_V4, 1);
        let cover = Ranges::from_cidrs(32, list.iter().copied()).to_cidrs();
        println!(
            "synthetic list: {} CIDRs, minimal cover {}",
            list.len(),
            cover.len()
        );
        for k in [0, 4] {
            let mut last_levels = usize::MAX;
            let off_total = built(
                &Geometry::new(32, k, 0).unwrap(),
                &cover,
                Reduce::Off,
                usize::MAX,
            )
            .1;
            for policy in [
                Reduce::Off,
                Reduce::Percent(20),
                Reduce::Percent(100),
                Reduce::Auto,
            ] {
                let choice = choose_shift(&cover, 32, k, policy, usize::MAX, 32).unwrap();
                let g = Geometry::new(32, k, choice.shift).unwrap();
                let (fullest, total, levels) = built(&g, &cover, policy, usize::MAX);
                assert_eq!((fullest, total), (choice.fullest, choice.total));
                let off = built(&g, &cover, Reduce::Off, usize::MAX);
                println!(
                    "{:>2} shards {policy:>5}: bits:{:<2} total {total:>6} fullest {fullest:>6} max lengths/shard {levels:>2} (off here: total {} lengths {}) replication {:.3}, {} shifts evaluated",
                    1 << k, choice.shift, off.1, off.2, choice.replication, choice.evaluated
                );
                match policy {
                    Reduce::Percent(100) | Reduce::Auto => assert!(total <= 2 * off.1),
                    Reduce::Percent(20) => assert!(total * 100 <= 120 * off.1),
                    _ => {}
                }
                if k == 0 && policy != Reduce::Auto {
                    assert!(levels <= last_levels, "levels grow with the budget");
                    last_levels = levels;
                }
                assert!(off_total >= cover.len());
            }
        }
    }

    /// Timing on big lists: `cargo test --release --lib prefix::shift --
    /// --ignored --nocapture`.
    #[test]
    #[ignore]
    fn big_lists_are_decided_quickly() {
        let scaled: Vec<(u32, usize)> = REALISTIC_V4
            .iter()
            .map(|&(len, n)| (len, if len >= 16 { n * 20 } else { n }))
            .collect();
        let v4 = synthetic(32, &scaled, 7);
        let v6_lengths: Vec<(u32, usize)> = (16..=128u32)
            .map(|len| {
                (
                    len,
                    match len {
                        48 | 64 => 30_000,
                        128 => 20_000,
                        _ => 180,
                    },
                )
            })
            .collect();
        let v6 = synthetic(128, &v6_lengths, 9);
        for (name, width, list) in [("IPv4", 32, &v4), ("IPv6", 128, &v6)] {
            for (k, policy) in [
                (4, Reduce::Off),
                (4, Reduce::Percent(20)),
                (4, Reduce::Percent(100)),
                (4, Reduce::Auto),
                (10, Reduce::Auto),
            ] {
                if k == 10 && std::env::var_os("PREFIX_TIME_1024_SHARDS").is_none() {
                    continue;
                }
                let start = std::time::Instant::now();
                let choice = choose_shift(list, width, k, policy, usize::MAX, width).unwrap();
                println!(
                    "{name} {} CIDRs, {} shards, {policy}: {:?} -> bits:{} fullest {} total {} ({} shifts evaluated)",
                    list.len(), 1 << k, start.elapsed(), choice.shift, choice.fullest, choice.total, choice.evaluated
                );
            }
        }
    }
}
