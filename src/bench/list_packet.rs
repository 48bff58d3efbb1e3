//! The packet path of `mipset bench --list`: what each way of holding the
//! user's list costs a packet, measured as [`super::packet_path`] does
//! (UDP from 127.0.0.1 to 127.0.0.0/8 on `lo`, raw PREROUTING, a bare-DROP
//! baseline in alternating chunks, rule counters checked).
//!
//! The list's own addresses are data only: no packet goes to them. What a
//! packet costs is the kernel's lookup, and a hash:net lookup that misses
//! probes the set once per distinct prefix length it holds, wherever the
//! address is. So misses are measured exactly with 127.0.0.0/8
//! destinations the list does not cover (the kernel is asked, per
//! address). Hits cost up to the first matching prefix length, which
//! depends on which entry matches: they are measured by packet only where
//! the list itself covers 127.0.0.0/8 addresses, and otherwise only in
//! process (the lookup rows).

use std::net::{IpAddr, Ipv4Addr};

use crate::addr::{AddrFamily, Entry};
use crate::error::{Error, KernelErrorKind, Result};
use crate::family;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::packet;
use crate::route;
use crate::rules::apply;
use crate::rules::iptables::Backend;
use crate::rules::save::parse_save;
use crate::rules::spec::{Direction, Layout, RuleSpec};

/// One way of holding the list: a stock set, or a family.
#[derive(Debug, Clone)]
pub enum Target {
    Set(String),
    Family(FamilySpec),
}

impl Target {
    /// Does it hold `e` (a host matches any network holding it)?
    pub fn test(&self, kernel: &mut Kernel, e: &Entry) -> Result<bool> {
        match self {
            Target::Set(name) => kernel.test(name, crate::addr::SetType::HashNet, e),
            Target::Family(f) => family::lookup::test(kernel, f, e),
        }
    }
}

/// How to measure.
#[derive(Debug, Clone)]
pub struct Settings {
    pub layout: Layout,
    pub packets: usize,
    pub rounds: usize,
    pub seed: u64,
}

const BASE_CHAIN: &str = "mbl-base";
const BASE_PORT: u16 = 9;
const CONFIG_PORT: u16 = 10;
/// Distinct destinations per pool, at most.
const POOL: usize = 16384;
/// Fewer hit destinations than this: no packet hits are measured.
const LEAST_HITS: usize = 64;

fn chain(i: usize) -> String {
    format!("mbl-c{i}")
}

fn restore(backend: &Backend, lines: &str) -> Result<()> {
    backend.restore(AddrFamily::Inet, &format!("*raw\n{lines}COMMIT\n"))
}

/// 127.0.0.0/8 destinations the first target holds (hits) and does not
/// (misses), as the kernel answers; never 127.0.0.0, 127.0.0.1 or the
/// broadcast address.
fn pools(
    kernel: &mut Kernel,
    stock: &Target,
    seed: u64,
    inside: &[Entry],
) -> Result<(Vec<Ipv4Addr>, Vec<Ipv4Addr>)> {
    let usable =
        |a: u32| a >> 24 == 127 && a != 0x7f00_0000 && a != 0x7f00_0001 && a != 0x7fff_ffff;
    let (mut hits, mut misses) = (Vec::new(), Vec::new());
    // Hosts inside list entries that lie in 127.0.0.0/8, if any.
    for e in inside {
        if let IpAddr::V4(a) = e.addr {
            if usable(a.into()) && hits.len() < POOL && stock.test(kernel, e)? {
                hits.push(a);
            }
        }
    }
    for i in 0..(POOL as u64) * 2 {
        let a = 0x7f00_0000 | (route::mix64(seed ^ 0x7061_636b ^ (i + 1)) as u32 & 0x00ff_ffff);
        if !usable(a) {
            continue;
        }
        let addr = Ipv4Addr::from(a);
        let held = stock.test(kernel, &Entry::host(addr.into()))?;
        match held {
            true if hits.len() < POOL => hits.push(addr),
            false if misses.len() < POOL => misses.push(addr),
            _ => {}
        }
    }
    hits.sort_unstable();
    hits.dedup();
    Ok((hits, misses))
}

/// Per target, per round: ns per packet above the baseline for hits (empty
/// when not measurable) and misses. Notes say how, and any counter
/// disagreement (in capitals, which the command turns into exit 4).
/// `inside`: hosts inside the list's entries that lie in 127.0.0.0/8.
pub fn run(
    kernel: &mut Kernel,
    backend: &Backend,
    targets: &[Target],
    inside: &[Entry],
    s: &Settings,
    notes: &mut Vec<String>,
) -> Result<Vec<(Vec<f64>, Vec<f64>)>> {
    let Some(stock) = targets.first() else {
        return Ok(Vec::new());
    };
    let (mut hits, misses) = pools(kernel, stock, s.seed, inside)?;
    if hits.len() < LEAST_HITS {
        notes.push(format!(
            "packet hits not measured: the list covers {} of the 127.0.0.0/8 destinations tried (packets go nowhere else); hits are measured in process only",
            hits.len()
        ));
        hits.clear();
    }
    if !hits.is_empty() {
        notes.push(format!(
            "packet hits: {} destinations in the part of the list inside 127.0.0.0/8; a hit stops at the first matching prefix length, so they stand for that part of the list only",
            hits.len()
        ));
    }
    if misses.len() < LEAST_HITS {
        notes.push("packet misses not measured: the list covers 127.0.0.0/8".into());
        return Ok(vec![(Vec::new(), Vec::new()); targets.len()]);
    }
    notes.push(format!(
        "packet misses: {} destinations in 127.0.0.0/8 that the list does not cover; a hash:net miss probes every prefix length the set holds wherever the address is, so this is the miss cost for any address",
        misses.len()
    ));

    let mut script = format!(":{BASE_CHAIN} - [0:0]\n-A {BASE_CHAIN} -j DROP\n");
    for (i, t) in targets.iter().enumerate() {
        script.push_str(&format!(":{} - [0:0]\n", chain(i)));
        if let Target::Set(name) = t {
            script.push_str(&format!(
                "-A {c} -m set --match-set {name} dst -j DROP\n-A {c} -j DROP\n",
                c = chain(i)
            ));
        }
    }
    script.push_str(&format!(
        "-I PREROUTING 1 -p udp --dport {BASE_PORT} -j {BASE_CHAIN}\n-I PREROUTING 2 -j {BASE_CHAIN}\n"
    ));
    restore(backend, &script)?;
    let families: Vec<FamilySpec> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Family(f) => Some(f.clone()),
            Target::Set(_) => None,
        })
        .collect();
    for (i, t) in targets.iter().enumerate() {
        if let Target::Family(f) = t {
            let rule = RuleSpec {
                family: f.name.clone(),
                table: "raw".into(),
                chain: chain(i),
                direction: Direction::Dst,
                jump: "DROP".into(),
                layout: s.layout,
                note: None,
            };
            rule.validate(f).map_err(Error::Usage)?;
            apply::add(backend, &rule, f, None)?;
            restore(backend, &format!("-A {} -j DROP\n", chain(i)))?;
        }
    }

    let switch = |c: &str| restore(backend, &format!("-R PREROUTING 2 -j {c}\n"));
    let time = |pool: &[Ipv4Addr], count: usize| {
        packet::time_pair(pool, BASE_PORT, CONFIG_PORT, count)
            .map_err(|e| Error::kernel(KernelErrorKind::Other, format!("sending packets: {e}")))
    };
    let matched = || -> Result<Vec<u64>> {
        let raw = backend.save(AddrFamily::Inet, Some("raw"))?;
        let tables = parse_save(&raw);
        let installed = apply::list(backend, AddrFamily::Inet, None, &families)?;
        let mut out = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            out.push(match t {
                Target::Set(_) => tables
                    .iter()
                    .find(|t| t.name == "raw")
                    .and_then(|t| t.rules_of(&chain(i)).next().map(|r| r.packets))
                    .unwrap_or(0),
                Target::Family(_) => installed
                    .iter()
                    .filter(|r| r.spec.chain == chain(i))
                    .map(|r| r.matched_packets)
                    .sum(),
            });
        }
        Ok(out)
    };

    for i in 0..targets.len() {
        switch(&chain(i))?;
        if !hits.is_empty() {
            time(&hits, s.packets / 4 + 1)?;
        }
        time(&misses, s.packets / 4 + 1)?;
    }
    let before = matched()?;
    let mut out: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); targets.len()];
    for round in 0..s.rounds {
        for k in 0..targets.len() {
            let i = (round + k) % targets.len();
            switch(&chain(i))?;
            if !hits.is_empty() {
                let (base, hit) = time(&hits, s.packets)?;
                out[i].0.push(hit - base);
            }
            let (base, miss) = time(&misses, s.packets)?;
            out[i].1.push(miss - base);
        }
    }
    let after = matched()?;
    let want = if hits.is_empty() {
        0
    } else {
        (s.rounds * s.packets) as u64
    };
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if a - b != want {
            notes.push(format!(
                "RULE COUNTERS DISAGREE for row {i}: {} packets matched the set, expected {want}",
                a - b
            ));
        }
    }

    switch(BASE_CHAIN)?;
    for f in &families {
        apply::del_family(backend, AddrFamily::Inet, &f.name)?;
    }
    let mut cleanup = format!(
        "-D PREROUTING -p udp --dport {BASE_PORT} -j {BASE_CHAIN}\n-D PREROUTING -j {BASE_CHAIN}\n"
    );
    let chains = std::iter::once(BASE_CHAIN.to_string()).chain((0..targets.len()).map(chain));
    for c in chains {
        cleanup = format!(":{c} - [0:0]\n{cleanup}-X {c}\n");
    }
    restore(backend, &cleanup)?;
    Ok(out)
}
