/*
 * Unit tests for lib/tws_session: a scripted in-process fake gateway on
 * 127.0.0.1 (an ephemeral port) plays one wire scenario per test, and the
 * session's event and verdict are checked. Every run is bounded by the
 * session's own stage deadlines plus a test-wide safety timer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "tws_session.h"

enum after { STAY, CLOSE };

struct scenario {
	int send_version;		/* 0: never answer the hello */
	int version;			/* server version to announce */
	enum after after_hello;		/* when send_version == 0 */
	uint8_t pre[256];		/* bytes sent right after the hello */
	size_t npre;
	uint8_t post[512];		/* bytes sent after startApi */
	size_t npost;
	enum after after_start;
	uint8_t late[256];		/* sent on the client's 2nd request */
	size_t nlate;
};

struct fixture {
	struct event_base *base;
	struct evconnlistener *lis;
	struct bufferevent *peer;
	struct event *safety;
	int port;
	int max_version;		/* session's declared max; 0 = default */
	int stage_ms;			/* stage deadlines; 0 = 2 s */
	struct scenario sc;
	int got_hello, got_start, start_client_id;
	int close_when_flushed;
	/* what the session reported */
	int n_events;
	enum tws_session_event_type last_type;
	enum tws_verdict verdict;
	char reason[256];
	int ready_seen, lost_seen, notices_seen;
	long long current_time;
	struct tws_session *s;
};

static void
append(uint8_t *buf, size_t *n, size_t cap, const uint8_t *p, ssize_t len)
{
	assert_true(len > 0 && *n + (size_t)len <= cap);
	memcpy(buf + *n, p, (size_t)len);
	*n += (size_t)len;
}

#define ADD(fx, field, call) do {						\
	uint8_t tmp_[256]; struct gw_err e_;					\
	ssize_t n_ = call;							\
	(void)e_;								\
	append((fx)->sc.field, &(fx)->sc.n##field, sizeof((fx)->sc.field), tmp_, n_); \
} while (0)

static void
peer_read(struct bufferevent *bev, void *arg)
{
	struct fixture *fx = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct tws_fields *f = malloc(sizeof(*f));
	struct tws_hello h;
	struct gw_err e;
	ssize_t n;

	assert_non_null(f);
	if (!fx->got_hello) {
		size_t len = evbuffer_get_length(in);
		n = tws_wire_decode_hello(evbuffer_pullup(in, -1), len, &h, &e);
		if (n <= 0)
			goto out;
		assert_int_equal(h.min_version, 100);
		assert_int_equal(h.max_version, fx->max_version ? fx->max_version : 176);
		evbuffer_drain(in, (size_t)n);
		fx->got_hello = 1;
		if (fx->sc.npre)
			bufferevent_write(bev, fx->sc.pre, fx->sc.npre);
		if (fx->sc.send_version) {
			uint8_t b[64];
			n = tws_enc_server_version(b, sizeof(b), fx->sc.version,
			    "20260225 10:00:00 EST", &e);
			bufferevent_write(bev, b, (size_t)n);
		} else if (fx->sc.after_hello == CLOSE) {
			bufferevent_free(bev);
			fx->peer = NULL;
			goto out;
		}
	}
	for (;;) {
		size_t len = evbuffer_get_length(in);
		struct tws_out_msg m;

		n = tws_wire_decode_frame(evbuffer_pullup(in, -1), len, f, &e);
		if (n <= 0)
			break;
		assert_int_equal(tws_wire_decode_out(f, fx->sc.version, &m, &e), 0);
		evbuffer_drain(in, (size_t)n);
		if (m.id == TWS_OUT_START_API) {
			fx->got_start = 1;
			fx->start_client_id = m.u.start_api.client_id;
			if (fx->sc.npost)
				bufferevent_write(bev, fx->sc.post, fx->sc.npost);
			if (fx->sc.after_start == CLOSE && fx->sc.npost == 0) {
				bufferevent_free(bev);	/* EOF at once */
				fx->peer = NULL;
				goto out;
			}
			if (fx->sc.after_start == CLOSE)	/* like a gateway after 326 */
				fx->close_when_flushed = 1;
		} else if (m.id == TWS_OUT_REQ_CURRENT_TIME) {
			if (fx->sc.nlate)
				bufferevent_write(bev, fx->sc.late, fx->sc.nlate);
		}
	}
out:
	free(f);
}

/* Output drained: close now if the scenario says so (send, then FIN). */
static void
peer_write(struct bufferevent *bev, void *arg)
{
	struct fixture *fx = arg;

	if (fx->close_when_flushed) {
		bufferevent_free(bev);
		fx->peer = NULL;
	}
}

static void
peer_event(struct bufferevent *bev, short what, void *arg)
{
	struct fixture *fx = arg;

	(void)what;
	bufferevent_free(bev);
	fx->peer = NULL;
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct fixture *fx = arg;

	(void)l; (void)sa; (void)salen;
	fx->peer = bufferevent_socket_new(fx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(fx->peer, peer_read, peer_write, peer_event, fx);
	bufferevent_enable(fx->peer, EV_READ | EV_WRITE);
}

static void
on_session(struct tws_session *s, const struct tws_session_event *ev, void *arg)
{
	struct fixture *fx = arg;
	struct gw_err e;

	fx->n_events++;
	switch (ev->type) {
	case TWS_EV_READY:
		fx->ready_seen = 1;
		fx->verdict = ev->verdict;
		if (fx->sc.nlate)	/* exercise the ready path further */
			assert_int_equal(tws_session_req_current_time(s, &e), 0);
		else
			event_base_loopexit(fx->base, NULL);
		break;
	case TWS_EV_FAILED:
	case TWS_EV_LOST:
		fx->lost_seen += ev->type == TWS_EV_LOST;
		fx->verdict = ev->verdict;
		snprintf(fx->reason, sizeof(fx->reason), "%s", ev->reason);
		event_base_loopexit(fx->base, NULL);
		break;
	case TWS_EV_NOTICE:
		fx->notices_seen++;
		break;
	case TWS_EV_MESSAGE:
		if (ev->msg->id == TWS_IN_CURRENT_TIME) {
			fx->current_time = ev->msg->u.current_time.time;
			if (fx->sc.after_start != CLOSE)
				event_base_loopexit(fx->base, NULL);
		}
		break;
	}
	fx->last_type = ev->type;
}

static void
on_safety(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	fail_msg("test exceeded its 5 s safety deadline");
	(void)arg;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct sockaddr_in sin = { 0 };
	socklen_t sl = sizeof(sin);
	struct timeval five = { 5, 0 };

	fx->base = event_base_new();
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fx->lis = evconnlistener_new_bind(fx->base, on_accept, fx,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(fx->lis);
	getsockname(evconnlistener_get_fd(fx->lis), (struct sockaddr *)&sin, &sl);
	fx->port = ntohs(sin.sin_port);
	fx->safety = evtimer_new(fx->base, on_safety, fx);
	evtimer_add(fx->safety, &five);
	fx->sc.send_version = 1;
	fx->sc.version = 176;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	tws_session_free(fx->s);
	if (fx->peer)
		bufferevent_free(fx->peer);
	if (fx->lis)
		evconnlistener_free(fx->lis);
	event_free(fx->safety);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

static void
run(struct fixture *fx, int port)
{
	struct tws_session_config cfg = { 0 };
	struct gw_err e;

	cfg.host = "127.0.0.1";
	cfg.port = port;
	cfg.client_id = 917;
	cfg.max_version = fx->max_version;
	cfg.connect_timeout_ms = 1000;
	cfg.version_timeout_ms = fx->stage_ms ? fx->stage_ms : 2000;
	cfg.ready_timeout_ms = fx->stage_ms ? fx->stage_ms : 2000;
	fx->s = tws_session_new(fx->base, NULL, &cfg, on_session, fx, &e);
	assert_non_null(fx->s);
	assert_int_equal(tws_session_start(fx->s, &e), 0);
	event_base_dispatch(fx->base);
}

static void
add_login(struct fixture *fx, const char *accounts)
{
	ADD(fx, post, tws_enc_managed_accounts(tmp_, sizeof(tmp_), accounts, &e_));
	ADD(fx, post, tws_enc_next_valid_id(tmp_, sizeof(tmp_), 1, &e_));
}

static void
add_notice(struct fixture *fx, int code, const char *text)
{
	ADD(fx, post, tws_enc_error(tmp_, sizeof(tmp_), fx->sc.version, -1, code,
	    text, 0, &e_));
}

static void
test_ready(void **state)
{
	struct fixture *fx = *state;
	const struct tws_notice *n;
	struct tws_session_timings t;

	add_login(fx, "DU1234567,DU7654321");
	add_notice(fx, 2104, "Market data farm connection is OK:usfarm");
	run(fx, fx->port);
	assert_true(fx->ready_seen);
	assert_int_equal(fx->verdict, TWS_READY);
	assert_int_equal(fx->start_client_id, 917);
	assert_int_equal(tws_session_server_version(fx->s), 176);
	assert_string_equal(tws_session_connection_time(fx->s), "20260225 10:00:00 EST");
	assert_string_equal(tws_session_accounts(fx->s), "DU1234567,DU7654321");
	assert_int_equal(tws_session_next_valid_id(fx->s), 1);
	assert_int_equal(tws_session_notices(fx->s, &n), 1);
	assert_int_equal(n[0].code, 2104);
	assert_string_equal(n[0].text, "Market data farm connection is OK:usfarm");
	tws_session_timings(fx->s, &t);
	assert_true(t.connect_ms >= 0 && t.connect_ms <= t.version_ms &&
	    t.version_ms <= t.ready_ms);
}

static void
test_ready_any_error_layout(void **state)
{
	static const int versions[] = { 150, 170, 194, 200 };
	struct fixture *fx = *state;
	size_t i;

	(void)fx;
	for (i = 0; i < 4; i++) {
		teardown(state);
		setup(state);
		fx = *state;
		fx->sc.version = versions[i];
		fx->max_version = 200;
		add_login(fx, "DU1");
		add_notice(fx, 2104, "Market data farm connection is OK:usfarm");
		add_notice(fx, 1100, "Connectivity between IB and Trader Workstation has been lost.");
		add_notice(fx, 1102, "Connectivity ... restored - data maintained.");
		run(fx, fx->port);
		assert_int_equal(fx->verdict, TWS_READY);
		assert_int_equal(fx->notices_seen, 3);
	}
}

static void
test_relay_closed(void **state)
{
	struct fixture *fx = *state;

	fx->sc.send_version = 0;
	fx->sc.after_hello = CLOSE;
	run(fx, fx->port);
	assert_int_equal(fx->last_type, TWS_EV_FAILED);
	assert_int_equal(fx->verdict, TWS_RELAY_CLOSED);
	assert_non_null(strstr(fx->reason, "before the server version"));
}

static void
test_handshake_timeout(void **state)
{
	struct fixture *fx = *state;
	char want[96];

	fx->sc.send_version = 0;
	fx->sc.after_hello = STAY;
	fx->stage_ms = 150;
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_HANDSHAKE_TIMEOUT);
	assert_non_null(strstr(fx->reason, "no server version within"));
	snprintf(want, sizeof(want), "no bytes received; is port %d a TWS API "
	    "port?", fx->port);
	assert_non_null(strstr(fx->reason, want));
	assert_int_equal(tws_session_bytes_received(fx->s), 0);
}

/* A peer that is not the TWS API answers the hello with its own text. */
static void
not_api_case(void **state, const char *text, const char *want)
{
	struct fixture *fx = *state;

	fx->sc.send_version = 0;
	fx->sc.after_hello = STAY;
	fx->stage_ms = 2000;
	memcpy(fx->sc.pre, text, strlen(text));
	fx->sc.npre = strlen(text);
	run(fx, fx->port);
	assert_int_equal(fx->last_type, TWS_EV_FAILED);
	assert_int_equal(fx->verdict, TWS_NOT_API);
	assert_string_equal(fx->reason, want);
	assert_int_equal(tws_session_bytes_received(fx->s), (long long)strlen(text));
}

static void
test_not_api_ssh(void **state)
{
	not_api_case(state, "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n",
	    "not a TWS API endpoint: got \"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\" "
	    "(frame length 1397966893 exceeds the 65536-byte maximum)");
}

static void
test_not_api_http(void **state)
{
	not_api_case(state, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
	    "not a TWS API endpoint: got \"HTTP/1.1 400 Bad Request\" "
	    "(frame length 1213486160 exceeds the 65536-byte maximum)");
}

static void
test_not_api_long_line(void **state)
{
	not_api_case(state, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	    "not a TWS API endpoint: got \"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUV...\" "
	    "(frame length 1094861636 exceeds the 65536-byte maximum)");
}

static void
test_not_logged_in(void **state)
{
	struct fixture *fx = *state;

	fx->stage_ms = 150;
	run(fx, fx->port);
	assert_true(fx->got_start);
	assert_int_equal(fx->verdict, TWS_NOT_LOGGED_IN);
	assert_non_null(strstr(fx->reason, "no nextValidId or managedAccounts"));
}

static void
test_empty_accounts(void **state)
{
	struct fixture *fx = *state;

	add_login(fx, ",,, ,");
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_NOT_LOGGED_IN);
	assert_string_equal(fx->reason,
	    "managedAccounts is empty (not logged in to an account)");
	assert_string_equal(tws_session_accounts(fx->s), "");
}

static void
test_accounts_normalised(void **state)
{
	struct fixture *fx = *state;

	add_login(fx, " DU1 ,, ,DU2,\tDU3\t,");
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_READY);
	assert_string_equal(tws_session_accounts(fx->s), "DU1,DU2,DU3");
}

static void
test_client_id_in_use_326(void **state)
{
	struct fixture *fx = *state;

	add_notice(fx, 326, "Unable to connect as the client id is already in use. "
	    "Retry with a unique client id.");
	fx->sc.after_start = CLOSE;
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_CLIENT_ID_IN_USE);
	assert_string_equal(fx->reason, "error 326: client id 917 already in use");
}

static void
test_client_id_in_use_silent_close(void **state)
{
	struct fixture *fx = *state;

	fx->sc.after_start = CLOSE;	/* ib_async#143: closed, nothing logged */
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_CLIENT_ID_IN_USE);
	assert_non_null(strstr(fx->reason, "after startApi before nextValidId"));
}

static void
test_upstream_down(void **state)
{
	struct fixture *fx = *state;

	add_login(fx, "DU1");
	add_notice(fx, 1100, "Connectivity between IB and Trader Workstation has been lost.");
	run(fx, fx->port);
	assert_true(fx->ready_seen);
	assert_int_equal(fx->verdict, TWS_UPSTREAM_DOWN);
	assert_int_equal(tws_session_upstream_lost(fx->s), 1);
}

static void
test_oversized_frame(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };

	fx->sc.send_version = 0;
	memcpy(fx->sc.pre, huge, 4);
	fx->sc.npre = 4;
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_NOT_API);
	assert_string_equal(fx->reason, "not a TWS API endpoint: got \"????\" "
	    "(frame length 4294967295 exceeds the 65536-byte maximum)");
}

static void
test_news_before_version_ignored(void **state)
{
	struct fixture *fx = *state;

	/* as the official client's connect(): a non-2-field message before the reply is skipped. */
	ADD(fx, pre, tws_enc_error(tmp_, sizeof(tmp_), 176, -1, 2104, "early", 0, &e_));
	add_login(fx, "DU1");
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_READY);
}

static void
test_version_out_of_range(void **state)
{
	struct fixture *fx = *state;

	fx->sc.version = 201;	/* protobuf framing: we never asked for it */
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_HANDSHAKE_TIMEOUT);
	assert_string_equal(fx->reason, "server chose version 201 outside our v100..176");
}

static void
test_unreachable(void **state)
{
	struct fixture *fx = *state;
	int port = fx->port;

	evconnlistener_free(fx->lis);	/* nothing listens there now */
	fx->lis = NULL;
	run(fx, port);
	assert_int_equal(fx->verdict, TWS_UNREACHABLE);
	assert_non_null(strstr(fx->reason, "Connection refused"));
}

static void
test_lost_after_ready(void **state)
{
	struct fixture *fx = *state;

	add_login(fx, "DU1");
	ADD(fx, late, tws_enc_current_time(tmp_, sizeof(tmp_), 1760000000, &e_));
	fx->sc.after_start = STAY;
	run(fx, fx->port);	/* ready, then heartbeat reply */
	assert_true(fx->ready_seen);
	assert_int_equal(fx->current_time, 1760000000);
	/* now the gateway goes away: one LOST event */
	bufferevent_free(fx->peer);
	fx->peer = NULL;
	event_base_dispatch(fx->base);
	assert_int_equal(fx->last_type, TWS_EV_LOST);
	assert_int_equal(fx->lost_seen, 1);
	assert_false(tws_session_is_ready(fx->s));
}

static void
test_frame_cap_before_ready(void **state)
{
	struct fixture *fx = *state;
	uint8_t big[4] = { 0x00, 0x01, 0x11, 0x70 };	/* 70000 bytes follow */

	fx->sc.send_version = 0;
	memcpy(fx->sc.pre, big, 4);
	fx->sc.npre = 4;
	run(fx, fx->port);
	assert_int_equal(fx->verdict, TWS_NOT_API);
	assert_string_equal(fx->reason, "not a TWS API endpoint: got \"???p\" "
	    "(frame length 70000 exceeds the 65536-byte maximum)");
}

static void
test_ready_by_name(void **state)
{
	struct fixture *fx = *state;
	struct tws_session_config cfg = { 0 };
	struct gw_err e;

	/* "localhost" comes from /etc/hosts through the session's own
	 * resolver; if it lists ::1 first, the session must go on to
	 * 127.0.0.1, where the fake gateway listens. */
	add_login(fx, "DU1");
	cfg.host = "localhost";
	cfg.port = fx->port;
	cfg.client_id = 917;
	cfg.connect_timeout_ms = cfg.version_timeout_ms = cfg.ready_timeout_ms = 2000;
	fx->s = tws_session_new(fx->base, NULL, &cfg, on_session, fx, &e);
	assert_non_null(fx->s);
	assert_int_equal(tws_session_start(fx->s, &e), 0);
	event_base_dispatch(fx->base);
	assert_int_equal(fx->verdict, TWS_READY);
}

static void
test_resolve_timeout_cancels(void **state)
{
	struct fixture *fx = *state;
	struct tws_session_config cfg = { 0 };
	struct sockaddr_in sin = { 0 };
	socklen_t sl = sizeof(sin);
	struct evdns_base *dns;
	struct gw_err e;
	char ns[32];
	int u;

	/* A local "nameserver" that never answers: the lookup must end at the
	 * connect deadline, be cancelled, and leak nothing (ASan checks). */
	u = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(u, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(u, (struct sockaddr *)&sin, &sl);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));
	dns = evdns_base_new(fx->base, 0);
	assert_int_equal(evdns_base_nameserver_ip_add(dns, ns), 0);
	cfg.host = "gateway.invalid";
	cfg.port = 4002;
	cfg.connect_timeout_ms = 200;
	cfg.version_timeout_ms = cfg.ready_timeout_ms = 1000;
	fx->s = tws_session_new(fx->base, dns, &cfg, on_session, fx, &e);
	assert_non_null(fx->s);
	assert_int_equal(tws_session_start(fx->s, &e), 0);
	event_base_dispatch(fx->base);
	assert_int_equal(fx->verdict, TWS_UNREACHABLE);
	assert_non_null(strstr(fx->reason, "cannot resolve 'gateway.invalid' within"));
	tws_session_free(fx->s);
	fx->s = NULL;
	/* the cancelled lookup's callback reads the dns base: it runs first */
	event_base_loop(fx->base, EVLOOP_NONBLOCK);
	evdns_base_free(dns, 1);
	close(u);
}

static void
test_bad_config(void **state)
{
	struct tws_session_config cfg = { 0 };
	struct gw_err e;

	(void)state;
	cfg.host = "127.0.0.1";
	cfg.port = 0;
	cfg.connect_timeout_ms = cfg.version_timeout_ms = cfg.ready_timeout_ms = 1;
	assert_null(tws_session_new(NULL, NULL, &cfg, NULL, NULL, &e));
	assert_string_equal(e.msg, "session: port 0 not in 1..65535");
	cfg.port = 1;
	cfg.max_version = 201;
	assert_null(tws_session_new(NULL, NULL, &cfg, NULL, NULL, &e));
	assert_string_equal(e.msg, "session: version range 100..201 invalid (max must be < 201)");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_any_error_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_logged_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounts_normalised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_api_ssh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_api_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_api_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_id_in_use_326, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_id_in_use_silent_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstream_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_news_before_version_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_after_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_cap_before_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_timeout_cancels, setup, teardown),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
