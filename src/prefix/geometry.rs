//! Routing geometry of a `bits:S` family with 2^k shards: the tag of an
//! address, the projection that removes the k tag bits (each shard's own
//! (W-k)-bit address space), lifting projected CIDRs back into a shard, and
//! the per-shard targets built from that: what a shard covers
//! ([`shard_coverage`], [`split_list`]) and what it should store after
//! prefix reduction ([`shard_target`]).

use std::ops::Range;

use super::ranges::{low_mask, Cidr, Ranges};

/// Most tag bits (log2 of the shard count) a geometry may have.
pub const MAX_TAG_BITS: u32 = 20;

/// Where the tag sits: `k` bits starting at bit `shift` of a `width`-bit
/// address (tag = (a >> shift) & (2^k - 1), as `route::shards_for` with
/// `Routing::Bits { shift }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    width: u32,
    k: u32,
    shift: u32,
}

impl Geometry {
    /// A geometry, or why it is impossible: width 1..=128, k up to
    /// [`MAX_TAG_BITS`], shift + k <= width.
    pub fn new(width: u32, k: u32, shift: u32) -> Result<Geometry, String> {
        if !(1..=128).contains(&width) {
            return Err(format!("address width {width}: must be 1 to 128 bits"));
        }
        if k > MAX_TAG_BITS || k > width {
            return Err(format!(
                "{k} tag bits: at most {} for {width}-bit addresses",
                MAX_TAG_BITS.min(width)
            ));
        }
        if shift > width - k {
            return Err(format!(
                "bits:{shift} with {k} tag bits needs bit {} but addresses have {width} bits",
                shift + k - 1
            ));
        }
        Ok(Geometry { width, k, shift })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    /// log2 of the shard count.
    pub fn tag_bits(&self) -> u32 {
        self.k
    }

    pub fn shift(&self) -> u32 {
        self.shift
    }

    pub fn shards(&self) -> u32 {
        1 << self.k
    }

    /// Width of a shard's projected space: W - k.
    pub fn projected_width(&self) -> u32 {
        self.width - self.k
    }

    /// Projected prefix lengths up to this leave every tag bit free:
    /// W - S - k.
    pub fn free_tag_len(&self) -> u32 {
        self.width - self.shift - self.k
    }

    /// The shard of an address.
    pub fn tag(&self, addr: u128) -> u32 {
        (addr.checked_shr(self.shift).unwrap_or(0) & low_mask(self.k)) as u32
    }

    /// The address without its tag bits: (W-k) bits.
    pub fn proj(&self, addr: u128) -> u128 {
        let high = addr.checked_shr(self.shift + self.k).unwrap_or(0);
        high.checked_shl(self.shift).unwrap_or(0) | (addr & low_mask(self.shift))
    }

    /// The address with projection `projected` and tag `tag`.
    pub fn unproj(&self, projected: u128, tag: u32) -> u128 {
        let high = projected.checked_shr(self.shift).unwrap_or(0);
        let tag = u128::from(tag) & low_mask(self.k);
        high.checked_shl(self.shift + self.k).unwrap_or(0)
            | tag.checked_shl(self.shift).unwrap_or(0)
            | (projected & low_mask(self.shift))
    }
}

/// The shards a real CIDR is stored in (as `route::shards_for`) and its
/// projection, the same in each of them.
pub fn project(g: &Geometry, c: Cidr) -> (Range<u32>, Cidr) {
    let (w, s, k) = (g.width, g.shift, g.k);
    let len = u32::from(c.len).min(w);
    let bits = g.proj(c.bits);
    if len >= w - s {
        let t = g.tag(c.bits);
        let projected = Cidr {
            bits,
            len: (len - k) as u8,
        };
        (t..t + 1, projected)
    } else if len <= w - s - k {
        (
            0..g.shards(),
            Cidr {
                bits,
                len: len as u8,
            },
        )
    } else {
        let base = g.tag(c.bits);
        let free = w - len - s;
        let projected = Cidr {
            bits: bits & !low_mask(s),
            len: (w - s - k) as u8,
        };
        (base..base + (1 << free), projected)
    }
}

/// The real CIDR that stores projected CIDR `c` in shard `tag`: with the
/// tag bits in its host part (length <= W-S-k) it keeps its length and
/// has zero tag bits; otherwise it gains the k tag bits. A projected /0
/// lifts to a real /0, which [`lift_storable`] splits.
pub fn lift(g: &Geometry, tag: u32, c: Cidr) -> Cidr {
    let q = u32::from(c.len).min(g.projected_width());
    if q <= g.free_tag_len() {
        Cidr {
            bits: g.unproj(c.bits, 0),
            len: q as u8,
        }
    } else {
        Cidr {
            bits: g.unproj(c.bits, tag),
            len: (q + g.k) as u8,
        }
    }
}

/// [`lift_in_tag`], with a real /0 (which the kernel cannot store) given
/// as its two /1 halves.
pub fn lift_storable(g: &Geometry, tag: u32, c: Cidr) -> impl Iterator<Item = Cidr> {
    let real = lift_in_tag(g, tag, c);
    let (first, second) = if real.len == 0 {
        let half = 1u128 << (g.width - 1);
        (Cidr { bits: 0, len: 1 }, Some(Cidr { bits: half, len: 1 }))
    } else {
        (real, None)
    };
    std::iter::once(first).chain(second)
}

/// What shard `tag` covers in its projected space, given the real CIDRs it
/// stores; an error names a CIDR that is invalid or does not belong there.
pub fn shard_coverage(g: &Geometry, tag: u32, stored: &[Cidr]) -> Result<Ranges, String> {
    let mut projected = Vec::with_capacity(stored.len());
    for &c in stored {
        if !c.is_valid(g.width) {
            return Err(format!(
                "{:#x}/{} is not a {}-bit network",
                c.bits, c.len, g.width
            ));
        }
        let (shards, p) = project(g, c);
        if !shards.contains(&tag) {
            return Err(format!(
                "{:#x}/{} belongs in shards {}..{}, not in shard {tag}",
                c.bits, c.len, shards.start, shards.end
            ));
        }
        projected.push(p);
    }
    Ok(Ranges::from_cidrs(g.projected_width(), projected))
}

/// The projected coverage of every shard (index = tag) of a list of real
/// CIDRs: a CIDR whose tag bits are free goes to every shard in its range.
pub fn split_list(g: &Geometry, list_cover: &[Cidr]) -> Vec<Ranges> {
    let mut per_shard: Vec<Vec<Cidr>> = vec![Vec::new(); g.shards() as usize];
    for &c in list_cover {
        let (shards, p) = project(g, c);
        for t in shards {
            per_shard[t as usize].push(p);
        }
    }
    per_shard
        .into_iter()
        .map(|cidrs| Ranges::from_cidrs(g.projected_width(), cidrs))
        .collect()
}

/// [`lift`] for a piece at or above [`own_level`]: with several shards
/// it keeps the tag bits (a projected CIDR of length W-S-k fixes every bit
/// above them, so with the tag it is one real CIDR of length W-S).
pub fn lift_in_tag(g: &Geometry, tag: u32, c: Cidr) -> Cidr {
    let q = u32::from(c.len).min(g.projected_width());
    if g.k > 0 && q >= g.free_tag_len() {
        Cidr {
            bits: g.unproj(c.bits, tag),
            len: (q + g.k) as u8,
        }
    } else {
        lift(g, tag, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Entry;
    use crate::prefix::target::own_level;
    use crate::route::{shards_for, Routing};
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn c(bits: u128, len: u8) -> Cidr {
        Cidr { bits, len }
    }

    #[test]
    fn geometry_limits_and_projection_round_trips() {
        assert!(Geometry::new(32, 4, 28).is_ok());
        assert!(Geometry::new(32, 4, 29).is_err());
        assert!(Geometry::new(0, 0, 0).is_err());
        assert!(Geometry::new(129, 0, 0).is_err());
        assert!(Geometry::new(8, 9, 0).is_err());
        assert!(Geometry::new(128, MAX_TAG_BITS + 1, 0).is_err());
        for (w, k, s) in [
            (128, 0, 128),
            (128, 4, 124),
            (128, 4, 0),
            (32, 0, 0),
            (8, 8, 0),
        ] {
            let g = Geometry::new(w, k, s).unwrap();
            for a in [0, 1, low_mask(w), 0x1234_5678_9abc_def0 & low_mask(w)] {
                let (t, p) = (g.tag(a), g.proj(a));
                assert!(p <= low_mask(g.projected_width()));
                assert_eq!(g.unproj(p, t), a, "{w} {k} {s} {a:#x}");
            }
        }
    }

    #[test]
    fn project_and_lift_by_case() {
        let g = Geometry::new(32, 4, 8).unwrap();
        // A /24: its tag bits are in the network part.
        let (r, p) = project(&g, c(0x0a01_2500, 24));
        assert_eq!((r, p), (5..6, c(0x00a0_1200, 20)));
        // Projected length W-S-k: the tag bits are host bits there, so it
        // lifts to a real /20 with zero tag bits, exact in shard 5.
        assert_eq!(lift(&g, 5, p), c(0x0a01_2000, 20));
        let (r, p) = project(&g, c(0x0a01_2580, 25));
        assert_eq!((r, p), (5..6, c(0x00a0_1280, 21)));
        assert_eq!(lift(&g, 5, p), c(0x0a01_2580, 25));
        // A /22: two tag bits free, four shards, projected to W-S-k = 20.
        let (r, p) = project(&g, c(0x0a01_2400, 22));
        assert_eq!(r, 4..8);
        assert_eq!(p.len, 20);
        // Its tag bits are host bits of the projected length: lifted as a
        // real /20 with zero tag bits (exact for the shard it is stored in).
        assert_eq!(lift(&g, 6, p), c(0x0a01_2000, 20));
        let (_, p) = project(&g, c(0x0a01_2600, 26));
        assert_eq!(lift(&g, 6, p), c(0x0a01_2600, 26));
        // A /16: all tag bits free, every shard, lifted with zero tag bits.
        let (r, p) = project(&g, c(0x0a01_0000, 16));
        assert_eq!((r, p.len), (0..16, 16));
        assert_eq!(lift(&g, 9, p), c(0x0a01_0000, 16));
        // k = 0: one shard, identity.
        let g = Geometry::new(128, 0, 128).unwrap();
        assert_eq!(project(&g, c(7, 128)), (0..1, c(7, 128)));
        assert_eq!(lift(&g, 0, c(0, 0)), c(0, 0));
        let halves: Vec<Cidr> = lift_storable(&g, 0, c(0, 0)).collect();
        assert_eq!(halves, vec![c(0, 1), c(1 << 127, 1)]);
        // S + k = W: the tag is the top bits.
        let g = Geometry::new(32, 4, 28).unwrap();
        assert_eq!(project(&g, c(0xf000_0000, 4)), (15..16, c(0, 0)));
        assert_eq!(project(&g, c(0, 1)), (0..8, c(0, 0)));
        // The projected /0 leaves every tag bit free: `lift` gives a real
        // /0; stored, it keeps the tag (the shard's own /4), so the shards
        // partition the addresses.
        assert_eq!(lift(&g, 15, c(0, 0)), c(0, 0));
        let stored: Vec<Cidr> = lift_storable(&g, 15, c(0, 0)).collect();
        assert_eq!(stored, vec![c(0xf000_0000, 4)]);
        assert_eq!(own_level(&g), 0);
        // Real /0 (every tag) lifts in halves.
        assert_eq!(project(&g, c(0, 0)), (0..16, c(0, 0)));
        let g = Geometry::new(32, 4, 8).unwrap();
        assert_eq!(lift_storable(&g, 3, c(0, 0)).count(), 2);
    }

    #[test]
    fn coverage_refuses_what_does_not_belong() {
        let g = Geometry::new(32, 4, 8).unwrap();
        let ok = [c(0x0a01_2500, 24), c(0x0a01_0000, 16), c(0x0a01_2400, 22)];
        let r = shard_coverage(&g, 5, &ok).unwrap();
        assert_eq!(r.to_cidrs(), vec![c(0x00a0_1000, 16)]);
        let e = shard_coverage(&g, 6, &ok).unwrap_err();
        assert!(e.contains("shards 5..6, not in shard 6"), "{e}");
        assert!(shard_coverage(&g, 0, &[c(1, 24)]).is_err());
        let split = split_list(&g, &ok);
        assert_eq!(split.len(), 16);
        assert_eq!(split[5], r);
        assert_eq!(split[0].to_cidrs(), vec![c(0x00a0_1000, 16)]);
    }

    fn entry(width: u32, c: Cidr) -> Entry {
        let addr = if width == 32 {
            IpAddr::V4(Ipv4Addr::from(c.bits as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(c.bits))
        };
        Entry {
            addr,
            prefix: c.len,
        }
    }

    proptest! {
        #[test]
        fn shard_range_equals_route(v6 in any::<bool>(), bits in any::<u128>(), len in 0u32..=128, k in 0u32..=10, shift in 0u32..=128) {
            let width = if v6 { 128 } else { 32 };
            let len = len.min(width);
            let shift = shift.min(width - k);
            let g = Geometry::new(width, k, shift).unwrap();
            let net = c(bits & low_mask(width) & !low_mask(width - len), len as u8);
            let (range, p) = project(&g, net);
            prop_assert_eq!(range.clone(), shards_for(&entry(width, net), 1 << k, Routing::Bits { shift }));
            // Every shard's slice lifts back inside the network.
            for t in [range.start, range.end - 1] {
                let real = lift(&g, t, p);
                prop_assert!(net.contains(width, real.bits) || real.len <= net.len);
                prop_assert_eq!(project(&g, real).1, p);
            }
        }
    }
}
