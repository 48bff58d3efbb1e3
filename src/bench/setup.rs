//! Where the benchmark runs: a fresh private network namespace with `lo`
//! up (the default), or this one with `--in-place`, where a guard removes
//! the sets the benchmark created whatever happens.

use crate::error::{Error, KernelErrorKind, Result};
use crate::naming;

/// The single set every family is measured against (the bench's other
/// sets: `mbf{N}` families, [`ONE_SHARD`], and the `mb-grow-*` and
/// `mb-rep-*` sets of [`super::scale`]).
pub const SINGLE: &str = "mbs";

/// The exec method's family of one shard (`mipset` on the structure of one
/// set: what the tool costs).
pub const ONE_SHARD: &str = "mbone";

/// Bring `lo` up in this namespace (SIOCSIFFLAGS).
fn loopback_up() -> Result<()> {
    // SAFETY: plain ioctls on a fresh socket with a zeroed, NUL-terminated
    // ifreq; the socket is closed before returning.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        if fd < 0 {
            return Err(os_error("socket"));
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let ok = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) == 0 && {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut req) == 0
        };
        let err = os_error("bringing lo up");
        libc::close(fd);
        if ok {
            Ok(())
        } else {
            Err(err)
        }
    }
}

fn os_error(what: &str) -> Error {
    let e = std::io::Error::last_os_error();
    let kind = if e.raw_os_error() == Some(libc::EPERM) {
        KernelErrorKind::NoPermission
    } else {
        KernelErrorKind::Other
    };
    Error::kernel(kind, format!("{what}: {e}"))
}

/// Move this process into a fresh network namespace with `lo` up.
pub fn private_namespace() -> Result<()> {
    // SAFETY: unshare has no memory-safety preconditions; mipset has not
    // started any thread yet, so the whole process moves.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        let e = os_error("creating a private network namespace (unshare)");
        return Err(Error::kernel(
            e.kernel_kind().unwrap_or(KernelErrorKind::Other),
            format!("{e}; mipset bench needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"),
        ));
    }
    loopback_up()
}

/// With `--in-place`: whatever happens (an error, a signal), the sets the
/// bench created go again, through a netlink socket of its own (not the
/// run's `Kernel` handle); names that do not exist are skipped.
pub struct InPlaceCleanup {
    pub shard_counts: Vec<u32>,
}

impl Drop for InPlaceCleanup {
    fn drop(&mut self) {
        let mut names: Vec<String> = Vec::new();
        let shards = |prefix: &str, n: u32| {
            let prefix = prefix.to_string();
            (0..n).map(move |i| naming::shard_name(&prefix, i))
        };
        for &n in &self.shard_counts {
            names.push(format!("mbf{n}"));
            names.extend(shards(&format!("mbf{n}"), n));
        }
        names.push(ONE_SHARD.to_string());
        names.extend(shards(ONE_SHARD, 1));
        let first = self.shard_counts.first().copied().unwrap_or(1);
        for f in ["mb-grow-f", "mb-grow-fs"] {
            names.push(f.to_string());
            names.extend(shards(f, first));
        }
        for single in [
            SINGLE,
            "mb-grow-1",
            "mb-grow-1s",
            "mb-rep-1",
            "mb-rep-s",
            "mb-rep-1-new",
            "mb-rep-s-new",
        ] {
            names.push(single.to_string());
        }
        for name in names {
            let _ = crate::kernel::destroy_now(&name);
        }
    }
}
