//! Office documents through LibreOffice: golden cases, and LibreOffice hanging,
//! crashing or missing.
//!
//! The corpus files (`corpus/letter.docx`, `corpus/letter.odt`, `corpus/table.xlsx`)
//! were made once with LibreOffice from a plain-text letter and a CSV table
//! (`soffice --convert-to docx|odt|xlsx`) and are committed. Each is rendered and
//! checked for page count, geometry, legibility against ghostscript's rendering of
//! the PDF LibreOffice made (tolerant F1 of `fixtures::legibility`), and against a
//! stored expected image (`corpus/expected/office-<name>.tif`; regenerate with
//! `FERROFAX_BLESS=1 cargo test -p render --test office` and review).
//!
//! The sandbox tests use fake `soffice` scripts and a private temporary root per
//! test, and check that no process and no file is left behind. They need no
//! LibreOffice; the golden cases do (Debian packages in `xtask/src/deps.rs`) and fail
//! when it is missing.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fax_image::tiff::{self, Compression, WriteOptions};
use fax_image::{Limits as PageLimits, Page};
use fixtures::legibility::{compare, ghostscript_fax};
use render::geometry::FAX_WIDTH;
use render::office::{self, OfficeOptions};
use render::{Error, Kind, Limits, Options, Paper};

/// Smallest F1 against ghostscript's rendering of the same PDF.
const MIN_F1: f64 = 0.95;
/// Largest fraction of pixels that may differ from the expected image.
const MAX_CHANGED: f64 = 0.002;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn blessing() -> bool {
    std::env::var_os("FERROFAX_BLESS").is_some_and(|v| v == "1")
}

fn changed_fraction(a: &Page, b: &Page) -> f64 {
    let differing: u64 = a.data().iter().zip(b.data()).map(|(x, y)| u64::from((x ^ y).count_ones())).sum();
    differing as f64 / (f64::from(a.width()) * f64::from(a.height()))
}

/// A private temporary root, checked empty after each conversion.
fn temp_root() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn assert_empty(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind in the temporary root: {left:?}");
}

fn case(file: &str, kind: Kind, paper: Paper) {
    // Scripts first, so that no fork here overlaps their writing (see `fakes`).
    fakes();
    let data = std::fs::read(corpus().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(render::sniff(&data).unwrap(), kind, "{file}: sniffed type");
    let root = temp_root();
    let options = Options {
        paper,
        office: OfficeOptions { temp_root: Some(root.path().into()), ..OfficeOptions::default() },
        ..Options::default()
    };
    let pdf = office::to_pdf(&data, kind, &options).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_empty(root.path());
    let pages = render::render(pdf.clone(), &options).unwrap();
    assert_eq!(pages.len(), 1, "{file}: page count");
    let height = if paper == Paper::A4 { 2292 } else { 2156 };
    for page in &pages {
        assert_eq!((page.width(), page.height()), (FAX_WIDTH, height), "{file}: geometry");
    }

    // Legibility: ghostscript's fax rendering of the PDF LibreOffice made.
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = dir.path().join("office.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let gs_paper = if paper == Paper::A4 { "a4" } else { "letter" };
    let theirs = ghostscript_fax(&pdf_path, "204x196", gs_paper);
    assert_eq!(theirs.len(), pages.len(), "{file}: ghostscript page count");
    for (ours, theirs) in pages.iter().zip(&theirs) {
        let c = compare(ours, theirs);
        println!("{file}: ours vs ghostscript: F1 {:.4}, agreement {:.5}", c.f1, c.agreement);
        assert!(c.f1 >= MIN_F1, "{file}: F1 {:.4} below {MIN_F1}", c.f1);
    }

    // The stored expected image.
    let name = file.replace('.', "-");
    let expected_path = corpus().join("expected").join(format!("office-{name}.tif"));
    if blessing() {
        std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
        let write = WriteOptions { compression: Compression::Mmr, ..WriteOptions::default() };
        std::fs::write(&expected_path, tiff::write(&pages, &write).unwrap()).unwrap();
        return;
    }
    let stored = std::fs::read(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e} (FERROFAX_BLESS=1 makes it)", expected_path.display()));
    let expected: Vec<Page> =
        tiff::read(&stored, &PageLimits::default()).unwrap().into_iter().map(|p| p.page).collect();
    assert_eq!(expected.len(), pages.len());
    for (ours, want) in pages.iter().zip(&expected) {
        let changed = changed_fraction(ours, want);
        println!("{file}: {changed:.5} of pixels differ from the expected image");
        assert!(changed <= MAX_CHANGED, "{file}: {changed:.5} of pixels changed");
    }
}

#[test]
fn docx_letter() {
    case("letter.docx", Kind::Docx, Paper::A4);
}

#[test]
fn odt_letter_on_letter_paper() {
    case("letter.odt", Kind::Odt, Paper::Letter);
}

#[test]
fn xlsx_table() {
    case("table.xlsx", Kind::Xlsx, Paper::A4);
}

// ---- the sandbox, with fake LibreOffices ------------------------------------------------

/// Fake `soffice` programs, written once before any test of this file starts a
/// process: a file being written while another thread forks can't be executed
/// ("text file busy").
struct Fakes {
    _dir: tempfile::TempDir,
    hang: PathBuf,
    crash: PathBuf,
    fail: PathBuf,
    silent: PathBuf,
    pids: PathBuf,
}

fn fakes() -> &'static Fakes {
    static FAKES: OnceLock<Fakes> = OnceLock::new();
    FAKES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        std::fs::create_dir(&pids).unwrap();
        let script = |name: &str, body: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path
        };
        // Like soffice, which starts oosplash, which starts soffice.bin: a child in
        // the background, both hanging, both recording their pids.
        let hang = script(
            "hang",
            format!(
                "sleep 300 &\necho $! > {pids}/child\necho $$ > {pids}/parent\ntouch \"$TMPDIR/scratch\"\nwait",
                pids = pids.display()
            ),
        );
        let crash = script("crash", "kill -SEGV $$".to_owned());
        let fail = script("fail", "exit 3".to_owned());
        let silent = script("silent", "exit 0".to_owned());
        Fakes { _dir: dir, hang, crash, fail, silent, pids }
    })
}

fn fake_options(program: &Path, root: &Path) -> Options {
    Options {
        office: OfficeOptions { program: Some(program.to_owned()), temp_root: Some(root.to_owned()) },
        limits: Limits { max_office_time: Duration::from_millis(700), ..Limits::default() },
        ..Options::default()
    }
}

fn docx() -> Vec<u8> {
    std::fs::read(corpus().join("letter.docx")).unwrap()
}

/// Whether a process is still running (a zombie waiting for init counts as gone).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

#[test]
fn hanging_office_is_killed_with_its_children() {
    let fakes = fakes();
    let root = temp_root();
    let started = Instant::now();
    let err = office::to_pdf(&docx(), Kind::Docx, &fake_options(&fakes.hang, root.path())).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::OfficeTimeout { limit_ms: 700 }), "{err}");
    assert!(took < Duration::from_secs(20), "the limit was not enforced: {took:?}");
    assert!(err.to_string().contains("700 ms"), "{err}");
    assert_empty(root.path());
    for who in ["parent", "child"] {
        let pid = std::fs::read_to_string(fakes.pids.join(who)).unwrap();
        let pid = pid.trim();
        // SIGKILL is immediate, but the orphaned child is reaped by init in its own
        // time; give it a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(pid), "the {who} process {pid} survived the timeout");
    }
}

#[test]
fn crashing_office_is_a_typed_failure() {
    let fakes = fakes();
    let root = temp_root();
    let err = office::to_pdf(&docx(), Kind::Docx, &fake_options(&fakes.crash, root.path())).unwrap_err();
    assert!(matches!(&err, Error::OfficeFailed(reason) if reason.contains("signal 11")), "{err}");
    assert_empty(root.path());

    let err = office::to_pdf(&docx(), Kind::Docx, &fake_options(&fakes.fail, root.path())).unwrap_err();
    assert!(matches!(&err, Error::OfficeFailed(reason) if reason.contains("status 3")), "{err}");
    assert_empty(root.path());

    let err = office::to_pdf(&docx(), Kind::Docx, &fake_options(&fakes.silent, root.path())).unwrap_err();
    assert!(matches!(&err, Error::OfficeFailed(reason) if reason.contains("no PDF")), "{err}");
    assert_empty(root.path());
}

#[test]
fn missing_office_names_the_packages() {
    let root = temp_root();
    let options = fake_options(Path::new("/nonexistent/soffice"), root.path());
    let err = render::render(docx(), &options).unwrap_err();
    assert!(matches!(err, Error::OfficeUnavailable), "{err}");
    let message = err.to_string();
    for package in ["libreoffice-writer-nogui", "libreoffice-calc-nogui", "libreoffice-impress-nogui"] {
        assert!(message.contains(package), "{message}");
    }
    assert_empty(root.path());
}
