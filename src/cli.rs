//! The command line, as clap definitions only: no kernel access and no
//! validation beyond what clap does (that is `config`'s job).

use clap::{Args, Parser, Subcommand};

use crate::exit::EXIT_STATUS_HELP;

/// `mipset --version`: the version and the commit it was built from.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (git ",
    env!("MIPSET_GIT_HASH"),
    ")"
);

const ABOUT: &str =
    "Multi IP hash sets: a family of N tagged kernel ipsets (shards) that behaves like one set";

const LONG_ABOUT: &str = "\
Multi IP hash sets: a family of N tagged kernel ipsets (shards) that behaves like one set.

A family FAMILY is N ordinary hash:ip or hash:net sets FAMILY-s0 .. FAMILY-s{N-1}
(the shards) and a list:set FAMILY (the umbrella) whose member comments record the
family's definition. Each address is stored in the one shard its tag picks (bits of
the address, or a hash), so every add, del and test touches exactly one small set.
Everything lives in the kernel: stock `ipset list` and `ipset save` show it, and any
mipset process finds it again. No state files.";

fn after_help() -> String {
    format!(
        "\
Examples:
  mipset create web --shards 16                 # 16 hash:ip shards for IPv4
  mipset add web 192.0.2.1 192.0.2.7
  mipset test web 192.0.2.1 && echo member
  mipset list web

Environment:
  NO_COLOR               mipset never colours its output, so it is always honoured.
  MIPSET_REBUILD_RATIO   load/sync rebuild a shard when adds + deletes reach this
                         multiple of its new size (default 1.0; for measuring).

{EXIT_STATUS_HELP}"
    )
}

#[derive(Debug, Parser)]
#[command(
    name = "mipset",
    version,
    long_version = LONG_VERSION,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = after_help(),
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print results as JSON on stdout (for scripts).
    #[arg(long, global = true)]
    pub json: bool,

    /// Print nothing on stdout; the exit status still tells the result.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Wait for another mipset that is changing this node's sets: for ever,
    /// or at most SECONDS (like `iptables -w`). Without it, a held lock is
    /// an error at once (exit 5).
    #[arg(short, long, global = true, value_name = "SECONDS", num_args = 0..=1,
          default_missing_value = "forever", require_equals = true)]
    pub wait: Option<String>,
}

/// The one-shot commands scripts run most (`test`, `which`, `add`, `del`)
/// without the rest of the command tree: building clap's whole tree is a
/// large share of a one-shot process. main.rs tries this parser first and
/// falls back to [`Cli`] for anything it does not accept (help, errors,
/// other commands), so what users see is the same.
#[derive(Debug, Parser)]
#[command(name = "mipset")]
pub struct FastCli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: FastCommand,
}

#[derive(Debug, Subcommand)]
pub enum FastCommand {
    Test(TestArgs),
    Which(TestArgs),
    Add(AddArgs),
    Del(DelArgs),
}

impl From<FastCli> for Cli {
    fn from(fast: FastCli) -> Cli {
        Cli {
            global: fast.global,
            command: match fast.command {
                FastCommand::Test(a) => Command::Test(a),
                FastCommand::Which(a) => Command::Which(a),
                FastCommand::Add(a) => Command::Add(a),
                FastCommand::Del(a) => Command::Del(a),
            },
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a family: N shards and the umbrella list:set that records it.
    #[command(after_help = "\
Sizes: --hashsize and --maxelem are for the whole family, as for one set, and each
shard gets 1/N of them (hashsize rounded up to a power of two, at least 64). With the
defaults (1024, 65536) a 16-shard family has shards of hashsize 64 and maxelem 4096.
Addresses are not spread perfectly evenly, so one shard can fill before the family
holds --maxelem entries: `mipset list` shows the fullest shard.

Routing (--route): bits:S takes log2(N) bits of the address starting at bit S,
counted from the least significant bit; hash mixes the whole address (hash:ip only).
Defaults: hash:ip bits:0 (lowest bits vary most between hosts); hash:net inet bits:8
(every /24 or longer network lands in one shard); hash:net inet6 bits:64 (every /64
or longer lands in one shard). A network whose host bits overlap the tag bits is
stored in every shard it covers; `mipset which` shows where.

Examples:
  mipset create web --shards 16
  mipset create blocklist --type hash:net --shards 64 --maxelem 1000000
  mipset create pods6 --family inet6 --route hash --timeout 1h30m --comment
  mipset create web --shards 16 --exist        # no-op if an identical family exists")]
    Create(CreateArgs),

    /// Destroy a family (refuses while an iptables rule or set references it).
    #[command(after_help = "\
Examples:
  mipset destroy web
  mipset destroy --force web     # also a damaged family (a shard missing)")]
    Destroy(DestroyArgs),

    /// List families: type, address family, routing, shards, entries, memory, references.
    #[command(after_help = "\
Examples:
  mipset list                  # every family, with a table of shards each
  mipset list web --terse      # one summary line
  mipset list --json | jq '.[].entries'")]
    List(ListArgs),

    /// Remove every entry from every shard of a family (shard by shard).
    #[command(after_help = "Example:\n  mipset flush web")]
    Flush(FamilyArg),

    /// Add addresses (or networks, for hash:net) to a family.
    #[command(after_help = "\
All addresses are checked before the kernel is touched: one bad address and nothing
is added. If the kernel refuses one, the ones already added by this command are
removed again.

Examples:
  mipset add web 192.0.2.1 192.0.2.2
  mipset add blocklist 198.51.100.0/24 203.0.113.7
  mipset add web --exist --timeout 10m 192.0.2.1     # refresh the timeout
  grep -v '^#' hosts.txt | mipset add web -          # one address per line")]
    Add(AddArgs),

    /// Delete addresses from a family.
    #[command(after_help = "\
Examples:
  mipset del web 192.0.2.1
  mipset del web --exist 192.0.2.99     # no error if it is not there
  mipset del web - < retired.txt")]
    Del(DelArgs),

    /// Add every entry of a list (file or stdin) to a family, in batches.
    #[command(after_help = "\
The list: one address or network per line, with optional `timeout N` and
`comment \"text\"`; blank lines and # comments are fine. An `ipset save` dump of
one set is accepted too (to migrate an existing set). The whole list is checked
before the kernel is touched: an error names FILE:LINE and nothing changes.

Shards that change a lot (or are empty) are rebuilt in a temporary set and swapped
in atomically; small changes are applied in place. See `mipset sync --help`.

Examples:
  mipset load blocklist blocklist.txt
  ipset save oldset | mipset load web -          # migrate a stock set
  mipset load web hosts.txt --dry-run            # show the plan, change nothing")]
    Load(BulkArgs),

    /// Make a family hold exactly the entries of a list (adds and deletes).
    #[command(after_help = "\
Reads each shard once, then per shard either changes it in place (small changes:
batched adds, then deletes) or, when adds + deletes reach the new size,
rebuilds it in a temporary set FAMILY-tN and swaps it in. A swap is atomic for its
shard: a packet or a test sees the old or the new contents. In-place changes are
not atomic against SIGKILL (the shard can be left between old and new, a superset
of what stays); Ctrl-C is caught between shards. --atomic rebuilds every changed
shard first and swaps them all at the end: the family is mixed only during the
swap sequence and never empty. Leftover temporary sets are removed by the next
load or sync. In a family with timeouts every listed entry's timeout restarts.
An empty list is refused unless --allow-empty is given.

Examples:
  mipset sync pods pods.txt
  mipset sync pods pods.txt --dry-run --json
  curl -s https://example.net/drop.txt | mipset --wait=30 sync blocklist - --atomic")]
    Sync(BulkArgs),

    /// Change a family's shard count or maxelem online; answers stay correct.
    #[command(after_help = "\
Reads every element once, then: creates the new shards (growing) or rebuilds the
remaining ones (shrinking), switches the umbrella's metadata in one swap, and
finally rebuilds or destroys the rest. Routing keeps its low bits when the shard
count doubles or halves, so every membership answer stays correct throughout.
--maxelem is the family total, as at create.

Examples:
  mipset resize web --shards 32
  mipset resize web --maxelem 2000000")]
    Resize(ResizeArgs),

    /// Recreate families from a `mipset save` (or whole-node `ipset save`) dump.
    #[command(after_help = "\
Each family's definition comes from its umbrella's member comments; the family is
created and its entries loaded like `mipset load` (validated first, batched, each
shard swapped in whole). Every set in the dump must belong to a family. With
--exist, an identical existing family is merged into instead of refused.

Examples:
  mipset save web > web.ipset; mipset restore web.ipset
  ssh node1 mipset save web | mipset restore --exist -")]
    Restore(RestoreArgs),

    /// Check that a family is what its metadata says (exit 0 healthy, 1 not).
    #[command(after_help = "\
Finds umbrella members missing or out of order, missing shards, shards of the wrong
type, leftover temporary sets, elements in a shard their routing does not pick, and
networks missing from some of the shards they cover. --repair fixes all but shards
of the wrong type (they may be someone else's sets).

Exit status: 0 healthy (or, with --repair, everything found was repaired); 1
problems found; 4 --repair could not fix everything.

Examples:
  mipset check web || alert 'web needs repair'
  mipset check web --repair --json")]
    Check(CheckArgs),

    /// Print a family as an `ipset save` dump that stock `ipset restore` recreates.
    #[command(after_help = "\
The shards come first, then the umbrella with the metadata comments, so the dump
restores in order. On another node, `ipset restore` recreates a working family.

Examples:
  mipset save web > web.ipset
  mipset save web | ssh node2 ipset restore")]
    Save(FamilyArg),

    /// Test membership: exit 0 if the address is in the family, 1 if not.
    #[command(after_help = "\
Like `ipset test`: for hash:net an address matches any network holding it, and a
network must be present exactly. Exactly one shard is consulted.

Examples:
  mipset test web 192.0.2.1 && echo member
  mipset -q test web 192.0.2.1; echo $?     # 0 member, 1 not, 2/3 errors")]
    Test(TestArgs),

    /// Show which shard(s) an address or network is stored in.
    #[command(after_help = "\
Prints one shard name per line: the first is the shard a lookup consults.

Examples:
  mipset which web 192.0.2.19
  mipset which blocklist 10.1.32.0/20      # a short prefix covers several shards")]
    Which(TestArgs),

    /// Install, check, list and remove the iptables rules that match a family.
    #[command(subcommand)]
    Rule(RuleCommand),

    /// Keep families and their rules as a configuration file says (a long-running reconciler).
    #[command(after_help = RECONCILE_HELP)]
    Reconcile(ReconcileArgs),

    /// Print Prometheus metrics of families (entries and fill per shard, memory).
    #[command(after_help = "\
The reconciler writes the same metrics, plus its own (applies, last apply duration and
result, drift repairs), to its configuration's metrics_file.

Examples:
  mipset metrics
  mipset metrics web > /var/lib/node_exporter/textfile/mipset.prom")]
    Metrics(ListArgs),

    /// Measure one set against a family: lookup, insertion, deletion, policy evaluation.
    #[command(after_help = BENCH_HELP)]
    Bench(BenchArgs),

    /// Print a shell completion script.
    #[command(after_help = "Example:\n  mipset completions bash > /etc/bash_completion.d/mipset")]
    Completions(CompletionsArgs),

    /// Print the man page (roff).
    #[command(
        after_help = "Example:\n  mipset man | gzip > /usr/local/share/man/man1/mipset.1.gz"
    )]
    Man,
}

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
    #[arg(long = "type", value_name = "TYPE", default_value = "hash:ip",
          value_parser = ["hash:ip", "hash:net"])]
    pub set_type: String,

    /// Address family of the shards.
    #[arg(long = "family", value_name = "FAMILY", default_value = "inet",
          value_parser = ["inet", "inet6"])]
    pub addr_family: String,

    /// Number of shards: a power of two from 1 to 1024.
    #[arg(long, default_value_t = 16)]
    pub shards: u32,

    /// How an address picks its shard: bits:S or hash [default: bits:0 for
    /// hash:ip, bits:8 for hash:net inet, bits:64 for hash:net inet6].
    #[arg(long, value_name = "ROUTING")]
    pub route: Option<String>,

    /// Initial hash size of the whole family, divided across the shards.
    #[arg(long, default_value_t = 1024)]
    pub hashsize: u32,

    /// Maximal number of entries of the whole family, divided across the shards.
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
    #[arg(long, value_name = "nft|legacy", value_parser = ["nft", "legacy"])]
    pub backend: Option<String>,
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
pub struct ResizeArgs {
    /// Family name.
    pub family: String,

    /// New number of shards (a power of two from 1 to 1024).
    #[arg(long)]
    pub shards: Option<u32>,

    /// New maxelem of the whole family, divided across the shards.
    #[arg(long)]
    pub maxelem: Option<u32>,
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
    /// shard keeping the per-shard maxelem, so the family's capacity doubles)
    /// until the list fits, up to 1024 shards; see `mipset resize`.
    #[arg(long)]
    pub auto_grow: bool,

    /// sync: accept an empty list (and so empty the family). Without it an
    /// empty list is refused, so a failed download cannot wipe a family.
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Family name.
    pub family: String,

    /// One address, or a network for hash:net families.
    #[arg(value_name = "ADDR")]
    pub addr: String,
}

const RECONCILE_HELP: &str = "\
Each family in CONFIG is applied at start, when its list file or CONFIG changes
(inotify; parent directories are watched, so Kubernetes ConfigMap updates are seen),
and every `resync` (default 90s): created if missing, checked and repaired (as `mipset
check --repair`), synced from its list (as `mipset sync`), and its rules installed or
repaired (as `mipset rule add`). So an entry deleted with stock `ipset del` or a rule
deleted with stock `iptables -D` is back within one resync. A failed apply is retried
after 1s, 2s, 4s... (at most the resync interval). SIGTERM, SIGINT or SIGHUP stop it
cleanly: an apply in progress finishes or is undone; no temporary set is left.
stdout gets one JSON line per apply (time, family, trigger, result, adds, dels,
repairs, rules_added, rules_repaired, drift_repaired, duration_ms).

CONFIG (TOML):
  resync = \"90s\"                                  # optional
  metrics_file = \"/var/lib/node_exporter/textfile/mipset.prom\"   # optional
  backend = \"nft\"                                 # optional: nft or legacy
  [[family]]
  name = \"blocklist\"                              # as for mipset create:
  type = \"hash:net\"                               #   type, family, shards, route,
  shards = 16                                       #   hashsize, maxelem, timeout,
  maxelem = 1000000                                 #   counters, comment
  source = \"blocklist.txt\"                        # relative to CONFIG's directory
  [[family.rule]]
  table = \"raw\"                                   # as for mipset rule add: table,
  chain = \"PREROUTING\"                            #   chain, match, jump, layout,
  match = \"src\"                                   #   position, comment
  jump = \"DROP\"

Examples:
  mipset reconcile /etc/mipset/reconcile.toml
  mipset reconcile --once /etc/mipset/reconcile.toml     # apply once and exit (CI)";

const BENCH_HELP: &str = "\
Runs in a fresh private network namespace it creates (unless --in-place), so it never
touches this node's sets or rules. Entries are random addresses in 127.0.0.0/8 (IPv6:
2001:db8::/32, data only); every packet goes from 127.0.0.1 to 127.0.0.0/8 on lo.
For each size, the same entries go into one set and into a family, then:
  netlink  in-process kernel calls through mipset's backend (what mipset costs)
  exec     one process per operation, the paper's method: ipset vs mipset, and
           `iptables -C` as the paper's \"policy evaluation\" (it checks that a rule
           exists and never reads the set)
  packet   per-packet cost of the installed rule on the real packet path (raw
           PREROUTING DROP, sendmmsg sender, baseline subtracted, counters checked)
and, at the largest size, growth (hash resize stalls), atomic replace of one shard vs
the whole set, memory and capacity. From = p5, to = p95 (the paper's ranges); the
ratio's 95% bootstrap interval marks differences within noise with ~.

Examples:
  mipset bench                                     # defaults: under 2 minutes
  mipset bench --entries 1M --shards 16,64 --method packet
  mipset bench --method netlink,exec --ops 5000 --format markdown --export run.json
  mipset bench --plot latency.svg --format json > run.json";

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Set sizes, comma-separated (k = 1000, M = 1000000).
    #[arg(long, value_name = "N,N..", default_value = "1k,10k,100k")]
    pub entries: String,

    /// Shard counts of the families, comma-separated (powers of two).
    #[arg(long, value_name = "N,N..", default_value = "16")]
    pub shards: String,

    /// Set type.
    #[arg(long = "type", value_name = "TYPE", default_value = "hash:ip",
          value_parser = ["hash:ip", "hash:net"])]
    pub set_type: String,

    /// Address family (inet6 has no packet method: only ::1 is reachable).
    #[arg(long, default_value = "inet", value_parser = ["inet", "inet6"])]
    pub family: String,

    /// Routing (default: bits:0 for hash:ip, the type's default otherwise).
    #[arg(long, value_name = "bits:S|hash")]
    pub route: Option<String>,

    /// Timed operations per measurement (netlink; exec uses --exec-ops).
    #[arg(long, default_value_t = 2000)]
    pub ops: usize,

    /// Processes per operation for the exec method (each takes ~1 ms).
    #[arg(long, default_value_t = 100)]
    pub exec_ops: usize,

    /// Stop each measurement after this long even if --ops are not done.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,

    /// Untimed operations first (exec: at most 5).
    #[arg(long, default_value_t = 200)]
    pub warmup: usize,

    /// Methods, comma-separated: netlink, exec, packet, or all.
    #[arg(long, default_value = "all")]
    pub method: String,

    /// Rule layout for the packet method (and the exec policy check).
    #[arg(long, default_value = "dispatch",
          value_parser = ["dispatch", "twolevel", "tree", "linear", "umbrella"])]
    pub layout: String,

    /// Packets per timed packet-path run.
    #[arg(long, default_value_t = 20000)]
    pub packets: usize,

    /// Rounds of the packet method.
    #[arg(long, default_value_t = 7)]
    pub rounds: usize,

    /// Skip the growth/replace/memory measurements.
    #[arg(long)]
    pub no_scale: bool,

    /// Seed of the generated addresses.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Output on stdout.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "markdown"])]
    pub format: String,

    /// Also write the report to FILE, as JSON, CSV or Markdown by its extension
    /// (.json, .csv, .md).
    #[arg(long, value_name = "FILE")]
    pub export: Option<std::path::PathBuf>,

    /// Write an SVG plot of the latency distributions, single vs multi.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<std::path::PathBuf>,

    /// Run in this network namespace instead of a private one (creates and
    /// removes sets and rules named mb*; refuses if they exist).
    #[arg(long)]
    pub in_place: bool,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The configuration file (TOML).
    pub config: std::path::PathBuf,

    /// Apply every family once and exit (exit 4 if an apply failed).
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate for.
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The small parser main.rs tries first must read every command line
    /// it accepts exactly as the full one does.
    #[test]
    fn the_fast_parser_agrees_with_the_full_one() {
        for line in [
            "mipset test web 192.0.2.1",
            "mipset -q test web 192.0.2.1",
            "mipset test --json web 2001:db8::1",
            "mipset --wait=3 add web 192.0.2.1 192.0.2.2 --exist --timeout 10m",
            "mipset add web - --comment x",
            "mipset -w del web 192.0.2.1 --exist",
            "mipset which blocklist 10.1.32.0/20",
        ] {
            let argv: Vec<&str> = line.split(' ').collect();
            let fast = Cli::from(FastCli::try_parse_from(&argv).unwrap());
            let full = Cli::try_parse_from(&argv).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{line}");
        }
        // What the fast parser refuses, the full one explains.
        for line in [
            "mipset test",
            "mipset test --help",
            "mipset add web --bogus",
        ] {
            let argv: Vec<&str> = line.split(' ').collect();
            assert!(FastCli::try_parse_from(&argv).is_err(), "{line}");
        }
    }

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}

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
            per packet). The only layout for hash routing.
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
    #[arg(long = "match", value_name = "src|dst", value_parser = ["src", "dst"])]
    pub direction: Option<String>,

    /// What to do with a matching packet: ACCEPT, DROP, REJECT, a chain of yours...
    /// (RETURN only with --layout umbrella: in a dispatch chain it would
    /// return from mipset's chain, not yours).
    #[arg(long, short = 'j')]
    pub jump: Option<String>,

    /// The table of the chain.
    #[arg(long, short = 't', default_value = "filter",
          value_parser = ["filter", "raw", "mangle", "nat", "security"])]
    pub table: String,

    /// Rule layout (see `mipset rule --help`); default: dispatch.
    #[arg(long, value_parser = ["dispatch", "twolevel", "tree", "linear", "umbrella"])]
    pub layout: Option<String>,

    /// iptables backend (default: detected).
    #[arg(long, value_name = "nft|legacy", value_parser = ["nft", "legacy"])]
    pub backend: Option<String>,
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
    #[arg(long, value_name = "nft|legacy", value_parser = ["nft", "legacy"])]
    pub backend: Option<String>,
}
