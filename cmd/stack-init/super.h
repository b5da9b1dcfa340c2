/*
 * super: stack-init's supervisor. Starts services in dependency order,
 * holds dependents until their dependencies are started or ready, checks
 * readiness (a command every interval, or a notification fd), checks
 * health once ready (optional), restarts by policy with backoff and
 * crash-loop detection, stops in reverse order with a SIGKILL deadline (the
 * notifier last), and reaps every child (adopted orphans too). The
 * caller owns the event loop and the signals: it calls super_reap() on
 * SIGCHLD and super_shutdown() on SIGTERM.
 * Every state change is logged as an event record (source stack-init,
 * component init).
 */
#ifndef GW_SUPER_H
#define GW_SUPER_H

#include <jansson.h>

#include "gw_err.h"
#include "log.h"
#include "svcconf.h"

struct event_base;
struct super;

/* Takes ownership of conf on success (super_free frees it); on failure
 * the caller still owns it. */
struct super *super_new(struct event_base *base, struct svcconf *conf,
    struct gw_log *log, struct gw_err *err);
void super_free(struct super *s);

struct outq;
/* Children's prefixed lines go to these queues (NULL: write(2) to fd 1 or
 * 2). When one holds more than 64 KiB, the pipes feeding it are not read
 * until it is down to 16 KiB: slow log readers slow the children, never
 * stack-init. Their caps must be larger than 64 KiB. The queues are
 * borrowed and must outlive the supervisor. */
void super_set_output(struct super *s, struct outq *out, struct outq *err);

/* A restart action the supervisor does not perform itself. It sends
 * signals and runs commands (SVC_ACTION_SIGNAL, SVC_ACTION_ARGV); for any
 * other kind of svc_action the owner registers one of these, and the
 * supervisor only runs it: the events around it (init.scheduled_restart,
 * init.restart_requested, init.restart_action[_failed], the followers,
 * the ready_after_restart deadline) stay the supervisor's. */
typedef void (*super_action_done)(void *token, int ok, const char *msg);
struct super_action {
	const char *method;	/* the "method" field of its events */
	const char *how;	/* "restart requested by ctl (HOW)" */
	/* Begin action a of a service; never blocks, never calls done from
	 * within. Returns a handle, or NULL with err (its msg becomes the
	 * message of init.restart_action_failed). After a handle,
	 * done(token, ok, msg) follows exactly once from the loop unless
	 * cancel(handle) came first; msg (valid during the call) becomes the
	 * message of init.restart_action (ok) or init.restart_action_failed.
	 * The handle is the action's own: it is gone once done returns. */
	void *(*start)(void *arg, const struct svc_action *a,
	    super_action_done done, void *token, struct gw_err *err);
	void (*cancel)(void *handle);	/* done is not called after it */
	/* A cold login through the same service (ctl login, a "login"
	 * schedule), started and cancelled like start; NULL: none (those
	 * services cannot be made to log in). */
	void *(*login)(void *arg, const struct svc_action *a,
	    super_action_done done, void *token, struct gw_err *err);
	const char *login_how;	/* "IBC STOP": for the events */
	void *arg;
};

/* Perform restart actions of kind with act (copied; its strings must
 * outlive the supervisor). Returns 0, or -1 with err for a kind the
 * supervisor performs itself or does not know. A service whose action
 * kind has nothing registered fails its restarts
 * (init.restart_action_failed). */
int super_set_action(struct super *s, enum svc_action_kind kind,
    const struct super_action *act, struct gw_err *err);

/* The configuration in force (changes with super_reload). */
const struct svcconf *super_config(const struct super *s);

/* Apply a new, validated configuration: services that are gone or changed
 * (svcconf_svc_equal) are stopped; once they are down, the new table takes
 * over, unchanged services keep running untouched, new and changed ones
 * start in dependency order. Takes ownership of next on success; returns
 * -1 with err ("a reload is already in progress", "shutting down") and
 * leaves next to the caller otherwise. *summary (may be NULL) receives a
 * new {"added":[..],"removed":[..],"changed":[..],"unchanged":[..]}. */
int super_reload(struct super *s, struct svcconf *next, json_t **summary,
    struct gw_err *err);

/* Start everything whose dependencies allow it; the rest follows as
 * dependencies become started or ready. */
void super_start(struct super *s);

/* Reap every exited child (non-blocking waitpid loop) and act on service
 * exits. Call on SIGCHLD. */
void super_reap(struct super *s);

/* Ordered shutdown: stop services in reverse dependency order, each with
 * its stop signal and timeout (then SIGKILL). done(arg) runs once all are
 * down. */
void super_shutdown(struct super *s, void (*done)(void *arg), void *arg);

/* Shutdown order: the service marked "notifier" (it owns the notify
 * socket) stops last. Once every other service is down (those the
 * notifier depends on excepted: they stop after it), or, without a
 * notifier, once all are down, the shutdown calls hold(arg, resume, rarg)
 * and waits for resume(rarg) (from the loop or from within hold, once)
 * before it signals the notifier and ends: time to flush queued alerts
 * (evsend_flush). No hold set: it goes straight on. */
void super_on_hold(struct super *s, void (*hold)(void *arg,
    void (*resume)(void *), void *rarg), void *arg);

/* Forward a signal to the process group of every running service whose
 * forward_signals include it. Paused services get it once resumed. */
void super_forward(struct super *s, int sig);

/* Control: "start", "stop" or "restart" a service by name. "start" also
 * resumes a paused follower or releases a held one. Returns 0 or -1 with
 * err ("unknown service 'x'", ...). */
int super_ctl(struct super *s, const char *verb, const char *name,
    struct gw_err *err);

/* Control: "login" a service with "ibc_log" (the operator's "retry the
 * login now"): the login is marked expected, a local service's process is
 * restarted (a cold relaunch, allowed over max_cold_per_hour), an
 * external one gets IBC STOP (its container's restart policy brings it
 * back with a full login). While a login is pending it is refused unless
 * force (which also goes through a lock-out). Returns 0; 1 refused
 * because a login is pending (err says so); -1 with err ("unknown
 * service 'x'", no ibc_log, an external service without an ibc
 * restart_action, ...). */
int super_login(struct super *s, const char *name, int force,
    struct gw_err *err);

/* One JSON object per service (new reference, an array); a service with
 * "ibc_log" has a "login" object (docs/stack-init.md). */
json_t *super_status(const struct super *s);

/* After shutdown: 0 when everything stopped cleanly, or the exit code of a
 * critical service that went fatal (128+N when killed by signal N). */
int super_exit_code(const struct super *s);
/* 1 once a critical service went fatal: the caller should shut down. */
int super_critical_failed(const struct super *s);
/* cb(arg) runs from the loop once a critical service went fatal. */
void super_on_critical(struct super *s, void (*cb)(void *arg), void *arg);

#endif
