//! The error correction mode signals of T.4 Annex A and T.30 Annex A.
//!
//! In ECM the sender cuts the coded page into frames of 256 (or 64) octets, numbered
//! from 0 within a *block* of at most 256 frames, sends them as [`Fcd`] frames on the
//! image modem and ends the block with three RCP frames. It then asks, with PPS
//! ([`PartialPage`]), which frames arrived; the receiver answers MCF or PPR with a
//! [`FrameMap`] of the frames to send again. After four unsuccessful attempts the
//! sender either continues at the same or a lower speed ([`Ctc`]) or gives up on the
//! block (EOR).

use std::fmt;

use crate::{Error, Rate};

/// The size of the data in each ECM frame (DCS bit 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrameSize {
    /// 256 octets, the usual size.
    #[default]
    Octets256,
    /// 64 octets, for poor lines.
    Octets64,
}

impl FrameSize {
    /// The number of data octets per frame.
    pub fn octets(self) -> usize {
        match self {
            FrameSize::Octets256 => 256,
            FrameSize::Octets64 => 64,
        }
    }
}

/// The most frames in a block: frame numbers are one octet.
pub const MAX_FRAMES_PER_BLOCK: u16 = 256;

/// The information field of an FCD (facsimile coded data) frame: its number within
/// the block and a slice of the coded page.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fcd {
    /// The frame's number within its block, 0 to 255.
    pub frame_number: u8,
    /// The coded data, at most 256 octets (T.4 A.3.6: every frame of a block carries
    /// the negotiated size; the last frame of a page may be shorter).
    pub data: Vec<u8>,
}

impl Fcd {
    /// Reads an FCD information field: the frame number, then up to 256 data octets.
    pub fn parse(fif: &[u8]) -> Result<Fcd, Error> {
        let [frame_number, data @ ..] = fif else {
            return Err(Error::FifTooShort { signal: "FCD", len: 0, min: 1 });
        };
        if data.len() > 256 {
            return Err(Error::FifTooLong { signal: "FCD", len: fif.len(), max: 257 });
        }
        Ok(Fcd { frame_number: *frame_number, data: data.to_vec() })
    }

    /// The information field. Fails if the data is longer than 256 octets.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        if self.data.len() > 256 {
            return Err(Error::FcdTooLong { len: self.data.len() });
        }
        let mut out = Vec::with_capacity(1 + self.data.len());
        out.push(self.frame_number);
        out.extend_from_slice(&self.data);
        Ok(out)
    }
}

impl fmt::Debug for Fcd {
    /// The frame number and the data length; never the data, which is fax content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fcd")
            .field("frame_number", &self.frame_number)
            .field("len", &self.data.len())
            .finish()
    }
}

/// The counters of a PPS frame (after its FCF2, which is part of the
/// [`crate::Fcf::Pps`] value): which page and block the frames belong to and how many
/// there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialPage {
    /// The page counter, from 0 for the first page of the call, modulo 256.
    pub page: u8,
    /// The block counter, from 0 for the first block of the page, modulo 256.
    pub block: u8,
    /// The number of the last frame sent, i.e. the frame count minus one: T.30 counts
    /// frames from zero and carries 256 frames as 255. After a retransmission, SpanDSP
    /// counts only the frames sent again.
    pub last_frame: u8,
}

impl PartialPage {
    /// Counters for a block of `frames` frames (1 to 256); `None` outside that range.
    pub fn new(page: u8, block: u8, frames: u16) -> Option<PartialPage> {
        let last_frame = u8::try_from(frames.checked_sub(1)?).ok()?;
        Some(PartialPage { page, block, last_frame })
    }

    /// The number of frames, 1 to 256.
    pub fn frame_count(self) -> u16 {
        u16::from(self.last_frame) + 1
    }

    /// Reads the three octets after FCF2: page, block, frame count minus one. Extra
    /// octets are ignored.
    pub fn parse(fif: &[u8]) -> Result<PartialPage, Error> {
        match fif {
            [page, block, last_frame, ..] => {
                Ok(PartialPage { page: *page, block: *block, last_frame: *last_frame })
            }
            _ => Err(Error::FifTooShort { signal: "PPS", len: fif.len(), min: 3 }),
        }
    }

    /// The three octets after FCF2.
    pub fn encode(self) -> Vec<u8> {
        vec![self.page, self.block, self.last_frame]
    }
}

/// The 256-bit map of a PPR frame: one bit per frame number of the block, set for a
/// frame the receiver wants again. Frame *n* is bit *n mod 8* (least significant first,
/// as transmitted) of octet *n / 8*.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameMap {
    octets: [u8; 32],
}

impl Default for FrameMap {
    fn default() -> Self {
        Self::none()
    }
}

impl FrameMap {
    /// The length of a PPR information field.
    pub const LEN: usize = 32;

    /// A map requesting no frame.
    pub const fn none() -> FrameMap {
        FrameMap { octets: [0; 32] }
    }

    /// A map requesting every frame, as a receiver answers a block it got nothing of.
    pub const fn all() -> FrameMap {
        FrameMap { octets: [0xFF; 32] }
    }

    /// The map a receiver sends for a block of `frame_count` frames of which
    /// `received(n)` tells whether frame `n` arrived intact. Frame numbers beyond the
    /// block are marked too, as SpanDSP does: the sender ignores them.
    pub fn for_block(frame_count: u16, received: impl Fn(u8) -> bool) -> FrameMap {
        let mut map = FrameMap::all();
        for n in 0..frame_count.min(MAX_FRAMES_PER_BLOCK) {
            let n = n as u8;
            if received(n) {
                map.set(n, false);
            }
        }
        map
    }

    /// Whether frame `n` is requested.
    pub fn get(&self, n: u8) -> bool {
        self.octets[usize::from(n / 8)] & (1 << (n % 8)) != 0
    }

    /// Requests frame `n` or withdraws the request.
    pub fn set(&mut self, n: u8, requested: bool) {
        let octet = &mut self.octets[usize::from(n / 8)];
        if requested {
            *octet |= 1 << (n % 8);
        } else {
            *octet &= !(1 << (n % 8));
        }
    }

    /// The frames of a block of `frame_count` frames that must be sent again, in
    /// order. Bits beyond the block are ignored.
    pub fn frames_to_resend(&self, frame_count: u16) -> impl Iterator<Item = u8> + '_ {
        (0..frame_count.min(MAX_FRAMES_PER_BLOCK)).map(|n| n as u8).filter(move |&n| self.get(n))
    }

    /// How many frames of a block of `frame_count` frames are requested.
    pub fn count(&self, frame_count: u16) -> usize {
        self.frames_to_resend(frame_count).count()
    }

    /// Reads a PPR information field, which must be exactly 32 octets.
    pub fn parse(fif: &[u8]) -> Result<FrameMap, Error> {
        let octets: [u8; 32] = fif.try_into().map_err(|_| {
            if fif.len() < Self::LEN {
                Error::FifTooShort { signal: "PPR", len: fif.len(), min: Self::LEN }
            } else {
                Error::FifTooLong { signal: "PPR", len: fif.len(), max: Self::LEN }
            }
        })?;
        Ok(FrameMap { octets })
    }

    /// The 32-octet PPR information field.
    pub fn encode(&self) -> Vec<u8> {
        self.octets.to_vec()
    }

    /// The map as octets.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.octets
    }
}

impl fmt::Debug for FrameMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FrameMap")
            .field(&self.frames_to_resend(MAX_FRAMES_PER_BLOCK).collect::<Vec<_>>())
            .finish()
    }
}

/// The information field of CTC (continue to correct): the speed for the
/// retransmissions that follow, in DCS bits 11 to 14 of a two-octet field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ctc {
    /// The modem and speed from now on.
    pub rate: Rate,
}

impl Ctc {
    /// Reads a CTC information field: at least two octets, extra octets ignored.
    pub fn parse(fif: &[u8]) -> Result<Ctc, Error> {
        let [_, second, ..] = fif else {
            return Err(Error::FifTooShort { signal: "CTC", len: fif.len(), min: 2 });
        };
        // Bits 11 to 14 are the third to sixth bits of the second octet.
        let code = (second >> 2) & 0x0F;
        let rate = Rate::from_dcs_code(code).ok_or(Error::BadRateCode(code))?;
        Ok(Ctc { rate })
    }

    /// The two-octet information field, with only the rate bits set.
    pub fn encode(self) -> Vec<u8> {
        vec![0x00, self.rate.dcs_code() << 2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcd() {
        let fcd = Fcd::parse(&[0x07, 1, 2, 3]).unwrap();
        assert_eq!(fcd.frame_number, 7);
        assert_eq!(fcd.data, vec![1, 2, 3]);
        assert_eq!(fcd.encode().unwrap(), vec![0x07, 1, 2, 3]);
        assert_eq!(format!("{fcd:?}"), "Fcd { frame_number: 7, len: 3 }");
        assert!(Fcd::parse(&[]).is_err());
        assert!(Fcd::parse(&[0; 258]).is_err());
        assert!(Fcd::parse(&[0; 257]).is_ok());
        assert_eq!(Fcd { frame_number: 0, data: vec![0; 257] }.encode(), Err(Error::FcdTooLong { len: 257 }));
    }

    #[test]
    fn partial_page() {
        let pps = PartialPage::parse(&[0x01, 0x00, 0x2A]).unwrap();
        assert_eq!(pps, PartialPage { page: 1, block: 0, last_frame: 42 });
        assert_eq!(pps.frame_count(), 43);
        assert_eq!(PartialPage::new(3, 0, 256).unwrap().encode(), vec![3, 0, 0xFF]);
        assert_eq!(PartialPage::new(3, 0, 0), None);
        assert_eq!(PartialPage::new(3, 0, 257), None);
        assert!(PartialPage::parse(&[1, 2]).is_err());
    }

    #[test]
    fn frame_map_bit_order() {
        let mut map = FrameMap::none();
        map.set(0, true);
        map.set(9, true);
        map.set(255, true);
        let fif = map.encode();
        assert_eq!(fif[0], 0x01);
        assert_eq!(fif[1], 0x02);
        assert_eq!(fif[31], 0x80);
        assert_eq!(map.frames_to_resend(256).collect::<Vec<_>>(), vec![0, 9, 255]);
        assert_eq!(map.frames_to_resend(10).collect::<Vec<_>>(), vec![0, 9]);
        assert_eq!(FrameMap::parse(&fif).unwrap(), map);
        assert!(FrameMap::parse(&fif[..31]).is_err());
        assert!(FrameMap::parse(&[0; 33]).is_err());
    }

    #[test]
    fn frame_map_for_block() {
        let map = FrameMap::for_block(10, |n| n != 3);
        assert_eq!(map.frames_to_resend(10).collect::<Vec<_>>(), vec![3]);
        // Beyond the block every bit is set.
        assert!(map.get(10) && map.get(255));
        assert_eq!(FrameMap::for_block(256, |_| true), FrameMap::none());
        assert_eq!(FrameMap::all().count(256), 256);
    }

    #[test]
    fn ctc() {
        let ctc = Ctc { rate: Rate::V29_9600 };
        assert_eq!(ctc.encode(), vec![0x00, 0x04]);
        assert_eq!(Ctc::parse(&ctc.encode()).unwrap(), ctc);
        assert_eq!(Ctc::parse(&[0x00, 0x3C]), Err(Error::BadRateCode(0x0F)));
        assert!(Ctc::parse(&[0x00]).is_err());
    }
}
