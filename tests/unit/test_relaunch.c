/* Unit tests for cmd/stack-init/relaunch: the cold relaunch budget (a
 * rolling hour), the gate every relaunch of a gateway passes (pending
 * login, lock-out, cap, forced), and the wall-clock times shown in
 * events. Trackers are built through lib/ibclog's own feed, as
 * stack-init builds them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ibclog.h"
#include "relaunch.h"

#define MIN_MS (60 * 1000LL)

/* Feed one IBC line (as IBC writes it) at now_ms. */
static void
feed(struct ibclog_tracker *t, const char *text, int64_t now_ms)
{
	char line[512];
	struct ibclog_line l;
	int n = snprintf(line, sizeof(line), "2026-12-06 01:05:00:123 IBC: %s",
	    text);

	assert_int_not_equal(ibclog_decode(line, (size_t)n, &l), IBCLOG_NONE);
	ibclog_tracker_feed(t, &l, now_ms);
}

static void
test_budget_rolling_hour(void **state)
{
	struct relaunch_budget b;
	int64_t t0 = 1000000;

	(void)state;
	relaunch_budget_init(&b, 3);
	assert_int_equal(relaunch_budget_used(&b, t0), 0);
	relaunch_budget_add(&b, t0);
	relaunch_budget_add(&b, t0 + 10 * MIN_MS);
	relaunch_budget_add(&b, t0 + 20 * MIN_MS);
	assert_int_equal(relaunch_budget_used(&b, t0 + 20 * MIN_MS), 3);
	/* the first leaves the window exactly an hour after it */
	assert_int_equal(relaunch_budget_used(&b, t0 + 60 * MIN_MS - 1), 3);
	assert_int_equal(relaunch_budget_used(&b, t0 + 60 * MIN_MS), 2);
	assert_int_equal(relaunch_budget_used(&b, t0 + 81 * MIN_MS), 0);
	/* clamped */
	relaunch_budget_init(&b, 1000);
	assert_int_equal(b.max_per_hour, RELAUNCH_MAX_COLD);
	relaunch_budget_init(&b, -5);
	assert_int_equal(b.max_per_hour, 0);
}

/* More than the ring holds within the hour: the newest are kept and the
 * count stays right at the ring's size. */
static void
test_budget_full_ring(void **state)
{
	struct relaunch_budget b;
	int i;

	(void)state;
	relaunch_budget_init(&b, RELAUNCH_MAX_COLD);
	for (i = 0; i < 3 * RELAUNCH_MAX_COLD; i++)
		relaunch_budget_add(&b, 1000 + i);
	assert_int_equal(relaunch_budget_used(&b, 1000 + 3 * RELAUNCH_MAX_COLD),
	    RELAUNCH_MAX_COLD + 1);
	assert_true(b.at_ms[b.n - 1] == 1000 + 3 * RELAUNCH_MAX_COLD - 1);
}

static void
test_gate_warm(void **state)
{
	struct ibclog_tracker t;
	struct relaunch_budget b;

	(void)state;
	ibclog_tracker_init(&t, 180);
	relaunch_budget_init(&b, 0);	/* no cold relaunch at all ... */
	assert_int_equal(relaunch_gate(&t, &b, 5000, 0), RELAUNCH_GO);	/* ... a warm one goes */
	feed(&t, "Login has completed", 5000);
	assert_int_equal(relaunch_gate(&t, &b, 6000, 0), RELAUNCH_GO);
	/* asked for: always a cold one (a deliberate full login) */
	assert_int_equal(relaunch_gate(&t, &b, 6000, 1), RELAUNCH_GO_COLD);
}

static void
test_gate_cold_cap(void **state)
{
	struct ibclog_tracker t;
	struct relaunch_budget b;
	int64_t now = 10 * MIN_MS;
	int i;

	(void)state;
	ibclog_tracker_init(&t, 180);
	relaunch_budget_init(&b, 3);
	feed(&t, "Login failed - Soft token=0 received instead of expected "
	    "permanent for ndc1.ibllc.com:4001 (SSL)", now);
	assert_true(t.cold);
	for (i = 0; i < 3; i++) {
		assert_int_equal(relaunch_gate(&t, &b, now, 0), RELAUNCH_GO_COLD);
		relaunch_budget_add(&b, now);
		now += MIN_MS;
	}
	assert_int_equal(relaunch_gate(&t, &b, now, 0), RELAUNCH_HOLD_CAP);
	/* the operator (ctl login) and the planned login go over it */
	assert_int_equal(relaunch_gate(&t, &b, now, 1), RELAUNCH_GO_COLD);
	assert_int_equal(relaunch_gate(&t, &b, now, 2), RELAUNCH_GO_COLD);
	/* an hour after the first, one is free again */
	assert_int_equal(relaunch_gate(&t, &b, 70 * MIN_MS, 0), RELAUNCH_GO_COLD);
	/* a completed login: warm again */
	feed(&t, "Login has completed", now);
	assert_int_equal(relaunch_gate(&t, &b, now, 0), RELAUNCH_GO);
}

/* A process gone while its push waited: the relaunch is cold. */
static void
test_gate_pending_is_cold(void **state)
{
	struct ibclog_tracker t;
	struct relaunch_budget b;

	(void)state;
	ibclog_tracker_init(&t, 180);
	relaunch_budget_init(&b, 1);
	feed(&t, "Second Factor Authentication initiated", 1000);
	assert_int_equal(t.state, IBCLOG_AWAITING_2FA);
	assert_int_equal(relaunch_gate(&t, &b, 2000, 0), RELAUNCH_GO_COLD);
	relaunch_budget_add(&b, 2000);
	assert_int_equal(relaunch_gate(&t, &b, 3000, 0), RELAUNCH_HOLD_CAP);
}

static void
test_gate_locked_out(void **state)
{
	struct ibclog_tracker t;
	struct relaunch_budget b;
	int64_t t0 = 1000;

	(void)state;
	ibclog_tracker_init(&t, 180);
	relaunch_budget_init(&b, 3);
	feed(&t, "Too many failed login attempts. Please wait 2 minutes & 0 "
	    "seconds before attempting to login again.", t0);
	assert_int_equal(t.state, IBCLOG_LOCKED_OUT);
	assert_true(t.deadline_ms == t0 + 2 * MIN_MS);
	assert_int_equal(relaunch_gate(&t, &b, t0 + 1, 0), RELAUNCH_HOLD_LOCKED);
	/* asked for: still not during a lock-out; --force: the operator's call */
	assert_int_equal(relaunch_gate(&t, &b, t0 + 1, 1), RELAUNCH_HOLD_LOCKED);
	assert_int_equal(relaunch_gate(&t, &b, t0 + 1, 2), RELAUNCH_GO_COLD);
	/* once the wait is over: a cold relaunch within the budget */
	assert_int_equal(relaunch_gate(&t, &b, t0 + 2 * MIN_MS, 0), RELAUNCH_GO_COLD);
	/* even the cap comes second to the lock-out */
	relaunch_budget_init(&b, 0);
	assert_int_equal(relaunch_gate(&t, &b, t0 + 1, 0), RELAUNCH_HOLD_LOCKED);
	assert_int_equal(relaunch_gate(&t, &b, t0 + 2 * MIN_MS, 0), RELAUNCH_HOLD_CAP);
}

static void
test_gate_names(void **state)
{
	(void)state;
	assert_string_equal(relaunch_gate_name(RELAUNCH_GO), "go");
	assert_string_equal(relaunch_gate_name(RELAUNCH_GO_COLD), "go_cold");
	assert_string_equal(relaunch_gate_name(RELAUNCH_HOLD_LOCKED), "locked_out");
	assert_string_equal(relaunch_gate_name(RELAUNCH_HOLD_CAP), "cap");
	assert_string_equal(relaunch_gate_name((enum relaunch_gate)9), "?");
}

static void
test_clock(void **state)
{
	char b[40];
	/* monotonic 5000 ms is 2026-12-06T06:05:00.000Z */
	int64_t wall = 1796537100000LL;

	(void)state;
	relaunch_clock(b, sizeof(b), 5000 + 180000, 5000, wall, 1);
	assert_string_equal(b, "06:08:00");
	relaunch_clock(b, sizeof(b), 5000 - 1000, 5000, wall, 1);
	assert_string_equal(b, "06:04:59");
	relaunch_rfc3339(b, sizeof(b), 5000 + 180000, 5000, wall);
	assert_string_equal(b, "2026-12-06T06:08:00Z");
	/* too small a buffer: "?" rather than a cut time */
	relaunch_rfc3339(b, 5, 5000, 5000, wall);
	assert_string_equal(b, "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_rolling_hour),
		cmocka_unit_test(test_budget_full_ring),
		cmocka_unit_test(test_gate_warm),
		cmocka_unit_test(test_gate_cold_cap),
		cmocka_unit_test(test_gate_pending_is_cold),
		cmocka_unit_test(test_gate_locked_out),
		cmocka_unit_test(test_gate_names),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
