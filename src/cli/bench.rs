//! Arguments of `mipset bench`.

use clap::Args;

use crate::addr::{AddrFamily, SetType};
use crate::bench::report::{Format, Method};
use crate::rules::spec::LayoutChoice;

pub(crate) const BENCH_HELP: &str = "\
Runs in a fresh private network namespace it creates (unless --in-place), so it never
touches this node's sets or rules. Entries are random addresses in 127.0.0.0/8 (IPv6:
2001:db8::/32, data only); every packet goes from 127.0.0.1 to 127.0.0.0/8 on lo.
For each size, the same entries go into one set and into a family, then:
  netlink  in-process kernel calls through mipset's backend (what mipset costs)
  exec     one process per operation, the paper's method, on three sides: ipset on
           one set, mipset on a family of 1 shard (what the tool costs) and mipset
           on the family (what sharding costs); `iptables -C` as the paper's
           \"policy evaluation\" (it checks that a rule exists and never reads the set)
  packet   per-packet cost of the installed rule on the real packet path (raw
           PREROUTING DROP, sendmmsg sender, baseline subtracted, counters checked)
and, at the largest size, growth (hash resize stalls), atomic replace of one shard vs
the whole set, memory and capacity. From = p5, to = p95 (the paper's ranges, in the tables
with --wide only: the default tables fit 100 columns); the ratio's 95% bootstrap interval
marks differences within noise with ~.

With --list FILE, the user's own list (addresses and CIDRs, one a line, # comments;
checked first: a bad line is FILE:LINE, exit 2, nothing created) is held three ways:
  stock    one stock set, default options (maxelem raised to fit), `ipset restore`, timed
  iprange  one stock set of `iprange --ipset-reduce 20` (and 100) of the list (IPv4
           hash:net; skipped with a note when iprange is not installed)
  family   the family `mipset create` (--shards, --route) + `mipset load` make, timed
and each row reports kernel elements, memory, distinct prefix lengths, load time,
in-process lookups inside and outside the list, and the packet path. The list's
addresses are data only: packets still go to 127.0.0.0/8. A hash:net miss probes every
prefix length the set holds wherever the address is, so packet misses (to 127/8
addresses the list does not cover) measure the miss cost exactly; packet hits need
list entries inside 127.0.0.0/8, else hits are measured in process only (a note says so).

Examples:
  mipset bench                                     # defaults: under 2 minutes
  mipset bench --list blocklist.txt --shards 16    # your list: stock, iprange, family
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

    /// Set type [default: hash:ip; hash:net with --list].
    #[arg(long = "type", value_name = "TYPE")]
    pub set_type: Option<SetType>,

    /// Measure on this list (addresses/CIDRs, one a line) instead of random
    /// addresses: a stock set, iprange-reduced sets and a family.
    #[arg(long, value_name = "FILE")]
    pub list: Option<std::path::PathBuf>,

    /// Address family (inet6 has no packet method: only ::1 is reachable).
    #[arg(long, default_value = "inet")]
    pub family: AddrFamily,

    /// Routing (default: bits:0 for hash:ip, the type's default otherwise;
    /// with --list as `mipset create`: auto for hash:net).
    #[arg(long, value_name = "bits:S|hash")]
    pub route: Option<String>,

    /// With --list: the family's --reduce (off, auto or PERCENT) [default:
    /// auto for hash:net].
    #[arg(long, value_name = "off|auto|PERCENT")]
    pub reduce: Option<String>,

    /// Timed operations per measurement (netlink; exec uses --exec-ops).
    #[arg(long, default_value_t = 2000)]
    pub ops: usize,

    /// Processes per operation and side for the exec method (each takes ~1 ms).
    #[arg(long, default_value_t = 100)]
    pub exec_ops: usize,

    /// Stop each measurement after this long even if --ops are not done.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,

    /// Untimed operations first (exec: at most 5).
    #[arg(long, default_value_t = 200)]
    pub warmup: usize,

    /// Methods, comma-separated: netlink, exec, packet, or all.
    #[arg(
        long,
        default_value = "all",
        value_delimiter = ',',
        hide_possible_values = true
    )]
    pub method: Vec<Method>,

    /// Rule layout for the packet method (and the exec policy check); a
    /// hash-routed family (--route hash) needs --layout umbrella.
    #[arg(long, default_value = "dispatch")]
    pub layout: LayoutChoice,

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
    #[arg(long, default_value = "table")]
    pub format: Format,

    /// Tables with every column (each side's from/to, p99.9), wider than
    /// 100 columns; the default table leaves them out (JSON, CSV and
    /// Markdown always hold everything).
    #[arg(long)]
    pub wide: bool,

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
