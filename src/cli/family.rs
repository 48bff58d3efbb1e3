//! Arguments of the single-family commands: create, destroy, list, flush,
//! add, del, test, which (and metrics, save).

use clap::Args;

use crate::addr::{AddrFamily, SetType};
use crate::options::FamilyOptions;
use crate::rules::installed::BackendKind;

#[derive(Debug, Args)]
pub struct FamilyArg {
    /// Family name (at most 25 characters of [A-Za-z0-9_.-]).
    pub family: String,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Family name (at most 25 characters of [A-Za-z0-9_.-]).
    pub family: String,

    /// Kernel set type of the shards.
    #[arg(long = "type", value_name = "TYPE", default_value = "hash:ip")]
    pub set_type: SetType,

    /// Address family of the shards.
    #[arg(long = "family", value_name = "FAMILY", default_value = "inet")]
    pub addr_family: AddrFamily,

    /// Number of shards: a power of two from 1 to 1024.
    #[arg(long, default_value_t = 16)]
    pub shards: u32,

    /// How an address picks its shard: bits:S, hash (hash:ip) or auto (hash:net:
    /// chosen from the list that first fills the family) [default: bits:0 for
    /// hash:ip, auto for hash:net].
    #[arg(long, value_name = "ROUTING")]
    pub route: Option<String>,

    /// Initial hash size of the whole family, divided across the shards.
    #[arg(long, default_value_t = 1024)]
    pub hashsize: u32,

    /// Maximal number of entries of the family, as for one set; every shard may hold
    /// up to it, so a skewed list never fills one shard early.
    #[arg(long, default_value_t = 65536)]
    pub maxelem: u32,

    /// Default entry timeout, e.g. 600, 10m or 1h30m (enables per-entry timeouts; 0 = permanent).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Keep packet and byte counters per entry.
    #[arg(long)]
    pub counters: bool,

    /// Allow a comment per entry.
    #[arg(long)]
    pub comment: bool,

    /// hash:net: store the entries' addresses in fewer prefix lengths, so each
    /// packet costs fewer hash probes: off, auto, or PERCENT (how much the
    /// element count may grow, as `iprange --ipset-reduce`). See below.
    #[arg(long, value_name = "off|auto|PERCENT")]
    pub reduce: Option<String>,

    /// Succeed without change if an identical family exists.
    #[arg(long)]
    pub exist: bool,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Family name.
    pub family: String,

    /// Also destroy a damaged family (valid metadata, shards missing or out
    /// of order). Never touches sets in use or sets without mipset metadata.
    #[arg(long)]
    pub force: bool,

    /// Remove mipset's own iptables rules for the family first (see
    /// `mipset rule list`); rules of others still make destroy refuse.
    #[arg(long)]
    pub rules: bool,

    /// iptables backend for --rules (default: detected, see `mipset rule --help`).
    #[arg(long, value_name = "nft|legacy")]
    pub backend: Option<BackendKind>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Family name; all families if omitted.
    pub family: Option<String>,

    /// One summary line per family, without the table of shards.
    #[arg(short, long)]
    pub terse: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Family name.
    pub family: String,

    /// Addresses or networks; `-` reads one per line from stdin (`#` starts a comment).
    #[arg(required = true, value_name = "ADDR")]
    pub addrs: Vec<String>,

    /// Do not fail on entries that are already there (and refresh their timeout/comment).
    #[arg(long)]
    pub exist: bool,

    /// Timeout of these entries, e.g. 600, 10m, 1h30m (family created with --timeout).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Comment for these entries (family created with --comment).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct DelArgs {
    /// Family name.
    pub family: String,

    /// Addresses or networks; `-` reads one per line from stdin.
    #[arg(required = true, value_name = "ADDR")]
    pub addrs: Vec<String>,

    /// Do not fail on entries that are not there.
    #[arg(long)]
    pub exist: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Family name.
    pub family: String,

    /// One address, or a network for hash:net families.
    #[arg(value_name = "ADDR")]
    pub addr: String,
}

impl CreateArgs {
    /// The family these arguments ask for (checked by
    /// [`crate::options::family_spec`]).
    pub fn options(&self) -> FamilyOptions {
        FamilyOptions {
            name: self.family.clone(),
            set_type: self.set_type,
            family: self.addr_family,
            shards: self.shards,
            route: self.route.clone(),
            hashsize: self.hashsize,
            maxelem: self.maxelem,
            timeout: self.timeout.clone(),
            counters: self.counters,
            comment: self.comment,
            reduce: self.reduce.clone(),
        }
    }
}
