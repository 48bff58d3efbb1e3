//! `add`, `del` and `test` of networks in a family that stores coverage
//! (`--reduce`): membership is about addresses, not stored pieces.
//!
//! * `test ADDR` is membership (one shard, as for any family);
//! * `test NET` is "every address of NET is in the family";
//! * `add NET` makes every address of NET a member (already all members:
//!   "already in family"); `del NET` makes none of them a member, splitting
//!   stored pieces (none a member: "not in family").
//!
//! A change reads every shard, gives the ones it touches their new
//! coverage, reduces them all again by the family's policy (what every
//! shard covers may be stored in pieces that leave the tag bits free) and
//! writes each shard that differs as one sync of that shard (in place in
//! one send, or rebuilt and swapped: old or new, never a mix).

use std::collections::BTreeMap;

use super::cover;
use super::read::Shard;
use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};
use crate::family::change::{dedup, Change};
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::prefix::geometry::{project, Geometry};
use crate::prefix::ranges::{Cidr, Ranges};

/// The shards a network touches and its piece of each shard's space.
fn pieces(g: &Geometry, entry: &Entry) -> (std::ops::Range<u32>, Ranges) {
    let (shards, projected) = project(g, Cidr::from_entry(entry));
    (shards, Ranges::from_cidrs(g.projected_width(), [projected]))
}

/// Shards `indices` as read, with what each covers.
fn read(
    g: &Geometry,
    spec: &FamilySpec,
    indices: impl IntoIterator<Item = u32>,
) -> Result<BTreeMap<u32, (Shard, Ranges)>> {
    let shards = cover::shards(spec, Default::default(), indices)?;
    shards
        .into_iter()
        .map(|(t, shard)| {
            let covered = cover::coverage(g, spec, t, &shard)?;
            Ok((t, (shard, covered)))
        })
        .collect()
}

/// Is every address of `entry` in the family?
pub fn test(spec: &FamilySpec, entry: &Entry) -> Result<bool> {
    let g = cover::geometry(spec)?;
    let (shards, piece) = pieces(&g, entry);
    let read = read(&g, spec, shards)?;
    Ok(read
        .values()
        .all(|(_, covered)| piece.difference(covered).is_empty()))
}

/// Make every address of `entries` a member (`add`) or none of them
/// (`del`). Without `exist`, an entry that changes nothing is an error and
/// nothing changes.
pub fn change(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entries: &[Entry],
    add: bool,
    exist: bool,
) -> Result<Change> {
    let g = cover::geometry(spec)?;
    let unique = dedup(entries);
    let routed: Vec<_> = unique.iter().map(|e| pieces(&g, e)).collect();
    // Every shard: what all of them cover decides which pieces may leave
    // the tag bits free, so a change in one can rewrite the others.
    let mut shards = read(&g, spec, 0..spec.shards)?;
    let mut unchanged = 0;
    for (entry, (range, piece)) in unique.iter().zip(&routed) {
        let covered = |t: u32| &shards[&t].1;
        let no_op = if add {
            range
                .clone()
                .all(|t| piece.difference(covered(t)).is_empty())
        } else {
            range
                .clone()
                .all(|t| piece.intersect(covered(t)).is_empty())
        };
        if no_op && !exist {
            return Err(if add {
                Error::kernel(
                    KernelErrorKind::ElementExists,
                    format!("{entry} is already in family '{}' (every address of it); nothing was added (use --exist to skip existing entries)", spec.name),
                )
            } else {
                Error::kernel(
                    KernelErrorKind::ElementMissing,
                    format!("{entry} is not in family '{}' (no address of it); nothing was deleted (use --exist to skip missing entries)", spec.name),
                )
            });
        }
        unchanged += usize::from(no_op);
    }
    for (range, piece) in &routed {
        for t in range.clone() {
            if let Some((_, covered)) = shards.get_mut(&t) {
                *covered = if add {
                    covered.union(piece)
                } else {
                    covered.difference(piece)
                };
            }
        }
    }
    let wanted: Vec<(u32, Ranges)> = shards
        .iter()
        .map(|(t, (_, covered))| (*t, covered.clone()))
        .collect();
    let targets = cover::targets(&g, spec, &wanted)?;
    let read: Vec<(u32, Shard)> = shards.into_iter().map(|(t, (s, _))| (t, s)).collect();
    let plan = cover::plan(spec, &targets, read, false)?;
    let (adds, dels, _, _) = plan.totals();
    crate::bulk::apply::apply(kernel, spec, &plan, false)?;
    Ok(Change {
        entries: unique.len(),
        elements: adds + dels,
        unchanged,
        duplicates: entries.len() - unique.len(),
    })
}

/// The family's addresses as the fewest CIDRs the kernel can store (the
/// minimal cover; every address is two /1s), read from every shard.
pub fn cover(spec: &FamilySpec) -> Result<Vec<Entry>> {
    let g = cover::geometry(spec)?;
    let read = read(&g, spec, 0..spec.shards)?;
    let coverage: Vec<Ranges> = read.into_values().map(|(_, covered)| covered).collect();
    let cidrs = crate::prefix::cover::family_cover(&g, &coverage, cover::COVER_LIMIT)
        .map_err(|why| Error::Usage(format!("family '{}': {why}", spec.name)))?;
    // The kernel stores no /0: a family of every address is two /1s.
    let half = 1u128 << (spec.family.width() - 1);
    cidrs
        .into_iter()
        .flat_map(|c| match c.len {
            0 => vec![Cidr { bits: 0, len: 1 }, Cidr { bits: half, len: 1 }],
            _ => vec![c],
        })
        .map(|c| c.to_entry(spec.family).map_err(Error::Usage))
        .collect()
}
