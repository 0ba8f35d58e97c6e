//! PDF to fine-resolution MMR fax TIFF: Ferrofax (hayro, bilevel, fax-image's MMR
//! TIFF writer) against ghostscript as HylaFAX runs it,
//! `gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=tiffg4 -r204x196 -dPDFFitPage`, on the
//! same multi-page documents in the same run.
//!
//! Two documents of ten A4 pages, made by ghostscript's pdfwrite from PostScript
//! written here (not timed): text-heavy pages (a letter in three fonts, a ruled
//! table), and mixed pages where every other page carries a photo-like grey image.
//! Each figure is pages per second, the median of timed rounds after a warm-up, for
//! the whole job: parsing, rendering, bilevel conversion and the MMR TIFF in memory
//! for us; process start, rendering and the TIFF file for ghostscript, which is how
//! a fax server uses it. "ours 1T" renders on one thread, "ours 2T" splits the pages
//! between two threads (the machine's two cores); the ratio is ours ÷ ghostscript.
//! Beside the speed, the legibility of our pages against ghostscript's: the mean
//! tolerant F1 score of `fixtures::legibility::compare` (text mode; the photo pages
//! count too, so the mixed figure is lower: the two halftone differently).
//!
//! Run with `cargo xtask bench render` (`--quick` for one short round).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fax_image::tiff::{self, Compression, WriteOptions};
use fax_image::{Limits, Page};
use render::pdf::PdfDocument;
use render::{Error, Options};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = if quick { Duration::from_millis(200) } else { Duration::from_secs(6) };
    let dir = tempfile::tempdir().expect("temporary folder");
    println!("PDF → fine MMR fax TIFF: ours vs ghostscript {}, 10 A4 pages per document", gs_version());
    println!(
        "{:<10} {:>12} {:>12} {:>10} {:>8} {:>8} {:>7}",
        "document", "ours 1T p/s", "ours 2T p/s", "gs p/s", "1T ×", "2T ×", "F1"
    );
    for (name, ps) in [("text", text_document()), ("mixed", mixed_document())] {
        let pdf_path = make_pdf(dir.path(), name, &ps);
        let pdf = std::fs::read(&pdf_path).expect("the PDF just made");
        let out = dir.path().join(format!("{name}.gs.tif"));

        // Before timing: both sides make ten pages, and ours are legible against
        // ghostscript's.
        let our_pages = read_tiff(&ours(&pdf, 1));
        let their_pages = read_tiff(&ghostscript(&pdf_path, &out));
        assert_eq!(our_pages.len(), 10, "{name}: our pages");
        assert_eq!(their_pages.len(), 10, "{name}: ghostscript's pages");
        assert_eq!(read_tiff(&ours(&pdf, 2)), our_pages, "{name}: two threads, same pages");
        let f1 = our_pages
            .iter()
            .zip(&their_pages)
            .map(|(a, b)| fixtures::legibility::compare(a, b).f1)
            .sum::<f64>()
            / our_pages.len() as f64;

        breakdown(name, &pdf);
        let one = measure(budget, || ours(&pdf, 1).len());
        let two = measure(budget, || ours(&pdf, 2).len());
        let gs = measure(budget, || ghostscript(&pdf_path, &out).len());
        let rate = |t: Duration| 10.0 / t.as_secs_f64();
        println!(
            "{:<10} {:>12.1} {:>12.1} {:>10.1} {:>7.2}× {:>7.2}× {:>7.4}",
            name,
            rate(one),
            rate(two),
            rate(gs),
            rate(one) / rate(gs),
            rate(two) / rate(gs),
            f1
        );
    }
}

/// Our whole job: a multi-page MMR TIFF in memory, on `threads` threads.
fn ours(pdf: &[u8], threads: usize) -> Vec<u8> {
    let options = Options::default();
    let pages = if threads <= 1 {
        render::pdf::render(pdf.to_vec(), &options).expect("ours renders")
    } else {
        let count = PdfDocument::open(pdf.to_vec(), None, &options.limits).expect("opens").page_count();
        let chunk = count.div_ceil(threads);
        let parts: Vec<Vec<Page>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let options = &options;
                    scope.spawn(move || -> Result<Vec<Page>, Error> {
                        let document = PdfDocument::open(pdf.to_vec(), None, &options.limits)?;
                        let mut pages = Vec::new();
                        document.render_range(t * chunk..(t + 1) * chunk, options, |page| {
                            pages.push(page);
                            Ok(())
                        })?;
                        Ok(pages)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("render thread").expect("ours renders")).collect()
        });
        parts.concat()
    };
    let options = WriteOptions { compression: Compression::Mmr, ..WriteOptions::default() };
    black_box(tiff::write(&pages, &options).expect("MMR TIFF"))
}

/// Where our time goes, per page, one thread: opening the document, rendering to
/// grey (the inspection of `render::pdf` included), grey to bilevel, MMR TIFF.
fn breakdown(name: &str, pdf: &[u8]) {
    let options = Options::default();
    let started = Instant::now();
    let document = PdfDocument::open(pdf.to_vec(), None, &options.limits).expect("opens");
    let open = started.elapsed();
    let (mut grey_time, mut bilevel_time) = (Duration::ZERO, Duration::ZERO);
    let mut pages = Vec::new();
    for index in 0..document.page_count() {
        let t = Instant::now();
        let grey = document.render_page_grey(index, &options).expect("renders");
        grey_time += t.elapsed();
        let t = Instant::now();
        pages.push(
            render::bilevel::pdf_to_bilevel(&grey, options.mode, options.resolution.resolution())
                .expect("bilevel"),
        );
        bilevel_time += t.elapsed();
    }
    let t = Instant::now();
    let tiff_options = WriteOptions { compression: Compression::Mmr, ..WriteOptions::default() };
    black_box(tiff::write(&pages, &tiff_options).expect("MMR TIFF"));
    let write = t.elapsed();
    let per_page = |d: Duration| d.as_secs_f64() * 1000.0 / pages.len().max(1) as f64;
    println!(
        "  {name}: per page {:.1} ms open, {:.1} ms render to grey, {:.1} ms bilevel, {:.1} ms MMR TIFF",
        per_page(open),
        per_page(grey_time),
        per_page(bilevel_time),
        per_page(write)
    );
}

/// Ghostscript's whole job, as a fax server runs it; returns the TIFF it wrote.
fn ghostscript(pdf: &Path, out: &Path) -> Vec<u8> {
    let status = Command::new("gs")
        .args(["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg4", "-r204x196", "-dPDFFitPage"])
        .arg(format!("-sOutputFile={}", out.display()))
        .arg(pdf)
        .status()
        .expect("ghostscript (`gs`, Debian package ghostscript) is the reference of this benchmark");
    assert!(status.success(), "gs failed");
    std::fs::read(out).expect("ghostscript's TIFF")
}

fn read_tiff(data: &[u8]) -> Vec<Page> {
    tiff::read(data, &Limits::default()).expect("a fax TIFF").into_iter().map(|p| p.page).collect()
}

/// Median duration of one call, over rounds filling `budget` (at least three).
fn measure(budget: Duration, mut f: impl FnMut() -> usize) -> Duration {
    black_box(f());
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || start.elapsed() < budget {
        let t = Instant::now();
        black_box(f());
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn make_pdf(dir: &Path, name: &str, ps: &str) -> PathBuf {
    let ps_path = dir.join(format!("{name}.ps"));
    let pdf_path = dir.join(format!("{name}.pdf"));
    std::fs::write(&ps_path, ps).expect("PostScript");
    let status = Command::new("gs")
        .args(["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite"])
        .arg(format!("-sOutputFile={}", pdf_path.display()))
        .arg(&ps_path)
        .status()
        .expect("ghostscript makes the benchmark PDFs");
    assert!(status.success(), "pdfwrite failed");
    pdf_path
}

fn gs_version() -> String {
    Command::new("gs")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// One page of dense text: 48 lines in three fonts, and a ruled table.
fn text_page(n: usize) -> String {
    let mut ps = String::from("<< /PageSize [595 842] >> setpagedevice\n");
    ps += &format!(
        "/Helvetica-Bold findfont 16 scalefont setfont 72 790 moveto (Page {n}: terms and conditions) show\n"
    );
    let fonts = ["/Times-Roman", "/Helvetica", "/Courier"];
    for line in 0..44 {
        let font = fonts[line % 3];
        ps += &format!(
            "{font} findfont 9 scalefont setfont 72 {} moveto (§{line} The supplier shall deliver the goods \
             within {} days of the order; payment of {}.{:02} EUR is due on receipt.) show\n",
            765 - line * 13,
            line + 3,
            100 + line * 37,
            line * 7 % 100
        );
    }
    ps += "0.5 setlinewidth 0 1 6 { 20 mul 80 add 72 exch moveto 523 0 rlineto stroke } for\n";
    ps += "0 1 4 { 110 mul 72 add 80 moveto 0 120 rlineto stroke } for\nshowpage\n";
    ps
}

/// A page with a 300 × 400 photo-like grey image over its upper half and a caption.
fn image_page(n: usize) -> String {
    format!(
        r#"<< /PageSize [595 842] >> setpagedevice
/w 300 def /h 400 def /row w string def /y -1 def
gsave 72 380 translate 451 400 scale
w h 8 [w 0 0 h neg 0 h]
{{ /y y 1 add def 0 1 w 1 sub {{ /x exch def row x
  x {n} add 1.3 mul sin y 0.9 mul cos mul 60 mul 150 add
  x 150 sub dup mul y 200 sub dup mul add sqrt 0.6 mul sub cvi 0 max 255 min put }} for row }} image
grestore
/Times-Roman findfont 11 scalefont setfont
0 1 20 {{ /l exch def 72 350 l 14 mul sub moveto (Figure {n}: inspection photograph of the delivered goods, line ) show l 3 string cvs show }} for
showpage
"#
    )
}

fn text_document() -> String {
    let mut ps = String::from("%!PS\n");
    for n in 1..=10 {
        ps += &text_page(n);
    }
    ps
}

fn mixed_document() -> String {
    let mut ps = String::from("%!PS\n");
    for n in 1..=10 {
        ps += &if n % 2 == 0 { image_page(n) } else { text_page(n) };
    }
    ps
}
