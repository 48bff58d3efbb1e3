//! `--plot FILE.svg`: box plots of each operation's latency, one set
//! against the family (and, for exec, a family of one shard), one panel
//! per method, at the largest size.

use std::path::Path;

use plotters::prelude::*;

use super::report::Report;

/// Draw the plot; errors as text (they come from the SVG backend or I/O).
pub fn svg(report: &Report, path: &Path) -> Result<(), String> {
    let largest = report
        .measurements
        .iter()
        .map(|m| m.entries)
        .max()
        .unwrap_or(0);
    let methods: Vec<&str> = ["netlink", "exec", "packet"]
        .into_iter()
        .filter(|m| report.measurements.iter().any(|x| x.method == *m))
        .collect();
    if methods.is_empty() {
        return Err("no measurements to plot".into());
    }
    let shards = report.measurements.first().map_or(0, |m| m.shards);
    // Exec panels hold three boxes per operation.
    let panel_height = if methods.contains(&"exec") { 450 } else { 330 };
    let root =
        SVGBackend::new(path, (1100, panel_height * methods.len() as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((methods.len(), 1));
    for (panel, method) in panels.iter().zip(&methods) {
        let rows: Vec<_> = report
            .measurements
            .iter()
            .filter(|m| m.method == *method && m.entries == largest && m.shards == shards)
            .collect();
        // One labelled box per (operation, side).
        let mut labels = Vec::new();
        let mut boxes = Vec::new();
        let mut colours = Vec::new();
        let scale = if *method == "exec" { 1e6 } else { 1e3 };
        let unit = if *method == "exec" { "ms" } else { "µs" };
        let mut max = 0f32;
        for m in &rows {
            let mut sides = vec![("single", &m.samples.0, BLUE)];
            sides.extend(m.tool.as_ref().map(|t| ("1 shard", &t.samples, GREEN)));
            sides.push(("multi", &m.samples.1, RED));
            for (side, samples, colour) in sides {
                if samples.is_empty() {
                    continue;
                }
                let scaled: Vec<f64> = samples.iter().map(|v| v / scale).collect();
                let q = Quartiles::new(&scaled);
                max = max.max(q.values()[4]);
                labels.push(format!("{} - {side}", m.metric));
                boxes.push(q);
                colours.push(colour);
            }
        }
        let caption = format!(
            "{method}: {largest} entries, {shards} shards ({unit}; box = quartiles, whiskers = 1.5 IQR)"
        );
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(330)
            .build_cartesian_2d(0f32..(max * 1.1).max(0.001), labels[..].into_segmented())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(unit)
            // Every box named (plotters thins labels to about ten).
            .y_labels(labels.len() + 1)
            .y_label_formatter(&|v| match v {
                SegmentValue::Exact(s) | SegmentValue::CenterOf(s) => s.to_string(),
                SegmentValue::Last => String::new(),
            })
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                labels
                    .iter()
                    .zip(&boxes)
                    .zip(&colours)
                    .map(|((label, q), colour)| {
                        Boxplot::new_horizontal(SegmentValue::CenterOf(label), q)
                            .width(12)
                            .style(colour)
                    }),
            )
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}
