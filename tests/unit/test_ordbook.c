/*
 * Unit tests for bot-core's order book: every order life cycle the
 * gateway can lead an order through (docs/tws-protocol-orders §8.6: LMT
 * resting then filling, MKT filling at once, partial fills, cancel,
 * rejects 201/103/434, no answer then a late one, statuses after a final
 * state, repeated executions, fills before any status), the changes each
 * input emits (exactly, in order), positions and realized P&L through
 * buys, sells, shorts and flips (prices exact in binary), replay
 * equivalence, reconciliation (fills during an outage, unknown orders and
 * fills, position mismatches, orders that ended or never arrived, the
 * clean case) with the exact problem texts, the limits and memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ordbook.h"

#define ACCT "DU1234567"
#define MAXCH 64

/* The changes one or more calls emitted. */
struct rec {
	int n;
	struct ordbook_change ch[MAXCH];
};

static void
rec_fn(void *arg, const struct ordbook_change *c)
{
	struct rec *r = arg;

	assert_true(r->n < MAXCH);
	r->ch[r->n++] = *c;
}

static struct ordbook_out
out_of(struct rec *r)
{
	struct ordbook_out o = { rec_fn, r };

	memset(r, 0, sizeof(*r));
	return o;
}

static void
assert_state_ch(const struct ordbook_change *c, long long id,
    enum ordbook_state from, enum ordbook_state to, const char *why)
{
	assert_int_equal(c->kind, ORDBOOK_CH_STATE);
	assert_int_equal(c->order_id, id);
	assert_string_equal(ordbook_state_name(c->from),
	    ordbook_state_name(from));
	assert_string_equal(ordbook_state_name(c->to), ordbook_state_name(to));
	assert_string_equal(c->why, why);
}

static void
assert_fill_ch(const struct ordbook_change *c, long long id,
    const char *exec_id, int side, double shares, double price, double cum,
    double avg)
{
	assert_int_equal(c->kind, ORDBOOK_CH_FILL);
	assert_int_equal(c->order_id, id);
	assert_string_equal(c->exec_id, exec_id);
	assert_int_equal(c->side, side);
	assert_true(c->shares == shares);
	assert_true(c->price == price);
	assert_true(c->cum == cum);
	assert_true(c->avg == avg);
}

static struct ordbook_new
mk(long long id, const char *intent, const char *symbol, int side, double qty,
    int type, double lmt)
{
	struct ordbook_new n;

	memset(&n, 0, sizeof(n));
	n.order_id = id;
	snprintf(n.intent_id, sizeof(n.intent_id), "%s", intent);
	snprintf(n.account, sizeof(n.account), "%s", ACCT);
	snprintf(n.symbol, sizeof(n.symbol), "%s", symbol);
	n.side = side;
	n.qty = qty;
	n.type = type;
	n.lmt = lmt;
	n.tif = TWS_TIF_DAY;
	return n;
}

static struct tws_order_status
st(long long id, const char *status, const char *filled)
{
	struct tws_order_status s;

	memset(&s, 0, sizeof(s));
	s.order_id = id;
	snprintf(s.status, sizeof(s.status), "%s", status);
	snprintf(s.filled, sizeof(s.filled), "%s", filled);
	snprintf(s.remaining, sizeof(s.remaining), "0");
	s.perm_id = 1500000000 + id;
	return s;
}

static struct tws_open_order
oo(long long id, const char *ref, const char *symbol, const char *status)
{
	struct tws_open_order o;

	memset(&o, 0, sizeof(o));
	o.o.order_id = id;
	snprintf(o.o.order_ref, sizeof(o.o.order_ref), "%s", ref);
	snprintf(o.o.symbol, sizeof(o.o.symbol), "%s", symbol);
	snprintf(o.o.account, sizeof(o.o.account), "%s", ACCT);
	o.o.action = TWS_ACTION_BUY;
	snprintf(o.o.total_quantity, sizeof(o.o.total_quantity), "10");
	o.o.order_type = TWS_ORDER_LMT;
	o.o.has_lmt_price = 1;
	o.o.lmt_price = 450.5;
	snprintf(o.status, sizeof(o.status), "%s", status);
	o.perm_id = 1500000000 + id;
	return o;
}

static struct tws_execution
ex(long long id, const char *ref, const char *exec_id, const char *side,
    const char *shares, double price)
{
	struct tws_execution x;

	memset(&x, 0, sizeof(x));
	x.req_id = -1;
	x.order_id = id;
	snprintf(x.order_ref, sizeof(x.order_ref), "%s", ref);
	snprintf(x.exec_id, sizeof(x.exec_id), "%s", exec_id);
	snprintf(x.side, sizeof(x.side), "%s", side);
	snprintf(x.shares, sizeof(x.shares), "%s", shares);
	snprintf(x.symbol, sizeof(x.symbol), "SPY");
	snprintf(x.account, sizeof(x.account), "%s", ACCT);
	x.price = price;
	return x;
}

static struct tws_commission
com(const char *exec_id, double v)
{
	struct tws_commission c;

	memset(&c, 0, sizeof(c));
	snprintf(c.exec_id, sizeof(c.exec_id), "%s", exec_id);
	c.commission = v;
	snprintf(c.currency, sizeof(c.currency), "USD");
	c.realized_pnl = TWS_UNSET_DOUBLE;
	c.yield = TWS_UNSET_DOUBLE;
	return c;
}

static struct tws_position
pos(const char *account, const char *symbol, const char *qty, double avg)
{
	struct tws_position p;

	memset(&p, 0, sizeof(p));
	snprintf(p.account, sizeof(p.account), "%s", account);
	snprintf(p.symbol, sizeof(p.symbol), "%s", symbol);
	snprintf(p.sec_type, sizeof(p.sec_type), "STK");
	snprintf(p.position, sizeof(p.position), "%s", qty);
	p.avg_cost = avg;
	return p;
}

static struct ordbook *
book(void)
{
	struct gw_err err;
	struct ordbook *b = ordbook_new(NULL, &err);

	assert_non_null(b);
	return b;
}

static void
add(struct ordbook *b, struct ordbook_new n, int64_t now)
{
	struct gw_err err = { "" };

	if (ordbook_add(b, &n, now, &err))
		fail_msg("add: %s", err.msg);
}

static enum ordbook_state
state_of(const struct ordbook *b, long long id)
{
	struct ordbook_order o;

	assert_int_equal(ordbook_get(b, id, &o), 0);
	return o.state;
}

static void
on_status(struct ordbook *b, struct tws_order_status s, int64_t now,
    const struct ordbook_out *out)
{
	struct gw_err err = { "" };

	if (ordbook_on_status(b, &s, now, out, &err))
		fail_msg("status: %s", err.msg);
}

static void
on_open(struct ordbook *b, struct tws_open_order o, int64_t now,
    const struct ordbook_out *out)
{
	struct gw_err err = { "" };

	if (ordbook_on_open_order(b, &o, now, out, &err))
		fail_msg("open order: %s", err.msg);
}

static void
on_exec(struct ordbook *b, struct tws_execution x, int64_t now,
    const struct ordbook_out *out)
{
	struct gw_err err = { "" };

	if (ordbook_on_exec(b, &x, now, out, &err))
		fail_msg("exec: %s", err.msg);
}

static void
on_com(struct ordbook *b, struct tws_commission c,
    const struct ordbook_out *out)
{
	struct gw_err err = { "" };

	if (ordbook_on_commission(b, &c, 0, out, &err))
		fail_msg("commission: %s", err.msg);
}

/* --- life cycles --- */

static void
test_lmt_rests_then_fills(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_order o;
	struct ordbook_pos p;

	(void)state;
	add(b, mk(1, "py-1", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 100),
	    1000);
	assert_int_equal(state_of(b, 1), ORDBOOK_PENDING_SUBMIT);
	assert_int_equal(ordbook_get(b, 1, &o), 0);
	assert_string_equal(o.n.ref, "gwk:py-1");
	assert_int_equal(o.deadline_ms, 6000);

	on_open(b, oo(1, "gwk:py-1", "SPY", "PreSubmitted"), 1010, &out);
	on_status(b, st(1, "PreSubmitted", "0"), 1011, &out);
	on_open(b, oo(1, "gwk:py-1", "SPY", "Submitted"), 1020, &out);
	on_status(b, st(1, "Submitted", "0"), 1021, &out);
	assert_int_equal(r.n, 1);
	assert_state_ch(&r.ch[0], 1, ORDBOOK_PENDING_SUBMIT,
	    ORDBOOK_SUBMITTED, "status PreSubmitted");
	assert_string_equal(r.ch[0].intent_id, "py-1");
	assert_string_equal(r.ch[0].symbol, "SPY");

	/* rests: the deadline no longer applies */
	assert_int_equal(ordbook_tick(b, 60000, &out), 0);
	assert_int_equal(r.n, 1);

	on_exec(b, ex(1, "gwk:py-1", "0000e0d5.00000001.01.01", "BOT", "10",
	    99.5), 70000, &out);
	on_open(b, oo(1, "gwk:py-1", "SPY", "Filled"), 70001, &out);
	on_status(b, st(1, "Filled", "10"), 70002, &out);
	on_com(b, com("0000e0d5.00000001.01.01", 1.0), &out);
	assert_int_equal(r.n, 4);
	assert_fill_ch(&r.ch[1], 1, "0000e0d5.00000001.01.01", TWS_ACTION_BUY,
	    10, 99.5, 10, 99.5);
	assert_state_ch(&r.ch[2], 1, ORDBOOK_SUBMITTED, ORDBOOK_FILLED,
	    "fills 10 of 10");
	assert_int_equal(r.ch[3].kind, ORDBOOK_CH_COMMISSION);
	assert_string_equal(r.ch[3].exec_id, "0000e0d5.00000001.01.01");
	assert_true(r.ch[3].commission == 1.0);

	assert_int_equal(ordbook_get(b, 1, &o), 0);
	assert_int_equal(o.state, ORDBOOK_FILLED);
	assert_true(o.filled == 10 && o.avg_price == 99.5 &&
	    o.commission == 1.0);
	assert_int_equal(o.perm_id, 1500000001);
	assert_int_equal(o.changed_ms, 70000);
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == 10 && p.avg_cost == 99.5 && p.commission == 1.0);
	ordbook_free(b);
}

static void
test_mkt_fills_at_once(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_pos p;

	(void)state;
	/* sequence B of §8.6, a SELL that opens a short */
	add(b, mk(2, "py-2", "SPY", TWS_ACTION_SELL, 5, TWS_ORDER_MKT, 0), 0);
	on_open(b, oo(2, "gwk:py-2", "SPY", "PreSubmitted"), 5, &out);
	on_status(b, st(2, "PreSubmitted", "0"), 6, &out);
	on_exec(b, ex(2, "gwk:py-2", "e.2.01", "SLD", "5", 201.5), 7, &out);
	on_open(b, oo(2, "gwk:py-2", "SPY", "Filled"), 8, &out);
	on_status(b, st(2, "Filled", "5"), 9, &out);
	on_open(b, oo(2, "gwk:py-2", "SPY", "Filled"), 10, &out);
	on_com(b, com("e.2.01", 1.0), &out);
	assert_int_equal(r.n, 4);
	assert_state_ch(&r.ch[0], 2, ORDBOOK_PENDING_SUBMIT,
	    ORDBOOK_SUBMITTED, "status PreSubmitted");
	assert_fill_ch(&r.ch[1], 2, "e.2.01", TWS_ACTION_SELL, 5, 201.5, 5,
	    201.5);
	assert_state_ch(&r.ch[2], 2, ORDBOOK_SUBMITTED, ORDBOOK_FILLED,
	    "fills 5 of 5");
	assert_int_equal(r.ch[3].kind, ORDBOOK_CH_COMMISSION);
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == -5 && p.avg_cost == 201.5);
	ordbook_free(b);
}

static void
test_partial_fills(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_exposure e;

	(void)state;
	add(b, mk(3, "p", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 101), 0);
	on_status(b, st(3, "Submitted", "0"), 1, &out);
	on_exec(b, ex(3, "gwk:p", "e.3a.01", "BOT", "2", 100), 2, &out);
	on_status(b, st(3, "Submitted", "2"), 3, &out);
	on_exec(b, ex(3, "gwk:p", "e.3b.01", "BOT", "6", 101), 4, &out);
	on_status(b, st(3, "Submitted", "8"), 5, &out);
	assert_int_equal(state_of(b, 3), ORDBOOK_PARTIAL);
	ordbook_exposure(b, "SPY", NAN, &e);
	assert_int_equal(e.open_orders, 1);
	assert_true(e.buy_qty == 2 && e.buy_value == 202 && !e.unpriced);
	on_exec(b, ex(3, "gwk:p", "e.3c.01", "BOT", "2", 100), 6, &out);
	on_status(b, st(3, "Filled", "10"), 7, &out);
	assert_int_equal(r.n, 6);
	assert_state_ch(&r.ch[0], 3, ORDBOOK_PENDING_SUBMIT,
	    ORDBOOK_SUBMITTED, "status Submitted");
	assert_fill_ch(&r.ch[1], 3, "e.3a.01", TWS_ACTION_BUY, 2, 100, 2,
	    100);
	assert_state_ch(&r.ch[2], 3, ORDBOOK_SUBMITTED, ORDBOOK_PARTIAL,
	    "fills 2 of 10");
	assert_fill_ch(&r.ch[3], 3, "e.3b.01", TWS_ACTION_BUY, 6, 101, 8,
	    100.75);
	assert_fill_ch(&r.ch[4], 3, "e.3c.01", TWS_ACTION_BUY, 2, 100, 10,
	    100.6);
	assert_state_ch(&r.ch[5], 3, ORDBOOK_PARTIAL, ORDBOOK_FILLED,
	    "fills 10 of 10");
	ordbook_exposure(b, NULL, NAN, &e);
	assert_int_equal(e.open_orders, 0);
	ordbook_free(b);
}

static void
test_partial_by_status_first(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);

	(void)state;
	/* the status may run ahead of its executions */
	add(b, mk(4, "q", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 101), 0);
	on_status(b, st(4, "Submitted", "4"), 1, &out);
	assert_int_equal(r.n, 1);
	assert_state_ch(&r.ch[0], 4, ORDBOOK_PENDING_SUBMIT, ORDBOOK_PARTIAL,
	    "status Submitted, 4 of 10 filled");
	on_exec(b, ex(4, "gwk:q", "e.4.01", "BOT", "4", 100), 2, &out);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ch[1].kind, ORDBOOK_CH_FILL);
	assert_int_equal(state_of(b, 4), ORDBOOK_PARTIAL);
	ordbook_free(b);
}

static void
test_cancel(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_day d;

	(void)state;
	add(b, mk(5, "c", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	on_status(b, st(5, "Submitted", "0"), 1, &out);
	/* sequence C: Cancelled, then 202 */
	on_status(b, st(5, "Cancelled", "0"), 2, &out);
	assert_int_equal(ordbook_on_error(b, 5, 202, "Order Canceled - reason:",
	    3, &out), 0);
	assert_int_equal(r.n, 2);
	assert_state_ch(&r.ch[1], 5, ORDBOOK_SUBMITTED, ORDBOOK_CANCELLED,
	    "status Cancelled");
	ordbook_day(b, &d);
	assert_int_equal(d.stale, 0);	/* the same state again is not stale */
	assert_int_equal(d.open, 0);

	/* 202 alone (IB's price check) cancels too */
	add(b, mk(6, "c2", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 10);
	assert_int_equal(ordbook_on_error(b, 6, 202, "Order Canceled - reason:"
	    "we cannot accept your order", 11, &out), 0);
	assert_state_ch(&r.ch[2], 6, ORDBOOK_PENDING_SUBMIT, ORDBOOK_CANCELLED,
	    "error 202: Order Canceled - reason:we cannot accept your order");
	ordbook_free(b);
}

static void
test_reject_201(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_day d;

	(void)state;
	/* sequence D: PreSubmitted, 201, Inactive */
	add(b, mk(7, "r", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	on_open(b, oo(7, "gwk:r", "SPY", "PreSubmitted"), 1, &out);
	assert_int_equal(ordbook_on_error(b, 7, 201,
	    "Order rejected - reason:Exchange is closed..", 2, &out), 0);
	on_open(b, oo(7, "gwk:r", "SPY", "Inactive"), 3, &out);
	on_status(b, st(7, "Inactive", "0"), 4, &out);
	assert_int_equal(r.n, 2);
	assert_state_ch(&r.ch[1], 7, ORDBOOK_SUBMITTED, ORDBOOK_REJECTED,
	    "error 201: Order rejected - reason:Exchange is closed..");
	ordbook_day(b, &d);
	assert_int_equal(d.stale, 0);

	/* Inactive alone rejects; Inactive with whyHeld does not */
	add(b, mk(8, "r2", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	on_status(b, st(8, "Inactive", "0"), 1, &out);
	assert_state_ch(&r.ch[2], 8, ORDBOOK_PENDING_SUBMIT, ORDBOOK_REJECTED,
	    "status Inactive");
	add(b, mk(9, "r3", "SPY", TWS_ACTION_SELL, 10, TWS_ORDER_LMT, 90), 0);
	{
		struct tws_order_status s = st(9, "Inactive", "0");

		snprintf(s.why_held, sizeof(s.why_held), "locate");
		on_status(b, s, 1, &out);
	}
	assert_int_equal(state_of(b, 9), ORDBOOK_SUBMITTED);
	ordbook_free(b);
}

static void
test_reject_103_434(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);

	(void)state;
	add(b, mk(10, "d", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	add(b, mk(11, "z", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	assert_int_equal(ordbook_on_error(b, 10, 103, "Duplicate order id", 1,
	    &out), 0);
	assert_int_equal(ordbook_on_error(b, 11, 434,
	    "The order size cannot be zero.", 2, &out), 0);
	assert_int_equal(r.n, 2);
	assert_state_ch(&r.ch[0], 10, ORDBOOK_PENDING_SUBMIT,
	    ORDBOOK_REJECTED, "error 103: Duplicate order id");
	assert_state_ch(&r.ch[1], 11, ORDBOOK_PENDING_SUBMIT,
	    ORDBOOK_REJECTED, "error 434: The order size cannot be zero.");
	/* an order of someone else: not ours */
	assert_int_equal(ordbook_on_error(b, 99, 201, "x", 3, &out), 1);
	assert_int_equal(r.n, 2);
	ordbook_free(b);
}

static void
test_other_codes(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_order o;

	(void)state;
	add(b, mk(12, "w", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	add(b, mk(13, "x", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	add(b, mk(14, "y", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	/* a warning is an answer: the order lives */
	assert_int_equal(ordbook_on_error(b, 12, 2109, "Order Event Warning: "
	    "Attribute 'Outside Regular Trading Hours' is ignored", 1, &out),
	    0);
	assert_state_ch(&r.ch[0], 12, ORDBOOK_PENDING_SUBMIT,
	    ORDBOOK_SUBMITTED, "error 2109: Order Event Warning: Attribute "
	    "'Outside Regular Trading Hours' is ignored");
	/* an unknown code changes nothing but is remembered */
	assert_int_equal(ordbook_on_error(b, 13, 9999, "what", 2, &out), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(ordbook_get(b, 13, &o), 0);
	assert_int_equal(o.last_code, 9999);
	assert_int_equal(o.state, ORDBOOK_PENDING_SUBMIT);
	/* 10147: the gateway has no such order; never acknowledged: gone */
	assert_int_equal(ordbook_on_error(b, 13, 10147, "OrderId 13 that needs "
	    "to be cancelled is not found.", 3, &out), 0);
	assert_state_ch(&r.ch[1], 13, ORDBOOK_PENDING_SUBMIT, ORDBOOK_GONE,
	    "error 10147: OrderId 13 that needs to be cancelled is not "
	    "found.");
	/* ... but an acknowledged one is left to reconciliation */
	assert_int_equal(ordbook_on_error(b, 12, 10147, "", 4, &out), 0);
	assert_int_equal(state_of(b, 12), ORDBOOK_SUBMITTED);
	/* 10148: already final at the gateway, its status will say */
	on_status(b, st(14, "Submitted", "0"), 5, &out);
	assert_int_equal(ordbook_on_error(b, 14, 10148, "cannot be cancelled, "
	    "state: Filled.", 6, &out), 0);
	assert_int_equal(state_of(b, 14), ORDBOOK_SUBMITTED);
	assert_int_equal(r.n, 3);
	/* texts are quoted: control bytes never reach a reason */
	add(b, mk(15, "v", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	assert_int_equal(ordbook_on_error(b, 15, 201, "bad\nline\x01", 7,
	    &out), 0);
	assert_string_equal(r.ch[3].why, "error 201: bad?line?");
	ordbook_free(b);
}

static void
test_no_answer_unknown_then_late(void **state)
{
	struct ordbook_config cfg = { .ack_timeout_ms = 2000 };
	struct gw_err err;
	struct ordbook *b = ordbook_new(&cfg, &err);
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_exposure e;

	(void)state;
	assert_non_null(b);
	add(b, mk(20, "u", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_MKT, 0), 1000);
	add(b, mk(21, "v", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_MKT, 0), 1500);
	assert_int_equal(ordbook_tick(b, 2999, &out), 0);
	assert_int_equal(ordbook_tick(b, 3000, &out), 1);
	assert_int_equal(r.n, 1);
	assert_state_ch(&r.ch[0], 20, ORDBOOK_PENDING_SUBMIT, ORDBOOK_UNKNOWN,
	    "no answer within 2000 ms");
	assert_int_equal(ordbook_tick(b, 3400, &out), 0);	/* once */
	/* an UNKNOWN order still counts as open for the risk gate */
	ordbook_exposure(b, "SPY", 100, &e);
	assert_int_equal(e.open_orders, 2);
	assert_true(e.buy_qty == 20 && e.buy_value == 2000);
	/* the other one is answered in time */
	on_status(b, st(21, "PreSubmitted", "0"), 3450, &out);
	assert_int_equal(ordbook_tick(b, 9000, &out), 0);
	/* a late answer leaves UNKNOWN */
	on_status(b, st(20, "Submitted", "0"), 9100, &out);
	assert_int_equal(r.n, 3);
	assert_state_ch(&r.ch[2], 20, ORDBOOK_UNKNOWN, ORDBOOK_SUBMITTED,
	    "status Submitted");
	/* default deadline: 5 s */
	{
		struct ordbook *d = book();
		struct ordbook_order o;

		add(d, mk(1, "a", "SPY", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0),
		    100);
		assert_int_equal(ordbook_get(d, 1, &o), 0);
		assert_int_equal(o.deadline_ms, 5100);
		assert_int_equal(ordbook_tick(d, 5099, NULL), 0);
		assert_int_equal(ordbook_tick(d, 5100, NULL), 1);
		assert_int_equal(state_of(d, 1), ORDBOOK_UNKNOWN);
		ordbook_free(d);
	}
	ordbook_free(b);
}

static void
test_late_status_after_final(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_day d;

	(void)state;
	add(b, mk(30, "l", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	on_status(b, st(30, "Cancelled", "0"), 1, &out);
	on_status(b, st(30, "Submitted", "0"), 2, &out);
	on_open(b, oo(30, "gwk:l", "SPY", "PreSubmitted"), 3, &out);
	on_status(b, st(30, "Filled", "10"), 4, &out);
	assert_int_equal(ordbook_on_error(b, 30, 201, "late", 5, &out), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(state_of(b, 30), ORDBOOK_CANCELLED);
	ordbook_day(b, &d);
	assert_int_equal(d.stale, 4);
	ordbook_free(b);
}

static void
test_duplicate_exec_ignored(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_pos p;
	struct ordbook_day d;
	struct tws_execution x = ex(31, "gwk:e", "0000e0d5.0000001f.01.01",
	    "BOT", "4", 100);

	(void)state;
	add(b, mk(31, "e", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 100), 0);
	on_exec(b, x, 1, &out);
	x.req_id = 9002;	/* again, from reqExecutions */
	on_exec(b, x, 2, &out);
	/* IB's correction of it: other tail, not a second fill */
	snprintf(x.exec_id, sizeof(x.exec_id), "0000e0d5.0000001f.01.02");
	on_exec(b, x, 3, &out);
	assert_int_equal(r.n, 2);	/* one fill, SUBMITTED -> PARTIAL */
	assert_int_equal(r.ch[0].kind, ORDBOOK_CH_FILL);
	assert_state_ch(&r.ch[1], 31, ORDBOOK_PENDING_SUBMIT, ORDBOOK_PARTIAL,
	    "fills 4 of 10");
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == 4);
	ordbook_day(b, &d);
	assert_int_equal(d.execs, 1);
	assert_int_equal(d.dup_execs, 1);
	assert_int_equal(d.corrections, 1);
	/* a repeated commission replaces, never adds */
	on_com(b, com("0000e0d5.0000001f.01.01", 1.0), &out);
	on_com(b, com("0000e0d5.0000001f.01.01", 1.0), &out);
	assert_int_equal(r.n, 3);
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.commission == 1.0);
	/* a commission of an execution the book does not have */
	{
		struct tws_commission c = com("0000e0d5.00000099.01.01", 1);

		assert_int_equal(ordbook_on_commission(b, &c, 0, &out, NULL),
		    1);
	}
	ordbook_free(b);
}

static void
test_fills_before_status(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_day d;
	struct ordbook_order o;

	(void)state;
	add(b, mk(32, "f", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_MKT, 0), 0);
	/* matched by ref when the id is not given */
	on_exec(b, ex(0, "gwk:f", "e.32.01", "BOT", "10", 100), 1, &out);
	on_open(b, oo(32, "gwk:f", "SPY", "PreSubmitted"), 2, &out);
	on_status(b, st(32, "Filled", "10"), 3, &out);
	assert_int_equal(r.n, 2);
	assert_state_ch(&r.ch[1], 32, ORDBOOK_PENDING_SUBMIT, ORDBOOK_FILLED,
	    "fills 10 of 10");
	ordbook_day(b, &d);
	assert_int_equal(d.stale, 1);	/* the PreSubmitted */

	/* Filled first, the execution after it still counts */
	add(b, mk(33, "g", "SPY", TWS_ACTION_SELL, 4, TWS_ORDER_MKT, 0), 10);
	on_status(b, st(33, "Filled", "4"), 11, &out);
	on_exec(b, ex(33, "gwk:g", "e.33.01", "SLD", "4", 110), 12, &out);
	assert_int_equal(r.n, 4);
	assert_state_ch(&r.ch[2], 33, ORDBOOK_PENDING_SUBMIT, ORDBOOK_FILLED,
	    "status Filled");
	assert_fill_ch(&r.ch[3], 33, "e.33.01", TWS_ACTION_SELL, 4, 110, 4,
	    110);
	assert_int_equal(r.ch[3].to, ORDBOOK_FILLED);
	assert_int_equal(ordbook_get(b, 33, &o), 0);
	assert_true(o.filled == 4);
	ordbook_day(b, &d);
	assert_true(d.realized == 40);	/* 4 x (110 - 100) */
	ordbook_free(b);
}

static void
test_bad_input(void **state)
{
	struct ordbook *b = book();
	struct gw_err err;
	struct ordbook_new n;
	struct tws_execution x;
	struct tws_order_status s;
	struct tws_open_order o;

	(void)state;
	add(b, mk(40, "a", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90), 0);
	n = mk(40, "b", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90);
	assert_int_equal(ordbook_add(b, &n, 0, &err), -1);
	assert_string_equal(err.msg, "order 40: order id already in the book");
	n = mk(41, "a", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 90);
	assert_int_equal(ordbook_add(b, &n, 0, &err), -1);
	assert_string_equal(err.msg, "order 41: ref 'gwk:a' already in the "
	    "book");
	n = mk(41, "c", "SPY", TWS_ACTION_BUY, 0, TWS_ORDER_LMT, 90);
	assert_int_equal(ordbook_add(b, &n, 0, &err), -1);
	assert_string_equal(err.msg, "order 41: quantity must be > 0");
	n = mk(41, "c", "SPY", TWS_ACTION_BUY, 1, TWS_ORDER_LMT, 0);
	assert_int_equal(ordbook_add(b, &n, 0, &err), -1);
	assert_string_equal(err.msg, "order 41: LMT needs a limit price > 0");
	n = mk(0, "c", "SPY", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0);
	assert_int_equal(ordbook_add(b, &n, 0, &err), -1);
	assert_string_equal(err.msg, "order 0: order id must be > 0");
	assert_int_equal(ordbook_count(b), 1);

	x = ex(40, "gwk:a", "e.40.01", "BOT", "1x", 100);
	assert_int_equal(ordbook_on_exec(b, &x, 0, NULL, &err), -1);
	assert_string_equal(err.msg, "execution e.40.01: shares '1x' is not a "
	    "quantity");
	x = ex(40, "gwk:a", "e.40.01", "HOLD", "1", 100);
	assert_int_equal(ordbook_on_exec(b, &x, 0, NULL, &err), -1);
	assert_string_equal(err.msg, "execution e.40.01: side 'HOLD' is not "
	    "BOT or SLD");
	/* another client's order with our id but its own ref: not ours */
	x = ex(40, "theirs", "e.40.02", "BOT", "1", 100);
	assert_int_equal(ordbook_on_exec(b, &x, 0, NULL, &err), 1);
	o = oo(40, "theirs", "SPY", "Filled");
	assert_int_equal(ordbook_on_open_order(b, &o, 0, NULL, &err), 1);
	s = st(40, "Sleeping", "0");
	assert_int_equal(ordbook_on_status(b, &s, 0, NULL, &err), -1);
	assert_string_equal(err.msg, "order 40: status 'Sleeping' is not "
	    "known");
	s = st(40, "Submitted", "ten");
	assert_int_equal(ordbook_on_status(b, &s, 0, NULL, &err), -1);
	assert_string_equal(err.msg, "orderStatus: filled 'ten' is not a "
	    "quantity");
	assert_int_equal(state_of(b, 40), ORDBOOK_PENDING_SUBMIT);
	ordbook_free(b);
}

static void
test_limits_and_memory(void **state)
{
	struct ordbook_config cfg = { .max_orders = 3, .max_execs = 2 };
	struct gw_err err;
	struct ordbook *b = ordbook_new(&cfg, &err);
	struct ordbook_new n;
	struct tws_execution x;
	char id[32], eid[32];
	int i;

	(void)state;
	assert_non_null(b);
	for (i = 1; i <= 3; i++) {
		snprintf(id, sizeof(id), "i%d", i);
		add(b, mk(i, id, "SPY", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0),
		    0);
	}
	n = mk(4, "i4", "SPY", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0);
	assert_int_equal(ordbook_add(b, &n, 0, &err), -1);
	assert_string_equal(err.msg, "order 4: 3 orders today: limit reached");
	on_exec(b, ex(1, "gwk:i1", "e.1.01", "BOT", "1", 10), 0, NULL);
	on_exec(b, ex(2, "gwk:i2", "e.2.01", "BOT", "1", 10), 0, NULL);
	x = ex(3, "gwk:i3", "e.3.01", "BOT", "1", 10);
	assert_int_equal(ordbook_on_exec(b, &x, 0, NULL, &err), -1);
	assert_string_equal(err.msg, "execution e.3.01: 2 executions today: "
	    "limit reached");
	ordbook_free(b);

	/* 1000 orders with a fill and a commission each: well under 1 MiB;
	 * the tables keep finding every one of them */
	b = book();
	for (i = 1; i <= 1000; i++) {
		snprintf(id, sizeof(id), "intent-%d", i);
		snprintf(eid, sizeof(eid), "0000e0d5.%08x.01.01", i);
		add(b, mk(i, id, i % 2 ? "SPY" : "QQQ", TWS_ACTION_BUY, 1,
		    TWS_ORDER_MKT, 0), i);
		on_exec(b, ex(i, "", eid, "BOT", "1", 10), i, NULL);
		on_com(b, com(eid, 0.5), NULL);
	}
	assert_true(ordbook_mem(b) < 1024 * 1024 / 2 + 1024 * 128);
	for (i = 1; i <= 1000; i++) {
		struct ordbook_order o;

		snprintf(id, sizeof(id), "gwk:intent-%d", i);
		assert_int_equal(ordbook_find_ref(b, id, &o), 0);
		assert_int_equal(o.n.order_id, i);
		assert_int_equal(o.state, ORDBOOK_FILLED);
	}
	{
		struct ordbook_day d;

		ordbook_day(b, &d);
		assert_int_equal(d.orders, 1000);
		assert_int_equal(d.execs, 1000);
		assert_true(d.commission == 500);
	}
	ordbook_free(b);
}

/* --- positions and P&L --- */

static void
fill(struct ordbook *b, long long id, const char *sym, int side, double qty,
    double px)
{
	char intent[32], eid[32], sh[32];

	snprintf(intent, sizeof(intent), "pl-%lld", id);
	snprintf(eid, sizeof(eid), "e.%lld.01", id);
	snprintf(sh, sizeof(sh), "%g", qty);
	add(b, mk(id, intent, sym, side, qty, TWS_ORDER_MKT, 0), id);
	on_exec(b, ex(id, "", eid, side == TWS_ACTION_BUY ? "BOT" : "SLD", sh,
	    px), id, NULL);
	on_com(b, com(eid, 1.0), NULL);
}

static void
test_positions_pnl(void **state)
{
	struct ordbook *b = book();
	struct ordbook_pos p;
	struct ordbook_day d;

	(void)state;
	fill(b, 1, "SPY", TWS_ACTION_BUY, 10, 100);
	fill(b, 2, "SPY", TWS_ACTION_BUY, 10, 110);
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == 20 && p.avg_cost == 105 && p.realized == 0);
	assert_true(ordbook_unrealized(&p, 106) == 20);
	assert_true(ordbook_unrealized(&p, NAN) == 0);
	fill(b, 3, "SPY", TWS_ACTION_SELL, 15, 120);	/* +15 x 15 */
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == 5 && p.avg_cost == 105 && p.realized == 225);
	fill(b, 4, "SPY", TWS_ACTION_SELL, 10, 100);	/* -5 x 5, short 5 */
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == -5 && p.avg_cost == 100 && p.realized == 200);
	assert_true(ordbook_unrealized(&p, 98) == 10);
	fill(b, 5, "SPY", TWS_ACTION_BUY, 5, 90);	/* +5 x 10, flat */
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == 0 && p.avg_cost == 0 && p.realized == 250);
	assert_true(p.commission == 5);

	/* a short first: sell 10 at 50, cover 4 at 40 */
	fill(b, 6, "QQQ", TWS_ACTION_SELL, 10, 50);
	fill(b, 7, "QQQ", TWS_ACTION_BUY, 4, 40);
	assert_int_equal(ordbook_position(b, "QQQ", &p), 0);
	assert_true(p.qty == -6 && p.avg_cost == 50 && p.realized == 40);
	assert_true(ordbook_unrealized(&p, 55) == -30);

	ordbook_day(b, &d);
	assert_true(d.realized == 290 && d.commission == 7);
	assert_int_equal(d.orders, 7);
	assert_int_equal(ordbook_position_count(b), 2);
	assert_int_equal(ordbook_position(b, "IWM", &p), -1);
	assert_string_equal(p.symbol, "IWM");
	assert_true(p.qty == 0);
	ordbook_free(b);
}

/* --- replay --- */

/* What the journal would have written: the places and every change. */
struct journal {
	int n_place;
	struct ordbook_new place[8];
	int64_t place_ms[8];
	struct rec ch;
};

static void
journal_replay(struct ordbook *b, const struct journal *j)
{
	struct gw_err err = { "" };
	int i;

	for (i = 0; i < j->n_place; i++)
		if (ordbook_replay_place(b, &j->place[i], j->place_ms[i], &err))
			fail_msg("replay place: %s", err.msg);
	for (i = 0; i < j->ch.n; i++) {
		const struct ordbook_change *c = &j->ch.ch[i];
		int rc = 0;

		switch (c->kind) {
		case ORDBOOK_CH_STATE:
			rc = ordbook_replay_state(b, c->order_id, c->to, 0,
			    &err);
			break;
		case ORDBOOK_CH_FILL:
			rc = ordbook_replay_fill(b, c->order_id, c->exec_id,
			    c->side, c->shares, c->price, 0, &err);
			break;
		case ORDBOOK_CH_COMMISSION:
			rc = ordbook_replay_commission(b, c->exec_id,
			    c->commission, &err);
			break;
		}
		if (rc)
			fail_msg("replay %d: %s", i, err.msg);
	}
}

static void
assert_same_book(const struct ordbook *a, const struct ordbook *b)
{
	struct ordbook_day da, db;
	size_t i;

	assert_int_equal(ordbook_count(a), ordbook_count(b));
	for (i = 0; i < ordbook_count(a); i++) {
		struct ordbook_order oa, ob;

		assert_int_equal(ordbook_order_at(a, i, &oa), 0);
		assert_int_equal(ordbook_order_at(b, i, &ob), 0);
		assert_int_equal(oa.n.order_id, ob.n.order_id);
		assert_string_equal(oa.n.ref, ob.n.ref);
		assert_string_equal(ordbook_state_name(oa.state),
		    ordbook_state_name(ob.state));
		assert_true(oa.filled == ob.filled);
		assert_true(oa.avg_price == ob.avg_price);
		assert_true(oa.commission == ob.commission);
	}
	assert_int_equal(ordbook_position_count(a), ordbook_position_count(b));
	for (i = 0; i < ordbook_position_count(a); i++) {
		struct ordbook_pos pa, pb;

		assert_int_equal(ordbook_position_at(a, i, &pa), 0);
		assert_int_equal(ordbook_position_at(b, i, &pb), 0);
		assert_string_equal(pa.symbol, pb.symbol);
		assert_true(pa.qty == pb.qty && pa.avg_cost == pb.avg_cost &&
		    pa.realized == pb.realized &&
		    pa.commission == pb.commission);
	}
	ordbook_day(a, &da);
	ordbook_day(b, &db);
	assert_int_equal(da.orders, db.orders);
	assert_int_equal(da.open, db.open);
	assert_int_equal(da.execs, db.execs);
	assert_true(da.realized == db.realized &&
	    da.commission == db.commission);
}

static void
test_replay_equivalence(void **state)
{
	struct ordbook *live = book(), *again = book(), *twice = book();
	struct journal j;
	struct ordbook_out out = out_of(&j.ch);
	struct ordbook_order o;
	int i;

	(void)state;
	j.n_place = 0;
	j.place[j.n_place] = mk(1, "a", "SPY", TWS_ACTION_BUY, 10,
	    TWS_ORDER_LMT, 100);
	j.place_ms[j.n_place++] = 0;
	j.place[j.n_place] = mk(2, "b", "SPY", TWS_ACTION_SELL, 4,
	    TWS_ORDER_MKT, 0);
	j.place_ms[j.n_place++] = 0;
	j.place[j.n_place] = mk(3, "c", "QQQ", TWS_ACTION_BUY, 6,
	    TWS_ORDER_LMT, 50);
	j.place_ms[j.n_place++] = 0;
	j.place[j.n_place] = mk(4, "d", "QQQ", TWS_ACTION_BUY, 6,
	    TWS_ORDER_LMT, 50);
	j.place_ms[j.n_place++] = 0;
	j.place[j.n_place] = mk(5, "e", "IWM", TWS_ACTION_BUY, 1,
	    TWS_ORDER_MKT, 0);
	j.place_ms[j.n_place++] = 0;
	for (i = 0; i < j.n_place; i++)
		add(live, j.place[i], 0);

	on_status(live, st(1, "Submitted", "0"), 1, &out);
	on_exec(live, ex(1, "", "e.1a.01", "BOT", "6", 100), 2, &out);
	on_exec(live, ex(1, "", "e.1b.01", "BOT", "4", 99.5), 3, &out);
	on_com(live, com("e.1a.01", 1.0), &out);
	on_com(live, com("e.1b.01", 0.5), &out);
	on_exec(live, ex(2, "", "e.2.01", "SLD", "4", 102), 4, &out);
	on_status(live, st(2, "Filled", "4"), 5, &out);
	on_com(live, com("e.2.01", 1.0), &out);
	on_status(live, st(3, "Submitted", "0"), 6, &out);
	on_exec(live, ex(3, "", "e.3.01", "BOT", "2", 50), 7, &out);
	assert_int_equal(ordbook_on_error(live, 3, 202, "", 8, &out), 0);
	assert_int_equal(ordbook_on_error(live, 4, 201, "no", 9, &out), 0);
	assert_int_equal(ordbook_tick(live, 10000, &out), 1);	/* 5 */

	journal_replay(again, &j);
	assert_same_book(live, again);
	assert_int_equal(ordbook_get(again, 5, &o), 0);
	assert_int_equal(o.state, ORDBOOK_UNKNOWN);
	assert_int_equal(o.deadline_ms, 0);	/* replay arms nothing */
	assert_int_equal(ordbook_tick(again, 99999, NULL), 0);

	/* the same records twice: the same book */
	journal_replay(twice, &j);
	journal_replay(twice, &j);
	assert_same_book(live, twice);

	/* records that cannot apply */
	{
		struct gw_err err;
		struct ordbook_new n = mk(1, "other", "SPY", TWS_ACTION_BUY, 1,
		    TWS_ORDER_MKT, 0);

		assert_int_equal(ordbook_replay_state(again, 77,
		    ORDBOOK_FILLED, 0, &err), -1);
		assert_string_equal(err.msg, "replay: order 77 is not in the "
		    "book");
		assert_int_equal(ordbook_replay_place(again, &n, 0, &err), -1);
		assert_string_equal(err.msg, "order 1: order id already in "
		    "the book");
		/* a state record never moves a final order */
		assert_int_equal(ordbook_replay_state(again, 2,
		    ORDBOOK_SUBMITTED, 0, &err), 0);
		assert_int_equal(state_of(again, 2), ORDBOOK_FILLED);
	}
	ordbook_free(twice);
	ordbook_free(again);
	ordbook_free(live);
}

/* --- reconciliation --- */

static void
assert_problem(const struct ordbook_recon *r, unsigned i,
    enum ordbook_problem_kind kind, const char *text)
{
	assert_true(i < r->n_problem);
	assert_string_equal(ordbook_problem_name(r->problem[i].kind),
	    ordbook_problem_name(kind));
	assert_string_equal(r->problem[i].text, text);
}

static void
reconcile(struct ordbook *b, const struct ordbook_snapshot *s,
    struct ordbook_recon *r, const struct ordbook_out *out)
{
	struct gw_err err = { "" };

	if (ordbook_reconcile(b, s, 50000, r, out, &err))
		fail_msg("reconcile: %s", err.msg);
}

/* Order ids are numbered per API client: another client's order 5 (its
 * status, its open order, its fill) is not our order 5, live or at a
 * reconciliation; an order from a journal without client ids matches any. */
static void
test_other_client_same_id(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_recon rep;
	struct ordbook_snap_order so[2];
	struct tws_position tp[1];
	struct ordbook_snapshot s = { ACCT, so, 2, NULL, 0, tp, 1 };
	struct ordbook_new n = mk(5, "mine", "SPY", TWS_ACTION_BUY, 10,
	    TWS_ORDER_LMT, 90);
	struct tws_order_status fs = st(5, "Filled", "10");
	struct tws_open_order fo = oo(5, "", "SPY", "Filled");
	struct tws_execution fx = ex(5, "theirs", "e.9.01", "BOT", "10", 90);
	struct gw_err err = { "" };
	struct tws_order_status ms = st(5, "Submitted", "0");

	(void)state;
	n.client_id = 7;
	add(b, n, 0);
	ms.client_id = 7;
	on_status(b, ms, 1, &out);
	assert_int_equal(r.n, 1);	/* pending-submit -> submitted */
	fs.client_id = fo.client_id = fx.client_id = 3;
	r.n = 0;
	assert_int_equal(ordbook_on_status(b, &fs, 2, &out, &err), 1);
	assert_int_equal(ordbook_on_open_order(b, &fo, 2, &out, &err), 1);
	assert_int_equal(ordbook_on_exec(b, &fx, 2, &out, &err), 1);
	assert_int_equal(r.n, 0);
	assert_int_equal(state_of(b, 5), ORDBOOK_SUBMITTED);

	/* both at a reconciliation: ours is seen, theirs is unknown */
	memset(so, 0, sizeof(so));
	so[0].oo = oo(5, "gwk:mine", "SPY", "Submitted");
	so[0].oo.client_id = 7;
	so[1].oo = fo;
	so[1].oo.o.order_type = TWS_ORDER_MKT;
	so[1].oo.o.has_lmt_price = 0;
	snprintf(so[1].oo.status, sizeof(so[1].oo.status), "Submitted");
	tp[0] = pos(ACCT, "SPY", "0", 0);
	reconcile(b, &s, &rep, &out);
	assert_false(rep.ok);
	assert_int_equal(rep.open, 1);
	assert_int_equal(rep.gone + rep.cancelled + rep.filled, 0);
	assert_int_equal(rep.n_problem, 1);
	assert_problem(&rep, 0, ORDBOOK_PROB_UNKNOWN_ORDER, "unknown order 5 "
	    "at the gateway: SPY BUY 10 MKT, ref '': not placed by bot-core");
	assert_int_equal(state_of(b, 5), ORDBOOK_SUBMITTED);
	ordbook_free(b);

	/* an order replayed from a journal that kept no client id: an open
	 * order or a fill without our ref is not ours; one with it is, and
	 * teaches the client id, so another client's status is then not */
	b = book();
	n.client_id = -1;
	add(b, n, 0);
	fo.o.order_ref[0] = '\0';
	assert_int_equal(ordbook_on_open_order(b, &fo, 1, NULL, &err), 1);
	fx.order_ref[0] = '\0';
	assert_int_equal(ordbook_on_exec(b, &fx, 1, NULL, &err), 1);
	assert_int_equal(state_of(b, 5), ORDBOOK_PENDING_SUBMIT);
	snprintf(so[0].oo.status, sizeof(so[0].oo.status), "Submitted");
	on_open(b, so[0].oo, 2, NULL);		/* ours: client 7, our ref */
	assert_int_equal(state_of(b, 5), ORDBOOK_SUBMITTED);
	assert_int_equal(ordbook_on_status(b, &fs, 3, NULL, &err), 1);
	assert_int_equal(state_of(b, 5), ORDBOOK_SUBMITTED);
	ordbook_free(b);
}

static void
test_recon_clean(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_recon rep;
	struct ordbook_snap_order so[1];
	struct ordbook_snap_exec se[1];
	struct tws_position tp[2];
	struct ordbook_snapshot s = { ACCT, so, 1, se, 1, tp, 2 };

	(void)state;
	fill(b, 1, "SPY", TWS_ACTION_BUY, 10, 100);
	add(b, mk(2, "open", "SPY", TWS_ACTION_BUY, 5, TWS_ORDER_LMT, 90), 0);
	on_status(b, st(2, "Submitted", "0"), 1, NULL);

	memset(so, 0, sizeof(so));
	so[0].oo = oo(2, "gwk:open", "SPY", "Submitted");
	so[0].st = st(2, "Submitted", "0");
	so[0].has_status = 1;
	memset(se, 0, sizeof(se));
	se[0].x = ex(1, "gwk:pl-1", "e.1.01", "BOT", "10", 100);
	se[0].x.req_id = 9002;
	se[0].c = com("e.1.01", 1.0);
	se[0].has_commission = 1;
	tp[0] = pos(ACCT, "SPY", "10", 100.1);
	tp[1] = pos("DU7654321", "AAPL", "100", 200);	/* other account */
	reconcile(b, &s, &rep, &out);
	assert_true(rep.ok);
	assert_int_equal(rep.problems, 0);
	assert_int_equal(rep.orders, 2);
	assert_int_equal(rep.open, 1);
	assert_int_equal(rep.gw_open, 1);
	assert_int_equal(rep.adopted_fills, 0);
	assert_int_equal(rep.gone + rep.cancelled + rep.filled, 0);
	assert_int_equal(r.n, 0);	/* nothing changed */
	ordbook_free(b);
}

static void
test_recon_fills_during_outage(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_recon rep;
	struct ordbook_snap_exec se[3];
	struct tws_position tp[1];
	struct ordbook_snapshot s = { ACCT, NULL, 0, se, 3, tp, 1 };
	struct ordbook_order o;
	struct ordbook_pos p;

	(void)state;
	add(b, mk(1, "x", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 100), 0);
	on_status(b, st(1, "Submitted", "0"), 1, NULL);
	on_exec(b, ex(1, "gwk:x", "e.1a.01", "BOT", "4", 100), 2, NULL);
	/* the session is lost; the rest fills meanwhile */
	memset(se, 0, sizeof(se));
	se[0].x = ex(1, "gwk:x", "e.1a.01", "BOT", "4", 100);	/* known */
	se[1].x = ex(1, "gwk:x", "e.1b.01", "BOT", "6", 99);
	se[1].c = com("e.1b.01", 1.5);
	se[1].has_commission = 1;
	/* another client's execution: not ours, ignored */
	se[2].x = ex(1, "", "e.9.01", "BOT", "50", 10);
	se[2].x.order_id = 0;
	tp[0] = pos(ACCT, "SPY", "10", 99.4);
	reconcile(b, &s, &rep, &out);
	assert_true(rep.ok);
	assert_int_equal(rep.adopted_fills, 1);
	assert_int_equal(rep.open, 0);
	assert_int_equal(r.n, 3);
	assert_fill_ch(&r.ch[0], 1, "e.1b.01", TWS_ACTION_BUY, 6, 99, 10,
	    99.4);
	assert_state_ch(&r.ch[1], 1, ORDBOOK_PARTIAL, ORDBOOK_FILLED,
	    "fills 10 of 10");
	assert_int_equal(r.ch[2].kind, ORDBOOK_CH_COMMISSION);
	assert_int_equal(ordbook_get(b, 1, &o), 0);
	assert_true(o.commission == 1.5);
	assert_int_equal(ordbook_position(b, "SPY", &p), 0);
	assert_true(p.qty == 10);

	/* the same snapshot again (another reconnect): nothing new */
	out = out_of(&r);
	reconcile(b, &s, &rep, &out);
	assert_true(rep.ok);
	assert_int_equal(rep.adopted_fills, 0);
	assert_int_equal(r.n, 0);
	ordbook_free(b);
}

static void
test_recon_unknown_order(void **state)
{
	struct ordbook *b = book();
	struct ordbook_recon rep;
	struct ordbook_snap_order so[4];
	struct ordbook_snap_exec se[1];
	struct ordbook_snapshot s = { ACCT, so, 4, se, 1, NULL, 0 };

	(void)state;
	memset(so, 0, sizeof(so));
	so[0].oo = oo(7, "gwk:ghost", "SPY", "Submitted");
	so[1].oo = oo(8, "", "QQQ", "PreSubmitted");	/* manual */
	so[1].oo.o.order_type = TWS_ORDER_MKT;
	so[1].oo.o.action = TWS_ACTION_SELL;
	so[2].oo = oo(9, "", "IWM", "Submitted");	/* another account */
	snprintf(so[2].oo.o.account, sizeof(so[2].oo.o.account), "DU7654321");
	so[3].oo = oo(10, "", "DIA", "Filled");		/* not open */
	memset(se, 0, sizeof(se));
	se[0].x = ex(12, "gwk:lost", "e.12.01", "BOT", "3", 100);
	reconcile(b, &s, &rep, NULL);
	assert_false(rep.ok);
	assert_int_equal(rep.problems, 3);
	assert_int_equal(rep.gw_open, 2);
	assert_problem(&rep, 0, ORDBOOK_PROB_UNKNOWN_FILL, "unknown fill "
	    "e.12.01 of order 12 at the gateway: SPY BOT 3 at 100, ref "
	    "'gwk:lost': not in bot-core's book");
	assert_problem(&rep, 1, ORDBOOK_PROB_UNKNOWN_ORDER, "unknown order 7 "
	    "at the gateway: SPY BUY 10 LMT 450.5, ref 'gwk:ghost': not in "
	    "bot-core's book");
	assert_problem(&rep, 2, ORDBOOK_PROB_UNKNOWN_ORDER, "unknown order 8 "
	    "at the gateway: QQQ SELL 10 MKT, ref '': not placed by bot-core");
	assert_int_equal(rep.problem[1].order_id, 7);
	assert_string_equal(rep.problem[2].symbol, "QQQ");
	assert_int_equal(ordbook_count(b), 0);	/* nothing adopted */
	ordbook_free(b);
}

static void
test_recon_position_mismatch(void **state)
{
	struct ordbook *b = book();
	struct ordbook_recon rep;
	struct tws_position tp[4];
	struct ordbook_snapshot s = { ACCT, NULL, 0, NULL, 0, tp, 4 };
	struct ordbook_config cfg = { .adopt_positions = 1 };
	struct gw_err err;
	struct ordbook_pos p;

	(void)state;
	fill(b, 1, "SPY", TWS_ACTION_BUY, 10, 100);
	fill(b, 2, "QQQ", TWS_ACTION_BUY, 3, 100);
	tp[0] = pos(ACCT, "SPY", "15", 100);
	tp[1] = pos(ACCT, "AAPL", "-5", 201.94);
	tp[2] = pos(ACCT, "IWM", "0", 0);	/* closed earlier: fine */
	tp[3] = pos("DU7654321", "QQQ", "3", 100);	/* not the account */
	reconcile(b, &s, &rep, NULL);
	assert_false(rep.ok);
	assert_int_equal(rep.problems, 3);
	assert_problem(&rep, 0, ORDBOOK_PROB_POSITION,
	    "position mismatch SPY: book 10, gateway 15");
	assert_problem(&rep, 1, ORDBOOK_PROB_POSITION,
	    "position mismatch QQQ: book 3, gateway 0");
	assert_problem(&rep, 2, ORDBOOK_PROB_POSITION,
	    "position mismatch AAPL: book none, gateway -5 (not traded by "
	    "bot-core)");
	assert_string_equal(rep.problem[2].symbol, "AAPL");
	ordbook_free(b);

	/* an option on the same symbol is not the book's stock position */
	b = book();
	fill(b, 1, "SPY", TWS_ACTION_BUY, 10, 100);
	tp[0] = pos(ACCT, "SPY", "10", 100);
	tp[1] = pos(ACCT, "SPY", "-2", 3.5);
	snprintf(tp[1].sec_type, sizeof(tp[1].sec_type), "OPT");
	tp[2] = pos(ACCT, "QQQ", "1", 300);
	snprintf(tp[2].sec_type, sizeof(tp[2].sec_type), "OPT");
	s.n_positions = 3;
	reconcile(b, &s, &rep, NULL);
	assert_true(rep.ok);
	ordbook_free(b);
	tp[1] = pos(ACCT, "AAPL", "-5", 201.94);
	tp[2] = pos(ACCT, "IWM", "0", 0);

	/* adopt existing positions: the first reconciliation takes them */
	b = ordbook_new(&cfg, &err);
	assert_non_null(b);
	fill(b, 1, "SPY", TWS_ACTION_BUY, 10, 100);
	tp[0] = pos(ACCT, "SPY", "10", 100);
	s.n_positions = 2;
	reconcile(b, &s, &rep, NULL);
	assert_true(rep.ok);
	assert_int_equal(rep.adopted_positions, 1);
	assert_int_equal(ordbook_position(b, "AAPL", &p), 0);
	assert_true(p.qty == -5 && p.avg_cost == 201.94 && p.adopted);
	/* later ones compare, and adopt nothing new */
	tp[1] = pos(ACCT, "AAPL", "-6", 201.94);
	tp[2] = pos(ACCT, "MSFT", "1", 400);
	s.n_positions = 3;
	reconcile(b, &s, &rep, NULL);
	assert_false(rep.ok);
	assert_int_equal(rep.adopted_positions, 0);
	assert_problem(&rep, 0, ORDBOOK_PROB_POSITION,
	    "position mismatch AAPL: book -5, gateway -6");
	assert_problem(&rep, 1, ORDBOOK_PROB_POSITION,
	    "position mismatch MSFT: book none, gateway 1 (not traded by "
	    "bot-core)");
	ordbook_free(b);
}

static void
test_recon_ended_and_gone(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_recon rep;
	struct ordbook_snap_exec se[1];
	struct tws_position tp[1];
	struct ordbook_snapshot s = { ACCT, NULL, 0, se, 1, tp, 1 };
	struct ordbook_order o;

	(void)state;
	/* partly filled, then ended at the gateway (DAY expiry) */
	add(b, mk(3, "part", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 100), 0);
	on_status(b, st(3, "Submitted", "0"), 1, NULL);
	on_exec(b, ex(3, "gwk:part", "e.3.01", "BOT", "4", 100), 2, NULL);
	/* never acknowledged */
	add(b, mk(4, "never", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_MKT, 0), 3);
	assert_int_equal(ordbook_tick(b, 9000, NULL), 1);
	/* placed, nothing heard, not even the deadline yet */
	add(b, mk(5, "quiet", "SPY", TWS_ACTION_SELL, 1, TWS_ORDER_MKT, 0),
	    8999);
	memset(se, 0, sizeof(se));
	se[0].x = ex(3, "gwk:part", "e.3.01", "BOT", "4", 100);
	tp[0] = pos(ACCT, "SPY", "4", 100);
	reconcile(b, &s, &rep, &out);
	assert_true(rep.ok);
	assert_int_equal(rep.cancelled, 1);
	assert_int_equal(rep.gone, 2);
	assert_int_equal(rep.open, 0);
	assert_int_equal(r.n, 3);
	assert_state_ch(&r.ch[0], 3, ORDBOOK_PARTIAL, ORDBOOK_CANCELLED,
	    "reconcile: ended at the gateway with 4 of 10 filled, 6 "
	    "remaining");
	assert_state_ch(&r.ch[1], 4, ORDBOOK_UNKNOWN, ORDBOOK_GONE,
	    "reconcile: not at the gateway and no fills");
	assert_state_ch(&r.ch[2], 5, ORDBOOK_PENDING_SUBMIT, ORDBOOK_GONE,
	    "reconcile: not at the gateway and no fills");
	assert_int_equal(ordbook_get(b, 5, &o), 0);
	assert_int_equal(o.deadline_ms, 0);
	assert_int_equal(ordbook_tick(b, 99999, &out), 0);
	ordbook_free(b);
}

static void
test_recon_open_order_updates(void **state)
{
	struct ordbook *b = book();
	struct rec r;
	struct ordbook_out out = out_of(&r);
	struct ordbook_recon rep;
	struct ordbook_snap_order so[1];
	struct ordbook_snapshot s = { ACCT, so, 1, NULL, 0, NULL, 0 };

	(void)state;
	/* UNKNOWN while the session was down; the gateway has it working */
	add(b, mk(6, "slow", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_LMT, 100), 0);
	assert_int_equal(ordbook_tick(b, 6000, NULL), 1);
	memset(so, 0, sizeof(so));
	so[0].oo = oo(6, "gwk:slow", "SPY", "Submitted");
	reconcile(b, &s, &rep, &out);
	assert_true(rep.ok);
	assert_int_equal(rep.open, 1);
	assert_int_equal(rep.gone, 0);
	assert_int_equal(r.n, 1);
	assert_state_ch(&r.ch[0], 6, ORDBOOK_UNKNOWN, ORDBOOK_SUBMITTED,
	    "status Submitted");
	ordbook_free(b);
}

static void
test_recon_malformed(void **state)
{
	struct ordbook *b = book();
	struct ordbook_recon rep;
	struct ordbook_snap_exec se[1];
	struct tws_position tp[1];
	struct ordbook_snapshot s = { ACCT, NULL, 0, se, 1, tp, 1 };
	struct gw_err err;

	(void)state;
	add(b, mk(1, "m", "SPY", TWS_ACTION_BUY, 10, TWS_ORDER_MKT, 0), 0);
	memset(se, 0, sizeof(se));
	se[0].x = ex(1, "gwk:m", "e.1.01", "BOT", "10", 100);
	tp[0] = pos(ACCT, "SPY", "abc", 100);
	assert_int_equal(ordbook_reconcile(b, &s, 0, &rep, NULL, &err), -1);
	assert_string_equal(err.msg, "reconcile: position: position 'abc' is "
	    "not a quantity");
	/* nothing was applied, not even the good execution */
	assert_int_equal(state_of(b, 1), ORDBOOK_PENDING_SUBMIT);
	snprintf(se[0].x.shares, sizeof(se[0].x.shares), "-1");
	tp[0] = pos(ACCT, "SPY", "10", 100);
	assert_int_equal(ordbook_reconcile(b, &s, 0, &rep, NULL, &err), -1);
	assert_string_equal(err.msg, "reconcile: execution e.1.01: shares '-1' "
	    "is not a quantity");
	ordbook_free(b);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ordbook_state_name(ORDBOOK_PENDING_SUBMIT),
	    "pending-submit");
	assert_string_equal(ordbook_state_name(ORDBOOK_GONE), "gone");
	assert_int_equal(ordbook_state_parse("partial"), ORDBOOK_PARTIAL);
	assert_int_equal(ordbook_state_parse("Partial"), -1);
	assert_true(ordbook_state_final(ORDBOOK_REJECTED));
	assert_false(ordbook_state_final(ORDBOOK_UNKNOWN));
	assert_string_equal(ordbook_problem_name(ORDBOOK_PROB_POSITION),
	    "position-mismatch");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lmt_rests_then_fills),
		cmocka_unit_test(test_mkt_fills_at_once),
		cmocka_unit_test(test_partial_fills),
		cmocka_unit_test(test_partial_by_status_first),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_reject_201),
		cmocka_unit_test(test_reject_103_434),
		cmocka_unit_test(test_other_codes),
		cmocka_unit_test(test_no_answer_unknown_then_late),
		cmocka_unit_test(test_late_status_after_final),
		cmocka_unit_test(test_duplicate_exec_ignored),
		cmocka_unit_test(test_fills_before_status),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_limits_and_memory),
		cmocka_unit_test(test_positions_pnl),
		cmocka_unit_test(test_replay_equivalence),
		cmocka_unit_test(test_other_client_same_id),
		cmocka_unit_test(test_recon_clean),
		cmocka_unit_test(test_recon_fills_during_outage),
		cmocka_unit_test(test_recon_unknown_order),
		cmocka_unit_test(test_recon_position_mismatch),
		cmocka_unit_test(test_recon_ended_and_gone),
		cmocka_unit_test(test_recon_open_order_updates),
		cmocka_unit_test(test_recon_malformed),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
