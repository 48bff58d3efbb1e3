//! The node lock: mipset processes that change the same network namespace's
//! sets take turns, like iptables' xtables lock.
//!
//! The lock is an abstract unix socket named `@mipset-lock`. Abstract socket
//! names belong to the network namespace, so every process in a namespace
//! (whatever its mount namespace or /run, e.g. containers sharing a node's
//! network) contends for the same lock, private namespaces (as in the tests)
//! never wait for each other, and the kernel releases it when the holder
//! exits, even on SIGKILL. Any process in the namespace may bind the name
//! (no privilege needed); `ss -xlp | grep mipset-lock` shows the holder.
//! Without `--wait` a held lock is an error at once
//! (exit 5, as iptables without `-w`); `--wait` waits forever,
//! `--wait=SECONDS` that long.

use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::error::{Error, KernelErrorKind, Result};
use crate::interrupt;

/// The abstract socket name (without the leading NUL).
pub const LOCK_NAME: &str = "mipset-lock";

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

/// Try to bind the abstract name once: Ok(Some) when taken by us, Ok(None)
/// when someone else holds it.
fn try_bind() -> Result<Option<OwnedFd>> {
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::kernel(
            KernelErrorKind::Other,
            format!("cannot create the lock socket: {e}"),
        ));
    }
    // SAFETY: fresh descriptor.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: a zeroed sockaddr_un, filled with an abstract name below.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // sun_path[0] stays NUL: an abstract name.
    for (i, b) in LOCK_NAME.bytes().enumerate() {
        addr.sun_path[i + 1] = b as libc::c_char;
    }
    let len = (std::mem::size_of::<libc::sa_family_t>() + 1 + LOCK_NAME.len()) as libc::socklen_t;
    // SAFETY: addr is valid for len bytes.
    let rc = unsafe {
        libc::bind(
            std::os::fd::AsRawFd::as_raw_fd(&socket),
            &addr as *const libc::sockaddr_un as *const libc::sockaddr,
            len,
        )
    };
    if rc == 0 {
        return Ok(Some(socket));
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EADDRINUSE) {
        Ok(None)
    } else {
        Err(Error::kernel(
            KernelErrorKind::Other,
            format!("cannot take the node lock: {e}"),
        ))
    }
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
                    "another mipset is changing this network namespace's sets (lock @{LOCK_NAME}, see `ss -xlp | grep {LOCK_NAME}`){}",
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
