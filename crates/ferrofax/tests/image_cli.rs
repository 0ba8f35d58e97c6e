//! The `ferrofax image` commands, run as a person would run them.

use std::path::Path;
use std::process::Command;

fn ferrofax(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrofax")).args(args).output().expect("run ferrofax");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn chart(n: u32) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../../shared/testdata/itu/itu{n}.pbm"))
        .display()
        .to_string()
}

fn path(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).display().to_string()
}

#[test]
fn convert_through_every_format_and_coding_keeps_the_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(chart(2)).unwrap();
    for coding in ["none", "mh", "mr", "mmr"] {
        let tif = path(&dir, &format!("{coding}.tif"));
        let (ok, _, err) = ferrofax(&["image", "convert", &chart(2), &tif, "--compression", coding]);
        assert!(ok, "{coding}: {err}");
        let png = path(&dir, &format!("{coding}.png"));
        let (ok, _, err) = ferrofax(&["image", "convert", &tif, &png]);
        assert!(ok, "{coding}: {err}");
        let pbm = path(&dir, &format!("{coding}.pbm"));
        let (ok, _, err) = ferrofax(&["image", "convert", &png, &pbm, "--resolution", "fine"]);
        assert!(ok, "{coding}: {err}");
        // PBM → TIFF → PNG → PBM gives back the very bytes of the chart.
        assert_eq!(std::fs::read(&pbm).unwrap(), original, "{coding}");
    }
}

#[test]
fn multi_page_tiff_and_info() {
    let dir = tempfile::tempdir().unwrap();
    // Several P4 images in one file are several pages.
    let mut joined = Vec::new();
    for n in 1..=3 {
        joined.extend(std::fs::read(chart(n)).unwrap());
    }
    let pbm = path(&dir, "three.pbm");
    std::fs::write(&pbm, joined).unwrap();
    let tif = path(&dir, "three.tif");
    let (ok, _, err) =
        ferrofax(&["image", "convert", &pbm, &tif, "--compression", "mr", "--fill-order", "lsb"]);
    assert!(ok, "{err}");
    let (ok, out, err) = ferrofax(&["image", "info", &tif]);
    assert!(ok, "{err}");
    assert!(out.contains("3 page(s)"), "{out}");
    assert_eq!(out.matches("1728×2376").count(), 3, "{out}");
    assert_eq!(out.matches(" MR ").count(), 3, "{out}");
    assert!(out.contains("lsb"), "{out}");

    // One PNG per page.
    let png = path(&dir, "page.png");
    let (ok, _, err) = ferrofax(&["image", "convert", &tif, &png]);
    assert!(ok, "{err}");
    for n in 1..=3 {
        assert!(dir.path().join(format!("page-{n}.png")).exists());
    }
}

#[test]
fn info_reports_bad_rows_of_a_damaged_page() {
    let dir = tempfile::tempdir().unwrap();
    let tif = path(&dir, "mh.tif");
    let (ok, _, err) =
        ferrofax(&["image", "convert", &chart(1), &tif, "--compression", "mh", "--byte-align"]);
    assert!(ok, "{err}");
    // Damage the middle of the strip: the decoder must resynchronise and count.
    let mut bytes = std::fs::read(&tif).unwrap();
    for byte in &mut bytes[20_000..20_040] {
        *byte = 0xff;
    }
    std::fs::write(&tif, bytes).unwrap();
    let (ok, out, err) = ferrofax(&["image", "info", &tif]);
    assert!(ok, "{err}");
    let row = out.lines().find(|l| l.trim_start().starts_with("1 ")).expect("page row");
    let decoded_bad: u32 = row.split_whitespace().nth(7).unwrap().parse().unwrap();
    assert!((1..50).contains(&decoded_bad), "{out}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = path(&dir, "junk.tif");
    std::fs::write(&junk, b"II*\0\xff\xff\xff\x7f").unwrap();
    let (ok, _, err) = ferrofax(&["image", "info", &junk]);
    assert!(!ok);
    assert!(err.contains("not a readable TIFF"), "{err}");
    let (ok, _, err) = ferrofax(&["image", "convert", &chart(1), &path(&dir, "out.jpg")]);
    assert!(!ok);
    assert!(err.contains("unknown extension"), "{err}");
}
