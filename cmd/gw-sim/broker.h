/*
 * broker: gw-sim's paper broker, a pure book of orders, fills, positions and
 * cash for one paper account. No sockets, no wire encoding, no clock reads:
 * the caller passes the time and the quotes in, and receives what a gateway
 * would send as plain structs through a callback, in the order IB's gateway
 * sends them (tws-protocol-orders.md §8.6). The object outlives client
 * sessions: orders keep working and filling while no client is connected,
 * and a gw-sim "restart" keeps the same object, so nothing is lost.
 *
 * Requests come from untrusted clients: every field is checked; what a
 * gateway answers with an error message (103, 201, 434, 10147, 10148) is
 * answered so, and a request no gateway could receive (an unknown enum, a
 * non-finite number, a symbol that is not printable ASCII) is refused with
 * -1 and the field named in err.
 */
#ifndef GW_SIM_BROKER_H
#define GW_SIM_BROKER_H

#include <stddef.h>
#include <time.h>

#include "gw_err.h"

#define BROKER_SYMBOL_MAX 16	/* bytes of a symbol, NUL included */
#define BROKER_ACCOUNT_MAX 32
#define BROKER_REF_MAX 80	/* orderRef (TWS_ORD_REF) */
#define BROKER_EXECID_MAX 32
#define BROKER_TIME_MAX 24	/* "yyyymmdd  hh:mm:ss" */
#define BROKER_TEXT_MAX 160	/* error message text */
#define BROKER_MAX_ORDERS 100000	/* a cap on the book, orders of the day */
#define BROKER_MAX_EXECS 200000
#define BROKER_MAX_SYMBOLS 1000

/* Error codes (tws-protocol-orders.md §8.5). */
#define BROKER_ERR_DUPLICATE_ID 103
#define BROKER_ERR_REJECTED 201
#define BROKER_ERR_CANCELLED 202
#define BROKER_ERR_ZERO_SIZE 434
#define BROKER_ERR_CANCEL_NOT_FOUND 10147
#define BROKER_ERR_CANCEL_FINAL 10148

struct broker;

struct broker_config {
	char account[BROKER_ACCOUNT_MAX];	/* the paper account, "DU..." */
	double cash;			/* starting cash, >= 0 */
	double partial_above;		/* orders of more shares fill in parts
					   of this size; 0: never in parts */
	double commission_per_share;	/* >= 0 */
	long long first_order_id;	/* the first nextValidId, >= 1 */
	long long first_perm_id;	/* the first permId, >= 1 */
};

enum broker_action { BROKER_BUY, BROKER_SELL };
enum broker_type { BROKER_MKT, BROKER_LMT };
enum broker_tif { BROKER_DAY, BROKER_GTC };

enum broker_status {
	BROKER_SUBMITTED,	/* working, possibly partly filled */
	BROKER_FILLED,
	BROKER_CANCELLED,
	BROKER_INACTIVE,	/* rejected */
};

/* A placeOrder as decoded from the wire. account "" means the broker's. */
struct broker_order_req {
	long long id;
	char symbol[BROKER_SYMBOL_MAX];
	enum broker_action action;
	double qty;
	enum broker_type type;
	double lmt_price;		/* LMT only */
	enum broker_tif tif;
	char order_ref[BROKER_REF_MAX];
	char account[BROKER_ACCOUNT_MAX];
};

/* An order in the book (openOrder and orderStatus carry this). */
struct broker_order {
	struct broker_order_req req;	/* account filled in */
	long long perm_id;
	enum broker_status status;
	double filled;
	double remaining;
	double avg_fill_price;		/* 0 before the first fill */
	double last_fill_price;
	double commission;		/* all its fills' commissions so far */
	double part_size;		/* fills in parts of this; 0: whole */
	unsigned delay;			/* quotes still to skip (fault) */
};

/* One fill (execDetails and commissionReport carry this). */
struct broker_exec {
	char exec_id[BROKER_EXECID_MAX];	/* unique */
	long long order_id;
	long long perm_id;
	char symbol[BROKER_SYMBOL_MAX];
	char account[BROKER_ACCOUNT_MAX];
	char order_ref[BROKER_REF_MAX];
	enum broker_action side;	/* BOT / SLD on the wire */
	double shares;
	double price;
	double cum_qty;			/* the order's filled after this fill */
	double avg_price;		/* the order's avgFillPrice after it */
	time_t when;
	char time[BROKER_TIME_MAX];	/* when, UTC, "yyyymmdd  hh:mm:ss" */
	double commission;
	int has_realized;		/* a closing fill */
	double realized_pnl;		/* of the closed shares, gross */
};

struct broker_position {
	char symbol[BROKER_SYMBOL_MAX];
	double qty;			/* negative: short; 0 once closed */
	double avg_cost;		/* per share, commissions excluded */
	double realized_pnl;		/* gross, all closing fills */
	double mark;			/* (bid + ask) / 2 of the last quote */
	double unrealized_pnl;		/* qty * (mark - avg_cost) */
};

struct broker_account {
	double cash;			/* TotalCashValue */
	double net_liquidation;		/* cash + sum of qty * mark */
	double gross_position_value;	/* sum of |qty| * mark */
	double realized_pnl;
	double unrealized_pnl;
	double commissions;		/* paid so far */
};

enum broker_msg_kind {
	BROKER_MSG_OPEN_ORDER,
	BROKER_MSG_ORDER_STATUS,
	BROKER_MSG_EXEC_DETAILS,
	BROKER_MSG_COMMISSION,
	BROKER_MSG_ERROR,
};

/* One outgoing message. order for OPEN_ORDER/ORDER_STATUS, exec for
 * EXEC_DETAILS/COMMISSION, error for ERROR (id = the orderId). */
struct broker_msg {
	enum broker_msg_kind kind;
	struct broker_order order;
	struct broker_exec exec;
	struct {
		long long id;
		int code;
		char text[BROKER_TEXT_MAX];
	} error;
};

/* Receives each message in order; m is valid during the call only. The
 * callback must not call into the broker. A NULL callback drops the
 * messages (no client connected); the book changes all the same. */
typedef void (*broker_emit_cb)(const struct broker_msg *m, void *arg);

/* A new book. Returns NULL with err on a bad config (the field named) or
 * no memory. broker_free is NULL-safe. */
struct broker *broker_new(const struct broker_config *cfg, struct gw_err *err);
void broker_free(struct broker *b);

/* nextValidId: one above every order id used so far (reqIds). */
long long broker_next_valid_id(const struct broker *b);

/* placeOrder. Answers through emit: 103 for an id at or below one used
 * before; 434 for a quantity <= 0; 201 + Inactive for another account or a
 * reject fault; nothing for a swallow fault; else openOrder + orderStatus
 * Submitted, then the first fill at once when a MKT order has a quote or a
 * LMT order's price is crossed by the last quote (unless fills are
 * delayed). Returns 0, or -1 with err for a malformed request (nothing
 * changes, nothing is emitted) or a full book. now stamps a fill at once. */
int broker_place(struct broker *b, const struct broker_order_req *req,
    time_t now, broker_emit_cb emit, void *arg, struct gw_err *err);

/* A quote at time now: sets the symbol's mark and fills, in id order, the
 * working orders of symbol it reaches: MKT BUY / LMT BUY with ask <= limit
 * at the ask, SELL at the bid; an order that fills in parts takes one part
 * per quote. Returns 0, or -1 with err (bid, ask not finite and > 0, ask <
 * bid, a bad symbol, now not representable) with nothing changed. */
int broker_quote(struct broker *b, const char *symbol, double bid,
    double ask, time_t now, broker_emit_cb emit, void *arg,
    struct gw_err *err);

/* cancelOrder: a working order becomes Cancelled (orderStatus, then 202);
 * an unknown id draws 10147, a finished order 10148 with its state. */
void broker_cancel(struct broker *b, long long id, broker_emit_cb emit,
    void *arg);

/* reqGlobalCancel: every working order Cancelled, in id order. */
void broker_global_cancel(struct broker *b, broker_emit_cb emit, void *arg);

/* Faults for tests. Each place consumes one of n rejections (201) first,
 * else one of n swallows (no answer; the id counts as used, the order is
 * not in the book). Fills of orders placed from now on wait for n quotes
 * of their symbol. A part size > 0 makes every order placed from now on
 * fill in parts of that size (0: the config's rule). Return -1 with err
 * for a negative or non-finite part size. */
void broker_fault_reject(struct broker *b, unsigned n);
void broker_fault_swallow(struct broker *b, unsigned n);
void broker_fault_delay(struct broker *b, unsigned n);
int broker_fault_partial(struct broker *b, double part, struct gw_err *err);

/* Queries. Orders of the book in id order, finished ones included (a
 * reqOpenOrders answer takes the working ones); executions in the order
 * they happened (a reqExecutions answer filters by day); positions of every
 * symbol that traded, in the order the book first saw the symbol (in an
 * order or a quote), closed ones with qty 0. Pointers are
 * valid until the next call that changes the book. */
size_t broker_order_count(const struct broker *b);
const struct broker_order *broker_order_at(const struct broker *b, size_t i);
const struct broker_order *broker_order_find(const struct broker *b,
    long long id);
int broker_order_working(const struct broker_order *o);
size_t broker_exec_count(const struct broker *b);
const struct broker_exec *broker_exec_at(const struct broker *b, size_t i);
size_t broker_position_count(const struct broker *b);
void broker_position_at(const struct broker *b, size_t i,
    struct broker_position *out);
void broker_account_values(const struct broker *b, struct broker_account *out);
const char *broker_account_id(const struct broker *b);

/* "Submitted", "Filled", "Cancelled", "Inactive" as on the wire. */
const char *broker_status_name(enum broker_status s);

#endif
