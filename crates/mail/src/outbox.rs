//! The outbox: messages kept as files when no SMTP relay is configured.
//!
//! Each message is one RFC 5322 file, exactly the bytes SMTP would have carried,
//! named `YYYYMMDDThhmmss.ffffffZ-<16 hex digits>.eml` after the UTC time it was
//! written plus 64 random bits: names sort by time and never collide. A file is
//! written under a temporary name starting with `.` in the same folder, flushed to
//! disk and then renamed, so a reader sees a complete message or none.
//!
//! [`list`] and [`read`] are synchronous (they touch a few small files); call them
//! from a blocking task in async code.

use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Error, MAX_MESSAGE_BYTES, Mailbox};

/// [`list`] returns at most this many entries, the newest.
pub const MAX_LIST_ENTRIES: usize = 1000;

/// How much of a file [`list`] reads to find its headers: a header block longer
/// than this is listed with whatever fields appear in its first 64 KiB.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// One message in the outbox.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The file name, to pass to [`read`].
    pub file_name: String,
    /// The first `To` mailbox, when the headers name a valid one.
    pub to: Option<Mailbox>,
    /// The decoded subject; empty when there is none.
    pub subject: String,
    /// When the message was written (from the file name).
    pub date: SystemTime,
    /// The file's size in bytes.
    pub size: u64,
}

impl fmt::Debug for OutboxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxEntry")
            .field("file_name", &self.file_name)
            .field("to", &self.to)
            .field("date", &self.date)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The messages in `dir`, newest first, at most [`MAX_LIST_ENTRIES`]. Files whose
/// names this crate did not make are ignored; so are files removed while listing.
///
/// # Errors
/// [`Error::Outbox`] when the folder cannot be read.
pub fn list(dir: &Path) -> Result<Vec<OutboxEntry>, Error> {
    let mut names: Vec<(String, SystemTime)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(Error::outbox("list"))? {
        let entry = entry.map_err(Error::outbox("list"))?;
        if let Some(name) = entry.file_name().to_str()
            && let Some(date) = parse_name(name)
        {
            names.push((name.to_owned(), date));
        }
    }
    names.sort_unstable_by(|a, b| b.0.cmp(&a.0));
    names.truncate(MAX_LIST_ENTRIES);

    let parser = mail_parser::MessageParser::default();
    let mut entries = Vec::with_capacity(names.len());
    for (file_name, date) in names {
        let (head, size) = match read_head(&dir.join(&file_name)) {
            Ok(found) => found,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::Outbox { operation: "read", source: e }),
        };
        let headers = parser.parse_headers(&head);
        let to = headers.as_ref().and_then(|h| h.to()).and_then(|to| to.first()).and_then(|addr| {
            let address = addr.address()?;
            Mailbox::new(addr.name().map(str::to_owned), address).ok()
        });
        let subject = headers.as_ref().and_then(|h| h.subject()).unwrap_or_default().to_owned();
        entries.push(OutboxEntry { file_name, to, subject, date, size });
    }
    Ok(entries)
}

/// The bytes of message `file_name` in `dir`.
///
/// # Errors
/// [`Error::InvalidFileName`] for a name this crate did not make (so `..`, slashes
/// and the like never reach the file system); [`Error::NotFound`];
/// [`Error::TooLarge`] for a file over [`MAX_MESSAGE_BYTES`], which this crate never
/// writes; [`Error::Outbox`] for other I/O errors.
pub fn read(dir: &Path, file_name: &str) -> Result<Vec<u8>, Error> {
    if parse_name(file_name).is_none() {
        return Err(Error::InvalidFileName);
    }
    let file = File::open(dir.join(file_name)).map_err(|e| match e.kind() {
        ErrorKind::NotFound => Error::NotFound,
        _ => Error::Outbox { operation: "read", source: e },
    })?;
    let size = file.metadata().map_err(Error::outbox("read"))?.len();
    if size > MAX_MESSAGE_BYTES {
        return Err(Error::TooLarge { bytes: size, max: MAX_MESSAGE_BYTES });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` bounds the read even if the file grows after the size check.
    file.take(MAX_MESSAGE_BYTES + 1).read_to_end(&mut bytes).map_err(Error::outbox("read"))?;
    if bytes.len() as u64 > MAX_MESSAGE_BYTES {
        return Err(Error::TooLarge { bytes: bytes.len() as u64, max: MAX_MESSAGE_BYTES });
    }
    Ok(bytes)
}

/// The first [`MAX_HEADER_BYTES`] of a file, cut after the blank line that ends the
/// header block when there is one, and the file's size.
fn read_head(path: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut head = Vec::with_capacity(MAX_HEADER_BYTES.min(size as usize));
    file.take(MAX_HEADER_BYTES as u64).read_to_end(&mut head)?;
    if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
        head.truncate(end + 4);
    }
    Ok((head, size))
}

/// Writes `bytes` into `dir` atomically under a new name for `date`; returns the
/// name.
pub(crate) fn write(dir: &Path, date: SystemTime, bytes: &[u8]) -> Result<String, Error> {
    let name = file_name(date, fastrand::u64(..));
    let temporary = dir.join(format!(".{name}.tmp"));
    let result = (|| {
        let mut file = File::options().write(true).create_new(true).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, dir.join(&name))?;
        // Make the rename itself durable; a folder that cannot be opened for this
        // (some file systems) still has the message, so that is not an error.
        if let Ok(folder) = File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    })();
    result.map_err(|source: std::io::Error| {
        let _ = std::fs::remove_file(&temporary);
        Error::Outbox { operation: "write", source }
    })?;
    Ok(name)
}

/// `YYYYMMDDThhmmss.ffffffZ-<16 hex>.eml`.
fn file_name(date: SystemTime, random: u64) -> String {
    let since_epoch = date.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let in_day = seconds % 86_400;
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{:06}Z-{random:016x}.eml",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60,
        since_epoch.subsec_micros()
    )
}

/// The time in a name made by [`file_name`], or `None` for any other string.
fn parse_name(name: &str) -> Option<SystemTime> {
    let bytes = name.as_bytes();
    if bytes.len() != 44 || !name.ends_with(".eml") {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = &bytes[range];
        if part.iter().all(u8::is_ascii_digit) { std::str::from_utf8(part).ok()?.parse().ok() } else { None }
    };
    let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    let micros = digits(16..22)?;
    let separators = bytes[8] == b'T' && bytes[15] == b'.' && bytes[22] == b'Z' && bytes[23] == b'-';
    let random = bytes[24..40].iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    if !separators
        || !random
        || year < 1970
        || !(1..=12).contains(&month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_micros(micros))
}

/// The proleptic Gregorian date `days` after 1970-01-01, as (year, month, day).
/// Years are counted from 1 March so that the leap day ends each counted year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March … 11 = February
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    (era * 400 + year_of_era + u64::from(month <= 2), month, day)
}

/// The inverse of [`civil_from_days`]; `None` for a day that month does not have.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let length = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > length {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year % 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort_by_time() {
        let times = [0_u64, 951_782_400, 1_795_440_130, 4_102_444_799];
        let mut previous = String::new();
        for seconds in times {
            let date = UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_micros(123_456);
            let name = file_name(date, 0x0123_4567_89ab_cdef);
            assert_eq!(parse_name(&name), Some(date), "{name}");
            assert!(name > previous, "{name} sorts after {previous}");
            previous = name;
        }
        assert_eq!(
            file_name(UNIX_EPOCH + Duration::from_secs(1_795_440_130), 0xff),
            "20261123T132210.000000Z-00000000000000ff.eml"
        );
    }

    #[test]
    fn foreign_names_are_refused() {
        let good = "20261123T132210.000000Z-00000000000000ff.eml";
        assert!(parse_name(good).is_some());
        for bad in [
            "",
            "..",
            "../20261123T132210.000000Z-00000000000000ff.eml",
            "20261123T132210.000000Z-00000000000000ff.eml/..",
            ".20261123T132210.000000Z-00000000000000ff.eml.tmp",
            "20261123T132210.000000Z-00000000000000FF.eml",
            "20261123T132210.000000Z-0000000000000/ff.eml",
            "20261131T132210.000000Z-00000000000000ff.eml",
            "20261123T252210.000000Z-00000000000000ff.eml",
            "20261123T132210.000000Z-00000000000000ff.txt",
            "2026112301322100000000Z-00000000000000ff.eml",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
