/*
 * Unit tests for lib/sim's pure parts: sim_config_check (every rule, with
 * the exact message, and its normalisation), sim_fault_parse and
 * sim_parse_client_ids (one test per malformed class). The event-loop side
 * is covered by tests/integration/gw-sim.bats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim.h"
#include "usock.h"

/* cfg with one change applied must fail with exactly msg. */
static void
expect_bad(const struct sim_config *cfg, const char *msg)
{
	struct sim_config c = *cfg;
	struct gw_err err = { "" };

	assert_int_equal(sim_config_check(&c, &err), -1);
	assert_string_equal(err.msg, msg);
}

static void
test_config_defaults_ok(void **state)
{
	struct sim_config cfg;
	struct gw_err err = { "" };

	(void)state;
	sim_config_init(&cfg);
	assert_int_equal(sim_config_check(&cfg, &err), 0);
	assert_string_equal(cfg.bind_addr, "127.0.0.1");
	assert_int_equal(cfg.port, 4002);
	assert_int_equal(cfg.max_version, 176);
	assert_int_equal(cfg.fault, SIM_FAULT_NONE);
	assert_int_equal(cfg.slow_ms, 0);
	assert_string_equal(cfg.accounts, "DU1234567");
	assert_true(cfg.paper_cash == 1000000.0);
	assert_true(cfg.partial_above == 0);
	assert_true(cfg.commission_per_share == 0.005);
	snprintf(cfg.bind_addr, sizeof(cfg.bind_addr), "::1");
	assert_int_equal(sim_config_check(&cfg, &err), 0);
}

static void
test_config_ranges(void **state)
{
	struct sim_config cfg, c;

	(void)state;
	sim_config_init(&cfg);
	c = cfg; c.port = 0;
	expect_bad(&c, "--port: '0' is not an integer in 1..65535");
	c = cfg; c.port = 65536;
	expect_bad(&c, "--port: '65536' is not an integer in 1..65535");
	c = cfg; c.max_version = 99;
	expect_bad(&c, "--max-version: '99' is not an integer in 100..200");
	c = cfg; c.max_version = 201;
	expect_bad(&c, "--max-version: '201' is not an integer in 100..200");
	c = cfg; c.login_delay = -1;
	expect_bad(&c, "--login-delay: '-1' is not an integer in 0..86400");
	c = cfg; c.slow_ms = 600001;
	expect_bad(&c, "--slow-ms: '600001' is not an integer in 0..600000");
	c = cfg; c.tick_ms = 9;
	expect_bad(&c, "--tick-ms: '9' is not an integer in 10..60000");
	c = cfg; c.fault = (enum sim_fault)42;
	expect_bad(&c, "--fault: unknown fault 42");
	c = cfg; c.n_client_ids = SIM_MAX_CLIENT_IDS + 1;
	expect_bad(&c, "--client-ids-in-use: more than 64 client ids");
}

static void
test_config_bind(void **state)
{
	struct sim_config cfg;

	(void)state;
	sim_config_init(&cfg);
	snprintf(cfg.bind_addr, sizeof(cfg.bind_addr), "localhost");
	expect_bad(&cfg, "--bind: 'localhost' is not a numeric IPv4 or IPv6 "
	    "address");
	snprintf(cfg.bind_addr, sizeof(cfg.bind_addr), "1.2.3.4\n");
	expect_bad(&cfg, "--bind: '1.2.3.4?' is not a numeric IPv4 or IPv6 "
	    "address");
}

static void
test_config_accounts(void **state)
{
	struct sim_config cfg;
	struct gw_err err = { "" };

	(void)state;
	sim_config_init(&cfg);
	cfg.accounts[0] = '\0';
	expect_bad(&cfg, "--accounts: empty value, expected a comma-separated "
	    "account list");
	snprintf(cfg.accounts, sizeof(cfg.accounts), "DU1 DU2");
	expect_bad(&cfg, "--accounts: 'DU1 DU2' is not a comma-separated "
	    "account list");
	snprintf(cfg.accounts, sizeof(cfg.accounts), "DU1|x");
	expect_bad(&cfg, "--accounts: 'DU1|x' is not a comma-separated "
	    "account list");
	snprintf(cfg.accounts, sizeof(cfg.accounts), "DU1\x01");
	expect_bad(&cfg, "--accounts: 'DU1?' is not a comma-separated "
	    "account list");
	snprintf(cfg.accounts, sizeof(cfg.accounts), "DU111,U2-2_x.y,");
	assert_int_equal(sim_config_check(&cfg, &err), 0);
}

static void
test_config_control_path(void **state)
{
	struct sim_config cfg;
	struct gw_err err = { "" };

	(void)state;
	sim_config_init(&cfg);
	memset(cfg.control_path, 'a', USOCK_PATH_MAX);
	cfg.control_path[USOCK_PATH_MAX] = '\0';
	assert_int_equal(sim_config_check(&cfg, &err), 0);
	memset(cfg.control_path, 'a', USOCK_PATH_MAX + 1);
	cfg.control_path[USOCK_PATH_MAX + 1] = '\0';
	expect_bad(&cfg, "--control: the path is longer than 107 bytes");
}

/* --slow-ms alone selects slow; --fault slow alone gets the default delay;
 * another fault keeps its slow_ms for a later switch to slow. */
static void
test_config_normalises_slow(void **state)
{
	struct sim_config cfg;
	struct gw_err err = { "" };

	(void)state;
	sim_config_init(&cfg);
	cfg.slow_ms = 400;
	assert_int_equal(sim_config_check(&cfg, &err), 0);
	assert_int_equal(cfg.fault, SIM_FAULT_SLOW);
	assert_int_equal(cfg.slow_ms, 400);

	sim_config_init(&cfg);
	cfg.fault = SIM_FAULT_SLOW;
	assert_int_equal(sim_config_check(&cfg, &err), 0);
	assert_int_equal(cfg.slow_ms, SIM_DEFAULT_SLOW_MS);

	sim_config_init(&cfg);
	cfg.fault = SIM_FAULT_WEDGED;
	cfg.slow_ms = 400;
	assert_int_equal(sim_config_check(&cfg, &err), 0);
	assert_int_equal(cfg.fault, SIM_FAULT_WEDGED);
	assert_int_equal(cfg.slow_ms, 400);
}

static void
test_fault_parse(void **state)
{
	static const char *const names[] = { "none", "relay-dead", "wedged",
	    "not-logged-in", "slow" };
	struct gw_err err = { "" };
	enum sim_fault f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(sim_fault_parse(names[i], &f, &err), 0);
		assert_int_equal(f, (enum sim_fault)i);
		assert_string_equal(sim_fault_name(f), names[i]);
	}
	assert_string_equal(sim_fault_name((enum sim_fault)99), "unknown");
}

static void
test_fault_parse_unknown(void **state)
{
	struct gw_err err = { "" };
	enum sim_fault f = SIM_FAULT_NONE;

	(void)state;
	assert_int_equal(sim_fault_parse("frozen", &f, &err), -1);
	assert_string_equal(err.msg, "'frozen' is not one of none, relay-dead, "
	    "wedged, not-logged-in, slow");
	assert_int_equal(sim_fault_parse("", &f, &err), -1);
	assert_string_equal(err.msg, "'' is not one of none, relay-dead, "
	    "wedged, not-logged-in, slow");
	assert_int_equal(sim_fault_parse("Wedged", &f, &err), -1);
	assert_int_equal(sim_fault_parse("wedged\x1b[0m", &f, &err), -1);
	assert_string_equal(err.msg, "'wedged?[0m' is not one of none, "
	    "relay-dead, wedged, not-logged-in, slow");
	assert_int_equal(f, SIM_FAULT_NONE);
}

static void
test_client_ids(void **state)
{
	int ids[SIM_MAX_CLIENT_IDS];
	struct gw_err err = { "" };
	size_t n = 99;

	(void)state;
	assert_int_equal(sim_parse_client_ids("", ids, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sim_parse_client_ids("5", ids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 5);
	assert_int_equal(sim_parse_client_ids("0,1,2147483647", ids, &n, &err),
	    0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[1], 1);
	assert_int_equal(ids[2], 2147483647);
}

static void
expect_bad_ids(const char *s, const char *msg)
{
	int ids[SIM_MAX_CLIENT_IDS];
	struct gw_err err = { "" };
	size_t n = 0;

	assert_int_equal(sim_parse_client_ids(s, ids, &n, &err), -1);
	assert_string_equal(err.msg, msg);
}

static void
test_client_ids_empty_item(void **state)
{
	(void)state;
	expect_bad_ids("5,,6", "'5,,6' is not a comma-separated list of client "
	    "ids");
	expect_bad_ids(",5", "',5' is not a comma-separated list of client ids");
	expect_bad_ids("5,", "'5,' is not a comma-separated list of client ids");
}

static void
test_client_ids_not_integer(void **state)
{
	(void)state;
	expect_bad_ids("5,x", "'5,x' is not a comma-separated list of client "
	    "ids");
	expect_bad_ids("5, 6", "'5, 6' is not a comma-separated list of client "
	    "ids");
	expect_bad_ids("1.5", "'1.5' is not a comma-separated list of client "
	    "ids");
}

static void
test_client_ids_out_of_range(void **state)
{
	(void)state;
	expect_bad_ids("2147483648", "client id '2147483648' is not in "
	    "0..2147483647");
	expect_bad_ids("-5", "client id '-5' is not in 0..2147483647");
	expect_bad_ids("5,-1,6", "client id '-1' is not in 0..2147483647");
	expect_bad_ids("99999999999999999999999999999999", "'9999999999999999"
	    "9999999999999999' is not a comma-separated list of client ids");
}

static void
test_client_ids_too_many(void **state)
{
	char list[4 * (SIM_MAX_CLIENT_IDS + 1)];
	size_t i, o = 0;

	(void)state;
	for (i = 0; i <= SIM_MAX_CLIENT_IDS; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%zu",
		    i ? "," : "", i);
	expect_bad_ids(list, "'0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,"
	    "18,19,20,21,22,2...' has more than 64 client ids");
}

static void
test_client_ids_untrusted_bytes_quoted(void **state)
{
	(void)state;
	expect_bad_ids("5\n6", "'5?6' is not a comma-separated list of client "
	    "ids");
}


static void
test_config_broker(void **state)
{
	struct sim_config cfg, c;
	struct gw_err err = { "" };

	(void)state;
	sim_config_init(&cfg);
	c = cfg; c.paper_cash = -1;
	expect_bad(&c, "--paper-cash: '-1' is not an amount in 0..1e+12");
	c = cfg; c.paper_cash = 2e12;
	expect_bad(&c, "--paper-cash: '2e+12' is not an amount in 0..1e+12");
	c = cfg; c.partial_above = -0.5;
	expect_bad(&c, "--partial-above: '-0.5' is not a number of shares in "
	    "0..1e+09");
	c = cfg; c.commission_per_share = -0.001;
	expect_bad(&c, "--commission-per-share: '-0.001' is not an amount in "
	    "0..1e+06");
	c = cfg; c.paper_cash = 0; c.partial_above = 100;
	c.commission_per_share = 0;
	assert_int_equal(sim_config_check(&c, &err), 0);
	/* the broker's account is the first non-empty one of --accounts, at
	 * most 31 bytes; empty entries are skipped, and a list of none (a
	 * gateway not logged in) is fine */
	c = cfg;
	snprintf(c.accounts, sizeof(c.accounts), "%s",
	    "DU12345678901234567890123456789012,DU2");
	expect_bad(&c, "--accounts: 'DU12345678901234567890123456789012,DU2': "
	    "the first account (the paper broker's) must be at most 31 "
	    "characters");
	c = cfg;
	snprintf(c.accounts, sizeof(c.accounts), ",DU2");
	assert_int_equal(sim_config_check(&c, &err), 0);
	{
		char a[32];

		assert_int_equal(sim_first_account(&c, a, sizeof(a)), 3);
		assert_string_equal(a, "DU2");
	}
	snprintf(c.accounts, sizeof(c.accounts), ",,,");
	assert_int_equal(sim_config_check(&c, &err), 0);
	assert_int_equal(sim_first_account(&c, NULL, 0), 0);
}

static void
test_first_account(void **state)
{
	struct sim_config cfg;
	char acct[32];

	(void)state;
	sim_config_init(&cfg);
	snprintf(cfg.accounts, sizeof(cfg.accounts), "DU111,DU222");
	assert_int_equal(sim_first_account(&cfg, acct, sizeof(acct)), 5);
	assert_string_equal(acct, "DU111");
	snprintf(cfg.accounts, sizeof(cfg.accounts), "DU333");
	assert_int_equal(sim_first_account(&cfg, acct, sizeof(acct)), 5);
	assert_string_equal(acct, "DU333");
}

static void
test_parse_amount(void **state)
{
	struct gw_err err = { "" };
	double v = -1;

	(void)state;
	assert_int_equal(sim_parse_amount("--paper-cash", "1000000", &v, &err), 0);
	assert_true(v == 1000000.0);
	assert_int_equal(sim_parse_amount("x", "0.005", &v, &err), 0);
	assert_true(v == 0.005);
	assert_int_equal(sim_parse_amount("x", "1e6", &v, &err), 0);
	assert_true(v == 1e6);
	assert_int_equal(sim_parse_amount("x", "-2.5", &v, &err), 0);
	assert_true(v == -2.5);
}

static void
test_parse_amount_bad(void **state)
{
	static const char *const bad[] = { "", "abc", "nan", "inf", "1e999",
	    "0x10", " 5", "5 ", "1.2.3", "--1", "1e", "5$" };
	struct gw_err err = { "" };
	char want[128];
	double v = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sim_parse_amount("--paper-cash", bad[i], &v, &err),
		    -1);
		snprintf(want, sizeof(want), "--paper-cash: '%s' is not a number",
		    bad[i]);
		assert_string_equal(err.msg, want);
		assert_true(v == 42);
	}
	assert_int_equal(sim_parse_amount("fill-parts", "1\x01", &v, &err), -1);
	assert_string_equal(err.msg, "fill-parts: '1?' is not a number");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults_ok),
		cmocka_unit_test(test_config_ranges),
		cmocka_unit_test(test_config_bind),
		cmocka_unit_test(test_config_accounts),
		cmocka_unit_test(test_config_control_path),
		cmocka_unit_test(test_config_normalises_slow),
		cmocka_unit_test(test_config_broker),
		cmocka_unit_test(test_first_account),
		cmocka_unit_test(test_parse_amount),
		cmocka_unit_test(test_parse_amount_bad),
		cmocka_unit_test(test_fault_parse),
		cmocka_unit_test(test_fault_parse_unknown),
		cmocka_unit_test(test_client_ids),
		cmocka_unit_test(test_client_ids_empty_item),
		cmocka_unit_test(test_client_ids_not_integer),
		cmocka_unit_test(test_client_ids_out_of_range),
		cmocka_unit_test(test_client_ids_too_many),
		cmocka_unit_test(test_client_ids_untrusted_bytes_quoted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
