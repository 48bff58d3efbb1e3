//! In-process access to libipset's own command parser, for the few operations
//! the `ipset` crate cannot do safely.
//!
//! The `ipset` crate covers per-element add/del/test and create/flush/destroy
//! of hash sets, but its `list` parser panics (`unreachable!`) on header fields
//! it does not know (`timeout`, list:set `size`, comments with spaces), it
//! cannot set a list:set's `size`, and its `restore` keeps libipset's default
//! error handler, which calls `exit()` on the first bad line. This module runs
//! stock ipset command lines (`create u list:set size 64 comment`, `list -t`)
//! through `ipset_parse_line`, with callbacks from `csrc/libipset_shim.c` that
//! collect output and errors into a buffer and never exit.
//!
//! It must not be used from two threads at once: libipset keeps a
//! process-global set-name cache. [`crate::kernel::Kernel`] holds a global lock.

use std::ffi::{c_char, c_int, c_void, CString};

#[repr(C)]
struct RawIpset {
    _private: [u8; 0],
}

extern "C" {
    fn mipset_shim_init(ctx: *mut c_void) -> *mut RawIpset;
    fn ipset_parse_line(ipset: *mut RawIpset, line: *mut c_char) -> c_int;
    fn ipset_fini(ipset: *mut RawIpset) -> c_int;
    fn ipset_cache_init() -> c_int;
    fn ipset_cache_fini();
}

/// What the callbacks collected while one command ran.
#[derive(Default)]
struct Collected {
    output: Vec<u8>,
    errors: Vec<String>,
}

#[no_mangle]
extern "C" fn mipset_shim_output(ctx: *mut c_void, data: *const c_char, len: usize) {
    // SAFETY: ctx is the Box<Collected> owned by the Libipset that registered
    // it; data points at len initialised bytes for the duration of the call.
    unsafe {
        let collected = &mut *(ctx as *mut Collected);
        collected
            .output
            .extend_from_slice(std::slice::from_raw_parts(data as *const u8, len));
    }
}

/// A message from C as trimmed text.
///
/// # Safety
/// `msg` points at `len` initialised bytes.
unsafe fn message(msg: *const c_char, len: usize) -> String {
    let bytes = std::slice::from_raw_parts(msg as *const u8, len);
    String::from_utf8_lossy(bytes).trim().to_string()
}

#[no_mangle]
extern "C" fn mipset_shim_error(ctx: *mut c_void, _status: c_int, msg: *const c_char, len: usize) {
    // SAFETY: as in mipset_shim_output.
    unsafe { (*(ctx as *mut Collected)).errors.push(message(msg, len)) }
}

#[no_mangle]
extern "C" fn mipset_shim_warning(_ctx: *mut c_void, _msg: *const c_char, _len: usize) {
    // Warnings ("x is in set y") carry no information mipset uses; the shim
    // still reports them so it never prints.
}

/// libipset's own message for a failed command (no errno; the crate and the
/// library only report text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LibipsetError(pub String);

/// One libipset handle with non-exiting callbacks.
///
/// `collected` is owned through a raw pointer (Box::into_raw) because the C
/// callbacks write through it; all access goes through that one pointer.
pub(crate) struct Libipset {
    raw: *mut RawIpset,
    collected: *mut Collected,
}

impl Libipset {
    fn new() -> Result<Self, LibipsetError> {
        let collected = Box::into_raw(Box::<Collected>::default());
        // SAFETY: `collected` stays valid until Drop, which runs ipset_fini
        // (the last user of the pointer) before freeing it.
        let raw = unsafe { mipset_shim_init(collected as *mut c_void) };
        if raw.is_null() {
            // SAFETY: from Box::into_raw above, not shared with C.
            drop(unsafe { Box::from_raw(collected) });
            return Err(LibipsetError("cannot initialise libipset".into()));
        }
        Ok(Libipset { raw, collected })
    }

    /// Forget libipset's process-wide cache of set names and types, so that
    /// sets changed by other processes are looked up afresh.
    pub(crate) fn reset_cache() {
        // SAFETY: plain library calls; callers hold the global kernel lock.
        unsafe {
            ipset_cache_fini();
            ipset_cache_init();
        }
    }

    /// Run one ipset command line (without the leading `ipset`) on a fresh
    /// handle, returning what it printed. Arguments are separated by spaces; a
    /// double-quoted argument may contain spaces (the `ipset restore` syntax).
    /// A fresh handle per command matters: libipset keeps options such as
    /// `-t` and the output mode in the session, and a failed command can leave
    /// a session unusable ("Internal protocol error").
    pub(crate) fn run(line: &str) -> Result<String, LibipsetError> {
        Libipset::new()?.run_once(line)
    }

    fn run_once(&mut self, line: &str) -> Result<String, LibipsetError> {
        let c_line =
            CString::new(line).map_err(|_| LibipsetError("command contains a NUL byte".into()))?;
        let mut bytes = c_line.into_bytes_with_nul();
        // SAFETY: raw is a live handle; the buffer is NUL-terminated and
        // libipset copies what it keeps.
        let rc = unsafe { ipset_parse_line(self.raw, bytes.as_mut_ptr() as *mut c_char) };
        // SAFETY: the callbacks have returned; nothing else holds the pointer.
        let collected = std::mem::take(unsafe { &mut *self.collected });
        if rc < 0 || !collected.errors.is_empty() {
            let msg = if collected.errors.is_empty() {
                format!("libipset failed on `{line}`")
            } else {
                collected.errors.join("; ")
            };
            return Err(LibipsetError(msg));
        }
        Ok(String::from_utf8_lossy(&collected.output).into_owned())
    }
}

impl Drop for Libipset {
    fn drop(&mut self) {
        // SAFETY: raw came from mipset_shim_init and is released once; after
        // ipset_fini no callback can run, so the context can be freed.
        unsafe {
            ipset_fini(self.raw);
            drop(Box::from_raw(self.collected));
        }
    }
}
