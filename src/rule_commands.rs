//! `mipset rule add|del|check|list`, and the rule side of `destroy --rules`
//! and `resize`.

use serde_json::json;

use crate::addr::AddrFamily;
use crate::cli::{RuleArgs, RuleCommand};
use crate::commands::Out;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::naming;
use crate::output;
use crate::route::Routing;
use crate::rules::apply::{self, Change};
use crate::rules::iptables::{Backend, BackendKind};
use crate::rules::{Direction, Layout, RuleSpec};

/// The per-packet cost of the umbrella layout, as measured (see
/// docs/BENCHMARKS.md), for the warning `rule add --layout umbrella` prints.
const UMBRELLA_WARNING: &str = "the umbrella layout makes the kernel probe the shards one by one, so a packet that misses costs one set lookup per shard: measured with 1M entries, 16 shards cost about 5 us per packet more than one set (64 shards: 20 us), against 0.1-0.3 us for the default dispatch layout (docs/BENCHMARKS.md). Use it only for hash-routed families";

/// The backends to search for existing rules: the one `--backend` names,
/// else every backend present (see [`Backend::present`]).
pub fn searched(flag: Option<&str>) -> Result<Vec<Backend>> {
    match flag {
        Some(_) => Ok(vec![backend(flag)?]),
        None => Backend::present(),
    }
}

pub fn backend(flag: Option<&str>) -> Result<Backend> {
    let forced = flag
        .map(|f| f.parse::<BackendKind>().map_err(Error::Usage))
        .transpose()?;
    Backend::detect(forced)
}

/// The rule the arguments name, for family `spec`; `layout` None for
/// "any" (del/check without --layout).
fn rule_spec(args: &RuleArgs, spec: &FamilySpec, note: Option<&str>) -> Result<(RuleSpec, bool)> {
    let need = |value: &Option<String>, flag: &str| {
        value
            .clone()
            .ok_or_else(|| Error::Usage(format!("{flag} is required")))
    };
    let any_layout = args.layout.is_none();
    let layout = match args.layout.as_deref() {
        None | Some("dispatch") => match spec.routing {
            Routing::Hash if any_layout => Layout::Umbrella,
            _ => Layout::dispatch(),
        },
        Some(other) => other.parse().map_err(Error::Usage)?,
    };
    let rule = RuleSpec {
        family: spec.name.clone(),
        table: args.table.clone(),
        chain: need(&args.chain, "--chain")?,
        direction: need(&args.direction, "--match")?
            .parse::<Direction>()
            .map_err(Error::Usage)?,
        jump: need(&args.jump, "--jump")?,
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
            naming::validate_family_name(&a.family).map_err(Error::Usage)?;
            let mut kernel = Kernel::open()?;
            let spec = family::open(&mut kernel, &a.family)?;
            if a.layout.is_none() && spec.routing == Routing::Hash {
                return Err(Error::Usage(format!(
                    "family {} uses hash routing, which no header match can follow: add --layout umbrella (and see its cost in `mipset rule --help`)",
                    spec.name
                )));
            }
            let (rule, _) = rule_spec(a, &spec, args.comment.as_deref())?;
            let backend = backend(a.backend.as_deref())?;
            if rule.layout == Layout::Umbrella {
                out.warn(UMBRELLA_WARNING);
            }
            let change = apply::add(&backend, &rule, &spec, args.position)?;
            let verb = match change {
                Change::Added => "installed",
                Change::Repaired => "repaired",
                Change::Unchanged => "unchanged",
            };
            out.text(&format!(
                "{verb}: {} [iptables {}]\n",
                describe(&rule, &spec),
                backend.kind.kernel_name()
            ));
            out.value(&json!({ "result": verb, "rule": rule, "backend": backend }));
            Ok(ExitCode::Ok)
        }
        RuleCommand::Del(args) => {
            let a = &args.rule;
            naming::validate_family_name(&a.family).map_err(Error::Usage)?;
            let mut kernel = Kernel::open()?;
            let spec = family::open(&mut kernel, &a.family)?;
            let rule = if args.all {
                None
            } else {
                Some(rule_spec(a, &spec, None)?)
            };
            let mut removed = 0;
            let mut kinds = Vec::new();
            for backend in searched(a.backend.as_deref())? {
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
                family::plural(removed as u64, "rule", "rules"),
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
            naming::validate_family_name(&a.family).map_err(Error::Usage)?;
            let mut kernel = Kernel::open()?;
            let spec = family::open(&mut kernel, &a.family)?;
            let (rule, any) = rule_spec(a, &spec, None)?;
            let mut found = None;
            for backend in searched(a.backend.as_deref())? {
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
            let (families, _) = family::discover_all(&mut kernel)?;
            let address_families: Vec<AddrFamily> = match &a.family {
                Some(name) => {
                    naming::validate_family_name(name).map_err(Error::Usage)?;
                    vec![family::open(&mut kernel, name)?.family]
                }
                None => vec![AddrFamily::Inet, AddrFamily::Inet6],
            };
            let backend = backend(a.backend.as_deref())?;
            let mut rules = Vec::new();
            for b in searched(a.backend.as_deref())? {
                for &af in &address_families {
                    rules.extend(apply::list(&b, af, a.family.as_deref(), &families)?);
                }
            }
            out.text(&format!(
                "iptables backend for new rules: {} ({})\n",
                backend.kind.kernel_name(),
                backend.reason
            ));
            out.text(&output::rules_table(&rules));
            out.value(&json!({ "backend": backend, "rules": rules }));
            Ok(ExitCode::Ok)
        }
    }
}

/// For `destroy --rules`: remove mipset's rules of family `name`.
pub fn remove_family_rules(
    kernel: &mut Kernel,
    name: &str,
    backend_flag: Option<&str>,
) -> Result<usize> {
    let spec = match family::open_any(kernel, name)? {
        family::Discovery::Family(spec) | family::Discovery::Damaged { spec, .. } => spec,
        family::Discovery::NotFamily(reason) => {
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

    /// Rewrite the dispatch chains for `spec`'s shards; how many rules.
    pub fn switch(&self, spec: &FamilySpec) -> Result<usize> {
        let mut n = 0;
        for b in &self.backends {
            n += apply::refresh(b, spec)?;
        }
        Ok(n)
    }

    /// For `check`: mipset rules of the family that are stale, damaged or
    /// orphaned, as (description, repaired); with `repair`, dispatch
    /// chains are rewritten.
    pub fn check(&self, spec: &FamilySpec, repair: bool) -> Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        for backend in &self.backends {
            let bad: Vec<apply::Installed> = apply::list(
                backend,
                spec.family,
                Some(&spec.name),
                std::slice::from_ref(spec),
            )?
            .into_iter()
            .filter(|i| !i.is_ok())
            .collect();
            let refreshed = !bad.is_empty()
                && repair
                && apply::refresh(backend, spec).is_ok()
                && apply::remove_orphans(backend, spec.family, &spec.name).is_ok();
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
