/*
 * A thin shim around SpanDSP's T.38 terminal (t38_terminal_state_t): a whole
 * T.30 fax terminal speaking IFP packets, for the Rust test harness to drive in
 * virtual time. It is our own code: it only calls SpanDSP's public API.
 *
 * As in t38_core_shim.c, SpanDSP's callbacks (packets to send, T.30 phase B, D
 * and E reports) are recorded as events in a fixed array that Rust reads after
 * each call, so C never calls back into Rust.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "shim.h"

struct ffx_t38_terminal
{
    t38_terminal_state_t *terminal;
    t30_state_t *t30;
    t38_core_state_t *core;
    /* SpanDSP's tx handler is not told the packet's sequence number; number the
       packets here, one per handler call, from 0. */
    uint16_t tx_seq;
    int n_events;
    int overflow;
    ffx_event_t events[FFX_MAX_EVENTS];
};

static ffx_event_t *next_event(ffx_t38_terminal_t *s, int kind)
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

static int on_tx_packet(t38_core_state_t *core, void *user_data, const uint8_t *buf, int len, int count)
{
    ffx_t38_terminal_t *s = (ffx_t38_terminal_t *) user_data;
    ffx_event_t *e;

    (void) core;
    if ((e = next_event(s, FFX_EVENT_TX_PACKET)) == NULL)
        return -1;
    e->a = count;
    e->b = s->tx_seq++;
    if (buf != NULL  &&  len > 0)
    {
        e->len = len;
        if (len > FFX_MAX_EVENT_BYTES)
        {
            e->truncated = 1;
            len = FFX_MAX_EVENT_BYTES;
        }
        memcpy(e->data, buf, (size_t) len);
    }
    return 0;
}

static int on_phase_b(t30_state_t *t30, void *user_data, int result)
{
    ffx_t38_terminal_t *s = (ffx_t38_terminal_t *) user_data;
    ffx_event_t *e;

    (void) t30;
    if ((e = next_event(s, FFX_EVENT_PHASE_B)) != NULL)
        e->a = result;
    return T30_ERR_OK;
}

static int on_phase_d(t30_state_t *t30, void *user_data, int result)
{
    ffx_t38_terminal_t *s = (ffx_t38_terminal_t *) user_data;
    ffx_event_t *e;

    (void) t30;
    if ((e = next_event(s, FFX_EVENT_PHASE_D)) != NULL)
        e->a = result;
    return T30_ERR_OK;
}

static void on_phase_e(t30_state_t *t30, void *user_data, int completion_code)
{
    ffx_t38_terminal_t *s = (ffx_t38_terminal_t *) user_data;
    ffx_event_t *e;

    (void) t30;
    if ((e = next_event(s, FFX_EVENT_PHASE_E)) != NULL)
        e->a = completion_code;
}

ffx_t38_terminal_t *ffx_t38_terminal_new(int calling_party)
{
    ffx_t38_terminal_t *s;

    if ((s = (ffx_t38_terminal_t *) calloc(1, sizeof(*s))) == NULL)
        return NULL;
    s->terminal = t38_terminal_init(NULL, calling_party, on_tx_packet, s);
    if (s->terminal == NULL)
    {
        free(s);
        return NULL;
    }
    s->t30 = t38_terminal_get_t30_state(s->terminal);
    s->core = t38_terminal_get_t38_core_state(s->terminal);
    t30_set_phase_b_handler(s->t30, on_phase_b, s);
    t30_set_phase_d_handler(s->t30, on_phase_d, s);
    t30_set_phase_e_handler(s->t30, on_phase_e, s);
    return s;
}

void ffx_t38_terminal_free(ffx_t38_terminal_t *s)
{
    if (s == NULL)
        return;
    /* Freeing the terminal closes any TIFF file still open. */
    t38_terminal_free(s->terminal);
    free(s);
}

void ffx_t38_terminal_set_tx_file(ffx_t38_terminal_t *s, const char *path, int start_page, int stop_page)
{
    t30_set_tx_file(s->t30, path, start_page, stop_page);
}

void ffx_t38_terminal_set_rx_file(ffx_t38_terminal_t *s, const char *path, int stop_page)
{
    t30_set_rx_file(s->t30, path, stop_page);
}

int ffx_t38_terminal_set_ecm(ffx_t38_terminal_t *s, int enabled)
{
    return t30_set_ecm_capability(s->t30, enabled);
}

int ffx_t38_terminal_set_supported_modems(ffx_t38_terminal_t *s, int modems)
{
    return t30_set_supported_modems(s->t30, modems);
}

int ffx_t38_terminal_set_supported_compressions(ffx_t38_terminal_t *s, int compressions)
{
    return t30_set_supported_compressions(s->t30, compressions);
}

int ffx_t38_terminal_set_supported_resolutions(ffx_t38_terminal_t *s, int resolutions)
{
    return t30_set_supported_resolutions(s->t30, resolutions);
}

int ffx_t38_terminal_set_supported_image_sizes(ffx_t38_terminal_t *s, int sizes)
{
    return t30_set_supported_image_sizes(s->t30, sizes);
}

int ffx_t38_terminal_set_rx_encoding(ffx_t38_terminal_t *s, int encoding)
{
    return t30_set_rx_encoding(s->t30, encoding);
}

int ffx_t38_terminal_set_tx_ident(ffx_t38_terminal_t *s, const char *ident)
{
    return t30_set_tx_ident(s->t30, ident);
}

int ffx_t38_terminal_set_page_header_info(ffx_t38_terminal_t *s, const char *info)
{
    return t30_set_tx_page_header_info(s->t30, info);
}

void ffx_t38_terminal_set_t38_version(ffx_t38_terminal_t *s, int version)
{
    t38_set_t38_version(s->core, version);
}

void ffx_t38_terminal_set_data_rate_management(ffx_t38_terminal_t *s, int method)
{
    t38_set_data_rate_management_method(s->core, method);
}

void ffx_t38_terminal_set_options(ffx_t38_terminal_t *s, int options)
{
    t38_terminal_set_config(s->terminal, options);
}

void ffx_t38_terminal_set_tep(ffx_t38_terminal_t *s, int use_tep)
{
    t38_terminal_set_tep_mode(s->terminal, use_tep);
}

void ffx_t38_terminal_set_fill_bit_removal(ffx_t38_terminal_t *s, int remove)
{
    t38_terminal_set_fill_bit_removal(s->terminal, remove);
}

void ffx_t38_terminal_set_fastest_image_data_rate(ffx_t38_terminal_t *s, int rate)
{
    t38_set_fastest_image_data_rate(s->core, rate);
}

void ffx_t38_terminal_set_repeat_count(ffx_t38_terminal_t *s, int category, int count)
{
    t38_set_redundancy_control(s->core, category, count);
}

void ffx_t38_terminal_set_log_level(ffx_t38_terminal_t *s, int level)
{
    int flags;

    /* Level 0 is silence; otherwise SpanDSP's levels (SPAN_LOG_FLOW is 5), with
       the severity and protocol shown, to stderr (SpanDSP's default handler). */
    flags = (level > 0)  ?  (level | SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL)  :  SPAN_LOG_NONE;
    span_log_set_level(t38_terminal_get_logging_state(s->terminal), flags);
    span_log_set_level(t30_get_logging_state(s->t30), flags);
    span_log_set_level(t38_core_get_logging_state(s->core), flags);
}

int ffx_t38_terminal_send_timeout(ffx_t38_terminal_t *s, int samples)
{
    return t38_terminal_send_timeout(s->terminal, samples);
}

int ffx_t38_terminal_rx_ifp(ffx_t38_terminal_t *s, const uint8_t *buf, int len, uint16_t seq)
{
    return t38_core_rx_ifp_packet(s->core, buf, len, seq);
}

int ffx_t38_terminal_call_active(ffx_t38_terminal_t *s)
{
    return t30_call_active(s->t30);
}

void ffx_t38_terminal_stats(ffx_t38_terminal_t *s, ffx_t30_stats_t *out)
{
    t30_stats_t stats;

    memset(&stats, 0, sizeof(stats));
    t30_get_transfer_statistics(s->t30, &stats);
    out->bit_rate = stats.bit_rate;
    out->error_correcting_mode = stats.error_correcting_mode;
    out->pages_tx = stats.pages_tx;
    out->pages_rx = stats.pages_rx;
    out->pages_in_file = stats.pages_in_file;
    out->x_resolution = stats.x_resolution;
    out->y_resolution = stats.y_resolution;
    out->width = stats.width;
    out->length = stats.length;
    out->image_size = stats.image_size;
    out->encoding = stats.encoding;
    out->bad_rows = stats.bad_rows;
    out->longest_bad_row_run = stats.longest_bad_row_run;
    out->error_correcting_mode_retries = stats.error_correcting_mode_retries;
    out->current_status = stats.current_status;
}

const char *ffx_t38_terminal_rx_ident(ffx_t38_terminal_t *s)
{
    return t30_get_rx_ident(s->t30);
}

int ffx_t38_terminal_event_count(const ffx_t38_terminal_t *s)
{
    return s->n_events;
}

int ffx_t38_terminal_overflowed(const ffx_t38_terminal_t *s)
{
    return s->overflow;
}

const ffx_event_t *ffx_t38_terminal_event(const ffx_t38_terminal_t *s, int i)
{
    if (i < 0  ||  i >= s->n_events)
        return NULL;
    return &s->events[i];
}

void ffx_t38_terminal_clear_events(ffx_t38_terminal_t *s)
{
    s->n_events = 0;
    s->overflow = 0;
}

const char *ffx_t30_completion_code_name(int code)
{
    return t30_completion_code_to_str(code);
}

const char *ffx_t30_frametype_name(int fcf)
{
    return t30_frametype((uint8_t) fcf);
}
