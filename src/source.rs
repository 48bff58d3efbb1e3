//! Where input comes from: a file named on the command line or in a
//! configuration, or `-` for stdin. The one place that opens input files,
//! so every command names its source alike in errors (`FILE:LINE`, or
//! `<stdin>:LINE`) and refuses an unreadable file the same way (exit 2,
//! before anything is changed). The reconciler, which runs as root and
//! must always hear SIGTERM, reads through [`open_regular`]: regular files
//! only, of bounded size, optionally confined to a directory.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};
use crate::interrupt;

/// An opened input: its name for messages, the bytes, and their size when
/// known (a file; not stdin), for progress bars.
pub struct Source<'a> {
    pub name: String,
    pub reader: Box<dyn Read + 'a>,
    pub size: Option<u64>,
}

impl Source<'_> {
    /// The whole input as text.
    pub fn read_to_string(mut self) -> Result<String> {
        let mut text = String::new();
        self.reader
            .read_to_string(&mut text)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", self.name)))?;
        Ok(text)
    }
}

/// `FILE`, or stdin for `-`.
pub fn open<'a>(arg: &str, stdin: &'a mut dyn io::BufRead) -> Result<Source<'a>> {
    if arg == "-" {
        return Ok(Source {
            name: "<stdin>".into(),
            reader: Box::new(stdin),
            size: None,
        });
    }
    open_file(Path::new(arg))
}

/// A file (never stdin).
pub fn open_file(path: &Path) -> Result<Source<'static>> {
    let name = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| Error::Usage(format!("cannot read {name}: {e}")))?;
    Ok(Source {
        size: file.metadata().map(|m| m.len()).ok(),
        reader: Box::new(file),
        name,
    })
}

/// Largest list file `mipset reconcile` reads (256 MiB: 1M IPv6 networks
/// with comments fit several times over). A bigger file is refused before
/// it is read, so a wrong `source` cannot fill the node's memory.
pub const MAX_LIST_BYTES: u64 = 256 << 20;

/// Largest configuration file `mipset reconcile` reads.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A regular file for a long-running process (the reconciler), read
/// without ever blocking on what it is and without outliving a signal:
///
/// * opened with O_NONBLOCK, so a FIFO opens at once instead of waiting
///   for a writer (holding up the reconciler and, later, the node lock);
///   not O_NOFOLLOW: a ConfigMap's files are symlinks into `..data`, and
///   where a link may lead is what `within` decides;
/// * refused unless fstat of what was opened says regular file (a FIFO,
///   a device such as /dev/zero, a socket or a directory never is);
/// * refused when larger than `max_bytes`, and cut at `max_bytes + 1`
///   while reading in case it grows;
/// * with `within`, refused unless the file actually opened (its path in
///   /proc/self/fd, every symlink resolved) lies under that directory, so
///   a symlink cannot point the reconciler at a file it should not read;
/// * read in pieces that stop once SIGTERM, SIGINT or SIGHUP is pending
///   ([`interrupt::pending`]), so a big file cannot delay a stop.
///
/// Errors name the path and never quote its contents.
pub fn open_regular(path: &Path, max_bytes: u64, within: Option<&Path>) -> Result<Source<'static>> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let name = path.display().to_string();
    let refuse = |why: String| Error::Usage(format!("cannot read {name}: {why}"));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| refuse(e.to_string()))?;
    let meta = file.metadata().map_err(|e| refuse(e.to_string()))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        return Err(refuse(format!("it is {what}; only regular files are read")));
    }
    if meta.len() > max_bytes {
        return Err(refuse(format!(
            "it is {} bytes; the limit is {max_bytes}",
            meta.len()
        )));
    }
    if let Some(dir) = within {
        let dir = std::fs::canonicalize(dir)
            .map_err(|e| refuse(format!("cannot resolve {}: {e}", dir.display())))?;
        let opened = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .map_err(|e| refuse(format!("cannot tell where it leads: {e}")))?;
        if !opened.starts_with(&dir) {
            return Err(refuse(format!(
                "it resolves to {}, outside {}; set allow_outside = true for this family to allow that",
                opened.display(),
                dir.display()
            )));
        }
    }
    Ok(Source {
        size: Some(meta.len()),
        reader: Box::new(Bounded {
            file: file.take(max_bytes + 1),
            max_bytes,
        }),
        name,
    })
}

/// A regular file's bytes up to a limit, in reads that stop at a pending
/// signal.
struct Bounded {
    file: io::Take<std::fs::File>,
    max_bytes: u64,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if interrupt::pending() {
            // Not ErrorKind::Interrupted: read_to_end retries on that.
            return Err(io::Error::other("interrupted by a signal"));
        }
        let n = self.file.read(buf)?;
        if self.file.limit() == 0 {
            return Err(io::Error::other(format!(
                "it grew past the limit of {} bytes",
                self.max_bytes
            )));
        }
        Ok(n)
    }
}
