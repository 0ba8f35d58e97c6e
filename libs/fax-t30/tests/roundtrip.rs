//! DIS, DCS and frame round trips over many combinations, hand-built DIS fields of
//! typical terminals, and parsing of arbitrary input.

use fax_image::Coding;
use fax_t30::ecm::{Ctc, Fcd, FrameMap, FrameSize, PartialPage};
use fax_t30::{
    Dcs, Density, Dis, Fcf, FifBits, Frame, Ident, Length, MAX_FIF_OCTETS, Modems, Rate, ScanTime,
    ScanTimeCapability, Width, bit, mr_k_factor,
};

/// A small deterministic generator (xorshift64*), so the tests need no extra crates and
/// every failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bool(&mut self) -> bool {
        self.next() & 1 != 0
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = self.below(max_len as u64 + 1) as usize;
        (0..len).map(|_| self.next() as u8).collect()
    }
}

const MODEMS: [Modems; 6] = [
    Modems::V27terFallback,
    Modems::V27ter,
    Modems::V29,
    Modems::V27terV29,
    Modems::V27terV29V17,
    Modems::Reserved(0b0100),
];
const WIDTHS: [Width; 3] = [Width::A4, Width::B4, Width::A3];
const LENGTHS: [Length; 3] = [Length::A4, Length::B4, Length::Unlimited];
const SCAN_CAPS: [ScanTimeCapability; 8] = [
    ScanTimeCapability::Ms0,
    ScanTimeCapability::Ms5,
    ScanTimeCapability::Ms10,
    ScanTimeCapability::Ms20,
    ScanTimeCapability::Ms40,
    ScanTimeCapability::Ms10Half,
    ScanTimeCapability::Ms20Half,
    ScanTimeCapability::Ms40Half,
];
const SCAN_TIMES: [ScanTime; 5] =
    [ScanTime::Ms0, ScanTime::Ms5, ScanTime::Ms10, ScanTime::Ms20, ScanTime::Ms40];

fn random_other(rng: &mut Rng) -> FifBits {
    let mut other = FifBits::new();
    for _ in 0..rng.below(6) {
        other.set(rng.below(MAX_FIF_OCTETS as u64 * 8 + 1) as u16, true);
    }
    other
}

fn random_dis(rng: &mut Rng) -> Dis {
    Dis {
        t37: rng.bool(),
        t38: rng.bool(),
        v8: rng.bool(),
        prefers_64_octet_frames: rng.bool(),
        ready_to_transmit: rng.bool(),
        ready_to_receive: rng.bool(),
        modems: rng.pick(&MODEMS),
        fine: rng.bool(),
        mr: rng.bool(),
        max_width: rng.pick(&WIDTHS),
        max_length: rng.pick(&LENGTHS),
        scan_time: rng.pick(&SCAN_CAPS),
        uncompressed: rng.bool(),
        ecm: rng.bool(),
        mmr: rng.bool(),
        superfine: rng.bool(),
        r300: rng.bool(),
        r16: rng.bool(),
        inch_preferred: rng.bool(),
        metric_preferred: rng.bool(),
        scan_time_halves_at_superfine: rng.bool(),
        letter: rng.bool(),
        legal: rng.bool(),
        other: random_other(rng),
    }
}

#[test]
fn dis_round_trips() {
    let mut rng = Rng(0x07E3_0D15);
    for _ in 0..20_000 {
        let dis = random_dis(&mut rng);
        let fif = dis.encode();
        let parsed = Dis::parse(&fif).unwrap();
        // The typed fields win over stray copies of their bits in `other`.
        assert_eq!(parsed.encode(), fif);
        let expected = Dis { other: parsed.other, ..dis };
        assert_eq!(parsed, expected);
        // The minimum number of octets: the last one has a bit set (or it is the third).
        assert!(fif.len() == 3 || fif.last() != Some(&0), "{fif:02x?}");
    }
}

#[test]
fn every_single_bit_survives() {
    for b in 1..=(MAX_FIF_OCTETS as u16 * 8) {
        let mut bits = FifBits::new();
        bits.set(b, true);
        let fif = bits.encode();
        let dis = Dis::parse(&fif).unwrap();
        assert_eq!(dis.to_bits(), bits, "DIS bit {b}");
        assert_eq!(dis.encode(), fif, "DIS bit {b}");
    }
}

/// A DCS carries exactly one rate, resolution and coding; T.4 decides K.
fn random_dcs(rng: &mut Rng) -> Dcs {
    let density = rng.pick(&Density::ALL);
    let coding = match rng.below(3) {
        0 => Coding::Mh,
        1 => Coding::Mr { k: mr_k_factor(density) },
        _ => Coding::Mmr,
    };
    let mut other = random_other(rng);
    // Keep clear of the bits a DCS types, so equality is exact.
    for b in [
        10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 26, 27, 28, 31, 41, 42, 43, 44, 105, 106,
        107, 108, 109,
    ] {
        other.set(b, false);
    }
    Dcs {
        receive_fax: rng.bool(),
        rate: rng.pick(&Rate::LADDER),
        density,
        coding,
        width: rng.pick(&WIDTHS),
        length: rng.pick(&LENGTHS),
        scan_time: rng.pick(&SCAN_TIMES),
        uncompressed: rng.bool(),
        ecm: rng.pick(&[None, Some(FrameSize::Octets256), Some(FrameSize::Octets64)]),
        other,
    }
}

#[test]
fn dcs_round_trips() {
    let mut rng = Rng(0xDC5);
    for _ in 0..20_000 {
        let dcs = random_dcs(&mut rng);
        let fif = dcs.encode();
        let parsed = Dcs::parse(&fif).unwrap();
        assert_eq!(parsed, dcs, "{fif:02x?}");
        assert_eq!(parsed.encode(), fif);
    }
}

#[test]
fn every_density_in_dcs() {
    for density in Density::ALL {
        let dcs = Dcs { density, ..Dcs::new(Rate::V29_9600) };
        assert_eq!(Dcs::parse(&dcs.encode()).unwrap().density, density);
        assert_eq!(Density::from_resolution(density.resolution()), Some(density));
    }
}

#[test]
fn typical_terminal_dis() {
    // A Group 3 machine with V.17, fine, MR and ECM, B4 length, 20 ms, worked out from
    // T.30 Table 2 by hand: octet 2 holds bits 10, 11, 12, 14, 15, 16 (0xEE); octet 3
    // bit 19 (0x04) and the extend bit (0x80); octet 4 bit 27 (0x04).
    let fif = [0x00, 0xEE, 0x84, 0x04];
    let dis = Dis::parse(&fif).unwrap();
    let expected = Dis {
        ready_to_receive: true,
        modems: Modems::V27terV29V17,
        fine: true,
        mr: true,
        max_length: Length::B4,
        scan_time: ScanTimeCapability::Ms20,
        ecm: true,
        ..Dis::default()
    };
    assert_eq!(dis, expected);
    assert_eq!(expected.encode(), fif.to_vec());
    assert_eq!(dis.min_scan_time(Density::Fine), ScanTime::Ms20);
    assert!(!dis.supports_coding(Coding::Mmr));

    // An old machine: V.29 and V.27 ter, standard resolution only, MH, A4, 20 ms, and
    // the minimum three octets.
    let fif = [0x00, 0x0E, 0x00];
    let dis = Dis::parse(&fif).unwrap();
    assert_eq!(dis.modems, Modems::V27terV29);
    assert_eq!(dis.supported_rates().best(), Some(Rate::V29_9600));
    assert!(!dis.fine && !dis.mr && !dis.ecm);
    assert!(dis.supports_density(Density::Standard) && !dis.supports_density(Density::Fine));
    assert_eq!(dis.encode(), fif.to_vec());

    // Two such terminals agree on V.29 9600, MH.
    let modern = Dis::parse(&[0x00, 0xEE, 0x84, 0x04]).unwrap();
    assert_eq!(modern.best_common_rate(&dis), Some(Rate::V29_9600));
    assert_eq!(modern.best_coding(&dis, true, Density::Standard), Coding::Mh);
    let common = modern.supported_rates().intersection(dis.supported_rates());
    assert_eq!(common.next_lower(Rate::V29_7200), Some(Rate::V27TER_4800));

    // A receiver asking for 20 ms at standard, 10 at fine (code 1, 1, 0), and half
    // again at superfine (bit 46).
    let mut dis = Dis::parse(&[0x00, 0xEE, 0xB0, 0x80, 0x80, 0x21]).unwrap();
    assert_eq!(dis.scan_time, ScanTimeCapability::Ms20Half);
    assert!(dis.superfine && dis.scan_time_halves_at_superfine);
    assert_eq!(dis.min_scan_time(Density::Standard), ScanTime::Ms20);
    assert_eq!(dis.min_scan_time(Density::Fine), ScanTime::Ms10);
    assert_eq!(dis.min_scan_time(Density::Superfine), ScanTime::Ms5);
    // 10 ms halved twice is 2.5 ms, which DCS can only round up to 5.
    dis.scan_time = ScanTimeCapability::Ms10Half;
    assert_eq!(dis.min_scan_time(Density::Superfine), ScanTime::Ms5);
    assert_eq!(ScanTime::Ms10.min_row_bits(Rate::V17_14400), 144);
    assert_eq!(ScanTimeCapability::new(20, true), ScanTimeCapability::Ms20Half);
    assert_eq!(ScanTimeCapability::new(7, false), ScanTimeCapability::Ms10);
}

#[test]
fn tolerant_dis_parsing() {
    // Fewer octets than T.30's three: the rest read as zero, three come back.
    let dis = Dis::parse(&[0x00, 0x4E]).unwrap();
    assert!(dis.fine && dis.modems == Modems::V27terV29);
    assert_eq!(dis.encode(), vec![0x00, 0x4E, 0x00]);
    // Octets after an octet without extend bit are ignored.
    let dis = Dis::parse(&[0x00, 0x4E, 0x00, 0xFF, 0xFF]).unwrap();
    assert_eq!(dis.encode(), vec![0x00, 0x4E, 0x00]);
    // An extend bit with nothing after it.
    let dis = Dis::parse(&[0x00, 0x4E, 0x80]).unwrap();
    assert_eq!(dis.encode(), vec![0x00, 0x4E, 0x00]);
    // Invalid width and length codes read as A4.
    let dis = Dis::parse(&[0x00, 0x4E, 0x0F]).unwrap();
    assert_eq!((dis.max_width, dis.max_length), (Width::A4, Length::A4));
    // Unknown rate codes keep what they say about V.29 and V.27 ter.
    let dis = Dis::parse(&[0x00, 0b0001_1100, 0x00]).unwrap();
    assert_eq!(dis.modems, Modems::Reserved(0b0111));
    assert!(dis.supported_rates().contains(Rate::V29_9600));
    assert!(dis.supported_rates().contains(Rate::V27TER_4800));
    assert!(!dis.supported_rates().contains(Rate::V17_14400));
    assert_eq!(dis.encode(), vec![0x00, 0b0001_1100, 0x00]);
    assert!(Dis::parse(&[]).is_err());
}

#[test]
fn dcs_errors_and_tolerance() {
    use fax_t30::Error;
    assert_eq!(Dcs::parse(&[0x00, 0b0001_0000, 0x00]), Err(Error::BadRateCode(0b0100)));
    assert_eq!(Dcs::parse(&[0x00, 0x00, 0x03]), Err(Error::BadWidthCode));
    assert_eq!(Dcs::parse(&[0x00, 0x00, 0x0C]), Err(Error::BadLengthCode));
    assert!(Dcs::parse(&[]).is_err());
    // Fine and superfine bits together: superfine.
    let dcs = Dcs::parse(&[0x00, 0x40, 0x80, 0x80, 0x80, 0x01]).unwrap();
    assert_eq!(dcs.density, Density::Superfine);
    // MR and MMR together: MMR.
    let dcs = Dcs::parse(&[0x00, 0x80, 0x80, 0x44]).unwrap();
    assert_eq!(dcs.coding, Coding::Mmr);
    // A scan time code only DIS defines (20 ms halving at fine): 20 ms.
    let dcs = Dcs::parse(&[0x00, 0x00, 0x30]).unwrap();
    assert_eq!(dcs.scan_time, ScanTime::Ms20);
    // Fine plus bit 44: 200 × 200; R16 plus bit 44: 400 × 400.
    assert_eq!(Dcs::parse(&[0x00, 0x40, 0x80, 0x80, 0x80, 0x08]).unwrap().density, Density::R200);
    assert_eq!(Dcs::parse(&[0x00, 0x00, 0x80, 0x80, 0x80, 0x0C]).unwrap().density, Density::R400);
    // A JBIG page: the typed coding does not describe it.
    let mut dcs = Dcs::new(Rate::V17_14400);
    dcs.other.set(bit::T85, true);
    assert!(dcs.uses_other_coding());
    assert_eq!(Dcs::parse(&dcs.encode()).unwrap(), dcs);
    // Minimum row length: none in ECM.
    let dcs = Dcs { scan_time: ScanTime::Ms10, ..Dcs::new(Rate::V29_9600) };
    assert_eq!(dcs.min_row_bits(), 96);
    assert_eq!(Dcs { ecm: Some(FrameSize::Octets64), ..dcs }.min_row_bits(), 0);
}

#[test]
fn widths() {
    assert_eq!(Width::A4.pixels(204), Some(1728));
    assert_eq!(Width::B4.pixels(204), Some(2048));
    assert_eq!(Width::A3.pixels(204), Some(2432));
    assert_eq!(Width::A4.pixels(408), Some(3456));
    assert_eq!(Width::A3.pixels(400), Some(4864));
    assert_eq!(Width::A4.pixels(300), Some(2592));
    assert_eq!(Width::B4.pixels(300), Some(3072));
    assert_eq!(Width::A3.pixels(300), Some(3648));
    assert_eq!(Width::A4.pixels(150), None);
    assert_eq!(Width::from_pixels(2048, 204), Some(Width::B4));
    assert_eq!(Width::from_pixels(2000, 204), None);
}

#[test]
fn arbitrary_input_never_panics() {
    let mut rng = Rng(0xF022);
    for i in 0..50_000 {
        // Mostly well-formed headers, so the information field parsers get exercised.
        let mut bytes = rng.bytes(if i % 100 == 0 { 600 } else { 40 });
        if i % 4 != 0 && bytes.len() >= 2 {
            bytes[0] = 0xFF;
            bytes[1] = rng.pick(&[0x03, 0x13]);
        }
        let Ok(frame) = Frame::parse(&bytes) else { continue };
        // Frames encode back exactly, but for the X bit of a PPS or EOR FCF2.
        if matches!(frame.fcf, Fcf::Pps(_) | Fcf::Eor(_)) {
            assert_eq!(frame.encode().len(), bytes.len());
        } else {
            assert_eq!(frame.encode(), bytes);
        }
        let fif = &frame.fif;
        if let Ok(dis) = Dis::parse(fif) {
            // Parsing is idempotent after one normalisation.
            let again = Dis::parse(&dis.encode()).unwrap();
            assert_eq!(again, dis);
            let _ = dis.min_scan_time(Density::Superfine);
            let _ = dis.best_common_rate(&again);
        }
        if let Ok(dcs) = Dcs::parse(fif) {
            assert_eq!(Dcs::parse(&dcs.encode()).unwrap(), dcs);
        }
        let ident = Ident::parse(fif);
        assert_eq!(ident.encode(), *fif);
        let _ = ident.number();
        let _ = PartialPage::parse(fif);
        let _ = FrameMap::parse(fif);
        let _ = Ctc::parse(fif);
        if let Ok(fcd) = Fcd::parse(fif) {
            assert_eq!(fcd.encode().unwrap(), *fif);
        }
    }
}

#[test]
fn well_formed_fif_round_trips_exactly() {
    // Random DIS fields whose extend bits are consistent and whose width and length codes
    // are valid: encoding gives back the same octets.
    let mut rng = Rng(0xB175);
    for _ in 0..20_000 {
        let len = 3 + rng.below(MAX_FIF_OCTETS as u64 - 2) as usize;
        let mut fif: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        for (i, octet) in fif.iter_mut().enumerate().skip(2) {
            if i + 1 < len {
                *octet |= 0x80;
            } else {
                *octet &= 0x7F;
            }
        }
        if fif[2] & 0x03 == 0x03 {
            fif[2] &= !0x01;
        }
        if fif[2] & 0x0C == 0x0C {
            fif[2] &= !0x04;
        }
        assert_eq!(Dis::parse(&fif).unwrap().encode(), fif, "{fif:02x?}");
    }
}
