//! Compiles the C shims in csrc/ and links Debian's libspandsp 0.0.6.
//!
//! A missing libspandsp is a hard build error, never a silent skip: the interop
//! tests exist to compare against SpanDSP, so they must not pass without it.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let flags = |arg: &str| -> Vec<String> {
        match Command::new("pkg-config").args([arg, "spandsp"]).output() {
            Ok(out) if out.status.success() => {
                String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
            }
            _ => panic!(
                "spandsp-peer needs libspandsp 0.0.6 and its headers: `pkg-config {arg} spandsp` failed; \
                 install the Debian package libspandsp-dev (and pkg-config)"
            ),
        }
    };
    let cflags = flags("--cflags");
    let libs = flags("--libs");

    let mut build = cc::Build::new();
    build.warnings(true).include("csrc");
    for flag in &cflags {
        if let Some(dir) = flag.strip_prefix("-I") {
            build.include(dir);
        } else {
            build.flag(flag);
        }
    }
    // spandsp.h includes tiffio.h, which lives in the default include path on Debian.
    let sources: Vec<PathBuf> = std::fs::read_dir("csrc")
        .expect("csrc/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "c"))
        .collect();
    for source in &sources {
        build.file(source);
        println!("cargo:rerun-if-changed={}", source.display());
    }
    println!("cargo:rerun-if-changed=csrc/shim.h");
    build.compile("spandsp_shim");

    for flag in &libs {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        }
    }
    if !libs.iter().any(|l| l == "-lspandsp") {
        println!("cargo:rustc-link-lib=spandsp");
    }
}
