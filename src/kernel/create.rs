//! Creating a whole family in ONE netlink `sendmsg`: every shard, the
//! umbrella `list:set`, and every shard added to the umbrella with its
//! metadata comment. The kernel handles all messages of one datagram
//! inside the system call (see [`super::batch`]), so SIGKILL leaves either
//! no family or the whole recorded family: never shards that no umbrella
//! records (which the next `create` would refuse as foreign names).
//!
//! A message the kernel refuses (a name taken since it was checked, no
//! memory) does not stop the ones after it; the reply says which sets were
//! made, and [`create_family`] destroys exactly those again, umbrella
//! first. A set it did not make is never destroyed.
//!
//! Each type is created at the highest revision both the kernel (asked with
//! `IPSET_CMD_TYPE`) and the stock `ipset` command of this era (7.x) know,
//! which is the revision `ipset create` itself would pick.

use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::codes::{refusal, Command};
use crate::kernel::netlink::Socket;
use crate::kernel::ops::Conn;
use crate::kernel::protocol::NFPROTO_UNSPEC;
use crate::kernel::requests::{create_message, member_message, nfproto, SetKind};
use crate::meta::FamilySpec;

/// The kinds of a family's shards and umbrella.
pub fn kinds(spec: &FamilySpec) -> (SetKind, SetKind) {
    (
        SetKind::Hash {
            set_type: spec.set_type,
            family: spec.family,
            hashsize: spec.hashsize,
            maxelem: spec.maxelem,
            timeout: spec.timeout,
            counters: spec.counters,
            comment: spec.comment,
        },
        SetKind::List {
            size: spec.shards.max(8),
        },
    )
}

/// Create the family `spec` (shards, umbrella, members with metadata) in
/// one `sendmsg`. On a refusal, the sets this call made are destroyed again
/// (umbrella first) and the first refusal is the error; sets it could not
/// destroy are named.
pub fn create_family(spec: &FamilySpec) -> Result<()> {
    let (shard_kind, umbrella_kind) = kinds(spec);
    let mut conn = Conn::open()?;
    let shard_rev = conn.revision(shard_kind.typename(), nfproto(spec.family))?;
    let list_rev = conn.revision("list:set", NFPROTO_UNSPEC)?;

    let mut socket = Socket::open()?;
    let mut datagram = Vec::new();
    // Per message, the set it creates (None for an add).
    let mut sent: Vec<Option<String>> = Vec::new();
    let mut push = |socket: &mut Socket, mut msg: Vec<u8>, creates: Option<String>| {
        socket.number(&mut msg);
        datagram.extend_from_slice(&msg);
        sent.push(creates);
    };
    for shard in spec.shard_names() {
        let msg = create_message(&shard, &shard_kind, shard_rev, false);
        push(&mut socket, msg, Some(shard));
    }
    let msg = create_message(&spec.name, &umbrella_kind, list_rev, false);
    push(&mut socket, msg, Some(spec.name.clone()));
    let encoder = spec.encoder();
    for (i, shard) in spec.shard_names().enumerate() {
        let msg = member_message(&spec.name, &shard, &encoder.encode(i as u32), false);
        push(&mut socket, msg, None);
    }

    // Replies: refusals only (and one ack), ~1 KiB each as the kernel
    // counts socket memory.
    let replies = 64 * 1024 + sent.len() * 1024;
    if !socket.make_room(datagram.len(), replies) {
        return Err(Error::kernel(
            KernelErrorKind::Other,
            format!(
                "creating family {}: {} bytes do not fit in one netlink send here; nothing was created",
                spec.name,
                datagram.len()
            ),
        ));
    }
    crate::interrupt::check()?;
    let refused = match socket.send_in_one_call(&mut datagram) {
        Ok(refused) => refused,
        // The kernel took the send but its answers were lost: what it made
        // is unknown. None of these names existed before (the caller
        // checked, under the node lock), so say which exist now.
        Err(e) => return Err(unknown_outcome(spec, e)),
    };
    let Some(&(index, code)) = refused.first() else {
        return Ok(());
    };
    let error = match &sent[index] {
        Some(set) => refusal(Command::Create, set, code),
        None => refusal(Command::AddMember, &spec.name, code),
    };
    let made_by_us = |i: usize| !refused.iter().any(|(r, _)| *r == i);
    // If the umbrella's name was taken meanwhile, the member adds went
    // into that foreign list:set: take exactly those out again.
    let umbrella_at = spec.shards as usize;
    if !made_by_us(umbrella_at) {
        for (i, shard) in spec.shard_names().enumerate() {
            if made_by_us(umbrella_at + 1 + i) {
                let _ = conn.del_member(&spec.name, &shard);
            }
        }
    }
    // Undo what this call made, the umbrella (it references shards) first.
    let made: Vec<&str> = sent
        .iter()
        .enumerate()
        .filter(|(i, _)| made_by_us(*i))
        .filter_map(|(_, creates)| creates.as_deref())
        .collect();
    let remain: Vec<&str> = made
        .iter()
        .rev()
        .filter(|set| conn.destroy(set).is_err())
        .copied()
        .collect();
    if remain.is_empty() {
        Err(error)
    } else {
        Err(Error::Partial(format!(
            "{error}; cleaning up also failed, these sets remain: {}",
            remain.join(" ")
        )))
    }
}

/// Rewrite the metadata comment of every member of `spec`'s umbrella to
/// `spec`'s, in one `sendmsg` (so SIGKILL leaves the old or the new
/// metadata on every member). For a change that keeps the shards (an empty
/// family's routing chosen from its first list).
pub fn recomment_family(spec: &FamilySpec) -> Result<()> {
    let mut socket = Socket::open()?;
    let mut datagram = Vec::new();
    let encoder = spec.encoder();
    for (i, shard) in spec.shard_names().enumerate() {
        let mut msg = member_message(&spec.name, &shard, &encoder.encode(i as u32), true);
        socket.number(&mut msg);
        datagram.extend_from_slice(&msg);
    }
    let replies = 64 * 1024 + spec.shards as usize * 1024;
    if !socket.make_room(datagram.len(), replies) {
        return Err(Error::kernel(
            KernelErrorKind::Other,
            format!(
                "rewriting family {}'s metadata: {} bytes do not fit in one netlink send here; nothing was changed",
                spec.name,
                datagram.len()
            ),
        ));
    }
    crate::interrupt::check()?;
    let refused = socket.send_in_one_call(&mut datagram)?;
    match refused.first() {
        None => Ok(()),
        Some(&(_, code)) => Err(refusal(Command::AddMember, &spec.name, code)),
    }
}

/// The error for a create whose answers were lost, naming the family's
/// sets that exist now.
fn unknown_outcome(spec: &FamilySpec, e: Error) -> Error {
    let ours: std::collections::HashSet<String> = spec
        .shard_names()
        .chain(std::iter::once(spec.name.clone()))
        .collect();
    match crate::kernel::list::headers(None) {
        Ok(headers) => {
            let present: Vec<String> = headers
                .into_iter()
                .map(|h| h.name)
                .filter(|n| ours.contains(n))
                .collect();
            if present.is_empty() {
                e
            } else {
                Error::Partial(format!(
                    "{e}; these sets of family {} exist now: {} (`mipset destroy --force {}` removes them)",
                    spec.name,
                    present.join(" "),
                    spec.name
                ))
            }
        }
        Err(_) => Error::Partial(format!(
            "{e}; some sets of family {} may exist now (`mipset destroy --force {}` removes them)",
            spec.name, spec.name
        )),
    }
}
