//! Exit codes: the contract scripts rely on. Keep this table, README.md,
//! `mipset --help` and the man page in step (a test checks the help text).

/// How a mipset run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success; `test`: the address is a member.
    Ok,
    /// A "no" answer, nothing went wrong: `test` found a non-member,
    /// `rule check` an absent (or stale) rule, `rule del` no rule to remove.
    No,
    /// Usage or input error (bad flag, bad address with file:line, unknown
    /// family, name too long); the kernel was not changed.
    Usage,
    /// The kernel refused: no privileges, no ipset support, a set full or in
    /// use; the kernel state is as before.
    Kernel,
    /// Partial: some changes landed and others failed (the message says
    /// which; re-run to finish), or the work was done but its output (a
    /// listing, a dump, a benchmark's export) could not be written.
    Partial,
    /// Timed out waiting for another mipset's lock (see `--wait`).
    LockTimeout,
    /// Interrupted by SIGINT, SIGTERM or SIGHUP; a change in progress was
    /// undone.
    Interrupted,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::No => 1,
            ExitCode::Usage => 2,
            ExitCode::Kernel => 3,
            ExitCode::Partial => 4,
            ExitCode::LockTimeout => 5,
            ExitCode::Interrupted => 130,
        }
    }
}

/// The exit status table as printed in `--help` and the man page.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0    success; `test`: the address is a member
  1    no: `test` found a non-member, `rule check` an absent or stale rule, `rule del` none
  2    usage or input error (bad flag, address, name; unknown family); nothing changed
  3    kernel refused (no root/ipset, set full/in use, entry there/absent); nothing changed
  4    partial: some changes landed, others failed (re-run), or output could not be written
  5    another mipset holds the node lock (waited as long as --wait allows); nothing changed
  130  interrupted (SIGINT, SIGTERM, SIGHUP); a change in progress was undone";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_documented() {
        let all = [
            ExitCode::Ok,
            ExitCode::No,
            ExitCode::Usage,
            ExitCode::Kernel,
            ExitCode::Partial,
            ExitCode::LockTimeout,
            ExitCode::Interrupted,
        ];
        let mut codes: Vec<u8> = all.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for c in codes {
            assert!(
                EXIT_STATUS_HELP.contains(&format!("\n  {c} ")),
                "{c} undocumented"
            );
        }
    }
}
