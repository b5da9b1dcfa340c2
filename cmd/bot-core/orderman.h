/*
 * orderman: bot-core's order manager, the glue between an accepted order
 * intent and the gateway (docs/bot-core.md, "The order path"). It owns the
 * journal (journal.h) and the order book (ordbook.h) and runs on the
 * libevent loop (the ack deadline and the reconciliation deadline are its
 * timers). It does not own the gateway connection: the owner (bot.c) hands
 * it the session's life cycle (orderman_session_ready / _lost), the
 * gateway's decoded order messages (orderman_on_message) and error
 * messages (orderman_on_error), and gives it a send hook for the frames it
 * encodes (tws_order.h).
 *
 * The promises:
 *  - No order is sent unless the book has been reconciled with the
 *    gateway on the current session, and its place record is durable in
 *    the journal (journal_append returned 0) first.
 *  - An order id is never used twice (next id = max(nextValidId, highest
 *    id in the journal + 1)); an intent id is never placed twice, on any
 *    day the journal remembers.
 *  - An order whose send failed, or which got no answer, is never sent
 *    again: it stays open (pending-submit / unknown) until reconciliation
 *    settles it.
 *  - Every change of the book is journaled before the change hook sees
 *    it. A journal append that fails calls the failed hook (Strategy C)
 *    and orderman refuses every later order until bot-core restarts.
 *
 * The gateway's messages are untrusted: the book checks them; a
 * malformed one is refused with a one-line reason and changes nothing.
 * Hooks are called from orderman's functions and timers; they may call
 * orderman_place / _cancel_all (a change is delivered after the book has
 * finished its update) but must not free the orderman.
 */
#ifndef BOT_ORDERMAN_H
#define BOT_ORDERMAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "gw_err.h"
#include "journal.h"
#include "ordbook.h"
#include "tws_order.h"

struct event_base;

#define ORDERMAN_CLOSEOUT_DEFAULT (15 * 60 + 59)	/* 15:59 New York */
/* Request ids: above every order id and above gwconn's market-data ids
 * (gwconn.h GWCONN_REQ_ID_MIN), below 2^31. */
#define ORDERMAN_EXEC_REQ_ID 2140000001LL	/* reqExecutions: base + session */
#define ORDERMAN_SUMMARY_REQ_ID 2141000001LL	/* reqAccountSummary: the same */
#define ORDERMAN_SUMMARY_TAGS "NetLiquidation,RealizedPnL,UnrealizedPnL"

struct orderman_config {
	char journal_path[4096];
	double ack_timeout_s;		/* placeOrder unanswered -> unknown (5) */
	double recon_timeout_s;		/* reconciliation deadline (30) */
	int closeout_min;		/* New York minute of the day's
					 * close-out; -1: none (15:59) */
	int adopt_positions;		/* first reconciliation adopts the
					 * gateway's positions (ordbook) */
	unsigned max_orders_per_s;	/* placements per second (5) */
	unsigned max_orders;		/* per book (ordbook's; 0: its default) */
	int client_id;			/* ours, recorded with each order:
					 * order ids are per client */
};

/* The defaults above; journal_path "". */
void orderman_config_init(struct orderman_config *cfg);

struct orderman_hooks {
	/* Send one frame on the validated session: 0, or -1 with err. */
	int (*send)(void *arg, const uint8_t *frame, size_t len,
	    struct gw_err *err);
	/* A change of the book (state, fill, commission), already journaled.
	 * May be NULL. */
	void (*change)(void *arg, const struct ordbook_change *c);
	/* A reconciliation ended (r->ok or not). May be NULL. */
	void (*reconciled)(void *arg, const struct ordbook_recon *r);
	/* Something the order path cannot live with (a journal append that
	 * failed, reconciliation timed out or refused, a send that failed
	 * during reconciliation): one line, for Strategy C and an alert.
	 * May be NULL. */
	void (*failed)(void *arg, const char *why);
	/* Clocks, for tests; NULL: clock_mono_ms / clock_wall_ms. */
	int64_t (*mono_ms)(void *arg);
	int64_t (*wall_ms)(void *arg);
	void *arg;
};

/* What opening the journal found. */
struct orderman_open_info {
	struct journal_open_info journal;
	unsigned long records;		/* replayed */
	unsigned orders;		/* in the book (today's and older open) */
	unsigned open;			/* of them in an open state */
	unsigned old_settled;		/* orders of earlier days left out */
	unsigned long intents;		/* intent ids the journal remembers */
	long long max_order_id;		/* highest order id in it (0: none) */
};

/* One order intent (strategy-protocol's, accepted by the risk gate).
 * Plain stock order, SMART/USD, tif DAY. */
struct orderman_intent {
	char id[ORDBOOK_ID_MAX + 1];		/* 1..64 printable ASCII */
	char symbol[ORDBOOK_SYMBOL_MAX + 1];	/* 1..31 printable ASCII */
	int side;				/* enum tws_action */
	double qty;				/* > 0, finite */
	int type;				/* enum tws_order_type */
	double lmt;				/* LMT: > 0, finite */
};

enum orderman_state {
	ORDERMAN_OFFLINE,	/* no session: orders frozen */
	ORDERMAN_RECONCILING,	/* requests sent, answers being collected */
	ORDERMAN_READY,		/* reconciled on this session: orders go */
	ORDERMAN_PROBLEM,	/* reconciled with problems: no orders until
				 * orderman_resume */
	ORDERMAN_FAILED,	/* reconciliation failed on this session */
};

/* "offline", "reconciling", "ready", "problem", "failed". */
const char *orderman_state_name(enum orderman_state s);

struct orderman;

/*
 * Open (create) and lock the journal, replay it into a new book: every
 * order placed today, and orders of earlier days without a final record
 * (they stay open until reconciliation settles them); intents and order
 * ids of every day are remembered. Nothing is sent. hooks is copied;
 * hooks->send is required. info may be NULL. Blocks on disk I/O. NULL
 * with err (naming the journal's path and line) when the journal cannot
 * be opened or replayed: bot-core must not trade then.
 */
struct orderman *orderman_new(struct event_base *base,
    const struct orderman_config *cfg, const struct orderman_hooks *hooks,
    struct orderman_open_info *info, struct gw_err *err);

/* Close the journal, free the book and timers; NULL-safe. Not from a
 * hook. */
void orderman_free(struct orderman *om);

/*
 * A validated session began: server_version, its nextValidId, the order
 * account. Starts reconciliation: reqAllOpenOrders, reqExecutions (all
 * since midnight), reqPositions, reqAccountSummary (the three tags
 * above), then collects the answers up to openOrderEnd, execDetailsEnd of
 * its request and positionEnd, within recon_timeout_s (else the failed
 * hook and state FAILED). Then ordbook_reconcile, a reconciled record
 * (and final records for the orders it settled) in the journal, the
 * reconciled hook, and state READY (or PROBLEM). 0, or -1 with err when
 * a request cannot be encoded or sent (state FAILED, the failed hook is
 * not called: the caller has the reason).
 */
int orderman_session_ready(struct orderman *om, int server_version,
    long long next_valid_id, const char *account, struct gw_err *err);

/* The session ended: a reconciliation under way is abandoned; state
 * OFFLINE (nothing is sent until the next orderman_session_ready). */
void orderman_session_lost(struct orderman *om);

/*
 * One decoded order message of the gateway (the owner's GWC_ORDER).
 * While reconciling, the answers are collected; otherwise each is applied
 * to the book, every change journaled and then passed to the change hook.
 * 0, or -1 with a one-line reason for a message the book refuses
 * (nothing changed; the owner logs it).
 */
int orderman_on_message(struct orderman *om, const struct tws_order_in *m,
    struct gw_err *err);

/* An error message whose id may be an order id (code decides). */
void orderman_on_error(struct orderman *om, long long id, int code,
    const char *text);

/*
 * Place one intent on account. Refused (-1, err, nothing sent, nothing
 * journaled) when: not READY ("not reconciled"), the journal failed
 * before ("journal failed: ..."), more than max_orders_per_s in the last
 * second ("rate"), the intent id is in the journal or book already
 * ("duplicate intent"), a bad field, the book is full. Otherwise: the
 * order (orderRef "gwk:"+id, DAY, transmit) is encoded, its place record
 * appended (fdatasync), only then sent, and entered in the book with its
 * ack deadline. *order_id (may be NULL) gets the id, or 0 when nothing
 * was journaled. A failed journal append: -1, the failed hook, nothing
 * sent. A failed send after the journal write: -1 with err, *order_id
 * set: the order stays pending for reconciliation, never re-sent.
 */
int orderman_place(struct orderman *om, const struct orderman_intent *in,
    const char *account, long long *order_id, struct gw_err *err);

/* reqGlobalCancel (every open order of the account, DAY and GTC, ends
 * Cancelled as the gateway reports it; the changes come as usual). Needs
 * a session (any state but OFFLINE). 0, or -1 with err. why is kept for
 * the status. */
int orderman_cancel_all(struct orderman *om, const char *why,
    struct gw_err *err);

/*
 * orderman_cancel_all, then one MKT order per non-zero position of the
 * book closing it, intent "flatten-<symbol>-<n>" (n: the order id it
 * gets), placed as orderman_place does (READY needed; the rate limit
 * does not apply to them). *placed (may be NULL) counts the orders sent.
 * 0, or -1 with the first reason (the other positions are still tried).
 */
int orderman_flatten(struct orderman *om, const char *why, unsigned *placed,
    struct gw_err *err);

/* The operator accepts a reconciliation's problems (ctl resume): a
 * resume record (who), then state READY. -1 with err when not PROBLEM or
 * the journal append fails. */
int orderman_resume(struct orderman *om, const char *who, struct gw_err *err);

/* 1 once per New York day when ny_now (sched_local's) is at or after
 * closeout_min; the owner then cancels the day's orders. 0 otherwise or
 * when closeout_min is -1. */
int orderman_closeout_due(struct orderman *om, const struct tm *ny_now);

enum orderman_state orderman_state(const struct orderman *om);
/* 1 once a journal append failed: no order until bot-core restarts. */
int orderman_broken(const struct orderman *om);
/* 1 when this session's reconciliation ran past its deadline (FAILED):
 * answers still on their way could mix with a new try's, so only a new
 * session can reconcile again. */
int orderman_recon_timed_out(const struct orderman *om);
/* 1 when READY (reconciled on the current session, no open problem). */
int orderman_reconciled(const struct orderman *om);
/* The id the next order gets. */
long long orderman_next_order_id(const struct orderman *om);
/* The book (read only; for the risk gate's exposure and positions). */
const struct ordbook *orderman_book(const struct orderman *om);

/*
 * For bot.sock's status: a new object (the caller owns it) with state,
 * counts, open orders, positions, the last reconciliation, the account
 * summary values, the journal's counters; NULL when memory runs out.
 */
json_t *orderman_status(const struct orderman *om);

#endif
