//! Office documents to fax pages, through LibreOffice.
//!
//! Word, Excel, PowerPoint, OpenDocument and RTF files are converted to PDF by
//! LibreOffice running headless, and the PDF then takes the [`crate::pdf`] path. No
//! Rust library lays out these formats faithfully; LibreOffice is what HylaFAX-era
//! fax servers and most online fax services use.
//!
//! # The sandbox
//!
//! LibreOffice is a large C++ program reading a hostile file, so every conversion is
//! fenced in:
//!
//! - It runs in a fresh temporary folder (made under [`OfficeOptions::temp_root`] or
//!   the system's temporary folder) that holds the input under a neutral name
//!   (`input.docx`, never the uploader's file name), a private user profile
//!   (`-env:UserInstallation`, so conversions never share or corrupt a profile and
//!   can run side by side), and the output. `HOME` and `TMPDIR` point there too.
//! - It runs in a process group of its own. The `soffice` launcher starts
//!   `oosplash`, which starts `soffice.bin`; killing only the first would leave the
//!   others running. When the conversion ends, or after
//!   [`crate::Limits::max_office_time`] when it does not, the whole group is
//!   killed with `SIGKILL` and the launcher reaped.
//! - The PDF it writes is checked against [`crate::Limits::max_input_bytes`] before
//!   it is read.
//! - The temporary folder is removed on every path: explicitly once the processes
//!   are dead, and by `tempfile`'s destructor should anything return early.
//!
//! The program is [`OfficeOptions::program`] when set, else the one named by the
//! `FERROFAX_SOFFICE` environment variable, else `soffice` on the `PATH`. When there
//! is none, [`Error::OfficeUnavailable`] names the Debian packages to install.
//! A crash, a non-zero exit or a missing PDF is [`Error::OfficeFailed`], with a
//! reason that says what happened to LibreOffice, never what the document holds.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fax_image::Page;
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

use crate::{Error, Kind, Options};

/// Environment variable naming the LibreOffice program.
pub const SOFFICE_ENV: &str = "FERROFAX_SOFFICE";

/// The Debian packages that provide a headless LibreOffice for every Office type.
pub const DEBIAN_PACKAGES: &str = "libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui";

/// Longest pause between two checks on a running conversion.
const MAX_POLL: Duration = Duration::from_millis(50);

/// Where LibreOffice is and where its temporary folders go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfficeOptions {
    /// The `soffice` program. `None`: `FERROFAX_SOFFICE`, then `soffice` on the
    /// `PATH`.
    pub program: Option<PathBuf>,
    /// The folder in which each conversion makes its temporary folder. `None`: the
    /// system's temporary folder (`TMPDIR`, else `/tmp`).
    pub temp_root: Option<PathBuf>,
}

/// The LibreOffice program a conversion would run, or [`Error::OfficeUnavailable`].
pub fn find_program(options: &OfficeOptions) -> Result<PathBuf, Error> {
    if let Some(program) = &options.program {
        return executable(program).then(|| program.clone()).ok_or(Error::OfficeUnavailable);
    }
    let name = std::env::var_os(SOFFICE_ENV).filter(|v| !v.is_empty()).unwrap_or_else(|| "soffice".into());
    let name = Path::new(&name);
    if name.components().count() > 1 {
        return executable(name).then(|| name.to_path_buf()).ok_or(Error::OfficeUnavailable);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| executable(p))
        .ok_or(Error::OfficeUnavailable)
}

fn executable(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Converts an Office document of type `kind` to PDF with LibreOffice.
pub fn to_pdf(data: &[u8], kind: Kind, options: &Options) -> Result<Vec<u8>, Error> {
    options.limits.check_input_len(data.len())?;
    let extension = extension(kind, data).ok_or(Error::UnsupportedType("not an Office document"))?;
    let program = find_program(&options.office)?;
    let io = |action: &'static str| move |source: io::Error| Error::OfficeIo { action, source };

    let root = options.office.temp_root.clone().unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("ferrofax-office-")
        .tempdir_in(&root)
        .map_err(io("create a temporary folder"))?;
    let input = dir.path().join(format!("input.{extension}"));
    std::fs::write(&input, data).map_err(io("write the document to the temporary folder"))?;
    let profile = file_url(&dir.path().join("profile"));

    let mut command = Command::new(&program);
    command
        .arg(format!("-env:UserInstallation={profile}"))
        .args(["--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck"])
        .args(["--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&input)
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("TMPDIR", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let outcome = run(&mut command, options.limits.max_office_time);

    let result = outcome.and_then(|status| {
        if let Some(signal) = status.signal() {
            return Err(Error::OfficeFailed(format!("LibreOffice was killed by signal {signal}")));
        }
        if !status.success() {
            let code = status.code().unwrap_or(-1);
            return Err(Error::OfficeFailed(format!("LibreOffice exited with status {code}")));
        }
        read_output(&dir.path().join("input.pdf"), options.limits.max_input_bytes)
    });
    // Every process is dead by now; remove the folder and report a failure to do so
    // only when the conversion itself succeeded.
    let removed = dir.close().map_err(io("remove the temporary folder"));
    let pdf = result?;
    removed?;
    Ok(pdf)
}

/// Converts an Office document to PDF and renders that to fax pages.
pub fn render(data: &[u8], kind: Kind, options: &Options) -> Result<Vec<Page>, Error> {
    crate::pdf::render(to_pdf(data, kind, options)?, options)
}

/// Runs `command` in its own process group, waits at most `limit`, and kills the
/// whole group whatever happened. Returns the launcher's exit status, or
/// [`Error::OfficeTimeout`].
fn run(command: &mut Command, limit: Duration) -> Result<ExitStatus, Error> {
    let mut child = command.spawn().map_err(|source| match source.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => Error::OfficeUnavailable,
        _ => Error::OfficeIo { action: "start LibreOffice", source },
    })?;
    // The child leads its own group (process_group(0)), so its pid is the group id.
    let group = Pid::from_child(&child);
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    // Wait without reaping (NOWAIT): while the launcher is a zombie its pid, and so
    // the group id, cannot be reused, so the kill below cannot hit anyone else.
    let finished = loop {
        match waitid(
            WaitId::Pid(group),
            WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
        ) {
            Ok(Some(_)) => break Ok(true),
            Ok(None) if started.elapsed() >= limit => break Ok(false),
            Ok(None) => {
                std::thread::sleep(pause.min(limit.saturating_sub(started.elapsed())));
                pause = (pause * 2).min(MAX_POLL);
            }
            Err(e) => break Err(Error::OfficeIo { action: "wait for LibreOffice", source: e.into() }),
        }
    };
    // Helpers that outlive the launcher (or a launcher that outlives the limit) must
    // not keep running; an empty group is not an error.
    let _ = kill_process_group(group, Signal::KILL);
    let status = child.wait().map_err(|source| Error::OfficeIo { action: "wait for LibreOffice", source })?;
    match finished? {
        true => Ok(status),
        false => Err(Error::OfficeTimeout { limit_ms: limit.as_millis() }),
    }
}

fn read_output(path: &Path, max: u64) -> Result<Vec<u8>, Error> {
    let Ok(metadata) = path.metadata() else {
        return Err(Error::OfficeFailed(
            "LibreOffice wrote no PDF (the document may be damaged, password-protected or of a kind it cannot open)"
                .to_owned(),
        ));
    };
    if metadata.len() > max {
        return Err(Error::OfficeFailed(format!(
            "the PDF LibreOffice wrote is {} bytes; the limit is {max}",
            metadata.len()
        )));
    }
    std::fs::read(path).map_err(|source| Error::OfficeIo { action: "read the PDF LibreOffice wrote", source })
}

/// The file-name extension LibreOffice should see for `kind`, so that it picks the
/// right import filter. Legacy OLE2 files say what they are by the name of their
/// main stream.
fn extension(kind: Kind, data: &[u8]) -> Option<&'static str> {
    Some(match kind {
        Kind::Docx => "docx",
        Kind::Xlsx => "xlsx",
        Kind::Pptx => "pptx",
        Kind::Odt => "odt",
        Kind::Ods => "ods",
        Kind::Odp => "odp",
        Kind::Rtf => "rtf",
        Kind::LegacyOffice => legacy_extension(data),
        _ => return None,
    })
}

/// `doc`, `xls` or `ppt` by the stream names in an OLE2 compound file's directory
/// (stored as UTF-16LE). Word is the default: LibreOffice detects the real type by
/// content anyway, the extension only speeds it up.
fn legacy_extension(data: &[u8]) -> &'static str {
    let has = |name: &str| {
        let pattern: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        data.windows(pattern.len()).any(|w| w == pattern.as_slice())
    };
    if has("WordDocument") {
        "doc"
    } else if has("Workbook") || has("Book\0") {
        "xls"
    } else if has("PowerPoint Document") {
        "ppt"
    } else {
        "doc"
    }
}

/// A `file://` URL for an absolute path, percent-encoding every byte outside the
/// unreserved set and `/`, as LibreOffice's `-env:UserInstallation` expects.
fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_percent_encoded() {
        assert_eq!(file_url(Path::new("/tmp/a b/ü")), "file:///tmp/a%20b/%C3%BC");
    }

    #[test]
    fn legacy_types_by_stream_name() {
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        assert_eq!(legacy_extension(&utf16("xxWorkbookyy")), "xls");
        assert_eq!(legacy_extension(&utf16("PowerPoint Document")), "ppt");
        assert_eq!(legacy_extension(&utf16("WordDocument")), "doc");
        assert_eq!(legacy_extension(b"nothing"), "doc");
        assert_eq!(extension(Kind::Pdf, b""), None);
    }
}
