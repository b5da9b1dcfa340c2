/*
 * super_check: readiness and health checks (see super_int.h). A starting
 * service's ready command runs every interval until it passes (then the
 * run is ready), or its notification fd is given a start period; a ready
 * service's health command runs every interval, and health.retries
 * failures in a row make it unhealthy (an alert, or a restart through its
 * restart action). Inputs: the validated configuration and the checks'
 * exit statuses.
 */
#include "super_int.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void health_result(struct run *r, int status);

/* When the next readiness check runs after a failed one: fast_interval
 * when its exit status is one of fast_exit (a failure that is cheap to
 * check again, e.g. gw-probe's unreachable: nothing listens yet), else
 * interval. A check killed by its timeout died of a signal: never fast. */
static double
retry_after(const struct run *r, int status)
{
	const struct svc_ready *c = &r->svc->ready;
	size_t i;

	if (WIFEXITED(status))
		for (i = 0; i < c->n_fast_exit; i++)
			if (WEXITSTATUS(status) == c->fast_exit[i])
				return c->fast_interval_s;
	return c->interval_s;
}

/* No verdict on a health check while r restarts on purpose, or while the
 * leader it follows does: failing then is expected, not an alert. */
static int
health_excused(const struct run *r)
{
	int l = r->svc->follows_index;

	return r->paused || rfile_in_progress(r) || (l >= 0 &&
	    (size_t)l < r->s->n && rfile_in_progress(r->s->runs[l]));
}

/* A readiness check (starting) or a health check (ready) is due. */
void
svccheck_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	int health = r->st == ST_READY && r->svc->health.enabled;
	char *const *argv = r->svc->ready.argv;
	struct spawn_opts o;
	char why[GW_WHY_MAX];

	(void)fd;
	(void)what;
	if (health && r->paused) {	/* frozen around its leader's restart:
					 * not judged, checked again later */
		super_arm(r->check_timer, r->svc->health.interval_s);
		return;
	}
	if ((r->st != ST_STARTING && !health) || r->check_pid > 0)
		return;
	if (!health && r->svc->ready.kind == SVC_READY_NOTIFY) {	/* its start period ended */
		super_log(r, GW_ERROR, "init.not_ready", json_pack("{s:f}", "waited_s",
		    super_now() - r->started), "no readiness notification after %.0f s",
		    r->svc->ready.start_period_s);
		return;
	}
	if (health && r->svc->health.argv != NULL)
		argv = r->svc->health.argv;
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.notify_fd = -1;
	/* stdout is dropped (a check runs every interval), stderr says why
	 * it failed: prefixed "name (check) | " or "name (health) | " */
	o.out_fd = r->s->devnull;
	o.err_fd = r->svc->prefix_output ? output_open(r, &r->check_err, 2,
	    health ? " (health)" : " (check)") : -1;
	if (r->check_pw_rc < 0) {
		snprintf(why, sizeof(why), "%s", r->check_pw_why);
		r->check_pid = -1;
	} else {
		if (r->check_as_user)
			o.user = &r->check_pw;
		r->check_pid = proc_spawn(&o, why, sizeof(why));
	}
	if (o.err_fd >= 0)
		close(o.err_fd);
	if (r->check_pid < 0) {
		r->check_pid = 0;
		if (!r->warned_unready)
			super_log(r, GW_ERROR, "init.check_failed", json_pack("{s:s}",
			    "check", health ? "health" : "ready"), "%s check: %s",
			    health ? "health" : "readiness", why);
		r->warned_unready = 1;
		if (health)	/* counts as a failed check */
			health_result(r, 127 << 8);
		else
			super_arm(r->check_timer, r->svc->ready.interval_s);
		return;
	}
	super_arm(r->check_deadline, health ? r->svc->health.timeout_s :
	    r->svc->ready.timeout_s);
}

void
svccheck_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (r->check_pid > 0)
		proc_kill_group(r->check_pid, SIGKILL);	/* reaped as a failed check */
}

/* A series of checks begins: look up their user once (not the files
 * every interval) and run the first after delay. */
static void
begin_series(struct run *r, const char *user, double delay)
{
	struct spawn_opts o;

	r->check_since = super_now();
	r->warned_unready = 0;
	memset(&o, 0, sizeof(o));
	r->check_as_user = user != NULL;
	r->check_pw_rc = proc_user(user, &r->check_pw, &o, r->check_pw_why,
	    sizeof(r->check_pw_why));
	super_arm(r->check_timer, delay);
}

void
svccheck_start(struct run *r)
{
	begin_series(r, r->svc->ready.user ? r->svc->ready.user : r->svc->user, 0);
}

/* Ready: health checks every interval, the first one interval from now.
 * Their user: health.user, else the ready check's when its command is
 * reused, else the service's. */
void
svccheck_health_start(struct run *r)
{
	const struct svc_health *h = &r->svc->health;
	const char *user = h->user;

	r->health_fails = 0;
	if (!h->enabled || r->s->shutting_down)
		return;
	if (user == NULL && h->argv == NULL)
		user = r->svc->ready.user;
	begin_series(r, user ? user : r->svc->user, h->interval_s);
}

/* Stop the series; a check still running is killed, and its exit will
 * not be taken for a result (its pid is forgotten: reaped as an orphan). */
void
svccheck_stop(struct run *r)
{
	evtimer_del(r->check_timer);
	evtimer_del(r->check_deadline);
	if (r->check_pid > 0)
		proc_kill_group(r->check_pid, SIGKILL);
	r->check_pid = 0;
}

/* A health check ended (status as from waitpid). After health.retries
 * failures in a row: init.unhealthy, and with action restart the restart
 * action (once per unhealthy spell); a pass after that: init.healthy. */
static void
health_result(struct run *r, int status)
{
	const struct svc_health *h = &r->svc->health;
	char d[64];

	if (health_excused(r)) {	/* frozen while the check ran, or a
					 * restart under way: no verdict */
		super_arm(r->check_timer, h->interval_s);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (r->unhealthy)
			super_log(r, GW_INFO, "init.healthy", json_pack("{s:i}",
			    "failures", r->health_fails), "healthy again after %d "
			    "failed health check%s", r->health_fails,
			    r->health_fails == 1 ? "" : "s");
		r->unhealthy = 0;
		r->health_fails = 0;
		r->warned_unready = 0;
	} else if (++r->health_fails == h->retries) {
		super_describe_status(status, d, sizeof(d));
		r->unhealthy = 1;
		super_log(r, GW_ERROR, "init.unhealthy", json_pack("{s:i, s:o, s:s}",
		    "failures", r->health_fails, "last", super_status_json(status),
		    "action", h->action == SVC_HEALTH_RESTART ? "restart" : "alert"),
		    "unhealthy: %d health check%s failed in a row (last: %s)%s",
		    r->health_fails, r->health_fails == 1 ? "" : "s", d,
		    h->action == SVC_HEALTH_RESTART ? "; restarting it" : "");
		if (h->action == SVC_HEALTH_RESTART) {
			action_restart(r, TRIG_HEALTH);
			if (r->st != ST_READY)
				return;	/* stopping or starting: its own checks */
		}
	}
	super_arm(r->check_timer, h->interval_s);
}

void
svccheck_exit(struct run *r, int status)
{
	double waited = super_now() - r->check_since, left;

	r->check_pid = 0;
	output_drain(&r->check_err);
	evtimer_del(r->check_deadline);
	if (r->st == ST_READY && r->svc->health.enabled) {
		health_result(r, status);
		return;
	}
	if (r->st != ST_STARTING)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if ((left = r->need_down_until - super_now()) > 0) {
			/* maybe still the old instance: check again, at the
			 * latest when the settle time ends */
			super_arm(r->check_timer, left < r->svc->ready.interval_s ?
			    left : r->svc->ready.interval_s);
			return;
		}
		r->need_down_until = 0;
		run_set_ready(r);
		return;
	}
	r->need_down_until = 0;	/* it went down: the next pass is the new one */
	if (waited > r->svc->ready.start_period_s && !r->warned_unready) {
		char d[64], t[256] = "";
		int pending = svclogin_pending(r);

		super_describe_status(status, d, sizeof(d));
		if (pending)	/* not a fault: the login waits for a person */
			svclogin_pending_text(r, "", t, sizeof(t));
		r->warned_unready = 1;
		super_log(r, pending ? GW_WARNING : GW_ERROR, "init.not_ready",
		    json_pack("{s:f, s:b}", "waited_s", waited, "login_pending",
		    pending), "not ready after %.0f s (start period %.0f s; last "
		    "check: %s); still checking%s%s", waited,
		    r->svc->ready.start_period_s, d, pending ? ": a login is "
		    "pending, " : "", t);
	}
	super_arm(r->check_timer, retry_after(r, status));
}
