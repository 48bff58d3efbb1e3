//! Where a command's results go: stdout (text, or JSON with `--json`),
//! silenced by `-q`, and warnings on stderr. Writes to what it is given;
//! opens nothing itself.

use std::io::{self, Write};

/// Where results go: stdout, silenced by `-q`, JSON with `--json`.
///
/// A failed write to stdout (a closed pipe, a full disk) does not stop the
/// command: its work and its exit status stand, and `write_error` keeps the
/// first error for `main` to report.
pub struct Out<'a> {
    pub json: bool,
    pub quiet: bool,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub write_error: Option<io::Error>,
}

impl Out<'_> {
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        if self.write_error.is_none() {
            if let Err(e) = self.stdout.write_all(bytes) {
                self.write_error = Some(e);
            }
        }
    }

    /// Push what was written out now (stdout is block-buffered when it is
    /// not a terminal): a line the reconciler printed survives a SIGKILL.
    pub(crate) fn flush(&mut self) {
        if self.write_error.is_none() {
            if let Err(e) = self.stdout.flush() {
                self.write_error = Some(e);
            }
        }
    }

    pub(crate) fn text(&mut self, text: &str) {
        if !self.quiet && !self.json {
            self.write(text.as_bytes());
        }
    }

    pub(crate) fn value(&mut self, value: &serde_json::Value) {
        if self.json && !self.quiet {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            self.write(text.as_bytes());
        }
    }

    pub(crate) fn warn(&mut self, text: &str) {
        // Diagnostics: a failed write to stderr has nowhere to be reported.
        let _ = writeln!(self.stderr, "mipset: warning: {text}");
    }
}
