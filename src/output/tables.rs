//! Tables for people (comfy-table): families, a family's shards, rules.
//! Pure: renders to strings; [`super::sink`] writes them.

use comfy_table::{presets::NOTHING, Cell, CellAlignment, Table};

use crate::family::status::FamilyStatus;
use crate::rules::installed::Installed;
use crate::text::human_bytes;

/// A table's text without the padding comfy-table leaves at line ends.
fn render(t: &Table) -> String {
    let mut out = String::new();
    for line in t.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(NOTHING);
    t.set_header(header.iter().map(Cell::new));
    t
}

fn right(t: &mut Table, columns: std::ops::Range<usize>) {
    for i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn timeout_text(t: Option<u32>) -> String {
    match t {
        None => "-".into(),
        Some(0) => "permanent".into(),
        Some(s) => {
            humantime::format_duration(std::time::Duration::from_secs(u64::from(s))).to_string()
        }
    }
}

/// One row per family.
pub fn families_table(families: &[FamilyStatus]) -> String {
    let mut t = table(&[
        "FAMILY",
        "TYPE",
        "ADDR",
        "ROUTE",
        "SHARDS",
        "ELEMENTS",
        "MIN/SHARD",
        "MAX/SHARD",
        "MAXELEM/SHARD",
        "MEMORY",
        "REFS",
        "",
    ]);
    for f in families {
        t.add_row(vec![
            f.spec.name.clone(),
            f.spec.set_type.to_string(),
            f.spec.family.to_string(),
            f.spec.routing.to_string(),
            f.spec.shards.to_string(),
            f.elements.to_string(),
            f.elements_min.to_string(),
            f.elements_max.to_string(),
            f.spec.maxelem.to_string(),
            human_bytes(f.memory),
            f.references.to_string(),
            if f.problems.is_empty() {
                String::new()
            } else {
                "DAMAGED".into()
            },
        ]);
    }
    right(&mut t, 4..11);
    render(&t)
}

/// The hashsize the shards were created with and the one they have now
/// (the kernel grows a shard's hash as it fills): "created with hashsize
/// 64, now 64-128".
fn shard_hashsizes(f: &FamilyStatus) -> String {
    let now = f
        .shards_detail
        .iter()
        .filter(|shard| shard.present)
        .map(|shard| shard.hashsize);
    let created = format!("created with hashsize {}", f.spec.hashsize);
    match (now.clone().min(), now.max()) {
        (Some(min), Some(max)) if min == max => format!("{created}, now {min}"),
        (Some(min), Some(max)) => format!("{created}, now {min}-{max}"),
        _ => created,
    }
}

/// A family's header block and its table of shards.
pub fn family_detail(f: &FamilyStatus) -> String {
    let s = &f.spec;
    let mut out = format!(
        "Family: {}\nType: {} {}\nRouting: {}{}\nShards: {} ({}; maxelem {})\nTimeout: {}\nCounters: {}\nComments: {}\nElements: {} (per shard min {}, max {}){}\nMemory: {}\nReferences: {}\n",
        s.name,
        s.set_type,
        s.family,
        s.routing,
        match (s.route_auto, s.reduce) {
            (false, crate::prefix::levels::Reduce::Off) => String::new(),
            (auto, reduce) => format!(
                " ({}reduce {reduce})",
                match (auto, f.elements) {
                    (false, _) => "",
                    (true, 0) => "auto: until a list fills it; ",
                    (true, _) => "auto: chosen from the data; ",
                }
            ),
        },
        s.shards,
        shard_hashsizes(f),
        s.maxelem,
        timeout_text(s.timeout),
        if s.counters { "yes" } else { "no" },
        if s.comment { "yes" } else { "no" },
        f.elements,
        f.elements_min,
        f.elements_max,
        match f.replication {
            Some(r) if r > crate::family::status::REPLICATION_WARNING => format!(
                "; {r:.2} per network: WARNING, networks spanning several shards are stored in each (fewer shards store fewer)"
            ),
            Some(r) => format!("; {r:.2} per network"),
            None => String::new(),
        },
        human_bytes(f.memory),
        f.references,
    );
    for p in &f.problems {
        out.push_str(&format!("Problem: {p}\n"));
    }
    let mut t = table(&["SHARD", "ELEMENTS", "FILL", "HASHSIZE", "MEMORY", "REFS"]);
    for shard in &f.shards_detail {
        if shard.present {
            t.add_row(vec![
                shard.name.clone(),
                shard.elements.to_string(),
                format!(
                    "{:.1}%",
                    100.0 * shard.elements as f64 / shard.maxelem.max(1) as f64
                ),
                shard.hashsize.to_string(),
                human_bytes(shard.memory),
                shard.references.to_string(),
            ]);
        } else {
            t.add_row(vec![
                shard.name.clone(),
                "MISSING".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
            ]);
        }
    }
    right(&mut t, 1..6);
    out.push('\n');
    out.push_str(&render(&t));
    out
}

/// One row per mipset rule (`mipset rule list`).
pub fn rules_table(rules: &[Installed]) -> String {
    if rules.is_empty() {
        return "no mipset rules\n".into();
    }
    let mut t = table(&[
        "FAMILY", "IPTABLES", "TABLE", "CHAIN", "POS", "MATCH", "JUMP", "LAYOUT", "CHAINS",
        "PACKETS", "MATCHED", "STATE",
    ]);
    for r in rules {
        let dash = |v: String| if r.orphan { "-".to_string() } else { v };
        t.add_row(vec![
            r.spec.family.clone(),
            r.backend.as_str().to_string(),
            r.spec.table.clone(),
            dash(r.spec.chain.clone()),
            dash(r.position.to_string()),
            r.spec.direction.as_str().to_string(),
            r.spec.jump.clone(),
            r.spec.layout.to_string(),
            r.chains.len().to_string(),
            r.packets.to_string(),
            r.matched_packets.to_string(),
            r.state.clone(),
        ]);
    }
    right(&mut t, 4..5);
    right(&mut t, 8..11);
    render(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(timeout_text(None), "-");
        assert_eq!(timeout_text(Some(0)), "permanent");
        assert_eq!(timeout_text(Some(5400)), "1h 30m");
    }
}
