//! mipset: families of tagged kernel ipsets (shards) that behave like one set.
//!
//! Pure parts (addresses, routing, names, metadata, configuration, input,
//! rendering) are kept apart from the one module that talks to the kernel
//! ([`kernel`]); the [`family`] engine combines them, [`cli`] defines the
//! command line and [`commands`] runs it.

pub mod addr;
pub mod bench;
pub mod bench_command;
pub mod bulk;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod exit;
pub mod family;
pub mod input;
pub mod interrupt;
pub mod kernel;
pub mod listfile;
pub mod lock;
pub mod meta;
pub mod metrics;
pub mod naming;
pub mod output;
pub mod packet;
pub mod reconcile;
pub mod resize;
pub mod restore;
pub mod route;
pub mod rule_commands;
pub mod rules;
