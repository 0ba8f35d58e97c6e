//! DIS, DTC and DCS: the facsimile information fields of T.30 Table 2.
//!
//! A called terminal announces its capabilities in DIS (a polling caller in DTC, with
//! the same layout); the sender picks settings within them and announces the choice in
//! DCS. The fields the session engine acts on are typed; every other bit is kept in
//! [`FifBits`] so that a received field encodes back to the same octets.

use fax_image::{Coding, Resolution};

use crate::ecm::FrameSize;
use crate::rate::{Modem, Rate, RateSet};
use crate::{Error, FifBits};

/// Bit numbers of T.30 Table 2 (bit 1 is the first bit transmitted), for the bits kept
/// raw in [`Dis::other`] and [`Dcs::other`], and for the typed ones.
pub mod bit {
    /// Store-and-forward Internet fax, simple mode (T.37).
    pub const T37: u16 = 1;
    /// Real-time Internet fax (T.38).
    pub const T38: u16 = 3;
    /// Third-generation mobile network.
    pub const MOBILE_3G: u16 = 4;
    /// V.8 capabilities.
    pub const V8: u16 = 6;
    /// DIS: 64-octet frames preferred (with V.8).
    pub const FRAME_SIZE_64_PREFERRED: u16 = 7;
    /// DIS/DTC: ready to transmit a facsimile document (polling).
    pub const READY_TO_TRANSMIT: u16 = 9;
    /// Receiver fax operation.
    pub const RECEIVE_FAX: u16 = 10;
    /// First of the four data signalling rate bits (11 to 14).
    pub const RATE: u16 = 11;
    /// R8 × 7.7 lines/mm and/or 200 × 200 pels/25.4 mm.
    pub const FINE: u16 = 15;
    /// Two-dimensional coding (T.4 MR).
    pub const MR: u16 = 16;
    /// First of the two recording width bits (17, 18).
    pub const WIDTH: u16 = 17;
    /// First of the two recording length bits (19, 20).
    pub const LENGTH: u16 = 19;
    /// First of the three minimum scan line time bits (21 to 23).
    pub const SCAN_TIME: u16 = 21;
    /// Uncompressed mode.
    pub const UNCOMPRESSED: u16 = 26;
    /// Error correction mode.
    pub const ECM: u16 = 27;
    /// DCS: ECM frames of 64 octets instead of 256.
    pub const ECM_FRAME_SIZE_64: u16 = 28;
    /// T.6 coding (MMR).
    pub const T6: u16 = 31;
    /// Field not valid capability.
    pub const FNV: u16 = 33;
    /// Multiple selective polling.
    pub const MULTIPLE_SELECTIVE_POLLING: u16 = 34;
    /// Polled subaddress.
    pub const POLLED_SUBADDRESS: u16 = 35;
    /// T.43 coding.
    pub const T43: u16 = 36;
    /// Plane interleave.
    pub const PLANE_INTERLEAVE: u16 = 37;
    /// Voice coding with G.726.
    pub const G726: u16 = 38;
    /// R8 × 15.4 lines/mm ("superfine").
    pub const SUPERFINE: u16 = 41;
    /// 300 × 300 pels/25.4 mm.
    pub const R300: u16 = 42;
    /// R16 × 15.4 lines/mm and/or 400 × 400 pels/25.4 mm.
    pub const R16: u16 = 43;
    /// DIS: inch-based resolution preferred; DCS: the resolution is inch-based.
    pub const INCH: u16 = 44;
    /// DIS: metric-based resolution preferred.
    pub const METRIC: u16 = 45;
    /// DIS: minimum scan line time at 15.4 lines/mm is half that at 7.7.
    pub const SCAN_TIME_HALF_SUPERFINE: u16 = 46;
    /// Selective polling.
    pub const SELECTIVE_POLLING: u16 = 47;
    /// Subaddressing.
    pub const SUBADDRESSING: u16 = 49;
    /// Password.
    pub const PASSWORD: u16 = 50;
    /// Ready to transmit a data file (polling).
    pub const READY_TO_TRANSMIT_DATA_FILE: u16 = 51;
    /// Binary file transfer (T.434).
    pub const BFT: u16 = 53;
    /// Document transfer mode.
    pub const DTM: u16 = 54;
    /// Electronic data interchange.
    pub const EDI: u16 = 55;
    /// Basic transfer mode.
    pub const BTM: u16 = 57;
    /// Ready to transmit a character or mixed mode document (polling).
    pub const READY_TO_TRANSMIT_MIXED: u16 = 59;
    /// Character mode.
    pub const CHARACTER_MODE: u16 = 60;
    /// Mixed mode (T.4 Annex E).
    pub const MIXED_MODE: u16 = 62;
    /// Processable mode 26 (T.505).
    pub const PROCESSABLE_MODE_26: u16 = 65;
    /// Digital network capability.
    pub const DIGITAL_NETWORK: u16 = 66;
    /// Duplex and half-duplex capabilities.
    pub const DUPLEX: u16 = 67;
    /// JPEG coding (T.81, colour and grey scale).
    pub const JPEG: u16 = 68;
    /// Full colour mode.
    pub const FULL_COLOUR: u16 = 69;
    /// DCS: preferred Huffman tables.
    pub const PREFERRED_HUFFMAN: u16 = 70;
    /// 12 bits per pel component.
    pub const TWELVE_BITS: u16 = 71;
    /// No subsampling (1:1:1).
    pub const NO_SUBSAMPLING: u16 = 73;
    /// Custom illuminant.
    pub const CUSTOM_ILLUMINANT: u16 = 74;
    /// Custom gamut range.
    pub const CUSTOM_GAMUT: u16 = 75;
    /// North American Letter (215.9 × 279.4 mm).
    pub const LETTER: u16 = 76;
    /// North American Legal (215.9 × 355.6 mm).
    pub const LEGAL: u16 = 77;
    /// T.85 (JBIG) basic.
    pub const T85: u16 = 78;
    /// T.85 (JBIG) optional L0.
    pub const T85_L0: u16 = 79;
    /// 600 × 600 pels/25.4 mm.
    pub const R600: u16 = 105;
    /// 1200 × 1200 pels/25.4 mm.
    pub const R1200: u16 = 106;
    /// 300 × 600 pels/25.4 mm.
    pub const R300_600: u16 = 107;
    /// 400 × 800 pels/25.4 mm.
    pub const R400_800: u16 = 108;
    /// 600 × 1200 pels/25.4 mm.
    pub const R600_1200: u16 = 109;
}

/// The modems a DIS or DTC offers: its data signalling rate bits 11 to 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Modems {
    /// V.27 ter fall-back mode: 2400 bit/s only (code 0000).
    #[default]
    V27terFallback,
    /// V.27 ter: 4800 and 2400 bit/s (code 0100, as bits 11 to 14).
    V27ter,
    /// V.29: 9600 and 7200 bit/s (code 1000).
    V29,
    /// V.27 ter and V.29 (code 1100).
    V27terV29,
    /// V.27 ter, V.29 and V.17 (code 1101).
    V27terV29V17,
    /// A code T.30 reserves or no longer uses (V.33 had some), as a number with bit 11
    /// as its least significant bit.
    Reserved(u8),
}

impl Modems {
    fn from_code(code: u8) -> Modems {
        match code & 0x0F {
            0b0000 => Modems::V27terFallback,
            0b0010 => Modems::V27ter,
            0b0001 => Modems::V29,
            0b0011 => Modems::V27terV29,
            0b1011 => Modems::V27terV29V17,
            other => Modems::Reserved(other),
        }
    }

    fn code(self) -> u8 {
        match self {
            Modems::V27terFallback => 0b0000,
            Modems::V27ter => 0b0010,
            Modems::V29 => 0b0001,
            Modems::V27terV29 => 0b0011,
            Modems::V27terV29V17 => 0b1011,
            Modems::Reserved(code) => code & 0x0F,
        }
    }

    /// The offer for a set of modems: the smallest standard code that covers them.
    /// V.17 is only offered together with V.27 ter and V.29, as T.30 requires.
    pub fn for_modems(v27ter: bool, v29: bool, v17: bool) -> Modems {
        match (v27ter, v29, v17) {
            (_, _, true) => Modems::V27terV29V17,
            (true, true, false) => Modems::V27terV29,
            (false, true, false) => Modems::V29,
            (true, false, false) => Modems::V27ter,
            (false, false, false) => Modems::V27terFallback,
        }
    }

    /// The rates this offer allows. For a reserved code, bit 11 is read as V.29 and bit
    /// 12 as V.27 ter (their meaning in every edition of T.30) and V.27 ter 2400, which
    /// every Group 3 terminal has, is always included.
    pub fn rates(self) -> RateSet {
        let v27 = RateSet::of_modem(Modem::V27ter);
        let v29 = RateSet::of_modem(Modem::V29);
        match self {
            Modems::V27terFallback => [Rate::V27TER_2400].into_iter().collect(),
            Modems::V27ter => v27,
            Modems::V29 => v29,
            Modems::V27terV29 => v27.union(v29),
            Modems::V27terV29V17 => RateSet::ALL,
            Modems::Reserved(code) => {
                let mut set: RateSet = [Rate::V27TER_2400].into_iter().collect();
                if code & 0b0001 != 0 {
                    set = set.union(v29);
                }
                if code & 0b0010 != 0 {
                    set = set.union(v27);
                }
                set
            }
        }
    }
}

/// A recording (scan line) width of T.4: the physical width, whose pixel count
/// depends on the horizontal density.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Width {
    /// 215 mm: 1728 pixels at 8 dots/mm.
    #[default]
    A4,
    /// 255 mm: 2048 pixels at 8 dots/mm.
    B4,
    /// 303 mm: 2432 pixels at 8 dots/mm.
    A3,
}

impl Width {
    /// The nominal width in millimetres.
    pub fn mm(self) -> u16 {
        match self {
            Width::A4 => 215,
            Width::B4 => 255,
            Width::A3 => 303,
        }
    }

    /// Pixels per row at a horizontal density of `x_dpi` (T.4 Table 1 and T.30): 204
    /// (8 dots/mm) or 200, 300, 408 (16 dots/mm) or 400, 600 and 1200. `None` for other
    /// densities.
    pub fn pixels(self, x_dpi: u16) -> Option<u32> {
        let base: u32 = match self {
            Width::A4 => 1728,
            Width::B4 => 2048,
            Width::A3 => 2432,
        };
        // All T.4 widths scale from the 8 dots/mm figures by these ratios.
        match x_dpi {
            200 | 204 => Some(base),
            300 => Some(base * 3 / 2),
            400 | 408 => Some(base * 2),
            600 => Some(base * 3),
            1200 => Some(base * 6),
            _ => None,
        }
    }

    /// The width whose pixel count at `x_dpi` is `pixels`.
    pub fn from_pixels(pixels: u32, x_dpi: u16) -> Option<Width> {
        [Width::A4, Width::B4, Width::A3].into_iter().find(|w| w.pixels(x_dpi) == Some(pixels))
    }

    /// Code of bits 17 and 18, bit 17 least significant: the same in DIS and DCS, where
    /// in DIS it names the widest width accepted.
    fn code(self) -> u8 {
        match self {
            Width::A4 => 0b00,
            Width::B4 => 0b01,
            Width::A3 => 0b10,
        }
    }

    fn from_code(code: u8) -> Option<Width> {
        match code {
            0b00 => Some(Width::A4),
            0b01 => Some(Width::B4),
            0b10 => Some(Width::A3),
            _ => None,
        }
    }
}

/// A recording (page) length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Length {
    /// A4, 297 mm.
    #[default]
    A4,
    /// B4, 364 mm.
    B4,
    /// Unlimited.
    Unlimited,
}

impl Length {
    /// Code of bits 19 and 20, bit 19 least significant: the same in DIS, where it
    /// names the longest length accepted, and DCS.
    fn code(self) -> u8 {
        match self {
            Length::A4 => 0b00,
            Length::B4 => 0b01,
            Length::Unlimited => 0b10,
        }
    }

    fn from_code(code: u8) -> Option<Length> {
        match code {
            0b00 => Some(Length::A4),
            0b01 => Some(Length::B4),
            0b10 => Some(Length::Unlimited),
            _ => None,
        }
    }

    /// The longest page in millimetres, `None` for unlimited.
    pub fn mm(self) -> Option<u16> {
        match self {
            Length::A4 => Some(297),
            Length::B4 => Some(364),
            Length::Unlimited => None,
        }
    }
}

/// The minimum scan line time a receiver asks for in DIS (bits 21 to 23): a time at
/// 3.85 lines/mm and whether it halves at 7.7 lines/mm.
///
/// The receiver needs this time per coded row to print it; the sender pads shorter rows
/// with fill bits. See [`Dis::min_scan_time`] for the time at a given resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ScanTimeCapability {
    /// 0 ms.
    Ms0,
    /// 5 ms at every resolution.
    Ms5,
    /// 10 ms at every resolution.
    Ms10,
    /// 20 ms at every resolution (the all-zero code).
    #[default]
    Ms20,
    /// 40 ms at every resolution.
    Ms40,
    /// 10 ms at 3.85 lines/mm, 5 ms at 7.7.
    Ms10Half,
    /// 20 ms at 3.85 lines/mm, 10 ms at 7.7.
    Ms20Half,
    /// 40 ms at 3.85 lines/mm, 20 ms at 7.7.
    Ms40Half,
}

impl ScanTimeCapability {
    /// T.30 lists the codes as (bit 21, 22, 23); here bit 21 is the least significant.
    fn code(self) -> u8 {
        match self {
            ScanTimeCapability::Ms20 => 0b000,
            ScanTimeCapability::Ms5 => 0b001,
            ScanTimeCapability::Ms10 => 0b010,
            ScanTimeCapability::Ms20Half => 0b011,
            ScanTimeCapability::Ms40 => 0b100,
            ScanTimeCapability::Ms40Half => 0b101,
            ScanTimeCapability::Ms10Half => 0b110,
            ScanTimeCapability::Ms0 => 0b111,
        }
    }

    fn from_code(code: u8) -> ScanTimeCapability {
        match code & 0b111 {
            0b000 => ScanTimeCapability::Ms20,
            0b001 => ScanTimeCapability::Ms5,
            0b010 => ScanTimeCapability::Ms10,
            0b011 => ScanTimeCapability::Ms20Half,
            0b100 => ScanTimeCapability::Ms40,
            0b101 => ScanTimeCapability::Ms40Half,
            0b110 => ScanTimeCapability::Ms10Half,
            _ => ScanTimeCapability::Ms0,
        }
    }

    /// The time at 3.85 lines/mm in milliseconds.
    pub fn standard_ms(self) -> u32 {
        match self {
            ScanTimeCapability::Ms0 => 0,
            ScanTimeCapability::Ms5 => 5,
            ScanTimeCapability::Ms10 | ScanTimeCapability::Ms10Half => 10,
            ScanTimeCapability::Ms20 | ScanTimeCapability::Ms20Half => 20,
            ScanTimeCapability::Ms40 | ScanTimeCapability::Ms40Half => 40,
        }
    }

    /// Whether the time at 7.7 lines/mm is half the time at 3.85.
    pub fn halves_at_fine(self) -> bool {
        matches!(
            self,
            ScanTimeCapability::Ms10Half | ScanTimeCapability::Ms20Half | ScanTimeCapability::Ms40Half
        )
    }

    /// The capability whose standard time is `ms` (0, 5, 10, 20 or 40; others round
    /// up), halving at fine if `halves_at_fine` and the code exists.
    pub fn new(ms: u32, halves_at_fine: bool) -> ScanTimeCapability {
        match (ScanTime::at_least_us(ms.saturating_mul(1000)), halves_at_fine) {
            (ScanTime::Ms0, _) => ScanTimeCapability::Ms0,
            (ScanTime::Ms5, _) => ScanTimeCapability::Ms5,
            (ScanTime::Ms10, false) => ScanTimeCapability::Ms10,
            (ScanTime::Ms10, true) => ScanTimeCapability::Ms10Half,
            (ScanTime::Ms20, false) => ScanTimeCapability::Ms20,
            (ScanTime::Ms20, true) => ScanTimeCapability::Ms20Half,
            (ScanTime::Ms40, false) => ScanTimeCapability::Ms40,
            (ScanTime::Ms40, true) => ScanTimeCapability::Ms40Half,
        }
    }
}

/// The minimum scan line time a DCS announces (bits 21 to 23): the time the sender
/// keeps to at the resolution it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum ScanTime {
    /// 0 ms.
    Ms0,
    /// 5 ms.
    Ms5,
    /// 10 ms.
    Ms10,
    /// 20 ms (the all-zero code).
    #[default]
    Ms20,
    /// 40 ms.
    Ms40,
}

impl ScanTime {
    /// The time in milliseconds.
    pub fn ms(self) -> u32 {
        match self {
            ScanTime::Ms0 => 0,
            ScanTime::Ms5 => 5,
            ScanTime::Ms10 => 10,
            ScanTime::Ms20 => 20,
            ScanTime::Ms40 => 40,
        }
    }

    /// The shortest DCS time of at least `us` microseconds; 40 ms for anything longer.
    /// DCS cannot say 2.5 ms (10 ms halved twice), so that becomes 5 ms.
    pub fn at_least_us(us: u32) -> ScanTime {
        [ScanTime::Ms0, ScanTime::Ms5, ScanTime::Ms10, ScanTime::Ms20, ScanTime::Ms40]
            .into_iter()
            .find(|t| t.ms() * 1000 >= us)
            .unwrap_or(ScanTime::Ms40)
    }

    /// Fill bits a row needs at `rate` so that it lasts this long: the figure
    /// `fax_image::EncodeOptions::min_row_bits` wants.
    pub fn min_row_bits(self, rate: Rate) -> u32 {
        u32::from(rate.bps()) * self.ms() / 1000
    }

    fn code(self) -> u8 {
        match self {
            ScanTime::Ms20 => 0b000,
            ScanTime::Ms5 => 0b001,
            ScanTime::Ms10 => 0b010,
            ScanTime::Ms40 => 0b100,
            ScanTime::Ms0 => 0b111,
        }
    }

    /// Reads a DCS code. The three codes that only DIS defines (a time that halves at
    /// fine) are read as their time at standard resolution, the longer one, so that a
    /// sender that copied the receiver's code is still understood.
    fn from_code(code: u8) -> ScanTime {
        match code & 0b111 {
            0b000 | 0b011 => ScanTime::Ms20,
            0b001 => ScanTime::Ms5,
            0b010 | 0b110 => ScanTime::Ms10,
            0b100 | 0b101 => ScanTime::Ms40,
            _ => ScanTime::Ms0,
        }
    }
}

/// A resolution T.30 can select in DCS. [`Density::resolution`] gives the
/// `fax_image` value that pages carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Density {
    /// R8 × 3.85 lines/mm ("standard", 204 × 98 dpi).
    #[default]
    Standard,
    /// R8 × 7.7 lines/mm ("fine", 204 × 196 dpi).
    Fine,
    /// R8 × 15.4 lines/mm ("superfine", 204 × 391 dpi).
    Superfine,
    /// R16 × 15.4 lines/mm (408 × 391 dpi).
    R16Superfine,
    /// 200 × 100 pels/25.4 mm, the inch-based standard resolution.
    R200x100,
    /// 200 × 200 pels/25.4 mm, the inch-based fine resolution.
    R200,
    /// 300 × 300 pels/25.4 mm.
    R300,
    /// 400 × 400 pels/25.4 mm.
    R400,
    /// 600 × 600 pels/25.4 mm.
    R600,
    /// 1200 × 1200 pels/25.4 mm.
    R1200,
    /// 300 × 600 pels/25.4 mm.
    R300x600,
    /// 400 × 800 pels/25.4 mm.
    R400x800,
    /// 600 × 1200 pels/25.4 mm.
    R600x1200,
}

impl Density {
    /// Every density.
    pub const ALL: [Density; 13] = [
        Density::Standard,
        Density::Fine,
        Density::Superfine,
        Density::R16Superfine,
        Density::R200x100,
        Density::R200,
        Density::R300,
        Density::R400,
        Density::R600,
        Density::R1200,
        Density::R300x600,
        Density::R400x800,
        Density::R600x1200,
    ];

    /// The density in dots per inch, with the TIFF Class F approximations of the
    /// metric ones (the `fax_image::Resolution` constants).
    pub fn resolution(self) -> Resolution {
        let (x_dpi, y_dpi) = match self {
            Density::Standard => return Resolution::STANDARD,
            Density::Fine => return Resolution::FINE,
            Density::Superfine => return Resolution::SUPERFINE,
            Density::R16Superfine => return Resolution::R16_SUPERFINE,
            Density::R300 => return Resolution::R300,
            Density::R400 => return Resolution::R400,
            Density::R200x100 => (200, 100),
            Density::R200 => (200, 200),
            Density::R600 => (600, 600),
            Density::R1200 => (1200, 1200),
            Density::R300x600 => (300, 600),
            Density::R400x800 => (400, 800),
            Density::R600x1200 => (600, 1200),
        };
        Resolution { x_dpi, y_dpi }
    }

    /// The density of a page's resolution, if T.30 has one that matches exactly.
    pub fn from_resolution(resolution: Resolution) -> Option<Density> {
        Density::ALL.into_iter().find(|d| d.resolution() == resolution)
    }

    /// The DCS bits that select this density. A lone bit 15 or 43 is metric (fine,
    /// R16 × 15.4); bit 44 turns it inch-based (200 × 200, 400 × 400). Bit 42 and the
    /// bits from 105 on name inch-based resolutions by themselves and, as SpanDSP
    /// sends them, go without bit 44.
    fn dcs_bits(self) -> &'static [u16] {
        match self {
            Density::Standard => &[],
            Density::Fine => &[bit::FINE],
            Density::Superfine => &[bit::SUPERFINE],
            Density::R16Superfine => &[bit::R16],
            Density::R200x100 => &[bit::INCH],
            Density::R200 => &[bit::FINE, bit::INCH],
            Density::R300 => &[bit::R300],
            Density::R400 => &[bit::R16, bit::INCH],
            Density::R600 => &[bit::R600],
            Density::R1200 => &[bit::R1200],
            Density::R300x600 => &[bit::R300_600],
            Density::R400x800 => &[bit::R400_800],
            Density::R600x1200 => &[bit::R600_1200],
        }
    }

    /// Which minimum scan line time applies: 0 for 3.85 lines/mm and the like, 1 for
    /// 7.7, 2 for 15.4 and everything finer.
    fn scan_class(self) -> u8 {
        match self.resolution().y_dpi {
            0..=100 => 0,
            101..=200 => 1,
            _ => 2,
        }
    }
}

/// The K factor of T.4 two-dimensional coding at `density`: at most K − 1 rows coded
/// two-dimensionally after each one-dimensional row. T.4 §4.2.1.3.1 sets 2 at
/// standard resolution, 4 at fine and 8 above.
pub fn mr_k_factor(density: Density) -> u32 {
    match density.scan_class() {
        0 => 2,
        1 => 4,
        _ => 8,
    }
}

/// Bits of DIS and DTC that [`Dis`] types; everything else stays in [`Dis::other`].
const DIS_TYPED: [u16; 30] = [
    bit::T37,
    bit::T38,
    bit::V8,
    bit::FRAME_SIZE_64_PREFERRED,
    bit::READY_TO_TRANSMIT,
    bit::RECEIVE_FAX,
    11,
    12,
    13,
    14,
    bit::FINE,
    bit::MR,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    bit::UNCOMPRESSED,
    bit::ECM,
    bit::T6,
    bit::SUPERFINE,
    bit::R300,
    bit::R16,
    bit::INCH,
    bit::METRIC,
    bit::SCAN_TIME_HALF_SUPERFINE,
    bit::LETTER,
    bit::LEGAL,
];

/// The capabilities a terminal announces in DIS (as called terminal) or DTC (as a
/// polling caller): T.30 Table 2.
///
/// Fields are typed where the session engine negotiates with them; every other bit
/// (polling addresses, passwords, colour, JBIG, security, …) is in [`Dis::other`]
/// under its T.30 number (see [`bit`]). A DIS that follows T.30 encodes back to the
/// octets it was parsed from, length included.
///
/// ```
/// use fax_t30::{Dis, Density, Rate};
///
/// // The DIS SpanDSP 0.0.6 sends with ECM, MR and MMR enabled.
/// let dis = Dis::parse(&[0x00, 0xee, 0xf8, 0xc4, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18]).unwrap();
/// assert_eq!(dis.supported_rates().best(), Some(Rate::V17_14400));
/// assert!(dis.fine && dis.superfine && dis.mr && dis.ecm && dis.mmr);
/// assert_eq!(dis.min_scan_time(Density::Fine).ms(), 0);
/// assert_eq!(dis.encode(), vec![0x00, 0xee, 0xf8, 0xc4, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dis {
    /// Bit 1: T.37 Internet fax (simple mode).
    pub t37: bool,
    /// Bit 3: T.38 real-time Internet fax.
    pub t38: bool,
    /// Bit 6: V.8 capabilities.
    pub v8: bool,
    /// Bit 7: 64-octet ECM frames preferred over 256 (meaningful with V.8).
    pub prefers_64_octet_frames: bool,
    /// Bit 9: ready to transmit a document (the terminal has something to be polled).
    pub ready_to_transmit: bool,
    /// Bit 10: ready to receive a fax.
    pub ready_to_receive: bool,
    /// Bits 11 to 14: the modems offered.
    pub modems: Modems,
    /// Bit 15: R8 × 7.7 lines/mm (and/or 200 × 200 pels/25.4 mm).
    pub fine: bool,
    /// Bit 16: T.4 two-dimensional coding (MR).
    pub mr: bool,
    /// Bits 17 and 18: the widest recording width accepted (narrower ones always are).
    pub max_width: Width,
    /// Bits 19 and 20: the longest recording length accepted.
    pub max_length: Length,
    /// Bits 21 to 23: the minimum scan line time.
    pub scan_time: ScanTimeCapability,
    /// Bit 26: uncompressed mode.
    pub uncompressed: bool,
    /// Bit 27: error correction mode (T.4 Annex A).
    pub ecm: bool,
    /// Bit 31: T.6 coding (MMR), usable only with ECM.
    pub mmr: bool,
    /// Bit 41: R8 × 15.4 lines/mm.
    pub superfine: bool,
    /// Bit 42: 300 × 300 pels/25.4 mm.
    pub r300: bool,
    /// Bit 43: R16 × 15.4 lines/mm and/or 400 × 400 pels/25.4 mm.
    pub r16: bool,
    /// Bit 44: inch-based resolutions preferred (and, in this crate's reading,
    /// accepted: 200 × 100, 200 × 200, 400 × 400).
    pub inch_preferred: bool,
    /// Bit 45: metric-based resolutions preferred.
    pub metric_preferred: bool,
    /// Bit 46: the minimum scan line time at 15.4 lines/mm is half that at 7.7 (else
    /// the same).
    pub scan_time_halves_at_superfine: bool,
    /// Bit 76: North American Letter paper.
    pub letter: bool,
    /// Bit 77: North American Legal paper.
    pub legal: bool,
    /// Every other bit, by T.30 number, and the number of octets received.
    pub other: FifBits,
}

impl Dis {
    /// Reads the information field of a DIS or DTC frame. Tolerant as T.30 asks
    /// receivers to be: unknown bits are kept, missing octets read as zero, octets after
    /// the last extend bit are ignored, and the codes T.30 calls invalid (width or
    /// length (1, 1)) read as the smallest size. Only an empty field is an error.
    pub fn parse(fif: &[u8]) -> Result<Dis, Error> {
        if fif.is_empty() {
            return Err(Error::FifTooShort { signal: "DIS", len: 0, min: 1 });
        }
        let bits = FifBits::parse(fif);
        let mut other = bits;
        for b in DIS_TYPED {
            other.set(b, false);
        }
        Ok(Dis {
            t37: bits.get(bit::T37),
            t38: bits.get(bit::T38),
            v8: bits.get(bit::V8),
            prefers_64_octet_frames: bits.get(bit::FRAME_SIZE_64_PREFERRED),
            ready_to_transmit: bits.get(bit::READY_TO_TRANSMIT),
            ready_to_receive: bits.get(bit::RECEIVE_FAX),
            modems: Modems::from_code(bits.get_code(bit::RATE, 4)),
            fine: bits.get(bit::FINE),
            mr: bits.get(bit::MR),
            max_width: Width::from_code(bits.get_code(bit::WIDTH, 2)).unwrap_or(Width::A4),
            max_length: Length::from_code(bits.get_code(bit::LENGTH, 2)).unwrap_or(Length::A4),
            scan_time: ScanTimeCapability::from_code(bits.get_code(bit::SCAN_TIME, 3)),
            uncompressed: bits.get(bit::UNCOMPRESSED),
            ecm: bits.get(bit::ECM),
            mmr: bits.get(bit::T6),
            superfine: bits.get(bit::SUPERFINE),
            r300: bits.get(bit::R300),
            r16: bits.get(bit::R16),
            inch_preferred: bits.get(bit::INCH),
            metric_preferred: bits.get(bit::METRIC),
            scan_time_halves_at_superfine: bits.get(bit::SCAN_TIME_HALF_SUPERFINE),
            letter: bits.get(bit::LETTER),
            legal: bits.get(bit::LEGAL),
            other,
        })
    }

    /// The bit map of this DIS: [`Dis::other`] with the typed fields written over it.
    pub fn to_bits(&self) -> FifBits {
        let mut bits = self.other;
        for b in DIS_TYPED {
            bits.set(b, false);
        }
        bits.set(bit::T37, self.t37);
        bits.set(bit::T38, self.t38);
        bits.set(bit::V8, self.v8);
        bits.set(bit::FRAME_SIZE_64_PREFERRED, self.prefers_64_octet_frames);
        bits.set(bit::READY_TO_TRANSMIT, self.ready_to_transmit);
        bits.set(bit::RECEIVE_FAX, self.ready_to_receive);
        bits.set_code(bit::RATE, 4, self.modems.code());
        bits.set(bit::FINE, self.fine);
        bits.set(bit::MR, self.mr);
        bits.set_code(bit::WIDTH, 2, self.max_width.code());
        bits.set_code(bit::LENGTH, 2, self.max_length.code());
        bits.set_code(bit::SCAN_TIME, 3, self.scan_time.code());
        bits.set(bit::UNCOMPRESSED, self.uncompressed);
        bits.set(bit::ECM, self.ecm);
        bits.set(bit::T6, self.mmr);
        bits.set(bit::SUPERFINE, self.superfine);
        bits.set(bit::R300, self.r300);
        bits.set(bit::R16, self.r16);
        bits.set(bit::INCH, self.inch_preferred);
        bits.set(bit::METRIC, self.metric_preferred);
        bits.set(bit::SCAN_TIME_HALF_SUPERFINE, self.scan_time_halves_at_superfine);
        bits.set(bit::LETTER, self.letter);
        bits.set(bit::LEGAL, self.legal);
        bits
    }

    /// The information field: as few octets as hold every set bit (at least three, and
    /// at least as many as were received).
    pub fn encode(&self) -> Vec<u8> {
        self.to_bits().encode()
    }

    /// The rates the offered modems allow.
    pub fn supported_rates(&self) -> RateSet {
        self.modems.rates()
    }

    /// The best rate both this terminal and `peer` support, by [`Rate::LADDER`].
    pub fn best_common_rate(&self, peer: &Dis) -> Option<Rate> {
        self.supported_rates().intersection(peer.supported_rates()).best()
    }

    /// Whether a page at `density` may be sent to this terminal. The inch-based
    /// variants of the metric resolutions count only with [`Dis::inch_preferred`]; the
    /// resolutions from 600 × 600 on are read from their bits in [`Dis::other`].
    pub fn supports_density(&self, density: Density) -> bool {
        match density {
            Density::Standard => true,
            Density::Fine => self.fine,
            Density::Superfine => self.superfine,
            Density::R16Superfine => self.r16,
            Density::R200x100 => self.inch_preferred,
            Density::R200 => self.fine && self.inch_preferred,
            Density::R300 => self.r300,
            Density::R400 => self.r16 && self.inch_preferred,
            Density::R600 => self.other.get(bit::R600),
            Density::R1200 => self.other.get(bit::R1200),
            Density::R300x600 => self.other.get(bit::R300_600),
            Density::R400x800 => self.other.get(bit::R400_800),
            Density::R600x1200 => self.other.get(bit::R600_1200),
        }
    }

    /// Whether a page of `width` may be sent to this terminal.
    pub fn supports_width(&self, width: Width) -> bool {
        width <= self.max_width
    }

    /// Whether a page of `length` may be sent to this terminal.
    pub fn supports_length(&self, length: Length) -> bool {
        length <= self.max_length
    }

    /// Whether this terminal decodes `coding`: MH always, MR with bit 16, MMR with bit
    /// 31 and ECM (T.6 is only allowed in ECM).
    pub fn supports_coding(&self, coding: Coding) -> bool {
        match coding {
            Coding::Mh => true,
            Coding::Mr { .. } => self.mr,
            Coding::Mmr => self.mmr && self.ecm,
        }
    }

    /// The most compact coding both this terminal and `peer` support for a page at
    /// `density`: MMR if both have it and `use_ecm` (the call will run in ECM), else MR
    /// if both have it, else MH. MR gets T.4's K factor for the density.
    pub fn best_coding(&self, peer: &Dis, use_ecm: bool, density: Density) -> Coding {
        if use_ecm && self.supports_coding(Coding::Mmr) && peer.supports_coding(Coding::Mmr) {
            Coding::Mmr
        } else if self.mr && peer.mr {
            Coding::Mr { k: mr_k_factor(density) }
        } else {
            Coding::Mh
        }
    }

    /// The minimum scan line time this receiver needs at `density`, as a DCS can state
    /// it. T.30: the DIS code gives the time at 3.85 lines/mm; at 7.7 it is the same or
    /// half (per the code); at 15.4 and finer it is the 7.7 time or half of it (bit
    /// 46). A time DCS cannot express (2.5 ms) rounds up.
    pub fn min_scan_time(&self, density: Density) -> ScanTime {
        let standard_us = self.scan_time.standard_ms() * 1000;
        let fine_us = if self.scan_time.halves_at_fine() { standard_us / 2 } else { standard_us };
        let superfine_us = if self.scan_time_halves_at_superfine { fine_us / 2 } else { fine_us };
        ScanTime::at_least_us(match density.scan_class() {
            0 => standard_us,
            1 => fine_us,
            _ => superfine_us,
        })
    }
}

/// Bits of DCS that [`Dcs`] types; everything else stays in [`Dcs::other`].
const DCS_TYPED: [u16; 27] = [
    bit::RECEIVE_FAX,
    11,
    12,
    13,
    14,
    bit::FINE,
    bit::MR,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    bit::UNCOMPRESSED,
    bit::ECM,
    bit::ECM_FRAME_SIZE_64,
    bit::T6,
    bit::SUPERFINE,
    bit::R300,
    bit::R16,
    bit::INCH,
    bit::R600,
    bit::R1200,
    bit::R300_600,
    bit::R400_800,
    bit::R600_1200,
];

/// Bits that announce a coding other than MH, MR and MMR.
const OTHER_CODINGS: [u16; 5] = [bit::T43, bit::JPEG, bit::FULL_COLOUR, bit::T85, bit::T85_L0];

/// The settings a sender chooses for the next page or pages and announces in DCS:
/// T.30 Table 2 as it applies to DCS.
///
/// ```
/// use fax_t30::{Dcs, Density, Length, Rate, ScanTime};
/// use fax_image::Coding;
///
/// // SpanDSP's DCS for a fine MR page at V.17 14400 without ECM.
/// let dcs = Dcs::parse(&[0x00, 0xe2, 0x78]).unwrap();
/// assert_eq!(dcs.rate, Rate::V17_14400);
/// assert_eq!(dcs.density, Density::Fine);
/// assert_eq!(dcs.coding, Coding::Mr { k: 4 });
/// assert_eq!(dcs.length, Length::Unlimited);
/// assert_eq!(dcs.scan_time, ScanTime::Ms0);
/// assert_eq!(dcs.ecm, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dcs {
    /// Bit 10: receiver fax operation; set in every DCS that sends a fax.
    pub receive_fax: bool,
    /// Bits 11 to 14: the modem and speed.
    pub rate: Rate,
    /// Bits 15, 41 to 44 and 105 to 109: the resolution.
    pub density: Density,
    /// Bits 16 and 31: the coding. When parsing, MR gets T.4's K factor for the
    /// density; when encoding, K is not transmitted.
    pub coding: Coding,
    /// Bits 17 and 18: the recording width.
    pub width: Width,
    /// Bits 19 and 20: the recording length.
    pub length: Length,
    /// Bits 21 to 23: the minimum scan line time the sender keeps to.
    pub scan_time: ScanTime,
    /// Bit 26: uncompressed mode.
    pub uncompressed: bool,
    /// Bits 27 and 28: error correction mode and its frame size, `None` without ECM.
    pub ecm: Option<FrameSize>,
    /// Every other bit, by T.30 number, and the number of octets received.
    pub other: FifBits,
}

impl Dcs {
    /// Settings for `rate` with everything else at its simplest: standard resolution,
    /// MH, A4, A4 length, 20 ms, no ECM.
    pub fn new(rate: Rate) -> Dcs {
        Dcs {
            receive_fax: true,
            rate,
            density: Density::Standard,
            coding: Coding::Mh,
            width: Width::A4,
            length: Length::A4,
            scan_time: ScanTime::Ms20,
            uncompressed: false,
            ecm: None,
            other: FifBits::new(),
        }
    }

    /// Reads the information field of a DCS frame.
    ///
    /// Errors for what the receiver cannot act on: an empty field, a rate code that
    /// names no V.27 ter, V.29 or V.17 speed, and the invalid width and length codes.
    /// Tolerated and normalised: several resolution bits at once (the finest wins: some
    /// terminals set bit 15 together with bit 41), MR and MMR together (MMR wins), a
    /// frame-size bit without ECM (ignored), and the scan time codes only DIS defines
    /// (read as their standard-resolution time).
    pub fn parse(fif: &[u8]) -> Result<Dcs, Error> {
        if fif.is_empty() {
            return Err(Error::FifTooShort { signal: "DCS", len: 0, min: 1 });
        }
        let bits = FifBits::parse(fif);
        let rate_code = bits.get_code(bit::RATE, 4);
        let rate = Rate::from_dcs_code(rate_code).ok_or(Error::BadRateCode(rate_code))?;
        let width = Width::from_code(bits.get_code(bit::WIDTH, 2)).ok_or(Error::BadWidthCode)?;
        let length = Length::from_code(bits.get_code(bit::LENGTH, 2)).ok_or(Error::BadLengthCode)?;
        let density = Density::ALL
            .into_iter()
            .filter(|d| *d != Density::Standard && d.dcs_bits().iter().all(|&b| bits.get(b)))
            .max_by_key(|d| {
                let r = d.resolution();
                // Finest first; between a metric density and its inch twin (same
                // resolution class), the one with more matching bits, i.e. the twin
                // whose bit 44 is really there.
                (r.y_dpi, r.x_dpi, d.dcs_bits().len())
            })
            .unwrap_or(Density::Standard);
        let coding = if bits.get(bit::T6) {
            Coding::Mmr
        } else if bits.get(bit::MR) {
            Coding::Mr { k: mr_k_factor(density) }
        } else {
            Coding::Mh
        };
        let ecm = bits.get(bit::ECM).then(|| {
            if bits.get(bit::ECM_FRAME_SIZE_64) { FrameSize::Octets64 } else { FrameSize::Octets256 }
        });
        let mut other = bits;
        for b in DCS_TYPED {
            other.set(b, false);
        }
        Ok(Dcs {
            receive_fax: bits.get(bit::RECEIVE_FAX),
            rate,
            density,
            coding,
            width,
            length,
            scan_time: ScanTime::from_code(bits.get_code(bit::SCAN_TIME, 3)),
            uncompressed: bits.get(bit::UNCOMPRESSED),
            ecm,
            other,
        })
    }

    /// The bit map of this DCS: [`Dcs::other`] with the typed fields written over it.
    pub fn to_bits(&self) -> FifBits {
        let mut bits = self.other;
        for b in DCS_TYPED {
            bits.set(b, false);
        }
        bits.set(bit::RECEIVE_FAX, self.receive_fax);
        bits.set_code(bit::RATE, 4, self.rate.dcs_code());
        for &b in self.density.dcs_bits() {
            bits.set(b, true);
        }
        match self.coding {
            Coding::Mh => {}
            Coding::Mr { .. } => bits.set(bit::MR, true),
            Coding::Mmr => bits.set(bit::T6, true),
        }
        bits.set_code(bit::WIDTH, 2, self.width.code());
        bits.set_code(bit::LENGTH, 2, self.length.code());
        bits.set_code(bit::SCAN_TIME, 3, self.scan_time.code());
        bits.set(bit::UNCOMPRESSED, self.uncompressed);
        if let Some(size) = self.ecm {
            bits.set(bit::ECM, true);
            bits.set(bit::ECM_FRAME_SIZE_64, size == FrameSize::Octets64);
        }
        bits
    }

    /// The information field, as few octets as hold every set bit (at least three, and
    /// at least as many as were received).
    pub fn encode(&self) -> Vec<u8> {
        self.to_bits().encode()
    }

    /// Whether [`Dcs::other`] announces a coding this crate does not type (T.43, JPEG,
    /// colour, T.85): then [`Dcs::coding`] does not describe the page data.
    pub fn uses_other_coding(&self) -> bool {
        OTHER_CODINGS.iter().any(|&b| self.other.get(b))
    }

    /// Fill bits each coded row needs so that it lasts [`Dcs::scan_time`] at
    /// [`Dcs::rate`]: the `min_row_bits` of `fax_image::EncodeOptions` without ECM.
    /// In ECM the scan time does not apply (T.4 Annex A), so this is 0.
    pub fn min_row_bits(&self) -> u32 {
        if self.ecm.is_some() { 0 } else { self.scan_time.min_row_bits(self.rate) }
    }
}
