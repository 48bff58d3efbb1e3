//! mipset: families of tagged kernel ipsets (shards) that behave like one set.
//!
//! Four layers, each importing only the ones below it (ARCHITECTURE.md maps
//! them; `tests/architecture.rs` checks them): the command layer ([`cli`],
//! [`commands`]), engines ([`family`], [`bulk`], [`check`], [`resize`],
//! [`rules`], [`bench`], [`reconcile`]), system boundaries ([`kernel`], the
//! only code that talks to ipset; [`lock`], [`interrupt`], [`source`],
//! [`packet`], [`output`]'s sink) and a pure domain (addresses, routing,
//! names, metadata, list parsing, planners, renderers).

pub mod addr;
pub mod bench;
pub mod bulk;
pub mod check;
pub mod cli;
pub mod commands;
pub mod error;
pub mod exit;
pub mod family;
pub mod input;
pub mod interrupt;
pub mod kernel;
pub mod listfile;
pub mod listing;
pub mod lock;
pub mod meta;
pub mod naming;
pub mod options;
pub mod output;
pub mod packet;
pub mod prefix;
pub mod reconcile;
pub mod records;
pub mod reroute;
pub mod resize;
pub mod route;
pub mod rules;
pub mod savefile;
pub mod source;
pub mod text;
