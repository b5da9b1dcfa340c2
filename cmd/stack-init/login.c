/*
 * login: the pure rules about a gateway's login (see login.h): the cold
 * relaunch budget and the gate every relaunch passes. Inputs are the
 * tracker lib/ibclog keeps from IBC's log (untrusted bytes, already
 * decoded) and the caller's clock; nothing here reads a clock or does I/O.
 */
#include "login.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void
login_budget_init(struct login_budget *b, int max)
{
	memset(b, 0, sizeof(*b));
	b->max_per_hour = max < 0 ? 0 : max > LOGIN_MAX_COLD ? LOGIN_MAX_COLD : max;
}

int
login_budget_used(const struct login_budget *b, int64_t now_ms)
{
	int i, n = 0;

	for (i = 0; i < b->n; i++)
		if (now_ms - b->at_ms[i] < LOGIN_HOUR_MS)
			n++;
	return n;
}

void
login_budget_add(struct login_budget *b, int64_t now_ms)
{
	int i, k = 0;

	/* forget what is over an hour old, then the oldest if still full */
	for (i = 0; i < b->n; i++)
		if (now_ms - b->at_ms[i] < LOGIN_HOUR_MS)
			b->at_ms[k++] = b->at_ms[i];
	b->n = k;
	if (b->n == LOGIN_MAX_COLD + 1) {
		memmove(b->at_ms, b->at_ms + 1, sizeof(b->at_ms[0]) * LOGIN_MAX_COLD);
		b->n--;
	}
	b->at_ms[b->n++] = now_ms;
}

enum login_gate
login_gate(const struct ibclog_tracker *t, const struct login_budget *b,
    int64_t now_ms, int force)
{
	int cold = force || t->cold || t->state == IBCLOG_AWAITING_2FA ||
	    t->state == IBCLOG_LOCKED_OUT;

	if (t->state == IBCLOG_LOCKED_OUT && now_ms < t->deadline_ms && force < 2)
		return LOGIN_HOLD_LOCKED;
	if (!cold)
		return LOGIN_GO;
	if (!force && login_budget_used(b, now_ms) >= b->max_per_hour)
		return LOGIN_HOLD_CAP;
	return LOGIN_GO_COLD;
}

const char *
login_gate_name(enum login_gate g)
{
	static const char *const names[] = { "go", "go_cold", "locked_out", "cap" };

	return (int)g >= 0 && g <= LOGIN_HOLD_CAP ? names[g] : "?";
}

/* The wall time (s) of the monotonic instant at_ms. */
static time_t
wall_of(int64_t at_ms, int64_t now_ms, int64_t wall_now_ms)
{
	int64_t w = wall_now_ms + (at_ms - now_ms);

	return (time_t)((w + 500) / 1000);
}

void
login_clock(char *buf, size_t sz, int64_t at_ms, int64_t now_ms,
    int64_t wall_now_ms, int utc)
{
	time_t w = wall_of(at_ms, now_ms, wall_now_ms);
	struct tm tm;

	if ((utc ? gmtime_r(&w, &tm) : localtime_r(&w, &tm)) == NULL ||
	    strftime(buf, sz, "%H:%M:%S", &tm) == 0)
		snprintf(buf, sz, "?");
}

void
login_rfc3339(char *buf, size_t sz, int64_t at_ms, int64_t now_ms,
    int64_t wall_now_ms)
{
	time_t w = wall_of(at_ms, now_ms, wall_now_ms);
	struct tm tm;

	if (gmtime_r(&w, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sz, "?");
}
