//! TIFF Class F: round trips through every way of writing, tag handling, and hostile
//! files built by hand, each of which must give its own typed error.

use fax_image::tiff::{
    self, ByteOrder, CleanFaxData, Compression, PageMetadata, Reader, TiffPage, WriteOptions,
};
use fax_image::{BitOrder, Coding, Error, Limits, Page, Resolution, StreamEnd};

const ITU_DIR: &str = "/work/shared/testdata/itu";

fn limits() -> Limits {
    Limits::default()
}

/// ITU test chart `n` (1728×2376, fine resolution).
fn itu(n: u32) -> Page {
    let data = std::fs::read(format!("{ITU_DIR}/itu{n}.pbm")).expect("ITU test chart");
    let mut pages = fax_image::pbm::read(&data, Resolution::FINE, &limits()).expect("valid PBM");
    pages.remove(0)
}

/// A page with an awkward width (not a multiple of 8) and a pattern that exercises
/// runs of every length, short enough to code quickly.
fn pattern(width: u32, height: u32, resolution: Resolution) -> Page {
    let mut page = Page::new(width, height, resolution, &limits()).unwrap();
    for y in 0..height {
        for x in 0..width {
            let black = match y % 4 {
                0 => (x / (y % 13 + 1)) % 2 == 0,
                1 => x % 97 < 40,
                2 => (x * 7 + y * 3) % 11 < 3,
                _ => false,
            };
            page.set_pixel(x, y, black);
        }
    }
    page
}

const ALL_COMPRESSIONS: [Compression; 6] = [
    Compression::Uncompressed,
    Compression::Mh { byte_aligned_eol: false },
    Compression::Mh { byte_aligned_eol: true },
    Compression::Mr { k: 4, byte_aligned_eol: false },
    Compression::Mr { k: 2, byte_aligned_eol: true },
    Compression::Mmr,
];

fn options(compression: Compression, fill_order: BitOrder, byte_order: ByteOrder) -> WriteOptions {
    WriteOptions { compression, fill_order, byte_order, software: Some("Ferrofax tests".into()) }
}

fn round_trip(pages: &[Page], options: &WriteOptions) -> Vec<TiffPage> {
    let file = tiff::write(pages, options).unwrap_or_else(|e| panic!("write {options:?}: {e}"));
    let read = tiff::read(&file, &limits()).unwrap_or_else(|e| panic!("read {options:?}: {e}"));
    assert_eq!(read.len(), pages.len());
    for (i, (got, want)) in read.iter().zip(pages).enumerate() {
        assert!(got.page == *want, "page {i} differs with {options:?}");
        assert_eq!(got.report.bad_rows, 0, "{options:?}");
        assert_eq!(got.report.rows, want.height());
    }
    read
}

fn assert_round_trips(compression: Compression) {
    let pages = [pattern(1731, 61, Resolution::STANDARD), pattern(64, 9, Resolution::R300)];
    for fill_order in [BitOrder::MsbFirst, BitOrder::LsbFirst] {
        for byte_order in [ByteOrder::LittleEndian, ByteOrder::BigEndian] {
            let read = round_trip(&pages, &options(compression, fill_order, byte_order));
            let info = &read[1].info;
            assert_eq!(info.fill_order, fill_order);
            assert_eq!(info.resolution, Resolution::R300);
        }
    }
}

// ---- round trips ------------------------------------------------------------------

#[test]
fn uncompressed_round_trips_in_both_fill_and_byte_orders() {
    assert_round_trips(Compression::Uncompressed);
}

#[test]
fn mh_round_trips_in_both_fill_and_byte_orders() {
    assert_round_trips(Compression::Mh { byte_aligned_eol: false });
    assert_round_trips(Compression::Mh { byte_aligned_eol: true });
}

#[test]
fn mr_round_trips_in_both_fill_and_byte_orders() {
    assert_round_trips(Compression::Mr { k: 4, byte_aligned_eol: false });
    assert_round_trips(Compression::Mr { k: 2, byte_aligned_eol: true });
    assert_round_trips(Compression::Mr { k: 1, byte_aligned_eol: false });
}

#[test]
fn mmr_round_trips_in_both_fill_and_byte_orders() {
    assert_round_trips(Compression::Mmr);
}

#[test]
fn itu_charts_round_trip_uncompressed() {
    let pages: Vec<Page> = (1..=8).map(itu).collect();
    let read =
        round_trip(&pages, &options(Compression::Uncompressed, BitOrder::MsbFirst, ByteOrder::LittleEndian));
    for (i, page) in read.iter().enumerate() {
        assert_eq!(page.info.page_number, Some((i as u16, 8)));
        assert_eq!(page.page.resolution(), Resolution::FINE);
    }
}

#[test]
fn itu_charts_round_trip_in_every_coding() {
    let pages: Vec<Page> = (1..=8).map(itu).collect();
    for compression in &ALL_COMPRESSIONS[1..] {
        round_trip(&pages, &options(*compression, BitOrder::MsbFirst, ByteOrder::LittleEndian));
    }
    round_trip(&pages[..2], &options(Compression::Mmr, BitOrder::LsbFirst, ByteOrder::BigEndian));
    round_trip(
        &pages[2..4],
        &options(Compression::Mr { k: 4, byte_aligned_eol: true }, BitOrder::LsbFirst, ByteOrder::BigEndian),
    );
}

#[test]
fn coded_files_are_smaller_than_uncompressed() {
    let page = [itu(1)];
    let raw =
        tiff::write(&page, &options(Compression::Uncompressed, BitOrder::MsbFirst, ByteOrder::LittleEndian))
            .unwrap();
    let mmr = tiff::write(&page, &WriteOptions::default()).unwrap();
    assert!(mmr.len() * 4 < raw.len(), "MMR {} vs raw {}", mmr.len(), raw.len());
}

// ---- tags -------------------------------------------------------------------------

#[test]
fn write_records_coding_options_as_class_f_asks() {
    let page = [pattern(40, 3, Resolution::FINE)];
    let cases = [
        (Compression::Uncompressed, 1, 0, 0),
        (Compression::Mh { byte_aligned_eol: false }, 3, 0, 0),
        (Compression::Mh { byte_aligned_eol: true }, 3, 4, 0),
        (Compression::Mr { k: 4, byte_aligned_eol: false }, 3, 1, 0),
        (Compression::Mr { k: 4, byte_aligned_eol: true }, 3, 5, 0),
        (Compression::Mmr, 4, 0, 0),
    ];
    for (compression, tag, t4, t6) in cases {
        // `read_info` never runs the codec, so this only needs the encoder.
        let Ok(file) = tiff::write(&page, &options(compression, BitOrder::LsbFirst, ByteOrder::BigEndian))
        else {
            assert_ne!(compression, Compression::Uncompressed);
            continue;
        };
        let info = tiff::read_info(&file, &limits()).unwrap();
        assert_eq!(info.byte_order, ByteOrder::BigEndian);
        let page = &info.pages[0];
        assert_eq!((page.compression, page.t4_options, page.t6_options), (tag, t4, t6), "{compression:?}");
        assert_eq!(page.fill_order, BitOrder::LsbFirst);
        assert_eq!(page.photometric, 0);
        assert_eq!(page.new_subfile_type, 2);
        assert_eq!(page.strips, 1);
        assert_eq!(page.rows_per_strip, 3);
        assert_eq!(page.software.as_deref(), Some("Ferrofax tests"));
    }
}

#[test]
fn coding_is_interpreted_from_the_tags() {
    let page = [pattern(40, 3, Resolution::STANDARD)];
    let file =
        tiff::write(&page, &options(Compression::Uncompressed, BitOrder::MsbFirst, ByteOrder::LittleEndian))
            .unwrap();
    let info = tiff::read_info(&file, &limits()).unwrap();
    assert_eq!(info.pages[0].coding(), None);
    let mut p = info.pages[0].clone();
    p.compression = 3;
    assert_eq!(p.coding(), Some(Coding::Mh));
    p.t4_options = 1;
    assert_eq!(p.coding(), Some(Coding::Mr { k: 2 }));
    p.compression = 4;
    assert_eq!(p.coding(), Some(Coding::Mmr));
}

#[test]
fn per_page_metadata_round_trips() {
    let pages = [pattern(100, 5, Resolution::FINE), pattern(100, 7, Resolution::STANDARD)];
    let received = PageMetadata {
        bad_fax_lines: Some(12),
        clean_fax_data: Some(CleanFaxData::Regenerated),
        consecutive_bad_fax_lines: Some(4),
        description: Some("from +44 20 7946 0000 — page one".into()),
        datetime: Some("2025:01:02 03:04:05".into()),
    };
    let plain = PageMetadata { description: Some("second".into()), ..PageMetadata::default() };
    let coded = WriteOptions { compression: Compression::Mmr, ..options_le() };
    let file = tiff::write_with_metadata([(&pages[0], &received), (&pages[1], &plain)], &coded);
    // The copy-quality tags only go with coded pages; check the structure even while
    // the codec is unavailable, through an uncompressed file for the text tags.
    if let Ok(file) = file {
        let info = tiff::read_info(&file, &limits()).unwrap();
        assert_eq!(info.pages[0].metadata(), received);
        assert_eq!(info.pages[1].metadata(), plain);
        assert_eq!(info.pages[0].page_number, Some((0, 2)));
        assert_eq!(info.pages[1].page_number, Some((1, 2)));
        assert_eq!(info.pages[1].resolution, Resolution::STANDARD);
    }
    let file =
        tiff::write_with_metadata([(&pages[0], &received), (&pages[1], &plain)], &options_le()).unwrap();
    let info = tiff::read_info(&file, &limits()).unwrap();
    let first = &info.pages[0];
    assert_eq!(first.description, received.description);
    assert_eq!(first.datetime, received.datetime);
    assert_eq!(first.bad_fax_lines, None, "not written on uncompressed pages");
    assert_eq!(info.pages[1].datetime, None);
}

fn options_le() -> WriteOptions {
    options(Compression::Uncompressed, BitOrder::MsbFirst, ByteOrder::LittleEndian)
}

#[test]
fn metadata_from_a_decode_report() {
    let report =
        fax_image::DecodeReport { rows: 100, bad_rows: 3, max_consecutive_bad_rows: 2, end: StreamEnd::Rtc };
    let meta = PageMetadata::from_report(&report);
    assert_eq!(meta.bad_fax_lines, Some(3));
    assert_eq!(meta.consecutive_bad_fax_lines, Some(2));
    assert_eq!(meta.clean_fax_data, Some(CleanFaxData::Regenerated));
    let clean = PageMetadata::from_report(&fax_image::DecodeReport { rows: 100, ..Default::default() });
    assert_eq!(clean.clean_fax_data, Some(CleanFaxData::Clean));
}

#[test]
fn bad_datetime_and_text_are_refused() {
    let page = pattern(8, 1, Resolution::FINE);
    for bad in ["2025-01-02 03:04:05", "2025:01:02 03:04", "2025:01:02T03:04:05", ""] {
        let meta = PageMetadata { datetime: Some(bad.into()), ..PageMetadata::default() };
        let err = tiff::write_with_metadata([(&page, &meta)], &options_le()).unwrap_err();
        assert!(matches!(err, Error::TiffBadTag { tag: "DateTime", .. }), "{bad}: {err}");
    }
    let meta = PageMetadata { description: Some("a\0b".into()), ..PageMetadata::default() };
    let err = tiff::write_with_metadata([(&page, &meta)], &options_le()).unwrap_err();
    assert!(matches!(err, Error::TiffBadTag { tag: "ImageDescription", .. }), "{err}");
}

#[test]
fn zero_resolution_is_not_written() {
    let mut page = pattern(8, 1, Resolution::FINE);
    page.set_resolution(Resolution { x_dpi: 204, y_dpi: 0 });
    let err = tiff::write(&[page], &options_le()).unwrap_err();
    assert!(matches!(err, Error::TiffBadTag { tag: "YResolution", .. }), "{err}");
}

#[test]
fn writing_nothing_or_k_zero_fails() {
    assert!(matches!(tiff::write(&[], &options_le()), Err(Error::NoPages)));
    let page = [pattern(8, 1, Resolution::FINE)];
    let k0 = WriteOptions { compression: Compression::Mr { k: 0, byte_aligned_eol: false }, ..options_le() };
    assert!(matches!(tiff::write(&page, &k0), Err(Error::InvalidKFactor)));
}

#[test]
fn written_files_are_word_aligned_sorted_and_terminated() {
    // Odd-sized strips and strings force padding.
    let pages = [pattern(9, 3, Resolution::FINE), pattern(9, 3, Resolution::FINE)];
    let meta = PageMetadata { description: Some("odd".into()), ..PageMetadata::default() };
    for byte_order in [ByteOrder::LittleEndian, ByteOrder::BigEndian] {
        let file = tiff::write_with_metadata(
            pages.iter().map(|p| (p, &meta)),
            &WriteOptions { byte_order, ..options_le() },
        )
        .unwrap();
        let le = byte_order == ByteOrder::LittleEndian;
        let u16_at = |p: usize| {
            let b = [file[p], file[p + 1]];
            if le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) }
        };
        let u32_at = |p: usize| {
            let b = [file[p], file[p + 1], file[p + 2], file[p + 3]];
            if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) }
        };
        let mut ifd = u32_at(4) as usize;
        let mut seen = 0;
        while ifd != 0 {
            assert_eq!(ifd % 2, 0, "IFD offset {ifd} is odd");
            let n = u16_at(ifd) as usize;
            let tags: Vec<u16> = (0..n).map(|i| u16_at(ifd + 2 + 12 * i)).collect();
            assert!(tags.windows(2).all(|w| w[0] < w[1]), "tags not ascending: {tags:?}");
            for (i, &tag) in tags.iter().enumerate() {
                let entry = ifd + 2 + 12 * i;
                let size = match u16_at(entry + 2) {
                    1 | 2 => 1,
                    3 => 2,
                    4 => 4,
                    5 => 8,
                    t => panic!("unexpected type {t}"),
                };
                if size * u32_at(entry + 4) as usize > 4 {
                    assert_eq!(u32_at(entry + 8) % 2, 0, "value offset of tag {tag} is odd");
                }
                if tag == 273 {
                    assert_eq!(u32_at(entry + 8) % 2, 0, "strip offset is odd");
                }
            }
            ifd = u32_at(ifd + 2 + 12 * n) as usize;
            seen += 1;
        }
        assert_eq!(seen, 2);
    }
}

// ---- reading what other writers produce ---------------------------------------------

/// A file assembled by hand: little- or big-endian, directories and data blobs placed
/// where the test says.
struct Raw {
    le: bool,
    buf: Vec<u8>,
}

/// One directory entry; `value` is the raw value-or-offset field, which the builder
/// stores left-justified as TIFF requires for values shorter than four bytes.
#[derive(Clone, Copy)]
struct E {
    tag: u16,
    typ: u16,
    count: u32,
    value: u32,
}

const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;
const ASCII: u16 = 2;

fn short(tag: u16, v: u16) -> E {
    E { tag, typ: SHORT, count: 1, value: u32::from(v) }
}
fn long(tag: u16, v: u32) -> E {
    E { tag, typ: LONG, count: 1, value: v }
}

impl Raw {
    fn new(le: bool) -> Self {
        let mut raw = Raw { le, buf: Vec::new() };
        raw.buf.extend_from_slice(if le { b"II" } else { b"MM" });
        raw.u16(42);
        raw.u32(0);
        raw
    }
    fn u16(&mut self, v: u16) {
        let b = if self.le { v.to_le_bytes() } else { v.to_be_bytes() };
        self.buf.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.le { v.to_le_bytes() } else { v.to_be_bytes() };
        self.buf.extend_from_slice(&b);
    }
    fn patch(&mut self, pos: usize, v: u32) {
        let b = if self.le { v.to_le_bytes() } else { v.to_be_bytes() };
        self.buf[pos..pos + 4].copy_from_slice(&b);
    }
    /// Appends bytes at a word boundary and returns their offset.
    fn blob(&mut self, bytes: &[u8]) -> u32 {
        if self.buf.len() % 2 == 1 {
            self.buf.push(0);
        }
        let at = self.buf.len() as u32;
        self.buf.extend_from_slice(bytes);
        at
    }
    fn u32s(&mut self, values: &[u32]) -> u32 {
        let at = self.blob(&[]);
        values.iter().for_each(|&v| self.u32(v));
        at
    }
    /// Appends a directory; returns its offset and the position of its link field.
    fn ifd(&mut self, entries: &[E]) -> (u32, usize) {
        let at = self.blob(&[]);
        self.u16(entries.len() as u16);
        for e in entries {
            self.u16(e.tag);
            self.u16(e.typ);
            self.u32(e.count);
            // Left-justify one or two SHORTs in the four-byte field.
            if e.typ == SHORT && e.count <= 2 && !self.le {
                let v = if e.count == 1 { e.value << 16 } else { e.value };
                self.u32(v);
            } else {
                self.u32(e.value);
            }
        }
        let link = self.buf.len();
        self.u32(0);
        (at, link)
    }
    fn first(&mut self, ifd: u32) {
        self.patch(4, ifd);
    }
}

/// The usual tags of a bilevel page with one strip at `strip`.
fn base(width: u32, height: u32, compression: u16, strip: u32, len: u32) -> Vec<E> {
    vec![
        long(256, width),
        long(257, height),
        short(258, 1),
        short(259, compression),
        short(262, 0),
        long(273, strip),
        short(277, 1),
        long(278, height),
        long(279, len),
    ]
}

fn with(mut entries: Vec<E>, e: E) -> Vec<E> {
    entries.retain(|x| x.tag != e.tag);
    entries.push(e);
    entries.sort_by_key(|e| e.tag);
    entries
}

fn without(mut entries: Vec<E>, tag: u16) -> Vec<E> {
    entries.retain(|x| x.tag != tag);
    entries
}

/// A complete one-page uncompressed file for `page`, built by hand.
fn raw_file(page: &Page, le: bool, edit: impl FnOnce(Vec<E>) -> Vec<E>) -> Vec<u8> {
    let mut raw = Raw::new(le);
    let strip = raw.blob(page.data());
    let entries = edit(base(page.width(), page.height(), 1, strip, page.data().len() as u32));
    let (ifd, _) = raw.ifd(&entries);
    raw.first(ifd);
    raw.buf
}

fn read_err(file: &[u8]) -> Error {
    match tiff::read(file, &limits()) {
        Ok(pages) => panic!("expected an error, read {} pages", pages.len()),
        Err(e) => e,
    }
}

#[test]
fn minimal_hand_built_file_reads_with_defaults() {
    let page = pattern(21, 5, Resolution::FINE);
    for le in [true, false] {
        let file = raw_file(&page, le, |e| e);
        let read = tiff::read(&file, &limits()).unwrap();
        assert!(read[0].page == page);
        assert_eq!(read[0].info.resolution, Resolution::FINE, "missing resolution means fine");
        assert_eq!(read[0].info.page_number, None);
        assert_eq!(read[0].report.end, StreamEnd::RowCount);
    }
}

#[test]
fn black_is_zero_is_inverted() {
    let page = pattern(13, 4, Resolution::FINE);
    let inverted: Vec<u8> = page.data().iter().map(|b| !b).collect();
    let mut raw = Raw::new(false);
    let strip = raw.blob(&inverted);
    let entries = with(base(13, 4, 1, strip, inverted.len() as u32), short(262, 1));
    let (ifd, _) = raw.ifd(&entries);
    raw.first(ifd);
    let read = tiff::read(&raw.buf, &limits()).unwrap();
    assert!(read[0].page == page, "padding bits must be cleared after inversion");
    assert_eq!(read[0].info.photometric, 1);
}

#[test]
fn several_uncompressed_strips_with_lsb_fill_order() {
    let page = pattern(30, 10, Resolution::FINE);
    let stride = page.stride();
    let reversed: Vec<u8> = page.data().iter().map(|b| b.reverse_bits()).collect();
    let mut raw = Raw::new(false);
    // Strips of 4, 4 and 2 rows, stored out of order to make sure offsets are used.
    let s2 = raw.blob(&reversed[8 * stride..]);
    let s0 = raw.blob(&reversed[..4 * stride]);
    let s1 = raw.blob(&reversed[4 * stride..8 * stride]);
    let offsets = raw.u32s(&[s0, s1, s2]);
    let counts = raw.u32s(&[4 * stride as u32, 4 * stride as u32, 2 * stride as u32]);
    let mut entries = base(30, 10, 1, 0, 0);
    entries = with(entries, E { tag: 273, typ: LONG, count: 3, value: offsets });
    entries = with(entries, E { tag: 279, typ: LONG, count: 3, value: counts });
    entries = with(entries, long(278, 4));
    entries = with(entries, short(266, 2));
    let (ifd, _) = raw.ifd(&entries);
    raw.first(ifd);
    let read = tiff::read(&raw.buf, &limits()).unwrap();
    assert!(read[0].page == page);
    assert_eq!((read[0].info.strips, read[0].info.rows_per_strip), (3, 4));
}

#[test]
fn several_coded_strips_are_decoded_independently() {
    let page = itu(2);
    let rows_per_strip = 1000;
    for compression in ALL_COMPRESSIONS {
        let Some(coding) = (match compression {
            Compression::Mh { .. } => Some(Coding::Mh),
            Compression::Mr { k, .. } => Some(Coding::Mr { k }),
            Compression::Mmr => Some(Coding::Mmr),
            Compression::Uncompressed => None,
        }) else {
            continue;
        };
        let (t4, options) = match compression {
            Compression::Mh { byte_aligned_eol } => (
                Some(if byte_aligned_eol { 4 } else { 0 }),
                fax_image::EncodeOptions::tiff_g3(coding, byte_aligned_eol),
            ),
            Compression::Mr { byte_aligned_eol, .. } => (
                Some(if byte_aligned_eol { 5 } else { 1 }),
                fax_image::EncodeOptions::tiff_g3(coding, byte_aligned_eol),
            ),
            _ => (None, fax_image::EncodeOptions::tiff_g4()),
        };
        let mut raw = Raw::new(true);
        let (mut offsets, mut counts) = (Vec::new(), Vec::new());
        let mut y = 0;
        while y < page.height() {
            let rows = rows_per_strip.min(page.height() - y);
            let mut part = Page::new(page.width(), rows, page.resolution(), &limits()).unwrap();
            for r in 0..rows {
                part.row_mut(r).copy_from_slice(page.row(y + r));
            }
            let coded = fax_image::encode(&part, &options).expect("encoder");
            offsets.push(raw.blob(&coded));
            counts.push(coded.len() as u32);
            y += rows;
        }
        let n = offsets.len() as u32;
        let offsets = raw.u32s(&offsets);
        let counts = raw.u32s(&counts);
        let mut entries = base(page.width(), page.height(), if t4.is_some() { 3 } else { 4 }, 0, 0);
        entries = with(entries, E { tag: 273, typ: LONG, count: n, value: offsets });
        entries = with(entries, E { tag: 279, typ: LONG, count: n, value: counts });
        entries = with(entries, long(278, rows_per_strip));
        if let Some(t4) = t4 {
            entries = with(entries, long(292, t4));
        }
        let (ifd, _) = raw.ifd(&entries);
        raw.first(ifd);
        let read = tiff::read(&raw.buf, &limits()).unwrap_or_else(|e| panic!("{compression:?}: {e}"));
        assert!(read[0].page == page, "{compression:?}");
        assert_eq!(read[0].report.bad_rows, 0);
        assert_eq!(read[0].report.rows, page.height());
        assert_eq!(read[0].info.strips, 3);
    }
}

#[test]
fn resolution_in_centimetres_becomes_fax_dpi() {
    let page = pattern(8, 2, Resolution::FINE);
    let mut raw = Raw::new(true);
    let strip = raw.blob(page.data());
    let x = raw.u32s(&[80, 1]);
    let y = raw.u32s(&[770, 10]);
    let mut entries = base(8, 2, 1, strip, 2);
    entries = with(entries, E { tag: 282, typ: RATIONAL, count: 1, value: x });
    entries = with(entries, E { tag: 283, typ: RATIONAL, count: 1, value: y });
    entries = with(entries, short(296, 3));
    let (ifd, _) = raw.ifd(&entries);
    raw.first(ifd);
    let info = tiff::read_info(&raw.buf, &limits()).unwrap();
    assert_eq!(info.pages[0].resolution, Resolution::FINE);
}

#[test]
fn text_and_fax_tags_are_read_from_any_writer() {
    let page = pattern(8, 2, Resolution::FINE);
    let mut raw = Raw::new(false);
    let strip = raw.blob(page.data());
    let make = raw.blob(b"Acme\0");
    let model = raw.blob(b"FX-1\0junk");
    let mut entries = base(8, 2, 1, strip, 2);
    entries = with(entries, E { tag: 271, typ: ASCII, count: 5, value: make });
    entries = with(entries, E { tag: 272, typ: ASCII, count: 9, value: model });
    // Short strings live in the entry itself.
    entries = with(entries, E { tag: 305, typ: ASCII, count: 3, value: u32::from_be_bytes(*b"ok\0\0") });
    entries = with(entries, E { tag: 297, typ: SHORT, count: 2, value: (2 << 16) | 5 });
    entries = with(entries, short(326, 7));
    entries = with(entries, short(327, 2));
    entries = with(entries, long(328, 3));
    // A wrong type on a tag that only informs is ignored.
    entries = with(entries, short(306, 1));
    let (ifd, _) = raw.ifd(&entries);
    raw.first(ifd);
    let info = &tiff::read_info(&raw.buf, &limits()).unwrap().pages[0];
    assert_eq!(info.make.as_deref(), Some("Acme"));
    assert_eq!(info.model.as_deref(), Some("FX-1"));
    assert_eq!(info.software.as_deref(), Some("ok"));
    assert_eq!(info.page_number, Some((2, 5)));
    assert_eq!(info.bad_fax_lines, Some(7));
    assert_eq!(info.clean_fax_data, Some(CleanFaxData::Unclean));
    assert_eq!(info.consecutive_bad_fax_lines, Some(3));
    assert_eq!(info.datetime, None);
}

#[test]
fn reduced_resolution_images_are_skipped() {
    let page = pattern(16, 4, Resolution::FINE);
    let mut raw = Raw::new(true);
    let strip = raw.blob(page.data());
    let thumb = with(base(16, 4, 1, strip, 8), long(254, 1));
    let real = with(base(16, 4, 1, strip, 8), long(254, 2));
    let (first, link) = raw.ifd(&thumb);
    let (second, _) = raw.ifd(&real);
    raw.first(first);
    raw.patch(link, second);
    let read = tiff::read(&raw.buf, &limits()).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].info.new_subfile_type, 2);
}

#[test]
fn reader_decodes_pages_on_demand() {
    let pages = [pattern(16, 4, Resolution::FINE), pattern(24, 2, Resolution::STANDARD)];
    let file = tiff::write(&pages, &options_le()).unwrap();
    let reader = Reader::new(&file, &limits()).unwrap();
    assert_eq!(reader.page_count(), 2);
    assert_eq!(reader.byte_order(), ByteOrder::LittleEndian);
    assert_eq!(reader.page_info(1).unwrap().width, 24);
    assert!(reader.page_info(2).is_none());
    assert!(reader.decode_page(1).unwrap().page == pages[1]);
    assert!(matches!(reader.decode_page(2), Err(Error::NoPages)));
    assert!(format!("{reader:?}").contains("pages: 2"));
}

// ---- hostile files ------------------------------------------------------------------

fn small_page() -> Page {
    pattern(16, 4, Resolution::FINE)
}

#[test]
fn not_tiff() {
    assert!(matches!(read_err(b""), Error::NotTiff));
    assert!(matches!(read_err(b"I"), Error::NotTiff));
    assert!(matches!(read_err(b"GIF89a......"), Error::NotTiff));
    assert!(matches!(read_err(b"II\x2b\x00\x08\x00\x00\x00"), Error::TiffBigTiff));
    assert!(matches!(read_err(b"MM\x00\x2b\x00\x08\x00\x00"), Error::TiffBigTiff));
    assert!(matches!(read_err(b"II\x2a\x00\x08\x00"), Error::TiffOutOfBounds { what: "header", .. }));
    assert!(matches!(read_err(b"II\x2a\x00\x00\x00\x00\x00"), Error::NoPages));
}

#[test]
fn directory_past_the_end() {
    let mut file = raw_file(&small_page(), true, |e| e);
    let past = file.len() as u32 + 100;
    file[4..8].copy_from_slice(&past.to_le_bytes());
    assert!(matches!(read_err(&file), Error::TiffOutOfBounds { what: "IFD", .. }));
    file[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(read_err(&file), Error::TiffOutOfBounds { what: "IFD", .. }));
}

#[test]
fn directory_entry_count_past_the_end() {
    let mut raw = Raw::new(true);
    let (ifd, _) = raw.ifd(&base(16, 4, 1, 0, 8));
    raw.first(ifd);
    let at = ifd as usize;
    raw.buf[at..at + 2].copy_from_slice(&u16::MAX.to_le_bytes());
    assert!(matches!(read_err(&raw.buf), Error::TiffOutOfBounds { what: "IFD", .. }));
}

#[test]
fn directory_loops() {
    let page = small_page();
    // A directory that links to itself.
    let mut raw = Raw::new(true);
    let strip = raw.blob(page.data());
    let (ifd, link) = raw.ifd(&base(16, 4, 1, strip, 8));
    raw.first(ifd);
    raw.patch(link, ifd);
    assert!(matches!(read_err(&raw.buf), Error::TiffIfdLoop { offset } if offset == u64::from(ifd)));
    // Two directories that link to each other.
    let mut raw = Raw::new(false);
    let strip = raw.blob(page.data());
    let (a, link_a) = raw.ifd(&base(16, 4, 1, strip, 8));
    let (b, link_b) = raw.ifd(&base(16, 4, 1, strip, 8));
    raw.first(a);
    raw.patch(link_a, b);
    raw.patch(link_b, a);
    assert!(matches!(read_err(&raw.buf), Error::TiffIfdLoop { offset } if offset == u64::from(a)));
    assert!(matches!(tiff::read_info(&raw.buf, &limits()), Err(Error::TiffIfdLoop { .. })));
}

#[test]
fn too_many_pages() {
    let page = small_page();
    let mut raw = Raw::new(true);
    let strip = raw.blob(page.data());
    let mut link = 4;
    for _ in 0..5 {
        let (ifd, next) = raw.ifd(&base(16, 4, 1, strip, 8));
        raw.patch(link, ifd);
        link = next;
    }
    assert_eq!(tiff::read(&raw.buf, &limits()).unwrap().len(), 5);
    let four = Limits { max_pages: 4, ..limits() };
    assert!(matches!(tiff::read_info(&raw.buf, &four), Err(Error::TooManyPages { max: 4 })));
}

#[test]
fn many_pages_sharing_one_strip_hit_the_decoded_size_budget() {
    // Ten 2048×2048 pages (512 KiB each when decoded) all pointing at one strip.
    let mut raw = Raw::new(true);
    let strip = raw.blob(&vec![0u8; 256 * 2048]);
    let mut link = 4;
    for _ in 0..10 {
        let (ifd, next) = raw.ifd(&base(2048, 2048, 1, strip, 256 * 2048));
        raw.patch(link, ifd);
        link = next;
    }
    let tight = Limits { max_decoded_bytes: 4 * 1024 * 1024, ..limits() };
    assert!(matches!(
        tiff::read(&raw.buf, &tight),
        Err(Error::DecodedTooLarge { bytes, max }) if bytes == 10 * 512 * 1024 && max == 4 * 1024 * 1024
    ));
    // Page at a time is still possible.
    let reader = Reader::new(&raw.buf, &tight).unwrap();
    assert_eq!(reader.decode_page(9).unwrap().page.black_pixels(), 0);
}

#[test]
fn input_larger_than_the_limit() {
    let file = raw_file(&small_page(), true, |e| e);
    let tiny = Limits { max_input_bytes: 16, ..limits() };
    assert!(matches!(tiff::read(&file, &tiny), Err(Error::InputTooLarge { max: 16, .. })));
}

#[test]
fn huge_dimensions_are_refused_before_allocating() {
    let page = small_page();
    let wide = raw_file(&page, true, |e| with(e, long(256, u32::MAX)));
    assert!(matches!(read_err(&wide), Error::TooWide { width: u32::MAX, .. }));
    let tall = raw_file(&page, false, |e| with(e, long(257, 1 << 30)));
    assert!(matches!(read_err(&tall), Error::TooTall { .. }));
    let empty = raw_file(&page, true, |e| with(e, long(256, 0)));
    assert!(matches!(read_err(&empty), Error::EmptyPage { .. }));
    // Within the default limits but beyond tighter ones.
    let small = Limits { max_width: 8, ..limits() };
    let file = raw_file(&page, true, |e| e);
    assert!(matches!(tiff::read_info(&file, &small), Err(Error::TooWide { width: 16, max: 8 })));
}

#[test]
fn strips_past_the_end() {
    let page = small_page();
    let offset = raw_file(&page, true, |e| with(e, long(273, 1 << 20)));
    assert!(matches!(read_err(&offset), Error::TiffOutOfBounds { what: "strip", offset: 1_048_576 }));
    let count = raw_file(&page, true, |e| with(e, long(279, u32::MAX)));
    assert!(matches!(read_err(&count), Error::TiffOutOfBounds { what: "strip", .. }));
}

#[test]
fn zero_length_and_short_strips() {
    let page = small_page();
    let zero = raw_file(&page, true, |e| with(e, long(279, 0)));
    assert!(matches!(read_err(&zero), Error::TiffBadTag { tag: "StripByteCounts", .. }));
    let short_strip = raw_file(&page, true, |e| with(e, long(279, 7)));
    assert!(matches!(read_err(&short_strip), Error::TiffBadTag { tag: "StripByteCounts", .. }));
    // A zero-length coded strip is refused the same way, before the codec sees it.
    let coded = raw_file(&page, true, |e| with(with(e, short(259, 4)), long(279, 0)));
    assert!(matches!(read_err(&coded), Error::TiffBadTag { tag: "StripByteCounts", .. }));
}

#[test]
fn missing_tags() {
    let page = small_page();
    for (tag, name) in
        [(256, "ImageWidth"), (257, "ImageLength"), (273, "StripOffsets"), (279, "StripByteCounts")]
    {
        let file = raw_file(&page, true, |e| without(e, tag));
        assert!(matches!(read_err(&file), Error::TiffMissingTag { page: 0, tag } if tag == name), "{name}");
    }
}

#[test]
fn wrong_types() {
    let page = small_page();
    let width_ascii = raw_file(&page, true, |e| with(e, E { tag: 256, typ: ASCII, count: 4, value: 0 }));
    assert!(matches!(read_err(&width_ascii), Error::TiffBadTag { tag: "ImageWidth", .. }));
    let offsets_rational =
        raw_file(&page, true, |e| with(e, E { tag: 273, typ: RATIONAL, count: 1, value: 8 }));
    assert!(matches!(read_err(&offsets_rational), Error::TiffBadTag { tag: "StripOffsets", .. }));
    let xres_short = raw_file(&page, false, |e| with(e, short(282, 204)));
    assert!(matches!(read_err(&xres_short), Error::TiffBadTag { tag: "XResolution", .. }));
    let unknown_type = raw_file(&page, true, |e| with(e, E { tag: 259, typ: 99, count: 1, value: 1 }));
    assert!(matches!(read_err(&unknown_type), Error::TiffBadTag { tag: "Compression", .. }));
    let no_value = raw_file(&page, true, |e| with(e, E { tag: 257, typ: LONG, count: 0, value: 0 }));
    assert!(matches!(read_err(&no_value), Error::TiffBadTag { tag: "ImageLength", .. }));
}

#[test]
fn enormous_counts() {
    let page = small_page();
    // Counts whose values would lie far beyond the file.
    let offsets = raw_file(&page, true, |e| with(e, E { tag: 273, typ: LONG, count: 1 << 30, value: 8 }));
    assert!(matches!(read_err(&offsets), Error::TiffOutOfBounds { what: "StripOffsets", .. }));
    let text = raw_file(&page, true, |e| with(e, E { tag: 270, typ: ASCII, count: u32::MAX, value: 8 }));
    assert!(matches!(read_err(&text), Error::TiffOutOfBounds { what: "ImageDescription", .. }));
    // Tags we do not use are never looked at, whatever their count or type.
    let unknown = raw_file(&page, true, |e| with(e, E { tag: 65000, typ: 77, count: u32::MAX, value: 8 }));
    assert!(tiff::read(&unknown, &limits()).is_ok());
    // More strip offsets than strips is fine; fewer is not.
    let mut raw = Raw::new(true);
    let strip = raw.blob(page.data());
    let two = raw.u32s(&[strip, strip]);
    let entries =
        with(with(base(16, 4, 1, strip, 8), long(278, 2)), E { tag: 273, typ: LONG, count: 2, value: two });
    let (ifd, _) = raw.ifd(&entries);
    raw.first(ifd);
    assert!(matches!(read_err(&raw.buf), Error::TiffBadTag { tag: "StripByteCounts", .. }));
}

#[test]
fn values_that_are_not_bilevel_or_not_fax() {
    let page = small_page();
    type Check = fn(&Error) -> bool;
    let cases: [(E, Check); 9] = [
        (short(258, 8), |e| matches!(e, Error::TiffNotBilevel { page: 0 })),
        (short(277, 3), |e| matches!(e, Error::TiffNotBilevel { page: 0 })),
        (short(259, 5), |e| matches!(e, Error::TiffUnsupportedCompression { page: 0, compression: 5 })),
        (long(259, 70000), |e| matches!(e, Error::TiffUnsupportedCompression { compression: u16::MAX, .. })),
        (short(262, 2), |e| matches!(e, Error::TiffBadTag { tag: "PhotometricInterpretation", .. })),
        (short(266, 3), |e| matches!(e, Error::TiffBadTag { tag: "FillOrder", .. })),
        (short(296, 7), |e| matches!(e, Error::TiffBadTag { tag: "ResolutionUnit", .. })),
        (long(278, 0), |e| matches!(e, Error::TiffBadTag { tag: "RowsPerStrip", .. })),
        (long(278, 1), |e| matches!(e, Error::TiffBadTag { tag: "StripOffsets", .. })),
    ];
    for (entry, expected) in cases {
        let file = raw_file(&page, true, |e| with(e, entry));
        let err = read_err(&file);
        assert!(expected(&err), "tag {} = {}: {err}", entry.tag, entry.value);
    }
}

#[test]
fn zero_denominator_resolution() {
    let page = small_page();
    let mut raw = Raw::new(true);
    let strip = raw.blob(page.data());
    let x = raw.u32s(&[204, 0]);
    let entries = with(base(16, 4, 1, strip, 8), E { tag: 282, typ: RATIONAL, count: 1, value: x });
    let (ifd, _) = raw.ifd(&entries);
    raw.first(ifd);
    assert!(matches!(
        read_err(&raw.buf),
        Error::TiffBadTag { tag: "XResolution", reason: "zero denominator", .. }
    ));
}

#[test]
fn every_truncation_fails_cleanly() {
    let pages = [pattern(33, 5, Resolution::FINE), pattern(8, 3, Resolution::STANDARD)];
    let meta = PageMetadata { description: Some("truncate me".into()), ..PageMetadata::default() };
    let file = tiff::write_with_metadata(pages.iter().map(|p| (p, &meta)), &options_le()).unwrap();
    for len in 0..file.len() {
        assert!(tiff::read(&file[..len], &limits()).is_err(), "prefix of {len} bytes was accepted");
    }
    assert!(tiff::read(&file, &limits()).is_ok());
}

/// A small deterministic generator, so that the mutation test needs no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_files_never_panic() {
    let pages = [pattern(45, 12, Resolution::FINE), pattern(20, 5, Resolution::STANDARD)];
    let meta = PageMetadata {
        description: Some("x".into()),
        datetime: Some("2025:01:01 00:00:00".into()),
        ..Default::default()
    };
    let tight = Limits {
        max_width: 4096,
        max_height: 4096,
        max_pages: 16,
        max_input_bytes: 1 << 20,
        max_decoded_bytes: 16 << 20,
    };
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for compression in ALL_COMPRESSIONS {
        let Ok(file) = tiff::write_with_metadata(
            pages.iter().map(|p| (p, &meta)),
            &WriteOptions { compression, ..options_le() },
        ) else {
            continue;
        };
        for _ in 0..3000 {
            let mut mutated = file.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % mutated.len() as u64) as usize;
                mutated[at] = rng.next() as u8;
            }
            let _ = tiff::read(&mutated, &tight);
        }
    }
}

#[test]
fn overlapping_directories_are_refused() {
    // Directories of 65535 entries, each starting 12 bytes after the previous so that
    // they share almost all their entries: under a megabyte of file, but 65 million
    // entries to walk if overlaps were allowed.
    const N: usize = 65535;
    const IFDS: usize = 1000;
    // Far enough in that no link value (read as a tag) is a tag the reader uses.
    let first_ifd = 400usize;
    let mut file = vec![0u8; first_ifd + 2 + 12 * (N + IFDS)];
    file[..4].copy_from_slice(b"II\x2a\x00");
    file[4..8].copy_from_slice(&(first_ifd as u32).to_le_bytes());
    file[8..10].copy_from_slice(&[0xa5, 0x5a]); // The one strip: 16 pixels.
    file[first_ifd..first_ifd + 2].copy_from_slice(&(N as u16).to_le_bytes());
    // A cycle of SHORT entries describing a 16×1 page. The upper half of each value
    // field doubles as the entry count of the directory that starts there.
    let period: [(u16, u16); 8] =
        [(256, 16), (257, 1), (258, 1), (259, 1), (262, 0), (273, 8), (278, 1), (279, 2)];
    let entries = first_ifd + 2;
    for i in 0..N + IFDS {
        let at = entries + 12 * i;
        let (tag, value) = period[i % period.len()];
        file[at..at + 2].copy_from_slice(&tag.to_le_bytes());
        file[at + 2..at + 4].copy_from_slice(&3u16.to_le_bytes());
        file[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
        file[at + 8..at + 10].copy_from_slice(&value.to_le_bytes());
        file[at + 10..at + 12].copy_from_slice(&(N as u16).to_le_bytes());
    }
    // Directory k's link lies in entry N + k: point it at directory k + 1.
    for k in 0..IFDS {
        let at = entries + 12 * (N + k);
        let next = if k + 1 < IFDS { (first_ifd + 12 * (k + 1)) as u32 } else { 0 };
        file[at..at + 4].copy_from_slice(&next.to_le_bytes());
    }
    let second = (first_ifd + 12) as u64;
    assert!(
        matches!(tiff::read(&file, &limits()), Err(Error::TiffIfdOverlap { offset }) if offset == second)
    );
    // With a single directory the same bytes are a valid page.
    let at = entries + 12 * N;
    file[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
    let pages = tiff::read(&file, &limits()).unwrap();
    assert_eq!(pages[0].page.data(), &[0xa5, 0x5a]);
}
