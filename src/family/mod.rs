//! The family engine: a family of shards behaving like one set.
//!
//! * [`discover`] (pure) reads a definition from an umbrella listing, and
//!   [`status`] (pure) a family's state from a header listing;
//! * [`open`] finds families in the kernel; [`leftovers`] records, and
//!   cleans, what an operation in progress made;
//! * [`lookup`] answers membership; [`create`], [`add`], [`remove`] and
//!   [`destroy`] change families, through [`crate::kernel::Kernel`];
//!   [`change`] (pure) counts what an add or del changed.
//!
//! Invariants kept here:
//! * input is validated before the kernel is touched;
//! * a failed add/del is rolled back, so the family is as before (or, if even
//!   the rollback fails, the error says exactly what was left: exit 4);
//! * a family is only ever touched when its umbrella carries valid metadata.
//!
//! Not atomic across shards: `flush` and `destroy` go shard by shard.

pub mod add;
pub mod change;
pub mod create;
pub mod destroy;
pub mod discover;
pub mod leftovers;
pub mod lookup;
pub mod open;
pub mod remove;
pub mod status;
