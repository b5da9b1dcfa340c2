/* evsend: event lines to the notifier's socket, best effort (see evsend.h).
 * The peer is our own notifier; nothing is read from it. */
#include "clock.h"
#include "evsend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define QUEUE_MAX (256 * 1024)
#define RETRY_S 5

struct evsend {
	struct event_base *base;
	struct sockaddr_un sun;
	enum gw_level min;
	struct bufferevent *bev;	/* connecting or connected */
	int connected;
	struct evbuffer *pending;	/* lines waiting for a connection */
	int64_t retry_at;	/* clock_mono_ms() before which no connect is tried */
	struct event *retry;	/* armed while lines wait without a connection */
	unsigned long dropped;
	/* evsend_flush */
	void (*flush_done)(void *);
	void *flush_arg;
	struct event *flush_ev;	/* its deadline, or "call done now" */
};

static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_retry(evutil_socket_t fd, short what, void *arg);
static void on_flush_ev(evutil_socket_t fd, short what, void *arg);

struct evsend *
evsend_new(struct event_base *base, const char *sock_path, enum gw_level min,
    struct gw_err *err)
{
	struct evsend *s;

	if (strlen(sock_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		gw_err_set(err, "notifier socket path is too long");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->pending = evbuffer_new()) == NULL ||
	    (s->retry = evtimer_new(base, on_retry, s)) == NULL ||
	    (s->flush_ev = evtimer_new(base, on_flush_ev, s)) == NULL) {
		evsend_free(s);
		gw_err_set(err, "evsend: out of memory");
		return NULL;
	}
	s->base = base;
	s->min = min;
	s->sun.sun_family = AF_UNIX;
	strcpy(s->sun.sun_path, sock_path);
	return s;
}

/* Lines wait and nothing is connecting: try again when retry_at comes
 * (in RETRY_S at most; at once when it has passed). */
static void
arm_retry(struct evsend *s)
{
	int64_t left = clock_ms_left(s->retry_at);
	struct timeval tv = clock_tv_ms((double)(left < RETRY_S * 1000 ?
	    left : RETRY_S * 1000));

	if (s->bev == NULL && evbuffer_get_length(s->pending) > 0 &&
	    !evtimer_pending(s->retry, NULL))
		evtimer_add(s->retry, &tv);
}

/* The flush (if any) is over: call its done from the loop. */
static void
flush_finish(struct evsend *s)
{
	struct timeval now = { 0, 0 };

	if (s->flush_done != NULL)
		evtimer_add(s->flush_ev, &now);
}

static void
on_flush_ev(evutil_socket_t fd, short what, void *arg)
{
	struct evsend *s = arg;
	void (*done)(void *) = s->flush_done;

	(void)fd;
	(void)what;
	s->flush_done = NULL;
	if (done != NULL)
		done(s->flush_arg);
}

static void
drop_connection(struct evsend *s)
{
	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	s->connected = 0;
	s->retry_at = clock_mono_ms() + RETRY_S * 1000;
	arm_retry(s);
	flush_finish(s);	/* nothing more can be delivered now */
}

void
evsend_free(struct evsend *s)
{
	if (s == NULL)
		return;
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	if (s->retry != NULL)
		event_free(s->retry);
	if (s->flush_ev != NULL)
		event_free(s->flush_ev);
	if (s->pending != NULL)
		evbuffer_free(s->pending);
	free(s);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct evsend *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		s->connected = 1;
		bufferevent_write_buffer(s->bev, s->pending);
		if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
			flush_finish(s);
		return;
	}
	/* refused, reset, closed: what was in flight is lost; retry later */
	drop_connection(s);
}

/* The notifier answers some lines (requests); nothing we send asks for a
 * reply, but drain whatever comes so that it cannot pile up. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* All handed to the kernel: a flush is done. */
static void
on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	flush_finish(arg);
}

static void
try_connect(struct evsend *s)
{
	int fd;

	if (s->bev != NULL || clock_mono_ms() < s->retry_at) {
		arm_retry(s);
		return;
	}
	/* our own socket, close-on-exec: services spawned later must not
	 * inherit the connection to the notifier */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->bev = fd < 0 ? NULL : bufferevent_socket_new(s->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		if (fd >= 0)
			close(fd);
		s->retry_at = clock_mono_ms() + RETRY_S * 1000;
		arm_retry(s);
		flush_finish(s);
		return;
	}
	bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
	bufferevent_enable(s->bev, EV_READ);	/* to see the peer close */
	if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&s->sun,
	    (int)sizeof(s->sun)) < 0)
		drop_connection(s);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct evsend *s = arg;

	(void)fd;
	(void)what;
	s->retry_at = 0;
	try_connect(s);
}

void
evsend_flush(struct evsend *s, int ms, void (*done)(void *arg), void *arg)
{
	struct timeval tv;

	if (s == NULL) {
		if (done != NULL)
			done(arg);
		return;
	}
	s->flush_done = done;
	s->flush_arg = arg;
	if (done == NULL) {
		evtimer_del(s->flush_ev);
		return;
	}
	tv = clock_tv_ms(ms);
	if (s->connected && evbuffer_get_length(bufferevent_get_output(s->bev)) > 0) {
		evtimer_add(s->flush_ev, &tv);	/* on_write may end it sooner */
		return;
	}
	if (s->connected || evbuffer_get_length(s->pending) == 0) {
		flush_finish(s);	/* nothing waits */
		return;
	}
	evtimer_add(s->flush_ev, &tv);
	if (s->bev == NULL) {	/* not even connecting: now, not in 5 s */
		evtimer_del(s->retry);
		s->retry_at = 0;
		try_connect(s);
	}
}

void
evsend_line(void *arg, enum gw_level level, const char *line, size_t len)
{
	struct evsend *s = arg;
	struct evbuffer *out;

	if (s == NULL || level < s->min)
		return;
	try_connect(s);
	out = s->connected ? bufferevent_get_output(s->bev) : s->pending;
	if (evbuffer_get_length(out) + len + 1 > QUEUE_MAX) {
		s->dropped++;
		return;
	}
	evbuffer_add(out, line, len);
	evbuffer_add(out, "\n", 1);
	if (!s->connected)
		arm_retry(s);	/* no connection yet: retried in 5 s at most */
}

unsigned long
evsend_dropped(const struct evsend *s)
{
	return s->dropped;
}
