/*
 * sched: next fire time in a named zone, and the local time of an instant
 * there (see sched.h). Inputs (schedule strings from a configuration file)
 * are untrusted text.
 */
#include "sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu",
    "fri", "sat" };

int
sched_day(const char *name)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strcmp(name, day_names[i]) == 0)
			return i;
	return -1;
}

static int
zone_exists(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[512];

	if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(tz))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir :
	    "/usr/share/zoneinfo", tz);
	return access(path, R_OK) == 0;
}

static int
parse_days(const char *s, unsigned *out, struct gw_err *err)
{
	char buf[64], *tok, *save = NULL, q[40];
	unsigned mask = 0;

	gw_err_quote(q, sizeof(q), s, strlen(s));
	if (strcmp(s, "daily") == 0) {
		*out = SCHED_DAILY;
		return 0;
	}
	if (strlen(s) >= sizeof(buf) || *s == '\0')
		return gw_err_set(err, "days '%s': expected daily, a range like "
		    "mon-fri, or a list like mon,wed,fri", q);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		int a, b;

		if (dash != NULL) {
			*dash = '\0';
			a = sched_day(tok);
			b = sched_day(dash + 1);
			if (a < 0 || b < 0)
				goto bad;
			for (;; a = (a + 1) % 7) {	/* ranges may wrap: sat-mon */
				mask |= 1u << a;
				if (a == b)
					break;
			}
		} else {
			if ((a = sched_day(tok)) < 0)
				goto bad;
			mask |= 1u << a;
		}
	}
	if (mask == 0)
		goto bad;
	*out = mask;
	return 0;
bad:
	return gw_err_set(err, "days '%s': expected daily, a range like mon-fri, "
	    "or a list like mon,wed,fri (days: sun mon tue wed thu fri sat)", q);
}

int
sched_parse(const char *at, const char *tz, const char *days,
    struct sched_spec *out, struct gw_err *err)
{
	char q[40];
	int h, m, sec = 0, n = 0;
	size_t len = at ? strlen(at) : 0;

	memset(out, 0, sizeof(*out));
	gw_err_quote(q, sizeof(q), at ? at : "", len);
	if (at == NULL || (len != 5 && len != 8) ||
	    strspn(at, "0123456789:") != len || at[2] != ':' ||
	    (len == 8 && at[5] != ':') ||
	    (len == 5 ? sscanf(at, "%2d:%2d%n", &h, &m, &n) != 2 :
	    sscanf(at, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3) ||
	    (size_t)n != len || h > 23 || m > 59 || sec > 59)
		return gw_err_set(err, "time '%s': expected HH:MM (or HH:MM:SS) from 00:00 to 23:59", q);
	gw_err_quote(q, sizeof(q), tz ? tz : "", tz ? strlen(tz) : 0);
	if (tz == NULL || strlen(tz) >= sizeof(out->tz) || !zone_exists(tz))
		return gw_err_set(err, "time zone '%s' is not in the tz database", q);
	if (parse_days(days ? days : "daily", &out->days, err) < 0)
		return -1;
	out->hour = h;
	out->minute = m;
	out->second = sec;
	snprintf(out->tz, sizeof(out->tz), "%s", tz);
	return 0;
}

/* Local wall-clock time of t, as seconds on a UTC-based scale. */
static time_t
wall(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return timegm(&tm);
}

/* The first instant whose local wall time is >= w (w on the same scale).
 * Scans forward from well before w: the first crossing is the answer, so a
 * wall time inside a gap gives the instant the gap ends, and a repeated
 * one gives its first occurrence. */
static time_t
first_at_or_after(time_t w)
{
	time_t t = w - 15 * 3600, lo, hi;	/* no zone is ahead of UTC by 15 h */

	while (wall(t) < w)
		t += 60;
	lo = t - 60;	/* wall(lo) < w <= wall(t): narrow to the second */
	hi = t;
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;

		if (wall(mid) < w)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

int
sched_next(const struct sched_spec *s, time_t now, time_t *next,
    struct gw_err *err)
{
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	struct tm today, day;
	int d, rc = -1;

	if (!zone_exists(s->tz)) {
		free(old);
		return gw_err_set(err, "time zone '%s' is not in the tz database", s->tz);
	}
	setenv("TZ", s->tz, 1);
	tzset();
	localtime_r(&now, &today);
	for (d = 0; d <= 8; d++) {
		time_t noon, w, t;

		/* the local calendar date d days from today, via UTC noon */
		memset(&day, 0, sizeof(day));
		day.tm_year = today.tm_year;
		day.tm_mon = today.tm_mon;
		day.tm_mday = today.tm_mday + d;
		day.tm_hour = 12;
		noon = timegm(&day);
		gmtime_r(&noon, &day);
		if (!(s->days & (1u << day.tm_wday)))
			continue;
		day.tm_hour = s->hour;
		day.tm_min = s->minute;
		day.tm_sec = s->second;
		w = timegm(&day);
		t = first_at_or_after(w);
		if (t > now) {
			*next = t;
			rc = 0;
			break;
		}
	}
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	if (rc < 0)
		gw_err_set(err, "no fire time within 8 days");
	return rc;
}

int
sched_local(const char *tz, time_t t, struct tm *out, struct gw_err *err)
{
	char *old, q[GW_QUOTE_MAX];

	if (tz == NULL || !zone_exists(tz)) {
		gw_err_quote(q, sizeof(q), tz ? tz : "", tz ? strlen(tz) : 0);
		return gw_err_set(err, "time zone '%s' is not in the tz database", q);
	}
	old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	if (getenv("TZ") != NULL && old == NULL)
		return gw_err_set(err, "out of memory");	/* could not restore TZ */
	setenv("TZ", tz, 1);
	tzset();
	localtime_r(&t, out);
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	return 0;
}

/* "HH:MM" at s (exactly five bytes, 00:00..23:59) in minutes, or -1. */
static int
hhmm(const char *s)
{
	int h, m;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[2] != ':' || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

int
sched_window_parse(const char *name, const char *s, const char *def,
    int *start_min, int *end_min, struct gw_err *err)
{
	char q[GW_QUOTE_MAX];
	int a, b;

	if (s == NULL || *s == '\0')
		s = def;
	gw_err_quote(q, sizeof(q), s, strlen(s));
	if (strlen(s) != 11 || s[5] != '-' || (a = hhmm(s)) < 0 ||
	    (b = hhmm(s + 6)) < 0)
		return gw_err_set(err, "%s: '%s' is not HH:MM-HH:MM "
		    "(00:00 to 23:59, e.g. %s)", name, q, def);
	if (a == b)
		return gw_err_set(err, "%s: '%s' is an empty window "
		    "(the start equals the end)", name, q);
	*start_min = a;
	*end_min = b;
	return 0;
}

int
sched_in_window(int start_min, int end_min, const struct tm *tm)
{
	int now = tm->tm_hour * 60 + tm->tm_min;

	if (start_min <= end_min)
		return now >= start_min && now < end_min;
	return now >= start_min || now < end_min;	/* crosses midnight */
}
