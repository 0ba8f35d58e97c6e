//! Plain text to fax pages.
//!
//! A text upload is typeset the way a typewriter or a line printer would put it on
//! paper, with `cosmic-text` for shaping, line breaking and font fallback and the
//! fonts of [`crate::fonts`]:
//!
//! - UTF-8, with or without a byte-order mark; CR LF and lone CR end lines as LF
//!   does.
//! - Tabs advance to the next stop of every [`TAB_STOP`] columns. Columns are
//!   counted in characters, East Asian wide characters (kanji, kana, full-width
//!   forms) counting two, as terminals count them.
//! - A form feed starts a new page. One at the very end of the text (as printers'
//!   output often has) does not add a blank page; two in a row do, on purpose.
//! - Lines longer than the text width wrap at word boundaries; a word longer than a
//!   whole line is broken between characters. Nothing is cut off.
//! - Other control characters are dropped: they have no visible form.
//! - The text is set in DejaVu Sans Mono at [`FONT_SIZE_PT`] points with
//!   [`LINE_SPACING`] line spacing, with margins of [`MARGIN_LEFT_MM`] mm on the left
//!   and [`MARGIN_RIGHT_MM`] mm on the right (84 columns on the 215 mm fax line),
//!   [`MARGIN_TOP_MM`] mm at the top (room for the header line) and
//!   [`MARGIN_BOTTOM_MM`] mm at the bottom: 63 lines on A4, 58 on Letter, 76 on
//!   Legal. Japanese falls back to Noto Sans CJK JP, set 20 % larger so that each
//!   character fills exactly two columns (as in a terminal; CJK glyphs look small
//!   beside Latin ones at the same nominal size anyway).
//!   At standard resolution (98 lines per inch) a 10-point line is 16 rows high,
//!   about what a fax machine's own header font gets, and stays legible.
//! - The page is drawn in grey and thresholded as text; [`crate::Options::mode`] does
//!   not apply (there are no photographs in a text file).
//!
//! A text with no visible character at all is refused ([`Error::TextBlank`]) rather
//! than sent as blank paper: that is almost certainly a mistake, and a fax costs
//! the recipient paper. The work is bounded by [`crate::Limits::max_text_bytes`]
//! (checked before anything else) and [`crate::Limits::max_pages`] (checked after
//! layout, before any page is drawn).

use std::panic::{AssertUnwindSafe, catch_unwind};

use cosmic_text::{Attrs, Buffer, Family, Hinting, Metrics, Shaping, Wrap};
use fax_image::Page;

use crate::fonts::{self, Canvas, MONO_FAMILY, Typesetter};
use crate::geometry::FAX_WIDTH;
use crate::{Error, Options};

/// Size of the text in points.
pub const FONT_SIZE_PT: f32 = 10.0;
/// Advance width of DejaVu Sans Mono, in em (1233 of 2048 font units).
pub const MONO_ADVANCE_EM: f32 = 1233.0 / 2048.0;
/// Distance between baselines as a multiple of the font size.
pub const LINE_SPACING: f32 = 1.2;
/// Columns between tab stops.
pub const TAB_STOP: usize = 8;
/// Left margin in millimetres.
pub const MARGIN_LEFT_MM: f32 = 20.0;
/// Right margin in millimetres (from the right end of the 215 mm fax line).
pub const MARGIN_RIGHT_MM: f32 = 15.0;
/// Top margin in millimetres.
pub const MARGIN_TOP_MM: f32 = 15.0;
/// Bottom margin in millimetres.
pub const MARGIN_BOTTOM_MM: f32 = 15.0;

/// Typesets UTF-8 text onto fax pages; see the module documentation for the rules.
pub fn render(data: &[u8], options: &Options) -> Result<Vec<Page>, Error> {
    let mut pages = Vec::new();
    render_each(data, options, |page| {
        pages.push(page);
        Ok(())
    })?;
    Ok(pages)
}

/// Like [`render`], handing each page to `sink` as soon as it is drawn; stops at the
/// first error, including one from `sink`.
pub fn render_each(
    data: &[u8],
    options: &Options,
    mut sink: impl FnMut(Page) -> Result<(), Error>,
) -> Result<(), Error> {
    let limits = &options.limits;
    limits.check_input_len(data.len())?;
    let bytes = data.len() as u64;
    if bytes > limits.max_text_bytes {
        return Err(Error::TextTooLarge { bytes, max: limits.max_text_bytes });
    }
    let text = std::str::from_utf8(data).map_err(|e| Error::TextNotUtf8 { valid_up_to: e.valid_up_to() })?;
    let sections = sections(text);
    if sections.iter().all(|s| s.chars().all(char::is_whitespace)) {
        return Err(Error::TextBlank);
    }
    let geometry = crate::geometry::PageGeometry::new(options.paper, options.resolution);
    limits.check_page(geometry.width, geometry.height)?;

    fonts::with_typesetter(|typesetter| {
        catch_unwind(AssertUnwindSafe(|| typeset(typesetter, &sections, options, &mut sink)))
            .unwrap_or(Err(Error::TextLayout))
    })
}

fn typeset(
    typesetter: &mut Typesetter,
    sections: &[String],
    options: &Options,
    sink: &mut impl FnMut(Page) -> Result<(), Error>,
) -> Result<(), Error> {
    let probe = Canvas::new(options.paper, options.resolution);
    let font_px = fonts::points(FONT_SIZE_PT);
    let line_px = font_px * LINE_SPACING;
    let left = fonts::mm(MARGIN_LEFT_MM);
    let width = FAX_WIDTH as f32 - left - fonts::mm(MARGIN_RIGHT_MM);
    let top = fonts::mm(MARGIN_TOP_MM);
    let usable = probe.height() as f32 - top - fonts::mm(MARGIN_BOTTOM_MM);
    let lines_per_page = ((usable / line_px).floor() as usize).max(1);

    // Lay out every section first, so the page count is known (and checked against
    // the limit) before any page is drawn.
    let attrs = Attrs::new().family(Family::Name(MONO_FAMILY));
    // Wide characters are set at the size that makes their 1 em advance exactly two
    // columns (with hinting, a column is a whole number of pixels), so that they sit
    // on the monospaced grid as in a terminal and tab stops line up.
    let column = (font_px * MONO_ADVANCE_EM).round();
    let wide_attrs = attrs.clone().metrics(Metrics::new(2.0 * column, line_px));
    let mut laid_out = Vec::with_capacity(sections.len());
    let mut total_pages = 0usize;
    for section in sections {
        let mut buffer = Buffer::new(&mut typesetter.fonts, Metrics::new(font_px, line_px));
        buffer.set_size(Some(width), None);
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_hinting(Hinting::Enabled);
        let spans =
            runs(section).map(|(text, wide)| (text, if wide { wide_attrs.clone() } else { attrs.clone() }));
        buffer.set_rich_text(spans, &attrs, Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut typesetter.fonts, false);
        let lines = buffer.layout_runs().count();
        let pages = lines.div_ceil(lines_per_page).max(1);
        total_pages += pages;
        if total_pages > options.limits.max_pages as usize {
            return Err(Error::TooManyPages { pages: total_pages, max: options.limits.max_pages });
        }
        laid_out.push((buffer, lines, pages));
    }

    for (buffer, lines, pages) in &laid_out {
        for page in 0..*pages {
            let mut canvas = Canvas::new(options.paper, options.resolution);
            let first = page * lines_per_page;
            let last = (first + lines_per_page).min(*lines);
            canvas.draw_lines(typesetter, buffer, first..last, left, top);
            sink(canvas.to_page()?)?;
        }
    }
    Ok(())
}

/// Splits `text` into maximal runs of wide and of other characters.
fn runs(text: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let wide = is_wide(first);
        let end = rest.char_indices().find(|&(_, c)| is_wide(c) != wide).map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some((run, wide))
    })
}

/// Splits text into the sections that start on a new page, normalised: BOM removed,
/// line ends made LF, tabs expanded, other control characters dropped, trailing
/// blank lines removed, and a final empty section (after a closing form feed)
/// dropped.
pub fn sections(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections = vec![String::new()];
    let mut column = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let current = sections.last_mut();
        let Some(current) = current else { break };
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                current.push('\n');
                column = 0;
            }
            '\n' => {
                current.push('\n');
                column = 0;
            }
            '\u{c}' => {
                sections.push(String::new());
                column = 0;
            }
            '\t' => {
                let spaces = TAB_STOP - column % TAB_STOP;
                current.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
            }
            c if c.is_control() => {}
            c => {
                current.push(c);
                column += if is_wide(c) { 2 } else { 1 };
            }
        }
    }
    for section in &mut sections {
        let kept = section.trim_end_matches(['\n', ' ']).len();
        section.truncate(kept);
    }
    if sections.len() > 1 && sections.last().is_some_and(|s| s.trim().is_empty()) {
        sections.pop();
    }
    sections
}

/// Whether a character takes two columns (East Asian Wide or Fullwidth), by the
/// blocks that matter for Japanese, Chinese and Korean text.
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_wide_and_narrow_characters() {
        let runs: Vec<_> = runs("ab日本c").collect();
        assert_eq!(runs, [("ab", false), ("日本", true), ("c", false)]);
        assert_eq!(super::runs("").count(), 0);
    }

    #[test]
    fn tabs_go_to_stops_counting_wide_characters() {
        assert_eq!(sections("a\tb"), ["a       b"]);
        assert_eq!(sections("12345678\tx"), ["12345678        x"]);
        // 日本 is four columns wide: the tab adds four spaces.
        assert_eq!(sections("日本\tx"), ["日本    x"]);
        // Columns restart on every line.
        assert_eq!(sections("abc\n\tx"), ["abc\n        x"]);
    }

    #[test]
    fn line_ends_form_feeds_and_controls() {
        assert_eq!(sections("\u{feff}a\r\nb\rc\n"), ["a\nb\nc"]);
        assert_eq!(sections("one\u{c}two\u{c}"), ["one", "two"]);
        assert_eq!(sections("one\u{c}\u{c}three"), ["one", "", "three"]);
        assert_eq!(sections("bell\u{7}s and\u{1b} escapes"), ["bells and escapes"]);
        assert_eq!(sections("  indented\n\n\n"), ["  indented"]);
    }
}
