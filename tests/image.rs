//! The container image, built and run here (#15): `scripts/image-check`
//! builds the Dockerfile with podman on a Debian base made with mmdebstrap
//! from the machine's apt source, then runs the image's mipset (create, add,
//! test, rules, check, destroy, and `reconcile --once` with the ConfigMap of
//! deploy/reconciler.yaml) chrooted in a private network namespace.
//! About two minutes: a static release build, mmdebstrap, podman build.

use crate::util::kernel_tests_enabled;
use std::process::Command;

#[test]
fn the_image_builds_from_the_dockerfile_and_its_mipset_runs_the_reconciler_config() {
    if !kernel_tests_enabled() {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/image-check");
    let out = Command::new(script)
        .output()
        .expect("run scripts/image-check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/image-check failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for want in [
        "mipset 0.1.0 (git ",
        "family imgcheck is healthy",
        "\"family\":\"blocklist\"",
        "image-check: all steps ok",
    ] {
        assert!(stdout.contains(want), "{want:?} not in:\n{stdout}");
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
}
