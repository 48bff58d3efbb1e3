//! The family's addresses as one list again: the minimal real CIDR cover of
//! the union, over every shard, of the addresses with that shard's tag whose
//! projection the shard covers ([`family_cover`]).

use super::geometry::Geometry;
use super::ranges::{low_mask, Cidr, Ranges};

/// Real CIDRs, counted against a limit before they are made.
struct Pieces {
    cidrs: Vec<Cidr>,
    limit: usize,
}

impl Pieces {
    fn reserve(&mut self, more: u128) -> Result<(), String> {
        let total = (self.cidrs.len() as u128).saturating_add(more);
        if total > self.limit as u128 {
            return Err(format!(
                "the family's addresses need more than {} CIDRs before merging ({total} or more)",
                self.limit
            ));
        }
        self.cidrs.reserve(more as usize);
        Ok(())
    }
}

/// The minimal real CIDR cover of a family whose shard `t` covers
/// `per_shard_coverage[t]` in its projected space (one entry per shard).
///
/// What every shard covers lifts once for all tags; the rest of a shard
/// lifts with its tag, where a projected CIDR that leaves the tag bits free
/// becomes a strided set of real CIDRs of length W-S. An error, before it
/// is allocated, when more than `limit` real CIDRs would be made.
pub fn family_cover(
    g: &Geometry,
    per_shard_coverage: &[Ranges],
    limit: usize,
) -> Result<Vec<Cidr>, String> {
    if per_shard_coverage.len() != g.shards() as usize {
        return Err(format!(
            "{} shard coverages given for a family of {} shards",
            per_shard_coverage.len(),
            g.shards()
        ));
    }
    let projected_width = g.projected_width();
    let free_len = g.free_tag_len();
    let mut common = Ranges::full(projected_width);
    for coverage in per_shard_coverage {
        common = common.intersect(coverage);
    }
    let mut pieces = Pieces {
        cidrs: Vec::new(),
        limit,
    };
    for p in common.to_cidrs() {
        let q = u32::from(p.len);
        if q <= free_len {
            pieces.reserve(1)?;
            pieces.cidrs.push(Cidr {
                bits: g.unproj(p.bits, 0),
                len: p.len,
            });
        } else {
            pieces.reserve(u128::from(g.shards()))?;
            for t in 0..g.shards() {
                pieces.cidrs.push(Cidr {
                    bits: g.unproj(p.bits, t),
                    len: (q + g.tag_bits()) as u8,
                });
            }
        }
    }
    for (t, coverage) in (0u32..).zip(per_shard_coverage) {
        let own = Ranges::from_intervals(projected_width, coverage.intervals().iter().copied())
            .difference(&common);
        for p in own.to_cidrs() {
            let q = u32::from(p.len);
            if q > free_len {
                pieces.reserve(1)?;
                pieces.cidrs.push(Cidr {
                    bits: g.unproj(p.bits, t),
                    len: (q + g.tag_bits()) as u8,
                });
                continue;
            }
            // Tag t only: one real /(W-S) per value of the free bits
            // between the prefix and the tag.
            let stride_bits = free_len - q;
            pieces.reserve(low_mask(stride_bits).saturating_add(1))?;
            for i in 0..=low_mask(stride_bits) {
                let projected = p.bits | i.checked_shl(g.shift()).unwrap_or(0);
                pieces.cidrs.push(Cidr {
                    bits: g.unproj(projected, t),
                    len: (g.width() - g.shift()) as u8,
                });
            }
        }
    }
    Ok(Ranges::from_cidrs(g.width(), pieces.cidrs).to_cidrs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefix::geometry::{shard_coverage, split_list};
    use crate::prefix::levels::Reduce;
    use crate::prefix::target::{common_coverage, shard_target};
    use proptest::prelude::*;

    fn c(bits: u128, len: u8) -> Cidr {
        Cidr { bits, len }
    }

    #[test]
    fn whole_spaces_and_single_hosts() {
        for (width, k, shift) in [
            (32, 4, 8),
            (128, 4, 64),
            (128, 0, 0),
            (128, 10, 118),
            (8, 8, 0),
        ] {
            let g = Geometry::new(width, k, shift).unwrap();
            let full = vec![Ranges::full(g.projected_width()); g.shards() as usize];
            assert_eq!(family_cover(&g, &full, 10).unwrap(), vec![c(0, 0)]);
            let host = c(low_mask(width), width as u8);
            let split = split_list(&g, &[host]);
            assert_eq!(family_cover(&g, &split, 10).unwrap(), vec![host]);
            let none = vec![Ranges::empty(g.projected_width()); g.shards() as usize];
            assert_eq!(family_cover(&g, &none, 0).unwrap(), vec![]);
        }
    }

    #[test]
    fn neighbouring_tags_merge_and_strides_are_limited() {
        // bits:8, 16 shards: the four /24s of a /22 sit in shards 4..8.
        let g = Geometry::new(32, 4, 8).unwrap();
        let split = split_list(&g, &[c(0x0a01_2400, 22)]);
        assert_eq!(
            family_cover(&g, &split, 100).unwrap(),
            vec![c(0x0a01_2400, 22)]
        );
        // One shard covering a projected /8: 2^12 real /24s, one per stride.
        let mut coverage = vec![Ranges::empty(28); 16];
        coverage[3] = Ranges::from_cidrs(28, [c(0x0a0_0000, 8)]);
        let err = family_cover(&g, &coverage, 4095).unwrap_err();
        assert!(err.contains("more than 4095 CIDRs"), "{err}");
        let cover = family_cover(&g, &coverage, 4096).unwrap();
        assert_eq!(cover.len(), 4096);
        assert!(cover.iter().all(|x| x.len == 24 && g.tag(x.bits) == 3));
        // IPv6 with a projected /1 in one shard: 2^59 pieces are refused.
        let g = Geometry::new(128, 4, 64).unwrap();
        let mut coverage = vec![Ranges::empty(124); 16];
        coverage[0] = Ranges::from_cidrs(124, [c(0, 1)]);
        assert!(family_cover(&g, &coverage, 1 << 20).is_err());
        assert!(family_cover(&g, &coverage[..3], 1 << 20).is_err());
    }

    fn any_policy() -> impl Strategy<Value = Reduce> {
        prop_oneof![
            Just(Reduce::Off),
            Just(Reduce::Auto),
            (0u32..=300).prop_map(Reduce::Percent),
        ]
    }

    proptest! {
        /// The whole pipeline on small spaces, every address checked: the
        /// list split over the shards, each shard's target stored, and the
        /// family answers membership exactly like the list.
        #[test]
        fn reduced_family_answers_like_the_list(
            width in 6u32..=10,
            raw in proptest::collection::vec((any::<u128>(), 0u8..=10), 0..10),
            k in 0u32..=3,
            shift in 0u32..=10,
            policy in any_policy(),
            cap in prop_oneof![Just(usize::MAX), 0usize..40],
        ) {
            let shift = shift.min(width - k);
            let g = Geometry::new(width, k, shift).unwrap();
            let list: Vec<Cidr> = raw.into_iter().map(|(b, l)| {
                let len = u32::from(l).min(width);
                c(b & low_mask(width) & !low_mask(width - len), len as u8)
            }).collect();
            let model = Ranges::from_cidrs(width, list.iter().copied());
            let list_cover = model.to_cidrs();
            let split = split_list(&g, &list_cover);
            prop_assert_eq!(&split, &split_list(&g, &list));
            let common = common_coverage(&g, &split);
            let mut stored = Vec::new();
            let mut all_within = true;
            for (t, coverage) in (0u32..).zip(&split) {
                let off = shard_target(&g, t, coverage, &common, Reduce::Off, usize::MAX).unwrap();
                let target = shard_target(&g, t, coverage, &common, policy, cap).unwrap();
                if !target.within_cap {
                    // Nothing made; even no reduction is over the cap.
                    prop_assert!(target.cidrs.is_empty() && off.cidrs.len() > cap);
                    all_within = false;
                    continue;
                }
                prop_assert!(target.cidrs.iter().all(|x| x.is_valid(width) && x.len >= 1));
                prop_assert_eq!(&shard_coverage(&g, t, &target.cidrs).unwrap(), coverage);
                prop_assert!(target.cidrs.len() <= cap);
                prop_assert!(target.cidrs.len() >= off.cidrs.len());
                if let Reduce::Percent(p) = policy {
                    prop_assert!(target.cidrs.len() as u128 <= (off.cidrs.len() as u128 * (100 + u128::from(p)) / 100).max(off.cidrs.len() as u128));
                }
                stored.push(target.cidrs);
            }
            if all_within {
                for a in 0..=low_mask(width) {
                    let t = g.tag(a) as usize;
                    let member = stored[t].iter().any(|x| x.contains(width, a));
                    prop_assert_eq!(member, model.contains(a), "address {}", a);
                    // Any shard that holds an address holds a member: the
                    // umbrella list:set, which asks every shard, is exact.
                    let anywhere = stored.iter().any(|s| s.iter().any(|x| x.contains(width, a)));
                    prop_assert_eq!(anywhere, model.contains(a), "umbrella, address {}", a);
                }
            }
            prop_assert_eq!(family_cover(&g, &split, 1 << 16).unwrap(), list_cover);
        }
    }
}
