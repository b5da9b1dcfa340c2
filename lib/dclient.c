/*
 * dclient: the client side of the daemons' request sockets (one request
 * line, one JSON reply line), for one-shot client modes. The path and the
 * request are trusted (our own flags); the reply is not: its length is
 * capped and it is parsed with jansson, never searched for strings.
 * Blocking (poll), bounded by one deadline on the monotonic clock.
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

/* Connect to path before deadline. A listener whose backlog is full (a
 * stalled daemon) makes a blocking connect wait, and a non-blocking one
 * fail at once with EAGAIN: a blocking connect bounded by SO_SNDTIMEO
 * waits for it, but never past the deadline. Returns a non-blocking,
 * close-on-exec fd, or -1 with err. */
static int
dial(const char *path, int64_t deadline, struct gw_err *err)
{
	struct sockaddr_un sa;
	size_t n = strlen(path);
	int fd, e;

	if (n == 0)
		return gw_err_set(err, "cannot connect: the socket path is empty");
	if (n > USOCK_PATH_MAX || n >= sizeof(sa.sun_path))
		/* shortened: the reason must fit in the message */
		return gw_err_set(err, "cannot connect to %.80s...: the socket path "
		    "is %zu bytes long, the limit is %d", path, n, USOCK_PATH_MAX);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n + 1);
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

/* Send req (reqlen bytes, its newline included) on fd and read one reply
 * line of at most reply_max bytes, all before deadline. Partial writes go
 * on where they stopped; EINTR and EAGAIN wait again. A peer that closes
 * while we write (EPIPE, ECONNRESET) may have said why: what it wrote is
 * still read. The reply ends at its newline or at EOF. Returns 0 with
 * rep->line and rep->len, or -1 with err and rep->fail. */
static int
exchange(int fd, const char *path, const char *req, size_t reqlen,
    size_t reply_max, int64_t deadline,
    struct dclient_reply *rep, struct gw_err *err)
{
	/* room for the newline: a line of exactly reply_max bytes fits */
	size_t limit = (reply_max > DCLIENT_REPLY_HARD_MAX ?
	    DCLIENT_REPLY_HARD_MAX : reply_max) + 1;
	size_t sent = 0, got = 0, cap = 0;
	char *buf = NULL, *nl;
	int writing = 1;

	rep->fail = DCLIENT_FAIL_IO;
	for (;;) {
		struct pollfd p;
		long ms = ms_left(deadline);
		ssize_t n;
		int r;

		if (ms == 0) {
			rep->fail = DCLIENT_FAIL_TIMEOUT;
			gw_err_set(err, "no reply from %s within the deadline", path);
			goto fail;
		}
		p.fd = fd;
		p.events = POLLIN | (writing ? POLLOUT : 0);
		p.revents = 0;
		r = poll(&p, 1, (int)ms);
		if (r < 0 && errno != EINTR) {
			gw_err_set(err, "cannot wait for %s: poll: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r <= 0)
			continue;
		if (writing && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
			if (n >= 0) {
				sent += (size_t)n;
				writing = sent < reqlen;
			} else if (errno == EPIPE || errno == ECONNRESET) {
				writing = 0;	/* read what it said */
			} else if (errno != EINTR && errno != EAGAIN) {
				gw_err_set(err, "cannot write to %s: %s", path,
				    strerror(errno));
				goto fail;
			}
		}
		if (!(p.revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if (got == cap) {
			size_t ncap;
			char *nb;

			if (cap == limit) {
				gw_err_set(err, "%s: a reply longer than %zu bytes", path,
				    limit - 1);
				goto fail;
			}
			ncap = cap ? cap * 2 : 4096;
			if (ncap > limit)
				ncap = limit;
			if ((nb = realloc(buf, ncap + 1)) == NULL) {
				gw_err_set(err, "out of memory for the reply from %s", path);
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ECONNRESET && got == 0) {
			gw_err_set(err, "%s reset the connection without a reply", path);
			goto fail;
		}
		if (n < 0) {
			gw_err_set(err, "cannot read from %s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			if (got == 0) {
				gw_err_set(err, "%s closed the connection without a "
				    "reply", path);
				goto fail;
			}
			break;	/* EOF ends the line */
		}
		nl = memchr(buf + got, '\n', (size_t)n);
		got += (size_t)n;
		if (nl != NULL) {
			got = (size_t)(nl - buf);
			break;
		}
	}
	buf[got] = '\0';
	rep->line = buf;
	rep->len = got;
	rep->fail = DCLIENT_OK;
	return 0;
fail:
	free(buf);
	return -1;
}

int
dclient_ask(const char *path, const char *req, long timeout_ms,
    size_t reply_max, struct dclient_reply *rep, struct gw_err *err)
{
	int64_t deadline;
	size_t reqlen = strlen(req);
	char *line = NULL;
	int fd = -1, rc = -1;

	memset(rep, 0, sizeof(*rep));
	rep->fail = DCLIENT_FAIL_CONNECT;
	/* one deadline for connect, request and reply */
	if (timeout_ms < 0)
		timeout_ms = 0;
	deadline = clock_mono_ns() + (int64_t)timeout_ms * 1000000;
	if (memchr(req, '\n', reqlen) != NULL)	/* it would be two requests */
		return gw_err_set(err, "a request to %s must be one line", path);
	if ((line = malloc(reqlen + 2)) == NULL)
		return gw_err_set(err, "out of memory for a request to %s", path);
	memcpy(line, req, reqlen);
	memcpy(line + reqlen, "\n", 2);
	if ((fd = dial(path, deadline, err)) < 0 ||
	    exchange(fd, path, line, reqlen + 1, reply_max, deadline, rep,
	    err) < 0)
		goto out;
	rep->obj = json_loadb(rep->line, rep->len, 0, &rep->jerr);
	/* jansson's own words for "not an object" (it parsed as an array) */
	if (rep->obj != NULL && json_unpack_ex(rep->obj, &rep->jerr,
	    JSON_VALIDATE_ONLY, "{}") < 0) {
		json_decref(rep->obj);
		rep->obj = NULL;
	}
	if (rep->obj == NULL) {
		rep->fail = DCLIENT_FAIL_JSON;
		gw_err_set(err, "%s: a reply that is not a JSON object: %s", path,
		    rep->jerr.text);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
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
	json_error_t je;
	int ok = 0, busy = 0;

	*msg = NULL;
	if (dclient_ask(path, req, timeout_ms, reply_max, rep, err) < 0) {
		if (rep->fail == DCLIENT_FAIL_JSON)
			gw_err_set(err, "%s: a reply that is not a JSON object "
			    "with \"ok\": %s", path, rep->jerr.text);
		else if (rep->fail == DCLIENT_FAIL_TIMEOUT) {
			struct gw_err why = *err;	/* not formatted into itself */

			gw_err_set(err, "%s (--timeout)", why.msg);
		}
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
