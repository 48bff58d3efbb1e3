//! What changes at scale, as measured by [`super::scale`], and its text
//! (pure).

use std::fmt::Write as _;

use serde::Serialize;

use super::columns::{self, col, own_unit, wide, Cell, Column};
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

/// The growth table's columns (p99.9 with `--wide` only).
const GROWTH: [Column; 7] = [
    col(""),
    col("median"),
    col("p99"),
    wide("p99.9"),
    col("max"),
    col("adds >1 ms"),
    own_unit("total"),
];

/// The scale report in words and a table: within [`columns::WIDTH`]
/// columns unless `wide` (every column).
pub fn text(r: &ScaleReport, wide: bool) -> String {
    let mut s = columns::wrap(&format!(
        "At scale: growing to {} entries one add at a time (family: {} shards)",
        r.entries, r.shards
    ));
    let rows: Vec<Vec<Cell>> = r
        .growth
        .iter()
        .map(|g| {
            vec![
                Cell::Text(format!("  {}", g.label)),
                Cell::Ns(g.latency.median),
                Cell::Ns(g.latency.p99),
                Cell::Ns(g.latency.p999),
                Cell::Ns(g.latency.max),
                Cell::Num(g.over_1ms.to_string()),
                Cell::Ns(g.total_ns),
            ]
        })
        .collect();
    s.push_str(&columns::render(&GROWTH, &rows, wide));
    let mut prose = String::new();
    let rp = &r.replace;
    let _ = writeln!(
        prose,
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
            prose,
            "Kernel memory for the same entries: one set {} KiB, family {} KiB ({:.2}x)",
            r.memory_single / 1024,
            r.memory_family / 1024,
            r.memory_family as f64 / r.memory_single as f64
        );
    }
    let _ = writeln!(
        prose,
        "Capacity with ipset's default maxelem (65536 per set): one set {}, a family of {} such shards {}",
        r.capacity_single_default, r.shards, r.capacity_family_default
    );
    s.push_str(&columns::wrap(&prose));
    s
}
