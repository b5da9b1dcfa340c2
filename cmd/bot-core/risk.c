/*
 * risk: the rules every order intent passes, in the order of enum
 * risk_rule, and the dry-run shadow book (see risk.h). Intents come from
 * the strategy process and are untrusted (their fields are decoded but not
 * judged: that is done here); the plan, prices and times come from
 * bot-core. Pure: no I/O, no clock.
 *
 * Decisions a reader should know:
 * - Position: |position after the fill| <= the symbol's max_position
 *   (the plan's max_single_position when the symbol gives none), for
 *   reductions too: after a reload lowers the limit below a position, only
 *   an intent that lands within the new limit passes.
 * - Daily loss: once -risk_pnl() >= max_daily_loss_pct % of the starting
 *   capital, only an intent that moves a position toward zero without
 *   crossing it passes (SELL 10 of a long 30, BUY up to 20 of a short 20);
 *   anything that opens, adds to or flips a position is "max-daily-loss".
 * - Hours: 09:30 <= t < 16:00 New York, Monday to Friday; exchange
 *   holidays and half days are not known here.
 * - Rate: accepted intents in the last 60 s (monotonic ms; one accepted at
 *   t counts while now - t < 60000); rejected intents do not count.
 * - P&L: the book values a position at the mark (last, else the bid/ask
 *   mid); with neither it is valued at its average cost (no unrealized).
 *   No commissions. The book lives as long as the object: a new day is a
 *   new risk_new.
 */
#include "risk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RISK_WINDOW_MS 60000
#define RISK_RATE_CAP 10000	/* the gameplan's max_intents_per_minute cap */

static const char *const rule_names[] = {
	[RISK_OK] = "ok",
	[RISK_GATE_CLOSED] = "gate-closed",
	[RISK_STRATEGY_C] = "strategy-c",
	[RISK_SYMBOL] = "symbol-not-in-gameplan",
	[RISK_QUANTITY] = "quantity",
	[RISK_LIMIT_PRICE] = "limit-price",
	[RISK_POSITION] = "max-single-position",
	[RISK_DAILY_LOSS] = "max-daily-loss",
	[RISK_HOURS] = "outside-regular-hours",
	[RISK_RATE] = "rate-limit",
	[RISK_NO_PRICE] = "no-market-price",
	[RISK_ORDER_VALUE] = "max-order-value",
	[RISK_OPEN_ORDERS] = "max-open-orders",
};

/* One symbol's book line and latest prices. */
struct ent {
	char symbol[GAMEPLAN_SYMBOL_MAX + 1];
	double position;	/* shares, negative when short */
	double avg_cost;	/* of the open position; 0 when flat */
	double realized;
	double bid, ask, last;	/* NaN when unknown */
	double pending_buy;	/* shares of open orders at the gateway */
	double pending_sell;
	int traded;		/* filled at least once: listed in the JSON */
};

struct risk {
	struct gameplan plan;
	double capital;
	struct ent *ents;
	size_t n_ents, cap_ents;
	unsigned open_orders;	/* working at the gateway (orders on) */
	int64_t *rate;		/* ring of accepted intents' times */
	size_t rate_head, rate_n;
	unsigned long accepted, rejected;
};

const char *
risk_rule_name(enum risk_rule r)
{
	if ((unsigned)r >= sizeof(rule_names) / sizeof(rule_names[0]))
		return "unknown";
	return rule_names[r];
}

struct risk *
risk_new(const struct gameplan *plan, double starting_capital)
{
	struct risk *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if ((r->rate = malloc(RISK_RATE_CAP * sizeof(*r->rate))) == NULL) {
		free(r);
		return NULL;
	}
	r->plan = *plan;
	r->capital = starting_capital;
	return r;
}

void
risk_set_capital(struct risk *r, double capital)
{
	r->capital = isfinite(capital) && capital > 0 ? capital : 0;
}

void
risk_set_plan(struct risk *r, const struct gameplan *plan)
{
	r->plan = *plan;
}

void
risk_free(struct risk *r)
{
	if (r == NULL)
		return;
	free(r->rate);
	free(r->ents);
	free(r);
}

static struct ent *
ent_find(const struct risk *r, const char *symbol)
{
	size_t i;

	for (i = 0; i < r->n_ents; i++)
		if (strcmp(r->ents[i].symbol, symbol) == 0)
			return &r->ents[i];
	return NULL;
}

/* The line of symbol, added when new; NULL when the name does not fit or
 * memory runs out. */
static struct ent *
ent_get(struct risk *r, const char *symbol)
{
	struct ent *e = ent_find(r, symbol);

	if (e != NULL)
		return e;
	if (strlen(symbol) > GAMEPLAN_SYMBOL_MAX)
		return NULL;
	if (r->n_ents == r->cap_ents) {
		size_t n = r->cap_ents ? r->cap_ents * 2 : 16;
		struct ent *p = realloc(r->ents, n * sizeof(*p));

		if (p == NULL)
			return NULL;
		r->ents = p;
		r->cap_ents = n;
	}
	e = &r->ents[r->n_ents++];
	memset(e, 0, sizeof(*e));
	strcpy(e->symbol, symbol);
	e->bid = e->ask = e->last = NAN;
	return e;
}

void
risk_mark(struct risk *r, const char *symbol, double bid, double ask,
    double last)
{
	struct ent *e = ent_get(r, symbol);

	/* Without a line there is no price: the symbol cannot fill, which
	 * fails safe (no-market-price). */
	if (e == NULL)
		return;
	e->bid = bid;
	e->ask = ask;
	e->last = last;
}

/* TWS sends -1 (and sometimes 0) for "no price". */
static int
price_ok(double p)
{
	return isfinite(p) && p > 0;
}

/* The price that values a position: last, else the mid; NaN if neither. */
static double
mark_of(const struct ent *e)
{
	if (price_ok(e->last))
		return e->last;
	if (price_ok(e->bid) && price_ok(e->ask))
		return (e->bid + e->ask) / 2;
	return NAN;
}

static double
unrealized(const struct ent *e)
{
	double m = mark_of(e);

	if (e->position == 0 || isnan(m))
		return 0;
	return e->position * (m - e->avg_cost);
}

double
risk_pnl(const struct risk *r)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < r->n_ents; i++)
		sum += r->ents[i].realized + unrealized(&r->ents[i]);
	return sum;
}

int
risk_loss_limit_hit(const struct risk *r)
{
	if (!(r->capital > 0))
		return 1;	/* no capital to measure against: fail safe */
	return -risk_pnl(r) >= r->plan.max_daily_loss_pct / 100.0 * r->capital;
}

/* Apply a fill of d shares (negative: sold) at price p: a fill in the
 * position's direction averages into the cost; against it, it realizes
 * P&L on the shares it closes, and what is left past zero opens at p. */
static void
book_fill(struct ent *e, double d, double p)
{
	double pos = e->position;

	e->traded = 1;
	if (pos == 0 || (pos > 0) == (d > 0)) {
		e->avg_cost = (e->avg_cost * fabs(pos) + p * fabs(d)) /
		    (fabs(pos) + fabs(d));
		e->position = pos + d;
		return;
	}
	{
		double closed = fmin(fabs(d), fabs(pos));

		e->realized += closed * (p - e->avg_cost) * (pos > 0 ? 1 : -1);
		e->position = pos + d;
		if (e->position == 0)
			e->avg_cost = 0;
		else if (fabs(d) > fabs(pos))
			e->avg_cost = p;	/* flipped through zero */
	}
}

static const struct gp_symbol *
plan_symbol(const struct gameplan *gp, const char *name)
{
	size_t i;

	for (i = 0; i < gp->n_symbols && i < GAMEPLAN_MAX_SYMBOLS; i++)
		if (strcmp(gp->symbols[i].name, name) == 0)
			return &gp->symbols[i];
	return NULL;
}

int
risk_regular_hours(const struct tm *ny)
{
	int m;

	if (ny == NULL || ny->tm_wday < 1 || ny->tm_wday > 5)
		return 0;
	m = ny->tm_hour * 60 + ny->tm_min;
	return m >= 9 * 60 + 30 && m < 16 * 60;
}

static long
rate_max(const struct gameplan *gp)
{
	if (gp->max_intents_per_minute < 1)
		return 1;
	if (gp->max_intents_per_minute > RISK_RATE_CAP)
		return RISK_RATE_CAP;
	return gp->max_intents_per_minute;
}

/* Forget accepted intents that left the 60 s window. */
static void
rate_prune(struct risk *r, int64_t now_ms)
{
	while (r->rate_n > 0 && now_ms - r->rate[r->rate_head] >= RISK_WINDOW_MS) {
		r->rate_head = (r->rate_head + 1) % RISK_RATE_CAP;
		r->rate_n--;
	}
}

static void
rate_add(struct risk *r, int64_t now_ms)
{
	if (r->rate_n == RISK_RATE_CAP) {	/* cannot happen: rate_max caps */
		r->rate_head = (r->rate_head + 1) % RISK_RATE_CAP;
		r->rate_n--;
	}
	r->rate[(r->rate_head + r->rate_n) % RISK_RATE_CAP] = now_ms;
	r->rate_n++;
}

/* The rules in order; nothing changes but the rate window's pruning.
 * *fill_price gets the dry-run fill price when fill is set. */
static enum risk_rule
judge(struct risk *r, const struct sm_intent *in, int gate_open,
    enum gp_strategy active, const struct tm *ny, int64_t now_ms, int fill,
    double *fill_price)
{
	const struct gp_symbol *sym;
	const struct ent *e;
	double pos, after, q = in->quantity;
	long max;

	if (!gate_open)
		return RISK_GATE_CLOSED;
	if (active == GP_STRATEGY_C)
		return RISK_STRATEGY_C;
	if ((sym = plan_symbol(&r->plan, in->symbol)) == NULL)
		return RISK_SYMBOL;
	if (!isfinite(q) || q <= 0 || q != floor(q))
		return RISK_QUANTITY;
	if (in->order_type == SM_LMT &&
	    (!in->has_limit_price || !price_ok(in->limit_price)))
		return RISK_LIMIT_PRICE;
	e = ent_find(r, in->symbol);
	pos = e ? e->position : 0;
	/* orders still working count as if filled, on their side */
	after = pos + (in->side == SM_BUY ? q + (e ? e->pending_buy : 0) :
	    -q - (e ? e->pending_sell : 0));
	max = sym->max_position > 0 ? sym->max_position :
	    r->plan.max_single_position;
	if (fabs(after) > (double)max)
		return RISK_POSITION;
	if (r->plan.max_order_value > 0) {
		double px = in->order_type == SM_LMT ? in->limit_price :
		    e == NULL ? NAN : in->side == SM_BUY ? e->ask : e->bid;

		if (!price_ok(px) && e != NULL && in->order_type == SM_MKT)
			px = e->last;
		if (!price_ok(px) || q * px > r->plan.max_order_value)
			return RISK_ORDER_VALUE;
	}
	if (r->plan.max_open_orders > 0 &&
	    (long)r->open_orders >= r->plan.max_open_orders)
		return RISK_OPEN_ORDERS;
	if (risk_loss_limit_hit(r) &&
	    !(fabs(after) < fabs(pos) && (after == 0 || (after > 0) == (pos > 0))))
		return RISK_DAILY_LOSS;
	if (!r->plan.allow_outside_rth && !risk_regular_hours(ny))
		return RISK_HOURS;
	rate_prune(r, now_ms);
	if ((long)r->rate_n >= rate_max(&r->plan))
		return RISK_RATE;
	if (fill) {
		double p = e == NULL ? NAN : in->side == SM_BUY ? e->ask : e->bid;

		if (!price_ok(p))
			return RISK_NO_PRICE;
		*fill_price = p;
	}
	return RISK_OK;
}

enum risk_rule
risk_check(struct risk *r, const struct sm_intent *in, int gate_open,
    enum gp_strategy active, const struct tm *ny, int64_t now_ms, int fill,
    double *price)
{
	double p = NAN;
	enum risk_rule rule;

	rule = judge(r, in, gate_open, active, ny, now_ms, fill, &p);
	if (rule != RISK_OK) {
		r->rejected++;
		p = NAN;
	} else {
		r->accepted++;
		rate_add(r, now_ms);
		if (fill) {
			/* the line exists: judge found its price */
			book_fill(ent_find(r, in->symbol), in->side == SM_BUY ?
			    in->quantity : -in->quantity, p);
		}
	}
	if (price != NULL)
		*price = p;
	return rule;
}

int
risk_fill(struct risk *r, const char *symbol, double shares, double price)
{
	struct ent *e;

	if (!isfinite(shares) || shares == 0 || !price_ok(price) ||
	    (e = ent_get(r, symbol)) == NULL)
		return -1;
	book_fill(e, shares, price);
	return 0;
}

int
risk_seed(struct risk *r, const char *symbol, double position,
    double avg_cost, double realized)
{
	struct ent *e;

	if (!isfinite(position) || !isfinite(avg_cost) || !isfinite(realized) ||
	    (e = ent_get(r, symbol)) == NULL)
		return -1;
	e->traded = 1;
	e->position = position;
	e->avg_cost = position == 0 ? 0 : avg_cost;
	e->realized = realized;
	return 0;
}

void
risk_set_open_orders(struct risk *r, unsigned n)
{
	r->open_orders = n;
}

void
risk_set_pending(struct risk *r, const char *symbol, double buy, double sell)
{
	struct ent *e = ent_get(r, symbol);

	if (e == NULL)
		return;
	e->pending_buy = isfinite(buy) && buy > 0 ? buy : 0;
	e->pending_sell = isfinite(sell) && sell > 0 ? sell : 0;
}

json_t *
risk_positions_json(const struct risk *r)
{
	json_t *o = json_object(), *v;
	size_t i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < r->n_ents; i++) {
		const struct ent *e = &r->ents[i];

		if (!e->traded)
			continue;
		v = json_pack("{s:I,s:f,s:f,s:f}",
		    "position", (json_int_t)e->position,
		    "avg_cost", e->avg_cost,
		    "realized", e->realized,
		    "unrealized", unrealized(e));
		if (v == NULL || json_object_set_new(o, e->symbol, v) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

unsigned long
risk_accepted(const struct risk *r)
{
	return r->accepted;
}

unsigned long
risk_rejected(const struct risk *r)
{
	return r->rejected;
}
