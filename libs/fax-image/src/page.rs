//! The bilevel page: the one picture type every codec and file format in this crate
//! reads or writes.

use crate::{Error, Limits};

/// Scanning density of a page, in dots per inch horizontally and lines per inch
/// vertically.
///
/// Fax resolutions are defined in metric units (8 dots/mm × 3.85 lines/mm and so on)
/// but every file format and most software speak inches, so the inch-based integer
/// approximations used by TIFF Class F are what we store. [`Resolution::STANDARD`]
/// and friends name the T.30 ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resolution {
    /// Horizontal density in dots per inch.
    pub x_dpi: u16,
    /// Vertical density in lines per inch.
    pub y_dpi: u16,
}

impl Resolution {
    /// T.30 standard: 8 dots/mm × 3.85 lines/mm.
    pub const STANDARD: Self = Self { x_dpi: 204, y_dpi: 98 };
    /// T.30 fine: 8 dots/mm × 7.7 lines/mm.
    pub const FINE: Self = Self { x_dpi: 204, y_dpi: 196 };
    /// T.30 superfine: 8 dots/mm × 15.4 lines/mm.
    pub const SUPERFINE: Self = Self { x_dpi: 204, y_dpi: 391 };
    /// T.30 16 dots/mm × 15.4 lines/mm.
    pub const R16_SUPERFINE: Self = Self { x_dpi: 408, y_dpi: 391 };
    /// T.30 inch-based 300 × 300.
    pub const R300: Self = Self { x_dpi: 300, y_dpi: 300 };
    /// T.30 inch-based 400 × 400.
    pub const R400: Self = Self { x_dpi: 400, y_dpi: 400 };
}

impl Default for Resolution {
    fn default() -> Self {
        Self::FINE
    }
}

/// A bilevel page: `height` rows of `width` pixels, packed eight to a byte.
///
/// Rows are packed most significant bit first, a set bit is black (the PBM and TIFF
/// `WhiteIsZero` convention), and each row starts on a byte boundary, `stride()`
/// bytes apart. Padding bits at the end of a row are always zero, so two pages with
/// the same pixels compare equal byte for byte.
#[derive(Clone, PartialEq, Eq)]
pub struct Page {
    width: u32,
    height: u32,
    resolution: Resolution,
    data: Vec<u8>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pixels are fax content: never print them, only the shape.
        f.debug_struct("Page")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("resolution", &self.resolution)
            .finish_non_exhaustive()
    }
}

impl Page {
    /// A white page of the given size, checked against `limits` before anything is
    /// allocated.
    pub fn new(width: u32, height: u32, resolution: Resolution, limits: &Limits) -> Result<Self, Error> {
        limits.check_dimensions(width, height)?;
        let stride = stride_for(width);
        Ok(Self { width, height, resolution, data: vec![0; stride * height as usize] })
    }

    /// Wraps packed rows. `data` must hold exactly `height * stride` bytes; padding
    /// bits at the end of each row are cleared.
    pub fn from_packed(
        width: u32,
        height: u32,
        resolution: Resolution,
        mut data: Vec<u8>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        limits.check_dimensions(width, height)?;
        let stride = stride_for(width);
        let expected = stride * height as usize;
        if data.len() != expected {
            return Err(Error::PixelDataLength { expected, actual: data.len() });
        }
        let mask = padding_mask(width);
        if mask != 0xff {
            for row in data.chunks_exact_mut(stride) {
                if let Some(last) = row.last_mut() {
                    *last &= mask;
                }
            }
        }
        Ok(Self { width, height, resolution, data })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in rows.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Scanning density.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// Changes the recorded density without touching the pixels.
    pub fn set_resolution(&mut self, resolution: Resolution) {
        self.resolution = resolution;
    }

    /// Bytes per packed row.
    pub fn stride(&self) -> usize {
        stride_for(self.width)
    }

    /// All rows, packed.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Consumes the page, returning the packed rows.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// One packed row.
    ///
    /// # Panics
    /// If `y >= height`.
    pub fn row(&self, y: u32) -> &[u8] {
        let stride = self.stride();
        let start = y as usize * stride;
        &self.data[start..start + stride]
    }

    /// One packed row, mutable. Callers must keep the padding bits zero.
    ///
    /// # Panics
    /// If `y >= height`.
    pub fn row_mut(&mut self, y: u32) -> &mut [u8] {
        let stride = self.stride();
        let start = y as usize * stride;
        &mut self.data[start..start + stride]
    }

    /// Iterates over packed rows from top to bottom.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, u8> {
        self.data.chunks_exact(self.stride().max(1))
    }

    /// Whether the pixel at (`x`, `y`) is black.
    ///
    /// # Panics
    /// If the coordinates are outside the page.
    pub fn pixel(&self, x: u32, y: u32) -> bool {
        assert!(x < self.width, "x out of range");
        self.row(y)[(x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }

    /// Sets the pixel at (`x`, `y`) to black or white.
    ///
    /// # Panics
    /// If the coordinates are outside the page.
    pub fn set_pixel(&mut self, x: u32, y: u32, black: bool) {
        assert!(x < self.width, "x out of range");
        let byte = &mut self.row_mut(y)[(x / 8) as usize];
        let bit = 0x80 >> (x % 8);
        if black {
            *byte |= bit;
        } else {
            *byte &= !bit;
        }
    }

    /// Number of black pixels; cheap, used by tests and by image-mode heuristics.
    pub fn black_pixels(&self) -> u64 {
        self.data.iter().map(|b| u64::from(b.count_ones())).sum()
    }
}

/// Bytes needed for one packed row of `width` pixels.
pub fn stride_for(width: u32) -> usize {
    (width as usize).div_ceil(8)
}

/// Mask of the meaningful bits in the last byte of a row.
fn padding_mask(width: u32) -> u8 {
    match width % 8 {
        0 => 0xff,
        used => 0xff << (8 - used),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_bits_are_cleared() {
        let page = Page::from_packed(3, 2, Resolution::FINE, vec![0xff, 0xff], &Limits::default()).unwrap();
        assert_eq!(page.data(), &[0xe0, 0xe0]);
        assert!(page.pixel(2, 1));
    }

    #[test]
    fn wrong_length_is_rejected() {
        let err = Page::from_packed(16, 2, Resolution::FINE, vec![0; 3], &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::PixelDataLength { expected: 4, actual: 3 }));
    }

    #[test]
    fn set_and_get_pixels() {
        let mut page = Page::new(17, 3, Resolution::STANDARD, &Limits::default()).unwrap();
        page.set_pixel(16, 2, true);
        assert!(page.pixel(16, 2));
        assert_eq!(page.black_pixels(), 1);
        page.set_pixel(16, 2, false);
        assert_eq!(page.black_pixels(), 0);
    }
}
