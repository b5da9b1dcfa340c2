/*
 * super_int: the supervisor's insides, shared by the files it is split
 * into (not an API: only super*.c and the unit tests include it).
 *
 *   super.c          the service state machine, control, status
 *   super_proc.c     processes: fork/exec and the child's setup, signals
 *                    to process groups, what /proc says about them
 *   super_output.c   children's output: pipes, prefixed lines, to outq
 *   super_check.c    readiness and health checks
 *   super_action.c   schedules and restart actions
 *   super_shutdown.c ordered shutdown, leftovers, the notifier's hold
 *   super_reload.c   a new configuration taking over
 *   super_login.c    the gateway's login as IBC's log tells it: what
 *                    stack-init must not do while it is pending, cold
 *                    relaunches, ctl login
 */
#ifndef GW_SUPER_INT_H
#define GW_SUPER_INT_H

#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "ibclog.h"
#include "initrestart.h"
#include "log.h"
#include "relaunch.h"
#include "pwfile.h"
#include "super.h"
#include "svcconf.h"

#define SUPER_COMPONENT "init"
#define FAIL_RING 1024	/* >= the largest crash_loop.failures accepted */
#define OUT_HIGH (64 * 1024)	/* children's pipes pause above this many
				 * bytes waiting for our stdout/stderr ... */
#define OUT_LOW (16 * 1024)	/* ... and resume at this many */
#define SWEEP_TERM_S 5.0	/* leftover processes: SIGTERM, then SIGKILL after */
#define SWEEP_KILL_S 2.0	/* ... and give up on them after this */
#define MAX_LEFTOVERS 1024
#define SUPER_MAX_ACTIONS 8	/* > every enum svc_action_kind */

enum st {
	ST_DOWN, ST_WAITING, ST_STARTING, ST_READY, ST_STOPPING, ST_BACKOFF,
	ST_FATAL, ST_EXITED,
};

/* Why a restart happens: named in its events (super_trig_names). */
enum trigger { TRIG_SCHEDULE, TRIG_CTL, TRIG_FOLLOW, TRIG_HEALTH,
	TRIG_START /* ctl start: not a restart */ };
extern const char *const super_trig_names[];

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
	char check_pw_why[GW_WHY_MAX];		/* ... and why */
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
	void *act;		/* a registered action under way (its handle) */
	void (*act_cancel)(void *);	/* ... and how to cancel it */
	int trigger;		/* enum trigger of the restart under way */
	int stop_sig;		/* the signal stop_run sent */
	/* the login (services with ibc_log: super_login.c) */
	struct ibclog_tracker login;
	struct relaunch_budget cold;	/* cold relaunches of the last hour */
	struct linefollow *ibc_follow;	/* "ibc_log": PATH */
	struct event *login_timer;	/* reminders; the end of a lock-out */
	int64_t next_remind_ms;
	int login_was_pending;
	int login_hold;		/* enum relaunch_gate: a relaunch held back */
	int login_force;	/* the next relaunch: 1 asked for, 2 --force */
	int login_deadline_held;	/* ready_after_restart ended while pending */
	int login_action;	/* the restart under way is a login */
	/* the restart file (super_restart.c) */
	struct initrestart rf;	/* the last restart; IR_NONE: none yet */
	char rf_path[4096];	/* "" when the path cannot be made ... */
	char rf_why[GW_ERR_MAX];	/* ... and why */
};

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
	/* restart actions performed by the owner, by enum svc_action_kind
	 * (start NULL: none registered) */
	struct super_action acts[SUPER_MAX_ACTIONS];
};

/* ---------- super.c: helpers and the state machine ---------- */

double super_now(void);		/* monotonic seconds */
void super_arm(struct event *ev, double s);	/* evtimer_add in s seconds */
const char *super_sig_name(int sig);	/* "TERM", "?" */
/* "exit 3" / "signal KILL" for logs, and a JSON object for status. */
void super_describe_status(int status, char *buf, size_t sz);
json_t *super_status_json(int status);
/* An event about r (fields: new reference or NULL, "service" added), its
 * message "NAME: fmt...". */
void super_log(struct run *r, enum gw_level lvl, const char *event,
    json_t *fields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Start every waiting run whose dependencies allow it (not while shutting
 * down). */
void super_try_start(struct super *s);

void run_set_ready(struct run *r);	/* STARTING -> READY */
void run_stop(struct run *r, int sig);	/* running -> STOPPING */
/* Ready again after a restart through its action: log, followers go on. */
void run_complete_restart(struct run *r);
/* The leader r's restart begins / is over (restarted: really restarted). */
void run_followers_begin(struct run *r);
void run_followers_end(struct run *r, int restarted);
/* 1 once no dependent of r (with retiring: no retiring one) runs. */
int run_dependents_down(const struct super *s, const struct run *r,
    int retiring);
struct run *run_new(struct super *s, const struct svc *svc, int idx);
void run_free(struct run *r);	/* NULL-safe */

/* ---------- super_proc.c: processes ---------- */

struct spawn_opts {
	char *const *argv;
	char *const *env;	/* added "K=V", or NULL */
	const char *cwd;
	const struct pwfile_user *user;	/* switch to, or NULL */
	int out_fd, err_fd;	/* -1: inherit */
	int notify_fd, notify_target;	/* -1: none */
};

/* fork + exec o->argv in a new process group. Every step of the child's
 * setup is checked: a failure there, or of exec, comes back through a
 * close-on-exec pipe and is told in why ("cannot run x: No such file or
 * directory", "cannot set up stdout (dup2): Bad file descriptor"), and -1
 * is returned (the child reaped). Blocks until the child has exec'd. */
pid_t proc_spawn(const struct spawn_opts *o, char *why, size_t whysz);
/* Look user up (NULL: no switch, 0) in /etc/passwd and /etc/group (read
 * directly: the program is static and glibc's NSS must not be loaded) into
 * *pw and set o->user. Returns 0, or -1 with why ("user: ..."). */
int proc_user(const char *user, struct pwfile_user *pw, struct spawn_opts *o,
    char *why, size_t whysz);
/* Signal the process group of pid; refuses pid <= 1 (ESRCH). */
int proc_kill_group(pid_t pid, int sig);
/* How many processes of group pgid are alive and staying (not exited, not
 * exiting, not about to die of sig or SIGKILL); 0 when /proc cannot tell. */
int proc_group_live(pid_t pgid, int sig);
/* Our live children (at most max), or -1 when /proc cannot tell. */
int proc_children(pid_t *out, int max);

/* ---------- super_output.c: children's output ---------- */

/* A pipe for one output stream of a child: returns the write end for the
 * child (close it after the fork), or -1 (the child then inherits ours).
 * Lines read from it go to our fd `to`, prefixed with "name suffix | ". */
int output_open(struct run *r, struct pipe_out *p, int to, const char *suffix);
/* Take what the pipe holds now (a child's last words before its exit). */
void output_drain(struct pipe_out *p);
/* Drain, pass on a last partial line, close. */
void output_close(struct pipe_out *p);

/* ---------- super_check.c: readiness and health checks ---------- */

void svccheck_start(struct run *r);	/* a series of readiness checks */
void svccheck_health_start(struct run *r);	/* ready: health checks */
void svccheck_stop(struct run *r);		/* a running check is killed */
void svccheck_exit(struct run *r, int status);	/* reaped a check */
void svccheck_on_timer(evutil_socket_t fd, short what, void *arg);
void svccheck_on_deadline(evutil_socket_t fd, short what, void *arg);

/* ---------- super_action.c: schedules and restart actions ---------- */

/* Restart r through its restart action (see the file). */
void action_restart(struct run *r, enum trigger trig);
/* "scheduled restart", "restart (ctl)": the restart under way. */
const char *action_what(const struct run *r);
void action_exit(struct run *r, int status);	/* reaped its command */
/* Cancel the registered action under way, if any (no verdict follows). */
void action_cancel(struct run *r);
/* Arm r's schedules that are not armed. */
void action_arm_schedules(struct run *r);
void action_on_ready_deadline(evutil_socket_t fd, short what, void *arg);
void action_on_deadline(evutil_socket_t fd, short what, void *arg);
void action_on_schedule(evutil_socket_t fd, short what, void *arg);

/* Begin a cold login (ctl login, a "login" schedule): the login is
 * marked expected; a local service's process is restarted (a cold
 * relaunch, over the cap), an external one gets its registered action's
 * login (IBC STOP). force as relaunch_gate's. */
void action_login(struct run *r, enum trigger trig, int force);

/* ---------- super_login.c: the gateway's login ---------- */

/* r's login parts (timer, file follower); 0, or -1 (out of memory). */
int svclogin_open(struct run *r);
void svclogin_close(struct run *r);	/* NULL-safe parts */
/* A line of r's own output (ibc_log true), without its newline. */
void svclogin_line(struct run *r, const char *line, size_t len);
/* 1 while r's login is pending (never without ibc_log). */
int svclogin_pending(const struct run *r);
/* "waiting for the second factor on the operator's phone<mid> (attempt
 * 1, approve by 14:03:05)", "locked out ...<mid> (until 14:20:00)". */
void svclogin_pending_text(const struct run *r, const char *mid, char *buf,
    size_t sz);
/* An automatic restart of r (what: "scheduled restart") is due: 1 when a
 * login is pending and it must not happen (init.login_pending said so). */
int svclogin_blocks(struct run *r, const char *what, enum trigger trig);
/* r's process is about to be (re)launched, or an external one restarted
 * through its action: 0 go (a cold relaunch counted), 1 held back
 * (logged; a local run keeps r->login_hold until released). */
int svclogin_relaunch_held(struct run *r);
/* r's process exited: a push to the phone from it is void. */
void svclogin_process_exit(struct run *r);
/* The ready_after_restart deadline ended: 1 when it is held over (a login
 * pending; it is armed again once the login is no longer pending). */
int svclogin_hold_deadline(struct run *r);
/* status: r's "login" object (new reference), or NULL without ibc_log. */
json_t *svclogin_status(const struct run *r);
void svclogin_on_timer(evutil_socket_t fd, short what, void *arg);

/* ---------- super_restart.c: the restart file ---------- */

void rfile_init(struct run *r);	/* its path (run_new); state none */
/* A restart of r begins (before its action goes out and before its
 * followers are paused or stopped): the file says in_progress. */
void rfile_begin(struct run *r, enum trigger trig, const char *method);
/* It is over: IR_COMPLETED, IR_FAILED, IR_NOT_READY (no-op unless one is
 * in progress; completed also after not_ready). */
void rfile_end(struct run *r, enum initrestart_state st);
int rfile_in_progress(const struct run *r);
void rfile_remove_stale(struct run *r);	/* start-up: a previous run's */
json_t *rfile_status(const struct run *r);	/* "restart": object or null */
/* The env to start r with (see the file): free() it when it differs
 * from r->svc->env; NULL without memory. */
char **rfile_env(const struct run *r, char *extra, size_t extrasz);

/* ---------- super_shutdown.c ---------- */

/* Stop what may stop now; calls done once everything is down. */
void shutdown_step(struct super *s);
void shutdown_on_sweep(evutil_socket_t fd, short what, void *arg);
void shutdown_on_resume(evutil_socket_t fd, short what, void *arg);

/* ---------- super_reload.c ---------- */

/* Once every retiring run is down: the new table takes over. */
void reload_step(struct super *s);

#endif
