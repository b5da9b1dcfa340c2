/*
 * Unit tests for lib/ibc: each scenario runs the client against an
 * in-process command server on 127.0.0.1 (an ephemeral port) that answers,
 * stays silent, closes or floods, and checks the exact text passed to done,
 * that done runs exactly once and never inside ibc_cmd_new, and what the
 * server received. The loop runs on after done for a grace period to catch a
 * second call; a test-wide safety timer bounds every run.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "clock.h"
#include "ibc.h"

#define GRACE_MS 100
#define SAFETY_MS 5000

enum peer_mode {
	PEER_REPLY,		/* after the command: send reply bytes, close */
	PEER_REPLY_STAY,	/* after the command: send reply bytes, stay */
	PEER_SILENT,		/* never answer, stay */
	PEER_CLOSE,		/* close on the command, no answer */
	PEER_EARLY,		/* send reply bytes on accept, before the command */
};

struct fixture {
	struct event_base *base;
	struct evconnlistener *lis;
	struct bufferevent *peer;
	struct event *safety;
	int port;
	enum peer_mode mode;
	char *reply;			/* raw bytes the peer sends */
	size_t nreply;
	char received[512];		/* what the peer read */
	size_t nreceived;
	int peer_closing;
	/* what the client reported */
	struct ibc_cmd *c;
	int calls;
	int ok;
	char text[2048];
	int free_in_done;
	struct rlimit nofile;		/* restored by teardown when set */
	int restore_nofile;
	int64_t t0_ns;
	double done_ms;
};

static void
peer_free(struct fixture *fx)
{
	if (fx->peer != NULL) {
		bufferevent_free(fx->peer);
		fx->peer = NULL;
	}
}

static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	struct fixture *fx = arg;

	if (fx->peer_closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		peer_free(fx);
}

static void
peer_read(struct bufferevent *bev, void *arg)
{
	struct fixture *fx = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	if (n > sizeof(fx->received) - 1 - fx->nreceived)
		n = sizeof(fx->received) - 1 - fx->nreceived;
	evbuffer_remove(in, fx->received + fx->nreceived, n);
	fx->nreceived += n;
	evbuffer_drain(in, evbuffer_get_length(in));
	if (memchr(fx->received, '\n', fx->nreceived) == NULL || fx->peer_closing)
		return;
	switch (fx->mode) {
	case PEER_REPLY:
		bufferevent_write(bev, fx->reply, fx->nreply);
		fx->peer_closing = 1;
		break;
	case PEER_REPLY_STAY:
		bufferevent_write(bev, fx->reply, fx->nreply);
		break;
	case PEER_CLOSE:
		peer_free(fx);
		break;
	case PEER_SILENT:
	case PEER_EARLY:
		break;
	}
}

static void
peer_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		peer_free(arg);
}

static void
on_accept(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct fixture *fx = arg;

	(void)lis;
	(void)sa;
	(void)salen;
	assert_null(fx->peer);		/* one connection per scenario */
	fx->peer = bufferevent_socket_new(fx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(fx->peer);
	bufferevent_setcb(fx->peer, peer_read, peer_write_cb, peer_event, fx);
	bufferevent_enable(fx->peer, EV_READ | EV_WRITE);
	if (fx->mode == PEER_EARLY)
		bufferevent_write(fx->peer, fx->reply, fx->nreply);
}

static void
on_safety(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(fx->base);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct timeval tv = { SAFETY_MS / 1000, 0 };

	assert_non_null(fx);
	fx->base = event_base_new();
	assert_non_null(fx->base);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fx->lis = evconnlistener_new_bind(fx->base, on_accept, fx,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 8,
	    (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(fx->lis);
	assert_int_equal(getsockname(evconnlistener_get_fd(fx->lis),
	    (struct sockaddr *)&sin, &slen), 0);
	fx->port = ntohs(sin.sin_port);
	fx->safety = evtimer_new(fx->base, on_safety, fx);
	evtimer_add(fx->safety, &tv);
	fx->free_in_done = 1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->restore_nofile)
		setrlimit(RLIMIT_NOFILE, &fx->nofile);
	ibc_cmd_free(fx->c);
	peer_free(fx);
	event_free(fx->safety);
	if (fx->lis != NULL)
		evconnlistener_free(fx->lis);
	event_base_free(fx->base);
	free(fx->reply);
	free(fx);
	return 0;
}

static void
set_reply(struct fixture *fx, enum peer_mode mode, const char *bytes, size_t n)
{
	fx->mode = mode;
	fx->reply = malloc(n + 1);
	assert_non_null(fx->reply);
	memcpy(fx->reply, bytes, n);
	fx->nreply = n;
}

static void
done_cb(void *arg, int ok, const char *text)
{
	struct fixture *fx = arg;
	struct timeval grace = { 0, GRACE_MS * 1000 };

	fx->calls++;
	fx->ok = ok;
	snprintf(fx->text, sizeof(fx->text), "%s", text);
	fx->done_ms = clock_since_ms(fx->t0_ns);
	if (fx->free_in_done) {		/* allowed: the object is finished */
		ibc_cmd_free(fx->c);
		fx->c = NULL;
	}
	/* keep running a little to catch a second call */
	event_base_loopexit(fx->base, &grace);
}

/* Run one command against the fixture's port; done must come from the loop. */
static void
run(struct fixture *fx, const char *host, int port, const char *command,
    int timeout_ms)
{
	struct gw_err e = { "" };

	fx->t0_ns = clock_mono_ns();
	fx->c = ibc_cmd_new(fx->base, host, port, command, timeout_ms, done_cb,
	    fx, &e);
	assert_non_null(fx->c);
	assert_int_equal(fx->calls, 0);		/* never from inside _new */
	event_base_dispatch(fx->base);
	assert_int_equal(fx->calls, 1);
}

static void
run_local(struct fixture *fx, int timeout_ms)
{
	run(fx, "127.0.0.1", fx->port, "RESTART", timeout_ms);
}

static void
test_ok_reply(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "OK RESTART in progress\n";

	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 1);
	assert_string_equal(fx->text, "OK RESTART in progress");
	assert_int_equal(fx->nreceived, 8);
	assert_memory_equal(fx->received, "RESTART\n", 8);
}

/* IBC keeps the connection open after most commands: the client must not
 * wait for EOF. CRLF (IBC on Windows) is accepted. */
static void
test_ok_reply_crlf_server_stays(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "OK RESTART at 04:31 PM\r\n";

	set_reply(fx, PEER_REPLY_STAY, r, sizeof(r) - 1);
	run_local(fx, 10000);
	assert_int_equal(fx->ok, 1);
	assert_string_equal(fx->text, "OK RESTART at 04:31 PM");
	assert_true(fx->done_ms < 5000);	/* not the deadline */
}

/* With SuppressInfoMessages=no IBC sends INFO lines first. */
static void
test_info_lines_skipped(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "INFO IBC Command Server\nINFO Restarting TWS\n"
	    "OK RESTART in progress\n";

	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 1);
	assert_string_equal(fx->text, "OK RESTART in progress");
}

static void
test_early_info_is_not_a_reply(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "INFO IBC Command Server\n";

	set_reply(fx, PEER_EARLY, r, sizeof(r) - 1);
	run_local(fx, 300);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "no reply within 300 ms");
	assert_memory_equal(fx->received, "RESTART\n", 8);
}

static void
test_error_reply(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "ERROR RESTART already in progress\n";

	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text,
	    "IBC answered: ERROR RESTART already in progress");
}

static void
test_error_reply_quoted(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "ERROR bad\x01\x1b[31m\xff\0x\n";

	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "IBC answered: ERROR bad??[31m??x");
}

static void
test_silent_deadline(void **state)
{
	struct fixture *fx = *state;

	fx->mode = PEER_SILENT;
	run_local(fx, 250);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "no reply within 250 ms");
	assert_true(fx->done_ms >= 240 && fx->done_ms < 2000);
	assert_memory_equal(fx->received, "RESTART\n", 8);
}

/* A partial line does not stop the deadline. */
static void
test_partial_line_deadline(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "OK RESTA";

	set_reply(fx, PEER_REPLY_STAY, r, sizeof(r) - 1);
	run_local(fx, 250);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "no reply within 250 ms");
}

static void
test_close_without_reply(void **state)
{
	struct fixture *fx = *state;

	fx->mode = PEER_CLOSE;
	run_local(fx, 10000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "connection closed without a reply");
	assert_true(fx->done_ms < 5000);	/* not the deadline */
}

/* Only INFO lines, then EOF: still no reply. */
static void
test_info_then_close(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "INFO Restarting TWS\n";

	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "connection closed without a reply");
}

/* A last line cut off by EOF still counts as the answer. */
static void
test_unterminated_line_at_eof(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "ERROR Command invalid";

	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "IBC answered: ERROR Command invalid");
}

static void
test_refused(void **state)
{
	struct fixture *fx = *state;

	evconnlistener_free(fx->lis);	/* nothing listens on the port now */
	fx->lis = NULL;
	run_local(fx, 10000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "connection refused");
	assert_true(fx->done_ms < 5000);	/* not the deadline */
}

static void
test_overlong_reply(void **state)
{
	struct fixture *fx = *state;
	char r[2000];

	memset(r, 'A', sizeof(r));
	set_reply(fx, PEER_REPLY_STAY, r, sizeof(r));	/* no newline at all */
	run_local(fx, 10000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "reply longer than 1024 bytes");
	assert_true(fx->done_ms < 5000);	/* not the deadline */
}

static void
test_overlong_line_with_newline(void **state)
{
	struct fixture *fx = *state;
	char r[1027];

	memcpy(r, "OK ", 3);
	memset(r + 3, 'x', 1022);	/* 1025 bytes before the LF */
	r[1025] = '\n';
	set_reply(fx, PEER_REPLY, r, 1026);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "reply longer than 1024 bytes");
}

static void
test_line_at_cap_accepted(void **state)
{
	struct fixture *fx = *state;
	char r[1025];

	memcpy(r, "OK ", 3);
	memset(r + 3, 'x', 1021);	/* exactly 1024 bytes before the LF */
	r[1024] = '\n';
	set_reply(fx, PEER_REPLY, r, 1025);
	run_local(fx, 2000);
	assert_int_equal(fx->ok, 1);
	assert_int_equal(strlen(fx->text), 1024);
	assert_memory_equal(fx->text, r, 1024);
}

/* A failure that happens at once (no socket left: EMFILE) is still reported
 * from the loop, never from inside ibc_cmd_new. */
static void
test_immediate_failure_deferred(void **state)
{
	struct fixture *fx = *state;
	struct rlimit lim;
	int fd;

	fx->mode = PEER_SILENT;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &fx->nofile), 0);
	fd = dup(0);			/* the lowest free descriptor */
	assert_true(fd >= 0);
	close(fd);
	lim = fx->nofile;
	lim.rlim_cur = (rlim_t)fd;	/* no new descriptor from here on */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	fx->restore_nofile = 1;
	run_local(fx, 10000);		/* asserts no call inside _new */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &fx->nofile), 0);
	fx->restore_nofile = 0;
	assert_int_equal(fx->ok, 0);
	assert_string_equal(fx->text, "cannot connect: Too many open files");
	assert_true(fx->done_ms < 5000);	/* not the deadline */
}

/* Freed before the answer (before the loop ran, or once connected): done
 * never runs and nothing leaks (ASan). */
static void
test_free_before_done(void **state)
{
	struct fixture *fx = *state;
	struct gw_err e;
	struct timeval tv = { 0, 300 * 1000 }, brief = { 0, 50 * 1000 };

	fx->mode = PEER_SILENT;
	fx->free_in_done = 0;
	fx->c = ibc_cmd_new(fx->base, "127.0.0.1", fx->port, "RESTART", 200,
	    done_cb, fx, &e);
	assert_non_null(fx->c);
	ibc_cmd_free(fx->c);		/* the loop never ran */
	fx->c = NULL;
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);	/* past the 200 ms deadline */
	assert_int_equal(fx->calls, 0);

	fx->c = ibc_cmd_new(fx->base, "127.0.0.1", fx->port, "RESTART", 200,
	    done_cb, fx, &e);
	assert_non_null(fx->c);
	event_base_loopexit(fx->base, &brief);
	event_base_dispatch(fx->base);
	assert_int_equal(fx->nreceived, 8);	/* connected and sent */
	ibc_cmd_free(fx->c);
	fx->c = NULL;
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
	assert_int_equal(fx->calls, 0);
}

/* The done callback need not free: ibc_cmd_free afterwards is fine too. */
static void
test_free_after_done(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "OK\n";
	struct timeval tv = { 0, 400 * 1000 };

	fx->free_in_done = 0;
	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run_local(fx, 200);
	assert_int_equal(fx->ok, 1);
	assert_string_equal(fx->text, "OK");
	assert_non_null(fx->c);		/* teardown frees it */
	event_base_loopexit(fx->base, &tv);	/* past the deadline */
	event_base_dispatch(fx->base);
	assert_int_equal(fx->calls, 1);
}

static void
test_localhost_name(void **state)
{
	struct fixture *fx = *state;
	static const char r[] = "OK RESTART in progress\n";

	set_reply(fx, PEER_REPLY, r, sizeof(r) - 1);
	run(fx, "localhost", fx->port, "RESTART", 2000);
	assert_int_equal(fx->ok, 1);
	assert_string_equal(fx->text, "OK RESTART in progress");
}

static void
test_bad_arguments(void **state)
{
	struct fixture *fx = *state;
	char big[IBC_MAX_COMMAND + 2];
	struct gw_err e;

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
#define BAD(host, port, cmd, ms, want) do {					\
	e.msg[0] = '\0';							\
	assert_null(ibc_cmd_new(fx->base, host, port, cmd, ms, done_cb, fx, &e)); \
	assert_string_equal(e.msg, want);					\
} while (0)
	BAD("", 7462, "RESTART", 1000, "ibc: host must be 1..253 characters");
	BAD(NULL, 7462, "RESTART", 1000, "ibc: host must be 1..253 characters");
	BAD("127.0.0.1", 0, "RESTART", 1000, "ibc: port 0 not in 1..65535");
	BAD("127.0.0.1", 65536, "RESTART", 1000, "ibc: port 65536 not in 1..65535");
	BAD("127.0.0.1", 7462, "", 1000, "ibc: command must be 1..256 characters");
	BAD("127.0.0.1", 7462, big, 1000, "ibc: command must be 1..256 characters");
	BAD("127.0.0.1", 7462, "RESTART\nSTOP", 1000,
	    "ibc: command must be printable ASCII (byte 7 is 0x0a)");
	BAD("127.0.0.1", 7462, "RESTART\r", 1000,
	    "ibc: command must be printable ASCII (byte 7 is 0x0d)");
	BAD("127.0.0.1", 7462, "   ", 1000, "ibc: command is blank");
	BAD("127.0.0.1", 7462, "RESTART", 0, "ibc: timeout 0 ms not in 1..600000");
	BAD("127.0.0.1", 7462, "RESTART", 600001,
	    "ibc: timeout 600001 ms not in 1..600000");
	e.msg[0] = '\0';
	assert_null(ibc_cmd_new(fx->base, "127.0.0.1", 7462, "RESTART", 1000,
	    NULL, fx, &e));
	assert_string_equal(e.msg, "ibc: a done callback is required");
#undef BAD
	assert_int_equal(fx->calls, 0);
}

static void
test_reply_ok(void **state)
{
	(void)state;
#define OK_(s) ibc_reply_ok(s, sizeof(s) - 1)
	assert_int_equal(OK_("OK"), 1);
	assert_int_equal(OK_("OK "), 1);
	assert_int_equal(OK_("OK RESTART in progress"), 1);
	assert_int_equal(OK_("OK RESTART at 04:31 PM"), 1);
	assert_int_equal(OK_("OK\tx"), 1);
	assert_int_equal(OK_("OK\r\n"), 1);
	assert_int_equal(OK_("OK\n"), 1);
	assert_int_equal(OK_(""), 0);
	assert_int_equal(OK_("O"), 0);
	assert_int_equal(OK_("ok RESTART"), 0);
	assert_int_equal(OK_("Ok"), 0);
	assert_int_equal(OK_("OKAY"), 0);
	assert_int_equal(OK_("OK:"), 0);
	assert_int_equal(OK_(" OK"), 0);
	assert_int_equal(OK_("ERROR Command invalid"), 0);
	assert_int_equal(OK_("INFO OK"), 0);
	assert_int_equal(OK_("IBC> OK RESTART in progress"), 0);
	assert_int_equal(OK_("\0OK"), 0);
#undef OK_
	/* len is honoured: the bytes after it are not looked at */
	assert_int_equal(ibc_reply_ok("OKAY", 2), 1);
	assert_int_equal(ibc_reply_ok("OK", 1), 0);
	assert_int_equal(ibc_reply_ok(NULL, 0), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ok_reply),
		T(test_ok_reply_crlf_server_stays),
		T(test_info_lines_skipped),
		T(test_early_info_is_not_a_reply),
		T(test_error_reply),
		T(test_error_reply_quoted),
		T(test_silent_deadline),
		T(test_partial_line_deadline),
		T(test_close_without_reply),
		T(test_info_then_close),
		T(test_unterminated_line_at_eof),
		T(test_refused),
		T(test_overlong_reply),
		T(test_overlong_line_with_newline),
		T(test_line_at_cap_accepted),
		T(test_immediate_failure_deferred),
		T(test_free_before_done),
		T(test_free_after_done),
		T(test_localhost_name),
		T(test_bad_arguments),
		cmocka_unit_test(test_reply_ok),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
