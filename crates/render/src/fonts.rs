//! Fonts and a grey drawing surface for the pages we typeset ourselves: plain text
//! ([`crate::text`]) and cover pages ([`crate::cover`]).
//!
//! # Which fonts, and from where
//!
//! Latin, German and most European text is set in DejaVu Sans Mono (plain text, so
//! that columns and tab stops line up) and DejaVu Sans (cover pages), from the Debian
//! package `fonts-dejavu-core`. Japanese needs a CJK font: Noto Sans CJK JP from
//! `fonts-noto-cjk` is preferred, Droid Sans Fallback from `fonts-droid-fallback`
//! is used when Noto is absent. The files are read from their fixed Debian paths
//! (see [`FontFiles::find`]) rather than by scanning the system font folders: the
//! result does not depend on whatever else is installed, and loading costs one read
//! per file instead of parsing every font on the machine. Nothing is downloaded.
//!
//! Han characters are shared by Chinese, Japanese and Korean with different glyph
//! shapes; the font system is given the locale `ja`, so that the Japanese face of
//! Noto Sans CJK is the one chosen for them.
//!
//! The loaded fonts live in one process-wide [`FontSystem`] behind a mutex, built on
//! first use: building it reads about 20 MB of font files, which should happen once
//! per process, not once per page. When a font is missing the error names the
//! package to install, and the next call tries again (so installing the package
//! fixes a running service).
//!
//! # Drawing
//!
//! Fax pixels are not square (204 × 98 or 204 × 196 dpi), while glyph rasterisers
//! draw on square pixels. [`Canvas`] therefore draws on a square 204 dpi grid the
//! width of the fax line and then resamples the rows to the page's vertical density
//! by averaging (so a one-pixel horizontal stroke becomes a half-grey row at
//! standard resolution rather than vanishing), and thresholds the grey result as text
//! ([`crate::bilevel::PDF_TEXT_THRESHOLD`]).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use cosmic_text::{Buffer, FontSystem, SwashCache, SwashContent, fontdb};
use fax_image::Page;
use image::GrayImage;

use crate::geometry::{FAX_WIDTH, PageGeometry};
use crate::{Error, FaxResolution, Paper, bilevel};

/// Horizontal density of a fax line in dots per inch, also the density of the square
/// grid a [`Canvas`] draws on.
pub const GRID_DPI: f32 = 204.0;

/// Family name of the monospaced Latin font.
pub const MONO_FAMILY: &str = "DejaVu Sans Mono";
/// Family name of the proportional Latin font.
pub const SANS_FAMILY: &str = "DejaVu Sans";

/// Debian package with the DejaVu fonts.
pub const DEJAVU_PACKAGE: &str = "fonts-dejavu-core";
/// Debian package with Noto Sans CJK.
pub const NOTO_CJK_PACKAGE: &str = "fonts-noto-cjk";

const DEJAVU_DIR: &str = "usr/share/fonts/truetype/dejavu";
const NOTO_CJK: &str = "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const DROID_FALLBACK: &str = "usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

/// The glyph image cache is emptied when it holds more glyphs than this, so that a
/// long-running service rendering many CJK documents does not grow without bound.
const MAX_CACHED_GLYPHS: usize = 8192;

/// Points per inch.
const POINTS_PER_INCH: f32 = 72.0;

/// Converts a length in points to pixels of the square drawing grid.
pub fn points(pt: f32) -> f32 {
    pt * GRID_DPI / POINTS_PER_INCH
}

/// Converts a length in millimetres to pixels of the square drawing grid.
pub fn mm(mm: f32) -> f32 {
    mm * GRID_DPI / 25.4
}

/// The font files the typesetter loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontFiles {
    /// DejaVu Sans Mono, for plain text.
    pub mono: PathBuf,
    /// DejaVu Sans, for cover pages.
    pub sans: PathBuf,
    /// DejaVu Sans Bold, for cover-page titles and labels.
    pub sans_bold: PathBuf,
    /// A font with Japanese kana and kanji.
    pub cjk: PathBuf,
}

impl FontFiles {
    /// The fonts at their Debian paths under `/`.
    pub fn find() -> Result<Self, Error> {
        Self::find_in(Path::new("/"))
    }

    /// The fonts at their Debian paths under `root` (tests use an empty folder to see
    /// the error). Fails with [`Error::FontMissing`] naming the package of the first
    /// font not found.
    pub fn find_in(root: &Path) -> Result<Self, Error> {
        let dejavu = |file: &str, font: &'static str| {
            let path = root.join(DEJAVU_DIR).join(file);
            if path.is_file() { Ok(path) } else { Err(Error::FontMissing { font, package: DEJAVU_PACKAGE }) }
        };
        let mono = dejavu("DejaVuSansMono.ttf", MONO_FAMILY)?;
        let sans = dejavu("DejaVuSans.ttf", SANS_FAMILY)?;
        let sans_bold = dejavu("DejaVuSans-Bold.ttf", "DejaVu Sans Bold")?;
        let cjk = [NOTO_CJK, DROID_FALLBACK].iter().map(|p| root.join(p)).find(|p| p.is_file()).ok_or(
            Error::FontMissing {
                font: "Noto Sans CJK JP (or Droid Sans Fallback from fonts-droid-fallback)",
                package: NOTO_CJK_PACKAGE,
            },
        )?;
        Ok(Self { mono, sans, sans_bold, cjk })
    }

    /// Reads the files into a font system.
    fn load(&self) -> Result<FontSystem, Error> {
        let mut db = fontdb::Database::new();
        for (path, font, package) in [
            (&self.mono, MONO_FAMILY, DEJAVU_PACKAGE),
            (&self.sans, SANS_FAMILY, DEJAVU_PACKAGE),
            (&self.sans_bold, "DejaVu Sans Bold", DEJAVU_PACKAGE),
            (&self.cjk, "Noto Sans CJK JP", NOTO_CJK_PACKAGE),
        ] {
            // Read rather than memory-map: a font file replaced by a package upgrade
            // while mapped would crash the process.
            let data = std::fs::read(path).map_err(|_| Error::FontMissing { font, package })?;
            let before = db.len();
            db.load_font_data(data);
            if db.len() == before {
                return Err(Error::FontMissing { font, package });
            }
        }
        // The Korean and Chinese faces of a Noto CJK collection are never wanted:
        // the `ja` locale below picks the Japanese one for Han characters, and with
        // them gone the fallback cannot wander off to a Chinese face either.
        let unwanted: Vec<fontdb::ID> = db
            .faces()
            .filter(|face| {
                face.families.iter().any(|(name, _)| {
                    name.starts_with("Noto Sans") && name.contains("CJK") && !name.contains("JP")
                })
            })
            .map(|face| face.id)
            .collect();
        for id in unwanted {
            db.remove_face(id);
        }
        db.set_monospace_family(MONO_FAMILY);
        db.set_sans_serif_family(SANS_FAMILY);
        Ok(FontSystem::new_with_locale_and_db("ja".to_owned(), db))
    }
}

/// The process-wide fonts and glyph cache.
#[derive(Debug)]
pub struct Typesetter {
    /// Fonts, shaping and layout caches.
    pub fonts: FontSystem,
    /// Rasterised glyphs.
    pub glyphs: SwashCache,
}

static TYPESETTER: Mutex<Option<Typesetter>> = Mutex::new(None);

/// Runs `f` with the process-wide typesetter, loading the fonts on first use.
pub fn with_typesetter<T>(f: impl FnOnce(&mut Typesetter) -> Result<T, Error>) -> Result<T, Error> {
    // A panic while the lock was held leaves at worst a stale glyph cache, which is
    // still correct to use.
    let mut guard: MutexGuard<'_, Option<Typesetter>> =
        TYPESETTER.lock().unwrap_or_else(PoisonError::into_inner);
    if guard.is_none() {
        let fonts = FontFiles::find()?.load()?;
        *guard = Some(Typesetter { fonts, glyphs: SwashCache::new() });
    }
    match guard.as_mut() {
        Some(typesetter) => {
            if typesetter.glyphs.image_cache.len() > MAX_CACHED_GLYPHS {
                typesetter.glyphs.image_cache.clear();
            }
            f(typesetter)
        }
        // Set just above.
        None => Err(Error::FontMissing { font: MONO_FAMILY, package: DEJAVU_PACKAGE }),
    }
}

/// An 8-bit grey page on the square 204 dpi grid, white to begin with.
#[derive(Debug, Clone)]
pub struct Canvas {
    width: u32,
    height: u32,
    grey: Vec<u8>,
    geometry: PageGeometry,
}

impl Canvas {
    /// A white canvas for one page of `paper` at `resolution`: the width of the fax
    /// line and the paper's height at [`GRID_DPI`].
    pub fn new(paper: Paper, resolution: FaxResolution) -> Self {
        let geometry = PageGeometry::new(paper, resolution);
        let height = mm(paper.size_mm().1 as f32).round().max(1.0) as u32;
        let width = FAX_WIDTH;
        Self { width, height, grey: vec![255; width as usize * height as usize], geometry }
    }

    /// Width in grid pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in grid pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Darkens one pixel to `ink` (0 = full black) unless it is darker already.
    fn darken(&mut self, x: i64, y: i64, ink: u8) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let index = y as usize * self.width as usize + x as usize;
        if let Some(pixel) = self.grey.get_mut(index) {
            *pixel = (*pixel).min(ink);
        }
    }

    /// Fills a rectangle (grid pixels, clipped to the canvas) with black.
    pub fn fill(&mut self, x: f32, y: f32, width: f32, height: f32) {
        let x0 = x.round() as i64;
        let y0 = y.round() as i64;
        let x1 = (x + width).round() as i64;
        let y1 = (y + height).round() as i64;
        for yy in y0.max(0)..y1.min(i64::from(self.height)) {
            for xx in x0.max(0)..x1.min(i64::from(self.width)) {
                self.darken(xx, yy, 0);
            }
        }
    }

    /// Draws the outline of a rectangle with lines `stroke` pixels thick.
    pub fn frame(&mut self, x: f32, y: f32, width: f32, height: f32, stroke: f32) {
        self.fill(x, y, width, stroke);
        self.fill(x, y + height - stroke, width, stroke);
        self.fill(x, y, stroke, height);
        self.fill(x + width - stroke, y, stroke, height);
    }

    /// Draws the laid-out lines of `buffer` whose index is in `lines`, moving line
    /// `lines.start` to `top` (grid pixels from the top of the page) and the buffer's
    /// left edge to `left`. Returns how many lines were drawn.
    pub fn draw_lines(
        &mut self,
        typesetter: &mut Typesetter,
        buffer: &Buffer,
        lines: std::ops::Range<usize>,
        left: f32,
        top: f32,
    ) -> usize {
        let mut drawn = 0;
        let mut first_top = None;
        for (index, run) in buffer.layout_runs().enumerate() {
            if index < lines.start {
                continue;
            }
            if index >= lines.end {
                break;
            }
            let shift = *first_top.get_or_insert(run.line_top);
            let baseline = top + run.line_y - shift;
            for glyph in run.glyphs {
                let physical = glyph.physical((left, baseline), 1.0);
                self.draw_glyph(typesetter, physical.cache_key, physical.x, physical.y);
            }
            drawn += 1;
        }
        drawn
    }

    fn draw_glyph(&mut self, typesetter: &mut Typesetter, key: cosmic_text::CacheKey, x: i32, y: i32) {
        let Typesetter { fonts, glyphs } = typesetter;
        let Some(image) = glyphs.get_image(fonts, key) else { return };
        let (w, h) = (image.placement.width as usize, image.placement.height as usize);
        let left = i64::from(x) + i64::from(image.placement.left);
        let top = i64::from(y) - i64::from(image.placement.top);
        // Copy out what is needed so the cache borrow ends before drawing.
        let (content, data) = (image.content, image.data.clone());
        for row in 0..h {
            for col in 0..w {
                let coverage = match content {
                    SwashContent::Mask => data.get(row * w + col).copied().unwrap_or(0),
                    SwashContent::SubpixelMask => {
                        let p = (row * w + col) * 4;
                        data.get(p..p + 3)
                            .map_or(0, |c| ((u16::from(c[0]) + u16::from(c[1]) + u16::from(c[2])) / 3) as u8)
                    }
                    SwashContent::Color => {
                        // Colour glyphs (emoji) become grey by luminance, weighted by
                        // their alpha.
                        let p = (row * w + col) * 4;
                        data.get(p..p + 4).map_or(0, |c| {
                            let luma =
                                (77 * u32::from(c[0]) + 150 * u32::from(c[1]) + 29 * u32::from(c[2])) >> 8;
                            ((255 - luma) * u32::from(c[3]) / 255) as u8
                        })
                    }
                };
                if coverage > 0 {
                    self.darken(left + col as i64, top + row as i64, 255 - coverage);
                }
            }
        }
    }

    /// The canvas as a grey image at the page's own density: rows are resampled from
    /// the square grid by area averaging.
    pub fn to_grey(&self) -> GrayImage {
        let target = self.geometry.height.max(1);
        let width = self.width as usize;
        let source_rows = f64::from(self.height);
        let step = source_rows / f64::from(target);
        let mut out = vec![255u8; width * target as usize];
        let mut sums = vec![0f64; width];
        for t in 0..target as usize {
            let start = t as f64 * step;
            let end = (start + step).min(source_rows);
            sums.iter_mut().for_each(|s| *s = 0.0);
            let mut weight_total = 0.0;
            let mut row = start.floor() as usize;
            while (row as f64) < end {
                let weight = ((row + 1) as f64).min(end) - (row as f64).max(start);
                if weight > 0.0 {
                    let line = &self.grey[row * width..(row + 1) * width];
                    for (s, &v) in sums.iter_mut().zip(line) {
                        *s += weight * f64::from(v);
                    }
                    weight_total += weight;
                }
                row += 1;
            }
            if weight_total > 0.0 {
                for (o, s) in out[t * width..(t + 1) * width].iter_mut().zip(&sums) {
                    *o = (s / weight_total).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        // The buffer has exactly width × target pixels by construction.
        GrayImage::from_raw(self.width, target, out).unwrap_or_else(|| GrayImage::new(self.width, target))
    }

    /// The canvas as a bilevel fax page (text threshold).
    pub fn to_page(&self) -> Result<Page, Error> {
        let grey = self.to_grey();
        Ok(bilevel::threshold(&grey, bilevel::PDF_TEXT_THRESHOLD, self.geometry.resolution)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_resamples_to_the_page_height() {
        for (resolution, rows) in
            [(FaxResolution::Standard, 1146), (FaxResolution::Fine, 2292), (FaxResolution::Superfine, 4572)]
        {
            let mut canvas = Canvas::new(Paper::A4, resolution);
            // A4 is 297 mm: 2385 rows at 204 dpi.
            assert_eq!(canvas.height(), 2385);
            // A one-pixel rule survives every resampling.
            canvas.fill(100.0, 1000.0, 500.0, 1.0);
            let page = canvas.to_page().unwrap();
            assert_eq!((page.width(), page.height()), (FAX_WIDTH, rows));
            let y = (1000.5 * f64::from(rows) / 2385.0) as u32;
            let ink: u32 = (y.saturating_sub(2)..y + 3).map(|yy| u32::from(page.pixel(300, yy))).sum();
            assert!(ink >= 1, "{resolution:?}: the rule vanished");
            assert!(!page.pixel(50, y));
        }
    }

    #[test]
    fn missing_fonts_name_their_package() {
        let empty = tempfile::tempdir().unwrap();
        let err = FontFiles::find_in(empty.path()).unwrap_err();
        assert!(err.to_string().contains("fonts-dejavu-core"), "{err}");
        // DejaVu present, no CJK font: the error names the CJK package.
        let dir = empty.path().join(DEJAVU_DIR);
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["DejaVuSansMono.ttf", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"] {
            std::fs::write(dir.join(file), b"not really a font").unwrap();
        }
        let err = FontFiles::find_in(empty.path()).unwrap_err();
        assert!(err.to_string().contains("fonts-noto-cjk"), "{err}");
        // A file that is not a font is reported as missing too.
        let files =
            FontFiles { cjk: dir.join("DejaVuSans.ttf"), ..FontFiles::find_in(Path::new("/")).unwrap() };
        let broken = FontFiles { mono: dir.join("DejaVuSansMono.ttf"), ..files };
        assert!(matches!(broken.load(), Err(Error::FontMissing { package: DEJAVU_PACKAGE, .. })));
    }
}
