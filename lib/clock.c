/*
 * clock: monotonic and wall clock readings and timer conversions. Trusted
 * input (the caller's own numbers).
 */
#include "clock.h"

#include <time.h>

static int64_t
read_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int64_t
clock_mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

int64_t
clock_mono_ms(void)
{
	return read_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t
clock_wall_ms(void)
{
	return read_ns(CLOCK_REALTIME) / 1000000;
}

double
clock_since_ms(int64_t t0_ns)
{
	return (double)(clock_mono_ns() - t0_ns) / 1e6;
}

int64_t
clock_ms_left(int64_t deadline_ms)
{
	int64_t left = deadline_ms - clock_mono_ms();

	return left < 0 ? 0 : left;
}

struct timeval
clock_tv_ms(double ms)
{
	struct timeval tv = { 0, 0 };
	int64_t us;

	if (!(ms > 0))		/* negative, zero or NaN */
		return tv;
	if (ms > 1e15)		/* 31,000 years: keep ms * 1000 in range */
		ms = 1e15;
	us = (int64_t)(ms * 1000);
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	return tv;
}
