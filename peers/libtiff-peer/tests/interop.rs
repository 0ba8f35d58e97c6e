//! fax-image against libtiff, both ways, on the eight ITU-T charts.
//!
//! These tests use libtiff's own command-line tools (`tiffinfo`, `tiffcp`,
//! `fax2tiff`) as well as the library through FFI, because the tools are what people
//! will point at our files. A missing tool fails the test: `cargo xtask test`
//! installs them, and a skipped interop suite would prove nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use fax_image::{BitOrder, Coding, EncodeOptions, Limits, Page, tiff};
use libtiff_peer::{Compression, FillOrder};

fn charts() -> Vec<Page> {
    fixtures::itu_charts().to_vec()
}

/// Runs a libtiff tool and returns its standard error, failing on a bad exit.
fn tool(program: &str, args: &[&Path], flags: &[&str]) -> String {
    let output = Command::new(program)
        .args(flags)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is required (Debian libtiff-tools): {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{program} {flags:?} failed: {stderr}");
    stderr
}

fn read_ours(path: &Path) -> Vec<Page> {
    let bytes = std::fs::read(path).expect("read back");
    tiff::read(&bytes, &Limits::default()).expect("fax-image reads it").into_iter().map(|p| p.page).collect()
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("temp dir"))
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// Every layout fax-image writes, as (label, options).
fn our_layouts() -> Vec<(String, tiff::WriteOptions)> {
    let mut layouts = Vec::new();
    let mut compressions = vec![tiff::Compression::Uncompressed, tiff::Compression::Mmr];
    for byte_aligned_eol in [false, true] {
        compressions.push(tiff::Compression::Mh { byte_aligned_eol });
        compressions.push(tiff::Compression::Mr { k: 2, byte_aligned_eol });
        compressions.push(tiff::Compression::Mr { k: 4, byte_aligned_eol });
    }
    for compression in compressions {
        for fill_order in [BitOrder::MsbFirst, BitOrder::LsbFirst] {
            for byte_order in [tiff::ByteOrder::LittleEndian, tiff::ByteOrder::BigEndian] {
                let options = tiff::WriteOptions {
                    compression,
                    fill_order,
                    byte_order,
                    software: Some("Ferrofax interop test".to_owned()),
                };
                layouts.push((format!("{compression:?} {fill_order:?} {byte_order:?}"), options));
            }
        }
    }
    layouts
}

#[test]
fn libtiff_reads_what_we_write_without_warnings() {
    let pages = charts();
    let dir = Dir::new();
    for (label, options) in our_layouts() {
        let ours = dir.path("ours.tif");
        std::fs::write(&ours, tiff::write(&pages, &options).expect("write")).expect("save");

        // tiffinfo -D decodes every strip and reports any coding error or tag problem.
        let info = tool("tiffinfo", &[&ours], &["-D"]);
        assert!(info.trim().is_empty(), "{label}: tiffinfo complained: {info}");

        // tiffcp -c none decodes with libtiff's codec; we read its plain output.
        let plain = dir.path("plain.tif");
        let copy = tool("tiffcp", &[&ours, &plain], &["-c", "none"]);
        assert!(copy.trim().is_empty(), "{label}: tiffcp complained: {copy}");
        assert_eq!(read_ours(&plain), pages, "{label}: pixels differ after libtiff decoding");

        // And through the library, which also checks resolution and page order.
        let via_ffi = libtiff_peer::read_tiff(&std::fs::read(&ours).expect("read")).expect("libtiff");
        assert_eq!(via_ffi, pages, "{label}: libtiff FFI read differs");
    }
}

#[test]
fn we_read_what_tiffcp_writes() {
    let pages = charts();
    let dir = Dir::new();
    let plain = dir.path("plain.tif");
    let bytes = libtiff_peer::write_tiff(&pages, Compression::None, FillOrder::MsbFirst).expect("libtiff");
    std::fs::write(&plain, bytes).expect("save");
    for scheme in ["g3", "g3:1d", "g3:2d", "g3:fill", "g3:2d:fill", "g4"] {
        for fill in ["msb2lsb", "lsb2msb"] {
            let coded = dir.path("coded.tif");
            tool("tiffcp", &[&plain, &coded], &["-c", scheme, "-f", fill]);
            assert_eq!(read_ours(&coded), pages, "tiffcp -c {scheme} -f {fill}");
        }
    }
}

#[test]
fn we_read_what_the_library_writes() {
    let pages = charts();
    for compression in [
        Compression::None,
        Compression::G3 { two_d: false, byte_align: false },
        Compression::G3 { two_d: true, byte_align: false },
        Compression::G3 { two_d: true, byte_align: true },
        Compression::G4,
    ] {
        for fill in [FillOrder::MsbFirst, FillOrder::LsbFirst] {
            let bytes = libtiff_peer::write_tiff(&pages, compression, fill).expect("libtiff writes");
            let ours: Vec<Page> = tiff::read(&bytes, &Limits::default())
                .expect("fax-image reads libtiff's file")
                .into_iter()
                .map(|p| p.page)
                .collect();
            assert_eq!(ours, pages, "{compression:?} {fill:?}");
        }
    }
}

#[test]
fn our_mmr_is_no_larger_than_libtiffs() {
    for (index, page) in charts().into_iter().enumerate() {
        let ours = fax_image::encode(&page, &EncodeOptions::tiff_g4()).expect("encode");
        let file =
            libtiff_peer::write_tiff(std::slice::from_ref(&page), Compression::G4, FillOrder::MsbFirst)
                .expect("libtiff");
        let theirs: u64 = libtiff_peer::raw_strip_sizes(&file).expect("strip sizes").iter().sum();
        assert!(
            ours.len() as u64 <= theirs,
            "chart {}: ours {} bytes, libtiff {theirs}",
            index + 1,
            ours.len()
        );
        // T.6 fixes the choice of mode at every step, so the codes are the same; libtiff
        // adds an EOFB (24 bits) that TIFF does not need, and both pad the last byte.
        assert!(
            ours.len() as u64 + 4 >= theirs,
            "chart {}: ours {} bytes is suspiciously smaller than libtiff's {theirs}",
            index + 1,
            ours.len()
        );
    }
}

/// The T.4 line form (LSB-first, EOL per row, fill, RTC) is what a fax modem hands
/// over; `fax2tiff` is libtiff's reader for exactly that.
#[test]
fn fax2tiff_reads_our_line_streams() {
    let pages = charts();
    let dir = Dir::new();
    for (coding, flag) in [(Coding::Mh, "-1"), (Coding::Mr { k: 4 }, "-2")] {
        for page in pages.iter().take(3) {
            // 9600 bit/s with a 10 ms minimum scan line time: 96 bits per row.
            let stream = fax_image::encode(page, &EncodeOptions::t4_line(coding, 96)).expect("encode");
            let raw = dir.path("page.g3");
            std::fs::write(&raw, &stream).expect("save");
            let out = dir.path("page.tif");
            let out_flag = format!("-o{}", out.display());
            let stderr = tool("fax2tiff", &[&raw], &[flag, "-L", "-u", "-R", "196", &out_flag]);
            assert!(!stderr.contains("bad"), "{coding:?}: fax2tiff found bad lines: {stderr}");
            let back = read_ours(&out);
            assert_eq!(back.len(), 1);
            // fax2tiff reads until the data ends and turns each EOL of the RTC after
            // the first into an empty (white) row of its own; those rows are the
            // tool's, not part of the page, so the page is the first `height` rows.
            let got = &back[0];
            assert_eq!(got.width(), page.width());
            let extra = got.height() - page.height();
            assert!(extra <= 5, "{coding:?}: {extra} rows beyond the page");
            let (head, tail) = got.data().split_at(page.data().len());
            assert_eq!(head, page.data(), "{coding:?}: fax2tiff decoded different pixels");
            assert!(tail.iter().all(|&b| b == 0), "{coding:?}: rows after the page are not white");
        }
    }
}
