//! One function per subcommand: validate, then act through the family
//! engine, then report on stdout (results) and stderr (warnings).

use std::io::{self, Write};

use clap::CommandFactory;
use serde_json::json;

use crate::addr::parse_entry;
use crate::bulk;
use crate::cli::{
    AddArgs, BulkArgs, CheckArgs, Cli, Command, CreateArgs, DelArgs, DestroyArgs, ListArgs,
    ResizeArgs, RestoreArgs, RuleCommand, TestArgs,
};
use crate::config;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::family::{self, Created};
use crate::input;
use crate::interrupt;
use crate::kernel::{AddOptions, Kernel};
use crate::listfile;
use crate::lock::{NodeLock, Wait};
use crate::meta::FamilySpec;
use crate::naming;
use crate::output;
use crate::route;
use std::time::Duration;

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

/// `--wait[=SECONDS]` as a lock wait.
pub fn parse_wait(wait: Option<&str>) -> Result<Wait> {
    match wait {
        None => Ok(Wait::No),
        Some("forever") => Ok(Wait::Forever),
        Some(text) => match text.parse::<f64>() {
            Ok(secs) if secs.is_finite() && secs >= 0.0 => {
                Ok(Wait::For(Duration::from_secs_f64(secs)))
            }
            _ => Err(Error::Usage(format!(
                "--wait={text}: give a number of seconds, e.g. --wait=5"
            ))),
        },
    }
}

pub fn run(cli: Cli, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    let wait = parse_wait(cli.global.wait.as_deref())?;
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
        Command::Create(args) => create(&args, out),
        Command::Destroy(args) => destroy(&args, out),
        Command::List(args) => list(&args, out),
        Command::Flush(args) => flush(&args.family, out),
        Command::Add(args) => add(&args, stdin, out),
        Command::Del(args) => del(&args, stdin, out),
        Command::Load(args) => bulk(&args, bulk::Mode::Load, stdin, out),
        Command::Sync(args) => bulk(&args, bulk::Mode::Sync, stdin, out),
        Command::Save(args) => save(&args.family, out),
        Command::Check(args) => check(&args, out),
        Command::Restore(args) => restore(&args, stdin, out),
        Command::Resize(args) => resize(&args, out),
        Command::Test(args) => test(&args, out),
        Command::Which(args) => which(&args, out),
        Command::Rule(cmd) => crate::rule_commands::run(&cmd, out),
        Command::Bench(args) => crate::bench_command::run(&args, out),
        Command::Reconcile(args) => crate::reconcile::run(&args.config, args.once, out),
        Command::Metrics(args) => metrics(&args, out),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "mipset", &mut script);
            out.write(&script);
            Ok(ExitCode::Ok)
        }
        Command::Man => {
            let mut page = Vec::new();
            man_page(&mut page)
                .map_err(|e| Error::Usage(format!("rendering the man page: {e}")))?;
            out.write(&page);
            Ok(ExitCode::Ok)
        }
    }
}

/// The man page: clap_mangen's sections plus every subcommand's help.
pub fn man_page(w: &mut dyn Write) -> io::Result<()> {
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

fn check_name(name: &str) -> Result<()> {
    naming::validate_family_name(name).map_err(Error::Usage)
}

fn shard_range(spec: &FamilySpec) -> String {
    if spec.shards == 1 {
        spec.shard_name(0)
    } else {
        format!(
            "{}..{}",
            spec.shard_name(0),
            spec.shard_name(spec.shards - 1)
        )
    }
}

fn create(args: &CreateArgs, out: &mut Out) -> Result<ExitCode> {
    let spec = config::create_spec(args)?;
    if u64::from(spec.maxelem) * u64::from(spec.shards) != u64::from(args.maxelem) {
        out.warn(&format!(
            "--maxelem {} does not divide into {} shards: each shard gets maxelem {} ({} in all)",
            args.maxelem,
            spec.shards,
            spec.maxelem,
            u64::from(spec.maxelem) * u64::from(spec.shards)
        ));
    }
    let mut kernel = Kernel::open()?;
    interrupt::defer();
    let created = family::create(&mut kernel, &spec, args.exist)?;
    let verb = match created {
        Created::New => "created",
        Created::AlreadyThere => "unchanged",
    };
    out.text(&format!(
        "{verb} family {}: {} ({}), {} {}, routing {}, maxelem {} per shard\n",
        spec.name,
        family::plural(u64::from(spec.shards), "shard", "shards"),
        shard_range(&spec),
        spec.set_type,
        spec.family,
        spec.routing,
        spec.maxelem
    ));
    out.value(&json!({ "result": verb, "family": spec.name, "definition": spec }));
    Ok(ExitCode::Ok)
}

fn destroy(args: &DestroyArgs, out: &mut Out) -> Result<ExitCode> {
    check_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let removed = if args.rules {
        crate::rule_commands::remove_family_rules(
            &mut kernel,
            &args.family,
            args.backend.as_deref(),
        )?
    } else {
        0
    };
    if removed > 0 {
        out.warn(&format!(
            "removed {} of family {}",
            family::plural(removed as u64, "mipset rule", "mipset rules"),
            args.family
        ));
    }
    let (spec, left) = match family::destroy(&mut kernel, &args.family, args.force) {
        Err(e) if e.kernel_kind() == Some(crate::error::KernelErrorKind::InUse) && !args.rules => {
            // Say so if some of the users are mipset's own rules.
            let own = crate::rule_commands::backend(args.backend.as_deref())
                .and_then(|b| {
                    let af = family::open(&mut kernel, &args.family)?.family;
                    crate::rules::apply::list(&b, af, Some(&args.family), &[])
                })
                .map_or(0, |r| r.len());
            if own == 0 {
                return Err(e);
            }
            return Err(Error::kernel(
                crate::error::KernelErrorKind::InUse,
                format!(
                    "{e}; {} (`mipset rule list {}`); `mipset destroy --rules {}` removes them first",
                    family::plural(own as u64, "of the users is a mipset rule", "of the users are mipset rules"),
                    args.family,
                    args.family
                ),
            ));
        }
        other => other?,
    };
    if !left.is_empty() {
        out.warn(&format!(
            "left {} alone: named like shards but neither in the umbrella nor {} {} sets",
            left.join(" "),
            spec.set_type,
            spec.family
        ));
    }
    out.text(&format!(
        "destroyed family {} ({} shards)\n",
        spec.name, spec.shards
    ));
    out.value(&json!({ "result": "destroyed", "family": spec.name, "shards": spec.shards }));
    Ok(ExitCode::Ok)
}

fn list(args: &ListArgs, out: &mut Out) -> Result<ExitCode> {
    let mut kernel = Kernel::open()?;
    let specs: Vec<FamilySpec> = match &args.family {
        Some(name) => {
            check_name(name)?;
            vec![family::open(&mut kernel, name)?]
        }
        None => {
            let (families, suspicious) = family::discover_all(&mut kernel)?;
            for (name, problem) in suspicious {
                out.warn(&format!(
                    "set '{name}' carries mipset metadata but is not a usable family ({problem}); not touching it"
                ));
            }
            families
        }
    };
    let headers = kernel.list_headers(None)?;
    let statuses: Vec<_> = specs.iter().map(|s| family::status(s, &headers)).collect();
    if args.terse || statuses.is_empty() {
        if statuses.is_empty() && args.family.is_none() {
            out.text("no mipset families\n");
        } else {
            out.text(&output::families_table(&statuses));
        }
    } else {
        let blocks: Vec<String> = statuses.iter().map(output::family_detail).collect();
        out.text(&blocks.join("\n"));
    }
    if args.terse {
        let terse: Vec<_> = statuses
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.remove("shards_detail");
                }
                v
            })
            .collect();
        out.value(&json!(terse));
    } else {
        out.value(&json!(statuses));
    }
    Ok(ExitCode::Ok)
}

fn flush(name: &str, out: &mut Out) -> Result<ExitCode> {
    check_name(name)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open(&mut kernel, name)?;
    family::flush(&mut kernel, &spec)?;
    out.text(&format!(
        "flushed family {} ({} shards)\n",
        spec.name, spec.shards
    ));
    out.value(&json!({ "result": "flushed", "family": spec.name }));
    Ok(ExitCode::Ok)
}

fn add(args: &AddArgs, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    check_name(&args.family)?;
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| config::parse_timeout("--timeout", t))
        .transpose()?;
    let opts = AddOptions {
        exist: args.exist,
        timeout,
        comment: args.comment.clone(),
    };
    let mut kernel = Kernel::open()?;
    let spec = family::open(&mut kernel, &args.family)?;
    family::validate_add_options(&spec, &opts)?;
    let entries = read_entries(&args.addrs, stdin, &spec, out, "add")?;
    interrupt::defer();
    let change = family::add(&mut kernel, &spec, &entries, &opts)?;
    out.text(&summary(
        "added",
        "to",
        &spec,
        &change,
        "already there (refreshed)",
    ));
    out.value(&json!({ "result": "added", "family": spec.name, "change": change }));
    Ok(ExitCode::Ok)
}

fn del(args: &DelArgs, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    check_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open(&mut kernel, &args.family)?;
    let entries = read_entries(&args.addrs, stdin, &spec, out, "delete")?;
    interrupt::defer();
    let change = family::del(&mut kernel, &spec, &entries, args.exist)?;
    out.text(&summary("deleted", "from", &spec, &change, "not there"));
    out.value(&json!({ "result": "deleted", "family": spec.name, "change": change }));
    Ok(ExitCode::Ok)
}

/// The entries of an add or del, all checked against the family; warns when
/// there are none (an empty list is not an error for scripts).
fn read_entries(
    addrs: &[String],
    mut stdin: &mut dyn io::BufRead,
    spec: &FamilySpec,
    out: &mut Out,
    verb: &str,
) -> Result<Vec<crate::addr::Entry>> {
    let entries = input::read_args(addrs, &mut stdin, spec.set_type, spec.family)?;
    if entries.is_empty() {
        out.warn(&format!("no addresses read; nothing to {verb}"));
    }
    Ok(entries)
}

/// Progress bars on stderr for long commands: only when stderr is a
/// terminal and neither `-q` nor `--json` is given.
struct Progress {
    enabled: bool,
}

impl Progress {
    fn new(out: &Out) -> Progress {
        use std::io::IsTerminal;
        Progress {
            enabled: !out.quiet && !out.json && io::stderr().is_terminal(),
        }
    }

    fn bar(
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
    fn bytes(&self, phase: &str, size: Option<u64>) -> indicatif::ProgressBar {
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
    fn steps(&self, phase: &str, total: u64) -> indicatif::ProgressBar {
        self.bar(
            indicatif::ProgressBar::new(total),
            "{prefix:>14} [{bar:30}] {pos}/{len} shards",
            phase,
        )
    }
}

/// "added 2 of 3 entries to family web (2 shard elements), 1 already there".
fn summary(
    verb: &str,
    preposition: &str,
    spec: &FamilySpec,
    change: &family::Change,
    unchanged: &str,
) -> String {
    let mut text = format!(
        "{verb} {} of {} to family {} ({})",
        change.entries - change.unchanged,
        family::plural(change.entries as u64, "entry", "entries"),
        spec.name,
        family::plural(change.elements as u64, "shard element", "shard elements"),
    )
    .replace(" to family", &format!(" {preposition} family"));
    if change.unchanged > 0 {
        text.push_str(&format!(", {} {unchanged}", change.unchanged));
    }
    if change.duplicates > 0 {
        text.push_str(&format!(
            ", {} ignored",
            family::plural(change.duplicates as u64, "duplicate", "duplicates")
        ));
    }
    text.push('\n');
    text
}

fn bulk(
    args: &BulkArgs,
    mode: bulk::Mode,
    stdin: &mut dyn io::BufRead,
    out: &mut Out,
) -> Result<ExitCode> {
    check_name(&args.family)?;
    let started = std::time::Instant::now();
    let mut kernel = Kernel::open()?;
    let spec = family::open(&mut kernel, &args.family)?;
    let progress = Progress::new(out);
    let (source, list) = if args.file == "-" {
        let bar = progress.bytes("parse", None);
        let mut reader = io::BufReader::new(bar.wrap_read(&mut *stdin));
        let list = listfile::read(&mut reader, "<stdin>", &spec);
        bar.finish_and_clear();
        ("<stdin>".to_string(), list?)
    } else {
        let file = std::fs::File::open(&args.file)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", args.file)))?;
        let size = file.metadata().map(|m| m.len()).ok();
        let bar = progress.bytes("parse", size);
        let mut reader = io::BufReader::with_capacity(1 << 16, bar.wrap_read(file));
        let list = listfile::read(&mut reader, &args.file, &spec);
        bar.finish_and_clear();
        (args.file.clone(), list?)
    };
    if mode == bulk::Mode::Sync && list.is_empty() && !args.allow_empty {
        return Err(Error::Usage(format!(
            "{source} holds no entries: sync would empty family '{}'; add --allow-empty if that is what you want",
            spec.name
        )));
    }
    let mut spec = spec;
    let plan = loop {
        let bar = progress.steps("read and plan", u64::from(spec.shards));
        let planned = bulk::plan_with(&mut kernel, &spec, &list, mode, args.atomic, &mut |_| {
            bar.inc(1)
        });
        bar.finish_and_clear();
        match planned {
            Err(e)
                if args.auto_grow
                    && !args.dry_run
                    && e.kernel_kind() == Some(crate::error::KernelErrorKind::Full)
                    && spec.shards < route::MAX_SHARDS =>
            {
                // Doubling helps only if it spreads the fullest shard's load:
                // a skewed list (all in one /24 with bits:8) would double the
                // family to 1024 shards for nothing.
                if bulk::fullest_shard(&list, spec.shards * 2, spec.routing)
                    >= bulk::fullest_shard(&list, spec.shards, spec.routing)
                {
                    return Err(Error::kernel(
                        crate::error::KernelErrorKind::Full,
                        format!("{e}; --auto-grow cannot help: the list's entries do not spread over more shards (raise the maxelem with `mipset resize {} --maxelem N`)", spec.name),
                    ));
                }
                let grown = FamilySpec {
                    shards: spec.shards * 2,
                    ..spec.clone()
                };
                route::validate(grown.shards, grown.routing, grown.set_type, grown.family)
                    .map_err(|why| {
                        Error::Usage(format!("--auto-grow cannot double the shards: {why}"))
                    })?;
                out.warn(&format!(
                    "{e}; growing family {} to {} shards",
                    spec.name, grown.shards
                ));
                interrupt::defer();
                let rules = crate::rule_commands::RuleSwitch::prepare(&mut kernel, &spec)?;
                crate::resize::resize(&mut kernel, &spec, &grown, &rules)?;
                spec = grown;
            }
            other => break other?,
        }
    };
    let (adds, dels, refreshes, rebuilds) = plan.totals();
    let verb = match mode {
        bulk::Mode::Load => "load",
        bulk::Mode::Sync => "sync",
    };
    if args.dry_run {
        let mut text = format!(
            "plan to {verb} family {} from {source}: {} entries, +{adds} -{dels} elements, {refreshes} refreshed, {rebuilds} shards rebuilt\n",
            spec.name, plan.entries
        );
        for s in plan.shards.iter().filter(|s| s.changes()) {
            text.push_str(&format!(
                "  {}: {} -> {} (+{} -{} ~{}){}\n",
                s.shard,
                s.before,
                s.after,
                s.adds,
                s.dels,
                s.refreshes,
                if s.rebuild {
                    " rebuild and swap"
                } else {
                    " in place"
                }
            ));
        }
        out.text(&text);
        out.value(&json!({ "result": "planned", "family": spec.name, "plan": plan }));
        return Ok(ExitCode::Ok);
    }
    interrupt::defer();
    let bar = progress.steps(
        "apply",
        plan.shards.iter().filter(|s| s.changes()).count() as u64,
    );
    let applied = bulk::apply_with(&mut kernel, &spec, &plan, args.atomic, &mut |_| bar.inc(1));
    bar.finish_and_clear();
    let applied = applied?;
    for temp in &applied.cleaned {
        out.warn(&format!(
            "removed {temp}, a temporary set left by an interrupted load or sync"
        ));
    }
    let elapsed = humantime::format_duration(std::time::Duration::from_millis(
        started.elapsed().as_millis() as u64,
    ));
    out.text(&format!(
        "{verb}: family {} from {source}: {} entries, +{adds} -{dels} elements, {refreshes} refreshed, {} unchanged, {} shards swapped, {} changed in place, {elapsed}\n",
        spec.name, plan.entries, plan.unchanged(), applied.swapped, applied.in_place
    ));
    out.value(&json!({
        "result": verb,
        "family": spec.name,
        "plan": plan,
        "applied": applied,
        "elapsed_seconds": started.elapsed().as_secs_f64(),
    }));
    Ok(ExitCode::Ok)
}

fn restore(args: &RestoreArgs, stdin: &mut dyn io::BufRead, out: &mut Out) -> Result<ExitCode> {
    let (source, text) = if args.file == "-" {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| Error::Usage(format!("reading <stdin>: {e}")))?;
        ("<stdin>".to_string(), text)
    } else {
        let text = std::fs::read_to_string(&args.file)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", args.file)))?;
        (args.file.clone(), text)
    };
    let dump = crate::restore::parse(&text, &source)?;
    drop(text);
    let mut kernel = Kernel::open()?;
    // Everything is parsed and checked before the first family is created.
    let mut lists = Vec::new();
    for (spec, entries) in &dump.families {
        lists.push(listfile::read(&mut entries.as_bytes(), &source, spec)?);
    }
    // Refuse before creating anything if a family exists and may not be merged.
    for (spec, _) in &dump.families {
        match family::open_any(&mut kernel, &spec.name) {
            Err(Error::NoSuchFamily(_)) => {}
            Ok(family::Discovery::Family(have)) if args.exist && have == *spec => {}
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "family '{}' (or a set of that name) already exists; nothing was restored (--exist merges into an identical family)",
                    spec.name
                )))
            }
            Err(e) => return Err(e),
        }
    }
    interrupt::defer();
    let mut restored = Vec::new();
    for ((spec, _), list) in dump.families.iter().zip(&lists) {
        family::create(&mut kernel, spec, args.exist)?;
        let plan = bulk::plan(&mut kernel, spec, list, bulk::Mode::Load, false)?;
        bulk::apply(&mut kernel, spec, &plan, false)?;
        out.text(&format!(
            "restored family {} ({} entries)\n",
            spec.name,
            list.len()
        ));
        restored.push(json!({ "family": spec.name, "entries": list.len() }));
    }
    out.value(&json!({ "result": "restored", "families": restored }));
    Ok(ExitCode::Ok)
}

fn resize(args: &ResizeArgs, out: &mut Out) -> Result<ExitCode> {
    check_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let old = family::open(&mut kernel, &args.family)?;
    let shards = args.shards.unwrap_or(old.shards);
    route::validate(shards, old.routing, old.set_type, old.family).map_err(Error::Usage)?;
    let total = args
        .maxelem
        .map(u64::from)
        .unwrap_or(u64::from(old.maxelem) * u64::from(old.shards));
    let total = u32::try_from(total).unwrap_or(u32::MAX);
    let new = FamilySpec {
        shards,
        maxelem: config::per_shard(total, shards),
        hashsize: config::per_shard_hashsize(old.hashsize.saturating_mul(old.shards), shards),
        ..old.clone()
    };
    let rules = crate::rule_commands::RuleSwitch::prepare(&mut kernel, &old)?;
    if new == old {
        // Finish an interrupted resize: remove leftovers, trim shards, and
        // bring dispatch rules to the family's shard count.
        interrupt::defer();
        rules.switch(&old)?;
        let report = crate::check::check(&mut kernel, &old.name, true)?;
        out.text(&format!(
            "family {} already has {} shards of maxelem {}{}\n",
            old.name,
            old.shards,
            old.maxelem,
            if report.healthy() {
                String::new()
            } else {
                format!(
                    "; repaired {} leftovers of an earlier run",
                    report.findings.len()
                )
            }
        ));
        return Ok(if report.unrepaired() == 0 {
            ExitCode::Ok
        } else {
            ExitCode::Partial
        });
    }
    interrupt::defer();
    let resized = crate::resize::resize(&mut kernel, &old, &new, &rules)?;
    out.text(&format!(
        "resized family {}: {} -> {} shards, maxelem per shard {} -> {}, {} placed\n",
        resized.family,
        resized.shards_before,
        resized.shards_after,
        resized.maxelem_before,
        resized.maxelem_after,
        family::plural(resized.elements as u64, "element", "elements")
    ));
    out.value(&json!({ "result": "resized", "resize": resized }));
    Ok(ExitCode::Ok)
}

fn check(args: &CheckArgs, out: &mut Out) -> Result<ExitCode> {
    check_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    if args.repair {
        interrupt::defer();
    }
    let mut report = crate::check::check(&mut kernel, &args.family, args.repair)?;
    // mipset's rules for the family must match its shards too.
    if let Ok(spec) = family::open(&mut kernel, &args.family) {
        let rules = crate::rule_commands::RuleSwitch::prepare(&mut kernel, &spec)?;
        for (detail, repaired) in rules.check(&spec, args.repair)? {
            report.findings.push(crate::check::Finding {
                kind: "rule",
                detail,
                repaired,
            });
        }
    }
    let mut text = String::new();
    if report.healthy() {
        text.push_str(&format!("family {} is healthy\n", report.family));
    }
    for f in &report.findings {
        text.push_str(&format!(
            "{}: {}{}\n",
            f.kind,
            f.detail,
            if f.repaired { " (repaired)" } else { "" }
        ));
    }
    out.text(&text);
    out.value(&json!(report));
    Ok(
        if report.healthy() || (args.repair && report.unrepaired() == 0) {
            ExitCode::Ok
        } else if args.repair {
            ExitCode::Partial
        } else {
            ExitCode::No
        },
    )
}

fn metrics(args: &ListArgs, out: &mut Out) -> Result<ExitCode> {
    let mut kernel = Kernel::open()?;
    let specs = match &args.family {
        Some(name) => {
            check_name(name)?;
            vec![family::open(&mut kernel, name)?]
        }
        None => family::discover_all(&mut kernel)?.0,
    };
    let headers = kernel.list_headers(None)?;
    let statuses: Vec<_> = specs.iter().map(|s| family::status(s, &headers)).collect();
    out.write(crate::metrics::render(&statuses, &Default::default()).as_bytes());
    Ok(ExitCode::Ok)
}

fn save(name: &str, out: &mut Out) -> Result<ExitCode> {
    check_name(name)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open(&mut kernel, name)?;
    // Shards first: the umbrella's members must exist when it is restored.
    for shard in spec.shard_names() {
        let text = kernel.save_text(&shard)?;
        out.write(text.as_bytes());
    }
    let text = kernel.save_text(&spec.name)?;
    out.write(text.as_bytes());
    Ok(ExitCode::Ok)
}

fn test(args: &TestArgs, out: &mut Out) -> Result<ExitCode> {
    check_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open(&mut kernel, &args.family)?;
    let entry = parse_entry(&args.addr, spec.set_type, spec.family).map_err(Error::Usage)?;
    let member = family::test(&mut kernel, &spec, &entry)?;
    let shard = spec.shard_name(route::lookup_shard(&entry, spec.shards, spec.routing));
    out.text(&format!(
        "{entry} is {}in family {} (shard {shard})\n",
        if member { "" } else { "NOT " },
        spec.name
    ));
    out.value(&json!({ "family": spec.name, "entry": entry.to_string(), "member": member, "shard": shard }));
    Ok(if member { ExitCode::Ok } else { ExitCode::No })
}

fn which(args: &TestArgs, out: &mut Out) -> Result<ExitCode> {
    check_name(&args.family)?;
    let mut kernel = Kernel::open()?;
    let spec = family::open(&mut kernel, &args.family)?;
    let entry = parse_entry(&args.addr, spec.set_type, spec.family).map_err(Error::Usage)?;
    let shards: Vec<String> = route::shards_for(&entry, spec.shards, spec.routing)
        .map(|i| spec.shard_name(i))
        .collect();
    let lookup = spec.shard_name(route::lookup_shard(&entry, spec.shards, spec.routing));
    let mut text = String::new();
    for s in &shards {
        text.push_str(s);
        text.push('\n');
    }
    out.text(&text);
    out.value(&json!({ "family": spec.name, "entry": entry.to_string(), "shards": shards, "lookup": lookup }));
    Ok(ExitCode::Ok)
}
