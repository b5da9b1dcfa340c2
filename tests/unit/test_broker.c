/*
 * Unit tests for gw-sim's paper broker: every order lifecycle with the
 * messages in the order of tws-protocol-orders.md §8.6 (MKT fill, LMT
 * rests then fills, partial fills, cancel, reject, 103, 10147/10148,
 * global cancel), the P&L arithmetic with exact numbers, the book's
 * invariants, the fault switches, and malformed requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "broker.h"

#define T0 1796304000	/* 2026-12-03 13:20:00 UTC */
#define EPS 1e-9

struct rec {
	size_t n;
	struct broker_msg m[64];
};

static void
record(const struct broker_msg *m, void *arg)
{
	struct rec *r = arg;

	assert_true(r->n < 64);
	r->m[r->n++] = *m;
}

/* "OSXCE" letters for the recorded kinds, to compare sequences at once. */
static const char *
kinds(const struct rec *r)
{
	static char buf[65];
	size_t i;

	for (i = 0; i < r->n; i++)
		buf[i] = "OSXCE"[r->m[i].kind];
	buf[i] = '\0';
	return buf;
}

static struct broker *
mk(double partial_above)
{
	struct broker_config c;
	struct gw_err e;
	struct broker *b;

	memset(&c, 0, sizeof(c));
	snprintf(c.account, sizeof(c.account), "DU1234567");
	c.cash = 100000;
	c.partial_above = partial_above;
	c.commission_per_share = 0.01;
	c.first_order_id = 1;
	c.first_perm_id = 1500000001;
	b = broker_new(&c, &e);
	assert_non_null(b);
	return b;
}

static struct broker_order_req
req(long long id, const char *sym, enum broker_action a, double qty,
    enum broker_type t, double lmt)
{
	struct broker_order_req r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	snprintf(r.symbol, sizeof(r.symbol), "%s", sym);
	r.action = a;
	r.qty = qty;
	r.type = t;
	r.lmt_price = lmt;
	r.tif = BROKER_DAY;
	snprintf(r.order_ref, sizeof(r.order_ref), "intent-%lld", id);
	return r;
}

static void
place(struct broker *b, struct broker_order_req r, struct rec *out)
{
	struct gw_err e;

	if (out != NULL)
		out->n = 0;
	assert_int_equal(broker_place(b, &r, T0, out ? record : NULL, out,
	    &e), 0);
}

static void
quote(struct broker *b, const char *sym, double bid, double ask, time_t now,
    struct rec *out)
{
	struct gw_err e;

	if (out != NULL)
		out->n = 0;
	assert_int_equal(broker_quote(b, sym, bid, ask, now,
	    out ? record : NULL, out, &e), 0);
}

static void
test_mkt_fills_at_once(void **state)
{
	struct broker *b = mk(0);
	struct rec r;
	const struct broker_order *o;

	(void)state;
	quote(b, "AAPL", 201.90, 201.94, T0, NULL);
	place(b, req(1, "AAPL", BROKER_BUY, 100, BROKER_MKT, 0), &r);
	/* openOrder, orderStatus Submitted; execDetails, openOrder Filled,
	 * orderStatus Filled, commissionReport (§8.6 B) */
	assert_string_equal(kinds(&r), "OSXOSC");
	assert_int_equal(r.m[0].order.status, BROKER_SUBMITTED);
	assert_int_equal(r.m[0].order.perm_id, 1500000001);
	assert_string_equal(r.m[0].order.req.account, "DU1234567");
	assert_float_equal(r.m[1].order.remaining, 100, EPS);
	assert_float_equal(r.m[2].exec.price, 201.94, EPS);	/* the ask */
	assert_float_equal(r.m[2].exec.shares, 100, EPS);
	assert_int_equal(r.m[2].exec.side, BROKER_BUY);
	assert_string_equal(r.m[2].exec.time, "20261203  13:20:00");
	assert_string_equal(r.m[2].exec.order_ref, "intent-1");
	assert_int_equal(r.m[3].order.status, BROKER_FILLED);
	assert_int_equal(r.m[4].order.status, BROKER_FILLED);
	assert_float_equal(r.m[4].order.filled, 100, EPS);
	assert_float_equal(r.m[4].order.remaining, 0, EPS);
	assert_float_equal(r.m[4].order.avg_fill_price, 201.94, EPS);
	assert_float_equal(r.m[4].order.last_fill_price, 201.94, EPS);
	assert_string_equal(r.m[5].exec.exec_id, r.m[2].exec.exec_id);
	assert_float_equal(r.m[5].exec.commission, 1.0, EPS);
	assert_false(r.m[5].exec.has_realized);
	o = broker_order_find(b, 1);
	assert_non_null(o);
	assert_false(broker_order_working(o));
	assert_int_equal(broker_next_valid_id(b), 2);

	/* a SELL fills at the bid */
	place(b, req(2, "AAPL", BROKER_SELL, 100, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OSXOSC");
	assert_float_equal(r.m[2].exec.price, 201.90, EPS);
	assert_true(r.m[5].exec.has_realized);
	assert_float_equal(r.m[5].exec.realized_pnl, -4.0, 1e-6);
	broker_free(b);
}

static void
test_mkt_without_quote_waits(void **state)
{
	struct broker *b = mk(0);
	struct rec r;

	(void)state;
	place(b, req(1, "SPY", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OS");
	quote(b, "SPY", 500, 500.02, T0 + 61, &r);
	assert_string_equal(kinds(&r), "XOSC");
	assert_float_equal(r.m[0].exec.price, 500.02, EPS);
	assert_string_equal(r.m[0].exec.time, "20261203  13:21:01");
	broker_free(b);
}

static void
test_lmt_rests_then_fills(void **state)
{
	struct broker *b = mk(0);
	struct rec r;

	(void)state;
	quote(b, "AAPL", 200, 200.05, T0, NULL);
	place(b, req(1, "AAPL", BROKER_BUY, 10, BROKER_LMT, 199.5), &r);
	assert_string_equal(kinds(&r), "OS");
	assert_int_equal(r.m[1].order.status, BROKER_SUBMITTED);
	quote(b, "AAPL", 199.49, 199.51, T0 + 1, &r);	/* ask above limit */
	assert_int_equal(r.n, 0);
	quote(b, "MSFT", 1, 2, T0 + 1, &r);		/* another symbol */
	assert_int_equal(r.n, 0);
	quote(b, "AAPL", 199.40, 199.45, T0 + 2, &r);	/* crosses */
	assert_string_equal(kinds(&r), "XOSC");
	assert_float_equal(r.m[0].exec.price, 199.45, EPS);
	assert_int_equal(r.m[2].order.status, BROKER_FILLED);

	/* a SELL limit fills when the bid reaches it */
	place(b, req(2, "AAPL", BROKER_SELL, 10, BROKER_LMT, 201), &r);
	assert_string_equal(kinds(&r), "OS");
	quote(b, "AAPL", 200.99, 201.2, T0 + 3, &r);
	assert_int_equal(r.n, 0);
	quote(b, "AAPL", 201.01, 201.2, T0 + 4, &r);
	assert_string_equal(kinds(&r), "XOSC");
	assert_float_equal(r.m[0].exec.price, 201.01, EPS);
	assert_int_equal(r.m[0].exec.side, BROKER_SELL);
	/* a marketable LMT fills at once */
	place(b, req(3, "AAPL", BROKER_BUY, 1, BROKER_LMT, 300), &r);
	assert_string_equal(kinds(&r), "OSXOSC");
	broker_free(b);
}

static void
test_partial_fills(void **state)
{
	struct broker *b = mk(100);
	struct rec r;
	const struct broker_exec *x;

	(void)state;
	quote(b, "AAPL", 10, 10, T0, NULL);
	/* 100 is not above the size: one fill */
	place(b, req(1, "AAPL", BROKER_BUY, 100, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OSXOSC");
	/* 250 fills 100, 100, 50: one part per quote */
	place(b, req(2, "AAPL", BROKER_BUY, 250, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OSXSC");
	assert_int_equal(r.m[3].order.status, BROKER_SUBMITTED);
	assert_float_equal(r.m[3].order.filled, 100, EPS);
	assert_float_equal(r.m[3].order.remaining, 150, EPS);
	quote(b, "AAPL", 11, 11, T0 + 1, &r);
	assert_string_equal(kinds(&r), "XSC");
	assert_float_equal(r.m[1].order.filled, 200, EPS);
	assert_float_equal(r.m[1].order.avg_fill_price, 10.5, EPS);
	assert_float_equal(r.m[1].order.last_fill_price, 11, EPS);
	assert_float_equal(r.m[0].exec.cum_qty, 200, EPS);
	quote(b, "AAPL", 12, 12, T0 + 2, &r);
	assert_string_equal(kinds(&r), "XOSC");
	assert_float_equal(r.m[0].exec.shares, 50, EPS);
	assert_int_equal(r.m[2].order.status, BROKER_FILLED);
	assert_float_equal(r.m[2].order.avg_fill_price, 2700.0 / 250, EPS);
	quote(b, "AAPL", 13, 13, T0 + 3, &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(broker_exec_count(b), 4);
	x = broker_exec_at(b, 3);
	assert_float_equal(x->cum_qty, 250, EPS);
	/* exec ids are unique */
	assert_string_not_equal(broker_exec_at(b, 1)->exec_id,
	    broker_exec_at(b, 2)->exec_id);
	broker_free(b);
}

static void
test_cancel_and_bad_cancels(void **state)
{
	struct broker *b = mk(0);
	struct rec r;

	(void)state;
	place(b, req(1, "AAPL", BROKER_BUY, 10, BROKER_LMT, 100), NULL);
	r.n = 0;
	broker_cancel(b, 1, record, &r);
	/* §8.6 C: orderStatus Cancelled, then 202 */
	assert_string_equal(kinds(&r), "SE");
	assert_int_equal(r.m[0].order.status, BROKER_CANCELLED);
	assert_float_equal(r.m[0].order.remaining, 10, EPS);
	assert_int_equal(r.m[1].error.id, 1);
	assert_int_equal(r.m[1].error.code, 202);
	assert_string_equal(r.m[1].error.text, "Order Canceled - reason:");
	/* a cancelled order no longer fills */
	quote(b, "AAPL", 50, 50, T0, &r);
	assert_int_equal(r.n, 0);
	r.n = 0;
	broker_cancel(b, 1, record, &r);
	assert_string_equal(kinds(&r), "E");
	assert_int_equal(r.m[0].error.code, 10148);
	assert_string_equal(r.m[0].error.text, "OrderId 1 that needs to be "
	    "cancelled cannot be cancelled, state: Cancelled.");
	r.n = 0;
	broker_cancel(b, 53, record, &r);
	assert_string_equal(kinds(&r), "E");
	assert_int_equal(r.m[0].error.id, 53);
	assert_int_equal(r.m[0].error.code, 10147);
	assert_string_equal(r.m[0].error.text,
	    "OrderId 53 that needs to be cancelled is not found.");
	/* filled */
	place(b, req(2, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), NULL);
	r.n = 0;
	broker_cancel(b, 2, record, &r);
	assert_int_equal(r.m[0].error.code, 10148);
	assert_string_equal(r.m[0].error.text, "OrderId 2 that needs to be "
	    "cancelled cannot be cancelled, state: Filled.");
	broker_free(b);
}

static void
test_duplicate_id(void **state)
{
	struct broker *b = mk(0);
	struct rec r;

	(void)state;
	place(b, req(5, "AAPL", BROKER_BUY, 10, BROKER_LMT, 100), &r);
	assert_int_equal(broker_next_valid_id(b), 6);
	place(b, req(5, "AAPL", BROKER_BUY, 10, BROKER_LMT, 100), &r);
	assert_string_equal(kinds(&r), "E");
	assert_int_equal(r.m[0].error.code, 103);
	assert_int_equal(r.m[0].error.id, 5);
	place(b, req(3, "AAPL", BROKER_BUY, 10, BROKER_LMT, 100), &r);
	assert_int_equal(r.m[0].error.code, 103);
	place(b, req(0, "AAPL", BROKER_BUY, 10, BROKER_LMT, 100), &r);
	assert_int_equal(r.m[0].error.code, 103);
	assert_int_equal(broker_order_count(b), 1);
	assert_int_equal(broker_next_valid_id(b), 6);
	/* ids may jump; permIds increase by one per order */
	place(b, req(9, "AAPL", BROKER_BUY, 10, BROKER_LMT, 100), &r);
	assert_string_equal(kinds(&r), "OS");
	assert_int_equal(r.m[0].order.perm_id, 1500000002);
	assert_int_equal(broker_next_valid_id(b), 10);
	/* zero size: 434, not placed, the id used */
	place(b, req(10, "AAPL", BROKER_BUY, 0, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "E");
	assert_int_equal(r.m[0].error.code, 434);
	assert_int_equal(broker_order_count(b), 2);
	assert_int_equal(broker_next_valid_id(b), 11);
	broker_free(b);
}

static void
test_reject_fault_and_wrong_account(void **state)
{
	struct broker *b = mk(0);
	struct rec r;
	struct broker_order_req q;

	(void)state;
	broker_fault_reject(b, 2);
	quote(b, "AAPL", 10, 10, T0, NULL);
	place(b, req(1, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	/* §8.6 D: 201, openOrder Inactive, orderStatus Inactive */
	assert_string_equal(kinds(&r), "EOS");
	assert_int_equal(r.m[0].error.code, 201);
	assert_int_equal(strncmp(r.m[0].error.text, "Order rejected - reason:",
	    24), 0);
	assert_int_equal(r.m[1].order.status, BROKER_INACTIVE);
	assert_int_equal(r.m[2].order.status, BROKER_INACTIVE);
	assert_float_equal(r.m[2].order.remaining, 10, EPS);
	place(b, req(2, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "EOS");
	place(b, req(3, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OSXOSC");	/* the third passes */
	assert_int_equal(broker_exec_count(b), 1);
	r.n = 0;
	broker_cancel(b, 1, record, &r);
	assert_int_equal(r.m[0].error.code, 10148);

	q = req(4, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0);
	snprintf(q.account, sizeof(q.account), "DU999");
	place(b, q, &r);
	assert_string_equal(kinds(&r), "EOS");
	assert_int_equal(r.m[0].error.code, 201);
	assert_string_equal(r.m[1].order.req.account, "DU999");
	q = req(5, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0);
	snprintf(q.account, sizeof(q.account), "DU1234567");
	place(b, q, &r);
	assert_string_equal(kinds(&r), "OSXOSC");
	broker_free(b);
}

static void
test_swallow_fault(void **state)
{
	struct broker *b = mk(0);
	struct rec r;

	(void)state;
	broker_fault_swallow(b, 1);
	quote(b, "AAPL", 10, 10, T0, NULL);
	place(b, req(1, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(broker_order_count(b), 0);
	assert_int_equal(broker_exec_count(b), 0);
	assert_int_equal(broker_next_valid_id(b), 2);	/* the id is used */
	r.n = 0;
	broker_cancel(b, 1, record, &r);
	assert_int_equal(r.m[0].error.code, 10147);
	place(b, req(2, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OSXOSC");
	broker_free(b);
}

static void
test_delay_fault(void **state)
{
	struct broker *b = mk(0);
	struct rec r;

	(void)state;
	broker_fault_delay(b, 2);
	quote(b, "AAPL", 10, 10, T0, NULL);
	place(b, req(1, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OS");
	quote(b, "AAPL", 10, 10, T0 + 1, &r);
	assert_int_equal(r.n, 0);
	quote(b, "MSFT", 10, 10, T0 + 1, &r);	/* not its symbol */
	quote(b, "AAPL", 10, 10, T0 + 2, &r);
	assert_int_equal(r.n, 0);
	quote(b, "AAPL", 10, 10, T0 + 3, &r);
	assert_string_equal(kinds(&r), "XOSC");
	/* off again */
	broker_fault_delay(b, 0);
	place(b, req(2, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OSXOSC");
	broker_free(b);
}

static void
test_partial_fault(void **state)
{
	struct broker *b = mk(0);
	struct rec r;
	struct gw_err e;

	(void)state;
	assert_int_equal(broker_fault_partial(b, -1, &e), -1);
	assert_string_equal(e.msg, "broker: part: not a size >= 0");
	assert_int_equal(broker_fault_partial(b, NAN, &e), -1);
	assert_int_equal(broker_fault_partial(b, 3, &e), 0);
	quote(b, "AAPL", 10, 10, T0, NULL);
	place(b, req(1, "AAPL", BROKER_BUY, 7, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OSXSC");
	assert_float_equal(r.m[2].exec.shares, 3, EPS);
	quote(b, "AAPL", 10, 10, T0, &r);
	assert_string_equal(kinds(&r), "XSC");
	quote(b, "AAPL", 10, 10, T0, &r);
	assert_string_equal(kinds(&r), "XOSC");
	assert_float_equal(r.m[0].exec.shares, 1, EPS);
	broker_free(b);
}

static void
test_global_cancel(void **state)
{
	struct broker *b = mk(0);
	struct rec r;
	size_t i;

	(void)state;
	quote(b, "AAPL", 10, 10, T0, NULL);
	place(b, req(1, "AAPL", BROKER_BUY, 10, BROKER_LMT, 5), NULL);
	place(b, req(2, "AAPL", BROKER_BUY, 10, BROKER_MKT, 0), NULL);
	place(b, req(3, "MSFT", BROKER_SELL, 10, BROKER_LMT, 500), NULL);
	r.n = 0;
	broker_global_cancel(b, record, &r);
	assert_string_equal(kinds(&r), "SESE");
	assert_int_equal(r.m[0].order.req.id, 1);
	assert_int_equal(r.m[1].error.code, 202);
	assert_int_equal(r.m[2].order.req.id, 3);
	for (i = 0; i < broker_order_count(b); i++)
		assert_false(broker_order_working(broker_order_at(b, i)));
	assert_int_equal(broker_order_at(b, 1)->status, BROKER_FILLED);
	r.n = 0;
	broker_global_cancel(b, record, &r);
	assert_int_equal(r.n, 0);
	broker_free(b);
}

/* buy 100 @ 10, sell 40 @ 12, commission 0.01 a share, marks. */
static void
test_pnl_arithmetic(void **state)
{
	struct broker *b = mk(0);
	struct broker_position p;
	struct broker_account a;
	struct rec r;

	(void)state;
	quote(b, "XYZ", 10, 10, T0, NULL);
	place(b, req(1, "XYZ", BROKER_BUY, 100, BROKER_MKT, 0), NULL);
	broker_account_values(b, &a);
	assert_float_equal(a.cash, 100000 - 1000 - 1, EPS);
	assert_float_equal(a.net_liquidation, 98999 + 1000, EPS);
	quote(b, "XYZ", 12, 12, T0 + 1, NULL);
	place(b, req(2, "XYZ", BROKER_SELL, 40, BROKER_MKT, 0), &r);
	assert_true(r.m[5].exec.has_realized);
	assert_float_equal(r.m[5].exec.realized_pnl, 80, EPS);
	assert_float_equal(r.m[5].exec.commission, 0.40, EPS);

	quote(b, "XYZ", 11, 11.2, T0 + 2, NULL);	/* mark 11.1 */
	assert_int_equal(broker_position_count(b), 1);
	broker_position_at(b, 0, &p);
	assert_string_equal(p.symbol, "XYZ");
	assert_float_equal(p.qty, 60, EPS);
	assert_float_equal(p.avg_cost, 10, EPS);
	assert_float_equal(p.realized_pnl, 80, EPS);
	assert_float_equal(p.mark, 11.1, EPS);
	assert_float_equal(p.unrealized_pnl, 66, 1e-9);
	broker_account_values(b, &a);
	assert_float_equal(a.cash, 99478.6, 1e-9);
	assert_float_equal(a.commissions, 1.4, 1e-12);
	assert_float_equal(a.realized_pnl, 80, EPS);
	assert_float_equal(a.unrealized_pnl, 66, 1e-9);
	assert_float_equal(a.gross_position_value, 666, 1e-9);
	assert_float_equal(a.net_liquidation, 100144.6, 1e-9);
	/* the identity: start + realized + unrealized - commissions */
	assert_float_equal(a.net_liquidation,
	    100000 + a.realized_pnl + a.unrealized_pnl - a.commissions, 1e-9);

	/* through zero: sell 100 more @ 9 closes 60 (-60), opens -40 @ 9 */
	quote(b, "XYZ", 9, 9.1, T0 + 3, NULL);
	place(b, req(3, "XYZ", BROKER_SELL, 100, BROKER_MKT, 0), &r);
	assert_float_equal(r.m[5].exec.realized_pnl, -60, EPS);
	broker_position_at(b, 0, &p);
	assert_float_equal(p.qty, -40, EPS);
	assert_float_equal(p.avg_cost, 9, EPS);
	assert_float_equal(p.realized_pnl, 20, EPS);
	assert_float_equal(p.unrealized_pnl, -40 * (9.05 - 9), 1e-9);
	/* cover the short at 8: +40 */
	quote(b, "XYZ", 7.9, 8, T0 + 4, NULL);
	place(b, req(4, "XYZ", BROKER_BUY, 40, BROKER_MKT, 0), &r);
	assert_float_equal(r.m[5].exec.realized_pnl, 40, EPS);
	broker_position_at(b, 0, &p);
	assert_float_equal(p.qty, 0, 0);
	assert_float_equal(p.avg_cost, 0, 0);
	assert_float_equal(p.realized_pnl, 60, EPS);
	broker_account_values(b, &a);
	assert_float_equal(a.commissions, 2.8, 1e-9);
	assert_float_equal(a.cash, 100000 + 60 - 2.8, 1e-9);
	assert_float_equal(a.net_liquidation, a.cash, 0);
	broker_free(b);
}

/* Position = sum of signed fills; cash = start - signed notional -
 * commissions; NetLiquidation = cash + qty * mark; for every order
 * filled + remaining = qty and filled = the sum of its executions. */
static void
check_invariants(const struct broker *b)
{
	struct broker_account a;
	double cash = 100000, comm = 0, nl, pos;
	size_t i, k, np = broker_position_count(b);

	broker_account_values(b, &a);
	for (i = 0; i < broker_exec_count(b); i++) {
		const struct broker_exec *x = broker_exec_at(b, i);
		double sq = x->side == BROKER_BUY ? x->shares : -x->shares;

		cash -= sq * x->price + x->commission;
		comm += x->commission;
	}
	assert_float_equal(a.cash, cash, 1e-6);
	assert_float_equal(a.commissions, comm, 1e-9);
	nl = a.cash;
	for (k = 0; k < np; k++) {
		struct broker_position p;

		broker_position_at(b, k, &p);
		pos = 0;
		for (i = 0; i < broker_exec_count(b); i++) {
			const struct broker_exec *x = broker_exec_at(b, i);

			if (strcmp(x->symbol, p.symbol) == 0)
				pos += x->side == BROKER_BUY ? x->shares :
				    -x->shares;
		}
		assert_float_equal(p.qty, pos, 1e-9);
		nl += p.qty * p.mark;
	}
	assert_float_equal(a.net_liquidation, nl, 1e-6);
	for (i = 0; i < broker_order_count(b); i++) {
		const struct broker_order *o = broker_order_at(b, i);
		double f = 0;

		assert_float_equal(o->filled + o->remaining, o->req.qty, 1e-9);
		for (k = 0; k < broker_exec_count(b); k++)
			if (broker_exec_at(b, k)->order_id == o->req.id)
				f += broker_exec_at(b, k)->shares;
		assert_float_equal(o->filled, f, 1e-9);
		if (i > 0)
			assert_true(o->perm_id > broker_order_at(b, i - 1)->perm_id);
	}
}

static void
test_invariants_over_a_day(void **state)
{
	struct broker *b = mk(30);
	static const char *const syms[] = { "AAPL", "MSFT", "SPY" };
	unsigned seed = 12345;
	long long id = 1;
	int step;

	(void)state;
	for (step = 0; step < 400; step++) {
		const char *s = syms[step % 3];
		double mid;

		seed = seed * 1103515245u + 12345u;
		mid = 100 + (seed >> 16) % 200 / 10.0;
		quote(b, s, mid - 0.05, mid + 0.05, T0 + step, NULL);
		if (step % 4 == 0) {
			place(b, req(id, s, (seed >> 8) & 1 ? BROKER_BUY :
			    BROKER_SELL, 1 + (seed >> 4) % 80,
			    (seed >> 12) & 1 ? BROKER_LMT : BROKER_MKT,
			    mid + ((seed >> 20) % 7 - 3) / 10.0), NULL);
			id++;
		}
		if (step % 37 == 0)
			broker_cancel(b, id - 2, NULL, NULL);
		check_invariants(b);
	}
	assert_true(broker_exec_count(b) > 50);
	/* fills kept coming with no client (emit NULL): all in the book */
	broker_free(b);
}

static void
test_bad_requests(void **state)
{
	struct broker *b = mk(0);
	struct broker_order_req q;
	struct broker_config c;
	struct gw_err e;
	struct rec r;

	(void)state;
	r.n = 0;
	q = req(1, "", BROKER_BUY, 1, BROKER_MKT, 0);
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	assert_string_equal(e.msg, "broker: symbol: not 1..15 printable "
	    "characters");
	q = req(1, "A\tB", BROKER_BUY, 1, BROKER_MKT, 0);
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	q = req(1, "AAPL", BROKER_BUY, 1, BROKER_MKT, 0);
	memset(q.symbol, 'A', sizeof(q.symbol));	/* no NUL */
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	q = req(1, "AAPL", (enum broker_action)7, 1, BROKER_MKT, 0);
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	assert_string_equal(e.msg, "broker: action: not BUY or SELL");
	q = req(1, "AAPL", BROKER_BUY, NAN, BROKER_MKT, 0);
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	assert_string_equal(e.msg, "broker: qty: not a finite size up to "
	    "1000000000");
	q = req(1, "AAPL", BROKER_BUY, 1, (enum broker_type)2, 0);
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	assert_string_equal(e.msg, "broker: type: not MKT or LMT");
	q = req(1, "AAPL", BROKER_BUY, 1, BROKER_LMT, 0);
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	assert_string_equal(e.msg, "broker: lmt_price: not a price > 0 for "
	    "a LMT order");
	q = req(1, "AAPL", BROKER_BUY, 1, BROKER_LMT, INFINITY);
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	q = req(1, "AAPL", BROKER_BUY, 1, BROKER_MKT, 0);
	q.tif = (enum broker_tif)9;
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	assert_string_equal(e.msg, "broker: tif: not DAY or GTC");
	q = req(1, "AAPL", BROKER_BUY, 1, BROKER_MKT, 0);
	q.order_ref[0] = '\x01';
	assert_int_equal(broker_place(b, &q, T0, record, &r, &e), -1);
	assert_string_equal(e.msg, "broker: order_ref: not up to 79 "
	    "printable characters");
	q = req(1, "AAPL", BROKER_BUY, 1, BROKER_MKT, 0);
	assert_int_equal(broker_place(b, &q, -((time_t)1 << 60), record, &r,
	    &e), -1);
	assert_string_equal(e.msg, "broker: now: not a time between 1970 "
	    "and 9999");
	/* nothing happened */
	assert_int_equal(r.n, 0);
	assert_int_equal(broker_order_count(b), 0);
	assert_int_equal(broker_next_valid_id(b), 1);

	assert_int_equal(broker_quote(b, "AAPL", 0, 1, T0, NULL, NULL, &e),
	    -1);
	assert_string_equal(e.msg, "broker: bid: not a price > 0");
	assert_int_equal(broker_quote(b, "AAPL", 1, NAN, T0, NULL, NULL, &e),
	    -1);
	assert_string_equal(e.msg, "broker: ask: not a price > 0");
	assert_int_equal(broker_quote(b, "AAPL", 2, 1, T0, NULL, NULL, &e),
	    -1);
	assert_string_equal(e.msg, "broker: ask: below the bid");
	assert_int_equal(broker_quote(b, "AAPLAAPLAAPLAAPL", 1, 1, T0, NULL,
	    NULL, &e), -1);
	assert_string_equal(e.msg, "broker: symbol: not 1..15 printable "
	    "characters");
	/* the symbol table was not touched: a MKT order does not fill */
	place(b, req(1, "AAPL", BROKER_BUY, 1, BROKER_MKT, 0), &r);
	assert_string_equal(kinds(&r), "OS");

	memset(&c, 0, sizeof(c));
	c.first_order_id = c.first_perm_id = 1;
	assert_null(broker_new(&c, &e));
	assert_string_equal(e.msg, "broker: account: not 1..31 printable "
	    "characters");
	snprintf(c.account, sizeof(c.account), "DU1");
	c.cash = -1;
	assert_null(broker_new(&c, &e));
	assert_string_equal(e.msg, "broker: cash: not a finite amount >= 0");
	c.cash = 0;
	c.first_order_id = 0;
	assert_null(broker_new(&c, &e));
	assert_string_equal(e.msg, "broker: first_order_id: not >= 1");
	broker_free(NULL);
	broker_free(b);
}

static void
test_first_ids_from_config(void **state)
{
	struct broker_config c;
	struct gw_err e;
	struct broker *b;
	struct rec r;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.account, sizeof(c.account), "DU7");
	c.first_order_id = 1000;
	c.first_perm_id = 77;
	b = broker_new(&c, &e);
	assert_non_null(b);
	assert_int_equal(broker_next_valid_id(b), 1000);
	place(b, req(999, "AAPL", BROKER_BUY, 1, BROKER_MKT, 0), &r);
	assert_int_equal(r.m[0].error.code, 103);
	place(b, req(1000, "AAPL", BROKER_BUY, 1, BROKER_MKT, 0), &r);
	assert_int_equal(r.m[0].order.perm_id, 77);
	assert_string_equal(broker_account_id(b), "DU7");
	assert_string_equal(broker_status_name(BROKER_INACTIVE), "Inactive");
	broker_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mkt_fills_at_once),
		cmocka_unit_test(test_mkt_without_quote_waits),
		cmocka_unit_test(test_lmt_rests_then_fills),
		cmocka_unit_test(test_partial_fills),
		cmocka_unit_test(test_cancel_and_bad_cancels),
		cmocka_unit_test(test_duplicate_id),
		cmocka_unit_test(test_reject_fault_and_wrong_account),
		cmocka_unit_test(test_swallow_fault),
		cmocka_unit_test(test_delay_fault),
		cmocka_unit_test(test_partial_fault),
		cmocka_unit_test(test_global_cancel),
		cmocka_unit_test(test_pnl_arithmetic),
		cmocka_unit_test(test_invariants_over_a_day),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_first_ids_from_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
