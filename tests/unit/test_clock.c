/* Unit tests for lib/clock: readings agree with the system clocks, and the
 * timer conversions are exact at their edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <time.h>
#include <cmocka.h>

#include "clock.h"

static int64_t
sys_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void
test_monotonic_readings(void **state)
{
	int64_t a, b, c, ms;

	(void)state;
	a = sys_ns(CLOCK_MONOTONIC);
	b = clock_mono_ns();
	ms = clock_mono_ms();
	c = sys_ns(CLOCK_MONOTONIC);
	assert_true(a <= b && b <= c);
	assert_true(a / 1000000 <= ms && ms <= c / 1000000);
}

static void
test_wall_reading(void **state)
{
	int64_t a, w, b;

	(void)state;
	a = sys_ns(CLOCK_REALTIME) / 1000000;
	w = clock_wall_ms();
	b = sys_ns(CLOCK_REALTIME) / 1000000;
	assert_true(a <= w && w <= b);
	/* the epoch, not boot time: later than 2020-01-01 */
	assert_true(w > 1577836800000LL);
}

static void
test_since_ms(void **state)
{
	int64_t t0 = clock_mono_ns(), until = t0 + 3000000;
	double ms;

	(void)state;
	assert_true(clock_since_ms(t0) >= 0);
	while (sys_ns(CLOCK_MONOTONIC) < until)
		;			/* 3 ms of busy time, no sleeping */
	ms = clock_since_ms(t0);
	assert_true(ms >= 3.0 && ms < 3000.0);
	/* fractions are kept */
	assert_true(clock_since_ms(clock_mono_ns() - 1500000) >= 1.5);
}

static void
test_ms_left(void **state)
{
	int64_t now = clock_mono_ms(), left;

	(void)state;
	assert_int_equal(clock_ms_left(now - 1), 0);
	assert_int_equal(clock_ms_left(now - 100000), 0);
	assert_int_equal(clock_ms_left(INT64_MIN / 2), 0);
	left = clock_ms_left(now + 10000);
	assert_true(left > 9000 && left <= 10000);
}

#define TV(ms, s, us) do {						\
	struct timeval tv_ = clock_tv_ms(ms);				\
	assert_int_equal(tv_.tv_sec, (s));				\
	assert_int_equal(tv_.tv_usec, (us));				\
} while (0)

static void
test_tv_ms(void **state)
{
	(void)state;
	TV(0, 0, 0);
	TV(-1, 0, 0);
	TV(-0.5, 0, 0);
	TV(NAN, 0, 0);
	TV(-INFINITY, 0, 0);
	TV(0.0004, 0, 0);		/* below a microsecond */
	TV(0.001, 0, 1);
	TV(1.5, 0, 1500);
	TV(999, 0, 999000);
	TV(1000, 1, 0);
	TV(1001, 1, 1000);
	TV(2999.999, 2, 999999);
	TV(399.998, 0, 399998);
	TV(31536000000.0, 31536000, 0);	/* gw-probe's longest startup timeout */
	TV(1e300, 1000000000000LL, 0);	/* capped, not overflowed */
	TV(INFINITY, 1000000000000LL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic_readings),
		cmocka_unit_test(test_wall_reading),
		cmocka_unit_test(test_since_ms),
		cmocka_unit_test(test_ms_left),
		cmocka_unit_test(test_tv_ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
