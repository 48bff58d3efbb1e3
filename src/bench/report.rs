//! A benchmark's result and its renderings: terminal table, Markdown, CSV
//! and JSON (schema: docs/bench-schema.json); plain-word verdicts. Pure
//! (the SVG plot is [`super::plot`]; the exec method's third side, `mipset`
//! on one shard, is [`super::exec_report`]).

use std::fmt::Write as _;

use serde::Serialize;

use super::columns::{self, col, wide, Cell, Column};
use super::exec_report::{self, ToolBaseline};
use super::scale_report::ScaleReport;
use super::stats::{Overhead, Ratio, Summary};
use crate::text::human_ns;

/// Version of the JSON layout (docs/bench-schema.json).
pub const SCHEMA_VERSION: u32 = 1;

/// How the bench measures (`--method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    Netlink,
    Exec,
    Packet,
    // Every method.
    All,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Netlink => "netlink",
            Method::Exec => "exec",
            Method::Packet => "packet",
            Method::All => "all",
        }
    }

    /// The methods asked for, `all` spelled out, each once, in the order
    /// asked.
    pub fn expand(asked: &[Method]) -> Vec<Method> {
        let mut methods: Vec<Method> = Vec::new();
        for &m in asked {
            let these: &[Method] = match m {
                Method::All => &[Method::Netlink, Method::Exec, Method::Packet],
                _ => std::slice::from_ref(&m),
            };
            for &t in these {
                if !methods.contains(&t) {
                    methods.push(t);
                }
            }
        }
        methods
    }
}

/// A rendering of the report (`--format`, or an `--export` file's
/// extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

impl Format {
    /// The format a file name asks for by its extension, if any.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str())? {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// The report in `format`; a table shows every column only if `wide`
/// (else it fits [`columns::WIDTH`]).
pub fn render(r: &Report, format: Format, wide: bool) -> String {
    match format {
        Format::Table => table(r, wide),
        Format::Json => json(r),
        Format::Csv => csv(r),
        Format::Markdown => markdown(r),
    }
}

/// One operation measured on one set and on the family (and, by the exec
/// method, on a family of one shard).
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// `netlink`, `exec` or `packet`.
    pub method: &'static str,
    /// As the paper names it, plus what exactly ran.
    pub metric: String,
    pub operation: String,
    pub entries: usize,
    pub shards: u32,
    /// Nanoseconds per operation (packet: per packet above the baseline).
    /// Exec: `ipset` on one set; `mipset` on the N-shard family.
    pub single: Summary,
    pub multi: Summary,
    /// multi / single: what a user sees.
    #[serde(flatten)]
    pub ratio: Ratio,
    /// Exec only: `mipset` on a family of one shard (`one_shard`,
    /// `tool_ratio`, `sharding_ratio` in JSON).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ToolBaseline>,
    /// Raw samples (ns), for plots; not exported.
    #[serde(skip)]
    pub samples: (Vec<f64>, Vec<f64>),
}

/// What was asked for.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub entries: Vec<usize>,
    pub shards: Vec<u32>,
    #[serde(rename = "type")]
    pub set_type: String,
    pub address_family: String,
    pub route: String,
    pub layout: String,
    pub methods: Vec<String>,
    pub ops: usize,
    pub exec_ops: usize,
    pub warmup: usize,
    pub packets: usize,
    pub rounds: usize,
    pub seed: u64,
    pub in_place: bool,
}

/// Where a benchmark ran (see [`super::machine::describe`]).
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub kernel: String,
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    /// The iptables backend mipset uses here, and why.
    pub iptables: String,
    /// `ipset version` (userspace and kernel protocol).
    pub ipset: String,
    pub mipset: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// The command line that produced this report.
    pub command: String,
    pub machine: Machine,
    pub settings: Settings,
    pub overhead: Overhead,
    /// Overhead over the smallest median reported by a timed-call method
    /// (netlink, exec); must stay below 5%.
    pub overhead_fraction: f64,
    pub measurements: Vec<Measurement>,
    pub scale: Option<ScaleReport>,
    /// Findings in words (where the family wins, where it costs).
    pub verdicts: Vec<String>,
    /// What could not be measured here, and why.
    pub notes: Vec<String>,
}

fn method_title(method: &str) -> &'static str {
    match method {
        "netlink" => "in process (one kernel call through mipset's backend)",
        "exec" => "one process per operation (the paper's method)",
        _ => "packet path (raw PREROUTING, ns per packet above a bare DROP; from/to over rounds)",
    }
}

/// A section's title, with the family's rule layout for packet rows.
fn title(r: &Report, method: &str) -> String {
    if method == "packet" {
        format!(
            "{}, family through the {} layout",
            method_title(method),
            r.settings.layout
        )
    } else {
        method_title(method).to_string()
    }
}

/// Groups of measurements in report order: (method, entries, shards).
fn groups(r: &Report) -> Vec<(&'static str, usize, u32, Vec<&Measurement>)> {
    let mut out: Vec<(&'static str, usize, u32, Vec<&Measurement>)> = Vec::new();
    for m in &r.measurements {
        match out
            .iter_mut()
            .find(|g| g.0 == m.method && g.1 == m.entries && g.2 == m.shards)
        {
            Some(g) => g.3.push(m),
            None => out.push((m.method, m.entries, m.shards, vec![m])),
        }
    }
    out
}

/// The columns of a netlink or packet table: by default the medians and
/// their ratio, with `--wide` each side's range too.
const HEADER: [Column; 8] = [
    col("Metric"),
    wide("single from"),
    wide("single to"),
    wide("multi from"),
    wide("multi to"),
    col("single median"),
    col("multi median"),
    col("multi/single [95% CI]"),
];

/// A group's columns and rows: one row per measurement, or four per exec
/// measurement (its name, then one per side).
fn header_and_rows(ms: &[&Measurement]) -> (Vec<Column>, Vec<Vec<Cell>>) {
    if ms.iter().all(|m| m.tool.is_some()) {
        let rows = ms
            .iter()
            .flat_map(|m| match &m.tool {
                Some(t) => exec_report::rows(&m.metric, m.shards, &m.single, &m.multi, &m.ratio, t),
                None => Vec::new(),
            })
            .collect();
        (exec_report::HEADER.to_vec(), rows)
    } else {
        (HEADER.to_vec(), ms.iter().map(|m| row(m)).collect())
    }
}

/// What a group's sides are, if they need saying.
fn legend(ms: &[&Measurement]) -> Option<String> {
    match ms.first() {
        Some(m) if m.tool.is_some() => Some(exec_report::legend(m.shards)),
        _ => None,
    }
}

fn row(m: &Measurement) -> Vec<Cell> {
    vec![
        Cell::Text(m.metric.clone()),
        Cell::Ns(m.single.p5),
        Cell::Ns(m.single.p95),
        Cell::Ns(m.multi.p5),
        Cell::Ns(m.multi.p95),
        Cell::Ns(m.single.median),
        Cell::Ns(m.multi.median),
        columns::ratio(&m.ratio),
    ]
}

fn header_text(r: &Report) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let _ = writeln!(s, "mipset bench: one set versus a family of shards");
    let _ = writeln!(
        s,
        "machine: {}, {} ({} cores, {} GiB); iptables {}; {}; {}",
        m.kernel, m.cpu, m.cores, m.memory_gib, m.iptables, m.ipset, m.mipset
    );
    let _ = writeln!(s, "command: {}", r.command);
    let fraction = if r.overhead_fraction > 0.0 {
        format!("{:.2}% of the smallest median", r.overhead_fraction * 100.0)
    } else {
        "no timed-call rows to compare with".to_string()
    };
    let _ = writeln!(
        s,
        "timer overhead {} per read pair, {} per sample ({fraction}); from = p5, to = p95; ~ = no significant difference (the 95% interval includes 1)",
        human_ns(r.overhead.timer_ns),
        human_ns(r.overhead.bookkeeping_ns),
    );
    s
}

/// Tables for a terminal: within [`columns::WIDTH`] columns unless `wide`
/// (every column; the prose is wrapped either way).
pub fn table(r: &Report, wide: bool) -> String {
    let mut s = columns::wrap(&header_text(r));
    for (method, entries, shards, ms) in groups(r) {
        s.push('\n');
        s.push_str(&columns::wrap(&format!(
            "{method}: {} entries, {shards} shards, {}",
            entries,
            title(r, method)
        )));
        if let Some(l) = legend(&ms) {
            s.push_str(&columns::wrap(&l));
        }
        let (header, rows) = header_and_rows(&ms);
        s.push_str(&columns::render(&header, &rows, wide));
    }
    if let Some(scale) = &r.scale {
        s.push('\n');
        s.push_str(&super::scale_report::text(scale, wide));
    }
    if !r.verdicts.is_empty() {
        let _ = writeln!(s, "\nWhat the numbers say:");
        for v in &r.verdicts {
            s.push_str(&columns::wrap(&format!("- {v}")));
        }
    }
    for n in &r.notes {
        s.push_str(&columns::wrap(&format!("note: {n}")));
    }
    s
}

/// The same as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    for line in header_text(r).lines() {
        let _ = writeln!(s, "{line}  ");
    }
    for (method, entries, shards, ms) in groups(r) {
        let _ = writeln!(
            s,
            "\n### {method}: {entries} entries, {shards} shards\n\n{}\n",
            title(r, method)
        );
        if let Some(l) = legend(&ms) {
            let _ = writeln!(s, "{}\n", l.replace('\n', "  \n"));
        }
        let (header, rows) = header_and_rows(&ms);
        s.push_str(&columns::markdown(&header, &rows));
    }
    if let Some(scale) = &r.scale {
        let _ = writeln!(
            s,
            "\n### At scale\n\n```\n{}```",
            super::scale_report::text(scale, true)
        );
    }
    if !r.verdicts.is_empty() {
        let _ = writeln!(s, "\n### What the numbers say\n");
        for v in &r.verdicts {
            let _ = writeln!(s, "- {v}");
        }
    }
    for n in &r.notes {
        let _ = writeln!(s, "\nNote: {n}");
    }
    s
}

/// One CSV row per measurement and side (single, one_shard for exec,
/// multi), all times in nanoseconds; the ratio columns are the
/// measurement's, on each of its rows.
pub fn csv(r: &Report) -> String {
    let mut s = format!(
        "method,metric,operation,entries,shards,side,samples,min_ns,p5_ns,p25_ns,median_ns,p75_ns,p95_ns,p99_ns,p999_ns,max_ns,mean_ns,stddev_ns,ratio,ci_low,ci_high,within_noise,{}\n",
        exec_report::CSV_COLUMNS
    );
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    for m in &r.measurements {
        let mut sides = vec![("single", &m.single)];
        sides.extend(m.tool.as_ref().map(|t| ("one_shard", &t.one_shard)));
        sides.push(("multi", &m.multi));
        let tail = exec_report::csv_values(m.tool.as_ref());
        for (side, x) in sides {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{side},{},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.4},{:.4},{:.4},{},{tail}",
                m.method,
                quote(&m.metric),
                quote(&m.operation),
                m.entries,
                m.shards,
                x.samples,
                x.min,
                x.p5,
                x.p25,
                x.median,
                x.p75,
                x.p95,
                x.p99,
                x.p999,
                x.max,
                x.mean,
                x.stddev,
                m.ratio.ratio,
                m.ratio.ci_low,
                m.ratio.ci_high,
                m.ratio.within_noise
            );
        }
    }
    s
}

pub fn json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).unwrap_or_default();
    s.push('\n');
    s
}

/// Plain statements from the measurements at the largest size.
pub fn verdicts(ms: &[Measurement], scale: Option<&ScaleReport>) -> Vec<String> {
    let mut out = Vec::new();
    let largest = ms.iter().map(|m| m.entries).max().unwrap_or(0);
    for m in ms.iter().filter(|m| m.entries == largest) {
        let verdict = if m.ratio.within_noise {
            format!(
                "no significantly different time from one set ({:.2}x, the 95% interval includes 1)",
                m.ratio.ratio
            )
        } else if m.ratio.ratio > 1.0 {
            format!("{:.2}x the time of one set", m.ratio.ratio)
        } else {
            format!("{:.2}x the time of one set (faster)", m.ratio.ratio)
        };
        let diff = m.multi.median - m.single.median;
        out.push(format!(
            "{} {}, {} entries, {} shards: the family takes {verdict} (median {} vs {}, {}{})",
            m.method,
            m.metric,
            m.entries,
            m.shards,
            human_ns(m.multi.median),
            human_ns(m.single.median),
            if diff >= 0.0 { "+" } else { "" },
            human_ns(diff)
        ));
        if let Some(t) = &m.tool {
            out.push(exec_report::verdict(&m.metric, m.entries, m.shards, t));
        }
    }
    if let Some(s) = scale {
        if let (Some(one), Some(fam)) = (s.growth.first(), s.growth.get(2)) {
            out.push(format!(
                "growing to {} entries: worst single add {} for one set ({} adds over 1 ms) against {} for the family ({} over 1 ms); pre-sized: {} and {}",
                s.entries,
                human_ns(one.latency.max),
                one.over_1ms,
                human_ns(fam.latency.max),
                fam.over_1ms,
                human_ns(s.growth[1].latency.max),
                human_ns(s.growth.get(3).map_or(0.0, |g| g.latency.max))
            ));
        }
        out.push(format!(
            "replacing one shard atomically costs {:.2}x of replacing the whole set",
            s.replace.ratio.ratio
        ));
    }
    out
}
