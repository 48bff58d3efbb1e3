//! Whole-set and single-element requests over mipset's own netlink socket:
//! create, destroy, flush, swap, add/del/test of one element, and list:set
//! members with comments. One request, one acknowledgement.
//!
//! The messages are built by the pure functions of [`super::requests`];
//! [`Conn`] sends them. What a refusal means is [`super::codes`]'s job.

use crate::addr::{AddrFamily, Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::batch::Element;
use crate::kernel::codes::{refusal, Command};
use crate::kernel::netlink::{
    acks, attrs, push_attr, push_str, request, Socket, NLMSG_ERROR, NLM_F_REQUEST,
};
use crate::kernel::protocol::{
    ATTR_FAMILY, ATTR_REVISION, ATTR_REVISION_MIN, ATTR_TYPENAME, CMD_ADD, CMD_DEL, CMD_DESTROY,
    CMD_FLUSH, CMD_HEADER, CMD_SWAP, CMD_TEST, CMD_TYPE, NFPROTO_IPV4, NFPROTO_IPV6, NLM_F_ACK,
};
use crate::kernel::requests::{
    create_message, element_message, member_del_message, member_message, userspace_revision,
    SetKind,
};

/// What [`Conn::probe`] learnt about a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub typename: String,
    pub family: Option<AddrFamily>,
    pub timeout: bool,
    pub counters: bool,
    pub comment: bool,
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
        self.socket.request(&mut msg)
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

    /// What set `name` is, asked without walking its buckets (a header
    /// listing makes the kernel visit every bucket to size the set, which
    /// costs milliseconds on a large one): its type and address family
    /// (`IPSET_CMD_HEADER`), and which of timeout, counters and comment it
    /// supports. Those come from three deletes in one send, each carrying
    /// one extension and an element no hash set can hold (address 0, and
    /// prefix 0 for hash:net): the kernel refuses an extension the set lacks
    /// (IPSET_ERR_TIMEOUT, _COUNTER, _COMMENT) before it looks at the
    /// element, and otherwise refuses the element. Nothing is changed.
    /// (A test would not do: the kernel reports every test failure as "not
    /// a member".)
    /// `None` if the kernel's answers were not the ones this relies on
    /// (callers then list the header instead).
    pub fn probe(&mut self, name: &str) -> Result<Option<Probe>> {
        use crate::kernel::codes::{
            IPSET_ERR_COMMENT, IPSET_ERR_COUNTER, IPSET_ERR_HASH_ELEM, IPSET_ERR_INVALID_CIDR,
            IPSET_ERR_TIMEOUT,
        };
        let (typename, family) = self.header(name)?;
        let mut probe = Probe {
            typename,
            family,
            timeout: false,
            counters: false,
            comment: false,
        };
        let (Some(family), Ok(set_type)) = (family, probe.typename.parse::<SetType>()) else {
            return Ok(Some(probe));
        };
        let (addr, prefix) = match family {
            AddrFamily::Inet => (std::net::IpAddr::from([0u8; 4]), 32),
            AddrFamily::Inet6 => (std::net::IpAddr::from([0u8; 16]), 128),
        };
        let nothing = Entry {
            addr,
            prefix: if set_type == SetType::HashNet {
                0
            } else {
                prefix
            },
        };
        let plain = Element::plain(nothing);
        let probes = [
            (
                Element {
                    timeout: Some(0),
                    ..plain.clone()
                },
                IPSET_ERR_TIMEOUT,
            ),
            (
                Element {
                    packets: Some(0),
                    ..plain.clone()
                },
                IPSET_ERR_COUNTER,
            ),
            (
                Element {
                    comment: Some("x"),
                    ..plain.clone()
                },
                IPSET_ERR_COMMENT,
            ),
        ];
        let mut datagram = Vec::new();
        for (element, _) in &probes {
            let mut msg = element_message(CMD_DEL, name, element, &nothing, false);
            self.socket.number(&mut msg);
            datagram.extend_from_slice(&msg);
        }
        let refused = self.socket.send_in_one_call(&mut datagram)?;
        // Each delete must have been refused (one that was not changed
        // nothing either: no set holds the element).
        if refused.len() != probes.len() {
            return Ok(None);
        }
        let mut has = [true; 3];
        for (i, code) in refused {
            match code {
                IPSET_ERR_HASH_ELEM | IPSET_ERR_INVALID_CIDR => {}
                c if c == probes[i].1 => has[i] = false,
                libc::ENOENT => return Err(refusal(Command::List, name, libc::ENOENT)),
                _ => return Ok(None),
            }
        }
        [probe.timeout, probe.counters, probe.comment] = has;
        Ok(Some(probe))
    }

    /// A set's type name and address family, from `IPSET_CMD_HEADER`.
    fn header(&mut self, name: &str) -> Result<(String, Option<AddrFamily>)> {
        let mut msg = request(
            CMD_HEADER,
            NLM_F_REQUEST | NLM_F_ACK,
            libc::AF_INET as u8,
            name,
        );
        let seq = self.socket.send(&mut msg)?;
        let mut found: Option<(String, Option<AddrFamily>)> = None;
        loop {
            let data = self.socket.recv(&mut self.buf)?.to_vec();
            if let Some(body) = reply_body(&data, seq) {
                let mut typename = String::new();
                let mut family = None;
                for (attr, payload) in attrs(body) {
                    match (attr, payload) {
                        (ATTR_TYPENAME, p) => {
                            let text = p.split(|&b| b == 0).next().unwrap_or_default();
                            typename = String::from_utf8_lossy(text).into_owned();
                        }
                        (ATTR_FAMILY, [NFPROTO_IPV4, ..]) => family = Some(AddrFamily::Inet),
                        (ATTR_FAMILY, [NFPROTO_IPV6, ..]) => family = Some(AddrFamily::Inet6),
                        _ => {}
                    }
                }
                found = Some((typename, family));
            }
            if let Some((_, code)) = acks(&data).into_iter().find(|(s, _)| *s == seq) {
                if code != 0 {
                    return Err(refusal(Command::List, name, code));
                }
                return found.ok_or_else(|| {
                    Error::kernel(
                        KernelErrorKind::Other,
                        format!("set {name}: no header in the kernel's reply"),
                    )
                });
            }
        }
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

    /// Take `member` out of the list:set `list`.
    pub fn del_member(&mut self, list: &str, member: &str) -> Result<()> {
        self.run(member_del_message(list, member), Command::AddMember, list)
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
