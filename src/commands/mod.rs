//! The command layer: one file per subcommand (or group of subcommands),
//! and this dispatcher, which takes the node lock for commands that change
//! the kernel and hands each command to its file. Commands turn arguments
//! into calls of the engines below and report on [`Out`].

use std::io;

use crate::bulk::plan::Mode;
use crate::cli::rule::RuleCommand;
use crate::cli::Cli;
use crate::cli::Command;
use crate::error::Result;
use crate::exit::ExitCode;
use crate::lock::{NodeLock, Wait};
use crate::output::sink::Out;

mod bench;
mod bulk;
mod check;
pub mod docs;
mod entries;
mod family;
mod list;
mod resize;
mod restore;
mod rule;

/// Run one parsed command line.
pub fn run(cli: Cli, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    let wait = cli.global.wait.unwrap_or(Wait::No);
    // Commands that change the kernel take the node lock first, so the state
    // they read and plan on cannot change under them.
    let _lock = match cli.command {
        Command::Create(_)
        | Command::Destroy(_)
        | Command::Flush(_)
        | Command::Add(_)
        | Command::Del(_)
        | Command::Load(_)
        | Command::Sync(_)
        | Command::Restore(_)
        | Command::Resize(_)
        | Command::Rule(RuleCommand::Add(_) | RuleCommand::Del(_)) => {
            Some(NodeLock::acquire(wait)?)
        }
        Command::Check(ref args) if args.repair => Some(NodeLock::acquire(wait)?),
        _ => None,
    };
    match cli.command {
        Command::Create(args) => family::create(&args, out),
        Command::Destroy(args) => family::destroy(&args, out),
        Command::Flush(args) => family::flush(&args.family, out),
        Command::List(args) => list::list(&args, out),
        Command::Metrics(args) => list::metrics(&args, out),
        Command::Add(args) => entries::add(&args, stdin, out),
        Command::Del(args) => entries::del(&args, stdin, out),
        Command::Test(args) => entries::test(&args, out),
        Command::Which(args) => entries::which(&args, out),
        Command::Load(args) => bulk::run(&args, Mode::Load, stdin, out),
        Command::Sync(args) => bulk::run(&args, Mode::Sync, stdin, out),
        Command::Save(args) => restore::save(&args.family, out),
        Command::Restore(args) => restore::restore(&args, stdin, out),
        Command::Check(args) => check::run(&args, out),
        Command::Resize(args) => resize::run(&args, out),
        Command::Rule(cmd) => rule::run(&cmd, out),
        Command::Bench(args) => bench::run(&args, out),
        Command::Reconcile(args) => crate::reconcile::run::run(&args.config, args.once, out),
        Command::Completions(args) => docs::completions(args.shell, out),
        Command::Man(args) => docs::man(&args.command, out),
    }
}
