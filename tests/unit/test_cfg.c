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
test_endpoint(void **state)
{
	static const struct {
		const char *in, *host;
		long port;
	} ok[] = {
		{ "127.0.0.1", "127.0.0.1", 0 },
		{ "127.0.0.1:14102", "127.0.0.1", 14102 },
		{ "gateway:4004", "gateway", 4004 },
		{ "[::1]:4002", "::1", 4002 },
		{ "[::1]", "::1", 0 },
		{ "::1", "::1", 0 },
		{ "fe80::1:2", "fe80::1:2", 0 },
	};
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "h:0", "--host: 'h:0': port '0' is not an integer in 1..65535" },
		{ "h:70000", "--host: 'h:70000': port '70000' is not an integer in 1..65535" },
		{ "h:x", "--host: 'h:x': port 'x' is not an integer in 1..65535" },
		{ "h:-5", "--host: 'h:-5': port '-5' is not an integer in 1..65535" },
		{ "h:", "--host: 'h:' is not host, host:port or [IPv6]:port" },
		{ ":4002", "--host: the host must be 1..253 characters" },
		{ "[::1", "--host: '[::1' is not host, host:port or [IPv6]:port" },
		{ "[::1]x", "--host: '[::1]x' is not host, host:port or [IPv6]:port" },
		{ "[::1]:", "--host: '[::1]:' is not host, host:port or [IPv6]:port" },
		{ "[]:4002", "--host: the host must be 1..253 characters" },
		{ "", "--host: the host must be 1..253 characters" },
	};
	char host[256];
	struct gw_err e;
	size_t i;
	long port;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cfg_endpoint("--host", ok[i].in, host, sizeof(host),
		    &port, &e), 0);
		assert_string_equal(host, ok[i].host);
		assert_int_equal(port, ok[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cfg_endpoint("--host", bad[i].in, host, sizeof(host),
		    &port, &e), -1);
		assert_string_equal(e.msg, bad[i].msg);
	}
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
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
