/*
 * gwconn: bot-core's gateway connection (gwconn.h) on lib/tws_session: the
 * start-up wait, validation, the heartbeat deadline, reconnecting on
 * lib/gwretry's policy (cheap failures polled fast, costly ones backed
 * off) with a per-window limit of costly attempts, and the market-data
 * lines. It reports what happens; the owner decides what it means (gate,
 * alerts, exit). The gateway's bytes are untrusted and arrive decoded by
 * tws_session/tws_wire; tick fields are range-checked here.
 *
 * States: IDLE -> CONNECTING <-> WAITING -> READY -> (lost) WAITING ...;
 * GAVE_UP and STOPPED are final. `starting` tells whether a failure counts
 * against the start-up budget or the reconnect window.
 */
#include "gwconn.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "gwretry.h"
#include "tws_order.h"
#include "tws_session.h"
#include "tws_wire.h"

#define SYMBOL_MAX 31
#define REQ_ID_BASE GWCONN_REQ_ID_MIN	/* market-data request ids:
						 * base + index */
#define REQ_ID_WRAP 2100000000LL	/* then back to the base; orderman's
					 * request ids are above */
#define REQ_ID_STEP 100		/* > GWCONN_MAX_SYMBOLS: a new set, new ids */
#define RECONNECT_MAX_LIMIT 1000

enum state {
	ST_IDLE,
	ST_CONNECTING,		/* a tws_session attempt is under way */
	ST_WAITING,		/* the retry timer runs */
	ST_READY,
	ST_GAVE_UP,
	ST_STOPPED,
};

struct line {
	char symbol[SYMBOL_MAX + 1];
	struct gwconn_quote q;
	long long req_id;
};

struct gwconn {
	struct event_base *base;
	struct gwconn_config cfg;
	gwconn_cb cb;
	void *arg;
	struct tws_session *session;
	struct event *retry_timer;
	struct event *hb_timer;		/* persistent, every heartbeat_interval */
	struct event *hb_deadline;
	struct event *free_ev;		/* gwconn_free from a callback */

	enum state state;
	int starting;			/* 1 until the first validation */
	int attempt;			/* of the current run of failures */
	int64_t start_ms;		/* clock_mono_ms of gwconn_start */
	int64_t outage_ms;		/* mono ms the current outage began */
	int64_t attempt_ms;		/* mono ms the attempt under way began */
	int attempt_counted;		/* it counts against the window */
	struct gwretry rt;
	int64_t *recent;		/* mono ms of costly reconnect attempts */
	int n_recent;
	int in_cb;
	int dead;			/* freed from a callback */

	int hb_outstanding;
	int64_t hb_sent_ns;
	int64_t last_check_ms;

	struct line lines[GWCONN_MAX_SYMBOLS];
	size_t n_lines;
	long long req_base;
	int subscribed;			/* requests sent on this session */
};

static void attempt(struct gwconn *g);
static int window_count(struct gwconn *g, int64_t now);
static void on_session(struct tws_session *s,
    const struct tws_session_event *ev, void *arg);

void
gwconn_config_init(struct gwconn_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
	cfg->port = 4002;
	cfg->client_id = 1;
	cfg->startup_timeout_s = 300;
	cfg->max_retries = 30;
	cfg->retry_interval_s = 5;
	cfg->retry_cap_s = 30;
	cfg->fast_poll_s = GWRETRY_FAST_DEFAULT;
	cfg->connect_timeout_s = 5;
	cfg->heartbeat_interval_s = 10;
	cfg->heartbeat_timeout_s = 5;
	cfg->market_data_type = 3;
	cfg->reconnect_max = 10;
	cfg->reconnect_window_s = 300;
}

/* A duration in seconds: positive, finite, at most a day. */
static int
check_s(const char *name, double v, struct gw_err *err)
{
	if (!(v > 0) || v > 86400)
		return gw_err_set(err, "%s: %g is not a number of seconds in "
		    "(0, 86400]", name, v);
	return 0;
}

int
gwconn_config_check(const struct gwconn_config *cfg, struct gw_err *err)
{
	size_t n = strnlen(cfg->host, sizeof(cfg->host));

	if (n == 0 || n > 253)
		return gw_err_set(err, "GATEWAY_HOST: must be 1..253 characters");
	if (cfg->port < 1 || cfg->port > 65535)
		return gw_err_set(err, "GATEWAY_PORT: %d is not in 1..65535",
		    cfg->port);
	if (cfg->client_id < 0)
		return gw_err_set(err, "CLIENT_ID: %d is not in 0..%d",
		    cfg->client_id, INT_MAX);
	if (check_s("GATEWAY_STARTUP_TIMEOUT", cfg->startup_timeout_s, err) < 0 ||
	    check_s("GATEWAY_RETRY_INTERVAL", cfg->retry_interval_s, err) < 0 ||
	    check_s("retry cap", cfg->retry_cap_s, err) < 0 ||
	    check_s("connect timeout", cfg->connect_timeout_s, err) < 0 ||
	    check_s("HEARTBEAT_INTERVAL", cfg->heartbeat_interval_s, err) < 0 ||
	    check_s("HEARTBEAT_TIMEOUT", cfg->heartbeat_timeout_s, err) < 0 ||
	    check_s("reconnect window", cfg->reconnect_window_s, err) < 0)
		return -1;
	if (cfg->fast_poll_s != 0 && !(cfg->fast_poll_s >= GWRETRY_FAST_MIN &&
	    cfg->fast_poll_s <= GWRETRY_FAST_MAX))
		return gw_err_set(err, "GATEWAY_FAST_POLL: %g is neither 0 (off) "
		    "nor in %g..%g seconds", cfg->fast_poll_s, GWRETRY_FAST_MIN,
		    GWRETRY_FAST_MAX);
	if (cfg->max_retries < 1 || cfg->max_retries > 100000)
		return gw_err_set(err, "GATEWAY_MAX_RETRIES: %ld is not in "
		    "1..100000", cfg->max_retries);
	if (cfg->market_data_type < 1 || cfg->market_data_type > 4)
		return gw_err_set(err, "MARKET_DATA_TYPE: %d is not in 1..4",
		    cfg->market_data_type);
	if (cfg->reconnect_max < 1 || cfg->reconnect_max > RECONNECT_MAX_LIMIT)
		return gw_err_set(err, "reconnect max: %d is not in 1..%d",
		    cfg->reconnect_max, RECONNECT_MAX_LIMIT);
	return 0;
}

static void
clear_quote(struct line *l)
{
	l->q.symbol = l->symbol;
	l->q.bid = l->q.ask = l->q.last = NAN;
	l->q.bid_size = l->q.ask_size = l->q.last_size = l->q.volume = -1;
	l->q.ts_ms = 0;
}

static void
on_free_ev(evutil_socket_t fd, short what, void *arg)
{
	struct gwconn *g = arg;

	(void)fd;
	(void)what;
	g->in_cb = 0;
	gwconn_free(g);
}

/* Report one event. Returns -1 when the owner freed or stopped g inside
 * the callback: the caller then touches nothing more. */
static int
emit(struct gwconn *g, struct gwconn_event *ev)
{
	enum state before = g->state;

	g->in_cb++;
	g->cb(g, ev, g->arg);
	g->in_cb--;
	if (g->dead || (g->state == ST_STOPPED && before != ST_STOPPED))
		return -1;
	return 0;
}

static void on_retry(evutil_socket_t fd, short what, void *arg);
static void on_hb(evutil_socket_t fd, short what, void *arg);
static void on_hb_deadline(evutil_socket_t fd, short what, void *arg);

struct gwconn *
gwconn_new(struct event_base *base, struct evdns_base *dns,
    const struct gwconn_config *cfg, gwconn_cb cb, void *arg,
    struct gw_err *err)
{
	struct tws_session_config sc;
	struct gwconn *g;
	int ms;

	if (gwconn_config_check(cfg, err) < 0)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->recent = calloc((size_t)cfg->reconnect_max,
	    sizeof(g->recent[0]))) == NULL) {
		free(g);
		gw_err_set(err, "gwconn: out of memory");
		return NULL;
	}
	g->base = base;
	g->cfg = *cfg;
	g->cfg.host[sizeof(g->cfg.host) - 1] = '\0';
	g->cb = cb;
	g->arg = arg;
	g->req_base = REQ_ID_BASE;
	ms = (int)ceil(cfg->connect_timeout_s * 1000);
	memset(&sc, 0, sizeof(sc));
	sc.host = g->cfg.host;
	sc.port = cfg->port;
	sc.client_id = cfg->client_id;
	sc.connect_timeout_ms = sc.version_timeout_ms = sc.ready_timeout_ms = ms;
	sc.total_timeout_ms = ms;
	g->session = tws_session_new(base, dns, &sc, on_session, g, err);
	g->retry_timer = evtimer_new(base, on_retry, g);
	g->hb_timer = event_new(base, -1, EV_PERSIST, on_hb, g);
	g->hb_deadline = evtimer_new(base, on_hb_deadline, g);
	g->free_ev = event_new(base, -1, 0, on_free_ev, g);
	if (g->session == NULL || g->retry_timer == NULL || g->hb_timer == NULL ||
	    g->hb_deadline == NULL || g->free_ev == NULL) {
		if (g->session != NULL)
			gw_err_set(err, "gwconn: cannot create timers");
		gwconn_free(g);
		return NULL;
	}
	return g;
}

static void
stop_heartbeat(struct gwconn *g)
{
	evtimer_del(g->hb_timer);
	evtimer_del(g->hb_deadline);
	g->hb_outstanding = 0;
}

void
gwconn_free(struct gwconn *g)
{
	if (g == NULL)
		return;
	if (g->in_cb > 0) {
		/* Inside our callback, itself inside tws_session's: the
		 * session may not be freed before its callback returns. */
		g->dead = 1;
		tws_session_close(g->session);
		evtimer_del(g->retry_timer);
		stop_heartbeat(g);
		event_active(g->free_ev, 0, 0);
		return;
	}
	if (g->free_ev != NULL)
		event_free(g->free_ev);
	if (g->hb_deadline != NULL)
		event_free(g->hb_deadline);
	if (g->hb_timer != NULL)
		event_free(g->hb_timer);
	if (g->retry_timer != NULL)
		event_free(g->retry_timer);
	tws_session_free(g->session);
	free(g->recent);
	free(g);
}

int
gwconn_start(struct gwconn *g, struct gw_err *err)
{
	struct gwretry_policy p = { g->cfg.fast_poll_s, g->cfg.retry_interval_s,
	    g->cfg.retry_cap_s };

	if (g->state != ST_IDLE)
		return gw_err_set(err, "gwconn: already started");
	g->start_ms = g->outage_ms = clock_mono_ms();
	g->starting = 1;
	g->attempt = 0;
	gwretry_init(&g->rt, &p);
	/* The first attempt from the loop, so that every event arrives the
	 * same way; a gateway already up is used without a delay. */
	g->state = ST_WAITING;
	{
		struct timeval tv = { 0, 0 };

		evtimer_add(g->retry_timer, &tv);
	}
	return 0;
}

static int64_t
startup_left_ms(const struct gwconn *g)
{
	int64_t used = clock_mono_ms() - g->start_ms;
	int64_t budget = (int64_t)(g->cfg.startup_timeout_s * 1000);

	return budget > used ? budget - used : 0;
}

/* With fast polling off every attempt counts as costly (the policy
 * before lib/gwretry): against max_retries, the window and the alert
 * levels. */
static long
costly_count(const struct gwconn *g)
{
	return g->cfg.fast_poll_s > 0 ? g->rt.costly : g->attempt;
}

/* The attempt under way reached an API (a costly failure or a session):
 * it counts against reconnect_max. Cheap ones never do. */
static void
count_in_window(struct gwconn *g, int costly)
{
	if (!g->attempt_counted || !(costly || g->cfg.fast_poll_s == 0))
		return;
	g->attempt_counted = 0;
	(void)window_count(g, clock_mono_ms());
	if (g->n_recent < g->cfg.reconnect_max)
		g->recent[g->n_recent++] = g->attempt_ms;
}

/* Drop reconnect attempts older than the window; the number left. */
static int
window_count(struct gwconn *g, int64_t now)
{
	int64_t w = (int64_t)(g->cfg.reconnect_window_s * 1000);
	int i, j = 0;

	for (i = 0; i < g->n_recent; i++)
		if (now - g->recent[i] < w)
			g->recent[j++] = g->recent[i];
	g->n_recent = j;
	return j;
}

static void
attempt(struct gwconn *g)
{
	struct gwconn_event ev;
	struct gw_err e;
	int ms = (int)ceil(g->cfg.connect_timeout_s * 1000);

	if (g->starting) {
		int64_t left = startup_left_ms(g);

		if (left < ms)
			ms = (int)(left < 1 ? 1 : left);
	} else {
		int64_t now = clock_mono_ms();

		if (window_count(g, now) >= g->cfg.reconnect_max) {
			/* Wait for the oldest attempt to leave the window. */
			int64_t w = (int64_t)(g->cfg.reconnect_window_s * 1000);
			double delay_ms = (double)(g->recent[0] + w - now);
			struct timeval tv = clock_tv_ms(delay_ms);

			g->state = ST_WAITING;
			evtimer_add(g->retry_timer, &tv);
			memset(&ev, 0, sizeof(ev));
			ev.type = GWC_RECONNECT_LIMITED;
			ev.attempt = g->attempt;
			ev.delay_s = delay_ms / 1000;
			ev.reason = "reconnect attempts per window reached";
			(void)emit(g, &ev);
			return;
		}
	}
	g->attempt_ms = clock_mono_ms();
	g->attempt_counted = !g->starting;
	g->attempt++;
	g->state = ST_CONNECTING;
	tws_session_set_total_timeout(g->session, ms);
	if (tws_session_start(g->session, &e) < 0) {
		/* No callback follows: treat it as a failed attempt now. */
		struct tws_session_event sev;

		memset(&sev, 0, sizeof(sev));
		sev.type = TWS_EV_FAILED;
		sev.verdict = TWS_UNREACHABLE;
		sev.reason = e.msg;
		on_session(g->session, &sev, g);
	}
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct gwconn *g = arg;

	(void)fd;
	(void)what;
	if (g->state == ST_WAITING)
		attempt(g);
}

/* A failed attempt: report it; retry after gwretry's delay (fast for a
 * cheap verdict, the backoff for a costly one), or give up when the
 * start-up budget is spent. */
static void
failed(struct gwconn *g, enum tws_verdict v, const char *reason)
{
	struct gwconn_event ev;
	double delay = gwretry_next(&g->rt, v);
	int64_t now = clock_mono_ms();
	long suppressed = 0;
	int give_up = 0, report;

	count_in_window(g, !gwretry_is_cheap(v));
	if (g->starting) {
		int64_t left = startup_left_ms(g);

		/* No attempt is worth starting with nothing left. */
		give_up = costly_count(g) >= g->cfg.max_retries ||
		    (double)left <= delay * 1000;
	}
	report = gwretry_report(&g->rt, v, now, &suppressed);
	if (g->cfg.fast_poll_s == 0) {
		report = 1;	/* the old policy: its backoff spaces the lines */
		suppressed = 0;
	} else if (!report && give_up) {
		report = 1;	/* the last one has its line */
		suppressed--;
	}
	g->state = give_up ? ST_GAVE_UP : ST_WAITING;
	memset(&ev, 0, sizeof(ev));
	ev.type = GWC_ATTEMPT_FAILED;
	ev.attempt = g->attempt;
	ev.verdict = tws_verdict_name(v);
	ev.reason = reason;
	ev.delay_s = give_up ? -1 : delay;
	ev.costly = costly_count(g);
	ev.cheap = gwretry_is_cheap(v);
	ev.report = report;
	ev.suppressed = suppressed;
	ev.outage_s = (double)(now - g->outage_ms) / 1000;
	if (emit(g, &ev) < 0)
		return;
	if (give_up) {
		char why[GW_WHY_MAX];

		snprintf(why, sizeof(why), "%s after %d attempts in %.1f s: %s",
		    tws_verdict_name(v), g->attempt,
		    (double)(clock_mono_ms() - g->start_ms) / 1000, reason);
		memset(&ev, 0, sizeof(ev));
		ev.type = GWC_GAVE_UP;
		ev.attempt = g->attempt;
		ev.verdict = tws_verdict_name(v);
		ev.reason = why;
		(void)emit(g, &ev);
		return;
	}
	{
		struct timeval tv = clock_tv_ms(delay * 1000);

		evtimer_add(g->retry_timer, &tv);
	}
}

/* The session ended after validation: report and reconnect. */
static void
lost(struct gwconn *g, const char *reason)
{
	struct gwconn_event ev;
	struct timeval tv;
	double delay;

	stop_heartbeat(g);
	tws_session_close(g->session);
	g->subscribed = 0;
	g->starting = 0;
	g->attempt = 0;
	g->state = ST_WAITING;
	g->outage_ms = clock_mono_ms();
	/* A lost session is most often a restart: its port refuses at once
	 * (cheap), or a thawed follower finds the gateway back already: the
	 * first look is at once (gwretry_after_loss). */
	delay = gwretry_after_loss(&g->rt);
	tv = clock_tv_ms(delay * 1000);
	evtimer_add(g->retry_timer, &tv);
	memset(&ev, 0, sizeof(ev));
	ev.type = GWC_LOST;
	ev.reason = reason;
	ev.delay_s = delay;
	(void)emit(g, &ev);
}

void
gwconn_drop(struct gwconn *g, const char *why)
{
	if (g->state == ST_READY)
		lost(g, why);
}

/* Send one encoded frame; -1 (the session ended) only on a send error. */
static int
send_enc(struct gwconn *g, ssize_t n, const uint8_t *buf, struct gw_err *e)
{
	if (n < 0)
		return -1;
	return tws_session_send(g->session, buf, (size_t)n, e);
}

static void
cancel_lines(struct gwconn *g)
{
	uint8_t buf[64];
	struct gw_err e;
	size_t i;

	if (!g->subscribed || g->state != ST_READY)
		return;
	for (i = 0; i < g->n_lines; i++)
		(void)send_enc(g, tws_enc_cancel_mkt_data(buf, sizeof(buf),
		    g->lines[i].req_id, &e), buf, &e);
	g->subscribed = 0;
}

/* reqMarketDataType, then reqMktData per symbol (SMART, STK, USD). An
 * encoding error (a symbol the wire cannot carry) skips that line and is
 * reported as a notice with code -1. */
static int
request_lines(struct gwconn *g)
{
	uint8_t buf[512];
	struct gw_err e;
	size_t i;
	int sv = tws_session_server_version(g->session);

	if (g->state != ST_READY || g->n_lines == 0)
		return 0;
	if (send_enc(g, tws_enc_req_market_data_type(buf, sizeof(buf),
	    g->cfg.market_data_type, &e), buf, &e) < 0)
		return -1;
	for (i = 0; i < g->n_lines; i++) {
		struct tws_contract c = { 0, g->lines[i].symbol, "STK", "SMART",
		    "", "USD" };
		ssize_t n = tws_enc_req_mkt_data(buf, sizeof(buf), sv,
		    g->lines[i].req_id, &c, "", 0, &e);

		if (n < 0) {
			struct gwconn_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.type = GWC_NOTICE;
			ev.code = -1;
			ev.text = e.msg;
			if (emit(g, &ev) < 0)
				return -1;
			continue;
		}
		if (send_enc(g, n, buf, &e) < 0)
			return -1;
	}
	g->subscribed = 1;
	return 0;
}

static void
on_hb(evutil_socket_t fd, short what, void *arg)
{
	struct gwconn *g = arg;
	struct timeval tv = clock_tv_ms(g->cfg.heartbeat_timeout_s * 1000);
	struct gw_err e;

	(void)fd;
	(void)what;
	if (g->state != ST_READY || g->hb_outstanding)
		return;		/* one request at a time; its deadline runs */
	if (tws_session_req_current_time(g->session, &e) < 0) {
		char why[GW_WHY_MAX];

		snprintf(why, sizeof(why), "cannot send reqCurrentTime: %s",
		    e.msg);
		lost(g, why);
		return;
	}
	g->hb_outstanding = 1;
	g->hb_sent_ns = clock_mono_ns();
	evtimer_add(g->hb_deadline, &tv);
}

static void
on_hb_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct gwconn *g = arg;
	char why[GW_WHY_MAX];

	(void)fd;
	(void)what;
	if (g->state != ST_READY)
		return;
	snprintf(why, sizeof(why), "heartbeat: no currentTime reply within "
	    "%.0f ms", clock_since_ms(g->hb_sent_ns));
	lost(g, why);
}

static void
validated(struct gwconn *g, enum tws_verdict v)
{
	struct gwconn_event ev;
	struct timeval tv = clock_tv_ms(g->cfg.heartbeat_interval_s * 1000);

	evtimer_del(g->retry_timer);
	count_in_window(g, 1);		/* a session costs the gateway too */
	g->state = ST_READY;
	g->starting = 0;
	g->attempt = 0;
	g->subscribed = 0;
	gwretry_reset(&g->rt);
	g->last_check_ms = clock_wall_ms();
	g->hb_outstanding = 0;
	evtimer_add(g->hb_timer, &tv);
	memset(&ev, 0, sizeof(ev));
	ev.type = GWC_READY;
	ev.verdict = tws_verdict_name(v);
	ev.reason = v == TWS_READY ? "" : "validated, but the last "
	    "connectivity notice is 1100 (IB servers unreachable)";
	if (emit(g, &ev) < 0 || g->subscribed)	/* the owner subscribed */
		return;
	(void)request_lines(g);
}

static struct line *
find_line(struct gwconn *g, long long req_id)
{
	long long i = req_id - g->req_base;

	if (i < 0 || i >= (long long)g->n_lines)
		return NULL;
	return &g->lines[i];
}

/* A Decimal size ("300", "0.5"); "" or nonsense: unchanged (-2). */
static long long
size_value(const struct tws_field *f)
{
	char *end;
	double d;

	if (f->len == 0 || f->len > 32)
		return -2;
	d = strtod(f->p, &end);
	if (end != f->p + f->len || !(d >= 0) || d > 1e15)
		return -2;
	return (long long)d;
}

static int
set_size(long long *dst, long long v)
{
	if (v == -2 || *dst == v)
		return 0;
	*dst = v;
	return 1;
}

/* Apply a tickPrice/tickSize; 1 when the quote changed. Delayed ids
 * (66..74) mean the same as the live ones (tws-protocol.md §5). */
static int
apply_tick(struct line *l, const struct tws_in_msg *m)
{
	int ch = 0;

	if (m->id == TWS_IN_TICK_PRICE) {
		double p = m->u.tick_price.price;
		long long sz = size_value(&m->u.tick_price.size);
		double *dst;
		long long *sdst;

		if (!isfinite(p) || p < 0)	/* -1: no price now */
			p = NAN;
		switch (m->u.tick_price.tick_type) {
		case 1: case 66: dst = &l->q.bid; sdst = &l->q.bid_size; break;
		case 2: case 67: dst = &l->q.ask; sdst = &l->q.ask_size; break;
		case 4: case 68: dst = &l->q.last; sdst = &l->q.last_size; break;
		default: return 0;
		}
		if (!(*dst == p || (isnan(*dst) && isnan(p)))) {
			*dst = p;
			ch = 1;
		}
		ch |= set_size(sdst, sz);
		return ch;
	}
	switch (m->u.tick_size.tick_type) {
	case 0: case 69:
		return set_size(&l->q.bid_size, size_value(&m->u.tick_size.size));
	case 3: case 70:
		return set_size(&l->q.ask_size, size_value(&m->u.tick_size.size));
	case 5: case 71:
		return set_size(&l->q.last_size, size_value(&m->u.tick_size.size));
	case 8: case 74:
		return set_size(&l->q.volume, size_value(&m->u.tick_size.size));
	default:
		return 0;
	}
}

/* An order message: decoded here (tws_order), judged by the owner. */
static void
on_order_message(struct gwconn *g, const struct tws_fields *f)
{
	struct gwconn_event ev;
	struct tws_order_in om;
	struct gw_err e;
	int rc;

	if (g->state != ST_READY || f == NULL)
		return;
	rc = tws_order_decode_in(f, tws_session_server_version(g->session), &om,
	    &e);
	if (rc == 1)
		return;		/* not an order message */
	memset(&ev, 0, sizeof(ev));
	if (rc < 0) {
		ev.type = GWC_ORDER_BAD;
		ev.code = om.id;
		ev.reason = e.msg;
	} else {
		ev.type = GWC_ORDER;
		ev.order = &om;
	}
	(void)emit(g, &ev);
}

static void
on_message(struct gwconn *g, const struct tws_in_msg *m,
    const struct tws_fields *f)
{
	struct gwconn_event ev;
	struct line *l;

	memset(&ev, 0, sizeof(ev));
	switch (m->id) {
	case TWS_IN_CURRENT_TIME:
		if (g->state != ST_READY || !g->hb_outstanding)
			return;
		g->hb_outstanding = 0;
		evtimer_del(g->hb_deadline);
		g->last_check_ms = clock_wall_ms();
		ev.type = GWC_HEARTBEAT_OK;
		ev.rtt_ms = clock_since_ms(g->hb_sent_ns);
		(void)emit(g, &ev);
		break;
	case TWS_IN_TICK_PRICE:
	case TWS_IN_TICK_SIZE:
		l = find_line(g, m->id == TWS_IN_TICK_PRICE ?
		    m->u.tick_price.req_id : m->u.tick_size.req_id);
		if (l == NULL || !g->subscribed || !apply_tick(l, m))
			return;
		l->q.ts_ms = clock_wall_ms();
		ev.type = GWC_TICK;
		ev.quote = &l->q;
		(void)emit(g, &ev);
		break;
	default:
		if (!m->known)
			on_order_message(g, f);
		break;
	}
}

static void
on_notice(struct gwconn *g, const struct tws_in_msg *m)
{
	struct gwconn_event ev;
	char text[160];

	gw_err_quote(text, sizeof(text), m->u.error.text.p,
	    m->u.error.text.len);
	memset(&ev, 0, sizeof(ev));
	ev.type = GWC_NOTICE;
	ev.code = m->u.error.code;
	ev.text = text;
	ev.id = m->u.error.req_id;
	if (emit(g, &ev) < 0)
		return;
	/* 1101: connectivity restored, data lost: the lines are gone. */
	if (m->u.error.code == 1101 && g->state == ST_READY && g->subscribed) {
		cancel_lines(g);
		(void)request_lines(g);
	}
}

static void
on_session(struct tws_session *s, const struct tws_session_event *ev,
    void *arg)
{
	struct gwconn *g = arg;

	(void)s;
	if (g->dead || g->state == ST_STOPPED || g->state == ST_GAVE_UP)
		return;
	switch (ev->type) {
	case TWS_EV_READY:
		validated(g, ev->verdict);
		break;
	case TWS_EV_FAILED:
		failed(g, ev->verdict, ev->reason);
		break;
	case TWS_EV_LOST:
		lost(g, ev->reason);
		break;
	case TWS_EV_NOTICE:
		on_notice(g, ev->msg);
		break;
	case TWS_EV_MESSAGE:
		on_message(g, ev->msg, ev->fields);
		break;
	}
}

static int
symbol_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SYMBOL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

int
gwconn_subscribe(struct gwconn *g, const char *const *symbols, size_t n,
    struct gw_err *err)
{
	size_t i;

	if (n > GWCONN_MAX_SYMBOLS)
		return gw_err_set(err, "gwconn: %zu symbols (at most %d)", n,
		    GWCONN_MAX_SYMBOLS);
	for (i = 0; i < n; i++)
		if (!symbol_ok(symbols[i]))
			return gw_err_set(err, "gwconn: symbol %zu is not 1..%d "
			    "printable characters", i + 1, SYMBOL_MAX);
	cancel_lines(g);
	/* New ids for a new set: a late tick of a cancelled line is
	 * ignored rather than put on another symbol. */
	g->req_base += REQ_ID_STEP;
	if (g->req_base + REQ_ID_STEP > REQ_ID_WRAP)
		g->req_base = REQ_ID_BASE;
	for (i = 0; i < n; i++) {
		snprintf(g->lines[i].symbol, sizeof(g->lines[i].symbol), "%s",
		    symbols[i]);
		clear_quote(&g->lines[i]);
		g->lines[i].req_id = g->req_base + (long long)i;
	}
	g->n_lines = n;
	if (request_lines(g) < 0)
		return gw_err_set(err, "gwconn: cannot send the market-data "
		    "requests");
	return 0;
}

void
gwconn_stop(struct gwconn *g)
{
	if (g == NULL || g->state == ST_STOPPED)
		return;
	cancel_lines(g);
	tws_session_flush(g->session);
	tws_session_close(g->session);
	evtimer_del(g->retry_timer);
	stop_heartbeat(g);
	g->state = ST_STOPPED;
}

int
gwconn_connected(const struct gwconn *g)
{
	struct tws_session_timings t;

	if (g->state == ST_READY)
		return 1;
	if (g->state != ST_CONNECTING)
		return 0;
	tws_session_timings(g->session, &t);
	return t.connect_ms >= 0;
}

int
gwconn_validated(const struct gwconn *g)
{
	return g->state == ST_READY;
}

int
gwconn_server_version(const struct gwconn *g)
{
	return g->state == ST_READY ? tws_session_server_version(g->session) : 0;
}

const char *
gwconn_accounts(const struct gwconn *g)
{
	return g->state == ST_READY ? tws_session_accounts(g->session) : "";
}

int64_t
gwconn_last_check_ms(const struct gwconn *g)
{
	return g->last_check_ms;
}

const struct gwconn_quote *
gwconn_quote(const struct gwconn *g, const char *symbol)
{
	size_t i;

	for (i = 0; i < g->n_lines; i++)
		if (strcmp(g->lines[i].symbol, symbol) == 0)
			return &g->lines[i].q;
	return NULL;
}

int
gwconn_send(struct gwconn *g, const uint8_t *frame, size_t len,
    struct gw_err *err)
{
	if (g->state != ST_READY)
		return gw_err_set(err, "gwconn: no validated session");
	return tws_session_send(g->session, frame, len, err);
}

long long
gwconn_next_valid_id(const struct gwconn *g)
{
	if (g->state != ST_READY || !tws_session_have_next_valid_id(g->session))
		return -1;
	return tws_session_next_valid_id(g->session);
}
