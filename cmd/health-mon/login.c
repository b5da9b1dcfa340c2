/*
 * login: the gateway's login state machine (see login.h). Pure: inputs and
 * the time in, the state and the records to emit out. Its inputs are
 * health-mon's own judgements (the probe's verdict, the init check's
 * reading of stack-init, lib/ibclog's tracker over IBC's untrusted log);
 * no text from outside reaches a message here.
 *
 * What IBC does and logs is from IbcAlpha/IBC 3.24.1: LoginManager.java
 * (the 2FA timeout, "Re-login after second factor authentication timeout
 * not required": IBC then waits at the login dialog until someone acts),
 * TooManyFailedLoginAttemptsDialogHandler.java (the lock-out's wait),
 * ExistingSessionDetectedDialogHandler.java (a competing session). The
 * reset windows are IBKR's System Status page's (approximate: two copies
 * of it disagree), so they are configurable.
 */
#include "login.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WEEK_MIN (7 * 1440)
#define PLANNED_LEAD_S 300	/* a login this early before the slot is the
				 * planned one too */

static const char *const state_names[LOGIN_STATE_COUNT] = {
	[LOGIN_UNKNOWN] = "unknown",
	[LOGIN_READY] = "ready",
	[LOGIN_RESTARTING] = "restarting",
	[LOGIN_WEEKLY_DUE] = "weekly_due",
	[LOGIN_AWAITING_2FA] = "awaiting_2fa",
	[LOGIN_2FA_RETRYING] = "2fa_retrying",
	[LOGIN_STUCK] = "stuck_login",
	[LOGIN_UNEXPECTED] = "unexpected_login",
	[LOGIN_LOCKED_OUT] = "locked_out",
	[LOGIN_UPSTREAM_DOWN] = "upstream_down",
	[LOGIN_COMPETING] = "competing",
};

const char *
login_state_name(enum login_state s)
{
	if ((unsigned)s < LOGIN_STATE_COUNT)
		return state_names[s];
	return "unknown";
}

void
login_fmt_et(char *buf, size_t sz, int64_t t_ms, int seconds)
{
	struct gw_err e;
	struct tm tm;

	if (sched_local(LOGIN_ET, (time_t)(t_ms / 1000), &tm, &e) < 0) {
		snprintf(buf, sz, "?");
		return;
	}
	if (seconds)
		snprintf(buf, sz, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	else
		snprintf(buf, sz, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

int
login_window_parse(struct login_window *w, const char *days,
    const char *from, const char *to, const char *tz, struct gw_err *err)
{
	struct sched_spec a, b;

	memset(w, 0, sizeof(*w));
	if (sched_parse(from, tz, days, &a, err) < 0 ||
	    sched_parse(to, tz, "daily", &b, err) < 0)
		return -1;
	if (strlen(tz) >= sizeof(w->tz))
		return gw_err_set(err, "time zone name longer than %zu bytes",
		    sizeof(w->tz) - 1);
	w->days = a.days;
	w->from_min = a.hour * 60 + a.minute;
	w->dur_min = (b.hour * 60 + b.minute - w->from_min + 1440) % 1440;
	if (w->dur_min == 0)
		return gw_err_set(err, "from and to are the same time");
	snprintf(w->tz, sizeof(w->tz), "%s", tz);
	return 0;
}

int
login_in_window(const struct login_window *w, int64_t t)
{
	struct gw_err e;
	struct tm tm;
	int m, d;

	if (sched_local(w->tz, (time_t)t, &tm, &e) < 0)
		return -1;
	m = tm.tm_wday * 1440 + tm.tm_hour * 60 + tm.tm_min;
	for (d = 0; d < 7; d++)
		if ((w->days & (1u << d)) &&
		    (m - (d * 1440 + w->from_min) + WEEK_MIN) % WEEK_MIN <
		    w->dur_min)
			return 1;
	return 0;
}

void
login_config_init(struct login_config *cfg)
{
	struct gw_err e;

	memset(cfg, 0, sizeof(*cfg));
	cfg->weekly_window_s = 1800;
	cfg->warn_before_s[0] = 3600;
	cfg->warn_before_s[1] = 300;
	cfg->n_warn = 2;
	cfg->twofa_window_s = 180;
	cfg->max_attempts = 3;
	cfg->restart_budget_s = 300;
	cfg->upstream_warn_s = 300;
	cfg->upstream_crit_s = 900;
	snprintf(cfg->service, sizeof(cfg->service), "gateway");
	/* IBKR System Status (approximate): the nightly North America reset
	 * and the weekend one, Friday night into Saturday. */
	if (login_window_parse(&cfg->reset[cfg->n_reset], "daily", "23:45",
	    "00:45", LOGIN_ET, &e) == 0)
		cfg->n_reset++;
	if (login_window_parse(&cfg->reset[cfg->n_reset], "fri", "23:00",
	    "03:00", LOGIN_ET, &e) == 0)
		cfg->n_reset++;
}

void
login_init(struct login *l, int64_t now_ms)
{
	memset(l, 0, sizeof(*l));
	l->state = l->prev = LOGIN_UNKNOWN;
	l->since_ms = now_ms;
	snprintf(l->reason, sizeof(l->reason), "no gateway verdict yet");
}

/* ---------- the weekly slot ---------- */

/* The next slot strictly after t (unix s), in ms; 0 when none. */
static int64_t
slot_after(const struct login_config *cfg, int64_t t)
{
	struct gw_err e;
	time_t next;

	if (!cfg->has_weekly || sched_next(&cfg->weekly, (time_t)t, &next,
	    &e) < 0)
		return 0;
	return (int64_t)next * 1000;
}

/* now lies in [slot - PLANNED_LEAD_S, slot + weekly_window_s]. */
static int
in_slot(const struct login_config *cfg, int64_t now_ms)
{
	int64_t s = slot_after(cfg, now_ms / 1000 -
	    (int64_t)cfg->weekly_window_s - 1);

	return s != 0 && now_ms >= s - PLANNED_LEAD_S * 1000LL;
}

static double
max_warn(const struct login_config *cfg)
{
	double m = 0;
	size_t i;

	for (i = 0; i < cfg->n_warn; i++)
		if (cfg->warn_before_s[i] > m)
			m = cfg->warn_before_s[i];
	return m;
}

/* "3 minutes", "90 s" */
static void
fmt_span(char *buf, size_t sz, double s)
{
	long v = (long)(s + 0.5);

	if (v >= 60 && v % 60 == 0)
		snprintf(buf, sz, "%ld minute%s", v / 60, v == 60 ? "" : "s");
	else
		snprintf(buf, sz, "%ld s", v);
}

/* ---------- the step ---------- */

struct cand {
	enum gw_level level;
	const char *alert;
	char msg[LOGIN_MSG_MAX];
};

struct step {
	struct cand c[6];
	size_t n;
};

static void add(struct step *st, enum gw_level level, const char *alert,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add(struct step *st, enum gw_level level, const char *alert,
    const char *fmt, ...)
{
	va_list ap;

	if (st->n == sizeof(st->c) / sizeof(st->c[0]))
		return;
	st->c[st->n].level = level;
	st->c[st->n].alert = alert;
	va_start(ap, fmt);
	vsnprintf(st->c[st->n].msg, sizeof(st->c[st->n].msg), fmt, ap);
	va_end(ap);
	st->n++;
}

static enum login_state
decide(const struct login_input *in, int planned, int lead)
{
	const struct ibclog_tracker *ibc = in->ibc;
	int ibc_busy = ibc != NULL && ibc->state != IBCLOG_IDLE;
	/* IBC changed after the API's last word: the API's word is old */
	int ibc_newer = ibc_busy && ibc->since_ms > in->api_at_ms;

	if (in->api == LOGIN_API_READY && !ibc_newer)
		return lead ? LOGIN_WEEKLY_DUE : LOGIN_READY;
	if (in->api == LOGIN_API_UPSTREAM && !ibc_newer)
		return LOGIN_UPSTREAM_DOWN;
	if (ibc_busy) {
		switch (ibc->state) {
		case IBCLOG_LOCKED_OUT:
			return LOGIN_LOCKED_OUT;
		case IBCLOG_COMPETING:
			return LOGIN_COMPETING;
		case IBCLOG_STUCK:
			return LOGIN_STUCK;
		case IBCLOG_AWAITING_2FA:
			if (ibc->attempts >= 2)
				return LOGIN_2FA_RETRYING;
			return planned ? LOGIN_AWAITING_2FA : LOGIN_UNEXPECTED;
		case IBCLOG_LOGGING_IN:
			return ibc->cold && !planned ? LOGIN_UNEXPECTED :
			    LOGIN_RESTARTING;
		case IBCLOG_IDLE:
			break;
		}
	}
	if (in->restarting)
		return LOGIN_RESTARTING;
	if (in->api == LOGIN_API_DOWN && planned)
		return LOGIN_RESTARTING;	/* the planned login's down time */
	return LOGIN_UNKNOWN;
}

static int
trouble(enum login_state s)
{
	return s != LOGIN_UNKNOWN && s != LOGIN_READY && s != LOGIN_WEEKLY_DUE;
}

static void
set_reason(struct login *l, const struct login_config *cfg,
    const struct login_input *in)
{
	char t[16], w[16];

	login_fmt_et(t, sizeof(t), l->deadline_ms, 1);
	switch (l->state) {
	case LOGIN_UNKNOWN:
		snprintf(l->reason, sizeof(l->reason), "%s",
		    in->api == LOGIN_API_UNKNOWN ? "no gateway verdict yet" :
		    "gateway API not ready; no login activity seen");
		break;
	case LOGIN_READY:
		snprintf(l->reason, sizeof(l->reason), "logged in, API ready");
		break;
	case LOGIN_RESTARTING:
		snprintf(l->reason, sizeof(l->reason), "%s",
		    in->ibc != NULL && in->ibc->state == IBCLOG_LOGGING_IN ?
		    "IBC is logging in" : in->restarting ?
		    "stack-init is restarting the gateway" :
		    "gateway down inside the planned login slot");
		break;
	case LOGIN_WEEKLY_DUE:
		login_fmt_et(w, sizeof(w), l->next_weekly_ms, 0);
		snprintf(l->reason, sizeof(l->reason), "weekly login at %s ET",
		    w);
		break;
	case LOGIN_AWAITING_2FA:
		snprintf(l->reason, sizeof(l->reason), "waiting for 2FA "
		    "approval by %s ET (attempt %d)", t, l->attempt);
		break;
	case LOGIN_2FA_RETRYING:
		snprintf(l->reason, sizeof(l->reason), "2FA attempt %d of %d, "
		    "approve by %s ET", l->attempt, cfg->max_attempts, t);
		break;
	case LOGIN_STUCK:
		snprintf(l->reason, sizeof(l->reason), "IBC stuck at the login "
		    "dialog after a 2FA timeout");
		break;
	case LOGIN_UNEXPECTED:
		if (l->deadline_ms > 0)
			snprintf(l->reason, sizeof(l->reason), "login outside "
			    "the planned slot; 2FA approval by %s ET", t);
		else
			snprintf(l->reason, sizeof(l->reason), "full login "
			    "outside the planned slot");
		break;
	case LOGIN_LOCKED_OUT:
		login_fmt_et(w, sizeof(w), l->until_ms, 0);
		if (l->until_ms > 0)
			snprintf(l->reason, sizeof(l->reason), "too many failed "
			    "logins; wait until %s ET", w);
		else
			snprintf(l->reason, sizeof(l->reason), "too many failed "
			    "logins");
		break;
	case LOGIN_UPSTREAM_DOWN:
		snprintf(l->reason, sizeof(l->reason), "IB servers unreachable "
		    "(1100 without 1101/1102)%s", l->in_reset_window ?
		    " inside IBKR's reset window" : "");
		break;
	case LOGIN_COMPETING:
		snprintf(l->reason, sizeof(l->reason), "existing session "
		    "detected: the gateway's user logged in elsewhere");
		break;
	case LOGIN_STATE_COUNT:
		break;
	}
}

/* The 2FA alerts: each new push once; "stop" once after max_attempts. */
static void
twofa_alerts(struct login *l, const struct login_config *cfg, int64_t now_ms,
    struct step *st)
{
	char t[16], win[48];

	if (l->said_stop)
		return;
	if (l->attempt > cfg->max_attempts || (l->attempt >= cfg->max_attempts &&
	    l->deadline_ms > 0 && now_ms >= l->deadline_ms)) {
		add(st, GW_CRITICAL, "stop", "stop: %d pushes unanswered, "
		    "automatic retries stopped; run `stack-init ctl login %s` "
		    "when ready", l->attempt, cfg->service);
		l->said_stop = 1;
		return;
	}
	/* per push, not per deadline: IBC's re-login moves the deadline
	 * before the new push sets its own (lib/ibclog.c) */
	if (l->attempt == l->said_attempt)
		return;
	l->said_attempt = l->attempt;
	login_fmt_et(t, sizeof(t), l->deadline_ms, 1);
	fmt_span(win, sizeof(win), cfg->twofa_window_s);
	if (l->state == LOGIN_2FA_RETRYING)
		add(st, GW_CRITICAL, "retry", "2FA attempt %d of %d: the last "
		    "push was not approved; approve the new IBKR push on your "
		    "phone by %s ET%s", l->attempt, cfg->max_attempts, t,
		    l->planned ? "" : " (unplanned: session lost mid-week)");
	else if (l->state == LOGIN_UNEXPECTED)
		add(st, GW_CRITICAL, "unexpected", "session lost mid-week: "
		    "unexpected login outside the planned slot; approve the IBKR "
		    "push on your phone by %s ET", t);
	else
		add(st, GW_CRITICAL, "2fa", "planned login: approve the IBKR "
		    "push on your phone by %s ET (%s to approve)", t, win);
}

static void
state_alerts(struct login *l, const struct login_config *cfg,
    const struct login_input *in, int64_t now_ms, struct step *st)
{
	double in_state_s = (double)(now_ms - l->since_ms) / 1000.0;
	char w[16], span[48];

	switch (l->state) {
	case LOGIN_AWAITING_2FA:
	case LOGIN_2FA_RETRYING:
		twofa_alerts(l, cfg, now_ms, st);
		break;
	case LOGIN_UNEXPECTED:
		if (l->deadline_ms > 0) {
			twofa_alerts(l, cfg, now_ms, st);
		} else if (!l->said_cold) {
			add(st, GW_CRITICAL, "unexpected", "session lost mid-week: "
			    "the gateway is doing a full login outside the planned "
			    "slot; a 2FA push to your phone follows");
			l->said_cold = 1;
		}
		break;
	case LOGIN_STUCK:
		if (!l->said_state)
			add(st, GW_CRITICAL, "stuck", "stuck at the login dialog: "
			    "IBC waits after a 2FA timeout and will not log in again "
			    "by itself. Fix: when you can approve within 3 minutes, "
			    "run `stack-init ctl login %s` (or restart the gateway "
			    "container) for one new push", cfg->service);
		l->said_state = 1;
		break;
	case LOGIN_LOCKED_OUT:
		login_fmt_et(w, sizeof(w), l->until_ms, 0);
		if (!l->said_state && l->until_ms > 0)
			add(st, GW_WARNING, "locked_out", "too many failed logins, "
			    "wait until %s ET; no restarts until then", w);
		else if (!l->said_state)
			add(st, GW_WARNING, "locked_out", "too many failed logins: "
			    "wait for IBC's retry; no restarts until then");
		l->said_state = 1;
		break;
	case LOGIN_COMPETING:
		if (l->said_competing < 1) {
			add(st, GW_WARNING, "competing", "someone logged in with "
			    "the gateway's user elsewhere (existing session "
			    "detected): the gateway cannot trade until that "
			    "session ends");
			l->said_competing = 1;
		} else if (l->said_competing < 2 &&
		    in_state_s >= cfg->restart_budget_s) {
			fmt_span(span, sizeof(span), in_state_s);
			add(st, GW_CRITICAL, "competing", "someone logged in with "
			    "the gateway's user elsewhere, for %s now: the gateway "
			    "cannot trade; end the other session", span);
			l->said_competing = 2;
		}
		break;
	case LOGIN_RESTARTING:
		if (!l->said_budget && in_state_s >= cfg->restart_budget_s) {
			fmt_span(span, sizeof(span), cfg->restart_budget_s);
			add(st, GW_CRITICAL, "budget", "gateway did not come back: "
			    "still restarting %s after the restart began (%s)", span,
			    l->reason);
			l->said_budget = 1;
		}
		break;
	case LOGIN_UPSTREAM_DOWN:
		if (l->in_reset_window)
			break;
		fmt_span(span, sizeof(span), in_state_s);
		if (l->said_upstream < 2 && in_state_s >= cfg->upstream_crit_s) {
			add(st, GW_CRITICAL, "upstream", "IB servers unreachable "
			    "from the gateway for %s (1100 without 1101/1102), "
			    "outside IBKR's reset windows", span);
			l->said_upstream = 2;
		} else if (l->said_upstream < 1 &&
		    in_state_s >= cfg->upstream_warn_s) {
			add(st, GW_WARNING, "upstream", "IB servers unreachable "
			    "from the gateway for %s (1100 without 1101/1102), "
			    "outside IBKR's reset windows", span);
			l->said_upstream = 1;
		}
		break;
	default:
		break;
	}
	(void)in;
}

/* The weekly slot's lead warnings, whatever the state: the closest due
 * one only (a late start does not say "in 60 minutes" too). */
static void
weekly_alerts(struct login *l, const struct login_config *cfg, int64_t now_ms,
    struct step *st)
{
	char at[16], win[48], left[48];
	unsigned due = 0;
	size_t i;

	if (l->next_weekly_ms == 0)
		return;
	if (l->warned_slot_ms != l->next_weekly_ms) {
		l->warned_slot_ms = l->next_weekly_ms;
		l->warned_mask = 0;
	}
	for (i = 0; i < cfg->n_warn; i++)
		if (!(l->warned_mask & (1u << i)) && now_ms >=
		    l->next_weekly_ms - (int64_t)(cfg->warn_before_s[i] * 1000))
			due |= 1u << i;
	if (due == 0)
		return;
	l->warned_mask |= due;
	login_fmt_et(at, sizeof(at), l->next_weekly_ms, 0);
	fmt_span(win, sizeof(win), cfg->twofa_window_s);
	fmt_span(left, sizeof(left), (double)((l->next_weekly_ms - now_ms +
	    999) / 1000));
	add(st, GW_WARNING, "weekly", "weekly login at %s ET (in %s): keep "
	    "your phone at hand, approve within %s", at, left, win);
}

size_t
login_step(struct login *l, const struct login_config *cfg,
    const struct login_input *in, int64_t now_ms, struct login_emit *out,
    size_t max)
{
	const struct ibclog_tracker *ibc = in->ibc;
	int planned, lead, changed = 0, attempt_before = l->attempt;
	enum login_state target;
	struct step st;
	size_t i, n = 0, first = 0;
	int64_t login_ms;
	char t[16];

	memset(&st, 0, sizeof(st));
	l->next_weekly_ms = slot_after(cfg, now_ms / 1000);
	lead = l->next_weekly_ms != 0 && max_warn(cfg) > 0 &&
	    now_ms >= l->next_weekly_ms - (int64_t)(max_warn(cfg) * 1000);
	planned = (l->episode_ms != 0 && l->planned) || in_slot(cfg, now_ms) ||
	    (ibc != NULL && ibc->expected);
	target = decide(in, planned, lead);

	/* the episode: from leaving ready to ready again */
	if (trouble(target) && l->episode_ms == 0) {
		l->episode_ms = now_ms;
		l->planned = planned;
		l->announced = 0;
		l->said_attempt = 0;
		l->said_stop = l->said_cold = 0;
	} else if (l->episode_ms != 0) {
		l->planned |= planned;
	}
	if (target != l->state) {
		l->prev = l->state;
		l->state = target;
		l->since_ms = now_ms;
		l->said_state = 0;
		l->said_budget = 0;
		l->said_upstream = 0;
		l->said_competing = 0;
		changed = 1;
	}
	l->attempt = ibc != NULL ? ibc->attempts : 0;
	l->deadline_ms = 0;
	l->until_ms = 0;
	if (ibc != NULL && (target == LOGIN_AWAITING_2FA ||
	    target == LOGIN_2FA_RETRYING || target == LOGIN_UNEXPECTED) &&
	    ibc->state == IBCLOG_AWAITING_2FA) {
		l->deadline_ms = ibc->deadline_ms;
		if (l->attempt < 1)
			l->attempt = 1;
	}
	if (ibc != NULL && target == LOGIN_LOCKED_OUT)
		l->until_ms = ibc->deadline_ms;
	l->in_reset_window = 0;
	for (i = 0; target == LOGIN_UPSTREAM_DOWN && i < cfg->n_reset; i++)
		if (login_in_window(&cfg->reset[i], now_ms / 1000) == 1)
			l->in_reset_window = 1;
	set_reason(l, cfg, in);
	if (l->attempt != attempt_before && l->attempt > 0)
		changed = 1;	/* a new push is news, alerted or not */

	/* ready again: resolve what was announced */
	if (!trouble(target) && target != LOGIN_UNKNOWN && l->episode_ms != 0) {
		if (l->announced && n < max) {
			login_ms = ibc != NULL && ibc->completed_ms >=
			    l->episode_ms ? ibc->completed_ms : now_ms;
			login_fmt_et(t, sizeof(t), login_ms, 0);
			out[n].event = "health.login.ready";
			out[n].level = GW_INFO;
			out[n].alert = "resolved";
			snprintf(out[n].msg, sizeof(out[n].msg), "logged in %s ET, "
			    "API ready", t);
			n++;
			changed = 0;	/* said */
		}
		l->episode_ms = 0;
		l->announced = 0;
		l->planned = 0;
	}
	if (trouble(target))
		state_alerts(l, cfg, in, now_ms, &st);
	if (st.n > 0 && l->episode_ms != 0)
		l->announced = 1;
	weekly_alerts(l, cfg, now_ms, &st);

	/* a state change carries the first alert; the others follow */
	if (changed && n < max) {
		out[n].event = "health.login";
		if (st.n > 0) {
			out[n].level = st.c[0].level;
			out[n].alert = st.c[0].alert;
			snprintf(out[n].msg, sizeof(out[n].msg), "%s", st.c[0].msg);
			first = 1;
		} else {
			out[n].level = GW_INFO;
			out[n].alert = "";
			snprintf(out[n].msg, sizeof(out[n].msg), "login %s: %s",
			    login_state_name(target), l->reason);
		}
		n++;
	}
	for (i = first; i < st.n && n < max; i++, n++) {
		out[n].event = "health.login";
		out[n].level = st.c[i].level;
		out[n].alert = st.c[i].alert;
		snprintf(out[n].msg, sizeof(out[n].msg), "%s", st.c[i].msg);
	}
	return n;
}
