//! Replays the committed `t30_frame` fuzz corpus as an ordinary test.

use std::path::Path;

use fax_t30::{Dcs, Dis, Frame, Ident, ecm};

#[test]
fn t30_frame_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/t30_frame");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let parsed = Frame::parse(&bytes);
        if let Ok(frame) = &parsed {
            let _ = Dis::parse(&frame.fif);
            let _ = Dcs::parse(&frame.fif);
            let _ = Ident::parse(&frame.fif);
            let _ = ecm::PartialPage::parse(&frame.fif);
            let _ = ecm::FrameMap::parse(&frame.fif);
        }
        if name.starts_with("seed-") {
            let frame = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(frame.encode(), bytes, "{name}");
        }
        seen += 1;
    }
    assert!(seen > 0, "the corpus is empty");
}
