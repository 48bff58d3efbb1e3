//! Output files that readers poll (the node-exporter textfile collector):
//! written whole or not at all, and never through a link someone else
//! planted.

use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Write `text` to `path` atomically: a new temporary file beside it,
/// renamed over it, so a reader never sees half a file.
///
/// The temporary has an unpredictable name (`.NAME.XXXXXX.tmp`, which the
/// textfile collector skips) and is created with O_CREAT|O_EXCL|O_NOFOLLOW,
/// so a symlink or file planted in the directory is never followed or
/// overwritten; the rename replaces a link at `path` itself, never its
/// target. It is readable by all (0644), as the collector needs.
///
/// The directory is checked here, at every write, rather than when the
/// configuration is loaded: its mode can change while the reconciler runs
/// (and it may not exist yet at start, for a host path that node-exporter
/// creates), and only a check next to the write covers the write. A
/// directory that group or others may write to without the sticky bit lets
/// them rename or delete our files under us; it is refused.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mode = std::fs::metadata(dir)?.mode();
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(io::Error::other(format!(
            "directory {} is writable by group or others without the sticky bit (mode {:o}); make it 0755 or 1777",
            dir.display(),
            mode & 0o7777
        )));
    }
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .make_in(dir, |name| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(name)
        })?;
    // 0644 whatever the umask: the collector reads it as another user.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    // On failure the temporary is removed when `e` drops.
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
