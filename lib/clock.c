/*
 * clock: monotonic and wall clock readings and timer conversions. Trusted
 * input (the caller's own numbers).
 */
#include "clock.h"

#include <stdio.h>
#include <string.h>
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

/* The year 9999's last millisecond. */
#define UTC_MAX_MS 253402300799999LL

int
clock_format_utc_ms(int64_t ms, char *out, size_t outsz)
{
	struct tm tm;
	time_t t;
	int n;

	if (ms < 0 || ms > UTC_MAX_MS)
		return -1;
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	n = snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static int
utc_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
clock_parse_utc_ms(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	struct tm tm;
	int y, mo, d, h, mi, sec, ms = 0, i, dim;
	time_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' &&
	    s[10] != 't') || s[13] != ':' || s[16] != ':' ||
	    utc_digits(s, 4, &y) < 0 || utc_digits(s + 5, 2, &mo) < 0 ||
	    utc_digits(s + 8, 2, &d) < 0 || utc_digits(s + 11, 2, &h) < 0 ||
	    utc_digits(s + 14, 2, &mi) < 0 || utc_digits(s + 17, 2, &sec) < 0)
		return -1;
	i = 19;
	if (s[i] == '.') {
		int k, scale = 100;

		for (k = i + 1; s[k] >= '0' && s[k] <= '9'; k++) {
			ms += (s[k] - '0') * scale;
			scale /= 10;
		}
		if (k == i + 1 || k - i - 1 > 9)
			return -1;
		i = k;
	}
	if ((s[i] != 'Z' && s[i] != 'z') || s[i + 1] != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 60)
		return -1;
	dim = mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0));
	if (d < 1 || d > dim)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 || t < 0)
		return -1;
	*out = (int64_t)t * 1000 + ms;
	return 0;
}
