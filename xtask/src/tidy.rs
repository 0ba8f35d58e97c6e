//! Architecture rules that the compiler cannot check.
//!
//! - A crate under `libs/` is a pure core: it must not depend, directly or through
//!   another crate, on an async runtime, a database driver, a web framework, or any
//!   service crate under `crates/`.
//! - Every crate's folder name is its package name, and every crate inherits the
//!   workspace lints.
//! - Every crate under `libs/` forbids `unsafe` at its root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Crates that a pure core must never pull in, directly or transitively.
const FORBIDDEN_IN_LIBS: &[&str] =
    &["tokio", "async-std", "smol", "sqlx", "axum", "hyper", "tower", "reqwest", "object_store", "lettre"];

pub(crate) fn run(root: &Path) -> Result<()> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(root)
        .output()
        .or_else(|_| Command::new("cargo").args(["metadata", "--format-version", "1"]).output())
        .context("cargo metadata")?;
    let output = if output.status.success() {
        output
    } else {
        // Offline or locked resolution can fail on a machine that has not fetched yet.
        Command::new("cargo").args(["metadata", "--format-version", "1"]).current_dir(root).output()?
    };
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)?;
    let problems = check(root, &metadata)?;
    if problems.is_empty() {
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    bail!("{} architecture rule(s) broken", problems.len())
}

fn check(root: &Path, metadata: &Value) -> Result<Vec<String>> {
    let root = root.canonicalize()?;
    let packages = metadata["packages"].as_array().context("packages")?;
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .context("workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();

    // Package id → (name, folder relative to the root; none for registry crates).
    let mut by_id = BTreeMap::new();
    for package in packages {
        let id = package["id"].as_str().unwrap_or_default();
        let name = package["name"].as_str().unwrap_or_default();
        let manifest = Path::new(package["manifest_path"].as_str().unwrap_or_default());
        let folder = manifest.parent().and_then(|dir| dir.strip_prefix(&root).ok()).map(Path::to_path_buf);
        by_id.insert(id, (name, folder));
    }

    // Normal and build dependency edges from the resolved graph.
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in metadata["resolve"]["nodes"].as_array().context("resolve.nodes")? {
        let id = node["id"].as_str().unwrap_or_default();
        let deps = node["deps"].as_array().map(Vec::as_slice).unwrap_or_default();
        for dep in deps {
            let kinds = dep["dep_kinds"].as_array().map(Vec::as_slice).unwrap_or_default();
            let runtime = kinds.iter().any(|k| k["kind"].is_null() || k["kind"] == "build");
            if runtime && let Some(pkg) = dep["pkg"].as_str() {
                edges.entry(id).or_default().push(pkg);
            }
        }
    }

    let mut problems = Vec::new();
    for id in &members {
        let Some((name, Some(folder))) = by_id.get(id) else { continue };
        let folder_name = folder.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if folder_name != *name && folder.as_os_str() != "" {
            problems.push(format!("{}: folder name differs from package name {name}", folder.display()));
        }
        let manifest = std::fs::read_to_string(root.join(folder).join("Cargo.toml"))?;
        if !manifest.contains("[lints]") || !manifest.contains("workspace = true") {
            problems.push(format!("{name}: add `[lints] workspace = true` to its Cargo.toml"));
        }
        if !folder.starts_with("libs") {
            continue;
        }
        let lib_rs = root.join(folder).join("src/lib.rs");
        if !std::fs::read_to_string(&lib_rs).unwrap_or_default().contains("#![forbid(unsafe_code)]") {
            problems.push(format!("{name}: libs/ crates must have #![forbid(unsafe_code)] in src/lib.rs"));
        }
        // Walk everything this core pulls in at run time.
        let mut seen = BTreeSet::new();
        let mut stack = vec![(*id, vec![*name])];
        while let Some((current, path)) = stack.pop() {
            for dep in edges.get(current).map(Vec::as_slice).unwrap_or_default() {
                if !seen.insert(*dep) {
                    continue;
                }
                let Some((dep_name, dep_folder)) = by_id.get(dep) else { continue };
                let mut dep_path = path.clone();
                dep_path.push(dep_name);
                if FORBIDDEN_IN_LIBS.contains(dep_name) {
                    problems.push(format!("{name} must stay pure but depends on {}", dep_path.join(" → ")));
                }
                if members.contains(dep) && dep_folder.as_ref().is_some_and(|f| !f.starts_with("libs")) {
                    problems.push(format!(
                        "{name} (libs/) depends on a crate outside libs/: {}",
                        dep_path.join(" → ")
                    ));
                }
                stack.push((dep, dep_path));
            }
        }
    }
    Ok(problems)
}
