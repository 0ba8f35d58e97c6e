//! System packages the tests need, installed when missing.
//!
//! The interop tests and benchmarks run against real peers (libtiff today; SpanDSP,
//! ghostscript, PostgreSQL and others as the project grows). A fresh machine gets
//! them from Debian through apt-get; a machine where that is impossible fails here,
//! loudly, instead of letting a suite skip and report success.

use std::process::Command;

use anyhow::{Result, bail};

/// How to tell that a package really provides what the tests use.
#[derive(Debug, Clone, Copy)]
enum Provides {
    /// A program on the PATH.
    Program(&'static str),
    /// A library known to pkg-config.
    Library(&'static str),
}

/// Debian packages, with what each must provide once installed.
const PACKAGES: &[(&str, Provides)] = &[
    ("pkg-config", Provides::Program("pkg-config")),
    ("libtiff-dev", Provides::Library("libtiff-4")),
    ("libtiff-tools", Provides::Program("tiffcp")),
    ("libspandsp-dev", Provides::Library("spandsp")),
    ("ghostscript", Provides::Program("gs")),
];

/// Installs missing packages, then checks that every one is really there.
pub(crate) fn ensure() -> Result<()> {
    let missing: Vec<&str> =
        PACKAGES.iter().filter(|(name, _)| !installed(name)).map(|(name, _)| *name).collect();
    if !missing.is_empty() {
        eprintln!("xtask: installing missing Debian packages: {}", missing.join(" "));
        if !is_root() {
            bail!(
                "the tests need these Debian packages: {}; run as root (or install them with \
                 `apt-get install {}`) and try again",
                missing.join(", "),
                missing.join(" ")
            );
        }
        crate::run(Command::new("apt-get").args(["update", "-qq"]))?;
        crate::run(
            Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(&missing),
        )?;
    }
    let absent: Vec<String> = PACKAGES
        .iter()
        .filter(|(_, provides)| !provided(*provides))
        .map(|(name, provides)| format!("{name} (no {provides:?})"))
        .collect();
    if !absent.is_empty() {
        bail!("required test peers are missing after installation: {}", absent.join(", "));
    }
    Ok(())
}

fn provided(provides: Provides) -> bool {
    let mut cmd = match provides {
        Provides::Program(name) => {
            let mut cmd = Command::new("sh");
            cmd.args(["-c", &format!("command -v {name}")]);
            cmd
        }
        Provides::Library(name) => {
            let mut cmd = Command::new("pkg-config");
            cmd.args(["--exists", name]);
            cmd
        }
    };
    cmd.output().is_ok_and(|out| out.status.success())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query").args(["-W", "-f=${Status}", package]).output().is_ok_and(|out| {
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok installed")
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
