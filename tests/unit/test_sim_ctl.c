/* Unit tests for lib/sim_ctl: control-line decoding, one per input class. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim_ctl.h"

static int
parse(const char *line, struct sim_ctl_cmd *c, struct gw_err *e)
{
	return sim_ctl_parse(line, strlen(line), c, e);
}

static void
test_text(void **state)
{
	struct sim_ctl_cmd c;
	struct gw_err e;

	(void)state;
	assert_int_equal(parse("restart", &c, &e), 0);
	assert_string_equal(c.name, "restart");
	assert_int_equal(c.has_arg, 0);
	assert_int_equal(parse("  fault \t wedged  ", &c, &e), 0);
	assert_string_equal(c.name, "fault");
	assert_int_equal(c.has_arg, 1);
	assert_string_equal(c.arg, "wedged");
	assert_int_equal(parse("client-ids-in-use 5, 6", &c, &e), 0);
	assert_string_equal(c.arg, "5, 6");
	assert_int_equal(parse("", &c, &e), 0);
	assert_string_equal(c.name, "");
}

static void
test_json(void **state)
{
	struct sim_ctl_cmd c;
	struct gw_err e;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"fault\",\"arg\":\"slow\"}", &c, &e), 0);
	assert_string_equal(c.name, "fault");
	assert_string_equal(c.arg, "slow");
	assert_int_equal(parse("{\"cmd\":\"slow-ms\",\"arg\":250}", &c, &e), 0);
	assert_string_equal(c.arg, "250");
	assert_int_equal(parse("{\"cmd\":\"status\",\"arg\":null}", &c, &e), 0);
	assert_int_equal(c.has_arg, 0);
}

static void
test_malformed(void **state)
{
	static const struct { const char *line; const char *msg; } t[] = {
		{ "{\"cmd\":", "bad JSON at column 7: unexpected token near end of file" },
		{ "{\"arg\":1}", "bad command object: Object item not found: cmd" },
		{ "{\"cmd\":5}", "bad command object: Expected string, got integer" },
		{ "{\"cmd\":\"fault\",\"arg\":[1]}", "arg must be a string or an integer" },
		{ "{\"cmd\":\"a\",\"cmd\":\"b\"}", "bad JSON at column 16: duplicate object key near '\"cmd\"'" },
		{ "{\"cmd\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", "command name too long" },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "unknown command 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'" },
	};
	struct sim_ctl_cmd c;
	struct gw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse(t[i].line, &c, &e), -1);
		assert_string_equal(e.msg, t[i].msg);
	}
	assert_int_equal(sim_ctl_parse("fault\0wedged", 12, &c, &e), -1);
	assert_string_equal(e.msg, "NUL byte inside the line");
}

static void
test_too_long(void **state)
{
	static char line[SIM_CTL_LINE_MAX + 2];
	struct sim_ctl_cmd c;
	struct gw_err e;

	(void)state;
	memset(line, 'a', sizeof(line) - 1);
	memcpy(line, "fault ", 6);
	assert_int_equal(sim_ctl_parse(line, SIM_CTL_LINE_MAX, &c, &e), 0);
	assert_int_equal(strlen(c.arg), SIM_CTL_LINE_MAX - 6);
	assert_int_equal(sim_ctl_parse(line, SIM_CTL_LINE_MAX + 1, &c, &e), -1);
	assert_string_equal(e.msg, "line longer than 4096 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
