//! Reading the shards a list touches (one netlink dump each) and planning
//! the load or sync with [`super::plan`].

use super::plan::{plan_shard, HashMap, Kept, Limits, Mode, Plan};
use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{batch, dump, Kernel};
use crate::listfile::ListEntry;
use crate::listing::SetInfo;
use crate::meta::FamilySpec;
use crate::route;

/// Read one shard's elements with one netlink dump (no text round trip).
fn read_shard(spec: &FamilySpec, name: &str, capacity: usize) -> Result<HashMap<Entry, Kept>> {
    let mut current = HashMap::with_capacity_and_hasher(capacity, Default::default());
    let extensions = spec.has_extensions();
    dump::dump_set(name, |element| {
        let entry = element.entry;
        let keep = extensions || element.nomatch;
        current.insert(entry, keep.then(|| Box::new(element)));
    })?;
    Ok(current)
}

/// Plan a load or sync of `list` into the family: reads the shards the
/// list touches (sync: every shard) once each.
pub fn plan<'a>(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &'a [ListEntry],
    mode: Mode,
    atomic: bool,
) -> Result<Plan<'a>> {
    plan_with(kernel, spec, list, mode, atomic, &mut |_| {})
}

/// [`plan`], calling `tick(shard)` after each shard is read and planned
/// (for a progress bar).
pub fn plan_with<'a>(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &'a [ListEntry],
    mode: Mode,
    atomic: bool,
    tick: &mut dyn FnMut(usize),
) -> Result<Plan<'a>> {
    let mut per_shard: Vec<Vec<&ListEntry>> = vec![Vec::new(); spec.shards as usize];
    for item in list {
        for shard in route::shards_for(&item.entry, spec.shards, spec.routing) {
            per_shard[shard as usize].push(item);
        }
    }
    let headers = kernel.list_headers(None)?;
    let by_name: HashMap<&str, &SetInfo> = headers.iter().map(|h| (h.name.as_str(), h)).collect();
    let mut plan = Plan {
        entries: list.len(),
        ..Plan::default()
    };
    for (i, incoming) in per_shard.iter().enumerate() {
        let name = spec.shard_name(i as u32);
        let header = by_name.get(name.as_str()).ok_or_else(|| {
            Error::Usage(format!(
                "family '{}' is damaged: its shard {name} does not exist; `mipset destroy --force {}` removes the family",
                spec.name, spec.name
            ))
        })?;
        if mode == Mode::Load && incoming.is_empty() {
            continue;
        }
        let current = if header.entries == 0 {
            HashMap::default()
        } else {
            read_shard(spec, &name, header.entries as usize)?
        };
        let maxelem = header
            .header_num("maxelem")
            .unwrap_or(u64::from(spec.maxelem)) as usize;
        let limits = Limits {
            maxelem,
            max_in_place: batch::ONE_SEND_BYTES / batch::element_bytes_max(spec.comment),
            force_rebuild: atomic,
            timeouts: spec.timeout.is_some(),
        };
        let (shard_plan, duplicates) = plan_shard(&name, current, incoming, mode, limits);
        plan.duplicates += duplicates;
        tick(i);
        if shard_plan.after > maxelem {
            return Err(Error::kernel(
                KernelErrorKind::Full,
                format!(
                    "shard {name} would hold {} elements but its maxelem is {maxelem}; nothing was changed. Recreate the family with a larger --maxelem or more --shards",
                    shard_plan.after
                ),
            ));
        }
        plan.shards.push(shard_plan);
    }
    Ok(plan)
}
