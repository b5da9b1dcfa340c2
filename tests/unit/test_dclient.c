/* Unit tests for lib/dclient over real Unix sockets: a forked one-connection
 * server per test plays the daemon (a normal reply, one without newline,
 * none, half a line then a stall, too long, not JSON, a slow reader of a
 * large request, a close before reading); a listener that never accepts.
 * The same servers for dclient_async on a libevent base. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dclient.h"

#define REQ "{\"cmd\":\"ping\"}"
#define BIG_REQ_BYTES (4 * 1024 * 1024)	/* far over any socket buffer */

enum srv_mode {
	SRV_REPLY,		/* check the request, reply one line */
	SRV_NO_NEWLINE,		/* reply without newline, then close */
	SRV_CLOSE,		/* read the request, close without a word */
	SRV_HALF,		/* half a line, then wait for the client to go */
	SRV_LONG,		/* a reply line of fx->n bytes */
	SRV_NOT_JSON,		/* a line that is no JSON object */
	SRV_ARRAY,		/* a JSON array */
	SRV_COUNT,		/* read a large request in small bites, reply
				 * its length */
	SRV_BUSY_UNREAD,	/* reply and close before reading anything */
	SRV_CLOSE_UNREAD,	/* close before reading anything, no reply */
	SRV_REFUSED,		/* {"ok":false,"error":...} */
	SRV_NO_OK,		/* a JSON object without a boolean "ok" */
};

struct fixture {
	char dir[64];		/* a fresh mkdtemp directory */
	char path[128];		/* dir/d.sock */
	int lfd;		/* the listener, -1 */
	pid_t pid;		/* the server, 0 */
	size_t n;		/* SRV_LONG: the reply's length */
};

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A blocking listener at path with this backlog, or -1. */
static int
listen_at(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, backlog) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_dclient.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/d.sock", fx->dir);
	fx->lfd = -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->pid > 0) {	/* a test that failed half-way */
		kill(fx->pid, SIGKILL);
		waitpid(fx->pid, NULL, 0);
	}
	if (fx->lfd >= 0)
		close(fx->lfd);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	signal(SIGPIPE, SIG_DFL);
	return 0;
}

/* Read up to and including the first newline (or EOF); keeps the first
 * cap - 1 bytes in buf, NUL-terminated, without the newline; returns the
 * line's whole length, -1 on error. Reads in bites of at most bite. */
static long
srv_read_line(int fd, char *buf, size_t cap, size_t bite)
{
	char chunk[4096];
	long total = 0;

	if (bite > sizeof(chunk))
		bite = sizeof(chunk);
	buf[0] = '\0';
	for (;;) {
		ssize_t n = read(fd, chunk, bite);
		char *nl;
		size_t use;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return total;
		nl = memchr(chunk, '\n', (size_t)n);
		use = nl ? (size_t)(nl - chunk) : (size_t)n;
		if ((size_t)total + 1 < cap) {
			size_t room = cap - 1 - (size_t)total;

			memcpy(buf + total, chunk, use < room ? use : room);
			buf[total + (long)(use < room ? use : room)] = '\0';
		}
		total += (long)use;
		if (nl != NULL)
			return total;
	}
}

static int
srv_write(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The server child: one connection, then _exit with 0 when all went as
 * the test expects (never returns into cmocka). */
static void
serve(int lfd, enum srv_mode m, size_t n)
{
	static const char ok[] = "{\"ok\":true,\"pong\":1}\n";
	static const char busy[] =
	    "{\"ok\":false,\"error\":\"too many\",\"busy\":true}\n";
	static const char not_json[] = "dclient says \"ok\":true\n";
	static const char array[] = "[{\"ok\":true}]\n";
	static const char refused[] = "{\"ok\":false,\"error\":\"no such\"}\n";
	static const char no_ok[] = "{\"ok\":\"yes\"}\n";
	char line[256];
	char *big;
	long len;
	int c;

	signal(SIGPIPE, SIG_IGN);	/* the client may leave first */
	if ((c = accept(lfd, NULL, NULL)) < 0)
		_exit(10);
	switch (m) {
	case SRV_BUSY_UNREAD:
		_exit(srv_write(c, busy, strlen(busy)) < 0 ? 11 : 0);
	case SRV_CLOSE_UNREAD:
		_exit(0);
	case SRV_COUNT:
		len = srv_read_line(c, line, sizeof(line), 512);
		snprintf(line, sizeof(line), "{\"ok\":true,\"n\":%ld}\n", len);
		_exit(srv_write(c, line, strlen(line)) < 0 ? 11 : 0);
	default:
		break;
	}
	len = srv_read_line(c, line, sizeof(line), sizeof(line));
	if (len != (long)strlen(REQ) || strcmp(line, REQ) != 0)
		_exit(12);
	switch (m) {
	case SRV_REPLY:
		_exit(srv_write(c, ok, strlen(ok)) < 0 ? 11 : 0);
	case SRV_NO_NEWLINE:
		_exit(srv_write(c, ok, strlen(ok) - 1) < 0 ? 11 : 0);
	case SRV_CLOSE:
		_exit(0);
	case SRV_HALF:
		if (srv_write(c, "{\"ok\":tr", 8) < 0)
			_exit(11);
		/* stall until the client gives up and closes */
		_exit(read(c, line, sizeof(line)) == 0 ? 0 : 13);
	case SRV_LONG:
		/* {"s":"xxx..."} of n bytes, then a newline */
		if ((big = malloc(n + 1)) == NULL)
			_exit(14);
		memset(big, 'x', n);
		memcpy(big, "{\"s\":\"", 6);
		memcpy(big + n - 2, "\"}", 2);
		big[n] = '\n';
		(void)srv_write(c, big, n + 1);	/* cut short by a client at its cap */
		_exit(0);
	case SRV_NOT_JSON:
		_exit(srv_write(c, not_json, strlen(not_json)) < 0 ? 11 : 0);
	case SRV_ARRAY:
		_exit(srv_write(c, array, strlen(array)) < 0 ? 11 : 0);
	case SRV_REFUSED:
		_exit(srv_write(c, refused, strlen(refused)) < 0 ? 11 : 0);
	case SRV_NO_OK:
		_exit(srv_write(c, no_ok, strlen(no_ok)) < 0 ? 11 : 0);
	default:
		_exit(15);
	}
}

/* Listen at fx->path and fork the server. */
static void
start_server(struct fixture *fx, enum srv_mode m)
{
	fx->lfd = listen_at(fx->path, 4);
	assert_true(fx->lfd >= 0);
	fx->pid = fork();
	assert_true(fx->pid >= 0);
	if (fx->pid == 0)
		serve(fx->lfd, m, fx->n);
}

/* The server's verdict: 0 when it saw what it expected. */
static int
server_status(struct fixture *fx)
{
	int st;

	assert_int_equal(waitpid(fx->pid, &st, 0), fx->pid);
	fx->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* err's message is fmt with the socket path (a macro: fmt stays a
 * literal the compiler checks) */
#define assert_msg(e, fmt, path) do {					\
	char want_[512];						\
									\
	snprintf(want_, sizeof(want_), fmt, path);			\
	assert_string_equal((e)->msg, want_);				\
} while (0)

static void
test_normal_reply(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };

	start_server(fx, SRV_REPLY);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 4096, &rep, &e), 0);
	assert_int_equal(rep.fail, DCLIENT_OK);
	assert_string_equal(rep.line, "{\"ok\":true,\"pong\":1}");
	assert_int_equal(rep.len, strlen(rep.line));
	assert_true(json_is_object(rep.obj));
	assert_true(json_is_true(json_object_get(rep.obj, "ok")));
	assert_int_equal(json_integer_value(json_object_get(rep.obj, "pong")), 1);
	dclient_reply_clear(&rep);
	assert_null(rep.line);
	assert_null(rep.obj);
	dclient_reply_clear(&rep);	/* idempotent */
	assert_int_equal(server_status(fx), 0);
}

static void
test_reply_ends_at_eof(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };

	start_server(fx, SRV_NO_NEWLINE);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 4096, &rep, &e), 0);
	assert_string_equal(rep.line, "{\"ok\":true,\"pong\":1}");
	assert_true(json_is_true(json_object_get(rep.obj, "ok")));
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_closed_without_reply(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };

	start_server(fx, SRV_CLOSE);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 4096, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_IO);
	assert_msg(&e, "%s closed the connection without a reply", fx->path);
	assert_null(rep.line);
	assert_null(rep.obj);
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_deadline_mid_reply(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	long t0, dt;

	start_server(fx, SRV_HALF);
	t0 = now_ms();
	assert_int_equal(dclient_ask(fx->path, REQ, 300, 4096, &rep, &e), -1);
	dt = now_ms() - t0;
	assert_int_equal(rep.fail, DCLIENT_FAIL_TIMEOUT);
	assert_msg(&e, "no reply from %s within the deadline", fx->path);
	assert_true(dt >= 300);
	assert_true(dt < 3000);
	assert_null(rep.line);
	assert_int_equal(server_status(fx), 0);	/* it saw us close */
}

static void
test_nothing_listening(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	int fd;

	assert_int_equal(dclient_ask(fx->path, REQ, 1000, 4096, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_CONNECT);
	assert_msg(&e, "cannot connect to %s: No such file or directory",
	    fx->path);
	/* a socket file nobody listens on (a killed daemon's) */
	fd = listen_at(fx->path, 1);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(dclient_ask(fx->path, REQ, 1000, 4096, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_CONNECT);
	assert_msg(&e, "cannot connect to %s: Connection refused", fx->path);
}

/* A listener that never accepts and whose backlog is full (a stalled
 * daemon): connect waits, but only until the deadline. */
static void
test_backlog_full(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fds[64], nfd = 0, i, full = 0;
	long t0, dt;

	fx->lfd = listen_at(fx->path, 0);
	assert_true(fx->lfd >= 0);
	memcpy(sa.sun_path, fx->path, strlen(fx->path) + 1);
	while (nfd < 64 && !full) {
		fds[nfd] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(fds[nfd] >= 0);
		if (connect(fds[nfd], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			assert_int_equal(errno, EAGAIN);
			full = 1;
		}
		nfd++;
	}
	assert_true(full);
	t0 = now_ms();
	assert_int_equal(dclient_ask(fx->path, REQ, 300, 4096, &rep, &e), -1);
	dt = now_ms() - t0;
	assert_int_equal(rep.fail, DCLIENT_FAIL_CONNECT);
	assert_msg(&e, "%s did not take the connection within the deadline",
	    fx->path);
	assert_true(dt >= 300);
	assert_true(dt < 3000);
	for (i = 0; i < nfd; i++)
		close(fds[i]);
}

static void
test_path_too_long(void **state)
{
	struct dclient_reply rep;
	struct gw_err e = { "" };
	char path[200];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(dclient_ask(path, REQ, 1000, 4096, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_CONNECT);
	assert_non_null(strstr(e.msg, "the socket path is 199 bytes long, "
	    "the limit is 107"));
	assert_int_equal(dclient_ask("", REQ, 1000, 4096, &rep, &e), -1);
	assert_string_equal(e.msg, "cannot connect: the socket path is empty");
}

static void
test_request_must_be_one_line(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };

	start_server(fx, SRV_REPLY);
	assert_int_equal(dclient_ask(fx->path, REQ "\n" REQ, 1000, 4096, &rep,
	    &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_CONNECT);	/* nothing sent */
	assert_msg(&e, "a request to %s must be one line", fx->path);
	/* the server still waits for a client: this one is served */
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 4096, &rep, &e), 0);
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_reply_over_the_cap(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	char want[512];

	fx->n = 100000;
	start_server(fx, SRV_LONG);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 1000, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_IO);
	snprintf(want, sizeof(want), "%s: a reply longer than 1000 bytes",
	    fx->path);
	assert_string_equal(e.msg, want);
	assert_null(rep.line);
	assert_int_equal(server_status(fx), 0);
	close(fx->lfd);
	unlink(fx->path);
	/* one byte over */
	fx->n = 1001;
	start_server(fx, SRV_LONG);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 1000, &rep, &e), -1);
	assert_string_equal(e.msg, want);
	assert_int_equal(server_status(fx), 0);
	close(fx->lfd);
	unlink(fx->path);
	/* exactly at the cap: taken */
	fx->n = 1000;
	start_server(fx, SRV_LONG);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 1000, &rep, &e), 0);
	assert_int_equal(rep.len, 1000);
	assert_int_equal(strlen(json_string_value(json_object_get(rep.obj,
	    "s"))), 1000 - 8);
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_reply_not_json(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	char want[512];

	start_server(fx, SRV_NOT_JSON);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 4096, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_JSON);
	assert_string_equal(rep.line, "dclient says \"ok\":true");	/* kept */
	assert_null(rep.obj);
	assert_true(rep.jerr.text[0] != '\0');
	snprintf(want, sizeof(want), "%s: a reply that is not a JSON object: %s",
	    fx->path, rep.jerr.text);
	assert_string_equal(e.msg, want);
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
	close(fx->lfd);
	unlink(fx->path);
	/* valid JSON, but no object */
	start_server(fx, SRV_ARRAY);
	assert_int_equal(dclient_ask(fx->path, REQ, 5000, 4096, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_JSON);
	assert_string_equal(rep.jerr.text, "Expected object, got array");
	assert_null(rep.obj);
	assert_string_equal(rep.line, "[{\"ok\":true}]");
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

/* 4 MiB of request to a server reading 512 bytes at a time: the client's
 * writes are partial and meet EAGAIN; every byte arrives, in order. */
static void
test_large_request_slow_reader(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	char *req = malloc(BIG_REQ_BYTES + 1);

	assert_non_null(req);
	memset(req, 'r', BIG_REQ_BYTES);
	req[BIG_REQ_BYTES] = '\0';
	start_server(fx, SRV_COUNT);
	assert_int_equal(dclient_ask(fx->path, req, 20000, 4096, &rep, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(rep.obj, "n")),
	    BIG_REQ_BYTES);
	dclient_reply_clear(&rep);
	free(req);
	assert_int_equal(server_status(fx), 0);
}

/* A daemon that answers and closes before reading (too many clients):
 * its answer is read while we were still writing; no SIGPIPE (left at its
 * default action here, so it would kill the test). */
static void
test_peer_answers_and_closes_while_we_write(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	char *req = malloc(BIG_REQ_BYTES + 1);

	assert_non_null(req);
	memset(req, 'r', BIG_REQ_BYTES);
	req[BIG_REQ_BYTES] = '\0';
	signal(SIGPIPE, SIG_DFL);
	start_server(fx, SRV_BUSY_UNREAD);
	assert_int_equal(dclient_ask(fx->path, req, 5000, 4096, &rep, &e), 0);
	assert_string_equal(rep.line,
	    "{\"ok\":false,\"error\":\"too many\",\"busy\":true}");
	assert_true(json_is_true(json_object_get(rep.obj, "busy")));
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
	close(fx->lfd);
	unlink(fx->path);
	/* closed before reading, without a word: an error, not a signal */
	start_server(fx, SRV_CLOSE_UNREAD);
	assert_int_equal(dclient_ask(fx->path, req, 5000, 4096, &rep, &e), -1);
	assert_int_equal(rep.fail, DCLIENT_FAIL_IO);
	assert_non_null(strstr(e.msg, fx->path));
	assert_true(strstr(e.msg, "closed the connection without a reply") ||
	    strstr(e.msg, "reset the connection without a reply"));
	assert_int_equal(server_status(fx), 0);
	free(req);
}

/* dclient_request judges a reply by "ok", "error" and "busy". */
static void
test_request_done(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	const char *msg = "x";

	start_server(fx, SRV_REPLY);
	assert_int_equal(dclient_request(fx->path, REQ, 5000, 4096, &rep, &msg,
	    &e), DCLIENT_DONE);
	assert_null(msg);
	assert_string_equal(rep.line, "{\"ok\":true,\"pong\":1}");
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_request_refused(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	const char *msg = NULL;

	start_server(fx, SRV_REFUSED);
	assert_int_equal(dclient_request(fx->path, REQ, 5000, 4096, &rep, &msg,
	    &e), DCLIENT_REFUSED);
	assert_non_null(msg);
	assert_string_equal(msg, "no such");
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_request_busy(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	const char *msg = NULL;

	start_server(fx, SRV_BUSY_UNREAD);
	assert_int_equal(dclient_request(fx->path, REQ, 5000, 4096, &rep, &msg,
	    &e), DCLIENT_BUSY);
	assert_string_equal(msg, "too many");
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_request_no_ok(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	const char *msg = NULL;

	start_server(fx, SRV_NO_OK);
	assert_int_equal(dclient_request(fx->path, REQ, 5000, 4096, &rep, &msg,
	    &e), DCLIENT_NO_ANSWER);
	assert_non_null(strstr(e.msg, "a reply that is not a JSON object with"));
	assert_non_null(strstr(e.msg, fx->path));
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

static void
test_request_timeout_named(void **state)
{
	struct fixture *fx = *state;
	struct dclient_reply rep;
	struct gw_err e = { "" };
	const char *msg = NULL;

	start_server(fx, SRV_HALF);
	assert_int_equal(dclient_request(fx->path, REQ, 300, 4096, &rep, &msg,
	    &e), DCLIENT_NO_ANSWER);
	assert_non_null(strstr(e.msg, "within the deadline (--timeout)"));
	dclient_reply_clear(&rep);
	assert_int_equal(server_status(fx), 0);
}

/* ---------- dclient_async on a libevent base ---------- */

#define GUARD_MS 10000	/* a test whose callback never comes fails here */

struct aresult {
	int calls;
	enum dclient_verdict v;
	enum dclient_fail fail;
	char line[256];
	char msg[128];		/* "" when msg was NULL */
	struct gw_err err;
	struct dclient_async *a;
	int free_in_cb;
	int timed_out;		/* the guard fired */
	struct event_base *base;
};

static void
adone(void *arg, enum dclient_verdict v, const struct dclient_reply *rep,
    const char *msg, const struct gw_err *err)
{
	struct aresult *r = arg;

	r->calls++;
	r->v = v;
	r->fail = rep->fail;
	snprintf(r->line, sizeof(r->line), "%s", rep->line ? rep->line : "");
	snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
	r->err = *err;
	if (r->free_in_cb) {
		dclient_async_free(r->a);
		r->a = NULL;
	}
	event_base_loopbreak(r->base);
}

static void
on_guard(evutil_socket_t fd, short what, void *arg)
{
	struct aresult *r = arg;

	(void)fd;
	(void)what;
	r->timed_out = 1;
	event_base_loopbreak(r->base);
}

/* Ask fx's socket on a fresh base and run the loop until the callback
 * (or the guard); then check that nothing of the request is left on the
 * loop (it would call back twice). Returns the elapsed ms. */
static long
async_run(struct fixture *fx, struct aresult *r, long timeout_ms,
    size_t reply_max)
{
	struct timeval gtv = { GUARD_MS / 1000, 0 };
	struct event *guard;
	struct gw_err e = { "" };
	long t0;

	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	assert_non_null(r->base);
	guard = evtimer_new(r->base, on_guard, r);
	assert_non_null(guard);
	t0 = now_ms();
	r->a = dclient_async_new(r->base, fx->path, REQ, timeout_ms, reply_max,
	    adone, r, &e);
	assert_non_null(r->a);
	assert_int_equal(r->calls, 0);		/* never from inside _new */
	evtimer_add(guard, &gtv);
	event_base_dispatch(r->base);
	t0 = now_ms() - t0;
	assert_false(r->timed_out);
	assert_int_equal(r->calls, 1);
	event_free(guard);
	/* no event of the request is still pending: dispatch returns at once */
	assert_int_equal(event_base_dispatch(r->base), 1);
	assert_int_equal(r->calls, 1);
	return t0;
}

static void
async_end(struct aresult *r)
{
	dclient_async_free(r->a);
	r->a = NULL;
	event_base_free(r->base);
}

static void
test_async_reply(void **state)
{
	struct fixture *fx = *state;
	struct aresult r;

	start_server(fx, SRV_REPLY);
	async_run(fx, &r, 5000, 4096);
	assert_int_equal(r.v, DCLIENT_DONE);
	assert_int_equal(r.fail, DCLIENT_OK);
	assert_string_equal(r.line, "{\"ok\":true,\"pong\":1}");
	assert_string_equal(r.msg, "");
	async_end(&r);
	assert_int_equal(server_status(fx), 0);
}

static void
test_async_refused(void **state)
{
	struct fixture *fx = *state;
	struct aresult r;

	start_server(fx, SRV_REFUSED);
	async_run(fx, &r, 5000, 4096);
	assert_int_equal(r.v, DCLIENT_REFUSED);
	assert_string_equal(r.msg, "no such");
	assert_string_equal(r.line, "{\"ok\":false,\"error\":\"no such\"}");
	async_end(&r);
	assert_int_equal(server_status(fx), 0);
}

/* The daemon answers "busy" and closes before reading our request. */
static void
test_async_busy(void **state)
{
	struct fixture *fx = *state;
	struct aresult r;

	signal(SIGPIPE, SIG_DFL);	/* a SIGPIPE would kill the test */
	start_server(fx, SRV_BUSY_UNREAD);
	async_run(fx, &r, 5000, 4096);
	assert_int_equal(r.v, DCLIENT_BUSY);
	assert_string_equal(r.msg, "too many");
	async_end(&r);
	assert_int_equal(server_status(fx), 0);
}

static void
test_async_no_ok(void **state)
{
	struct fixture *fx = *state;
	struct aresult r;

	start_server(fx, SRV_NO_OK);
	async_run(fx, &r, 5000, 4096);
	assert_int_equal(r.v, DCLIENT_NO_ANSWER);
	assert_non_null(strstr(r.err.msg, "a reply that is not a JSON object "
	    "with \"ok\""));
	async_end(&r);
	assert_int_equal(server_status(fx), 0);
}

/* Nothing at the path, then a socket file nobody listens on: no answer,
 * from the loop, at once. */
static void
test_async_nothing_listening(void **state)
{
	struct fixture *fx = *state;
	struct aresult r;
	int fd;

	async_run(fx, &r, 5000, 4096);
	assert_int_equal(r.v, DCLIENT_NO_ANSWER);
	assert_int_equal(r.fail, DCLIENT_FAIL_CONNECT);
	assert_msg(&r.err, "cannot connect to %s: No such file or directory",
	    fx->path);
	async_end(&r);
	fd = listen_at(fx->path, 1);
	assert_true(fd >= 0);
	close(fd);
	assert_true(async_run(fx, &r, 5000, 4096) < 1000);
	assert_int_equal(r.fail, DCLIENT_FAIL_CONNECT);
	assert_msg(&r.err, "cannot connect to %s: Connection refused", fx->path);
	async_end(&r);
}

/* A stalled daemon whose backlog is full: tried again, until the
 * deadline. */
static void
test_async_backlog_full(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct aresult r;
	int fds[64], nfd = 0, i, full = 0;
	long dt;

	fx->lfd = listen_at(fx->path, 0);
	assert_true(fx->lfd >= 0);
	memcpy(sa.sun_path, fx->path, strlen(fx->path) + 1);
	while (nfd < 64 && !full) {
		fds[nfd] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(fds[nfd] >= 0);
		if (connect(fds[nfd], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			assert_int_equal(errno, EAGAIN);
			full = 1;
		}
		nfd++;
	}
	assert_true(full);
	dt = async_run(fx, &r, 300, 4096);
	assert_int_equal(r.v, DCLIENT_NO_ANSWER);
	assert_int_equal(r.fail, DCLIENT_FAIL_CONNECT);
	assert_msg(&r.err, "%s did not take the connection within the deadline",
	    fx->path);
	assert_true(dt >= 300);
	assert_true(dt < 3000);
	async_end(&r);
	for (i = 0; i < nfd; i++)
		close(fds[i]);
}

static void
test_async_deadline_mid_reply(void **state)
{
	struct fixture *fx = *state;
	struct aresult r;
	long dt;

	start_server(fx, SRV_HALF);
	dt = async_run(fx, &r, 300, 4096);
	assert_int_equal(r.v, DCLIENT_NO_ANSWER);
	assert_int_equal(r.fail, DCLIENT_FAIL_TIMEOUT);
	/* without dclient_request's "(--timeout)": no such option here */
	assert_msg(&r.err, "no reply from %s within the deadline", fx->path);
	assert_true(dt >= 300);
	assert_true(dt < 3000);
	async_end(&r);
	assert_int_equal(server_status(fx), 0);	/* it saw us close */
}

static void
test_async_reply_over_the_cap(void **state)
{
	struct fixture *fx = *state;
	struct aresult r;

	fx->n = 100000;
	start_server(fx, SRV_LONG);
	async_run(fx, &r, 5000, 1000);
	assert_int_equal(r.v, DCLIENT_NO_ANSWER);
	assert_int_equal(r.fail, DCLIENT_FAIL_IO);
	assert_msg(&r.err, "%s: a reply longer than 1000 bytes", fx->path);
	async_end(&r);
	assert_int_equal(server_status(fx), 0);
	close(fx->lfd);
	unlink(fx->path);
	/* exactly at the cap: taken */
	fx->n = 1000;
	start_server(fx, SRV_LONG);
	async_run(fx, &r, 5000, 1000);
	assert_int_equal(r.v, DCLIENT_NO_ANSWER);	/* no "ok" in it */
	assert_int_equal(r.fail, DCLIENT_OK);
	assert_int_equal(strlen(r.line), sizeof(r.line) - 1);	/* cut here */
	async_end(&r);
	assert_int_equal(server_status(fx), 0);
}

static void
on_cancel(evutil_socket_t fd, short what, void *arg)
{
	struct aresult *r = arg;

	(void)fd;
	(void)what;
	dclient_async_free(r->a);
	r->a = NULL;
}

/* Freed while the daemon is half-way through its reply: no callback, the
 * connection is closed (the server sees it), nothing left on the loop. */
static void
test_async_cancel(void **state)
{
	struct fixture *fx = *state;
	struct timeval tv = { 0, 100000 };
	struct gw_err e = { "" };
	struct aresult r;
	struct event *t;

	memset(&r, 0, sizeof(r));
	r.base = event_base_new();
	assert_non_null(r.base);
	start_server(fx, SRV_HALF);
	r.a = dclient_async_new(r.base, fx->path, REQ, 5000, 4096, adone, &r,
	    &e);
	assert_non_null(r.a);
	t = evtimer_new(r.base, on_cancel, &r);
	evtimer_add(t, &tv);
	/* returns once no event is left: the cancel took them all */
	assert_int_equal(event_base_dispatch(r.base), 1);
	assert_int_equal(r.calls, 0);
	assert_null(r.a);
	event_free(t);
	event_base_free(r.base);
	assert_int_equal(server_status(fx), 0);	/* it saw us close */
	close(fx->lfd);
	unlink(fx->path);
	/* freed before the loop ever ran: no callback, no connection */
	r.base = event_base_new();
	r.a = dclient_async_new(r.base, fx->path, REQ, 5000, 4096, adone, &r,
	    &e);
	assert_non_null(r.a);
	dclient_async_free(r.a);
	assert_int_equal(event_base_dispatch(r.base), 1);
	assert_int_equal(r.calls, 0);
	event_base_free(r.base);
}

static void
test_async_free_from_callback(void **state)
{
	struct fixture *fx = *state;
	struct timeval gtv = { GUARD_MS / 1000, 0 };
	struct gw_err e = { "" };
	struct aresult r;
	struct event *guard;

	memset(&r, 0, sizeof(r));
	r.base = event_base_new();
	r.free_in_cb = 1;
	guard = evtimer_new(r.base, on_guard, &r);
	evtimer_add(guard, &gtv);
	start_server(fx, SRV_REPLY);
	r.a = dclient_async_new(r.base, fx->path, REQ, 5000, 4096, adone, &r,
	    &e);
	assert_non_null(r.a);
	event_base_dispatch(r.base);
	assert_false(r.timed_out);
	assert_int_equal(r.calls, 1);
	assert_null(r.a);
	assert_int_equal(r.v, DCLIENT_DONE);
	event_free(guard);
	assert_int_equal(event_base_dispatch(r.base), 1);
	event_base_free(r.base);
	assert_int_equal(server_status(fx), 0);
	close(fx->lfd);
	unlink(fx->path);
	/* also when there was no answer */
	memset(&r, 0, sizeof(r));
	r.base = event_base_new();
	r.free_in_cb = 1;
	r.a = dclient_async_new(r.base, fx->path, REQ, 5000, 4096, adone, &r,
	    &e);
	event_base_dispatch(r.base);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.v, DCLIENT_NO_ANSWER);
	event_base_free(r.base);
}

/* What _new refuses at once, without a callback. */
static void
test_async_bad_arguments(void **state)
{
	struct fixture *fx = *state;
	struct event_base *base = event_base_new();
	struct gw_err e = { "" };
	struct aresult r;

	memset(&r, 0, sizeof(r));
	assert_null(dclient_async_new(base, "", REQ, 1000, 4096, adone, &r,
	    &e));
	assert_string_equal(e.msg, "cannot connect: the socket path is empty");
	assert_null(dclient_async_new(base, fx->path, REQ "\n" REQ, 1000, 4096,
	    adone, &r, &e));
	assert_msg(&e, "a request to %s must be one line", fx->path);
	assert_int_equal(event_base_dispatch(base), 1);
	assert_int_equal(r.calls, 0);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_no_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_timeout_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_normal_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_ends_at_eof, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_closed_without_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deadline_mid_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nothing_listening, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_backlog_full, setup, teardown),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test_setup_teardown(test_request_must_be_one_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_over_the_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reply_not_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_large_request_slow_reader,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_peer_answers_and_closes_while_we_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_no_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_nothing_listening,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_backlog_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_async_deadline_mid_reply,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_reply_over_the_cap,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_free_from_callback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_bad_arguments, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
