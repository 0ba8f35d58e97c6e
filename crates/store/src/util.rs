//! Small helpers shared by the modules: identifiers, limits, conversions.

use std::sync::Mutex;

use uuid::{ContextV7, Timestamp, Uuid};

use crate::MAX_PAGE;

/// One counter for the whole process, so that identifiers made in the same
/// millisecond still sort in the order they were made.
static ID_CONTEXT: Mutex<ContextV7> = Mutex::new(ContextV7::new());

/// A new identifier: `prefix`, an underscore and a UUIDv7 in simple (hex) form.
///
/// The UUID carries `now` rather than the clock, so identifiers made in chosen
/// time sort with that time; the shared context keeps them strictly increasing
/// within the process even when `now` repeats or steps back, which is what makes
/// `ORDER BY id` creation order and `id < cursor` a stable page boundary.
pub(crate) fn new_id(prefix: &str, now: i64) -> String {
    let millis = u64::try_from(now).unwrap_or(0);
    let nanos = ((millis % 1000) * 1_000_000) as u32;
    let timestamp = Timestamp::from_unix(&ID_CONTEXT, millis / 1000, nanos);
    format!("{prefix}_{}", Uuid::new_v7(timestamp).simple())
}

/// A list limit clamped to `1..=MAX_PAGE`, as the SQL `LIMIT` value.
pub(crate) fn page(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE))
}

/// A stored 0/1 flag.
pub(crate) fn flag(value: i64) -> bool {
    value != 0
}

/// A flag as stored.
pub(crate) fn int(value: bool) -> i64 {
    i64::from(value)
}

/// A row count as returned to callers.
pub(crate) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Stands in for a personal value in `Debug` output.
pub(crate) struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("‹redacted›")
    }
}

/// Implements `Debug` for a struct, printing the fields before `;` and only
/// `‹redacted›` for those after it: phone numbers, e-mail addresses, names, file
/// names, URLs and payloads must not reach a log through a `{:?}`.
macro_rules! debug_redacted {
    ($ty:ident { $($shown:ident),* ; $($hidden:ident),* $(,)? }) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut out = f.debug_struct(stringify!($ty));
                $( out.field(stringify!($shown), &self.$shown); )*
                $(
                    let _ = &self.$hidden;
                    out.field(stringify!($hidden), &$crate::util::Redacted);
                )*
                out.finish()
            }
        }
    };
}
pub(crate) use debug_redacted;
