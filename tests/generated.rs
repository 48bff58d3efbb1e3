//! The committed completions and man pages must match the clap definitions.
//! After changing the CLI, regenerate them with
//! `MIPSET_BLESS=1 cargo test --test tests generated`.

use std::path::Path;
use std::process::Command;

use crate::util::MIPSET;

/// (file under the repository, mipset arguments that print it)
const GENERATED: &[(&str, &[&str])] = &[
    ("completions/mipset.bash", &["completions", "bash"]),
    ("completions/_mipset", &["completions", "zsh"]),
    ("completions/mipset.fish", &["completions", "fish"]),
    ("completions/mipset.elv", &["completions", "elvish"]),
    ("completions/_mipset.ps1", &["completions", "powershell"]),
    ("man/mipset.1", &["man"]),
];

/// Every generated file: the fixed ones above, and one man page per
/// subcommand (`man/mipset-rule-add.1` from `mipset man rule add`).
fn generated() -> Vec<(String, Vec<String>)> {
    let mut files: Vec<(String, Vec<String>)> = GENERATED
        .iter()
        .map(|(file, args)| {
            (
                file.to_string(),
                args.iter().map(|a| a.to_string()).collect(),
            )
        })
        .collect();
    for words in mipset::commands::docs::man_pages() {
        let mut args = vec!["man".to_string()];
        args.extend(words.iter().cloned());
        files.push((format!("man/mipset-{}.1", words.join("-")), args));
    }
    files
}

#[test]
fn generated_files_match_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var("MIPSET_BLESS").is_ok_and(|v| v == "1");
    let files = generated();
    let mut stale = Vec::new();
    for (file, args) in &files {
        let out = Command::new(MIPSET)
            .args(args)
            .output()
            .expect("run mipset");
        assert!(out.status.success(), "mipset {args:?} failed");
        let path = root.join(file);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &out.stdout).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(file.clone());
        }
    }
    // A page of a subcommand that no longer exists.
    for entry in std::fs::read_dir(root.join("man")).unwrap() {
        let file = format!("man/{}", entry.unwrap().file_name().to_string_lossy());
        if !files.iter().any(|(f, _)| *f == file) {
            if bless {
                std::fs::remove_file(root.join(&file)).unwrap();
            } else {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; run `MIPSET_BLESS=1 cargo test --test tests generated` and commit"
    );
}

/// Every page a committed man page refers to (`mipset\-create(1)` in
/// SUBCOMMANDS or SEE ALSO) ships in man/, and every page in man/ is
/// reachable from mipset(1).
#[test]
fn every_referenced_man_page_exists() {
    let man = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec!["mipset".to_string()];
    while let Some(page) = todo.pop() {
        if !seen.insert(page.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(man.join(format!("{page}.1")))
            .unwrap_or_else(|e| panic!("{page}(1) is referred to but man/{page}.1: {e}"));
        for reference in man_references(&text) {
            assert!(
                man.join(format!("{reference}.1")).is_file(),
                "man/{page}.1 refers to {reference}(1), which does not ship in man/"
            );
            todo.push(reference);
        }
    }
    let shipped: std::collections::BTreeSet<String> = std::fs::read_dir(&man)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter_map(|f| f.strip_suffix(".1").map(str::to_string))
        .collect();
    assert_eq!(
        seen, shipped,
        "pages in man/ that mipset(1) does not lead to"
    );
    assert!(seen.contains("mipset-rule-add"), "{seen:?}");
}

/// `name(1)` references to mipset pages in roff text (`mipset\-rule\-add(1)`).
fn man_references(roff: &str) -> Vec<String> {
    let text = roff.replace("\\-", "-");
    let mut found = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("mipset-") {
        let tail = &rest[at..];
        let name_len = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(tail.len());
        if tail[name_len..].starts_with("(1)") {
            found.push(tail[..name_len].to_string());
        }
        rest = &tail[name_len..];
    }
    found
}

#[test]
fn exit_status_table_is_in_help_man_and_readme() {
    let help = Command::new(MIPSET).arg("--help").output().unwrap().stdout;
    let help = String::from_utf8(help).unwrap();
    let man = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/mipset.1"))
        .unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for line in mipset::exit::EXIT_STATUS_HELP.lines().skip(1) {
        let line = line.trim();
        let (code, text) = line.split_once(char::is_whitespace).unwrap();
        assert!(help.contains(line), "--help lacks: {line}");
        assert!(
            man.contains(&format!(".TP\n{code}\n")),
            "man lacks exit code {code}"
        );
        assert!(
            readme.contains(&format!("| {code} |")),
            "README exit table lacks {code} ({})",
            text.trim()
        );
    }
}

/// With stdout closed (`>&-`), a command whose product is its output
/// refuses at once: exit 4, one line (Rust's stdout would swallow the
/// writes, and a file mipset opened could take descriptor 1).
#[test]
fn a_closed_stdout_is_exit_4() {
    for args in ["man", "completions bash"] {
        let out = Command::new("sh")
            .args(["-c", &format!("exec \"$0\" {args} >&-"), MIPSET])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args}: {stderr}");
        assert_eq!(
            stderr, "mipset: error: writing output: stdout is closed\n",
            "{args}"
        );
    }
}

/// A command whose product is its output fails when the output cannot be
/// written: exit 4 (the work was done, its result was lost), one line.
#[test]
fn output_that_cannot_be_written_is_exit_4() {
    for args in [&["man"][..], &["completions", "bash"][..]] {
        let full = std::fs::File::create("/dev/full").unwrap();
        let out = Command::new(MIPSET)
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("mipset: error: writing output: ")
                && stderr.trim().lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
}
