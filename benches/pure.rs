//! Regression benchmarks (divan) for the pure parts: routing, address and
//! list parsing, sync planning and rule planning. No kernel, no root.
//!
//! `cargo bench --bench pure`

use std::net::{IpAddr, Ipv4Addr};

use mipset::addr::{parse_entry, AddrFamily, Entry, SetType};
use mipset::bulk;
use mipset::bulk::plan::Mode;
use mipset::listfile::ListEntry;
use mipset::meta::FamilySpec;
use mipset::route::{self, Routing};
use mipset::rules;
use mipset::rules::spec::Direction;
use mipset::rules::spec::Layout;
use mipset::rules::spec::RuleSpec;

fn main() {
    divan::main();
}

fn hosts(n: u32) -> Vec<Entry> {
    (0..n)
        .map(|i| {
            Entry::host(IpAddr::V4(Ipv4Addr::from(
                0x0a00_0000 | i.wrapping_mul(2_654_435_761) >> 8,
            )))
        })
        .collect()
}

fn family(shards: u32) -> FamilySpec {
    FamilySpec {
        name: "bench".into(),
        set_type: SetType::HashIp,
        family: AddrFamily::Inet,
        shards,
        routing: Routing::Bits { shift: 0 },
        hashsize: 1024,
        maxelem: 65536,
        timeout: None,
        counters: false,
        comment: false,
        reduce: mipset::prefix::levels::Reduce::Off,
        route_auto: false,
    }
}

#[divan::bench(args = [Routing::Bits { shift: 0 }, Routing::Hash])]
fn route_1000_hosts(bencher: divan::Bencher, routing: Routing) {
    let entries = hosts(1000);
    bencher.bench(|| {
        entries
            .iter()
            .map(|e| route::lookup_shard(divan::black_box(e), 16, routing))
            .sum::<u32>()
    });
}

#[divan::bench]
fn parse_1000_addresses(bencher: divan::Bencher) {
    let text: Vec<String> = hosts(1000).iter().map(|e| e.addr.to_string()).collect();
    bencher.bench(|| {
        text.iter()
            .map(|t| {
                parse_entry(divan::black_box(t), SetType::HashIp, AddrFamily::Inet).is_ok() as u32
            })
            .sum::<u32>()
    });
}

#[divan::bench]
fn read_a_10k_line_list(bencher: divan::Bencher) {
    let text: String = hosts(10_000)
        .iter()
        .map(|e| format!("{}\n", e.addr))
        .collect();
    let spec = family(16);
    bencher.bench(|| {
        let mut reader = std::io::Cursor::new(text.as_bytes());
        mipset::listfile::read(&mut reader, "bench", &spec)
            .unwrap()
            .len()
    });
}

#[divan::bench]
fn plan_a_shard_sync_of_10k_with_1pct_churn(bencher: divan::Bencher) {
    let current: Vec<Entry> = hosts(10_000);
    let wanted: Vec<ListEntry> = hosts(10_100)[100..]
        .iter()
        .map(|e| ListEntry::plain(*e))
        .collect();
    let one = Routing::Bits { shift: 0 };
    bencher
        .with_inputs(|| {
            let shard: bulk::plan::Current = current.iter().map(|e| (*e, None)).collect();
            (
                shard,
                bulk::plan::route_list(&wanted, 1, one, false).remove(0),
            )
        })
        .bench_values(|(shard, incoming)| {
            let limits = bulk::plan::Limits {
                maxelem: 1 << 20,
                max_in_place: usize::MAX,
                force_rebuild: false,
                timeouts: false,
            };
            bulk::plan::plan_shard("s0", shard, &wanted, incoming, Mode::Sync, limits).1
        });
}

#[divan::bench(args = [16, 64, 1024])]
fn plan_twolevel_rules(shards: u32) -> usize {
    let spec = RuleSpec {
        family: "bench".into(),
        table: "filter".into(),
        chain: "INPUT".into(),
        direction: Direction::Src,
        jump: "ACCEPT".into(),
        layout: Layout::TwoLevel,
        note: None,
    };
    rules::plan::plan(&spec, &family(shards)).chains.len()
}
