//! Behaviour of single links and duplex paths: determinism, and each impairment doing
//! what its documentation says, checked statistically with fixed seeds.
//!
//! The statistical bounds are about five standard deviations wide, so they would hold
//! for almost any seed; fixing the seed makes them exact regressions as well.

use std::time::{Duration, Instant};

use fax_sim::{Duplex, Fate, GilbertElliott, Impairments, Jitter, Link, LinkStats, Rng, VirtualClock};

const MS: Duration = Duration::from_millis(1);

/// Sends `count` numbered datagrams, one every `gap`, draining deliveries as virtual
/// time passes, then drains the rest. Returns the delivered datagram numbers with
/// their arrival offsets, and the final counters.
fn run_link(link: &mut Link, count: u32, gap: Duration, size: usize) -> (Vec<(Duration, u32)>, LinkStats) {
    let mut clock = VirtualClock::starting_now();
    let mut out = Vec::new();
    let drain_until =
        |link: &mut Link, clock: &mut VirtualClock, until: Instant, out: &mut Vec<(Duration, u32)>| {
            while let Some(due) = link.next_delivery().filter(|&due| due <= until) {
                clock.advance_to(due);
                while let Some(d) = link.poll_deliver(clock.now()) {
                    out.push((clock.elapsed(), u32::from_be_bytes([d[0], d[1], d[2], d[3]])));
                }
            }
            clock.advance_to(until);
        };
    for n in 0..count {
        let mut datagram = n.to_be_bytes().to_vec();
        datagram.resize(size.max(4), 0xa5);
        link.send(datagram, clock.now());
        let next = clock.now() + gap;
        drain_until(link, &mut clock, next, &mut out);
    }
    let far = clock.now() + Duration::from_secs(7200);
    drain_until(link, &mut clock, far, &mut out);
    (out, link.stats())
}

fn assert_accounting(stats: &LinkStats) {
    assert_eq!(stats.sent + stats.duplicated, stats.delivered + stats.dropped(), "{stats:?}");
}

fn everything() -> Impairments {
    Impairments::internet_like()
        .with_duplicate(0.02)
        .with_reorder(0.05, 30 * MS)
        .with_rate_limit(40_000)
        .with_max_queue(8)
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    let (first, first_stats) = run_link(&mut Link::new(everything(), 1234), 5000, MS, 200);
    let (second, second_stats) = run_link(&mut Link::new(everything(), 1234), 5000, MS, 200);
    assert_eq!(first, second);
    assert_eq!(first_stats, second_stats);
    let (third, third_stats) = run_link(&mut Link::new(everything(), 1235), 5000, MS, 200);
    assert_ne!(first, third);
    assert_ne!(first_stats, third_stats);
    // Every knob did something in this run.
    for stats in [first_stats, third_stats] {
        assert!(stats.lost > 0 && stats.lost_in_burst > 0, "{stats:?}");
        assert!(stats.duplicated > 0 && stats.held_back > 0 && stats.reordered > 0, "{stats:?}");
        assert!(stats.queue_dropped > 0, "{stats:?}");
        assert_accounting(&stats);
    }
}

#[test]
fn independent_loss_converges_to_p() {
    for p in [0.01, 0.1, 0.5] {
        let mut link = Link::new(Impairments::lossy(p), 99);
        let n = 200_000u32;
        let (delivered, stats) = run_link(&mut link, n, Duration::from_micros(10), 4);
        let rate = stats.lost as f64 / f64::from(n);
        let sigma = (p * (1.0 - p) / f64::from(n)).sqrt();
        assert!((rate - p).abs() < 5.0 * sigma, "p {p}: rate {rate}");
        assert_eq!(delivered.len() as u64, stats.delivered);
        assert_eq!(stats.lost_in_burst, 0);
        assert_accounting(&stats);
    }
    let (none_lost, stats) = run_link(&mut Link::new(Impairments::lossy(0.0), 1), 1000, MS, 4);
    assert_eq!((none_lost.len(), stats.lost), (1000, 0));
    let (all_lost, stats) = run_link(&mut Link::new(Impairments::lossy(1.0), 1), 1000, MS, 4);
    assert_eq!((all_lost.len(), stats.lost), (0, 1000));
}

/// Lengths of the runs of consecutive missing numbers in a delivery log of `0..n`.
fn loss_bursts(delivered: &[(Duration, u32)], n: u32) -> Vec<u32> {
    let mut got = vec![false; n as usize];
    for &(_, k) in delivered {
        got[k as usize] = true;
    }
    let mut bursts = Vec::new();
    let mut run = 0;
    for received in got {
        if received {
            if run > 0 {
                bursts.push(run);
            }
            run = 0;
        } else {
            run += 1;
        }
    }
    if run > 0 {
        bursts.push(run);
    }
    bursts
}

#[test]
fn gilbert_elliott_burst_length_and_rate() {
    let model = GilbertElliott::new(0.01, 0.25, 1.0);
    let n = 200_000;
    let mut link = Link::new(Impairments::perfect().with_burst(model), 2024);
    let (delivered, stats) = run_link(&mut link, n, Duration::from_micros(10), 4);
    let bursts = loss_bursts(&delivered, n);
    let mean = f64::from(bursts.iter().sum::<u32>()) / bursts.len() as f64;
    // Geometric with mean 4 has a standard deviation of sqrt(0.75) / 0.25 ≈ 3.5; with
    // about 1900 bursts the standard error is about 0.08.
    assert!((mean - model.mean_burst_len()).abs() < 0.4, "mean burst {mean} over {} bursts", bursts.len());
    let rate = stats.lost as f64 / f64::from(n);
    assert!((rate - model.loss_rate()).abs() < 0.005, "rate {rate} vs {}", model.loss_rate());
    assert_eq!(stats.lost, stats.lost_in_burst);

    // The convenience constructor hits its targets too.
    let model = GilbertElliott::from_rate_and_burst(0.05, 6.0);
    let mut link = Link::new(Impairments::perfect().with_burst(model), 7);
    let (delivered, stats) = run_link(&mut link, n, Duration::from_micros(10), 4);
    let bursts = loss_bursts(&delivered, n);
    let mean = f64::from(bursts.iter().sum::<u32>()) / bursts.len() as f64;
    assert!((mean - 6.0).abs() < 0.6, "mean burst {mean}");
    let rate = stats.lost as f64 / f64::from(n);
    assert!((rate - 0.05).abs() < 0.01, "rate {rate}");
}

#[test]
fn independent_loss_is_not_bursty() {
    // With independent loss at 20 %, the mean run of losses is 1 / 0.8 = 1.25.
    let n = 100_000;
    let (delivered, _) =
        run_link(&mut Link::new(Impairments::lossy(0.2), 5), n, Duration::from_micros(10), 4);
    let bursts = loss_bursts(&delivered, n);
    let mean = f64::from(bursts.iter().sum::<u32>()) / bursts.len() as f64;
    assert!((mean - 1.25).abs() < 0.05, "mean burst {mean}");
}

#[test]
fn reordering_reorders() {
    let imp = Impairments::perfect().with_delay(10 * MS).with_reorder(0.1, 50 * MS);
    let (delivered, stats) = run_link(&mut Link::new(imp, 3), 2000, MS, 4);
    assert_eq!(delivered.len(), 2000);
    let order: Vec<u32> = delivered.iter().map(|&(_, n)| n).collect();
    assert!(order.windows(2).any(|w| w[0] > w[1]));
    assert!((150..250).contains(&stats.held_back), "{stats:?}");
    assert_eq!(stats.reordered, stats.held_back, "every held-back datagram is overtaken at 1 ms spacing");
    // A held-back datagram arrives exactly the extra delay late.
    for &(at, n) in &delivered {
        let sent = MS * n;
        let latency = at - sent;
        assert!(latency == 10 * MS || latency == 60 * MS, "datagram {n}: latency {latency:?}");
    }
    // Without the knob, nothing is reordered.
    let (plain, stats) = run_link(&mut Link::new(Impairments::perfect().with_delay(10 * MS), 3), 2000, MS, 4);
    assert!(plain.windows(2).all(|w| w[0].1 < w[1].1));
    assert_eq!(stats.reordered, 0);
}

#[test]
fn duplicates_appear() {
    let imp = Impairments::perfect().with_delay(5 * MS).with_uniform_jitter(2 * MS).with_duplicate(0.05);
    let n = 20_000u32;
    let (delivered, stats) = run_link(&mut Link::new(imp, 8), n, MS, 4);
    let sigma = (0.05f64 * 0.95 / f64::from(n)).sqrt();
    let rate = stats.duplicated as f64 / f64::from(n);
    assert!((rate - 0.05).abs() < 5.0 * sigma, "duplication rate {rate}");
    assert_eq!(stats.delivered, u64::from(n) + stats.duplicated);
    let mut copies = vec![0u32; n as usize];
    for &(_, k) in &delivered {
        copies[k as usize] += 1;
    }
    assert!(copies.iter().all(|&c| c == 1 || c == 2));
    assert_eq!(copies.iter().filter(|&&c| c == 2).count() as u64, stats.duplicated);
    assert_accounting(&stats);
}

#[test]
fn delay_and_jitter_bounds() {
    let mut clock = VirtualClock::starting_now();
    let delay = 30 * MS;
    let cases = [
        (Jitter::Uniform { max: 20 * MS }, 20 * MS),
        (Jitter::Normal { mean: 5 * MS, std_dev: 3 * MS }, 23 * MS),
        (Jitter::Normal { mean: Duration::ZERO, std_dev: 4 * MS }, 24 * MS),
    ];
    for (jitter, bound) in cases {
        assert_eq!(jitter.max(), bound);
        let mut link = Link::new(Impairments::perfect().with_delay(delay).with_jitter(jitter), 17);
        let mut lo = Duration::MAX;
        let mut hi = Duration::ZERO;
        let mut sum = Duration::ZERO;
        let n = 20_000u32;
        for _ in 0..n {
            clock.advance(MS);
            let Fate::Scheduled { arrival, copy: None } = link.send(vec![0; 8], clock.now()) else {
                panic!("a link without loss must schedule every datagram");
            };
            let latency = arrival - clock.now();
            lo = lo.min(latency);
            hi = hi.max(latency);
            sum += latency;
        }
        assert!(lo >= delay && hi <= delay + bound, "{jitter:?}: {lo:?}..{hi:?}");
        let mean = sum / n;
        match jitter {
            Jitter::Uniform { max } => {
                assert!(hi > delay + max * 9 / 10 && lo < delay + max / 10);
                let expected = delay + max / 2;
                assert!(mean.abs_diff(expected) < MS / 2, "mean {mean:?}");
            }
            Jitter::Normal { mean: m, std_dev } if m > std_dev => {
                assert!(mean.abs_diff(delay + m) < MS / 10, "mean {mean:?}");
            }
            // Clamping a zero-mean normal at zero puts half the mass at zero and
            // leaves the positive half as it was, so the mean is sigma / sqrt(2 pi),
            // about 0.4 sigma.
            Jitter::Normal { std_dev, .. } => {
                let expected = delay + std_dev.mul_f64(0.398_942_28);
                assert!(mean.abs_diff(expected) < MS / 10, "mean {mean:?}");
            }
            Jitter::None => unreachable!(),
        }
    }
}

#[test]
fn keep_order_prevents_jitter_reordering() {
    let jittery = Impairments::perfect().with_delay(20 * MS).with_uniform_jitter(10 * MS);
    let (unordered, stats) = run_link(&mut Link::new(jittery, 4), 2000, MS, 4);
    assert!(stats.reordered > 0, "jitter larger than the spacing reorders");
    assert!(unordered.windows(2).any(|w| w[0].1 > w[1].1));
    let (ordered, stats) = run_link(&mut Link::new(jittery.with_keep_order(true), 4), 2000, MS, 4);
    assert_eq!(stats.reordered, 0);
    assert!(ordered.windows(2).all(|w| w[0].1 < w[1].1 && w[0].0 <= w[1].0));
}

#[test]
fn ties_keep_send_order() {
    let mut link = Link::new(Impairments::perfect().with_delay(7 * MS), 0);
    let clock = VirtualClock::starting_now();
    for n in 0u8..100 {
        link.send(vec![n], clock.now());
    }
    assert_eq!(link.in_flight(), 100);
    assert_eq!(link.next_delivery(), Some(clock.now() + 7 * MS));
    assert_eq!(link.poll_deliver(clock.now() + 6 * MS), None);
    let got: Vec<u8> = std::iter::from_fn(|| link.poll_deliver(clock.now() + 7 * MS)).map(|d| d[0]).collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    assert_eq!(link.next_delivery(), None);
}

#[test]
fn rate_limit_serialises_and_drop_tail_queue_drops() {
    let clock = VirtualClock::starting_now();
    let t0 = clock.now();
    // 1000 bytes per second: a 100-byte datagram takes 100 ms.
    let mut link = Link::new(Impairments::perfect().with_delay(10 * MS).with_rate_limit(1000), 0);
    let arrivals: Vec<Duration> = (0..5)
        .map(|_| match link.send(vec![0; 100], t0) {
            Fate::Scheduled { arrival, .. } => arrival - t0,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(arrivals, [110 * MS, 210 * MS, 310 * MS, 410 * MS, 510 * MS]);
    // Once the bottleneck is idle again, a datagram goes straight through.
    let later = t0 + Duration::from_secs(2);
    assert_eq!(link.send(vec![0; 100], later), Fate::Scheduled { arrival: later + 110 * MS, copy: None });

    let mut link = Link::new(Impairments::perfect().with_rate_limit(1000).with_max_queue(3), 0);
    let fates: Vec<Fate> = (0..6).map(|_| link.send(vec![0; 100], t0)).collect();
    assert_eq!(fates.iter().filter(|f| matches!(f, Fate::Scheduled { .. })).count(), 3);
    assert_eq!(&fates[3..], &[Fate::QueueFull; 3]);
    assert_eq!(link.stats().queue_dropped, 3);
    // After the first datagram has left the bottleneck, there is room for one more.
    assert!(matches!(link.send(vec![0; 100], t0 + 100 * MS), Fate::Scheduled { .. }));
    assert_eq!(link.send(vec![0; 100], t0 + 100 * MS), Fate::QueueFull);
}

#[test]
fn in_flight_is_bounded() {
    let clock = VirtualClock::starting_now();
    let mut link =
        Link::new(Impairments::perfect().with_delay(Duration::from_secs(1)), 0).with_max_in_flight(10);
    let fates: Vec<Fate> = (0..25).map(|_| link.send(vec![1, 2, 3], clock.now())).collect();
    assert_eq!(fates.iter().filter(|f| **f == Fate::Overflow).count(), 15);
    assert_eq!(link.in_flight(), 10);
    assert_eq!(link.stats().overflow_dropped, 15);
    // Absurd configured delays are clamped rather than overflowing `Instant`.
    let mut link = Link::new(Impairments::perfect().with_delay(Duration::MAX), 0);
    assert!(matches!(link.send(vec![0], clock.now()), Fate::Scheduled { .. }));
    assert_eq!(link.next_delivery(), Some(clock.now() + fax_sim::MAX_DELAY));
}

#[test]
fn impairments_can_change_mid_run() {
    let mut clock = VirtualClock::starting_now();
    let mut link = Link::new(Impairments::perfect(), 0);
    link.send(vec![1], clock.now());
    link.set_impairments(Impairments::lossy(1.0));
    for _ in 0..10 {
        assert_eq!(link.send(vec![2], clock.now()), Fate::Lost);
    }
    link.set_impairments(Impairments::perfect());
    link.send(vec![3], clock.now());
    clock.advance(MS);
    let got: Vec<Vec<u8>> = std::iter::from_fn(|| link.poll_deliver(clock.now())).collect();
    assert_eq!(got, [vec![1], vec![3]]);
}

#[test]
fn knobs_draw_from_independent_streams() {
    // The same seed loses the same datagrams whatever the other knobs say, so a sweep
    // can vary jitter or duplication without changing which datagrams are lost.
    let lossy = Impairments::lossy(0.1);
    let busy = lossy.with_uniform_jitter(3 * MS).with_duplicate(0.1).with_reorder(0.1, 5 * MS);
    let lost = |imp: Impairments| -> Vec<bool> {
        let clock = VirtualClock::starting_now();
        let mut link = Link::new(imp, 77);
        (0..2000).map(|_| link.send(vec![0], clock.now()) == Fate::Lost).collect()
    };
    assert_eq!(lost(lossy), lost(busy));
    // And raising the loss probability only adds losses.
    let more = lost(Impairments::lossy(0.3));
    assert!(lost(lossy).iter().zip(&more).all(|(&at_low, &at_high)| !at_low || at_high));
}

#[test]
fn duplex_directions_are_independent() {
    let clock = VirtualClock::starting_now();
    let fates = |link: &mut Link| -> Vec<bool> {
        (0..500).map(|_| matches!(link.send(vec![0], clock.now()), Fate::Lost)).collect()
    };
    let mut path = Duplex::symmetric(5, Impairments::lossy(0.3));
    let forward = fates(&mut path.a_to_b);
    let backward = fates(&mut path.b_to_a);
    assert_ne!(forward, backward);
    // The A→B decisions do not depend on what the B→A direction is configured to do.
    let mut other = Duplex::new(5, Impairments::lossy(0.3), Impairments::internet_like());
    assert_eq!(fates(&mut other.a_to_b), forward);
    assert_eq!(path.stats().0.lost, forward.iter().filter(|&&l| l).count() as u64);
    assert_eq!(Duplex::perfect().next_delivery(), None);
}

#[test]
fn debug_output_hides_payloads() {
    let clock = VirtualClock::starting_now();
    let mut link = Link::new(Impairments::perfect().with_delay(MS), 0);
    link.send(b"SECRET-FAX-CONTENT".to_vec(), clock.now());
    let shown = format!("{link:?}");
    assert!(!shown.contains("SECRET") && !shown.contains("83, 69, 67"), "{shown}");
    assert!(shown.contains("in_flight: 1"));
}

#[test]
fn rng_is_usable_for_test_payloads() {
    // Tests build payloads from the same generator type; make sure distinct seeds give
    // distinct payloads and the same seed the same payload.
    let payload = |seed| {
        let mut bytes = [0u8; 32];
        Rng::new(seed).fill_bytes(&mut bytes);
        bytes
    };
    assert_eq!(payload(1), payload(1));
    assert_ne!(payload(1), payload(2));
}
