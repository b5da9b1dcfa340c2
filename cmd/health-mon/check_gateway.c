/*
 * check_gateway: the gateway at API level (lib/probe, gw-probe's verdicts).
 * Ready is healthy; any other verdict is unhealthy, with the verdict's
 * name and the probe's reason. With a backend port (a relay such as socat
 * in front of the gateway), a front that fails before the API answered
 * is followed by a probe of the backend, so that "relay up, gateway down"
 * is named as such. Input: the gateway's bytes, through lib/probe
 * (untrusted; the probe quotes them).
 */
#include "check_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "probe.h"

/* The backend is probed only when the front's verdict says the API never
 * answered; with a backend the front gets this share of the deadline. */
#define GW_FRONT_SHARE_BACKEND 0.6
#define GW_FRONT_SHARE 0.9
#define GW_BACKEND_MIN_MS 50

struct gw_state {
	struct probe *front, *back;
	struct event *finish;		/* check_done out of the probe's cb */
	struct probe_result fr, br;
	int have_back;
};

static int
share_ms(const struct check *c, double share)
{
	double ms = c->cfg.timeout_s * 1000 * share;

	if (ms < 1)
		return 1;
	return ms > 86400000.0 ? 86400000 : (int)ms;
}

static void
probe_cfg(const struct check *c, int port, int ms, struct probe_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->session.host = c->cfg.host;
	pc->session.port = port;
	pc->session.client_id = c->cfg.client_id;
	pc->session.connect_timeout_ms = ms;
	pc->session.version_timeout_ms = ms;
	pc->session.ready_timeout_ms = ms;
	pc->session.total_timeout_ms = ms;
}

/* The API never answered: a relay with a dead backend looks like this. */
static int
before_api(enum tws_verdict v)
{
	return v == TWS_UNREACHABLE || v == TWS_RELAY_CLOSED ||
	    v == TWS_HANDSHAKE_TIMEOUT || v == TWS_NOT_API;
}

/* The last connectivity notice of the session: 1100 (IB servers lost),
 * 1101/1102 (restored), 2110 (TWS-server link broken); 0 when none. The
 * login component reads it (an upstream loss is not a login problem). */
static int
last_connectivity(const struct probe_result *r)
{
	int code = 0;
	size_t i;

	for (i = 0; i < r->n_notices; i++)
		if (r->notices[i].code == 1100 || r->notices[i].code == 1101 ||
		    r->notices[i].code == 1102 || r->notices[i].code == 2110)
			code = r->notices[i].code;
	return code;
}

static json_t *
probe_fields(const struct probe_result *r)
{
	json_t *pj = probe_result_json(r), *o = json_object();
	int conn = last_connectivity(r);

	json_object_set_new(o, "port_responding",
	    json_boolean(r->verdict != TWS_UNREACHABLE));
	json_object_set_new(o, "verdict",
	    json_string(tws_verdict_name(r->verdict)));
	json_object_set_new(o, "host", json_string(r->host));
	json_object_set_new(o, "port", json_integer(r->port));
	json_object_set_new(o, "server_version", r->server_version ?
	    json_integer(r->server_version) : json_null());
	json_object_set(o, "accounts", json_object_get(pj, "accounts"));
	json_object_set(o, "timings_ms", json_object_get(pj, "timings_ms"));
	json_object_set_new(o, "connectivity", conn ? json_integer(conn) :
	    json_null());
	json_decref(pj);
	return o;
}

static void
verdict_reason(char *buf, size_t sz, const struct probe_result *r)
{
	if (r->reason[0] != '\0')
		snprintf(buf, sz, "%s: %s", tws_verdict_name(r->verdict),
		    r->reason);
	else
		snprintf(buf, sz, "%s", tws_verdict_name(r->verdict));
}

static void
on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	struct gw_state *g = c->kind_state;
	const struct probe_result *fr = &g->fr, *br = &g->br;
	char reason[6 * HS_REASON_MAX], front[2 * HS_REASON_MAX];	/* cut later */
	char back[2 * HS_REASON_MAX];
	json_t *fields;

	(void)fd;
	(void)what;
	fields = probe_fields(fr);
	if (fr->verdict == TWS_READY) {
		check_done(c, HS_HEALTHY, NULL, fields);
		return;
	}
	verdict_reason(front, sizeof(front), fr);
	if (!g->have_back) {
		check_done(c, HS_UNHEALTHY, front, fields);
		return;
	}
	json_object_set_new(fields, "backend", probe_fields(br));
	verdict_reason(back, sizeof(back), br);
	if (fr->verdict != TWS_UNREACHABLE && br->verdict == TWS_UNREACHABLE)
		snprintf(reason, sizeof(reason),
		    "relay up, gateway down: backend %d unreachable (%s); front %s",
		    br->port, br->reason, front);
	else if (br->verdict == TWS_READY)
		snprintf(reason, sizeof(reason),
		    "relay down, gateway up: front %s; backend %d ready",
		    front, br->port);
	else
		snprintf(reason, sizeof(reason), "%s; backend %d %s", front,
		    br->port, back);
	check_done(c, HS_UNHEALTHY, reason, fields);
}

static void
on_back(struct probe *p, const struct probe_result *r, void *arg)
{
	struct check *c = arg;
	struct gw_state *g = c->kind_state;

	(void)p;
	g->br = *r;
	g->have_back = 1;
	event_active(g->finish, EV_TIMEOUT, 0);
}

static void
on_front(struct probe *p, const struct probe_result *r, void *arg)
{
	struct check *c = arg;
	struct gw_state *g = c->kind_state;
	struct gw_err e;
	double left_ms;

	(void)p;
	g->fr = *r;
	/* What the deadline leaves, less a margin for the report. */
	left_ms = c->cfg.timeout_s * 1000 * GW_FRONT_SHARE -
	    clock_since_ms(c->started_ns);
	if (r->verdict != TWS_READY && before_api(r->verdict) &&
	    g->back != NULL && left_ms >= GW_BACKEND_MIN_MS &&
	    probe_start(g->back, (int)left_ms, &e) == 0)
		return;
	event_active(g->finish, EV_TIMEOUT, 0);
}

static void
gw_drop_probes(struct gw_state *g)
{
	probe_free(g->front);
	probe_free(g->back);
	g->front = g->back = NULL;
}

static int
gw_start(struct check *c, struct gw_err *err)
{
	struct gw_state *g = c->kind_state;
	struct probe_config pc;
	int front_ms;

	if (g == NULL) {
		if ((g = calloc(1, sizeof(*g))) == NULL)
			return gw_err_set(err, "out of memory");
		c->kind_state = g;
		if ((g->finish = evtimer_new(c->base, on_finish, c)) == NULL)
			return gw_err_set(err, "cannot create a timer");
	}
	/* Probes are made per run: a cancelled one is freed, as lib/probe
	 * has no other way to stop an attempt. */
	if (g->front == NULL) {
		front_ms = share_ms(c, c->cfg.backend_port > 0 ?
		    GW_FRONT_SHARE_BACKEND : GW_FRONT_SHARE);
		probe_cfg(c, c->cfg.port, front_ms, &pc);
		if ((g->front = probe_new(c->base, c->dns, &pc, on_front, c,
		    err)) == NULL)
			return -1;
	}
	if (c->cfg.backend_port > 0 && g->back == NULL) {
		probe_cfg(c, c->cfg.backend_port, share_ms(c, GW_FRONT_SHARE),
		    &pc);
		if ((g->back = probe_new(c->base, c->dns, &pc, on_back, c,
		    err)) == NULL)
			return -1;
	}
	g->have_back = 0;
	return probe_start(g->front, 0, err);
}

static void
gw_cancel(struct check *c)
{
	struct gw_state *g = c->kind_state;

	if (g == NULL)
		return;
	evtimer_del(g->finish);
	gw_drop_probes(g);
}

static void
gw_free(struct check *c)
{
	struct gw_state *g = c->kind_state;

	if (g == NULL)
		return;
	gw_drop_probes(g);
	if (g->finish != NULL)
		event_free(g->finish);
	free(g);
	c->kind_state = NULL;
}

const struct check_ops check_gateway_ops = {
	.start = gw_start,
	.cancel = gw_cancel,
	.free = gw_free,
};
