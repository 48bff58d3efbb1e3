//! mipset's error type and its mapping to exit codes.
//!
//! Library code returns [`Error`]; only [`Error::exit_code`] turns one into a
//! number, and the table in [`crate::exit`] documents them.

use crate::exit::ExitCode;

/// Why the kernel refused (from its error code; see `kernel::codes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelErrorKind {
    /// No CAP_NET_ADMIN in this network namespace.
    NoPermission,
    /// The kernel has no ipset support (ip_set module missing).
    NoIpset,
    /// The named set does not exist.
    NoSuchSet,
    /// A set of that name exists already.
    SetExists,
    /// The set reached its maxelem.
    Full,
    /// The set is referenced (iptables rule or list:set) and cannot go.
    InUse,
    /// The set is briefly held by another process's listing (EBUSY on
    /// swap); worth retrying.
    Busy,
    /// The entry is already in the set.
    ElementExists,
    /// The entry is not in the set.
    ElementMissing,
    /// Anything else the kernel reported.
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments or input, found before the kernel was touched.
    #[error("{0}")]
    Usage(String),
    /// A bad line of an input file or stdin.
    #[error("{source_name}:{line}: {message}")]
    Input {
        source_name: String,
        line: u64,
        message: String,
    },
    /// The family does not exist.
    #[error("family '{0}' does not exist (see `mipset list`)")]
    NoSuchFamily(String),
    /// A kernel set of that name exists but is not a valid mipset family;
    /// mipset never touches it.
    #[error("set '{name}' is not a mipset family ({reason}); mipset will not touch it")]
    NotAFamily { name: String, reason: String },
    /// The kernel refused an operation.
    #[error("{message}")]
    Kernel {
        kind: KernelErrorKind,
        message: String,
    },
    /// Some changes were applied and others failed.
    #[error("{0}")]
    Partial(String),
    /// The work was done (changes made, a benchmark run) but writing its
    /// result failed: not a usage error, since something did happen.
    #[error("{0}")]
    Output(String),
    /// Another mipset held the node lock for longer than `--wait` allowed.
    #[error("{0}")]
    LockTimeout(String),
    /// A signal (Ctrl-C) arrived during a change; the text says what was
    /// undone.
    #[error("interrupted{}", if .0.is_empty() { String::new() } else { format!("; {}", .0) })]
    Interrupted(String),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_)
            | Error::Input { .. }
            | Error::NoSuchFamily(_)
            | Error::NotAFamily { .. } => ExitCode::Usage,
            Error::Kernel { .. } => ExitCode::Kernel,
            Error::Partial(_) | Error::Output(_) => ExitCode::Partial,
            Error::Interrupted(_) => ExitCode::Interrupted,
            Error::LockTimeout(_) => ExitCode::LockTimeout,
        }
    }

    pub fn kernel(kind: KernelErrorKind, message: impl Into<String>) -> Error {
        Error::Kernel {
            kind,
            message: message.into(),
        }
    }

    pub fn kernel_kind(&self) -> Option<KernelErrorKind> {
        match self {
            Error::Kernel { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
