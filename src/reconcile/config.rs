//! The reconciler's configuration file (TOML): parsed, checked and resolved
//! into a [`Plan`] before anything is applied (pure; errors name the file,
//! and the line for TOML syntax). See `mipset reconcile --help`.
//!
//! Errors quote at most a short, escaped excerpt of any value
//! ([`quoted`]): the file may turn out to be something else (a symlink to a
//! secret), and the reconciler's errors go to logs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::addr::{bare_or_quoted, quoted, MAX_TOKEN_IN_MESSAGE};
use crate::error::{Error, Result};
use crate::meta::FamilySpec;
use crate::options::{family_spec, parse_timeout, FamilyOptions};
use crate::rules::installed::BackendKind;
use crate::rules::spec::{LayoutChoice, RuleSpec};

/// The configuration file (TOML). See `mipset reconcile --help`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How often every family is re-applied (humantime or seconds).
    #[serde(default = "default_resync")]
    pub resync: String,
    /// Write Prometheus metrics here after each apply (node-exporter
    /// textfile collector).
    pub metrics_file: Option<PathBuf>,
    /// iptables backend for rules (default: detected).
    pub backend: Option<String>,
    #[serde(default, rename = "family")]
    pub families: Vec<FamilyConfig>,
}

fn default_resync() -> String {
    "90s".into()
}
fn default_type() -> String {
    "hash:ip".into()
}
fn default_family() -> String {
    "inet".into()
}
fn default_shards() -> u32 {
    16
}
fn default_hashsize() -> u32 {
    1024
}
fn default_maxelem() -> u32 {
    65536
}
fn default_table() -> String {
    "filter".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyConfig {
    pub name: String,
    #[serde(rename = "type", default = "default_type")]
    pub set_type: String,
    #[serde(default = "default_family")]
    pub family: String,
    #[serde(default = "default_shards")]
    pub shards: u32,
    pub route: Option<String>,
    #[serde(default = "default_hashsize")]
    pub hashsize: u32,
    #[serde(default = "default_maxelem")]
    pub maxelem: u32,
    pub timeout: Option<String>,
    #[serde(default)]
    pub counters: bool,
    #[serde(default)]
    pub comment: bool,
    /// hash:net: `off` (default), `auto` or a percentage, as `create --reduce`.
    pub reduce: Option<String>,
    /// The list the family must hold (`mipset sync` format), relative to
    /// the configuration file's directory. It must resolve (symlinks
    /// followed) to a regular file under that directory unless
    /// `allow_outside` is set; checked each time it is read.
    pub source: PathBuf,
    /// Allow `source` to resolve outside the configuration's directory.
    #[serde(default)]
    pub allow_outside: bool,
    /// Allow an empty list to empty the family.
    #[serde(default)]
    pub allow_empty: bool,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub chain: String,
    #[serde(rename = "match")]
    pub direction: String,
    pub jump: String,
    #[serde(default = "default_table")]
    pub table: String,
    pub layout: Option<String>,
    pub position: Option<u32>,
    pub comment: Option<String>,
}

/// One family, checked and ready to apply.
#[derive(Debug, Clone)]
pub struct Desired {
    pub spec: FamilySpec,
    pub source: PathBuf,
    /// The configuration file's directory, where `source` must lead
    /// unless `allow_outside`.
    pub base: PathBuf,
    pub allow_outside: bool,
    pub allow_empty: bool,
    pub rules: Vec<(RuleSpec, Option<u32>)>,
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Plan {
    pub resync: Duration,
    pub metrics_file: Option<PathBuf>,
    pub backend: Option<BackendKind>,
    pub families: Vec<Desired>,
}

/// Check a configuration's text: every name, option and rule. `path`
/// names it in errors and anchors relative source paths.
pub fn parse(text: &str, path: &Path) -> Result<Plan> {
    let where_ = path.display();
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = excerpt_quoted(e.message());
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                Error::Usage(format!("{where_}:{line}: {message}"))
            }
            None => Error::Usage(format!("{where_}: {message}")),
        }
    })?;
    let resync = parse_timeout("resync", &config.resync)
        .map_err(|e| Error::Usage(format!("{where_}: {e}")))?;
    if resync == 0 {
        return Err(Error::Usage(format!(
            "{where_}: resync must be at least 1s"
        )));
    }
    let backend = config
        .backend
        .as_deref()
        .map(|b| b.parse::<BackendKind>())
        .transpose()
        .map_err(|e| Error::Usage(format!("{where_}: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut families = Vec::new();
    for f in config.families {
        let at =
            |e: String| Error::Usage(format!("{where_}: family {}: {e}", bare_or_quoted(&f.name)));
        if families.iter().any(|d: &Desired| d.spec.name == f.name) {
            return Err(at("defined twice".into()));
        }
        let spec = family_spec(&FamilyOptions {
            name: f.name.clone(),
            set_type: f.set_type.parse().map_err(at)?,
            family: f.family.parse().map_err(at)?,
            shards: f.shards,
            route: f.route.clone(),
            hashsize: f.hashsize,
            maxelem: f.maxelem,
            timeout: f.timeout.clone(),
            counters: f.counters,
            comment: f.comment,
            reduce: f.reduce.clone(),
        })
        .map_err(|e| at(e.to_string()))?;
        let mut rules = Vec::new();
        for (n, r) in f.rules.iter().enumerate() {
            let at = |e: String| {
                at(format!(
                    "rule {} ({} {} -j {}): {e}",
                    n + 1,
                    bare_or_quoted(&r.chain),
                    bare_or_quoted(&r.direction),
                    bare_or_quoted(&r.jump)
                ))
            };
            let choice = r
                .layout
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(at)?;
            let layout = LayoutChoice::resolve(choice, spec.routing)
                .map_err(|e| at(format!("{e}: set layout = \"umbrella\"")))?;
            let rule = RuleSpec {
                family: spec.name.clone(),
                table: r.table.clone(),
                chain: r.chain.clone(),
                direction: r.direction.parse().map_err(at)?,
                jump: r.jump.clone(),
                layout,
                note: r.comment.clone(),
            };
            rule.validate(&spec).map_err(at)?;
            if r.position == Some(0) {
                return Err(at("rule position counts from 1".into()));
            }
            rules.push((rule, r.position));
        }
        families.push(Desired {
            spec,
            source: base.join(&f.source),
            // `reconcile.toml` alone has the parent "", which is ".".
            base: if base.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                base.to_path_buf()
            },
            allow_outside: f.allow_outside,
            allow_empty: f.allow_empty,
            rules,
        });
    }
    Ok(Plan {
        resync: Duration::from_secs(u64::from(resync)),
        metrics_file: config.metrics_file,
        backend,
        families,
    })
}

/// toml's (and serde's) message with every piece of input it quotes
/// (between backticks or double quotes) longer than
/// [`MAX_TOKEN_IN_MESSAGE`] cut to a short excerpt, and control characters
/// escaped. The message itself never holds the line (the span gives that).
fn excerpt_quoted(message: &str) -> String {
    let escape = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    let mut out = String::new();
    let mut rest = message;
    while let Some(start) = rest.find(['`', '"']) {
        out.push_str(&escape(&rest[..start]));
        let delimiter = rest.as_bytes()[start];
        let body = &rest[start + 1..];
        // serde quotes strings with Rust escapes: skip an escaped quote.
        let mut end = None;
        let mut escaped = false;
        for (i, b) in body.bytes().enumerate() {
            match b {
                b'\\' if delimiter == b'"' && !escaped => escaped = true,
                b if b == delimiter && !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let (inner, next) = match end {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, ""),
        };
        if inner.len() > MAX_TOKEN_IN_MESSAGE {
            out.push_str(&quoted(inner));
        } else {
            let d = char::from(delimiter);
            out.push_str(&format!("{d}{}{d}", escape(inner)));
        }
        rest = next;
    }
    out.push_str(&escape(rest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::spec::Layout;

    const GOOD: &str = r#"
resync = "30s"
metrics_file = "/tmp/mipset.prom"

[[family]]
name = "blocklist"
type = "hash:net"
shards = 16
maxelem = 1000000
source = "lists/blocklist.txt"

[[family.rule]]
table = "raw"
chain = "PREROUTING"
match = "src"
jump = "DROP"

[[family]]
name = "pods"
route = "hash"
source = "/etc/mipset/pods.txt"

[[family.rule]]
chain = "FORWARD"
match = "dst"
jump = "ACCEPT"
layout = "umbrella"
"#;

    #[test]
    fn a_good_configuration_is_checked_and_resolved() {
        let p = parse(GOOD, Path::new("/etc/mipset/reconcile.toml")).unwrap();
        assert_eq!(p.resync, Duration::from_secs(30));
        assert_eq!(p.families.len(), 2);
        let b = &p.families[0];
        assert_eq!(b.spec.shards, 16);
        assert_eq!(b.spec.maxelem, 1_000_000);
        assert_eq!(b.source, Path::new("/etc/mipset/lists/blocklist.txt"));
        assert_eq!(b.rules[0].0.layout, Layout::dispatch());
        // hash routing: the umbrella layout, asked for by name.
        assert_eq!(p.families[1].rules[0].0.layout, Layout::Umbrella);
        assert_eq!(p.families[1].source, Path::new("/etc/mipset/pods.txt"));
        assert_eq!(p.families[1].base, Path::new("/etc/mipset"));
        assert!(!p.families[1].allow_outside);
        let p = parse(GOOD, Path::new("reconcile.toml")).unwrap();
        assert_eq!(p.families[0].base, Path::new("."));
    }

    #[test]
    fn errors_quote_only_a_short_excerpt_of_any_value() {
        // A configuration that is really another file (a symlink to a
        // secret) must not be echoed: toml's messages, serde's and ours.
        let secret = format!("SECRET{}", "x".repeat(200));
        for text in [
            format!("[[family]]\nname = \"x\"\nsource = \"a\"\nshards = \"{secret}\""),
            format!("{secret} = 1"),
            format!("[[family]]\nname = \"{secret}\"\nsource = \"a\""),
            format!("[[family]]\nname = \"x\"\nsource = \"a\"\ntimeout = \"{secret}\""),
            format!("[[family]]\nname = \"x\"\nsource = \"a\"\nroute = \"{secret}\""),
            format!("[[family]]\nname = \"x\"\nsource = \"a\"\n[[family.rule]]\nchain = \"{secret}\"\nmatch = \"src\"\njump = \"DROP\""),
            format!("backend = \"{secret}\""),
            format!("resync = \"{secret}\""),
            format!("[[family]]\nname = \"x\"\nsource = \"a\"\ntype = \"\\u001b[31m{secret}\""),
        ] {
            let e = parse(&text, Path::new("c.toml")).unwrap_err().to_string();
            assert!(e.starts_with("c.toml"), "{e}");
            assert!(e.contains("SECRETxx"), "an excerpt names it: {e}");
            assert!(!e.contains(&"x".repeat(MAX_TOKEN_IN_MESSAGE)), "{e}");
            assert!(!e.contains('\u{1b}'), "{e}");
        }
        assert_eq!(
            excerpt_quoted("invalid type: string \"a\\\"b\", expected u32"),
            "invalid type: string \"a\\\"b\", expected u32"
        );
    }

    #[test]
    fn bad_configurations_name_the_file_and_what() {
        for (text, needle) in [
            ("resync = \"soon\"", "resync"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\nshards = 3", "power of two"),
            ("[[family]]\nname = \"this-name-is-far-too-long-for-ipset\"\nsource = \"a\"", "characters"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\ncolour = \"red\"", "colour"),
            ("[[family]]\nname = \"x\"", "source"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\n[[family.rule]]\nchain = \"IN PUT\"\nmatch = \"src\"\njump = \"DROP\"", "IN PUT"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\n[[family]]\nname = \"x\"\nsource = \"b\"", "twice"),
            ("backend = \"ebpf\"", "ebpf"),
            // A hash-routed family's rules need the umbrella layout by name,
            // as `rule add` and `bench` do.
            ("[[family]]\nname = \"x\"\nsource = \"a\"\nroute = \"hash\"\n[[family.rule]]\nchain = \"FORWARD\"\nmatch = \"dst\"\njump = \"ACCEPT\"", "rule 1 (FORWARD dst -j ACCEPT): hash routing"),
            ("[[family]]\nname = \"x\"\nsource = \"a\"\n[[family.rule]]\nchain = \"FORWARD\"\nmatch = \"dst\"\njump = \"ACCEPT\"\nlayout = \"star\"", "star"),
            ("[[family]\nname = 1", "c.toml:1"),
        ] {
            let e = parse(text, Path::new("c.toml")).unwrap_err().to_string();
            assert!(e.contains("c.toml") && e.contains(needle), "{text}: {e}");
        }
    }
}
