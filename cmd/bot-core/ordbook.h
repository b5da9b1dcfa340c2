/*
 * ordbook: bot-core's order book (docs/bot-core.md "Orders"): every order
 * bot-core placed today, the state machine each one runs through, the
 * fills and commissions that came back, the positions and P&L they make,
 * and the reconciliation with the gateway after every (re)connect.
 *
 * Pure: no I/O, no clock (every call takes now_ms, a monotonic clock in
 * ms), no libevent. The gateway's messages come in as tws_order's decoded
 * structs and are untrusted; the book never asks for anything to be sent
 * (in particular it never re-sends an order: reconciliation only reports).
 *
 * Changes (state transitions, fills, commissions) are handed to the
 * caller through a callback (struct ordbook_out), in the order they
 * happen, one call per change, before the mutating function returns.
 * The callback may read the book but must not change it.
 */
#ifndef BOT_ORDBOOK_H
#define BOT_ORDBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "gw_err.h"
#include "tws_order.h"

#define ORDBOOK_REF_PREFIX "gwk:"	/* bot-core's orderRef: prefix + intent id */
#define ORDBOOK_ID_MAX 64		/* bytes of an intent id */
#define ORDBOOK_SYMBOL_MAX 31		/* bytes of a symbol */
#define ORDBOOK_ACCOUNT_MAX 31		/* bytes of an account id */
#define ORDBOOK_WHY_MAX 160		/* a transition's reason, NUL included */
#define ORDBOOK_TEXT_MAX 200		/* a problem's text, NUL included */
#define ORDBOOK_PROBLEMS_MAX 16		/* problems kept in a report */

#define ORDBOOK_ACK_TIMEOUT_MS 5000	/* defaults of struct ordbook_config */
#define ORDBOOK_MAX_ORDERS 10000
#define ORDBOOK_MAX_EXECS 100000

/* An order's state. PENDING_SUBMIT..UNKNOWN are open (the order may still
 * work at the gateway), the rest final: a final state never changes. */
enum ordbook_state {
	ORDBOOK_PENDING_SUBMIT,	/* "pending-submit": placed, nothing heard */
	ORDBOOK_SUBMITTED,	/* "submitted": acknowledged, nothing filled */
	ORDBOOK_PARTIAL,	/* "partial": filled > 0, remaining > 0 */
	ORDBOOK_UNKNOWN,	/* "unknown": no answer within the deadline */
	ORDBOOK_FILLED,		/* "filled" */
	ORDBOOK_CANCELLED,	/* "cancelled": Cancelled, ApiCancelled, 202,
				 * or ended at the gateway partly filled */
	ORDBOOK_REJECTED,	/* "rejected": Inactive, 201, 103, 434, ... */
	ORDBOOK_GONE,		/* "gone": not at the gateway, no fills */
};

/* Stable lower-case names (events, journal, strategy messages). */
const char *ordbook_state_name(enum ordbook_state s);
/* The state named name; -1 when none is. */
int ordbook_state_parse(const char *name);
int ordbook_state_final(enum ordbook_state s);

struct ordbook_config {
	int64_t ack_timeout_ms;	/* PENDING_SUBMIT -> UNKNOWN; 0: 5000 */
	unsigned max_orders;	/* per book (a day); 0: 10000 */
	unsigned max_execs;	/* per book (a day); 0: 100000 */
	int adopt_positions;	/* 1: the first reconciliation takes the
				 * gateway's positions in symbols the book
				 * has no position for as the book's own */
};

/* A new order, as bot-core is about to place it. ref "" means
 * ORDBOOK_REF_PREFIX + intent_id. */
struct ordbook_new {
	char intent_id[ORDBOOK_ID_MAX + 1];
	char ref[TWS_ORD_REF];
	long long order_id;		/* > 0 */
	char account[ORDBOOK_ACCOUNT_MAX + 1];
	char symbol[ORDBOOK_SYMBOL_MAX + 1];
	int side;			/* enum tws_action */
	double qty;			/* > 0, finite */
	int type;			/* enum tws_order_type */
	double lmt;			/* LMT: > 0; MKT: ignored */
	int tif;			/* enum tws_tif */
	int client_id;			/* the API client that placed it;
					 * -1: not recorded (any client) */
};

/* One order as the book sees it (a copy). */
struct ordbook_order {
	struct ordbook_new n;		/* as added; n.ref always filled in */
	enum ordbook_state state;
	long long perm_id;		/* 0 until the gateway gave one */
	double filled;			/* shares of this book's fills */
	double avg_price;		/* of those fills; 0 when none */
	double commission;		/* of those fills' reports */
	double gw_filled;		/* the latest filled of an orderStatus */
	int last_code;			/* the latest error code for it, or 0 */
	int64_t placed_ms, changed_ms;
	int64_t deadline_ms;		/* 0: no answer awaited */
};

enum ordbook_change_kind {
	ORDBOOK_CH_STATE,	/* from -> to, why */
	ORDBOOK_CH_FILL,	/* exec_id, side, shares, price, cum, avg */
	ORDBOOK_CH_COMMISSION,	/* exec_id, commission (its new value) */
};

struct ordbook_change {
	enum ordbook_change_kind kind;
	long long order_id;
	char intent_id[ORDBOOK_ID_MAX + 1];
	char ref[TWS_ORD_REF];
	char symbol[ORDBOOK_SYMBOL_MAX + 1];
	enum ordbook_state from, to;	/* FILL, COMMISSION: both the state now */
	char why[ORDBOOK_WHY_MAX];	/* STATE: one line, printable ASCII */
	char exec_id[TWS_ORD_STR];	/* FILL, COMMISSION */
	int side;			/* FILL: enum tws_action of the execution */
	double shares, price;		/* FILL: this execution */
	double cum, avg;		/* FILL: the order's fills so far */
	double commission;		/* COMMISSION */
};

typedef void ordbook_out_fn(void *arg, const struct ordbook_change *c);

/* Where changes go; a NULL out (or fn) drops them. */
struct ordbook_out {
	ordbook_out_fn *fn;
	void *arg;
};

struct ordbook;

/* A new, empty book (cfg NULL: the defaults). NULL with err when cfg is
 * out of range or memory runs out. */
struct ordbook *ordbook_new(const struct ordbook_config *cfg,
    struct gw_err *err);
void ordbook_free(struct ordbook *b);

/* Enter an order just placed (state PENDING_SUBMIT, answer awaited until
 * now_ms + ack_timeout_ms). No change is emitted: the caller logs the
 * placement itself. -1 with err for a duplicate order_id or ref, a bad
 * field, or the day's order limit. */
int ordbook_add(struct ordbook *b, const struct ordbook_new *n,
    int64_t now_ms, struct gw_err *err);

/*
 * The gateway's messages. Each returns 0 when the message concerned an
 * order of the book (whether or not anything changed), 1 when it did not
 * (another client's order, an unknown exec_id: nothing done), -1 with err
 * for a malformed value (a quantity that is not a number, an unknown
 * status) or a limit reached; nothing is changed then.
 *
 * on_status/on_open_order: status text per docs (PreSubmitted, Submitted,
 * PendingSubmit, ApiPending -> SUBMITTED or PARTIAL; Filled; Cancelled,
 * ApiCancelled; Inactive -> REJECTED unless whyHeld is set; PendingCancel
 * changes nothing). A status for a final order is ignored and counted
 * as stale. An open order is matched by order_id and must carry the
 * order's ref (or none).
 * on_exec: matched by order_id, else by orderRef; a repeated exec_id is
 * not a second fill. Fills count in every state, final ones included.
 * on_commission: joined to its fill by exec_id; a repeated report
 * replaces the value.
 * on_error: id is the orderId; the code decides (docs/bot-core.md "Orders"),
 * never the text. Unknown codes change nothing.
 */
int ordbook_on_status(struct ordbook *b, const struct tws_order_status *s,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err);
int ordbook_on_open_order(struct ordbook *b, const struct tws_open_order *oo,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err);
int ordbook_on_exec(struct ordbook *b, const struct tws_execution *x,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err);
int ordbook_on_commission(struct ordbook *b, const struct tws_commission *c,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err);
int ordbook_on_error(struct ordbook *b, long long id, int code,
    const char *text, int64_t now_ms, const struct ordbook_out *out);

/* Deadlines: every PENDING_SUBMIT order whose answer is overdue becomes
 * UNKNOWN. Returns how many did. */
int ordbook_tick(struct ordbook *b, int64_t now_ms,
    const struct ordbook_out *out);

/*
 * Replay of the journal at start-up, from plain values; nothing is
 * emitted and no deadline is armed (reconciliation settles the orders
 * still open). Each is idempotent: a place already in the book (same
 * order_id and ref), an exec_id already counted, a state the order is
 * already in, change nothing and return 0. A state record never moves a
 * final order; fills derive PARTIAL/FILLED as live ones do.
 */
int ordbook_replay_place(struct ordbook *b, const struct ordbook_new *n,
    int64_t at_ms, struct gw_err *err);
int ordbook_replay_state(struct ordbook *b, long long order_id,
    enum ordbook_state to, int64_t at_ms, struct gw_err *err);
int ordbook_replay_fill(struct ordbook *b, long long order_id,
    const char *exec_id, int side, double shares, double price,
    int64_t at_ms, struct gw_err *err);
int ordbook_replay_commission(struct ordbook *b, const char *exec_id,
    double commission, struct gw_err *err);
/* A fill of an earlier day's order that is not in the book (it ended):
 * only its position carries forward (symbol, side, shares, price); the
 * realized P&L it made belongs to its own day and is not counted. */
int ordbook_replay_carry(struct ordbook *b, const char *symbol, int side,
    double shares, double price, struct gw_err *err);
/* 1 when the book has the execution exec_id. */
int ordbook_exec_known(const struct ordbook *b, const char *exec_id);

/* --- reading --- */

size_t ordbook_count(const struct ordbook *b);
/* 1 when ordbook_add would refuse a new order for the limit. */
int ordbook_full(const struct ordbook *b);
/* Copy order i (0 .. count-1, in the order added), or the order with
 * that id / ref. 0, or -1 when there is none. */
int ordbook_order_at(const struct ordbook *b, size_t i,
    struct ordbook_order *o);
int ordbook_get(const struct ordbook *b, long long order_id,
    struct ordbook_order *o);
int ordbook_find_ref(const struct ordbook *b, const char *ref,
    struct ordbook_order *o);

/* A symbol's position from this book's fills (and an adopted start). */
struct ordbook_pos {
	char symbol[ORDBOOK_SYMBOL_MAX + 1];
	double qty;		/* signed: negative is short */
	double avg_cost;	/* of the open position; 0 when flat */
	double realized;	/* from closing fills, before commissions */
	double commission;	/* of this symbol's fills */
	int adopted;		/* started from the gateway's position */
};

/* 0, or -1 when the book has never had a position in symbol (*p zeroed,
 * symbol set). */
int ordbook_position(const struct ordbook *b, const char *symbol,
    struct ordbook_pos *p);
size_t ordbook_position_count(const struct ordbook *b);
int ordbook_position_at(const struct ordbook *b, size_t i,
    struct ordbook_pos *p);
/* (mark - avg_cost) * qty; 0 when flat or mark is not finite. */
double ordbook_unrealized(const struct ordbook_pos *p, double mark);

/* What the risk gate counts. For symbol NULL: all symbols. Open orders
 * are those in an open state (UNKNOWN too). Value: remaining shares x
 * the limit price, or x mark for MKT (a mark that is not finite counts a
 * MKT order's value as 0 and sets unpriced). */
struct ordbook_exposure {
	unsigned open_orders;
	double buy_qty, sell_qty;	/* remaining shares of open orders */
	double buy_value, sell_value;
	int unpriced;
};
void ordbook_exposure(const struct ordbook *b, const char *symbol,
    double mark, struct ordbook_exposure *e);

struct ordbook_day {
	unsigned orders, open, execs;
	double realized;	/* all symbols, before commissions */
	double commission;
	unsigned long stale;	/* statuses ignored: order already final */
	unsigned long dup_execs;	/* exec_ids seen again */
	unsigned long corrections;	/* exec corrections not applied */
};
void ordbook_day(const struct ordbook *b, struct ordbook_day *d);
/* Bytes the book holds on the heap (arrays and tables, at capacity). */
size_t ordbook_mem(const struct ordbook *b);

/* --- reconciliation --- */

struct ordbook_snap_order {
	struct tws_open_order oo;
	struct tws_order_status st;	/* its latest orderStatus */
	int has_status;
};

struct ordbook_snap_exec {
	struct tws_execution x;
	struct tws_commission c;
	int has_commission;
};

/* What the gateway said after a (re)connect: reqAllOpenOrders (or
 * reqOpenOrders), reqExecutions with an empty filter and reqPositions,
 * each up to its end message. Positions of other accounts are skipped. */
struct ordbook_snapshot {
	const char *account;		/* the order account */
	const struct ordbook_snap_order *orders;
	size_t n_orders;
	const struct ordbook_snap_exec *execs;
	size_t n_execs;
	const struct tws_position *positions;
	size_t n_positions;
};

enum ordbook_problem_kind {
	ORDBOOK_PROB_UNKNOWN_ORDER,	/* an open order the book does not have */
	ORDBOOK_PROB_UNKNOWN_FILL,	/* our ref, but no such order in the book */
	ORDBOOK_PROB_POSITION,		/* position mismatch */
	ORDBOOK_PROB_LIMIT,		/* a limit stopped the adoption of fills */
};

/* Stable names: "unknown-order", "unknown-fill", "position-mismatch",
 * "limit". */
const char *ordbook_problem_name(enum ordbook_problem_kind k);

struct ordbook_problem {
	enum ordbook_problem_kind kind;
	long long order_id;		/* 0 when not about an order */
	char symbol[ORDBOOK_SYMBOL_MAX + 1];
	char text[ORDBOOK_TEXT_MAX];	/* one line, ready for an alert */
};

struct ordbook_recon {
	int ok;				/* no problem */
	unsigned orders;		/* in the book */
	unsigned open;			/* open after reconciliation */
	unsigned gw_open;		/* open orders of the account at the gateway */
	unsigned adopted_fills;
	unsigned filled, cancelled, gone;	/* settled by reconciliation */
	unsigned adopted_positions;
	unsigned problems;		/* all of them; the first
					 * ORDBOOK_PROBLEMS_MAX are in problem[] */
	unsigned n_problem;
	struct ordbook_problem problem[ORDBOOK_PROBLEMS_MAX];
};

/*
 * Reconcile the book with snap (docs/bot-core.md "Reconciliation"), in
 * this order: executions of ours not yet counted are adopted (FILL
 * changes, states follow); open orders update the orders they match,
 * and any other open order of the account is an unknown-order problem;
 * open book orders not
 * at the gateway end FILLED (their fills complete them), CANCELLED
 * (partly filled) or GONE (no fills); every position of the account must
 * equal the book's. Fills the book cannot take (limit) are problems too.
 * Every quantity in snap is checked first: a malformed one returns -1
 * with err and changes nothing. Otherwise returns 0 with the report
 * filled in, ok or not.
 */
int ordbook_reconcile(struct ordbook *b, const struct ordbook_snapshot *snap,
    int64_t now_ms, struct ordbook_recon *report,
    const struct ordbook_out *out, struct gw_err *err);

/* ORDBOOK_REF_PREFIX + intent_id into dst; -1 when it does not fit. */
int ordbook_make_ref(char *dst, size_t dstsz, const char *intent_id);

#endif
