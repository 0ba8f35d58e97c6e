//! T.4 / T.6 encoder. (Being written: the codec helper replaces this file.)

use crate::{EncodeOptions, Error, Page};

/// Encodes `page` as `options` say.
pub fn encode(page: &Page, options: &EncodeOptions) -> Result<Vec<u8>, Error> {
    let _ = (page, options);
    Err(Error::InvalidKFactor)
}
