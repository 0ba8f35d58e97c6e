/*
 * The C side of the SpanDSP test peer: small functions over SpanDSP's API that
 * the Rust wrapper in src/ffi/ declares and wraps safely. One C file per
 * SpanDSP concern: t38_core_shim.c (the IFP packet codec) and
 * t38_terminal_shim.c (a whole T.38 fax terminal); an audio fax shim later.
 */

#if !defined(FFX_SHIM_H)
#define FFX_SHIM_H

#include <stdint.h>

#define FFX_MAX_EVENTS 64
#define FFX_MAX_EVENT_BYTES 4096
#define FFX_MAX_FIELDS 64

enum ffx_event_kind
{
    FFX_EVENT_TX_PACKET = 0,
    FFX_EVENT_RX_INDICATOR = 1,
    FFX_EVENT_RX_DATA = 2,
    FFX_EVENT_RX_MISSING = 3,
    /* T.38 terminal only: the T.30 phase B, D and E handlers. */
    FFX_EVENT_PHASE_B = 4,
    FFX_EVENT_PHASE_D = 5,
    FFX_EVENT_PHASE_E = 6
};

/* One recorded callback. The layout is mirrored by `ffi::Event` in Rust. */
typedef struct
{
    int kind;
    /* TX_PACKET: repeat count. RX_INDICATOR: indicator. RX_DATA: data type.
       RX_MISSING: received sequence number. PHASE_B, PHASE_D: the handler's
       result (a T.30 frame type). PHASE_E: the completion code. */
    int a;
    /* RX_DATA: field type. RX_MISSING: expected sequence number. TX_PACKET
       (terminal only): the packet's sequence number, counted by the shim. */
    int b;
    int truncated;
    int len;
    uint8_t data[FFX_MAX_EVENT_BYTES];
} ffx_event_t;

typedef struct ffx_t38_core ffx_t38_core_t;

ffx_t38_core_t *ffx_t38_core_new(int t38_version);
void ffx_t38_core_free(ffx_t38_core_t *s);
int ffx_t38_core_send_indicator(ffx_t38_core_t *s, int indicator);
int ffx_t38_core_send_data(ffx_t38_core_t *s, int data_type, int field_type, const uint8_t *buf, int len, int category);
int ffx_t38_core_send_data_multi_field(ffx_t38_core_t *s,
                                       int data_type,
                                       const int *field_types,
                                       const uint8_t *const *bufs,
                                       const int *lens,
                                       int fields,
                                       int category);
int ffx_t38_core_rx_ifp(ffx_t38_core_t *s, const uint8_t *buf, int len);
int ffx_t38_core_event_count(const ffx_t38_core_t *s);
int ffx_t38_core_overflowed(const ffx_t38_core_t *s);
const ffx_event_t *ffx_t38_core_event(const ffx_t38_core_t *s, int i);
void ffx_t38_core_clear_events(ffx_t38_core_t *s);

/* A copy of SpanDSP's t30_stats_t in a layout of our own, mirrored by
   `ffi::raw::T30Stats` in Rust, so the Rust side never depends on SpanDSP's. */
typedef struct
{
    int bit_rate;
    int error_correcting_mode;
    int pages_tx;
    int pages_rx;
    int pages_in_file;
    int x_resolution;
    int y_resolution;
    int width;
    int length;
    int image_size;
    int encoding;
    int bad_rows;
    int longest_bad_row_run;
    int error_correcting_mode_retries;
    int current_status;
} ffx_t30_stats_t;

typedef struct ffx_t38_terminal ffx_t38_terminal_t;

ffx_t38_terminal_t *ffx_t38_terminal_new(int calling_party);
void ffx_t38_terminal_free(ffx_t38_terminal_t *s);
/* Configuration, before the first tick. */
void ffx_t38_terminal_set_tx_file(ffx_t38_terminal_t *s, const char *path, int start_page, int stop_page);
void ffx_t38_terminal_set_rx_file(ffx_t38_terminal_t *s, const char *path, int stop_page);
int ffx_t38_terminal_set_ecm(ffx_t38_terminal_t *s, int enabled);
int ffx_t38_terminal_set_supported_modems(ffx_t38_terminal_t *s, int modems);
int ffx_t38_terminal_set_supported_compressions(ffx_t38_terminal_t *s, int compressions);
int ffx_t38_terminal_set_supported_resolutions(ffx_t38_terminal_t *s, int resolutions);
int ffx_t38_terminal_set_supported_image_sizes(ffx_t38_terminal_t *s, int sizes);
int ffx_t38_terminal_set_rx_encoding(ffx_t38_terminal_t *s, int encoding);
int ffx_t38_terminal_set_tx_ident(ffx_t38_terminal_t *s, const char *ident);
int ffx_t38_terminal_set_page_header_info(ffx_t38_terminal_t *s, const char *info);
void ffx_t38_terminal_set_t38_version(ffx_t38_terminal_t *s, int version);
void ffx_t38_terminal_set_data_rate_management(ffx_t38_terminal_t *s, int method);
void ffx_t38_terminal_set_options(ffx_t38_terminal_t *s, int options);
void ffx_t38_terminal_set_tep(ffx_t38_terminal_t *s, int use_tep);
void ffx_t38_terminal_set_fill_bit_removal(ffx_t38_terminal_t *s, int remove);
void ffx_t38_terminal_set_fastest_image_data_rate(ffx_t38_terminal_t *s, int rate);
void ffx_t38_terminal_set_repeat_count(ffx_t38_terminal_t *s, int category, int count);
void ffx_t38_terminal_set_log_level(ffx_t38_terminal_t *s, int level);
/* Running: ticks in samples (8000 per second) and received IFP packets. */
int ffx_t38_terminal_send_timeout(ffx_t38_terminal_t *s, int samples);
int ffx_t38_terminal_rx_ifp(ffx_t38_terminal_t *s, const uint8_t *buf, int len, uint16_t seq);
/* Results. */
int ffx_t38_terminal_call_active(ffx_t38_terminal_t *s);
void ffx_t38_terminal_stats(ffx_t38_terminal_t *s, ffx_t30_stats_t *out);
const char *ffx_t38_terminal_rx_ident(ffx_t38_terminal_t *s);
/* Recorded callbacks, as for the T.38 core. */
int ffx_t38_terminal_event_count(const ffx_t38_terminal_t *s);
int ffx_t38_terminal_overflowed(const ffx_t38_terminal_t *s);
const ffx_event_t *ffx_t38_terminal_event(const ffx_t38_terminal_t *s, int i);
void ffx_t38_terminal_clear_events(ffx_t38_terminal_t *s);
/* Names of SpanDSP's codes, static strings. */
const char *ffx_t30_completion_code_name(int code);
const char *ffx_t30_frametype_name(int fcf);

#endif
