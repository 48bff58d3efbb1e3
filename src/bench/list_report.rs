//! The report of `mipset bench --list FILE` (pure): one row per way of
//! holding the user's list (stock set, iprange-reduced sets, family), what
//! the kernel holds for each, what loading and looking up cost, and each
//! row against the stock set. Rendered as tables, Markdown or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::columns::{self, col, Cell, Column};
use super::report::{Format, Machine};
use super::stats::{ratio, summarize, Ratio, Summary};
use crate::text::plural;

/// What was asked for.
#[derive(Debug, Clone, Serialize)]
pub struct ListSettings {
    /// The list file, as named on the command line.
    pub file: String,
    /// Entries the list file holds (lines with an address).
    pub list_entries: usize,
    #[serde(rename = "type")]
    pub set_type: String,
    pub address_family: String,
    pub shards: u32,
    pub route: String,
    pub layout: String,
    pub ops: usize,
    pub packets: usize,
    pub rounds: usize,
    pub seed: u64,
}

/// Distinct prefix lengths in the kernel sets of a row: a hash:net miss
/// probes each once.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Prefixes {
    /// Distinct lengths of the set (family: of its fullest shard).
    pub distinct: usize,
    /// Family only: the fewest, median and most distinct lengths of a shard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_shard: Option<[usize; 3]>,
    /// Every length present, ascending (family: in any shard).
    pub lengths: Vec<u8>,
}

impl Prefixes {
    /// From the lengths found in each set of a row (one set, or a shard each).
    pub fn of(sets: &[Vec<u8>]) -> Prefixes {
        let mut counts: Vec<usize> = sets.iter().map(Vec::len).collect();
        counts.sort_unstable();
        let mut lengths: Vec<u8> = sets.iter().flatten().copied().collect();
        lengths.sort_unstable();
        lengths.dedup();
        Prefixes {
            distinct: counts.last().copied().unwrap_or(0),
            per_shard: (sets.len() > 1).then(|| {
                [
                    counts[0],
                    counts[counts.len() / 2],
                    counts[counts.len() - 1],
                ]
            }),
            lengths,
        }
    }

    fn text(&self) -> String {
        match self.per_shard {
            Some([lo, mid, hi]) => format!("{hi} (shards {lo}/{mid}/{hi})"),
            None => self.distinct.to_string(),
        }
    }
}

/// A timed lookup of one row, with its raw samples (not exported).
#[derive(Debug, Clone, Serialize)]
pub struct Timed {
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(skip)]
    pub samples: Vec<f64>,
}

impl Timed {
    pub fn new(samples: Vec<f64>) -> Option<Timed> {
        (!samples.is_empty()).then(|| Timed {
            summary: summarize(&samples),
            samples,
        })
    }
}

/// One way of holding the list in the kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `stock`, `iprange-20`, `iprange-100` or `family`.
    pub name: String,
    /// What it is, in words.
    pub description: String,
    /// Kernel sets holding the entries (a family: its shards).
    pub sets: u32,
    /// Elements the kernel holds (a family: summed over its shards).
    pub entries: u64,
    /// Kernel memory of its sets, bytes (the headers' memsize, summed).
    pub memory_bytes: u64,
    pub prefixes: Prefixes,
    /// From the list in memory to the kernel: `ipset restore` (process
    /// included) or mipset's create and load engine, seconds.
    pub load_seconds: f64,
    /// iprange rows: how long iprange itself took, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepare_seconds: Option<f64>,
    /// In-process kernel test of an address (ns): one inside the list,
    /// one outside it.
    pub lookup_hit: Option<Timed>,
    pub lookup_miss: Option<Timed>,
    /// ns per packet above a bare DROP, destinations in 127.0.0.0/8.
    pub packet_hit: Option<Timed>,
    pub packet_miss: Option<Timed>,
}

/// A row against the stock set.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    pub row: String,
    /// row / stock, for entries, memory and load time.
    pub entries: f64,
    pub memory: f64,
    pub load: f64,
    /// row median / stock median, with a 95% bootstrap interval.
    pub lookup_hit: Option<Ratio>,
    pub lookup_miss: Option<Ratio>,
    pub packet_hit: Option<Ratio>,
    pub packet_miss: Option<Ratio>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    /// Always `list`: tells this report from the random-address one.
    pub mode: &'static str,
    pub command: String,
    pub machine: Machine,
    pub settings: ListSettings,
    pub rows: Vec<Row>,
    /// Every row but the stock one, against it.
    pub compared: Vec<Compared>,
    /// How the packet rows were measured, and what was skipped and why.
    pub notes: Vec<String>,
}

fn against(a: &Option<Timed>, stock: &Option<Timed>) -> Option<Ratio> {
    Some(ratio(&stock.as_ref()?.samples, &a.as_ref()?.samples))
}

/// Every row but the first (the stock set) against the first.
pub fn compare(rows: &[Row]) -> Vec<Compared> {
    let Some(stock) = rows.first() else {
        return Vec::new();
    };
    let div = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    rows.iter()
        .skip(1)
        .map(|r| Compared {
            row: r.name.clone(),
            entries: div(r.entries as f64, stock.entries as f64),
            memory: div(r.memory_bytes as f64, stock.memory_bytes as f64),
            load: div(r.load_seconds, stock.load_seconds),
            lookup_hit: against(&r.lookup_hit, &stock.lookup_hit),
            lookup_miss: against(&r.lookup_miss, &stock.lookup_miss),
            packet_hit: against(&r.packet_hit, &stock.packet_hit),
            packet_miss: against(&r.packet_miss, &stock.packet_miss),
        })
        .collect()
}

/// The report in `format` (CSV is refused before the run).
pub fn render(r: &ListReport, format: Format) -> String {
    match format {
        Format::Json | Format::Csv => json(r),
        Format::Markdown => markdown(r),
        Format::Table => table(r),
    }
}

pub fn json(r: &ListReport) -> String {
    let mut s = serde_json::to_string_pretty(r).unwrap_or_default();
    s.push('\n');
    s
}

fn median(t: &Option<Timed>) -> Cell {
    t.as_ref()
        .map_or_else(|| Cell::Num("-".into()), |t| Cell::Ns(t.summary.median))
}

fn ratio_text(r: &Option<Ratio>) -> Cell {
    r.as_ref()
        .map_or_else(|| Cell::Num("-".into()), columns::ratio)
}

fn mib(bytes: u64) -> Cell {
    Cell::Num(format!("{:.2}", bytes as f64 / (1024.0 * 1024.0)))
}

fn num(x: impl ToString) -> Cell {
    Cell::Num(x.to_string())
}

/// A table of the report: its title, columns and rows.
struct Section {
    title: &'static str,
    header: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

/// The three tables.
fn tables(r: &ListReport) -> Vec<Section> {
    let held = r
        .rows
        .iter()
        .map(|x| {
            vec![
                Cell::Text(x.name.clone()),
                num(x.sets),
                num(x.entries),
                mib(x.memory_bytes),
                num(x.prefixes.text()),
                num(format!("{:.3}", x.load_seconds)),
            ]
        })
        .collect();
    let cost = r
        .rows
        .iter()
        .map(|x| {
            vec![
                Cell::Text(x.name.clone()),
                median(&x.lookup_hit),
                median(&x.lookup_miss),
                median(&x.packet_hit),
                median(&x.packet_miss),
            ]
        })
        .collect();
    let vs = r
        .compared
        .iter()
        .map(|c| {
            vec![
                Cell::Text(c.row.clone()),
                num(format!("{:.2}x", c.entries)),
                num(format!("{:.2}x", c.memory)),
                num(format!("{:.2}x", c.load)),
                ratio_text(&c.lookup_miss),
                ratio_text(&c.packet_miss),
            ]
        })
        .collect();
    let section = |title, header, rows| Section {
        title,
        header,
        rows,
    };
    vec![
        section(
            "what the kernel holds (prefix lengths: distinct; family: fullest shard, then fewest/median/most)",
            ["row", "sets", "entries", "memory MiB", "prefix lengths", "load s"]
                .map(col)
                .to_vec(),
            held,
        ),
        section(
            "lookup cost, medians (lookup: in-process kernel test; packet: ns above a bare DROP)",
            ["row", "lookup hit", "lookup miss", "packet hit", "packet miss"]
                .map(col)
                .to_vec(),
            cost,
        ),
        section(
            "against the stock set (row / stock; [95% interval]; ~ = within noise)",
            ["row", "entries", "memory", "load", "lookup miss", "packet miss"]
                .map(col)
                .to_vec(),
            vs,
        ),
    ]
}

fn header_lines(r: &ListReport) -> Vec<String> {
    let m = &r.machine;
    let s = &r.settings;
    vec![
        format!(
            "mipset bench --list: {} ({} entries), {} {}",
            s.file, s.list_entries, s.set_type, s.address_family
        ),
        format!(
            "family: {}, route {}, {} layout; {} ops, {} packets x {} rounds",
            plural(u64::from(s.shards), "shard", "shards"),
            s.route,
            s.layout,
            s.ops,
            s.packets,
            s.rounds
        ),
        format!(
            "machine: {}, {} ({} cores, {} GiB); {}; {}",
            m.kernel, m.cpu, m.cores, m.memory_gib, m.ipset, m.mipset
        ),
        format!("command: {}", r.command),
    ]
}

/// Tables for a terminal, lines of at most [`columns::WIDTH`] columns.
pub fn table(r: &ListReport) -> String {
    let mut s: String = header_lines(r).iter().map(|l| columns::wrap(l)).collect();
    for Section {
        title,
        header,
        rows,
    } in tables(r)
    {
        s.push('\n');
        s.push_str(&columns::wrap(title));
        s.push_str(&columns::render(&header, &rows, true));
    }
    for n in &r.notes {
        s.push_str(&columns::wrap(&format!("note: {n}")));
    }
    s
}

pub fn markdown(r: &ListReport) -> String {
    let mut s = String::new();
    for line in header_lines(r) {
        let _ = writeln!(s, "{line}  ");
    }
    for Section {
        title,
        header,
        rows,
    } in tables(r)
    {
        let _ = writeln!(s, "\n{title}\n");
        s.push_str(&columns::markdown(&header, &rows));
    }
    for n in &r.notes {
        let _ = writeln!(s, "\nNote: {n}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::columns::WIDTH;

    #[test]
    fn prefixes_of_one_set_and_of_shards() {
        let one = Prefixes::of(&[vec![8, 24, 32]]);
        assert_eq!((one.distinct, one.per_shard), (3, None));
        let fam = Prefixes::of(&[vec![24], vec![16, 24, 32], vec![24, 32]]);
        assert_eq!(fam.distinct, 3);
        assert_eq!(fam.per_shard, Some([1, 2, 3]));
        assert_eq!(fam.lengths, vec![16, 24, 32]);
        assert_eq!(fam.text(), "3 (shards 1/2/3)");
        assert_eq!(Prefixes::of(&[]).distinct, 0);
    }

    fn row(name: &str, entries: u64, ns: f64) -> Row {
        let t = Timed::new((0..50).map(|i| ns + f64::from(i % 5)).collect());
        Row {
            name: name.into(),
            description: String::new(),
            sets: 1,
            entries,
            memory_bytes: entries * 100,
            prefixes: Prefixes::default(),
            load_seconds: entries as f64 / 1000.0,
            prepare_seconds: None,
            lookup_hit: t.clone(),
            lookup_miss: t,
            packet_hit: None,
            packet_miss: None,
        }
    }

    #[test]
    fn terminal_lines_stay_within_the_width() {
        let machine = Machine {
            kernel: "Linux 6.18.44-fc-v1098".into(),
            cpu: "AMD EPYC 7R13 Processor with a long model name".into(),
            cores: 2,
            memory_gib: 23.5,
            iptables: "nf_tables".into(),
            ipset: "ipset v7.17, protocol version: 7".into(),
            mipset: "mipset 0.1.0".into(),
        };
        let rows = vec![
            row("stock", 52110, 7400.0),
            row("iprange-20", 28413, 5300.0),
        ];
        let r = ListReport {
            mode: "list",
            command: format!(
                "mipset bench --list /{} --shards 16",
                "very/long/".repeat(8)
            ),
            machine,
            settings: ListSettings {
                file: "country.txt".into(),
                list_entries: 52110,
                set_type: "hash:net".into(),
                address_family: "inet".into(),
                shards: 16,
                route: "bits:8".into(),
                layout: "twolevel".into(),
                ops: 2000,
                packets: 20000,
                rounds: 7,
                seed: 1,
            },
            compared: compare(&rows),
            rows,
            notes: vec!["packet hits not measured: ".repeat(8)],
        };
        let text = table(&r);
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
        assert!(text.contains("note: packet hits not measured"), "{text}");
        assert!(
            markdown(&r).contains("| iprange-20 | 0.55x |"),
            "{}",
            markdown(&r)
        );
    }

    #[test]
    fn rows_are_compared_with_the_stock_set() {
        let c = compare(&[row("stock", 1000, 100.0), row("family", 3000, 200.0)]);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].entries, c[0].memory, c[0].load), (3.0, 3.0, 3.0));
        let miss = c[0].lookup_miss.unwrap();
        assert!((miss.ratio - 2.0).abs() < 0.1 && !miss.within_noise);
        assert!(c[0].packet_miss.is_none());
    }
}
