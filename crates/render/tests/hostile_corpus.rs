//! Replays the committed corpus of the `document_open` fuzz target through
//! [`render::render`] with the target's own limits, so every seed and every input
//! that once found a bug is checked on every test run without cargo-fuzz.

use std::path::Path;
use std::time::Duration;

use render::office::OfficeOptions;
use render::{FaxResolution, Limits, Options};

/// The fuzz target's options (keep in step with `fuzz/fuzz_targets/document_open.rs`).
fn fuzz_options() -> Options {
    let limits = Limits {
        max_input_bytes: 1 << 20,
        max_pages: 3,
        max_page_pixels: 2_000_000,
        max_image_pixels: 1 << 20,
        max_image_side: 4096,
        max_image_alloc: 16 << 20,
        max_render_time: Some(Duration::from_secs(5)),
        ..Limits::DEFAULT
    };
    // A program path that cannot exist: Office documents fail with
    // `OfficeUnavailable` instead of starting LibreOffice.
    let office = OfficeOptions { program: Some("/nonexistent/soffice".into()), ..OfficeOptions::default() };
    Options { resolution: FaxResolution::Standard, limits, office, ..Options::default() }
}

#[test]
fn document_open_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/document_open");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{} has too few corpus files", dir.display());
    let mut seeds = 0;
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let data = std::fs::read(&path).expect("corpus file");
        let result = render::render(data, &fuzz_options());
        if let Ok(pages) = &result {
            assert!(!pages.is_empty() && pages.len() <= 3, "{name}: {} pages", pages.len());
            assert!(pages.iter().all(|p| p.width() == render::geometry::FAX_WIDTH), "{name}");
        }
        // The seeds are the golden corpus: valid documents that must render.
        if name.starts_with("seed-") {
            seeds += 1;
            assert!(result.is_ok(), "{name}: {result:?}");
        }
    }
    assert!(seeds >= 5, "only {seeds} seeds");
}
