/*
 * sim: the gw-sim TWS API gateway simulator (docs/gw-sim.md).
 *
 * Bytes from API clients and from control-socket clients are untrusted:
 * API input goes through the tws_wire decoders only, frames are capped at
 * SIM_MAX_FRAME before they are buffered, unread and held-back replies at
 * SIM_MAX_OUTPUT, connections at SIM_MAX_SESSIONS, market-data lines per
 * connection at SIM_MAX_SUBSCRIPTIONS, and log lines about ignored requests
 * at SIM_IGNORED_LOG_MAX per connection. A malformed hello or frame logs
 * sim.protocol_error and closes that one connection. The control socket
 * is control.c's (on lib/lineserv).
 *
 * Both kinds of connection close the same way (conn_fin here, lineserv's
 * linger there): flush, FIN, then discard input until the peer's EOF or an
 * absolute deadline.
 *
 * Faults are read at each decision point, so a run-time switch applies to
 * every session from its next step on (see "Faults" in docs/gw-sim.md).
 */
#include "sim.h"
#include "control.h"
#include "sim_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#include "cfg.h"
#include "tws_wire.h"
#include "usock.h"

#define COMPONENT "sim"
#define SIM_MAX_FRAME (64 * 1024)	/* a client frame we will buffer */
#define SIM_MAX_OUTPUT (4 * 1024 * 1024) /* unread replies before we drop */
#define SIM_MSG_CAP 1024		/* one encoded reply */
#define SIM_DRAIN_SECONDS 2		/* after our FIN, wait for the peer's */
#define SIM_ACCEPT_PAUSE_MS 100	/* after accept() fails (EMFILE...) */
#define SIM_IGNORED_LOG_MAX 5	/* sim.request_ignored lines per connection */
#define SIM_SYMBOL_MAX 31

/* Farm notices sent after nextValidId (docs/protocol.md §6). */
static const struct {
	int code;
	const char *text;
} farm_notices[] = {
	{ 2104, "Market data farm connection is OK:usfarm" },
	{ 2106, "HMDS data farm connection is OK:ushmds" },
	{ 2158, "Sec-def data farm connection is OK:secdefnj" },
};

static const char *const fault_names[] = {
	[SIM_FAULT_NONE] = "none",
	[SIM_FAULT_RELAY_DEAD] = "relay-dead",
	[SIM_FAULT_WEDGED] = "wedged",
	[SIM_FAULT_NOT_LOGGED_IN] = "not-logged-in",
	[SIM_FAULT_SLOW] = "slow",
};
#define N_FAULTS (sizeof(fault_names) / sizeof(fault_names[0]))

#define TEXT_1100 "Connectivity between IB and Trader Workstation has been lost."
#define TEXT_1101 "Connectivity between IB and Trader Workstation has been restored - data lost."
#define TEXT_1102 "Connectivity between IB and Trader Workstation has been restored - data maintained."
#define TEXT_326 "Unable to connect as the client id is already in use. Retry with a unique client id."
#define TEXT_10167 "Requested market data is not subscribed. Displaying delayed market data."

/* A session's life (one API connection). */
enum sess_state {
	SESS_HELLO,		/* waiting for "API\0" + version range */
	SESS_STARTING,		/* server version sent, waiting for startApi */
	SESS_READY,		/* startApi answered: requests are served */
	SESS_NOT_LOGGED_IN,	/* startApi swallowed (not-logged-in fault) */
	SESS_CLOSING,		/* flushing the last replies, then FIN */
	SESS_DRAINING,		/* FIN sent; discarding input until EOF */
};

/* A reply held back by the slow fault, due at a monotonic time. */
struct pending {
	TAILQ_ENTRY(pending) link;
	long long due_ms;
	size_t len;
	uint8_t data[];
};

/* One symbol's random walk, shared by every line that streams it. */
struct sym {
	TAILQ_ENTRY(sym) link;
	char name[SIM_SYMBOL_MAX + 1];
	uint64_t rng;
	long cents;
	int bid_size, ask_size, last_size;
	long long volume;
	int refs;
};

struct sub {
	long long req_id;
	int type;		/* market data type when requested */
	struct sym *sym;
};

struct sess {
	TAILQ_ENTRY(sess) link;
	struct sim *sim;
	struct bufferevent *bev;
	unsigned long long no;	/* connection number, for logs */
	char peer[64];
	enum sess_state state;
	int version;
	int client_id;
	int mkt_data_type;
	struct sub subs[SIM_MAX_SUBSCRIPTIONS];
	size_t n_subs;
	TAILQ_HEAD(, pending) pending;
	size_t pending_bytes;	/* payload and struct pending */
	long long last_due_ms;
	struct event *slow_timer;
	struct event *deadline;	/* the drain deadline (conn_fin) */
	char why[192];		/* close reason once closing */
	int peer_eof;		/* the client closed its side */
	unsigned long n_ignored;	/* requests before startApi, etc. */
	int dead;		/* closed; freed by the reaper */
};

struct sim {
	struct event_base *base;
	struct gw_log *log;
	struct sim_config cfg;
	struct evconnlistener *api;	/* NULL while not listening */
	struct control *ctl;		/* the control socket (control.c) */
	struct event *login_timer;
	struct event *tick_timer;
	struct event *reaper;
	struct event *accept_timer;	/* re-enables paused listeners */
	int accept_failing;		/* sim.accept_error logged this episode */
	TAILQ_HEAD(, sess) sessions;
	size_t n_sessions;
	TAILQ_HEAD(, sym) syms;
	unsigned long long conn_no;
	int upstream_lost;
	int started;
	int stopped;
	int failed;
	struct gw_err fail;
};

static void accept_resume(struct sim *sim);

/* ---------- small helpers ---------- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
ms_tv(long long ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

/* xorshift64* (Vigna): deterministic, no global state. */
static uint64_t
rng_next(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* splitmix64 finaliser: spreads a seed so nearby seeds walk differently. */
static uint64_t
mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* ---------- configuration ---------- */

void
sim_config_init(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->bind_addr, sizeof(cfg->bind_addr), "%s", SIM_DEFAULT_BIND);
	cfg->port = SIM_DEFAULT_PORT;
	cfg->max_version = SIM_DEFAULT_MAX_VERSION;
	cfg->fault = SIM_FAULT_NONE;
	snprintf(cfg->accounts, sizeof(cfg->accounts), "%s", SIM_DEFAULT_ACCOUNTS);
	cfg->seed = 1;
	cfg->tick_ms = SIM_DEFAULT_TICK_MS;
}

const char *
sim_fault_name(enum sim_fault fault)
{
	if ((unsigned)fault >= N_FAULTS)
		return "unknown";
	return fault_names[fault];
}

int
sim_fault_parse(const char *s, enum sim_fault *out, struct gw_err *err)
{
	char q[64];
	size_t i;

	for (i = 0; i < N_FAULTS; i++) {
		if (strcmp(s, fault_names[i]) == 0) {
			*out = (enum sim_fault)i;
			return 0;
		}
	}
	gw_err_quote(q, sizeof(q), s, strlen(s));
	return gw_err_set(err, "'%s' is not one of none, relay-dead, wedged, "
	    "not-logged-in, slow", q);
}

/* Strict decimal integer in [min, max]; the rest of the message is the
 * caller's. */
static int
parse_long(const char *s, long min, long max, long *out)
{
	struct gw_err ignored;

	return cfg_long("", s, min, max, out, &ignored);
}

int
sim_parse_client_ids(const char *s, int ids[SIM_MAX_CLIENT_IDS], size_t *n,
    struct gw_err *err)
{
	char item[32], q[64];
	const char *p = s, *comma;
	size_t len, k = 0;
	long v;

	gw_err_quote(q, sizeof(q), s, strlen(s));
	if (*s == '\0') {
		*n = 0;
		return 0;
	}
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(item))
			return gw_err_set(err, "'%s' is not a comma-separated list of "
			    "client ids", q);
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_long(item, LONG_MIN, LONG_MAX, &v) < 0)
			return gw_err_set(err, "'%s' is not a comma-separated list of "
			    "client ids", q);
		if (v < 0 || v > INT_MAX) {	/* TWS client ids are >= 0 */
			gw_err_quote(q, sizeof(q), item, len);
			return gw_err_set(err, "client id '%s' is not in 0..%d", q,
			    INT_MAX);
		}
		if (k == SIM_MAX_CLIENT_IDS)
			return gw_err_set(err, "'%s' has more than %d client ids", q,
			    SIM_MAX_CLIENT_IDS);
		ids[k++] = (int)v;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*n = k;
	return 0;
}

/* Numeric IPv4 or IPv6 address and port into ss. */
static int
bind_sockaddr(const char *addr, int port, struct sockaddr_storage *ss,
    int *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (evutil_inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (evutil_inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* One error format for every integer setting, as cfg_long words it. */
static int
range_error(struct gw_err *err, const char *flag, long v, long min, long max)
{
	return gw_err_set(err, "%s: '%ld' is not an integer in %ld..%ld", flag, v,
	    min, max);
}

int
sim_config_check(struct sim_config *cfg, struct gw_err *err)
{
	struct sockaddr_storage ss;
	char q[64];
	int len;

	if (cfg->port < 1 || cfg->port > 65535)
		return range_error(err, "--port", cfg->port, 1, 65535);
	if (bind_sockaddr(cfg->bind_addr, cfg->port, &ss, &len) < 0) {
		gw_err_quote(q, sizeof(q), cfg->bind_addr, strlen(cfg->bind_addr));
		return gw_err_set(err, "--bind: '%s' is not a numeric IPv4 or IPv6 "
		    "address", q);
	}
	if (cfg->max_version < SIM_MIN_MAX_VERSION ||
	    cfg->max_version > SIM_MAX_MAX_VERSION)
		return range_error(err, "--max-version", cfg->max_version,
		    SIM_MIN_MAX_VERSION, SIM_MAX_MAX_VERSION);
	if (cfg->login_delay < 0 || cfg->login_delay > SIM_MAX_LOGIN_DELAY)
		return range_error(err, "--login-delay", cfg->login_delay, 0,
		    SIM_MAX_LOGIN_DELAY);
	if ((unsigned)cfg->fault >= N_FAULTS)
		return gw_err_set(err, "--fault: unknown fault %d", (int)cfg->fault);
	if (cfg->slow_ms < 0 || cfg->slow_ms > SIM_MAX_SLOW_MS)
		return range_error(err, "--slow-ms", cfg->slow_ms, 0,
		    SIM_MAX_SLOW_MS);
	if (cfg->tick_ms < SIM_MIN_TICK_MS || cfg->tick_ms > SIM_MAX_TICK_MS)
		return range_error(err, "--tick-ms", cfg->tick_ms, SIM_MIN_TICK_MS,
		    SIM_MAX_TICK_MS);
	if (cfg->n_client_ids > SIM_MAX_CLIENT_IDS)
		return gw_err_set(err, "--client-ids-in-use: more than %d client ids",
		    SIM_MAX_CLIENT_IDS);
	/* Account ids are letters and digits; allow the usual separators but
	 * nothing that could break the wire text or a log line. */
	len = (int)strnlen(cfg->accounts, sizeof(cfg->accounts));
	gw_err_quote(q, sizeof(q), cfg->accounts, (size_t)len);
	if (len == 0)
		return gw_err_set(err, "--accounts: empty value, expected a "
		    "comma-separated account list");
	if (len == (int)sizeof(cfg->accounts) ||
	    strspn(cfg->accounts, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789,-_.") != (size_t)len)
		return gw_err_set(err, "--accounts: '%s' is not a comma-separated "
		    "account list", q);
	if (strnlen(cfg->control_path, sizeof(cfg->control_path)) >
	    USOCK_PATH_MAX)
		return gw_err_set(err, "--control: the path is longer than %d bytes",
		    USOCK_PATH_MAX);
	/* "--slow-ms N" alone means the slow fault; "--fault slow" alone uses
	 * the default delay (as the control commands do). */
	if (cfg->fault == SIM_FAULT_NONE && cfg->slow_ms > 0)
		cfg->fault = SIM_FAULT_SLOW;
	if (cfg->fault == SIM_FAULT_SLOW && cfg->slow_ms == 0)
		cfg->slow_ms = SIM_DEFAULT_SLOW_MS;
	return 0;
}

/* ---------- symbols: the seeded random walks ---------- */

static void
sym_step(struct sym *y)
{
	uint64_t r = rng_next(&y->rng);
	long step = 1 + (long)(r % 5);		/* 0.01 .. 0.05 */

	if ((r >> 8) & 1)
		step = -step;
	if (y->cents + step < 100)		/* stay above 1.00 */
		step = -step;
	y->cents += step;
	y->bid_size = 100 * (1 + (int)((r >> 16) % 10));
	y->ask_size = 100 * (1 + (int)((r >> 24) % 10));
	y->last_size = 100 * (1 + (int)((r >> 32) % 5));
	y->volume += y->last_size;
}

static struct sym *
sym_get(struct sim *sim, const char *name)
{
	struct sym *y;
	uint64_t h;

	TAILQ_FOREACH(y, &sim->syms, link) {
		if (strcmp(y->name, name) == 0) {
			y->refs++;
			return y;
		}
	}
	y = calloc(1, sizeof(*y));
	if (y == NULL)
		return NULL;
	snprintf(y->name, sizeof(y->name), "%s", name);
	h = fnv1a(name);
	y->rng = mix64(sim->cfg.seed ^ h);
	if (y->rng == 0)
		y->rng = 0x9E3779B97F4A7C15ULL;
	y->cents = (long)(100 + h % 400) * 100 + (long)((h >> 32) % 100);
	y->volume = 1000 * (long long)(1 + (h >> 40) % 1000);
	y->refs = 1;
	sym_step(y);
	TAILQ_INSERT_TAIL(&sim->syms, y, link);
	return y;
}

static void
sym_put(struct sim *sim, struct sym *y)
{
	if (y == NULL || --y->refs > 0)
		return;
	TAILQ_REMOVE(&sim->syms, y, link);
	free(y);
}

/* ---------- sessions: output ---------- */

static json_t *
sess_fields(const struct sess *s)
{
	return json_pack("{s:s, s:I}", "peer", s->peer, "conn",
	    (json_int_t)s->no);
}

/* FIN, then discard input until the peer's EOF or an absolute deadline
 * (one-shot: a client that keeps writing cannot hold the connection open).
 * Closing this way, rather than close() with unread input (which resets),
 * lets the client read our last replies and see an orderly EOF
 * (docs/protocol.md §8); control clients close the same way (lineserv's
 * linger). The caller marks itself draining and discards input from now
 * on. */
static void
conn_fin(struct bufferevent *bev, struct event *deadline)
{
	struct timeval tv = { SIM_DRAIN_SECONDS, 0 };

	shutdown(bufferevent_getfd(bev), SHUT_WR);
	bufferevent_enable(bev, EV_READ);
	evtimer_add(deadline, &tv);
}

/* After the peer's EOF with replies still unsent: give them the same
 * deadline, so a client that half-closes and never reads cannot hold the
 * connection either. */
static void
conn_eof_deadline(struct event *deadline)
{
	struct timeval tv = { SIM_DRAIN_SECONDS, 0 };

	evtimer_add(deadline, &tv);
}

/* Close now (the reaper frees it): log sim.disconnect with the reason. */
static void
sess_kill(struct sess *s, const char *reason)
{
	json_t *f;

	if (s->dead)
		return;
	s->dead = 1;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	evtimer_del(s->slow_timer);
	evtimer_del(s->deadline);
	f = sess_fields(s);
	json_object_set_new(f, "reason", json_string(reason));
	if (s->state == SESS_READY)
		json_object_set_new(f, "client_id", json_integer(s->client_id));
	if (s->n_ignored > 0)
		json_object_set_new(f, "ignored", json_integer((json_int_t)
		    s->n_ignored));
	gw_log_event(s->sim->log, GW_INFO, COMPONENT, "sim.disconnect", f,
	    "connection %llu from %s closed: %s", s->no, s->peer, reason);
	event_active(s->sim->reaper, EV_TIMEOUT, 0);
}

static void
sess_write_now(struct sess *s, const uint8_t *buf, size_t len)
{
	if (bufferevent_write(s->bev, buf, len) < 0)
		sess_kill(s, "closed by the simulator: out of memory");
}

/* Send one encoded reply, through the slow queue when it applies. A wedged
 * gateway sends nothing at all. */
static void
sess_send(struct sess *s, const uint8_t *buf, ssize_t len)
{
	struct sim *sim = s->sim;
	struct pending *p;
	long long delay, due;
	size_t queued;

	if (s->dead || s->peer_eof || len <= 0 ||
	    sim->cfg.fault == SIM_FAULT_WEDGED)
		return;
	queued = evbuffer_get_length(bufferevent_get_output(s->bev)) +
	    s->pending_bytes;
	if (queued + sizeof(*p) + (size_t)len > SIM_MAX_OUTPUT) {
		gw_log_event(sim->log, GW_WARNING, COMPONENT, "sim.slow_consumer",
		    sess_fields(s), "connection %llu from %s does not read its "
		    "replies (%zu bytes queued)", s->no, s->peer, queued);
		sess_kill(s, "closed by the simulator: client does not read");
		return;
	}
	delay = sim->cfg.fault == SIM_FAULT_SLOW ? sim->cfg.slow_ms : 0;
	if (delay == 0 && TAILQ_EMPTY(&s->pending)) {
		sess_write_now(s, buf, (size_t)len);
		return;
	}
	/* Due times never decrease, so the queue stays in send order even when
	 * slow-ms shrinks; one timer tracks the head. */
	due = now_ms() + delay;
	if (due < s->last_due_ms)
		due = s->last_due_ms;
	p = malloc(sizeof(*p) + (size_t)len);
	if (p == NULL) {
		sess_kill(s, "closed by the simulator: out of memory");
		return;
	}
	p->due_ms = due;
	p->len = (size_t)len;
	memcpy(p->data, buf, (size_t)len);
	if (TAILQ_EMPTY(&s->pending)) {
		struct timeval tv = ms_tv(due - now_ms());

		evtimer_add(s->slow_timer, &tv);
	}
	TAILQ_INSERT_TAIL(&s->pending, p, link);
	s->pending_bytes += sizeof(*p) + p->len;
	s->last_due_ms = due;
}

static void
sess_drop_pending(struct sess *s)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&s->pending)) != NULL) {
		TAILQ_REMOVE(&s->pending, p, link);
		free(p);
	}
	s->pending_bytes = 0;
	evtimer_del(s->slow_timer);
}

/* Make every held-back reply due now, order kept (the slow fault ended). */
static void
sess_release_pending(struct sess *s)
{
	struct timeval now = { 0, 0 };
	struct pending *p;
	long long t = now_ms();

	TAILQ_FOREACH(p, &s->pending, link)
		p->due_ms = t;
	s->last_due_ms = t;
	if (!TAILQ_EMPTY(&s->pending))
		evtimer_add(s->slow_timer, &now);
}

static int
sess_flushed(const struct sess *s)
{
	return TAILQ_EMPTY(&s->pending) &&
	    evbuffer_get_length(bufferevent_get_output(s->bev)) == 0;
}

/* A closing session whose replies are all out: after the client's EOF
 * there is nothing left to wait for; otherwise FIN and drain. */
static void
sess_close_if_flushed(struct sess *s)
{
	if (s->dead || s->state != SESS_CLOSING || !sess_flushed(s))
		return;
	if (s->peer_eof) {
		sess_kill(s, s->why);
		return;
	}
	s->state = SESS_DRAINING;
	conn_fin(s->bev, s->deadline);
}

/* The simulator closes: after the replies already sent or queued. */
static void
sess_finish(struct sess *s, const char *why)
{
	if (s->dead || s->state >= SESS_CLOSING)
		return;
	s->state = SESS_CLOSING;
	snprintf(s->why, sizeof(s->why), "closed by the simulator: %s", why);
	sess_close_if_flushed(s);
}

static void
sess_slow_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess *s = arg;
	struct pending *p;
	long long now = now_ms();

	(void)fd;
	(void)what;
	while (!s->dead && (p = TAILQ_FIRST(&s->pending)) != NULL &&
	    p->due_ms <= now) {
		TAILQ_REMOVE(&s->pending, p, link);
		s->pending_bytes -= sizeof(*p) + p->len;
		/* wedged since it was queued: a wedged gateway sends nothing */
		if (s->sim->cfg.fault != SIM_FAULT_WEDGED)
			sess_write_now(s, p->data, p->len);
		free(p);
	}
	if (s->dead)
		return;
	if (p != NULL) {
		struct timeval tv = ms_tv(p->due_ms - now);

		evtimer_add(s->slow_timer, &tv);
	} else {
		sess_close_if_flushed(s);
	}
}

static void
sess_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	sess_close_if_flushed(arg);
}

static void
sess_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sess *s = arg;
	char reason[sizeof(s->why) + 48];

	(void)fd;
	(void)what;
	snprintf(reason, sizeof(reason), "%s (%s within %d s)", s->why,
	    s->state == SESS_DRAINING ? "the client did not close" :
	    "replies not read", SIM_DRAIN_SECONDS);
	sess_kill(s, reason);
}

/* Encode-and-send wrappers; an encoder failure is our bug, so log it. */
static void
sess_sent(struct sess *s, ssize_t n, const uint8_t *buf, const struct gw_err *e)
{
	if (n < 0) {
		gw_log_event(s->sim->log, GW_ERROR, COMPONENT, "sim.encode_error",
		    sess_fields(s), "cannot encode a reply: %s", e->msg);
		return;
	}
	sess_send(s, buf, n);
}

static void
send_error(struct sess *s, long long req_id, int code, const char *text)
{
	uint8_t buf[SIM_MSG_CAP];
	struct gw_err e;
	ssize_t n;

	n = tws_enc_error(buf, sizeof(buf), s->version, req_id, code, text,
	    wall_ms(), &e);
	sess_sent(s, n, buf, &e);
}

static void
send_ticks(struct sess *s, const struct sub *u)
{
	const struct sym *y = u->sym;
	int delayed = u->type == 3 || u->type == 4;
	uint8_t buf[SIM_MSG_CAP];
	char bs[24], as[24], ls[24], vs[24];
	struct gw_err e;
	ssize_t n;

	snprintf(bs, sizeof(bs), "%d", y->bid_size);
	snprintf(as, sizeof(as), "%d", y->ask_size);
	snprintf(ls, sizeof(ls), "%d", y->last_size);
	snprintf(vs, sizeof(vs), "%lld", y->volume);
	n = tws_enc_tick_price(buf, sizeof(buf), u->req_id, delayed ? 66 : 1,
	    (double)(y->cents - 1) / 100.0, bs, 0, &e);
	sess_sent(s, n, buf, &e);
	n = tws_enc_tick_price(buf, sizeof(buf), u->req_id, delayed ? 67 : 2,
	    (double)(y->cents + 1) / 100.0, as, 0, &e);
	sess_sent(s, n, buf, &e);
	n = tws_enc_tick_price(buf, sizeof(buf), u->req_id, delayed ? 68 : 4,
	    (double)y->cents / 100.0, ls, 0, &e);
	sess_sent(s, n, buf, &e);
	n = tws_enc_tick_size(buf, sizeof(buf), u->req_id, delayed ? 74 : 8, vs,
	    &e);
	sess_sent(s, n, buf, &e);
}

static void
sess_drop_subs(struct sess *s)
{
	size_t i;

	for (i = 0; i < s->n_subs; i++)
		sym_put(s->sim, s->subs[i].sym);
	s->n_subs = 0;
}

static void
sess_free(struct sess *s)
{
	struct sim *sim = s->sim;

	TAILQ_REMOVE(&sim->sessions, s, link);
	sim->n_sessions--;
	sess_drop_subs(s);
	sess_drop_pending(s);
	event_free(s->slow_timer);
	event_free(s->deadline);
	bufferevent_free(s->bev);
	free(s);
	if (evtimer_pending(sim->accept_timer, NULL))
		accept_resume(sim);	/* a descriptor is free again */
}

/* ---------- sessions: input ---------- */

static void
protocol_error(struct sess *s, const char *reason)
{
	json_t *f = sess_fields(s);

	char why[160];

	json_object_set_new(f, "reason", json_string(reason));
	gw_log_event(s->sim->log, GW_WARNING, COMPONENT, "sim.protocol_error", f,
	    "closing connection %llu from %s: %s", s->no, s->peer, reason);
	snprintf(why, sizeof(why), "protocol error: %s", reason);
	sess_finish(s, why);
}

static int
client_id_taken(const struct sess *s, int id)
{
	const struct sim *sim = s->sim;
	const struct sess *o;
	size_t i;

	for (i = 0; i < sim->cfg.n_client_ids; i++)
		if (sim->cfg.client_ids_in_use[i] == id)
			return 1;
	TAILQ_FOREACH(o, &sim->sessions, link)
		if (o != s && !o->dead && o->state == SESS_READY &&
		    o->client_id == id)
			return 1;
	return 0;
}

static void
on_start_api(struct sess *s, int client_id)
{
	struct sim *sim = s->sim;
	uint8_t buf[SIM_MSG_CAP];
	struct gw_err e;
	json_t *f;
	ssize_t n;
	size_t i;

	f = sess_fields(s);
	json_object_set_new(f, "client_id", json_integer(client_id));
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.start_api", f,
	    "connection %llu: startApi with client id %d", s->no, client_id);
	if (sim->cfg.fault == SIM_FAULT_NOT_LOGGED_IN) {
		s->state = SESS_NOT_LOGGED_IN;
		return;
	}
	if (client_id_taken(s, client_id)) {
		f = sess_fields(s);
		json_object_set_new(f, "client_id", json_integer(client_id));
		gw_log_event(sim->log, GW_WARNING, COMPONENT, "sim.client_id_in_use",
		    f, "connection %llu: client id %d is in use: error 326, close",
		    s->no, client_id);
		send_error(s, -1, 326, TEXT_326);
		sess_finish(s, "client id in use");
		return;
	}
	s->state = SESS_READY;
	s->client_id = client_id;
	n = tws_enc_managed_accounts(buf, sizeof(buf), sim->cfg.accounts, &e);
	sess_sent(s, n, buf, &e);
	n = tws_enc_next_valid_id(buf, sizeof(buf), 1, &e);
	sess_sent(s, n, buf, &e);
	for (i = 0; i < sizeof(farm_notices) / sizeof(farm_notices[0]); i++)
		send_error(s, -1, farm_notices[i].code, farm_notices[i].text);
	if (sim->upstream_lost)
		send_error(s, -1, 1100, TEXT_1100);
}

static struct sub *
find_sub(struct sess *s, long long req_id)
{
	size_t i;

	for (i = 0; i < s->n_subs; i++)
		if (s->subs[i].req_id == req_id)
			return &s->subs[i];
	return NULL;
}

static void
on_req_mkt_data(struct sess *s, const struct tws_out_msg *m)
{
	struct sim *sim = s->sim;
	long long req_id = m->u.req_mkt_data.req_id;
	const struct tws_field *symf = &m->u.req_mkt_data.symbol;
	uint8_t buf[SIM_MSG_CAP];
	struct gw_err e;
	struct sub *u;
	size_t i;
	ssize_t n;

	if (find_sub(s, req_id) != NULL) {
		send_error(s, req_id, 322, "Error processing request. Duplicate "
		    "ticker id");
		return;
	}
	if (s->n_subs == SIM_MAX_SUBSCRIPTIONS) {
		json_t *f = sess_fields(s);

		json_object_set_new(f, "req_id", json_integer(req_id));
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.subscription_limit",
		    f, "connection %llu: more than %d market-data lines refused",
		    s->no, SIM_MAX_SUBSCRIPTIONS);
		send_error(s, req_id, 101, "Max number of tickers has been reached.");
		return;
	}
	for (i = 0; i < symf->len; i++)
		if (symf->p[i] < 0x21 || symf->p[i] > 0x7e)
			break;
	if (symf->len == 0 || symf->len > SIM_SYMBOL_MAX || i < symf->len) {
		send_error(s, req_id, 200, "No security definition has been found "
		    "for the request");
		return;
	}
	u = &s->subs[s->n_subs];
	u->sym = sym_get(sim, symf->p);
	if (u->sym == NULL) {
		send_error(s, req_id, 200, "No security definition has been found "
		    "for the request");
		return;
	}
	u->req_id = req_id;
	u->type = s->mkt_data_type;
	s->n_subs++;
	if (u->type != 1)
		send_error(s, req_id, 10167, TEXT_10167);
	n = tws_enc_tick_req_params(buf, sizeof(buf), req_id, 0.01, "9c0001", 3,
	    &e);
	sess_sent(s, n, buf, &e);
	n = tws_enc_market_data_type(buf, sizeof(buf), req_id, u->type, &e);
	sess_sent(s, n, buf, &e);
	if (!sim->upstream_lost)
		send_ticks(s, u);
}

static void
on_cancel_mkt_data(struct sess *s, long long req_id)
{
	struct sub *u = find_sub(s, req_id);
	size_t i;

	if (u == NULL)
		return;		/* TWS ignores an unknown id too */
	sym_put(s->sim, u->sym);
	i = (size_t)(u - s->subs);
	memmove(&s->subs[i], &s->subs[i + 1],
	    (s->n_subs - i - 1) * sizeof(s->subs[0]));
	s->n_subs--;
}

static void
on_request(struct sess *s, const struct tws_out_msg *m)
{
	struct sim *sim = s->sim;
	uint8_t buf[SIM_MSG_CAP];
	struct gw_err e;
	long long req_id = 0;
	json_t *f;
	ssize_t n;

	if (m->id == TWS_OUT_REQ_MKT_DATA)
		req_id = m->u.req_mkt_data.req_id;
	else if (m->id == TWS_OUT_CANCEL_MKT_DATA)
		req_id = m->u.cancel_mkt_data.req_id;
	f = sess_fields(s);
	json_object_set_new(f, "msg", json_string(tws_out_name(m->id)));
	json_object_set_new(f, "msg_id", json_integer(m->id));
	json_object_set_new(f, "req_id", json_integer(req_id));
	gw_log_event(sim->log, GW_DEBUG, COMPONENT, "sim.request", f,
	    "connection %llu: %s", s->no, tws_out_name(m->id));

	switch (m->id) {
	case TWS_OUT_REQ_CURRENT_TIME:
		n = tws_enc_current_time(buf, sizeof(buf), (long long)time(NULL), &e);
		sess_sent(s, n, buf, &e);
		break;
	case TWS_OUT_REQ_MARKET_DATA_TYPE:
		s->mkt_data_type = m->u.req_market_data_type.type;
		break;
	case TWS_OUT_REQ_MKT_DATA:
		on_req_mkt_data(s, m);
		break;
	case TWS_OUT_CANCEL_MKT_DATA:
		on_cancel_mkt_data(s, req_id);
		break;
	default:		/* a second startApi, or a request we do not model */
		break;
	}
}

/* Log the first few only: the client is untrusted and could flood the
 * log. sim.disconnect carries the total. */
static void
request_ignored(struct sess *s, const struct tws_out_msg *m, const char *why)
{
	json_t *f;

	if (++s->n_ignored > SIM_IGNORED_LOG_MAX)
		return;
	f = sess_fields(s);
	json_object_set_new(f, "msg", json_string(tws_out_name(m->id)));
	json_object_set_new(f, "msg_id", json_integer(m->id));
	json_object_set_new(f, "reason", json_string(why));
	gw_log_event(s->sim->log, GW_INFO, COMPONENT, "sim.request_ignored", f,
	    "connection %llu: %s (id %d) ignored: %s%s", s->no,
	    tws_out_name(m->id), m->id, why, s->n_ignored == SIM_IGNORED_LOG_MAX ?
	    " (more are counted, not logged)" : "");
}

/* Returns bytes consumed, 0 for more, -1 after a protocol error. */
static ssize_t
sess_on_hello(struct sess *s, struct evbuffer *in, size_t len)
{
	struct sim *sim = s->sim;
	size_t want = len < 8 + TWS_MAX_HELLO_LEN ? len : 8 + TWS_MAX_HELLO_LEN;
	const uint8_t *p = evbuffer_pullup(in, (ssize_t)want);
	uint8_t buf[SIM_MSG_CAP];
	char when[TWS_SERVER_VERSION_TIME_LEN], reason[128];
	struct tws_hello h;
	struct gw_err e;
	struct tm tm;
	time_t t;
	json_t *f;
	ssize_t r, n;

	r = tws_wire_decode_hello(p, want, &h, &e);
	if (r < 0) {
		protocol_error(s, e.msg);
		return -1;
	}
	if (r == 0)
		return 0;
	/* ver = min(client max, ours); 0 when the ranges do not meet. */
	s->version = h.max_version < sim->cfg.max_version ? h.max_version :
	    sim->cfg.max_version;
	if (h.min_version > sim->cfg.max_version)
		s->version = 0;
	f = sess_fields(s);
	json_object_set_new(f, "client_min", json_integer(h.min_version));
	json_object_set_new(f, "client_max", json_integer(h.max_version));
	json_object_set_new(f, "version", json_integer(s->version));
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.handshake", f,
	    "connection %llu: client v%d..%d, version %d", s->no, h.min_version,
	    h.max_version, s->version);
	if (s->version == 0) {
		snprintf(reason, sizeof(reason), "client minimum version %d is above "
		    "the simulator's maximum %d", h.min_version, sim->cfg.max_version);
		protocol_error(s, reason);
		return -1;
	}
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%d %H:%M:%S UTC", &tm);
	n = tws_enc_server_version(buf, sizeof(buf), s->version, when, &e);
	sess_sent(s, n, buf, &e);
	s->state = SESS_STARTING;
	return r;
}

static ssize_t
sess_on_frame(struct sess *s, struct evbuffer *in, size_t len)
{
	size_t want = len < 4 + SIM_MAX_FRAME ? len : 4 + SIM_MAX_FRAME;
	const uint8_t *p = evbuffer_pullup(in, (ssize_t)want);
	struct tws_fields fields;
	struct tws_out_msg m;
	struct gw_err e;
	char reason[128];
	ssize_t r;
	uint32_t flen;

	r = tws_wire_decode_frame(p, want, &fields, &e);
	if (r < 0) {
		protocol_error(s, e.msg);
		return -1;
	}
	if (r == 0) {
		/* The decoder caps at TWS_MAX_MSG_LEN; the sim caps lower so a
		 * client cannot make it buffer 16 MiB per connection. */
		flen = len >= 4 ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3] : 0;
		if (flen > SIM_MAX_FRAME) {
			snprintf(reason, sizeof(reason), "frame: length %u exceeds the "
			    "simulator's %d-byte limit", flen, SIM_MAX_FRAME);
			protocol_error(s, reason);
			return -1;
		}
		return 0;
	}
	if (tws_wire_decode_out(&fields, s->version, &m, &e) < 0) {
		protocol_error(s, e.msg);
		return -1;
	}
	switch (s->state) {
	case SESS_STARTING:
		if (m.id == TWS_OUT_START_API)
			on_start_api(s, m.u.start_api.client_id);
		else
			request_ignored(s, &m, "before startApi");
		break;
	case SESS_NOT_LOGGED_IN:
		request_ignored(s, &m, "not logged in");
		break;
	case SESS_READY:
		on_request(s, &m);
		break;
	default:
		break;
	}
	return r;
}

static void
sess_read_cb(struct bufferevent *bev, void *arg)
{
	struct sess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	ssize_t r;

	while (!s->dead && (len = evbuffer_get_length(in)) > 0) {
		if (s->state >= SESS_CLOSING ||
		    s->sim->cfg.fault == SIM_FAULT_WEDGED) {
			evbuffer_drain(in, len);	/* read and discard */
			break;
		}
		if (s->state == SESS_HELLO)
			r = sess_on_hello(s, in, len);
		else
			r = sess_on_frame(s, in, len);
		if (r < 0)
			evbuffer_drain(in, len);
		if (r <= 0)
			break;
		evbuffer_drain(in, (size_t)r);
	}
}

static void
sess_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sess *s = arg;
	char reason[sizeof(s->why) + 96];

	(void)bev;
	if (s->dead)
		return;
	if (what & BEV_EVENT_EOF) {
		if (s->state == SESS_DRAINING) {
			sess_kill(s, s->why);	/* the client closed after our FIN */
			return;
		}
		/* The client closed: nothing it asked for matters any more. The
		 * replies already written still go out (it may only have
		 * half-closed), under the drain deadline. */
		s->peer_eof = 1;
		sess_drop_subs(s);
		sess_drop_pending(s);
		if (s->state < SESS_CLOSING) {
			s->state = SESS_CLOSING;
			snprintf(s->why, sizeof(s->why), "closed by the client");
		}
		if (!sess_flushed(s))
			conn_eof_deadline(s->deadline);
		sess_close_if_flushed(s);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int e = EVUTIL_SOCKET_ERROR();

		/* A reset is the client closing with our replies unread. */
		if (s->state >= SESS_CLOSING)
			snprintf(reason, sizeof(reason), "%s, then %s", s->why,
			    evutil_socket_error_to_string(e));
		else if (e == ECONNRESET || e == EPIPE)
			snprintf(reason, sizeof(reason), "closed by the client (%s)",
			    evutil_socket_error_to_string(e));
		else
			snprintf(reason, sizeof(reason), "socket error: %s",
			    evutil_socket_error_to_string(e));
		sess_kill(s, reason);
	}
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;
	struct sess *s, *next;

	(void)fd;
	(void)what;
	for (s = TAILQ_FIRST(&sim->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		if (s->dead)
			sess_free(s);
	}
}

/* ---------- the API listener ---------- */

static void
format_peer(const struct sockaddr *sa, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, outsz, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, outsz, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, outsz, "unknown");
	}
}

static void
api_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sim *sim = arg;
	struct sess *s;
	char peer[64];
	json_t *f;
	int one = 1;

	(void)l;
	(void)salen;
	sim->accept_failing = 0;
	format_peer(sa, peer, sizeof(peer));
	if (sim->n_sessions >= SIM_MAX_SESSIONS) {
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.connection_limit",
		    json_pack("{s:s, s:i}", "peer", peer, "limit", SIM_MAX_SESSIONS),
		    "refusing %s: %d connections already open", peer,
		    SIM_MAX_SESSIONS);
		evutil_closesocket(fd);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		evutil_closesocket(fd);
		return;
	}
	s->sim = sim;
	s->no = ++sim->conn_no;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	s->mkt_data_type = 1;
	TAILQ_INIT(&s->pending);
	s->bev = bufferevent_socket_new(sim->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->slow_timer = evtimer_new(sim->base, sess_slow_cb, s);
	s->deadline = evtimer_new(sim->base, sess_deadline_cb, s);
	if (s->bev == NULL || s->slow_timer == NULL || s->deadline == NULL) {
		if (s->bev != NULL)
			bufferevent_free(s->bev);
		else
			evutil_closesocket(fd);
		if (s->slow_timer != NULL)
			event_free(s->slow_timer);
		if (s->deadline != NULL)
			event_free(s->deadline);
		free(s);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	TAILQ_INSERT_TAIL(&sim->sessions, s, link);
	sim->n_sessions++;
	bufferevent_setcb(s->bev, sess_read_cb, sess_write_cb, sess_event_cb, s);
	bufferevent_enable(s->bev, EV_READ);
	f = sess_fields(s);
	json_object_set_new(f, "fault", json_string(sim_fault_name(sim->cfg.fault)));
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.connection", f,
	    "connection %llu from %s (fault %s)", s->no, peer,
	    sim_fault_name(sim->cfg.fault));
	if (sim->cfg.fault == SIM_FAULT_RELAY_DEAD)
		sess_finish(s, "relay-dead fault");	/* accept, close at once */
}

/*
 * accept() failed on a listener (EMFILE, ENFILE, ENOBUFS...): it would fail
 * again at once, and again. Pause accepting until a connection is freed or
 * SIM_ACCEPT_PAUSE_MS pass; log once per episode (until an accept works).
 */
void
sim_accept_failed(struct sim *sim, const char *which, int e)
{
	struct timeval tv = ms_tv(SIM_ACCEPT_PAUSE_MS);

	evtimer_add(sim->accept_timer, &tv);
	if (sim->accept_failing)
		return;
	sim->accept_failing = 1;
	gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.accept_error",
	    json_pack("{s:s, s:s, s:i}", "listener", which, "error",
	    evutil_socket_error_to_string(e), "retry_ms", SIM_ACCEPT_PAUSE_MS),
	    "accept on the %s socket failed: %s (pausing; logged once until an "
	    "accept works)", which, evutil_socket_error_to_string(e));
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	evconnlistener_disable(l);
	sim_accept_failed(arg, "API", e);
}

void
sim_accept_ok(struct sim *sim)
{
	sim->accept_failing = 0;
}

void
sim_conn_freed(struct sim *sim)
{
	if (evtimer_pending(sim->accept_timer, NULL))
		accept_resume(sim);
}

/* Re-enable the listeners paused by accept_error_cb, after the pause or
 * as soon as a connection is freed. Enabling a listener that is not paused
 * does nothing. */
static void
accept_resume(struct sim *sim)
{
	evtimer_del(sim->accept_timer);
	if (sim->api != NULL)
		evconnlistener_enable(sim->api);
	control_accept_resume(sim->ctl);
}

static void
accept_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accept_resume(arg);
}

static int
api_listen(struct sim *sim, struct gw_err *err)
{
	struct sockaddr_storage ss;
	int len;

	if (bind_sockaddr(sim->cfg.bind_addr, sim->cfg.port, &ss, &len) < 0)
		return gw_err_set(err, "bad bind address '%s'", sim->cfg.bind_addr);
	sim->api = evconnlistener_new_bind(sim->base, api_accept_cb, sim,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, len);
	if (sim->api == NULL) {
		int e = EVUTIL_SOCKET_ERROR();

		gw_err_set(err, "cannot listen on %s:%d: %s", sim->cfg.bind_addr,
		    sim->cfg.port, evutil_socket_error_to_string(e));
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.listen_failed",
		    json_pack("{s:s, s:i, s:s}", "bind", sim->cfg.bind_addr, "port",
		    sim->cfg.port, "error", evutil_socket_error_to_string(e)),
		    "%s", err->msg);
		return -1;
	}
	evconnlistener_set_error_cb(sim->api, accept_error_cb);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.listening",
	    json_pack("{s:s, s:i}", "bind", sim->cfg.bind_addr, "port",
	    sim->cfg.port), "API port %s:%d is listening", sim->cfg.bind_addr,
	    sim->cfg.port);
	return 0;
}

static void
login_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;

	(void)fd;
	(void)what;
	if (api_listen(sim, &sim->fail) < 0) {
		sim->failed = 1;
		event_base_loopbreak(sim->base);
	}
}

/* Listen now, or after the login delay (the gateway still logging in). */
static int
api_open(struct sim *sim, struct gw_err *err)
{
	struct timeval tv = { sim->cfg.login_delay, 0 };

	if (sim->cfg.login_delay == 0)
		return api_listen(sim, err);
	evtimer_add(sim->login_timer, &tv);
	return 0;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;
	struct sym *y;
	struct sess *s;
	size_t i;

	(void)fd;
	(void)what;
	/* No data while upstream is lost or the gateway is wedged. */
	if (sim->upstream_lost || sim->cfg.fault == SIM_FAULT_WEDGED)
		return;
	TAILQ_FOREACH(y, &sim->syms, link)
		sym_step(y);
	TAILQ_FOREACH(s, &sim->sessions, link)
		for (i = 0; !s->dead && s->state == SESS_READY && i < s->n_subs; i++)
			send_ticks(s, &s->subs[i]);
}

/* ---------- run-time switches ---------- */

static void
log_config(struct sim *sim, const char *what, json_t *value)
{
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.config",
	    json_pack("{s:s, s:o}", "setting", what, "value", value),
	    "%s changed", what);
}

int
sim_set_fault(struct sim *sim, enum sim_fault fault, struct gw_err *err)
{
	enum sim_fault old = sim->cfg.fault;
	struct sess *s;

	if ((unsigned)fault >= N_FAULTS)
		return gw_err_set(err, "unknown fault %d", (int)fault);
	if (fault == SIM_FAULT_SLOW && sim->cfg.slow_ms == 0)
		sim->cfg.slow_ms = SIM_DEFAULT_SLOW_MS;
	sim->cfg.fault = fault;
	/* Held-back replies are due now (dropped as they fall due if wedged). */
	if (old == SIM_FAULT_SLOW && fault != SIM_FAULT_SLOW)
		TAILQ_FOREACH(s, &sim->sessions, link)
			if (!s->dead)
				sess_release_pending(s);
	if (old != fault)
		gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.fault",
		    json_pack("{s:s, s:s, s:i}", "fault", sim_fault_name(fault),
		    "previous", sim_fault_name(old), "slow_ms", sim->cfg.slow_ms),
		    "fault %s (was %s)", sim_fault_name(fault), sim_fault_name(old));
	return 0;
}

int
sim_set_slow_ms(struct sim *sim, int ms, struct gw_err *err)
{
	if (ms < 0 || ms > SIM_MAX_SLOW_MS)
		return gw_err_set(err, "slow-ms %d is not in 0..%d", ms,
		    SIM_MAX_SLOW_MS);
	sim->cfg.slow_ms = ms;
	log_config(sim, "slow_ms", json_integer(ms));
	/* "--slow-ms N" alone means the slow fault; 0 switches it off. */
	if (ms > 0)
		return sim_set_fault(sim, SIM_FAULT_SLOW, err);
	if (sim->cfg.fault == SIM_FAULT_SLOW)
		return sim_set_fault(sim, SIM_FAULT_NONE, err);
	return 0;
}

int
sim_set_login_delay(struct sim *sim, int seconds, struct gw_err *err)
{
	if (seconds < 0 || seconds > SIM_MAX_LOGIN_DELAY)
		return gw_err_set(err, "login delay %d is not in 0..%d", seconds,
		    SIM_MAX_LOGIN_DELAY);
	sim->cfg.login_delay = seconds;
	log_config(sim, "login_delay", json_integer(seconds));
	return 0;
}

static json_t *
ids_json(const struct sim *sim)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sim->cfg.n_client_ids; i++)
		json_array_append_new(a, json_integer(sim->cfg.client_ids_in_use[i]));
	return a;
}

int
sim_set_client_ids(struct sim *sim, const int *ids, size_t n,
    struct gw_err *err)
{
	if (n > SIM_MAX_CLIENT_IDS)
		return gw_err_set(err, "more than %d client ids", SIM_MAX_CLIENT_IDS);
	if (n > 0)
		memcpy(sim->cfg.client_ids_in_use, ids, n * sizeof(ids[0]));
	sim->cfg.n_client_ids = n;
	log_config(sim, "client_ids_in_use", ids_json(sim));
	return 0;
}

static void
close_sessions(struct sim *sim, const char *reason)
{
	struct sess *s;

	while ((s = TAILQ_FIRST(&sim->sessions)) != NULL) {
		sess_kill(s, reason);
		sess_free(s);
	}
}

int
sim_restart(struct sim *sim, struct gw_err *err)
{
	size_t n = sim->n_sessions;

	if (!sim->started || sim->stopped)
		return gw_err_set(err, "the simulator is not running");
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.restart",
	    json_pack("{s:i, s:i}", "login_delay", sim->cfg.login_delay,
	    "sessions", (int)n), "restart: dropping %zu connections, listening "
	    "again in %d s", n, sim->cfg.login_delay);
	close_sessions(sim, "closed by the simulator: restart");
	sim->upstream_lost = 0;
	if (sim->api != NULL) {
		evconnlistener_free(sim->api);
		sim->api = NULL;
	}
	evtimer_del(sim->login_timer);
	accept_resume(sim);
	sim->accept_failing = 0;
	if (api_open(sim, err) < 0) {
		sim->failed = 1;
		sim->fail = *err;
		event_base_loopbreak(sim->base);
		return -1;
	}
	return 0;
}

int
sim_upstream(struct sim *sim, int code, struct gw_err *err)
{
	const char *text;
	struct sess *s;
	int n = 0;

	switch (code) {
	case 1100: text = TEXT_1100; break;
	case 1101: text = TEXT_1101; break;
	case 1102: text = TEXT_1102; break;
	default:
		return gw_err_set(err, "upstream code %d is not 1100, 1101 or 1102",
		    code);
	}
	sim->upstream_lost = code == 1100;
	TAILQ_FOREACH(s, &sim->sessions, link) {
		if (s->dead || s->state != SESS_READY)
			continue;
		send_error(s, -1, code, text);
		if (code == 1101)
			sess_drop_subs(s);	/* data lost: clients re-request */
		n++;
	}
	gw_log_event(sim->log, code == 1100 ? GW_WARNING : GW_INFO, COMPONENT,
	    code == 1100 ? "sim.upstream_lost" : "sim.upstream_restored",
	    json_pack("{s:i, s:i}", "code", code, "sessions", n),
	    "upstream %s: %d sent to %d sessions",
	    code == 1100 ? "lost" : "restored", code, n);
	return 0;
}

/* ---------- the control socket (control.c) ---------- */

json_t *
sim_status(struct sim *sim)
{
	const struct sess *s;
	size_t subs = 0;
	int sessions = 0, ready = 0;

	TAILQ_FOREACH(s, &sim->sessions, link) {
		if (s->dead || s->state == SESS_DRAINING)
			continue;
		sessions++;
		ready += s->state == SESS_READY;
		subs += s->n_subs;
	}
	return json_pack("{s:b, s:s, s:b, s:i, s:i, s:s, s:s, s:i, s:i, s:i, s:i,"
	    " s:o, s:s, s:i}",
	    "ok", 1, "fault", sim_fault_name(sim->cfg.fault),
	    "listening", sim->api != NULL, "sessions", sessions, "ready", ready,
	    "upstream", sim->upstream_lost ? "lost" : "ok",
	    "bind", sim->cfg.bind_addr, "port", sim->cfg.port,
	    "max_version", sim->cfg.max_version, "slow_ms", sim->cfg.slow_ms,
	    "login_delay", sim->cfg.login_delay,
	    "client_ids_in_use", ids_json(sim), "accounts", sim->cfg.accounts,
	    "subscriptions", (int)subs);
}

/* ---------- life cycle ---------- */

struct sim *
sim_new(struct event_base *base, const struct sim_config *cfg,
    struct gw_log *log, struct gw_err *err)
{
	struct sim *sim;

	sim = calloc(1, sizeof(*sim));
	if (sim == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	sim->cfg = *cfg;
	if (sim_config_check(&sim->cfg, err) < 0) {
		free(sim);
		return NULL;
	}
	sim->base = base;
	sim->log = log;
	TAILQ_INIT(&sim->sessions);
	TAILQ_INIT(&sim->syms);
	sim->login_timer = evtimer_new(base, login_timer_cb, sim);
	sim->tick_timer = event_new(base, -1, EV_PERSIST, tick_cb, sim);
	sim->reaper = event_new(base, -1, 0, reap_cb, sim);
	sim->accept_timer = evtimer_new(base, accept_timer_cb, sim);
	if (sim->login_timer == NULL || sim->tick_timer == NULL ||
	    sim->reaper == NULL || sim->accept_timer == NULL) {
		gw_err_set(err, "out of memory");
		sim_free(sim);
		return NULL;
	}
	return sim;
}

/* sim_start could not open a socket: sim.stopped must say failed. */
static int
start_failed(struct sim *sim, const struct gw_err *err)
{
	sim->failed = 1;
	sim->fail = *err;
	return -1;
}

int
sim_start(struct sim *sim, struct gw_err *err)
{
	struct timeval tv = ms_tv(sim->cfg.tick_ms);

	if (sim->started)
		return gw_err_set(err, "the simulator was already started");
	sim->started = 1;
	/* The control socket first, so a test that sees sim.started can use
	 * it; sim.started before the login delay starts. */
	if (sim->cfg.control_path[0] != '\0' && (sim->ctl = control_new(sim->base,
	    sim, sim->log, sim->cfg.control_path, err)) == NULL)
		return start_failed(sim, err);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.started",
	    json_pack("{s:s, s:i, s:i, s:s, s:i, s:s}", "bind", sim->cfg.bind_addr,
	    "port", sim->cfg.port, "login_delay", sim->cfg.login_delay, "fault",
	    sim_fault_name(sim->cfg.fault), "max_version", sim->cfg.max_version,
	    "control", sim->cfg.control_path),
	    "gw-sim starting on %s:%d (login delay %d s, fault %s)",
	    sim->cfg.bind_addr, sim->cfg.port, sim->cfg.login_delay,
	    sim_fault_name(sim->cfg.fault));
	evtimer_add(sim->tick_timer, &tv);
	if (api_open(sim, err) < 0)
		return start_failed(sim, err);
	return 0;
}

int
sim_failed(const struct sim *sim, struct gw_err *err)
{
	if (!sim->failed)
		return 0;
	if (err != NULL)
		*err = sim->fail;
	return -1;
}

void
sim_stop(struct sim *sim)
{
	if (sim == NULL || !sim->started || sim->stopped)
		return;
	sim->stopped = 1;
	close_sessions(sim, "closed by the simulator: stop");
	control_free(sim->ctl);
	sim->ctl = NULL;
	if (sim->api != NULL) {
		evconnlistener_free(sim->api);
		sim->api = NULL;
	}
	evtimer_del(sim->login_timer);
	evtimer_del(sim->tick_timer);
	evtimer_del(sim->accept_timer);
	if (sim->failed)
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.stopped",
		    json_pack("{s:b, s:s}", "failed", 1, "error", sim->fail.msg),
		    "gw-sim stopped: %s", sim->fail.msg);
	else
		gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.stopped",
		    json_pack("{s:b}", "failed", 0), "gw-sim stopped");
}

void
sim_free(struct sim *sim)
{
	if (sim == NULL)
		return;
	sim_stop(sim);
	if (sim->accept_timer != NULL)
		event_free(sim->accept_timer);
	if (sim->reaper != NULL)
		event_free(sim->reaper);
	if (sim->tick_timer != NULL)
		event_free(sim->tick_timer);
	if (sim->login_timer != NULL)
		event_free(sim->login_timer);
	free(sim);
}
