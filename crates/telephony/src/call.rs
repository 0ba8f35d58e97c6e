//! What a carrier is asked to do and what it reports: the call types shared by the
//! loopback carrier and, later, SIP trunks.
//!
//! The service hands a carrier an [`OutgoingCall`], an [`Answerer`] that decides for
//! the called number (is it assigned? is the caller blocked?) and a [`CancelToken`];
//! the carrier places the call and returns a [`CallReport`], which says how far the
//! fax got ([`CallReport::pages_confirmed`]) so that a retry can resume from the
//! first page the receiver did not confirm.
//!
//! Phone numbers, identities and pages are personal data: the `Debug` output of
//! these types shows their lengths and counts, never their text.

use std::fmt;
use std::time::Duration;

use fax_image::Page;
use fax_t30::Rate;
use fax_t30::session::Stats;

/// Cancels a call at any point; the carrier then ends the call cleanly (DCN if the
/// fax dialogue had started) and reports [`CallResult::Canceled`].
pub use tokio_util::sync::CancellationToken as CancelToken;

/// A fax to send.
#[derive(Clone)]
pub struct OutgoingCall {
    /// The calling number (the sending account's number).
    pub from: String,
    /// The called number.
    pub to: String,
    /// Our T.30 identity (TSI): at most 20 characters, digits, `+` and space by the
    /// standard (printable ASCII is accepted, as many terminals send it). An identity
    /// T.30 cannot carry (longer, or with other characters) is not sent at all.
    pub sender_ident: String,
    /// The pages, in order. A retry passes the pages from the first one not confirmed.
    pub pages: Vec<Page>,
    /// Whether to offer error correction mode.
    pub ecm: bool,
    /// The highest image data rate to use; `None` allows every rate.
    pub max_rate: Option<Rate>,
}

impl fmt::Debug for OutgoingCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingCall")
            .field("from_len", &self.from.len())
            .field("to_len", &self.to.len())
            .field("sender_ident_len", &self.sender_ident.len())
            .field("pages", &self.pages.len())
            .field("ecm", &self.ecm)
            .field("max_rate", &self.max_rate)
            .finish()
    }
}

/// Decides what happens when a call reaches a number: the service's hook into the
/// carrier. It runs once per call, before any fax terminal starts.
pub trait Answerer {
    /// What the line at `to` does when `from` calls.
    fn answer(&self, to: &str, from: &str) -> Answer;
}

/// Any function of `(to, from)` is an answerer, which keeps tests and simple
/// set-ups short.
impl<F> Answerer for F
where
    F: Fn(&str, &str) -> Answer,
{
    fn answer(&self, to: &str, from: &str) -> Answer {
        self(to, from)
    }
}

/// What the called line does.
#[derive(Clone, PartialEq, Eq)]
pub enum Answer {
    /// A fax terminal answers and receives, identifying itself with `ident` (its CSI,
    /// at most 20 characters, like [`OutgoingCall::sender_ident`]).
    Accept {
        /// The answering terminal's identity.
        ident: String,
    },
    /// The line is busy.
    Busy,
    /// Nobody answers.
    NoAnswer,
    /// A fax terminal answers but refuses to receive (a blocked sender): its DIS says
    /// it cannot receive, and the caller disconnects.
    Reject,
    /// The number is in the carrier's range but not assigned to anyone.
    Unassigned,
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Accept { ident } => write!(f, "Accept {{ ident_len: {} }}", ident.len()),
            Answer::Busy => f.write_str("Busy"),
            Answer::NoAnswer => f.write_str("NoAnswer"),
            Answer::Reject => f.write_str("Reject"),
            Answer::Unassigned => f.write_str("Unassigned"),
        }
    }
}

/// How a call ended, as the service's retry rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResult {
    /// Every page was confirmed by the receiver.
    Delivered,
    /// The line was busy; nothing was sent.
    Busy,
    /// Nobody answered within the ring time; nothing was sent.
    NoAnswer,
    /// The called terminal answered and refused the fax (its DIS said it cannot
    /// receive, or the caller was blocked).
    Rejected,
    /// The number is in the carrier's range but not assigned.
    Unassigned,
    /// The carrier has no route to the number (outside its range, and no trunk).
    NoRoute,
    /// The fax failed after the call was answered. [`CallReport::pages_confirmed`]
    /// says how many pages got through before it did.
    Failed {
        /// A stable code: [`fax_t30::session::Failure::code`], or one of the
        /// carrier's own codes ([`CALL_TOO_LONG`], [`LINE_STALLED`],
        /// [`TOO_MANY_PAGES`], [`INTERNAL`]).
        code: &'static str,
        /// A sentence for people, without personal data.
        message: String,
        /// Whether trying again later can reasonably succeed.
        retryable: bool,
    },
    /// The call was canceled through its [`CancelToken`].
    Canceled,
}

/// The carrier's safety limit on line or wall time ended the call: a bug, since the
/// T.30 timers end every call long before.
pub const CALL_TOO_LONG: &str = "call_too_long";
/// Neither terminal could make progress any more (no timer, nothing in flight): a
/// bug in a core, ended by the carrier.
pub const LINE_STALLED: &str = "line_stalled";
/// The document has more pages than the carrier's limit for one call.
pub const TOO_MANY_PAGES: &str = "too_many_pages";
/// The task running the call failed (it panicked or was torn down).
pub const INTERNAL: &str = "internal_error";

/// What a call did.
#[derive(Clone)]
pub struct CallReport {
    /// How the call ended.
    pub result: CallResult,
    /// Pages the receiver confirmed (MCF), counted from the first page of this call:
    /// a retry resumes from page `pages_confirmed` of the pages it was given.
    pub pages_confirmed: usize,
    /// The image data rate last negotiated, in bit/s.
    pub rate: Option<u32>,
    /// Whether error correction mode was used.
    pub ecm: Option<bool>,
    /// The called terminal's identity (CSI), as it sent it.
    pub remote_ident: Option<String>,
    /// Line time from dialling to the end of the call: virtual time with virtual
    /// pacing, real time otherwise.
    pub duration: Duration,
    /// The calling terminal's T.30 statistics (per page, retrains, PPRs), when a fax
    /// terminal ran.
    pub stats: Option<Stats>,
    /// What the answering terminal received, when the call went to an account (the
    /// service puts it in that account's inbox).
    pub received: Option<ReceivedFax>,
}

impl CallReport {
    /// A report for a call that ended without any fax terminal running.
    pub(crate) fn without_line(result: CallResult, duration: Duration) -> CallReport {
        CallReport {
            result,
            pages_confirmed: 0,
            rate: None,
            ecm: None,
            remote_ident: None,
            duration,
            stats: None,
            received: None,
        }
    }
}

impl fmt::Debug for CallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallReport")
            .field("result", &self.result)
            .field("pages_confirmed", &self.pages_confirmed)
            .field("rate", &self.rate)
            .field("ecm", &self.ecm)
            .field("remote_ident_len", &self.remote_ident.as_ref().map(String::len))
            .field("duration", &self.duration)
            .field("retrains", &self.stats.as_ref().map(|s| s.retrains))
            .field("received", &self.received)
            .finish()
    }
}

/// What the answering terminal of an account received.
#[derive(Clone)]
pub struct ReceivedFax {
    /// The pages received and accepted (pages the receiver judged unreadable and
    /// asked to be sent again are left out), in order.
    pub pages: Vec<Page>,
    /// The caller's identity (TSI), as it sent it.
    pub caller_ident: Option<String>,
    /// Whether the receiving session ended successfully (the sender finished the
    /// document and said goodbye). A partial reception has `false` and the pages
    /// that arrived.
    pub complete: bool,
    /// The receiving terminal's T.30 statistics.
    pub stats: Stats,
}

impl fmt::Debug for ReceivedFax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedFax")
            .field("pages", &self.pages.len())
            .field("caller_ident_len", &self.caller_ident.as_ref().map(String::len))
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}
