/*
 * svcconf: stack-init's configuration file (JSON, see docs/stack-init.md):
 * parsed once with jansson, unpacked into these structs, validated (unknown
 * keys, types, ranges, dependency names and cycles), with errors that name
 * the file position or the service and key. The json_t is dropped after.
 */
#ifndef GW_SVCCONF_H
#define GW_SVCCONF_H

#include <stddef.h>

#include "gw_err.h"
#include "sched.h"

#define SVC_MAX_SERVICES 64
#define SVC_MAX_DEPS 16
#define SVC_MAX_SCHEDULES 8
#define SVC_NAME_MAX 32
#define SVC_MAX_ARGV 256
#define SVC_MAX_FAST_EXIT 16	/* ready.fast_exit: at most this many codes */
#define SVCCONF_MAX_FILE (1024 * 1024)	/* svcconf_load refuses larger files */

enum svc_restart {
	SVC_RESTART_NO,
	SVC_RESTART_ON_FAILURE,
	SVC_RESTART_ALWAYS,
	SVC_RESTART_UNLESS_STOPPED,
};

enum svc_dep_condition {
	SVC_DEP_STARTED,
	SVC_DEP_READY,
};

enum svc_action_kind {
	SVC_ACTION_SIGNAL,	/* signal the child (default TERM): it exits, the
				 * restart policy brings it back */
	SVC_ACTION_ARGV,	/* run a command, e.g. docker restart ibkr-gateway */
	SVC_ACTION_IBC,		/* send RESTART to an IBC command server, require OK */
};

/* What stack-init does with a signal it receives (top-level "signals"). */
enum svc_sig_action {
	SVC_SIG_SHUTDOWN,	/* ordered shutdown (TERM and INT by default) */
	SVC_SIG_FORWARD,	/* to the services that accept it (HUP USR1 USR2 QUIT) */
	SVC_SIG_RELOAD,		/* re-read the configuration (like ctl reload) */
	SVC_SIG_IGNORE,
};

/* How a follower goes along with its leader's scheduled restart. */
enum svc_follow_mode {
	SVC_FOLLOW_RESTART,	/* restarted once the leader is ready again */
	SVC_FOLLOW_STOP,	/* stopped when it begins, started once ready again */
	SVC_FOLLOW_PAUSE,	/* SIGSTOP when it begins, SIGCONT once ready again */
};

enum svc_ready_kind {
	SVC_READY_NONE,
	SVC_READY_COMMAND,
	SVC_READY_NOTIFY,
};

struct svc_dep {
	char service[SVC_NAME_MAX];
	enum svc_dep_condition condition;
	int index;		/* resolved: index of the service */
};

struct svc_ready {
	int kind;		/* enum svc_ready_kind: 0 none, 1 command,
				 * 2 notification fd */
	char **argv;		/* command: NULL-terminated */
	double interval_s;	/* default 2 */
	double timeout_s;	/* per check, default 5 */
	double start_period_s;	/* give up (unready) after, default 60 */
	int notify_fd;		/* kind 2: the child writes a newline on this fd */
	char *user;		/* the check runs as: NULL = the service's user */
	/* after a failing check whose exit status is one of fast_exit, the
	 * next one runs after fast_interval_s instead of interval_s: those
	 * failures are cheap to check again (gw-probe's unreachable and
	 * relay-closed: no API session) */
	unsigned char fast_exit[SVC_MAX_FAST_EXIT];
	size_t n_fast_exit;	/* 0: none */
	double fast_interval_s;	/* default 0.1 (only with fast_exit) */
};

struct svc_action {
	enum svc_action_kind kind;
	int signal;		/* SIGNAL: default SIGTERM */
	char **argv;		/* ARGV */
	char ibc_host[256];	/* IBC */
	int ibc_port;
	double timeout_s;	/* ARGV/IBC deadline, default 30 */
	char *user;		/* ARGV runs as: NULL = the service's user */
};

enum svc_health_action {
	SVC_HEALTH_ALERT,	/* log init.unhealthy (error) */
	SVC_HEALTH_RESTART,	/* that, then restart it through restart_action */
};

/* A periodic check once the service is ready ("health"). */
struct svc_health {
	int enabled;
	char **argv;		/* NULL-terminated; NULL: the ready check's argv */
	double interval_s;	/* default 30 */
	double timeout_s;	/* per check, default 5 */
	int retries;		/* consecutive failures before unhealthy, default 3 */
	enum svc_health_action action;	/* default alert */
	char *user;		/* NULL: as the ready check it reuses, else the
				 * service's user */
};

struct svc_schedule {
	struct sched_spec when;
	char at[16];		/* as written ("16:30"), for status output */
	int action_restart;	/* "restart": a routine (soft) restart */
	int action_login;	/* "login": the planned cold login (needs ibc_log) */
};

/* Where stack-init reads the gateway's IBC log ("ibc_log"). */
enum svc_ibc_log {
	SVC_IBC_LOG_NONE,
	SVC_IBC_LOG_OUTPUT,	/* true: the service's own stdout/stderr */
	SVC_IBC_LOG_FILE,	/* "PATH": a file followed like tail -F */
};

#define SVC_IBC_LOG_PATH_MAX 4096

/* The login rules of a gateway whose IBC log stack-init reads ("ibc_log",
 * "login": {...}). */
struct svc_login {
	enum svc_ibc_log ibc_log;
	char *path;		/* SVC_IBC_LOG_FILE */
	int max_cold_per_hour;	/* cold relaunches per rolling hour, default 3 */
	double remind_s;	/* a pending login is reminded every, default 300 */
	double twofa_window_s;	/* the approval window, default 180 (IBKR's) */
	int given;		/* "login" was in the file */
};

struct svc_backoff {
	double initial_s;	/* default 0.1; 0 = respawn at once */
	double max_s;		/* default 60 */
	double reset_after_s;	/* default 10 s of stable running */
};

struct svc_crash_loop {
	int failures;		/* default 5 ... */
	double window_s;	/* ... within 60 s */
	int give_up;		/* 1: state fatal until ctl start; 0: keep retrying at the cap */
};

struct svc {
	char name[SVC_NAME_MAX];
	char **argv;		/* NULL for external services */
	char **env;		/* "K=V" added to the inherited environment */
	char *cwd;
	char *user;
	int external;
	int critical;		/* fatal -> stack-init exits with its code */
	struct svc_dep deps[SVC_MAX_DEPS];
	size_t n_deps;
	struct svc_ready ready;
	enum svc_restart restart;
	struct svc_backoff backoff;
	struct svc_crash_loop crash_loop;
	int stop_signal;	/* default SIGTERM */
	double stop_timeout_s;	/* default 10, then SIGKILL */
	struct svc_schedule schedule[SVC_MAX_SCHEDULES];
	size_t n_schedule;
	struct svc_action restart_action;
	double ready_after_restart_s;	/* deadline to be ready again, default 300 */
	double restart_settle_s;	/* after an argv/IBC action: passing checks
					 * count once one failed or after this, default 5 */
	struct svc_health health;
	int notifier;		/* owns the notify socket: stopped last at shutdown */
	char follows[SVC_NAME_MAX];	/* go along with this service's scheduled restarts, "" none */
	int follows_index;
	enum svc_follow_mode follow_mode;
	unsigned long long forward_signals;	/* bit N: receives forwarded signal N (default all) */
	int prefix_output;	/* prefix each output line with "name | " (default 1) */
	struct svc_login login;	/* ibc_log NONE: stack-init does not watch its login */
};

/* The signals stack-init handles; their actions are configurable. */
#define SVC_N_SIGNALS 6

struct svcconf {
	enum svc_sig_action on_signal[SVC_N_SIGNALS];	/* by svcconf_signal_slot */
	struct svc svc[SVC_MAX_SERVICES];
	size_t n;
	size_t order[SVC_MAX_SERVICES];	/* a dependency order (deps first) */
};

/* Load and validate a file of at most SVCCONF_MAX_FILE bytes (blocking
 * read). Errors look like
 *   "etc/stack.json:3:17: expected ',' or '}'"       (JSON syntax)
 *   "etc/stack.json: larger than 1048576 bytes"      (the file itself)
 *   "service 'bot': depends_on: unknown service 'gatway'"  (meaning)
 *   "services[3]: name: missing"                     (no usable name yet)
 *   "dependency cycle: a -> b -> a"
 *   "follows cycle: a -> b -> a"
 * Messages about meaning do not repeat the file name: prefix it when
 * printing. Returns a table the caller frees with svcconf_free, or NULL
 * with err. */
struct svcconf *svcconf_load(const char *path, struct gw_err *err);
/* The same from a buffer (tests, fuzzing); name is used in messages
 * (NULL: "(config)"). Any bytes; the buffer is not kept. */
struct svcconf *svcconf_parse(const char *buf, size_t len, const char *name,
    struct gw_err *err);
/* NULL-safe. */
void svcconf_free(struct svcconf *c);
/* Index of a service by name, or -1 (also for NULL arguments). */
int svcconf_find(const struct svcconf *c, const char *name);

/* The handled signals in slot order (TERM INT HUP USR1 USR2 QUIT), and the
 * slot of a signal (-1 when not handled). */
int svcconf_signal_at(int slot);
int svcconf_signal_slot(int sig);
/* What to do with sig: the configured action (SVC_SIG_IGNORE when sig is
 * not one of the handled signals). */
enum svc_sig_action svcconf_signal_action(const struct svcconf *c, int sig);

/* 1 when a and b describe the same service (every key, deeply), ignoring
 * the resolved indices: a reload leaves such a service running. */
int svcconf_svc_equal(const struct svc *a, const struct svc *b);

#endif
