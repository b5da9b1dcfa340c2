/*
 * httpd: health-mon's HTTP server on evhttp (see httpd.h). Requests come
 * from the network and are untrusted: evhttp parses them within the
 * limits set here (header bytes, no body, a per-connection timeout); this
 * file only looks at the method and the path. The view is the owner's and
 * trusted, but its texts (reasons are often a peer's or a command's
 * words) are escaped for each output: JSON by jansson, label values per
 * the Prometheus text format, HTML by html_put().
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "clock.h"
#include "httpd.h"
#include "initrestart.h"
#include "login.h"

/*
 * The client bound: libevent 2.1's evhttp has no connection limit and
 * tells nobody of a new connection, but it lets us make each accepted
 * connection's bufferevent (on_client) and it calls a connection's
 * close callback when it frees it. on_client counts the connection and
 * holds a reference on its bufferevent; right after the accept (an
 * event activated then runs before any I/O of the loop) on_adopt finds
 * the connection through the bufferevent's callback argument, which
 * evhttp sets to it, and asks for its close callback. At max_clients the
 * listener is paused (further clients wait in the kernel's backlog) until
 * one leaves.
 */
struct httpd {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	const struct httpd_view *v;
	struct evconnlistener *lev;	/* evhttp's, for pausing */
	struct event *adopt;		/* on_adopt, activated per accept */
	struct bufferevent **fresh;	/* accepted, not yet adopted */
	size_t n_fresh;
	size_t clients, max_clients;
	int port;
};

static const enum hs_status all_status[] = {
	HS_UNKNOWN, HS_HEALTHY, HS_DEGRADED, HS_UNHEALTHY,
};
#define N_STATUS (sizeof(all_status) / sizeof(all_status[0]))

static void
copy_str(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src != NULL ? src : "");
}

void
httpd_comp_sample(struct httpd_comp *c, int64_t ts_ms, double duration_ms,
    enum hs_status status)
{
	struct httpd_sample *s = &c->samples[c->next_sample % HTTPD_SAMPLES];

	s->ts_ms = ts_ms;
	s->duration_ms = duration_ms;
	s->status = status;
	c->next_sample = (c->next_sample + 1) % HTTPD_SAMPLES;
	if (c->n_samples < HTTPD_SAMPLES)
		c->n_samples++;
}

void
httpd_view_transition(struct httpd_view *v, int64_t ts_ms,
    const char *component, enum hs_status from, enum hs_status to,
    const char *reason)
{
	struct httpd_transition *t = &v->tr[v->next_tr % HTTPD_TRANSITIONS];

	t->ts_ms = ts_ms;
	copy_str(t->component, sizeof(t->component), component);
	t->from = from;
	t->to = to;
	copy_str(t->reason, sizeof(t->reason), reason);
	v->next_tr = (v->next_tr + 1) % HTTPD_TRANSITIONS;
	if (v->n_tr < HTTPD_TRANSITIONS)
		v->n_tr++;
}

/* The i-th oldest entry of a ring of size cap holding n, next to write. */
static size_t
ring_at(size_t next, size_t n, size_t cap, size_t i)
{
	return (next + cap - n + i) % cap;
}

/* RFC 3339 UTC with seconds, or "" for 0 (never). */
static void
fmt_time(char *buf, size_t sz, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	buf[0] = '\0';
	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return;
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "3 s", "4 min", "2 h 5 min", "3 d 2 h": how long ago, for people. */
static void
fmt_age(char *buf, size_t sz, int64_t ms)
{
	long long s = ms > 0 ? ms / 1000 : 0;

	if (s < 120)
		snprintf(buf, sz, "%lld s", s);
	else if (s < 7200)
		snprintf(buf, sz, "%lld min", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, sz, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, sz, "%lld d %lld h", s / 86400, s % 86400 / 3600);
}

/* ---------- /healthz ---------- */

/* A JSON string of untrusted text: jansson refuses invalid UTF-8, so such
 * a text is shown with its odd bytes as '?'. */
static json_t *
jstr(const char *s)
{
	char q[HS_REASON_MAX + 1];
	json_t *j = json_string(s);

	if (j != NULL)
		return j;
	gw_err_quote(q, sizeof(q), s, strlen(s));
	return json_string(q);
}

int
httpd_healthz_body(const struct httpd_view *v, struct evbuffer *out)
{
	json_t *root = NULL, *comps = NULL;
	char *text = NULL;
	int any_bad = 0, any_unhealthy = 0, rc = -1;
	size_t i;

	if ((root = json_object()) == NULL || (comps = json_object()) == NULL)
		goto done;
	for (i = 0; i < v->n; i++) {
		const struct httpd_comp *c = &v->comps[i];
		char since[32];
		json_t *o;

		if (c->status != HS_HEALTHY)
			any_bad = 1;
		if (c->status == HS_UNHEALTHY)
			any_unhealthy = 1;
		fmt_time(since, sizeof(since), c->since_ms);
		o = json_pack("{s:s, s:o, s:s}", "status",
		    hs_status_name(c->status), "reason", jstr(c->reason),
		    "since", since);
		if (o == NULL || json_object_set_new(comps, c->name, o) < 0)
			goto done;
	}
	if (json_object_set_new(root, "status", json_string(any_unhealthy ?
	    "unhealthy" : any_bad ? "degraded" : "healthy")) < 0 ||
	    json_object_set(root, "components", comps) < 0)
		goto done;
	if (v->login.on) {
		char since[32];

		fmt_time(since, sizeof(since), v->login.since_ms);
		if (json_object_set_new(root, "login", json_pack("{s:s, s:s, s:i, "
		    "s:b, s:o}", "state", login_state_name(v->login.state),
		    "since", since, "attempt", v->login.attempt, "planned",
		    v->login.planned, "reason", jstr(v->login.reason))) < 0)
			goto done;
	}
	if (v->restart.on && json_object_set_new(root, "restart", json_pack(
	    "{s:s, s:b}", "state", initrestart_state_name((enum
	    initrestart_state)v->restart.state), "quiet", v->restart.quiet)) < 0)
		goto done;
	if ((text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL || evbuffer_add_printf(out, "%s\n", text) < 0)
		goto done;
	rc = any_bad ? 503 : 200;
done:
	free(text);
	json_decref(comps);
	json_decref(root);
	return rc;
}

/* ---------- /metrics ---------- */

/* Label values: backslash, double quote and line feed escaped
 * (exposition format 0.0.4). */
static int
put_label(struct evbuffer *out, const char *s)
{
	const char *p;
	int rc = 0;

	for (p = s; *p != '\0' && rc == 0; p++) {
		if (*p == '\\')
			rc = evbuffer_add(out, "\\\\", 2);
		else if (*p == '"')
			rc = evbuffer_add(out, "\\\"", 2);
		else if (*p == '\n')
			rc = evbuffer_add(out, "\\n", 2);
		else
			rc = evbuffer_add(out, p, 1);
	}
	return rc;
}

/* A sample value as Go's ParseFloat reads it. */
static int
put_num(struct evbuffer *out, double x)
{
	if (isnan(x))
		return evbuffer_add_printf(out, "NaN\n") < 0 ? -1 : 0;
	if (isinf(x))
		return evbuffer_add_printf(out, "%sInf\n", x > 0 ? "+" : "-") <
		    0 ? -1 : 0;
	return evbuffer_add_printf(out, "%.15g\n", x) < 0 ? -1 : 0;
}

static int
family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	return evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n",
	    name, help, name, type) < 0 ? -1 : 0;
}

/* name{component="C"[,extra="val"]} x */
static int
sample(struct evbuffer *out, const char *name, const struct httpd_comp *c,
    const char *extra, const char *val, double x)
{
	if (evbuffer_add_printf(out, "%s{component=\"", name) < 0 ||
	    put_label(out, c->name) < 0)
		return -1;
	if (extra != NULL && (evbuffer_add_printf(out, "\",%s=\"", extra) < 0 ||
	    put_label(out, val) < 0))
		return -1;
	if (evbuffer_add(out, "\"} ", 3) < 0)
		return -1;
	return put_num(out, x);
}

static double
stage_s(double ms)
{
	return isnan(ms) || ms < 0 ? NAN : ms / 1000.0;
}

/* The login's families (no component label: there is one login). */
static int
login_metrics(const struct httpd_login *l, struct evbuffer *out)
{
	int i;

	if (family(out, "gwkit_login_state", "gauge", "1 for the gateway "
	    "login's current state, 0 for the others.") < 0)
		return -1;
	for (i = 0; i < LOGIN_STATE_COUNT; i++)
		if (evbuffer_add_printf(out, "gwkit_login_state{state=\"%s\"} "
		    "%d\n", login_state_name((enum login_state)i),
		    l->state == i) < 0)
			return -1;
	if (family(out, "gwkit_login_state_since_seconds", "gauge",
	    "Unix time the login's current state began.") < 0 ||
	    evbuffer_add_printf(out, "gwkit_login_state_since_seconds ") < 0 ||
	    put_num(out, l->since_ms / 1000.0) < 0 ||
	    family(out, "gwkit_login_attempt", "gauge", "The second-factor "
	    "push under way (0: none).") < 0 ||
	    evbuffer_add_printf(out, "gwkit_login_attempt %d\n", l->attempt) < 0 ||
	    family(out, "gwkit_login_planned", "gauge", "1 when the login under "
	    "way is the planned one (weekly slot or expected).") < 0 ||
	    evbuffer_add_printf(out, "gwkit_login_planned %d\n", l->planned) < 0)
		return -1;
	if (l->deadline_ms > 0 && (family(out,
	    "gwkit_login_deadline_timestamp_seconds", "gauge", "Unix time the "
	    "second-factor approval under way must be given by.") < 0 ||
	    evbuffer_add_printf(out, "gwkit_login_deadline_timestamp_seconds ")
	    < 0 || put_num(out, l->deadline_ms / 1000.0) < 0))
		return -1;
	if (l->next_weekly_ms > 0 && (family(out,
	    "gwkit_login_next_weekly_timestamp_seconds", "gauge", "Unix time of "
	    "the next planned weekly login.") < 0 ||
	    evbuffer_add_printf(out, "gwkit_login_next_weekly_timestamp_seconds ")
	    < 0 || put_num(out, l->next_weekly_ms / 1000.0) < 0))
		return -1;
	if (family(out, "gwkit_login_alerts_total", "counter", "Login alerts "
	    "raised since health-mon started.") < 0 ||
	    evbuffer_add_printf(out, "gwkit_login_alerts_total %lu\n",
	    l->alerts_total) < 0)
		return -1;
	return 0;
}

int
httpd_metrics_body(const struct httpd_view *v, struct evbuffer *out)
{
	static const char *stages[] = { "connect", "hello", "ready" };
	size_t i, k;

	if (family(out, "gwkit_health_start_time_seconds", "gauge",
	    "Unix time health-mon started.") < 0 ||
	    evbuffer_add_printf(out, "gwkit_health_start_time_seconds ") < 0 ||
	    put_num(out, v->started_ms / 1000.0) < 0)
		return -1;
	if (family(out, "gwkit_health_notifier_up", "gauge",
	    "1 when alerts reach discord-notify, 0 when the notifier is down.")
	    < 0 || evbuffer_add_printf(out, "gwkit_health_notifier_up %d\n",
	    v->notifier_down ? 0 : 1) < 0)
		return -1;

	if (family(out, "gwkit_health_component_status", "gauge",
	    "1 for the component's current status, 0 for the others.") < 0)
		return -1;
	for (i = 0; i < v->n; i++)
		for (k = 0; k < N_STATUS; k++)
			if (sample(out, "gwkit_health_component_status",
			    &v->comps[i], "status", hs_status_name(all_status[k]),
			    v->comps[i].status == all_status[k]) < 0)
				return -1;
	if (family(out, "gwkit_health_component_since_seconds", "gauge",
	    "Unix time the component's current status began.") < 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (sample(out, "gwkit_health_component_since_seconds",
		    &v->comps[i], NULL, NULL, v->comps[i].since_ms / 1000.0) < 0)
			return -1;
	if (family(out, "gwkit_health_last_check_timestamp_seconds", "gauge",
	    "Unix time of the component's last check result.") < 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (v->comps[i].last_check_ms > 0 &&
		    sample(out, "gwkit_health_last_check_timestamp_seconds",
		    &v->comps[i], NULL, NULL, v->comps[i].last_check_ms / 1000.0) < 0)
			return -1;
	if (family(out, "gwkit_health_check_duration_seconds", "gauge",
	    "Duration of the component's last check.") < 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (v->comps[i].last_check_ms > 0 &&
		    sample(out, "gwkit_health_check_duration_seconds",
		    &v->comps[i], NULL, NULL,
		    v->comps[i].last_duration_ms / 1000.0) < 0)
			return -1;
	if (family(out, "gwkit_health_probe_stage_seconds", "gauge",
	    "Time from the probe's start to each stage of the last gateway "
	    "probe; NaN when the stage was not reached.") < 0)
		return -1;
	for (i = 0; i < v->n; i++) {
		const struct httpd_comp *c = &v->comps[i];
		double ms[3] = { c->connect_ms, c->hello_ms, c->ready_ms };

		for (k = 0; c->has_probe && k < 3; k++)
			if (sample(out, "gwkit_health_probe_stage_seconds", c,
			    "stage", stages[k], stage_s(ms[k])) < 0)
				return -1;
	}
	if (family(out, "gwkit_health_probe_verdict", "gauge",
	    "The last gateway probe's verdict (always 1).") < 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (v->comps[i].has_probe &&
		    sample(out, "gwkit_health_probe_verdict", &v->comps[i],
		    "verdict", v->comps[i].verdict, 1) < 0)
			return -1;

	if (v->login.on && login_metrics(&v->login, out) < 0)
		return -1;
	if (v->restart.on && (family(out, "gwkit_health_restart_in_progress",
	    "gauge", "1 while stack-init's restart of the gateway is in "
	    "progress (its restart file).") < 0 ||
	    evbuffer_add_printf(out, "gwkit_health_restart_in_progress %d\n",
	    v->restart.state == IR_IN_PROGRESS) < 0 ||
	    family(out, "gwkit_health_restart_quiet", "gauge", "1 while the "
	    "gateway's and the bot's alerts are held for that restart (in "
	    "progress, or restart_grace after it completed).") < 0 ||
	    evbuffer_add_printf(out, "gwkit_health_restart_quiet %d\n",
	    v->restart.quiet) < 0))
		return -1;

#define COUNTER(name, field, help)					\
	do {								\
		if (family(out, name, "counter", help) < 0)		\
			return -1;					\
		for (i = 0; i < v->n; i++)				\
			if (sample(out, name, &v->comps[i], NULL, NULL,	\
			    (double)v->comps[i].field) < 0)		\
				return -1;				\
	} while (0)
	COUNTER("gwkit_health_checks_total", checks_total,
	    "Checks run since health-mon started.");
	COUNTER("gwkit_health_failures_total", failures_total,
	    "Checks that found the component not healthy.");
	COUNTER("gwkit_health_alerts_total", alerts_total,
	    "Alerts raised for the component.");
	COUNTER("gwkit_health_alerts_suppressed_total", alerts_suppressed,
	    "Alerts held back by the component's cooldown.");
#undef COUNTER
	return 0;
}

/* ---------- / ---------- */

static int
html_put(struct evbuffer *out, const char *s)
{
	const char *p;
	int rc = 0;

	for (p = s; *p != '\0' && rc == 0; p++) {
		switch (*p) {
		case '&': rc = evbuffer_add(out, "&amp;", 5); break;
		case '<': rc = evbuffer_add(out, "&lt;", 4); break;
		case '>': rc = evbuffer_add(out, "&gt;", 4); break;
		case '"': rc = evbuffer_add(out, "&quot;", 6); break;
		case '\'': rc = evbuffer_add(out, "&#39;", 5); break;
		default: rc = evbuffer_add(out, p, 1); break;
		}
	}
	return rc;
}

static const char *
status_color(enum hs_status s)
{
	switch (s) {
	case HS_HEALTHY:	return "#2e7d32";
	case HS_DEGRADED:	return "#ef8f00";
	case HS_UNHEALTHY:	return "#c62828";
	default:		return "#8a8a8a";
	}
}

static const char page_head[] =
"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
"<meta http-equiv=\"refresh\" content=\"5\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<style>\n"
"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;"
"background:#fafafa}\n"
"h1{font-size:1.4em}h2{font-size:1.1em;margin:0 0 .3em}\n"
"table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
"td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;"
"vertical-align:top}\n"
"th{background:#eee}\n"
".st{display:inline-block;padding:0 .5em;border-radius:.3em;color:#fff;"
"font-weight:600}\n"
".healthy{background:#2e7d32}.degraded{background:#ef8f00}"
".unhealthy{background:#c62828}.unknown{background:#8a8a8a}\n"
".comp{background:#fff;border:1px solid #ddd;border-radius:.4em;"
"padding:.7em 1em;margin:0 0 1em;display:inline-block;vertical-align:top;"
"margin-right:1em}\n"
".reason{color:#555;max-width:40em;overflow-wrap:anywhere}\n"
"svg{display:block;background:#f3f3f3}\n"
".note{color:#555}\n"
"</style>\n";

static int
put_status(struct evbuffer *out, enum hs_status s)
{
	const char *n = hs_status_name(s);

	return evbuffer_add_printf(out, "<span class=\"st %s\">%s</span>",
	    n, n) < 0 ? -1 : 0;
}

/* The recent check durations as bars, colored by the status after each. */
static int
put_chart(struct evbuffer *out, const struct httpd_comp *c)
{
	const int bw = 5, h = 50;
	double max = 1;
	size_t i;

	for (i = 0; i < c->n_samples; i++) {
		const struct httpd_sample *s = &c->samples[ring_at(
		    c->next_sample, c->n_samples, HTTPD_SAMPLES, i)];

		if (isfinite(s->duration_ms) && s->duration_ms > max)
			max = s->duration_ms;
	}
	if (evbuffer_add_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"recent check "
	    "durations, up to %.0f ms\">", bw * HTTPD_SAMPLES, h, max) < 0)
		return -1;
	for (i = 0; i < c->n_samples; i++) {
		const struct httpd_sample *s = &c->samples[ring_at(
		    c->next_sample, c->n_samples, HTTPD_SAMPLES, i)];
		double d = isfinite(s->duration_ms) && s->duration_ms > 0 ?
		    s->duration_ms : 0;
		int bh = 1 + (int)(d / max * (h - 2));
		char ts[32];

		fmt_time(ts, sizeof(ts), s->ts_ms);
		if (evbuffer_add_printf(out, "<rect x=\"%zu\" y=\"%d\" width=\"%d\" "
		    "height=\"%d\" fill=\"%s\"><title>%s %.1f ms %s</title></rect>",
		    (HTTPD_SAMPLES - c->n_samples + i) * bw, h - bh, bw - 1, bh,
		    status_color(s->status), ts, d,
		    hs_status_name(s->status)) < 0)
			return -1;
	}
	return evbuffer_add_printf(out, "</svg>\n") < 0 ? -1 : 0;
}

static int
put_stage(struct evbuffer *out, const char *name, double ms)
{
	if (isnan(ms) || ms < 0)
		return evbuffer_add_printf(out, " %s &ndash;", name) < 0 ? -1 : 0;
	return evbuffer_add_printf(out, " %s %.1f ms", name, ms) < 0 ? -1 : 0;
}

static int
put_comp(struct evbuffer *out, const struct httpd_comp *c, int64_t now_ms)
{
	char age[32];

	if (evbuffer_add_printf(out, "<div class=\"comp\"><h2>") < 0 ||
	    html_put(out, c->name) < 0 || evbuffer_add_printf(out, " ") < 0 ||
	    put_status(out, c->status) < 0 ||
	    evbuffer_add_printf(out, "</h2>\n") < 0)
		return -1;
	if (c->reason[0] != '\0' && (evbuffer_add_printf(out,
	    "<p class=\"reason\">") < 0 || html_put(out, c->reason) < 0 ||
	    evbuffer_add_printf(out, "</p>\n") < 0))
		return -1;
	if (put_chart(out, c) < 0)
		return -1;
	if (c->last_check_ms > 0) {
		fmt_age(age, sizeof(age), now_ms - c->last_check_ms);
		if (evbuffer_add_printf(out, "<p class=\"note\">last check %s "
		    "ago, %.1f ms", age, c->last_duration_ms) < 0)
			return -1;
	} else if (evbuffer_add_printf(out, "<p class=\"note\">no check yet") < 0)
		return -1;
	if (c->has_probe && (evbuffer_add_printf(out, "<br>probe: ") < 0 ||
	    html_put(out, c->verdict) < 0 || evbuffer_add_printf(out, ",") < 0 ||
	    put_stage(out, "connect", c->connect_ms) < 0 ||
	    put_stage(out, "hello", c->hello_ms) < 0 ||
	    put_stage(out, "ready", c->ready_ms) < 0))
		return -1;
	return evbuffer_add_printf(out, "</p></div>\n") < 0 ? -1 : 0;
}

/* The login's row: its state in words, with the 2FA deadline in ET. */
static int
put_login(struct evbuffer *out, const struct httpd_login *l)
{
	char since[32], dl[16] = "", next[32];

	fmt_time(since, sizeof(since), l->since_ms);
	fmt_time(next, sizeof(next), l->next_weekly_ms);
	if (l->deadline_ms > 0)
		login_fmt_et(dl, sizeof(dl), l->deadline_ms, 1);
	return evbuffer_add_printf(out, "<h2>Login</h2>\n<table id=\"login\">"
	    "<tr><th>state</th><th>since</th><th>attempt</th><th>approve by</th>"
	    "<th>planned</th><th>next weekly login</th><th>reason</th></tr>\n"
	    "<tr><td class=\"st %s\">%s</td><td>%s</td><td>%d</td><td>%s%s</td>"
	    "<td>%s</td><td>%s</td><td class=\"reason\">",
	    l->state == LOGIN_READY ? "healthy" : l->state == LOGIN_UNKNOWN ?
	    "unknown" : "unhealthy", login_state_name(l->state), since,
	    l->attempt, dl, dl[0] ? " ET" : "", l->planned ? "yes" : "no",
	    next) < 0 || html_put(out, l->reason) < 0 ||
	    evbuffer_add_printf(out, "</td></tr>\n</table>\n") < 0 ? -1 : 0;
}

/* stack-init's restart: one line, when its file says anything. */
static int
put_restart(struct evbuffer *out, const struct httpd_restart *r)
{
	char began[32], ended[32];

	if (r->state == IR_NONE)
		return 0;
	if (r->state == IR_UNKNOWN)
		return evbuffer_add_printf(out, "<p class=\"note\" id=\"restart\">"
		    "restart file: not usable (alerts go out)</p>\n") < 0 ? -1 : 0;
	fmt_time(began, sizeof(began), r->began_ms);
	fmt_time(ended, sizeof(ended), r->ended_ms);
	if (evbuffer_add_printf(out, "<p class=\"note\" id=\"restart\">"
	    "restart of ") < 0 || html_put(out, r->service) < 0 ||
	    evbuffer_add_printf(out, ": %s, began %s%s%s (", initrestart_state_name(
	    (enum initrestart_state)r->state), began, r->ended_ms ? ", ended " :
	    "", r->ended_ms ? ended : "") < 0 || html_put(out, r->trigger) < 0 ||
	    evbuffer_add_printf(out, ", ") < 0 || html_put(out, r->method) < 0 ||
	    evbuffer_add_printf(out, ")%s</p>\n", r->quiet ? " &middot; "
	    "gateway and bot alerts held" : "") < 0)
		return -1;
	return 0;
}

static enum hs_status
overall(const struct httpd_view *v)
{
	enum hs_status s = HS_HEALTHY;
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (v->comps[i].status == HS_UNHEALTHY)
			return HS_UNHEALTHY;
		if (v->comps[i].status != HS_HEALTHY)
			s = HS_DEGRADED;
	}
	return s;
}

int
httpd_page_body(const struct httpd_view *v, int64_t now_ms,
    struct evbuffer *out)
{
	enum hs_status all = overall(v);
	char t[32], since[32], age[32];
	size_t i;

	fmt_time(t, sizeof(t), now_ms);
	fmt_time(since, sizeof(since), v->started_ms);
	fmt_age(age, sizeof(age), now_ms - v->started_ms);
	if (evbuffer_add(out, page_head, sizeof(page_head) - 1) < 0 ||
	    evbuffer_add_printf(out, "<title>health-mon: %s</title></head>\n"
	    "<body>\n<h1>health-mon ", hs_status_name(all)) < 0 ||
	    put_status(out, all) < 0 ||
	    evbuffer_add_printf(out, "</h1>\n<p class=\"note\">%s &middot; "
	    "running since %s (%s) &middot; notifier %s</p>\n", t, since, age,
	    v->notifier_down ? "<span class=\"st unhealthy\">down: alerts "
	    "are not delivered</span>" : "up") < 0)
		return -1;

	if (evbuffer_add_printf(out, "<table id=\"components\"><tr>"
	    "<th>component</th><th>kind</th><th>status</th><th>since</th>"
	    "<th>checks</th><th>failures</th><th>alerts</th><th>reason</th>"
	    "</tr>\n") < 0)
		return -1;
	for (i = 0; i < v->n; i++) {
		const struct httpd_comp *c = &v->comps[i];

		fmt_time(since, sizeof(since), c->since_ms);
		if (evbuffer_add_printf(out, "<tr><td>") < 0 ||
		    html_put(out, c->name) < 0 ||
		    evbuffer_add_printf(out, "</td><td>") < 0 ||
		    html_put(out, c->kind) < 0 ||
		    evbuffer_add_printf(out, "</td><td>") < 0 ||
		    put_status(out, c->status) < 0 ||
		    (c->quiet && c->status != HS_HEALTHY &&
		    evbuffer_add_printf(out, " (restart)") < 0) ||
		    evbuffer_add_printf(out, "</td><td>%s</td><td>%lu</td>"
		    "<td>%lu</td><td>%lu</td><td class=\"reason\">", since,
		    c->checks_total, c->failures_total, c->alerts_total) < 0 ||
		    html_put(out, c->reason) < 0 ||
		    evbuffer_add_printf(out, "</td></tr>\n") < 0)
			return -1;
	}
	if (evbuffer_add_printf(out, "</table>\n") < 0)
		return -1;

	if (v->login.on && put_login(out, &v->login) < 0)
		return -1;
	if (v->restart.on && put_restart(out, &v->restart) < 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (put_comp(out, &v->comps[i], now_ms) < 0)
			return -1;

	if (evbuffer_add_printf(out, "<h2>Recent transitions</h2>\n"
	    "<table id=\"transitions\"><tr><th>time</th><th>component</th>"
	    "<th>from</th><th>to</th><th>reason</th></tr>\n") < 0)
		return -1;
	for (i = v->n_tr; i-- > 0;) {	/* newest first */
		const struct httpd_transition *tr = &v->tr[ring_at(v->next_tr,
		    v->n_tr, HTTPD_TRANSITIONS, i)];

		fmt_time(t, sizeof(t), tr->ts_ms);
		if (evbuffer_add_printf(out, "<tr><td>%s</td><td>", t) < 0 ||
		    html_put(out, tr->component) < 0 ||
		    evbuffer_add_printf(out, "</td><td>") < 0 ||
		    put_status(out, tr->from) < 0 ||
		    evbuffer_add_printf(out, "</td><td>") < 0 ||
		    put_status(out, tr->to) < 0 ||
		    evbuffer_add_printf(out, "</td><td class=\"reason\">") < 0 ||
		    html_put(out, tr->reason) < 0 ||
		    evbuffer_add_printf(out, "</td></tr>\n") < 0)
			return -1;
	}
	if (v->n_tr == 0 && evbuffer_add_printf(out, "<tr><td colspan=\"5\" "
	    "class=\"note\">none yet</td></tr>\n") < 0)
		return -1;
	return evbuffer_add_printf(out, "</table>\n</body></html>\n") < 0 ?
	    -1 : 0;
}

/* ---------- the server ---------- */

enum route { R_NONE, R_HEALTHZ, R_METRICS, R_PAGE };

static enum route
route_of(struct evhttp_request *req)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;

	if (path == NULL)
		return R_NONE;
	if (strcmp(path, "/healthz") == 0)
		return R_HEALTHZ;
	if (strcmp(path, "/metrics") == 0)
		return R_METRICS;
	if (strcmp(path, "/") == 0 || path[0] == '\0')
		return R_PAGE;
	return R_NONE;
}

static void
reply_text(struct evhttp_request *req, int code, const char *phrase,
    const char *text)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, phrase, NULL);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct httpd *hd = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	enum route r = route_of(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	const char *type;
	int code = 200;

	if (evhttp_request_get_evhttp_uri(req) == NULL) {
		reply_text(req, 400, "Bad Request", "bad request");
		return;
	}
	if (r == R_NONE) {
		reply_text(req, 404, "Not Found", "not found");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed",
		    "method not allowed");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	switch (r) {
	case R_HEALTHZ:
		code = httpd_healthz_body(hd->v, b);
		type = "application/json";
		break;
	case R_METRICS:
		code = httpd_metrics_body(hd->v, b) < 0 ? -1 : 200;
		type = "text/plain; version=0.0.4; charset=utf-8";
		break;
	default:
		code = httpd_page_body(hd->v, clock_wall_ms(), b) < 0 ? -1 :
		    200;
		type = "text/html; charset=utf-8";
		/* Defence in depth: the page runs no script and loads
		 * nothing, whatever a reason contains. */
		evhttp_add_header(h, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'");
		break;
	}
	if (code < 0) {
		evbuffer_free(b);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, code == 200 ? "OK" :
	    "Service Unavailable", b);
	evbuffer_free(b);
}

static void
on_client_gone(struct evhttp_connection *evcon, void *arg)
{
	struct httpd *hd = arg;

	(void)evcon;
	if (hd->clients-- == hd->max_clients && hd->lev != NULL)
		evconnlistener_enable(hd->lev);
}

static void
on_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct httpd *hd = arg;
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;
	void *evcon;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < hd->n_fresh; i++) {
		bufferevent_getcb(hd->fresh[i], &rd, &wr, &ev, &evcon);
		/* NULL: evhttp gave up on the connection (out of memory) and
		 * freed it, which cleared the callbacks. */
		if (evcon != NULL)
			evhttp_connection_set_closecb(evcon, on_client_gone, hd);
		else
			on_client_gone(NULL, hd);
		bufferevent_decref(hd->fresh[i]);
	}
	hd->n_fresh = 0;
}

static struct bufferevent *
on_client(struct event_base *base, void *arg)
{
	struct httpd *hd = arg;
	struct bufferevent *bev;

	/* On failure evhttp makes its own bufferevent (uncounted). */
	if (hd->n_fresh == hd->max_clients || (bev =
	    bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	hd->fresh[hd->n_fresh++] = bev;
	event_active(hd->adopt, EV_TIMEOUT, 0);
	if (++hd->clients == hd->max_clients && hd->lev != NULL)
		evconnlistener_disable(hd->lev);
	return bev;
}

size_t
httpd_clients(const struct httpd *hd)
{
	return hd->clients;
}

void
httpd_config_init(struct httpd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	copy_str(cfg->addr, sizeof(cfg->addr), "127.0.0.1");
	cfg->port = 0;
	cfg->timeout_s = 10;
	cfg->max_headers = 8192;
	cfg->max_clients = 16;
}

struct httpd *
httpd_new(struct event_base *base, const struct httpd_config *cfg,
    const struct httpd_view *v, struct gw_err *err)
{
	struct httpd *hd;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct timeval tv;
	unsigned char a[sizeof(struct in6_addr)];

	/* Numeric only: a name would be resolved by a blocking lookup. */
	if (inet_pton(AF_INET, cfg->addr, a) != 1 &&
	    inet_pton(AF_INET6, cfg->addr, a) != 1) {
		gw_err_set(err, "http: not a numeric address: %.64s", cfg->addr);
		return NULL;
	}
	if (cfg->port < 0 || cfg->port > 65535) {
		gw_err_set(err, "http: port %d out of range", cfg->port);
		return NULL;
	}
	if (cfg->max_clients < 1) {
		gw_err_set(err, "http: max_clients must be at least 1");
		return NULL;
	}
	if ((hd = calloc(1, sizeof(*hd))) == NULL ||
	    (hd->fresh = calloc(cfg->max_clients, sizeof(*hd->fresh))) ==
	    NULL || (hd->adopt = event_new(base, -1, 0, on_adopt, hd)) == NULL ||
	    (hd->http = evhttp_new(base)) == NULL) {
		gw_err_set(err, "http: out of memory");
		goto fail;
	}
	hd->v = v;
	hd->max_clients = cfg->max_clients;
	evhttp_set_bevcb(hd->http, on_client, hd);
	tv = clock_tv_ms(cfg->timeout_s * 1000.0);
	evhttp_set_timeout_tv(hd->http, &tv);
	evhttp_set_max_headers_size(hd->http, (ev_ssize_t)cfg->max_headers);
	evhttp_set_max_body_size(hd->http, 0);
	/* Every method reaches on_request, which answers 405 with Allow;
	 * evhttp itself would answer 501 to a method it was not told of. */
	evhttp_set_allowed_methods(hd->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(hd->http, on_request, hd);
	hd->sock = evhttp_bind_socket_with_handle(hd->http, cfg->addr,
	    (ev_uint16_t)cfg->port);
	if (hd->sock == NULL) {
		gw_err_set(err, "http: cannot listen on %s:%d", cfg->addr,
		    cfg->port);
		goto fail;
	}
	if (getsockname(evhttp_bound_socket_get_fd(hd->sock),
	    (struct sockaddr *)&ss, &sl) < 0) {
		gw_err_set(err, "http: getsockname: %s", strerror(errno));
		goto fail;
	}
	hd->lev = evhttp_bound_socket_get_listener(hd->sock);
	hd->port = ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return hd;
fail:
	httpd_free(hd);
	return NULL;
}

int
httpd_port(const struct httpd *hd)
{
	return hd->port;
}

void
httpd_free(struct httpd *hd)
{
	if (hd == NULL)
		return;
	hd->lev = NULL;			/* freed by evhttp_free */
	if (hd->adopt != NULL)
		on_adopt(-1, 0, hd);	/* drop the references held */
	/* evhttp_free calls on_client_gone for each connection. */
	if (hd->http != NULL)
		evhttp_free(hd->http);
	if (hd->adopt != NULL)
		event_free(hd->adopt);
	free(hd->fresh);
	free(hd);
}
