/*
 * The C side of the SpanDSP test peer: small functions over SpanDSP's API that
 * the Rust wrapper in src/ffi/ declares and wraps safely. One C file per
 * SpanDSP concern (t38_core_shim.c now; a T.38 terminal and audio fax shim later).
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
    FFX_EVENT_RX_MISSING = 3
};

/* One recorded callback. The layout is mirrored by `ffi::Event` in Rust. */
typedef struct
{
    int kind;
    /* TX_PACKET: repeat count. RX_INDICATOR: indicator. RX_DATA: data type.
       RX_MISSING: received sequence number. */
    int a;
    /* RX_DATA: field type. RX_MISSING: expected sequence number. */
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

#endif
