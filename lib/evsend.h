/*
 * evsend: hands a daemon's own event lines at or above a level to
 * discord-notify's socket ($RUNTIME/notify.sock) when it exists. Never
 * blocks and never fails the caller: it connects lazily and
 * asynchronously, keeps at most 256 KiB of lines waiting, and drops (and
 * counts) what does not fit or cannot be sent; a missing or dead notifier
 * is retried at most every 5 s.
 */
#ifndef GW_EVSEND_H
#define GW_EVSEND_H

#include <stddef.h>

#include "gw_err.h"
#include "log.h"

struct event_base;
struct evsend;

struct evsend *evsend_new(struct event_base *base, const char *sock_path,
    enum gw_level min, struct gw_err *err);
void evsend_free(struct evsend *s);

/* A gw_log sink (see gw_log_set_sink): queue one line (no newline). */
void evsend_line(void *s, enum gw_level level, const char *line, size_t len);

/* Lines dropped so far (no notifier, or the queue was full). */
unsigned long evsend_dropped(const struct evsend *s);

#endif
