//! Finding families in the kernel: one by name (consistent, or the reason
//! it is not), or all of them, with the sets that carry mipset metadata but
//! are not usable families.

use super::discover::{discover, Discovery};
use super::status::{status, FamilyStatus};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::naming::check_family_name;

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

/// Sets that carry mipset metadata but are not usable families: (name, problem).
pub type Unusable = Vec<(String, String)>;

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
            Discovery::Damaged { problem, .. } => suspicious.push((h.name.clone(), problem)),
            Discovery::NotFamily(_) => {}
        }
    }
    Ok((families, suspicious))
}

/// The families a command names: the one called `name` (an error if it is
/// not a usable family), or every family in the kernel with the sets that
/// carry mipset metadata but are not usable families (to warn about).
pub fn select(kernel: &mut Kernel, name: Option<&str>) -> Result<(Vec<FamilySpec>, Unusable)> {
    match name {
        Some(name) => {
            check_family_name(name)?;
            Ok((vec![open(kernel, name)?], Vec::new()))
        }
        None => discover_all(kernel),
    }
}

/// The state of each family, from one listing of every set's header.
pub fn statuses(kernel: &mut Kernel, specs: &[FamilySpec]) -> Result<Vec<FamilyStatus>> {
    let headers = kernel.list_headers(None)?;
    Ok(specs.iter().map(|s| status(s, &headers)).collect())
}
