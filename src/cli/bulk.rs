//! Arguments of the whole-family commands: load, sync, resize, restore,
//! check.

use clap::Args;

#[derive(Debug, Args)]
pub struct ResizeArgs {
    /// Family name.
    pub family: String,

    /// New number of shards (a power of two from 1 to 1024).
    #[arg(long)]
    pub shards: Option<u32>,

    /// New maxelem of the family (every shard may hold up to it, as in `create`).
    #[arg(long)]
    pub maxelem: Option<u32>,

    /// Re-route online to bits:S, or auto (hash:net: the bits that spread
    /// what the family holds best); not together with --shards.
    #[arg(long, value_name = "bits:S|auto")]
    pub route: Option<String>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The dump: a file, or `-` (the default) for stdin.
    #[arg(default_value = "-", value_name = "FILE")]
    pub file: String,

    /// Merge into identical families that exist already.
    #[arg(long)]
    pub exist: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Family name.
    pub family: String,

    /// Fix what was found.
    #[arg(long)]
    pub repair: bool,
}

#[derive(Debug, Args)]
pub struct BulkArgs {
    /// Family name.
    pub family: String,

    /// The list: a file, or `-` (the default) for stdin.
    #[arg(default_value = "-", value_name = "FILE")]
    pub file: String,

    /// Print the plan (adds, deletes, rebuilds per shard) and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Rebuild every changed shard, then swap them all in at the end.
    #[arg(long)]
    pub atomic: bool,

    /// When a shard would pass its maxelem, double the shard count (each new
    /// shard keeping the maxelem) until the list fits, up to 1024 shards; see
    /// `mipset resize`. Rarely needed: every shard may hold the family's
    /// maxelem, so only a list larger than it fills a shard.
    #[arg(long)]
    pub auto_grow: bool,

    /// sync: accept an empty list (and so empty the family). Without it an
    /// empty list is refused, so a failed download cannot wipe a family.
    #[arg(long)]
    pub allow_empty: bool,
}
