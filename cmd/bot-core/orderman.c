/*
 * orderman: bot-core's order manager (orderman.h): journal + order book +
 * the reconciliation sequence, on the libevent loop. The gateway's order
 * messages reach it decoded (tws_order_decode_in) and are untrusted: the
 * book (ordbook) checks every value; the journal's lines are trusted as
 * far as journal_decode_line checks them.
 *
 * Life cycle (enum orderman_state):
 *   OFFLINE --session_ready--> RECONCILING --ends--> READY | PROBLEM
 *   RECONCILING --deadline / refused snapshot--> FAILED
 *   PROBLEM --resume--> READY
 *   any --session_lost--> OFFLINE
 * Orders go only in READY, and never after a journal append failed.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "orderman.h"
#include "sched.h"

#define NY_TZ "America/New_York"
#define FRAME_MAX 4096
#define SUMMARY_MAX 8

struct summary_val {
	char account[TWS_ORD_STR];
	char tag[TWS_ORD_STR];
	char value[TWS_ORD_STR];
	char currency[TWS_ORD_STR];
};

struct orderman {
	struct event_base *base;
	struct orderman_config cfg;
	struct orderman_hooks h;
	struct journal *j;
	struct ordbook *b;
	enum orderman_state state;

	int broken;			/* a journal append failed */
	char broken_why[GW_ERR_MAX];
	unsigned long bad_records;	/* records that did not encode */
	char bad_why[GW_ERR_MAX];

	int sv;
	char account[TWS_ORD_STR];
	long long next_id;
	unsigned session;
	long long exec_req, summary_req;

	/* every intent id of the journal: open addressing, strdup'd */
	char **intents;
	size_t n_int, cap_int;

	int64_t *rate;			/* ring of placement times (mono ms) */
	unsigned rate_n, rate_pos;

	struct event *ack_ev, *recon_ev;
	int recon_timed_out;	/* this session's reconciliation did */

	/* the reconciliation snapshot; sp stays as the latest positions */
	struct ordbook_snap_order *so;
	size_t n_so, cap_so;
	struct ordbook_snap_exec *sx;
	size_t n_sx, cap_sx;
	int collect_oom;	/* an answer could not be kept: fail */
	struct tws_position *sp;
	size_t n_sp, cap_sp;
	int oo_end, exec_end, pos_end;
	int64_t recon_started_wall;

	struct summary_val summary[SUMMARY_MAX];
	size_t n_summary;

	int has_recon;
	struct ordbook_recon last;
	int64_t last_recon_wall;
	char last_fail[GW_WHY_MAX];

	/* changes waiting for the hook, and a failure for the failed hook */
	struct ordbook_change *q;
	size_t n_q, cap_q;
	int flushing;
	char pending_fail[GW_WHY_MAX];

	/* what the book is being fed right now (for the journal's records) */
	const struct tws_execution *cur_x;
	const struct tws_commission *cur_c;

	int close_year, close_yday;
	char cancel_why[128];
	int64_t cancel_wall;
	unsigned long refused_msgs;
};

/* --- small helpers --- */

static int64_t
mono(const struct orderman *om)
{
	return om->h.mono_ms ? om->h.mono_ms(om->h.arg) : clock_mono_ms();
}

static int64_t
wall(const struct orderman *om)
{
	return om->h.wall_ms ? om->h.wall_ms(om->h.arg) : clock_wall_ms();
}

static int
printable(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* A quantity as decimal text without exponent ("100", "0.5"); -1 when it
 * does not fit or is not positive after rounding to 8 decimals. */
static int
fmt_qty(char *dst, size_t dstsz, double q)
{
	int n;
	char *p;

	if (!isfinite(q) || q <= 0 || q >= 1e15)
		return -1;
	n = snprintf(dst, dstsz, "%.8f", q);
	if (n < 0 || (size_t)n >= dstsz)
		return -1;
	p = dst + n - 1;
	while (p > dst && *p == '0')
		*p-- = 0;
	if (*p == '.')
		*p = 0;
	return strtod(dst, NULL) > 0 ? 0 : -1;
}

static int
ny_day(const struct orderman *om, char day[11], struct gw_err *err)
{
	struct tm tm;
	time_t t = (time_t)(wall(om) / 1000);

	if (sched_local(NY_TZ, t, &tm, err))
		return -1;
	char buf[64];

	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return gw_err_set(err, "New York date out of range");
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday);
	memcpy(day, buf, 10);
	day[10] = 0;
	return 0;
}

const char *
orderman_state_name(enum orderman_state s)
{
	switch (s) {
	case ORDERMAN_OFFLINE: return "offline";
	case ORDERMAN_RECONCILING: return "reconciling";
	case ORDERMAN_READY: return "ready";
	case ORDERMAN_PROBLEM: return "problem";
	case ORDERMAN_FAILED: return "failed";
	}
	return "?";
}

void
orderman_config_init(struct orderman_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ack_timeout_s = 5;
	cfg->recon_timeout_s = 30;
	cfg->closeout_min = ORDERMAN_CLOSEOUT_DEFAULT;
	cfg->max_orders_per_s = 5;
	cfg->client_id = -1;	/* must be set: 0 is a real client id */
}

/* --- the intent set --- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int
intent_has(const struct orderman *om, const char *id)
{
	if (!om->cap_int)
		return 0;
	for (size_t i = hash_str(id) & (om->cap_int - 1);;
	    i = (i + 1) & (om->cap_int - 1)) {
		if (!om->intents[i])
			return 0;
		if (strcmp(om->intents[i], id) == 0)
			return 1;
	}
}

static int
intent_add(struct orderman *om, const char *id)
{
	if (intent_has(om, id))
		return 0;
	if ((om->n_int + 1) * 2 > om->cap_int) {
		size_t ncap = om->cap_int ? om->cap_int * 2 : 64;
		char **n = calloc(ncap, sizeof(*n));

		if (!n)
			return -1;
		for (size_t k = 0; k < om->cap_int; k++) {
			char *s = om->intents[k];
			size_t i;

			if (!s)
				continue;
			for (i = hash_str(s) & (ncap - 1); n[i];
			    i = (i + 1) & (ncap - 1))
				;
			n[i] = s;
		}
		free(om->intents);
		om->intents = n;
		om->cap_int = ncap;
	}
	size_t i;
	for (i = hash_str(id) & (om->cap_int - 1); om->intents[i];
	    i = (i + 1) & (om->cap_int - 1))
		;
	if (!(om->intents[i] = strdup(id)))
		return -1;
	om->n_int++;
	return 0;
}

/* Grow an array to hold n + 1 elements. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void *np;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (!(np = realloc(*p, ncap * sz)))
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* --- journal writes, the change queue, failures --- */

static void
fail_later(struct orderman *om, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail_later(struct orderman *om, const char *fmt, ...)
{
	va_list ap;

	if (om->pending_fail[0])
		return;		/* the first reason is the one that counts */
	va_start(ap, fmt);
	vsnprintf(om->pending_fail, sizeof(om->pending_fail), fmt, ap);
	va_end(ap);
}

/* Append r. 0 when durable; 1 when r does not encode (not journaled,
 * counted: the gateway sent a value the journal refuses); -1 when the
 * append failed: the journal is broken (failed hook on the next flush). */
static int
jwrite(struct orderman *om, struct jrec *r, struct gw_err *err)
{
	char line[JOURNAL_LINE_MAX];
	struct gw_err e;

	r->ts_ms = wall(om);
	if (journal_encode(r, line, sizeof(line), &e) < 0) {
		om->bad_records++;
		snprintf(om->bad_why, sizeof(om->bad_why), "%s", e.msg);
		gw_err_set(err, "%s", e.msg);
		return 1;
	}
	if (journal_append(om->j, r, &e) == 0)
		return 0;
	gw_err_set(err, "journal: %s", e.msg);
	if (!om->broken) {
		om->broken = 1;
		snprintf(om->broken_why, sizeof(om->broken_why), "%s", e.msg);
		fail_later(om, "journal: %s", e.msg);
	}
	return -1;
}

static int
final_of(enum ordbook_state s)
{
	switch (s) {
	case ORDBOOK_FILLED: return JFINAL_FILLED;
	case ORDBOOK_CANCELLED: return JFINAL_CANCELLED;
	case ORDBOOK_REJECTED: return JFINAL_REJECTED;
	case ORDBOOK_GONE: return JFINAL_GONE;
	default: return 0;
	}
}

static enum ordbook_state
state_of_final(int f)
{
	switch (f) {
	case JFINAL_FILLED: return ORDBOOK_FILLED;
	case JFINAL_CANCELLED: return ORDBOOK_CANCELLED;
	case JFINAL_REJECTED: return ORDBOOK_REJECTED;
	default: return ORDBOOK_GONE;
	}
}

/* The execution (and commission report) behind exec_id, in what the book
 * is being fed now or in the snapshot. */
static const struct ordbook_snap_exec *
snap_exec(const struct orderman *om, const char *exec_id)
{
	for (size_t i = 0; i < om->n_sx; i++)
		if (strcmp(om->sx[i].x.exec_id, exec_id) == 0)
			return &om->sx[i];
	return NULL;
}

/* ordbook's out: journal the change now, deliver it after the book's
 * call has returned (flush). */
static void
on_change(void *arg, const struct ordbook_change *c)
{
	struct orderman *om = arg;
	struct jrec r;
	struct gw_err e;
	int write = 1;

	memset(&r, 0, sizeof(r));
	switch (c->kind) {
	case ORDBOOK_CH_STATE:
		if (!final_of(c->to)) {
			write = 0;	/* orderStatus records carry these */
			break;
		}
		r.kind = JREC_FINAL;
		r.u.final.order_id = c->order_id;
		r.u.final.state = final_of(c->to);
		snprintf(r.u.final.why, sizeof(r.u.final.why), "%s", c->why);
		break;
	case ORDBOOK_CH_FILL: {
		const struct tws_execution *x = om->cur_x;
		const struct ordbook_snap_exec *sx;

		if (!x || strcmp(x->exec_id, c->exec_id)) {
			sx = snap_exec(om, c->exec_id);
			x = sx ? &sx->x : NULL;
		}
		r.kind = JREC_FILL;
		r.u.fill.order_id = c->order_id;
		snprintf(r.u.fill.exec_id, sizeof(r.u.fill.exec_id), "%s",
		    c->exec_id);
		r.u.fill.side = c->side;
		if (fmt_qty(r.u.fill.shares, sizeof(r.u.fill.shares),
		    c->shares))
			snprintf(r.u.fill.shares, sizeof(r.u.fill.shares), "?");
		r.u.fill.price = c->price;
		if (x && printable(x->time, 0, TWS_ORD_STR - 1))
			snprintf(r.u.fill.time, sizeof(r.u.fill.time), "%s",
			    x->time);
		snprintf(r.u.fill.ref, sizeof(r.u.fill.ref), "%s", c->ref);
		break;
	}
	case ORDBOOK_CH_COMMISSION: {
		const struct tws_commission *cr = om->cur_c;
		const struct ordbook_snap_exec *sx;

		if (!cr || strcmp(cr->exec_id, c->exec_id)) {
			sx = snap_exec(om, c->exec_id);
			cr = sx && sx->has_commission ? &sx->c : NULL;
		}
		r.kind = JREC_COMMISSION;
		snprintf(r.u.commission.exec_id,
		    sizeof(r.u.commission.exec_id), "%s", c->exec_id);
		r.u.commission.commission = c->commission;
		if (cr && isfinite(cr->realized_pnl) &&
		    cr->realized_pnl != TWS_UNSET_DOUBLE) {
			r.u.commission.has_realized_pnl = 1;
			r.u.commission.realized_pnl = cr->realized_pnl;
		}
		break;
	}
	}
	if (write)
		(void)jwrite(om, &r, &e);
	if (grow((void **)&om->q, &om->cap_q, om->n_q, sizeof(*om->q)) == 0)
		om->q[om->n_q++] = *c;
	else
		fail_later(om, "orderman: out of memory for a change");
}

static const struct ordbook_out *
out_of(struct orderman *om, struct ordbook_out *o)
{
	o->fn = on_change;
	o->arg = om;
	return o;
}

static void schedule_ack(struct orderman *om);

/* Deliver queued changes, then a pending failure. A hook may cause new
 * changes: they are delivered by this same loop. */
static void
flush(struct orderman *om)
{
	struct ordbook_change c;
	char why[GW_WHY_MAX];

	if (om->flushing)
		return;
	om->flushing = 1;
	for (size_t i = 0; i < om->n_q; i++) {
		c = om->q[i];
		if (om->h.change)
			om->h.change(om->h.arg, &c);
	}
	om->n_q = 0;
	if (om->pending_fail[0]) {
		snprintf(why, sizeof(why), "%s", om->pending_fail);
		om->pending_fail[0] = 0;
		snprintf(om->last_fail, sizeof(om->last_fail), "%s", why);
		if (om->h.failed)
			om->h.failed(om->h.arg, why);
	}
	om->flushing = 0;
	schedule_ack(om);
}

/* --- the ack deadline --- */

static void
schedule_ack(struct orderman *om)
{
	struct ordbook_order o;
	int64_t next = 0, now;

	for (size_t i = 0; i < ordbook_count(om->b); i++) {
		if (ordbook_order_at(om->b, i, &o) == 0 &&
		    o.state == ORDBOOK_PENDING_SUBMIT && o.deadline_ms &&
		    (!next || o.deadline_ms < next))
			next = o.deadline_ms;
	}
	evtimer_del(om->ack_ev);
	if (!next)
		return;
	now = mono(om);
	struct timeval tv = clock_tv_ms((double)(next - now) + 1);
	evtimer_add(om->ack_ev, &tv);
}

static void
ack_cb(evutil_socket_t fd, short what, void *arg)
{
	struct orderman *om = arg;
	struct ordbook_out out;

	(void)fd;
	(void)what;
	ordbook_tick(om->b, mono(om), out_of(om, &out));
	flush(om);
}

/* --- journal replay ---
 *
 * Two passes over the file, so that memory stays flat whatever its size:
 * the first (journal_open's) remembers every intent id, the highest order
 * id and, per order, its day, symbol and whether it ended; the second
 * (journal_replay) feeds the book today's orders and the older ones still
 * open. The fills of older settled orders only carry their positions
 * forward (a position held overnight is still the book's).
 */

struct oid {
	long long id;
	int skip;	/* an earlier day's order with a final record */
	char symbol[ORDBOOK_SYMBOL_MAX + 1];
};

struct replay {
	struct orderman *om;
	char today[11];
	struct oid *ids;
	size_t n_ids, cap_ids;
	long long *finals;
	size_t n_finals, cap_finals;
	unsigned long records;
	int64_t now_m, now_w;
};

static int
oid_cmp(const void *a, const void *b)
{
	long long x = ((const struct oid *)a)->id;
	long long y = ((const struct oid *)b)->id;

	return (x > y) - (x < y);
}

static struct oid *
oid_find(struct oid *v, size_t n, long long id)
{
	struct oid k = { .id = id };

	return n ? bsearch(&k, v, n, sizeof(*v), oid_cmp) : NULL;
}

static int
live_status(const char *s)
{
	return !strcmp(s, "PreSubmitted") || !strcmp(s, "Submitted") ||
	    !strcmp(s, "PendingSubmit") || !strcmp(s, "ApiPending");
}

/* Pass 1: what decides which records the book takes. */
static int
scan_cb(void *arg, const struct jrec *r, unsigned long line,
    struct gw_err *err)
{
	struct replay *rp = arg;
	struct orderman *om = rp->om;
	struct oid *o;

	(void)line;
	rp->records++;
	if (r->kind == JREC_PLACE) {
		if (intent_add(om, r->u.place.intent) ||
		    grow((void **)&rp->ids, &rp->cap_ids, rp->n_ids,
		    sizeof(*rp->ids)))
			return gw_err_set(err, "out of memory");
		if (r->u.place.order_id >= om->next_id)
			om->next_id = r->u.place.order_id + 1;
		o = &rp->ids[rp->n_ids++];
		memset(o, 0, sizeof(*o));
		o->id = r->u.place.order_id;
		/* provisional: an old order, unless it turns out open */
		o->skip = strcmp(r->u.place.day, rp->today) ? 2 : 0;
		if (strlen(r->u.place.symbol) > ORDBOOK_SYMBOL_MAX)
			return gw_err_set(err, "place: symbol longer than the "
			    "book takes");
		memcpy(o->symbol, r->u.place.symbol,
		    strlen(r->u.place.symbol) + 1);
	} else if (r->kind == JREC_FINAL) {
		if (grow((void **)&rp->finals, &rp->cap_finals, rp->n_finals,
		    sizeof(*rp->finals)))
			return gw_err_set(err, "out of memory");
		rp->finals[rp->n_finals++] = r->u.final.order_id;
	}
	return 0;
}

/* Between the passes: an older order is left out when it ended. */
static void
scan_settle(struct replay *rp, struct orderman_open_info *info)
{
	struct oid *o;
	size_t i;

	if (rp->n_ids > 0)	/* qsort takes no NULL base, even for 0 */
		qsort(rp->ids, rp->n_ids, sizeof(*rp->ids), oid_cmp);
	for (i = 0; i < rp->n_finals; i++)
		if ((o = oid_find(rp->ids, rp->n_ids, rp->finals[i])) &&
		    o->skip == 2)
			o->skip = 1;
	for (i = 0; i < rp->n_ids; i++) {
		if (rp->ids[i].skip == 2)
			rp->ids[i].skip = 0;	/* old but open: kept */
		else if (rp->ids[i].skip == 1 && info)
			info->old_settled++;
	}
	free(rp->finals);
	rp->finals = NULL;
	rp->n_finals = rp->cap_finals = 0;
}

/* Pass 2: one record into the book. */
static int
apply_cb(void *arg, const struct jrec *r, unsigned long line,
    struct gw_err *err)
{
	struct replay *rp = arg;
	struct orderman *om = rp->om;
	int64_t at = rp->now_m - (rp->now_w - r->ts_ms);
	struct oid *o = NULL;
	struct ordbook_order bo;

	(void)line;
	switch (r->kind) {
	case JREC_PLACE: {
		struct ordbook_new n;

		o = oid_find(rp->ids, rp->n_ids, r->u.place.order_id);
		if (o && o->skip)
			return 0;
		if (strlen(r->u.place.account) > ORDBOOK_ACCOUNT_MAX ||
		    strlen(r->u.place.symbol) > ORDBOOK_SYMBOL_MAX)
			return gw_err_set(err, "place: account or symbol longer "
			    "than the book takes");
		memset(&n, 0, sizeof(n));
		snprintf(n.intent_id, sizeof(n.intent_id), "%s",
		    r->u.place.intent);
		snprintf(n.ref, sizeof(n.ref), "%s", r->u.place.ref);
		n.order_id = r->u.place.order_id;
		memcpy(n.account, r->u.place.account,
		    strlen(r->u.place.account) + 1);
		memcpy(n.symbol, r->u.place.symbol,
		    strlen(r->u.place.symbol) + 1);
		n.side = r->u.place.side;
		n.qty = strtod(r->u.place.qty, NULL);
		n.type = r->u.place.type;
		n.lmt = r->u.place.lmt;
		n.tif = r->u.place.tif;
		n.client_id = r->u.place.client_id;
		return ordbook_replay_place(om->b, &n, at, err) < 0 ? -1 : 0;
	}
	case JREC_STATUS:
		if (ordbook_get(om->b, r->u.status.order_id, &bo) ||
		    !live_status(r->u.status.status) ||
		    (bo.state != ORDBOOK_PENDING_SUBMIT &&
		    bo.state != ORDBOOK_UNKNOWN))
			return 0;
		return ordbook_replay_state(om->b, bo.n.order_id,
		    ORDBOOK_SUBMITTED, at, err) < 0 ? -1 : 0;
	case JREC_FILL:
		o = oid_find(rp->ids, rp->n_ids, r->u.fill.order_id);
		if (o && o->skip)
			return ordbook_replay_carry(om->b, o->symbol,
			    r->u.fill.side, strtod(r->u.fill.shares, NULL),
			    r->u.fill.price, err) < 0 ? -1 : 0;
		return ordbook_replay_fill(om->b, r->u.fill.order_id,
		    r->u.fill.exec_id, r->u.fill.side,
		    strtod(r->u.fill.shares, NULL), r->u.fill.price, at,
		    err) < 0 ? -1 : 0;
	case JREC_COMMISSION:
		/* one of an older settled order's fills: not in the book */
		if (!ordbook_exec_known(om->b, r->u.commission.exec_id))
			return 0;
		return ordbook_replay_commission(om->b,
		    r->u.commission.exec_id, r->u.commission.commission,
		    err) < 0 ? -1 : 0;
	case JREC_FINAL:
		o = oid_find(rp->ids, rp->n_ids, r->u.final.order_id);
		if (o && o->skip)
			return 0;
		return ordbook_replay_state(om->b, r->u.final.order_id,
		    state_of_final(r->u.final.state), at, err) < 0 ? -1 : 0;
	case JREC_RECONCILED:
		memset(&om->last, 0, sizeof(om->last));
		om->has_recon = 1;
		om->last.ok = r->u.reconciled.ok;
		om->last.orders = (unsigned)r->u.reconciled.orders;
		om->last.adopted_fills = (unsigned)r->u.reconciled.fills_adopted;
		om->last.problems = (unsigned)r->u.reconciled.problems;
		om->last_recon_wall = r->ts_ms;
		return 0;
	default:
		return 0;
	}
}

/* --- new / free --- */

struct orderman *
orderman_new(struct event_base *base, const struct orderman_config *cfg,
    const struct orderman_hooks *hooks, struct orderman_open_info *info,
    struct gw_err *err)
{
	struct orderman *om;
	struct ordbook_config bc = { 0 };
	struct replay rp = { 0 };
	struct orderman_open_info scratch;
	struct ordbook_order o;

	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	if (!hooks || !hooks->send) {
		gw_err_set(err, "orderman: no send hook");
		return NULL;
	}
	if (!cfg->journal_path[0]) {
		gw_err_set(err, "orderman: no journal path");
		return NULL;
	}
	if (cfg->client_id < 0) {
		gw_err_set(err, "orderman: no client id");
		return NULL;
	}
	if (!(cfg->ack_timeout_s > 0 && cfg->ack_timeout_s <= 3600) ||
	    !(cfg->recon_timeout_s > 0 && cfg->recon_timeout_s <= 3600)) {
		gw_err_set(err, "orderman: ack timeout %g s, reconciliation "
		    "timeout %g s: each must be in (0, 3600]",
		    cfg->ack_timeout_s, cfg->recon_timeout_s);
		return NULL;
	}
	if (cfg->closeout_min < -1 || cfg->closeout_min >= 24 * 60) {
		gw_err_set(err, "orderman: close-out minute %d is not -1 or "
		    "0..1439", cfg->closeout_min);
		return NULL;
	}
	if (cfg->max_orders_per_s > 50) {
		gw_err_set(err, "orderman: %u orders per second: at most 50 "
		    "(IB's message limit)", cfg->max_orders_per_s);
		return NULL;
	}
	if (!(om = calloc(1, sizeof(*om)))) {
		gw_err_set(err, "orderman: out of memory");
		return NULL;
	}
	om->base = base;
	om->cfg = *cfg;
	if (!om->cfg.max_orders_per_s)
		om->cfg.max_orders_per_s = 5;
	om->h = *hooks;
	om->next_id = 1;
	om->close_year = -1;
	bc.ack_timeout_ms = (int64_t)(cfg->ack_timeout_s * 1000);
	if (!bc.ack_timeout_ms)
		bc.ack_timeout_ms = 1;
	bc.max_orders = cfg->max_orders;
	bc.adopt_positions = cfg->adopt_positions;
	if (!(om->b = ordbook_new(&bc, err)))
		goto fail;
	om->rate = calloc(om->cfg.max_orders_per_s, sizeof(*om->rate));
	om->ack_ev = evtimer_new(base, ack_cb, om);
	if (!om->rate || !om->ack_ev) {
		gw_err_set(err, "orderman: out of memory");
		goto fail;
	}
	rp.om = om;
	rp.now_m = mono(om);
	rp.now_w = wall(om);
	if (ny_day(om, rp.today, err))
		goto fail;
	if (!(om->j = journal_open(cfg->journal_path, scan_cb, &rp,
	    &info->journal, err)))
		goto fail;
	scan_settle(&rp, info);
	if (journal_replay(om->j, apply_cb, &rp, err) < 0)
		goto fail;
	free(rp.ids);
	rp.ids = NULL;
	info->records = rp.records;
	info->orders = (unsigned)ordbook_count(om->b);
	for (size_t i = 0; i < ordbook_count(om->b); i++)
		if (ordbook_order_at(om->b, i, &o) == 0 &&
		    !ordbook_state_final(o.state))
			info->open++;
	info->intents = om->n_int;
	info->max_order_id = om->next_id - 1;
	return om;
fail:
	free(rp.ids);
	free(rp.finals);
	orderman_free(om);
	return NULL;
}

void
orderman_free(struct orderman *om)
{
	if (!om)
		return;
	if (om->ack_ev)
		event_free(om->ack_ev);
	if (om->recon_ev)
		event_free(om->recon_ev);
	journal_close(om->j);
	ordbook_free(om->b);
	for (size_t i = 0; i < om->cap_int; i++)
		free(om->intents[i]);
	free(om->intents);
	free(om->rate);
	free(om->so);
	free(om->sx);
	free(om->sp);
	free(om->q);
	free(om);
}

/* --- sending --- */

typedef ssize_t (*enc0_fn)(uint8_t *, size_t, int, struct gw_err *);

static int
send_frame(struct orderman *om, const uint8_t *f, ssize_t n,
    struct gw_err *err)
{
	if (n < 0)
		return -1;
	return om->h.send(om->h.arg, f, (size_t)n, err);
}

static int
send0(struct orderman *om, enc0_fn fn, struct gw_err *err)
{
	uint8_t f[FRAME_MAX];

	return send_frame(om, f, fn(f, sizeof(f), om->sv, err), err);
}

/* --- reconciliation --- */

static void
recon_reset(struct orderman *om)
{
	om->n_so = om->n_sx = om->n_sp = 0;
	om->collect_oom = 0;
	om->recon_timed_out = 0;
	om->oo_end = om->exec_end = om->pos_end = 0;
	if (om->recon_ev)
		evtimer_del(om->recon_ev);
}

static void
recon_cb(evutil_socket_t fd, short what, void *arg)
{
	struct orderman *om = arg;

	(void)fd;
	(void)what;
	if (om->state != ORDERMAN_RECONCILING)
		return;
	om->state = ORDERMAN_FAILED;
	om->recon_timed_out = 1;
	fail_later(om, "reconciliation timed out after %g s, waiting for%s%s%s",
	    om->cfg.recon_timeout_s, om->oo_end ? "" : " openOrderEnd",
	    om->exec_end ? "" : " execDetailsEnd",
	    om->pos_end ? "" : " positionEnd");
	flush(om);
}

int
orderman_session_ready(struct orderman *om, int server_version,
    long long next_valid_id, const char *account, struct gw_err *err)
{
	uint8_t f[FRAME_MAX];
	struct timeval tv;

	recon_reset(om);
	om->state = ORDERMAN_FAILED;
	if (!account || !printable(account, 1, ORDBOOK_ACCOUNT_MAX))
		return gw_err_set(err, "orderman: account '%s' is not 1..%d "
		    "printable bytes", account ? account : "",
		    ORDBOOK_ACCOUNT_MAX);
	om->sv = server_version;
	snprintf(om->account, sizeof(om->account), "%s", account);
	if (next_valid_id > om->next_id)
		om->next_id = next_valid_id;
	om->session++;
	om->exec_req = ORDERMAN_EXEC_REQ_ID + om->session % 1000;
	om->summary_req = ORDERMAN_SUMMARY_REQ_ID + om->session % 1000;
	if (!om->recon_ev &&
	    !(om->recon_ev = evtimer_new(om->base, recon_cb, om)))
		return gw_err_set(err, "orderman: out of memory");
	if (send0(om, tws_enc_req_all_open_orders, err) ||
	    send_frame(om, f, tws_enc_req_executions(f, sizeof(f), om->sv,
	    om->exec_req, err), err) ||
	    send0(om, tws_enc_req_positions, err) ||
	    send_frame(om, f, tws_enc_req_account_summary(f, sizeof(f), om->sv,
	    om->summary_req, "All", ORDERMAN_SUMMARY_TAGS, err), err)) {
		char why[GW_ERR_MAX];

		snprintf(why, sizeof(why), "%s", err ? err->msg : "");
		return gw_err_set(err, "reconciliation: %s", why);
	}
	om->state = ORDERMAN_RECONCILING;
	om->recon_started_wall = wall(om);
	tv = clock_tv_ms(om->cfg.recon_timeout_s * 1000);
	evtimer_add(om->recon_ev, &tv);
	return 0;
}

void
orderman_session_lost(struct orderman *om)
{
	recon_reset(om);
	om->state = ORDERMAN_OFFLINE;
}

static void
recon_finish(struct orderman *om)
{
	struct ordbook_snapshot snap = {
		.account = om->account,
		.orders = om->so, .n_orders = om->n_so,
		.execs = om->sx, .n_execs = om->n_sx,
		.positions = om->sp, .n_positions = om->n_sp,
	};
	struct ordbook_recon rep;
	struct ordbook_out out;
	struct jrec r;
	struct gw_err e;

	evtimer_del(om->recon_ev);
	/* A client that used reqAllOpenOrders must place its next orders
	 * with ids above every one those answers carried, whichever client
	 * placed them (IB, "Placing Orders: The Next Valid Identifier",
	 * interactivebrokers.github.io/tws-api/order_submission.html). */
	for (size_t i = 0; i < om->n_so; i++)
		if (om->so[i].oo.o.order_id >= om->next_id)
			om->next_id = om->so[i].oo.o.order_id >= INT_MAX ?
			    (long long)INT_MAX + 1 : om->so[i].oo.o.order_id + 1;
	if (om->collect_oom) {
		om->collect_oom = 0;
		om->state = ORDERMAN_FAILED;
		fail_later(om, "reconciliation: out of memory keeping the "
		    "gateway's answers");
		flush(om);
		return;
	}
	if (ordbook_reconcile(om->b, &snap, mono(om), &rep, out_of(om, &out),
	    &e)) {
		om->state = ORDERMAN_FAILED;
		fail_later(om, "reconciliation refused the gateway's answers: "
		    "%s", e.msg);
		flush(om);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.kind = JREC_RECONCILED;
	r.u.reconciled.orders = rep.orders;
	r.u.reconciled.fills_adopted = rep.adopted_fills;
	r.u.reconciled.ok = rep.ok;
	r.u.reconciled.problems = rep.problems;
	(void)jwrite(om, &r, &e);
	om->last = rep;
	om->has_recon = 1;
	om->last_recon_wall = wall(om);
	om->state = rep.ok ? ORDERMAN_READY : ORDERMAN_PROBLEM;
	flush(om);
	if (om->h.reconciled && om->state != ORDERMAN_OFFLINE)
		om->h.reconciled(om->h.arg, &rep);
}

static void
recon_check(struct orderman *om)
{
	if (om->state == ORDERMAN_RECONCILING && om->oo_end &&
	    om->exec_end && om->pos_end)
		recon_finish(om);
}

static void
pos_upsert(struct orderman *om, const struct tws_position *p)
{
	for (size_t i = 0; i < om->n_sp; i++)
		if (!strcmp(om->sp[i].account, p->account) &&
		    !strcmp(om->sp[i].symbol, p->symbol) &&
		    om->sp[i].con_id == p->con_id) {
			om->sp[i] = *p;
			return;
		}
	if (grow((void **)&om->sp, &om->cap_sp, om->n_sp, sizeof(*om->sp))) {
		om->collect_oom = 1;
		return;
	}
	om->sp[om->n_sp++] = *p;
}

static void
summary_set(struct orderman *om, const struct tws_account_value *v)
{
	size_t i;

	for (i = 0; i < om->n_summary; i++)
		if (!strcmp(om->summary[i].account, v->account) &&
		    !strcmp(om->summary[i].tag, v->tag))
			break;
	if (i == om->n_summary) {
		if (i == SUMMARY_MAX)
			return;
		om->n_summary++;
	}
	snprintf(om->summary[i].account, TWS_ORD_STR, "%s", v->account);
	snprintf(om->summary[i].tag, TWS_ORD_STR, "%s", v->tag);
	snprintf(om->summary[i].value, TWS_ORD_STR, "%s", v->value);
	snprintf(om->summary[i].currency, TWS_ORD_STR, "%s", v->currency);
}

/* Collect one message into the snapshot: 1 when it was taken, 0 when it
 * is to be applied to the book as usual. */
static int
recon_collect(struct orderman *om, const struct tws_order_in *m)
{
	switch (m->id) {
	case TWS_IN_OPEN_ORDER: {
		const struct tws_open_order *oo = &m->u.open_order;
		size_t i;

		/* keyed by client and id: ids are numbered per client */
		for (i = 0; i < om->n_so; i++)
			if (om->so[i].oo.o.order_id == oo->o.order_id &&
			    om->so[i].oo.client_id == oo->client_id)
				break;
		if (i == om->n_so) {
			if (grow((void **)&om->so, &om->cap_so, om->n_so,
			    sizeof(*om->so))) {
				om->collect_oom = 1;
				return 1;
			}
			memset(&om->so[i], 0, sizeof(om->so[i]));
			om->n_so++;
		}
		om->so[i].oo = *oo;
		return 1;
	}
	case TWS_IN_ORDER_STATUS:
		for (size_t i = 0; i < om->n_so; i++)
			if (om->so[i].oo.o.order_id == m->u.status.order_id &&
			    om->so[i].oo.client_id == m->u.status.client_id) {
				om->so[i].st = m->u.status;
				om->so[i].has_status = 1;
				return 1;
			}
		return 0;
	case TWS_IN_OPEN_ORDER_END:
		om->oo_end = 1;
		return 1;
	case TWS_IN_EXEC_DETAILS: {
		const struct tws_execution *x = &m->u.exec;
		size_t i;

		if (x->req_id != om->exec_req)
			return 0;
		/* a fill the book has already (a restart's journal, the
		 * last session) needs no adopting: not kept, so that a day of
		 * executions costs no memory here */
		if (ordbook_exec_known(om->b, x->exec_id))
			return 1;
		for (i = 0; i < om->n_sx; i++)
			if (!strcmp(om->sx[i].x.exec_id, x->exec_id))
				break;
		if (i == om->n_sx) {
			if (grow((void **)&om->sx, &om->cap_sx, om->n_sx,
			    sizeof(*om->sx))) {
				om->collect_oom = 1;
				return 1;
			}
			memset(&om->sx[i], 0, sizeof(om->sx[i]));
			om->n_sx++;
		}
		om->sx[i].x = *x;
		return 1;
	}
	case TWS_IN_EXEC_DETAILS_END:
		if (m->u.req_id == om->exec_req)
			om->exec_end = 1;
		return 1;
	case TWS_IN_COMMISSION_REPORT:
		for (size_t i = 0; i < om->n_sx; i++)
			if (!strcmp(om->sx[i].x.exec_id,
			    m->u.commission.exec_id)) {
				om->sx[i].c = m->u.commission;
				om->sx[i].has_commission = 1;
				return 1;
			}
		return 0;
	case TWS_IN_POSITION:
		pos_upsert(om, &m->u.position);
		return 1;
	case TWS_IN_POSITION_END:
		om->pos_end = 1;
		return 1;
	default:
		return 0;
	}
}

/* --- the gateway's messages --- */

static int
apply(struct orderman *om, const struct tws_order_in *m, struct gw_err *err)
{
	struct ordbook_out out;
	int64_t now = mono(om);
	int rc = 0;

	out_of(om, &out);
	switch (m->id) {
	case TWS_IN_ORDER_STATUS:
		rc = ordbook_on_status(om->b, &m->u.status, now, &out, err);
		if (rc == 0) {
			struct jrec r;
			struct gw_err e;

			memset(&r, 0, sizeof(r));
			r.kind = JREC_STATUS;
			r.u.status.order_id = m->u.status.order_id;
			snprintf(r.u.status.status, sizeof(r.u.status.status),
			    "%s", m->u.status.status);
			snprintf(r.u.status.filled, sizeof(r.u.status.filled),
			    "%s", m->u.status.filled[0] ? m->u.status.filled :
			    "0");
			snprintf(r.u.status.remaining,
			    sizeof(r.u.status.remaining), "%s",
			    m->u.status.remaining[0] ? m->u.status.remaining :
			    "0");
			r.u.status.avg_fill_price =
			    isfinite(m->u.status.avg_fill_price) &&
			    m->u.status.avg_fill_price != TWS_UNSET_DOUBLE ?
			    m->u.status.avg_fill_price : 0;
			(void)jwrite(om, &r, &e);
		}
		break;
	case TWS_IN_OPEN_ORDER:
		rc = ordbook_on_open_order(om->b, &m->u.open_order, now, &out,
		    err);
		break;
	case TWS_IN_EXEC_DETAILS:
		om->cur_x = &m->u.exec;
		rc = ordbook_on_exec(om->b, &m->u.exec, now, &out, err);
		om->cur_x = NULL;
		break;
	case TWS_IN_COMMISSION_REPORT:
		om->cur_c = &m->u.commission;
		rc = ordbook_on_commission(om->b, &m->u.commission, now, &out,
		    err);
		om->cur_c = NULL;
		break;
	case TWS_IN_POSITION:
		pos_upsert(om, &m->u.position);
		break;
	default:
		break;
	}
	return rc < 0 ? -1 : 0;
}

int
orderman_on_message(struct orderman *om, const struct tws_order_in *m,
    struct gw_err *err)
{
	int rc = 0;

	if (m->id == TWS_IN_ACCOUNT_SUMMARY) {
		if (m->u.account_value.req_id == om->summary_req)
			summary_set(om, &m->u.account_value);
		return 0;
	}
	if (om->state == ORDERMAN_RECONCILING && recon_collect(om, m)) {
		recon_check(om);
		return 0;
	}
	if (apply(om, m, err)) {
		om->refused_msgs++;
		rc = -1;
	}
	flush(om);
	return rc;
}

void
orderman_on_error(struct orderman *om, long long id, int code,
    const char *text)
{
	struct ordbook_out out;

	if (id <= 0)
		return;
	ordbook_on_error(om->b, id, code, text ? text : "", mono(om),
	    out_of(om, &out));
	flush(om);
}

/* --- placing --- */

static int
rate_ok(struct orderman *om, int64_t now)
{
	unsigned n = om->cfg.max_orders_per_s;

	if (om->rate_n < n)
		return 1;
	return now - om->rate[om->rate_pos] >= 1000;
}

static void
rate_note(struct orderman *om, int64_t now)
{
	unsigned n = om->cfg.max_orders_per_s;

	om->rate[om->rate_pos] = now;
	om->rate_pos = (om->rate_pos + 1) % n;
	if (om->rate_n < n)
		om->rate_n++;
}

static int
place(struct orderman *om, const struct orderman_intent *in,
    const char *account, int limited, long long *order_id,
    struct gw_err *err)
{
	struct tws_order o;
	struct ordbook_new n;
	struct jrec r;
	uint8_t f[FRAME_MAX];
	char qty[TWS_ORD_QTY], day[11];
	ssize_t len;
	int64_t now = mono(om);
	struct gw_err e;

	if (order_id)
		*order_id = 0;
	if (om->broken)
		return gw_err_set(err, "journal failed: %s", om->broken_why);
	if (om->state != ORDERMAN_READY)
		return gw_err_set(err, "not reconciled (%s)",
		    orderman_state_name(om->state));
	if (!printable(in->id, 1, ORDBOOK_ID_MAX))
		return gw_err_set(err, "intent id: not 1..%d printable bytes",
		    ORDBOOK_ID_MAX);
	if (intent_has(om, in->id))
		return gw_err_set(err, "duplicate intent '%s'", in->id);
	if (!printable(in->symbol, 1, ORDBOOK_SYMBOL_MAX) ||
	    strchr(in->symbol, ' '))
		return gw_err_set(err, "intent %s: symbol: not 1..%d printable "
		    "bytes", in->id, ORDBOOK_SYMBOL_MAX);
	if (!account || !printable(account, 1, ORDBOOK_ACCOUNT_MAX))
		return gw_err_set(err, "intent %s: account: not 1..%d printable "
		    "bytes", in->id, ORDBOOK_ACCOUNT_MAX);
	if (in->side != TWS_ACTION_BUY && in->side != TWS_ACTION_SELL)
		return gw_err_set(err, "intent %s: side %d", in->id, in->side);
	if (in->type != TWS_ORDER_MKT && in->type != TWS_ORDER_LMT)
		return gw_err_set(err, "intent %s: type %d", in->id, in->type);
	if (in->type == TWS_ORDER_LMT && !(isfinite(in->lmt) && in->lmt > 0))
		return gw_err_set(err, "intent %s: limit %g is not a positive "
		    "price", in->id, in->lmt);
	if (fmt_qty(qty, sizeof(qty), in->qty))
		return gw_err_set(err, "intent %s: quantity %g is not a "
		    "positive number of shares", in->id, in->qty);
	if (limited && !rate_ok(om, now))
		return gw_err_set(err, "rate: %u orders in the last second",
		    om->cfg.max_orders_per_s);
	if (ny_day(om, day, err))
		return -1;

	if (om->next_id > INT_MAX)
		return gw_err_set(err, "intent %s: no order id left: the next "
		    "would be %lld, above 2147483647", in->id, om->next_id);
	memset(&o, 0, sizeof(o));
	o.order_id = om->next_id;
	snprintf(o.symbol, sizeof(o.symbol), "%s", in->symbol);
	snprintf(o.exchange, sizeof(o.exchange), "SMART");
	snprintf(o.currency, sizeof(o.currency), "USD");
	o.action = in->side;
	snprintf(o.total_quantity, sizeof(o.total_quantity), "%s", qty);
	o.order_type = in->type;
	o.has_lmt_price = in->type == TWS_ORDER_LMT;
	o.lmt_price = o.has_lmt_price ? in->lmt : 0;
	o.tif = TWS_TIF_DAY;
	if (ordbook_make_ref(o.order_ref, sizeof(o.order_ref), in->id))
		return gw_err_set(err, "intent %s: orderRef too long", in->id);
	snprintf(o.account, sizeof(o.account), "%s", account);
	o.transmit = 1;

	memset(&n, 0, sizeof(n));
	snprintf(n.intent_id, sizeof(n.intent_id), "%s", in->id);
	snprintf(n.ref, sizeof(n.ref), "%s", o.order_ref);
	n.order_id = o.order_id;
	snprintf(n.account, sizeof(n.account), "%s", account);
	snprintf(n.symbol, sizeof(n.symbol), "%s", in->symbol);
	n.side = in->side;
	n.qty = strtod(qty, NULL);
	n.type = in->type;
	n.lmt = o.lmt_price;
	n.tif = TWS_TIF_DAY;
	n.client_id = om->cfg.client_id;

	/* Encoding is pure: an order that cannot be encoded is refused
	 * before anything is promised in the journal. */
	if ((len = tws_enc_place_order(f, sizeof(f), om->sv, &o, err)) < 0)
		return -1;
	if (ordbook_full(om->b))
		return gw_err_set(err, "book full: %zu orders today",
		    ordbook_count(om->b));

	memset(&r, 0, sizeof(r));
	r.kind = JREC_PLACE;
	memcpy(r.u.place.day, day, sizeof(day));
	snprintf(r.u.place.intent, sizeof(r.u.place.intent), "%s", in->id);
	snprintf(r.u.place.ref, sizeof(r.u.place.ref), "%s", o.order_ref);
	r.u.place.order_id = o.order_id;
	snprintf(r.u.place.account, sizeof(r.u.place.account), "%s", account);
	snprintf(r.u.place.symbol, sizeof(r.u.place.symbol), "%s", in->symbol);
	r.u.place.side = in->side;
	snprintf(r.u.place.qty, sizeof(r.u.place.qty), "%s", qty);
	r.u.place.type = in->type;
	r.u.place.lmt = n.lmt;
	r.u.place.tif = TWS_TIF_DAY;
	r.u.place.client_id = om->cfg.client_id;
	switch (jwrite(om, &r, err)) {
	case 0:
		break;
	case 1:
		return -1;	/* refused by the codec: nothing promised */
	default:
		flush(om);	/* the failed hook */
		return -1;
	}
	/* Promised: this id and intent are used, whatever happens next. */
	om->next_id++;
	if (order_id)
		*order_id = o.order_id;
	if (intent_add(om, in->id))
		fail_later(om, "orderman: out of memory for an intent id");
	rate_note(om, now);
	if (ordbook_add(om->b, &n, now, &e)) {
		/* Not in the book, so not sent; journaled as gone. */
		memset(&r, 0, sizeof(r));
		r.kind = JREC_FINAL;
		r.u.final.order_id = o.order_id;
		r.u.final.state = JFINAL_GONE;
		snprintf(r.u.final.why, sizeof(r.u.final.why),
		    "not entered in the book: %.200s", e.msg);
		(void)jwrite(om, &r, err);
		flush(om);
		return gw_err_set(err, "intent %s: order %lld not sent: %s",
		    in->id, o.order_id, e.msg);
	}
	if (om->h.send(om->h.arg, f, (size_t)len, &e)) {
		flush(om);
		return gw_err_set(err, "order %lld (intent %s) journaled but "
		    "its send failed: %s; it stays pending for reconciliation",
		    o.order_id, in->id, e.msg);
	}
	flush(om);	/* arms the ack deadline */
	return 0;
}

int
orderman_place(struct orderman *om, const struct orderman_intent *in,
    const char *account, long long *order_id, struct gw_err *err)
{
	return place(om, in, account, 1, order_id, err);
}

int
orderman_cancel_all(struct orderman *om, const char *why, struct gw_err *err)
{
	if (om->state == ORDERMAN_OFFLINE)
		return gw_err_set(err, "cancel all: no gateway session");
	if (send0(om, tws_enc_req_global_cancel, err))
		return -1;
	snprintf(om->cancel_why, sizeof(om->cancel_why), "%s",
	    why ? why : "");
	om->cancel_wall = wall(om);
	return 0;
}

int
orderman_flatten(struct orderman *om, const char *why, unsigned *placed,
    struct gw_err *err)
{
	struct gw_err e;
	int rc = 0;
	size_t np = ordbook_position_count(om->b);
	struct ordbook_pos *pos;

	if (placed)
		*placed = 0;
	if (orderman_cancel_all(om, why, err))
		return -1;
	/* Copy first: placing changes the book's tables. */
	if (!(pos = calloc(np + 1, sizeof(*pos))))
		return gw_err_set(err, "flatten: out of memory");
	for (size_t i = 0; i < np; i++)
		if (ordbook_position_at(om->b, i, &pos[i]))
			pos[i].qty = 0;
	for (size_t i = 0; i < np; i++) {
		struct orderman_intent in;

		if (fabs(pos[i].qty) < 1e-9)
			continue;
		memset(&in, 0, sizeof(in));
		snprintf(in.id, sizeof(in.id), "flatten-%s-%lld",
		    pos[i].symbol, om->next_id);
		snprintf(in.symbol, sizeof(in.symbol), "%s", pos[i].symbol);
		in.side = pos[i].qty > 0 ? TWS_ACTION_SELL : TWS_ACTION_BUY;
		in.qty = fabs(pos[i].qty);
		in.type = TWS_ORDER_MKT;
		if (place(om, &in, om->account, 0, NULL, &e)) {
			if (rc == 0)
				gw_err_set(err, "flatten %s: %s",
				    pos[i].symbol, e.msg);
			rc = -1;
		} else if (placed) {
			(*placed)++;
		}
	}
	free(pos);
	return rc;
}

int
orderman_resume(struct orderman *om, const char *who, struct gw_err *err)
{
	struct jrec r;

	if (om->state != ORDERMAN_PROBLEM)
		return gw_err_set(err, "resume: no reconciliation problem to "
		    "accept (%s)", orderman_state_name(om->state));
	memset(&r, 0, sizeof(r));
	r.kind = JREC_RESUME;
	snprintf(r.u.resume.who, sizeof(r.u.resume.who), "%s",
	    who && *who ? who : "operator");
	if (jwrite(om, &r, err)) {
		flush(om);
		return -1;
	}
	om->state = ORDERMAN_READY;
	return 0;
}

int
orderman_closeout_due(struct orderman *om, const struct tm *ny_now)
{
	if (om->cfg.closeout_min < 0 ||
	    ny_now->tm_hour * 60 + ny_now->tm_min < om->cfg.closeout_min)
		return 0;
	if (om->close_year == ny_now->tm_year &&
	    om->close_yday == ny_now->tm_yday)
		return 0;
	om->close_year = ny_now->tm_year;
	om->close_yday = ny_now->tm_yday;
	return 1;
}

/* --- reading --- */

enum orderman_state
orderman_state(const struct orderman *om)
{
	return om->state;
}

int
orderman_recon_timed_out(const struct orderman *om)
{
	return om->state == ORDERMAN_FAILED && om->recon_timed_out;
}

int
orderman_broken(const struct orderman *om)
{
	return om->broken;
}

int
orderman_reconciled(const struct orderman *om)
{
	return om->state == ORDERMAN_READY;
}

long long
orderman_next_order_id(const struct orderman *om)
{
	return om->next_id;
}

const struct ordbook *
orderman_book(const struct orderman *om)
{
	return om->b;
}

static json_t *
rfc3339(int64_t ms)
{
	char buf[96];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm))
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(buf);
}

json_t *
orderman_status(const struct orderman *om)
{
	struct ordbook_day d;
	struct journal_stats js;
	json_t *st, *orders, *pos, *gwpos, *summ, *rec = NULL;
	struct ordbook_order o;
	struct ordbook_pos p;

	ordbook_day(om->b, &d);
	journal_get_stats(om->j, &js);
	orders = json_array();
	pos = json_array();
	gwpos = json_array();
	summ = json_array();
	for (size_t i = 0; i < ordbook_count(om->b); i++) {
		if (ordbook_order_at(om->b, i, &o) ||
		    ordbook_state_final(o.state))
			continue;
		json_array_append_new(orders, json_pack(
		    "{s:I, s:s, s:s, s:s, s:f, s:s, s:f, s:s, s:f}",
		    "order_id", (json_int_t)o.n.order_id,
		    "intent", o.n.intent_id, "symbol", o.n.symbol,
		    "side", o.n.side == TWS_ACTION_BUY ? "BUY" : "SELL",
		    "qty", o.n.qty,
		    "type", o.n.type == TWS_ORDER_LMT ? "LMT" : "MKT",
		    "lmt", o.n.type == TWS_ORDER_LMT ? o.n.lmt : 0.0,
		    "state", ordbook_state_name(o.state),
		    "filled", o.filled));
	}
	for (size_t i = 0; i < ordbook_position_count(om->b); i++)
		if (ordbook_position_at(om->b, i, &p) == 0)
			json_array_append_new(pos, json_pack(
			    "{s:s, s:f, s:f, s:f, s:f, s:b}",
			    "symbol", p.symbol, "qty", p.qty,
			    "avg_cost", p.avg_cost, "realized", p.realized,
			    "commission", p.commission,
			    "adopted", p.adopted));
	for (size_t i = 0; i < om->n_sp && om->pos_end; i++)
		json_array_append_new(gwpos, json_pack(
		    "{s:s, s:s, s:s, s:f}", "account", om->sp[i].account,
		    "symbol", om->sp[i].symbol,
		    "position", om->sp[i].position,
		    "avg_cost", om->sp[i].avg_cost));
	for (size_t i = 0; i < om->n_summary; i++)
		json_array_append_new(summ, json_pack("{s:s, s:s, s:s, s:s}",
		    "account", om->summary[i].account,
		    "tag", om->summary[i].tag,
		    "value", om->summary[i].value,
		    "currency", om->summary[i].currency));
	if (om->has_recon)
		rec = json_pack("{s:o, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		    "at", rfc3339(om->last_recon_wall),
		    "ok", om->last.ok,
		    "orders", (json_int_t)om->last.orders,
		    "open", (json_int_t)om->last.open,
		    "adopted_fills", (json_int_t)om->last.adopted_fills,
		    "filled", (json_int_t)om->last.filled,
		    "cancelled", (json_int_t)om->last.cancelled,
		    "gone", (json_int_t)om->last.gone,
		    "problems", (json_int_t)om->last.problems);
	st = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o,"
	    " s:o, s:o, s:o, s:{s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:s?},"
	    " s:s?, s:s?}",
	    "state", orderman_state_name(om->state),
	    "reconciled", om->state == ORDERMAN_READY,
	    "next_order_id", (json_int_t)om->next_id,
	    "orders", (json_int_t)d.orders,
	    "open", (json_int_t)d.open,
	    "execs", (json_int_t)d.execs,
	    "realized", d.realized,
	    "commission", d.commission,
	    "open_orders", orders,
	    "positions", pos,
	    "gateway_positions", gwpos,
	    "account_summary", summ,
	    "last_reconciliation", rec ? rec : json_null(),
	    "journal", "path", om->cfg.journal_path,
	    "appends", (json_int_t)js.appends,
	    "failures", (json_int_t)js.failures,
	    "unjournaled", (json_int_t)om->bad_records,
	    "last_sync_ms", js.last_sync_ms,
	    "max_sync_ms", js.max_sync_ms,
	    "mean_sync_ms", js.appends ? js.total_sync_ms / js.appends : 0.0,
	    "broken", om->broken ? om->broken_why : NULL,
	    "last_failure", om->last_fail[0] ? om->last_fail : NULL,
	    "last_cancel_all", om->cancel_why[0] ? om->cancel_why : NULL);
	return st;
}
