//! ECM bookkeeping (T.4 Annex A, T.30 Annex A): cutting a coded page into frames and
//! blocks on the sending side, collecting frames into blocks and blocks into a page
//! on the receiving side.

use crate::Frame;
use crate::ecm::{Fcd, FrameMap, MAX_FRAMES_PER_BLOCK};
use crate::{Fcf, ecm::PartialPage};

/// The frames of one coded page, in blocks of at most 256 frames.
#[derive(Debug, Clone)]
pub(crate) struct PageFrames {
    data: Vec<u8>,
    frame_size: usize,
    frames: usize,
}

impl PageFrames {
    pub(crate) fn new(data: Vec<u8>, frame_size: usize) -> PageFrames {
        let frame_size = frame_size.clamp(1, 256);
        // An empty page still needs one (empty) frame so that the block exists.
        let frames = data.len().div_ceil(frame_size).max(1);
        PageFrames { data, frame_size, frames }
    }

    pub(crate) fn blocks(&self) -> usize {
        self.frames.div_ceil(usize::from(MAX_FRAMES_PER_BLOCK))
    }

    /// How many frames block `block` has (1 to 256).
    pub(crate) fn frames_in_block(&self, block: usize) -> u16 {
        let per = usize::from(MAX_FRAMES_PER_BLOCK);
        let start = block * per;
        self.frames.saturating_sub(start).min(per) as u16
    }

    /// The data of frame `number` of block `block`.
    fn frame_data(&self, block: usize, number: u8) -> &[u8] {
        let index = block * usize::from(MAX_FRAMES_PER_BLOCK) + usize::from(number);
        let start = (index * self.frame_size).min(self.data.len());
        let end = (start + self.frame_size).min(self.data.len());
        &self.data[start..end]
    }

    /// The FCD frames `numbers` of block `block` followed by three RCP frames, all
    /// with control 0x03 as T.4 Annex A frames them.
    pub(crate) fn block_frames(
        &self,
        block: usize,
        numbers: impl Iterator<Item = u8>,
        x: bool,
    ) -> Vec<Frame> {
        let mut out: Vec<Frame> = numbers
            .map(|n| {
                let fcd = Fcd { frame_number: n, data: self.frame_data(block, n).to_vec() };
                // Frame data never exceeds 256 octets (the frame size is clamped).
                let fif = fcd.encode().unwrap_or_default();
                Frame::with_fif(Fcf::Fcd, x, fif).not_final()
            })
            .collect();
        for _ in 0..3 {
            out.push(Frame::new(Fcf::Rcp, x).not_final());
        }
        out
    }
}

/// The receiving side: the frames of the current block and the blocks of the page
/// so far.
#[derive(Debug, Default)]
pub(crate) struct BlockCollector {
    frames: Vec<Option<Vec<u8>>>,
    /// The page so far: confirmed blocks, in order.
    pub(crate) page: Vec<u8>,
    /// (page, block) counters of the block being collected, once a PPS named it, and
    /// its frame count from that first PPS.
    pub(crate) current: Option<((u8, u8), u16)>,
    /// (page, block) of the last block confirmed with MCF or ERR.
    pub(crate) confirmed: Option<(u8, u8)>,
    /// Whether frames arrived since the last response.
    pub(crate) fresh: bool,
    /// Whether a block of this page was given up with EOR.
    pub(crate) damaged: bool,
    /// PPRs sent for the current block.
    pub(crate) pprs_in_block: u32,
    /// PPRs sent for this page, and frames requested again.
    pub(crate) pprs_in_page: u32,
    pub(crate) frames_requested: u32,
    /// Octets received and dropped because the page outgrew its limit.
    pub(crate) overflow: bool,
}

impl BlockCollector {
    /// Stores an FCD frame (first copy wins; a retransmission carries the same data).
    pub(crate) fn store(&mut self, fcd: Fcd) {
        if self.frames.len() < usize::from(MAX_FRAMES_PER_BLOCK) {
            self.frames.resize(usize::from(MAX_FRAMES_PER_BLOCK), None);
        }
        let slot = &mut self.frames[usize::from(fcd.frame_number)];
        if slot.is_none() {
            *slot = Some(fcd.data);
        }
        self.fresh = true;
    }

    fn has(&self, n: u8) -> bool {
        self.frames.get(usize::from(n)).is_some_and(Option::is_some)
    }

    /// The frame count of the block a PPS names: from the first PPS for that block,
    /// because a sender may count only the frames it resent in later ones.
    pub(crate) fn block_count(&mut self, pps: PartialPage) -> u16 {
        let id = (pps.page, pps.block);
        match self.current {
            Some((current, count)) if current == id => count,
            _ => {
                let count = pps.frame_count();
                self.current = Some((id, count));
                count
            }
        }
    }

    /// The frames of a block of `count` frames still missing, as a PPR map.
    pub(crate) fn missing(&self, count: u16) -> Option<FrameMap> {
        let map = FrameMap::for_block(count, |n| self.has(n));
        (map.count(count) > 0).then_some(map)
    }

    /// Appends the block's frames (those present) to the page, up to `max_bytes`, and
    /// starts a new block.
    pub(crate) fn accept_block(&mut self, count: u16, max_bytes: usize) {
        for n in 0..count.min(MAX_FRAMES_PER_BLOCK) {
            if let Some(Some(data)) = self.frames.get(usize::from(n)) {
                if self.page.len() + data.len() > max_bytes {
                    self.overflow = true;
                    break;
                }
                self.page.extend_from_slice(data);
            }
        }
        self.confirmed = self.current.map(|(id, _)| id);
        self.current = None;
        self.frames.clear();
        self.fresh = false;
        self.pprs_in_block = 0;
    }

    /// Starts a new page.
    pub(crate) fn reset_page(&mut self) {
        let confirmed = self.confirmed;
        *self = BlockCollector { confirmed, ..BlockCollector::default() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_pages_into_blocks() {
        let data: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
        let frames = PageFrames::new(data.clone(), 64);
        assert_eq!(frames.blocks(), 1);
        assert_eq!(frames.frames_in_block(0), 10);
        let block = frames.block_frames(0, 0..10u8, true);
        assert_eq!(block.len(), 13);
        assert_eq!(block[9].fif.len(), 1 + 600 - 9 * 64);
        assert!(block.iter().all(|f| !f.final_frame));
        let big = PageFrames::new(vec![0; 256 * 300], 256);
        assert_eq!(big.blocks(), 2);
        assert_eq!(big.frames_in_block(1), 44);
        assert_eq!(PageFrames::new(Vec::new(), 256).frames_in_block(0), 1);
    }

    #[test]
    fn collects_blocks() {
        let mut c = BlockCollector::default();
        c.store(Fcd { frame_number: 0, data: vec![1, 2] });
        c.store(Fcd { frame_number: 2, data: vec![5] });
        let pps = PartialPage { page: 0, block: 0, last_frame: 2 };
        let count = c.block_count(pps);
        assert_eq!(count, 3);
        assert_eq!(c.missing(count).unwrap().frames_to_resend(3).collect::<Vec<_>>(), vec![1]);
        // A later PPS counting only the resent frame does not shrink the block.
        assert_eq!(c.block_count(PartialPage { page: 0, block: 0, last_frame: 0 }), 3);
        c.store(Fcd { frame_number: 1, data: vec![3, 4] });
        assert!(c.missing(count).is_none());
        c.accept_block(count, 1000);
        assert_eq!(c.page, vec![1, 2, 3, 4, 5]);
        assert_eq!(c.confirmed, Some((0, 0)));
    }
}
