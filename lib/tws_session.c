/*
 * tws_session: a TWS API client session on libevent (docs/protocol.md:
 * framing, handshake, readiness, failure shapes). An explicit state machine; every stage has a deadline. All
 * bytes from the peer are untrusted and go through tws_wire's decoders.
 */
#include "tws_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "dialer.h"

enum state {
	ST_IDLE,
	ST_DIALING,		/* resolve + connect, under the connect deadline */
	ST_AWAIT_VERSION,
	ST_AWAIT_READY,
	ST_READY,
	ST_CLOSED,
};

struct tws_session {
	struct event_base *base;
	struct dialer *dialer;
	struct tws_session_config cfg;
	char host[256];
	char where[272];		/* "host:port" or "[v6]:port", quoted */
	char options[256];
	tws_session_cb cb;
	void *arg;

	enum state state;
	struct bufferevent *bev;
	struct event *timer;
	int64_t t0_ns;			/* start (clock_mono_ns) */
	double total_deadline_ms;	/* from t0; 0 = none */
	struct tws_session_timings tm;

	int server_version;
	char conn_time[TWS_SERVER_VERSION_TIME_LEN];
	int have_next_id;
	long long next_valid_id;
	int have_accounts;
	char accounts[4096];
	int upstream_lost;
	int saw_326;
	struct tws_notice notices[TWS_MAX_NOTICES];
	size_t n_notices;
	long long rx_bytes;		/* received since start */
	size_t rx_buffered;		/* of which still in the input buffer */
	int frames_seen;		/* complete frames decoded */
	struct tws_fields fields;	/* decode scratch, 8 KiB */
	/* Guards against use after the callback closed the session. */
	unsigned generation;
};

static const char *const verdict_names[TWS_VERDICT_COUNT] = {
	"ready", "unreachable", "relay-closed", "handshake-timeout",
	"not-logged-in", "client-id-in-use", "upstream-down", "not-api",
};

const char *
tws_verdict_name(enum tws_verdict v)
{
	return (unsigned)v < TWS_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

double
tws_session_elapsed_ms(const struct tws_session *s)
{
	return clock_since_ms(s->t0_ns);
}

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void on_dialed(struct dialer *d, const struct dialer_result *r,
    void *arg);
static void on_connected(struct tws_session *s);
static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

int
tws_session_config_check(const struct tws_session_config *cfg,
    struct gw_err *err)
{
	int lo = cfg->min_version ? cfg->min_version : TWS_CLIENT_MIN_VERSION;
	int hi = cfg->max_version ? cfg->max_version : TWS_CLIENT_MAX_VERSION;

	if (cfg->host == NULL || cfg->host[0] == '\0' || strlen(cfg->host) > 253)
		return gw_err_set(err, "session: host must be 1..253 characters");
	if (cfg->port < 1 || cfg->port > 65535)
		return gw_err_set(err, "session: port %d not in 1..65535", cfg->port);
	if (cfg->connect_timeout_ms <= 0 || cfg->version_timeout_ms <= 0 ||
	    cfg->ready_timeout_ms <= 0 || cfg->total_timeout_ms < 0)
		return gw_err_set(err, "session: stage timeouts must be positive");
	if (lo < 1 || lo > hi || hi >= TWS_SV_PROTOBUF)
		return gw_err_set(err, "session: version range %d..%d invalid (max must be < %d)",
		    lo, hi, TWS_SV_PROTOBUF);
	if (cfg->connect_options != NULL && strlen(cfg->connect_options) > 200)
		return gw_err_set(err, "session: connect options longer than 200 characters");
	return 0;
}

struct tws_session *
tws_session_new(struct event_base *base, struct evdns_base *dns,
    const struct tws_session_config *cfg, tws_session_cb cb, void *arg,
    struct gw_err *err)
{
	struct tws_session *s;
	char host_q[256];

	if (tws_session_config_check(cfg, err) < 0)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		gw_err_set(err, "session: out of memory");
		return NULL;
	}
	s->base = base;
	s->cfg = *cfg;
	snprintf(s->host, sizeof(s->host), "%s", cfg->host);
	gw_err_quote(host_q, sizeof(host_q), s->host, strlen(s->host));
	snprintf(s->where, sizeof(s->where), strchr(s->host, ':') ? "[%s]:%d" :
	    "%s:%d", host_q, cfg->port);
	s->cfg.host = s->host;
	if (cfg->connect_options != NULL)
		snprintf(s->options, sizeof(s->options), "%s", cfg->connect_options);
	s->cfg.connect_options = s->options;
	if (s->cfg.min_version == 0)
		s->cfg.min_version = TWS_CLIENT_MIN_VERSION;
	if (s->cfg.max_version == 0)
		s->cfg.max_version = TWS_CLIENT_MAX_VERSION;
	s->cb = cb;
	s->arg = arg;
	s->timer = evtimer_new(base, on_timer, s);
	s->dialer = dialer_new(base, dns, on_dialed, s, err);
	if (s->timer == NULL || s->dialer == NULL) {
		if (s->timer == NULL)
			gw_err_set(err, "session: cannot create timer");
		tws_session_free(s);
		return NULL;
	}
	s->state = ST_IDLE;
	return s;
}

void
tws_session_set_total_timeout(struct tws_session *s, int ms)
{
	s->cfg.total_timeout_ms = ms < 0 ? 0 : ms;
}

static void
reset_peer_state(struct tws_session *s)
{
	s->server_version = 0;
	s->conn_time[0] = '\0';
	s->have_next_id = 0;
	s->next_valid_id = 0;
	s->have_accounts = 0;
	s->accounts[0] = '\0';
	s->upstream_lost = 0;
	s->saw_326 = 0;
	s->n_notices = 0;
	s->rx_bytes = 0;
	s->rx_buffered = 0;
	s->frames_seen = 0;
	s->tm.connect_ms = s->tm.version_ms = s->tm.ready_ms = -1;
}

static void
drop_connection(struct tws_session *s)
{
	dialer_cancel(s->dialer);
	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	if (s->timer != NULL)
		evtimer_del(s->timer);
}

void
tws_session_flush(struct tws_session *s)
{
	struct evbuffer *out;

	if (s == NULL || s->bev == NULL)
		return;
	out = bufferevent_get_output(s->bev);
	while (evbuffer_get_length(out) > 0)
		if (evbuffer_write(out, bufferevent_getfd(s->bev)) <= 0)
			break;
}

void
tws_session_close(struct tws_session *s)
{
	if (s == NULL)
		return;
	drop_connection(s);
	s->state = ST_CLOSED;
	s->generation++;
}

void
tws_session_free(struct tws_session *s)
{
	if (s == NULL)
		return;
	drop_connection(s);
	if (s->timer != NULL)
		event_free(s->timer);
	dialer_free(s->dialer);
	free(s);
}

/* A stage's deadline: stage_ms from now, capped by the total budget. */
static double
stage_left_ms(struct tws_session *s, int stage_ms)
{
	double left = stage_ms;

	if (s->total_deadline_ms > 0) {
		double rest = s->total_deadline_ms - clock_since_ms(s->t0_ns);
		if (rest < left)
			left = rest < 0 ? 0 : rest;
	}
	return left;
}

static void
arm_stage(struct tws_session *s, int stage_ms)
{
	struct timeval tv;

	/* timers run from the loop's cached time, which lags the clock by
	 * whatever this turn has done: refresh it, or the stage would end
	 * early by that much */
	event_base_update_cache_time(s->base);
	tv = clock_tv_ms(stage_left_ms(s, stage_ms));
	evtimer_add(s->timer, &tv);
}

static void
emit(struct tws_session *s, enum tws_session_event_type type,
    enum tws_verdict v, const char *reason, const struct tws_in_msg *m,
    const struct tws_fields *f)
{
	struct tws_session_event ev = { type, v, reason, m, f };

	if (s->cb != NULL)
		s->cb(s, &ev, s->arg);
}

/* End the session before ready (FAILED) or after it (LOST). */
static void
fail(struct tws_session *s, enum tws_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct tws_session *s, enum tws_verdict v, const char *fmt, ...)
{
	char reason[256];
	int was_ready = s->state == ST_READY;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	drop_connection(s);
	s->state = ST_CLOSED;
	s->generation++;
	emit(s, was_ready ? TWS_EV_LOST : TWS_EV_FAILED, v, reason, NULL, NULL);
}

/* Dialing ended: connected (the hello goes out), or unreachable with the
 * dialer's reason ("cannot resolve ...", "connect to ... failed: ..."). */
static void
on_dialed(struct dialer *d, const struct dialer_result *r, void *arg)
{
	struct tws_session *s = arg;

	(void)d;
	if (r->status != DIALER_CONNECTED) {
		fail(s, TWS_UNREACHABLE, "%s", r->err.msg);
		return;
	}
	s->bev = bufferevent_socket_new(s->base, r->fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		close(r->fd);
		fail(s, TWS_UNREACHABLE, "connect to %s failed: "
		    "cannot create a socket buffer", s->where);
		return;
	}
	bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
	on_connected(s);
}

int
tws_session_start(struct tws_session *s, struct gw_err *err)
{
	struct dialer_config dc;
	double left;

	drop_connection(s);
	s->generation++;
	reset_peer_state(s);
	s->t0_ns = clock_mono_ns();
	s->total_deadline_ms = s->cfg.total_timeout_ms;
	s->state = ST_DIALING;
	/* The dialer's deadline covers resolution and every address, in
	 * whole milliseconds, rounded up (0 would mean none). */
	left = stage_left_ms(s, s->cfg.connect_timeout_ms);
	memset(&dc, 0, sizeof(dc));
	dc.host = s->host;
	dc.port = s->cfg.port;
	dc.total_timeout_ms = (int)left;
	if (dc.total_timeout_ms < left || dc.total_timeout_ms < 1)
		dc.total_timeout_ms++;
	if (dialer_start(s->dialer, &dc, err) < 0) {
		s->state = ST_CLOSED;
		return -1;
	}
	return 0;
}

static int
send_frame(struct tws_session *s, const uint8_t *p, size_t n,
    struct gw_err *err)
{
	if (s->bev == NULL || bufferevent_write(s->bev, p, n) < 0)
		return gw_err_set(err, "session: not connected");
	return 0;
}

int
tws_session_send(struct tws_session *s, const uint8_t *frame, size_t len,
    struct gw_err *err)
{
	if (s->state != ST_READY)
		return gw_err_set(err, "session: not ready");
	return send_frame(s, frame, len, err);
}

int
tws_session_req_current_time(struct tws_session *s, struct gw_err *err)
{
	uint8_t buf[32];
	ssize_t n = tws_enc_req_current_time(buf, sizeof(buf), err);

	if (n < 0)
		return -1;
	return tws_session_send(s, buf, (size_t)n, err);
}

static void
on_connected(struct tws_session *s)
{
	uint8_t buf[TWS_MAX_HELLO_LEN + 16];
	struct gw_err e;
	ssize_t n;

	s->tm.connect_ms = clock_since_ms(s->t0_ns);
	n = tws_enc_hello(buf, sizeof(buf), s->cfg.min_version,
	    s->cfg.max_version, s->options, &e);
	if (n < 0 || send_frame(s, buf, (size_t)n, &e) < 0) {
		fail(s, TWS_UNREACHABLE, "cannot send hello: %s", e.msg);
		return;
	}
	bufferevent_enable(s->bev, EV_READ);
	s->state = ST_AWAIT_VERSION;
	arm_stage(s, s->cfg.version_timeout_ms);
}

/* What the peer sent first, for a "not a TWS API endpoint" reason: its
 * first line (SSH and HTTP servers answer with one), printable bytes only,
 * at most 48 characters. */
static void
seen_text(struct tws_session *s, char *buf, size_t sz)
{
	char raw[49];
	ssize_t n = s->bev == NULL ? 0 : evbuffer_copyout(
	    bufferevent_get_input(s->bev), raw, sizeof(raw));
	size_t len = n < 0 ? 0 : (size_t)n, eol;

	for (eol = 0; eol < len && raw[eol] != '\r' && raw[eol] != '\n'; eol++)
		;
	if (eol == 0)
		eol = len;
	if (eol > sizeof(raw) - 1) {
		gw_err_quote(buf, sz, raw, sizeof(raw) - 1);
		snprintf(buf + strlen(buf), sz - strlen(buf), "...");
	} else {
		gw_err_quote(buf, sz, raw, eol);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct tws_session *s = arg;
	int e = EVUTIL_SOCKET_ERROR();
	const char *why;

	(void)bev;
	/* EOF or error on an established connection (protocol.md §8: through the socat
	 * relay every backend failure looks like EOF). */
	why = (what & BEV_EVENT_EOF) ? "connection closed by peer" :
	    evutil_socket_error_to_string(e);
	switch (s->state) {
	case ST_AWAIT_VERSION:
		if (s->rx_bytes > 0 && s->frames_seen == 0) {
			char seen[64];

			seen_text(s, seen, sizeof(seen));
			fail(s, TWS_NOT_API, "not a TWS API endpoint: got \"%s\", "
			    "then %s", seen, why);
			break;
		}
		fail(s, TWS_RELAY_CLOSED,
		    "%s before the server version (gateway behind a relay down, or rejected)",
		    why);
		break;
	case ST_AWAIT_READY:
		if (s->saw_326)
			fail(s, TWS_CLIENT_ID_IN_USE,
			    "error 326: client id %d already in use (%s)",
			    s->cfg.client_id, why);
		else
			fail(s, TWS_CLIENT_ID_IN_USE,
			    "%s after startApi before nextValidId (client id %d in use?)",
			    why, s->cfg.client_id);
		break;
	case ST_READY:
		fail(s, TWS_READY, "%s", why);
		break;
	default:
		break;
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tws_session *s = arg;
	double t = clock_since_ms(s->t0_ns);

	(void)fd;
	(void)what;
	/* while dialing, the dialer keeps the deadline */
	switch (s->state) {
	case ST_AWAIT_VERSION:
		if (s->rx_bytes == 0)
			fail(s, TWS_HANDSHAKE_TIMEOUT,
			    "connected, but no server version within %.0f ms: no bytes "
			    "received; is port %d a TWS API port? (or the gateway is "
			    "wedged, or a dialog is open)",
			    t - s->tm.connect_ms, s->cfg.port);
		else
			fail(s, TWS_HANDSHAKE_TIMEOUT,
			    "connected, but no server version within %.0f ms (%lld bytes "
			    "received; gateway wedged or a dialog open)",
			    t - s->tm.connect_ms, s->rx_bytes);
		break;
	case ST_AWAIT_READY:
		fail(s, TWS_NOT_LOGGED_IN,
		    "server version %d, but %s within %.0f ms of startApi",
		    s->server_version,
		    !s->have_next_id && !s->have_accounts ?
		    "no nextValidId or managedAccounts" :
		    !s->have_next_id ? "no nextValidId" : "no managedAccounts",
		    t - s->tm.version_ms);
		break;
	default:
		break;
	}
}

static void
add_notice(struct tws_session *s, const struct tws_in_msg *m)
{
	struct tws_notice *n;

	switch (m->u.error.code) {
	case 1100:
		s->upstream_lost = 1;
		break;
	case 1101:
	case 1102:
		s->upstream_lost = 0;
		break;
	case 326:
		s->saw_326 = 1;
		break;
	default:
		break;
	}
	if (s->n_notices == TWS_MAX_NOTICES)	/* keep the most recent */
		memmove(&s->notices[0], &s->notices[1],
		    sizeof(s->notices[0]) * (TWS_MAX_NOTICES - 1));
	else
		s->n_notices++;
	n = &s->notices[s->n_notices - 1];
	n->req_id = m->u.error.req_id;
	n->code = m->u.error.code;
	gw_err_quote(n->text, sizeof(n->text), m->u.error.text.p,
	    m->u.error.text.len);
}

/* Keep the account list printable, each entry trimmed of blanks, empty
 * entries dropped (",,, ," names no account); if it does not fit, keep
 * whole entries only, never a cut-off account id. */
static void
copy_accounts(struct tws_session *s, const struct tws_field *f)
{
	size_t i = 0, o = 0;

	while (i < f->len) {
		size_t b = i, e;

		while (i < f->len && f->p[i] != ',')
			i++;
		e = i++;	/* entry [b, e); skip the comma */
		while (b < e && (f->p[b] == ' ' || f->p[b] == '\t'))
			b++;
		while (e > b && (f->p[e - 1] == ' ' || f->p[e - 1] == '\t'))
			e--;
		if (b == e)
			continue;
		if (o + (o > 0) + (e - b) > sizeof(s->accounts) - 1)
			break;
		if (o > 0)
			s->accounts[o++] = ',';
		gw_err_quote(s->accounts + o, e - b + 1, f->p + b, e - b);
		o += e - b;
	}
	s->accounts[o] = '\0';
}

/* Handle one frame. Returns 0 to go on, -1 when the session ended. */
static int
handle_frame(struct tws_session *s, const struct tws_fields *f)
{
	struct tws_in_msg m;
	struct gw_err e;
	unsigned gen = s->generation;

	s->frames_seen++;
	if (s->state == ST_AWAIT_VERSION) {
		/* as the official client's connect(): the first 2-field message is the reply. */
		if (f->n != 2)
			return 0;
		if (tws_wire_decode_server_version(f, &s->server_version,
		    s->conn_time, &e) < 0) {
			fail(s, TWS_HANDSHAKE_TIMEOUT, "no valid server version: %s", e.msg);
			return -1;
		}
		if (s->server_version < s->cfg.min_version ||
		    s->server_version > s->cfg.max_version) {
			fail(s, TWS_HANDSHAKE_TIMEOUT,
			    "server chose version %d outside our v%d..%d",
			    s->server_version, s->cfg.min_version, s->cfg.max_version);
			return -1;
		}
		s->tm.version_ms = clock_since_ms(s->t0_ns);
		uint8_t buf[64];
		ssize_t n = tws_enc_start_api(buf, sizeof(buf), s->server_version,
		    s->cfg.client_id, "", &e);
		if (n < 0 || send_frame(s, buf, (size_t)n, &e) < 0) {
			fail(s, TWS_HANDSHAKE_TIMEOUT, "cannot send startApi: %s", e.msg);
			return -1;
		}
		s->state = ST_AWAIT_READY;
		arm_stage(s, s->cfg.ready_timeout_ms);
		return 0;
	}
	if (tws_wire_decode_in(f, s->server_version, &m, &e) < 0) {
		fail(s, s->state == ST_READY ? TWS_READY : TWS_NOT_LOGGED_IN,
		    "malformed message from gateway: %s", e.msg);
		return -1;
	}
	switch (m.id) {
	case TWS_IN_NEXT_VALID_ID:
		s->have_next_id = 1;
		s->next_valid_id = m.u.next_valid_id.order_id;
		break;
	case TWS_IN_MANAGED_ACCOUNTS:
		s->have_accounts = 1;
		copy_accounts(s, &m.u.managed_accounts.accounts);
		break;
	case TWS_IN_ERROR:
		add_notice(s, &m);
		break;
	default:
		break;
	}
	emit(s, m.id == TWS_IN_ERROR ? TWS_EV_NOTICE : TWS_EV_MESSAGE,
	    TWS_READY, NULL, &m, f);
	if (gen != s->generation)
		return -1;
	if (s->state == ST_AWAIT_READY && s->saw_326) {
		fail(s, TWS_CLIENT_ID_IN_USE,
		    "error 326: client id %d already in use", s->cfg.client_id);
		return -1;
	}
	return 0;
}

/* Does the (normalised) account list name at least one account? */
static int
has_account(const char *list)
{
	return list[0] != '\0';
}

/* A first frame that cannot be the TWS API: name what was seen. */
static void
fail_not_api(struct tws_session *s, const char *why)
{
	char seen[64];

	seen_text(s, seen, sizeof(seen));
	fail(s, TWS_NOT_API, "not a TWS API endpoint: got \"%s\" (%s)", seen, why);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct tws_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct gw_err e;
	unsigned gen = s->generation;
	uint8_t hdr[4];

	s->rx_bytes += (long long)(evbuffer_get_length(in) - s->rx_buffered);
	s->rx_buffered = evbuffer_get_length(in);
	for (;;) {
		size_t have = evbuffer_get_length(in), cap;
		const uint8_t *p;
		uint32_t n;
		ssize_t used;

		if (have < 4)
			break;
		evbuffer_copyout(in, hdr, 4);
		n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		    (uint32_t)hdr[2] << 8 | hdr[3];
		/* Until the peer is validated, a huge frame is not worth
		 * buffering: a real gateway's first messages are tiny. */
		cap = s->state == ST_READY ? TWS_MAX_MSG_LEN : TWS_MAX_FRAME_BEFORE_READY;
		if (n > cap && s->state == ST_AWAIT_VERSION && s->frames_seen == 0) {
			char why[96];

			snprintf(why, sizeof(why), "frame length %u exceeds the "
			    "%zu-byte maximum", n, cap);
			fail_not_api(s, why);
			return;
		}
		if (n > cap) {
			fail(s, s->state == ST_AWAIT_VERSION ? TWS_HANDSHAKE_TIMEOUT :
			    s->state == ST_AWAIT_READY ? TWS_NOT_LOGGED_IN : TWS_READY,
			    "malformed bytes from gateway: frame length %u exceeds the %zu-byte maximum",
			    n, cap);
			return;
		}
		if (have < 4 + (size_t)n)
			break;	/* wait for the whole frame */
		p = evbuffer_pullup(in, (ssize_t)(4 + n));
		used = p ? tws_wire_decode_frame(p, 4 + (size_t)n, &s->fields, &e) : -1;
		if (used <= 0 && p != NULL && s->state == ST_AWAIT_VERSION &&
		    s->frames_seen == 0) {
			fail_not_api(s, e.msg);
			return;
		}
		if (used <= 0) {
			fail(s, s->state == ST_AWAIT_VERSION ? TWS_HANDSHAKE_TIMEOUT :
			    s->state == ST_AWAIT_READY ? TWS_NOT_LOGGED_IN : TWS_READY,
			    "malformed bytes from gateway: %s",
			    p == NULL ? "out of memory" : e.msg);
			return;
		}
		if (handle_frame(s, &s->fields) < 0 || gen != s->generation)
			return;
		evbuffer_drain(in, (size_t)used);
		s->rx_buffered -= (size_t)used;
	}
	/* Decide readiness after the whole batch so that a 1100 sent with the
	 * initial messages is seen before the verdict. */
	if (s->state == ST_AWAIT_READY && s->have_next_id && s->have_accounts) {
		if (!has_account(s->accounts)) {
			fail(s, TWS_NOT_LOGGED_IN,
			    "managedAccounts is empty (not logged in to an account)");
			return;
		}
		evtimer_del(s->timer);
		s->tm.ready_ms = clock_since_ms(s->t0_ns);
		s->state = ST_READY;
		emit(s, TWS_EV_READY, tws_session_ready_verdict(s), NULL, NULL, NULL);
	}
}

int
tws_session_is_ready(const struct tws_session *s)
{
	return s->state == ST_READY;
}

int
tws_session_server_version(const struct tws_session *s)
{
	return s->server_version;
}

const char *
tws_session_connection_time(const struct tws_session *s)
{
	return s->conn_time;
}

const char *
tws_session_accounts(const struct tws_session *s)
{
	return s->accounts;
}

long long
tws_session_next_valid_id(const struct tws_session *s)
{
	return s->next_valid_id;
}

int
tws_session_have_next_valid_id(const struct tws_session *s)
{
	return s->have_next_id;
}

long long
tws_session_bytes_received(const struct tws_session *s)
{
	return s->rx_bytes;
}

int
tws_session_upstream_lost(const struct tws_session *s)
{
	return s->upstream_lost;
}

enum tws_verdict
tws_session_ready_verdict(const struct tws_session *s)
{
	return s->upstream_lost ? TWS_UPSTREAM_DOWN : TWS_READY;
}

size_t
tws_session_notices(const struct tws_session *s, const struct tws_notice **out)
{
	*out = s->notices;
	return s->n_notices;
}

void
tws_session_timings(const struct tws_session *s, struct tws_session_timings *t)
{
	*t = s->tm;
}
