//! Frames captured from two SpanDSP 0.0.6 T.38 terminals faxing each other (through
//! `t30_set_real_time_frame_handler`), decoded with this crate and rebuilt from typed
//! values. Each vector names the SpanDSP settings that produced it. The answering
//! terminal's identity was "0123456789", the caller's "+49 30 1234567".

use fax_image::Coding;
use fax_t30::ecm::{Ctc, Fcd, FrameMap, FrameSize, PartialPage};
use fax_t30::{
    Dcs, Density, Dis, Fcf, Frame, Ident, Length, Modems, PostMessage, Rate, ScanTime, ScanTimeCapability,
    Width, bit,
};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Parses `frame`, checks its FCF and X bit, and checks that it encodes back.
fn frame(hex_str: &str, fcf: Fcf, dis_received: bool) -> Frame {
    let bytes = hex(hex_str);
    let frame = Frame::parse(&bytes).unwrap();
    assert_eq!(frame.fcf, fcf, "{hex_str}");
    assert_eq!(frame.dis_received, dis_received, "{hex_str}");
    assert_eq!(frame.encode(), bytes, "{hex_str}");
    frame
}

/// The DIS SpanDSP sends with V.17, MH + MR, no ECM, default sizes and resolutions.
const DIS_V17_MR: &str = "ff13 80 00eef880809180808018";

/// What SpanDSP's answering terminal announces by default, as typed values.
fn spandsp_dis() -> Dis {
    Dis {
        ready_to_receive: true,
        modems: Modems::V27terV29V17,
        fine: true,
        mr: true,
        max_width: Width::A4,
        max_length: Length::Unlimited,
        scan_time: ScanTimeCapability::Ms0,
        superfine: true,
        metric_preferred: true,
        letter: true,
        legal: true,
        ..Dis::default()
    }
}

#[test]
fn call_without_ecm() {
    // Phase B: the answerer's CSI (not final) and DIS.
    let csi = frame("ff03 40 3938373635343332313020202020202020202020", Fcf::Csi, false);
    assert!(!csi.final_frame);
    assert_eq!(Ident::parse(&csi.fif).number(), "0123456789");
    assert_eq!(Ident::new("0123456789").unwrap().encode(), csi.fif);

    let dis_frame = frame(DIS_V17_MR, Fcf::Dis, false);
    let dis = Dis::parse(&dis_frame.fif).unwrap();
    assert_eq!(dis, Dis { other: dis.other, ..spandsp_dis() });
    assert!(dis.other.is_empty());
    assert_eq!(dis.supported_rates().best(), Some(Rate::V17_14400));
    assert_eq!(dis.supported_rates().len(), 8);
    assert!(dis.supports_density(Density::Superfine));
    assert!(!dis.supports_density(Density::R300));
    assert!(!dis.ecm && !dis.mmr);
    assert_eq!(dis.min_scan_time(Density::Standard), ScanTime::Ms0);
    // Built from scratch, the same capabilities give the same octets.
    assert_eq!(spandsp_dis().encode(), dis_frame.fif);

    // The caller's TSI and DCS.
    let tsi = frame("ff03 43 373635343332312030332039342b202020202020", Fcf::Tsi, true);
    assert_eq!(Ident::parse(&tsi.fif).number(), "+49 30 1234567");
    assert_eq!(Ident::new("+49 30 1234567").unwrap().encode(), tsi.fif);

    let dcs_frame = frame("ff13 83 00e278", Fcf::Dcs, true);
    let dcs = Dcs::parse(&dcs_frame.fif).unwrap();
    let expected = Dcs {
        density: Density::Fine,
        coding: Coding::Mr { k: 4 },
        length: Length::Unlimited,
        scan_time: ScanTime::Ms0,
        ..Dcs::new(Rate::V17_14400)
    };
    assert_eq!(dcs, expected);
    assert_eq!(expected.encode(), dcs_frame.fif);

    // Our own negotiation picks what SpanDSP picked.
    let caller = spandsp_dis();
    assert_eq!(caller.best_common_rate(&dis), Some(Rate::V17_14400));
    assert_eq!(caller.best_coding(&dis, false, Density::Fine), Coding::Mr { k: 4 });

    // Phase D and E.
    frame("ff13 84", Fcf::Cfr, false);
    frame("ff13 2f", Fcf::Eop, true);
    frame("ff13 8c", Fcf::Mcf, false);
    frame("ff13 fb", Fcf::Dcn, true);
    assert_eq!(Frame::new(Fcf::Cfr, false).encode(), hex("ff1384"));
    assert_eq!(Frame::new(Fcf::Eop, true).encode(), hex("ff132f"));
    assert_eq!(Frame::new(Fcf::Dcn, true).encode(), hex("ff13fb"));
}

#[test]
fn two_pages_v29_mh() {
    // Modems = V.29 only, compression = MH only.
    let dis = Dis::parse(&frame("ff13 80 0046f880809180808018", Fcf::Dis, false).fif).unwrap();
    assert_eq!(dis.modems, Modems::V29);
    assert_eq!(dis.supported_rates().iter().collect::<Vec<_>>(), vec![Rate::V29_9600, Rate::V29_7200]);
    assert!(!dis.mr);
    assert_eq!(Dis { modems: Modems::V29, mr: false, ..spandsp_dis() }.encode(), hex("0046f880809180808018"));

    let dcs = Dcs::parse(&frame("ff13 83 004678", Fcf::Dcs, true).fif).unwrap();
    assert_eq!(dcs.rate, Rate::V29_9600);
    assert_eq!(dcs.coding, Coding::Mh);
    assert_eq!(dcs.density, Density::Fine);
    frame("ff13 4f", Fcf::Mps, true);
}

#[test]
fn standard_resolution_v27ter() {
    let dis = Dis::parse(&frame("ff13 80 004af880809180808018", Fcf::Dis, false).fif).unwrap();
    assert_eq!(dis.modems, Modems::V27ter);
    assert_eq!(dis.supported_rates().best(), Some(Rate::V27TER_4800));
    let dcs = Dcs::parse(&frame("ff13 83 000a78", Fcf::Dcs, true).fif).unwrap();
    assert_eq!(dcs.rate, Rate::V27TER_4800);
    assert_eq!(dcs.density, Density::Standard);
    assert_eq!(dcs.coding, Coding::Mh);
    let built = Dcs { length: Length::Unlimited, scan_time: ScanTime::Ms0, ..Dcs::new(Rate::V27TER_4800) };
    assert_eq!(built.encode(), hex("000a78"));
}

#[test]
fn page_sizes() {
    // Widths 215, 255 and 303 mm with every length.
    let dis = Dis::parse(&hex("00eefa80809180808018")).unwrap();
    assert_eq!(dis.max_width, Width::A3);
    assert_eq!(dis.max_length, Length::Unlimited);
    assert!(dis.supports_width(Width::B4));
    assert_eq!(Dis { max_width: Width::A3, ..spandsp_dis() }.encode(), hex("00eefa80809180808018"));

    // Widths 215 and 255 mm, lengths A4 and B4, no Letter or Legal: a shorter DIS.
    let dis = Dis::parse(&frame("ff13 80 00eef5808011", Fcf::Dis, false).fif).unwrap();
    assert_eq!(dis.max_width, Width::B4);
    assert_eq!(dis.max_length, Length::B4);
    assert!(!dis.supports_width(Width::A3));
    assert!(dis.supports_length(Length::A4) && !dis.supports_length(Length::Unlimited));
    assert!(!dis.letter && !dis.legal);
    let built =
        Dis { max_width: Width::B4, max_length: Length::B4, letter: false, legal: false, ..spandsp_dis() };
    assert_eq!(built.encode(), hex("00eef5808011"));

    // The DCS for an A4 page to that receiver: length B4.
    let dcs = Dcs::parse(&hex("00e274")).unwrap();
    assert_eq!((dcs.width, dcs.length), (Width::A4, Length::B4));
}

#[test]
fn every_resolution() {
    // SpanDSP with all resolutions enabled: bits 41, 42, 43 and 105 to 109.
    let fif = hex("00eef8808097808080988080801f");
    let dis = Dis::parse(&fif).unwrap();
    assert!(dis.superfine && dis.r300 && dis.r16);
    for b in [bit::R600, bit::R1200, bit::R300_600, bit::R400_800, bit::R600_1200] {
        assert!(dis.other.get(b), "bit {b}");
    }
    assert!(dis.supports_density(Density::R600x1200));
    assert!(!dis.supports_density(Density::R400)); // inch-based not preferred
    assert_eq!(dis.encode(), fif);

    let mut built = Dis { r300: true, r16: true, ..spandsp_dis() };
    for b in [bit::R600, bit::R1200, bit::R300_600, bit::R400_800, bit::R600_1200] {
        built.other.set(b, true);
    }
    assert_eq!(built.encode(), fif);

    // The DCS SpanDSP sent for superfine, 300 × 300 and 16 dots/mm pages.
    for (hex_str, density) in [
        ("00a2f8808001", Density::Superfine),
        ("00a2f8808002", Density::R300),
        ("00a2f8808004", Density::R16Superfine),
    ] {
        let dcs = Dcs::parse(&hex(hex_str)).unwrap();
        assert_eq!(dcs.density, density, "{hex_str}");
        assert_eq!(dcs.coding, Coding::Mr { k: 8 });
        let built = Dcs {
            density,
            coding: Coding::Mr { k: 8 },
            length: Length::Unlimited,
            scan_time: ScanTime::Ms0,
            ..Dcs::new(Rate::V17_14400)
        };
        assert_eq!(built.encode(), hex(hex_str), "{density:?}");
    }
}

#[test]
fn minimum_scan_line_times() {
    // The receiver set to 0, 5, 10, 20 and 40 ms (MH only); the DCS SpanDSP sent for a
    // standard and a fine page.
    let cases = [
        ("006ef880809180808018", ScanTimeCapability::Ms0, "002278", "006278", ScanTime::Ms0),
        ("006e9880809180808018", ScanTimeCapability::Ms5, "002218", "006218", ScanTime::Ms5),
        ("006ea880809180808018", ScanTimeCapability::Ms10, "002228", "006228", ScanTime::Ms10),
        ("006e8880809180808018", ScanTimeCapability::Ms20, "002208", "006208", ScanTime::Ms20),
        ("006ec880809180808018", ScanTimeCapability::Ms40, "002248", "006248", ScanTime::Ms40),
    ];
    for (dis_hex, capability, standard_hex, fine_hex, time) in cases {
        let dis = Dis::parse(&hex(dis_hex)).unwrap();
        assert_eq!(dis.scan_time, capability);
        assert_eq!(Dis { scan_time: capability, mr: false, ..spandsp_dis() }.encode(), hex(dis_hex));
        for (dcs_hex, density) in [(standard_hex, Density::Standard), (fine_hex, Density::Fine)] {
            assert_eq!(dis.min_scan_time(density), time);
            let dcs = Dcs::parse(&hex(dcs_hex)).unwrap();
            assert_eq!((dcs.scan_time, dcs.density, dcs.rate), (time, density, Rate::V17_14400));
            let built =
                Dcs { density, length: Length::Unlimited, scan_time: time, ..Dcs::new(Rate::V17_14400) };
            assert_eq!(built.encode(), hex(dcs_hex));
        }
    }
}

#[test]
fn call_with_ecm() {
    // ECM on, compressions MH, MR and MMR.
    let dis = Dis::parse(&frame("ff13 80 00eef8c4809180808018", Fcf::Dis, false).fif).unwrap();
    assert!(dis.ecm && dis.mmr);
    assert_eq!(Dis { ecm: true, mmr: true, ..spandsp_dis() }.encode(), hex("00eef8c4809180808018"));
    assert_eq!(dis.best_coding(&dis, true, Density::Fine), Coding::Mmr);
    assert_eq!(dis.best_coding(&dis, false, Density::Fine), Coding::Mr { k: 4 });

    let dcs = Dcs::parse(&frame("ff13 83 0062f844", Fcf::Dcs, true).fif).unwrap();
    let expected = Dcs {
        density: Density::Fine,
        coding: Coding::Mmr,
        length: Length::Unlimited,
        scan_time: ScanTime::Ms0,
        ecm: Some(FrameSize::Octets256),
        ..Dcs::new(Rate::V17_14400)
    };
    assert_eq!(dcs, expected);
    assert_eq!(expected.encode(), hex("0062f844"));

    // The last FCD frame of page 1 (frame 70), as sent on the image modem; the MMR data
    // ends in EOFB and zero padding to the full 256 octets.
    let fcd_hex =
        "ff0306467cf8b5339c39fc2197fb5bdb6e1982b5e1bdad90e59a84d3012d16e364afe9f8b67ecd2824b36d5494254745c9d1
        c40542c47a6b836059364a8e178ea3a2e40bdcc48188f01b878d8d8eea6e5b32beacf74fc663828ea365e3ef2dcbdd6b6baf
        56a2b84de3a84bcb61a92cc735188221444444242e30c3299769fc96570811111111c194501ffe6559162c33bc750d0b5621
        222222228e881811d31e111111111111116b2cb5b015ffffffffffffffffffffff3f0002e000000000000000000000000000
        0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000";
    let fcd_frame = frame(fcd_hex, Fcf::Fcd, false);
    assert!(!fcd_frame.final_frame);
    let fcd = Fcd::parse(&fcd_frame.fif).unwrap();
    assert_eq!(fcd.frame_number, 70);
    assert_eq!(fcd.data.len(), FrameSize::Octets256.octets());
    let rebuilt = Frame { fif: fcd.encode().unwrap(), ..Frame::new(Fcf::Fcd, false).not_final() };
    assert_eq!(rebuilt.encode(), hex(fcd_hex));

    // RCP: not final, no X bit.
    frame("ff03 86", Fcf::Rcp, false);
    assert_eq!(Frame::new(Fcf::Rcp, true).not_final().encode(), hex("ff0386"));

    // PPS-MPS for page 0, block 0, 71 frames.
    let pps = frame("ff13 bf 4f 000046", Fcf::Pps(PostMessage::Mps), true);
    let counts = PartialPage::parse(&pps.fif).unwrap();
    assert_eq!(counts, PartialPage::new(0, 0, 71).unwrap());
    let built = Frame::with_fif(Fcf::Pps(PostMessage::Mps), true, counts.encode());
    assert_eq!(built.encode(), hex("ff13bf4f000046"));

    // PPS-EOP for page 1, 43 frames; PPS-NULL for a full block of 256 frames.
    let pps = frame("ff13 bf 2f 01002a", Fcf::Pps(PostMessage::Eop), true);
    assert_eq!(PartialPage::parse(&pps.fif).unwrap().frame_count(), 43);
    let pps = frame("ff13 bf 00 0300ff", Fcf::Pps(PostMessage::Null), true);
    assert_eq!(PartialPage::parse(&pps.fif).unwrap(), PartialPage::new(3, 0, 256).unwrap());
    let built =
        Frame::with_fif(Fcf::Pps(PostMessage::Null), true, PartialPage::new(3, 0, 256).unwrap().encode());
    assert_eq!(built.encode(), hex("ff13bf000300ff"));
}

#[test]
fn partial_page_requests() {
    // Every 37th image packet dropped: SpanDSP asks for 14 of the 71 frames of page 0.
    let ppr =
        frame("ff13 bc 0483200882601004c1 ffffffffffffffffffffffffffffffffffffffffffffff", Fcf::Ppr, false);
    let map = FrameMap::parse(&ppr.fif).unwrap();
    let resend: Vec<u8> = map.frames_to_resend(71).collect();
    assert_eq!(resend, vec![2, 8, 9, 15, 21, 27, 33, 39, 45, 46, 52, 58, 64, 70]);
    // The retransmission that followed counted 14 frames: PPS frame count 13.
    let pps = frame("ff13 bf 4f 00000d", Fcf::Pps(PostMessage::Mps), true);
    assert_eq!(usize::from(PartialPage::parse(&pps.fif).unwrap().frame_count()), resend.len());
    // The same map, built as a receiver would: SpanDSP also marks the frame numbers
    // past the block.
    let built = FrameMap::for_block(71, |n| !resend.contains(&n));
    assert_eq!(built, map);
    assert_eq!(Frame::with_fif(Fcf::Ppr, false, built.encode()).encode(), ppr.encode());

    let ppr =
        frame("ff13 bc 000200000060000080 ffffffffffffffffffffffffffffffffffffffffffffff", Fcf::Ppr, false);
    let map = FrameMap::parse(&ppr.fif).unwrap();
    assert_eq!(map.frames_to_resend(71).collect::<Vec<_>>(), vec![9, 45, 46]);

    // Nothing arrived: every bit set.
    let ppr = frame(&format!("ff13bc{}", "ff".repeat(32)), Fcf::Ppr, false);
    assert_eq!(FrameMap::parse(&ppr.fif).unwrap(), FrameMap::all());
}

#[test]
fn end_of_retransmission_and_continue_to_correct() {
    // Four failed attempts: EOR-EOP, answered by ERR.
    let eor = frame("ff13 cf 2f", Fcf::Eor(PostMessage::Eop), true);
    assert!(eor.fif.is_empty());
    assert_eq!(Frame::new(Fcf::Eor(PostMessage::Eop), true).encode(), hex("ff13cf2f"));
    frame("ff13 1c", Fcf::Err, false);

    // Or CTC at V.17 14400, answered by CTR.
    let ctc_frame = frame("ff13 13 0020", Fcf::Ctc, true);
    let ctc = Ctc::parse(&ctc_frame.fif).unwrap();
    assert_eq!(ctc.rate, Rate::V17_14400);
    assert_eq!(Frame::with_fif(Fcf::Ctc, true, ctc.encode()).encode(), hex("ff13130020"));
    frame("ff13 c4", Fcf::Ctr, false);
}

#[test]
fn polling() {
    // The answerer has a document to be polled; the caller polls it. The answerer's DIS
    // sets bit 9 (ready to transmit) and clears bit 10.
    let dis = Dis::parse(&frame("ff13 80 00edf880809180808018", Fcf::Dis, false).fif).unwrap();
    assert!(dis.ready_to_transmit && !dis.ready_to_receive);
    assert_eq!(
        Dis { ready_to_transmit: true, ready_to_receive: false, ..spandsp_dis() }.encode(),
        hex("00edf880809180808018")
    );

    // The caller answers with CIG and DTC, whose first FCF bit is set like an X bit.
    let cig = frame("ff03 41 373635343332312030332039342b202020202020", Fcf::Cig, true);
    assert_eq!(Ident::parse(&cig.fif).number(), "+49 30 1234567");
    let dtc = frame("ff13 81 00eef880809180808018", Fcf::Dtc, true);
    assert_eq!(Dis::parse(&dtc.fif).unwrap(), spandsp_dis());
    assert_eq!(
        Frame::with_fif(Fcf::Dtc, true, spandsp_dis().encode()).encode(),
        hex("ff138100eef880809180808018")
    );

    // The answerer, which received DTC and not DIS, sends with the X bit clear; the
    // caller, which received DIS, responds with it set.
    frame("ff03 42 3938373635343332313020202020202020202020", Fcf::Tsi, false);
    let dcs = Dcs::parse(&frame("ff13 82 00e278", Fcf::Dcs, false).fif).unwrap();
    assert_eq!(dcs.rate, Rate::V17_14400);
    frame("ff13 85", Fcf::Cfr, true);
    frame("ff13 2e", Fcf::Eop, false);
    frame("ff13 8d", Fcf::Mcf, true);
    frame("ff13 fa", Fcf::Dcn, false);
    assert_eq!(Frame::new(Fcf::Mcf, true).encode(), hex("ff138d"));
}
