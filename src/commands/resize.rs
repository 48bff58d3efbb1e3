//! `mipset resize`: a new shard count or maxelem, online.

use serde_json::json;

use crate::cli::bulk::ResizeArgs;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::naming::check_family_name;
use crate::options;
use crate::output::sink::Out;
use crate::route;
use crate::rules::switch::RuleSwitch;
use crate::text::plural;

pub fn run(args: &ResizeArgs, out: &mut Out) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let old = family::open::open(&mut kernel, &args.family)?;
    if let Some(route) = &args.route {
        return reroute(&mut kernel, args, &old, route, out);
    }
    let shards = args.shards.unwrap_or(old.shards);
    route::validate(shards, old.routing, old.set_type, old.family).map_err(Error::Usage)?;
    let new = FamilySpec {
        shards,
        maxelem: args.maxelem.unwrap_or(old.maxelem),
        hashsize: options::per_shard_hashsize(old.hashsize.saturating_mul(old.shards), shards),
        ..old.clone()
    };
    let rules = RuleSwitch::prepare(&mut kernel, &old)?;
    if new == old {
        // Finish an interrupted resize: remove leftovers, trim shards, and
        // bring dispatch rules to the family's shard count.
        interrupt::defer();
        rules.switch(&old, &old)?;
        let report = crate::check::check(&mut kernel, &old.name, true)?;
        out.text(&format!(
            "family {} already has {} shards of maxelem {}{}\n",
            old.name,
            old.shards,
            old.maxelem,
            if report.healthy() {
                String::new()
            } else {
                format!(
                    "; repaired {} leftovers of an earlier run",
                    report.findings.len()
                )
            }
        ));
        return Ok(if report.unrepaired() == 0 {
            ExitCode::Ok
        } else {
            ExitCode::Partial
        });
    }
    interrupt::defer();
    let resized = crate::resize::resize(&mut kernel, &old, &new, &rules)?;
    out.text(&format!(
        "resized family {}: {} -> {} shards, maxelem per shard {} -> {}, {} placed\n",
        resized.family,
        resized.shards_before,
        resized.shards_after,
        resized.maxelem_before,
        resized.maxelem_after,
        plural(resized.elements as u64, "element", "elements")
    ));
    out.value(&json!({ "result": "resized", "resize": resized }));
    Ok(ExitCode::Ok)
}

/// `resize --route`: the family re-routed online (see
/// `crate::reroute::reroute_online`).
fn reroute(
    kernel: &mut Kernel,
    args: &ResizeArgs,
    old: &FamilySpec,
    route: &str,
    out: &mut Out,
) -> Result<ExitCode> {
    if args.shards.is_some_and(|n| n != old.shards) {
        return Err(Error::Usage(
            "--route and --shards: change one at a time (resize, then re-route)".into(),
        ));
    }
    let base = FamilySpec {
        maxelem: args.maxelem.unwrap_or(old.maxelem),
        ..old.clone()
    };
    let new = if route == "auto" {
        if old.set_type != crate::addr::SetType::HashNet {
            return Err(Error::Usage(
                "--route auto is for hash:net families; hash:ip takes bits:S or hash".into(),
            ));
        }
        let list = crate::reroute::contents_as_list(old)?;
        let chosen = crate::reroute::choose_for(&base, &list)?;
        FamilySpec {
            routing: chosen.map_or(old.routing, |(spec, _)| spec.routing),
            route_auto: true,
            ..base
        }
    } else {
        let routing: crate::route::Routing = route.parse().map_err(Error::Usage)?;
        route::validate(old.shards, routing, old.set_type, old.family).map_err(Error::Usage)?;
        let new = FamilySpec {
            routing,
            route_auto: false,
            ..base
        };
        new.check_reduce().map_err(Error::Usage)?;
        new
    };
    if new.maxelem != old.maxelem {
        return Err(Error::Usage(
            "--route and --maxelem: change one at a time (resize --maxelem, then --route)".into(),
        ));
    }
    let rules = RuleSwitch::prepare(kernel, old)?;
    interrupt::defer();
    let elements = if new.routing == old.routing {
        if new != *old {
            crate::kernel::create::recomment_family(&new)?;
        }
        0
    } else {
        crate::reroute::reroute_online(kernel, old, &new, &rules)?
    };
    out.text(&format!(
        "re-routed family {}: {} -> {}{}, {} placed\n",
        new.name,
        old.routing,
        new.routing,
        if new.route_auto { " (auto)" } else { "" },
        plural(elements as u64, "element", "elements")
    ));
    out.value(&json!({
        "result": "rerouted",
        "family": new.name,
        "routing_before": old.routing,
        "routing_after": new.routing,
        "route_auto": new.route_auto,
        "elements": elements,
    }));
    Ok(ExitCode::Ok)
}
