/*
 * Unit tests for bot-core's gate: every condition closes it, the reason is
 * the first raised condition in enum order, only a change of open/closed
 * is reported, a live account is refused for good; and the restart
 * window's parser and membership test (with a window across midnight);
 * the judgements over stack-init's restart file: a known restart, one
 * that failed, the restart window's early end and its start instant.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "gate.h"
#include "sched.h"

/* A gate with nothing raised: open. */
static void
open_gate(struct gate *g)
{
	gate_init(g);
	assert_int_equal(gate_set(g, GATE_NOT_VALIDATED, 0, NULL), 1);
	assert_true(gate_is_open(g));
}

static void
test_init_closed_not_validated(void **state)
{
	struct gate g;
	unsigned c;

	(void)state;
	gate_init(&g);
	assert_false(gate_is_open(&g));
	assert_string_equal(gate_reason(&g), "not-validated");
	assert_string_equal(gate_detail(&g), "");
	for (c = 0; c < GATE_N_CONDS; c++)
		assert_int_equal(gate_is_raised(&g, c), c == GATE_NOT_VALIDATED);
	/* validation opens it, and the reason says so */
	assert_int_equal(gate_set(&g, GATE_NOT_VALIDATED, 0, NULL), 1);
	assert_true(gate_is_open(&g));
	assert_string_equal(gate_reason(&g), "open");
	assert_string_equal(gate_detail(&g), "");
}

static void
test_every_condition_closes(void **state)
{
	static const char *const names[GATE_N_CONDS] = {
		"live-account-refused", "halted", "not-validated",
		"client-id-in-use", "connectivity-lost", "heartbeat-missed",
		"farm-broken", "reconciling", "restart-window", "strategy-c",
	};
	struct gate g;
	unsigned c;

	(void)state;
	for (c = 0; c < GATE_N_CONDS; c++) {
		open_gate(&g);
		assert_int_equal(gate_set(&g, c, 1, "why"), 1);
		assert_false(gate_is_open(&g));
		assert_true(gate_is_raised(&g, c));
		assert_string_equal(gate_reason(&g), names[c]);
		assert_string_equal(gate_cond_name(c), names[c]);
		assert_string_equal(gate_detail(&g), "why");
		if (c == GATE_LIVE_REFUSED)
			continue;
		/* clearing the only one reopens, with its detail gone */
		assert_int_equal(gate_set(&g, c, 0, NULL), 1);
		assert_true(gate_is_open(&g));
		assert_false(gate_is_raised(&g, c));
		assert_string_equal(gate_reason(&g), "open");
	}
	assert_string_equal(gate_cond_name(GATE_N_CONDS), "unknown");
	assert_string_equal(gate_cond_name((enum gate_cond)-1), "unknown");
}

static void
test_reason_order(void **state)
{
	struct gate g;
	int c;

	(void)state;
	/* raise them all from last to first: the reason always names the
	 * earliest in enum order, whatever the order of raising */
	open_gate(&g);
	for (c = GATE_N_CONDS - 1; c >= 0; c--) {
		char d[16];

		snprintf(d, sizeof(d), "d%d", c);
		assert_int_equal(gate_set(&g, c, 1, d),
		    c == GATE_N_CONDS - 1);
		assert_string_equal(gate_reason(&g), gate_cond_name(c));
		assert_string_equal(gate_detail(&g), d);
	}
	/* then clear from the first (the live refusal stays for good) */
	assert_int_equal(gate_set(&g, GATE_LIVE_REFUSED, 0, NULL), 0);
	assert_string_equal(gate_reason(&g), "live-account-refused");

	open_gate(&g);
	for (c = GATE_N_CONDS - 1; c >= 1; c--)
		gate_set(&g, c, 1, NULL);
	for (c = 1; c < GATE_N_CONDS - 1; c++) {
		assert_int_equal(gate_set(&g, c, 0, NULL), 0);
		assert_false(gate_is_open(&g));
		assert_string_equal(gate_reason(&g), gate_cond_name(c + 1));
	}
	/* clearing the last raised one opens */
	assert_int_equal(gate_set(&g, GATE_STRATEGY_C, 0, NULL), 1);
	assert_true(gate_is_open(&g));

	/* a later condition's clearing leaves an earlier reason alone */
	gate_set(&g, GATE_HEARTBEAT, 1, "no reply in 5 s");
	gate_set(&g, GATE_HALTED, 1, "operator");
	assert_string_equal(gate_reason(&g), "halted");
	assert_string_equal(gate_detail(&g), "operator");
	assert_int_equal(gate_set(&g, GATE_HALTED, 0, NULL), 0);
	assert_string_equal(gate_reason(&g), "heartbeat-missed");
	assert_string_equal(gate_detail(&g), "no reply in 5 s");
}

static void
test_idempotent(void **state)
{
	struct gate g;

	(void)state;
	open_gate(&g);
	assert_int_equal(gate_set(&g, GATE_FARM, 1, "first"), 1);
	assert_int_equal(gate_set(&g, GATE_FARM, 1, "second"), 0);
	assert_string_equal(gate_detail(&g), "second");	/* the latest why */
	assert_int_equal(gate_set(&g, GATE_CONN_LOST, 1, NULL), 0);
	assert_string_equal(gate_reason(&g), "connectivity-lost");
	assert_string_equal(gate_detail(&g), "");
	assert_int_equal(gate_set(&g, GATE_CONN_LOST, 0, NULL), 0);
	assert_int_equal(gate_set(&g, GATE_CONN_LOST, 0, NULL), 0);
	assert_int_equal(gate_set(&g, GATE_FARM, 0, NULL), 1);
	/* clearing what is not raised, on an open gate: no change */
	assert_int_equal(gate_set(&g, GATE_FARM, 0, NULL), 0);
	assert_int_equal(gate_set(&g, GATE_HALTED, 0, NULL), 0);
	assert_true(gate_is_open(&g));
	/* out of range: ignored */
	assert_int_equal(gate_set(&g, GATE_N_CONDS, 1, NULL), 0);
	assert_int_equal(gate_set(&g, (enum gate_cond)40, 1, NULL), 0);
	assert_true(gate_is_open(&g));
	assert_false(gate_is_raised(&g, GATE_N_CONDS));
}

static void
test_live_refused_for_good(void **state)
{
	struct gate g;

	(void)state;
	open_gate(&g);
	assert_int_equal(gate_set(&g, GATE_LIVE_REFUSED, 1, "U1234567"), 1);
	assert_int_equal(gate_set(&g, GATE_LIVE_REFUSED, 0, NULL), 0);
	assert_false(gate_is_open(&g));
	assert_true(gate_is_raised(&g, GATE_LIVE_REFUSED));
	assert_string_equal(gate_detail(&g), "U1234567");
	/* a later validation or resume does not open it */
	gate_set(&g, GATE_HALTED, 1, NULL);
	assert_int_equal(gate_set(&g, GATE_HALTED, 0, NULL), 0);
	assert_string_equal(gate_reason(&g), "live-account-refused");
	assert_false(gate_is_open(&g));
}

static void
test_detail_cut(void **state)
{
	char long_detail[300];
	struct gate g;

	(void)state;
	memset(long_detail, 'x', sizeof(long_detail) - 1);
	long_detail[sizeof(long_detail) - 1] = '\0';
	gate_init(&g);
	gate_set(&g, GATE_HALTED, 1, long_detail);
	assert_int_equal(strlen(gate_detail(&g)), sizeof(g.detail[0]) - 1);
}

static void
test_window_parse(void **state)
{
	static const struct { const char *in; int a, b; } ok[] = {
		{ "16:29-16:36", 16 * 60 + 29, 16 * 60 + 36 },
		{ "00:00-23:59", 0, 23 * 60 + 59 },
		{ "23:50-00:10", 23 * 60 + 50, 10 },
		{ NULL, 16 * 60 + 29, 16 * 60 + 36 },	/* the default */
		{ "", 16 * 60 + 29, 16 * 60 + 36 },
	};
	static const struct { const char *in, *msg; } bad[] = {
		{ "16:29", "RESTART_WINDOW: '16:29' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "4:29-16:36", "RESTART_WINDOW: '4:29-16:36' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "24:00-00:10", "RESTART_WINDOW: '24:00-00:10' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "16:29-16:60", "RESTART_WINDOW: '16:29-16:60' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "16:29 16:36", "RESTART_WINDOW: '16:29 16:36' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "16:29-16:36 ", "RESTART_WINDOW: '16:29-16:36 ' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "1a:29-16:36", "RESTART_WINDOW: '1a:29-16:36' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "16:29-16\n36", "RESTART_WINDOW: '16:29-16?36' is not HH:MM-HH:MM (00:00 to 23:59, e.g. 16:29-16:36)" },
		{ "16:30-16:30", "RESTART_WINDOW: '16:30-16:30' is an empty window (the start equals the end)" },
	};
	struct gw_err e;
	size_t i;
	int a, b;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		a = b = -1;
		assert_int_equal(sched_window_parse("RESTART_WINDOW", ok[i].in, "16:29-16:36", &a, &b, &e), 0);
		assert_int_equal(a, ok[i].a);
		assert_int_equal(b, ok[i].b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = b = -7;
		assert_int_equal(sched_window_parse("RESTART_WINDOW", bad[i].in, "16:29-16:36", &a, &b, &e), -1);
		assert_string_equal(e.msg, bad[i].msg);
		assert_int_equal(a, -7);	/* untouched on failure */
		assert_int_equal(b, -7);
	}
}

static int
in_window(const char *win, int h, int m)
{
	struct gw_err e;
	struct tm tm;
	int a, b;

	assert_int_equal(sched_window_parse("RESTART_WINDOW", win, "16:29-16:36", &a, &b, &e), 0);
	memset(&tm, 0, sizeof(tm));
	tm.tm_hour = h;
	tm.tm_min = m;
	return sched_in_window(a, b, &tm);
}

static void
test_in_window(void **state)
{
	(void)state;
	assert_false(in_window(NULL, 16, 28));
	assert_true(in_window(NULL, 16, 29));	/* the start is inside */
	assert_true(in_window(NULL, 16, 35));
	assert_false(in_window(NULL, 16, 36));	/* the end is not */
	assert_false(in_window(NULL, 4, 30));
	/* across midnight */
	assert_false(in_window("23:50-00:10", 23, 49));
	assert_true(in_window("23:50-00:10", 23, 50));
	assert_true(in_window("23:50-00:10", 23, 59));
	assert_true(in_window("23:50-00:10", 0, 0));
	assert_true(in_window("23:50-00:10", 0, 9));
	assert_false(in_window("23:50-00:10", 0, 10));
	assert_false(in_window("23:50-00:10", 12, 0));
	/* all day but the last minute */
	assert_true(in_window("00:00-23:59", 0, 0));
	assert_false(in_window("00:00-23:59", 23, 59));
}

/* A restart of the gateway in state st, begun at began (ms). */
static struct initrestart
ir(enum initrestart_state st, int64_t began, int64_t ended)
{
	struct initrestart r;

	memset(&r, 0, sizeof(r));
	r.state = st;
	snprintf(r.service, sizeof(r.service), "gateway");
	snprintf(r.trigger, sizeof(r.trigger), "schedule");
	snprintf(r.method, sizeof(r.method), "ibc");
	r.began_ms = began;
	r.ended_ms = ended;
	r.deadline_ms = st == IR_IN_PROGRESS ? began + 120000 : 0;
	return r;
}

static void
test_restart_known(void **state)
{
	const int64_t ready = 1000000, now = 2000000;
	struct initrestart r;

	(void)state;
	/* in progress, begun after the session became ready */
	r = ir(IR_IN_PROGRESS, ready + 1, 0);
	assert_int_equal(gate_restart_known(&r, ready, now), 1);
	/* begun before it (or at the same ms): explains nothing */
	r = ir(IR_IN_PROGRESS, ready, 0);
	assert_int_equal(gate_restart_known(&r, ready, now), 0);
	/* no session yet: any restart in progress */
	r = ir(IR_IN_PROGRESS, 5, 0);
	assert_int_equal(gate_restart_known(&r, 0, now), 1);
	/* completed: for a minute after it ended */
	r = ir(IR_COMPLETED, ready + 1, now - GATE_RESTART_RECENT_MS + 1);
	assert_int_equal(gate_restart_known(&r, ready, now), 1);
	r = ir(IR_COMPLETED, ready + 1, now - GATE_RESTART_RECENT_MS);
	assert_int_equal(gate_restart_known(&r, ready, now), 0);
	/* failed, not_ready, none, unknown: not known */
	r = ir(IR_FAILED, ready + 1, now - 1);
	assert_int_equal(gate_restart_known(&r, ready, now), 0);
	assert_int_equal(gate_restart_failed(&r, ready), 1);
	r = ir(IR_NOT_READY, ready + 1, now - 1);
	assert_int_equal(gate_restart_known(&r, ready, now), 0);
	assert_int_equal(gate_restart_failed(&r, ready), 1);
	assert_int_equal(gate_restart_failed(&r, ready + 1), 0);
	r = ir(IR_COMPLETED, ready + 1, now - 1);
	assert_int_equal(gate_restart_failed(&r, ready), 0);
	r = ir(IR_NONE, 0, 0);
	assert_int_equal(gate_restart_known(&r, 0, now), 0);
	assert_int_equal(gate_restart_failed(&r, 0), 0);
	r = ir(IR_UNKNOWN, 0, 0);
	assert_int_equal(gate_restart_known(&r, 0, now), 0);
}

static void
test_window_may_end(void **state)
{
	const int64_t ws = 1000000, began = ws + 5000, lost = began + 500,
	    ready = began + 2000;
	struct initrestart r;

	(void)state;
	r = ir(IR_COMPLETED, began, ready + 100);
	assert_int_equal(gate_window_may_end(&r, ws, 1, ready, lost), 1);
	assert_int_equal(gate_window_may_end(&r, ws, 1, began, began), 1);
	/* the session is not validated, or older than the restart */
	assert_int_equal(gate_window_may_end(&r, ws, 0, ready, lost), 0);
	assert_int_equal(gate_window_may_end(&r, ws, 1, began - 1, lost), 0);
	/* a session made after the restart began but before bot-core lost
	 * the old one (the old gateway still up): not the new gateway's */
	assert_int_equal(gate_window_may_end(&r, ws, 1, ready, began - 1), 0);
	assert_int_equal(gate_window_may_end(&r, ws, 1, lost - 1, lost), 0);
	/* a restart before today's window began */
	assert_int_equal(gate_window_may_end(&r, began + 1, 1, ready, lost), 0);
	assert_int_equal(gate_window_may_end(&r, began, 1, ready, lost), 1);
	/* only the scheduled restart the window covers ends it */
	snprintf(r.trigger, sizeof(r.trigger), "ctl");
	assert_int_equal(gate_window_may_end(&r, ws, 1, ready, lost), 0);
	snprintf(r.trigger, sizeof(r.trigger), "health");
	assert_int_equal(gate_window_may_end(&r, ws, 1, ready, lost), 0);
	/* not completed */
	r = ir(IR_IN_PROGRESS, began, 0);
	assert_int_equal(gate_window_may_end(&r, ws, 1, ready, lost), 0);
	r = ir(IR_FAILED, began, ready);
	assert_int_equal(gate_window_may_end(&r, ws, 1, ready, lost), 0);
	r = ir(IR_NOT_READY, began, ready);
	assert_int_equal(gate_window_may_end(&r, ws, 1, ready, lost), 0);
	r = ir(IR_NONE, 0, 0);
	assert_int_equal(gate_window_may_end(&r, 0, 1, ready, lost), 0);
}

/* A window across a DST change in New York, 01:30-03:30: on the spring
 * day (02:00 EST -> 03:00 EDT) its start is the real instant of 01:30
 * that night, not an hour earlier; on the fall day (02:00 EDT -> 01:00
 * EST) the local clock leaves it and enters it again at the second 01:30. */
static void
test_window_start_dst(void **state)
{
	struct tm tm;
	struct gw_err e;
	int64_t now;

	(void)state;
	/* 2026-03-08 03:10 EDT = 07:10Z; 01:30 EST = 06:30Z */
	now = 1772953800000LL;
	assert_int_equal(sched_local("America/New_York", (time_t)(now / 1000),
	    &tm, &e), 0);
	assert_int_equal(tm.tm_hour, 3);
	assert_true(gate_window_start_tz("America/New_York", 90, &tm, now) ==
	    1772951400000LL);
	/* the uncorrected count is an hour early */
	assert_true(gate_window_start_ms(90, &tm, now) == 1772947800000LL);
	/* 2026-11-01 01:40 EST (the second 01:40) = 06:40Z: at 02:00 EDT the
	 * clock went back to 01:00, out of the window by local time, and it
	 * began again at 01:30 EST (06:30Z), 10 min ago */
	now = 1793515200000LL;
	assert_int_equal(sched_local("America/New_York", (time_t)(now / 1000),
	    &tm, &e), 0);
	assert_int_equal(tm.tm_hour, 1);
	assert_int_equal(tm.tm_min, 40);
	assert_true(gate_window_start_tz("America/New_York", 90, &tm, now) ==
	    now - 10 * 60000);
	/* an ordinary day: both agree */
	now = 1796679000000LL;	/* 2026-12-07 16:30 EST */
	assert_int_equal(sched_local("America/New_York", (time_t)(now / 1000),
	    &tm, &e), 0);
	assert_true(gate_window_start_tz("America/New_York", 16 * 60 + 29, &tm,
	    now) == now - 60000);
}

/* A file from the future (a clock stepped back, a forged file) explains
 * no loss. */
static void
test_restart_from_the_future(void **state)
{
	const int64_t ready = 1000000, now = 2000000;
	struct initrestart r;

	(void)state;
	r = ir(IR_IN_PROGRESS, now + GATE_CLOCK_SKEW_MS, 0);
	assert_int_equal(gate_restart_known(&r, ready, now), 1);
	r = ir(IR_IN_PROGRESS, now + GATE_CLOCK_SKEW_MS + 1, 0);
	assert_int_equal(gate_restart_known(&r, ready, now), 0);
	r = ir(IR_COMPLETED, ready + 1, now + GATE_CLOCK_SKEW_MS + 1);
	assert_int_equal(gate_restart_known(&r, ready, now), 0);
	r = ir(IR_COMPLETED, ready + 1, now + 3600000);
	assert_int_equal(gate_restart_known(&r, ready, now), 0);
}

static void
test_window_start(void **state)
{
	struct tm tm;
	int64_t now = 1765000000123LL;	/* any instant; its ms part is cut */

	(void)state;
	memset(&tm, 0, sizeof(tm));
	tm.tm_hour = 16;
	tm.tm_min = 31;
	tm.tm_sec = 20;
	assert_true(gate_window_start_ms(16 * 60 + 29, &tm, now) ==
	    now - 123 - (2 * 60 + 20) * 1000);
	/* at the start minute itself */
	tm.tm_min = 29;
	tm.tm_sec = 0;
	assert_true(gate_window_start_ms(16 * 60 + 29, &tm, now) == now - 123);
	/* across midnight: 00:05 in a window from 23:50 began 15 min ago */
	tm.tm_hour = 0;
	tm.tm_min = 5;
	assert_true(gate_window_start_ms(23 * 60 + 50, &tm, now) ==
	    now - 123 - 15 * 60 * 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_closed_not_validated),
		cmocka_unit_test(test_every_condition_closes),
		cmocka_unit_test(test_reason_order),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_live_refused_for_good),
		cmocka_unit_test(test_detail_cut),
		cmocka_unit_test(test_window_parse),
		cmocka_unit_test(test_in_window),
		cmocka_unit_test(test_restart_known),
		cmocka_unit_test(test_window_may_end),
		cmocka_unit_test(test_restart_from_the_future),
		cmocka_unit_test(test_window_start_dst),
		cmocka_unit_test(test_window_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
