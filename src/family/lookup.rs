//! Membership: `mipset test` asks exactly the one shard an address routes
//! to, as one set would be asked.

use crate::addr::Entry;
use crate::error::Result;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::route;

/// Membership, asking exactly one shard (a network of a family that
/// stores coverage is asked by `bulk::covered::test`).
pub fn test(kernel: &mut Kernel, spec: &FamilySpec, entry: &Entry) -> Result<bool> {
    let shard = route::lookup_shard(entry, spec.shards, spec.routing);
    kernel.test(&spec.shard_name(shard), spec.set_type, entry)
}
