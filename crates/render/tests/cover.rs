//! Cover pages in English, German and Japanese: layout elements where the template
//! puts them, translated labels, and stored expected images
//! (`corpus/expected/cover-<lang>.tif`; regenerate with
//! `FERROFAX_BLESS=1 cargo test -p render --test cover` and review).

use std::path::{Path, PathBuf};

use fax_image::tiff::{self, Compression, WriteOptions};
use fax_image::{Limits, Page};
use render::fonts::mm;
use render::{CoverPage, FaxResolution, Lang, Options, Paper, render_cover};

const MAX_CHANGED: f64 = 0.002;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn sample(lang: Lang) -> CoverPage {
    let (to, subject, notes) = match lang {
        Lang::En => (
            "Erika Mustermann, Example Ltd",
            "Order 4711",
            "Please find the signed order attached.\nCall me if anything is unclear.",
        ),
        Lang::De => (
            "Frau Erika Mustermann",
            "Bestellung 4711 – Größenänderung",
            "Anbei die unterschriebene Bestellung.\nBei Fragen rufen Sie mich bitte an.",
        ),
        Lang::Ja => (
            "山田太郎 様",
            "注文書の送付",
            "署名済みの注文書をお送りします。\nご不明な点がございましたらご連絡ください。",
        ),
    };
    CoverPage {
        lang,
        to: to.into(),
        to_number: "+49 30 1234567".into(),
        from: "Ferrofax Test".into(),
        from_number: "+81 3 1234 5678".into(),
        subject: subject.into(),
        notes: notes.into(),
        pages: 3,
        date: "2026-11-23 17:40 UTC".into(),
    }
}

/// Rows (as fractions of the page) whose ink spans at least `fraction` of the width.
fn long_rules(page: &Page, fraction: f64) -> Vec<u32> {
    (0..page.height())
        .filter(|&y| {
            let black = (0..page.width()).filter(|&x| page.pixel(x, y)).count();
            black as f64 >= fraction * f64::from(page.width())
        })
        .collect()
}

#[test]
fn cover_pages_in_three_languages() {
    let mut images = Vec::new();
    for lang in [Lang::En, Lang::De, Lang::Ja] {
        let page =
            render_cover(&sample(lang), &Options::default()).unwrap_or_else(|e| panic!("{lang:?}: {e}"));
        assert_eq!((page.width(), page.height()), (1728, 2292), "{lang:?}");
        // The title sits in the top band, below the header line's band.
        let title_band = (mm(18.0) * 196.0 / 204.0) as u32..(mm(35.0) * 196.0 / 204.0) as u32;
        let title_ink: usize =
            title_band.clone().map(|y| (0..1728).filter(|&x| page.pixel(x, y)).count()).sum();
        assert!(title_ink > 2000, "{lang:?}: title has {title_ink} black pixels");
        // The heavy rule under the title and the thin rule above the notes run across
        // the content width (175 mm of 215): rows more than 75 % black.
        let rules = long_rules(&page, 0.75);
        assert!(rules.len() >= 6, "{lang:?}: rules {rules:?}");
        assert!(rules[0] > title_band.start, "{lang:?}");
        // The notes box: its top and bottom edges are long rules too, the bottom one
        // just above the bottom margin.
        let bottom = *rules.last().unwrap();
        assert!(f64::from(bottom) > 0.9 * 2292.0, "{lang:?}: the notes box ends at {bottom}");
        // Nothing below the bottom margin, nothing in the header line's band.
        let margin = (mm(17.0) * 196.0 / 204.0) as u32;
        assert!((2292 - margin..2292).all(|y| (0..1728).all(|x| !page.pixel(x, y))), "{lang:?}");
        assert!((0..40).all(|y| (0..1728).all(|x| !page.pixel(x, y))), "{lang:?}");
        images.push(page);
    }
    // Translated labels and values: the three pages differ clearly.
    for (i, a) in images.iter().enumerate() {
        for b in &images[i + 1..] {
            let differing: u32 = a.data().iter().zip(b.data()).map(|(x, y)| (x ^ y).count_ones()).sum();
            assert!(differing > 5000, "two languages look alike: {differing}");
        }
    }

    for (lang, page) in ["en", "de", "ja"].iter().zip(&images) {
        let path = corpus().join("expected").join(format!("cover-{lang}.tif"));
        if std::env::var_os("FERROFAX_BLESS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let write = WriteOptions { compression: Compression::Mmr, ..WriteOptions::default() };
            std::fs::write(&path, tiff::write(std::slice::from_ref(page), &write).unwrap()).unwrap();
            continue;
        }
        let stored = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (FERROFAX_BLESS=1 makes it)", path.display()));
        let want = tiff::read(&stored, &Limits::default()).unwrap().remove(0).page;
        let differing: u64 =
            page.data().iter().zip(want.data()).map(|(a, b)| u64::from((a ^ b).count_ones())).sum();
        let changed = differing as f64 / (1728.0 * 2292.0);
        println!("cover {lang}: {changed:.5} of pixels differ from the expected image");
        assert!(changed <= MAX_CHANGED, "cover {lang}: {changed:.5} of pixels changed");
    }
}

#[test]
fn cover_follows_paper_and_resolution_and_omits_empty_parts() {
    let full = sample(Lang::En);
    let page = render_cover(
        &full,
        &Options { paper: Paper::Letter, resolution: FaxResolution::Standard, ..Options::default() },
    )
    .unwrap();
    assert_eq!((page.width(), page.height()), (1728, 1078));

    // Without notes there is no box: the last long rule is the title's.
    let bare = CoverPage { notes: String::new(), to: "A".into(), ..CoverPage::default() };
    let page = render_cover(&bare, &Options::default()).unwrap();
    let rules = long_rules(&page, 0.75);
    assert!(!rules.is_empty() && f64::from(*rules.last().unwrap()) < 0.2 * 2292.0, "{rules:?}");
    // More notes, more ink.
    let with_notes =
        render_cover(&CoverPage { notes: "Some notes".into(), ..bare.clone() }, &Options::default()).unwrap();
    assert!(with_notes.black_pixels() > page.black_pixels());
}
