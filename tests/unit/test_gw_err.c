/* Unit tests for lib/gw_err: formatting, truncation and quoting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "gw_err.h"

static void
test_set_formats(void **state)
{
	struct gw_err err = { "old" };

	(void)state;
	assert_int_equal(gw_err_set(&err, "frame: length %u exceeds %s", 7u, "cap"),
	    -1);
	assert_string_equal(err.msg, "frame: length 7 exceeds cap");
	assert_int_equal(gw_err_set(&err, "plain"), -1);
	assert_string_equal(err.msg, "plain");
	assert_int_equal(gw_err_set(&err, "%s", ""), -1);
	assert_string_equal(err.msg, "");
}

static void
test_set_truncates(void **state)
{
	struct gw_err err;
	char big[600];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(&err, 0x5a, sizeof(err));
	assert_int_equal(gw_err_set(&err, "a%sb", big), -1);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_int_equal(err.msg[0], 'a');
	assert_int_equal(err.msg[1], 'x');
	assert_int_equal(err.msg[sizeof(err.msg) - 2], 'x');
	assert_int_equal(err.msg[sizeof(err.msg) - 1], '\0');
	/* Exactly 255 characters fit. */
	big[255] = '\0';
	assert_int_equal(gw_err_set(&err, "%s", big), -1);
	assert_int_equal(strlen(err.msg), 255);
}

static void
test_set_null_err(void **state)
{
	(void)state;
	assert_int_equal(gw_err_set(NULL, "ignored %d", 1), -1);
}

static void
test_quote_printable(void **state)
{
	char q[32];

	(void)state;
	gw_err_quote(q, sizeof(q), "v100..176 +PACEAPI", 18);
	assert_string_equal(q, "v100..176 +PACEAPI");
	/* Only n bytes are read: src need not be NUL-terminated. */
	gw_err_quote(q, sizeof(q), "abcdef", 3);
	assert_string_equal(q, "abc");
	gw_err_quote(q, sizeof(q), "", 0);
	assert_string_equal(q, "");
	gw_err_quote(q, sizeof(q), " ~", 2);
	assert_string_equal(q, " ~");
}

static void
test_quote_non_printable(void **state)
{
	char q[32];

	(void)state;
	gw_err_quote(q, sizeof(q), "a\0b\tc\nd\x1f" "e\x7f" "f\x80g\xff", 14);
	assert_string_equal(q, "a?b?c?d?e?f?g?");
	/* A "%s" in untrusted text is just text. */
	gw_err_quote(q, sizeof(q), "%s%n", 4);
	assert_string_equal(q, "%s%n");
}

static void
test_quote_truncates(void **state)
{
	char q[8];

	(void)state;
	/* 7 characters fit; the last 3 become "..." to show the cut. */
	gw_err_quote(q, sizeof(q), "0123456789", 10);
	assert_string_equal(q, "0123...");
	/* An exact fit is not truncated. */
	gw_err_quote(q, sizeof(q), "0123456", 7);
	assert_string_equal(q, "0123456");
	gw_err_quote(q, sizeof(q), "01234567", 8);
	assert_string_equal(q, "0123...");
	/* Non-printables are replaced before the cut is marked. */
	gw_err_quote(q, sizeof(q), "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_string_equal(q, "????...");
}

static void
test_quote_tiny_buffers(void **state)
{
	char q[4];

	(void)state;
	gw_err_quote(q, 4, "abcdef", 6);
	assert_string_equal(q, "...");
	gw_err_quote(q, 4, "abc", 3);
	assert_string_equal(q, "abc");
	/* No room for a marker: cut silently. */
	gw_err_quote(q, 3, "abcdef", 6);
	assert_string_equal(q, "ab");
	gw_err_quote(q, 1, "abcdef", 6);
	assert_string_equal(q, "");
	/* A zero-sized buffer is left alone. */
	q[0] = 'Z';
	gw_err_quote(q, 0, "abcdef", 6);
	assert_int_equal(q[0], 'Z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_formats),
		cmocka_unit_test(test_set_truncates),
		cmocka_unit_test(test_set_null_err),
		cmocka_unit_test(test_quote_printable),
		cmocka_unit_test(test_quote_non_printable),
		cmocka_unit_test(test_quote_truncates),
		cmocka_unit_test(test_quote_tiny_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
