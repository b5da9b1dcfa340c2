/*
 * relaunch: the pure rules about relaunching a gateway (see relaunch.h): the cold
 * relaunch budget and the gate every relaunch passes. Inputs are the
 * tracker lib/ibclog keeps from IBC's log (untrusted bytes, already
 * decoded) and the caller's clock; nothing here reads a clock or does I/O.
 */
#include "relaunch.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void
relaunch_budget_init(struct relaunch_budget *b, int max)
{
	memset(b, 0, sizeof(*b));
	b->max_per_hour = max < 0 ? 0 : max > RELAUNCH_MAX_COLD ? RELAUNCH_MAX_COLD : max;
}

int
relaunch_budget_used(const struct relaunch_budget *b, int64_t now_ms)
{
	int i, n = 0;

	for (i = 0; i < b->n; i++)
		if (now_ms - b->at_ms[i] < RELAUNCH_HOUR_MS)
			n++;
	return n;
}

void
relaunch_budget_add(struct relaunch_budget *b, int64_t now_ms)
{
	int i, k = 0;

	/* forget what is over an hour old, then the oldest if still full */
	for (i = 0; i < b->n; i++)
		if (now_ms - b->at_ms[i] < RELAUNCH_HOUR_MS)
			b->at_ms[k++] = b->at_ms[i];
	b->n = k;
	if (b->n == RELAUNCH_MAX_COLD + 1) {
		memmove(b->at_ms, b->at_ms + 1, sizeof(b->at_ms[0]) * RELAUNCH_MAX_COLD);
		b->n--;
	}
	b->at_ms[b->n++] = now_ms;
}

enum relaunch_gate
relaunch_gate(const struct ibclog_tracker *t, const struct relaunch_budget *b,
    int64_t now_ms, int force)
{
	int cold = force || t->cold || t->state == IBCLOG_AWAITING_2FA ||
	    t->state == IBCLOG_LOCKED_OUT;

	if (t->state == IBCLOG_LOCKED_OUT && now_ms < t->deadline_ms && force < 2)
		return RELAUNCH_HOLD_LOCKED;
	if (!cold)
		return RELAUNCH_GO;
	if (!force && relaunch_budget_used(b, now_ms) >= b->max_per_hour)
		return RELAUNCH_HOLD_CAP;
	return RELAUNCH_GO_COLD;
}

const char *
relaunch_gate_name(enum relaunch_gate g)
{
	static const char *const names[] = { "go", "go_cold", "locked_out", "cap" };

	return (int)g >= 0 && g <= RELAUNCH_HOLD_CAP ? names[g] : "?";
}

/* The wall time (s) of the monotonic instant at_ms. */
static time_t
wall_of(int64_t at_ms, int64_t now_ms, int64_t wall_now_ms)
{
	int64_t w = wall_now_ms + (at_ms - now_ms);

	return (time_t)((w + 500) / 1000);
}

void
relaunch_clock(char *buf, size_t sz, int64_t at_ms, int64_t now_ms,
    int64_t wall_now_ms, int utc)
{
	time_t w = wall_of(at_ms, now_ms, wall_now_ms);
	struct tm tm;

	if ((utc ? gmtime_r(&w, &tm) : localtime_r(&w, &tm)) == NULL ||
	    strftime(buf, sz, "%H:%M:%S", &tm) == 0)
		snprintf(buf, sz, "?");
}

void
relaunch_rfc3339(char *buf, size_t sz, int64_t at_ms, int64_t now_ms,
    int64_t wall_now_ms)
{
	time_t w = wall_of(at_ms, now_ms, wall_now_ms);
	struct tm tm;

	if (gmtime_r(&w, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sz, "?");
}
