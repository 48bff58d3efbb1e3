//! `mipset create`, `destroy` and `flush`: a family's life cycle.

use serde_json::json;

use crate::cli::family::{CreateArgs, DestroyArgs};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family;
use crate::family::create::Created;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::meta::FamilySpec;
use crate::naming::check_family_name;
use crate::options;
use crate::output::sink::Out;
use crate::rules::iptables::Backend;
use crate::rules::switch::remove_family_rules;
use crate::text::plural;

fn shard_range(spec: &FamilySpec) -> String {
    if spec.shards == 1 {
        spec.shard_name(0)
    } else {
        format!(
            "{}..{}",
            spec.shard_name(0),
            spec.shard_name(spec.shards - 1)
        )
    }
}

pub fn create(args: &CreateArgs, out: &mut Out) -> Result<ExitCode> {
    let spec = options::family_spec(&args.options())?;
    let mut kernel = Kernel::open()?;
    interrupt::defer();
    let created = family::create::create(&mut kernel, &spec, args.exist)?;
    let verb = match created {
        Created::New => "created",
        Created::AlreadyThere => "unchanged",
    };
    out.text(&format!(
        "{verb} family {}: {} ({}), {} {}, routing {}, maxelem {} per shard{}\n",
        spec.name,
        plural(u64::from(spec.shards), "shard", "shards"),
        shard_range(&spec),
        spec.set_type,
        spec.family,
        if spec.route_auto {
            format!("auto ({} until a list fills it)", spec.routing)
        } else {
            spec.routing.to_string()
        },
        spec.maxelem,
        match spec.reduce {
            crate::prefix::levels::Reduce::Off => String::new(),
            r => format!(", reduce {r}"),
        }
    ));
    out.value(&json!({ "result": verb, "family": spec.name, "definition": spec }));
    Ok(ExitCode::Ok)
}

pub fn destroy(args: &DestroyArgs, out: &mut Out) -> Result<ExitCode> {
    check_family_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let removed = if args.rules {
        remove_family_rules(&mut kernel, &args.family, args.backend)?
    } else {
        0
    };
    if removed > 0 {
        out.warn(&format!(
            "removed {} of family {}",
            plural(removed as u64, "mipset rule", "mipset rules"),
            args.family
        ));
    }
    let (spec, left) = match family::destroy::destroy(&mut kernel, &args.family, args.force) {
        Err(e) if e.kernel_kind() == Some(crate::error::KernelErrorKind::InUse) && !args.rules => {
            // Say so if some of the users are mipset's own rules.
            let own = Backend::detect(args.backend)
                .and_then(|b| {
                    let af = family::open::open(&mut kernel, &args.family)?.family;
                    crate::rules::apply::list(&b, af, Some(&args.family), &[])
                })
                .map_or(0, |r| r.iter().filter(|i| i.is_ours()).count());
            if own == 0 {
                return Err(e);
            }
            return Err(Error::kernel(
                crate::error::KernelErrorKind::InUse,
                format!(
                    "{e}; {} (`mipset rule list {}`); `mipset destroy --rules {}` removes them first",
                    plural(own as u64, "of the users is a mipset rule", "of the users are mipset rules"),
                    args.family,
                    args.family
                ),
            ));
        }
        other => other?,
    };
    if !left.is_empty() {
        out.warn(&format!(
            "left {} alone: named like shards but neither in the umbrella nor {} {} sets",
            left.join(" "),
            spec.set_type,
            spec.family
        ));
    }
    out.text(&format!(
        "destroyed family {} ({} shards)\n",
        spec.name, spec.shards
    ));
    out.value(&json!({ "result": "destroyed", "family": spec.name, "shards": spec.shards }));
    Ok(ExitCode::Ok)
}

pub fn flush(name: &str, out: &mut Out) -> Result<ExitCode> {
    check_family_name(name)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open::open(&mut kernel, name)?;
    family::remove::flush(&mut kernel, &spec)?;
    out.text(&format!(
        "flushed family {} ({} shards)\n",
        spec.name, spec.shards
    ));
    out.value(&json!({ "result": "flushed", "family": spec.name }));
    Ok(ExitCode::Ok)
}
