/*
 * sim_mkt: the simulator's market data. Each symbol is a seeded random walk
 * (the same seed gives the same prices), shared by every line that streams
 * it and freed with its last line; a tick steps every walk and sends the
 * new prices to every ready session's lines. The symbol in a request is
 * untrusted: printable ASCII of 1..SIM_SYMBOL_MAX bytes, else error 200.
 * A symbol with an order keeps walking for the simulator's life and feeds
 * the paper broker its quotes (sim_ord.c), streamed or not.
 */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tws_wire.h"

#define TEXT_10167 "Requested market data is not subscribed. Displaying " \
	"delayed market data."

/* xorshift64* (Vigna): deterministic, no global state. */
static uint64_t
rng_next(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* splitmix64 finaliser: spreads a seed so nearby seeds walk differently. */
static uint64_t
mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void
sym_step(struct sym *y)
{
	uint64_t r = rng_next(&y->rng);
	long step = 1 + (long)(r % 5);		/* 0.01 .. 0.05 */

	if ((r >> 8) & 1)
		step = -step;
	if (y->cents + step < 100)		/* stay above 1.00 */
		step = -step;
	y->cents += step;
	y->bid_size = 100 * (1 + (int)((r >> 16) % 10));
	y->ask_size = 100 * (1 + (int)((r >> 24) % 10));
	y->last_size = 100 * (1 + (int)((r >> 32) % 5));
	y->volume += y->last_size;
}

static struct sym *
sym_get(struct sim *sim, const char *name)
{
	struct sym *y;
	uint64_t h;

	TAILQ_FOREACH(y, &sim->syms, link) {
		if (strcmp(y->name, name) == 0) {
			y->refs++;
			return y;
		}
	}
	y = calloc(1, sizeof(*y));
	if (y == NULL)
		return NULL;
	snprintf(y->name, sizeof(y->name), "%s", name);
	h = fnv1a(name);
	y->rng = mix64(sim->cfg.seed ^ h);
	if (y->rng == 0)
		y->rng = 0x9E3779B97F4A7C15ULL;
	y->cents = (long)(100 + h % 400) * 100 + (long)((h >> 32) % 100);
	y->volume = 1000 * (long long)(1 + (h >> 40) % 1000);
	y->refs = 1;
	sym_step(y);
	TAILQ_INSERT_TAIL(&sim->syms, y, link);
	return y;
}

static void
sym_put(struct sim *sim, struct sym *y)
{
	if (y == NULL || --y->refs > 0)
		return;
	TAILQ_REMOVE(&sim->syms, y, link);
	free(y);
}

void
sim_mkt_bid_ask(const struct sym *y, double *bid, double *ask)
{
	*bid = (double)(y->cents - 1) / 100.0;
	*ask = (double)(y->cents + 1) / 100.0;
}

struct sym *
sim_mkt_order_sym(struct sim *sim, const char *name, int *is_new)
{
	struct sym *y;

	*is_new = 0;
	TAILQ_FOREACH(y, &sim->syms, link)
		if (strcmp(y->name, name) == 0 && y->ordered)
			return y;
	if ((y = sym_get(sim, name)) == NULL)
		return NULL;
	y->ordered = 1;		/* keeps the reference sym_get took */
	*is_new = 1;
	return y;
}

void
sim_mkt_release_orders(struct sim *sim)
{
	struct sym *y, *next;

	for (y = TAILQ_FIRST(&sim->syms); y != NULL; y = next) {
		next = TAILQ_NEXT(y, link);
		if (y->ordered) {
			y->ordered = 0;
			sym_put(sim, y);
		}
	}
}

static void
send_ticks(struct sess *s, const struct sub *u)
{
	const struct sym *y = u->sym;
	int delayed = u->type == 3 || u->type == 4;
	uint8_t buf[SIM_MSG_CAP];
	char bs[24], as[24], ls[24], vs[24];
	struct gw_err e;
	ssize_t n;

	snprintf(bs, sizeof(bs), "%d", y->bid_size);
	snprintf(as, sizeof(as), "%d", y->ask_size);
	snprintf(ls, sizeof(ls), "%d", y->last_size);
	snprintf(vs, sizeof(vs), "%lld", y->volume);
	n = tws_enc_tick_price(buf, sizeof(buf), u->req_id, delayed ? 66 : 1,
	    (double)(y->cents - 1) / 100.0, bs, 0, &e);
	sim_sess_sent(s, n, buf, &e);
	n = tws_enc_tick_price(buf, sizeof(buf), u->req_id, delayed ? 67 : 2,
	    (double)(y->cents + 1) / 100.0, as, 0, &e);
	sim_sess_sent(s, n, buf, &e);
	n = tws_enc_tick_price(buf, sizeof(buf), u->req_id, delayed ? 68 : 4,
	    (double)y->cents / 100.0, ls, 0, &e);
	sim_sess_sent(s, n, buf, &e);
	n = tws_enc_tick_size(buf, sizeof(buf), u->req_id, delayed ? 74 : 8, vs,
	    &e);
	sim_sess_sent(s, n, buf, &e);
}

void
sim_mkt_drop(struct sess *s)
{
	size_t i;

	for (i = 0; i < s->n_subs; i++)
		sym_put(s->sim, s->subs[i].sym);
	s->n_subs = 0;
}

static struct sub *
find_sub(struct sess *s, long long req_id)
{
	size_t i;

	for (i = 0; i < s->n_subs; i++)
		if (s->subs[i].req_id == req_id)
			return &s->subs[i];
	return NULL;
}

void
sim_mkt_request(struct sess *s, const struct tws_out_msg *m)
{
	struct sim *sim = s->sim;
	long long req_id = m->u.req_mkt_data.req_id;
	const struct tws_field *symf = &m->u.req_mkt_data.symbol;
	uint8_t buf[SIM_MSG_CAP];
	struct gw_err e;
	struct sub *u;
	size_t i;
	ssize_t n;

	if (find_sub(s, req_id) != NULL) {
		sim_sess_send_error(s, req_id, 322, "Error processing request. "
		    "Duplicate ticker id");
		return;
	}
	if (s->n_subs == SIM_MAX_SUBSCRIPTIONS) {
		json_t *f = sim_sess_fields(s);

		json_object_set_new(f, "req_id", json_integer(req_id));
		gw_log_event(sim->log, GW_ERROR, COMPONENT, "sim.subscription_limit",
		    f, "connection %llu: more than %d market-data lines refused",
		    s->no, SIM_MAX_SUBSCRIPTIONS);
		sim_sess_send_error(s, req_id, 101, "Max number of tickers has been "
		    "reached.");
		return;
	}
	for (i = 0; i < symf->len; i++)
		if (symf->p[i] < 0x21 || symf->p[i] > 0x7e)
			break;
	if (symf->len == 0 || symf->len > SIM_SYMBOL_MAX || i < symf->len) {
		sim_sess_send_error(s, req_id, 200, "No security definition has "
		    "been found for the request");
		return;
	}
	u = &s->subs[s->n_subs];
	u->sym = sym_get(sim, symf->p);
	if (u->sym == NULL) {
		sim_sess_send_error(s, req_id, 200, "No security definition has "
		    "been found for the request");
		return;
	}
	u->req_id = req_id;
	u->type = s->mkt_data_type;
	s->n_subs++;
	if (u->type != 1)
		sim_sess_send_error(s, req_id, 10167, TEXT_10167);
	n = tws_enc_tick_req_params(buf, sizeof(buf), req_id, 0.01, "9c0001", 3,
	    &e);
	sim_sess_sent(s, n, buf, &e);
	n = tws_enc_market_data_type(buf, sizeof(buf), req_id, u->type, &e);
	sim_sess_sent(s, n, buf, &e);
	if (!sim->upstream_lost)
		send_ticks(s, u);
}

void
sim_mkt_cancel(struct sess *s, long long req_id)
{
	struct sub *u = find_sub(s, req_id);
	size_t i;

	if (u == NULL)
		return;		/* TWS ignores an unknown id too */
	sym_put(s->sim, u->sym);
	i = (size_t)(u - s->subs);
	memmove(&s->subs[i], &s->subs[i + 1],
	    (s->n_subs - i - 1) * sizeof(s->subs[0]));
	s->n_subs--;
}

void
sim_mkt_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;
	struct sym *y;
	struct sess *s;
	size_t i;

	(void)fd;
	(void)what;
	/* No data while upstream is lost or the gateway is wedged. */
	if (sim->upstream_lost || sim->cfg.fault == SIM_FAULT_WEDGED)
		return;
	TAILQ_FOREACH(y, &sim->syms, link)
		sym_step(y);
	TAILQ_FOREACH(s, &sim->sessions, link)
		for (i = 0; !s->dead && s->state == SESS_READY && i < s->n_subs; i++)
			send_ticks(s, &s->subs[i]);
	/* then the paper broker's quotes: a fill follows the tick it took */
	TAILQ_FOREACH(y, &sim->syms, link)
		if (y->ordered)
			sim_ord_quote(sim, y);
}
