/*
 * relaunch: stack-init's pure rules for relaunching a gateway while it
 * logs in (no I/O, no clock
 * reads: times are passed in, milliseconds of the caller's monotonic
 * clock). The login itself is lib/ibclog's tracker; this module decides
 * what stack-init may do about the gateway's process while it logs in:
 *
 *  - a relaunch of a gateway whose login needs the second factor (the
 *    tracker says cold, or a login is pending) is a cold relaunch: each
 *    sends a new push to the operator's phone and throws an approval in
 *    progress away, and too many failed logins lock the account. At most
 *    max_cold_per_hour of them per rolling hour (the budget), none while
 *    IBC says the account is locked out;
 *  - the operator (`ctl login`) and the planned weekly login go over the
 *    cap (forced); --force also goes through a lock-out.
 */
#ifndef STACK_INIT_RELAUNCH_H
#define STACK_INIT_RELAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "ibclog.h"

#define RELAUNCH_MAX_COLD 60	/* the largest max_cold_per_hour accepted */
#define RELAUNCH_HOUR_MS (3600 * 1000LL)

/* The cold relaunches of the last hour. */
struct relaunch_budget {
	int64_t at_ms[RELAUNCH_MAX_COLD + 1];	/* oldest first */
	int n;
	int max_per_hour;	/* 0..RELAUNCH_MAX_COLD */
};

/* An empty budget allowing max cold relaunches per rolling hour (clamped
 * to 0..RELAUNCH_MAX_COLD). */
void relaunch_budget_init(struct relaunch_budget *b, int max);
/* Cold relaunches within the hour before now_ms. */
int relaunch_budget_used(const struct relaunch_budget *b, int64_t now_ms);
/* Count one at now_ms (the oldest is forgotten when full). */
void relaunch_budget_add(struct relaunch_budget *b, int64_t now_ms);

/* What a (re)launch of the gateway may do now. */
enum relaunch_gate {
	RELAUNCH_GO,		/* not a cold relaunch: go */
	RELAUNCH_GO_COLD,		/* a cold relaunch within the budget (or
				 * forced): go, and count it */
	RELAUNCH_HOLD_LOCKED,	/* IBC says locked out: not before its end */
	RELAUNCH_HOLD_CAP,		/* the hour's cold relaunches are spent */
};

/* force: 0 automatic (restart policy, schedule, health), 1 asked for
 * (ctl login, the planned login: over the cap), 2 --force (also through a
 * lock-out). A forced relaunch is always cold (it is a deliberate full
 * login). Does not count: the caller calls relaunch_budget_add on GO_COLD. */
enum relaunch_gate relaunch_gate(const struct ibclog_tracker *t,
    const struct relaunch_budget *b, int64_t now_ms, int force);

/* "go", "go_cold", "locked_out", "cap". */
const char *relaunch_gate_name(enum relaunch_gate g);

/*
 * The local wall-clock time ("HH:MM:SS") of the monotonic instant at_ms,
 * given that the monotonic now_ms is the wall time wall_now_ms (ms since
 * the epoch). utc: UTC, else the local zone. buf gets at least 9 bytes.
 */
void relaunch_clock(char *buf, size_t sz, int64_t at_ms, int64_t now_ms,
    int64_t wall_now_ms, int utc);
/* The same instant as RFC 3339 UTC to the second: "2026-02-10T14:15:00Z". */
void relaunch_rfc3339(char *buf, size_t sz, int64_t at_ms, int64_t now_ms,
    int64_t wall_now_ms);

#endif
