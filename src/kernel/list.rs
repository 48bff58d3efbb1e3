//! Reading set headers, members and `ipset save` text straight from the
//! kernel: one netlink `IPSET_CMD_LIST` dump per call, on mipset's own
//! socket ([`super::netlink`]), with no libipset.
//!
//! What comes back equals what libipset prints: [`headers`] and [`set`]
//! give the [`SetInfo`] that parsing `ipset list [-t]` gives, and
//! [`save_text`] is byte for byte `ipset save NAME` (for hash:ip, hash:net
//! and list:set; the kernel tests compare all three with stock ipset).
//! Decoding ([`decode`]) and printing ([`render`]) are pure; this file only
//! sends the request and walks the replies, one datagram at a time, so a
//! large set is never held twice: elements go straight into the result.

mod decode;
mod render;

use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::netlink::{
    align, attrs, push_attr, request, Socket, NLA_F_NET_BYTEORDER, NLMSG_DONE, NLMSG_ERROR,
    NLM_F_REQUEST,
};
use crate::kernel::protocol::{
    ATTR_FLAGS, ATTR_SETNAME, FLAG_LIST_HEADER, IPSET_CMD_LIST, NLM_F_DUMP,
};
use crate::listing::SetInfo;

/// IPSET_FLAG_LIST_HEADER: headers only, no elements.
/// Room for one datagram of a dump (the kernel fills at most 32 KiB).
const RECV_BYTES: usize = 1 << 18;

/// Headers (no members) of every set, in the kernel's order, or of one:
/// what `ipset list -t [NAME]` shows.
pub fn headers(name: Option<&str>) -> Result<Vec<SetInfo>> {
    let mut sets = Vec::new();
    dump("list", name, true, |body| {
        if let Some(h) = decode::message(body).header {
            sets.push(render::set_info(&h, false));
        }
        Ok(())
    })?;
    Ok(sets)
}

/// One set with its members: what `ipset list NAME` shows. Members are
/// decoded for hash:ip, hash:net and list:set; another type's elements
/// are an error.
pub fn set(name: &str) -> Result<SetInfo> {
    let mut found: Option<(decode::Header, SetInfo)> = None;
    dump("list", Some(name), false, |body| {
        let m = decode::message(body);
        if let Some(h) = m.header {
            let info = render::set_info(&h, true);
            found = Some((h, info));
        }
        if let (Some(adt), Some((h, info))) = (m.adt, found.as_mut()) {
            let members = info.members.get_or_insert_with(Vec::new);
            for e in decode::elements(adt) {
                members.push(render::member(h, &e).map_err(unsupported)?);
            }
        }
        Ok(())
    })?;
    found.map(|(_, info)| info).ok_or_else(|| {
        Error::kernel(
            KernelErrorKind::Other,
            format!("listing {name} returned nothing"),
        )
    })
}

/// One set in `ipset save` format, byte for byte what `ipset save NAME`
/// prints (hash:ip, hash:net and list:set; another type's elements are an
/// error).
pub fn save_text(name: &str) -> Result<String> {
    let mut out = String::new();
    let mut header: Option<decode::Header> = None;
    dump("save", Some(name), false, |body| {
        let m = decode::message(body);
        if let Some(h) = m.header {
            render::create_line(&h, &mut out);
            header = Some(h);
        }
        if let (Some(adt), Some(h)) = (m.adt, header.as_ref()) {
            for e in decode::elements(adt) {
                render::add_line(h, &e, &mut out).map_err(unsupported)?;
            }
        }
        Ok(())
    })?;
    Ok(out)
}

fn unsupported(message: String) -> Error {
    Error::kernel(KernelErrorKind::Other, message)
}

/// The error for a refused dump (`list: set NAME: reason`).
fn refusal(_what: &str, name: Option<&str>, code: i32) -> Error {
    crate::kernel::codes::refusal(
        crate::kernel::codes::Command::List,
        name.unwrap_or("*"),
        code,
    )
}

/// The LIST request: every set (no IPSET_ATTR_SETNAME) or one, headers
/// only or with elements.
fn list_request(name: Option<&str>, header_only: bool) -> Vec<u8> {
    let mut msg = request(
        IPSET_CMD_LIST,
        NLM_F_REQUEST | NLM_F_DUMP,
        libc::AF_INET as u8,
        name.unwrap_or(""),
    );
    if name.is_none() {
        // Cut the (empty) set name off: its absence asks for every set.
        let mut at = 20;
        for (kind, payload) in attrs(&msg[20..]) {
            if kind == ATTR_SETNAME {
                break;
            }
            at += align(4 + payload.len());
        }
        msg.truncate(at);
    }
    if header_only {
        push_attr(
            &mut msg,
            ATTR_FLAGS | NLA_F_NET_BYTEORDER,
            &FLAG_LIST_HEADER.to_be_bytes(),
        );
    }
    msg
}

/// Run one dump, handing each reply message's attributes (after the
/// nfgenmsg header) to `visit`; stops at the end of the dump, at a
/// refusal, or at the first error `visit` returns.
fn dump(
    what: &str,
    name: Option<&str>,
    header_only: bool,
    mut visit: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let mut socket = Socket::open()?;
    let mut msg = list_request(name, header_only);
    socket.send(&mut msg)?;
    let mut buf = vec![0u8; RECV_BYTES];
    loop {
        let mut data = socket.recv(&mut buf)?;
        while data.len() >= 16 {
            let len = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]) as usize;
            let kind = u16::from_ne_bytes([data[4], data[5]]);
            if len < 16 || len > data.len() {
                return Err(Error::kernel(
                    KernelErrorKind::Other,
                    format!("{what}: malformed netlink reply"),
                ));
            }
            let body = &data[16..len];
            match kind {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let code = body
                        .get(0..4)
                        .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                    if code != 0 {
                        return Err(refusal(what, name, -code));
                    }
                }
                _ => visit(body.get(4..).unwrap_or(&[]))?,
            }
            data = &data[align(len).min(data.len())..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_for_every_set_names_none() {
        let all = list_request(None, true);
        let got: Vec<_> = attrs(&all[20..]).map(|(k, _)| k).collect();
        assert_eq!(got, vec![1, ATTR_FLAGS], "protocol and flags, no name");
        let one = list_request(Some("web"), false);
        let got: Vec<_> = attrs(&one[20..]).collect();
        assert_eq!(got, vec![(1, &[7u8][..]), (ATTR_SETNAME, &b"web\0"[..])]);
        let flags = attrs(&all[20..]).last().unwrap().1;
        assert_eq!(flags, &FLAG_LIST_HEADER.to_be_bytes());
    }

    #[test]
    fn a_missing_set_is_no_such_set() {
        let e = refusal("list", Some("x"), libc::ENOENT);
        assert_eq!(e.kernel_kind(), Some(KernelErrorKind::NoSuchSet));
        assert_eq!(
            e.to_string(),
            "list: set x: The set with the given name does not exist"
        );
    }
}
