//! Bilevel fax pages and their codings.
//!
//! - [`Page`]: a packed bilevel bitmap with its scanning density.
//! - [`encode`] and [`decode`]: ITU-T T.4 one- and two-dimensional coding (MH, MR)
//!   and T.6 (MMR), in the framings used on the fax line (EOL, fill, RTC, EOFB,
//!   LSB-first) and in files (MSB-first, byte-aligned EOLs). Decoding T.4 survives
//!   line errors: it resynchronises on the next EOL and reports the bad rows that
//!   T.30 copy-quality checking needs.
//! - [`tiff`]: TIFF Class F, multi-page, read and write.
//! - [`pbm`] and [`png`]: plain bitmaps for people and tests.
//! - [`pdf`]: pages as a PDF document, each page's image kept in MMR coding.
//! - [`header`]: the fax header line (date, sender, page number) drawn at the top of
//!   a page with the bitmap font of [`font`].
//!
//! Everything here is pure computation on byte slices: no I/O beyond the readers and
//! writers a caller passes in, no global state, no `unsafe`. Every size that hostile
//! input could inflate is bounded by [`Limits`].

#![forbid(unsafe_code)]

mod bits;
mod coding;
mod decode;
mod encode;
mod error;
pub mod font;
pub mod header;
mod limits;
mod page;
pub mod pbm;
pub mod pdf;
pub mod png;
mod tables;
pub mod tiff;

pub use coding::{BitOrder, Coding, DecodeOptions, DecodeReport, EncodeOptions, StreamEnd};
pub use decode::decode;
pub use encode::encode;
pub use error::Error;
pub use header::{HeaderFields, HeaderOptions};
pub use limits::Limits;
pub use page::{Page, Resolution, stride_for};
