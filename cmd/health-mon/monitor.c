/*
 * monitor: health-mon's core (see monitor.h). Check results come from
 * the checks (their fields are built from untrusted replies and bytes, by
 * the checks); here they only meet the state machines, the alerts, the
 * state file and the restart action. The login component (login.c) is
 * fed here: the gateway check's verdict, the init check's reading of the
 * gateway service, and IBC's log (untrusted lines, followed through
 * lib/linefollow and read by lib/ibclog). stack-init's restart file
 * (lib/initrestart, untrusted: a bad or stale one is as no restart known)
 * keeps the gateway's and the bot's alerts quiet while it restarts the
 * gateway on purpose.
 */
#include "monitor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "check.h"
#include "clock.h"
#include "dclient.h"
#include "hstate.h"
#include "httpd.h"
#include "ibclog.h"
#include "initrestart.h"
#include "linefollow.h"
#include "login.h"
#include "sched.h"

#define COMPONENT "health"
#define ACTION_TIMEOUT_MS 5000
#define ACTION_REPLY_MAX (64 * 1024)
#define TICK_S 5.0		/* reminders are looked at this often */
#define LOGIN_TICK_MS 1000	/* the login's time-driven alerts */
#define LOGIN_EMITS 8

struct slot {
	struct monitor *m;
	struct check *check;
	struct hs_component st;
	int answered;		/* --once */
	int healthy;		/* --once: the result was healthy */
};

struct monitor {
	struct event_base *base;
	struct evdns_base *dns;
	const struct hmconf *conf;
	struct gw_log *log;
	FILE *out;
	struct slot slots[HMCONF_MAX_CHECKS];
	size_t n;
	struct hs_component comps[HMCONF_MAX_CHECKS];	/* monitor_components */
	struct httpd_comp view_comps[HMCONF_MAX_CHECKS];	/* the HTTP view */
	struct httpd_view view;
	struct event *tick;
	int once;
	void (*once_done)(void *arg, int healthy);
	void *once_arg;
	/* the restart action */
	int gw_unhealthy_run;		/* consecutive unhealthy gateway checks */
	int64_t action_times[60];	/* wall ms of the last restarts */
	size_t n_actions;
	struct dclient_async *action;
	/* the login component (conf->login.enabled) */
	int login_on;
	struct login login;
	struct ibclog_tracker ibc;
	struct login_input lin;
	struct linefollow *lf;
	struct event *login_tick;
	/* stack-init's restart of the gateway (conf->restart_file) */
	struct initrestart restart;	/* the file's last reading */
	int quiet;			/* gateway and bot alerts held */
	char restart_err[GW_ERR_MAX];	/* the file's last error said */
};

static json_t *time_or_null(int64_t ms);
static void restart_view(struct monitor *m);

static void
save_state(struct monitor *m)
{
	struct hs_component all[HMCONF_MAX_CHECKS];
	struct gw_err e;
	size_t i;

	for (i = 0; i < m->n; i++)
		all[i] = m->slots[i].st;
	if (hs_save(m->conf->state_path, all, m->n, &e) < 0)
		gw_log_event(m->log, GW_WARNING, COMPONENT, "health.state_error",
		    json_pack("{s:s}", "error", e.msg),
		    "cannot save the state file: %s", e.msg);
}

/* ---------- stack-init's restart of the gateway ---------- */

/* The restart as people read it: "gateway restarting (stack-init:
 * schedule, IBC RESTART)". */
static void
restart_words(const struct monitor *m, char *buf, size_t sz)
{
	const struct initrestart *r = &m->restart;
	const char *how = strcmp(r->method, "ibc") == 0 ? "IBC RESTART" :
	    r->method[0] != '\0' ? r->method : "restart";

	if (r->state == IR_IN_PROGRESS)
		snprintf(buf, sz, "%s restarting (stack-init: %s, %s)",
		    r->service, r->trigger[0] ? r->trigger : "?", how);
	else
		snprintf(buf, sz, "%s restarted (stack-init: %s, %s): %s",
		    r->service, r->trigger[0] ? r->trigger : "?", how,
		    initrestart_state_name(r->state));
}

/* Quiet components: the gateway, the bot whose gate the gateway's restart
 * closes, and stack-init, whose followers are paused or held meanwhile
 * (held, not dropped: still bad when the hold ends, it is announced). */
static int
quiet_kind(const struct slot *s)
{
	enum check_kind k = check_config_of(s->check)->kind;

	return k == CHECK_GATEWAY || k == CHECK_BOT || k == CHECK_INIT;
}

/*
 * Read the restart file (each check result of a quiet kind, each tick)
 * and set the quiet flag of the gateway and the bot: quiet while the
 * restart is in progress or completed less than restart_grace ago.
 * failed, not_ready, none, or a bad or stale file: not quiet (alerts as
 * without the file; hstate announces a status held while quiet at once).
 */
static void
restart_refresh(struct monitor *m)
{
	struct initrestart old = m->restart;
	int64_t now = clock_wall_ms(), grace;
	struct gw_err e;
	char words[160];
	size_t i;

	if (m->conf->restart_file[0] == '\0')
		return;
	grace = (int64_t)(m->conf->restart_grace_s * 1000.0);
	if (initrestart_read(m->conf->restart_file, now, &m->restart, &e) < 0) {
		m->restart.state = IR_UNKNOWN;
		if (strcmp(e.msg, m->restart_err) != 0) {	/* once each */
			snprintf(m->restart_err, sizeof(m->restart_err), "%s",
			    e.msg);
			gw_log_event(m->log, GW_WARNING, COMPONENT,
			    "health.restart_file", json_pack("{s:s, s:s}", "path",
			    m->conf->restart_file, "error", e.msg), "stack-init's "
			    "restart file is not usable, alerting as if no restart "
			    "were known: %s", e.msg);
		}
	} else {
		m->restart_err[0] = '\0';
	}
	/* an "ended" in the future (a clock step) is not taken at its word */
	m->quiet = m->restart.state == IR_IN_PROGRESS ||
	    (m->restart.state == IR_COMPLETED && now - m->restart.ended_ms <
	    grace && m->restart.ended_ms - now < grace);
	for (i = 0; i < m->n; i++)
		if (quiet_kind(&m->slots[i])) {
			m->slots[i].st.quiet = m->quiet;
			m->view_comps[i].quiet = m->quiet;
		}
	if (m->restart.state != old.state || m->restart.began_ms !=
	    old.began_ms) {
		if (m->restart.state != IR_UNKNOWN &&
		    m->restart.state != IR_NONE) {
			restart_words(m, words, sizeof(words));
			gw_log_event(m->log, GW_INFO, COMPONENT, "health.restart",
			    json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b}",
			    "service", m->restart.service, "state",
			    initrestart_state_name(m->restart.state), "trigger",
			    m->restart.trigger, "method", m->restart.method,
			    "began", time_or_null(m->restart.began_ms), "ended",
			    time_or_null(m->restart.ended_ms), "quiet", m->quiet),
			    "%s%s", words, m->quiet ? ": gateway, bot and init alerts "
			    "held" : "");
		}
	}
	restart_view(m);
}

/* The login explains the gateway's outage (a restart, a 2FA wait, an
 * upstream loss, ...): its own alerts say it better, so the gateway
 * component's are logged at info (not sent) with superseded_by. */
static int
login_explains(const struct monitor *m)
{
	return m->login_on && m->login.state != LOGIN_UNKNOWN &&
	    m->login.state != LOGIN_READY && m->login.state != LOGIN_WEEKLY_DUE;
}

/* An alert for a component: its level and words. */
static void
alert(struct monitor *m, struct slot *s, enum hs_alert a, int64_t down_ms)
{
	const char *name = s->st.name;
	int gateway = check_config_of(s->check)->kind == CHECK_GATEWAY;
	enum gw_level crit = gateway ? GW_CRITICAL : GW_ERROR;
	char words[160];

	/* A restart stack-init sent (hstate held the alert: quiet): said at
	 * info, not sent. The recovery of an outage announced before the
	 * restart is not held: people were told it was down. */
	if (s->st.quiet && (a == HS_ALERT_DEGRADED || a == HS_ALERT_UNHEALTHY)) {
		restart_words(m, words, sizeof(words));
		gw_log_event(m->log, GW_INFO, name, a == HS_ALERT_DEGRADED ?
		    "health.degraded" : "health.unhealthy", json_pack("{s:s, s:s, "
		    "s:s, s:s, s:s, s:s}", "component", name, "reason",
		    s->st.reason, "superseded_by", "restart", "restart",
		    initrestart_state_name(m->restart.state), "trigger",
		    m->restart.trigger, "method", m->restart.method),
		    "%s %s: %s (%s)", name, hs_status_name(s->st.status),
		    s->st.reason, words);
		save_state(m);
		return;
	}
	if (gateway && login_explains(m) && a != HS_ALERT_NONE) {
		gw_log_event(m->log, GW_INFO, name, a == HS_ALERT_RECOVERED ?
		    "health.recovered" : a == HS_ALERT_REMINDER ?
		    "health.still_unhealthy" : a == HS_ALERT_DEGRADED ?
		    "health.degraded" : "health.unhealthy", json_pack("{s:s, s:s, "
		    "s:s, s:s}", "component", name, "reason", s->st.reason,
		    "superseded_by", "login", "login_state",
		    login_state_name(m->login.state)), "%s %s: %s (the login "
		    "says why: %s)", name, a == HS_ALERT_RECOVERED ? "recovered" :
		    hs_status_name(s->st.status), s->st.reason,
		    login_state_name(m->login.state));
		save_state(m);
		return;
	}

	switch (a) {
	case HS_ALERT_DEGRADED:
		gw_log_event(m->log, GW_WARNING, name, "health.degraded",
		    json_pack("{s:s, s:s}", "component", name, "reason",
		    s->st.reason), "%s degraded: %s", name, s->st.reason);
		break;
	case HS_ALERT_UNHEALTHY:
		gw_log_event(m->log, crit, name, "health.unhealthy", json_pack("{s:s, s:s}", "component", name,
		    "reason", s->st.reason), "%s unhealthy: %s", name,
		    s->st.reason);
		break;
	case HS_ALERT_RECOVERED:
		gw_log_event(m->log, GW_INFO, name, "health.recovered",
		    json_pack("{s:s, s:f}", "component", name, "downtime_s",
		    (double)down_ms / 1000.0), "%s recovered after %.0f s", name,
		    (double)down_ms / 1000.0);
		break;
	case HS_ALERT_REMINDER:
		gw_log_event(m->log, crit, name, "health.still_unhealthy", json_pack("{s:s, s:s, s:f}",
		    "component", name, "reason", s->st.reason, "down_s",
		    (double)(clock_wall_ms() - s->st.down_since_ms) / 1000.0),
		    "%s still unhealthy: %s", name, s->st.reason);
		break;
	case HS_ALERT_NONE:
		return;
	}
	m->view_comps[s - m->slots].alerts_total++;
	save_state(m);
}

/* ---------- the restart action ---------- */

static void
on_action_done(void *arg, enum dclient_verdict v,
    const struct dclient_reply *rep, const char *msg, const struct gw_err *err)
{
	struct monitor *m = arg;

	(void)rep;
	if (v == DCLIENT_DONE)
		gw_log_event(m->log, GW_WARNING, COMPONENT, "health.action",
		    json_pack("{s:s, s:s}", "action", "restart", "service",
		    m->conf->action.service), "asked stack-init to restart %s",
		    m->conf->action.service);
	else
		gw_log_event(m->log, GW_ERROR, COMPONENT, "health.action_failed",
		    json_pack("{s:s, s:s}", "service", m->conf->action.service,
		    "error", v == DCLIENT_NO_ANSWER ? err->msg : msg ? msg :
		    "refused"), "restarting %s through stack-init failed: %s",
		    m->conf->action.service, v == DCLIENT_NO_ANSWER ? err->msg :
		    msg ? msg : "refused");
	dclient_async_free(m->action);	/* ours; safe from its callback */
	m->action = NULL;
}

/* After the gateway's result: restart it through stack-init when the
 * policy says so. */
static void
maybe_act(struct monitor *m, enum hs_status observed)
{
	const struct hmconf_action *a = &m->conf->action;
	int64_t now = clock_wall_ms();
	size_t i, recent = 0;
	struct gw_err e;
	struct tm ny;
	char req[160];

	/* Not unhealthy, or stack-init is restarting it already: the run
	 * of unhealthy results starts over (a restart that then fails is
	 * counted from there, not from inside the restart). */
	if (observed != HS_UNHEALTHY || m->quiet) {
		m->gw_unhealthy_run = 0;
		return;
	}
	if (!a->enabled || ++m->gw_unhealthy_run < a->after || m->action != NULL)
		return;
	for (i = 0; i < m->n_actions; i++)
		recent += now - m->action_times[i] < 3600 * 1000;
	if ((int)recent >= a->max_per_hour) {
		if (m->gw_unhealthy_run == a->after)	/* said once per outage */
			gw_log_event(m->log, GW_WARNING, COMPONENT,
			    "health.action_skipped", json_pack("{s:s}", "why",
			    "rate limit"), "not restarting %s: %d restarts in the "
			    "last hour already", a->service, a->max_per_hour);
		return;
	}
	if (sched_local("America/New_York", time(NULL), &ny, &e) == 0 &&
	    sched_in_window(a->window_start_min, a->window_end_min, &ny)) {
		if (m->gw_unhealthy_run == a->after)
			gw_log_event(m->log, GW_INFO, COMPONENT,
			    "health.action_skipped", json_pack("{s:s}", "why",
			    "restart window"), "not restarting %s: inside the daily "
			    "restart window", a->service);
		return;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"restart\",\"service\":\"%s\"}",
	    a->service);
	if ((m->action = dclient_async_new(m->base, a->init_socket, req,
	    ACTION_TIMEOUT_MS, ACTION_REPLY_MAX, on_action_done, m, &e)) == NULL) {
		gw_log_event(m->log, GW_ERROR, COMPONENT, "health.action_failed",
		    json_pack("{s:s, s:s}", "service", a->service, "error", e.msg),
		    "restarting %s through stack-init failed: %s", a->service,
		    e.msg);
		return;
	}
	if (m->n_actions == sizeof(m->action_times) / sizeof(m->action_times[0]))
		memmove(m->action_times, m->action_times + 1,
		    sizeof(m->action_times) - sizeof(m->action_times[0]));
	else
		m->n_actions++;
	m->action_times[m->n_actions - 1] = now;
	m->gw_unhealthy_run = 0;
}

/* ---------- the login ---------- */

static json_t *
time_or_null(int64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static void
login_view(struct monitor *m)
{
	struct httpd_login *v = &m->view.login;
	const struct login *l = &m->login;

	v->on = 1;
	v->state = (int)l->state;
	v->since_ms = l->since_ms;
	v->attempt = l->attempt;
	v->max_attempts = m->conf->login.cfg.max_attempts;
	v->deadline_ms = l->deadline_ms;
	v->until_ms = l->until_ms;
	v->next_weekly_ms = l->next_weekly_ms;
	v->planned = l->planned;
	v->in_reset_window = l->in_reset_window;
	snprintf(v->reason, sizeof(v->reason), "%s", l->reason);
}

static void
restart_view(struct monitor *m)
{
	struct httpd_restart *v = &m->view.restart;

	v->on = 1;
	v->state = (int)m->restart.state;
	v->quiet = m->quiet;
	v->began_ms = m->restart.began_ms;
	v->ended_ms = m->restart.ended_ms;
	snprintf(v->service, sizeof(v->service), "%s", m->restart.service);
	snprintf(v->trigger, sizeof(v->trigger), "%s", m->restart.trigger);
	snprintf(v->method, sizeof(v->method), "%s", m->restart.method);
}

/* One step of the login machine; its records go out as events (the
 * alerts at warning and above reach discord-notify through the sink). */
static void
login_run(struct monitor *m)
{
	struct login_emit out[LOGIN_EMITS];
	const struct login *l = &m->login;
	size_t i, n;

	if (!m->login_on)
		return;
	n = login_step(&m->login, &m->conf->login.cfg, &m->lin, clock_wall_ms(),
	    out, LOGIN_EMITS);
	for (i = 0; i < n; i++) {
		json_t *f = json_pack("{s:s, s:s, s:i, s:i, s:o, s:b, s:s, s:o, "
		    "s:o, s:b, s:o}", "state", login_state_name(l->state), "prev",
		    login_state_name(l->prev), "attempt", l->attempt,
		    "max_attempts", m->conf->login.cfg.max_attempts, "deadline",
		    time_or_null(l->deadline_ms), "planned", l->planned, "alert",
		    out[i].alert, "until", time_or_null(l->until_ms), "episode",
		    time_or_null(l->episode_ms), "in_reset_window",
		    l->in_reset_window, "next_weekly",
		    time_or_null(l->next_weekly_ms));

		gw_log_event(m->log, out[i].level, "login", out[i].event, f, "%s",
		    out[i].msg);
		if (out[i].level >= GW_WARNING)
			m->view.login.alerts_total++;
	}
	login_view(m);
}

static void
on_login_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	login_run(arg);
}

static void
on_ibc_line(void *arg, const char *line, size_t len)
{
	struct monitor *m = arg;
	struct ibclog_line d;

	if (ibclog_decode(line, len, &d) == IBCLOG_NONE)
		return;
	gw_log_event(m->log, GW_DEBUG, "login", "health.ibc_line",
	    json_pack("{s:s}", "kind", ibclog_kind_name(d.kind)),
	    "IBC: %s", ibclog_kind_name(d.kind));
	if (ibclog_tracker_feed(&m->ibc, &d, clock_wall_ms()))
		login_run(m);
}

static void
on_ibc_eof(void *arg)
{
	struct monitor *m = arg;

	gw_log_event(m->log, GW_WARNING, "login", "health.ibc_log",
	    json_pack("{s:s}", "note", "ended"), "IBC's log on stdin ended: "
	    "the login is judged from the API alone from now on");
}

static void
on_ibc_note(void *arg, const char *msg)
{
	struct monitor *m = arg;

	gw_log_event(m->log, GW_WARNING, "login", "health.ibc_log",
	    json_pack("{s:s}", "note", msg), "IBC's log: %s", msg);
}

/* The gateway check's verdict, as the login reads it. */
static void
login_api(struct monitor *m, const struct check_result *r)
{
	const char *v = json_string_value(json_object_get(r->fields,
	    "verdict"));
	json_int_t conn = json_integer_value(json_object_get(r->fields,
	    "connectivity"));

	if (v == NULL)		/* no answer within the deadline */
		m->lin.api = LOGIN_API_DOWN;
	else if (strcmp(v, "upstream-down") == 0 ||
	    (strcmp(v, "ready") == 0 && conn == 2110))
		m->lin.api = LOGIN_API_UPSTREAM;
	else if (strcmp(v, "ready") == 0)
		m->lin.api = LOGIN_API_READY;
	else
		m->lin.api = LOGIN_API_DOWN;
	m->lin.api_at_ms = clock_wall_ms();
}

/* stack-init's word on the gateway service: a restart is under way while
 * it is stopping, waiting, starting (a soft restart's readiness wait) or
 * in backoff; "restarting" (state or a true field) is taken too. */
static void
login_init_status(struct monitor *m, const struct check_result *r)
{
	const json_t *svcs = json_object_get(r->fields, "services"), *s;
	size_t i;

	m->lin.restarting = 0;
	json_array_foreach(svcs, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *st = json_string_value(json_object_get(s, "state"));

		if (name == NULL || st == NULL ||
		    strcmp(name, m->conf->login.cfg.service) != 0)
			continue;
		m->lin.restarting = strcmp(st, "starting") == 0 ||
		    strcmp(st, "stopping") == 0 || strcmp(st, "waiting") == 0 ||
		    strcmp(st, "backoff") == 0 || strcmp(st, "restarting") == 0 ||
		    json_is_true(json_object_get(s, "restarting"));
	}
}

/* ---------- results ---------- */

static void
print_line(struct monitor *m, json_t *fields)
{
	char *s = json_dumps(fields, JSON_COMPACT | JSON_REAL_PRECISION(6));

	if (s != NULL) {
		fprintf(m->out, "%s\n", s);
		fflush(m->out);
	}
	free(s);
}

/* A stage's ms from the probe's timings_ms (NaN when absent or null). */
static double
stage_ms(const json_t *fields, const char *stage)
{
	const json_t *v = json_object_get(json_object_get(fields, "timings_ms"),
	    stage);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The HTTP view of one result (and of a transition). */
static void
view_result(struct monitor *m, struct slot *s, const struct check_result *r,
    enum hs_status before)
{
	struct httpd_comp *v = &m->view_comps[s - m->slots];
	int64_t now = clock_wall_ms();
	const char *verdict;

	v->status = s->st.status;
	snprintf(v->reason, sizeof(v->reason), "%s",
	    s->st.status == HS_HEALTHY ? "" : s->st.reason);
	v->since_ms = s->st.since_ms;
	v->last_check_ms = now;
	v->last_duration_ms = r->duration_ms;
	v->checks_total++;
	v->failures_total += r->status != HS_HEALTHY;
	v->alerts_suppressed = s->st.suppressed;
	httpd_comp_sample(v, now, r->duration_ms, r->status);
	if ((verdict = json_string_value(json_object_get(r->fields,
	    "verdict"))) != NULL) {
		v->has_probe = 1;
		snprintf(v->verdict, sizeof(v->verdict), "%s", verdict);
		v->connect_ms = stage_ms(r->fields, "connect");
		v->hello_ms = stage_ms(r->fields, "server_version");
		v->ready_ms = stage_ms(r->fields, "ready");
	}
	if (check_config_of(s->check)->kind == CHECK_NOTIFIER)
		m->view.notifier_down = r->status == HS_UNHEALTHY;
	if (s->st.status != before)
		httpd_view_transition(&m->view, now, s->st.name, before,
		    s->st.status, s->st.reason);
}

static void
on_result(struct check *c, const struct check_result *r, void *arg)
{
	struct slot *s = arg;
	struct monitor *m = s->m;
	enum hs_status before;
	enum hs_alert a;
	int64_t down = 0;

	(void)c;
	if (!m->once && quiet_kind(s)) {
		restart_refresh(m);
		if (s->st.quiet && r->fields != NULL && r->status != HS_HEALTHY)
			json_object_set_new(r->fields, "restart", json_string(
			    initrestart_state_name(m->restart.state)));
	}
	if (r->fields != NULL)
		print_line(m, r->fields);
	if (m->once) {
		if (!s->answered) {
			s->answered = 1;
			s->healthy = r->status == HS_HEALTHY;
		}
		for (size_t i = 0; i < m->n; i++)
			if (!m->slots[i].answered)
				return;
		if (m->once_done != NULL) {
			int all = 1;

			for (size_t i = 0; i < m->n; i++)
				all &= m->slots[i].healthy;
			m->once_done(m->once_arg, all);
			m->once_done = NULL;
		}
		return;
	}
	/* the login first: it may explain the gateway's outage */
	if (m->login_on && check_config_of(s->check)->kind == CHECK_GATEWAY) {
		login_api(m, r);
		login_run(m);
	} else if (m->login_on && check_config_of(s->check)->kind ==
	    CHECK_INIT) {
		login_init_status(m, r);
		login_run(m);
	}
	before = s->st.status;
	a = hs_observe(&s->st, &m->conf->thresholds, r->status, r->reason,
	    clock_wall_ms(), &down);
	view_result(m, s, r, before);
	alert(m, s, a, down);
	/* a transition without an alert (a quiet restart's recovery, one the
	 * cooldown held): the file follows, or a restart of health-mon would
	 * announce an outage long over */
	if (s->st.status != before && a == HS_ALERT_NONE)
		save_state(m);
	/* an announcement the cooldown held back, due now */
	alert(m, s, hs_tick(&s->st, &m->conf->thresholds, clock_wall_ms()), 0);
	if (check_config_of(s->check)->kind == CHECK_GATEWAY)
		maybe_act(m, r->status);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	size_t i;

	(void)fd;
	(void)what;
	restart_refresh(m);
	for (i = 0; i < m->n; i++)
		alert(m, &m->slots[i], hs_tick(&m->slots[i].st,
		    &m->conf->thresholds, clock_wall_ms()), 0);
}

/* ---------- life cycle ---------- */

struct monitor *
monitor_new(struct event_base *base, struct evdns_base *dns,
    const struct hmconf *conf, struct gw_log *log, FILE *out,
    struct gw_err *err)
{
	struct monitor *m = calloc(1, sizeof(*m));
	size_t i;

	if (m == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	m->base = base;
	m->dns = dns;
	m->conf = conf;
	m->log = log;
	m->out = out;
	for (i = 0; i < conf->n_checks; i++) {
		struct slot *s = &m->slots[i];

		s->m = m;
		hs_init(&s->st, conf->checks[i].name, clock_wall_ms());
		snprintf(m->view_comps[i].name, sizeof(m->view_comps[i].name), "%s",
		    conf->checks[i].name);
		snprintf(m->view_comps[i].kind, sizeof(m->view_comps[i].kind), "%s",
		    check_kind_name(conf->checks[i].kind));
		m->view_comps[i].since_ms = clock_wall_ms();
		if ((s->check = check_new(base, dns, &conf->checks[i], on_result, s,
		    err)) == NULL)
			goto fail;
		m->n++;
	}
	m->view.comps = m->view_comps;
	m->view.n = m->n;
	m->view.started_ms = clock_wall_ms();
	if ((m->tick = event_new(base, -1, EV_PERSIST, on_tick, m)) == NULL) {
		gw_err_set(err, "out of memory");
		goto fail;
	}
	if (conf->login.enabled) {
		m->login_on = 1;
		login_init(&m->login, clock_wall_ms());
		ibclog_tracker_init(&m->ibc, conf->login.cfg.twofa_window_s);
		m->lin.ibc = conf->login.ibc_log[0] != '\0' ? &m->ibc : NULL;
		login_view(m);
		if ((m->login_tick = event_new(base, -1, EV_PERSIST,
		    on_login_tick, m)) == NULL) {
			gw_err_set(err, "out of memory");
			goto fail;
		}
	}
	return m;
fail:
	monitor_free(m);
	return NULL;
}

/* Follow IBC's log (a file from its end, or stdin) and step the login
 * every second. */
static int
login_start(struct monitor *m, struct gw_err *err)
{
	struct timeval tv = clock_tv_ms(LOGIN_TICK_MS);
	struct linefollow_config lc;

	if (evtimer_add(m->login_tick, &tv) < 0)
		return gw_err_set(err, "cannot arm the login timer");
	if (m->conf->login.ibc_log[0] != '\0') {
		memset(&lc, 0, sizeof(lc));
		lc.path = m->conf->login.ibc_log;
		lc.fd = 0;
		lc.poll_ms = 250;
		lc.max_line = 4096;
		lc.on_line = on_ibc_line;
		lc.on_eof = on_ibc_eof;
		lc.on_note = on_ibc_note;
		lc.arg = m;
		if ((m->lf = linefollow_new(m->base, &lc, err)) == NULL)
			return -1;
		gw_log_event(m->log, GW_INFO, "login", "health.ibc_log",
		    json_pack("{s:s, s:s}", "note", "following", "path",
		    lc.path), "following IBC's log: %s", strcmp(lc.path, "-") == 0 ?
		    "stdin" : lc.path);
	}
	login_run(m);
	return 0;
}

int
monitor_start(struct monitor *m, struct gw_err *err)
{
	struct hs_component all[HMCONF_MAX_CHECKS];
	struct timeval tv = clock_tv_ms(TICK_S * 1000.0);
	struct gw_err e;
	size_t i;

	for (i = 0; i < m->n; i++)
		all[i] = m->slots[i].st;
	if (hs_load(m->conf->state_path, all, m->n, &e) < 0)
		gw_log_event(m->log, GW_WARNING, COMPONENT, "health.state_error",
		    json_pack("{s:s}", "error", e.msg),
		    "the state file is not usable, starting fresh: %s", e.msg);
	else
		for (i = 0; i < m->n; i++) {
			m->slots[i].st = all[i];
			m->view_comps[i].status = all[i].status;
			m->view_comps[i].since_ms = all[i].since_ms;
		}
	/* before any alert: a status loaded unannounced stays quiet while a
	 * restart is under way */
	restart_refresh(m);
	gw_log_event(m->log, GW_INFO, COMPONENT, "health.started",
	    json_pack("{s:i}", "checks", (int)m->n), "watching %zu component%s",
	    m->n, m->n == 1 ? "" : "s");
	if (evtimer_add(m->tick, &tv) < 0)
		return gw_err_set(err, "cannot arm the reminder timer");
	if (m->login_on && login_start(m, err) < 0)
		return -1;
	for (i = 0; i < m->n; i++)
		if (check_start(m->slots[i].check, err) < 0)
			return -1;
	return 0;
}

int
monitor_once(struct monitor *m, void (*done)(void *arg, int healthy),
    void *arg, struct gw_err *err)
{
	size_t i;

	m->once = 1;
	m->once_done = done;
	m->once_arg = arg;
	if (m->n == 0) {
		done(arg, 1);
		return 0;
	}
	for (i = 0; i < m->n; i++)
		if (check_run_once(m->slots[i].check, err) < 0)
			return -1;
	return 0;
}

const struct hs_component *
monitor_components(const struct monitor *m, size_t *n)
{
	struct monitor *mm = (struct monitor *)m;
	size_t i;

	for (i = 0; i < m->n; i++)
		mm->comps[i] = m->slots[i].st;
	*n = m->n;
	return mm->comps;
}

const struct httpd_view *
monitor_view(const struct monitor *m)
{
	return &m->view;
}

void
monitor_free(struct monitor *m)
{
	size_t i;

	if (m == NULL)
		return;
	if (m->action != NULL)
		dclient_async_free(m->action);
	if (m->tick != NULL)
		event_free(m->tick);
	linefollow_free(m->lf);
	if (m->login_tick != NULL)
		event_free(m->login_tick);
	for (i = 0; i < m->n; i++)
		check_free(m->slots[i].check);
	free(m);
}
