/*
 * Unit tests for lib/tws_order: every encoder against the frames of
 * tws-protocol-orders.md §8 (official client, @stoqey/ib, the verified
 * simulator frames and recorded gateway frames), byte for byte; decoders of
 * those frames; encode -> decode round trips of every message; and one test
 * per malformed-input class with its exact error message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tws_order.h"

#define SV 176
#define MAXJ "1.7976931348623157E308"
#define MAXP "1.7976931348623157e+308"

/* Frames in the document's notation: each '|' is the NUL ending a field. */
static const char PLACE_LMT[] =
    "3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|10|LMT|500.0||DAY||DU1234567||0|"
    "gwkit-test|1|0|0|0|0|0|0|0||0||||||||0||-1|0|||0|||0|0||0||||||0|||||0||"
    "|||||||||0|||0|0|||0||0|0|0|0||" MAXP "|" MAXP "|" MAXP "|" MAXP "|" MAXP
    "|0||||" MAXP "|||||0|0|0||2147483647|2147483647|0|||";
static const char PLACE_MKT[] =
    "3|2|0|AAPL|STK||0.0|||SMART||USD|||||SELL|5|MKT|||DAY||DU1234567||0||1|0|"
    "0|0|0|0|0|0||0||||||||0||-1|0|||0|||0|0||0||||||0|||||0|||||||||||0|||0|"
    "0|||0||0|0|0|0||" MAXP "|" MAXP "|" MAXP "|" MAXP "|" MAXP "|0||||" MAXP
    "|||||0|0|0||2147483647|2147483647|0|||";
static const char STQ_LMT[] =
    "3|1||SPY|STK|||||SMART||USD|||||BUY|10|LMT|500||DAY||DU1234567|||gwkit-te"
    "st|1|||||||||||||||||||||||||||||||||||||||||||||||||||||||0||||||||0||||"
    "|||||||||||||||||||||";
static const char STQ_MKT[] =
    "3|2||AAPL|STK|||||SMART||USD|||||SELL|5|MKT|||DAY||DU1234567||||1||||||||"
    "|||||||||||||||||||||||||||||||||||||||||||||||0||||||||0||||||||||||||||"
    "|||||||||";
static const char OPEN_VERIFIED[] =
    "5|1|756733|SPY|STK||0|?||SMART|USD|SPY|SPY|BUY|10|LMT|500.0|0.0|DAY||DU12"
    "34567||0|gwkit-test|7|1500000001|0|0|0||1500000001.0/DU1234567/10||||||||"
    "||0||-1|0||||||2147483647|0|0|0||3|0|0||0|0||0|None||0||||?|0|0||0|0||||"
    "||0|0|0|2147483647|2147483647|||0||IB|0|0||0|0|Submitted|" MAXJ "|" MAXJ
    "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "||||||0|0|"
    "0|None|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|0||||0|1|0|0"
    "|0|||0||100|0.02|||";
static const char OPEN_REC1[] =
    "5|5|265598|AAPL|STK||0|?||SMART|USD|AAPL|NMS|BUY|100|MKT|0.0|0.0|DAY||DU1"
    "234567||0||100|600745656|0|0|0||600745656.0/DU1234567/100||||||||||0||-1"
    "|0||||||2147483647|0|0|0||3|0|0||0|0||0|None||0||||?|0|0||0|0||||||0|0|0"
    "|2147483647|2147483647|||0||IB|0|0||0|0|PreSubmitted|" MAXJ "|" MAXJ "|"
    MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "||||||0|0|0|No"
    "ne|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|" MAXJ "|0||||0|1|0|0|0||"
    "|0||100|0.02|||";
static const char EXEC_VERIFIED[] =
    "11|-1|2|265598|AAPL|STK||0.0|||IEX|USD|AAPL|NMS|0000e0d5.59682f02.01.01|2"
    "0261204  14:02:59|DU1234567|IEX|SLD|5|201.94|1500000002|7|0|5|201.94||||"
    "|2|";
static const char COMM_VERIFIED[] =
    "59|1|0000e0d5.59682f02.01.01|1.0|USD|" MAXJ "|" MAXJ "||";

static uint8_t buf[8192];
static uint8_t want[8192];
static struct tws_fields fs;

/* A frame of the notation s into b; returns its length. */
static size_t
mk(uint8_t *b, const char *s)
{
	size_t n = strlen(s), i;

	assert_true(n + 4 <= sizeof(want));
	b[0] = (uint8_t)(n >> 24);
	b[1] = (uint8_t)(n >> 16);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	for (i = 0; i < n; i++)
		b[4 + i] = s[i] == '|' ? '\0' : (uint8_t)s[i];
	return n + 4;
}

static void
assert_frame(ssize_t n, const char *s)
{
	size_t wn = mk(want, s);

	assert_int_equal(n, (ssize_t)wn);
	assert_memory_equal(buf, want, wn);
}

/* Split the frame of s into fs (fields point into want). */
static const struct tws_fields *
fields(const char *s)
{
	struct gw_err err = { "" };
	size_t n = mk(want, s);

	assert_int_equal(tws_wire_decode_frame(want, n, &fs, &err), (ssize_t)n);
	return &fs;
}

/* Split what an encoder wrote into buf. */
static const struct tws_fields *
fields_buf(ssize_t n)
{
	struct gw_err err = { "" };

	assert_true(n > 0);
	assert_int_equal(tws_wire_decode_frame(buf, (size_t)n, &fs, &err), n);
	return &fs;
}

static struct tws_order
order1(void)
{
	struct tws_order o;

	memset(&o, 0, sizeof(o));
	o.order_id = 1;
	strcpy(o.symbol, "SPY");
	strcpy(o.exchange, "SMART");
	strcpy(o.currency, "USD");
	o.action = TWS_ACTION_BUY;
	strcpy(o.total_quantity, "10");
	o.order_type = TWS_ORDER_LMT;
	o.has_lmt_price = 1;
	o.lmt_price = 500;
	o.tif = TWS_TIF_DAY;
	strcpy(o.order_ref, "gwkit-test");
	strcpy(o.account, "DU1234567");
	o.transmit = 1;
	return o;
}

static struct tws_order
order2(void)
{
	struct tws_order o = order1();

	o.order_id = 2;
	strcpy(o.symbol, "AAPL");
	o.action = TWS_ACTION_SELL;
	strcpy(o.total_quantity, "5");
	o.order_type = TWS_ORDER_MKT;
	o.has_lmt_price = 0;
	o.lmt_price = 0;
	memset(o.order_ref, 0, sizeof(o.order_ref));
	return o;
}

static void
test_place_order_bytes(void **state)
{
	struct tws_order o1 = order1(), o2 = order2();
	struct gw_err err = { "" };
	ssize_t n;

	(void)state;
	n = tws_enc_place_order(buf, sizeof(buf), SV, &o1, &err);
	assert_frame(n, PLACE_LMT);
	assert_int_equal(n, 4 + 361);
	assert_int_equal(fields_buf(n)->n, 115);
	n = tws_enc_place_order(buf, sizeof(buf), SV, &o2, &err);
	assert_frame(n, PLACE_MKT);
	assert_int_equal(n, 4 + 347);
	/* the same layout from sv 169 */
	assert_frame(tws_enc_place_order(buf, sizeof(buf), 169, &o2, &err),
	    PLACE_MKT);
}

static void
test_request_bytes(void **state)
{
	struct gw_err err = { "" };

	(void)state;
	assert_frame(tws_enc_cancel_order(buf, sizeof(buf), SV, 1, &err),
	    "4|1|1||");
	assert_frame(tws_enc_req_open_orders(buf, sizeof(buf), SV, &err), "5|1|");
	assert_frame(tws_enc_req_all_open_orders(buf, sizeof(buf), SV, &err),
	    "16|1|");
	assert_frame(tws_enc_req_ids(buf, sizeof(buf), SV, -1, &err), "8|1|-1|");
	assert_frame(tws_enc_req_positions(buf, sizeof(buf), SV, &err), "61|1|");
	assert_frame(tws_enc_cancel_positions(buf, sizeof(buf), SV, &err),
	    "64|1|");
	assert_frame(tws_enc_req_account_summary(buf, sizeof(buf), SV, 9001, "All",
	    "AccountType,NetLiquidation,BuyingPower", &err),
	    "62|1|9001|All|AccountType,NetLiquidation,BuyingPower|");
	assert_frame(tws_enc_cancel_account_summary(buf, sizeof(buf), SV, 9001,
	    &err), "63|1|9001|");
	assert_frame(tws_enc_req_executions(buf, sizeof(buf), SV, 9002, &err),
	    "7|3|9002|0|||||||");
	assert_frame(tws_enc_req_global_cancel(buf, sizeof(buf), SV, &err),
	    "58|1|");
	/* the document's hex for two of them */
	assert_int_equal(tws_enc_cancel_order(buf, sizeof(buf), SV, 1, &err), 11);
	assert_memory_equal(buf, "\0\0\0\x07" "4\0" "1\0" "1\0" "\0", 11);
	assert_int_equal(tws_enc_req_executions(buf, sizeof(buf), SV, 9002, &err),
	    21);
	assert_memory_equal(buf, "\0\0\0\x11" "7\0" "3\0" "9002\0" "0\0"
	    "\0\0\0\0\0\0\0", 21);
}

static struct tws_open_order
open1(void)
{
	struct tws_open_order oo;

	memset(&oo, 0, sizeof(oo));
	oo.o = order1();
	oo.o.transmit = 0;	/* not in openOrder */
	oo.con_id = 756733;
	strcpy(oo.local_symbol, "SPY");
	strcpy(oo.trading_class, "SPY");
	oo.client_id = 7;
	oo.perm_id = 1500000001;
	strcpy(oo.status, "Submitted");
	oo.commission = TWS_UNSET_DOUBLE;
	return oo;
}

static struct tws_execution
exec2(void)
{
	struct tws_execution x;

	memset(&x, 0, sizeof(x));
	x.req_id = -1;
	x.order_id = 2;
	x.con_id = 265598;
	strcpy(x.symbol, "AAPL");
	strcpy(x.sec_type, "STK");
	strcpy(x.exchange, "IEX");
	strcpy(x.currency, "USD");
	strcpy(x.local_symbol, "AAPL");
	strcpy(x.trading_class, "NMS");
	strcpy(x.exec_id, "0000e0d5.59682f02.01.01");
	strcpy(x.time, "20261204  14:02:59");
	strcpy(x.account, "DU1234567");
	strcpy(x.exec_exchange, "IEX");
	strcpy(x.side, "SLD");
	strcpy(x.shares, "5");
	x.price = 201.94;
	x.perm_id = 1500000002;
	x.client_id = 7;
	strcpy(x.cum_qty, "5");
	x.avg_price = 201.94;
	x.last_liquidity = 2;
	return x;
}

static struct tws_position
pos_spy(void)
{
	struct tws_position p;

	memset(&p, 0, sizeof(p));
	strcpy(p.account, "DU1234567");
	p.con_id = 756733;
	strcpy(p.symbol, "SPY");
	strcpy(p.sec_type, "STK");
	strcpy(p.exchange, "ARCA");
	strcpy(p.currency, "USD");
	strcpy(p.local_symbol, "SPY");
	strcpy(p.trading_class, "SPY");
	strcpy(p.position, "100");
	p.avg_cost = 498.1;
	return p;
}

static void
test_server_bytes(void **state)
{
	struct tws_order_status s;
	struct tws_open_order oo = open1();
	struct tws_execution x = exec2();
	struct tws_commission c;
	struct tws_position p = pos_spy();
	struct tws_account_value v;
	struct gw_err err = { "" };
	ssize_t n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.order_id = 1;
	strcpy(s.status, "Submitted");
	strcpy(s.filled, "0");
	strcpy(s.remaining, "10");
	s.perm_id = 1500000001;
	s.client_id = 7;
	n = tws_enc_order_status(buf, sizeof(buf), SV, &s, &err);
	assert_frame(n, "3|1|Submitted|0|10|0|1500000001|0|0|7||0|");
	assert_int_equal(n, 4 + 0x29);
	/* the recorded fill of RUST-REC1 */
	s.order_id = 5;
	strcpy(s.status, "Filled");
	strcpy(s.filled, "100");
	strcpy(s.remaining, "0");
	s.avg_fill_price = s.last_fill_price = 201.94;
	s.perm_id = 600745656;
	s.client_id = 100;
	assert_frame(tws_enc_order_status(buf, sizeof(buf), SV, &s, &err),
	    "3|5|Filled|100|0|201.94|600745656|0|201.94|100||0|");

	n = tws_enc_open_order(buf, sizeof(buf), SV, &oo, &err);
	assert_frame(n, OPEN_VERIFIED);
	/* the document's text of this frame has 667 bytes (its prose says 668) */
	assert_int_equal(n, 4 + 667);
	assert_int_equal(fields_buf(n)->n, 136);
	assert_frame(tws_enc_open_order_end(buf, sizeof(buf), SV, &err), "53|1|");

	assert_frame(tws_enc_exec_details(buf, sizeof(buf), SV, &x, &err),
	    EXEC_VERIFIED);
	assert_frame(tws_enc_exec_details_end(buf, sizeof(buf), SV, 9002, &err),
	    "55|1|9002|");

	memset(&c, 0, sizeof(c));
	strcpy(c.exec_id, "0000e0d5.59682f02.01.01");
	c.commission = 1;
	strcpy(c.currency, "USD");
	c.realized_pnl = c.yield = TWS_UNSET_DOUBLE;
	n = tws_enc_commission_report(buf, sizeof(buf), SV, &c, &err);
	assert_frame(n, COMM_VERIFIED);
	assert_int_equal(n, 4 + 84);

	assert_frame(tws_enc_position(buf, sizeof(buf), SV, &p, &err),
	    "61|3|DU1234567|756733|SPY|STK||0.0|||ARCA|USD|SPY|SPY|100|498.1|");
	p.con_id = 265598;
	strcpy(p.symbol, "AAPL");
	strcpy(p.exchange, "NASDAQ");
	strcpy(p.local_symbol, "AAPL");
	strcpy(p.trading_class, "NMS");
	strcpy(p.position, "-5");
	p.avg_cost = 201.94;
	assert_frame(tws_enc_position(buf, sizeof(buf), SV, &p, &err),
	    "61|3|DU1234567|265598|AAPL|STK||0.0|||NASDAQ|USD|AAPL|NMS|-5|201.94|");
	assert_frame(tws_enc_position_end(buf, sizeof(buf), SV, &err), "62|1|");

	memset(&v, 0, sizeof(v));
	v.req_id = 9001;
	strcpy(v.account, "DU1234567");
	strcpy(v.tag, "NetLiquidation");
	strcpy(v.value, "1012345.67");
	strcpy(v.currency, "USD");
	n = tws_enc_account_summary(buf, sizeof(buf), SV, &v, &err);
	assert_frame(n, "63|1|9001|DU1234567|NetLiquidation|1012345.67|USD|");
	assert_int_equal(n, 4 + 0x32);
	strcpy(v.tag, "AccountType");
	strcpy(v.value, "INDIVIDUAL");
	v.currency[0] = '\0';
	assert_frame(tws_enc_account_summary(buf, sizeof(buf), SV, &v, &err),
	    "63|1|9001|DU1234567|AccountType|INDIVIDUAL||");
	assert_frame(tws_enc_account_summary_end(buf, sizeof(buf), SV, 9001, &err),
	    "64|1|9001|");
}

/* placeOrder as four real clients send it decodes to the same order. */
static void
test_decode_place_clients(void **state)
{
	struct tws_order want1 = order1(), want2 = order2();
	struct tws_order_req r;
	struct gw_err err = { "" };

	(void)state;
	assert_int_equal(tws_order_decode_req(fields(PLACE_LMT), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_PLACE_ORDER);
	assert_memory_equal(&r.u.place, &want1, sizeof(want1));
	assert_int_equal(tws_order_decode_req(fields(STQ_LMT), SV, &r, &err), 0);
	assert_memory_equal(&r.u.place, &want1, sizeof(want1));
	assert_int_equal(tws_order_decode_req(fields(PLACE_MKT), SV, &r, &err), 0);
	assert_memory_equal(&r.u.place, &want2, sizeof(want2));
	assert_int_equal(tws_order_decode_req(fields(STQ_MKT), SV, &r, &err), 0);
	assert_memory_equal(&r.u.place, &want2, sizeof(want2));
	/* §8.7: any count from 28 fields; here up to transmit only */
	assert_int_equal(tws_order_decode_req(fields(
	    "3|7||SPY|STK|||||SMART||USD|||||BUY|1|LMT|1.5||GTC||DU1||||1|"),
	    SV, &r, &err), 0);
	assert_int_equal(r.u.place.order_id, 7);
	assert_int_equal(r.u.place.tif, TWS_TIF_GTC);
	assert_true(r.u.place.lmt_price == 1.5);
	/* no tif: the gateway's preset */
	assert_int_equal(tws_order_decode_req(fields(
	    "3|7||SPY|STK|||||SMART||USD|||||BUY|1|MKT|0||||||||1|"),
	    SV, &r, &err), 0);
	assert_int_equal(r.u.place.tif, TWS_TIF_UNSET);
	assert_int_equal(r.u.place.has_lmt_price, 0);
}

static void
test_decode_requests(void **state)
{
	struct tws_order_req r;
	struct gw_err err = { "" };

	(void)state;
	assert_int_equal(tws_order_decode_req(fields("4|1|41||"), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_CANCEL_ORDER);
	assert_int_equal(r.u.order_id, 41);
	assert_int_equal(tws_order_decode_req(fields("8|1|-1|"), SV, &r, &err), 0);
	assert_int_equal(r.u.num_ids, -1);
	assert_int_equal(tws_order_decode_req(fields("8|1||"), SV, &r, &err), 0);
	assert_int_equal(tws_order_decode_req(fields(
	    "62|1|9001|All|AccountType,NetLiquidation|"), SV, &r, &err), 0);
	assert_int_equal(r.u.account_summary.req_id, 9001);
	assert_string_equal(r.u.account_summary.group, "All");
	assert_string_equal(r.u.account_summary.tags,
	    "AccountType,NetLiquidation");
	assert_int_equal(tws_order_decode_req(fields("63|1|9001|"), SV, &r, &err),
	    0);
	assert_int_equal(r.id, TWS_OUT_CANCEL_ACCOUNT_SUMMARY);
	assert_int_equal(r.u.req_id, 9001);
	assert_int_equal(tws_order_decode_req(fields("7|3|9002|0|||||||"), SV, &r,
	    &err), 0);
	assert_int_equal(r.u.req_id, 9002);
	assert_int_equal(tws_order_decode_req(fields("7|3|9002||||||||"), SV, &r,
	    &err), 0);	/* STQ */
	assert_int_equal(tws_order_decode_req(fields("64|1|"), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_CANCEL_POSITIONS);
	assert_int_equal(tws_order_decode_req(fields("61|1|"), SV, &r, &err), 0);
	assert_int_equal(tws_order_decode_req(fields("5|1|"), SV, &r, &err), 0);
	assert_int_equal(tws_order_decode_req(fields("16|1|"), SV, &r, &err), 0);
	assert_int_equal(tws_order_decode_req(fields("58|1|"), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_REQ_GLOBAL_CANCEL);
	/* not an order request */
	assert_int_equal(tws_order_decode_req(fields("49|1|"), SV, &r, &err), 1);
	assert_int_equal(r.id, 49);
}

static void
test_decode_open_order(void **state)
{
	struct tws_open_order want1 = open1();
	struct tws_order_in m;
	struct gw_err err = { "" };
	const struct tws_open_order *oo = &m.u.open_order;

	(void)state;
	assert_int_equal(tws_order_decode_in(fields(OPEN_VERIFIED), SV, &m, &err),
	    0);
	assert_int_equal(m.id, TWS_IN_OPEN_ORDER);
	assert_memory_equal(oo, &want1, sizeof(want1));
	/* the recorded gateway frame (sv 173, same layout) */
	assert_int_equal(tws_order_decode_in(fields(OPEN_REC1), 173, &m, &err), 0);
	assert_int_equal(oo->o.order_id, 5);
	assert_int_equal(oo->con_id, 265598);
	assert_string_equal(oo->o.symbol, "AAPL");
	assert_int_equal(oo->o.order_type, TWS_ORDER_MKT);
	assert_int_equal(oo->o.has_lmt_price, 0);
	assert_string_equal(oo->o.total_quantity, "100");
	assert_int_equal(oo->client_id, 100);
	assert_int_equal(oo->perm_id, 600745656);
	assert_string_equal(oo->status, "PreSubmitted");
	assert_true(oo->commission == TWS_UNSET_DOUBLE);
	assert_string_equal(oo->trading_class, "NMS");
}

/* "None" is non-empty: the 8 delta-neutral fields follow it. A decoder that
 * tested "not None" would read status 8 fields too early. */
static void
test_open_order_none_quirk(void **state)
{
	char alt[sizeof(OPEN_VERIFIED)];
	const char *dn = strstr(OPEN_VERIFIED, "|None||0||||?|0|0||");
	struct tws_order_in m;
	struct gw_err err = { "" };
	size_t k;

	(void)state;
	assert_non_null(dn);
	/* "" instead of None and no delta-neutral fields: a valid frame too */
	k = (size_t)(dn - OPEN_VERIFIED);
	memcpy(alt, OPEN_VERIFIED, k);
	snprintf(alt + k, sizeof(alt) - k, "|||%s", dn + strlen("|None||0||||?|0|0||"));
	assert_int_equal(tws_order_decode_in(fields(alt), SV, &m, &err), 0);
	assert_string_equal(m.u.open_order.status, "Submitted");
	assert_int_equal(fs.n, 136 - 8);
	/* None without its 8 fields: everything after is read 8 fields late,
	 * and a count lands on "IB" */
	memcpy(alt, OPEN_VERIFIED, k);
	snprintf(alt + k, sizeof(alt) - k, "|None||%s",
	    dn + strlen("|None||0||||?|0|0||"));
	assert_int_equal(tws_order_decode_in(fields(alt), SV, &m, &err), -1);
	assert_string_equal(err.msg, "openOrder: field orderComboLegsCount: "
	    "\"IB\" is not an integer in 0..50");
}

static void
test_decode_in_recorded(void **state)
{
	struct tws_order_in m;
	struct gw_err err = { "" };

	(void)state;
	/* RUST-REC2's stored line has one extra empty field: accepted */
	assert_int_equal(tws_order_decode_in(fields(
	    "3|13|PreSubmitted|0|100|0|1376327563|0|0|100||0||"), SV, &m, &err), 0);
	assert_int_equal(m.u.status.order_id, 13);
	assert_string_equal(m.u.status.remaining, "100");
	assert_int_equal(m.u.status.perm_id, 1376327563);
	assert_int_equal(tws_order_decode_in(fields(
	    "11|-1|5|265598|AAPL|STK||0.0|||IEX|USD|AAPL|NMS|0000e0d5.67fe667b.01.01"
	    "|20250415  19:38:31|DU1234567|IEX|BOT|100|201.94|600745656|100|0|100|"
	    "201.94|||||2|"), 173, &m, &err), 0);
	assert_string_equal(m.u.exec.side, "BOT");
	assert_string_equal(m.u.exec.cum_qty, "100");
	assert_true(m.u.exec.price == 201.94);
	assert_int_equal(m.u.exec.perm_id, 600745656);
	assert_int_equal(tws_order_decode_in(fields(COMM_VERIFIED), SV, &m, &err),
	    0);
	assert_true(m.u.commission.commission == 1.0);
	assert_true(m.u.commission.realized_pnl == TWS_UNSET_DOUBLE);
	assert_int_equal(m.u.commission.yield_redemption_date, 0);
	assert_int_equal(tws_order_decode_in(fields("55|1|9002|"), SV, &m, &err), 0);
	assert_int_equal(m.id, TWS_IN_EXEC_DETAILS_END);
	assert_int_equal(m.u.req_id, 9002);
	assert_int_equal(tws_order_decode_in(fields("64|1|9001|"), SV, &m, &err), 0);
	assert_int_equal(m.id, TWS_IN_ACCOUNT_SUMMARY_END);
	assert_int_equal(tws_order_decode_in(fields("62|1|"), SV, &m, &err), 0);
	assert_int_equal(tws_order_decode_in(fields("53|1|"), SV, &m, &err), 0);
	assert_int_equal(tws_order_decode_in(fields("9|1|4|"), SV, &m, &err), 1);
}

/* Encode, split, decode: the same struct back. */
static void
test_round_trips(void **state)
{
	struct tws_order o = order1();
	struct tws_open_order oo = open1();
	struct tws_execution x = exec2();
	struct tws_position p = pos_spy();
	struct tws_order_status s;
	struct tws_commission c;
	struct tws_account_value v;
	struct tws_order_req r;
	struct tws_order_in m;
	struct gw_err err = { "" };

	(void)state;
	strcpy(o.primary_exchange, "ARCA");
	strcpy(o.total_quantity, "0.5");
	o.lmt_price = 123.456;
	o.outside_rth = 1;
	o.tif = TWS_TIF_GTC;
	o.transmit = 0;
	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_place_order(buf,
	    sizeof(buf), SV, &o, &err)), SV, &r, &err), 0);
	assert_memory_equal(&r.u.place, &o, sizeof(o));

	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_cancel_order(buf,
	    sizeof(buf), SV, 77, &err)), SV, &r, &err), 0);
	assert_int_equal(r.u.order_id, 77);
	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_req_ids(buf,
	    sizeof(buf), SV, 3, &err)), SV, &r, &err), 0);
	assert_int_equal(r.u.num_ids, 3);
	assert_int_equal(tws_order_decode_req(fields_buf(
	    tws_enc_req_account_summary(buf, sizeof(buf), SV, -4, "G1", "$LEDGER",
	    &err)), SV, &r, &err), 0);
	assert_int_equal(r.u.account_summary.req_id, -4);
	assert_string_equal(r.u.account_summary.tags, "$LEDGER");
	assert_int_equal(tws_order_decode_req(fields_buf(
	    tws_enc_cancel_account_summary(buf, sizeof(buf), SV, 12, &err)), SV, &r,
	    &err), 0);
	assert_int_equal(r.u.req_id, 12);
	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_req_executions(
	    buf, sizeof(buf), SV, 13, &err)), SV, &r, &err), 0);
	assert_int_equal(r.u.req_id, 13);
	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_req_open_orders(
	    buf, sizeof(buf), SV, &err)), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_REQ_OPEN_ORDERS);
	assert_int_equal(tws_order_decode_req(fields_buf(
	    tws_enc_req_all_open_orders(buf, sizeof(buf), SV, &err)), SV, &r, &err),
	    0);
	assert_int_equal(r.id, TWS_OUT_REQ_ALL_OPEN_ORDERS);
	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_req_positions(
	    buf, sizeof(buf), SV, &err)), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_REQ_POSITIONS);
	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_cancel_positions(
	    buf, sizeof(buf), SV, &err)), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_CANCEL_POSITIONS);
	assert_int_equal(tws_order_decode_req(fields_buf(tws_enc_req_global_cancel(
	    buf, sizeof(buf), SV, &err)), SV, &r, &err), 0);
	assert_int_equal(r.id, TWS_OUT_REQ_GLOBAL_CANCEL);

	memset(&s, 0, sizeof(s));
	s.order_id = 9;
	strcpy(s.status, "Inactive");
	strcpy(s.filled, "1.5");
	strcpy(s.remaining, "2");
	s.avg_fill_price = 10.25;
	s.perm_id = 9000000000LL;
	s.parent_id = 3;
	s.last_fill_price = 10.5;
	s.client_id = -2;
	strcpy(s.why_held, "locate");
	s.mkt_cap_price = 11;
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_order_status(buf,
	    sizeof(buf), SV, &s, &err)), SV, &m, &err), 0);
	assert_memory_equal(&m.u.status, &s, sizeof(s));

	oo.o = order2();
	oo.o.transmit = 0;
	oo.o.outside_rth = 1;
	oo.o.tif = TWS_TIF_GTC;
	oo.commission = 1.25;
	strcpy(oo.commission_currency, "USD");
	strcpy(oo.warning_text, "a warning");
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_open_order(buf,
	    sizeof(buf), SV, &oo, &err)), SV, &m, &err), 0);
	assert_memory_equal(&m.u.open_order, &oo, sizeof(oo));

	strcpy(x.order_ref, "gwkit-7");
	strcpy(x.ev_rule, "r");
	x.ev_multiplier = 2.5;
	strcpy(x.model_code, "m");
	x.liquidation = 1;
	x.req_id = 9002;
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_exec_details(buf,
	    sizeof(buf), SV, &x, &err)), SV, &m, &err), 0);
	assert_memory_equal(&m.u.exec, &x, sizeof(x));

	memset(&c, 0, sizeof(c));
	strcpy(c.exec_id, "e.1");
	c.commission = 0.35;
	strcpy(c.currency, "USD");
	c.realized_pnl = -12.5;
	c.yield = TWS_UNSET_DOUBLE;
	c.yield_redemption_date = 20261231;
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_commission_report(
	    buf, sizeof(buf), SV, &c, &err)), SV, &m, &err), 0);
	assert_memory_equal(&m.u.commission, &c, sizeof(c));

	strcpy(p.position, "-0.25");
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_position(buf,
	    sizeof(buf), SV, &p, &err)), SV, &m, &err), 0);
	assert_memory_equal(&m.u.position, &p, sizeof(p));

	memset(&v, 0, sizeof(v));
	v.req_id = 5;
	strcpy(v.account, "DU1");
	strcpy(v.tag, "Cushion");
	strcpy(v.value, "0.97");
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_account_summary(
	    buf, sizeof(buf), SV, &v, &err)), SV, &m, &err), 0);
	assert_memory_equal(&m.u.account_value, &v, sizeof(v));

	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_exec_details_end(
	    buf, sizeof(buf), SV, 14, &err)), SV, &m, &err), 0);
	assert_int_equal(m.u.req_id, 14);
	assert_int_equal(tws_order_decode_in(fields_buf(
	    tws_enc_account_summary_end(buf, sizeof(buf), SV, 15, &err)), SV, &m,
	    &err), 0);
	assert_int_equal(m.id, TWS_IN_ACCOUNT_SUMMARY_END);
	assert_int_equal(m.u.req_id, 15);
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_open_order_end(
	    buf, sizeof(buf), SV, &err)), SV, &m, &err), 0);
	assert_int_equal(m.id, TWS_IN_OPEN_ORDER_END);
	assert_int_equal(tws_order_decode_in(fields_buf(tws_enc_position_end(
	    buf, sizeof(buf), SV, &err)), SV, &m, &err), 0);
	assert_int_equal(m.id, TWS_IN_POSITION_END);
}

static void
req_err(const char *frame, const char *msg)
{
	struct tws_order_req r;
	struct gw_err err = { "" };

	assert_int_equal(tws_order_decode_req(fields(frame), SV, &r, &err), -1);
	assert_string_equal(err.msg, msg);
}

static void
in_err(const char *frame, const char *msg)
{
	struct tws_order_in m;
	struct gw_err err = { "" };

	assert_int_equal(tws_order_decode_in(fields(frame), SV, &m, &err), -1);
	assert_string_equal(err.msg, msg);
}

static void
test_missing_field(void **state)
{
	(void)state;
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|10|LMT|500.0||DAY||DU1|",
	    "placeOrder: missing field openClose (message has 24 fields)");
	req_err("4|1|", "cancelOrder: missing field orderId (message has 2 fields)");
	req_err("62|1|9001|All|", "reqAccountSummary: missing field tags "
	    "(message has 4 fields)");
	req_err("5|", "reqOpenOrders: missing field version (message has 1 fields)");
	in_err("3|1|Submitted|0|10|0|1500000001|0|0|7||",
	    "orderStatus: missing field mktCapPrice (message has 11 fields)");
	in_err("59|1|e|1.0|USD|",
	    "commissionReport: missing field realizedPNL (message has 5 fields)");
	in_err("55|1|", "execDetailsEnd: missing field reqId (message has 2 fields)");
	in_err("61|3|DU1|1|SPY|STK||0.0|||ARCA|USD|SPY|SPY|100|",
	    "position: missing field avgCost (message has 15 fields)");
}

static void
test_extra_field(void **state)
{
	(void)state;
	req_err("4|1|1|||", "cancelOrder: extra field 4 after manualOrderCancelTime "
	    "(expected 4 fields, got 5)");
	req_err("5|1||", "reqOpenOrders: extra field 2 after version (expected 2 "
	    "fields, got 3)");
	req_err("7|3|9002|0||||||||", "reqExecutions: extra field 10 after side "
	    "(expected 10 fields, got 11)");
	in_err("62|1|DU1234567|", "positionEnd: extra field 2 after version "
	    "(expected 2 fields, got 3)");
	in_err("63|1|9001|DU1|NetLiquidation|1|USD||", "accountSummary: extra "
	    "field 7 after currency (expected 7 fields, got 8)");
	in_err("64|1|9001||", "accountSummaryEnd: extra field 3 after reqId "
	    "(expected 3 fields, got 4)");
}

static void
test_bad_number(void **state)
{
	(void)state;
	req_err("4|1|x1||", "cancelOrder: field orderId: \"x1\" is not an integer "
	    "in 0..140737488355327");
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|1e1|LMT|500.0||DAY||DU1||0"
	    "||1|", "placeOrder: field totalQuantity: \"1e1\" is not a decimal "
	    "quantity");
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|10|LMT|nan||DAY||DU1||0"
	    "||1|", "placeOrder: field lmtPrice: \"nan\" is not a number");
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|0|MKT|||DAY||DU1||0||1|",
	    "placeOrder: field totalQuantity: \"0\" is not positive");
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|1|LMT|||DAY||DU1||0||1|",
	    "placeOrder: field lmtPrice: \"\" is not a LMT order's price");
	req_err("7|2|9002|0|||||||", "reqExecutions: field version: \"2\" is not 3");
	in_err("3|1|Submitted|1x|10|0|1|0|0|7||0|",
	    "orderStatus: field filled: \"1x\" is not a decimal quantity");
	in_err("3|1|Submitted|0|10| 1|1|0|0|7||0|",
	    "orderStatus: field avgFillPrice: \" 1\" is not a number");
	in_err("61|3|DU1|1|SPY|STK||0.0|||ARCA|USD|SPY|SPY|100|inf|",
	    "position: field avgCost: \"inf\" is not a number");
}

static void
test_bad_enum(void **state)
{
	(void)state;
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||HOLD|10|LMT|500.0||DAY||DU1||0"
	    "||1|", "placeOrder: field action: \"HOLD\" is not BUY or SELL");
	req_err("3|1|0|SPY|OPT||0.0|||SMART||USD|||||BUY|10|LMT|500.0||DAY||DU1||0"
	    "||1|", "placeOrder: field secType: \"OPT\" is not STK");
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|10|STP|500.0||DAY||DU1||0"
	    "||1|", "placeOrder: field orderType: \"STP\" is not MKT or LMT");
	req_err("3|1|0|SPY|STK||0.0|||SMART||USD|||||BUY|10|LMT|500.0||IOC||DU1||0"
	    "||1|", "placeOrder: field tif: \"IOC\" is not DAY or GTC");
	in_err("5|1|756733|SPY|STK||0|?||SMART|USD|SPY|SPY|SELL|10|LMT|500.0|0.0|"
	    "OPG|", "openOrder: field tif: \"OPG\" is not DAY or GTC");
}

/* Versions outside each layout's range, and encoder argument checks. */
static void
test_versions_and_args(void **state)
{
	struct tws_order o = order1();
	struct tws_order_req r;
	struct tws_order_in m;
	struct gw_err err = { "" };

	(void)state;
	assert_int_equal(tws_enc_place_order(buf, sizeof(buf), 168, &o, &err), -1);
	assert_string_equal(err.msg, "placeOrder: server version 168 not supported "
	    "(this layout is for 169..176)");
	assert_int_equal(tws_enc_req_ids(buf, sizeof(buf), 177, 1, &err), -1);
	assert_string_equal(err.msg, "reqIds: server version 177 not supported "
	    "(this layout is for 100..176)");
	assert_int_equal(tws_order_decode_in(fields(OPEN_VERIFIED), 177, &m, &err),
	    -1);
	assert_string_equal(err.msg, "openOrder: server version 177 not supported "
	    "(this layout is for 170..176)");
	assert_int_equal(tws_order_decode_req(fields(PLACE_LMT), 144, &r, &err), -1);
	assert_string_equal(err.msg, "placeOrder: server version 144 not supported "
	    "(this layout is for 145..176)");
	o.has_lmt_price = 0;
	assert_int_equal(tws_enc_place_order(buf, sizeof(buf), SV, &o, &err), -1);
	assert_string_equal(err.msg, "placeOrder: field lmtPrice: a LMT order needs "
	    "a positive price");
	o = order1();
	o.tif = TWS_TIF_UNSET;
	assert_int_equal(tws_enc_place_order(buf, sizeof(buf), SV, &o, &err), -1);
	assert_string_equal(err.msg, "placeOrder: field tif: 0 is not DAY or GTC");
	o = order1();
	strcpy(o.total_quantity, "0.0");
	assert_int_equal(tws_enc_place_order(buf, sizeof(buf), SV, &o, &err), -1);
	assert_string_equal(err.msg, "placeOrder: field totalQuantity: not a "
	    "positive decimal");
	o = order1();
	assert_int_equal(tws_enc_place_order(buf, 100, SV, &o, &err), -1);
	assert_string_equal(err.msg, "placeOrder: message does not fit in 100 "
	    "bytes");
	assert_int_equal(tws_enc_req_account_summary(buf, sizeof(buf), SV, 1, "",
	    "NetLiquidation", &err), -1);
	assert_string_equal(err.msg, "reqAccountSummary: field group: empty or too "
	    "long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_place_order_bytes),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_server_bytes),
		cmocka_unit_test(test_decode_place_clients),
		cmocka_unit_test(test_decode_requests),
		cmocka_unit_test(test_decode_open_order),
		cmocka_unit_test(test_open_order_none_quirk),
		cmocka_unit_test(test_decode_in_recorded),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_missing_field),
		cmocka_unit_test(test_extra_field),
		cmocka_unit_test(test_bad_number),
		cmocka_unit_test(test_bad_enum),
		cmocka_unit_test(test_versions_and_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
