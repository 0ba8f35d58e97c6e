//! Conversions between the densities files store and the dots per inch of a
//! [`crate::Resolution`]; shared with the PNG module, whose `pHYs` chunk is metric.

/// The T.30 densities, in the inch-based integers that TIFF Class F uses. Metric
/// values that convert to within 1% of one of these are taken to mean it: 8 dots/mm is
/// 203.2 dots per inch, and every fax program calls that 204.
const FAX_DPI: [f64; 9] = [98.0, 100.0, 196.0, 200.0, 204.0, 300.0, 391.0, 400.0, 408.0];

/// Rounds a density in dots per inch to the integer a [`crate::Resolution`] holds.
///
/// Whole numbers are kept as they are. Anything else came from a unit conversion, so
/// it snaps to the nearest T.30 density within 1% and is otherwise rounded. `None` for
/// values that are not finite or do not fit in 1..=65535.
pub(crate) fn round_dpi(dpi: f64) -> Option<u16> {
    if !dpi.is_finite() || !(0.5..65535.5).contains(&dpi) {
        return None;
    }
    if dpi.fract() == 0.0 {
        return Some(dpi as u16);
    }
    let nearest = FAX_DPI
        .iter()
        .copied()
        .filter(|fax| (dpi - fax).abs() <= fax * 0.01)
        .min_by(|a, b| (dpi - a).abs().total_cmp(&(dpi - b).abs()));
    Some(nearest.unwrap_or(dpi.round()) as u16)
}

/// Dots per inch from dots per centimetre.
pub(crate) fn dpi_from_per_cm(per_cm: f64) -> Option<u16> {
    round_dpi(per_cm * 2.54)
}

/// Dots per inch from dots per metre (PNG `pHYs`).
pub(crate) fn dpi_from_per_metre(per_metre: u32) -> Option<u16> {
    round_dpi(f64::from(per_metre) * 0.0254)
}

/// Dots per metre from dots per inch, rounded to the nearest integer (PNG `pHYs`).
pub(crate) fn per_metre_from_dpi(dpi: u16) -> u32 {
    (f64::from(dpi) / 0.0254).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_fax_densities_snap_to_their_inch_names() {
        assert_eq!(dpi_from_per_cm(80.0), Some(204));
        assert_eq!(dpi_from_per_cm(38.5), Some(98));
        assert_eq!(dpi_from_per_cm(77.0), Some(196));
        assert_eq!(dpi_from_per_cm(154.0), Some(391));
        assert_eq!(dpi_from_per_cm(160.0), Some(408));
        assert_eq!(dpi_from_per_cm(118.11), Some(300));
    }

    #[test]
    fn other_densities_round() {
        assert_eq!(round_dpi(72.0), Some(72));
        assert_eq!(round_dpi(203.0), Some(203));
        assert_eq!(round_dpi(150.4), Some(150));
        assert_eq!(round_dpi(0.0), None);
        assert_eq!(round_dpi(f64::NAN), None);
        assert_eq!(round_dpi(1e9), None);
    }

    #[test]
    fn per_metre_round_trips() {
        for dpi in [98, 196, 204, 391, 408, 72, 150, 300, 600, 1] {
            assert_eq!(dpi_from_per_metre(per_metre_from_dpi(dpi)), Some(dpi), "{dpi}");
        }
    }
}
