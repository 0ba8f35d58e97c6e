//! The built-in loopback carrier: fax between accounts of one Ferrofax install,
//! with no telephone network at all.
//!
//! Accounts get virtual numbers from a reserved range ([`NumberPlan`], by default
//! `+9990` followed by seven digits). A call from one account to another runs two
//! real Ferrofax T.38 terminals ([`fax_line::t38::Terminal`], each with its own T.30
//! session) against each other over an in-memory UDPTL path, so every fax sent this
//! way goes through the same negotiation, training, coding and confirmation as one
//! over a SIP trunk. The lowest hundred numbers of the range are test numbers with
//! fixed outcomes ([`test_numbers`], [`TestLine`]), like the magic numbers of
//! commercial fax APIs.
//!
//! [`Carrier::route`] tells where a number leads; [`Carrier::place`] places a call
//! and returns its [`CallReport`]. With [`Pacing::Virtual`] a call runs in virtual
//! time on a blocking thread, as fast as the CPU allows and the same on every run;
//! with [`Pacing::RealTime`] it takes as long as on a real line. `docs/loopback.md`
//! has the numbers, the test numbers and how a call runs.

mod line;

use std::time::{Duration, Instant};

use fax_image::{Limits as PageLimits, Page, Resolution};
use fax_line::t38::{self, Terminal};
use fax_sim::{Duplex, GilbertElliott, Impairments};
use fax_t30::session::{self, Failure, Incompatibility, Job, Role};
use fax_t30::{Ident, Rate, RateSet};

use crate::Error;
use crate::call::{
    Answer, Answerer, CALL_TOO_LONG, CallReport, CallResult, CancelToken, INTERNAL, LINE_STALLED,
    OutgoingCall, ReceivedFax, TOO_MANY_PAGES,
};
use line::{DriveLimits, Forced, Line};

/// The numbers at the bottom of every plan's range kept for test numbers; accounts
/// get numbers from here up ([`NumberPlan::account_number`]).
pub const TEST_BLOCK: u64 = 100;

/// The longest number E.164 allows, in digits (country code included).
const E164_MAX_DIGITS: usize = 15;

/// The range of virtual numbers the carrier serves: `prefix` followed by exactly
/// `digits` digits.
///
/// The default, `+9990` and seven digits (`+99900000000` to `+99909999999`), lies in
/// country code +999, which the ITU keeps spare: no number in it is reachable on the
/// telephone network, so a loopback number can never ring a real line, and no real
/// number can be mistaken for one. Phone-number libraries agree: libphonenumber (and
/// the `phonenumber` crate) refuses `+999…` as an invalid country code. The service
/// therefore asks the plan first ([`NumberPlan::contains`]) and validates only other
/// numbers as E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPlan {
    /// `+` and the digits every number starts with.
    pub prefix: String,
    /// How many digits follow the prefix.
    pub digits: usize,
}

impl Default for NumberPlan {
    fn default() -> Self {
        NumberPlan { prefix: "+9990".to_owned(), digits: 7 }
    }
}

impl NumberPlan {
    /// A plan, checked: the prefix is `+` and 1 or more digits, enough digits follow
    /// it for the test block and at least as many accounts, and the whole number
    /// fits E.164's 15 digits.
    pub fn new(prefix: &str, digits: usize) -> Result<NumberPlan, Error> {
        let Some(prefix_digits) = prefix.strip_prefix('+') else {
            return Err(Error::InvalidPlan("the prefix must start with '+'"));
        };
        if prefix_digits.is_empty() || !prefix_digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidPlan("the prefix must be '+' followed by digits"));
        }
        if digits < 3 {
            return Err(Error::InvalidPlan("at least 3 digits must follow the prefix"));
        }
        if prefix_digits.len() + digits > E164_MAX_DIGITS {
            return Err(Error::InvalidPlan("numbers would be longer than E.164's 15 digits"));
        }
        Ok(NumberPlan { prefix: prefix.to_owned(), digits })
    }

    /// How many numbers the plan has (10^digits), or `None` if the plan is not valid.
    pub fn size(&self) -> Option<u64> {
        10u64.checked_pow(u32::try_from(self.digits).ok()?)
    }

    /// The number with subscriber part `index`, if the plan has it.
    pub fn number(&self, index: u64) -> Option<String> {
        if index >= self.size()? {
            return None;
        }
        Some(format!("{}{index:0width$}", self.prefix, width = self.digits))
    }

    /// The `n`th number for accounts (from 0), above the test block.
    pub fn account_number(&self, n: u64) -> Option<String> {
        self.number(TEST_BLOCK.checked_add(n)?)
    }

    /// The subscriber part of `number` if it is in the plan. Spaces, dashes, dots and
    /// parentheses are ignored, as people write them.
    pub fn index_of(&self, number: &str) -> Option<u64> {
        let compact: String = number.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        let rest = compact.strip_prefix(self.prefix.as_str())?;
        if rest.len() != self.digits || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest.parse().ok()
    }

    /// Whether `number` is in the plan.
    pub fn contains(&self, number: &str) -> bool {
        self.index_of(number).is_some()
    }

    /// `number` in the plan's own form (no separators), if it is in the plan.
    pub fn normalize(&self, number: &str) -> Option<String> {
        self.number(self.index_of(number)?)
    }
}

/// A test number's fixed behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestLine {
    /// A fax terminal answers and receives everything: [`CallResult::Delivered`].
    Delivered,
    /// The line is busy: [`CallResult::Busy`].
    Busy,
    /// Nobody answers: [`CallResult::NoAnswer`] after [`RING_TIMEOUT`].
    NoAnswer,
    /// A fax terminal answers but its DIS says it cannot receive; the caller
    /// disconnects: [`CallResult::Rejected`].
    Rejected,
    /// The line drops during this page of the call (from 1; 0 counts as 1): the
    /// caller fails with `remote_hung_up` (retryable), having had the pages before
    /// it confirmed. A call with fewer pages is delivered, so a retry with the pages
    /// not yet confirmed gets that many further each time.
    FailsAtPage(u32),
    /// A fax terminal with only V.27 ter at 2400 bit/s answers, and the call always
    /// runs in real time, whatever the carrier's pacing: for seeing progress by eye.
    SlowLine,
    /// A fax terminal without ECM answers over a path losing about 6% of datagrams
    /// in bursts: pages arrive with bad rows, the receiver asks for retraining (RTP)
    /// or rejects pages (RTN), and the fax is delivered after retrains or fails with
    /// a retryable failure. Seeded: the same call gives the same result every time.
    BadLine,
}

/// The test numbers: subscriber parts in the plan's test block, and their lines.
const TEST_LINES: [(u64, TestLine); 7] = [
    (1, TestLine::Delivered),
    (2, TestLine::Busy),
    (3, TestLine::NoAnswer),
    (4, TestLine::Rejected),
    (5, TestLine::FailsAtPage(2)),
    (6, TestLine::SlowLine),
    (7, TestLine::BadLine),
];

/// The test numbers of `plan`, in order: `…0000001` delivers, `…0000002` is busy,
/// `…0000003` does not answer, `…0000004` rejects, `…0000005` fails at page 2,
/// `…0000006` is a slow line, `…0000007` a bad line. The rest of the test block is
/// unassigned.
pub fn test_numbers(plan: &NumberPlan) -> Vec<(String, TestLine)> {
    TEST_LINES.iter().filter_map(|&(index, line)| Some((plan.number(index)?, line))).collect()
}

/// Where a number leads.
#[derive(Clone, PartialEq, Eq)]
pub enum Route {
    /// An account's number (in the plan, above the test block); the number is in the
    /// plan's form. Whether an account has it is the [`Answerer`]'s to say.
    Account(String),
    /// A test number.
    Test(TestLine),
    /// A number of the test block with no test line.
    Unassigned,
    /// Not in the plan: the loopback carrier cannot reach it (and there is no trunk
    /// yet to hand it to).
    OutsidePlan,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Route::Account(number) => write!(f, "Account({} chars)", number.len()),
            Route::Test(line) => write!(f, "Test({line:?})"),
            Route::Unassigned => f.write_str("Unassigned"),
            Route::OutsidePlan => f.write_str("OutsidePlan"),
        }
    }
}

/// How a call's time passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Pacing {
    /// In virtual time on a blocking thread: as fast as the CPU allows, the same on
    /// every run. Ring times are reported, not waited.
    #[default]
    Virtual,
    /// In real time on tokio timers, as long as on a real line (for demos).
    RealTime,
}

/// The carrier's bounds on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most pages in one call; more is [`CallResult::Failed`] with
    /// [`TOO_MANY_PAGES`] before dialling. Both ends hold the pages in memory (about
    /// 0.5 MB per fine A4 page each), which this bounds.
    pub max_pages: usize,
    /// The most line time a call may take before the carrier ends it with
    /// [`CALL_TOO_LONG`]. The T.30 timers end a dead call within about a minute; this
    /// bounds a live one (250 dense pages at 2400 bit/s take about 10 hours).
    pub max_line_time: Duration,
    /// The most wall time a call in virtual time may take.
    pub max_virtual_wall_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pages: 250,
            max_line_time: Duration::from_secs(12 * 3600),
            max_virtual_wall_time: Duration::from_secs(15 * 60),
        }
    }
}

/// How long a line rings before the caller gives up on a [`TestLine::NoAnswer`] or
/// [`Answer::NoAnswer`] line (about ten rings).
pub const RING_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the caller listens to the busy tone before hanging up.
pub const BUSY_TIME: Duration = Duration::from_secs(3);

/// The one-way delay of the in-memory path, as on a good IP link.
const PATH_DELAY: Duration = Duration::from_millis(20);

/// The loopback carrier.
#[derive(Debug, Clone, Default)]
pub struct Carrier {
    /// The numbers it serves.
    pub plan: NumberPlan,
    /// How time passes in its calls.
    pub pacing: Pacing,
    /// Its bounds.
    pub limits: Limits,
    /// The seed of the simulated path's random decisions (only the bad line loses
    /// anything), so calls are reproducible.
    pub seed: u64,
}

/// What answers a call that goes ahead.
#[derive(Debug, Clone)]
struct Callee {
    /// The answering terminal's identity.
    ident: String,
    /// How the answering terminal differs from a plain receiver.
    kind: CalleeKind,
    /// Whether the answering terminal's pages go into the report.
    keep_pages: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CalleeKind {
    /// A receiver with every capability.
    Normal,
    /// A terminal that cannot receive.
    Refusing,
    /// A receiver with V.27 ter 2400 only.
    Slow,
    /// A receiver without ECM, over a lossy path.
    Bad,
    /// A receiver whose line drops during this page.
    DropsAt(usize),
}

impl Carrier {
    /// A carrier for `plan` with virtual pacing and default limits.
    pub fn new(plan: NumberPlan) -> Carrier {
        Carrier { plan, ..Carrier::default() }
    }

    /// Where `number` leads.
    pub fn route(&self, number: &str) -> Route {
        let Some(index) = self.plan.index_of(number) else { return Route::OutsidePlan };
        if index >= TEST_BLOCK {
            return match self.plan.number(index) {
                Some(number) => Route::Account(number),
                None => Route::OutsidePlan,
            };
        }
        match TEST_LINES.iter().find(|(i, _)| *i == index) {
            Some((_, line)) => Route::Test(*line),
            None => Route::Unassigned,
        }
    }

    /// Places `call`. For an account's number, `answerer` decides what the line does;
    /// test numbers behave as documented and do not ask it. Canceling `cancel` ends
    /// the call at any point with [`CallResult::Canceled`].
    pub async fn place(
        &self,
        call: OutgoingCall,
        answerer: &(dyn Answerer + Sync),
        cancel: &CancelToken,
    ) -> CallReport {
        if cancel.is_cancelled() {
            return CallReport::without_line(CallResult::Canceled, Duration::ZERO);
        }
        let (callee, pacing) = match self.route(&call.to) {
            Route::OutsidePlan => return CallReport::without_line(CallResult::NoRoute, Duration::ZERO),
            Route::Unassigned => return CallReport::without_line(CallResult::Unassigned, Duration::ZERO),
            Route::Account(number) => match answerer.answer(&number, &call.from) {
                Answer::Accept { ident } => {
                    (Callee { ident, kind: CalleeKind::Normal, keep_pages: true }, self.pacing)
                }
                Answer::Reject => {
                    (Callee { ident: number, kind: CalleeKind::Refusing, keep_pages: false }, self.pacing)
                }
                Answer::Busy => return self.unanswered(CallResult::Busy, BUSY_TIME, cancel).await,
                Answer::NoAnswer => return self.unanswered(CallResult::NoAnswer, RING_TIMEOUT, cancel).await,
                Answer::Unassigned => {
                    return CallReport::without_line(CallResult::Unassigned, Duration::ZERO);
                }
            },
            Route::Test(line) => {
                let ident = self.plan.normalize(&call.to).unwrap_or_default();
                let kind = match line {
                    TestLine::Delivered => CalleeKind::Normal,
                    TestLine::Rejected => CalleeKind::Refusing,
                    TestLine::FailsAtPage(page) => {
                        CalleeKind::DropsAt(usize::try_from(page).unwrap_or(usize::MAX).max(1))
                    }
                    TestLine::SlowLine => CalleeKind::Slow,
                    TestLine::BadLine => CalleeKind::Bad,
                    TestLine::Busy => return self.unanswered(CallResult::Busy, BUSY_TIME, cancel).await,
                    TestLine::NoAnswer => {
                        return self.unanswered(CallResult::NoAnswer, RING_TIMEOUT, cancel).await;
                    }
                };
                let pacing = if line == TestLine::SlowLine { Pacing::RealTime } else { self.pacing };
                (Callee { ident, kind, keep_pages: false }, pacing)
            }
        };
        if call.pages.len() > self.limits.max_pages {
            let message = format!(
                "the document has {} pages; the carrier takes at most {} in one call",
                call.pages.len(),
                self.limits.max_pages
            );
            let result = CallResult::Failed { code: TOO_MANY_PAGES, message, retryable: false };
            return CallReport::without_line(result, Duration::ZERO);
        }
        self.run(call, callee, pacing, cancel).await
    }

    /// A call nobody answers: its modelled time passes (waited only in real time).
    async fn unanswered(&self, result: CallResult, time: Duration, cancel: &CancelToken) -> CallReport {
        if self.pacing == Pacing::RealTime {
            let started = Instant::now();
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    return CallReport::without_line(CallResult::Canceled, started.elapsed());
                }
                () = tokio::time::sleep(time) => {}
            }
        }
        CallReport::without_line(result, time)
    }

    /// Runs the two terminals and turns what they saw into the report.
    async fn run(
        &self,
        call: OutgoingCall,
        callee: Callee,
        pacing: Pacing,
        cancel: &CancelToken,
    ) -> CallReport {
        let start = Instant::now();
        let keep_pages = callee.keep_pages;
        let line = match self.build_line(call, &callee, start) {
            Ok(line) => line,
            Err(error) => {
                let result =
                    CallResult::Failed { code: INTERNAL, message: error.to_string(), retryable: false };
                return CallReport::without_line(result, Duration::ZERO);
            }
        };
        let limits = DriveLimits {
            line_time: self.limits.max_line_time,
            wall_time: self.limits.max_virtual_wall_time,
        };
        let (line, duration) = match pacing {
            Pacing::RealTime => line::run_real_time(line, start, cancel, limits).await,
            Pacing::Virtual => {
                let token = cancel.clone();
                let task =
                    tokio::task::spawn_blocking(move || line::run_virtual(line, start, &token, limits));
                match task.await {
                    Ok(done) => done,
                    Err(error) => {
                        let message = format!("the call's task failed: {error}");
                        let result = CallResult::Failed { code: INTERNAL, message, retryable: true };
                        return CallReport::without_line(result, Duration::ZERO);
                    }
                }
            }
        };
        report(line, duration, keep_pages)
    }

    fn build_line(&self, call: OutgoingCall, callee: &Callee, start: Instant) -> Result<Line, Error> {
        let mut tx = session::Config::new(Role::Calling, Job::Send(call.pages));
        tx.ecm = call.ecm;
        tx.ident = ident(&call.sender_ident);
        if let Some(max) = call.max_rate {
            tx.rates = rates_up_to(max);
        }
        let mut rx = match callee.kind {
            // A terminal with a document to be polled and nothing to receive: its
            // DIS has "ready to receive" clear. The page is never sent.
            CalleeKind::Refusing => {
                let page = Page::new(1728, 1, Resolution::STANDARD, &PageLimits::default())?;
                session::Config::new(Role::Answering, Job::Send(vec![page]))
            }
            _ => session::Config::new(Role::Answering, Job::Receive),
        };
        rx.ident = ident(&callee.ident);
        let mut impairments = Impairments::perfect().with_delay(PATH_DELAY);
        let mut drop_at = None;
        match callee.kind {
            CalleeKind::Normal | CalleeKind::Refusing => {}
            CalleeKind::Slow => {
                // DIS cannot offer V.27 ter at 2400 bit/s alone, so a caller would
                // try 4800 first and, on a line that carries only 2400, fall back
                // after a failed training; both ends are held to 2400 instead.
                let mut slow = RateSet::EMPTY;
                slow.insert(Rate::V27TER_2400);
                rx.rates = slow;
                tx.rates = tx.rates.intersection(slow);
            }
            CalleeKind::Bad => {
                rx.ecm = false;
                impairments = impairments.with_burst(GilbertElliott::from_rate_and_burst(BAD_LINE_LOSS, 4.0));
            }
            CalleeKind::DropsAt(page) => drop_at = Some(page),
        }
        let caller = Terminal::new(t38::Config::new(tx), start)?;
        let answerer = Terminal::new(t38::Config::new(rx), start)?;
        let path = Duplex::symmetric(self.seed, impairments);
        Ok(Line::new(caller, answerer, path, drop_at, start))
    }
}

/// The bad line's mean datagram loss.
const BAD_LINE_LOSS: f64 = 0.06;

/// An identity T.30 can carry, or none.
fn ident(text: &str) -> Option<Ident> {
    if text.trim().is_empty() {
        return None;
    }
    Ident::new(text).or_else(|_| Ident::new_printable(text)).ok()
}

/// Every rate of the fallback ladder at most as fast as `max`.
fn rates_up_to(max: Rate) -> RateSet {
    let mut set = RateSet::EMPTY;
    for rate in Rate::LADDER.iter().filter(|r| r.bps() <= max.bps()) {
        set.insert(*rate);
    }
    set
}

/// The report of a call whose terminals ran.
fn report(line: Line, duration: Duration, keep_pages: bool) -> CallReport {
    let canceled = line.canceled();
    let forced = line.forced();
    let caller = line.caller_seen;
    let answerer = line.answerer_seen;
    let result = match (forced, &caller.outcome) {
        (Some(Forced::TooLong), _) => CallResult::Failed {
            code: CALL_TOO_LONG,
            message: "the call passed the carrier's time limit".to_owned(),
            retryable: false,
        },
        (Some(Forced::Stalled), _) => CallResult::Failed {
            code: LINE_STALLED,
            message: "the fax terminals stopped making progress".to_owned(),
            retryable: true,
        },
        (None, Some(outcome)) => match &outcome.result {
            Ok(()) => CallResult::Delivered,
            Err(Failure::LocalAbort) if canceled => CallResult::Canceled,
            Err(Failure::Incompatible(Incompatibility::RemoteCannotReceive)) => CallResult::Rejected,
            Err(failure) => CallResult::Failed {
                code: failure.code(),
                message: failure.to_string(),
                retryable: failure.is_retryable(),
            },
        },
        // A session always completes when its terminal finishes; this is the
        // cancel that came before the session could say so.
        (None, None) if canceled => CallResult::Canceled,
        (None, None) => CallResult::Failed {
            code: LINE_STALLED,
            message: "the calling terminal ended without an outcome".to_owned(),
            retryable: true,
        },
    };
    let received = keep_pages.then(|| ReceivedFax {
        pages: answerer.pages,
        caller_ident: answerer.caller_ident,
        complete: answerer.outcome.as_ref().is_some_and(|o| o.is_ok()),
        stats: answerer.outcome.map(|o| o.stats).unwrap_or_default(),
    });
    CallReport {
        result,
        pages_confirmed: caller.pages_confirmed,
        rate: caller.negotiated.map(|n| u32::from(n.rate.bps())),
        ecm: caller.negotiated.map(|n| n.ecm.is_some()),
        remote_ident: caller.remote_ident,
        duration,
        stats: caller.outcome.map(|o| o.stats),
        received,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_numbers_round_trip() {
        let plan = NumberPlan::default();
        assert_eq!(plan.number(1).as_deref(), Some("+99900000001"));
        assert_eq!(plan.account_number(0).as_deref(), Some("+99900000100"));
        assert_eq!(plan.number(9_999_999).as_deref(), Some("+99909999999"));
        assert_eq!(plan.number(10_000_000), None);
        assert_eq!(plan.index_of("+999 0000 0100"), Some(100));
        assert_eq!(plan.index_of("+9990000001"), None, "one digit short");
        assert_eq!(plan.index_of("+999000000010"), None, "one digit long");
        assert_eq!(plan.index_of("+4930123456"), None);
        assert_eq!(plan.normalize("+999-0000-0042").as_deref(), Some("+99900000042"));
    }

    #[test]
    fn plan_is_checked() {
        assert!(NumberPlan::new("+9990", 7).is_ok());
        assert!(NumberPlan::new("9990", 7).is_err());
        assert!(NumberPlan::new("+", 7).is_err());
        assert!(NumberPlan::new("+99a", 7).is_err());
        assert!(NumberPlan::new("+9990", 2).is_err());
        assert!(NumberPlan::new("+9990", 12).is_err());
        assert!(NumberPlan::new("+9990", 11).is_ok());
    }

    #[test]
    fn routes() {
        let carrier = Carrier::default();
        assert_eq!(carrier.route("+99900000001"), Route::Test(TestLine::Delivered));
        assert_eq!(carrier.route("+99900000005"), Route::Test(TestLine::FailsAtPage(2)));
        assert_eq!(carrier.route("+99900000000"), Route::Unassigned);
        assert_eq!(carrier.route("+99900000099"), Route::Unassigned);
        assert_eq!(carrier.route("+999 0000 0100"), Route::Account("+99900000100".to_owned()));
        assert_eq!(carrier.route("+4930123456"), Route::OutsidePlan);
        let numbers = test_numbers(&carrier.plan);
        assert_eq!(numbers.len(), 7);
        for (number, line) in numbers {
            assert_eq!(carrier.route(&number), Route::Test(line));
        }
    }

    #[test]
    fn rates_are_capped() {
        let set = rates_up_to(Rate::V29_9600);
        assert!(set.contains(Rate::V29_9600));
        assert!(set.contains(Rate::V17_9600));
        assert!(set.contains(Rate::V27TER_2400));
        assert!(!set.contains(Rate::V17_12000));
    }
}
