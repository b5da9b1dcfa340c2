/*
 * Unit tests for lib/sched across the 2026 and 2027 DST transitions in
 * America/New_York, Europe/London and Australia/Sydney. "now" is an
 * argument of sched_next, so nothing fakes the clock: every expected
 * instant is an absolute UTC time worked out from the zones' rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sched.h"

static time_t
utc(const char *iso)	/* "2026-03-08T07:00:00Z" */
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
	return timegm(&tm);
}

static void
expect(const char *at, const char *tz, const char *days, const char *now,
    const char *want)
{
	struct sched_spec s;
	struct gw_err e;
	time_t next = 0;
	char got[32];
	struct tm tm;

	assert_int_equal(sched_parse(at, tz, days, &s, &e), 0);
	assert_int_equal(sched_next(&s, utc(now), &next, &e), 0);
	gmtime_r(&next, &tm);
	strftime(got, sizeof(got), "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_string_equal(got, want);
}

static void
test_new_york_weekdays(void **state)
{
	(void)state;
	/* Friday 16:29 EST: today; 16:31: Monday, which is already EDT */
	expect("16:30", "America/New_York", "mon-fri", "2026-03-06T21:29:00Z",
	    "2026-03-06T21:30:00Z");
	expect("16:30", "America/New_York", "mon-fri", "2026-03-06T21:31:00Z",
	    "2026-03-09T20:30:00Z");
	/* exactly at the fire time: the next one, not the same */
	expect("16:30", "America/New_York", "mon-fri", "2026-03-09T20:30:00Z",
	    "2026-03-10T20:30:00Z");
	/* autumn: back to EST */
	expect("16:30", "America/New_York", "daily", "2026-11-02T12:00:00Z",
	    "2026-11-02T21:30:00Z");
}

static void
test_new_york_gap_and_repeat(void **state)
{
	(void)state;
	/* 2026-03-08 02:30 does not exist (02:00 EST -> 03:00 EDT) */
	expect("02:30", "America/New_York", "daily", "2026-03-08T05:00:00Z",
	    "2026-03-08T07:00:00Z");
	/* 2026-11-01 01:30 happens twice: once, the first time (EDT) */
	expect("01:30", "America/New_York", "daily", "2026-11-01T04:00:00Z",
	    "2026-11-01T05:30:00Z");
	expect("01:30", "America/New_York", "daily", "2026-11-01T05:30:00Z",
	    "2026-11-02T06:30:00Z");
	expect("01:30", "America/New_York", "daily", "2026-11-01T06:00:00Z",
	    "2026-11-02T06:30:00Z");
	/* 2027: March 14 and November 7 */
	expect("02:30", "America/New_York", "daily", "2027-03-14T05:00:00Z",
	    "2027-03-14T07:00:00Z");
	expect("01:30", "America/New_York", "daily", "2027-11-07T04:00:00Z",
	    "2027-11-07T05:30:00Z");
	expect("01:30", "America/New_York", "daily", "2027-11-07T05:30:00Z",
	    "2027-11-08T06:30:00Z");
}

static void
test_seconds(void **state)
{
	(void)state;
	expect("16:30:15", "UTC", "daily", "2026-03-06T16:30:10Z", "2026-03-06T16:30:15Z");
	expect("16:30:15", "UTC", "daily", "2026-03-06T16:30:15Z", "2026-03-07T16:30:15Z");
}

static void
test_london(void **state)
{
	(void)state;
	/* 2026-03-29 01:00 GMT -> 02:00 BST: 01:30 fires at 02:00 BST */
	expect("01:30", "Europe/London", "daily", "2026-03-29T00:00:00Z",
	    "2026-03-29T01:00:00Z");
	/* 2026-10-25 02:00 BST -> 01:00 GMT: 01:30 once, as BST */
	expect("01:30", "Europe/London", "daily", "2026-10-24T23:00:00Z",
	    "2026-10-25T00:30:00Z");
	expect("01:30", "Europe/London", "daily", "2026-10-25T00:30:00Z",
	    "2026-10-26T01:30:00Z");
	expect("01:30", "Europe/London", "daily", "2027-03-28T00:00:00Z",
	    "2027-03-28T01:00:00Z");
}

static void
test_sydney(void **state)
{
	(void)state;
	/* southern hemisphere: 2026-10-04 02:00 AEST -> 03:00 AEDT */
	expect("02:30", "Australia/Sydney", "daily", "2026-10-03T14:00:00Z",
	    "2026-10-03T16:00:00Z");
	/* 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:30 once, as AEDT */
	expect("02:30", "Australia/Sydney", "daily", "2026-04-04T13:00:00Z",
	    "2026-04-04T15:30:00Z");
	expect("02:30", "Australia/Sydney", "daily", "2026-04-04T15:30:00Z",
	    "2026-04-05T16:30:00Z");
	/* weekend only, wrapping range */
	expect("09:00", "Australia/Sydney", "sat-sun", "2026-04-06T00:00:00Z",
	    "2026-04-10T23:00:00Z");
}

static void
test_parse_errors(void **state)
{
	static const struct { const char *at, *tz, *days, *msg; } t[] = {
		{ "16:60", "UTC", "daily", "time '16:60': expected HH:MM (or HH:MM:SS) from 00:00 to 23:59" },
		{ "4:30", "UTC", "daily", "time '4:30': expected HH:MM (or HH:MM:SS) from 00:00 to 23:59" },
		{ "16:30x", "UTC", "daily", "time '16:30x': expected HH:MM (or HH:MM:SS) from 00:00 to 23:59" },
		{ "16:30", "Mars/Olympus", "daily", "time zone 'Mars/Olympus' is not in the tz database" },
		{ "16:30", "../../etc/passwd", "daily", "time zone '../../etc/passwd' is not in the tz database" },
		{ "16:30", "UTC", "weekdays", "days 'weekdays': expected daily, a range like mon-fri, or a list like mon,wed,fri (days: sun mon tue wed thu fri sat)" },
		{ "16:30", "UTC", "mon-xyz", "days 'mon-xyz': expected daily, a range like mon-fri, or a list like mon,wed,fri (days: sun mon tue wed thu fri sat)" },
	};
	struct sched_spec s;
	struct gw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(sched_parse(t[i].at, t[i].tz, t[i].days, &s, &e), -1);
		assert_string_equal(e.msg, t[i].msg);
	}
	assert_int_equal(sched_parse("16:30:60", "UTC", "daily", &s, &e), -1);
	assert_int_equal(sched_parse("16:30:", "UTC", "daily", &s, &e), -1);
	assert_int_equal(sched_parse("16:30:05", "UTC", "daily", &s, &e), 0);
	assert_int_equal(s.second, 5);
	assert_int_equal(sched_parse("16:30", "UTC", "mon,wed,fri", &s, &e), 0);
	assert_int_equal(s.days, (1u << 1) | (1u << 3) | (1u << 5));
	assert_int_equal(sched_parse("16:30", "UTC", "fri-mon", &s, &e), 0);
	assert_int_equal(s.days, (1u << 5) | (1u << 6) | (1u << 0) | (1u << 1));
}

static void
test_tz_restored(void **state)
{
	struct sched_spec s;
	struct gw_err e;
	time_t next;

	(void)state;
	setenv("TZ", "Asia/Tokyo", 1);
	assert_int_equal(sched_parse("16:30", "America/New_York", "daily", &s, &e), 0);
	assert_int_equal(sched_next(&s, utc("2026-03-06T21:29:00Z"), &next, &e), 0);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	unsetenv("TZ");
	assert_int_equal(sched_next(&s, utc("2026-03-06T21:29:00Z"), &next, &e), 0);
	assert_null(getenv("TZ"));
}

/* New York local time of an instant, as "YYYY-MM-DD HH:MM:SS offset". */
static void
expect_local(const char *tz, const char *now, const char *want, long gmtoff)
{
	struct gw_err e;
	struct tm tm;
	char got[48];

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(sched_local(tz, utc(now), &tm, &e), 0);
	strftime(got, sizeof(got), "%Y-%m-%d %H:%M:%S %a", &tm);
	assert_string_equal(got, want);
	assert_int_equal(tm.tm_gmtoff, gmtoff);
}

static void
test_local(void **state)
{
	struct gw_err e;
	struct tm tm;
	char day[16];

	(void)state;
	/* summer: EDT, UTC-4; winter: EST, UTC-5 */
	expect_local("America/New_York", "2026-07-15T16:00:00Z",
	    "2026-07-15 12:00:00 Wed", -4 * 3600);
	expect_local("America/New_York", "2026-01-15T17:00:00Z",
	    "2026-01-15 12:00:00 Thu", -5 * 3600);
	/* either side of the spring-forward instant */
	expect_local("America/New_York", "2026-03-08T06:59:59Z",
	    "2026-03-08 01:59:59 Sun", -5 * 3600);
	expect_local("America/New_York", "2026-03-08T07:00:00Z",
	    "2026-03-08 03:00:00 Sun", -4 * 3600);
	/* just after midnight UTC it is still yesterday in New York: the
	 * gameplan's date is New York's */
	assert_int_equal(sched_local("America/New_York",
	    utc("2026-12-04T00:30:00Z"), &tm, &e), 0);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	assert_string_equal(day, "2026-12-03");
	assert_int_equal(tm.tm_hour, 19);
	assert_int_equal(tm.tm_wday, 4);	/* Thursday */
	expect_local("America/New_York", "2026-12-04T05:00:00Z",
	    "2026-12-04 00:00:00 Fri", -5 * 3600);
	expect_local("UTC", "2026-12-04T00:30:00Z", "2026-12-04 00:30:00 Fri", 0);
}

static void
test_local_errors_and_tz_restored(void **state)
{
	struct gw_err e;
	struct tm tm;

	(void)state;
	assert_int_equal(sched_local("Mars/Olympus", 0, &tm, &e), -1);
	assert_string_equal(e.msg, "time zone 'Mars/Olympus' is not in the tz database");
	assert_int_equal(sched_local("../../etc/passwd", 0, &tm, &e), -1);
	assert_string_equal(e.msg, "time zone '../../etc/passwd' is not in the tz database");
	assert_int_equal(sched_local("", 0, &tm, &e), -1);
	assert_string_equal(e.msg, "time zone '' is not in the tz database");
	assert_int_equal(sched_local(NULL, 0, &tm, &e), -1);

	setenv("TZ", "Asia/Tokyo", 1);
	assert_int_equal(sched_local("America/New_York", utc("2026-07-15T16:00:00Z"),
	    &tm, &e), 0);
	assert_int_equal(tm.tm_hour, 12);
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	/* and the process's own local time is Tokyo's again */
	{
		time_t t = utc("2026-07-15T16:00:00Z");

		localtime_r(&t, &tm);
		assert_int_equal(tm.tm_hour, 1);
		assert_int_equal(tm.tm_gmtoff, 9 * 3600);
	}
	unsetenv("TZ");
	assert_int_equal(sched_local("America/New_York", 0, &tm, &e), 0);
	assert_null(getenv("TZ"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_york_weekdays),
		cmocka_unit_test(test_new_york_gap_and_repeat),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_london),
		cmocka_unit_test(test_sydney),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_tz_restored),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_local_errors_and_tz_restored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
