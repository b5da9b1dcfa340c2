/*
 * risk: the risk gate every intent passes (docs/bot-core.md "RISK"), and
 * the dry-run shadow book (positions, average cost, realized and
 * unrealized P&L, filled at the ask for BUY and the bid for SELL). Pure:
 * the caller passes the time (New York local time and a monotonic ms
 * clock) and the gate's state. No I/O.
 */
#ifndef BOT_RISK_H
#define BOT_RISK_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "gameplan.h"
#include "stratmsg.h"

/* The rules, in the order they are checked; the first broken one is the
 * answer. Names (risk_rule_name) are stable: events and intent_result. */
enum risk_rule {
	RISK_OK,		/* "ok": accepted */
	RISK_GATE_CLOSED,	/* "gate-closed" */
	RISK_STRATEGY_C,	/* "strategy-c" */
	RISK_SYMBOL,		/* "symbol-not-in-gameplan" */
	RISK_QUANTITY,		/* "quantity": not a positive integer */
	RISK_LIMIT_PRICE,	/* "limit-price": LMT without a positive one */
	RISK_POSITION,		/* "max-single-position" */
	RISK_DAILY_LOSS,	/* "max-daily-loss": at or past the limit, only
				 * a move toward zero (no flip) passes */
	RISK_HOURS,		/* "outside-regular-hours" */
	RISK_RATE,		/* "rate-limit": intents per minute */
	RISK_NO_PRICE,		/* "no-market-price": dry run cannot fill */
	RISK_ORDER_VALUE,	/* "max-order-value": quantity x price above
				 * hard_limits.max_order_value (a MKT order
				 * with no market price cannot be judged) */
	RISK_OPEN_ORDERS,	/* "max-open-orders": hard_limits'
				 * max_open_orders already working */
};

const char *risk_rule_name(enum risk_rule r);

struct risk;

/* A new book for plan (copied) and the starting capital (> 0) the daily
 * loss limit is a percentage of. NULL when memory runs out. */
struct risk *risk_new(const struct gameplan *plan, double starting_capital);
/* A new plan (reload): limits change, the book stays. */
void risk_set_plan(struct risk *r, const struct gameplan *plan);
/* A new base for the daily loss limit (the account's value at the day's
 * start); not > 0 or not finite: none (the limit then counts as hit). */
void risk_set_capital(struct risk *r, double capital);
void risk_free(struct risk *r);

/* The latest prices of symbol (NaN when unknown), for fills and P&L. */
void risk_mark(struct risk *r, const char *symbol, double bid, double ask,
    double last);

/*
 * Judge intent: gate_open and active are the gate's and the strategy's
 * state now, ny the New York local time now (tm_wday, tm_hour, tm_min),
 * now_ms a monotonic clock for the rate limit. An accepted intent counts
 * toward the rate and, in dry run (fill = 1), fills the shadow book at
 * the ask (BUY) or bid (SELL); *price (price may be NULL) gets that
 * price (NaN when not filled). Returns the rule; every call counts as
 * accepted or rejected.
 */
enum risk_rule risk_check(struct risk *r, const struct sm_intent *in,
    int gate_open, enum gp_strategy active, const struct tm *ny,
    int64_t now_ms, int fill, double *price);

/*
 * The order path (not dry run): the book follows the gateway's fills.
 * risk_fill applies one execution (shares negative: sold) at price;
 * risk_seed sets a symbol's line from the order book at start-up (the
 * journal's fills of the day); risk_set_pending tells how many shares of
 * open orders are still working on each side, which the position limit
 * counts as if filled. -1 for a value that is not finite (or a price not
 * > 0), a symbol that does not fit, or no memory.
 */
int risk_fill(struct risk *r, const char *symbol, double shares, double price);
int risk_seed(struct risk *r, const char *symbol, double position,
    double avg_cost, double realized);
void risk_set_pending(struct risk *r, const char *symbol, double buy,
    double sell);
/* How many orders are working at the gateway now (max_open_orders). */
void risk_set_open_orders(struct risk *r, unsigned n);

/* Realized + unrealized P&L of the book (negative: a loss). */
double risk_pnl(const struct risk *r);
/* Whether the loss has reached the limit (the owner switches to C). */
int risk_loss_limit_hit(const struct risk *r);
/* {"SPY":{"position":10,"avg_cost":..,"realized":..,"unrealized":..},...}
 * for every symbol filled at least once (flat ones too: their realized
 * P&L); a new reference, or NULL when memory runs out. */
json_t *risk_positions_json(const struct risk *r);
unsigned long risk_accepted(const struct risk *r);
unsigned long risk_rejected(const struct risk *r);

/* Regular hours: 09:30 <= t < 16:00 New York, Monday to Friday. */
int risk_regular_hours(const struct tm *ny);

#endif
