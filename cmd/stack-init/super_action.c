/*
 * super_action: schedules and restart actions (see super_int.h). A
 * schedule fires at wall-clock times (sched_next, DST-correct); a restart
 * through the service's restart action (a schedule, ctl restart of an
 * external service, an external follower, failed health checks) pauses or
 * stops its followers, arms the ready_after_restart deadline and then
 * signals the service, runs its restart command, or starts the action its
 * owner registered for that kind (super_set_action: the supervisor knows
 * only "run this action"). Inputs: the validated configuration, the
 * commands' exit statuses and the registered actions' verdicts.
 */
#include "clock.h"
#include "super_int.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *
action_what(const struct run *r)
{
	static const char *const what[] = { "scheduled restart",
	    "restart (ctl)", "restart (follows its leader)",
	    "restart (failed health checks)", "restart (ctl)" };

	if (r->login_action)
		return r->trigger == TRIG_SCHEDULE ? "planned login" : "login (ctl)";
	return what[r->trigger];
}

/* The action registered for kind, or NULL. */
static const struct super_action *
registered(const struct super *s, enum svc_action_kind kind)
{
	if ((int)kind < 0 || kind >= SUPER_MAX_ACTIONS ||
	    s->acts[kind].start == NULL)
		return NULL;
	return &s->acts[kind];
}

int
super_set_action(struct super *s, enum svc_action_kind kind,
    const struct super_action *act, struct gw_err *err)
{
	if ((int)kind < 0 || kind >= SUPER_MAX_ACTIONS ||
	    kind == SVC_ACTION_SIGNAL || kind == SVC_ACTION_ARGV)
		return gw_err_set(err, "restart action kind %d: not one to register",
		    (int)kind);
	if (act == NULL || act->start == NULL || act->cancel == NULL ||
	    act->method == NULL || act->how == NULL ||
	    (act->login != NULL && act->login_how == NULL))
		return gw_err_set(err, "restart action kind %d: incomplete",
		    (int)kind);
	s->acts[kind] = *act;
	return 0;
}

void
action_on_ready_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (!r->awaiting_ready_after_restart) {
		/* a respawn (ctl restart of a local service, a follower's):
		 * its start period's init.not_ready has told already; the
		 * file says it */
		rfile_end(r, IR_NOT_READY);
		return;
	}
	if (svclogin_hold_deadline(r))
		return;	/* (held: armed again once the login no longer waits) */
	super_log(r, GW_CRITICAL, "init.not_ready_after_restart", json_pack("{s:f, s:s}",
	    "deadline_s", r->svc->ready_after_restart_s, "trigger",
	    super_trig_names[r->trigger]), "NOT ready %.0f s after its %s",
	    r->svc->ready_after_restart_s, action_what(r));
	rfile_end(r, IR_NOT_READY);
}

void
action_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (r->action_pid > 0) {
		super_log(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "restart command still running after %.0f s: killed",
		    r->svc->restart_action.timeout_s);
		proc_kill_group(r->action_pid, SIGKILL);
	}
}

/* A command/registered restart action ended. On success the service is
 * restarting elsewhere: check it again at once, accepting a passing check
 * as "ready again" only once a check failed (the old instance went down)
 * or restart_settle seconds passed (a restart that never interrupted
 * readiness). On failure there is no restart to wait for. */
static void
restart_action_done(struct run *r, int ok)
{
	if (!ok) {
		r->awaiting_ready_after_restart = 0;
		evtimer_del(r->ready_deadline);
		rfile_end(r, IR_FAILED);	/* before the followers go on */
		run_followers_end(r, 0);	/* nothing restarted: let them go on */
		return;
	}
	if (r->svc->ready.kind != SVC_READY_COMMAND) {
		run_complete_restart(r);	/* nothing to check: done */
		return;
	}
	svccheck_stop(r);	/* a health check's result would mean nothing now */
	r->need_down_until = super_now() + r->svc->restart_settle_s;
	if (r->st == ST_READY)
		r->st = ST_STARTING;
	r->started = super_now();
	svccheck_start(r);
}

void
action_exit(struct run *r, int status)
{
	char d[64];

	r->action_pid = 0;
	output_drain(&r->act_out);
	output_drain(&r->act_err);
	evtimer_del(r->action_deadline);
	super_describe_status(status, d, sizeof(d));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		super_log(r, GW_INFO, "init.restart_action", NULL, "restart command done");
		restart_action_done(r, 1);
	} else {
		super_log(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "restart command failed (%s)", d);
		restart_action_done(r, 0);
	}
}

/* The registered action's verdict (its handle is gone after this). */
static void
on_registered_done(void *token, int ok, const char *msg)
{
	struct run *r = token;

	r->act = NULL;
	r->act_cancel = NULL;
	if (ok)
		super_log(r, GW_INFO, "init.restart_action", NULL, "%s", msg);
	else
		super_log(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "%s", msg);
	restart_action_done(r, ok);
}

void
action_cancel(struct run *r)
{
	void *h = r->act;

	if (h == NULL)
		return;
	r->act = NULL;
	r->act_cancel(h);
	r->act_cancel = NULL;
}

/* The method ("signal", "command", or the registered action's) and how it
 * restarts, for the events. */
static const char *
method_of(const struct run *r, char *how, size_t howsz)
{
	const struct svc_action *a = &r->svc->restart_action;
	const struct super_action *x;

	if (r->login_action && !r->svc->external) {
		snprintf(how, howsz, "%s", r->pid > 0 ? "stop signal, then "
		    "respawn" : "not running: start");
		return r->pid > 0 ? "respawn" : "start";
	}
	if (r->login_action) {
		x = registered(r->s, a->kind);
		snprintf(how, howsz, "%s", x && x->login ? x->login_how :
		    "no login action registered");
		return x && x->login ? x->method : "none";
	}
	switch (a->kind) {
	case SVC_ACTION_SIGNAL:
		snprintf(how, howsz, "SIG%s, then respawn", super_sig_name(a->signal));
		return "signal";
	case SVC_ACTION_ARGV:
		snprintf(how, howsz, "restart command");
		return "command";
	default:
		x = registered(r->s, a->kind);
		snprintf(how, howsz, "%s", x ? x->how : "no restart action registered");
		return x ? x->method : "none";
	}
}

/* Run the restart command; returns 0, or -1 (logged). */
static int
run_command(struct run *r, const struct svc_action *a)
{
	struct pwfile_user pw;
	struct spawn_opts o;
	char why[GW_WHY_MAX];

	memset(&o, 0, sizeof(o));
	o.argv = a->argv;
	o.notify_fd = -1;
	o.out_fd = o.err_fd = -1;
	if (r->svc->prefix_output) {
		o.out_fd = output_open(r, &r->act_out, 1, " (restart)");
		o.err_fd = output_open(r, &r->act_err, 2, " (restart)");
	}
	if (proc_user(a->user ? a->user : r->svc->user, &pw, &o, why,
	    sizeof(why)) < 0)
		r->action_pid = -1;
	else
		r->action_pid = proc_spawn(&o, why, sizeof(why));
	if (o.out_fd >= 0)
		close(o.out_fd);
	if (o.err_fd >= 0)
		close(o.err_fd);
	if (r->action_pid < 0) {
		r->action_pid = 0;
		super_log(r, GW_CRITICAL, "init.restart_action_failed", NULL, "%s", why);
		return -1;
	}
	super_arm(r->action_deadline, a->timeout_s);
	return 0;
}

/* Start the action registered for the kind; returns 0, or -1 (logged). */
static int
run_registered(struct run *r, const struct svc_action *a)
{
	const struct super_action *x = registered(r->s, a->kind);
	struct gw_err e;

	if (x == NULL || (r->login_action && x->login == NULL)) {
		super_log(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "no %s action registered for its kind (%d)", r->login_action ?
		    "login" : "restart", (int)a->kind);
		return -1;
	}
	e.msg[0] = '\0';
	if ((r->act = (r->login_action ? x->login : x->start)(x->arg, a,
	    on_registered_done, r, &e)) == NULL) {
		super_log(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "%s", e.msg);
		return -1;
	}
	r->act_cancel = x->cancel;
	return 0;
}

/* Restart through the service's restart action, with its followers and the
 * ready_after_restart deadline. Logged as init.scheduled_restart
 * (schedule) or init.restart_requested (the others), naming the trigger
 * and method. */
void
action_restart(struct run *r, enum trigger trig)
{
	const struct svc_action *a = &r->svc->restart_action;
	const char *ev = trig == TRIG_SCHEDULE ? "init.scheduled_restart" :
	    "init.restart_requested";
	char how[128];
	const char *method;

	r->login_action = 0;	/* not a login, unless action_login says so */
	method = method_of(r, how, sizeof(how));
	if (r->by_ctl) {
		super_log(r, GW_INFO, ev, json_pack("{s:s, s:s, s:b}", "trigger",
		    super_trig_names[trig], "method", method, "skipped", 1),
		    "%s skipped: stopped with ctl", trig == TRIG_SCHEDULE ?
		    "scheduled restart" : "restart");
		return;
	}
	if (r->action_pid > 0 || r->act != NULL) {
		super_log(r, GW_WARNING, ev, json_pack("{s:s, s:s, s:b}", "trigger",
		    super_trig_names[trig], "method", method, "skipped", 1),
		    "%s skipped: the previous restart action is still running",
		    trig == TRIG_SCHEDULE ? "scheduled restart" : "restart");
		return;
	}
	/* a restart now would send a new push and void the approval in
	 * progress: not while a login is pending */
	if (svclogin_blocks(r, trig == TRIG_SCHEDULE ? "scheduled restart" :
	    trig == TRIG_HEALTH ? "restart after failed health checks" :
	    trig == TRIG_FOLLOW ? "restart following its leader" :
	    "restart requested by ctl", trig))
		return;
	r->trigger = trig;
	super_log(r, GW_INFO, ev, json_pack("{s:s, s:s}", "trigger",
	    super_trig_names[trig], "method", method), "%s (%s)",
	    trig == TRIG_SCHEDULE ? "scheduled restart" : trig == TRIG_CTL ?
	    "restart requested by ctl" : trig == TRIG_FOLLOW ?
	    "restart following its leader" : "restart after failed health checks",
	    how);
	/* the file says in_progress before the followers are paused and
	 * the action goes out: a reader never sees the gateway go away
	 * unannounced */
	rfile_begin(r, trig, method);
	r->awaiting_ready_after_restart = 1;
	super_arm(r->ready_deadline, r->svc->ready_after_restart_s);
	run_followers_begin(r);
	switch (a->kind) {
	case SVC_ACTION_SIGNAL:
		if (r->pid > 0) {
			r->want_restart = 1;
			run_stop(r, a->signal);
		} else if (r->st == ST_BACKOFF || r->st == ST_EXITED || r->st == ST_DOWN) {
			r->st = ST_WAITING;
			super_try_start(r->s);
		}
		return;
	case SVC_ACTION_ARGV:
		if (run_command(r, a) < 0)
			restart_action_done(r, 0);
		return;
	default:
		if (run_registered(r, a) < 0)
			restart_action_done(r, 0);
		return;
	}
}

void
action_login(struct run *r, enum trigger trig, int force)
{
	int planned = trig == TRIG_SCHEDULE;
	const char *method;
	char how[128], t[256];

	r->login_action = 1;
	method = method_of(r, how, sizeof(how));
	if (r->by_ctl) {
		r->login_action = 0;
		super_log(r, GW_INFO, "init.login_started", json_pack("{s:s, s:s, "
		    "s:b, s:b}", "trigger", super_trig_names[trig], "method",
		    method, "planned", planned, "skipped", 1), "%s skipped: stopped "
		    "with ctl", planned ? "planned login" : "login");
		return;
	}
	if (planned && svclogin_pending(r)) {
		/* that login is this one: say it is planned, send no push */
		r->login_action = 0;
		ibclog_tracker_expect(&r->login, clock_mono_ms());
		svclogin_pending_text(r, "", t, sizeof(t));
		super_log(r, GW_WARNING, "init.login_started", json_pack("{s:s, "
		    "s:s, s:b, s:b}", "trigger", super_trig_names[trig], "method",
		    method, "planned", 1, "skipped", 1), "planned login: a login is "
		    "already pending, %s; marked as planned, no new push", t);
		return;
	}
	if (r->action_pid > 0 || r->act != NULL) {
		r->login_action = 0;
		super_log(r, GW_WARNING, "init.login_started", json_pack("{s:s, "
		    "s:s, s:b, s:b}", "trigger", super_trig_names[trig], "method",
		    method, "planned", planned, "skipped", 1), "%s skipped: the "
		    "previous restart action is still running", planned ?
		    "planned login" : "login");
		return;
	}
	ibclog_tracker_expect(&r->login, clock_mono_ms());
	r->trigger = trig;
	r->login_force = force;
	r->login_hold = RELAUNCH_GO;
	super_log(r, planned ? GW_WARNING : GW_INFO, "init.login_started",
	    json_pack("{s:s, s:s, s:b, s:b}", "trigger", super_trig_names[trig],
	    "method", method, "planned", planned, "forced", force >= 2),
	    "%s (%s): a full login; approve the push on the phone within "
	    "%.0f s", planned ? "planned login" : force >= 2 ?
	    "login forced by ctl" : "login requested by ctl", how,
	    r->svc->login.twofa_window_s);
	rfile_begin(r, trig, method);	/* as action_restart */
	r->awaiting_ready_after_restart = 1;
	super_arm(r->ready_deadline, r->svc->ready_after_restart_s);
	run_followers_begin(r);
	if (r->svc->external) {
		if (run_registered(r, &r->svc->restart_action) < 0)
			restart_action_done(r, 0);
		return;
	}
	if (r->pid > 0) {
		r->want_restart = 1;
		run_stop(r, r->svc->stop_signal);	/* a no-op when stopping */
		return;
	}
	if (r->st == ST_BACKOFF)
		evtimer_del(r->timer);
	r->st = ST_WAITING;
	super_try_start(r->s);
}

static double
wall_now(void)
{
	return (double)clock_wall_ms() / 1e3;
}

/* Arm schedule i for its next fire time, at most 60 s ahead: the timer
 * runs on the monotonic clock, so a long wait is re-checked against the
 * wall clock every minute (NTP steps, suspend). */
static void
arm_sched_timer(struct run *r, size_t i, double now)
{
	double d = (double)r->next_fire[i] - now;

	super_arm(r->sched_timer[i], d > 60 ? 60 : d);
}

/* A schedule timer expired: fire what is due by the wall clock (a timer
 * on the monotonic clock may end a little early); re-arm everything. */
void
action_on_schedule(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	double now = wall_now();
	size_t i;
	int fired = 0, login = 0;

	(void)fd;
	(void)what;
	for (i = 0; i < r->svc->n_schedule; i++) {
		if (r->next_fire[i] == 0)
			continue;
		if (now < (double)r->next_fire[i] - 0.0005) {
			if (!evtimer_pending(r->sched_timer[i], NULL))
				arm_sched_timer(r, i, now);	/* not yet: wait on */
			continue;
		}
		evtimer_del(r->sched_timer[i]);	/* may be active too: fired now */
		r->last_fire[i] = r->next_fire[i];
		r->next_fire[i] = 0;
		fired = 1;
		login |= r->svc->schedule[i].action_login;
	}
	/* once, even if two coincide; the login (cold) wins over a restart */
	if (fired && !r->s->shutting_down && login)
		action_login(r, TRIG_SCHEDULE, 1);
	else if (fired && !r->s->shutting_down)
		action_restart(r, TRIG_SCHEDULE);
	action_arm_schedules(r);
}

void
action_arm_schedules(struct run *r)
{
	double now_f = wall_now();
	time_t now = (time_t)now_f;
	size_t i;

	for (i = 0; i < r->svc->n_schedule; i++) {
		struct gw_err e;
		time_t next;

		if (r->next_fire[i] != 0)
			continue;	/* armed and not yet due */
		/* strictly after the last firing: never the same instant twice */
		if (sched_next(&r->svc->schedule[i].when, now > r->last_fire[i] ? now :
		    r->last_fire[i], &next, &e) < 0) {
			super_log(r, GW_CRITICAL, "init.schedule_error", NULL,
			    "schedule %s: %s", r->svc->schedule[i].at, e.msg);
			continue;
		}
		r->next_fire[i] = next;
		arm_sched_timer(r, i, now_f);
	}
}
