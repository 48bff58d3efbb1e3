//! Adding and deleting many elements in batched netlink messages, straight
//! from [`Entry`] values: no restore script is written and no libipset
//! parser reads it back (which made `mipset load` slower than `ipset
//! restore` of the same list). Each message carries up to ~32 KiB of
//! elements in one `IPSET_ATTR_ADT` container, as libipset's own restore
//! does in 8 KiB messages, and is acknowledged before the next is sent.
//!
//! The kernel applies the elements of a message in order and stops at the
//! first failure; earlier ones stay applied, so callers use [`apply`] on
//! temporary sets (rebuilds) or report partial changes.
//!
//! [`apply_in_one_send`] changes a live shard: its whole delta (adds, then
//! deletes) goes to the kernel in one `sendmsg`. The kernel handles every
//! netlink message of that datagram inside the system call (nfnetlink
//! passes the skb to ipset synchronously, message by message), and a fatal
//! signal such as SIGKILL only takes effect on the return to user space, so
//! a killed mipset leaves the shard wholly before or wholly after the delta.
//! (An element the kernel refuses still leaves the messages before it
//! applied; that is an error the caller reports, not a kill.)

use crate::addr::{AddrFamily, Entry};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::codes::{refusal, Command};
use crate::kernel::netlink::{
    align, push_attr, request, Socket, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLM_F_REQUEST,
};
use crate::kernel::protocol::{
    ATTR_ADT, ATTR_BYTES, ATTR_CADT_FLAGS, ATTR_CIDR, ATTR_COMMENT, ATTR_DATA, ATTR_IP,
    ATTR_IPADDR_IPV4, ATTR_IPADDR_IPV6, ATTR_LINENO, ATTR_PACKETS, ATTR_TIMEOUT, FLAG_NOMATCH,
    NLM_F_ACK, NLM_F_EXCL,
};

/// Payload bytes per message before it is sent.
const MESSAGE_BYTES: usize = 32 * 1024;
/// The largest delta written in one `sendmsg` (see [`apply_in_one_send`]);
/// a shard whose delta is larger is rebuilt and swapped instead.
pub const ONE_SEND_BYTES: usize = 16 << 20;

/// An upper bound on the bytes one element takes in a message: an IPv6
/// address and prefix, timeout, counters, nomatch flag and, if the family
/// has them, a 255-byte comment.
pub fn element_bytes_max(comment: bool) -> usize {
    let nests = 4 + 4; // IPSET_ATTR_DATA, IPSET_ATTR_IP
    let fixed = (4 + 16) + (4 + 4) + (4 + 4) + (4 + 8) + (4 + 8) + (4 + 4);
    nests + fixed + if comment { 4 + 256 } else { 0 }
}

/// Add or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add = 9,
    Del = 10,
}

/// One element to add or delete, with its extensions.
#[derive(Debug, Clone, Default)]
pub struct Element<'a> {
    pub entry: Option<Entry>,
    pub timeout: Option<u32>,
    pub packets: Option<u64>,
    pub bytes: Option<u64>,
    pub comment: Option<&'a str>,
    /// Keep a hash:net `nomatch` exception an exception.
    pub nomatch: bool,
}

impl<'a> Element<'a> {
    pub fn plain(entry: Entry) -> Element<'a> {
        Element {
            entry: Some(entry),
            ..Element::default()
        }
    }

    /// An element as read back from the kernel, extensions included.
    pub fn from_dumped(e: &'a crate::listing::Element) -> Element<'a> {
        Element {
            entry: Some(e.entry),
            timeout: e.timeout,
            packets: e.packets,
            bytes: e.bytes,
            comment: e.comment.as_deref(),
            nomatch: e.nomatch,
        }
    }
}

fn nested(buf: &mut Vec<u8>, kind: u16, fill: impl FnOnce(&mut Vec<u8>)) {
    let start = buf.len();
    buf.extend_from_slice(&[0, 0, 0, 0]);
    fill(buf);
    let len = (buf.len() - start) as u16;
    buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    buf[start + 2..start + 4].copy_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
    buf.resize(align(buf.len()), 0);
}

/// One element's IPSET_ATTR_DATA container.
pub(crate) fn push_element(buf: &mut Vec<u8>, e: &Element, entry: &Entry) {
    nested(buf, ATTR_DATA, |b| {
        nested(b, ATTR_IP, |b| match entry.addr {
            std::net::IpAddr::V4(a) => {
                push_attr(b, ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, &a.octets())
            }
            std::net::IpAddr::V6(a) => {
                push_attr(b, ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, &a.octets())
            }
        });
        // A CIDR only for networks: to hash:ip it would mean a range.
        if !entry.is_host() {
            push_attr(b, ATTR_CIDR, &[entry.prefix]);
        }
        if let Some(t) = e.timeout {
            push_attr(b, ATTR_TIMEOUT | NLA_F_NET_BYTEORDER, &t.to_be_bytes());
        }
        if let Some(p) = e.packets {
            push_attr(b, ATTR_PACKETS | NLA_F_NET_BYTEORDER, &p.to_be_bytes());
        }
        if let Some(n) = e.bytes {
            push_attr(b, ATTR_BYTES | NLA_F_NET_BYTEORDER, &n.to_be_bytes());
        }
        if e.nomatch {
            push_attr(
                b,
                ATTR_CADT_FLAGS | NLA_F_NET_BYTEORDER,
                &FLAG_NOMATCH.to_be_bytes(),
            );
        }
        if let Some(c) = e.comment {
            let mut text = c.as_bytes().to_vec();
            text.push(0);
            push_attr(b, ATTR_COMMENT, &text);
        }
    });
}

/// What an acknowledgement's error code means for `set`.
fn ack_result(set: &str, code: i32) -> Result<()> {
    match code {
        0 => Ok(()),
        code => Err(refusal(Command::Batch, set, code)),
    }
}

fn header(op: Op, set: &str, family: AddrFamily, exist: bool) -> (Vec<u8>, usize) {
    let mut flags = NLM_F_REQUEST | NLM_F_ACK;
    if !exist {
        flags |= NLM_F_EXCL;
    }
    let af = match family {
        AddrFamily::Inet => libc::AF_INET,
        AddrFamily::Inet6 => libc::AF_INET6,
    } as u8;
    let mut msg = request(op as u16, flags, af, set);
    // The kernel requires a line number with an ADT container (it reports
    // the failing element's line back, for restore files).
    push_attr(
        &mut msg,
        ATTR_LINENO | NLA_F_NET_BYTEORDER,
        &0u32.to_be_bytes(),
    );
    // The ADT container's header; its length is set when the message closes.
    let adt = msg.len();
    msg.extend_from_slice(&[0, 0, 0, 0]);
    (msg, adt)
}

fn close(msg: &mut [u8], adt: usize) {
    let len = (msg.len() - adt) as u16;
    msg[adt..adt + 2].copy_from_slice(&len.to_ne_bytes());
    msg[adt + 2..adt + 4].copy_from_slice(&(ATTR_ADT | NLA_F_NESTED).to_ne_bytes());
}

/// Add (or delete) every element in batches. `exist`: like `ipset -exist`
/// (an element already there, or not there for del, is no error).
pub fn apply<'a>(
    op: Op,
    set: &str,
    family: AddrFamily,
    exist: bool,
    elements: impl IntoIterator<Item = Element<'a>>,
) -> Result<usize> {
    let mut socket = Socket::open()?;
    messages(op, set, family, exist, elements, |msg| {
        ack_result(set, socket.request(msg)?)
    })
}

/// Build `op` messages of up to [`MESSAGE_BYTES`] of `elements` and hand
/// each, closed, to `each`; how many elements.
fn messages<'a>(
    op: Op,
    set: &str,
    family: AddrFamily,
    exist: bool,
    elements: impl IntoIterator<Item = Element<'a>>,
    mut each: impl FnMut(&mut Vec<u8>) -> Result<()>,
) -> Result<usize> {
    let (mut msg, mut adt) = header(op, set, family, exist);
    let base = msg.len();
    let mut count = 0;
    for e in elements {
        let Some(entry) = e.entry else { continue };
        push_element(&mut msg, &e, &entry);
        count += 1;
        if msg.len() >= MESSAGE_BYTES {
            close(&mut msg, adt);
            each(&mut msg)?;
            (msg, adt) = header(op, set, family, exist);
        }
    }
    if msg.len() > base {
        close(&mut msg, adt);
        each(&mut msg)?;
    }
    Ok(count)
}

/// Change the live shard `set` by its whole delta, every add (`-exist`)
/// then every delete (`-exist`), in ONE `sendmsg`, so that SIGKILL leaves
/// it wholly old or wholly new (see the module doc). Returns (added,
/// deleted). Nothing is sent, and an error says so, if the delta does not
/// fit in one datagram here; callers keep deltas within [`ONE_SEND_BYTES`].
pub fn apply_in_one_send<'a>(
    set: &str,
    family: AddrFamily,
    adds: impl IntoIterator<Item = Element<'a>>,
    dels: impl IntoIterator<Item = Element<'a>>,
) -> Result<(usize, usize)> {
    let mut socket = Socket::open()?;
    let mut datagram = Vec::new();
    let mut seqs = Vec::new();
    let added = append(
        &mut socket,
        &mut datagram,
        &mut seqs,
        Op::Add,
        set,
        family,
        adds,
    )?;
    let deleted = append(
        &mut socket,
        &mut datagram,
        &mut seqs,
        Op::Del,
        set,
        family,
        dels,
    )?;
    let counts = [added, deleted];
    if seqs.is_empty() {
        return Ok((0, 0));
    }
    // Replies: refusals only (and one ack), ~1 KiB each as the kernel
    // counts socket memory.
    let replies = 64 * 1024 + seqs.len() * 1024;
    if datagram.len() > ONE_SEND_BYTES || !socket.make_room(datagram.len(), replies) {
        return Err(Error::kernel(
            KernelErrorKind::Other,
            format!(
                "set {set}: a change of {} bytes does not fit in one netlink send here; nothing was changed",
                datagram.len()
            ),
        ));
    }
    // The first refusal (by order) is the error.
    match socket.send_in_one_call(&mut datagram)?.first() {
        Some(&(_, code)) => ack_result(set, code).map(|_| (counts[0], counts[1])),
        None => Ok((counts[0], counts[1])),
    }
}

/// Append `elements` to `datagram` as numbered `op` messages (`-exist`);
/// how many elements.
fn append<'a>(
    socket: &mut Socket,
    datagram: &mut Vec<u8>,
    seqs: &mut Vec<u32>,
    op: Op,
    set: &str,
    family: AddrFamily,
    elements: impl IntoIterator<Item = Element<'a>>,
) -> Result<usize> {
    messages(op, set, family, true, elements, |msg| {
        seqs.push(socket.number(msg));
        datagram.extend_from_slice(msg);
        Ok(())
    })
}
