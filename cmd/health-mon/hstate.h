/*
 * hstate: health-mon's per-component state machine (docs/health-mon.md
 * "STATE AND ALERTS"), pure: the owner feeds each check's observed status
 * with the time; hstate decides the component's status with
 * consecutive-result thresholds and which alert, if any, to raise. It
 * also saves and loads the components' state (a small JSON file, written
 * atomically) so a restart of health-mon neither repeats an alert nor
 * loses the start of an outage.
 */
#ifndef HM_HSTATE_H
#define HM_HSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"

#define HS_NAME_MAX 31
#define HS_REASON_MAX 255

enum hs_status {
	HS_UNKNOWN,		/* no verdict yet */
	HS_HEALTHY,
	HS_DEGRADED,
	HS_UNHEALTHY,
};

struct hs_config {
	int fail_threshold;	/* unhealthy after this many failures (2) */
	int ok_threshold;	/* healthy after this many successes (1) */
	double reminder_s;	/* a reminder while still unhealthy (1800) */
	double cooldown_s;	/* per component: at most max_alerts alerts in
				 * any cooldown_s window (300) */
	int max_alerts;		/* (4) */
};

struct hs_component {
	char name[HS_NAME_MAX + 1];
	enum hs_status status;
	int fails, oks;			/* consecutive results */
	int64_t since_ms;		/* wall ms the current status began */
	int64_t down_since_ms;		/* wall ms the outage began; 0: none */
	int64_t last_alert_ms;		/* 0: never */
	int64_t last_reminder_ms;	/* 0: never */
	int64_t window_start_ms;	/* the cooldown window's start */
	int alerts_in_window;
	unsigned long suppressed;	/* alerts held back by the cooldown */
	char reason[HS_REASON_MAX + 1];	/* the last non-healthy reason */
};

enum hs_alert {
	HS_ALERT_NONE,
	HS_ALERT_DEGRADED,	/* warning */
	HS_ALERT_UNHEALTHY,	/* error or critical (the owner's choice) */
	HS_ALERT_RECOVERED,	/* info, with the downtime */
	HS_ALERT_REMINDER,	/* still unhealthy */
};

/* Defaults as above. */
void hs_config_init(struct hs_config *cfg);

/* A fresh component: unknown since now_ms. */
void hs_init(struct hs_component *c, const char *name, int64_t now_ms);

/*
 * One check's result at now_ms: observed is HS_HEALTHY, HS_DEGRADED or
 * HS_UNHEALTHY (a failure), with a reason (may be NULL). Returns the alert
 * to raise now (HS_ALERT_NONE when nothing changed, or when the cooldown
 * holds it back: counted in suppressed); *downtime_ms gets the outage's
 * length for HS_ALERT_RECOVERED (from down_since_ms, also across a
 * restart of health-mon).
 */
enum hs_alert hs_observe(struct hs_component *c, const struct hs_config *cfg,
    enum hs_status observed, const char *reason, int64_t now_ms,
    int64_t *downtime_ms);

/* Between checks: HS_ALERT_REMINDER when unhealthy for reminder_s since
 * the last alert or reminder, else HS_ALERT_NONE. */
enum hs_alert hs_tick(struct hs_component *c, const struct hs_config *cfg,
    int64_t now_ms);

const char *hs_status_name(enum hs_status s);	/* "healthy", ... */

/* Save the components to path atomically (a temporary file, fsync,
 * rename); 0 or -1 with err. */
int hs_save(const char *path, const struct hs_component *c, size_t n,
    struct gw_err *err);

/* Load path into the components of the same names (others untouched);
 * a missing file is 0 with nothing loaded; a damaged one is -1 with err
 * (the owner starts fresh and logs it). */
int hs_load(const char *path, struct hs_component *c, size_t n,
    struct gw_err *err);

#endif
