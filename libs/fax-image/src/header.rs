//! Fax header lines: the line of small text at the top of every transmitted page.
//!
//! US law (47 CFR 68.318(d)) requires every fax to carry, in its top or bottom margin,
//! the date and time it was sent, the sender's identity and telephone number, and the
//! page number; fax machines everywhere print it at the top, in a small bitmap font.
//! [`expand`] fills a template such as [`DEFAULT_TEMPLATE`] from [`HeaderFields`]
//! supplied by the caller (this crate never reads the clock), and [`stamp`] draws the
//! result onto a [`Page`] with the font of [`crate::font`].
//!
//! The text has the same physical size, about 1 mm × 2 mm per character, at every
//! resolution: the font is drawn for 204 × 196 dpi and is scaled by whole factors, the
//! density divided by 200 and rounded (halves up). Standard resolution (98 lines per
//! inch) is the one case below 1: there each pair of font rows is merged into one
//! page row, a pixel being black if it is black in either row, so that one-row
//! horizontal strokes survive instead of vanishing as they would if every other row
//! were simply dropped.

use crate::{Error, Page, Resolution, font};

/// The template fax machines commonly use: date, time, time zone, sender's name and
/// number, recipient, and page number out of the total.
pub const DEFAULT_TEMPLATE: &str =
    "{date} {time} {tz}  FROM: {from} {from_number}  TO: {to}  P.{page}/{pages}";

/// Largest scale factor applied. Fax densities need at most 2; the cap only keeps an
/// absurd density from a hostile file from turning one character into megapixels.
const MAX_SCALE: u32 = 8;

/// Default left margin, in tenths of a millimetre.
const DEFAULT_LEFT_MARGIN: u32 = 40;
/// Default distance from the top edge to the top of the text cells, in tenths of a
/// millimetre.
const DEFAULT_TOP_OFFSET: u32 = 10;
/// White space kept below the text cells when the band is cleared, in tenths of a
/// millimetre, so page content does not touch the descenders.
const BAND_GAP: u32 = 5;

/// Where and how [`stamp`] draws.
///
/// Distances are in pixels of the page being stamped; `None` picks a default of fixed
/// physical size (4 mm from the left edge, 1 mm from the top), converted at the page's
/// resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderOptions {
    /// Pixels between the left edge of the page and the first character.
    pub left_margin: Option<u32>,
    /// Rows between the top edge of the page and the top of the character cells.
    pub top_offset: Option<u32>,
    /// Whether to make the header band (see [`HeaderOptions::band_height`]) white
    /// before drawing. Fax machines do: the header replaces whatever the top margin
    /// held, so it stays readable over a letterhead.
    pub clear_band: bool,
}

impl Default for HeaderOptions {
    fn default() -> Self {
        Self { left_margin: None, top_offset: None, clear_band: true }
    }
}

impl HeaderOptions {
    /// Left margin in pixels at `resolution`.
    pub fn left_margin_at(&self, resolution: Resolution) -> u32 {
        self.left_margin.unwrap_or_else(|| pixels(resolution.x_dpi, DEFAULT_LEFT_MARGIN))
    }

    /// Top offset in rows at `resolution`.
    pub fn top_offset_at(&self, resolution: Resolution) -> u32 {
        self.top_offset.unwrap_or_else(|| pixels(resolution.y_dpi, DEFAULT_TOP_OFFSET))
    }

    /// Rows at the top of a page that the header occupies at `resolution`: the top
    /// offset, the text, and half a millimetre below it. This is what `clear_band`
    /// whitens, and where content that must not collide with the header should not go.
    pub fn band_height(&self, resolution: Resolution) -> u32 {
        let gap = pixels(resolution.y_dpi, BAND_GAP).max(1);
        self.top_offset_at(resolution).saturating_add(text_height(resolution)).saturating_add(gap)
    }
}

/// The values [`expand`] puts into a template, formatted by the caller.
///
/// The crate never reads the clock or any configuration: dates, times and names
/// arrive here as the caller wants them printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeaderFields {
    /// Replaces `{date}`, such as `2024-05-17` or `17.05.2024`.
    pub date: String,
    /// Replaces `{time}`, such as `14:03`.
    pub time: String,
    /// Replaces `{tz}`, such as `CET` or `+0100`.
    pub tz: String,
    /// Replaces `{from}`: the sender's name.
    pub from: String,
    /// Replaces `{from_number}`: the sender's fax number.
    pub from_number: String,
    /// Replaces `{to}`: the recipient's name or number.
    pub to: String,
    /// Replaces `{page}`: this page's number, counting from 1.
    pub page: u32,
    /// Replaces `{pages}`: the number of pages, or `?` when it is not known yet (as
    /// when a document is sent while it is still being produced).
    pub pages: Option<u32>,
}

impl std::fmt::Debug for HeaderFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names and numbers are personal data: show only the page numbers, in line
        // with `Page`, whose pixels are never printed either.
        f.debug_struct("HeaderFields")
            .field("page", &self.page)
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

/// Fills `template` with `fields`.
///
/// The placeholders are `{date}`, `{time}`, `{tz}`, `{from}`, `{from_number}`, `{to}`,
/// `{page}` and `{pages}`. `{{` and `}}` stand for literal braces. Anything else in
/// braces, and a brace that opens nothing, is copied as written, so a typo shows up in
/// the header instead of vanishing. Values are inserted as they are, never expanded
/// again.
pub fn expand(template: &str, fields: &HeaderFields) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(brace) = rest.find(['{', '}']) {
        let (text, tail) = rest.split_at(brace);
        out.push_str(text);
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('{') {
            // A placeholder is a name of letters, digits and underscores followed by
            // `}`; looking no further keeps `{a{date}` from swallowing `{date}`.
            let name_len =
                after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            let (name, after_name) = after.split_at(name_len);
            match after_name.strip_prefix('}') {
                Some(after_close) => {
                    match field(name, fields) {
                        Some(value) => out.push_str(&value),
                        None => {
                            out.push('{');
                            out.push_str(name);
                            out.push('}');
                        }
                    }
                    rest = after_close;
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        } else {
            // A lone `}`: `find` only stops at the two braces, so the tail starts
            // with one.
            out.push('}');
            rest = tail.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

/// The value of one placeholder, or `None` for a name that is not one.
fn field(name: &str, fields: &HeaderFields) -> Option<String> {
    Some(match name {
        "date" => fields.date.clone(),
        "time" => fields.time.clone(),
        "tz" => fields.tz.clone(),
        "from" => fields.from.clone(),
        "from_number" => fields.from_number.clone(),
        "to" => fields.to.clone(),
        "page" => fields.page.to_string(),
        "pages" => fields.pages.map_or_else(|| "?".to_owned(), |n| n.to_string()),
        _ => return None,
    })
}

/// Draws `text` as a header line at the top of `page`.
///
/// The text is drawn from the left margin in cells of [`char_width`] × [`text_height`]
/// pixels, at the page's resolution, after whitening the header band if
/// `options.clear_band` is set. Whitespace (tabs, newlines) is drawn as spaces and
/// characters the font lacks as a visible box (see [`font::glyph`]). What does not fit
/// is cut off at the right and bottom edges of the page; nothing outside the band is
/// touched.
///
/// # Errors
/// None at present: every input, however long or strange, is drawn or clipped. The
/// `Result` leaves room for options that can be invalid.
pub fn stamp(page: &mut Page, text: &str, options: &HeaderOptions) -> Result<(), Error> {
    let resolution = page.resolution();
    let (width, height) = (page.width(), page.height());
    let left = options.left_margin_at(resolution);
    let top = options.top_offset_at(resolution);

    if options.clear_band {
        for y in 0..options.band_height(resolution).min(height) {
            page.row_mut(y).fill(0);
        }
    }

    let x_scale = horizontal_scale(resolution);
    let vertical = vertical_scale(resolution);
    let cell_width = font::WIDTH * x_scale;
    // Only the rows of the page the text reaches are visited.
    let rows = text_height(resolution).min(height.saturating_sub(top));
    let mut cell_left = left;
    for c in text.chars() {
        if cell_left >= width {
            break;
        }
        let bitmap = font::glyph(c);
        for row in 0..rows {
            let bits = vertical.source_row(bitmap, row);
            if bits == 0 {
                continue;
            }
            let dest = page.row_mut(top + row);
            for column in 0..font::WIDTH {
                if bits & (0x80 >> column) == 0 {
                    continue;
                }
                let x0 = cell_left.saturating_add(column * x_scale);
                for x in x0..x0.saturating_add(x_scale).min(width) {
                    if let Some(byte) = dest.get_mut((x / 8) as usize) {
                        *byte |= 0x80 >> (x % 8);
                    }
                }
            }
        }
        cell_left = cell_left.saturating_add(cell_width);
    }
    Ok(())
}

/// Width of one character cell in pixels at `resolution`.
pub fn char_width(resolution: Resolution) -> u32 {
    font::WIDTH * horizontal_scale(resolution)
}

/// Height of the text (one character cell, descenders included) in rows at
/// `resolution`.
pub fn text_height(resolution: Resolution) -> u32 {
    match vertical_scale(resolution) {
        Vertical::Half => font::HEIGHT / 2,
        Vertical::Times(n) => font::HEIGHT * n,
    }
}

/// How many characters fit on one line of a page `width` pixels wide with `options`.
pub fn fitting_chars(width: u32, resolution: Resolution, options: &HeaderOptions) -> u32 {
    width.saturating_sub(options.left_margin_at(resolution)) / char_width(resolution)
}

/// How font rows become page rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vertical {
    /// Two font rows merged into one page row (standard resolution).
    Half,
    /// Each font row repeated this many times.
    Times(u32),
}

impl Vertical {
    /// The bits of page row `row` of a character cell.
    fn source_row(self, bitmap: &font::Bitmap, row: u32) -> u8 {
        let at = |i: u32| bitmap.get(i as usize).copied().unwrap_or(0);
        match self {
            Self::Half => at(2 * row) | at(2 * row + 1),
            Self::Times(n) => at(row / n),
        }
    }
}

/// The density divided by the font's design density of about 200, rounded with halves
/// up: 1 at 196 and 204, 2 at 300, 391, 400 and 408.
fn scale_factor(dpi: u16) -> u32 {
    (u32::from(dpi) + 100) / 200
}

fn horizontal_scale(resolution: Resolution) -> u32 {
    // Below 100 dpi (no fax resolution is) the font stays one pixel per column rather
    // than losing columns, which would make it illegible.
    scale_factor(resolution.x_dpi).clamp(1, MAX_SCALE)
}

fn vertical_scale(resolution: Resolution) -> Vertical {
    match scale_factor(resolution.y_dpi) {
        0 => Vertical::Half,
        n => Vertical::Times(n.min(MAX_SCALE)),
    }
}

/// A length in tenths of a millimetre as pixels at `dpi`, rounded.
fn pixels(dpi: u16, tenths_mm: u32) -> u32 {
    (u32::from(dpi) * tenths_mm + 127) / 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_factors_of_the_fax_resolutions() {
        assert_eq!(vertical_scale(Resolution::STANDARD), Vertical::Half);
        assert_eq!(vertical_scale(Resolution::FINE), Vertical::Times(1));
        assert_eq!(vertical_scale(Resolution::SUPERFINE), Vertical::Times(2));
        assert_eq!(vertical_scale(Resolution::R300), Vertical::Times(2));
        assert_eq!(vertical_scale(Resolution::R400), Vertical::Times(2));
        assert_eq!(horizontal_scale(Resolution::FINE), 1);
        assert_eq!(horizontal_scale(Resolution::R300), 2);
        assert_eq!(horizontal_scale(Resolution::R16_SUPERFINE), 2);
        assert_eq!(horizontal_scale(Resolution { x_dpi: 0, y_dpi: 0 }), 1);
        assert_eq!(vertical_scale(Resolution { x_dpi: 0, y_dpi: 0 }), Vertical::Half);
        assert_eq!(horizontal_scale(Resolution { x_dpi: u16::MAX, y_dpi: u16::MAX }), MAX_SCALE);
    }

    #[test]
    fn half_scale_merges_row_pairs() {
        let mut bitmap = [0u8; 16];
        bitmap[3] = 0b0100_0000;
        bitmap[2] = 0b0000_0010;
        assert_eq!(Vertical::Half.source_row(&bitmap, 1), 0b0100_0010);
        assert_eq!(Vertical::Times(2).source_row(&bitmap, 7), 0b0100_0000);
        assert_eq!(Vertical::Times(2).source_row(&bitmap, 40), 0);
    }

    #[test]
    fn default_distances_are_physical() {
        let options = HeaderOptions::default();
        assert_eq!(options.left_margin_at(Resolution::FINE), 32);
        assert_eq!(options.left_margin_at(Resolution::R400), 63);
        assert_eq!(options.top_offset_at(Resolution::STANDARD), 4);
        assert_eq!(options.top_offset_at(Resolution::FINE), 8);
    }
}
