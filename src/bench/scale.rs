//! What sharding changes at scale, measured:
//!
//! * growth: adding N entries one at a time to an empty set lets the kernel
//!   resize its hash table as it fills, and each resize stalls that add
//!   (synchronize_rcu plus rehashing). Worst-case add latency for one set
//!   and for a family, default-sized and pre-sized;
//! * replace: atomically replacing one shard (temporary set, fill, swap,
//!   destroy) against replacing the whole single set;
//! * memory and capacity, from the kernel's set headers.

use std::time::Instant;

use super::scale_report::{Growth, Replace, ScaleReport};
use super::stats::{ratio, summarize};
use crate::addr::Entry;
use crate::error::Result;
use crate::family;
use crate::kernel::{batch, AddOptions, Kernel};
use crate::meta::FamilySpec;
use crate::route::{self};

/// Definition of a scratch family.
fn spec(name: &str, base: &FamilySpec, hashsize: u32, maxelem: u32) -> FamilySpec {
    FamilySpec {
        name: name.into(),
        hashsize,
        maxelem,
        timeout: None,
        counters: false,
        comment: false,
        ..base.clone()
    }
}

fn one_set(base: &FamilySpec, name: &str, hashsize: u32, maxelem: u32) -> FamilySpec {
    FamilySpec {
        shards: 1,
        ..spec(name, base, hashsize, maxelem)
    }
}

fn grow_one(
    kernel: &mut Kernel,
    label: &str,
    set: &FamilySpec,
    single: bool,
    entries: &[Entry],
) -> Result<Growth> {
    let opts = AddOptions::default();
    if single {
        kernel.create_shard(set, &set.name)?;
    } else {
        family::create::create(kernel, set, false)?;
    }
    let mut lat = Vec::with_capacity(entries.len());
    let all = Instant::now();
    for e in entries {
        let t = Instant::now();
        if single {
            kernel.add(&set.name, set.set_type, e, &opts)?;
        } else {
            family::add::add_one(kernel, set, e, &opts)?;
        }
        lat.push(t.elapsed().as_nanos() as f64);
    }
    let total_ns = all.elapsed().as_nanos() as f64;
    if single {
        kernel.destroy_set(&set.name)?;
    } else {
        family::destroy::destroy(kernel, &set.name, false)?;
    }
    Ok(Growth {
        label: label.into(),
        adds: entries.len(),
        over_1ms: lat.iter().filter(|&&l| l > 1e6).count(),
        latency: summarize(&lat),
        total_ns,
    })
}

/// Create `name` and fill it with `entries` in batches, swap it with
/// `target`, destroy the old contents; the time it all took (ns).
fn replace_once(
    kernel: &mut Kernel,
    set: &FamilySpec,
    target: &str,
    entries: &[Entry],
) -> Result<f64> {
    let temp = format!("{target}-new");
    let t = Instant::now();
    kernel.create_shard(set, &temp)?;
    batch::apply(
        batch::Op::Add,
        &temp,
        set.family,
        false,
        entries.iter().map(|e| batch::Element::plain(*e)),
    )?;
    kernel.swap_sets(target, &temp)?;
    kernel.destroy_set(&temp)?;
    Ok(t.elapsed().as_nanos() as f64)
}

/// Measure growth and replacement with `entries`, for families like `base`.
pub fn run(
    kernel: &mut Kernel,
    base: &FamilySpec,
    entries: &[Entry],
    repeats: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<ScaleReport> {
    let n = entries.len() as u32;
    let shards = base.shards;
    let maxelem = n.saturating_mul(2).max(65536);
    let per_shard_max = (maxelem / shards).max(1024);
    let sized = (n / 4).next_power_of_two().max(64);
    let mut growth = Vec::new();
    let configs: [(&str, FamilySpec, bool); 4] = [
        (
            "one set, default hashsize 1024",
            one_set(base, "mb-grow-1", 1024, maxelem),
            true,
        ),
        (
            "one set, pre-sized",
            one_set(base, "mb-grow-1s", sized, maxelem),
            true,
        ),
        (
            "family, default-sized shards",
            spec(
                "mb-grow-f",
                base,
                crate::options::per_shard_hashsize(1024, shards),
                per_shard_max,
            ),
            false,
        ),
        (
            "family, pre-sized shards",
            spec(
                "mb-grow-fs",
                base,
                crate::options::per_shard_hashsize(sized, shards),
                per_shard_max,
            ),
            false,
        ),
    ];
    for (label, set, single) in configs {
        progress(&format!("growth: {label}"));
        growth.push(grow_one(kernel, label, &set, single, entries)?);
    }

    progress("replace: whole set against one shard");
    let whole = one_set(base, "mb-rep-1", sized, maxelem);
    let shard_set = one_set(base, "mb-rep-s", (sized / shards).max(64), per_shard_max);
    kernel.create_shard(&whole, "mb-rep-1")?;
    kernel.create_shard(&shard_set, "mb-rep-s")?;
    let shard_entries: Vec<Entry> = entries
        .iter()
        .filter(|e| route::shards_for(e, shards, base.routing).start == 0)
        .copied()
        .collect();
    let (mut w, mut s) = (Vec::new(), Vec::new());
    for i in 0..repeats {
        // Alternate which goes first.
        if i % 2 == 0 {
            w.push(replace_once(kernel, &whole, "mb-rep-1", entries)?);
            s.push(replace_once(
                kernel,
                &shard_set,
                "mb-rep-s",
                &shard_entries,
            )?);
        } else {
            s.push(replace_once(
                kernel,
                &shard_set,
                "mb-rep-s",
                &shard_entries,
            )?);
            w.push(replace_once(kernel, &whole, "mb-rep-1", entries)?);
        }
    }
    kernel.destroy_set("mb-rep-1")?;
    kernel.destroy_set("mb-rep-s")?;

    Ok(ScaleReport {
        entries: entries.len(),
        shards,
        growth,
        replace: Replace {
            whole_entries: entries.len(),
            shard_entries: shard_entries.len(),
            whole: summarize(&w),
            shard: summarize(&s),
            ratio: ratio(&w, &s),
        },
        memory_single: 0,
        memory_family: 0,
        capacity_single_default: 65536,
        capacity_family_default: 65536 * u64::from(shards),
    })
}

/// Kernel memory of `single` and of `family`'s shards (from headers).
pub fn memory(kernel: &mut Kernel, single: &str, family: &FamilySpec) -> Result<(u64, u64)> {
    let headers = kernel.list_headers(None)?;
    let of = |name: &str| {
        headers
            .iter()
            .find(|h| h.name == name)
            .map_or(0, |h| h.memory)
    };
    let fam = family.shard_names().map(|n| of(&n)).sum::<u64>() + of(&family.name);
    Ok((of(single), fam))
}
