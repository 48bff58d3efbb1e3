//! The node lock: mipset processes that change the same network namespace's
//! sets take turns, like iptables' xtables lock.
//!
//! The lock is TCP port 127.0.0.1:1022 of the network namespace, bound and
//! listened on by the holder (never accepting). A port belongs to the
//! network namespace, so every process in a namespace contends for it
//! whatever its mount namespace or /run (containers sharing a node's
//! network, a DaemonSet and the host), private namespaces (as in the tests)
//! never wait for each other, and the kernel releases it when the holder
//! exits, even on SIGKILL. Ports below 1024 need CAP_NET_BIND_SERVICE (or
//! root), so an unprivileged process cannot hold mipset off, as it could
//! the abstract unix socket `@mipset-lock` this replaced (anyone may bind
//! an abstract name). Port 1022 is one of the two that RFC 4727 reserves
//! for experiments, which no service is assigned. The socket is bound with
//! IP_FREEBIND, so it works before `lo` is up; `ss -tlnp 'sport = :1022'`
//! shows the holder. Without `--wait` a held lock is an error at once
//! (exit 5, as iptables without `-w`); `--wait` waits forever,
//! `--wait=SECONDS` that long.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::error::{Error, KernelErrorKind, Result};
use crate::interrupt;

/// The lock's port on 127.0.0.1 (privileged: below 1024).
pub const LOCK_PORT: u16 = 1022;

/// How long to wait for the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Fail at once if another mipset holds it.
    No,
    /// Wait as long as it takes.
    Forever,
    /// Wait at most this long.
    For(Duration),
}

/// Held until dropped (or the process exits).
#[derive(Debug)]
pub struct NodeLock {
    _socket: OwnedFd,
}

fn os_error(what: &str) -> Error {
    let e = std::io::Error::last_os_error();
    let kind = match e.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => KernelErrorKind::NoPermission,
        _ => KernelErrorKind::Other,
    };
    let hint = if kind == KernelErrorKind::NoPermission {
        " (mipset needs root or CAP_NET_ADMIN, and CAP_NET_BIND_SERVICE for its node lock, a privileged port)"
    } else {
        ""
    };
    Error::kernel(kind, format!("{what}: {e}{hint}"))
}

/// Try to bind the lock's port once: Ok(Some) when taken by us, Ok(None)
/// when someone else holds it.
fn try_bind() -> Result<Option<OwnedFd>> {
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(os_error("cannot create the lock socket"));
    }
    // SAFETY: fresh descriptor.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    // SAFETY: setsockopt with a valid int; IP_FREEBIND allows binding
    // 127.0.0.1 before `lo` is up. No SO_REUSEADDR: a second bind must fail.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_FREEBIND,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    // SAFETY: a zeroed sockaddr_in, filled below.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = LOCK_PORT.to_be();
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    // SAFETY: addr is valid for its size.
    let rc = unsafe {
        libc::bind(
            socket.as_raw_fd(),
            &addr as *const libc::sockaddr_in as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return if std::io::Error::last_os_error().raw_os_error() == Some(libc::EADDRINUSE) {
            Ok(None)
        } else {
            Err(os_error("cannot take the node lock"))
        };
    }
    // Listening only makes the holder visible to `ss -tlnp`; nothing is
    // ever accepted.
    // SAFETY: listen on our own bound socket.
    unsafe { libc::listen(socket.as_raw_fd(), 1) };
    Ok(Some(socket))
}

impl NodeLock {
    pub fn acquire(wait: Wait) -> Result<NodeLock> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(socket) = try_bind()? {
                return Ok(NodeLock { _socket: socket });
            }
            let waited = start.elapsed();
            let give_up = match wait {
                Wait::No => true,
                Wait::Forever => false,
                Wait::For(limit) => waited >= limit,
            };
            if give_up {
                return Err(Error::LockTimeout(format!(
                    "another mipset is changing this network namespace's sets (lock: port 127.0.0.1:{LOCK_PORT}, see `ss -tlnp 'sport = :{LOCK_PORT}'`){}",
                    match wait {
                        Wait::No => "; use --wait to wait for it".to_string(),
                        _ => format!("; gave up after {:.1} s", waited.as_secs_f64()),
                    }
                )));
            }
            // A stop asked for while waiting (the reconciler's SIGTERM) ends
            // the wait: nothing has been changed yet.
            interrupt::check()?;
            // Back off up to 50 ms between tries (iptables polls at 1 s by
            // default, which is slow for a tool that runs in a loop).
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_times_out_and_is_released_on_drop() {
        // Unit tests share the host namespace: use a private one.
        // SAFETY: moves only this test's thread.
        if unsafe { libc::geteuid() } != 0 || unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            eprintln!("lock unit test needs root for a private network namespace; the kernel tests cover it");
            return;
        }
        let held = NodeLock::acquire(Wait::No).expect("first lock");
        let e = NodeLock::acquire(Wait::No).unwrap_err();
        assert!(matches!(e, Error::LockTimeout(_)), "{e}");
        let t = Instant::now();
        let e = NodeLock::acquire(Wait::For(Duration::from_millis(120))).unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(120), "{e}");
        drop(held);
        NodeLock::acquire(Wait::No).expect("free again");
    }
}
