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
