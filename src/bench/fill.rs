//! Filling the benchmark's sets in batched netlink messages.

use crate::addr::{AddrFamily, Entry};
use crate::error::Result;
use crate::kernel::batch;
use crate::meta::FamilySpec;
use crate::route;

/// Add `entries` to set `set` in batched netlink messages.
pub fn fill(set: &str, af: AddrFamily, entries: &[Entry]) -> Result<()> {
    batch::apply(
        batch::Op::Add,
        set,
        af,
        false,
        entries.iter().map(|e| batch::Element::plain(*e)),
    )
    .map(|_| ())
}

/// Add host `entries` to the family, each in the shard its routing picks.
pub fn fill_family(spec: &FamilySpec, entries: &[Entry]) -> Result<()> {
    let mut per: Vec<Vec<Entry>> = vec![Vec::new(); spec.shards as usize];
    for e in entries {
        per[route::lookup_shard(e, spec.shards, spec.routing) as usize].push(*e);
    }
    for (i, part) in per.iter().enumerate() {
        fill(&spec.shard_name(i as u32), spec.family, part)?;
    }
    Ok(())
}
