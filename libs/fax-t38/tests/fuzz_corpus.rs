//! Replays the committed fuzz corpora of the T.38 targets as an ordinary test: every
//! seed, and every input that once found a bug, is checked on every run.

use std::path::Path;

use fax_t38::{IfpPacket, ReceiverConfig, UdptlPacket, UdptlReceiver, Version};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no corpus files", dir.display());
    files
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn ifp_corpus() {
    for (name, bytes) in corpus("ifp_decode") {
        let Some((selector, packet)) = bytes.split_first() else { continue };
        let version = Version::ALL[usize::from(selector & 3)];
        for any in Version::ALL {
            let _ = IfpPacket::decode(packet, any);
        }
        if name.starts_with("seed-") {
            let decoded = IfpPacket::decode(packet, version).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(decoded.encode(version).unwrap(), packet, "{name}");
        }
    }
}

#[test]
fn udptl_corpus() {
    for (name, bytes) in corpus("udptl_decode") {
        let decoded = UdptlPacket::decode(&bytes);
        if name.starts_with("seed-") {
            let packet = decoded.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(packet.encode().unwrap(), bytes, "{name}");
        }
    }
}

/// The seeds are the datagrams of a seven-packet exchange joined by the fuzz target's
/// separator `ff fe fd`; each packet must come out of the receiver exactly once.
#[test]
fn receiver_corpus() {
    for (name, bytes) in corpus("udptl_receiver") {
        let Some((selector, rest)) = bytes.split_first() else { continue };
        let mut rx =
            UdptlReceiver::new(ReceiverConfig::new(Version::ALL[usize::from(selector & 3)])).unwrap();
        let mut delivered = 0;
        let mut start = 0;
        let mut i = 0;
        let mut datagrams = Vec::new();
        while i + 3 <= rest.len() {
            if rest[i..i + 3] == [0xff, 0xfe, 0xfd] {
                datagrams.push(&rest[start..i]);
                start = i + 3;
                i += 3;
            } else {
                i += 1;
            }
        }
        datagrams.push(&rest[start..]);
        for datagram in datagrams {
            if let Ok(events) = rx.handle_datagram(datagram) {
                delivered += events.len();
            }
        }
        delivered += rx.flush().len();
        if name.starts_with("seed-") {
            assert_eq!(delivered, 7, "{name}");
        }
    }
}
