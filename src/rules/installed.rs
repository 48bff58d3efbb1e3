//! What mipset finds installed (pure data): the iptables backend a rule
//! lives in, a mipset rule with its counters and state, and what an add
//! did.

use std::str::FromStr;

use serde::Serialize;

use super::spec::RuleSpec;
use crate::addr::quoted;

/// The two iptables backends a host can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    // iptables-nft: rules live in nf_tables (also named as iptables -V
    // names it).
    #[value(alias = "nf_tables")]
    Nft,
    // iptables-legacy: rules live in the x_tables tables.
    Legacy,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Nft => "nft",
            BackendKind::Legacy => "legacy",
        }
    }

    /// The name iptables itself uses (`iptables -V`).
    pub fn kernel_name(self) -> &'static str {
        match self {
            BackendKind::Nft => "nf_tables",
            BackendKind::Legacy => "legacy",
        }
    }
}

/// The same spellings as the command line (one table: the `ValueEnum`).
impl FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <BackendKind as clap::ValueEnum>::from_str(s, false)
            .map_err(|_| format!("iptables backend {}: must be nft or legacy", quoted(s)))
    }
}

/// A mipset rule found in the kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Installed {
    #[serde(flatten)]
    pub spec: RuleSpec,
    /// 1-based position in its chain (as `iptables -L --line-numbers`).
    pub position: usize,
    /// Packets that reached the rule.
    pub packets: u64,
    /// Packets (and bytes) that matched the family: the rule's own
    /// counters for `umbrella`, the sum over the shard rules otherwise.
    pub matched_packets: u64,
    pub matched_bytes: u64,
    /// Dispatch chains found for it.
    pub chains: Vec<String>,
    /// `ok`, or what is wrong (stale after a resize, damaged by hand,
    /// family gone, orphaned chains, foreign).
    pub state: String,
    /// The iptables backend it lives in.
    pub backend: BackendKind,
    /// Dispatch chains no rule jumps to any more (the user's rule was
    /// removed by hand); `spec.chain` is empty.
    pub orphan: bool,
    /// A rule that carries a mipset comment but whose target is not what
    /// mipset plans for it: someone else's, reported and never changed.
    pub foreign: bool,
    #[serde(skip)]
    pub(crate) args: String,
}

impl Installed {
    pub fn is_ok(&self) -> bool {
        self.state == "ok"
    }

    /// Whether mipset may change or remove it (not a foreign rule).
    pub fn is_ours(&self) -> bool {
        !self.foreign
    }
}

/// What `add` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Repaired,
    Unchanged,
    /// The rule of the same identity (table, chain, family, match, jump)
    /// had this other layout: it was replaced, in the same place.
    Replaced(super::spec::Layout),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_parse_as_on_the_command_line() {
        assert_eq!("nf_tables".parse(), Ok(BackendKind::Nft));
        assert_eq!("legacy".parse(), Ok(BackendKind::Legacy));
        assert!("ebpf".parse::<BackendKind>().is_err());
    }
}
