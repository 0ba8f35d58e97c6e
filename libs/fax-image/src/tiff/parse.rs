//! The structure of a TIFF file: header, the chain of image file directories, and the
//! tags of each page, all checked against the file's bounds and the caller's limits.

use std::collections::BTreeMap;

use super::tags::{self, name};
use super::{ByteOrder, CleanFaxData, PageInfo, TiffInfo, TiffPage, resolution};
use crate::{BitOrder, Error, Limits, Resolution, stride_for};

/// A parsed TIFF file whose pages can be decoded one at a time.
///
/// [`Reader::new`] reads and checks the whole structure (every directory, every tag
/// this crate uses, every strip's bounds) without decoding pixels, so that a file
/// which parses will only fail later on coded data the codec cannot read.
pub struct Reader<'a> {
    data: &'a [u8],
    limits: Limits,
    byte_order: ByteOrder,
    pages: Vec<ParsedPage>,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The file's bytes are fax content: show only its shape.
        f.debug_struct("Reader")
            .field("len", &self.data.len())
            .field("byte_order", &self.byte_order)
            .field("pages", &self.pages.len())
            .finish_non_exhaustive()
    }
}

/// A page's tags plus where its strips are.
#[derive(Debug, Clone)]
pub(super) struct ParsedPage {
    pub(super) info: PageInfo,
    pub(super) strips: Vec<Strip>,
}

/// One strip, known to lie inside the file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Strip {
    /// Offset of the strip's first byte.
    pub(super) start: usize,
    /// Length in bytes; never zero.
    pub(super) len: usize,
    /// Rows the strip holds.
    pub(super) rows: u32,
}

impl<'a> Reader<'a> {
    /// Parses a file's structure, checking it against `limits`: the file's size first,
    /// then the number of directories, then each page's dimensions.
    ///
    /// Directories whose `NewSubfileType` marks a reduced-resolution image (a
    /// thumbnail) are skipped; they still count towards [`Limits::max_pages`], which
    /// bounds the length of the directory chain. A chain that comes back to a
    /// directory is [`Error::TiffIfdLoop`]; directories that share bytes are
    /// [`Error::TiffIfdOverlap`].
    pub fn new(data: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        limits.check_input_len(data.len())?;
        let byte_order = match data.get(..2) {
            Some(b"II") => ByteOrder::LittleEndian,
            Some(b"MM") => ByteOrder::BigEndian,
            _ => return Err(Error::NotTiff),
        };
        let file = File { data, order: byte_order };
        let magic = file.u16_at(2, "header").map_err(|_| Error::NotTiff)?;
        match magic {
            42 => {}
            43 => return Err(Error::TiffBigTiff),
            _ => return Err(Error::NotTiff),
        }
        let mut next = file.u32_at(4, "header")?;
        // The byte ranges of the directories read so far, by start. Directories that
        // share bytes are refused: honest writers never produce them, and without this
        // rule a small file could make us walk the same large directory again and
        // again. Known ranges never overlap, so comparing with the neighbours of a new
        // one is enough.
        let mut spans: BTreeMap<u64, u64> = BTreeMap::new();
        let mut pages = Vec::new();
        while next != 0 {
            let start = u64::from(next);
            if spans.contains_key(&start) {
                return Err(Error::TiffIfdLoop { offset: start });
            }
            if spans.len() >= limits.max_pages as usize {
                return Err(Error::TooManyPages { max: limits.max_pages });
            }
            let page = pages.len() as u32;
            let ifd = Ifd::read(&file, next, page)?;
            let overlaps_before = spans.range(..start).next_back().is_some_and(|(_, &end)| end > start);
            let overlaps_after = spans.range(start..).next().is_some_and(|(&other, _)| other < ifd.end);
            if overlaps_before || overlaps_after {
                return Err(Error::TiffIfdOverlap { offset: start });
            }
            spans.insert(start, ifd.end);
            next = ifd.next;
            let subfile = ifd.uint(tags::NEW_SUBFILE_TYPE)?.unwrap_or(0);
            if subfile & tags::SUBFILE_REDUCED != 0 {
                continue;
            }
            pages.push(ifd.page(subfile, limits)?);
        }
        if pages.is_empty() {
            return Err(Error::NoPages);
        }
        Ok(Self { data, limits: *limits, byte_order, pages })
    }

    /// The file's byte order.
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// Number of pages.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The tags of page `index`, or `None` past the last page.
    pub fn page_info(&self, index: usize) -> Option<&PageInfo> {
        self.pages.get(index).map(|p| &p.info)
    }

    /// The structure of the whole file.
    pub fn info(&self) -> TiffInfo {
        TiffInfo { byte_order: self.byte_order, pages: self.pages.iter().map(|p| p.info.clone()).collect() }
    }

    /// Decodes page `index`.
    ///
    /// # Errors
    /// [`Error::NoPages`] if there is no such page; [`Error::TiffStrip`] if the codec
    /// rejects a strip; limit errors from the codec.
    pub fn decode_page(&self, index: usize) -> Result<TiffPage, Error> {
        let parsed = self.pages.get(index).ok_or(Error::NoPages)?;
        super::read::decode_page(self.data, parsed, &self.limits)
    }

    /// Packed bytes that decoding every page would allocate, for [`super::read`]'s
    /// document-wide budget.
    pub(super) fn decoded_bytes(&self) -> u64 {
        self.pages.iter().map(|p| stride_for(p.info.width) as u64 * u64::from(p.info.height)).sum()
    }
}

/// The file's bytes with its byte order; every read is bounds-checked.
struct File<'a> {
    data: &'a [u8],
    order: ByteOrder,
}

impl File<'_> {
    fn bytes<const N: usize>(&self, pos: usize, what: &'static str) -> Result<[u8; N], Error> {
        pos.checked_add(N)
            .and_then(|end| self.data.get(pos..end))
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::TiffOutOfBounds { what, offset: pos as u64 })
    }

    fn u16_at(&self, pos: usize, what: &'static str) -> Result<u16, Error> {
        let b = self.bytes::<2>(pos, what)?;
        Ok(match self.order {
            ByteOrder::LittleEndian => u16::from_le_bytes(b),
            ByteOrder::BigEndian => u16::from_be_bytes(b),
        })
    }

    fn u32_at(&self, pos: usize, what: &'static str) -> Result<u32, Error> {
        let b = self.bytes::<4>(pos, what)?;
        Ok(match self.order {
            ByteOrder::LittleEndian => u32::from_le_bytes(b),
            ByteOrder::BigEndian => u32::from_be_bytes(b),
        })
    }
}

/// One directory entry as stored: the value field is left in place and only read when
/// the tag is wanted.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u16,
    field_type: u16,
    count: u32,
    /// Position in the file of the entry's four-byte value-or-offset field.
    field_pos: usize,
}

/// Where an entry's values are, once checked against the file's length.
#[derive(Debug, Clone, Copy)]
struct Field {
    field_type: u16,
    count: u32,
    start: usize,
}

/// One image file directory.
struct Ifd<'f, 'a> {
    file: &'f File<'a>,
    /// Zero-based page the directory describes, for error messages.
    page: u32,
    entries: Vec<Entry>,
    next: u32,
    /// Offset just past the directory's link field.
    end: u64,
}

impl<'f, 'a> Ifd<'f, 'a> {
    /// Reads the directory at `offset`. All its entries must lie inside the file
    /// before any is looked at.
    fn read(file: &'f File<'a>, offset: u32, page: u32) -> Result<Self, Error> {
        let start = offset as usize;
        let count = file.u16_at(start, "IFD")? as usize;
        // Computed in 64 bits so that a 32-bit target cannot overflow.
        let end = u64::from(offset) + 2 + 12 * count as u64 + 4;
        if end > file.data.len() as u64 {
            return Err(Error::TiffOutOfBounds { what: "IFD", offset: u64::from(offset) });
        }
        let entries_start = start + 2;
        let next_pos = entries_start + 12 * count;
        // Only the first entry of each tag we use is kept, so that later lookups cost
        // nothing however many entries a hostile directory holds.
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: u128 = 0;
        for i in 0..count {
            let pos = entries_start + 12 * i;
            let tag = file.u16_at(pos, "IFD")?;
            let Some(slot) = tags::slot(tag) else { continue };
            if seen & (1 << slot) != 0 {
                continue;
            }
            seen |= 1 << slot;
            entries.push(Entry {
                tag,
                field_type: file.u16_at(pos + 2, "IFD")?,
                count: file.u32_at(pos + 4, "IFD")?,
                field_pos: pos + 8,
            });
        }
        let next = file.u32_at(next_pos, "IFD")?;
        Ok(Self { file, page, entries, next, end })
    }

    /// The first entry with `tag`, with its values located (later duplicates were
    /// dropped when the directory was read). A value that would lie past the end of the file is an error even for
    /// tags whose value we would otherwise ignore, since it shows the file is damaged.
    fn field(&self, tag: u16) -> Result<Option<Field>, Error> {
        let Some(entry) = self.entries.iter().find(|e| e.tag == tag) else {
            return Ok(None);
        };
        let Some(size) = tags::type_size(entry.field_type) else {
            return Err(self.bad(tag, "unknown field type"));
        };
        let len = size * u64::from(entry.count);
        let start = if len <= 4 {
            entry.field_pos
        } else {
            let offset = self.file.u32_at(entry.field_pos, name(tag))?;
            if u64::from(offset) + len > self.file.data.len() as u64 {
                return Err(Error::TiffOutOfBounds { what: name(tag), offset: u64::from(offset) });
            }
            offset as usize
        };
        Ok(Some(Field { field_type: entry.field_type, count: entry.count, start }))
    }

    fn bad(&self, tag: u16, reason: &'static str) -> Error {
        Error::TiffBadTag { page: self.page, tag: name(tag), reason }
    }

    /// Value `index` of an unsigned integer field; the caller has checked the type and
    /// that `index < count`.
    fn uint_value(&self, field: &Field, index: usize) -> Result<u32, Error> {
        let what = "tag value";
        match field.field_type {
            tags::TYPE_BYTE => self
                .file
                .data
                .get(field.start + index)
                .map(|&b| u32::from(b))
                .ok_or(Error::TiffOutOfBounds { what, offset: (field.start + index) as u64 }),
            tags::TYPE_SHORT => self.file.u16_at(field.start + 2 * index, what).map(u32::from),
            _ => self.file.u32_at(field.start + 4 * index, what),
        }
    }

    fn is_uint(field: &Field) -> bool {
        matches!(field.field_type, tags::TYPE_BYTE | tags::TYPE_SHORT | tags::TYPE_LONG)
    }

    /// The first value of an unsigned integer tag; a wrong type or no value is an
    /// error.
    fn uint(&self, tag: u16) -> Result<Option<u32>, Error> {
        let Some(field) = self.field(tag)? else { return Ok(None) };
        if !Self::is_uint(&field) {
            return Err(self.bad(tag, "wrong field type"));
        }
        if field.count == 0 {
            return Err(self.bad(tag, "no value"));
        }
        self.uint_value(&field, 0).map(Some)
    }

    /// Like [`Ifd::uint`] for tags that only inform: a wrong type or a missing value
    /// makes the tag count as absent.
    fn optional_uint(&self, tag: u16) -> Result<Option<u32>, Error> {
        match self.field(tag)? {
            Some(field) if Self::is_uint(&field) && field.count > 0 => self.uint_value(&field, 0).map(Some),
            _ => Ok(None),
        }
    }

    /// The first `n` values of an unsigned integer tag that must have at least `n`.
    /// Only `n` values are ever stored, however large the stored count.
    fn uints(&self, tag: u16, n: u32) -> Result<Option<Vec<u32>>, Error> {
        let Some(field) = self.field(tag)? else { return Ok(None) };
        if !Self::is_uint(&field) {
            return Err(self.bad(tag, "wrong field type"));
        }
        if field.count < n {
            return Err(self.bad(tag, "fewer values than the page has strips"));
        }
        (0..n as usize).map(|i| self.uint_value(&field, i)).collect::<Result<Vec<_>, _>>().map(Some)
    }

    /// A RATIONAL tag as (numerator, denominator).
    fn rational(&self, tag: u16) -> Result<Option<(u32, u32)>, Error> {
        let Some(field) = self.field(tag)? else { return Ok(None) };
        if field.field_type != tags::TYPE_RATIONAL {
            return Err(self.bad(tag, "wrong field type"));
        }
        if field.count == 0 {
            return Err(self.bad(tag, "no value"));
        }
        let what = name(tag);
        Ok(Some((self.file.u32_at(field.start, what)?, self.file.u32_at(field.start + 4, what)?)))
    }

    /// An ASCII tag up to its first NUL, with invalid UTF-8 replaced. A wrong type
    /// makes the tag count as absent: these tags only inform.
    fn text(&self, tag: u16) -> Result<Option<String>, Error> {
        match self.field(tag)? {
            Some(field) if field.field_type == tags::TYPE_ASCII => {
                let bytes = &self.file.data[field.start..field.start + field.count as usize];
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                Ok(Some(String::from_utf8_lossy(&bytes[..end]).into_owned()))
            }
            _ => Ok(None),
        }
    }

    /// A resolution tag in dots per inch, or `None` when absent.
    fn dpi(&self, tag: u16, unit: u16) -> Result<Option<u16>, Error> {
        let Some((num, den)) = self.rational(tag)? else { return Ok(None) };
        if den == 0 {
            return Err(self.bad(tag, "zero denominator"));
        }
        let per_unit = f64::from(num) / f64::from(den);
        let dpi = if unit == tags::RESOLUTION_UNIT_CM {
            resolution::dpi_from_per_cm(per_unit)
        } else if num % den == 0 {
            // Whole numbers of dots per inch are kept exactly, even outside the T.30
            // set (`round_dpi` only snaps fractional values).
            resolution::round_dpi(f64::from(num / den))
        } else {
            resolution::round_dpi(per_unit)
        };
        dpi.map(Some).ok_or(self.bad(tag, "out of range"))
    }

    /// Interprets the directory as a bilevel page.
    fn page(&self, new_subfile_type: u32, limits: &Limits) -> Result<ParsedPage, Error> {
        let page = self.page;
        let width = self.uint(tags::IMAGE_WIDTH)?.ok_or(Error::TiffMissingTag { page, tag: "ImageWidth" })?;
        let height =
            self.uint(tags::IMAGE_LENGTH)?.ok_or(Error::TiffMissingTag { page, tag: "ImageLength" })?;
        if self.uint(tags::SAMPLES_PER_PIXEL)?.unwrap_or(1) != 1
            || self.uint(tags::BITS_PER_SAMPLE)?.unwrap_or(1) != 1
        {
            return Err(Error::TiffNotBilevel { page });
        }
        limits.check_dimensions(width, height)?;

        let compression = self.uint(tags::COMPRESSION)?.unwrap_or(u32::from(tags::COMPRESSION_NONE));
        let compression = match u16::try_from(compression) {
            Ok(c @ (tags::COMPRESSION_NONE | tags::COMPRESSION_T4 | tags::COMPRESSION_T6)) => c,
            _ => {
                return Err(Error::TiffUnsupportedCompression {
                    page,
                    compression: u16::try_from(compression).unwrap_or(u16::MAX),
                });
            }
        };
        // WhiteIsZero is the Class F norm and what a missing tag most likely means.
        let photometric = match self.uint(tags::PHOTOMETRIC)? {
            None => tags::PHOTOMETRIC_WHITE_IS_ZERO,
            Some(p) if p == u32::from(tags::PHOTOMETRIC_WHITE_IS_ZERO) => tags::PHOTOMETRIC_WHITE_IS_ZERO,
            Some(p) if p == u32::from(tags::PHOTOMETRIC_BLACK_IS_ZERO) => tags::PHOTOMETRIC_BLACK_IS_ZERO,
            Some(_) => {
                return Err(self.bad(tags::PHOTOMETRIC, "neither WhiteIsZero nor BlackIsZero"));
            }
        };
        let fill_order = match self.uint(tags::FILL_ORDER)?.unwrap_or(1) {
            1 => BitOrder::MsbFirst,
            2 => BitOrder::LsbFirst,
            _ => return Err(self.bad(tags::FILL_ORDER, "neither 1 nor 2")),
        };
        let t4_options = self.uint(tags::T4_OPTIONS)?.unwrap_or(0);
        let t6_options = self.uint(tags::T6_OPTIONS)?.unwrap_or(0);

        let strips = self.strips(width, height, compression)?;
        let rows_per_strip = strips.first().map_or(height, |s| s.rows);

        let unit = match self.uint(tags::RESOLUTION_UNIT)? {
            None => tags::RESOLUTION_UNIT_INCH,
            Some(u) if u == u32::from(tags::RESOLUTION_UNIT_CM) => tags::RESOLUTION_UNIT_CM,
            // Unit 1 ("no absolute unit") only fixes the aspect ratio; reading the
            // numbers as dots per inch keeps that ratio and is what fax software means.
            Some(u)
                if u == u32::from(tags::RESOLUTION_UNIT_INCH)
                    || u == u32::from(tags::RESOLUTION_UNIT_NONE) =>
            {
                tags::RESOLUTION_UNIT_INCH
            }
            Some(_) => return Err(self.bad(tags::RESOLUTION_UNIT, "unknown unit")),
        };
        let resolution = Resolution {
            x_dpi: self.dpi(tags::X_RESOLUTION, unit)?.unwrap_or(Resolution::FINE.x_dpi),
            y_dpi: self.dpi(tags::Y_RESOLUTION, unit)?.unwrap_or(Resolution::FINE.y_dpi),
        };

        let page_number = match self.field(tags::PAGE_NUMBER)? {
            Some(f) if Self::is_uint(&f) && f.count >= 2 => {
                let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
                Some((clamp(self.uint_value(&f, 0)?), clamp(self.uint_value(&f, 1)?)))
            }
            _ => None,
        };

        let info = PageInfo {
            index: page,
            width,
            height,
            resolution,
            compression,
            t4_options,
            t6_options,
            fill_order,
            photometric,
            new_subfile_type,
            strips: strips.len() as u32,
            rows_per_strip,
            page_number,
            bad_fax_lines: self.optional_uint(tags::BAD_FAX_LINES)?,
            clean_fax_data: self.optional_uint(tags::CLEAN_FAX_DATA)?.and_then(CleanFaxData::from_value),
            consecutive_bad_fax_lines: self.optional_uint(tags::CONSECUTIVE_BAD_FAX_LINES)?,
            description: self.text(tags::IMAGE_DESCRIPTION)?,
            software: self.text(tags::SOFTWARE)?,
            datetime: self.text(tags::DATE_TIME)?,
            make: self.text(tags::MAKE)?,
            model: self.text(tags::MODEL)?,
        };
        Ok(ParsedPage { info, strips })
    }

    /// Locates the page's strips. The number of strips follows from the height and
    /// `RowsPerStrip`, which the height bounds, so nothing here grows with the counts
    /// stored in the file.
    fn strips(&self, width: u32, height: u32, compression: u16) -> Result<Vec<Strip>, Error> {
        let page = self.page;
        let rows_per_strip = self.uint(tags::ROWS_PER_STRIP)?.unwrap_or(u32::MAX);
        if rows_per_strip == 0 {
            return Err(self.bad(tags::ROWS_PER_STRIP, "zero"));
        }
        let rows_per_strip = rows_per_strip.min(height);
        let count = height.div_ceil(rows_per_strip);
        let offsets = self
            .uints(tags::STRIP_OFFSETS, count)?
            .ok_or(Error::TiffMissingTag { page, tag: "StripOffsets" })?;
        let lengths = self
            .uints(tags::STRIP_BYTE_COUNTS, count)?
            .ok_or(Error::TiffMissingTag { page, tag: "StripByteCounts" })?;
        let stride = stride_for(width) as u64;
        let mut strips = Vec::with_capacity(count as usize);
        for (i, (&start, &len)) in offsets.iter().zip(&lengths).enumerate() {
            let rows = rows_per_strip.min(height - i as u32 * rows_per_strip);
            if u64::from(start) + u64::from(len) > self.file.data.len() as u64 {
                return Err(Error::TiffOutOfBounds { what: "strip", offset: u64::from(start) });
            }
            if len == 0 {
                return Err(self.bad(tags::STRIP_BYTE_COUNTS, "a strip is empty"));
            }
            if compression == tags::COMPRESSION_NONE && u64::from(len) < stride * u64::from(rows) {
                return Err(
                    self.bad(tags::STRIP_BYTE_COUNTS, "an uncompressed strip is shorter than its rows")
                );
            }
            strips.push(Strip { start: start as usize, len: len as usize, rows });
        }
        Ok(strips)
    }
}
