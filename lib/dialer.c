/*
 * dialer: resolve a name and connect to its addresses in turn, on libevent.
 * A small state machine (idle -> starting -> resolving -> resolved ->
 * connecting -> idle) under an optional total deadline, with an optional
 * deadline per attempt. Input: the caller's host and port (trusted to be
 * checked by dialer_config_check) and the resolver's answers (libevent's
 * parser; the addresses are only connected to). The host is quoted before
 * it appears in a message.
 *
 * libevent's lookup callbacks are the delicate part:
 * - evdns_getaddrinfo() may answer inside the call (hosts file, errors), so
 *   the callback then only records the answer for the caller to handle;
 * - evdns_getaddrinfo_cancel() does not stop the callback: it runs on a
 *   later turn of the loop with EVUTIL_EAI_CANCEL, and libevent reads the
 *   dns base there. So a cancelled lookup stays counted (struct lookup,
 *   marked stale) and the dialer, with a dns base it owns, lives on after
 *   dialer_free() until the last such callback has run;
 * - when one address family answers and the other is slow, libevent
 *   answers from a timer and cancels the slow request, whose callback again
 *   comes a turn later. Answers are therefore acted on from a zero-delay
 *   timer (a turn later, after those callbacks), never inside libevent's
 *   resolver code, so a callback that frees the dialer cannot free the dns
 *   base under libevent's feet.
 */
#include "dialer.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"

enum state {
	ST_IDLE,
	ST_STARTING,		/* the step timer will begin */
	ST_RESOLVING,		/* a lookup is outstanding */
	ST_RESOLVED,		/* answer stored; the step timer acts on it */
	ST_CONNECTING,		/* one attempt in progress */
};

/* One evdns_getaddrinfo() call; freed by its callback. */
struct lookup {
	struct dialer *d;	/* valid until this callback ran (see top) */
	struct evdns_getaddrinfo_request *req;
	int stale;		/* cancelled: the callback only cleans up */
	int in_call;		/* inside evdns_getaddrinfo() */
	int answered;		/* ... and answered there */
	int result;
	struct evutil_addrinfo *res;
};

struct dialer {
	struct event_base *base;
	struct evdns_base *dns;		/* borrowed or owned */
	int own_dns;
	dialer_cb cb;
	void *arg;

	char host[256];
	char host_q[256];		/* quoted for messages */
	char where[272];		/* "host:port" or "[v6]:port", quoted */
	char port[8];
	int attempt_ms;
	int total_ms;

	enum state state;
	int64_t t0_ns;
	struct event *step;		/* zero-delay: start, act on an answer */
	struct event *deadline;		/* the total deadline */
	struct event *conn;		/* the attempt: writable, or its deadline */
	int fd;				/* the attempt's socket; -1 when none */
	struct lookup *lk;		/* the current lookup; NULL when none */
	int gai_error;
	struct evutil_addrinfo *ai;	/* addresses, tried in order */
	struct evutil_addrinfo *ai_next;
	int last_error;			/* errno of the last failed attempt */
	int last_timed_out;		/* ... which hit its attempt deadline */

	int lookups;			/* lookup callbacks due, stale ones too */
	int zombie;			/* freed; destroyed once nothing is due */
	int zombie_step;		/* ... the step timer is due, too */
};

static void on_step(evutil_socket_t fd, short what, void *arg);
static void on_deadline(evutil_socket_t fd, short what, void *arg);
static void on_conn(evutil_socket_t fd, short what, void *arg);

int
dialer_config_check(const struct dialer_config *cfg, struct gw_err *err)
{
	if (cfg->host == NULL || cfg->host[0] == '\0' || strlen(cfg->host) > 253)
		return gw_err_set(err, "dialer: host must be 1..253 characters");
	if (cfg->port < 1 || cfg->port > 65535)
		return gw_err_set(err, "dialer: port %d not in 1..65535", cfg->port);
	if (cfg->attempt_timeout_ms < 0 || cfg->total_timeout_ms < 0)
		return gw_err_set(err, "dialer: timeouts must not be negative");
	return 0;
}

struct dialer *
dialer_new(struct event_base *base, struct evdns_base *dns, dialer_cb cb,
    void *arg, struct gw_err *err)
{
	struct dialer *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		gw_err_set(err, "dialer: out of memory");
		return NULL;
	}
	d->base = base;
	d->dns = dns;
	d->cb = cb;
	d->arg = arg;
	d->fd = -1;
	d->step = evtimer_new(base, on_step, d);
	d->deadline = evtimer_new(base, on_deadline, d);
	if (d->step == NULL || d->deadline == NULL) {
		gw_err_set(err, "dialer: cannot create timers");
		dialer_free(d);
		return NULL;
	}
	return d;
}

/* Drop whatever is in progress; the lookup, if any, goes stale. */
static void
reset(struct dialer *d)
{
	struct lookup *lk = d->lk;

	if (lk != NULL) {
		d->lk = NULL;
		lk->stale = 1;
		if (lk->req != NULL)
			evdns_getaddrinfo_cancel(lk->req);
	}
	if (d->conn != NULL) {
		event_free(d->conn);
		d->conn = NULL;
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	if (d->ai != NULL) {
		evutil_freeaddrinfo(d->ai);
		d->ai = d->ai_next = NULL;
	}
	if (d->step != NULL)
		evtimer_del(d->step);
	if (d->deadline != NULL)
		evtimer_del(d->deadline);
	d->state = ST_IDLE;
}

static void
destroy(struct dialer *d)
{
	if (d->step != NULL)
		event_free(d->step);
	if (d->deadline != NULL)
		event_free(d->deadline);
	if (d->own_dns && d->dns != NULL)
		evdns_base_free(d->dns, 1);
	free(d);
}

static void
reap_if_done(struct dialer *d)
{
	if (d->zombie && d->lookups == 0 && !d->zombie_step)
		destroy(d);
}

void
dialer_cancel(struct dialer *d)
{
	if (d != NULL)
		reset(d);
}

void
dialer_free(struct dialer *d)
{
	struct timeval now = { 0, 0 };
	int answer_fresh;

	if (d == NULL)
		return;
	/* An answer not yet acted on may have come with a deferred cancel
	 * of libevent's own (see top): an owned dns base must outlive it. */
	answer_fresh = d->state == ST_RESOLVED && d->own_dns;
	reset(d);
	d->cb = NULL;
	d->zombie = 1;
	if (answer_fresh && evtimer_add(d->step, &now) == 0)
		d->zombie_step = 1;
	reap_if_done(d);
}

/* Report and go idle. Nothing touches d after the callback: it may free. */
static void
finish(struct dialer *d, struct dialer_result *r)
{
	reset(d);
	d->cb(d, r, d->arg);
}

static void
fail(struct dialer *d, enum dialer_status status, int sys_error,
    int gai_error, int resolving, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
fail(struct dialer *d, enum dialer_status status, int sys_error,
    int gai_error, int resolving, const char *fmt, ...)
{
	struct dialer_result r;
	va_list ap;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.fd = -1;
	r.sys_error = sys_error;
	r.gai_error = gai_error;
	r.resolving = resolving;
	va_start(ap, fmt);
	vsnprintf(r.err.msg, sizeof(r.err.msg), fmt, ap);
	va_end(ap);
	finish(d, &r);
}

static void
succeed(struct dialer *d, int fd)
{
	struct dialer_result r;

	memset(&r, 0, sizeof(r));
	r.status = DIALER_CONNECTED;
	r.fd = fd;
	finish(d, &r);
}

static void
fail_connect(struct dialer *d)
{
	char why[64];

	if (d->last_timed_out)
		snprintf(why, sizeof(why), "no answer within %d ms", d->attempt_ms);
	else
		snprintf(why, sizeof(why), "%s", d->last_error ?
		    evutil_socket_error_to_string(d->last_error) : "no address");
	fail(d, DIALER_ECONNECT, d->last_error, 0, 0, "connect to %s failed: %s",
	    d->where, why);
}

/* Try the next address; report the last failure when none is left. */
static void
connect_next(struct dialer *d)
{
	d->state = ST_CONNECTING;
	while (d->ai_next != NULL) {
		struct evutil_addrinfo *ai = d->ai_next;
		struct timeval tv = clock_tv_ms(d->attempt_ms);
		int fd, e;

		d->ai_next = ai->ai_next;
		/* close-on-exec: a process spawned meanwhile must not
		 * inherit the connection */
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			d->last_error = errno;
			d->last_timed_out = 0;
			continue;
		}
		if (connect(fd, ai->ai_addr, (socklen_t)ai->ai_addrlen) == 0) {
			succeed(d, fd);
			return;
		}
		e = errno;
		if (e == EINPROGRESS || e == EINTR) {
			event_base_update_cache_time(d->base);	/* the attempt's
								 * deadline from now */
			d->conn = event_new(d->base, fd, EV_WRITE, on_conn, d);
			if (d->conn != NULL && event_add(d->conn,
			    d->attempt_ms > 0 ? &tv : NULL) == 0) {
				d->fd = fd;
				return;
			}
			if (d->conn != NULL)
				event_free(d->conn);
			d->conn = NULL;
			e = ENOMEM;
		}
		d->last_error = e;
		d->last_timed_out = 0;
		close(fd);
	}
	fail_connect(d);
}

static void
on_conn(evutil_socket_t fd, short what, void *arg)
{
	struct dialer *d = arg;
	socklen_t len = sizeof(int);
	int e = 0;

	if (what & EV_TIMEOUT) {
		d->last_error = ETIMEDOUT;
		d->last_timed_out = 1;
	} else {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
			e = errno;
		if (e == 0) {
			event_free(d->conn);
			d->conn = NULL;
			d->fd = -1;	/* now the callback's */
			succeed(d, fd);
			return;
		}
		d->last_error = e;
		d->last_timed_out = 0;
	}
	event_free(d->conn);
	d->conn = NULL;
	close(d->fd);
	d->fd = -1;
	connect_next(d);
}

/* Store the answer; the step timer acts on it (see top). */
static void
got_answer(struct dialer *d, int result, struct evutil_addrinfo *res)
{
	struct timeval now = { 0, 0 };

	d->gai_error = result;
	d->ai = d->ai_next = res;
	d->state = ST_RESOLVED;
	if (evtimer_add(d->step, &now) < 0)
		fail(d, DIALER_ERESOLVE, 0, EVUTIL_EAI_MEMORY,
		    0, "cannot resolve '%s': cannot arm a timer", d->host_q);
}

static void
on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct lookup *lk = arg;
	struct dialer *d = lk->d;

	if (lk->in_call) {
		lk->answered = 1;
		lk->result = result;
		lk->res = res;
		return;
	}
	d->lookups--;
	/* A cancelled lookup ends here (with EVUTIL_EAI_CANCEL). */
	if (lk->stale) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		free(lk);
		reap_if_done(d);
		return;
	}
	d->lk = NULL;
	free(lk);
	got_answer(d, result, res);
}

static void
resolve(struct dialer *d)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct lookup *lk;

	if (d->dns == NULL) {
		d->dns = evdns_base_new(d->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (d->dns == NULL) {
			fail(d, DIALER_ERESOLVE, 0, 0, 0,
			    "cannot resolve '%s': no DNS resolver", d->host_q);
			return;
		}
		d->own_dns = 1;
	}
	if ((lk = calloc(1, sizeof(*lk))) == NULL) {
		fail(d, DIALER_ERESOLVE, 0, EVUTIL_EAI_MEMORY, 0,
		    "cannot resolve '%s': out of memory", d->host_q);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_ADDRCONFIG;
	lk->d = d;
	lk->in_call = 1;
	d->lookups++;
	d->state = ST_RESOLVING;
	req = evdns_getaddrinfo(d->dns, d->host, d->port, &hints, on_resolved, lk);
	lk->in_call = 0;
	if (lk->answered) {
		int result = lk->result;
		struct evutil_addrinfo *res = lk->res;

		d->lookups--;
		free(lk);
		got_answer(d, result, res);
		return;
	}
	lk->req = req;
	d->lk = lk;
}

static void
on_step(evutil_socket_t fd, short what, void *arg)
{
	struct dialer *d = arg;

	(void)fd;
	(void)what;
	if (d->zombie) {
		d->zombie_step = 0;
		reap_if_done(d);
		return;
	}
	switch (d->state) {
	case ST_STARTING:
		if (d->ai != NULL)	/* a numeric address */
			connect_next(d);
		else
			resolve(d);
		break;
	case ST_RESOLVED:
		if (d->gai_error != 0 || d->ai == NULL) {
			/* no error but no address: the hosts file names the
			 * host with another address family only */
			int e = d->gai_error ? d->gai_error : EVUTIL_EAI_NODATA;

			fail(d, DIALER_ERESOLVE, 0, e, 0, "cannot resolve '%s': %s",
			    d->host_q, evutil_gai_strerror(e));
			break;
		}
		connect_next(d);
		break;
	default:
		break;
	}
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct dialer *d = arg;
	double t = clock_since_ms(d->t0_ns);

	(void)fd;
	(void)what;
	switch (d->state) {
	case ST_STARTING:	/* a numeric address counts as resolved */
	case ST_RESOLVING:
	case ST_RESOLVED:
		if (d->state != ST_STARTING || d->ai == NULL) {
			fail(d, DIALER_ETIMEDOUT, 0, 0, 1,
			    "cannot resolve '%s' within %.0f ms", d->host_q, t);
			break;
		}
		fail(d, DIALER_ETIMEDOUT, 0, 0, 0,
		    "connect to %s timed out after %.0f ms", d->where, t);
		break;
	case ST_CONNECTING:
		fail(d, DIALER_ETIMEDOUT, 0, 0, 0,
		    "connect to %s timed out after %.0f ms", d->where, t);
		break;
	case ST_IDLE:
		break;
	}
}

int
dialer_start(struct dialer *d, const struct dialer_config *cfg,
    struct gw_err *err)
{
	struct evutil_addrinfo hints, *res = NULL;
	struct timeval now = { 0, 0 }, tv;

	if (dialer_config_check(cfg, err) < 0)
		return -1;
	reset(d);
	snprintf(d->host, sizeof(d->host), "%s", cfg->host);
	gw_err_quote(d->host_q, sizeof(d->host_q), d->host, strlen(d->host));
	snprintf(d->where, sizeof(d->where), strchr(d->host, ':') ?
	    "[%s]:%d" : "%s:%d", d->host_q, cfg->port);
	snprintf(d->port, sizeof(d->port), "%d", cfg->port);
	d->attempt_ms = cfg->attempt_timeout_ms;
	d->total_ms = cfg->total_timeout_ms;
	d->gai_error = 0;
	d->last_error = 0;
	d->last_timed_out = 0;
	d->t0_ns = clock_mono_ns();

	/* A numeric address needs no resolver and never blocks. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
	if (evutil_getaddrinfo(d->host, d->port, &hints, &res) == 0)
		d->ai = d->ai_next = res;

	/* Begin from the loop, so that the callback never runs in here. */
	d->state = ST_STARTING;
	event_base_update_cache_time(d->base);	/* the total from now */
	tv = clock_tv_ms(d->total_ms);
	if (evtimer_add(d->step, &now) < 0 ||
	    (d->total_ms > 0 && evtimer_add(d->deadline, &tv) < 0)) {
		reset(d);
		return gw_err_set(err, "dialer: cannot arm a timer");
	}
	return 0;
}
