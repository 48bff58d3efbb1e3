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
//! a grace period (0.5 s) to finish their lookup. Interrupted between steps,
//! the family answers correctly; `mipset check --repair` (which re-running
//! resize with the same target also runs) removes what is left over.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::addr::Entry;
use crate::bulk;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{batch, dump, Kernel};
use crate::meta::FamilySpec;
use crate::naming;
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

type Contents = Vec<(Entry, bulk::plan::Kept)>;

/// How long readers of the old metadata get before shards are trimmed.
const GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Create set `name` sized for `contents` and fill it in batched messages.
fn create_filled(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    name: &str,
    contents: &Contents,
) -> Result<()> {
    kernel.exec(
        &format!("create {name}"),
        name,
        &format!(
            "create {name} {}",
            bulk::apply::create_args(spec, contents.len())
        ),
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

/// Give shards `range` their placed contents, each by fill and swap.
fn rebuild_shards(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    placed: &[Contents],
    range: std::ops::Range<u32>,
) -> Result<()> {
    for i in range {
        let (shard, temp) = (spec.shard_name(i), naming::temp_name(&spec.name, i));
        fill_and_swap(kernel, spec, &shard, &temp, &placed[i as usize])?;
    }
    Ok(())
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
    if let Some((j, c)) = placed
        .iter()
        .enumerate()
        .find(|(_, c)| c.len() > new.maxelem as usize)
    {
        return Err(Error::kernel(
            KernelErrorKind::Full,
            format!(
                "after resizing, shard {} would hold {} elements but maxelem per shard would be {}; nothing was changed (use more --shards or a larger --maxelem)",
                new.shard_name(j as u32),
                c.len(),
                new.maxelem
            ),
        ));
    }
    let headers: BTreeMap<String, crate::listing::SetInfo> = kernel
        .list_headers(None)?
        .into_iter()
        .map(|h| (h.name.clone(), h))
        .collect();
    // New shard names past the old count must be free, or leftovers of an
    // interrupted resize (same kind, unreferenced), which are replaced.
    for j in n_old..n_new {
        let name = new.shard_name(j);
        if let Some(h) = headers.get(&name) {
            let same_kind = h.set_type == new.set_type.as_str()
                && h.header.get("family").map(String::as_str) == Some(new.family.as_str());
            if !same_kind || h.references > 0 {
                return Err(Error::kernel(
                    KernelErrorKind::SetExists,
                    format!("set {name} exists and is not a leftover of this family; nothing was changed"),
                ));
            }
            kernel.destroy_set(&name)?;
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
    let umbrella_temp = naming::temp_name(&new.name, 1024);
    if headers.contains_key(&umbrella_temp) {
        kernel.destroy_set(&umbrella_temp)?;
    }
    crate::interrupt::check()?;

    // Step 1.
    if n_new > n_old {
        for j in n_old..n_new {
            create_filled(kernel, new, &new.shard_name(j), &placed[j as usize])?;
        }
    } else if n_new < n_old {
        rebuild_shards(kernel, new, &placed, 0..n_new)?;
        // Dispatch rules stop using the shards that are going away.
        rules.switch(new)?;
    }
    crate::interrupt::check()?;

    // Step 2: the umbrella with the new metadata, swapped in.
    let encoder = new.encoder();
    let mut script = format!(
        "create {umbrella_temp} list:set size {} comment\n",
        new.shards.max(8)
    );
    for (i, shard) in new.shard_names().enumerate() {
        script.push_str(&format!(
            "add {umbrella_temp} {shard} comment \"{}\"\n",
            encoder.encode(i as u32)
        ));
    }
    kernel.restore(
        &format!("prepare {} for {} shards", new.name, n_new),
        &script,
    )?;
    if let Err(e) = kernel.swap_sets(&new.name, &umbrella_temp) {
        let _ = kernel.destroy_set(&umbrella_temp);
        return Err(e);
    }
    // The old umbrella (now the temp) still references the old shards.
    kernel.destroy_set(&umbrella_temp)?;
    // A reader that read the old metadata just before the swap still looks
    // in the old shard for an element; give such readers time to finish
    // before that shard loses it (one lookup takes microseconds).
    if n_new > n_old {
        // Dispatch rules follow the umbrella to the new routing.
        rules.switch(new)?;
        std::thread::sleep(GRACE);
    }

    // Step 3.
    if n_new >= n_old {
        rebuild_shards(kernel, new, &placed, 0..n_old)?;
    } else {
        for i in n_new..n_old {
            kernel.destroy_set(&old.shard_name(i))?;
        }
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
