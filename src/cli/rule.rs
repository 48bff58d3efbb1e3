//! Arguments of `mipset rule add|del|check|list`.

use clap::{Args, Subcommand};

use crate::rules::installed::BackendKind;
use crate::rules::spec::{Direction, LayoutChoice, TABLES};

const RULE_HELP: &str = "\
Layouts (--layout), by measured cost per packet (docs/BENCHMARKS.md):
  dispatch  the default: twolevel, the cheapest dispatch layout measured at 16 and
            64 shards (one layout whatever the shard count, so a resize keeps it)
  twolevel  the rule jumps to a chain with one goto per group of the high tag bits;
            each group's chain has one rule per shard (`-d 0.0.0.K/0.0.0.3 -m set
            --match-set FAMILY-sK dst`): about 2*sqrt(N) header matches, one goto
            and one set lookup per packet
  tree      a binary tree of chains, one tag bit per level: log2(N) header matches
            but log2(N) gotos, which cost more than header matches
  linear    one chain with one rule per shard: up to N header matches per packet;
            cheapest for hits at 16 shards or fewer
  umbrella  one rule on the umbrella list:set: the kernel probes the shards one by
            one, so a miss costs N set lookups (16 shards, 1M entries: about 5 us
            per packet). The only layout for hash routing, and only when
            asked for by name (rule add, reconcile and bench alike).
Dispatch layouts need bits:S routing. Chains are named mipset-HHHHHHHH[-I] and every
rule mipset puts in your chain carries the comment `mipset family=F match=D jump=T
layout=L`, so mipset lists and removes only its own rules. Each change is one
atomic iptables-restore --noflush transaction with a bounded lock wait (-w 5).

Backend: the iptables backend (nf_tables or legacy) is detected as kube-proxy does:
the one with the kubelet's KUBE-IPTABLES-HINT chain, else the one with more rules,
else what plain `iptables` is. --backend or MIPSET_IPTABLES_BACKEND=nft|legacy
overrides. IPv6 families use ip6tables.";

#[derive(Debug, Subcommand)]
#[command(after_help = RULE_HELP)]
pub enum RuleCommand {
    /// Install a rule that matches the family (idempotent; repairs a stale one).
    #[command(after_help = "\
Re-running the same command changes nothing. After `mipset resize`, dispatch chains
are rewritten by resize itself; `rule add` also repairs chains damaged by hand.
There is one mipset rule per table, chain, family, match and jump: with another
--layout, `rule add` replaces the installed rule in its place (and removes its
dispatch chains) in one transaction.

Examples:
  mipset rule add web --chain INPUT --match src --jump ACCEPT
  mipset rule add blocklist --chain PREROUTING --table raw --match src --jump DROP --position 1
  mipset rule add pods6 --chain FORWARD --match dst --jump ACCEPT --layout umbrella")]
    Add(RuleAddArgs),

    /// Remove mipset's rule(s) for a family and their dispatch chains.
    #[command(after_help = "\
Without --layout, a rule of any layout that matches the rest is removed. Exit 1 if
there was no such rule.

Examples:
  mipset rule del web --chain INPUT --match src --jump ACCEPT
  mipset rule del web --all")]
    Del(RuleDelArgs),

    /// Exit 0 if the rule is installed and intact, 1 if absent, stale or damaged.
    #[command(after_help = "\
Example:
  mipset rule check web --chain INPUT --match src --jump ACCEPT || echo missing")]
    Check(RuleArgs),

    /// List mipset's rules (all, or one family's) with counters and state.
    #[command(after_help = "\
PACKETS counts packets that reached the rule, MATCHED those that matched the family.

Examples:
  mipset rule list
  mipset rule list web --json")]
    List(RuleListArgs),
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Family name.
    pub family: String,

    /// The chain the rule goes in (INPUT, FORWARD, PREROUTING, a chain of yours).
    #[arg(long)]
    pub chain: Option<String>,

    /// Which packet address is looked up in the family.
    #[arg(long = "match", value_name = "src|dst")]
    pub direction: Option<Direction>,

    /// What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours...
    /// (RETURN only with --layout umbrella: in a dispatch chain it would
    /// return from mipset's chain, not yours).
    #[arg(long, short = 'j')]
    pub jump: Option<String>,

    /// The table of the chain.
    #[arg(long, short = 't', default_value = "filter",
          value_parser = clap::builder::PossibleValuesParser::new(TABLES))]
    pub table: String,

    /// Rule layout (see `mipset rule --help`); default: dispatch, which a
    /// hash-routed family cannot use (give --layout umbrella). Without it,
    /// del and check match a rule of any layout.
    #[arg(long)]
    pub layout: Option<LayoutChoice>,

    /// iptables backend (default: detected).
    #[arg(long, value_name = "nft|legacy")]
    pub backend: Option<BackendKind>,
}

#[derive(Debug, Args)]
pub struct RuleAddArgs {
    #[command(flatten)]
    pub rule: RuleArgs,

    /// Insert at this position in the chain (1 = first), like `iptables -I
    /// CHAIN N`; default: append. An existing rule stays where it is.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub position: Option<u32>,

    /// Your own comment, kept after mipset's marker (printable ASCII, no quotes).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct RuleDelArgs {
    #[command(flatten)]
    pub rule: RuleArgs,

    /// Remove every mipset rule of the family (in every table and chain).
    #[arg(long, conflicts_with_all = ["chain", "direction", "jump", "layout"])]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct RuleListArgs {
    /// Family name; every family's rules if omitted.
    pub family: Option<String>,

    /// iptables backend (default: detected).
    #[arg(long, value_name = "nft|legacy")]
    pub backend: Option<BackendKind>,
}
