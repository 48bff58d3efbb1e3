//! Destroying a family: refused, changing nothing, while anything but the
//! umbrella references it; never touches a set that is not its own.

use std::collections::{BTreeMap, HashSet};

use super::discover::{discover, Discovery};
use super::status::check_shard;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::Kernel;
use crate::listing::SetInfo;
use crate::meta::FamilySpec;

/// Destroy a family. Refuses, changing nothing, while a rule or another set
/// references the umbrella or a shard. With `force`, a damaged family (valid
/// metadata, missing shards) is destroyed too.
/// Returns the family and the sets it left alone: sets named like a shard of
/// a damaged family that are neither umbrella members nor of its type.
pub fn destroy(kernel: &mut Kernel, name: &str, force: bool) -> Result<(FamilySpec, Vec<String>)> {
    let umbrella = match kernel.list_set(name) {
        Ok(info) => info,
        Err(e) if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) => {
            return Err(Error::NoSuchFamily(name.to_string()))
        }
        Err(e) => return Err(e),
    };
    let spec = match discover(&umbrella) {
        Discovery::Family(spec) => spec,
        Discovery::Damaged { spec, .. } if force => spec,
        Discovery::Damaged { problem, .. } => {
            return Err(Error::Usage(format!(
                "family '{name}' is damaged: {problem}; add --force to destroy what is left of it"
            )))
        }
        Discovery::NotFamily(reason) => {
            return Err(Error::NotAFamily {
                name: name.to_string(),
                reason,
            })
        }
    };
    let members: HashSet<String> = umbrella
        .members
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.elem)
        .collect();
    let headers = kernel.list_headers(None)?;
    let by_name: BTreeMap<&str, &SetInfo> = headers.iter().map(|h| (h.name.as_str(), h)).collect();
    // The shards to destroy: the umbrella's members, and (damaged family)
    // sets with a shard's name only if they have the family's type.
    let mut shards = Vec::new();
    let mut left = Vec::new();
    for shard in spec.shard_names() {
        let Some(h) = by_name.get(shard.as_str()) else {
            continue;
        };
        if members.contains(&shard) || check_shard(&spec, h).is_ok() {
            shards.push((shard, u32::from(members.contains(h.name.as_str()))));
        } else {
            left.push(shard);
        }
    }
    let mut in_use = Vec::new();
    let umbrella_refs = by_name.get(name).map_or(0, |h| h.references);
    if umbrella_refs > 0 {
        in_use.push(format!("{name} ({umbrella_refs} reference(s))"));
    }
    for (shard, own) in &shards {
        let refs = by_name[shard.as_str()].references;
        if refs > *own {
            in_use.push(format!("{shard} ({} reference(s))", refs - own));
        }
    }
    if in_use.len() > 3 {
        let more = in_use.len() - 3;
        in_use.truncate(3);
        in_use.push(format!("{more} more"));
    }
    if !in_use.is_empty() {
        return Err(Error::kernel(
            KernelErrorKind::InUse,
            format!(
                "family '{name}' is in use: {}; remove the iptables/ip6tables rules or list:sets that use it first (find them with `iptables-save; ip6tables-save; ipset list -t`); nothing was destroyed",
                in_use.join(", ")
            ),
        ));
    }
    // The umbrella first: it holds a reference to each member.
    kernel.destroy_set(name)?;
    let failed: Vec<String> = shards
        .iter()
        .filter_map(|(shard, _)| kernel.destroy_set(shard).err().map(|e| e.to_string()))
        .collect();
    if !failed.is_empty() {
        return Err(Error::Partial(format!(
            "destroyed the umbrella '{name}' but not every shard: {}",
            failed.join("; ")
        )));
    }
    Ok((spec, left))
}
