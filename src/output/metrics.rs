//! Prometheus text exposition (format 0.0.4) of families and of the
//! reconciler's work: `mipset metrics` and the reconciler's textfile.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::family::status::FamilyStatus;

/// What the reconciler knows about one family.
#[derive(Debug, Clone, Default)]
pub struct ApplyStats {
    pub applies_ok: u64,
    pub applies_failed: u64,
    /// Duration of the last apply, seconds.
    pub last_duration: f64,
    /// 1 if the last apply succeeded.
    pub last_success: bool,
    /// Unix time of the last successful apply.
    pub last_success_time: f64,
    /// Entries, shard elements and rules put back after someone else
    /// changed them (drift), over the reconciler's life.
    pub drift_repairs: u64,
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Writer {
    text: String,
    declared: Vec<&'static str>,
}

impl Writer {
    fn metric(
        &mut self,
        name: &'static str,
        kind: &str,
        help: &str,
        labels: &[(&str, &str)],
        value: f64,
    ) {
        if !self.declared.contains(&name) {
            let _ = writeln!(self.text, "# HELP {name} {help}");
            let _ = writeln!(self.text, "# TYPE {name} {kind}");
            self.declared.push(name);
        }
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        let _ = writeln!(self.text, "{name}{{{}}} {value}", labels.join(","));
    }
}

/// Render families (and, from the reconciler, its statistics). Metrics of
/// one name are kept together, as the format requires.
pub fn render(families: &[FamilyStatus], stats: &BTreeMap<String, ApplyStats>) -> String {
    let mut w = Writer {
        text: String::new(),
        declared: Vec::new(),
    };
    for f in families {
        let fam = f.spec.name.as_str();
        w.metric(
            "mipset_family_elements",
            "gauge",
            "Kernel elements over all shards of the family.",
            &[("family", fam)],
            f.elements as f64,
        );
    }
    for f in families {
        if let Some(r) = f.replication {
            w.metric(
                "mipset_family_replication",
                "gauge",
                "hash:net: kernel elements per network stored (networks spanning k shards are stored k times).",
                &[("family", &f.spec.name)],
                r,
            );
        }
    }
    for f in families {
        let fam = f.spec.name.as_str();
        w.metric(
            "mipset_family_shards",
            "gauge",
            "Shards of the family.",
            &[("family", fam)],
            f64::from(f.spec.shards),
        );
    }
    for f in families {
        let fam = f.spec.name.as_str();
        w.metric(
            "mipset_family_memory_bytes",
            "gauge",
            "Kernel memory of the shards and the umbrella.",
            &[("family", fam)],
            f.memory as f64,
        );
    }
    for f in families {
        let fam = f.spec.name.as_str();
        w.metric(
            "mipset_family_problems",
            "gauge",
            "Shards missing or disagreeing with the family's metadata.",
            &[("family", fam)],
            f.problems.len() as f64,
        );
    }
    for f in families {
        for s in &f.shards_detail {
            w.metric(
                "mipset_shard_elements",
                "gauge",
                "Kernel elements in the shard.",
                &[("family", &f.spec.name), ("shard", &s.name)],
                s.elements as f64,
            );
        }
    }
    for f in families {
        for s in &f.shards_detail {
            let fill = if s.maxelem > 0 {
                s.elements as f64 / s.maxelem as f64
            } else {
                0.0
            };
            w.metric(
                "mipset_shard_fill_ratio",
                "gauge",
                "Elements over maxelem: at 1 the shard refuses adds.",
                &[("family", &f.spec.name), ("shard", &s.name)],
                fill,
            );
        }
    }
    for f in families {
        for s in &f.shards_detail {
            w.metric(
                "mipset_shard_memory_bytes",
                "gauge",
                "Kernel memory of the shard.",
                &[("family", &f.spec.name), ("shard", &s.name)],
                s.memory as f64,
            );
        }
    }
    for (fam, s) in stats {
        w.metric(
            "mipset_reconcile_applies_total",
            "counter",
            "Applies of the family by the reconciler.",
            &[("family", fam), ("result", "ok")],
            s.applies_ok as f64,
        );
        w.metric(
            "mipset_reconcile_applies_total",
            "counter",
            "Applies of the family by the reconciler.",
            &[("family", fam), ("result", "error")],
            s.applies_failed as f64,
        );
    }
    for (fam, s) in stats {
        w.metric(
            "mipset_reconcile_last_apply_duration_seconds",
            "gauge",
            "Duration of the last apply.",
            &[("family", fam)],
            s.last_duration,
        );
    }
    for (fam, s) in stats {
        w.metric(
            "mipset_reconcile_last_apply_success",
            "gauge",
            "1 if the last apply succeeded.",
            &[("family", fam)],
            if s.last_success { 1.0 } else { 0.0 },
        );
    }
    for (fam, s) in stats {
        w.metric(
            "mipset_reconcile_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last successful apply.",
            &[("family", fam)],
            s.last_success_time,
        );
    }
    for (fam, s) in stats {
        w.metric(
            "mipset_reconcile_drift_repairs_total",
            "counter",
            "Entries and rules put back after they were changed behind the reconciler's back.",
            &[("family", fam)],
            s.drift_repairs as f64,
        );
    }
    w.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_groups_metrics_and_escapes_labels() {
        let mut stats = BTreeMap::new();
        stats.insert(
            "we\"b".to_string(),
            ApplyStats {
                applies_ok: 3,
                drift_repairs: 2,
                last_success: true,
                ..Default::default()
            },
        );
        let text = render(&[], &stats);
        assert!(
            text.contains("mipset_reconcile_applies_total{family=\"we\\\"b\",result=\"ok\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("mipset_reconcile_drift_repairs_total{family=\"we\\\"b\"} 2\n"));
        // Each name is declared once, before its samples.
        assert_eq!(
            text.matches("# TYPE mipset_reconcile_applies_total counter")
                .count(),
            1
        );
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            assert!(name.contains('{') && value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
