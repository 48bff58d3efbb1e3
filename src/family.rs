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

use crate::addr::Entry;
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

fn open_any(kernel: &mut Kernel, name: &str) -> Result<Discovery> {
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
        .filter(|h| h.set_type == "list:set" && h.header_flag("comment"))
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
            "cannot create family '{}': a set named '{taken}' already exists",
            spec.name
        )));
    }
    let mut created: Vec<String> = Vec::new();
    let result = (|| -> Result<()> {
        for shard in spec.shard_names() {
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
}

fn dedup(entries: &[Entry]) -> Vec<Entry> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .filter(|e| seen.insert(**e))
        .copied()
        .collect()
}

/// Fail before touching anything if the entries cannot fit in some shard.
fn check_capacity(kernel: &mut Kernel, spec: &FamilySpec, entries: &[Entry]) -> Result<()> {
    let mut per_shard: BTreeMap<u32, u64> = BTreeMap::new();
    for e in entries {
        for s in route::shards_for(e, spec.shards, spec.routing) {
            *per_shard.entry(s).or_default() += 1;
        }
    }
    for (shard, incoming) in per_shard {
        let name = spec.shard_name(shard);
        let have = kernel
            .list_headers(Some(&name))?
            .first()
            .map(|s| s.entries)
            .unwrap_or(0);
        if have + incoming > u64::from(spec.maxelem) {
            // Entries already present take no room: count the new ones.
            let mut new = 0u64;
            for e in entries {
                if route::shards_for(e, spec.shards, spec.routing).contains(&shard)
                    && !(e.is_host() && spec.set_type == crate::addr::SetType::HashNet)
                    && kernel.test(&name, spec.set_type, e)?
                {
                    continue;
                }
                new += 1;
            }
            if have + new > u64::from(spec.maxelem) {
                return Err(Error::kernel(
                    KernelErrorKind::Full,
                    format!(
                        "shard {name} would be full: it holds {have} of maxelem {} and {new} more entries route to it; nothing was added. Recreate the family with a larger --maxelem or more --shards",
                        spec.maxelem
                    ),
                ));
            }
        }
    }
    Ok(())
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
    let entries = dedup(entries);
    check_capacity(kernel, spec, &entries)?;
    add_unchecked(kernel, spec, &entries, opts)
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
    let mut change = Change {
        entries: entries.len(),
        ..Change::default()
    };
    for entry in entries {
        let mut existed = false;
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
                return Err(undo_adds(kernel, spec, &done, e));
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
    let entries = dedup(entries);
    let mut change = Change {
        entries: entries.len(),
        ..Change::default()
    };
    if !exist {
        // hash:ip tests are exact; so are hash:net tests of networks. A
        // hash:net host test also matches covering networks, so those are
        // caught by the del itself below.
        for entry in &entries {
            let shard = route::lookup_shard(entry, spec.shards, spec.routing);
            if !kernel.test(&spec.shard_name(shard), spec.set_type, entry)? {
                return Err(missing(spec, entry));
            }
        }
    }
    let mut done: Vec<(u32, Entry)> = Vec::new();
    for entry in &entries {
        let mut absent = false;
        for shard in route::shards_for(entry, spec.shards, spec.routing) {
            match kernel.del(&spec.shard_name(shard), spec.set_type, entry) {
                Ok(true) => {
                    done.push((shard, *entry));
                    change.elements += 1;
                }
                Ok(false) if exist => absent = true,
                Ok(false) => return Err(undo_dels(kernel, spec, &done, missing(spec, entry))),
                Err(e) => return Err(undo_dels(kernel, spec, &done, e)),
            }
        }
        change.unchanged += usize::from(absent);
    }
    Ok(change)
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
    if failed.is_empty() {
        cause
    } else {
        Error::Partial(format!(
            "{cause}; restoring the earlier deletions failed, these stay deleted: {}",
            failed.join(", ")
        ))
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
    /// Number of entries (the kernel's count).
    pub entries: u64,
    /// Kernel memory in bytes (the set header's "Size in memory").
    pub memory: u64,
    /// References other than the umbrella's (iptables rules, other list:sets).
    pub references: u32,
    /// Current hash size (the kernel grows it as entries arrive).
    pub hashsize: u64,
}

/// A family and the state of its sets, for `mipset list`.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyStatus {
    #[serde(flatten)]
    pub spec: FamilySpec,
    /// Total entries over all shards.
    pub entries: u64,
    /// Fewest entries in one shard.
    pub entries_min: u64,
    /// Most entries in one shard.
    pub entries_max: u64,
    /// Kernel memory of the shards and the umbrella, in bytes.
    pub memory: u64,
    /// References to the umbrella plus extra references to shards.
    pub references: u32,
    pub shards_detail: Vec<ShardStatus>,
}

/// Collect the status of a family from one header listing.
pub fn status(spec: &FamilySpec, headers: &[SetInfo]) -> FamilyStatus {
    let by_name: BTreeMap<&str, &SetInfo> = headers.iter().map(|h| (h.name.as_str(), h)).collect();
    let umbrella = by_name.get(spec.name.as_str());
    let shards_detail: Vec<ShardStatus> = spec
        .shard_names()
        .map(|name| match by_name.get(name.as_str()) {
            Some(h) => ShardStatus {
                present: true,
                entries: h.entries,
                memory: h.memory,
                // The umbrella's membership is one reference.
                references: h.references.saturating_sub(1),
                hashsize: h.header_num("hashsize").unwrap_or(0),
                name,
            },
            None => ShardStatus {
                name,
                present: false,
                entries: 0,
                memory: 0,
                references: 0,
                hashsize: 0,
            },
        })
        .collect();
    let entries = shards_detail.iter().map(|s| s.entries).sum();
    FamilyStatus {
        spec: spec.clone(),
        entries,
        entries_min: shards_detail.iter().map(|s| s.entries).min().unwrap_or(0),
        entries_max: shards_detail.iter().map(|s| s.entries).max().unwrap_or(0),
        memory: shards_detail.iter().map(|s| s.memory).sum::<u64>()
            + umbrella.map(|u| u.memory).unwrap_or(0),
        references: umbrella.map(|u| u.references).unwrap_or(0)
            + shards_detail.iter().map(|s| s.references).sum::<u32>(),
        shards_detail,
    }
}

/// Destroy a family. Refuses, changing nothing, while a rule or another set
/// references the umbrella or a shard. With `force`, a damaged family (valid
/// metadata, missing shards) is destroyed too.
pub fn destroy(kernel: &mut Kernel, name: &str, force: bool) -> Result<FamilySpec> {
    let spec = match open_any(kernel, name)? {
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
    let headers = kernel.list_headers(None)?;
    let umbrella_members: HashSet<String> = kernel
        .list_set(name)?
        .members
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.elem)
        .collect();
    let mut in_use = Vec::new();
    for h in &headers {
        let own = if h.name == spec.name {
            0
        } else if spec.shard_names().any(|s| s == h.name) {
            u32::from(umbrella_members.contains(&h.name))
        } else {
            continue;
        };
        if h.references > own {
            in_use.push(format!("{} ({} reference(s))", h.name, h.references - own));
        }
    }
    if !in_use.is_empty() {
        return Err(Error::kernel(
            KernelErrorKind::InUse,
            format!(
                "family '{name}' is in use: {}; remove the iptables rules or list:sets that use it first (see `iptables-save | grep -w -- {name}`); nothing was destroyed",
                in_use.join(", ")
            ),
        ));
    }
    kernel.destroy_set(name)?;
    let present: HashSet<&str> = headers.iter().map(|h| h.name.as_str()).collect();
    let mut failed = Vec::new();
    for shard in spec.shard_names().filter(|s| present.contains(s.as_str())) {
        if let Err(e) = kernel.destroy_set(&shard) {
            failed.push(e.to_string());
        }
    }
    if failed.is_empty() {
        Ok(spec)
    } else {
        Err(Error::Partial(format!(
            "destroyed the umbrella '{name}' but not every shard: {}",
            failed.join("; ")
        )))
    }
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
            entries,
            memory: 100,
            references: refs,
            ..SetInfo::default()
        };
        let st = status(&s, &[h("web", 0, 1), h("web-s0", 3, 1), h("web-s1", 5, 2)]);
        assert_eq!(
            (st.entries, st.entries_min, st.entries_max, st.memory),
            (8, 3, 5, 300)
        );
        assert_eq!(st.references, 2);
        assert_eq!(st.shards_detail[1].references, 1);
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
