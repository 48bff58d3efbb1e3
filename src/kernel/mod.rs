//! The kernel backend: the only module that talks to ipset's kernel API,
//! over mipset's own netlink socket (no libipset): single elements and
//! whole-set commands ([`ops`]), batches ([`batch`]), a whole family in one
//! send ([`create`]), element dumps ([`dump`]), headers, members and `save`
//! text ([`list`]); what a refusal means is in [`codes`].

pub mod batch;
pub mod codes;
pub mod create;
pub mod dump;
pub mod list;
pub(crate) mod netlink;
pub mod ops;
pub(crate) mod protocol;
pub mod requests;

use crate::addr::{Entry, SetType};
use crate::error::{KernelErrorKind, Result};
use crate::kernel::batch::Element;
use crate::kernel::ops::{Conn, Probe};
use crate::kernel::requests::SetKind;
use crate::listing::SetInfo;
use crate::meta::FamilySpec;

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
}

impl Kernel {
    pub fn open() -> Result<Kernel> {
        Ok(Kernel {
            conn: Conn::open()?,
        })
    }

    /// Headers (no members) of every set, or of one.
    pub fn list_headers(&mut self, name: Option<&str>) -> Result<Vec<SetInfo>> {
        list::headers(name)
    }

    /// One set in `ipset save` format.
    pub fn save_text(&mut self, name: &str) -> Result<String> {
        list::save_text(name)
    }

    /// One set with its members.
    pub fn list_set(&mut self, name: &str) -> Result<SetInfo> {
        list::set(name)
    }

    /// A set's type, address family and extensions, asked without walking
    /// its buckets (see [`Conn::probe`]); `None` if this kernel's answers
    /// could not tell.
    pub fn probe(&mut self, name: &str) -> Result<Option<Probe>> {
        self.conn.probe(name)
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

/// Destroy one set without a [`Kernel`] (cleanup after the handle is
/// gone); errors are the caller's to ignore.
pub fn destroy_now(name: &str) -> Result<()> {
    Conn::open()?.destroy(name)
}
