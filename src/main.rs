//! The `mipset` binary: parse, run, map the outcome to an exit status.
//!
//! `#![no_main]`: the C `main` below skips Rust's runtime set-up, whose
//! main-thread stack-guard probe (glibc's pthread_getattr_np reads and parses
//! /proc/self/maps) was 16% of the instructions of a whole `mipset test`
//! process. Without it a stack overflow is a plain SIGSEGV, and SIGPIPE keeps
//! its default action (like C tools, `mipset list | head` just ends).
#![no_main]

use std::io::{self, Write};

use clap::Parser;
use mipset::cli::Cli;
use mipset::commands::{self, Failure, Out};
use mipset::exit::ExitCode;

#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // std::env::args() works without lang_start on Linux/glibc: std captures
    // argv in an .init_array constructor.
    i32::from(run().code())
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
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
        json: cli.json,
        quiet: cli.quiet,
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    let result = commands::run(cli, &mut stdin, &mut out);
    let flushed = stdout.flush();
    let code = match (result, flushed) {
        (Ok(code), Ok(())) => code,
        (Err(Failure::Io(e)), _) | (Ok(_), Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::Ok
        }
        (Err(Failure::Io(e)), _) | (Ok(_), Err(e)) => {
            let _ = writeln!(io::stderr(), "mipset: error: writing output: {e}");
            ExitCode::Usage
        }
        (Err(Failure::Mipset(e)), _) => {
            let _ = writeln!(io::stderr(), "mipset: error: {e}");
            e.exit_code()
        }
    };
    code
}
