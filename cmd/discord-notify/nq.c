/* nq: delivery queue with coalescing and batching. Trusted input (events
 * already validated by gw_event_decode). */
#include "nq.h"

#include <stdlib.h>
#include <string.h>

#include "discord.h"

#define SENT_MAX 4096	/* keys remembered for the coalescing window */
#define BUCKETS 4096	/* key index of queued items (a power of two) */

struct sent {
	uint64_t key;
	double at;
};

struct nq {
	struct nq_item *head, *tail;
	size_t n, events;
	double window_ms;
	unsigned window_s;
	struct sent *sent;
	size_t n_sent;
	struct nq_item *index[BUCKETS];
	struct nq_item **inflight;	/* taken, not done or put back */
	size_t n_inflight, cap_inflight;
};

static void
index_add(struct nq *q, struct nq_item *it)
{
	struct nq_item **b = &q->index[it->key & (BUCKETS - 1)];

	it->hnext = *b;
	*b = it;
}

static void
index_del(struct nq *q, struct nq_item *it)
{
	struct nq_item **p = &q->index[it->key & (BUCKETS - 1)];

	for (; *p != NULL; p = &(*p)->hnext) {
		if (*p == it) {
			*p = it->hnext;
			it->hnext = NULL;
			return;
		}
	}
}

/* FNV-1a over the three strings, with separators. */
static uint64_t
key_of(const struct gw_event *ev)
{
	const char *parts[3] = { ev->source, ev->event, ev->message };
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	const char *p;

	for (i = 0; i < 3; i++) {
		for (p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
		h ^= 0xff;
		h *= 1099511628211ULL;
	}
	return h;
}

static int
same(const struct gw_event *a, const struct gw_event *b)
{
	return strcmp(a->source, b->source) == 0 && strcmp(a->event, b->event) == 0 &&
	    strcmp(a->message, b->message) == 0;
}

struct nq *
nq_new(double window_ms, unsigned window_s_shown)
{
	struct nq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->window_ms = window_ms;
	q->window_s = window_s_shown;
	q->sent = calloc(SENT_MAX, sizeof(*q->sent));
	if (q->sent == NULL) {
		free(q);
		return NULL;
	}
	return q;
}

void
nq_item_free(struct nq_item *it)
{
	if (it == NULL)
		return;
	gw_event_clear(&it->ev);
	json_decref(it->embed);
	free(it->dl_reason);
	free(it->seqs);
	free(it);
}

void
nq_free(struct nq *q)
{
	struct nq_item *it, *next;

	if (q == NULL)
		return;
	for (it = q->head; it; it = next) {
		next = it->next;
		nq_item_free(it);
	}
	free(q->sent);
	free(q->inflight);
	free(q);
}

static int
add_seq(struct nq_item *it, uint64_t seq)
{
	if (it->n_seqs == it->cap_seqs) {
		size_t nc = it->cap_seqs ? it->cap_seqs * 2 : 4;
		uint64_t *s = realloc(it->seqs, nc * sizeof(*s));

		if (s == NULL)
			return -1;
		it->seqs = s;
		it->cap_seqs = nc;
	}
	it->seqs[it->n_seqs++] = seq;
	return 0;
}

static double
last_sent(const struct nq *q, uint64_t key, double now_ms)
{
	size_t i;

	for (i = 0; i < q->n_sent; i++)
		if (q->sent[i].key == key && now_ms - q->sent[i].at < q->window_ms)
			return q->sent[i].at;
	return -1;
}

static struct nq_item *
inflight_same(const struct nq *q, const struct gw_event *ev)
{
	size_t i;

	for (i = 0; i < q->n_inflight; i++)
		if (same(&q->inflight[i]->ev, ev))
			return q->inflight[i];
	return NULL;
}

static void
inflight_del(struct nq *q, struct nq_item *it)
{
	size_t i;

	if (!it->inflight)
		return;
	it->inflight = 0;
	for (i = 0; i < q->n_inflight; i++) {
		if (q->inflight[i] == it) {
			q->inflight[i] = q->inflight[--q->n_inflight];
			return;
		}
	}
}

int
nq_add(struct nq *q, uint64_t seq, const struct gw_event *ev,
    long long accepted_ms, double now_ms, struct gw_err *err)
{
	uint64_t key = key_of(ev);
	struct nq_item *it;
	double sent;

	for (it = q->index[key & (BUCKETS - 1)]; it != NULL; it = it->hnext) {
		/* fold only within the window of the item's first occurrence
		 * (a clock stepping back starts a new item too) */
		if (it->key == key && same(&it->ev, ev) &&
		    accepted_ms >= it->accepted_ms &&
		    (double)(accepted_ms - it->accepted_ms) < q->window_ms) {
			if (add_seq(it, seq) < 0)
				return gw_err_set(err, "queue: out of memory");
			it->count++;
			if (ev->level > it->ev.level)	/* shown at the highest */
				it->ev.level = ev->level;
			json_decref(it->embed);	/* the count changed */
			it->embed = NULL;
			q->events++;
			return 0;
		}
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return gw_err_set(err, "queue: out of memory");
	if (gw_event_copy(&it->ev, ev, err) < 0 || add_seq(it, seq) < 0) {
		nq_item_free(it);
		return gw_err_set(err, "queue: out of memory");
	}
	it->count = 1;
	it->key = key;
	it->accepted_ms = accepted_ms;
	sent = last_sent(q, key, now_ms);
	it->not_before = sent >= 0 ? sent + q->window_ms : 0;
	if (q->window_ms > 0 && inflight_same(q, ev) != NULL)
		it->held_inflight = 1;	/* until that one is done */
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	index_add(q, it);
	q->n++;
	q->events++;
	return 0;
}

static void
unlink_item(struct nq *q, struct nq_item *prev, struct nq_item *it)
{
	if (prev)
		prev->next = it->next;
	else
		q->head = it->next;
	if (q->tail == it)
		q->tail = prev;
	it->next = NULL;
	index_del(q, it);
	q->n--;
	q->events -= it->n_seqs;
}

size_t
nq_take(struct nq *q, double now_ms, size_t max_items, size_t max_chars,
    struct nq_item **out)
{
	struct nq_item *it = q->head, *prev = NULL, *next;
	size_t n = 0, chars = 0;

	while (it != NULL && n < max_items) {
		next = it->next;
		if (it->not_before > now_ms || it->held_inflight ||
		    it->dl_reason != NULL) {	/* held: skip, keep its place */
			prev = it;
			it = next;
			continue;
		}
		if (it->embed == NULL) {
			it->embed = discord_embed(&it->ev, it->count, q->window_s);
			if (it->embed == NULL)
				break;	/* out of memory: try later */
			it->chars = discord_embed_chars(it->embed);
		}
		if (n > 0 && chars + it->chars > max_chars)
			break;
		if (q->n_inflight == q->cap_inflight) {
			size_t nc = q->cap_inflight ? q->cap_inflight * 2 : 16;
			struct nq_item **a = realloc(q->inflight, nc * sizeof(*a));

			if (a == NULL)
				break;	/* out of memory: try later */
			q->inflight = a;
			q->cap_inflight = nc;
		}
		chars += it->chars;
		unlink_item(q, prev, it);
		it->inflight = 1;
		q->inflight[q->n_inflight++] = it;
		out[n++] = it;
		it = next;
	}
	return n;
}

/* Room for k more seqs. */
static int
reserve_seqs(struct nq_item *it, size_t k)
{
	size_t nc = it->cap_seqs ? it->cap_seqs : 4;
	uint64_t *s;

	if (it->n_seqs + k <= it->cap_seqs)
		return 0;
	while (nc < it->n_seqs + k)
		nc *= 2;
	if ((s = realloc(it->seqs, nc * sizeof(*s))) == NULL)
		return -1;
	it->seqs = s;
	it->cap_seqs = nc;
	return 0;
}

/* Fold src's records into dst (same key, room reserved); src is freed. */
static void
fold(struct nq_item *dst, struct nq_item *src)
{
	memcpy(dst->seqs + dst->n_seqs, src->seqs, src->n_seqs * sizeof(src->seqs[0]));
	dst->n_seqs += src->n_seqs;
	dst->count += src->count;
	if (src->ev.level > dst->ev.level)
		dst->ev.level = src->ev.level;
	json_decref(dst->embed);
	dst->embed = NULL;
	nq_item_free(src);
}

/* The item of this key in flight is over: repeats held for it wait for
 * the window after its send (sent_at >= 0), or fold into it (it was put
 * back: sent_at < 0) when within its window, else go when due. */
static void
release_held(struct nq *q, struct nq_item *done, double sent_at, double now_ms)
{
	struct nq_item *it, *prev = NULL, *next;

	for (it = q->head; it != NULL; it = next) {
		next = it->next;
		if (!it->held_inflight || it->key != done->key ||
		    !same(&it->ev, &done->ev)) {
			prev = it;
			continue;
		}
		it->held_inflight = 0;
		if (sent_at >= 0) {
			it->not_before = sent_at + q->window_ms;
		} else if (it != done && it->accepted_ms >= done->accepted_ms &&
		    (double)(it->accepted_ms - done->accepted_ms) < q->window_ms &&
		    reserve_seqs(done, it->n_seqs) == 0) {
			size_t ev = it->n_seqs;

			unlink_item(q, prev, it);
			fold(done, it);
			q->events += ev;	/* now counted in done */
			continue;
		} else {
			double s = last_sent(q, it->key, now_ms);

			it->not_before = s >= 0 ? s + q->window_ms : 0;
		}
		prev = it;
	}
}

void
nq_putback(struct nq *q, struct nq_item **items, size_t n)
{
	size_t i = n;

	while (i-- > 0) {
		struct nq_item *it = items[i];

		inflight_del(q, it);
		it->next = q->head;
		q->head = it;
		if (q->tail == NULL)
			q->tail = it;
		index_add(q, it);
		q->n++;
		q->events += it->n_seqs;
	}
	for (i = 0; i < n; i++)
		if (q->window_ms > 0 && inflight_same(q, &items[i]->ev) == NULL)
			release_held(q, items[i], -1, 0);
}

static void
remember(struct nq *q, uint64_t key, double now_ms)
{
	size_t i, keep = 0;

	for (i = 0; i < q->n_sent; i++)	/* forget expired keys and this one */
		if (now_ms - q->sent[i].at < q->window_ms && q->sent[i].key != key)
			q->sent[keep++] = q->sent[i];
	q->n_sent = keep;
	if (q->n_sent == SENT_MAX) {	/* full of live keys: drop the oldest */
		memmove(&q->sent[0], &q->sent[1], (SENT_MAX - 1) * sizeof(q->sent[0]));
		q->n_sent--;
	}
	q->sent[q->n_sent].key = key;
	q->sent[q->n_sent].at = now_ms;
	q->n_sent++;
}

void
nq_done(struct nq *q, struct nq_item **items, size_t n, double now_ms)
{
	size_t i;

	for (i = 0; i < n; i++) {
		inflight_del(q, items[i]);
		if (q->window_ms > 0) {
			remember(q, items[i]->key, now_ms);
			if (inflight_same(q, &items[i]->ev) == NULL)
				release_held(q, items[i], now_ms, now_ms);
		}
		nq_item_free(items[i]);
	}
}

struct nq_item *
nq_take_expired(struct nq *q, long long cutoff_ms)
{
	struct nq_item *it, *prev = NULL;

	for (it = q->head; it != NULL; prev = it, it = it->next) {
		if (it->accepted_ms < cutoff_ms) {
			unlink_item(q, prev, it);
			return it;
		}
	}
	return NULL;
}

struct nq_item *
nq_take_dead(struct nq *q)
{
	struct nq_item *it, *prev = NULL;

	for (it = q->head; it != NULL; prev = it, it = it->next) {
		if (it->dl_reason != NULL) {
			unlink_item(q, prev, it);
			return it;
		}
	}
	return NULL;
}

size_t
nq_release_holds(struct nq *q, double now_ms)
{
	struct nq_item *it;
	size_t k = 0;

	for (it = q->head; it != NULL; it = it->next) {
		if (it->held_inflight || it->dl_reason != NULL ||
		    it->not_before <= now_ms)
			continue;
		it->not_before = 0;
		k++;
	}
	return k;
}

size_t
nq_len(const struct nq *q)
{
	return q->n;
}

size_t
nq_events(const struct nq *q)
{
	return q->events;
}

double
nq_due_in(const struct nq *q, double now_ms)
{
	const struct nq_item *it;
	double best = -1;

	for (it = q->head; it != NULL; it = it->next) {
		double d = it->not_before > now_ms ? it->not_before - now_ms : 0;

		if (it->held_inflight || it->dl_reason != NULL)
			continue;
		if (best < 0 || d < best)
			best = d;
		if (best == 0)
			break;
	}
	return best;
}
