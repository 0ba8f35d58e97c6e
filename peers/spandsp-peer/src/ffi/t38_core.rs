//! A safe handle over the shim's `ffx_t38_core_t`.

use std::ffi::c_int;
use std::ptr::NonNull;

use super::raw;

/// One callback SpanDSP made, as the shim recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawEvent {
    pub(crate) kind: c_int,
    pub(crate) a: c_int,
    pub(crate) b: c_int,
    pub(crate) truncated: bool,
    pub(crate) data: Vec<u8>,
}

pub(crate) const EVENT_TX_PACKET: c_int = raw::EVENT_TX_PACKET;
pub(crate) const EVENT_RX_INDICATOR: c_int = raw::EVENT_RX_INDICATOR;
pub(crate) const EVENT_RX_DATA: c_int = raw::EVENT_RX_DATA;
pub(crate) const EVENT_RX_MISSING: c_int = raw::EVENT_RX_MISSING;
pub(crate) const MAX_FIELDS: usize = raw::MAX_FIELDS;

/// Owns one shim instance (and so one SpanDSP `t38_core_state_t`).
#[derive(Debug)]
pub(crate) struct CoreHandle {
    ptr: NonNull<raw::T38Core>,
}

impl CoreHandle {
    /// A new T.38 core emulating `version`; `None` if SpanDSP could not allocate.
    pub(crate) fn new(version: c_int) -> Option<Self> {
        // SAFETY: the shim takes a plain integer and returns a freshly allocated
        // instance or NULL; ownership passes to the handle, freed in Drop.
        let ptr = unsafe { raw::ffx_t38_core_new(version) };
        NonNull::new(ptr).map(|ptr| Self { ptr })
    }

    pub(crate) fn send_indicator(&mut self, indicator: c_int) -> c_int {
        // SAFETY: `ptr` is a live instance owned by `self`; `&mut self` rules out
        // concurrent use.
        unsafe { raw::ffx_t38_core_send_indicator(self.ptr.as_ptr(), indicator) }
    }

    pub(crate) fn send_data(
        &mut self,
        data_type: c_int,
        field_type: c_int,
        data: &[u8],
        category: c_int,
    ) -> c_int {
        let Ok(len) = c_int::try_from(data.len()) else { return -1 };
        // SAFETY: `ptr` is live and exclusively borrowed; `data` is valid for `len`
        // bytes for the whole call, and SpanDSP only reads it (copying what it
        // sends before the call returns).
        unsafe {
            raw::ffx_t38_core_send_data(
                self.ptr.as_ptr(),
                data_type,
                field_type,
                data.as_ptr(),
                len,
                category,
            )
        }
    }

    pub(crate) fn send_data_multi_field(
        &mut self,
        data_type: c_int,
        fields: &[(c_int, &[u8])],
        category: c_int,
    ) -> c_int {
        if fields.len() > MAX_FIELDS {
            return -1;
        }
        let types: Vec<c_int> = fields.iter().map(|(t, _)| *t).collect();
        let bufs: Vec<*const u8> = fields.iter().map(|(_, d)| d.as_ptr()).collect();
        let Ok(lens) = fields.iter().map(|(_, d)| c_int::try_from(d.len())).collect::<Result<Vec<_>, _>>()
        else {
            return -1;
        };
        // SAFETY: `ptr` is live and exclusively borrowed; the three arrays hold
        // `fields.len()` (≤ the shim's limit, checked above) elements each and, with
        // the field slices they point to, outlive the call; nothing is written
        // through them.
        unsafe {
            raw::ffx_t38_core_send_data_multi_field(
                self.ptr.as_ptr(),
                data_type,
                types.as_ptr(),
                bufs.as_ptr(),
                lens.as_ptr(),
                fields.len() as c_int,
                category,
            )
        }
    }

    pub(crate) fn rx_ifp(&mut self, packet: &[u8]) -> c_int {
        let Ok(len) = c_int::try_from(packet.len()) else { return -1 };
        // SAFETY: `ptr` is live and exclusively borrowed; `packet` is valid for
        // `len` bytes during the call and only read.
        unsafe { raw::ffx_t38_core_rx_ifp(self.ptr.as_ptr(), packet.as_ptr(), len) }
    }

    /// Takes the events recorded since the last call; `Err` if the shim's event
    /// array overflowed (events were dropped).
    pub(crate) fn take_events(&mut self) -> Result<Vec<RawEvent>, usize> {
        // SAFETY: `ptr` is live; these only read the shim's counters.
        let (count, overflowed) = unsafe {
            (
                raw::ffx_t38_core_event_count(self.ptr.as_ptr()),
                raw::ffx_t38_core_overflowed(self.ptr.as_ptr()),
            )
        };
        let mut events = Vec::with_capacity(count.max(0) as usize);
        for i in 0..count {
            // SAFETY: `i` is below the event count, so the shim returns a pointer
            // into its own event array, valid until the next call that records or
            // clears events; we copy out of it before making any such call.
            let event = unsafe { raw::ffx_t38_core_event(self.ptr.as_ptr(), i).as_ref() };
            let Some(event) = event else { continue };
            let len = (event.len.max(0) as usize).min(raw::MAX_EVENT_BYTES);
            events.push(RawEvent {
                kind: event.kind,
                a: event.a,
                b: event.b,
                truncated: event.truncated != 0,
                data: event.data[..len].to_vec(),
            });
        }
        // SAFETY: `ptr` is live and exclusively borrowed; no event reference
        // survives past this point.
        unsafe { raw::ffx_t38_core_clear_events(self.ptr.as_ptr()) };
        if overflowed != 0 { Err(events.len()) } else { Ok(events) }
    }
}

impl Drop for CoreHandle {
    fn drop(&mut self) {
        // SAFETY: the handle owns the instance, which nothing else references, and
        // drop runs once.
        unsafe { raw::ffx_t38_core_free(self.ptr.as_ptr()) }
    }
}
