/*
 * probe: a readiness attempt over tws_session (docs/protocol.md, and the
 * verdicts of docs/gw-probe.md). Input: the gateway's bytes, through tws_session (untrusted).
 */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"

struct probe {
	struct event_base *base;
	struct probe_config cfg;
	struct tws_session *session;
	struct event *hb_timer;
	probe_done_cb cb;
	void *arg;
	int running;
	int attempt_ms;			/* this attempt's total deadline; 0 = none */
	double hb_sent_ms;
	struct probe_result res;
};

static const int exit_codes[TWS_VERDICT_COUNT] = { 0, 10, 11, 12, 13, 14, 15, 16 };

int
probe_exit_code(enum tws_verdict v)
{
	return (unsigned)v < TWS_VERDICT_COUNT ? exit_codes[v] : 70;
}

static void on_session(struct tws_session *s, const struct tws_session_event *ev,
    void *arg);
static void on_hb_timeout(evutil_socket_t fd, short what, void *arg);

struct probe *
probe_new(struct event_base *base, struct evdns_base *dns,
    const struct probe_config *cfg, probe_done_cb cb, void *arg,
    struct gw_err *err)
{
	struct probe *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		gw_err_set(err, "probe: out of memory");
		return NULL;
	}
	p->base = base;
	p->cfg = *cfg;
	p->cb = cb;
	p->arg = arg;
	p->session = tws_session_new(base, dns, &cfg->session, on_session, p, err);
	p->hb_timer = evtimer_new(base, on_hb_timeout, p);
	if (p->session == NULL || p->hb_timer == NULL) {
		if (p->hb_timer == NULL)
			gw_err_set(err, "probe: cannot create timer");
		probe_free(p);
		return NULL;
	}
	return p;
}

void
probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	if (p->hb_timer != NULL)
		event_free(p->hb_timer);
	tws_session_free(p->session);
	free(p);
}

int
probe_start(struct probe *p, int budget_ms, struct gw_err *err)
{
	struct probe_result *r = &p->res;
	int total = p->cfg.session.total_timeout_ms;

	if (budget_ms > 0 && (total == 0 || budget_ms < total))
		total = budget_ms;
	p->attempt_ms = total;
	tws_session_set_total_timeout(p->session, total);
	memset(r, 0, sizeof(*r));
	gw_err_quote(r->host, sizeof(r->host), p->cfg.session.host,
	    strlen(p->cfg.session.host));
	r->port = p->cfg.session.port;
	r->client_id = p->cfg.session.client_id;
	r->heartbeat_ms = -1;
	p->running = 1;
	return tws_session_start(p->session, err);
}

/* Copy what the session saw, close it and report. */
static void
finish(struct probe *p, enum tws_verdict v, const char *reason)
{
	struct probe_result *r = &p->res;
	const struct tws_notice *n;

	if (!p->running)
		return;
	p->running = 0;
	evtimer_del(p->hb_timer);
	r->verdict = v;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	r->server_version = tws_session_server_version(p->session);
	snprintf(r->connection_time, sizeof(r->connection_time), "%s",
	    tws_session_connection_time(p->session));
	snprintf(r->accounts, sizeof(r->accounts), "%s",
	    tws_session_accounts(p->session));
	r->next_valid_id = tws_session_next_valid_id(p->session);
	r->have_next_valid_id = tws_session_have_next_valid_id(p->session);
	r->n_notices = tws_session_notices(p->session, &n);
	memcpy(r->notices, n, r->n_notices * sizeof(*n));
	tws_session_timings(p->session, &r->tm);
	r->total_ms = tws_session_elapsed_ms(p->session);
	r->bytes_received = tws_session_bytes_received(p->session);
	tws_session_close(p->session);
	p->cb(p, r, p->arg);
}

static void
on_hb_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	char reason[128];

	(void)fd;
	(void)what;
	snprintf(reason, sizeof(reason),
	    "ready, but no currentTime reply within %.0f ms (API not answering)",
	    tws_session_elapsed_ms(p->session) - p->hb_sent_ms);
	finish(p, TWS_HANDSHAKE_TIMEOUT, reason);
}

/* The heartbeat gets its own deadline, but never beyond the attempt's. */
static void
arm_heartbeat(struct probe *p, struct tws_session *s)
{
	double ms = p->cfg.heartbeat_timeout_ms;
	struct timeval tv;

	if (p->attempt_ms > 0) {
		double left = p->attempt_ms - tws_session_elapsed_ms(s);
		if (left < ms)
			ms = left < 0 ? 0 : left;
	}
	tv = clock_tv_ms(ms);
	evtimer_add(p->hb_timer, &tv);
}

static void
on_session(struct tws_session *s, const struct tws_session_event *ev, void *arg)
{
	struct probe *p = arg;
	struct gw_err e;

	switch (ev->type) {
	case TWS_EV_READY:
		if (!p->cfg.heartbeat || ev->verdict != TWS_READY) {
			finish(p, ev->verdict, ev->verdict == TWS_READY ? "" :
			    "ready, but the last connectivity notice is 1100 (IB servers unreachable)");
			return;
		}
		p->hb_sent_ms = tws_session_elapsed_ms(s);
		if (tws_session_req_current_time(s, &e) < 0) {
			finish(p, TWS_HANDSHAKE_TIMEOUT, e.msg);
			return;
		}
		arm_heartbeat(p, s);
		break;
	case TWS_EV_MESSAGE:
		if (ev->msg->id == TWS_IN_CURRENT_TIME && tws_session_is_ready(s) &&
		    evtimer_pending(p->hb_timer, NULL)) {
			p->res.heartbeat_ms = tws_session_elapsed_ms(s) - p->hb_sent_ms;
			p->res.current_time = ev->msg->u.current_time.time;
			finish(p, tws_session_ready_verdict(s), tws_session_upstream_lost(s) ?
			    "ready, but the last connectivity notice is 1100 (IB servers unreachable)" : "");
		}
		break;
	case TWS_EV_FAILED:
		finish(p, ev->verdict, ev->reason);
		break;
	case TWS_EV_LOST: {	/* lost during the heartbeat */
		char reason[GW_WHY_MAX];

		snprintf(reason, sizeof(reason),
		    "ready, then lost during the heartbeat: %s", ev->reason);
		finish(p, TWS_HANDSHAKE_TIMEOUT, reason);
		break;
	}
	case TWS_EV_NOTICE:
		break;
	}
}

static json_t *
ms_or_null(double ms)
{
	return ms < 0 ? json_null() : json_real((double)(long long)(ms * 1000) / 1000);
}

json_t *
probe_result_json(const struct probe_result *r)
{
	json_t *o, *accts, *notices, *tm;
	char buf[sizeof(r->accounts)], *tok, *save = NULL;
	size_t i;

	accts = json_array();
	snprintf(buf, sizeof(buf), "%s", r->accounts);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (*tok)
			json_array_append_new(accts, json_string(tok));
	notices = json_array();
	for (i = 0; i < r->n_notices; i++)
		json_array_append_new(notices, json_pack("{s:I, s:i, s:s}",
		    "id", (json_int_t)r->notices[i].req_id, "code",
		    r->notices[i].code, "text", r->notices[i].text));
	tm = json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "connect", ms_or_null(r->tm.connect_ms),
	    "server_version", ms_or_null(r->tm.version_ms),
	    "ready", ms_or_null(r->tm.ready_ms),
	    "heartbeat", ms_or_null(r->heartbeat_ms),
	    "total", ms_or_null(r->total_ms));
	o = json_pack("{s:s, s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:i}",
	    "verdict", tws_verdict_name(r->verdict),
	    "host", r->host, "port", r->port, "client_id", r->client_id,
	    "server_version", r->server_version ? json_integer(r->server_version) : json_null(),
	    "connection_time", r->connection_time[0] ? json_string(r->connection_time) : json_null(),
	    "accounts", accts,
	    "next_valid_id", r->have_next_valid_id ? json_integer(r->next_valid_id) : json_null(),
	    "notices", notices,
	    "timings_ms", tm,
	    "bytes_received", (json_int_t)r->bytes_received,
	    "reason", r->reason[0] ? json_string(r->reason) : json_null(),
	    "exit_code", probe_exit_code(r->verdict));
	return o;
}

void
probe_result_line(const struct probe_result *r, char *buf, size_t sz)
{
	char where[GW_WHY_MAX];

	if (strchr(r->host, ':') != NULL)	/* IPv6 literal */
		snprintf(where, sizeof(where), "[%s]:%d", r->host, r->port);
	else
		snprintf(where, sizeof(where), "%s:%d", r->host, r->port);
	if (r->verdict == TWS_READY) {
		if (r->heartbeat_ms >= 0)
			snprintf(buf, sz, "ready %s server=%d accounts=%s heartbeat=%.1fms in %.1f ms",
			    where, r->server_version, r->accounts, r->heartbeat_ms, r->total_ms);
		else
			snprintf(buf, sz, "ready %s server=%d accounts=%s in %.1f ms",
			    where, r->server_version, r->accounts, r->total_ms);
	} else {
		snprintf(buf, sz, "%s %s in %.1f ms: %s", tws_verdict_name(r->verdict),
		    where, r->total_ms, r->reason);
	}
}
