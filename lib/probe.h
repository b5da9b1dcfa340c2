/*
 * probe: one API-level readiness attempt against a gateway, built on
 * tws_session: the verdict, why, and what was seen (server version,
 * accounts, notices, per-stage timings). Optionally one reqCurrentTime
 * round trip (heartbeat) on a ready session. Used by gw-probe and
 * health-mon. Never blocks: the result arrives through a callback.
 */
#ifndef GW_PROBE_H
#define GW_PROBE_H

#include <jansson.h>

#include "tws_session.h"

struct probe;

struct probe_config {
	struct tws_session_config session;
	int heartbeat;			/* 1: reqCurrentTime round trip */
	int heartbeat_timeout_ms;
};

struct probe_result {
	enum tws_verdict verdict;
	char reason[256];		/* "" when ready */
	char host[256];
	int port;
	int client_id;
	int server_version;		/* 0 when not reached */
	char connection_time[TWS_SERVER_VERSION_TIME_LEN];
	char accounts[512];		/* comma-separated, normalised */
	long long next_valid_id;
	int have_next_valid_id;
	long long current_time;		/* heartbeat reply; 0 when none */
	struct tws_notice notices[TWS_MAX_NOTICES];
	size_t n_notices;
	struct tws_session_timings tm;
	double heartbeat_ms;		/* round trip; < 0 when not done */
	double total_ms;
	long long bytes_received;	/* from the gateway, this attempt */
};

typedef void (*probe_done_cb)(struct probe *p, const struct probe_result *r,
    void *arg);

/* The callback runs once per probe_start(); it may start the probe again
 * but must not free it. r is valid until the next probe_start(). */
struct probe *probe_new(struct event_base *base, struct evdns_base *dns,
    const struct probe_config *cfg, probe_done_cb cb, void *arg,
    struct gw_err *err);
/* Start one attempt. budget_ms > 0 caps the whole attempt (every stage and
 * the heartbeat) below the configured total, e.g. to what a retry budget
 * leaves; 0 keeps the configured total. */
int probe_start(struct probe *p, int budget_ms, struct gw_err *err);
void probe_free(struct probe *p);

/* Documented exit codes: ready 0, unreachable 10, relay-closed 11,
 * handshake-timeout 12, not-logged-in 13, client-id-in-use 14,
 * upstream-down 15, not-api 16. */
int probe_exit_code(enum tws_verdict v);

/* One JSON object (new reference) with every field of the result. */
json_t *probe_result_json(const struct probe_result *r);
/* The one human line: "ready 127.0.0.1:4004 server=176 accounts=DU1234567
 * in 2.1 ms" or "relay-closed 127.0.0.1:4004 in 0.4 ms: <reason>". */
void probe_result_line(const struct probe_result *r, char *buf, size_t sz);

#endif
