/*
 * control: gw-sim's control socket (see control.h). Control bytes are
 * untrusted: lines are capped at SIM_CONTROL_LINE_MAX (a longer one gets an
 * error reply and the connection closes), parsed once (sim_ctl), clients
 * capped at SIM_MAX_CONTROL_CLIENTS, and a client is not read while
 * SIM_CONTROL_OUTPUT_MAX of its replies are unread. A closing client gets
 * our replies, a FIN, and CONTROL_DRAIN_SECONDS for its own EOF (as API
 * sessions do, docs/protocol.md §8); a client whose replies make no
 * progress for CONTROL_DRAIN_SECONDS is closed (lineserv's linger_s
 * without idle_s), so one that never reads cannot keep its slot.
 */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg.h"
#include "lineserv.h"
#include "sim_ctl.h"
#include "sim_int.h"

#define CONTROL_DRAIN_SECONDS 2	/* after our FIN (or the peer's), at most */
#define CONTROL_COUNT_MAX 1000000	/* order-reject, order-swallow,
					 * exec-swallow, fill-delay */

struct control {
	struct sim *sim;
	struct gw_log *log;
	struct lineserv *ls;
};

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
ctl_run(struct control *ctl, const char *line, size_t len)
{
	struct sim *sim = ctl->sim;
	int ids[SIM_MAX_CLIENT_IDS];
	struct sim_ctl_cmd c;
	struct gw_err err = { "" };
	enum sim_fault fault;
	size_t n_ids;
	double size;
	int v, rc = -1;
	char q[40];

	if (sim_ctl_parse(line, len, &c, &err) < 0)
		goto done;
	if (strcmp(c.name, "status") == 0) {
		if (need_arg(&c, 0, &err) < 0)
			goto done;
		return sim_status(sim);
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
	} else if (strcmp(c.name, "book") == 0) {
		if (need_arg(&c, 0, &err) < 0)
			goto done;
		return sim_ord_book(sim);
	} else if (strcmp(c.name, "order-reject") == 0) {
		rc = ctl_num(&c, 0, CONTROL_COUNT_MAX, &v, &err);
		if (rc == 0)
			sim_order_reject(sim, (unsigned)v);
	} else if (strcmp(c.name, "order-swallow") == 0) {
		rc = ctl_num(&c, 0, CONTROL_COUNT_MAX, &v, &err);
		if (rc == 0)
			sim_order_swallow(sim, (unsigned)v);
	} else if (strcmp(c.name, "exec-swallow") == 0) {
		rc = ctl_num(&c, 0, CONTROL_COUNT_MAX, &v, &err);
		if (rc == 0)
			sim_exec_swallow(sim, (unsigned)v);
	} else if (strcmp(c.name, "fill-delay") == 0) {
		rc = ctl_num(&c, 0, CONTROL_COUNT_MAX, &v, &err);
		if (rc == 0)
			sim_fill_delay(sim, (unsigned)v);
	} else if (strcmp(c.name, "fill-parts") == 0) {
		rc = need_arg(&c, 1, &err);
		if (rc == 0)
			rc = sim_parse_amount(c.name, c.arg, &size, &err);
		if (rc == 0)
			rc = sim_fill_parts(sim, size, &err);
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
	gw_log_event(ctl->log, rc == 0 ? GW_DEBUG : GW_WARNING, COMPONENT,
	    "sim.control", json_pack("{s:s, s:b, s:s}", "cmd", q, "ok", rc == 0,
	    "error", rc == 0 ? "" : err.msg), "control command '%s': %s", q,
	    rc == 0 ? "ok" : err.msg);
	if (rc == 0)
		return json_pack("{s:b}", "ok", 1);
	return json_pack("{s:b, s:s}", "ok", 0, "error", err.msg);
}

static void
ctl_reply(struct lineserv_client *cl, json_t *reply)
{
	static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}";
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

	if (text == NULL)
		lineserv_reply(cl, oom, sizeof(oom) - 1);
	else
		lineserv_reply(cl, text, strlen(text));
	free(text);
	json_decref(reply);
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

/* A line too long: an error reply, then the connection closes. */
static void
ctl_overlong(struct lineserv_client *cl, void *arg)
{
	struct control *ctl = arg;
	char err[96];

	snprintf(err, sizeof(err), "line longer than %d bytes",
	    SIM_CONTROL_LINE_MAX);
	gw_log_event(ctl->log, GW_WARNING, COMPONENT, "sim.control",
	    json_pack("{s:b, s:s}", "ok", 0, "error", err),
	    "control client: %s, closing", err);
	ctl_reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", err));
	lineserv_close(cl);
}

/* One command line; a CR before the LF is not part of it. A last command
 * without a newline (at the client's EOF) is still a command. */
static void
ctl_line(struct lineserv_client *cl, const char *line, size_t len, int eol,
    void *arg)
{
	if (eol && len > 0 && line[len - 1] == '\r')
		len--;
	if (len > SIM_CONTROL_LINE_MAX) {
		ctl_overlong(cl, arg);
		return;
	}
	if (!blank(line, len))
		ctl_reply(cl, ctl_run(arg, line, len));
}

static int
ctl_connect(struct lineserv_client *cl, void *arg)
{
	struct control *ctl = arg;

	(void)cl;
	sim_accept_ok(ctl->sim);
	return 0;
}

static void
ctl_full(struct lineserv *ls, struct lineserv_client *victim, void *arg)
{
	struct control *ctl = arg;

	(void)ls;
	(void)victim;	/* always NULL: refused */
	sim_accept_ok(ctl->sim);
	gw_log_event(ctl->log, GW_ERROR, COMPONENT, "sim.connection_limit",
	    json_pack("{s:s, s:i}", "peer", "control", "limit",
	    SIM_MAX_CONTROL_CLIENTS), "refusing a control client: %d open",
	    SIM_MAX_CONTROL_CLIENTS);
}

static void
ctl_closed(struct lineserv_client *cl, enum lineserv_why why, void *arg)
{
	struct control *ctl = arg;

	(void)cl;
	(void)why;
	sim_conn_freed(ctl->sim);	/* a descriptor is free again */
}

/* accept() failed (EMFILE...): pause until a connection is freed or the
 * simulator's pause passes. A connection dropped for lack of memory is
 * no reason to pause. */
static void
ctl_accept_error(struct lineserv *ls, int errnum, void *arg)
{
	struct control *ctl = arg;

	if (errnum == ENOMEM)
		return;
	lineserv_accept_enable(ls, 0);
	sim_accept_failed(ctl->sim, "control", errnum);
}

static const struct lineserv_ops ctl_ops = {
	.on_line = ctl_line,
	.on_overlong = ctl_overlong,
	.on_connect = ctl_connect,
	.on_full = ctl_full,
	.on_close = ctl_closed,
	.on_accept_error = ctl_accept_error,
};

struct control *
control_new(struct event_base *base, struct sim *sim, struct gw_log *log,
    const char *path, struct gw_err *err)
{
	struct lineserv_config lc = {
		.path = path,
		.backlog = 16,
		.max_line = SIM_CONTROL_LINE_MAX + 1,	/* and a CR */
		.max_clients = SIM_MAX_CONTROL_CLIENTS,
		.full = LINESERV_REFUSE,
		.out_high = SIM_CONTROL_OUTPUT_MAX,
		.out_low = 0,
		.linger_s = CONTROL_DRAIN_SECONDS,
	};
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	ctl->sim = sim;
	ctl->log = log;
	if ((ctl->ls = lineserv_new(base, &lc, &ctl_ops, ctl, err)) == NULL) {
		if (err != NULL && strncmp(err->msg, "cannot watch ", 13) == 0)
			gw_err_set(err, "cannot watch the control socket");
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
control_accept_resume(struct control *ctl)
{
	if (ctl != NULL)
		lineserv_accept_enable(ctl->ls, 1);
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	lineserv_free(ctl->ls);
	free(ctl);
}
