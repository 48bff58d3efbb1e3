//! What changes at scale, as measured by [`super::scale`], and its text
//! (pure).

use std::fmt::Write as _;

use serde::Serialize;

use super::stats::{Ratio, Summary};
use crate::text::human_ns;

#[derive(Debug, Clone, Serialize)]
pub struct Growth {
    pub label: String,
    pub adds: usize,
    /// Per-add latency, ns.
    pub latency: Summary,
    /// Adds slower than 1 ms (hash resizes).
    pub over_1ms: usize,
    pub total_ns: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Replace {
    /// Entries in the whole set, and in the one shard.
    pub whole_entries: usize,
    pub shard_entries: usize,
    pub whole: Summary,
    pub shard: Summary,
    /// shard / whole.
    #[serde(flatten)]
    pub ratio: Ratio,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleReport {
    pub entries: usize,
    pub shards: u32,
    pub growth: Vec<Growth>,
    pub replace: Replace,
    /// Kernel memory (bytes, from set headers) holding the same entries.
    pub memory_single: u64,
    pub memory_family: u64,
    /// maxelem of one set created with ipset's default, and the total of a
    /// family whose shards each keep that default.
    pub capacity_single_default: u64,
    pub capacity_family_default: u64,
}

/// The scale report in words and small tables.
pub fn text(r: &ScaleReport) -> String {
    let mut s = format!(
        "At scale: growing to {} entries one add at a time (family: {} shards)\n",
        r.entries, r.shards
    );
    let _ = writeln!(
        s,
        "  {:<32} {:>9} {:>9} {:>9} {:>10} {:>8} {:>9}",
        "", "median", "p99", "p99.9", "max", ">1 ms", "total"
    );
    for g in &r.growth {
        let _ = writeln!(
            s,
            "  {:<32} {:>9} {:>9} {:>9} {:>10} {:>8} {:>9}",
            g.label,
            human_ns(g.latency.median),
            human_ns(g.latency.p99),
            human_ns(g.latency.p999),
            human_ns(g.latency.max),
            g.over_1ms,
            human_ns(g.total_ns)
        );
    }
    let rp = &r.replace;
    let _ = writeln!(
        s,
        "Atomic replace (new set, batch fill, swap, destroy): whole set of {} entries {} (median of {}), one shard of {} entries {}: {:.2}x [{:.2}-{:.2}]",
        rp.whole_entries,
        human_ns(rp.whole.median),
        rp.whole.samples,
        rp.shard_entries,
        human_ns(rp.shard.median),
        rp.ratio.ratio,
        rp.ratio.ci_low,
        rp.ratio.ci_high
    );
    if r.memory_single > 0 {
        let _ = writeln!(
            s,
            "Kernel memory for the same entries: one set {} KiB, family {} KiB ({:.2}x)",
            r.memory_single / 1024,
            r.memory_family / 1024,
            r.memory_family as f64 / r.memory_single as f64
        );
    }
    let _ = writeln!(
        s,
        "Capacity with ipset's default maxelem (65536 per set): one set {}, a family of {} such shards {}",
        r.capacity_single_default, r.shards, r.capacity_family_default
    );
    s
}
