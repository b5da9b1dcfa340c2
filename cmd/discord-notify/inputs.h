/*
 * inputs: discord-notify's input side. Event lines from stdin and from the
 * Unix socket (lib/lineserv) go to the notifier; a socket client may also
 * ask {"cmd":"stats"} or {"cmd":"send","event":{...},"wait_ms":N}
 * (docs/runtime.md) and is answered once its event is delivered, printed,
 * dead-lettered, refused or wait_ms runs out. Plain-text lines become
 * message events (--text, --default-level). Both inputs cut lines the same
 * way (lineserv_cut) at GW_EVENT_MAX_LINE + 1 bytes.
 *
 * The owner (main) hears of what it must act on through struct inputs_ops
 * and tells the inputs of delivery through inputs_ack and inputs_webhook.
 * Never blocks, prints or exits.
 */
#ifndef DISCORD_NOTIFY_INPUTS_H
#define DISCORD_NOTIFY_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "gw_err.h"
#include "log.h"

struct event_base;
struct notifier;
struct inputs;

struct inputs_config {
	/* plain-text lines as message events */
	int text;		/* every stdin line is text (--text) */
	int have_default_level;	/* a line not starting with '{' is text */
	enum gw_level default_level;	/* their level */
	const char *source;	/* their source; NULL: "text" */
	const char *component;	/* their component; NULL: "stdin" or "socket" */
	const char *event_name;	/* their event name */
	/* the socket (inputs_listen) */
	const char *listen;	/* its path, borrowed */
	size_t max_clients;	/* then the least recently active idle one
				 * makes room */
	double client_timeout_s;	/* a client without progress this long goes */
	int dry;		/* acks are "printed", not "delivered" */
};

struct inputs_ops {
	/* A line was rejected (already counted and logged by the notifier):
	 * main says so on stderr for whoever feeds us. origin is "stdin",
	 * "socket peer N" or "send request". Required. */
	void (*on_reject)(void *arg, const char *origin, unsigned long lineno,
	    const char *reason);
	/* stdin ended (EOF or a read error), its last line submitted and
	 * committed. Required when stdin is read. */
	void (*on_stdin_end)(void *arg);
};

/*
 * The input side over the notifier n, logging to log (all borrowed: they
 * must outlive it). cfg's strings are borrowed too; ops and arg are kept.
 * Reads nothing yet. Returns NULL with err on lack of memory.
 */
struct inputs *inputs_new(struct event_base *base, struct notifier *n,
    struct gw_log *log, const struct inputs_config *cfg,
    const struct inputs_ops *ops, void *arg, struct gw_err *err);

/* Listen on cfg->listen (mode 0600, a stale socket replaced). -1 with the
 * reason in err (lineserv's). */
int inputs_listen(struct inputs *in, struct gw_err *err);

/* Read stdin, unless it is a terminal or not open: pipes and sockets are
 * watched by the loop, anything else (a file, /dev/null) is read a chunk
 * per loop turn. 0 (reading or not), -1 when it cannot be watched. */
int inputs_read_stdin(struct inputs *in);

/* 1 while stdin is being read (until its end or inputs_close). */
int inputs_reading_stdin(const struct inputs *in);

/* Records were acked (notifier_on_ack): answer the "send" requests waiting
 * for them: delivered, "printed" (cfg->dry) or "dead-lettered". Their
 * clients' next lines are served from the loop. */
void inputs_ack(struct inputs *in, const uint64_t *seqs, size_t k,
    int delivered);

/* The webhook's state after a response: status 401/403/404 (refused,
 * parked), with Discord's message (may be ""), or 0 once it took
 * something. While refused, waiting "send" requests are answered
 * "parked" at once, and new ones are not held. msg is copied. */
void inputs_webhook(struct inputs *in, long status, const char *msg);

/* No more input (a drain): stop listening and unlink the socket, close
 * its clients (unanswered ones get no reply), stop reading stdin.
 * Idempotent; inputs_ack and inputs_webhook stay callable. */
void inputs_close(struct inputs *in);

/* inputs_close, then free. NULL-safe; not from inside a callback. */
void inputs_free(struct inputs *in);

#endif
