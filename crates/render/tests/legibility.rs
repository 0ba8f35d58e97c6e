//! Legibility against the reference renderer: our page versus ghostscript's
//! `tiffg4` rendering of the same PDF page (the device HylaFAX uses).
//!
//! The measure is `fixtures::legibility::compare`: the tolerant F1 score of black
//! pixels after alignment, and plain pixel agreement. The threshold: F1 ≥ 0.95 on
//! text and on vector art, and agreement ≥ 0.99.

mod common;

use common::{TEXT_PAGE, VECTOR_PAGE, gs, ps_to_pdf};
use fax_image::Page;
use fixtures::legibility::compare;
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
