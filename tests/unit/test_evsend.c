/* Unit tests for lib/evsend: lines at or above the level reach a listening
 * socket; with no listener they are dropped and counted, never blocking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "evsend.h"
#include "usock.h"

struct fx {
	struct event_base *base;
	char dir[64], path[128];
	struct evconnlistener *lis;
	struct evbuffer *got;
	struct bufferevent *peer;
	const char *want;	/* peer_read ends the loop once this arrived */
	int flushed;		/* evsend_flush's done calls */
	double flushed_at;
};

static double
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
peer_read(struct bufferevent *bev, void *arg)
{
	struct fx *f = arg;

	evbuffer_add_buffer(f->got, bufferevent_get_input(bev));
	if (evbuffer_search(f->got, f->want, strlen(f->want), NULL).pos >= 0)
		event_base_loopexit(f->base, NULL);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct fx *f = arg;

	(void)l; (void)sa; (void)len;
	f->peer = bufferevent_socket_new(f->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(f->peer, peer_read, NULL, NULL, f);
	bufferevent_enable(f->peer, EV_READ);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	fail_msg("no data within the 20 s deadline");
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/gwkit-evsend-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/notify.sock", f->dir);
	f->base = event_base_new();
	f->got = evbuffer_new();
	f->want = "second";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->peer)
		bufferevent_free(f->peer);
	if (f->lis)
		evconnlistener_free(f->lis);
	unlink(f->path);
	rmdir(f->dir);
	evbuffer_free(f->got);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
test_delivers_at_or_above_level(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	struct evsend *s;
	struct event *dl = evtimer_new(f->base, on_deadline, NULL);
	struct timeval five = { 20, 0 };	/* a deadline only: the data ends the loop */
	int fd = usock_listen(f->path, 4, &e);
	char buf[256];
	size_t n;

	assert_true(fd >= 0);
	f->lis = evconnlistener_new(f->base, on_accept, f, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	s = evsend_new(f->base, f->path, GW_WARNING, &e);
	assert_non_null(s);
	evsend_line(s, GW_INFO, "{\"x\":\"info\"}", 12);	/* below: not sent */
	evsend_line(s, GW_WARNING, "{\"x\":\"first\"}", 13);
	evsend_line(s, GW_CRITICAL, "{\"x\":\"second\"}", 14);
	evtimer_add(dl, &five);
	event_base_dispatch(f->base);
	n = evbuffer_copyout(f->got, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_string_equal(buf, "{\"x\":\"first\"}\n{\"x\":\"second\"}\n");
	assert_int_equal(evsend_dropped(s), 0);
	evsend_free(s);
	event_free(dl);
}

static void
test_no_listener_drops_without_blocking(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	struct evsend *s = evsend_new(f->base, f->path, GW_WARNING, &e);
	static char big[300 * 1024];
	int i;

	assert_non_null(s);
	for (i = 0; i < 3; i++)
		evsend_line(s, GW_ERROR, "{\"x\":1}", 7);
	event_base_loop(f->base, EVLOOP_NONBLOCK);	/* the refused connect */
	memset(big, 'a', sizeof(big));
	evsend_line(s, GW_ERROR, big, sizeof(big));	/* over the 256 KiB cap */
	assert_int_equal(evsend_dropped(s), 1);
	evsend_free(s);
	assert_null(evsend_new(f->base, "/tmp/" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", GW_INFO, &e));
	assert_string_equal(e.msg, "notifier socket path is too long");
}

static void
on_flushed(void *arg)
{
	struct fx *f = arg;

	f->flushed++;
	f->flushed_at = mono();
}

static void
on_give_up(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	event_base_loopexit(arg, NULL);
}

/* Run the loop until pred(f) or ms pass; returns pred(f). */
static int
run_until(struct fx *f, int (*pred)(struct fx *), int ms)
{
	double end = mono() + ms / 1000.0;
	struct event *t = evtimer_new(f->base, on_give_up, f->base);

	while (!pred(f) && mono() < end) {
		struct timeval tv = { 0, 20000 };

		evtimer_add(t, &tv);
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	event_free(t);
	return pred(f);
}

static int
got_want(struct fx *f)
{
	return evbuffer_search(f->got, f->want, strlen(f->want), NULL).pos >= 0;
}

static int
flushed(struct fx *f)
{
	return f->flushed > 0;
}

static void
listen_now(struct fx *f)
{
	struct gw_err e;
	int fd = usock_listen(f->path, 4, &e);

	assert_true(fd >= 0);
	f->lis = evconnlistener_new(f->base, on_accept, f, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	assert_non_null(f->lis);
}

/* An alert raised while the notifier is away arrives on its own within
 * 5 s (+ a margin for a loaded machine) of the notifier's socket coming
 * back: nothing else is sent in between. */
static void
test_retry_after_outage(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	struct evsend *s = evsend_new(f->base, f->path, GW_WARNING, &e);
	double back;

	assert_non_null(s);
	f->want = "during-outage";
	evsend_line(s, GW_ERROR, "{\"x\":\"during-outage\"}", 21);
	/* the notifier is away for a while: the first tries fail */
	assert_false(run_until(f, got_want, 1500));
	listen_now(f);
	back = mono();
	assert_true(run_until(f, got_want, 15000));
	assert_true(mono() - back < 10.0);	/* one retry period, not two */
	assert_int_equal(evsend_dropped(s), 0);
	evsend_free(s);
}

/* evsend_flush: what waits is handed over before done runs; with no
 * notifier done runs at once, not after the deadline; NULL is fine. The
 * deadline is long (10 s) so that "at once" has room on a loaded machine. */
static void
test_flush(void **state)
{
	struct fx *f = *state;
	struct gw_err e;
	struct evsend *s = evsend_new(f->base, f->path, GW_WARNING, &e);
	double t0;
	char buf[256];
	size_t n;

	assert_non_null(s);
	/* no notifier: over at once (the line waits on) */
	evsend_line(s, GW_ERROR, "{\"x\":\"waited\"}", 14);
	t0 = mono();
	evsend_flush(s, 10000, on_flushed, f);
	assert_true(run_until(f, flushed, 12000));
	assert_true(f->flushed_at - t0 < 4.0);
	/* a notifier appears: the flush connects now (no 5 s wait) and done
	 * runs once the line is handed over */
	listen_now(f);
	f->flushed = 0;
	f->want = "kept";
	evsend_line(s, GW_ERROR, "{\"x\":\"kept\"}", 12);
	t0 = mono();
	evsend_flush(s, 10000, on_flushed, f);
	assert_true(run_until(f, flushed, 12000));
	assert_true(f->flushed_at - t0 < 4.0);	/* not the 5 s reconnect timer */
	assert_int_equal(f->flushed, 1);
	assert_true(run_until(f, got_want, 5000));
	n = evbuffer_copyout(f->got, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_string_equal(buf, "{\"x\":\"waited\"}\n{\"x\":\"kept\"}\n");
	/* nothing waits: done still runs */
	f->flushed = 0;
	evsend_flush(s, 10000, on_flushed, f);
	assert_true(run_until(f, flushed, 5000));
	evsend_free(s);
	f->flushed = 0;
	evsend_flush(NULL, 10000, on_flushed, f);
	assert_int_equal(f->flushed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delivers_at_or_above_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_listener_drops_without_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_outage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
