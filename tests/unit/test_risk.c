/*
 * Unit tests for bot-core's risk gate and shadow book: each rule rejecting
 * on its own, the order of the rules (an intent that breaks several gets
 * the first), fills at the ask and the bid, average cost and realized P&L
 * through buy, sell and flips (prices chosen to be exact in binary, so
 * the numbers compare exactly), the daily loss limit, regular hours at
 * their edges, the sliding rate window and a plan reload keeping the book.
 * Plans are built here directly; the gameplan decoder is not used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "risk.h"

#define CAPITAL 10000.0		/* with 2 %: a loss of 200 is the limit */

static void
plan_init(struct gameplan *gp)
{
	memset(gp, 0, sizeof(*gp));
	strcpy(gp->date, "2026-12-01");
	gp->strategy = GP_STRATEGY_A;
	strcpy(gp->symbols[0].name, "SPY");
	gp->symbols[0].max_position = 100;
	strcpy(gp->symbols[1].name, "QQQ");
	gp->symbols[1].max_position = 50;
	gp->n_symbols = 2;
	gp->max_daily_loss_pct = 2.0;
	gp->max_single_position = 100;
	gp->allow_outside_rth = 0;
	gp->max_intents_per_minute = 1000;
}

/* New York local time: 2026-11-30 is a Monday (tm_wday 1). */
static struct tm
ny(int wday, int hour, int min)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 10;
	tm.tm_mday = 29 + wday;
	tm.tm_wday = wday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	return tm;
}

static struct sm_intent
intent(const char *symbol, enum sm_side side, double qty)
{
	struct sm_intent in;

	memset(&in, 0, sizeof(in));
	strcpy(in.id, "i1");
	snprintf(in.symbol, sizeof(in.symbol), "%s", symbol);
	in.side = side;
	in.quantity = qty;
	in.order_type = SM_MKT;
	return in;
}

static void
eq(double got, double want)
{
	if (!(got == want))
		fail_msg("got %.12g, want %.12g", got, want);
}

/* Judge in at Tuesday 10:00 with the gate open and strategy A. */
static enum risk_rule
check(struct risk *r, const struct sm_intent *in, int64_t now_ms, double *price)
{
	struct tm t = ny(2, 10, 0);

	return risk_check(r, in, 1, GP_STRATEGY_A, &t, now_ms, 1, price);
}

/* Fill side qty of symbol at p (the whole market at p), which must pass. */
static void
fill(struct risk *r, const char *symbol, enum sm_side side, double qty,
    double p)
{
	struct sm_intent in = intent(symbol, side, qty);
	double got = 0;

	risk_mark(r, symbol, p, p, p);
	assert_int_equal(check(r, &in, 0, &got), RISK_OK);
	eq(got, p);
}

/* symbol's field in risk_positions_json */
static double
pos_field(const struct risk *r, const char *symbol, const char *field)
{
	json_t *o = risk_positions_json(r), *v;
	double d;

	assert_non_null(o);
	v = json_object_get(json_object_get(o, symbol), field);
	assert_non_null(v);
	d = json_number_value(v);
	json_decref(o);
	return d;
}

/* The order path's limits: an order's value (LMT at its limit, MKT at the
 * ask or bid, else the last; unpriced MKT cannot be judged), the orders
 * working at once; working orders count toward the position limit; fills
 * and a new capital follow the gateway (risk_fill, risk_set_capital). */
static void
test_order_limits(void **state)
{
	struct gameplan gp;
	struct sm_intent in;
	struct tm t = ny(2, 10, 0);
	struct risk *r;
	double p;

	(void)state;
	plan_init(&gp);
	gp.max_order_value = 1000;
	gp.max_open_orders = 2;
	assert_non_null(r = risk_new(&gp, CAPITAL));
	in = intent("SPY", SM_BUY, 5);
	in.order_type = SM_LMT;
	in.has_limit_price = 1;
	in.limit_price = 250;		/* 1250 > 1000 */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_ORDER_VALUE);
	in.limit_price = 200;		/* 1000: at the limit */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_OK);
	in = intent("SPY", SM_BUY, 5);	/* MKT, no price yet */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_ORDER_VALUE);
	risk_mark(r, "SPY", NAN, NAN, 150);	/* only a last: 750 */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_OK);
	risk_mark(r, "SPY", 199, 201, 150);	/* the ask: 1005 */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_ORDER_VALUE);
	in.side = SM_SELL;		/* the bid: 995 */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_OK);
	/* working orders */
	in = intent("SPY", SM_BUY, 1);
	risk_set_open_orders(r, 2);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_OPEN_ORDERS);
	risk_set_open_orders(r, 1);
	risk_set_pending(r, "SPY", 99, 0);	/* 99 + 1 = 100: the limit */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_OK);
	in.quantity = 2;
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, &p),
	    RISK_POSITION);
	/* the gateway's fills and the day's capital */
	risk_set_pending(r, "SPY", 0, 0);
	assert_int_equal(risk_fill(r, "SPY", 4, 200), 0);
	assert_int_equal(risk_fill(r, "SPY", -4, 150), 0);	/* -200 */
	assert_int_equal(risk_fill(r, "SPY", 1, NAN), -1);
	eq(risk_pnl(r), -200);
	assert_true(risk_loss_limit_hit(r));	/* 2 % of 10000 */
	risk_set_capital(r, 20000);
	assert_false(risk_loss_limit_hit(r));
	risk_set_capital(r, -1);
	assert_true(risk_loss_limit_hit(r));	/* none: fail safe */
	risk_free(r);
}

static void
test_rule_names(void **state)
{
	static const char *const names[] = { "ok", "gate-closed", "strategy-c",
	    "symbol-not-in-gameplan", "quantity", "limit-price",
	    "max-single-position", "max-daily-loss", "outside-regular-hours",
	    "rate-limit", "no-market-price", "max-order-value",
	    "max-open-orders" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(risk_rule_name(i), names[i]);
	assert_string_equal(risk_rule_name(RISK_OPEN_ORDERS + 1), "unknown");
}

static void
test_each_rule_rejects(void **state)
{
	struct gameplan gp;
	struct risk *r;
	struct sm_intent in;
	struct tm tue = ny(2, 10, 0), sat = ny(6, 10, 0);
	double p;

	(void)state;
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, CAPITAL));
	risk_mark(r, "SPY", 99.5, 100.5, 100);

	in = intent("SPY", SM_BUY, 10);
	assert_int_equal(risk_check(r, &in, 0, GP_STRATEGY_A, &tue, 0, 1, &p),
	    RISK_GATE_CLOSED);
	assert_true(isnan(p));
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_C, &tue, 0, 1, &p),
	    RISK_STRATEGY_C);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_B, &tue, 0, 1, &p),
	    RISK_OK);
	eq(p, 100.5);

	in = intent("MSFT", SM_BUY, 1);
	assert_int_equal(check(r, &in, 0, &p), RISK_SYMBOL);
	in = intent("spy", SM_BUY, 1);	/* symbols are exact */
	assert_int_equal(check(r, &in, 0, &p), RISK_SYMBOL);

	in = intent("SPY", SM_BUY, 0);
	assert_int_equal(check(r, &in, 0, &p), RISK_QUANTITY);
	in.quantity = -5;
	assert_int_equal(check(r, &in, 0, &p), RISK_QUANTITY);
	in.quantity = 1.5;
	assert_int_equal(check(r, &in, 0, &p), RISK_QUANTITY);
	in.quantity = NAN;
	assert_int_equal(check(r, &in, 0, &p), RISK_QUANTITY);
	in.quantity = INFINITY;
	assert_int_equal(check(r, &in, 0, &p), RISK_QUANTITY);

	in = intent("SPY", SM_BUY, 1);
	in.order_type = SM_LMT;
	assert_int_equal(check(r, &in, 0, &p), RISK_LIMIT_PRICE);
	in.has_limit_price = 1;
	in.limit_price = 0;
	assert_int_equal(check(r, &in, 0, &p), RISK_LIMIT_PRICE);
	in.limit_price = -1;
	assert_int_equal(check(r, &in, 0, &p), RISK_LIMIT_PRICE);
	in.limit_price = NAN;
	assert_int_equal(check(r, &in, 0, &p), RISK_LIMIT_PRICE);
	in.limit_price = 100.25;	/* dry run still fills at the ask */
	assert_int_equal(check(r, &in, 0, &p), RISK_OK);
	eq(p, 100.5);

	/* SPY holds 11 now: 90 more is 101 > 100; 89 is exactly 100 */
	in = intent("SPY", SM_BUY, 90);
	assert_int_equal(check(r, &in, 0, &p), RISK_POSITION);
	in = intent("SPY", SM_SELL, 112);	/* -101 */
	assert_int_equal(check(r, &in, 0, &p), RISK_POSITION);
	in = intent("SPY", SM_SELL, 111);	/* -100 */
	assert_int_equal(check(r, &in, 0, &p), RISK_OK);
	eq(p, 99.5);
	/* QQQ's own limit is 50 */
	risk_mark(r, "QQQ", 400, 400.5, 400.25);
	in = intent("QQQ", SM_BUY, 51);
	assert_int_equal(check(r, &in, 0, &p), RISK_POSITION);
	in.quantity = 50;
	assert_int_equal(check(r, &in, 0, &p), RISK_OK);
	in = intent("QQQ", SM_SELL, 50);
	assert_int_equal(check(r, &in, 0, &p), RISK_OK);
	in = intent("SPY", SM_BUY, 100);	/* SPY back to flat */
	assert_int_equal(check(r, &in, 0, &p), RISK_OK);

	in = intent("SPY", SM_BUY, 1);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &sat, 0, 1, &p),
	    RISK_HOURS);

	/* no market price: no ask for BUY, no bid for SELL (TWS's -1) */
	risk_mark(r, "SPY", 99.5, -1, 100);
	in = intent("SPY", SM_BUY, 1);
	assert_int_equal(check(r, &in, 0, &p), RISK_NO_PRICE);
	assert_true(isnan(p));
	in = intent("SPY", SM_SELL, 1);
	assert_int_equal(check(r, &in, 0, &p), RISK_OK);
	risk_mark(r, "SPY", NAN, 100.5, 100);
	assert_int_equal(check(r, &in, 0, &p), RISK_NO_PRICE);
	risk_mark(r, "SPY", 0, 100.5, 100);
	assert_int_equal(check(r, &in, 0, &p), RISK_NO_PRICE);
	/* a symbol never marked has no price either, but without a fill
	 * (not dry run) there is nothing to price */
	{
		struct gameplan g2 = gp;
		struct risk *r2;

		assert_non_null(r2 = risk_new(&g2, CAPITAL));
		in = intent("QQQ", SM_BUY, 1);
		assert_int_equal(check(r2, &in, 0, &p), RISK_NO_PRICE);
		assert_int_equal(risk_check(r2, &in, 1, GP_STRATEGY_A, &tue, 0,
		    0, &p), RISK_OK);
		assert_true(isnan(p));
		/* nothing filled: the book is empty */
		{
			json_t *o = risk_positions_json(r2);

			assert_int_equal(json_object_size(o), 0);
			json_decref(o);
		}
		risk_free(r2);
	}

	assert_int_equal(risk_accepted(r), 7);
	assert_int_equal(risk_rejected(r), 20);
	risk_free(r);
}

/* One intent breaking every rule from the first on; fixing them one at a
 * time walks down the list. */
static void
test_rule_order(void **state)
{
	struct gameplan gp;
	struct risk *r;
	struct sm_intent in;
	struct tm sat = ny(6, 10, 0), tue = ny(2, 10, 0);
	int64_t t0 = 1000;
	double p;

	(void)state;
	plan_init(&gp);
	gp.max_intents_per_minute = 1;
	assert_non_null(r = risk_new(&gp, CAPITAL));
	/* a losing SPY position: 100 at 100, marked at 97 (-300 >= 200);
	 * and the minute's one intent is used */
	risk_mark(r, "SPY", 100, 100, 100);
	in = intent("SPY", SM_BUY, 100);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &tue, t0, 1, &p),
	    RISK_OK);
	risk_mark(r, "SPY", 97, 97, 97);
	assert_true(risk_loss_limit_hit(r));

	in = intent("MSFT", SM_BUY, 51.5);
	in.order_type = SM_LMT;
	assert_int_equal(risk_check(r, &in, 0, GP_STRATEGY_C, &sat, t0 + 1, 1, &p),
	    RISK_GATE_CLOSED);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_C, &sat, t0 + 1, 1, &p),
	    RISK_STRATEGY_C);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &sat, t0 + 1, 1, &p),
	    RISK_SYMBOL);
	strcpy(in.symbol, "QQQ");	/* never marked: no price */
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &sat, t0 + 1, 1, &p),
	    RISK_QUANTITY);
	in.quantity = 51;
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &sat, t0 + 1, 1, &p),
	    RISK_LIMIT_PRICE);
	in.has_limit_price = 1;
	in.limit_price = 400;
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &sat, t0 + 1, 1, &p),
	    RISK_POSITION);
	in.quantity = 10;
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &sat, t0 + 1, 1, &p),
	    RISK_DAILY_LOSS);
	risk_mark(r, "SPY", 100, 100, 100);
	assert_false(risk_loss_limit_hit(r));
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &sat, t0 + 1, 1, &p),
	    RISK_HOURS);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &tue, t0 + 1, 1, &p),
	    RISK_RATE);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &tue, t0 + 60000, 1,
	    &p), RISK_NO_PRICE);
	risk_mark(r, "QQQ", 399.5, 400.5, 400);
	assert_int_equal(risk_check(r, &in, 1, GP_STRATEGY_A, &tue, t0 + 60000, 1,
	    &p), RISK_OK);
	eq(p, 400.5);
	assert_int_equal(risk_accepted(r), 2);
	assert_int_equal(risk_rejected(r), 10);
	risk_free(r);
}

static void
test_fills_at_ask_and_bid(void **state)
{
	struct gameplan gp;
	struct risk *r;
	struct sm_intent in;
	double p;

	(void)state;
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, CAPITAL));
	risk_mark(r, "SPY", 99.5, 100.5, 100);
	in = intent("SPY", SM_BUY, 10);
	assert_int_equal(check(r, &in, 0, &p), RISK_OK);
	eq(p, 100.5);
	eq(pos_field(r, "SPY", "position"), 10);
	eq(pos_field(r, "SPY", "avg_cost"), 100.5);
	/* marked at last 100: -5 unrealized */
	eq(pos_field(r, "SPY", "unrealized"), -5);
	eq(risk_pnl(r), -5);
	in = intent("SPY", SM_SELL, 4);
	assert_int_equal(check(r, &in, 0, NULL), RISK_OK);	/* price optional */
	eq(pos_field(r, "SPY", "position"), 6);
	eq(pos_field(r, "SPY", "realized"), -4);	/* 4 x (99.5 - 100.5) */
	eq(pos_field(r, "SPY", "avg_cost"), 100.5);
	eq(risk_pnl(r), -4 + 6 * (100 - 100.5));
	risk_free(r);
}

static void
test_average_cost_and_realized(void **state)
{
	struct gameplan gp;
	struct risk *r;

	(void)state;
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, 1e9));
	fill(r, "SPY", SM_BUY, 10, 100);
	eq(pos_field(r, "SPY", "avg_cost"), 100);
	fill(r, "SPY", SM_BUY, 30, 104);	/* (1000 + 3120) / 40 */
	eq(pos_field(r, "SPY", "position"), 40);
	eq(pos_field(r, "SPY", "avg_cost"), 103);
	eq(pos_field(r, "SPY", "realized"), 0);
	fill(r, "SPY", SM_SELL, 15, 107);	/* 15 x 4 */
	eq(pos_field(r, "SPY", "position"), 25);
	eq(pos_field(r, "SPY", "avg_cost"), 103);
	eq(pos_field(r, "SPY", "realized"), 60);
	eq(pos_field(r, "SPY", "unrealized"), 25 * 4);
	/* through zero: 25 close at -2 each, 15 open short at 101 */
	fill(r, "SPY", SM_SELL, 40, 101);
	eq(pos_field(r, "SPY", "position"), -15);
	eq(pos_field(r, "SPY", "avg_cost"), 101);
	eq(pos_field(r, "SPY", "realized"), 10);
	eq(pos_field(r, "SPY", "unrealized"), 0);
	/* adding to the short averages: (1515 + 495) / 20 */
	fill(r, "SPY", SM_SELL, 5, 99);
	eq(pos_field(r, "SPY", "position"), -20);
	eq(pos_field(r, "SPY", "avg_cost"), 100.5);
	eq(pos_field(r, "SPY", "unrealized"), 30);	/* -20 x (99 - 100.5) */
	eq(risk_pnl(r), 40);
	/* partial cover keeps the average */
	fill(r, "SPY", SM_BUY, 8, 98.5);	/* 8 x 2 */
	eq(pos_field(r, "SPY", "position"), -12);
	eq(pos_field(r, "SPY", "avg_cost"), 100.5);
	eq(pos_field(r, "SPY", "realized"), 26);
	/* cover to flat: the average resets, realized stays */
	fill(r, "SPY", SM_BUY, 12, 100);	/* 12 x 0.5 */
	eq(pos_field(r, "SPY", "position"), 0);
	eq(pos_field(r, "SPY", "avg_cost"), 0);
	eq(pos_field(r, "SPY", "realized"), 32);
	eq(pos_field(r, "SPY", "unrealized"), 0);
	/* flip up from a short: 10 cover at 103 - 104 = -1 each, 5 long at 104 */
	fill(r, "SPY", SM_SELL, 10, 103);
	fill(r, "SPY", SM_BUY, 15, 104);
	eq(pos_field(r, "SPY", "position"), 5);
	eq(pos_field(r, "SPY", "avg_cost"), 104);
	eq(pos_field(r, "SPY", "realized"), 22);
	/* the mark: last, else the mid, else the position is at cost */
	risk_mark(r, "SPY", 105, 106, 107);
	eq(pos_field(r, "SPY", "unrealized"), 15);
	risk_mark(r, "SPY", 105, 106, NAN);
	eq(pos_field(r, "SPY", "unrealized"), 7.5);
	risk_mark(r, "SPY", 105, -1, -1);
	eq(pos_field(r, "SPY", "unrealized"), 0);
	eq(risk_pnl(r), 22);
	/* two symbols add up */
	fill(r, "QQQ", SM_BUY, 2, 400);
	risk_mark(r, "QQQ", 0, 0, 410);
	eq(risk_pnl(r), 22 + 20);
	assert_int_equal(risk_accepted(r), 10);
	assert_int_equal(risk_rejected(r), 0);
	risk_free(r);
}

static void
test_loss_limit(void **state)
{
	struct gameplan gp;
	struct risk *r;
	struct sm_intent in;

	(void)state;
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, CAPITAL));
	assert_false(risk_loss_limit_hit(r));
	fill(r, "SPY", SM_BUY, 50, 100);
	risk_mark(r, "SPY", 96, 96, 96.5);	/* -175 */
	assert_false(risk_loss_limit_hit(r));
	fill(r, "QQQ", SM_BUY, 1, 400);
	eq(risk_pnl(r), -175);
	risk_mark(r, "SPY", 96, 96, 96);	/* -200: exactly 2 % */
	eq(risk_pnl(r), -200);
	assert_true(risk_loss_limit_hit(r));
	/* what would add exposure is refused: more, a new position, a flip */
	in = intent("SPY", SM_BUY, 1);
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	in = intent("QQQ", SM_BUY, 1);
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	in = intent("QQQ", SM_SELL, 2);
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	in = intent("SPY", SM_SELL, 51);
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	/* reducing toward zero passes, down to flat */
	in = intent("SPY", SM_SELL, 20);
	assert_int_equal(check(r, &in, 0, NULL), RISK_OK);
	eq(pos_field(r, "SPY", "realized"), -80);
	in = intent("SPY", SM_SELL, 30);
	assert_int_equal(check(r, &in, 0, NULL), RISK_OK);
	eq(pos_field(r, "SPY", "position"), 0);
	/* the realized loss still holds the limit */
	eq(risk_pnl(r), -200);
	assert_true(risk_loss_limit_hit(r));
	in = intent("SPY", SM_SELL, 1);
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	/* a gain elsewhere brings it back under */
	risk_mark(r, "QQQ", 400, 402, 401);
	eq(risk_pnl(r), -199);
	assert_false(risk_loss_limit_hit(r));
	assert_int_equal(check(r, &in, 0, NULL), RISK_OK);
	risk_free(r);

	/* a loss in a short, and a plan with a wider limit (500) */
	plan_init(&gp);
	gp.max_daily_loss_pct = 5;
	assert_non_null(r = risk_new(&gp, CAPITAL));
	fill(r, "SPY", SM_SELL, 50, 100);
	risk_mark(r, "SPY", 109, 109, 109);	/* -450 */
	assert_false(risk_loss_limit_hit(r));
	risk_mark(r, "SPY", 110, 110, 110);	/* -500 */
	assert_true(risk_loss_limit_hit(r));
	in = intent("SPY", SM_SELL, 1);
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	in = intent("SPY", SM_BUY, 75);	/* cover and flip long: refused */
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	in = intent("SPY", SM_BUY, 50);
	assert_int_equal(check(r, &in, 0, NULL), RISK_OK);
	eq(pos_field(r, "SPY", "realized"), -500);
	risk_free(r);

	/* no capital to measure against: the limit counts as hit */
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, 0));
	assert_true(risk_loss_limit_hit(r));
	in = intent("SPY", SM_BUY, 1);
	risk_mark(r, "SPY", 100, 100, 100);
	assert_int_equal(check(r, &in, 0, NULL), RISK_DAILY_LOSS);
	risk_free(r);
}

static enum risk_rule
at(struct risk *r, int wday, int h, int m)
{
	struct sm_intent in = intent("SPY", SM_BUY, 1);
	struct tm t = ny(wday, h, m);

	return risk_check(r, &in, 1, GP_STRATEGY_A, &t, 0, 0, NULL);
}

static void
test_hours(void **state)
{
	struct gameplan gp;
	struct risk *r;
	struct tm t;
	int d;

	(void)state;
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, CAPITAL));
	for (d = 1; d <= 5; d++) {	/* Monday to Friday */
		assert_int_equal(at(r, d, 9, 29), RISK_HOURS);
		assert_int_equal(at(r, d, 9, 30), RISK_OK);
		assert_int_equal(at(r, d, 12, 0), RISK_OK);
		assert_int_equal(at(r, d, 15, 59), RISK_OK);
		assert_int_equal(at(r, d, 16, 0), RISK_HOURS);
		assert_int_equal(at(r, d, 0, 0), RISK_HOURS);
		assert_int_equal(at(r, d, 23, 59), RISK_HOURS);
	}
	assert_int_equal(at(r, 6, 10, 0), RISK_HOURS);	/* Saturday */
	assert_int_equal(at(r, 0, 10, 0), RISK_HOURS);	/* Sunday */
	assert_int_equal(at(r, 0, 15, 59), RISK_HOURS);
	t = ny(3, 9, 30);
	assert_true(risk_regular_hours(&t));
	t = ny(3, 8, 45);
	assert_false(risk_regular_hours(&t));
	assert_false(risk_regular_hours(NULL));

	/* a plan that allows it trades at any hour and day */
	gp.allow_outside_rth = 1;
	risk_set_plan(r, &gp);
	assert_int_equal(at(r, 6, 10, 0), RISK_OK);
	assert_int_equal(at(r, 2, 20, 0), RISK_OK);
	assert_int_equal(at(r, 0, 3, 0), RISK_OK);
	risk_free(r);
}

static enum risk_rule
at_ms(struct risk *r, int64_t ms)
{
	struct sm_intent in = intent("SPY", SM_BUY, 1);

	return check(r, &in, ms, NULL);
}

static void
test_rate_window_slides(void **state)
{
	struct gameplan gp;
	struct risk *r;
	struct sm_intent bad = intent("MSFT", SM_BUY, 1);
	int i;

	(void)state;
	plan_init(&gp);
	gp.max_intents_per_minute = 3;
	assert_non_null(r = risk_new(&gp, CAPITAL));
	risk_mark(r, "SPY", 100, 100, 100);
	assert_int_equal(at_ms(r, 0), RISK_OK);
	assert_int_equal(at_ms(r, 10000), RISK_OK);
	assert_int_equal(at_ms(r, 20000), RISK_OK);
	assert_int_equal(at_ms(r, 30000), RISK_RATE);
	assert_int_equal(at_ms(r, 59999), RISK_RATE);
	/* 60 s after the first, it has left the window */
	assert_int_equal(at_ms(r, 60000), RISK_OK);
	assert_int_equal(at_ms(r, 60001), RISK_RATE);
	assert_int_equal(at_ms(r, 69999), RISK_RATE);
	assert_int_equal(at_ms(r, 70000), RISK_OK);
	/* rejected intents do not count toward the rate */
	for (i = 0; i < 100; i++)
		assert_int_equal(check(r, &bad, 200000, NULL), RISK_SYMBOL);
	assert_int_equal(at_ms(r, 200000), RISK_OK);
	assert_int_equal(at_ms(r, 200000), RISK_OK);
	assert_int_equal(at_ms(r, 200000), RISK_OK);
	assert_int_equal(at_ms(r, 200000), RISK_RATE);
	/* a reload that raises the rate applies at once */
	gp.max_intents_per_minute = 4;
	risk_set_plan(r, &gp);
	assert_int_equal(at_ms(r, 200001), RISK_OK);
	assert_int_equal(at_ms(r, 200002), RISK_RATE);
	/* and one that lowers it waits for the window to drain */
	gp.max_intents_per_minute = 1;
	risk_set_plan(r, &gp);
	assert_int_equal(at_ms(r, 259999), RISK_RATE);
	assert_int_equal(at_ms(r, 260001), RISK_OK);
	assert_int_equal(at_ms(r, 260002), RISK_RATE);
	assert_int_equal(risk_accepted(r), 10);
	risk_free(r);

	/* the largest rate a plan may give */
	plan_init(&gp);
	gp.max_intents_per_minute = 10000;
	gp.allow_outside_rth = 1;
	gp.symbols[0].max_position = 1000000;
	gp.max_single_position = 1000000;
	assert_non_null(r = risk_new(&gp, CAPITAL));
	risk_mark(r, "SPY", 100, 100, 100);
	for (i = 0; i < 10000; i++)
		assert_int_equal(at_ms(r, i), RISK_OK);
	assert_int_equal(at_ms(r, 10000), RISK_RATE);
	assert_int_equal(at_ms(r, 60000), RISK_OK);
	assert_int_equal(at_ms(r, 60000), RISK_RATE);
	risk_free(r);
}

static void
test_set_plan_keeps_book(void **state)
{
	struct gameplan gp;
	struct risk *r;
	struct sm_intent in;
	json_t *o;

	(void)state;
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, CAPITAL));
	fill(r, "SPY", SM_BUY, 60, 100);
	fill(r, "QQQ", SM_BUY, 10, 400);
	/* the new plan: SPY limited to 40, QQQ gone, IWM new */
	memset(gp.symbols, 0, sizeof(gp.symbols));
	strcpy(gp.symbols[0].name, "SPY");
	gp.symbols[0].max_position = 40;
	strcpy(gp.symbols[1].name, "IWM");
	gp.symbols[1].max_position = 100;
	risk_set_plan(r, &gp);
	eq(pos_field(r, "SPY", "position"), 60);
	eq(pos_field(r, "SPY", "avg_cost"), 100);
	eq(pos_field(r, "QQQ", "position"), 10);
	risk_mark(r, "QQQ", 390, 390, 390);
	eq(risk_pnl(r), -100);	/* QQQ still counts */
	/* the lower limit applies to the position carried over */
	in = intent("SPY", SM_BUY, 1);
	assert_int_equal(check(r, &in, 0, NULL), RISK_POSITION);
	in = intent("SPY", SM_SELL, 10);	/* 50 > 40 still */
	assert_int_equal(check(r, &in, 0, NULL), RISK_POSITION);
	in = intent("SPY", SM_SELL, 20);
	assert_int_equal(check(r, &in, 0, NULL), RISK_OK);
	eq(pos_field(r, "SPY", "position"), 40);
	in = intent("QQQ", SM_SELL, 10);
	assert_int_equal(check(r, &in, 0, NULL), RISK_SYMBOL);
	fill(r, "IWM", SM_BUY, 5, 200);
	o = risk_positions_json(r);
	assert_int_equal(json_object_size(o), 3);
	json_decref(o);
	assert_int_equal(risk_accepted(r), 4);
	assert_int_equal(risk_rejected(r), 3);
	risk_free(r);
}

static void
test_positions_json(void **state)
{
	struct gameplan gp;
	struct risk *r;
	json_t *o, *spy;
	char *s;

	(void)state;
	plan_init(&gp);
	assert_non_null(r = risk_new(&gp, CAPITAL));
	risk_mark(r, "QQQ", 400, 401, 400.5);	/* marked, never traded */
	o = risk_positions_json(r);
	assert_true(json_is_object(o));
	assert_int_equal(json_object_size(o), 0);
	json_decref(o);
	fill(r, "SPY", SM_BUY, 10, 100);
	risk_mark(r, "SPY", 100, 101, 102.5);
	o = risk_positions_json(r);
	assert_int_equal(json_object_size(o), 1);
	spy = json_object_get(o, "SPY");
	assert_true(json_is_integer(json_object_get(spy, "position")));
	assert_int_equal(json_integer_value(json_object_get(spy, "position")), 10);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"SPY\":{\"avg_cost\":100.0,\"position\":10,"
	    "\"realized\":0.0,\"unrealized\":25.0}}");
	free(s);
	json_decref(o);
	/* flat again: listed, with what it realized */
	fill(r, "SPY", SM_SELL, 10, 99);
	eq(pos_field(r, "SPY", "position"), 0);
	eq(pos_field(r, "SPY", "realized"), -10);
	risk_free(r);
	risk_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_names),
		cmocka_unit_test(test_order_limits),
		cmocka_unit_test(test_each_rule_rejects),
		cmocka_unit_test(test_rule_order),
		cmocka_unit_test(test_fills_at_ask_and_bid),
		cmocka_unit_test(test_average_cost_and_realized),
		cmocka_unit_test(test_loss_limit),
		cmocka_unit_test(test_hours),
		cmocka_unit_test(test_rate_window_slides),
		cmocka_unit_test(test_set_plan_keeps_book),
		cmocka_unit_test(test_positions_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
