//! `mipset reconcile CONFIG`: keep families and their rules as a
//! configuration file says, for a DaemonSet or a systemd service.
//!
//! Each family is applied (created if missing, synced from its list file,
//! checked and repaired, its rules installed or repaired) at start, when
//! its list file or the configuration changes (inotify, through the
//! `notify` crate; the parent directories are watched, so ConfigMap
//! updates, which swap a symlink, are seen), and every `resync` interval
//! (default 90 s, like Calico). A failed apply is retried with backoff
//! (1 s doubling, at most the resync interval). SIGTERM, SIGINT or SIGHUP
//! end it cleanly: an apply in progress finishes or is undone, and no
//! temporary set is left. One JSON line per apply goes to stdout.
//!
//! * [`config`] (pure): the configuration file, checked and resolved;
//! * [`apply`]: one apply of one family;
//! * [`run`]: the loop, file watching, JSON lines and metrics.

pub mod apply;
pub mod config;
pub mod run;
