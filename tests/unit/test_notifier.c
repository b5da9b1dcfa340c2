/* Unit tests for lib/notifier with a fake transport: delivery, 429 waits,
 * 5xx backoff, parking, splitting a refused batch, dead-lettering (and a
 * dead-letter file that cannot be written), --max-age and unreadable spool
 * records at start. Timers run on a real event base with short delays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "notifier.h"

#define MAX_POSTS 64

struct fixture {
	char dir[64];
	struct event_base *base;
	struct spool *sp;
	struct gw_log *log;
	FILE *devnull;
	struct notifier *n;
	char *posts[MAX_POSTS];	/* bodies posted, in order */
	double post_at[MAX_POSTS];	/* when each was posted (mono()) */
	size_t n_posts;
	size_t acked_ok, acked_dead;
	double window_s, pause_warn_s;	/* config for start() (0: defaults) */
	size_t window_events;
};

static double
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Allocation failures on demand (glibc; not under ASan, which has its
 * own allocator): the next realloc() of exactly fail_realloc_size bytes
 * fails. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_FAULTS 0
static size_t fail_realloc_size;
#else
#define HAVE_FAULTS 1
extern void *__libc_realloc(void *, size_t);
static size_t fail_realloc_size;

void *
realloc(void *p, size_t n)
{
	if (fail_realloc_size != 0 && n == fail_realloc_size) {
		fail_realloc_size = 0;
		return NULL;
	}
	return __libc_realloc(p, n);
}
#endif

static int
fake_post(void *tctx, const char *body, size_t len, struct gw_err *err)
{
	struct fixture *f = tctx;

	(void)err;
	assert_true(f->n_posts < MAX_POSTS);
	f->post_at[f->n_posts] = mono();
	f->posts[f->n_posts++] = strndup(body, len);
	return 0;
}

static void
on_ack(void *arg, const uint64_t *seqs, size_t k, int delivered)
{
	struct fixture *f = arg;

	(void)seqs;
	if (delivered)
		f->acked_ok += k;
	else
		f->acked_dead += k;
}

static void
start(struct fixture *f, double max_age_s)
{
	struct notifier_config nc;
	struct notifier_transport tr = { fake_post, f };
	struct gw_err e;
	size_t skipped;

	f->sp = spool_open(f->dir, &skipped, &e);
	assert_non_null(f->sp);
	memset(&nc, 0, sizeof(nc));
	nc.window_s = f->window_s;
	nc.pause_warn_s = f->pause_warn_s;
	nc.window_events = f->window_events;
	nc.max_age_s = max_age_s;
	nc.park_retry_s = 0.05;
	nc.backoff_initial_s = 0.01;
	nc.backoff_cap_s = 0.04;
	f->n = notifier_new(f->base, f->sp, f->log, &nc, &tr, &e);
	assert_non_null(f->n);
	notifier_on_ack(f->n, on_ack, f);
}

static void
stop(struct fixture *f)
{
	notifier_free(f->n);
	f->n = NULL;
	spool_close(f->sp);
	f->sp = NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwkit-test-notifier-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	f->devnull = tmpfile();	/* the log, for log_has() */
	f->log = gw_log_new("test", f->devnull, GW_DEBUG);
	assert_non_null(f->base);
	assert_non_null(f->log);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	size_t i;

	if (f->n != NULL)
		stop(f);
	for (i = 0; i < f->n_posts; i++)
		free(f->posts[i]);
	gw_log_free(f->log);
	fclose(f->devnull);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Run the loop for ms milliseconds. */
static void
run_for(struct fixture *f, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static void
on_give_up(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	event_base_loopexit(arg, NULL);
}

/* Run the loop until n requests were posted or ms pass; returns n_posts.
 * A wait's lower bound is then checked on post_at[]: a timer never fires
 * early, while a loaded machine may run it (and the test) late. */
static size_t
run_until_posts(struct fixture *f, size_t n, int ms)
{
	double end = mono() + ms / 1000.0;
	struct event *t = evtimer_new(f->base, on_give_up, f->base);

	while (f->n_posts < n && mono() < end) {
		struct timeval tv = { 0, 20000 };

		evtimer_add(t, &tv);
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	event_free(t);
	return f->n_posts;
}

/* Timers may end up to a millisecond early on the clock read here. */
#define EARLY_S 0.002

static void
submit(struct fixture *f, const char *msg)
{
	char line[512];

	snprintf(line, sizeof(line), "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":"
	    "\"warning\",\"source\":\"s\",\"component\":\"c\",\"event\":\"a.b\","
	    "\"message\":\"%s\"}", msg);
	assert_int_equal(notifier_submit(f->n, line, strlen(line), "test", 1, NULL), 0);
}

static void
respond(struct fixture *f, long status, const char *body)
{
	struct discord_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	if (status == 429 && body != NULL)
		discord_parse_429(body, strlen(body), &r);
	notifier_response(f->n, &r, body, body ? strlen(body) : 0,
	    status == 0 ? "connection refused" : NULL);
}

/* 1 if the log so far has a line containing every one of the strings. */
static int
log_has(struct fixture *f, const char *a, const char *b)
{
	char line[4096];
	int found = 0;

	fflush(f->devnull);
	rewind(f->devnull);
	while (!found && fgets(line, sizeof(line), f->devnull) != NULL)
		found = strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL);
	fseek(f->devnull, 0, SEEK_END);
	return found;
}

static size_t
embeds_in(const char *body)
{
	json_t *o = json_loads(body, 0, NULL);
	size_t k = json_array_size(json_object_get(o, "embeds"));

	json_decref(o);
	return k;
}

static size_t
dead_letters(struct fixture *f)
{
	char path[128], line[4096];
	size_t k = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", f->dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		k++;
	fclose(fp);
	return k;
}

static void
test_delivered(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;
	const struct spool_rec *recs;

	start(f, 86400);
	submit(f, "one");
	submit(f, "two");
	assert_int_equal(notifier_commit(f->n), 0);
	assert_int_equal(f->n_posts, 1);	/* both in one request */
	assert_int_equal(embeds_in(f->posts[0]), 2);
	assert_true(notifier_busy(f->n));
	respond(f, 200, "{}");
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.spooled, 2);
	assert_int_equal(f->acked_ok, 2);
	assert_int_equal(notifier_pending(f->n), 0);
	assert_int_equal(spool_live(f->sp, &recs), 0);
}

static void
test_429_waits_at_least_250ms(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;

	double t0;

	start(f, 86400);
	submit(f, "one");
	notifier_commit(f->n);
	t0 = mono();
	respond(f, 429, "{\"retry_after\":0,\"global\":false}");
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.rate_limited, 1);
	assert_int_equal(f->n_posts, 1);	/* not at once */
	assert_int_equal(run_until_posts(f, 2, 5000), 2);	/* the same batch again */
	assert_true(f->post_at[1] - t0 >= 0.25 - EARLY_S);	/* "0" is not taken literally */
	t0 = mono();
	respond(f, 429, "{\"retry_after\":0}");	/* second in a row: 500 ms */
	assert_int_equal(run_until_posts(f, 3, 5000), 3);
	assert_true(f->post_at[2] - t0 >= 0.5 - EARLY_S);
	respond(f, 200, "{}");
	assert_int_equal(f->acked_ok, 1);
}

static void
test_5xx_backoff(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;

	start(f, 86400);
	submit(f, "one");
	notifier_commit(f->n);
	respond(f, 503, "{\"message\":\"busy\"}");
	assert_int_equal(f->n_posts, 1);	/* not at once */
	run_for(f, 100);
	assert_int_equal(f->n_posts, 2);
	respond(f, 0, NULL);	/* transport error: also retried */
	run_for(f, 100);
	assert_int_equal(f->n_posts, 3);
	respond(f, 200, "{}");
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.retried, 2);
	assert_int_equal(st.delivered, 1);
}

static void
test_park(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;
	json_t *j;

	start(f, 86400);
	submit(f, "one");
	notifier_commit(f->n);
	respond(f, 404, "{\"message\":\"Unknown Webhook\",\"code\":10015}");
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.parked, 1);
	j = notifier_stats_json(f->n);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "parked");
	json_decref(j);
	submit(f, "two");	/* parked: accepted, not sent */
	notifier_commit(f->n);
	assert_int_equal(f->n_posts, 1);
	run_for(f, 150);	/* one probe after park_retry */
	assert_int_equal(f->n_posts, 2);
	assert_int_equal(embeds_in(f->posts[1]), 2);
	respond(f, 200, "{}");
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.parked, 1);
}

static void
test_400_split_and_dead_letter(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;

	start(f, 86400);
	submit(f, "a");
	submit(f, "b");
	submit(f, "c");
	notifier_commit(f->n);
	assert_int_equal(embeds_in(f->posts[0]), 3);
	respond(f, 400, "{\"message\":\"Invalid Form Body\"}");
	assert_int_equal(f->n_posts, 2);	/* one by one now */
	assert_int_equal(embeds_in(f->posts[1]), 1);
	respond(f, 400, "{\"message\":\"Invalid Form Body\"}");	/* a: refused */
	assert_int_equal(dead_letters(f), 1);
	assert_int_equal(f->acked_dead, 1);
	assert_int_equal(embeds_in(f->posts[2]), 1);
	respond(f, 200, "{}");
	assert_int_equal(embeds_in(f->posts[3]), 1);
	respond(f, 200, "{}");
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.dead_lettered, 1);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(notifier_pending(f->n), 0);
}

static void
test_dead_letter_write_fails(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;
	const struct spool_rec *recs;
	char path[128];

	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);	/* cannot be opened to write */
	start(f, 86400);
	submit(f, "a");
	notifier_commit(f->n);
	respond(f, 400, "{\"message\":\"Invalid Form Body\"}");
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.dead_lettered, 0);
	assert_true(st.spool_errors >= 1);
	assert_int_equal(f->acked_dead, 0);	/* not acked */
	assert_int_equal(notifier_pending(f->n), 1);
	assert_int_equal(spool_live(f->sp, &recs), 1);
	assert_int_equal(f->n_posts, 1);	/* not hammered */
	assert_int_equal(rmdir(path), 0);
	run_for(f, 150);	/* only the write is tried again: no re-POST */
	assert_int_equal(f->n_posts, 1);
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.dead_lettered, 1);
	assert_int_equal(f->acked_dead, 1);
	assert_int_equal(dead_letters(f), 1);
	assert_int_equal(spool_live(f->sp, &recs), 0);
}

static void
test_max_age(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;
	char path[128], line[4096];
	FILE *fp;

	start(f, 0.05);
	submit(f, "old");
	notifier_commit(f->n);
	run_for(f, 100);	/* older than --max-age when the answer comes */
	respond(f, 500, NULL);
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.dead_lettered, 1);
	assert_int_equal(notifier_pending(f->n) + (notifier_busy(f->n) ? 1 : 0), 0);
	snprintf(path, sizeof(path), "%s/dead-letter.jsonl", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_non_null(strstr(line, "\"reason\":\"not delivered within 0 s; last error: HTTP 500\""));
	assert_non_null(strstr(line, "\"message\":\"old\""));
}

static void
test_unreadable_record_at_start(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;
	const struct spool_rec *recs;
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/spool.jsonl", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"seq\":1,\"t\":1,\"ev\":{\"level\":\"loud\"}}\n", fp);
	fclose(fp);
	start(f, 86400);
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.dead_lettered, 1);
	assert_int_equal(dead_letters(f), 1);
	assert_int_equal(spool_live(f->sp, &recs), 0);
	assert_int_equal(notifier_pending(f->n), 0);
	stop(f);
	start(f, 86400);	/* acked: not dead-lettered twice */
	assert_int_equal(dead_letters(f), 1);
}

/* Repeats of an event that arrive while its embed is in flight are held
 * like repeats of a sent one: one embed per window. */
static void
test_repeat_while_in_flight(void **state)
{
	struct fixture *f = *state;

	f->window_s = 0.4;
	start(f, 86400);
	submit(f, "x");
	notifier_commit(f->n);
	assert_int_equal(f->n_posts, 1);	/* "x" in flight */
	submit(f, "x");
	submit(f, "x");
	notifier_commit(f->n);
	respond(f, 200, "{}");
	assert_int_equal(f->n_posts, 1);
	assert_int_equal(run_until_posts(f, 2, 5000), 2);	/* then once, with its count */
	/* held for the window (not sent when "x" was delivered) */
	assert_true(f->post_at[1] - f->post_at[0] >= 0.4 - EARLY_S);
	run_for(f, 100);
	assert_int_equal(f->n_posts, 2);
	assert_int_equal(embeds_in(f->posts[1]), 1);
	assert_non_null(strstr(f->posts[1], "\xc3\x97" "2"));
	respond(f, 200, "{}");
	assert_int_equal(notifier_pending(f->n), 0);
}

/* A repeat of an item in flight whose request fails folds into it. */
static void
test_repeat_in_flight_folds_on_failure(void **state)
{
	struct fixture *f = *state;

	f->window_s = 60;
	start(f, 86400);
	submit(f, "x");
	notifier_commit(f->n);
	submit(f, "x");
	notifier_commit(f->n);
	respond(f, 500, NULL);
	run_for(f, 100);	/* backoff 10..40 ms */
	assert_int_equal(f->n_posts, 2);
	assert_int_equal(embeds_in(f->posts[1]), 1);	/* one embed, counted 2 */
	assert_non_null(strstr(f->posts[1], "\xc3\x97" "2"));
	respond(f, 200, "{}");
	assert_int_equal(f->acked_ok, 2);
	assert_int_equal(notifier_pending(f->n), 0);
}

/* A long rate-limit pause is logged (notify.paused), and its end. */
static void
test_pause_logged(void **state)
{
	struct fixture *f = *state;

	f->pause_warn_s = 0.3;
	start(f, 86400);
	submit(f, "a");
	notifier_commit(f->n);
	respond(f, 429, "{\"message\":\"You are being rate limited.\","
	    "\"retry_after\":0.5,\"global\":false}");
	assert_true(log_has(f, "\"event\":\"notify.paused\"", "\"reason\":\"rate_limit\""));
	assert_true(log_has(f, "\"event\":\"notify.paused\"", "\"capped\":false"));
	assert_false(log_has(f, "notify.resumed", NULL));
	run_for(f, 800);
	assert_int_equal(f->n_posts, 2);
	assert_true(log_has(f, "\"level\":\"info\"", "\"event\":\"notify.resumed\""));
	respond(f, 200, "{}");
}

/* A short pause is not worth a warning. */
static void
test_short_pause_quiet(void **state)
{
	struct fixture *f = *state;

	start(f, 86400);
	submit(f, "a");
	notifier_commit(f->n);
	respond(f, 429, "{\"retry_after\":0.3,\"global\":false}");
	run_for(f, 500);
	assert_int_equal(f->n_posts, 2);
	assert_false(log_has(f, "notify.paused", NULL));
}

/* The stats tell how old the oldest waiting event is (0 when none waits)
 * and, while parked, the refusal's HTTP status. */
static void
test_stats_oldest_and_http_status(void **state)
{
	struct fixture *f = *state;
	struct timespec now;
	long long t_ms;
	char path[128];
	double a, b;
	json_t *j;
	FILE *fp;

	start(f, 86400);
	j = notifier_stats_json(f->n);
	assert_true(json_real_value(json_object_get(j, "oldest_s")) == 0);
	assert_null(json_object_get(j, "http_status"));
	json_decref(j);
	stop(f);
	/* one event accepted 100 s ago */
	clock_gettime(CLOCK_REALTIME, &now);
	t_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 - 100000;
	snprintf(path, sizeof(path), "%s/spool.jsonl", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "{\"seq\":1,\"t\":%lld,\"ev\":{\"ts\":"
	    "\"2026-02-10T14:15:00Z\",\"level\":\"warning\",\"source\":\"s\","
	    "\"component\":\"c\",\"event\":\"a.b\",\"message\":\"old\"}}\n",
	    t_ms);
	fclose(fp);
	start(f, 86400);
	notifier_commit(f->n);
	assert_int_equal(f->n_posts, 1);	/* in flight, held by the fake */
	j = notifier_stats_json(f->n);
	a = json_real_value(json_object_get(j, "oldest_s"));
	json_decref(j);
	assert_true(a >= 100 && a < 200);
	run_for(f, 20);
	j = notifier_stats_json(f->n);
	b = json_real_value(json_object_get(j, "oldest_s"));
	json_decref(j);
	assert_true(b >= a + 0.019);	/* it grows */
	respond(f, 401, "{\"message\":\"401: Unauthorized\",\"code\":0}");
	j = notifier_stats_json(f->n);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "parked");
	assert_int_equal(json_integer_value(json_object_get(j, "http_status")), 401);
	assert_true(json_real_value(json_object_get(j, "oldest_s")) >= b);
	json_decref(j);
	assert_int_equal(run_until_posts(f, 2, 2000), 2);	/* the probe */
	respond(f, 200, "{}");
	j = notifier_stats_json(f->n);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "idle");
	assert_null(json_object_get(j, "http_status"));
	assert_int_equal(json_integer_value(json_object_get(j, "queued")), 0);
	assert_true(json_real_value(json_object_get(j, "oldest_s")) == 0);
	json_decref(j);
}

/* Discord's generic error texts carry the status: it is said once. */
static void
test_http_status_said_once(void **state)
{
	struct fixture *f = *state;

	start(f, 86400);
	submit(f, "a");
	notifier_commit(f->n);
	respond(f, 503, "{\"message\":\"503: Service Unavailable\",\"code\":0}");
	assert_true(log_has(f, "notify.retry", "HTTP 503 Service Unavailable"));
	assert_false(log_has(f, "503 503", NULL));
}

/* The queue holds a bounded window of the spool; the rest is read
 * forward as it drains, in order. */
static void
test_window_reads_forward(void **state)
{
	struct fixture *f = *state;
	const struct spool_rec *recs;
	char msg[32], want[64];
	int i, sent = 0, p;

	f->window_events = 7;
	start(f, 86400);
	for (i = 0; i < 40; i++) {
		snprintf(msg, sizeof(msg), "m%02d", i);
		submit(f, msg);
	}
	notifier_commit(f->n);
	assert_true(spool_live(f->sp, &recs) <= 7);
	assert_int_equal(notifier_pending(f->n), 40);
	for (p = 0; p < 20 && sent < 40; p++) {
		size_t k;

		assert_int_equal((int)f->n_posts, p + 1);
		k = embeds_in(f->posts[p]);
		assert_true(k >= 1 && k <= 7);
		for (i = 0; i < (int)k; i++) {	/* in order */
			snprintf(want, sizeof(want), "\"description\":\"m%02d\"", sent + i);
			assert_non_null(strstr(f->posts[p], want));
		}
		sent += (int)k;
		assert_true(spool_live(f->sp, &recs) <= 7);
		respond(f, 200, "{}");
	}
	assert_int_equal(sent, 40);
	assert_int_equal(notifier_pending(f->n), 0);
}

/* A compaction that fails at start is logged, and the start goes on. */
static void
test_failed_compaction_at_start_logged(void **state)
{
	struct fixture *f = *state;
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/spool.jsonl", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("damaged\n{\"seq\":1,\"t\":1,\"ev\":{\"ts\":\"2026-02-10T14:15:00Z\","
	    "\"level\":\"info\",\"source\":\"s\",\"component\":\"c\","
	    "\"event\":\"a.b\",\"message\":\"kept\"}}\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/spool.jsonl.tmp", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	start(f, 1e12);	/* t 1 is old */
	assert_true(log_has(f, "notify.spool_error", "cannot compact the spool at start"));
	assert_int_equal(notifier_pending(f->n), 1);
	assert_int_equal(notifier_commit(f->n), 0);
	assert_int_equal(f->n_posts, 1);
	assert_non_null(strstr(f->posts[0], "kept"));
	rmdir(path);
}

/* Records read into the window before a read error are queued, and the
 * rest follows, in order. */
static void
test_fill_error_queues_what_was_read(void **state)
{
	struct fixture *f = *state;
	char msg[32], want[64];
	int i, sent = 0, p;

	if (!HAVE_FAULTS)
		skip();
	start(f, 86400);
	for (i = 0; i < 100; i++) {
		snprintf(msg, sizeof(msg), "m%03d", i);
		submit(f, msg);
	}
	fail_realloc_size = 128 * sizeof(struct spool_rec);	/* at the 65th */
	notifier_commit(f->n);
	assert_int_equal(fail_realloc_size, 0);
	assert_true(log_has(f, "notify.spool_error", "cannot read the spool"));
	for (p = 0; p < 20 && sent < 100; p++) {
		size_t k;

		assert_int_equal((int)f->n_posts, p + 1);
		k = embeds_in(f->posts[p]);
		for (i = 0; i < (int)k; i++) {	/* all, in order */
			snprintf(want, sizeof(want), "\"description\":\"m%03d\"", sent + i);
			assert_non_null(strstr(f->posts[p], want));
		}
		sent += (int)k;
		respond(f, 200, "{}");
	}
	assert_int_equal(sent, 100);
	assert_int_equal(notifier_pending(f->n), 0);
}

/* A compaction that fails after a delivery is one error line, not a
 * delivery that could not be recorded, and not one per ack. */
static void
test_failed_compaction_not_a_lost_ack(void **state)
{
	struct fixture *f = *state;
	struct notifier_stats st;
	char msg[32], path[128];
	int i, p;

	snprintf(path, sizeof(path), "%s/spool.jsonl.tmp", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	start(f, 86400);
	for (i = 0; i < 300; i++) {
		snprintf(msg, sizeof(msg), "m%03d", i);
		submit(f, msg);
	}
	notifier_commit(f->n);
	for (p = 0; p < 30; p++) {
		assert_int_equal((int)f->n_posts, p + 1);
		respond(f, 200, "{}");
	}
	assert_int_equal(f->acked_ok, 300);
	assert_int_equal(notifier_pending(f->n), 0);
	assert_true(log_has(f, "notify.spool_error", "cannot compact the spool"));
	assert_false(log_has(f, "cannot record delivery", NULL));
	notifier_get_stats(f->n, &st);
	assert_int_equal(st.spool_errors, 1);
	rmdir(path);
}

/* Repeats held for the coalescing window never hold back other events:
 * when they fill the queue's window with more waiting on disk, they go
 * at once. */
static void
test_held_repeats_do_not_block_the_window(void **state)
{
	struct fixture *f = *state;
	int i, p, seen = 0;

	f->window_s = 60;
	f->window_events = 5;
	start(f, 86400);
	submit(f, "X");
	notifier_commit(f->n);
	assert_int_equal(f->n_posts, 1);
	respond(f, 200, "{}");
	for (i = 0; i < 5; i++)
		submit(f, "X");
	submit(f, "Y");
	notifier_commit(f->n);
	for (p = 1; p < 5 && !seen; p++) {
		assert_int_equal((int)f->n_posts, p + 1);	/* no 60 s wait */
		seen = strstr(f->posts[p], "\"description\":\"Y\"") != NULL;
		respond(f, 200, "{}");
	}
	assert_true(seen);
	assert_non_null(strstr(f->posts[1], "5 times"));	/* X, coalesced */
	assert_int_equal(f->acked_ok, 7);
	assert_int_equal(notifier_pending(f->n), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_429_waits_at_least_250ms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_5xx_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_park, setup, teardown),
		cmocka_unit_test_setup_teardown(test_400_split_and_dead_letter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_letter_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_record_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_while_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_in_flight_folds_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_pause_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_status_said_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_oldest_and_http_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_reads_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_compaction_at_start_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_error_queues_what_was_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_compaction_not_a_lost_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_repeats_do_not_block_the_window, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
