//! The node lock: mipset processes that change the same network namespace's
//! sets take turns, like iptables' xtables lock.
//!
//! An exclusive `flock` on `/run/mipset/netns-<inode>.lock`, one file per
//! network namespace (so private namespaces, as in the tests, never wait for
//! each other), held until the process exits. `MIPSET_LOCK_DIR` overrides the
//! directory. Without `--wait` a held lock is an error at once (exit 5, as
//! iptables without `-w`); `--wait` waits forever, `--wait=SECONDS` that long.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Error, KernelErrorKind, Result};

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

/// Held until dropped (or the process exits; the kernel releases flocks).
#[derive(Debug)]
pub struct NodeLock {
    _file: File,
    pub path: PathBuf,
}

fn lock_path() -> Result<PathBuf> {
    let dir = std::env::var_os("MIPSET_LOCK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/mipset"));
    // thread-self: a thread may sit in its own namespace (unshare in tests).
    let netns = std::fs::metadata("/proc/thread-self/ns/net")
        .or_else(|_| std::fs::metadata("/proc/self/ns/net"))
        .map_err(|e| {
            Error::kernel(
                KernelErrorKind::Other,
                format!("cannot identify the network namespace: {e}"),
            )
        })?;
    Ok(dir.join(format!("netns-{}.lock", netns.ino())))
}

fn refused(what: &str, path: &std::path::Path, e: std::io::Error) -> Error {
    let kind = if e.kind() == std::io::ErrorKind::PermissionDenied {
        KernelErrorKind::NoPermission
    } else {
        KernelErrorKind::Other
    };
    let hint = if kind == KernelErrorKind::NoPermission {
        " (mipset needs root or CAP_NET_ADMIN)"
    } else {
        ""
    };
    Error::kernel(kind, format!("{what} {}: {e}{hint}", path.display()))
}

impl NodeLock {
    pub fn acquire(wait: Wait) -> Result<NodeLock> {
        let path = lock_path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| refused("cannot create the lock directory", dir, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| refused("cannot open the lock file", &path, e))?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            // SAFETY: flock on a descriptor we own.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc == 0 {
                return Ok(NodeLock { _file: file, path });
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(refused("cannot lock", &path, e));
            }
            let waited = start.elapsed();
            let give_up = match wait {
                Wait::No => true,
                Wait::Forever => false,
                Wait::For(limit) => waited >= limit,
            };
            if give_up {
                return Err(Error::LockTimeout(format!(
                    "another mipset is changing this node's sets (lock {}){}",
                    path.display(),
                    match wait {
                        Wait::No => "; use --wait to wait for it".to_string(),
                        _ => format!("; gave up after {:.1} s", waited.as_secs_f64()),
                    }
                )));
            }
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
        let dir = std::env::temp_dir().join(format!("mipset-lock-test-{}", std::process::id()));
        std::env::set_var("MIPSET_LOCK_DIR", &dir);
        let held = NodeLock::acquire(Wait::No).expect("first lock");
        // flock locks belong to the open file description: a second open in
        // the same process contends like another process would.
        let e = NodeLock::acquire(Wait::No).unwrap_err();
        assert!(matches!(e, Error::LockTimeout(_)), "{e}");
        let t = Instant::now();
        let e = NodeLock::acquire(Wait::For(Duration::from_millis(120))).unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(120), "{e}");
        drop(held);
        NodeLock::acquire(Wait::No).expect("free again");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
