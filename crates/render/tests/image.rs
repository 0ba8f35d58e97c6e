//! Raster images: formats, geometry, modes, fax pass-through and bad input.

use std::io::Cursor;

use fax_image::{Page, Resolution};
use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use render::geometry::FAX_WIDTH;
use render::{Error, Mode, Options, render};

/// A synthetic "photo": smooth gradients with a dark disc.
fn photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
        let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        if d < width.min(height) as f32 / 5.0 {
            Rgb([30, 30, 40])
        } else {
            Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
        }
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn black_fraction(page: &Page) -> f64 {
    page.black_pixels() as f64 / (f64::from(page.width()) * f64::from(page.height()))
}

#[test]
fn every_format_decodes_to_a_fax_page() {
    let img = DynamicImage::ImageRgb8(photo(300, 400));
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::Bmp,
        ImageFormat::WebP,
        ImageFormat::Tiff,
    ] {
        let data = encode(&img, format);
        let pages = render(data, &Options { mode: Mode::Photo, ..Options::default() }).unwrap();
        assert_eq!(pages.len(), 1, "{format:?}");
        let page = &pages[0];
        assert_eq!((page.width(), page.height()), (FAX_WIDTH, 2292), "{format:?}");
        let black = black_fraction(page);
        assert!((0.1..0.7).contains(&black), "{format:?}: {black}");
    }
}

#[test]
fn auto_mode_dithers_photos_and_thresholds_text() {
    let photo_png = encode(&DynamicImage::ImageRgb8(photo(600, 800)), ImageFormat::Png);
    let auto = Options { mode: Mode::Auto, ..Options::default() };
    let dithered = render(photo_png.clone(), &auto).unwrap().remove(0);
    let photo_mode =
        render(photo_png, &Options { mode: Mode::Photo, ..Options::default() }).unwrap().remove(0);
    assert_eq!(dithered, photo_mode, "auto chose photo for a photo");

    // A "scanned form": black strokes on slightly grey paper.
    let form = GrayImage::from_fn(600, 800, |x, y| Luma([if y % 40 < 3 || x % 150 < 2 { 10 } else { 235 }]));
    let form_png = encode(&DynamicImage::ImageLuma8(form), ImageFormat::Png);
    let text = render(form_png.clone(), &auto).unwrap().remove(0);
    let text_mode = render(form_png, &Options::default()).unwrap().remove(0);
    assert_eq!(text, text_mode, "auto chose text for a form");
    // The paper tone is dropped, not dithered.
    assert!(black_fraction(&text) < 0.15, "{}", black_fraction(&text));
}

#[test]
fn landscape_image_is_rotated() {
    // Wide image, black band across its top.
    let img = GrayImage::from_fn(800, 400, |_, y| Luma([if y < 40 { 0 } else { 255 }]));
    let page = render(encode(&DynamicImage::ImageLuma8(img), ImageFormat::Png), &Options::default())
        .unwrap()
        .remove(0);
    assert_eq!((page.width(), page.height()), (FAX_WIDTH, 2292));
    // Counter-clockwise: the top band lies along the left edge of the fitted image.
    let mid = page.height() / 2;
    let left_black = (0..FAX_WIDTH / 2).filter(|&x| page.pixel(x, mid)).count();
    let right_black = (FAX_WIDTH / 2..FAX_WIDTH).filter(|&x| page.pixel(x, mid)).count();
    assert!(left_black > 100, "{left_black}");
    assert_eq!(right_black, 0);
}

#[test]
fn transparency_is_white() {
    // Fully transparent black pixels everywhere except a small opaque square.
    let img = RgbaImage::from_fn(100, 100, |x, y| {
        if (40..60).contains(&x) && (40..60).contains(&y) { Rgba([0, 0, 0, 255]) } else { Rgba([0, 0, 0, 0]) }
    });
    let page = render(encode(&DynamicImage::ImageRgba8(img), ImageFormat::Png), &Options::default())
        .unwrap()
        .remove(0);
    let black = black_fraction(&page);
    // The square is 4 % of the image, which fills the width of the page.
    assert!((0.01..0.06).contains(&black), "{black}");
}

#[test]
fn fax_tiff_passes_through_unchanged() {
    let limits = fax_image::Limits::default();
    let mut page = Page::new(FAX_WIDTH, 1100, Resolution::STANDARD, &limits).unwrap();
    for x in 0..FAX_WIDTH {
        page.set_pixel(x, x % 1100, true);
    }
    let tiff = fax_image::tiff::write(std::slice::from_ref(&page), &Default::default()).unwrap();
    // Requested fine, but the page is already a standard-resolution fax page: kept.
    let pages = render(tiff, &Options::default()).unwrap();
    assert_eq!(pages, vec![page]);
}

#[test]
fn non_fax_bilevel_tiff_is_fitted() {
    let limits = fax_image::Limits::default();
    let mut page = Page::new(1000, 1400, Resolution { x_dpi: 300, y_dpi: 300 }, &limits).unwrap();
    page.set_pixel(500, 700, true);
    let tiff = fax_image::tiff::write(&[page], &Default::default()).unwrap();
    let out = render(tiff, &Options::default()).unwrap().remove(0);
    assert_eq!((out.width(), out.height(), out.resolution()), (FAX_WIDTH, 2292, Resolution::FINE));
}

/// CRC-32 (IEEE), for hand-made PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn png_bomb_is_refused_before_decoding() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A tiny IDAT (an empty zlib stream) and IEND: the decoder reads up to the first
    // IDAT before it reports the size; the 10^10 pixels are never there.
    for (kind, body) in
        [(&b"IDAT"[..], &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..]), (b"IEND", &[])]
    {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(body);
        png.extend_from_slice(&(body.len() as u32).to_be_bytes());
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    let result = render(png, &Options::default());
    assert!(
        matches!(result, Err(Error::ImageTooLarge { width: 100_000, height: 100_000, .. })),
        "{result:?}"
    );
}

#[test]
fn corrupt_images_are_typed_errors() {
    let png = encode(&DynamicImage::ImageRgb8(photo(64, 64)), ImageFormat::Png);
    for len in [9, 20, 40, png.len() / 2] {
        let result = render(png[..len].to_vec(), &Options::default());
        assert!(matches!(result, Err(Error::ImageDecode(_))), "{len}: {result:?}");
    }
    let jpeg = encode(&DynamicImage::ImageRgb8(photo(64, 64)), ImageFormat::Jpeg);
    assert!(matches!(render(jpeg[..3].to_vec(), &Options::default()), Err(Error::ImageDecode(_))));
}

#[test]
fn unsupported_types_and_empty_input_are_typed_errors() {
    // RTF and plain text, once "not yet renderable", go through LibreOffice and the
    // text typesetter now; their tests are in office.rs and text.rs.
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    assert!(matches!(render(elf, &Options::default()), Err(Error::UnsupportedType(_))));
    assert!(matches!(render(Vec::new(), &Options::default()), Err(Error::Empty)));
}

#[test]
fn pbm_fax_page_passes_through() {
    let limits = fax_image::Limits::default();
    let mut page = Page::new(FAX_WIDTH, 50, Resolution::FINE, &limits).unwrap();
    page.set_pixel(3, 4, true);
    let pbm = fax_image::pbm::write(std::slice::from_ref(&page));
    assert_eq!(render(pbm, &Options::default()).unwrap(), vec![page]);
}
