//! Ctrl-C and friends during a change: finish or undo, never stop half-way.
//!
//! Commands call [`defer`] once their input is parsed and checked, right
//! before the first kernel change; until then a signal ends the process at
//! once (nothing has changed). After it, SIGINT, SIGTERM and SIGHUP only set
//! a flag that the engine checks between entries ([`check`]); it then undoes
//! what the command did and exits 130.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

static PENDING: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    PENDING.store(true, Ordering::SeqCst);
}

/// From now on, catch SIGINT, SIGTERM and SIGHUP instead of dying.
pub fn defer() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe.
        unsafe {
            libc::signal(signal, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Has a deferred signal arrived?
pub fn pending() -> bool {
    PENDING.load(Ordering::SeqCst)
}

/// Err(Interrupted) if a deferred signal arrived.
pub fn check() -> Result<()> {
    if pending() {
        Err(Error::Interrupted(String::new()))
    } else {
        Ok(())
    }
}
