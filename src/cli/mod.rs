//! The command line, as clap definitions only: every value is typed here
//! (enum-like flags as `ValueEnum`s, parsed once by clap); cross-flag and
//! kernel checks belong to the commands. One file per group of
//! subcommands; this file holds the top level and the fast parser.

pub mod bench;
pub mod bulk;
pub mod family;
pub mod reconcile;
pub mod rule;

use clap::{Args, Parser, Subcommand};

use self::bench::{BenchArgs, BENCH_HELP};
use self::bulk::{BulkArgs, CheckArgs, ResizeArgs, RestoreArgs};
use self::family::{AddArgs, CreateArgs, DelArgs, DestroyArgs, FamilyArg, ListArgs, TestArgs};
use self::reconcile::{ReconcileArgs, RECONCILE_HELP};
use self::rule::RuleCommand;

use crate::exit::EXIT_STATUS_HELP;
use crate::lock::Wait;

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

/// `--wait[=SECONDS]`: for ever, or at most SECONDS.
/// (A number too large for a `Duration`, negative or not finite is refused.)
fn parse_wait(text: &str) -> Result<Wait, String> {
    if text == "forever" {
        return Ok(Wait::Forever);
    }
    text.parse::<f64>()
        .ok()
        .and_then(|secs| std::time::Duration::try_from_secs_f64(secs).ok())
        .map(Wait::For)
        .ok_or_else(|| "give a number of seconds, e.g. --wait=5, or --wait=forever".into())
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

/// Options every subcommand takes. They have their own heading, so a
/// subcommand's `--help` lists its own options first.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
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
          default_missing_value = "forever", require_equals = true,
          value_parser = parse_wait)]
    pub wait: Option<Wait>,
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
Sizes: --hashsize and --maxelem are for the whole family, as for one set. Each shard
starts at 1/N of the hashsize (a power of two, at least 64; the kernel grows it) and
may hold up to --maxelem elements, so a family holds every list one set of that
maxelem holds, however unevenly the addresses spread over the shards. With the
defaults (1024, 65536) a 16-shard family has shards of hashsize 64 and maxelem 65536.

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
adds, then deletes, all in one netlink send) or, when adds + deletes reach the new
size, rebuilds it in a temporary set FAMILY-tN and swaps it in. Either way a packet
or a test sees the old or the new contents of a shard, even if mipset is killed
(SIGKILL); Ctrl-C is caught between shards. --atomic rebuilds every changed
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

    /// Print the man page (roff), or the page of one subcommand.
    #[command(after_help = "\
Without COMMAND: mipset(1), the overview with every subcommand's options. With
COMMAND: that subcommand's page, installed as mipset-COMMAND(1) (e.g. `mipset man
rule add` prints mipset-rule-add(1)). The repository ships all of them in man/.

Examples:
  mipset man | gzip > /usr/local/share/man/man1/mipset.1.gz
  mipset man create | man -l -")]
    Man(ManArgs),
}

impl Command {
    /// Whether what the command prints is its product (a listing, a dump, a
    /// report, a plan): if that cannot be written, the command failed
    /// (exit 4) although its work was done. Other commands' product is a
    /// change or an exit status; a lost summary is only reported.
    pub fn output_is_the_result(&self) -> bool {
        match self {
            Command::List(_)
            | Command::Which(_)
            | Command::Save(_)
            | Command::Metrics(_)
            | Command::Bench(_)
            | Command::Completions(_)
            | Command::Man(_)
            | Command::Rule(RuleCommand::List(_)) => true,
            Command::Load(args) | Command::Sync(args) => args.dry_run,
            _ => false,
        }
    }
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (e.g. `create`, `rule add`).
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
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
    fn wait_values() {
        assert_eq!(parse_wait("forever"), Ok(Wait::Forever));
        assert_eq!(
            parse_wait("2.5"),
            Ok(Wait::For(std::time::Duration::from_millis(2500)))
        );
        for bad in ["soon", "-1", "1e30", "inf", "NaN", ""] {
            assert!(parse_wait(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
