/*
 * clock: the one place that reads the clocks. Monotonic time for deadlines
 * and durations, wall time for timestamps, and the conversions libevent's
 * timers need. Never blocks; no state.
 */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

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

#endif
