//! The exec method's three sides (pure). Each exec measurement runs the
//! same operation on the same entries three ways, interleaved:
//!
//! 1. `ipset` on one set, the stock baseline (the measurement's `single`);
//! 2. `mipset` on a family of one shard ([`ToolBaseline::one_shard`]);
//! 3. `mipset` on the N-shard family (`multi`).
//!
//! (2)/(1) is what the tool costs, (3)/(2) what sharding costs and (3)/(1)
//! what a user sees. This file holds the middle side, its two ratios, and
//! their table rows, CSV columns and verdicts.

use serde::Serialize;

use super::columns::{self, col, wide, Cell, Column};
use super::stats::{ratio, summarize, Ratio, Summary};

/// An exec measurement's middle side and the two ratios it allows.
#[derive(Debug, Clone, Serialize)]
pub struct ToolBaseline {
    /// `mipset` on a family of one shard holding the same entries.
    pub one_shard: Summary,
    /// one_shard / single: what the tool costs on the same structure.
    pub tool_ratio: Ratio,
    /// multi / one_shard: what sharding costs with the same tool.
    pub sharding_ratio: Ratio,
    /// Raw samples (ns), for plots; not exported.
    #[serde(skip)]
    pub samples: Vec<f64>,
}

impl ToolBaseline {
    /// The middle side of a measurement whose outer sides are `single`
    /// and `multi` (samples in ns, none empty).
    pub fn new(single: &[f64], one_shard: Vec<f64>, multi: &[f64]) -> ToolBaseline {
        ToolBaseline {
            one_shard: summarize(&one_shard),
            tool_ratio: ratio(single, &one_shard),
            sharding_ratio: ratio(&one_shard, multi),
            samples: one_shard,
        }
    }
}

/// The columns of an exec table: a metric's own row names it, its three
/// sides follow (their ranges with `--wide` only).
pub const HEADER: [Column; 6] = [
    col("Metric, run"),
    wide("from"),
    wide("to"),
    col("median"),
    col("vs (1) [95% CI]"),
    col("vs (2) [95% CI]"),
];

/// `iptables -C` rows time one program on three rules, not two tools.
fn is_rule_check(metric: &str) -> bool {
    metric.contains("iptables -C")
}

/// The three sides' names in a metric's rows.
fn labels(metric: &str, shards: u32) -> [String; 3] {
    if is_rule_check(metric) {
        [
            "(1) rule of one set".into(),
            "(2) rule of 1 shard".into(),
            format!("(3) rule of {shards} shards"),
        ]
    } else {
        [
            "(1) ipset, one set".into(),
            "(2) mipset, 1 shard".into(),
            format!("(3) mipset, {shards} shards"),
        ]
    }
}

/// What the three sides are, under an exec section's title.
pub fn legend(shards: u32) -> String {
    format!(
        "(1) ipset on one set, (2) mipset on a family of 1 shard, (3) mipset on {shards} shards; same entries\n\
         vs (1): (2) is what the tool costs, (3) what a user sees; vs (2): (3) is what sharding costs"
    )
}

/// A metric's four rows: its name, then (1), (2) and (3) with their ratios.
pub fn rows(
    metric: &str,
    shards: u32,
    single: &Summary,
    multi: &Summary,
    user: &Ratio,
    t: &ToolBaseline,
) -> Vec<Vec<Cell>> {
    let [l1, l2, l3] = labels(metric, shards);
    let side = |label: String, s: &Summary, vs1: Cell, vs2: Cell| {
        vec![
            Cell::Text(format!("  {label}")),
            Cell::Ns(s.p5),
            Cell::Ns(s.p95),
            Cell::Ns(s.median),
            vs1,
            vs2,
        ]
    };
    let mut name = vec![Cell::Empty; HEADER.len()];
    name[0] = Cell::Text(metric.to_string());
    let text = columns::ratio;
    vec![
        name,
        side(l1, single, Cell::Empty, Cell::Empty),
        side(l2, &t.one_shard, text(&t.tool_ratio), Cell::Empty),
        side(l3, multi, text(user), text(&t.sharding_ratio)),
    ]
}

/// The CSV columns after the common ones.
pub const CSV_COLUMNS: &str = "tool_ratio,tool_ci_low,tool_ci_high,tool_within_noise,sharding_ratio,sharding_ci_low,sharding_ci_high,sharding_within_noise";

/// Those columns' values, empty for a measurement without the middle side.
pub fn csv_values(t: Option<&ToolBaseline>) -> String {
    match t {
        None => ",,,,,,,".into(),
        Some(t) => [&t.tool_ratio, &t.sharding_ratio]
            .iter()
            .map(|r| {
                format!(
                    "{:.4},{:.4},{:.4},{}",
                    r.ratio, r.ci_low, r.ci_high, r.within_noise
                )
            })
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// `1.23x`, or `1.23x (within noise)` when the interval includes 1.
fn times(r: &Ratio) -> String {
    if r.within_noise {
        format!("{:.2}x (within noise)", r.ratio)
    } else {
        format!("{:.2}x", r.ratio)
    }
}

/// The split of a measurement's ratio into tool and sharding, in words.
pub fn verdict(metric: &str, entries: usize, shards: u32, t: &ToolBaseline) -> String {
    if is_rule_check(metric) {
        format!(
            "exec {metric}, {entries} entries: the rule of a family of 1 shard takes {} the time of one set's rule, of {shards} shards {} that of 1 shard",
            times(&t.tool_ratio),
            times(&t.sharding_ratio)
        )
    } else {
        format!(
            "exec {metric}, {entries} entries: mipset on 1 shard takes {} the time of ipset (the tool), on {shards} shards {} that of 1 shard (sharding)",
            times(&t.tool_ratio),
            times(&t.sharding_ratio)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: f64, n: usize) -> Vec<f64> {
        (0..n).map(|i| v + f64::from(i as u32 % 7)).collect()
    }

    #[test]
    fn ratios_split_the_total_into_tool_and_sharding() {
        let (single, one, multi) = (flat(1000.0, 200), flat(1500.0, 200), flat(3000.0, 200));
        let t = ToolBaseline::new(&single, one, &multi);
        assert!((t.tool_ratio.ratio - 1503.0 / 1003.0).abs() < 1e-9);
        assert!((t.sharding_ratio.ratio - 3003.0 / 1503.0).abs() < 1e-9);
        assert!(!t.tool_ratio.within_noise && !t.sharding_ratio.within_noise);
        let user = ratio(&single, &multi);
        let product = t.tool_ratio.ratio * t.sharding_ratio.ratio;
        assert!((product - user.ratio).abs() < 1e-9);
        let rows = rows(
            "Insertion Time",
            16,
            &summarize(&single),
            &summarize(&multi),
            &user,
            &t,
        );
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.len() == HEADER.len()));
        let text = |c: &Cell| match c {
            Cell::Text(t) | Cell::Num(t) => t.clone(),
            _ => String::new(),
        };
        assert_eq!(text(&rows[0][0]), "Insertion Time");
        assert!(text(&rows[3][0]).contains("16 shards") && text(&rows[3][4]).starts_with("2.99x"));
        assert!(text(&rows[2][4]).starts_with("1.50x") && rows[2][5] == Cell::Empty);
        assert!(text(&rows[3][5]).starts_with("2.00x"));
        let csv = csv_values(Some(&t));
        assert_eq!(csv.split(',').count(), CSV_COLUMNS.split(',').count());
        assert_eq!(csv_values(None).split(',').count(), 8);
        assert!(verdict("Insertion Time", 1000, 16, &t).contains("1.50x"));
    }
}
