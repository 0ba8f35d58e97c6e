use fax_image::{Limits, Page, Resolution};
use spandsp_peer::T38Terminal;
use spandsp_peer::harness::{Transport, run_call};
use spandsp_peer::t38_terminal::TerminalConfig;

fn charts() -> Vec<Page> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/itu");
    (1..=8)
        .map(|n| {
            let bytes = std::fs::read(dir.join(format!("itu{n}.pbm"))).unwrap();
            fax_image::pbm::read(&bytes, Resolution::FINE, &Limits::default()).unwrap().remove(0)
        })
        .collect()
}

#[test]
fn smoke() {
    let pages = charts();
    let mut tx_cfg =
        TerminalConfig { calling: true, ident: "SENDER".into(), log_level: 0, ..TerminalConfig::default() };
    let rx_cfg = TerminalConfig { ident: "RECEIVER".into(), ..TerminalConfig::default() };
    tx_cfg.log_level = std::env::var("SPANLOG").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut tx = T38Terminal::sender(&tx_cfg, &pages[..2]).unwrap();
    let mut rx = T38Terminal::receiver(&rx_cfg).unwrap();
    let t = std::time::Instant::now();
    let report = run_call(&mut tx, &mut rx, &Transport::Direct, 8000 * 600).unwrap();
    eprintln!("{report:?} {:?}", t.elapsed());
    eprintln!("tx {:?} {:?} {:?}", tx.completion(), tx.stats(), rx.remote_ident());
    eprintln!("rx {:?} {:?} {:?}", rx.completion(), rx.stats(), tx.remote_ident());
    for e in tx.log() {
        eprintln!("tx {e:?}");
    }
    for e in rx.log() {
        eprintln!("rx {e:?}");
    }
    let got = rx.received_pages().unwrap();
    eprintln!("{} pages {:?}", got.len(), got);
    assert_eq!(got, pages[..2]);
}
