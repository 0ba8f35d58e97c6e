//! PDF rendering: page counts, geometry, bad input.

mod common;

use common::{TEXT_PAGE, VECTOR_PAGE, ps_to_pdf};
use render::geometry::FAX_WIDTH;
use render::{Error, FaxResolution, Options, Paper, render};

fn options() -> Options {
    Options::default()
}

/// Fraction of black pixels in a rectangle of a page.
fn black_fraction(page: &fax_image::Page, x0: u32, y0: u32, x1: u32, y1: u32) -> f64 {
    let mut black = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            black += u64::from(page.pixel(x, y));
        }
    }
    black as f64 / (f64::from(x1 - x0) * f64::from(y1 - y0))
}

#[test]
fn text_page_renders_at_every_resolution() {
    let pdf = ps_to_pdf(TEXT_PAGE, &[]);
    for (resolution, height) in
        [(FaxResolution::Standard, 1146), (FaxResolution::Fine, 2292), (FaxResolution::Superfine, 4572)]
    {
        let pages = render(pdf.clone(), &Options { resolution, ..options() }).unwrap();
        assert_eq!(pages.len(), 1);
        let page = &pages[0];
        assert_eq!((page.width(), page.height()), (FAX_WIDTH, height));
        assert_eq!(page.resolution(), resolution.resolution());
        let black = page.black_pixels() as f64 / (f64::from(page.width()) * f64::from(page.height()));
        // Text, a table and no solid areas: a few per cent of ink, not zero, not mud.
        assert!((0.005..0.08).contains(&black), "{resolution:?}: {black}");
    }
}

#[test]
fn light_form_field_drops_to_white_in_text_mode() {
    let pdf = ps_to_pdf(TEXT_PAGE, &[]);
    let page = &render(pdf, &options()).unwrap()[0];
    // The 90 % grey field at x 72..522 pt, y 600..640 pt (from the bottom): sample a
    // strip of it right of the label, where there is no text.
    let sx = 204.0 / 72.0;
    let sy = 2292.0 / 842.0;
    let x0 = (21.0 + 400.0 * sx) as u32;
    let x1 = (21.0 + 515.0 * sx) as u32;
    let y0 = ((842.0 - 636.0) * sy) as u32;
    let y1 = ((842.0 - 604.0) * sy) as u32;
    assert_eq!(black_fraction(page, x0, y0, x1, y1), 0.0);
}

#[test]
fn vector_drawing_has_its_shapes() {
    let pdf = ps_to_pdf(VECTOR_PAGE, &[]);
    let page = &render(pdf, &options()).unwrap()[0];
    let sx = 204.0 / 72.0;
    let sy = 2292.0 / 842.0;
    let to_px = |x: f64, y: f64| ((21.0 + x * sx) as u32, ((842.0 - y) * sy) as u32);
    // Inside the filled triangle (100,100)-(495,300)-(100,300), away from the diagonal.
    let (x, y) = to_px(150.0, 280.0);
    assert!(black_fraction(page, x, y, x + 20, y + 20) > 0.99);
    // The centre of the circle is white, its outline is black.
    let (cx, cy) = to_px(297.0, 600.0);
    assert!(!page.pixel(cx + 5, cy + 5));
    let (ox, oy) = to_px(447.0, 600.0);
    assert!(black_fraction(page, ox - 8, oy - 2, ox + 8, oy + 2) > 0.3);
    // 0.25 pt hairlines survive as connected strokes: every row of the fan area has ink.
    let (_, top) = to_px(0.0, 795.0);
    let (_, bottom) = to_px(0.0, 725.0);
    for y in top..bottom {
        assert!((0..FAX_WIDTH).any(|x| page.pixel(x, y)), "hairlines broke at row {y}");
    }
}

#[test]
fn landscape_page_is_rotated_to_portrait() {
    // A landscape A4 page with a thick bar along its top edge.
    let ps = "%!PS\n<< /PageSize [842 595] >> setpagedevice\n0 555 842 40 rectfill\nshowpage\n";
    let page = &render(ps_to_pdf(ps, &[]), &options()).unwrap()[0];
    assert_eq!((page.width(), page.height()), (FAX_WIDTH, 2292));
    // Rotated counter-clockwise: the top bar now runs down the left edge.
    let left = black_fraction(page, 30, 200, 60, 2000);
    let right = black_fraction(page, 1660, 200, 1700, 2000);
    assert!(left > 0.95, "left {left}");
    assert!(right < 0.01, "right {right}");
}

#[test]
fn mixed_page_sizes_all_become_fax_pages() {
    let ps = "%!PS\n\
        << /PageSize [595 842] >> setpagedevice 100 100 100 100 rectfill showpage\n\
        << /PageSize [612 792] >> setpagedevice 100 100 100 100 rectfill showpage\n\
        << /PageSize [595 420] >> setpagedevice 100 100 100 100 rectfill showpage\n\
        << /PageSize [200 200] >> setpagedevice 50 50 100 100 rectfill showpage\n";
    for paper in [Paper::A4, Paper::Letter, Paper::Legal] {
        let opts = Options { paper, ..options() };
        let pages = render(ps_to_pdf(ps, &[]), &opts).unwrap();
        let height = render::geometry::PageGeometry::new(paper, FaxResolution::Fine).height;
        assert_eq!(pages.len(), 4);
        for page in &pages {
            assert_eq!((page.width(), page.height()), (FAX_WIDTH, height));
            assert!(page.black_pixels() > 1000);
        }
    }
}

#[test]
fn encrypted_pdf_needs_its_password() {
    let args =
        ["-sOwnerPassword=owner-secret", "-sUserPassword=user-secret", "-dEncryptionR=3", "-dKeyLength=128"];
    let pdf = ps_to_pdf(TEXT_PAGE, &args);
    assert!(matches!(render(pdf.clone(), &options()), Err(Error::PdfPasswordRequired)));
    let wrong = Options { password: Some("guess".into()), ..options() };
    assert!(matches!(render(pdf.clone(), &wrong), Err(Error::PdfWrongPassword)));
    let right = Options { password: Some("user-secret".into()), ..options() };
    let pages = render(pdf, &right).unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].black_pixels() > 10_000);
}

#[test]
fn corrupt_and_truncated_pdfs_are_typed_errors() {
    assert!(matches!(
        render(b"%PDF-1.7\n%garbage that is not a PDF\n".to_vec(), &options()),
        Err(Error::PdfCorrupt)
    ));
    let pdf = ps_to_pdf(TEXT_PAGE, &[]);
    assert!(matches!(render(pdf[..200].to_vec(), &options()), Err(Error::PdfCorrupt | Error::NoPages)));
    // Every truncation either renders what survives or fails with a PDF error;
    // nothing panics.
    let step = (pdf.len() / 40).max(1);
    for len in (9..pdf.len()).step_by(step) {
        match render(pdf[..len].to_vec(), &options()) {
            Ok(pages) => assert!(pages.iter().all(|p| p.width() == FAX_WIDTH)),
            Err(Error::PdfCorrupt | Error::NoPages) => {}
            Err(other) => panic!("truncated at {len}: unexpected {other:?}"),
        }
    }
}

#[test]
fn zero_page_pdf_is_reported() {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let o1 = pdf.len();
    pdf.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    let o2 = pdf.len();
    pdf.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n");
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 3\n0000000000 65535 f \n{o1:010} 00000 n \n{o2:010} 00000 n \n").as_bytes(),
    );
    pdf.extend_from_slice(
        format!("trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    let result = render(pdf, &options());
    assert!(matches!(result, Err(Error::NoPages)), "{result:?}");
}

#[test]
fn page_limit_is_checked_before_rendering() {
    let ps = "%!PS\n".to_string() + &"0 0 10 10 rectfill showpage\n".repeat(5);
    let mut opts = options();
    opts.limits.max_pages = 4;
    assert!(matches!(render(ps_to_pdf(&ps, &[]), &opts), Err(Error::TooManyPages { pages: 5, max: 4 })));
}

#[test]
fn pages_stream_one_at_a_time() {
    let ps = "%!PS\n".to_string() + &"100 100 100 100 rectfill showpage\n".repeat(3);
    let doc = render::pdf::PdfDocument::open(ps_to_pdf(&ps, &[]), None, &Default::default()).unwrap();
    assert_eq!(doc.page_count(), 3);
    let mut seen = 0;
    doc.render_each(&options(), |page| {
        assert_eq!(page.width(), FAX_WIDTH);
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, 3);
}
