//! PBM and PNG import and export.

use fax_image::{Error, Limits, Page, Resolution, pbm, png};

const ITU_DIR: &str = "/work/shared/testdata/itu";

fn limits() -> Limits {
    Limits::default()
}

fn itu_bytes(n: u32) -> Vec<u8> {
    std::fs::read(format!("{ITU_DIR}/itu{n}.pbm")).expect("ITU test chart")
}

fn pattern(width: u32, height: u32) -> Page {
    let mut page = Page::new(width, height, Resolution::FINE, &limits()).unwrap();
    for y in 0..height {
        for x in 0..width {
            page.set_pixel(x, y, (x * 3 + y * 5) % 7 < 3);
        }
    }
    page
}

// ---- PBM ----------------------------------------------------------------------------

#[test]
fn itu_charts_read_and_write_byte_for_byte() {
    for n in 1..=8 {
        let data = itu_bytes(n);
        let pages = pbm::read(&data, Resolution::FINE, &limits()).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!((pages[0].width(), pages[0].height()), (1728, 2376));
        assert_eq!(pages[0].resolution(), Resolution::FINE);
        assert_eq!(pbm::write(&pages), data, "chart {n}");
    }
}

#[test]
fn concatenated_images_are_pages() {
    let pages = vec![pattern(13, 7), pattern(1728, 3), pattern(1, 1)];
    let data = pbm::write(&pages);
    assert_eq!(pbm::read(&data, Resolution::FINE, &limits()).unwrap(), pages);
    let mut streamed = Vec::new();
    pbm::write_to(&pages, &mut streamed).unwrap();
    assert_eq!(streamed, data);
    // Trailing whitespace is tolerated, trailing garbage is not.
    let mut padded = data.clone();
    padded.extend_from_slice(b"\n\n");
    assert_eq!(pbm::read(&padded, Resolution::FINE, &limits()).unwrap().len(), 3);
    let mut junk = data;
    junk.extend_from_slice(b"junk");
    assert!(matches!(pbm::read(&junk, Resolution::FINE, &limits()), Err(Error::Pbm(_))));
}

#[test]
fn comments_and_odd_whitespace_in_headers() {
    let data = b"P4\n# made by hand\n#another\r\n 9\t# width\n2\n\xff\x80\x00\x7f";
    let page = &pbm::read(data, Resolution::STANDARD, &limits()).unwrap()[0];
    assert_eq!((page.width(), page.height()), (9, 2));
    assert_eq!(page.resolution(), Resolution::STANDARD);
    assert!(page.pixel(8, 0));
    assert!(!page.pixel(0, 1));
    assert!(!page.pixel(8, 1));
    // The padding bits of the last byte of each row (0x7f) are cleared.
    assert_eq!(page.data(), &[0xff, 0x80, 0x00, 0x00]);
}

#[test]
fn plain_pbm() {
    let data = b"P1\n# plain\n5 3\n1 0 1 0 1\n01110\n0 0\n# comment in the raster\n0 0 1\n";
    let page = &pbm::read(data, Resolution::FINE, &limits()).unwrap()[0];
    let rows: Vec<Vec<bool>> = (0..3).map(|y| (0..5).map(|x| page.pixel(x, y)).collect()).collect();
    assert_eq!(
        rows,
        vec![
            vec![true, false, true, false, true],
            vec![false, true, true, true, false],
            vec![false, false, false, false, true],
        ]
    );
    // A plain image followed by a binary one.
    let mut mixed = data.to_vec();
    mixed.extend_from_slice(&pbm::write(&[pattern(3, 2)]));
    assert_eq!(pbm::read(&mixed, Resolution::FINE, &limits()).unwrap().len(), 2);
}

#[test]
fn malformed_pbm() {
    let bad: [&[u8]; 10] = [
        b"P5\n1 1\n\0",
        b"P4",
        b"P4\n8",
        b"P4\n8 x\n",
        b"P4\n8 2\n\x00",
        b"P4\n8 1x\x00",
        b"P4\n99999999999 1\n",
        b"P1\n2 2\n1 0 1",
        b"P1\n2 1\n1 2",
        b"hello",
    ];
    for data in bad {
        let err = pbm::read(data, Resolution::FINE, &limits()).unwrap_err();
        assert!(matches!(err, Error::Pbm(_)), "{:?}: {err}", String::from_utf8_lossy(data));
    }
    assert!(matches!(pbm::read(b"", Resolution::FINE, &limits()), Err(Error::NoPages)));
    assert!(matches!(pbm::read(b" \n", Resolution::FINE, &limits()), Err(Error::NoPages)));
}

#[test]
fn pbm_limits() {
    let huge = b"P4\n100000 100000\n";
    assert!(matches!(pbm::read(huge, Resolution::FINE, &limits()), Err(Error::TooWide { .. })));
    let zero = b"P4\n0 5\n";
    assert!(matches!(pbm::read(zero, Resolution::FINE, &limits()), Err(Error::EmptyPage { .. })));
    // Within the dimension limits but with no raster: refused without allocating.
    let hollow = b"P4\n8192 65536\n";
    assert!(matches!(pbm::read(hollow, Resolution::FINE, &limits()), Err(Error::Pbm("truncated raster"))));
    let hollow_plain = b"P1\n8192 65536\n1";
    assert!(matches!(
        pbm::read(hollow_plain, Resolution::FINE, &limits()),
        Err(Error::Pbm("truncated raster"))
    ));
    let three = pbm::write(&[pattern(8, 1), pattern(8, 1), pattern(8, 1)]);
    let two = Limits { max_pages: 2, ..limits() };
    assert!(matches!(pbm::read(&three, Resolution::FINE, &two), Err(Error::TooManyPages { max: 2 })));
    let tiny = Limits { max_input_bytes: 4, ..limits() };
    assert!(matches!(pbm::read(&three, Resolution::FINE, &tiny), Err(Error::InputTooLarge { .. })));
}

// ---- PNG ----------------------------------------------------------------------------

#[test]
fn png_round_trips_with_resolution() {
    for resolution in [
        Resolution::STANDARD,
        Resolution::FINE,
        Resolution::SUPERFINE,
        Resolution::R16_SUPERFINE,
        Resolution::R300,
    ] {
        let mut page = pattern(77, 19);
        page.set_resolution(resolution);
        let data = png::write(&page).unwrap();
        let back = png::read(&data, Resolution { x_dpi: 1, y_dpi: 1 }, &limits()).unwrap();
        assert_eq!(back, page, "{resolution:?}");
    }
}

#[test]
fn itu_chart_round_trips_through_png() {
    let page = pbm::read(&itu_bytes(4), Resolution::FINE, &limits()).unwrap().remove(0);
    let data = png::write(&page).unwrap();
    assert!(data.len() < page.data().len(), "PNG should compress a chart");
    assert_eq!(png::read(&data, Resolution::STANDARD, &limits()).unwrap(), page);
}

#[test]
fn written_png_is_one_bit_grey_with_zero_black() {
    let mut page = Page::new(3, 1, Resolution::FINE, &limits()).unwrap();
    page.set_pixel(0, 0, true);
    let data = png::write(&page).unwrap();
    let decoder = ::png::Decoder::new(std::io::Cursor::new(&data));
    let mut reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!(info.color_type, ::png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, ::png::BitDepth::One);
    let dims = info.pixel_dims.unwrap();
    assert_eq!((dims.xppu, dims.yppu, dims.unit), (8031, 7717, ::png::Unit::Meter));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    assert_eq!(buf[0] & 0b1110_0000, 0b0110_0000, "black is 0, white is 1");
}

/// Encodes `pixels` (8- or 16-bit samples as given) with the `png` crate.
fn encode_png(
    width: u32,
    height: u32,
    color: ::png::ColorType,
    depth: ::png::BitDepth,
    pixels: &[u8],
    edit: impl FnOnce(&mut ::png::Encoder<'_, &mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(depth);
    edit(&mut encoder);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(pixels).unwrap();
    writer.finish().unwrap();
    out
}

fn bits(page: &Page) -> Vec<bool> {
    (0..page.height())
        .flat_map(|y| (0..page.width()).map(move |x| (x, y)))
        .map(|(x, y)| page.pixel(x, y))
        .collect()
}

#[test]
fn png_colour_types_are_thresholded() {
    use ::png::{BitDepth, ColorType};
    let default = Resolution::STANDARD;
    // Grey 8-bit: 0 and 127 are black, 128 and 255 white.
    let grey = encode_png(4, 1, ColorType::Grayscale, BitDepth::Eight, &[0, 127, 128, 255], |_| {});
    let page = png::read(&grey, default, &limits()).unwrap();
    assert_eq!(bits(&page), [true, true, false, false]);
    assert_eq!(page.resolution(), default, "no pHYs: caller's default");

    // Grey 16-bit, big-endian samples.
    let grey16 = encode_png(2, 1, ColorType::Grayscale, BitDepth::Sixteen, &[0x10, 0, 0xf0, 0], |_| {});
    assert_eq!(bits(&png::read(&grey16, default, &limits()).unwrap()), [true, false]);

    // Grey 2-bit: levels 0, 1, 2, 3 of 3 → black, black, white, white.
    let grey2 = encode_png(4, 1, ColorType::Grayscale, BitDepth::Two, &[0b0001_1011], |_| {});
    assert_eq!(bits(&png::read(&grey2, default, &limits()).unwrap()), [true, true, false, false]);

    // RGB: pure red is dark (luma 76), pure green light (150), blue dark (29).
    let rgb = encode_png(3, 1, ColorType::Rgb, BitDepth::Eight, &[255, 0, 0, 0, 255, 0, 0, 0, 255], |_| {});
    assert_eq!(bits(&png::read(&rgb, default, &limits()).unwrap()), [true, false, true]);

    // RGBA: transparent black is white paper; opaque black is black.
    let rgba = encode_png(2, 1, ColorType::Rgba, BitDepth::Eight, &[0, 0, 0, 0, 0, 0, 0, 255], |_| {});
    assert_eq!(bits(&png::read(&rgba, default, &limits()).unwrap()), [false, true]);

    // Grey + alpha: half-transparent black is a mid grey (just white).
    let ga = encode_png(2, 1, ColorType::GrayscaleAlpha, BitDepth::Eight, &[0, 127, 0, 200], |_| {});
    assert_eq!(bits(&png::read(&ga, default, &limits()).unwrap()), [false, true]);

    // Palette: index 0 is white, index 1 dark blue.
    let indexed = encode_png(3, 1, ColorType::Indexed, BitDepth::Eight, &[0, 1, 0], |e| {
        e.set_palette(vec![255, 255, 255, 0, 0, 128]);
    });
    assert_eq!(bits(&png::read(&indexed, default, &limits()).unwrap()), [false, true, false]);
}

#[test]
fn interlaced_png_is_read() {
    let page = pattern(37, 23);
    let grey: Vec<u8> = bits(&page).iter().map(|&b| if b { 0 } else { 255 }).collect();
    let progressive = encode_png(37, 23, ::png::ColorType::Grayscale, ::png::BitDepth::Eight, &grey, |_| {});
    assert_eq!(png::read(&progressive, Resolution::FINE, &limits()).unwrap(), page);
    // The png crate only writes progressive files, so the interlaced one is built by
    // hand.
    let adam7 = adam7_png(37, 23, &grey);
    assert_eq!(png::read(&adam7, Resolution::FINE, &limits()).unwrap(), page);
}

/// A minimal 8-bit greyscale Adam7 PNG, built by hand: the seven passes' filtered
/// rows in one stored (uncompressed) zlib stream.
fn adam7_png(width: u32, height: u32, grey: &[u8]) -> Vec<u8> {
    const PASSES: [(u32, u32, u32, u32); 7] =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
    let mut raw = Vec::new();
    for (x0, y0, dx, dy) in PASSES {
        if x0 >= width || y0 >= height {
            continue;
        }
        for y in (y0..height).step_by(dy as usize) {
            raw.push(0); // filter type None
            for x in (x0..width).step_by(dx as usize) {
                raw.push(grey[(y * width + x) as usize]);
            }
        }
    }
    let mut zlib = vec![0x78, 0x01];
    for (i, block) in raw.chunks(65535).enumerate() {
        let last = (i + 1) * 65535 >= raw.len();
        zlib.push(u8::from(last));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 1]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xffff_ffffu32;
    for &byte in kind.iter().chain(data) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}

#[test]
fn png_phys_in_metres_is_honoured_and_aspect_only_is_not() {
    let pixels = [255u8; 4];
    let metric = encode_png(4, 1, ::png::ColorType::Grayscale, ::png::BitDepth::Eight, &pixels, |e| {
        // 8 dots/mm by 7.7 lines/mm: T.30 fine.
        e.set_pixel_dims(Some(::png::PixelDimensions { xppu: 8000, yppu: 7700, unit: ::png::Unit::Meter }));
    });
    assert_eq!(png::read(&metric, Resolution::STANDARD, &limits()).unwrap().resolution(), Resolution::FINE);
    let aspect = encode_png(4, 1, ::png::ColorType::Grayscale, ::png::BitDepth::Eight, &pixels, |e| {
        e.set_pixel_dims(Some(::png::PixelDimensions { xppu: 2, yppu: 1, unit: ::png::Unit::Unspecified }));
    });
    assert_eq!(
        png::read(&aspect, Resolution::STANDARD, &limits()).unwrap().resolution(),
        Resolution::STANDARD
    );
}

#[test]
fn png_limits_and_garbage() {
    let page = pattern(100, 50);
    let data = png::write(&page).unwrap();
    let narrow = Limits { max_width: 99, ..limits() };
    assert!(matches!(
        png::read(&data, Resolution::FINE, &narrow),
        Err(Error::TooWide { width: 100, max: 99 })
    ));
    let short = Limits { max_height: 49, ..limits() };
    assert!(matches!(
        png::read(&data, Resolution::FINE, &short),
        Err(Error::TooTall { height: 50, max: 49 })
    ));
    let tiny = Limits { max_input_bytes: 10, ..limits() };
    assert!(matches!(png::read(&data, Resolution::FINE, &tiny), Err(Error::InputTooLarge { .. })));
    // A header that claims a huge image, followed by nothing: refused by the limits
    // before any pixel buffer exists.
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&1_000_000u32.to_be_bytes());
    ihdr.extend_from_slice(&1_000_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut huge, b"IHDR", &ihdr);
    assert!(matches!(png::read(&huge, Resolution::FINE, &limits()), Err(Error::TooWide { .. })));
    assert!(matches!(png::read(b"not a png", Resolution::FINE, &limits()), Err(Error::PngDecode(_))));
    // Cutting into the header or the image data fails; a missing IEND chunk after
    // complete image data is tolerated, as most readers do.
    for len in [0, 8, 20, 33, 45, data.len() / 2] {
        assert!(png::read(&data[..len], Resolution::FINE, &limits()).is_err(), "prefix {len}");
    }
}

#[test]
fn ragged_palette_is_refused_not_a_panic() {
    // Found by fuzzing: a PLTE chunk whose length is not a multiple of three made the
    // png crate index past the palette.
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&4u32.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]);
    chunk(&mut data, b"IHDR", &ihdr);
    chunk(&mut data, b"PLTE", &[0, 1, 2, 3]);
    // One filtered row of four indices, in a stored zlib block.
    let raw = [0u8, 0, 1, 0, 1];
    let mut zlib = vec![0x78, 0x01, 1, 5, 0, 0xfa, 0xff];
    zlib.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    chunk(&mut data, b"IDAT", &zlib);
    chunk(&mut data, b"IEND", &[]);
    assert!(matches!(png::read(&data, Resolution::FINE, &limits()), Err(Error::PngInvalid(_))));
}
