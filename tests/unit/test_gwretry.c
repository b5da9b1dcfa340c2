/* Unit tests for lib/gwretry: cheap verdicts polled fast, costly ones
 * backed off, and one report line per 5 s of repeated cheap failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gwretry.h"

static const struct gwretry_policy std = { 0.1, 5, 30 };

static void
test_cheap_and_costly(void **state)
{
	struct gwretry r;

	(void)state;
	assert_true(gwretry_is_cheap(TWS_UNREACHABLE));
	assert_true(gwretry_is_cheap(TWS_RELAY_CLOSED));
	assert_false(gwretry_is_cheap(TWS_NOT_LOGGED_IN));
	assert_false(gwretry_is_cheap(TWS_HANDSHAKE_TIMEOUT));
	assert_false(gwretry_is_cheap(TWS_CLIENT_ID_IN_USE));
	assert_false(gwretry_is_cheap(TWS_UPSTREAM_DOWN));
	assert_false(gwretry_is_cheap(TWS_NOT_API));
	gwretry_init(&r, &std);
	assert_true(gwretry_next(&r, TWS_UNREACHABLE) == 0.1);
	assert_true(gwretry_next(&r, TWS_RELAY_CLOSED) == 0.1);
	assert_true(gwretry_next(&r, TWS_NOT_LOGGED_IN) == 5);
	/* the backoff carries on across cheap failures in between */
	assert_true(gwretry_next(&r, TWS_UNREACHABLE) == 0.1);
	assert_true(gwretry_next(&r, TWS_HANDSHAKE_TIMEOUT) == 10);
	assert_true(gwretry_next(&r, TWS_CLIENT_ID_IN_USE) == 20);
	assert_true(gwretry_next(&r, TWS_NOT_LOGGED_IN) == 30);
	assert_true(gwretry_next(&r, TWS_NOT_LOGGED_IN) == 30);
	assert_int_equal(r.cheap, 3);
	assert_int_equal(r.costly, 5);
	gwretry_reset(&r);
	assert_int_equal(r.cheap, 0);
	assert_int_equal(r.costly, 0);
	assert_true(gwretry_next(&r, TWS_NOT_LOGGED_IN) == 5);
}

static void
test_fast_off_is_the_old_policy(void **state)
{
	struct gwretry_policy p = { 0, 5, 30 };
	struct gwretry r;

	(void)state;
	gwretry_init(&r, &p);
	assert_true(gwretry_after_loss(&r) == 5);
	assert_true(gwretry_next(&r, TWS_UNREACHABLE) == 10);
	assert_true(gwretry_next(&r, TWS_RELAY_CLOSED) == 20);
	assert_true(gwretry_next(&r, TWS_UNREACHABLE) == 30);
	gwretry_init(&r, &std);
	assert_true(gwretry_after_loss(&r) == 0);
	assert_true(gwretry_after_loss(&r) == 0);
}

static void
test_report(void **state)
{
	struct gwretry r;
	long sup = -1;
	int64_t t = 1000;
	int i, said = 0;

	(void)state;
	gwretry_init(&r, &std);
	assert_true(gwretry_report(&r, TWS_UNREACHABLE, t, &sup));
	assert_int_equal(sup, 0);
	/* 49 more cheap failures within 4.9 s: none reported */
	for (i = 1; i < 50; i++)
		said += gwretry_report(&r, TWS_UNREACHABLE, t + i * 100, &sup);
	assert_int_equal(said, 0);
	assert_int_equal(sup, 49);
	/* at 5 s: one line, saying 49 went unreported */
	assert_true(gwretry_report(&r, TWS_UNREACHABLE, t + 5000, &sup));
	assert_int_equal(sup, 49);
	/* a change of verdict is reported at once */
	assert_true(gwretry_report(&r, TWS_RELAY_CLOSED, t + 5100, &sup));
	assert_int_equal(sup, 0);
	assert_false(gwretry_report(&r, TWS_RELAY_CLOSED, t + 5200, NULL));
	/* every costly failure is reported */
	assert_true(gwretry_report(&r, TWS_NOT_LOGGED_IN, t + 5300, &sup));
	assert_int_equal(sup, 1);
	assert_true(gwretry_report(&r, TWS_NOT_LOGGED_IN, t + 5400, &sup));
	gwretry_reset(&r);
	assert_true(gwretry_report(&r, TWS_UNREACHABLE, t + 5500, &sup));
}

static void
test_parse_fast(void **state)
{
	struct gw_err e;
	double v = -1;

	(void)state;
	assert_int_equal(gwretry_parse_fast("--fast-poll", "0", &v, &e), 0);
	assert_true(v == 0);
	assert_int_equal(gwretry_parse_fast("--fast-poll", "0.1", &v, &e), 0);
	assert_true(v == 0.1);
	assert_int_equal(gwretry_parse_fast("--fast-poll", "0.05", &v, &e), 0);
	assert_int_equal(gwretry_parse_fast("--fast-poll", "60", &v, &e), 0);
	assert_int_equal(gwretry_parse_fast("GATEWAY_FAST_POLL", "0.01", &v, &e), -1);
	assert_non_null(strstr(e.msg, "GATEWAY_FAST_POLL"));
	assert_non_null(strstr(e.msg, "0.01"));
	assert_int_equal(gwretry_parse_fast("GATEWAY_FAST_POLL", "61", &v, &e), -1);
	assert_int_equal(gwretry_parse_fast("GATEWAY_FAST_POLL", "fast", &v, &e), -1);
	assert_int_equal(gwretry_parse_fast("GATEWAY_FAST_POLL", "-1", &v, &e), -1);
	assert_int_equal(gwretry_parse_fast("GATEWAY_FAST_POLL", "", &v, &e), -1);
	setenv("GWRETRY_TEST_FAST", "", 1);
	assert_int_equal(gwretry_env_fast("GWRETRY_TEST_FAST", 0.1, &v, &e), 0);
	assert_true(v == 0.1);
	setenv("GWRETRY_TEST_FAST", "0.25", 1);
	assert_int_equal(gwretry_env_fast("GWRETRY_TEST_FAST", 0.1, &v, &e), 0);
	assert_true(v == 0.25);
	setenv("GWRETRY_TEST_FAST", "nan", 1);
	assert_int_equal(gwretry_env_fast("GWRETRY_TEST_FAST", 0.1, &v, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cheap_and_costly),
		cmocka_unit_test(test_fast_off_is_the_old_policy),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_parse_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
