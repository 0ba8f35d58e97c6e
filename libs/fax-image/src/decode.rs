//! T.4 / T.6 decoder. (Being written: the codec helper replaces this file.)

use crate::{DecodeOptions, DecodeReport, Error, Limits, Page, Resolution};

/// Decodes a coded stream into a page.
pub fn decode(
    data: &[u8],
    options: &DecodeOptions,
    resolution: Resolution,
    limits: &Limits,
) -> Result<(Page, DecodeReport), Error> {
    let _ = (data, options, resolution, limits);
    Err(Error::NoDecodableRows)
}
