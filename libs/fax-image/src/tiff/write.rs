//! Writing TIFF Class F files.
//!
//! Layout: the 8-byte header, then for each page its strip, its directory and the
//! directory's out-of-line values, every piece starting on a word (even) boundary as
//! TIFF 6.0 asks. Entries are sorted by tag, and the last directory's link is 0.

use super::tags;
use super::{ByteOrder, Compression, PageMetadata, WriteOptions};
use crate::{BitOrder, Coding, EncodeOptions, Error, Page, encode};

/// Writes `pages` as a TIFF Class F file, without per-page metadata.
pub fn write(pages: &[Page], options: &WriteOptions) -> Result<Vec<u8>, Error> {
    let none = PageMetadata::default();
    write_with_metadata(pages.iter().map(|page| (page, &none)), options)
}

/// Writes pages with their per-page tags (copy-quality tags for received faxes,
/// description, time) as a TIFF Class F file.
///
/// # Errors
/// [`Error::NoPages`] for no pages; [`Error::TooManyPages`] beyond 65535 pages, which
/// `PageNumber` cannot count; [`Error::TiffBadTag`] for a zero resolution, text
/// containing a NUL byte or a `DateTime` not of the form `YYYY:MM:DD HH:MM:SS`; [`Error::TiffTooLarge`] when
/// the file would pass 4 GiB; the encoder's errors (such as
/// [`Error::InvalidKFactor`]).
pub fn write_with_metadata<'p>(
    pages: impl IntoIterator<Item = (&'p Page, &'p PageMetadata)>,
    options: &WriteOptions,
) -> Result<Vec<u8>, Error> {
    let pages: Vec<_> = pages.into_iter().collect();
    if pages.is_empty() {
        return Err(Error::NoPages);
    }
    let total = u16::try_from(pages.len()).map_err(|_| Error::TooManyPages { max: u32::from(u16::MAX) })?;
    let mut out = Out { buf: Vec::new(), order: options.byte_order };
    out.buf.extend_from_slice(match options.byte_order {
        ByteOrder::LittleEndian => b"II",
        ByteOrder::BigEndian => b"MM",
    });
    out.u16(42);
    // Where the offset of the next directory goes: the header's first, then each
    // directory's link.
    let mut link = out.buf.len();
    out.u32(0);

    for (index, (page, meta)) in pages.into_iter().enumerate() {
        let index = index as u16;
        let strip = encode_page(page, options)?;
        out.align();
        let strip_offset = out.offset()?;
        out.buf.extend_from_slice(&strip);
        let strip_len = u32::try_from(strip.len()).map_err(|_| Error::TiffTooLarge)?;

        let entries = page_entries(page, meta, options, index, total, strip_offset, strip_len)?;
        out.align();
        let ifd_offset = out.offset()?;
        out.patch_u32(link, ifd_offset);
        link = out.directory(&entries)?;
    }
    out.offset()?;
    Ok(out.buf)
}

/// Codes one page's pixels as its single strip.
fn encode_page(page: &Page, options: &WriteOptions) -> Result<Vec<u8>, Error> {
    let with_order = |o: EncodeOptions| EncodeOptions { bit_order: options.fill_order, ..o };
    match options.compression {
        Compression::Uncompressed => {
            let mut data = page.data().to_vec();
            if options.fill_order == BitOrder::LsbFirst {
                data.iter_mut().for_each(|b| *b = b.reverse_bits());
            }
            Ok(data)
        }
        Compression::Mh { byte_aligned_eol } => {
            encode(page, &with_order(EncodeOptions::tiff_g3(Coding::Mh, byte_aligned_eol)))
        }
        Compression::Mr { k, byte_aligned_eol } => {
            if k == 0 {
                return Err(Error::InvalidKFactor);
            }
            encode(page, &with_order(EncodeOptions::tiff_g3(Coding::Mr { k }, byte_aligned_eol)))
        }
        Compression::Mmr => encode(page, &with_order(EncodeOptions::tiff_g4())),
    }
}

/// The directory entries of one page, in ascending tag order.
fn page_entries(
    page: &Page,
    meta: &PageMetadata,
    options: &WriteOptions,
    index: u16,
    total: u16,
    strip_offset: u32,
    strip_len: u32,
) -> Result<Vec<(u16, Value)>, Error> {
    let page_no = u32::from(index);
    let short = |v: u16| Value::Short(vec![v]);
    let long = |v: u32| Value::Long(vec![v]);
    let (compression, coding_options) = match options.compression {
        Compression::Uncompressed => (tags::COMPRESSION_NONE, None),
        Compression::Mh { byte_aligned_eol } => {
            let aligned = if byte_aligned_eol { tags::T4_BYTE_ALIGNED } else { 0 };
            (tags::COMPRESSION_T4, Some((tags::T4_OPTIONS, aligned)))
        }
        Compression::Mr { byte_aligned_eol, .. } => {
            let aligned = if byte_aligned_eol { tags::T4_BYTE_ALIGNED } else { 0 };
            (tags::COMPRESSION_T4, Some((tags::T4_OPTIONS, tags::T4_2D | aligned)))
        }
        Compression::Mmr => (tags::COMPRESSION_T6, Some((tags::T6_OPTIONS, 0))),
    };
    let fill_order = match options.fill_order {
        BitOrder::MsbFirst => 1,
        BitOrder::LsbFirst => 2,
    };
    let resolution = page.resolution();
    if resolution.x_dpi == 0 || resolution.y_dpi == 0 {
        // Readers divide by these; libtiff and this crate refuse zero.
        let tag = if resolution.x_dpi == 0 { "XResolution" } else { "YResolution" };
        return Err(Error::TiffBadTag { page: page_no, tag, reason: "zero resolution" });
    }

    let mut entries = vec![
        (tags::NEW_SUBFILE_TYPE, long(tags::SUBFILE_PAGE)),
        (tags::IMAGE_WIDTH, long(page.width())),
        (tags::IMAGE_LENGTH, long(page.height())),
        (tags::BITS_PER_SAMPLE, short(1)),
        (tags::COMPRESSION, short(compression)),
        (tags::PHOTOMETRIC, short(tags::PHOTOMETRIC_WHITE_IS_ZERO)),
        (tags::FILL_ORDER, short(fill_order)),
        (tags::STRIP_OFFSETS, long(strip_offset)),
        (tags::ORIENTATION, short(1)),
        (tags::SAMPLES_PER_PIXEL, short(1)),
        (tags::ROWS_PER_STRIP, long(page.height())),
        (tags::STRIP_BYTE_COUNTS, long(strip_len)),
        (tags::X_RESOLUTION, Value::Rational(u32::from(resolution.x_dpi), 1)),
        (tags::Y_RESOLUTION, Value::Rational(u32::from(resolution.y_dpi), 1)),
        (tags::PLANAR_CONFIGURATION, short(1)),
        (tags::RESOLUTION_UNIT, short(tags::RESOLUTION_UNIT_INCH)),
        (tags::PAGE_NUMBER, Value::Short(vec![index, total])),
    ];
    if let Some((tag, value)) = coding_options {
        entries.push((tag, long(value)));
    }
    if let Some(text) = &meta.description {
        entries.push((tags::IMAGE_DESCRIPTION, ascii(page_no, tags::IMAGE_DESCRIPTION, text)?));
    }
    if let Some(text) = &options.software {
        entries.push((tags::SOFTWARE, ascii(page_no, tags::SOFTWARE, text)?));
    }
    if let Some(text) = &meta.datetime {
        if !is_tiff_datetime(text) {
            return Err(Error::TiffBadTag {
                page: page_no,
                tag: "DateTime",
                reason: "not of the form YYYY:MM:DD HH:MM:SS",
            });
        }
        entries.push((tags::DATE_TIME, ascii(page_no, tags::DATE_TIME, text)?));
    }
    // libtiff only knows the copy-quality tags while a fax codec is active and warns
    // about them on uncompressed pages, so they are written with coded pages only.
    if options.compression != Compression::Uncompressed {
        if let Some(lines) = meta.bad_fax_lines {
            entries.push((tags::BAD_FAX_LINES, long(lines)));
        }
        if let Some(clean) = meta.clean_fax_data {
            entries.push((tags::CLEAN_FAX_DATA, short(clean.value())));
        }
        if let Some(lines) = meta.consecutive_bad_fax_lines {
            entries.push((tags::CONSECUTIVE_BAD_FAX_LINES, long(lines)));
        }
    }
    entries.sort_by_key(|&(tag, _)| tag);
    Ok(entries)
}

/// An ASCII value: the text and its terminating NUL, which TIFF counts.
fn ascii(page: u32, tag: u16, text: &str) -> Result<Value, Error> {
    if text.as_bytes().contains(&0) {
        return Err(Error::TiffBadTag { page, tag: tags::name(tag), reason: "text contains a NUL byte" });
    }
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    Ok(Value::Ascii(bytes))
}

/// Whether `text` is a TIFF `DateTime`: `YYYY:MM:DD HH:MM:SS`, 19 characters.
fn is_tiff_datetime(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            4 | 7 | 13 | 16 => b == b':',
            10 => b == b' ',
            _ => b.is_ascii_digit(),
        })
}

/// A tag's values.
#[derive(Debug, Clone)]
enum Value {
    Short(Vec<u16>),
    Long(Vec<u32>),
    Rational(u32, u32),
    /// Bytes including the terminating NUL.
    Ascii(Vec<u8>),
}

impl Value {
    fn field_type(&self) -> u16 {
        match self {
            Value::Short(_) => tags::TYPE_SHORT,
            Value::Long(_) => tags::TYPE_LONG,
            Value::Rational(..) => tags::TYPE_RATIONAL,
            Value::Ascii(_) => tags::TYPE_ASCII,
        }
    }

    fn count(&self) -> usize {
        match self {
            Value::Short(v) => v.len(),
            Value::Long(v) => v.len(),
            Value::Rational(..) => 1,
            Value::Ascii(v) => v.len(),
        }
    }

    fn bytes(&self, order: ByteOrder) -> Vec<u8> {
        let mut out = Out { buf: Vec::new(), order };
        match self {
            Value::Short(v) => v.iter().for_each(|&x| out.u16(x)),
            Value::Long(v) => v.iter().for_each(|&x| out.u32(x)),
            Value::Rational(num, den) => {
                out.u32(*num);
                out.u32(*den);
            }
            Value::Ascii(v) => out.buf.extend_from_slice(v),
        }
        out.buf
    }
}

/// The file being built.
struct Out {
    buf: Vec<u8>,
    order: ByteOrder,
}

impl Out {
    fn u16(&mut self, v: u16) {
        let b = match self.order {
            ByteOrder::LittleEndian => v.to_le_bytes(),
            ByteOrder::BigEndian => v.to_be_bytes(),
        };
        self.buf.extend_from_slice(&b);
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&self.u32_bytes(v));
    }

    fn u32_bytes(&self, v: u32) -> [u8; 4] {
        match self.order {
            ByteOrder::LittleEndian => v.to_le_bytes(),
            ByteOrder::BigEndian => v.to_be_bytes(),
        }
    }

    fn patch_u32(&mut self, pos: usize, v: u32) {
        let b = self.u32_bytes(v);
        self.buf[pos..pos + 4].copy_from_slice(&b);
    }

    /// Pads to a word boundary.
    fn align(&mut self) {
        if self.buf.len() % 2 == 1 {
            self.buf.push(0);
        }
    }

    /// The current length as a file offset, which must fit in 32 bits.
    fn offset(&self) -> Result<u32, Error> {
        u32::try_from(self.buf.len()).map_err(|_| Error::TiffTooLarge)
    }

    /// Appends a directory and its out-of-line values at the current (aligned)
    /// position; returns the position of its link to the next directory, left 0.
    fn directory(&mut self, entries: &[(u16, Value)]) -> Result<usize, Error> {
        let start = self.buf.len();
        let link = start + 2 + 12 * entries.len();
        // Values that do not fit in an entry's four bytes follow the directory, each
        // on a word boundary.
        let mut extra: Vec<u8> = Vec::new();
        let extra_start = link + 4;
        self.u16(entries.len() as u16);
        for (tag, value) in entries {
            let bytes = value.bytes(self.order);
            let count = u32::try_from(value.count()).map_err(|_| Error::TiffTooLarge)?;
            self.u16(*tag);
            self.u16(value.field_type());
            self.u32(count);
            if bytes.len() <= 4 {
                let mut field = [0; 4];
                field[..bytes.len()].copy_from_slice(&bytes);
                self.buf.extend_from_slice(&field);
            } else {
                if extra.len() % 2 == 1 {
                    extra.push(0);
                }
                let offset = u32::try_from(extra_start + extra.len()).map_err(|_| Error::TiffTooLarge)?;
                self.u32(offset);
                extra.extend_from_slice(&bytes);
            }
        }
        self.u32(0);
        self.buf.extend_from_slice(&extra);
        Ok(link)
    }
}
