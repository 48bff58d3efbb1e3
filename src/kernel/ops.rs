//! Whole-set and single-element requests over mipset's own netlink socket:
//! create, destroy, flush, swap, add/del/test of one element, and list:set
//! members with comments. One request, one acknowledgement.
//!
//! The messages are built by pure functions (tested below); [`Conn`] sends
//! them. What a refusal means is [`super::codes`]'s job.

use crate::addr::{AddrFamily, Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::batch::{push_element, Element};
use crate::kernel::codes::{refusal, Command};
use crate::kernel::netlink::{
    acks, attrs, push_attr, push_nested, push_str, push_u32, request, Socket, NLMSG_ERROR,
    NLM_F_REQUEST,
};

const NLM_F_ACK: u16 = 0x4;
const NLM_F_EXCL: u16 = 0x200;
pub(crate) const CMD_CREATE: u16 = 2;
const CMD_DESTROY: u16 = 3;
const CMD_FLUSH: u16 = 4;
const CMD_SWAP: u16 = 6;
pub(crate) const CMD_ADD: u16 = 9;
const CMD_DEL: u16 = 10;
const CMD_TEST: u16 = 11;
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
pub(crate) const NFPROTO_UNSPEC: u8 = 0;
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;

/// What a new set is: a hash set of mipset's kinds, or a list:set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetKind {
    Hash {
        set_type: SetType,
        family: AddrFamily,
        hashsize: u32,
        maxelem: u32,
        timeout: Option<u32>,
        counters: bool,
        comment: bool,
    },
    /// A list:set of `size` members, with per-member comments.
    List { size: u32 },
}

impl SetKind {
    pub fn typename(&self) -> &'static str {
        match self {
            SetKind::Hash { set_type, .. } => set_type.as_str(),
            SetKind::List { .. } => "list:set",
        }
    }

    /// The netfilter protocol family of the create request.
    pub(crate) fn nfproto(&self) -> u8 {
        match self {
            SetKind::Hash { family, .. } => nfproto(*family),
            SetKind::List { .. } => NFPROTO_UNSPEC,
        }
    }
}

pub(crate) fn nfproto(family: AddrFamily) -> u8 {
    match family {
        AddrFamily::Inet => NFPROTO_IPV4,
        AddrFamily::Inet6 => NFPROTO_IPV6,
    }
}

fn address_family(entry: &Entry) -> u8 {
    match entry.addr {
        std::net::IpAddr::V4(_) => libc::AF_INET as u8,
        std::net::IpAddr::V6(_) => libc::AF_INET6 as u8,
    }
}

/// The highest revision of each type that ipset 7.x's userspace knows; a
/// kernel may know more, and `ipset create` picks the highest both know.
fn userspace_revision(typename: &str) -> u8 {
    match typename {
        "hash:ip" => 6,
        "hash:net" => 7,
        _ => 3, // list:set
    }
}

/// The CREATE request for set `name` of `kind` at `revision` (`-exist`:
/// an identical set already there is no error).
pub(crate) fn create_message(name: &str, kind: &SetKind, revision: u8, exist: bool) -> Vec<u8> {
    let flags = NLM_F_REQUEST | NLM_F_ACK | if exist { 0 } else { NLM_F_EXCL };
    let mut msg = request(CMD_CREATE, flags, libc::AF_INET as u8, name);
    push_str(&mut msg, ATTR_TYPENAME, kind.typename());
    push_attr(&mut msg, ATTR_REVISION, &[revision]);
    push_attr(&mut msg, ATTR_FAMILY, &[kind.nfproto()]);
    let mut data = Vec::new();
    match kind {
        SetKind::Hash {
            hashsize,
            maxelem,
            timeout,
            counters,
            comment,
            ..
        } => {
            push_u32(&mut data, ATTR_HASHSIZE, *hashsize);
            push_u32(&mut data, ATTR_MAXELEM, *maxelem);
            if let Some(t) = timeout {
                push_u32(&mut data, ATTR_TIMEOUT, *t);
            }
            let flags = if *counters { FLAG_WITH_COUNTERS } else { 0 }
                | if *comment { FLAG_WITH_COMMENT } else { 0 };
            if flags != 0 {
                push_u32(&mut data, ATTR_CADT_FLAGS, flags);
            }
        }
        SetKind::List { size } => {
            push_u32(&mut data, ATTR_SIZE, *size);
            push_u32(&mut data, ATTR_CADT_FLAGS, FLAG_WITH_COMMENT);
        }
    }
    push_nested(&mut msg, ATTR_DATA, &data);
    msg
}

/// Add `member` to the list:set `list` with `comment` (`-exist`: an
/// existing member gets the new comment).
pub(crate) fn member_message(list: &str, member: &str, comment: &str, exist: bool) -> Vec<u8> {
    let flags = NLM_F_REQUEST | NLM_F_ACK | if exist { 0 } else { NLM_F_EXCL };
    let mut msg = request(CMD_ADD, flags, libc::AF_INET as u8, list);
    let mut data = Vec::new();
    push_str(&mut data, ATTR_NAME, member);
    push_str(&mut data, ATTR_COMMENT, comment);
    push_nested(&mut msg, ATTR_DATA, &data);
    msg
}

/// One element add/del/test request.
fn element_message(
    command: u16,
    set: &str,
    element: &Element,
    entry: &Entry,
    exist: bool,
) -> Vec<u8> {
    let flags = NLM_F_REQUEST | NLM_F_ACK | if exist { 0 } else { NLM_F_EXCL };
    let mut msg = request(command, flags, address_family(entry), set);
    push_element(&mut msg, element, entry);
    msg
}

/// A connection to the kernel's ipset subsystem.
pub struct Conn {
    socket: Socket,
    buf: Vec<u8>,
}

impl Conn {
    pub fn open() -> Result<Conn> {
        Ok(Conn {
            socket: Socket::open()?,
            buf: vec![0u8; 8192],
        })
    }

    /// Send one request and return the kernel's answer code (0: done).
    fn ask(&mut self, mut msg: Vec<u8>) -> Result<i32> {
        let seq = self.socket.send(&mut msg)?;
        loop {
            let data = self.socket.recv(&mut self.buf)?;
            if let Some((_, code)) = acks(data).into_iter().find(|(s, _)| *s == seq) {
                return Ok(code);
            }
        }
    }

    /// Send one request; an error if the kernel refused it.
    fn run(&mut self, msg: Vec<u8>, command: Command, set: &str) -> Result<()> {
        match self.ask(msg)? {
            0 => Ok(()),
            code => Err(refusal(command, set, code)),
        }
    }

    /// The revision to create `typename` sets of `family` with: the highest
    /// both the kernel and ipset 7.x know.
    pub fn revision(&mut self, typename: &str, family: u8) -> Result<u8> {
        let mut msg = request(CMD_TYPE, NLM_F_REQUEST | NLM_F_ACK, family, "");
        // A type query carries no set name: drop the empty one.
        msg.truncate(msg.len() - 8);
        push_str(&mut msg, ATTR_TYPENAME, typename);
        push_attr(&mut msg, ATTR_FAMILY, &[family]);
        let seq = self.socket.send(&mut msg)?;
        let mut found: Option<(u8, u8)> = None;
        loop {
            let data = self.socket.recv(&mut self.buf)?.to_vec();
            if let Some((_, code)) = acks(&data).into_iter().find(|(s, _)| *s == seq) {
                if code != 0 {
                    return Err(refusal(Command::Type, typename, code));
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
            if let Some(body) = reply_body(&data, seq) {
                let (mut max, mut min) = (None, 0);
                for (attr, payload) in attrs(body) {
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

    /// Create one set (`exist`: an identical one already there is fine).
    pub fn create(&mut self, name: &str, kind: &SetKind, exist: bool) -> Result<()> {
        let revision = self.revision(kind.typename(), kind.nfproto())?;
        let msg = create_message(name, kind, revision, exist);
        self.run(msg, Command::Create, name)
    }

    pub fn destroy(&mut self, name: &str) -> Result<()> {
        let msg = request(
            CMD_DESTROY,
            NLM_F_REQUEST | NLM_F_ACK,
            libc::AF_INET as u8,
            name,
        );
        self.run(msg, Command::Destroy, name)
    }

    pub fn flush(&mut self, name: &str) -> Result<()> {
        let msg = request(
            CMD_FLUSH,
            NLM_F_REQUEST | NLM_F_ACK,
            libc::AF_INET as u8,
            name,
        );
        self.run(msg, Command::Flush, name)
    }

    /// Exchange the names of `a` and `b` (`ipset swap`).
    pub fn swap(&mut self, a: &str, b: &str) -> Result<()> {
        let mut msg = request(CMD_SWAP, NLM_F_REQUEST | NLM_F_ACK, libc::AF_INET as u8, a);
        push_str(&mut msg, ATTR_TYPENAME, b); // IPSET_ATTR_SETNAME2
        self.run(msg, Command::Swap, a)
    }

    /// Add one element; Ok(false) if it was already there (without
    /// `exist`; with it, the element's extensions are refreshed).
    pub fn add(&mut self, set: &str, element: &Element, exist: bool) -> Result<bool> {
        let Some(entry) = element.entry else {
            return Ok(false);
        };
        match self.ask(element_message(CMD_ADD, set, element, &entry, exist))? {
            0 => Ok(true),
            crate::kernel::codes::IPSET_ERR_EXIST => Ok(false),
            code => Err(refusal(Command::Add(entry), set, code)),
        }
    }

    /// Delete one element; Ok(false) if it was not there.
    pub fn del(&mut self, set: &str, entry: &Entry) -> Result<bool> {
        let element = Element::plain(*entry);
        match self.ask(element_message(CMD_DEL, set, &element, entry, false))? {
            0 => Ok(true),
            crate::kernel::codes::IPSET_ERR_EXIST => Ok(false),
            code => Err(refusal(Command::Del(*entry), set, code)),
        }
    }

    /// Is `entry` a member? For hash:net a host address matches any network
    /// holding it; a network must be present exactly (as `ipset test`).
    pub fn test(&mut self, set: &str, entry: &Entry) -> Result<bool> {
        let element = Element::plain(*entry);
        match self.ask(element_message(CMD_TEST, set, &element, entry, false))? {
            0 => Ok(true),
            crate::kernel::codes::IPSET_ERR_EXIST => Ok(false),
            code => Err(refusal(Command::Test(*entry), set, code)),
        }
    }

    /// Add (or with `exist`, re-comment) a list:set member.
    pub fn add_member(
        &mut self,
        list: &str,
        member: &str,
        comment: &str,
        exist: bool,
    ) -> Result<()> {
        self.run(
            member_message(list, member, comment, exist),
            Command::AddMember,
            list,
        )
    }
}

/// The attributes of the non-error reply to `seq` in `data`, after the
/// nfgenmsg header.
fn reply_body(data: &[u8], seq: u32) -> Option<&[u8]> {
    let mut rest = data;
    while rest.len() >= 20 {
        let len = u32::from_ne_bytes(rest[0..4].try_into().ok()?) as usize;
        if len < 16 || len > rest.len() {
            return None;
        }
        let kind = u16::from_ne_bytes([rest[4], rest[5]]);
        let reply_seq = u32::from_ne_bytes(rest[8..12].try_into().ok()?);
        if kind != NLMSG_ERROR && reply_seq == seq && len >= 20 {
            return Some(&rest[20..len]);
        }
        rest = &rest[crate::kernel::netlink::align(len).min(rest.len())..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(family: AddrFamily) -> SetKind {
        SetKind::Hash {
            set_type: SetType::HashIp,
            family,
            hashsize: 64,
            maxelem: 4096,
            timeout: Some(60),
            counters: false,
            comment: true,
        }
    }

    #[test]
    fn create_carries_type_revision_family_and_sizes() {
        let msg = create_message("web-s0", &hash(AddrFamily::Inet6), 6, false);
        let top: Vec<_> = attrs(&msg[20..]).collect();
        assert!(top.contains(&(ATTR_TYPENAME, &b"hash:ip\0"[..])));
        assert!(top.contains(&(ATTR_REVISION, &[6u8][..])));
        assert!(top.contains(&(ATTR_FAMILY, &[NFPROTO_IPV6][..])));
        let data = top.iter().find(|(k, _)| *k == ATTR_DATA).unwrap().1;
        let inner: Vec<_> = attrs(data).collect();
        assert!(inner.contains(&(ATTR_HASHSIZE, &64u32.to_be_bytes()[..])));
        assert!(inner.contains(&(ATTR_MAXELEM, &4096u32.to_be_bytes()[..])));
        assert!(inner.contains(&(ATTR_TIMEOUT, &60u32.to_be_bytes()[..])));
        assert!(inner.contains(&(ATTR_CADT_FLAGS, &FLAG_WITH_COMMENT.to_be_bytes()[..])));
        let flags = u16::from_ne_bytes([msg[6], msg[7]]);
        assert_ne!(
            flags & NLM_F_EXCL,
            0,
            "without -exist a create is exclusive"
        );
    }

    #[test]
    fn a_list_is_of_unspecified_family_with_comments() {
        let msg = create_message("web", &SetKind::List { size: 8 }, 3, true);
        let top: Vec<_> = attrs(&msg[20..]).collect();
        assert!(top.contains(&(ATTR_TYPENAME, &b"list:set\0"[..])));
        assert!(top.contains(&(ATTR_FAMILY, &[NFPROTO_UNSPEC][..])));
        let data = top.iter().find(|(k, _)| *k == ATTR_DATA).unwrap().1;
        let inner: Vec<_> = attrs(data).collect();
        assert!(inner.contains(&(ATTR_SIZE, &8u32.to_be_bytes()[..])));
        let flags = u16::from_ne_bytes([msg[6], msg[7]]);
        assert_eq!(flags & NLM_F_EXCL, 0, "-exist accepts an identical set");
    }

    #[test]
    fn members_carry_name_and_comment() {
        let msg = member_message("web", "web-s3", "mipset:v1 shard=3/4", false);
        let top: Vec<_> = attrs(&msg[20..]).collect();
        let data = top.iter().find(|(k, _)| *k == ATTR_DATA).unwrap().1;
        let inner: Vec<_> = attrs(data).collect();
        assert_eq!(
            inner,
            vec![
                (ATTR_NAME, &b"web-s3\0"[..]),
                (ATTR_COMMENT, &b"mipset:v1 shard=3/4\0"[..])
            ]
        );
    }
}
