//! What a mipset rule is, as data: where it goes, what it matches, which
//! layout reaches the shards, and how mipset marks its rules and names its
//! chains so that it finds them again. Pure: nothing here runs iptables.
//!
//! Every rule in the user's chain carries a comment `mipset family=F
//! match=DIR jump=T layout=L[ note=TEXT]`, so mipset finds its own rules
//! and never touches anyone else's. Dispatch chains are named
//! `mipset-HHHHHHHH[-I]`, HHHHHHHH being a hash of the rule's identity
//! (table, chain, family, direction, target, layout) and I a tree node.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::addr::quoted;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
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
    pub(crate) fn header_flag(self) -> &'static str {
        match self {
            Direction::Src => "-s",
            Direction::Dst => "-d",
        }
    }
}

/// The same spellings as the command line (one table: the `ValueEnum`).
impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <Direction as clap::ValueEnum>::from_str(s, false).map_err(|_| {
            format!(
                "match {}: must be src or dst (a family has one address dimension)",
                quoted(s)
            )
        })
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

    /// The one rule of which layouts a routing allows: hash routing, which
    /// no header match can follow, only the umbrella layout.
    pub fn allowed_for(self, routing: Routing) -> Result<(), String> {
        if routing == Routing::Hash && self != Layout::Umbrella {
            return Err("hash routing, which no header match can follow, is matched only by the umbrella layout, which costs one set lookup per shard on a miss (see `mipset rule --help`) and must be asked for by name".into());
        }
        Ok(())
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
                "layout {}: must be dispatch, twolevel, tree, linear or umbrella",
                quoted(s)
            )),
        }
    }
}

/// The layout a user asks for (`--layout`, or `layout =` in a reconcile
/// configuration): `dispatch`, the measured default, or one by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayoutChoice {
    // The default dispatch layout (Layout::dispatch).
    Dispatch,
    #[value(name = "twolevel")]
    TwoLevel,
    Tree,
    Linear,
    Umbrella,
}

impl FromStr for LayoutChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <LayoutChoice as clap::ValueEnum>::from_str(s, false).map_err(|_| {
            format!(
                "layout {}: must be dispatch, twolevel, tree, linear or umbrella",
                quoted(s)
            )
        })
    }
}

impl LayoutChoice {
    /// The layout asked for (none asked: dispatch) if the family's routing
    /// allows it ([`Layout::allowed_for`]), for `rule add`, `reconcile` and
    /// `bench` alike: hash routing takes only the umbrella layout, and only
    /// when asked for by name, since it costs one set lookup per shard on a
    /// miss.
    pub fn resolve(choice: Option<LayoutChoice>, routing: Routing) -> Result<Layout, String> {
        let layout = match choice.unwrap_or(LayoutChoice::Dispatch) {
            LayoutChoice::Dispatch => Layout::dispatch(),
            LayoutChoice::TwoLevel => Layout::TwoLevel,
            LayoutChoice::Tree => Layout::Tree,
            LayoutChoice::Linear => Layout::Linear,
            LayoutChoice::Umbrella => Layout::Umbrella,
        };
        layout.allowed_for(routing)?;
        Ok(layout)
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
            "{what} {}: must be 1 to {MAX_CHAIN_LEN} characters of A-Z a-z 0-9 _ . -",
            quoted(name)
        ));
    }
    if name.starts_with('-') {
        return Err(format!("{what} {}: must not start with '-'", quoted(name)));
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
            "comment {}: {c:?} is not allowed (printable ASCII without quotes or backslashes)",
            quoted(note)
        ));
    }
    if note.trim() != note {
        return Err(format!(
            "comment {}: no leading or trailing spaces, please",
            quoted(note)
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
                "table {}: must be one of {}",
                quoted(&self.table),
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
        self.layout
            .allowed_for(family.routing)
            .map_err(|e| format!("family {}: {e}", family.name))?;
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

/// Test fixtures shared by the rule planners' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{Direction, Layout, RuleSpec};
    use crate::addr::AddrFamily;
    use crate::meta::FamilySpec;
    use crate::route::Routing;

    pub(crate) fn family(n: u32, shift: u32, af: AddrFamily) -> FamilySpec {
        FamilySpec {
            family: af,
            routing: Routing::Bits { shift },
            ..crate::meta::test_spec(n)
        }
    }

    pub(crate) fn spec(layout: Layout) -> RuleSpec {
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
}

#[cfg(test)]
mod tests {
    use super::fixtures::{family, spec};
    use super::*;
    use crate::addr::AddrFamily;

    #[test]
    fn a_layout_is_resolved_by_one_rule() {
        let bits = Routing::Bits { shift: 0 };
        assert_eq!(LayoutChoice::resolve(None, bits), Ok(Layout::dispatch()));
        assert_eq!(
            LayoutChoice::resolve(Some(LayoutChoice::Dispatch), bits),
            Ok(Layout::dispatch())
        );
        assert_eq!(
            LayoutChoice::resolve(Some(LayoutChoice::Tree), bits),
            Ok(Layout::Tree)
        );
        assert_eq!(
            LayoutChoice::resolve(Some(LayoutChoice::Umbrella), bits),
            Ok(Layout::Umbrella)
        );
        // Hash routing: the umbrella, and only by name.
        for choice in [
            None,
            Some(LayoutChoice::Dispatch),
            Some(LayoutChoice::TwoLevel),
            Some(LayoutChoice::Tree),
            Some(LayoutChoice::Linear),
        ] {
            let e = LayoutChoice::resolve(choice, Routing::Hash).unwrap_err();
            assert!(
                e.contains("umbrella") && e.contains("by name"),
                "{choice:?}: {e}"
            );
        }
        assert_eq!(
            LayoutChoice::resolve(Some(LayoutChoice::Umbrella), Routing::Hash),
            Ok(Layout::Umbrella)
        );
        assert_eq!("twolevel".parse(), Ok(LayoutChoice::TwoLevel));
        assert!("star".parse::<LayoutChoice>().unwrap_err().contains("star"));
    }

    #[test]
    fn directions_parse_as_on_the_command_line() {
        assert_eq!("dst".parse(), Ok(Direction::Dst));
        assert!("both"
            .parse::<Direction>()
            .unwrap_err()
            .contains("src or dst"));
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
}
