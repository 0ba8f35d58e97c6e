//! Legibility against the reference renderer: our page versus ghostscript's
//! `tiffg4` rendering of the same PDF page (the device HylaFAX uses).
//!
//! The two renderers anti-alias and round differently, so pixel-exact equality is
//! not expected. The measure is the tolerant F1 score of black pixels: precision is
//! the fraction of our black pixels with a ghostscript black pixel within one pixel
//! (3 × 3 neighbourhood), recall the same the other way round, F1 their harmonic
//! mean. Before measuring, the two pages are aligned by the shift that best matches
//! their row and column ink profiles (ghostscript pads its 1686-pixel A4 raster to
//! 1728 on one side; we centre it). The threshold: F1 ≥ 0.95 on text and on vector
//! art, and plain pixel agreement ≥ 0.99.

mod common;

use common::{TEXT_PAGE, VECTOR_PAGE, gs, ps_to_pdf};
use fax_image::Page;
use render::Options;

const MIN_F1: f64 = 0.95;
const MIN_AGREEMENT: f64 = 0.99;

fn ghostscript_page(pdf: &[u8]) -> Page {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.pdf"), pdf).unwrap();
    gs(
        dir.path(),
        &["-sDEVICE=tiffg4", "-r204x196", "-sPaperSize=a4", "-dPDFFitPage", "-o", "out.tif", "in.pdf"],
    );
    let tif = std::fs::read(dir.path().join("out.tif")).unwrap();
    fax_image::tiff::read(&tif, &fax_image::Limits::default()).unwrap().remove(0).page
}

fn profile(page: &Page, by_row: bool) -> Vec<f64> {
    let n = if by_row { page.height() } else { page.width() };
    let mut out = vec![0.0; n as usize];
    for y in 0..page.height() {
        for x in 0..page.width() {
            if page.pixel(x, y) {
                out[if by_row { y } else { x } as usize] += 1.0;
            }
        }
    }
    out
}

/// The shift `d` (ours[i] ≈ theirs[i − d]) within ±`max` that minimises the squared
/// difference of two ink profiles.
fn best_shift(ours: &[f64], theirs: &[f64], max: i64) -> i64 {
    (-max..=max)
        .min_by(|&a, &b| {
            let cost = |d: i64| -> f64 {
                (0..ours.len() as i64)
                    .map(|i| {
                        let t = theirs.get((i - d) as usize).copied().unwrap_or(0.0);
                        (ours[i as usize] - t).powi(2)
                    })
                    .sum()
            };
            cost(a).total_cmp(&cost(b))
        })
        .unwrap_or(0)
}

struct Comparison {
    f1: f64,
    agreement: f64,
}

fn compare(ours: &Page, theirs: &Page) -> Comparison {
    let dx = best_shift(&profile(ours, false), &profile(theirs, false), 40);
    let dy = best_shift(&profile(ours, true), &profile(theirs, true), 8);
    let black_at = |page: &Page, x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < i64::from(page.width())
            && y < i64::from(page.height())
            && page.pixel(x as u32, y as u32)
    };
    let near = |page: &Page, x: i64, y: i64| (-1..=1).any(|j| (-1..=1).any(|i| black_at(page, x + i, y + j)));
    let (mut ours_black, mut ours_matched, mut theirs_black, mut theirs_matched, mut same) =
        (0, 0, 0, 0, 0u64);
    let (w, h) = (i64::from(ours.width()), i64::from(ours.height()));
    for y in 0..h {
        for x in 0..w {
            let a = black_at(ours, x, y);
            let b = black_at(theirs, x - dx, y - dy);
            same += u64::from(a == b);
            if a {
                ours_black += 1;
                ours_matched += u64::from(near(theirs, x - dx, y - dy));
            }
            if b {
                theirs_black += 1;
                theirs_matched += u64::from(near(ours, x, y));
            }
        }
    }
    let precision = ours_matched as f64 / f64::from(ours_black.max(1) as u32);
    let recall = theirs_matched as f64 / f64::from(theirs_black.max(1) as u32);
    Comparison {
        f1: 2.0 * precision * recall / (precision + recall),
        agreement: same as f64 / (w * h) as f64,
    }
}

fn check(name: &str, ps: &str) {
    let pdf = ps_to_pdf(ps, &[]);
    let reference = ghostscript_page(&pdf);
    let opts = Options::default();
    let ours = render::render(pdf.clone(), &opts).unwrap().remove(0);
    assert_eq!(reference.width(), ours.width(), "{name}: width");
    assert!(
        reference.height().abs_diff(ours.height()) <= 2,
        "{name}: {} vs {}",
        reference.height(),
        ours.height()
    );

    // The sweep behind bilevel::PDF_TEXT_THRESHOLD, printed for the record.
    let doc = render::pdf::PdfDocument::open(pdf, None, &opts.limits).unwrap();
    let grey = doc.render_page_grey(0, &opts).unwrap();
    for t in (96..=240).step_by(16) {
        let page = render::bilevel::threshold(&grey, t, ours.resolution()).unwrap();
        let c = compare(&page, &reference);
        println!("{name}: threshold {t:3}: F1 {:.4}, agreement {:.5}", c.f1, c.agreement);
    }

    let c = compare(&ours, &reference);
    println!("{name}: ours vs ghostscript: F1 {:.4}, agreement {:.5}", c.f1, c.agreement);
    assert!(c.f1 >= MIN_F1, "{name}: F1 {:.4} below {MIN_F1}", c.f1);
    assert!(c.agreement >= MIN_AGREEMENT, "{name}: agreement {:.5} below {MIN_AGREEMENT}", c.agreement);
}

#[test]
fn text_page_agrees_with_ghostscript() {
    // Without the 90 % grey form field: ghostscript's fax device halftones it into a
    // dot pattern, which text mode deliberately drops to white (another test checks
    // that), so it would measure that choice rather than legibility.
    let text_only = TEXT_PAGE.replace("0.9 setgray 72 600 450 40 rectfill", "");
    assert_ne!(text_only, TEXT_PAGE);
    check("text", &text_only);
}

#[test]
fn vector_page_agrees_with_ghostscript() {
    check("vector", VECTOR_PAGE);
}
