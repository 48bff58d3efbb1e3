//! Reading a whole set straight from the kernel: one netlink `IPSET_CMD_LIST`
//! dump, its element attributes decoded into [`Entry`] values, with no text
//! round trip through libipset's printer (which made reading 1M elements as
//! slow as listing them with `ipset list`).
//!
//! [`dump_entries`] also returns the set's maxelem from the header the
//! dump starts with, so a caller needs no separate header listing (which
//! makes the kernel walk every set).
//!
//! Only hash:ip and hash:net elements are decoded (IP, CIDR, and the
//! timeout/packets/bytes/comment extensions). The message layout and
//! attribute numbers are the kernel's stable ipset protocol, version 7
//! (`linux/netfilter/ipset/ip_set.h`); the kernel tests exercise them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::addr::Entry;
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::netlink::{
    align, attrs, os_error, request, Socket, NLMSG_DONE, NLMSG_ERROR, NLM_F_REQUEST,
};
use crate::kernel::protocol::{
    ATTR_ADT, ATTR_BYTES, ATTR_CADT_FLAGS, ATTR_CIDR, ATTR_COMMENT, ATTR_DATA, ATTR_IP,
    ATTR_IPADDR_IPV4, ATTR_IPADDR_IPV6, ATTR_MAXELEM, ATTR_PACKETS, ATTR_TIMEOUT, FLAG_NOMATCH,
    IPSET_CMD_LIST, NLM_F_DUMP,
};
use crate::listing::Element;

/// What the header of a dumped set says (the kernel sends it first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    /// The set's maxelem (hash types).
    pub maxelem: Option<u32>,
}

fn header(data: &[u8]) -> Header {
    let maxelem = attrs(data).find(|(kind, _)| *kind == ATTR_MAXELEM);
    Header {
        maxelem: maxelem.and_then(|(_, p)| be_u32(p)),
    }
}

fn be_u32(p: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(..4)?.try_into().ok()?))
}

fn be_u64(p: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(p.get(..8)?.try_into().ok()?))
}

/// The address in an element's nested IPSET_ATTR_IP.
fn ip(nested: &[u8]) -> Option<IpAddr> {
    let mut addr = None;
    for (k, a) in attrs(nested) {
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
    addr
}

fn entry(addr: Option<IpAddr>, cidr: Option<u8>) -> Option<Entry> {
    let addr = addr?;
    Some(match cidr {
        Some(prefix) => Entry { addr, prefix },
        None => Entry::host(addr),
    })
}

/// An element's entry, and whether it is a nomatch exception: all but its
/// extensions, read without building an [`Element`].
fn bare(data: &[u8]) -> Option<(Entry, bool)> {
    let (mut addr, mut cidr, mut nomatch) = (None, None, false);
    for (kind, p) in attrs(data) {
        match kind {
            ATTR_IP => addr = ip(p),
            ATTR_CIDR => cidr = p.first().copied(),
            ATTR_CADT_FLAGS => nomatch = be_u32(p).is_some_and(|f| f & FLAG_NOMATCH != 0),
            _ => {}
        }
    }
    Some((entry(addr, cidr)?, nomatch))
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
            ATTR_IP => addr = ip(p),
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
    e.entry = entry(addr, cidr)?;
    Some(e)
}

/// Read every element of set `name`, calling `visit` for each.
pub fn dump_set(name: &str, mut visit: impl FnMut(Element)) -> Result<()> {
    dump_raw(name, |data| {
        if let Some(e) = element(data) {
            visit(e);
        }
    })
    .map(|_| ())
}

/// Read every element of set `name`, calling `visit(entry, element)` for
/// each: `element` (its extensions decoded) only where `extensions` asks
/// for them or it is a nomatch exception, which is quicker for a set
/// without extensions. Returns what the set's header says (so a caller
/// needs no separate header listing).
pub fn dump_entries(
    name: &str,
    extensions: bool,
    mut visit: impl FnMut(Entry, Option<Element>),
) -> Result<Header> {
    dump_raw(name, |data| match bare(data) {
        Some((entry, nomatch)) if extensions || nomatch => {
            if let Some(e) = element(data) {
                visit(entry, Some(e));
            }
        }
        Some((entry, _)) => visit(entry, None),
        None => {}
    })
}

/// The dump itself: `each` gets every element's attributes, undecoded.
fn dump_raw(name: &str, mut each: impl FnMut(&[u8])) -> Result<Header> {
    let mut head = Header::default();
    let mut socket = Socket::open()?;
    let mut msg = request(
        IPSET_CMD_LIST,
        NLM_F_REQUEST | NLM_F_DUMP,
        libc::AF_INET as u8,
        name,
    );
    socket.send(&mut msg)?;
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let mut data = socket.recv(&mut buf)?;
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
                NLMSG_DONE => return Ok(head),
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
                        if attr == ATTR_DATA {
                            head = header(payload);
                        }
                        if attr == ATTR_ADT {
                            for (k, elem) in attrs(payload) {
                                if k == ATTR_DATA {
                                    each(elem);
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
    use crate::kernel::netlink::push_attr;

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
        assert_eq!(bare(&data), Some((e.entry, false)));
        assert!(bare(&[]).is_none());
    }

    #[test]
    fn headers_decode_maxelem() {
        let mut data = Vec::new();
        push_attr(&mut data, 18 | 0x4000, &32_768u32.to_be_bytes()); // hashsize
        push_attr(&mut data, ATTR_MAXELEM | 0x4000, &125_000u32.to_be_bytes());
        let maxelem = Some(125_000);
        assert_eq!(header(&data), Header { maxelem });
    }
}
