/* Unit tests for health-mon's login state machine (cmd/health-mon/login.c):
 * every state and its alerts, the transitions between them, no alert while
 * restarting within the budget, the weekly reminders, the 2FA retries and
 * the "stop", the reset windows, and the resolution on ready. IBC's side
 * is a struct ibclog_tracker filled by hand (lib/ibclog.h's contract), the
 * time is passed in (ET is America/New_York from the tz database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "login.h"

#define S(x) ((int64_t)(x) * 1000)
/* Wednesday 2026-12-02 14:00:00 UTC = 09:00:00 EST */
#define WED S(1796220000)
/* Sunday 2026-12-06 22:00:00 UTC = 17:00 EST: the weekly slot below */
#define SLOT S(1796594400)
/* Thursday 2026-12-03 05:00 UTC = 00:00 EST: inside the nightly reset */
#define NIGHT S(1796274000)
/* Saturday 2026-12-05 06:30 UTC = 01:30 EST: inside the weekend reset */
#define WEEKEND S(1796452200)
/* Thursday 2026-12-03 03:00 UTC = 22:00 EST Wednesday: no reset */
#define EVENING S(1796266800)

struct fx {
	struct login l;
	struct login_config cfg;
	struct ibclog_tracker ibc;
	struct login_input in;
	struct login_emit out[8];
	size_t n;
};

static struct fx *
fx_new(int64_t t0)
{
	static struct fx f;
	struct gw_err e;

	memset(&f, 0, sizeof(f));
	login_config_init(&f.cfg);
	assert_int_equal(sched_parse("17:00", LOGIN_ET, "sun", &f.cfg.weekly,
	    &e), 0);
	f.cfg.has_weekly = 1;
	f.ibc.state = IBCLOG_IDLE;
	f.ibc.twofa_window_s = 180;
	f.in.ibc = &f.ibc;
	login_init(&f.l, t0);
	return &f;
}

static size_t
step(struct fx *f, int64_t t)
{
	memset(f->out, 0, sizeof(f->out));
	f->n = login_step(&f->l, &f->cfg, &f->in, t, f->out, 8);
	return f->n;
}

static void
api(struct fx *f, enum login_api a, int64_t t)
{
	f->in.api = a;
	f->in.api_at_ms = t;
}

static void
ibc(struct fx *f, enum ibclog_state s, int attempts, int64_t deadline,
    int64_t t)
{
	f->ibc.state = s;
	f->ibc.attempts = attempts;
	f->ibc.deadline_ms = deadline;
	f->ibc.since_ms = t;
}

/* One record: its event, level, alert and a piece of its text. */
static void
is(const struct login_emit *o, const char *event, enum gw_level level,
    const char *alert, const char *text)
{
	assert_string_equal(o->event, event);
	assert_int_equal(o->level, level);
	assert_string_equal(o->alert, alert);
	if (strstr(o->msg, text) == NULL)
		fail_msg("'%s' not in '%s'", text, o->msg);
}

static void
test_names_defaults(void **state)
{
	struct login_config cfg;

	(void)state;
	login_config_init(&cfg);
	assert_int_equal(cfg.n_warn, 2);
	assert_true(cfg.warn_before_s[0] == 3600 && cfg.warn_before_s[1] == 300);
	assert_true(cfg.twofa_window_s == 180);
	assert_int_equal(cfg.max_attempts, 3);
	assert_true(cfg.restart_budget_s == 300);
	assert_true(cfg.upstream_warn_s == 300 && cfg.upstream_crit_s == 900);
	assert_int_equal(cfg.n_reset, 2);
	assert_int_equal(cfg.has_weekly, 0);
	assert_string_equal(login_state_name(LOGIN_READY), "ready");
	assert_string_equal(login_state_name(LOGIN_RESTARTING), "restarting");
	assert_string_equal(login_state_name(LOGIN_WEEKLY_DUE), "weekly_due");
	assert_string_equal(login_state_name(LOGIN_AWAITING_2FA), "awaiting_2fa");
	assert_string_equal(login_state_name(LOGIN_2FA_RETRYING), "2fa_retrying");
	assert_string_equal(login_state_name(LOGIN_STUCK), "stuck_login");
	assert_string_equal(login_state_name(LOGIN_UNEXPECTED), "unexpected_login");
	assert_string_equal(login_state_name(LOGIN_LOCKED_OUT), "locked_out");
	assert_string_equal(login_state_name(LOGIN_UPSTREAM_DOWN), "upstream_down");
	assert_string_equal(login_state_name(LOGIN_COMPETING), "competing");
	assert_string_equal(login_state_name(LOGIN_UNKNOWN), "unknown");
	assert_string_equal(login_state_name((enum login_state)99), "unknown");
}

static void
test_windows(void **state)
{
	struct login_config cfg;
	struct login_window w;
	struct gw_err e;
	char t[16];

	(void)state;
	login_config_init(&cfg);
	/* nightly 23:45-00:45 ET: midnight inside, 22:00 and 09:00 not */
	assert_int_equal(login_in_window(&cfg.reset[0], NIGHT / 1000), 1);
	assert_int_equal(login_in_window(&cfg.reset[0], EVENING / 1000), 0);
	assert_int_equal(login_in_window(&cfg.reset[0], WED / 1000), 0);
	/* Friday 23:00 - Saturday 03:00: Saturday 01:30 inside, Thursday's
	 * midnight not */
	assert_int_equal(login_in_window(&cfg.reset[1], WEEKEND / 1000), 1);
	assert_int_equal(login_in_window(&cfg.reset[1], NIGHT / 1000), 0);
	assert_int_equal(login_in_window(&cfg.reset[0], WEEKEND / 1000), 0);
	/* the end minute is outside: 00:45 ET Thursday */
	assert_int_equal(login_in_window(&cfg.reset[0], NIGHT / 1000 + 2700), 0);
	assert_int_equal(login_in_window(&cfg.reset[0], NIGHT / 1000 + 2699), 1);
	assert_int_equal(login_window_parse(&w, "daily", "10:00", "10:00",
	    LOGIN_ET, &e), -1);
	assert_string_equal(e.msg, "from and to are the same time");
	assert_int_equal(login_window_parse(&w, "someday", "10:00", "11:00",
	    LOGIN_ET, &e), -1);
	assert_non_null(strstr(e.msg, "days 'someday'"));
	assert_int_equal(login_window_parse(&w, "daily", "25:00", "11:00",
	    LOGIN_ET, &e), -1);
	assert_non_null(strstr(e.msg, "time '25:00'"));
	assert_int_equal(login_window_parse(&w, "daily", "10:00", "11:00",
	    "Mars/Olympus", &e), -1);
	assert_non_null(strstr(e.msg, "Mars/Olympus"));
	login_fmt_et(t, sizeof(t), WED, 1);
	assert_string_equal(t, "09:00:00");
	login_fmt_et(t, sizeof(t), SLOT, 0);
	assert_string_equal(t, "17:00");
}

/* unknown -> ready: a state record, no alert; a steady state says
 * nothing. */
static void
test_ready_quiet(void **state)
{
	struct fx *f = fx_new(WED);

	(void)state;
	assert_int_equal(step(f, WED), 0);
	assert_int_equal(f->l.state, LOGIN_UNKNOWN);
	api(f, LOGIN_API_READY, WED + S(1));
	assert_int_equal(step(f, WED + S(1)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "login ready");
	assert_int_equal(f->l.prev, LOGIN_UNKNOWN);
	assert_int_equal(step(f, WED + S(60)), 0);
	/* API down with nothing to explain it: unknown, no alert (the
	 * gateway component says it) */
	api(f, LOGIN_API_DOWN, WED + S(61));
	assert_int_equal(step(f, WED + S(61)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "no login activity");
	assert_int_equal(f->l.state, LOGIN_UNKNOWN);
}

/* A soft restart: no alert within the budget, nothing to resolve. */
static void
test_restarting_within_budget(void **state)
{
	struct fx *f = fx_new(WED);

	(void)state;
	api(f, LOGIN_API_READY, WED);
	step(f, WED);
	api(f, LOGIN_API_DOWN, WED + S(10));
	f->in.restarting = 1;
	assert_int_equal(step(f, WED + S(10)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "restarting");
	assert_int_equal(f->l.state, LOGIN_RESTARTING);
	assert_int_equal(step(f, WED + S(100)), 0);
	assert_int_equal(step(f, WED + S(309)), 0);	/* 299 s in */
	f->in.restarting = 0;
	api(f, LOGIN_API_READY, WED + S(309));
	assert_int_equal(step(f, WED + S(309)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "login ready");
	assert_int_equal(f->l.episode_ms, 0);
}

/* ... and past it: CRITICAL once, then resolved on ready. */
static void
test_restarting_budget(void **state)
{
	struct fx *f = fx_new(WED);

	(void)state;
	api(f, LOGIN_API_READY, WED);
	step(f, WED);
	api(f, LOGIN_API_DOWN, WED + S(10));
	f->in.restarting = 1;
	step(f, WED + S(10));
	assert_int_equal(step(f, WED + S(310)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "budget",
	    "gateway did not come back: still restarting 5 minutes");
	assert_int_equal(step(f, WED + S(900)), 0);
	f->in.restarting = 0;
	api(f, LOGIN_API_READY, WED + S(960));
	assert_int_equal(step(f, WED + S(960)), 1);
	is(&f->out[0], "health.login.ready", GW_INFO, "resolved",
	    "logged in 09:16 ET, API ready");
	assert_int_equal(f->l.state, LOGIN_READY);
}

/* The weekly lead: WARNING 60 and 5 minutes before, once each. */
static void
test_weekly_due(void **state)
{
	struct fx *f = fx_new(SLOT - S(4000));

	(void)state;
	api(f, LOGIN_API_READY, SLOT - S(4000));
	assert_int_equal(step(f, SLOT - S(4000)), 1);	/* ready */
	assert_int_equal(step(f, SLOT - S(3601)), 0);
	assert_int_equal(step(f, SLOT - S(3600)), 1);
	is(&f->out[0], "health.login", GW_WARNING, "weekly",
	    "weekly login at 17:00 ET (in 60 minutes): keep your phone at "
	    "hand, approve within 3 minutes");
	assert_int_equal(f->l.state, LOGIN_WEEKLY_DUE);
	assert_true(f->l.next_weekly_ms == SLOT);
	assert_int_equal(step(f, SLOT - S(1000)), 0);
	assert_int_equal(step(f, SLOT - S(300)), 1);
	is(&f->out[0], "health.login", GW_WARNING, "weekly", "(in 5 minutes)");
	assert_int_equal(step(f, SLOT - S(200)), 0);
	/* a late start says the closest one only */
	f = fx_new(SLOT - S(120));
	api(f, LOGIN_API_READY, SLOT - S(120));
	assert_int_equal(step(f, SLOT - S(120)), 1);
	is(&f->out[0], "health.login", GW_WARNING, "weekly", "(in 2 minutes)");
	assert_int_equal(step(f, SLOT - S(60)), 0);
}

/* The planned weekly login approved in time: restarting (no alert),
 * awaiting_2fa CRITICAL with the deadline at once, then ready resolves. */
static void
test_weekly_approved(void **state)
{
	struct fx *f = fx_new(SLOT - S(10));

	(void)state;
	api(f, LOGIN_API_READY, SLOT - S(10));
	step(f, SLOT - S(10));
	api(f, LOGIN_API_DOWN, SLOT + S(5));
	assert_int_equal(step(f, SLOT + S(5)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "planned login slot");
	assert_int_equal(f->l.state, LOGIN_RESTARTING);
	assert_int_equal(f->l.planned, 1);
	ibc(f, IBCLOG_AWAITING_2FA, 1, SLOT + S(190), SLOT + S(10));
	assert_int_equal(step(f, SLOT + S(10)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "2fa",
	    "planned login: approve the IBKR push on your phone by 17:03:10 ET "
	    "(3 minutes to approve)");
	assert_int_equal(f->l.state, LOGIN_AWAITING_2FA);
	assert_int_equal(f->l.attempt, 1);
	assert_true(f->l.deadline_ms == SLOT + S(190));
	assert_int_equal(step(f, SLOT + S(60)), 0);	/* said once */
	f->ibc.state = IBCLOG_IDLE;
	f->ibc.completed_ms = SLOT + S(95);
	f->ibc.since_ms = SLOT + S(95);
	/* IBC done, the API not yet: the planned slot's down time */
	assert_int_equal(step(f, SLOT + S(96)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "login restarting");
	assert_int_equal(f->l.state, LOGIN_RESTARTING);
	api(f, LOGIN_API_READY, SLOT + S(100));
	assert_int_equal(step(f, SLOT + S(100)), 1);
	is(&f->out[0], "health.login.ready", GW_INFO, "resolved",
	    "logged in 17:01 ET, API ready");
	assert_int_equal(f->l.state, LOGIN_READY);
	assert_int_equal(step(f, SLOT + S(200)), 0);
}

/* Approval missed: 2fa_retrying per attempt (same episode), then "stop"
 * after max_attempts, and nothing more for later pushes. */
static void
test_retry_then_stop(void **state)
{
	struct fx *f = fx_new(SLOT);

	(void)state;
	api(f, LOGIN_API_DOWN, SLOT);
	ibc(f, IBCLOG_AWAITING_2FA, 1, SLOT + S(180), SLOT);
	step(f, SLOT);
	is(&f->out[0], "health.login", GW_CRITICAL, "2fa", "17:03:00 ET");
	ibc(f, IBCLOG_AWAITING_2FA, 2, SLOT + S(370), SLOT + S(190));
	assert_int_equal(step(f, SLOT + S(190)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "retry",
	    "2FA attempt 2 of 3: the last push was not approved; approve the "
	    "new IBKR push on your phone by 17:06:10 ET");
	assert_int_equal(f->l.state, LOGIN_2FA_RETRYING);
	assert_int_equal(f->l.prev, LOGIN_AWAITING_2FA);
	ibc(f, IBCLOG_AWAITING_2FA, 3, SLOT + S(560), SLOT + S(380));
	assert_int_equal(step(f, SLOT + S(380)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "retry", "attempt 3 of 3");
	assert_int_equal(step(f, SLOT + S(559)), 0);
	assert_int_equal(step(f, SLOT + S(560)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "stop",
	    "stop: 3 pushes unanswered, automatic retries stopped; run "
	    "`stack-init ctl login gateway` when ready");
	/* a fourth push: said in the record, but no alert */
	ibc(f, IBCLOG_AWAITING_2FA, 4, SLOT + S(750), SLOT + S(570));
	assert_int_equal(step(f, SLOT + S(570)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "2FA attempt 4 of 3");
	assert_int_equal(f->l.attempt, 4);
	/* approved at last: one resolution */
	f->ibc.state = IBCLOG_IDLE;
	f->ibc.completed_ms = SLOT + S(600);
	api(f, LOGIN_API_READY, SLOT + S(610));
	assert_int_equal(step(f, SLOT + S(610)), 1);
	is(&f->out[0], "health.login.ready", GW_INFO, "resolved", "17:10 ET");
}

/* A push beyond max_attempts that was never alerted escalates at once. */
static void
test_stop_beyond_max(void **state)
{
	struct fx *f = fx_new(SLOT);

	(void)state;
	f->cfg.max_attempts = 1;
	api(f, LOGIN_API_DOWN, SLOT);
	ibc(f, IBCLOG_AWAITING_2FA, 2, SLOT + S(180), SLOT);
	assert_int_equal(step(f, SLOT), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "stop",
	    "stop: 2 pushes unanswered");
}

static void
test_stuck(void **state)
{
	struct fx *f = fx_new(SLOT);

	(void)state;
	api(f, LOGIN_API_DOWN, SLOT);
	ibc(f, IBCLOG_AWAITING_2FA, 1, SLOT + S(180), SLOT);
	step(f, SLOT);
	ibc(f, IBCLOG_STUCK, 1, 0, SLOT + S(181));
	assert_int_equal(step(f, SLOT + S(181)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "stuck",
	    "stuck at the login dialog");
	assert_non_null(strstr(f->out[0].msg,
	    "run `stack-init ctl login gateway` (or restart the gateway "
	    "container)"));
	assert_non_null(strstr(f->out[0].msg, "for one new push"));
	assert_int_equal(f->l.state, LOGIN_STUCK);
	assert_int_equal(step(f, SLOT + S(3600)), 0);
	/* the operator's `ctl login`: a new push */
	ibc(f, IBCLOG_AWAITING_2FA, 2, SLOT + S(4000), SLOT + S(3820));
	assert_int_equal(step(f, SLOT + S(3820)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "retry", "attempt 2 of 3");
}

/* Mid-week: a cold login, then its 2FA, both "session lost mid-week";
 * the same with the caller's expected flag is planned. */
static void
test_unexpected(void **state)
{
	struct fx *f = fx_new(WED);

	(void)state;
	api(f, LOGIN_API_READY, WED);
	step(f, WED);
	api(f, LOGIN_API_DOWN, WED + S(5));
	ibc(f, IBCLOG_LOGGING_IN, 0, 0, WED + S(10));
	f->ibc.cold = 1;
	assert_int_equal(step(f, WED + S(10)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "unexpected",
	    "session lost mid-week: the gateway is doing a full login outside "
	    "the planned slot");
	assert_int_equal(f->l.state, LOGIN_UNEXPECTED);
	assert_int_equal(f->l.planned, 0);
	ibc(f, IBCLOG_AWAITING_2FA, 1, WED + S(200), WED + S(20));
	assert_int_equal(step(f, WED + S(20)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "unexpected",
	    "session lost mid-week: unexpected login outside the planned slot; "
	    "approve the IBKR push on your phone by 09:03:20 ET");
	assert_int_equal(f->l.state, LOGIN_UNEXPECTED);	/* no change */
	assert_int_equal(f->l.prev, LOGIN_READY);
	/* a warm login (no cold flag) mid-week is a restart */
	f = fx_new(WED);
	api(f, LOGIN_API_DOWN, WED);
	ibc(f, IBCLOG_LOGGING_IN, 0, 0, WED + S(1));
	step(f, WED + S(1));
	assert_int_equal(f->l.state, LOGIN_RESTARTING);
	/* expected (an operator's `ctl login`): planned */
	f = fx_new(WED);
	api(f, LOGIN_API_DOWN, WED);
	ibc(f, IBCLOG_AWAITING_2FA, 1, WED + S(180), WED + S(1));
	f->ibc.expected = 1;
	step(f, WED + S(1));
	assert_int_equal(f->l.state, LOGIN_AWAITING_2FA);
	is(&f->out[0], "health.login", GW_CRITICAL, "2fa", "planned login");
}

static void
test_locked_out(void **state)
{
	struct fx *f = fx_new(WED);

	(void)state;
	api(f, LOGIN_API_DOWN, WED);
	ibc(f, IBCLOG_LOCKED_OUT, 0, WED + S(1800), WED + S(1));
	assert_int_equal(step(f, WED + S(1)), 1);
	is(&f->out[0], "health.login", GW_WARNING, "locked_out",
	    "too many failed logins, wait until 09:30 ET; no restarts until "
	    "then");
	assert_true(f->l.until_ms == WED + S(1800));
	assert_int_equal(step(f, WED + S(600)), 0);
	/* no wait given */
	f = fx_new(WED);
	api(f, LOGIN_API_DOWN, WED);
	ibc(f, IBCLOG_LOCKED_OUT, 0, 0, WED + S(1));
	step(f, WED + S(1));
	is(&f->out[0], "health.login", GW_WARNING, "locked_out",
	    "no restarts until then");
}

static void
test_competing(void **state)
{
	struct fx *f = fx_new(WED);

	(void)state;
	api(f, LOGIN_API_READY, WED);
	step(f, WED);
	api(f, LOGIN_API_DOWN, WED + S(1));
	ibc(f, IBCLOG_COMPETING, 0, 0, WED + S(2));
	assert_int_equal(step(f, WED + S(2)), 1);
	is(&f->out[0], "health.login", GW_WARNING, "competing",
	    "someone logged in with the gateway's user elsewhere");
	assert_int_equal(step(f, WED + S(301)), 0);
	assert_int_equal(step(f, WED + S(302)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "competing", "for 5 minutes");
	assert_int_equal(step(f, WED + S(900)), 0);
	f->ibc.state = IBCLOG_IDLE;
	f->ibc.completed_ms = WED + S(1000);
	api(f, LOGIN_API_READY, WED + S(1001));
	assert_int_equal(step(f, WED + S(1001)), 1);
	is(&f->out[0], "health.login.ready", GW_INFO, "resolved",
	    "logged in 09:16 ET");
}

/* 1100 inside the nightly reset window: no alert at all; 1102 ends it
 * with nothing to resolve. */
static void
test_upstream_in_window(void **state)
{
	struct fx *f = fx_new(NIGHT - S(120));

	(void)state;
	f->in.ibc = NULL;	/* no IBC log: the API alone */
	api(f, LOGIN_API_READY, NIGHT - S(120));
	step(f, NIGHT - S(120));
	api(f, LOGIN_API_UPSTREAM, NIGHT);
	assert_int_equal(step(f, NIGHT), 1);
	is(&f->out[0], "health.login", GW_INFO, "",
	    "login upstream_down: IB servers unreachable (1100 without "
	    "1101/1102) inside IBKR's reset window");
	assert_int_equal(f->l.in_reset_window, 1);
	assert_int_equal(step(f, NIGHT + S(1000)), 0);
	assert_int_equal(step(f, NIGHT + S(2000)), 0);
	api(f, LOGIN_API_READY, NIGHT + S(2100));
	assert_int_equal(step(f, NIGHT + S(2100)), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "login ready");
}

/* ... and outside it: WARNING, then CRITICAL by duration, resolved. */
static void
test_upstream_outside(void **state)
{
	struct fx *f = fx_new(EVENING);

	(void)state;
	f->in.ibc = NULL;
	api(f, LOGIN_API_UPSTREAM, EVENING);
	assert_int_equal(step(f, EVENING), 1);
	is(&f->out[0], "health.login", GW_INFO, "", "upstream_down");
	assert_int_equal(f->l.in_reset_window, 0);
	assert_int_equal(step(f, EVENING + S(299)), 0);
	assert_int_equal(step(f, EVENING + S(300)), 1);
	is(&f->out[0], "health.login", GW_WARNING, "upstream",
	    "IB servers unreachable from the gateway for 5 minutes");
	assert_int_equal(step(f, EVENING + S(600)), 0);
	assert_int_equal(step(f, EVENING + S(900)), 1);
	is(&f->out[0], "health.login", GW_CRITICAL, "upstream", "15 minutes");
	assert_int_equal(step(f, EVENING + S(2000)), 0);
	api(f, LOGIN_API_READY, EVENING + S(2100));
	assert_int_equal(step(f, EVENING + S(2100)), 1);
	is(&f->out[0], "health.login.ready", GW_INFO, "resolved", "API ready");
}

/* Which word is newer: the API's ready after IBC's change wins; IBC's
 * change after the API's last ready wins. */
static void
test_freshness(void **state)
{
	struct fx *f = fx_new(WED);

	(void)state;
	ibc(f, IBCLOG_AWAITING_2FA, 1, WED + S(180), WED);
	api(f, LOGIN_API_READY, WED + S(5));
	step(f, WED + S(5));
	assert_int_equal(f->l.state, LOGIN_READY);
	f->ibc.since_ms = WED + S(6);
	step(f, WED + S(6));
	assert_int_equal(f->l.state, LOGIN_UNEXPECTED);
	/* an upstream word older than IBC's change loses too */
	api(f, LOGIN_API_UPSTREAM, WED + S(3));
	step(f, WED + S(7));
	assert_int_equal(f->l.state, LOGIN_UNEXPECTED);
}

/* A state change carries its alert; a weekly warning in the same step
 * follows as its own record; the cap on records holds. */
static void
test_merge_and_cap(void **state)
{
	struct fx *f = fx_new(SLOT - S(400));
	struct login_emit one[1];

	(void)state;
	api(f, LOGIN_API_DOWN, SLOT - S(300));
	ibc(f, IBCLOG_STUCK, 1, 0, SLOT - S(300));
	assert_int_equal(step(f, SLOT - S(300)), 2);
	is(&f->out[0], "health.login", GW_CRITICAL, "stuck", "stuck");
	is(&f->out[1], "health.login", GW_WARNING, "weekly", "in 5 minutes");
	f = fx_new(SLOT - S(400));
	api(f, LOGIN_API_DOWN, SLOT - S(300));
	ibc(f, IBCLOG_STUCK, 1, 0, SLOT - S(300));
	assert_int_equal(login_step(&f->l, &f->cfg, &f->in, SLOT - S(300), one,
	    1), 1);
	assert_string_equal(one[0].alert, "stuck");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_defaults),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_ready_quiet),
		cmocka_unit_test(test_restarting_within_budget),
		cmocka_unit_test(test_restarting_budget),
		cmocka_unit_test(test_weekly_due),
		cmocka_unit_test(test_weekly_approved),
		cmocka_unit_test(test_retry_then_stop),
		cmocka_unit_test(test_stop_beyond_max),
		cmocka_unit_test(test_stuck),
		cmocka_unit_test(test_unexpected),
		cmocka_unit_test(test_locked_out),
		cmocka_unit_test(test_competing),
		cmocka_unit_test(test_upstream_in_window),
		cmocka_unit_test(test_upstream_outside),
		cmocka_unit_test(test_freshness),
		cmocka_unit_test(test_merge_and_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
