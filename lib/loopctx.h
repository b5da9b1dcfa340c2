/*
 * loopctx: what every gwkit daemon opens first and closes last: the event
 * loop, libevent's resolver (no blocking lookups), the event log on stdout,
 * and its signals as libevent events. One place for the dozen lines that
 * bot-core and health-mon would otherwise each repeat.
 */
#ifndef GW_LOOPCTX_H
#define GW_LOOPCTX_H

#include <stddef.h>

#include <event2/event.h>

#include "gw_err.h"
#include "log.h"

struct evdns_base;
struct loopctx;

/*
 * Open the loop, the resolver (the system's nameservers, else none: names
 * then fail at lookup, numeric addresses still work), the log for source
 * prog at level min in format fmt (auto: text on a terminal stdout), and
 * one persistent signal event per sigs[i] calling on_signal(sig, EV_SIGNAL,
 * arg). n at most 8. NULL with err on failure (nothing is left open).
 */
struct loopctx *loopctx_new(const char *prog, enum gw_level min,
    enum gw_log_format fmt, const int *sigs, size_t n,
    event_callback_fn on_signal, void *arg, struct gw_err *err);
/* Borrowed: valid until loopctx_free. */
struct event_base *loopctx_base(const struct loopctx *lc);
struct evdns_base *loopctx_dns(const struct loopctx *lc);
struct gw_log *loopctx_log(const struct loopctx *lc);
/* Close it all, the signals first (NULL is fine). */
void loopctx_free(struct loopctx *lc);

#endif
