//! Progress bars on stderr (indicatif), shown only on a terminal and
//! never with `-q` or `--json`.

use std::io;
use std::time::Duration;

use super::sink::Out;

/// Progress bars on stderr for long commands: only when stderr is a
/// terminal and neither `-q` nor `--json` is given.
pub struct Progress {
    enabled: bool,
}

impl Progress {
    pub fn new(out: &Out) -> Progress {
        use std::io::IsTerminal;
        Progress {
            enabled: !out.quiet && !out.json && io::stderr().is_terminal(),
        }
    }

    pub fn bar(
        &self,
        bar: indicatif::ProgressBar,
        template: &str,
        phase: &str,
    ) -> indicatif::ProgressBar {
        if !self.enabled {
            return indicatif::ProgressBar::hidden();
        }
        let style = indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.with_style(style).with_prefix(phase.to_string())
    }

    /// Bytes of input read (size unknown for stdin).
    pub fn bytes(&self, phase: &str, size: Option<u64>) -> indicatif::ProgressBar {
        match size {
            Some(size) => self.bar(
                indicatif::ProgressBar::new(size),
                "{prefix:>14} [{bar:30}] {bytes}/{total_bytes} ({eta})",
                phase,
            ),
            None => self.bar(
                indicatif::ProgressBar::new_spinner(),
                "{prefix:>14} {spinner} {bytes}",
                phase,
            ),
        }
    }

    /// Shards done out of `total`.
    pub fn steps(&self, phase: &str, total: u64) -> indicatif::ProgressBar {
        self.bar(
            indicatif::ProgressBar::new(total),
            "{prefix:>14} [{bar:30}] {pos}/{len} shards",
            phase,
        )
    }
}

/// A spinner with a changing message, for a long run of steps (`bench`).
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn new(quiet: bool) -> Spinner {
        use std::io::IsTerminal;
        if quiet || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner(Some(bar))
    }
    pub fn step(&self, text: &str) {
        if let Some(b) = &self.0 {
            b.set_message(text.to_string());
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
