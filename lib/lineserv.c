/*
 * lineserv: the line-protocol Unix-socket server (see lineserv.h).
 * Every byte from a client is untrusted: lines are cut at max_line before
 * they are buffered further (one read takes at most max_line + 1 bytes),
 * clients at max_clients, unread replies at out_high (then the client is
 * not read) and 4 * out_high (then replies are dropped), and a client
 * making no progress for idle_s is dropped (without idle_s, one whose
 * replies make no progress for linger_s).
 */
#include "lineserv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "clock.h"
#include "usock.h"

struct lineserv_client {
	LIST_ENTRY(lineserv_client) link;
	struct lineserv *ls;
	struct bufferevent *bev;
	struct evbuffer *in;	/* read, not delivered yet */
	struct event *kick;	/* release / close, finished from the loop */
	struct event *linger;	/* linger_s deadline */
	int64_t last_active_ns;	/* last bytes received (clock_mono_ns) */
	char origin[32];
	long uid, pid;
	void *data;
	int skipping;		/* discarding the rest of an overlong line */
	int paused;		/* too many unread replies: not reading */
	int held;		/* lineserv_hold */
	int eof;		/* the peer's EOF (or error, eviction): its last
				 * line is delivered without LF */
	int closing;		/* no more lines: close once flushed */
	int lingering;		/* FIN sent: discard input until EOF */
	int evicting;
	int gone;		/* in on_close: no more writes */
};

struct lineserv {
	struct event_base *base;
	struct lineserv_config cfg;
	char path[USOCK_PATH_MAX + 1];
	char *busy;		/* busy_line and its LF, or NULL */
	size_t busy_len;
	const struct lineserv_ops *ops;
	void *arg;
	struct evconnlistener *lis;
	LIST_HEAD(, lineserv_client) clients;
	size_t n;
	unsigned long next_peer;
};

static void client_free(struct lineserv_client *cl, enum lineserv_why why);

static size_t
out_len(const struct lineserv_client *cl)
{
	return evbuffer_get_length(bufferevent_get_output(cl->bev));
}

enum lineserv_cut_what
lineserv_cut(struct evbuffer *buf, size_t max, int eof, int *skipping,
    struct lineserv_cut *cut)
{
	struct evbuffer_ptr p;
	size_t len;
	char *line;
	int report;

	for (;;) {
		len = evbuffer_get_length(buf);
		if (len == 0)
			return LINESERV_CUT_NONE;
		p = evbuffer_search_eol(buf, NULL, NULL, EVBUFFER_EOL_LF);
		if (p.pos < 0) {
			if (len > max || (eof && *skipping)) {
				report = !*skipping;	/* once per overlong line */
				evbuffer_drain(buf, len);
				*skipping = !eof;
				if (report)
					return LINESERV_CUT_OVERLONG;
				continue;
			}
			if (!eof)
				return LINESERV_CUT_NONE;
			p.pos = (ev_ssize_t)len;	/* last line without LF */
		}
		if (*skipping) {
			evbuffer_drain(buf, (size_t)p.pos + 1);
			*skipping = 0;
			continue;
		}
		if ((size_t)p.pos > max) {
			evbuffer_drain(buf, (size_t)p.pos + 1);
			return LINESERV_CUT_OVERLONG;
		}
		cut->len = (size_t)p.pos;
		cut->eol = cut->len < len;
		cut->used = cut->len + (size_t)cut->eol;
		line = (char *)evbuffer_pullup(buf, (ev_ssize_t)cut->used);
		cut->line = line != NULL ? line : "";
		return LINESERV_CUT_LINE;
	}
}

/* Deliver every complete line in cl->in (at EOF the rest is one more),
 * until the client is held, closing, or paused (unless at EOF or going:
 * then its replies may exceed out_high, up to the drop cap). */
static void
deliver(struct lineserv_client *cl)
{
	struct lineserv *ls = cl->ls;
	struct lineserv_cut cut;
	enum lineserv_cut_what w;
	int calls = 0;

	while (!cl->held && !cl->closing &&
	    (!cl->paused || cl->eof || cl->evicting)) {
		w = lineserv_cut(cl->in, ls->cfg.max_line, cl->eof,
		    &cl->skipping, &cut);
		if (w == LINESERV_CUT_NONE)
			break;
		if (w == LINESERV_CUT_OVERLONG) {
			if (ls->ops->on_overlong != NULL) {
				calls++;
				ls->ops->on_overlong(cl, ls->arg);
			}
			continue;
		}
		calls++;
		ls->ops->on_line(cl, cut.line, cut.len, cut.eol, ls->arg);
		evbuffer_drain(cl->in, cut.used);
	}
	if (calls > 0 && ls->ops->on_batch != NULL)
		ls->ops->on_batch(cl, ls->arg);
}

/* No more lines: close once the replies are out (client_write or, when
 * they already are, the kick from the loop). After the peer's EOF they get
 * linger_s at most, so a client that half-closes and never reads cannot
 * hold the connection (idle_s, or without it the linger_s write timeout,
 * applies too: a paused client's EOF is never read). */
static void
start_close(struct lineserv_client *cl)
{
	struct timeval tv;

	if (cl->closing)
		return;
	cl->closing = 1;
	cl->held = 0;
	bufferevent_disable(cl->bev, EV_READ);
	bufferevent_setwatermark(cl->bev, EV_WRITE, 0, 0);
	if (out_len(cl) == 0) {
		event_active(cl->kick, EV_TIMEOUT, 0);
		return;
	}
	if (cl->eof && cl->ls->cfg.linger_s > 0) {
		tv = clock_tv_ms(cl->ls->cfg.linger_s * 1e3);
		evtimer_add(cl->linger, &tv);
	}
}

/* The replies of a closing client are out: free it (after the peer's EOF,
 * or without linger), else FIN and discard its input until its EOF or
 * linger_s (rather than close() with unread input, which resets: the peer
 * reads our last replies and an orderly EOF). */
static void
finish_close(struct lineserv_client *cl)
{
	struct timeval tv;

	if (cl->eof || cl->ls->cfg.linger_s <= 0) {
		client_free(cl, LINESERV_DONE);
		return;
	}
	cl->lingering = 1;
	shutdown(bufferevent_getfd(cl->bev), SHUT_WR);
	bufferevent_enable(cl->bev, EV_READ);
	tv = clock_tv_ms(cl->ls->cfg.linger_s * 1e3);
	evtimer_add(cl->linger, &tv);
}

/* From the loop: a released client's lines, or a close with nothing left
 * to write. */
static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct lineserv_client *cl = arg;

	(void)fd;
	(void)what;
	if (cl->lingering)
		return;
	if (cl->closing) {
		if (out_len(cl) == 0)
			finish_close(cl);
		return;
	}
	if (cl->held)
		return;
	if (!cl->paused && !cl->eof)
		bufferevent_enable(cl->bev, EV_READ);
	deliver(cl);
	if (cl->eof && !cl->held)
		start_close(cl);
}

static void
on_linger(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_free(arg, LINESERV_LINGER);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct lineserv_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	cl->last_active_ns = clock_mono_ns();
	if (cl->lingering) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_add_buffer(cl->in, in);
	deliver(cl);
}

/* Replies drained to out_low: read the client again; a closing one goes
 * once they are all out (the write watermark is 0 then). */
static void
client_write(struct bufferevent *bev, void *arg)
{
	struct lineserv_client *cl = arg;
	size_t out = evbuffer_get_length(bufferevent_get_output(bev));

	if (cl->lingering)
		return;
	if (cl->closing) {
		if (out == 0)
			finish_close(cl);
		return;
	}
	if (cl->eof || !cl->paused || out > cl->ls->cfg.out_low)
		return;
	cl->paused = 0;
	if (!cl->held)
		bufferevent_enable(bev, EV_READ);
	deliver(cl);		/* lines held while paused */
}

/* The connection is going (an error, or no progress): with
 * deliver_at_error, what the client sent is the owner's still, as an
 * evicted client's is: no hold or pause stops it now, and it cannot be
 * held again. After an error the rest is a last line too; after a timeout
 * only whole lines go (half a line is on_close's to report). */
static void
deliver_last(struct lineserv_client *cl, int rest)
{
	if (!cl->ls->cfg.deliver_at_error || cl->closing)
		return;
	cl->held = 0;
	cl->evicting = 1;
	if (rest)
		cl->eof = 1;
	deliver(cl);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct lineserv_client *cl = arg;

	(void)bev;
	if (cl->lingering) {	/* the peer's EOF after our FIN, or an error */
		client_free(cl, LINESERV_DONE);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		/* paused or at EOF, cl->in holds whole lines not delivered
		 * yet, not half a one */
		size_t part = cl->paused || cl->eof ? 0 :
		    evbuffer_get_length(cl->in);
		enum lineserv_why why = (what & BEV_EVENT_WRITING) ?
		    LINESERV_IDLE_UNREAD : part > 0 ? LINESERV_IDLE_HALF_LINE :
		    LINESERV_IDLE;

		deliver_last(cl, 0);
		client_free(cl, why);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		deliver_last(cl, 1);
		client_free(cl, LINESERV_ERROR);
		return;
	}
	if (what & BEV_EVENT_EOF) {	/* half-closed: it may still read */
		if (cl->closing) {	/* finish_close frees it when flushed */
			cl->eof = 1;
			return;
		}
		cl->eof = 1;
		deliver(cl);
		if (!cl->held)
			start_close(cl);
	}
}

static void
client_free(struct lineserv_client *cl, enum lineserv_why why)
{
	struct lineserv *ls = cl->ls;

	LIST_REMOVE(cl, link);
	ls->n--;
	cl->closing = cl->gone = 1;
	if (ls->ops->on_close != NULL)
		ls->ops->on_close(cl, why, ls->arg);
	if (cl->kick != NULL)
		event_free(cl->kick);
	if (cl->linger != NULL)
		event_free(cl->linger);
	if (cl->bev != NULL)
		bufferevent_free(cl->bev);
	if (cl->in != NULL)
		evbuffer_free(cl->in);
	free(cl);
}

/* The least recently active client neither held nor closing, or NULL. */
static struct lineserv_client *
eviction_candidate(struct lineserv *ls)
{
	struct lineserv_client *cl, *best = NULL;

	LIST_FOREACH(cl, &ls->clients, link) {
		if (cl->held || cl->eof || cl->closing)
			continue;
		if (best == NULL || cl->last_active_ns < best->last_active_ns)
			best = cl;
	}
	return best;
}

/* A refused client is told so in one line, if configured, never waiting
 * for it (it has not been read: the peer may see ECONNRESET after it). */
static void
refuse(struct lineserv *ls, evutil_socket_t fd)
{
	if (ls->busy != NULL)
		(void)send(fd, ls->busy, ls->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	evutil_closesocket(fd);
}

static void
nomem(struct lineserv *ls)
{
	if (ls->ops->on_accept_error != NULL)
		ls->ops->on_accept_error(ls, ENOMEM, ls->arg);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct lineserv *ls = arg;
	struct lineserv_client *cl, *victim;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct timeval idle;

	(void)l;
	(void)sa;
	(void)salen;
	if (ls->n >= ls->cfg.max_clients) {
		victim = ls->cfg.full == LINESERV_EVICT ? eviction_candidate(ls) : NULL;
		/* going before on_full is told: it cannot be held there, and
		 * its sends do not wait */
		if (victim != NULL)
			victim->evicting = victim->eof = 1;
		if (ls->ops->on_full != NULL)
			ls->ops->on_full(ls, victim, ls->arg);
		if (victim == NULL) {
			refuse(ls, fd);
			return;
		}
		deliver(victim);	/* keep what it sent */
		client_free(victim, LINESERV_EVICTED);
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		evutil_closesocket(fd);
		nomem(ls);
		return;
	}
	cl->ls = ls;
	cl->uid = cl->pid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0) {
		cl->uid = (long)cr.uid;
		cl->pid = (long)cr.pid;
	}
	cl->last_active_ns = clock_mono_ns();
	snprintf(cl->origin, sizeof(cl->origin), "socket peer %lu", ++ls->next_peer);
	cl->in = evbuffer_new();
	cl->kick = event_new(ls->base, -1, 0, on_kick, cl);
	cl->linger = evtimer_new(ls->base, on_linger, cl);
	cl->bev = bufferevent_socket_new(ls->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl->in == NULL || cl->kick == NULL || cl->linger == NULL ||
	    cl->bev == NULL) {
		if (cl->bev == NULL)
			evutil_closesocket(fd);
		else
			bufferevent_free(cl->bev);
		if (cl->in != NULL)
			evbuffer_free(cl->in);
		if (cl->kick != NULL)
			event_free(cl->kick);
		if (cl->linger != NULL)
			event_free(cl->linger);
		free(cl);
		nomem(ls);
		return;
	}
	LIST_INSERT_HEAD(&ls->clients, cl, link);
	ls->n++;
	if (ls->ops->on_connect != NULL && ls->ops->on_connect(cl, ls->arg) < 0) {
		LIST_REMOVE(cl, link);
		ls->n--;
		event_free(cl->kick);
		event_free(cl->linger);
		bufferevent_free(cl->bev);
		evbuffer_free(cl->in);
		free(cl);
		return;
	}
	/* Read at most max_line + 1 bytes at a time: a client sending without
	 * newlines is cut into overlong lines, never buffered without bound. */
	bufferevent_setwatermark(cl->bev, EV_READ, 0, ls->cfg.max_line + 1);
	bufferevent_setwatermark(cl->bev, EV_WRITE, ls->cfg.out_low, 0);
	if (ls->cfg.idle_s > 0) {
		idle = clock_tv_ms(ls->cfg.idle_s * 1e3);
		bufferevent_set_timeouts(cl->bev, &idle, &idle);
	} else if (ls->cfg.linger_s > 0) {
		/* No idle limit, yet a client that never reads must go: one
		 * paused never shows us its EOF (it is not read), and
		 * replies it leaves unread keep a closing one. Replies that
		 * make no progress for linger_s drop it. */
		idle = clock_tv_ms(ls->cfg.linger_s * 1e3);
		bufferevent_set_timeouts(cl->bev, NULL, &idle);
	}
	bufferevent_setcb(cl->bev, client_read, client_write, client_event, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

static void
on_listener_error(struct evconnlistener *l, void *arg)
{
	struct lineserv *ls = arg;
	int e = EVUTIL_SOCKET_ERROR();

	(void)l;
	ls->ops->on_accept_error(ls, e, ls->arg);
}

struct lineserv *
lineserv_new(struct event_base *base, const struct lineserv_config *cfg,
    const struct lineserv_ops *ops, void *arg, struct gw_err *err)
{
	struct lineserv *ls;
	int fd;

	if (cfg->path == NULL || strlen(cfg->path) > USOCK_PATH_MAX) {
		gw_err_set(err, "socket path missing or longer than %d bytes",
		    USOCK_PATH_MAX);
		return NULL;
	}
	if (ops == NULL || ops->on_line == NULL || cfg->max_line == 0 ||
	    cfg->max_clients == 0 || cfg->out_low > cfg->out_high) {
		gw_err_set(err, "lineserv: bad configuration");
		return NULL;
	}
	if ((ls = calloc(1, sizeof(*ls))) == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	ls->base = base;
	ls->cfg = *cfg;
	snprintf(ls->path, sizeof(ls->path), "%s", cfg->path);
	ls->cfg.path = ls->path;
	ls->ops = ops;
	ls->arg = arg;
	LIST_INIT(&ls->clients);
	if (cfg->busy_line != NULL) {
		ls->busy_len = strlen(cfg->busy_line) + 1;
		if ((ls->busy = malloc(ls->busy_len)) == NULL) {
			free(ls);
			gw_err_set(err, "out of memory");
			return NULL;
		}
		memcpy(ls->busy, cfg->busy_line, ls->busy_len - 1);
		ls->busy[ls->busy_len - 1] = '\n';
	}
	ls->cfg.busy_line = NULL;
	if ((fd = usock_listen(ls->path, cfg->backlog, err)) < 0) {
		free(ls->busy);
		free(ls);
		return NULL;
	}
	/* backlog 0: usock_listen's listen(2) stands */
	ls->lis = evconnlistener_new(base, on_accept, ls,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (ls->lis == NULL) {
		close(fd);
		unlink(ls->path);
		free(ls->busy);
		free(ls);
		gw_err_set(err, "cannot watch %s", cfg->path);
		return NULL;
	}
	if (ops->on_accept_error != NULL)
		evconnlistener_set_error_cb(ls->lis, on_listener_error);
	return ls;
}

void
lineserv_stop_listening(struct lineserv *ls)
{
	if (ls->lis == NULL)
		return;
	evconnlistener_free(ls->lis);
	ls->lis = NULL;
	unlink(ls->path);
}

void
lineserv_accept_enable(struct lineserv *ls, int on)
{
	if (ls->lis == NULL)
		return;
	if (on)
		evconnlistener_enable(ls->lis);
	else
		evconnlistener_disable(ls->lis);
}

size_t
lineserv_count(const struct lineserv *ls)
{
	return ls->n;
}

void
lineserv_free(struct lineserv *ls)
{
	if (ls == NULL)
		return;
	lineserv_stop_listening(ls);
	while (!LIST_EMPTY(&ls->clients))
		client_free(LIST_FIRST(&ls->clients), LINESERV_SHUTDOWN);
	free(ls->busy);
	free(ls);
}

int
lineserv_reply(struct lineserv_client *cl, const char *line, size_t len)
{
	struct lineserv *ls = cl->ls;
	size_t out;

	if (cl->lingering || cl->gone)
		return -1;
	out = out_len(cl);
	if (ls->cfg.out_high > 0 && out > 4 * ls->cfg.out_high)
		return -1;
	if (bufferevent_write(cl->bev, line, len) < 0 ||
	    bufferevent_write(cl->bev, "\n", 1) < 0)
		return -1;
	if (ls->cfg.out_high > 0 && !cl->paused && out_len(cl) > ls->cfg.out_high) {
		cl->paused = 1;
		bufferevent_disable(cl->bev, EV_READ);
	}
	return 0;
}

int
lineserv_hold(struct lineserv_client *cl)
{
	if (cl->evicting || cl->closing || cl->gone)
		return -1;
	cl->held = 1;
	bufferevent_disable(cl->bev, EV_READ);	/* its next lines wait */
	return 0;
}

void
lineserv_release(struct lineserv_client *cl)
{
	if (!cl->held || cl->gone)
		return;
	cl->held = 0;
	event_active(cl->kick, EV_TIMEOUT, 0);
}

void
lineserv_close(struct lineserv_client *cl)
{
	if (!cl->gone)
		start_close(cl);
}

const char *
lineserv_client_origin(const struct lineserv_client *cl)
{
	return cl->origin;
}

void
lineserv_client_peer(const struct lineserv_client *cl, long *uid, long *pid)
{
	if (uid != NULL)
		*uid = cl->uid;
	if (pid != NULL)
		*pid = cl->pid;
}

size_t
lineserv_client_partial(const struct lineserv_client *cl)
{
	return cl->skipping ? 0 : evbuffer_get_length(cl->in);
}

void
lineserv_client_set_data(struct lineserv_client *cl, void *data)
{
	cl->data = data;
}

void *
lineserv_client_data(const struct lineserv_client *cl)
{
	return cl->data;
}

const char *
lineserv_why_str(enum lineserv_why why)
{
	switch (why) {
	case LINESERV_DONE: return "done";
	case LINESERV_IDLE: return "idle";
	case LINESERV_IDLE_HALF_LINE: return "half a line";
	case LINESERV_IDLE_UNREAD: return "replies not read";
	case LINESERV_LINGER: return "linger deadline";
	case LINESERV_EVICTED: return "evicted";
	case LINESERV_ERROR: return "connection error";
	case LINESERV_SHUTDOWN: return "shutdown";
	}
	return "?";
}
