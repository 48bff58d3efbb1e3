//! Address lists for `load` and `sync`: parsed and validated completely
//! before anything reaches the kernel, with `FILE:LINE` in every error.
//!
//! Accepted, line by line (blank lines and `#` comments allowed):
//!
//! ```text
//! 10.0.0.1
//! 10.0.1.0/24 timeout 600 comment "office"
//! add blocklist 198.51.100.7 timeout 30          # `ipset save` add lines
//! create blocklist hash:net family inet ...      # ...and the dump's create line
//! ```
//!
//! An `ipset save` dump may hold one set only (to migrate an existing set);
//! its create line must have the family's type and address family.

use std::io::BufRead;

use crate::addr::{bare_or_quoted, parse_entry, parse_entry_quick, quoted, Entry};
use crate::error::Result;
use crate::input::{for_each_line_bytes, utf8};
use crate::meta::FamilySpec;
use crate::options::check_comment;
use crate::options::parse_timeout;

/// One line of a list: the entry and its own options. 32 bytes on 64-bit
/// machines (a 1M-line list is held whole while it is planned): the
/// timeout is kept beside a flag, and a comment, rare, behind one pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub entry: Entry,
    timeout: u32,
    has_timeout: bool,
    /// Boxed twice: a thin pointer (8 bytes, not 16).
    comment: Option<Box<Box<str>>>,
}

impl ListEntry {
    pub fn new(entry: Entry, timeout: Option<u32>, comment: Option<&str>) -> ListEntry {
        ListEntry {
            entry,
            timeout: timeout.unwrap_or(0),
            has_timeout: timeout.is_some(),
            comment: comment.map(|c| Box::new(c.into())),
        }
    }

    /// An entry with no options of its own.
    pub fn plain(entry: Entry) -> ListEntry {
        ListEntry::new(entry, None, None)
    }

    /// The line's own timeout, in seconds.
    pub fn timeout(&self) -> Option<u32> {
        self.has_timeout.then_some(self.timeout)
    }

    /// The line's own comment.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref().map(|c| &**c)
    }

    /// Whether the line gives a timeout or a comment.
    pub fn has_options(&self) -> bool {
        self.has_timeout || self.comment.is_some()
    }
}

/// Whether a line is only address characters (digits, hex letters, `.`,
/// `:` and `/`): then it is one bare address with nothing to trim.
fn bare_address(line: &str) -> bool {
    !line.is_empty()
        && line
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'.' | b':' | b'/'))
}

/// Split a line into words; a double-quoted word may hold spaces and `#`.
/// Everything from an unquoted `#` on is a comment.
fn words(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            '#' if !quoted => break,
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Parse one list into entries for `spec`'s family.
pub fn read(
    reader: &mut impl BufRead,
    source_name: &str,
    spec: &FamilySpec,
) -> Result<Vec<ListEntry>> {
    let mut entries = Vec::new();
    let mut dump_set: Option<String> = None;
    for_each_line_bytes(reader, source_name, |line| {
        // Most lines are one bare address: read it straight from the bytes.
        if let Some(entry) = parse_entry_quick(line, spec.set_type, spec.family) {
            entries.push(ListEntry::plain(entry));
            return Ok(());
        }
        let text = utf8(line)?;
        if bare_address(text) {
            entries.push(ListEntry::plain(parse_entry(
                text,
                spec.set_type,
                spec.family,
            )?));
            return Ok(());
        }
        let trimmed = text.trim();
        if !trimmed.is_empty()
            && !trimmed
                .bytes()
                .any(|b| matches!(b, b' ' | b'\t' | b'#' | b'"'))
        {
            let entry = parse_entry(trimmed, spec.set_type, spec.family)?;
            entries.push(ListEntry::plain(entry));
            return Ok(());
        }
        // Otherwise split into words (allocating only for quoted text).
        let owned;
        let simple: Vec<&str>;
        let words: &[&str] = if text.contains('"') {
            owned = words(text)?;
            simple = owned.iter().map(String::as_str).collect();
            &simple
        } else {
            simple = text
                .split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            &simple
        };
        let mut rest: &[&str] = words;
        match rest.first().copied() {
            None => return Ok(()),
            Some("create") => {
                check_dump_set(&mut dump_set, rest.get(1))?;
                let set_type = rest.get(2).copied().unwrap_or("");
                let family = rest
                    .iter()
                    .position(|w| *w == "family")
                    .and_then(|i| rest.get(i + 1))
                    .copied()
                    .unwrap_or("inet");
                if rest.contains(&"netmask") {
                    return Err("the dump's set has a netmask, which changes what its entries match; mipset families have none".into());
                }
                if set_type != spec.set_type.as_str() || family != spec.family.as_str() {
                    return Err(format!(
                        "the dump is of a {} {} set, but family '{}' is {} {}",
                        bare_or_quoted(set_type),
                        bare_or_quoted(family),
                        spec.name,
                        spec.set_type,
                        spec.family
                    ));
                }
                return Ok(());
            }
            Some("add") => {
                // `ipset restore` scripts may say `add -exist SET ...`.
                let flags = rest[1..]
                    .iter()
                    .take_while(|w| **w == "-exist" || **w == "-!")
                    .count();
                check_dump_set(&mut dump_set, rest.get(1 + flags))?;
                rest = &rest[(2 + flags).min(rest.len())..];
            }
            Some(_) => {}
        }
        let (first, options) = rest
            .split_first()
            .ok_or_else(|| "no address after 'add SET'".to_string())?;
        let entry = parse_entry(first, spec.set_type, spec.family)?;
        let mut item = ListEntry::plain(entry);
        let mut options = options.iter();
        while let Some(option) = options.next() {
            let value = options.next();
            match (*option, value) {
                ("timeout", Some(v)) => {
                    if spec.timeout.is_none() {
                        return Err(format!(
                            "timeout: family '{}' was created without timeout support",
                            spec.name
                        ));
                    }
                    item.timeout = parse_timeout("timeout", v).map_err(|e| e.to_string())?;
                    item.has_timeout = true;
                }
                ("comment", Some(v)) => {
                    if !spec.comment {
                        return Err(format!(
                            "comment: family '{}' was created without comment support",
                            spec.name
                        ));
                    }
                    check_comment(v)?;
                    item.comment = Some(Box::new((*v).into()));
                }
                // Counters in a dump are runtime state, not part of a list.
                ("packets" | "bytes", Some(v)) if v.parse::<u64>().is_ok() => {}
                ("nomatch", _) => {
                    return Err("nomatch entries are not supported by mipset families".into())
                }
                (other, _) => {
                    return Err(format!(
                        "unexpected {} after the address (allowed: timeout N, comment \"text\")",
                        quoted(other)
                    ))
                }
            }
        }
        entries.push(item);
        Ok(())
    })?;
    Ok(entries)
}

fn check_dump_set(
    seen: &mut Option<String>,
    name: Option<&&str>,
) -> std::result::Result<(), String> {
    let name = *name.ok_or("no set name")?;
    match seen {
        Some(first) if first != name => Err(format!(
            "the dump holds more than one set ({} and {}); load one set at a time",
            quoted(first),
            quoted(name)
        )),
        Some(_) => Ok(()),
        None => {
            *seen = Some(name.to_string());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{AddrFamily, SetType};
    use crate::route::Routing;

    fn spec(set_type: SetType, timeout: bool, comment: bool) -> FamilySpec {
        FamilySpec {
            name: "web".into(),
            set_type,
            family: AddrFamily::Inet,
            shards: 4,
            routing: Routing::Bits { shift: 0 },
            hashsize: 64,
            maxelem: 1000,
            timeout: timeout.then_some(0),
            counters: false,
            comment,
            reduce: crate::prefix::levels::Reduce::Off,
            route_auto: false,
        }
    }

    fn read_str(text: &str, spec: &FamilySpec) -> Result<Vec<ListEntry>> {
        read(&mut text.as_bytes(), "list.txt", spec)
    }

    #[test]
    fn plain_lists_options_and_save_dumps() {
        let s = spec(SetType::HashNet, true, true);
        let got = read_str(
            "# blocklist\n10.0.0.1\n10.0.1.0/24 timeout 10m comment \"office # 2\"  # trailing\n\n",
            &s,
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].timeout(), Some(600));
        assert_eq!(got[1].comment(), Some("office # 2"));
        let dump = "create old hash:net family inet hashsize 1024 maxelem 65536 timeout 0 comment\nadd old 10.0.0.0/8 timeout 5 packets 1 bytes 2\nadd old 192.0.2.1 comment \"x y\"\n";
        let got = read_str(dump, &s).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].entry.to_string(), "10.0.0.0/8");
        assert_eq!(got[1].comment(), Some("x y"));
    }

    #[test]
    fn errors_name_the_line() {
        let s = spec(SetType::HashIp, false, false);
        let e = read_str("10.0.0.1\n10.0.0.2 timeout 5\n", &s)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "list.txt:2: timeout: family 'web' was created without timeout support"
        );
        let e = read_str("10.0.0.1 comment x\n", &s)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("list.txt:1: comment:"), "{e}");
        let e = read_str("1.2.3.4 \"unclosed\n", &s)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "list.txt:1: a quote is not closed");
        let e = read_str("create x hash:net family inet\n", &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the dump is of a hash:net inet set"), "{e}");
        let e = read_str("add a 10.0.0.1\nadd b 10.0.0.2\n", &s)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("list.txt:2: the dump holds more than one set"),
            "{e}"
        );
        let e = read_str("10.0.0.1 frobnicate 3\n", &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unexpected 'frobnicate'"), "{e}");
        let e = read_str("10.0.0.1\n10.0.0.999\n", &s)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "list.txt:2: '10.0.0.999' is not an IPv4 address");
    }

    #[test]
    fn dump_details_are_checked() {
        let s = spec(SetType::HashIp, false, false);
        let e = read_str("create x hash:ip family inet netmask 24\n", &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("netmask"), "{e}");
        assert_eq!(read_str("add -exist x 10.0.0.1\n", &s).unwrap().len(), 1);
        let e = read_str("10.0.0.1 nomatch\n", &s).unwrap_err().to_string();
        assert!(e.contains("nomatch entries are not supported"), "{e}");
        let c = spec(SetType::HashIp, false, true);
        let e = read_str("10.0.0.1 comment \"\"\n", &c)
            .unwrap_err()
            .to_string();
        assert!(e.contains("non-empty"), "{e}");
    }
}
