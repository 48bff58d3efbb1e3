//! What the benchmark measures with (pure): the generated addresses, in
//! 127.0.0.0/8 or 2001:db8::/32, and the default routing of its families.

use crate::addr::{AddrFamily, Entry, SetType};
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

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
}
