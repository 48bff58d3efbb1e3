//! Rules: the iptables rules that let packets match a family.
//!
//! Pure planning lives here (what the rules of a layout are, how mipset
//! marks and names them, how `iptables-save` output is read back);
//! [`iptables`] runs the iptables binaries and [`apply`] combines the two.
//!
//! Layouts:
//! * `umbrella`: one rule `-m set --match-set FAMILY DIR -j TARGET` on the
//!   list:set. Any routing; the kernel probes the shards one by one, so a
//!   miss costs N set lookups.
//! * `linear`: the user's rule jumps to a chain holding one rule per shard,
//!   `-d K<<S/(N-1)<<S -m set --match-set FAMILY-sK DIR -j TARGET`
//!   (a non-contiguous mask picks the tag bits). Up to N header matches
//!   and exactly one set lookup per packet.
//! * `twolevel`: the rule jumps to a chain with one `-g` per group of the
//!   high half of the tag bits; each group's chain holds one rule per shard
//!   of the group, as in `linear`: about 2*sqrt(N) header matches, one goto.
//! * `tree`: a binary tree of chains, one tag bit per level, entered with
//!   `-g` (goto) so that a miss returns straight to the user's chain:
//!   log2(N) header matches and one set lookup per packet.
//!
//! Every rule in the user's chain carries a comment `mipset family=F
//! match=DIR jump=T layout=L[ note=TEXT]`, so mipset finds its own rules
//! and never touches anyone else's. Dispatch chains are named
//! `mipset-HHHHHHHH[-I]`, HHHHHHHH being a hash of the rule's identity
//! (table, chain, family, direction, target, layout) and I a tree node.

pub mod apply;
pub mod iptables;

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::Serialize;

use crate::addr::AddrFamily;
use crate::meta::FamilySpec;
use crate::route::Routing;

/// Longest iptables chain name (the kernel's 29 bytes with the NUL).
pub const MAX_CHAIN_LEN: usize = 28;
/// Longest `--comment` text mipset accepts from the user.
pub const MAX_NOTE_LEN: usize = 128;
/// The prefix of every comment mipset writes on a rule.
const MARK: &str = "mipset ";
/// The prefix of every chain mipset creates.
pub const CHAIN_PREFIX: &str = "mipset-";

/// The tables a rule may go in.
pub const TABLES: &[&str] = &["filter", "raw", "mangle", "nat", "security"];

/// Which address of the packet is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Src,
    Dst,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Src => "src",
            Direction::Dst => "dst",
        }
    }

    /// The iptables header match option for this address.
    fn header_flag(self) -> &'static str {
        match self {
            Direction::Src => "-s",
            Direction::Dst => "-d",
        }
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "src" => Ok(Direction::Src),
            "dst" => Ok(Direction::Dst),
            _ => Err(format!(
                "match '{s}': must be src or dst (a family has one address dimension)"
            )),
        }
    }
}

/// How the user's rule reaches the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Linear,
    Tree,
    TwoLevel,
    Umbrella,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Linear => "linear",
            Layout::Tree => "tree",
            Layout::TwoLevel => "twolevel",
            Layout::Umbrella => "umbrella",
        }
    }

    /// What `--layout dispatch` (the default) means; chosen from the
    /// per-packet measurements in docs/BENCHMARKS.md. One layout for every
    /// shard count, so that a resize never changes what the default means.
    pub fn dispatch() -> Layout {
        Layout::TwoLevel
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "linear" => Ok(Layout::Linear),
            "tree" => Ok(Layout::Tree),
            "twolevel" => Ok(Layout::TwoLevel),
            "umbrella" => Ok(Layout::Umbrella),
            _ => Err(format!(
                "layout '{s}': must be dispatch, twolevel, tree, linear or umbrella"
            )),
        }
    }
}

/// One mipset rule: where it is and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSpec {
    pub family: String,
    pub table: String,
    pub chain: String,
    #[serde(rename = "match")]
    pub direction: Direction,
    pub jump: String,
    pub layout: Layout,
    /// The user's own comment, kept after mipset's marker.
    pub note: Option<String>,
}

/// A chain name, a target or a table: iptables' characters, checked here
/// because the names end up on an iptables command line.
pub fn check_chain_name(what: &str, name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    if name.is_empty() || name.len() > MAX_CHAIN_LEN || !name.chars().all(ok_char) {
        return Err(format!(
            "{what} '{name}': must be 1 to {MAX_CHAIN_LEN} characters of A-Z a-z 0-9 _ . -"
        ));
    }
    if name.starts_with('-') {
        return Err(format!("{what} '{name}': must not start with '-'"));
    }
    Ok(())
}

/// The user's `--comment`: printable ASCII without quotes or backslashes
/// (it travels through iptables' own quoting).
pub fn check_note(note: &str) -> Result<(), String> {
    if note.is_empty() || note.len() > MAX_NOTE_LEN {
        return Err(format!(
            "comment: must be 1 to {MAX_NOTE_LEN} characters (got {})",
            note.len()
        ));
    }
    if let Some(c) = note
        .chars()
        .find(|&c| !(' '..='~').contains(&c) || "\"'\\".contains(c))
    {
        return Err(format!(
            "comment '{note}': {c:?} is not allowed (printable ASCII without quotes or backslashes)"
        ));
    }
    if note.trim() != note {
        return Err(format!(
            "comment '{note}': no leading or trailing spaces, please"
        ));
    }
    Ok(())
}

impl RuleSpec {
    /// Check every name that goes on the command line, and the layout
    /// against the family's routing.
    pub fn validate(&self, family: &FamilySpec) -> Result<(), String> {
        if !TABLES.contains(&self.table.as_str()) {
            return Err(format!(
                "table '{}': must be one of {}",
                self.table,
                TABLES.join(", ")
            ));
        }
        check_chain_name("chain", &self.chain)?;
        check_chain_name("jump target", &self.jump)?;
        if self.chain.starts_with(CHAIN_PREFIX) || self.jump.starts_with(CHAIN_PREFIX) {
            return Err(format!(
                "chains named {CHAIN_PREFIX}* belong to mipset's dispatch rules; pick another chain or target"
            ));
        }
        if self.jump == "RETURN" && self.layout != Layout::Umbrella {
            return Err(
                "--jump RETURN cannot work through a dispatch chain (it would return from mipset's chain, not yours): use --layout umbrella, or jump to a chain of yours that returns".into(),
            );
        }
        if let Some(note) = &self.note {
            check_note(note)?;
        }
        if self.layout != Layout::Umbrella && family.routing == Routing::Hash {
            return Err(format!(
                "family {} uses hash routing, which no header match can follow: only --layout umbrella can match it",
                family.name
            ));
        }
        Ok(())
    }

    /// The comment that marks the user's rule as mipset's.
    pub fn comment(&self) -> String {
        let mut c = format!(
            "{MARK}family={} match={} jump={} layout={}",
            self.family,
            self.direction.as_str(),
            self.jump,
            self.layout
        );
        if let Some(note) = &self.note {
            c.push_str(" note=");
            c.push_str(note);
        }
        c
    }

    /// Name of the dispatch chain (the tree's root).
    pub fn base_chain(&self) -> String {
        let key = format!(
            "{} {} {} {} {} {}",
            self.table,
            self.chain,
            self.family,
            self.direction.as_str(),
            self.jump,
            self.layout
        );
        format!("{CHAIN_PREFIX}{:08x}", fnv1a32(key.as_bytes()))
    }

    /// Same rule, ignoring the note (which `rule add` may change in place).
    pub fn same_rule(&self, other: &RuleSpec) -> bool {
        RuleSpec {
            note: None,
            ..self.clone()
        } == RuleSpec {
            note: None,
            ..other.clone()
        }
    }
}

/// FNV-1a, 32 bits: a fixed, documented hash for chain names (which must
/// not change between mipset versions).
fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Read a comment mipset wrote back into a rule (table and chain are where
/// it was found).
pub fn parse_comment(comment: &str, table: &str, chain: &str) -> Option<RuleSpec> {
    let rest = comment.strip_prefix(MARK)?;
    let (fields, note) = match rest.split_once(" note=") {
        Some((f, n)) => (f, Some(n.to_string())),
        None => (rest, None),
    };
    let mut family = None;
    let mut direction = None;
    let mut jump = None;
    let mut layout = None;
    for field in fields.split(' ') {
        let (k, v) = field.split_once('=')?;
        match k {
            "family" => family = Some(v.to_string()),
            "match" => direction = Some(v.parse().ok()?),
            "jump" => jump = Some(v.to_string()),
            "layout" => layout = Some(v.parse().ok()?),
            _ => return None,
        }
    }
    Some(RuleSpec {
        family: family?,
        table: table.to_string(),
        chain: chain.to_string(),
        direction: direction?,
        jump: jump?,
        layout: layout?,
        note,
    })
}

/// The rules of one rule spec: the user's rule and its dispatch chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Arguments of the user's rule, as `iptables-save` prints them after
    /// `-A CHAIN`.
    pub rule: String,
    /// Dispatch chains in creation order with their rules (same format).
    pub chains: Vec<(String, Vec<String>)>,
}

/// `addr/mask` for a header match, printed as iptables prints it (a mask
/// of leading ones as a prefix length).
fn masked(family: AddrFamily, value: u128, mask: u128) -> String {
    let width = family.width();
    let full = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    let ones = mask.count_ones();
    let is_prefix = ones > 0 && mask == (full >> (width - ones)) << (width - ones);
    let addr = |v: u128| match family {
        AddrFamily::Inet => Ipv4Addr::from(v as u32).to_string(),
        AddrFamily::Inet6 => inet_ntop6(Ipv6Addr::from(v)),
    };
    if is_prefix {
        format!("{}/{ones}", addr(value))
    } else {
        format!("{}/{}", addr(value), addr(mask))
    }
}

/// An IPv6 address as glibc's `inet_ntop` (and so ip6tables) prints it:
/// like Rust's `Display`, except that an address whose first 96 bits are
/// zero and whose next 16 are not is printed IPv4-compatible (`::0.1.0.0`).
fn inet_ntop6(a: Ipv6Addr) -> String {
    let s = a.segments();
    if s[..6] == [0; 6] && s[6] != 0 {
        let [.., a, b, c, d] = a.octets();
        return format!("::{}", Ipv4Addr::new(a, b, c, d));
    }
    a.to_string()
}

/// Plan the rules for `spec` on `family` (validated).
pub fn plan(spec: &RuleSpec, family: &FamilySpec) -> Plan {
    let dir = spec.direction.as_str();
    let comment = spec.comment();
    if spec.layout == Layout::Umbrella {
        return Plan {
            rule: format!(
                "-m set --match-set {} {dir} -m comment --comment \"{comment}\" -j {}",
                family.name, spec.jump
            ),
            chains: Vec::new(),
        };
    }
    let shift = match family.routing {
        Routing::Bits { shift } => shift,
        Routing::Hash => 0, // refused by validate
    };
    let base = spec.base_chain();
    let flag = spec.direction.header_flag();
    let n = family.shards;
    let set_rule = |k: u32| {
        format!(
            "-m set --match-set {} {dir} -j {}",
            family.shard_name(k),
            spec.jump
        )
    };
    let header = |value: u128, mask: u128| {
        format!(
            "{flag} {}",
            masked(family.family, value << shift, mask << shift)
        )
    };
    let mut chains = Vec::new();
    match spec.layout {
        Layout::Linear => {
            let rules = (0..n)
                .map(|k| {
                    if n == 1 {
                        set_rule(k)
                    } else {
                        format!(
                            "{} {}",
                            header(u128::from(k), u128::from(n - 1)),
                            set_rule(k)
                        )
                    }
                })
                .collect();
            chains.push((base.clone(), rules));
        }
        Layout::TwoLevel => {
            // Root: one goto per group of the high tag bits (the last one
            // unconditional); each group's chain: one rule per low tag bit
            // pattern, as in `linear`.
            let bits = n.trailing_zeros();
            let (hi, lo) = (bits / 2, bits - bits / 2);
            let group_rules = |group: u32| -> Vec<String> {
                (0..1u32 << lo)
                    .map(|j| {
                        let k = (group << lo) | j;
                        if lo == 0 {
                            set_rule(k)
                        } else {
                            format!(
                                "{} {}",
                                header(u128::from(j), (1u128 << lo) - 1),
                                set_rule(k)
                            )
                        }
                    })
                    .collect()
            };
            if hi == 0 {
                chains.push((base.clone(), group_rules(0)));
            } else {
                let groups = 1u32 << hi;
                let root = (0..groups)
                    .map(|g| {
                        if g + 1 == groups {
                            format!("-g {base}-{g}")
                        } else {
                            format!(
                                "{} -g {base}-{g}",
                                header(u128::from(g) << lo, ((1u128 << hi) - 1) << lo)
                            )
                        }
                    })
                    .collect();
                chains.push((base.clone(), root));
                for g in 0..groups {
                    chains.push((format!("{base}-{g}"), group_rules(g)));
                }
            }
        }
        Layout::Tree | Layout::Umbrella => {
            let levels = n.trailing_zeros();
            let node_name = |index: u32| {
                if index == 1 {
                    base.clone()
                } else {
                    format!("{base}-{index}")
                }
            };
            if levels == 0 {
                chains.push((base.clone(), vec![set_rule(0)]));
            }
            // Node (depth d, tag prefix p) has index (1 << d) | p.
            for depth in 0..levels {
                let bit = 1u128 << depth;
                for prefix in 0..(1u32 << depth) {
                    let index = (1u32 << depth) | prefix;
                    let one = prefix | (1 << depth);
                    let rules = if depth + 1 < levels {
                        let child = |p: u32| node_name((1u32 << (depth + 1)) | p);
                        vec![
                            format!("{} -g {}", header(bit, bit), child(one)),
                            format!("-g {}", child(prefix)),
                        ]
                    } else {
                        vec![
                            format!("{} {}", header(bit, bit), set_rule(one)),
                            format!("{} -j RETURN", header(bit, bit)),
                            set_rule(prefix),
                        ]
                    };
                    chains.push((node_name(index), rules));
                }
            }
        }
    }
    Plan {
        rule: format!("-m comment --comment \"{comment}\" -j {base}"),
        chains,
    }
}

/// One rule line of an `iptables-save -c` dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedRule {
    pub chain: String,
    /// Everything after `-A CHAIN `.
    pub args: String,
    pub packets: u64,
    pub bytes: u64,
}

/// One table of an `iptables-save -c` dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedTable {
    pub name: String,
    pub chains: Vec<String>,
    pub rules: Vec<SavedRule>,
}

impl SavedTable {
    pub fn rules_of<'a>(&'a self, chain: &'a str) -> impl Iterator<Item = &'a SavedRule> + 'a {
        self.rules.iter().filter(move |r| r.chain == chain)
    }
}

/// Parse `iptables-save -c` output (counters as `[P:B]` prefixes, or none).
pub fn parse_save(text: &str) -> Vec<SavedTable> {
    let mut tables: Vec<SavedTable> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('*') {
            tables.push(SavedTable {
                name: name.to_string(),
                ..Default::default()
            });
            continue;
        }
        let Some(table) = tables.last_mut() else {
            continue;
        };
        if let Some(decl) = line.strip_prefix(':') {
            if let Some(name) = decl.split(' ').next() {
                table.chains.push(name.to_string());
            }
            continue;
        }
        let (packets, bytes, rest) = match line.strip_prefix('[') {
            Some(counted) => {
                let Some((counters, rest)) = counted.split_once("] ") else {
                    continue;
                };
                let (p, b) = counters.split_once(':').unwrap_or(("0", "0"));
                (p.parse().unwrap_or(0), b.parse().unwrap_or(0), rest)
            }
            None => (0, 0, line),
        };
        if let Some(rule) = rest.strip_prefix("-A ") {
            let (chain, args) = rule.split_once(' ').unwrap_or((rule, ""));
            table.rules.push(SavedRule {
                chain: chain.to_string(),
                args: args.to_string(),
                packets,
                bytes,
            });
        }
    }
    tables
}

/// Split a rule as iptables prints it into arguments (double quotes group
/// words, as in `--comment "a b"`).
pub fn split_words(rule: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in rule.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The text of a rule's `--comment`, if it has one.
pub fn comment_of(args: &str) -> Option<&str> {
    let rest = &args[args.find("--comment ")? + "--comment ".len()..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split(' ').next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::SetType;

    fn family(n: u32, shift: u32, af: AddrFamily) -> FamilySpec {
        FamilySpec {
            name: "web".into(),
            set_type: SetType::HashIp,
            family: af,
            shards: n,
            routing: Routing::Bits { shift },
            hashsize: 64,
            maxelem: 4096,
            timeout: None,
            counters: false,
            comment: false,
        }
    }

    fn spec(layout: Layout) -> RuleSpec {
        RuleSpec {
            family: "web".into(),
            table: "filter".into(),
            chain: "INPUT".into(),
            direction: Direction::Dst,
            jump: "ACCEPT".into(),
            layout,
            note: None,
        }
    }

    #[test]
    fn linear_masks_pick_the_tag_bits() {
        let p = plan(&spec(Layout::Linear), &family(16, 0, AddrFamily::Inet));
        assert_eq!(p.chains.len(), 1);
        let rules = &p.chains[0].1;
        assert_eq!(rules.len(), 16);
        assert_eq!(
            rules[3],
            "-d 0.0.0.3/0.0.0.15 -m set --match-set web-s3 dst -j ACCEPT"
        );
        let p = plan(&spec(Layout::Linear), &family(4, 8, AddrFamily::Inet6));
        assert_eq!(
            p.chains[0].1[2],
            "-d ::200/::300 -m set --match-set web-s2 dst -j ACCEPT"
        );
        // Top bits form a prefix: printed as a prefix length, as iptables does.
        let p = plan(&spec(Layout::Linear), &family(4, 30, AddrFamily::Inet));
        assert_eq!(
            p.chains[0].1[1],
            "-d 64.0.0.0/2 -m set --match-set web-s1 dst -j ACCEPT"
        );
    }

    #[test]
    fn tree_has_one_chain_per_inner_node_and_reaches_every_shard_once() {
        for n in [1u32, 2, 4, 16, 64, 1024] {
            let p = plan(&spec(Layout::Tree), &family(n, 0, AddrFamily::Inet));
            assert_eq!(p.chains.len() as u32, (n - 1).max(1), "n={n}");
            let mut seen = vec![0; n as usize];
            for (_, rules) in &p.chains {
                for r in rules {
                    if let Some(i) = r.find("--match-set web-s") {
                        let k: usize = r[i + 17..].split(' ').next().unwrap().parse().unwrap();
                        seen[k] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "n={n}: {seen:?}");
            assert!(p.chains.iter().all(|(name, _)| name.len() <= MAX_CHAIN_LEN));
        }
    }

    /// Walk the planned chains like the kernel would, for one address.
    fn walk(p: &Plan, addr: u32) -> Vec<String> {
        let matches = |r: &str| {
            let Some(h) = r.strip_prefix("-d ") else {
                return true;
            };
            let am = h.split(' ').next().unwrap();
            let (a, m) = am.split_once('/').unwrap();
            let a: u32 = a.parse::<Ipv4Addr>().unwrap().into();
            let m: u32 = match m.parse::<u32>() {
                Ok(len) => u32::MAX << (32 - len),
                Err(_) => m.parse::<Ipv4Addr>().unwrap().into(),
            };
            addr & m == a
        };
        let mut probed = Vec::new();
        let mut chain = p.chains[0].0.clone();
        'chains: loop {
            let rules = &p.chains.iter().find(|(c, _)| *c == chain).unwrap().1;
            for r in rules {
                if !matches(r) {
                    continue;
                }
                if let Some(i) = r.find("--match-set ") {
                    probed.push(r[i + 12..].split(' ').next().unwrap().to_string());
                    continue; // a miss goes on to the next rule
                }
                if r.ends_with("-j RETURN") {
                    break 'chains;
                }
                if let Some(i) = r.find("-g ") {
                    chain = r[i + 3..].to_string();
                    continue 'chains;
                }
            }
            break;
        }
        probed
    }

    #[test]
    fn every_address_probes_exactly_its_own_shard() {
        for layout in [Layout::Linear, Layout::Tree, Layout::TwoLevel] {
            for (n, shift) in [(1, 0), (2, 0), (4, 1), (16, 0), (32, 2), (64, 3), (8, 29)] {
                let f = family(n, shift, AddrFamily::Inet);
                let p = plan(&spec(layout), &f);
                for addr in (0..5000u32).map(|i| i.wrapping_mul(2_654_435_761)) {
                    let tag = if n == 1 { 0 } else { (addr >> shift) & (n - 1) };
                    assert_eq!(
                        walk(&p, addr),
                        vec![format!("web-s{tag}")],
                        "{layout} n={n} S={shift} addr={addr:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn ipv6_masks_print_as_glibc_prints_them() {
        for (v, want) in [
            (0u128, "::"),
            (1, "::1"),
            (0x1_0000, "::0.1.0.0"),
            (0x3_0000_0000, "::3:0:0"),
            (0xffff_7f00_0001, "::ffff:127.0.0.1"),
            (0x100, "::100"),
            (1u128 << 64, "0:0:0:1::"),
        ] {
            assert_eq!(inet_ntop6(Ipv6Addr::from(v)), want, "{v:#x}");
        }
    }

    #[test]
    fn comments_round_trip_and_foreign_ones_are_ignored() {
        let mut s = spec(Layout::Tree);
        s.note = Some("allow: web tier (ticket 42)".into());
        let c = s.comment();
        assert_eq!(parse_comment(&c, "filter", "INPUT"), Some(s.clone()));
        assert_eq!(parse_comment("mipsetx family=web", "filter", "INPUT"), None);
        assert_eq!(parse_comment("allow web", "filter", "INPUT"), None);
        assert_eq!(
            parse_comment("mipset family=web match=both jump=A layout=tree", "f", "C"),
            None
        );
        let p = plan(&s, &family(4, 0, AddrFamily::Inet));
        assert_eq!(comment_of(&p.rule), Some(c.as_str()));
    }

    #[test]
    fn names_and_notes_are_checked() {
        let f = family(4, 0, AddrFamily::Inet);
        let mut s = spec(Layout::Linear);
        assert!(s.validate(&f).is_ok());
        for (chain, ok) in [
            ("INPUT", true),
            ("my-chain.1", true),
            ("", false),
            ("-A", false),
            ("a b", false),
            ("x;rm", false),
            ("abcdefghijklmnopqrstuvwxyz012", false),
            ("mipset-12345678", false),
        ] {
            s.chain = chain.into();
            assert_eq!(s.validate(&f).is_ok(), ok, "{chain}");
        }
        s.chain = "INPUT".into();
        for (note, ok) in [
            ("ok note", true),
            ("a\"b", false),
            ("é", false),
            (" x", false),
        ] {
            s.note = Some(note.into());
            assert_eq!(s.validate(&f).is_ok(), ok, "{note}");
        }
        s.note = None;
        s.table = "security".into();
        assert!(s.validate(&f).is_ok());
        s.table = "nope".into();
        assert!(s.validate(&f).is_err());
        let mut hashed = f.clone();
        hashed.routing = Routing::Hash;
        s.table = "filter".into();
        assert!(s.validate(&hashed).unwrap_err().contains("umbrella"));
        s.layout = Layout::Umbrella;
        assert!(s.validate(&hashed).is_ok());
    }

    #[test]
    fn rule_words_keep_quoted_comments() {
        assert_eq!(
            split_words("-A X -m comment --comment \"a b\"  -j Y"),
            vec!["-A", "X", "-m", "comment", "--comment", "a b", "-j", "Y"]
        );
    }

    #[test]
    fn save_output_is_read_with_counters() {
        let text = "# Generated\n*raw\n:PREROUTING ACCEPT [5:300]\n:mipset-1 - [0:0]\n[7:420] -A PREROUTING -m comment --comment \"mipset family=web match=dst jump=DROP layout=tree\" -j mipset-1\n[3:180] -A mipset-1 -m set --match-set web-s0 dst -j DROP\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n";
        let t = parse_save(text);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].chains, ["PREROUTING", "mipset-1"]);
        assert_eq!(t[0].rules[0].packets, 7);
        assert_eq!(t[0].rules_of("mipset-1").next().unwrap().bytes, 180);
        assert_eq!(
            comment_of(&t[0].rules[0].args),
            Some("mipset family=web match=dst jump=DROP layout=tree")
        );
        assert_eq!(t[1].rules[0].args, "-j ACCEPT");
        assert_eq!(comment_of("-m comment --comment plain -j X"), Some("plain"));
    }
}
