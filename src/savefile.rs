//! Parsing a `mipset save` (or whole-node `ipset save`) dump into families
//! (pure): each family's definition is read from its umbrella's member
//! comments, and its shards' add lines are kept for the load path, which
//! validates them (`mipset restore`, in `commands/restore.rs`).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::meta::{self, FamilySpec};

/// The families in a dump and their entries (the shards' add lines,
/// without the `add SET` prefix).
#[derive(Debug, Default)]
pub struct Dump {
    pub families: Vec<(FamilySpec, String)>,
}

fn quoted_comment(rest: &str) -> Option<&str> {
    let at = rest.find("comment \"")? + "comment \"".len();
    let end = rest[at..].find('"')?;
    Some(&rest[at..at + end])
}

/// Split a dump into families. Every set in it must belong to a family.
pub fn parse(text: &str, source_name: &str) -> Result<Dump> {
    let mut kinds: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    let mut adds: BTreeMap<&str, Vec<(u64, &str)>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.splitn(3, ' ');
        let (verb, set, rest) = (
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
        );
        match verb {
            "create" => {
                kinds.insert(set, (rest.split(' ').next().unwrap_or(""), line_no));
            }
            "add" => adds.entry(set).or_default().push((line_no, rest)),
            _ => {
                return Err(Error::Input {
                    source_name: source_name.into(),
                    line: line_no,
                    message: format!(
                        "expected a create or add line of an ipset save dump, not '{verb}'"
                    ),
                })
            }
        }
    }
    let mut dump = Dump::default();
    let mut owned: BTreeMap<String, String> = BTreeMap::new();
    for (set, (kind, line_no)) in &kinds {
        if *kind != "list:set" {
            continue;
        }
        let members = adds.get(set).map(Vec::as_slice).unwrap_or(&[]);
        let spec = members
            .iter()
            .find_map(|(_, rest)| quoted_comment(rest).and_then(|c| meta::decode(set, c).ok()))
            .map(|(spec, _)| spec);
        let Some(spec) = spec else { continue };
        crate::naming::validate_family_name(&spec.name).map_err(|m| Error::Input {
            source_name: source_name.into(),
            line: *line_no,
            message: m,
        })?;
        // The family's entries at their own line numbers (other lines left
        // blank), so a bad entry is reported at its place in the dump.
        let mut lines: Vec<(u64, &str)> = Vec::new();
        for shard in spec.shard_names() {
            lines.extend(adds.get(shard.as_str()).map(Vec::as_slice).unwrap_or(&[]));
            owned.insert(shard, spec.name.clone());
        }
        lines.sort_unstable();
        let mut entries = String::new();
        let mut at = 1;
        for (line_no, rest) in lines {
            while at < line_no {
                entries.push('\n');
                at += 1;
            }
            entries.push_str(rest);
            entries.push('\n');
            at += 1;
        }
        owned.insert(spec.name.clone(), spec.name.clone());
        dump.families.push((spec, entries));
    }
    if let Some((set, lines)) = adds.iter().find(|(set, _)| !kinds.contains_key(**set)) {
        return Err(Error::Input {
            source_name: source_name.into(),
            line: lines.first().map_or(0, |(n, _)| *n),
            message: format!("add line for set '{set}', which the dump does not create"),
        });
    }
    if let Some((set, (_, line_no))) = kinds.iter().find(|(set, _)| !owned.contains_key(**set)) {
        return Err(Error::Input {
            source_name: source_name.into(),
            line: *line_no,
            message: format!(
                "set '{set}' is not part of a mipset family; restore it with `ipset restore`"
            ),
        });
    }
    if dump.families.is_empty() {
        return Err(Error::Usage(format!(
            "{source_name} holds no mipset family"
        )));
    }
    Ok(dump)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_found_by_their_metadata() {
        let text = "create web-s0 hash:ip family inet hashsize 64 maxelem 10\nadd web-s0 10.0.0.2\ncreate web-s1 hash:ip family inet hashsize 64 maxelem 10\nadd web-s1 10.0.0.1 timeout 5\ncreate web list:set size 8 comment\nadd web web-s0 comment \"mipset:v1 shard=0/2 type=hash:ip family=inet route=bits:0 hashsize=64 maxelem=10 timeout=none counters=0 comment=0\"\nadd web web-s1 comment \"mipset:v1 shard=1/2 type=hash:ip family=inet route=bits:0 hashsize=64 maxelem=10 timeout=none counters=0 comment=0\"\n";
        let d = parse(text, "d").unwrap();
        assert_eq!(d.families.len(), 1);
        assert_eq!(d.families[0].0.shards, 2);
        // Entries keep their dump line numbers (2 and 4).
        assert_eq!(d.families[0].1, "\n10.0.0.2\n\n10.0.0.1 timeout 5\n");
        let e = parse(&format!("{text}create other hash:ip\n"), "d")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "d:8: set 'other' is not part of a mipset family; restore it with `ipset restore`"
        );
        assert!(parse("flush x\n", "d").is_err());
        assert!(parse("create x hash:ip\n", "d").is_err());
    }
}
