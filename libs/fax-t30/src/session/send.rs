//! The transmitting side: from the receiver's DIS (or DTC) to the last page.
//!
//! - **Negotiation.** On DIS the sender takes the best rate both sides have (within
//!   [`super::Config::rates`]), ECM if both offer it, the most compact common coding
//!   (MMR only with ECM), the page's resolution or the reduction described in
//!   [`super::prepare`], the page's width, the receiver's longest length and its
//!   minimum scan line time. It sends TSI (if configured) and DCS, then TCF.
//! - **Training.** CFR starts the page. FTT moves to the next lower rate both sides
//!   have ([`crate::RateSet::next_lower`]); FTT at the lowest ends the call with
//!   `TrainingFailed`. A DIS instead of CFR means the receiver missed our DCS, so DCS
//!   and TCF are sent again (as a try of the same command).
//! - **Non-ECM pages.** Each page is coded with `fax_image::encode` in T.4 line form
//!   with the fill the scan time needs, sent, and followed by MPS (the next page has
//!   the same settings), EOM (the next page needs a different resolution or width, so
//!   phase B is run again) or EOP (last page). MCF moves on; RTP moves on after a
//!   retrain; RTN retrains one rate lower (if there is one) and sends the page again,
//!   once: a second RTN for the same page ends with `PageRejected`.
//! - **ECM pages.** The page is coded without fill (MMR with EOFB; MH and MR keep
//!   their RTC so that any decoder finds the end of the page), cut into frames of the
//!   negotiated size and blocks of up to 256 frames. Each block is followed by PPS
//!   with the page, block and frame counters; PPS-NULL between blocks of a page. PPR
//!   makes the sender resend the frames it names; the fourth, eighth, … PPR for the
//!   same block makes it fall back a rate with CTC (answered by CTR) while
//!   [`super::Config::ecm_max_ctc`] allows and a lower rate exists, and otherwise end
//!   the block with EOR, answered by ERR, after which the call ends with
//!   `EcmRetransmissionLimit` (the page is known to be damaged). RNR is answered by
//!   RR polling until T5.

use std::time::{Duration, Instant};

use fax_image::{EncodeOptions, Page};

use super::ecm::PageFrames;
use super::outcome::{DocumentProblem, Failure, Incompatibility, Negotiated, PageStats, Phase};
use super::prepare::{page_format, reduce, target_density};
use super::{Event, Session, State, TCF_DURATION, Transmit};
use crate::ecm::{Ctc, FrameMap, FrameSize, PartialPage};
use crate::{Dcs, Density, Dis, Fcf, Frame, PostMessage, Rate, RateSet, Width};

/// The coded form of the page being sent.
#[derive(Debug)]
struct Coded {
    index: usize,
    dcs: Dcs,
    data: Vec<u8>,
    rows: u32,
    density: Density,
}

/// ECM progress through the page being sent.
#[derive(Debug)]
struct EcmPage {
    frames: PageFrames,
    block: usize,
    pprs_in_block: u32,
    ctc_in_block: u8,
    /// The frames the last PPR asked for, resent after CTR.
    pending: FrameMap,
    /// The rate a CTC proposed.
    ctc_rate: Option<Rate>,
    pprs: u32,
    repeated: u32,
}

/// What the transmitting side keeps.
#[derive(Debug, Default)]
pub(super) struct Sender {
    pages: Vec<Page>,
    /// The page being sent (or next to send).
    next: usize,
    /// The receiver's capabilities.
    peer: Option<Dis>,
    /// Rates both sides have.
    common: RateSet,
    dcs: Option<Dcs>,
    coded: Option<Coded>,
    /// Whether the current page was answered RTN once already.
    rejected_once: bool,
    resends: u32,
    /// Whether a training has happened (later ones count as retrains).
    trained: bool,
    ecm: Option<EcmPage>,
    /// Pages confirmed so far (the PPS page counter).
    confirmed: usize,
}

impl Sender {
    pub(super) fn new(pages: Vec<Page>) -> Sender {
        Sender { pages, ..Sender::default() }
    }

    /// Whether the document can be sent to anyone: it has pages, and each has a
    /// resolution and width T.30 can name.
    pub(super) fn check_document(&self, sends: bool) -> Result<(), Failure> {
        if !sends {
            return Ok(());
        }
        if self.pages.is_empty() {
            return Err(Failure::DocumentUnsupported { problem: DocumentProblem::NoPages, page: 0 });
        }
        for (page, p) in self.pages.iter().enumerate() {
            match page_format(p) {
                (None, _) => {
                    return Err(Failure::DocumentUnsupported { problem: DocumentProblem::Resolution, page });
                }
                (_, None) => {
                    return Err(Failure::DocumentUnsupported { problem: DocumentProblem::Width, page });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The resolution (with its reduction factor) and width page `index` goes at to
    /// `peer`, or why it cannot.
    fn format_for(&self, index: usize, peer: &Dis) -> Result<(Density, u32, Width), Incompatibility> {
        let page = self.pages.get(index).ok_or(Incompatibility::Resolution)?;
        let (Some(density), Some(width)) = page_format(page) else {
            return Err(Incompatibility::Resolution);
        };
        let (target, factor) = target_density(density, peer).ok_or(Incompatibility::Resolution)?;
        if !peer.supports_width(width) {
            return Err(Incompatibility::Width);
        }
        Ok((target, factor, width))
    }

    /// The post-message command after page `index`: EOP after the last page, MPS if
    /// the next page goes with the same DCS, EOM if it needs another.
    fn post_message(&self, index: usize) -> PostMessage {
        if index + 1 >= self.pages.len() {
            return PostMessage::Eop;
        }
        let Some(peer) = &self.peer else { return PostMessage::Eom };
        match (self.format_for(index, peer), self.format_for(index + 1, peer)) {
            (Ok((d1, _, w1)), Ok((d2, _, w2))) if d1 == d2 && w1 == w2 => PostMessage::Mps,
            _ => PostMessage::Eom,
        }
    }
}

impl Session {
    /// A message while we send (or wait for DIS). Returns whether it was expected.
    pub(super) fn tx_message(&mut self, message: &[Frame], now: Instant) -> bool {
        let Some(last) = message.last() else { return true };
        match (self.state, last.fcf) {
            (State::WaitDis { .. }, Fcf::Dis) => self.on_dis(message, now),
            // The receiver repeats DIS when it missed our DCS: send it again.
            (State::TxWaitCfr, Fcf::Dis) => {
                self.repeat_command(now);
                true
            }
            (State::TxWaitCfr, Fcf::Cfr) => {
                self.on_cfr(now);
                true
            }
            (State::TxWaitCfr, Fcf::Ftt) => {
                self.on_ftt(now);
                true
            }
            (State::TxWaitPageResponse, Fcf::Mcf | Fcf::Pip) => {
                self.page_confirmed(false, now);
                true
            }
            (State::TxWaitPageResponse, Fcf::Rtp) => {
                self.page_confirmed(true, now);
                true
            }
            (State::TxWaitPageResponse, Fcf::Rtn | Fcf::Pin) => {
                self.page_rejected(now);
                true
            }
            (State::TxEcmWaitResponse, Fcf::Mcf) => {
                self.t5 = None;
                self.ecm_block_confirmed(now);
                true
            }
            (State::TxEcmWaitResponse, Fcf::Ppr) => match FrameMap::parse(&last.fif) {
                Ok(map) => {
                    self.t5 = None;
                    self.ecm_ppr(map, now);
                    true
                }
                Err(_) => {
                    self.repeat_command(now);
                    true
                }
            },
            (State::TxEcmWaitCtr, Fcf::Ctr) => {
                self.t5 = None;
                self.ecm_ctr(now);
                true
            }
            (State::TxEcmWaitErr, Fcf::Err) => {
                let page = self.tx.next;
                self.fail(Failure::EcmRetransmissionLimit { page }, true, now);
                true
            }
            (State::TxEcmWaitResponse | State::TxEcmWaitCtr | State::TxEcmWaitErr, Fcf::Rnr) => {
                self.ecm_rnr(now);
                true
            }
            _ => false,
        }
    }

    /// DIS while waiting for it: negotiate and train (sending), or poll (receiving).
    fn on_dis(&mut self, message: &[Frame], now: Instant) -> bool {
        let Some(last) = message.last() else { return false };
        let Ok(dis) = Dis::parse(&last.fif) else { return false };
        self.note_remote(message);
        self.t1 = None;
        self.out.clear();
        self.set_phase(Phase::B);
        if self.config.sends() {
            if !dis.ready_to_receive {
                self.fail(Failure::Incompatible(Incompatibility::RemoteCannotReceive), true, now);
                return true;
            }
            self.tx_start(dis, now);
        } else if dis.ready_to_transmit {
            // Polling: ask the answerer to send, and wait for its DCS as a receiver.
            let frames = self.capability_frames(true);
            self.state = State::WaitDcs { repeat: true };
            self.t1 = Some(now + self.config.timers.t1);
            self.send_command(vec![Transmit::V21Frames(frames)]);
        } else {
            self.fail(Failure::Incompatible(Incompatibility::RemoteHasNothingToSend), true, now);
        }
        true
    }

    /// Starts sending to a terminal with capabilities `peer` (its DIS, or its DTC when
    /// it polls us): negotiate, then DCS and TCF.
    pub(super) fn tx_start(&mut self, peer: Dis, now: Instant) {
        self.tx.peer = Some(peer);
        match self.negotiate(&peer) {
            Ok(dcs) => {
                self.tx.dcs = Some(dcs);
                self.announce(dcs);
                self.send_training();
            }
            Err(why) => self.fail(Failure::Incompatible(why), true, now),
        }
    }

    /// The DCS for the next page.
    fn negotiate(&mut self, peer: &Dis) -> Result<Dcs, Incompatibility> {
        let (density, _, width) = self.tx.format_for(self.tx.next, peer)?;
        let common = self.config.rates.intersection(peer.supported_rates());
        self.tx.common = common;
        let rate = common.best().ok_or(Incompatibility::NoCommonRate)?;
        let local = self.config.local_capabilities();
        let ecm = self.config.ecm && peer.ecm;
        let coding = local.best_coding(peer, ecm, density);
        let frame_size =
            if peer.prefers_64_octet_frames { FrameSize::Octets64 } else { self.config.ecm_frame_size };
        Ok(Dcs {
            density,
            coding,
            width,
            length: peer.max_length,
            scan_time: peer.min_scan_time(density),
            ecm: ecm.then_some(frame_size),
            ..Dcs::new(rate)
        })
    }

    fn announce(&mut self, dcs: Dcs) {
        let negotiated = Negotiated {
            rate: dcs.rate,
            coding: dcs.coding,
            density: dcs.density,
            width: dcs.width,
            ecm: dcs.ecm,
        };
        self.stats.negotiated = Some(negotiated);
        self.events.push_back(Event::Negotiated(negotiated));
    }

    /// TSI, DCS, then TCF; waits for CFR or FTT.
    fn send_training(&mut self) {
        let Some(dcs) = self.tx.dcs else { return };
        if self.tx.trained {
            self.stats.retrains += 1;
        }
        self.tx.trained = true;
        self.set_phase(Phase::B);
        let mut frames = Vec::new();
        if let Some(ident) = &self.config.ident {
            frames.push(self.frame_with(Fcf::Tsi, ident.encode()).not_final());
        }
        frames.push(self.frame_with(Fcf::Dcs, dcs.encode()));
        self.state = State::TxWaitCfr;
        self.send_command(vec![
            Transmit::V21Frames(frames),
            Transmit::Tcf { rate: dcs.rate, duration: TCF_DURATION },
        ]);
    }

    fn on_cfr(&mut self, now: Instant) {
        let Some(dcs) = self.tx.dcs else { return };
        self.events.push_back(Event::Training { rate: dcs.rate, ok: true });
        self.send_page(now);
    }

    fn on_ftt(&mut self, now: Instant) {
        let Some(mut dcs) = self.tx.dcs else { return };
        self.events.push_back(Event::Training { rate: dcs.rate, ok: false });
        match self.tx.common.next_lower(dcs.rate) {
            Some(lower) => {
                dcs.rate = lower;
                self.tx.dcs = Some(dcs);
                self.announce(dcs);
                self.send_training();
            }
            None => self.fail(Failure::TrainingFailed { lowest: dcs.rate }, true, now),
        }
    }

    /// Codes page `tx.next` for the current DCS (reusing the last coding if the
    /// settings are the same).
    fn code_page(&mut self) -> Result<(), Failure> {
        let Some(dcs) = self.tx.dcs else {
            return Err(Failure::Incompatible(Incompatibility::UnsupportedDcs));
        };
        let index = self.tx.next;
        if let Some(coded) = &self.tx.coded
            && coded.index == index
            && coded.dcs.coding == dcs.coding
            && coded.dcs.min_row_bits() == dcs.min_row_bits()
            && coded.dcs.ecm.is_some() == dcs.ecm.is_some()
            && coded.density == dcs.density
        {
            return Ok(());
        }
        let peer = self.tx.peer.unwrap_or_default();
        let problem = |p| Failure::DocumentUnsupported { problem: p, page: index };
        let (density, factor, _) =
            self.tx.format_for(index, &peer).map_err(|_| problem(DocumentProblem::Resolution))?;
        let page = self.tx.pages.get(index).ok_or(problem(DocumentProblem::NoPages))?;
        let prepared = reduce(page, factor, density);
        // In ECM no fill is needed (the minimum scan time does not apply); MH and MR
        // keep RTC and MMR gets EOFB, both of which t4_line adds.
        let options = EncodeOptions::t4_line(dcs.coding, dcs.min_row_bits());
        let data =
            fax_image::encode(&prepared, &options).map_err(|_| problem(DocumentProblem::Resolution))?;
        self.tx.coded = Some(Coded { index, dcs, data, rows: prepared.height(), density });
        Ok(())
    }

    /// Sends page `tx.next` (after CFR).
    fn send_page(&mut self, now: Instant) {
        if let Err(failure) = self.code_page() {
            self.fail(failure, true, now);
            return;
        }
        let (Some(dcs), Some(coded)) = (self.tx.dcs, &self.tx.coded) else { return };
        if let Some(size) = dcs.ecm {
            let frames = PageFrames::new(coded.data.clone(), size.octets());
            self.tx.ecm = Some(EcmPage {
                frames,
                block: 0,
                pprs_in_block: 0,
                ctc_in_block: 0,
                pending: FrameMap::none(),
                ctc_rate: None,
                pprs: 0,
                repeated: 0,
            });
            self.ecm_send_block(None);
            return;
        }
        let data = coded.data.clone();
        let pmc = self.tx.post_message(self.tx.next);
        self.queue_after_gap(Transmit::ImageNonEcm { rate: dcs.rate, data });
        let fcf = match pmc {
            PostMessage::Mps => Fcf::Mps,
            PostMessage::Eom => Fcf::Eom,
            _ => Fcf::Eop,
        };
        self.state = State::TxWaitPageResponse;
        self.send_command(vec![Transmit::V21Frames(vec![self.frame(fcf)])]);
    }

    /// MCF (or RTP, with `retrain`) for the current page: count it and go on.
    fn page_confirmed(&mut self, retrain: bool, now: Instant) {
        self.set_phase(Phase::D);
        let index = self.tx.next;
        let pmc = self.tx.post_message(index);
        if let (Some(dcs), Some(coded)) = (self.tx.dcs, &self.tx.coded) {
            let (pprs, repeated) = self.tx.ecm.as_ref().map_or((0, 0), |e| (e.pprs, e.repeated));
            let stats = PageStats {
                index,
                rate: dcs.rate,
                coding: dcs.coding,
                density: coded.density,
                coded_bytes: coded.data.len(),
                rows: coded.rows,
                bad_rows: 0,
                resends: self.tx.resends,
                pprs,
                frames_repeated: repeated,
            };
            self.stats.pages_sent += 1;
            self.stats.pages.push(stats);
            self.events.push_back(Event::PageSent { index, stats });
        }
        self.tx.next += 1;
        self.tx.confirmed += 1;
        self.tx.rejected_once = false;
        self.tx.resends = 0;
        self.tx.coded = None;
        self.tx.ecm = None;
        match pmc {
            PostMessage::Eop => self.finish(Ok(()), true, now),
            PostMessage::Eom => {
                // Back to phase B: the receiver sends DIS again, which we answer with
                // a DCS for the next pages.
                self.set_phase(Phase::B);
                self.state = State::WaitDis { cng: false };
                self.t1 = Some(now + self.config.timers.t1);
                self.alarm = None;
                self.alarm_after_send = None;
            }
            _ if retrain => self.send_training(),
            _ => self.send_page(now),
        }
    }

    /// RTN for the current page: retrain (a rate lower when possible) and send it
    /// again, once.
    fn page_rejected(&mut self, now: Instant) {
        self.set_phase(Phase::D);
        if self.tx.rejected_once {
            let page = self.tx.next;
            self.fail(Failure::PageRejected { page }, true, now);
            return;
        }
        self.tx.rejected_once = true;
        self.tx.resends += 1;
        if let Some(mut dcs) = self.tx.dcs
            && let Some(lower) = self.tx.common.next_lower(dcs.rate)
        {
            // RTN says the line spoilt the page; a lower rate is more robust.
            dcs.rate = lower;
            self.tx.dcs = Some(dcs);
            self.announce(dcs);
        }
        self.send_training();
    }

    // ---- ECM ----------------------------------------------------------------------

    /// Sends the current block: every frame, or those `map` asks for; then PPS.
    fn ecm_send_block(&mut self, map: Option<FrameMap>) {
        let Some(dcs) = self.tx.dcs else { return };
        let pmc = self.tx.post_message(self.tx.next);
        let page_counter = self.tx.confirmed as u8;
        let x = self.x;
        let Some(ecm) = &mut self.tx.ecm else { return };
        let block = ecm.block;
        let count = ecm.frames.frames_in_block(block);
        let frames = match map {
            None => ecm.frames.block_frames(block, 0..=count.saturating_sub(1) as u8, x),
            Some(map) => {
                let numbers: Vec<u8> = map.frames_to_resend(count).collect();
                ecm.repeated += numbers.len() as u32;
                ecm.frames.block_frames(block, numbers.into_iter(), x)
            }
        };
        let last_block = block + 1 >= ecm.frames.blocks();
        let post = if last_block { pmc } else { PostMessage::Null };
        // The counters name the whole block even in a retransmission, so that a
        // receiver sizing the block from any PPS gets it right.
        let counters = PartialPage::new(page_counter, block as u8, count).unwrap_or(PartialPage {
            page: page_counter,
            block: block as u8,
            last_frame: 0,
        });
        self.queue_after_gap(Transmit::ImageEcm { rate: dcs.rate, frames });
        let pps = self.frame_with(Fcf::Pps(post), counters.encode());
        self.state = State::TxEcmWaitResponse;
        self.send_command(vec![Transmit::V21Frames(vec![pps])]);
    }

    fn ecm_block_confirmed(&mut self, now: Instant) {
        self.set_phase(Phase::D);
        let Some(ecm) = &mut self.tx.ecm else { return };
        ecm.block += 1;
        ecm.pprs_in_block = 0;
        ecm.ctc_in_block = 0;
        if ecm.block < ecm.frames.blocks() {
            self.ecm_send_block(None);
        } else {
            self.page_confirmed(false, now);
        }
    }

    fn ecm_ppr(&mut self, map: FrameMap, now: Instant) {
        self.set_phase(Phase::D);
        let max_ctc = self.config.ecm_max_ctc;
        let rate = self.tx.dcs.map(|d| d.rate);
        let lower = rate.and_then(|r| self.tx.common.next_lower(r));
        let pmc = self.tx.post_message(self.tx.next);
        let Some(ecm) = &mut self.tx.ecm else { return };
        let count = ecm.frames.frames_in_block(ecm.block);
        if map.count(count) == 0 {
            // A PPR that asks for nothing is not a valid answer: ask again.
            self.repeat_command(now);
            return;
        }
        self.stats.pprs += 1;
        ecm.pprs += 1;
        ecm.pprs_in_block += 1;
        if !ecm.pprs_in_block.is_multiple_of(4) {
            self.ecm_send_block(Some(map));
            return;
        }
        ecm.pending = map;
        if ecm.ctc_in_block < max_ctc
            && let Some(lower) = lower
        {
            ecm.ctc_in_block += 1;
            ecm.ctc_rate = Some(lower);
            let ctc = self.frame_with(Fcf::Ctc, Ctc { rate: lower }.encode());
            self.state = State::TxEcmWaitCtr;
            self.send_command(vec![Transmit::V21Frames(vec![ctc])]);
        } else {
            let last_block = ecm.block + 1 >= ecm.frames.blocks();
            let post = if last_block { pmc } else { PostMessage::Null };
            let eor = self.frame(Fcf::Eor(post));
            self.state = State::TxEcmWaitErr;
            self.send_command(vec![Transmit::V21Frames(vec![eor])]);
        }
    }

    fn ecm_ctr(&mut self, _now: Instant) {
        let Some(ecm) = &mut self.tx.ecm else { return };
        let pending = ecm.pending;
        if let (Some(rate), Some(mut dcs)) = (ecm.ctc_rate.take(), self.tx.dcs) {
            dcs.rate = rate;
            self.tx.dcs = Some(dcs);
            self.stats.retrains += 1;
            self.announce(dcs);
        }
        self.ecm_send_block(Some(pending));
    }

    /// RNR: the receiver is busy. Poll it with RR until it answers otherwise, for at
    /// most T5 from the first RNR.
    fn ecm_rnr(&mut self, now: Instant) {
        if self.t5.is_none() {
            self.t5 = Some(now + self.config.timers.t5);
        }
        // A short pause between polls keeps the exchange from monopolising the line.
        let rr = self.frame(Fcf::Rr);
        self.queue(Transmit::Silence(Duration::from_millis(500)));
        self.send_command(vec![Transmit::V21Frames(vec![rr])]);
    }
}
