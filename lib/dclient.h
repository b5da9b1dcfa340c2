/*
 * dclient: ask a daemon one question over its Unix socket. One request
 * line out, one JSON reply line back, all under one deadline.
 * dclient_ask and dclient_request block (up to their timeout, never
 * longer): for the one-shot client modes (stack-init ctl, discord-notify
 * --send and --stats). dclient_async asks on a libevent loop and never
 * blocks: for a daemon that asks others (health-mon).
 */
#ifndef GW_DCLIENT_H
#define GW_DCLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "gw_err.h"

struct event_base;

/* Why dclient_ask failed, for the caller's exit code or fallback. */
enum dclient_fail {
	DCLIENT_OK = 0,
	DCLIENT_FAIL_CONNECT,	/* no connection: the request reached no
				 * daemon (nothing listening, a bad path, or
				 * not accepted within the deadline) */
	DCLIENT_FAIL_TIMEOUT,	/* connected, no whole reply by the deadline */
	DCLIENT_FAIL_IO,	/* connected, no reply: closed, reset, an I/O
				 * error, a reply over the cap, no memory */
	DCLIENT_FAIL_JSON,	/* a reply line that is not a JSON object */
};

struct dclient_reply {
	char *line;		/* the reply, without its newline, NUL-terminated */
	size_t len;		/* strlen-like length of line */
	json_t *obj;		/* line parsed: a JSON object */
	enum dclient_fail fail;	/* DCLIENT_OK, or why -1 was returned */
	json_error_t jerr;	/* fail == DCLIENT_FAIL_JSON: why line is no
				 * JSON object (jerr.text) */
};

/*
 * Connect to the daemon at path (at most USOCK_PATH_MAX bytes), send req
 * (one line, without its newline: dclient adds it) and read one reply line,
 * all within timeout_ms of the call (monotonic clock): connecting to a
 * stalled daemon whose backlog is full is bounded too. Blocks up to that
 * long. Partial writes go on where they stopped; a daemon that closes while
 * we write may have said why (busy): its reply is read all the same. The
 * reply ends at its newline or at EOF, and may be at most reply_max bytes.
 * Never raises SIGPIPE.
 *
 * Returns 0 with rep->line, rep->len and rep->obj (owned by rep: free with
 * dclient_reply_clear). Returns -1 with a one-line message naming path in
 * err and the reason in rep->fail; for DCLIENT_FAIL_JSON rep->line holds
 * the line received and rep->jerr the parse error. rep is always
 * initialised, so dclient_reply_clear is always safe after a call.
 */
int dclient_ask(const char *path, const char *req, long timeout_ms,
    size_t reply_max, struct dclient_reply *rep, struct gw_err *err);

/* Free what rep holds and zero it (NULL-safe, idempotent). */
void dclient_reply_clear(struct dclient_reply *rep);

/* How a daemon answered a control request ({"ok": bool, "error"?: text,
 * "busy"?: bool}, the convention of every gwkit control socket). */
enum dclient_verdict {
	DCLIENT_DONE,		/* "ok": true */
	DCLIENT_REFUSED,	/* "ok": false: *msg says why (may be NULL) */
	DCLIENT_BUSY,		/* "busy": true: not served, try again */
	DCLIENT_NO_ANSWER,	/* no usable reply: err says why */
};

/*
 * dclient_ask, then judge the reply by that convention. rep->line is the
 * reply to show for every verdict but DCLIENT_NO_ANSWER; *msg points into
 * rep (valid until dclient_reply_clear). A reply without a boolean "ok"
 * is no answer (err names path and jansson's reason).
 */
enum dclient_verdict dclient_request(const char *path, const char *req,
    long timeout_ms, size_t reply_max, struct dclient_reply *rep,
    const char **msg, struct gw_err *err);

/* ---------- on the event loop ---------- */

struct dclient_async;

/*
 * The end of an asynchronous request, judged like dclient_request: v, and
 * for DCLIENT_NO_ANSWER err says why (rep->fail: DCLIENT_FAIL_CONNECT when
 * the request reached no daemon). rep->line is the reply to show for every
 * other verdict; msg ("error", may be NULL) points into rep. rep, msg and
 * err are valid until the callback returns (or the object is freed).
 */
typedef void (*dclient_async_cb)(void *arg, enum dclient_verdict v,
    const struct dclient_reply *rep, const char *msg,
    const struct gw_err *err);

/*
 * dclient_request on base, without blocking: a non-blocking connect to
 * path (a daemon whose backlog is full is tried again until the
 * deadline), req (one line, without its newline) sent, one reply line of
 * at most reply_max bytes read, all within timeout_ms of the call. done
 * runs exactly once, from the loop (never from inside dclient_async_new),
 * unless the object is freed first. The messages are those of
 * dclient_request (without its "(--timeout)"). Never raises SIGPIPE.
 *
 * Returns the request under way (the caller owns it: free it with
 * dclient_async_free, also from done), or NULL with err for an empty or
 * too long path, a request of more than one line, or no memory; then done
 * never runs.
 */
struct dclient_async *dclient_async_new(struct event_base *base,
    const char *path, const char *req, long timeout_ms, size_t reply_max,
    dclient_async_cb done, void *arg, struct gw_err *err);

/* Cancel the request if still under way (done does not run after this:
 * the connection is closed, the daemon sees us leave) and free it.
 * NULL-safe; safe from done. */
void dclient_async_free(struct dclient_async *a);

#endif
