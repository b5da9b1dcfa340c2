/*
 * nq: discord-notify's in-memory delivery queue. Items are events waiting
 * for Discord, in acceptance order; each knows the spool records it stands
 * for. Identical (source, event, message) repeats are coalesced: a repeat
 * of a waiting item accepted less than `window` after the item's first
 * occurrence folds into it (count + 1, level raised to the highest seen);
 * a later one starts a new item. A repeat of something sent less than
 * `window` ago waits as one held item until the window ends, so a flapping
 * component gives at most one embed per window. A repeat of an item in
 * flight (taken, not yet done or put back) is held the same way: until
 * the window after that item is sent, or, if it is put back, folded into
 * it when within its window. Window 0: no coalescing. The queue holds
 * only what the caller gives it (discord-notify: the spool's window, at
 * most NOTIFIER_WINDOW_EVENTS events), so coalescing applies within that;
 * when held repeats fill that window, the caller releases them
 * (nq_release_holds) rather than let them hold back what waits behind.
 * An item marked with a dead-letter reason (its dead-letter write failed)
 * is never taken for sending again (nq_take_dead).
 * Pure logic: times are passed in (ms), nothing blocks.
 */
#ifndef GW_NQ_H
#define GW_NQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "event.h"
#include "gw_err.h"

struct nq;

struct nq_item {
	struct gw_event ev;	/* the first occurrence, with the highest
				 * level among those folded in */
	unsigned count;		/* occurrences folded in */
	uint64_t *seqs;		/* spool records this item delivers */
	size_t n_seqs, cap_seqs;
	uint64_t key;
	double not_before;	/* monotonic ms; 0 = now */
	long long accepted_ms;	/* wall clock ms of the first occurrence (the
				 * item's age for --max-age counts from it) */
	json_t *embed;		/* rendered for `count`, or NULL */
	char *dl_reason;	/* refused by Discord, dead-letter write pending:
				 * never sent again (owned) */
	int inflight;		/* taken by nq_take, not yet done/put back */
	int held_inflight;	/* a repeat of an item in flight */
	size_t chars;
	struct nq_item *next;	/* queue link (owned by nq) */
	struct nq_item *hnext;	/* key index chain (owned by nq) */
};

struct nq *nq_new(double window_ms, unsigned window_s_shown);
void nq_free(struct nq *q);

/* Queue one accepted event (copied). Returns 0, or -1 on allocation
 * failure (err says so). */
int nq_add(struct nq *q, uint64_t seq, const struct gw_event *ev,
    long long accepted_ms, double now_ms, struct gw_err *err);

/* Remove and return (in order) the next batch to send: due items (not held)
 * up to max_items embeds and max_chars embed characters. The caller owns
 * the returned items until nq_done() or nq_putback(). */
size_t nq_take(struct nq *q, double now_ms, size_t max_items, size_t max_chars,
    struct nq_item **out);
/* Put items back at the head, in order (a delivery failed). */
void nq_putback(struct nq *q, struct nq_item **items, size_t n);
/* Items delivered (or given up): remember when their keys were sent (for
 * the coalescing window) and free them. */
void nq_done(struct nq *q, struct nq_item **items, size_t n, double now_ms);
/* Remove and return the first queued item accepted before cutoff_ms (wall
 * clock), or NULL: for dead-lettering events older than the maximum age. */
struct nq_item *nq_take_expired(struct nq *q, long long cutoff_ms);
/* Remove and return the first item with a dl_reason, or NULL. */
struct nq_item *nq_take_dead(struct nq *q);

/* Make every item held for the coalescing window due now (not those
 * waiting for an item in flight or for a dead-letter write). Returns how
 * many were held. */
size_t nq_release_holds(struct nq *q, double now_ms);

size_t nq_len(const struct nq *q);	/* items */
size_t nq_events(const struct nq *q);	/* spool records behind them */
/* Milliseconds until the earliest held item is due (0 if one is due now,
 * -1 if no item can be sent: empty, or only items waiting for an item in
 * flight or for a dead-letter write). */
double nq_due_in(const struct nq *q, double now_ms);

void nq_item_free(struct nq_item *it);

#endif
