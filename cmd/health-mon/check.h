/*
 * check: one kind of health check on the event loop (docs/health-mon.md
 * "CHECKS"). Each check runs on its own timer with its own deadline; no
 * check can delay another (nothing here blocks). A run ends in exactly
 * one result through the callback: the observed status, a reason, the
 * duration and the fields of its JSON line.
 *
 * Implemented per kind in check_gateway.c, check_socket.c (bot, init,
 * notifier), check_host.c and check_command.c; check.c holds what they
 * share (the timer, the deadline, the result line).
 *
 * A run that outlives timeout_s is stopped and reported unhealthy with
 * the reason "no answer within N s". The gateway: ready is healthy, any
 * other verdict unhealthy ("<verdict>: <probe's reason>"); with a
 * backend_port, a front that failed before the API answered is followed
 * by a probe of the backend, and a front that accepts while the backend is
 * unreachable reads "relay up, gateway down: backend N unreachable ...".
 * A command (the Nagios plugin convention): exit 0 healthy, 1 degraded,
 * 2 or any other status (or a signal) unhealthy; the first line of its
 * stdout is the reason; stdin and stderr are /dev/null; it runs in its
 * own process group, which gets SIGKILL on the deadline; a program that
 * cannot be run is unhealthy with "cannot run <prog>: <why>".
 */
#ifndef HM_CHECK_H
#define HM_CHECK_H

#include <stddef.h>

#include <jansson.h>

#include "gw_err.h"
#include "hstate.h"

struct event_base;
struct evdns_base;
struct check;

#define CHECK_MAX_PATHS 8
#define CHECK_MAX_PROCS 8
#define CHECK_MAX_ARGV 16

enum check_kind {
	CHECK_GATEWAY,		/* API-level probe (lib/probe) */
	CHECK_BOT,		/* bot-core's bot.sock status */
	CHECK_INIT,		/* stack-init's init.sock status */
	CHECK_NOTIFIER,		/* discord-notify's notify.sock stats */
	CHECK_HOST,		/* load, memory, disk, process RSS */
	CHECK_COMMAND,		/* a program's exit status */
};

struct check_proc {
	char label[64];		/* in reasons and fields ("gateway JVM");
				 * "": name, else pidfile */
	char name[64];		/* process name (comm) to find, or "" */
	char pidfile[256];	/* or a pid file, or "" */
	double rss_warn_mib, rss_crit_mib;	/* 0: not judged */
};

struct check_config {
	enum check_kind kind;
	char name[HS_NAME_MAX + 1];	/* the component: "gateway", ... */
	double interval_s;		/* HEALTH_INTERVAL (60) */
	double timeout_s;		/* one run's deadline (10) */
	/* gateway */
	char host[256];
	int port;
	int client_id;			/* its own, distinct from bot-core's (919) */
	int backend_port;		/* the relay's backend, 0: none */
	/* bot, init, notifier */
	char socket[108];
	double stale_s;			/* bot: last_gateway_check older: stale */
	double backlog_warn;		/* notifier: undelivered events */
	double oldest_warn_s;		/* notifier: oldest undelivered age */
	/* host */
	char proc_root[256];		/* "/proc" (tests: a fake tree) */
	double load_warn, load_crit;	/* per CPU, 1-minute average; 0: off */
	double mem_warn_mib, mem_crit_mib;	/* MemAvailable below */
	char disk_paths[CHECK_MAX_PATHS][256];
	size_t n_disk_paths;
	double disk_warn_pct, disk_crit_pct;	/* free below */
	struct check_proc procs[CHECK_MAX_PROCS];
	size_t n_procs;
	/* command */
	char *argv[CHECK_MAX_ARGV + 1];	/* borrowed, NULL-terminated */
};

struct check_result {
	enum hs_status status;		/* HEALTHY, DEGRADED or UNHEALTHY */
	char reason[HS_REASON_MAX + 1];	/* "" when healthy */
	double duration_ms;
	json_t *fields;			/* the kind's fields (borrowed for the
					 * callback): for the gateway
					 * port_responding, verdict, stage
					 * timings, ... */
};

typedef void (*check_cb)(struct check *c, const struct check_result *r,
    void *arg);

/* Defaults for kind (intervals, thresholds, sockets under the runtime
 * directory rd). */
void check_config_init(struct check_config *cfg, enum check_kind kind,
    const char *rd);
const char *check_kind_name(enum check_kind kind);

/* A check on base (dns may be NULL: lib/dialer makes a resolver when a
 * name needs one); cfg is copied (argv stays borrowed). NULL with err for
 * a configuration it cannot run (interval, timeout, port, no program). */
struct check *check_new(struct event_base *base, struct evdns_base *dns,
    const struct check_config *cfg, check_cb cb, void *arg,
    struct gw_err *err);
/* Run now, then every interval_s (a run under way is not started again).
 * The callback runs from the loop, never inside this call; -1 with err
 * when already started. */
int check_start(struct check *c, struct gw_err *err);
/* Run once now (for --once); the callback reports it. While a run is
 * under way this does nothing: that run's result is the report. */
int check_run_once(struct check *c, struct gw_err *err);
const struct check_config *check_config_of(const struct check *c);
/* Safe from the callback (the memory then goes on the loop's next turn,
 * so turn the loop once before freeing the base). Stops a run under way
 * (a command's process group is killed and reaped). NULL-safe. */
void check_free(struct check *c);

#endif
