//! A safe handle over the shim's `ffx_t38_terminal_t`.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr::NonNull;

use super::raw;
use super::t38_core::RawEvent;

pub(crate) use raw::T30Stats;

pub(crate) const EVENT_TX_PACKET: c_int = raw::EVENT_TX_PACKET;
pub(crate) const EVENT_PHASE_B: c_int = raw::EVENT_PHASE_B;
pub(crate) const EVENT_PHASE_D: c_int = raw::EVENT_PHASE_D;
pub(crate) const EVENT_PHASE_E: c_int = raw::EVENT_PHASE_E;

/// Owns one shim instance (and so one SpanDSP `t38_terminal_state_t`).
#[derive(Debug)]
pub(crate) struct TerminalHandle {
    ptr: NonNull<raw::T38Terminal>,
    /// The file names given to SpanDSP, kept alive for as long as the terminal in
    /// case SpanDSP keeps the pointer rather than a copy.
    paths: Vec<CString>,
}

/// Copies a C string SpanDSP returned; `None` for NULL.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid and
/// unchanged for the duration of the call.
unsafe fn copy_c_str(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-null, and the caller guarantees NUL termination and validity.
    Some(unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

impl TerminalHandle {
    /// A new terminal, calling or answering; `None` if SpanDSP could not allocate.
    pub(crate) fn new(calling_party: bool) -> Option<Self> {
        // SAFETY: the shim takes a plain integer and returns a freshly allocated
        // instance or NULL; ownership passes to the handle, freed in Drop.
        let ptr = unsafe { raw::ffx_t38_terminal_new(c_int::from(calling_party)) };
        NonNull::new(ptr).map(|ptr| Self { ptr, paths: Vec::new() })
    }

    fn p(&mut self) -> *mut raw::T38Terminal {
        self.ptr.as_ptr()
    }

    pub(crate) fn set_tx_file(&mut self, path: CString, start_page: c_int, stop_page: c_int) {
        let p = self.p();
        // SAFETY: `p` is live and exclusively borrowed; `path` is NUL-terminated and
        // is kept in `self.paths` (a CString's buffer does not move when the CString
        // does) for the terminal's whole life.
        unsafe { raw::ffx_t38_terminal_set_tx_file(p, path.as_ptr(), start_page, stop_page) };
        self.paths.push(path);
    }

    pub(crate) fn set_rx_file(&mut self, path: CString, stop_page: c_int) {
        let p = self.p();
        // SAFETY: as for `set_tx_file`.
        unsafe { raw::ffx_t38_terminal_set_rx_file(p, path.as_ptr(), stop_page) };
        self.paths.push(path);
    }

    pub(crate) fn set_ecm(&mut self, enabled: bool) -> c_int {
        // SAFETY: `p` is live and exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_ecm(self.p(), c_int::from(enabled)) }
    }

    pub(crate) fn set_supported_modems(&mut self, modems: c_int) -> c_int {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_supported_modems(self.p(), modems) }
    }

    pub(crate) fn set_supported_compressions(&mut self, compressions: c_int) -> c_int {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_supported_compressions(self.p(), compressions) }
    }

    pub(crate) fn set_supported_resolutions(&mut self, resolutions: c_int) -> c_int {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_supported_resolutions(self.p(), resolutions) }
    }

    pub(crate) fn set_supported_image_sizes(&mut self, sizes: c_int) -> c_int {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_supported_image_sizes(self.p(), sizes) }
    }

    pub(crate) fn set_rx_encoding(&mut self, encoding: c_int) -> c_int {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_rx_encoding(self.p(), encoding) }
    }

    pub(crate) fn set_tx_ident(&mut self, ident: &CStr) -> c_int {
        // SAFETY: live, exclusively borrowed; `ident` is NUL-terminated and valid
        // during the call; SpanDSP copies it into its own state.
        unsafe { raw::ffx_t38_terminal_set_tx_ident(self.p(), ident.as_ptr()) }
    }

    pub(crate) fn set_page_header_info(&mut self, info: &CStr) -> c_int {
        // SAFETY: as for `set_tx_ident`; SpanDSP copies the string.
        unsafe { raw::ffx_t38_terminal_set_page_header_info(self.p(), info.as_ptr()) }
    }

    pub(crate) fn set_t38_version(&mut self, version: c_int) {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_t38_version(self.p(), version) }
    }

    pub(crate) fn set_data_rate_management(&mut self, method: c_int) {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_data_rate_management(self.p(), method) }
    }

    pub(crate) fn set_options(&mut self, options: c_int) {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_options(self.p(), options) }
    }

    pub(crate) fn set_tep(&mut self, use_tep: bool) {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_tep(self.p(), c_int::from(use_tep)) }
    }

    pub(crate) fn set_fill_bit_removal(&mut self, remove: bool) {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_fill_bit_removal(self.p(), c_int::from(remove)) }
    }

    pub(crate) fn set_fastest_image_data_rate(&mut self, rate: c_int) {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_fastest_image_data_rate(self.p(), rate) }
    }

    pub(crate) fn set_repeat_count(&mut self, category: c_int, count: c_int) {
        // SAFETY: live, exclusively borrowed; plain integer arguments (SpanDSP
        // indexes a five-entry table by `category`, which the safe wrapper only
        // passes from its `Category` enum, 0 to 4).
        unsafe { raw::ffx_t38_terminal_set_repeat_count(self.p(), category, count) }
    }

    pub(crate) fn set_log_level(&mut self, level: c_int) {
        // SAFETY: live, exclusively borrowed; plain integer argument.
        unsafe { raw::ffx_t38_terminal_set_log_level(self.p(), level) }
    }

    /// `t38_terminal_send_timeout`: non-zero once the call is over.
    pub(crate) fn send_timeout(&mut self, samples: c_int) -> c_int {
        // SAFETY: live, exclusively borrowed; plain integer argument. SpanDSP reads
        // and writes the TIFF files it was given, which the safe wrapper owns.
        unsafe { raw::ffx_t38_terminal_send_timeout(self.p(), samples) }
    }

    pub(crate) fn rx_ifp(&mut self, packet: &[u8], seq: u16) -> c_int {
        let Ok(len) = c_int::try_from(packet.len()) else { return -1 };
        // SAFETY: live, exclusively borrowed; `packet` is valid for `len` bytes
        // during the call and only read.
        unsafe { raw::ffx_t38_terminal_rx_ifp(self.p(), packet.as_ptr(), len, seq) }
    }

    // The three getters below take `&self`: SpanDSP's getters only read its
    // state, and the handle is neither Send nor Sync (it holds a raw pointer), so
    // no other call on the same terminal can run at the same time.

    pub(crate) fn call_active(&self) -> bool {
        // SAFETY: live; `t30_call_active` only reads the T.30 state, and no other
        // call on this terminal can run concurrently (see above).
        unsafe { raw::ffx_t38_terminal_call_active(self.ptr.as_ptr()) != 0 }
    }

    pub(crate) fn stats(&self) -> T30Stats {
        let mut stats = T30Stats::default();
        // SAFETY: live, and only read (see above); `stats` is a valid, writable
        // `ffx_t30_stats_t` (same layout, `repr(C)`) for the duration of the call.
        unsafe { raw::ffx_t38_terminal_stats(self.ptr.as_ptr(), &mut stats) };
        stats
    }

    pub(crate) fn rx_ident(&self) -> String {
        // SAFETY: live, and only read (see above); SpanDSP returns a pointer to the
        // NUL-terminated ident in its own state (or NULL), which nothing changes
        // while we copy it.
        unsafe { copy_c_str(raw::ffx_t38_terminal_rx_ident(self.ptr.as_ptr())) }.unwrap_or_default()
    }

    /// Takes the events recorded since the last call; `Err` if the shim's event
    /// array overflowed (events were dropped).
    pub(crate) fn take_events(&mut self) -> Result<Vec<RawEvent>, usize> {
        let p = self.p();
        // SAFETY: `p` is live; these only read the shim's counters.
        let (count, overflowed) =
            unsafe { (raw::ffx_t38_terminal_event_count(p), raw::ffx_t38_terminal_overflowed(p)) };
        let mut events = Vec::with_capacity(count.max(0) as usize);
        for i in 0..count {
            // SAFETY: `i` is below the event count, so the shim returns a pointer
            // into its own event array, valid until the next call that records or
            // clears events; we copy out of it before making any such call.
            let event = unsafe { raw::ffx_t38_terminal_event(p, i).as_ref() };
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
        // SAFETY: `p` is live and exclusively borrowed; no event reference survives
        // past this point.
        unsafe { raw::ffx_t38_terminal_clear_events(p) };
        if overflowed != 0 { Err(events.len()) } else { Ok(events) }
    }
}

impl Drop for TerminalHandle {
    fn drop(&mut self) {
        // SAFETY: the handle owns the instance, which nothing else references, and
        // drop runs once. The file names in `self.paths` are dropped after this.
        unsafe { raw::ffx_t38_terminal_free(self.ptr.as_ptr()) }
    }
}

/// SpanDSP's name for a phase E completion code (`t30_completion_code_to_str`).
pub(crate) fn completion_code_name(code: c_int) -> String {
    // SAFETY: SpanDSP returns a pointer to a static string for any code (a fixed
    // "???" for unknown ones), or NULL at worst, which copy_c_str handles.
    unsafe { copy_c_str(raw::ffx_t30_completion_code_name(code)) }.unwrap_or_default()
}

/// SpanDSP's name for a T.30 frame type (`t30_frametype`).
pub(crate) fn frametype_name(fcf: c_int) -> String {
    // SAFETY: as for `completion_code_name`: a static string for any octet.
    unsafe { copy_c_str(raw::ffx_t30_frametype_name(fcf)) }.unwrap_or_default()
}
