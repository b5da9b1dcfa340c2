/*
 * dclient: the client side of the daemons' request sockets (one request
 * line, one JSON reply line), for one-shot client modes and for daemons
 * that watch other daemons. The path and the request are trusted (our own
 * flags and configuration); the reply is not: its length is
 * capped and it is parsed with jansson, never searched for strings.
 * dclient_ask and dclient_request block (poll); dclient_async does the
 * same on a libevent loop. Either way one deadline bounds it all.
 */
#include "dclient.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "usock.h"

/* A reply cap beyond this is taken as this (keeps the arithmetic safe). */
#define DCLIENT_REPLY_HARD_MAX ((size_t)1 << 30)

/* Milliseconds until deadline, rounded up so that a wait never ends
 * before the deadline; 0 once it passed. */
static long
ms_left(int64_t deadline_ns)
{
	int64_t ns = deadline_ns - clock_mono_ns();

	if (ns <= 0)
		return 0;
	ns = (ns + 999999) / 1000000;
	return ns > INT_MAX ? INT_MAX : (long)ns;
}

/* The address of the socket at path, or -1 with err (an empty or too
 * long path). */
static int
addr_of(const char *path, struct sockaddr_un *sa, struct gw_err *err)
{
	size_t n = strlen(path);

	if (n == 0)
		return gw_err_set(err, "cannot connect: the socket path is empty");
	if (n > USOCK_PATH_MAX || n >= sizeof(sa->sun_path))
		/* shortened: the reason must fit in the message */
		return gw_err_set(err, "cannot connect to %.80s...: the socket path "
		    "is %zu bytes long, the limit is %d", path, n, USOCK_PATH_MAX);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

/* req with its newline, in *line (malloc'd, *len bytes without the NUL);
 * -1 with err for a request of two lines or no memory. */
static int
request_line(const char *path, const char *req, char **line, size_t *len,
    struct gw_err *err)
{
	size_t reqlen = strlen(req);

	*line = NULL;
	if (memchr(req, '\n', reqlen) != NULL)	/* it would be two requests */
		return gw_err_set(err, "a request to %s must be one line", path);
	if ((*line = malloc(reqlen + 2)) == NULL)
		return gw_err_set(err, "out of memory for a request to %s", path);
	memcpy(*line, req, reqlen);
	memcpy(*line + reqlen, "\n", 2);
	*len = reqlen + 1;
	return 0;
}

/* The request on its way out. */
struct line_out {
	const char *req;	/* its newline included */
	size_t len, sent;
	int writing;		/* more to send, and the peer still reads */
};

/* Send what fits of the request. A peer that closes while we write
 * (EPIPE, ECONNRESET) may have said why: writing stops and its reply is
 * still read. Returns 0 (also when nothing could be sent now), or -1 with
 * err. */
static int
send_some(int fd, const char *path, struct line_out *lo, struct gw_err *err)
{
	ssize_t n = send(fd, lo->req + lo->sent, lo->len - lo->sent,
	    MSG_NOSIGNAL);

	if (n >= 0) {
		lo->sent += (size_t)n;
		lo->writing = lo->sent < lo->len;
	} else if (errno == EPIPE || errno == ECONNRESET) {
		lo->writing = 0;	/* read what it said */
	} else if (errno != EINTR && errno != EAGAIN) {
		return gw_err_set(err, "cannot write to %s: %s", path,
		    strerror(errno));
	}
	return 0;
}

/* The reply on its way in. */
struct line_in {
	char *buf;
	size_t got, cap;
	size_t limit;		/* the cap, plus room for the newline */
};

static void
line_in_init(struct line_in *li, size_t reply_max)
{
	memset(li, 0, sizeof(*li));
	/* room for the newline: a line of exactly reply_max bytes fits */
	li->limit = (reply_max > DCLIENT_REPLY_HARD_MAX ?
	    DCLIENT_REPLY_HARD_MAX : reply_max) + 1;
}

/* One read of the reply. Returns 1 once the line is whole (it ends at its
 * newline or at EOF; li->buf NUL-terminated, li->got its length), 0 for
 * more to come (also EINTR, EAGAIN), -1 with err. */
static int
read_some(int fd, const char *path, struct line_in *li, struct gw_err *err)
{
	ssize_t n;
	char *nl;

	if (li->got == li->cap) {
		size_t ncap;
		char *nb;

		if (li->cap == li->limit)
			return gw_err_set(err, "%s: a reply longer than %zu bytes",
			    path, li->limit - 1);
		ncap = li->cap ? li->cap * 2 : 4096;
		if (ncap > li->limit)
			ncap = li->limit;
		if ((nb = realloc(li->buf, ncap + 1)) == NULL)
			return gw_err_set(err, "out of memory for the reply from %s",
			    path);
		li->buf = nb;
		li->cap = ncap;
	}
	n = read(fd, li->buf + li->got, li->cap - li->got);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0 && errno == ECONNRESET && li->got == 0)
		return gw_err_set(err, "%s reset the connection without a reply",
		    path);
	if (n < 0)
		return gw_err_set(err, "cannot read from %s: %s", path,
		    strerror(errno));
	if (n == 0) {
		if (li->got == 0)
			return gw_err_set(err, "%s closed the connection without a "
			    "reply", path);
		li->buf[li->got] = '\0';	/* EOF ends the line */
		return 1;
	}
	nl = memchr(li->buf + li->got, '\n', (size_t)n);
	li->got += (size_t)n;
	if (nl == NULL)
		return 0;
	li->got = (size_t)(nl - li->buf);
	li->buf[li->got] = '\0';
	return 1;
}

/* Hand the whole line over to rep. */
static void
line_in_take(struct line_in *li, struct dclient_reply *rep)
{
	rep->line = li->buf;
	rep->len = li->got;
	rep->fail = DCLIENT_OK;
	li->buf = NULL;
	li->got = li->cap = 0;
}

/* rep->line as a JSON object in rep->obj; -1 with err, rep->fail and
 * rep->jerr when it is none. */
static int
parse_reply(const char *path, struct dclient_reply *rep, struct gw_err *err)
{
	rep->obj = json_loadb(rep->line, rep->len, 0, &rep->jerr);
	/* jansson's own words for "not an object" (it parsed as an array) */
	if (rep->obj != NULL && json_unpack_ex(rep->obj, &rep->jerr,
	    JSON_VALIDATE_ONLY, "{}") < 0) {
		json_decref(rep->obj);
		rep->obj = NULL;
	}
	if (rep->obj == NULL) {
		rep->fail = DCLIENT_FAIL_JSON;
		return gw_err_set(err, "%s: a reply that is not a JSON object: %s",
		    path, rep->jerr.text);
	}
	return 0;
}

/* The judgement of dclient_request and dclient_async: rc is what asking
 * returned (0, or -1 with rep->fail and err). */
static enum dclient_verdict
judge(const char *path, int rc, struct dclient_reply *rep, const char **msg,
    struct gw_err *err)
{
	json_error_t je;
	int ok = 0, busy = 0;

	*msg = NULL;
	if (rc < 0) {
		if (rep->fail == DCLIENT_FAIL_JSON)
			gw_err_set(err, "%s: a reply that is not a JSON object "
			    "with \"ok\": %s", path, rep->jerr.text);
		return DCLIENT_NO_ANSWER;
	}
	if (json_unpack_ex(rep->obj, &je, 0, "{s:b, s?:s, s?:b}", "ok", &ok,
	    "error", msg, "busy", &busy) < 0) {
		*msg = NULL;
		gw_err_set(err, "%s: a reply that is not a JSON object with "
		    "\"ok\": %s", path, je.text);
		return DCLIENT_NO_ANSWER;
	}
	if (busy)
		return DCLIENT_BUSY;
	return ok ? DCLIENT_DONE : DCLIENT_REFUSED;
}

/* Connect to path before deadline. A listener whose backlog is full (a
 * stalled daemon) makes a blocking connect wait, and a non-blocking one
 * fail at once with EAGAIN: a blocking connect bounded by SO_SNDTIMEO
 * waits for it, but never past the deadline. Returns a non-blocking,
 * close-on-exec fd, or -1 with err. */
static int
dial(const char *path, int64_t deadline, struct gw_err *err)
{
	struct sockaddr_un sa;
	int fd, e;

	if (addr_of(path, &sa, err) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return gw_err_set(err, "cannot connect to %s: socket: %s", path,
		    strerror(errno));
	for (;;) {
		long ms = ms_left(deadline);
		struct timeval tv;

		if (ms == 0)
			ms = 1;		/* one try at least; 0 means "no limit" */
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
			e = errno;
			close(fd);
			return gw_err_set(err, "cannot connect to %s: SO_SNDTIMEO: %s",
			    path, strerror(e));
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno == EISCONN)
			break;
		e = errno;
		if (e == EINTR && ms_left(deadline) > 0)
			continue;
		close(fd);
		if (e == EAGAIN || e == EINTR)
			return gw_err_set(err, "%s did not take the connection within "
			    "the deadline", path);
		return gw_err_set(err, "cannot connect to %s: %s", path, strerror(e));
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		e = errno;
		close(fd);
		return gw_err_set(err, "cannot connect to %s: O_NONBLOCK: %s", path,
		    strerror(e));
	}
	return fd;
}

/* Send the request (lo) on fd and read one reply line (li), all before
 * deadline, waiting with poll. Returns 0 with rep->line and rep->len, or
 * -1 with err and rep->fail. */
static int
exchange(int fd, const char *path, struct line_out *lo, struct line_in *li,
    int64_t deadline, struct dclient_reply *rep, struct gw_err *err)
{
	rep->fail = DCLIENT_FAIL_IO;
	for (;;) {
		struct pollfd p;
		long ms = ms_left(deadline);
		int r;

		if (ms == 0) {
			rep->fail = DCLIENT_FAIL_TIMEOUT;
			return gw_err_set(err, "no reply from %s within the deadline",
			    path);
		}
		p.fd = fd;
		p.events = POLLIN | (lo->writing ? POLLOUT : 0);
		p.revents = 0;
		r = poll(&p, 1, (int)ms);
		if (r < 0 && errno != EINTR)
			return gw_err_set(err, "cannot wait for %s: poll: %s", path,
			    strerror(errno));
		if (r <= 0)
			continue;
		if (lo->writing && (p.revents & (POLLOUT | POLLERR | POLLHUP)) &&
		    send_some(fd, path, lo, err) < 0)
			return -1;
		if (!(p.revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if ((r = read_some(fd, path, li, err)) < 0)
			return -1;
		if (r == 1) {
			line_in_take(li, rep);
			return 0;
		}
	}
}

int
dclient_ask(const char *path, const char *req, long timeout_ms,
    size_t reply_max, struct dclient_reply *rep, struct gw_err *err)
{
	struct line_out lo;
	struct line_in li;
	int64_t deadline;
	char *line = NULL;
	size_t len = 0;
	int fd = -1, rc = -1;

	memset(rep, 0, sizeof(*rep));
	rep->fail = DCLIENT_FAIL_CONNECT;
	line_in_init(&li, reply_max);
	/* one deadline for connect, request and reply */
	if (timeout_ms < 0)
		timeout_ms = 0;
	deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
	if (request_line(path, req, &line, &len, err) < 0)
		return -1;
	lo.req = line;
	lo.len = len;
	lo.sent = 0;
	lo.writing = 1;
	if ((fd = dial(path, deadline, err)) < 0 ||
	    exchange(fd, path, &lo, &li, deadline, rep, err) < 0 ||
	    parse_reply(path, rep, err) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(li.buf);
	free(line);
	return rc;
}

void
dclient_reply_clear(struct dclient_reply *rep)
{
	if (rep == NULL)
		return;
	free(rep->line);
	json_decref(rep->obj);
	memset(rep, 0, sizeof(*rep));
}

enum dclient_verdict
dclient_request(const char *path, const char *req, long timeout_ms,
    size_t reply_max, struct dclient_reply *rep, const char **msg,
    struct gw_err *err)
{
	enum dclient_verdict v;

	v = judge(path, dclient_ask(path, req, timeout_ms, reply_max, rep, err),
	    rep, msg, err);
	if (v == DCLIENT_NO_ANSWER && rep->fail == DCLIENT_FAIL_TIMEOUT) {
		struct gw_err why = *err;	/* not formatted into itself */

		/* the one-shot clients' option that set the deadline */
		gw_err_set(err, "%s (--timeout)", why.msg);
	}
	return v;
}

/* ---------- on the event loop ---------- */

/* Waits between connect attempts while the daemon's backlog is full: a
 * full backlog raises no event to wait for, so we look again, soon at
 * first, then less often. */
#define ASYNC_RETRY_FIRST_MS 5
#define ASYNC_RETRY_MAX_MS 100

struct dclient_async {
	struct event_base *base;
	char path[USOCK_PATH_MAX + 1];
	struct sockaddr_un sa;
	char *req;			/* the request line, its newline included */
	struct line_out lo;
	struct line_in li;
	int fd;				/* -1 until connected, and once done */
	int connecting;			/* a connect in progress (EINPROGRESS) */
	long retry_ms;			/* the next wait on a full backlog */
	int64_t deadline_ns;		/* clock_mono_ns() */
	struct event *kick;		/* the first attempt, and the retries */
	struct event *ev_rd, *ev_wr;
	struct event *deadline;
	dclient_async_cb done;
	void *arg;
	struct dclient_reply rep;
};

static void async_on_io(evutil_socket_t fd, short what, void *arg);

/* Close the connection and drop every event: nothing fires after this. */
static void
async_stop(struct dclient_async *a)
{
	if (a->kick != NULL)
		event_del(a->kick);
	if (a->deadline != NULL)
		event_del(a->deadline);
	if (a->ev_rd != NULL) {
		event_free(a->ev_rd);
		a->ev_rd = NULL;
	}
	if (a->ev_wr != NULL) {
		event_free(a->ev_wr);
		a->ev_wr = NULL;
	}
	if (a->fd >= 0) {
		close(a->fd);
		a->fd = -1;
	}
}

/* The end: judge (rc 0: rep holds the line) and call back, once. The
 * callback may free a: nothing touches a after it. */
static void
async_finish(struct dclient_async *a, int rc, struct gw_err *err)
{
	enum dclient_verdict v;
	const char *msg;

	async_stop(a);
	if (rc == 0)
		rc = parse_reply(a->path, &a->rep, err);
	v = judge(a->path, rc, &a->rep, &msg, err);
	a->done(a->arg, v, &a->rep, msg, err);
}

static void
async_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct dclient_async *a = arg;
	struct gw_err e;

	(void)fd;
	(void)what;
	if (ms_left(a->deadline_ns) > 0) {
		/* libevent's coarse clock may fire a little early */
		struct timeval tv = clock_tv_ms((double)ms_left(a->deadline_ns));

		evtimer_add(a->deadline, &tv);
		return;
	}
	if (a->fd < 0 || a->connecting) {
		a->rep.fail = DCLIENT_FAIL_CONNECT;
		gw_err_set(&e, "%s did not take the connection within the "
		    "deadline", a->path);
	} else {
		a->rep.fail = DCLIENT_FAIL_TIMEOUT;
		gw_err_set(&e, "no reply from %s within the deadline", a->path);
	}
	async_finish(a, -1, &e);
}

/* Connected: send and read as the socket allows. */
static int
async_connected(struct dclient_async *a, struct gw_err *err)
{
	a->connecting = 0;
	a->rep.fail = DCLIENT_FAIL_IO;
	if ((a->ev_rd = event_new(a->base, a->fd, EV_READ | EV_PERSIST,
	    async_on_io, a)) == NULL || (a->ev_wr == NULL &&
	    (a->ev_wr = event_new(a->base, a->fd, EV_WRITE | EV_PERSIST,
	    async_on_io, a)) == NULL) || event_add(a->ev_rd, NULL) < 0 ||
	    event_add(a->ev_wr, NULL) < 0)
		return gw_err_set(err, "cannot wait for %s: no memory for events",
		    a->path);
	return 0;
}

/* One connect attempt (the first, or a retry on a full backlog). */
static void
async_on_kick(evutil_socket_t fd_, short what, void *arg)
{
	struct dclient_async *a = arg;
	struct gw_err e;
	struct timeval tv;
	int fd, rc;

	(void)fd_;
	(void)what;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0) {
		gw_err_set(&e, "cannot connect to %s: socket: %s", a->path,
		    strerror(errno));
		async_finish(a, -1, &e);
		return;
	}
	do
		rc = connect(fd, (struct sockaddr *)&a->sa, sizeof(a->sa));
	while (rc < 0 && errno == EINTR);
	if (rc == 0 || errno == EINPROGRESS) {
		a->fd = fd;
		if (rc == 0 && async_connected(a, &e) == 0)
			return;
		if (rc < 0) {	/* not on Linux: its AF_UNIX connects at once */
			a->connecting = 1;
			if ((a->ev_wr = event_new(a->base, fd, EV_WRITE | EV_PERSIST,
			    async_on_io, a)) != NULL && event_add(a->ev_wr,
			    NULL) == 0)
				return;
			gw_err_set(&e, "cannot wait for %s: no memory for events",
			    a->path);
		}
		async_finish(a, -1, &e);
		return;
	}
	if (errno == EAGAIN) {	/* the backlog is full: look again */
		close(fd);
		tv = clock_tv_ms(a->retry_ms);
		if (a->retry_ms < ASYNC_RETRY_MAX_MS)
			a->retry_ms *= 2;
		event_add(a->kick, &tv);	/* the deadline still bounds it */
		return;
	}
	gw_err_set(&e, "cannot connect to %s: %s", a->path, strerror(errno));
	close(fd);
	async_finish(a, -1, &e);
}

static void
async_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct dclient_async *a = arg;
	struct gw_err e;
	int r;

	if (a->connecting) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0) {
			gw_err_set(&e, "cannot connect to %s: %s", a->path,
			    strerror(soerr));
			async_finish(a, -1, &e);
		} else if (async_connected(a, &e) < 0) {
			async_finish(a, -1, &e);
		}
		return;
	}
	if (what & EV_WRITE) {
		if (a->lo.writing && send_some(fd, a->path, &a->lo, &e) < 0) {
			async_finish(a, -1, &e);
			return;
		}
		if (!a->lo.writing)
			event_del(a->ev_wr);
	}
	if (!(what & EV_READ))
		return;
	if ((r = read_some(fd, a->path, &a->li, &e)) < 0) {
		async_finish(a, -1, &e);
		return;
	}
	if (r == 1) {
		line_in_take(&a->li, &a->rep);
		async_finish(a, 0, &e);
	}
}

struct dclient_async *
dclient_async_new(struct event_base *base, const char *path, const char *req,
    long timeout_ms, size_t reply_max, dclient_async_cb done, void *arg,
    struct gw_err *err)
{
	struct dclient_async *a;
	struct timeval now = { 0, 0 }, tv;
	size_t len;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		gw_err_set(err, "out of memory for a request to %s", path);
		return NULL;
	}
	a->base = base;
	a->fd = -1;
	a->done = done;
	a->arg = arg;
	a->retry_ms = ASYNC_RETRY_FIRST_MS;
	a->rep.fail = DCLIENT_FAIL_CONNECT;
	line_in_init(&a->li, reply_max);
	if (addr_of(path, &a->sa, err) < 0 ||
	    request_line(path, req, &a->req, &len, err) < 0)
		goto fail;
	memcpy(a->path, path, strlen(path) + 1);	/* fits: addr_of */
	a->lo.req = a->req;
	a->lo.len = len;
	a->lo.writing = 1;
	if (timeout_ms < 0)
		timeout_ms = 0;
	a->deadline_ns = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
	tv = clock_tv_ms((double)timeout_ms);
	/* the first attempt from the loop: the callback never runs inside
	 * _new, even when there is nothing to connect to */
	if ((a->kick = evtimer_new(base, async_on_kick, a)) == NULL ||
	    (a->deadline = evtimer_new(base, async_on_deadline, a)) == NULL ||
	    evtimer_add(a->deadline, &tv) < 0 || evtimer_add(a->kick, &now) < 0) {
		gw_err_set(err, "cannot ask %s: no memory for events", path);
		goto fail;
	}
	return a;
fail:
	dclient_async_free(a);
	return NULL;
}

void
dclient_async_free(struct dclient_async *a)
{
	if (a == NULL)
		return;
	async_stop(a);
	if (a->kick != NULL)
		event_free(a->kick);
	if (a->deadline != NULL)
		event_free(a->deadline);
	dclient_reply_clear(&a->rep);
	free(a->li.buf);
	free(a->req);
	free(a);
}
