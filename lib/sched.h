/*
 * sched: the next wall-clock fire time of a schedule like "16:30 in
 * America/New_York on mon-fri", from the system tz database, correct on
 * both DST transitions: a time inside the spring-forward gap fires at the
 * first valid instant after the gap; a time in the repeated fall-back hour
 * fires once, at its first occurrence. (stack-init's scheduled restarts.)
 * Also the local time of an instant in a named zone (bot-core's New York
 * date, regular hours and restart window).
 *
 * sched_next() and sched_local() switch the process's TZ for the duration
 * of the call and restore it: call them from one thread only (gwkit
 * programs have one).
 */
#ifndef GW_SCHED_H
#define GW_SCHED_H

#include <time.h>

#include "gw_err.h"

struct sched_spec {
	int hour, minute, second;	/* local wall-clock time of day */
	unsigned days;		/* bit n set: fires on tm_wday n (0 = Sunday) */
	char tz[128];		/* tz database name, e.g. "America/New_York" */
};

#define SCHED_DAILY 0x7fu
#define SCHED_WEEKDAYS 0x3eu	/* mon-fri */

/* Parse "HH:MM" or "HH:MM:SS" (00:00..23:59:59), a tz name that exists in the tz database
 * ($TZDIR or /usr/share/zoneinfo), and days: "daily", "mon-fri", a range
 * "sat-sun", or a comma list "mon,wed,fri". Returns 0 or -1 with err. */
int sched_parse(const char *at, const char *tz, const char *days,
    struct sched_spec *out, struct gw_err *err);

/* Parse one day name ("mon".."sun") into its tm_wday; -1 if not one. */
int sched_day(const char *name);

/* The first fire instant strictly after now. Returns 0, or -1 with err
 * (the zone cannot be loaded, or no allowed day within 8 days). */
int sched_next(const struct sched_spec *s, time_t now, time_t *next,
    struct gw_err *err);

/* The local time of instant t in zone tz ("America/New_York") into *out
 * (tm_gmtoff gives the offset in effect; tm_zone is not to be kept).
 * Switches TZ for the call and restores it, like sched_next. Returns 0,
 * or -1 with err when the zone is not in the tz database. */
int sched_local(const char *tz, time_t t, struct tm *out, struct gw_err *err);

/*
 * A daily window "HH:MM-HH:MM" of local wall-clock time (e.g.
 * RESTART_WINDOW, in New York), named name in errors; NULL or "" gives
 * def. Returns 0 with both ends in minutes after midnight, or -1 with one
 * line naming name. Start equal to end is refused (an empty window); a
 * window may cross midnight ("23:50-00:10").
 */
int sched_window_parse(const char *name, const char *s, const char *def,
    int *start_min, int *end_min, struct gw_err *err);

/* Whether the local time tm (tm_hour, tm_min, as sched_local gives it)
 * lies in [start, end): the start minute is inside, the end minute is
 * not. */
int sched_in_window(int start_min, int end_min, const struct tm *tm);

#endif
