/*
 * evsend: hands a daemon's own event lines at or above a level to
 * discord-notify's socket ($RUNTIME/notify.sock) when it exists. Never
 * blocks and never fails the caller: it connects lazily and
 * asynchronously, keeps at most 256 KiB of lines waiting, and drops (and
 * counts) what does not fit or cannot be sent. While lines wait and the
 * notifier is missing or dead, a timer tries again every 5 s, so that they
 * arrive within 5 s of the notifier's return without a further line.
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

/* Try to deliver what waits within ms milliseconds: connect now (no 5 s
 * wait), and call done(arg) once from the loop when everything was handed
 * to the kernel, the connection failed, or ms passed, whichever comes
 * first (at once, from the loop, when nothing waits). A second call
 * replaces the first's callback (the first is never called). Never blocks.
 * s may be NULL (done is still called). */
void evsend_flush(struct evsend *s, int ms, void (*done)(void *arg), void *arg);

/* Lines dropped so far (no notifier, or the queue was full). */
unsigned long evsend_dropped(const struct evsend *s);

#endif
