//! The bench's terminal tables (pure): cells hold plain numbers, each time
//! column carries its unit in its header (chosen from its values), numbers
//! are right-aligned with two spaces between columns, and columns marked
//! wide-only are shown with `--wide` alone, so the default fits [`WIDTH`]
//! columns (#14). Prose around the tables is wrapped by [`wrap`].

use comfy_table::presets::NOTHING;
use comfy_table::{Cell as TableCell, CellAlignment, Table};

use super::stats::Ratio;

/// The widest line of a default terminal report.
pub const WIDTH: usize = 100;

/// One cell before rendering.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Words, left-aligned.
    Text(String),
    /// A duration in nanoseconds, shown in its column's unit.
    Ns(f64),
    /// A number already written out (a count, a ratio), right-aligned.
    Num(String),
    Empty,
}

/// A column: its name (a time column's unit is added), whether it is
/// shown only with `--wide`, and whether its times take a unit of their
/// own (else every time column of the table shares one, so side-by-side
/// numbers compare at a glance).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub wide_only: bool,
    pub own_unit: bool,
}

pub const fn col(name: &'static str) -> Column {
    Column {
        name,
        wide_only: false,
        own_unit: false,
    }
}

pub const fn wide(name: &'static str) -> Column {
    Column {
        wide_only: true,
        ..col(name)
    }
}

/// A time column on a scale of its own (a total beside per-operation times).
pub const fn own_unit(name: &'static str) -> Column {
    Column {
        own_unit: true,
        ..col(name)
    }
}

/// A ratio with its 95% interval, `~` when within noise; the others keep
/// room for the mark so the numbers line up.
pub fn ratio(r: &Ratio) -> Cell {
    Cell::Num(format!(
        "{:.2}x [{:.2}-{:.2}] {}",
        r.ratio,
        r.ci_low,
        r.ci_high,
        if r.within_noise { "~" } else { " " }
    ))
}

/// The smallest nonzero magnitude of `values` (infinite if none).
fn smallest(values: &[f64]) -> f64 {
    values
        .iter()
        .map(|v| v.abs())
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min)
}

/// The unit of time columns: the largest whose smallest value is still at
/// least 1, and its size in ns.
fn unit(values: &[f64]) -> (&'static str, f64) {
    let min = smallest(values);
    if !min.is_finite() || min < 1e3 {
        ("ns", 1.0)
    } else if min < 1e6 {
        ("µs", 1e3)
    } else if min < 1e9 {
        ("ms", 1e6)
    } else {
        ("s", 1e9)
    }
}

/// Decimals for one column's values in a unit of `scale` ns: three
/// significant digits for its smallest value, none in nanoseconds.
fn decimals(values: &[f64], scale: f64) -> usize {
    let min = smallest(values) / scale;
    if scale == 1.0 || !min.is_finite() || min >= 100.0 {
        0
    } else if min >= 10.0 {
        1
    } else {
        2
    }
}

/// Headers, written rows and which columns are numeric, for `columns` and
/// `rows` (a row as long as `columns`); wide-only columns dropped unless
/// `wide`.
pub fn lay_out(
    columns: &[Column],
    rows: &[Vec<Cell>],
    wide: bool,
) -> (Vec<String>, Vec<Vec<String>>, Vec<bool>) {
    let shown: Vec<usize> = (0..columns.len())
        .filter(|&i| wide || !columns[i].wide_only)
        .collect();
    let mut header = Vec::new();
    let mut numeric = Vec::new();
    let mut out: Vec<Vec<String>> = vec![Vec::new(); rows.len()];
    let times = |i: usize| -> Vec<f64> {
        rows.iter()
            .filter_map(|r| match r[i] {
                Cell::Ns(v) => Some(v),
                _ => None,
            })
            .collect()
    };
    let shared: Vec<f64> = shown
        .iter()
        .filter(|&&i| !columns[i].own_unit)
        .flat_map(|&i| times(i))
        .collect();
    for &i in &shown {
        let cells: Vec<&Cell> = rows.iter().map(|r| &r[i]).collect();
        let times = times(i);
        let (u, scale) = unit(if columns[i].own_unit { &times } else { &shared });
        let decimals = decimals(&times, scale);
        header.push(if times.is_empty() {
            columns[i].name.to_string()
        } else {
            format!("{} {u}", columns[i].name)
        });
        numeric.push(i > 0 && cells.iter().all(|c| !matches!(c, Cell::Text(_))));
        for (row, c) in out.iter_mut().zip(&cells) {
            row.push(match c {
                Cell::Text(t) | Cell::Num(t) => t.clone(),
                Cell::Ns(v) => format!("{:.*}", decimals, v / scale),
                Cell::Empty => String::new(),
            });
        }
    }
    (header, out, numeric)
}

/// The table as text lines, trailing blanks trimmed.
pub fn render(columns: &[Column], rows: &[Vec<Cell>], wide: bool) -> String {
    let (header, rows, numeric) = lay_out(columns, rows, wide);
    let mut t = Table::new();
    t.load_preset(NOTHING);
    t.set_header(header.iter().map(TableCell::new));
    for r in rows {
        t.add_row(r);
    }
    for (i, n) in numeric.iter().enumerate() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(if *n {
                CellAlignment::Right
            } else {
                CellAlignment::Left
            });
        }
    }
    let mut s = String::new();
    for line in t.to_string().lines() {
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// The table in Markdown, every column.
pub fn markdown(columns: &[Column], rows: &[Vec<Cell>]) -> String {
    let (header, rows, numeric) = lay_out(columns, rows, true);
    let mut s = format!("| {} |\n|", header.join(" | "));
    for n in &numeric {
        s.push_str(if *n { "---:|" } else { "---|" });
    }
    s.push('\n');
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

/// Lines of at most [`WIDTH`] columns: words carried to the next line,
/// indented by two (a single longer word stays whole). Each line of `text`
/// is wrapped on its own.
pub fn wrap(text: &str) -> String {
    let mut out = String::new();
    for source in text.lines() {
        let mut line = String::new();
        // A number stays on the line of its unit.
        let mut words: Vec<String> = Vec::new();
        for word in source.split(' ') {
            match words.last_mut() {
                Some(last)
                    if ["ns", "µs", "ms", "s", "KiB", "MiB"]
                        .iter()
                        .any(|u| word.trim_end_matches([',', ')', ';']) == *u)
                        && last.parse::<f64>().is_ok() =>
                {
                    last.push(' ');
                    last.push_str(word);
                }
                _ => words.push(word.to_string()),
            }
        }
        for word in &words {
            if !line.trim().is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH {
                out.push_str(line.trim_end());
                out.push('\n');
                line = "  ".into();
            } else if !line.is_empty() && !line.ends_with("  ") {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_columns_carry_their_unit_and_plain_numbers() {
        let columns = [col("label"), col("median"), wide("max"), own_unit("total")];
        let rows = vec![
            vec![
                Cell::Text("one set".into()),
                Cell::Ns(1_234.0),
                Cell::Ns(2_958_910.0),
                Cell::Ns(2_958_910_000.0),
            ],
            vec![
                Cell::Text("family".into()),
                Cell::Ns(45_600.0),
                Cell::Ns(1_000_000.0),
                Cell::Ns(1_200_000_000.0),
            ],
        ];
        let (header, cells, numeric) = lay_out(&columns, &rows, true);
        assert_eq!(header, ["label", "median µs", "max µs", "total s"]);
        assert_eq!(cells[0], ["one set", "1.23", "2959", "2.96"]);
        assert_eq!(cells[1][1], "45.60");
        assert_eq!(numeric, [false, true, true, true]);
        let narrow = render(&columns, &rows, false);
        assert!(!narrow.contains("max"), "{narrow}");
        let text = render(&columns, &rows, true);
        // Numbers right-aligned, at least two spaces apart.
        assert!(text.contains("1.23  "), "{text}");
        assert!(text.contains("2959  "), "{text}");
        // Without --wide, the shared unit follows the columns shown.
        let (header, _, _) = lay_out(&columns, &rows, false);
        assert_eq!(header, ["label", "median µs", "total s"]);
        assert!(markdown(&columns, &rows).contains("|---|---:|---:|---:|"));
    }

    #[test]
    fn wrap_keeps_lines_within_the_width() {
        let long = "word ".repeat(60);
        let text = wrap(&format!("{long}\nshort"));
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(text.ends_with("short\n"));
        assert!(text.lines().nth(1).unwrap().starts_with("  word"));
        let text = wrap(&format!("{} 16.64 ms for the family", "x".repeat(93)));
        assert!(text.contains("\n  16.64 ms for"), "{text}");
    }
}
