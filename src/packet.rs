//! Real packets on the loopback path: which destinations a rule lets
//! through (equivalence tests) and what a rule costs per packet (benches).
//!
//! Traffic safety: every function here refuses any address outside
//! 127.0.0.0/8 and ::1, so whatever calls it can only ever send packets to
//! the loopback interface. Callers run it inside a private network
//! namespace of their own, with `lo` up.

use std::io;
use std::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Datagrams per `sendmmsg` call.
const BATCH: usize = 64;

/// Whether packets to (or from) `addr` stay on the loopback interface.
pub fn is_loopback(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.octets()[0] == 127,
        IpAddr::V6(a) => *a == Ipv6Addr::LOCALHOST,
    }
}

fn refuse_non_loopback(addr: &IpAddr) -> io::Result<()> {
    if is_loopback(addr) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{addr}: mipset sends packets only to 127.0.0.0/8 and ::1"),
        ))
    }
}

/// A socket address in the form the kernel takes.
fn raw_addr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: 0,
            };
            // SAFETY: as above, for sockaddr_in6.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// A UDP sender bound to a loopback address.
pub struct Sender {
    socket: UdpSocket,
}

impl Sender {
    pub fn bind(source: IpAddr) -> io::Result<Sender> {
        refuse_non_loopback(&source)?;
        Ok(Sender {
            socket: UdpSocket::bind(SocketAddr::new(source, 0))?,
        })
    }

    /// Send one datagram to each destination, its payload the destination's
    /// index plus `first_index` (4 bytes, big-endian), in `sendmmsg` batches.
    pub fn send_all(&self, dests: &[SocketAddr], first_index: u32) -> io::Result<usize> {
        for d in dests {
            refuse_non_loopback(&d.ip())?;
        }
        let mut sent = 0;
        for (chunk_no, chunk) in dests.chunks(BATCH).enumerate() {
            let mut names: Vec<(libc::sockaddr_storage, libc::socklen_t)> =
                chunk.iter().map(|d| raw_addr(*d)).collect();
            let mut payloads: Vec<[u8; 4]> = (0..chunk.len())
                .map(|i| (first_index + (chunk_no * BATCH + i) as u32).to_be_bytes())
                .collect();
            let mut iovecs: Vec<libc::iovec> = payloads
                .iter_mut()
                .map(|p| libc::iovec {
                    iov_base: p.as_mut_ptr().cast(),
                    iov_len: p.len(),
                })
                .collect();
            let mut msgs: Vec<libc::mmsghdr> = names
                .iter_mut()
                .zip(iovecs.iter_mut())
                .map(|((name, len), iov)| {
                    // SAFETY: msghdr is plain data; the fields set below
                    // point into vectors that outlive the sendmmsg call.
                    let mut hdr: libc::msghdr = unsafe { mem::zeroed() };
                    hdr.msg_name = (name as *mut libc::sockaddr_storage).cast();
                    hdr.msg_namelen = *len;
                    hdr.msg_iov = iov;
                    hdr.msg_iovlen = 1;
                    libc::mmsghdr {
                        msg_hdr: hdr,
                        msg_len: 0,
                    }
                })
                .collect();
            let mut offset = 0;
            while offset < msgs.len() {
                // SAFETY: msgs[offset..] are valid mmsghdrs (see above).
                let n = unsafe {
                    libc::sendmmsg(
                        self.socket.as_raw_fd(),
                        msgs[offset..].as_mut_ptr(),
                        (msgs.len() - offset) as libc::c_uint,
                        0,
                    )
                };
                if n < 0 {
                    let e = io::Error::last_os_error();
                    // A DROP rule makes the kernel report EPERM for some
                    // datagrams on the way out: count it as sent.
                    if e.raw_os_error() == Some(libc::EPERM) {
                        offset += 1;
                        sent += 1;
                        continue;
                    }
                    return Err(e);
                }
                offset += n as usize;
                sent += n as usize;
            }
        }
        Ok(sent)
    }
}

/// A UDP receiver on every loopback address (`0.0.0.0` or `::`, port).
pub struct Sink {
    socket: UdpSocket,
}

impl Sink {
    pub fn bind(v6: bool) -> io::Result<Sink> {
        let any: IpAddr = if v6 {
            Ipv6Addr::UNSPECIFIED.into()
        } else {
            Ipv4Addr::UNSPECIFIED.into()
        };
        let socket = UdpSocket::bind(SocketAddr::new(any, 0))?;
        socket.set_nonblocking(true)?;
        let size: libc::c_int = 32 << 20;
        // SAFETY: setsockopt with a valid fd and an int option value.
        // RCVBUFFORCE needs CAP_NET_ADMIN; RCVBUF (capped) is the fallback.
        unsafe {
            for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
                if libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::SOL_SOCKET,
                    opt,
                    (&size as *const libc::c_int).cast(),
                    mem::size_of::<libc::c_int>() as libc::socklen_t,
                ) == 0
                {
                    break;
                }
            }
        }
        Ok(Sink { socket })
    }

    pub fn port(&self) -> io::Result<u16> {
        Ok(self.socket.local_addr()?.port())
    }

    /// Receive whatever is queued, calling `seen` with each payload index.
    pub fn drain(&self, seen: &mut dyn FnMut(u32)) -> io::Result<usize> {
        let mut buf = [0u8; 64];
        let mut n = 0;
        loop {
            match self.socket.recv(&mut buf) {
                Ok(len) if len >= 4 => {
                    seen(u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]));
                    n += 1;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(n),
                Err(e) => return Err(e),
            }
        }
    }
}

/// Send one datagram from `source` to each of `dests` and report which
/// arrived (were not dropped by a rule on the way).
pub fn delivered(source: IpAddr, dests: &[IpAddr]) -> io::Result<Vec<bool>> {
    let sink = Sink::bind(source.is_ipv6())?;
    let port = sink.port()?;
    let sender = Sender::bind(source)?;
    let mut arrived = vec![false; dests.len()];
    let mut mark = |i: u32| {
        if let Some(a) = arrived.get_mut(i as usize) {
            *a = true;
        }
    };
    let targets: Vec<SocketAddr> = dests.iter().map(|d| SocketAddr::new(*d, port)).collect();
    for (n, chunk) in targets.chunks(BATCH).enumerate() {
        sender.send_all(chunk, (n * BATCH) as u32)?;
        sink.drain(&mut mark)?;
    }
    // Loopback delivery finishes within the send call; a short grace for
    // anything a softirq still holds.
    let deadline = Instant::now() + Duration::from_millis(50);
    while Instant::now() < deadline {
        sink.drain(&mut mark)?;
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(arrived)
}

/// Datagrams per timed chunk of [`time_pair`].
const CHUNK: usize = 512;

/// Send `count` datagrams from 127.0.0.1 to port `port_a` and as many to
/// `port_b`, both cycling over the same `dests`, in alternating chunks
/// (A B B A ...) so machine noise hits both alike. Returns the time per
/// datagram of A and of B, in nanoseconds: A's median over chunks, and A's
/// plus the median over chunk pairs of B minus A, so a chunk slowed down
/// by preemption does not move the result. The caller's rules decide what
/// happens to the datagrams (benchmarks drop them in raw PREROUTING, so
/// nothing is delivered).
pub fn time_pair(
    dests: &[Ipv4Addr],
    port_a: u16,
    port_b: u16,
    count: usize,
) -> io::Result<(f64, f64)> {
    let sender = Sender::bind(Ipv4Addr::LOCALHOST.into())?;
    let to = |port: u16| -> Vec<SocketAddr> {
        dests
            .iter()
            .map(|d| SocketAddr::new((*d).into(), port))
            .collect()
    };
    let (a, b) = (to(port_a), to(port_b));
    if a.is_empty() || count == 0 {
        return Ok((0.0, 0.0));
    }
    let mut per_a = Vec::new();
    let mut diffs = Vec::new();
    let mut sent = 0;
    let mut offset = 0;
    let mut turn = 0usize;
    while sent < count {
        let from = offset % a.len();
        let end = (from + CHUNK).min(a.len()).min(from + (count - sent));
        let mut spent = [0f64; 2];
        // A B B A: each side goes first half of the time.
        let order = if turn.is_multiple_of(2) {
            [0, 1]
        } else {
            [1, 0]
        };
        let mut n = 0;
        for side in order {
            let targets = if side == 0 {
                &a[from..end]
            } else {
                &b[from..end]
            };
            let start = Instant::now();
            n = sender.send_all(targets, 0)?;
            spent[side] = start.elapsed().as_nanos() as f64 / n.max(1) as f64;
        }
        per_a.push(spent[0]);
        diffs.push(spent[1] - spent[0]);
        sent += n;
        offset = end;
        turn += 1;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let base = median(&mut per_a);
    Ok((base, base + median(&mut diffs)))
}

/// UDP receive-buffer drops in this namespace (`RcvbufErrors` of
/// /proc/net/snmp and snmp6), to prove a delivery count lost nothing.
pub fn receive_buffer_drops() -> u64 {
    let v4 = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut lines = v4.lines().filter(|l| l.starts_with("Udp: "));
    let drops4 = match (lines.next(), lines.next()) {
        (Some(names), Some(values)) => names
            .split_whitespace()
            .zip(values.split_whitespace())
            .find(|(n, _)| *n == "RcvbufErrors")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0),
        _ => 0,
    };
    let v6 = std::fs::read_to_string("/proc/net/snmp6").unwrap_or_default();
    let drops6 = v6
        .lines()
        .find_map(|l| l.strip_prefix("Udp6RcvbufErrors"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0u64);
    drops4 + drops6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_destinations_are_allowed() {
        for (a, ok) in [
            ("127.0.0.1", true),
            ("127.255.3.4", true),
            ("::1", true),
            ("10.0.0.1", false),
            ("192.168.1.1", false),
            ("8.8.8.8", false),
            ("::2", false),
            ("fe80::1", false),
        ] {
            let addr: IpAddr = a.parse().unwrap();
            assert_eq!(is_loopback(&addr), ok, "{a}");
        }
        assert!(Sender::bind("10.0.0.1".parse().unwrap()).is_err());
    }
}
