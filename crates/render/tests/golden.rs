//! Golden corpus: small documents of every kind people fax, committed under
//! `tests/corpus/`, each rendered and checked for page count, geometry, legibility
//! against ghostscript, and against a stored expected image.
//!
//! - Inputs (`corpus/*.pdf`, `*.png`, `*.jpg`, `*.tif`) were made once by this file
//!   (the PDFs from the PostScript below through ghostscript's pdfwrite, the photos
//!   with the `image` crate, the fax TIFF from two ITU-T charts) and are committed,
//!   so a new ghostscript cannot change them under the tests.
//! - Expected images (`corpus/expected/<case>.tif`) are our own rendering at fine
//!   resolution on A4 in the case's mode, stored as MMR fax TIFF. A rendering may
//!   differ from its expected image in at most [`MAX_CHANGED`] of its pixels: enough
//!   for anti-aliasing noise after a renderer update, far too little for a lost line
//!   of text or a shifted page.
//! - Legibility: every PDF page is compared with ghostscript's
//!   `gs -sDEVICE=tiffg4 -r204x196 -dPDFFitPage` rendering (on 215 × 297 mm media,
//!   so that both fit pages to the same width) by the tolerant F1 score
//!   of `fixtures::legibility` (at least [`MIN_F1`]); the scanned photo, which
//!   ghostscript halftones with a screen and we with error diffusion, by the
//!   correlation of ink density in 16 × 16 cells (at least [`MIN_TONE`]). The form
//!   is the exception that shows the point of text mode: ghostscript halftones its
//!   grey fields into dot patterns, which we drop to white, so F1 is low (0.52) by
//!   design; what must hold is that everything we print is in ghostscript's page
//!   too (precision at least [`MIN_F1`]).
//! - Stored images are in text mode for every case, photos included: a threshold
//!   is stable under small renderer changes and codes small, where error diffusion
//!   would move thousands of dots on any change and make megabyte files. Auto
//!   mode's choice of halftoning for photos is checked separately.
//!
//! To regenerate deliberately, after a change that is meant to alter the output:
//! `FERROFAX_BLESS=1 cargo test -p render --test golden` (or `cargo xtask golden
//! --bless`) rewrites the expected images, and makes any input that is missing;
//! review the new images (`ferrofax image convert` makes PNGs) before committing.

use std::path::{Path, PathBuf};

use fax_image::tiff::{self, Compression, WriteOptions};
use fax_image::{Limits, Page};
use fixtures::legibility::{FAX_A4_MEDIA, compare, ghostscript_fax_on, tone_correlation};
use render::geometry::FAX_WIDTH;
use render::{FaxResolution, Mode, Options, Paper, render};

/// Largest fraction of pixels that may differ from the expected image.
const MAX_CHANGED: f64 = 0.002;
/// Smallest F1 against ghostscript for text and line art.
const MIN_F1: f64 = 0.95;
/// Smallest tone correlation against ghostscript for the scanned photo.
const MIN_TONE: f64 = 0.9;

struct Case {
    name: &'static str,
    file: &'static str,
    mode: Mode,
    pages: usize,
    /// Whether ghostscript can render it (PDFs), and how to compare.
    reference: Reference,
}

#[derive(Clone, Copy, PartialEq)]
enum Reference {
    LineArt,
    /// Line art on grey tints, which text mode drops on purpose.
    Tinted,
    Photo,
    None,
}

const CASES: &[Case] = &[
    Case { name: "text", file: "text.pdf", mode: Mode::Text, pages: 1, reference: Reference::LineArt },
    Case { name: "vector", file: "vector.pdf", mode: Mode::Text, pages: 1, reference: Reference::LineArt },
    Case { name: "scan", file: "scan.pdf", mode: Mode::Text, pages: 1, reference: Reference::Photo },
    Case { name: "form", file: "form.pdf", mode: Mode::Text, pages: 1, reference: Reference::Tinted },
    Case {
        name: "landscape",
        file: "landscape.pdf",
        mode: Mode::Text,
        pages: 1,
        reference: Reference::LineArt,
    },
    Case { name: "mixed", file: "mixed.pdf", mode: Mode::Text, pages: 3, reference: Reference::LineArt },
    Case { name: "png-photo", file: "photo.png", mode: Mode::Text, pages: 1, reference: Reference::None },
    Case { name: "jpeg-photo", file: "photo.jpg", mode: Mode::Text, pages: 1, reference: Reference::None },
    Case { name: "fax-tiff", file: "fax.tif", mode: Mode::Text, pages: 2, reference: Reference::None },
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn blessing() -> bool {
    std::env::var_os("FERROFAX_BLESS").is_some_and(|v| v == "1")
}

fn input(case: &Case) -> Vec<u8> {
    let path = corpus().join(case.file);
    if !path.exists() && blessing() {
        make_input(case.file, &path);
    }
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{}: {e} (inputs are committed; FERROFAX_BLESS=1 makes missing ones)", path.display())
    })
}

fn options(case: &Case) -> Options {
    Options { mode: case.mode, ..Options::default() }
}

#[test]
fn golden_corpus() {
    let mut failures = Vec::new();
    for case in CASES {
        let data = input(case);
        let pages = render(data, &options(case)).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(pages.len(), case.pages, "{}: page count", case.name);
        for page in &pages {
            if case.name != "fax-tiff" {
                assert_eq!((page.width(), page.height()), (FAX_WIDTH, 2292), "{}: geometry", case.name);
            }
        }
        let expected_path = corpus().join("expected").join(format!("{}.tif", case.name));
        if blessing() {
            std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
            let options = WriteOptions { compression: Compression::Mmr, ..WriteOptions::default() };
            std::fs::write(&expected_path, tiff::write(&pages, &options).unwrap()).unwrap();
            println!("{}: blessed {}", case.name, expected_path.display());
            continue;
        }
        let stored = std::fs::read(&expected_path).unwrap_or_else(|e| {
            panic!("{}: {e} (FERROFAX_BLESS=1 makes the expected images)", expected_path.display())
        });
        let expected: Vec<Page> =
            tiff::read(&stored, &Limits::default()).unwrap().into_iter().map(|p| p.page).collect();
        assert_eq!(expected.len(), pages.len(), "{}: expected page count", case.name);
        for (i, (ours, want)) in pages.iter().zip(&expected).enumerate() {
            assert_eq!(
                (ours.width(), ours.height()),
                (want.width(), want.height()),
                "{} page {i}",
                case.name
            );
            let changed = changed_fraction(ours, want);
            println!("{} page {i}: {:.5} of pixels differ from the expected image", case.name, changed);
            if changed > MAX_CHANGED {
                failures.push(format!("{} page {i}: {changed:.5} of pixels changed", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "differences beyond {MAX_CHANGED}: {failures:#?}");
}

fn changed_fraction(a: &Page, b: &Page) -> f64 {
    let differing: u64 = a.data().iter().zip(b.data()).map(|(x, y)| u64::from((x ^ y).count_ones())).sum();
    differing as f64 / (f64::from(a.width()) * f64::from(a.height()))
}

#[test]
fn legibility_against_ghostscript() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES.iter().filter(|c| c.reference != Reference::None) {
        let path = dir.path().join(case.file);
        std::fs::write(&path, input(case)).unwrap();
        let theirs = ghostscript_fax_on(&path, "204x196", FAX_A4_MEDIA);
        let mode = if case.reference == Reference::Photo { Mode::Photo } else { case.mode };
        let ours = render(input(case), &Options { mode, ..options(case) }).unwrap();
        assert_eq!(theirs.len(), ours.len(), "{}: pages", case.name);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a.width(), b.width(), "{} page {i}: width", case.name);
            assert!(
                a.height().abs_diff(b.height()) <= 2,
                "{} page {i}: {} vs {}",
                case.name,
                a.height(),
                b.height()
            );
            if case.reference == Reference::Photo {
                let tone = tone_correlation(a, b, 16);
                println!("{} page {i}: tone correlation with ghostscript {tone:.4}", case.name);
                assert!(tone >= MIN_TONE, "{} page {i}: tone {tone:.4} below {MIN_TONE}", case.name);
            } else {
                let c = compare(a, b);
                println!(
                    "{} page {i}: F1 {:.4} (precision {:.4}, recall {:.4}), agreement {:.5}",
                    case.name, c.f1, c.precision, c.recall, c.agreement
                );
                let (what, value) = if case.reference == Reference::Tinted {
                    ("precision", c.precision)
                } else {
                    ("F1", c.f1)
                };
                assert!(value >= MIN_F1, "{} page {i}: {what} {value:.4} below {MIN_F1}", case.name);
            }
        }
    }
}

#[test]
fn geometry_for_every_paper_and_resolution() {
    let mixed = CASES.iter().find(|c| c.name == "mixed").unwrap();
    for (paper, heights) in [(Paper::A4, [1146, 2292, 4572]), (Paper::Letter, [1078, 2156, 4301])] {
        for (resolution, height) in
            [FaxResolution::Standard, FaxResolution::Fine, FaxResolution::Superfine].into_iter().zip(heights)
        {
            let pages = render(input(mixed), &Options { paper, resolution, ..options(mixed) }).unwrap();
            assert_eq!(pages.len(), 3);
            for page in &pages {
                assert_eq!((page.width(), page.height()), (FAX_WIDTH, height), "{paper:?} {resolution:?}");
                assert_eq!(page.resolution(), resolution.resolution());
            }
        }
    }
}

#[test]
fn landscape_pages_are_turned() {
    // Both landscape pages carry a thick bar along their top edge: turned
    // counter-clockwise, it runs down the left side of the fax page.
    for (case, index) in [("landscape", 0), ("mixed", 2)] {
        let case = CASES.iter().find(|c| c.name == case).unwrap();
        let page = &render(input(case), &options(case)).unwrap()[index];
        let column_ink = |x0: u32, x1: u32| {
            let mut black = 0u64;
            for y in 400..1900 {
                for x in x0..x1 {
                    black += u64::from(page.pixel(x, y));
                }
            }
            black as f64 / (1500.0 * f64::from(x1 - x0))
        };
        assert!(column_ink(40, 60) > 0.95, "{}: left {}", case.name, column_ink(40, 60));
        assert!(column_ink(1670, 1690) < 0.05, "{}: right {}", case.name, column_ink(1670, 1690));
    }
}

#[test]
fn photos_are_halftoned_in_auto_mode_and_fax_pages_pass_through() {
    for name in ["png-photo", "jpeg-photo", "scan"] {
        let case = CASES.iter().find(|c| c.name == name).unwrap();
        let page = &render(input(case), &Options { mode: Mode::Auto, ..options(case) }).unwrap()[0];
        // Error diffusion leaves isolated dots: many more black/white transitions per
        // row than thresholded line art has.
        let transitions: u32 = (0..page.height())
            .step_by(7)
            .map(|y| (1..page.width()).filter(|&x| page.pixel(x, y) != page.pixel(x - 1, y)).count() as u32)
            .sum();
        println!("{name}: {transitions} transitions in sampled rows");
        assert!(transitions > 50_000, "{name}: {transitions}");
    }
    let fax = CASES.iter().find(|c| c.name == "fax-tiff").unwrap();
    let pages = render(input(fax), &options(fax)).unwrap();
    let charts = fixtures::itu_charts_standard();
    assert_eq!(pages[0], charts[0]);
    assert_eq!(pages[1], charts[3]);
}

// ---- making the inputs (only under FERROFAX_BLESS=1, when one is missing) ------------

fn make_input(file: &str, path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let bytes = match file {
        "photo.png" | "photo.jpg" => {
            let photo = synthetic_photo();
            let mut out = std::io::Cursor::new(Vec::new());
            let format =
                if file.ends_with("png") { image::ImageFormat::Png } else { image::ImageFormat::Jpeg };
            photo.write_to(&mut out, format).unwrap();
            out.into_inner()
        }
        "fax.tif" => {
            let charts = fixtures::itu_charts_standard();
            let options = WriteOptions { compression: Compression::Mmr, ..WriteOptions::default() };
            tiff::write(&[charts[0].clone(), charts[3].clone()], &options).unwrap()
        }
        pdf => ps_to_pdf(&match pdf {
            "text.pdf" => TEXT.to_owned(),
            "vector.pdf" => VECTOR.to_owned(),
            "scan.pdf" => SCAN.to_owned(),
            "form.pdf" => FORM.to_owned(),
            "landscape.pdf" => format!("%!PS\n{LANDSCAPE_BODY}"),
            "mixed.pdf" => MIXED.replace("%LANDSCAPE%", LANDSCAPE_BODY),
            other => panic!("no recipe for {other}"),
        }),
    };
    std::fs::write(path, bytes).unwrap();
}

fn ps_to_pdf(ps: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.ps"), ps).unwrap();
    let out = std::process::Command::new("gs")
        .current_dir(dir.path())
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-o", "out.pdf", "in.ps"])
        .output()
        .expect("ghostscript (Debian package ghostscript) makes the corpus PDFs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(dir.path().join("out.pdf")).unwrap()
}

/// A 480 × 360 colour "photograph": a sky gradient, a sun, hills and some texture.
fn synthetic_photo() -> image::DynamicImage {
    let img = image::RgbImage::from_fn(480, 360, |x, y| {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let sky = 255.0 - fy * 0.4;
        let sun = ((fx - 360.0).powi(2) + (fy - 80.0).powi(2)).sqrt() < 40.0;
        let hill = fy > 230.0 + 40.0 * (fx / 60.0).sin();
        let texture = ((fx * 0.31).sin() * (fy * 0.27).cos() * 20.0) as i32;
        let (r, g, b) = if sun {
            (255, 220, 80)
        } else if hill {
            (40 + texture.clamp(-30, 30), 110 + texture, 50)
        } else {
            ((sky * 0.6) as i32, (sky * 0.75) as i32, sky as i32)
        };
        image::Rgb([r.clamp(0, 255) as u8, g.clamp(0, 255) as u8, b.clamp(0, 255) as u8])
    });
    image::DynamicImage::ImageRgb8(img)
}

const TEXT: &str = r#"%!PS
<< /PageSize [595 842] >> setpagedevice
/Helvetica-Bold findfont 18 scalefont setfont
72 770 moveto (Ferrofax golden corpus: a letter) show
/Times-Roman findfont 11 scalefont setfont
/y 740 def
[ (Dear Ms Mustermann,) ()
  (thank you for your order of 23 November. The goods will leave our warehouse on)
  (Monday and reach you within three working days. Please find the invoice attached;)
  (the amount of 1,234.56 EUR is due within thirty days of receipt.)
  ()
  (Pack my box with five dozen liquor jugs. Sphinx of black quartz, judge my vow.)
  (ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 !?%&*()[])
  () (Kind regards,) () (Max Beispiel) ]
{ 72 y moveto show /y y 15 sub def } forall
/Courier findfont 9 scalefont setfont
72 500 moveto (Ref: FX-0042   Account: DE00 1234 5678 9012 3456 78   Date: 2026-11-23) show
/Helvetica findfont 7 scalefont setfont
72 80 moveto (Seven-point small print at the foot of the page must survive fine resolution.) show
showpage
"#;

const VECTOR: &str = r#"%!PS
<< /PageSize [595 842] >> setpagedevice
4 setlinewidth 297 600 150 0 360 arc stroke
2 setlinewidth 297 600 100 0 360 arc stroke
0 setgray 100 100 moveto 495 300 lineto 100 300 lineto closepath fill
0.25 setlinewidth 0 1 20 { 10 mul 60 add dup 720 moveto 535 exch 720 add 2 div 800 lineto stroke } for
8 setlinewidth 60 60 moveto 535 780 lineto stroke
1 setlinewidth 0 20 200 { dup 350 add 100 moveto 0 150 rlineto stroke } for
showpage
"#;

/// A scanned page: one 8-bit grey image, photo-like, covering most of the page.
const SCAN: &str = r#"%!PS
<< /PageSize [595 842] >> setpagedevice
/w 300 def /h 400 def /row w string def /y -1 def
gsave 50 60 translate 495 720 scale
w h 8 [w 0 0 h neg 0 h]
{ /y y 1 add def
  0 1 w 1 sub { /x exch def
    row x
      x 1.3 mul sin y 0.9 mul cos mul 60 mul 150 add
      x 150 sub dup mul y 200 sub dup mul add sqrt 0.6 mul sub
      y 40 mod 6 lt x 30 gt and x 270 lt and { 120 sub } if
      cvi 0 max 255 min put } for
  row } image
grestore
showpage
"#;

const FORM: &str = r#"%!PS
<< /PageSize [595 842] >> setpagedevice
/Helvetica-Bold findfont 16 scalefont setfont
72 780 moveto (Application form) show
/Helvetica findfont 10 scalefont setfont
/field { % label y
  /fy exch def /label exch def
  0.85 setgray 200 fy 320 24 rectfill
  0 setgray 72 fy 8 add moveto label show
  0.5 setlinewidth 200 fy 320 24 rectstroke } def
(Surname) 700 field (Given names) 660 field (Street) 620 field
(Postcode and town) 580 field (Telephone) 540 field (Fax number) 500 field
0 setgray 72 440 moveto (Please tick:) show
0 1 2 { /i exch def 0.9 setgray 200 i 90 mul add 436 14 14 rectfill
        0 setgray 200 i 90 mul add 436 14 14 rectstroke
        218 i 90 mul add 439 moveto [(Post) (Fax) (E-mail)] i get show } for
0.75 setgray 72 300 451 80 rectfill
0 setgray 80 360 moveto (For official use only) show
1 setlinewidth 72 200 moveto 300 200 lineto stroke 80 186 moveto (Date, signature) show
showpage
"#;

const LANDSCAPE_BODY: &str = r#"<< /PageSize [842 595] >> setpagedevice
0 555 842 40 rectfill
/Helvetica findfont 12 scalefont setfont
0 1 8 { /r exch def
  0 1 5 { /c exch def 60 c 120 mul add 500 r 45 mul sub moveto
    (Cell ) show r 48 add c 65 add 2 string dup 0 4 -1 roll put dup 1 4 -1 roll put show } for
  0.5 setlinewidth 50 488 r 45 mul sub moveto 790 488 r 45 mul sub lineto stroke } for
showpage
"#;

const MIXED: &str = r#"%!PS
<< /PageSize [595 842] >> setpagedevice
/Times-Roman findfont 24 scalefont setfont
72 700 moveto (Page one: A4 portrait) show 72 100 451 500 rectstroke showpage
<< /PageSize [612 792] >> setpagedevice
/Times-Roman findfont 24 scalefont setfont
72 650 moveto (Page two: US Letter portrait) show 72 100 468 450 rectstroke showpage
%LANDSCAPE%"#;
