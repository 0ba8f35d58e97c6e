//! Raw declarations of the C shim (see `csrc/shim.h`, whose layout these mirror).

use std::ffi::{c_char, c_int};

pub(crate) const MAX_EVENT_BYTES: usize = 4096;
pub(crate) const MAX_FIELDS: usize = 64;

pub(crate) const EVENT_TX_PACKET: c_int = 0;
pub(crate) const EVENT_RX_INDICATOR: c_int = 1;
pub(crate) const EVENT_RX_DATA: c_int = 2;
pub(crate) const EVENT_RX_MISSING: c_int = 3;
pub(crate) const EVENT_PHASE_B: c_int = 4;
pub(crate) const EVENT_PHASE_D: c_int = 5;
pub(crate) const EVENT_PHASE_E: c_int = 6;

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

/// Mirrors `ffx_t30_stats_t`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct T30Stats {
    pub(crate) bit_rate: c_int,
    pub(crate) error_correcting_mode: c_int,
    pub(crate) pages_tx: c_int,
    pub(crate) pages_rx: c_int,
    pub(crate) pages_in_file: c_int,
    pub(crate) x_resolution: c_int,
    pub(crate) y_resolution: c_int,
    pub(crate) width: c_int,
    pub(crate) length: c_int,
    pub(crate) image_size: c_int,
    pub(crate) encoding: c_int,
    pub(crate) bad_rows: c_int,
    pub(crate) longest_bad_row_run: c_int,
    pub(crate) error_correcting_mode_retries: c_int,
    pub(crate) current_status: c_int,
}

/// Opaque `ffx_t38_terminal_t`.
#[repr(C)]
pub(crate) struct T38Terminal {
    _private: [u8; 0],
}

unsafe extern "C" {
    pub(crate) fn ffx_t38_terminal_new(calling_party: c_int) -> *mut T38Terminal;
    pub(crate) fn ffx_t38_terminal_free(s: *mut T38Terminal);
    pub(crate) fn ffx_t38_terminal_set_tx_file(
        s: *mut T38Terminal,
        path: *const c_char,
        start_page: c_int,
        stop_page: c_int,
    );
    pub(crate) fn ffx_t38_terminal_set_rx_file(s: *mut T38Terminal, path: *const c_char, stop_page: c_int);
    pub(crate) fn ffx_t38_terminal_set_ecm(s: *mut T38Terminal, enabled: c_int) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_supported_modems(s: *mut T38Terminal, modems: c_int) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_supported_compressions(
        s: *mut T38Terminal,
        compressions: c_int,
    ) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_supported_resolutions(
        s: *mut T38Terminal,
        resolutions: c_int,
    ) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_supported_image_sizes(s: *mut T38Terminal, sizes: c_int) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_rx_encoding(s: *mut T38Terminal, encoding: c_int) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_tx_ident(s: *mut T38Terminal, ident: *const c_char) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_page_header_info(s: *mut T38Terminal, info: *const c_char) -> c_int;
    pub(crate) fn ffx_t38_terminal_set_t38_version(s: *mut T38Terminal, version: c_int);
    pub(crate) fn ffx_t38_terminal_set_data_rate_management(s: *mut T38Terminal, method: c_int);
    pub(crate) fn ffx_t38_terminal_set_options(s: *mut T38Terminal, options: c_int);
    pub(crate) fn ffx_t38_terminal_set_tep(s: *mut T38Terminal, use_tep: c_int);
    pub(crate) fn ffx_t38_terminal_set_fill_bit_removal(s: *mut T38Terminal, remove: c_int);
    pub(crate) fn ffx_t38_terminal_set_fastest_image_data_rate(s: *mut T38Terminal, rate: c_int);
    pub(crate) fn ffx_t38_terminal_set_repeat_count(s: *mut T38Terminal, category: c_int, count: c_int);
    pub(crate) fn ffx_t38_terminal_set_log_level(s: *mut T38Terminal, level: c_int);
    pub(crate) fn ffx_t38_terminal_send_timeout(s: *mut T38Terminal, samples: c_int) -> c_int;
    pub(crate) fn ffx_t38_terminal_rx_ifp(s: *mut T38Terminal, buf: *const u8, len: c_int, seq: u16)
    -> c_int;
    pub(crate) fn ffx_t38_terminal_call_active(s: *mut T38Terminal) -> c_int;
    pub(crate) fn ffx_t38_terminal_stats(s: *mut T38Terminal, out: *mut T30Stats);
    pub(crate) fn ffx_t38_terminal_rx_ident(s: *mut T38Terminal) -> *const c_char;
    pub(crate) fn ffx_t38_terminal_event_count(s: *const T38Terminal) -> c_int;
    pub(crate) fn ffx_t38_terminal_overflowed(s: *const T38Terminal) -> c_int;
    pub(crate) fn ffx_t38_terminal_event(s: *const T38Terminal, i: c_int) -> *const Event;
    pub(crate) fn ffx_t38_terminal_clear_events(s: *mut T38Terminal);
    pub(crate) fn ffx_t30_completion_code_name(code: c_int) -> *const c_char;
    pub(crate) fn ffx_t30_frametype_name(fcf: c_int) -> *const c_char;
}
