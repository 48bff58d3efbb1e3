//! Installing, finding, checking and removing mipset's rules, each change
//! one atomic `iptables-restore --noflush` transaction.

use super::installed::{BackendKind, Change, Installed};
use super::iptables::Backend;
use super::plan::{plan, Plan};
use super::save::{comment_of, parse_save, SavedTable};
use super::spec::{parse_comment, Layout, RuleSpec, CHAIN_PREFIX};
use crate::addr::AddrFamily;
use crate::error::{Error, Result};
use crate::meta::FamilySpec;

/// Dispatch chains that belong to a rule with base chain `base`.
fn chains_of(table: &SavedTable, base: &str) -> Vec<String> {
    table
        .chains
        .iter()
        .filter(|c| {
            *c == base
                || c.strip_prefix(base)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .cloned()
        .collect()
}

/// What is wrong with an installed rule against its plan, if anything.
fn compare(table: &SavedTable, args: &str, chains: &[String], plan: &Plan) -> Option<String> {
    if args != plan.rule {
        return Some("damaged: the rule differs from what mipset installs".into());
    }
    for (chain, rules) in &plan.chains {
        if !chains.contains(chain) {
            return Some(format!("damaged: chain {chain} is missing"));
        }
        let found: Vec<&str> = table.rules_of(chain).map(|r| r.args.as_str()).collect();
        if found != *rules {
            return Some(if found.len() != rules.len() {
                format!(
                    "stale: chain {chain} has {} rules, the family needs {} (after a resize?)",
                    found.len(),
                    rules.len()
                )
            } else {
                format!("stale or damaged: chain {chain} differs from the family's shards")
            });
        }
    }
    if chains.len() != plan.chains.len() {
        return Some(format!(
            "stale: {} dispatch chains, the family needs {}",
            chains.len(),
            plan.chains.len()
        ));
    }
    None
}

/// Every mipset rule in `tables` (of one address family), optionally of
/// one family; `families` gives the specs to check them against.
fn find(tables: &[SavedTable], family: Option<&str>, families: &[FamilySpec]) -> Vec<Installed> {
    let mut found = Vec::new();
    for table in tables {
        for chain in &table.chains {
            for (i, rule) in table.rules_of(chain).enumerate() {
                let Some(spec) =
                    comment_of(&rule.args).and_then(|c| parse_comment(c, &table.name, chain))
                else {
                    continue;
                };
                if family.is_some_and(|f| f != spec.family) {
                    continue;
                }
                let (chains, matched) = if spec.layout == Layout::Umbrella {
                    (Vec::new(), (rule.packets, rule.bytes))
                } else {
                    let chains = chains_of(table, &spec.base_chain());
                    let matched = chains
                        .iter()
                        .flat_map(|c| table.rules_of(c))
                        .filter(|r| r.args.contains("--match-set "))
                        .fold((0, 0), |(p, b), r| (p + r.packets, b + r.bytes));
                    (chains, matched)
                };
                let state = match families.iter().find(|f| f.name == spec.family) {
                    None => format!("family {} does not exist", spec.family),
                    Some(f) => compare(table, &rule.args, &chains, &plan(&spec, f))
                        .unwrap_or_else(|| "ok".into()),
                };
                found.push(Installed {
                    spec,
                    position: i + 1,
                    packets: rule.packets,
                    matched_packets: matched.0,
                    matched_bytes: matched.1,
                    chains,
                    state,
                    backend: BackendKind::Nft,
                    orphan: false,
                    args: rule.args.clone(),
                });
            }
        }
        found.extend(orphans(table, family));
    }
    found
}

/// What a rule jumps or goes to, if anything.
fn target_of(args: &str) -> Option<&str> {
    let i = args.rfind("-j ").or_else(|| args.rfind("-g "))?;
    args[i + 3..].split(' ').next()
}

/// Root dispatch chains (`mipset-HHHHHHHH`) no rule jumps to, of `family`
/// (or any), reconstructed from their shard rules.
fn orphans(table: &SavedTable, family: Option<&str>) -> Vec<Installed> {
    let referenced: std::collections::HashSet<&str> = table
        .rules
        .iter()
        .filter_map(|r| target_of(&r.args))
        .collect();
    let mut out = Vec::new();
    for root in &table.chains {
        let is_root = root
            .strip_prefix(CHAIN_PREFIX)
            .is_some_and(|h| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !is_root || referenced.contains(root.as_str()) {
            continue;
        }
        let chains = chains_of(table, root);
        // A shard rule: "... --match-set FAMILY-sK DIR -j TARGET".
        let Some(shard_rule) = chains
            .iter()
            .flat_map(|c| table.rules_of(c))
            .map(|r| r.args.clone())
            .find(|a| a.contains("--match-set "))
        else {
            continue;
        };
        let mut words = shard_rule[shard_rule.find("--match-set ").unwrap_or(0) + 12..].split(' ');
        let set = words.next().unwrap_or("");
        let dir = words.next().unwrap_or("");
        let Some(fam) = set.rfind("-s").map(|i| &set[..i]) else {
            continue;
        };
        if family.is_some_and(|f| f != fam) {
            continue;
        }
        let layout = if chains.len() == 1 {
            Layout::Linear
        } else if chains
            .iter()
            .flat_map(|c| table.rules_of(c))
            .any(|r| r.args.ends_with("-j RETURN"))
        {
            Layout::Tree
        } else {
            Layout::TwoLevel
        };
        let Ok(direction) = dir.parse() else { continue };
        out.push(Installed {
            spec: RuleSpec {
                family: fam.to_string(),
                table: table.name.clone(),
                chain: String::new(),
                direction,
                jump: target_of(&shard_rule).unwrap_or("").to_string(),
                layout,
                note: None,
            },
            position: 0,
            packets: 0,
            matched_packets: 0,
            matched_bytes: 0,
            chains,
            state: format!(
                "orphaned: no rule jumps to {root} any more (removed by hand?); `mipset rule del {fam} --all` removes it"
            ),
            backend: BackendKind::Nft,
            orphan: true,
            args: String::new(),
        });
    }
    out
}

/// mipset's rules for address family `af`, of one family or all.
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
        if i.orphan {
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
/// a stale or damaged one is rewritten in place).
pub fn add(
    backend: &Backend,
    spec: &RuleSpec,
    family: &FamilySpec,
    position: Option<u32>,
) -> Result<Change> {
    let tables = parse_save(&backend.save(family.family, Some(&spec.table))?);
    let found = find(&tables, Some(&spec.family), std::slice::from_ref(family));
    let existing: Vec<&Installed> = matching(&found, spec, false).collect();
    // Without --comment, an existing rule keeps its comment.
    let kept;
    let spec = match (&spec.note, existing.first()) {
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
    let (declare, body) = chain_script(&plan, &stale);
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

/// Remove every mipset rule of `family`; how many.
pub fn del_family(backend: &Backend, af: AddrFamily, family: &str) -> Result<usize> {
    let found = list(backend, af, Some(family), &[])?;
    let doomed: Vec<&Installed> = found.iter().collect();
    if !doomed.is_empty() {
        remove(backend, af, &doomed)?;
    }
    Ok(doomed.len())
}

/// Remove the orphaned dispatch chains of `family`; how many roots.
pub fn remove_orphans(backend: &Backend, af: AddrFamily, family: &str) -> Result<usize> {
    let found = list(backend, af, Some(family), &[])?;
    let doomed: Vec<&Installed> = found.iter().filter(|i| i.orphan).collect();
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

/// Rewrite the dispatch chains of every rule of `family` for its current
/// shards (after a resize), one transaction per table; how many rules.
pub fn refresh(backend: &Backend, family: &FamilySpec) -> Result<usize> {
    let tables = parse_save(&backend.save(family.family, None)?);
    let found = find(&tables, Some(&family.name), std::slice::from_ref(family));
    let mut count = 0;
    for table in &tables {
        let mut declare = String::new();
        let mut body = String::new();
        for i in found.iter().filter(|i| {
            i.spec.table == table.name && i.spec.layout != Layout::Umbrella && !i.is_ok()
        }) {
            let p = plan(&i.spec, family);
            let (d, b) = chain_script(&p, &i.chains);
            declare.push_str(&d);
            body.push_str(&b);
            if i.args != p.rule {
                body.push_str(&format!(
                    "-D {} {}\n-I {} {} {}\n",
                    i.spec.chain, i.args, i.spec.chain, i.position, p.rule
                ));
            }
            count += 1;
        }
        if !body.is_empty() {
            backend.restore(
                family.family,
                &format!("*{}\n{declare}{body}COMMIT\n", table.name),
            )?;
        }
    }
    Ok(count)
}

/// How many of mipset's dispatch rules reference each shard of `family`
/// (each references every shard once).
pub fn dispatch_count(backend: &Backend, family: &FamilySpec) -> Result<u32> {
    let found = list(backend, family.family, Some(&family.name), &[])?;
    Ok(found
        .iter()
        .filter(|i| i.spec.layout != Layout::Umbrella)
        .count() as u32)
}
