//! `mipset resize`: change a family's shard count (by powers of two) or its
//! maxelem online, with every membership answer correct throughout.
//!
//! The trick is that routing keeps its low bits: with `bits:S` or `hash`,
//! an element's tag among 2N shards, taken modulo N, is its tag among N. So
//! the new shard i (i < N) holds a subset of the old shard i when growing,
//! and a superset when shrinking. The steps, each leaving a consistent
//! family for any reader (who reads the umbrella's metadata, then one shard):
//!
//! 1. grow: create and fill the new shards N..2N-1 (no reader uses them
//!    yet); shrink: rebuild shards 0..N'-1 with their new, larger contents
//!    (readers with the old metadata find everything they look for);
//! 2. replace the umbrella by one with the new metadata, by `swap`ping a
//!    prepared list:set: readers switch from the old to the new routing at
//!    once;
//! 3. grow: rebuild shards 0..N-1 without the elements that moved out
//!    (extra elements in a shard are never consulted, so answers stay
//!    right meanwhile); shrink: destroy the shards past N'.
//!
//! Each rebuild is a temporary set filled and swapped in (atomic per shard).
//! Between steps 2 and 3 of a grow, readers that read the old metadata get
//! a grace period (0.5 s) to finish their lookup. Ctrl-C before step 2
//! undoes step 1 (exit 130); after it the resize finishes. Killed between
//! steps, the family answers correctly; `mipset check --repair` (which re-running
//! resize with the same target also runs) removes what is left over. What
//! may be left over (temporary sets, the second umbrella, shards created or
//! about to be destroyed) is recorded in the umbrella while it exists
//! (`family::leftovers`); nothing else is ever removed.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::addr::Entry;
use crate::bulk;
use crate::bulk::cover::Contents;
use crate::error::{Error, KernelErrorKind, Result};
use crate::family::leftovers;
use crate::kernel::requests::SetKind;
use crate::kernel::{batch, dump, Kernel};
use crate::meta::FamilySpec;
use crate::records::Records;
use crate::route;
use crate::rules::switch::RuleSwitch;

/// What a resize did.
#[derive(Debug, Clone, Serialize)]
pub struct Resized {
    pub family: String,
    pub shards_before: u32,
    pub shards_after: u32,
    pub maxelem_before: u32,
    pub maxelem_after: u32,
    /// Elements read and placed.
    pub elements: usize,
}

/// How long readers of the old metadata get before shards are trimmed.
pub(crate) const GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Create set `name` sized for `contents` and fill it in batched messages.
fn create_filled(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    name: &str,
    contents: &Contents,
) -> Result<()> {
    kernel.create_set(
        name,
        &bulk::apply::replacement_kind(spec, contents.len()),
        false,
    )?;
    let elements = contents.iter().map(|(e, k)| match k {
        Some(d) => batch::Element::from_dumped(d),
        None => batch::Element::plain(*e),
    });
    batch::apply(batch::Op::Add, name, spec.family, true, elements).map(|_| ())
}

/// Replace a shard's contents atomically: a filled temporary set, swapped in.
fn fill_and_swap(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    shard: &str,
    temp: &str,
    contents: &Contents,
) -> Result<()> {
    if let Err(e) = create_filled(kernel, spec, temp, contents) {
        if e.kernel_kind() != Some(KernelErrorKind::SetExists) {
            let _ = kernel.destroy_set(temp);
        }
        return Err(e);
    }
    let swapped = kernel.swap_sets(shard, temp);
    let _ = kernel.destroy_set(temp);
    swapped
}

/// Give shards `range` their placed contents, each by fill and swap. Each
/// temporary set has a free name and is recorded in the umbrella (whose
/// metadata is `live`'s) while it exists.
pub(crate) fn rebuild_shards(
    kernel: &mut Kernel,
    live: &FamilySpec,
    spec: &FamilySpec,
    placed: &[Contents],
    range: std::ops::Range<u32>,
) -> Result<()> {
    let taken = leftovers::set_names(kernel)?;
    let temps = leftovers::free_temps(spec, &taken, range.len())?;
    for (i, temp) in range.zip(temps) {
        let recorded = Records {
            temps: vec![temp.clone()],
            ..Records::default()
        };
        leftovers::record(kernel, live, i, &recorded)?;
        let done = fill_and_swap(
            kernel,
            spec,
            &spec.shard_name(i),
            &temp,
            &placed[i as usize],
        );
        let forgotten = leftovers::record(kernel, live, i, &Records::default());
        done?;
        forgotten?;
    }
    Ok(())
}

/// Growing, step 1: create and fill shards `from..` of `new`, and make sure
/// the rules will accept the new chains (which name those shards).
fn grow_shards(
    kernel: &mut Kernel,
    new: &FamilySpec,
    placed: &[Contents],
    from: u32,
    rules: &RuleSwitch,
) -> Result<()> {
    for j in from..new.shards {
        create_filled(kernel, new, &new.shard_name(j), &placed[j as usize])?;
    }
    rules.test(new)
}

/// Say that a refused resize changed nothing (it had not, or it put back
/// what it did), unless the error says otherwise.
fn nothing_changed(e: Error) -> Error {
    match e {
        Error::Kernel { kind, message } if !message.contains("nothing was changed") => {
            Error::kernel(kind, format!("{message}; nothing was changed"))
        }
        other => other,
    }
}

/// Create the umbrella for `new` as `temp` and swap it in (the old
/// umbrella is then `temp`). Its first member records `first` (the old
/// umbrella, and shards a shrink is about to destroy).
fn swap_umbrella(kernel: &mut Kernel, new: &FamilySpec, temp: &str, first: &Records) -> Result<()> {
    let prepared = (|| {
        kernel.create_set(
            temp,
            &SetKind::List {
                size: new.shards.max(8),
            },
            false,
        )?;
        for i in 0..new.shards {
            let none = Records::default();
            let records = if i == 0 { first } else { &none };
            let comment = leftovers::member_comment(new, i, records);
            kernel.add_member(temp, &new.shard_name(i), &comment, false)?;
        }
        Ok(())
    })();
    if let Err(e) = prepared {
        let _ = kernel.destroy_set(temp);
        return Err(e);
    }
    if let Err(e) = kernel.swap_sets(&new.name, temp) {
        let _ = kernel.destroy_set(temp);
        return Err(e);
    }
    Ok(())
}

/// A grow whose rules could not follow the new umbrella: swap the old
/// umbrella back (it is `temp`), give readers of the new metadata the grace
/// period, and destroy the new shards. `e` is why.
fn ungrow(kernel: &mut Kernel, old: &FamilySpec, new: &FamilySpec, temp: &str, e: Error) -> Error {
    if let Err(back) = kernel.swap_sets(&old.name, temp) {
        return Error::Partial(format!(
            "{e}; swapping the old umbrella of {} back failed too ({back}); run `mipset resize {} --shards {}` again",
            old.name, old.name, new.shards
        ));
    }
    // Readers of the new metadata get the grace period; then the prepared
    // umbrella (now `temp`) and the new shards go, as recorded.
    std::thread::sleep(GRACE);
    if let Err(clean) = leftovers::clean(kernel, old) {
        return Error::Partial(format!(
            "{e}; the family is back to {} shards, but removing the new ones failed ({clean}); `mipset check --repair {}` removes them",
            old.shards, old.name
        ));
    }
    nothing_changed(e)
}

/// A shrink that failed after shards `0..n_new` were rebuilt with their
/// larger contents (and the rules are back on the old shards): give those
/// shards their old contents again. `e` is why.
fn unshrink(
    kernel: &mut Kernel,
    old: &FamilySpec,
    placed: &[Contents],
    n_new: u32,
    e: Error,
) -> Error {
    if matches!(e, Error::Partial(_)) {
        // The rules did not go back; the larger shards serve them.
        return e;
    }
    let before: Vec<Contents> = (0..n_new)
        .map(|i| {
            placed[i as usize]
                .iter()
                .filter(|(entry, _)| {
                    route::shards_for(entry, old.shards, old.routing).any(|s| s == i)
                })
                .cloned()
                .collect()
        })
        .collect();
    match rebuild_shards(kernel, old, old, &before, 0..n_new) {
        Ok(()) => nothing_changed(e),
        Err(back) => Error::Partial(format!(
            "{e}; shards of {} keep extra elements (answers stay right; `mipset check --repair {}` removes them): {back}",
            old.name, old.name
        )),
    }
}

/// Resize family `old` to `new` (same name, type, family and routing).
pub fn resize(
    kernel: &mut Kernel,
    old: &FamilySpec,
    new: &FamilySpec,
    rules: &RuleSwitch,
) -> Result<Resized> {
    let (n_old, n_new) = (old.shards, new.shards);
    // Read everything once, then place it under the new routing.
    let extensions = old.has_extensions();
    let mut placed: Vec<Contents> = vec![Vec::new(); n_new as usize];
    let mut elements = 0usize;
    let mut seen: HashSet<Entry> = HashSet::new();
    for i in 0..n_old {
        dump::dump_set(&old.shard_name(i), |e| {
            // A network stored in several shards is placed once.
            if !seen.insert(e.entry) {
                return;
            }
            elements += 1;
            let entry = e.entry;
            let kept: bulk::plan::Kept = extensions.then(|| Box::new(e));
            for j in route::shards_for(&entry, n_new, new.routing) {
                placed[j as usize].push((entry, kept.clone()));
            }
        })?;
    }
    drop(seen);
    if bulk::cover::is_covering(old) {
        // Each new shard holds exactly its tag's addresses, reduced again:
        // a piece of an old shard may span several new ones.
        placed = bulk::cover::placements(old, new)?.1;
        elements = placed.iter().map(Vec::len).sum();
    }
    if let Some((j, elements)) = bulk::cover::over_maxelem(&placed, new.maxelem) {
        return Err(Error::kernel(
            KernelErrorKind::Full,
            format!(
                "after resizing, shard {} would hold {} elements but maxelem per shard would be {}; nothing was changed (use more --shards or a larger --maxelem)",
                new.shard_name(j),
                elements,
                new.maxelem
            ),
        ));
    }
    // What a killed earlier run recorded and left goes first.
    leftovers::clean(kernel, old)?;
    let headers: BTreeMap<String, crate::listing::SetInfo> = kernel
        .list_headers(None)?
        .into_iter()
        .map(|h| (h.name.clone(), h))
        .collect();
    // New shard names past the old count must be free: a set there that
    // the family's metadata does not record is someone else's.
    for j in n_old..n_new {
        let name = new.shard_name(j);
        if headers.contains_key(&name) {
            return Err(Error::kernel(
                KernelErrorKind::SetExists,
                format!("set {name} exists and is not recorded as part of family {}: it is not mipset's; rename or remove it; nothing was changed", new.name),
            ));
        }
    }
    // Shrinking destroys shards N'..N-1 at the end: refuse now if anything
    // but the umbrella uses them.
    for i in n_new..n_old {
        let name = old.shard_name(i);
        if headers
            .get(&name)
            .is_some_and(|h| h.references > 1 + rules.own_references)
        {
            return Err(Error::kernel(
                KernelErrorKind::InUse,
                format!("shard {name} is used by an iptables rule (not mipset's) or another set, and shrinking would destroy it; nothing was changed"),
            ));
        }
    }
    // The second umbrella gets a free name; it and the shards a grow
    // creates are recorded in the umbrella before they exist.
    let taken = headers.keys().cloned().collect();
    let umbrella_temp = leftovers::free_temps(new, &taken, 1)?.remove(0);
    let extra = (n_new > n_old).then_some((n_old, n_new));
    let before_swap = Records {
        umbrella: Some(umbrella_temp.clone()),
        extra,
        ..Records::default()
    };
    crate::interrupt::check()?;
    leftovers::record(kernel, old, 0, &before_swap)?;
    // A refusal before the umbrella swap undoes what is recorded.
    let undo = |kernel: &mut Kernel, e: Error| {
        match leftovers::clean(kernel, old) {
        Ok(_) => e,
        Err(clean) => Error::Partial(format!(
            "{e}; removing what this resize made failed too ({clean}); `mipset check --repair {}` removes it",
            old.name
        )),
    }
    };

    // Step 1, and whether the rules will follow. Until every rule and the
    // umbrella have moved, a failure puts back what was done: the family
    // and its rules are as before, or all of it moves.
    if n_new > n_old {
        if let Err(e) = grow_shards(kernel, new, &placed, n_old, rules) {
            return Err(nothing_changed(undo(kernel, e)));
        }
    } else if n_new < n_old {
        if let Err(e) = rules.test(new) {
            return Err(nothing_changed(undo(kernel, e)));
        }
        rebuild_shards(kernel, old, new, &placed, 0..n_new)?;
        // Dispatch rules stop using the shards that are going away.
        if let Err(e) = rules.switch(new, old) {
            return Err(unshrink(kernel, old, &placed, n_new, e));
        }
    }
    // Interrupted here (Ctrl-C during step 1), undo step 1: the exit table
    // promises that a change in progress is undone.
    if crate::interrupt::pending() {
        let stopped = Error::Interrupted(format!(
            "the resize of {} to {n_new} shards was undone; nothing was changed",
            old.name
        ));
        return Err(if n_new > n_old {
            undo(kernel, stopped)
        } else {
            let e = match rules.switch(old, new) {
                Ok(_) => stopped,
                Err(back) => Error::Partial(format!("interrupted; {back}")),
            };
            let e = undo(kernel, e);
            unshrink(kernel, old, &placed, n_new, e)
        });
    }

    // Step 2: the umbrella with the new metadata, swapped in.
    let after_swap = Records {
        umbrella: Some(umbrella_temp.clone()),
        extra: (n_new < n_old).then_some((n_new, n_old)),
        ..Records::default()
    };
    if let Err(e) = swap_umbrella(kernel, new, &umbrella_temp, &after_swap) {
        let e = undo(kernel, e);
        return Err(if n_new < n_old {
            let e = match rules.switch(old, new) {
                Ok(_) => e,
                Err(back) => Error::Partial(format!("{e}; {back}")),
            };
            unshrink(kernel, old, &placed, n_new, e)
        } else {
            nothing_changed(e)
        });
    }
    if n_new > n_old {
        // Dispatch rules follow the umbrella to the new routing; if they
        // cannot, the umbrella goes back (the old one is the temporary).
        if let Err(e) = rules.switch(new, old) {
            return Err(ungrow(kernel, old, new, &umbrella_temp, e));
        }
    }
    // The old umbrella (now the temp) still references the old shards.
    kernel.destroy_set(&umbrella_temp)?;
    if n_new < n_old {
        // A reader that read the old metadata may still be about to look in
        // a shard past the new count: give it the grace period first.
        std::thread::sleep(GRACE);
        for i in n_new..n_old {
            kernel.destroy_set(&old.shard_name(i))?;
        }
    }
    leftovers::record(kernel, new, 0, &Records::default())?;
    // A reader that read the old metadata just before the swap still looks
    // in the old shard for an element; give such readers time to finish
    // before that shard loses it (one lookup takes microseconds).
    if n_new > n_old {
        std::thread::sleep(GRACE);
    }

    // Step 3.
    if n_new >= n_old {
        rebuild_shards(kernel, new, new, &placed, 0..n_old)?;
    }
    Ok(Resized {
        family: new.name.clone(),
        shards_before: n_old,
        shards_after: n_new,
        maxelem_before: old.maxelem,
        maxelem_after: new.maxelem,
        elements,
    })
}
