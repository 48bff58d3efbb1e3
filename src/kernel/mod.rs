//! The kernel backend: the only module that talks to ipset's kernel API.
//!
//! * Requests go over mipset's own netlink socket: single elements and
//!   whole-set commands ([`ops`]), batches ([`batch`]), a whole family in one
//!   send ([`create`]), element dumps ([`dump`]); what a refusal means is in
//!   [`codes`].
//! * Listing headers and `save` text still run stock ipset command lines
//!   through libipset in-process ([`libipset`]); libipset reports errors as
//!   text only, and [`classify`] is the one place that reads that text.
//!
//! libipset keeps a process-global cache of set names, so a [`Kernel`] holds
//! a process-wide lock: one per process at a time.

pub mod batch;
pub mod codes;
pub mod create;
pub mod dump;
pub(crate) mod libipset;
pub mod list;
pub(crate) mod netlink;
pub mod ops;

use std::sync::{Mutex, MutexGuard};

use crate::addr::{Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::kernel::batch::Element;
use crate::kernel::ops::{Conn, SetKind};
use crate::listing::{self, SetInfo};
use crate::meta::FamilySpec;

static KERNEL_LOCK: Mutex<()> = Mutex::new(());

thread_local!(static HELD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });

/// Map a libipset message to what it means. libipset (errcode.c) and the
/// crate report text only; these strings are libipset's own, stable since
/// ipset 6, and the kernel tests exercise each of them.
pub fn classify(message: &str) -> KernelErrorKind {
    const TABLE: &[(&str, KernelErrorKind)] = &[
        ("Operation not permitted", KernelErrorKind::NoPermission),
        ("Permission denied", KernelErrorKind::NoPermission),
        ("Protocol not supported", KernelErrorKind::NoIpset),
        ("Kernel support protocol versions", KernelErrorKind::NoIpset),
        ("does not exist", KernelErrorKind::NoSuchSet),
        (
            "set with the same name already exists",
            KernelErrorKind::SetExists,
        ),
        ("is full", KernelErrorKind::Full),
        ("in use by a kernel component", KernelErrorKind::InUse),
        ("Device or resource busy", KernelErrorKind::Busy),
        ("it's already added", KernelErrorKind::ElementExists),
        ("it's not added", KernelErrorKind::ElementMissing),
    ];
    TABLE
        .iter()
        .find(|(needle, _)| message.contains(needle))
        .map(|&(_, kind)| kind)
        .unwrap_or(KernelErrorKind::Other)
}

/// A libipset message, cleaned: the crate leaves earlier warnings
/// ("Warning: x is in set y.") in front of later errors.
fn clean(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning:") && !l.contains(" is in set "))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The error for a failed operation on `set`, with a message for people.
pub fn kernel_error(what: &str, set: &str, raw: &str) -> Error {
    let message = clean(raw);
    let kind = classify(&message);
    let text = match kind {
        KernelErrorKind::NoPermission => {
            format!("the kernel refused: {message} (mipset needs root or CAP_NET_ADMIN)")
        }
        KernelErrorKind::NoIpset => {
            format!("this kernel has no ipset support ({message}); load it with `modprobe ip_set`")
        }
        _ => format!("{what}: set {set}: {message}"),
    };
    Error::kernel(kind, text)
}

/// How long a set busy with someone else's listing is waited for.
const BUSY_RETRY_BUDGET: std::time::Duration = std::time::Duration::from_millis(1500);

/// Run `op` until it does not fail with a transient "busy" or "in use"
/// error, backing off from 1 ms to 100 ms, for at most
/// [`BUSY_RETRY_BUDGET`]; the last error is returned if it never succeeds.
pub fn retry_while_busy<T>(mut op: impl FnMut() -> Result<T>) -> Result<T> {
    let start = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        match op() {
            Err(e)
                if matches!(
                    e.kernel_kind(),
                    Some(KernelErrorKind::Busy | KernelErrorKind::InUse)
                ) && start.elapsed() + pause < BUSY_RETRY_BUDGET =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(100));
            }
            result => return result,
        }
    }
}

/// Options of one element add.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Like `ipset -exist`: re-adding refreshes the entry instead of failing.
    pub exist: bool,
    /// Per-entry timeout in seconds (0 = permanent).
    pub timeout: Option<u32>,
    pub comment: Option<String>,
}

/// The kernel, as seen from this network namespace.
pub struct Kernel {
    conn: Conn,
    _lock: MutexGuard<'static, ()>,
}

impl Kernel {
    /// Take the process-wide libipset lock (waiting for another thread's
    /// Kernel to be dropped) and start with a fresh name cache.
    ///
    /// A second Kernel on a thread that holds one would wait forever, so
    /// that is refused.
    pub fn open() -> Result<Kernel> {
        if HELD.with(|h| h.get()) {
            return Err(Error::Usage(
                "internal: a second Kernel opened on the same thread".into(),
            ));
        }
        let conn = Conn::open()?;
        let lock = KERNEL_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        HELD.with(|h| h.set(true));
        libipset::Libipset::reset_cache();
        Ok(Kernel { conn, _lock: lock })
    }

    /// Run one stock ipset command line through libipset (listing only).
    fn exec(&mut self, what: &str, set: &str, line: &str) -> Result<String> {
        libipset::Libipset::run(line).map_err(|e| kernel_error(what, set, &e.0))
    }

    /// Headers (no members) of every set, or of one.
    pub fn list_headers(&mut self, name: Option<&str>) -> Result<Vec<SetInfo>> {
        let line = match name {
            Some(n) => format!("list -t {n}"),
            None => "list -t".to_string(),
        };
        self.list_with(&line, name)
    }

    /// One set in `ipset save` format.
    pub fn save_text(&mut self, name: &str) -> Result<String> {
        self.exec("save", name, &format!("save {name}"))
    }

    /// One set with its members.
    pub fn list_set(&mut self, name: &str) -> Result<SetInfo> {
        let mut sets = self.list_with(&format!("list {name}"), Some(name))?;
        sets.pop().ok_or_else(|| {
            Error::kernel(
                KernelErrorKind::Other,
                format!("listing {name} returned nothing"),
            )
        })
    }

    fn list_with(&mut self, line: &str, name: Option<&str>) -> Result<Vec<SetInfo>> {
        let text = self.exec("list", name.unwrap_or("*"), line)?;
        listing::parse(&text).map_err(|e| Error::kernel(KernelErrorKind::Other, e))
    }

    /// Add one entry; Ok(false) if it was already there (without `exist`).
    pub fn add(
        &mut self,
        set: &str,
        _set_type: SetType,
        entry: &Entry,
        opts: &AddOptions,
    ) -> Result<bool> {
        let element = Element {
            entry: Some(*entry),
            timeout: opts.timeout,
            comment: opts.comment.as_deref(),
            ..Element::default()
        };
        self.conn.add(set, &element, opts.exist)
    }

    /// Delete one entry; Ok(false) if it was not there.
    pub fn del(&mut self, set: &str, _set_type: SetType, entry: &Entry) -> Result<bool> {
        self.conn.del(set, entry)
    }

    /// Is the entry a member? For hash:net a host address matches any
    /// network holding it; a network must be present exactly (as `ipset test`).
    pub fn test(&mut self, set: &str, _set_type: SetType, entry: &Entry) -> Result<bool> {
        self.conn.test(set, entry)
    }

    /// Create the whole family `spec` in one netlink send (see
    /// [`create::create_family`]): SIGKILL leaves all of it or none.
    pub fn create_family(&mut self, spec: &FamilySpec) -> Result<()> {
        create::create_family(spec)
    }

    /// Create one set of `kind` (`exist`: an identical one is fine).
    pub fn create_set(&mut self, name: &str, kind: &SetKind, exist: bool) -> Result<()> {
        self.conn.create(name, kind, exist)
    }

    /// Create one shard of the family `spec`, named `name`.
    pub fn create_shard(&mut self, spec: &FamilySpec, name: &str) -> Result<()> {
        self.conn.create(name, &create::kinds(spec).0, false)
    }

    /// Add `member` to the list:set `list` with `comment`; with `exist`
    /// an existing member's comment is replaced.
    pub fn add_member(
        &mut self,
        list: &str,
        member: &str,
        comment: &str,
        exist: bool,
    ) -> Result<()> {
        self.conn.add_member(list, member, comment, exist)
    }

    /// Remove every entry of a set.
    pub fn flush_set(&mut self, name: &str) -> Result<()> {
        self.conn.flush(name)
    }

    /// Exchange two sets' names atomically (`ipset swap`). The kernel
    /// refuses a swap while another process lists either set; that is
    /// retried for a bounded time.
    pub fn swap_sets(&mut self, a: &str, b: &str) -> Result<()> {
        retry_while_busy(|| self.conn.swap(a, b))
    }

    /// Destroy one set of any type. A set another process is listing, or
    /// one an iptables rule released a moment ago, is reported in use for
    /// a short while: that is retried for a bounded time.
    pub fn destroy_set(&mut self, name: &str) -> Result<()> {
        retry_while_busy(|| self.conn.destroy(name))
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        HELD.with(|h| h.set(false));
    }
}

/// Destroy one set without a [`Kernel`] (cleanup after the handle is
/// gone); errors are the caller's to ignore.
pub fn destroy_now(name: &str) -> Result<()> {
    Conn::open()?.destroy(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_known_messages() {
        use KernelErrorKind::*;
        for (msg, kind) in [
            (
                "Kernel error received: Operation not permitted",
                NoPermission,
            ),
            ("The set with the given name does not exist", NoSuchSet),
            ("Hash is full, cannot add more elements", Full),
            (
                "Set cannot be destroyed: it is in use by a kernel component",
                InUse,
            ),
            (
                "Set cannot be created: set with the same name already exists",
                SetExists,
            ),
            (
                "Element cannot be added to the set: it's already added",
                ElementExists,
            ),
            (
                "Element cannot be deleted from the set: it's not added",
                ElementMissing,
            ),
            ("something new", Other),
        ] {
            assert_eq!(classify(msg), kind, "{msg}");
        }
    }

    #[test]
    fn stale_warnings_are_dropped() {
        assert_eq!(
            clean("Warning: 1.2.3.4 is in set n.\nHash is full, cannot add more elements\n"),
            "Hash is full, cannot add more elements"
        );
    }
}
