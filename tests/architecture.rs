//! The house rules of ARCHITECTURE.md, checked on the source itself: every
//! file under src/ has a layer, imports only from its own layer or those
//! below, takes part in no import cycle, and stays within 500 lines.
//!
//! Imports are read from the code (comments and `#[cfg(test)]` items left
//! out): every `crate::...` and `super::...` path, resolved to the file that
//! defines the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, from the top: what a file may import is its own layer or below.
const COMMAND: u8 = 4;
const ENGINE: u8 = 3;
const BOUNDARY: u8 = 2;
const DOMAIN: u8 = 1;

/// Every file's layer, by path under src/ (a folder prefix ends in `/`).
/// A new file must be placed here: the test refuses files it cannot place.
const LAYERS: &[(&str, u8)] = &[
    // Command layer: parse, dispatch, report.
    ("main.rs", COMMAND),
    ("lib.rs", COMMAND),
    ("cli/", COMMAND),
    ("commands/", COMMAND),
    // Engines: what the commands do, through the boundaries.
    ("family/open.rs", ENGINE),
    ("family/create.rs", ENGINE),
    ("family/add.rs", ENGINE),
    ("family/remove.rs", ENGINE),
    ("family/destroy.rs", ENGINE),
    ("bulk/read.rs", ENGINE),
    ("bulk/apply.rs", ENGINE),
    ("check.rs", ENGINE),
    ("resize.rs", ENGINE),
    ("rules/apply.rs", ENGINE),
    ("rules/switch.rs", ENGINE),
    ("bench/run.rs", ENGINE),
    ("bench/ops.rs", ENGINE),
    ("bench/scale.rs", ENGINE),
    ("bench/packet_path.rs", ENGINE),
    ("bench/fill.rs", ENGINE),
    ("reconcile/apply.rs", ENGINE),
    ("reconcile/run.rs", ENGINE),
    // System boundaries: the kernel, iptables, files, signals, terminals.
    ("kernel/", BOUNDARY),
    ("rules/iptables.rs", BOUNDARY),
    ("lock.rs", BOUNDARY),
    ("packet.rs", BOUNDARY),
    ("interrupt.rs", BOUNDARY),
    ("source.rs", BOUNDARY),
    ("output/sink.rs", BOUNDARY),
    ("output/progress.rs", BOUNDARY),
    ("bench/setup.rs", BOUNDARY),
    ("bench/machine.rs", BOUNDARY),
    ("bench/plot.rs", BOUNDARY),
    // Pure domain: data, parsers, planners, renderers. No I/O.
    ("addr.rs", DOMAIN),
    ("route.rs", DOMAIN),
    ("naming.rs", DOMAIN),
    ("meta.rs", DOMAIN),
    ("options.rs", DOMAIN),
    ("listing.rs", DOMAIN),
    ("listfile.rs", DOMAIN),
    ("savefile.rs", DOMAIN),
    ("input.rs", DOMAIN),
    ("error.rs", DOMAIN),
    ("exit.rs", DOMAIN),
    ("text.rs", DOMAIN),
    ("family/discover.rs", DOMAIN),
    ("family/status.rs", DOMAIN),
    ("bulk/plan.rs", DOMAIN),
    ("rules/spec.rs", DOMAIN),
    ("rules/plan.rs", DOMAIN),
    ("rules/save.rs", DOMAIN),
    ("reconcile/config.rs", DOMAIN),
    ("bench/report.rs", DOMAIN),
    ("bench/stats.rs", DOMAIN),
    ("bench/scale_report.rs", DOMAIN),
    ("output/tables.rs", DOMAIN),
    ("output/metrics.rs", DOMAIN),
    // A folder's mod.rs only declares its files and documents them.
    ("family/mod.rs", DOMAIN),
    ("bulk/mod.rs", DOMAIN),
    ("rules/mod.rs", DOMAIN),
    ("reconcile/mod.rs", DOMAIN),
    ("bench/mod.rs", DOMAIN),
    ("output/mod.rs", DOMAIN),
];

const MAX_LINES: usize = 500;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b.rs` for a path under src/.
fn rel(path: &Path) -> String {
    path.strip_prefix(src())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn layer_of(file: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(p, _)| {
            if p.ends_with('/') {
                file.starts_with(p)
            } else {
                file == *p
            }
        })
        .map(|&(_, l)| l)
}

/// The module path of a file: `bench/run.rs` -> [bench, run]; a mod.rs is
/// its folder; lib.rs and main.rs are the crate root.
fn module_of(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file that defines module `path` (or the nearest enclosing module
/// that is a file: `crate::family::open::select` -> family/open.rs).
fn file_of(path: &[String], files: &BTreeSet<String>) -> Option<String> {
    for n in (1..=path.len()).rev() {
        let base = path[..n].join("/");
        for candidate in [format!("{base}.rs"), format!("{base}/mod.rs")] {
            if files.contains(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The code of a file without comments and without `#[cfg(test)]` items
/// (tests may use anything; they are not part of the layering).
fn code_without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        if t == "#[cfg(test)]" {
            // Skip the item: up to its matching closing brace, or one line.
            let mut depth = 0i32;
            for item in lines.by_ref() {
                depth += item.matches('{').count() as i32 - item.matches('}').count() as i32;
                if depth <= 0 && (item.contains('}') || item.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::` and `super::` path in `code`, as module paths from the
/// crate root (groups `{a, b::c}` expanded by their first segments).
fn imports(code: &str, module: &[String], is_mod_rs: bool) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < code.len() {
        let at_word_start = i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':');
        let rest = &bytes[i..];
        let (mut base, skip) = if at_word_start && rest.starts_with(b"crate::") {
            (Vec::new(), "crate::".len())
        } else if at_word_start && rest.starts_with(b"super::") {
            // From a mod.rs, `super` is the folder's parent; from a.rs, a's
            // parent module.
            let mut base = module.to_vec();
            let mut skip = 0;
            if !is_mod_rs || !base.is_empty() {
                base.pop();
            }
            skip += "super::".len();
            while bytes[i + skip..].starts_with(b"super::") {
                base.pop();
                skip += "super::".len();
            }
            (base, skip)
        } else {
            i += 1;
            continue;
        };
        let mut j = i + skip;
        loop {
            if bytes[j..].starts_with(b"{") {
                // A group right after `crate::`: as after `path::`.
                j -= 2;
            }
            let start = j;
            while j < code.len() && ident(bytes[j]) {
                j += 1;
            }
            if j > start {
                base.push(code[start..j].to_string());
            }
            if bytes[j..].starts_with(b"::") && j + 2 < code.len() && ident(bytes[j + 2]) {
                j += 2;
                continue;
            }
            if bytes[j..].starts_with(b"::{") {
                let end = code[j..].find('}').map_or(code.len(), |e| j + e);
                for item in code[j + 3..end].split(',') {
                    let mut p = base.clone();
                    p.extend(
                        item.split("::")
                            .map(str::trim)
                            .take_while(|s| {
                                !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
                            })
                            .filter(|s| *s != "self")
                            .map(str::to_string),
                    );
                    found.push(p);
                }
                j = end;
            }
            break;
        }
        found.push(base);
        i = j.max(i + 1);
    }
    found
}

struct House {
    /// file -> (layer, lines, files it imports)
    rooms: BTreeMap<String, (u8, usize, BTreeSet<String>)>,
    unplaced: Vec<String>,
}

fn house() -> House {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let files: BTreeSet<String> = paths.iter().map(|p| rel(p)).collect();
    let mut rooms = BTreeMap::new();
    let mut unplaced = Vec::new();
    for path in &paths {
        let file = rel(path);
        let Some(layer) = layer_of(&file) else {
            unplaced.push(file);
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        let module = module_of(&file);
        let is_mod_rs = file.ends_with("mod.rs") || file == "lib.rs" || file == "main.rs";
        let code = code_without_tests(&text);
        let targets: BTreeSet<String> = imports(&code, &module, is_mod_rs)
            .iter()
            .filter_map(|m| file_of(m, &files))
            .filter(|t| *t != file && t != "lib.rs")
            .collect();
        rooms.insert(file, (layer, text.lines().count(), targets));
    }
    House { rooms, unplaced }
}

#[test]
fn every_source_file_has_a_layer() {
    let h = house();
    assert!(
        h.unplaced.is_empty(),
        "place these files in a layer in tests/architecture.rs (and ARCHITECTURE.md): {:?}",
        h.unplaced
    );
}

#[test]
fn imports_run_only_down_or_across_a_layer() {
    let h = house();
    let mut upward = Vec::new();
    for (file, (layer, _, targets)) in &h.rooms {
        for t in targets {
            let their = h.rooms.get(t).map_or(0, |r| r.0);
            if their > *layer {
                upward.push(format!(
                    "{file} (layer {layer}) imports {t} (layer {their})"
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_file_imports_itself_through_others() {
    let h = house();
    // Depth-first search for a back edge.
    fn visit<'a>(
        f: &'a str,
        h: &'a House,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(f, 1);
        stack.push(f);
        for t in h.rooms.get(f).map(|r| &r.2).into_iter().flatten() {
            match state.get(t.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|s| *s == t).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        stack[from..].iter().map(|s| s.to_string()).collect();
                    cycle.push(t.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(t, h, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(f, 2);
        None
    }
    let mut state = BTreeMap::new();
    for f in h.rooms.keys() {
        if !state.contains_key(f.as_str()) {
            if let Some(cycle) = visit(f, &h, &mut state, &mut Vec::new()) {
                panic!("import cycle: {}", cycle.join(" -> "));
            }
        }
    }
}

#[test]
fn files_stay_within_500_lines() {
    let h = house();
    let long: Vec<String> = h
        .rooms
        .iter()
        .filter(|(_, r)| r.1 > MAX_LINES)
        .map(|(f, r)| format!("{f}: {} lines", r.1))
        .collect();
    assert!(long.is_empty(), "split these by job: {long:?}");
}

/// The reader itself: it finds what the source says, so a broken rule
/// cannot pass unnoticed.
#[test]
fn the_import_reader_resolves_paths_and_groups() {
    let files: BTreeSet<String> = [
        "family/open.rs",
        "family/mod.rs",
        "bench/run.rs",
        "bench/setup.rs",
        "addr.rs",
        "rules/spec.rs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let module = module_of("bench/run.rs");
    let code = "use super::setup::{InPlaceCleanup, SINGLE};\nuse crate::{addr::Entry, rules::spec::Layout};\nlet x = crate::family::open::select(k, None);\n";
    let mut got: Vec<String> = imports(code, &module, false)
        .iter()
        .filter_map(|m| file_of(m, &files))
        .collect();
    got.sort();
    got.dedup();
    assert_eq!(
        got,
        [
            "addr.rs",
            "bench/setup.rs",
            "family/open.rs",
            "rules/spec.rs"
        ]
    );
    let no_tests = code_without_tests("use crate::addr;\n#[cfg(test)]\nmod tests {\n    use crate::bench::run;\n}\n// crate::family\n");
    assert_eq!(no_tests, "use crate::addr;\n");
}
