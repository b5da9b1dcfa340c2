/*
 * lineserv: the line-protocol Unix-socket server shared by gw-sim's and
 * stack-init's control sockets and discord-notify's event socket
 * (docs/runtime.md "Line-protocol sockets"). One opaque object listening on
 * a path (through usock) on a libevent base; its clients send lines ending
 * in LF and get reply lines back. It bounds what a client can make us hold:
 * the line length, the number of clients, the unread replies (back-pressure)
 * and the time without progress. The owner sees lines and episodes through
 * callbacks and answers with lineserv_reply. Never blocks, prints or exits.
 *
 * Callbacks run from the event loop. Inside one, the owner may call any
 * lineserv_* function on any client except lineserv_free; a client is never
 * freed while a callback about it runs (closing is always finished from the
 * loop).
 */
#ifndef GW_LINESERV_H
#define GW_LINESERV_H

#include <stddef.h>

#include "gw_err.h"

struct event_base;
struct lineserv;
struct lineserv_client;

/* Why a client went (on_close). */
enum lineserv_why {
	LINESERV_DONE,		/* its replies flushed after its EOF or lineserv_close */
	LINESERV_IDLE,		/* idle_s without progress, nothing pending */
	LINESERV_IDLE_HALF_LINE,	/* idle_s without progress, half a line read */
	LINESERV_IDLE_UNREAD,	/* idle_s without progress: replies not read */
	LINESERV_LINGER,	/* linger_s ran out (after its EOF or our FIN) */
	LINESERV_EVICTED,	/* made room for a new client (LINESERV_EVICT) */
	LINESERV_ERROR,		/* the connection failed (reset...) */
	LINESERV_SHUTDOWN,	/* lineserv_free */
};

/* At the client limit, a new client... */
enum lineserv_full {
	LINESERV_REFUSE,	/* is refused (busy_line, then closed) */
	LINESERV_EVICT,		/* replaces the least recently active client
				 * that is neither held nor closing (refused
				 * when there is none) */
};

struct lineserv_config {
	const char *path;	/* socket path (usock_listen), copied */
	int backlog;		/* listen(2)'s */
	size_t max_line;	/* bytes before the LF (a CR counts) */
	size_t max_clients;	/* >= 1 */
	enum lineserv_full full;
	const char *busy_line;	/* refused client: this line (no LF) is sent
				 * without waiting, then the socket closed;
				 * NULL: closed silently. Copied. */
	double idle_s;		/* no progress for this long: disconnect; 0:
				 * never (but see linger_s) */
	size_t out_high;	/* unread replies above this: stop reading the
				 * client; 0: no back-pressure */
	size_t out_low;		/* ... until they are at most this */
	double linger_s;	/* 0: close as soon as the replies are out;
				 * > 0: after lineserv_close, FIN and discard
				 * input until the peer's EOF, at most this
				 * long; after the peer's EOF, the replies
				 * get at most this long to go out. With
				 * idle_s 0, also: replies that make no
				 * progress for this long drop the client
				 * (LINESERV_IDLE_UNREAD), so one that never
				 * reads goes, EOF seen or not */
	int deliver_at_error;	/* 1: a connection error delivers the rest of
				 * the input (a last line without LF too), as
				 * EOF does, and a timeout its whole lines,
				 * held or paused as the client may be;
				 * 0: they are dropped */
};

struct lineserv_ops {
	/*
	 * Required. One line: len bytes before its LF (a CR stays), eol 1; or
	 * the rest of the input at the peer's EOF (or an error with
	 * deliver_at_error), eol 0. line is not NUL-terminated and only valid
	 * during the call. Lines of a held or closing client wait.
	 */
	void (*on_line)(struct lineserv_client *cl, const char *line,
	    size_t len, int eol, void *arg);
	/* A line longer than max_line: said once, its bytes skipped up to
	 * its LF. NULL: skipped silently. */
	void (*on_overlong)(struct lineserv_client *cl, void *arg);
	/* After a run of on_line/on_overlong calls (one read, a release):
	 * e.g. one fsync for all of them. Optional. */
	void (*on_batch)(struct lineserv_client *cl, void *arg);
	/* A new client (already counted). -1: it is closed at once, without
	 * on_close (the owner could not take it: out of memory). Optional. */
	int (*on_connect)(struct lineserv_client *cl, void *arg);
	/* A new client found max_clients connected. victim: the client about
	 * to be evicted, already going (lineserv_hold fails on it; its
	 * lines are still delivered, then on_close with
	 * LINESERV_EVICTED); NULL: the new one is refused.
	 * Optional. */
	void (*on_full)(struct lineserv *ls, struct lineserv_client *victim,
	    void *arg);
	/* The client is going: it no longer counts in lineserv_count and
	 * may not be written to; free its user data here. Optional. */
	void (*on_close)(struct lineserv_client *cl, enum lineserv_why why,
	    void *arg);
	/* accept() failed with errnum (EMFILE, ENFILE...): libevent would
	 * fail again at once; the owner may pause accepting
	 * (lineserv_accept_enable). Also errnum ENOMEM: a connection was
	 * closed unserved for lack of memory (never told "busy"). NULL:
	 * libevent's own warning on stderr, and an ENOMEM close is silent. */
	void (*on_accept_error)(struct lineserv *ls, int errnum, void *arg);
};

/*
 * Listen on cfg->path (mode 0600, stale socket replaced: usock_listen) on
 * base. ops and arg are borrowed. Returns the server, or NULL with the
 * reason in err (the usock message, or "cannot watch PATH").
 */
struct lineserv *lineserv_new(struct event_base *base,
    const struct lineserv_config *cfg, const struct lineserv_ops *ops,
    void *arg, struct gw_err *err);

/* Stop accepting and unlink the path; connected clients are served on.
 * Idempotent. */
void lineserv_stop_listening(struct lineserv *ls);

/* Pause (on 0) or resume (on 1) accepting; resuming a listener that is
 * not paused, or after lineserv_stop_listening, does nothing. */
void lineserv_accept_enable(struct lineserv *ls, int on);

/* Connected clients, closing ones included. */
size_t lineserv_count(const struct lineserv *ls);

/* Stop listening (unlink), close every client (on_close with
 * LINESERV_SHUTDOWN), free. NULL-safe; not from inside a callback. */
void lineserv_free(struct lineserv *ls);

/*
 * Queue len bytes and a LF to the client. When out_high is set and more
 * than out_high bytes are unread, the client is not read (its lines wait)
 * until at most out_low are; above 4 * out_high a reply is dropped
 * (returns -1): only a client at its EOF, whose lines are all delivered,
 * gets that far. Also -1 for a client that is going.
 */
int lineserv_reply(struct lineserv_client *cl, const char *line, size_t len);

/*
 * Hold the client (a deferred reply): no more of its lines are delivered,
 * it is not read and cannot be evicted, and after its EOF it stays, until
 * lineserv_release. -1 (not held) when it is being evicted, closing, or
 * going (its last lines at an error or timeout): the owner answers at
 * once instead.
 */
int lineserv_hold(struct lineserv_client *cl);

/* Release a held client: its waiting lines are delivered from the loop,
 * never from inside this call. */
void lineserv_release(struct lineserv_client *cl);

/* Serve no more lines of this client; close it once its replies are out
 * (see linger_s). E.g. one request per connection: reply, then close. */
void lineserv_close(struct lineserv_client *cl);

/* "socket peer N", N counting the server's connections from 1. */
const char *lineserv_client_origin(const struct lineserv_client *cl);

/* The peer's uid and pid (SO_PEERCRED at accept); -1 each when unknown. */
void lineserv_client_peer(const struct lineserv_client *cl, long *uid,
    long *pid);

/* Bytes of an unterminated line held (0 while skipping an overlong one):
 * e.g. to report a half line dropped in on_close. */
size_t lineserv_client_partial(const struct lineserv_client *cl);

/* The owner's pointer for this client (NULL until set). */
void lineserv_client_set_data(struct lineserv_client *cl, void *data);
void *lineserv_client_data(const struct lineserv_client *cl);

/* "idle", "half a line", "replies not read" for the idle reasons; a word
 * for the others. */
const char *lineserv_why_str(enum lineserv_why why);

/* ---------- the line cutter (the server's own; for other byte streams) ---------- */

struct evbuffer;

/* What lineserv_cut found. */
enum lineserv_cut_what {
	LINESERV_CUT_NONE,	/* no whole line yet (nothing taken) */
	LINESERV_CUT_LINE,	/* a line: see struct lineserv_cut */
	LINESERV_CUT_OVERLONG,	/* a line longer than max_line: its bytes so
				 * far are drained, the rest is skipped up to
				 * its LF; said once per line */
};

struct lineserv_cut {
	const char *line;	/* LINE: not NUL-terminated, inside buf: valid
				 * until buf changes */
	size_t len;		/* bytes before its LF (a CR stays) */
	int eol;		/* 1: ended by LF; 0: the rest of buf at eof */
	size_t used;		/* bytes to drain from buf once it is handled */
};

/*
 * Cut the next line out of buf, as lineserv does for its clients: a line
 * is at most max_line bytes before its LF; a longer one is reported once
 * and its bytes discarded up to its LF (*skipping, 0 at the start of a
 * stream, carries that across calls); at eof the rest of buf, without LF,
 * is a last line. It bounds nothing itself: the caller cuts after each
 * read of bounded size, so buf holds at most a partial line and one read.
 * Pure apart from draining buf: no I/O, no allocation but
 * evbuffer_pullup's.
 * On LINESERV_CUT_LINE the caller handles cut->line, then drains
 * cut->used bytes from buf before the next call.
 */
enum lineserv_cut_what lineserv_cut(struct evbuffer *buf, size_t max_line,
    int eof, int *skipping, struct lineserv_cut *cut);

#endif
