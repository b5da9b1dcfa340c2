/*
 * sim: a TWS API gateway simulator with scriptable faults (docs/gw-sim.md).
 * One opaque object on a libevent base: the API listener and its client
 * sessions, the synthetic market data, the faults, and the control socket.
 * Nothing here blocks, exits or prints; events go to the gw_log.
 */
#ifndef GW_SIM_H
#define GW_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"
#include "log.h"
#include "sim_ctl.h"

struct event_base;
struct sim;

#define SIM_DEFAULT_PORT 4002
#define SIM_DEFAULT_BIND "127.0.0.1"
#define SIM_DEFAULT_MAX_VERSION 176
#define SIM_MIN_MAX_VERSION 100
#define SIM_MAX_MAX_VERSION 200		/* above: protobuf framing (protocol.md §3.3) */
#define SIM_DEFAULT_ACCOUNTS "DU1234567"
#define SIM_DEFAULT_TICK_MS 250
#define SIM_MIN_TICK_MS 10
#define SIM_MAX_TICK_MS 60000
#define SIM_DEFAULT_SLOW_MS 1000	/* --fault slow without --slow-ms */
#define SIM_MAX_LOGIN_DELAY 86400
#define SIM_MAX_SLOW_MS 600000
#define SIM_MAX_CLIENT_IDS 64
#define SIM_MAX_SESSIONS 256		/* simultaneous API connections */
#define SIM_MAX_SUBSCRIPTIONS 100	/* market-data lines per session */
#define SIM_MAX_CONTROL_CLIENTS 64
#define SIM_CONTROL_LINE_MAX SIM_CTL_LINE_MAX
#define SIM_CONTROL_OUTPUT_MAX (64 * 1024) /* unread replies: stop reading */
#define SIM_DEFAULT_PAPER_CASH 1000000.0
#define SIM_DEFAULT_COMMISSION 0.005	/* per share */
#define SIM_MAX_AMOUNT 1e12		/* --paper-cash, at most */
#define SIM_MAX_SHARES 1e9		/* --partial-above, fill-parts (broker.h) */
#define SIM_MAX_COMMISSION 1e6		/* --commission-per-share (broker.h) */
#define SIM_ACCOUNT_MAX 31		/* the first account's bytes (broker.h) */

enum sim_fault {
	SIM_FAULT_NONE,
	SIM_FAULT_RELAY_DEAD,		/* accept, close at once */
	SIM_FAULT_WEDGED,		/* accept, read and discard, never answer */
	SIM_FAULT_NOT_LOGGED_IN,	/* server version, nothing after startApi */
	SIM_FAULT_SLOW,			/* every reply delayed by slow_ms */
};

struct sim_config {
	char bind_addr[64];		/* numeric IPv4 or IPv6 */
	int port;			/* 1..65535 */
	int max_version;		/* SIM_MIN_MAX_VERSION..SIM_MAX_MAX_VERSION */
	int login_delay;		/* seconds the API port stays closed */
	enum sim_fault fault;
	int slow_ms;
	int client_ids_in_use[SIM_MAX_CLIENT_IDS];
	size_t n_client_ids;
	char accounts[256];		/* managedAccounts text */
	uint64_t seed;
	int tick_ms;
	char control_path[128];		/* "" for no control socket */
	double paper_cash;		/* the paper account's starting cash */
	double partial_above;		/* orders above fill in parts; 0 never */
	double commission_per_share;	/* >= 0 */
};

/* Defaults: 127.0.0.1:4002, version 176, no fault, DU1234567, seed 1,
 * paper cash 1000000, no partial fills, commission 0.005 per share. */
void sim_config_init(struct sim_config *cfg);

/*
 * Check every value of cfg and normalise it: a positive slow_ms with fault
 * none selects SIM_FAULT_SLOW, and SIM_FAULT_SLOW with slow_ms 0 gets
 * SIM_DEFAULT_SLOW_MS. Returns 0, or -1 with one line naming the flag
 * ("--port: '0' is not an integer in 1..65535") in err. This is the one
 * place that validates a configuration; gw-sim's main only parses syntax.
 */
int sim_config_check(struct sim_config *cfg, struct gw_err *err);

/* "none", "relay-dead", "wedged", "not-logged-in", "slow". */
const char *sim_fault_name(enum sim_fault fault);
int sim_fault_parse(const char *s, enum sim_fault *out, struct gw_err *err);

/* A decimal amount ("1000000", "0.005", "1e6") into out: finite, no
 * trailing text; -1 with "NAME: 'S' is not a number" in err. Ranges are
 * sim_config_check's (or the caller's). */
int sim_parse_amount(const char *name, const char *s, double *out,
    struct gw_err *err);

/* The first non-empty account of cfg->accounts (the paper broker's) into
 * out (size > 0; none when size is 0); returns its length, 0 when the list
 * has none (a gateway not logged in: the broker then books on
 * SIM_NO_ACCOUNT). */
size_t sim_first_account(const struct sim_config *cfg, char *out,
    size_t size);
#define SIM_NO_ACCOUNT "DU0000000"

/* "5,6,7" (or "" for none) into ids; -1 with the reason in err. */
int sim_parse_client_ids(const char *s, int ids[SIM_MAX_CLIENT_IDS],
    size_t *n, struct gw_err *err);

/*
 * Create a simulator on base. cfg is checked (sim_config_check) and copied;
 * log is borrowed and must outlive the sim. Nothing is opened until
 * sim_start. NULL on failure, with the reason in err.
 */
struct sim *sim_new(struct event_base *base, const struct sim_config *cfg,
    struct gw_log *log, struct gw_err *err);

/*
 * Open the control socket (when configured), log sim.started, then listen
 * on the API port, now or after the login delay. -1 when called twice, or
 * when the control socket or an immediate listen fails. A listen that fails
 * later (after a delay or a restart) breaks the event loop; sim_failed
 * reports it. Does not block.
 */
int sim_start(struct sim *sim, struct gw_err *err);

/* Run-time switches (also reachable through the control socket); -1 with
 * the reason in err for a value out of range. Leaving the slow fault sends
 * the replies it holds back at once, in order (under wedged they are
 * dropped instead). */
int sim_set_fault(struct sim *sim, enum sim_fault fault, struct gw_err *err);
int sim_set_slow_ms(struct sim *sim, int ms, struct gw_err *err);
int sim_set_login_delay(struct sim *sim, int seconds, struct gw_err *err);
int sim_set_client_ids(struct sim *sim, const int *ids, size_t n,
    struct gw_err *err);

/* The paper broker's faults (docs/gw-sim.md "Orders"): reject (201 +
 * Inactive) or swallow (no answer) the next n placeOrders; delay the fills
 * of orders placed from now on by n quotes; fill orders placed from now on
 * in parts of size (0: the --partial-above rule). -1 with err for a size
 * that is negative or not finite. */
void sim_order_reject(struct sim *sim, unsigned n);
void sim_order_swallow(struct sim *sim, unsigned n);
/* Answer the next n reqExecutions with nothing (a reconciliation that
 * never ends). */
void sim_exec_swallow(struct sim *sim, unsigned n);
void sim_fill_delay(struct sim *sim, unsigned n);
int sim_fill_parts(struct sim *sim, double size, struct gw_err *err);

/* Drop every API client, close the listener, wait the login delay, listen
 * again (the daily gateway restart). */
int sim_restart(struct sim *sim, struct gw_err *err);

/* code 1100: upstream lost (sent to every ready session, and to sessions
 * that become ready while lost); 1101 or 1102: restored (data lost /
 * maintained). Anything else is an error. */
int sim_upstream(struct sim *sim, int code, struct gw_err *err);

/* 0 while healthy; -1 with the reason after a fatal error in the loop
 * (the API port could not be bound after a delay or a restart). */
int sim_failed(const struct sim *sim, struct gw_err *err);

/* Close every connection and socket, log sim.stopped. Idempotent and
 * NULL-safe; does nothing (logs nothing) for a sim never started. */
void sim_stop(struct sim *sim);

/* sim_stop, then free. NULL-safe. */
void sim_free(struct sim *sim);

#endif
