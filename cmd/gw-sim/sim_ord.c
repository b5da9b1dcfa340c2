/*
 * sim_ord: the simulator's orders on the wire. One paper broker (broker.c)
 * per simulator, created with it and kept across client sessions and
 * restarts; this file feeds it the decoded order requests of the sessions
 * (tws_order_decode_req) and the random walk's quotes, encodes what it
 * answers (tws_order's server encoders) and routes each message:
 *
 *   - openOrder, orderStatus, execDetails and commissionReport of an order
 *     go to the ready session of the client id that placed it; when that
 *     client is not connected they are dropped (the book changes anyway);
 *   - an error that answers a request (103, 200, 434, 10147, 10148, 321,
 *     10349) goes to the session that asked; 201 and 202 belong to the
 *     order's own sequence and go with it to the order's owner (the asker,
 *     except for a reqGlobalCancel of other clients' orders);
 *   - position updates after a fill go to every session that has called
 *     reqPositions and not cancelPositions.
 *
 * Client id 0 is an ordinary client here: it sees its own orders only
 * (there are no manual TWS orders to bind). Requests are untrusted: they
 * arrive decoded and checked by tws_order, and the broker checks again.
 */
#include "sim_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "tws_order.h"
#include "tws_wire.h"

#define ORD_MSG_CAP 2048		/* one encoded order message */
#define ORD_FIRST_PERM_ID 1500000001LL

#define TEXT_200 "No security definition has been found for the request"
#define TEXT_321 "Server error when validating an API client request."
#define TEXT_503 "The TWS is out of date and must be upgraded."
#define TEXT_10349 "Order TIF was set to DAY based on order preset."

_Static_assert(SIM_ACCOUNT_MAX == BROKER_ACCOUNT_MAX - 1,
    "sim.h's account size is the broker's");

/* Which client id placed an order: ids only grow, so the array stays
 * sorted by order id. */
struct sim_owner {
	long long order_id;
	int client_id;
};

/* The broker's emit callback's argument: who asked (NULL for a quote). */
struct emit_ctx {
	struct sim *sim;
	struct sess *req;
};

/* ---------- life cycle ---------- */

int
sim_ord_new(struct sim *sim, struct gw_err *err)
{
	struct broker_config bc;

	memset(&bc, 0, sizeof(bc));
	if (sim_first_account(&sim->cfg, bc.account, sizeof(bc.account)) == 0)
		snprintf(bc.account, sizeof(bc.account), "%s", SIM_NO_ACCOUNT);
	bc.cash = sim->cfg.paper_cash;
	bc.partial_above = sim->cfg.partial_above;
	bc.commission_per_share = sim->cfg.commission_per_share;
	bc.first_order_id = 1;
	bc.first_perm_id = ORD_FIRST_PERM_ID;
	sim->broker = broker_new(&bc, err);
	return sim->broker == NULL ? -1 : 0;
}

void
sim_ord_free(struct sim *sim)
{
	broker_free(sim->broker);
	sim->broker = NULL;
	free(sim->owners);
	sim->owners = NULL;
	sim->n_owners = sim->cap_owners = 0;
}

long long
sim_ord_next_valid_id(const struct sim *sim)
{
	return broker_next_valid_id(sim->broker);
}

/* ---------- owners ---------- */

static const struct sim_owner *
owner_find(const struct sim *sim, long long id)
{
	size_t lo = 0, hi = sim->n_owners;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sim->owners[mid].order_id == id)
			return &sim->owners[mid];
		if (sim->owners[mid].order_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The client id that placed order id; -1 when unknown. */
static int
owner_of(const struct sim *sim, long long id)
{
	const struct sim_owner *o = owner_find(sim, id);

	return o == NULL ? -1 : o->client_id;
}

static int
owner_add(struct sim *sim, long long id, int client_id)
{
	struct sim_owner *p;
	size_t ncap;

	if (sim->n_owners == sim->cap_owners) {
		ncap = sim->cap_owners == 0 ? 64 : sim->cap_owners * 2;
		if ((p = realloc(sim->owners, ncap * sizeof(*p))) == NULL)
			return -1;
		sim->owners = p;
		sim->cap_owners = ncap;
	}
	sim->owners[sim->n_owners].order_id = id;
	sim->owners[sim->n_owners].client_id = client_id;
	sim->n_owners++;
	return 0;
}

/* The ready session of a client id, or NULL. */
static struct sess *
sess_of_client(struct sim *sim, int client_id)
{
	struct sess *s;

	if (client_id < 0)
		return NULL;
	TAILQ_FOREACH(s, &sim->sessions, link)
		if (!s->dead && !s->peer_eof && s->state == SESS_READY &&
		    s->client_id == client_id)
			return s;
	return NULL;
}

/* ---------- broker structs to wire structs ---------- */

/* Decimal quantity text without an exponent: "10", "0.5", "-5". */
static void
fmt_qty(char *buf, size_t size, double q)
{
	size_t n;

	snprintf(buf, size, "%.8f", q);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, size, "0");
}

/* A stable contract id per symbol (FNV-1a), like a real conId. */
static long long
con_id_of(const char *symbol)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (; *symbol != '\0'; symbol++)
		h = (h ^ (unsigned char)*symbol) * 0x100000001b3ULL;
	return 100000 + (long long)(h % 900000000ULL);
}

static void
to_open_order(const struct broker_order *o, int client_id,
    struct tws_open_order *oo)
{
	memset(oo, 0, sizeof(*oo));
	oo->o.order_id = o->req.id;
	snprintf(oo->o.symbol, sizeof(oo->o.symbol), "%s", o->req.symbol);
	snprintf(oo->o.exchange, sizeof(oo->o.exchange), "SMART");
	snprintf(oo->o.currency, sizeof(oo->o.currency), "USD");
	oo->o.action = o->req.action == BROKER_BUY ? TWS_ACTION_BUY :
	    TWS_ACTION_SELL;
	fmt_qty(oo->o.total_quantity, sizeof(oo->o.total_quantity), o->req.qty);
	oo->o.order_type = o->req.type == BROKER_LMT ? TWS_ORDER_LMT :
	    TWS_ORDER_MKT;
	oo->o.has_lmt_price = o->req.type == BROKER_LMT;
	oo->o.lmt_price = o->req.type == BROKER_LMT ? o->req.lmt_price : 0;
	oo->o.tif = o->req.tif == BROKER_GTC ? TWS_TIF_GTC : TWS_TIF_DAY;
	snprintf(oo->o.order_ref, sizeof(oo->o.order_ref), "%s",
	    o->req.order_ref);
	snprintf(oo->o.account, sizeof(oo->o.account), "%s", o->req.account);
	oo->con_id = con_id_of(o->req.symbol);
	snprintf(oo->local_symbol, sizeof(oo->local_symbol), "%s", o->req.symbol);
	snprintf(oo->trading_class, sizeof(oo->trading_class), "%s",
	    o->req.symbol);
	oo->client_id = client_id;
	oo->perm_id = o->perm_id;
	snprintf(oo->status, sizeof(oo->status), "%s",
	    broker_status_name(o->status));
	/* the commission shows once there is one (RUST-REC2) */
	oo->commission = o->filled > 0 ? o->commission : TWS_UNSET_DOUBLE;
	if (o->filled > 0)
		snprintf(oo->commission_currency, sizeof(oo->commission_currency),
		    "USD");
}

static void
to_status(const struct broker_order *o, int client_id,
    struct tws_order_status *st)
{
	memset(st, 0, sizeof(*st));
	st->order_id = o->req.id;
	snprintf(st->status, sizeof(st->status), "%s",
	    broker_status_name(o->status));
	fmt_qty(st->filled, sizeof(st->filled), o->filled);
	fmt_qty(st->remaining, sizeof(st->remaining), o->remaining);
	st->avg_fill_price = o->avg_fill_price;
	st->perm_id = o->perm_id;
	st->last_fill_price = o->last_fill_price;
	st->client_id = client_id;
}

static void
to_exec(const struct broker_exec *x, long long req_id, int client_id,
    struct tws_execution *e)
{
	memset(e, 0, sizeof(*e));
	e->req_id = req_id;
	e->order_id = x->order_id;
	e->con_id = con_id_of(x->symbol);
	snprintf(e->symbol, sizeof(e->symbol), "%s", x->symbol);
	snprintf(e->sec_type, sizeof(e->sec_type), "STK");
	snprintf(e->exchange, sizeof(e->exchange), "SMART");
	snprintf(e->currency, sizeof(e->currency), "USD");
	snprintf(e->local_symbol, sizeof(e->local_symbol), "%s", x->symbol);
	snprintf(e->trading_class, sizeof(e->trading_class), "%s", x->symbol);
	snprintf(e->exec_id, sizeof(e->exec_id), "%s", x->exec_id);
	snprintf(e->time, sizeof(e->time), "%s", x->time);
	snprintf(e->account, sizeof(e->account), "%s", x->account);
	snprintf(e->exec_exchange, sizeof(e->exec_exchange), "IEX");
	snprintf(e->side, sizeof(e->side), "%s",
	    x->side == BROKER_BUY ? "BOT" : "SLD");
	fmt_qty(e->shares, sizeof(e->shares), x->shares);
	e->price = x->price;
	e->perm_id = x->perm_id;
	e->client_id = client_id;
	fmt_qty(e->cum_qty, sizeof(e->cum_qty), x->cum_qty);
	e->avg_price = x->avg_price;
	snprintf(e->order_ref, sizeof(e->order_ref), "%s", x->order_ref);
	e->last_liquidity = 2;		/* removed liquidity, as recorded */
}

static void
to_commission(const struct broker_exec *x, struct tws_commission *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->exec_id, sizeof(c->exec_id), "%s", x->exec_id);
	c->commission = x->commission;
	snprintf(c->currency, sizeof(c->currency), "USD");
	c->realized_pnl = x->has_realized ? x->realized_pnl : TWS_UNSET_DOUBLE;
	c->yield = TWS_UNSET_DOUBLE;
}

/* ---------- sending ---------- */

static void
send_open_order(struct sess *s, const struct broker_order *o, int client_id)
{
	uint8_t buf[ORD_MSG_CAP];
	struct tws_open_order oo;
	struct gw_err e;

	to_open_order(o, client_id, &oo);
	sim_sess_sent(s, tws_enc_open_order(buf, sizeof(buf), s->version, &oo,
	    &e), buf, &e);
}

static void
send_status(struct sess *s, const struct broker_order *o, int client_id)
{
	uint8_t buf[ORD_MSG_CAP];
	struct tws_order_status st;
	struct gw_err e;

	to_status(o, client_id, &st);
	sim_sess_sent(s, tws_enc_order_status(buf, sizeof(buf), s->version, &st,
	    &e), buf, &e);
}

static void
send_exec(struct sess *s, const struct broker_exec *x, long long req_id,
    int client_id)
{
	uint8_t buf[ORD_MSG_CAP];
	struct tws_execution ex;
	struct gw_err e;

	to_exec(x, req_id, client_id, &ex);
	sim_sess_sent(s, tws_enc_exec_details(buf, sizeof(buf), s->version, &ex,
	    &e), buf, &e);
}

static void
send_commission(struct sess *s, const struct broker_exec *x)
{
	uint8_t buf[ORD_MSG_CAP];
	struct tws_commission c;
	struct gw_err e;

	to_commission(x, &c);
	sim_sess_sent(s, tws_enc_commission_report(buf, sizeof(buf), s->version,
	    &c, &e), buf, &e);
}

static void
send_position(struct sess *s, const struct broker_position *p,
    const char *account)
{
	uint8_t buf[ORD_MSG_CAP];
	struct tws_position tp;
	struct gw_err e;

	memset(&tp, 0, sizeof(tp));
	snprintf(tp.account, sizeof(tp.account), "%s", account);
	tp.con_id = con_id_of(p->symbol);
	snprintf(tp.symbol, sizeof(tp.symbol), "%s", p->symbol);
	snprintf(tp.sec_type, sizeof(tp.sec_type), "STK");
	snprintf(tp.exchange, sizeof(tp.exchange), "SMART");
	snprintf(tp.currency, sizeof(tp.currency), "USD");
	snprintf(tp.local_symbol, sizeof(tp.local_symbol), "%s", p->symbol);
	snprintf(tp.trading_class, sizeof(tp.trading_class), "%s", p->symbol);
	fmt_qty(tp.position, sizeof(tp.position), p->qty);
	tp.avg_cost = p->avg_cost;
	sim_sess_sent(s, tws_enc_position(buf, sizeof(buf), s->version, &tp, &e),
	    buf, &e);
}

/* A fill changed symbol's position: tell every positions subscriber. */
static void
push_position(struct sim *sim, const char *symbol)
{
	struct broker_position p;
	struct sess *s;
	size_t i, n = broker_position_count(sim->broker);

	for (i = 0; i < n; i++) {
		broker_position_at(sim->broker, i, &p);
		if (strcmp(p.symbol, symbol) != 0)
			continue;
		TAILQ_FOREACH(s, &sim->sessions, link)
			if (!s->dead && s->state == SESS_READY && s->positions_sub)
				send_position(s, &p, broker_account_id(sim->broker));
		return;
	}
}

/* ---------- the broker's messages ---------- */

static void
log_status(struct sim *sim, const struct broker_order *o)
{
	char filled[32], remaining[32];

	fmt_qty(filled, sizeof(filled), o->filled);
	fmt_qty(remaining, sizeof(remaining), o->remaining);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.order.status",
	    json_pack("{s:I, s:s, s:s, s:s}", "order_id", (json_int_t)o->req.id,
	    "status", broker_status_name(o->status), "filled", filled,
	    "remaining", remaining), "order %lld: %s, filled %s, remaining %s",
	    o->req.id, broker_status_name(o->status), filled, remaining);
}

static void
log_fill(struct sim *sim, const struct broker_exec *x)
{
	char shares[32];

	fmt_qty(shares, sizeof(shares), x->shares);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.fill",
	    json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:f}", "order_id",
	    (json_int_t)x->order_id, "exec_id", x->exec_id, "order_ref",
	    x->order_ref, "symbol", x->symbol, "side",
	    x->side == BROKER_BUY ? "BOT" : "SLD", "shares", shares, "price",
	    x->price), "order %lld: %s %s %s at %.2f (%s)", x->order_id,
	    x->side == BROKER_BUY ? "bought" : "sold", shares, x->symbol,
	    x->price, x->exec_id);
}

static void
on_broker_msg(const struct broker_msg *m, void *arg)
{
	struct emit_ctx *ctx = arg;
	struct sim *sim = ctx->sim;
	struct sess *to;
	long long id;
	int owner;

	switch (m->kind) {
	case BROKER_MSG_OPEN_ORDER:
	case BROKER_MSG_ORDER_STATUS:
		id = m->order.req.id;
		break;
	case BROKER_MSG_EXEC_DETAILS:
	case BROKER_MSG_COMMISSION:
		id = m->exec.order_id;
		break;
	default:
		id = m->error.id;
		break;
	}
	owner = owner_of(sim, id);
	if (m->kind == BROKER_MSG_ERROR && m->error.code != BROKER_ERR_REJECTED &&
	    m->error.code != BROKER_ERR_CANCELLED)
		to = ctx->req;		/* the answer to a request */
	else
		to = sess_of_client(sim, owner);
	switch (m->kind) {
	case BROKER_MSG_OPEN_ORDER:
		if (to != NULL)
			send_open_order(to, &m->order, owner);
		break;
	case BROKER_MSG_ORDER_STATUS:
		log_status(sim, &m->order);
		if (to != NULL)
			send_status(to, &m->order, owner);
		break;
	case BROKER_MSG_EXEC_DETAILS:
		log_fill(sim, &m->exec);
		if (to != NULL)
			send_exec(to, &m->exec, -1, owner);
		break;
	case BROKER_MSG_COMMISSION:
		if (to != NULL)
			send_commission(to, &m->exec);
		push_position(sim, m->exec.symbol);	/* the fill is complete */
		break;
	case BROKER_MSG_ERROR:
		if (to != NULL)
			sim_sess_send_error(to, m->error.id, m->error.code,
			    m->error.text);
		break;
	}
}

/* ---------- quotes ---------- */

void
sim_ord_quote(struct sim *sim, const struct sym *y)
{
	struct emit_ctx ctx = { sim, NULL };
	struct gw_err e;
	double bid, ask;

	sim_mkt_bid_ask(y, &bid, &ask);
	if (broker_quote(sim->broker, y->name, bid, ask, time(NULL),
	    on_broker_msg, &ctx, &e) < 0)
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.encode_error",
		    json_pack("{s:s}", "symbol", y->name),
		    "the paper broker refused a quote of %s: %s", y->name, e.msg);
}

/* ---------- requests ---------- */

int
sim_ord_min_version(int msg_id)
{
	switch (msg_id) {
	case TWS_OUT_PLACE_ORDER:
	case TWS_OUT_REQ_OPEN_ORDERS:
	case TWS_OUT_REQ_ALL_OPEN_ORDERS:
		return TWS_ORDER_SV_OPEN_ORDER;	/* answered with openOrder */
	case TWS_OUT_CANCEL_ORDER:
		return TWS_ORDER_SV_PLACE;
	case TWS_OUT_REQ_GLOBAL_CANCEL:
		return TWS_ORDER_SV_ORDER_STATUS;
	case TWS_OUT_REQ_EXECUTIONS:
		return TWS_ORDER_SV_EXEC;
	case TWS_OUT_REQ_IDS:
	case TWS_OUT_REQ_POSITIONS:
	case TWS_OUT_CANCEL_POSITIONS:
	case TWS_OUT_REQ_ACCOUNT_SUMMARY:
	case TWS_OUT_CANCEL_ACCOUNT_SUMMARY:
		return TWS_ORDER_SV_MIN;
	default:
		return 0;
	}
}

const char *
sim_ord_name(int msg_id)
{
	switch (msg_id) {
	case TWS_OUT_PLACE_ORDER: return "placeOrder";
	case TWS_OUT_CANCEL_ORDER: return "cancelOrder";
	case TWS_OUT_REQ_OPEN_ORDERS: return "reqOpenOrders";
	case TWS_OUT_REQ_EXECUTIONS: return "reqExecutions";
	case TWS_OUT_REQ_IDS: return "reqIds";
	case TWS_OUT_REQ_ALL_OPEN_ORDERS: return "reqAllOpenOrders";
	case TWS_OUT_REQ_GLOBAL_CANCEL: return "reqGlobalCancel";
	case TWS_OUT_REQ_POSITIONS: return "reqPositions";
	case TWS_OUT_REQ_ACCOUNT_SUMMARY: return "reqAccountSummary";
	case TWS_OUT_CANCEL_ACCOUNT_SUMMARY: return "cancelAccountSummary";
	case TWS_OUT_CANCEL_POSITIONS: return "cancelPositions";
	default: return "unknown";
	}
}

/* An order request at a server version the layouts do not cover: the
 * error a gateway gives a client it cannot serve. */
void
sim_ord_unsupported(struct sess *s, int msg_id, long long order_id)
{
	if (s->version < sim_ord_min_version(msg_id))
		sim_sess_send_error(s, order_id, 503, TEXT_503);
	else
		sim_sess_send_error(s, order_id, 321, TEXT_321);
}

static void
log_refused(struct sess *s, long long id, const char *reason)
{
	json_t *f = sim_sess_fields(s);

	json_object_set_new(f, "order_id", json_integer((json_int_t)id));
	json_object_set_new(f, "client_id", json_integer(s->client_id));
	json_object_set_new(f, "reason", json_string(reason));
	gw_log_event(s->sim->log, GW_WARNING, COMPONENT, "sim.order.refused", f,
	    "connection %llu: order %lld refused: %s", s->no, id, reason);
}

static int
symbol_ok(const char *sym)
{
	size_t n = strlen(sym), i;

	if (n == 0 || n >= BROKER_SYMBOL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)sym[i] < 0x21 || (unsigned char)sym[i] > 0x7e)
			return 0;
	return 1;
}

static void
on_place(struct sess *s, const struct tws_order *o)
{
	struct sim *sim = s->sim;
	struct emit_ctx ctx = { sim, s };
	struct broker_order_req r;
	struct gw_err e;
	struct sym *y;
	json_t *f;
	int is_new, added = 0;

	/* The observer line first, before anything can refuse the order. */
	f = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i}", "order_id",
	    (json_int_t)o->order_id, "order_ref", o->order_ref, "symbol",
	    o->symbol, "action", o->action == TWS_ACTION_BUY ? "BUY" : "SELL",
	    "qty", o->total_quantity, "type",
	    o->order_type == TWS_ORDER_LMT ? "LMT" : "MKT", "client_id",
	    s->client_id);
	if (f != NULL)
		json_object_set_new(f, "lmt_price", o->order_type == TWS_ORDER_LMT ?
		    json_real(o->lmt_price) : json_null());
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.order.received", f,
	    "connection %llu: placeOrder %lld %s %s %s %s", s->no, o->order_id,
	    o->action == TWS_ACTION_BUY ? "BUY" : "SELL", o->total_quantity,
	    o->symbol, o->order_type == TWS_ORDER_LMT ? "LMT" : "MKT");

	if (!symbol_ok(o->symbol)) {
		log_refused(s, o->order_id, "symbol: not 1..15 printable characters");
		sim_sess_send_error(s, o->order_id, 200, TEXT_200);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.id = o->order_id;
	snprintf(r.symbol, sizeof(r.symbol), "%s", o->symbol);
	r.action = o->action == TWS_ACTION_BUY ? BROKER_BUY : BROKER_SELL;
	r.qty = strtod(o->total_quantity, NULL);
	r.type = o->order_type == TWS_ORDER_LMT ? BROKER_LMT : BROKER_MKT;
	r.lmt_price = o->order_type == TWS_ORDER_LMT ? o->lmt_price : 0;
	r.tif = o->tif == TWS_TIF_GTC ? BROKER_GTC : BROKER_DAY;
	snprintf(r.order_ref, sizeof(r.order_ref), "%s", o->order_ref);
	if (strlen(o->account) >= sizeof(r.account)) {
		log_refused(s, o->order_id, "account: too long");
		sim_sess_send_error(s, o->order_id, 321, TEXT_321);
		return;
	}
	snprintf(r.account, sizeof(r.account), "%s", o->account);

	/* The symbol walks from now on; the broker gets its quote first, so
	 * a MKT order can fill at once. */
	if ((y = sim_mkt_order_sym(sim, o->symbol, &is_new)) == NULL) {
		log_refused(s, o->order_id, "out of memory");
		sim_sess_send_error(s, o->order_id, 321, TEXT_321);
		return;
	}
	if (is_new && !sim->upstream_lost)
		sim_ord_quote(sim, y);
	if (o->order_id >= broker_next_valid_id(sim->broker)) {
		if (owner_add(sim, o->order_id, s->client_id) < 0) {
			log_refused(s, o->order_id, "out of memory");
			sim_sess_send_error(s, o->order_id, 321, TEXT_321);
			return;
		}
		added = 1;
	}
	/* no tif: the gateway applies the preset and says so (§8.3.1) */
	if (o->tif == TWS_TIF_UNSET && added)
		sim_sess_send_error(s, o->order_id, 10349, TEXT_10349);
	if (broker_place(sim->broker, &r, time(NULL), on_broker_msg, &ctx,
	    &e) < 0) {
		if (added)
			sim->n_owners--;
		log_refused(s, o->order_id, e.msg);
		sim_sess_send_error(s, o->order_id, 321, TEXT_321);
	}
}

static void
on_cancel(struct sess *s, long long id)
{
	struct sim *sim = s->sim;
	struct emit_ctx ctx = { sim, s };
	const struct broker_order *o;
	json_t *f = sim_sess_fields(s);
	char text[128];

	json_object_set_new(f, "order_id", json_integer((json_int_t)id));
	json_object_set_new(f, "client_id", json_integer(s->client_id));
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.order.cancel_received", f,
	    "connection %llu: cancelOrder %lld", s->no, id);
	/* Only the client that placed an order can cancel it (DOCS
	 * cancel_order.txt): for the others it does not exist. */
	o = broker_order_find(sim->broker, id);
	if (o != NULL && owner_of(sim, id) != s->client_id) {
		snprintf(text, sizeof(text), "OrderId %lld that needs to be "
		    "cancelled is not found.", id);
		sim_sess_send_error(s, id, BROKER_ERR_CANCEL_NOT_FOUND, text);
		return;
	}
	broker_cancel(sim->broker, id, on_broker_msg, &ctx);
}

static void
on_open_orders(struct sess *s, int all)
{
	struct sim *sim = s->sim;
	const struct broker_order *o;
	uint8_t buf[64];
	struct gw_err e;
	size_t i, n = broker_order_count(sim->broker);
	int owner;

	for (i = 0; i < n; i++) {
		o = broker_order_at(sim->broker, i);
		if (!broker_order_working(o))
			continue;
		owner = owner_of(sim, o->req.id);
		if (!all && owner != s->client_id)
			continue;
		send_open_order(s, o, owner);
		send_status(s, o, owner);
	}
	sim_sess_sent(s, tws_enc_open_order_end(buf, sizeof(buf), s->version,
	    &e), buf, &e);
}

static void
on_positions(struct sess *s)
{
	struct sim *sim = s->sim;
	struct broker_position p;
	uint8_t buf[64];
	struct gw_err e;
	size_t i, n = broker_position_count(sim->broker);

	s->positions_sub = 1;
	for (i = 0; i < n; i++) {
		broker_position_at(sim->broker, i, &p);
		send_position(s, &p, broker_account_id(sim->broker));
	}
	sim_sess_sent(s, tws_enc_position_end(buf, sizeof(buf), s->version, &e),
	    buf, &e);
}

/* The account-summary tags gw-sim answers, in the order it sends them. */
enum { T_MONEY, T_PLAIN };
static const struct {
	const char *tag;
	int kind;
} summary_tags[] = {
	{ "AccountType", T_PLAIN },
	{ "NetLiquidation", T_MONEY },
	{ "TotalCashValue", T_MONEY },
	{ "SettledCash", T_MONEY },
	{ "AccruedCash", T_MONEY },
	{ "BuyingPower", T_MONEY },
	{ "EquityWithLoanValue", T_MONEY },
	{ "GrossPositionValue", T_MONEY },
	{ "InitMarginReq", T_MONEY },
	{ "MaintMarginReq", T_MONEY },
	{ "AvailableFunds", T_MONEY },
	{ "ExcessLiquidity", T_MONEY },
	{ "Cushion", T_PLAIN },
	{ "RealizedPnL", T_MONEY },
	{ "UnrealizedPnL", T_MONEY },
};
#define N_SUMMARY_TAGS (sizeof(summary_tags) / sizeof(summary_tags[0]))

/* The value of summary_tags[i] for account values a. */
static void
summary_value(size_t i, const struct broker_account *a, char *buf,
    size_t size)
{
	/* a Reg T stock margin account: 25% of the gross position value */
	double margin = 0.25 * a->gross_position_value;
	double avail = a->net_liquidation - margin;
	const char *tag = summary_tags[i].tag;
	double v = 0;

	if (strcmp(tag, "AccountType") == 0) {
		snprintf(buf, size, "INDIVIDUAL");
		return;
	}
	if (strcmp(tag, "Cushion") == 0) {
		snprintf(buf, size, "%.6f", a->net_liquidation > 0 ?
		    avail / a->net_liquidation : 0);
		return;
	}
	if (strcmp(tag, "NetLiquidation") == 0 ||
	    strcmp(tag, "EquityWithLoanValue") == 0)
		v = a->net_liquidation;
	else if (strcmp(tag, "TotalCashValue") == 0 ||
	    strcmp(tag, "SettledCash") == 0)
		v = a->cash;
	else if (strcmp(tag, "BuyingPower") == 0)
		v = 4 * avail;
	else if (strcmp(tag, "GrossPositionValue") == 0)
		v = a->gross_position_value;
	else if (strcmp(tag, "InitMarginReq") == 0 ||
	    strcmp(tag, "MaintMarginReq") == 0)
		v = margin;
	else if (strcmp(tag, "AvailableFunds") == 0 ||
	    strcmp(tag, "ExcessLiquidity") == 0)
		v = avail;
	else if (strcmp(tag, "RealizedPnL") == 0)
		v = a->realized_pnl;
	else if (strcmp(tag, "UnrealizedPnL") == 0)
		v = a->unrealized_pnl;
	snprintf(buf, size, "%.2f", v);
}

/* Whether comma-separated list has item (or the gw-sim extension "All"). */
static int
tag_wanted(const char *list, const char *tag)
{
	size_t n = strlen(tag);
	const char *p = list;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		if ((len == n && strncmp(p, tag, n) == 0) ||
		    (len == 3 && strncmp(p, "All", 3) == 0))
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void
on_account_summary(struct sess *s, long long req_id, const char *tags)
{
	struct sim *sim = s->sim;
	struct broker_account a;
	struct tws_account_value v;
	uint8_t buf[256];
	struct gw_err e;
	size_t i;

	broker_account_values(sim->broker, &a);
	for (i = 0; i < N_SUMMARY_TAGS; i++) {
		if (!tag_wanted(tags, summary_tags[i].tag))
			continue;
		memset(&v, 0, sizeof(v));
		v.req_id = req_id;
		snprintf(v.account, sizeof(v.account), "%s",
		    broker_account_id(sim->broker));
		snprintf(v.tag, sizeof(v.tag), "%s", summary_tags[i].tag);
		summary_value(i, &a, v.value, sizeof(v.value));
		if (summary_tags[i].kind == T_MONEY)
			snprintf(v.currency, sizeof(v.currency), "USD");
		sim_sess_sent(s, tws_enc_account_summary(buf, sizeof(buf),
		    s->version, &v, &e), buf, &e);
	}
	sim_sess_sent(s, tws_enc_account_summary_end(buf, sizeof(buf), s->version,
	    req_id, &e), buf, &e);
}

/* Every execution since midnight UTC (the day the execution times use). */
static void
on_executions(struct sess *s, long long req_id)
{
	struct sim *sim = s->sim;
	const struct broker_exec *x;
	time_t now = time(NULL), midnight = now - now % 86400;
	uint8_t buf[64];
	struct gw_err e;
	size_t i, n = broker_exec_count(sim->broker);

	for (i = 0; i < n; i++) {
		x = broker_exec_at(sim->broker, i);
		if (x->when < midnight)
			continue;
		send_exec(s, x, req_id, owner_of(sim, x->order_id));
		send_commission(s, x);
	}
	sim_sess_sent(s, tws_enc_exec_details_end(buf, sizeof(buf), s->version,
	    req_id, &e), buf, &e);
}

void
sim_ord_request(struct sess *s, const struct tws_order_req *r)
{
	struct sim *sim = s->sim;
	struct emit_ctx ctx = { sim, s };
	uint8_t buf[64];
	struct gw_err e;
	json_t *f;

	f = sim_sess_fields(s);
	json_object_set_new(f, "msg", json_string(sim_ord_name(r->id)));
	json_object_set_new(f, "msg_id", json_integer(r->id));
	gw_log_event(sim->log, GW_DEBUG, COMPONENT, "sim.request", f,
	    "connection %llu: %s", s->no, sim_ord_name(r->id));
	switch (r->id) {
	case TWS_OUT_PLACE_ORDER:
		on_place(s, &r->u.place);
		break;
	case TWS_OUT_CANCEL_ORDER:
		on_cancel(s, r->u.order_id);
		break;
	case TWS_OUT_REQ_IDS:
		sim_sess_sent(s, tws_enc_next_valid_id(buf, sizeof(buf),
		    broker_next_valid_id(sim->broker), &e), buf, &e);
		break;
	case TWS_OUT_REQ_OPEN_ORDERS:
		on_open_orders(s, 0);
		break;
	case TWS_OUT_REQ_ALL_OPEN_ORDERS:
		on_open_orders(s, 1);
		break;
	case TWS_OUT_REQ_POSITIONS:
		on_positions(s);
		break;
	case TWS_OUT_CANCEL_POSITIONS:
		s->positions_sub = 0;
		break;
	case TWS_OUT_REQ_ACCOUNT_SUMMARY:
		on_account_summary(s, r->u.account_summary.req_id,
		    r->u.account_summary.tags);
		break;
	case TWS_OUT_CANCEL_ACCOUNT_SUMMARY:
		break;		/* answered once; nothing streams */
	case TWS_OUT_REQ_EXECUTIONS:
		if (sim->exec_swallow > 0) {
			sim->exec_swallow--;
			break;
		}
		on_executions(s, r->u.req_id);
		break;
	case TWS_OUT_REQ_GLOBAL_CANCEL:
		broker_global_cancel(sim->broker, on_broker_msg, &ctx);
		break;
	default:
		break;
	}
}

/* ---------- faults and the book, for the control socket ---------- */

void
sim_order_reject(struct sim *sim, unsigned n)
{
	broker_fault_reject(sim->broker, n);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.config",
	    json_pack("{s:s, s:i}", "setting", "order_reject", "value", (int)n),
	    "order_reject changed");
}

void
sim_exec_swallow(struct sim *sim, unsigned n)
{
	sim->exec_swallow = n;
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.config",
	    json_pack("{s:s, s:i}", "setting", "exec_swallow", "value", (int)n),
	    "exec_swallow changed");
}

void
sim_order_swallow(struct sim *sim, unsigned n)
{
	broker_fault_swallow(sim->broker, n);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.config",
	    json_pack("{s:s, s:i}", "setting", "order_swallow", "value", (int)n),
	    "order_swallow changed");
}

void
sim_fill_delay(struct sim *sim, unsigned n)
{
	broker_fault_delay(sim->broker, n);
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.config",
	    json_pack("{s:s, s:i}", "setting", "fill_delay", "value", (int)n),
	    "fill_delay changed");
}

int
sim_fill_parts(struct sim *sim, double size, struct gw_err *err)
{
	if (!isfinite(size) || size < 0 || size > SIM_MAX_SHARES)
		return gw_err_set(err, "fill-parts: '%g' is not a number of shares "
		    "in 0..%g", size, SIM_MAX_SHARES);
	if (broker_fault_partial(sim->broker, size, err) < 0)
		return -1;
	gw_log_event(sim->log, GW_INFO, COMPONENT, "sim.config",
	    json_pack("{s:s, s:f}", "setting", "fill_parts", "value", size),
	    "fill_parts changed");
	return 0;
}

json_t *
sim_ord_book(struct sim *sim)
{
	const struct broker_order *o;
	struct broker_position p;
	struct broker_account a;
	json_t *orders = json_array(), *positions = json_array(), *jo;
	char qty[32], filled[32], remaining[32];
	size_t i, n;

	n = broker_order_count(sim->broker);
	for (i = 0; i < n; i++) {
		o = broker_order_at(sim->broker, i);
		fmt_qty(qty, sizeof(qty), o->req.qty);
		fmt_qty(filled, sizeof(filled), o->filled);
		fmt_qty(remaining, sizeof(remaining), o->remaining);
		jo = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f,"
		    " s:I, s:i, s:f}",
		    "id", (json_int_t)o->req.id, "ref", o->req.order_ref,
		    "symbol", o->req.symbol,
		    "action", o->req.action == BROKER_BUY ? "BUY" : "SELL",
		    "qty", qty, "type", o->req.type == BROKER_LMT ? "LMT" : "MKT",
		    "status", broker_status_name(o->status), "filled", filled,
		    "remaining", remaining, "avg_fill_price", o->avg_fill_price,
		    "perm_id", (json_int_t)o->perm_id,
		    "client_id", owner_of(sim, o->req.id),
		    "commission", o->commission);
		if (jo != NULL && o->req.type == BROKER_LMT)
			json_object_set_new(jo, "lmt", json_real(o->req.lmt_price));
		json_array_append_new(orders, jo);
	}
	n = broker_position_count(sim->broker);
	for (i = 0; i < n; i++) {
		broker_position_at(sim->broker, i, &p);
		fmt_qty(qty, sizeof(qty), p.qty);
		json_array_append_new(positions, json_pack("{s:s, s:s, s:f, s:f,"
		    " s:f, s:f}", "symbol", p.symbol, "qty", qty, "avg_cost",
		    p.avg_cost, "mark", p.mark, "realized_pnl", p.realized_pnl,
		    "unrealized_pnl", p.unrealized_pnl));
	}
	broker_account_values(sim->broker, &a);
	return json_pack("{s:b, s:s, s:I, s:o, s:o, s:{s:f, s:f, s:f, s:f,"
	    " s:f, s:f}, s:I}",
	    "ok", 1, "account", broker_account_id(sim->broker),
	    "next_valid_id", (json_int_t)broker_next_valid_id(sim->broker),
	    "orders", orders, "positions", positions,
	    "account_values", "cash", a.cash, "net_liquidation",
	    a.net_liquidation, "gross_position_value", a.gross_position_value,
	    "realized_pnl", a.realized_pnl, "unrealized_pnl", a.unrealized_pnl,
	    "commissions", a.commissions,
	    "executions", (json_int_t)broker_exec_count(sim->broker));
}
