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

use crate::addr::AddrFamily;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::netlink::{
    acks, align, attrs, os_error, push_attr, request, Socket, NLA_F_NET_BYTEORDER, NLMSG_ERROR,
    NLM_F_REQUEST,
};
use crate::meta::FamilySpec;

const NLM_F_ACK: u16 = 0x4;
const NLM_F_EXCL: u16 = 0x200;
const CMD_CREATE: u16 = 2;
const CMD_ADD: u16 = 9;
const CMD_TYPE: u16 = 13;
const ATTR_TYPENAME: u16 = 3;
const ATTR_REVISION: u16 = 4;
const ATTR_FAMILY: u16 = 5;
const ATTR_DATA: u16 = 7;
const ATTR_REVISION_MIN: u16 = 10;
// Inside IPSET_ATTR_DATA of a create.
const ATTR_TIMEOUT: u16 = 6;
const ATTR_CADT_FLAGS: u16 = 8;
const ATTR_HASHSIZE: u16 = 18;
const ATTR_MAXELEM: u16 = 19;
const ATTR_SIZE: u16 = 23;
// Inside IPSET_ATTR_DATA of an add to a list:set.
const ATTR_NAME: u16 = 18;
const ATTR_COMMENT: u16 = 26;
const FLAG_WITH_COUNTERS: u32 = 1 << 3;
const FLAG_WITH_COMMENT: u32 = 1 << 4;
const NFPROTO_UNSPEC: u8 = 0;
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;

/// The highest revision of each type that ipset 7.x's userspace knows; a
/// kernel may know more, and `ipset create` picks the highest both know.
fn userspace_revision(typename: &str) -> u8 {
    match typename {
        "hash:ip" => 6,
        "hash:net" => 7,
        _ => 3, // list:set
    }
}

fn nfproto(family: AddrFamily) -> u8 {
    match family {
        AddrFamily::Inet => NFPROTO_IPV4,
        AddrFamily::Inet6 => NFPROTO_IPV6,
    }
}

/// Create the family `spec` (shards, umbrella, members with metadata) in
/// one `sendmsg`. On a refusal, the sets this call made are destroyed again
/// (umbrella first) and the first refusal is the error; sets it could not
/// destroy are named.
pub fn create_family(spec: &FamilySpec) -> Result<()> {
    let mut socket = Socket::open()?;
    let shard_type = spec.set_type.as_str();
    let shard_rev = revision(&mut socket, shard_type, nfproto(spec.family))?;
    let list_rev = revision(&mut socket, "list:set", NFPROTO_UNSPEC)?;

    let mut datagram = Vec::new();
    let mut sent = Vec::new();
    // Per message, the set it creates (None for an add).
    let mut push = |socket: &mut Socket, mut msg: Vec<u8>, creates: Option<String>| {
        socket.number(&mut msg);
        datagram.extend_from_slice(&msg);
        sent.push(creates);
    };
    for shard in spec.shard_names() {
        let msg = shard_create(spec, &shard, shard_rev);
        push(&mut socket, msg, Some(shard));
    }
    push(
        &mut socket,
        umbrella_create(spec, list_rev),
        Some(spec.name.clone()),
    );
    let encoder = spec.encoder();
    for (i, shard) in spec.shard_names().enumerate() {
        let msg = member_add(&spec.name, &shard, &encoder.encode(i as u32));
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
    let refused = socket.send_in_one_call(&mut datagram)?;
    let Some(&(index, code)) = refused.first() else {
        return Ok(());
    };
    let failed = match &sent[index] {
        Some(set) => format!("create {set}"),
        None => format!("add a member to umbrella {}", spec.name),
    };
    let error = refusal(&failed, code);
    // Undo what this call made, the umbrella (it references shards) first.
    let made: Vec<&str> = sent
        .iter()
        .enumerate()
        .filter(|(i, _)| !refused.iter().any(|(r, _)| r == i))
        .filter_map(|(_, creates)| creates.as_deref())
        .collect();
    let mut remain = Vec::new();
    for set in made.iter().rev() {
        if destroy(&mut socket, set).is_err() {
            remain.push(*set);
        }
    }
    if remain.is_empty() {
        Err(error)
    } else {
        Err(Error::Partial(format!(
            "{error}; cleaning up also failed, these sets remain: {}",
            remain.join(" ")
        )))
    }
}

/// The CREATE message of one shard.
fn shard_create(spec: &FamilySpec, shard: &str, revision: u8) -> Vec<u8> {
    let mut msg = create_header(
        shard,
        spec.set_type.as_str(),
        revision,
        nfproto(spec.family),
    );
    let mut data = Vec::new();
    push_u32(&mut data, ATTR_HASHSIZE, spec.hashsize);
    push_u32(&mut data, ATTR_MAXELEM, spec.maxelem);
    if let Some(t) = spec.timeout {
        push_u32(&mut data, ATTR_TIMEOUT, t);
    }
    let flags = if spec.counters { FLAG_WITH_COUNTERS } else { 0 }
        | if spec.comment { FLAG_WITH_COMMENT } else { 0 };
    if flags != 0 {
        push_u32(&mut data, ATTR_CADT_FLAGS, flags);
    }
    push_nested(&mut msg, ATTR_DATA, &data);
    msg
}

/// The CREATE message of the umbrella: a `list:set` with comments.
fn umbrella_create(spec: &FamilySpec, revision: u8) -> Vec<u8> {
    // list:set takes no address family.
    let mut msg = create_header(&spec.name, "list:set", revision, NFPROTO_UNSPEC);
    let mut data = Vec::new();
    push_u32(&mut data, ATTR_SIZE, spec.shards.max(8));
    push_u32(&mut data, ATTR_CADT_FLAGS, FLAG_WITH_COMMENT);
    push_nested(&mut msg, ATTR_DATA, &data);
    msg
}

/// A create request up to (not including) its data: name, type, revision
/// and netfilter protocol family.
fn create_header(set: &str, typename: &str, revision: u8, family: u8) -> Vec<u8> {
    let mut msg = request(
        CMD_CREATE,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL,
        libc::AF_INET as u8,
        set,
    );
    push_str(&mut msg, ATTR_TYPENAME, typename);
    push_attr(&mut msg, ATTR_REVISION, &[revision]);
    push_attr(&mut msg, ATTR_FAMILY, &[family]);
    msg
}

/// Add `member` to the umbrella `list` with its metadata `comment`.
fn member_add(list: &str, member: &str, comment: &str) -> Vec<u8> {
    let mut msg = request(
        CMD_ADD,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL,
        libc::AF_INET as u8,
        list,
    );
    let mut data = Vec::new();
    push_str(&mut data, ATTR_NAME, member);
    push_str(&mut data, ATTR_COMMENT, comment);
    push_nested(&mut msg, ATTR_DATA, &data);
    msg
}

fn push_str(buf: &mut Vec<u8>, kind: u16, text: &str) {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    push_attr(buf, kind, &bytes);
}

fn push_u32(buf: &mut Vec<u8>, kind: u16, value: u32) {
    push_attr(buf, kind | NLA_F_NET_BYTEORDER, &value.to_be_bytes());
}

fn push_nested(buf: &mut Vec<u8>, kind: u16, inner: &[u8]) {
    const NLA_F_NESTED: u16 = 0x8000;
    push_attr(buf, kind | NLA_F_NESTED, inner);
}

/// The revision to create `typename` sets of `family` with: the highest
/// both the kernel and ipset 7.x know.
fn revision(socket: &mut Socket, typename: &str, family: u8) -> Result<u8> {
    let mut msg = request(CMD_TYPE, NLM_F_REQUEST | NLM_F_ACK, family, "");
    // A type query carries no set name: drop the empty one `request` added.
    msg.truncate(msg.len() - 8);
    push_str(&mut msg, ATTR_TYPENAME, typename);
    push_attr(&mut msg, ATTR_FAMILY, &[family]);
    let seq = socket.send(&mut msg)?;
    let mut buf = vec![0u8; 8192];
    let mut found: Option<(u8, u8)> = None;
    loop {
        let data = socket.recv(&mut buf)?.to_vec();
        for (kind, reply_seq, body) in messages(&data) {
            if reply_seq != seq {
                continue;
            }
            if kind == NLMSG_ERROR {
                let code = error_code(body);
                if code != 0 {
                    return Err(refusal(&format!("ask the kernel about {typename}"), code));
                }
                let (max, min) = found.ok_or_else(|| {
                    Error::kernel(
                        KernelErrorKind::NoIpset,
                        format!("the kernel did not describe set type {typename}"),
                    )
                })?;
                let want = userspace_revision(typename).min(max);
                if want < min {
                    return Err(Error::kernel(
                        KernelErrorKind::NoIpset,
                        format!("the kernel's {typename} revisions {min}-{max} are all newer than mipset knows"),
                    ));
                }
                return Ok(want);
            }
            let (mut max, mut min) = (None, 0);
            for (attr, payload) in attrs(body.get(4..).unwrap_or_default()) {
                match (attr, payload) {
                    (ATTR_REVISION, [r, ..]) => max = Some(*r),
                    (ATTR_REVISION_MIN, [r, ..]) => min = *r,
                    _ => {}
                }
            }
            if let Some(max) = max {
                found = Some((max, min));
            }
        }
    }
}

/// Netlink messages in a datagram: (type, sequence, body after the header).
fn messages(mut data: &[u8]) -> Vec<(u16, u32, &[u8])> {
    let mut out = Vec::new();
    while data.len() >= 16 {
        let len = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]) as usize;
        if len < 16 || len > data.len() {
            break;
        }
        let kind = u16::from_ne_bytes([data[4], data[5]]);
        let seq = u32::from_ne_bytes([data[8], data[9], data[10], data[11]]);
        out.push((kind, seq, &data[16..len]));
        data = &data[align(len).min(data.len())..];
    }
    out
}

/// The (positive) error code of an NLMSG_ERROR body; 0 is an ack.
fn error_code(body: &[u8]) -> i32 {
    match body {
        [a, b, c, d, ..] => -i32::from_ne_bytes([*a, *b, *c, *d]),
        _ => libc::EPROTO,
    }
}

/// Destroy one set this call made.
fn destroy(socket: &mut Socket, set: &str) -> Result<()> {
    const CMD_DESTROY: u16 = 3;
    let mut msg = request(
        CMD_DESTROY,
        NLM_F_REQUEST | NLM_F_ACK,
        libc::AF_INET as u8,
        set,
    );
    let seq = socket.send(&mut msg)?;
    let mut buf = vec![0u8; 8192];
    loop {
        let data = socket.recv(&mut buf)?;
        for (reply_seq, code) in acks(data) {
            if reply_seq == seq {
                return if code == 0 {
                    Ok(())
                } else {
                    Err(refusal(&format!("destroy {set}"), code))
                };
            }
        }
    }
}

/// What the kernel's refusal `code` of `what` means.
fn refusal(what: &str, code: i32) -> Error {
    const IPSET_ERR_FIND_TYPE: i32 = 4098;
    const IPSET_ERR_MAX_SETS: i32 = 4099;
    const IPSET_ERR_EXIST_SETNAME2: i32 = 4101;
    const IPSET_ERR_EXIST: i32 = 4103;
    match code {
        libc::EEXIST | IPSET_ERR_EXIST | IPSET_ERR_EXIST_SETNAME2 => Error::kernel(
            KernelErrorKind::Other,
            format!("{what}: a set of that name already exists"),
        ),
        IPSET_ERR_FIND_TYPE => Error::kernel(
            KernelErrorKind::NoIpset,
            format!("{what}: the kernel lacks this set type (modprobe ip_set_hash_ip ip_set_hash_net ip_set_list_set)"),
        ),
        IPSET_ERR_MAX_SETS => Error::kernel(
            KernelErrorKind::Other,
            format!("{what}: the kernel's limit on the number of sets is reached (ip_set max_sets)"),
        ),
        c if c > 0 && c < 4096 => os_error(what, std::io::Error::from_raw_os_error(c)),
        c => Error::kernel(
            KernelErrorKind::Other,
            format!("{what}: ipset kernel error {c}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FamilySpec {
        crate::meta::test_spec(4)
    }

    #[test]
    fn shard_create_carries_type_revision_family_and_sizes() {
        let s = spec();
        let msg = shard_create(&s, "web-s0", 6);
        let top: Vec<_> = attrs(&msg[20..]).collect();
        assert!(top.contains(&(ATTR_TYPENAME, &b"hash:ip\0"[..])));
        assert!(top.contains(&(ATTR_REVISION, &[6u8][..])));
        assert!(top.contains(&(ATTR_FAMILY, &[NFPROTO_IPV4][..])));
        let data = top.iter().find(|(k, _)| *k == ATTR_DATA).unwrap().1;
        let inner: Vec<_> = attrs(data).collect();
        assert!(inner.contains(&(ATTR_HASHSIZE, &s.hashsize.to_be_bytes()[..])));
        assert!(inner.contains(&(ATTR_MAXELEM, &s.maxelem.to_be_bytes()[..])));
    }

    #[test]
    fn umbrella_is_an_unspecified_family_list_with_comments() {
        let msg = umbrella_create(&spec(), 3);
        let top: Vec<_> = attrs(&msg[20..]).collect();
        assert!(top.contains(&(ATTR_TYPENAME, &b"list:set\0"[..])));
        assert!(top.contains(&(ATTR_FAMILY, &[NFPROTO_UNSPEC][..])));
        let data = top.iter().find(|(k, _)| *k == ATTR_DATA).unwrap().1;
        let inner: Vec<_> = attrs(data).collect();
        assert!(inner.contains(&(ATTR_SIZE, &8u32.to_be_bytes()[..])));
        assert!(inner.contains(&(ATTR_CADT_FLAGS, &FLAG_WITH_COMMENT.to_be_bytes()[..])));
    }
}
