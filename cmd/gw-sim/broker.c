/*
 * broker: gw-sim's paper broker. One account's book: orders with the ids
 * and permIds a gateway assigns, fills against the quotes the caller feeds
 * in, executions, positions with average cost and P&L, and cash. Answers
 * are handed to a callback as structs in IB's order of messages
 * (tws-protocol-orders.md §8.6, from RUST-REC1/2 and erdewit/ib_insync#554);
 * the wire encoding is someone else's job. Pure: no I/O, no clock, no
 * globals. Requests are untrusted (they come from a client's placeOrder).
 */
#include "broker.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QTY_EPS 1e-9		/* a remainder below this is no remainder */
#define QTY_MAX 1e9		/* more shares than any order can mean */
#define PRICE_MAX 1e9

#define TEXT_103 "Duplicate order ID"
#define TEXT_201 "Order rejected - reason:"
#define TEXT_202 "Order Canceled - reason:"
#define TEXT_434 "The order size cannot be zero."

struct sym {
	char symbol[BROKER_SYMBOL_MAX];
	int has_quote;
	double bid;
	double ask;
	int traded;
	double qty;
	double avg_cost;
	double realized;
};

struct broker {
	struct broker_config cfg;
	long long max_used_id;
	long long next_perm_id;
	unsigned long long exec_seq;

	struct broker_order *orders;	/* ascending id (ids only grow) */
	size_t n_orders, cap_orders;
	struct broker_exec *execs;
	size_t n_execs, cap_execs;
	struct sym *syms;
	size_t n_syms, cap_syms;

	double cash;
	double commissions;

	unsigned reject_n;
	unsigned swallow_n;
	unsigned delay_n;
	double part_size;
};

static int
grow(void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -1;
	ncap = *cap == 0 ? 16 : *cap * 2;
	if (ncap < need)
		ncap = need;
	if (ncap > max)
		ncap = max;
	np = realloc(*p, ncap * elem);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* A NUL-terminated string of printable ASCII inside its array. */
static int
text_ok(const char *s, size_t size, int may_be_empty)
{
	const char *end = memchr(s, '\0', size);
	const char *p;

	if (end == NULL || (end == s && !may_be_empty))
		return 0;
	for (p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return 0;
	return 1;
}

static int
price_ok(double p)
{
	return isfinite(p) && p > 0 && p <= PRICE_MAX;
}

struct broker *
broker_new(const struct broker_config *cfg, struct gw_err *err)
{
	struct broker *b;

	if (!text_ok(cfg->account, sizeof(cfg->account), 0))
		return gw_err_set(err, "broker: account: not 1..%d printable "
		    "characters", BROKER_ACCOUNT_MAX - 1), NULL;
	if (!isfinite(cfg->cash) || cfg->cash < 0)
		return gw_err_set(err, "broker: cash: not a finite amount "
		    ">= 0"), NULL;
	if (!isfinite(cfg->partial_above) || cfg->partial_above < 0 ||
	    cfg->partial_above > QTY_MAX)
		return gw_err_set(err, "broker: partial_above: not a size "
		    ">= 0"), NULL;
	if (!isfinite(cfg->commission_per_share) ||
	    cfg->commission_per_share < 0 || cfg->commission_per_share > 1e6)
		return gw_err_set(err, "broker: commission_per_share: not "
		    "an amount >= 0"), NULL;
	if (cfg->first_order_id < 1 || cfg->first_order_id > (1LL << 62))
		return gw_err_set(err, "broker: first_order_id: not "
		    ">= 1"), NULL;
	if (cfg->first_perm_id < 1 || cfg->first_perm_id > (1LL << 62))
		return gw_err_set(err, "broker: first_perm_id: not "
		    ">= 1"), NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return gw_err_set(err, "broker: out of memory"), NULL;
	b->cfg = *cfg;
	b->max_used_id = cfg->first_order_id - 1;
	b->next_perm_id = cfg->first_perm_id;
	b->cash = cfg->cash;
	return b;
}

void
broker_free(struct broker *b)
{
	if (b == NULL)
		return;
	free(b->syms);
	free(b->execs);
	free(b->orders);
	free(b);
}

long long
broker_next_valid_id(const struct broker *b)
{
	return b->max_used_id + 1;
}

const char *
broker_account_id(const struct broker *b)
{
	return b->cfg.account;
}

const char *
broker_status_name(enum broker_status s)
{
	switch (s) {
	case BROKER_SUBMITTED:
		return "Submitted";
	case BROKER_FILLED:
		return "Filled";
	case BROKER_CANCELLED:
		return "Cancelled";
	case BROKER_INACTIVE:
		return "Inactive";
	}
	return "?";
}

int
broker_order_working(const struct broker_order *o)
{
	return o->status == BROKER_SUBMITTED;
}

static struct sym *
sym_find(struct broker *b, const char *symbol)
{
	size_t i;

	for (i = 0; i < b->n_syms; i++)
		if (strcmp(b->syms[i].symbol, symbol) == 0)
			return &b->syms[i];
	return NULL;
}

static struct sym *
sym_get(struct broker *b, const char *symbol, struct gw_err *err)
{
	struct sym *s = sym_find(b, symbol);

	if (s != NULL)
		return s;
	if (grow((void **)&b->syms, &b->cap_syms, b->n_syms + 1,
	    sizeof(*b->syms), BROKER_MAX_SYMBOLS) == -1)
		return gw_err_set(err, "broker: symbol: more than %d symbols "
		    "or no memory", BROKER_MAX_SYMBOLS), NULL;
	s = &b->syms[b->n_syms++];
	memset(s, 0, sizeof(*s));
	snprintf(s->symbol, sizeof(s->symbol), "%s", symbol);
	return s;
}

/* ---- messages ---- */

static void
emit_order(broker_emit_cb emit, void *arg, enum broker_msg_kind kind,
    const struct broker_order *o)
{
	struct broker_msg m;

	if (emit == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.order = *o;
	emit(&m, arg);
}

static void
emit_exec(broker_emit_cb emit, void *arg, enum broker_msg_kind kind,
    const struct broker_exec *x)
{
	struct broker_msg m;

	if (emit == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.exec = *x;
	emit(&m, arg);
}

static void emit_error(broker_emit_cb emit, void *arg, long long id,
    int code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
emit_error(broker_emit_cb emit, void *arg, long long id, int code,
    const char *fmt, ...)
{
	struct broker_msg m;
	va_list ap;

	if (emit == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.kind = BROKER_MSG_ERROR;
	m.error.id = id;
	m.error.code = code;
	va_start(ap, fmt);
	vsnprintf(m.error.text, sizeof(m.error.text), fmt, ap);
	va_end(ap);
	emit(&m, arg);
}

/* ---- fills ---- */

/* The position side of a fill: average cost on an opening fill, realized
 * P&L on a closing one (a fill through zero closes, then opens the rest
 * at its price). Returns whether it closed shares. */
static int
position_fill(struct sym *s, double signed_q, double price, double *realized)
{
	double closed;

	s->traded = 1;
	if (s->qty == 0 || (s->qty > 0) == (signed_q > 0)) {
		s->avg_cost = (fabs(s->qty) * s->avg_cost +
		    fabs(signed_q) * price) / (fabs(s->qty) + fabs(signed_q));
		s->qty += signed_q;
		return 0;
	}
	closed = fmin(fabs(signed_q), fabs(s->qty));
	*realized = closed * (price - s->avg_cost) * (s->qty > 0 ? 1 : -1);
	s->realized += *realized;
	s->qty += signed_q;
	if (fabs(s->qty) < QTY_EPS) {
		s->qty = 0;
		s->avg_cost = 0;
	} else if ((s->qty > 0) == (signed_q > 0)) {
		s->avg_cost = price;
	}
	return 1;
}

static int
crosses(const struct broker_order *o, const struct sym *s)
{
	if (!s->has_quote)
		return 0;
	if (o->req.type == BROKER_MKT)
		return 1;
	if (o->req.action == BROKER_BUY)
		return s->ask <= o->req.lmt_price;
	return s->bid >= o->req.lmt_price;
}

/* One fill (the whole remainder, or one part) of the working order at
 * index oi at the quote of s: execDetails, openOrder when it completes,
 * orderStatus, commissionReport (§8.6 B, RUST-REC2). The caller has made
 * room for one more execution. */
static void
fill(struct broker *b, size_t oi, struct sym *s, time_t now, const char *ts,
    broker_emit_cb emit, void *arg)
{
	struct broker_order *o = &b->orders[oi];
	struct broker_exec *x;
	double q = o->remaining, price, signed_q;

	if (o->part_size > 0 && q > o->part_size + QTY_EPS)
		q = o->part_size;
	price = o->req.action == BROKER_BUY ? s->ask : s->bid;
	signed_q = o->req.action == BROKER_BUY ? q : -q;

	x = &b->execs[b->n_execs++];
	memset(x, 0, sizeof(*x));
	b->exec_seq++;
	snprintf(x->exec_id, sizeof(x->exec_id), "0000e0d5.%08llx.01.01",
	    b->exec_seq);
	x->order_id = o->req.id;
	x->perm_id = o->perm_id;
	memcpy(x->symbol, o->req.symbol, sizeof(x->symbol));
	memcpy(x->account, o->req.account, sizeof(x->account));
	memcpy(x->order_ref, o->req.order_ref, sizeof(x->order_ref));
	x->side = o->req.action;
	x->shares = q;
	x->price = price;
	x->when = now;
	snprintf(x->time, sizeof(x->time), "%s", ts);
	x->commission = q * b->cfg.commission_per_share;
	x->has_realized = position_fill(s, signed_q, price, &x->realized_pnl);

	b->cash -= signed_q * price + x->commission;
	b->commissions += x->commission;

	o->avg_fill_price = (o->avg_fill_price * o->filled + q * price) /
	    (o->filled + q);
	o->filled += q;
	o->remaining = o->req.qty - o->filled;
	if (o->remaining < QTY_EPS) {
		o->remaining = 0;
		o->status = BROKER_FILLED;
	}
	o->last_fill_price = price;
	o->commission += x->commission;
	x->cum_qty = o->filled;
	x->avg_price = o->avg_fill_price;

	emit_exec(emit, arg, BROKER_MSG_EXEC_DETAILS, x);
	if (o->status == BROKER_FILLED)
		emit_order(emit, arg, BROKER_MSG_OPEN_ORDER, o);
	emit_order(emit, arg, BROKER_MSG_ORDER_STATUS, o);
	emit_exec(emit, arg, BROKER_MSG_COMMISSION, x);
}

/* IB's execution time layout, in UTC: "yyyymmdd  hh:mm:ss" (§8.4.4). */
static int
format_time(time_t now, char *buf, size_t size, struct gw_err *err)
{
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || tm.tm_year + 1900 < 1970 ||
	    tm.tm_year + 1900 > 9999)
		return gw_err_set(err, "broker: now: not a time between "
		    "1970 and 9999");
	if (strftime(buf, size, "%Y%m%d  %H:%M:%S", &tm) == 0)
		return gw_err_set(err, "broker: now: does not format");
	return 0;
}

/* ---- requests ---- */

static int
check_req(const struct broker_order_req *r, struct gw_err *err)
{
	if (!text_ok(r->symbol, sizeof(r->symbol), 0))
		return gw_err_set(err, "broker: symbol: not 1..%d printable "
		    "characters", BROKER_SYMBOL_MAX - 1);
	if (r->action != BROKER_BUY && r->action != BROKER_SELL)
		return gw_err_set(err, "broker: action: not BUY or SELL");
	if (!isfinite(r->qty) || r->qty > QTY_MAX)
		return gw_err_set(err, "broker: qty: not a finite size up to "
		    "%.0f", QTY_MAX);
	if (r->type != BROKER_MKT && r->type != BROKER_LMT)
		return gw_err_set(err, "broker: type: not MKT or LMT");
	if (r->type == BROKER_LMT && !price_ok(r->lmt_price))
		return gw_err_set(err, "broker: lmt_price: not a price > 0 "
		    "for a LMT order");
	if (r->tif != BROKER_DAY && r->tif != BROKER_GTC)
		return gw_err_set(err, "broker: tif: not DAY or GTC");
	if (!text_ok(r->order_ref, sizeof(r->order_ref), 1))
		return gw_err_set(err, "broker: order_ref: not up to %d "
		    "printable characters", BROKER_REF_MAX - 1);
	if (!text_ok(r->account, sizeof(r->account), 1))
		return gw_err_set(err, "broker: account: not up to %d "
		    "printable characters", BROKER_ACCOUNT_MAX - 1);
	return 0;
}

int
broker_place(struct broker *b, const struct broker_order_req *req,
    time_t now, broker_emit_cb emit, void *arg, struct gw_err *err)
{
	struct broker_order *o;
	struct sym *s;
	char ts[BROKER_TIME_MAX];
	int wrong_account;

	if (check_req(req, err) == -1 ||
	    format_time(now, ts, sizeof(ts), err) == -1)
		return -1;
	if (req->id <= b->max_used_id) {
		emit_error(emit, arg, req->id, BROKER_ERR_DUPLICATE_ID,
		    TEXT_103);
		return 0;
	}
	/* Room first, so that nothing below can fail halfway. */
	if (grow((void **)&b->orders, &b->cap_orders, b->n_orders + 1,
	    sizeof(*b->orders), BROKER_MAX_ORDERS) == -1)
		return gw_err_set(err, "broker: id: more than %d orders or no "
		    "memory", BROKER_MAX_ORDERS);
	if (grow((void **)&b->execs, &b->cap_execs, b->n_execs + 1,
	    sizeof(*b->execs), BROKER_MAX_EXECS) == -1)
		return gw_err_set(err, "broker: id: more than %d executions "
		    "or no memory", BROKER_MAX_EXECS);
	if ((s = sym_get(b, req->symbol, err)) == NULL)
		return -1;

	b->max_used_id = req->id;
	if (req->qty <= 0) {
		emit_error(emit, arg, req->id, BROKER_ERR_ZERO_SIZE, TEXT_434);
		return 0;
	}
	if (b->reject_n == 0 && b->swallow_n > 0) {
		b->swallow_n--;
		return 0;
	}

	o = &b->orders[b->n_orders++];
	memset(o, 0, sizeof(*o));
	o->req = *req;
	wrong_account = req->account[0] != '\0' &&
	    strcmp(req->account, b->cfg.account) != 0;
	if (!wrong_account)
		snprintf(o->req.account, sizeof(o->req.account), "%s",
		    b->cfg.account);
	o->perm_id = b->next_perm_id++;
	o->remaining = req->qty;
	o->delay = b->delay_n;
	if (b->part_size > 0)
		o->part_size = b->part_size;
	else if (b->cfg.partial_above > 0 && req->qty > b->cfg.partial_above)
		o->part_size = b->cfg.partial_above;

	if (b->reject_n > 0 || wrong_account) {
		/* §8.6 D: 201, then openOrder and orderStatus Inactive. */
		if (wrong_account)
			emit_error(emit, arg, req->id, BROKER_ERR_REJECTED,
			    TEXT_201 "Account %s is not managed by this login",
			    req->account);
		else
			emit_error(emit, arg, req->id, BROKER_ERR_REJECTED,
			    TEXT_201 "rejected by a gw-sim fault");
		if (!wrong_account)
			b->reject_n--;
		o->status = BROKER_INACTIVE;
		emit_order(emit, arg, BROKER_MSG_OPEN_ORDER, o);
		emit_order(emit, arg, BROKER_MSG_ORDER_STATUS, o);
		return 0;
	}

	/* §8.6 A: openOrder then orderStatus, Submitted straight away. */
	o->status = BROKER_SUBMITTED;
	emit_order(emit, arg, BROKER_MSG_OPEN_ORDER, o);
	emit_order(emit, arg, BROKER_MSG_ORDER_STATUS, o);
	if (o->delay == 0 && crosses(o, s))
		fill(b, b->n_orders - 1, s, now, ts, emit, arg);
	return 0;
}

int
broker_quote(struct broker *b, const char *symbol, double bid, double ask,
    time_t now, broker_emit_cb emit, void *arg, struct gw_err *err)
{
	struct sym *s;
	char ts[BROKER_TIME_MAX];
	size_t i, n = 0, len = strnlen(symbol, BROKER_SYMBOL_MAX);

	if (len >= BROKER_SYMBOL_MAX || !text_ok(symbol, len + 1, 0))
		return gw_err_set(err, "broker: symbol: not 1..%d printable "
		    "characters", BROKER_SYMBOL_MAX - 1);
	if (!price_ok(bid))
		return gw_err_set(err, "broker: bid: not a price > 0");
	if (!price_ok(ask))
		return gw_err_set(err, "broker: ask: not a price > 0");
	if (ask < bid)
		return gw_err_set(err, "broker: ask: below the bid");
	if (format_time(now, ts, sizeof(ts), err) == -1)
		return -1;
	/* At most one fill per working order of the symbol: room first. */
	for (i = 0; i < b->n_orders; i++)
		if (broker_order_working(&b->orders[i]) &&
		    strcmp(b->orders[i].req.symbol, symbol) == 0)
			n++;
	if (grow((void **)&b->execs, &b->cap_execs, b->n_execs + n,
	    sizeof(*b->execs), BROKER_MAX_EXECS) == -1)
		return gw_err_set(err, "broker: quote: more than %d "
		    "executions or no memory", BROKER_MAX_EXECS);
	if ((s = sym_get(b, symbol, err)) == NULL)
		return -1;
	s->has_quote = 1;
	s->bid = bid;
	s->ask = ask;
	for (i = 0; i < b->n_orders; i++) {
		struct broker_order *o = &b->orders[i];

		if (!broker_order_working(o) ||
		    strcmp(o->req.symbol, symbol) != 0)
			continue;
		if (o->delay > 0) {
			o->delay--;
			continue;
		}
		if (crosses(o, s))
			fill(b, i, s, now, ts, emit, arg);
	}
	return 0;
}

static struct broker_order *
order_find(struct broker *b, long long id)
{
	size_t lo = 0, hi = b->n_orders;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->orders[mid].req.id == id)
			return &b->orders[mid];
		if (b->orders[mid].req.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct broker_order *
broker_order_find(const struct broker *b, long long id)
{
	return order_find((struct broker *)b, id);
}

/* §8.6 C: orderStatus Cancelled, then 202 with an empty reason. */
static void
cancel_one(struct broker_order *o, broker_emit_cb emit, void *arg)
{
	o->status = BROKER_CANCELLED;
	emit_order(emit, arg, BROKER_MSG_ORDER_STATUS, o);
	emit_error(emit, arg, o->req.id, BROKER_ERR_CANCELLED, TEXT_202);
}

void
broker_cancel(struct broker *b, long long id, broker_emit_cb emit, void *arg)
{
	struct broker_order *o = order_find(b, id);

	/* Texts as seen on the wire: deephaven-examples/deephaven-ib#59,
	 * erdewit/ib_insync#656 (tws-protocol-orders.md §8.5). */
	if (o == NULL)
		emit_error(emit, arg, id, BROKER_ERR_CANCEL_NOT_FOUND,
		    "OrderId %lld that needs to be cancelled is not found.",
		    id);
	else if (!broker_order_working(o))
		emit_error(emit, arg, id, BROKER_ERR_CANCEL_FINAL,
		    "OrderId %lld that needs to be cancelled cannot be "
		    "cancelled, state: %s.", id, broker_status_name(o->status));
	else
		cancel_one(o, emit, arg);
}

void
broker_global_cancel(struct broker *b, broker_emit_cb emit, void *arg)
{
	size_t i;

	for (i = 0; i < b->n_orders; i++)
		if (broker_order_working(&b->orders[i]))
			cancel_one(&b->orders[i], emit, arg);
}

/* ---- faults ---- */

void
broker_fault_reject(struct broker *b, unsigned n)
{
	b->reject_n = n;
}

void
broker_fault_swallow(struct broker *b, unsigned n)
{
	b->swallow_n = n;
}

void
broker_fault_delay(struct broker *b, unsigned n)
{
	b->delay_n = n;
}

int
broker_fault_partial(struct broker *b, double part, struct gw_err *err)
{
	if (!isfinite(part) || part < 0 || part > QTY_MAX)
		return gw_err_set(err, "broker: part: not a size >= 0");
	b->part_size = part;
	return 0;
}

/* ---- queries ---- */

size_t
broker_order_count(const struct broker *b)
{
	return b->n_orders;
}

const struct broker_order *
broker_order_at(const struct broker *b, size_t i)
{
	return i < b->n_orders ? &b->orders[i] : NULL;
}

size_t
broker_exec_count(const struct broker *b)
{
	return b->n_execs;
}

const struct broker_exec *
broker_exec_at(const struct broker *b, size_t i)
{
	return i < b->n_execs ? &b->execs[i] : NULL;
}

static double
mark_of(const struct sym *s)
{
	return s->has_quote ? (s->bid + s->ask) / 2 : s->avg_cost;
}

size_t
broker_position_count(const struct broker *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->n_syms; i++)
		n += b->syms[i].traded;
	return n;
}

void
broker_position_at(const struct broker *b, size_t i, struct broker_position *out)
{
	size_t k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < b->n_syms; k++) {
		const struct sym *s = &b->syms[k];

		if (!s->traded || i-- > 0)
			continue;
		memcpy(out->symbol, s->symbol, sizeof(out->symbol));
		out->qty = s->qty;
		out->avg_cost = s->avg_cost;
		out->realized_pnl = s->realized;
		out->mark = mark_of(s);
		out->unrealized_pnl = s->qty * (out->mark - s->avg_cost);
		return;
	}
}

void
broker_account_values(const struct broker *b, struct broker_account *out)
{
	size_t k;

	memset(out, 0, sizeof(*out));
	out->cash = b->cash;
	out->net_liquidation = b->cash;
	out->commissions = b->commissions;
	for (k = 0; k < b->n_syms; k++) {
		const struct sym *s = &b->syms[k];
		double mark = mark_of(s);

		if (!s->traded)
			continue;
		out->net_liquidation += s->qty * mark;
		out->gross_position_value += fabs(s->qty) * mark;
		out->realized_pnl += s->realized;
		out->unrealized_pnl += s->qty * (mark - s->avg_cost);
	}
}
