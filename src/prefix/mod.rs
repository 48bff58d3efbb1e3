//! Prefix reduction for `bits:S` hash:net families (pure, domain layer):
//! storing a list's address coverage with fewer distinct prefix lengths per
//! shard, since the kernel's hash:net lookup probes once per prefix length
//! present in a set. Membership stays exact: the family holds exactly the
//! list's addresses. The idea is controlled prefix expansion (Srinivasan and
//! Varghese, 1999).
//!
//! * [`ranges`]: address sets as merged intervals, the [`ranges::Cidr`]
//!   block, set operations and the minimal CIDR cover;
//! * [`levels`]: which prefix lengths to expand to (exact dynamic program),
//!   the [`levels::Reduce`] policy, and the expansion itself;
//! * [`geometry`]: tags, projection of a shard's space without its tag bits,
//!   lifting back, and what each shard covers;
//! * [`target`]: what each shard stores (common and own pieces, the level
//!   choice, per shard or across shards);
//! * [`cover`]: the family's addresses as one minimal real CIDR cover;
//! * [`shift`]: choosing the routing shift S for a list.

pub mod cover;
pub mod geometry;
pub mod levels;
pub mod ranges;
pub mod shift;
pub mod target;
