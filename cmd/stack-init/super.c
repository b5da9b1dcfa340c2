/*
 * super: the supervisor behind stack-init (see super.h). Inputs: the
 * validated configuration and the kernel's child exit statuses.
 * Each service is a state machine:
 *
 *   WAITING --deps ok--> STARTING --ready--> READY
 *      ^                    |  exit             | exit
 *      |                    v                   v
 *      +---- BACKOFF <-- (policy) ------------- +--> EXITED | FATAL
 *   any running --stop--> STOPPING --exit--> DOWN (--> STARTING if restarting)
 *
 * External services have no process: STARTING while their ready check
 * fails, READY when it passes; only scheduled actions restart them.
 */
#include "super.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ibc.h"
#include "outq.h"
#include "pwfile.h"

#define COMPONENT "init"
#define FAIL_RING 1024	/* >= the largest crash_loop.failures accepted */
#define OUT_HIGH (64 * 1024)	/* children's pipes pause above this many
				 * bytes waiting for our stdout/stderr ... */
#define OUT_LOW (16 * 1024)	/* ... and resume at this many */
#define SWEEP_TERM_S 5.0	/* leftover processes: SIGTERM, then SIGKILL after */
#define SWEEP_KILL_S 2.0	/* ... and give up on them after this */
#define MAX_LEFTOVERS 1024

enum st {
	ST_DOWN, ST_WAITING, ST_STARTING, ST_READY, ST_STOPPING, ST_BACKOFF,
	ST_FATAL, ST_EXITED,
};

static const char *const st_names[] = { "down", "waiting", "starting",
	"ready", "stopping", "backoff", "fatal", "exited" };

struct super;

struct pipe_out {		/* a child's stdout or stderr, prefixed */
	struct run *r;
	int fd;			/* read end */
	int to;			/* our 1 or 2 */
	struct event *ev;
	char tag[SVC_NAME_MAX + 16];	/* "name", "name (check)" */
	char buf[4096];
	size_t len;
};

struct run {
	struct super *s;
	const struct svc *svc;
	int idx;
	enum st st;
	pid_t pid;
	double started;		/* monotonic s of the last spawn */
	double ready_at;
	unsigned restarts;
	int have_exit, last_status;
	double delay;		/* next backoff delay */
	double fails[FAIL_RING];
	size_t n_fails;
	int want_restart;	/* respawn as soon as it is down */
	int by_ctl;		/* stopped by ctl: no policy restarts */
	struct event *timer;	/* backoff respawn, or SIGKILL deadline */
	/* readiness */
	struct event *check_timer;
	struct event *check_deadline;
	pid_t check_pid;
	double check_since;
	int check_as_user;		/* the series' checks switch to check_pw */
	/* health checks once ready (they share the check timer and pid) */
	int health_fails;		/* consecutive failed health checks */
	int unhealthy;			/* health_fails reached health.retries */
	int warned_unready;
	int notify_rfd;
	struct event *notify_ev;
	struct pipe_out out, err;	/* the service's */
	struct pipe_out check_err;	/* its readiness check's stderr */
	struct pipe_out act_out, act_err;	/* its restart command's */
	struct pwfile_user check_pw;	/* its checks' user, looked up once */
	int check_pw_rc;		/* per series of checks: 0, or -1 ... */
	char check_pw_why[300];		/* ... and why */
	int paused;		/* SIGSTOPped while its leader restarts */
	int held;		/* stopped while its leader restarts */
	int retiring;		/* removed or changed by a reload: stopping */
	/* schedules and restart actions */
	struct event *sched_timer[SVC_MAX_SCHEDULES];
	time_t next_fire[SVC_MAX_SCHEDULES];
	time_t last_fire[SVC_MAX_SCHEDULES];
	struct event *ready_deadline;
	int awaiting_ready_after_restart;
	double need_down_until;	/* after a restart action: ignore passing
				 * checks until one failed, or until then */
	pid_t action_pid;
	struct event *action_deadline;
	struct ibc_cmd *ibc;
	int trigger;		/* enum trigger of the restart under way */
	int stop_sig;		/* the signal stop_run sent */
};

/* Why a restart happens: named in its events. */
enum trigger { TRIG_SCHEDULE, TRIG_CTL, TRIG_FOLLOW, TRIG_HEALTH,
	TRIG_START /* ctl start: not a restart */ };
static const char *const trig_names[] = { "schedule", "ctl", "follows",
	"health", "ctl" };

struct super {
	struct event_base *base;
	struct svcconf *conf;	/* owned */
	struct svcconf *next;	/* a reload waiting for retiring runs to stop */
	struct run *fresh[SVC_MAX_SERVICES];	/* its new runs, by next's index */
	struct gw_log *log;
	struct run *runs[SVC_MAX_SERVICES];
	size_t n;
	int shutting_down;
	void (*done)(void *);
	void *done_arg;
	int exit_code;
	int critical_failed;
	void (*on_critical)(void *);
	void *on_critical_arg;
	struct outq *q[3];	/* [1] stdout, [2] stderr; NULL: write(2) */
	int devnull;		/* /dev/null for checks' stdout, or -1 */
	int sweep;		/* shutdown: 0 not yet, 1 TERM sent to leftovers,
				 * 2 KILL sent, 3 done */
	struct event *sweep_timer;
	int out_paused[3];	/* children's pipes to [n] not read for now */
	/* shutdown: once all but the notifier are down, hold(hold_arg, ...)
	 * (flush alerts); the notifier is stopped once it resumes us */
	void (*hold)(void *, void (*)(void *), void *);
	void *hold_arg;
	int hold_state;		/* 0 not yet, 1 waiting for resume, 2 done */
	struct event *resume_ev;	/* resume, from the loop */
};

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

static double
mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct timeval
tv_of(double s)
{
	struct timeval tv;

	if (s < 0)
		s = 0;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

static void
arm(struct event *ev, double s)
{
	struct timeval tv = tv_of(s);

	evtimer_add(ev, &tv);
}

/* Signal the process group of pid. Refuses pid <= 1: kill(0) or kill(-1)
 * would hit stack-init's own group or every process. */
static int
kill_group(pid_t pid, int sig)
{
	if (pid <= 1) {
		errno = ESRCH;
		return -1;
	}
	return kill(-pid, sig);
}

static const char *
sig_name(int sig)
{
	const char *n = sigabbrev_np(sig);

	return n ? n : "?";
}

/* "exit 3" / "signal KILL" for logs, and a JSON object for status. */
static void
describe_status(int status, char *buf, size_t sz)
{
	if (WIFEXITED(status))
		snprintf(buf, sz, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sz, "signal %s%s", sig_name(WTERMSIG(status)),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, sz, "status %d", status);
}

static json_t *
status_json(int status)
{
	if (WIFEXITED(status))
		return json_pack("{s:i}", "code", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return json_pack("{s:s, s:i}", "signal", sig_name(WTERMSIG(status)),
		    "code", 128 + WTERMSIG(status));
	return json_null();
}

static void
log_svc(struct run *r, enum gw_level lvl, const char *event, json_t *fields,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
log_svc(struct run *r, enum gw_level lvl, const char *event, json_t *fields,
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
	gw_log_event(r->s->log, lvl, COMPONENT, event, fields, "%s: %s",
	    r->svc->name, msg);
}

/* ---------- processes ---------- */

/* Restore what a child must not inherit from us: signal dispositions
 * (libevent's handlers), the blocked mask. */
static void
child_reset_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

struct spawn_opts {
	char *const *argv;
	char *const *env;	/* added "K=V", or NULL */
	const char *cwd;
	const struct pwfile_user *user;	/* switch to, or NULL */
	int out_fd, err_fd;	/* -1: inherit */
	int notify_fd, notify_target;	/* -1: none */
};

/* fork + exec with a close-on-exec error pipe, so that "cannot exec" is
 * reported here, not as a mysterious exit 127. */
static pid_t
spawn(const struct spawn_opts *o, char *why, size_t whysz)
{
	static const char *const stage[] = { "", "cannot enter cwd",
	    "cannot switch to user", "cannot switch to user",
	    "cannot switch to user", "cannot run" };
	static const char *const call[] = { "", "", " (setgroups)",
	    " (setgid)", " (setuid)", "" };
	sigset_t all, old;
	int ep[2], e[2] = { 0, 0 };
	ssize_t n;
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		return -1;
	}
	/* no signal handler of ours may run in the child before its reset */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		char *const *kv;
		int hi;

		close(ep[0]);
		/* keep the error pipe above every fd a service may ask for
		 * (notify fds are 3..63), so that no dup2 below replaces it */
		if ((hi = fcntl(ep[1], F_DUPFD_CLOEXEC, 64)) >= 0) {
			close(ep[1]);
			ep[1] = hi;
		}
		setpgid(0, 0);
		child_reset_signals();
		if (o->out_fd >= 0)
			dup2(o->out_fd, 1);
		if (o->err_fd >= 0)
			dup2(o->err_fd, 2);
		if (o->notify_fd >= 0 && o->notify_fd != o->notify_target)
			dup2(o->notify_fd, o->notify_target);
		if (o->notify_fd >= 0)
			fcntl(o->notify_target, F_SETFD, 0);
		if (o->user != NULL && o->user->name[0] != '\0') {
			setenv("USER", o->user->name, 1);
			setenv("LOGNAME", o->user->name, 1);
		}
		if (o->user != NULL && o->user->home[0] != '\0')
			setenv("HOME", o->user->home, 1);
		for (kv = o->env; kv && *kv; kv++)	/* the service's own win */
			putenv(*kv);
		/* what failed, and why, for the parent's message */
		if (o->cwd && chdir(o->cwd) < 0)
			e[0] = 1;
		else if (o->user && setgroups(o->user->n_groups, o->user->groups) < 0)
			e[0] = 2;
		else if (o->user && setgid(o->user->gid) < 0)
			e[0] = 3;
		else if (o->user && setuid(o->user->uid) < 0)
			e[0] = 4;
		else {
			execvp(o->argv[0], o->argv);
			e[0] = 5;
		}
		e[1] = errno;
		n = write(ep[1], e, sizeof(e));
		(void)n;
		_exit(127);
	}
	close(ep[1]);
	setpgid(pid, pid);	/* also here: no window where kill(-pid) misses */
	do
		n = read(ep[0], e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {	/* the child could not exec */
		const char *what = e[0] == 1 ? o->cwd : e[0] == 5 || o->user == NULL ?
		    o->argv[0] : o->user->name;

		if (e[0] < 1 || e[0] > 5)
			e[0] = 5;
		snprintf(why, whysz, "%s %s%s: %s", stage[e[0]], what, call[e[0]],
		    strerror(e[1]));
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Write the first len bytes of p's buffer as one "name | text" line (a
 * newline added when missing) and drop them from the buffer. */
static void
pass_line(struct pipe_out *p, size_t len)
{
	char line[4200];
	int nl = len > 0 && p->buf[len - 1] == '\n';
	int k = snprintf(line, sizeof(line), "%s | %.*s%s", p->tag,
	    (int)len, p->buf, nl ? "" : "\n");

	if (k >= (int)sizeof(line))
		k = (int)sizeof(line) - 1;	/* cannot happen: len <= 4096 */
	if (p->r->s->q[p->to] != NULL)
		outq_write(p->r->s->q[p->to], line, (size_t)k);	/* drops are counted and reported */
	else if (write(p->to, line, (size_t)k) < 0)
		(void)0;	/* our stdout is gone: nothing to do */
	memmove(p->buf, p->buf + len, p->len - len);
	p->len -= len;
}

/* Pass on a last partial line, stop watching the pipe and close it. */
static void
shut_output(struct pipe_out *p)
{
	if (p->len > 0 && p->r != NULL)
		pass_line(p, p->len);
	if (p->ev != NULL) {
		event_free(p->ev);
		p->ev = NULL;
	}
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	p->len = 0;
}

static struct pipe_out *
run_pipe(struct run *r, size_t k)
{
	struct pipe_out *po[] = { &r->out, &r->err, &r->check_err, &r->act_out,
	    &r->act_err };

	return k < sizeof(po) / sizeof(po[0]) ? po[k] : NULL;
}

/* Our stdout (to = 1) or stderr (2) has a backlog: stop reading the
 * children's pipes to it. They fill and their writers block, as they
 * would on a slow terminal; stack-init itself never does. */
static void
pause_outputs(struct super *s, int to)
{
	struct pipe_out *p;
	size_t i, k;

	if (s->out_paused[to])
		return;
	s->out_paused[to] = 1;
	for (i = 0; i < s->n; i++)
		for (k = 0; (p = run_pipe(s->runs[i], k)) != NULL; k++)
			if (p->to == to && p->ev != NULL)
				event_del(p->ev);
}

static void
resume_outputs(struct super *s, int to)
{
	struct pipe_out *p;
	size_t i, k;

	if (!s->out_paused[to])
		return;
	s->out_paused[to] = 0;
	for (i = 0; i < s->n; i++)
		for (k = 0; (p = run_pipe(s->runs[i], k)) != NULL; k++)
			if (p->to == to && p->ev != NULL)
				event_add(p->ev, NULL);
}

static void
on_drain_out(void *arg)
{
	resume_outputs(arg, 1);
}

static void
on_drain_err(void *arg)
{
	resume_outputs(arg, 2);
}

/* One read from a child's pipe, its whole lines passed on. Returns 1
 * when bytes came, 0 at EOF or an error (the pipe is shut), -1 when there
 * is nothing now. */
static int
read_output(struct pipe_out *p)
{
	ssize_t n;
	char *nl;

	do
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -1;
	if (n <= 0) {
		shut_output(p);
		return 0;
	}
	p->len += (size_t)n;
	while ((nl = memchr(p->buf, '\n', p->len)) != NULL || p->len == sizeof(p->buf))
		pass_line(p, nl ? (size_t)(nl - p->buf) + 1 : p->len);
	return 1;
}

static void
on_output(evutil_socket_t fd, short what, void *arg)
{
	struct pipe_out *p = arg;
	struct outq *q;

	(void)fd;
	(void)what;
	if (read_output(p) > 0 && (q = p->r->s->q[p->to]) != NULL &&
	    outq_pending(q) > OUT_HIGH)
		pause_outputs(p->r->s, p->to);
}

/* Take what the pipe holds now, so that a child's last words come before
 * the news of its exit. At most 1 MiB: a writer that left the service's
 * process group may go on forever. */
static void
drain_output(struct pipe_out *p)
{
	int i;

	for (i = 0; i < 256 && p->fd >= 0 && read_output(p) > 0; i++)
		;
}

/* Drain the pipe, pass on a last partial line, and close it. */
static void
close_output(struct pipe_out *p)
{
	if (p->fd >= 0)
		drain_output(p);
	shut_output(p);
}

/* A pipe for one output stream of a child: returns the write end for the
 * child (close it after the fork), or -1 (the child then inherits ours).
 * Lines read from it go to our fd `to`, prefixed with "name suffix | ". */
static int
open_output(struct run *r, struct pipe_out *p, int to, const char *suffix)
{
	int fds[2];

	close_output(p);	/* what a previous run left */
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	p->r = r;
	p->to = to;
	snprintf(p->tag, sizeof(p->tag), "%s%s", r->svc->name, suffix);
	p->ev = event_new(r->s->base, fds[0], EV_READ | EV_PERSIST, on_output, p);
	if (p->ev == NULL || (!r->s->out_paused[to] && event_add(p->ev, NULL) < 0)) {
		if (p->ev != NULL)
			event_free(p->ev);
		p->ev = NULL;
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	p->fd = fds[0];
	return fds[1];
}

static void try_start_waiting(struct super *s);
static void on_service_exit(struct run *r, int status);
static void critical(struct super *s, int code);
static void complete_restart(struct run *r);
static void restart_run(struct run *r, enum trigger why, const struct run *by);
static void stop_run(struct run *r, int sig);
static void reload_step(struct super *s);
static void start_checks(struct run *r);
static void start_health(struct run *r);
static void stop_checks(struct run *r);
static void scheduled_restart(struct run *r, enum trigger why);
static void health_result(struct run *r, int status);
static void shutdown_step(struct super *s);
static void arm_schedules(struct run *r);

static void
set_ready(struct run *r)
{
	if (r->st != ST_STARTING)
		return;
	r->st = ST_READY;
	r->ready_at = mono_s();
	stop_checks(r);
	log_svc(r, GW_INFO, "init.ready", json_pack("{s:f}", "after_s",
	    r->ready_at - r->started), "ready after %.1f s", r->ready_at - r->started);
	if (r->unhealthy) {
		r->unhealthy = 0;
		log_svc(r, GW_INFO, "init.healthy", NULL, "healthy again (ready)");
	}
	start_health(r);
	if (r->awaiting_ready_after_restart)
		complete_restart(r);
	try_start_waiting(r->s);
}

/* Its leader's scheduled restart begins: pause or stop the followers that
 * are configured so (not those an operator stopped). */
static void
followers_begin(struct run *r)
{
	size_t i;

	for (i = 0; i < r->s->n; i++) {
		struct run *f = r->s->runs[i];

		if (f->svc->follows_index != r->idx || f->by_ctl || f->retiring)
			continue;
		if (f->svc->follow_mode == SVC_FOLLOW_PAUSE && f->pid > 0 &&
		    !f->paused && f->st != ST_STOPPING) {
			kill_group(f->pid, SIGSTOP);
			f->paused = 1;
			log_svc(f, GW_INFO, "init.paused", json_pack("{s:s}", "leader",
			    r->svc->name), "paused while %s restarts", r->svc->name);
		} else if (f->svc->follow_mode == SVC_FOLLOW_STOP && !f->held) {
			f->held = 1;
			f->want_restart = 0;
			log_svc(f, GW_INFO, "init.held", json_pack("{s:s}", "leader",
			    r->svc->name), "stopped while %s restarts", r->svc->name);
			if (f->pid > 0) {
				stop_run(f, f->svc->stop_signal);
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
static void
followers_end(struct run *r, int restarted)
{
	size_t i;

	for (i = 0; i < r->s->n; i++) {
		struct run *f = r->s->runs[i];

		if (f->svc->follows_index != r->idx || f->retiring)
			continue;
		if (f->paused) {
			f->paused = 0;
			kill_group(f->pid, SIGCONT);
			log_svc(f, GW_INFO, "init.resumed", NULL, "resumed");
		} else if (f->held) {
			f->held = 0;
			if (f->by_ctl)
				continue;
			if (f->st == ST_STOPPING) {
				f->want_restart = 1;	/* starts once down */
			} else if (f->pid <= 0) {
				f->st = ST_WAITING;
				try_start_waiting(r->s);
			}
		} else if (restarted && !f->by_ctl &&
		    f->svc->follow_mode == SVC_FOLLOW_RESTART) {
			restart_run(f, TRIG_FOLLOW, r);
		}
	}
}

/* "scheduled restart", "restart (ctl)": for messages about it. */
static const char *
restart_what(const struct run *r)
{
	static const char *const what[] = { "scheduled restart",
	    "restart (ctl)", "restart (follows its leader)",
	    "restart (failed health checks)", "restart (ctl)" };

	return what[r->trigger];
}

/* Ready again after a scheduled restart: say so, let the followers go. */
static void
complete_restart(struct run *r)
{
	r->awaiting_ready_after_restart = 0;
	evtimer_del(r->ready_deadline);
	log_svc(r, GW_INFO, "init.restart_completed", json_pack("{s:s}",
	    "trigger", trig_names[r->trigger]), "ready again after its %s",
	    restart_what(r));
	followers_end(r, 1);
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
		set_ready(r);
	if (n == 0 || (n > 0 && r->st != ST_STARTING)) {
		event_free(r->notify_ev);
		r->notify_ev = NULL;
		close(r->notify_rfd);
		r->notify_rfd = -1;
	}
}

/* Look up user (NULL: no switch) into *pw for o: uid, gid, supplementary
 * groups and home from /etc/passwd and /etc/group, read directly (the
 * program is static: glibc's NSS must not be loaded). Returns 0, or -1
 * with why ("no user 'x' in /etc/passwd", a bad entry's line). */
static int
user_opts(const char *user, struct pwfile_user *pw, struct spawn_opts *o,
    char *why, size_t whysz)
{
	struct gw_err e;

	if (user == NULL)
		return 0;
	if (pwfile_lookup(user, NULL, NULL, pw, &e) < 0) {
		snprintf(why, whysz, "user: %s", e.msg);
		return -1;
	}
	o->user = pw;
	return 0;
}

static void
spawn_service(struct run *r)
{
	const struct svc *v = r->svc;
	struct pwfile_user pw;
	struct spawn_opts o;
	int np[2] = { -1, -1 };
	char why[300];
	pid_t pid;

	memset(&o, 0, sizeof(o));
	o.argv = v->argv;
	o.env = v->env;
	o.cwd = v->cwd;
	o.out_fd = o.err_fd = o.notify_fd = -1;
	if (user_opts(v->user, &pw, &o, why, sizeof(why)) < 0) {
		log_svc(r, GW_CRITICAL, "init.spawn_failed", NULL, "%s", why);
		r->st = ST_FATAL;
		if (v->critical)
			critical(r->s, 67);	/* EX_NOUSER */
		return;
	}
	if (v->prefix_output) {
		o.out_fd = open_output(r, &r->out, 1, "");
		o.err_fd = open_output(r, &r->err, 2, "");
		if (o.out_fd < 0 || o.err_fd < 0) {
			log_svc(r, GW_WARNING, "init.output", NULL, "cannot create "
			    "output pipes (%s): output is passed through without "
			    "a prefix", strerror(errno));
			if (o.out_fd >= 0)
				close(o.out_fd);
			if (o.err_fd >= 0)
				close(o.err_fd);
			o.out_fd = o.err_fd = -1;
			close_output(&r->out);
			close_output(&r->err);
		}
	}
	if (v->ready.kind == SVC_READY_NOTIFY && pipe2(np, O_CLOEXEC) == 0) {
		o.notify_fd = np[1];
		o.notify_target = v->ready.notify_fd;
	}
	pid = spawn(&o, why, sizeof(why));
	if (o.out_fd >= 0)
		close(o.out_fd);
	if (o.err_fd >= 0)
		close(o.err_fd);
	if (np[1] >= 0)
		close(np[1]);
	if (pid < 0) {
		close_output(&r->out);
		close_output(&r->err);
		if (np[0] >= 0)
			close(np[0]);
		log_svc(r, GW_CRITICAL, "init.spawn_failed", NULL, "%s", why);
		/* like an exit 127 at once: the restart policy, backoff and
		 * crash-loop detection decide what happens next */
		r->st = ST_STARTING;
		r->started = mono_s();
		on_service_exit(r, 127 << 8);
		return;
	}
	r->pid = pid;
	r->started = mono_s();
	r->st = ST_STARTING;
	r->paused = r->held = 0;
	if (np[0] >= 0) {
		r->notify_rfd = np[0];
		r->notify_ev = event_new(r->s->base, np[0], EV_READ | EV_PERSIST, on_notify, r);
		event_add(r->notify_ev, NULL);
	}
	log_svc(r, GW_INFO, "init.started", json_pack("{s:i}", "pid", (int)pid),
	    "started, pid %d", (int)pid);
	if (v->ready.kind == SVC_READY_NONE)
		set_ready(r);	/* no check: running is ready */
	else if (v->ready.kind == SVC_READY_COMMAND)
		start_checks(r);
	else	/* notification: a deadline for it */
		arm(r->check_timer, v->ready.start_period_s);
	try_start_waiting(r->s);
}

/* ---------- readiness checks ---------- */

/* A readiness check (starting) or a health check (ready) is due. */
static void
on_check_timer(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	int health = r->st == ST_READY && r->svc->health.enabled;
	char *const *argv = r->svc->ready.argv;
	struct spawn_opts o;
	char why[300];

	(void)fd;
	(void)what;
	if (health && r->paused) {	/* frozen around its leader's restart:
					 * not judged, checked again later */
		arm(r->check_timer, r->svc->health.interval_s);
		return;
	}
	if ((r->st != ST_STARTING && !health) || r->check_pid > 0)
		return;
	if (!health && r->svc->ready.kind == SVC_READY_NOTIFY) {	/* its start period ended */
		log_svc(r, GW_ERROR, "init.not_ready", json_pack("{s:f}", "waited_s",
		    mono_s() - r->started), "no readiness notification after %.0f s",
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
	o.err_fd = r->svc->prefix_output ? open_output(r, &r->check_err, 2,
	    health ? " (health)" : " (check)") : -1;
	if (r->check_pw_rc < 0) {
		snprintf(why, sizeof(why), "%s", r->check_pw_why);
		r->check_pid = -1;
	} else {
		if (r->check_as_user)
			o.user = &r->check_pw;
		r->check_pid = spawn(&o, why, sizeof(why));
	}
	if (o.err_fd >= 0)
		close(o.err_fd);
	if (r->check_pid < 0) {
		r->check_pid = 0;
		if (!r->warned_unready)
			log_svc(r, GW_ERROR, "init.check_failed", json_pack("{s:s}",
			    "check", health ? "health" : "ready"), "%s check: %s",
			    health ? "health" : "readiness", why);
		r->warned_unready = 1;
		if (health)	/* counts as a failed check */
			health_result(r, 127 << 8);
		else
			arm(r->check_timer, r->svc->ready.interval_s);
		return;
	}
	arm(r->check_deadline, health ? r->svc->health.timeout_s :
	    r->svc->ready.timeout_s);
}

static void
on_check_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (r->check_pid > 0)
		kill_group(r->check_pid, SIGKILL);	/* reaped as a failed check */
}

/* A series of checks begins: look up their user once (not the files
 * every interval) and run the first after delay. */
static void
begin_series(struct run *r, const char *user, double delay)
{
	struct spawn_opts o;

	r->check_since = mono_s();
	r->warned_unready = 0;
	memset(&o, 0, sizeof(o));
	r->check_as_user = user != NULL;
	r->check_pw_rc = user_opts(user, &r->check_pw, &o, r->check_pw_why,
	    sizeof(r->check_pw_why));
	arm(r->check_timer, delay);
}

static void
start_checks(struct run *r)
{
	begin_series(r, r->svc->ready.user ? r->svc->ready.user : r->svc->user, 0);
}

/* Ready: health checks every interval, the first one interval from now.
 * Their user: health.user, else the ready check's when its command is
 * reused, else the service's. */
static void
start_health(struct run *r)
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
static void
stop_checks(struct run *r)
{
	evtimer_del(r->check_timer);
	evtimer_del(r->check_deadline);
	if (r->check_pid > 0)
		kill_group(r->check_pid, SIGKILL);
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

	if (r->paused) {	/* it was frozen while the check ran: no verdict */
		arm(r->check_timer, h->interval_s);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (r->unhealthy)
			log_svc(r, GW_INFO, "init.healthy", json_pack("{s:i}",
			    "failures", r->health_fails), "healthy again after %d "
			    "failed health check%s", r->health_fails,
			    r->health_fails == 1 ? "" : "s");
		r->unhealthy = 0;
		r->health_fails = 0;
		r->warned_unready = 0;
	} else if (++r->health_fails == h->retries) {
		describe_status(status, d, sizeof(d));
		r->unhealthy = 1;
		log_svc(r, GW_ERROR, "init.unhealthy", json_pack("{s:i, s:o, s:s}",
		    "failures", r->health_fails, "last", status_json(status),
		    "action", h->action == SVC_HEALTH_RESTART ? "restart" : "alert"),
		    "unhealthy: %d health check%s failed in a row (last: %s)%s",
		    r->health_fails, r->health_fails == 1 ? "" : "s", d,
		    h->action == SVC_HEALTH_RESTART ? "; restarting it" : "");
		if (h->action == SVC_HEALTH_RESTART) {
			scheduled_restart(r, TRIG_HEALTH);
			if (r->st != ST_READY)
				return;	/* stopping or starting: its own checks */
		}
	}
	arm(r->check_timer, h->interval_s);
}

static void
on_check_exit(struct run *r, int status)
{
	double waited = mono_s() - r->check_since, left;

	r->check_pid = 0;
	drain_output(&r->check_err);
	evtimer_del(r->check_deadline);
	if (r->st == ST_READY && r->svc->health.enabled) {
		health_result(r, status);
		return;
	}
	if (r->st != ST_STARTING)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if ((left = r->need_down_until - mono_s()) > 0) {
			/* maybe still the old instance: check again, at the
			 * latest when the settle time ends */
			arm(r->check_timer, left < r->svc->ready.interval_s ?
			    left : r->svc->ready.interval_s);
			return;
		}
		r->need_down_until = 0;
		set_ready(r);
		return;
	}
	r->need_down_until = 0;	/* it went down: the next pass is the new one */
	if (waited > r->svc->ready.start_period_s && !r->warned_unready) {
		char d[64];

		describe_status(status, d, sizeof(d));
		r->warned_unready = 1;
		log_svc(r, GW_ERROR, "init.not_ready", json_pack("{s:f}", "waited_s",
		    waited), "not ready after %.0f s (start period %.0f s; last check: %s); "
		    "still checking", waited, r->svc->ready.start_period_s, d);
	}
	arm(r->check_timer, r->svc->ready.interval_s);
}

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

static void
try_start_waiting(struct super *s)
{
	size_t k;

	if (s->shutting_down)
		return;
	for (k = 0; k < s->n; k++) {
		struct run *r = s->runs[s->conf->order[k]];

		if (r->st == ST_WAITING && deps_ok(s, r)) {
			if (r->svc->external) {
				r->st = ST_STARTING;
				r->started = mono_s();
				if (r->svc->ready.kind == SVC_READY_COMMAND)
					start_checks(r);
				else
					set_ready(r);
			} else {
				spawn_service(r);
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
		try_start_waiting(r->s);
	} else if (r->st == ST_STOPPING && r->pid > 0) {
		log_svc(r, GW_WARNING, "init.killed", json_pack("{s:i}", "pid", (int)r->pid),
		    "did not stop within %g s: SIGKILL", r->svc->stop_timeout_s);
		kill_group(r->pid, SIGKILL);
	}
}

/* The hex mask of a "Name:\t0000000000004000" line of /proc/PID/status. */
static unsigned long long
status_mask(const char *st, const char *name)
{
	const char *p = strstr(st, name);

	return p == NULL ? 0 : strtoull(p + strlen(name), NULL, 16);
}

/* 1 when pid is on its way out: exiting already (PF_EXITING in flags), or
 * sig (0: none) is pending for it and neither ignored, caught nor
 * blocked: it dies of it as soon as it runs. */
static int
dying(const char *pid, unsigned flags, int sig)
{
	char path[300], st[4096];
	unsigned long long bit, pnd;
	ssize_t k;
	int fd;

	if (flags & 0x4)	/* PF_EXITING */
		return 1;
	if (sig <= 0 || sig > 64)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;	/* gone */
	k = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (k <= 0)
		return 1;
	st[k] = '\0';
	bit = 1ULL << (sig - 1);
	pnd = status_mask(st, "\nSigPnd:") | status_mask(st, "\nShdPnd:");
	if (sig == SIGKILL)
		return (pnd & bit) != 0;
	return (pnd & bit) && !(status_mask(st, "\nSigIgn:") & bit) &&
	    !(status_mask(st, "\nSigCgt:") & bit) &&
	    !(status_mask(st, "\nSigBlk:") & bit);
}

/* How many processes of process group pgid are alive and staying: not
 * exited (waiting to be reaped), not exiting, not about to die of sig
 * (the stop signal sent to the group, 0: none) or of SIGKILL; 0 when
 * /proc cannot tell. */
static int
group_live(pid_t pgid, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (d == NULL || pgid <= 1) {
		if (d != NULL)
			closedir(d);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char path[300], buf[512], *p, st;
		unsigned flags = 0;
		long pg = 0;
		ssize_t k;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		k = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (k <= 0)
			continue;
		buf[k] = '\0';
		/* "pid (comm) S ppid pgrp session tty tpgid flags ...": comm
		 * may hold anything */
		if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1,
		    " %c %*d %ld %*d %*d %*d %u", &st, &pg, &flags) != 3)
			continue;
		if (pg == (long)pgid && st != 'Z' && st != 'X' &&
		    !dying(de->d_name, flags, sig) && !dying(de->d_name, 0, SIGKILL))
			n++;
	}
	closedir(d);
	return n;
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
	double now = mono_s(), ran = now - r->started;
	int failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0), restart;
	int live;
	char d[64];

	/* the leader is gone: what is left of its process group (a worker
	 * that ignored the stop signal, a background child) goes with it, so
	 * that nothing outlives the service holding its ports. Only a live
	 * process killed is news: exited ones waiting to be reaped are not */
	if (kill_group(r->pid, 0) == 0) {	/* not empty: look closer */
		live = group_live(r->pid, r->st == ST_STOPPING ? r->stop_sig : 0);
		kill_group(r->pid, SIGKILL);
		if (live > 0)
			log_svc(r, GW_WARNING, "init.killed_group", json_pack("{s:i, "
			    "s:i}", "pgid", (int)r->pid, "processes", live),
			    "killed what was left of its process group (%d "
			    "process%s)", live, live == 1 ? "" : "es");
		else
			log_svc(r, GW_DEBUG, "init.killed_group", json_pack("{s:i, "
			    "s:i}", "pgid", (int)r->pid, "processes", 0),
			    "its process group held only exited processes");
	}
	drain_output(&r->out);
	drain_output(&r->err);
	r->pid = 0;
	r->paused = 0;
	r->have_exit = 1;
	r->last_status = status;
	stop_checks(r);
	if (r->notify_ev != NULL) {
		event_free(r->notify_ev);
		r->notify_ev = NULL;
		close(r->notify_rfd);
		r->notify_rfd = -1;
	}
	describe_status(status, d, sizeof(d));
	if (r->st == ST_STOPPING) {
		/* clean: exit 0 or 128+N, or death by the signal sent (or by
		 * the SIGKILL init.killed already reported) */
		int clean = WIFEXITED(status) ? WEXITSTATUS(status) == 0 ||
		    WEXITSTATUS(status) == 128 + r->stop_sig :
		    WIFSIGNALED(status) && (WTERMSIG(status) == r->stop_sig ||
		    WTERMSIG(status) == SIGKILL);

		evtimer_del(r->timer);
		r->st = ST_DOWN;
		log_svc(r, clean ? GW_INFO : GW_WARNING, "init.stopped",
		    json_pack("{s:o}", "exit", status_json(status)), "stopped "
		    "(%s)%s", d, clean ? "" : ": not a clean stop");
		if (r->s->shutting_down) {
			shutdown_step(r->s);
		} else if (r->retiring) {
			reload_step(r->s);
		} else if (r->want_restart) {
			r->want_restart = 0;
			r->restarts++;
			r->st = ST_WAITING;
			try_start_waiting(r->s);
		}
		return;
	}
	log_svc(r, failed ? GW_WARNING : GW_INFO, "init.exited", json_pack("{s:o, s:f}",
	    "exit", status_json(status), "ran_s", ran), "exited (%s) after %.1f s", d, ran);
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
		log_svc(r, GW_CRITICAL, "init.crash_loop", json_pack("{s:i, s:f, s:b}",
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
	log_svc(r, GW_DEBUG, "init.backoff", json_pack("{s:f}", "delay_s", r->delay),
	    "restarting in %.3f s", r->delay);
	arm(r->timer, r->delay);
	r->delay = r->delay * 2 > v->backoff.max_s ? v->backoff.max_s : r->delay * 2;
}

static void restart_action_done(struct run *r, int ok);

static void
on_action_exit(struct run *r, int status)
{
	char d[64];

	r->action_pid = 0;
	drain_output(&r->act_out);
	drain_output(&r->act_err);
	evtimer_del(r->action_deadline);
	describe_status(status, d, sizeof(d));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_svc(r, GW_INFO, "init.restart_action", NULL, "restart command done");
		restart_action_done(r, 1);
	} else {
		log_svc(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "restart command failed (%s)", d);
		restart_action_done(r, 0);
	}
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
			on_check_exit(hit, status);
		else if (kind == 3)
			on_action_exit(hit, status);
		else
			gw_log_event(s->log, GW_DEBUG, COMPONENT, "init.reaped",
			    json_pack("{s:i}", "pid", (int)pid), "reaped orphan pid %d",
			    (int)pid);
	}
	if (s->shutting_down && s->sweep > 0 && s->sweep < 3)
		shutdown_step(s);	/* a leftover went: maybe all did */
}

/* ---------- stopping ---------- */

static void
stop_run(struct run *r, int sig)
{
	if (r->pid <= 0 || r->st == ST_STOPPING)
		return;
	r->st = ST_STOPPING;
	r->stop_sig = sig;
	stop_checks(r);
	log_svc(r, GW_INFO, "init.stopping", json_pack("{s:s}", "signal",
	    sig_name(sig)), "sending SIG%s", sig_name(sig));
	kill_group(r->pid, sig);
	if (r->paused) {	/* a stopped process acts on it once continued */
		r->paused = 0;
		kill_group(r->pid, SIGCONT);
	}
	arm(r->timer, r->svc->stop_timeout_s);
}

/* A service may stop once none of its dependents (with retiring: none of
 * its retiring dependents, in a reload) is still running. */
static int
dependents_down(const struct super *s, const struct run *r, int retiring)
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

/* 1 when pid has exited and waits to be reaped (state Z in its stat). */
static int
is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;	/* gone already */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

/* Our children now, from /proc/self/task/TID/children (we are one
 * thread): after the services are down these are adopted orphans that
 * left their service's process group (a setsid daemon), and leftover
 * checks. Returns how many (at most max), or -1 when /proc cannot tell. */
static int
list_children(pid_t *out, int max)
{
	char path[64];
	FILE *f;
	long v;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (n < max && fscanf(f, "%ld", &v) == 1)
		if (v > 1 && !is_zombie((pid_t)v))
			out[n++] = (pid_t)v;
	fclose(f);
	return n;
}

static void
on_sweep_timer(evutil_socket_t fd, short what, void *arg)
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
	int i, n = s->sweep < 3 ? list_children(kids, MAX_LEFTOVERS) : 0;

	if (n <= 0) {
		s->sweep = 3;
		return 0;
	}
	if (s->sweep == 0 || (s->sweep == 2 && !evtimer_pending(s->sweep_timer, NULL))) {
		int sig = s->sweep == 0 ? SIGTERM : SIGKILL;

		gw_log_event(s->log, sig == SIGTERM ? GW_INFO : GW_WARNING, COMPONENT,
		    "init.leftovers", json_pack("{s:i, s:s}", "processes", n, "signal",
		    sig_name(sig)), "%d leftover process%s outside the services' "
		    "groups: SIG%s", n, n == 1 ? "" : "es", sig_name(sig));
		for (i = 0; i < n; i++)
			kill(kids[i], sig);
		if (s->sweep == 0)
			s->sweep = 1;
		arm(s->sweep_timer, sig == SIGTERM ? SWEEP_TERM_S : SWEEP_KILL_S);
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

static void
on_resume(evutil_socket_t fd, short what, void *arg)
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
static void
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
			if (r->st != ST_STOPPING && dependents_down(s, r, 0) &&
			    ((int)i != notifier || s->hold_state == 2))
				stop_run(r, r->svc->stop_signal);
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
	gw_log_event(s->log, GW_INFO, COMPONENT, "init.shutdown", NULL,
	    "stopping all services in reverse dependency order");
	for (i = 0; i < s->n; i++) {
		struct run *r = s->runs[i];

		if (r->st == ST_BACKOFF)
			evtimer_del(r->timer);
		stop_checks(r);
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

void
super_forward(struct super *s, int sig)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->runs[i]->pid > 0 && sig > 0 && sig < 64 &&
		    (s->runs[i]->svc->forward_signals & (1ULL << sig)))
			kill_group(s->runs[i]->pid, sig);
}

/* ---------- scheduled restarts ---------- */

static void
on_ready_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (!r->awaiting_ready_after_restart)
		return;
	log_svc(r, GW_CRITICAL, "init.not_ready_after_restart", json_pack("{s:f, s:s}",
	    "deadline_s", r->svc->ready_after_restart_s, "trigger",
	    trig_names[r->trigger]), "NOT ready %.0f s after its %s",
	    r->svc->ready_after_restart_s, restart_what(r));
}

static void
on_action_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (r->action_pid > 0) {
		log_svc(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "restart command still running after %.0f s: killed",
		    r->svc->restart_action.timeout_s);
		kill_group(r->action_pid, SIGKILL);
	}
}

static void
on_ibc_done(void *arg, int ok, const char *text)
{
	struct run *r = arg;

	if (ok)
		log_svc(r, GW_INFO, "init.restart_action", NULL, "IBC: %s", text);
	else
		log_svc(r, GW_CRITICAL, "init.restart_action_failed", NULL,
		    "IBC restart failed: %s", text);
	ibc_cmd_free(r->ibc);	/* text is not used after this */
	r->ibc = NULL;
	restart_action_done(r, ok);
}

/* A command/IBC restart action ended. On success the service is restarting
 * elsewhere: check it again at once, accepting a passing check as "ready
 * again" only once a check failed (the old instance went down) or
 * restart_settle seconds passed (a restart that never interrupted
 * readiness). On failure there is no restart to wait for. */
static void
restart_action_done(struct run *r, int ok)
{
	if (!ok) {
		r->awaiting_ready_after_restart = 0;
		evtimer_del(r->ready_deadline);
		followers_end(r, 0);	/* nothing restarted: let them go on */
		return;
	}
	if (r->svc->ready.kind != SVC_READY_COMMAND) {
		complete_restart(r);	/* nothing to check: done */
		return;
	}
	stop_checks(r);	/* a health check's result would mean nothing now */
	r->need_down_until = mono_s() + r->svc->restart_settle_s;
	if (r->st == ST_READY)
		r->st = ST_STARTING;
	r->started = mono_s();
	start_checks(r);
}

/* Restart through the service's restart action (signal, command, IBC),
 * with its followers and the ready_after_restart deadline: for a
 * schedule, ctl restart of an external service, an external follower,
 * failed health checks. Logged as init.scheduled_restart (schedule) or
 * init.restart_requested (the others), naming the trigger and method. */
static void
scheduled_restart(struct run *r, enum trigger trig)
{
	const struct svc_action *a = &r->svc->restart_action;
	const char *ev = trig == TRIG_SCHEDULE ? "init.scheduled_restart" :
	    "init.restart_requested";
	const char *method = a->kind == SVC_ACTION_SIGNAL ? "signal" :
	    a->kind == SVC_ACTION_ARGV ? "command" : "ibc";
	char how[64];
	struct gw_err e;

	if (a->kind == SVC_ACTION_SIGNAL)
		snprintf(how, sizeof(how), "SIG%s, then respawn", sig_name(a->signal));
	else
		snprintf(how, sizeof(how), "%s", a->kind == SVC_ACTION_ARGV ?
		    "restart command" : "IBC RESTART");
	if (r->by_ctl) {
		log_svc(r, GW_INFO, ev, json_pack("{s:s, s:s, s:b}", "trigger",
		    trig_names[trig], "method", method, "skipped", 1),
		    "%s skipped: stopped with ctl", trig == TRIG_SCHEDULE ?
		    "scheduled restart" : "restart");
		return;
	}
	if (r->action_pid > 0 || r->ibc != NULL) {
		log_svc(r, GW_WARNING, ev, json_pack("{s:s, s:s, s:b}", "trigger",
		    trig_names[trig], "method", method, "skipped", 1),
		    "%s skipped: the previous restart action is still running",
		    trig == TRIG_SCHEDULE ? "scheduled restart" : "restart");
		return;
	}
	r->trigger = trig;
	log_svc(r, GW_INFO, ev, json_pack("{s:s, s:s}", "trigger", trig_names[trig],
	    "method", method), "%s (%s)", trig == TRIG_SCHEDULE ? "scheduled restart" :
	    trig == TRIG_CTL ? "restart requested by ctl" : trig == TRIG_FOLLOW ?
	    "restart following its leader" : "restart after failed health checks",
	    how);
	r->awaiting_ready_after_restart = 1;
	arm(r->ready_deadline, r->svc->ready_after_restart_s);
	followers_begin(r);
	switch (a->kind) {
	case SVC_ACTION_SIGNAL:
		if (r->pid > 0) {
			r->want_restart = 1;
			stop_run(r, a->signal);
		} else if (r->st == ST_BACKOFF || r->st == ST_EXITED || r->st == ST_DOWN) {
			r->st = ST_WAITING;
			try_start_waiting(r->s);
		}
		return;
	case SVC_ACTION_ARGV: {
		struct pwfile_user pw;
		struct spawn_opts o;
		char why[300];

		memset(&o, 0, sizeof(o));
		o.argv = a->argv;
		o.notify_fd = -1;
		o.out_fd = o.err_fd = -1;
		if (r->svc->prefix_output) {
			o.out_fd = open_output(r, &r->act_out, 1, " (restart)");
			o.err_fd = open_output(r, &r->act_err, 2, " (restart)");
		}
		if (user_opts(a->user ? a->user : r->svc->user, &pw, &o, why,
		    sizeof(why)) < 0)
			r->action_pid = -1;
		else
			r->action_pid = spawn(&o, why, sizeof(why));
		if (o.out_fd >= 0)
			close(o.out_fd);
		if (o.err_fd >= 0)
			close(o.err_fd);
		if (r->action_pid < 0) {
			r->action_pid = 0;
			log_svc(r, GW_CRITICAL, "init.restart_action_failed", NULL, "%s", why);
			restart_action_done(r, 0);
			return;
		}
		arm(r->action_deadline, a->timeout_s);
		break;
	}
	case SVC_ACTION_IBC:
		if (r->ibc == NULL)
			r->ibc = ibc_cmd_new(r->s->base, a->ibc_host, a->ibc_port, "RESTART",
			    (int)(a->timeout_s * 1000), on_ibc_done, r, &e);
		if (r->ibc == NULL) {
			log_svc(r, GW_CRITICAL, "init.restart_action_failed", NULL,
			    "IBC: %s", e.msg);
			restart_action_done(r, 0);
		}
		break;
	}
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Arm schedule i for its next fire time, at most 60 s ahead: the timer
 * runs on the monotonic clock, so a long wait is re-checked against the
 * wall clock every minute (NTP steps, suspend). */
static void
arm_sched_timer(struct run *r, size_t i, double now)
{
	double d = (double)r->next_fire[i] - now;

	arm(r->sched_timer[i], d > 60 ? 60 : d);
}

/* A schedule timer expired: fire what is due by the wall clock (a timer
 * on the monotonic clock may end a little early); re-arm everything. */
static void
on_schedule(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	double now = wall_now();
	size_t i;
	int fired = 0;

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
	}
	if (fired && !r->s->shutting_down)
		scheduled_restart(r, TRIG_SCHEDULE);	/* once, even if two coincide */
	arm_schedules(r);
}

static void
arm_schedules(struct run *r)
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
			log_svc(r, GW_CRITICAL, "init.schedule_error", NULL,
			    "schedule %s: %s", r->svc->schedule[i].at, e.msg);
			continue;
		}
		r->next_fire[i] = next;
		arm_sched_timer(r, i, now_f);
	}
}

/* ---------- life cycle and control ---------- */

static void
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
	close_output(&r->out);
	close_output(&r->err);
	close_output(&r->check_err);
	close_output(&r->act_out);
	close_output(&r->act_err);
	ibc_cmd_free(r->ibc);
	free(r);
}

/* A run for service svc (index idx of the configuration), waiting. */
static struct run *
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
	r->check_timer = evtimer_new(s->base, on_check_timer, r);
	r->check_deadline = evtimer_new(s->base, on_check_deadline, r);
	r->ready_deadline = evtimer_new(s->base, on_ready_deadline, r);
	r->action_deadline = evtimer_new(s->base, on_action_deadline, r);
	for (j = 0; j < svc->n_schedule; j++)
		if ((r->sched_timer[j] = evtimer_new(s->base, on_schedule, r)) == NULL)
			break;
	if (!r->timer || !r->check_timer || !r->check_deadline ||
	    !r->ready_deadline || !r->action_deadline || j < svc->n_schedule) {
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
	if ((s->sweep_timer = evtimer_new(base, on_sweep_timer, s)) == NULL ||
	    (s->resume_ev = evtimer_new(base, on_resume, s)) == NULL) {
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

void
super_set_output(struct super *s, struct outq *out, struct outq *err)
{
	s->q[1] = out;
	s->q[2] = err;
	if (out != NULL)
		outq_on_drain(out, OUT_LOW, on_drain_out, s);
	if (err != NULL)
		outq_on_drain(err, OUT_LOW, on_drain_err, s);
}

const struct svcconf *
super_config(const struct super *s)
{
	return s->conf;
}

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
	stop_checks(r);
	if (r->action_pid > 0)
		kill_group(r->action_pid, SIGKILL);
	ibc_cmd_free(r->ibc);
	r->ibc = NULL;
	if (r->pid <= 0) {
		evtimer_del(r->timer);
		r->st = ST_DOWN;
	}	/* else stopped by reload_step, dependents first */
}

/* Once every retiring run is down: the new table takes over. */
static void
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
		if (r->st != ST_STOPPING && dependents_down(s, r, 1)) {
			r->want_restart = 0;
			stop_run(r, r->svc->stop_signal);
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
	gw_log_event(s->log, GW_INFO, COMPONENT, "init.reloaded", json_pack("{s:i, "
	    "s:i}", "services", (int)s->n, "kept", (int)kept),
	    "configuration reloaded: %zu services, %zu kept running", s->n, kept);
	for (i = 0; i < s->n; i++) {
		struct run *f = s->runs[i], *l;

		if (f->st == ST_WAITING)
			arm_schedules(f);
		/* a follower paused or held for a leader this reload replaced:
		 * the new leader's first "ready" lets it go (or its deadline
		 * alerts) */
		if ((f->paused || f->held) && f->svc->follows_index >= 0 &&
		    fresh[f->svc->follows_index]) {
			l = s->runs[f->svc->follows_index];
			if (!l->awaiting_ready_after_restart) {
				l->awaiting_ready_after_restart = 1;
				arm(l->ready_deadline, l->svc->ready_after_restart_s);
			}
		}
	}
	try_start_waiting(s);
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
	gw_log_event(s->log, GW_INFO, COMPONENT, "init.reload", json_pack("{s:O, "
	    "s:O, s:O, s:i}", "added", add, "removed", rm, "changed", chg,
	    "unchanged", (int)json_array_size(same)), "reloading: %zu added, "
	    "%zu removed, %zu changed, %zu unchanged", json_array_size(add),
	    json_array_size(rm), json_array_size(chg), json_array_size(same));
	if (summary != NULL)
		*summary = json_pack("{s:o, s:o, s:o, s:o}", "added", add, "removed",
		    rm, "changed", chg, "unchanged", same);
	else
		json_decref(add), json_decref(rm), json_decref(chg), json_decref(same);
	reload_step(s);
	return 0;
}

void
super_start(struct super *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		arm_schedules(s->runs[i]);
	try_start_waiting(s);
}

/* Restart a service now (ctl restart, a follower of leader by): stop and
 * start again, or start it if it is not running. An external one goes
 * through its restart action. */
static void
restart_run(struct run *r, enum trigger why, const struct run *by)
{
	r->n_fails = 0;
	r->delay = r->svc->backoff.initial_s;
	r->held = 0;
	if (r->svc->external) {
		scheduled_restart(r, why);
		return;
	}
	if (why != TRIG_START)
		log_svc(r, GW_INFO, "init.restart_requested", json_pack("{s:s, s:s, "
		    "s:s?}", "trigger", trig_names[why], "method", r->pid > 0 ?
		    "respawn" : "start", "leader", by ? by->svc->name : NULL),
		    "%s%s%s (%s)", why == TRIG_FOLLOW ? "restart following " :
		    "restart requested by ctl", by ? by->svc->name : "", by ?
		    "'s restart" : "", r->pid > 0 ? "stop signal, then respawn" :
		    "not running: start");
	if (r->pid > 0) {
		r->want_restart = 1;
		stop_run(r, r->svc->stop_signal);
		return;
	}
	if (r->st == ST_BACKOFF)
		evtimer_del(r->timer);
	r->st = ST_WAITING;
	try_start_waiting(r->s);
}

int
super_ctl(struct super *s, const char *verb, const char *name,
    struct gw_err *err)
{
	int i = svcconf_find(s->conf, name);
	struct run *r;

	if (i < 0) {
		char q[48];

		gw_err_quote(q, sizeof(q), name, strlen(name));
		return gw_err_set(err, "unknown service '%s'", q);
	}
	if (s->shutting_down)
		return gw_err_set(err, "shutting down");
	r = s->runs[i];
	if (r->retiring)
		return gw_err_set(err, "service '%s' is being stopped by a reload",
		    name);
	if (r->svc->external && strcmp(verb, "restart") != 0)
		return gw_err_set(err, "service '%s' is external: only restart "
		    "(its restart action) applies", name);
	if (strcmp(verb, "stop") == 0) {
		r->by_ctl = 1;
		r->want_restart = 0;
		/* stopped on purpose: no "not ready after restart" alert; its
		 * followers stay paused or held until it is ready again */
		evtimer_del(r->ready_deadline);
		if (r->st == ST_BACKOFF) {
			evtimer_del(r->timer);
			r->st = ST_DOWN;
		} else if (r->pid > 0) {
			stop_run(r, r->svc->stop_signal);
		} else if (r->st == ST_WAITING) {
			r->st = ST_DOWN;
		}
		return 0;
	}
	if (strcmp(verb, "start") == 0 || strcmp(verb, "restart") == 0) {
		r->by_ctl = 0;
		if (strcmp(verb, "start") == 0 && r->paused) {
			r->paused = 0;
			kill_group(r->pid, SIGCONT);
			log_svc(r, GW_INFO, "init.resumed", NULL, "resumed by ctl");
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
	double now = mono_s();
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
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:i, s:o, s:b, s:b, s:o}",
		    "name", r->svc->name, "state", r->paused ? "paused" :
		    r->held && r->pid <= 0 ? "held" : st_names[r->st],
		    "pid", r->pid > 0 ? json_integer(r->pid) : json_null(),
		    "uptime_s", r->pid > 0 ? json_real(now - r->started) : json_null(),
		    "restarts", (int)r->restarts,
		    "last_exit", r->have_exit ? status_json(r->last_status) : json_null(),
		    "ready", r->st == ST_READY, "external", r->svc->external,
		    "next_restart", next));
	}
	return a;
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
