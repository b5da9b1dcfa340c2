/* Unit tests for lib/cfg: typed values and their one-line errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cfg.h"

static void
test_long_ok(void **state)
{
	struct gw_err e;
	long v = 0;

	(void)state;
	assert_int_equal(cfg_long("--port", "4002", 1, 65535, &v, &e), 0);
	assert_int_equal(v, 4002);
	assert_int_equal(cfg_long("--port", "-5", -10, 10, &v, &e), 0);
	assert_int_equal(v, -5);
}

static void
test_long_errors(void **state)
{
	static const char *const bad[] = { "0", "70000", "abc", "12x", "", " 1",
	    "99999999999999999999999", "1.5" };
	struct gw_err e;
	long v = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cfg_long("--port", bad[i], 1, 65535, &v, &e), -1);
		assert_int_equal(v, 7);
	}
	cfg_long("--port", "70000", 1, 65535, &v, &e);
	assert_string_equal(e.msg, "--port: '70000' is not an integer in 1..65535");
	cfg_long("--port", "", 1, 65535, &v, &e);
	assert_string_equal(e.msg, "--port: empty value, expected an integer in 1..65535");
	cfg_long("--port", "a\033[2Jb", 1, 65535, &v, &e);
	assert_string_equal(e.msg, "--port: 'a?[2Jb' is not an integer in 1..65535");
}

static void
test_seconds(void **state)
{
	static const char *const bad[] = { "-1", "abc", "1e3", "inf", "nan",
	    "0x10", "1.2.3x", "", "100001" };
	struct gw_err e;
	double v = 0;
	size_t i;

	(void)state;
	assert_int_equal(cfg_seconds("--timeout", "0.25", 0, 100000, &v, &e), 0);
	assert_true(v == 0.25);
	assert_int_equal(cfg_seconds("--timeout", "5", 0, 100000, &v, &e), 0);
	assert_true(v == 5);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cfg_seconds("--timeout", bad[i], 0, 100000, &v, &e), -1);
	cfg_seconds("--timeout", "-1", 0.001, 86400, &v, &e);
	assert_string_equal(e.msg,
	    "--timeout: '-1' is not a number of seconds in 0.001..86400");
}

static void
test_bool(void **state)
{
	struct gw_err e;
	int v = -1;

	(void)state;
	assert_int_equal(cfg_bool("DRY_RUN", "TRUE", &v, &e), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cfg_bool("DRY_RUN", "off", &v, &e), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cfg_bool("DRY_RUN", "maybe", &v, &e), -1);
	assert_string_equal(e.msg, "DRY_RUN: 'maybe' is not a boolean (true or false)");
}

static void
test_env(void **state)
{
	struct gw_err e;
	long v = 0;
	double d = 0;

	(void)state;
	unsetenv("GWKIT_TEST_X");
	assert_int_equal(cfg_env_long("GWKIT_TEST_X", 30, 1, 100, &v, &e), 0);
	assert_int_equal(v, 30);
	setenv("GWKIT_TEST_X", "", 1);
	assert_int_equal(cfg_env_long("GWKIT_TEST_X", 30, 1, 100, &v, &e), 0);
	assert_int_equal(v, 30);
	setenv("GWKIT_TEST_X", "7", 1);
	assert_int_equal(cfg_env_long("GWKIT_TEST_X", 30, 1, 100, &v, &e), 0);
	assert_int_equal(v, 7);
	setenv("GWKIT_TEST_X", "seven", 1);
	assert_int_equal(cfg_env_seconds("GWKIT_TEST_X", 5, 0, 100, &d, &e), -1);
	assert_string_equal(e.msg,
	    "GWKIT_TEST_X: 'seven' is not a number of seconds in 0..100");
	assert_string_equal(cfg_env_str("GWKIT_TEST_UNSET", "dflt"), "dflt");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_ok),
		cmocka_unit_test(test_long_errors),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
