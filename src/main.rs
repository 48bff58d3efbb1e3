//! The `mipset` binary: parse, run, map the outcome to an exit status.
//!
//! `#![no_main]`: the C `main` below skips Rust's runtime set-up, whose
//! main-thread stack-guard probe (glibc's pthread_getattr_np reads and parses
//! /proc/self/maps) was 16% of the instructions of a whole `mipset test`
//! process. Without it a stack overflow is a plain SIGSEGV, and SIGPIPE keeps
//! its default action (like C tools, `mipset list | head` just ends).
#![no_main]

use std::io::{self, Write};

use clap::{CommandFactory, FromArgMatches};
use mipset::cli::{Cli, FastCli};
use mipset::commands;
use mipset::error::Error;
use mipset::exit::ExitCode;
use mipset::output::sink::Out;

#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // std::env::args() works without lang_start on Linux/glibc: std captures
    // argv in an .init_array constructor.
    i32::from(run().code())
}

/// Open /dev/null on each of stdin, stdout and stderr that is closed, so no
/// file or socket mipset opens later takes their number (output meant for
/// stdout must never reach a netlink socket); whether stdout was closed.
fn guard_standard_descriptors() -> bool {
    let mut stdout_closed = false;
    for fd in 0..3 {
        // SAFETY: fcntl(F_GETFD) only queries the descriptor.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            stdout_closed |= fd == 1;
            // SAFETY: open(2) with a NUL-terminated path; the lowest free
            // number, which is `fd`, is what it takes.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
    stdout_closed
}

fn run() -> ExitCode {
    let stdout_closed = guard_standard_descriptors();
    // Parse with a borrowed Command and never drop it: freeing clap's
    // command tree was ~60k instructions (7%) of a one-shot `mipset test`,
    // and the process ends right after.
    let parsed = fast_parse().map(Ok).unwrap_or_else(|| {
        let mut command = Cli::command();
        let parsed = command
            .try_get_matches_from_mut(std::env::args_os())
            .and_then(|matches| Cli::from_arg_matches(&matches));
        std::mem::forget(command);
        parsed
    });
    let cli = match parsed {
        Ok(cli) => cli,
        // clap prints help/version (exit 0) or the usage error (exit 2).
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            };
        }
    };
    let stdout = io::stdout();
    let mut stdout = io::BufWriter::new(stdout.lock());
    let mut stderr = io::stderr();
    let stdin = io::stdin();
    let mut stdin = stdin.lock();
    let mut out = Out {
        json: cli.global.json,
        quiet: cli.global.quiet,
        stdout: &mut stdout,
        stderr: &mut stderr,
        write_error: None,
    };
    let json = cli.global.json;
    let output_is_the_result = cli.command.output_is_the_result();
    if stdout_closed && output_is_the_result {
        // Nothing done yet, and its only product would be lost.
        let e = Error::Output("writing output: stdout is closed".into());
        let _ = writeln!(io::stderr(), "mipset: error: {e}");
        return e.exit_code();
    }
    let result = commands::run(cli, &mut stdin, &mut out);
    let write_error = out.write_error.take().or_else(|| stdout.flush().err());
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            let code = e.exit_code();
            let _ = writeln!(io::stderr(), "mipset: error: {e}");
            if json {
                let body = serde_json::json!({ "error": e.to_string(), "exit_code": code.code() });
                let _ = writeln!(stdout, "{body}");
                let _ = stdout.flush();
            }
            code
        }
    };
    // The command's work and answer stand; a reader that went away (closed
    // pipe) is not worth a message, other write failures are.
    match write_error {
        Some(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            let e = Error::Output(format!("writing output: {e}"));
            let _ = writeln!(io::stderr(), "mipset: error: {e}");
            if output_is_the_result && code == ExitCode::Ok {
                return e.exit_code();
            }
            code
        }
        _ => code,
    }
}

/// The hot one-shot commands through the small parser ([`FastCli`]), if
/// it accepts the command line; `None` sends everything else (other
/// commands, help, errors) to the full parser, which says the same.
fn fast_parse() -> Option<Cli> {
    let hot = std::env::args_os()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .is_some_and(|a| matches!(a.to_str(), Some("test" | "which" | "add" | "del")));
    if !hot {
        return None;
    }
    let mut command = FastCli::command();
    let parsed = command
        .try_get_matches_from_mut(std::env::args_os())
        .ok()
        .and_then(|m| FastCli::from_arg_matches(&m).ok());
    std::mem::forget(command);
    parsed.map(Cli::from)
}
