//! Links libtiff. The peer is a test dependency, so a missing library must fail the
//! build loudly rather than quietly skip the interop suite.

use std::process::Command;

fn main() {
    let found = Command::new("pkg-config")
        .args(["--exists", "libtiff-4"])
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        panic!(
            "libtiff-4 not found by pkg-config: install the Debian packages libtiff-dev and \
             libtiff-tools (cargo xtask test does this for you)"
        );
    }
    println!("cargo:rustc-link-lib=tiff");
    println!("cargo:rerun-if-changed=build.rs");
}
