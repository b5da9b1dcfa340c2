/* Unit tests for lib/backoff: the retry delay sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"

static void
test_doubling_to_cap(void **state)
{
	static const double want[] = { 5, 10, 20, 30, 30, 30 };
	struct backoff b;
	size_t i;

	(void)state;
	backoff_init(&b, 5, 30);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(backoff_next(&b) == want[i]);
	backoff_reset(&b);
	assert_true(backoff_next(&b) == 5);
}

static void
test_edge_values(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 0, 30);	/* 0 means retry at once, always */
	assert_true(backoff_next(&b) == 0);
	assert_true(backoff_next(&b) == 0);
	backoff_init(&b, 40, 30);	/* cap below initial: initial wins */
	assert_true(backoff_next(&b) == 40);
	assert_true(backoff_next(&b) == 40);
	backoff_init(&b, 0.1, 0.25);
	assert_true(backoff_next(&b) == 0.1);
	assert_true(backoff_next(&b) == 0.2);
	assert_true(backoff_next(&b) == 0.25);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubling_to_cap),
		cmocka_unit_test(test_edge_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
