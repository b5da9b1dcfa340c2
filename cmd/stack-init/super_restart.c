/*
 * super_restart: the restart file (lib/initrestart.h, docs/runtime.md "The
 * restart file"). Before a service's restart action goes out stack-init
 * writes <runtime dir>/restart-<service>.json "in_progress", and rewrites
 * it once the restart is over (completed, failed, not_ready): its
 * followers (GWKIT_RESTART_FILE) and health-mon read it to know the
 * gateway went away on purpose and when it is back. The file is a
 * courtesy to them: a write that fails is a warning, never a reason not
 * to restart. Inputs: our own state only.
 */
#include "clock.h"
#include "rundir.h"
#include "super_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* r's file path, looked up once (run_new); "" with why on failure. */
void
rfile_init(struct run *r)
{
	struct gw_err e;

	memset(&r->rf, 0, sizeof(r->rf));
	r->rf.state = IR_NONE;
	r->rf_why[0] = '\0';
	if (initrestart_path(r->svc->name, r->rf_path, sizeof(r->rf_path),
	    &e) < 0) {
		r->rf_path[0] = '\0';
		snprintf(r->rf_why, sizeof(r->rf_why), "%s", e.msg);
	}
}

/* Write r->rf; a failure is init.restart_file_error (warning): readers
 * then fall back to their clocks, which is safe. */
static void
rfile_write(struct run *r)
{
	char dir[PATH_MAX];
	struct gw_err e;

	e.msg[0] = '\0';
	if (r->rf_path[0] == '\0')
		snprintf(e.msg, sizeof(e.msg), "%s", r->rf_why);
	else if (rundir_ensure(dir, sizeof(dir), &e) == 0 &&
	    initrestart_write(r->rf_path, &r->rf, &e) == 0)
		return;
	super_log(r, GW_WARNING, "init.restart_file_error", json_pack("{s:s, "
	    "s:s}", "state", initrestart_state_name(r->rf.state), "error",
	    e.msg), "cannot write its restart file (%s): %s",
	    initrestart_state_name(r->rf.state), e.msg);
}

void
rfile_begin(struct run *r, enum trigger trig, const char *method)
{
	int64_t now = clock_wall_ms();

	memset(&r->rf, 0, sizeof(r->rf));
	r->rf.state = IR_IN_PROGRESS;
	snprintf(r->rf.service, sizeof(r->rf.service), "%s", r->svc->name);
	snprintf(r->rf.trigger, sizeof(r->rf.trigger), "%s",
	    super_trig_names[trig]);
	snprintf(r->rf.method, sizeof(r->rf.method), "%s", method);
	r->rf.began_ms = now;
	r->rf.deadline_ms = now + (int64_t)(r->svc->ready_after_restart_s * 1000.0);
	rfile_write(r);
}

void
rfile_end(struct run *r, enum initrestart_state st)
{
	/* a restart reported not_ready that does become ready after all is
	 * completed (late): what the readers want to know */
	if (r->rf.state != IR_IN_PROGRESS && !(st == IR_COMPLETED &&
	    r->rf.state == IR_NOT_READY))
		return;
	r->rf.state = st;
	r->rf.ended_ms = clock_wall_ms();
	rfile_write(r);
}

int
rfile_in_progress(const struct run *r)
{
	return r->rf.state == IR_IN_PROGRESS;
}

/* A file a previous stack-init left for this service says nothing about
 * this run: removed before anything starts. */
void
rfile_remove_stale(struct run *r)
{
	if (r->rf_path[0] == '\0')
		return;
	if (unlink(r->rf_path) == 0)
		super_log(r, GW_INFO, "init.restart_file_removed", json_pack("{s:s}",
		    "path", r->rf_path), "removed %s (left by a previous run)",
		    r->rf_path);
	else if (errno != ENOENT)
		super_log(r, GW_WARNING, "init.restart_file_error", json_pack("{s:s, "
		    "s:s}", "state", "stale", "error", strerror(errno)),
		    "cannot remove %s (left by a previous run): %s", r->rf_path,
		    strerror(errno));
}

json_t *
rfile_status(const struct run *r)
{
	return r->rf.state == IR_NONE ? json_null() : initrestart_json(&r->rf);
}

/* The environment a service is started with: its own "env", and for a
 * follower GWKIT_RESTART_FILE = its leader's file first, so that the
 * service's own setting (later in the list) wins. Returns a NULL-terminated
 * array to free with free() (its strings are r's, v's or *extra), v->env
 * itself when nothing is added, or NULL without memory. */
char **
rfile_env(const struct run *r, char *extra, size_t extrasz)
{
	const struct svc *v = r->svc;
	const struct run *leader;
	char **env;
	size_t n = 0, i;

	if (v->follows_index < 0 || (size_t)v->follows_index >= r->s->n)
		return v->env;
	leader = r->s->runs[v->follows_index];
	if (leader->rf_path[0] == '\0' || (size_t)snprintf(extra, extrasz,
	    "GWKIT_RESTART_FILE=%s", leader->rf_path) >= extrasz)
		return v->env;
	for (i = 0; v->env != NULL && v->env[i] != NULL; i++)
		n++;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		return NULL;
	env[0] = extra;
	for (i = 0; i < n; i++)
		env[i + 1] = v->env[i];
	return env;
}
