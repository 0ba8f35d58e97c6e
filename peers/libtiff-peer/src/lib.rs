//! libtiff as a peer: the reference CCITT codec that `fax-image` is tested and
//! benchmarked against.
//!
//! The wrapper writes and reads whole multi-page TIFF files in memory through
//! libtiff's `TIFFClientOpen`, so a benchmark compares like with like: our TIFF
//! writer and codec against libtiff's, on the same pages, in the same process, with
//! no file system in the way. It is used only by tests and benchmarks; nothing in
//! the product links libtiff.

use fax_image::{Limits, Page, Resolution};

mod ffi;

/// The coding libtiff is asked to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Uncompressed (TIFF compression 1).
    None,
    /// T.4 (TIFF compression 3); `two_d` selects MR, for which libtiff picks K from
    /// the vertical resolution as T.4 asks (2 below 150 lpi, else 4); `byte_align`
    /// sets T4Options bit 2.
    G3 {
        /// MR rather than MH.
        two_d: bool,
        /// EOLs end on byte boundaries.
        byte_align: bool,
    },
    /// T.6 (TIFF compression 4).
    G4,
}

/// The bit order libtiff is asked to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillOrder {
    /// FillOrder 1.
    MsbFirst,
    /// FillOrder 2.
    LsbFirst,
}

/// Why libtiff refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibtiffError(pub &'static str);

impl std::fmt::Display for LibtiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "libtiff failed: {}", self.0)
    }
}

impl std::error::Error for LibtiffError {}

/// Writes `pages` as one TIFF file with libtiff.
pub fn write_tiff(
    pages: &[Page],
    compression: Compression,
    fill: FillOrder,
) -> Result<Vec<u8>, LibtiffError> {
    let mut file = ffi::MemFile::new(Vec::new());
    let tiff = ffi::Tiff::open(&mut file, c"w")?;
    let total = pages.len() as u32;
    for (index, page) in pages.iter().enumerate() {
        tiff.set_u32(ffi::TAG_IMAGEWIDTH, page.width())?;
        tiff.set_u32(ffi::TAG_IMAGELENGTH, page.height())?;
        tiff.set_u16(ffi::TAG_BITSPERSAMPLE, 1)?;
        tiff.set_u16(ffi::TAG_SAMPLESPERPIXEL, 1)?;
        tiff.set_u16(ffi::TAG_PHOTOMETRIC, 0)?;
        tiff.set_u32(ffi::TAG_SUBFILETYPE, 2)?;
        tiff.set_u32(ffi::TAG_ROWSPERSTRIP, page.height())?;
        tiff.set_u16(ffi::TAG_FILLORDER, if fill == FillOrder::MsbFirst { 1 } else { 2 })?;
        tiff.set_u16(ffi::TAG_RESOLUTIONUNIT, 2)?;
        tiff.set_f64(ffi::TAG_XRESOLUTION, f64::from(page.resolution().x_dpi))?;
        tiff.set_f64(ffi::TAG_YRESOLUTION, f64::from(page.resolution().y_dpi))?;
        tiff.set_u16_pair(ffi::TAG_PAGENUMBER, index as u16, total as u16)?;
        match compression {
            Compression::None => tiff.set_u16(ffi::TAG_COMPRESSION, 1)?,
            Compression::G3 { two_d, byte_align } => {
                tiff.set_u16(ffi::TAG_COMPRESSION, 3)?;
                let options = u32::from(two_d) | if byte_align { 4 } else { 0 };
                tiff.set_u32(ffi::TAG_GROUP3OPTIONS, options)?;
            }
            Compression::G4 => {
                tiff.set_u16(ffi::TAG_COMPRESSION, 4)?;
                tiff.set_u32(ffi::TAG_GROUP4OPTIONS, 0)?;
            }
        }
        tiff.write_strip(page.data())?;
        tiff.write_directory()?;
    }
    drop(tiff);
    Ok(file.into_inner())
}

/// Reads every page of a bilevel TIFF file with libtiff.
pub fn read_tiff(data: &[u8]) -> Result<Vec<Page>, LibtiffError> {
    let mut file = ffi::MemFile::new(data.to_vec());
    let tiff = ffi::Tiff::open(&mut file, c"r")?;
    let mut pages = Vec::new();
    loop {
        let width = tiff.get_u32(ffi::TAG_IMAGEWIDTH)?;
        let height = tiff.get_u32(ffi::TAG_IMAGELENGTH)?;
        let photometric = tiff.get_u16(ffi::TAG_PHOTOMETRIC).unwrap_or(0);
        let x_dpi = tiff.get_f32(ffi::TAG_XRESOLUTION).unwrap_or(204.0);
        let y_dpi = tiff.get_f32(ffi::TAG_YRESOLUTION).unwrap_or(196.0);
        let stride = fax_image::stride_for(width);
        let mut rows = Vec::with_capacity(stride * height as usize);
        for strip in 0..tiff.number_of_strips() {
            rows.extend_from_slice(&tiff.read_strip(strip)?);
        }
        rows.truncate(stride * height as usize);
        if photometric == 1 {
            rows.iter_mut().for_each(|byte| *byte = !*byte);
        }
        let resolution = Resolution { x_dpi: x_dpi.round() as u16, y_dpi: y_dpi.round() as u16 };
        let page = Page::from_packed(width, height, resolution, rows, &Limits::default())
            .map_err(|_| LibtiffError("page does not fit the packed layout"))?;
        pages.push(page);
        if !tiff.read_directory() {
            break;
        }
    }
    Ok(pages)
}

/// The coded size of every strip of the first page, as libtiff reports it.
pub fn raw_strip_sizes(data: &[u8]) -> Result<Vec<u64>, LibtiffError> {
    let mut file = ffi::MemFile::new(data.to_vec());
    let tiff = ffi::Tiff::open(&mut file, c"r")?;
    Ok((0..tiff.number_of_strips()).map(|strip| tiff.raw_strip_size(strip)).collect())
}
