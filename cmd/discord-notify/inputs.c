/*
 * inputs: stdin and the socket's clients, line by line, to the notifier
 * (see inputs.h). Every byte read is untrusted: lines are cut at
 * GW_EVENT_MAX_LINE + 1 bytes (lineserv_cut, for both inputs), a line is
 * decoded once (the notifier validates events), a request is answered in
 * one line; lineserv bounds the clients, their idle time and their unread
 * replies.
 */
#include "inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "lineserv.h"
#include "notifier.h"

#define MAX_LINE (GW_EVENT_MAX_LINE + 1)	/* bytes before the LF */
#define OUT_HIGH (64 * 1024)	/* a client's unread replies: stop reading it */
#define OUT_LOW (16 * 1024)	/* ... until they are below this */
#define STDIN_CHUNK 65536	/* bytes read from stdin at a time */
#define MAX_WAIT_MS 86400000	/* a "send" request's wait_ms is cut to this */

/* One input: its line count and name (stdin, or a socket client). */
struct input {
	unsigned long lineno;
	char origin[64];
	int is_stdin;
};

/* A socket client (lib/lineserv does the socket, limits and buffering). */
struct client {
	LIST_ENTRY(client) link;
	struct inputs *in;
	struct lineserv_client *lc;
	struct input src;
	uint64_t wait_seq;	/* "send" request waiting for delivery; 0 none:
				 * the client is held, its later lines wait
				 * (replies stay in order) */
	struct event *wait_timer;	/* its deadline */
};

struct inputs {
	struct event_base *base;
	struct notifier *n;
	struct gw_log *log;
	struct inputs_config cfg;
	const struct inputs_ops *ops;
	void *arg;
	struct lineserv *ls;	/* the socket; NULL without one */
	LIST_HEAD(, client) clients;
	int limit_episode;	/* at the client limit: logged once */
	unsigned long evicted, refused;
	long refused_status;	/* the webhook's 401/403/404; 0 when not */
	char refused_msg[200];	/* Discord's message with it */
	struct input stdin_src;
	struct evbuffer *stdin_buf;
	int stdin_skipping;	/* discarding the rest of an overlong line */
	struct event *stdin_ev;
	int stdin_regular;	/* read like a file: a chunk per loop turn */
};

/* ---------- replies ---------- */

/* Queue one reply line. A client that does not read its replies is not
 * read either once OUT_HIGH bytes wait (lineserv resumes it below
 * OUT_LOW; --client-timeout without progress disconnects it). Above
 * 4 * OUT_HIGH a reply is dropped: only a closing client gets there. */
static void
reply(struct client *cl, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (s != NULL)
		(void)lineserv_reply(cl->lc, s, strlen(s));
	free(s);
}

/* The answer to a send request while the webhook refuses us. */
static json_t *
parked_reply(const struct inputs *in)
{
	return json_pack("{s:b, s:b, s:s, s:i, s:s}", "ok", 1, "delivered", 0,
	    "status", "parked", "http_status", (int)in->refused_status,
	    "discord", in->refused_msg);
}

/* The reply to a waiting "send" is queued (or its wait_ms ran out): the
 * client's next lines are handled, from the loop, never from inside the
 * ack that answered it. */
static void
client_wait_ended(struct client *cl)
{
	cl->wait_seq = 0;
	lineserv_release(cl->lc);
}

static void
on_wait_timer(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	if (cl->wait_seq == 0)
		return;
	reply(cl, json_pack("{s:b, s:b, s:s}", "ok", 1, "delivered", 0,
	    "status", "spooled"));	/* wait_ms ran out */
	client_wait_ended(cl);
}

/* ---------- lines ---------- */

/* Reject a line: counted and logged by the notifier, and said by the
 * owner for whoever feeds us. */
static void
reject_line(struct inputs *in, const struct input *src,
    unsigned long lineno, const char *reason)
{
	notifier_reject(in->n, src->origin, lineno, reason);
	in->ops->on_reject(in->arg, src->origin, lineno, reason);
}

static void
overlong_line(struct inputs *in, struct input *src)
{
	src->lineno++;		/* said once per overlong line */
	reject_line(in, src, src->lineno, "line longer than 65536 bytes");
}

/* Submit one event line. A rejected one is logged by the notifier; the
 * owner says it too, and its reason goes into why (a line that decodes
 * was refused by the spool instead: logged critical, why says so).
 * Returns notifier_submit's result. */
static int
submit_line(struct inputs *in, const char *line, size_t len,
    const char *origin, unsigned long lineno, uint64_t *seq, char *why,
    size_t whysz)
{
	struct gw_event ev;
	struct gw_err e;

	if (notifier_submit(in->n, line, len, origin, lineno, seq) == 0)
		return 0;
	if (gw_event_decode(line, len, &ev, &e) < 0) {
		in->ops->on_reject(in->arg, origin, lineno, e.msg);
		snprintf(why, whysz, "event rejected: %s", e.msg);
	} else {
		snprintf(why, whysz, "the spool cannot be written: event not accepted");
	}
	gw_event_clear(&ev);
	return -1;
}

/* A command line from a socket client: {"cmd":"stats"} or
 * {"cmd":"send","event":{...},"wait_ms":N}. */
static void
client_command(struct inputs *in, struct client *cl, json_t *o)
{
	const char *cmd = json_string_value(json_object_get(o, "cmd"));
	json_t *ev = json_object_get(o, "event");
	json_int_t wait_ms = 0;
	char *line, why[GW_WHY_MAX];
	struct timeval tv;
	uint64_t seq;

	if (cmd != NULL && strcmp(cmd, "stats") == 0) {
		json_t *s = notifier_stats_json(in->n);

		reply(cl, json_pack("{s:b, s:o}", "ok", 1, "stats", s));
		return;
	}
	if (cmd == NULL || strcmp(cmd, "send") != 0 || !json_is_object(ev)) {
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "unknown command (stats, or send with an event object)"));
		return;
	}
	json_unpack(o, "{s?:I}", "wait_ms", &wait_ms);
	line = json_dumps(ev, JSON_COMPACT);
	if (line == NULL || submit_line(in, line, strlen(line), "send request",
	    1, &seq, why, sizeof(why)) < 0) {
		free(line);
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", line == NULL ?
		    "out of memory" : why));
		return;
	}
	free(line);
	if (notifier_commit(in->n) < 0) {	/* not durable: not accepted */
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
		    "the spool cannot be synced: event not accepted"));
		return;
	}
	if (wait_ms > 0 && in->refused_status != 0) {	/* no use waiting */
		reply(cl, parked_reply(in));
		return;
	}
	/* held: its next lines wait; not while it is being evicted */
	if (wait_ms <= 0 || lineserv_hold(cl->lc) < 0) {
		reply(cl, json_pack("{s:b, s:b, s:s}", "ok", 1, "delivered", 0,
		    "status", "spooled"));
		return;
	}
	if (wait_ms > MAX_WAIT_MS)
		wait_ms = MAX_WAIT_MS;
	cl->wait_seq = seq;
	tv.tv_sec = (time_t)(wait_ms / 1000);
	tv.tv_usec = (suseconds_t)((wait_ms % 1000) * 1000);
	evtimer_add(cl->wait_timer, &tv);
}

/* A line of plain text as a message event (--text, --default-level). */
static void
text_line(struct inputs *in, struct input *src, const char *line,
    size_t len)
{
	struct gw_event ev;
	struct gw_err e;
	char *msg = strndup(line, len), *enc = NULL, why[GW_WHY_MAX];

	if (msg == NULL || memchr(line, '\0', len) != NULL) {
		reject_line(in, src, src->lineno, msg == NULL ? "out of memory" :
		    "text line holds a NUL byte");
		free(msg);
		return;
	}
	if (gw_event_init(&ev, in->cfg.default_level, in->cfg.source != NULL ?
	    in->cfg.source : "text", in->cfg.component != NULL ?
	    in->cfg.component : src->is_stdin ? "stdin" : "socket",
	    in->cfg.event_name, msg, NULL, &e) < 0) {
		free(msg);
		reject_line(in, src, src->lineno, e.msg);
		return;
	}
	free(msg);
	enc = gw_event_encode(&ev);
	gw_event_clear(&ev);
	if (enc == NULL) {
		reject_line(in, src, src->lineno, "text line too long once written "
		    "as an event (64 KiB)");
		return;
	}
	(void)submit_line(in, enc, strlen(enc), src->origin, src->lineno, NULL,
	    why, sizeof(why));
	free(enc);
}

/* One complete line from an input (cl: the socket client it came from,
 * NULL for stdin). */
static void
handle_line(struct inputs *in, struct input *src, struct client *cl,
    const char *line, size_t len)
{
	char why[GW_WHY_MAX];
	size_t ws;

	src->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* cut at MAX_LINE for a CR, which is not counted: without one,
	 * that is a byte too many (for a command or text line too) */
	if (len > GW_EVENT_MAX_LINE) {
		reject_line(in, src, src->lineno, "line longer than 65536 bytes");
		return;
	}
	if (len == 0)
		return;		/* blank lines are not records */
	for (ws = 0; ws < len && strchr(" \t\f\v", line[ws]) != NULL; ws++)
		;
	if ((src->is_stdin && in->cfg.text) || (in->cfg.have_default_level &&
	    (ws >= len || line[ws] != '{'))) {
		text_line(in, src, line, len);
		return;
	}
	if (cl != NULL && line[0] == '{' && memmem(line, len, "\"cmd\"", 5) != NULL) {
		json_t *o = json_loadb(line, len, 0, NULL);

		if (o != NULL && json_is_string(json_object_get(o, "cmd"))) {
			client_command(in, cl, o);
			json_decref(o);
			return;
		}
		json_decref(o);
	}
	(void)submit_line(in, line, len, src->origin, src->lineno, NULL, why,
	    sizeof(why));
}

/* ---------- the socket (lib/lineserv callbacks) ---------- */

static void
client_line(struct lineserv_client *lc, const char *line, size_t len,
    int eol, void *arg)
{
	struct client *cl = lineserv_client_data(lc);

	(void)eol;	/* a last line without newline is a line too */
	handle_line(arg, &cl->src, cl, line, len);
}

static void
client_overlong(struct lineserv_client *lc, void *arg)
{
	struct client *cl = lineserv_client_data(lc);

	overlong_line(arg, &cl->src);
}

static void
client_batch(struct lineserv_client *lc, void *arg)
{
	struct inputs *in = arg;

	(void)lc;
	notifier_commit(in->n);	/* one fsync for everything just read */
}

static int
client_connect(struct lineserv_client *lc, void *arg)
{
	struct inputs *in = arg;
	struct client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL || (cl->wait_timer = evtimer_new(in->base, on_wait_timer,
	    cl)) == NULL) {
		free(cl);
		return -1;
	}
	cl->in = in;
	cl->lc = lc;
	snprintf(cl->src.origin, sizeof(cl->src.origin), "%s",
	    lineserv_client_origin(lc));
	lineserv_client_set_data(lc, cl);
	LIST_INSERT_HEAD(&in->clients, cl, link);
	gw_log_event(in->log, GW_DEBUG, "notify", "notify.client_connected",
	    json_pack("{s:s, s:i}", "origin", cl->src.origin, "connected",
	    (int)lineserv_count(in->ls)), "%s connected", cl->src.origin);
	return 0;
}

/* At --max-clients: logged once per episode. victim is the least recently
 * active client neither waiting for a send reply nor closing (lineserv
 * hands over its lines, then closes it), or NULL: the new one is
 * refused. */
static void
client_full(struct lineserv *ls, struct lineserv_client *victim, void *arg)
{
	struct inputs *in = arg;
	const char *origin;

	if (!in->limit_episode) {	/* once per episode */
		in->limit_episode = 1;
		gw_log_event(in->log, GW_ERROR, "notify", "notify.client_limit",
		    json_pack("{s:i}", "connected", (int)lineserv_count(ls)),
		    "%zu socket clients connected (the limit): each new one "
		    "replaces the least recently active idle one",
		    lineserv_count(ls));
	}
	if (victim == NULL) {	/* all wait for a send reply */
		in->refused++;
		return;
	}
	in->evicted++;
	origin = ((struct client *)lineserv_client_data(victim))->src.origin;
	gw_log_event(in->log, GW_DEBUG, "notify", "notify.client_evicted",
	    json_pack("{s:s}", "origin", origin), "%s evicted to make room", origin);
}

static void
client_closed(struct lineserv_client *lc, enum lineserv_why why, void *arg)
{
	struct inputs *in = arg;
	struct client *cl = lineserv_client_data(lc);

	if (why == LINESERV_IDLE || why == LINESERV_IDLE_HALF_LINE ||
	    why == LINESERV_IDLE_UNREAD) {
		if (why == LINESERV_IDLE_HALF_LINE && lineserv_client_partial(lc) > 0)
			reject_line(in, &cl->src, cl->src.lineno + 1,
			    "unterminated line dropped: the client was idle");
		gw_log_event(in->log, GW_INFO, "notify", "notify.client_idle",
		    json_pack("{s:s, s:f}", "origin", cl->src.origin, "timeout_s",
		    in->cfg.client_timeout_s),
		    "%s: no progress for %g s (%s); disconnected", cl->src.origin,
		    in->cfg.client_timeout_s, lineserv_why_str(why));
	}
	LIST_REMOVE(cl, link);
	event_free(cl->wait_timer);
	free(cl);
	if (in->limit_episode &&
	    lineserv_count(in->ls) < in->cfg.max_clients * 3 / 4) {
		in->limit_episode = 0;
		gw_log_event(in->log, GW_INFO, "notify", "notify.client_limit",
		    json_pack("{s:i, s:i, s:i}", "connected",
		    (int)lineserv_count(in->ls), "evicted", (int)in->evicted,
		    "refused", (int)in->refused),
		    "below the socket client limit again (%lu evicted, %lu refused)",
		    in->evicted, in->refused);
		in->evicted = in->refused = 0;
	}
}

static const struct lineserv_ops client_ops = {
	.on_line = client_line,
	.on_overlong = client_overlong,
	.on_batch = client_batch,
	.on_connect = client_connect,
	.on_full = client_full,
	.on_close = client_closed,
};

/* ---------- stdin ---------- */

/* Hand every complete line in stdin's buffer to handle_line; at eof the
 * rest is a line too. */
static void
stdin_lines(struct inputs *in, int eof)
{
	struct lineserv_cut cut;
	enum lineserv_cut_what w;

	while ((w = lineserv_cut(in->stdin_buf, MAX_LINE, eof,
	    &in->stdin_skipping, &cut)) != LINESERV_CUT_NONE) {
		if (w == LINESERV_CUT_OVERLONG) {
			overlong_line(in, &in->stdin_src);
			continue;
		}
		handle_line(in, &in->stdin_src, NULL, cut.line, cut.len);
		evbuffer_drain(in->stdin_buf, cut.used);
	}
	notifier_commit(in->n);	/* one fsync for everything just read */
}

static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct inputs *in = arg;
	int n;

	(void)what;
	(void)fd;	/* -1 for stdin read like a file */
	n = evbuffer_read(in->stdin_buf, 0, STDIN_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (in->stdin_regular)
			event_active(in->stdin_ev, EV_READ, 0);
		return;
	}
	if (n <= 0) {
		if (n < 0)
			gw_log_event(in->log, GW_ERROR, "notify", "notify.stdin_error",
			    NULL, "reading stdin failed: %s", strerror(errno));
		stdin_lines(in, 1);
		event_del(in->stdin_ev);
		in->ops->on_stdin_end(in->arg);
		return;
	}
	stdin_lines(in, 0);
	if (in->stdin_regular)	/* a file is always readable: next chunk later */
		event_active(in->stdin_ev, EV_READ, 0);
}

/* ---------- the object ---------- */

struct inputs *
inputs_new(struct event_base *base, struct notifier *n, struct gw_log *log,
    const struct inputs_config *cfg, const struct inputs_ops *ops, void *arg,
    struct gw_err *err)
{
	struct inputs *in = calloc(1, sizeof(*in));

	if (in == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	in->base = base;
	in->n = n;
	in->log = log;
	in->cfg = *cfg;
	in->ops = ops;
	in->arg = arg;
	LIST_INIT(&in->clients);
	snprintf(in->stdin_src.origin, sizeof(in->stdin_src.origin), "stdin");
	in->stdin_src.is_stdin = 1;
	return in;
}

/* Lines are cut at 64 KiB (and a CR): a client sending without newlines
 * gets rejected overlong lines, never buffered without bound; what a
 * client sent before it was evicted or reset is kept. */
int
inputs_listen(struct inputs *in, struct gw_err *err)
{
	struct lineserv_config lc = {
		.path = in->cfg.listen,
		.backlog = 128,
		.max_line = MAX_LINE,
		.max_clients = in->cfg.max_clients,
		.full = LINESERV_EVICT,
		.idle_s = in->cfg.client_timeout_s,
		.out_high = OUT_HIGH,
		.out_low = OUT_LOW,
		.deliver_at_error = 1,
	};

	in->ls = lineserv_new(in->base, &lc, &client_ops, in, err);
	return in->ls != NULL ? 0 : -1;
}

/* Pipes and sockets are watched by the event loop; anything else (a file,
 * /dev/null, another device epoll refuses) is read like a file: a chunk
 * per loop turn until end of file. */
int
inputs_read_stdin(struct inputs *in)
{
	struct stat st;
	int fl;

	if (isatty(0) || fstat(0, &st) < 0)
		return 0;
	in->stdin_buf = evbuffer_new();
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		evutil_make_socket_nonblocking(0);
		in->stdin_ev = event_new(in->base, 0, EV_READ | EV_PERSIST,
		    on_stdin, in);
		if (in->stdin_ev != NULL && event_add(in->stdin_ev, NULL) == 0)
			goto out;
		if (in->stdin_ev != NULL)	/* not pollable after all */
			event_free(in->stdin_ev);
		if ((fl = fcntl(0, F_GETFL)) >= 0)
			(void)fcntl(0, F_SETFL, fl & ~O_NONBLOCK);
	}
	in->stdin_regular = 1;
	in->stdin_ev = event_new(in->base, -1, 0, on_stdin, in);
	if (in->stdin_ev != NULL)
		event_active(in->stdin_ev, EV_READ, 0);
out:
	return in->stdin_ev != NULL && in->stdin_buf != NULL ? 0 : -1;
}

int
inputs_reading_stdin(const struct inputs *in)
{
	return in->stdin_ev != NULL;
}

/* --send waiters learn of delivery here. */
void
inputs_ack(struct inputs *in, const uint64_t *seqs, size_t k, int delivered)
{
	struct client *cl;
	size_t i;

	for (i = 0; i < k; i++) {
		LIST_FOREACH(cl, &in->clients, link) {
			if (cl->wait_seq != seqs[i])
				continue;
			evtimer_del(cl->wait_timer);
			reply(cl, !delivered ? json_pack("{s:b, s:b, s:s}", "ok", 1,
			    "delivered", 0, "status", "dead-lettered") : in->cfg.dry ?
			    json_pack("{s:b, s:b, s:s}", "ok", 1, "delivered", 0,
			    "status", "printed") : json_pack("{s:b, s:b}", "ok", 1,
			    "delivered", 1));
			client_wait_ended(cl);
		}
	}
}

void
inputs_webhook(struct inputs *in, long status, const char *msg)
{
	struct client *cl;

	in->refused_status = status;
	snprintf(in->refused_msg, sizeof(in->refused_msg), "%s",
	    status != 0 && msg != NULL ? msg : "");
	if (status == 0)
		return;
	LIST_FOREACH(cl, &in->clients, link) {
		if (cl->wait_seq == 0)
			continue;
		evtimer_del(cl->wait_timer);
		reply(cl, parked_reply(in));
		client_wait_ended(cl);
	}
}

void
inputs_close(struct inputs *in)
{
	if (in->ls != NULL) {	/* unlinks the socket, frees the clients */
		lineserv_free(in->ls);
		in->ls = NULL;
	}
	if (in->stdin_ev != NULL) {
		event_free(in->stdin_ev);
		in->stdin_ev = NULL;
	}
}

void
inputs_free(struct inputs *in)
{
	if (in == NULL)
		return;
	inputs_close(in);
	if (in->stdin_buf != NULL)
		evbuffer_free(in->stdin_buf);
	free(in);
}
