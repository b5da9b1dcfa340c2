/* Unit tests for lib/lineserv: real Unix sockets in a temporary directory,
 * served on a libevent base. Every wait runs the loop until a condition
 * holds, bounded by a deadline timer (a missed condition fails the test). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "lineserv.h"
#include "usock.h"

#define MAXC 4
#define BIG (64 * 1024)

/* A test client: a plain socket whose input is collected by the loop. */
struct peer {
	int fd;
	struct event *ev;
	struct evbuffer *got;
	int eof;
	int reading;		/* 0: replies left unread in the socket */
};

struct fx {
	struct event_base *base;
	char dir[64], path[128];
	struct lineserv_config cfg;
	struct lineserv_ops ops;
	struct lineserv *ls;
	struct peer p[MAXC];
	char log[8192];		/* what the owner saw, one record a line */
	int lines, closes, batches;
	size_t partial_at_close;
	long uid, pid;
	char *big;
	struct lineserv_client *held;
	struct event *release;
	int timed_out;
	int hold_victim;	/* on_full tries lineserv_hold on the victim */
};

static void
logf_(struct fx *f, const char *fmt, ...)
{
	size_t n = strlen(f->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->log + n, sizeof(f->log) - n, fmt, ap);
	va_end(ap);
}

/* ---------- the owner ---------- */

static void
on_line(struct lineserv_client *cl, const char *line, size_t len, int eol,
    void *arg)
{
	struct fx *f = arg;
	char r[64];

	f->lines++;
	logf_(f, "line %s %.*s%s\n", lineserv_client_origin(cl), (int)len, line,
	    eol ? "" : " (no LF)");
	if (len == 4 && memcmp(line, "big!", 4) == 0) {
		lineserv_reply(cl, f->big, BIG);
		return;
	}
	if (len == 4 && memcmp(line, "hold", 4) == 0) {
		assert_int_equal(lineserv_hold(cl), 0);
		f->held = cl;
		return;
	}
	if (len == 5 && memcmp(line, "hold?", 5) == 0) {	/* may fail */
		logf_(f, "hold %d\n", lineserv_hold(cl));
		return;
	}
	if (len == 5 && memcmp(line, "close", 5) == 0) {
		lineserv_reply(cl, "bye", 3);
		lineserv_close(cl);
		return;
	}
	snprintf(r, sizeof(r), "re %.*s", (int)(len > 40 ? 40 : len), line);
	lineserv_reply(cl, r, strlen(r));
}

static void
on_overlong(struct lineserv_client *cl, void *arg)
{
	logf_(arg, "overlong %s\n", lineserv_client_origin(cl));
}

static void
on_batch(struct lineserv_client *cl, void *arg)
{
	(void)cl;
	((struct fx *)arg)->batches++;
}

static int
on_connect(struct lineserv_client *cl, void *arg)
{
	struct fx *f = arg;

	lineserv_client_peer(cl, &f->uid, &f->pid);
	logf_(f, "connect %s\n", lineserv_client_origin(cl));
	return 0;
}

static void
on_full(struct lineserv *ls, struct lineserv_client *victim, void *arg)
{
	struct fx *f = arg;

	(void)ls;
	logf_(f, "full %s\n", victim ? lineserv_client_origin(victim) : "refused");
	if (victim != NULL && f->hold_victim)
		logf_(f, "hold victim %d\n", lineserv_hold(victim));
}

static void
on_close(struct lineserv_client *cl, enum lineserv_why why, void *arg)
{
	struct fx *f = arg;

	f->closes++;
	f->partial_at_close = lineserv_client_partial(cl);
	if (f->held == cl)
		f->held = NULL;
	logf_(f, "close %s %s\n", lineserv_client_origin(cl), lineserv_why_str(why));
}

/* ---------- the harness ---------- */

static void
peer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	int n;

	(void)what;
	n = evbuffer_read(p->got, fd, 65536);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		p->eof = 1;
		event_del(p->ev);
	}
}

static void
peer_open(struct fx *f, int i)
{
	struct gw_err e;
	struct peer *p = &f->p[i];

	p->fd = usock_connect(f->path, &e);
	assert_true(p->fd >= 0);
	evutil_make_socket_nonblocking(p->fd);
	p->got = evbuffer_new();
	p->reading = 1;
	p->ev = event_new(f->base, p->fd, EV_READ | EV_PERSIST, peer_cb, p);
	event_add(p->ev, NULL);
}

/* Leave replies unread in the socket (0), or read them again (1). */
static void
peer_reading(struct fx *f, int i, int on)
{
	struct peer *p = &f->p[i];

	p->reading = on;
	if (on)
		event_add(p->ev, NULL);
	else
		event_del(p->ev);
}

static void
peer_send(struct fx *f, int i, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(write(f->p[i].fd, s, n), (ssize_t)n);
}

/* The peer goes: its unread input is gone, our writes to it fail. */
static void
peer_close(struct fx *f, int i)
{
	event_del(f->p[i].ev);
	close(f->p[i].fd);
	f->p[i].fd = -1;
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct fx *)arg)->timed_out = 1;
}

typedef int (*pred_fn)(struct fx *f, const void *arg);

/* Run the loop until pred holds or seconds pass; returns pred's value. */
static int
run_until(struct fx *f, pred_fn pred, const void *arg, double seconds)
{
	struct timeval tv = { (time_t)seconds,
	    (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) };
	struct event *dl = evtimer_new(f->base, on_deadline, f);
	int ok;

	f->timed_out = 0;
	evtimer_add(dl, &tv);
	while (!(ok = pred(f, arg)) && !f->timed_out)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(dl);
	return ok;
}

static int
log_has(struct fx *f, const void *s)
{
	return strstr(f->log, s) != NULL;
}

struct got_arg {
	int i;
	const char *s;
};

static int
peer_has(struct fx *f, const void *a)
{
	const struct got_arg *g = a;

	return evbuffer_search(f->p[g->i].got, g->s, strlen(g->s), NULL).pos >= 0;
}

static int
peer_eof(struct fx *f, const void *a)
{
	return f->p[*(const int *)a].eof;
}

static int
peer_bytes(struct fx *f, const void *a)
{
	const struct got_arg *g = a;

	return evbuffer_get_length(f->p[g->i].got) >= (size_t)(uintptr_t)g->s;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/gwkit-lineserv-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	f->base = event_base_new();
	f->cfg.path = f->path;
	f->cfg.backlog = 16;
	f->cfg.max_line = 16;
	f->cfg.max_clients = 8;
	f->cfg.full = LINESERV_REFUSE;
	f->ops.on_line = on_line;
	f->ops.on_overlong = on_overlong;
	f->ops.on_batch = on_batch;
	f->ops.on_connect = on_connect;
	f->ops.on_full = on_full;
	f->ops.on_close = on_close;
	f->big = malloc(BIG);
	memset(f->big, 'b', BIG);
	*state = f;
	return 0;
}

static void
start(struct fx *f)
{
	struct gw_err e;

	f->ls = lineserv_new(f->base, &f->cfg, &f->ops, f, &e);
	if (f->ls == NULL)
		fail_msg("lineserv_new: %s", e.msg);
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int i;

	lineserv_free(f->ls);
	assert_int_equal(access(f->path, F_OK), -1);	/* unlinked */
	for (i = 0; i < MAXC; i++) {
		if (f->p[i].ev != NULL)
			event_free(f->p[i].ev);
		if (f->p[i].got != NULL)
			evbuffer_free(f->p[i].got);
		if (f->p[i].fd > 0)
			close(f->p[i].fd);
	}
	if (f->release != NULL)
		event_free(f->release);
	event_base_free(f->base);
	rmdir(f->dir);
	free(f->big);
	free(f);
	return 0;
}

/* ---------- the tests ---------- */

static void
test_lines_and_overlong(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 0, "re 0123456789abcdef\n" };
	char longline[100];

	start(f);
	peer_open(f, 0);
	/* 40 bytes: more than one read (17 bytes) before the LF; then a line
	 * of exactly max_line, and one with a CR kept for the owner */
	memset(longline, 'x', 40);
	snprintf(longline + 40, sizeof(longline) - 40, "\nok\r\n0123456789abcdef\n");
	peer_send(f, 0, longline);
	assert_true(run_until(f, peer_has, &g, 5));
	assert_string_equal(f->log, "connect socket peer 1\n"
	    "overlong socket peer 1\n"
	    "line socket peer 1 ok\r\n"
	    "line socket peer 1 0123456789abcdef\n");
	g.s = "re ok\r\n";
	assert_true(peer_has(f, &g));
	assert_true(f->batches >= 1);
	assert_int_equal(f->uid, (long)getuid());
	assert_int_equal(f->pid, (long)getpid());
	/* 17 bytes and an LF in one read: overlong too, once */
	peer_send(f, 0, "0123456789abcdefg\nnext\n");
	assert_true(run_until(f, log_has, "line socket peer 1 next\n", 5));
	assert_non_null(strstr(f->log, "abcdef\noverlong socket peer 1\nline"));
}

static void
test_last_line_at_eof_and_half_close_flush(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 0, NULL };
	size_t want = 5 + 8 * (BIG + 1) + 8;
	int zero = 0;

	start(f);
	peer_open(f, 0);
	/* 512 KiB of replies: more than the socket buffer holds */
	peer_send(f, 0, "a\nbig!\nbig!\nbig!\nbig!\nbig!\nbig!\nbig!\nbig!\nlast");
	shutdown(f->p[0].fd, SHUT_WR);
	peer_reading(f, 0, 0);
	assert_true(run_until(f, log_has, "line socket peer 1 last (no LF)\n", 5));
	/* half-closed with replies unread: it stays */
	assert_false(run_until(f, log_has, "close socket peer 1", 0.3));
	peer_reading(f, 0, 1);
	g.s = (const char *)(uintptr_t)want;
	assert_true(run_until(f, peer_bytes, &g, 5));
	assert_true(run_until(f, peer_eof, &zero, 5));
	assert_true(run_until(f, log_has, "close socket peer 1 done\n", 5));
	g.s = "re last\n";
	assert_true(peer_has(f, &g));
	assert_int_equal(evbuffer_get_length(f->p[0].got), want);
}

static void
test_idle(void **state)
{
	struct fx *f = *state;

	f->cfg.idle_s = 0.2;
	start(f);
	peer_open(f, 0);
	peer_open(f, 1);
	peer_send(f, 1, "half");
	assert_true(run_until(f, log_has, "close socket peer 1 idle\n", 5));
	assert_true(run_until(f, log_has, "close socket peer 2 half a line\n", 5));
	assert_int_equal(f->partial_at_close, 4);
}

static void
test_replies_not_read(void **state)
{
	struct fx *f = *state;
	char req[30 * 5 + 1] = "";
	int i;

	f->cfg.max_line = 64;
	f->cfg.out_high = 4096;
	f->cfg.out_low = 1024;
	f->cfg.idle_s = 0.3;
	start(f);
	peer_open(f, 0);
	peer_reading(f, 0, 0);
	for (i = 0; i < 30; i++)
		strcat(req, "big!\n");
	peer_send(f, 0, req);
	assert_true(run_until(f, log_has, "close socket peer 1 replies not read\n", 5));
	/* 30 replies of 64 KiB are more than any socket buffer: reading
	 * stopped before all the requests were delivered */
	assert_true(f->lines < 30);
}

/* Without idle_s, a client that never reads is still closed within a
 * bound (linger_s without write progress): one that half-closes while
 * paused (its EOF is never read), and one closed by the owner. */
static void
test_unread_without_idle_paused_at_eof(void **state)
{
	struct fx *f = *state;
	char req[30 * 5 + 1] = "";
	int i;

	f->cfg.max_line = 64;
	f->cfg.out_high = 4096;
	f->cfg.out_low = 0;
	f->cfg.linger_s = 0.3;
	start(f);
	peer_open(f, 0);
	peer_reading(f, 0, 0);
	for (i = 0; i < 30; i++)
		strcat(req, "big!\n");
	peer_send(f, 0, req);
	shutdown(f->p[0].fd, SHUT_WR);
	assert_true(run_until(f, log_has, "close socket peer 1 replies not read\n", 5));
	assert_int_equal(lineserv_count(f->ls), 0);
}

static void
test_unread_without_idle_closed_by_owner(void **state)
{
	struct fx *f = *state;

	f->cfg.max_line = 64;
	f->cfg.linger_s = 0.3;
	start(f);
	peer_open(f, 0);
	peer_reading(f, 0, 0);
	/* 512 KiB of replies, more than the socket holds, then our close */
	peer_send(f, 0, "big!\nbig!\nbig!\nbig!\nbig!\nbig!\nbig!\nbig!\nclose\n");
	assert_true(run_until(f, log_has, "line socket peer 1 close\n", 5));
	assert_true(run_until(f, log_has, "close socket peer 1 replies not read\n", 5));
	assert_int_equal(lineserv_count(f->ls), 0);
}

/* With deliver_at_error, a held client whose connection fails still has
 * its waiting lines delivered, and can no longer be held. */
static void
test_error_while_held_delivers(void **state)
{
	struct fx *f = *state;

	f->cfg.deliver_at_error = 1;
	start(f);
	peer_open(f, 0);
	/* gone before our reply to x is written: that write fails */
	peer_send(f, 0, "x\nhold\nhold?\nB\n");
	peer_close(f, 0);
	assert_true(run_until(f, log_has, "close socket peer 1 connection error\n", 5));
	assert_non_null(strstr(f->log, "line socket peer 1 hold\n"
	    "line socket peer 1 hold?\nhold -1\n"
	    "line socket peer 1 B\n"
	    "close socket peer 1 connection error\n"));
}

/* ... and one dropped for replies not read has its whole lines read so
 * far delivered. */
static void
test_unread_timeout_delivers(void **state)
{
	struct fx *f = *state;
	char req[16 * 5 + 3] = "";
	int i;

	f->cfg.deliver_at_error = 1;
	f->cfg.max_line = 128;	/* all of it in one read */
	f->cfg.out_high = 4096;
	f->cfg.out_low = 1024;
	f->cfg.idle_s = 0.3;
	start(f);
	peer_open(f, 0);
	peer_reading(f, 0, 0);
	for (i = 0; i < 16; i++)
		strcat(req, "big!\n");
	strcat(req, "B\n");
	peer_send(f, 0, req);
	assert_true(run_until(f, log_has, "close socket peer 1 replies not read\n", 5));
	assert_non_null(strstr(f->log, "line socket peer 1 B\n"
	    "close socket peer 1 replies not read\n"));
	assert_int_equal(f->lines, 17);
}

static void
test_back_pressure_resumes(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 0, (const char *)(uintptr_t)(30 * (BIG + 1)) };
	char req[30 * 5 + 1] = "";
	int i;

	f->cfg.max_line = 64;
	f->cfg.out_high = 4096;
	f->cfg.out_low = 1024;
	start(f);
	peer_open(f, 0);
	for (i = 0; i < 30; i++)
		strcat(req, "big!\n");
	peer_send(f, 0, req);
	assert_true(run_until(f, peer_bytes, &g, 10));
	assert_int_equal(f->lines, 30);
	assert_int_equal(f->closes, 0);
}

static void
test_refuse_with_busy_line(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 1, "{\"busy\":true}\n" };
	int one = 1;

	f->cfg.max_clients = 1;
	f->cfg.busy_line = "{\"busy\":true}";
	start(f);
	peer_open(f, 0);
	assert_true(run_until(f, log_has, "connect socket peer 1\n", 5));
	peer_open(f, 1);
	assert_true(run_until(f, peer_eof, &one, 5));
	assert_true(peer_has(f, &g));
	assert_non_null(strstr(f->log, "full refused\n"));
	assert_int_equal(lineserv_count(f->ls), 1);
	/* the first one is still served */
	g.i = 0;
	g.s = "re x\n";
	peer_send(f, 0, "x\n");
	assert_true(run_until(f, peer_has, &g, 5));
}

static void
test_evict_least_recently_active(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 2, "re new\n" };
	int zero = 0;

	f->cfg.max_clients = 2;
	f->cfg.full = LINESERV_EVICT;
	start(f);
	peer_open(f, 0);
	peer_open(f, 1);
	peer_send(f, 0, "first\ntail");
	assert_true(run_until(f, log_has, "line socket peer 1 first\n", 5));
	peer_send(f, 1, "x\n");	/* peer 2 is now the more recent */
	assert_true(run_until(f, log_has, "line socket peer 2 x\n", 5));
	peer_open(f, 2);
	peer_send(f, 2, "new\n");
	assert_true(run_until(f, peer_has, &g, 5));
	/* peer 1 went, keeping what it sent (its last line without LF) */
	assert_non_null(strstr(f->log, "full socket peer 1\n"
	    "line socket peer 1 tail (no LF)\n"
	    "close socket peer 1 evicted\n"));
	assert_true(run_until(f, peer_eof, &zero, 5));
	assert_int_equal(lineserv_count(f->ls), 2);
}

/* The victim is already going when on_full is told: it cannot be held,
 * and its lines are still delivered. */
static void
test_evict_victim_not_held_in_on_full(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 1, "re new\n" };

	f->cfg.max_clients = 1;
	f->cfg.full = LINESERV_EVICT;
	f->hold_victim = 1;
	start(f);
	peer_open(f, 0);
	peer_send(f, 0, "first\ntail");
	assert_true(run_until(f, log_has, "line socket peer 1 first\n", 5));
	peer_open(f, 1);
	peer_send(f, 1, "new\n");
	assert_true(run_until(f, peer_has, &g, 5));
	assert_non_null(strstr(f->log, "full socket peer 1\nhold victim -1\n"
	    "line socket peer 1 tail (no LF)\n"
	    "close socket peer 1 evicted\n"));
}

static void
test_held_not_evicted(void **state)
{
	struct fx *f = *state;
	int one = 1;

	f->cfg.max_clients = 1;
	f->cfg.full = LINESERV_EVICT;
	start(f);
	peer_open(f, 0);
	peer_send(f, 0, "hold\n");
	assert_true(run_until(f, log_has, "line socket peer 1 hold\n", 5));
	peer_open(f, 1);	/* the only one is held: refused */
	assert_true(run_until(f, peer_eof, &one, 5));
	assert_non_null(strstr(f->log, "full refused\n"));
	assert_non_null(f->held);
}

static void
on_release(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	assert_non_null(f->held);
	lineserv_reply(f->held, "held-reply", 10);
	logf_(f, "release begin\n");
	lineserv_release(f->held);
	logf_(f, "release end\n");
}

static void
test_hold_release_order(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 0, "held-reply\nre next\nre last\n" };
	struct timeval tv = { 0, 100000 };
	int zero = 0;

	start(f);
	f->release = evtimer_new(f->base, on_release, f);
	peer_open(f, 0);
	peer_send(f, 0, "hold\nnext\n");
	assert_true(run_until(f, log_has, "line socket peer 1 hold\n", 5));
	/* held: the next line waits, even after the client's EOF */
	peer_send(f, 0, "last\n");
	shutdown(f->p[0].fd, SHUT_WR);
	evtimer_add(f->release, &tv);
	assert_true(run_until(f, peer_has, &g, 5));
	assert_non_null(strstr(f->log, "line socket peer 1 hold\n"
	    "release begin\nrelease end\nline socket peer 1 next\n"
	    "line socket peer 1 last\n"));
	assert_true(run_until(f, peer_eof, &zero, 5));
	assert_true(run_until(f, log_has, "close socket peer 1 done\n", 5));
}

static void
test_close_after_reply(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 0, "re one\nbye\n" };
	int zero = 0;

	start(f);
	peer_open(f, 0);
	peer_send(f, 0, "one\nclose\nnot served\n");
	assert_true(run_until(f, peer_eof, &zero, 5));
	assert_true(peer_has(f, &g));
	assert_null(strstr(f->log, "not served"));
	assert_non_null(strstr(f->log, "close socket peer 1 done\n"));
}

static void
test_linger_after_close(void **state)
{
	struct fx *f = *state;
	struct got_arg g = { 0, "bye\n" };
	int zero = 0;

	f->cfg.linger_s = 0.3;
	start(f);
	peer_open(f, 0);
	peer_send(f, 0, "close\n");
	/* our FIN: the client reads the reply and an orderly EOF, and may
	 * still write (discarded) until it closes or linger_s passes */
	assert_true(run_until(f, peer_eof, &zero, 5));
	assert_true(peer_has(f, &g));
	peer_send(f, 0, "ignored\n");
	assert_true(run_until(f, log_has, "close socket peer 1 linger deadline\n", 5));
	assert_null(strstr(f->log, "ignored"));
}

static void
test_bad_path(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	char path[200];

	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	f->cfg.path = path;
	assert_null(lineserv_new(f->base, &f->cfg, &f->ops, f, &e));
	assert_non_null(strstr(e.msg, "longer than"));
	f->cfg.path = f->path;
	start(f);
}

/* ---------- lineserv_cut: the line cutter alone ---------- */

/* Cut once from b and check what came out: want NULL for LINESERV_CUT_NONE,
 * "!" for LINESERV_CUT_OVERLONG, else the line (drained after). */
static void
cut_expect(struct evbuffer *b, size_t max, int eof, int *skipping,
    const char *want, int want_eol)
{
	struct lineserv_cut cut;
	enum lineserv_cut_what w = lineserv_cut(b, max, eof, skipping, &cut);

	if (want == NULL) {
		assert_int_equal(w, LINESERV_CUT_NONE);
		return;
	}
	if (strcmp(want, "!") == 0) {
		assert_int_equal(w, LINESERV_CUT_OVERLONG);
		return;
	}
	assert_int_equal(w, LINESERV_CUT_LINE);
	assert_int_equal(cut.len, strlen(want));
	assert_memory_equal(cut.line, want, cut.len);
	assert_int_equal(cut.eol, want_eol);
	assert_int_equal(cut.used, cut.len + (size_t)want_eol);
	evbuffer_drain(b, cut.used);
}

static void
test_cut_lines_cr_and_eof(void **state)
{
	struct evbuffer *b = evbuffer_new();
	int skip = 0;

	(void)state;
	cut_expect(b, 8, 0, &skip, NULL, 0);	/* empty */
	evbuffer_add_printf(b, "a\n\nbb\r\ncc");
	cut_expect(b, 8, 0, &skip, "a", 1);
	cut_expect(b, 8, 0, &skip, "", 1);	/* a blank line is a line */
	cut_expect(b, 8, 0, &skip, "bb\r", 1);	/* the CR stays */
	cut_expect(b, 8, 0, &skip, NULL, 0);	/* "cc" waits for its LF */
	assert_int_equal(evbuffer_get_length(b), 2);
	cut_expect(b, 8, 1, &skip, "cc", 0);	/* at EOF it is the last line */
	cut_expect(b, 8, 1, &skip, NULL, 0);
	assert_int_equal(skip, 0);
	evbuffer_free(b);
}

static void
test_cut_max_line_exactly(void **state)
{
	struct evbuffer *b = evbuffer_new();
	int skip = 0;

	(void)state;
	evbuffer_add_printf(b, "1234\n12345\nok\n1234");
	cut_expect(b, 4, 0, &skip, "1234", 1);	/* max bytes: a line */
	cut_expect(b, 4, 0, &skip, "!", 0);	/* max + 1: overlong */
	assert_int_equal(skip, 0);		/* its LF was there */
	cut_expect(b, 4, 0, &skip, "ok", 1);
	cut_expect(b, 4, 0, &skip, NULL, 0);	/* max bytes without LF: wait */
	evbuffer_add_printf(b, "5");
	cut_expect(b, 4, 0, &skip, "!", 0);	/* max + 1 without LF */
	assert_int_equal(skip, 1);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

/* An overlong line arriving in pieces is said once, skipped to its LF,
 * and the line after it is whole. */
static void
test_cut_overlong_in_pieces(void **state)
{
	struct evbuffer *b = evbuffer_new();
	int skip = 0;

	(void)state;
	evbuffer_add_printf(b, "123456");
	cut_expect(b, 4, 0, &skip, "!", 0);
	evbuffer_add_printf(b, "789");
	cut_expect(b, 4, 0, &skip, NULL, 0);	/* still skipping: not again */
	evbuffer_add_printf(b, "0123456789");
	cut_expect(b, 4, 0, &skip, NULL, 0);	/* over max again: not again */
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_add_printf(b, "0\nok\n");
	cut_expect(b, 4, 0, &skip, "ok", 1);
	assert_int_equal(skip, 0);
	cut_expect(b, 4, 0, &skip, NULL, 0);
	evbuffer_free(b);
}

/* EOF in the middle of an overlong line: its rest is dropped unsaid, and
 * the cutter is ready for a new stream. */
static void
test_cut_overlong_at_eof(void **state)
{
	struct evbuffer *b = evbuffer_new();
	int skip = 0;

	(void)state;
	evbuffer_add_printf(b, "123456");
	cut_expect(b, 4, 0, &skip, "!", 0);
	evbuffer_add_printf(b, "78");
	cut_expect(b, 4, 1, &skip, NULL, 0);
	assert_int_equal(skip, 0);
	assert_int_equal(evbuffer_get_length(b), 0);
	/* overlong and EOF at once: said once, nothing left to skip */
	evbuffer_add_printf(b, "123456");
	cut_expect(b, 4, 1, &skip, "!", 0);
	assert_int_equal(skip, 0);
	cut_expect(b, 4, 1, &skip, NULL, 0);
	evbuffer_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_overlong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_line_at_eof_and_half_close_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replies_not_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unread_without_idle_paused_at_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unread_without_idle_closed_by_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_while_held_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unread_timeout_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_back_pressure_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_with_busy_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict_least_recently_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict_victim_not_held_in_on_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_not_evicted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_release_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_after_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger_after_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
		cmocka_unit_test(test_cut_lines_cr_and_eof),
		cmocka_unit_test(test_cut_max_line_exactly),
		cmocka_unit_test(test_cut_overlong_in_pieces),
		cmocka_unit_test(test_cut_overlong_at_eof),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
