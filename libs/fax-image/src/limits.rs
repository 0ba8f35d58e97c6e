//! Explicit bounds on everything a hostile file could make us allocate.

use crate::Error;

/// Bounds applied to every page and file this crate reads or creates.
///
/// The defaults are generous for fax (the widest T.30 page is A3 at 16 dots/mm, 4864
/// pixels; an A4 page at 400 lines per inch is about 4700 rows) while keeping a single
/// page under 64 MiB of packed pixels and a whole document under 1 GiB (a thousand
/// fine A4 pages need about 500 MiB). Dimensions are checked before any buffer is
/// allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Widest page accepted, in pixels.
    pub max_width: u32,
    /// Tallest page accepted, in rows.
    pub max_height: u32,
    /// Most pages in one document.
    pub max_pages: u32,
    /// Largest input file or coded stream, in bytes.
    pub max_input_bytes: u64,
    /// Most packed pixel bytes a whole document may decode to. A small file can
    /// describe many large pages (they may even share one strip), so the input size
    /// alone does not bound memory.
    pub max_decoded_bytes: u64,
}

impl Limits {
    /// The defaults described above.
    pub const DEFAULT: Self = Self {
        max_width: 8192,
        max_height: 65_536,
        max_pages: 1000,
        max_input_bytes: 256 * 1024 * 1024,
        max_decoded_bytes: 1024 * 1024 * 1024,
    };

    /// Checks a page's dimensions.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<(), Error> {
        if width == 0 || height == 0 {
            return Err(Error::EmptyPage { width, height });
        }
        if width > self.max_width {
            return Err(Error::TooWide { width, max: self.max_width });
        }
        if height > self.max_height {
            return Err(Error::TooTall { height, max: self.max_height });
        }
        Ok(())
    }

    /// Checks the width alone, for coded streams whose height is not known in advance.
    pub fn check_width(&self, width: u32) -> Result<(), Error> {
        self.check_dimensions(width, 1)
    }

    /// Checks the size of an input.
    pub fn check_input_len(&self, bytes: usize) -> Result<(), Error> {
        let bytes = bytes as u64;
        if bytes > self.max_input_bytes {
            return Err(Error::InputTooLarge { bytes, max: self.max_input_bytes });
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
