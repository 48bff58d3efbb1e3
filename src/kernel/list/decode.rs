//! The first half of [`super`]'s work, pure: one LIST dump message's
//! attributes decoded into a set [`Header`] and its [`Elem`]ents. Numbers
//! are the kernel's stable ipset protocol, version 7
//! (`linux/netfilter/ipset/ip_set.h`); every value the kernel sends in
//! network byte order but one (see `ATTR_MARKMASK`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::kernel::netlink::attrs;
use crate::kernel::protocol::{
    ATTR_ADT, ATTR_BITMASK, ATTR_BUCKETSIZE, ATTR_BYTES, ATTR_CADT_FLAGS, ATTR_CIDR, ATTR_COMMENT,
    ATTR_DATA, ATTR_ELEMENTS, ATTR_FAMILY, ATTR_HASHSIZE, ATTR_INITVAL, ATTR_IP, ATTR_IPADDR_IPV4,
    ATTR_IPADDR_IPV6, ATTR_IP_TO, ATTR_MARKMASK, ATTR_MAXELEM, ATTR_MEMSIZE, ATTR_NAME,
    ATTR_NETMASK, ATTR_PACKETS, ATTR_PORT, ATTR_PORT_TO, ATTR_REFERENCES, ATTR_SETNAME, ATTR_SIZE,
    ATTR_SKBMARK, ATTR_SKBPRIO, ATTR_SKBQUEUE, ATTR_TIMEOUT, ATTR_TYPENAME, FLAG_NOMATCH,
    FLAG_WITH_COMMENT, FLAG_WITH_COUNTERS, FLAG_WITH_SKBINFO,
};

/// A set's header, as the first message of its dump carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub name: String,
    pub typename: String,
    pub family: u8,
    pub ip: Option<IpAddr>,
    pub ip_to: Option<IpAddr>,
    pub port: Option<u16>,
    pub port_to: Option<u16>,
    pub hashsize: Option<u32>,
    pub maxelem: Option<u32>,
    pub markmask: Option<u32>,
    pub netmask: Option<u8>,
    pub bitmask: Option<IpAddr>,
    pub size: Option<u32>,
    pub timeout: Option<u32>,
    /// Created with `counters`, `comment`, `skbinfo`.
    pub counters: bool,
    pub comment: bool,
    pub skbinfo: bool,
    pub bucketsize: Option<u8>,
    pub initval: Option<u32>,
    pub references: Option<u32>,
    pub memsize: Option<u32>,
    pub elements: Option<u32>,
}

/// One element of a dump, borrowing its strings from the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Elem<'a> {
    pub ip: Option<IpAddr>,
    pub cidr: Option<u8>,
    pub name: Option<&'a [u8]>,
    pub timeout: Option<u32>,
    /// A hash:net `nomatch` exception.
    pub nomatch: bool,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
    pub comment: Option<&'a [u8]>,
    pub skbmark: Option<u64>,
    pub skbprio: Option<u32>,
    pub skbqueue: Option<u16>,
}

/// One message of a dump: the set's header (only in the set's first
/// message) and its container of elements, if any.
pub(crate) struct Message<'a> {
    pub header: Option<Header>,
    pub adt: Option<&'a [u8]>,
}

fn be_u16(p: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(p.get(..2)?.try_into().ok()?))
}

fn be_u32(p: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(..4)?.try_into().ok()?))
}

fn be_u64(p: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(p.get(..8)?.try_into().ok()?))
}

/// A NUL-terminated string attribute's bytes.
fn c_str(p: &[u8]) -> &[u8] {
    p.split(|&b| b == 0).next().unwrap_or(&[])
}

fn text(p: &[u8]) -> String {
    String::from_utf8_lossy(c_str(p)).into_owned()
}

/// A nested IPSET_ATTR_IPADDR_IPV4/IPV6.
fn ip(p: &[u8]) -> Option<IpAddr> {
    attrs(p).find_map(|(k, a)| match k {
        ATTR_IPADDR_IPV4 => Some(IpAddr::V4(Ipv4Addr::from(
            <[u8; 4]>::try_from(a.get(..4)?).ok()?,
        ))),
        ATTR_IPADDR_IPV6 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(a.get(..16)?).ok()?,
        ))),
        _ => None,
    })
}

/// Decode one message's attributes (after the nfgenmsg header).
pub(crate) fn message(body: &[u8]) -> Message<'_> {
    let mut header = Header::default();
    let (mut data, mut adt) = (None, None);
    for (kind, p) in attrs(body) {
        match kind {
            ATTR_SETNAME => header.name = text(p),
            ATTR_TYPENAME => header.typename = text(p),
            ATTR_FAMILY => header.family = p.first().copied().unwrap_or(0),
            ATTR_DATA => data = Some(p),
            ATTR_ADT => adt = Some(p),
            _ => {}
        }
    }
    let header = data.map(|data| {
        create_attrs(&mut header, data);
        header
    });
    Message { header, adt }
}

fn create_attrs(h: &mut Header, data: &[u8]) {
    for (kind, p) in attrs(data) {
        match kind {
            ATTR_IP => h.ip = ip(p),
            ATTR_IP_TO => h.ip_to = ip(p),
            ATTR_PORT => h.port = be_u16(p),
            ATTR_PORT_TO => h.port_to = be_u16(p),
            ATTR_HASHSIZE => h.hashsize = be_u32(p),
            ATTR_MAXELEM => h.maxelem = be_u32(p),
            // The one value the kernel puts in host byte order (nla_put_u32).
            ATTR_MARKMASK => {
                h.markmask = p
                    .get(..4)
                    .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            }
            ATTR_NETMASK => h.netmask = p.first().copied(),
            ATTR_BITMASK => h.bitmask = ip(p),
            ATTR_SIZE => h.size = be_u32(p),
            ATTR_TIMEOUT => h.timeout = be_u32(p),
            ATTR_CADT_FLAGS => {
                let flags = be_u32(p).unwrap_or(0);
                h.counters = flags & FLAG_WITH_COUNTERS != 0;
                h.comment = flags & FLAG_WITH_COMMENT != 0;
                h.skbinfo = flags & FLAG_WITH_SKBINFO != 0;
            }
            ATTR_BUCKETSIZE => h.bucketsize = p.first().copied(),
            ATTR_INITVAL => h.initval = be_u32(p),
            ATTR_REFERENCES => h.references = be_u32(p),
            ATTR_MEMSIZE => h.memsize = be_u32(p),
            ATTR_ELEMENTS => h.elements = be_u32(p),
            _ => {}
        }
    }
}

/// The elements in an IPSET_ATTR_ADT container.
pub(crate) fn elements(adt: &[u8]) -> impl Iterator<Item = Elem<'_>> {
    attrs(adt)
        .filter(|&(kind, _)| kind == ATTR_DATA)
        .map(|(_, data)| {
            let mut e = Elem::default();
            for (kind, p) in attrs(data) {
                match kind {
                    ATTR_IP => e.ip = ip(p),
                    ATTR_CIDR => e.cidr = p.first().copied(),
                    ATTR_NAME => e.name = Some(c_str(p)),
                    ATTR_TIMEOUT => e.timeout = be_u32(p),
                    ATTR_CADT_FLAGS => e.nomatch = be_u32(p).is_some_and(|f| f & FLAG_NOMATCH != 0),
                    ATTR_PACKETS => e.packets = be_u64(p),
                    ATTR_BYTES => e.bytes = be_u64(p),
                    ATTR_COMMENT => e.comment = Some(c_str(p)),
                    ATTR_SKBMARK => e.skbmark = be_u64(p),
                    ATTR_SKBPRIO => e.skbprio = be_u32(p),
                    ATTR_SKBQUEUE => e.skbqueue = be_u16(p),
                    _ => {}
                }
            }
            e
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::netlink::{push_attr, NLA_F_NESTED, NLA_F_NET_BYTEORDER};
    use crate::kernel::protocol::NFPROTO_IPV4;

    fn nested(kind: u16, inner: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        push_attr(&mut b, kind | NLA_F_NESTED, inner);
        b
    }

    fn net32(buf: &mut Vec<u8>, kind: u16, v: u32) {
        push_attr(buf, kind | NLA_F_NET_BYTEORDER, &v.to_be_bytes());
    }

    #[test]
    fn a_first_message_decodes_to_header_and_elements() {
        let mut data = Vec::new();
        net32(&mut data, ATTR_HASHSIZE, 1024);
        net32(&mut data, ATTR_MAXELEM, 65536);
        push_attr(&mut data, ATTR_BUCKETSIZE, &[12]);
        net32(&mut data, ATTR_INITVAL, 0xbc8f_4c21);
        net32(&mut data, ATTR_REFERENCES, 1);
        net32(&mut data, ATTR_MEMSIZE, 216);
        net32(&mut data, ATTR_ELEMENTS, 2);
        net32(&mut data, ATTR_TIMEOUT, 600);
        net32(
            &mut data,
            ATTR_CADT_FLAGS,
            FLAG_WITH_COUNTERS | FLAG_WITH_COMMENT,
        );
        let mut ip4 = Vec::new();
        push_attr(
            &mut ip4,
            ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER,
            &[10, 1, 0, 0],
        );
        let mut elem = nested(ATTR_IP, &ip4);
        push_attr(&mut elem, ATTR_CIDR, &[16]);
        net32(&mut elem, ATTR_CADT_FLAGS, FLAG_NOMATCH);
        push_attr(&mut elem, ATTR_COMMENT, b"a b\0");
        push_attr(&mut elem, ATTR_PACKETS, &7u64.to_be_bytes());
        let mut adt = nested(ATTR_DATA, &elem);
        adt.extend(nested(ATTR_DATA, &[]));

        let mut body = Vec::new();
        push_attr(&mut body, 1, &[7]);
        push_attr(&mut body, ATTR_SETNAME, b"web-s0\0");
        push_attr(&mut body, ATTR_TYPENAME, b"hash:net\0");
        push_attr(&mut body, 4, &[7]);
        push_attr(&mut body, ATTR_FAMILY, &[NFPROTO_IPV4]);
        body.extend(nested(ATTR_DATA, &data));
        body.extend(nested(ATTR_ADT, &adt));

        let m = message(&body);
        let h = m.header.expect("a header");
        assert_eq!(
            (h.name.as_str(), h.typename.as_str()),
            ("web-s0", "hash:net")
        );
        assert_eq!(
            (h.family, h.hashsize, h.maxelem),
            (2, Some(1024), Some(65536))
        );
        assert_eq!(
            (h.timeout, h.bucketsize, h.initval),
            (Some(600), Some(12), Some(0xbc8f_4c21))
        );
        assert!(h.counters && h.comment && !h.skbinfo);
        assert_eq!(
            (h.references, h.memsize, h.elements),
            (Some(1), Some(216), Some(2))
        );
        let elems: Vec<_> = elements(m.adt.expect("elements")).collect();
        assert_eq!(elems.len(), 2);
        assert_eq!(elems[0].ip, Some(IpAddr::V4(Ipv4Addr::new(10, 1, 0, 0))));
        assert_eq!((elems[0].cidr, elems[0].nomatch), (Some(16), true));
        assert_eq!(
            (elems[0].comment, elems[0].packets),
            (Some(&b"a b"[..]), Some(7))
        );
        assert_eq!(elems[1], Elem::default());
    }

    #[test]
    fn a_continuation_message_has_no_header() {
        let mut body = Vec::new();
        push_attr(&mut body, ATTR_SETNAME, b"u\0");
        body.extend(nested(ATTR_ADT, &nested(ATTR_DATA, &[])));
        let m = message(&body);
        assert!(m.header.is_none());
        assert_eq!(elements(m.adt.unwrap()).count(), 1);
    }
}
