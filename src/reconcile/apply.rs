//! One apply of one family: create it if missing, check and repair it,
//! sync it from its list, install or repair its rules; each step as the
//! matching mipset command does it, under the node lock.

use std::time::Duration;

use super::config::Desired;
use crate::bulk;
use crate::error::{Error, Result};
use crate::family;
use crate::family::create::describe_difference;
use crate::family::discover::Discovery;
use crate::interrupt;
use crate::kernel::Kernel;
use crate::listfile;
use crate::lock::{NodeLock, Wait};
use crate::rules::apply;
use crate::rules::installed::Change;
use crate::rules::iptables::Backend;
use crate::source;

/// What one apply did.
#[derive(Debug, Default)]
pub struct Applied {
    pub created: bool,
    pub adds: usize,
    pub dels: usize,
    pub repairs: usize,
    pub rules_added: usize,
    pub rules_repaired: usize,
}

pub fn apply_family(
    kernel: &mut Kernel,
    d: &Desired,
    backend: &Option<Backend>,
) -> Result<Applied> {
    // The list is read and checked before the kernel is touched (and before
    // the node lock is taken, so a slow file system holds up no one else).
    // Only a regular file of bounded size, under the configuration's
    // directory unless allowed elsewhere: the reconciler runs as root, for
    // as long as the node does.
    let within = (!d.allow_outside).then_some(d.base.as_path());
    let input = source::open_regular(&d.source, source::MAX_LIST_BYTES, within)?;
    let list = listfile::read(
        &mut std::io::BufReader::new(input.reader),
        &input.name,
        &d.spec,
    )
    // A read cut short by a signal is a stop, not bad input.
    .map_err(|e| {
        if interrupt::pending() {
            Error::Interrupted(String::new())
        } else {
            e
        }
    })?;
    if list.is_empty() && !d.allow_empty {
        return Err(Error::Usage(format!(
            "{} holds no entries; set allow_empty = true to empty family {}",
            d.source.display(),
            d.spec.name
        )));
    }
    let _lock = NodeLock::acquire(Wait::For(Duration::from_secs(30)))?;
    let mut done = Applied::default();
    // The family as the kernel records it: `--route auto` bits chosen by an
    // earlier fill are its own, not the configuration's placeholder.
    let mut spec = d.spec.clone();
    match family::open::open_any(kernel, &d.spec.name) {
        Ok(Discovery::Family(have)) if have.is_as_wanted(&d.spec) => spec = have,
        Ok(Discovery::Family(have)) if crate::options::is_older_maxelem(&have, &d.spec) => {
            // Made before maxelem meant the whole family in every shard:
            // the same family, with less room per shard. Not resized here.
            eprintln!(
                "mipset: warning: family {} was made with maxelem {} per shard (1/{} of {}); `mipset resize {} --maxelem {}` gives every shard the family's maxelem",
                have.name, have.maxelem, have.shards, d.spec.maxelem, have.name, d.spec.maxelem
            );
            spec = have;
        }
        Ok(Discovery::Family(have)) => {
            return Err(Error::Usage(format!(
                "family {} exists with another definition: {}; change the configuration or resize/recreate it by hand",
                have.name,
                describe_difference(&have, &d.spec)
            )))
        }
        Ok(Discovery::Damaged { problem, .. }) => {
            // check --repair below can fix what it knows; say what it was.
            eprintln!("mipset: warning: family {} was damaged: {problem}", d.spec.name);
        }
        Ok(Discovery::NotFamily(reason)) => {
            return Err(Error::NotAFamily {
                name: d.spec.name.clone(),
                reason,
            })
        }
        Err(Error::NoSuchFamily(_)) => {
            family::create::create(kernel, &d.spec, false)?;
            done.created = true;
        }
        Err(e) => return Err(e),
    }
    let report = crate::check::check(kernel, &d.spec.name, true)?;
    done.repairs += report.findings.iter().filter(|f| f.repaired).count();
    // An empty `--route auto` family takes the bits its list spreads best.
    if let Some((chosen, _)) = crate::reroute::choose(kernel, &spec, &list)? {
        crate::reroute::switch(kernel, &spec, &chosen)?;
        spec = chosen;
    }
    let mode = bulk::plan::Mode::Sync;
    (done.adds, done.dels) = if bulk::cover::is_covering(&spec) {
        bulk::cover::apply_list(kernel, &spec, &list, mode, false)?.1
    } else {
        let plan = bulk::read::plan(kernel, &spec, &list, mode, false)?;
        let (adds, dels, _, _) = plan.totals();
        bulk::apply::apply(kernel, &spec, &plan, false)?;
        (adds, dels)
    };
    if let Some(b) = backend {
        for (rule, position) in &d.rules {
            match apply::add(b, rule, &spec, *position)? {
                Change::Added => done.rules_added += 1,
                Change::Repaired | Change::Replaced(_) => done.rules_repaired += 1,
                Change::Unchanged => {}
            }
        }
    }
    Ok(done)
}
