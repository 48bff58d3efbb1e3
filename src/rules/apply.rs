//! Installing, finding, checking and removing mipset's rules, each change
//! one atomic `iptables-restore --noflush` transaction.

use super::found::{chains_of, find};
use super::installed::{Change, Installed};
use super::iptables::Backend;
use super::plan::{plan, Plan};
use super::save::parse_save;
use super::spec::{Layout, RuleSpec};
use crate::addr::AddrFamily;
use crate::error::{Error, Result};
use crate::meta::FamilySpec;

/// mipset's rules for address family `af`, of one family or all (with
/// the foreign rules that only carry a mipset comment, marked so).
pub fn list(
    backend: &Backend,
    af: AddrFamily,
    family: Option<&str>,
    families: &[FamilySpec],
) -> Result<Vec<Installed>> {
    let tables = parse_save(&backend.save(af, None)?);
    let mut found = find(&tables, family, families);
    for i in &mut found {
        i.backend = backend.kind;
    }
    Ok(found)
}

/// The rules in `found` that `spec` names (a `None` layout matches any).
fn matching<'a>(
    found: &'a [Installed],
    spec: &'a RuleSpec,
    any_layout: bool,
) -> impl Iterator<Item = &'a Installed> + 'a {
    found.iter().filter(move |i| {
        if i.orphan || !i.is_ours() {
            return false;
        }
        let mut want = spec.clone();
        if any_layout {
            want.layout = i.spec.layout;
        }
        i.spec.same_rule(&want)
    })
}

/// Script lines that make `plan`'s chains exist with exactly its rules and
/// drop `stale` chains of the same rule.
fn chain_script(plan: &Plan, stale: &[String]) -> (String, String) {
    let mut declare = String::new();
    let mut body = String::new();
    for (chain, rules) in &plan.chains {
        declare.push_str(&format!(":{chain} - [0:0]\n"));
        for r in rules {
            body.push_str(&format!("-A {chain} {r}\n"));
        }
    }
    for chain in stale {
        if !plan.chains.iter().any(|(c, _)| c == chain) {
            declare.push_str(&format!(":{chain} - [0:0]\n"));
            body.push_str(&format!("-X {chain}\n"));
        }
    }
    (declare, body)
}

/// Install `spec` for `family` (idempotent: an intact rule is left alone,
/// a stale or damaged one is rewritten in place). There is one mipset rule
/// per identity (table, chain, family, match, jump): a rule of the same
/// identity with another layout is replaced in its place, its dispatch
/// chains removed, in the same transaction.
pub fn add(
    backend: &Backend,
    spec: &RuleSpec,
    family: &FamilySpec,
    position: Option<u32>,
) -> Result<Change> {
    let tables = parse_save(&backend.save(family.family, Some(&spec.table))?);
    let found = find(&tables, Some(&spec.family), std::slice::from_ref(family));
    let existing: Vec<&Installed> = matching(&found, spec, false).collect();
    // The same identity with another layout: replaced.
    let other_layouts: Vec<&Installed> = if existing.is_empty() {
        matching(&found, spec, true).collect()
    } else {
        Vec::new()
    };
    // Without --comment, an existing rule keeps its comment.
    let kept;
    let spec = match (&spec.note, existing.first().or(other_layouts.first())) {
        (None, Some(i)) if i.spec.note.is_some() => {
            kept = RuleSpec {
                note: i.spec.note.clone(),
                ..spec.clone()
            };
            &kept
        }
        _ => spec,
    };
    let plan = plan(spec, family);
    if existing.iter().any(|i| i.is_ok() && i.args == plan.rule) {
        return Ok(Change::Unchanged);
    }
    let table = tables
        .iter()
        .find(|t| t.name == spec.table)
        .cloned()
        .unwrap_or_default();
    if !table.chains.contains(&spec.chain) {
        return Err(Error::Usage(format!(
            "chain {} does not exist in table {} (iptables {}); create it first or pick another",
            spec.chain,
            spec.table,
            backend.kind.kernel_name()
        )));
    }
    let stale = chains_of(&table, &spec.base_chain());
    let (mut declare, body) = chain_script(&plan, &stale);
    // The dispatch chains of a replaced layout: emptied with the rest,
    // deleted once the rule that jumps to them is gone.
    let mut dropped: Vec<&str> = Vec::new();
    for chain in other_layouts.iter().flat_map(|i| &i.chains) {
        if !dropped.contains(&chain.as_str())
            && !stale.contains(chain)
            && !plan.chains.iter().any(|(c, _)| c == chain)
        {
            dropped.push(chain);
            declare.push_str(&format!(":{chain} - [0:0]\n"));
        }
    }
    let mut script = format!("*{}\n{declare}{body}", spec.table);
    let change = match existing.first() {
        Some(i) => {
            // Delete by content, not by position: another program may have
            // inserted rules since the save (the transaction fails if the
            // old rule is gone).
            if i.args != plan.rule {
                script.push_str(&format!(
                    "-D {} {}\n-I {} {} {}\n",
                    spec.chain, i.args, spec.chain, i.position, plan.rule
                ));
            }
            Change::Repaired
        }
        None if !other_layouts.is_empty() => {
            // Delete the old rules by content, put the new one where the
            // first of them was (or at --position), then drop the old
            // dispatch chains (nothing jumps to them any more).
            for old in &other_layouts {
                script.push_str(&format!("-D {} {}\n", spec.chain, old.args));
            }
            let at = position.map_or_else(
                || other_layouts.iter().map(|i| i.position).min().unwrap_or(1),
                |n| n as usize,
            );
            script.push_str(&format!("-I {} {at} {}\n", spec.chain, plan.rule));
            for chain in &dropped {
                script.push_str(&format!("-X {chain}\n"));
            }
            Change::Replaced(other_layouts[0].spec.layout)
        }
        None => {
            match position {
                Some(n) => script.push_str(&format!("-I {} {n} {}\n", spec.chain, plan.rule)),
                None => script.push_str(&format!("-A {} {}\n", spec.chain, plan.rule)),
            }
            Change::Added
        }
    };
    script.push_str("COMMIT\n");
    backend.restore(family.family, &script).map_err(|e| {
        let text = e.to_string();
        if text.contains("No chain/target/match")
            || text.contains("Couldn't load target")
            || text.contains(&format!("Chain '{}' does not exist", spec.jump))
        {
            Error::kernel(
                e.kernel_kind().unwrap_or(crate::error::KernelErrorKind::Other),
                format!(
                    "{e} (is --jump {} a chain of table {} or a target iptables knows?); nothing was changed",
                    spec.jump, spec.table
                ),
            )
        } else {
            e
        }
    })?;
    Ok(change)
}

/// Remove the given installed rules and their dispatch chains, one
/// transaction per table.
fn remove(backend: &Backend, af: AddrFamily, rules: &[&Installed]) -> Result<()> {
    let mut tables: Vec<&str> = rules.iter().map(|r| r.spec.table.as_str()).collect();
    tables.sort_unstable();
    tables.dedup();
    for table in tables {
        let mut declare = String::new();
        let mut body = String::new();
        let mut dropped: Vec<&str> = Vec::new();
        for r in rules.iter().filter(|r| r.spec.table == table) {
            if !r.orphan {
                body.push_str(&format!("-D {} {}\n", r.spec.chain, r.args));
            }
            for c in &r.chains {
                if !dropped.contains(&c.as_str()) {
                    dropped.push(c);
                }
            }
        }
        for c in &dropped {
            declare.push_str(&format!(":{c} - [0:0]\n"));
        }
        for c in &dropped {
            body.push_str(&format!("-X {c}\n"));
        }
        backend.restore(af, &format!("*{table}\n{declare}{body}COMMIT\n"))?;
    }
    Ok(())
}

/// Remove the rules `spec` names (any layout if `any_layout`); how many.
pub fn del(backend: &Backend, af: AddrFamily, spec: &RuleSpec, any_layout: bool) -> Result<usize> {
    let tables = parse_save(&backend.save(af, Some(&spec.table))?);
    let found = find(&tables, Some(&spec.family), &[]);
    let doomed: Vec<&Installed> = matching(&found, spec, any_layout).collect();
    if !doomed.is_empty() {
        remove(backend, af, &doomed)?;
    }
    Ok(doomed.len())
}

/// Remove every mipset rule of `family` (never a foreign one); how many.
pub fn del_family(backend: &Backend, af: AddrFamily, family: &str) -> Result<usize> {
    let found = list(backend, af, Some(family), &[])?;
    let doomed: Vec<&Installed> = found.iter().filter(|i| i.is_ours()).collect();
    if !doomed.is_empty() {
        remove(backend, af, &doomed)?;
    }
    Ok(doomed.len())
}

/// The installed rule `spec` names, if any (its `state` says whether it
/// is intact).
pub fn check(
    backend: &Backend,
    spec: &RuleSpec,
    family: &FamilySpec,
    any_layout: bool,
) -> Result<Option<Installed>> {
    let tables = parse_save(&backend.save(family.family, Some(&spec.table))?);
    let found = find(&tables, Some(&spec.family), std::slice::from_ref(family));
    let Some(mut hit) = matching(&found, spec, any_layout).next().cloned() else {
        return Ok(None);
    };
    // Cross-check with stock `iptables -C`, which compares the rule the way
    // the kernel holds it.
    if hit.is_ok() && !backend.exists(family.family, &spec.table, &spec.chain, &hit.args)? {
        hit.state = "damaged: `iptables -C` does not find the rule".into();
    }
    Ok(Some(hit))
}

/// The transactions (one per table) that bring every mipset rule of
/// `family` to its current shards (after a resize): stale or damaged
/// dispatch chains rewritten, orphaned ones (whose rule was deleted by
/// hand, so there is no rule to rewrite) removed. Foreign rules are not
/// touched. With how many rules and orphans they change.
fn refresh_scripts(backend: &Backend, family: &FamilySpec) -> Result<(Vec<String>, usize)> {
    let tables = parse_save(&backend.save(family.family, None)?);
    let found = find(&tables, Some(&family.name), std::slice::from_ref(family));
    let mut scripts = Vec::new();
    let mut count = 0;
    for table in &tables {
        let mut declare = String::new();
        let mut body = String::new();
        for i in found.iter().filter(|i| {
            i.spec.table == table.name
                && i.is_ours()
                && i.spec.layout != Layout::Umbrella
                && !i.is_ok()
        }) {
            let p = if i.orphan {
                Plan {
                    rule: String::new(),
                    chains: Vec::new(),
                }
            } else {
                plan(&i.spec, family)
            };
            let (d, b) = chain_script(&p, &i.chains);
            declare.push_str(&d);
            body.push_str(&b);
            if !i.orphan && i.args != p.rule {
                body.push_str(&format!(
                    "-D {} {}\n-I {} {} {}\n",
                    i.spec.chain, i.args, i.spec.chain, i.position, p.rule
                ));
            }
            count += 1;
        }
        if !body.is_empty() {
            scripts.push(format!("*{}\n{declare}{body}COMMIT\n", table.name));
        }
    }
    Ok((scripts, count))
}

/// Bring the rules of `family` to its current shards (see
/// [`refresh_scripts`]), one transaction per table; how many rules.
pub fn refresh(backend: &Backend, family: &FamilySpec) -> Result<usize> {
    let (scripts, count) = refresh_scripts(backend, family)?;
    for script in &scripts {
        backend.restore(family.family, script)?;
    }
    Ok(count)
}

/// Whether [`refresh`] to `family` would be accepted, asked of
/// `iptables-restore --test` (nothing is changed): catches missing sets,
/// targets and chains before anything moves.
pub fn refresh_would_apply(backend: &Backend, family: &FamilySpec) -> Result<()> {
    let (scripts, _) = refresh_scripts(backend, family)?;
    for script in &scripts {
        backend.restore_test(family.family, script)?;
    }
    Ok(())
}

/// How many of mipset's dispatch rules reference each shard of `family`
/// (each references every shard once).
pub fn dispatch_count(backend: &Backend, family: &FamilySpec) -> Result<u32> {
    let found = list(backend, family.family, Some(&family.name), &[])?;
    Ok(found
        .iter()
        .filter(|i| i.is_ours() && i.spec.layout != Layout::Umbrella)
        .count() as u32)
}
