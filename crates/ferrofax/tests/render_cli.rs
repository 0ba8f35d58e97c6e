//! `ferrofax render`, run as a person would run it: a PDF made by ghostscript and a
//! PNG into one fax TIFF, with previews and a header line; plain text and an Office
//! document with a cover page; progress lines.

use std::path::Path;
use std::process::Command;

use fax_image::header::HeaderOptions;
use fax_image::{Limits, Page, Resolution};

fn ferrofax(args: &[&str]) -> (bool, String) {
    ferrofax_env(args, &[])
}

fn ferrofax_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrofax"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run ferrofax");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A two-page A4 PDF from PostScript, written by ghostscript's pdfwrite (the tests
/// need `gs`, Debian package ghostscript; a missing one fails loudly).
fn make_pdf(dir: &Path) -> String {
    let ps = "%!PS\n<< /PageSize [595 842] >> setpagedevice\n\
        /Helvetica findfont 14 scalefont setfont\n\
        72 700 moveto (First page of the render test.) show 100 200 200 100 rectfill showpage\n\
        72 700 moveto (Second page.) show 300 300 100 100 rectfill showpage\n";
    std::fs::write(dir.join("in.ps"), ps).unwrap();
    let out = Command::new("gs")
        .current_dir(dir)
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-o", "doc.pdf", "in.ps"])
        .output()
        .expect("ghostscript (`gs`) is needed by this test");
    assert!(out.status.success(), "gs failed: {}", String::from_utf8_lossy(&out.stderr));
    dir.join("doc.pdf").display().to_string()
}

/// A PNG with a black square in the middle and white margins all round, so that the
/// header band of its fax page is white unless a header is stamped.
fn make_png(dir: &Path) -> String {
    let mut page = Page::new(400, 500, Resolution::R300, &Limits::default()).unwrap();
    for y in 150..350 {
        for x in 100..300 {
            page.set_pixel(x, y, true);
        }
    }
    let path = dir.join("square.png");
    std::fs::write(&path, fax_image::png::write(&page).unwrap()).unwrap();
    path.display().to_string()
}

fn read_tiff(path: &Path) -> Vec<Page> {
    let bytes = std::fs::read(path).unwrap();
    fax_image::tiff::read(&bytes, &Limits::default()).unwrap().into_iter().map(|p| p.page).collect()
}

/// Black pixels in the rows a header line occupies.
fn band_ink(page: &Page) -> u64 {
    let band = HeaderOptions::default().band_height(page.resolution());
    (0..band).map(|y| (0..page.width()).filter(|&x| page.pixel(x, y)).count() as u64).sum()
}

#[test]
fn pdf_and_png_become_one_fax_tiff_with_previews_and_header() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = make_pdf(dir.path());
    let png = make_png(dir.path());
    let plain = dir.path().join("plain.tif");
    let stamped = dir.path().join("stamped.tif");
    let preview = dir.path().join("preview");

    let (ok, stderr) = ferrofax(&["render", &pdf, &png, "-o", plain.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("3 page(s)"), "{stderr}");
    let pages = read_tiff(&plain);
    assert_eq!(pages.len(), 3);
    for page in &pages {
        assert_eq!((page.width(), page.resolution()), (1728, Resolution::FINE));
        assert!(page.black_pixels() > 1000, "every page has its content");
        assert_eq!(band_ink(page), 0, "nothing in the header band without --header");
    }

    let (ok, stderr) = ferrofax(&[
        "render",
        &pdf,
        &png,
        "-o",
        stamped.to_str().unwrap(),
        "--resolution",
        "standard",
        "--paper",
        "letter",
        "--header",
        "{date} {time} {tz} TEST P.{page}/{pages}",
        "--preview",
        preview.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let pages = read_tiff(&stamped);
    assert_eq!(pages.len(), 3);
    // Letter at 98 lines per inch: 11 in × 98 = 1078 rows.
    for page in &pages {
        assert_eq!((page.width(), page.height(), page.resolution()), (1728, 1078, Resolution::STANDARD));
        assert!(band_ink(page) > 200, "the header put ink in the top band");
    }
    for n in 1..=3 {
        let bytes = std::fs::read(preview.join(format!("page-{n}.png"))).unwrap();
        let preview_page = fax_image::png::read(&bytes, Resolution::FINE, &Limits::default()).unwrap();
        assert_eq!(preview_page.data(), pages[n - 1].data(), "preview {n} shows the page sent");
    }
    assert!(!preview.join("page-4.png").exists());
}

#[test]
fn bad_input_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    // Fixed pseudo-random bytes (a xorshift), so the test is repeatable.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(&junk, bytes).unwrap();
    let output = dir.path().join("out.tif");
    let (ok, stderr) = ferrofax(&["render", junk.to_str().unwrap(), "-o", output.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("junk.bin"), "{stderr}");
    assert!(stderr.contains("unsupported document type"), "{stderr}");
    assert!(!output.exists(), "no output for a failed render");
}

/// Rows at least three quarters black: the rules of a cover page.
fn long_rules(page: &Page) -> Vec<u32> {
    (0..page.height())
        .filter(|&y| (0..page.width()).filter(|&x| page.pixel(x, y)).count() * 4 >= page.width() as usize * 3)
        .collect()
}

fn band(page: &Page) -> Vec<u8> {
    let rows = HeaderOptions::default().band_height(page.resolution());
    page.data()[..rows as usize * page.stride()].to_vec()
}

#[test]
fn text_with_cover_and_header_and_progress() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("letter.txt");
    std::fs::write(
        &text,
        "Sehr geehrte Frau Mustermann,\n\nanbei die Unterlagen.\u{c}Seite zwei: 日本語のテキスト\n",
    )
    .unwrap();
    let pdf = make_pdf(dir.path());
    let out = dir.path().join("out.tif");
    let cover = r"to=Erika Mustermann,to-number=+49 30 1234567,from=Ferrofax Test,subject=Unterlagen\, vollständig,lang=de";
    let (ok, stderr) = ferrofax(&[
        "render",
        text.to_str().unwrap(),
        &pdf,
        "-o",
        out.to_str().unwrap(),
        "--cover",
        cover,
        "--cover",
        r"notes=Erste Zeile\nZweite Zeile",
        "--header",
        "{date} {time} {tz} FROM: {from} TO: {to} P.{page}/{pages}",
    ]);
    assert!(ok, "{stderr}");
    // Per-page progress lines for the two-page PDF (stderr is not a terminal here).
    assert!(stderr.contains("doc.pdf: page 1/2") && stderr.contains("doc.pdf: page 2/2"), "{stderr}");
    assert!(stderr.contains("letter.txt: 2 page(s)"), "{stderr}");
    assert!(stderr.contains("5 page(s)"), "cover + 2 text + 2 PDF pages: {stderr}");
    let pages = read_tiff(&out);
    assert_eq!(pages.len(), 5);

    // The first page is the cover the library makes from the same fields (the date
    // differs, but has the same length, so the layout is the same).
    let expected = render::render_cover(
        &render::CoverPage {
            lang: render::Lang::De,
            to: "Erika Mustermann".into(),
            to_number: "+49 30 1234567".into(),
            from: "Ferrofax Test".into(),
            subject: "Unterlagen, vollständig".into(),
            notes: "Erste Zeile\nZweite Zeile".into(),
            pages: 5,
            date: "2000-01-01 00:00 UTC".into(),
            ..render::CoverPage::default()
        },
        &render::Options::default(),
    )
    .unwrap();
    assert_eq!(long_rules(&pages[0]), long_rules(&expected), "the cover's rules and notes box");
    assert!(!long_rules(&pages[0]).is_empty());
    assert!(pages[1..].iter().all(|p| long_rules(p).is_empty()), "only the first page is a cover");

    // A header on every page, the cover included, each with its own page number.
    for (i, page) in pages.iter().enumerate() {
        assert!(band_ink(page) > 200, "page {i} has a header");
    }
    for i in 1..pages.len() {
        assert_ne!(band(&pages[i - 1]), band(&pages[i]), "pages {} and {} show different numbers", i, i + 1);
    }
}

#[test]
fn cover_mistakes_fail_before_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("t.txt");
    std::fs::write(&text, "hello").unwrap();
    let out = dir.path().join("out.tif");
    let (ok, stderr) = ferrofax(&[
        "render",
        text.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cover",
        "recipient=Bob",
    ]);
    assert!(!ok);
    assert!(stderr.contains("unknown key") && stderr.contains("to-number"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn office_document_through_libreoffice() {
    let docx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../render/tests/corpus/letter.docx");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tif");
    let (ok, stderr) = ferrofax(&["render", docx.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("converting Word (DOCX) with LibreOffice"), "{stderr}");
    let pages = read_tiff(&out);
    assert_eq!(pages.len(), 1);
    assert!(pages[0].black_pixels() > 5000, "the letter has text");

    // Without LibreOffice, the error says which packages to install.
    let (ok, stderr) = ferrofax_env(
        &["render", docx.to_str().unwrap(), "-o", out.to_str().unwrap()],
        &[("FERROFAX_SOFFICE", "/nonexistent/soffice")],
    );
    assert!(!ok);
    assert!(stderr.contains("letter.docx") && stderr.contains("libreoffice-writer-nogui"), "{stderr}");
}
