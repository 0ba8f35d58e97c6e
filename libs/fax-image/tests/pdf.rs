//! PDF output read back by the reference readers, pixel for pixel.
//!
//! Poppler (`pdfimages`, `pdftoppm`) and Ghostscript (`gs`) are independent PDF and
//! CCITT implementations; both must give back exactly the pages that went in, at
//! standard and fine resolution and for a page of odd width and height. `qpdf
//! --check` validates the file structure. A missing tool fails the test, naming its
//! Debian package (`cargo xtask test` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use fax_image::pdf::{self, PdfMeta};
use fax_image::{Limits, Page, Resolution};

/// Runs a reference tool, failing loudly when it is not installed.
fn run(program: &str, package: &str, args: &[&str], cwd: &Path) {
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): install the Debian package {package}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Files in `dir` whose names start with `prefix`, in name order.
fn outputs(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    files.sort();
    files
}

/// Asserts that `got` has the pixels of `want`, naming the first differing row.
fn assert_same_pixels(reader: &str, index: usize, want: &Page, got: &Page) {
    assert_eq!(
        (got.width(), got.height()),
        (want.width(), want.height()),
        "{reader}: page {index} has the wrong size"
    );
    if let Some(row) = (0..want.height()).find(|&y| want.row(y) != got.row(y)) {
        panic!("{reader}: page {index} differs first in row {row}");
    }
}

/// Writes `pages` to a PDF and checks it with every reference reader; returns the
/// file's size.
fn check_with_references(name: &str, pages: &[Page]) -> usize {
    let resolution = pages[0].resolution();
    assert!(pages.iter().all(|p| p.resolution() == resolution), "one density per document");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let bytes = pdf::write(pages, &PdfMeta { title: Some(name.to_owned()), ..PdfMeta::default() }).unwrap();
    std::fs::write(path.join("doc.pdf"), &bytes).unwrap();
    let limits = Limits::default();

    run("qpdf", "qpdf", &["--check", "doc.pdf"], path);

    // The embedded images themselves, decoded by poppler's CCITT filter.
    run("pdfimages", "poppler-utils", &["-png", "doc.pdf", "img"], path);
    let images = outputs(path, "img");
    assert_eq!(images.len(), pages.len(), "pdfimages: one image per page");
    for (index, (want, file)) in pages.iter().zip(&images).enumerate() {
        let got = fax_image::png::read(&std::fs::read(file).unwrap(), resolution, &limits).unwrap();
        assert_same_pixels("pdfimages", index, want, &got);
    }

    // Whole pages rendered at the fax density: the image must land exactly on the
    // pixel grid, so the page size and placement are right too.
    let (rx, ry) = (resolution.x_dpi.to_string(), resolution.y_dpi.to_string());
    run("pdftoppm", "poppler-utils", &["-mono", "-rx", &rx, "-ry", &ry, "doc.pdf", "ppm"], path);
    let rendered = outputs(path, "ppm");
    assert_eq!(rendered.len(), pages.len(), "pdftoppm: one bitmap per page");
    for (index, (want, file)) in pages.iter().zip(&rendered).enumerate() {
        let got = fax_image::pbm::read(&std::fs::read(file).unwrap(), resolution, &limits).unwrap();
        assert_same_pixels("pdftoppm", index, want, &got[0]);
    }

    let gs_resolution = format!("-r{rx}x{ry}");
    run(
        "gs",
        "ghostscript",
        &[
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=pbmraw",
            &gs_resolution,
            "-sOutputFile=gs.pbm",
            "doc.pdf",
        ],
        path,
    );
    let got =
        fax_image::pbm::read(&std::fs::read(path.join("gs.pbm")).unwrap(), resolution, &limits).unwrap();
    assert_eq!(got.len(), pages.len(), "gs: one bitmap per page");
    for (index, (want, got)) in pages.iter().zip(&got).enumerate() {
        assert_same_pixels("gs", index, want, got);
    }

    eprintln!(
        "{name}: {} pages, {} bytes, {} bytes per page on average",
        pages.len(),
        bytes.len(),
        bytes.len() / pages.len()
    );
    bytes.len()
}

#[test]
fn itu_charts_at_fine_resolution() {
    let size = check_with_references("ITU charts, fine", fixtures::itu_charts());
    // Eight charts in G4 take about 300 kB; Flate-compressed pixels would take far
    // more, so a much larger file means the images are not in G4.
    assert!(size < 8 * 80_000, "{size} bytes");
}

#[test]
fn itu_charts_at_standard_resolution() {
    check_with_references("ITU charts, standard", fixtures::itu_charts_standard());
}

#[test]
fn page_of_odd_width_and_height() {
    // A pseudo-random pattern of runs: no row is like the one above it, so every
    // MMR mode is exercised, and neither side is a multiple of eight.
    let (width, height) = (1001_u32, 777_u32);
    let mut page = Page::new(width, height, Resolution::FINE, &Limits::default()).unwrap();
    let mut state: u32 = 0x2545_f491;
    for y in 0..height {
        let mut x = 0;
        let mut black = y % 3 == 0;
        while x < width {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let run = 1 + state % 40;
            for px in x..(x + run).min(width) {
                if black {
                    page.row_mut(y)[(px / 8) as usize] |= 0x80 >> (px % 8);
                }
            }
            x += run;
            black = !black;
        }
    }
    check_with_references("odd page", &[page]);
}

#[test]
fn mixed_densities_keep_their_physical_size() {
    // A standard and a fine page of the same sheet have the same MediaBox.
    let standard = fixtures::itu_charts_standard()[0].clone();
    let fine = fixtures::itu_charts()[0].clone();
    let bytes = pdf::write(&[standard, fine], &PdfMeta::default()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let boxes: Vec<&str> = text.match_indices("/MediaBox").map(|(at, _)| &text[at..at + 40]).collect();
    assert_eq!(boxes.len(), 2);
    let first = boxes[0].split(']').next().unwrap();
    let second = boxes[1].split(']').next().unwrap();
    assert_eq!(first, second);
}
