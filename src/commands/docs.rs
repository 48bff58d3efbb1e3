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

/// `mipset man [COMMAND...]`: mipset(1), or the page of one subcommand.
pub fn man(path: &[String], out: &mut Out) -> Result<ExitCode> {
    let mut page = Vec::new();
    let rendered = if path.is_empty() {
        man_page(&mut page)
    } else {
        let words: Vec<&str> = path.iter().map(String::as_str).collect();
        let Some(cmd) = man_command(&words) else {
            return Err(Error::Usage(format!(
                "no man page for `mipset {}`; pages: {}",
                words.join(" "),
                man_pages()
                    .iter()
                    .map(|p| p.join(" "))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        clap_mangen::Man::new(cmd)
            .source(format!("mipset {}", env!("CARGO_PKG_VERSION")))
            .render(&mut page)
            .and_then(|()| see_also(&words, &mut page))
    };
    rendered.map_err(|e| Error::Output(format!("rendering the man page: {e}")))?;
    out.write(&page);
    Ok(ExitCode::Ok)
}

/// The command tree the man pages describe: the plain version only (a
/// committed page must not change with every commit's hash), without
/// clap's `help` subcommand (`--help` is on every page), built so every
/// subcommand knows its page name (`mipset-rule-add`) and synopsis
/// (`mipset rule add`).
fn man_tree() -> clap::Command {
    let mut cmd = Cli::command()
        .long_version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Every subcommand that has its own page, as its words (`["rule", "add"]`),
/// in the order of the tree. Page `mipset-rule-add.1` prints with
/// `mipset man rule add`.
pub fn man_pages() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], pages: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut words = prefix.to_vec();
            words.push(sub.get_name().to_string());
            pages.push(words.clone());
            walk(sub, &words, pages);
        }
    }
    let mut pages = Vec::new();
    walk(&man_tree(), &[], &mut pages);
    pages
}

/// The subcommand at `words`, ready for its own page.
fn man_command(words: &[&str]) -> Option<clap::Command> {
    let mut cmd = man_tree();
    for word in words {
        let mut sub = cmd
            .get_subcommands()
            .find(|s| s.get_name() == *word && !s.is_hide_set())?
            .clone();
        // Built so its own subcommands get the global options too.
        sub.build();
        cmd = sub;
    }
    Some(cmd)
}

/// A subcommand's page points back to mipset(1) and to the page of the
/// command it belongs to (`mipset-rule-add(1)` to `mipset-rule(1)`).
fn see_also(words: &[&str], w: &mut dyn Write) -> io::Result<()> {
    let mut pages = vec!["mipset".to_string()];
    for end in 1..words.len() {
        pages.push(format!("mipset\\-{}", words[..end].join("\\-")));
    }
    let pages: Vec<String> = pages.iter().map(|p| format!("{p}(1)")).collect();
    writeln!(w, ".SH \"SEE ALSO\"\n{}", pages.join(", "))
}

/// mipset(1): clap_mangen's sections plus every subcommand's help.
fn man_page(w: &mut dyn Write) -> io::Result<()> {
    clap_mangen::Man::new(man_tree()).render(w)?;
    // Every subcommand, and every subcommand of those (`rule add`...),
    // from the tree before it is built: their sections list their own
    // options, the global ones are above.
    let cmd = Cli::command();
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
