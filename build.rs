//! Compiles the small C shim that gives libipset's command parser
//! non-exiting, non-printing callbacks (see src/kernel/libipset.rs).
fn main() {
    println!("cargo:rerun-if-changed=csrc/libipset_shim.c");
    cc::Build::new()
        .file("csrc/libipset_shim.c")
        .warnings(true)
        .compile("mipset_libipset_shim");
    println!("cargo:rustc-link-lib=ipset");
}
