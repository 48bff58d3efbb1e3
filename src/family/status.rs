//! A family's state as `mipset list`, `metrics` and `check` report it,
//! computed from one header listing (pure).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::listing::SetInfo;
use crate::meta::FamilySpec;

/// Does a shard's kernel header agree with the family's metadata (type,
/// address family, and the timeout/counters/comment extensions)?
pub(crate) fn check_shard(spec: &FamilySpec, header: &SetInfo) -> Result<()> {
    check_shard_facts(
        spec,
        &ShardFacts {
            name: &header.name,
            set_type: &header.set_type,
            family: header
                .header
                .get("family")
                .map(String::as_str)
                .unwrap_or("?"),
            timeout: header.header.contains_key("timeout"),
            counters: header.header.contains_key("counters"),
            comment: header.header.contains_key("comment"),
        },
    )
}

/// What a shard is, as far as the metadata check needs.
pub(crate) struct ShardFacts<'a> {
    pub name: &'a str,
    pub set_type: &'a str,
    pub family: &'a str,
    pub timeout: bool,
    pub counters: bool,
    pub comment: bool,
}

/// [`check_shard`] on facts however they were learnt.
pub(crate) fn check_shard_facts(spec: &FamilySpec, shard: &ShardFacts) -> Result<()> {
    if shard.set_type != spec.set_type.as_str() || shard.family != spec.family.as_str() {
        return Err(Error::Usage(format!(
            "family '{}' is damaged: shard {} is a {} {} set but the family's metadata says {} {}; not touching it",
            spec.name, shard.name, shard.set_type, shard.family, spec.set_type, spec.family
        )));
    }
    for (extension, have, want) in [
        ("timeout", shard.timeout, spec.timeout.is_some()),
        ("counters", shard.counters, spec.counters),
        ("comment", shard.comment, spec.comment),
    ] {
        if have != want {
            return Err(Error::Usage(format!(
                "family '{}' is damaged: shard {} {} {extension} support, unlike the family's metadata; not touching it",
                spec.name,
                shard.name,
                if want { "lacks" } else { "has" },
            )));
        }
    }
    Ok(())
}

/// One shard as `mipset list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ShardStatus {
    /// Kernel set name.
    pub name: String,
    /// Whether the set exists in the kernel.
    pub present: bool,
    /// Number of kernel elements in the shard.
    pub elements: u64,
    /// The shard's maxelem, as the kernel reports it.
    pub maxelem: u64,
    /// Kernel memory in bytes (the set header's "Size in memory").
    pub memory: u64,
    /// References other than the umbrella's (iptables rules, other list:sets).
    pub references: u32,
    /// Current hash size (the kernel doubles it as the shard grows).
    pub hashsize: u64,
    /// Set when the shard disagrees with the family's metadata.
    pub problem: Option<String>,
}

/// A family and the state of its sets, for `mipset list`.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyStatus {
    #[serde(flatten)]
    pub spec: FamilySpec,
    /// Kernel elements over all shards. A hash:net network stored in k
    /// shards counts k times, so this can exceed the number of entries.
    pub elements: u64,
    /// Fewest elements in one shard.
    pub elements_min: u64,
    /// Most elements in one shard.
    pub elements_max: u64,
    /// Kernel memory of the shards and the umbrella, in bytes.
    pub memory: u64,
    /// References to the umbrella plus extra references to shards.
    pub references: u32,
    /// Shards that are missing or disagree with the metadata.
    pub problems: Vec<String>,
    /// hash:net: kernel elements per network stored (a network copied into
    /// k shards counts 1/k in each); hash:ip families store each address
    /// once. Read from the shards' contents (`None`: not read).
    pub replication: Option<f64>,
    pub shards_detail: Vec<ShardStatus>,
}

/// `list` and `metrics` warn when a family stores its networks more than
/// this many times over.
pub const REPLICATION_WARNING: f64 = 1.5;

/// Networks a family stores, counted from each element's shard `range`
/// length (1/k for an element in one of k shards it covers), and the
/// replication factor elements / networks.
pub fn replication(range_lengths: impl IntoIterator<Item = u32>) -> Option<f64> {
    let (mut elements, mut networks) = (0u64, 0f64);
    for k in range_lengths {
        elements += 1;
        networks += 1.0 / f64::from(k.max(1));
    }
    (elements > 0).then(|| elements as f64 / networks)
}

/// Collect the status of a (consistent) family from one header listing.
pub fn status(spec: &FamilySpec, headers: &[SetInfo]) -> FamilyStatus {
    let by_name: BTreeMap<&str, &SetInfo> = headers.iter().map(|h| (h.name.as_str(), h)).collect();
    let umbrella = by_name.get(spec.name.as_str());
    let shards_detail: Vec<ShardStatus> = spec
        .shard_names()
        .map(|name| match by_name.get(name.as_str()) {
            Some(h) => ShardStatus {
                present: true,
                elements: h.entries,
                maxelem: h.header_num("maxelem").unwrap_or(0),
                memory: h.memory,
                // Membership in the umbrella is one reference.
                references: h.references.saturating_sub(1),
                hashsize: h.header_num("hashsize").unwrap_or(0),
                problem: check_shard(spec, h).err().map(|e| e.to_string()),
                name,
            },
            None => ShardStatus {
                problem: Some(format!("shard {name} does not exist")),
                name,
                present: false,
                elements: 0,
                maxelem: 0,
                memory: 0,
                references: 0,
                hashsize: 0,
            },
        })
        .collect();
    let count = |f: fn(&ShardStatus) -> u64| shards_detail.iter().map(f);
    FamilyStatus {
        spec: spec.clone(),
        elements: count(|s| s.elements).sum(),
        elements_min: count(|s| s.elements).min().unwrap_or(0),
        elements_max: count(|s| s.elements).max().unwrap_or(0),
        memory: count(|s| s.memory).sum::<u64>() + umbrella.map_or(0, |u| u.memory),
        references: umbrella.map_or(0, |u| u.references)
            + shards_detail.iter().map(|s| s.references).sum::<u32>(),
        problems: shards_detail
            .iter()
            .filter_map(|s| s.problem.clone())
            .collect(),
        replication: None,
        shards_detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::test_spec as spec;

    #[test]
    fn status_sums_shards() {
        let s = spec(2);
        let h = |name: &str, entries, refs| SetInfo {
            name: name.into(),
            set_type: "hash:ip".into(),
            header: [("family".to_string(), "inet".to_string())].into(),
            entries,
            memory: 100,
            references: refs,
            ..SetInfo::default()
        };
        let st = status(&s, &[h("web", 0, 1), h("web-s0", 3, 1), h("web-s1", 5, 2)]);
        assert_eq!(
            (st.elements, st.elements_min, st.elements_max, st.memory),
            (8, 3, 5, 300)
        );
        assert_eq!(st.references, 2);
        assert_eq!(st.shards_detail[1].references, 1);
        assert_eq!(st.problems, Vec::<String>::new());
        let st = status(&s, &[h("web", 0, 1), h("web-s0", 3, 1)]);
        assert_eq!(st.problems, ["shard web-s1 does not exist"]);
    }

    #[test]
    fn replication_counts_a_network_once_over_its_shards() {
        assert_eq!(replication([]), None);
        assert_eq!(replication([1, 1, 1]), Some(1.0));
        // One network in 4 shards and two in one: 6 elements, 3 networks.
        assert_eq!(replication([4, 4, 4, 4, 1, 1]), Some(2.0));
    }
}
