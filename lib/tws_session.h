/*
 * tws_session: one TWS API client session on a libevent base.
 *
 *   resolve -> connect -> hello -> server version -> startApi ->
 *   ready (nextValidId + non-empty managedAccounts) -> ... -> closed
 *
 * Each stage has its own deadline. Every failure before ready is classified
 * as a verdict (why the gateway is not usable); after ready, a lost session
 * is reported once. Connectivity notices (1100/1101/1102, 2104..., 326) are
 * tracked. gw-probe, bot-core and health-mon all drive the gateway through
 * this module. Bytes from the gateway are untrusted.
 */
#ifndef TWS_SESSION_H
#define TWS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"
#include "tws_wire.h"

struct event_base;
struct evdns_base;
struct tws_session;

#define TWS_CLIENT_MIN_VERSION 100
#define TWS_CLIENT_MAX_VERSION 176	/* text protocol (protocol.md §3.3) */
#define TWS_MAX_NOTICES 32
#define TWS_MAX_FRAME_BEFORE_READY 65536	/* cap on untrusted peers */

enum tws_verdict {
	TWS_READY,
	TWS_UNREACHABLE,
	TWS_RELAY_CLOSED,
	TWS_HANDSHAKE_TIMEOUT,
	TWS_NOT_LOGGED_IN,
	TWS_CLIENT_ID_IN_USE,
	TWS_UPSTREAM_DOWN,
	TWS_NOT_API,		/* bytes that are not the TWS API (SSH, HTTP...) */
	TWS_VERDICT_COUNT
};

/* "ready", "unreachable", ... (the names gw-probe's JSON carries). */
const char *tws_verdict_name(enum tws_verdict v);

struct tws_session_config {
	const char *host;		/* name or address; copied */
	int port;
	int client_id;
	int min_version;		/* 0: TWS_CLIENT_MIN_VERSION */
	int max_version;		/* 0: TWS_CLIENT_MAX_VERSION */
	const char *connect_options;	/* NULL: none */
	int connect_timeout_ms;		/* resolve + TCP connect */
	int version_timeout_ms;		/* connected -> server version */
	int ready_timeout_ms;		/* server version -> ready */
	int total_timeout_ms;		/* 0: none; caps every stage deadline */
};

enum tws_session_event_type {
	TWS_EV_READY,		/* validated: handshake + 9 + non-empty 15 */
	TWS_EV_FAILED,		/* before ready; verdict and reason set */
	TWS_EV_LOST,		/* after ready: EOF, error or bad bytes; reason set */
	TWS_EV_NOTICE,		/* an error/notice message (4); msg set */
	TWS_EV_MESSAGE,		/* any other decoded message; msg set */
};

struct tws_session_event {
	enum tws_session_event_type type;
	enum tws_verdict verdict;
	const char *reason;
	const struct tws_in_msg *msg;	/* valid during the callback only */
	/* NOTICE and MESSAGE: the frame's fields, for decoders of messages
	 * tws_wire does not interpret (tws_order_decode_in); valid during the
	 * callback only. NULL for the other events. */
	const struct tws_fields *fields;
};

/* The callback may call tws_session_close() (not _free) on the session. */
typedef void (*tws_session_cb)(struct tws_session *s,
    const struct tws_session_event *ev, void *arg);

struct tws_notice {
	long long req_id;
	int code;
	char text[160];
};

struct tws_session_timings {
	double connect_ms;	/* each from start; < 0 when not reached */
	double version_ms;
	double ready_ms;
};

/* Check a configuration without creating anything (for -n). */
int tws_session_config_check(const struct tws_session_config *cfg,
    struct gw_err *err);

/* Create a session (not started); it dials through lib/dialer. dns may be
 * NULL: a resolver is made when the host is not a numeric address. A
 * borrowed dns base must outlive the session: after tws_session_free (or
 * close), turn the loop once, so that a cancelled lookup's callback can run,
 * before evdns_base_free(dns, 1) (dialer.h). Returns NULL with err on bad
 * config. */
struct tws_session *tws_session_new(struct event_base *base,
    struct evdns_base *dns, const struct tws_session_config *cfg,
    tws_session_cb cb, void *arg, struct gw_err *err);

/* Replace the total deadline (ms, 0 = none) for the next start, e.g. to
 * fit an attempt into what a retry budget leaves. */
void tws_session_set_total_timeout(struct tws_session *s, int ms);

/* Begin connecting. Non-blocking; the outcome arrives through the callback,
 * always from the loop (never inside this call). May be called again after
 * a FAILED/LOST event or close to reconnect. Returns -1 with err only when a
 * timer cannot be armed (no callback then). */
int tws_session_start(struct tws_session *s, struct gw_err *err);

/* Send one already-encoded frame (from tws_enc_*). Only when ready. */
int tws_session_send(struct tws_session *s, const uint8_t *frame, size_t len,
    struct gw_err *err);
/* Encode and send reqCurrentTime. */
int tws_session_req_current_time(struct tws_session *s, struct gw_err *err);

/* Write what is queued for the peer now, as far as the socket takes it
 * without blocking (e.g. cancelMktData before a clean close). */
void tws_session_flush(struct tws_session *s);

/* Drop the connection and cancel timers; no callback follows. */
void tws_session_close(struct tws_session *s);
void tws_session_free(struct tws_session *s);

/* Inspection (valid after the matching stage). */
int tws_session_is_ready(const struct tws_session *s);
int tws_session_server_version(const struct tws_session *s);
const char *tws_session_connection_time(const struct tws_session *s);
/* The account list as sent, normalised: printable, entries trimmed of
 * blanks, empty entries dropped ("DU1,DU2"; "" when none). */
const char *tws_session_accounts(const struct tws_session *s);
long long tws_session_next_valid_id(const struct tws_session *s);
int tws_session_have_next_valid_id(const struct tws_session *s);
/* Bytes received from the peer since the last start (all stages). */
long long tws_session_bytes_received(const struct tws_session *s);
/* 1 while the last connectivity notice was 1100 (upstream lost). */
int tws_session_upstream_lost(const struct tws_session *s);
/* READY, or UPSTREAM_DOWN when ready but the last connectivity code is 1100. */
enum tws_verdict tws_session_ready_verdict(const struct tws_session *s);
size_t tws_session_notices(const struct tws_session *s,
    const struct tws_notice **out);
void tws_session_timings(const struct tws_session *s,
    struct tws_session_timings *t);
/* Milliseconds since tws_session_start (monotonic). */
double tws_session_elapsed_ms(const struct tws_session *s);

#endif
