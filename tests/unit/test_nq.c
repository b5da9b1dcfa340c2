/* Unit tests for lib/nq: order, coalescing, the hold window, batching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "discord.h"
#include "nq.h"

static struct gw_event
ev_of(const char *msg)
{
	struct gw_event ev;
	struct gw_err e;

	assert_int_equal(gw_event_init(&ev, GW_WARNING, "bot-core", "gateway",
	    "gateway.flap", msg, "2026-02-10T14:15:00Z", &e), 0);
	return ev;
}

static void
add(struct nq *q, uint64_t seq, const char *msg, double now)
{
	struct gw_event ev = ev_of(msg);
	struct gw_err e;

	assert_int_equal(nq_add(q, seq, &ev, 1000 * (long long)seq, now, &e), 0);
	gw_event_clear(&ev);
}

static void
test_order_and_batches(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	char msg[16];
	size_t n, i;

	(void)state;
	for (i = 1; i <= 15; i++) {
		snprintf(msg, sizeof(msg), "m%zu", i);
		add(q, i, msg, 0);
	}
	assert_int_equal(nq_len(q), 15);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 10);
	for (i = 0; i < n; i++)
		assert_int_equal(out[i]->seqs[0], i + 1);
	nq_putback(q, out, n);	/* a failed delivery keeps the order */
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(out[0]->seqs[0], 1);
	nq_done(q, out, n, 0);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 5);
	assert_int_equal(out[0]->seqs[0], 11);
	nq_done(q, out, n, 0);
	assert_int_equal(nq_len(q), 0);
	assert_true(nq_due_in(q, 0) == -1);
	nq_free(q);
}

static void
test_coalesce_waiting(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	size_t n;

	(void)state;
	add(q, 1, "same", 0);
	add(q, 2, "other", 0);
	add(q, 3, "same", 0);
	assert_int_equal(nq_len(q), 2);
	assert_int_equal(nq_events(q), 3);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0]->count, 2);
	assert_int_equal(out[0]->n_seqs, 2);
	assert_int_equal(out[0]->seqs[1], 3);
	assert_non_null(strstr(json_string_value(json_object_get(out[0]->embed,
	    "title")), "\xc3\x97" "2"));
	nq_done(q, out, n, 0);
	nq_free(q);
}

static void
test_hold_window(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	size_t n;

	(void)state;
	add(q, 1, "flap", 1000);
	n = nq_take(q, 1000, 10, DISCORD_MAX_EMBED_TOTAL, out);
	nq_done(q, out, n, 1000);	/* sent at t=1 s */
	add(q, 2, "flap", 2000);	/* repeat inside the window: held */
	add(q, 3, "flap", 3000);
	add(q, 4, "different", 3000);	/* not held */
	assert_int_equal(nq_len(q), 2);
	n = nq_take(q, 3000, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->seqs[0], 4);
	nq_done(q, out, n, 3000);
	assert_true(nq_due_in(q, 3000) == 58000);
	assert_int_equal(nq_take(q, 60999, 10, DISCORD_MAX_EMBED_TOTAL, out), 0);
	n = nq_take(q, 61000, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->count, 2);	/* both repeats, one embed */
	nq_done(q, out, n, 61000);
	nq_free(q);
}

static void
test_char_budget(void **state)
{
	struct nq *q = nq_new(0, 0);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	char *big = malloc(4001);
	size_t n;

	(void)state;
	memset(big, 'a', 4000);
	big[4000] = '\0';
	big[0] = '1';
	add(q, 1, big, 0);
	big[0] = '2';
	add(q, 2, big, 0);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);	/* two 4000-char embeds exceed 6000 */
	nq_done(q, out, n, 0);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	nq_done(q, out, n, 0);
	free(big);
	nq_free(q);
}

static void
test_expired(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *it;

	(void)state;
	add(q, 1, "old", 0);	/* accepted at 1000 ms */
	add(q, 5, "new", 0);	/* accepted at 5000 ms */
	it = nq_take_expired(q, 2000);
	assert_non_null(it);
	assert_int_equal(it->seqs[0], 1);
	nq_item_free(it);
	assert_null(nq_take_expired(q, 2000));
	assert_int_equal(nq_len(q), 1);
	nq_free(q);
}

static void
test_fold_only_within_window(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	struct gw_event ev = ev_of("flap");
	struct gw_err e;
	size_t n;

	(void)state;
	assert_int_equal(nq_add(q, 1, &ev, 0, 0, &e), 0);
	assert_int_equal(nq_add(q, 2, &ev, 59999, 0, &e), 0);	/* folds */
	assert_int_equal(nq_add(q, 3, &ev, 60000, 0, &e), 0);	/* a new item */
	assert_int_equal(nq_add(q, 4, &ev, 61000, 0, &e), 0);	/* folds into 3 */
	assert_int_equal(nq_len(q), 2);
	assert_int_equal(nq_events(q), 4);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0]->count, 2);
	assert_int_equal(out[0]->seqs[1], 2);
	assert_int_equal(out[1]->count, 2);
	assert_int_equal(out[1]->seqs[0], 3);
	nq_done(q, out, n, 0);
	nq_free(q);
	q = nq_new(0, 0);	/* window 0: no coalescing at all */
	assert_int_equal(nq_add(q, 1, &ev, 0, 0, &e), 0);
	assert_int_equal(nq_add(q, 2, &ev, 0, 0, &e), 0);
	assert_int_equal(nq_len(q), 2);
	nq_free(q);
	gw_event_clear(&ev);
}

static void
test_fold_takes_highest_level(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	struct gw_event ev = ev_of("flap");
	struct gw_err e;
	size_t n;

	(void)state;
	assert_int_equal(nq_add(q, 1, &ev, 0, 0, &e), 0);	/* warning */
	ev.level = GW_CRITICAL;
	assert_int_equal(nq_add(q, 2, &ev, 1, 0, &e), 0);
	ev.level = GW_INFO;
	assert_int_equal(nq_add(q, 3, &ev, 2, 0, &e), 0);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->ev.level, GW_CRITICAL);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(
	    out[0]->embed, "footer"), "text")), "critical"));
	nq_done(q, out, n, 0);
	nq_free(q);
	gw_event_clear(&ev);
}

/* A repeat of an item in flight is held like a repeat of a sent one:
 * until the window after its delivery. */
static void
test_repeat_of_inflight_held(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	size_t n;

	(void)state;
	add(q, 1, "flap", 0);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	add(q, 2, "flap", 100);	/* while in flight */
	add(q, 3, "flap", 200);
	assert_int_equal(nq_len(q), 1);	/* folded into one held item */
	assert_int_equal(nq_take(q, 500, 10, DISCORD_MAX_EMBED_TOTAL, out + 1), 0);
	assert_true(nq_due_in(q, 500) < 0);
	nq_done(q, out, 1, 1000);	/* delivered at 1000 */
	assert_true(nq_due_in(q, 1000) == 60000);
	assert_int_equal(nq_take(q, 60999, 10, DISCORD_MAX_EMBED_TOTAL, out), 0);
	n = nq_take(q, 61000, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->count, 2);
	nq_done(q, out, n, 61000);
	nq_free(q);
}

/* ... and folds into it when its request fails and it is put back. */
static void
test_repeat_of_inflight_folds_on_putback(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS];
	size_t n;

	(void)state;
	add(q, 1, "flap", 0);
	add(q, 2, "other", 0);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 2);
	add(q, 3, "flap", 100);
	nq_putback(q, out, n);
	assert_int_equal(nq_len(q), 2);
	assert_int_equal(nq_events(q), 3);
	n = nq_take(q, 200, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0]->count, 2);	/* flap x2, still first */
	assert_int_equal(out[0]->n_seqs, 2);
	assert_int_equal(out[1]->seqs[0], 2);
	nq_done(q, out, n, 300);
	assert_int_equal(nq_len(q), 0);
	nq_free(q);
}

/* nq_release_holds makes repeats held for the window due at once, not
 * those waiting for an item in flight. */
static void
test_release_holds(void **state)
{
	struct nq *q = nq_new(60000, 60);
	struct nq_item *out[DISCORD_MAX_EMBEDS], *fly[DISCORD_MAX_EMBEDS];
	size_t n;

	(void)state;
	add(q, 1, "sent", 0);
	n = nq_take(q, 0, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	nq_done(q, out, n, 0);
	add(q, 2, "sent", 10);	/* held for the window */
	add(q, 3, "flying", 10);
	assert_int_equal(nq_take(q, 10, 10, DISCORD_MAX_EMBED_TOTAL, fly), 1);
	add(q, 4, "flying", 10);	/* held for the one in flight */
	assert_true(nq_due_in(q, 10) == 59990);
	assert_int_equal(nq_release_holds(q, 10), 1);
	assert_true(nq_due_in(q, 10) == 0);
	n = nq_take(q, 10, 10, DISCORD_MAX_EMBED_TOTAL, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->seqs[0], 2);
	nq_done(q, out, n, 10);
	assert_int_equal(nq_release_holds(q, 10), 0);
	assert_int_equal(nq_len(q), 1);	/* 4 waits for 3 */
	nq_done(q, fly, 1, 20);
	nq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_batches),
		cmocka_unit_test(test_coalesce_waiting),
		cmocka_unit_test(test_hold_window),
		cmocka_unit_test(test_char_budget),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_fold_only_within_window),
		cmocka_unit_test(test_fold_takes_highest_level),
		cmocka_unit_test(test_repeat_of_inflight_held),
		cmocka_unit_test(test_repeat_of_inflight_folds_on_putback),
		cmocka_unit_test(test_release_holds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
