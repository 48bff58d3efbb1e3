//! The family engine: create, discover, add, del, test, flush and destroy a
//! family of shards, using [`Kernel`] for I/O and the pure modules for
//! everything else.
//!
//! Invariants kept here:
//! * input is validated before the kernel is touched;
//! * a failed add/del is rolled back, so the family is as before (or, if even
//!   the rollback fails, the error says exactly what was left: exit 4);
//! * a family is only ever touched when its umbrella carries valid metadata.
//!
//! Not atomic across shards: `flush` and `destroy` go shard by shard.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::addr::{Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::{AddOptions, Kernel, Member, SetInfo};
use crate::meta::{self, FamilySpec};
use crate::route;

/// Longest per-entry comment the kernel stores (IPSET_MAX_COMMENT_SIZE).
pub const MAX_COMMENT_LEN: usize = 255;

/// What reading an umbrella set told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// A consistent family.
    Family(FamilySpec),
    /// mipset metadata is there but the family is inconsistent (a shard was
    /// removed from the umbrella, members out of order...).
    Damaged { spec: FamilySpec, problem: String },
    /// Not a mipset family at all.
    NotFamily(String),
}

/// Read a family definition from its umbrella listing (with members).
pub fn discover(umbrella: &SetInfo) -> Discovery {
    if umbrella.set_type != "list:set" {
        return Discovery::NotFamily(format!("it is a {}, not a list:set", umbrella.set_type));
    }
    let members = umbrella.members.as_deref().unwrap_or(&[]);
    let decode = |m: &Member| meta::decode(&umbrella.name, m.comment.as_deref().unwrap_or(""));
    // The definition comes from the first member that carries valid
    // metadata; a set where none does is not a family.
    let spec = match members.iter().find_map(|m| decode(m).ok()) {
        Some((spec, _)) => spec,
        None => {
            let reason = match members.first().map(decode) {
                Some(Err(e)) => e,
                _ => "an empty list:set without mipset metadata".to_string(),
            };
            return Discovery::NotFamily(reason);
        }
    };
    let problem = |problem: String| Discovery::Damaged {
        spec: spec.clone(),
        problem,
    };
    // mipset writes every member comment in canonical form, so comparing
    // with the expected text checks name, order and definition at once
    // (and costs far less than decoding each comment).
    let encoder = spec.encoder();
    for (i, member) in members.iter().enumerate() {
        let index = i as u32;
        let name_ok = member
            .elem
            .strip_prefix(spec.name.as_str())
            .and_then(|rest| rest.strip_prefix("-s"))
            .and_then(|rest| meta::strip_number(rest, index))
            == Some("");
        if !name_ok || !encoder.matches(member.comment.as_deref().unwrap_or(""), index) {
            let why = match meta::decode(&umbrella.name, member.comment.as_deref().unwrap_or("")) {
                Err(e) => format!("member {} has bad metadata: {e}", member.elem),
                Ok((s, _)) if s != spec => {
                    format!("member {} disagrees on the family definition", member.elem)
                }
                Ok(_) => format!(
                    "member {} is at position {i}, expected {}",
                    member.elem,
                    spec.shard_name(index)
                ),
            };
            return problem(why);
        }
    }
    if members.len() != spec.shards as usize {
        return problem(format!(
            "the umbrella lists {} of {} shards",
            members.len(),
            spec.shards
        ));
    }
    Discovery::Family(spec)
}

/// Find family `name` in the kernel, or say why it is not one.
pub fn open(kernel: &mut Kernel, name: &str) -> Result<FamilySpec> {
    match open_any(kernel, name)? {
        Discovery::Family(spec) => Ok(spec),
        Discovery::Damaged { problem, .. } => Err(Error::Usage(format!(
            "family '{name}' is damaged: {problem}; `mipset destroy --force {name}` removes it"
        ))),
        Discovery::NotFamily(reason) => Err(Error::NotAFamily {
            name: name.to_string(),
            reason,
        }),
    }
}

pub fn open_any(kernel: &mut Kernel, name: &str) -> Result<Discovery> {
    match kernel.list_set(name) {
        Ok(info) => Ok(discover(&info)),
        Err(e) if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) => {
            Err(Error::NoSuchFamily(name.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// Sets that carry mipset metadata but are not usable families: (name, problem).
pub type Unusable = Vec<(String, String)>;

/// Every family in the kernel, plus sets that carry mipset metadata but are
/// not usable families (to warn about).
pub fn discover_all(kernel: &mut Kernel) -> Result<(Vec<FamilySpec>, Unusable)> {
    let headers = kernel.list_headers(None)?;
    let mut families = Vec::new();
    let mut suspicious = Vec::new();
    for h in headers
        .iter()
        // A family name is always valid; other names (stock ipset allows
        // spaces) are never families and must not reach a command line.
        .filter(|h| {
            h.set_type == "list:set"
                && h.header_flag("comment")
                && crate::naming::validate_family_name(&h.name).is_ok()
        })
    {
        let info = match kernel.list_set(&h.name) {
            Ok(info) => info,
            // Destroyed since the header listing: not ours to report.
            Err(e) if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) => continue,
            Err(e) => return Err(e),
        };
        match discover(&info) {
            Discovery::Family(spec) => families.push(spec),
            Discovery::Damaged { problem, .. } => suspicious.push((h.name.clone(), problem)),
            Discovery::NotFamily(_) => {}
        }
    }
    Ok((families, suspicious))
}

/// Result of `create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    /// `--exist` and an identical family was already there.
    AlreadyThere,
}

fn describe_difference(have: &FamilySpec, want: &FamilySpec) -> String {
    let fields = |s: &FamilySpec| {
        [
            ("type", s.set_type.to_string()),
            ("family", s.family.to_string()),
            ("shards", s.shards.to_string()),
            ("route", s.routing.to_string()),
            ("hashsize per shard", s.hashsize.to_string()),
            ("maxelem per shard", s.maxelem.to_string()),
            (
                "timeout",
                s.timeout.map_or("none".to_string(), |t| t.to_string()),
            ),
            ("counters", s.counters.to_string()),
            ("comment", s.comment.to_string()),
        ]
    };
    fields(have)
        .into_iter()
        .zip(fields(want))
        .filter(|(h, w)| h.1 != w.1)
        .map(|((k, h), (_, w))| format!("{k} {h} (asked {w})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Create a family: the shards, then the umbrella with metadata. On failure
/// everything created so far is destroyed again.
pub fn create(kernel: &mut Kernel, spec: &FamilySpec, exist: bool) -> Result<Created> {
    match open_any(kernel, &spec.name) {
        Ok(Discovery::Family(have)) => {
            return if have == *spec && exist {
                Ok(Created::AlreadyThere)
            } else if have == *spec {
                Err(Error::Usage(format!(
                    "family '{}' already exists (add --exist to accept an identical one)",
                    spec.name
                )))
            } else {
                Err(Error::Usage(format!(
                    "family '{}' already exists with a different definition: {}",
                    spec.name,
                    describe_difference(&have, spec)
                )))
            };
        }
        Ok(Discovery::Damaged { problem, .. }) => {
            return Err(Error::Usage(format!(
            "family '{}' exists but is damaged: {problem}; `mipset destroy --force {}` removes it",
            spec.name, spec.name
        )))
        }
        Ok(Discovery::NotFamily(reason)) => {
            return Err(Error::Usage(format!(
                "a set named '{}' already exists and is not a mipset family ({reason})",
                spec.name
            )))
        }
        Err(Error::NoSuchFamily(_)) => {}
        Err(e) => return Err(e),
    }
    let existing: HashSet<String> = kernel
        .list_headers(None)?
        .into_iter()
        .map(|s| s.name)
        .collect();
    if let Some(taken) = spec.shard_names().find(|n| existing.contains(n)) {
        return Err(Error::Usage(format!(
            "cannot create family '{}': a set named '{taken}' already exists (if it is left over from an interrupted create, remove it with `ipset destroy {taken}`)",
            spec.name
        )));
    }
    let mut created: Vec<String> = Vec::new();
    let result = (|| -> Result<()> {
        for shard in spec.shard_names() {
            crate::interrupt::check()?;
            kernel.create_shard(spec, &shard)?;
            created.push(shard);
        }
        let name = &spec.name;
        kernel.exec(
            &format!("create {name}"),
            name,
            &format!("create {name} list:set size {} comment", spec.shards.max(8)),
        )?;
        created.push(name.clone());
        for (i, shard) in spec.shard_names().enumerate() {
            let comment = spec.encode(i as u32);
            kernel.exec(
                &format!("add {shard} to umbrella {name}"),
                name,
                &format!("add {name} {shard} comment \"{comment}\""),
            )?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(Created::New),
        Err(e) => {
            let e = match e {
                Error::Interrupted(_) => Error::Interrupted(format!(
                    "removed the {} created so far",
                    plural(created.len() as u64, "set", "sets")
                )),
                other => other,
            };
            // Umbrella first: it holds references to the shards.
            let leftovers: Vec<String> = created
                .iter()
                .rev()
                .filter(|set| kernel.destroy_set(set).is_err())
                .cloned()
                .collect();
            if leftovers.is_empty() {
                Err(e)
            } else {
                Err(Error::Partial(format!(
                    "{e}; cleaning up also failed, these sets remain: {}",
                    leftovers.join(" ")
                )))
            }
        }
    }
}

/// Check per-entry options against what the family supports.
pub fn validate_add_options(spec: &FamilySpec, opts: &AddOptions) -> Result<()> {
    if opts.timeout.is_some() && spec.timeout.is_none() {
        return Err(Error::Usage(format!(
            "--timeout: family '{}' was created without timeout support (create it with --timeout)",
            spec.name
        )));
    }
    if let Some(c) = &opts.comment {
        if !spec.comment {
            return Err(Error::Usage(format!(
                "--comment: family '{}' was created without comment support (create it with --comment)",
                spec.name
            )));
        }
        if c.contains('"') || c.contains('\n') || c.contains('\0') {
            return Err(Error::Usage(
                "--comment: the kernel does not accept '\"', newlines or NUL in comments".into(),
            ));
        }
        if c.len() > MAX_COMMENT_LEN {
            return Err(Error::Usage(format!(
                "--comment is {} bytes; the kernel keeps at most {MAX_COMMENT_LEN}",
                c.len()
            )));
        }
    }
    Ok(())
}

/// Counts of one add or del.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Entries given (after removing duplicates).
    pub entries: usize,
    /// Kernel elements changed (a hash:net network stored in several shards
    /// counts once per shard).
    pub elements: usize,
    /// Entries that were already there (add) or already absent (del) and
    /// were accepted because of --exist.
    pub unchanged: usize,
    /// Entries given more than once (each counted once above).
    pub duplicates: usize,
}

fn dedup(entries: &[Entry]) -> Vec<Entry> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .filter(|e| seen.insert(**e))
        .copied()
        .collect()
}

/// Headers of the given shards: one listing per shard for a few, one
/// listing of every set for many.
fn shard_headers(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    shards: &[u32],
) -> Result<BTreeMap<u32, SetInfo>> {
    let wanted: BTreeMap<String, u32> = shards.iter().map(|&i| (spec.shard_name(i), i)).collect();
    let headers = if shards.len() <= 8 {
        let mut all = Vec::new();
        for name in wanted.keys() {
            all.extend(
                kernel
                    .list_headers(Some(name))
                    .map_err(|e| missing_shard(spec, name, e))?,
            );
        }
        all
    } else {
        kernel.list_headers(None)?
    };
    let found: BTreeMap<u32, SetInfo> = headers
        .into_iter()
        .filter_map(|h| wanted.get(&h.name).map(|&i| (i, h)))
        .collect();
    if let Some((name, _)) = wanted.iter().find(|(_, i)| !found.contains_key(i)) {
        return Err(Error::Usage(format!(
            "family '{}' is damaged: its shard {name} does not exist; `mipset destroy --force {}` removes the family",
            spec.name, spec.name
        )));
    }
    Ok(found)
}

fn missing_shard(spec: &FamilySpec, name: &str, e: Error) -> Error {
    if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) {
        Error::Usage(format!(
            "family '{}' is damaged: its shard {name} does not exist; `mipset destroy --force {}` removes the family",
            spec.name, spec.name
        ))
    } else {
        e
    }
}

/// Does a shard's kernel header agree with the family's metadata (type,
/// address family, and the timeout/counters/comment extensions)?
pub(crate) fn check_shard(spec: &FamilySpec, header: &SetInfo) -> Result<()> {
    let family = header
        .header
        .get("family")
        .map(String::as_str)
        .unwrap_or("?");
    if header.set_type != spec.set_type.as_str() || family != spec.family.as_str() {
        return Err(Error::Usage(format!(
            "family '{}' is damaged: shard {} is a {} {family} set but the family's metadata says {} {}; not touching it",
            spec.name, header.name, header.set_type, spec.set_type, spec.family
        )));
    }
    for (extension, want) in [
        ("timeout", spec.timeout.is_some()),
        ("counters", spec.counters),
        ("comment", spec.comment),
    ] {
        if header.header.contains_key(extension) != want {
            return Err(Error::Usage(format!(
                "family '{}' is damaged: shard {} {} {extension} support, unlike the family's metadata; not touching it",
                spec.name,
                header.name,
                if want { "lacks" } else { "has" },
            )));
        }
    }
    Ok(())
}

/// Before an add touches anything: every target shard exists, has the type
/// and address family the metadata says, and has room (by its own kernel
/// maxelem) for the entries that are not in it yet.
fn preflight_add(kernel: &mut Kernel, spec: &FamilySpec, entries: &[Entry]) -> Result<()> {
    let mut per_shard: BTreeMap<u32, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        for s in route::shards_for(e, spec.shards, spec.routing) {
            per_shard.entry(s).or_default().push(e);
        }
    }
    let shards: Vec<u32> = per_shard.keys().copied().collect();
    let headers = shard_headers(kernel, spec, &shards)?;
    for (shard, incoming) in per_shard {
        let header = &headers[&shard];
        check_shard(spec, header)?;
        let name = &header.name;
        let maxelem = header
            .header_num("maxelem")
            .unwrap_or(u64::from(spec.maxelem));
        let have = header.entries;
        if have + incoming.len() as u64 <= maxelem {
            continue;
        }
        // Entries already present take no room: count the new ones. A
        // hash:net host test also matches covering networks, so such an
        // entry counts as new (the safe side).
        let mut new = 0u64;
        for e in incoming {
            let exact = !(e.is_host() && spec.set_type == SetType::HashNet);
            if !(exact && kernel.test(name, spec.set_type, e)?) {
                new += 1;
            }
        }
        if have + new > maxelem {
            return Err(Error::kernel(
                KernelErrorKind::Full,
                format!(
                    "shard {name} would be full: it holds {have} of maxelem {maxelem} and {} route to it; nothing was added. Recreate the family with a larger --maxelem or more --shards",
                    plural(new, "new entry", "new entries")
                ),
            ));
        }
    }
    Ok(())
}

/// "1 entry", "2 entries".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn full_message(spec: &FamilySpec, e: Error) -> Error {
    match e {
        Error::Kernel {
            kind: KernelErrorKind::Full,
            message,
        } => Error::kernel(
            KernelErrorKind::Full,
            format!(
                "{message} (maxelem {} per shard); nothing was added. Recreate the family with a larger --maxelem or more --shards",
                spec.maxelem
            ),
        ),
        other => other,
    }
}

/// Add entries (validated for this family) to every shard they route to.
/// All or nothing: on failure the elements added by this call are removed.
pub fn add(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entries: &[Entry],
    opts: &AddOptions,
) -> Result<Change> {
    validate_add_options(spec, opts)?;
    let unique = dedup(entries);
    preflight_add(kernel, spec, &unique)?;
    let mut change = add_unchecked(kernel, spec, &unique, opts)?;
    change.duplicates = entries.len() - unique.len();
    Ok(change)
}

/// Add one entry: the per-entry path for programs that embed mipset (no
/// capacity pre-check; a full shard is still reported by the kernel and the
/// entry's other shards rolled back). Returns whether the entry was new.
pub fn add_one(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entry: &Entry,
    opts: &AddOptions,
) -> Result<bool> {
    validate_add_options(spec, opts)?;
    add_unchecked(kernel, spec, std::slice::from_ref(entry), opts).map(|c| c.unchanged == 0)
}

fn add_unchecked(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entries: &[Entry],
    opts: &AddOptions,
) -> Result<Change> {
    let plain = AddOptions {
        exist: false,
        ..opts.clone()
    };
    let mut done: Vec<(u32, Entry)> = Vec::new();
    let mut refreshed = 0usize;
    let mut change = Change {
        entries: entries.len(),
        ..Change::default()
    };
    for entry in entries {
        let mut existed = false;
        if crate::interrupt::pending() {
            let undone = done.len();
            let e = undo_adds(kernel, spec, &done, Error::Interrupted(String::new()));
            return Err(match e {
                Error::Interrupted(_) => Error::Interrupted(format!(
                    "removed the {} this command had added; the family is as before",
                    plural(undone as u64, "element", "elements")
                )),
                other => other,
            });
        }
        for shard in route::shards_for(entry, spec.shards, spec.routing) {
            let name = spec.shard_name(shard);
            let step = match kernel.add(&name, spec.set_type, entry, &plain) {
                Ok(true) => {
                    done.push((shard, *entry));
                    change.elements += 1;
                    Ok(())
                }
                Ok(false) if opts.exist => {
                    existed = true;
                    refreshed += 1;
                    // Like `ipset -exist`: refresh timeout and comment.
                    kernel.add(&name, spec.set_type, entry, opts).map(|_| ())
                }
                Ok(false) => Err(Error::kernel(
                    KernelErrorKind::ElementExists,
                    format!(
                        "{entry} is already in family '{}' (shard {name}); nothing was added (use --exist to skip existing entries)",
                        spec.name
                    ),
                )),
                Err(e) => Err(full_message(spec, e)),
            };
            if let Err(e) = step {
                let e = undo_adds(kernel, spec, &done, e);
                return Err(if refreshed > 0 && spec.has_extensions() {
                    Error::Partial(format!(
                        "{e}; the new entries were removed again, but {} already there kept the timeout/comment/counters this command gave them",
                        plural(refreshed as u64, "entry", "entries")
                    ))
                } else {
                    e
                });
            }
        }
        change.unchanged += usize::from(existed);
    }
    Ok(change)
}

fn undo_adds(kernel: &mut Kernel, spec: &FamilySpec, done: &[(u32, Entry)], cause: Error) -> Error {
    let failed: Vec<String> = done
        .iter()
        .rev()
        .filter(|(shard, e)| {
            kernel
                .del(&spec.shard_name(*shard), spec.set_type, e)
                .is_err()
        })
        .map(|(shard, e)| format!("{e} in {}", spec.shard_name(*shard)))
        .collect();
    if failed.is_empty() {
        cause
    } else {
        Error::Partial(format!(
            "{cause}; undoing the earlier adds failed, these remain: {}",
            failed.join(", ")
        ))
    }
}

/// Delete one entry (with `--exist` semantics: Ok(false) if it was not
/// there): the per-entry path for programs that embed mipset.
pub fn del_one(kernel: &mut Kernel, spec: &FamilySpec, entry: &Entry) -> Result<bool> {
    del(kernel, spec, std::slice::from_ref(entry), true).map(|c| c.unchanged == 0)
}

/// Delete entries from every shard they route to. Without `exist`, an entry
/// that is not in the family is an error and nothing is deleted.
pub fn del(
    kernel: &mut Kernel,
    spec: &FamilySpec,
    entries: &[Entry],
    exist: bool,
) -> Result<Change> {
    let given = entries.len();
    let entries = dedup(entries);
    let mut change = Change {
        entries: entries.len(),
        duplicates: given - entries.len(),
        ..Change::default()
    };
    if !exist {
        check_present(kernel, spec, &entries)?;
    }
    let mut done: Vec<(u32, Entry)> = Vec::new();
    for entry in &entries {
        if crate::interrupt::pending() {
            let undone = done.len();
            return Err(
                match undo_dels(kernel, spec, &done, Error::Interrupted(String::new())) {
                    Error::Interrupted(_) => Error::Interrupted(format!(
                        "re-added the {} this command had deleted",
                        plural(undone as u64, "element", "elements")
                    )),
                    other => other,
                },
            );
        }
        let mut found = false;
        for shard in route::shards_for(entry, spec.shards, spec.routing) {
            match kernel.del(&spec.shard_name(shard), spec.set_type, entry) {
                Ok(true) => {
                    done.push((shard, *entry));
                    change.elements += 1;
                    found = true;
                }
                Ok(false) if exist => {}
                Ok(false) => return Err(undo_dels(kernel, spec, &done, missing(spec, entry))),
                Err(e) => return Err(undo_dels(kernel, spec, &done, e)),
            }
        }
        change.unchanged += usize::from(!found);
    }
    Ok(change)
}

/// Fail, changing nothing, unless every entry is in the family. Kernel tests
/// are exact for hash:ip and for hash:net networks; a hash:net host test
/// also matches a covering network, so those hosts are looked up in a
/// listing of their shard.
fn check_present(kernel: &mut Kernel, spec: &FamilySpec, entries: &[Entry]) -> Result<()> {
    let mut listed: BTreeMap<u32, HashSet<std::net::IpAddr>> = BTreeMap::new();
    for entry in entries {
        let shard = route::lookup_shard(entry, spec.shards, spec.routing);
        let name = spec.shard_name(shard);
        let present = kernel.test(&name, spec.set_type, entry)?;
        let exact = !(entry.is_host() && spec.set_type == SetType::HashNet);
        let present = if present && !exact {
            let hosts = match listed.entry(shard) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    let members = kernel.list_set(&name)?.members.unwrap_or_default();
                    // Host entries are listed without a prefix length.
                    v.insert(members.iter().filter_map(|m| m.elem.parse().ok()).collect())
                }
            };
            hosts.contains(&entry.addr)
        } else {
            present
        };
        if !present {
            return Err(missing(spec, entry));
        }
    }
    Ok(())
}

fn missing(spec: &FamilySpec, entry: &Entry) -> Error {
    Error::kernel(
        KernelErrorKind::ElementMissing,
        format!(
            "{entry} is not in family '{}'; nothing was deleted (use --exist to skip missing entries)",
            spec.name
        ),
    )
}

fn undo_dels(kernel: &mut Kernel, spec: &FamilySpec, done: &[(u32, Entry)], cause: Error) -> Error {
    let opts = AddOptions::default();
    let failed: Vec<String> = done
        .iter()
        .rev()
        .filter(|(shard, e)| {
            kernel
                .add(&spec.shard_name(*shard), spec.set_type, e, &opts)
                .is_err()
        })
        .map(|(shard, e)| format!("{e} from {}", spec.shard_name(*shard)))
        .collect();
    if !failed.is_empty() {
        Error::Partial(format!(
            "{cause}; restoring the earlier deletions failed, these stay deleted: {}",
            failed.join(", ")
        ))
    } else if !done.is_empty() && spec.has_extensions() {
        Error::Partial(format!(
            "{cause}; the {} deleted before the failure {} re-added, but without their timeout/comment/counters",
            plural(done.len() as u64, "element", "elements"),
            if done.len() == 1 { "was" } else { "were" }
        ))
    } else {
        cause
    }
}

/// Membership, asking exactly one shard.
pub fn test(kernel: &mut Kernel, spec: &FamilySpec, entry: &Entry) -> Result<bool> {
    let shard = route::lookup_shard(entry, spec.shards, spec.routing);
    kernel.test(&spec.shard_name(shard), spec.set_type, entry)
}

/// Remove every entry from every shard (shard by shard, not atomic).
pub fn flush(kernel: &mut Kernel, spec: &FamilySpec) -> Result<()> {
    for (i, shard) in spec.shard_names().enumerate() {
        if let Err(e) = kernel.flush_set(&shard, spec.set_type) {
            return Err(if i == 0 {
                e
            } else {
                Error::Partial(format!(
                    "{e}; shards {}-s0..s{} were already flushed",
                    spec.name,
                    i - 1
                ))
            });
        }
    }
    Ok(())
}

/// One shard as `mipset list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ShardStatus {
    /// Kernel set name.
    pub name: String,
    /// Whether the set exists in the kernel.
    pub present: bool,
    /// Number of kernel elements in the shard.
    pub elements: u64,
    /// The shard's maxelem, as the kernel reports it.
    pub maxelem: u64,
    /// Kernel memory in bytes (the set header's "Size in memory").
    pub memory: u64,
    /// References other than the umbrella's (iptables rules, other list:sets).
    pub references: u32,
    /// Current hash size (the kernel doubles it as the shard grows).
    pub hashsize: u64,
    /// Set when the shard disagrees with the family's metadata.
    pub problem: Option<String>,
}

/// A family and the state of its sets, for `mipset list`.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyStatus {
    #[serde(flatten)]
    pub spec: FamilySpec,
    /// Kernel elements over all shards. A hash:net network stored in k
    /// shards counts k times, so this can exceed the number of entries.
    pub elements: u64,
    /// Fewest elements in one shard.
    pub elements_min: u64,
    /// Most elements in one shard.
    pub elements_max: u64,
    /// Kernel memory of the shards and the umbrella, in bytes.
    pub memory: u64,
    /// References to the umbrella plus extra references to shards.
    pub references: u32,
    /// Shards that are missing or disagree with the metadata.
    pub problems: Vec<String>,
    pub shards_detail: Vec<ShardStatus>,
}

/// Collect the status of a (consistent) family from one header listing.
pub fn status(spec: &FamilySpec, headers: &[SetInfo]) -> FamilyStatus {
    let by_name: BTreeMap<&str, &SetInfo> = headers.iter().map(|h| (h.name.as_str(), h)).collect();
    let umbrella = by_name.get(spec.name.as_str());
    let shards_detail: Vec<ShardStatus> = spec
        .shard_names()
        .map(|name| match by_name.get(name.as_str()) {
            Some(h) => ShardStatus {
                present: true,
                elements: h.entries,
                maxelem: h.header_num("maxelem").unwrap_or(0),
                memory: h.memory,
                // Membership in the umbrella is one reference.
                references: h.references.saturating_sub(1),
                hashsize: h.header_num("hashsize").unwrap_or(0),
                problem: check_shard(spec, h).err().map(|e| e.to_string()),
                name,
            },
            None => ShardStatus {
                problem: Some(format!("shard {name} does not exist")),
                name,
                present: false,
                elements: 0,
                maxelem: 0,
                memory: 0,
                references: 0,
                hashsize: 0,
            },
        })
        .collect();
    let count = |f: fn(&ShardStatus) -> u64| shards_detail.iter().map(f);
    FamilyStatus {
        spec: spec.clone(),
        elements: count(|s| s.elements).sum(),
        elements_min: count(|s| s.elements).min().unwrap_or(0),
        elements_max: count(|s| s.elements).max().unwrap_or(0),
        memory: count(|s| s.memory).sum::<u64>() + umbrella.map_or(0, |u| u.memory),
        references: umbrella.map_or(0, |u| u.references)
            + shards_detail.iter().map(|s| s.references).sum::<u32>(),
        problems: shards_detail
            .iter()
            .filter_map(|s| s.problem.clone())
            .collect(),
        shards_detail,
    }
}

/// Destroy a family. Refuses, changing nothing, while a rule or another set
/// references the umbrella or a shard. With `force`, a damaged family (valid
/// metadata, missing shards) is destroyed too.
/// Returns the family and the sets it left alone: sets named like a shard of
/// a damaged family that are neither umbrella members nor of its type.
pub fn destroy(kernel: &mut Kernel, name: &str, force: bool) -> Result<(FamilySpec, Vec<String>)> {
    let umbrella = match kernel.list_set(name) {
        Ok(info) => info,
        Err(e) if e.kernel_kind() == Some(KernelErrorKind::NoSuchSet) => {
            return Err(Error::NoSuchFamily(name.to_string()))
        }
        Err(e) => return Err(e),
    };
    let spec = match discover(&umbrella) {
        Discovery::Family(spec) => spec,
        Discovery::Damaged { spec, .. } if force => spec,
        Discovery::Damaged { problem, .. } => {
            return Err(Error::Usage(format!(
                "family '{name}' is damaged: {problem}; add --force to destroy what is left of it"
            )))
        }
        Discovery::NotFamily(reason) => {
            return Err(Error::NotAFamily {
                name: name.to_string(),
                reason,
            })
        }
    };
    let members: HashSet<String> = umbrella
        .members
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.elem)
        .collect();
    let headers = kernel.list_headers(None)?;
    let by_name: BTreeMap<&str, &SetInfo> = headers.iter().map(|h| (h.name.as_str(), h)).collect();
    // The shards to destroy: the umbrella's members, and (damaged family)
    // sets with a shard's name only if they have the family's type.
    let mut shards = Vec::new();
    let mut left = Vec::new();
    for shard in spec.shard_names() {
        let Some(h) = by_name.get(shard.as_str()) else {
            continue;
        };
        if members.contains(&shard) || check_shard(&spec, h).is_ok() {
            shards.push((shard, u32::from(members.contains(h.name.as_str()))));
        } else {
            left.push(shard);
        }
    }
    let mut in_use = Vec::new();
    let umbrella_refs = by_name.get(name).map_or(0, |h| h.references);
    if umbrella_refs > 0 {
        in_use.push(format!("{name} ({umbrella_refs} reference(s))"));
    }
    for (shard, own) in &shards {
        let refs = by_name[shard.as_str()].references;
        if refs > *own {
            in_use.push(format!("{shard} ({} reference(s))", refs - own));
        }
    }
    if in_use.len() > 3 {
        let more = in_use.len() - 3;
        in_use.truncate(3);
        in_use.push(format!("{more} more"));
    }
    if !in_use.is_empty() {
        return Err(Error::kernel(
            KernelErrorKind::InUse,
            format!(
                "family '{name}' is in use: {}; remove the iptables/ip6tables rules or list:sets that use it first (find them with `iptables-save; ip6tables-save; ipset list -t`); nothing was destroyed",
                in_use.join(", ")
            ),
        ));
    }
    // The umbrella first: it holds a reference to each member.
    kernel.destroy_set(name)?;
    let failed: Vec<String> = shards
        .iter()
        .filter_map(|(shard, _)| kernel.destroy_set(shard).err().map(|e| e.to_string()))
        .collect();
    if !failed.is_empty() {
        return Err(Error::Partial(format!(
            "destroyed the umbrella '{name}' but not every shard: {}",
            failed.join("; ")
        )));
    }
    Ok((spec, left))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{AddrFamily, SetType};
    use crate::route::Routing;

    fn spec(shards: u32) -> FamilySpec {
        FamilySpec {
            name: "web".into(),
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            shards,
            routing: Routing::Bits { shift: 0 },
            hashsize: 64,
            maxelem: 4096,
            timeout: None,
            counters: false,
            comment: false,
        }
    }

    fn umbrella(spec: &FamilySpec, members: Vec<Member>) -> SetInfo {
        SetInfo {
            name: spec.name.clone(),
            set_type: "list:set".into(),
            members: Some(members),
            ..SetInfo::default()
        }
    }

    fn members(spec: &FamilySpec) -> Vec<Member> {
        (0..spec.shards)
            .map(|i| Member {
                elem: spec.shard_name(i),
                comment: Some(spec.encode(i)),
            })
            .collect()
    }

    #[test]
    fn discovers_a_consistent_family() {
        let s = spec(4);
        assert_eq!(discover(&umbrella(&s, members(&s))), Discovery::Family(s));
    }

    #[test]
    fn damaged_and_foreign_sets_are_told_apart() {
        let s = spec(4);
        let mut m = members(&s);
        m.remove(2);
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::Damaged { .. }
        ));
        let mut m = members(&s);
        m.swap(0, 1);
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::Damaged { .. }
        ));
        let mut m = members(&s);
        m[3].comment = Some(spec(8).encode(3));
        assert!(matches!(
            discover(&umbrella(&s, m)),
            Discovery::Damaged { .. }
        ));
        let foreign = vec![Member {
            elem: "x".into(),
            comment: Some("hello".into()),
        }];
        assert!(matches!(
            discover(&umbrella(&s, foreign)),
            Discovery::NotFamily(_)
        ));
        assert!(matches!(
            discover(&umbrella(&s, vec![])),
            Discovery::NotFamily(_)
        ));
        let mut hash = umbrella(&s, members(&s));
        hash.set_type = "hash:ip".into();
        assert!(matches!(discover(&hash), Discovery::NotFamily(_)));
    }

    #[test]
    fn status_sums_shards() {
        let s = spec(2);
        let h = |name: &str, entries, refs| SetInfo {
            name: name.into(),
            set_type: "hash:ip".into(),
            header: [("family".to_string(), "inet".to_string())].into(),
            entries,
            memory: 100,
            references: refs,
            ..SetInfo::default()
        };
        let st = status(&s, &[h("web", 0, 1), h("web-s0", 3, 1), h("web-s1", 5, 2)]);
        assert_eq!(
            (st.elements, st.elements_min, st.elements_max, st.memory),
            (8, 3, 5, 300)
        );
        assert_eq!(st.references, 2);
        assert_eq!(st.shards_detail[1].references, 1);
        assert_eq!(st.problems, Vec::<String>::new());
        let st = status(&s, &[h("web", 0, 1), h("web-s0", 3, 1)]);
        assert_eq!(st.problems, ["shard web-s1 does not exist"]);
    }

    #[test]
    fn add_options_are_checked_against_the_family() {
        let s = spec(1);
        let with_timeout = AddOptions {
            timeout: Some(5),
            ..AddOptions::default()
        };
        assert!(validate_add_options(&s, &with_timeout).is_err());
        let comment = |c: &str| AddOptions {
            comment: Some(c.into()),
            ..AddOptions::default()
        };
        assert!(validate_add_options(&s, &comment("x")).is_err());
        let sc = FamilySpec {
            comment: true,
            ..spec(1)
        };
        assert!(validate_add_options(&sc, &comment("fine text")).is_ok());
        assert!(validate_add_options(&sc, &comment("a\"b")).is_err());
        assert!(validate_add_options(&sc, &comment(&"x".repeat(256))).is_err());
    }
}
