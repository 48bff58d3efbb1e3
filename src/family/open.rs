//! Finding families in the kernel: one by name (consistent, or the reason
//! it is not), or all of them, with the sets that carry mipset metadata but
//! are not usable families.

use super::discover::{discover, Discovery};
use super::status::{replication, status, FamilyStatus};
use crate::addr::SetType;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::naming::check_family_name;
use crate::route;

/// Find family `name` in the kernel, or say why it is not one.
pub fn open(kernel: &mut Kernel, name: &str) -> Result<FamilySpec> {
    match open_any(kernel, name)? {
        Discovery::Family(spec) => Ok(spec),
        Discovery::Damaged { problem, .. } => Err(Error::Usage(format!(
            "family '{name}' is damaged: {problem}; `mipset destroy --force {name}` removes it"
        ))),
        Discovery::NotFamily(reason) => Err(Error::NotAFamily {
            name: name.to_string(),
            reason,
        }),
    }
}

pub fn open_any(kernel: &mut Kernel, name: &str) -> Result<Discovery> {
    match kernel.list_set(name) {
        Ok(info) => Ok(discover(&info)),
        Err(e) if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) => {
            Err(Error::NoSuchFamily(name.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// Families whose metadata is valid but whose sets are not what it says
/// (a shard taken out of the umbrella, members out of order): each with
/// what is wrong. They are shown, never used.
pub type Unusable = Vec<(FamilySpec, String)>;

/// Every family in the kernel, plus sets that carry mipset metadata but are
/// not usable families (to warn about).
pub fn discover_all(kernel: &mut Kernel) -> Result<(Vec<FamilySpec>, Unusable)> {
    let headers = kernel.list_headers(None)?;
    let mut families = Vec::new();
    let mut suspicious = Vec::new();
    for h in headers
        .iter()
        // A family name is always valid; other names (stock ipset allows
        // spaces) are never families and must not reach a command line.
        .filter(|h| {
            h.set_type == "list:set"
                && h.header_flag("comment")
                && crate::naming::validate_family_name(&h.name).is_ok()
        })
    {
        let info = match kernel.list_set(&h.name) {
            Ok(info) => info,
            // Destroyed since the header listing: not ours to report.
            Err(e) if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) => continue,
            Err(e) => return Err(e),
        };
        match discover(&info) {
            Discovery::Family(spec) => families.push(spec),
            Discovery::Damaged { spec, problem } => suspicious.push((spec, problem)),
            Discovery::NotFamily(_) => {}
        }
    }
    Ok((families, suspicious))
}

/// The families a command names: the one called `name`, or every family in
/// the kernel; usable ones, and damaged ones (to show, never to use). A
/// name that is not a family at all is an error.
pub fn select(kernel: &mut Kernel, name: Option<&str>) -> Result<(Vec<FamilySpec>, Unusable)> {
    let Some(name) = name else {
        return discover_all(kernel);
    };
    check_family_name(name)?;
    match open_any(kernel, name)? {
        Discovery::Family(spec) => Ok((vec![spec], Vec::new())),
        Discovery::Damaged { spec, problem } => Ok((Vec::new(), vec![(spec, problem)])),
        Discovery::NotFamily(reason) => Err(Error::NotAFamily {
            name: name.to_string(),
            reason,
        }),
    }
}

/// The state of what [`select`] found, usable and damaged families alike
/// (a damaged one's problem first among its problems), by name.
pub fn selected_statuses(
    kernel: &mut Kernel,
    (usable, damaged): (Vec<FamilySpec>, Unusable),
) -> Result<Vec<FamilyStatus>> {
    let headers = kernel.list_headers(None)?;
    let mut all: Vec<FamilyStatus> = Vec::with_capacity(usable.len());
    for spec in &usable {
        let mut st = status(spec, &headers);
        st.replication = replication_of(spec, &st)?;
        all.push(st);
    }
    for (spec, problem) in damaged {
        let mut st = status(&spec, &headers);
        st.problems.insert(0, problem);
        all.push(st);
    }
    all.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
    Ok(all)
}

/// A hash:net family's elements per network, from its shards' contents
/// (one dump each); `None` for hash:ip (one shard per address) and for an
/// empty family.
fn replication_of(spec: &FamilySpec, st: &FamilyStatus) -> Result<Option<f64>> {
    // A reduced family expands networks on purpose (and stores each piece
    // once): copies across shards are not what it holds.
    let reduced = spec.reduce != crate::prefix::levels::Reduce::Off;
    if spec.set_type != SetType::HashNet || reduced || st.elements == 0 || !st.problems.is_empty() {
        return Ok(None);
    }
    let mut lengths = Vec::with_capacity(st.elements as usize);
    for name in spec.shard_names() {
        crate::kernel::dump::dump_entries(&name, false, |entry, _| {
            lengths.push(route::shards_for(&entry, spec.shards, spec.routing).len() as u32)
        })?;
    }
    Ok(replication(lengths))
}

/// The state of each family, from one listing of every set's header.
pub fn statuses(kernel: &mut Kernel, specs: &[FamilySpec]) -> Result<Vec<FamilyStatus>> {
    let headers = kernel.list_headers(None)?;
    Ok(specs.iter().map(|s| status(s, &headers)).collect())
}
