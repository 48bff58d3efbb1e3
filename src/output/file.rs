//! Output files that readers poll (the node-exporter textfile collector):
//! written whole or not at all.

use std::path::Path;

/// Write `text` to `path` atomically: a temporary file beside it
/// (`PATH.tmp`), renamed over it, so a reader never sees half a file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path)
}
