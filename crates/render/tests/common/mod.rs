//! Helpers shared by the integration tests: ghostscript as PDF writer and reference.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Runs ghostscript with `args` in `dir`, panicking with its output on failure. The
/// tests need ghostscript (`xtask` installs the Debian package); a missing `gs`
/// fails loudly rather than skipping.
pub fn gs(dir: &Path, args: &[&str]) {
    let out = Command::new("gs")
        .current_dir(dir)
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER"])
        .args(args)
        .output()
        .expect("ghostscript (`gs`, Debian package ghostscript) is needed by these tests");
    assert!(out.status.success(), "gs {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Turns a PostScript program into a PDF with ghostscript's pdfwrite; `extra` adds
/// options (for example encryption).
pub fn ps_to_pdf(ps: &str, extra: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.ps"), ps).unwrap();
    let mut args = vec!["-sDEVICE=pdfwrite", "-o", "out.pdf"];
    args.extend_from_slice(extra);
    args.push("in.ps");
    gs(dir.path(), &args);
    std::fs::read(dir.path().join("out.pdf")).unwrap()
}

/// A page of text in several fonts and sizes, a ruled table and a grey form field.
pub const TEXT_PAGE: &str = r#"%!PS
<< /PageSize [595 842] >> setpagedevice
/Helvetica findfont 14 scalefont setfont
72 770 moveto (Ferrofax test document: the quick brown fox jumps over the lazy dog.) show
/Times-Roman findfont 11 scalefont setfont
72 740 moveto (Pack my box with five dozen liquor jugs. 0123456789 !?%&*()[]) show
72 724 moveto (Sphinx of black quartz, judge my vow. ABCDEFGHIJKLMNOPQRSTUVWXYZ) show
/Courier findfont 10 scalefont setfont
72 700 moveto (Invoice 2026-11-23   Amount: 1,234.56 EUR   Ref: FX-0042) show
/Helvetica findfont 8 scalefont setfont
72 680 moveto (Small print at eight points must stay legible on a fine-resolution fax.) show
0.9 setgray 72 600 450 40 rectfill
0 setgray /Helvetica-Bold findfont 12 scalefont setfont
80 615 moveto (Name: Erika Mustermann) show
1 setlinewidth 72 400 moveto 522 400 lineto 522 560 lineto 72 560 lineto closepath stroke
72 480 moveto 522 480 lineto stroke 297 400 moveto 297 560 lineto stroke
/Times-Italic findfont 12 scalefont setfont
80 530 moveto (Cell one) show 305 530 moveto (Cell two) show
80 450 moveto (Cell three) show 305 450 moveto (Cell four) show
showpage
"#;

/// Vector art: circles, a thick diagonal, a filled triangle, hairlines.
pub const VECTOR_PAGE: &str = r#"%!PS
<< /PageSize [595 842] >> setpagedevice
4 setlinewidth 297 600 150 0 360 arc stroke
0 setgray 100 100 moveto 495 300 lineto 100 300 lineto closepath fill
0.25 setlinewidth 0 1 20 { 10 mul 60 add dup 720 moveto 535 exch 720 add 2 div 800 lineto stroke } for
8 setlinewidth 60 60 moveto 535 780 lineto stroke
showpage
"#;
