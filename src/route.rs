//! Routing: which shard of a family an address or network belongs to.
//!
//! Pure and total: every valid [`Entry`] maps to at least one shard and every
//! host address to exactly one, so a lookup consults exactly one shard.
//!
//! * `bits:S` — tag = (addr >> S) & (N - 1): log2(N) bits of the address
//!   starting at bit S, counted from the least significant bit of the 32- or
//!   128-bit address. A hash:net network whose host bits overlap the tag bits
//!   covers several tags and is stored in each shard it covers.
//! * `hash` — tag = mix(addr) & (N - 1) with the SplitMix64 finaliser
//!   (`mix64`) over the address: IPv4 as a u64, IPv6 as
//!   `mix64(high64 ^ mix64(low64))`. Fixed forever (it is part of the
//!   on-kernel format); hash:ip only, since a network has no single hash.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::addr::{quoted, AddrFamily, Entry, SetType};

/// Most shards a family may have.
pub const MAX_SHARDS: u32 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// Tag = (addr >> shift) & (N - 1).
    Bits { shift: u32 },
    /// Tag = mix(addr) & (N - 1); hash:ip only.
    Hash,
}

impl Serialize for Routing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Routing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Routing::Bits { shift } => write!(f, "bits:{shift}"),
            Routing::Hash => f.write_str("hash"),
        }
    }
}

impl FromStr for Routing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "hash" {
            return Ok(Routing::Hash);
        }
        if let Some(shift) = s.strip_prefix("bits:") {
            return shift
                .parse::<u32>()
                .map(|shift| Routing::Bits { shift })
                .map_err(|_| {
                    format!(
                        "routing {}: S in bits:S must be a bit number such as 0 or 8",
                        quoted(s)
                    )
                });
        }
        Err(format!(
            "unknown routing {}: use bits:S (e.g. bits:0) or hash",
            quoted(s)
        ))
    }
}

/// The default routing for a set type and address family.
///
/// * hash:ip: `bits:0`. The lowest bits vary most between hosts, so
///   consecutive addresses spread evenly over the shards.
/// * hash:net inet: `bits:8` (the low bits of the third octet). Every /24 or
///   longer prefix then lands in exactly one shard, and per-node pod /24s
///   (10.244.X.0/24) spread over the shards. With 16 shards a /22 covers 4
///   shards and a /20 or shorter covers all.
/// * hash:net inet6: `bits:64`, the low bits of the /64 subnet id, so every
///   /64 or longer prefix lands in one shard.
pub fn default_routing(set_type: SetType, family: AddrFamily) -> Routing {
    match (set_type, family) {
        (SetType::HashIp, _) => Routing::Bits { shift: 0 },
        (SetType::HashNet, AddrFamily::Inet) => Routing::Bits { shift: 8 },
        (SetType::HashNet, AddrFamily::Inet6) => Routing::Bits { shift: 64 },
    }
}

/// Check that `shards` and `routing` fit together for the set type and
/// address family.
pub fn validate(
    shards: u32,
    routing: Routing,
    set_type: SetType,
    family: AddrFamily,
) -> Result<(), String> {
    if shards == 0 || shards > MAX_SHARDS || !shards.is_power_of_two() {
        return Err(format!(
            "--shards {shards}: the shard count must be a power of two from 1 to {MAX_SHARDS}"
        ));
    }
    match routing {
        Routing::Hash if set_type == SetType::HashNet => Err(
            "hash routing works only for hash:ip families: a network has no single hash (use bits:S)"
                .to_string(),
        ),
        Routing::Hash => Ok(()),
        Routing::Bits { shift } => {
            let k = shards.trailing_zeros();
            let width = family.width();
            if shift >= width {
                Err(format!(
                    "routing bits:{shift}: {family} addresses have bits 0..{}",
                    width - 1
                ))
            } else if shift + k > width {
                Err(format!(
                    "routing bits:{shift} with {shards} shards needs bits {shift}..{} but {family} addresses have {width} bits",
                    shift + k - 1
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// The SplitMix64 finaliser (Steele, Lea, Flood 2014).
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash_tag(bits: u128, family: AddrFamily) -> u64 {
    match family {
        AddrFamily::Inet => mix64(bits as u64),
        AddrFamily::Inet6 => mix64(((bits >> 64) as u64) ^ mix64(bits as u64)),
    }
}

/// The shards an entry is stored in: one for a host address, and for a
/// hash:net network every shard whose tag its prefix leaves free. The range
/// is contiguous and in ascending order.
pub fn shards_for(entry: &Entry, shards: u32, routing: Routing) -> std::ops::Range<u32> {
    let mask = u128::from(shards - 1);
    let family = entry.family();
    match routing {
        Routing::Hash => {
            let tag = (hash_tag(entry.bits(), family) & mask as u64) as u32;
            tag..tag + 1
        }
        Routing::Bits { shift } => {
            let k = shards.trailing_zeros();
            let host_bits = family.width() - u32::from(entry.prefix);
            // Tag bits that fall into the host part are free.
            let free = host_bits.saturating_sub(shift).min(k);
            // validate() keeps shift below the width; checked_shr makes an
            // unvalidated routing harmless instead of a panic.
            let base = (entry.bits().checked_shr(shift).unwrap_or(0) & mask) as u32;
            // The network address has zero host bits, so `base` already has
            // its free low bits clear.
            base..base + (1u32 << free)
        }
    }
}

/// For entries stored as given (no `--reduce`): the shift S (at most
/// `max_shift`) whose `bits:S` routing puts the fewest elements in the
/// fullest of `shards` shards, networks counted in every shard they cover;
/// ties go to fewer elements in all, then to the larger S. Returns (S,
/// fullest, total).
pub fn choose_bits(
    entries: &[Entry],
    shards: u32,
    width: u32,
    max_shift: u32,
) -> (u32, usize, usize) {
    let k = shards.trailing_zeros();
    let top = max_shift.min(width.saturating_sub(k));
    let mut best = (0, usize::MAX, usize::MAX);
    for shift in (0..=top).rev() {
        let routing = Routing::Bits { shift };
        let mut counts = vec![0usize; shards as usize];
        for e in entries {
            for s in shards_for(e, shards, routing) {
                counts[s as usize] += 1;
            }
        }
        let fullest = counts.iter().copied().max().unwrap_or(0);
        let total = counts.iter().sum();
        if (fullest, total) < (best.1, best.2) {
            best = (shift, fullest, total);
        }
    }
    best
}

/// The one shard a lookup of `entry` consults. For a host address that is its
/// tag; for a network (exact-entry test in hash:net) the shard of its network
/// address, which is one of the shards it is stored in.
pub fn lookup_shard(entry: &Entry, shards: u32, routing: Routing) -> u32 {
    shards_for(entry, shards, routing).start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::parse_entry;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn net(text: &str, family: AddrFamily) -> Entry {
        parse_entry(text, SetType::HashNet, family).unwrap()
    }

    #[test]
    fn choose_bits_spreads_the_fullest_shard_and_prefers_higher_bits_on_ties() {
        let f = AddrFamily::Inet;
        // Hosts 10.0.0.0..10.0.0.15: only the lowest 4 bits spread them.
        let hosts: Vec<Entry> = (0..16).map(|i| net(&format!("10.0.0.{i}"), f)).collect();
        assert_eq!(choose_bits(&hosts, 16, 32, 22), (0, 1, 16));
        // /24s 10.0.0.0..10.0.15.0: bits 8..11; a /16 covers every shard there.
        let nets: Vec<Entry> = (0..16).map(|i| net(&format!("10.0.{i}.0/24"), f)).collect();
        assert_eq!(choose_bits(&nets, 16, 32, 22), (8, 1, 16));
        // A /16 with them: bits:8 puts it in every shard (2 each, 32 in
        // all); no shift does better for the fullest shard.
        let mut with_wide = nets.clone();
        with_wide.push(net("10.1.0.0/16", f));
        let (_, fullest, total) = choose_bits(&with_wide, 16, 32, 22);
        assert_eq!(fullest, 2);
        assert!(total <= 32, "{total}");
        // Never above max_shift, and one shard takes the highest allowed.
        assert_eq!(choose_bits(&hosts, 1, 32, 22).0, 22);
        assert_eq!(choose_bits(&[], 16, 32, 22), (22, 0, 0));
    }

    #[test]
    fn bits_routing_takes_k_bits_from_s() {
        let r = Routing::Bits { shift: 0 };
        let e = net("10.0.0.19", AddrFamily::Inet);
        assert_eq!(shards_for(&e, 16, r), 3..4);
        let r = Routing::Bits { shift: 8 };
        let e = net("10.0.37.1", AddrFamily::Inet);
        assert_eq!(shards_for(&e, 16, r), 5..6);
        assert_eq!(shards_for(&e, 1, r), 0..1);
        let e = net("2001:db8:0:7::1", AddrFamily::Inet6);
        assert_eq!(shards_for(&e, 16, Routing::Bits { shift: 64 }), 7..8);
        let e = net("255.255.255.255", AddrFamily::Inet);
        assert_eq!(
            shards_for(&e, 1024, Routing::Bits { shift: 22 }),
            1023..1024
        );
    }

    #[test]
    fn networks_cover_every_shard_their_host_bits_leave_free() {
        let r = Routing::Bits { shift: 8 };
        // /24 leaves bits 0..7 free: tag bits 8..11 fixed, one shard.
        assert_eq!(
            shards_for(&net("10.1.37.0/24", AddrFamily::Inet), 16, r),
            5..6
        );
        // /22 frees bits 8 and 9: four shards.
        assert_eq!(
            shards_for(&net("10.1.36.0/22", AddrFamily::Inet), 16, r),
            4..8
        );
        // /20 or shorter frees all four tag bits.
        assert_eq!(
            shards_for(&net("10.1.32.0/20", AddrFamily::Inet), 16, r),
            0..16
        );
        assert_eq!(
            shards_for(&net("10.0.0.0/8", AddrFamily::Inet), 16, r),
            0..16
        );
        // bits:0 with /31: bit 0 free, 2 shards.
        let e = net("10.0.0.6/31", AddrFamily::Inet);
        assert_eq!(shards_for(&e, 16, Routing::Bits { shift: 0 }), 6..8);
    }

    #[test]
    fn defaults_and_validation() {
        assert_eq!(
            default_routing(SetType::HashIp, AddrFamily::Inet6).to_string(),
            "bits:0"
        );
        assert_eq!(
            default_routing(SetType::HashNet, AddrFamily::Inet).to_string(),
            "bits:8"
        );
        assert_eq!(
            default_routing(SetType::HashNet, AddrFamily::Inet6).to_string(),
            "bits:64"
        );
        assert!(validate(
            16,
            Routing::Bits { shift: 28 },
            SetType::HashIp,
            AddrFamily::Inet
        )
        .is_ok());
        assert!(validate(
            16,
            Routing::Bits { shift: 29 },
            SetType::HashIp,
            AddrFamily::Inet
        )
        .is_err());
        assert!(validate(
            16,
            Routing::Bits { shift: 124 },
            SetType::HashIp,
            AddrFamily::Inet6
        )
        .is_ok());
        assert!(validate(16, Routing::Hash, SetType::HashNet, AddrFamily::Inet).is_err());
        // Boundaries: the last bit is usable with one shard, the width is not,
        // and huge shifts are errors, not overflows.
        assert!(validate(
            1,
            Routing::Bits { shift: 31 },
            SetType::HashIp,
            AddrFamily::Inet
        )
        .is_ok());
        assert!(validate(
            1,
            Routing::Bits { shift: 32 },
            SetType::HashIp,
            AddrFamily::Inet
        )
        .is_err());
        assert!(validate(
            1,
            Routing::Bits { shift: 128 },
            SetType::HashIp,
            AddrFamily::Inet6
        )
        .is_err());
        assert!(validate(
            2,
            Routing::Bits { shift: u32::MAX },
            SetType::HashIp,
            AddrFamily::Inet
        )
        .is_err());
        let e = net("10.0.0.1", AddrFamily::Inet);
        assert_eq!(shards_for(&e, 2, Routing::Bits { shift: u32::MAX }), 0..1);
        for bad in [0, 3, 12, 2048] {
            assert!(validate(bad, Routing::Hash, SetType::HashIp, AddrFamily::Inet).is_err());
        }
        assert!(validate(1024, Routing::Hash, SetType::HashIp, AddrFamily::Inet).is_ok());
        assert_eq!(
            "bits:12".parse::<Routing>(),
            Ok(Routing::Bits { shift: 12 })
        );
        assert!("bits:x".parse::<Routing>().is_err());
        assert!("foo".parse::<Routing>().is_err());
    }

    #[test]
    fn hash_routing_is_fixed_and_spreads_evenly() {
        // Fixed values: the hash is part of the on-kernel format.
        let e = Entry::host(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(hash_tag(e.bits(), AddrFamily::Inet), mix64(0x0a00_0001));
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(1), 0x5692_161d_100b_05e5);
        let mut counts = [0u32; 16];
        for i in 0..16_000u32 {
            let e = Entry::host(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i * 16)));
            counts[lookup_shard(&e, 16, Routing::Hash) as usize] += 1;
        }
        // bits:0 would put all of these (multiples of 16) in shard 0.
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    fn any_v4_net() -> impl Strategy<Value = Entry> {
        (any::<u32>(), 1u8..=32).prop_map(|(a, p)| {
            parse_entry(
                &format!("{}/{p}", Ipv4Addr::from(a)),
                SetType::HashNet,
                AddrFamily::Inet,
            )
            .unwrap()
        })
    }

    fn any_v6_net() -> impl Strategy<Value = Entry> {
        (any::<u128>(), 1u8..=128).prop_map(|(a, p)| {
            parse_entry(
                &format!("{}/{p}", Ipv6Addr::from(a)),
                SetType::HashNet,
                AddrFamily::Inet6,
            )
            .unwrap()
        })
    }

    fn contains(net: &Entry, host: u128) -> bool {
        let width = net.family().width();
        let host_bits = width - u32::from(net.prefix);
        if host_bits >= 128 {
            return true;
        }
        (host >> host_bits) == (net.bits() >> host_bits)
    }

    proptest! {
        /// Equivalence at the routing level: an address inside a network is
        /// routed to a shard the network is stored in, and an address outside
        /// it never needs it.
        #[test]
        fn covered_addresses_find_their_network(net in any_v4_net(), host in any::<u32>(), k in 0u32..=10, shift in 0u32..=22) {
            let valid = validate(1 << k, Routing::Bits { shift }, SetType::HashNet, AddrFamily::Inet);
            prop_assert!(valid.is_ok());
            let shards = 1u32 << k;
            let r = Routing::Bits { shift };
            let h = Entry::host(IpAddr::V4(Ipv4Addr::from(host)));
            let stored = shards_for(&net, shards, r);
            prop_assert!(stored.end <= shards && !stored.is_empty());
            if contains(&net, h.bits()) {
                prop_assert!(stored.contains(&lookup_shard(&h, shards, r)));
            }
            // The network's own exact lookup stays inside its shards.
            prop_assert!(stored.contains(&lookup_shard(&net, shards, r)));
        }

        #[test]
        fn covered_v6_addresses_find_their_network(net in any_v6_net(), low in any::<u64>(), k in 0u32..=10, shift in 0u32..=118) {
            let shards = 1u32 << k;
            let r = Routing::Bits { shift };
            let host_bits = 128 - u32::from(net.prefix);
            // prefix >= 1, so host_bits <= 127 and the shift cannot overflow.
            let inside = net.bits() | (u128::from(low) & ((1u128 << host_bits) - 1));
            let h = Entry::host(IpAddr::V6(Ipv6Addr::from(inside)));
            prop_assert!(contains(&net, h.bits()));
            prop_assert!(shards_for(&net, shards, r).contains(&lookup_shard(&h, shards, r)));
        }

        #[test]
        fn hosts_map_to_exactly_one_valid_shard(a in any::<u128>(), k in 0u32..=10) {
            let shards = 1u32 << k;
            let h = Entry::host(IpAddr::V6(Ipv6Addr::from(a)));
            for r in [Routing::Hash, Routing::Bits { shift: 0 }, Routing::Bits { shift: 100 }] {
                let s = shards_for(&h, shards, r);
                prop_assert_eq!(s.len(), 1);
                prop_assert!(s.start < shards);
            }
        }
    }
}
