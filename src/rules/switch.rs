//! The rule side of other commands: which iptables backends to search,
//! removing a family's rules (`destroy --rules`), and switching dispatch
//! chains to a new shard count (`resize`) or checking them (`check`).

use super::apply;
use super::installed::{BackendKind, Installed};
use super::iptables::Backend;
use super::spec::Layout;
use crate::error::{Error, Result};
use crate::family::discover::Discovery;
use crate::family::open::open_any;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;

/// The backends to search for existing rules: the one `--backend` names,
/// else every backend present (see [`Backend::present`]).
pub fn searched(flag: Option<BackendKind>) -> Result<Vec<Backend>> {
    match flag {
        Some(_) => Ok(vec![Backend::detect(flag)?]),
        None => Backend::present(),
    }
}

/// For `destroy --rules`: remove mipset's rules of family `name`.
pub fn remove_family_rules(
    kernel: &mut Kernel,
    name: &str,
    backend_flag: Option<BackendKind>,
) -> Result<usize> {
    let spec = match open_any(kernel, name)? {
        Discovery::Family(spec) | Discovery::Damaged { spec, .. } => spec,
        Discovery::NotFamily(reason) => {
            return Err(Error::NotAFamily {
                name: name.to_string(),
                reason,
            })
        }
    };
    let mut removed = 0;
    for backend in searched(backend_flag)? {
        removed += apply::del_family(&backend, spec.family, &spec.name)?;
    }
    Ok(removed)
}

/// For `resize`: how to switch the family's dispatch rules to a new shard
/// count. Touches iptables only if a shard is referenced by something
/// other than the umbrella.
pub struct RuleSwitch {
    /// Backends holding dispatch rules of the family.
    backends: Vec<Backend>,
    /// Dispatch rules of the family (each references every shard once).
    pub own_references: u32,
}

impl RuleSwitch {
    pub fn prepare(kernel: &mut Kernel, spec: &FamilySpec) -> Result<RuleSwitch> {
        let refs = kernel
            .list_headers(Some(&spec.shard_name(0)))?
            .first()
            .map_or(0, |h| h.references);
        let mut switch = RuleSwitch {
            backends: Vec::new(),
            own_references: 0,
        };
        if refs <= 1 {
            return Ok(switch);
        }
        for backend in Backend::present()? {
            let n = apply::dispatch_count(&backend, spec)?;
            if n > 0 {
                switch.own_references += n;
                switch.backends.push(backend);
            }
        }
        Ok(switch)
    }

    /// Whether the rewrite to `spec`'s shards would be accepted
    /// (`iptables-restore --test`; nothing changes). Every set the new
    /// chains name must exist.
    pub fn test(&self, spec: &FamilySpec) -> Result<()> {
        for b in &self.backends {
            apply::refresh_would_apply(b, spec)?;
        }
        Ok(())
    }

    /// Rewrite the dispatch chains for `spec`'s shards; how many rules.
    /// All or nothing: if one transaction fails, the rules are brought back
    /// to `before`'s shards and the error returned (a [`Error::Partial`] if
    /// that fails too).
    pub fn switch(&self, spec: &FamilySpec, before: &FamilySpec) -> Result<usize> {
        let mut n = 0;
        for b in &self.backends {
            match apply::refresh(b, spec) {
                Ok(k) => n += k,
                Err(e) => {
                    let back: Result<Vec<usize>> = self
                        .backends
                        .iter()
                        .map(|b| apply::refresh(b, before))
                        .collect();
                    return Err(match back {
                        Ok(_) => e,
                        Err(e2) => Error::Partial(format!(
                            "{e}; putting mipset's rules of family {} back failed too ({e2}); run `mipset check --repair {}`",
                            spec.name, spec.name
                        )),
                    });
                }
            }
        }
        Ok(n)
    }

    /// For `check`: mipset rules of the family that are stale, damaged or
    /// orphaned, as (description, repaired); with `repair`, dispatch
    /// chains are rewritten and orphaned ones removed.
    pub fn check(&self, spec: &FamilySpec, repair: bool) -> Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        for backend in &self.backends {
            let bad: Vec<Installed> = apply::list(
                backend,
                spec.family,
                Some(&spec.name),
                std::slice::from_ref(spec),
            )?
            .into_iter()
            // A foreign rule (a mipset comment on someone else's rule) is
            // not the family's to check or repair; `rule list` shows it.
            .filter(|i| i.is_ours() && !i.is_ok())
            .collect();
            let refreshed = !bad.is_empty() && repair && apply::refresh(backend, spec).is_ok();
            out.extend(bad.iter().map(|i| {
                (
                    format!(
                        "rule in {} {} ({} layout, iptables {}): {}",
                        i.spec.table,
                        if i.orphan { "-" } else { &i.spec.chain },
                        i.spec.layout,
                        backend.kind.kernel_name(),
                        i.state
                    ),
                    refreshed && (i.spec.layout != Layout::Umbrella || i.orphan),
                )
            }));
        }
        Ok(out)
    }
}
