/*
 * super_shutdown: the ordered shutdown (see super.h): services stop in
 * reverse dependency order, the notifier last after the owner's hold
 * (alerts flushed), then what else is still our child gets SIGTERM and
 * SIGKILL, and done() runs. Inputs: the configuration and /proc.
 */
#include "super_int.h"

#include <signal.h>

void
shutdown_on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct super *s = arg;

	(void)fd;
	(void)what;
	s->sweep = s->sweep == 1 ? 2 : 3;
	shutdown_step(s);
}

/* The services are down: what else is still our child gets SIGTERM, then
 * SIGKILL, so that nothing outlives stack-init (as PID 1 the kernel would
 * kill it without a chance to clean up; as a subreaper it would live on).
 * Returns 1 while there is something to wait for. */
static int
sweep_leftovers(struct super *s)
{
	pid_t kids[MAX_LEFTOVERS];
	int i, n = s->sweep < 3 ? proc_children(kids, MAX_LEFTOVERS) : 0;

	if (n <= 0) {
		s->sweep = 3;
		return 0;
	}
	if (s->sweep == 0 || (s->sweep == 2 && !evtimer_pending(s->sweep_timer, NULL))) {
		int sig = s->sweep == 0 ? SIGTERM : SIGKILL;

		gw_log_event(s->log, sig == SIGTERM ? GW_INFO : GW_WARNING,
		    SUPER_COMPONENT, "init.leftovers", json_pack("{s:i, s:s}",
		    "processes", n, "signal", super_sig_name(sig)), "%d leftover "
		    "process%s outside the services' groups: SIG%s", n,
		    n == 1 ? "" : "es", super_sig_name(sig));
		for (i = 0; i < n; i++)
			kill(kids[i], sig);
		if (s->sweep == 0)
			s->sweep = 1;
		super_arm(s->sweep_timer, sig == SIGTERM ? SWEEP_TERM_S : SWEEP_KILL_S);
	}
	return 1;
}

/* 1 when service a needs b to run, directly or through others. */
static int
needs_svc(const struct super *s, size_t a, size_t b, int depth)
{
	size_t k;

	if (depth > SVC_MAX_SERVICES)	/* cannot happen: no cycles */
		return 0;
	for (k = 0; k < s->runs[a]->svc->n_deps; k++) {
		size_t d = (size_t)s->runs[a]->svc->deps[k].index;

		if (d == b || needs_svc(s, d, b, depth + 1))
			return 1;
	}
	return 0;
}

void
shutdown_on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct super *s = arg;

	(void)fd;
	(void)what;
	shutdown_step(s);
}

/* The hold is over (alerts flushed): go on from the loop. */
static void
hold_resume(void *arg)
{
	struct super *s = arg;

	struct timeval now = { 0, 0 };

	if (s->hold_state != 1)
		return;
	s->hold_state = 2;
	evtimer_add(s->resume_ev, &now);
}

/* Shutdown: stop what may stop now (its dependents are down). The
 * notifier (svc.notifier) stops last: once everything else that can stop
 * is down, the hold (evsend's flush) runs first, then it gets its signal.
 * Without a notifier the hold runs once every service is down. */
void
shutdown_step(struct super *s)
{
	size_t i, running = 0, others = 0;
	int notifier = -1;

	for (i = 0; i < s->n; i++)
		if (s->runs[i]->svc->notifier && s->runs[i]->pid > 0)
			notifier = (int)i;
	for (i = 0; i < s->n; i++)
		if (s->runs[i]->pid > 0 && (int)i != notifier && (notifier < 0 ||
		    !needs_svc(s, (size_t)notifier, i, 0)))
			others++;
	if (others == 0 && s->hold_state == 0) {
		s->hold_state = 1;
		if (s->hold != NULL)
			s->hold(s->hold_arg, hold_resume, s);
		else
			s->hold_state = 2;
	}
	for (i = 0; i < s->n; i++) {
		struct run *r = s->runs[i];

		if (r->pid > 0) {
			running++;
			if (r->st != ST_STOPPING && run_dependents_down(s, r, 0) &&
			    ((int)i != notifier || s->hold_state == 2))
				run_stop(r, r->svc->stop_signal);
		} else if (r->st != ST_FATAL && r->st != ST_EXITED) {
			r->st = ST_DOWN;
		}
	}
	if (running == 0 && s->hold_state == 2 && s->done != NULL &&
	    !sweep_leftovers(s)) {
		void (*done)(void *) = s->done;

		evtimer_del(s->sweep_timer);
		s->done = NULL;
		done(s->done_arg);
	}
}

void
super_shutdown(struct super *s, void (*done)(void *), void *arg)
{
	size_t i, j;

	if (s->shutting_down)
		return;
	s->shutting_down = 1;
	s->done = done;
	s->done_arg = arg;
	gw_log_event(s->log, GW_INFO, SUPER_COMPONENT, "init.shutdown", NULL,
	    "stopping all services in reverse dependency order");
	for (i = 0; i < s->n; i++) {
		struct run *r = s->runs[i];

		if (r->st == ST_BACKOFF)
			evtimer_del(r->timer);
		svccheck_stop(r);
		evtimer_del(r->ready_deadline);
		for (j = 0; j < r->svc->n_schedule; j++)
			evtimer_del(r->sched_timer[j]);
	}
	shutdown_step(s);
}

void
super_on_hold(struct super *s, void (*hold)(void *arg, void (*resume)(void *),
    void *rarg), void *arg)
{
	s->hold = hold;
	s->hold_arg = arg;
}
