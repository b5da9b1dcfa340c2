/* Unit tests for health-mon's hstate: the thresholds, each alert kind, the
 * reminder, the cooldown against a flapping gateway (an exact count), a
 * recovery never sent for an unannounced outage, and the state file: the
 * round trip, a restart in the middle of an outage, each damaged-file
 * class with its message, and the atomic write; quiet (a restart
 * stack-init sent): held, announced once over, no lone recovery. Time is
 * passed in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hstate.h"

#define T0 INT64_C(1700000000000)	/* a wall-clock ms */
#define S(x) ((int64_t)(x) * 1000)	/* seconds to ms */

static struct hs_config
cfg_default(void)
{
	struct hs_config cfg;

	hs_config_init(&cfg);
	return cfg;
}

static enum hs_alert
obs(struct hs_component *c, const struct hs_config *cfg, enum hs_status s,
    int64_t t)
{
	int64_t down = -1;
	enum hs_alert a;

	a = hs_observe(c, cfg, s, s == HS_HEALTHY ? NULL : "boom", t, &down);
	if (a != HS_ALERT_RECOVERED)
		assert_int_equal(down, 0);
	return a;
}

static void
test_defaults(void **state)
{
	struct hs_config cfg = cfg_default();

	(void)state;
	assert_int_equal(cfg.fail_threshold, 2);
	assert_int_equal(cfg.ok_threshold, 1);
	assert_true(cfg.reminder_s == 1800);
	assert_true(cfg.cooldown_s == 300);
	assert_int_equal(cfg.max_alerts, 4);
	assert_string_equal(hs_status_name(HS_UNKNOWN), "unknown");
	assert_string_equal(hs_status_name(HS_HEALTHY), "healthy");
	assert_string_equal(hs_status_name(HS_DEGRADED), "degraded");
	assert_string_equal(hs_status_name(HS_UNHEALTHY), "unhealthy");
	assert_string_equal(hs_status_name((enum hs_status)42), "unknown");
}

/* 2 failures -> unhealthy, 1 success -> healthy, with the downtime. */
static void
test_thresholds(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;
	int64_t down = -1;

	(void)state;
	hs_init(&c, "gateway", T0);
	assert_string_equal(c.name, "gateway");
	assert_int_equal(c.status, HS_UNKNOWN);
	assert_true(c.since_ms == T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(60)),
	    HS_ALERT_NONE);
	assert_int_equal(c.status, HS_HEALTHY);
	/* One failure is not an outage, and a success ends the run. */
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(120)),
	    HS_ALERT_NONE);
	assert_int_equal(c.status, HS_HEALTHY);
	assert_int_equal(c.fails, 1);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(180)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(240)),
	    HS_ALERT_NONE);
	assert_int_equal(c.status, HS_HEALTHY);
	/* The second in a row is. */
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(300)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(c.status, HS_UNHEALTHY);
	assert_true(c.since_ms == T0 + S(300));
	assert_true(c.down_since_ms == T0 + S(300));
	assert_string_equal(c.reason, "boom");
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(360)),
	    HS_ALERT_NONE);
	assert_int_equal(hs_observe(&c, &cfg, HS_HEALTHY, NULL, T0 + S(420),
	    &down), HS_ALERT_RECOVERED);
	assert_true(down == S(120));
	assert_int_equal(c.status, HS_HEALTHY);
	assert_true(c.down_since_ms == 0);
	assert_string_equal(c.reason, "boom");	/* the last non-healthy one */
	assert_int_equal(c.suppressed, 0);
	/* An observed UNKNOWN is no result. */
	assert_int_equal(obs(&c, &cfg, HS_UNKNOWN, T0 + S(480)),
	    HS_ALERT_NONE);
	assert_int_equal(c.status, HS_HEALTHY);
}

static void
test_ok_threshold(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	cfg.ok_threshold = 3;
	hs_init(&c, "bot", T0);
	/* The first verdict decides at once, without an alert. */
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + 1), HS_ALERT_NONE);
	assert_int_equal(c.status, HS_HEALTHY);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + 2), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + 3),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + 4), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + 5), HS_ALERT_NONE);
	assert_int_equal(c.status, HS_UNHEALTHY);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + 6),
	    HS_ALERT_RECOVERED);
	assert_int_equal(c.status, HS_HEALTHY);
}

/* From UNKNOWN: failures still need the threshold; until then UNKNOWN. */
static void
test_start(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	hs_init(&c, "init", T0);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(1)),
	    HS_ALERT_NONE);
	assert_int_equal(c.status, HS_UNKNOWN);
	assert_true(c.since_ms == T0);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2)),
	    HS_ALERT_UNHEALTHY);
	assert_true(c.down_since_ms == T0 + S(2));

	/* Degraded at start is announced. */
	hs_init(&c, "host", T0);
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(1)),
	    HS_ALERT_DEGRADED);
	assert_int_equal(c.status, HS_DEGRADED);

	/* A lone failure at start, then success: healthy, silent. */
	hs_init(&c, "notifier", T0);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(1)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(2)), HS_ALERT_NONE);
	assert_int_equal(c.status, HS_HEALTHY);
	assert_true(c.last_alert_ms == 0);
}

static void
test_degraded_and_back(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;
	int64_t down = -1;

	(void)state;
	hs_init(&c, "host", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(1)), HS_ALERT_NONE);
	assert_int_equal(hs_observe(&c, &cfg, HS_DEGRADED, "load 3.1", T0 +
	    S(10), &down), HS_ALERT_DEGRADED);
	assert_int_equal(c.status, HS_DEGRADED);
	assert_true(c.down_since_ms == T0 + S(10));
	assert_int_equal(hs_observe(&c, &cfg, HS_DEGRADED, "load 3.5", T0 +
	    S(20), &down), HS_ALERT_NONE);
	assert_string_equal(c.reason, "load 3.5");
	assert_int_equal(hs_observe(&c, &cfg, HS_HEALTHY, NULL, T0 + S(70),
	    &down), HS_ALERT_RECOVERED);
	assert_true(down == S(60));
	assert_int_equal(c.status, HS_HEALTHY);
}

/* Degraded readings are not failures, and do not hide or end an outage. */
static void
test_degraded_vs_unhealthy(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;
	int64_t down = -1;

	(void)state;
	hs_init(&c, "gateway", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(1)), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(3)),
	    HS_ALERT_DEGRADED);
	assert_int_equal(c.fails, 0);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(4)),
	    HS_ALERT_NONE);
	assert_int_equal(c.status, HS_DEGRADED);
	assert_int_equal(hs_observe(&c, &cfg, HS_UNHEALTHY, "refused", T0 +
	    S(5), &down), HS_ALERT_UNHEALTHY);
	assert_int_equal(c.status, HS_UNHEALTHY);
	assert_true(c.since_ms == T0 + S(5));
	assert_true(c.down_since_ms == T0 + S(3));	/* left healthy then */
	assert_string_equal(c.reason, "refused");
	/* A degraded reading keeps the outage and its reason. */
	assert_int_equal(hs_observe(&c, &cfg, HS_DEGRADED, "slow", T0 + S(6),
	    &down), HS_ALERT_NONE);
	assert_int_equal(c.status, HS_UNHEALTHY);
	assert_string_equal(c.reason, "refused");
	assert_int_equal(hs_observe(&c, &cfg, HS_HEALTHY, NULL, T0 + S(9),
	    &down), HS_ALERT_RECOVERED);
	assert_true(down == S(6));
}

static void
test_reminder(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	hs_init(&c, "gateway", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(10000)), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(60)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(120)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(120)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(1920) - 1), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(1920)), HS_ALERT_REMINDER);
	assert_true(c.last_reminder_ms == T0 + S(1920));
	assert_true(c.last_alert_ms == T0 + S(1920));
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(1921)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(3720)), HS_ALERT_REMINDER);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(3800)),
	    HS_ALERT_RECOVERED);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(9000)), HS_ALERT_NONE);

	/* No reminder for a degraded component, nor with reminder_s 0. */
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(9000)),
	    HS_ALERT_DEGRADED);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(20000)), HS_ALERT_NONE);
	cfg.reminder_s = 0;
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(20001)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(20002)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(90000)), HS_ALERT_NONE);
}

/*
 * The flapping gateway: fail_threshold 1, a check every 10 s answered and
 * failed alternately for 100 checks (1000 s), hs_tick after each as the
 * owner does, cooldown 300 s, max 4. Windows start at the first alert of
 * checks 1, 31, 61 and 91 (t = 10, 310, 610, 910 s); each sends UNHEALTHY,
 * RECOVERED, UNHEALTHY, RECOVERED: 16 alerts, 83 held back. Check 99 is a
 * failure: the outage is announced when the last window ends (1210 s).
 */
static void
test_flapping(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;
	enum hs_alert a, last = HS_ALERT_NONE;
	int64_t t, down;
	int k, sent = 0;

	(void)state;
	cfg.fail_threshold = 1;
	hs_init(&c, "gateway", T0);
	for (k = 0; k < 100; k++) {
		t = T0 + S(10 * k);
		down = -1;
		a = hs_observe(&c, &cfg, k % 2 ? HS_UNHEALTHY : HS_HEALTHY,
		    "flap", t, &down);
		assert_int_equal(c.status, k % 2 ? HS_UNHEALTHY : HS_HEALTHY);
		if (a != HS_ALERT_NONE) {
			sent++;
			/* Strict pairs: never a recovery without its outage. */
			if (a == HS_ALERT_RECOVERED) {
				assert_int_equal(last, HS_ALERT_UNHEALTHY);
				assert_true(down == S(10));
			} else {
				assert_int_equal(a, HS_ALERT_UNHEALTHY);
				assert_true(last != HS_ALERT_UNHEALTHY);
			}
			last = a;
		}
		assert_int_equal(hs_tick(&c, &cfg, t), HS_ALERT_NONE);
		/* Never more than max_alerts within one window. */
		assert_true(c.alerts_in_window <= cfg.max_alerts);
	}
	assert_int_equal(sent, 16);
	assert_int_equal(c.suppressed, 83);
	assert_int_equal(c.status, HS_UNHEALTHY);
	assert_int_equal(last, HS_ALERT_RECOVERED);
	/* Still down when the last window (910 s) ends: announced once. */
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(1209)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(1210)), HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(1211)), HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 83);	/* ticks never count */
	/* Its recovery is sent, with the downtime from check 99. */
	down = -1;
	assert_int_equal(hs_observe(&c, &cfg, HS_HEALTHY, NULL, T0 + S(1300),
	    &down), HS_ALERT_RECOVERED);
	assert_true(down == S(1300 - 990));
}

/* A recovery from an outage held back by the cooldown is not sent. */
static void
test_no_lone_recovery(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	cfg.fail_threshold = 1;
	cfg.max_alerts = 2;
	hs_init(&c, "gateway", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(1)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(2)),
	    HS_ALERT_RECOVERED);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 1);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(4)), HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 2);
	assert_int_equal(c.status, HS_HEALTHY);
	/* Healthy at the window's end: nothing to announce. */
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(400)), HS_ALERT_NONE);

	/* A degraded flap held back, still degraded after the window. */
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(401)),
	    HS_ALERT_DEGRADED);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(402)),
	    HS_ALERT_RECOVERED);
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(403)),
	    HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(700)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(701)), HS_ALERT_DEGRADED);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(702)),
	    HS_ALERT_RECOVERED);
}

/* One slot stays reserved for the recovery of an announced outage: a
 * reminder waits rather than take it. */
static void
test_recovery_reserved(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	cfg.reminder_s = 10;
	hs_init(&c, "gateway", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(1)),
	    HS_ALERT_DEGRADED);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(13)), HS_ALERT_REMINDER);
	assert_int_equal(c.alerts_in_window, 3);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(23)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(33)), HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(40)),
	    HS_ALERT_RECOVERED);
	assert_int_equal(c.alerts_in_window, 4);
	/* A new outage in the full window waits for the next one. */
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(41)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(42)),
	    HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 1);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(300)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(301)), HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(311)), HS_ALERT_REMINDER);
}

/* With 3 alerts in the window, a new outage is held back: announced, it
 * would leave no slot for its recovery. */
static void
test_no_room_for_recovery(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	hs_init(&c, "host", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(1)),
	    HS_ALERT_DEGRADED);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(4)),
	    HS_ALERT_RECOVERED);
	assert_int_equal(c.alerts_in_window, 3);
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(5)),
	    HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 1);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(6)), HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 2);
	assert_int_equal(c.alerts_in_window, 3);
}

static void
test_cooldown_off(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;
	int k, sent = 0;

	(void)state;
	cfg.fail_threshold = 1;
	cfg.cooldown_s = 0;
	hs_init(&c, "gateway", T0);
	for (k = 0; k < 100; k++)
		sent += obs(&c, &cfg, k % 2 ? HS_UNHEALTHY : HS_HEALTHY,
		    T0 + S(k)) != HS_ALERT_NONE;
	assert_int_equal(sent, 99);
	assert_int_equal(c.suppressed, 0);
}

/* ---- the state file ---- */

struct dir {
	char path[64];
	char file[96];
};

static void
dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/test_hstate.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->file, sizeof(d->file), "%s/health-mon.state", d->path);
}

static void
dir_free(struct dir *d)
{
	char tmp[128];

	unlink(d->file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->file);
	unlink(tmp);
	assert_int_equal(rmdir(d->path), 0);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
assert_same_saved(const struct hs_component *a, const struct hs_component *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->status, b->status);
	assert_true(a->since_ms == b->since_ms);
	assert_true(a->down_since_ms == b->down_since_ms);
	assert_true(a->last_alert_ms == b->last_alert_ms);
	assert_true(a->last_reminder_ms == b->last_reminder_ms);
	assert_true(a->window_start_ms == b->window_start_ms);
	assert_int_equal(a->alerts_in_window, b->alerts_in_window);
	assert_string_equal(a->reason, b->reason);
}

static void
test_round_trip(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component a[4], b[5];
	struct gw_err e;
	struct dir d;
	int i;

	(void)state;
	dir_make(&d);
	hs_init(&a[0], "gateway", T0);
	hs_init(&a[1], "bot", T0);
	hs_init(&a[2], "host", T0);
	hs_init(&a[3], "init", T0);
	obs(&a[0], &cfg, HS_UNHEALTHY, T0 + 1);
	assert_int_equal(hs_observe(&a[0], &cfg, HS_UNHEALTHY,
	    "relay up, gateway down \"quoted\" \xc3\xa9", T0 + 2, NULL),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_tick(&a[0], &cfg, T0 + 2 + S(1800)),
	    HS_ALERT_REMINDER);
	obs(&a[1], &cfg, HS_HEALTHY, T0 + 3);
	obs(&a[2], &cfg, HS_DEGRADED, T0 + 4);
	/* Not UTF-8 (a command's output): saved with '?' for what is not
	 * printable ASCII. */
	assert_int_equal(hs_observe(&a[2], &cfg, HS_DEGRADED, "caf\xe9 \xc3\xa9",
	    T0 + 5, NULL), HS_ALERT_NONE);
	/* a[3] stays unknown. */
	assert_int_equal(hs_save(d.file, a, 4, &e), 0);
	/* The other way round, one more component, not in the file. */
	hs_init(&b[0], "init", T0 + S(5000));
	hs_init(&b[1], "host", T0 + S(5000));
	hs_init(&b[2], "bot", T0 + S(5000));
	hs_init(&b[3], "gateway", T0 + S(5000));
	hs_init(&b[4], "command", T0 + S(5000));
	b[3].fails = 7;
	b[3].suppressed = 9;
	assert_int_equal(hs_load(d.file, b, 5, &e), 0);
	assert_string_equal(b[1].reason, "caf? ??");
	snprintf(a[2].reason, sizeof(a[2].reason), "caf? ??");
	for (i = 0; i < 4; i++)
		assert_same_saved(&b[3 - i], &a[i]);
	assert_string_equal(b[3].reason,
	    "relay up, gateway down \"quoted\" \xc3\xa9");
	assert_int_equal(b[3].fails, 0);
	assert_int_equal(b[3].suppressed, 9);	/* not in the file: kept */
	assert_int_equal(b[4].status, HS_UNKNOWN);
	assert_true(b[4].since_ms == T0 + S(5000));
	/* Saving no components gives an empty, loadable file. */
	assert_int_equal(hs_save(d.file, NULL, 0, &e), 0);
	assert_int_equal(hs_load(d.file, b, 5, &e), 0);
	assert_int_equal(b[3].status, HS_UNHEALTHY);
	dir_free(&d);
}

/* A restart in the middle of an announced outage: no second alert, the
 * reminder keeps its rhythm, the downtime counts from the real start. */
static void
test_restart(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component a, b;
	struct gw_err e;
	struct dir d;
	int64_t down = -1;

	(void)state;
	dir_make(&d);
	hs_init(&a, "gateway", T0);
	obs(&a, &cfg, HS_HEALTHY, T0 + S(60));
	obs(&a, &cfg, HS_UNHEALTHY, T0 + S(120));
	assert_int_equal(obs(&a, &cfg, HS_UNHEALTHY, T0 + S(180)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_save(d.file, &a, 1, &e), 0);

	/* health-mon restarts 10 minutes later. */
	hs_init(&b, "gateway", T0 + S(780));
	assert_int_equal(hs_load(d.file, &b, 1, &e), 0);
	assert_int_equal(b.status, HS_UNHEALTHY);
	assert_int_equal(hs_tick(&b, &cfg, T0 + S(780)), HS_ALERT_NONE);
	assert_int_equal(obs(&b, &cfg, HS_UNHEALTHY, T0 + S(780)),
	    HS_ALERT_NONE);
	assert_int_equal(obs(&b, &cfg, HS_UNHEALTHY, T0 + S(840)),
	    HS_ALERT_NONE);
	assert_int_equal(hs_tick(&b, &cfg, T0 + S(840)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&b, &cfg, T0 + S(1980) - 1), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&b, &cfg, T0 + S(1980)), HS_ALERT_REMINDER);
	assert_int_equal(hs_observe(&b, &cfg, HS_HEALTHY, NULL, T0 + S(2000),
	    &down), HS_ALERT_RECOVERED);
	assert_true(down == S(2000 - 180));

	/* Restarted during an outage the cooldown held back: announced once
	 * the saved window ends. */
	cfg.fail_threshold = 1;
	cfg.max_alerts = 2;
	hs_init(&a, "gateway", T0);
	obs(&a, &cfg, HS_HEALTHY, T0);
	assert_int_equal(obs(&a, &cfg, HS_UNHEALTHY, T0 + S(1)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(obs(&a, &cfg, HS_HEALTHY, T0 + S(2)),
	    HS_ALERT_RECOVERED);
	assert_int_equal(obs(&a, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_NONE);
	assert_int_equal(hs_save(d.file, &a, 1, &e), 0);
	hs_init(&b, "gateway", T0 + S(10));
	assert_int_equal(hs_load(d.file, &b, 1, &e), 0);
	assert_int_equal(hs_tick(&b, &cfg, T0 + S(100)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&b, &cfg, T0 + S(301)), HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_observe(&b, &cfg, HS_HEALTHY, NULL, T0 + S(400),
	    &down), HS_ALERT_RECOVERED);
	assert_true(down == S(397));
	dir_free(&d);
}

static void
test_missing_file(void **state)
{
	struct hs_component c;
	struct gw_err e;

	(void)state;
	hs_init(&c, "gateway", T0);
	e.msg[0] = '\0';
	assert_int_equal(hs_load("/nonexistent-dir/health-mon.state", &c, 1,
	    &e), 0);
	assert_string_equal(e.msg, "");
	assert_int_equal(c.status, HS_UNKNOWN);
}

#define GOOD_ENTRY "{\"status\":\"unhealthy\",\"since_ms\":5," \
	"\"down_since_ms\":4,\"last_alert_ms\":5,\"last_reminder_ms\":0," \
	"\"window_start_ms\":5,\"alerts_in_window\":1,\"reason\":\"x\"}"
#define FILE_OF(entry) "{\"version\":1,\"components\":{\"gateway\":" \
	entry "}}"

/* Each malformed class: -1, its message, the components untouched. */
static void
test_damaged(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "", "line 1 column 0: '[' or '{' expected near end of "
		    "file" },
		{ "{\"version\":1,", "line 1 column 13: string or '}' "
		    "expected near end of file" },
		{ "[1]", "expected an object, got an array" },
		{ "{\"version\":1,\"components\":{},\"x\":1}",
		    "unknown key 'x'" },
		{ "{\"version\":1,\"version\":1,\"components\":{}}",
		    "line 1 column 22: duplicate object key near "
		    "'\"version\"'" },
		{ "{\"components\":{}}", "version: missing" },
		{ "{\"version\":\"1\",\"components\":{}}",
		    "version: expected an integer, got a string" },
		{ "{\"version\":2,\"components\":{}}",
		    "version: 2 is not supported (1 is)" },
		{ "{\"version\":1}", "components: missing" },
		{ "{\"version\":1,\"components\":[]}",
		    "components: expected an object, got an array" },
		{ "{\"version\":1,\"components\":{\"a23456789012345678901234"
		    "567890123\":" GOOD_ENTRY "}}", "components: name "
		    "'a23456789012345678901234567890123' is empty or longer "
		    "than 31 bytes" },
		{ "{\"version\":1,\"components\":{\"\":" GOOD_ENTRY "}}",
		    "components: name '' is empty or longer than 31 bytes" },
		{ FILE_OF("null"),
		    "components.gateway: expected an object, got null" },
		{ FILE_OF("{\"status\":\"healthy\",\"extra\":1}"),
		    "components.gateway: unknown key 'extra'" },
		{ FILE_OF("{\"since_ms\":1}"),
		    "components.gateway.status: missing" },
		{ FILE_OF("{\"status\":3}"), "components.gateway.status: "
		    "expected a string, got an integer" },
		{ FILE_OF("{\"status\":\"sick\"}"),
		    "components.gateway.status: unknown status 'sick'" },
		{ FILE_OF("{\"status\":\"healthy\"}"),
		    "components.gateway.since_ms: missing" },
		{ FILE_OF("{\"status\":\"healthy\",\"since_ms\":1.5}"),
		    "components.gateway.since_ms: expected an integer, got a "
		    "real number" },
		{ FILE_OF("{\"status\":\"healthy\",\"since_ms\":-1}"),
		    "components.gateway.since_ms: out of range (-1)" },
		{ FILE_OF("{\"status\":\"healthy\",\"since_ms\":1,"
		    "\"down_since_ms\":0,\"last_alert_ms\":0,"
		    "\"last_reminder_ms\":0,\"window_start_ms\":0,"
		    "\"alerts_in_window\":2147483648,\"reason\":\"\"}"),
		    "components.gateway.alerts_in_window: out of range "
		    "(2147483648)" },
		{ FILE_OF("{\"status\":\"healthy\",\"since_ms\":1,"
		    "\"down_since_ms\":0,\"last_alert_ms\":0,"
		    "\"last_reminder_ms\":0,\"window_start_ms\":0,"
		    "\"alerts_in_window\":0}"),
		    "components.gateway.reason: missing" },
		{ FILE_OF("{\"status\":\"healthy\",\"since_ms\":1,"
		    "\"down_since_ms\":0,\"last_alert_ms\":0,"
		    "\"last_reminder_ms\":0,\"window_start_ms\":0,"
		    "\"alerts_in_window\":0,\"reason\":[]}"),
		    "components.gateway.reason: expected a string, got an "
		    "array" },
		{ FILE_OF("{\"status\":\"healthy\",\"since_ms\":1,"
		    "\"down_since_ms\":0,\"last_alert_ms\":0,"
		    "\"last_reminder_ms\":0,\"window_start_ms\":0,"
		    "\"alerts_in_window\":0,\"reason\":\"a\\u0000b\"}"),
		    "line 1 column 187: \\u0000 is not allowed without "
		    "JSON_ALLOW_NUL near '\"a\\u0000b\"'" },
		{ FILE_OF("{\"status\":\"unhealthy\",\"since_ms\":1,"
		    "\"down_since_ms\":0,\"last_alert_ms\":0,"
		    "\"last_reminder_ms\":0,\"window_start_ms\":0,"
		    "\"alerts_in_window\":0,\"reason\":\"\"}"),
		    "components.gateway.down_since_ms: 0 while unhealthy" },
		{ FILE_OF("{\"status\":\"healthy\",\"since_ms\":1,"
		    "\"down_since_ms\":1,\"last_alert_ms\":0,"
		    "\"last_reminder_ms\":0,\"window_start_ms\":0,"
		    "\"alerts_in_window\":0,\"reason\":\"\"}"),
		    "components.gateway.down_since_ms: set while healthy" },
		/* An entry of a name nobody asked for is still checked. */
		{ "{\"version\":1,\"components\":{\"gateway\":" GOOD_ENTRY
		    ",\"old\\u0001\":{\"status\":\"fine\"}}}",
		    "components.old?.status: unknown status 'fine'" },
	};
	struct hs_component c[2], before[2];
	struct gw_err e;
	char want[512], *big;
	struct dir d;
	size_t i;

	(void)state;
	dir_make(&d);
	hs_init(&c[0], "gateway", T0);
	hs_init(&c[1], "old\x01", T0);
	memcpy(before, c, sizeof(c));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(d.file, cases[i].text);
		e.msg[0] = '\0';
		assert_int_equal(hs_load(d.file, c, 2, &e), -1);
		snprintf(want, sizeof(want), "%s: %s", d.file, cases[i].msg);
		assert_string_equal(e.msg, want);
		assert_memory_equal(c, before, sizeof(c));
	}
	/* A reason too long. */
	big = malloc(2 * 1024 * 1024);
	assert_non_null(big);
	snprintf(big, 1024, FILE_OF("{\"status\":\"healthy\",\"since_ms\":1,"
	    "\"down_since_ms\":0,\"last_alert_ms\":0,\"last_reminder_ms\":0,"
	    "\"window_start_ms\":0,\"alerts_in_window\":0,\"reason\":\"%0256d"
	    "\"}"), 0);
	write_text(d.file, big);
	assert_int_equal(hs_load(d.file, c, 2, &e), -1);
	snprintf(want, sizeof(want), "%s: components.gateway.reason: longer "
	    "than 255 bytes", d.file);
	assert_string_equal(e.msg, want);
	/* Over 1 MiB: refused before parsing. */
	memset(big, ' ', 2 * 1024 * 1024 - 1);
	big[2 * 1024 * 1024 - 1] = '\0';
	big[0] = '{';
	write_text(d.file, big);
	assert_int_equal(hs_load(d.file, c, 2, &e), -1);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", d.file);
	assert_string_equal(e.msg, want);
	free(big);
	assert_memory_equal(c, before, sizeof(c));
	/* The good entry alone loads. */
	write_text(d.file, FILE_OF(GOOD_ENTRY));
	assert_int_equal(hs_load(d.file, c, 2, &e), 0);
	assert_int_equal(c[0].status, HS_UNHEALTHY);
	assert_true(c[0].down_since_ms == 4);
	assert_string_equal(c[0].reason, "x");
	/* Unreadable (a directory). */
	assert_int_equal(hs_load(d.path, c, 2, &e), -1);
	snprintf(want, sizeof(want), "%s: Is a directory", d.path);
	assert_string_equal(e.msg, want);
	dir_free(&d);
}

/* The write goes through path.tmp and a rename: a leftover .tmp from a
 * crash neither stops a save nor is ever read. */
static void
test_atomic(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component a, b;
	struct gw_err e;
	char tmp[128], want[256];
	struct stat st;
	struct dir d;

	(void)state;
	dir_make(&d);
	snprintf(tmp, sizeof(tmp), "%s.tmp", d.file);
	hs_init(&a, "gateway", T0);
	obs(&a, &cfg, HS_UNHEALTHY, T0 + 1);
	obs(&a, &cfg, HS_UNHEALTHY, T0 + 2);
	/* A crash left half a file behind. */
	write_text(tmp, "{\"version\":1,\"compo");
	assert_int_equal(hs_save(d.file, &a, 1, &e), 0);
	assert_int_equal(stat(tmp, &st), -1);
	assert_int_equal(stat(d.file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Another leftover beside a good file is not read. */
	write_text(tmp, "garbage");
	hs_init(&b, "gateway", T0 + 5);
	assert_int_equal(hs_load(d.file, &b, 1, &e), 0);
	assert_same_saved(&b, &a);
	/* A failed save leaves the old file whole. */
	assert_int_equal(unlink(tmp), 0);
	assert_int_equal(mkdir(tmp, 0700), 0);	/* path.tmp cannot be opened */
	obs(&a, &cfg, HS_HEALTHY, T0 + 3);
	assert_int_equal(hs_save(d.file, &a, 1, &e), -1);
	snprintf(want, sizeof(want), "%s: Is a directory", tmp);
	assert_string_equal(e.msg, want);
	assert_int_equal(rmdir(tmp), 0);
	hs_init(&b, "gateway", T0 + 5);
	assert_int_equal(hs_load(d.file, &b, 1, &e), 0);
	assert_int_equal(b.status, HS_UNHEALTHY);
	/* No such directory. */
	assert_int_equal(hs_save("/nonexistent-dir/x.state", &a, 1, &e), -1);
	assert_string_equal(e.msg,
	    "/nonexistent-dir/x.state.tmp: No such file or directory");
	dir_free(&d);
}

/* Quiet: a restart's outage is held (the transition happens, nothing is
 * recorded) and recovers without a "recovered"; nothing in suppressed. */
static void
test_quiet_restart(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	hs_init(&c, "gateway", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(1)), HS_ALERT_NONE);
	c.quiet = 1;
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2)), HS_ALERT_NONE);
	/* the alert it would raise, for the owner to log at info */
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(c.status, HS_UNHEALTHY);
	assert_true(c.down_since_ms == T0 + S(3));
	assert_true(c.last_alert_ms == 0);
	assert_int_equal(c.alerts_in_window, 0);
	/* no late announcement, no reminder while quiet */
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(4)), HS_ALERT_NONE);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(100000)), HS_ALERT_NONE);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(5)), HS_ALERT_NONE);
	assert_int_equal(c.status, HS_HEALTHY);
	assert_true(c.down_since_ms == 0);
	assert_int_equal(c.suppressed, 0);
	c.quiet = 0;
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(6)), HS_ALERT_NONE);
	/* degraded while quiet: held the same way */
	c.quiet = 1;
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(7)),
	    HS_ALERT_DEGRADED);
	assert_int_equal(c.status, HS_DEGRADED);
	assert_true(c.last_alert_ms == 0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(8)), HS_ALERT_NONE);
	assert_int_equal(c.suppressed, 0);
}

/* Still bad when quiet ends (failed, not ready, grace over): announced at
 * the next tick, no further check needed; its recovery is sent. */
static void
test_quiet_then_alert(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;
	int64_t down = -1;

	(void)state;
	hs_init(&c, "gateway", T0);
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(1)), HS_ALERT_NONE);
	c.quiet = 1;
	obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2));
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_UNHEALTHY);
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(4)), HS_ALERT_NONE);
	c.quiet = 0;
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(5)), HS_ALERT_UNHEALTHY);
	assert_true(c.last_alert_ms == T0 + S(5));
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(6)), HS_ALERT_NONE);
	assert_int_equal(hs_observe(&c, &cfg, HS_HEALTHY, NULL, T0 + S(9),
	    &down), HS_ALERT_RECOVERED);
	assert_true(down == S(6));	/* from the verdict at T0+3 */
	assert_int_equal(c.suppressed, 0);
}

/* An outage announced before the restart began: its recovery is sent even
 * while quiet (people were told it was down); a degraded bot turning
 * unhealthy while quiet is announced when quiet ends. */
static void
test_quiet_announced_before(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c;

	(void)state;
	hs_init(&c, "gateway", T0);
	obs(&c, &cfg, HS_HEALTHY, T0 + S(1));
	obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2));
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_UNHEALTHY);
	c.quiet = 1;
	assert_int_equal(obs(&c, &cfg, HS_HEALTHY, T0 + S(4)),
	    HS_ALERT_RECOVERED);

	hs_init(&c, "bot", T0);
	assert_int_equal(obs(&c, &cfg, HS_DEGRADED, T0 + S(1)),
	    HS_ALERT_DEGRADED);
	c.quiet = 1;
	obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2));
	assert_int_equal(obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3)),
	    HS_ALERT_UNHEALTHY);
	assert_true(c.last_alert_ms == T0 + S(1));
	assert_true(c.down_since_ms == T0 + S(1));	/* the outage's start */
	c.quiet = 0;
	assert_int_equal(hs_tick(&c, &cfg, T0 + S(4)), HS_ALERT_UNHEALTHY);
}

/* A held status survives a restart of health-mon unannounced: announced
 * after it unless the owner sets quiet first. */
static void
test_quiet_saved(void **state)
{
	struct hs_config cfg = cfg_default();
	struct hs_component c, d;
	char path[] = "/tmp/test_hstate_quiet_XXXXXX";
	struct gw_err e;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	hs_init(&c, "gateway", T0);
	obs(&c, &cfg, HS_HEALTHY, T0 + S(1));
	c.quiet = 1;
	obs(&c, &cfg, HS_UNHEALTHY, T0 + S(2));
	obs(&c, &cfg, HS_UNHEALTHY, T0 + S(3));
	assert_int_equal(hs_save(path, &c, 1, &e), 0);
	hs_init(&d, "gateway", T0 + S(4));
	d.quiet = 1;
	assert_int_equal(hs_load(path, &d, 1, &e), 0);
	assert_int_equal(d.status, HS_UNHEALTHY);
	assert_int_equal(d.quiet, 1);		/* the owner's, kept */
	assert_int_equal(hs_tick(&d, &cfg, T0 + S(5)), HS_ALERT_NONE);
	d.quiet = 0;
	assert_int_equal(hs_tick(&d, &cfg, T0 + S(6)), HS_ALERT_UNHEALTHY);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_quiet_restart),
		cmocka_unit_test(test_quiet_then_alert),
		cmocka_unit_test(test_quiet_announced_before),
		cmocka_unit_test(test_quiet_saved),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_ok_threshold),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_degraded_and_back),
		cmocka_unit_test(test_degraded_vs_unhealthy),
		cmocka_unit_test(test_reminder),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_no_lone_recovery),
		cmocka_unit_test(test_recovery_reserved),
		cmocka_unit_test(test_no_room_for_recovery),
		cmocka_unit_test(test_cooldown_off),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
