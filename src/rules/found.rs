//! Finding mipset's rules in a saved table (pure): which rules are
//! mipset's (comment and target both as mipset plans them), their dispatch
//! chains and state against the family, foreign rules that only carry a
//! mipset-like comment, and dispatch chains orphaned by a rule deleted by
//! hand.

use super::installed::{BackendKind, Installed};
use super::plan::{plan, umbrella_rule, Plan};
use super::save::{comment_of, SavedTable};
use super::spec::{parse_comment, Layout, RuleSpec, CHAIN_PREFIX};
use crate::meta::FamilySpec;

/// Whether a rule carrying `spec`'s comment is mipset's: a dispatch rule
/// jumps to the chain mipset names for it ([`RuleSpec::base_chain`]); an
/// umbrella rule is exactly the one mipset plans. Anything else only looks
/// like mipset's and is never changed.
pub fn owns(spec: &RuleSpec, args: &str) -> bool {
    if spec.layout == Layout::Umbrella {
        args == umbrella_rule(spec)
    } else {
        args.rsplit_once(" -j ")
            .is_some_and(|(_, target)| target == spec.base_chain())
    }
}

/// Dispatch chains that belong to a rule with base chain `base`.
pub fn chains_of(table: &SavedTable, base: &str) -> Vec<String> {
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
pub fn find(
    tables: &[SavedTable],
    family: Option<&str>,
    families: &[FamilySpec],
) -> Vec<Installed> {
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
                if !owns(&spec, &rule.args) {
                    found.push(foreign(spec, i + 1, rule.packets, &rule.args));
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
                    foreign: false,
                    args: rule.args.clone(),
                });
            }
        }
        found.extend(orphans(table, family));
    }
    found
}

/// A rule that carries a mipset comment but not mipset's target: reported,
/// never changed.
fn foreign(spec: RuleSpec, position: usize, packets: u64, args: &str) -> Installed {
    let want = if spec.layout == Layout::Umbrella {
        "is not the rule mipset installs for it".to_string()
    } else {
        format!("does not jump to mipset's chain {}", spec.base_chain())
    };
    Installed {
        state: format!(
            "foreign: carries a mipset comment for family {} but {want}; mipset leaves it alone",
            spec.family
        ),
        spec,
        position,
        packets,
        matched_packets: 0,
        matched_bytes: 0,
        chains: Vec::new(),
        backend: BackendKind::Nft,
        orphan: false,
        foreign: true,
        args: args.to_string(),
    }
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
            foreign: false,
            args: String::new(),
        });
    }
    out
}
