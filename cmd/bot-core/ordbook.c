/*
 * ordbook: bot-core's order book and per-order state machine (see
 * ordbook.h, docs/bot-core.md "Orders"). Orders come from bot-core
 * (trusted, still checked); statuses, executions, commissions, errors and
 * snapshots come from the gateway (untrusted: every quantity is parsed
 * and checked, texts are quoted before they reach a reason). Pure: no
 * I/O, no clock.
 *
 * Decisions a reader should know:
 * - The state of an open order is derived from the larger of the shares
 *   of its fills and the latest orderStatus "filled": FILLED when that
 *   reaches the order's quantity, PARTIAL above 0, SUBMITTED at 0. Status
 *   and execution messages are not ordered with respect to each other, so
 *   either may come first.
 * - Final states never change; fills still count (position, P&L) in any
 *   state. A status that would move a final order is counted as stale.
 * - Executions are keyed by their exec_id up to its last '.': the same
 *   exec_id again is a duplicate; the same key with another tail is IB's
 *   correction of an execution, which is not applied (counted; the next
 *   reconciliation's position check shows its effect).
 * - Positions use average cost: adding fills move the average, closing
 *   fills realize (price - average) x shares; a fill through zero opens
 *   the rest at its price. Commissions are kept apart (realized is gross).
 * - Memory: orders and fills are arrays grown by doubling, found through
 *   open-addressing hash tables of indices (by order id, by ref, by
 *   execution key). A day of 1000 orders with a fill each holds about
 *   0.5 MiB (ordbook_mem; test_ordbook checks it stays under 1 MiB).
 */
#include "ordbook.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QTY_EPS 1e-9

struct ord {
	struct ordbook_order o;
	int seen;		/* reconciliation: in the gateway's open orders */
};

struct fill {
	char exec_id[TWS_ORD_STR];
	uint32_t ord;		/* index into orders */
	uint32_t pos;		/* index into positions */
	double shares, price;	/* shares signed: negative is a sale */
	double commission;
};

struct pos {
	struct ordbook_pos p;
};

/* Open addressing, linear probing; a slot holds index + 1 (0: empty). */
struct htab {
	uint32_t *slot;
	size_t cap;		/* a power of two, or 0 */
};

struct ordbook {
	struct ordbook_config cfg;
	struct ord *ord;
	size_t n_ord, cap_ord;
	struct fill *fill;
	size_t n_fill, cap_fill;
	struct pos *pos;
	size_t n_pos, cap_pos;
	struct htab by_id, by_ref, by_exec;
	unsigned long stale, dup_execs, corrections;
	unsigned reconciled;
	size_t awaiting;	/* orders with a deadline armed */
};

static const char *const state_names[] = {
	[ORDBOOK_PENDING_SUBMIT] = "pending-submit",
	[ORDBOOK_SUBMITTED] = "submitted",
	[ORDBOOK_PARTIAL] = "partial",
	[ORDBOOK_UNKNOWN] = "unknown",
	[ORDBOOK_FILLED] = "filled",
	[ORDBOOK_CANCELLED] = "cancelled",
	[ORDBOOK_REJECTED] = "rejected",
	[ORDBOOK_GONE] = "gone",
};

static const char *const problem_names[] = {
	[ORDBOOK_PROB_UNKNOWN_ORDER] = "unknown-order",
	[ORDBOOK_PROB_UNKNOWN_FILL] = "unknown-fill",
	[ORDBOOK_PROB_POSITION] = "position-mismatch",
	[ORDBOOK_PROB_LIMIT] = "limit",
};

const char *
ordbook_state_name(enum ordbook_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

int
ordbook_state_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(state_names) / sizeof(state_names[0]);
	    i++)
		if (strcmp(name, state_names[i]) == 0)
			return (int)i;
	return -1;
}

int
ordbook_state_final(enum ordbook_state s)
{
	return s == ORDBOOK_FILLED || s == ORDBOOK_CANCELLED ||
	    s == ORDBOOK_REJECTED || s == ORDBOOK_GONE;
}

const char *
ordbook_problem_name(enum ordbook_problem_kind k)
{
	if ((unsigned)k >= sizeof(problem_names) / sizeof(problem_names[0]))
		return "?";
	return problem_names[k];
}

int
ordbook_make_ref(char *dst, size_t dstsz, const char *intent_id)
{
	int n = snprintf(dst, dstsz, "%s%s", ORDBOOK_REF_PREFIX, intent_id);

	return n < 0 || (size_t)n >= dstsz ? -1 : 0;
}

/* --- hashing --- */

static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
hash_id(long long id)
{
	uint64_t z = (uint64_t)id + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The part of an exec_id before its last '.' (all of it without one). */
static size_t
exec_base_len(const char *id)
{
	const char *dot = strrchr(id, '.');

	return dot ? (size_t)(dot - id) : strlen(id);
}

enum hkind { H_ID, H_REF, H_EXEC };

static uint64_t
elem_hash(const struct ordbook *b, enum hkind k, uint32_t i)
{
	switch (k) {
	case H_ID:
		return hash_id(b->ord[i].o.n.order_id);
	case H_REF:
		return hash_bytes(b->ord[i].o.n.ref, strlen(b->ord[i].o.n.ref));
	case H_EXEC:
		return hash_bytes(b->fill[i].exec_id,
		    exec_base_len(b->fill[i].exec_id));
	}
	return 0;
}

static struct htab *
tab(struct ordbook *b, enum hkind k)
{
	return k == H_ID ? &b->by_id : k == H_REF ? &b->by_ref : &b->by_exec;
}

static void
ht_insert(struct htab *t, uint64_t h, uint32_t idx)
{
	size_t m = t->cap - 1, j = (size_t)h & m;

	while (t->slot[j])
		j = (j + 1) & m;
	t->slot[j] = idx + 1;
}

/* Room for n elements at a load of at most 1/2; rebuilt from the arrays. */
static int
ht_reserve(struct ordbook *b, enum hkind k, size_t n)
{
	struct htab *t = tab(b, k);
	size_t cap = t->cap ? t->cap : 64;
	uint32_t *slot, i;

	if (n * 2 <= t->cap)
		return 0;
	while (n * 2 > cap)
		cap *= 2;
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -1;
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	for (i = 0; i < n - 1; i++)	/* the n-th is inserted by the caller */
		ht_insert(t, elem_hash(b, k, i), i);
	return 0;
}

static struct ord *
find_id(const struct ordbook *b, long long id)
{
	size_t m, j;

	if (!b->by_id.cap)
		return NULL;
	m = b->by_id.cap - 1;
	for (j = (size_t)hash_id(id) & m; b->by_id.slot[j]; j = (j + 1) & m)
		if (b->ord[b->by_id.slot[j] - 1].o.n.order_id == id)
			return &b->ord[b->by_id.slot[j] - 1];
	return NULL;
}

static struct ord *
find_ref(const struct ordbook *b, const char *ref)
{
	size_t m, j;

	if (!b->by_ref.cap || !ref || !*ref)
		return NULL;
	m = b->by_ref.cap - 1;
	for (j = (size_t)hash_bytes(ref, strlen(ref)) & m; b->by_ref.slot[j];
	    j = (j + 1) & m)
		if (strcmp(b->ord[b->by_ref.slot[j] - 1].o.n.ref, ref) == 0)
			return &b->ord[b->by_ref.slot[j] - 1];
	return NULL;
}

/* The fill whose exec_id has the same key (part before the last '.'). */
static struct fill *
find_exec(const struct ordbook *b, const char *exec_id)
{
	size_t m, j, n = exec_base_len(exec_id);

	if (!b->by_exec.cap)
		return NULL;
	m = b->by_exec.cap - 1;
	for (j = (size_t)hash_bytes(exec_id, n) & m; b->by_exec.slot[j];
	    j = (j + 1) & m) {
		struct fill *f = &b->fill[b->by_exec.slot[j] - 1];

		if (exec_base_len(f->exec_id) == n &&
		    memcmp(f->exec_id, exec_id, n) == 0)
			return f;
	}
	return NULL;
}

static int
grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/* --- life --- */

struct ordbook *
ordbook_new(const struct ordbook_config *cfg, struct gw_err *err)
{
	struct ordbook *b;
	struct ordbook_config c = { 0 };

	if (cfg)
		c = *cfg;
	if (c.ack_timeout_ms < 0) {
		gw_err_set(err, "ordbook: ack timeout %lld ms is negative",
		    (long long)c.ack_timeout_ms);
		return NULL;
	}
	if (c.max_orders > 1000000 || c.max_execs > 10000000) {
		gw_err_set(err, "ordbook: limits %u orders, %u executions: "
		    "at most 1000000 and 10000000", c.max_orders, c.max_execs);
		return NULL;
	}
	if (!c.ack_timeout_ms)
		c.ack_timeout_ms = ORDBOOK_ACK_TIMEOUT_MS;
	if (!c.max_orders)
		c.max_orders = ORDBOOK_MAX_ORDERS;
	if (!c.max_execs)
		c.max_execs = ORDBOOK_MAX_EXECS;
	b = calloc(1, sizeof(*b));
	if (!b) {
		gw_err_set(err, "ordbook: out of memory");
		return NULL;
	}
	b->cfg = c;
	return b;
}

void
ordbook_free(struct ordbook *b)
{
	if (!b)
		return;
	free(b->by_exec.slot);
	free(b->by_ref.slot);
	free(b->by_id.slot);
	free(b->pos);
	free(b->fill);
	free(b->ord);
	free(b);
}

/* --- emitting --- */

static void
change_init(struct ordbook_change *c, enum ordbook_change_kind kind,
    const struct ord *o)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->order_id = o->o.n.order_id;
	memcpy(c->intent_id, o->o.n.intent_id, sizeof(c->intent_id));
	memcpy(c->ref, o->o.n.ref, sizeof(c->ref));
	memcpy(c->symbol, o->o.n.symbol, sizeof(c->symbol));
	c->from = c->to = o->o.state;
}

static void
emit(const struct ordbook_out *out, const struct ordbook_change *c)
{
	if (out && out->fn)
		out->fn(out->arg, c);
}

static void
disarm(struct ordbook *b, struct ord *o)
{
	if (o->o.deadline_ms) {
		o->o.deadline_ms = 0;
		b->awaiting--;
	}
}

/* Move o to state to (nothing if it is there already; counted as stale
 * and ignored if o is final). */
static void
set_state(struct ordbook *b, struct ord *o, enum ordbook_state to,
    int64_t now_ms, const char *why, const struct ordbook_out *out)
{
	struct ordbook_change c;

	if (o->o.state == to)
		return;
	if (ordbook_state_final(o->o.state)) {
		b->stale++;
		return;
	}
	change_init(&c, ORDBOOK_CH_STATE, o);
	o->o.state = to;
	o->o.changed_ms = now_ms;
	if (to != ORDBOOK_PENDING_SUBMIT)
		disarm(b, o);
	c.to = to;
	snprintf(c.why, sizeof(c.why), "%s", why);
	emit(out, &c);
}

/* The open state o's fills and the gateway's "filled" say. */
static enum ordbook_state
derive(const struct ord *o)
{
	double f = fmax(o->o.filled, o->o.gw_filled);

	if (f >= o->o.n.qty - QTY_EPS)
		return ORDBOOK_FILLED;
	return f > QTY_EPS ? ORDBOOK_PARTIAL : ORDBOOK_SUBMITTED;
}

static void
fmt_qty(char *dst, size_t sz, double q)
{
	snprintf(dst, sz, "%.10g", q);
}

/* --- quantities --- */

/* Decimal quantity text. "" and the unset forms give *unset 1 and 0. */
static int
parse_qty(const char *s, double *v, int *unset)
{
	char *end;
	double d;

	*unset = 0;
	*v = 0;
	if (!*s || strcmp(s, "9223372036854775807") == 0 ||
	    strcmp(s, "170141183460469231731687303715884105727") == 0) {
		*unset = 1;
		return 0;
	}
	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(d))
		return -1;
	*v = d;
	return 0;
}

static int
bad_qty(struct gw_err *err, const char *what, const char *field,
    const char *s)
{
	char q[GW_QUOTE_MAX];

	gw_err_quote(q, sizeof(q), s, strlen(s));
	return gw_err_set(err, "%s: %s '%s' is not a quantity", what, field,
	    q);
}

/* --- positions --- */

static struct pos *
find_pos(const struct ordbook *b, const char *symbol)
{
	size_t i;

	for (i = 0; i < b->n_pos; i++)
		if (strcmp(b->pos[i].p.symbol, symbol) == 0)
			return &b->pos[i];
	return NULL;
}

static struct pos *
get_pos(struct ordbook *b, const char *symbol)
{
	struct pos *p = find_pos(b, symbol);

	if (p)
		return p;
	if (strlen(symbol) > ORDBOOK_SYMBOL_MAX ||
	    grow((void **)&b->pos, &b->cap_pos, b->n_pos + 1, sizeof(*b->pos)))
		return NULL;
	p = &b->pos[b->n_pos++];
	memset(p, 0, sizeof(*p));
	snprintf(p->p.symbol, sizeof(p->p.symbol), "%s", symbol);
	return p;
}

/* d signed shares at price px. */
static void
pos_fill(struct ordbook_pos *e, double d, double px)
{
	double pos = e->qty;

	if (fabs(pos) < QTY_EPS || (pos > 0) == (d > 0)) {
		e->avg_cost = (e->avg_cost * fabs(pos) + px * fabs(d)) /
		    (fabs(pos) + fabs(d));
		e->qty = pos + d;
		return;
	}
	e->realized += fmin(fabs(d), fabs(pos)) * (px - e->avg_cost) *
	    (pos > 0 ? 1 : -1);
	e->qty = pos + d;
	if (fabs(e->qty) < QTY_EPS) {
		e->qty = 0;
		e->avg_cost = 0;
	} else if (fabs(d) > fabs(pos)) {
		e->avg_cost = px;	/* through zero: the rest opens at px */
	}
}

/* --- orders --- */

static int
check_new(const struct ordbook_new *n, struct gw_err *err)
{
	if (n->order_id <= 0)
		return gw_err_set(err, "order %lld: order id must be > 0",
		    n->order_id);
	if (!memchr(n->intent_id, 0, sizeof(n->intent_id)) || !n->intent_id[0])
		return gw_err_set(err, "order %lld: intent id is empty or too "
		    "long", n->order_id);
	if (!memchr(n->symbol, 0, sizeof(n->symbol)) || !n->symbol[0])
		return gw_err_set(err, "order %lld: symbol is empty or too "
		    "long", n->order_id);
	if (!memchr(n->account, 0, sizeof(n->account)) ||
	    !memchr(n->ref, 0, sizeof(n->ref)))
		return gw_err_set(err, "order %lld: account or ref too long",
		    n->order_id);
	if (n->side != TWS_ACTION_BUY && n->side != TWS_ACTION_SELL)
		return gw_err_set(err, "order %lld: side %d is not BUY or SELL",
		    n->order_id, n->side);
	if (!(isfinite(n->qty) && n->qty > 0))
		return gw_err_set(err, "order %lld: quantity must be > 0",
		    n->order_id);
	if (n->type != TWS_ORDER_MKT && n->type != TWS_ORDER_LMT)
		return gw_err_set(err, "order %lld: type %d is not MKT or LMT",
		    n->order_id, n->type);
	if (n->type == TWS_ORDER_LMT && !(isfinite(n->lmt) && n->lmt > 0))
		return gw_err_set(err, "order %lld: LMT needs a limit price > 0",
		    n->order_id);
	if (n->client_id < -1)
		return gw_err_set(err, "order %lld: client id %d is not >= 0",
		    n->order_id, n->client_id);
	return 0;
}

static struct ord *
insert(struct ordbook *b, const struct ordbook_new *n, int64_t now_ms,
    struct gw_err *err)
{
	struct ord *o;
	struct ordbook_new c = *n;

	if (check_new(n, err))
		return NULL;
	if (!c.ref[0] && ordbook_make_ref(c.ref, sizeof(c.ref), c.intent_id)) {
		gw_err_set(err, "order %lld: ref too long", n->order_id);
		return NULL;
	}
	if (find_id(b, c.order_id)) {
		gw_err_set(err, "order %lld: order id already in the book",
		    c.order_id);
		return NULL;
	}
	if (find_ref(b, c.ref)) {
		char q[GW_QUOTE_MAX];

		gw_err_quote(q, sizeof(q), c.ref, strlen(c.ref));
		gw_err_set(err, "order %lld: ref '%s' already in the book",
		    c.order_id, q);
		return NULL;
	}
	if (b->n_ord >= b->cfg.max_orders) {
		gw_err_set(err, "order %lld: %u orders today: limit reached",
		    c.order_id, b->cfg.max_orders);
		return NULL;
	}
	if (grow((void **)&b->ord, &b->cap_ord, b->n_ord + 1, sizeof(*b->ord)) ||
	    ht_reserve(b, H_ID, b->n_ord + 1) ||
	    ht_reserve(b, H_REF, b->n_ord + 1)) {
		gw_err_set(err, "order %lld: out of memory", c.order_id);
		return NULL;
	}
	o = &b->ord[b->n_ord];
	memset(o, 0, sizeof(*o));
	o->o.n = c;
	o->o.state = ORDBOOK_PENDING_SUBMIT;
	o->o.placed_ms = o->o.changed_ms = now_ms;
	ht_insert(&b->by_id, hash_id(c.order_id), (uint32_t)b->n_ord);
	ht_insert(&b->by_ref, hash_bytes(c.ref, strlen(c.ref)),
	    (uint32_t)b->n_ord);
	b->n_ord++;
	return o;
}

int
ordbook_add(struct ordbook *b, const struct ordbook_new *n, int64_t now_ms,
    struct gw_err *err)
{
	struct ord *o = insert(b, n, now_ms, err);

	if (!o)
		return -1;
	o->o.deadline_ms = now_ms + b->cfg.ack_timeout_ms;
	if (!o->o.deadline_ms)
		o->o.deadline_ms = 1;	/* 0 means "none" */
	b->awaiting++;
	return 0;
}

/* --- status --- */

/* Apply a gateway status text to o. gw_filled < 0: not known. */
static int
apply_status(struct ordbook *b, struct ord *o, const char *status,
    const char *why_held, double gw_filled, long long perm_id,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err)
{
	enum ordbook_state to;
	char why[ORDBOOK_WHY_MAX], q[GW_QUOTE_MAX];

	if (strcmp(status, "PendingSubmit") == 0 ||
	    strcmp(status, "PreSubmitted") == 0 ||
	    strcmp(status, "Submitted") == 0 ||
	    strcmp(status, "ApiPending") == 0 ||
	    strcmp(status, "PendingCancel") == 0)
		to = ORDBOOK_SUBMITTED;
	else if (strcmp(status, "Filled") == 0)
		to = ORDBOOK_FILLED;
	else if (strcmp(status, "Cancelled") == 0 ||
	    strcmp(status, "ApiCancelled") == 0)
		to = ORDBOOK_CANCELLED;
	else if (strcmp(status, "Inactive") == 0)
		to = why_held && *why_held ? ORDBOOK_SUBMITTED :
		    ORDBOOK_REJECTED;
	else {
		gw_err_quote(q, sizeof(q), status, strlen(status));
		return gw_err_set(err, "order %lld: status '%s' is not known",
		    o->o.n.order_id, q);
	}
	if (perm_id > 0)
		o->o.perm_id = perm_id;
	if (gw_filled >= 0 && gw_filled > o->o.gw_filled)
		o->o.gw_filled = gw_filled;
	gw_err_quote(q, sizeof(q), status, strlen(status));
	if (to == ORDBOOK_SUBMITTED) {
		to = derive(o);
		if (to == ORDBOOK_FILLED)	/* a live status: the rest
						 * comes with its Filled */
			to = ORDBOOK_PARTIAL;
	}
	if (to == ORDBOOK_PARTIAL) {
		char f[32], t[32];

		fmt_qty(f, sizeof(f), fmax(o->o.filled, o->o.gw_filled));
		fmt_qty(t, sizeof(t), o->o.n.qty);
		snprintf(why, sizeof(why), "status %s, %s of %s filled", q, f,
		    t);
	} else {
		snprintf(why, sizeof(why), "status %s", q);
	}
	disarm(b, o);
	set_state(b, o, to, now_ms, why, out);
	return 0;
}

/* Order ids are numbered per API client: another client's order may carry
 * the number of one of ours, and reqAllOpenOrders shows it (with its
 * orderStatus). A message is about o only when its client id is o's. An
 * order whose client id was not recorded (-1) takes any: an orderStatus
 * carries no ref to tell (openOrder and execDetails do; see below). */
static int
client_ok(const struct ord *o, int client_id)
{
	return o->o.n.client_id < 0 || o->o.n.client_id == client_id;
}

/* For an order whose client id was not recorded, an openOrder or
 * execDetails is ours only with our ref; that match teaches the client id,
 * so that later messages are matched strictly. */
static struct ord *
learn_client(struct ord *o, const char *ref, int client_id)
{
	if (o && o->o.n.client_id < 0) {
		if (!ref[0] || strcmp(ref, o->o.n.ref))
			return NULL;
		if (client_id >= 0)
			o->o.n.client_id = client_id;
	}
	return o;
}

int
ordbook_on_status(struct ordbook *b, const struct tws_order_status *s,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err)
{
	struct ord *o = find_id(b, s->order_id);
	double filled;
	int unset;

	if (!o || !client_ok(o, s->client_id))
		return 1;
	if (parse_qty(s->filled, &filled, &unset) || filled < 0)
		return bad_qty(err, "orderStatus", "filled", s->filled);
	return apply_status(b, o, s->status, s->why_held, unset ? -1 : filled,
	    s->perm_id, now_ms, out, err);
}

/* An open order is the book's order when client, id and ref agree (or it
 * has no ref). Not const: the match may teach the order its client id. */
static struct ord *
match_open(struct ordbook *b, const struct tws_open_order *oo)
{
	struct ord *o = find_id(b, oo->o.order_id);

	if (o && !client_ok(o, oo->client_id))
		return NULL;
	if (o && oo->o.order_ref[0] && strcmp(oo->o.order_ref, o->o.n.ref))
		return NULL;
	return learn_client(o, oo->o.order_ref, oo->client_id);
}

int
ordbook_on_open_order(struct ordbook *b, const struct tws_open_order *oo,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err)
{
	struct ord *o = match_open(b, oo);

	if (!o)
		return 1;
	return apply_status(b, o, oo->status, "", -1, oo->perm_id, now_ms,
	    out, err);
}

/* --- executions --- */

/* The book's order of an execution: by client and order_id (when the
 * refs agree), else by orderRef (ours are unique: the intent id). */
static struct ord *
match_exec(struct ordbook *b, const char *ref, long long order_id,
    int client_id)
{
	struct ord *o = order_id > 0 ? find_id(b, order_id) : NULL;

	if (o && (!client_ok(o, client_id) || (ref[0] && strcmp(ref,
	    o->o.n.ref))))
		o = NULL;
	o = learn_client(o, ref, client_id);
	if (!o)
		o = find_ref(b, ref);
	return o;
}

/* Count one fill of o: 0 applied or a duplicate, -1 limit or memory. */
static int
apply_fill(struct ordbook *b, struct ord *o, const char *exec_id, int side,
    double shares, double price, int64_t now_ms,
    const struct ordbook_out *out, int *added, struct gw_err *err)
{
	struct fill *f = find_exec(b, exec_id);
	struct pos *p;
	struct ordbook_change c;
	double d = side == TWS_ACTION_SELL ? -shares : shares;
	enum ordbook_state to;

	*added = 0;
	disarm(b, o);
	if (f) {
		if (strcmp(f->exec_id, exec_id) == 0)
			b->dup_execs++;
		else
			b->corrections++;
		if (o->o.state == ORDBOOK_UNKNOWN)
			set_state(b, o, derive(o), now_ms, "execution", out);
		return 0;
	}
	if (b->n_fill >= b->cfg.max_execs)
		return gw_err_set(err, "execution %s: %u executions today: "
		    "limit reached", exec_id, b->cfg.max_execs);
	p = get_pos(b, o->o.n.symbol);
	if (!p || grow((void **)&b->fill, &b->cap_fill, b->n_fill + 1,
	    sizeof(*b->fill)) || ht_reserve(b, H_EXEC, b->n_fill + 1))
		return gw_err_set(err, "execution %s: out of memory", exec_id);
	f = &b->fill[b->n_fill];
	memset(f, 0, sizeof(*f));
	snprintf(f->exec_id, sizeof(f->exec_id), "%s", exec_id);
	f->ord = (uint32_t)(o - b->ord);
	f->pos = (uint32_t)(p - b->pos);
	f->shares = d;
	f->price = price;
	ht_insert(&b->by_exec, hash_bytes(exec_id, exec_base_len(exec_id)),
	    (uint32_t)b->n_fill);
	b->n_fill++;

	o->o.avg_price = (o->o.avg_price * o->o.filled + price * shares) /
	    (o->o.filled + shares);
	o->o.filled += shares;
	pos_fill(&p->p, d, price);
	*added = 1;

	change_init(&c, ORDBOOK_CH_FILL, o);
	snprintf(c.exec_id, sizeof(c.exec_id), "%s", exec_id);
	c.side = side;
	c.shares = shares;
	c.price = price;
	c.cum = o->o.filled;
	c.avg = o->o.avg_price;
	emit(out, &c);

	to = derive(o);
	if (!ordbook_state_final(o->o.state) && to != o->o.state) {
		char why[ORDBOOK_WHY_MAX], a[32], t[32];

		fmt_qty(a, sizeof(a), o->o.filled);
		fmt_qty(t, sizeof(t), o->o.n.qty);
		snprintf(why, sizeof(why), "fills %s of %s", a, t);
		set_state(b, o, to, now_ms, why, out);
	}
	return 0;
}

static int
exec_side(const char *s)
{
	if (strcmp(s, "BOT") == 0 || strcmp(s, "BUY") == 0)
		return TWS_ACTION_BUY;
	if (strcmp(s, "SLD") == 0 || strcmp(s, "SELL") == 0)
		return TWS_ACTION_SELL;
	return 0;
}

/* Check the values of an execution: side, shares > 0, price finite. */
static int
check_exec(const struct tws_execution *x, int *side, double *shares,
    struct gw_err *err)
{
	char q[GW_QUOTE_MAX], what[GW_QUOTE_MAX + 16];
	int unset;

	gw_err_quote(q, sizeof(q), x->exec_id, strlen(x->exec_id));
	snprintf(what, sizeof(what), "execution %s", q);
	if (!x->exec_id[0])
		return gw_err_set(err, "execution of order %lld: no exec id",
		    x->order_id);
	*side = exec_side(x->side);
	if (!*side) {
		gw_err_quote(q, sizeof(q), x->side, strlen(x->side));
		return gw_err_set(err, "%s: side '%s' is not BOT or SLD", what,
		    q);
	}
	if (parse_qty(x->shares, shares, &unset) || unset || *shares <= 0)
		return bad_qty(err, what, "shares", x->shares);
	if (!isfinite(x->price) || x->price <= 0)
		return gw_err_set(err, "%s: price %g is not a price", what,
		    x->price);
	return 0;
}

static int
set_commission(struct ordbook *b, struct fill *f, double v,
    const struct ordbook_out *out)
{
	struct ord *o = &b->ord[f->ord];
	struct ordbook_change c;
	double d = v - f->commission;

	if (d == 0)
		return 0;
	f->commission = v;
	o->o.commission += d;
	b->pos[f->pos].p.commission += d;
	change_init(&c, ORDBOOK_CH_COMMISSION, o);
	snprintf(c.exec_id, sizeof(c.exec_id), "%s", f->exec_id);
	c.commission = v;
	emit(out, &c);
	return 0;
}

int
ordbook_on_exec(struct ordbook *b, const struct tws_execution *x,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err)
{
	struct ord *o = match_exec(b, x->order_ref, x->order_id,
	    x->client_id);
	double shares;
	int side, added;

	if (!o)
		return 1;
	if (check_exec(x, &side, &shares, err))
		return -1;
	return apply_fill(b, o, x->exec_id, side, shares, x->price, now_ms,
	    out, &added, err);
}

int
ordbook_on_commission(struct ordbook *b, const struct tws_commission *c,
    int64_t now_ms, const struct ordbook_out *out, struct gw_err *err)
{
	struct fill *f = find_exec(b, c->exec_id);

	(void)now_ms;
	if (!f || strcmp(f->exec_id, c->exec_id))
		return 1;
	if (!isfinite(c->commission) || c->commission == TWS_UNSET_DOUBLE)
		return gw_err_set(err, "commission of %s: %g is not an amount",
		    f->exec_id, c->commission);
	return set_commission(b, f, c->commission, out);
}

/* --- errors --- */

/* What a code means for the order it names (docs/bot-core.md "Orders",
 * IB's message codes): not placed, cancelled, gone, or still alive. */
enum code_meaning { C_NONE, C_REJECT, C_CANCEL, C_NOT_FOUND, C_ALIVE };

static enum code_meaning
code_meaning(int code)
{
	switch (code) {
	case 103: case 110: case 200: case 201: case 203: case 434: case 435:
	case 10006: case 10274: case 10311:
		return C_REJECT;
	case 202:
		return C_CANCEL;
	case 10147:
		return C_NOT_FOUND;
	case 104: case 105: case 136: case 161: case 165: case 321: case 329:
	case 399: case 404: case 492: case 10148: case 10167: case 10349:
		return C_ALIVE;
	default:
		return code >= 2100 && code <= 2199 ? C_ALIVE : C_NONE;
	}
}

int
ordbook_on_error(struct ordbook *b, long long id, int code, const char *text,
    int64_t now_ms, const struct ordbook_out *out)
{
	struct ord *o = id > 0 ? find_id(b, id) : NULL;
	char why[ORDBOOK_WHY_MAX], q[96];

	if (!o)
		return 1;
	o->o.last_code = code;
	text = text ? text : "";
	gw_err_quote(q, sizeof(q), text, strlen(text));
	snprintf(why, sizeof(why), "error %d: %s", code, q);
	switch (code_meaning(code)) {
	case C_REJECT:
		set_state(b, o, o->o.filled > 0 ? ORDBOOK_CANCELLED :
		    ORDBOOK_REJECTED, now_ms, why, out);
		break;
	case C_CANCEL:
		set_state(b, o, ORDBOOK_CANCELLED, now_ms, why, out);
		break;
	case C_NOT_FOUND:
		/* The gateway has no such order: one never acknowledged and
		 * never filled did not reach it. Others are left to their
		 * status and to reconciliation. */
		if ((o->o.state == ORDBOOK_PENDING_SUBMIT ||
		    o->o.state == ORDBOOK_UNKNOWN) && o->o.filled <= 0 &&
		    o->o.gw_filled <= 0)
			set_state(b, o, ORDBOOK_GONE, now_ms, why, out);
		break;
	case C_ALIVE:
		if (o->o.state == ORDBOOK_PENDING_SUBMIT ||
		    o->o.state == ORDBOOK_UNKNOWN) {
			enum ordbook_state to = derive(o);

			set_state(b, o, to == ORDBOOK_FILLED ?
			    ORDBOOK_PARTIAL : to, now_ms, why, out);
		}
		break;
	case C_NONE:
		break;
	}
	return 0;
}

int
ordbook_tick(struct ordbook *b, int64_t now_ms, const struct ordbook_out *out)
{
	size_t i;
	int n = 0;
	char why[ORDBOOK_WHY_MAX];

	if (!b->awaiting)
		return 0;
	snprintf(why, sizeof(why), "no answer within %lld ms",
	    (long long)b->cfg.ack_timeout_ms);
	for (i = 0; i < b->n_ord && b->awaiting; i++) {
		struct ord *o = &b->ord[i];

		if (o->o.deadline_ms && now_ms >= o->o.deadline_ms &&
		    o->o.state == ORDBOOK_PENDING_SUBMIT) {
			set_state(b, o, ORDBOOK_UNKNOWN, now_ms, why, out);
			n++;
		}
	}
	return n;
}

/* --- replay --- */

int
ordbook_replay_place(struct ordbook *b, const struct ordbook_new *n,
    int64_t at_ms, struct gw_err *err)
{
	struct ord *o = find_id(b, n->order_id);
	char ref[TWS_ORD_REF];

	if (o) {
		if (n->ref[0])
			snprintf(ref, sizeof(ref), "%s", n->ref);
		else if (ordbook_make_ref(ref, sizeof(ref), n->intent_id))
			ref[0] = 0;
		if (strcmp(ref, o->o.n.ref) == 0)
			return 0;
	}
	return insert(b, n, at_ms, err) ? 0 : -1;
}

int
ordbook_replay_state(struct ordbook *b, long long order_id,
    enum ordbook_state to, int64_t at_ms, struct gw_err *err)
{
	struct ord *o = find_id(b, order_id);

	if (!o)
		return gw_err_set(err, "replay: order %lld is not in the book",
		    order_id);
	if ((unsigned)to > ORDBOOK_GONE)
		return gw_err_set(err, "replay: order %lld: state %d unknown",
		    order_id, (int)to);
	if (o->o.state == to || ordbook_state_final(o->o.state))
		return 0;
	set_state(b, o, to, at_ms, "", NULL);
	return 0;
}

int
ordbook_replay_fill(struct ordbook *b, long long order_id,
    const char *exec_id, int side, double shares, double price,
    int64_t at_ms, struct gw_err *err)
{
	struct ord *o = find_id(b, order_id);
	int added;

	if (!o)
		return gw_err_set(err, "replay: order %lld is not in the book",
		    order_id);
	if (!exec_id || !*exec_id || strlen(exec_id) >= TWS_ORD_STR ||
	    (side != TWS_ACTION_BUY && side != TWS_ACTION_SELL) ||
	    !(isfinite(shares) && shares > 0) ||
	    !(isfinite(price) && price > 0))
		return gw_err_set(err, "replay: order %lld: bad fill",
		    order_id);
	return apply_fill(b, o, exec_id, side, shares, price, at_ms, NULL,
	    &added, err);
}

int
ordbook_replay_commission(struct ordbook *b, const char *exec_id,
    double commission, struct gw_err *err)
{
	struct fill *f = exec_id ? find_exec(b, exec_id) : NULL;

	if (!f || strcmp(f->exec_id, exec_id))
		return gw_err_set(err, "replay: commission for an execution "
		    "not in the book");
	if (!isfinite(commission))
		return gw_err_set(err, "replay: commission is not a number");
	return set_commission(b, f, commission, NULL);
}

int
ordbook_replay_carry(struct ordbook *b, const char *symbol, int side,
    double shares, double price, struct gw_err *err)
{
	struct pos *p;
	double realized;

	if (!symbol || !*symbol || strlen(symbol) > ORDBOOK_SYMBOL_MAX ||
	    (side != TWS_ACTION_BUY && side != TWS_ACTION_SELL) ||
	    !(isfinite(shares) && shares > 0) ||
	    !(isfinite(price) && price > 0))
		return gw_err_set(err, "replay: a carried fill is not valid");
	if (!(p = get_pos(b, symbol)))
		return gw_err_set(err, "replay: out of memory");
	realized = p->p.realized;
	pos_fill(&p->p, side == TWS_ACTION_BUY ? shares : -shares, price);
	p->p.realized = realized;
	return 0;
}

int
ordbook_exec_known(const struct ordbook *b, const char *exec_id)
{
	const struct fill *f = exec_id ? find_exec(b, exec_id) : NULL;

	return f != NULL && strcmp(f->exec_id, exec_id) == 0;
}

/* --- reading --- */

int
ordbook_full(const struct ordbook *b)
{
	return b->n_ord >= b->cfg.max_orders;
}

size_t
ordbook_count(const struct ordbook *b)
{
	return b->n_ord;
}

int
ordbook_order_at(const struct ordbook *b, size_t i, struct ordbook_order *o)
{
	if (i >= b->n_ord)
		return -1;
	*o = b->ord[i].o;
	return 0;
}

int
ordbook_get(const struct ordbook *b, long long order_id,
    struct ordbook_order *o)
{
	const struct ord *r = find_id(b, order_id);

	if (!r)
		return -1;
	*o = r->o;
	return 0;
}

int
ordbook_find_ref(const struct ordbook *b, const char *ref,
    struct ordbook_order *o)
{
	const struct ord *r = find_ref(b, ref);

	if (!r)
		return -1;
	*o = r->o;
	return 0;
}

int
ordbook_position(const struct ordbook *b, const char *symbol,
    struct ordbook_pos *p)
{
	const struct pos *e = find_pos(b, symbol);

	if (e) {
		*p = e->p;
		return 0;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->symbol, sizeof(p->symbol), "%s", symbol);
	return -1;
}

size_t
ordbook_position_count(const struct ordbook *b)
{
	return b->n_pos;
}

int
ordbook_position_at(const struct ordbook *b, size_t i, struct ordbook_pos *p)
{
	if (i >= b->n_pos)
		return -1;
	*p = b->pos[i].p;
	return 0;
}

double
ordbook_unrealized(const struct ordbook_pos *p, double mark)
{
	if (!isfinite(mark) || p->qty == 0)
		return 0;
	return (mark - p->avg_cost) * p->qty;
}

void
ordbook_exposure(const struct ordbook *b, const char *symbol, double mark,
    struct ordbook_exposure *e)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < b->n_ord; i++) {
		const struct ordbook_order *o = &b->ord[i].o;
		double rem, px;

		if (ordbook_state_final(o->state) ||
		    (symbol && strcmp(symbol, o->n.symbol)))
			continue;
		e->open_orders++;
		rem = fmax(0, o->n.qty - fmax(o->filled, o->gw_filled));
		px = o->n.type == TWS_ORDER_LMT ? o->n.lmt : mark;
		if (!isfinite(px)) {
			px = 0;
			e->unpriced = 1;
		}
		if (o->n.side == TWS_ACTION_BUY) {
			e->buy_qty += rem;
			e->buy_value += rem * px;
		} else {
			e->sell_qty += rem;
			e->sell_value += rem * px;
		}
	}
}

void
ordbook_day(const struct ordbook *b, struct ordbook_day *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->orders = (unsigned)b->n_ord;
	for (i = 0; i < b->n_ord; i++)
		if (!ordbook_state_final(b->ord[i].o.state))
			d->open++;
	d->execs = (unsigned)b->n_fill;
	for (i = 0; i < b->n_pos; i++) {
		d->realized += b->pos[i].p.realized;
		d->commission += b->pos[i].p.commission;
	}
	d->stale = b->stale;
	d->dup_execs = b->dup_execs;
	d->corrections = b->corrections;
}

size_t
ordbook_mem(const struct ordbook *b)
{
	return sizeof(*b) + b->cap_ord * sizeof(*b->ord) +
	    b->cap_fill * sizeof(*b->fill) + b->cap_pos * sizeof(*b->pos) +
	    (b->by_id.cap + b->by_ref.cap + b->by_exec.cap) * sizeof(uint32_t);
}

/* --- reconciliation --- */

static void
problem(struct ordbook_recon *r, enum ordbook_problem_kind kind,
    long long order_id, const char *symbol, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
problem(struct ordbook_recon *r, enum ordbook_problem_kind kind,
    long long order_id, const char *symbol, const char *fmt, ...)
{
	struct ordbook_problem *p;
	va_list ap;

	r->problems++;
	if (r->n_problem >= ORDBOOK_PROBLEMS_MAX)
		return;
	p = &r->problem[r->n_problem++];
	p->kind = kind;
	p->order_id = order_id;
	gw_err_quote(p->symbol, sizeof(p->symbol), symbol, strlen(symbol));
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
}

static int
is_ours(const char *ref)
{
	return strncmp(ref, ORDBOOK_REF_PREFIX, strlen(ORDBOOK_REF_PREFIX)) ==
	    0;
}

static int
final_status(const char *s)
{
	return strcmp(s, "Filled") == 0 || strcmp(s, "Cancelled") == 0 ||
	    strcmp(s, "ApiCancelled") == 0;
}

/* Every quantity of snap parses (nothing is changed before this). */
static int
snap_check(const struct ordbook_snapshot *snap, struct gw_err *err)
{
	size_t i;
	struct gw_err e;
	double v;
	int u, side;

	for (i = 0; i < snap->n_execs; i++)
		if (check_exec(&snap->execs[i].x, &side, &v, &e))
			return gw_err_set(err, "reconcile: %s", e.msg);
	for (i = 0; i < snap->n_orders; i++)
		if (snap->orders[i].has_status &&
		    parse_qty(snap->orders[i].st.filled, &v, &u))
			return bad_qty(err, "reconcile: orderStatus", "filled",
			    snap->orders[i].st.filled);
	for (i = 0; i < snap->n_positions; i++)
		if (parse_qty(snap->positions[i].position, &v, &u))
			return bad_qty(err, "reconcile: position",
			    "position", snap->positions[i].position);
	return 0;
}

static int
of_account(const struct ordbook_snapshot *snap, const char *account)
{
	return !snap->account || !*snap->account || !*account ||
	    strcmp(snap->account, account) == 0;
}

static void
recon_execs(struct ordbook *b, const struct ordbook_snapshot *snap,
    int64_t now_ms, struct ordbook_recon *r, const struct ordbook_out *out)
{
	size_t i;

	for (i = 0; i < snap->n_execs; i++) {
		const struct ordbook_snap_exec *e = &snap->execs[i];
		const struct tws_execution *x = &e->x;
		struct ord *o = match_exec(b, x->order_ref, x->order_id,
		    x->client_id);
		struct gw_err ferr;
		char q[GW_QUOTE_MAX], rq[GW_QUOTE_MAX], sq[GW_QUOTE_MAX];
		double shares;
		int side, added = 0;

		gw_err_quote(q, sizeof(q), x->exec_id, strlen(x->exec_id));
		if (!o) {
			if (!is_ours(x->order_ref))
				continue;
			gw_err_quote(rq, sizeof(rq), x->order_ref,
			    strlen(x->order_ref));
			gw_err_quote(sq, sizeof(sq), x->symbol,
			    strlen(x->symbol));
			problem(r, ORDBOOK_PROB_UNKNOWN_FILL, x->order_id,
			    x->symbol, "unknown fill %s of order %lld at the "
			    "gateway: %s %s %s at %g, ref '%s': not in "
			    "bot-core's book", q, x->order_id, sq,
			    x->side, x->shares, x->price, rq);
			continue;
		}
		check_exec(x, &side, &shares, &ferr);
		if (apply_fill(b, o, x->exec_id, side, shares, x->price,
		    now_ms, out, &added, &ferr)) {
			problem(r, ORDBOOK_PROB_LIMIT, o->o.n.order_id,
			    o->o.n.symbol, "fill %s of order %lld not taken: "
			    "%s", q, o->o.n.order_id, ferr.msg);
			continue;
		}
		r->adopted_fills += (unsigned)added;
		if (e->has_commission && isfinite(e->c.commission) &&
		    e->c.commission != TWS_UNSET_DOUBLE &&
		    strcmp(e->c.exec_id, x->exec_id) == 0) {
			struct fill *f = find_exec(b, x->exec_id);

			if (f && strcmp(f->exec_id, x->exec_id) == 0)
				set_commission(b, f, e->c.commission, out);
		}
	}
}

static void
recon_orders(struct ordbook *b, const struct ordbook_snapshot *snap,
    int64_t now_ms, struct ordbook_recon *r, const struct ordbook_out *out)
{
	size_t i;

	for (i = 0; i < b->n_ord; i++)
		b->ord[i].seen = 0;
	for (i = 0; i < snap->n_orders; i++) {
		const struct ordbook_snap_order *so = &snap->orders[i];
		const struct tws_order *t = &so->oo.o;
		const char *status = so->has_status ? so->st.status :
		    so->oo.status;
		struct ord *o = match_open(b, &so->oo);
		char rq[GW_QUOTE_MAX], sq[GW_QUOTE_MAX], qq[GW_QUOTE_MAX];
		char px[40] = "";

		if (!o && !is_ours(t->order_ref) &&
		    !of_account(snap, t->account))
			continue;	/* another account's business */
		if (!final_status(status))
			r->gw_open++;
		if (o) {
			double f;
			int u;

			o->seen = 1;
			if (so->has_status) {
				parse_qty(so->st.filled, &f, &u);
				apply_status(b, o, so->st.status,
				    so->st.why_held, u ? -1 : f,
				    so->st.perm_id, now_ms, out, NULL);
			} else {
				apply_status(b, o, so->oo.status, "", -1,
				    so->oo.perm_id, now_ms, out, NULL);
			}
			continue;
		}
		if (final_status(status))
			continue;
		gw_err_quote(rq, sizeof(rq), t->order_ref,
		    strlen(t->order_ref));
		gw_err_quote(sq, sizeof(sq), t->symbol, strlen(t->symbol));
		gw_err_quote(qq, sizeof(qq), t->total_quantity,
		    strlen(t->total_quantity));
		if (t->order_type == TWS_ORDER_LMT)
			snprintf(px, sizeof(px), " %g", t->lmt_price);
		problem(r, ORDBOOK_PROB_UNKNOWN_ORDER, t->order_id, t->symbol,
		    "unknown order %lld at the gateway: %s %s %s %s%s, ref "
		    "'%s': %s", t->order_id, sq,
		    t->action == TWS_ACTION_SELL ? "SELL" : "BUY", qq,
		    t->order_type == TWS_ORDER_LMT ? "LMT" : "MKT", px, rq,
		    is_ours(t->order_ref) ? "not in bot-core's book" :
		    "not placed by bot-core");
	}
	for (i = 0; i < b->n_ord; i++) {
		struct ord *o = &b->ord[i];
		char why[ORDBOOK_WHY_MAX], a[32], t[32], m[32];

		if (o->seen || ordbook_state_final(o->o.state))
			continue;
		fmt_qty(a, sizeof(a), o->o.filled);
		fmt_qty(t, sizeof(t), o->o.n.qty);
		if (o->o.filled >= o->o.n.qty - QTY_EPS) {
			snprintf(why, sizeof(why), "reconcile: not open at the "
			    "gateway, fills %s of %s", a, t);
			set_state(b, o, ORDBOOK_FILLED, now_ms, why, out);
			r->filled++;
		} else if (o->o.filled > 0) {
			fmt_qty(m, sizeof(m), o->o.n.qty - o->o.filled);
			snprintf(why, sizeof(why), "reconcile: ended at the "
			    "gateway with %s of %s filled, %s remaining", a, t,
			    m);
			set_state(b, o, ORDBOOK_CANCELLED, now_ms, why, out);
			r->cancelled++;
		} else {
			set_state(b, o, ORDBOOK_GONE, now_ms, "reconcile: not "
			    "at the gateway and no fills", out);
			r->gone++;
		}
	}
}

/* The gateway's position in symbol: the sum of the account's rows. */
/* A stock position of the order account: the book trades nothing else,
 * so an option or future on the same symbol is not its business. */
static int
stock_row(const struct ordbook_snapshot *snap, const struct tws_position *p)
{
	return of_account(snap, p->account) &&
	    (p->sec_type[0] == '\0' || strcmp(p->sec_type, "STK") == 0);
}

static double
gw_position(const struct ordbook_snapshot *snap, const char *symbol,
    size_t upto)
{
	size_t i;
	double sum = 0, v;
	int u;

	for (i = 0; i < upto; i++) {
		const struct tws_position *p = &snap->positions[i];

		if (stock_row(snap, p) && strcmp(p->symbol, symbol) == 0 &&
		    !parse_qty(p->position, &v, &u))
			sum += v;
	}
	return sum;
}

static void
recon_positions(struct ordbook *b, const struct ordbook_snapshot *snap,
    struct ordbook_recon *r)
{
	size_t i, j, n_book = b->n_pos;
	char bq[32], gq[32], sq[GW_QUOTE_MAX];

	for (i = 0; i < n_book; i++) {
		struct ordbook_pos *p = &b->pos[i].p;
		double g = gw_position(snap, p->symbol, snap->n_positions);

		if (fabs(g - p->qty) <= QTY_EPS)
			continue;
		fmt_qty(bq, sizeof(bq), p->qty);
		fmt_qty(gq, sizeof(gq), g);
		problem(r, ORDBOOK_PROB_POSITION, 0, p->symbol,
		    "position mismatch %s: book %s, gateway %s", p->symbol,
		    bq, gq);
	}
	for (i = 0; i < snap->n_positions; i++) {
		const struct tws_position *tp = &snap->positions[i];
		struct pos *np;
		double g;

		if (!stock_row(snap, tp) || find_pos(b, tp->symbol))
			continue;
		for (j = 0; j < i; j++)	/* one answer per symbol */
			if (stock_row(snap, &snap->positions[j]) &&
			    strcmp(snap->positions[j].symbol, tp->symbol) == 0)
				break;
		if (j < i)
			continue;
		g = gw_position(snap, tp->symbol, snap->n_positions);
		if (fabs(g) <= QTY_EPS)
			continue;
		if (b->cfg.adopt_positions && !b->reconciled &&
		    (np = get_pos(b, tp->symbol))) {
			np->p.qty = g;
			np->p.avg_cost = isfinite(tp->avg_cost) &&
			    tp->avg_cost != TWS_UNSET_DOUBLE ? tp->avg_cost : 0;
			np->p.adopted = 1;
			r->adopted_positions++;
			continue;
		}
		fmt_qty(gq, sizeof(gq), g);
		gw_err_quote(sq, sizeof(sq), tp->symbol, strlen(tp->symbol));
		problem(r, ORDBOOK_PROB_POSITION, 0, tp->symbol,
		    "position mismatch %s: book none, gateway %s (not traded "
		    "by bot-core)", sq, gq);
	}
}

int
ordbook_reconcile(struct ordbook *b, const struct ordbook_snapshot *snap,
    int64_t now_ms, struct ordbook_recon *report,
    const struct ordbook_out *out, struct gw_err *err)
{
	size_t i;

	memset(report, 0, sizeof(*report));
	if (snap_check(snap, err))
		return -1;
	recon_execs(b, snap, now_ms, report, out);
	recon_orders(b, snap, now_ms, report, out);
	recon_positions(b, snap, report);
	b->reconciled++;
	report->orders = (unsigned)b->n_ord;
	for (i = 0; i < b->n_ord; i++)
		if (!ordbook_state_final(b->ord[i].o.state))
			report->open++;
	report->ok = report->problems == 0;
	return 0;
}
