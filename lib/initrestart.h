/*
 * initrestart: a restart stack-init sent, as it tells the programs it runs
 * (docs/runtime.md "The restart file"). Before stack-init restarts a
 * service (schedule, ctl, follows, health) it writes
 * <runtime dir>/restart-<service>.json, and rewrites it when the restart is
 * over; the same object is the SERVICE object's "restart" in `stack-init
 * ctl status`. bot-core reads it to end its restart-window gate as soon as
 * the restart is over and to keep a known restart's disconnect out of the
 * alerts; health-mon reads it to stay quiet while the gateway restarts on
 * purpose. stack-init gives a follower GWKIT_RESTART_FILE, its leader's
 * file.
 *
 * Nothing read here is trusted: a missing file, a bad one, or one left "in
 * progress" past its deadline (stack-init gone) is IR_UNKNOWN, and callers
 * then act as if no restart were known (gates by the clock, alerts out).
 */
#ifndef GW_INITRESTART_H
#define GW_INITRESTART_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"

#include <jansson.h>

enum initrestart_state {
	IR_UNKNOWN,	/* no usable answer */
	IR_NONE,	/* no restart announced (no file; "restart": null) */
	IR_IN_PROGRESS,	/* "in_progress": the action was sent, not ready again */
	IR_COMPLETED,	/* "completed": ready again after the action */
	IR_FAILED,	/* "failed": the action failed, no restart happened */
	IR_NOT_READY,	/* "not_ready": not ready within ready_after_restart */
	IR_STATE_COUNT
};

struct initrestart {
	enum initrestart_state state;
	char service[64];	/* the service restarted */
	char trigger[16];	/* schedule, ctl, follows, health; "" if none */
	char method[16];	/* ibc, command, signal, respawn, start; "" */
	int64_t began_ms;	/* wall clock (ms since the epoch); 0: none */
	int64_t ended_ms;	/* 0 while in progress (and for none) */
	int64_t deadline_ms;	/* in progress: ready again by then, or not_ready */
};

/* "unknown", "none", "in_progress", "completed", "failed", "not_ready". */
const char *initrestart_state_name(enum initrestart_state s);

/* The file's JSON object (also the SERVICE object's "restart"):
 * {"service", "state", "trigger", "method", "began", "ended", "deadline"},
 * times RFC 3339 UTC with milliseconds, "ended" null while in progress,
 * "deadline" (began + ready_after_restart) when in progress. */
#define INITRESTART_FILE_MAX 4096
/* A deadline further than this after began is refused: a restart that
 * could stay "in progress" for longer would silence its readers that long. */
#define INITRESTART_DEADLINE_MAX_MS (7LL * 86400 * 1000)

/* Decode the object (any bytes; pure). 0 with *out, or -1 with err naming
 * what is wrong (*out is then IR_UNKNOWN). now_ms (wall clock) judges the
 * deadline: in progress past it is refused ("stale"). */
int initrestart_decode(const char *buf, size_t len, int64_t now_ms,
    struct initrestart *out, struct gw_err *err);

/* The object for r (new reference), or NULL without memory. */
json_t *initrestart_json(const struct initrestart *r);

/* Read and decode the file at path (at most INITRESTART_FILE_MAX bytes;
 * non-blocking in practice: a small file in the runtime directory). A
 * missing file is IR_NONE (returns 0): no restart has been announced. */
int initrestart_read(const char *path, int64_t now_ms,
    struct initrestart *out, struct gw_err *err);

/* Write r to path atomically (a temporary file in the same directory,
 * fsync, rename; mode 0644). */
int initrestart_write(const char *path, const struct initrestart *r,
    struct gw_err *err);

/* <runtime dir>/restart-<service>.json. */
int initrestart_path(const char *service, char *buf, size_t sz,
    struct gw_err *err);

#endif
