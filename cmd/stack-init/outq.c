/* outq: bounded, non-blocking output for one fd (see outq.h). The records
 * are our own process's output (stack-init's log lines and the lines it has
 * framed from its children); outq only copies them, never parses them, so
 * their content needs no trust. The reader at the other end of the fd is
 * untrusted only in its pace: it may stall or go away at any time. */
#include "clock.h"
#include "outq.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#define RETRY_MS 20

/* How a write is kept from blocking, chosen by the fd's type. O_NONBLOCK is
 * never set on the fd itself: it lives in the open file description that
 * children share, and a child seeing EAGAIN on its stdout fails (Python
 * raises BlockingIOError). */
enum outq_mode {
	MODE_PRIVATE,	/* pipe, FIFO, tty: our own O_NONBLOCK description */
	MODE_POLL,	/* the same when that cannot be opened: poll, then write */
	MODE_SOCKET,	/* send() with MSG_DONTWAIT (a stream socket) */
	MODE_PLAIN,	/* regular file and the rest: do not wait for a reader */
};

struct outq {
	int fd;			/* the caller's */
	int wfd;		/* written to: fd, or our private description */
	enum outq_mode mode;
	size_t cap;
	struct evbuffer *buf;	/* whole records, oldest first */
	struct event *ev_write;	/* wfd writable; NULL in MODE_PLAIN */
	struct event *ev_retry;	/* timer, for an fd the loop cannot watch */
	int use_timer;
	struct event *ev_drain;	/* runs drain_cb from the loop */
	int broken;		/* the last write failed hard (no reader) */
	unsigned long long notice_n;	/* the count in a notice still queued ... */
	size_t notice_left;	/* ... and its bytes at the head of buf */
	unsigned long long dropped;
	unsigned long long unreported;	/* drops not yet told by a notice */
	char who[64];
	size_t low;
	int above_low;
	void (*drain_cb)(void *);
	void *drain_arg;
};

static void on_ready(evutil_socket_t fd, short what, void *arg);
static void on_drain(evutil_socket_t fd, short what, void *arg);

struct outq *
outq_new(struct event_base *base, int fd, size_t cap, struct gw_err *err)
{
	struct outq *q;
	struct stat st;
	char path[64];

	if (fstat(fd, &st) < 0) {
		gw_err_set(err, "outq: fd %d: %s", fd, strerror(errno));
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		gw_err_set(err, "outq: out of memory");
		return NULL;
	}
	q->fd = q->wfd = fd;
	q->cap = cap;
	snprintf(q->who, sizeof(q->who), "outq");
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		/* O_NOCTTY: PID 1 is a session leader without a terminal, and
		 * opening a tty must not make it the controlling one. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		q->wfd = open(path,
		    O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		q->mode = MODE_PRIVATE;
		if (q->wfd < 0) {
			/* No /proc (a bare container), another user's pipe
			 * (EACCES), a pipe whose reader is gone (ENXIO): poll
			 * for POLLOUT and write at most PIPE_BUF bytes at a
			 * time. A pipe or tty that polls writable takes that
			 * much without blocking, unless another writer (a
			 * child sharing the fd) fills it in between: best
			 * effort, the race is narrow. */
			q->wfd = fd;
			q->mode = MODE_POLL;
		}
	} else if (S_ISSOCK(st.st_mode)) {
		q->mode = MODE_SOCKET;
	} else {
		/* epoll refuses regular files; they never wait for a reader,
		 * so a short write is rare (a full disk) and retried on a
		 * timer. */
		q->mode = MODE_PLAIN;
		q->use_timer = 1;
	}
	q->buf = evbuffer_new();
	q->ev_retry = evtimer_new(base, on_ready, q);
	q->ev_drain = event_new(base, -1, 0, on_drain, q);
	if (q->mode != MODE_PLAIN)
		q->ev_write = event_new(base, q->wfd, EV_WRITE, on_ready, q);
	if (q->buf == NULL || q->ev_retry == NULL || q->ev_drain == NULL ||
	    (q->mode != MODE_PLAIN && q->ev_write == NULL)) {
		outq_free(q);
		gw_err_set(err, "outq: out of memory");
		return NULL;
	}
	return q;
}

void
outq_free(struct outq *q)
{
	if (q == NULL)
		return;
	if (q->ev_write != NULL)
		event_free(q->ev_write);
	if (q->ev_drain != NULL)
		event_free(q->ev_drain);
	if (q->ev_retry != NULL)
		event_free(q->ev_retry);
	if (q->buf != NULL)
		evbuffer_free(q->buf);
	if (q->wfd != q->fd)
		close(q->wfd);
	free(q);
}

void
outq_set_name(struct outq *q, const char *who)
{
	snprintf(q->who, sizeof(q->who), "%s", who);
}

/* One write attempt of up to len bytes. Returns the bytes written, or -1
 * with errno; EAGAIN means "not now". */
static ssize_t
out_write(struct outq *q, const void *p, size_t len)
{
	struct pollfd pfd;
	ssize_t n;

	do {
		switch (q->mode) {
		case MODE_SOCKET:
			n = send(q->wfd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case MODE_POLL:
			pfd.fd = q->wfd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			if ((n = poll(&pfd, 1, 0)) == 0) {
				errno = EAGAIN;
				return -1;
			}
			/* POLLERR, POLLHUP: the write says what happened */
			if (n > 0)
				n = write(q->wfd, p,
				    len < PIPE_BUF ? len : PIPE_BUF);
			break;
		default:
			n = write(q->wfd, p, len);
			break;
		}
	} while (n < 0 && errno == EINTR);
	return n;
}

static int
not_now(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
}

static void
add_notice(struct outq *q)
{
	char line[160];
	int k;

	k = snprintf(line, sizeof(line),
	    "%s: %llu output lines dropped: the log reader was too slow\n",
	    q->who, q->unreported);
	q->notice_n = q->unreported;
	q->notice_left = (size_t)k;
	q->unreported = 0;
	evbuffer_add(q->buf, line, (size_t)k);
}

/* The reader is gone (EPIPE...): what waits is lost. Count its lines as
 * dropped (a queued notice gives back its own count), so that a reader
 * that comes back (a FIFO reopened by a log shipper) hears about them. */
static void
lose_pending(struct outq *q)
{
	struct evbuffer_ptr at;
	unsigned long long lines = 0;

	evbuffer_ptr_set(q->buf, &at, 0, EVBUFFER_PTR_SET);
	while ((at = evbuffer_search(q->buf, "\n", 1, &at)).pos >= 0) {
		lines++;
		if (evbuffer_ptr_set(q->buf, &at, 1, EVBUFFER_PTR_ADD) < 0)
			break;
	}
	if (q->notice_left > 0 && lines > 0)
		lines--;	/* the notice is not an output line */
	q->unreported += lines + q->notice_n;
	q->dropped += lines;
	q->notice_n = 0;
	q->notice_left = 0;
	evbuffer_drain(q->buf, evbuffer_get_length(q->buf));
}

/* Watch for the fd to take more only while bytes are pending: never a busy
 * loop on an always-writable fd. */
static void
arm(struct outq *q)
{
	static const struct timeval retry = { 0, RETRY_MS * 1000 };

	if (evbuffer_get_length(q->buf) == 0) {
		if (q->ev_write != NULL)
			event_del(q->ev_write);
		event_del(q->ev_retry);
		return;
	}
	if (!q->use_timer) {
		if (event_pending(q->ev_write, EV_WRITE, NULL) ||
		    event_add(q->ev_write, NULL) == 0)
			return;
		q->use_timer = 1;	/* a device epoll cannot watch */
	}
	if (!evtimer_pending(q->ev_retry, NULL))
		evtimer_add(q->ev_retry, &retry);
}

/* Write what the fd takes now; when the queue empties after drops, queue
 * and write the notice. */
static void
push(struct outq *q)
{
	struct evbuffer_iovec v;
	ssize_t n;

	for (;;) {
		if (evbuffer_get_length(q->buf) == 0) {
			if (q->unreported == 0)
				break;
			add_notice(q);
		}
		if (evbuffer_peek(q->buf, -1, NULL, &v, 1) < 1)
			break;
		n = out_write(q, v.iov_base, v.iov_len);
		if (n > 0) {
			evbuffer_drain(q->buf, (size_t)n);
			q->broken = 0;
			if (q->notice_left > 0) {
				q->notice_left -= (size_t)n < q->notice_left ?
				    (size_t)n : q->notice_left;
				if (q->notice_left == 0)
					q->notice_n = 0;
			}
			continue;
		}
		if (n == 0 || not_now(errno))
			break;
		/* EPIPE, EIO, ENOSPC...: the reader is gone; later writes
		 * try again (a FIFO may get a new reader) */
		q->broken = 1;
		lose_pending(q);
		break;
	}
	arm(q);
	if (q->above_low && evbuffer_get_length(q->buf) <= q->low) {
		q->above_low = 0;
		if (q->drain_cb != NULL)
			event_active(q->ev_drain, EV_TIMEOUT, 1);
	}
}

static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	push(arg);
}

static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct outq *q = arg;

	(void)fd;
	(void)what;
	if (q->drain_cb != NULL)
		q->drain_cb(q->drain_arg);	/* last: it may free q */
}

int
outq_write(struct outq *q, const void *buf, size_t len)
{
	size_t pending;

	if (len == 0)
		return 0;
	pending = evbuffer_get_length(q->buf);
	if (pending == 0 && q->unreported > 0) {	/* a reader came back */
		add_notice(q);
		push(q);
		pending = evbuffer_get_length(q->buf);
	}
	/* pending may exceed cap by a drop notice */
	if (pending > q->cap || len > q->cap - pending ||
	    evbuffer_add(q->buf, buf, len) < 0) {
		q->dropped++;
		q->unreported++;
		if (pending == 0)
			push(q);	/* nothing else will drain: tell now */
		return -1;
	}
	/* with bytes already pending the fd took nothing at the last try
	 * and the loop is watching it: do not try again per record */
	if (pending == 0)
		push(q);
	if (evbuffer_get_length(q->buf) > q->low)
		q->above_low = 1;
	return 0;
}

size_t
outq_pending(const struct outq *q)
{
	return evbuffer_get_length(q->buf);
}

unsigned long long
outq_dropped(const struct outq *q)
{
	return q->dropped;
}

void
outq_on_drain(struct outq *q, size_t low, void (*cb)(void *arg), void *arg)
{
	q->low = low;
	q->drain_cb = cb;
	q->drain_arg = arg;
	q->above_low = evbuffer_get_length(q->buf) > low;
}

int
outq_flush(struct outq *q, int timeout_ms)
{
	int64_t end = clock_mono_ns() + (timeout_ms > 0 ?
	    (int64_t)timeout_ms * 1000000 : 0);
	struct pollfd pfd;
	int64_t left_ns;

	for (;;) {
		push(q);
		if (q->broken)
			return -1;
		if (evbuffer_get_length(q->buf) == 0)
			return 0;
		left_ns = end - clock_mono_ns();
		if (left_ns <= 0)
			return -1;
		pfd.fd = q->wfd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		/* rounded up: never a zero timeout while time is left */
		if (poll(&pfd, 1, (int)((left_ns + 999999) / 1000000)) < 0 &&
		    errno != EINTR)
			return -1;
	}
}
