//! Getting pages ready for the receiver: which resolution and width each page goes
//! at, and the one conversion the sender makes.
//!
//! A page is sent at its own resolution when the receiver's DIS accepts it. When it
//! does not, fine and superfine pages (the metric R8 family, which differ only in
//! their vertical density) are reduced to the finest of fine and standard that the
//! receiver has, by merging each pair (or group of four) of rows into one: a pixel is
//! black if it is black in any merged row, so thin horizontal lines survive. Every
//! other mismatch (inch-based or 16 dots/mm pages to a receiver without them, a page
//! wider than the receiver's paper) is an incompatibility: scaling is the job of the
//! rendering layer, which knows the document.

use fax_image::{Limits, Page};

use crate::{Density, Dis, Width};

/// The resolution and width of a page as T.30 names them, or `None` if it has no
/// T.30 name.
pub(crate) fn page_format(page: &Page) -> (Option<Density>, Option<Width>) {
    let resolution = page.resolution();
    let density = Density::from_resolution(resolution);
    let width = Width::from_pixels(page.width(), resolution.x_dpi);
    (density, width)
}

/// The density a page of `density` goes at to a receiver with `peer` capabilities,
/// and how many rows merge into one to get there (1 when sent as it is).
pub(crate) fn target_density(density: Density, peer: &Dis) -> Option<(Density, u32)> {
    if peer.supports_density(density) {
        return Some((density, 1));
    }
    let candidates: &[(Density, u32)] = match density {
        Density::Superfine => &[(Density::Fine, 2), (Density::Standard, 4)],
        Density::Fine => &[(Density::Standard, 2)],
        _ => &[],
    };
    candidates.iter().copied().find(|(d, _)| peer.supports_density(*d))
}

/// `page` with every `factor` rows merged into one (black wins) and its resolution set
/// to `density`'s. A factor of 1 only relabels.
pub(crate) fn reduce(page: &Page, factor: u32, density: Density) -> Page {
    if factor <= 1 {
        let mut copy = page.clone();
        copy.set_resolution(density.resolution());
        return copy;
    }
    let height = page.height().div_ceil(factor);
    let stride = page.stride();
    let mut data = vec![0u8; stride * height as usize];
    for (y, row) in page.rows().enumerate() {
        let target = (y / factor as usize) * stride;
        for (out, &byte) in data[target..target + stride].iter_mut().zip(row) {
            *out |= byte;
        }
    }
    // The dimensions come from a valid page and only shrink, so this cannot fail;
    // should it ever, the relabelled original is still a faithful page to send.
    Page::from_packed(page.width(), height, density.resolution(), data, &Limits::default()).unwrap_or_else(
        |_| {
            let mut copy = page.clone();
            copy.set_resolution(density.resolution());
            copy
        },
    )
}

#[cfg(test)]
mod tests {
    use fax_image::Resolution;

    use super::*;

    #[test]
    fn merges_rows_black_wins() {
        let mut page = Page::new(16, 5, Resolution::FINE, &Limits::default()).unwrap();
        page.set_pixel(3, 1, true);
        page.set_pixel(5, 2, true);
        page.set_pixel(7, 4, true);
        let reduced = reduce(&page, 2, Density::Standard);
        assert_eq!(reduced.height(), 3);
        assert_eq!(reduced.resolution(), Resolution::STANDARD);
        assert!(reduced.pixel(3, 0));
        assert!(reduced.pixel(5, 1));
        assert!(reduced.pixel(7, 2));
        assert_eq!(reduced.black_pixels(), 3);
    }

    #[test]
    fn chooses_density() {
        let mut peer = Dis::default();
        assert_eq!(target_density(Density::Fine, &peer), Some((Density::Standard, 2)));
        assert_eq!(target_density(Density::Superfine, &peer), Some((Density::Standard, 4)));
        assert_eq!(target_density(Density::R300, &peer), None);
        peer.fine = true;
        assert_eq!(target_density(Density::Superfine, &peer), Some((Density::Fine, 2)));
        assert_eq!(target_density(Density::Fine, &peer), Some((Density::Fine, 1)));
    }
}
