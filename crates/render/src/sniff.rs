//! Document type detection by content.
//!
//! The type of an upload is decided by its bytes alone, never by its file name or the
//! MIME type a browser claims: both are under the uploader's control and often wrong
//! (a `.pdf` that is really a JPEG from a phone, a `.doc` that is RTF). Each format is
//! recognised by its signature ("magic bytes"):
//!
//! | kind | signature |
//! | --- | --- |
//! | PDF | `%PDF-` within the first 1024 bytes (readers tolerate leading junk there) |
//! | PNG | the 8-byte PNG signature |
//! | JPEG | `FF D8 FF` |
//! | GIF | `GIF87a` or `GIF89a` |
//! | BMP | `BM`, a zero reserved field and a known DIB header size (`BM` alone is too weak) |
//! | WebP | `RIFF`, a length, `WEBP` |
//! | TIFF | classic TIFF, `II*\0` or `MM\0*` (BigTIFF is refused) |
//! | PBM | `P1` or `P4` followed by white space |
//! | OOXML | a zip whose entries include `[Content_Types].xml` and `word/`, `xl/` or `ppt/` |
//! | ODF | a zip whose first entry is a stored `mimetype` naming an OpenDocument type |
//! | legacy Office | the OLE2 compound file signature `D0 CF 11 E0 A1 B1 1A E1` |
//! | RTF | `{\rtf` |
//! | text | valid UTF-8 (an optional BOM), no NUL and no C0 control character other than tab, line feed, carriage return and form feed |
//!
//! Zip containers are inspected through their central directory (the list of entries
//! at the end of the file), which names every entry even when the local headers use
//! data descriptors; at most [`MAX_ZIP_ENTRIES`] names are looked at. Nothing is
//! decompressed. Every offset read from the input is checked against its length, so
//! sniffing cannot panic or allocate in proportion to what the file claims.

use std::fmt;

use crate::Error;

/// At most this many central-directory entries of a zip are examined.
pub const MAX_ZIP_ENTRIES: usize = 4096;

/// A document type recognised by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// Portable Document Format.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// GIF image (the first frame is used).
    Gif,
    /// Windows bitmap.
    Bmp,
    /// WebP image.
    WebP,
    /// Classic TIFF, including TIFF Class F fax files.
    Tiff,
    /// Netpbm bilevel bitmap (P1 or P4).
    Pbm,
    /// Office Open XML word-processing document (`.docx`).
    Docx,
    /// Office Open XML spreadsheet (`.xlsx`).
    Xlsx,
    /// Office Open XML presentation (`.pptx`).
    Pptx,
    /// OpenDocument text (`.odt`).
    Odt,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
    /// OpenDocument presentation (`.odp`).
    Odp,
    /// A legacy binary Office file in an OLE2 compound file (`.doc`, `.xls`, `.ppt`).
    LegacyOffice,
    /// Rich Text Format.
    Rtf,
    /// Plain UTF-8 text.
    Text,
}

impl Kind {
    /// Whether this is a raster image format handled by [`crate::image`].
    pub fn is_raster_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Gif | Self::Bmp | Self::WebP | Self::Tiff | Self::Pbm)
    }

    /// Whether this is an office document (converted to PDF by an office suite).
    pub fn is_office(self) -> bool {
        matches!(
            self,
            Self::Docx
                | Self::Xlsx
                | Self::Pptx
                | Self::Odt
                | Self::Ods
                | Self::Odp
                | Self::LegacyOffice
                | Self::Rtf
        )
    }

    /// A short human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Gif => "GIF",
            Self::Bmp => "BMP",
            Self::WebP => "WebP",
            Self::Tiff => "TIFF",
            Self::Pbm => "PBM",
            Self::Docx => "Word (DOCX)",
            Self::Xlsx => "Excel (XLSX)",
            Self::Pptx => "PowerPoint (PPTX)",
            Self::Odt => "OpenDocument text",
            Self::Ods => "OpenDocument spreadsheet",
            Self::Odp => "OpenDocument presentation",
            Self::LegacyOffice => "legacy Office (OLE2)",
            Self::Rtf => "RTF",
            Self::Text => "plain text",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Decides the type of a document from its content.
///
/// Returns [`Error::Empty`] for no bytes and [`Error::UnsupportedType`] (naming what
/// was seen, when that is known) for anything else not in [`Kind`].
pub fn sniff(data: &[u8]) -> Result<Kind, Error> {
    if data.is_empty() {
        return Err(Error::Empty);
    }
    let head = &data[..data.len().min(1024)];
    if data.starts_with(b"%PDF-") || find(head, b"%PDF-").is_some() {
        return Ok(Kind::Pdf);
    }
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Png);
    }
    if data.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(Kind::Jpeg);
    }
    if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        return Ok(Kind::Gif);
    }
    if is_bmp(data) {
        return Ok(Kind::Bmp);
    }
    if data.len() >= 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP" {
        return Ok(Kind::WebP);
    }
    if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") {
        return Ok(Kind::Tiff);
    }
    if data.starts_with(b"II+\0") || data.starts_with(b"MM\0+") {
        return Err(Error::UnsupportedType("BigTIFF"));
    }
    if data.len() >= 3
        && (data.starts_with(b"P1") || data.starts_with(b"P4"))
        && data[2].is_ascii_whitespace()
    {
        return Ok(Kind::Pbm);
    }
    if data.starts_with(b"PK\x03\x04") {
        return sniff_zip(data);
    }
    if data.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return Ok(Kind::LegacyOffice);
    }
    if data.starts_with(b"{\\rtf") {
        return Ok(Kind::Rtf);
    }
    if is_text(data) {
        return Ok(Kind::Text);
    }
    Err(Error::UnsupportedType("unrecognised binary data"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// `BM`, reserved fields zero, and one of the DIB header sizes in use (12 for OS/2
/// `BITMAPCOREHEADER` up to 124 for `BITMAPV5HEADER`).
fn is_bmp(data: &[u8]) -> bool {
    data.starts_with(b"BM")
        && u32_at(data, 6) == Some(0)
        && matches!(u32_at(data, 14), Some(12 | 16 | 40 | 52 | 56 | 64 | 108 | 124))
}

/// Valid UTF-8 without NUL or C0 controls other than `\t`, `\n`, `\r`, form feed.
fn is_text(data: &[u8]) -> bool {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    if data.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) {
        return false;
    }
    std::str::from_utf8(data).is_ok()
}

const ODF_PREFIX: &[u8] = b"application/vnd.oasis.opendocument.";

fn sniff_zip(data: &[u8]) -> Result<Kind, Error> {
    if let Some(kind) = odf_mimetype(data) {
        return kind;
    }
    let names = zip_entry_names(data).ok_or(Error::UnsupportedType("corrupt zip archive"))?;
    let content_types = names.iter().any(|n| *n == b"[Content_Types].xml");
    if content_types {
        for (prefix, kind) in [(&b"word/"[..], Kind::Docx), (b"xl/", Kind::Xlsx), (b"ppt/", Kind::Pptx)] {
            if names.iter().any(|n| n.starts_with(prefix)) {
                return Ok(kind);
            }
        }
    }
    Err(Error::UnsupportedType("zip archive that is not an Office document"))
}

/// The ODF packaging rule: the first entry is named `mimetype`, is stored
/// uncompressed, and holds the document's MIME type.
fn odf_mimetype(data: &[u8]) -> Option<Result<Kind, Error>> {
    let method = u16_at(data, 8)?;
    let size = u32_at(data, 18)? as usize;
    let name_len = u16_at(data, 26)? as usize;
    let extra_len = u16_at(data, 28)? as usize;
    if data.get(30..30 + name_len)? != b"mimetype" || method != 0 {
        return None;
    }
    let start = 30 + name_len + extra_len;
    let mime = data.get(start..start.checked_add(size)?)?;
    let kind = match mime.strip_prefix(ODF_PREFIX)? {
        b"text" => Ok(Kind::Odt),
        b"spreadsheet" => Ok(Kind::Ods),
        b"presentation" => Ok(Kind::Odp),
        _ => Err(Error::UnsupportedType("OpenDocument type other than text, spreadsheet or presentation")),
    };
    Some(kind)
}

/// Names of the entries listed in a zip's central directory, or `None` when the
/// end-of-central-directory record is missing or points outside the file.
fn zip_entry_names(data: &[u8]) -> Option<Vec<&[u8]>> {
    // The end record is 22 bytes plus a comment of at most 65535 bytes.
    let tail_start = data.len().saturating_sub(22 + 65_535);
    let tail = &data[tail_start..];
    let eocd = tail_start + tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let entries = u16_at(data, eocd + 10)? as usize;
    let mut at = u32_at(data, eocd + 16)? as usize;
    let mut names = Vec::new();
    for _ in 0..entries.min(MAX_ZIP_ENTRIES) {
        if data.get(at..at.checked_add(4)?)? != b"PK\x01\x02" {
            return None;
        }
        let name_len = u16_at(data, at + 28)? as usize;
        let extra_len = u16_at(data, at + 30)? as usize;
        let comment_len = u16_at(data, at + 32)? as usize;
        names.push(data.get(at + 46..at + 46 + name_len)?);
        at = at + 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip with the given stored entries, written by hand (no compression).
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, content) in entries {
            let offset = out.len() as u32;
            let mut header = Vec::new();
            header.extend_from_slice(b"PK\x03\x04");
            header.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method, time, date
            header.extend_from_slice(&0u32.to_le_bytes()); // crc (not checked by sniffing)
            header.extend_from_slice(&(content.len() as u32).to_le_bytes());
            header.extend_from_slice(&(content.len() as u32).to_le_bytes());
            header.extend_from_slice(&(name.len() as u16).to_le_bytes());
            header.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&header);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(content);

            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&(content.len() as u32).to_le_bytes());
            central.extend_from_slice(&(content.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n").unwrap(), Kind::Pdf);
        assert_eq!(sniff(b"junk\r\n%PDF-1.4\n").unwrap(), Kind::Pdf);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap(), Kind::Png);
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]).unwrap(), Kind::Jpeg);
        assert_eq!(sniff(b"GIF89a\x01\0").unwrap(), Kind::Gif);
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0]);
        assert_eq!(sniff(&bmp).unwrap(), Kind::Bmp);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 ").unwrap(), Kind::WebP);
        assert_eq!(sniff(b"II*\0\x08\0\0\0").unwrap(), Kind::Tiff);
        assert_eq!(sniff(b"MM\0*\0\0\0\x08").unwrap(), Kind::Tiff);
        assert_eq!(sniff(b"P4\n8 1\n\xff").unwrap(), Kind::Pbm);
        assert_eq!(sniff(b"P1 1 1 1").unwrap(), Kind::Pbm);
        assert_eq!(sniff(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]).unwrap(), Kind::LegacyOffice);
        assert_eq!(sniff(b"{\\rtf1\\ansi hello}").unwrap(), Kind::Rtf);
    }

    #[test]
    fn text_is_valid_utf8_without_controls() {
        assert_eq!(sniff("Grüße\tこんにちは\r\n\x0cpage 2\n".as_bytes()).unwrap(), Kind::Text);
        assert_eq!(sniff(b"\xef\xbb\xbfwith BOM").unwrap(), Kind::Text);
        assert!(matches!(sniff(b"abc\0def"), Err(Error::UnsupportedType(_))));
        assert!(matches!(sniff(b"caf\xe9"), Err(Error::UnsupportedType(_))));
        assert!(matches!(sniff(b"\x1b[31mred"), Err(Error::UnsupportedType(_))));
    }

    #[test]
    fn empty_and_unknown() {
        assert!(matches!(sniff(b""), Err(Error::Empty)));
        assert!(matches!(sniff(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]), Err(Error::UnsupportedType(_))));
        // `BM` alone does not make a bitmap: this is just text.
        assert_eq!(sniff(b"BM not a bitmap").unwrap(), Kind::Text);
        assert!(matches!(sniff(b"II+\0\x08\0"), Err(Error::UnsupportedType("BigTIFF"))));
    }

    #[test]
    fn ooxml_by_entries() {
        let docx =
            zip(&[("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", b""), ("word/document.xml", b"")]);
        assert_eq!(sniff(&docx).unwrap(), Kind::Docx);
        let xlsx = zip(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"")]);
        assert_eq!(sniff(&xlsx).unwrap(), Kind::Xlsx);
        let pptx = zip(&[("[Content_Types].xml", b"<Types/>"), ("ppt/presentation.xml", b"")]);
        assert_eq!(sniff(&pptx).unwrap(), Kind::Pptx);
        let plain = zip(&[("word/document.xml", b"")]);
        assert!(matches!(sniff(&plain), Err(Error::UnsupportedType(_))));
    }

    #[test]
    fn odf_by_mimetype_entry() {
        let odt = zip(&[("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"")]);
        assert_eq!(sniff(&odt).unwrap(), Kind::Odt);
        let ods = zip(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")]);
        assert_eq!(sniff(&ods).unwrap(), Kind::Ods);
        let odg = zip(&[("mimetype", b"application/vnd.oasis.opendocument.graphics")]);
        assert!(matches!(sniff(&odg), Err(Error::UnsupportedType(_))));
    }

    #[test]
    fn truncated_zips_do_not_panic() {
        let docx = zip(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"")]);
        for len in 4..docx.len() {
            let _ = sniff(&docx[..len]);
        }
        let mut garbage = docx.clone();
        let n = garbage.len();
        garbage[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(sniff(&garbage).is_err());
    }
}
