/*
 * outq: a bounded, non-blocking output queue for one fd (stack-init's
 * stdout or stderr) on a libevent loop. A stalled reader (a full docker
 * logs pipe, a stopped `| less`) never blocks the caller: whole records
 * (lines) wait in memory up to a cap, what does not fit is dropped and
 * counted, and once the queue has drained the drops are reported by one
 * line of the queue's own. The fd's shared file status flags are never
 * changed, so children that inherit it still see a blocking fd.
 */
#ifndef GW_OUTQ_H
#define GW_OUTQ_H

#include <stddef.h>

#include "gw_err.h"

struct event_base;
struct outq;

/* A queue writing to fd, which stays the caller's (borrowed, not closed;
 * it must outlive the queue). cap: bytes that may wait in memory (e.g.
 * 256 KiB). Returns NULL with err set when fd is not open or memory runs
 * out. */
struct outq *outq_new(struct event_base *base, int fd, size_t cap,
    struct gw_err *err);

/* NULL-safe. Does not flush: what is pending is lost (see outq_flush). */
void outq_free(struct outq *q);

/* Name at the start of the drop notice ("<who>: N output lines dropped:
 * ..."); copied, at most 63 bytes kept. Default "outq". */
void outq_set_name(struct outq *q, const char *who);

/* Queue or write one whole record (a line, with its newline). Never blocks.
 * Returns 0 when it was written or queued, -1 when it did not fit under cap:
 * then it is dropped whole (never partially queued) and counted. When the
 * reader is gone (EPIPE or another hard error) what waits is dropped and
 * counted; every later record is tried again, so a reader that comes back
 * (a FIFO reopened) gets the drop notice first. */
int outq_write(struct outq *q, const void *buf, size_t len);

/* Bytes waiting in memory. */
size_t outq_pending(const struct outq *q);

/* Records dropped so far (total). */
unsigned long long outq_dropped(const struct outq *q);

/* cb(arg) runs from the loop (never from inside outq_write) each time the
 * pending bytes fall to <= low after having been above low, also when they
 * fall because the reader went away: producers that paused (stopped
 * reading a child's pipe) resume. One callback per queue; a new call
 * replaces it, cb NULL removes it. cb may call outq_write and outq_free. */
void outq_on_drain(struct outq *q, size_t low, void (*cb)(void *arg),
    void *arg);

/* At exit: write what is pending (and the drop notice, if one is due),
 * blocking in poll() for at most timeout_ms in total, then give up. Returns
 * 0 when all was written, -1 otherwise (timeout, or the reader is gone). */
int outq_flush(struct outq *q, int timeout_ms);

#endif
