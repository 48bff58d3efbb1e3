//! Per-packet cost of matching one set versus a family, on the real packet
//! path.
//!
//! Method (as in ../shared/DESIGN.md): UDP datagrams from 127.0.0.1 to
//! random 127.0.0.0/8 destinations, sent in `sendmmsg` batches on the
//! loopback interface of a private namespace. raw PREROUTING has two rules:
//!
//! 1. `-p udp --dport 9 -j mb-base`, where mb-base is a bare `-j DROP`:
//!    the baseline;
//! 2. `-j CONFIG`, the chain of the configuration being measured, which
//!    ends in the same bare `-j DROP`:
//!    * `single`: `-m set --match-set SINGLE dst -j DROP`;
//!    * one chain per family layout: the rule `mipset rule add` installs
//!      (`--jump DROP`).
//!
//! Baseline packets (port 9) and configuration packets (port 10) go to the
//! same destinations in alternating chunks (A B B A ...), so noise hits
//! both alike; both pass exactly one port check and one jump before their
//! chain. Loopback delivery runs in the sender's system call, so the send
//! time includes PREROUTING. A configuration's cost is its time per packet
//! minus the baseline's, measured with destinations that are all members
//! (hits) and all non-members (misses), in rounds with the configurations
//! in a rotated order. Rule counters must show exactly the expected
//! matches, or the report says so.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::stats::{summarize, Summary};
use crate::addr::{AddrFamily, Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::family;
use crate::kernel::requests::SetKind;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::packet;
use crate::route::Routing;
use crate::rules::apply;
use crate::rules::installed::BackendKind;
use crate::rules::iptables::Backend;
use crate::rules::save::parse_save;
use crate::rules::spec::Direction;
use crate::rules::spec::Layout;
use crate::rules::spec::RuleSpec;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Config {
    /// Entries in the single set and in each family.
    pub entries: usize,
    /// Shard counts of the families (one family each).
    pub shards: Vec<u32>,
    /// Layouts measured for each family.
    pub layouts: Vec<Layout>,
    /// Packets per timed run.
    pub packets: usize,
    /// Timed rounds (after one warm-up round).
    pub rounds: usize,
    pub seed: u64,
    pub backend: Option<BackendKind>,
    /// hash:ip or hash:net (entries are hosts either way).
    pub set_type: SetType,
    /// The families' routing (must be bits:S for dispatch layouts).
    pub routing: Routing,
}

/// One configuration's extra cost over the baseline, ns per packet.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub label: String,
    /// 0 for the single set.
    pub shards: u32,
    pub layout: Option<Layout>,
    pub hit: Summary,
    pub miss: Summary,
    /// Per-round costs (ns per packet above the baseline): hits, misses.
    #[serde(skip)]
    pub samples: (Vec<f64>, Vec<f64>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub backend: BackendKind,
    pub entries: usize,
    pub packets: usize,
    pub rounds: usize,
    /// Absolute time per packet of the baseline (send + loopback + DROP).
    pub baseline_hit: Summary,
    pub baseline_miss: Summary,
    pub rows: Vec<Row>,
    /// Whether every rule counter showed exactly the expected matches.
    pub counters_ok: bool,
    /// What differed, if anything.
    pub counter_problems: Vec<String>,
}

const SINGLE: &str = "mb-single";
const BASE_CHAIN: &str = "mb-base";
const BASE_PORT: u16 = 9;
const CONFIG_PORT: u16 = 10;
/// Distinct destinations per pool (cycled through).
const POOL: usize = 65536;

fn family_name(n: u32) -> String {
    format!("mb{n}")
}

fn chain_name(n: u32, layout: Layout) -> String {
    format!("mb-{n}-{layout}")
}

fn restore(backend: &Backend, lines: &str) -> Result<()> {
    backend.restore(AddrFamily::Inet, &format!("*raw\n{lines}COMMIT\n"))
}

/// Build sets, families and chains; measure; clean up.
pub fn run(kernel: &mut Kernel, cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Report> {
    if cfg.entries == 0 || cfg.packets == 0 || cfg.rounds == 0 {
        return Err(Error::Usage(
            "entries, packets and rounds must be positive".into(),
        ));
    }
    let backend = Backend::detect(cfg.backend)?;
    progress(&format!("generating {} entries", cfg.entries));
    // Members, and as many non-members as the miss pool needs.
    let (members, strangers) =
        super::workload::addresses(AddrFamily::Inet, cfg.seed, cfg.entries, POOL);
    let v4 = |e: &Entry| match e.addr {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    };
    let hits: Vec<Ipv4Addr> = members.iter().take(POOL).filter_map(v4).collect();
    let misses: Vec<Ipv4Addr> = strangers.iter().filter_map(v4).collect();

    let total_hashsize = (cfg.entries as u32 / 2).next_power_of_two().max(1024);
    let total_maxelem = (cfg.entries as u32).saturating_mul(2).max(65536);
    progress("loading the single set");
    kernel.create_set(
        SINGLE,
        &SetKind::Hash {
            set_type: cfg.set_type,
            family: AddrFamily::Inet,
            hashsize: total_hashsize,
            maxelem: total_maxelem,
            timeout: None,
            counters: false,
            comment: false,
        },
        false,
    )?;
    super::fill::fill(SINGLE, AddrFamily::Inet, &members)?;
    let mut families = Vec::new();
    for &n in &cfg.shards {
        progress(&format!("loading a family of {n} shards"));
        let spec = FamilySpec {
            name: family_name(n),
            set_type: cfg.set_type,
            family: AddrFamily::Inet,
            shards: n,
            routing: cfg.routing,
            hashsize: crate::options::per_shard_hashsize(total_hashsize, n),
            maxelem: total_maxelem,
            timeout: None,
            counters: false,
            comment: false,
            reduce: crate::prefix::levels::Reduce::Off,
            route_auto: false,
        };
        family::create::create(kernel, &spec, false)?;
        super::fill::fill_family(&spec, &members)?;
        families.push(spec);
    }

    progress("installing the rules");
    let mut configs: Vec<(String, u32, Option<Layout>, String)> = vec![(
        format!("one {} set", cfg.set_type.as_str()),
        0,
        None,
        SINGLE.to_string(),
    )];
    let mut script = format!(
        ":{BASE_CHAIN} - [0:0]\n:{SINGLE} - [0:0]\n-A {BASE_CHAIN} -j DROP\n-A {SINGLE} -m set --match-set {SINGLE} dst -j DROP\n-A {SINGLE} -j DROP\n"
    );
    for spec in &families {
        for &layout in &cfg.layouts {
            script.push_str(&format!(":{} - [0:0]\n", chain_name(spec.shards, layout)));
        }
    }
    script.push_str(&format!(
        "-I PREROUTING 1 -p udp --dport {BASE_PORT} -j {BASE_CHAIN}\n-I PREROUTING 2 -j {BASE_CHAIN}\n"
    ));
    restore(&backend, &script)?;
    for spec in &families {
        for &layout in &cfg.layouts {
            let chain = chain_name(spec.shards, layout);
            let rule = RuleSpec {
                family: spec.name.clone(),
                table: "raw".into(),
                chain: chain.clone(),
                direction: Direction::Dst,
                jump: "DROP".into(),
                layout,
                note: None,
            };
            apply::add(&backend, &rule, spec, None)?;
            restore(&backend, &format!("-A {chain} -j DROP\n"))?;
            configs.push((
                format!("{} shards, {layout}", spec.shards),
                spec.shards,
                Some(layout),
                chain,
            ));
        }
    }

    let switch = |chain: &str| restore(&backend, &format!("-R PREROUTING 2 -j {chain}\n"));
    let time = |pool: &[Ipv4Addr], count: usize| {
        packet::time_pair(pool, BASE_PORT, CONFIG_PORT, count)
            .map_err(|e| Error::kernel(KernelErrorKind::Other, format!("sending packets: {e}")))
    };
    let matched_now = |families: &[FamilySpec]| -> Result<Vec<u64>> {
        let raw = backend.save(AddrFamily::Inet, Some("raw"))?;
        let tables = parse_save(&raw);
        let single = tables
            .iter()
            .find(|t| t.name == "raw")
            .and_then(|t| t.rules_of(SINGLE).next().map(|r| r.packets))
            .unwrap_or(0);
        let installed = apply::list(&backend, AddrFamily::Inet, None, families)?;
        let mut out = vec![single];
        for (_, _, _, chain) in configs.iter().skip(1) {
            out.push(
                installed
                    .iter()
                    .filter(|i| i.spec.chain == *chain)
                    .map(|i| i.matched_packets)
                    .sum(),
            );
        }
        Ok(out)
    };

    // Warm-up, then timed rounds.
    progress("warming up");
    for (_, _, _, chain) in &configs {
        switch(chain)?;
        time(&hits, cfg.packets / 4 + 1)?;
        time(&misses, cfg.packets / 4 + 1)?;
    }
    let before = matched_now(&families)?;
    let mut base = (Vec::new(), Vec::new());
    let mut extra: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); configs.len()];
    for round in 0..cfg.rounds {
        progress(&format!("round {} of {}", round + 1, cfg.rounds));
        let mut order: Vec<usize> = (0..configs.len()).collect();
        order.rotate_left(round % configs.len());
        for i in order {
            switch(&configs[i].3)?;
            let (base_hit, hit) = time(&hits, cfg.packets)?;
            let (base_miss, miss) = time(&misses, cfg.packets)?;
            extra[i].0.push(hit - base_hit);
            extra[i].1.push(miss - base_miss);
            base.0.push(base_hit);
            base.1.push(base_miss);
        }
    }
    let after = matched_now(&families)?;
    let want = (cfg.rounds * cfg.packets) as u64;
    let counter_problems: Vec<String> = configs
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(_, (b, a))| *a - *b != want)
        .map(|((label, ..), (b, a))| format!("{label}: {} packets matched, expected {want}", a - b))
        .collect();

    progress("cleaning up");
    switch(BASE_CHAIN)?;
    for spec in &families {
        apply::del_family(&backend, AddrFamily::Inet, &spec.name)?;
    }
    let mut cleanup = format!(
        "-D PREROUTING -p udp --dport {BASE_PORT} -j {BASE_CHAIN}\n-D PREROUTING -j {BASE_CHAIN}\n"
    );
    let chains: Vec<String> = std::iter::once(BASE_CHAIN.to_string())
        .chain(configs.iter().map(|c| c.3.clone()))
        .collect();
    for c in &chains {
        cleanup = format!(":{c} - [0:0]\n{cleanup}-X {c}\n");
    }
    restore(&backend, &cleanup)?;
    for spec in &families {
        family::destroy::destroy(kernel, &spec.name, false)?;
    }
    kernel.destroy_set(SINGLE)?;

    Ok(Report {
        backend: backend.kind,
        entries: cfg.entries,
        packets: cfg.packets,
        rounds: cfg.rounds,
        baseline_hit: summarize(&base.0),
        baseline_miss: summarize(&base.1),
        rows: configs
            .iter()
            .zip(&extra)
            .map(|((label, shards, layout, _), (h, m))| Row {
                label: label.clone(),
                shards: *shards,
                layout: *layout,
                hit: summarize(h),
                miss: summarize(m),
                samples: (h.clone(), m.clone()),
            })
            .collect(),
        counters_ok: counter_problems.is_empty(),
        counter_problems,
    })
}

/// The report as a Markdown table (ns per packet above the baseline).
pub fn markdown(r: &Report) -> String {
    let mut s = format!(
        "{} entries, {} packets x {} rounds, iptables {}; baseline (send + loopback + DROP) {:.0} ns/packet\n\n",
        r.entries,
        r.packets,
        r.rounds,
        r.backend.kernel_name(),
        r.baseline_hit.median
    );
    s.push_str("| layout | hit median | hit p25-p75 | miss median | miss p25-p75 |\n|---|---:|---:|---:|---:|\n");
    for row in &r.rows {
        s.push_str(&format!(
            "| {} | {:.0} | {:.0}-{:.0} | {:.0} | {:.0}-{:.0} |\n",
            row.label,
            row.hit.median,
            row.hit.p25,
            row.hit.p75,
            row.miss.median,
            row.miss.p25,
            row.miss.p75
        ));
    }
    if r.counters_ok {
        s.push_str("\nRule counters: every configuration matched exactly the hit packets and none of the misses.\n");
    } else {
        s.push_str(&format!(
            "\nRULE COUNTERS DISAGREE: {}\n",
            r.counter_problems.join("; ")
        ));
    }
    s
}
