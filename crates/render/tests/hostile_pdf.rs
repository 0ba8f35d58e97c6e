//! Hostile PDFs: each case is built here, byte by byte, and must end in a typed error
//! or a bounded result, with bounded memory (the process's peak resident set is
//! checked after every case; run one test alone to read its own figure).
//!
//! What hayro 0.9 does on its own with each case, found by running these inputs
//! without the checks of `render::pdf` (see `docs/render.md`):
//!
//! - a 100000 × 100000 image XObject with 4 kB of data: draws nothing (the data is
//!   too short), but with data of the declared length it would decode 10¹⁰ bytes;
//! - a Flate bomb: inflates the whole stream in memory (1 GiB: 1.1 GB peak RSS,
//!   9 s);
//! - deeply nested Form XObjects: stops at 50 levels, but a form that draws the next
//!   one twice, 30 levels deep, means 2³⁰ draws (still running after a minute);
//!   forms that draw themselves, directly or through another, are harmless: hayro
//!   does not resolve an object from inside itself, so the inner draws find nothing;
//! - a page tree cycle: skipped (hayro remembers the page tree nodes it has seen);
//! - a MediaBox of zero size: replaced by A4; a huge one is scaled like any other.

use std::io::Write;

use render::geometry::FAX_WIDTH;
use render::{Error, FaxResolution, Limits, Options, render};

/// A PDF made of `objects`, numbered from 1 in order; object 1 is the catalog.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    pdf
}

fn obj(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

/// A stream object with `dict` entries (without the `<< >>`) and raw `data`.
fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

/// `len` bytes of `byte`, zlib-compressed.
fn deflated(byte: u8, len: usize) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![byte; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        encoder.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    encoder.finish().unwrap()
}

/// Catalog, page tree and one page with `resources` and content object 4; the
/// objects in `rest` follow as 4, 5, ….
fn one_page(media_box: &str, resources: &str, rest: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj(&format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox {media_box} /Resources << {resources} >> /Contents 4 0 R >>"
        )),
    ];
    objects.extend(rest);
    assemble(&objects)
}

const A4: &str = "[0 0 595 842]";

/// Peak resident set size of this process so far, in MiB (VmHWM).
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib / 1024
}

/// Every case must stay far below what the unchecked renderer would need (gigabytes
/// to terabytes); the whole test binary, all cases together, stays under this.
const MAX_PEAK_RSS_MIB: u64 = 1024;

fn check_memory(case: &str) {
    let peak = peak_rss_mib();
    println!("{case}: peak RSS of the test process so far {peak} MiB");
    assert!(peak < MAX_PEAK_RSS_MIB, "{case}: peak RSS {peak} MiB");
}

fn options() -> Options {
    Options { resolution: FaxResolution::Standard, ..Options::default() }
}

#[test]
fn huge_image_xobject_is_refused_before_decoding() {
    let pdf = one_page(
        A4,
        "/XObject << /Im0 5 0 R >>",
        vec![
            stream("", b"q 500 0 0 700 50 50 cm /Im0 Do Q"),
            stream(
                "/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray \
                 /BitsPerComponent 8 /Filter /FlateDecode",
                &deflated(0x80, 4096),
            ),
        ],
    );
    let result = render(pdf, &options());
    assert!(
        matches!(result, Err(Error::ImageTooLarge { width: 100_000, height: 100_000, .. })),
        "{result:?}"
    );
    check_memory("huge image");
}

#[test]
fn huge_soft_mask_and_inline_image_are_refused() {
    // A small image whose soft mask claims 10¹⁰ pixels.
    let pdf = one_page(
        A4,
        "/XObject << /Im0 5 0 R >>",
        vec![
            stream("", b"q 500 0 0 700 50 50 cm /Im0 Do Q"),
            stream(
                "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray \
                 /BitsPerComponent 8 /SMask 6 0 R",
                &[0, 255, 255, 0],
            ),
            stream(
                "/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray \
                 /BitsPerComponent 8 /Filter /FlateDecode",
                &deflated(0xff, 4096),
            ),
        ],
    );
    let result = render(pdf, &options());
    assert!(matches!(result, Err(Error::ImageTooLarge { width: 100_000, .. })), "{result:?}");

    // The same claim made by an inline image inside the content stream.
    let pdf = one_page(
        A4,
        "",
        vec![stream(
            "",
            b"q 500 0 0 700 50 50 cm BI /W 100000 /H 100000 /BPC 8 /CS /G ID \x00\x00\x00\x00 EI Q",
        )],
    );
    let result = render(pdf, &options());
    assert!(matches!(result, Err(Error::ImageTooLarge { height: 100_000, .. })), "{result:?}");
    check_memory("huge soft mask and inline image");
}

#[test]
fn flate_bomb_in_content_is_refused() {
    // 1 GiB of NUL bytes (white space in a content stream) in about 1 MB.
    let bomb = deflated(0, 1 << 30);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let pdf = one_page(A4, "", vec![stream("/Filter /FlateDecode", &bomb)]);
    let result = render(pdf, &options());
    assert!(matches!(result, Err(Error::PdfStreamTooLarge { .. })), "{result:?}");

    // 10 MiB compressed to about 10 kB: under the default limit of 256 MiB it renders
    // (an empty page); under a limit of 1 MiB it is refused.
    let small_bomb = deflated(0, 10 << 20);
    assert!(small_bomb.len() < 64 << 10, "{}", small_bomb.len());
    let pdf = one_page(A4, "", vec![stream("/Filter /FlateDecode", &small_bomb)]);
    let pages = render(pdf.clone(), &options()).unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].black_pixels(), 0);
    let mut tight = options();
    tight.limits.max_stream_bytes = 1 << 20;
    let result = render(pdf, &tight);
    assert!(matches!(result, Err(Error::PdfStreamTooLarge { max: 1_048_576 })), "{result:?}");
    check_memory("flate bomb in content");
}

#[test]
fn flate_bomb_in_image_is_refused() {
    // A 1000 × 1000 grey image (1 MB of samples) whose stream inflates to 1 GiB.
    let pdf = one_page(
        A4,
        "/XObject << /Im0 5 0 R >>",
        vec![
            stream("", b"q 500 0 0 500 50 50 cm /Im0 Do Q"),
            stream(
                "/Type /XObject /Subtype /Image /Width 1000 /Height 1000 /ColorSpace /DeviceGray \
                 /BitsPerComponent 8 /Filter /FlateDecode",
                &deflated(0, 1 << 30),
            ),
        ],
    );
    let result = render(pdf, &options());
    assert!(matches!(result, Err(Error::PdfStreamTooLarge { .. })), "{result:?}");
    check_memory("flate bomb in image");
}

#[test]
fn lzw_and_run_length_bombs_are_bounded() {
    // LZW: an image whose stream is a long run of one code sequence. Rather than
    // craft the worst case, the limit is set low enough that an honest stream of
    // 64 KiB of repeated bytes (about 2 KB of codes) exceeds it.
    let mut encoder = weezl_encode(&vec![7u8; 64 << 10]);
    let pdf = one_page(A4, "", vec![stream("/Filter /LZWDecode", &std::mem::take(&mut encoder))]);
    let mut tight = options();
    tight.limits.max_stream_bytes = 16 << 10;
    let result = render(pdf.clone(), &tight);
    assert!(matches!(result, Err(Error::PdfStreamTooLarge { .. })), "{result:?}");
    assert_eq!(render(pdf, &options()).unwrap().len(), 1);

    // RunLength: 2 bytes become 128; 64 KiB of runs claim 4 MiB.
    let runs: Vec<u8> = [129u8, 0].repeat(32 << 10);
    let pdf = one_page(A4, "", vec![stream("/Filter /RunLengthDecode", &runs)]);
    let result =
        render(pdf, &Options { limits: Limits { max_stream_bytes: 1 << 20, ..tight.limits }, ..tight });
    assert!(matches!(result, Err(Error::PdfStreamTooLarge { .. })), "{result:?}");
    check_memory("lzw and run-length bombs");
}

/// LZW-encodes `data` as PDF's LZWDecode expects by default (MSB first, early change).
fn weezl_encode(data: &[u8]) -> Vec<u8> {
    weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8).encode(data).unwrap()
}

/// Form n (object 4 + n) draws form n + 1 `fan_out` times; the last one draws a box.
fn nested_forms(depth: usize, fan_out: usize) -> Vec<u8> {
    let mut rest = vec![stream("", b"/F0 Do")];
    for level in 0..depth {
        let content =
            if level + 1 == depth { "0 0 100 100 re f".to_owned() } else { "/F0 Do ".repeat(fan_out) };
        let next = 5 + level + 1;
        rest.push(stream(
            &format!(
                "/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /F0 {next} 0 R >> >>"
            ),
            content.as_bytes(),
        ));
    }
    one_page(A4, "/XObject << /F0 5 0 R >>", rest)
}

#[test]
fn deep_form_nesting_is_bounded() {
    // 1000 levels, each drawn once: hayro stops at 50 levels; the page renders.
    let pages = render(nested_forms(1000, 1), &options()).unwrap();
    assert_eq!(pages.len(), 1);

    // 30 levels, each drawing the next twice: 2³⁰ draws of the innermost box.
    let result = render(nested_forms(30, 2), &options());
    assert!(matches!(result, Err(Error::PdfTooComplex { .. })), "{result:?}");

    // A form that draws itself: hayro does not resolve an object from inside that
    // same object, so the inner draws find nothing; the page renders its box once.
    let form = "/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /F0 5 0 R >> >>";
    let pdf = one_page(
        A4,
        "/XObject << /F0 5 0 R >>",
        vec![stream("", b"/F0 Do"), stream(form, b"/F0 Do /F0 Do 0 0 100 100 re f")],
    );
    let pages = render(pdf, &options()).unwrap();
    assert!(pages[0].black_pixels() > 1000);

    // Two forms drawing each other, twice each: the same, one level down.
    let other = form.replace("5 0 R", "6 0 R");
    let pdf = one_page(
        A4,
        "/XObject << /F0 5 0 R >>",
        vec![
            stream("", b"/F0 Do"),
            stream(&other, b"/F0 Do /F0 Do 0 0 100 100 re f"),
            stream(form, b"/F0 Do /F0 Do 0 0 100 100 re f"),
        ],
    );
    let pages = render(pdf, &options()).unwrap();
    assert!(pages[0].black_pixels() > 1000);
    check_memory("deep form nesting");
}

#[test]
fn operation_count_is_limited() {
    let content = "0 0 1 1 re f\n".repeat(20_000);
    let pdf = one_page(A4, "", vec![stream("", content.as_bytes())]);
    let mut tight = options();
    tight.limits.max_page_operations = 10_000;
    let result = render(pdf.clone(), &tight);
    assert!(matches!(result, Err(Error::PdfTooComplex { max: 10_000 })), "{result:?}");
    assert_eq!(render(pdf, &options()).unwrap().len(), 1);
}

#[test]
fn page_tree_cycle_is_survived() {
    // The page tree lists itself among its kids, and a second node points back up.
    let pdf = assemble(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R 2 0 R 5 0 R] /Count 3 >>"),
        obj(&format!("<< /Type /Page /Parent 2 0 R /MediaBox {A4} /Contents 4 0 R >>")),
        stream("", b"100 100 200 200 re f"),
        obj("<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 5 0 R] /Count 1 >>"),
    ]);
    let pages = render(pdf, &options()).unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].black_pixels() > 1000);
    check_memory("page tree cycle");
}

fn empty_pages(count: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..count).map(|i| format!("{} 0 R", i + 3)).collect();
    let mut objects = vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj(&format!("<< /Type /Pages /Kids [{}] /Count {count} /MediaBox {A4} >>", kids.join(" "))),
    ];
    objects.extend((0..count).map(|_| obj("<< /Type /Page /Parent 2 0 R >>")));
    assemble(&objects)
}

#[test]
fn ten_thousand_empty_pages() {
    let pdf = empty_pages(10_000);
    let result = render(pdf.clone(), &options());
    assert!(matches!(result, Err(Error::TooManyPages { pages: 10_000, max: 500 })), "{result:?}");

    // Allowed that many pages, the time limit (checked between pages) stops it.
    let mut opts = options();
    opts.limits.max_pages = 10_000;
    opts.limits.max_render_time = Some(std::time::Duration::from_millis(300));
    let result = render(pdf, &opts);
    assert!(matches!(result, Err(Error::TimeLimit { pages_done, .. }) if pages_done < 10_000), "{result:?}");
    check_memory("10000 empty pages");
}

#[test]
fn degenerate_and_huge_media_boxes() {
    // PDF numbers have no exponent: 10⁹ and 10³⁹ (beyond f32) are written out.
    let huge = format!("[0 0 1{0} 1{0}]", "0".repeat(39));
    for media_box in
        ["[0 0 0 0]", "[0 0 1 1]", "[100 100 100 100]", "[0 0 1000000000 1000000000]", &huge, "[0 0 -5 7]"]
    {
        let pdf = one_page(media_box, "", vec![stream("", b"0 0 50 50 re f")]);
        match render(pdf, &options()) {
            Ok(pages) => {
                assert_eq!(pages.len(), 1, "{media_box}");
                assert_eq!((pages[0].width(), pages[0].height()), (FAX_WIDTH, 1146), "{media_box}");
            }
            Err(e) => panic!("{media_box}: {e:?}"),
        }
    }
    check_memory("media boxes");
}
