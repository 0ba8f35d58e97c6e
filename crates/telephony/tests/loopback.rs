//! The loopback carrier end to end: two real Ferrofax T.38 terminals fax each other
//! through it, test numbers give their documented outcomes, the answerer's word is
//! followed, and a call can be canceled at any point.

use std::time::{Duration, Instant};

use fax_image::{Limits, Page, Resolution};
use telephony::call::{Answer, CallReport, CallResult, CancelToken, OutgoingCall};
use telephony::loopback::{
    BUSY_TIME, Carrier, NumberPlan, Pacing, RING_TIMEOUT, Route, TestLine, test_numbers,
};

const ALICE: &str = "+99900000100";
const BOB: &str = "+99900000101";

fn call_to(to: &str, pages: &[Page], ecm: bool) -> OutgoingCall {
    OutgoingCall {
        from: ALICE.to_owned(),
        to: to.to_owned(),
        sender_ident: ALICE.to_owned(),
        pages: pages.to_vec(),
        ecm,
        max_rate: None,
    }
}

/// An answerer for which every account number is Bob's fax.
fn bob_answers(to: &str, _from: &str) -> Answer {
    if to == BOB { Answer::Accept { ident: BOB.to_owned() } } else { Answer::Unassigned }
}

/// The test number for `line` in the default plan.
fn test_number(line: TestLine) -> String {
    test_numbers(&NumberPlan::default())
        .into_iter()
        .find(|(_, l)| *l == line)
        .map(|(number, _)| number)
        .expect("the test line has a number")
}

/// A small page: a black frame on white, standard resolution, 100 rows.
fn small_page() -> Page {
    let mut page = Page::new(1728, 100, Resolution::STANDARD, &Limits::default()).expect("page");
    for x in 0..1728 {
        page.set_pixel(x, 0, true);
        page.set_pixel(x, 99, true);
    }
    for y in 0..100 {
        page.set_pixel(0, y, true);
        page.set_pixel(1727, y, true);
    }
    page
}

async fn place(carrier: &Carrier, call: OutgoingCall) -> CallReport {
    carrier.place(call, &bob_answers, &CancelToken::new()).await
}

fn assert_no_pages(report: &CallReport) {
    assert_eq!(report.pages_confirmed, 0, "{report:?}");
    assert!(report.received.as_ref().is_none_or(|r| r.pages.is_empty()), "{report:?}");
}

/// The eight ITU charts at fine resolution, to an account, arrive pixel-identical.
async fn charts_to_account(ecm: bool) {
    let carrier = Carrier::default();
    let charts = fixtures::itu_charts();
    let wall = Instant::now();
    let report = place(&carrier, call_to(BOB, charts, ecm)).await;
    let wall = wall.elapsed();
    assert_eq!(report.result, CallResult::Delivered, "{report:?}");
    assert_eq!(report.pages_confirmed, 8);
    assert_eq!(report.rate, Some(14_400));
    assert_eq!(report.ecm, Some(ecm));
    assert_eq!(report.remote_ident.as_deref(), Some(BOB));
    let received = report.received.as_ref().expect("an account call reports what was received");
    assert!(received.complete, "{report:?}");
    assert_eq!(received.caller_ident.as_deref(), Some(ALICE));
    assert_eq!(received.pages.len(), charts.len());
    for (n, (got, sent)) in received.pages.iter().zip(charts).enumerate() {
        assert_eq!(
            (got.width(), got.height(), got.resolution()),
            (sent.width(), sent.height(), sent.resolution())
        );
        assert!(got == sent, "chart {} differs in its pixels", n + 1);
    }
    let stats = report.stats.as_ref().expect("the caller's statistics");
    assert_eq!(stats.pages_sent, 8);
    // Eight dense fine pages at 14400 bit/s are minutes of line time.
    assert!(report.duration > Duration::from_secs(60), "{report:?}");
    eprintln!(
        "ecm {ecm}: 8 pages, {:.1} s of line time in {:.2} s of wall time: {:.1} pages per wall second, {:.0}x real time",
        report.duration.as_secs_f64(),
        wall.as_secs_f64(),
        8.0 / wall.as_secs_f64(),
        report.duration.as_secs_f64() / wall.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_route_delivers_the_itu_charts_with_ecm() {
    charts_to_account(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_route_delivers_the_itu_charts_without_ecm() {
    charts_to_account(false).await;
}

/// Virtual pacing is deterministic: the same call twice gives the same report.
#[tokio::test]
async fn virtual_calls_are_deterministic() {
    let carrier = Carrier::default();
    let pages = &fixtures::itu_charts_standard()[..2];
    let a = place(&carrier, call_to(BOB, pages, true)).await;
    let b = place(&carrier, call_to(BOB, pages, true)).await;
    assert_eq!(a.result, CallResult::Delivered);
    assert_eq!((a.duration, &a.stats), (b.duration, &b.stats));
}

#[tokio::test]
async fn max_rate_caps_the_speed() {
    let carrier = Carrier::default();
    let mut call = call_to(BOB, &[small_page()], true);
    call.max_rate = Some(fax_t30::Rate::V29_7200);
    let report = place(&carrier, call).await;
    assert_eq!(report.result, CallResult::Delivered, "{report:?}");
    assert_eq!(report.rate, Some(7_200));
}

#[tokio::test]
async fn test_number_delivered() {
    let carrier = Carrier::default();
    let number = test_number(TestLine::Delivered);
    assert_eq!(number, "+99900000001");
    let report = place(&carrier, call_to(&number, &fixtures::itu_charts_standard()[..3], true)).await;
    assert_eq!(report.result, CallResult::Delivered, "{report:?}");
    assert_eq!(report.pages_confirmed, 3);
    assert_eq!(report.remote_ident.as_deref(), Some(number.as_str()));
    assert!(report.received.is_none(), "a test line's pages are not handed to the service");
}

#[tokio::test]
async fn test_numbers_busy_and_no_answer() {
    let carrier = Carrier::default();
    let pages = [small_page()];
    let wall = Instant::now();
    let busy = place(&carrier, call_to(&test_number(TestLine::Busy), &pages, true)).await;
    assert_eq!(busy.result, CallResult::Busy);
    assert_eq!(busy.duration, BUSY_TIME);
    assert!(busy.stats.is_none(), "no terminal runs on a busy line");
    let none = place(&carrier, call_to(&test_number(TestLine::NoAnswer), &pages, true)).await;
    assert_eq!(none.result, CallResult::NoAnswer);
    assert_eq!(none.duration, RING_TIMEOUT);
    assert!(none.stats.is_none());
    assert_no_pages(&busy);
    assert_no_pages(&none);
    // Virtual pacing reports the ring time instead of waiting it.
    assert!(wall.elapsed() < RING_TIMEOUT / 2);
}

#[tokio::test]
async fn test_number_rejected() {
    let carrier = Carrier::default();
    let report = place(&carrier, call_to(&test_number(TestLine::Rejected), &[small_page()], true)).await;
    assert_eq!(report.result, CallResult::Rejected, "{report:?}");
    assert_no_pages(&report);
    // A terminal really answered: the caller heard its identity.
    assert_eq!(report.remote_ident.as_deref(), Some("+99900000004"));
    assert!(report.stats.is_some());
}

/// The line drops during page 2: exactly one page is confirmed, and the retry with
/// the pages from the first unconfirmed one delivers the rest.
#[tokio::test]
async fn test_number_fails_at_page_2_and_a_retry_resumes() {
    let carrier = Carrier::default();
    let number = test_number(TestLine::FailsAtPage(2));
    let pages = &fixtures::itu_charts()[..2];
    for ecm in [true, false] {
        let first = place(&carrier, call_to(&number, pages, ecm)).await;
        match &first.result {
            CallResult::Failed { code, retryable, .. } => {
                assert_eq!(*code, "remote_hung_up", "{first:?}");
                assert!(retryable);
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        assert_eq!(first.pages_confirmed, 1, "ecm {ecm}: {first:?}");
        let retry = place(&carrier, call_to(&number, &pages[first.pages_confirmed..], ecm)).await;
        assert_eq!(retry.result, CallResult::Delivered, "ecm {ecm}: {retry:?}");
        assert_eq!(first.pages_confirmed + retry.pages_confirmed, pages.len());
    }
}

/// With eight pages, each call to the failing line gets one page further; resuming
/// from the first unconfirmed page every time delivers the whole document.
#[tokio::test]
async fn repeated_retries_deliver_a_long_document() {
    let carrier = Carrier::default();
    let number = test_number(TestLine::FailsAtPage(2));
    let pages = fixtures::itu_charts_standard();
    let mut next = 0;
    let mut calls = 0;
    while next < pages.len() {
        calls += 1;
        assert!(calls <= pages.len(), "no progress");
        let report = place(&carrier, call_to(&number, &pages[next..], true)).await;
        let remaining = pages.len() - next;
        if remaining >= 2 {
            assert_eq!(report.pages_confirmed, 1, "call {calls}: {report:?}");
            assert!(matches!(report.result, CallResult::Failed { retryable: true, .. }));
        } else {
            assert_eq!(report.result, CallResult::Delivered, "call {calls}: {report:?}");
        }
        next += report.pages_confirmed;
    }
    assert_eq!(calls, pages.len());
}

/// The slow line runs in real time at V.27 ter 2400 bit/s even on a carrier with
/// virtual pacing.
#[tokio::test]
async fn test_number_slow_line() {
    let carrier = Carrier::default();
    let wall = Instant::now();
    let report = place(&carrier, call_to(&test_number(TestLine::SlowLine), &[small_page()], true)).await;
    let wall = wall.elapsed();
    assert_eq!(report.result, CallResult::Delivered, "{report:?}");
    assert_eq!(report.rate, Some(2_400));
    // Real-time pacing: the wall time is the line time, which for one page with
    // CED, training at 2400 bit/s and the V.21 exchanges is over ten seconds.
    assert!(report.duration > Duration::from_secs(10), "{report:?}");
    assert!(wall + Duration::from_millis(100) >= report.duration, "wall {wall:?}, {report:?}");
}

/// The bad line makes the terminals retrain; the outcome is a delivery or a
/// retryable failure, and the same on every run.
#[tokio::test]
async fn test_number_bad_line() {
    let carrier = Carrier::default();
    let number = test_number(TestLine::BadLine);
    let pages = &fixtures::itu_charts()[..4];
    let report = place(&carrier, call_to(&number, pages, true)).await;
    eprintln!("bad line: {report:?}");
    let stats = report.stats.as_ref().expect("statistics");
    assert_eq!(report.ecm, Some(false), "the bad line has no ECM");
    assert!(stats.retrains > 0, "{report:?}");
    match &report.result {
        CallResult::Delivered => assert_eq!(report.pages_confirmed, pages.len()),
        CallResult::Failed { retryable, .. } => assert!(retryable, "{report:?}"),
        other => panic!("unexpected {other:?}"),
    }
    let again = place(&carrier, call_to(&number, pages, true)).await;
    assert_eq!(
        (&again.result, again.pages_confirmed, again.duration, &again.stats),
        (&report.result, report.pages_confirmed, report.duration, &report.stats)
    );
}

#[tokio::test]
async fn answerer_busy_reject_no_answer_unassigned() {
    let carrier = Carrier::default();
    let pages = [small_page()];
    for (answer, expected) in [
        (Answer::Busy, CallResult::Busy),
        (Answer::NoAnswer, CallResult::NoAnswer),
        (Answer::Reject, CallResult::Rejected),
        (Answer::Unassigned, CallResult::Unassigned),
    ] {
        let answerer = |to: &str, from: &str| {
            assert_eq!((to, from), (BOB, ALICE));
            answer.clone()
        };
        let report = carrier.place(call_to(BOB, &pages, true), &answerer, &CancelToken::new()).await;
        assert_eq!(report.result, expected, "{answer:?}: {report:?}");
        assert_no_pages(&report);
        if expected == CallResult::Rejected {
            assert!(report.received.is_none());
            assert!(report.stats.is_some(), "a refusing terminal answered");
        }
    }
}

#[tokio::test]
async fn unassigned_and_outside_the_plan() {
    let carrier = Carrier::default();
    let pages = [small_page()];
    assert_eq!(carrier.route("+99900000099"), Route::Unassigned);
    let report = place(&carrier, call_to("+99900000099", &pages, true)).await;
    assert_eq!(report.result, CallResult::Unassigned);
    // Bob's answerer knows only Bob: another account number is unassigned.
    let report = place(&carrier, call_to("+99900000555", &pages, true)).await;
    assert_eq!(report.result, CallResult::Unassigned);
    assert_eq!(carrier.route("+4930123456"), Route::OutsidePlan);
    let report = place(&carrier, call_to("+4930123456", &pages, true)).await;
    assert_eq!(report.result, CallResult::NoRoute);
    assert_no_pages(&report);
}

/// Cancel during a long real-time fax: the call ends promptly as canceled, after a
/// goodbye the answering terminal hears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_call_in_real_time() {
    let carrier = Carrier { pacing: Pacing::RealTime, ..Carrier::default() };
    let cancel = CancelToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(4)).await;
        trigger.cancel();
    });
    let wall = Instant::now();
    let report = carrier.place(call_to(BOB, fixtures::itu_charts(), true), &bob_answers, &cancel).await;
    let wall = wall.elapsed();
    assert_eq!(report.result, CallResult::Canceled, "{report:?}");
    assert!(wall < Duration::from_secs(10), "took {wall:?}");
    assert!(report.duration >= Duration::from_secs(4), "{report:?}");
    assert_eq!(report.pages_confirmed, 0);
    let received = report.received.expect("the answering terminal ran");
    assert!(!received.complete);
    assert!(received.pages.is_empty());
}

#[tokio::test]
async fn cancel_before_the_call() {
    let carrier = Carrier::default();
    let cancel = CancelToken::new();
    cancel.cancel();
    let report = carrier.place(call_to(BOB, &[small_page()], true), &bob_answers, &cancel).await;
    assert_eq!(report.result, CallResult::Canceled);
    assert!(report.stats.is_none());
}

/// A cancel during a virtual-time call is seen between steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_call_in_virtual_time() {
    let carrier = Carrier::default();
    let cancel = CancelToken::new();
    // Canceled as soon as the call is under way: a document long enough that it
    // cannot be over by then (forty pages of line time).
    let pages: Vec<Page> = fixtures::itu_charts().iter().cycle().take(40).cloned().collect();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        trigger.cancel();
    });
    let wall = Instant::now();
    let report = carrier.place(call_to(BOB, &pages, true), &bob_answers, &cancel).await;
    assert_eq!(report.result, CallResult::Canceled, "{report:?}");
    assert!(report.pages_confirmed < pages.len());
    assert!(wall.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn too_many_pages_are_refused_before_dialling() {
    let mut carrier = Carrier::default();
    carrier.limits.max_pages = 1;
    let report = place(&carrier, call_to(BOB, &[small_page(), small_page()], true)).await;
    match report.result {
        CallResult::Failed { code, retryable, .. } => {
            assert_eq!(code, telephony::call::TOO_MANY_PAGES);
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
    assert!(report.stats.is_none());
}

/// The carrier's line-time limit ends a call that would run past it.
#[tokio::test]
async fn line_time_limit_ends_the_call() {
    let mut carrier = Carrier::default();
    carrier.limits.max_line_time = Duration::from_secs(20);
    let report = place(&carrier, call_to(BOB, &fixtures::itu_charts()[..2], true)).await;
    match &report.result {
        CallResult::Failed { code, .. } => assert_eq!(*code, telephony::call::CALL_TOO_LONG, "{report:?}"),
        other => panic!("{other:?}"),
    }
    assert!(report.duration <= Duration::from_secs(20), "{report:?}");
    assert_eq!(report.pages_confirmed, 0);
}

/// The service spawns calls on a multi-threaded runtime: the future must be `Send`.
#[test]
fn place_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let carrier = Carrier::default();
    let cancel = CancelToken::new();
    let future = carrier.place(call_to(BOB, &[], true), &bob_answers, &cancel);
    assert_send(&future);
}
