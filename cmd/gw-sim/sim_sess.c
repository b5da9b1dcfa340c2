/*
 * sim_sess: one API session of the simulator, from the client's hello to
 * the close: the handshake, startApi, the requests it models, the replies
 * (held back under the slow fault, never sent under wedged).
 *
 * Bytes from API clients are untrusted: they go through the tws_wire
 * decoders only; frames are capped at SIM_MAX_FRAME before they are
 * buffered, unread and held-back replies at SIM_MAX_OUTPUT, and log lines
 * about ignored requests at SIM_IGNORED_LOG_MAX per connection. A
 * malformed hello or frame logs sim.protocol_error and closes that one
 * connection.
 *
 * A session closes the way a control client does (conn_fin here, lineserv's
 * linger there): flush, FIN, then discard input until the peer's EOF or an absolute deadline.
 * Faults are read at each decision point, so a run-time switch applies to
 * every session from its next step on (see "Faults" in docs/gw-sim.md).
 */
#include "sim_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "clock.h"
#include "tws_order.h"
#include "tws_wire.h"

#define SIM_MAX_FRAME (64 * 1024)	/* a client frame we will buffer */
#define SIM_MAX_OUTPUT (4 * 1024 * 1024) /* unread replies before we drop */
#define SIM_DRAIN_SECONDS 2		/* after our FIN, wait for the peer's */
#define SIM_IGNORED_LOG_MAX 5	/* sim.request_ignored lines per connection */

/* Farm notices sent after nextValidId (docs/protocol.md §6). */
static const struct {
	int code;
	const char *text;
} farm_notices[] = {
	{ 2104, "Market data farm connection is OK:usfarm" },
	{ 2106, "HMDS data farm connection is OK:ushmds" },
	{ 2158, "Sec-def data farm connection is OK:secdefnj" },
};

#define TEXT_326 "Unable to connect as the client id is already in use. " \
	"Retry with a unique client id."

/* ---------- output ---------- */

json_t *
sim_sess_fields(const struct sess *s)
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
	f = sim_sess_fields(s);
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
		    sim_sess_fields(s), "connection %llu from %s does not read its "
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
	due = clock_mono_ms() + delay;
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
		struct timeval tv = clock_tv_ms((double)(due - clock_mono_ms()));

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
void
sim_sess_release_pending(struct sess *s)
{
	struct timeval now = { 0, 0 };
	struct pending *p;
	long long t = clock_mono_ms();

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
	long long now = clock_mono_ms();

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
		struct timeval tv = clock_tv_ms((double)(p->due_ms - now));

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
void
sim_sess_sent(struct sess *s, ssize_t n, const uint8_t *buf,
    const struct gw_err *e)
{
	if (n < 0) {
		gw_log_event(s->sim->log, GW_ERROR, COMPONENT, "sim.encode_error",
		    sim_sess_fields(s), "cannot encode a reply: %s", e->msg);
		return;
	}
	sess_send(s, buf, n);
}

void
sim_sess_send_error(struct sess *s, long long req_id, int code,
    const char *text)
{
	uint8_t buf[SIM_MSG_CAP];
	struct gw_err e;
	ssize_t n;

	n = tws_enc_error(buf, sizeof(buf), s->version, req_id, code, text,
	    clock_wall_ms(), &e);
	sim_sess_sent(s, n, buf, &e);
}

static void
sess_free(struct sess *s)
{
	struct sim *sim = s->sim;

	TAILQ_REMOVE(&sim->sessions, s, link);
	sim->n_sessions--;
	sim_mkt_drop(s);
	sess_drop_pending(s);
	event_free(s->slow_timer);
	event_free(s->deadline);
	bufferevent_free(s->bev);
	free(s);
	if (evtimer_pending(sim->accept_timer, NULL))
		sim_accept_resume(sim);	/* a descriptor is free again */
}

/* ---------- input ---------- */

static void
protocol_error(struct sess *s, const char *reason)
{
	json_t *f = sim_sess_fields(s);

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

	f = sim_sess_fields(s);
	json_object_set_new(f, "client_id", json_integer(client_id));
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.start_api", f,
	    "connection %llu: startApi with client id %d", s->no, client_id);
	if (sim->cfg.fault == SIM_FAULT_NOT_LOGGED_IN) {
		s->state = SESS_NOT_LOGGED_IN;
		return;
	}
	if (client_id_taken(s, client_id)) {
		f = sim_sess_fields(s);
		json_object_set_new(f, "client_id", json_integer(client_id));
		gw_log_event(sim->log, GW_WARNING, COMPONENT, "sim.client_id_in_use",
		    f, "connection %llu: client id %d is in use: error 326, close",
		    s->no, client_id);
		sim_sess_send_error(s, -1, 326, TEXT_326);
		sess_finish(s, "client id in use");
		return;
	}
	s->state = SESS_READY;
	s->client_id = client_id;
	n = tws_enc_managed_accounts(buf, sizeof(buf), sim->cfg.accounts, &e);
	sim_sess_sent(s, n, buf, &e);
	/* the paper broker's: ids used in earlier sessions stay used */
	n = tws_enc_next_valid_id(buf, sizeof(buf), sim_ord_next_valid_id(sim),
	    &e);
	sim_sess_sent(s, n, buf, &e);
	for (i = 0; i < sizeof(farm_notices) / sizeof(farm_notices[0]); i++)
		sim_sess_send_error(s, -1, farm_notices[i].code, farm_notices[i].text);
	if (sim->upstream_lost)
		sim_sess_send_error(s, -1, 1100, TEXT_1100);
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
	f = sim_sess_fields(s);
	json_object_set_new(f, "msg", json_string(tws_out_name(m->id)));
	json_object_set_new(f, "msg_id", json_integer(m->id));
	json_object_set_new(f, "req_id", json_integer(req_id));
	gw_log_event(sim->log, GW_DEBUG, COMPONENT, "sim.request", f,
	    "connection %llu: %s", s->no, tws_out_name(m->id));

	switch (m->id) {
	case TWS_OUT_REQ_CURRENT_TIME:
		n = tws_enc_current_time(buf, sizeof(buf), (long long)time(NULL), &e);
		sim_sess_sent(s, n, buf, &e);
		break;
	case TWS_OUT_REQ_MARKET_DATA_TYPE:
		s->mkt_data_type = m->u.req_market_data_type.type;
		break;
	case TWS_OUT_REQ_MKT_DATA:
		sim_mkt_request(s, m);
		break;
	case TWS_OUT_CANCEL_MKT_DATA:
		sim_mkt_cancel(s, req_id);
		break;
	default:		/* a second startApi, or a request we do not model */
		break;
	}
}

/* Log the first few only: the client is untrusted and could flood the
 * log. sim.disconnect carries the total. */
static void
request_ignored_id(struct sess *s, int id, const char *name, const char *why)
{
	json_t *f;

	if (++s->n_ignored > SIM_IGNORED_LOG_MAX)
		return;
	f = sim_sess_fields(s);
	json_object_set_new(f, "msg", json_string(name));
	json_object_set_new(f, "msg_id", json_integer(id));
	json_object_set_new(f, "reason", json_string(why));
	gw_log_event(s->sim->log, GW_INFO, COMPONENT, "sim.request_ignored", f,
	    "connection %llu: %s (id %d) ignored: %s%s", s->no, name, id, why,
	    s->n_ignored == SIM_IGNORED_LOG_MAX ?
	    " (more are counted, not logged)" : "");
}

static void
request_ignored(struct sess *s, const struct tws_out_msg *m, const char *why)
{
	request_ignored_id(s, m->id, tws_out_name(m->id), why);
}

/* The message id of a frame, when field 0 is a plain decimal; else -1
 * (tws_wire's decoder then says why). */
static int
frame_msg_id(const struct tws_fields *f, size_t i, long long *out)
{
	long long v = 0;
	size_t k;

	if (f->n <= i || f->f[i].len == 0 || f->f[i].len > 9)
		return -1;
	for (k = 0; k < f->f[i].len; k++) {
		if (f->f[i].p[k] < '0' || f->f[i].p[k] > '9')
			return -1;
		v = v * 10 + (f->f[i].p[k] - '0');
	}
	*out = v;
	return 0;
}

/* An order request (tws_order): served when ready at a version its
 * layouts cover; refused with an error (logged as ignored) at another
 * version; ignored before startApi. A malformed one is a protocol error,
 * as any malformed frame. Returns 1 when f is not an order request, 0 when
 * handled, -1 after a protocol error. */
static int
sess_on_order_frame(struct sess *s, const struct tws_fields *f)
{
	struct tws_order_req r;
	struct gw_err e;
	long long id, oid = -1;
	char why[96];
	int min;

	if (frame_msg_id(f, 0, &id) < 0 ||
	    (min = sim_ord_min_version((int)id)) == 0)
		return 1;
	if (s->state != SESS_READY) {
		request_ignored_id(s, (int)id, sim_ord_name((int)id),
		    s->state == SESS_STARTING ? "before startApi" : "not logged in");
		return 0;
	}
	if (s->version < min || s->version > TWS_ORDER_SV_MAX) {
		/* placeOrder and cancelOrder name the order in the error */
		if (id == TWS_OUT_PLACE_ORDER && frame_msg_id(f, 1, &oid) < 0)
			oid = -1;
		if (id == TWS_OUT_CANCEL_ORDER && frame_msg_id(f, 2, &oid) < 0)
			oid = -1;
		snprintf(why, sizeof(why), "server version %d: gw-sim serves it at "
		    "%d..%d", s->version, min, TWS_ORDER_SV_MAX);
		request_ignored_id(s, (int)id, sim_ord_name((int)id), why);
		sim_ord_unsupported(s, (int)id, oid);
		return 0;
	}
	switch (tws_order_decode_req(f, s->version, &r, &e)) {
	case 0:
		sim_ord_request(s, &r);
		return 0;
	case 1:
		return 1;
	default:
		protocol_error(s, e.msg);
		return -1;
	}
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
	f = sim_sess_fields(s);
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
	sim_sess_sent(s, n, buf, &e);
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
	switch (sess_on_order_frame(s, &fields)) {
	case 0:
		return r;
	case -1:
		return -1;
	default:
		break;
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
		sim_mkt_drop(s);
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

void
sim_sess_reap_cb(evutil_socket_t fd, short what, void *arg)
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


/* ---------- open and close ---------- */

void
sim_sess_accept(struct sim *sim, evutil_socket_t fd, const char *peer)
{
	struct sess *s;
	json_t *f;
	int one = 1;

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
	f = sim_sess_fields(s);
	json_object_set_new(f, "fault", json_string(sim_fault_name(sim->cfg.fault)));
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.connection", f,
	    "connection %llu from %s (fault %s)", s->no, peer,
	    sim_fault_name(sim->cfg.fault));
	if (sim->cfg.fault == SIM_FAULT_RELAY_DEAD)
		sess_finish(s, "relay-dead fault");	/* accept, close at once */
}

void
sim_sess_close_all(struct sim *sim, const char *reason)
{
	struct sess *s;

	while ((s = TAILQ_FIRST(&sim->sessions)) != NULL) {
		sess_kill(s, reason);
		sess_free(s);
	}
}
