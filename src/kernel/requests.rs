//! The ipset requests mipset sends, built as bytes (pure): create, a
//! list:set member, one element; and the protocol numbers they use. The
//! senders are [`super::ops`] and [`super::create`].

use crate::addr::{AddrFamily, Entry, SetType};
use crate::kernel::batch::{push_element, Element};
use crate::kernel::netlink::{push_attr, push_nested, push_str, push_u32, request, NLM_F_REQUEST};
use crate::kernel::protocol::{
    ATTR_CADT_FLAGS, ATTR_COMMENT, ATTR_DATA, ATTR_FAMILY, ATTR_HASHSIZE, ATTR_MAXELEM, ATTR_NAME,
    ATTR_REVISION, ATTR_SIZE, ATTR_TIMEOUT, ATTR_TYPENAME, CMD_ADD, CMD_CREATE, CMD_DEL,
    FLAG_WITH_COMMENT, FLAG_WITH_COUNTERS, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_UNSPEC, NLM_F_ACK,
    NLM_F_EXCL,
};

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
pub(crate) fn userspace_revision(typename: &str) -> u8 {
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

/// Remove `member` from the list:set `list`.
pub(crate) fn member_del_message(list: &str, member: &str) -> Vec<u8> {
    let mut msg = request(
        CMD_DEL,
        NLM_F_REQUEST | NLM_F_ACK,
        libc::AF_INET as u8,
        list,
    );
    let mut data = Vec::new();
    push_str(&mut data, ATTR_NAME, member);
    push_nested(&mut msg, ATTR_DATA, &data);
    msg
}

/// One element add/del/test request.
pub(crate) fn element_message(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::netlink::attrs;

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
