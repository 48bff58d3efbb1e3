//! Where input comes from: a file named on the command line or in a
//! configuration, or `-` for stdin. The one place that opens input files,
//! so every command names its source alike in errors (`FILE:LINE`, or
//! `<stdin>:LINE`) and refuses an unreadable file the same way (exit 2,
//! before anything is changed).

use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, Result};

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
