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
    ("family/lookup.rs", ENGINE),
    ("family/create.rs", ENGINE),
    ("family/add.rs", ENGINE),
    ("family/remove.rs", ENGINE),
    ("family/destroy.rs", ENGINE),
    ("family/leftovers.rs", ENGINE),
    ("bulk/covered.rs", ENGINE),
    ("family/change.rs", DOMAIN),
    ("reroute.rs", ENGINE),
    ("bulk/read.rs", ENGINE),
    ("bulk/apply.rs", ENGINE),
    ("bulk/cover.rs", ENGINE),
    ("check.rs", ENGINE),
    ("resize.rs", ENGINE),
    ("rules/apply.rs", ENGINE),
    ("rules/switch.rs", ENGINE),
    ("bench/run.rs", ENGINE),
    ("bench/ops.rs", ENGINE),
    ("bench/scale.rs", ENGINE),
    ("bench/packet_path.rs", ENGINE),
    ("bench/fill.rs", ENGINE),
    ("bench/list.rs", ENGINE),
    ("bench/list_packet.rs", ENGINE),
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
    ("output/file.rs", BOUNDARY),
    ("output/progress.rs", BOUNDARY),
    ("bench/setup.rs", BOUNDARY),
    ("bench/machine.rs", BOUNDARY),
    ("bench/plot.rs", BOUNDARY),
    // Pure domain: data, parsers, planners, renderers. No I/O.
    ("addr.rs", DOMAIN),
    ("route.rs", DOMAIN),
    ("naming.rs", DOMAIN),
    ("meta.rs", DOMAIN),
    ("records.rs", DOMAIN),
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
    ("bulk/merge.rs", DOMAIN),
    ("rules/spec.rs", DOMAIN),
    ("rules/plan.rs", DOMAIN),
    ("rules/save.rs", DOMAIN),
    ("rules/installed.rs", DOMAIN),
    ("rules/found.rs", DOMAIN),
    ("reconcile/config.rs", DOMAIN),
    ("bench/report.rs", DOMAIN),
    ("bench/columns.rs", DOMAIN),
    ("bench/exec_report.rs", DOMAIN),
    ("bench/stats.rs", DOMAIN),
    ("bench/scale_report.rs", DOMAIN),
    ("bench/workload.rs", DOMAIN),
    ("bench/list_report.rs", DOMAIN),
    ("output/tables.rs", DOMAIN),
    ("output/metrics.rs", DOMAIN),
    ("prefix/ranges.rs", DOMAIN),
    ("prefix/levels.rs", DOMAIN),
    ("prefix/geometry.rs", DOMAIN),
    ("prefix/cover.rs", DOMAIN),
    ("prefix/target.rs", DOMAIN),
    ("prefix/shift.rs", DOMAIN),
    // A folder's mod.rs only declares its files and documents them.
    ("family/mod.rs", DOMAIN),
    ("bulk/mod.rs", DOMAIN),
    ("rules/mod.rs", DOMAIN),
    ("reconcile/mod.rs", DOMAIN),
    ("bench/mod.rs", DOMAIN),
    ("output/mod.rs", DOMAIN),
    ("prefix/mod.rs", DOMAIN),
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

/// The code without comments and with every string and character literal
/// emptied (`""`, `' '`), so that braces, `use` and paths inside them are
/// not read as code.
fn clean(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(b.get(i.wrapping_sub(1)).copied())
        {
            // Raw string r#"..."#: ends at a quote followed by as many #.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < b.len()
                && !(b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')))
            {
                if b[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j + 1 + hashes;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let close = if next == Some('\\') {
                (i + 2..b.len().min(i + 12)).find(|&k| b[k] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(k) => {
                    out.push_str("' '");
                    i = k + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Cleaned code without `#[cfg(test)]` items (tests may use anything; they
/// are not part of the layering).
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at the `;` before any brace, or at its matching `}`.
        let mut depth = 0i32;
        let mut end = item.len();
        for (k, ch) in item.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The paths a `use` tree names, with the name each is known by here:
/// `a::{b, c::d as e, f::{g}}` -> (a::b, b), (a::c::d, e), (a::f::g, g).
fn use_tree(tree: &str, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let mut path = prefix.to_vec();
        path.extend(segments(&tree[..open]));
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        // Split the group at top-level commas.
        let (mut depth, mut start) = (0, 0);
        for (k, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    use_tree(&inner[start..k], &path, out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        use_tree(&inner[start..], &path, out);
        return;
    }
    let (path_text, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p, Some(a.trim().to_string())),
        None => (tree, None),
    };
    let mut path = prefix.to_vec();
    path.extend(segments(path_text));
    if path.is_empty() || path_text.trim() == "*" {
        return;
    }
    if path.last().map(String::as_str) == Some("self") {
        path.pop();
    }
    let name = alias.unwrap_or_else(|| path.last().cloned().unwrap_or_default());
    out.push((path, name));
}

fn segments(text: &str) -> Vec<String> {
    text.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "*")
        .map(str::to_string)
        .collect()
}

/// A path as written, made absolute: `crate::a` from the root, `super::`
/// and `self::` from `module`, a name this file imported or declared
/// (`use crate::family;` then `family::open::open`) from what it stands
/// for. None: not ours (std, a crate, a local name).
fn absolute(
    path: &[String],
    module: &[String],
    is_mod_rs: bool,
    names: &BTreeMap<String, Vec<String>>,
) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => {
            let mut base = module.to_vec();
            if !is_mod_rs || !base.is_empty() {
                base.pop();
            }
            base
        }
        name => {
            let mut base = names.get(name)?.clone();
            base.extend(rest.iter().cloned());
            return Some(base);
        }
    };
    let mut rest = rest;
    while rest.first().map(String::as_str) == Some("super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Every module path a file's code names (as absolute paths from the crate
/// root): its `use` trees, the paths written out in its code, through the
/// names it imported and the child modules it declared.
fn imports(code: &str, module: &[String], is_mod_rs: bool) -> Vec<Vec<String>> {
    // A file's child modules (`mod name;`) sit below its own module path.
    let child_base = module.to_vec();
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut found = Vec::new();
    let words: Vec<&str> = code.split([';', '{', '}']).collect();
    // Child modules: `mod name;` makes `name::x` mean module::name::x.
    for w in &words {
        let w = w.trim();
        let w = w
            .strip_prefix("pub(crate) ")
            .or_else(|| w.strip_prefix("pub "))
            .unwrap_or(w);
        if let Some(name) = w.strip_prefix("mod ") {
            let mut path = child_base.clone();
            path.push(name.trim().to_string());
            // A declaration, not an import: only the name is noted.
            names.insert(name.trim().to_string(), path);
        }
    }
    // `use` declarations, whole trees (groups nest).
    let mut k = 0;
    while let Some(at) = code[k..].find("use ") {
        let at = k + at;
        let before = code[..at].trim_end();
        let starts = before.is_empty()
            || before.ends_with([';', '{', '}', ']'])
            || before.ends_with("pub")
            || before.ends_with("pub(crate)");
        if !starts || ident_char(code[..at].chars().last()) {
            k = at + 4;
            continue;
        }
        let end = code[at..].find(';').map_or(code.len(), |e| at + e);
        let mut trees = Vec::new();
        use_tree(&code[at + 4..end], &[], &mut trees);
        for (path, name) in trees {
            if let Some(abs) = absolute(&path, module, is_mod_rs, &names) {
                names.insert(name, abs.clone());
                found.push(abs);
            }
        }
        k = end;
    }
    // Paths written out in the code: `a::b::c`, not preceded by `::`.
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = ident_char(Some(chars[i]))
            && !ident_char(i.checked_sub(1).map(|p| chars[p]))
            && !(i >= 2 && chars[i - 1] == ':' && chars[i - 2] == ':');
        if !starts {
            i += 1;
            continue;
        }
        let mut path = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && ident_char(Some(chars[j])) {
                j += 1;
            }
            path.push(chars[start..j].iter().collect::<String>());
            if chars.get(j) == Some(&':')
                && chars.get(j + 1) == Some(&':')
                && ident_char(chars.get(j + 2).copied())
            {
                j += 2;
                continue;
            }
            break;
        }
        if path.len() > 1 {
            if let Some(abs) = absolute(&path, module, is_mod_rs, &names) {
                found.push(abs);
            }
        }
        i = j.max(i + 1);
    }
    found
}

struct House {
    /// file -> (layer, lines, files it imports)
    rooms: BTreeMap<String, (u8, usize, BTreeSet<String>)>,
    unplaced: Vec<String>,
    /// file -> its code, cleaned, tests left out
    code: BTreeMap<String, String>,
}

fn house() -> House {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let files: BTreeSet<String> = paths.iter().map(|p| rel(p)).collect();
    let mut rooms = BTreeMap::new();
    let mut code = BTreeMap::new();
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
        let cleaned = without_tests(&clean(&text));
        let targets: BTreeSet<String> = imports(&cleaned, &module, is_mod_rs)
            .iter()
            .filter_map(|m| file_of(m, &files))
            // A folder's mod.rs declares its files: naming one of them
            // through it is naming the file, already resolved above.
            .filter(|t| *t != file && t != "lib.rs" && t != "main.rs")
            .collect();
        rooms.insert(file.clone(), (layer, text.lines().count(), targets));
        code.insert(file, cleaned);
    }
    House {
        rooms,
        unplaced,
        code,
    }
}

/// No re-exports: every path names the file that defines what it uses,
/// so the import reader (and a reader) sees every dependency.
#[test]
fn nothing_is_re_exported() {
    let h = house();
    let reexports: Vec<&String> = h
        .code
        .iter()
        .filter(|(_, c)| c.contains("pub use ") || c.contains("pub(crate) use "))
        .map(|(f, _)| f)
        .collect();
    assert!(reexports.is_empty(), "re-exports in {reexports:?}");
}

/// The mod.rs of a folder of engines or domain files only declares its
/// files (its doc says which is which); code lives in the files.
#[test]
fn folder_mod_files_only_declare_their_files() {
    let h = house();
    for folder in ["family", "bulk", "rules", "reconcile", "bench", "output"] {
        let file = format!("{folder}/mod.rs");
        let code = h
            .code
            .get(&file)
            .unwrap_or_else(|| panic!("{file} missing"));
        for line in code.lines().map(str::trim).filter(|l| !l.is_empty()) {
            assert!(
                line.starts_with("pub mod ") && line.ends_with(';'),
                "{file}: {line:?} belongs in a file of its own"
            );
        }
    }
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
fn the_import_reader_resolves_paths_groups_and_aliases() {
    let files: BTreeSet<String> = [
        "family/open.rs",
        "family/mod.rs",
        "bench/run.rs",
        "bench/setup.rs",
        "addr.rs",
        "rules/spec.rs",
        "rules/mod.rs",
        "commands/mod.rs",
        "kernel/mod.rs",
        "kernel/batch.rs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let resolved = |file: &str, code: &str| -> Vec<String> {
        let is_mod = file.ends_with("mod.rs");
        let mut got: Vec<String> = imports(&without_tests(&clean(code)), &module_of(file), is_mod)
            .iter()
            .filter_map(|m| file_of(m, &files))
            .filter(|f| f != file)
            .collect();
        got.sort();
        got.dedup();
        got
    };
    // Groups (nested), super, and a path written in the code.
    let code = "use super::setup::{InPlaceCleanup, SINGLE};\nuse crate::{addr::{Entry, SetType}, rules::spec::Layout};\nlet x = crate::family::open::select(k, None);\n";
    assert_eq!(
        resolved("bench/run.rs", code),
        [
            "addr.rs",
            "bench/setup.rs",
            "family/open.rs",
            "rules/spec.rs"
        ]
    );
    // A module imported by name, then used through that name.
    let code = "use crate::family;\nuse crate::kernel::batch as b;\nfn f() { family::open::select(k, None); b::apply(); }\n";
    assert_eq!(
        resolved("rules/spec.rs", code),
        ["family/mod.rs", "family/open.rs", "kernel/batch.rs"]
    );
    // A mod.rs naming its own child modules.
    assert_eq!(
        resolved(
            "kernel/mod.rs",
            "pub mod batch;\nfn f() { batch::apply(); }\n"
        ),
        ["kernel/batch.rs"]
    );
    // Comments, strings, chars and test items are not code.
    let code = "use crate::addr;\n// crate::family::open\nconst S: &str = \"crate::bench::run {\";\nconst C: char = '{';\n#[cfg(test)]\nmod tests {\n    use crate::bench::run;\n    const X: &str = \"}\";\n}\nfn g() { crate::rules::spec::f(); }\n";
    assert_eq!(
        resolved("kernel/batch.rs", code),
        ["addr.rs", "rules/spec.rs"]
    );
}
