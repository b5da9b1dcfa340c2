/*
 * notifier: discord-notify's delivery engine on a libevent base.
 *   input lines -> validate (event) -> spool (durable) -> queue (nq:
 *   coalescing, batching) -> one request at a time through a transport ->
 *   ack in the spool, or retry / wait / park / split / dead-letter.
 * The transport (libcurl in discord-notify, a fake in tests) is a callback
 * pair: post() starts a request, notifier_response() reports its end.
 * Delivery state machine: IDLE -> (due) SENDING -> IDLE | WAITING (rate
 * limit, backoff, held repeats) | PARKED (401/403/404: retry rarely).
 *
 * Bounded memory: the queue holds only a window of the spool, at most
 * window_events events and window_bytes bytes of records (at least one);
 * the rest of a backlog stays on disk and is read forward, in order, as
 * the window drains. Coalescing applies within the window; repeats held
 * for the coalescing window are sent at once when nothing else in the
 * window can go and more waits on disk (they never hold back the events
 * behind them). A record of
 * the window that does not decode is dead-lettered as it is read.
 *
 * Pauses: when delivery waits pause_warn_s (30 s) or more for a rate
 * limit or a retry backoff, one warning notify.paused (wait_s, reason
 * "rate_limit" or "retry", retry_after_s as Discord asked or -1, capped:
 * true when Discord asked for more than is waited); the next request
 * after it logs notify.resumed (paused_s).
 */
#ifndef GW_NOTIFIER_H
#define GW_NOTIFIER_H

#include <stdint.h>

#include <jansson.h>

#include "discord.h"
#include "gw_err.h"
#include "log.h"
#include "spool.h"

struct event_base;
struct notifier;

struct notifier_config {
	const char *redacted_url;	/* for logs, or NULL */
	const char *mention;		/* content for critical events, or NULL */
	double window_s;		/* coalescing window (60) */
	double max_age_s;		/* dead-letter after (86400) */
	double park_retry_s;		/* retry a parked webhook every (600) */
	double backoff_initial_s;	/* transient failures: 1 s ... */
	double backoff_cap_s;		/* ... doubling to 300 s, with jitter */
	size_t window_events;		/* 0: NOTIFIER_WINDOW_EVENTS */
	size_t window_bytes;		/* 0: NOTIFIER_WINDOW_BYTES */
	double pause_warn_s;		/* 0: NOTIFIER_PAUSE_WARN_S */
};

#define NOTIFIER_WINDOW_EVENTS 1000
#define NOTIFIER_WINDOW_BYTES (2 * 1024 * 1024)
#define NOTIFIER_PAUSE_WARN_S 30.0

struct notifier_transport {
	/* Start one POST with this JSON body. Must not call back from inside;
	 * must report the end once through notifier_response(). */
	int (*post)(void *tctx, const char *body, size_t len, struct gw_err *err);
	void *tctx;
};

struct notifier_stats {
	uint64_t received, rejected, spooled, delivered, retried, rate_limited,
	    dead_lettered, parked, spool_errors;
};

/* The spool's live records go first, in order, read window by window; a
 * record that does not decode goes to the dead-letter file (logged at
 * error; acked once written, else left in the spool). Does not start
 * sending until notifier_commit() or a timer. */
struct notifier *notifier_new(struct event_base *base, struct spool *sp,
    struct gw_log *log, const struct notifier_config *cfg,
    const struct notifier_transport *tr, struct gw_err *err);
void notifier_free(struct notifier *n);

/* One input line from `origin` (e.g. "stdin", "peer 3"), line number
 * lineno. Returns 0 when written to the spool (accepted once the next
 * notifier_commit returns 0), -1 when rejected (logged and counted). */
int notifier_submit(struct notifier *n, const char *line, size_t len,
    const char *origin, unsigned long lineno, uint64_t *seq);
/* Count and log a line rejected before decoding (e.g. too long). */
void notifier_reject(struct notifier *n, const char *origin,
    unsigned long lineno, const char *reason);
int notifier_submit_event(struct notifier *n, const struct gw_event *ev,
    uint64_t *seq);
/* Make submitted lines durable (fsync), queue them, send when due.
 * Returns -1 when the sync failed: then none of the lines submitted since
 * the last commit is accepted (logged critical, not queued). */
int notifier_commit(struct notifier *n);

/* The transport's report: r->status 0 with transport_error set for a
 * failure before any HTTP status. body may be NULL. */
void notifier_response(struct notifier *n, const struct discord_response *r,
    const char *body, size_t len, const char *transport_error);

/* Called with the seqs each time records are acked: delivered = 1 when
 * the transport reported success, 0 when they were dead-lettered (only
 * once the dead-letter file holds them; a failed write keeps them queued
 * and is tried again after a backoff). For --send. */
void notifier_on_ack(struct notifier *n,
    void (*cb)(void *arg, const uint64_t *seqs, size_t k, int delivered),
    void *arg);
/* 1 if seq is no longer live (delivered or dead-lettered). */
int notifier_done(const struct notifier *n, uint64_t seq);
/* Events accepted and not yet delivered (in the spool's window, in flight
 * or still on disk only). */
size_t notifier_pending(const struct notifier *n);
int notifier_busy(const struct notifier *n);	/* a request in flight */
void notifier_get_stats(const struct notifier *n, struct notifier_stats *s);
/* The counters as docs/discord-notify.md "SOCKET PROTOCOL" lists them,
 * with "queued", "oldest_s" (age in seconds of the oldest event waiting,
 * 0 when none waits), "state" and, while parked, "http_status". */
json_t *notifier_stats_json(const struct notifier *n);

#endif
