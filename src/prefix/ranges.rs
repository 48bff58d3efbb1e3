//! Address sets as sorted, disjoint, merged intervals ([`Ranges`]), and the
//! CIDR block ([`Cidr`]) they are built from and cut back into: union,
//! intersection, difference and the minimal CIDR cover, for any address
//! width from 1 to 128 bits (the full 128-bit space included).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::addr::{AddrFamily, Entry};

/// All ones in the low `n` bits (all 128 bits for `n >= 128`).
pub fn low_mask(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// A network block: its network address (host bits zero) and prefix length.
/// The address width (32 for IPv4 in the low bits, 128, or any width in
/// tests) is given by whoever holds the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    pub bits: u128,
    pub len: u8,
}

impl Cidr {
    /// The block of an entry (a host is a block of the full width).
    pub fn from_entry(entry: &Entry) -> Cidr {
        Cidr {
            bits: entry.bits(),
            len: entry.prefix,
        }
    }

    /// The entry of this block in an address family, or why it is not one.
    pub fn to_entry(self, family: AddrFamily) -> Result<Entry, String> {
        let width = family.width();
        if !self.is_valid(width) {
            return Err(format!(
                "{:#x}/{} is not a {family} network (host bits set or prefix too long)",
                self.bits, self.len
            ));
        }
        let addr = match family {
            AddrFamily::Inet => IpAddr::V4(Ipv4Addr::from(self.bits as u32)),
            AddrFamily::Inet6 => IpAddr::V6(Ipv6Addr::from(self.bits)),
        };
        Ok(Entry {
            addr,
            prefix: self.len,
        })
    }

    /// Whether this is a block of a `width`-bit space: width 1..=128, a prefix
    /// no longer than the width, no bits beyond the width, host bits zero.
    pub fn is_valid(self, width: u32) -> bool {
        (1..=128).contains(&width)
            && u32::from(self.len) <= width
            && self.bits & !low_mask(width) == 0
            && self.bits & low_mask(self.host_bits(width)) == 0
    }

    /// Bits of the block left to hosts in a `width`-bit space.
    pub fn host_bits(self, width: u32) -> u32 {
        width.saturating_sub(u32::from(self.len))
    }

    /// The block's last address in a `width`-bit space.
    pub fn last(self, width: u32) -> u128 {
        self.bits | low_mask(self.host_bits(width))
    }

    /// Whether `addr` lies in the block.
    pub fn contains(self, width: u32, addr: u128) -> bool {
        self.bits <= addr && addr <= self.last(width)
    }
}

/// Calls `each` with the minimal CIDR cover of the inclusive interval
/// `start..=end` of a `width`-bit space, in ascending order: at every step
/// the largest aligned block that starts there and stays inside. The cover
/// is unique and no cover has fewer blocks.
pub fn interval_cidrs(width: u32, start: u128, end: u128, mut each: impl FnMut(Cidr)) {
    let width = width.min(128);
    let mut at = start;
    while at <= end {
        let aligned = if at == 0 { 128 } else { at.trailing_zeros() };
        let span = end - at;
        let fits = if span == u128::MAX {
            128
        } else {
            (span + 1).ilog2()
        };
        let host_bits = aligned.min(fits).min(width);
        each(Cidr {
            bits: at,
            len: (width - host_bits) as u8,
        });
        let last = at | low_mask(host_bits);
        if last >= end {
            break;
        }
        at = last + 1;
    }
}

/// A set of addresses of a `width`-bit space as sorted, disjoint, merged
/// inclusive intervals (no two touch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranges {
    width: u32,
    intervals: Vec<(u128, u128)>,
}

/// Appends an interval that starts no earlier than the last one, merging
/// it with the last when they overlap or touch.
pub fn push_merged(out: &mut Vec<(u128, u128)>, (start, end): (u128, u128)) {
    if let Some(last) = out.last_mut() {
        if start <= last.1.saturating_add(1) {
            last.1 = last.1.max(end);
            return;
        }
    }
    out.push((start, end));
}

impl Ranges {
    /// No addresses. The width is capped at 128 (width 0 is the space of
    /// one address).
    pub fn empty(width: u32) -> Ranges {
        Ranges {
            width: width.min(128),
            intervals: Vec::new(),
        }
    }

    /// Every address of the space.
    pub fn full(width: u32) -> Ranges {
        let mut r = Ranges::empty(width);
        r.intervals.push((0, low_mask(r.width)));
        r
    }

    /// The union of inclusive intervals in any order; empty intervals
    /// (start > end) are ignored, and addresses beyond the width cut off.
    pub fn from_intervals(width: u32, intervals: impl IntoIterator<Item = (u128, u128)>) -> Ranges {
        let mut r = Ranges::empty(width);
        let top = low_mask(r.width);
        let mut all: Vec<(u128, u128)> = intervals
            .into_iter()
            .filter(|&(s, e)| s <= e && s <= top)
            .map(|(s, e)| (s, e.min(top)))
            .collect();
        all.sort_unstable();
        for interval in all {
            push_merged(&mut r.intervals, interval);
        }
        r
    }

    /// The union of CIDR blocks, in O(n log n). A block is read as its
    /// network address with host bits cleared and its prefix capped at the
    /// width.
    pub fn from_cidrs(width: u32, cidrs: impl IntoIterator<Item = Cidr>) -> Ranges {
        let width = width.min(128);
        let intervals = cidrs.into_iter().map(|c| {
            let c = Cidr {
                bits: c.bits & !low_mask(c.host_bits(width)),
                len: c.len.min(width as u8),
            };
            (c.bits, c.last(width))
        });
        Ranges::from_intervals(width, intervals)
    }

    /// Address width in bits.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The intervals, sorted, disjoint and not touching.
    pub fn intervals(&self) -> &[(u128, u128)] {
        &self.intervals
    }

    /// Number of intervals.
    pub fn len(&self) -> usize {
        self.intervals.len()
    }

    /// Whether the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    /// Whether `addr` is in the set.
    pub fn contains(&self, addr: u128) -> bool {
        let i = self.intervals.partition_point(|&(_, e)| e < addr);
        self.intervals.get(i).is_some_and(|&(s, _)| s <= addr)
    }

    /// Whether every address of the block is in the set.
    pub fn covers(&self, cidr: Cidr) -> bool {
        let first = cidr.bits;
        let last = cidr.last(self.width);
        let i = self.intervals.partition_point(|&(_, e)| e < first);
        self.intervals
            .get(i)
            .is_some_and(|&(s, e)| s <= first && last <= e)
    }

    /// Addresses in either set (the width of `self`).
    pub fn union(&self, other: &Ranges) -> Ranges {
        let mut out = Ranges::empty(self.width);
        let (a, b) = (&self.intervals, &other.intervals);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let take_a = j >= b.len() || (i < a.len() && a[i].0 <= b[j].0);
            let next = if take_a { a[i] } else { b[j] };
            if take_a {
                i += 1;
            } else {
                j += 1;
            }
            push_merged(&mut out.intervals, next);
        }
        out
    }

    /// Addresses in both sets.
    pub fn intersect(&self, other: &Ranges) -> Ranges {
        let mut out = Ranges::empty(self.width);
        let (a, b) = (&self.intervals, &other.intervals);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let start = a[i].0.max(b[j].0);
            let end = a[i].1.min(b[j].1);
            if start <= end {
                out.intervals.push((start, end));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        out
    }

    /// Addresses in `self` but not in `other`.
    pub fn difference(&self, other: &Ranges) -> Ranges {
        let mut out = Ranges::empty(self.width);
        let b = &other.intervals;
        let mut j = 0;
        for &(start, end) in &self.intervals {
            while j < b.len() && b[j].1 < start {
                j += 1;
            }
            let mut at = start;
            let mut used_up = false;
            let mut k = j;
            while k < b.len() && b[k].0 <= end {
                if b[k].0 > at {
                    out.intervals.push((at, b[k].0 - 1));
                }
                if b[k].1 >= end {
                    used_up = true;
                    break;
                }
                // b[k].1 < end, so the next address exists.
                at = at.max(b[k].1 + 1);
                k += 1;
            }
            if !used_up {
                out.intervals.push((at, end));
            }
        }
        out
    }

    /// Calls `each` with every block of the minimal CIDR cover, ascending.
    pub fn for_each_cidr(&self, mut each: impl FnMut(Cidr)) {
        for &(start, end) in &self.intervals {
            interval_cidrs(self.width, start, end, &mut each);
        }
    }

    /// The minimal CIDR cover: the fewest blocks whose union is exactly the
    /// set, ascending and disjoint (unique).
    pub fn to_cidrs(&self) -> Vec<Cidr> {
        let mut out = Vec::with_capacity(self.intervals.len());
        self.for_each_cidr(|c| out.push(c));
        out
    }

    /// How many blocks of each prefix length (index 0..=width) the minimal
    /// cover has.
    pub fn cover_counts(&self) -> Vec<u128> {
        let mut counts = vec![0u128; self.width as usize + 1];
        self.for_each_cidr(|c| counts[usize::from(c.len)] += 1);
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{parse_entry, SetType};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn c(bits: u128, len: u8) -> Cidr {
        Cidr { bits, len }
    }

    #[test]
    fn full_128_bit_space_without_overflow() {
        let full = Ranges::full(128);
        assert_eq!(full.intervals(), &[(0, u128::MAX)]);
        assert_eq!(full.to_cidrs(), vec![c(0, 0)]);
        assert!(full.covers(c(0, 0)));
        assert!(full.contains(u128::MAX));
        let halves = Ranges::from_cidrs(128, [c(1 << 127, 1), c(0, 1)]);
        assert_eq!(halves, full);
        let top = Ranges::from_cidrs(128, [c(u128::MAX, 128)]);
        assert_eq!(top.to_cidrs(), vec![c(u128::MAX, 128)]);
        let rest = full.difference(&top);
        assert_eq!(rest.intervals(), &[(0, u128::MAX - 1)]);
        assert_eq!(rest.to_cidrs().len(), 128);
        assert_eq!(rest.union(&top), full);
        assert!(full.difference(&full).is_empty());
        assert_eq!(full.intersect(&top), top);
        let bottom = Ranges::from_cidrs(128, [c(0, 128)]);
        assert_eq!(full.difference(&bottom).intervals(), &[(1, u128::MAX)]);
        assert_eq!(Ranges::full(32).to_cidrs(), vec![c(0, 0)]);
    }

    #[test]
    fn hosts_adjacent_merges_and_entries() {
        let r = Ranges::from_cidrs(32, [c(10, 32), c(11, 32), c(12, 31), c(8, 31), c(14, 31)]);
        assert_eq!(r.len(), 1);
        assert_eq!(r.to_cidrs(), vec![c(8, 29)]);
        assert_eq!(r.cover_counts()[29], 1);
        assert!(r.covers(c(8, 30)) && !r.covers(c(0, 28)));
        let e = parse_entry("10.1.2.0/23", SetType::HashNet, AddrFamily::Inet).unwrap();
        assert_eq!(Cidr::from_entry(&e), c(0x0a01_0200, 23));
        assert_eq!(Cidr::from_entry(&e).to_entry(AddrFamily::Inet), Ok(e));
        let v6 = parse_entry("2001:db8::1", SetType::HashNet, AddrFamily::Inet6).unwrap();
        assert_eq!(Cidr::from_entry(&v6).to_entry(AddrFamily::Inet6), Ok(v6));
        assert!(c(1, 31).to_entry(AddrFamily::Inet).is_err());
        assert!(c(1 << 40, 8).to_entry(AddrFamily::Inet).is_err());
        assert!(c(0, 33).to_entry(AddrFamily::Inet).is_err());
    }

    fn brute(width: u32, r: &Ranges) -> BTreeSet<u128> {
        (0..1u128 << width).filter(|&a| r.contains(a)).collect()
    }

    fn any_ranges(width: u32) -> impl Strategy<Value = Ranges> {
        let top = (1u128 << width) - 1;
        proptest::collection::vec((0..=top, 0..=top), 0..8).prop_map(move |v| {
            Ranges::from_intervals(width, v.into_iter().map(|(a, b)| (a.min(b), a.max(b))))
        })
    }

    proptest! {
        #[test]
        fn set_operations_match_a_model(a in any_ranges(7), b in any_ranges(7)) {
            let (sa, sb) = (brute(7, &a), brute(7, &b));
            for (got, want) in [(a.union(&b), &sa | &sb), (a.intersect(&b), &sa & &sb), (a.difference(&b), &sa - &sb)] {
                prop_assert_eq!(brute(7, &got), want);
                // Canonical: sorted, disjoint, never touching.
                for w in got.intervals().windows(2) {
                    prop_assert!(w[0].1 + 1 < w[1].0);
                }
            }
        }

        #[test]
        fn minimal_cover_is_exact_disjoint_and_unmergeable(width in 1u32..=9, cidrs in proptest::collection::vec((any::<u128>(), 0u8..=9), 0..12)) {
            let cidrs: Vec<Cidr> = cidrs.into_iter().map(|(b, l)| c(b & low_mask(width), l)).collect();
            let r = Ranges::from_cidrs(width, cidrs.iter().copied());
            let model: BTreeSet<u128> = (0..1u128 << width)
                .filter(|&a| cidrs.iter().any(|x| {
                    let len = u32::from(x.len).min(width);
                    (a >> (width - len)) == (x.bits >> (width - len))
                }))
                .collect();
            prop_assert_eq!(brute(width, &r), model.clone());
            let cover = r.to_cidrs();
            let mut seen = BTreeSet::new();
            for x in &cover {
                prop_assert!(x.is_valid(width));
                for a in x.bits..=x.last(width) {
                    prop_assert!(seen.insert(a), "overlap at {}", a);
                }
                prop_assert!(r.covers(*x));
            }
            prop_assert_eq!(&seen, &model);
            // No two blocks are the halves of one parent block.
            let set: BTreeSet<Cidr> = cover.iter().copied().collect();
            for x in &cover {
                if x.len > 0 {
                    let h = x.host_bits(width);
                    let sibling = c(x.bits ^ (1u128 << h), x.len);
                    prop_assert!(!set.contains(&sibling), "{:?} mergeable", x);
                }
            }
            // Same count as a brute-force greedy over single addresses.
            let mut greedy = 0usize;
            let mut a = 0u128;
            while a < 1u128 << width {
                if !model.contains(&a) { a += 1; continue; }
                let mut h = 0;
                while h < width && a.is_multiple_of(1u128 << (h + 1))
                    && (a..a + (1u128 << (h + 1))).all(|x| model.contains(&x)) {
                    h += 1;
                }
                greedy += 1;
                a += 1u128 << h;
            }
            prop_assert_eq!(cover.len(), greedy);
            let counts = r.cover_counts();
            prop_assert_eq!(counts.iter().sum::<u128>() as usize, cover.len());
        }
    }
}
