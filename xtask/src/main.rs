//! `cargo xtask`: the project's automation, in Rust so that it runs wherever cargo
//! does.
//!
//! - `cargo xtask test`: installs the system packages the tests need (Debian, via
//!   apt-get when run as root), fails loudly when a required peer is still missing,
//!   then runs formatting, lint, tidy and the whole test suite.
//! - `cargo xtask bench [NAME] [--quick]`: the benchmarks, each against its
//!   reference peer in the same run.
//! - `cargo xtask tidy`: architecture rules that the compiler cannot check.
//! - `cargo xtask deps`: only the package installation step.
//! - `cargo xtask fuzz seeds|run`: the fuzz targets and their seed corpora.

mod deps;
mod fuzz;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test            install test peers if missing, then fmt, clippy, tidy and all tests
  bench [NAME]    run benchmarks (NAME: codec, t38, render; default all); --quick for a smoke run
  golden --bless  regenerate the render crate's expected golden images (review before committing)
  tidy            check architecture rules (libs/ stays free of service crates)
  deps            install the Debian packages the tests need
  fuzz seeds      regenerate the committed seed corpora
  fuzz run [T…]   run cargo-fuzz targets (all by default) [--seconds N, default 60]
";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("test") => test(&root),
        Some("bench") => bench(&args[1..]),
        Some("tidy") => tidy::run(&root),
        Some("deps") => deps::ensure(),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("golden") => golden(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

fn workspace_root() -> PathBuf {
    // xtask lives one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn test(root: &Path) -> Result<()> {
    deps::ensure()?;
    step("format", cargo(&["fmt", "--all", "--", "--check"]))?;
    step("lint", cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    step("tidy", tidy::run(root))?;
    // The benchmarks prove their claims against live peers; a quick pass in every test
    // run keeps them from rotting (they also check that both sides agree on output).
    step("benchmark smoke run", bench(&["--quick".to_owned()]))?;
    // The test runner goes last, so that its summary closes the output.
    if nextest_available() {
        // nextest does not run doc tests.
        step("doc tests", cargo(&["test", "--workspace", "--doc"]))?;
        step("tests", cargo(&["nextest", "run", "--workspace", "--no-fail-fast"]))?;
    } else {
        step("tests", cargo(&["test", "--workspace", "--no-fail-fast"]))?;
    }
    Ok(())
}

fn bench(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&str> = args.iter().filter(|a| !a.starts_with("--")).map(String::as_str).collect();
    let all = ["codec", "t38", "render"];
    let selected: Vec<&str> = if names.is_empty() { all.to_vec() } else { names };
    deps::ensure()?;
    for name in selected {
        let (package, bench) = match name {
            "codec" => ("libtiff-peer", "codec"),
            "t38" => ("spandsp-peer", "t38_pair"),
            "render" => ("render", "pdf_to_fax"),
            other => bail!("unknown benchmark {other:?}; known: {all:?}"),
        };
        let mut cmd = vec!["bench", "--package", package, "--bench", bench, "--"];
        if quick {
            cmd.push("--quick");
        }
        cargo(&cmd).with_context(|| format!("benchmark {name}"))?;
    }
    Ok(())
}

/// `cargo xtask golden --bless`: rewrites the expected images of the render crate's
/// golden corpus (and makes missing inputs) by running its test with
/// `FERROFAX_BLESS=1`; without `--bless` it just runs the test.
fn golden(args: &[String]) -> Result<()> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.args(["test", "--package", "render", "--test", "golden", "--", "--nocapture"]);
    if args.iter().any(|a| a == "--bless") {
        cmd.env("FERROFAX_BLESS", "1");
    }
    run(&mut cmd)
}

fn step(name: &str, result: Result<()>) -> Result<()> {
    result.with_context(|| format!("xtask step failed: {name}"))?;
    eprintln!("xtask: {name}: ok");
    Ok(())
}

fn nextest_available() -> bool {
    Command::new("cargo").args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success())
}

pub(crate) fn cargo(args: &[&str]) -> Result<()> {
    run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())).args(args))
}

pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd.status().with_context(|| format!("could not start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}
