//! The committed completions and man page must match the clap definitions.
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

#[test]
fn generated_files_match_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var("MIPSET_BLESS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (file, args) in GENERATED {
        let out = Command::new(MIPSET)
            .args(*args)
            .output()
            .expect("run mipset");
        assert!(out.status.success(), "mipset {args:?} failed");
        let path = root.join(file);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &out.stdout).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(*file);
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; run `MIPSET_BLESS=1 cargo test --test tests generated` and commit"
    );
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
