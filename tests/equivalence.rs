//! Invariant 1, equivalence: a family answers membership exactly as one
//! kernel set of the same type holding the same entries. Both answers come
//! from the kernel (the reference is a real set in the same namespace), in
//! process, in a private network namespace per test.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mipset::addr::{AddrFamily, Entry, SetType};
use mipset::family;
use mipset::kernel::{AddOptions, Kernel};
use mipset::meta::FamilySpec;
use mipset::route::Routing;
use proptest::prelude::*;

use crate::util::{kernel_tests_enabled, private_netns, Rng};

const REFERENCE: &str = "reference";

fn spec(
    name: &str,
    set_type: SetType,
    family: AddrFamily,
    shards: u32,
    routing: Routing,
) -> FamilySpec {
    FamilySpec {
        name: name.to_string(),
        set_type,
        family,
        shards,
        routing,
        hashsize: 1024,
        maxelem: 1_000_000,
        timeout: None,
        counters: false,
        comment: false,
        reduce: mipset::prefix::levels::Reduce::Off,
        route_auto: false,
    }
}

fn to_addr(family: AddrFamily, bits: u128) -> IpAddr {
    match family {
        AddrFamily::Inet => IpAddr::V4(Ipv4Addr::from(bits as u32)),
        AddrFamily::Inet6 => IpAddr::V6(Ipv6Addr::from(bits)),
    }
}

fn entry(family: AddrFamily, bits: u128, prefix: u8) -> Entry {
    let text = format!("{}/{prefix}", to_addr(family, bits));
    mipset::addr::parse_entry(&text, SetType::HashNet, family).expect("generated entry")
}

fn host(family: AddrFamily, bits: u128) -> Entry {
    Entry::host(to_addr(family, bits))
}

fn width_mask(family: AddrFamily) -> u128 {
    match family {
        AddrFamily::Inet => u128::from(u32::MAX),
        AddrFamily::Inet6 => u128::MAX,
    }
}

/// Addresses clustered in one region (so queries hit), plus some anywhere.
fn random_addr(rng: &mut Rng, family: AddrFamily) -> u128 {
    let (base, span_bits) = match family {
        AddrFamily::Inet => (0x0a00_0000u128, 20),
        AddrFamily::Inet6 => (0x2001_0db8u128 << 96, 80),
    };
    if rng.below(8) == 0 {
        rng.u128() & width_mask(family)
    } else {
        base | (rng.u128() & ((1u128 << span_bits) - 1))
    }
}

fn random_prefix(rng: &mut Rng, family: AddrFamily) -> u8 {
    match family {
        // Mostly /16../32, some short ones that cover many shards.
        AddrFamily::Inet => [
            8, 12, 16, 18, 20, 21, 22, 23, 24, 25, 26, 28, 30, 31, 32, 32,
        ][rng.below(16) as usize],
        AddrFamily::Inet6 => [
            16, 32, 48, 56, 60, 62, 63, 64, 64, 72, 96, 112, 120, 126, 127, 128,
        ][rng.below(16) as usize],
    }
}

fn random_entries(rng: &mut Rng, set_type: SetType, family: AddrFamily, n: usize) -> Vec<Entry> {
    (0..n)
        .map(|_| {
            let a = random_addr(rng, family);
            match set_type {
                SetType::HashIp => host(family, a),
                SetType::HashNet => entry(family, a, random_prefix(rng, family)),
            }
        })
        .collect()
}

/// Members, near misses and random addresses; for hash:net also exact
/// network queries, including prefixes one longer and one shorter.
fn random_queries(
    rng: &mut Rng,
    set_type: SetType,
    family: AddrFamily,
    entries: &[Entry],
    n: usize,
) -> Vec<Entry> {
    let width = family.width();
    let mask = width_mask(family);
    (0..n)
        .map(|_| {
            let e = entries[rng.below(entries.len() as u64) as usize];
            let host_bits = width - u32::from(e.prefix);
            let span = if host_bits >= 128 {
                u128::MAX
            } else {
                (1u128 << host_bits) - 1
            };
            match rng.below(8) {
                0 | 1 => host(family, e.bits() | (rng.u128() & span)),
                2 => host(family, e.bits().wrapping_sub(1) & mask),
                3 => host(family, (e.bits() | span).wrapping_add(1) & mask),
                4 if host_bits < width => host(family, e.bits() ^ (1u128 << host_bits)),
                5 if set_type == SetType::HashNet => e,
                6 if set_type == SetType::HashNet => {
                    let p = if rng.below(2) == 0 {
                        e.prefix.saturating_add(1)
                    } else {
                        e.prefix - 1
                    };
                    entry(family, e.bits(), p.clamp(1, width as u8))
                }
                _ => host(family, random_addr(rng, family)),
            }
        })
        .collect()
}

/// Fill a family and a reference set, compare every query, delete half the
/// entries from both, compare again. Returns the number of queries compared.
fn check(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    seed: u64,
    n_entries: usize,
    n_queries: usize,
) -> usize {
    let mut rng = Rng(seed);
    family::create::create(kernel, spec, false).expect("create family");
    let reference = FamilySpec {
        name: REFERENCE.into(),
        shards: 1,
        ..spec.clone()
    };
    kernel
        .create_shard(&reference, REFERENCE)
        .expect("create reference");
    let mut entries = random_entries(&mut rng, spec.set_type, spec.family, n_entries);
    entries.sort();
    entries.dedup();
    let plain = AddOptions::default();
    family::add::add(kernel, spec, &entries, &plain).expect("add to family");
    for e in &entries {
        assert!(kernel
            .add(REFERENCE, spec.set_type, e, &plain)
            .expect("add to reference"));
    }
    let mut compared = 0;
    let mut mismatches = Vec::new();
    let mut compare = |kernel: &mut Kernel, queries: &[Entry]| {
        for q in queries {
            let want = kernel
                .test(REFERENCE, spec.set_type, q)
                .expect("reference test");
            let got = family::lookup::test(kernel, spec, q).expect("family test");
            if want != got {
                mismatches.push(format!("{q}: reference {want}, family {got}"));
            }
        }
        compared += queries.len();
    };
    let queries = random_queries(&mut rng, spec.set_type, spec.family, &entries, n_queries);
    compare(kernel, &queries);
    // Delete every other entry from both and compare again.
    let gone: Vec<Entry> = entries.iter().step_by(2).copied().collect();
    family::remove::del(kernel, spec, &gone, false).expect("del from family");
    for e in &gone {
        assert!(kernel
            .del(REFERENCE, spec.set_type, e)
            .expect("del from reference"));
    }
    let queries = random_queries(
        &mut rng,
        spec.set_type,
        spec.family,
        &entries,
        n_queries / 4,
    );
    compare(kernel, &queries);
    assert!(
        mismatches.is_empty(),
        "{} mismatches in {spec:?}:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    family::destroy::destroy(kernel, &spec.name, false).expect("destroy family");
    kernel.destroy_set(REFERENCE).expect("destroy reference");
    compared
}

/// 8 layouts x (12,000 + 3,000) queries: well over 10^5 with 0 mismatches.
#[test]
fn family_answers_like_one_set_over_120k_queries() {
    if !kernel_tests_enabled() {
        return;
    }
    private_netns();
    let mut kernel = Kernel::open().expect("open kernel");
    use AddrFamily::*;
    use SetType::*;
    let layouts = [
        spec("ip4", HashIp, Inet, 16, Routing::Bits { shift: 0 }),
        spec("ip4h", HashIp, Inet, 64, Routing::Hash),
        spec("ip6", HashIp, Inet6, 16, Routing::Bits { shift: 0 }),
        spec("ip6h", HashIp, Inet6, 8, Routing::Hash),
        spec("net4", HashNet, Inet, 16, Routing::Bits { shift: 8 }),
        spec("net4low", HashNet, Inet, 32, Routing::Bits { shift: 0 }),
        spec("net6", HashNet, Inet6, 16, Routing::Bits { shift: 64 }),
        spec("net6low", HashNet, Inet6, 4, Routing::Bits { shift: 120 }),
    ];
    let mut total = 0;
    for (i, layout) in layouts.iter().enumerate() {
        total += check(&mut kernel, layout, 0x5eed_0000 + i as u64, 2000, 12_000);
    }
    assert!(total >= 100_000, "compared {total}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random layouts: type, address family, shard count, routing and data.
    #[test]
    fn random_layouts_answer_like_one_set(
        net in any::<bool>(),
        v6 in any::<bool>(),
        k in 0u32..=7,
        shift_pick in any::<u32>(),
        hashed in any::<bool>(),
        seed in any::<u64>(),
    ) {
        if !kernel_tests_enabled() {
            return Ok(());
        }
        private_netns();
        let set_type = if net { SetType::HashNet } else { SetType::HashIp };
        let family = if v6 { AddrFamily::Inet6 } else { AddrFamily::Inet };
        let shards = 1u32 << k;
        let routing = if hashed && !net {
            Routing::Hash
        } else {
            // Valid shifts: 0..=width-k, and below the width when k = 0.
            Routing::Bits { shift: shift_pick % (family.width() - k.max(1) + 1) }
        };
        let mut kernel = Kernel::open().expect("open kernel");
        let s = spec("prop", set_type, family, shards, routing);
        check(&mut kernel, &s, seed, 300, 600);
    }
}
