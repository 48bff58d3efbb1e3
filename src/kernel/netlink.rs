//! The small part of netlink that the dump reader ([`super::dump`]) and the
//! batch writer ([`super::batch`]) share: the nfnetlink socket, ipset
//! request headers and attribute encoding. Numbers are the kernel's stable
//! ipset protocol, version 7 (`linux/netfilter/ipset/ip_set.h`).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::{Error, KernelErrorKind, Result};

const NETLINK_NETFILTER: i32 = 12;
/// How long a reply may take (see [`Socket::open`]).
const REPLY_TIMEOUT_SECS: libc::time_t = 30;
const NFNL_SUBSYS_IPSET: u16 = 6;
const IPSET_PROTOCOL: u8 = 7;
pub(crate) const NLM_F_REQUEST: u16 = 0x1;
pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;
pub(crate) const NLA_F_NESTED: u16 = 0x8000;
pub(crate) const NLA_F_NET_BYTEORDER: u16 = 0x4000;
const NLA_TYPE_MASK: u16 = 0x3fff;
const ATTR_PROTOCOL: u16 = 1;
const ATTR_SETNAME: u16 = 2;

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

/// A NUL-terminated string attribute.
pub(crate) fn push_str(buf: &mut Vec<u8>, kind: u16, text: &str) {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(0);
    push_attr(buf, kind, &bytes);
}

/// A 32-bit attribute in network byte order, flagged as such.
pub(crate) fn push_u32(buf: &mut Vec<u8>, kind: u16, value: u32) {
    push_attr(buf, kind | NLA_F_NET_BYTEORDER, &value.to_be_bytes());
}

/// A nested attribute holding the already encoded `inner`.
pub(crate) fn push_nested(buf: &mut Vec<u8>, kind: u16, inner: &[u8]) {
    push_attr(buf, kind | NLA_F_NESTED, inner);
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

pub(crate) fn os_error(what: &str, e: std::io::Error) -> Error {
    let kind = match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => KernelErrorKind::NoPermission,
        Some(libc::EPROTONOSUPPORT) => KernelErrorKind::NoIpset,
        _ => KernelErrorKind::Other,
    };
    Error::kernel(kind, format!("{what}: {e}"))
}

/// An ipset request: netlink and nfgenmsg headers, protocol version and set
/// name. [`Socket::send`] fills in the length and sequence number.
pub(crate) fn request(command: u16, flags: u16, address_family: u8, set: &str) -> Vec<u8> {
    let mut msg = vec![0u8; 16];
    msg[4..6].copy_from_slice(&((NFNL_SUBSYS_IPSET << 8) | command).to_ne_bytes());
    msg[6..8].copy_from_slice(&flags.to_ne_bytes());
    msg.extend_from_slice(&[address_family, 0, 0, 0]); // nfgenmsg: family, version, res_id
    push_attr(&mut msg, ATTR_PROTOCOL, &[IPSET_PROTOCOL]);
    let mut name = set.as_bytes().to_vec();
    name.push(0);
    push_attr(&mut msg, ATTR_SETNAME, &name);
    msg
}

/// An nfnetlink socket talking to the kernel.
pub(crate) struct Socket {
    fd: OwnedFd,
    seq: u32,
}

impl Socket {
    pub(crate) fn open() -> Result<Socket> {
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
        // SAFETY: a fresh descriptor, owned from here on.
        let socket = Socket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            seq: 0x6d69_7073,
        };
        // Refusals without the request echoed back (a refused 32 KiB batch
        // message would not fit a receive buffer), and no endless wait for
        // a reply: the kernel answers inside the send, so a reply that has
        // not come in 30 s never will.
        const SOL_NETLINK: i32 = 270;
        const NETLINK_CAP_ACK: i32 = 10;
        let one: i32 = 1;
        let timeout = libc::timeval {
            tv_sec: REPLY_TIMEOUT_SECS,
            tv_usec: 0,
        };
        // SAFETY: setsockopt with valid option values and their sizes.
        unsafe {
            libc::setsockopt(
                socket.fd.as_raw_fd(),
                SOL_NETLINK,
                NETLINK_CAP_ACK,
                &one as *const i32 as *const libc::c_void,
                std::mem::size_of::<i32>() as u32,
            );
            libc::setsockopt(
                socket.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &timeout as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as u32,
            );
        }
        Ok(socket)
    }

    /// Send one request and wait for its answer: the kernel's code (0:
    /// done, otherwise the positive error number).
    pub(crate) fn request(&mut self, msg: &mut [u8]) -> Result<i32> {
        let seq = self.send(msg)?;
        let mut buf = [0u8; 8192];
        loop {
            let data = self.recv(&mut buf)?;
            if let Some((_, code)) = acks(data).into_iter().find(|(s, _)| *s == seq) {
                return Ok(code);
            }
        }
    }

    /// Send a request; returns its sequence number.
    pub(crate) fn send(&mut self, msg: &mut [u8]) -> Result<u32> {
        let seq = self.number(msg);
        self.send_all(msg)?;
        Ok(seq)
    }

    /// Give the message at the start of `msg` its length and the next
    /// sequence number; returns the number.
    pub(crate) fn number(&mut self, msg: &mut [u8]) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        let len = msg.len() as u32;
        msg[0..4].copy_from_slice(&len.to_ne_bytes());
        msg[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        self.seq
    }

    /// Room for `send` bytes in one datagram and `recv` bytes of replies,
    /// beyond the system's defaults where the process may (as root:
    /// SO_SNDBUFFORCE). Whether one datagram of `send` bytes
    /// now fits.
    pub(crate) fn make_room(&mut self, send: usize, recv: usize) -> bool {
        let set = |level: i32, option: i32, value: usize| {
            let value = i32::try_from(value).unwrap_or(i32::MAX);
            // SAFETY: setsockopt with a valid int option value.
            unsafe {
                libc::setsockopt(
                    self.fd.as_raw_fd(),
                    level,
                    option,
                    &value as *const i32 as *const libc::c_void,
                    std::mem::size_of::<i32>() as u32,
                ) == 0
            }
        };
        if !set(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, recv) {
            set(libc::SOL_SOCKET, libc::SO_RCVBUF, recv);
        }
        if !set(libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, send) {
            set(libc::SOL_SOCKET, libc::SO_SNDBUF, send);
        }
        // The kernel refuses a datagram longer than its send buffer less a
        // little (netlink_sendmsg: len > sk_sndbuf - 32): read it back.
        let mut value: i32 = 0;
        let mut len = std::mem::size_of::<i32>() as u32;
        // SAFETY: getsockopt into a valid int.
        let ok = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                &mut value as *mut i32 as *mut libc::c_void,
                &mut len,
            ) == 0
        };
        ok && usize::try_from(value).unwrap_or(0) >= send + 32
    }

    /// Send `msg` (one message, or many already numbered) to the kernel
    /// in one datagram: one sendmsg system call.
    pub(crate) fn send_all(&mut self, msg: &[u8]) -> Result<()> {
        // SAFETY: a zeroed sockaddr_nl addressed to the kernel (pid 0).
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as u16;
        // SAFETY: msg and kernel are valid for the lengths given.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
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
        Ok(())
    }

    /// Send `datagram`, messages already numbered, in ONE sendmsg and
    /// return the refusals: (index of the message, error code). Only the
    /// last message asks for an acknowledgement; the kernel reports every
    /// refused message anyway, and handles the whole datagram before the
    /// call returns, so the last ack closes the replies. The receive room
    /// must hold the refusals (see [`Socket::make_room`]): replies the
    /// kernel had to drop are an error, since what was refused is unknown.
    pub(crate) fn send_in_one_call(&mut self, datagram: &mut [u8]) -> Result<Vec<(usize, i32)>> {
        const NLM_F_ACK: u16 = 0x4;
        let mut seqs = Vec::new();
        let mut at = 0;
        while at + 16 <= datagram.len() {
            let len =
                u32::from_ne_bytes(datagram[at..at + 4].try_into().unwrap_or_default()) as usize;
            if len < 16 || at + len > datagram.len() {
                break;
            }
            let last = at + align(len) >= datagram.len();
            let mut flags = u16::from_ne_bytes([datagram[at + 6], datagram[at + 7]]);
            flags = if last {
                flags | NLM_F_ACK
            } else {
                flags & !NLM_F_ACK
            };
            datagram[at + 6..at + 8].copy_from_slice(&flags.to_ne_bytes());
            seqs.push(u32::from_ne_bytes(
                datagram[at + 8..at + 12].try_into().unwrap_or_default(),
            ));
            at += align(len);
        }
        let Some(&last) = seqs.last() else {
            return Ok(Vec::new());
        };
        self.send_all(datagram)?;
        let index: std::collections::HashMap<u32, usize> =
            seqs.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        let mut refused = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let data = match self.recv(&mut buf) {
                Err(e) => {
                    return Err(Error::kernel(
                        KernelErrorKind::Other,
                        format!("{e}: the kernel's replies to one batch were lost; what it refused is unknown"),
                    ))
                }
                Ok(data) => data,
            };
            for (seq, code) in acks(data) {
                let Some(&i) = index.get(&seq) else { continue };
                if code != 0 {
                    refused.push((i, code));
                }
                // nfnetlink refuses a send it may not take (no
                // CAP_NET_ADMIN) at its first message, and stops there.
                if i == 0 && matches!(code, libc::EPERM | libc::EACCES) {
                    refused.sort_unstable();
                    return Ok(refused);
                }
                if seq == last {
                    refused.sort_unstable();
                    return Ok(refused);
                }
            }
        }
    }

    /// Receive one datagram (one or more netlink messages) into `buf`.
    /// A datagram longer than `buf` is an error, never silently cut.
    pub(crate) fn recv<'b>(&mut self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        loop {
            // SAFETY: buf is valid for its length; MSG_TRUNC makes recv
            // return the datagram's real length.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    libc::MSG_TRUNC,
                )
            };
            if n >= 0 {
                let n = n as usize;
                if n > buf.len() {
                    return Err(Error::kernel(
                        KernelErrorKind::Other,
                        format!(
                            "netlink receive: a reply of {n} bytes did not fit in {} bytes",
                            buf.len()
                        ),
                    ));
                }
                return Ok(&buf[..n]);
            }
            let e = std::io::Error::last_os_error();
            match e.kind() {
                std::io::ErrorKind::Interrupted => continue,
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                    return Err(Error::kernel(
                        KernelErrorKind::Other,
                        format!(
                            "netlink receive: the kernel did not answer within {REPLY_TIMEOUT_SECS} s"
                        ),
                    ))
                }
                _ => return Err(os_error("netlink receive", e)),
            }
        }
    }
}

/// The acknowledgements and refusals in a datagram of replies: (sequence,
/// error code; 0 is an acknowledgement).
pub(crate) fn acks(mut data: &[u8]) -> Vec<(u32, i32)> {
    let mut out = Vec::new();
    while data.len() >= 16 {
        let len = u32::from_ne_bytes(data[0..4].try_into().unwrap_or_default()) as usize;
        if len < 16 || len > data.len() {
            break;
        }
        let kind = u16::from_ne_bytes([data[4], data[5]]);
        let seq = u32::from_ne_bytes(data[8..12].try_into().unwrap_or_default());
        if kind == NLMSG_ERROR {
            let code = match data.get(16..20) {
                Some(c) => -i32::from_ne_bytes(c.try_into().unwrap_or_default()),
                None => libc::EPROTO,
            };
            out.push((seq, code));
        }
        data = &data[align(len).min(data.len())..];
    }
    out
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
    fn requests_carry_protocol_and_name() {
        let msg = request(7, NLM_F_REQUEST, libc::AF_INET as u8, "web");
        assert_eq!(u16::from_ne_bytes([msg[4], msg[5]]), (6 << 8) | 7);
        let got: Vec<_> = attrs(&msg[20..]).collect();
        assert_eq!(got, vec![(1, &[7u8][..]), (2, &b"web\0"[..])]);
    }
}
