/*
 * super_reload: a new, validated configuration takes over (see
 * super_reload in super.h). Services that are gone or changed retire
 * (stopped, dependents first); once they are down the new table replaces
 * the old, unchanged services keep their runs, new and changed ones start.
 */
#include "super_int.h"

#include <signal.h>
#include <string.h>

/* A reload removed or changed this service: stop it for good. */
static void
retire(struct run *r)
{
	size_t j;

	r->retiring = 1;
	r->want_restart = 0;
	r->awaiting_ready_after_restart = 0;
	evtimer_del(r->ready_deadline);
	for (j = 0; j < r->svc->n_schedule; j++)
		evtimer_del(r->sched_timer[j]);
	/* its paused or held followers stay so: the new instance releases
	 * them once ready (reload_step) */
	svccheck_stop(r);
	if (r->action_pid > 0)
		proc_kill_group(r->action_pid, SIGKILL);
	action_cancel(r);
	if (r->pid <= 0) {
		evtimer_del(r->timer);
		r->st = ST_DOWN;
	}	/* else stopped by reload_step, dependents first */
}

void
reload_step(struct super *s)
{
	struct run *runs[SVC_MAX_SERVICES];
	struct svcconf *next = s->next;
	size_t i, kept = 0;

	int waiting = 0, fresh[SVC_MAX_SERVICES] = { 0 };

	if (next == NULL || s->shutting_down)
		return;
	/* stop the retiring services as shutdown does: dependents first */
	for (i = 0; i < s->n; i++) {
		struct run *r = s->runs[i];

		if (!r->retiring || r->pid <= 0)
			continue;
		waiting = 1;
		if (r->st != ST_STOPPING && run_dependents_down(s, r, 1)) {
			r->want_restart = 0;
			run_stop(r, r->svc->stop_signal);
		}
	}
	if (waiting)
		return;
	for (i = 0; i < next->n; i++) {
		int o = svcconf_find(s->conf, next->svc[i].name);

		if (s->fresh[i] != NULL) {
			runs[i] = s->fresh[i];
			s->fresh[i] = NULL;
			fresh[i] = 1;
		} else {	/* kept: same service, maybe another index */
			runs[i] = s->runs[o];
			s->runs[o] = NULL;
			runs[i]->svc = &next->svc[i];
			runs[i]->idx = (int)i;
			kept++;
		}
	}
	for (i = 0; i < s->n; i++)
		run_free(s->runs[i]);	/* the retired ones */
	memcpy(s->runs, runs, next->n * sizeof(runs[0]));
	s->n = next->n;
	svcconf_free(s->conf);
	s->conf = next;
	s->next = NULL;
	gw_log_event(s->log, GW_INFO, SUPER_COMPONENT, "init.reloaded",
	    json_pack("{s:i, s:i}", "services", (int)s->n, "kept", (int)kept),
	    "configuration reloaded: %zu services, %zu kept running", s->n, kept);
	for (i = 0; i < s->n; i++) {
		struct run *f = s->runs[i], *l;

		if (f->st == ST_WAITING)
			action_arm_schedules(f);
		/* a follower paused or held for a leader this reload replaced:
		 * the new leader's first "ready" lets it go (or its deadline
		 * alerts) */
		if ((f->paused || f->held) && f->svc->follows_index >= 0 &&
		    fresh[f->svc->follows_index]) {
			l = s->runs[f->svc->follows_index];
			if (!l->awaiting_ready_after_restart) {
				l->awaiting_ready_after_restart = 1;
				super_arm(l->ready_deadline, l->svc->ready_after_restart_s);
			}
		}
	}
	super_try_start(s);
}

int
super_reload(struct super *s, struct svcconf *next, json_t **summary,
    struct gw_err *err)
{
	json_t *add = json_array(), *rm = json_array(), *chg = json_array(),
	    *same = json_array();
	size_t i;

	if (s->shutting_down || s->next != NULL) {
		json_decref(add), json_decref(rm), json_decref(chg), json_decref(same);
		return gw_err_set(err, s->shutting_down ? "shutting down" :
		    "a reload is already in progress");
	}
	for (i = 0; i < next->n; i++) {
		int o = svcconf_find(s->conf, next->svc[i].name);

		if (o >= 0 && svcconf_svc_equal(s->runs[o]->svc, &next->svc[i])) {
			json_array_append_new(same, json_string(next->svc[i].name));
			continue;
		}
		json_array_append_new(o < 0 ? add : chg,
		    json_string(next->svc[i].name));
		if ((s->fresh[i] = run_new(s, &next->svc[i], (int)i)) == NULL) {
			for (i = 0; i < SVC_MAX_SERVICES; i++) {
				run_free(s->fresh[i]);
				s->fresh[i] = NULL;
			}
			json_decref(add), json_decref(rm), json_decref(chg),
			    json_decref(same);
			return gw_err_set(err, "out of memory");
		}
	}
	s->next = next;
	for (i = 0; i < s->n; i++) {
		struct run *r = s->runs[i];
		int j = svcconf_find(next, r->svc->name);

		if (j < 0)
			json_array_append_new(rm, json_string(r->svc->name));
		if (j < 0 || s->fresh[j] != NULL)
			retire(r);
	}
	gw_log_event(s->log, GW_INFO, SUPER_COMPONENT, "init.reload",
	    json_pack("{s:O, s:O, s:O, s:i}", "added", add, "removed", rm,
	    "changed", chg, "unchanged", (int)json_array_size(same)),
	    "reloading: %zu added, %zu removed, %zu changed, %zu unchanged",
	    json_array_size(add), json_array_size(rm), json_array_size(chg),
	    json_array_size(same));
	if (summary != NULL)
		*summary = json_pack("{s:o, s:o, s:o, s:o}", "added", add, "removed",
		    rm, "changed", chg, "unchanged", same);
	else
		json_decref(add), json_decref(rm), json_decref(chg), json_decref(same);
	reload_step(s);
	return 0;
}
