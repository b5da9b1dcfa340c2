/*
 * linefollow: follow a growing log file (or a pipe) on the event loop and
 * hand over complete lines, like `tail -F`. For IBC's log (health-mon
 * --ibc-log, stack-init's "ibc_log"): a file the gateway container writes
 * on a shared volume, or lines piped in from `docker logs -f`.
 *
 * A path is polled (every poll_ms): new bytes are read and cut into lines;
 * a file that shrank (truncated) is read again from its start; a file
 * replaced by another (rotated: a new inode at the path) is reopened and
 * read from its start after the old one's remainder; a missing file is
 * waited for (no error: the gateway may not have started yet). A file that
 * exists when following starts (at linefollow_new) is read from its END as
 * it was then (old lines are history, not news) unless from_start is set.
 *
 * "-" or a pipe fd is read as it becomes readable, until EOF (then
 * on_eof). Input is untrusted: a line longer than max_line bytes is cut
 * into max_line-sized pieces, each delivered, and on_note is told once
 * per overlong line. NUL bytes are delivered as they are (len counts them).
 */
#ifndef GW_LINEFOLLOW_H
#define GW_LINEFOLLOW_H

#include <stddef.h>

struct event_base;
struct gw_err;
struct linefollow;

struct linefollow_config {
	const char *path;	/* a file to follow, or "-" for fd */
	int fd;			/* with path "-": the fd to read (not closed) */
	int poll_ms;		/* path: poll interval (250) */
	size_t max_line;	/* longest line delivered whole (4096) */
	int from_start;		/* path: read an existing file from byte 0 */
	/* each complete line, without its '\n' (a trailing '\r' removed) */
	void (*on_line)(void *arg, const char *line, size_t len);
	/* "-": the pipe ended (a last unterminated line was delivered) */
	void (*on_eof)(void *arg);
	/* a one-line problem worth a warning: overlong line, read error,
	 * reopened after rotation ("rotated"), truncated */
	void (*on_note)(void *arg, const char *msg);
	void *arg;
};

/* Start following; the first poll runs at once. 0 / -1 with err (a path
 * longer than PATH_MAX, an fd that cannot be watched). */
struct linefollow *linefollow_new(struct event_base *base,
    const struct linefollow_config *cfg, struct gw_err *err);
/* Stop and free (NULL is fine); no callback runs after it. */
void linefollow_free(struct linefollow *lf);

/* Bytes delivered so far (tests, status). */
unsigned long long linefollow_bytes(const struct linefollow *lf);

#endif
