//! The `mipset` binary: parse, run, map the outcome to an exit status.

use std::io::{self, Write};
use std::process::ExitCode as ProcessExit;

use clap::Parser;
use mipset::cli::Cli;
use mipset::commands::{self, Failure, Out};
use mipset::exit::ExitCode;

fn main() -> ProcessExit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints help/version (exit 0) or the usage error (exit 2).
        Err(e) => e.exit(),
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
    ProcessExit::from(code.code())
}
