/*
 * hstate: health-mon's per-component state machine (docs/health-mon.md
 * "STATE AND ALERTS"), pure: the owner feeds each check's observed status
 * with the time; hstate decides the component's status with
 * consecutive-result thresholds and which alert, if any, to raise. It
 * also saves and loads the components' state (a small JSON file, written
 * atomically) so a restart of health-mon neither repeats an alert nor
 * loses the start of an outage.
 *
 * Status (the owner passes wall-clock ms; 0 means "none" in the fields):
 * - A failure is an UNHEALTHY observation; fail_threshold consecutive
 *   failures make the component UNHEALTHY. A DEGRADED observation is not
 *   a failure: it does not count toward fail_threshold and it breaks a run
 *   of failures (fails is reset), so "slow, then slow" never adds up to
 *   an outage.
 * - A DEGRADED observation makes the component DEGRADED at once, unless it
 *   is UNHEALTHY: a degraded reading does not hide an outage, nor end it
 *   (only healthy results end it). It also resets oks.
 * - ok_threshold consecutive HEALTHY observations make a DEGRADED or
 *   UNHEALTHY component HEALTHY.
 * - UNKNOWN (a fresh component): the first healthy or degraded result
 *   decides at once (ok_threshold does not apply to the first verdict);
 *   failures still need fail_threshold in a row, and until then the
 *   component stays UNKNOWN (a single failure at start is no verdict).
 *   Below fail_threshold a failure leaves any status as it is.
 * - down_since_ms is set when the status first leaves HEALTHY or UNKNOWN
 *   for DEGRADED or UNHEALTHY (the time of the verdict, not of the first
 *   failing check), kept while it goes DEGRADED -> UNHEALTHY, and cleared
 *   on recovery; the downtime of a recovery is now - down_since_ms.
 * - reason: set on entering DEGRADED or UNHEALTHY and refreshed by each
 *   observation of the current status; kept after recovery (the last
 *   non-healthy reason). A degraded reading while UNHEALTHY does not
 *   replace the outage's reason.
 * - Thresholds below 1 act as 1.
 *
 * Alerts, only on transitions: -> DEGRADED: HS_ALERT_DEGRADED;
 * -> UNHEALTHY: HS_ALERT_UNHEALTHY; DEGRADED or UNHEALTHY -> HEALTHY:
 * HS_ALERT_RECOVERED; UNKNOWN -> HEALTHY: none. While UNHEALTHY, hs_tick
 * gives HS_ALERT_REMINDER every reminder_s after the last alert (<= 0: no
 * reminders).
 *
 * Cooldown (per component): a fixed window of cooldown_s starts at the
 * first alert sent when no window is running; at most max_alerts alerts
 * are sent in it (so at most 2 * max_alerts in any cooldown_s span, where
 * a window's end meets the next's start). cooldown_s <= 0: no limit;
 * max_alerts below 2 acts as 2. Announcements are paired with their
 * recovery:
 * - An outage is "announced" once any alert was sent after it began
 *   (last_alert_ms >= down_since_ms); the current status is announced
 *   when last_alert_ms >= since_ms. Both are derived from the saved
 *   fields, so they survive a restart.
 * - One slot of the window is reserved for the recovery of an announced
 *   outage: DEGRADED, UNHEALTHY and REMINDER are sent only if the window
 *   still has room for two alerts; the RECOVERED of an announced outage is
 *   always sent (it uses the reserved slot). So people are never left
 *   believing a recovered component is down.
 * - An alert held back is counted in suppressed once. A recovery from an
 *   outage that was never announced is not sent either (nobody was told
 *   it was down) and is counted too.
 * - A DEGRADED or UNHEALTHY status held back stays pending: hs_tick
 *   announces it (HS_ALERT_DEGRADED or HS_ALERT_UNHEALTHY) once a window
 *   has room, if the component is still in that status. A reminder due
 *   while the window is full waits the same way (not counted again).
 * Example, a gateway failing and answering on alternate checks with
 * fail_threshold 1, ok_threshold 1, cooldown 300 s, max_alerts 4: per
 * window, UNHEALTHY, RECOVERED, UNHEALTHY, RECOVERED, then nothing until
 * the window ends; if it is unhealthy then, hs_tick announces it.
 *
 * Quiet (the owner sets quiet while a restart is known to be under way,
 * docs/health-mon.md "QUIET RESTARTS"): transitions happen as always
 * (thresholds, since_ms, down_since_ms, reason), and hs_observe returns
 * the alert the transition would raise, but it is not recorded: no
 * cooldown slot, last_alert_ms unchanged, not counted in suppressed. The
 * owner logs it without sending it. The status is then not announced,
 * so once quiet is cleared hs_tick announces it at once (cooldown
 * permitting) if the component is still in it: no extra wait. A recovery
 * from an outage that was never announced gives no alert (as above), and
 * while quiet it is not counted in suppressed either; the recovery of an
 * outage announced before the restart is sent as always. hs_tick gives
 * nothing while quiet (no late announcement, no reminder). quiet is not
 * saved in the state file: an unannounced status there is announced after
 * a restart of health-mon unless the owner sets quiet first.
 *
 * Wall-clock steps: a window that would start in the future (the clock
 * went back) restarts at now; a step back delays a reminder.
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
	int quiet;			/* set by the owner: see "Quiet" */
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
 * restart of health-mon), else 0; downtime_ms may be NULL. An observed
 * HS_UNKNOWN (no result) changes nothing.
 */
enum hs_alert hs_observe(struct hs_component *c, const struct hs_config *cfg,
    enum hs_status observed, const char *reason, int64_t now_ms,
    int64_t *downtime_ms);

/* Between checks (the owner calls it after each check and on a timer,
 * e.g. every few seconds; time-driven alerts come only from here):
 * HS_ALERT_DEGRADED or HS_ALERT_UNHEALTHY when the current status was
 * held back by the cooldown and a window now has room for it;
 * HS_ALERT_REMINDER when unhealthy for reminder_s since the last alert or
 * reminder; else HS_ALERT_NONE. Never counts in suppressed. */
enum hs_alert hs_tick(struct hs_component *c, const struct hs_config *cfg,
    int64_t now_ms);

const char *hs_status_name(enum hs_status s);	/* "healthy", ... */

/* Save the components to path atomically: path.tmp is written (mode
 * 0600), fsync'ed and renamed over path, then path's directory is
 * fsync'ed; a leftover path.tmp from a crash is simply overwritten. The
 * file is {"version":1,"components":{NAME:{"status","since_ms",
 * "down_since_ms","last_alert_ms","last_reminder_ms","window_start_ms",
 * "alerts_in_window","reason"}}} (fails, oks and suppressed are not
 * saved; a reason that is not UTF-8 is saved with '?' for every byte
 * outside printable ASCII). Blocks on the disk. 0, or -1 with err; path then holds the old
 * or the new state whole, never a mix. */
int hs_save(const char *path, const struct hs_component *c, size_t n,
    struct gw_err *err);

/* Load path into the components of the same names (others untouched,
 * names in the file without a component ignored); a loaded component's
 * fails and oks restart at 0, suppressed is kept. A missing file is 0
 * with nothing loaded; a damaged one (not JSON, over 1 MiB, a key
 * missing, unknown or of the wrong type, a bad status, a negative time,
 * a name or reason too long, down_since_ms 0 while degraded or unhealthy
 * or nonzero otherwise) is -1 with err naming the path and the key, and
 * nothing is loaded (the owner starts fresh and logs it). Every entry is
 * validated, also those of unknown names. Blocks on the disk. */
int hs_load(const char *path, struct hs_component *c, size_t n,
    struct gw_err *err);

#endif
