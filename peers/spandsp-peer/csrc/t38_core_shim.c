/*
 * A thin shim around SpanDSP's T.38 core (t38_core_state_t) for the Rust test
 * harness. It is our own code: it only calls SpanDSP's public API.
 *
 * SpanDSP reports what it sends and receives through callbacks. Rather than call
 * back into Rust, the shim records every callback as an event in a fixed array
 * that Rust reads after each call. That keeps all the unsafe code on the Rust side
 * to plain calls with pointers that stay valid for the duration of the call.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "shim.h"

struct ffx_t38_core
{
    t38_core_state_t *core;
    /* The sequence number given to the next received packet. SpanDSP checks
       sequence numbers, so each packet fed in gets the next one. */
    uint16_t rx_seq;
    int n_events;
    int overflow;
    ffx_event_t events[FFX_MAX_EVENTS];
};

static ffx_event_t *next_event(ffx_t38_core_t *s, int kind)
{
    ffx_event_t *e;

    if (s->n_events >= FFX_MAX_EVENTS)
    {
        s->overflow = 1;
        return NULL;
    }
    e = &s->events[s->n_events++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    return e;
}

static void copy_bytes(ffx_event_t *e, const uint8_t *buf, int len)
{
    if (buf == NULL  ||  len <= 0)
        return;
    if (len > FFX_MAX_EVENT_BYTES)
    {
        /* Record the true length so the Rust side can report the truncation. */
        e->len = len;
        e->truncated = 1;
        memcpy(e->data, buf, FFX_MAX_EVENT_BYTES);
        return;
    }
    e->len = len;
    memcpy(e->data, buf, (size_t) len);
}

static int on_tx_packet(t38_core_state_t *core, void *user_data, const uint8_t *buf, int len, int count)
{
    ffx_t38_core_t *s = (ffx_t38_core_t *) user_data;
    ffx_event_t *e;

    (void) core;
    if ((e = next_event(s, FFX_EVENT_TX_PACKET)) == NULL)
        return -1;
    e->a = count;
    copy_bytes(e, buf, len);
    return 0;
}

static int on_rx_indicator(t38_core_state_t *core, void *user_data, int indicator)
{
    ffx_t38_core_t *s = (ffx_t38_core_t *) user_data;
    ffx_event_t *e;

    (void) core;
    if ((e = next_event(s, FFX_EVENT_RX_INDICATOR)) == NULL)
        return -1;
    e->a = indicator;
    return 0;
}

static int on_rx_data(t38_core_state_t *core, void *user_data, int data_type, int field_type, const uint8_t *buf, int len)
{
    ffx_t38_core_t *s = (ffx_t38_core_t *) user_data;
    ffx_event_t *e;

    (void) core;
    if ((e = next_event(s, FFX_EVENT_RX_DATA)) == NULL)
        return -1;
    e->a = data_type;
    e->b = field_type;
    copy_bytes(e, buf, len);
    return 0;
}

static int on_rx_missing(t38_core_state_t *core, void *user_data, int rx_seq_no, int expected_seq_no)
{
    ffx_t38_core_t *s = (ffx_t38_core_t *) user_data;
    ffx_event_t *e;

    (void) core;
    if ((e = next_event(s, FFX_EVENT_RX_MISSING)) == NULL)
        return -1;
    e->a = rx_seq_no;
    e->b = expected_seq_no;
    return 0;
}

ffx_t38_core_t *ffx_t38_core_new(int t38_version)
{
    ffx_t38_core_t *s;
    int category;

    if ((s = (ffx_t38_core_t *) calloc(1, sizeof(*s))) == NULL)
        return NULL;
    s->core = t38_core_init(NULL, on_rx_indicator, on_rx_data, on_rx_missing, s, on_tx_packet, s);
    if (s->core == NULL)
    {
        free(s);
        return NULL;
    }
    t38_set_t38_version(s->core, t38_version);
    /* Send every packet once: the harness compares single packets, and UDPTL
       redundancy is ours to test, not SpanDSP's (0.0.6 has no UDPTL). */
    for (category = T38_PACKET_CATEGORY_INDICATOR;  category <= T38_PACKET_CATEGORY_IMAGE_DATA_END;  category++)
        t38_set_redundancy_control(s->core, category, 1);
    return s;
}

void ffx_t38_core_free(ffx_t38_core_t *s)
{
    if (s == NULL)
        return;
    t38_core_free(s->core);
    free(s);
}

int ffx_t38_core_send_indicator(ffx_t38_core_t *s, int indicator)
{
    return t38_core_send_indicator(s->core, indicator);
}

int ffx_t38_core_send_data(ffx_t38_core_t *s, int data_type, int field_type, const uint8_t *buf, int len, int category)
{
    return t38_core_send_data(s->core, data_type, field_type, buf, len, category);
}

int ffx_t38_core_send_data_multi_field(ffx_t38_core_t *s,
                                       int data_type,
                                       const int *field_types,
                                       const uint8_t *const *bufs,
                                       const int *lens,
                                       int fields,
                                       int category)
{
    t38_data_field_t field[FFX_MAX_FIELDS];
    int i;

    if (fields < 0  ||  fields > FFX_MAX_FIELDS)
        return -1;
    for (i = 0;  i < fields;  i++)
    {
        field[i].field_type = field_types[i];
        field[i].field = bufs[i];
        field[i].field_len = lens[i];
    }
    return t38_core_send_data_multi_field(s->core, data_type, field, fields, category);
}

int ffx_t38_core_rx_ifp(ffx_t38_core_t *s, const uint8_t *buf, int len)
{
    return t38_core_rx_ifp_packet(s->core, buf, len, s->rx_seq++);
}

int ffx_t38_core_event_count(const ffx_t38_core_t *s)
{
    return s->n_events;
}

int ffx_t38_core_overflowed(const ffx_t38_core_t *s)
{
    return s->overflow;
}

const ffx_event_t *ffx_t38_core_event(const ffx_t38_core_t *s, int i)
{
    if (i < 0  ||  i >= s->n_events)
        return NULL;
    return &s->events[i];
}

void ffx_t38_core_clear_events(ffx_t38_core_t *s)
{
    s->n_events = 0;
    s->overflow = 0;
}
