//! `mipset bench`: single set versus family, measured on this machine.
//! Everything here expects to run inside a network namespace its caller
//! created (or chose, with `--in-place`).
//!
//! * [`ops`]: lookup, insertion and deletion, in process (`netlink`) and
//!   one process per operation (`exec`, the paper's method);
//! * [`packet_path`]: policy evaluation on the real packet path;
//! * [`scale`]: what changes at scale (resize stalls while growing,
//!   replacing a shard versus a whole set, memory, capacity), reported by
//!   [`scale_report`] (pure);
//! * [`report`] (pure): the result, its renderings and verdicts;
//!   [`columns`] (pure): the terminal tables (units in headers, default
//!   width within 100 columns, `--wide` for every column);
//!   [`exec_report`] (pure): the exec method's middle side, `mipset` on a
//!   family of one shard, which splits the tool's cost from sharding's;
//!   [`stats`] (pure): summaries and ratios; [`plot`]: the SVG plot;
//!   [`machine`]: where it ran; [`workload`] (pure): the addresses measured;
//! * [`list`]: `--list FILE`, the user's own list held three ways (stock
//!   set, iprange-reduced sets, family), its packet path in
//!   [`list_packet`], its report in [`list_report`] (pure);
//! * [`run`]: the whole measurement, from sets to report; [`fill`]: loading
//!   its sets; [`setup`]: its private namespace, or the cleanup of its
//!   sets with `--in-place`.

pub mod columns;
pub mod exec_report;
pub mod fill;
pub mod list;
pub mod list_packet;
pub mod list_report;
pub mod machine;
pub mod ops;
pub mod packet_path;
pub mod plot;
pub mod report;
pub mod run;
pub mod scale;
pub mod scale_report;
pub mod setup;
pub mod stats;
pub mod workload;
