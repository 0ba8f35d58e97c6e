//! Turning received IFP packets (and losses) into [`LineInput`]s.
//!
//! The state here is what a receiving modem would know: which signal is on the line
//! (V.21, an image modem at some rate, or none), the HDLC frame being assembled, and
//! whether a loss damaged it. See the mapping table in the [parent module](super).

use std::time::Instant;

use fax_t30::session::{LineInput, Tone};
use fax_t30::{MAX_FRAME_LEN, Rate};
use fax_t38::{DataType, FieldType, IfpPacket, Indicator};

use super::TcfMethod;

/// The most octets kept for one HDLC frame. T.30 control frames and ECM frames
/// (256 octets of data plus 4 of header) are far shorter; a longer frame can only
/// be two frames run together by a lost end field, or garbage, and is delivered as
/// damaged.
const MAX_HDLC_FRAME: usize = 2 * MAX_FRAME_LEN;

/// The most zero octets made up for one locally generated TCF (30 s at 14400 bit/s),
/// so a peer that never ends its training cannot make us allocate without bound.
const MAX_LOCAL_TCF: usize = 54_000;

/// The signal the far end is sending, as far as we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// Nothing (or a tone, which needs no end).
    Idle,
    /// V.21 HDLC.
    V21,
    /// An image modem trained at this rate.
    Image(Rate),
}

/// The rate a training indicator announces, if it is one this engine has.
pub(super) fn indicator_rate(indicator: Indicator) -> Option<Rate> {
    Some(match indicator {
        Indicator::V27_2400Training => Rate::V27TER_2400,
        Indicator::V27_4800Training => Rate::V27TER_4800,
        Indicator::V29_7200Training => Rate::V29_7200,
        Indicator::V29_9600Training => Rate::V29_9600,
        Indicator::V17_7200ShortTraining | Indicator::V17_7200LongTraining => Rate::V17_7200,
        Indicator::V17_9600ShortTraining | Indicator::V17_9600LongTraining => Rate::V17_9600,
        Indicator::V17_12000ShortTraining | Indicator::V17_12000LongTraining => Rate::V17_12000,
        Indicator::V17_14400ShortTraining | Indicator::V17_14400LongTraining => Rate::V17_14400,
        _ => return None,
    })
}

/// The rate of an image data type, if it is one this engine has.
fn data_type_rate(data_type: DataType) -> Option<Rate> {
    Some(match data_type {
        DataType::V27_2400 => Rate::V27TER_2400,
        DataType::V27_4800 => Rate::V27TER_4800,
        DataType::V29_7200 => Rate::V29_7200,
        DataType::V29_9600 => Rate::V29_9600,
        DataType::V17_7200 => Rate::V17_7200,
        DataType::V17_9600 => Rate::V17_9600,
        DataType::V17_12000 => Rate::V17_12000,
        DataType::V17_14400 => Rate::V17_14400,
        _ => return None,
    })
}

/// The receiving half of the terminal.
#[derive(Debug)]
pub(super) struct Rx {
    tcf: TcfMethod,
    signal: Signal,
    /// The last indicator taken, while nothing else has arrived since: a repeat of
    /// it is the same signal announced again, not a new one.
    last_indicator: Option<Indicator>,
    /// The HDLC frame being assembled.
    frame: Vec<u8>,
    /// Whether a loss (or an oversized frame) spoiled the frame being assembled.
    damaged: bool,
    /// Local TCF: when the current training began, while no data has followed it.
    training_since: Option<(Instant, Rate)>,
}

impl Rx {
    pub fn new(tcf: TcfMethod) -> Rx {
        Rx {
            tcf,
            signal: Signal::Idle,
            last_indicator: None,
            frame: Vec::new(),
            damaged: false,
            training_since: None,
        }
    }

    /// Packets were lost for good. Whatever HDLC frame they touched cannot be
    /// trusted: the next frame end delivers it with a bad FCS (see the module
    /// documentation of the parent for why). Non-ECM data just has a gap.
    pub fn lost(&mut self) {
        self.damaged = true;
        self.last_indicator = None;
    }

    /// Ends the current signal, as its end field, a no-signal indicator or the
    /// start of another signal says.
    fn end_signal(&mut self, now: Instant, out: &mut Vec<LineInput>) {
        match self.signal {
            Signal::Idle => {}
            Signal::V21 => {
                self.flush_partial_frame(false, out);
                out.push(LineInput::V21CarrierDown);
            }
            Signal::Image(rate) => {
                self.flush_partial_frame(true, out);
                if let Some((since, trained)) = self.training_since.take()
                    && trained == rate
                {
                    // Local TCF: the far end only announced the training and then
                    // fell silent; make up the zeros its modem would have sent.
                    let elapsed = now.saturating_duration_since(since);
                    let octets = (u128::from(rate.bps()) * elapsed.as_millis() / 8000) as usize;
                    out.push(LineInput::ImageData(vec![0; octets.min(MAX_LOCAL_TCF)]));
                }
                out.push(LineInput::ImageCarrierDown);
            }
        }
        self.signal = Signal::Idle;
        self.training_since = None;
    }

    /// A signal ended in the middle of a frame: what was assembled is delivered as
    /// damaged, so T.30 knows the far end spoke.
    fn flush_partial_frame(&mut self, image: bool, out: &mut Vec<LineInput>) {
        if !self.frame.is_empty() {
            let octets = std::mem::take(&mut self.frame);
            out.push(if image {
                LineInput::ImageFrame { octets, fcs_ok: false }
            } else {
                LineInput::V21Frame { octets, fcs_ok: false }
            });
        }
        self.damaged = false;
    }

    fn start_signal(&mut self, signal: Signal, now: Instant, out: &mut Vec<LineInput>) {
        self.end_signal(now, out);
        self.signal = signal;
        self.frame.clear();
        if let Signal::Image(rate) = signal {
            out.push(LineInput::ImageCarrier { rate });
        }
    }

    /// One IFP packet, in sequence order.
    pub fn packet(&mut self, packet: &IfpPacket, now: Instant, out: &mut Vec<LineInput>) {
        match packet {
            IfpPacket::Indicator(indicator) => self.indicator(*indicator, now, out),
            IfpPacket::Data { data_type, fields } => {
                self.last_indicator = None;
                self.data(*data_type, fields, now, out);
            }
        }
    }

    fn indicator(&mut self, indicator: Indicator, now: Instant, out: &mut Vec<LineInput>) {
        if self.last_indicator == Some(indicator) {
            // Indicators are sent several times in a row: one signal, not several.
            return;
        }
        self.last_indicator = Some(indicator);
        // An indicator starts afresh: data after it cannot belong to a frame that
        // a loss before it damaged.
        self.damaged = false;
        match indicator {
            Indicator::NoSignal => self.end_signal(now, out),
            Indicator::Cng => {
                self.end_signal(now, out);
                out.push(LineInput::Tone(Tone::Cng));
            }
            Indicator::Ced => {
                self.end_signal(now, out);
                out.push(LineInput::Tone(Tone::Ced));
            }
            Indicator::V21Preamble => self.start_signal(Signal::V21, now, out),
            other => match indicator_rate(other) {
                Some(rate) => {
                    self.start_signal(Signal::Image(rate), now, out);
                    if self.tcf == TcfMethod::Local {
                        self.training_since = Some((now, rate));
                    }
                }
                // V.8, V.34 and V.33 signals: this terminal has none of those
                // modems, and T.30 falls back to V.21 when they go unanswered.
                None => self.end_signal(now, out),
            },
        }
    }

    fn data(
        &mut self,
        data_type: DataType,
        fields: &[fax_t38::Field],
        now: Instant,
        out: &mut Vec<LineInput>,
    ) {
        let signal = if data_type == DataType::V21 {
            Signal::V21
        } else {
            match data_type_rate(data_type) {
                Some(rate) => Signal::Image(rate),
                None => return,
            }
        };
        if self.signal != signal {
            // Data without (or after a lost) start indicator: the signal began
            // anyway. A packet with nothing but end fields for a signal that is not
            // on is a late repeat of an end already taken, and is ignored, so that
            // it cannot make up an empty page.
            if fields.iter().all(|f| f.data.is_empty()) {
                return;
            }
            self.start_signal(signal, now, out);
        }
        let image = signal != Signal::V21;
        for field in fields {
            match field.kind {
                FieldType::HdlcData => {
                    if !field.data.is_empty() {
                        self.training_since = None;
                    }
                    if self.frame.len() + field.data.len() > MAX_HDLC_FRAME {
                        self.damaged = true;
                    } else {
                        self.frame.extend(field.data.iter().map(|b| b.reverse_bits()));
                    }
                }
                FieldType::HdlcFcsOk | FieldType::HdlcFcsBad => {
                    self.frame_end(field.kind == FieldType::HdlcFcsOk, image, out);
                }
                FieldType::HdlcFcsOkSigEnd | FieldType::HdlcFcsBadSigEnd => {
                    self.frame_end(field.kind == FieldType::HdlcFcsOkSigEnd, image, out);
                    self.end_signal(now, out);
                }
                FieldType::HdlcSigEnd => self.end_signal(now, out),
                FieldType::T4NonEcmData | FieldType::T4NonEcmSigEnd => {
                    if image && !field.data.is_empty() {
                        self.training_since = None;
                        out.push(LineInput::ImageData(super::tx::to_line_order(&field.data)));
                    }
                    if field.kind == FieldType::T4NonEcmSigEnd {
                        self.end_signal(now, out);
                    }
                }
                // V.8 and V.34 messages: not for this terminal.
                FieldType::CmMessage | FieldType::JmMessage | FieldType::CiMessage | FieldType::V34Rate => {}
            }
            if self.signal == Signal::Idle {
                // The signal ended inside this packet; anything after its end field
                // belongs to no signal.
                break;
            }
        }
    }

    /// A frame ended with the FCS verdict `ok`.
    fn frame_end(&mut self, ok: bool, image: bool, out: &mut Vec<LineInput>) {
        let damaged = std::mem::replace(&mut self.damaged, false);
        if self.frame.is_empty() && !damaged {
            // An end field with no frame: nothing to deliver.
            return;
        }
        let octets = std::mem::take(&mut self.frame);
        let fcs_ok = ok && !damaged;
        out.push(if image {
            LineInput::ImageFrame { octets, fcs_ok }
        } else {
            LineInput::V21Frame { octets, fcs_ok }
        });
    }
}
