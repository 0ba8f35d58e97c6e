//! Cover pages in English, German and Japanese.
//!
//! A cover page says who the fax is for and from, what it is about and how many
//! pages to expect. The layout is a fixed template on the paper of the document:
//!
//! ```text
//!  FAX                                   title, 40 pt bold ("Telefax", "ファクス")
//!  ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  rule
//!  To           Erika Mustermann         label (12 pt bold) and value (12 pt),
//!  Fax number   +49 30 1234567           values wrap within their column
//!  From         …
//!  Fax number   …
//!  Subject      …
//!  Date         2026-11-23 17:40 UTC
//!  Pages        3, including this cover page
//!  ────────────────────────────────────  thin rule
//!  Notes
//!  ┌──────────────────────────────────┐  a box down to the bottom margin with the
//!  │ notes, wrapped, 11 pt            │  notes, line breaks kept
//!  └──────────────────────────────────┘
//! ```
//!
//! Rows whose value is empty are left out, and so is the notes box when there are
//! no notes. The page count is the number of pages the recipient receives,
//! **including the cover page**, which is what fax cover sheets conventionally
//! state (the recipient counts sheets in the tray). The date is text supplied by the
//! caller (this crate never reads the clock) and should carry its time zone.
//!
//! Every field is bounded ([`MAX_NAME_CHARS`], [`MAX_NUMBER_CHARS`],
//! [`MAX_DATE_CHARS`], [`MAX_NOTES_CHARS`]) and notes that do not fit in their box
//! are refused ([`Error::CoverNotesTooLong`]) rather than cut off silently. Control
//! characters in single-line fields become spaces.

use cosmic_text::{Attrs, Buffer, Family, Hinting, Metrics, Shaping, Weight, Wrap};
use fax_image::Page;

use crate::fonts::{self, Canvas, SANS_FAMILY, Typesetter};
use crate::geometry::FAX_WIDTH;
use crate::{Error, Options};

/// Most characters in a name or the subject.
pub const MAX_NAME_CHARS: usize = 120;
/// Most characters in a fax number.
pub const MAX_NUMBER_CHARS: usize = 40;
/// Most characters in the date.
pub const MAX_DATE_CHARS: usize = 60;
/// Most characters in the notes.
pub const MAX_NOTES_CHARS: usize = 2000;

const MARGIN_SIDE_MM: f32 = 20.0;
const MARGIN_TOP_MM: f32 = 18.0;
const MARGIN_BOTTOM_MM: f32 = 18.0;
const TITLE_PT: f32 = 40.0;
const FIELD_PT: f32 = 12.0;
const NOTES_PT: f32 = 11.0;
const LABEL_COLUMN_MM: f32 = 45.0;

/// Language of a cover page's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// German.
    De,
    /// Japanese.
    Ja,
}

impl Lang {
    /// The language for an ISO 639-1 code (`en`, `de`, `ja`, any case).
    pub fn from_code(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "en" => Some(Self::En),
            "de" => Some(Self::De),
            "ja" => Some(Self::Ja),
            _ => None,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Ja => "ja",
        }
    }

    fn labels(self) -> &'static Labels {
        match self {
            Self::En => &EN,
            Self::De => &DE,
            Self::Ja => &JA,
        }
    }
}

struct Labels {
    title: &'static str,
    to: &'static str,
    to_number: &'static str,
    from: &'static str,
    from_number: &'static str,
    subject: &'static str,
    date: &'static str,
    pages: &'static str,
    notes: &'static str,
    pages_value: fn(u32) -> String,
}

const EN: Labels = Labels {
    title: "FAX",
    to: "To",
    to_number: "Fax number",
    from: "From",
    from_number: "Fax number",
    subject: "Subject",
    date: "Date",
    pages: "Pages",
    notes: "Notes",
    pages_value: |n| format!("{n}, including this cover page"),
};

const DE: Labels = Labels {
    title: "Telefax",
    to: "An",
    to_number: "Faxnummer",
    from: "Von",
    from_number: "Faxnummer",
    subject: "Betreff",
    date: "Datum",
    pages: "Seiten",
    notes: "Bemerkungen",
    pages_value: |n| format!("{n}, einschließlich Deckblatt"),
};

const JA: Labels = Labels {
    title: "ファクス",
    to: "宛先",
    to_number: "FAX番号",
    from: "差出人",
    from_number: "FAX番号",
    subject: "件名",
    date: "日付",
    pages: "枚数",
    notes: "備考",
    pages_value: |n| format!("{n}枚（送付状を含む）"),
};

/// What a cover page says. `Debug` shows only the language and the page count: the
/// rest is personal data.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct CoverPage {
    /// Language of the labels.
    pub lang: Lang,
    /// Recipient's name.
    pub to: String,
    /// Recipient's fax number.
    pub to_number: String,
    /// Sender's name.
    pub from: String,
    /// Sender's fax number.
    pub from_number: String,
    /// Subject line.
    pub subject: String,
    /// Free text; line breaks are kept, long lines wrap.
    pub notes: String,
    /// Pages sent, including the cover page.
    pub pages: u32,
    /// Date and time of sending, with time zone, as it should be printed.
    pub date: String,
}

impl std::fmt::Debug for CoverPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoverPage")
            .field("lang", &self.lang)
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

/// Checks the length of a field and makes it one line.
fn single_line(field: &'static str, value: &str, max: usize) -> Result<String, Error> {
    let chars = value.chars().count();
    if chars > max {
        return Err(Error::CoverFieldTooLong { field, chars, max });
    }
    Ok(value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned())
}

/// Draws the cover page on the paper and at the resolution of `options`.
pub fn render_cover(cover: &CoverPage, options: &Options) -> Result<Page, Error> {
    let labels = cover.lang.labels();
    let rows = [
        (labels.to, single_line("to", &cover.to, MAX_NAME_CHARS)?),
        (labels.to_number, single_line("to-number", &cover.to_number, MAX_NUMBER_CHARS)?),
        (labels.from, single_line("from", &cover.from, MAX_NAME_CHARS)?),
        (labels.from_number, single_line("from-number", &cover.from_number, MAX_NUMBER_CHARS)?),
        (labels.subject, single_line("subject", &cover.subject, MAX_NAME_CHARS)?),
        (labels.date, single_line("date", &cover.date, MAX_DATE_CHARS)?),
        (labels.pages, (labels.pages_value)(cover.pages)),
    ];
    let notes_chars = cover.notes.chars().count();
    if notes_chars > MAX_NOTES_CHARS {
        return Err(Error::CoverFieldTooLong { field: "notes", chars: notes_chars, max: MAX_NOTES_CHARS });
    }
    // Notes keep their line breaks; tabs and other controls become spaces.
    let notes: String = cover
        .notes
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c != '\n' && c.is_control() { ' ' } else { c })
        .collect();
    let notes = notes.trim_end();
    let geometry = crate::geometry::PageGeometry::new(options.paper, options.resolution);
    options.limits.check_page(geometry.width, geometry.height)?;

    fonts::with_typesetter(|typesetter| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            draw(typesetter, labels, &rows, notes, options)
        }))
        .unwrap_or(Err(Error::TextLayout))
    })
}

fn draw(
    typesetter: &mut Typesetter,
    labels: &Labels,
    rows: &[(&str, String)],
    notes: &str,
    options: &Options,
) -> Result<Page, Error> {
    let mut canvas = Canvas::new(options.paper, options.resolution);
    let left = fonts::mm(MARGIN_SIDE_MM);
    let content = FAX_WIDTH as f32 - 2.0 * left;
    let mut y = fonts::mm(MARGIN_TOP_MM);

    let title = Block::new(typesetter, labels.title, TITLE_PT, 1.15, true, content);
    title.draw(&mut canvas, typesetter, left, y);
    y += title.height + fonts::mm(1.5);
    canvas.fill(left, y, content, fonts::mm(1.0));
    y += fonts::mm(1.0) + fonts::mm(5.0);

    let value_x = left + fonts::mm(LABEL_COLUMN_MM);
    let value_width = content - fonts::mm(LABEL_COLUMN_MM);
    for (label, value) in rows.iter().filter(|(_, v)| !v.is_empty()) {
        let label = Block::new(typesetter, label, FIELD_PT, 1.45, true, fonts::mm(LABEL_COLUMN_MM - 3.0));
        let value = Block::new(typesetter, value, FIELD_PT, 1.45, false, value_width);
        label.draw(&mut canvas, typesetter, left, y);
        value.draw(&mut canvas, typesetter, value_x, y);
        y += label.height.max(value.height) + fonts::mm(1.0);
    }

    if !notes.is_empty() {
        y += fonts::mm(3.0);
        canvas.fill(left, y, content, fonts::mm(0.3));
        y += fonts::mm(0.3) + fonts::mm(4.0);
        let heading = Block::new(typesetter, labels.notes, FIELD_PT, 1.45, true, content);
        heading.draw(&mut canvas, typesetter, left, y);
        y += heading.height + fonts::mm(1.0);

        let bottom = canvas.height() as f32 - fonts::mm(MARGIN_BOTTOM_MM);
        let padding = fonts::mm(4.0);
        let block = Block::new(typesetter, notes, NOTES_PT, 1.35, false, content - 2.0 * padding);
        let max_lines = ((bottom - y - 2.0 * padding) / block.line_height).floor().max(0.0) as usize;
        if block.lines > max_lines {
            return Err(Error::CoverNotesTooLong { lines: block.lines, max_lines });
        }
        canvas.frame(left, y, content, bottom - y, fonts::mm(0.35));
        block.draw(&mut canvas, typesetter, left + padding, y + padding);
    }
    canvas.to_page()
}

/// A piece of text laid out in a column.
struct Block {
    buffer: Buffer,
    lines: usize,
    line_height: f32,
    height: f32,
}

impl Block {
    fn new(
        typesetter: &mut Typesetter,
        text: &str,
        size_pt: f32,
        spacing: f32,
        bold: bool,
        width: f32,
    ) -> Self {
        let font_px = fonts::points(size_pt);
        let line_height = font_px * spacing;
        let mut buffer = Buffer::new(&mut typesetter.fonts, Metrics::new(font_px, line_height));
        buffer.set_size(Some(width.max(1.0)), None);
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_hinting(Hinting::Enabled);
        let attrs = Attrs::new().family(Family::Name(SANS_FAMILY)).weight(if bold {
            Weight::BOLD
        } else {
            Weight::NORMAL
        });
        buffer.set_text(text, &attrs, Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut typesetter.fonts, false);
        let lines = buffer.layout_runs().count();
        Self { buffer, lines, line_height, height: lines as f32 * line_height }
    }

    fn draw(&self, canvas: &mut Canvas, typesetter: &mut Typesetter, x: f32, y: f32) {
        canvas.draw_lines(typesetter, &self.buffer, 0..self.lines, x, y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_code() {
        assert_eq!(Lang::from_code("DE"), Some(Lang::De));
        assert_eq!(Lang::from_code("ja"), Some(Lang::Ja));
        assert_eq!(Lang::from_code("fr"), None);
        for lang in [Lang::En, Lang::De, Lang::Ja] {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }

    #[test]
    fn debug_hides_personal_data() {
        let cover =
            CoverPage { to: "Erika Mustermann".into(), to_number: "+4930123".into(), ..Default::default() };
        let shown = format!("{cover:?}");
        assert!(!shown.contains("Erika") && !shown.contains("4930123"), "{shown}");
    }

    #[test]
    fn long_fields_are_refused_not_cut() {
        let cover = CoverPage { subject: "x".repeat(MAX_NAME_CHARS + 1), ..Default::default() };
        assert!(matches!(
            render_cover(&cover, &Options::default()),
            Err(Error::CoverFieldTooLong { field: "subject", .. })
        ));
        // Within the character limit but too many lines for the box.
        let cover = CoverPage { notes: "line\n".repeat(300), ..Default::default() };
        assert!(matches!(render_cover(&cover, &Options::default()), Err(Error::CoverNotesTooLong { .. })));
    }
}
