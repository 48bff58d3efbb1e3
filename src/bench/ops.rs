//! Lookup, insertion and deletion on one set and on a family, measured
//! two ways, the sides interleaved (changing which goes first):
//!
//! * `netlink`: one in-process kernel call through mipset's backend
//!   (`Kernel::test/add/del` on the set; routing plus the same call on the
//!   family): what mipset itself costs;
//! * `exec`: one process per operation, the paper's way, on three sides
//!   holding the same entries: `ipset test|add|del SET ADDR` on one set,
//!   `mipset test|add|del FAMILY ADDR` on a family of one shard (what the
//!   tool costs) and on the N-shard family (what sharding costs); and
//!   `iptables -C` of the rule that matches each (the paper's "policy
//!   evaluation", which checks that a rule exists and never reads the set).
//!
//! Every operation's answer is checked (a hit must be a member, a command
//! must exit as expected); a wrong answer stops the benchmark.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::exec_report::ToolBaseline;
use super::report::Measurement;
use super::stats::{ratio, summarize};
use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};
use crate::family;
use crate::kernel::{AddOptions, Kernel};
use crate::meta::FamilySpec;

/// The sets under test and addresses to use.
pub struct Subjects<'a> {
    /// The single set (same type and address family as the family).
    pub single: &'a str,
    pub family: &'a FamilySpec,
    /// Members of both (lookups that hit).
    pub members: &'a [Entry],
    /// Addresses in neither (lookups that miss; added then deleted).
    pub strangers: &'a [Entry],
}

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub ops: usize,
    pub warmup: usize,
    /// Stop a measurement early after this long.
    pub duration: Option<Duration>,
}

fn wrong(what: String) -> Error {
    Error::kernel(
        KernelErrorKind::Other,
        format!("benchmark answer check failed: {what}"),
    )
}

fn measurement(
    method: &'static str,
    metric: &str,
    operation: &str,
    s: &Subjects,
    single: Vec<f64>,
    multi: Vec<f64>,
    one_shard: Option<Vec<f64>>,
) -> Measurement {
    Measurement {
        tool: one_shard.map(|o| ToolBaseline::new(&single, o, &multi)),
        method,
        metric: metric.into(),
        operation: operation.into(),
        entries: s.members.len(),
        shards: s.family.shards,
        single: summarize(&single),
        multi: summarize(&multi),
        ratio: ratio(&single, &multi),
        samples: (single, multi),
    }
}

/// In-process lookups (hit, miss), insertions and deletions.
pub fn netlink(kernel: &mut Kernel, s: &Subjects, budget: Budget) -> Result<Vec<Measurement>> {
    let t = s.family.set_type;
    let opts = AddOptions::default();
    // [hit, miss, add, del] x [single, multi]
    let mut samples: [[Vec<f64>; 2]; 4] = Default::default();
    let start = Instant::now();
    for round in 0..budget.warmup + budget.ops {
        let hit = &s.members[round % s.members.len()];
        let new = &s.strangers[round % s.strangers.len()];
        let mut times = [[0f64; 2]; 4];
        let first = round % 2;
        for side in [first, 1 - first] {
            let mut timed = |slot: usize,
                             op: &mut dyn FnMut(&mut Kernel) -> Result<bool>,
                             want: bool|
             -> Result<()> {
                let t0 = Instant::now();
                let got = op(kernel)?;
                times[slot][side] = t0.elapsed().as_nanos() as f64;
                if got != want {
                    return Err(wrong(format!(
                        "operation {slot} on side {side} for {hit}/{new}"
                    )));
                }
                Ok(())
            };
            if side == 0 {
                timed(0, &mut |k| k.test(s.single, t, hit), true)?;
                timed(1, &mut |k| k.test(s.single, t, new), false)?;
                timed(2, &mut |k| k.add(s.single, t, new, &opts), true)?;
                timed(3, &mut |k| k.del(s.single, t, new), true)?;
            } else {
                timed(0, &mut |k| family::lookup::test(k, s.family, hit), true)?;
                timed(1, &mut |k| family::lookup::test(k, s.family, new), false)?;
                timed(
                    2,
                    &mut |k| family::add::add_one(k, s.family, new, &opts),
                    true,
                )?;
                timed(3, &mut |k| family::remove::del_one(k, s.family, new), true)?;
            }
        }
        if round >= budget.warmup {
            for (slot, pair) in times.iter().enumerate() {
                samples[slot][0].push(pair[0]);
                samples[slot][1].push(pair[1]);
            }
        }
        if budget.duration.is_some_and(|d| start.elapsed() > d) && round > budget.warmup {
            break;
        }
    }
    let [hit, miss, add, del] = samples;
    let names = [
        ("Lookup Time (hit)", "test a member"),
        ("Lookup Time (miss)", "test a non-member"),
        ("Insertion Time", "add a new address"),
        ("Deletion Time", "delete it again"),
    ];
    Ok([hit, miss, add, del]
        .into_iter()
        .zip(names)
        .map(|([single, multi], (metric, op))| {
            measurement("netlink", metric, op, s, single, multi, None)
        })
        .collect())
}

/// Wall time of one process, spawn to exit, and its exit code.
fn run_timed(program: &Path, args: &[&str]) -> Result<(f64, i32)> {
    let t0 = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| {
            Error::kernel(
                KernelErrorKind::Other,
                format!("cannot run {}: {e}", program.display()),
            )
        })?;
    Ok((t0.elapsed().as_nanos() as f64, status.code().unwrap_or(-1)))
}

/// The programs the exec method runs.
pub struct Programs<'a> {
    pub ipset: &'a Path,
    pub mipset: &'a Path,
    pub iptables: &'a Path,
    /// `iptables -C` arguments of the rule matching the single set, the
    /// one-shard family and the family (after `-C`).
    pub single_rule: Vec<String>,
    pub one_shard_rule: Vec<String>,
    pub family_rule: Vec<String>,
}

/// One process per operation, as the paper measured, on three sides in
/// turn (rotating which goes first): `ipset` on the single set, `mipset`
/// on `one_shard` (a family of one shard holding the same entries) and
/// `mipset` on the family.
pub fn exec(
    s: &Subjects,
    one_shard: &FamilySpec,
    p: &Programs,
    budget: Budget,
) -> Result<Vec<Measurement>> {
    // [hit, miss, add, del, iptables -C] x [single, one shard, multi]
    let mut samples: [[Vec<f64>; 3]; 5] = Default::default();
    let start = Instant::now();
    let warm = budget.warmup.min(5);
    for round in 0..warm + budget.ops {
        let hit = s.members[round % s.members.len()].to_string();
        let new = s.strangers[round % s.strangers.len()].to_string();
        let mut times = [[0f64; 3]; 5];
        for side in (0..3).map(|i| (round + i) % 3) {
            let (program, set, rule) = match side {
                0 => (p.ipset, s.single, &p.single_rule),
                1 => (p.mipset, one_shard.name.as_str(), &p.one_shard_rule),
                _ => (p.mipset, s.family.name.as_str(), &p.family_rule),
            };
            let steps: [(&[&str], i32); 4] = [
                (&["test", set, &hit], 0),
                (&["test", set, &new], 1),
                (&["add", set, &new], 0),
                (&["del", set, &new], 0),
            ];
            for (slot, (args, want)) in steps.iter().enumerate() {
                let (ns, code) = run_timed(program, args)?;
                if code != *want {
                    return Err(wrong(format!(
                        "{} {} exited {code}, expected {want}",
                        program.display(),
                        args.join(" ")
                    )));
                }
                times[slot][side] = ns;
            }
            let mut args: Vec<&str> = vec!["-C"];
            args.extend(rule.iter().map(String::as_str));
            let (ns, code) = run_timed(p.iptables, &args)?;
            if code != 0 {
                return Err(wrong(format!("iptables {} exited {code}", args.join(" "))));
            }
            times[4][side] = ns;
        }
        if round >= warm {
            for (slot, sides) in times.iter().enumerate() {
                for (side, ns) in sides.iter().enumerate() {
                    samples[slot][side].push(*ns);
                }
            }
        }
        if budget.duration.is_some_and(|d| start.elapsed() > d) && round > warm {
            break;
        }
    }
    let names = [
        ("Lookup Time (hit)", "ipset test on one set / mipset test on a family of 1 shard and of N, a member"),
        (
            "Lookup Time (miss)",
            "ipset test on one set / mipset test on a family of 1 shard and of N, a non-member",
        ),
        ("Insertion Time", "ipset add on one set / mipset add on a family of 1 shard and of N"),
        ("Deletion Time", "ipset del on one set / mipset del on a family of 1 shard and of N"),
        (
            "Policy Evaluation Time (iptables -C)",
            "iptables -C of the rule matching each (one set, 1 shard, N shards): checks the rule exists, never reads the set",
        ),
    ];
    Ok(samples
        .into_iter()
        .zip(names)
        .map(|([single, one, multi], (metric, op))| {
            measurement("exec", metric, op, s, single, multi, Some(one))
        })
        .collect())
}
