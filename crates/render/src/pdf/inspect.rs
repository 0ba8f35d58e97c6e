//! Checks a PDF page against the [`Limits`] before hayro renders it.
//!
//! hayro cannot be interrupted inside a page and has no memory budget: it decodes
//! every stream in full and every image at its declared size. So before a page is
//! drawn, everything it can reach is inspected here, with bounded work:
//!
//! - **Every stream reachable from the page** (its content, the forms, images, fonts,
//!   colour profiles and annotation appearances in its resources, transitively, but
//!   not the page tree above it) must not decode to more than
//!   [`Limits::max_stream_bytes`]. When the stream's raw length times the worst
//!   expansion of its filters is below the limit, nothing is decoded. Otherwise a
//!   leading Flate or LZW filter is decoded by a streaming decoder that stops one byte
//!   past the limit (flate2 and weezl, not hayro), so a bomb costs at most
//!   `max_stream_bytes` of decoding and no memory; filters after the first count
//!   with their worst-case expansion (Flate 1032×, LZW 4096×, RunLength 64×,
//!   ASCII85 4×).
//! - **Every image** — image XObjects, their soft masks and stencil masks, and inline
//!   images in content streams — must declare a width × height within
//!   [`Limits::max_image_pixels`] and sides within [`Limits::max_image_side`]; for
//!   JPEG images the size in the JPEG header counts too, since that is what the
//!   decoder allocates for.
//! - **The operators the page executes** are counted, a form XObject's content each
//!   time it is drawn, up to [`Limits::max_page_operations`]. hayro follows nested
//!   forms [`MAX_NESTING`] levels deep, so a form drawing the next one twice, 30
//!   levels deep, would mean 2³⁰ draws; counting stops as soon as the limit is
//!   passed, so the counting itself is bounded by the limit. Forms that draw
//!   themselves are harmless to hayro (it does not resolve an object from inside
//!   itself, so the inner draw finds nothing); should one ever reach the counter, it
//!   is refused rather than followed.
//!
//! Not covered: tiling patterns and Type 3 glyphs also execute content, as often as
//! the pattern is tiled or the glyph shown; their streams are size-checked but their
//! operators are not multiplied out. That is why untrusted documents must still be
//! rendered in a worker that can be killed (see the [`crate::pdf`] documentation).

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};

use hayro::hayro_syntax::Filter;
use hayro::hayro_syntax::content::UntypedIter;
use hayro::hayro_syntax::object::{Dict, MaybeRef, Name, Object, ObjectIdentifier, Stream};
use hayro::hayro_syntax::page::{Page, Resources};
use hayro::hayro_syntax::xref::XRef;

use crate::{Error, Limits};

/// How deep hayro follows nested forms (its `MAX_NESTED_INTERPRETATION_DEPTH`);
/// deeper forms are not drawn, so they are not counted either.
pub const MAX_NESTING: u32 = 50;

/// Worst-case expansion of each filter: output bytes per input byte.
fn worst_expansion(filter: Filter) -> u64 {
    match filter {
        // Deflate's longest match, 258 bytes, costs at least 2 bits.
        Filter::FlateDecode => 1032,
        // A 9- to 12-bit code stands for at most 4096 bytes.
        Filter::LzwDecode => 4096,
        // A two-byte run becomes 128 bytes.
        Filter::RunLengthDecode => 64,
        // "z" becomes four zero bytes.
        Filter::Ascii85Decode => 4,
        _ => 1,
    }
}

/// Checks pages of one document; remembers what it has checked, so objects shared
/// by many pages (fonts, logos) are inspected once.
#[derive(Debug)]
pub struct Inspector {
    limits: Limits,
    /// Indirect objects already walked.
    seen: HashSet<ObjectIdentifier>,
    /// Operators executed by a form (its nested forms included), once known exactly.
    form_operations: HashMap<ObjectIdentifier, u64>,
}

impl Inspector {
    /// An inspector that knows nothing yet.
    pub fn new(limits: &Limits) -> Self {
        Self { limits: *limits, seen: HashSet::new(), form_operations: HashMap::new() }
    }

    /// Checks one page; see the module documentation for what.
    pub fn check_page(&mut self, page: &Page<'_>) -> Result<(), Error> {
        let xref = page.xref();
        // The page dictionary and its (possibly inherited) resources; /Parent would
        // lead up the page tree to every other page.
        let mut pending: Vec<Object<'_>> = vec![Object::Dict(page.raw().clone())];
        let resources = page.resources();
        for dict in [
            &resources.x_objects,
            &resources.fonts,
            &resources.ext_g_states,
            &resources.patterns,
            &resources.shadings,
            &resources.color_spaces,
            &resources.properties,
        ] {
            pending.push(Object::Dict(dict.clone()));
        }
        while let Some(object) = pending.pop() {
            match object {
                Object::Dict(dict) => self.push_entries(&dict, xref, &mut pending),
                Object::Array(array) => {
                    for item in array.raw_iter() {
                        self.push(item, xref, &mut pending);
                    }
                }
                Object::Stream(stream) => {
                    self.check_stream(&stream)?;
                    self.push_entries(stream.dict(), xref, &mut pending);
                }
                _ => {}
            }
        }

        // The content streams were size-checked above; hayro keeps what this decodes.
        let mut counter = Counter { inspector: self, total: 0, in_progress: HashSet::new() };
        counter.count(page.operations(), page.resources(), 0)?;
        Ok(())
    }

    fn push_entries<'a>(&mut self, dict: &Dict<'a>, xref: &'a XRef, pending: &mut Vec<Object<'a>>) {
        for (key, value) in dict.entries() {
            if key.as_ref() != b"Parent" {
                self.push(value, xref, pending);
            }
        }
    }

    fn push<'a>(&mut self, value: MaybeRef<Object<'a>>, xref: &'a XRef, pending: &mut Vec<Object<'a>>) {
        match value {
            MaybeRef::Ref(r) => {
                if self.seen.insert(r.into())
                    && let Some(object) = xref.get::<Object<'_>>(r.into())
                {
                    pending.push(object);
                }
            }
            MaybeRef::NotRef(object @ (Object::Dict(_) | Object::Array(_) | Object::Stream(_))) => {
                pending.push(object);
            }
            MaybeRef::NotRef(_) => {}
        }
    }

    /// Checks the decoded size of a stream and, for an image, its dimensions.
    fn check_stream(&self, stream: &Stream<'_>) -> Result<(), Error> {
        let dict = stream.dict();
        let is_image = dict.get::<Name<'_>>(b"Subtype").is_some_and(|s| s.as_ref() == b"Image");
        if is_image {
            self.check_image_dict(dict)?;
        }
        let max = self.limits.max_stream_bytes;
        let filters = stream.filters();
        let raw = stream.raw_data();
        let mut bound = raw.len() as u64;
        for (i, &filter) in filters.iter().enumerate() {
            let expansion = worst_expansion(filter);
            bound = match filter {
                Filter::DctDecode => {
                    if i == 0 {
                        self.check_jpeg(&raw)?;
                    }
                    // Image codecs produce what the image's dimensions say.
                    break;
                }
                Filter::JpxDecode | Filter::Jbig2Decode | Filter::CcittFaxDecode => break,
                Filter::FlateDecode if i == 0 && bound.saturating_mul(expansion) > max => {
                    inflated_len(&raw, max)
                }
                Filter::LzwDecode if i == 0 && bound.saturating_mul(expansion) > max => {
                    lzw_len(&raw, early_change(dict), max)
                }
                _ => bound.saturating_mul(expansion),
            };
            if bound > max {
                return Err(Error::PdfStreamTooLarge { max });
            }
        }
        Ok(())
    }

    /// Width × height of an image dictionary (an image XObject or the dictionary of an
    /// inline image, which may use the abbreviations W and H).
    fn check_image_dict(&self, dict: &Dict<'_>) -> Result<(), Error> {
        let side = |long: &[u8], short: &[u8]| dict.get::<u32>(long).or_else(|| dict.get::<u32>(short));
        if let (Some(width), Some(height)) = (side(b"Width", b"W"), side(b"Height", b"H")) {
            self.check_image_size(width, height)?;
        }
        Ok(())
    }

    fn check_image_size(&self, width: u32, height: u32) -> Result<(), Error> {
        let limits = &self.limits;
        if u64::from(width) * u64::from(height) > limits.max_image_pixels
            || width > limits.max_image_side
            || height > limits.max_image_side
        {
            return Err(Error::ImageTooLarge { width, height, max_pixels: limits.max_image_pixels });
        }
        Ok(())
    }

    /// The size in a JPEG stream's own header, which is what its decoder allocates
    /// for whatever the PDF dictionary claims. An unreadable header is hayro's
    /// business: it fails to decode the image and draws nothing.
    fn check_jpeg(&self, data: &[u8]) -> Result<(), Error> {
        let mut reader = image::ImageReader::with_format(Cursor::new(data), image::ImageFormat::Jpeg);
        reader.no_limits();
        match reader.into_dimensions() {
            Ok((width, height)) => self.check_image_size(width, height),
            Err(_) => Ok(()),
        }
    }
}

/// Counts the operators a page executes.
struct Counter<'i> {
    inspector: &'i mut Inspector,
    total: u64,
    /// Forms being counted, to find forms that draw themselves.
    in_progress: HashSet<ObjectIdentifier>,
}

impl Counter<'_> {
    /// Counts the operators of one content stream, its forms included, adding them
    /// to the page total. Returns the count and whether it is exact (no form was
    /// skipped for being nested too deep, which depends on where it is drawn from).
    fn count(
        &mut self,
        mut ops: UntypedIter<'_>,
        resources: &Resources<'_>,
        depth: u32,
    ) -> Result<(u64, bool), Error> {
        let max = self.inspector.limits.max_page_operations;
        let (mut count, mut exact) = (0u64, true);
        while let Some(instruction) = ops.next() {
            count += 1;
            self.total += 1;
            match instruction.operator.as_ref() {
                b"Do" => {
                    let name = instruction.operands().find_map(|o| match o {
                        Object::Name(name) => Some(name.clone()),
                        _ => None,
                    });
                    if let Some(form) = name.and_then(|n| resources.get_x_object(&n)).filter(is_form) {
                        let (n, form_exact) = self.form(&form, resources, depth + 1)?;
                        count += n;
                        exact &= form_exact;
                    }
                }
                b"BI" => {
                    for operand in instruction.operands() {
                        if let Object::Stream(image) = operand {
                            self.inspector.check_image_dict(image.dict())?;
                            self.inspector.check_stream(image)?;
                        }
                    }
                }
                _ => {}
            }
            if self.total > max {
                return Err(Error::PdfTooComplex { max });
            }
        }
        Ok((count, exact))
    }

    fn form(&mut self, form: &Stream<'_>, parent: &Resources<'_>, depth: u32) -> Result<(u64, bool), Error> {
        if depth > MAX_NESTING {
            return Ok((0, false));
        }
        let id = form.obj_id();
        if let Some(&known) = self.inspector.form_operations.get(&id) {
            self.total += known;
            if self.total > self.inspector.limits.max_page_operations {
                return Err(Error::PdfTooComplex { max: self.inspector.limits.max_page_operations });
            }
            return Ok((known, true));
        }
        if !self.in_progress.insert(id) {
            return Err(Error::PdfTooComplex { max: self.inspector.limits.max_page_operations });
        }
        // Forms reachable from the page were size-checked by the walk; one reached
        // otherwise (through inherited resources) is checked now, before decoding.
        self.inspector.check_stream(form)?;
        let resources = form.dict().get::<Dict<'_>>(b"Resources").map(Resources::new);
        let resources = resources.as_ref().unwrap_or(parent);
        let content = form.decoded().unwrap_or_default();
        let (count, exact) = self.count(UntypedIter::new(&content), resources, depth)?;
        self.in_progress.remove(&id);
        if exact {
            self.inspector.form_operations.insert(id, count);
        }
        Ok((count, exact))
    }
}

fn is_form(stream: &Stream<'_>) -> bool {
    stream.dict().get::<Name<'_>>(b"Subtype").is_some_and(|s| s.as_ref() == b"Form")
}

/// PDF's LZW default is EarlyChange 1 (the code width grows one code early, as in
/// TIFF); a stream can ask for 0.
fn early_change(dict: &Dict<'_>) -> bool {
    let params = dict.get::<Dict<'_>>(b"DecodeParms").or_else(|| dict.get::<Dict<'_>>(b"DP"));
    params.and_then(|p| p.get::<i32>(b"EarlyChange")).is_none_or(|v| v != 0)
}

/// Bytes a Flate stream inflates to, counting at most `max + 1`. zlib framing first,
/// then bare deflate (hayro accepts both); a corrupt stream counts what decodes
/// before the error.
fn inflated_len(data: &[u8], max: u64) -> u64 {
    let zlib = drain(flate2::read::ZlibDecoder::new(data), max);
    if zlib > 0 { zlib } else { drain(flate2::read::DeflateDecoder::new(data), max) }
}

fn drain(mut reader: impl Read, max: u64) -> u64 {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    while total <= max {
        match reader.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n as u64,
        }
    }
    total
}

/// Bytes an LZW stream decodes to (MSB first, 8-bit symbols), counting at most
/// `max + 1`.
fn lzw_len(data: &[u8], early_change: bool, max: u64) -> u64 {
    use weezl::{BitOrder, LzwStatus, decode::Decoder};
    let mut decoder = if early_change {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut buffer = vec![0u8; 64 * 1024];
    let (mut input, mut total) = (data, 0u64);
    while total <= max {
        let result = decoder.decode_bytes(input, &mut buffer);
        input = &input[result.consumed_in.min(input.len())..];
        total += result.consumed_out as u64;
        match result.status {
            Ok(LzwStatus::Ok) if result.consumed_in > 0 || result.consumed_out > 0 => {}
            _ => break,
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflated_length_stops_past_the_limit() {
        use std::io::Write;
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 1 << 20]).unwrap();
        let zlib = encoder.finish().unwrap();
        assert_eq!(inflated_len(&zlib, 10 << 20), 1 << 20);
        let capped = inflated_len(&zlib, 1000);
        assert!((1001..=1000 + 64 * 1024).contains(&capped), "{capped}");
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"raw deflate").unwrap();
        assert_eq!(inflated_len(&encoder.finish().unwrap(), 100), 11);
        assert_eq!(inflated_len(b"not compressed", 100), 0);
    }

    #[test]
    fn lzw_length_matches_the_data() {
        for early in [true, false] {
            let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
            let mut encoder = if early {
                weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            } else {
                weezl::encode::Encoder::new(weezl::BitOrder::Msb, 8)
            };
            let coded = encoder.encode(&data).unwrap();
            assert_eq!(lzw_len(&coded, early, 1 << 20), 50_000);
            assert!(lzw_len(&coded, early, 1000) > 1000);
        }
    }
}
