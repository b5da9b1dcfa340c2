/*
 * gate: bot-core's safety gate (see gate.h), a bit per closing condition;
 * open exactly when no bit is set. Conditions come from bot-core's own
 * code (trusted); details may quote the gateway and are only copied, cut
 * to fit. Also the judgements over the restart file that stack-init
 * writes (decoded and checked by lib/initrestart before they get here):
 * a known restart, and the restart window's early end. No I/O and no
 * clock but the zone database that gate_window_start_tz reads.
 */
#include "gate.h"
#include "sched.h"

#include <stdio.h>
#include <string.h>

/* Stable names, in enum order: events, bot.sock status and the strategy's
 * gate message carry them. */
static const char *const cond_names[GATE_N_CONDS] = {
	[GATE_LIVE_REFUSED] = "live-account-refused",
	[GATE_HALTED] = "halted",
	[GATE_NOT_VALIDATED] = "not-validated",
	[GATE_CLIENT_ID] = "client-id-in-use",
	[GATE_CONN_LOST] = "connectivity-lost",
	[GATE_HEARTBEAT] = "heartbeat-missed",
	[GATE_FARM] = "farm-broken",
	[GATE_RECONCILING] = "reconciling",
	[GATE_RESTART_WINDOW] = "restart-window",
	[GATE_STRATEGY_C] = "strategy-c",
};

void
gate_init(struct gate *g)
{
	memset(g, 0, sizeof(*g));
	g->raised = 1u << GATE_NOT_VALIDATED;
}

int
gate_set(struct gate *g, enum gate_cond c, int on, const char *detail)
{
	int was_open = gate_is_open(g);

	if ((unsigned)c >= GATE_N_CONDS)
		return 0;
	if (on) {
		g->raised |= 1u << c;
		snprintf(g->detail[c], sizeof(g->detail[c]), "%s",
		    detail ? detail : "");
	} else {
		if (c == GATE_LIVE_REFUSED)
			return 0;	/* a live account is refused for good */
		g->raised &= ~(1u << c);
		g->detail[c][0] = '\0';
	}
	return was_open != gate_is_open(g);
}

int
gate_is_open(const struct gate *g)
{
	return g->raised == 0;
}

int
gate_is_raised(const struct gate *g, enum gate_cond c)
{
	return (unsigned)c < GATE_N_CONDS && (g->raised & (1u << c)) != 0;
}

/* The first raised condition in enum order, or GATE_N_CONDS when open. */
static unsigned
first_raised(const struct gate *g)
{
	unsigned c;

	for (c = 0; c < GATE_N_CONDS; c++)
		if (g->raised & (1u << c))
			break;
	return c;
}

const char *
gate_reason(const struct gate *g)
{
	unsigned c = first_raised(g);

	return c < GATE_N_CONDS ? cond_names[c] : "open";
}

const char *
gate_detail(const struct gate *g)
{
	unsigned c = first_raised(g);

	return c < GATE_N_CONDS ? g->detail[c] : "";
}

const char *
gate_cond_name(enum gate_cond c)
{
	return (unsigned)c < GATE_N_CONDS ? cond_names[c] : "unknown";
}


int
gate_restart_known(const struct initrestart *r, int64_t ready_ms,
    int64_t now_ms)
{
	if (r->began_ms <= ready_ms)
		return 0;	/* older than the session: it explains nothing */
	if (r->began_ms > now_ms + GATE_CLOCK_SKEW_MS ||
	    r->ended_ms > now_ms + GATE_CLOCK_SKEW_MS)
		return 0;	/* from the future: a clock or a file to distrust */
	if (r->state == IR_IN_PROGRESS)
		return 1;
	return r->state == IR_COMPLETED &&
	    now_ms - r->ended_ms < GATE_RESTART_RECENT_MS;
}

int
gate_restart_failed(const struct initrestart *r, int64_t ready_ms)
{
	return r->began_ms > ready_ms &&
	    (r->state == IR_FAILED || r->state == IR_NOT_READY);
}

int
gate_window_may_end(const struct initrestart *r, int64_t window_start_ms,
    int validated, int64_t ready_ms, int64_t since_ms)
{
	/* A restart before today's window (yesterday's, or one before the
	 * window opened) says nothing about today's: the clock rules. */
	return r->state == IR_COMPLETED && strcmp(r->trigger, "schedule") == 0 &&
	    r->began_ms > 0 && r->began_ms >= window_start_ms && validated &&
	    since_ms >= r->began_ms && ready_ms >= since_ms;
}

int64_t
gate_window_start_tz(const char *tz, int start_min, const struct tm *tm,
    int64_t now_ms)
{
	int64_t ws = gate_window_start_ms(start_min, tm, now_ms);
	struct tm then;
	struct gw_err e;

	/* local minutes counted back from now are off by the change: the
	 * difference of the UTC offsets then and now */
	if (sched_local(tz, (time_t)(ws / 1000), &then, &e) == 0)
		ws += ((int64_t)tm->tm_gmtoff - (int64_t)then.tm_gmtoff) * 1000;
	return ws;
}

int64_t
gate_window_start_ms(int start_min, const struct tm *tm, int64_t now_ms)
{
	int now_min = tm->tm_hour * 60 + tm->tm_min;
	int64_t into_s = (int64_t)((now_min - start_min + 1440) % 1440) * 60 +
	    tm->tm_sec;

	return now_ms - now_ms % 1000 - into_s * 1000;
}
