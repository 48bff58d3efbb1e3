//! The kernel backend: the only module that talks to libipset.
//!
//! * Per-element add/del/test, the hot path, go through the `ipset` crate's
//!   typed `Session`s (one cached per set).
//! * Creating the umbrella list:set (the crate cannot set its `size`),
//!   listing (the crate's list parser panics on fields it does not know) and
//!   other whole-set commands go through [`libipset`], which runs stock ipset
//!   command lines in-process with callbacks that never exit.
//!
//! libipset reports errors as text only; [`classify`] is the one place that
//! reads that text, and the kernel tests pin each message it relies on.
//!
//! libipset keeps a process-global cache of set names, so a [`Kernel`] holds
//! a process-wide lock: one per process at a time.
//!
//! Every cached crate `Session` owns a netlink socket, so the cache is
//! bounded ([`MAX_SESSIONS`]): a 1024-shard family must not use 1024 file
//! descriptors.

pub mod batch;
pub mod create;
pub mod dump;
pub(crate) mod libipset;
pub mod list;
pub(crate) mod netlink;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use ipset::types::{AddOption, EnvOption, HashIp, HashNet, IpDataType, ListSet, NetDataType};
use ipset::Session;

use crate::addr::{AddrFamily, Entry, SetType};
use crate::error::{Error, KernelErrorKind, Result};
use crate::listing::{self, SetInfo};
use crate::meta::FamilySpec;

static KERNEL_LOCK: Mutex<()> = Mutex::new(());

/// Most crate sessions (netlink sockets) kept open at once.
pub const MAX_SESSIONS: usize = 64;

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

/// Run one ipset command line through libipset without a [`Kernel`]
/// (for cleanup that runs after the handle is gone).
pub fn run_line(line: &str) -> std::result::Result<String, String> {
    libipset::Libipset::run(line).map_err(|e| e.0)
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

enum SetSession {
    Ip(Session<HashIp>),
    Net(Session<HashNet>),
}

/// The kernel, as seen from this network namespace.
pub struct Kernel {
    sessions: HashMap<String, SetSession>,
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
        let lock = KERNEL_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        HELD.with(|h| h.set(true));
        libipset::Libipset::reset_cache();
        Ok(Kernel {
            sessions: HashMap::new(),
            _lock: lock,
        })
    }

    /// Run one stock ipset command line (e.g. `create x list:set size 16`).
    /// Callers pass only names and values they validated.
    pub fn exec(&mut self, what: &str, set: &str, line: &str) -> Result<String> {
        libipset::Libipset::run(line).map_err(|e| kernel_error(what, set, &e.0))
    }

    /// Apply an `ipset restore` script in one libipset session (batched
    /// netlink messages). Callers build scripts only from validated names
    /// and entries. Not atomic; see [`libipset::Libipset::restore`].
    pub fn restore(&mut self, what: &str, script: &str) -> Result<()> {
        libipset::Libipset::restore(script).map_err(|errors| {
            let first = errors.first().cloned().unwrap_or_default();
            let more = if errors.len() > 1 {
                format!(" (and {} more errors)", errors.len() - 1)
            } else {
                String::new()
            };
            let e = kernel_error(what, "-", &first);
            Error::kernel(
                e.kernel_kind().unwrap_or(KernelErrorKind::Other),
                format!("{e}{more}"),
            )
        })
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

    fn session(&mut self, set: &str, set_type: SetType) -> &mut SetSession {
        if self.sessions.len() >= MAX_SESSIONS && !self.sessions.contains_key(set) {
            self.sessions.clear();
        }
        // Names reach here validated ([A-Za-z0-9_.-]), so no NUL for the
        // crate's CString::new(..).unwrap().
        self.sessions
            .entry(set.to_string())
            .or_insert_with(|| match set_type {
                SetType::HashIp => SetSession::Ip(Session::new(set.to_string())),
                SetType::HashNet => SetSession::Net(Session::new(set.to_string())),
            })
    }

    /// Add one entry; Ok(false) if it was already there (without `exist`).
    pub fn add(
        &mut self,
        set: &str,
        set_type: SetType,
        entry: &Entry,
        opts: &AddOptions,
    ) -> Result<bool> {
        let mut options = Vec::new();
        if let Some(t) = opts.timeout {
            options.push(AddOption::Timeout(t));
        }
        if let Some(c) = &opts.comment {
            options.push(AddOption::Comment(c.clone()));
        }
        let result = match self.session(set, set_type) {
            SetSession::Ip(s) => with_exist(s, opts.exist, |s| s.add(ip(entry), &options)),
            SetSession::Net(s) => with_exist(s, opts.exist, |s| s.add(net(entry), &options)),
        };
        result.map_err(|e| kernel_error(&format!("add {entry}"), set, &crate_message(&e)))
    }

    /// Delete one entry; Ok(false) if it was not there.
    pub fn del(&mut self, set: &str, set_type: SetType, entry: &Entry) -> Result<bool> {
        let result = match self.session(set, set_type) {
            SetSession::Ip(s) => s.del(ip(entry)),
            SetSession::Net(s) => s.del(net(entry)),
        };
        result.map_err(|e| kernel_error(&format!("del {entry}"), set, &crate_message(&e)))
    }

    /// Is the entry a member? For hash:net a host address matches any
    /// network holding it; a network must be present exactly (as `ipset test`).
    pub fn test(&mut self, set: &str, set_type: SetType, entry: &Entry) -> Result<bool> {
        let result = match self.session(set, set_type) {
            SetSession::Ip(s) => s.test(ip(entry)),
            SetSession::Net(s) => s.test(net(entry)),
        };
        result.map_err(|e| kernel_error(&format!("test {entry}"), set, &crate_message(&e)))
    }

    /// Create one hash shard through the crate.
    /// Create the whole family `spec` in one netlink send (see
    /// [`create::create_family`]): SIGKILL leaves all of it or none.
    pub fn create_family(&mut self, spec: &FamilySpec) -> Result<()> {
        for name in spec.shard_names() {
            self.sessions.remove(&name);
        }
        self.sessions.remove(&spec.name);
        create::create_family(spec)
    }

    pub fn create_shard(&mut self, spec: &FamilySpec, name: &str) -> Result<()> {
        let what = format!("create {name}");
        let map = |e: ipset::types::Error| kernel_error(&what, name, &crate_message(&e));
        fn build<T>(
            b: ipset::CreateBuilder<'_, T>,
            spec: &FamilySpec,
        ) -> std::result::Result<(), ipset::types::Error>
        where
            T: ipset::types::SetType<Method = ipset::types::HashMethod>,
            T::DataType: ipset::types::TypeName,
        {
            let mut b = b
                .with_ipv6(spec.family == AddrFamily::Inet6)?
                .with_hash_size(spec.hashsize)?
                .with_max_elem(spec.maxelem)?;
            if let Some(t) = spec.timeout {
                b = b.with_timeout(t)?;
            }
            if spec.counters {
                b = b.with_counters()?;
            }
            if spec.comment {
                b = b.with_comment()?;
            }
            b.build()
        }
        self.sessions.remove(name);
        match spec.set_type {
            SetType::HashIp => Session::<HashIp>::new(name.to_string())
                .create(|b| build(b, spec))
                .map_err(map)?,
            SetType::HashNet => Session::<HashNet>::new(name.to_string())
                .create(|b| build(b, spec))
                .map_err(map)?,
        };
        Ok(())
    }

    /// Remove every entry of a hash shard.
    pub fn flush_set(&mut self, name: &str, set_type: SetType) -> Result<()> {
        let result = match self.session(name, set_type) {
            SetSession::Ip(s) => s.flush(),
            SetSession::Net(s) => s.flush(),
        };
        result
            .map(|_| ())
            .map_err(|e| kernel_error(&format!("flush {name}"), name, &crate_message(&e)))
    }

    /// Exchange two sets' names atomically (`ipset swap`). The kernel
    /// refuses a swap while another process lists either set; that is
    /// retried for a bounded time.
    pub fn swap_sets(&mut self, a: &str, b: &str) -> Result<()> {
        let line = format!("swap {a} {b}");
        retry_while_busy(|| self.exec(&line, a, &line).map(|_| ()))
    }

    /// Destroy one set of any type. A set another process is listing, or
    /// one an iptables rule released a moment ago, is reported in use for
    /// a short while: that is retried for a bounded time.
    pub fn destroy_set(&mut self, name: &str) -> Result<()> {
        retry_while_busy(|| self.destroy_set_once(name))
    }

    fn destroy_set_once(&mut self, name: &str) -> Result<()> {
        self.sessions.remove(name);
        let result = Session::<ListSet>::new(name.to_string()).destroy();
        libipset::Libipset::reset_cache();
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(kernel_error(
                &format!("destroy {name}"),
                name,
                &crate_message(&e),
            )),
        }
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        // Close the sessions before the lock is released.
        self.sessions.clear();
        HELD.with(|h| h.set(false));
    }
}

fn with_exist<T: ipset::types::SetType, R>(
    session: &mut Session<T>,
    exist: bool,
    f: impl FnOnce(&mut Session<T>) -> R,
) -> R {
    if exist {
        session.set_option(EnvOption::Exist);
    }
    let r = f(session);
    if exist {
        session.unset_option(EnvOption::Exist);
    }
    r
}

fn ip(entry: &Entry) -> IpDataType {
    IpDataType::from(entry.addr)
}

fn net(entry: &Entry) -> NetDataType {
    NetDataType::new(entry.addr, entry.prefix)
}

fn crate_message(e: &ipset::types::Error) -> String {
    use ipset::types::Error as E;
    match e {
        E::DataSet(m, _) | E::Cmd(m, _) | E::TypeGet(m, _) => m.clone(),
        other => other.to_string(),
    }
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
