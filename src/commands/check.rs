//! `mipset check`: is a family (and its rules) what its metadata says.

use serde_json::json;

use crate::cli::bulk::CheckArgs;
use crate::error::Result;
use crate::exit::ExitCode;
use crate::family;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::naming::check_family_name;
use crate::output::sink::Out;
use crate::rules::switch::RuleSwitch;

pub fn run(args: &CheckArgs, out: &mut Out) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    if args.repair {
        interrupt::defer();
    }
    let mut report = crate::check::check(&mut kernel, &args.family, args.repair)?;
    // mipset's rules for the family must match its shards too.
    if let Ok(spec) = family::open::open(&mut kernel, &args.family) {
        let rules = RuleSwitch::prepare(&mut kernel, &spec)?;
        for (detail, repaired) in rules.check(&spec, args.repair)? {
            report.findings.push(crate::check::Finding {
                kind: "rule",
                detail,
                repaired,
            });
        }
    }
    let mut text = String::new();
    if report.healthy() {
        text.push_str(&format!("family {} is healthy\n", report.family));
    }
    for f in &report.findings {
        text.push_str(&format!(
            "{}: {}{}\n",
            f.kind,
            f.detail,
            if f.repaired { " (repaired)" } else { "" }
        ));
    }
    for name in &report.lookalikes {
        text.push_str(&format!(
            "look-alike: {name} is named like a leftover of family {} but its metadata does not record it: not mipset's, not touched\n",
            report.family
        ));
    }
    out.text(&text);
    out.value(&json!(report));
    Ok(
        if report.healthy() || (args.repair && report.unrepaired() == 0) {
            ExitCode::Ok
        } else if args.repair {
            ExitCode::Partial
        } else {
            ExitCode::No
        },
    )
}
