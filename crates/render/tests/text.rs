//! Plain text to fax pages: glyphs for German and Japanese, tabs, form feeds,
//! wrapping, page breaks, limits, and stored expected images
//! (`corpus/expected/text-*.tif`; regenerate with
//! `FERROFAX_BLESS=1 cargo test -p render --test text` and review).
//!
//! Positions are computed from the layout constants the `text` module publishes
//! (margins, font size, line spacing) and the advance widths of the fonts (DejaVu
//! Sans Mono: 1233/2048 em; Noto Sans CJK: 1 em), so a change of layout shows up here
//! as a failure, not as a silently moved expectation.

use std::path::{Path, PathBuf};

use fax_image::tiff::{self, Compression, WriteOptions};
use fax_image::{Limits as PageLimits, Page};
use render::fonts::{mm, points};
use render::text::{
    self, FONT_SIZE_PT, LINE_SPACING, MARGIN_LEFT_MM, MARGIN_RIGHT_MM, MARGIN_TOP_MM, MONO_ADVANCE_EM,
};
use render::{Error, FaxResolution, Limits, Options, Paper};

/// Largest fraction of pixels that may differ from an expected image.
const MAX_CHANGED: f64 = 0.002;

/// Width of one monospaced column in grid pixels (204 dpi): hinting rounds the
/// advance to whole pixels.
fn column() -> f64 {
    f64::from(points(FONT_SIZE_PT) * MONO_ADVANCE_EM).round()
}

fn line_height() -> f64 {
    f64::from(points(FONT_SIZE_PT) * LINE_SPACING)
}

/// Rows of the page that line `line` (from 0) occupies, at the page's density.
fn line_rows(page: &Page, line: usize) -> (u32, u32) {
    let scale = f64::from(page.resolution().y_dpi) / 204.0;
    let top = f64::from(mm(MARGIN_TOP_MM)) + line as f64 * line_height();
    ((top * scale).floor() as u32, ((top + line_height()) * scale).ceil() as u32)
}

/// Columns of the page that text columns `from..to` occupy.
fn column_span(from: f64, to: f64) -> (u32, u32) {
    let left = f64::from(mm(MARGIN_LEFT_MM));
    ((left + from * column()).round() as u32, (left + to * column()).round() as u32)
}

fn ink(page: &Page, (x0, x1): (u32, u32), (y0, y1): (u32, u32)) -> u64 {
    (y0..y1.min(page.height()))
        .map(|y| (x0..x1.min(page.width())).filter(|&x| page.pixel(x, y)).count() as u64)
        .sum()
}

/// The bitmap of one cell, inset by two pixels so neighbours do not bleed in.
fn cell(page: &Page, (x0, x1): (u32, u32), (y0, y1): (u32, u32)) -> Vec<bool> {
    (y0..y1).flat_map(|y| (x0 + 2..x1 - 2).map(move |x| page.pixel(x, y))).collect()
}

fn render_text(text: &str, options: &Options) -> Vec<Page> {
    text::render(text.as_bytes(), options).unwrap_or_else(|e| panic!("{e}"))
}

fn fine() -> Options {
    Options::default()
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Compares pages with a stored expected image, or stores them when blessing.
fn check_expected(name: &str, pages: &[Page]) {
    let path = corpus().join("expected").join(format!("{name}.tif"));
    if std::env::var_os("FERROFAX_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let write = WriteOptions { compression: Compression::Mmr, ..WriteOptions::default() };
        std::fs::write(&path, tiff::write(pages, &write).unwrap()).unwrap();
        return;
    }
    let stored = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (FERROFAX_BLESS=1 makes it)", path.display()));
    let expected: Vec<Page> =
        tiff::read(&stored, &PageLimits::default()).unwrap().into_iter().map(|p| p.page).collect();
    assert_eq!(expected.len(), pages.len(), "{name}: page count");
    for (i, (ours, want)) in pages.iter().zip(&expected).enumerate() {
        assert_eq!((ours.width(), ours.height()), (want.width(), want.height()), "{name} page {i}");
        let differing: u64 =
            ours.data().iter().zip(want.data()).map(|(a, b)| u64::from((a ^ b).count_ones())).sum();
        let changed = differing as f64 / (f64::from(ours.width()) * f64::from(ours.height()));
        println!("{name} page {i}: {changed:.5} of pixels differ from the expected image");
        assert!(changed <= MAX_CHANGED, "{name} page {i}: {changed:.5} of pixels changed");
    }
}

const GERMAN: &str = "Grüße äöüß ÄÖÜ";
const JAPANESE: &str = "日本語のテキスト";

#[test]
fn german_and_japanese_have_real_glyphs() {
    // Line 0 German, line 1 Japanese, line 2 a private-use character no font has,
    // which shows what a missing glyph ("tofu") looks like.
    let text = format!("{GERMAN}\n{JAPANESE}\n\u{e000}\u{e000}\n");
    let pages = render_text(&text, &fine());
    assert_eq!(pages.len(), 1);
    let page = &pages[0];

    // Every German letter (not the spaces) has ink in its own column.
    let rows = line_rows(page, 0);
    let mut german_cells = Vec::new();
    for (i, c) in GERMAN.chars().enumerate() {
        let span = column_span(i as f64, i as f64 + 1.0);
        let black = ink(page, span, rows);
        if c == ' ' {
            assert_eq!(black, 0, "space at column {i} has ink");
        } else {
            assert!(black > 40, "{c:?} at column {i}: only {black} black pixels");
            german_cells.push((c, cell(page, span, rows)));
        }
    }
    // The umlauts differ from each other and from their base letters' dots: ä ≠ ö ≠ ü.
    let find = |c: char| german_cells.iter().find(|(d, _)| *d == c).map(|(_, b)| b.clone()).unwrap();
    assert_ne!(find('ä'), find('ö'));
    assert_ne!(find('ö'), find('ü'));
    assert_ne!(find('ß'), find('ü'));

    // Japanese characters are two columns wide each.
    let rows = line_rows(page, 1);
    let cjk: Vec<Vec<bool>> = (0..JAPANESE.chars().count())
        .map(|i| {
            let span = column_span(2.0 * i as f64, 2.0 * i as f64 + 2.0);
            let black = ink(page, span, rows);
            assert!(black > 60, "Japanese character {i}: only {black} black pixels");
            cell(page, span, rows)
        })
        .collect();
    let tofu = cell(page, column_span(0.0, 2.0), line_rows(page, 2));
    let tofu_half = cell(page, column_span(0.0, 1.0), line_rows(page, 2));
    for (i, a) in cjk.iter().enumerate() {
        assert_ne!(a, &tofu, "Japanese character {i} is a missing-glyph box");
    }
    // Eight different characters draw eight different shapes (missing-glyph boxes
    // would all be equal).
    let distinct: std::collections::HashSet<&Vec<bool>> = cjk.iter().collect();
    assert_eq!(distinct.len(), JAPANESE.chars().count());
    // The missing glyph itself is not invisible either, so it cannot hide in a
    // German cell.
    for (c, bitmap) in &german_cells {
        assert_ne!(bitmap, &tofu_half, "{c:?} drew as a missing glyph");
    }

    check_expected("text-de-ja-fine", &pages);
}

#[test]
fn legible_at_standard_resolution() {
    let options = Options { resolution: FaxResolution::Standard, ..fine() };
    let text = format!("{GERMAN}\n{JAPANESE}\nThe quick brown fox jumps over the lazy dog. 0123456789\n");
    let pages = render_text(&text, &options);
    let page = &pages[0];
    assert_eq!((page.width(), page.height()), (1728, 1146));
    // At 98 lines per inch a line is about 16 rows; every letter still has ink, and
    // the counters of o, e and a stay open (their centres are white).
    let rows = line_rows(page, 2);
    assert!(rows.1 - rows.0 >= 16, "{rows:?}");
    for (i, c) in "The quick brown fox".chars().enumerate() {
        // Inset by two pixels: a letter's side bearing may be a pixel into the next cell.
        let (x0, x1) = column_span(i as f64, i as f64 + 1.0);
        let black = ink(page, (x0 + 2, x1 - 2), rows);
        assert_eq!(black == 0, c == ' ', "{c:?} at column {i}: {black} black pixels");
    }
    check_expected("text-de-ja-standard", &pages);
}

#[test]
fn tabs_advance_to_eight_column_stops() {
    let pages = render_text("a\tb\n12345678\tc\n日本\td\n", &fine());
    let page = &pages[0];
    let has_ink = |line: usize, col: usize| {
        ink(page, column_span(col as f64, col as f64 + 1.0), line_rows(page, line)) > 0
    };
    assert!(has_ink(0, 0) && has_ink(0, 8));
    assert!((1..8).all(|c| !has_ink(0, c)), "the tab's columns are blank");
    assert!(has_ink(1, 7) && has_ink(1, 16) && (8..16).all(|c| !has_ink(1, c)));
    // 日本 fills columns 0–3; the tab goes to column 8.
    assert!(has_ink(2, 3) && has_ink(2, 8) && (4..8).all(|c| !has_ink(2, c)));
}

#[test]
fn form_feeds_start_pages() {
    assert_eq!(render_text("one\u{c}two\u{c}three", &fine()).len(), 3);
    // A closing form feed adds no blank page; two in a row make one on purpose.
    assert_eq!(render_text("one\u{c}", &fine()).len(), 1);
    let pages = render_text("one\u{c}\u{c}three\r\n", &fine());
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[1].black_pixels(), 0);
    assert!(pages[0].black_pixels() > 0 && pages[2].black_pixels() > 0);
}

#[test]
fn wrapping_keeps_every_character() {
    let page_right = 1728 - mm(MARGIN_RIGHT_MM).round() as u32;
    let columns = ((f64::from(page_right) - f64::from(mm(MARGIN_LEFT_MM))) / column()).floor() as usize;
    assert!(columns >= 80, "{columns} columns");
    // One line of 30 numbered words, each 6 columns plus a space: 210 columns.
    let words: Vec<String> = (0..30).map(|i| format!("w{i:04}x")).collect();
    let long = words.join(" ");
    let wrapped = &render_text(&long, &fine())[0];
    // The same words with explicit line breaks where a word-wrapping typewriter
    // would put them.
    let per_line = (columns + 1) / 7;
    let broken: Vec<String> = words.chunks(per_line).map(|c| c.join(" ")).collect();
    let reference = &render_text(&broken.join("\n"), &fine())[0];
    let lines_with_ink =
        |page: &Page| (0..10).filter(|&l| ink(page, (0, 1728), line_rows(page, l)) > 0).count();
    assert_eq!(lines_with_ink(wrapped), broken.len(), "the long line wraps into more rows");
    assert!(broken.len() >= 3);
    assert_eq!(wrapped.black_pixels(), reference.black_pixels(), "no character lost or added");
    // Nothing runs into the right margin.
    assert_eq!(ink(wrapped, (page_right + 1, 1728), (0, wrapped.height())), 0);

    // A word longer than a line is broken between characters, not cut off: count
    // the x's as separate runs of inked columns on each line (each x is narrower
    // than its column).
    let word = "x".repeat(2 * columns + 5);
    let page = &render_text(&word, &fine())[0];
    assert_eq!(lines_with_ink(page), 3);
    let glyphs: usize = (0..3).map(|line| ink_runs(page, line_rows(page, line))).sum();
    assert_eq!(glyphs, word.len(), "every x drawn");
}

/// Runs of consecutive columns with ink between rows `y0..y1`.
fn ink_runs(page: &Page, (y0, y1): (u32, u32)) -> usize {
    let inked: Vec<bool> = (0..page.width()).map(|x| (y0..y1).any(|y| page.pixel(x, y))).collect();
    inked.windows(2).filter(|w| w[1] && !w[0]).count() + usize::from(inked.first() == Some(&true))
}

#[test]
fn long_text_breaks_into_pages() {
    for (paper, resolution) in [(Paper::A4, FaxResolution::Fine), (Paper::Letter, FaxResolution::Standard)] {
        let options = Options { paper, resolution, ..fine() };
        // Lines per page from the layout constants: the paper height less the top and
        // bottom margins, divided by the line height (63 on A4, 58 on Letter).
        let height_mm = paper.size_mm().1 as f32;
        let usable = mm(height_mm).round() - mm(MARGIN_TOP_MM) - mm(text::MARGIN_BOTTOM_MM);
        let per_page = (f64::from(usable) / line_height()).floor() as usize;
        assert!((50..70).contains(&per_page), "{per_page}");
        let lines = |n: usize| (1..=n).map(|i| format!("line {i}")).collect::<Vec<_>>().join("\n");
        assert_eq!(render_text(&lines(per_page), &options).len(), 1, "{paper:?}: a full page");
        let pages = render_text(&lines(per_page + 1), &options);
        assert_eq!(pages.len(), 2, "{paper:?}: one more line, one more page");
        // The second page holds only the last line.
        assert!(ink(&pages[1], (0, 1728), line_rows(&pages[1], 0)) > 0);
        assert_eq!(ink(&pages[1], (0, 1728), (line_rows(&pages[1], 1).0, pages[1].height())), 0);
        assert_eq!(render_text(&lines(3 * per_page + 1), &options).len(), 4);
    }
}

#[test]
fn limits_and_bad_text() {
    let options = Options { limits: Limits { max_text_bytes: 100, ..Limits::default() }, ..fine() };
    assert!(matches!(
        text::render(&[b'a'; 101], &options),
        Err(Error::TextTooLarge { bytes: 101, max: 100 })
    ));
    let options = Options { limits: Limits { max_pages: 2, ..Limits::default() }, ..fine() };
    assert!(matches!(text::render(b"1\x0c2\x0c3", &options), Err(Error::TooManyPages { pages: 3, max: 2 })));
    assert!(matches!(text::render(b" \n\t\r\n\x0c\n", &fine()), Err(Error::TextBlank)));
    assert!(matches!(text::render(b"ok \xff", &fine()), Err(Error::TextNotUtf8 { valid_up_to: 3 })));
    // Through the front door: sniffed as text, rendered; empty input is refused.
    assert_eq!(render::render(b"\xef\xbb\xbfHallo Welt\r\n".to_vec(), &fine()).unwrap().len(), 1);
    assert!(matches!(render::render(Vec::new(), &fine()), Err(Error::Empty)));
}
