/*
 * httpd: health-mon's HTTP server (docs/health-mon.md "HTTP") on libevent's
 * evhttp: GET /healthz (200 or 503 with a JSON summary), GET /metrics
 * (Prometheus text exposition 0.0.4) and GET / (one HTML status page
 * without external resources). It only reads the owner's view of the
 * model (struct httpd_view), which the owner updates in place between
 * requests on the same loop; the server never changes it.
 *
 * The three bodies are built by pure functions (no I/O, no clock reads)
 * that the unit tests call directly.
 */
#ifndef HM_HTTPD_H
#define HM_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"
#include "hstate.h"

struct event_base;
struct evbuffer;
struct httpd;

#define HTTPD_SAMPLES 60	/* per component, for the page's chart */
#define HTTPD_TRANSITIONS 20	/* the page's "recent transitions" */
#define HTTPD_KIND_MAX 15
#define HTTPD_VERDICT_MAX 31

/* One check's result, for the chart. */
struct httpd_sample {
	int64_t ts_ms;		/* wall ms */
	double duration_ms;
	enum hs_status status;	/* the component's status after it */
};

/* One component as shown. Owned by the owner; zero it, then fill it. */
struct httpd_comp {
	char name[HS_NAME_MAX + 1];
	char kind[HTTPD_KIND_MAX + 1];		/* check_kind_name() */
	enum hs_status status;
	char reason[HS_REASON_MAX + 1];		/* "" when healthy */
	int64_t since_ms;			/* wall ms the status began */
	int64_t last_check_ms;			/* wall ms; 0: none yet */
	double last_duration_ms;		/* meaningful once last_check_ms */
	unsigned long checks_total, failures_total;
	unsigned long alerts_total, alerts_suppressed;
	/* A ring of the last HTTPD_SAMPLES results (httpd_comp_sample). */
	struct httpd_sample samples[HTTPD_SAMPLES];
	size_t n_samples, next_sample;
	/* The gateway's probe: has_probe 1 once a probe finished; a stage's
	 * ms is negative or NaN when that stage was not reached. */
	int has_probe;
	double connect_ms, hello_ms, ready_ms;
	char verdict[HTTPD_VERDICT_MAX + 1];	/* tws_verdict_name() */
	int quiet;		/* its alerts are held: a restart stack-init sent */
};

struct httpd_transition {
	int64_t ts_ms;
	char component[HS_NAME_MAX + 1];
	enum hs_status from, to;
	char reason[HS_REASON_MAX + 1];
};

/* The gateway's login (login.h) as shown, when health-mon follows it. */
struct httpd_login {
	int on;
	int state;			/* enum login_state */
	int64_t since_ms;
	int attempt, max_attempts;	/* the 2FA push under way (0: none) */
	int64_t deadline_ms;		/* its approval deadline (0: none) */
	int64_t until_ms;		/* locked_out: the wait's end (0) */
	int64_t next_weekly_ms;		/* the planned slot (0: none) */
	int planned, in_reset_window;
	char reason[256];
	unsigned long alerts_total;
};

/* stack-init's restart of the gateway (lib/initrestart.h), when
 * health-mon reads its file. */
struct httpd_restart {
	int on;
	int state;			/* enum initrestart_state */
	int quiet;			/* gateway and bot alerts held */
	int64_t began_ms, ended_ms;	/* 0: none */
	char service[64], trigger[16], method[16];
};

/* The whole model as shown. comps is borrowed (n entries) and must stay
 * valid while the server runs; the owner may change any field between
 * two turns of the loop. */
struct httpd_view {
	const struct httpd_comp *comps;
	size_t n;
	int64_t started_ms;		/* wall ms health-mon started */
	int notifier_down;		/* 1: the last alert could not be
					 * handed to discord-notify */
	/* A ring of the last HTTPD_TRANSITIONS (httpd_view_transition). */
	struct httpd_transition tr[HTTPD_TRANSITIONS];
	size_t n_tr, next_tr;
	struct httpd_login login;
	struct httpd_restart restart;
};

struct httpd_config {
	char addr[64];		/* numeric address to bind ("127.0.0.1") */
	int port;		/* 0: any free port (see httpd_port) */
	double timeout_s;	/* per connection, read and write (10) */
	size_t max_headers;	/* request line + headers, bytes (8192) */
	size_t max_clients;	/* connections at once (16); more wait in
				 * the kernel's listen backlog */
};

/* Add one result to c's ring (the oldest drops out). */
void httpd_comp_sample(struct httpd_comp *c, int64_t ts_ms,
    double duration_ms, enum hs_status status);
/* Add one transition to v's ring; reason may be NULL. Strings are cut to
 * fit. */
void httpd_view_transition(struct httpd_view *v, int64_t ts_ms,
    const char *component, enum hs_status from, enum hs_status to,
    const char *reason);

/*
 * GET /healthz: appends the JSON body to out and returns the HTTP status:
 * 200 when every component is healthy (and when there are none), else
 * 503 (the login, when on, is shown under "login" and does not count:
 * the gateway component says whether the API is usable). An unknown
 * component (no verdict yet, e.g. just after start) is
 * not healthy: 503 until its first result, so a compose healthcheck does
 * not pass before anything was checked. The summary "status" is
 * "unhealthy" when a component is unhealthy, "degraded" when one is
 * degraded or unknown, else "healthy". -1 when out of memory.
 */
int httpd_healthz_body(const struct httpd_view *v, struct evbuffer *out);

/* GET /metrics: appends the Prometheus text exposition (format 0.0.4) of
 * v to out; 0, or -1 when out of memory. */
int httpd_metrics_body(const struct httpd_view *v, struct evbuffer *out);

/* GET /: appends the status page to out, every text from v HTML-escaped;
 * now_ms (wall) gives the ages shown. 0, or -1 when out of memory. */
int httpd_page_body(const struct httpd_view *v, int64_t now_ms,
    struct evbuffer *out);

/* Defaults as above (loopback, port 0). */
void httpd_config_init(struct httpd_config *cfg);

/*
 * Bind cfg->addr:cfg->port on base and serve v (borrowed; it must outlive
 * the server). Only GET and HEAD (405 with Allow otherwise; 501, from
 * evhttp, for a method HTTP does not define); unknown paths 404; a request
 * body, or headers above max_headers, 413; a malformed request 400
 * (evhttp). A connection idle or stalled for timeout_s is closed; at
 * max_clients connections no more are accepted until one closes. NULL
 * with err when the address is not numeric or cannot be bound. Never
 * blocks.
 */
struct httpd *httpd_new(struct event_base *base, const struct httpd_config *cfg,
    const struct httpd_view *v, struct gw_err *err);
/* The bound port (the one chosen when cfg->port was 0). */
int httpd_port(const struct httpd *h);
/* Connections open now (at most max_clients). */
size_t httpd_clients(const struct httpd *h);
/* Close the listener and every connection. NULL-safe. */
void httpd_free(struct httpd *h);

#endif
