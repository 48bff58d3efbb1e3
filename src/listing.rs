//! What the kernel reports about sets, as plain data: a set's listing
//! ([`SetInfo`], built by `kernel::list` from the kernel's reply, or parsed
//! here from what the stock `ipset list` prints, which tests compare) and
//! one element as a netlink dump returns it ([`Element`], read by
//! `kernel::dump`).
//!
//! Pure, and tolerant of header fields it does not know: a newer kernel or
//! ipset may add some, and mipset must keep reading families.

use std::collections::BTreeMap;

use crate::addr::Entry;

/// One element as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub entry: Entry,
    pub timeout: Option<u32>,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
    pub comment: Option<String>,
    /// A hash:net `nomatch` exception (matches nothing; carves a hole).
    pub nomatch: bool,
}

/// One kernel set as `ipset list` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetInfo {
    pub name: String,
    /// `hash:ip`, `list:set`, ...
    pub set_type: String,
    /// Header fields; flags such as `comment` map to an empty string.
    pub header: BTreeMap<String, String>,
    /// "Size in memory" in bytes, as the kernel reports it.
    pub memory: u64,
    /// How many kernel objects (iptables rules, list:sets) refer to the set.
    pub references: u32,
    pub entries: u64,
    /// Members, when the listing included them (not with `-t`).
    pub members: Option<Vec<Member>>,
}

impl SetInfo {
    pub fn header_num(&self, key: &str) -> Option<u64> {
        self.header.get(key).and_then(|v| v.parse().ok())
    }

    pub fn header_flag(&self, key: &str) -> bool {
        self.header.contains_key(key)
    }
}

/// One member line: the element and its comment, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub elem: String,
    pub comment: Option<String>,
}

/// Header flags that take no value (all others are `key value`).
const HEADER_FLAGS: &[&str] = &["counters", "comment", "skbinfo", "forceadd", "nomatch"];

fn parse_header(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut tokens = text.split_whitespace();
    while let Some(key) = tokens.next() {
        if HEADER_FLAGS.contains(&key) {
            map.insert(key.to_string(), String::new());
        } else if let Some(value) = tokens.next() {
            map.insert(key.to_string(), value.to_string());
        }
    }
    map
}

fn parse_member(line: &str) -> Member {
    let (elem, rest) = line.split_once(' ').unwrap_or((line, ""));
    let comment = rest.find("comment \"").and_then(|at| {
        let value = &rest[at + "comment \"".len()..];
        value.find('"').map(|end| value[..end].to_string())
    });
    Member {
        elem: elem.to_string(),
        comment,
    }
}

/// Parse the plain listing of zero or more sets.
pub fn parse(text: &str) -> Result<Vec<SetInfo>, String> {
    let mut sets: Vec<SetInfo> = Vec::new();
    let mut in_members = false;
    for line in text.lines() {
        if line.is_empty() {
            in_members = false;
            continue;
        }
        if in_members {
            let set = sets.last_mut().expect("members follow a Name line");
            set.members
                .get_or_insert_with(Vec::new)
                .push(parse_member(line));
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("unexpected line in ipset listing: '{line}'"))?;
        let value = value.trim();
        if key == "Name" {
            sets.push(SetInfo {
                name: value.to_string(),
                ..SetInfo::default()
            });
            continue;
        }
        let set = sets
            .last_mut()
            .ok_or_else(|| format!("ipset listing does not start with Name: '{line}'"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("unexpected number in ipset listing: '{line}'"))
        };
        match key {
            "Type" => set.set_type = value.to_string(),
            "Header" => set.header = parse_header(value),
            "Size in memory" => set.memory = number(value)?,
            "References" => set.references = number(value)? as u32,
            "Number of entries" => set.entries = number(value)?,
            "Members" => {
                set.members = Some(Vec::new());
                in_members = true;
            }
            _ => {} // Revision and fields of newer versions.
        }
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Name: h\nType: hash:ip\nRevision: 6\nHeader: family inet hashsize 64 maxelem 100 timeout 600 counters comment bucketsize 12 initval 0xbc8f4c21\nSize in memory: 216\nReferences: 1\nNumber of entries: 2\nMembers:\n1.2.3.4 timeout 599 packets 0 bytes 0 comment \"a b\"\n1.2.3.5 timeout 5 packets 0 bytes 0\n\nName: u\nType: list:set\nRevision: 3\nHeader: size 64 comment\nSize in memory: 170\nReferences: 0\nNumber of entries: 1\nMembers:\nh comment \"mipset:v1 a=b\"\n";

    #[test]
    fn parses_headers_and_members() {
        let sets = parse(SAMPLE).unwrap();
        assert_eq!(sets.len(), 2);
        let h = &sets[0];
        assert_eq!(h.name, "h");
        assert_eq!(h.set_type, "hash:ip");
        assert_eq!(h.header_num("maxelem"), Some(100));
        assert_eq!(h.header_num("timeout"), Some(600));
        assert!(h.header_flag("counters") && h.header_flag("comment"));
        assert_eq!(h.header.get("family").map(String::as_str), Some("inet"));
        assert_eq!((h.memory, h.references, h.entries), (216, 1, 2));
        let m = h.members.as_ref().unwrap();
        assert_eq!(
            m[0],
            Member {
                elem: "1.2.3.4".into(),
                comment: Some("a b".into())
            }
        );
        assert_eq!(m[1].comment, None);
        let u = &sets[1];
        assert_eq!(u.header_num("size"), Some(64));
        assert_eq!(
            u.members.as_ref().unwrap()[0].comment.as_deref(),
            Some("mipset:v1 a=b")
        );
    }

    #[test]
    fn terse_listing_has_no_members_and_unknown_fields_are_ignored() {
        let text = "Name: x\nType: hash:net\nRevision: 7\nHeader: family inet6 hashsize 1024 maxelem 65536 newflag shiny 3\nSize in memory: 1\nReferences: 0\nNumber of entries: 0\nFuture field: 1\n";
        let sets = parse(text).unwrap();
        assert_eq!(sets[0].members, None);
        assert_eq!(sets[0].header_num("maxelem"), Some(65536));
        assert!(parse("garbage").is_err());
        assert!(parse("Type: x").is_err());
        assert_eq!(parse("").unwrap(), vec![]);
    }
}
