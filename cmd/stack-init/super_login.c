/*
 * super_login: the gateway's login as IBC's log tells it (see
 * super_int.h). A service with "ibc_log" has a lib/ibclog tracker fed with
 * the lines of its own output (true) or of a file followed like tail -F
 * (PATH). From the API side a gateway waiting for the second factor looks
 * exactly like one restarting; this is where stack-init tells them apart:
 *
 *  - while a login is pending (2FA awaited, or a lock-out not over) no
 *    automatic restart happens (schedule, health, follows, ctl restart):
 *    each would send a new push and throw the approval in progress away.
 *    A reminder (init.login_pending) goes out every "remind" seconds
 *    instead, and the ready_after_restart alert waits for the login;
 *  - a relaunch of the process while the login needs the second factor is
 *    a cold relaunch: at most max_cold_per_hour per rolling hour, none
 *    during a lock-out (relaunch.c decides, this file acts and tells).
 *
 * Inputs: IBC's log lines (untrusted bytes: only lib/ibclog's pure decoder
 * looks at them, never printed from here) and the validated configuration.
 * Times are monotonic ms (clock_mono_ms), shown as wall-clock times.
 */
#include "clock.h"
#include "linefollow.h"
#include "super_int.h"

#include <stdio.h>
#include <string.h>

static int
has_login(const struct run *r)
{
	return r->svc->login.ibc_log != SVC_IBC_LOG_NONE;
}

int
svclogin_pending(const struct run *r)
{
	return has_login(r) && ibclog_tracker_pending(&r->login,
	    clock_mono_ms());
}

/* The wall-clock time ("14:03:05") of the monotonic instant at_ms. */
static void
at_clock(char *buf, size_t sz, int64_t at_ms)
{
	relaunch_clock(buf, sz, at_ms, clock_mono_ms(), clock_wall_ms(), 0);
}

static json_t *
at_json(int64_t at_ms)
{
	char b[40];

	if (at_ms <= 0)
		return json_null();
	relaunch_rfc3339(b, sizeof(b), at_ms, clock_mono_ms(), clock_wall_ms());
	return json_string(b);
}

/* The login's fields for events and status: state, attempts, cold,
 * expected, pending, approve_by / locked_until. */
static json_t *
svclogin_fields(const struct run *r)
{
	const struct ibclog_tracker *t = &r->login;
	json_t *o = json_pack("{s:s, s:i, s:b, s:b, s:b}", "state",
	    ibclog_state_name(t->state), "attempts", t->attempts, "cold", t->cold,
	    "expected", t->expected, "pending", svclogin_pending(r));

	if (o != NULL && t->state == IBCLOG_AWAITING_2FA)
		json_object_set_new(o, "approve_by", at_json(t->deadline_ms));
	if (o != NULL && t->state == IBCLOG_LOCKED_OUT)
		json_object_set_new(o, "locked_until", at_json(t->deadline_ms));
	return o;
}

void
svclogin_pending_text(const struct run *r, const char *mid, char *buf,
    size_t sz)
{
	const struct ibclog_tracker *t = &r->login;
	char at[32];

	at_clock(at, sizeof(at), t->deadline_ms);
	if (t->state == IBCLOG_LOCKED_OUT)
		snprintf(buf, sz, "locked out after too many failed logins%s "
		    "(until %s)", mid, at);
	else
		snprintf(buf, sz, "waiting for the second factor on the "
		    "operator's phone%s (attempt %d, %s %s)", mid,
		    t->attempts > 0 ? t->attempts : 1, clock_mono_ms() <
		    t->deadline_ms ? "approve by" : "its approval window ended at",
		    at);
}

/* Pending or not, reminders, the end of a lock-out: the timer is armed
 * for the next reminder or the end of the lock-out, whichever is first.
 * Returns 1 when a held relaunch may be released (done from the timer,
 * never from inside an output callback). */
static void
svclogin_sync(struct run *r)
{
	int64_t now = clock_mono_ms();
	const struct ibclog_tracker *t = &r->login;
	int p = ibclog_tracker_pending(t, now);
	double d = -1, e;

	if (p && !r->login_was_pending)
		r->next_remind_ms = now + (int64_t)(r->svc->login.remind_s * 1000);
	if (!p && r->login_was_pending && r->login_deadline_held) {
		/* the deadline starts over: the gateway gets its full
		 * ready_after_restart once the login no longer waits */
		r->login_deadline_held = 0;
		if (r->awaiting_ready_after_restart)
			super_arm(r->ready_deadline, r->svc->ready_after_restart_s);
	}
	r->login_was_pending = p;
	evtimer_del(r->login_timer);
	if (p)
		d = (double)(r->next_remind_ms - now) / 1000.0;
	if (t->state == IBCLOG_LOCKED_OUT && t->deadline_ms > now) {
		e = (double)(t->deadline_ms - now) / 1000.0;
		if (d < 0 || e < d)
			d = e;
	}
	if (r->login_hold == RELAUNCH_HOLD_LOCKED && d < 0)
		d = 0;	/* the lock-out is over: release from the timer */
	if (d >= 0)
		super_arm(r->login_timer, d < 0.001 ? 0.001 : d);
}

/* The tracker changed: say how (one event), then sync. */
static void
state_event(struct run *r, enum ibclog_kind why)
{
	const struct ibclog_tracker *t = &r->login;
	json_t *f = svclogin_fields(r);
	enum gw_level lvl = GW_INFO;
	char text[256], at[32];

	if (f != NULL)
		json_object_set_new(f, "line", json_string(ibclog_kind_name(why)));
	at_clock(at, sizeof(at), t->deadline_ms);
	switch (t->state) {
	case IBCLOG_IDLE:
		snprintf(text, sizeof(text), "%s", why == IBCLOG_LOGIN_COMPLETED ?
		    "logged in" : "idle");
		break;
	case IBCLOG_LOGGING_IN:
		snprintf(text, sizeof(text), "logging in%s", t->cold ? " (a full "
		    "login: the second factor will be needed)" : "");
		break;
	case IBCLOG_AWAITING_2FA:
		lvl = GW_WARNING;
		snprintf(text, sizeof(text), "waiting for the second factor on the "
		    "operator's phone (attempt %d, approve by %s); %s",
		    t->attempts > 0 ? t->attempts : 1, at, t->expected ?
		    "a planned login" : "not planned: the session was lost");
		break;
	case IBCLOG_STUCK:
		lvl = GW_WARNING;
		snprintf(text, sizeof(text), "stuck: the second factor was not "
		    "given in time and IBC does not retry; 'stack-init ctl "
		    "login %s' sends a fresh push", r->svc->name);
		break;
	case IBCLOG_LOCKED_OUT:
		snprintf(text, sizeof(text), "locked out after too many failed "
		    "logins until %s", at);
		break;
	case IBCLOG_COMPETING:
		snprintf(text, sizeof(text), "another session with the "
		    "gateway's user was detected");
		break;
	default:
		snprintf(text, sizeof(text), "%s", ibclog_state_name(t->state));
		break;
	}
	super_log(r, lvl, "init.login_state", f, "login: %s", text);
	if (t->state == IBCLOG_LOCKED_OUT)
		super_log(r, GW_WARNING, "init.locked_out", svclogin_fields(r),
		    "locked out after too many failed logins: no restart or "
		    "relaunch until %s", at);
}

void
svclogin_line(struct run *r, const char *line, size_t len)
{
	struct ibclog_line l;

	if (!has_login(r) || ibclog_decode(line, len, &l) == IBCLOG_NONE)
		return;
	if (!ibclog_tracker_feed(&r->login, &l, clock_mono_ms()))
		return;
	state_event(r, l.kind);
	svclogin_sync(r);
}

void
svclogin_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	int64_t now = clock_mono_ms();
	char text[256];

	(void)fd;
	(void)what;
	if (svclogin_pending(r) && now >= r->next_remind_ms) {
		json_t *f = svclogin_fields(r);

		if (f != NULL)
			json_object_set_new(f, "suppressed", json_string("reminder"));
		svclogin_pending_text(r, "; not restarting", text, sizeof(text));
		super_log(r, GW_WARNING, "init.login_pending", f, "%s", text);
		r->next_remind_ms = now + (int64_t)(r->svc->login.remind_s * 1000);
	}
	if (!svclogin_pending(r) && r->login_was_pending &&
	    r->login.state == IBCLOG_LOCKED_OUT)
		super_log(r, GW_INFO, "init.login_state", svclogin_fields(r),
		    "login: the lock-out wait is over");
	if (r->login_hold == RELAUNCH_HOLD_LOCKED && !svclogin_pending(r)) {
		r->login_hold = RELAUNCH_GO;	/* gated again on the way */
		svclogin_sync(r);
		super_try_start(r->s);
		return;
	}
	svclogin_sync(r);
}

int
svclogin_blocks(struct run *r, const char *what, enum trigger trig)
{
	json_t *f;
	char text[256];

	if (!svclogin_pending(r))
		return 0;
	if ((f = svclogin_fields(r)) != NULL) {
		json_object_set_new(f, "suppressed", json_string(what));
		json_object_set_new(f, "trigger", json_string(super_trig_names[trig]));
	}
	svclogin_pending_text(r, "; not restarting", text, sizeof(text));
	super_log(r, GW_WARNING, "init.login_pending", f, "%s skipped: %s",
	    what, text);
	return 1;
}

int
svclogin_hold_deadline(struct run *r)
{
	json_t *f;
	char text[256];

	if (!svclogin_pending(r))
		return 0;
	if ((f = svclogin_fields(r)) != NULL)
		json_object_set_new(f, "suppressed", json_string("ready_after_restart"));
	svclogin_pending_text(r, "", text, sizeof(text));
	super_log(r, GW_WARNING, "init.login_pending", f, "%s; the "
	    "ready_after_restart deadline (%.0f s) starts over once the login "
	    "no longer waits", text, r->svc->ready_after_restart_s);
	r->login_deadline_held = 1;
	return 1;
}

int
svclogin_relaunch_held(struct run *r)
{
	int64_t now = clock_mono_ms();
	int force = r->login_force, used;
	enum relaunch_gate g;
	char at[32];

	if (!has_login(r))
		return 0;
	r->login_force = 0;
	g = relaunch_gate(&r->login, &r->cold, now, force);
	switch (g) {
	case RELAUNCH_GO:
		r->login_hold = RELAUNCH_GO;
		return 0;
	case RELAUNCH_GO_COLD:
		r->login_hold = RELAUNCH_GO;
		relaunch_budget_add(&r->cold, now);
		used = relaunch_budget_used(&r->cold, now);
		super_log(r, GW_INFO, "init.cold_relaunch", json_pack("{s:i, s:i, "
		    "s:b}", "count", used, "max_per_hour", r->cold.max_per_hour,
		    "forced", force > 0), "cold relaunch %d of %d within the hour%s: "
		    "IBC logs in with the second factor", used, r->cold.max_per_hour,
		    force ? " (asked for: over the cap if need be)" : "");
		return 0;
	case RELAUNCH_HOLD_LOCKED:
		if (r->login_hold != RELAUNCH_HOLD_LOCKED) {
			at_clock(at, sizeof(at), r->login.deadline_ms);
			super_log(r, GW_WARNING, "init.locked_out", svclogin_fields(r),
			    "locked out after too many failed logins: not "
			    "relaunching until %s", at);
		}
		r->login_hold = RELAUNCH_HOLD_LOCKED;
		svclogin_sync(r);
		return 1;
	case RELAUNCH_HOLD_CAP:
		if (r->login_hold != RELAUNCH_HOLD_CAP) {
			used = relaunch_budget_used(&r->cold, now);
			super_log(r, GW_CRITICAL, "init.cold_relaunch_capped",
			    json_pack("{s:i, s:i}", "count", used, "max_per_hour",
			    r->cold.max_per_hour), "%d cold relaunches within the "
			    "hour (login.max_cold_per_hour %d): not relaunching "
			    "again, each would send another push and too many "
			    "failed logins lock the account; once the cause is "
			    "fixed, resume with 'stack-init ctl login %s'", used,
			    r->cold.max_per_hour, r->svc->name);
		}
		r->login_hold = RELAUNCH_HOLD_CAP;
		return 1;
	}
	return 0;
}

void
svclogin_process_exit(struct run *r)
{
	struct ibclog_tracker *t = &r->login;
	struct ibclog_tracker keep;

	if (!has_login(r) || t->state != IBCLOG_AWAITING_2FA)
		return;
	/* the push belonged to the process that is gone: no approval can
	 * complete it now. What the next login needs (cold), the attempts
	 * so far and whether it was planned stay */
	keep = *t;
	ibclog_tracker_init(t, r->svc->login.twofa_window_s);
	t->cold = 1;
	t->attempts = keep.attempts;
	t->expected = keep.expected;
	t->completed_ms = keep.completed_ms;
	t->since_ms = clock_mono_ms();
	super_log(r, GW_INFO, "init.login_state", svclogin_fields(r), "login: its "
	    "process exited while waiting for the second factor: that push is "
	    "void");
	svclogin_sync(r);
}

json_t *
svclogin_status(const struct run *r)
{
	json_t *o;
	int64_t now = clock_mono_ms();

	if (!has_login(r) || (o = svclogin_fields(r)) == NULL)
		return NULL;
	json_object_set_new(o, "hold", r->login_hold == RELAUNCH_GO ? json_null() :
	    json_string(relaunch_gate_name((enum relaunch_gate)r->login_hold)));
	json_object_set_new(o, "cold_relaunches", json_integer(
	    relaunch_budget_used(&r->cold, now)));
	json_object_set_new(o, "max_cold_per_hour",
	    json_integer(r->cold.max_per_hour));
	return o;
}

/* ---------- the file follower ("ibc_log": PATH) ---------- */

static void
on_follow_line(void *arg, const char *line, size_t len)
{
	svclogin_line(arg, line, len);
}

static void
on_follow_note(void *arg, const char *msg)
{
	struct run *r = arg;

	super_log(r, GW_WARNING, "init.ibc_log", json_pack("{s:s}", "path",
	    r->svc->login.path), "IBC's log: %s", msg);
}

int
svclogin_open(struct run *r)
{
	const struct svc_login *l = &r->svc->login;
	struct linefollow_config lc;
	struct gw_err e;

	if (!has_login(r))
		return 0;
	ibclog_tracker_init(&r->login, l->twofa_window_s);
	relaunch_budget_init(&r->cold, l->max_cold_per_hour);
	if ((r->login_timer = evtimer_new(r->s->base, svclogin_on_timer, r)) == NULL)
		return -1;
	if (l->ibc_log != SVC_IBC_LOG_FILE)
		return 0;
	memset(&lc, 0, sizeof(lc));
	lc.path = l->path;
	lc.fd = -1;
	lc.poll_ms = 250;
	lc.max_line = 4096;
	lc.on_line = on_follow_line;
	lc.on_note = on_follow_note;
	lc.arg = r;
	if ((r->ibc_follow = linefollow_new(r->s->base, &lc, &e)) == NULL)
		super_log(r, GW_ERROR, "init.ibc_log", json_pack("{s:s}", "path",
		    l->path), "cannot follow IBC's log: %s", e.msg);
	else
		super_log(r, GW_INFO, "init.ibc_log", json_pack("{s:s}", "path",
		    l->path), "following IBC's log %s", l->path);
	return 0;
}

void
svclogin_close(struct run *r)
{
	linefollow_free(r->ibc_follow);
	r->ibc_follow = NULL;
	if (r->login_timer != NULL)
		event_free(r->login_timer);
	r->login_timer = NULL;
}
