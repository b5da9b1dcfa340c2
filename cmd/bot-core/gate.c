/*
 * gate: bot-core's safety gate (see gate.h), a bit per closing condition;
 * open exactly when no bit is set. Conditions come from bot-core's own
 * code (trusted); details may quote the gateway and are only copied, cut
 * to fit. Also the restart window's parser (RESTART_WINDOW, untrusted
 * text from the environment) and its membership test. No I/O, no clock.
 */
#include "gate.h"

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

