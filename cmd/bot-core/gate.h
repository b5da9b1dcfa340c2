/*
 * gate: bot-core's safety gate, the single answer to "may an order leave
 * now?" (docs/bot-core.md "THE GATE"). A pure state machine: the owner
 * raises and clears conditions as they happen; the gate is open only when
 * none is raised. Every change of open/closed is reported to the owner
 * once (it logs gate.opened / gate.closed with the reason). No I/O, no
 * clock.
 */
#ifndef BOT_GATE_H
#define BOT_GATE_H

#include <stdint.h>
#include <time.h>

#include "gw_err.h"
#include "initrestart.h"

/* Conditions that close the gate, in the order their reason is given
 * when several hold (the first raised one in this order names it). */
enum gate_cond {
	GATE_LIVE_REFUSED,	/* accounts that do not fit the trading mode
				 * (tradmode): raised for the life of the
				 * process */
	GATE_HALTED,		/* the operator's halt, until resume */
	GATE_NOT_VALIDATED,	/* no validated session since the last
				 * connect (also after EOF: cleared only by
				 * the next validation) */
	GATE_CLIENT_ID,		/* 326: our client id is in use */
	GATE_CONN_LOST,		/* 1100 without a later 1101/1102 */
	GATE_HEARTBEAT,		/* reqCurrentTime unanswered in time */
	GATE_FARM,		/* 2110: gateway to server connectivity broken */
	GATE_RECONCILING,	/* orders on: the book not yet reconciled with
				 * this session (docs/orders.md) */
	GATE_RESTART_WINDOW,	/* inside RESTART_WINDOW (New York) */
	GATE_STRATEGY_C,	/* the active strategy is C */
	GATE_N_CONDS
};

struct gate {
	unsigned raised;	/* bit per enum gate_cond */
	char detail[GATE_N_CONDS][128];	/* why each was raised */
};

/* Only GATE_NOT_VALIDATED raised: closed, reason "not-validated". */
void gate_init(struct gate *g);

/*
 * Raise (on = 1, with a short detail, may be NULL) or clear (on = 0) a
 * condition. Returns 1 when the gate's open/closed state changed, else 0.
 * Each raise replaces the condition's detail (cut to 127 bytes); a clear
 * empties it. Clearing GATE_LIVE_REFUSED is ignored (it holds for the
 * process's life), and so is a c out of range.
 */
int gate_set(struct gate *g, enum gate_cond c, int on, const char *detail);

int gate_is_open(const struct gate *g);
int gate_is_raised(const struct gate *g, enum gate_cond c);

/* The reason it is closed: "halted", "not-validated", ... for the first
 * raised condition in enum order, or "open". Stable names (events,
 * bot.sock status, the strategy's gate message). */
const char *gate_reason(const struct gate *g);
/* The detail given when that condition was raised ("" when none). */
const char *gate_detail(const struct gate *g);
const char *gate_cond_name(enum gate_cond c);

/*
 * The restart stack-init announced (lib/initrestart's file), judged
 * against bot-core's session (docs/bot-core.md "A KNOWN RESTART"). Pure:
 * the caller reads the file and the clocks (wall ms since the epoch).
 * ready_ms is when the current or last session became ready (0: none yet).
 */
#define GATE_RESTART_RECENT_MS 60000	/* a completed restart still explains */
#define GATE_CLOCK_SKEW_MS 5000		/* a file's time may be this far ahead */

/* 1 when r explains a loss of that session: it began after ready_ms and is
 * in progress, or completed less than GATE_RESTART_RECENT_MS before now.
 * Times later than now + GATE_CLOCK_SKEW_MS (a clock stepped back, a
 * forged file) explain nothing. */
int gate_restart_known(const struct initrestart *r, int64_t ready_ms,
    int64_t now_ms);

/* 1 when r began after ready_ms and ended failed or not_ready. */
int gate_restart_failed(const struct initrestart *r, int64_t ready_ms);

/* 1 when the restart window may end before the clock says: r is the
 * scheduled restart (trigger "schedule": a ctl or health restart earlier in
 * the window is not the one the window covers), completed, began at or
 * after window_start_ms; bot-core itself started or lost its session at or
 * after it began (since_ms: the later of the two; a session made before the
 * old gateway went down does not count), and a validated session became
 * ready after that. */
int gate_window_may_end(const struct initrestart *r, int64_t window_start_ms,
    int validated, int64_t ready_ms, int64_t since_ms);

/* The instant (wall ms) the daily window starting at start_min began, for
 * now_ms inside it, whose local time is *tm (sched_local; the window may
 * have begun the day before, across midnight), counting local minutes
 * back: across a DST change the caller corrects it by the UTC offsets. */
int64_t gate_window_start_ms(int start_min, const struct tm *tm,
    int64_t now_ms);
/* The same, corrected for a DST change inside the window (one set around
 * 02:00) by the zone's UTC offsets at the start and now (tm: now's local
 * time in tz, as sched_local gives it). Reads the zone database. */
int64_t gate_window_start_tz(const char *tz, int start_min,
    const struct tm *tm, int64_t now_ms);

#endif
