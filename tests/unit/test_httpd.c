/* Unit tests for health-mon's httpd: the three bodies as pure functions,
 * then the server on 127.0.0.1 (a port the kernel picks) queried with
 * libevent's own HTTP client on the same loop. Every wait runs the loop
 * until the reply arrives, bounded by a deadline (a missed reply fails). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "httpd.h"

#define NOW 1700000000000LL	/* 2023-11-14T22:13:20Z */
#define EVIL "<script>alert(1)</script> & \"q\" 'a'"

struct fx {
	struct httpd_comp comps[3];
	struct httpd_view v;
	struct event_base *base;
	struct httpd *hd;
	int port;
};

static void
comp_set(struct httpd_comp *c, const char *name, const char *kind,
    enum hs_status st, const char *reason)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->kind, sizeof(c->kind), "%s", kind);
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	c->status = st;
	c->since_ms = NOW - 60000;
}

/* gateway (healthy, probed), bot (healthy), host (healthy). */
static void
view_init(struct fx *f)
{
	int i;

	memset(&f->v, 0, sizeof(f->v));
	comp_set(&f->comps[0], "gateway", "gateway", HS_HEALTHY, "");
	comp_set(&f->comps[1], "bot", "bot", HS_HEALTHY, "");
	comp_set(&f->comps[2], "host", "host", HS_HEALTHY, "");
	for (i = 0; i < 3; i++) {
		f->comps[i].last_check_ms = NOW - 1000;
		f->comps[i].last_duration_ms = 12.5;
		f->comps[i].checks_total = 7;
		f->comps[i].failures_total = (unsigned long)i;
		f->comps[i].alerts_total = 1;
		httpd_comp_sample(&f->comps[i], NOW - 2000, 10, HS_DEGRADED);
		httpd_comp_sample(&f->comps[i], NOW - 1000, 12.5, HS_HEALTHY);
	}
	f->comps[0].has_probe = 1;
	f->comps[0].connect_ms = 1.5;
	f->comps[0].hello_ms = 4;
	f->comps[0].ready_ms = 12.25;
	snprintf(f->comps[0].verdict, sizeof(f->comps[0].verdict), "ready");
	f->v.comps = f->comps;
	f->v.n = 3;
	f->v.started_ms = NOW - 3600000;
	httpd_view_transition(&f->v, NOW - 30000, "gateway", HS_UNKNOWN,
	    HS_HEALTHY, NULL);
}

static char *
to_str(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_copyout(b, s, n);
	s[n] = '\0';
	return s;
}

static int
setup_pure(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	view_init(f);
	*state = f;
	return 0;
}

static int
teardown_pure(void **state)
{
	free(*state);
	return 0;
}

/* ---------- /healthz ---------- */

static char *
healthz(struct fx *f, int *code)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	*code = httpd_healthz_body(&f->v, b);
	s = to_str(b);
	evbuffer_free(b);
	return s;
}

static void
test_healthz_all_healthy(void **state)
{
	struct fx *f = *state;
	json_error_t je;
	json_t *j;
	const char *st, *gst, *since;
	int code;
	char *s = healthz(f, &code);

	assert_int_equal(code, 200);
	j = json_loads(s, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_unpack(j, "{s:s, s:{s:{s:s, s:s}}}", "status", &st,
	    "components", "gateway", "status", &gst, "since", &since), 0);
	assert_string_equal(st, "healthy");
	assert_string_equal(gst, "healthy");
	assert_string_equal(since, "2023-11-14T22:12:20Z");
	assert_int_equal(json_object_size(json_object_get(j, "components")), 3);
	json_decref(j);
	free(s);
}

static void
test_healthz_unknown_is_503(void **state)
{
	struct fx *f = *state;
	json_t *j;
	int code;
	char *s;

	f->comps[1].status = HS_UNKNOWN;
	s = healthz(f, &code);
	assert_int_equal(code, 503);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "degraded");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(j, "components"), "bot"), "status")), "unknown");
	json_decref(j);
	free(s);
}

static void
test_healthz_unhealthy(void **state)
{
	struct fx *f = *state;
	const char *st, *r;
	json_t *j;
	int code;
	char *s;

	f->comps[2].status = HS_DEGRADED;
	f->comps[0].status = HS_UNHEALTHY;
	snprintf(f->comps[0].reason, sizeof(f->comps[0].reason),
	    "relay-closed: \"relay up, gateway down\"\n\xff");
	s = healthz(f, &code);
	assert_int_equal(code, 503);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_unpack(j, "{s:s, s:{s:{s:s}}}", "status", &st,
	    "components", "gateway", "reason", &r), 0);
	assert_string_equal(st, "unhealthy");
	/* Invalid UTF-8 is shown, not dropped: the odd byte as '?'. */
	assert_string_equal(r, "relay-closed: \"relay up, gateway down\"??");
	json_decref(j);
	free(s);
}

static void
test_healthz_no_components(void **state)
{
	struct fx *f = *state;
	int code;
	char *s;

	f->v.n = 0;
	s = healthz(f, &code);
	assert_int_equal(code, 200);
	assert_string_equal(s, "{\"status\":\"healthy\",\"components\":{}}\n");
	free(s);
}

/* ---------- /metrics ---------- */

static char *
metrics(struct fx *f)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	assert_int_equal(httpd_metrics_body(&f->v, b), 0);
	s = to_str(b);
	evbuffer_free(b);
	return s;
}

static void
assert_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

/* promtool check metrics reads stdin; skipped (with a note) when the
 * prometheus package is not installed (the bats suite requires it). */
static void
promtool_check(const char *text)
{
	FILE *p;
	int st;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		print_message("note: promtool not found, metrics lint skipped\n");
		return;
	}
	p = popen("promtool check metrics", "w");
	assert_non_null(p);
	fputs(text, p);
	st = pclose(p);
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		fail_msg("promtool check metrics failed (%d) on:\n%s", st, text);
}

static void
test_metrics_lines(void **state)
{
	struct fx *f = *state;
	char *s;

	f->comps[1].status = HS_UNHEALTHY;
	f->comps[0].hello_ms = NAN;
	f->comps[0].ready_ms = -1;
	f->v.notifier_down = 1;
	s = metrics(f);
	assert_line(s, "# TYPE gwkit_health_component_status gauge");
	assert_line(s, "# TYPE gwkit_health_checks_total counter");
	assert_line(s, "# TYPE gwkit_health_failures_total counter");
	assert_line(s, "# TYPE gwkit_health_alerts_total counter");
	assert_line(s, "# TYPE gwkit_health_check_duration_seconds gauge");
	assert_line(s, "# TYPE gwkit_health_probe_stage_seconds gauge");
	assert_line(s, "# TYPE gwkit_health_notifier_up gauge");
	assert_non_null(strstr(s, "# HELP gwkit_health_component_status "));
	assert_line(s, "gwkit_health_component_status{component=\"bot\","
	    "status=\"unhealthy\"} 1");
	assert_line(s, "gwkit_health_component_status{component=\"bot\","
	    "status=\"healthy\"} 0");
	assert_line(s, "gwkit_health_component_status{component=\"gateway\","
	    "status=\"healthy\"} 1");
	assert_line(s, "gwkit_health_check_duration_seconds{component=\"host\"}"
	    " 0.0125");
	assert_line(s, "gwkit_health_probe_stage_seconds{component=\"gateway\","
	    "stage=\"connect\"} 0.0015");
	assert_line(s, "gwkit_health_probe_stage_seconds{component=\"gateway\","
	    "stage=\"hello\"} NaN");
	assert_line(s, "gwkit_health_probe_stage_seconds{component=\"gateway\","
	    "stage=\"ready\"} NaN");
	assert_line(s, "gwkit_health_probe_verdict{component=\"gateway\","
	    "verdict=\"ready\"} 1");
	assert_null(strstr(s, "gwkit_health_probe_stage_seconds{component=\"bot\""));
	assert_line(s, "gwkit_health_checks_total{component=\"bot\"} 7");
	assert_line(s, "gwkit_health_failures_total{component=\"host\"} 2");
	assert_line(s, "gwkit_health_notifier_up 0");
	assert_line(s, "gwkit_health_start_time_seconds 1699996400");
	promtool_check(s);
	free(s);
}

static void
test_metrics_label_escaping(void **state)
{
	struct fx *f = *state;
	char *s;

	snprintf(f->comps[2].name, sizeof(f->comps[2].name), "a\"b\\c\nd");
	f->comps[2].last_check_ms = 0;		/* never checked: no duration */
	s = metrics(f);
	assert_line(s, "gwkit_health_checks_total{component=\"a\\\"b\\\\c\\nd\"} 7");
	assert_null(strstr(s, "gwkit_health_check_duration_seconds{component="
	    "\"a\\\"b"));
	promtool_check(s);
	free(s);
}

/* ---------- / ---------- */

static char *
page(struct fx *f)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	assert_int_equal(httpd_page_body(&f->v, NOW, b), 0);
	s = to_str(b);
	evbuffer_free(b);
	return s;
}

static void
test_page(void **state)
{
	struct fx *f = *state;
	char *s;

	f->comps[1].status = HS_UNHEALTHY;
	snprintf(f->comps[1].reason, sizeof(f->comps[1].reason), "%s", EVIL);
	httpd_view_transition(&f->v, NOW - 5000, "bot", HS_HEALTHY,
	    HS_UNHEALTHY, EVIL);
	s = page(f);
	assert_non_null(strstr(s, "<meta http-equiv=\"refresh\" content=\"5\">"));
	assert_non_null(strstr(s, "<td>gateway</td>"));
	assert_non_null(strstr(s, "<td>bot</td>"));
	assert_non_null(strstr(s, "<td>host</td>"));
	assert_non_null(strstr(s, "<span class=\"st unhealthy\">unhealthy</span>"));
	assert_non_null(strstr(s, "<span class=\"st healthy\">healthy</span>"));
	assert_non_null(strstr(s, "<title>health-mon: unhealthy</title>"));
	assert_null(strstr(s, "<script"));
	assert_non_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
	    "&quot;q&quot; &#39;a&#39;"));
	/* The reason shows in the table, on the card and in transitions. */
	assert_non_null(strstr(strstr(strstr(s, "&lt;script&gt;") + 1,
	    "&lt;script&gt;") + 1, "&lt;script&gt;"));
	/* One chart per component, bars colored by state. */
	assert_non_null(strstr(s, "<svg"));
	assert_non_null(strstr(strstr(strstr(strstr(s, "<svg") + 1, "<svg") + 1,
	    "<svg"), "fill=\"#2e7d32\""));
	assert_non_null(strstr(s, "fill=\"#ef8f00\""));
	assert_non_null(strstr(s, "probe: ready, connect 1.5 ms hello 4.0 ms "
	    "ready 12.2 ms"));
	assert_non_null(strstr(s, "notifier up"));
	/* Nothing external. */
	assert_null(strstr(s, "src="));
	assert_null(strstr(s, "href="));
	assert_null(strstr(s, "<link"));
	assert_null(strstr(s, "url("));
	free(s);
}

static void
test_page_escapes_names(void **state)
{
	struct fx *f = *state;
	char *s;

	snprintf(f->comps[0].name, sizeof(f->comps[0].name), "<b>x</b>");
	snprintf(f->comps[0].verdict, sizeof(f->comps[0].verdict), "<i>");
	f->v.n_tr = 0;
	f->v.notifier_down = 1;
	s = page(f);
	assert_null(strstr(s, "<b>"));
	assert_null(strstr(s, "<i>"));
	assert_non_null(strstr(s, "<td>&lt;b&gt;x&lt;/b&gt;</td>"));
	assert_non_null(strstr(s, "none yet"));
	assert_non_null(strstr(s, "notifier <span class=\"st unhealthy\">down"));
	free(s);
}

static void
test_rings(void **state)
{
	struct fx *f = *state;
	struct httpd_comp *c = &f->comps[0];
	char name[16];
	size_t i, oldest;
	int k;

	memset(c, 0, sizeof(*c));
	for (k = 0; k < HTTPD_SAMPLES + 10; k++)
		httpd_comp_sample(c, k, k, HS_HEALTHY);
	assert_int_equal(c->n_samples, HTTPD_SAMPLES);
	oldest = c->next_sample;
	assert_int_equal(c->samples[oldest].ts_ms, 10);
	assert_int_equal(c->samples[(oldest + HTTPD_SAMPLES - 1) %
	    HTTPD_SAMPLES].ts_ms, HTTPD_SAMPLES + 9);

	memset(&f->v, 0, sizeof(f->v));
	for (k = 0; k < HTTPD_TRANSITIONS + 5; k++) {
		snprintf(name, sizeof(name), "c%d", k);
		httpd_view_transition(&f->v, k, name, HS_HEALTHY, HS_DEGRADED,
		    k == 0 ? NULL : "r");
	}
	assert_int_equal(f->v.n_tr, HTTPD_TRANSITIONS);
	i = f->v.next_tr;
	assert_string_equal(f->v.tr[i].component, "c5");
	assert_string_equal(f->v.tr[(i + HTTPD_TRANSITIONS - 1) %
	    HTTPD_TRANSITIONS].component, "c24");
}

/* ---------- the server ---------- */

struct resp {
	int done;
	int code;		/* 0: no reply (connection error) */
	char *body;
	char allow[64];
	char ctype[128];
};

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct resp *r = arg;
	const char *a;

	r->done = 1;
	if (req == NULL)
		return;
	r->code = evhttp_request_get_response_code(req);
	r->body = to_str(evhttp_request_get_input_buffer(req));
	a = evhttp_find_header(evhttp_request_get_input_headers(req), "Allow");
	snprintf(r->allow, sizeof(r->allow), "%s", a != NULL ? a : "");
	a = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	snprintf(r->ctype, sizeof(r->ctype), "%s", a != NULL ? a : "");
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

struct call {
	struct evhttp_connection *con;
	struct resp r;
};

/* Start one request on a new connection; hname/hval an extra header (or
 * NULL), body a request body (or NULL). */
static void
call_start(struct fx *f, struct call *c, enum evhttp_cmd_type cmd,
    const char *path, const char *hname, const char *hval, const char *body)
{
	struct evhttp_request *req;

	memset(c, 0, sizeof(*c));
	c->con = evhttp_connection_base_new(f->base, NULL, "127.0.0.1",
	    (ev_uint16_t)f->port);
	assert_non_null(c->con);
	req = evhttp_request_new(on_reply, &c->r);
	assert_non_null(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    "127.0.0.1");
	if (hname != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req), hname,
		    hval);
	if (body != NULL)
		evbuffer_add(evhttp_request_get_output_buffer(req), body,
		    strlen(body));
	assert_int_equal(evhttp_make_request(c->con, req, cmd, path), 0);
}

/* Run the loop until *flag is set or ms pass; returns *flag. */
static int
run_until(struct fx *f, const int *flag, long ms)
{
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };
	struct event *dl;
	int expired = 0;

	dl = evtimer_new(f->base, on_deadline, &expired);
	assert_non_null(dl);
	evtimer_add(dl, &tv);
	while (!*flag && !expired)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(dl);
	return *flag;
}

/* One request on a new connection, answered within 5 s or the test
 * fails. */
static void
request(struct fx *f, enum evhttp_cmd_type cmd, const char *path,
    const char *hname, const char *hval, const char *body, struct resp *r)
{
	struct call c;

	call_start(f, &c, cmd, path, hname, hval, body);
	run_until(f, &c.r.done, 5000);
	evhttp_connection_free(c.con);
	*r = c.r;
	if (!r->done)
		fail_msg("no reply to %s within 5 s", path);
}

static void
on_check_clients(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Run the loop until the server has n connections (5 s). */
static void
wait_clients(struct fx *f, size_t n)
{
	struct timeval tv = { 0, 10000 };
	struct event *tick = event_new(f->base, -1, EV_PERSIST,
	    on_check_clients, NULL);
	int ok = 0, i;

	/* A short tick wakes the loop to look at the count. */
	evtimer_add(tick, &tv);
	for (i = 0; i < 500 && !(ok = httpd_clients(f->hd) == n); i++)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(tick);
	if (!ok)
		fail_msg("server has %zu clients, not %zu", httpd_clients(f->hd),
		    n);
}

static int
setup_server(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct httpd_config cfg;
	struct gw_err err = { "" };

	assert_non_null(f);
	view_init(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	httpd_config_init(&cfg);
	cfg.max_headers = 4096;
	f->hd = httpd_new(f->base, &cfg, &f->v, &err);
	if (f->hd == NULL)
		fail_msg("httpd_new: %s", err.msg);
	f->port = httpd_port(f->hd);
	assert_true(f->port > 0);
	*state = f;
	return 0;
}

static int
teardown_server(void **state)
{
	struct fx *f = *state;

	httpd_free(f->hd);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
test_serve_healthz(void **state)
{
	struct fx *f = *state;
	struct resp r;

	request(f, EVHTTP_REQ_GET, "/healthz", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_non_null(strstr(r.body, "\"status\":\"healthy\""));
	free(r.body);

	f->comps[0].status = HS_UNHEALTHY;
	snprintf(f->comps[0].reason, sizeof(f->comps[0].reason), "relay-closed");
	request(f, EVHTTP_REQ_GET, "/healthz?x=1", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 503);
	assert_non_null(strstr(r.body, "\"status\":\"unhealthy\""));
	assert_non_null(strstr(r.body, "\"gateway\":{\"status\":\"unhealthy\","
	    "\"reason\":\"relay-closed\""));
	free(r.body);

	request(f, EVHTTP_REQ_HEAD, "/healthz", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 503);
	assert_string_equal(r.body, "");
	free(r.body);
	wait_clients(f, 0);
}

static void
test_serve_metrics_and_page(void **state)
{
	struct fx *f = *state;
	struct resp r;

	request(f, EVHTTP_REQ_GET, "/metrics", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
	assert_line(r.body, "# TYPE gwkit_health_checks_total counter");
	assert_line(r.body, "gwkit_health_checks_total{component=\"gateway\"} 7");
	promtool_check(r.body);
	free(r.body);

	f->comps[2].status = HS_DEGRADED;
	snprintf(f->comps[2].reason, sizeof(f->comps[2].reason), "%s", EVIL);
	request(f, EVHTTP_REQ_GET, "/", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "<td>gateway</td>"));
	assert_non_null(strstr(r.body, "<td>bot</td>"));
	assert_non_null(strstr(r.body, "<td>host</td>"));
	assert_non_null(strstr(r.body, "<span class=\"st degraded\">degraded"));
	assert_non_null(strstr(r.body, "&lt;script&gt;"));
	assert_null(strstr(r.body, "<script"));
	free(r.body);
}

static void
test_serve_errors(void **state)
{
	struct fx *f = *state;
	struct resp r;
	char *big = malloc(8192);

	assert_non_null(big);
	request(f, EVHTTP_REQ_GET, "/nope", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 404);
	free(r.body);

	request(f, EVHTTP_REQ_POST, "/healthz", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 405);
	assert_string_equal(r.allow, "GET, HEAD");
	free(r.body);
	request(f, EVHTTP_REQ_DELETE, "/", NULL, NULL, NULL, &r);
	assert_int_equal(r.code, 405);
	free(r.body);

	/* A body is refused whatever the method. */
	request(f, EVHTTP_REQ_POST, "/metrics", NULL, NULL, "x=1", &r);
	assert_int_equal(r.code, 413);
	free(r.body);

	/* Headers above max_headers (4096): refused, and the server goes on. */
	memset(big, 'a', 8191);
	big[8191] = '\0';
	request(f, EVHTTP_REQ_GET, "/healthz", "X-Big", big, NULL, &r);
	if (r.code != 413 && r.code != 400)
		fail_msg("oversized headers: %d", r.code);
	free(r.body);
	free(big);
	request(f, EVHTTP_REQ_GET, "/healthz", "Connection", "close", NULL, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "\"status\":\"healthy\""));
	free(r.body);
	/* Every one of those connections is gone from the count. */
	wait_clients(f, 0);
}

static void
test_new_bad_address(void **state)
{
	struct fx *f = *state;
	struct httpd_config cfg;
	struct gw_err err = { "" };

	httpd_config_init(&cfg);
	snprintf(cfg.addr, sizeof(cfg.addr), "localhost");
	assert_null(httpd_new(f->base, &cfg, &f->v, &err));
	assert_string_equal(err.msg, "http: not a numeric address: localhost");
	httpd_config_init(&cfg);
	cfg.port = 70000;
	assert_null(httpd_new(f->base, &cfg, &f->v, &err));
	assert_string_equal(err.msg, "http: port 70000 out of range");
	/* The port already taken by the fixture's server. */
	httpd_config_init(&cfg);
	cfg.port = f->port;
	assert_null(httpd_new(f->base, &cfg, &f->v, &err));
	assert_non_null(strstr(err.msg, "http: cannot listen on 127.0.0.1:"));
}

static int
raw_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* At max_clients (2) a third client waits until one of the two leaves. */
static void
test_client_bound(void **state)
{
	struct fx *f = *state;
	struct httpd_config cfg;
	struct gw_err err = { "" };
	struct call c;
	int a, b;

	httpd_free(f->hd);
	httpd_config_init(&cfg);
	cfg.max_clients = 2;
	f->hd = httpd_new(f->base, &cfg, &f->v, &err);
	assert_non_null(f->hd);
	f->port = httpd_port(f->hd);
	assert_int_equal(httpd_clients(f->hd), 0);

	a = raw_connect(f->port);
	b = raw_connect(f->port);
	wait_clients(f, 2);
	call_start(f, &c, EVHTTP_REQ_GET, "/healthz", NULL, NULL, NULL);
	/* Not served while both slots are taken (300 ms of loop). */
	assert_false(run_until(f, &c.r.done, 300));
	assert_int_equal(httpd_clients(f->hd), 2);
	close(a);
	assert_true(run_until(f, &c.r.done, 5000));
	assert_int_equal(c.r.code, 200);
	free(c.r.body);
	evhttp_connection_free(c.con);
	close(b);
	wait_clients(f, 0);
	/* And the listener is back for new clients. */
	request(f, EVHTTP_REQ_GET, "/", NULL, NULL, NULL, &c.r);
	assert_int_equal(c.r.code, 200);
	free(c.r.body);
}

struct raw {
	int fd, done;
	char buf[512];
	size_t len;
};

static void
on_raw(evutil_socket_t fd, short what, void *arg)
{
	struct raw *r = arg;
	ssize_t n;

	(void)what;
	n = read(fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
	if (n <= 0 || r->len + (size_t)n == sizeof(r->buf) - 1)
		r->done = 1;
	if (n > 0)
		r->len += (size_t)n;
	r->buf[r->len] = '\0';
}

/* Send text on a plain socket and collect the reply until EOF (5 s). */
static void
raw_exchange(struct fx *f, const char *text, struct raw *r)
{
	struct event *ev;

	memset(r, 0, sizeof(*r));
	r->fd = raw_connect(f->port);
	assert_int_equal(write(r->fd, text, strlen(text)), (ssize_t)strlen(text));
	ev = event_new(f->base, r->fd, EV_READ | EV_PERSIST, on_raw, r);
	event_add(ev, NULL);
	if (!run_until(f, &r->done, 5000))
		fail_msg("no end of reply to %s", text);
	event_free(ev);
	close(r->fd);
}

static void
test_malformed(void **state)
{
	struct fx *f = *state;
	struct raw r;

	raw_exchange(f, "GARBAGE\r\n\r\n", &r);
	assert_non_null(strstr(r.buf, "HTTP/1.1 400 "));
	raw_exchange(f, "GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n", &r);
	assert_non_null(strstr(r.buf, "HTTP/1.1 400 "));
	/* A method nobody knows: 501 (RFC 9110 15.6.2), from evhttp. */
	raw_exchange(f, "BREW /healthz HTTP/1.1\r\n\r\n", &r);
	assert_non_null(strstr(r.buf, "HTTP/1.1 501 "));
	/* HTTP/1.0 without keep-alive: a whole reply, then the close. */
	raw_exchange(f, "GET /healthz HTTP/1.0\r\n\r\n", &r);
	assert_non_null(strstr(r.buf, "HTTP/1.0 200 "));
	assert_non_null(strstr(r.buf, "\"status\":\"healthy\""));
	wait_clients(f, 0);
}

/* A client that sends half a request is closed after timeout_s. */
static void
test_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct httpd_config cfg;
	struct gw_err err = { "" };
	char buf[256];
	int a;

	httpd_free(f->hd);
	httpd_config_init(&cfg);
	cfg.timeout_s = 0.2;
	f->hd = httpd_new(f->base, &cfg, &f->v, &err);
	assert_non_null(f->hd);
	f->port = httpd_port(f->hd);
	a = raw_connect(f->port);
	assert_int_equal(write(a, "GET /healthz HTTP/1.1\r\n", 24), 24);
	wait_clients(f, 1);
	wait_clients(f, 0);
	/* The server closed it (after an error reply, if any). */
	while (read(a, buf, sizeof(buf)) > 0)
		;
	close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthz_all_healthy,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_healthz_unknown_is_503,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_healthz_unhealthy,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_healthz_no_components,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_metrics_lines,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_metrics_label_escaping,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_page,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_page_escapes_names,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_rings,
		    setup_pure, teardown_pure),
		cmocka_unit_test_setup_teardown(test_serve_healthz,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_serve_metrics_and_page,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_serve_errors,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_new_bad_address,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_malformed,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_client_bound,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_idle_timeout,
		    setup_server, teardown_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
