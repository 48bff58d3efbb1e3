//! `--route auto`: the routing bits of an empty hash:net family chosen from
//! the list that fills it ([`route_from_list`]), before a load or sync.
//!
//! Only an empty family is re-routed: nothing has to move, so the change is
//! the metadata of every umbrella member, rewritten in one send
//! (`kernel::create::recomment_family`), and the family's dispatch rules
//! rebuilt for the new bits (`rules::switch`). A family that holds entries
//! is re-routed online by [`reroute_online`] (`mipset resize --route`).

use crate::addr::Entry;
use crate::bulk::cover;
use crate::bulk::cover::Contents;
use crate::error::{Error, KernelErrorKind, Result};
use crate::family::leftovers;
use crate::kernel::dump;
use crate::kernel::Kernel;
use crate::listfile::ListEntry;
use crate::meta::FamilySpec;
use crate::prefix::ranges::{Cidr, Ranges};
use crate::prefix::shift::{choose_shift, ShiftChoice};
use crate::resize::{rebuild_shards, GRACE};
use crate::route;
use crate::route::{Routing, MAX_SHARDS};
use crate::rules::switch::RuleSwitch;

/// Are all of the family's shards empty (their headers say)?
fn is_empty(kernel: &mut Kernel, spec: &FamilySpec) -> Result<bool> {
    let headers = kernel.list_headers(None)?;
    let names: std::collections::HashSet<String> = spec.shard_names().collect();
    Ok(headers
        .iter()
        .filter(|h| names.contains(&h.name))
        .all(|h| h.entries == 0))
}

/// For a `--route auto` family that is empty, the routing bits that `list`
/// spreads best: the fewest elements in the fullest shard (networks copied
/// into several shards counted in each, after the family's reduction),
/// among the bits that leave room to grow to the most shards. Reads only:
/// `None` for any other family or an empty list.
pub fn choose(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    list: &[ListEntry],
) -> Result<Option<(FamilySpec, ShiftChoice)>> {
    if !spec.route_auto || !is_empty(kernel, spec)? {
        return Ok(None);
    }
    choose_for(spec, list)
}

/// The routing bits that `list` spreads best in a family like `spec` (see
/// [`choose`]); `None` for one shard (every address goes to it) or an
/// empty list.
pub fn choose_for(
    spec: &FamilySpec,
    list: &[ListEntry],
) -> Result<Option<(FamilySpec, ShiftChoice)>> {
    if spec.shards == 1 || list.is_empty() {
        return Ok(None);
    }
    let width = spec.family.width();
    let choice = if cover::is_covering(spec) {
        let cover =
            Ranges::from_cidrs(width, list.iter().map(|i| Cidr::from_entry(&i.entry))).to_cidrs();
        choose_shift(
            &cover,
            width,
            spec.shards.trailing_zeros(),
            spec.reduce,
            spec.maxelem as usize,
            max_shift(width),
        )
        .map_err(Error::Usage)?
    } else {
        // Stored as given: count the entries themselves.
        let entries: Vec<Entry> = list.iter().map(|i| i.entry).collect();
        let (shift, fullest, total) =
            route::choose_bits(&entries, spec.shards, width, max_shift(width));
        ShiftChoice {
            shift,
            fullest,
            total,
            replication: total as f64 / entries.len().max(1) as f64,
            evaluated: (max_shift(width) + 1) as usize,
        }
    };
    let routing = Routing::Bits {
        shift: choice.shift,
    };
    Ok(Some((
        FamilySpec {
            routing,
            ..spec.clone()
        },
        choice,
    )))
}

/// The highest shift auto routing takes: one that a resize up to
/// [`MAX_SHARDS`] shards can keep (resizing keeps the shift).
pub fn max_shift(width: u32) -> u32 {
    width - MAX_SHARDS.trailing_zeros()
}

/// Switch the empty family `old` to `new`'s routing: every member's
/// metadata in one send, then the family's dispatch rules.
pub fn switch(kernel: &mut Kernel, old: &FamilySpec, new: &FamilySpec) -> Result<()> {
    if old.routing == new.routing {
        return Ok(());
    }
    let rules = RuleSwitch::prepare(kernel, old)?;
    crate::kernel::create::recomment_family(new)?;
    rules.switch(new, old)?;
    Ok(())
}

/// Re-route a family online (`resize --route`), keeping every answer right
/// for readers of the old or the new metadata:
///
/// 1. every shard is rebuilt (filled temporary, swapped in) with its old
///    and its new elements, so both routings find everything;
/// 2. every member's metadata is rewritten in one send, and the dispatch
///    rules follow;
/// 3. after the grace period, every shard is rebuilt with its new elements
///    only.
///
/// Killed between steps, each shard holds its old elements, its new ones or
/// both (answers stay right; `mipset sync` or running the resize again
/// removes the extra ones).
pub fn reroute_online(
    kernel: &mut Kernel,
    old: &FamilySpec,
    new: &FamilySpec,
    rules: &RuleSwitch,
) -> Result<usize> {
    let (old_contents, new_contents) = cover::placements(old, new)?;
    let union: Vec<Contents> = old_contents
        .into_iter()
        .zip(&new_contents)
        .map(|(mut both, new)| {
            let have: std::collections::HashSet<Entry> = both.iter().map(|(e, _)| *e).collect();
            both.extend(new.iter().filter(|(e, _)| !have.contains(e)).cloned());
            both
        })
        .collect();
    if let Some((t, elements)) = cover::over_maxelem(&union, new.maxelem) {
        return Err(Error::kernel(
            KernelErrorKind::Full,
            format!(
                "while re-routing, shard {} would hold {} elements (old and new) but its maxelem is {}; nothing was changed (raise it with `mipset resize {} --maxelem N` first)",
                new.shard_name(t),
                elements,
                new.maxelem,
                new.name
            ),
        ));
    }
    leftovers::clean(kernel, old)?;
    rules.test(new)?;
    crate::interrupt::check()?;
    // Step 1: both routings find everything.
    rebuild_shards(kernel, old, old, &union, 0..old.shards)?;
    drop(union);
    // Step 2: the new metadata at once, then the rules.
    crate::kernel::create::recomment_family(new)?;
    rules.switch(new, old)?;
    // Step 3: readers of the old metadata finish, then the old elements go.
    std::thread::sleep(GRACE);
    rebuild_shards(kernel, new, new, &new_contents, 0..new.shards)?;
    Ok(new_contents.iter().map(Vec::len).sum())
}

/// What the family holds, as a list (its networks once each; for a family
/// that stores coverage, its minimal cover), for choosing its routing.
pub fn contents_as_list(spec: &FamilySpec) -> Result<Vec<ListEntry>> {
    let entries: Vec<Entry> = if cover::is_covering(spec) {
        crate::bulk::covered::cover(spec)?
    } else {
        let mut seen = std::collections::HashSet::new();
        for t in 0..spec.shards {
            dump::dump_entries(&spec.shard_name(t), false, |entry, _| {
                seen.insert(entry);
            })?;
        }
        seen.into_iter().collect()
    };
    Ok(entries
        .into_iter()
        .map(|e| ListEntry::new(e, None, None))
        .collect())
}
