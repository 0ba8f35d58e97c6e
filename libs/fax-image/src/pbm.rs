//! PBM, the Netpbm bilevel format: P4 (binary) read and write, P1 (plain text) read.
//!
//! PBM's bit convention is the crate's (1 = black, rows packed most significant bit
//! first, each row starting on a byte boundary), so P4 pixels are copied as they are.
//! A file may hold several images one after another; each is a page. PBM stores no
//! resolution, so the caller supplies one.

use std::io::Write;

use crate::{Error, Limits, Page, Resolution, stride_for};

/// Reads every image of a PBM file (P4 or P1; the two may even be mixed) as pages at
/// `resolution`.
///
/// Whitespace between images is tolerated; anything else after the last image is an
/// error. Every header's dimensions are checked against `limits` before its raster
/// is allocated, and a raster must be present in full, so no allocation exceeds the
/// input's size.
///
/// # Errors
/// [`Error::NoPages`] for an empty input; [`Error::Pbm`] for malformed data;
/// [`Error::TooManyPages`], [`Error::InputTooLarge`] and the dimension errors for
/// input beyond `limits`.
pub fn read(data: &[u8], resolution: Resolution, limits: &Limits) -> Result<Vec<Page>, Error> {
    limits.check_input_len(data.len())?;
    let mut cursor = Cursor { data, pos: 0 };
    let mut pages = Vec::new();
    loop {
        cursor.skip_whitespace();
        if cursor.at_end() {
            break;
        }
        if pages.len() >= limits.max_pages as usize {
            return Err(Error::TooManyPages { max: limits.max_pages });
        }
        let plain = match cursor.take(2) {
            Some(b"P4") => false,
            Some(b"P1") => true,
            _ if pages.is_empty() => return Err(Error::Pbm("not a PBM file")),
            _ => return Err(Error::Pbm("unexpected data after the last image")),
        };
        let width = cursor.number()?;
        let height = cursor.number()?;
        limits.check_dimensions(width, height)?;
        let page = if plain {
            cursor.plain_raster(width, height, resolution, limits)?
        } else {
            cursor.binary_raster(width, height, resolution, limits)?
        };
        pages.push(page);
    }
    if pages.is_empty() {
        return Err(Error::NoPages);
    }
    Ok(pages)
}

/// Writes pages as one P4 file, the images one after another.
pub fn write(pages: &[Page]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pages.iter().map(|p| p.data().len() + 24).sum());
    for page in pages {
        out.extend_from_slice(format!("P4\n{} {}\n", page.width(), page.height()).as_bytes());
        out.extend_from_slice(page.data());
    }
    out
}

/// Writes pages as one P4 file to `out`.
pub fn write_to(pages: &[Page], mut out: impl Write) -> Result<(), Error> {
    for page in pages {
        write!(out, "P4\n{} {}\n", page.width(), page.height())?;
        out.write_all(page.data())?;
    }
    Ok(())
}

/// Position in the input.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

/// The whitespace characters of Netpbm headers (those of C's `isspace`).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(bytes)
    }

    fn skip_whitespace(&mut self) {
        while self.data.get(self.pos).is_some_and(|&b| is_space(b)) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and `#` comments, which run to the end of the line.
    fn skip_whitespace_and_comments(&mut self) {
        loop {
            self.skip_whitespace();
            if self.data.get(self.pos) != Some(&b'#') {
                return;
            }
            while self.data.get(self.pos).is_some_and(|&b| b != b'\n' && b != b'\r') {
                self.pos += 1;
            }
        }
    }

    /// A decimal header field.
    fn number(&mut self) -> Result<u32, Error> {
        self.skip_whitespace_and_comments();
        let start = self.pos;
        let mut value: u32 = 0;
        while let Some(&b) = self.data.get(self.pos).filter(|b| b.is_ascii_digit()) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u32::from(b - b'0')))
                .ok_or(Error::Pbm("header number too large"))?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(Error::Pbm(if self.at_end() { "truncated header" } else { "expected a number" }));
        }
        Ok(value)
    }

    /// A P4 raster: after exactly one whitespace character, packed rows.
    fn binary_raster(
        &mut self,
        width: u32,
        height: u32,
        resolution: Resolution,
        limits: &Limits,
    ) -> Result<Page, Error> {
        match self.take(1) {
            Some([b]) if is_space(*b) => {}
            None => return Err(Error::Pbm("truncated header")),
            _ => return Err(Error::Pbm("no whitespace after the header")),
        }
        let len = stride_for(width) * height as usize;
        let raster = self.take(len).ok_or(Error::Pbm("truncated raster"))?;
        Page::from_packed(width, height, resolution, raster.to_vec(), limits)
    }

    /// A P1 raster: one `0` or `1` per pixel, whitespace and comments anywhere.
    fn plain_raster(
        &mut self,
        width: u32,
        height: u32,
        resolution: Resolution,
        limits: &Limits,
    ) -> Result<Page, Error> {
        // Every pixel takes at least one byte of input; checking that first keeps a
        // short file from making us allocate a large page.
        if (width as u64) * u64::from(height) > (self.data.len() - self.pos) as u64 {
            return Err(Error::Pbm("truncated raster"));
        }
        let stride = stride_for(width);
        let mut data = vec![0u8; stride * height as usize];
        for row in data.chunks_exact_mut(stride) {
            for x in 0..width as usize {
                self.skip_whitespace_and_comments();
                match self.take(1) {
                    Some(b"0") => {}
                    Some(b"1") => row[x / 8] |= 0x80 >> (x % 8),
                    Some(_) => return Err(Error::Pbm("bad character in plain raster")),
                    None => return Err(Error::Pbm("truncated raster")),
                }
            }
        }
        Page::from_packed(width, height, resolution, data, limits)
    }
}
