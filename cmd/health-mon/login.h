/*
 * login: the gateway's login as health-mon tells it (docs/health-mon.md
 * "LOGIN"), a pure state machine: the owner feeds what it knows (the
 * gateway check's last API verdict, whether stack-init says a restart of
 * the gateway is under way, IBC's log as lib/ibclog's tracker reads it)
 * with the time; login_step decides the state and what to say: one
 * health.login record per state change, and the alerts.
 *
 * From the API side a gateway waiting for the operator's phone looks
 * exactly like one restarting; IBC's log and the planned weekly slot
 * tell them apart. Precedence (the first that holds):
 *
 *   ready           the API answered ready after IBC's last change
 *                   (weekly_due instead inside the warning lead)
 *   upstream_down   the API answered, but its last connectivity notice is
 *                   1100 (or 2110) without a later 1101/1102
 *   locked_out, competing, stuck_login   IBC says so
 *   2fa_retrying    IBC awaits the second factor, attempt 2 or later
 *   awaiting_2fa    ... attempt 1, planned (weekly slot or expected)
 *   unexpected_login ... attempt 1 unplanned, or a cold login unplanned
 *   restarting      IBC is logging in (not a cold unplanned one),
 *                   stack-init restarts the gateway, or the API is down
 *                   inside the planned slot
 *   weekly_due      the API is ready or not yet known, inside the lead
 *                   before the weekly slot
 *   unknown         nothing explains the state (no verdict yet, or the
 *                   API is down with no login activity: the gateway
 *                   component alerts for that)
 *
 * No I/O. Times are wall ms passed in; the only outside reads are the tz
 * database's (lib/sched), for New York time and the weekly slot.
 */
#ifndef HM_LOGIN_H
#define HM_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"
#include "ibclog.h"
#include "log.h"
#include "sched.h"

#define LOGIN_MAX_WARN 4
#define LOGIN_MAX_WINDOWS 8
#define LOGIN_MSG_MAX 400
#define LOGIN_ET "America/New_York"	/* times in messages are ET */

enum login_state {
	LOGIN_UNKNOWN,
	LOGIN_READY,
	LOGIN_RESTARTING,
	LOGIN_WEEKLY_DUE,
	LOGIN_AWAITING_2FA,
	LOGIN_2FA_RETRYING,
	LOGIN_STUCK,
	LOGIN_UNEXPECTED,
	LOGIN_LOCKED_OUT,
	LOGIN_UPSTREAM_DOWN,
	LOGIN_COMPETING,
	LOGIN_STATE_COUNT
};

/* A weekly span of local time: starts at from_min on each day in days
 * (tm_wday bits) and lasts dur_min (it may cross midnight). */
struct login_window {
	unsigned days;
	int from_min, dur_min;
	char tz[64];
};

struct login_config {
	int has_weekly;
	struct sched_spec weekly;	/* the planned weekly login slot */
	double weekly_window_s;		/* a login within [slot - 300 s, slot +
					 * this] is planned (1800) */
	double warn_before_s[LOGIN_MAX_WARN];	/* weekly_due warnings (3600,
						 * 300), any order */
	size_t n_warn;
	double twofa_window_s;		/* approval window, for the words (180) */
	int max_attempts;		/* 2FA pushes before "stop" (3) */
	double restart_budget_s;	/* a restart's allowance (300); also how
					 * long competing stays a warning */
	struct login_window reset[LOGIN_MAX_WINDOWS];	/* IBKR's resets */
	size_t n_reset;
	double upstream_warn_s, upstream_crit_s;	/* 300, 900 */
	char service[64];		/* stack-init's name for the gateway,
					 * for the fix's words ("gateway") */
};

enum login_api {
	LOGIN_API_UNKNOWN,		/* no verdict yet */
	LOGIN_API_READY,
	LOGIN_API_DOWN,			/* any other verdict */
	LOGIN_API_UPSTREAM,		/* ready, but 1100/2110 is the last word */
};

struct login_input {
	enum login_api api;
	int64_t api_at_ms;		/* when that verdict came */
	int restarting;			/* stack-init: a restart is under way */
	const struct ibclog_tracker *ibc;	/* NULL: IBC's log not followed */
};

/* What one step says: a health.login record (event "health.login", or
 * "health.login.ready" for the ready that resolves announced alerts). */
struct login_emit {
	const char *event;
	enum gw_level level;		/* INFO: a state record, no alert */
	const char *alert;		/* "" or what the alert is: "2fa",
					 * "retry", "stop", "stuck", "unexpected",
					 * "locked_out", "competing", "budget",
					 * "upstream", "weekly", "resolved" */
	char msg[LOGIN_MSG_MAX];
};

struct login {
	enum login_state state, prev;
	int64_t since_ms;		/* the state began */
	int64_t episode_ms;		/* the trouble began (left ready); 0 */
	int planned;			/* this episode is a planned login */
	int announced;			/* an alert went out this episode */
	int attempt;			/* the 2FA push under way (0: none) */
	int64_t deadline_ms;		/* its approval deadline (0: none) */
	int64_t until_ms;		/* locked_out: the wait's end (0) */
	int in_reset_window;		/* upstream_down inside a reset window */
	int64_t next_weekly_ms;		/* the next slot (0: none) */
	char reason[256];		/* the state in words */
	/* said already, so each alert goes once */
	int said_attempt;		/* the 2FA push last alerted */
	int said_stop, said_budget, said_state, said_cold;
	int said_upstream;		/* 0, 1 warning, 2 critical */
	int said_competing;		/* 0, 1 warning, 2 critical */
	int64_t warned_slot_ms;		/* the slot the lead warnings are for */
	unsigned warned_mask;		/* warn_before_s[i] said: bit i */
};

/* Defaults as above (no weekly slot; the documented reset windows). */
void login_config_init(struct login_config *cfg);

/* A reset window "from"-"to" (HH:MM local) on days ("daily", "fri", ...)
 * in tz; 0 or -1 with err (the words of lib/sched). */
int login_window_parse(struct login_window *w, const char *days,
    const char *from, const char *to, const char *tz, struct gw_err *err);

/* Whether t (unix seconds) lies in w. -1 when the zone cannot be read. */
int login_in_window(const struct login_window *w, int64_t t);

/* Fresh: unknown since now_ms. */
void login_init(struct login *l, int64_t now_ms);

/*
 * One step at now_ms (after each input, and every second or so: the
 * weekly warnings, the budget and the durations are time-driven). Writes
 * at most max records to out and returns how many. Never fails: a zone
 * that cannot be read only loses the weekly slot and the reset windows.
 */
size_t login_step(struct login *l, const struct login_config *cfg,
    const struct login_input *in, int64_t now_ms, struct login_emit *out,
    size_t max);

/* "ready", "restarting", "weekly_due", "awaiting_2fa", "2fa_retrying",
 * "stuck_login", "unexpected_login", "locked_out", "upstream_down",
 * "competing", "unknown". */
const char *login_state_name(enum login_state s);

/* "HH:MM:SS" (seconds 1) or "HH:MM" of t_ms in New York time; "?" when
 * the zone cannot be read. */
void login_fmt_et(char *buf, size_t sz, int64_t t_ms, int seconds);

#endif
