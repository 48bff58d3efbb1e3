//! Build script: records the commit being built, for `mipset --version`.
//! (mipset talks to the kernel over its own netlink code: no C library
//! beyond libc is linked, so `scripts/build` can link it fully static.)

use std::process::Command;

/// The commit being built: MIPSET_GIT_HASH if set (container builds
/// without .git), else `git rev-parse`, else "unknown".
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
}
