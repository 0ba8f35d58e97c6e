//! The receiving side: from our DIS (or DTC) to the last page.
//!
//! - **DCS.** A DCS is accepted when it stays within what our DIS offered (modem,
//!   coding, resolution, width, ECM) and names no coding this engine lacks; otherwise
//!   the call ends with `Incompatible(UnsupportedDcs)`. TSI and NSS before it are
//!   recorded.
//! - **TCF.** The training check is good when the image carrier came at the DCS rate
//!   and the longest run of zero octets in it lasts at least
//!   [`super::Config::tcf_min_zero_run`] at that rate (1 s of the 1.5 s by default).
//!   Good → CFR; otherwise FTT and the sender falls back a rate.
//! - **Non-ECM pages.** The image octets are collected (up to
//!   [`super::Config::max_page_bytes`]) until the carrier drops, then decoded with
//!   `fax_image::decode` (LSB-first, the DCS width). The post-message command is
//!   answered by the copy-quality rule ([`super::CopyQuality`]): MCF, RTP or RTN. The
//!   page is delivered with its verdict ([`super::Event::PageReceived`]).
//! - **ECM pages.** FCD frames with a good FCS are kept by frame number; at PPS the
//!   block's frame count (from the first PPS naming that block) decides: all present →
//!   MCF and the block joins the page; otherwise PPR with the missing frames. CTC is
//!   answered CTR, EOR is answered ERR (the block joins the page with its gaps and the
//!   page is marked rejected), RR is answered with our last response. At the end of a
//!   page (PPS or EOR with MPS, EOM or EOP) the page is decoded and delivered. This
//!   receiver is always ready, so it never sends RNR.
//! - **End.** MPS waits for the next page; EOM answers and sends DIS again (phase B);
//!   EOP answers and waits for DCN, which ends the call successfully (so does T2
//!   expiring there, or the line hanging up). A command repeated because our answer
//!   was lost gets the same answer again, and does not count the page twice.

use std::time::Instant;

use fax_image::{BitOrder, DecodeOptions, DecodeReport, Page};

use super::ecm::BlockCollector;
use super::outcome::{Failure, Incompatibility, Negotiated, PageQuality, PageStats, Phase};
use super::{Alarm, CopyQuality, Event, Session, State};
use crate::ecm::{Ctc, Fcd, FrameMap, PartialPage};
use crate::{Dcs, Dis, Fcf, Frame, PostMessage, Rate};

/// A training check being received.
#[derive(Debug, Default)]
struct Tcf {
    rate: Option<Rate>,
    run: usize,
    longest: usize,
}

impl Tcf {
    fn feed(&mut self, data: &[u8]) {
        for &octet in data {
            if octet == 0 {
                self.run += 1;
                self.longest = self.longest.max(self.run);
            } else {
                self.run = 0;
            }
        }
    }
}

/// A non-ECM page received and decoded, waiting for its post-message command.
#[derive(Debug)]
enum Pending {
    Page { page: Page, report: DecodeReport, coded_bytes: usize, overflow: bool },
    Unreadable { reason: String },
}

/// What the receiving side keeps.
#[derive(Debug, Default)]
pub(super) struct Receiver {
    dcs: Option<Dcs>,
    tcf: Tcf,
    image: Vec<u8>,
    image_overflow: bool,
    pending: Option<Pending>,
    /// Whether our last response answered a post-message command and no image has
    /// arrived since: a repeated command then gets the same response.
    answered_post_message: bool,
    ecm: BlockCollector,
    /// Pages delivered so far.
    received: usize,
}

/// The copy-quality verdict for a decoded page.
pub(super) fn judge(report: &DecodeReport, rule: &CopyQuality) -> PageQuality {
    let rows = u64::from(report.rows);
    let bad = u64::from(report.bad_rows);
    if rows == 0
        || bad * 100 > u64::from(rule.rtn_bad_row_percent) * rows
        || report.max_consecutive_bad_rows > rule.rtn_consecutive_bad_rows
    {
        PageQuality::Rejected
    } else if rule.rtp_bad_rows > 0 && report.bad_rows >= rule.rtp_bad_rows {
        PageQuality::Acceptable
    } else {
        PageQuality::Good
    }
}

fn is_post_message(fcf: Fcf) -> Option<PostMessage> {
    match fcf {
        Fcf::Mps => Some(PostMessage::Mps),
        Fcf::Eom => Some(PostMessage::Eom),
        Fcf::Eop => Some(PostMessage::Eop),
        Fcf::PriMps => Some(PostMessage::PriMps),
        Fcf::PriEom => Some(PostMessage::PriEom),
        Fcf::PriEop => Some(PostMessage::PriEop),
        _ => None,
    }
}

impl Session {
    /// A message while we receive (or wait for DCS). Returns whether it was expected.
    pub(super) fn rx_message(&mut self, message: &[Frame], now: Instant) -> bool {
        let Some(last) = message.last() else { return true };
        let fcf = last.fcf;
        let waiting_dcs = matches!(self.state, State::WaitDcs { .. });
        match fcf {
            Fcf::Dcs if self.config.sends() => {
                self.fail(Failure::Incompatible(Incompatibility::RoleMismatch), true, now);
                true
            }
            Fcf::Dcs
                if matches!(
                    self.state,
                    State::WaitDcs { .. } | State::RxTcf | State::RxWaitPage | State::RxWaitPostPage
                ) =>
            {
                self.on_dcs(message, now);
                true
            }
            Fcf::Dtc if waiting_dcs => {
                if !self.config.sends() {
                    self.fail(Failure::Incompatible(Incompatibility::RoleMismatch), true, now);
                    return true;
                }
                let Ok(dtc) = Dis::parse(&last.fif) else { return false };
                self.note_remote(message);
                self.t1 = None;
                self.tx_start(dtc, now);
                true
            }
            // A calling receiver's DTC was missed and the answerer repeats DIS.
            Fcf::Dis if waiting_dcs && self.config.role == super::Role::Calling => {
                self.repeat_command(now);
                true
            }
            Fcf::Rr => {
                self.repeat_response();
                true
            }
            _ => match (self.state, fcf) {
                (State::RxWaitPage | State::RxWaitPostPage, f) if is_post_message(f).is_some() => {
                    self.on_post_message(is_post_message(f).unwrap_or(PostMessage::Eop), now);
                    true
                }
                (State::RxWaitPage | State::RxEcmWaitPps | State::RxEcmBlock, Fcf::Pps(post)) => {
                    match PartialPage::parse(&last.fif) {
                        Ok(counters) => self.on_pps(post, counters, now),
                        Err(_) => self.on_damaged_message(now),
                    }
                    true
                }
                (State::RxWaitPage | State::RxEcmWaitPps | State::RxEcmBlock, Fcf::Eor(post)) => {
                    self.on_eor(post, now);
                    true
                }
                (State::RxWaitPage | State::RxEcmWaitPps | State::RxEcmBlock, Fcf::Ctc) => {
                    if let Ok(ctc) = Ctc::parse(&last.fif)
                        && let Some(mut dcs) = self.rx.dcs
                    {
                        dcs.rate = ctc.rate;
                        self.rx.dcs = Some(dcs);
                    }
                    self.state = State::RxEcmWaitPps;
                    self.send_response(vec![self.frame(Fcf::Ctr)]);
                    true
                }
                // Our MCF to EOP was lost: the sender asks again.
                (State::RxWaitDcn, f) if is_post_message(f).is_some() => {
                    self.repeat_response();
                    true
                }
                (State::RxWaitDcn, Fcf::Pps(_) | Fcf::Eor(_)) => {
                    self.repeat_response();
                    true
                }
                _ => false,
            },
        }
    }

    fn repeat_response(&mut self) {
        if let Some(response) = self.response.clone() {
            self.queue_after_gap(super::Transmit::V21Frames(response));
            self.expect(Alarm::T2, self.config.timers.t2);
        }
    }

    /// Whether a DCS stays within what we offered.
    fn dcs_acceptable(&self, dcs: &Dcs) -> bool {
        let local = self.config.local_capabilities();
        let x_dpi = dcs.density.resolution().x_dpi;
        !dcs.uses_other_coding()
            && local.supported_rates().contains(dcs.rate)
            && local.supports_coding(dcs.coding)
            && (dcs.ecm.is_none() || self.config.ecm)
            && self.config.accepts_density(dcs.density)
            && dcs.width <= self.config.max_width
            && dcs.width.pixels(x_dpi).is_some()
    }

    fn on_dcs(&mut self, message: &[Frame], now: Instant) {
        let Some(last) = message.last() else { return };
        let dcs = match Dcs::parse(&last.fif) {
            Ok(dcs) if self.dcs_acceptable(&dcs) => dcs,
            _ => {
                self.fail(Failure::Incompatible(Incompatibility::UnsupportedDcs), true, now);
                return;
            }
        };
        self.note_remote(message);
        self.t1 = None;
        self.set_phase(Phase::B);
        if self.rx.dcs != Some(dcs) {
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
        if self.rx.dcs.is_some() {
            self.stats.retrains += 1;
        }
        self.rx.dcs = Some(dcs);
        self.rx.tcf = Tcf::default();
        self.rx.answered_post_message = false;
        self.state = State::RxTcf;
        self.expect(Alarm::T2, self.config.timers.t2);
    }

    // ---- image modem input ------------------------------------------------------------

    pub(super) fn rx_image_carrier(&mut self, rate: Rate, now: Instant) {
        let ecm = self.rx.dcs.is_some_and(|d| d.ecm.is_some());
        match self.state {
            State::RxTcf => self.rx.tcf = Tcf { rate: Some(rate), ..Tcf::default() },
            State::RxWaitPage | State::RxEcmWaitPps if ecm => self.rx_start_block(now),
            State::RxWaitPage if !ecm => self.rx_start_page(now),
            _ => {}
        }
    }

    fn rx_start_page(&mut self, now: Instant) {
        self.set_phase(Phase::C);
        self.state = State::RxPage;
        self.rx.image.clear();
        self.rx.image_overflow = false;
        self.rx.answered_post_message = false;
        self.alarm = Some((now + self.config.timers.t2, Alarm::T2));
    }

    fn rx_start_block(&mut self, now: Instant) {
        self.set_phase(Phase::C);
        self.state = State::RxEcmBlock;
        self.rx.answered_post_message = false;
        self.alarm = Some((now + self.config.timers.t2, Alarm::T2));
    }

    pub(super) fn rx_image_data(&mut self, data: &[u8], now: Instant) {
        let ecm = self.rx.dcs.is_some_and(|d| d.ecm.is_some());
        match self.state {
            State::RxTcf => {
                if self.rx.tcf.rate.is_none() {
                    // No carrier indication: take the rate the DCS announced.
                    self.rx.tcf.rate = self.rx.dcs.map(|d| d.rate);
                }
                self.rx.tcf.feed(data);
            }
            State::RxWaitPage if !ecm => {
                self.rx_start_page(now);
                self.rx_append(data, now);
            }
            State::RxPage => self.rx_append(data, now),
            _ => {}
        }
    }

    fn rx_append(&mut self, data: &[u8], now: Instant) {
        let room = self.config.max_page_bytes.saturating_sub(self.rx.image.len());
        if data.len() > room {
            self.rx.image_overflow = true;
        }
        self.rx.image.extend_from_slice(&data[..data.len().min(room)]);
        self.alarm = Some((now + self.config.timers.t2, Alarm::T2));
    }

    pub(super) fn rx_image_frame(&mut self, octets: &[u8], fcs_ok: bool, now: Instant) {
        let Some(dcs) = self.rx.dcs else { return };
        let Some(size) = dcs.ecm else { return };
        match self.state {
            State::RxEcmBlock => {}
            State::RxWaitPage | State::RxEcmWaitPps => self.rx_start_block(now),
            _ => return,
        }
        self.alarm = Some((now + self.config.timers.t2, Alarm::T2));
        if !fcs_ok {
            return;
        }
        let Ok(frame) = Frame::parse(octets) else { return };
        if frame.fcf != Fcf::Fcd {
            return;
        }
        if let Ok(fcd) = Fcd::parse(&frame.fif)
            && fcd.data.len() <= size.octets()
        {
            self.rx.ecm.store(fcd);
        }
    }

    pub(super) fn rx_image_carrier_down(&mut self, now: Instant) {
        match self.state {
            State::RxTcf if self.rx.tcf.rate.is_some() => self.rx_check_tcf(now),
            State::RxPage => self.rx_end_page(now),
            State::RxEcmBlock => self.rx_end_block(now),
            _ => {}
        }
    }

    /// A V.21 frame arrived: an image signal whose end we missed is over.
    pub(super) fn rx_end_image_implicitly(&mut self, now: Instant) {
        match self.state {
            State::RxPage => self.rx_end_page(now),
            State::RxEcmBlock => self.rx_end_block(now),
            _ => {}
        }
    }

    fn rx_check_tcf(&mut self, _now: Instant) {
        let Some(dcs) = self.rx.dcs else { return };
        let tcf = std::mem::take(&mut self.rx.tcf);
        let needed_bits = u128::from(dcs.rate.bps()) * self.config.tcf_min_zero_run.as_millis() / 1000;
        let ok = tcf.rate == Some(dcs.rate) && (tcf.longest as u128) * 8 >= needed_bits;
        self.events.push_back(Event::Training { rate: dcs.rate, ok });
        if ok {
            self.state = State::RxWaitPage;
            self.send_response(vec![self.frame(Fcf::Cfr)]);
        } else {
            self.state = State::WaitDcs { repeat: false };
            self.send_response(vec![self.frame(Fcf::Ftt)]);
        }
    }

    // ---- non-ECM pages ----------------------------------------------------------------

    fn decode(&self, data: &[u8]) -> Result<(Page, DecodeReport), String> {
        let Some(dcs) = self.rx.dcs else { return Err("no DCS".into()) };
        let resolution = dcs.density.resolution();
        let width = dcs.width.pixels(resolution.x_dpi).unwrap_or(1728);
        let limits = &self.config.limits;
        let options = DecodeOptions::new(dcs.coding, BitOrder::LsbFirst, width, limits.max_height);
        fax_image::decode(data, &options, resolution, limits).map_err(|e| e.to_string())
    }

    pub(super) fn rx_end_page(&mut self, _now: Instant) {
        let image = std::mem::take(&mut self.rx.image);
        self.rx.pending = Some(match self.decode(&image) {
            Ok((page, report)) => {
                Pending::Page { page, report, coded_bytes: image.len(), overflow: self.rx.image_overflow }
            }
            Err(reason) => Pending::Unreadable { reason },
        });
        self.state = State::RxWaitPostPage;
        self.expect(Alarm::T2, self.config.timers.t2);
    }

    fn page_stats(&self, report: &DecodeReport, coded_bytes: usize) -> Option<PageStats> {
        let dcs = self.rx.dcs?;
        Some(PageStats {
            index: self.rx.received,
            rate: dcs.rate,
            coding: dcs.coding,
            density: dcs.density,
            coded_bytes,
            rows: report.rows,
            bad_rows: report.bad_rows,
            resends: 0,
            pprs: self.rx.ecm.pprs_in_page,
            frames_repeated: self.rx.ecm.frames_requested,
        })
    }

    /// Delivers a page (or reports it unreadable) and returns its verdict.
    fn deliver(
        &mut self,
        result: Result<(Page, DecodeReport), String>,
        coded_bytes: usize,
        force_reject: bool,
    ) -> PageQuality {
        let index = self.rx.received;
        self.rx.received += 1;
        match result {
            Ok((page, report)) => {
                let mut quality = judge(&report, &self.config.copy_quality);
                if force_reject {
                    quality = PageQuality::Rejected;
                }
                if let Some(stats) = self.page_stats(&report, coded_bytes) {
                    self.stats.pages.push(stats);
                }
                self.stats.pages_received += 1;
                self.events.push_back(Event::PageReceived { index, page, report, quality });
                quality
            }
            Err(reason) => {
                self.events.push_back(Event::PageUnreadable { index, reason });
                PageQuality::Rejected
            }
        }
    }

    fn on_post_message(&mut self, post: PostMessage, now: Instant) {
        self.set_phase(Phase::D);
        let quality = match self.rx.pending.take() {
            Some(Pending::Page { page, report, coded_bytes, overflow }) => {
                self.deliver(Ok((page, report)), coded_bytes, overflow)
            }
            Some(Pending::Unreadable { reason }) => self.deliver(Err(reason), 0, true),
            None if self.rx.answered_post_message => {
                // The sender repeats the command because our answer was lost.
                self.repeat_response();
                return;
            }
            // No image at all arrived for this page.
            None => PageQuality::Rejected,
        };
        let response = match quality {
            PageQuality::Good => Fcf::Mcf,
            PageQuality::Acceptable => Fcf::Rtp,
            PageQuality::Rejected => Fcf::Rtn,
        };
        self.rx.answered_post_message = true;
        self.state = match (post, response) {
            (_, Fcf::Rtn) => State::RxWaitPage,
            (PostMessage::Eop | PostMessage::PriEop, _) => State::RxWaitDcn,
            _ => State::RxWaitPage,
        };
        self.send_response(vec![self.frame(response)]);
        if matches!(post, PostMessage::Eom | PostMessage::PriEom) && response != Fcf::Rtn {
            self.set_phase(Phase::B);
            self.send_capabilities(now);
        }
    }

    // ---- ECM ------------------------------------------------------------------------

    pub(super) fn rx_end_block(&mut self, _now: Instant) {
        self.state = State::RxEcmWaitPps;
        self.expect(Alarm::T2, self.config.timers.t2);
    }

    fn on_pps(&mut self, post: PostMessage, counters: PartialPage, now: Instant) {
        self.set_phase(Phase::D);
        let id = (counters.page, counters.block);
        let collector = &mut self.rx.ecm;
        if !collector.fresh && collector.current.is_none() && collector.confirmed == Some(id) {
            // Our MCF to this block was lost; the sender asks again.
            self.repeat_response();
            return;
        }
        let count = collector.block_count(counters);
        if let Some(map) = collector.missing(count) {
            collector.pprs_in_block += 1;
            collector.pprs_in_page += 1;
            collector.frames_requested += map.count(count) as u32;
            collector.fresh = false;
            self.stats.pprs += 1;
            self.state = State::RxEcmWaitPps;
            self.send_ppr(map);
            return;
        }
        collector.accept_block(count, self.config.max_page_bytes);
        self.rx_block_done(post, Fcf::Mcf, now);
    }

    fn send_ppr(&mut self, map: FrameMap) {
        let frame = self.frame_with(Fcf::Ppr, map.encode());
        self.send_response(vec![frame]);
    }

    fn on_eor(&mut self, post: PostMessage, now: Instant) {
        self.set_phase(Phase::D);
        let collector = &mut self.rx.ecm;
        let repeated = !collector.fresh
            && collector.current.is_none()
            && self.response.as_ref().and_then(|r| r.last()).is_some_and(|f| f.fcf == Fcf::Err);
        if repeated {
            self.repeat_response();
            return;
        }
        let count = collector.current.map_or(256, |(_, count)| count);
        collector.accept_block(count, self.config.max_page_bytes);
        collector.damaged = true;
        self.rx_block_done(post, Fcf::Err, now);
    }

    /// A block is complete (MCF) or given up (ERR): answer, and finish the page if
    /// the block was its last.
    fn rx_block_done(&mut self, post: PostMessage, response: Fcf, now: Instant) {
        if post == PostMessage::Null {
            self.state = State::RxWaitPage;
            self.send_response(vec![self.frame(response)]);
            return;
        }
        let data = std::mem::take(&mut self.rx.ecm.page);
        let damaged = self.rx.ecm.damaged || self.rx.ecm.overflow;
        let result = self.decode(&data);
        self.deliver(result, data.len(), damaged);
        self.rx.ecm.reset_page();
        self.rx.answered_post_message = true;
        match post {
            PostMessage::Eop | PostMessage::PriEop => {
                self.state = State::RxWaitDcn;
                self.send_response(vec![self.frame(response)]);
            }
            PostMessage::Eom | PostMessage::PriEom => {
                self.send_response(vec![self.frame(response)]);
                self.set_phase(Phase::B);
                self.send_capabilities(now);
            }
            _ => {
                self.state = State::RxWaitPage;
                self.send_response(vec![self.frame(response)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fax_image::StreamEnd;

    fn report(rows: u32, bad: u32, run: u32) -> DecodeReport {
        DecodeReport { rows, bad_rows: bad, max_consecutive_bad_rows: run, end: StreamEnd::Rtc }
    }

    #[test]
    fn copy_quality_rule() {
        let rule = CopyQuality::default();
        assert_eq!(judge(&report(1000, 0, 0), &rule), PageQuality::Good);
        assert_eq!(judge(&report(1000, 10, 3), &rule), PageQuality::Acceptable);
        assert_eq!(judge(&report(1000, 50, 3), &rule), PageQuality::Acceptable);
        assert_eq!(judge(&report(1000, 51, 3), &rule), PageQuality::Rejected);
        assert_eq!(judge(&report(1000, 20, 17), &rule), PageQuality::Rejected);
        assert_eq!(judge(&report(0, 0, 0), &rule), PageQuality::Rejected);
        let lenient = CopyQuality { rtp_bad_rows: 0, ..rule };
        assert_eq!(judge(&report(1000, 10, 3), &lenient), PageQuality::Good);
    }

    #[test]
    fn tcf_longest_run() {
        let mut tcf = Tcf::default();
        tcf.feed(&[0, 0, 1, 0, 0, 0]);
        tcf.feed(&[0, 0xFF, 0]);
        assert_eq!(tcf.longest, 4);
    }
}
