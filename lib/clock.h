/*
 * clock: the one place that reads the clocks. Monotonic time for deadlines
 * and durations, wall time for timestamps, and the conversions libevent's
 * timers need. Never blocks; no state.
 */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* CLOCK_MONOTONIC in nanoseconds / milliseconds (arbitrary origin). */
int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);
/* CLOCK_REALTIME in milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);

/* Milliseconds (with fractions) elapsed since t0_ns, a clock_mono_ns()
 * reading. */
double clock_since_ms(int64_t t0_ns);
/* Milliseconds left until deadline_ms, a clock_mono_ms() value; 0 once it
 * has passed. */
int64_t clock_ms_left(int64_t deadline_ms);

/* A timeval of ms milliseconds (to the microsecond) for evtimer_add();
 * negative or NaN gives zero (expire at once); above 10^15 ms it is capped. */
struct timeval clock_tv_ms(double ms);

/* ms since the Unix epoch as RFC 3339 UTC with milliseconds,
 * "2026-12-07T14:31:02.123Z", into out (at least 25 bytes). -1 when ms is
 * negative or past the year 9999. */
int clock_format_utc_ms(int64_t ms, char *out, size_t outsz);
/* "YYYY-MM-DDTHH:MM:SS[.f...]Z" (UTC only; a real date, year 1970..9999;
 * 'T' and 'Z' in either case; up to 9 fraction digits, ms kept) to ms since
 * the Unix epoch; -1 for anything else. */
int clock_parse_utc_ms(const char *s, int64_t *out);

#endif
