/*
 * tws_session: a TWS API client session on libevent (shared/tws-protocol.md
 * §§1-3, 7). An explicit state machine; every stage has a deadline. All
 * bytes from the peer are untrusted and go through tws_wire's decoders.
 */
#include "tws_session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

enum state {
	ST_IDLE,
	ST_CONNECTING,		/* includes name resolution */
	ST_AWAIT_VERSION,
	ST_AWAIT_READY,
	ST_READY,
	ST_CLOSED,
};

struct tws_session {
	struct event_base *base;
	struct evdns_base *dns;		/* borrowed or owned */
	int own_dns;
	struct tws_session_config cfg;
	char host[256];
	char options[256];
	tws_session_cb cb;
	void *arg;

	enum state state;
	struct bufferevent *bev;
	struct event *timer;
	struct timespec t0;
	double total_deadline_ms;	/* from t0; 0 = none */
	struct tws_session_timings tm;

	int server_version;
	char conn_time[TWS_SERVER_VERSION_TIME_LEN];
	int have_next_id;
	long long next_valid_id;
	int have_accounts;
	char accounts[512];
	int upstream_lost;
	int saw_326;
	struct tws_notice notices[TWS_MAX_NOTICES];
	size_t n_notices;
	/* Guards against use after the callback closed the session. */
	unsigned generation;
};

static const char *const verdict_names[TWS_VERDICT_COUNT] = {
	"ready", "unreachable", "relay-closed", "handshake-timeout",
	"not-logged-in", "client-id-in-use", "upstream-down",
};

const char *
tws_verdict_name(enum tws_verdict v)
{
	return (unsigned)v < TWS_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

static double
now_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

double
tws_session_elapsed_ms(const struct tws_session *s)
{
	return now_ms_since(&s->t0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

struct tws_session *
tws_session_new(struct event_base *base, struct evdns_base *dns,
    const struct tws_session_config *cfg, tws_session_cb cb, void *arg,
    struct gw_err *err)
{
	struct tws_session *s;

	if (cfg->host == NULL || cfg->host[0] == '\0' ||
	    strlen(cfg->host) >= sizeof(s->host)) {
		gw_err_set(err, "session: host must be 1..%zu characters",
		    sizeof(s->host) - 1);
		return NULL;
	}
	if (cfg->port < 1 || cfg->port > 65535) {
		gw_err_set(err, "session: port %d not in 1..65535", cfg->port);
		return NULL;
	}
	if (cfg->connect_timeout_ms <= 0 || cfg->version_timeout_ms <= 0 ||
	    cfg->ready_timeout_ms <= 0 || cfg->total_timeout_ms < 0) {
		gw_err_set(err, "session: stage timeouts must be positive");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		gw_err_set(err, "session: out of memory");
		return NULL;
	}
	s->base = base;
	s->dns = dns;
	s->cfg = *cfg;
	snprintf(s->host, sizeof(s->host), "%s", cfg->host);
	s->cfg.host = s->host;
	if (cfg->connect_options != NULL)
		snprintf(s->options, sizeof(s->options), "%s", cfg->connect_options);
	s->cfg.connect_options = s->options;
	if (s->cfg.min_version == 0)
		s->cfg.min_version = TWS_CLIENT_MIN_VERSION;
	if (s->cfg.max_version == 0)
		s->cfg.max_version = TWS_CLIENT_MAX_VERSION;
	if (s->cfg.min_version > s->cfg.max_version ||
	    s->cfg.max_version >= TWS_SV_PROTOBUF) {
		gw_err_set(err, "session: version range %d..%d invalid (max must be < %d)",
		    s->cfg.min_version, s->cfg.max_version, TWS_SV_PROTOBUF);
		free(s);
		return NULL;
	}
	s->cb = cb;
	s->arg = arg;
	s->timer = evtimer_new(base, on_timer, s);
	if (s->timer == NULL) {
		gw_err_set(err, "session: cannot create timer");
		free(s);
		return NULL;
	}
	s->state = ST_IDLE;
	return s;
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
	s->tm.connect_ms = s->tm.version_ms = s->tm.ready_ms = -1;
}

static void
drop_connection(struct tws_session *s)
{
	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	evtimer_del(s->timer);
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
	if (s->own_dns && s->dns != NULL)
		evdns_base_free(s->dns, 0);
	free(s);
}

/* Arm the stage deadline: stage_ms from now, capped by the total budget. */
static void
arm_stage(struct tws_session *s, int stage_ms)
{
	double left = stage_ms;
	struct timeval tv;

	if (s->total_deadline_ms > 0) {
		double rest = s->total_deadline_ms - now_ms_since(&s->t0);
		if (rest < left)
			left = rest < 0 ? 0 : rest;
	}
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec * 1000) * 1000);
	evtimer_add(s->timer, &tv);
}

static void
emit(struct tws_session *s, enum tws_session_event_type type,
    enum tws_verdict v, const char *reason, const struct tws_in_msg *m)
{
	struct tws_session_event ev = { type, v, reason, m };

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
	emit(s, was_ready ? TWS_EV_LOST : TWS_EV_FAILED, v, reason, NULL);
}

int
tws_session_start(struct tws_session *s, struct gw_err *err)
{
	struct in6_addr a6;
	struct in_addr a4;
	int numeric;

	drop_connection(s);
	s->generation++;
	reset_peer_state(s);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	s->total_deadline_ms = s->cfg.total_timeout_ms;

	numeric = inet_pton(AF_INET, s->host, &a4) == 1 ||
	    inet_pton(AF_INET6, s->host, &a6) == 1;
	if (!numeric && s->dns == NULL) {
		s->dns = evdns_base_new(s->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (s->dns == NULL)
			return gw_err_set(err, "session: cannot start a DNS resolver");
		s->own_dns = 1;
	}
	s->bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL)
		return gw_err_set(err, "session: cannot create socket buffer");
	bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
	s->state = ST_CONNECTING;
	arm_stage(s, s->cfg.connect_timeout_ms);
	/* Failures here (bad name, refused at once) are reported through
	 * on_event, so the caller sees one path for every outcome. */
	if (bufferevent_socket_connect_hostname(s->bev, numeric ? NULL : s->dns,
	    AF_UNSPEC, s->host, s->cfg.port) < 0 && s->bev != NULL &&
	    s->state == ST_CONNECTING) {
		int e = EVUTIL_SOCKET_ERROR();
		fail(s, TWS_UNREACHABLE, "connect to %s:%d failed: %s", s->host,
		    s->cfg.port, evutil_socket_error_to_string(e));
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

	s->tm.connect_ms = now_ms_since(&s->t0);
	evutil_make_socket_closeonexec(bufferevent_getfd(s->bev));
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

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct tws_session *s = arg;
	int e = EVUTIL_SOCKET_ERROR();
	int dns_err;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		on_connected(s);
		return;
	}
	if (s->state == ST_CONNECTING) {
		dns_err = bufferevent_socket_get_dns_error(s->bev);
		if (dns_err != 0)
			fail(s, TWS_UNREACHABLE, "cannot resolve '%s': %s",
			    s->host, evutil_gai_strerror(dns_err));
		else
			fail(s, TWS_UNREACHABLE, "connect to %s:%d failed: %s",
			    s->host, s->cfg.port, evutil_socket_error_to_string(e));
		return;
	}
	/* EOF or error on an established connection (§7.2: through the socat
	 * relay every backend failure looks like EOF). */
	const char *why = (what & BEV_EVENT_EOF) ? "connection closed by peer" :
	    evutil_socket_error_to_string(e);
	switch (s->state) {
	case ST_AWAIT_VERSION:
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
	double t = now_ms_since(&s->t0);

	(void)fd;
	(void)what;
	switch (s->state) {
	case ST_CONNECTING:
		fail(s, TWS_UNREACHABLE, "connect to %s:%d timed out after %.0f ms",
		    s->host, s->cfg.port, t);
		break;
	case ST_AWAIT_VERSION:
		fail(s, TWS_HANDSHAKE_TIMEOUT,
		    "connected, but no server version within %.0f ms (gateway wedged or a dialog open)",
		    t - s->tm.connect_ms);
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

/* Handle one frame. Returns 0 to go on, -1 when the session ended. */
static int
handle_frame(struct tws_session *s, const struct tws_fields *f)
{
	struct tws_in_msg m;
	struct gw_err e;
	unsigned gen = s->generation;

	if (s->state == ST_AWAIT_VERSION) {
		/* PY46 connect(): the first 2-field message is the reply. */
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
		s->tm.version_ms = now_ms_since(&s->t0);
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
		gw_err_quote(s->accounts, sizeof(s->accounts),
		    m.u.managed_accounts.accounts.p, m.u.managed_accounts.accounts.len);
		break;
	case TWS_IN_ERROR:
		add_notice(s, &m);
		break;
	default:
		break;
	}
	emit(s, m.id == TWS_IN_ERROR ? TWS_EV_NOTICE : TWS_EV_MESSAGE,
	    TWS_READY, NULL, &m);
	if (gen != s->generation)
		return -1;
	if (s->state == ST_AWAIT_READY && s->saw_326) {
		fail(s, TWS_CLIENT_ID_IN_USE,
		    "error 326: client id %d already in use", s->cfg.client_id);
		return -1;
	}
	return 0;
}

/* Does the account list name at least one account ("," alone does not)? */
static int
has_account(const char *list)
{
	return list[strspn(list, ", ")] != '\0';
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct tws_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct tws_fields *f;
	struct gw_err e;
	unsigned gen = s->generation;
	uint8_t hdr[4];

	f = malloc(sizeof(*f));	/* 8 KiB: keep it off the stack */
	if (f == NULL)
		return;		/* try again on the next read */
	for (;;) {
		size_t have = evbuffer_get_length(in);
		uint32_t n;
		ssize_t used;

		if (have < 4)
			break;
		evbuffer_copyout(in, hdr, 4);
		n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		    (uint32_t)hdr[2] << 8 | hdr[3];
		if (n <= TWS_MAX_MSG_LEN && have < 4 + (size_t)n)
			break;	/* wait for the whole frame */
		used = tws_wire_decode_frame(evbuffer_pullup(in,
		    n <= TWS_MAX_MSG_LEN ? (ssize_t)(4 + n) : 4),
		    n <= TWS_MAX_MSG_LEN ? 4 + (size_t)n : 4, f, &e);
		if (used <= 0) {
			enum tws_verdict v = s->state == ST_AWAIT_VERSION ?
			    TWS_HANDSHAKE_TIMEOUT : s->state == ST_AWAIT_READY ?
			    TWS_NOT_LOGGED_IN : TWS_READY;
			fail(s, v, "malformed bytes from gateway: %s",
			    used < 0 ? e.msg : "short frame");
			free(f);
			return;
		}
		if (handle_frame(s, f) < 0 || gen != s->generation) {
			free(f);
			return;
		}
		evbuffer_drain(in, (size_t)used);
	}
	free(f);
	/* Decide readiness after the whole batch so that a 1100 sent with the
	 * initial messages is seen before the verdict. */
	if (s->state == ST_AWAIT_READY && s->have_next_id && s->have_accounts) {
		if (!has_account(s->accounts)) {
			fail(s, TWS_NOT_LOGGED_IN,
			    "managedAccounts is empty (not logged in to an account)");
			return;
		}
		evtimer_del(s->timer);
		s->tm.ready_ms = now_ms_since(&s->t0);
		s->state = ST_READY;
		emit(s, TWS_EV_READY, tws_session_ready_verdict(s), NULL, NULL);
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
