//! Replays the committed fuzz corpora through the decoders as an ordinary test, so
//! every input that once found a bug, and every seed, is checked on every run without
//! needing cargo-fuzz.
//!
//! Each corpus file is fed to every decoder configuration, not only the one its fuzz
//! target would pick, since any of them may meet such bytes in real life.

use std::path::{Path, PathBuf};

use fax_image::{BitOrder, Coding, DecodeOptions, Limits, Resolution};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no corpus files", dir.display());
    files.into_iter().map(|path| (path.clone(), std::fs::read(&path).expect("corpus file"))).collect()
}

fn limits() -> Limits {
    Limits { max_height: 3000, ..Limits::default() }
}

fn decode_every_way(bytes: &[u8]) {
    for coding in [Coding::Mh, Coding::Mr { k: 4 }, Coding::Mmr] {
        for bit_order in [BitOrder::MsbFirst, BitOrder::LsbFirst] {
            for width in [1, 1728, 2432] {
                for rows in [None, Some(48)] {
                    let mut options = DecodeOptions::new(coding, bit_order, width, 3000);
                    options.rows = rows;
                    if let Ok((page, report)) =
                        fax_image::decode(bytes, &options, Resolution::FINE, &limits())
                    {
                        assert_eq!(page.height(), report.rows);
                        assert!(report.max_consecutive_bad_rows <= report.bad_rows);
                    }
                }
            }
        }
    }
}

/// The seeds are valid streams of 48 rows at 1728 pixels, made by our encoder; the
/// three-byte prefix is the fuzz target's option selector.
#[test]
fn t4_corpus_decodes_and_seeds_are_clean() {
    for (path, bytes) in corpus("t4_decode") {
        decode_every_way(&bytes);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let (true, [flags, _, _, stream @ ..]) = (name.starts_with("seed-"), bytes.as_slice()) {
            let coding = if flags & 1 == 0 { Coding::Mh } else { Coding::Mr { k: 4 } };
            let bit_order = if flags & 2 == 0 { BitOrder::MsbFirst } else { BitOrder::LsbFirst };
            let options = DecodeOptions::new(coding, bit_order, 1728, 3000);
            let (_, report) = fax_image::decode(stream, &options, Resolution::FINE, &limits()).expect(name);
            assert_eq!((report.rows, report.bad_rows), (48, 0), "{name}");
        }
    }
}

#[test]
fn mmr_corpus_decodes_and_seeds_are_clean() {
    for (path, bytes) in corpus("mmr_decode") {
        decode_every_way(&bytes);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let (true, [_, _, _, stream @ ..]) = (name.starts_with("seed-"), bytes.as_slice()) {
            let mut options = DecodeOptions::new(Coding::Mmr, BitOrder::MsbFirst, 1728, 3000);
            options.rows = Some(48);
            let (_, report) = fax_image::decode(stream, &options, Resolution::FINE, &limits()).expect(name);
            assert_eq!(report.bad_rows, 0, "{name}");
        }
    }
}

#[test]
fn tiff_corpus_reads_and_seeds_are_clean() {
    for (path, bytes) in corpus("tiff_read") {
        let _ = fax_image::tiff::read_info(&bytes, &limits());
        let result = fax_image::tiff::read(&bytes, &limits());
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with("seed-") {
            let pages = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(pages.len(), 2, "{name}");
            assert!(pages.iter().all(|p| p.report.bad_rows == 0), "{name}");
        }
    }
}
