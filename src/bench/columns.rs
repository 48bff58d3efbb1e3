//! The bench's terminal tables (pure): cells hold plain numbers, each time
//! column carries its unit in its header (chosen from its values), numbers
//! are right-aligned with two spaces between columns, and columns marked
//! wide-only are shown with `--wide` alone, so the default fits [`WIDTH`]
//! columns (#14). Prose around the tables is wrapped by [`wrap`].

use comfy_table::presets::NOTHING;
use comfy_table::{Cell as TableCell, CellAlignment, Table};

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

/// A column: its name (a time column's unit is added), and whether it is
/// shown only with `--wide`.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub wide_only: bool,
}

pub const fn col(name: &'static str) -> Column {
    Column {
        name,
        wide_only: false,
    }
}

pub const fn wide(name: &'static str) -> Column {
    Column {
        name,
        wide_only: true,
    }
}

/// The unit of a time column: the largest whose smallest value is still
/// at least 1, and the decimals that keep three significant digits there.
fn unit(values: &[f64]) -> (&'static str, f64, usize) {
    let min = values
        .iter()
        .map(|v| v.abs())
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let (name, scale) = if min >= 1e9 && min.is_finite() {
        ("s", 1e9)
    } else if min >= 1e6 && min.is_finite() {
        ("ms", 1e6)
    } else if min >= 1e3 && min.is_finite() {
        ("µs", 1e3)
    } else {
        ("ns", 1.0)
    };
    let low = if min.is_finite() { min / scale } else { 1000.0 };
    let decimals = if scale == 1.0 || low >= 100.0 {
        0
    } else if low >= 10.0 {
        1
    } else {
        2
    };
    (name, scale, decimals)
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
    for &i in &shown {
        let cells: Vec<&Cell> = rows.iter().map(|r| &r[i]).collect();
        let times: Vec<f64> = cells
            .iter()
            .filter_map(|c| match c {
                Cell::Ns(v) => Some(*v),
                _ => None,
            })
            .collect();
        let (u, scale, decimals) = unit(&times);
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
        for word in source.split(' ') {
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
        let columns = [col("label"), col("median"), wide("max"), col("total")];
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
        assert_eq!(header, ["label", "median µs", "max ms", "total s"]);
        assert_eq!(cells[0], ["one set", "1.23", "2.96", "2.96"]);
        assert_eq!(cells[1][1], "45.60");
        assert_eq!(numeric, [false, true, true, true]);
        let narrow = render(&columns, &rows, false);
        assert!(!narrow.contains("max"), "{narrow}");
        let text = render(&columns, &rows, true);
        // Numbers right-aligned, at least two spaces apart.
        assert!(text.contains("1.23  "), "{text}");
        assert!(text.lines().all(|l| !l.contains("2.962.96")), "{text}");
        assert!(markdown(&columns, &rows).contains("|---|---:|---:|---:|"));
    }

    #[test]
    fn wrap_keeps_lines_within_the_width() {
        let long = "word ".repeat(60);
        let text = wrap(&format!("{long}\nshort"));
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(text.ends_with("short\n"));
        assert!(text.lines().nth(1).unwrap().starts_with("  word"));
    }
}
