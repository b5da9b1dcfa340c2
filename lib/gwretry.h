/*
 * gwretry: when to try the gateway again after a failed attempt, and when a
 * failed attempt is worth a line (docs/architecture.md "Retry policy").
 *
 * Not every failure costs the gateway the same. A refused connect (the
 * port is closed while the gateway restarts and logs in; also no route or
 * no such host) and the socat relay's accept-then-close create no API
 * session: these cheap verdicts (unreachable, relay-closed) are retried
 * every fast_s. Every other verdict means a handshake reached something
 * (not-logged-in, handshake-timeout, client-id-in-use, upstream-down,
 * not-api): those costly ones wait a backoff that starts at initial_s and
 * doubles to cap_s. The backoff carries on across cheap failures in between
 * (a gateway that alternates never gets more handshakes than the backoff
 * allows) and starts over only with gwretry_reset (a validated session).
 * fast_s == 0 turns fast polling off: every failure backs off (the policy
 * gwkit had before).
 *
 * Pure arithmetic over the caller's clock readings; no I/O, no state
 * outside the struct.
 */
#ifndef GW_GWRETRY_H
#define GW_GWRETRY_H

#include <stdint.h>

#include "backoff.h"
#include "gw_err.h"
#include "tws_session.h"

#define GWRETRY_FAST_DEFAULT 0.1	/* GATEWAY_FAST_POLL when unset */
#define GWRETRY_FAST_MIN 0.05		/* a relay forks at most 20 times a second */
#define GWRETRY_FAST_MAX 60.0
#define GWRETRY_REPORT_EVERY_MS 5000	/* repeated cheap failures: one line per */

struct gwretry_policy {
	double fast_s;		/* 0 (off) or GWRETRY_FAST_MIN..MAX */
	double initial_s;	/* first costly delay (GATEWAY_RETRY_INTERVAL) */
	double cap_s;		/* largest costly delay */
};

struct gwretry {
	struct gwretry_policy p;
	struct backoff bo;
	long cheap;		/* cheap failures since the last reset */
	long costly;		/* costly failures since the last reset */
	/* reporting (gwretry_report) */
	int have_reported;
	enum tws_verdict last_reported;
	int64_t last_report_ms;
	long suppressed;	/* failures not reported since the last line */
};

void gwretry_init(struct gwretry *r, const struct gwretry_policy *p);

/* 1 for unreachable and relay-closed (no API session was created). */
int gwretry_is_cheap(enum tws_verdict v);

/* Count a failed attempt with verdict v and return the delay before the
 * next one: fast_s for a cheap verdict (when fast polling is on), else the
 * next backoff step. */
double gwretry_next(struct gwretry *r, enum tws_verdict v);

/* The delay before the first attempt after a validated session was lost:
 * none when fast polling is on (a frozen follower thawed after its
 * gateway's restart finds the gateway already back; a restart still under
 * way refuses it, cheaply), else the next backoff step. */
double gwretry_after_loss(struct gwretry *r);

/* A validated session: the counters and the backoff start over. */
void gwretry_reset(struct gwretry *r);

/* Whether the failure just counted deserves its own line: every costly
 * one, the first one, every change of verdict, and otherwise one cheap
 * failure per GWRETRY_REPORT_EVERY_MS (now_ms: a clock_mono_ms reading).
 * *suppressed (may be NULL) gets how many failures went unreported before
 * this one; the count starts over when 1 is returned. */
int gwretry_report(struct gwretry *r, enum tws_verdict v, int64_t now_ms,
    long *suppressed);

/* The fast-poll interval from text: "0" (off) or GWRETRY_FAST_MIN..MAX
 * seconds. The error names `name` (a flag or GATEWAY_FAST_POLL). */
int gwretry_parse_fast(const char *name, const char *s, double *out,
    struct gw_err *err);
/* The same from the environment variable var; unset or empty gives def. */
int gwretry_env_fast(const char *var, double def, double *out,
    struct gw_err *err);

#endif
