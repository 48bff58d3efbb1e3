//! `load` and `sync`: whole lists applied per shard, in batched netlink
//! messages (`kernel::batch`), either in place or by atomic replacement.
//!
//! For every shard a list touches, a [`plan::ShardPlan`] (pure) says what to add,
//! refresh and delete, and how:
//!
//! * **in place** (small changes): adds (`-exist`), then deletes, all in one
//!   netlink send (`kernel::batch::apply_in_one_send`), which the kernel
//!   applies inside one system call: even SIGKILL leaves the shard old or
//!   new. A delta too big for one send is rebuilt instead. Ctrl-C is caught
//!   between shards.
//! * **rebuild** (large changes, an empty shard, a shard that would pass its
//!   maxelem mid-way, or `--atomic`): the new contents go into a temporary
//!   set `FAMILY-tI` sized for them, which is then `swap`ped with the shard
//!   and destroyed. The swap is atomic for that shard: a packet or a test
//!   sees the old or the new contents, never a mix. Entries kept from the old
//!   shard are copied with their remaining timeout, comment and counters.
//!
//! Rebuild is chosen when `adds + deletes ≥ elements after the change`
//! ([`plan::DEFAULT_REBUILD_RATIO`]). Measured on 1M elements
//! (`scripts/bench-threshold`, docs/BENCHMARKS.md): in place stays cheaper
//! up to a delta of about 1.3× the new size; at 1.0× a rebuild costs up to
//! ~25% more than in place would.
//!
//! `--atomic` rebuilds every changed shard first and then swaps them in one
//! right after the other: the family holds the old list until the first swap
//! and the new list after the last, mixed only during the swap sequence
//! (tens of microseconds per shard), and never empty. Swaps stop at the first
//! failure, and the error says how many shards were swapped.
//!
//! In a family with timeouts, every listed element is re-added (`-exist`),
//! so its timeout restarts, as `ipset -exist restore` would do.
//!
//! Leftover temporary sets (a SIGKILL during a rebuild) are destroyed by the
//! next load or sync of the family.
//!
//! * [`plan`] (pure): what happens to each shard;
//! * [`merge`] (pure): matching a shard's elements against the listed entries;
//! * [`read`]: reading the shards and planning, over the machine's cores;
//! * [`apply`]: changing the kernel;
//! * [`cover`]: the targets of a family that stores coverage (`--reduce`);
//! * [`covered`]: `add`, `del` and `test` of networks in such a family.

pub mod apply;
pub mod cover;
pub mod covered;
pub mod merge;
pub mod plan;
pub mod read;
