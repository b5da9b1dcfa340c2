/*
 * check_int: what check.c shares with the per-kind files (not for other
 * users). check.c owns the timer and the deadline; a kind only starts a
 * run, finishes it with check_done(), and cancels it when asked.
 */
#ifndef HM_CHECK_INT_H
#define HM_CHECK_INT_H

#include <stdint.h>

#include "check.h"

struct event;

struct check_ops {
	/* Begin one run; it ends with exactly one check_done(), from the
	 * loop (never from inside start). -1 with err: the run fails at once
	 * (check.c reports it as unhealthy with err's text). */
	int (*start)(struct check *c, struct gw_err *err);
	/* The deadline passed, or the check is freed: stop the run under
	 * way (close sockets, kill a child); no check_done() after this. */
	void (*cancel)(struct check *c);
	/* Free the kind's state (kind_state). */
	void (*free)(struct check *c);
};

extern const struct check_ops check_gateway_ops;	/* check_gateway.c */
extern const struct check_ops check_socket_ops;		/* check_socket.c: bot,
							 * init, notifier */
extern const struct check_ops check_host_ops;		/* check_host.c */
extern const struct check_ops check_command_ops;	/* check_command.c */

struct check {
	struct event_base *base;
	struct evdns_base *dns;
	struct check_config cfg;
	const struct check_ops *ops;
	check_cb cb;
	void *arg;
	struct event *timer;		/* the interval */
	struct event *deadline;		/* the run's timeout_s */
	int running;			/* a run is under way */
	int repeat;			/* check_start: runs every interval */
	int in_cb;			/* freeing is deferred */
	int dead;
	int64_t started_ns;		/* clock_mono_ns() at the run's start */
	void *kind_state;		/* the kind's own */
};

/* Finish the run under way: status, reason (may be NULL) and the kind's
 * fields (a new reference, or NULL; check.c adds the common ones). */
void check_done(struct check *c, enum hs_status status, const char *reason,
    json_t *fields);

#endif
