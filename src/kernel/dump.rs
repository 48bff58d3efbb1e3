//! Reading a whole set straight from the kernel: one netlink `IPSET_CMD_LIST`
//! dump, its element attributes decoded into [`Entry`] values, with no text
//! round trip through libipset's printer (which made reading 1M elements as
//! slow as listing them with `ipset list`).
//!
//! Only hash:ip and hash:net elements are decoded (IP, CIDR, and the
//! timeout/packets/bytes/comment extensions). The message layout and
//! attribute numbers are the kernel's stable ipset protocol, version 7
//! (`linux/netfilter/ipset/ip_set.h`); the kernel tests exercise them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};

const NETLINK_NETFILTER: i32 = 12;
const NFNL_SUBSYS_IPSET: u16 = 6;
const IPSET_CMD_LIST: u16 = 7;
const IPSET_PROTOCOL: u8 = 7;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLA_TYPE_MASK: u16 = 0x3fff;

// Command-level attributes.
const ATTR_PROTOCOL: u16 = 1;
const ATTR_SETNAME: u16 = 2;
const ATTR_DATA: u16 = 7;
const ATTR_ADT: u16 = 8;
// Element attributes.
const ATTR_IP: u16 = 1;
const ATTR_CIDR: u16 = 3;
const ATTR_TIMEOUT: u16 = 6;
const ATTR_CADT_FLAGS: u16 = 8;
/// IPSET_FLAG_NOMATCH.
pub(crate) const FLAG_NOMATCH: u32 = 1 << 2;
const ATTR_BYTES: u16 = 24;
const ATTR_PACKETS: u16 = 25;
const ATTR_COMMENT: u16 = 26;
const ATTR_IPADDR_IPV4: u16 = 1;
const ATTR_IPADDR_IPV6: u16 = 2;

/// One element as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub entry: Entry,
    pub timeout: Option<u32>,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
    pub comment: Option<String>,
    /// A hash:net `nomatch` exception (matches nothing; carves a hole).
    pub nomatch: bool,
}

pub(crate) fn align(n: usize) -> usize {
    (n + 3) & !3
}

pub(crate) fn push_attr(buf: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let len = 4 + payload.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(payload);
    buf.resize(align(buf.len()), 0);
}

/// Attributes in `data`: (type without flags, payload).
pub(crate) fn attrs(mut data: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if data.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([data[0], data[1]]) as usize;
        let kind = u16::from_ne_bytes([data[2], data[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > data.len() {
            return None;
        }
        let payload = &data[4..len];
        data = &data[align(len).min(data.len())..];
        Some((kind, payload))
    })
}

fn be_u32(p: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(..4)?.try_into().ok()?))
}

fn be_u64(p: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(p.get(..8)?.try_into().ok()?))
}

fn element(data: &[u8]) -> Option<Element> {
    let mut addr = None;
    let mut cidr = None;
    let mut e = Element {
        entry: Entry::host(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        timeout: None,
        packets: None,
        bytes: None,
        comment: None,
        nomatch: false,
    };
    for (kind, p) in attrs(data) {
        match kind {
            ATTR_IP => {
                for (k, a) in attrs(p) {
                    addr = match k {
                        ATTR_IPADDR_IPV4 => Some(IpAddr::V4(Ipv4Addr::from(
                            <[u8; 4]>::try_from(a.get(..4)?).ok()?,
                        ))),
                        ATTR_IPADDR_IPV6 => Some(IpAddr::V6(Ipv6Addr::from(
                            <[u8; 16]>::try_from(a.get(..16)?).ok()?,
                        ))),
                        _ => addr,
                    };
                }
            }
            ATTR_CIDR => cidr = p.first().copied(),
            ATTR_TIMEOUT => e.timeout = be_u32(p),
            ATTR_PACKETS => e.packets = be_u64(p),
            ATTR_BYTES => e.bytes = be_u64(p),
            ATTR_COMMENT => {
                let text = p.split(|&b| b == 0).next().unwrap_or(&[]);
                e.comment = Some(String::from_utf8_lossy(text).into_owned());
            }
            ATTR_CADT_FLAGS => e.nomatch = be_u32(p).is_some_and(|f| f & FLAG_NOMATCH != 0),
            _ => {}
        }
    }
    let addr = addr?;
    e.entry = match cidr {
        Some(prefix) => Entry { addr, prefix },
        None => Entry::host(addr),
    };
    Some(e)
}

pub(crate) fn os_error(what: &str, e: std::io::Error) -> Error {
    let kind = match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => KernelErrorKind::NoPermission,
        Some(libc::EPROTONOSUPPORT) => KernelErrorKind::NoIpset,
        _ => KernelErrorKind::Other,
    };
    Error::kernel(kind, format!("{what}: {e}"))
}

/// Read every element of set `name`, calling `visit` for each.
pub fn dump_set(name: &str, mut visit: impl FnMut(Element)) -> Result<()> {
    // SAFETY: plain socket(2); the descriptor is owned below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            NETLINK_NETFILTER,
        )
    };
    if fd < 0 {
        return Err(os_error("netlink socket", std::io::Error::last_os_error()));
    }
    // SAFETY: fd is a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut msg = vec![0u8; 16];
    msg.extend_from_slice(&[libc::AF_INET as u8, 0, 0, 0]); // nfgenmsg: family, version, res_id
    push_attr(&mut msg, ATTR_PROTOCOL, &[IPSET_PROTOCOL]);
    let mut setname = name.as_bytes().to_vec();
    setname.push(0);
    push_attr(&mut msg, ATTR_SETNAME, &setname);
    let len = msg.len() as u32;
    let seq: u32 = 0x6d69_7073; // "mips"
    msg[0..4].copy_from_slice(&len.to_ne_bytes());
    msg[4..6].copy_from_slice(&((NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_LIST).to_ne_bytes());
    msg[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    msg[8..12].copy_from_slice(&seq.to_ne_bytes());
    // SAFETY: a zeroed sockaddr_nl addressed to the kernel (pid 0).
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as u16;
    // SAFETY: msg and kernel are valid for the lengths given.
    let sent = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr() as *const libc::c_void,
            msg.len(),
            0,
            &kernel as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    if sent < 0 {
        return Err(os_error("netlink send", std::io::Error::last_os_error()));
    }
    let mut buf = vec![0u8; 1 << 18];
    loop {
        // SAFETY: buf is valid for its length.
        let n = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                0,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(os_error("netlink receive", e));
        }
        let mut data = &buf[..n as usize];
        while data.len() >= 16 {
            let len = u32::from_ne_bytes(data[0..4].try_into().unwrap_or_default()) as usize;
            let kind = u16::from_ne_bytes([data[4], data[5]]);
            if len < 16 || len > data.len() {
                return Err(Error::kernel(
                    KernelErrorKind::Other,
                    "malformed netlink reply",
                ));
            }
            let body = &data[16..len];
            match kind {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let code = i32::from_ne_bytes(
                        body.get(0..4)
                            .and_then(|b| b.try_into().ok())
                            .unwrap_or_default(),
                    );
                    if code != 0 {
                        let e = std::io::Error::from_raw_os_error(-code);
                        return Err(match -code {
                            libc::ENOENT => Error::kernel(
                                KernelErrorKind::NoSuchSet,
                                format!("set {name} does not exist"),
                            ),
                            _ => os_error(&format!("list {name}"), e),
                        });
                    }
                }
                _ => {
                    // nfgenmsg (4 bytes), then the set's attributes.
                    for (attr, payload) in attrs(body.get(4..).unwrap_or(&[])) {
                        if attr == ATTR_ADT {
                            for (k, elem) in attrs(payload) {
                                if k == ATTR_DATA {
                                    if let Some(e) = element(elem) {
                                        visit(e);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            data = &data[align(len).min(data.len())..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip() {
        let mut buf = Vec::new();
        push_attr(&mut buf, 2, b"abc\0");
        push_attr(&mut buf, 1, &[7]);
        let got: Vec<_> = attrs(&buf).collect();
        assert_eq!(got, vec![(2, &b"abc\0"[..]), (1, &[7u8][..])]);
        assert_eq!(attrs(&[1, 0]).count(), 0, "truncated input ends the walk");
    }

    #[test]
    fn elements_decode_with_extensions() {
        let mut ip = Vec::new();
        push_attr(&mut ip, ATTR_IPADDR_IPV4 | 0x4000, &[10, 1, 0, 0]);
        let mut data = Vec::new();
        push_attr(&mut data, ATTR_IP | 0x8000, &ip);
        push_attr(&mut data, ATTR_CIDR, &[16]);
        push_attr(&mut data, ATTR_TIMEOUT | 0x4000, &599u32.to_be_bytes());
        push_attr(&mut data, ATTR_COMMENT, b"a b\0");
        let e = element(&data).unwrap();
        assert_eq!(e.entry.to_string(), "10.1.0.0/16");
        assert_eq!((e.timeout, e.comment.as_deref()), (Some(599), Some("a b")));
        assert!(element(&[]).is_none());
    }
}
