//! What the benchmark measures with (pure): the generated addresses, in
//! 127.0.0.0/8 or 2001:db8::/32, and the default routing of its families;
//! for `--list`, addresses inside the list's entries and unicast
//! candidates for misses.

use std::net::IpAddr;

use crate::addr::{addr_bits, AddrFamily, Entry, SetType};
use crate::listfile::ListEntry;
use crate::route::{self, Routing};

/// Entries for benchmarks: `count` distinct host addresses, IPv4 in
/// 127.0.0.0/8 (never .0.0.0, .0.0.1 or the broadcast address), IPv6 in
/// the documentation prefix 2001:db8::/32 (data only: no packet goes
/// there); and `strangers` more that are in neither.
pub fn addresses(
    af: AddrFamily,
    seed: u64,
    count: usize,
    strangers: usize,
) -> (Vec<Entry>, Vec<Entry>) {
    let mut seen = std::collections::HashSet::with_capacity(count + strangers);
    let mut out = Vec::with_capacity(count + strangers);
    let mut i = 0u64;
    while out.len() < count + strangers {
        i += 1;
        let r = route::mix64(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let addr: std::net::IpAddr = match af {
            AddrFamily::Inet => {
                let a = 0x7f00_0000 | (r as u32 & 0x00ff_ffff);
                if a == 0x7f00_0000 || a == 0x7f00_0001 || a == 0x7fff_ffff {
                    continue;
                }
                std::net::Ipv4Addr::from(a).into()
            }
            AddrFamily::Inet6 => {
                let low = (u128::from(route::mix64(r)) << 32) | u128::from(r as u32);
                std::net::Ipv6Addr::from((0x2001_0db8u128 << 96) | (low & ((1u128 << 96) - 1)))
                    .into()
            }
        };
        if seen.insert(addr) {
            out.push(Entry::host(addr));
        }
    }
    let strangers = out.split_off(count);
    (out, strangers)
}

/// Default routing for a benchmark family (bits:0 for hash:ip, the type's
/// default otherwise), so every shard gets its share of random hosts.
pub fn bench_routing(set_type: SetType, af: AddrFamily) -> Routing {
    match set_type {
        SetType::HashIp => Routing::Bits { shift: 0 },
        SetType::HashNet => route::default_routing(set_type, af),
    }
}

/// The address bits an entry leaves free, set from `r`.
pub fn host_in(e: &Entry, r: u64) -> Entry {
    let bits = addr_bits(&e.addr);
    let (width, wide) = match e.addr {
        IpAddr::V4(_) => (32u32, u128::from(r as u32)),
        IpAddr::V6(_) => (128, (u128::from(r) << 64) | u128::from(route::mix64(r))),
    };
    let free = width - u32::from(e.prefix);
    let mask = if free == 0 {
        0
    } else {
        u128::MAX >> (128 - free)
    };
    let a = bits | (wide & mask);
    let addr = match e.addr {
        IpAddr::V4(_) => IpAddr::V4((a as u32).into()),
        IpAddr::V6(_) => IpAddr::V6(a.into()),
    };
    Entry::host(addr)
}

/// `count` host addresses inside list entries chosen at random (seeded).
pub fn hit_probes(list: &[ListEntry], seed: u64, count: usize) -> Vec<Entry> {
    if list.is_empty() {
        return Vec::new();
    }
    (0..count as u64)
        .map(|i| {
            let r = route::mix64(seed ^ (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            host_in(
                &list[(r % list.len() as u64) as usize].entry,
                route::mix64(r),
            )
        })
        .collect()
}

/// A unicast address from `seed` and `i` (IPv4 1/8..223/8, IPv6
/// 2000::/3), or None for a draw outside that space.
pub fn unicast(af: AddrFamily, seed: u64, i: u64) -> Option<Entry> {
    let r = route::mix64(seed ^ 0x6d69_7373 ^ (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    Some(match af {
        AddrFamily::Inet => {
            let a = r as u32;
            if !(1..224).contains(&(a >> 24)) {
                return None;
            }
            Entry::host(IpAddr::V4(a.into()))
        }
        AddrFamily::Inet6 => {
            let high = (0x2000u128 << 112) | (u128::from(r) << 48);
            let mask = (1u128 << 125) - 1;
            let a = (0x2000u128 << 112) | (high & mask) | u128::from(route::mix64(r) as u16);
            Entry::host(IpAddr::V6(a.into()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::parse_entry;

    #[test]
    fn entries_are_distinct_and_loopback_or_documentation() {
        let (m, s) = addresses(AddrFamily::Inet, 1, 5000, 1000);
        let all: std::collections::HashSet<_> = m.iter().chain(&s).collect();
        assert_eq!(all.len(), 6000);
        assert!(m
            .iter()
            .all(|e| matches!(e.addr, IpAddr::V4(a) if a.octets()[0] == 127)));
        let (m6, _) = addresses(AddrFamily::Inet6, 1, 100, 10);
        assert!(m6
            .iter()
            .all(|e| matches!(e.addr, IpAddr::V6(a) if a.segments()[0..2] == [0x2001, 0x0db8])));
    }

    #[test]
    fn hit_probes_lie_inside_their_entries() {
        let list: Vec<ListEntry> = ["10.1.0.0/16", "192.0.2.7", "2001:db8::/32"]
            .iter()
            .take(2)
            .map(|t| ListEntry::plain(parse_entry(t, SetType::HashNet, AddrFamily::Inet).unwrap()))
            .collect();
        let probes = hit_probes(&list, 7, 200);
        assert_eq!(probes.len(), 200);
        for p in &probes {
            let IpAddr::V4(a) = p.addr else { panic!() };
            let o = a.octets();
            assert!(
                (o[0], o[1]) == (10, 1) || a.to_string() == "192.0.2.7",
                "{a}"
            );
        }
        assert_eq!(hit_probes(&list, 7, 200), probes, "seeded");
        let six = parse_entry("2001:db8::/32", SetType::HashNet, AddrFamily::Inet6).unwrap();
        let IpAddr::V6(a) = host_in(&six, 99).addr else {
            panic!()
        };
        assert_eq!(a.segments()[..2], [0x2001, 0x0db8]);
    }
}
