//! Real T.38 calls over real UDP sockets on 127.0.0.1, in real time, through the
//! `ferrofax fax` commands: Ferrofax to Ferrofax, SpanDSP to Ferrofax and Ferrofax to
//! SpanDSP. SpanDSP runs in this test process behind UDPTL framing of our own (its
//! 0.0.6 release has none), ticked every 20 ms of wall-clock time like a real line.
//!
//! Each call takes the time a real fax takes (about half a minute for a page), so
//! one page each way is sent here; the full matrix runs in virtual time elsewhere.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fax_image::{Limits, Page};
use fax_t38::{TxRecovery, Version};
use spandsp_peer::t38_terminal::{T38Terminal, TICK_SAMPLES, TerminalConfig};
use spandsp_peer::udptl::UdptlFraming;

fn chart(n: u32) -> (String, Page) {
    (fixtures::itu_chart_path(n).display().to_string(), fixtures::itu_chart(n))
}

/// A free UDP port on loopback (the socket is closed again at once).
fn free_addr() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

fn ferrofax(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ferrofax"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferrofax")
}

fn finish(child: Child, limit: Duration) -> (bool, String) {
    let started = Instant::now();
    let mut child = child;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return (status.success(), text);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("ferrofax did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_pages(path: &Path) -> Vec<Page> {
    let bytes = std::fs::read(path).expect("received file");
    fax_image::tiff::read(&bytes, &Limits::default()).unwrap().into_iter().map(|p| p.page).collect()
}

/// Runs a SpanDSP terminal over a UDP socket in real time until its call ends.
fn run_spandsp(mut terminal: T38Terminal, local: SocketAddr, remote: SocketAddr) -> T38Terminal {
    let socket = UdpSocket::bind(local).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(2))).unwrap();
    let mut framing = UdptlFraming::new(Version::V0, TxRecovery::Redundancy { depth: 3 }).unwrap();
    let tick = Duration::from_millis(20);
    let started = Instant::now();
    let mut next_tick = started;
    let mut buffer = [0u8; 2048];
    while !terminal.is_finished() {
        assert!(started.elapsed() < Duration::from_secs(150), "SpanDSP call did not end");
        if Instant::now() >= next_tick {
            for packet in terminal.advance(TICK_SAMPLES).unwrap() {
                for datagram in framing.frame(&packet).unwrap() {
                    // The peer may not be listening yet; T.30 retries cover that.
                    let _ = socket.send_to(&datagram, remote);
                }
            }
            next_tick += tick;
        }
        if let Ok((len, from)) = socket.recv_from(&mut buffer)
            && from == remote
        {
            for rx in framing.deframe(&buffer[..len]).unwrap_or_default() {
                terminal.receive(&rx.ifp, rx.seq).unwrap();
            }
        }
    }
    terminal
}

#[test]
fn ferrofax_to_ferrofax_over_udp() {
    let dir = tempfile::tempdir().unwrap();
    let (chart_path, page) = chart(1);
    let out = dir.path().join("received.tif");
    let (a, b) = (free_addr(), free_addr());
    let receiver = ferrofax(&[
        "fax".into(),
        "receive".into(),
        "--udptl".into(),
        a.to_string(),
        "--remote".into(),
        b.to_string(),
        "-o".into(),
        out.display().to_string(),
    ]);
    std::thread::sleep(Duration::from_millis(200));
    let sender = ferrofax(&[
        "fax".into(),
        "send".into(),
        chart_path,
        "--udptl".into(),
        b.to_string(),
        "--remote".into(),
        a.to_string(),
        "--ident".into(),
        "+1 555 0100".into(),
        "--header".into(),
        "ACME Clinic".into(),
    ]);
    let (sent, send_log) = finish(sender, Duration::from_secs(150));
    let (received, receive_log) = finish(receiver, Duration::from_secs(30));
    assert!(sent, "sender failed:\n{send_log}");
    assert!(received, "receiver failed:\n{receive_log}");
    assert!(send_log.contains("result: ok"), "{send_log}");
    assert!(receive_log.contains("remote ident: \"+1 555 0100\""), "{receive_log}");
    // The header line replaced the top band of the page; everything below arrived as
    // it was, and the band carries the stamped text.
    let received = read_pages(&out);
    assert_eq!(received.len(), 1);
    let band =
        fax_image::header::HeaderOptions::default().band_height(page.resolution()) as usize * page.stride();
    assert_eq!(received[0].data()[band..], page.data()[band..]);
    let mut expected = page.clone();
    let text = received_header_text(&send_log);
    fax_image::header::stamp(&mut expected, &text, &Default::default()).unwrap();
    assert_eq!(received[0], expected, "header band differs from {text:?}");
}

/// The header the sender stamped: rebuilt from the date and time it logged would be
/// racy around midnight, so the test recomputes it from the sender's own words.
fn received_header_text(send_log: &str) -> String {
    let line = send_log.lines().find_map(|l| l.strip_prefix("header: ")).expect("sender logs its header");
    line.to_owned()
}

#[test]
fn spandsp_sends_to_ferrofax_over_udp() {
    let dir = tempfile::tempdir().unwrap();
    let (_, page) = chart(2);
    let out = dir.path().join("received.tif");
    let (ours, theirs) = (free_addr(), free_addr());
    let receiver = ferrofax(&[
        "fax".into(),
        "receive".into(),
        "--udptl".into(),
        ours.to_string(),
        "--remote".into(),
        theirs.to_string(),
        "-o".into(),
        out.display().to_string(),
    ]);
    std::thread::sleep(Duration::from_millis(200));
    let config = TerminalConfig { calling: true, ..TerminalConfig::default() };
    let sender = T38Terminal::sender(&config, std::slice::from_ref(&page)).unwrap();
    let sender = run_spandsp(sender, theirs, ours);
    let (received, log) = finish(receiver, Duration::from_secs(30));
    assert!(sender.completion().is_some_and(|c| c.is_ok()), "SpanDSP: {:?}\n{log}", sender.completion());
    assert!(received, "ferrofax failed:\n{log}");
    assert_eq!(read_pages(&out), vec![page]);
}

#[test]
fn ferrofax_sends_to_spandsp_over_udp() {
    let (chart_path, page) = chart(3);
    let (ours, theirs) = (free_addr(), free_addr());
    let config = TerminalConfig { calling: false, ..TerminalConfig::default() };
    let receiver = T38Terminal::receiver(&config).unwrap();
    let sender = ferrofax(&[
        "fax".into(),
        "send".into(),
        chart_path,
        "--udptl".into(),
        ours.to_string(),
        "--remote".into(),
        theirs.to_string(),
    ]);
    let receiver = run_spandsp(receiver, theirs, ours);
    let (sent, log) = finish(sender, Duration::from_secs(30));
    assert!(receiver.completion().is_some_and(|c| c.is_ok()), "SpanDSP: {:?}\n{log}", receiver.completion());
    assert!(sent, "ferrofax failed:\n{log}");
    assert_eq!(receiver.received_pages().unwrap(), vec![page]);
}
