//! Build script:
//! 1. compiles the small C shim that gives libipset's command parser
//!    non-exiting, non-printing callbacks (see src/kernel/libipset.rs);
//! 2. links libipset statically when its archive is installed (libipset-dev
//!    ships it). A one-shot `mipset test` is mostly process start-up, and the
//!    dynamic loader's symbol lookups for libipset's ~600 symbolic
//!    relocations were a third of its instructions (docs/BENCHMARKS.md).
//!    The `ipset` crate asks for `-lipset`; a search directory holding only
//!    the archive makes the linker take it. libmnl stays a shared library.
//!    Set MIPSET_DYNAMIC_LIBIPSET=1 to link the shared library instead.

use std::path::PathBuf;
use std::process::Command;

fn libdir() -> Option<PathBuf> {
    let out = Command::new("pkg-config")
        .args(["--variable=libdir", "libipset"])
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    let dir = dir.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// The commit being built, for `mipset --version`: MIPSET_GIT_HASH if set
/// (container builds without .git), else `git rev-parse`, else "unknown".
fn git_hash() -> String {
    if let Ok(h) = std::env::var("MIPSET_GIT_HASH") {
        return h;
    }
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    println!("cargo:rerun-if-env-changed=MIPSET_GIT_HASH");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rustc-env=MIPSET_GIT_HASH={}", git_hash());
    println!("cargo:rerun-if-changed=csrc/libipset_shim.c");
    println!("cargo:rerun-if-env-changed=MIPSET_DYNAMIC_LIBIPSET");
    cc::Build::new()
        .file("csrc/libipset_shim.c")
        .warnings(true)
        .compile("mipset_libipset_shim");

    let dynamic = std::env::var("MIPSET_DYNAMIC_LIBIPSET").is_ok_and(|v| v == "1");
    let archive = libdir()
        .map(|d| d.join("libipset.a"))
        .filter(|a| a.exists());
    match (dynamic, archive) {
        (false, Some(archive)) => {
            let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
            let dir = out.join("static-libipset");
            std::fs::create_dir_all(&dir).expect("create static-libipset dir");
            let link = dir.join("libipset.a");
            let _ = std::fs::remove_file(&link);
            std::fs::copy(&archive, &link).expect("copy libipset.a");
            println!("cargo:rerun-if-changed={}", archive.display());
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:rustc-link-lib=static=ipset");
            // After every library on the command line, so the archive's
            // references to libmnl are resolved.
            println!("cargo:rustc-link-arg=-Wl,--push-state,--no-as-needed,-lmnl,--pop-state");
        }
        _ => println!("cargo:rustc-link-lib=ipset"),
    }
}
