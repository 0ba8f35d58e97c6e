//! One loopback call: two T.38 terminals joined by an in-memory UDPTL path, and the
//! two drivers that run it, in virtual time on a blocking thread or in real time on
//! tokio timers.
//!
//! [`Line`] holds everything the call needs and knows nothing of clocks: it is told
//! the time ([`Line::step`]) and says when it next needs to be woken
//! ([`Line::next_deadline`]). The drivers differ only in how they get from one
//! deadline to the next.

use std::time::{Duration, Instant};

use fax_image::Page;
use fax_line::t38::Terminal;
use fax_sim::{Duplex, VirtualClock};
use fax_t30::session::{Event, Negotiated, Outcome, PageQuality, Phase};
use tokio_util::sync::CancellationToken;

/// How far into the page the line drops for a line that fails at a page: long
/// enough for the training and the first image data to have gone out, short enough
/// to be inside any real page.
pub(super) const DROP_INTO_PAGE: Duration = Duration::from_millis(300);

/// How long after a line goes silent the network tells both ends the call is gone
/// (a SIP BYE, a cleared circuit).
pub(super) const DROP_NOTICE: Duration = Duration::from_secs(1);

/// How long a canceled call may take to say goodbye (our DCN and the far end's
/// reaction) before both ends are hung up.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// The most steps at one instant before the line counts as stalled: far more than
/// any burst of datagrams and timers, and a guard against a core that keeps asking
/// to be woken at the same instant.
const MAX_STEPS_PER_INSTANT: u32 = 10_000;

/// The most datagrams one terminal may emit in one step; a terminal paces its
/// packets, so this is never reached by a working one.
const MAX_DATAGRAMS_PER_STEP: usize = 100_000;

/// How often, in steps, the virtual driver looks at the wall clock and the cancel
/// token.
const CHECK_EVERY: u32 = 64;

/// Why a line stopped before both terminals finished by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Forced {
    /// A time limit of the carrier passed.
    TooLong,
    /// Nothing could happen any more, or one instant never ended.
    Stalled,
}

/// What the calling terminal reported.
#[derive(Debug, Default)]
pub(super) struct CallerSeen {
    pub(super) pages_confirmed: usize,
    pub(super) negotiated: Option<Negotiated>,
    pub(super) remote_ident: Option<String>,
    pub(super) outcome: Option<Outcome>,
}

/// What the answering terminal reported.
#[derive(Debug, Default)]
pub(super) struct AnswererSeen {
    pub(super) pages: Vec<Page>,
    pub(super) caller_ident: Option<String>,
    pub(super) outcome: Option<Outcome>,
}

/// Where the scheduled line drop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineDrop {
    /// The line never drops.
    Never,
    /// The line drops during this page of the call (from 1).
    AtPage(usize),
    /// The line goes silent at this instant.
    Pending(Instant),
    /// The line is silent.
    Done,
}

/// Two terminals and the path between them.
#[derive(Debug)]
pub(super) struct Line {
    caller: Terminal,
    answerer: Terminal,
    path: Duplex,
    drop: LineDrop,
    /// When both terminals are told the call is gone.
    hangup_at: Option<Instant>,
    hung_up: bool,
    canceled: bool,
    forced: Option<Forced>,
    /// The instant of the last step and how many steps happened at it.
    last_step: Option<(Instant, u32)>,
    pub(super) caller_seen: CallerSeen,
    pub(super) answerer_seen: AnswererSeen,
}

impl Line {
    /// A line carrying `caller` and `answerer` over `path`, dropping during page
    /// `drop_at_page` (from 1) if given. Both terminals start at `now`.
    pub(super) fn new(
        caller: Terminal,
        answerer: Terminal,
        path: Duplex,
        drop_at_page: Option<usize>,
        now: Instant,
    ) -> Line {
        let mut line = Line {
            caller,
            answerer,
            path,
            drop: drop_at_page.map_or(LineDrop::Never, |page| LineDrop::AtPage(page.max(1))),
            hangup_at: None,
            hung_up: false,
            canceled: false,
            forced: None,
            last_step: None,
            caller_seen: CallerSeen::default(),
            answerer_seen: AnswererSeen::default(),
        };
        line.flush(now);
        line
    }

    /// Whether both terminals have ended.
    pub(super) fn finished(&self) -> bool {
        self.caller.is_finished() && self.answerer.is_finished()
    }

    /// Whether the call was canceled.
    pub(super) fn canceled(&self) -> bool {
        self.canceled
    }

    /// Why the carrier had to end the call, if it had to.
    pub(super) fn forced(&self) -> Option<Forced> {
        self.forced
    }

    /// When something next happens on the line, if ever.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let drop_at = match self.drop {
            LineDrop::Pending(at) => Some(at),
            _ => None,
        };
        let hangup_at = self.hangup_at.filter(|_| !self.hung_up);
        [
            self.caller.poll_timeout(),
            self.answerer.poll_timeout(),
            self.path.next_delivery(),
            drop_at,
            hangup_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs everything due at `now`: datagrams arriving, the terminals' timers, the
    /// line dropping, the network hanging up; then moves what the terminals sent
    /// into the path. Returns false if the line is stuck at one instant.
    pub(super) fn step(&mut self, now: Instant) -> bool {
        match &mut self.last_step {
            Some((at, count)) if *at == now => {
                *count += 1;
                if *count >= MAX_STEPS_PER_INSTANT {
                    return false;
                }
            }
            _ => self.last_step = Some((now, 0)),
        }
        let silent = self.drop == LineDrop::Done;
        // Each loop is bounded by what was in flight when it started: handing a
        // datagram to a terminal does not put anything on the path.
        while let Some(datagram) = self.path.a_to_b.poll_deliver(now) {
            if !silent {
                self.answerer.handle_datagram(&datagram, now);
            }
        }
        while let Some(datagram) = self.path.b_to_a.poll_deliver(now) {
            if !silent {
                self.caller.handle_datagram(&datagram, now);
            }
        }
        if self.caller.poll_timeout().is_some_and(|t| t <= now) {
            self.caller.handle_timeout(now);
        }
        if self.answerer.poll_timeout().is_some_and(|t| t <= now) {
            self.answerer.handle_timeout(now);
        }
        if let LineDrop::Pending(at) = self.drop
            && at <= now
        {
            self.drop = LineDrop::Done;
            self.schedule_hangup(now + DROP_NOTICE);
        }
        if !self.hung_up && self.hangup_at.is_some_and(|t| t <= now) {
            self.hang_up(now);
        }
        self.flush(now)
    }

    /// Cancels the call: the caller ends it (DCN if the dialogue had started), and
    /// both ends are hung up if the goodbye takes longer than a few seconds.
    pub(super) fn cancel(&mut self, now: Instant) {
        if self.canceled {
            return;
        }
        self.canceled = true;
        self.caller.abort(now);
        self.schedule_hangup(now + CANCEL_GRACE);
        self.flush(now);
    }

    /// Ends the call at once, for a reason of the carrier's own.
    pub(super) fn force_end(&mut self, reason: Forced, now: Instant) {
        if self.forced.is_none() {
            self.forced = Some(reason);
        }
        self.caller.abort(now);
        self.answerer.abort(now);
        self.hang_up(now);
    }

    /// Nothing is scheduled, yet the terminals have not ended: hang both up, which
    /// ends their sessions. A second time means even that did not help.
    pub(super) fn idle(&mut self, now: Instant) {
        if self.hung_up {
            self.force_end(Forced::Stalled, now);
        } else {
            self.hang_up(now);
        }
    }

    fn schedule_hangup(&mut self, at: Instant) {
        self.hangup_at = Some(self.hangup_at.map_or(at, |t| t.min(at)));
    }

    fn hang_up(&mut self, now: Instant) {
        self.hung_up = true;
        self.caller.hangup(now);
        self.answerer.hangup(now);
        self.flush(now);
    }

    /// Moves the terminals' datagrams into the path (or nowhere, once the line is
    /// silent) and takes their events. Returns false if a terminal flooded the path.
    fn flush(&mut self, now: Instant) -> bool {
        let silent = self.drop == LineDrop::Done;
        let mut ok = true;
        for _ in 0..=MAX_DATAGRAMS_PER_STEP {
            let Some(datagram) = self.caller.poll_datagram() else { break };
            if !silent {
                self.path.a_to_b.send(datagram, now);
            }
        }
        for _ in 0..=MAX_DATAGRAMS_PER_STEP {
            let Some(datagram) = self.answerer.poll_datagram() else { break };
            if !silent {
                self.path.b_to_a.send(datagram, now);
            }
        }
        if self.caller.poll_datagram().is_some() || self.answerer.poll_datagram().is_some() {
            ok = false;
        }
        while let Some(event) = self.caller.poll_event() {
            self.caller_event(event, now);
        }
        while let Some(event) = self.answerer.poll_event() {
            self.answerer_event(event);
        }
        ok
    }

    fn caller_event(&mut self, event: Event, now: Instant) {
        match event {
            Event::PhaseChanged(Phase::C) => {
                // The first image transmission after `page - 1` confirmations is the
                // start of that page; later blocks of the same page (ECM) find the
                // drop already scheduled.
                if let LineDrop::AtPage(page) = self.drop
                    && self.caller_seen.pages_confirmed + 1 >= page
                {
                    self.drop = LineDrop::Pending(now + DROP_INTO_PAGE);
                }
            }
            Event::RemoteIdent(ident) => self.caller_seen.remote_ident = Some(ident.number()),
            Event::Negotiated(negotiated) => self.caller_seen.negotiated = Some(negotiated),
            Event::PageSent { index, .. } => {
                self.caller_seen.pages_confirmed = self.caller_seen.pages_confirmed.max(index + 1);
            }
            Event::Completed(outcome) => {
                let sent = outcome.stats.pages_sent as usize;
                self.caller_seen.pages_confirmed = self.caller_seen.pages_confirmed.max(sent);
                self.caller_seen.outcome = Some(outcome);
            }
            _ => {}
        }
    }

    fn answerer_event(&mut self, event: Event) {
        match event {
            Event::RemoteIdent(ident) => self.answerer_seen.caller_ident = Some(ident.number()),
            Event::PageReceived { page, quality, .. } if quality != PageQuality::Rejected => {
                self.answerer_seen.pages.push(page);
            }
            Event::Completed(outcome) => self.answerer_seen.outcome = Some(outcome),
            _ => {}
        }
    }
}

/// The bounds a driver enforces.
#[derive(Debug, Clone, Copy)]
pub(super) struct DriveLimits {
    /// The most line time the call may take.
    pub(super) line_time: Duration,
    /// The most wall time a virtual call may take.
    pub(super) wall_time: Duration,
}

/// Runs `line` in virtual time from `start` until both terminals end, checking
/// `cancel` and the wall clock every few steps. Returns the line and the line time
/// the call took.
pub(super) fn run_virtual(
    mut line: Line,
    start: Instant,
    cancel: &CancellationToken,
    limits: DriveLimits,
) -> (Line, Duration) {
    let mut clock = VirtualClock::new(start);
    let wall_start = Instant::now();
    let mut steps = 0u32;
    while !line.finished() {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(CHECK_EVERY) {
            if cancel.is_cancelled() {
                line.cancel(clock.now());
            }
            if wall_start.elapsed() > limits.wall_time {
                line.force_end(Forced::TooLong, clock.now());
                break;
            }
        }
        if !advance(&mut line, &mut clock, start, limits) {
            break;
        }
    }
    (line, clock.elapsed())
}

/// Runs `line` in real time until both terminals end, sleeping on tokio timers
/// between deadlines. A cancel wakes it at once; the goodbye that follows runs in
/// virtual time, since nobody waits on the far end of a loopback line.
pub(super) async fn run_real_time(
    mut line: Line,
    start: Instant,
    cancel: &CancellationToken,
    limits: DriveLimits,
) -> (Line, Duration) {
    loop {
        let now = Instant::now();
        if !line.step(now) {
            line.force_end(Forced::Stalled, now);
        }
        if line.finished() || line.forced().is_some() {
            return (line, now.saturating_duration_since(start));
        }
        if now.saturating_duration_since(start) > limits.line_time {
            line.force_end(Forced::TooLong, now);
            return (line, now.saturating_duration_since(start));
        }
        if line.canceled() {
            let mut clock = VirtualClock::new(start);
            clock.advance_to(now);
            while !line.finished() && advance(&mut line, &mut clock, start, limits) {}
            return (line, clock.elapsed());
        }
        let Some(deadline) = line.next_deadline() else {
            line.idle(now);
            continue;
        };
        let give_up = start + limits.line_time;
        tokio::select! {
            biased;
            () = cancel.cancelled() => line.cancel(Instant::now()),
            () = tokio::time::sleep_until(deadline.min(give_up).into()) => {}
        }
    }
}

/// Moves `clock` to the line's next deadline and steps there. Returns false when
/// the line has been ended for good (it was stuck or ran out of line time).
fn advance(line: &mut Line, clock: &mut VirtualClock, start: Instant, limits: DriveLimits) -> bool {
    let now = clock.now();
    let Some(next) = line.next_deadline() else {
        line.idle(now);
        return line.forced().is_none();
    };
    let t = next.max(now);
    if t.saturating_duration_since(start) > limits.line_time {
        line.force_end(Forced::TooLong, now);
        return false;
    }
    clock.advance_to(t);
    if !line.step(t) {
        line.force_end(Forced::Stalled, t);
        return false;
    }
    true
}
