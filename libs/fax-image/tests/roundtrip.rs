//! Every coding and framing must give back exactly the pixels it was given: the eight
//! ITU-T test charts, and random pages of awkward widths and densities.

use fax_image::{
    BitOrder, Coding, DecodeOptions, DecodeReport, EncodeOptions, Limits, Page, Resolution, StreamEnd,
    decode, encode,
};

const CHARTS: &str = "/work/shared/testdata/itu";

/// Reads a binary PBM (P4) file. The crate's own PBM module is somebody else's; this
/// is just enough for the charts.
fn load_pbm(path: &str) -> Page {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 3 {
        while data[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if data[pos] == b'#' {
            while data[pos] != b'\n' {
                pos += 1;
            }
            continue;
        }
        let start = pos;
        while !data[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(std::str::from_utf8(&data[start..pos]).unwrap().to_string());
    }
    assert_eq!(fields[0], "P4");
    let width: u32 = fields[1].parse().unwrap();
    let height: u32 = fields[2].parse().unwrap();
    let pixels = data[pos + 1..].to_vec();
    Page::from_packed(width, height, Resolution::FINE, pixels, &Limits::default()).unwrap()
}

fn charts() -> Vec<(String, Page)> {
    (1..=8)
        .map(|n| {
            let name = format!("itu{n}");
            let page = load_pbm(&format!("{CHARTS}/{name}.pbm"));
            (name, page)
        })
        .collect()
}

/// The framings every coding is checked in: TIFF without and with byte-aligned EOLs
/// (or plain TIFF G4 for MMR), and the fax line with a minimum row length.
fn framings(coding: Coding) -> Vec<(&'static str, EncodeOptions)> {
    match coding {
        Coding::Mmr => vec![("tiff", EncodeOptions::tiff_g4()), ("line", EncodeOptions::t4_line(coding, 96))],
        _ => vec![
            ("tiff", EncodeOptions::tiff_g3(coding, false)),
            ("tiff-aligned", EncodeOptions::tiff_g3(coding, true)),
            ("line", EncodeOptions::t4_line(coding, 96)),
        ],
    }
}

/// What the decoder should report when decoding until the stream ends by itself.
fn natural_end(options: &EncodeOptions) -> StreamEnd {
    match options.coding {
        Coding::Mmr if options.eofb => StreamEnd::Eofb,
        Coding::Mh | Coding::Mr { .. } if options.rtc => StreamEnd::Rtc,
        _ => StreamEnd::EndOfData,
    }
}

/// Encodes `page`, decodes it with and without a known row count, and checks the
/// pixels and the report.
fn round_trip(page: &Page, options: &EncodeOptions, what: &str) -> usize {
    let data = encode(page, options).unwrap_or_else(|e| panic!("{what}: encode: {e}"));
    let limits = Limits::default();
    let mut decode_options = DecodeOptions::new(options.coding, options.bit_order, page.width(), 100_000);
    let (back, report) = decode(&data, &decode_options, page.resolution(), &limits)
        .unwrap_or_else(|e| panic!("{what}: decode: {e}"));
    assert!(back == *page, "{what}: pixels differ");
    let expected = DecodeReport {
        rows: page.height(),
        bad_rows: 0,
        max_consecutive_bad_rows: 0,
        end: natural_end(options),
    };
    assert_eq!(report, expected, "{what}");

    decode_options.rows = Some(page.height());
    let (back, report) = decode(&data, &decode_options, page.resolution(), &limits)
        .unwrap_or_else(|e| panic!("{what}: decode with row count: {e}"));
    assert!(back == *page, "{what}: pixels differ with row count");
    assert_eq!(report, DecodeReport { end: StreamEnd::RowCount, ..expected }, "{what}");
    data.len()
}

#[test]
fn itu_charts_round_trip_in_every_coding_and_framing() {
    for (name, page) in charts() {
        for coding in [Coding::Mh, Coding::Mr { k: 2 }, Coding::Mr { k: 4 }, Coding::Mmr] {
            for (framing, options) in framings(coding) {
                round_trip(&page, &options, &format!("{name} {} {coding:?} {framing}", coding.name()));
            }
        }
    }
}

#[test]
fn itu_charts_compress_as_expected() {
    // MMR must beat MR, which must beat MH, on every chart; and MMR sizes are those
    // of optimal coding (libtiff writes the same bytes).
    let expected_mmr = [18100, 10800, 28703, 69272, 32219, 16648, 69279, 19096];
    for ((name, page), expected) in charts().into_iter().zip(expected_mmr) {
        let mh = encode(&page, &EncodeOptions::tiff_g3(Coding::Mh, false)).unwrap().len();
        let mr = encode(&page, &EncodeOptions::tiff_g3(Coding::Mr { k: 4 }, false)).unwrap().len();
        let mmr = encode(&page, &EncodeOptions::tiff_g4()).unwrap().len();
        assert!(mmr < mr && mr < mh, "{name}: MH {mh}, MR {mr}, MMR {mmr}");
        assert_eq!(mmr, expected, "{name}");
    }
}

#[test]
fn line_framing_respects_minimum_row_length() {
    // With a minimum of 96 bits, every EOL after the first starts at least 96 bits
    // after the previous one: check by locating the EOLs in the bit stream.
    let (_, page) = charts().swap_remove(0);
    for coding in [Coding::Mh, Coding::Mr { k: 4 }] {
        let mut options = EncodeOptions::t4_line(coding, 96);
        options.bit_order = BitOrder::MsbFirst;
        let data = encode(&page, &options).unwrap();
        let bits: Vec<bool> = data.iter().flat_map(|b| (0..8).map(move |i| b & (0x80 >> i) != 0)).collect();
        let mut zeros = 0;
        let mut eol_starts = Vec::new();
        for (i, &bit) in bits.iter().enumerate() {
            if bit {
                if zeros >= 11 {
                    eol_starts.push(i - 11);
                }
                zeros = 0;
            } else {
                zeros += 1;
            }
        }
        // One EOL per row, then six for RTC.
        assert_eq!(eol_starts.len(), page.height() as usize + 6);
        for pair in eol_starts[..page.height() as usize + 1].windows(2) {
            assert!(pair[1] - pair[0] >= 96, "{coding:?}: rows of {} bits", pair[1] - pair[0]);
        }
    }
}

/// A small deterministic generator (xorshift64*), so the random pages are the same
/// on every run without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random page: rows are made of runs with lengths drawn around `mean_run`, and
/// each row is either new or a slight variation of the one above, so that all two-
/// dimensional modes occur.
fn random_page(rng: &mut Rng, width: u32, height: u32, mean_run: u64) -> Page {
    let mut page = Page::new(width, height, Resolution::STANDARD, &Limits::default()).unwrap();
    let mut previous: Vec<bool> = vec![false; width as usize];
    for y in 0..height {
        let mut row = vec![false; width as usize];
        match rng.below(4) {
            0 => {
                let mut x = 0usize;
                let mut black = rng.below(2) == 0;
                while x < width as usize {
                    let run = 1 + rng.below(2 * mean_run) as usize;
                    for pixel in row.iter_mut().skip(x).take(run) {
                        *pixel = black;
                    }
                    x += run;
                    black = !black;
                }
            }
            1 => {
                // Shift the row above by up to four pixels either way.
                let shift = rng.below(9) as i64 - 4;
                for (x, pixel) in row.iter_mut().enumerate() {
                    let from = x as i64 - shift;
                    *pixel = from >= 0 && (from as usize) < previous.len() && previous[from as usize];
                }
            }
            2 => {
                // Flip a few pixels of the row above.
                row.clone_from(&previous);
                for _ in 0..rng.below(6) {
                    let x = rng.below(u64::from(width)) as usize;
                    row[x] = !row[x];
                }
            }
            _ => {
                // All white or all black now and then, for runs of the full width.
                let black = rng.below(2) == 0;
                row.fill(black);
            }
        }
        for (x, &black) in row.iter().enumerate() {
            if black {
                page.set_pixel(x as u32, y, true);
            }
        }
        previous = row;
    }
    page
}

#[test]
fn random_pages_round_trip() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut widths: Vec<u32> =
        vec![1, 2, 7, 8, 9, 63, 64, 65, 1727, 1728, 1729, 2432, 2560, 2623, 2624, 4864, 5200, 8192];
    for _ in 0..30 {
        widths.push(1 + rng.below(3000) as u32);
    }
    for (case, &width) in widths.iter().enumerate() {
        let height = 1 + rng.below(24) as u32;
        let mean_run = [1u64, 3, 12, 60, 400, 3000][case % 6];
        let page = random_page(&mut rng, width, height, mean_run);
        for coding in [Coding::Mh, Coding::Mr { k: 1 }, Coding::Mr { k: 3 }, Coding::Mmr] {
            for (framing, mut options) in framings(coding) {
                for order in [BitOrder::MsbFirst, BitOrder::LsbFirst] {
                    options.bit_order = order;
                    let what =
                        format!("case {case} width {width} height {height} {coding:?} {framing} {order:?}");
                    round_trip(&page, &options, &what);
                }
            }
        }
    }
}

#[test]
fn every_framing_option_combination_round_trips() {
    let mut rng = Rng(42);
    let page = random_page(&mut rng, 300, 12, 7);
    for coding in [Coding::Mh, Coding::Mr { k: 2 }, Coding::Mmr] {
        for flags in 0..32u32 {
            let options = EncodeOptions {
                coding,
                bit_order: if flags & 1 == 0 { BitOrder::MsbFirst } else { BitOrder::LsbFirst },
                eol: flags & 2 != 0,
                byte_align_eol: flags & 4 != 0,
                min_row_bits: if flags & 8 != 0 { 200 } else { 0 },
                rtc: flags & 16 != 0,
                eofb: flags & 16 != 0,
            };
            round_trip(&page, &options, &format!("{coding:?} flags {flags:05b}"));
        }
    }
}
