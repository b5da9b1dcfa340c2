/*
 * gwconn: bot-core's connection to the gateway (docs/bot-core.md
 * "GATEWAY"), on lib/tws_session:
 *
 *  - start-up: wait at API level on lib/gwretry's policy: cheap failures
 *    (unreachable, relay-closed) retried every fast_poll, costly ones after
 *    a backoff from retry_interval doubling to retry_cap; at most
 *    max_retries costly attempts (all attempts when fast_poll is 0) within
 *    startup_timeout; a gateway already up is used at once; each failed
 *    attempt reported with its verdict name (relay-closed, not-logged-in,
 *    ...) and whether it deserves a line (gwretry_report); giving up is
 *    reported once (the owner alerts and exits 1);
 *  - a validated session (nextValidId + non-empty managedAccounts);
 *  - heartbeat: reqCurrentTime every heartbeat_interval, lost when not
 *    answered within heartbeat_timeout;
 *  - notices (1100, 1101, 1102, 2110, 326, ...) passed on;
 *  - after a lost session: the first attempt after gwretry_after_loss()
 *    (fast_poll), then the same policy, and at most reconnect_max costly
 *    attempts (those that reached an API: costly failures and sessions)
 *    per reconnect_window (then it waits for the window to slide; never
 *    hammers a restarting gateway; cheap attempts never count);
 *  - market data: reqMarketDataType, then reqMktData per symbol; the
 *    latest bid/ask/last/sizes/volume per symbol; re-subscribed after
 *    every new validated session and after 1101.
 *
 * Everything arrives through one callback on the loop; nothing blocks.
 */
#ifndef BOT_GWCONN_H
#define BOT_GWCONN_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"
#include "tws_order.h"

struct event_base;
struct evdns_base;
struct gwconn;

#define GWCONN_MAX_SYMBOLS 64
/* Request ids bot-core uses (market data here, orderman's requests) are
 * at or above this; order ids stay below it, so that an error message's
 * id names one or the other, never both. */
#define GWCONN_REQ_ID_MIN 2000000000LL

struct gwconn_config {
	char host[256];
	int port;
	int client_id;
	double startup_timeout_s;	/* GATEWAY_STARTUP_TIMEOUT (300) */
	long max_retries;		/* GATEWAY_MAX_RETRIES (30) */
	double retry_interval_s;	/* GATEWAY_RETRY_INTERVAL (5) */
	double retry_cap_s;		/* 30 */
	double fast_poll_s;		/* GATEWAY_FAST_POLL (0.1); 0: off */
	double connect_timeout_s;	/* one attempt's handshake budget (5) */
	double heartbeat_interval_s;	/* HEARTBEAT_INTERVAL (10) */
	double heartbeat_timeout_s;	/* HEARTBEAT_TIMEOUT (5) */
	int market_data_type;		/* MARKET_DATA_TYPE 1..4 (3) */
	int reconnect_max;		/* attempts per window (10) */
	double reconnect_window_s;	/* (300) */
};

/* Defaults as above; host 127.0.0.1, port 4002, client id 1. */
void gwconn_config_init(struct gwconn_config *cfg);

/* The latest market snapshot of one symbol (NaN / -1 when not seen). */
struct gwconn_quote {
	const char *symbol;
	double bid, ask, last;
	long long bid_size, ask_size, last_size, volume;
	long long ts_ms;		/* wall clock of the latest tick */
};

enum gwconn_event_type {
	GWC_ATTEMPT_FAILED,	/* attempt, verdict, reason, costly, cheap,
				 * report, suppressed, outage_s; starting or
				 * reconnecting; every failed attempt */
	GWC_GAVE_UP,		/* start-up budget spent (attempt, reason):
				 * nothing more happens */
	GWC_READY,		/* a validated session (accounts, version);
				 * verdict "ready", or "upstream-down" when a
				 * 1100 came with the first messages */
	GWC_LOST,		/* the session ended (reason): EOF, error,
				 * heartbeat timeout; reconnecting follows */
	GWC_HEARTBEAT_OK,	/* a reqCurrentTime answered (rtt_ms) */
	GWC_NOTICE,		/* an error/notice message (code, text) */
	GWC_TICK,		/* quote changed */
	GWC_RECONNECT_LIMITED,	/* reconnect_max reached in the window: next
				 * attempt in delay_s */
	GWC_ORDER,		/* an order message (order): orderStatus,
				 * openOrder, execDetails, commissionReport,
				 * position, account summary and their ends */
	GWC_ORDER_BAD,		/* an order message that does not decode
				 * (code = its message id, reason): the
				 * owner can no longer trust its order view */
};

struct gwconn_event {
	enum gwconn_event_type type;
	int attempt;
	const char *verdict;	/* tws_verdict_name(): "unreachable", ... */
	const char *reason;
	int code;		/* NOTICE, ORDER_BAD */
	const char *text;	/* NOTICE */
	long long id;		/* NOTICE: the request or order id (-1: none) */
	double rtt_ms;		/* HEARTBEAT_OK */
	double delay_s;		/* ATTEMPT_FAILED (next try; -1 when giving
				 * up), LOST (first reconnect attempt),
				 * RECONNECT_LIMITED */
	/* ATTEMPT_FAILED: */
	long costly;		/* costly attempts of this outage (all of
				 * them when fast_poll is 0), this one too */
	int cheap;		/* this verdict is cheap (gwretry_is_cheap) */
	int report;		/* it deserves a line (gwretry_report; also
				 * the last one before giving up) */
	long suppressed;	/* failures not reported since the last line */
	double outage_s;	/* since the start-up or the loss began it */
	const struct gwconn_quote *quote;	/* TICK: valid during the callback */
	const struct tws_order_in *order;	/* ORDER: valid during the callback */
};

typedef void (*gwconn_cb)(struct gwconn *g, const struct gwconn_event *ev,
    void *arg);

/* Check cfg (ranges: one-line message naming the setting). */
int gwconn_config_check(const struct gwconn_config *cfg, struct gw_err *err);

struct gwconn *gwconn_new(struct event_base *base, struct evdns_base *dns,
    const struct gwconn_config *cfg, gwconn_cb cb, void *arg,
    struct gw_err *err);
/* Begin the start-up wait (the first attempt at once). */
int gwconn_start(struct gwconn *g, struct gw_err *err);
/* The symbols to stream (copied); applied now when validated, else at
 * the next validation. n at most GWCONN_MAX_SYMBOLS. */
int gwconn_subscribe(struct gwconn *g, const char *const *symbols, size_t n,
    struct gw_err *err);
/* End a validated session as if it were lost (GWC_LOST, with why as the
 * reason, then the usual reconnect); nothing when there is none. */
void gwconn_drop(struct gwconn *g, const char *why);
/* Cancel market data and close the session cleanly (shutdown). */
void gwconn_stop(struct gwconn *g);
/* May be called from its callback (the memory then goes on the next turn
 * of the loop; nothing more is reported). */
void gwconn_free(struct gwconn *g);

int gwconn_connected(const struct gwconn *g);
int gwconn_validated(const struct gwconn *g);
int gwconn_server_version(const struct gwconn *g);
const char *gwconn_accounts(const struct gwconn *g);	/* "DU1,DU2" or "" */
/* Wall-clock ms of the last proof of life (validation or heartbeat
 * answer), 0 when none. */
int64_t gwconn_last_check_ms(const struct gwconn *g);
const struct gwconn_quote *gwconn_quote(const struct gwconn *g,
    const char *symbol);

/* Send one frame encoded by tws_enc_* (orders: tws_order.h) on the
 * validated session; -1 with err when there is none or the send fails. */
int gwconn_send(struct gwconn *g, const uint8_t *frame, size_t len,
    struct gw_err *err);
/* The latest nextValidId of the current session (at validation, or the
 * answer to reqIds); -1 when none. */
long long gwconn_next_valid_id(const struct gwconn *g);

#endif
