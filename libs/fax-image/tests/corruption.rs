//! Damaged coded data: the T.4 decoder must resynchronise on the next EOL and count
//! bad rows exactly; the MMR decoder must fail cleanly; nothing may panic.

use fax_image::{
    BitOrder, Coding, DecodeOptions, DecodeReport, EncodeOptions, Error, Limits, Page, Resolution, StreamEnd,
    decode, encode,
};

const CHARTS: &str = "/work/shared/testdata/itu";

/// Reads one of the binary PBM (P4) charts, whose header is exactly
/// `P4\n1728 2376\n`.
fn chart(n: u32) -> Page {
    let path = format!("{CHARTS}/itu{n}.pbm");
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let header = b"P4\n1728 2376\n";
    assert!(data.starts_with(header), "{path}: unexpected header");
    Page::from_packed(1728, 2376, Resolution::FINE, data[header.len()..].to_vec(), &Limits::default())
        .unwrap()
}

/// The bits of a coded stream in transmission order.
fn to_bits(data: &[u8], order: BitOrder) -> Vec<bool> {
    data.iter()
        .flat_map(|&byte| {
            (0..8).map(move |i| match order {
                BitOrder::MsbFirst => byte & (0x80 >> i) != 0,
                BitOrder::LsbFirst => byte & (1 << i) != 0,
            })
        })
        .collect()
}

fn from_bits(bits: &[bool], order: BitOrder) -> Vec<u8> {
    bits.chunks(8)
        .map(|chunk| {
            chunk.iter().enumerate().fold(0u8, |byte, (i, &bit)| {
                let mask = match order {
                    BitOrder::MsbFirst => 0x80 >> i,
                    BitOrder::LsbFirst => 1 << i,
                };
                if bit { byte | mask } else { byte }
            })
        })
        .collect()
}

/// Index of the final one bit of every EOL (eleven or more zeros, then a one). No
/// valid T.4 row contains eleven zeros in a row, so these are exactly the EOLs.
fn eol_ends(bits: &[bool]) -> Vec<usize> {
    let mut zeros = 0;
    let mut ends = Vec::new();
    for (i, &bit) in bits.iter().enumerate() {
        if bit {
            if zeros >= 11 {
                ends.push(i);
            }
            zeros = 0;
        } else {
            zeros += 1;
        }
    }
    ends
}

fn options(coding: Coding, order: BitOrder, page: &Page) -> DecodeOptions {
    DecodeOptions::new(coding, order, page.width(), 10_000)
}

fn dec(data: &[u8], options: &DecodeOptions) -> Result<(Page, DecodeReport), Error> {
    decode(data, options, Resolution::FINE, &Limits::default())
}

fn longest_run(sorted: &[u32]) -> u32 {
    let mut best = 0;
    let mut run = 0;
    let mut last = None;
    for &row in sorted {
        run = if last.is_some_and(|l| l + 1 == row) { run + 1 } else { 1 };
        best = best.max(run);
        last = Some(row);
    }
    best
}

/// Replaces the codes of the given rows by a pattern no row can start with (eight
/// zeros and a one: not an EOL, and not a code of either table), then checks that
/// exactly the expected rows come out bad, as copies of the last good row above.
fn check_exact_bad_rows(page: &Page, coding: Coding, corrupt: &[u32]) {
    let k = match coding {
        Coding::Mr { k } => k,
        _ => 1,
    };
    let tag_bits = usize::from(matches!(coding, Coding::Mr { .. }));
    let data = encode(page, &EncodeOptions::tiff_g3(coding, false)).unwrap();
    let bits = to_bits(&data, BitOrder::MsbFirst);
    let eols = eol_ends(&bits);
    let height = page.height();
    assert_eq!(eols.len(), height as usize);
    let mut damaged = Vec::new();
    let mut row = 0usize;
    for r in 0..height as usize {
        let start = eols[r] + 1 + tag_bits;
        let end = if r + 1 < height as usize { eols[r + 1] - 11 } else { bits.len() };
        damaged.extend_from_slice(&bits[row..start]);
        if corrupt.contains(&(r as u32)) {
            damaged.extend_from_slice(&[false, false, false, false, false, false, false, false, true]);
        } else {
            damaged.extend_from_slice(&bits[start..end]);
        }
        row = end;
    }
    // A corrupt row spoils the two-dimensional rows after it, up to the next
    // one-dimensional row.
    let mut bad: Vec<u32> = Vec::new();
    for &r in corrupt {
        let mut y = r;
        loop {
            bad.push(y);
            y += 1;
            if y >= height || y.is_multiple_of(k) {
                break;
            }
        }
    }
    bad.sort_unstable();
    bad.dedup();

    let mut expected = page.clone();
    for y in 0..height {
        if bad.contains(&y) {
            let above = if y == 0 { vec![0; page.stride()] } else { expected.row(y - 1).to_vec() };
            expected.row_mut(y).copy_from_slice(&above);
        }
    }
    let mut opts = options(coding, BitOrder::MsbFirst, page);
    opts.rows = Some(height);
    let (decoded, report) = dec(&from_bits(&damaged, BitOrder::MsbFirst), &opts).unwrap();
    let what = format!("{coding:?} corrupt {corrupt:?}");
    assert_eq!(
        report,
        DecodeReport {
            rows: height,
            bad_rows: bad.len() as u32,
            max_consecutive_bad_rows: longest_run(&bad),
            end: StreamEnd::RowCount
        },
        "{what}"
    );
    for y in 0..height {
        assert!(decoded.row(y) == expected.row(y), "{what}: row {y} differs");
    }
}

#[test]
fn bad_rows_are_counted_exactly() {
    let page = chart(1);
    let sets: [&[u32]; 6] =
        [&[0], &[5], &[10, 11, 12], &[100, 102, 2000], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 2300], &[2374]];
    for coding in [Coding::Mh, Coding::Mr { k: 4 }, Coding::Mr { k: 2 }] {
        for set in sets {
            check_exact_bad_rows(&page, coding, set);
        }
    }
    // Pseudo-random sets on another chart.
    let page = chart(4);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..4 {
        let mut set = Vec::new();
        for _ in 0..25 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            set.push((state % 2375) as u32);
        }
        set.sort_unstable();
        set.dedup();
        for coding in [Coding::Mh, Coding::Mr { k: 4 }] {
            check_exact_bad_rows(&page, coding, &set);
        }
    }
}

/// Flips single bits at many deterministic positions of an MH or MR line stream and
/// checks that the rows after the damage come out exactly as sent.
fn check_bit_flips(chart_number: u32, coding: Coding, flips: usize, seed: u64) {
    // Optimised builds can afford many more positions.
    let flips = if cfg!(debug_assertions) { flips } else { flips * 10 };
    let page = chart(chart_number);
    let height = page.height() as usize;
    let k = match coding {
        Coding::Mr { k } => k as usize,
        _ => 1,
    };
    let order = BitOrder::LsbFirst;
    let data = encode(&page, &EncodeOptions::t4_line(coding, 0)).unwrap();
    let bits = to_bits(&data, order);
    let eols = eol_ends(&bits);
    // One EOL per row, then RTC.
    assert_eq!(eols.len(), height + 6);
    let first = eols[0] - 11;
    let last = eols[height] - 11;
    let mut state = seed;
    for _ in 0..flips {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let position = first + (state as usize) % (last - first);
        let mut damaged = data.clone();
        damaged[position / 8] ^= match order {
            BitOrder::MsbFirst => 0x80 >> (position % 8),
            BitOrder::LsbFirst => 1 << (position % 8),
        };
        // The damaged row is the one whose EOL-plus-codes span holds the bit.
        let row = eols.partition_point(|&end| end - 11 <= position) - 1;
        let opts = options(coding, order, &page);
        let what = format!("chart {chart_number} {coding:?} bit {position} (row {row})");
        let (decoded, report) = match dec(&damaged, &opts) {
            Ok(result) => result,
            Err(e) => panic!("{what}: {e}"),
        };
        assert_eq!(decoded.height(), report.rows, "{what}");
        assert!(
            report.max_consecutive_bad_rows <= report.bad_rows && report.bad_rows <= report.rows,
            "{what}"
        );
        if report.end != StreamEnd::Rtc {
            panic!("{what}: ended with {:?}", report.end);
        }
        if (report.rows as usize) < height.saturating_sub(2) {
            // A row coded in a bit or two (a white row in MR is the single bit of V0)
            // can be wiped out into EOL zeros, and then its EOL and the next one read
            // as RTC. Nothing else may end the page early.
            let code_bits = eols[row + 1] - 11 - eols[row] - 1;
            assert!(code_bits <= 2 || bits[position], "{what}: page ended early");
            continue;
        }
        // Rows two past the damaged one, or for MR from the next one-dimensional
        // row, must match the original when aligned from the bottom (the damage may
        // have split or merged rows).
        let mut clean_from = row + 2;
        while !clean_from.is_multiple_of(k) {
            clean_from += 1;
        }
        let tail = height.saturating_sub(clean_from);
        for i in 0..tail {
            let original = (height - tail + i) as u32;
            let got = report.rows - tail as u32 + i as u32;
            assert!(
                decoded.row(got) == page.row(original),
                "{what}: row {original} (decoded as {got}) differs"
            );
        }
        // A single flipped bit spoils only a handful of rows in MH; in MR at most the
        // rest of its K group and the next.
        assert!(report.bad_rows as usize <= 2 + 2 * k, "{what}: {} bad rows", report.bad_rows);
    }
}

#[test]
fn mh_resynchronises_after_bit_flips() {
    check_bit_flips(1, Coding::Mh, 120, 1);
    check_bit_flips(4, Coding::Mh, 120, 2);
    check_bit_flips(7, Coding::Mh, 80, 3);
}

#[test]
fn mr_resynchronises_after_bit_flips() {
    check_bit_flips(2, Coding::Mr { k: 4 }, 120, 4);
    check_bit_flips(5, Coding::Mr { k: 2 }, 120, 5);
    check_bit_flips(8, Coding::Mr { k: 4 }, 80, 6);
}

#[test]
fn mmr_bit_flips_fail_cleanly() {
    for (n, seed) in [(1u32, 11u64), (3, 12), (6, 13)] {
        let page = chart(n);
        let data = encode(&page, &EncodeOptions::tiff_g4()).unwrap();
        let mut state = seed;
        for i in 0..100 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut damaged = data.clone();
            let byte = (state as usize) % damaged.len();
            damaged[byte] ^= 1 << ((state >> 40) % 8);
            let mut opts = options(Coding::Mmr, BitOrder::MsbFirst, &page);
            if i % 2 == 0 {
                opts.rows = Some(page.height());
            }
            match dec(&damaged, &opts) {
                Ok((decoded, report)) => {
                    assert_eq!(decoded.height(), report.rows);
                    assert_eq!(report.bad_rows, 0);
                    if let Some(rows) = opts.rows {
                        assert_eq!(report.rows, rows);
                    }
                }
                Err(Error::InvalidMmrCode { row, .. } | Error::TruncatedCodedData { row }) => {
                    assert!(row <= page.height());
                }
                Err(e) => panic!("chart {n}: unexpected error {e}"),
            }
        }
    }
}

#[test]
fn truncated_streams() {
    let page = chart(2);
    let height = page.height();
    for coding in [Coding::Mh, Coding::Mr { k: 4 }] {
        let data = encode(&page, &EncodeOptions::tiff_g3(coding, false)).unwrap();
        let bits = to_bits(&data, BitOrder::MsbFirst);
        let eols = eol_ends(&bits);
        for cut in (0..data.len()).step_by(data.len() / 37) {
            let mut opts = options(coding, BitOrder::MsbFirst, &page);
            opts.rows = Some(height);
            // Rows whose codes end before the cut decode; the one cut through is bad.
            let complete = eols.iter().skip(1).take_while(|&&end| end - 11 <= cut * 8).count();
            match dec(&data[..cut], &opts) {
                Ok((decoded, report)) => {
                    assert_eq!(report.rows, height);
                    assert_eq!(report.end, StreamEnd::EndOfData);
                    let missing = height - complete as u32;
                    assert!(
                        report.bad_rows == missing || report.bad_rows + 1 == missing,
                        "{coding:?} cut {cut}: {} bad, {missing} missing",
                        report.bad_rows
                    );
                    assert_eq!(report.max_consecutive_bad_rows, report.bad_rows);
                    for y in 0..complete as u32 {
                        assert!(decoded.row(y) == page.row(y), "{coding:?} cut {cut}: row {y}");
                    }
                }
                Err(Error::NoDecodableRows) => assert!(complete == 0, "{coding:?} cut {cut}"),
                Err(e) => panic!("{coding:?} cut {cut}: {e}"),
            }
        }
    }
    let data = encode(&page, &EncodeOptions::tiff_g4()).unwrap();
    for cut in (0..data.len()).step_by(data.len() / 41) {
        let mut opts = options(Coding::Mmr, BitOrder::MsbFirst, &page);
        opts.rows = Some(height);
        match dec(&data[..cut], &opts) {
            Err(Error::TruncatedCodedData { row }) => assert!(row < height),
            other => panic!("MMR cut {cut}: {:?}", other.map(|(_, r)| r)),
        }
        // Without a row count the rows before the cut come back, or the cut row is
        // reported.
        opts.rows = None;
        match dec(&data[..cut], &opts) {
            Ok((decoded, report)) => {
                assert_eq!(report.end, StreamEnd::EndOfData);
                for y in 0..report.rows {
                    assert!(decoded.row(y) == page.row(y), "MMR cut {cut}: row {y}");
                }
            }
            Err(Error::TruncatedCodedData { row }) => assert!(row < height),
            Err(e) => panic!("MMR cut {cut}: {e}"),
        }
    }
}

/// Decodes `data` every which way and checks only that the answer is sane.
fn decode_anything(data: &[u8]) {
    let limits = Limits { max_height: 3000, ..Limits::default() };
    for coding in [Coding::Mh, Coding::Mr { k: 4 }, Coding::Mmr] {
        for order in [BitOrder::MsbFirst, BitOrder::LsbFirst] {
            for width in [1u32, 7, 8, 9, 100, 1728, 4864, 8192] {
                for rows in [None, Some(50)] {
                    let mut opts = DecodeOptions::new(coding, order, width, 3000);
                    opts.rows = rows;
                    if let Ok((page, report)) = decode(data, &opts, Resolution::FINE, &limits) {
                        assert_eq!(page.width(), width);
                        assert_eq!(page.height(), report.rows);
                        assert!(report.max_consecutive_bad_rows <= report.bad_rows);
                        assert!(report.bad_rows <= report.rows);
                        if let Some(rows) = rows {
                            assert_eq!(report.rows, rows);
                        }
                        if coding == Coding::Mmr {
                            assert_eq!(report.bad_rows, 0);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn degenerate_inputs() {
    for len in [0usize, 1, 2, 3, 17, 1000, 20_000] {
        decode_anything(&vec![0u8; len]);
        decode_anything(&vec![0xffu8; len]);
        decode_anything(&vec![0x55u8; len]);
    }
    // All zeros are no rows at all; EOLs alone are RTC.
    let opts = DecodeOptions::new(Coding::Mh, BitOrder::MsbFirst, 1728, 100);
    assert!(matches!(dec(&[0; 100], &opts), Err(Error::NoDecodableRows)));
    assert!(matches!(dec(&[0x00, 0x10, 0x01], &opts), Err(Error::NoDecodableRows)));
    // All ones in MMR are V0 codes: white rows up to the limit.
    let opts = DecodeOptions::new(Coding::Mmr, BitOrder::MsbFirst, 1728, 100);
    let (page, report) = dec(&[0xff; 100], &opts).unwrap();
    assert_eq!((page.black_pixels(), report.rows, report.end), (0, 100, StreamEnd::RowLimit));
}

#[test]
fn random_garbage() {
    let mut state = 0x1234_5678_9abc_def1u64;
    for round in 0..40 {
        let len = [5usize, 50, 500, 5000][round % 4];
        let data: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Skew some rounds towards zero bits, where EOLs and long codes live.
                if round % 3 == 0 { (state & (state >> 8) & (state >> 16)) as u8 } else { state as u8 }
            })
            .collect();
        decode_anything(&data);
    }
}

#[test]
fn garbage_after_good_rows() {
    // A good stream followed by garbage: the good rows survive in MH.
    let page = chart(6);
    let mut data = encode(&page, &EncodeOptions::tiff_g3(Coding::Mh, false)).unwrap();
    let good_len = data.len();
    let mut state = 77u64;
    data.extend((0..2000).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    let opts = options(Coding::Mh, BitOrder::MsbFirst, &page);
    let (decoded, report) = dec(&data, &opts).unwrap();
    assert!(report.rows >= page.height());
    for y in 0..page.height() - 1 {
        assert!(decoded.row(y) == page.row(y), "row {y}");
    }
    assert!(good_len > 0);
}
