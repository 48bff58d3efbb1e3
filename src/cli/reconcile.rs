//! Arguments of `mipset reconcile`, and its configuration file's help.

use clap::Args;

pub(crate) const RECONCILE_HELP: &str = "\
Each family in CONFIG is applied at start, when its list file or CONFIG changes
(inotify; parent directories are watched, so Kubernetes ConfigMap updates are seen),
and every `resync` (default 90s): created if missing, checked and repaired (as `mipset
check --repair`), synced from its list (as `mipset sync`), and its rules installed or
repaired (as `mipset rule add`). So an entry deleted with stock `ipset del` or a rule
deleted with stock `iptables -D` is back within one resync. A failed apply is retried
after 1s, 2s, 4s... (at most the resync interval). SIGTERM, SIGINT or SIGHUP stop it
cleanly: an apply in progress finishes or is undone; no temporary set is left.
stdout gets one JSON line per apply (time, family, trigger, result, adds, dels,
repairs, rules_added, rules_repaired, drift_repaired, duration_ms), flushed at once.

A source must be a regular file of at most 256 MiB (the configuration: 1 MiB) and
must resolve, symlinks followed, to a file under CONFIG's directory unless its family
sets allow_outside = true (checked each time it is read). Errors quote at most 64
bytes of what was read. metrics_file is written through a new temporary beside it;
a directory writable by group or others without the sticky bit is refused.

CONFIG (TOML):
  resync = \"90s\"                                  # optional
  metrics_file = \"/var/lib/node_exporter/textfile/mipset.prom\"   # optional
  backend = \"nft\"                                 # optional: nft or legacy
  [[family]]
  name = \"blocklist\"                              # as for mipset create:
  type = \"hash:net\"                               #   type, family, shards, route,
  shards = 16                                     #   hashsize, maxelem, timeout,
  maxelem = 1000000                               #   counters, comment
  source = \"blocklist.txt\"                        # relative to CONFIG's directory
  allow_outside = false                           # source must resolve under it
  [[family.rule]]
  table = \"raw\"                                   # as for mipset rule add: table,
  chain = \"PREROUTING\"                            #   chain, match, jump, layout,
  match = \"src\"                                   #   position, comment
  jump = \"DROP\"                                   #   (route = \"hash\" needs
                                                  #   layout = \"umbrella\")

Examples:
  mipset reconcile /etc/mipset/reconcile.toml
  mipset reconcile --once /etc/mipset/reconcile.toml     # apply once and exit (CI)";

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The configuration file (TOML).
    pub config: std::path::PathBuf,

    /// Apply every family once and exit (exit 4 if an apply failed).
    #[arg(long)]
    pub once: bool,
}
