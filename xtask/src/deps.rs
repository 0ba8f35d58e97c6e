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
    /// A file at a fixed path (programs kept off the PATH, like PostgreSQL's).
    File(&'static str),
}

/// Debian packages, with what each must provide once installed.
const PACKAGES: &[(&str, Provides)] = &[
    ("pkg-config", Provides::Program("pkg-config")),
    ("libtiff-dev", Provides::Library("libtiff-4")),
    ("libtiff-tools", Provides::Program("tiffcp")),
    ("libspandsp-dev", Provides::Library("spandsp")),
    ("ghostscript", Provides::Program("gs")),
    // fax-image's PDF tests read the PDFs back with poppler and check them with qpdf.
    ("poppler-utils", Provides::Program("pdfimages")),
    ("qpdf", Provides::Program("qpdf")),
    // The mail crate's SMTP tests deliver to aiosmtpd, over TLS with a certificate
    // made by openssl.
    ("python3-aiosmtpd", Provides::Program("aiosmtpd")),
    ("openssl", Provides::Program("openssl")),
    // The store's conformance suite starts a throwaway cluster (testing/pg-cluster).
    ("postgresql-15", Provides::File("/usr/lib/postgresql/15/bin/initdb")),
    // The render crate converts Office documents with LibreOffice and typesets text
    // and cover pages with DejaVu and Noto Sans CJK (read from these fixed paths).
    ("libreoffice-writer-nogui", Provides::File("/usr/lib/libreoffice/program/libswlo.so")),
    ("libreoffice-calc-nogui", Provides::File("/usr/lib/libreoffice/program/libscdlo.so")),
    ("libreoffice-impress-nogui", Provides::File("/usr/lib/libreoffice/program/libslideshowlo.so")),
    ("libreoffice-common", Provides::Program("soffice")),
    ("fonts-dejavu-core", Provides::File("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")),
    ("fonts-noto-cjk", Provides::File("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")),
];

/// Python packages from PyPI (installed with pip, which runs as root here), each with
/// the modules whose import proves it is there. `moto[server]` is the S3-compatible
/// server the `blob` crate's S3 tests start.
const PIP_PACKAGES: &[(&str, &str)] = &[("moto[server]", "moto.server, flask, flask_cors")];

/// Installs missing packages, then checks that every one is really there.
pub(crate) fn ensure() -> Result<()> {
    ensure_pip()?;
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
        Provides::File(path) => return std::path::Path::new(path).is_file(),
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

/// Installs missing Python packages with pip; a quick import check when present.
fn ensure_pip() -> Result<()> {
    for (requirement, modules) in PIP_PACKAGES {
        if python_imports(modules) {
            continue;
        }
        eprintln!("xtask: installing missing Python package: {requirement}");
        crate::run(Command::new("python3").args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ]))?;
        if !python_imports(modules) {
            bail!("{requirement} is still not importable ({modules}) after `pip install`");
        }
    }
    Ok(())
}

fn python_imports(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|out| out.status.success())
}
