//! The reconciler's configuration file (TOML): parsed, checked and resolved
//! into a [`Plan`] before anything is applied (pure; errors name the file,
//! and the line for TOML syntax). See `mipset reconcile --help`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
    /// The list the family must hold (`mipset sync` format), relative to
    /// the configuration file's directory.
    pub source: PathBuf,
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
        let message = e.message().to_string();
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
        let at = |e: String| Error::Usage(format!("{where_}: family {}: {e}", f.name));
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
        })
        .map_err(|e| at(e.to_string()))?;
        let mut rules = Vec::new();
        for (n, r) in f.rules.iter().enumerate() {
            let at = |e: String| {
                at(format!(
                    "rule {} ({} {} -j {}): {e}",
                    n + 1,
                    r.chain,
                    r.direction,
                    r.jump
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
        assert_eq!(b.spec.maxelem, 1_000_000 / 16);
        assert_eq!(b.source, Path::new("/etc/mipset/lists/blocklist.txt"));
        assert_eq!(b.rules[0].0.layout, Layout::dispatch());
        // hash routing: the umbrella layout, asked for by name.
        assert_eq!(p.families[1].rules[0].0.layout, Layout::Umbrella);
        assert_eq!(p.families[1].source, Path::new("/etc/mipset/pods.txt"));
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
