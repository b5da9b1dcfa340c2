/*
 * sim: the gw-sim TWS API gateway simulator (docs/gw-sim.md): its life
 * cycle and its control socket. The other parts are in the files that
 * sim_int.h lists.
 *
 * Bytes from control-socket clients are untrusted: control lines are
 * capped at SIM_CONTROL_LINE_MAX and parsed once (sim_ctl); a control
 * client is not read while SIM_CONTROL_OUTPUT_MAX of its replies are
 * unread. A control client closes the way an API session does
 * (sim_conn_fin): flush, FIN, then discard input until the peer's EOF or
 * an absolute deadline.
 */
#include "sim_int.h"
#include "sim_ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#include "cfg.h"
#include "usock.h"

/*
 * The control section below is kept as it was while it moves to its own
 * file (control.c); it still calls the helpers it shares with the API side
 * by their former file-local names.
 */
#define accept_error_cb sim_accept_error_cb
#define accept_resume sim_accept_resume
#define conn_eof_deadline sim_conn_eof_deadline
#define conn_fin sim_conn_fin
#define ids_json sim_ids_json

struct ctl {
	TAILQ_ENTRY(ctl) link;
	struct sim *sim;
	struct bufferevent *bev;
	struct event *deadline;	/* the drain deadline (conn_fin) */
	int closing;		/* no more commands: flush, then FIN */
	int draining;		/* FIN sent; free at the peer's EOF */
	int peer_eof;		/* the client closed its side */
	int paused;		/* reading stopped: too many unread replies */
};

/* ---------- the control socket ---------- */

static json_t *
ctl_status(struct sim *sim)
{
	const struct sess *s;
	size_t subs = 0;
	int sessions = 0, ready = 0;

	TAILQ_FOREACH(s, &sim->sessions, link) {
		if (s->dead || s->state == SESS_DRAINING)
			continue;
		sessions++;
		ready += s->state == SESS_READY;
		subs += s->n_subs;
	}
	return json_pack("{s:b, s:s, s:b, s:i, s:i, s:s, s:s, s:i, s:i, s:i, s:i,"
	    " s:o, s:s, s:i}",
	    "ok", 1, "fault", sim_fault_name(sim->cfg.fault),
	    "listening", sim->api != NULL, "sessions", sessions, "ready", ready,
	    "upstream", sim->upstream_lost ? "lost" : "ok",
	    "bind", sim->cfg.bind_addr, "port", sim->cfg.port,
	    "max_version", sim->cfg.max_version, "slow_ms", sim->cfg.slow_ms,
	    "login_delay", sim->cfg.login_delay,
	    "client_ids_in_use", ids_json(sim), "accounts", sim->cfg.accounts,
	    "subscriptions", (int)subs);
}

static int
need_arg(const struct sim_ctl_cmd *c, int want, struct gw_err *err)
{
	if (want && !c->has_arg)
		return gw_err_set(err, "'%s' needs an argument", c->name);
	if (!want && c->has_arg)
		return gw_err_set(err, "'%s' takes no argument", c->name);
	return 0;
}

static int
ctl_num(const struct sim_ctl_cmd *c, long min, long max, int *out,
    struct gw_err *err)
{
	long v;

	if (need_arg(c, 1, err) < 0 ||
	    cfg_long(c->name, c->arg, min, max, &v, err) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* Run one command line of len bytes; returns the reply object (NULL only
 * on allocation failure). */
static json_t *
ctl_run(struct sim *sim, const char *line, size_t len)
{
	int ids[SIM_MAX_CLIENT_IDS];
	struct sim_ctl_cmd c;
	struct gw_err err = { "" };
	enum sim_fault fault;
	size_t n_ids;
	int v, rc = -1;
	char q[40];

	if (sim_ctl_parse(line, len, &c, &err) < 0)
		goto done;
	if (strcmp(c.name, "status") == 0) {
		if (need_arg(&c, 0, &err) < 0)
			goto done;
		return ctl_status(sim);
	} else if (strcmp(c.name, "fault") == 0) {
		rc = need_arg(&c, 1, &err);
		if (rc == 0 && (rc = sim_fault_parse(c.arg, &fault, &err)) == 0)
			rc = sim_set_fault(sim, fault, &err);
	} else if (strcmp(c.name, "slow-ms") == 0) {
		rc = ctl_num(&c, 0, SIM_MAX_SLOW_MS, &v, &err);
		if (rc == 0)
			rc = sim_set_slow_ms(sim, v, &err);
	} else if (strcmp(c.name, "login-delay") == 0) {
		rc = ctl_num(&c, 0, SIM_MAX_LOGIN_DELAY, &v, &err);
		if (rc == 0)
			rc = sim_set_login_delay(sim, v, &err);
	} else if (strcmp(c.name, "client-ids-in-use") == 0) {
		rc = sim_parse_client_ids(c.has_arg ? c.arg : "", ids, &n_ids, &err);
		if (rc == 0)
			rc = sim_set_client_ids(sim, ids, n_ids, &err);
	} else if (strcmp(c.name, "restart") == 0) {
		rc = need_arg(&c, 0, &err);
		if (rc == 0)
			rc = sim_restart(sim, &err);
	} else if (strcmp(c.name, "upstream-lost") == 0) {
		rc = need_arg(&c, 0, &err);
		if (rc == 0)
			rc = sim_upstream(sim, 1100, &err);
	} else if (strcmp(c.name, "upstream-restored") == 0) {
		v = 1102;
		rc = c.has_arg ? ctl_num(&c, 1101, 1102, &v, &err) : 0;
		if (rc == 0)
			rc = sim_upstream(sim, v, &err);
	} else {
		gw_err_quote(q, sizeof(q), c.name, strlen(c.name));
		gw_err_set(&err, "unknown command '%s'", q);
	}
done:
	gw_err_quote(q, sizeof(q), c.name, strlen(c.name));
	gw_log_event(sim->log, rc == 0 ? GW_DEBUG : GW_WARNING, COMPONENT,
	    "sim.control", json_pack("{s:s, s:b, s:s}", "cmd", q, "ok", rc == 0,
	    "error", rc == 0 ? "" : err.msg), "control command '%s': %s", q,
	    rc == 0 ? "ok" : err.msg);
	if (rc == 0)
		return json_pack("{s:b}", "ok", 1);
	return json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
}

static void
ctl_free(struct ctl *c)
{
	struct sim *sim = c->sim;

	TAILQ_REMOVE(&sim->ctls, c, link);
	sim->n_ctls--;
	event_free(c->deadline);
	bufferevent_free(c->bev);
	free(c);
	if (evtimer_pending(sim->accept_timer, NULL))
		accept_resume(sim);	/* a descriptor is free again */
}

static void
ctl_reply(struct ctl *c, json_t *reply)
{
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

	if (text == NULL)
		bufferevent_write(c->bev, "{\"ok\":false,\"error\":\"out of memory\"}\n",
		    36);
	else {
		bufferevent_write(c->bev, text, strlen(text));
		bufferevent_write(c->bev, "\n", 1);
	}
	free(text);
	json_decref(reply);
}

static int
ctl_flushed(const struct ctl *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/* Serve no more commands; close once the replies are out: at once after
 * the client's EOF, else by FIN and drain. Returns -1 when c was freed. */
static int
ctl_close(struct ctl *c)
{
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (!ctl_flushed(c))
		return 0;
	if (c->peer_eof) {
		ctl_free(c);
		return -1;
	}
	c->draining = 1;
	conn_fin(c->bev, c->deadline);
	return 0;
}

static int
blank(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	return n == 0;
}

/* Run every complete line in the input, until too many replies are unread
 * (then stop reading until they are: a client that never reads cannot make
 * us buffer without limit) or the connection starts closing. */
static void
ctl_serve(struct ctl *c)
{
	struct sim *sim = c->sim;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char err[96];
	size_t n;
	char *line;

	while (!c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    SIM_CONTROL_OUTPUT_MAX) {
			c->paused = 1;
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			if (evbuffer_get_length(in) <= SIM_CONTROL_LINE_MAX)
				return;
			n = evbuffer_get_length(in);
		}
		if (line == NULL || n > SIM_CONTROL_LINE_MAX) {
			free(line);
			snprintf(err, sizeof(err), "line longer than %d bytes",
			    SIM_CONTROL_LINE_MAX);
			gw_log_event(sim->log, GW_WARNING, COMPONENT, "sim.control",
			    json_pack("{s:b, s:s}", "ok", 0, "error", err),
			    "control client: %s, closing", err);
			ctl_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", err));
			ctl_close(c);
			return;
		}
		if (!blank(line, n))
			ctl_reply(c, ctl_run(sim, line, n));
		free(line);
	}
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->draining) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	ctl_serve(c);
}

static void
ctl_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl *c = arg;

	(void)bev;
	if (c->paused && !c->closing) {
		c->paused = 0;
		bufferevent_enable(c->bev, EV_READ);
		ctl_serve(c);		/* lines already read */
	}
	if (c->closing && !c->draining && ctl_flushed(c))
		ctl_close(c);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);
	char *line;

	if (c->draining || !(what & BEV_EVENT_EOF)) {
		ctl_free(c);
		return;
	}
	/* The client closed its side (maybe only that: it still reads). A
	 * last command without a newline is still a command. */
	c->peer_eof = 1;
	if (!c->closing && n > 0) {
		line = (char *)evbuffer_pullup(in, (ssize_t)n);
		if (line != NULL && !blank(line, n))
			ctl_reply(c, ctl_run(c->sim, line, n));
		evbuffer_drain(in, n);
	}
	if (ctl_close(c) == 0)
		conn_eof_deadline(c->deadline);
}

static void
ctl_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_free(arg);
}

static void
ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sim *sim = arg;
	struct ctl *c;

	(void)l;
	(void)sa;
	(void)salen;
	sim->accept_failing = 0;
	if (sim->n_ctls >= SIM_MAX_CONTROL_CLIENTS) {
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.connection_limit",
		    json_pack("{s:s, s:i}", "peer", "control", "limit",
		    SIM_MAX_CONTROL_CLIENTS), "refusing a control client: %d open",
		    SIM_MAX_CONTROL_CLIENTS);
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->deadline = evtimer_new(sim->base, ctl_deadline_cb,
	    c)) == NULL || (c->bev = bufferevent_socket_new(sim->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (c != NULL && c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->sim = sim;
	TAILQ_INSERT_TAIL(&sim->ctls, c, link);
	sim->n_ctls++;
	bufferevent_setcb(c->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb, c);
	bufferevent_enable(c->bev, EV_READ);
}

static int
ctl_open(struct sim *sim, struct gw_err *err)
{
	int fd;

	if (sim->cfg.control_path[0] == '\0')
		return 0;
	fd = usock_listen(sim->cfg.control_path, 16, err);
	if (fd < 0)
		return -1;
	sim->ctl = evconnlistener_new(sim->base, ctl_accept_cb, sim,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (sim->ctl == NULL) {
		close(fd);
		unlink(sim->cfg.control_path);
		return gw_err_set(err, "cannot watch the control socket");
	}
	evconnlistener_set_error_cb(sim->ctl, accept_error_cb);
	return 0;
}

/* ---------- life cycle ---------- */

struct sim *
sim_new(struct event_base *base, const struct sim_config *cfg,
    struct gw_log *log, struct gw_err *err)
{
	struct sim *sim;

	sim = calloc(1, sizeof(*sim));
	if (sim == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	sim->cfg = *cfg;
	if (sim_config_check(&sim->cfg, err) < 0) {
		free(sim);
		return NULL;
	}
	sim->base = base;
	sim->log = log;
	TAILQ_INIT(&sim->sessions);
	TAILQ_INIT(&sim->ctls);
	TAILQ_INIT(&sim->syms);
	sim->login_timer = evtimer_new(base, sim_api_login_cb, sim);
	sim->tick_timer = event_new(base, -1, EV_PERSIST, sim_mkt_tick_cb, sim);
	sim->reaper = event_new(base, -1, 0, sim_sess_reap_cb, sim);
	sim->accept_timer = evtimer_new(base, sim_accept_timer_cb, sim);
	if (sim->login_timer == NULL || sim->tick_timer == NULL ||
	    sim->reaper == NULL || sim->accept_timer == NULL) {
		gw_err_set(err, "out of memory");
		sim_free(sim);
		return NULL;
	}
	return sim;
}

/* sim_start could not open a socket: sim.stopped must say failed. */
static int
start_failed(struct sim *sim, const struct gw_err *err)
{
	sim->failed = 1;
	sim->fail = *err;
	return -1;
}

int
sim_start(struct sim *sim, struct gw_err *err)
{
	struct timeval tv = sim_ms_tv(sim->cfg.tick_ms);

	if (sim->started)
		return gw_err_set(err, "the simulator was already started");
	sim->started = 1;
	/* The control socket first, so a test that sees sim.started can use
	 * it; sim.started before the login delay starts. */
	if (ctl_open(sim, err) < 0)
		return start_failed(sim, err);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.started",
	    json_pack("{s:s, s:i, s:i, s:s, s:i, s:s}", "bind", sim->cfg.bind_addr,
	    "port", sim->cfg.port, "login_delay", sim->cfg.login_delay, "fault",
	    sim_fault_name(sim->cfg.fault), "max_version", sim->cfg.max_version,
	    "control", sim->cfg.control_path),
	    "gw-sim starting on %s:%d (login delay %d s, fault %s)",
	    sim->cfg.bind_addr, sim->cfg.port, sim->cfg.login_delay,
	    sim_fault_name(sim->cfg.fault));
	evtimer_add(sim->tick_timer, &tv);
	if (sim_api_open(sim, err) < 0)
		return start_failed(sim, err);
	return 0;
}

int
sim_failed(const struct sim *sim, struct gw_err *err)
{
	if (!sim->failed)
		return 0;
	if (err != NULL)
		*err = sim->fail;
	return -1;
}

void
sim_stop(struct sim *sim)
{
	struct ctl *c;

	if (sim == NULL || !sim->started || sim->stopped)
		return;
	sim->stopped = 1;
	sim_sess_close_all(sim, "closed by the simulator: stop");
	while ((c = TAILQ_FIRST(&sim->ctls)) != NULL)
		ctl_free(c);
	if (sim->ctl != NULL) {
		evconnlistener_free(sim->ctl);
		sim->ctl = NULL;
		unlink(sim->cfg.control_path);
	}
	sim_api_close(sim);
	evtimer_del(sim->tick_timer);
	evtimer_del(sim->accept_timer);
	if (sim->failed)
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.stopped",
		    json_pack("{s:b, s:s}", "failed", 1, "error", sim->fail.msg),
		    "gw-sim stopped: %s", sim->fail.msg);
	else
		gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.stopped",
		    json_pack("{s:b}", "failed", 0), "gw-sim stopped");
}

void
sim_free(struct sim *sim)
{
	if (sim == NULL)
		return;
	sim_stop(sim);
	if (sim->accept_timer != NULL)
		event_free(sim->accept_timer);
	if (sim->reaper != NULL)
		event_free(sim->reaper);
	if (sim->tick_timer != NULL)
		event_free(sim->tick_timer);
	if (sim->login_timer != NULL)
		event_free(sim->login_timer);
	free(sim);
}
