//! mipset: families of tagged kernel ipsets (shards) that behave like one set.
//!
//! Pure parts (addresses, routing, names, metadata, configuration, input,
//! rendering) are kept apart from the one module that talks to the kernel
//! ([`kernel`]); the [`family`] engine combines them, [`cli`] defines the
//! command line and [`commands`] runs it.

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
pub mod reconcile;
pub mod resize;
pub mod route;
pub mod rules;
pub mod savefile;
pub mod source;
pub mod text;
