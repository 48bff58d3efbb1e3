//! `--route auto`: the routing bits of an empty hash:net family chosen from
//! the list that fills it ([`route_from_list`]), before a load or sync.
//!
//! Only an empty family is re-routed: nothing has to move, so the change is
//! the metadata of every umbrella member, rewritten in one send
//! (`kernel::create::recomment_family`), and the family's dispatch rules
//! rebuilt for the new bits (`rules::switch`).

use crate::error::{Error, Result};
use crate::kernel::Kernel;
use crate::listfile::ListEntry;
use crate::meta::FamilySpec;
use crate::prefix::ranges::{Cidr, Ranges};
use crate::prefix::shift::{choose_shift, ShiftChoice};
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
    // One shard: every address goes to it, whatever the bits.
    if !spec.route_auto || spec.shards == 1 || list.is_empty() || !is_empty(kernel, spec)? {
        return Ok(None);
    }
    let width = spec.family.width();
    let cover =
        Ranges::from_cidrs(width, list.iter().map(|i| Cidr::from_entry(&i.entry))).to_cidrs();
    let choice = choose_shift(
        &cover,
        width,
        spec.shards.trailing_zeros(),
        spec.reduce,
        spec.maxelem as usize,
    )
    .map_err(Error::Usage)?;
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
