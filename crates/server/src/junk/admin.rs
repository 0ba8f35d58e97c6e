//! The operator's side of the junk-fax defence, for `ferrofax admin do-not-fax`
//! and `ferrofax admin abuse`: a database connection and the numbering plan, no
//! blob store, mailer or workers.

use telephony::loopback::{Carrier, NumberPlan, Route};

use crate::{Config, Error};

/// What the admin commands work on.
#[derive(Debug)]
pub struct Operator {
    /// The service's database.
    pub store: store::Store,
    carrier: Carrier,
}

impl Operator {
    /// Opens the database of `config` (migrating it, as `serve` would).
    pub async fn open(config: &Config) -> Result<Operator, Error> {
        let store = store::Store::connect(&config.database_url).await?;
        let plan = NumberPlan::new(&config.numbers.prefix, config.numbers.width)
            .map_err(|e| Error::Config(format!("numbers: {e}")))?;
        Ok(Operator { store, carrier: Carrier::new(plan) })
    }

    /// `input` in E.164, by the same rules as a fax recipient: `+` and 7–15 digits
    /// (separators allowed), valid in its country's numbering plan, or a number of
    /// the service's own range.
    pub fn normalise(&self, input: &str) -> Result<String, Error> {
        let digits: String =
            input.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '/')).collect();
        let invalid = || {
            Error::invalid("invalid_number", "numbers must be in international format, e.g. +49 30 1234567")
        };
        let rest = digits.strip_prefix('+').ok_or_else(invalid)?;
        if !(7..=15).contains(&rest.len())
            || !rest.bytes().all(|b| b.is_ascii_digit())
            || rest.starts_with('0')
        {
            return Err(invalid());
        }
        if !matches!(self.carrier.route(&digits), Route::OutsidePlan) {
            return Ok(digits);
        }
        let parsed = phonenumber::parse(None, &digits).map_err(|_| invalid())?;
        if !phonenumber::is_valid(&parsed) {
            return Err(invalid());
        }
        Ok(digits)
    }

    /// Puts a number on the do-not-fax list; returns it normalised and whether it
    /// is new there.
    pub async fn do_not_fax_add(&self, number: &str, now: i64) -> Result<(String, bool), Error> {
        let number = self.normalise(number)?;
        let mut conn = self.store.acquire().await?;
        let added = store::junk::add_do_not_fax(&mut conn, &number, "operator", now).await?;
        Ok((number, added))
    }

    /// Takes a number off the list; returns it normalised and whether it was there.
    pub async fn do_not_fax_remove(&self, number: &str) -> Result<(String, bool), Error> {
        let number = self.normalise(number)?;
        let mut conn = self.store.acquire().await?;
        let removed = store::junk::remove_do_not_fax(&mut conn, &number).await?;
        Ok((number, removed))
    }

    /// The whole list, in number order.
    pub async fn do_not_fax_list(&self) -> Result<Vec<store::junk::DoNotFax>, Error> {
        let mut conn = self.store.acquire().await?;
        let mut all = Vec::new();
        loop {
            let after = all.last().map(|d: &store::junk::DoNotFax| d.number.clone());
            let page = store::junk::do_not_fax_list(&mut conn, after.as_deref(), store::MAX_PAGE).await?;
            let done = page.len() < store::MAX_PAGE as usize;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// Abuse reports, newest first: open ones, or all with `include_closed`.
    pub async fn abuse_list(&self, include_closed: bool) -> Result<Vec<store::abuse::AbuseReport>, Error> {
        let mut conn = self.store.acquire().await?;
        let mut all: Vec<store::abuse::AbuseReport> = Vec::new();
        loop {
            let before = all.last().map(|r| r.id.clone());
            let page =
                store::abuse::list(&mut conn, include_closed, before.as_deref(), store::MAX_PAGE).await?;
            let done = page.len() < store::MAX_PAGE as usize;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// Closes an open report with an optional note; false if unknown or closed.
    pub async fn abuse_close(&self, id: &str, note: Option<&str>, now: i64) -> Result<bool, Error> {
        let mut conn = self.store.acquire().await?;
        store::abuse::close(&mut conn, id, note, now).await.map_err(|e| match e {
            store::Error::Invalid(what) => Error::invalid("invalid_note", what),
            other => Error::Store(other),
        })
    }
}
