/*
 * linefollow: `tail -F` on the event loop. A path is polled on a one-shot
 * timer (re-armed after each poll, so a slow poll never stacks up); an fd
 * ("-", a pipe from `docker logs -f`) is read when libevent says it is
 * readable, one read(2) per wake-up, so a blocking fd never blocks us and
 * the caller's fd flags are left alone.
 *
 * Input is untrusted: bytes are cut at '\n' into lines of at most max_line
 * bytes (longer ones are delivered in max_line pieces, with one note per
 * overlong line); a file's contents, size and identity may change under us
 * at any time. What we do then, and why:
 *  - shrank below what we read (truncated, e.g. logrotate copytruncate or
 *    `: > file`): read again from byte 0; a half line held from before is
 *    dropped, its end is gone;
 *  - another inode at the path (rotated: renamed and recreated): read the
 *    old file to its end first (the writer may have added to it before it
 *    moved), deliver its unterminated last line (nothing will finish it),
 *    then read the new file from byte 0;
 *  - the path vanished (renamed, not yet recreated): keep reading the old
 *    file, a writer may still be appending to it, until a file appears;
 *  - missing when following starts: wait for it, then read it from byte 0
 *    (every line of a file that appears after we started is news);
 *  - existing when following starts (linefollow_new): read from where it
 *    ended then, unless from_start; if it was replaced or shrank before
 *    the first poll, the new contents are news and read from byte 0.
 * A partial last line of a file is held until its newline comes (the
 * writer is mid-line); at a pipe's EOF it is delivered.
 *
 * linefollow_free may be called from inside any callback: the object is
 * then only marked and freed when the callback returns to us, and no
 * further callback runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "gw_err.h"
#include "linefollow.h"

#define LF_CHUNK 65536		/* one read(2) */
#define LF_POLL_BUDGET (1 << 20)	/* bytes per poll before yielding */

struct linefollow {
	struct event_base *base;
	struct event *ev;	/* path: the poll timer; "-": EV_READ */
	struct linefollow_config cfg;
	char path[PATH_MAX];
	int is_pipe;
	int fd;			/* path: the open file, -1 none */
	dev_t dev;
	ino_t ino;
	off_t pos;		/* path: bytes read from the open file */
	int skip;		/* path: the file at start is history ... */
	dev_t skip_dev;		/* ... this file (dev, inode) ... */
	ino_t skip_ino;
	off_t skip_size;	/* ... up to this size */
	int last_errno;		/* path: the last open/stat error noted */
	char *buf;		/* the line so far, cfg.max_line bytes */
	size_t len;
	int overlong;		/* the current line was cut already */
	int busy;		/* inside a callback */
	int dead;		/* freed from inside a callback */
	int eof;		/* "-": ended */
	unsigned long long bytes;
	char chunk[LF_CHUNK];
};

static void
note(struct linefollow *lf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct linefollow *lf, const char *fmt, ...)
{
	char msg[GW_ERR_MAX];
	va_list ap;

	if (lf->dead || lf->cfg.on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lf->busy++;
	lf->cfg.on_note(lf->cfg.arg, msg);
	lf->busy--;
}

static void
deliver(struct linefollow *lf, const char *line, size_t len)
{
	if (lf->dead || lf->cfg.on_line == NULL)
		return;
	lf->busy++;
	lf->cfg.on_line(lf->cfg.arg, line, len);
	lf->busy--;
}

/* The held line, a trailing CR removed, as one line. */
static void
flush_line(struct linefollow *lf)
{
	size_t n = lf->len;

	if (n > 0 && lf->buf[n - 1] == '\r')
		n--;
	lf->len = 0;
	lf->overlong = 0;
	deliver(lf, lf->buf, n);
}

/* Cut n bytes into lines; stops early once freed from a callback. */
static void
consume(struct linefollow *lf, const char *p, size_t n)
{
	const char *end = p + n, *nl;
	size_t take, room;

	lf->bytes += n;
	while (p < end && !lf->dead) {
		nl = memchr(p, '\n', (size_t)(end - p));
		take = (size_t)((nl != NULL ? nl : end) - p);
		room = lf->cfg.max_line - lf->len;
		if (take > room) {
			/* one max_line piece of an overlong line */
			memcpy(lf->buf + lf->len, p, room);
			lf->len += room;
			p += room;
			if (!lf->overlong)
				note(lf, "%s: a line longer than %zu bytes, "
				    "delivered in pieces", lf->path,
				    lf->cfg.max_line);
			lf->overlong = 1;
			lf->len = 0;
			deliver(lf, lf->buf, lf->cfg.max_line);
			continue;
		}
		memcpy(lf->buf + lf->len, p, take);
		lf->len += take;
		p += take;
		if (nl == NULL)
			break;		/* held until its newline */
		p++;
		if (lf->len == 0 && lf->overlong) {
			/* the newline right after a full piece ends the
			 * overlong line; there is no empty line here */
			lf->overlong = 0;
			continue;
		}
		flush_line(lf);
	}
}

/* The held unterminated line, if any, as a last line. */
static void
flush_rest(struct linefollow *lf)
{
	if (lf->len > 0)
		flush_line(lf);
	lf->overlong = 0;
}

static void
really_free(struct linefollow *lf)
{
	if (lf->ev != NULL)
		event_free(lf->ev);
	if (!lf->is_pipe && lf->fd >= 0)
		close(lf->fd);
	free(lf->buf);
	free(lf);
}

/* ---- a path ---- */

static void
close_file(struct linefollow *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	lf->pos = 0;
}

/* Open the path; 0 when there is no (readable) file yet. The file that
 * was there when following started is read from where it ended then. */
static int
open_file(struct linefollow *lf)
{
	off_t at = 0;
	struct stat st;
	int fd;

	if ((fd = open(lf->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno != ENOENT && errno != lf->last_errno)
			note(lf, "%s: cannot open: %s", lf->path,
			    strerror(errno));
		lf->last_errno = errno;
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (lf->last_errno != EINVAL)
			note(lf, "%s: not a regular file", lf->path);
		lf->last_errno = EINVAL;
		close(fd);
		return 0;
	}
	lf->last_errno = 0;
	lf->fd = fd;
	lf->dev = st.st_dev;
	lf->ino = st.st_ino;
	lf->pos = 0;
	if (lf->skip && st.st_dev == lf->skip_dev && st.st_ino == lf->skip_ino)
		at = lf->skip_size <= st.st_size ? lf->skip_size : 0;
	lf->skip = 0;
	if (at > 0 && lseek(fd, at, SEEK_SET) == at)
		lf->pos = at;
	return 1;
}

/* Read the open file up to its end or *budget bytes; -1 on a read error
 * (noted, file closed). */
static int
drain(struct linefollow *lf, size_t *budget)
{
	ssize_t n;

	while (*budget > 0 && !lf->dead) {
		n = read(lf->fd, lf->chunk, sizeof(lf->chunk));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			note(lf, "%s: read error: %s", lf->path,
			    strerror(errno));
			close_file(lf);
			return -1;
		}
		lf->pos += n;
		*budget = (size_t)n >= *budget ? 0 : *budget - (size_t)n;
		consume(lf, lf->chunk, (size_t)n);
	}
	return 0;
}

static void
arm(struct linefollow *lf, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(lf->ev, &tv);
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct linefollow *lf = arg;
	size_t budget = LF_POLL_BUDGET;
	struct stat st;

	(void)fd;
	(void)what;
	lf->busy++;
	if (lf->fd < 0 && !open_file(lf))
		goto out;
	if (drain(lf, &budget) < 0 || lf->dead)
		goto out;
	if (fstat(lf->fd, &st) == 0 && st.st_size < lf->pos) {
		note(lf, "%s: truncated, reading it from its start", lf->path);
		lf->len = 0;		/* its end is gone */
		lf->overlong = 0;
		if (lseek(lf->fd, 0, SEEK_SET) == 0)
			lf->pos = 0;
		if (drain(lf, &budget) < 0 || lf->dead)
			goto out;
	}
	if (budget == 0)
		goto out;		/* more to read: again at once */
	if (stat(lf->path, &st) == 0 &&
	    (st.st_dev != lf->dev || st.st_ino != lf->ino)) {
		/* whatever the writer added before the rename, then the
		 * old file's unterminated last line */
		budget = SIZE_MAX;
		if (drain(lf, &budget) < 0 || lf->dead)
			goto out;
		flush_rest(lf);
		if (lf->dead)
			goto out;
		note(lf, "%s: rotated, reading the new file from its start",
		    lf->path);
		close_file(lf);
		if (!lf->dead && open_file(lf)) {
			budget = LF_POLL_BUDGET;
			drain(lf, &budget);
		}
	}
out:
	lf->busy--;
	if (lf->dead) {
		really_free(lf);
		return;
	}
	arm(lf, budget == 0 ? 0 : lf->cfg.poll_ms);
}

/* ---- a pipe ---- */

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct linefollow *lf = arg;
	ssize_t n;

	(void)what;
	lf->busy++;
	n = read(fd, lf->chunk, sizeof(lf->chunk));
	if (n > 0)
		consume(lf, lf->chunk, (size_t)n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		if (n < 0)
			note(lf, "%s: read error: %s", lf->path,
			    strerror(errno));
		event_del(lf->ev);
		lf->eof = 1;
		flush_rest(lf);
		if (!lf->dead && lf->cfg.on_eof != NULL)
			lf->cfg.on_eof(lf->cfg.arg);
	}
	lf->busy--;
	if (lf->dead)
		really_free(lf);
}

struct linefollow *
linefollow_new(struct event_base *base, const struct linefollow_config *cfg,
    struct gw_err *err)
{
	struct linefollow *lf;
	struct timeval now = { 0, 0 };
	struct stat st;
	int is_pipe;

	if (cfg->path == NULL || cfg->path[0] == '\0') {
		gw_err_set(err, "linefollow: no path");
		return NULL;
	}
	if (strlen(cfg->path) >= PATH_MAX) {
		gw_err_set(err, "linefollow: path longer than %d bytes",
		    PATH_MAX - 1);
		return NULL;
	}
	is_pipe = strcmp(cfg->path, "-") == 0;
	if (is_pipe && cfg->fd < 0) {
		gw_err_set(err, "linefollow: \"-\" needs an fd, got %d",
		    cfg->fd);
		return NULL;
	}
	if ((lf = calloc(1, sizeof(*lf))) == NULL) {
		gw_err_set(err, "linefollow: out of memory");
		return NULL;
	}
	lf->base = base;
	lf->cfg = *cfg;
	if (lf->cfg.poll_ms <= 0)
		lf->cfg.poll_ms = 250;
	if (lf->cfg.max_line == 0)
		lf->cfg.max_line = 4096;
	snprintf(lf->path, sizeof(lf->path), "%s", cfg->path);
	lf->cfg.path = lf->path;
	lf->is_pipe = is_pipe;
	lf->fd = is_pipe ? cfg->fd : -1;
	if (!is_pipe && !cfg->from_start && stat(lf->path, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		/* what is there now is history (the poll opens it later:
		 * no callback runs from here) */
		lf->skip = 1;
		lf->skip_dev = st.st_dev;
		lf->skip_ino = st.st_ino;
		lf->skip_size = st.st_size;
	}
	if ((lf->buf = malloc(lf->cfg.max_line)) == NULL) {
		gw_err_set(err, "linefollow: out of memory");
		goto fail;
	}
	if (is_pipe) {
		lf->ev = event_new(base, lf->fd, EV_READ | EV_PERSIST,
		    on_readable, lf);
		if (lf->ev == NULL || event_add(lf->ev, NULL) < 0) {
			gw_err_set(err, "linefollow: fd %d cannot be watched "
			    "(a regular file? use its path)", lf->fd);
			goto fail;
		}
	} else {
		lf->ev = evtimer_new(base, on_poll, lf);
		if (lf->ev == NULL || evtimer_add(lf->ev, &now) < 0) {
			gw_err_set(err, "linefollow: %s: cannot add a timer",
			    lf->path);
			goto fail;
		}
	}
	return lf;
fail:
	really_free(lf);
	return NULL;
}

void
linefollow_free(struct linefollow *lf)
{
	if (lf == NULL || lf->dead)
		return;
	if (lf->busy) {
		/* inside one of our callbacks: finish when it returns */
		lf->dead = 1;
		event_del(lf->ev);
		return;
	}
	really_free(lf);
}

unsigned long long
linefollow_bytes(const struct linefollow *lf)
{
	return lf->bytes;
}
