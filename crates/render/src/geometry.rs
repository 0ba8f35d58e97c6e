//! Page geometry: where a source page lands on a fax page.
//!
//! A fax page is [`FAX_WIDTH`] = 1728 pixels wide: ITU-T T.4 puts 1728 picture
//! elements along a 215 mm scan line, 8 dots per millimetre (stored in files as 204
//! dots per inch). Its height depends on the paper and the vertical resolution:
//!
//! ```text
//! height = round(paper_height_mm / 25.4 × y_dpi)
//! ```
//!
//! with `y_dpi` 98 (standard, 3.85 lines/mm), 196 (fine, 7.7 lines/mm) or 391
//! (superfine, 15.4 lines/mm). A4 (297 mm) gives 1146, 2292 and 4572 rows; US Letter
//! (11 in) 1078, 2156 and 4301; Legal (14 in) 1372, 2744 and 5474. These are the
//! heights ghostscript's fax devices produce for the same paper, so pages compare
//! one to one with the reference renderer.
//!
//! Pixels are not square (204 × 196 dpi at fine, 204 × 98 at standard), so fitting is
//! done in physical units. A source page of `w × h` square units (PDF points, or
//! image pixels) is first turned to portrait: when `w > h` it is rotated 90°
//! counter-clockwise, so the top of the landscape content runs down the left edge
//! of the fax and the reader turns the sheet clockwise to read it. With `w', h'` the
//! portrait dimensions, the common physical scale `s` (target inches per source
//! unit) is the largest that fits both ways:
//!
//! ```text
//! s = min(1728 / (w' × x_dpi), height / (h' × y_dpi))
//! scale_x = s × x_dpi        (target pixels per source unit, horizontally)
//! scale_y = s × y_dpi        (target pixels per source unit, vertically)
//! offset_x = (1728 − w' × scale_x) / 2,  offset_y = (height − h' × scale_y) / 2
//! ```
//!
//! The aspect ratio of the source is kept exactly (the same `s` both ways), the
//! result is centred, and pages are scaled up as well as down, as ghostscript's
//! `-dPDFFitPage` does. An A4 page on A4 paper is limited by the height and lands at
//! exactly 1:1 with 21 white pixels either side, because the 215 mm line is wider
//! than A4's 210 mm; a US Letter page on A4 is shrunk by 0.4 % to fit the line.
//! Every page of a document is fitted on its own, so mixed sizes and orientations in
//! one job all come out as fax pages of the same paper.

use fax_image::Resolution;

/// Pixels per fax scan line: 215 mm at 8 dots/mm.
pub const FAX_WIDTH: u32 = 1728;

/// Paper sizes a fax page can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
    /// US Legal, 8.5 × 14 in.
    Legal,
}

impl Paper {
    /// Width and height in millimetres.
    pub fn size_mm(self) -> (f64, f64) {
        match self {
            Self::A4 => (210.0, 297.0),
            Self::Letter => (215.9, 279.4),
            Self::Legal => (215.9, 355.6),
        }
    }
}

/// The three T.30 vertical resolutions on the 8 dots/mm line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FaxResolution {
    /// 204 × 98 dpi (3.85 lines/mm).
    Standard,
    /// 204 × 196 dpi (7.7 lines/mm).
    #[default]
    Fine,
    /// 204 × 391 dpi (15.4 lines/mm).
    Superfine,
}

impl FaxResolution {
    /// The resolution recorded on the pages.
    pub fn resolution(self) -> Resolution {
        match self {
            Self::Standard => Resolution::STANDARD,
            Self::Fine => Resolution::FINE,
            Self::Superfine => Resolution::SUPERFINE,
        }
    }
}

/// The size and density of the fax pages a document is rendered onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageGeometry {
    /// Width in pixels, always [`FAX_WIDTH`].
    pub width: u32,
    /// Height in rows.
    pub height: u32,
    /// Density of the page.
    pub resolution: Resolution,
}

impl PageGeometry {
    /// The page for `paper` at `resolution` (see the module documentation for the
    /// formula).
    pub fn new(paper: Paper, resolution: FaxResolution) -> Self {
        let resolution = resolution.resolution();
        let (_, height_mm) = paper.size_mm();
        let height = (height_mm / 25.4 * f64::from(resolution.y_dpi)).round() as u32;
        Self { width: FAX_WIDTH, height, resolution }
    }

    /// Where a source page of `width × height` square units goes on this page.
    ///
    /// Degenerate sizes (zero, negative, not finite) are treated as one unit so the
    /// result is always finite.
    pub fn fit(&self, width: f64, height: f64) -> Placement {
        let sane = |v: f64| if v.is_finite() && v > 0.0 { v } else { 1.0 };
        let (width, height) = (sane(width), sane(height));
        let rotate = width > height;
        let (w, h) = if rotate { (height, width) } else { (width, height) };
        let x_dpi = f64::from(self.resolution.x_dpi);
        let y_dpi = f64::from(self.resolution.y_dpi);
        let s = (f64::from(self.width) / (w * x_dpi)).min(f64::from(self.height) / (h * y_dpi));
        let scale_x = s * x_dpi;
        let scale_y = s * y_dpi;
        Placement {
            rotate,
            source_width: width,
            source_height: height,
            scale_x,
            scale_y,
            offset_x: (f64::from(self.width) - w * scale_x) / 2.0,
            offset_y: (f64::from(self.height) - h * scale_y) / 2.0,
        }
    }
}

/// How one source page is mapped onto a fax page: rotate (optionally), scale, move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Whether the source is rotated 90° counter-clockwise first (it was landscape).
    pub rotate: bool,
    /// Source width before rotation, in source units.
    pub source_width: f64,
    /// Source height before rotation, in source units.
    pub source_height: f64,
    /// Target pixels per source unit, horizontally (after rotation).
    pub scale_x: f64,
    /// Target pixels per source unit, vertically (after rotation).
    pub scale_y: f64,
    /// Left margin in target pixels.
    pub offset_x: f64,
    /// Top margin in target pixels.
    pub offset_y: f64,
}

impl Placement {
    /// Size of the placed source on the target, in whole pixels (at least one).
    pub fn drawn_size(&self) -> (u32, u32) {
        let (w, h) = if self.rotate {
            (self.source_height, self.source_width)
        } else {
            (self.source_width, self.source_height)
        };
        let px = |v: f64| (v.round() as u32).max(1);
        (px(w * self.scale_x), px(h * self.scale_y))
    }

    /// The affine map from source coordinates (y down) to target pixels, as the six
    /// coefficients `[a, b, c, d, e, f]` of `x' = a·x + c·y + e`, `y' = b·x + d·y + f`.
    pub fn affine(&self) -> [f64; 6] {
        if self.rotate {
            // (x, y) ↦ (y, source_width − x) turns the page counter-clockwise, then scale
            // and move.
            [
                0.0,
                -self.scale_y,
                self.scale_x,
                0.0,
                self.offset_x,
                self.offset_y + self.source_width * self.scale_y,
            ]
        } else {
            [self.scale_x, 0.0, 0.0, self.scale_y, self.offset_x, self.offset_y]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_match_ghostscript() {
        let h = |p, r| PageGeometry::new(p, r).height;
        assert_eq!(h(Paper::A4, FaxResolution::Standard), 1146);
        assert_eq!(h(Paper::A4, FaxResolution::Fine), 2292);
        assert_eq!(h(Paper::A4, FaxResolution::Superfine), 4572);
        assert_eq!(h(Paper::Letter, FaxResolution::Fine), 2156);
        assert_eq!(h(Paper::Legal, FaxResolution::Fine), 2744);
        assert_eq!(PageGeometry::new(Paper::Letter, FaxResolution::Standard).width, FAX_WIDTH);
    }

    #[test]
    fn a4_on_a4_is_one_to_one_and_centred() {
        let g = PageGeometry::new(Paper::A4, FaxResolution::Fine);
        let p = g.fit(595.0, 842.0); // A4 in points
        assert!(!p.rotate);
        // 1 pt = 1/72 in: 204/72 and 196/72 pixels per point, within the rounding of
        // the page height.
        assert!((p.scale_x - 204.0 / 72.0).abs() < 0.01, "{p:?}");
        assert!((p.scale_y - 196.0 / 72.0).abs() < 0.01, "{p:?}");
        let (w, h) = p.drawn_size();
        assert!((1684..=1688).contains(&w) && h == 2292, "{w}×{h}");
        assert!((p.offset_x - (1728.0 - f64::from(w)) / 2.0).abs() < 1.0);
    }

    #[test]
    fn aspect_is_preserved_physically() {
        let g = PageGeometry::new(Paper::A4, FaxResolution::Standard);
        let p = g.fit(1000.0, 2000.0);
        // Physical width / height of the drawn area equals the source's 1:2.
        let (w, h) = p.drawn_size();
        let ratio = (f64::from(w) / 204.0) / (f64::from(h) / 98.0);
        assert!((ratio - 0.5).abs() < 0.01, "{ratio}");
        assert!(w <= FAX_WIDTH && h <= g.height);
    }

    #[test]
    fn landscape_is_rotated_counter_clockwise() {
        let g = PageGeometry::new(Paper::A4, FaxResolution::Fine);
        let p = g.fit(842.0, 595.0);
        assert!(p.rotate);
        let [a, b, c, d, e, f] = p.affine();
        let map = |x: f64, y: f64| (a * x + c * y + e, b * x + d * y + f);
        // Source top-left goes to the bottom-left, source top-right to the top-left.
        let (x0, y0) = map(0.0, 0.0);
        let (x1, y1) = map(842.0, 0.0);
        assert!(x0 < 30.0 && y0 > 2200.0, "{x0},{y0}");
        assert!(x1 < 30.0 && y1 < 30.0, "{x1},{y1}");
        // Source bottom-right goes to the top-right.
        let (x2, y2) = map(842.0, 595.0);
        assert!(x2 > 1690.0 && y2 < 30.0, "{x2},{y2}");
    }

    #[test]
    fn degenerate_sizes_stay_finite() {
        let g = PageGeometry::new(Paper::Letter, FaxResolution::Fine);
        for (w, h) in [(0.0, 0.0), (f64::NAN, 5.0), (-3.0, f64::INFINITY), (1e-300, 1e300)] {
            let p = g.fit(w, h);
            assert!(p.affine().iter().all(|v| v.is_finite()), "{w},{h}: {p:?}");
            let (dw, dh) = p.drawn_size();
            assert!(dw >= 1 && dh >= 1);
        }
    }
}
