//! Raw declarations of the C shim (see `csrc/shim.h`, whose layout these mirror).

use std::ffi::c_int;

pub(crate) const MAX_EVENT_BYTES: usize = 4096;
pub(crate) const MAX_FIELDS: usize = 64;

pub(crate) const EVENT_TX_PACKET: c_int = 0;
pub(crate) const EVENT_RX_INDICATOR: c_int = 1;
pub(crate) const EVENT_RX_DATA: c_int = 2;
pub(crate) const EVENT_RX_MISSING: c_int = 3;

/// Mirrors `ffx_event_t`.
#[repr(C)]
pub(crate) struct Event {
    pub(crate) kind: c_int,
    pub(crate) a: c_int,
    pub(crate) b: c_int,
    pub(crate) truncated: c_int,
    pub(crate) len: c_int,
    pub(crate) data: [u8; MAX_EVENT_BYTES],
}

/// Opaque `ffx_t38_core_t`.
#[repr(C)]
pub(crate) struct T38Core {
    _private: [u8; 0],
}

unsafe extern "C" {
    pub(crate) fn ffx_t38_core_new(t38_version: c_int) -> *mut T38Core;
    pub(crate) fn ffx_t38_core_free(s: *mut T38Core);
    pub(crate) fn ffx_t38_core_send_indicator(s: *mut T38Core, indicator: c_int) -> c_int;
    pub(crate) fn ffx_t38_core_send_data(
        s: *mut T38Core,
        data_type: c_int,
        field_type: c_int,
        buf: *const u8,
        len: c_int,
        category: c_int,
    ) -> c_int;
    pub(crate) fn ffx_t38_core_send_data_multi_field(
        s: *mut T38Core,
        data_type: c_int,
        field_types: *const c_int,
        bufs: *const *const u8,
        lens: *const c_int,
        fields: c_int,
        category: c_int,
    ) -> c_int;
    pub(crate) fn ffx_t38_core_rx_ifp(s: *mut T38Core, buf: *const u8, len: c_int) -> c_int;
    pub(crate) fn ffx_t38_core_event_count(s: *const T38Core) -> c_int;
    pub(crate) fn ffx_t38_core_overflowed(s: *const T38Core) -> c_int;
    pub(crate) fn ffx_t38_core_event(s: *const T38Core, i: c_int) -> *const Event;
    pub(crate) fn ffx_t38_core_clear_events(s: *mut T38Core);
}
