//! `mipset rule add|del|check|list`: the iptables rules that match a family.

use serde_json::json;

use crate::addr::AddrFamily;
use crate::cli::rule::RuleArgs;
use crate::cli::rule::RuleCommand;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::naming::check_family_name;
use crate::output::sink::Out;
use crate::output::tables;
use crate::route::Routing;
use crate::rules::apply;
use crate::rules::installed::Change;
use crate::rules::iptables::Backend;
use crate::rules::spec::{Layout, LayoutChoice, RuleSpec};
use crate::rules::switch::searched;
use crate::text::plural;

/// The per-packet cost of the umbrella layout, as measured (see
/// docs/BENCHMARKS.md), for the warning `rule add --layout umbrella` prints.
const UMBRELLA_WARNING: &str = "the umbrella layout makes the kernel probe the shards one by one, so a packet that misses costs one set lookup per shard: measured with 1M entries, 16 shards cost about 5 us per packet more than one set (64 shards: 20 us), against 0.1-0.3 us for the default dispatch layout (docs/BENCHMARKS.md)";

/// The rule the arguments name, for family `spec`, and whether any layout
/// will do: `del` and `check` without `--layout` (`for_install` false)
/// match a rule of any layout; `add` installs the layout that
/// [`LayoutChoice::resolve`] allows.
fn rule_spec(
    args: &RuleArgs,
    spec: &FamilySpec,
    note: Option<&str>,
    for_install: bool,
) -> Result<(RuleSpec, bool)> {
    let need = |value: Option<String>, flag: &str| {
        value.ok_or_else(|| Error::Usage(format!("{flag} is required")))
    };
    let any_layout = args.layout.is_none() && !for_install;
    let layout = match LayoutChoice::resolve(args.layout, spec.routing) {
        // Only a placeholder: any layout matches.
        Err(_) if any_layout => Layout::Umbrella,
        other => other.map_err(|e| {
            Error::Usage(format!("family {}: {e}: add --layout umbrella", spec.name))
        })?,
    };
    let rule = RuleSpec {
        family: spec.name.clone(),
        table: args.table.clone(),
        chain: need(args.chain.clone(), "--chain")?,
        direction: args
            .direction
            .ok_or_else(|| Error::Usage("--match is required".into()))?,
        jump: need(args.jump.clone(), "--jump")?,
        layout,
        note: note.map(str::to_string),
    };
    rule.validate(spec).map_err(Error::Usage)?;
    Ok((rule, any_layout))
}

fn describe(rule: &RuleSpec, spec: &FamilySpec) -> String {
    format!(
        "{} {} -m set {} {} -j {} ({} layout, {} shards)",
        rule.table,
        rule.chain,
        rule.family,
        rule.direction.as_str(),
        rule.jump,
        rule.layout,
        spec.shards
    )
}

pub fn run(cmd: &RuleCommand, out: &mut Out) -> Result<ExitCode> {
    match cmd {
        RuleCommand::Add(args) => {
            let a = &args.rule;
            check_family_name(&a.family)?;
            let mut kernel = Kernel::open()?;
            let spec = family::open::open(&mut kernel, &a.family)?;
            let (rule, _) = rule_spec(a, &spec, args.comment.as_deref(), true)?;
            let backend = Backend::detect(a.backend)?;
            // The cost is stated whenever the umbrella is asked for; the
            // advice depends on whether the family had a choice.
            if rule.layout == Layout::Umbrella {
                out.warn(&format!(
                    "{UMBRELLA_WARNING}. {}",
                    if spec.routing == Routing::Hash {
                        "It is the only layout a hash-routed family allows; a family with bits routing can use dispatch"
                    } else {
                        "This family has bits routing: the default dispatch layout matches it for less"
                    }
                ));
            }
            let change = apply::add(&backend, &rule, &spec, args.position)?;
            let (verb, replaced) = match change {
                Change::Added => ("installed", None),
                Change::Repaired => ("repaired", None),
                Change::Unchanged => ("unchanged", None),
                Change::Replaced(old) => ("replaced", Some(old)),
            };
            out.text(&format!(
                "{verb}{}: {} [iptables {}]\n",
                replaced
                    .map(|old| format!(" the {old} layout with"))
                    .unwrap_or_default(),
                describe(&rule, &spec),
                backend.kind.kernel_name()
            ));
            let mut value = json!({ "result": verb, "rule": rule, "backend": backend });
            if let Some(old) = replaced {
                value["replaced_layout"] = json!(old);
            }
            out.value(&value);
            Ok(ExitCode::Ok)
        }
        RuleCommand::Del(args) => {
            let a = &args.rule;
            check_family_name(&a.family)?;
            let mut kernel = Kernel::open()?;
            let spec = family::open::open(&mut kernel, &a.family)?;
            let rule = if args.all {
                None
            } else {
                Some(rule_spec(a, &spec, None, false)?)
            };
            let mut removed = 0;
            let mut kinds = Vec::new();
            for backend in searched(a.backend)? {
                let n = match &rule {
                    None => apply::del_family(&backend, spec.family, &spec.name)?,
                    Some((rule, any)) => apply::del(&backend, spec.family, rule, *any)?,
                };
                if n > 0 {
                    kinds.push(backend.kind.kernel_name());
                }
                removed += n;
            }
            out.text(&format!(
                "removed {} of family {}{}\n",
                plural(removed as u64, "rule", "rules"),
                spec.name,
                if kinds.is_empty() {
                    String::new()
                } else {
                    format!(" [iptables {}]", kinds.join(", "))
                }
            ));
            out.value(&json!({ "result": "removed", "family": spec.name, "rules": removed }));
            if removed == 0 {
                out.warn(&format!("no such mipset rule for family {}", spec.name));
                return Ok(ExitCode::No);
            }
            Ok(ExitCode::Ok)
        }
        RuleCommand::Check(a) => {
            check_family_name(&a.family)?;
            let mut kernel = Kernel::open()?;
            let spec = family::open::open(&mut kernel, &a.family)?;
            let (rule, any) = rule_spec(a, &spec, None, false)?;
            let mut found = None;
            for backend in searched(a.backend)? {
                if let Some(i) = apply::check(&backend, &rule, &spec, any)? {
                    found = Some(i);
                    break;
                }
            }
            let (state, code) = match &found {
                None => ("absent".to_string(), ExitCode::No),
                Some(i) if i.is_ok() => ("ok".to_string(), ExitCode::Ok),
                Some(i) => (i.state.clone(), ExitCode::No),
            };
            let backend = found.as_ref().map(|i| i.backend.kernel_name());
            // Without --layout the rule's layout is the one found, not the
            // placeholder the search started from.
            let rule = match &found {
                Some(i) if any => RuleSpec {
                    layout: i.spec.layout,
                    ..rule
                },
                _ => rule,
            };
            out.text(&format!(
                "{state}: {}{}\n",
                describe(&rule, &spec),
                backend.map_or(String::new(), |b| format!(" [iptables {b}]"))
            ));
            out.value(&json!({ "result": state, "rule": rule, "backend": backend }));
            if code != ExitCode::Ok && state != "absent" {
                out.warn(&format!(
                    "{state}; `mipset rule add` with the same arguments repairs it"
                ));
            }
            Ok(code)
        }
        RuleCommand::List(a) => {
            let mut kernel = Kernel::open()?;
            let (families, _) = family::open::select(&mut kernel, a.family.as_deref())?;
            let address_families: Vec<AddrFamily> = match (&a.family, families.first()) {
                (Some(_), Some(spec)) => vec![spec.family],
                _ => vec![AddrFamily::Inet, AddrFamily::Inet6],
            };
            let backend = Backend::detect(a.backend)?;
            let mut rules = Vec::new();
            for b in searched(a.backend)? {
                for &af in &address_families {
                    rules.extend(apply::list(&b, af, a.family.as_deref(), &families)?);
                }
            }
            out.text(&format!(
                "iptables backend for new rules: {} ({})\n",
                backend.kind.kernel_name(),
                backend.reason
            ));
            out.text(&tables::rules_table(&rules));
            out.value(&json!({ "backend": backend, "rules": rules }));
            Ok(ExitCode::Ok)
        }
    }
}
