//! The second half of [`super`]'s work, pure: a decoded set header and its
//! elements written the way libipset 7.x prints them (lib/session.c
//! `list_create` and `list_adt`, lib/print.c), with no socket in sight.
//!
//! libipset prints a header option for every attribute the kernel sent, in
//! the order of the set type's `create` arguments, and an element as its
//! value followed by the type's `add` arguments that the kernel sent. The
//! orders below are those of ipset 7.x's type definitions; a flag libipset
//! never prints (`forceadd`: its data layer drops the bit) is not printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use super::decode::{Elem, Header};
use crate::kernel::protocol::{NFPROTO_IPV4, NFPROTO_IPV6};
use crate::listing::{Member, SetInfo};

/// An address as glibc's `inet_ntop` writes it (what libipset prints via
/// getnameinfo): IPv6 with the first longest run of two or more zero
/// groups shortened, and `::a.b.c.d` / `::ffff:a.b.c.d` for the IPv4
/// compatible and mapped forms (Rust's Display differs on the former).
pub(crate) fn ip_text(addr: IpAddr, out: &mut String) {
    let v6 = match addr {
        IpAddr::V4(a) => {
            let _ = write!(out, "{a}");
            return;
        }
        IpAddr::V6(a) => a,
    };
    let words = v6.segments();
    let (mut best, mut cur) = (None::<(usize, usize)>, None::<(usize, usize)>);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            cur = Some(cur.map_or((i, 1), |(b, l)| (b, l + 1)));
        } else if let Some(c) = cur.take() {
            if best.is_none_or(|b| c.1 > b.1) {
                best = Some(c);
            }
        }
    }
    if let Some(c) = cur {
        if best.is_none_or(|b| c.1 > b.1) {
            best = Some(c);
        }
    }
    let best = best.filter(|&(_, len)| len >= 2);
    let embedded = match best {
        Some((0, 6)) => true,
        Some((0, 5)) => words[5] == 0xffff,
        _ => false,
    };
    for (i, &w) in words.iter().enumerate() {
        if let Some((base, len)) = best {
            if i >= base && i < base + len {
                if i == base {
                    out.push(':');
                }
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 && embedded {
            let o = v6.octets();
            let _ = write!(out, "{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
            return;
        }
        let _ = write!(out, "{w:x}");
    }
    if best.is_some_and(|(base, len)| base + len == 8) {
        out.push(':');
    }
}

/// An address with its prefix when it is not a host's (`10.0.0.0/8`).
fn ip_cidr(addr: IpAddr, cidr: Option<u8>, out: &mut String) {
    ip_text(addr, out);
    let host = if addr.is_ipv4() { 32 } else { 128 };
    if let Some(c) = cidr.filter(|&c| c != host) {
        let _ = write!(out, "/{c}");
    }
}

/// The header options libipset prints, in its order: (keyword, value;
/// None for a flag).
pub(crate) fn options(h: &Header) -> Vec<(&'static str, Option<String>)> {
    let mut o: Vec<(&'static str, Option<String>)> = Vec::new();
    let num = |v: u32| Some(v.to_string());
    let addr = |a: IpAddr| {
        let mut s = String::new();
        ip_text(a, &mut s);
        Some(s)
    };
    // Every hash type but hash:mac takes a family; list:set and bitmaps do not.
    if h.typename.starts_with("hash:") && h.typename != "hash:mac" {
        let family = match h.family {
            NFPROTO_IPV4 => "inet",
            NFPROTO_IPV6 => "inet6",
            _ => "any",
        };
        o.push(("family", Some(family.into())));
    }
    if let Some(m) = h.markmask {
        o.push(("markmask", Some(format!("0x{m:08x}"))));
    }
    if let Some(from) = h.ip {
        let mut s = String::new();
        ip_text(from, &mut s);
        if let Some(to) = h.ip_to {
            s.push('-');
            ip_text(to, &mut s);
        }
        o.push(("range", Some(s)));
    } else if let Some(from) = h.port {
        let to = h.port_to.map(|t| format!("-{t}")).unwrap_or_default();
        o.push(("range", Some(format!("{from}{to}"))));
    }
    if let Some(v) = h.hashsize {
        o.push(("hashsize", num(v)));
    }
    if let Some(v) = h.maxelem {
        o.push(("maxelem", num(v)));
    }
    // Two types list their netmask/bitmask last.
    let masks_last = matches!(h.typename.as_str(), "hash:ip,port" | "hash:net,net");
    let masks = |o: &mut Vec<_>| {
        if let Some(n) = h.netmask {
            o.push(("netmask", Some(n.to_string())));
        }
        if let Some(b) = h.bitmask {
            o.push(("bitmask", addr(b)));
        }
    };
    if !masks_last {
        masks(&mut o);
    }
    if let Some(v) = h.size {
        o.push(("size", num(v)));
    }
    if let Some(v) = h.timeout {
        o.push(("timeout", num(v)));
    }
    for (set, flag) in [
        (h.counters, "counters"),
        (h.comment, "comment"),
        (h.skbinfo, "skbinfo"),
    ] {
        if set {
            o.push((flag, None));
        }
    }
    if let Some(v) = h.bucketsize {
        o.push(("bucketsize", Some(v.to_string())));
    }
    if let Some(v) = h.initval {
        o.push(("initval", Some(format!("0x{v:08x}"))));
    }
    if masks_last {
        masks(&mut o);
    }
    o
}

/// The set as `ipset list` (`-t` when `members` is false) describes it.
pub(crate) fn set_info(h: &Header, members: bool) -> SetInfo {
    let header: BTreeMap<String, String> = options(h)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.unwrap_or_default()))
        .collect();
    SetInfo {
        name: h.name.clone(),
        set_type: h.typename.clone(),
        header,
        memory: h.memsize.map_or(0, u64::from),
        references: h.references.unwrap_or(0),
        entries: h.elements.map_or(0, u64::from),
        members: members.then(Vec::new),
    }
}

/// `create NAME TYPE OPTIONS\n`, as `ipset save` writes it.
pub(crate) fn create_line(h: &Header, out: &mut String) {
    let _ = write!(out, "create {} {}", h.name, h.typename);
    for (key, value) in options(h) {
        out.push(' ');
        out.push_str(key);
        if let Some(v) = value {
            out.push(' ');
            out.push_str(&v);
        }
    }
    out.push('\n');
}

/// The element's value: an address (with prefix) or a set name. Types
/// other than hash:ip, hash:net and list:set are refused.
fn value(h: &Header, e: &Elem, out: &mut String) -> Result<(), String> {
    match (h.typename.as_str(), e.ip, e.name) {
        ("hash:ip" | "hash:net", Some(addr), _) => ip_cidr(addr, e.cidr, out),
        ("list:set", _, Some(name)) => out.push_str(&String::from_utf8_lossy(name)),
        _ => {
            return Err(format!(
                "elements of type {} are not supported (set {})",
                h.typename, h.name
            ))
        }
    }
    Ok(())
}

/// The options after an element, in the `add` order of its type.
fn element_options(h: &Header, e: &Elem, out: &mut String) {
    if let Some(t) = e.timeout {
        let _ = write!(out, " timeout {t}");
    }
    if h.typename == "hash:net" && e.nomatch {
        out.push_str(" nomatch");
    }
    if let Some(p) = e.packets {
        let _ = write!(out, " packets {p}");
    }
    if let Some(b) = e.bytes {
        let _ = write!(out, " bytes {b}");
    }
    if let Some(c) = e.comment {
        let _ = write!(out, " comment \"{}\"", String::from_utf8_lossy(c));
    }
    if let Some(m) = e.skbmark {
        let (mark, mask) = ((m >> 32) as u32, m as u32);
        let _ = match mask {
            u32::MAX => write!(out, " skbmark 0x{mark:x}"),
            _ => write!(out, " skbmark 0x{mark:x}/0x{mask:x}"),
        };
    }
    if let Some(p) = e.skbprio {
        let _ = write!(out, " skbprio {:x}:{:x}", p >> 16, p & 0xffff);
    }
    if let Some(q) = e.skbqueue {
        let _ = write!(out, " skbqueue {q}");
    }
}

/// `add NAME ELEMENT OPTIONS\n`, as `ipset save` writes it.
pub(crate) fn add_line(h: &Header, e: &Elem, out: &mut String) -> Result<(), String> {
    let _ = write!(out, "add {} ", h.name);
    value(h, e, out)?;
    element_options(h, e, out);
    out.push('\n');
    Ok(())
}

/// The element as a member of a [`SetInfo`]: its value and comment.
pub(crate) fn member(h: &Header, e: &Elem) -> Result<Member, String> {
    let mut elem = String::new();
    value(h, e, &mut elem)?;
    Ok(Member {
        elem,
        comment: e.comment.map(|c| String::from_utf8_lossy(c).into_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip6(text: &str) -> String {
        let mut out = String::new();
        ip_text(text.parse().unwrap(), &mut out);
        out
    }

    #[test]
    fn addresses_print_as_glibc_inet_ntop() {
        // What stock `ipset save` printed for these (ipset 7.17, glibc).
        for (given, printed) in [
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::1:2", "::0.1.0.2"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::ffff:0:0", "::ffff:0.0.0.0"),
            ("::ffff:0:1.2.3.4", "::ffff:0:102:304"),
            ("0:0:0:0:0:1:0:0", "::1:0:0"),
            ("::0.0.1.0", "::100"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("::", "::"),
            ("fe80::1", "fe80::1"),
            ("10.0.0.1", "10.0.0.1"),
        ] {
            assert_eq!(ip6(given), printed, "{given}");
        }
    }

    fn header(typename: &str) -> Header {
        Header {
            name: "s".into(),
            typename: typename.into(),
            family: NFPROTO_IPV6,
            hashsize: Some(1024),
            maxelem: Some(65536),
            bucketsize: Some(12),
            initval: Some(0xab),
            memsize: Some(200),
            references: Some(1),
            elements: Some(3),
            ..Header::default()
        }
    }

    #[test]
    fn header_options_follow_the_type_order() {
        let mut h = header("hash:net");
        h.timeout = Some(600);
        (h.counters, h.comment) = (true, true);
        let mut line = String::new();
        create_line(&h, &mut line);
        assert_eq!(line, "create s hash:net family inet6 hashsize 1024 maxelem 65536 timeout 600 counters comment bucketsize 12 initval 0x000000ab\n");
        let info = set_info(&h, false);
        assert_eq!(info.header.get("counters").map(String::as_str), Some(""));
        assert_eq!(info.header_num("timeout"), Some(600));
        assert_eq!((info.memory, info.references, info.entries), (200, 1, 3));
        assert_eq!(info.members, None);

        let mut h = header("hash:ip,port");
        h.netmask = Some(24);
        let mut line = String::new();
        create_line(&h, &mut line);
        assert!(line.ends_with("initval 0x000000ab netmask 24\n"), "{line}");
        let mut u = header("list:set");
        (u.family, u.hashsize, u.maxelem, u.bucketsize, u.initval) = (0, None, None, None, None);
        (u.size, u.comment) = (Some(8), true);
        assert_eq!(set_info(&u, true).members, Some(vec![]));
        let mut line = String::new();
        create_line(&u, &mut line);
        assert_eq!(line, "create s list:set size 8 comment\n");
    }

    #[test]
    fn elements_print_value_then_options() {
        let h = header("hash:net");
        let e = Elem {
            ip: Some("2001:db8::".parse().unwrap()),
            cidr: Some(64),
            timeout: Some(0),
            nomatch: true,
            packets: Some(5),
            bytes: Some(7),
            comment: Some(b"x y $(z)"),
            skbmark: Some(0x10_0000_00ff),
            skbprio: Some(0x1_0002),
            skbqueue: Some(3),
            ..Elem::default()
        };
        let mut line = String::new();
        add_line(&h, &e, &mut line).unwrap();
        assert_eq!(line, "add s 2001:db8::/64 timeout 0 nomatch packets 5 bytes 7 comment \"x y $(z)\" skbmark 0x10/0xff skbprio 1:2 skbqueue 3\n");
        let m = member(&h, &e).unwrap();
        assert_eq!(
            (m.elem.as_str(), m.comment.as_deref()),
            ("2001:db8::/64", Some("x y $(z)"))
        );
        // A host prefix is not printed; hash:ip has no nomatch.
        let host = Elem {
            ip: Some("::1".parse().unwrap()),
            cidr: Some(128),
            nomatch: true,
            ..Elem::default()
        };
        assert_eq!(member(&header("hash:ip"), &host).unwrap().elem, "::1");
        let mut line = String::new();
        add_line(&header("hash:ip"), &host, &mut line).unwrap();
        assert_eq!(line, "add s ::1\n");
        let named = Elem {
            name: Some(b"web-s1"),
            ..Elem::default()
        };
        assert_eq!(member(&header("list:set"), &named).unwrap().elem, "web-s1");
        assert!(member(&header("hash:ip,port"), &host).is_err());
    }
}
