/*
 * check_socket: the checks that ask a daemon over its socket
 * (docs/health-mon.md "CHECKS"): bot (bot-core's bot.sock "status"), init
 * (stack-init's init.sock "status") and notifier (discord-notify's
 * notify.sock "stats"). One dclient_async request per run, on the loop;
 * check.c's deadline cancels it. The replies are untrusted: dclient caps
 * and parses them, json_unpack_ex takes the values we judge, and text from
 * them reaches a reason only quoted and cut (gw_err_quote).
 */
#include "check_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dclient.h"

/* bot-core's status with its positions, stack-init's 64 services: far
 * below this. */
#define SOCK_REPLY_MAX (256 * 1024)
/* stack-init serves at most 64 services (svcconf) */
#define INIT_MAX_SERVICES 64
/* bot-core's loss is "near the limit" from this share of it */
#define LOSS_NEAR 0.8
/* a quoted value in a reason: short, so that several reasons fit */
#define QUOTE_MAX 64

struct prev_service {
	char name[64];
	json_int_t restarts;
};

struct sock_state {
	struct dclient_async *q;	/* the request under way, or NULL */
	/* init: each service's restarts at the last answer (a crash loop is
	 * restarts growing between two runs) */
	struct prev_service prev[INIT_MAX_SERVICES];
	size_t n_prev;
	int have_prev;
};

/* The run's verdict as it is built: the worst status wins; reasons of
 * that status are joined with "; ". */
struct verdict {
	enum hs_status status;
	char reason[HS_REASON_MAX + 1];
};

static void add(struct verdict *v, enum hs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add(struct verdict *v, enum hs_status st, const char *fmt, ...)
{
	char one[HS_REASON_MAX + 1];
	size_t n;
	va_list ap;

	if (st < v->status)
		return;
	va_start(ap, fmt);
	vsnprintf(one, sizeof(one), fmt, ap);
	va_end(ap);
	if (st > v->status) {
		v->status = st;
		v->reason[0] = '\0';
	}
	n = strlen(v->reason);
	snprintf(v->reason + n, sizeof(v->reason) - n, "%s%s", n ? "; " : "",
	    one);
}

static void
quote(char *dst, size_t dstsz, const char *s)
{
	gw_err_quote(dst, dstsz, s ? s : "", s ? strlen(s) : 0);
}

static const char *
daemon_name(enum check_kind k)
{
	switch (k) {
	case CHECK_BOT:		return "bot-core";
	case CHECK_INIT:	return "stack-init";
	case CHECK_NOTIFIER:	return "discord-notify";
	default:		return "daemon";
	}
}

static const char *
request_of(enum check_kind k)
{
	return k == CHECK_NOTIFIER ? "{\"cmd\":\"stats\"}" :
	    "{\"cmd\":\"status\"}";
}

/* Copy the keys named in keys from src into dst (those present). */
static void
copy_keys(json_t *dst, const json_t *src, const char *const *keys)
{
	for (; *keys != NULL; keys++) {
		json_t *x = json_object_get(src, *keys);

		if (x != NULL)
			json_object_set(dst, *keys, x);
	}
}

/* "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)" (RFC 3339, as bot-core
 * writes it, any offset) in ms since the epoch; -1 when it is none. Pure. */
static int
parse_ts_ms(const char *s, int64_t *ms)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	int v[6] = { 0 }, f = 0, fdig = 0, off = 0, i, k = 0;
	struct tm tm;
	time_t t;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v[k] = v[k] * 10 + (s[i] - '0');
		} else if (s[i] != pat[i] && !(pat[i] == 'T' && s[i] == 't')) {
			return -1;
		} else {
			k++;
		}
	}
	s += i;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdig++)
			if (fdig < 3)
				f = f * 10 + (*s - '0');
		if (fdig == 0)
			return -1;
		for (; fdig < 3; fdig++)
			f *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if ((*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9' &&
	    s[2] >= '0' && s[2] <= '9' && s[3] == ':' && s[4] >= '0' &&
	    s[4] <= '9' && s[5] >= '0' && s[5] <= '9') {
		off = ((s[1] - '0') * 10 + (s[2] - '0')) * 60 +
		    (s[4] - '0') * 10 + (s[5] - '0');
		if (*s == '-')
			off = -off;
		s += 6;
	} else {
		return -1;
	}
	if (*s != '\0' || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
	    v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + f;
	return 0;
}

/* ---------- bot: bot-core's status (docs/bot-core.md "CONTROL SOCKET") */

static const char *const bot_keys[] = { "gateway_connected",
	"gateway_validated", "gate_open", "gate_reason", "gate_detail",
	"last_gateway_check", "server_version", "uptime_seconds",
	"strategy_active", "strategy_reason", "dry_run", "trading_mode",
	"pnl", "starting_capital", "max_daily_loss", "intents_accepted", "intents_rejected", "last_error", "halted",
	"strategy_running", NULL };

/* Gate reasons that need a person: a live account refused for good, and
 * our client id taken by someone else. */
static int
gate_needs_person(const char *reason)
{
	return strcmp(reason, "live-account-refused") == 0 ||
	    strcmp(reason, "client-id-in-use") == 0;
}

static void
judge_bot(const struct check *c, const json_t *obj, struct verdict *v,
    json_t *fields)
{
	const char *gate_reason, *gate_detail = "", *active;
	const char *active_reason = "gameplan";
	char q1[QUOTE_MAX], q2[QUOTE_MAX];
	int gate_open, halted, validated = 0;
	double uptime = 0, pnl, loss_limit;
	json_t *last;
	json_error_t je;
	int64_t at;

	copy_keys(fields, obj, bot_keys);
	if (json_unpack_ex((json_t *)obj, &je, 0,
	    "{s:b, s:s, s:s, s:b, s:o, s?:s, s?:s, s?:b, s?:F}",
	    "gate_open", &gate_open, "gate_reason", &gate_reason,
	    "strategy_active", &active, "halted", &halted,
	    "last_gateway_check", &last, "gate_detail", &gate_detail,
	    "strategy_reason", &active_reason, "gateway_validated", &validated,
	    "uptime_seconds", &uptime) < 0) {
		quote(q1, sizeof(q1), je.text);
		add(v, HS_DEGRADED, "bot-core status not understood: %s", q1);
		return;
	}
	quote(q1, sizeof(q1), gate_reason);
	quote(q2, sizeof(q2), gate_detail);
	if (!gate_open && gate_needs_person(gate_reason))
		add(v, HS_UNHEALTHY, "gate closed: %s%s%s", q1, *q2 ? ": " : "",
		    q2);
	/* fresh: a validation or heartbeat within stale_s */
	if (json_is_string(last)) {
		if (parse_ts_ms(json_string_value(last), &at) < 0) {
			add(v, HS_DEGRADED, "bot-core status: last_gateway_check "
			    "is not an RFC 3339 time");
		} else {
			double age = (double)(clock_wall_ms() - at) / 1000;

			json_object_set_new(fields, "gateway_check_age_s",
			    json_real(age));
			if (c->cfg.stale_s > 0 && age > c->cfg.stale_s)
				add(v, HS_DEGRADED, "stale: last gateway check "
				    "%.0f s ago", age);
		}
	} else if (c->cfg.stale_s > 0 && (validated ||
	    uptime >= c->cfg.stale_s)) {
		/* never checked, though it should have by now */
		add(v, HS_DEGRADED, "stale: no gateway check in %.0f s since "
		    "bot-core started", uptime);
	}
	if (halted)
		add(v, HS_DEGRADED, "halted by the operator");
	/* "halted" is said above; "strategy-c" is judged below by why; the
	 * daily restart window is planned: closed on purpose, no alarm */
	if (!gate_open && !gate_needs_person(gate_reason) &&
	    strcmp(gate_reason, "halted") != 0 &&
	    strcmp(gate_reason, "strategy-c") != 0 &&
	    strcmp(gate_reason, "restart-window") != 0)
		add(v, HS_DEGRADED, "gate closed: %s%s%s", q1, *q2 ? ": " : "",
		    q2);
	/* Strategy C is healthy when the gameplan says C; any other cause
	 * means the gameplan's A or B is not being traded. */
	if (strcmp(active, "C") == 0 && strcmp(active_reason, "gameplan") != 0 &&
	    strcmp(active_reason, "halted") != 0) {
		quote(q1, sizeof(q1), active_reason);
		add(v, HS_DEGRADED, "Strategy C instead of the gameplan's: %s", q1);
	}
	/* Loss near the limit: 80% of the day's limit lost. At the limit
	 * bot-core switches to Strategy C ("loss-limit"), said above; no
	 * limit (null: no gameplan or no capital) is not judged here. */
	if (json_unpack((json_t *)obj, "{s:F, s:F}", "pnl", &pnl,
	    "max_daily_loss", &loss_limit) == 0 && pnl < 0 && loss_limit > 0 &&
	    -pnl >= LOSS_NEAR * loss_limit &&
	    !(strcmp(active, "C") == 0 &&
	    strcmp(active_reason, "loss-limit") == 0))
		add(v, HS_DEGRADED, "loss near the limit: P&L %.2f of -%.2f",
		    pnl, loss_limit);
}

/* ---------- init: stack-init's status (docs/stack-init.md "CONTROL") */

static json_int_t
prev_restarts(const struct sock_state *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->n_prev; i++)
		if (strcmp(st->prev[i].name, name) == 0)
			return st->prev[i].restarts;
	return -1;
}

/* " (exit code N)" or " (signal TERM)" of a last_exit object, or "". */
static void
exit_text(char *buf, size_t sz, const json_t *last_exit)
{
	const char *sig = NULL;
	json_int_t code = -1;
	char q[16];

	buf[0] = '\0';
	if (!json_is_object(last_exit) || json_unpack((json_t *)last_exit,
	    "{s?:I, s?:s}", "code", &code, "signal", &sig) < 0)
		return;
	if (sig != NULL) {
		quote(q, sizeof(q), sig);
		snprintf(buf, sz, " (signal %s)", q);
	} else if (code >= 0) {
		snprintf(buf, sz, " (exit code %lld)", (long long)code);
	}
}

static void
judge_init(struct sock_state *st, const json_t *obj, struct verdict *v,
    json_t *fields)
{
	struct prev_service now[INIT_MAX_SERVICES];
	size_t i, n_now = 0, n_ready = 0;
	json_t *services = NULL, *s;
	json_error_t je;
	char q[QUOTE_MAX];

	if (json_unpack_ex((json_t *)obj, &je, 0, "{s:o}", "services",
	    &services) < 0 || !json_is_array(services)) {
		quote(q, sizeof(q), services ? "services is not an array" :
		    je.text);
		add(v, HS_DEGRADED, "stack-init status not understood: %s", q);
		return;
	}
	json_object_set(fields, "services", services);
	json_array_foreach(services, i, s) {
		const char *name, *state;
		json_int_t restarts = 0, before;
		json_t *last_exit = NULL;
		char qn[QUOTE_MAX], qs[32], ex[48];
		int ready = 0;

		if (json_unpack_ex(s, &je, 0, "{s:s, s:s, s?:I, s?:b, s?:o}",
		    "name", &name, "state", &state, "restarts", &restarts,
		    "ready", &ready, "last_exit", &last_exit) < 0) {
			quote(q, sizeof(q), je.text);
			add(v, HS_DEGRADED, "stack-init status not understood: "
			    "service %zu: %s", i, q);
			continue;
		}
		quote(qn, sizeof(qn), name);
		quote(qs, sizeof(qs), state);
		exit_text(ex, sizeof(ex), last_exit);
		if (n_now < INIT_MAX_SERVICES) {
			snprintf(now[n_now].name, sizeof(now[n_now].name), "%s",
			    name);
			now[n_now++].restarts = restarts;
		}
		if (strcmp(state, "fatal") == 0) {
			add(v, HS_UNHEALTHY, "%s fatal%s", qn, ex);
			continue;
		}
		/* Restarted twice or more since the last run: a crash loop
		 * retrying at its backoff cap (one that gives up is fatal). A
		 * scheduled restart is at most one a day. */
		before = st->have_prev ? prev_restarts(st, name) : -1;
		if (before >= 0 && restarts - before >= 2) {
			add(v, HS_DEGRADED, "%s crash-looping: %lld restarts since "
			    "the last check%s", qn, (long long)(restarts - before),
			    ex);
			continue;
		}
		if (strcmp(state, "ready") == 0) {
			n_ready++;
			continue;
		}
		/* a one-shot service that finished its work */
		if (strcmp(state, "exited") == 0 && strcmp(ex,
		    " (exit code 0)") == 0)
			continue;
		if (strcmp(state, "backoff") == 0)
			add(v, HS_DEGRADED, "%s restarting after a failure%s, %lld "
			    "restarts", qn, ex, (long long)restarts);
		else if (strcmp(state, "exited") == 0 ||
		    strcmp(state, "down") == 0)
			add(v, HS_DEGRADED, "%s not running: %s%s", qn, qs, ex);
		else if (strcmp(state, "paused") == 0 ||
		    strcmp(state, "held") == 0)
			add(v, HS_DEGRADED, "%s %s", qn, qs);
		else if (strcmp(state, "waiting") == 0 ||
		    strcmp(state, "starting") == 0 ||
		    strcmp(state, "stopping") == 0)
			continue;	/* under way: stack-init's own start_period
					 * and stop_timeout judge them (a start
					 * that fails ends in backoff or fatal) */
		else	/* a state new to us */
			add(v, HS_DEGRADED, "%s not ready: %s", qn, qs);
	}
	json_object_set_new(fields, "services_ready", json_integer(
	    (json_int_t)n_ready));
	memcpy(st->prev, now, n_now * sizeof(now[0]));
	st->n_prev = n_now;
	st->have_prev = 1;
}

/* ---------- notifier: discord-notify's stats (docs/discord-notify.md
 * "SOCKET PROTOCOL") */

static void
judge_notifier(const struct check *c, const json_t *obj, struct verdict *v,
    json_t *fields)
{
	json_t *stats;
	json_int_t queued = 0, http_status = 0;
	const char *state = "";
	double oldest = -1;
	json_error_t je;
	char q[QUOTE_MAX];

	/* "oldest_s" (the oldest undelivered event's age, 0 when none waits)
	 * and "http_status" (the refusal that parked the webhook, only while
	 * "state" is "parked") are optional: a discord-notify older than
	 * them gives "queued" and "state" only. */
	if (json_unpack_ex((json_t *)obj, &je, 0, "{s:o}", "stats", &stats) < 0 ||
	    json_unpack_ex(stats, &je, 0, "{s:I, s:s, s?:F, s?:I}", "queued",
	    &queued, "state", &state, "oldest_s", &oldest, "http_status",
	    &http_status) < 0) {
		quote(q, sizeof(q), je.text);
		add(v, HS_DEGRADED, "discord-notify stats not understood: %s", q);
		return;
	}
	json_object_update(fields, stats);
	if (strcmp(state, "parked") == 0) {
		if (http_status > 0)
			add(v, HS_UNHEALTHY, "webhook refused: HTTP %lld",
			    (long long)http_status);
		else
			add(v, HS_UNHEALTHY, "webhook refused (parked)");
	}
	if (c->cfg.backlog_warn > 0 && (double)queued > c->cfg.backlog_warn)
		add(v, HS_DEGRADED, "backlog: %lld undelivered events",
		    (long long)queued);
	if (c->cfg.oldest_warn_s > 0 && oldest > c->cfg.oldest_warn_s)
		add(v, HS_DEGRADED, "oldest undelivered event %.0f s old",
		    oldest);
}

/* ---------- the run ---------- */

static void
on_reply(void *arg, enum dclient_verdict dv, const struct dclient_reply *rep,
    const char *msg, const struct gw_err *err)
{
	struct check *c = arg;
	struct sock_state *st = c->kind_state;
	const char *who = daemon_name(c->cfg.kind);
	struct verdict v = { HS_HEALTHY, "" };
	json_t *fields = json_object();
	char q[QUOTE_MAX * 2];

	json_object_set_new(fields, "socket", json_string(c->cfg.socket));
	json_object_set_new(fields, "reachable", json_boolean(
	    dv != DCLIENT_NO_ANSWER || rep->fail != DCLIENT_FAIL_CONNECT));
	switch (dv) {
	case DCLIENT_NO_ANSWER:
		add(&v, HS_UNHEALTHY, "%s %s: %s", who,
		    rep->fail == DCLIENT_FAIL_CONNECT ? "not reachable" :
		    "not answering", err->msg);
		break;
	case DCLIENT_BUSY:
	case DCLIENT_REFUSED:
		quote(q, sizeof(q), msg ? msg : "no reason given");
		add(&v, HS_DEGRADED, "%s %s our request: %s", who,
		    dv == DCLIENT_BUSY ? "too busy for" : "refused", q);
		break;
	case DCLIENT_DONE:
		if (c->cfg.kind == CHECK_BOT)
			judge_bot(c, rep->obj, &v, fields);
		else if (c->cfg.kind == CHECK_INIT)
			judge_init(st, rep->obj, &v, fields);
		else
			judge_notifier(c, rep->obj, &v, fields);
		break;
	}
	/* rep, msg and err die here: all taken above */
	dclient_async_free(st->q);
	st->q = NULL;
	check_done(c, v.status, v.reason, fields);
}

static int
sock_start(struct check *c, struct gw_err *err)
{
	struct sock_state *st = c->kind_state;
	long ms = (long)(c->cfg.timeout_s * 1000);

	if (st == NULL) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return gw_err_set(err, "out of memory");
		c->kind_state = st;
	}
	dclient_async_free(st->q);
	/* a little inside check.c's deadline, so that an answer that does
	 * not come is told as such, with the socket's name */
	ms -= ms / 10 < 100 ? ms / 10 : 100;
	st->q = dclient_async_new(c->base, c->cfg.socket,
	    request_of(c->cfg.kind), ms, SOCK_REPLY_MAX, on_reply, c, err);
	return st->q != NULL ? 0 : -1;
}

static void
sock_cancel(struct check *c)
{
	struct sock_state *st = c->kind_state;

	if (st != NULL) {
		dclient_async_free(st->q);
		st->q = NULL;
	}
}

static void
sock_free(struct check *c)
{
	sock_cancel(c);
	free(c->kind_state);
	c->kind_state = NULL;
}

const struct check_ops check_socket_ops = {
	.start = sock_start,
	.cancel = sock_cancel,
	.free = sock_free,
};
