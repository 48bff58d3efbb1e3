//! `mipset check`: is a family what its metadata says, and can it be made so?
//!
//! Finds, in this order: umbrella members missing or out of order, missing
//! shards, shards of the wrong type or address family, leftover temporary
//! sets and resize leftovers (those the umbrella records; sets that only
//! look like them are listed as look-alikes and never touched), elements
//! stored in a shard their routing does not pick, and networks missing from
//! some of the shards they cover. `--repair` fixes
//! what can be fixed without guessing (a shard of the wrong type is only
//! reported: it may be someone else's set).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, KernelErrorKind, Result};
use crate::family;
use crate::family::discover::Discovery;
use crate::family::leftovers;
use crate::family::status::check_shard;
use crate::kernel::{batch, dump, Kernel};
use crate::meta::FamilySpec;
use crate::route;

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What kind of problem: umbrella, missing-shard, wrong-type, temporary,
    /// misplaced, incomplete.
    pub kind: &'static str,
    /// For people.
    pub detail: String,
    /// Whether --repair fixed it.
    pub repaired: bool,
}

/// The result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub family: String,
    pub findings: Vec<Finding>,
    /// Sets named like this family's leftovers that its metadata does not
    /// record: someone else's, reported and left alone (not a problem of
    /// the family).
    pub lookalikes: Vec<String>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.findings.is_empty()
    }

    pub fn unrepaired(&self) -> usize {
        self.findings.iter().filter(|f| !f.repaired).count()
    }
}

fn finding(kind: &'static str, detail: String) -> Finding {
    Finding {
        kind,
        detail,
        repaired: false,
    }
}

/// Check family `name` (and repair it with `repair`).
pub fn check(kernel: &mut Kernel, name: &str, repair: bool) -> Result<Report> {
    let (spec, umbrella_problem) = match family::open::open_any(kernel, name)? {
        Discovery::Family(spec) => (spec, None),
        Discovery::Damaged { spec, problem } => (spec, Some(problem)),
        Discovery::NotFamily(reason) => {
            return Err(Error::NotAFamily {
                name: name.to_string(),
                reason,
            })
        }
    };
    let mut report = Report {
        family: spec.name.clone(),
        findings: Vec::new(),
        lookalikes: Vec::new(),
    };
    let headers = kernel.list_headers(None)?;
    let by_name: BTreeMap<&str, &crate::listing::SetInfo> =
        headers.iter().map(|h| (h.name.as_str(), h)).collect();

    // Shards: missing, or of the wrong kind.
    let mut usable = Vec::new();
    for (i, shard) in spec.shard_names().enumerate() {
        match by_name.get(shard.as_str()) {
            None => {
                let mut f = finding("missing-shard", format!("shard {shard} does not exist"));
                if repair {
                    kernel.create_shard(&spec, &shard)?;
                    f.repaired = true;
                    usable.push(i as u32);
                }
                report.findings.push(f);
            }
            // One rule with list and add: type, address family and the
            // timeout/counters/comment extensions must be the metadata's.
            Some(h) => match check_shard(&spec, h) {
                Ok(()) => usable.push(i as u32),
                Err(e) => report.findings.push(finding(
                    "wrong-type",
                    format!("{e} (not repaired: rename or destroy it by hand)"),
                )),
            },
        }
    }

    // Leftovers a killed load, sync or resize recorded in the umbrella
    // (before an umbrella repair, which rewrites the members' comments).
    // Sets that only look like leftovers are reported, never touched.
    let records = leftovers::recorded(kernel, &spec)?;
    let names: Vec<&str> = headers.iter().map(|h| h.name.as_str()).collect();
    report.lookalikes = leftovers::lookalikes(&spec, &names, &records);
    let mut temporaries = Vec::new();
    if !records.is_empty() {
        let cleaned = if repair {
            leftovers::clean(kernel, &spec)?
        } else {
            leftovers::Cleaned::default()
        };
        let present: Vec<String> = leftovers::recorded_names(&spec, &records)
            .into_iter()
            .filter(|n| by_name.contains_key(n.as_str()))
            .collect();
        for name in &present {
            if cleaned.kept.contains(name) {
                report.lookalikes.push(name.clone());
                continue;
            }
            temporaries.push(Finding {
                kind: "temporary",
                detail: format!("{name} is left over from an interrupted load, sync or resize"),
                repaired: cleaned.destroyed.contains(name),
            });
        }
        if present.is_empty() {
            temporaries.push(Finding {
                kind: "temporary",
                detail: format!(
                    "the umbrella {} still records sets of an interrupted run (they are gone)",
                    spec.name
                ),
                repaired: repair,
            });
        }
    }

    // The umbrella: every shard a member, in order, with its metadata.
    if let Some(problem) = umbrella_problem {
        let mut f = finding("umbrella", problem);
        if repair && report.findings.iter().all(|f| f.kind != "wrong-type") {
            rebuild_umbrella(kernel, &spec)?;
            f.repaired = true;
        }
        report.findings.push(f);
    }

    report.findings.extend(temporaries);

    // Elements: in the shards their routing picks, and in all of them.
    let mut holders: BTreeMap<crate::addr::Entry, (Vec<u32>, crate::listing::Element)> =
        BTreeMap::new();
    for &i in &usable {
        dump::dump_set(&spec.shard_name(i), |e| {
            holders
                .entry(e.entry)
                .or_insert_with(|| (Vec::new(), e))
                .0
                .push(i)
        })?;
    }
    for (entry, (held, element)) in holders {
        // Copies keep the element's timeout, counters, comment and nomatch.
        let copy = |shard: &str| {
            batch::apply(
                batch::Op::Add,
                shard,
                spec.family,
                true,
                [batch::Element::from_dumped(&element)],
            )
        };
        let wanted: Vec<u32> = route::shards_for(&entry, spec.shards, spec.routing).collect();
        let wrong: Vec<u32> = held
            .iter()
            .copied()
            .filter(|s| !wanted.contains(s))
            .collect();
        // A family that stores coverage (`--reduce`) keeps per shard only
        // the pieces of its tag: a network in some of its shards is whole.
        // An element where the routing never looks is still misplaced (and
        // only removed: the shards it routes to cover what they should).
        let covering = crate::bulk::cover::is_covering(&spec);
        let absent: Vec<u32> = wanted
            .iter()
            .copied()
            .filter(|s| !covering && !held.contains(s) && usable.contains(s))
            .collect();
        if !wrong.is_empty() {
            let names: Vec<String> = wrong.iter().map(|&s| spec.shard_name(s)).collect();
            let mut f = finding(
                "misplaced",
                format!(
                    "{entry} is in {} but routes to {}",
                    names.join(" "),
                    spec.shard_name(wanted[0])
                ),
            );
            if repair {
                for &s in &absent {
                    copy(&spec.shard_name(s))?;
                }
                for s in &names {
                    kernel.del(s, spec.set_type, &entry)?;
                }
                f.repaired = true;
            }
            report.findings.push(f);
        } else if !absent.is_empty() {
            let names: Vec<String> = absent.iter().map(|&s| spec.shard_name(s)).collect();
            let mut f = finding(
                "incomplete",
                format!("{entry} is missing from {}", names.join(" ")),
            );
            if repair {
                for s in &names {
                    copy(s)?;
                }
                f.repaired = true;
            }
            report.findings.push(f);
        }
    }
    Ok(report)
}

/// Make the umbrella list exactly the shards, in order, with metadata:
/// flush it and add them again (a list:set match sees an empty umbrella for
/// that moment; dispatch rules, which use the shards, do not notice).
fn rebuild_umbrella(kernel: &mut Kernel, spec: &FamilySpec) -> Result<()> {
    let encoder = spec.encoder();
    let rebuilt = (|| {
        kernel.flush_set(&spec.name)?;
        for (i, shard) in spec.shard_names().enumerate() {
            kernel.add_member(&spec.name, &shard, &encoder.encode(i as u32), false)?;
        }
        Ok(())
    })();
    rebuilt.map_err(|e: Error| {
        Error::kernel(
            e.kernel_kind().unwrap_or(KernelErrorKind::Other),
            format!("{e}"),
        )
    })
}
