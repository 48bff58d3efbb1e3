//! `mipset completions` and `mipset man`: documents generated from clap.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::output::sink::Out;

pub fn completions(shell: clap_complete::Shell, out: &mut Out) -> Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mipset", &mut script);
    out.write(&script);
    Ok(ExitCode::Ok)
}

pub fn man(out: &mut Out) -> Result<ExitCode> {
    let mut page = Vec::new();
    man_page(&mut page).map_err(|e| Error::Output(format!("rendering the man page: {e}")))?;
    out.write(&page);
    Ok(ExitCode::Ok)
}

/// The man page: clap_mangen's sections plus every subcommand's help.
fn man_page(w: &mut dyn Write) -> io::Result<()> {
    // The plain version only: the committed page must not change with
    // every commit's hash.
    let cmd = Cli::command().long_version(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone());
    man.render(w)?;
    // Every subcommand, and every subcommand of those (`rule add`...).
    let mut subs: Vec<(String, clap::Command)> = Vec::new();
    for sub in cmd.get_subcommands() {
        subs.push((format!("mipset {}", sub.get_name()), sub.clone()));
        for nested in sub.get_subcommands() {
            subs.push((
                format!("mipset {} {}", sub.get_name(), nested.get_name()),
                nested.clone(),
            ));
        }
    }
    for (name, sub) in subs {
        let sub = sub.name(name.clone()).display_name(name.clone());
        writeln!(w, ".SH \"{}\"", name.to_uppercase())?;
        let man = clap_mangen::Man::new(sub);
        man.render_description_section(w)?;
        man.render_options_section(w)?;
        man.render_extra_section(w)?;
    }
    writeln!(w, ".SH \"EXIT STATUS\"")?;
    for line in crate::exit::EXIT_STATUS_HELP.lines().skip(1) {
        let line = line.trim_start();
        let (code, text) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        writeln!(w, ".TP\n{code}\n{}", text.trim())?;
    }
    Ok(())
}
