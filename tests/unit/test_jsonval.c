/* Unit tests for bot-core's jsonval: type names, quoting, exact numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>

#include "jsonval.h"

static void
test_type_names(void **state)
{
	json_t *v[] = { json_object(), json_array(), json_string("x"),
	    json_integer(1), json_real(1.5), json_true(), json_false(),
	    json_null() };
	const char *want[] = { "an object", "an array", "a string",
	    "an integer", "a real number", "true", "false", "null" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_string_equal(jsonval_type_name(v[i]), want[i]);
		json_decref(v[i]);
	}
}

static void
test_quote(void **state)
{
	json_t *s = json_stringn("a\x01" "bcdefgh\0z", 10);
	char q[6];

	(void)state;
	assert_string_equal(jsonval_quote(q, sizeof(q), s), "a?...");	/* cut, and said so */
	json_decref(s);
}

static void
test_real_precision(void **state)
{
	char b[40];
	double d[] = { 2.0, 450.12, 0.1, 1.0 / 3.0, 1e-300, 123456789.125 };
	size_t i;

	(void)state;
	assert_int_equal(jsonval_real_precision(2.0), 1);
	assert_int_equal(jsonval_real_precision(450.12), 5);
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		snprintf(b, sizeof(b), "%.*g", jsonval_real_precision(d[i]), d[i]);
		assert_true(strtod(b, NULL) == d[i]);	/* reads back exactly */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_real_precision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
