//! Codec benchmark: fax-image against libtiff on the eight ITU-T test charts.
//!
//! Both sides code the same 1728×2376 fine pages in the same process: libtiff writes
//! and reads a multi-page TIFF in memory (its container work is a few hundred bytes
//! per page, noise next to the codec), and fax-image does the same with its own TIFF
//! writer and reader. Each figure is the median of several timed rounds after a
//! warm-up; the ratio is ours ÷ libtiff in pages per second, so above 1 means faster.
//! Before timing, every output is decoded by the other side's decoder and compared
//! with the original pixels, so a fast but wrong codec cannot report a figure.
//!
//! Run with `cargo xtask bench codec` (`--quick` for one short round).

use std::hint::black_box;
use std::time::{Duration, Instant};

use fax_image::{Coding, Limits, Page, tiff};
use libtiff_peer::{Compression, FillOrder};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = if quick { Duration::from_millis(150) } else { Duration::from_secs(2) };
    let pages = load_charts();
    let count = pages.len() as f64;

    println!("fax-image vs libtiff {}: {} ITU-T charts, 1728×2376 fine", libtiff_version(), pages.len());
    println!(
        "{:<6} {:<7} {:>12} {:>12} {:>7} {:>12} {:>12}",
        "coding", "op", "ours p/s", "libtiff p/s", "ratio", "ours bytes", "libtiff bytes"
    );
    for (coding, ours_compression, compression) in [
        (
            Coding::Mh,
            tiff::Compression::Mh { byte_aligned_eol: false },
            Compression::G3 { two_d: false, byte_align: false },
        ),
        (
            Coding::Mr { k: 4 },
            tiff::Compression::Mr { k: 4, byte_aligned_eol: false },
            Compression::G3 { two_d: true, byte_align: false },
        ),
        (Coding::Mmr, tiff::Compression::Mmr, Compression::G4),
    ] {
        let options = tiff::WriteOptions { compression: ours_compression, ..tiff::WriteOptions::default() };
        let ours = tiff::write(&pages, &options).expect("fax-image writes the charts");
        let theirs = libtiff_peer::write_tiff(&pages, compression, FillOrder::MsbFirst)
            .expect("libtiff writes the charts");
        // Cross-check before timing: each side reads the other's file exactly.
        assert_eq!(libtiff_peer::read_tiff(&ours).expect("libtiff reads ours"), pages, "{coding:?}");
        assert_eq!(read_ours(&theirs), pages, "{coding:?}");

        let ours_encode = measure(budget, || black_box(tiff::write(&pages, &options).expect("write")).len());
        let theirs_encode = measure(budget, || {
            black_box(libtiff_peer::write_tiff(&pages, compression, FillOrder::MsbFirst).expect("write"))
                .len()
        });
        let ours_decode = measure(budget, || black_box(read_ours(&ours)).len());
        let theirs_decode =
            measure(budget, || black_box(libtiff_peer::read_tiff(&theirs).expect("read")).len());

        for (op, ours_time, theirs_time) in
            [("encode", ours_encode, theirs_encode), ("decode", ours_decode, theirs_decode)]
        {
            let ours_rate = count / ours_time.as_secs_f64();
            let theirs_rate = count / theirs_time.as_secs_f64();
            println!(
                "{:<6} {:<7} {:>12.0} {:>12.0} {:>6.2}× {:>12} {:>12}",
                coding.name(),
                op,
                ours_rate,
                theirs_rate,
                ours_rate / theirs_rate,
                ours.len(),
                theirs.len()
            );
        }
    }
}

fn read_ours(data: &[u8]) -> Vec<Page> {
    tiff::read(data, &Limits::default())
        .expect("fax-image reads the file")
        .into_iter()
        .map(|p| p.page)
        .collect()
}

/// Median duration of one call, over rounds filling `budget` (at least three).
fn measure(budget: Duration, mut f: impl FnMut() -> usize) -> Duration {
    black_box(f()); // warm-up: tables, allocator, caches
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || start.elapsed() < budget {
        let t = Instant::now();
        black_box(f());
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn load_charts() -> Vec<Page> {
    fixtures::itu_charts().to_vec()
}

fn libtiff_version() -> String {
    std::process::Command::new("pkg-config")
        .args(["--modversion", "libtiff-4"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
