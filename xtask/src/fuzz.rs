//! `cargo xtask fuzz`: run the cargo-fuzz targets and regenerate their seed corpora.
//!
//! Seeds are small, valid inputs made by our own encoders from the ITU-T charts, so
//! that the fuzzer starts from deep inside each parser instead of guessing its way
//! past the first header. They are committed as `fuzz/corpus/<target>/seed-*`; what
//! the fuzzer finds beyond them stays local (see `.gitignore`), except crashes, which
//! become regression seeds once fixed.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use fax_image::tiff::{self, ByteOrder, Compression, WriteOptions};
use fax_image::{BitOrder, Coding, EncodeOptions, Limits, Page, Resolution};
use fax_t30::{Dcs, Dis, Fcf, Frame, Ident, PostMessage, Rate};
use fax_t38::{
    DataType, Field, FieldType, IfpPacket, Indicator, SenderConfig, TxRecovery, UdptlSender, Version,
};

/// Every fuzz target, as named in `fuzz/Cargo.toml`.
pub(crate) const TARGETS: &[&str] = &[
    "t4_decode",
    "mmr_decode",
    "tiff_read",
    "t30_frame",
    "ifp_decode",
    "udptl_decode",
    "udptl_receiver",
    "document_open",
];

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("seeds") => seeds(root),
        Some("run") => {
            let seconds = args
                .iter()
                .position(|a| a == "--seconds")
                .and_then(|i| args.get(i + 1))
                .map(|s| s.parse::<u64>())
                .transpose()
                .context("--seconds takes a number")?
                .unwrap_or(60);
            let named: Vec<&str> =
                args[1..].iter().map(String::as_str).filter(|a| TARGETS.contains(a)).collect();
            let targets = if named.is_empty() { TARGETS.to_vec() } else { named };
            for target in targets {
                fuzz_target(root, target, seconds)?;
            }
            Ok(())
        }
        _ => bail!("usage: cargo xtask fuzz seeds | cargo xtask fuzz run [TARGET…] [--seconds N]"),
    }
}

fn fuzz_target(root: &Path, target: &str, seconds: u64) -> Result<()> {
    let corpus = root.join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    // cargo-fuzz needs nightly-only flags; the stable toolchain accepts them with
    // RUSTC_BOOTSTRAP, which is the documented way to fuzz on stable.
    crate::run(
        Command::new("cargo")
            .current_dir(root.join("fuzz"))
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", target])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048"),
    )
}

fn seeds(root: &Path) -> Result<()> {
    let chart = |n: u32| -> Result<Page> {
        let path = root.join(format!("../shared/testdata/itu/itu{n}.pbm"));
        let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
        Ok(fax_image::pbm::read(&bytes, Resolution::FINE, &Limits::default())?.remove(0))
    };
    // A band of rows from two charts: enough structure to exercise every code,
    // small enough for the fuzzer to mutate quickly.
    let bands = [crop(&chart(1)?, 500, 48)?, crop(&chart(4)?, 900, 48)?];
    let width = 1728u16.to_le_bytes();

    let t4 = root.join("fuzz/corpus/t4_decode");
    let mmr = root.join("fuzz/corpus/mmr_decode");
    let tif = root.join("fuzz/corpus/tiff_read");
    for dir in [&t4, &mmr, &tif] {
        std::fs::create_dir_all(dir)?;
    }
    for (b, band) in bands.iter().enumerate() {
        for (name, coding, flag) in [("mh", Coding::Mh, 0u8), ("mr", Coding::Mr { k: 4 }, 1)] {
            for (order, bit_order, order_flag) in
                [("msb", BitOrder::MsbFirst, 0u8), ("lsb", BitOrder::LsbFirst, 2)]
            {
                let mut options = EncodeOptions::t4_line(coding, 96);
                options.bit_order = bit_order;
                let mut seed = vec![flag | order_flag, width[0], width[1]];
                seed.extend(fax_image::encode(band, &options)?);
                std::fs::write(t4.join(format!("seed-{name}-{order}-{b}")), seed)?;
            }
        }
        let mut seed = vec![0, width[0], width[1]];
        seed.extend(fax_image::encode(band, &EncodeOptions::tiff_g4())?);
        std::fs::write(mmr.join(format!("seed-mmr-{b}")), seed)?;
    }
    for (name, compression) in [
        ("none", Compression::Uncompressed),
        ("mh", Compression::Mh { byte_aligned_eol: true }),
        ("mr", Compression::Mr { k: 4, byte_aligned_eol: false }),
        ("mmr", Compression::Mmr),
    ] {
        for (order, byte_order) in [("le", ByteOrder::LittleEndian), ("be", ByteOrder::BigEndian)] {
            let options =
                WriteOptions { compression, fill_order: BitOrder::MsbFirst, byte_order, software: None };
            let bytes = tiff::write(&bands, &options)?;
            std::fs::write(tif.join(format!("seed-{name}-{order}")), bytes)?;
        }
    }
    t38_seeds(root)?;
    t30_seeds(root)?;
    document_seeds(root)?;
    eprintln!("xtask: seeds written under fuzz/corpus/");
    Ok(())
}

/// The packets of a short T.38 exchange: tones, a V.21 frame, image data.
fn t38_packets() -> Vec<IfpPacket> {
    vec![
        IfpPacket::Indicator(Indicator::Cng),
        IfpPacket::Indicator(Indicator::V21Preamble),
        IfpPacket::Data {
            data_type: DataType::V21,
            fields: vec![
                Field::new(FieldType::HdlcData, [0xff, 0x13, 0x80, 0x00, 0xee, 0xf8, 0x80]),
                Field::bare(FieldType::HdlcFcsOkSigEnd),
            ],
        },
        IfpPacket::Indicator(Indicator::V17_14400LongTraining),
        IfpPacket::Data {
            data_type: DataType::V17_14400,
            fields: vec![Field::new(FieldType::T4NonEcmData, vec![0x55; 40])],
        },
        IfpPacket::Data {
            data_type: DataType::V17_14400,
            fields: vec![Field::bare(FieldType::T4NonEcmSigEnd)],
        },
        IfpPacket::Indicator(Indicator::NoSignal),
    ]
}

fn t38_seeds(root: &Path) -> Result<()> {
    let ifp = root.join("fuzz/corpus/ifp_decode");
    let udptl = root.join("fuzz/corpus/udptl_decode");
    let receiver = root.join("fuzz/corpus/udptl_receiver");
    for dir in [&ifp, &udptl, &receiver] {
        std::fs::create_dir_all(dir)?;
    }
    let packets = t38_packets();
    for (v, version) in [(0u8, Version::V0), (2, Version::V2)] {
        for (i, packet) in packets.iter().enumerate() {
            let mut seed = vec![v];
            seed.extend(packet.encode(version)?);
            std::fs::write(ifp.join(format!("seed-v{v}-{i}")), seed)?;
        }
    }
    for (name, recovery) in [
        ("redundancy", TxRecovery::Redundancy { depth: 3 }),
        ("fec", TxRecovery::Fec { span: 3, entries: 2 }),
    ] {
        let mut sender = UdptlSender::new(SenderConfig { recovery, ..SenderConfig::new(Version::V2) })?;
        // The receiver seed: every datagram, separated by the target's marker.
        let mut stream = vec![2u8];
        for (i, packet) in packets.iter().enumerate() {
            let datagram = sender.send(packet)?;
            std::fs::write(udptl.join(format!("seed-{name}-{i}")), &datagram)?;
            if i > 0 {
                stream.extend([0xff, 0xfe, 0xfd]);
            }
            stream.extend(datagram);
        }
        std::fs::write(receiver.join(format!("seed-{name}")), stream)?;
    }
    Ok(())
}

fn t30_seeds(root: &Path) -> Result<()> {
    let dir = root.join("fuzz/corpus/t30_frame");
    std::fs::create_dir_all(&dir)?;
    let dis = Dis::parse(&[0x00, 0xee, 0xf8, 0x80, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18])?;
    let frames = [
        ("dis", Frame::with_fif(Fcf::Dis, false, dis.encode())),
        ("dcs", Frame::with_fif(Fcf::Dcs, true, Dcs::new(Rate::V17_14400).encode())),
        ("tsi", Frame::with_fif(Fcf::Tsi, true, Ident::new("+49 30 1234567")?.encode()).not_final()),
        ("mcf", Frame::new(Fcf::Mcf, false)),
        ("pps", Frame::with_fif(Fcf::Pps(PostMessage::Mps), true, vec![0, 0, 0xff])),
        ("ppr", Frame::with_fif(Fcf::Ppr, false, vec![0x0f; 32])),
        ("fcd", Frame::with_fif(Fcf::Fcd, true, [vec![7], vec![0xaa; 256]].concat())),
        ("dcn", Frame::new(Fcf::Dcn, true)),
    ];
    for (name, frame) in frames {
        std::fs::write(dir.join(format!("seed-{name}")), frame.encode())?;
    }
    Ok(())
}

/// The render crate's golden corpus (PDFs, photos, a fax TIFF; not the Office files),
/// each small enough for the `document_open` target's 1 MiB input limit.
fn document_seeds(root: &Path) -> Result<()> {
    let dir = root.join("fuzz/corpus/document_open");
    std::fs::create_dir_all(&dir)?;
    let corpus = root.join("crates/render/tests/corpus");
    let mut entries: Vec<_> = std::fs::read_dir(&corpus)
        .with_context(|| format!("{}", corpus.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        // Office documents would only meet the target's "no LibreOffice" setting.
        let renderable =
            path.extension().is_some_and(|e| ["pdf", "png", "jpg", "tif"].iter().any(|x| e == *x));
        if renderable && path.is_file() && entry.metadata()?.len() <= 1 << 20 {
            let name = entry.file_name().to_string_lossy().replace('.', "-");
            std::fs::copy(&path, dir.join(format!("seed-{name}")))?;
        }
    }
    Ok(())
}

/// `rows` rows of `page` starting at `top`.
fn crop(page: &Page, top: u32, rows: u32) -> Result<Page> {
    let stride = page.stride();
    let start = top as usize * stride;
    let data =
        page.data().get(start..start + rows as usize * stride).context("crop outside the page")?.to_vec();
    Ok(Page::from_packed(page.width(), rows, page.resolution(), data, &Limits::default())?)
}
