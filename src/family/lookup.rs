//! Membership: `mipset test` asks exactly the one shard an address routes
//! to, as one set would be asked.

use crate::addr::Entry;
use crate::error::Result;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::route;

/// Membership, asking exactly one shard. In a family that stores coverage
/// (`--reduce`), a network is a member when every address of it is.
pub fn test(kernel: &mut Kernel, spec: &FamilySpec, entry: &Entry) -> Result<bool> {
    if !entry.is_host() && crate::bulk::cover::is_covering(spec) {
        return super::covered::test(spec, entry);
    }
    let shard = route::lookup_shard(entry, spec.shards, spec.routing);
    kernel.test(&spec.shard_name(shard), spec.set_type, entry)
}
