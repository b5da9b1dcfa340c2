/*
 * tws_order: the order messages of the TWS API wire protocol
 * (docs/protocol.md, "Orders, positions, executions, account summary"),
 * at the layouts of server version 176 laid out in tws-protocol-orders.md
 * §8 (IB's EClient.placeOrder and decoder.py/orderdecoder.py, official
 * ibapi 10.30/10.46). Decoders read frames that tws_wire_decode_frame split
 * from untrusted bytes: every field is checked and capped before it is
 * copied. Encoders take trusted structs but still refuse what cannot be
 * sent. Pure: no I/O, no allocation, no globals.
 */
#include "tws_order.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXD_JAVA "1.7976931348623157E308"	/* servers' unset double */
#define ID_MAX 0x7fffffffffffLL

/* ---------- encoding ---------- */

/*
 * Frames here are built from a template in the notation of the protocol
 * document: each '|' ends a field, each field written "%" takes the next
 * argument. The template spells the constant fields exactly as the official
 * client (or a real server) sends them, so a reader can compare it with a
 * captured frame. tws_wire's frame builder writes the bytes.
 */
#define TPL_MAX_ARGS 32

static ssize_t
enc_tpl(uint8_t *out, size_t cap, const char *what, const char *tpl,
    const char *const *args, size_t nargs, struct gw_err *err)
{
	struct tws_enc e;
	size_t k = 0;
	const char *p, *bar;

	tws_enc_begin(&e, out, cap);
	for (p = tpl; *p != '\0'; p = bar + 1) {
		bar = strchr(p, '|');
		if (bar == NULL)
			return gw_err_set(err, "%s: bad template", what);
		if (bar - p == 1 && *p == '%') {
			if (k >= nargs || args[k] == NULL)
				return gw_err_set(err, "%s: bad template", what);
			tws_enc_field(&e, args[k], strlen(args[k]));
			k++;
		} else
			tws_enc_field(&e, p, (size_t)(bar - p));
	}
	if (k != nargs)
		return gw_err_set(err, "%s: bad template", what);
	return tws_enc_end(&e, what, err);
}

/* Server doubles: 0 as "0", unset as Java's MAX, as real servers send. */
static int
fmt_srv_double(char *dst, size_t dstsz, double v)
{
	if (v == TWS_UNSET_DOUBLE) {
		snprintf(dst, dstsz, "%s", MAXD_JAVA);
		return 0;
	}
	if (v == 0 && !signbit(v)) {
		snprintf(dst, dstsz, "0");
		return 0;
	}
	return tws_fmt_double(dst, dstsz, v);
}

static int
sv_check(const char *what, int sv, int min, struct gw_err *err)
{
	if (sv < min || sv > TWS_ORDER_SV_MAX)
		return gw_err_set(err, "%s: server version %d not supported "
		    "(this layout is for %d..%d)", what, sv, min, TWS_ORDER_SV_MAX);
	return 0;
}

/* Decimal quantity text: [-]digits[.digits], "" allowed when empty_ok. */
static int
qty_ok(const char *p, size_t n, int neg_ok, int empty_ok)
{
	size_t i = 0, d = 0;

	if (n == 0)
		return empty_ok;
	if (n >= TWS_ORD_QTY)
		return 0;
	if (p[0] == '-') {
		if (!neg_ok)
			return 0;
		i = 1;
	}
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		d++;
	if (d == 0)
		return 0;
	if (i < n && p[i] == '.') {
		for (i++, d = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			d++;
		if (d == 0)
			return 0;
	}
	return i == n;
}

static int
str_ok(const char *s, size_t cap)
{
	return s != NULL && strlen(s) < cap;
}

static const char *
action_name(int a)
{
	return a == TWS_ACTION_BUY ? "BUY" : a == TWS_ACTION_SELL ? "SELL" : NULL;
}

static const char *
order_type_name(int t)
{
	return t == TWS_ORDER_MKT ? "MKT" : t == TWS_ORDER_LMT ? "LMT" : NULL;
}

static const char *
tif_name(int t)
{
	return t == TWS_TIF_DAY ? "DAY" : t == TWS_TIF_GTC ? "GTC" : NULL;
}

/* The order fields both placeOrder and openOrder carry. */
static int
order_check(const char *what, const struct tws_order *o, int need_tif,
    struct gw_err *err)
{
	if (o->symbol[0] == '\0')
		return gw_err_set(err, "%s: field symbol: empty", what);
	if (o->exchange[0] == '\0')
		return gw_err_set(err, "%s: field exchange: empty", what);
	if (o->currency[0] == '\0')
		return gw_err_set(err, "%s: field currency: empty", what);
	if (action_name(o->action) == NULL)
		return gw_err_set(err, "%s: field action: %d is not BUY or SELL",
		    what, o->action);
	if (!qty_ok(o->total_quantity, strnlen(o->total_quantity, TWS_ORD_QTY),
	    0, 0) || strspn(o->total_quantity, "0.") ==
	    strlen(o->total_quantity))
		return gw_err_set(err, "%s: field totalQuantity: not a positive "
		    "decimal", what);
	if (order_type_name(o->order_type) == NULL)
		return gw_err_set(err, "%s: field orderType: %d is not MKT or LMT",
		    what, o->order_type);
	if (o->order_type == TWS_ORDER_LMT && (!o->has_lmt_price ||
	    !isfinite(o->lmt_price) || o->lmt_price <= 0 ||
	    o->lmt_price >= TWS_UNSET_DOUBLE))
		return gw_err_set(err, "%s: field lmtPrice: a LMT order needs a "
		    "positive price", what);
	if (need_tif && tif_name(o->tif) == NULL)
		return gw_err_set(err, "%s: field tif: %d is not DAY or GTC", what,
		    o->tif);
	if (!str_ok(o->symbol, TWS_ORD_STR) || !str_ok(o->exchange, TWS_ORD_STR) ||
	    !str_ok(o->primary_exchange, TWS_ORD_STR) ||
	    !str_ok(o->currency, TWS_ORD_STR) ||
	    !str_ok(o->order_ref, TWS_ORD_REF) || !str_ok(o->account, TWS_ORD_STR))
		return gw_err_set(err, "%s: a text field is not terminated", what);
	return 0;
}

/* IB's EClient.placeOrder for a plain stock order at sv 169..176, the
 * official column of tws-protocol-orders.md §8.3.1: 115 fields, no version,
 * the official client's defaults (exemptCode -1, MAX doubles, 2147483647
 * for duration and postToAts). */
static const char place_tpl[] =
    "3|%|0|%|STK||0.0|||%|%|%|||||%|%|%|%||%||%||0|%|%|0|0|0|0|0|%|0||0||||"
    "||||0||-1|0|||0|||0|0||0||||||0|||||0|||||||||||0|||0|0|||0||0|0|0|0||"
    "1.7976931348623157e+308|1.7976931348623157e+308|1.7976931348623157e+308|"
    "1.7976931348623157e+308|1.7976931348623157e+308|0||||"
    "1.7976931348623157e+308|||||0|0|0||2147483647|2147483647|0|||";

ssize_t
tws_enc_place_order(uint8_t *out, size_t cap, int server_version,
    const struct tws_order *o, struct gw_err *err)
{
	char id[24], lmt[48] = "";
	const char *a[14];

	if (sv_check("placeOrder", server_version, TWS_ORDER_SV_PLACE, err) < 0)
		return -1;
	if (o == NULL)
		return gw_err_set(err, "placeOrder: no order");
	if (order_check("placeOrder", o, 1, err) < 0)
		return -1;
	if (o->order_id < 0 || o->order_id > ID_MAX)
		return gw_err_set(err, "placeOrder: field orderId: %lld out of range",
		    o->order_id);
	snprintf(id, sizeof(id), "%lld", o->order_id);
	/* unset lmtPrice is "" from sv 61, never 0 */
	if (o->order_type == TWS_ORDER_LMT &&
	    tws_fmt_double(lmt, sizeof(lmt), o->lmt_price) < 0)
		return gw_err_set(err, "placeOrder: field lmtPrice: cannot format");
	a[0] = id;
	a[1] = o->symbol;
	a[2] = o->exchange;
	a[3] = o->primary_exchange;
	a[4] = o->currency;
	a[5] = action_name(o->action);
	a[6] = o->total_quantity;
	a[7] = order_type_name(o->order_type);
	a[8] = lmt;
	a[9] = tif_name(o->tif);
	a[10] = o->account;
	a[11] = o->order_ref;
	a[12] = o->transmit ? "1" : "0";
	a[13] = o->outside_rth ? "1" : "0";
	return enc_tpl(out, cap, "placeOrder", place_tpl, a, 14, err);
}

ssize_t
tws_enc_cancel_order(uint8_t *out, size_t cap, int server_version,
    long long order_id, struct gw_err *err)
{
	char id[24];
	const char *a[1] = { id };

	if (sv_check("cancelOrder", server_version, TWS_ORDER_SV_PLACE, err) < 0)
		return -1;
	if (order_id < 0 || order_id > ID_MAX)
		return gw_err_set(err, "cancelOrder: field orderId: %lld out of range",
		    order_id);
	snprintf(id, sizeof(id), "%lld", order_id);
	/* version 1, then manualOrderCancelTime "" (sv 169..186) */
	return enc_tpl(out, cap, "cancelOrder", "4|1|%||", a, 1, err);
}

static ssize_t
enc_fixed(uint8_t *out, size_t cap, int sv, const char *what, const char *tpl,
    struct gw_err *err)
{
	if (sv_check(what, sv, TWS_ORDER_SV_MIN, err) < 0)
		return -1;
	return enc_tpl(out, cap, what, tpl, NULL, 0, err);
}

static ssize_t
enc_id(uint8_t *out, size_t cap, int sv, const char *what, const char *tpl,
    long long v, struct gw_err *err)
{
	char id[24];
	const char *a[1] = { id };

	if (sv_check(what, sv, TWS_ORDER_SV_MIN, err) < 0)
		return -1;
	snprintf(id, sizeof(id), "%lld", v);
	return enc_tpl(out, cap, what, tpl, a, 1, err);
}

ssize_t
tws_enc_req_open_orders(uint8_t *out, size_t cap, int sv, struct gw_err *err)
{
	return enc_fixed(out, cap, sv, "reqOpenOrders", "5|1|", err);
}

ssize_t
tws_enc_req_all_open_orders(uint8_t *out, size_t cap, int sv,
    struct gw_err *err)
{
	return enc_fixed(out, cap, sv, "reqAllOpenOrders", "16|1|", err);
}

ssize_t
tws_enc_req_ids(uint8_t *out, size_t cap, int sv, int num_ids,
    struct gw_err *err)
{
	return enc_id(out, cap, sv, "reqIds", "8|1|%|", num_ids, err);
}

ssize_t
tws_enc_req_positions(uint8_t *out, size_t cap, int sv, struct gw_err *err)
{
	return enc_fixed(out, cap, sv, "reqPositions", "61|1|", err);
}

ssize_t
tws_enc_cancel_positions(uint8_t *out, size_t cap, int sv, struct gw_err *err)
{
	return enc_fixed(out, cap, sv, "cancelPositions", "64|1|", err);
}

ssize_t
tws_enc_req_account_summary(uint8_t *out, size_t cap, int sv,
    long long req_id, const char *group, const char *tags, struct gw_err *err)
{
	char id[24];
	const char *a[3] = { id, group, tags };

	if (sv_check("reqAccountSummary", sv, TWS_ORDER_SV_MIN, err) < 0)
		return -1;
	if (group == NULL || group[0] == '\0' || strlen(group) >= TWS_ORD_STR)
		return gw_err_set(err, "reqAccountSummary: field group: empty or "
		    "too long");
	if (tags == NULL || tags[0] == '\0' || strlen(tags) >= TWS_ORD_TEXT)
		return gw_err_set(err, "reqAccountSummary: field tags: empty or "
		    "too long");
	snprintf(id, sizeof(id), "%lld", req_id);
	return enc_tpl(out, cap, "reqAccountSummary", "62|1|%|%|%|", a, 3, err);
}

ssize_t
tws_enc_cancel_account_summary(uint8_t *out, size_t cap, int sv,
    long long req_id, struct gw_err *err)
{
	return enc_id(out, cap, sv, "cancelAccountSummary", "63|1|%|", req_id,
	    err);
}

ssize_t
tws_enc_req_executions(uint8_t *out, size_t cap, int sv, long long req_id,
    struct gw_err *err)
{
	/* VERSION 3 and the official ExecutionFilter(): clientId 0, the
	 * rest empty (PY46 client.reqExecutions, sv 42..199). */
	return enc_id(out, cap, sv, "reqExecutions", "7|3|%|0|||||||", req_id,
	    err);
}

ssize_t
tws_enc_req_global_cancel(uint8_t *out, size_t cap, int sv,
    struct gw_err *err)
{
	return enc_fixed(out, cap, sv, "reqGlobalCancel", "58|1|", err);
}

ssize_t
tws_enc_order_status(uint8_t *out, size_t cap, int sv,
    const struct tws_order_status *s, struct gw_err *err)
{
	char id[24], avg[48], perm[24], parent[24], last[48], cid[16], cap_p[48];
	const char *a[11] = { id, s ? s->status : NULL, s ? s->filled : NULL,
	    s ? s->remaining : NULL, avg, perm, parent, last, cid,
	    s ? s->why_held : NULL, cap_p };

	if (sv_check("orderStatus", sv, TWS_ORDER_SV_ORDER_STATUS, err) < 0)
		return -1;
	if (s == NULL || s->status[0] == '\0' ||
	    !str_ok(s->status, TWS_ORD_STR) || !str_ok(s->why_held, TWS_ORD_TEXT))
		return gw_err_set(err, "orderStatus: field status: empty");
	if (!qty_ok(s->filled, strnlen(s->filled, TWS_ORD_QTY), 0, 1) ||
	    !qty_ok(s->remaining, strnlen(s->remaining, TWS_ORD_QTY), 0, 1))
		return gw_err_set(err, "orderStatus: field filled/remaining: not "
		    "a decimal");
	snprintf(id, sizeof(id), "%lld", s->order_id);
	snprintf(perm, sizeof(perm), "%lld", s->perm_id);
	snprintf(parent, sizeof(parent), "%lld", s->parent_id);
	snprintf(cid, sizeof(cid), "%d", s->client_id);
	if (fmt_srv_double(avg, sizeof(avg), s->avg_fill_price) < 0 ||
	    fmt_srv_double(last, sizeof(last), s->last_fill_price) < 0 ||
	    fmt_srv_double(cap_p, sizeof(cap_p), s->mkt_cap_price) < 0)
		return gw_err_set(err, "orderStatus: a price is not finite");
	/* 12 fields, no version from sv 131 (PY46 processOrderStatusMsg) */
	return enc_tpl(out, cap, "orderStatus", "3|%|%|%|%|%|%|%|%|%|%|%|", a,
	    11, err);
}

/* The openOrder a real server sends for a plain stock order at sv 170..176
 * (tws-protocol-orders.md §8.4.2, the verified frame and RUST-REC1): 136
 * fields, "None" in deltaNeutralOrderType [62] followed by the 8
 * delta-neutral fields, "None" in adjustedOrderType [112]. */
static const char open_tpl[] =
    "5|%|%|%|STK||0|?||%|%|%|%|%|%|%|%|0.0|%||%||0|%|%|%|%|0|0||%||||||||||0"
    "||-1|0||||||2147483647|0|0|0||3|0|0||0|0||0|None||0||||?|0|0||0|0||||||"
    "0|0|0|2147483647|2147483647|||0||IB|0|0||0|0|%|"
    MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|"
    MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|%|||%|%|0|0|0|None|"
    MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|" MAXD_JAVA "|"
    MAXD_JAVA "|0||||0|1|0|0|0|||0||100|0.02|||";

ssize_t
tws_enc_open_order(uint8_t *out, size_t cap, int sv,
    const struct tws_open_order *oo, struct gw_err *err)
{
	char id[24], con[24], lmt[48], cid[16], perm[24], alloc[TWS_ORD_STR * 2 + 64];
	char comm[48] = "";
	const struct tws_order *o;
	const char *a[22];

	if (sv_check("openOrder", sv, TWS_ORDER_SV_OPEN_ORDER, err) < 0)
		return -1;
	if (oo == NULL)
		return gw_err_set(err, "openOrder: no order");
	o = &oo->o;
	if (order_check("openOrder", o, 1, err) < 0)
		return -1;
	if (oo->status[0] == '\0' || !str_ok(oo->status, TWS_ORD_STR))
		return gw_err_set(err, "openOrder: field status: empty");
	if (!str_ok(oo->local_symbol, TWS_ORD_STR) ||
	    !str_ok(oo->trading_class, TWS_ORD_STR) ||
	    !str_ok(oo->commission_currency, TWS_ORD_STR) ||
	    !str_ok(oo->warning_text, TWS_ORD_TEXT))
		return gw_err_set(err, "openOrder: a text field is not terminated");
	snprintf(id, sizeof(id), "%lld", o->order_id);
	snprintf(con, sizeof(con), "%lld", oo->con_id);
	snprintf(cid, sizeof(cid), "%d", oo->client_id);
	snprintf(perm, sizeof(perm), "%lld", oo->perm_id);
	/* the deprecated sharesAllocation a server still fills in */
	snprintf(alloc, sizeof(alloc), "%lld.0/%s/%s", oo->perm_id, o->account,
	    o->total_quantity);
	/* a server sends 0.0 as the lmtPrice of a MKT order (RUST-REC1) */
	if (tws_fmt_double(lmt, sizeof(lmt), o->order_type == TWS_ORDER_LMT ?
	    o->lmt_price : 0) < 0)
		return gw_err_set(err, "openOrder: field lmtPrice: cannot format");
	if (oo->commission != TWS_UNSET_DOUBLE &&
	    tws_fmt_double(comm, sizeof(comm), oo->commission) < 0)
		return gw_err_set(err, "openOrder: field commission: not finite");
	a[0] = id;
	a[1] = con;
	a[2] = o->symbol;
	a[3] = o->exchange;
	a[4] = o->currency;
	a[5] = oo->local_symbol;
	a[6] = oo->trading_class;
	a[7] = action_name(o->action);
	a[8] = o->total_quantity;
	a[9] = order_type_name(o->order_type);
	a[10] = lmt;
	a[11] = tif_name(o->tif);
	a[12] = o->account;
	a[13] = o->order_ref;
	a[14] = cid;
	a[15] = perm;
	a[16] = o->outside_rth ? "1" : "0";
	a[17] = alloc;
	a[18] = oo->status;
	a[19] = comm;
	a[20] = oo->commission_currency;
	a[21] = oo->warning_text;
	return enc_tpl(out, cap, "openOrder", open_tpl, a, 22, err);
}

ssize_t
tws_enc_open_order_end(uint8_t *out, size_t cap, int sv, struct gw_err *err)
{
	return enc_fixed(out, cap, sv, "openOrderEnd", "53|1|", err);
}

ssize_t
tws_enc_exec_details(uint8_t *out, size_t cap, int sv,
    const struct tws_execution *x, struct gw_err *err)
{
	char rid[24], oid[24], con[24], price[48], perm[24], cid[16], liq[16];
	char avg[48], evm[48], last[16];
	const char *a[30];

	if (sv_check("execDetails", sv, TWS_ORDER_SV_EXEC, err) < 0)
		return -1;
	if (x == NULL || x->exec_id[0] == '\0')
		return gw_err_set(err, "execDetails: field execId: empty");
	if (!qty_ok(x->shares, strnlen(x->shares, TWS_ORD_QTY), 0, 1) ||
	    !qty_ok(x->cum_qty, strnlen(x->cum_qty, TWS_ORD_QTY), 0, 1))
		return gw_err_set(err, "execDetails: field shares/cumQty: not a "
		    "decimal");
	snprintf(rid, sizeof(rid), "%lld", x->req_id);
	snprintf(oid, sizeof(oid), "%lld", x->order_id);
	snprintf(con, sizeof(con), "%lld", x->con_id);
	snprintf(perm, sizeof(perm), "%lld", x->perm_id);
	snprintf(cid, sizeof(cid), "%d", x->client_id);
	snprintf(liq, sizeof(liq), "%d", x->liquidation);
	snprintf(last, sizeof(last), "%d", x->last_liquidity);
	if (tws_fmt_double(price, sizeof(price), x->price) < 0 ||
	    tws_fmt_double(avg, sizeof(avg), x->avg_price) < 0)
		return gw_err_set(err, "execDetails: field price: not finite");
	if (x->ev_multiplier == 0 && !signbit(x->ev_multiplier))
		evm[0] = '\0';
	else if (tws_fmt_double(evm, sizeof(evm), x->ev_multiplier) < 0)
		return gw_err_set(err, "execDetails: field evMultiplier: not finite");
	a[0] = rid; a[1] = oid; a[2] = con; a[3] = x->symbol;
	a[4] = x->sec_type; a[5] = x->exchange; a[6] = x->currency;
	a[7] = x->local_symbol; a[8] = x->trading_class; a[9] = x->exec_id;
	a[10] = x->time; a[11] = x->account; a[12] = x->exec_exchange;
	a[13] = x->side; a[14] = x->shares; a[15] = price; a[16] = perm;
	a[17] = cid; a[18] = liq; a[19] = x->cum_qty; a[20] = avg;
	a[21] = x->order_ref; a[22] = x->ev_rule; a[23] = evm;
	a[24] = x->model_code; a[25] = last;
	/* 31 fields, no version from sv 136 (PY46 processExecutionDataMsg) */
	return enc_tpl(out, cap, "execDetails",
	    "11|%|%|%|%|%||0.0|||%|%|%|%|%|%|%|%|%|%|%|%|%|%|%|%|%|%|%|%|%|", a,
	    26, err);
}

ssize_t
tws_enc_exec_details_end(uint8_t *out, size_t cap, int sv, long long req_id,
    struct gw_err *err)
{
	return enc_id(out, cap, sv, "execDetailsEnd", "55|1|%|", req_id, err);
}

ssize_t
tws_enc_commission_report(uint8_t *out, size_t cap, int sv,
    const struct tws_commission *c, struct gw_err *err)
{
	char comm[48], pnl[48], yld[48], date[16] = "";
	const char *a[6] = { c ? c->exec_id : NULL, comm, c ? c->currency : NULL,
	    pnl, yld, date };

	if (sv_check("commissionReport", sv, TWS_ORDER_SV_MIN, err) < 0)
		return -1;
	if (c == NULL || c->exec_id[0] == '\0')
		return gw_err_set(err, "commissionReport: field execId: empty");
	if (tws_fmt_double(comm, sizeof(comm), c->commission) < 0 ||
	    fmt_srv_double(pnl, sizeof(pnl), c->realized_pnl) < 0 ||
	    fmt_srv_double(yld, sizeof(yld), c->yield) < 0)
		return gw_err_set(err, "commissionReport: a number is not finite");
	if (c->yield_redemption_date != 0)
		snprintf(date, sizeof(date), "%d", c->yield_redemption_date);
	/* 8 fields exactly (ib_async unpacks a fixed tuple) */
	return enc_tpl(out, cap, "commissionReport", "59|1|%|%|%|%|%|%|", a, 6,
	    err);
}

ssize_t
tws_enc_position(uint8_t *out, size_t cap, int sv,
    const struct tws_position *p, struct gw_err *err)
{
	char con[24], cost[48];
	const char *a[10];

	if (sv_check("position", sv, TWS_ORDER_SV_MIN, err) < 0)
		return -1;
	if (p == NULL || p->account[0] == '\0')
		return gw_err_set(err, "position: field account: empty");
	if (!qty_ok(p->position, strnlen(p->position, TWS_ORD_QTY), 1, 0))
		return gw_err_set(err, "position: field position: not a decimal");
	snprintf(con, sizeof(con), "%lld", p->con_id);
	if (tws_fmt_double(cost, sizeof(cost), p->avg_cost) < 0)
		return gw_err_set(err, "position: field avgCost: not finite");
	a[0] = p->account; a[1] = con; a[2] = p->symbol; a[3] = p->sec_type;
	a[4] = p->exchange; a[5] = p->currency; a[6] = p->local_symbol;
	a[7] = p->trading_class; a[8] = p->position; a[9] = cost;
	/* version 3, 16 fields exactly (ib_async) */
	return enc_tpl(out, cap, "position", "61|3|%|%|%|%||0.0|||%|%|%|%|%|%|",
	    a, 10, err);
}

ssize_t
tws_enc_position_end(uint8_t *out, size_t cap, int sv, struct gw_err *err)
{
	return enc_fixed(out, cap, sv, "positionEnd", "62|1|", err);
}

ssize_t
tws_enc_account_summary(uint8_t *out, size_t cap, int sv,
    const struct tws_account_value *v, struct gw_err *err)
{
	char id[24];
	const char *a[5] = { id, v ? v->account : NULL, v ? v->tag : NULL,
	    v ? v->value : NULL, v ? v->currency : NULL };

	if (sv_check("accountSummary", sv, TWS_ORDER_SV_MIN, err) < 0)
		return -1;
	if (v == NULL || v->account[0] == '\0' || v->tag[0] == '\0')
		return gw_err_set(err, "accountSummary: field account/tag: empty");
	snprintf(id, sizeof(id), "%lld", v->req_id);
	return enc_tpl(out, cap, "accountSummary", "63|1|%|%|%|%|%|", a, 5, err);
}

ssize_t
tws_enc_account_summary_end(uint8_t *out, size_t cap, int sv,
    long long req_id, struct gw_err *err)
{
	return enc_id(out, cap, sv, "accountSummaryEnd", "64|1|%|", req_id, err);
}

/* ---------- decoding ---------- */

/* Readers over tws_wire's cursor (the first error sticks), with what
 * order messages need beyond it: skips, constants, unset doubles, bounded
 * strings, decimal quantities, enums and exact field counts. */
static void
rd_skip(struct tws_cur *r, const char *name)
{
	(void)tws_cur_next(r, name);
}

/* Exactly this integer (a version field). */
static void
rd_const(struct tws_cur *r, const char *name, long long want)
{
	const struct tws_field *fld = tws_cur_next(r, name);
	long long v;
	char why[48];

	if (fld != NULL && (tws_field_ll(fld, want, want, &v) < 0 ||
	    fld->len == 0)) {
		snprintf(why, sizeof(why), "is not %lld", want);
		tws_cur_fail(r, name, fld, why);
	}
}

static int
is_max_double(const struct tws_field *fld)
{
	return (fld->len == 22 && memcmp(fld->p, MAXD_JAVA, 22) == 0) ||
	    (fld->len == 23 && memcmp(fld->p, "1.7976931348623157e+308", 23) == 0);
}

/* A double; "" reads as unset_val (0 for plain fields), Java's MAX as
 * TWS_UNSET_DOUBLE. */
static double
rd_dbl(struct tws_cur *r, const char *name, double unset_val)
{
	const struct tws_field *fld;

	if (!r->failed && r->i < r->f->n) {
		fld = &r->f->f[r->i];
		if (fld->len == 0 || is_max_double(fld)) {
			r->i++;
			return fld->len == 0 ? unset_val : TWS_UNSET_DOUBLE;
		}
	}
	return tws_cur_double(r, name);
}

static void
rd_str(struct tws_cur *r, const char *name, char *dst, size_t cap)
{
	const struct tws_field *fld = tws_cur_next(r, name);

	dst[0] = '\0';
	if (fld == NULL)
		return;
	if (fld->len >= cap) {
		tws_cur_fail(r, name, fld, "is too long");
		return;
	}
	memcpy(dst, fld->p, fld->len + 1);
}

static void
rd_text(struct tws_cur *r, const char *name, char *dst, size_t cap)
{
	const struct tws_field *fld = r->failed ? NULL : &r->f->f[r->i];

	rd_str(r, name, dst, cap);
	if (fld != NULL && !r->failed && fld->len == 0)
		tws_cur_fail(r, name, fld, "is empty");
}

static void
rd_qty(struct tws_cur *r, const char *name, char *dst, int neg_ok, int empty_ok)
{
	const struct tws_field *fld = tws_cur_next(r, name);

	dst[0] = '\0';
	if (fld == NULL)
		return;
	if (!qty_ok(fld->p, fld->len, neg_ok, empty_ok)) {
		tws_cur_fail(r, name, fld, "is not a decimal quantity");
		return;
	}
	memcpy(dst, fld->p, fld->len + 1);
}

static int
fld_is(const struct tws_field *fld, const char *s)
{
	return fld->len == strlen(s) && memcmp(fld->p, s, fld->len) == 0;
}

/* An enum field: the index of its text among names (1-based), else error. */
static int
rd_enum(struct tws_cur *r, const char *name, const char *const *names,
    const char *why)
{
	const struct tws_field *fld = tws_cur_next(r, name);
	int k;

	if (fld == NULL)
		return 0;
	for (k = 0; names[k] != NULL; k++)
		if (fld_is(fld, names[k]))
			return k + 1;
	tws_cur_fail(r, name, fld, why);
	return 0;
}

static const char *const actions[] = { "BUY", "SELL", NULL };
static const char *const order_types[] = { "MKT", "LMT", NULL };
static const char *const tifs[] = { "DAY", "GTC", NULL };
static const char *const stk[] = { "STK", NULL };

/* No field may follow: the exact-count messages. */
static int
rd_end(struct tws_cur *r, const char *last)
{
	if (!r->failed && r->i < r->f->n) {
		r->failed = 1;
		gw_err_set(r->err, "%s: extra field %zu after %s (expected %zu "
		    "fields, got %zu)", r->msg, r->i, last, r->i, r->f->n);
	}
	return r->failed ? -1 : 0;
}

/* A price field of placeOrder: "", 0 and MAX are all "unset" (§8.1). */
static void
rd_price(struct tws_cur *r, const char *name, int *has, double *v)
{
	double d = rd_dbl(r, name, 0);

	*has = !r->failed && d != 0 && d != TWS_UNSET_DOUBLE;
	*v = *has ? d : 0;
}

static void
dec_place(struct tws_cur *r, struct tws_order *o)
{
	/* By index, as §8.7 advises: the fields before [28] are fixed from
	 * sv 145; clients differ in the defaults they send, so those are only
	 * skipped. STQ's empty fields read as the defaults. */
	memset(o, 0, sizeof(*o));
	o->order_id = tws_cur_ll(r, "orderId", 0, ID_MAX);
	rd_skip(r, "conId");
	rd_text(r, "symbol", o->symbol, sizeof(o->symbol));
	rd_enum(r, "secType", stk, "is not STK");
	rd_skip(r, "lastTradeDateOrContractMonth");
	rd_dbl(r, "strike", 0);
	rd_skip(r, "right");
	rd_skip(r, "multiplier");
	rd_text(r, "exchange", o->exchange, sizeof(o->exchange));
	rd_str(r, "primaryExchange", o->primary_exchange,
	    sizeof(o->primary_exchange));
	rd_text(r, "currency", o->currency, sizeof(o->currency));
	rd_skip(r, "localSymbol");
	rd_skip(r, "tradingClass");
	rd_skip(r, "secIdType");
	rd_skip(r, "secId");
	o->action = rd_enum(r, "action", actions, "is not BUY or SELL");
	rd_qty(r, "totalQuantity", o->total_quantity, 0, 0);
	if (!r->failed && strspn(o->total_quantity, "0.") ==
	    strlen(o->total_quantity)) {
		tws_cur_fail(r, "totalQuantity", &r->f->f[r->i - 1], "is not positive");
		return;
	}
	o->order_type = rd_enum(r, "orderType", order_types, "is not MKT or LMT");
	rd_price(r, "lmtPrice", &o->has_lmt_price, &o->lmt_price);
	if (!r->failed && o->order_type == TWS_ORDER_LMT &&
	    (!o->has_lmt_price || o->lmt_price < 0)) {
		tws_cur_fail(r, "lmtPrice", &r->f->f[r->i - 1],
		    "is not a LMT order's price");
		return;
	}
	if (o->order_type == TWS_ORDER_MKT) {	/* a MKT order has no price */
		o->has_lmt_price = 0;
		o->lmt_price = 0;
	}
	rd_dbl(r, "auxPrice", 0);
	if (!r->failed && r->i < r->f->n && r->f->f[r->i].len == 0)
		rd_skip(r, "tif");	/* none: the gateway's preset (10349) */
	else
		o->tif = rd_enum(r, "tif", tifs, "is not DAY or GTC");
	rd_skip(r, "ocaGroup");
	rd_str(r, "account", o->account, sizeof(o->account));
	rd_skip(r, "openClose");
	tws_cur_ll(r, "origin", 0, 1);
	rd_str(r, "orderRef", o->order_ref, sizeof(o->order_ref));
	o->transmit = (int)tws_cur_ll(r, "transmit", 0, 1);
	if (r->f->n > 33) {	/* parentId .. triggerMethod, then outsideRth */
		r->i = 33;
		o->outside_rth = (int)tws_cur_ll(r, "outsideRth", 0, 1);
	}
}

/* The cursor over f, past the message id (the first field) into *id. */
static int
read_msg_id(struct tws_cur *r, const struct tws_fields *f, int *id,
    struct gw_err *err)
{
	tws_cur_init(r, f, "message", err);
	if (f->n == 0 || f->f[0].len == 0)
		return gw_err_set(err, "message: empty message id");
	*id = (int)tws_cur_ll(r, "id", 0, 100000);
	return r->failed ? -1 : 0;
}

int
tws_order_decode_req(const struct tws_fields *f, int sv,
    struct tws_order_req *m, struct gw_err *err)
{
	struct tws_cur r;

	memset(m, 0, sizeof(*m));
	if (read_msg_id(&r, f, &m->id, err) < 0)
		return -1;
	switch (m->id) {
	case TWS_OUT_PLACE_ORDER:
		r.msg = "placeOrder";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_DECODE_PLACE, err) < 0)
			return -1;
		dec_place(&r, &m->u.place);
		return r.failed ? -1 : 0;
	case TWS_OUT_CANCEL_ORDER:
		r.msg = "cancelOrder";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_PLACE, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		m->u.order_id = tws_cur_ll(&r, "orderId", 0, ID_MAX);
		rd_skip(&r, "manualOrderCancelTime");
		return rd_end(&r, "manualOrderCancelTime");
	case TWS_OUT_REQ_OPEN_ORDERS:
		r.msg = "reqOpenOrders";
		break;
	case TWS_OUT_REQ_ALL_OPEN_ORDERS:
		r.msg = "reqAllOpenOrders";
		break;
	case TWS_OUT_REQ_POSITIONS:
		r.msg = "reqPositions";
		break;
	case TWS_OUT_CANCEL_POSITIONS:
		r.msg = "cancelPositions";
		break;
	case TWS_OUT_REQ_GLOBAL_CANCEL:
		r.msg = "reqGlobalCancel";
		break;
	case TWS_OUT_REQ_IDS:
		r.msg = "reqIds";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		/* STQ sends "" without an argument; "" reads as 0 */
		m->u.num_ids = (int)tws_cur_ll(&r, "numIds", INT_MIN, INT_MAX);
		return rd_end(&r, "numIds");
	case TWS_OUT_REQ_ACCOUNT_SUMMARY:
		r.msg = "reqAccountSummary";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		m->u.account_summary.req_id = tws_cur_ll(&r, "reqId", -ID_MAX, ID_MAX);
		rd_text(&r, "group", m->u.account_summary.group,
		    sizeof(m->u.account_summary.group));
		rd_text(&r, "tags", m->u.account_summary.tags,
		    sizeof(m->u.account_summary.tags));
		return rd_end(&r, "tags");
	case TWS_OUT_CANCEL_ACCOUNT_SUMMARY:
		r.msg = "cancelAccountSummary";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		m->u.req_id = tws_cur_ll(&r, "reqId", -ID_MAX, ID_MAX);
		return rd_end(&r, "reqId");
	case TWS_OUT_REQ_EXECUTIONS:
		r.msg = "reqExecutions";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 3);
		m->u.req_id = tws_cur_ll(&r, "reqId", -ID_MAX, ID_MAX);
		/* the filter: gwkit answers every execution whatever it says */
		tws_cur_ll(&r, "clientId", INT_MIN, INT_MAX);
		rd_skip(&r, "acctCode");
		rd_skip(&r, "time");
		rd_skip(&r, "symbol");
		rd_skip(&r, "secType");
		rd_skip(&r, "exchange");
		rd_skip(&r, "side");
		return rd_end(&r, "side");
	default:
		return 1;
	}
	/* the version-only requests: id, version 1, nothing else */
	if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
		return -1;
	rd_const(&r, "version", 1);
	return rd_end(&r, "version");
}

/* Skip n fields of a group. */
static void
rd_skipn(struct tws_cur *r, const char *name, long long n)
{
	while (n-- > 0 && !r->failed)
		rd_skip(r, name);
}

static void
dec_open_order(struct tws_cur *r, struct tws_open_order *oo)
{
	struct tws_order *o = &oo->o;
	const struct tws_field *fld;
	char type[TWS_ORD_STR];
	long long n, k;
	double inc;

	/* IB's decoder.processOpenOrder + orderdecoder.py at sv 170..176, as
	 * tws-protocol-orders.md §8.4.2 walks it. */
	o->order_id = tws_cur_ll(r, "orderId", -ID_MAX, ID_MAX);
	oo->con_id = tws_cur_ll(r, "conId", 0, ID_MAX);
	rd_text(r, "symbol", o->symbol, sizeof(o->symbol));
	rd_enum(r, "secType", stk, "is not STK");
	rd_skip(r, "lastTradeDateOrContractMonth");
	rd_dbl(r, "strike", 0);
	rd_skip(r, "right");
	rd_skip(r, "multiplier");
	rd_text(r, "exchange", o->exchange, sizeof(o->exchange));
	rd_text(r, "currency", o->currency, sizeof(o->currency));
	rd_str(r, "localSymbol", oo->local_symbol, sizeof(oo->local_symbol));
	rd_str(r, "tradingClass", oo->trading_class, sizeof(oo->trading_class));
	o->action = rd_enum(r, "action", actions, "is not BUY or SELL");
	rd_qty(r, "totalQuantity", o->total_quantity, 0, 0);
	o->order_type = rd_enum(r, "orderType", order_types, "is not MKT or LMT");
	o->lmt_price = rd_dbl(r, "lmtPrice", 0);
	o->has_lmt_price = o->order_type == TWS_ORDER_LMT;
	if (!o->has_lmt_price || o->lmt_price == TWS_UNSET_DOUBLE) {
		o->lmt_price = 0;
		o->has_lmt_price = 0;
	}
	rd_dbl(r, "auxPrice", 0);
	o->tif = rd_enum(r, "tif", tifs, "is not DAY or GTC");
	rd_skip(r, "ocaGroup");
	rd_str(r, "account", o->account, sizeof(o->account));
	rd_skip(r, "openClose");
	tws_cur_ll(r, "origin", 0, 1);
	rd_str(r, "orderRef", o->order_ref, sizeof(o->order_ref));
	oo->client_id = (int)tws_cur_ll(r, "clientId", INT_MIN, INT_MAX);
	oo->perm_id = tws_cur_ll(r, "permId", LLONG_MIN, LLONG_MAX);
	o->outside_rth = (int)tws_cur_ll(r, "outsideRth", 0, 1);
	rd_skipn(r, "hidden..faPercentage", 7);	/* [27]..[33] */
	rd_skip(r, "faProfile");		/* sv < 177 */
	rd_skipn(r, "modelCode..exemptCode", 8);	/* [35]..[42] */
	rd_skipn(r, "auctionStrategy..triggerMethod", 17);	/* [43]..[59] */
	rd_skipn(r, "volatility..volatilityType", 2);
	/* Real servers send "None" here: non-empty, so the 8 delta-neutral
	 * fields follow. Test non-empty, never "not None" (§8.4.2). */
	fld = tws_cur_next(r, "deltaNeutralOrderType");
	rd_skip(r, "deltaNeutralAuxPrice");
	if (fld != NULL && fld->len > 0)
		rd_skipn(r, "deltaNeutral fields", 8);
	rd_skipn(r, "continuousUpdate..comboLegsDescrip", 7);
	n = tws_cur_ll(r, "comboLegsCount", 0, 50);
	rd_skipn(r, "comboLeg", 8 * n);
	n = tws_cur_ll(r, "orderComboLegsCount", 0, 50);
	rd_skipn(r, "orderComboLeg.price", n);
	n = tws_cur_ll(r, "smartComboRoutingParamsCount", 0, 50);
	rd_skipn(r, "smartComboRoutingParam", 2 * n);
	rd_skipn(r, "scaleInitLevelSize..scaleSubsLevelSize", 2);
	inc = rd_dbl(r, "scalePriceIncrement", TWS_UNSET_DOUBLE);
	if (inc != TWS_UNSET_DOUBLE && inc > 0)
		rd_skipn(r, "scale fields", 7);
	fld = tws_cur_next(r, "hedgeType");
	if (fld != NULL && fld->len > 0)
		rd_skip(r, "hedgeParam");
	rd_skipn(r, "optOutSmartRouting..notHeld", 4);
	if (tws_cur_ll(r, "deltaNeutralContractPresent", 0, 1) == 1)
		rd_skipn(r, "deltaNeutralContract", 3);
	fld = tws_cur_next(r, "algoStrategy");
	if (fld != NULL && fld->len > 0) {
		n = tws_cur_ll(r, "algoParamsCount", 0, 50);
		rd_skipn(r, "algoParam", 2 * n);
	}
	rd_skipn(r, "solicited..whatIf", 2);
	rd_text(r, "status", oo->status, sizeof(oo->status));
	rd_skipn(r, "margins", 9);
	oo->commission = rd_dbl(r, "commission", TWS_UNSET_DOUBLE);
	rd_dbl(r, "minCommission", TWS_UNSET_DOUBLE);
	rd_dbl(r, "maxCommission", TWS_UNSET_DOUBLE);
	rd_str(r, "commissionCurrency", oo->commission_currency,
	    sizeof(oo->commission_currency));
	rd_str(r, "warningText", oo->warning_text, sizeof(oo->warning_text));
	rd_skipn(r, "randomizeSize..randomizePrice", 2);
	/* (PEG BENCH's 5 fields cannot occur: orderType is MKT or LMT) */
	n = tws_cur_ll(r, "conditionsCount", 0, 50);
	for (k = 0; k < n && !r->failed; k++) {
		/* after the type: its conjunction and fields (order_condition.py) */
		static const int after[8] = { 0, 6, 0, 3, 3, 4, 5, 5 };
		long long t = tws_cur_ll(r, "condition.type", 1, 7);

		if (!r->failed && after[t] == 0) {
			tws_cur_fail(r, "condition.type", &r->f->f[r->i - 1],
			    "is not a condition type");
			return;
		}
		rd_skipn(r, "condition", after[t]);
	}
	if (n > 0)
		rd_skipn(r, "conditionsIgnoreRth..conditionsCancelOrder", 2);
	rd_str(r, "adjustedOrderType", type, sizeof(type));
	rd_skipn(r, "triggerPrice..adjustableTrailingUnit", 7);
	rd_skipn(r, "softDollarTier", 3);
	rd_skipn(r, "cashQty..autoCancelParent", 8);
	rd_skipn(r, "minTradeQty..midOffsetAtHalf", 5);
	/* newer servers append fields: not an error (§8.8) */
}

static void
dec_exec(struct tws_cur *r, struct tws_execution *x)
{
	x->req_id = tws_cur_ll(r, "reqId", -ID_MAX, ID_MAX);
	x->order_id = tws_cur_ll(r, "orderId", -ID_MAX, ID_MAX);
	x->con_id = tws_cur_ll(r, "conId", 0, ID_MAX);
	rd_text(r, "symbol", x->symbol, sizeof(x->symbol));
	rd_str(r, "secType", x->sec_type, sizeof(x->sec_type));
	rd_skip(r, "lastTradeDateOrContractMonth");
	rd_dbl(r, "strike", 0);
	rd_skip(r, "right");
	rd_skip(r, "multiplier");
	rd_str(r, "exchange", x->exchange, sizeof(x->exchange));
	rd_str(r, "currency", x->currency, sizeof(x->currency));
	rd_str(r, "localSymbol", x->local_symbol, sizeof(x->local_symbol));
	rd_str(r, "tradingClass", x->trading_class, sizeof(x->trading_class));
	rd_text(r, "execId", x->exec_id, sizeof(x->exec_id));
	rd_str(r, "time", x->time, sizeof(x->time));
	rd_str(r, "acctNumber", x->account, sizeof(x->account));
	rd_str(r, "exchange", x->exec_exchange, sizeof(x->exec_exchange));
	rd_str(r, "side", x->side, sizeof(x->side));
	rd_qty(r, "shares", x->shares, 0, 1);
	x->price = rd_dbl(r, "price", 0);
	x->perm_id = tws_cur_ll(r, "permId", LLONG_MIN, LLONG_MAX);
	x->client_id = (int)tws_cur_ll(r, "clientId", INT_MIN, INT_MAX);
	x->liquidation = (int)tws_cur_ll(r, "liquidation", INT_MIN, INT_MAX);
	rd_qty(r, "cumQty", x->cum_qty, 0, 1);
	x->avg_price = rd_dbl(r, "avgPrice", 0);
	rd_str(r, "orderRef", x->order_ref, sizeof(x->order_ref));
	rd_str(r, "evRule", x->ev_rule, sizeof(x->ev_rule));
	x->ev_multiplier = rd_dbl(r, "evMultiplier", 0);
	if (x->ev_multiplier == TWS_UNSET_DOUBLE)
		x->ev_multiplier = 0;
	rd_str(r, "modelCode", x->model_code, sizeof(x->model_code));
	x->last_liquidity = (int)tws_cur_ll(r, "lastLiquidity", INT_MIN, INT_MAX);
}

int
tws_order_decode_in(const struct tws_fields *f, int sv,
    struct tws_order_in *m, struct gw_err *err)
{
	struct tws_cur r;

	memset(m, 0, sizeof(*m));
	if (read_msg_id(&r, f, &m->id, err) < 0)
		return -1;
	switch (m->id) {
	case TWS_IN_ORDER_STATUS: {
		struct tws_order_status *s = &m->u.status;

		r.msg = "orderStatus";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_ORDER_STATUS, err) < 0)
			return -1;
		s->order_id = tws_cur_ll(&r, "orderId", -ID_MAX, ID_MAX);
		rd_text(&r, "status", s->status, sizeof(s->status));
		rd_qty(&r, "filled", s->filled, 0, 1);
		rd_qty(&r, "remaining", s->remaining, 0, 1);
		s->avg_fill_price = rd_dbl(&r, "avgFillPrice", 0);
		s->perm_id = tws_cur_ll(&r, "permId", LLONG_MIN, LLONG_MAX);
		s->parent_id = tws_cur_ll(&r, "parentId", -ID_MAX, ID_MAX);
		s->last_fill_price = rd_dbl(&r, "lastFillPrice", 0);
		s->client_id = (int)tws_cur_ll(&r, "clientId", INT_MIN, INT_MAX);
		rd_str(&r, "whyHeld", s->why_held, sizeof(s->why_held));
		s->mkt_cap_price = rd_dbl(&r, "mktCapPrice", 0);
		break;
	}
	case TWS_IN_OPEN_ORDER:
		r.msg = "openOrder";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_OPEN_ORDER, err) < 0)
			return -1;
		dec_open_order(&r, &m->u.open_order);
		break;
	case TWS_IN_EXEC_DETAILS:
		r.msg = "execDetails";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_EXEC, err) < 0)
			return -1;
		dec_exec(&r, &m->u.exec);
		break;
	case TWS_IN_COMMISSION_REPORT: {
		struct tws_commission *c = &m->u.commission;

		r.msg = "commissionReport";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		rd_text(&r, "execId", c->exec_id, sizeof(c->exec_id));
		c->commission = rd_dbl(&r, "commission", 0);
		rd_str(&r, "currency", c->currency, sizeof(c->currency));
		c->realized_pnl = rd_dbl(&r, "realizedPNL", TWS_UNSET_DOUBLE);
		c->yield = rd_dbl(&r, "yield", TWS_UNSET_DOUBLE);
		c->yield_redemption_date = (int)tws_cur_ll(&r, "yieldRedemptionDate",
		    0, 99999999);
		break;
	}
	case TWS_IN_POSITION: {
		struct tws_position *p = &m->u.position;

		r.msg = "position";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 3);
		rd_text(&r, "account", p->account, sizeof(p->account));
		p->con_id = tws_cur_ll(&r, "conId", 0, ID_MAX);
		rd_str(&r, "symbol", p->symbol, sizeof(p->symbol));
		rd_str(&r, "secType", p->sec_type, sizeof(p->sec_type));
		rd_skip(&r, "lastTradeDateOrContractMonth");
		rd_dbl(&r, "strike", 0);
		rd_skip(&r, "right");
		rd_skip(&r, "multiplier");
		rd_str(&r, "exchange", p->exchange, sizeof(p->exchange));
		rd_str(&r, "currency", p->currency, sizeof(p->currency));
		rd_str(&r, "localSymbol", p->local_symbol, sizeof(p->local_symbol));
		rd_str(&r, "tradingClass", p->trading_class,
		    sizeof(p->trading_class));
		rd_qty(&r, "position", p->position, 1, 0);
		p->avg_cost = rd_dbl(&r, "avgCost", 0);
		break;
	}
	case TWS_IN_ACCOUNT_SUMMARY: {
		struct tws_account_value *v = &m->u.account_value;

		r.msg = "accountSummary";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		v->req_id = tws_cur_ll(&r, "reqId", -ID_MAX, ID_MAX);
		rd_text(&r, "account", v->account, sizeof(v->account));
		rd_text(&r, "tag", v->tag, sizeof(v->tag));
		rd_str(&r, "value", v->value, sizeof(v->value));
		rd_str(&r, "currency", v->currency, sizeof(v->currency));
		return rd_end(&r, "currency");
	}
	case TWS_IN_OPEN_ORDER_END:
	case TWS_IN_POSITION_END:
		r.msg = m->id == TWS_IN_OPEN_ORDER_END ? "openOrderEnd" :
		    "positionEnd";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		return rd_end(&r, "version");
	case TWS_IN_EXEC_DETAILS_END:
	case TWS_IN_ACCOUNT_SUMMARY_END:
		r.msg = m->id == TWS_IN_EXEC_DETAILS_END ? "execDetailsEnd" :
		    "accountSummaryEnd";
		if (sv_check(r.msg, sv, TWS_ORDER_SV_MIN, err) < 0)
			return -1;
		rd_const(&r, "version", 1);
		m->u.req_id = tws_cur_ll(&r, "reqId", -ID_MAX, ID_MAX);
		return rd_end(&r, "reqId");
	default:
		return 1;
	}
	return r.failed ? -1 : 0;
}
