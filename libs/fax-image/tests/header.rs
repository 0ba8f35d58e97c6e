//! Fax header lines: where the text lands at every resolution, what it clears, how it
//! is clipped, template expansion, and a golden rendering.
//!
//! The golden file `tests/golden/header-fine.pbm` is plain PBM, so a change to a glyph
//! shows up in review as a change of `0`s and `1`s. When a glyph is changed on
//! purpose, regenerate it with
//!
//! ```text
//! FERROFAX_BLESS=1 cargo test -p fax-image --test header
//! ```
//!
//! and look at the new rendering before committing it.

use std::path::Path;

use fax_image::header::{self, DEFAULT_TEMPLATE, HeaderFields, HeaderOptions, expand, stamp};
use fax_image::{
    BitOrder, Coding, DecodeOptions, EncodeOptions, Limits, Page, Resolution, decode, encode, font,
};

/// Every resolution a fax page can have, with a name for messages.
const RESOLUTIONS: [(&str, Resolution); 6] = [
    ("standard", Resolution::STANDARD),
    ("fine", Resolution::FINE),
    ("superfine", Resolution::SUPERFINE),
    ("r300", Resolution::R300),
    ("r400", Resolution::R400),
    ("r16-superfine", Resolution::R16_SUPERFINE),
];

fn fields() -> HeaderFields {
    HeaderFields {
        date: "2024-05-17".into(),
        time: "14:03".into(),
        tz: "CET".into(),
        from: "Müller & Söhne".into(),
        from_number: "+49 30 1234567".into(),
        to: "+33 1 23 45 67 89".into(),
        page: 2,
        pages: Some(3),
    }
}

/// A white page 215 mm wide (the T.4 scan width) and `height` rows tall.
fn blank(resolution: Resolution, height: u32) -> Page {
    let width = u32::from(resolution.x_dpi) * 2150 / 254;
    Page::new(width, height, resolution, &Limits::default()).unwrap()
}

/// The bounding box of the black pixels: (left, top, right, bottom), inclusive.
fn ink_box(page: &Page) -> Option<(u32, u32, u32, u32)> {
    let mut found: Option<(u32, u32, u32, u32)> = None;
    for y in 0..page.height() {
        for x in 0..page.width() {
            if page.pixel(x, y) {
                found = Some(match found {
                    None => (x, y, x, y),
                    Some((l, t, r, b)) => (l.min(x), t.min(y), r.max(x), b.max(y)),
                });
            }
        }
    }
    found
}

/// Whether the padding bits at the end of every row are still zero.
fn padding_is_clear(page: &Page) -> bool {
    let rewrapped = Page::from_packed(
        page.width(),
        page.height(),
        page.resolution(),
        page.data().to_vec(),
        &Limits::default(),
    )
    .unwrap();
    rewrapped == *page
}

#[test]
fn ink_stays_inside_the_band_at_every_resolution() {
    let text = expand(DEFAULT_TEMPLATE, &fields());
    let options = HeaderOptions::default();
    for (name, resolution) in RESOLUTIONS {
        let mut page = blank(resolution, 400);
        stamp(&mut page, &text, &options).unwrap();
        let (left, top, right, bottom) = ink_box(&page).unwrap_or_else(|| panic!("{name}: no ink"));
        let band = options.band_height(resolution);
        assert!(left >= options.left_margin_at(resolution), "{name}: ink left of the margin");
        assert!(top >= options.top_offset_at(resolution), "{name}: ink above the top offset");
        assert!(bottom < band, "{name}: ink in row {bottom}, below the band of {band} rows");
        assert!(right < page.width(), "{name}");
        assert!(padding_is_clear(&page), "{name}");

        // The same physical size everywhere: a cell between 1.3 and 2.8 mm tall and
        // 0.6 and 1.4 mm wide (2.07 × 1.0 mm at fine).
        let height_mm = f64::from(header::text_height(resolution)) * 25.4 / f64::from(resolution.y_dpi);
        let width_mm = f64::from(header::char_width(resolution)) * 25.4 / f64::from(resolution.x_dpi);
        assert!((1.3..=2.8).contains(&height_mm), "{name}: text {height_mm:.2} mm tall");
        assert!((0.6..=1.4).contains(&width_mm), "{name}: cells {width_mm:.2} mm wide");
        // Ink never spans more than one cell's height.
        assert!(bottom - top < header::text_height(resolution), "{name}");
    }
}

#[test]
fn scaled_text_matches_fine_text() {
    // At superfine every fine row is doubled; at standard pairs of rows are merged.
    let text = "Grüße 0123 Élodie gjpqy";
    let options = HeaderOptions { left_margin: Some(0), top_offset: Some(0), clear_band: true };
    let render = |resolution| {
        let mut page = Page::new(8 * 24, 40, resolution, &Limits::default()).unwrap();
        stamp(&mut page, text, &options).unwrap();
        page
    };
    let fine = render(Resolution::FINE);
    let superfine = render(Resolution::SUPERFINE);
    let standard = render(Resolution::STANDARD);
    for y in 0..32 {
        assert_eq!(superfine.row(y), fine.row(y / 2), "superfine row {y}");
    }
    for y in 0..8 {
        let merged: Vec<u8> = fine.row(2 * y).iter().zip(fine.row(2 * y + 1)).map(|(a, b)| a | b).collect();
        assert_eq!(standard.row(y), &merged[..], "standard row {y}");
    }
    // At 400 × 400 columns are doubled too.
    let r400 = {
        let mut page = Page::new(16 * 24, 40, Resolution::R400, &Limits::default()).unwrap();
        stamp(&mut page, text, &options).unwrap();
        page
    };
    for y in 0..32 {
        for x in 0..r400.width() {
            assert_eq!(r400.pixel(x, y), fine.pixel(x / 2, y / 2), "r400 ({x}, {y})");
        }
    }
}

#[test]
fn the_band_is_cleared_and_nothing_below_it_changes() {
    for (name, resolution) in RESOLUTIONS {
        let white = {
            let mut page = blank(resolution, 200);
            stamp(&mut page, "P.1/1", &HeaderOptions::default()).unwrap();
            page
        };
        let black = vec![0xff; white.data().len()];
        let mut page =
            Page::from_packed(white.width(), white.height(), resolution, black, &Limits::default()).unwrap();
        stamp(&mut page, "P.1/1", &HeaderOptions::default()).unwrap();
        let band = HeaderOptions::default().band_height(resolution);
        for y in 0..page.height() {
            if y < band {
                assert_eq!(page.row(y), white.row(y), "{name}: band row {y}");
            } else {
                assert!(
                    (0..page.width()).all(|x| page.pixel(x, y)),
                    "{name}: row {y} below the band was touched"
                );
            }
        }
    }
}

#[test]
fn without_clearing_existing_ink_is_kept() {
    let mut page = blank(Resolution::FINE, 60);
    for y in (0..60).step_by(3) {
        for x in (0..page.width()).step_by(5) {
            page.set_pixel(x, y, true);
        }
    }
    let before = page.clone();
    let options = HeaderOptions { clear_band: false, ..HeaderOptions::default() };
    stamp(&mut page, "KEEP THE LETTERHEAD", &options).unwrap();
    assert!(page.black_pixels() > before.black_pixels());
    for (after, was) in page.data().iter().zip(before.data()) {
        assert_eq!(after & was, *was, "a black pixel was whitened");
    }
}

#[test]
fn long_text_is_cut_at_the_right_edge() {
    // An odd width, so the last byte of each row has padding bits.
    let mut page = Page::new(203, 30, Resolution::FINE, &Limits::default()).unwrap();
    let options = HeaderOptions { left_margin: Some(3), top_offset: Some(2), clear_band: true };
    let text = "W".repeat(100_000);
    stamp(&mut page, &text, &options).unwrap();
    assert!(padding_is_clear(&page));
    let (_, _, right, _) = ink_box(&page).unwrap();
    // The 26th W (3 + 25 × 8 = 203) would start past the edge; the 25th starts at
    // column 195 and its ink reaches to column 201.
    assert_eq!(right, 201);
    assert_eq!(header::fitting_chars(203, Resolution::FINE, &options), 25);

    // A page just one pixel narrower cuts the last W through its right stem.
    let mut narrow = Page::new(201, 30, Resolution::FINE, &Limits::default()).unwrap();
    stamp(&mut narrow, &text, &options).unwrap();
    assert!(padding_is_clear(&narrow));
    for y in 0..30 {
        for x in 0..201 {
            assert_eq!(narrow.pixel(x, y), page.pixel(x, y), "({x}, {y})");
        }
    }
}

#[test]
fn odd_pages_and_options_never_panic() {
    let text = "14:03 FROM: Ferrofax \u{7} € \u{10ffff}";
    let resolutions = [
        Resolution::FINE,
        Resolution { x_dpi: 0, y_dpi: 0 },
        Resolution { x_dpi: 1, y_dpi: 1 },
        Resolution { x_dpi: u16::MAX, y_dpi: u16::MAX },
    ];
    let offsets = [None, Some(0), Some(1), Some(7), Some(u32::MAX - 1), Some(u32::MAX)];
    for resolution in resolutions {
        for (width, height) in [(1, 1), (7, 3), (9, 17), (64, 64)] {
            for left_margin in offsets {
                for top_offset in offsets {
                    for clear_band in [false, true] {
                        let mut page = Page::new(width, height, resolution, &Limits::default()).unwrap();
                        let options = HeaderOptions { left_margin, top_offset, clear_band };
                        stamp(&mut page, text, &options).unwrap();
                        stamp(&mut page, "", &options).unwrap();
                        assert!(padding_is_clear(&page));
                    }
                }
            }
        }
    }
}

#[test]
fn every_character_renders() {
    let options = HeaderOptions { left_margin: Some(0), top_offset: Some(0), clear_band: true };
    for (name, resolution) in RESOLUTIONS {
        for c in font::chars().chain(['€', '\u{fffd}', '\u{1f4e0}']) {
            let mut page = Page::new(16, 32, resolution, &Limits::default()).unwrap();
            stamp(&mut page, &c.to_string(), &options).unwrap();
            assert_eq!(page.black_pixels() == 0, c == ' ', "{name}: {c:?}");
        }
    }
    // Characters the font lacks are all drawn as the same visible box.
    let render = |text: &str| {
        let mut page = Page::new(64, 16, Resolution::FINE, &Limits::default()).unwrap();
        stamp(&mut page, text, &options).unwrap();
        page
    };
    assert_eq!(render("€"), render("\u{1f4e0}"));
    assert_ne!(render("€"), render("?"));
}

#[test]
fn tabs_and_newlines_become_spaces() {
    let options = HeaderOptions::default();
    let render = |text: &str| {
        let mut page = blank(Resolution::FINE, 40);
        stamp(&mut page, text, &options).unwrap();
        page
    };
    assert_eq!(render("FROM:\tA\nB\r\nC"), render("FROM: A B  C"));
}

#[test]
fn expand_fills_every_field() {
    let fields = fields();
    assert_eq!(
        expand(DEFAULT_TEMPLATE, &fields),
        "2024-05-17 14:03 CET  FROM: Müller & Söhne +49 30 1234567  TO: +33 1 23 45 67 89  P.2/3"
    );
    for (template, expected) in [
        ("{date}", "2024-05-17"),
        ("{time}", "14:03"),
        ("{tz}", "CET"),
        ("{from}", "Müller & Söhne"),
        ("{from_number}", "+49 30 1234567"),
        ("{to}", "+33 1 23 45 67 89"),
        ("{page}", "2"),
        ("{pages}", "3"),
        ("{page}{page}", "22"),
    ] {
        assert_eq!(expand(template, &fields), expected, "{template}");
    }
    let unknown_total = HeaderFields { pages: None, ..fields };
    assert_eq!(expand("P.{page}/{pages}", &unknown_total), "P.2/?");
    assert_eq!(expand("", &HeaderFields::default()), "");
}

#[test]
fn expand_leaves_everything_else_as_written() {
    let fields = HeaderFields { date: "D".into(), from: "{date}".into(), ..HeaderFields::default() };
    for (template, expected) in [
        ("{unknown} {Date} {date }", "{unknown} {Date} {date }"),
        ("{{date}} {{{date}}}", "{date} {D}"),
        ("a } b { c", "a } b { c"),
        ("{", "{"),
        ("}", "}"),
        ("{date", "{date"),
        ("{a{date}", "{aD"),
        ("{}", "{}"),
        ("{ü}{date}", "{ü}D"),
        // Values are inserted as they are, never expanded again.
        ("{from}", "{date}"),
        ("Straße {date}", "Straße D"),
    ] {
        assert_eq!(expand(template, &fields), expected, "{template}");
    }
}

#[test]
fn stamped_pages_still_round_trip_through_mmr() {
    for (name, resolution) in RESOLUTIONS {
        let mut page = blank(resolution, 300);
        // Some content under and below the header, so the coder sees both.
        for y in 0..page.height() {
            for x in 0..page.width() {
                if (x / 7 + y / 5) % 9 == 0 {
                    page.set_pixel(x, y, true);
                }
            }
        }
        stamp(&mut page, &expand(DEFAULT_TEMPLATE, &fields()), &HeaderOptions::default()).unwrap();
        let coded = encode(&page, &EncodeOptions::tiff_g4()).unwrap();
        let options = DecodeOptions {
            rows: Some(page.height()),
            ..DecodeOptions::new(Coding::Mmr, BitOrder::MsbFirst, page.width(), page.height())
        };
        let (decoded, report) = decode(&coded, &options, resolution, &Limits::default()).unwrap();
        assert_eq!(report.bad_rows, 0, "{name}");
        assert!(decoded == page, "{name}: MMR round trip changed the page");
    }
}

#[test]
fn golden_rendering_at_fine() {
    const TEXT: &str = "0123456789 ABC xyz ÄÖÜß";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/header-fine.pbm");
    let options = HeaderOptions { left_margin: Some(8), top_offset: Some(4), clear_band: true };
    let mut page = Page::new(8 + 8 * 23 + 8, 28, Resolution::FINE, &Limits::default()).unwrap();
    stamp(&mut page, TEXT, &options).unwrap();

    if std::env::var_os("FERROFAX_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, plain_pbm(&page, TEXT)).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let data = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with FERROFAX_BLESS=1 to create it", path.display()));
    let golden = fax_image::pbm::read(&data, Resolution::FINE, &Limits::default()).unwrap().remove(0);
    if golden != page {
        let actual = std::env::temp_dir().join("ferrofax-header-fine.actual.pbm");
        std::fs::write(&actual, plain_pbm(&page, TEXT)).unwrap();
        panic!(
            "the rendering differs from {}; the new one is in {}. If the change is \
             intended, regenerate with FERROFAX_BLESS=1",
            path.display(),
            actual.display()
        );
    }
}

/// Plain (P1) PBM, one line per row, so that the file shows the glyphs as text.
fn plain_pbm(page: &Page, text: &str) -> String {
    let mut out = format!(
        "P1\n# fax-image header golden: {text:?} at fine resolution.\n\
         # Regenerate with FERROFAX_BLESS=1 cargo test -p fax-image --test header\n{} {}\n",
        page.width(),
        page.height()
    );
    for y in 0..page.height() {
        out.extend((0..page.width()).map(|x| if page.pixel(x, y) { '1' } else { '0' }));
        out.push('\n');
    }
    out
}
