/*
 * super: the supervisor behind stack-init (see super.h): the service state
 * machine, dependencies, the restart policy with backoff and crash-loop
 * detection, control and status. Its other parts are in super_*.c (see
 * super_int.h). Inputs: the validated configuration and the kernel's
 * child exit statuses. Each service is a state machine:
 *
 *   WAITING --deps ok--> STARTING --ready--> READY
 *      ^                    |  exit             | exit
 *      |                    v                   v
 *      +---- BACKOFF <-- (policy) ------------- +--> EXITED | FATAL
 *   any running --stop--> STOPPING --exit--> DOWN (--> STARTING if restarting)
 *
 * External services have no process: STARTING while their ready check
 * fails, READY when it passes; only restart actions restart them.
 */
#include "clock.h"
#include "super_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "outq.h"

static const char *const st_names[] = { "down", "waiting", "starting",
	"ready", "stopping", "backoff", "fatal", "exited" };

const char *const super_trig_names[] = { "schedule", "ctl", "follows",
	"health", "ctl" };

static void on_service_exit(struct run *r, int status);
static void restart_run(struct run *r, enum trigger why, const struct run *by);

static void
on_critical_ev(evutil_socket_t fd, short what, void *arg)
{
	struct super *s = arg;

	(void)fd;
	(void)what;
	s->on_critical(s->on_critical_arg);
}

/* A critical service went fatal: remember its code, tell the owner (who
 * shuts the stack down) from the loop, not from inside this call. */
static void
critical(struct super *s, int code)
{
	if (s->critical_failed)
		return;
	s->critical_failed = 1;
	s->exit_code = code;
	if (s->on_critical != NULL)
		event_base_once(s->base, -1, EV_TIMEOUT, on_critical_ev, s, NULL);
}

double
super_now(void)
{
	return (double)clock_mono_ns() / 1e9;
}

void
super_arm(struct event *ev, double s)
{
	struct timeval tv = clock_tv_ms(s * 1000.0);

	evtimer_add(ev, &tv);
}

const char *
super_sig_name(int sig)
{
	const char *n = sigabbrev_np(sig);

	return n ? n : "?";
}

/* "exit 3" / "signal KILL" for logs, and a JSON object for status. */
void
super_describe_status(int status, char *buf, size_t sz)
{
	if (WIFEXITED(status))
		snprintf(buf, sz, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sz, "signal %s%s", super_sig_name(WTERMSIG(status)),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, sz, "status %d", status);
}

json_t *
super_status_json(int status)
{
	if (WIFEXITED(status))
		return json_pack("{s:i}", "code", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return json_pack("{s:s, s:i}", "signal", super_sig_name(WTERMSIG(status)),
		    "code", 128 + WTERMSIG(status));
	return json_null();
}

void
super_log(struct run *r, enum gw_level lvl, const char *event, json_t *fields,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fields == NULL)
		fields = json_object();
	json_object_set_new(fields, "service", json_string(r->svc->name));
	gw_log_event(r->s->log, lvl, SUPER_COMPONENT, event, fields, "%s: %s",
	    r->svc->name, msg);
}

/* ---------- the state machine ---------- */

void
run_set_ready(struct run *r)
{
	if (r->st != ST_STARTING)
		return;
	r->st = ST_READY;
	r->ready_at = super_now();
	svccheck_stop(r);
	super_log(r, GW_INFO, "init.ready", json_pack("{s:f}", "after_s",
	    r->ready_at - r->started), "ready after %.1f s", r->ready_at - r->started);
	if (r->unhealthy) {
		r->unhealthy = 0;
		super_log(r, GW_INFO, "init.healthy", NULL, "healthy again (ready)");
	}
	svccheck_health_start(r);
	if (r->awaiting_ready_after_restart)
		run_complete_restart(r);
	else	/* a respawn (ctl restart, following its leader) */
		rfile_end(r, IR_COMPLETED);
	super_try_start(r->s);
}

/* Its leader's scheduled restart begins: pause or stop the followers that
 * are configured so (not those an operator stopped). */
void
run_followers_begin(struct run *r)
{
	size_t i;

	for (i = 0; i < r->s->n; i++) {
		struct run *f = r->s->runs[i];

		if (f->svc->follows_index != r->idx || f->by_ctl || f->retiring)
			continue;
		if (f->svc->follow_mode == SVC_FOLLOW_PAUSE && f->pid > 0 &&
		    !f->paused && f->st != ST_STOPPING) {
			proc_kill_group(f->pid, SIGSTOP);
			f->paused = 1;
			super_log(f, GW_INFO, "init.paused", json_pack("{s:s}", "leader",
			    r->svc->name), "paused while %s restarts", r->svc->name);
		} else if (f->svc->follow_mode == SVC_FOLLOW_STOP && !f->held) {
			f->held = 1;
			f->want_restart = 0;
			super_log(f, GW_INFO, "init.held", json_pack("{s:s}", "leader",
			    r->svc->name), "stopped while %s restarts", r->svc->name);
			if (f->pid > 0) {
				run_stop(f, f->svc->stop_signal);
			} else if (f->st == ST_BACKOFF || f->st == ST_WAITING) {
				evtimer_del(f->timer);
				f->st = ST_DOWN;
			}
		}
	}
}

/* The leader is ready again after its scheduled restart (restarted = 1),
 * or there is no restart to wait for (its action failed, a reload
 * replaced it): resume paused followers, start held ones, restart those
 * that follow by restarting (only after a real restart). */
void
run_followers_end(struct run *r, int restarted)
{
	size_t i;

	for (i = 0; i < r->s->n; i++) {
		struct run *f = r->s->runs[i];

		if (f->svc->follows_index != r->idx || f->retiring)
			continue;
		if (f->paused) {
			f->paused = 0;
			proc_kill_group(f->pid, SIGCONT);
			super_log(f, GW_INFO, "init.resumed", NULL, "resumed");
		} else if (f->held) {
			f->held = 0;
			if (f->by_ctl)
				continue;
			if (f->st == ST_STOPPING) {
				f->want_restart = 1;	/* starts once down */
			} else if (f->pid <= 0) {
				f->st = ST_WAITING;
				super_try_start(r->s);
			}
		} else if (restarted && !f->by_ctl &&
		    f->svc->follow_mode == SVC_FOLLOW_RESTART) {
			restart_run(f, TRIG_FOLLOW, r);
		}
	}
}

/* "scheduled restart", "restart (ctl)": for messages about it. */
/* Ready again after a scheduled restart: say so, let the followers go. */
void
run_complete_restart(struct run *r)
{
	r->awaiting_ready_after_restart = 0;
	evtimer_del(r->ready_deadline);
	rfile_end(r, IR_COMPLETED);	/* before the followers go on */
	super_log(r, GW_INFO, "init.restart_completed", json_pack("{s:s, s:b}",
	    "trigger", super_trig_names[r->trigger], "login", r->login_action),
	    "ready again after its %s", action_what(r));
	r->login_action = 0;
	run_followers_end(r, 1);
}

static void
on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	char buf[256];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	if (n > 0 && memchr(buf, '\n', (size_t)n) != NULL)
		run_set_ready(r);
	if (n == 0 || (n > 0 && r->st != ST_STARTING)) {
		event_free(r->notify_ev);
		r->notify_ev = NULL;
		close(r->notify_rfd);
		r->notify_rfd = -1;
	}
}

static void
spawn_service(struct run *r)
{
	const struct svc *v = r->svc;
	struct pwfile_user pw;
	struct spawn_opts o;
	int np[2] = { -1, -1 };
	char why[GW_WHY_MAX], rfenv[4200];
	char **env = rfile_env(r, rfenv, sizeof(rfenv));
	pid_t pid;

	memset(&o, 0, sizeof(o));
	o.argv = v->argv;
	o.env = env != NULL ? env : v->env;	/* without memory: its own */
	o.cwd = v->cwd;
	o.out_fd = o.err_fd = o.notify_fd = -1;
	if (proc_user(v->user, &pw, &o, why, sizeof(why)) < 0) {
		if (env != v->env)
			free(env);
		super_log(r, GW_CRITICAL, "init.spawn_failed", NULL, "%s", why);
		r->st = ST_FATAL;
		if (v->critical)
			critical(r->s, 67);	/* EX_NOUSER */
		return;
	}
	if (v->prefix_output) {
		o.out_fd = output_open(r, &r->out, 1, "");
		o.err_fd = output_open(r, &r->err, 2, "");
		if (o.out_fd < 0 || o.err_fd < 0) {
			super_log(r, GW_WARNING, "init.output", NULL, "cannot create "
			    "output pipes (%s): output is passed through without "
			    "a prefix", strerror(errno));
			if (o.out_fd >= 0)
				close(o.out_fd);
			if (o.err_fd >= 0)
				close(o.err_fd);
			o.out_fd = o.err_fd = -1;
			output_close(&r->out);
			output_close(&r->err);
		}
	}
	if (v->ready.kind == SVC_READY_NOTIFY && pipe2(np, O_CLOEXEC) == 0) {
		o.notify_fd = np[1];
		o.notify_target = v->ready.notify_fd;
	}
	pid = proc_spawn(&o, why, sizeof(why));
	if (env != v->env)
		free(env);
	if (o.out_fd >= 0)
		close(o.out_fd);
	if (o.err_fd >= 0)
		close(o.err_fd);
	if (np[1] >= 0)
		close(np[1]);
	if (pid < 0) {
		output_close(&r->out);
		output_close(&r->err);
		if (np[0] >= 0)
			close(np[0]);
		super_log(r, GW_CRITICAL, "init.spawn_failed", NULL, "%s", why);
		/* like an exit 127 at once: the restart policy, backoff and
		 * crash-loop detection decide what happens next */
		r->st = ST_STARTING;
		r->started = super_now();
		on_service_exit(r, 127 << 8);
		return;
	}
	r->pid = pid;
	r->started = super_now();
	r->st = ST_STARTING;
	r->paused = r->held = 0;
	if (np[0] >= 0) {
		r->notify_rfd = np[0];
		r->notify_ev = event_new(r->s->base, np[0], EV_READ | EV_PERSIST, on_notify, r);
		event_add(r->notify_ev, NULL);
	}
	super_log(r, GW_INFO, "init.started", json_pack("{s:i}", "pid", (int)pid),
	    "started, pid %d", (int)pid);
	if (v->ready.kind == SVC_READY_NONE)
		run_set_ready(r);	/* no check: running is ready */
	else if (v->ready.kind == SVC_READY_COMMAND)
		svccheck_start(r);
	else	/* notification: a deadline for it */
		super_arm(r->check_timer, v->ready.start_period_s);
	super_try_start(r->s);
}

/* ---------- readiness checks ---------- */
/* ---------- dependencies ---------- */

static int
deps_ok(const struct super *s, const struct run *r)
{
	size_t i;

	for (i = 0; i < r->svc->n_deps; i++) {
		const struct svc_dep *d = &r->svc->deps[i];
		enum st ds = s->runs[d->index]->st;

		if (d->condition == SVC_DEP_READY ? ds != ST_READY :
		    ds != ST_READY && ds != ST_STARTING)
			return 0;
	}
	return 1;
}

void
super_try_start(struct super *s)
{
	size_t k;

	if (s->shutting_down)
		return;
	for (k = 0; k < s->n; k++) {
		struct run *r = s->runs[s->conf->order[k]];

		if (r->st == ST_WAITING && deps_ok(s, r)) {
			if (r->svc->external) {
				r->st = ST_STARTING;
				r->started = super_now();
				if (r->svc->ready.kind == SVC_READY_COMMAND)
					svccheck_start(r);
				else
					run_set_ready(r);
			} else if (r->login_hold == RELAUNCH_HOLD_CAP ||
			    r->login_hold == RELAUNCH_HOLD_LOCKED) {
				continue;	/* released by ctl login, the
						 * end of the lock-out */
			} else if (!r->have_exit || !svclogin_relaunch_held(r)) {
				spawn_service(r);	/* a first start is
							 * never held */
			}
		}
	}
}

/* ---------- exits, policy, backoff ---------- */

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (r->st == ST_BACKOFF) {
		r->st = ST_WAITING;
		r->restarts++;
		super_try_start(r->s);
	} else if (r->st == ST_STOPPING && r->pid > 0) {
		super_log(r, GW_WARNING, "init.killed", json_pack("{s:i}", "pid", (int)r->pid),
		    "did not stop within %g s: SIGKILL", r->svc->stop_timeout_s);
		proc_kill_group(r->pid, SIGKILL);
	}
}


static int
crash_loop(struct run *r, double now)
{
	size_t i, n = 0;

	if (r->n_fails == FAIL_RING) {
		memmove(r->fails, r->fails + 1, sizeof(r->fails[0]) * (FAIL_RING - 1));
		r->n_fails--;
	}
	r->fails[r->n_fails++] = now;
	for (i = 0; i < r->n_fails; i++)
		if (now - r->fails[i] <= r->svc->crash_loop.window_s)
			n++;
	return (int)n >= r->svc->crash_loop.failures;
}

static void
on_service_exit(struct run *r, int status)
{
	const struct svc *v = r->svc;
	double now = super_now(), ran = now - r->started;
	int failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0), restart;
	int live;
	char d[64];

	/* the leader is gone: what is left of its process group (a worker
	 * that ignored the stop signal, a background child) goes with it, so
	 * that nothing outlives the service holding its ports. Only a live
	 * process killed is news: exited ones waiting to be reaped are not */
	if (proc_kill_group(r->pid, 0) == 0) {	/* not empty: look closer */
		live = proc_group_live(r->pid, r->st == ST_STOPPING ? r->stop_sig : 0);
		proc_kill_group(r->pid, SIGKILL);
		if (live > 0)
			super_log(r, GW_WARNING, "init.killed_group", json_pack("{s:i, "
			    "s:i}", "pgid", (int)r->pid, "processes", live),
			    "killed what was left of its process group (%d "
			    "process%s)", live, live == 1 ? "" : "es");
		else
			super_log(r, GW_DEBUG, "init.killed_group", json_pack("{s:i, "
			    "s:i}", "pgid", (int)r->pid, "processes", 0),
			    "its process group held only exited processes");
	}
	output_drain(&r->out);
	output_drain(&r->err);
	r->pid = 0;
	r->paused = 0;
	r->have_exit = 1;
	svclogin_process_exit(r);
	r->last_status = status;
	svccheck_stop(r);
	if (r->notify_ev != NULL) {
		event_free(r->notify_ev);
		r->notify_ev = NULL;
		close(r->notify_rfd);
		r->notify_rfd = -1;
	}
	super_describe_status(status, d, sizeof(d));
	if (r->st == ST_STOPPING) {
		/* clean: exit 0 or 128+N, or death by the signal sent (or by
		 * the SIGKILL init.killed already reported) */
		int clean = WIFEXITED(status) ? WEXITSTATUS(status) == 0 ||
		    WEXITSTATUS(status) == 128 + r->stop_sig :
		    WIFSIGNALED(status) && (WTERMSIG(status) == r->stop_sig ||
		    WTERMSIG(status) == SIGKILL);

		evtimer_del(r->timer);
		r->st = ST_DOWN;
		super_log(r, clean ? GW_INFO : GW_WARNING, "init.stopped",
		    json_pack("{s:o}", "exit", super_status_json(status)), "stopped "
		    "(%s)%s", d, clean ? "" : ": not a clean stop");
		if (r->s->shutting_down) {
			shutdown_step(r->s);
		} else if (r->retiring) {
			reload_step(r->s);
		} else if (r->want_restart) {
			r->want_restart = 0;
			r->restarts++;
			r->st = ST_WAITING;
			super_try_start(r->s);
		}
		return;
	}
	super_log(r, failed ? GW_WARNING : GW_INFO, "init.exited", json_pack("{s:o, s:f}",
	    "exit", super_status_json(status), "ran_s", ran), "exited (%s) after %.1f s", d, ran);
	if (r->s->shutting_down) {
		r->st = ST_DOWN;
		shutdown_step(r->s);
		return;
	}
	if (r->retiring) {
		r->st = ST_DOWN;
		reload_step(r->s);
		return;
	}
	switch (v->restart) {
	case SVC_RESTART_NO: restart = 0; break;
	case SVC_RESTART_ON_FAILURE: restart = failed; break;
	default: restart = !r->by_ctl; break;
	}
	if (!restart) {
		r->st = ST_EXITED;
		return;
	}
	if (ran >= v->backoff.reset_after_s)
		r->delay = v->backoff.initial_s;
	if (failed && crash_loop(r, now)) {
		super_log(r, GW_CRITICAL, "init.crash_loop", json_pack("{s:i, s:f, s:b}",
		    "failures", v->crash_loop.failures, "window_s", v->crash_loop.window_s,
		    "give_up", v->crash_loop.give_up),
		    "crash loop: %d failures within %.0f s; %s", v->crash_loop.failures,
		    v->crash_loop.window_s, v->crash_loop.give_up ?
		    "giving up until 'stack-init ctl start'" : "retrying at the backoff cap");
		if (v->crash_loop.give_up) {
			r->st = ST_FATAL;
			if (v->critical)
				critical(r->s, WIFEXITED(status) ? WEXITSTATUS(status) :
				    128 + WTERMSIG(status));
			return;
		}
		r->delay = v->backoff.max_s;
		r->n_fails = 0;
	}
	r->st = ST_BACKOFF;
	super_log(r, GW_DEBUG, "init.backoff", json_pack("{s:f}", "delay_s", r->delay),
	    "restarting in %.3f s", r->delay);
	super_arm(r->timer, r->delay);
	r->delay = r->delay * 2 > v->backoff.max_s ? v->backoff.max_s : r->delay * 2;
}

void
super_reap(struct super *s)
{
	pid_t pid;
	int status;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct run *hit = NULL;
		int kind = 0;

		for (i = 0; i < s->n && hit == NULL; i++) {
			struct run *r = s->runs[i];

			if (r->pid == pid)
				hit = r, kind = 1;
			else if (r->check_pid == pid)
				hit = r, kind = 2;
			else if (r->action_pid == pid)
				hit = r, kind = 3;
		}
		if (kind == 1)
			on_service_exit(hit, status);
		else if (kind == 2)
			svccheck_exit(hit, status);
		else if (kind == 3)
			action_exit(hit, status);
		else
			gw_log_event(s->log, GW_DEBUG, SUPER_COMPONENT, "init.reaped",
			    json_pack("{s:i}", "pid", (int)pid), "reaped orphan pid %d",
			    (int)pid);
	}
	if (s->shutting_down && s->sweep > 0 && s->sweep < 3)
		shutdown_step(s);	/* a leftover went: maybe all did */
}

/* ---------- stopping ---------- */

void
run_stop(struct run *r, int sig)
{
	if (r->pid <= 0 || r->st == ST_STOPPING)
		return;
	r->st = ST_STOPPING;
	r->stop_sig = sig;
	svccheck_stop(r);
	super_log(r, GW_INFO, "init.stopping", json_pack("{s:s}", "signal",
	    super_sig_name(sig)), "sending SIG%s", super_sig_name(sig));
	proc_kill_group(r->pid, sig);
	if (r->paused) {	/* a stopped process acts on it once continued */
		r->paused = 0;
		proc_kill_group(r->pid, SIGCONT);
	}
	super_arm(r->timer, r->svc->stop_timeout_s);
}

/* A service may stop once none of its dependents (with retiring: none of
 * its retiring dependents, in a reload) is still running. */
int
run_dependents_down(const struct super *s, const struct run *r, int retiring)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct run *o = s->runs[i];

		if (o->pid <= 0 || (retiring && !o->retiring))
			continue;
		for (j = 0; j < o->svc->n_deps; j++)
			if (o->svc->deps[j].index == r->idx)
				return 0;
	}
	return 1;
}

void
super_forward(struct super *s, int sig)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->runs[i]->pid > 0 && sig > 0 && sig < 64 &&
		    (s->runs[i]->svc->forward_signals & (1ULL << sig)))
			proc_kill_group(s->runs[i]->pid, sig);
}

/* ---------- life cycle and control ---------- */

void
run_free(struct run *r)
{
	size_t j;

	if (r == NULL)
		return;
	{
		struct event *evs[] = { r->timer, r->check_timer, r->check_deadline,
		    r->ready_deadline, r->action_deadline, r->notify_ev };

		for (j = 0; j < sizeof(evs) / sizeof(evs[0]); j++)
			if (evs[j] != NULL)
				event_free(evs[j]);
	}
	for (j = 0; j < SVC_MAX_SCHEDULES; j++)
		if (r->sched_timer[j] != NULL)
			event_free(r->sched_timer[j]);
	if (r->notify_rfd >= 0)
		close(r->notify_rfd);
	output_close(&r->out);
	output_close(&r->err);
	output_close(&r->check_err);
	output_close(&r->act_out);
	output_close(&r->act_err);
	action_cancel(r);
	svclogin_close(r);
	free(r);
}

/* A run for service svc (index idx of the configuration), waiting. */
struct run *
run_new(struct super *s, const struct svc *svc, int idx)
{
	struct run *r = calloc(1, sizeof(*r));
	struct pipe_out *po[] = { &r->out, &r->err, &r->check_err, &r->act_out,
	    &r->act_err };
	size_t j;

	if (r == NULL)
		return NULL;
	r->s = s;
	r->svc = svc;
	r->idx = idx;
	r->st = ST_WAITING;
	r->delay = svc->backoff.initial_s;
	r->notify_rfd = -1;
	for (j = 0; j < sizeof(po) / sizeof(po[0]); j++)
		po[j]->fd = -1;
	r->timer = evtimer_new(s->base, on_timer, r);
	r->check_timer = evtimer_new(s->base, svccheck_on_timer, r);
	r->check_deadline = evtimer_new(s->base, svccheck_on_deadline, r);
	r->ready_deadline = evtimer_new(s->base, action_on_ready_deadline, r);
	r->action_deadline = evtimer_new(s->base, action_on_deadline, r);
	rfile_init(r);
	for (j = 0; j < svc->n_schedule; j++)
		if ((r->sched_timer[j] = evtimer_new(s->base, action_on_schedule, r)) == NULL)
			break;
	if (!r->timer || !r->check_timer || !r->check_deadline ||
	    !r->ready_deadline || !r->action_deadline || j < svc->n_schedule ||
	    svclogin_open(r) < 0) {
		run_free(r);
		return NULL;
	}
	return r;
}

struct super *
super_new(struct event_base *base, struct svcconf *conf,
    struct gw_log *log, struct gw_err *err)
{
	struct super *s = calloc(1, sizeof(*s));
	size_t i;

	if (s == NULL) {
		gw_err_set(err, "supervisor: out of memory");
		return NULL;
	}
	s->base = base;
	s->log = log;
	s->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if ((s->sweep_timer = evtimer_new(base, shutdown_on_sweep, s)) == NULL ||
	    (s->resume_ev = evtimer_new(base, shutdown_on_resume, s)) == NULL) {
		gw_err_set(err, "supervisor: cannot create timers");
		if (s->sweep_timer != NULL)
			event_free(s->sweep_timer);
		if (s->devnull >= 0)
			close(s->devnull);
		free(s);
		return NULL;
	}
	for (i = 0; i < conf->n; i++) {
		if ((s->runs[i] = run_new(s, &conf->svc[i], (int)i)) == NULL) {
			gw_err_set(err, "supervisor: cannot create timers");
			s->n = i;
			super_free(s);	/* the caller still owns conf */
			return NULL;
		}
	}
	s->n = conf->n;
	s->conf = conf;
	return s;
}

void
super_free(struct super *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		run_free(s->runs[i]);
	for (i = 0; i < SVC_MAX_SERVICES; i++)
		run_free(s->fresh[i]);
	if (s->sweep_timer != NULL)
		event_free(s->sweep_timer);
	if (s->resume_ev != NULL)
		event_free(s->resume_ev);
	for (i = 1; i <= 2; i++)
		if (s->q[i] != NULL)
			outq_on_drain(s->q[i], 0, NULL, NULL);
	svcconf_free(s->next);
	svcconf_free(s->conf);
	if (s->devnull >= 0)
		close(s->devnull);
	free(s);
}

const struct svcconf *
super_config(const struct super *s)
{
	return s->conf;
}

void
super_start(struct super *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		rfile_remove_stale(s->runs[i]);
		action_arm_schedules(s->runs[i]);
	}
	super_try_start(s);
}

/* Restart a service now (ctl restart, a follower of leader by): stop and
 * start again, or start it if it is not running. An external one goes
 * through its restart action. */
static void
restart_run(struct run *r, enum trigger why, const struct run *by)
{
	if (why == TRIG_FOLLOW && svclogin_blocks(r, "restart following its "
	    "leader", why))
		return;
	r->n_fails = 0;
	r->delay = r->svc->backoff.initial_s;
	r->held = 0;
	if (r->svc->external) {
		action_restart(r, why);
		return;
	}
	if (why != TRIG_START) {
		super_log(r, GW_INFO, "init.restart_requested", json_pack("{s:s, s:s, "
		    "s:s?}", "trigger", super_trig_names[why], "method", r->pid > 0 ?
		    "respawn" : "start", "leader", by ? by->svc->name : NULL),
		    "%s%s%s (%s)", why == TRIG_FOLLOW ? "restart following " :
		    "restart requested by ctl", by ? by->svc->name : "", by ?
		    "'s restart" : "", r->pid > 0 ? "stop signal, then respawn" :
		    "not running: start");
		/* the file first: it says in_progress before the stop signal */
		rfile_begin(r, why, r->pid > 0 ? "respawn" : "start");
		if (!r->awaiting_ready_after_restart)	/* its not_ready */
			super_arm(r->ready_deadline, r->svc->ready_after_restart_s);
	}
	if (r->pid > 0) {
		r->want_restart = 1;
		run_stop(r, r->svc->stop_signal);
		return;
	}
	if (r->st == ST_BACKOFF)
		evtimer_del(r->timer);
	r->st = ST_WAITING;
	super_try_start(r->s);
}

/* The run a control request names, or NULL with err: an unknown service,
 * a shutdown under way, or a service a reload is stopping. */
static struct run *
ctl_target(struct super *s, const char *name, struct gw_err *err)
{
	int i = svcconf_find(s->conf, name);

	if (i < 0) {
		char q[48];

		gw_err_quote(q, sizeof(q), name, strlen(name));
		gw_err_set(err, "unknown service '%s'", q);
		return NULL;
	}
	if (s->shutting_down) {
		gw_err_set(err, "shutting down");
		return NULL;
	}
	if (s->runs[i]->retiring) {
		gw_err_set(err, "service '%s' is being stopped by a reload", name);
		return NULL;
	}
	return s->runs[i];
}

int
super_ctl(struct super *s, const char *verb, const char *name,
    struct gw_err *err)
{
	struct run *r = ctl_target(s, name, err);

	if (r == NULL)
		return -1;
	if (r->svc->external && strcmp(verb, "restart") != 0)
		return gw_err_set(err, "service '%s' is external: only restart "
		    "(its restart action) applies", name);
	if (strcmp(verb, "restart") == 0 && svclogin_pending(r)) {
		char t[256];

		svclogin_pending_text(r, "", t, sizeof(t));
		return gw_err_set(err, "service '%s': a login is pending, %s: not "
		    "restarting; approve it, or 'stack-init ctl login %s --force' "
		    "for a fresh push", name, t, name);
	}
	if (strcmp(verb, "stop") == 0) {
		r->by_ctl = 1;
		r->want_restart = 0;
		r->login_hold = RELAUNCH_GO;	/* stopped: nothing held back */
		/* stopped on purpose: no "not ready after restart" alert; its
		 * followers stay paused or held until it is ready again. The
		 * restart file says the restart will not complete (failed):
		 * its readers stop holding their alerts now, not at its
		 * deadline */
		evtimer_del(r->ready_deadline);
		rfile_end(r, IR_FAILED);
		if (r->st == ST_BACKOFF) {
			evtimer_del(r->timer);
			r->st = ST_DOWN;
		} else if (r->pid > 0) {
			run_stop(r, r->svc->stop_signal);
		} else if (r->st == ST_WAITING) {
			r->st = ST_DOWN;
		}
		return 0;
	}
	if (strcmp(verb, "start") == 0 && r->pid <= 0 &&
	    (r->login_hold == RELAUNCH_HOLD_CAP || r->login_hold == RELAUNCH_HOLD_LOCKED)) {
		char t[256];

		if (r->login_hold == RELAUNCH_HOLD_LOCKED) {
			svclogin_pending_text(r, "", t, sizeof(t));
			return gw_err_set(err, "service '%s' is held: %s; 'stack-init "
			    "ctl login %s --force' relaunches it now", name, t, name);
		}
		return gw_err_set(err, "service '%s' is held: its cold relaunches "
		    "reached login.max_cold_per_hour; 'stack-init ctl login %s' "
		    "relaunches it", name, name);
	}
	if (strcmp(verb, "start") == 0 || strcmp(verb, "restart") == 0) {
		r->by_ctl = 0;
		if (strcmp(verb, "start") == 0 && r->paused) {
			r->paused = 0;
			proc_kill_group(r->pid, SIGCONT);
			super_log(r, GW_INFO, "init.resumed", NULL, "resumed by ctl");
			return 0;
		}
		if (strcmp(verb, "start") == 0 && r->st == ST_STOPPING) {
			r->want_restart = 1;	/* back once it is down */
			return 0;
		}
		if (strcmp(verb, "start") == 0 && r->pid > 0)
			return 0;	/* already running */
		restart_run(r, strcmp(verb, "start") == 0 ? TRIG_START : TRIG_CTL,
		    NULL);
		return 0;
	}
	{
		char q[48];

		gw_err_quote(q, sizeof(q), verb, strlen(verb));
		return gw_err_set(err, "unknown command '%s' (start, stop, restart)", q);
	}
}

json_t *
super_status(const struct super *s)
{
	json_t *a = json_array();
	double now = super_now();
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct run *r = s->runs[i];
		json_t *next = json_null();
		time_t best = 0;
		char buf[32];

		for (j = 0; j < r->svc->n_schedule; j++)
			if (r->next_fire[j] && (best == 0 || r->next_fire[j] < best))
				best = r->next_fire[j];
		if (best) {
			struct tm tm;

			gmtime_r(&best, &tm);
			strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
			next = json_string(buf);
		}
		json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:i, s:o, s:b, s:b, s:o}",
		    "name", r->svc->name, "state", r->paused ? "paused" :
		    (r->held || r->login_hold != RELAUNCH_GO) && r->pid <= 0 ? "held" :
		    st_names[r->st],
		    "pid", r->pid > 0 ? json_integer(r->pid) : json_null(),
		    "uptime_s", r->pid > 0 ? json_real(now - r->started) : json_null(),
		    "restarts", (int)r->restarts,
		    "last_exit", r->have_exit ? super_status_json(r->last_status) : json_null(),
		    "ready", r->st == ST_READY, "external", r->svc->external,
		    "next_restart", next);
		json_t *login = svclogin_status(r);

		if (o != NULL)
			json_object_set_new(o, "restart", rfile_status(r));
		if (o != NULL && login != NULL)
			json_object_set_new(o, "login", login);
		else
			json_decref(login);
		json_array_append_new(a, o);
	}
	return a;
}

int
super_login(struct super *s, const char *name, int force, struct gw_err *err)
{
	struct run *r = ctl_target(s, name, err);
	char t[256];

	if (r == NULL)
		return -1;
	if (r->svc->login.ibc_log == SVC_IBC_LOG_NONE)
		return gw_err_set(err, "service '%s' has no \"ibc_log\": "
		    "stack-init does not see its login", name);
	if (r->svc->external && r->svc->restart_action.kind != SVC_ACTION_IBC)
		return gw_err_set(err, "service '%s' is external and its "
		    "restart_action is not ibc: stack-init cannot make it log in "
		    "again (that takes IBC STOP)", name);
	if (svclogin_pending(r) && !force) {
		json_t *f = json_pack("{s:s}", "reason", "pending");

		svclogin_pending_text(r, "", t, sizeof(t));
		super_log(r, GW_INFO, "init.login_refused", f, "ctl login "
		    "refused: a login is pending, %s", t);
		gw_err_set(err, "service '%s': a login is pending, %s; approve "
		    "it, or 'stack-init ctl login %s --force' for a fresh push",
		    name, t, name);
		return 1;
	}
	if (r->action_pid > 0 || r->act != NULL)
		return gw_err_set(err, "service '%s': its restart action is still "
		    "running", name);
	r->by_ctl = 0;
	action_login(r, TRIG_CTL, force ? 2 : 1);
	return 0;
}

int
super_exit_code(const struct super *s)
{
	return s->exit_code;
}

void
super_on_critical(struct super *s, void (*cb)(void *arg), void *arg)
{
	s->on_critical = cb;
	s->on_critical_arg = arg;
}

int
super_critical_failed(const struct super *s)
{
	return s->critical_failed;
}
