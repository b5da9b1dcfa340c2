/*
 * notifier: validate, spool, coalesce, batch and deliver events (see
 * notifier.h). Input lines and response bodies are untrusted.
 */
#include "notifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "backoff.h"
#include "clock.h"
#include "event.h"
#include "nq.h"

#define COMPONENT "notify"

enum state {
	ST_IDLE,	/* nothing due; a timer may wait for held items */
	ST_SENDING,	/* one request in flight */
	ST_PARKED,	/* webhook refused us (401/403/404): retry rarely */
};

struct pending {	/* written to the spool, not yet synced */
	uint64_t seq;
	long long t_ms;
};

struct notifier {
	struct event_base *base;
	struct spool *sp;
	struct gw_log *log;
	struct notifier_config cfg;
	struct notifier_transport tr;
	struct nq *q;
	struct event *wake;
	struct event *complete;		/* local failure: report later */
	struct discord_response local;
	char local_error[256];
	enum state state;
	int parked;
	long park_status;		/* the 401/403/404 that parked us, or 0 */
	struct discord_rl rl;
	struct backoff bo;
	double retry_at;		/* monotonic ms; 0 = no backoff wait */
	struct backoff dl_bo;		/* dead-letter file unwritable: retry */
	double dl_retry_at;		/* monotonic ms; no expiry before */
	uint64_t rng;
	struct nq_item *inflight[DISCORD_MAX_EMBEDS];
	size_t n_inflight;
	size_t solo;			/* after a 400: send this many one by one */
	struct pending *pend;
	size_t n_pend, cap_pend;
	struct notifier_stats st;
	size_t n_stuck;			/* undecodable records not dead-lettered */
	int read_failed;		/* the last spool_fill failed (logged) */
	int paused;			/* notify.paused logged, not resumed */
	double paused_at;
	double last_retry_after;	/* Discord's last retry_after (s), or -1 */
	double wake_at;			/* earliest wanted wake-up (kick), or -1 */
	void (*ack_cb)(void *, const uint64_t *, size_t, int);
	void *ack_arg;
	char last_error[320];
};

static double
rand01(struct notifier *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return (double)(n->rng >> 11) / 9007199254740992.0;
}

static void kick(struct notifier *n);

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct notifier *n = arg;

	(void)fd;
	(void)what;
	if (n->state == ST_PARKED)
		n->state = ST_IDLE;	/* a probing request with the next batch */
	kick(n);
}

static void
arm(struct notifier *n, double ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms - (double)tv.tv_sec * 1000) * 1000);
	evtimer_add(n->wake, &tv);
}

/* Ack records in the spool and tell the waiter. */
static void
ack(struct notifier *n, const uint64_t *seqs, size_t k, int delivered)
{
	struct gw_err e;
	const char *why;

	if (k == 0)
		return;
	if (spool_ack(n->sp, seqs, k, &e) < 0) {
		n->st.spool_errors++;
		gw_log_event(n->log, GW_CRITICAL, COMPONENT, "notify.spool_error", NULL,
		    "cannot record delivery in the spool (events may be sent again "
		    "after a restart): %s", e.msg);
	} else if ((why = spool_warning(n->sp)) != NULL) {	/* recorded */
		n->st.spool_errors++;
		gw_log_event(n->log, GW_CRITICAL, COMPONENT, "notify.spool_error",
		    NULL, "%s", why);
	}
	if (n->ack_cb != NULL)
		n->ack_cb(n->ack_arg, seqs, k, delivered);
}

/* One ack (one sync) for a whole delivered batch. */
static void
ack_items(struct notifier *n, struct nq_item **items, size_t k)
{
	size_t i, total = 0;
	uint64_t *all;

	for (i = 0; i < k; i++)
		total += items[i]->n_seqs;
	if ((all = malloc(total * sizeof(*all) + 1)) == NULL) {
		for (i = 0; i < k; i++)
			ack(n, items[i]->seqs, items[i]->n_seqs, 1);
		return;
	}
	for (i = total = 0; i < k; i++) {
		memcpy(all + total, items[i]->seqs, items[i]->n_seqs * sizeof(*all));
		total += items[i]->n_seqs;
	}
	ack(n, all, total, 1);
	free(all);
}

/* Wake up after ms at the latest (the earliest wish of a kick wins). */
static void
want_wake(struct notifier *n, double ms)
{
	if (ms < 0)
		ms = 0;
	if (n->wake_at < 0 || ms < n->wake_at)
		n->wake_at = ms;
}

/* Move an item's records to the dead-letter file; ack those written.
 * Returns 0 when all were (the caller frees the item), -1 when some could
 * not be written: the item then holds only those, for a later try. */
static int
dead_letter(struct notifier *n, struct nq_item *it, const char *reason)
{
	struct gw_err e;
	size_t i, done = 0, keep = 0;
	uint64_t *written;
	char last[256] = "";

	if ((written = calloc(it->n_seqs, sizeof(*written))) == NULL)
		return -1;
	for (i = 0; i < it->n_seqs; i++) {
		const struct spool_rec *r = spool_find(n->sp, it->seqs[i]);

		if (r == NULL) {	/* no longer live: nothing to keep */
			written[done++] = it->seqs[i];
			continue;
		}
		if (spool_dead_letter(n->sp, r->line, reason, &e) < 0) {
			n->st.spool_errors++;
			snprintf(last, sizeof(last), "%s", e.msg);
			it->seqs[keep++] = it->seqs[i];
			continue;
		}
		written[done++] = it->seqs[i];
	}
	if (done > 0) {
		n->st.dead_lettered += done;
		gw_log_event(n->log, GW_ERROR, COMPONENT, "notify.dead_letter",
		    json_pack("{s:s, s:s, s:i}", "event", it->ev.event, "source",
		    it->ev.source, "count", (int)done),
		    "gave up on %s from %s (%zu event%s): %s; kept in %s/dead-letter.jsonl",
		    it->ev.event, it->ev.source, done, done == 1 ? "" : "s",
		    reason, spool_dir(n->sp));
		ack(n, written, done, 0);
	}
	free(written);
	if (keep == 0)
		return 0;
	it->n_seqs = keep;
	it->count = (unsigned)keep;
	json_decref(it->embed);	/* the count changed */
	it->embed = NULL;
	{
		double d = backoff_next(&n->dl_bo);

		n->dl_retry_at = ((double)clock_mono_ns() / 1e6) + d * 1000;
		gw_log_event(n->log, GW_CRITICAL, COMPONENT, "notify.spool_error",
		    json_pack("{s:i, s:f}", "events", (int)keep, "retry_s", d),
		    "cannot write the dead-letter file (%s): %zu event%s kept in the "
		    "spool, trying again in %.0f s", last, keep, keep == 1 ? "" : "s", d);
	}
	return -1;
}

static void refill(struct notifier *n);

/* Dead-letter what is due: refused events whose dead-letter write failed
 * (tried again, never re-sent) and events older than --max-age. At most
 * a few windows per call; the rest on the next wake-up. */
static void
dead_letter_due(struct notifier *n)
{
	long long cutoff = ((long long)clock_wall_ms()) - (long long)(n->cfg.max_age_s * 1000);
	struct nq_item *it;
	char reason[400];
	size_t budget = 4 * n->cfg.window_events;
	int refused;

	if (n->dl_retry_at > ((double)clock_mono_ns() / 1e6)) {	/* the last try failed */
		want_wake(n, n->dl_retry_at - ((double)clock_mono_ns() / 1e6));
		return;
	}
	for (;;) {
		refused = 1;
		if ((it = nq_take_dead(n->q)) == NULL) {
			refused = 0;
			it = nq_take_expired(n->q, cutoff);
		}
		if (it == NULL)
			break;
		if (refused) {
			snprintf(reason, sizeof(reason), "%s", it->dl_reason);
		} else {
			snprintf(reason, sizeof(reason), "not delivered within %.0f s%s%s",
			    n->cfg.max_age_s, n->last_error[0] ? "; last error: " : "",
			    n->last_error);
		}
		if (dead_letter(n, it, reason) < 0) {
			/* kept: a refused one is never re-sent (its dl_reason),
			 * an expired one may still be delivered meanwhile */
			nq_putback(n->q, &it, 1);
			want_wake(n, n->dl_retry_at - ((double)clock_mono_ns() / 1e6));
			return;
		}
		backoff_reset(&n->dl_bo);
		nq_done(n->q, &it, 1, ((double)clock_mono_ns() / 1e6));
		if (budget-- == 0) {	/* a huge expired backlog: let others run */
			want_wake(n, 0);
			return;
		}
		refill(n);
	}
}

static void
send_batch(struct notifier *n)
{
	struct nq_item *items[DISCORD_MAX_EMBEDS];
	size_t k, i, max = n->solo ? 1 : DISCORD_MAX_EMBEDS;
	json_t *embeds, *payload;
	const char *mention = NULL;
	char *body;
	struct gw_err e;

	k = nq_take(n->q, ((double)clock_mono_ns() / 1e6), max, DISCORD_MAX_EMBED_TOTAL, items);
	if (k == 0)
		return;
	embeds = json_array();
	for (i = 0; i < k; i++) {
		json_array_append(embeds, items[i]->embed);
		if (items[i]->ev.level == GW_CRITICAL)
			mention = n->cfg.mention;
	}
	payload = discord_payload(embeds, mention);
	body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (body == NULL) {
		nq_putback(n->q, items, k);
		arm(n, 1000);	/* out of memory: try again soon */
		return;
	}
	memcpy(n->inflight, items, k * sizeof(items[0]));
	n->n_inflight = k;
	n->state = ST_SENDING;
	memset(&n->local, 0, sizeof(n->local));
	if (n->tr.post(n->tr.tctx, body, strlen(body), &e) < 0) {
		snprintf(n->local_error, sizeof(n->local_error), "%s", e.msg);
		event_active(n->complete, EV_TIMEOUT, 0);	/* no recursion */
	}
	free(body);
}

static void
on_complete(evutil_socket_t fd, short what, void *arg)
{
	struct notifier *n = arg;

	(void)fd;
	(void)what;
	notifier_response(n, &n->local, NULL, 0, n->local_error);
}

/* Read the spool forward into the queue while the window has room. A
 * record that does not decode goes to the dead-letter file. */
static void
refill(struct notifier *n)
{
	const struct spool_rec *recs;
	size_t before, k, i, n_bad;
	uint64_t *bad = NULL;
	struct gw_err e;
	double now = ((double)clock_mono_ns() / 1e6);
	int added;

	do {
		before = spool_live(n->sp, &recs);
		added = spool_fill(n->sp, n->cfg.window_events, n->cfg.window_bytes, &e);
		if (added < 0) {	/* what was read before it is queued below */
			if (!n->read_failed) {
				n->st.spool_errors++;
				gw_log_event(n->log, GW_CRITICAL, COMPONENT,
				    "notify.spool_error", NULL, "cannot read the spool "
				    "(trying again in 1 s): %s", e.msg);
			}
			n->read_failed = 1;
			want_wake(n, 1000);
		} else {
			n->read_failed = 0;
		}
		k = spool_live(n->sp, &recs);
		n_bad = 0;
		for (i = before; i < k; i++) {
			struct gw_event ev;
			struct gw_err de;
			char reason[300];

			if (gw_event_decode(recs[i].line, strlen(recs[i].line), &ev,
			    &e) == 0) {
				if (nq_add(n->q, recs[i].seq, &ev, recs[i].t_ms, now,
				    &e) < 0)
					gw_log_event(n->log, GW_CRITICAL, COMPONENT,
					    "notify.queue_error", NULL, "%s (the event "
					    "stays in the spool for the next start)", e.msg);
				gw_event_clear(&ev);
				continue;
			}
			/* An edited file, a line from an older version. */
			snprintf(reason, sizeof(reason), "unreadable spool record: %s",
			    e.msg);
			if (spool_dead_letter(n->sp, recs[i].line, reason, &de) < 0) {
				n->st.spool_errors++;
				n->n_stuck++;
				gw_log_event(n->log, GW_CRITICAL, COMPONENT,
				    "notify.spool_error", json_pack("{s:I}", "seq",
				    (json_int_t)recs[i].seq), "spool record %llu does "
				    "not decode (%s) and cannot be dead-lettered: %s; it "
				    "stays in the spool", (unsigned long long)recs[i].seq,
				    e.msg, de.msg);
				continue;
			}
			gw_log_event(n->log, GW_ERROR, COMPONENT, "notify.dead_letter",
			    json_pack("{s:I, s:s}", "seq", (json_int_t)recs[i].seq,
			    "reason", reason), "spool record %llu: %s; kept in "
			    "%s/dead-letter.jsonl", (unsigned long long)recs[i].seq,
			    reason, spool_dir(n->sp));
			if (bad == NULL && (bad = malloc((k - before) * sizeof(*bad))) == NULL)
				continue;	/* dead-lettered again next start */
			bad[n_bad++] = recs[i].seq;
		}
		n->st.dead_lettered += n_bad;
		ack(n, bad, n_bad, 0);	/* recs is invalid from here on */
		free(bad);
		bad = NULL;
	} while (added > 0 && n_bad > 0);	/* room again */
}

/* Log a long pause once, and its end. */
static void
note_pause(struct notifier *n, double now, double rl_ms, double retry_ms)
{
	double pause = rl_ms > retry_ms ? rl_ms : retry_ms;
	int rate = rl_ms >= retry_ms;
	int capped;

	if (pause <= 0 && n->paused) {
		n->paused = 0;
		gw_log_event(n->log, GW_INFO, COMPONENT, "notify.resumed",
		    json_pack("{s:f, s:i}", "paused_s", (now - n->paused_at) / 1000,
		    "queued", (int)notifier_pending(n)),
		    "delivery resumes after a pause of %.0f s",
		    (now - n->paused_at) / 1000);
		return;
	}
	if (pause < n->cfg.pause_warn_s * 1000 || n->paused)
		return;
	capped = rate && n->last_retry_after * 1000 > rl_ms + 1000;
	n->paused = 1;
	n->paused_at = now;
	gw_log_event(n->log, GW_WARNING, COMPONENT, "notify.paused",
	    json_pack("{s:f, s:s, s:f, s:b, s:i}", "wait_s", pause / 1000, "reason",
	    rate ? "rate_limit" : "retry", "retry_after_s", rate ?
	    n->last_retry_after : -1.0, "capped", capped, "queued",
	    (int)notifier_pending(n)),
	    "delivery paused for %.0f s (%s%s); %zu event%s wait", pause / 1000,
	    rate ? "Discord rate limit" : "retrying after failures",
	    capped ? ", Discord's retry_after capped" : "", notifier_pending(n),
	    notifier_pending(n) == 1 ? "" : "s");
}

/* The spool's window is full and more waits on disk behind it. */
static int
window_full(const struct notifier *n)
{
	const struct spool_rec *recs;
	size_t k = spool_live(n->sp, &recs);

	return (k >= n->cfg.window_events ||
	    spool_window_bytes(n->sp) >= n->cfg.window_bytes) &&
	    spool_count(n->sp) > k;
}

/* Decide what to do next: send now, wait for a timer, or nothing. */
static void
kick(struct notifier *n)
{
	double now, wait, due, rl, retry;

	if (n->state != ST_IDLE)
		return;
	n->wake_at = -1;
	refill(n);
	dead_letter_due(n);
	now = ((double)clock_mono_ns() / 1e6);
	due = nq_due_in(n->q, now);
	/* Repeats held for the coalescing window must not hold back the
	 * events behind them (a component repeating one error would delay a
	 * critical event of another by a window per window-full): when
	 * nothing else can go, they go now. */
	if (due != 0 && window_full(n) && nq_release_holds(n->q, now) > 0)
		due = nq_due_in(n->q, now);
	if (due >= 0) {
		rl = discord_rl_wait_ms(&n->rl, now);
		retry = n->retry_at > now ? n->retry_at - now : 0;
		note_pause(n, now, rl, retry);
		wait = rl > retry ? rl : retry;
		if (due > wait)
			wait = due;
		if (wait <= 0) {
			send_batch(n);
			if (n->state == ST_SENDING)
				return;
		} else {
			want_wake(n, wait);
		}
	}
	if (n->wake_at >= 0)
		arm(n, n->wake_at);
}

struct notifier *
notifier_new(struct event_base *base, struct spool *sp, struct gw_log *log,
    const struct notifier_config *cfg, const struct notifier_transport *tr,
    struct gw_err *err)
{
	struct notifier *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		gw_err_set(err, "notifier: out of memory");
		return NULL;
	}
	n->base = base;
	n->sp = sp;
	n->log = log;
	n->cfg = *cfg;
	if (n->cfg.window_events == 0)
		n->cfg.window_events = NOTIFIER_WINDOW_EVENTS;
	if (n->cfg.window_bytes == 0)
		n->cfg.window_bytes = NOTIFIER_WINDOW_BYTES;
	if (n->cfg.pause_warn_s <= 0)
		n->cfg.pause_warn_s = NOTIFIER_PAUSE_WARN_S;
	n->last_retry_after = -1;
	n->wake_at = -1;
	if (tr != NULL)
		n->tr = *tr;
	n->rng = (uint64_t)((long long)clock_wall_ms()) * 2654435761u ^ (uint64_t)getpid();
	if (n->rng == 0)
		n->rng = 1;
	discord_rl_init(&n->rl);
	backoff_init(&n->bo, cfg->backoff_initial_s, cfg->backoff_cap_s);
	backoff_init(&n->dl_bo, cfg->backoff_initial_s, cfg->backoff_cap_s);
	n->q = nq_new(cfg->window_s * 1000, (unsigned)cfg->window_s);
	n->wake = evtimer_new(base, on_wake, n);
	n->complete = evtimer_new(base, on_complete, n);
	if (n->q == NULL || n->wake == NULL || n->complete == NULL) {
		gw_err_set(err, "notifier: out of memory");
		notifier_free(n);
		return NULL;
	}
	/* What an earlier run accepted and did not deliver goes first: the
	 * queue reads it window by window (refill). */
	if (spool_count(sp) > 0)
		gw_log_event(log, GW_INFO, COMPONENT, "notify.spool_loaded",
		    json_pack("{s:I}", "events", (json_int_t)spool_count(sp)),
		    "%zu undelivered event%s from the spool go first",
		    spool_count(sp), spool_count(sp) == 1 ? "" : "s");
	{
		const char *why;
		size_t kept = spool_damaged_kept(sp, &why);

		if (kept > 0) {
			n->st.spool_errors++;
			gw_log_event(log, GW_CRITICAL, COMPONENT, "notify.spool_error",
			    json_pack("{s:I}", "lines", (json_int_t)kept),
			    "%zu damaged spool line%s cannot be moved to the "
			    "dead-letter file (%s); kept in the spool until the next "
			    "start", kept, kept == 1 ? "" : "s", why);
		}
		if ((why = spool_warning(sp)) != NULL) {
			n->st.spool_errors++;
			gw_log_event(log, GW_CRITICAL, COMPONENT, "notify.spool_error",
			    NULL, "%s", why);
		}
	}
	refill(n);
	return n;
}

void
notifier_free(struct notifier *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n_inflight; i++)
		nq_item_free(n->inflight[i]);
	if (n->wake != NULL)
		event_free(n->wake);
	if (n->complete != NULL)
		event_free(n->complete);
	nq_free(n->q);
	free(n->pend);
	free(n);
}

int
notifier_submit_event(struct notifier *n, const struct gw_event *ev,
    uint64_t *seq)
{
	char *line;
	struct gw_err e;
	long long t = ((long long)clock_wall_ms());
	int rc;

	if (n->n_pend == n->cap_pend) {	/* room first: no record without it */
		size_t nc = n->cap_pend ? n->cap_pend * 2 : 64;
		struct pending *p = realloc(n->pend, nc * sizeof(*p));

		if (p == NULL)
			return -1;
		n->pend = p;
		n->cap_pend = nc;
	}
	if ((line = gw_event_encode(ev)) == NULL)
		return -1;
	rc = spool_append(n->sp, line, t, seq, &e);
	free(line);
	if (rc < 0) {
		n->st.spool_errors++;
		gw_log_event(n->log, GW_CRITICAL, COMPONENT, "notify.spool_error", NULL,
		    "cannot write the spool, event not accepted: %s", e.msg);
		return -1;
	}
	n->pend[n->n_pend].seq = *seq;
	n->pend[n->n_pend].t_ms = t;
	n->n_pend++;
	return 0;
}

void
notifier_reject(struct notifier *n, const char *origin, unsigned long lineno,
    const char *reason)
{
	n->st.received++;
	n->st.rejected++;
	gw_log_event(n->log, GW_WARNING, COMPONENT, "notify.rejected",
	    json_pack("{s:s, s:I, s:s}", "origin", origin, "line",
	    (json_int_t)lineno, "reason", reason),
	    "rejected line %lu from %s: %s", lineno, origin, reason);
}

int
notifier_submit(struct notifier *n, const char *line, size_t len,
    const char *origin, unsigned long lineno, uint64_t *seq)
{
	struct gw_event ev;
	struct gw_err e;
	uint64_t dummy;
	int rc;

	if (gw_event_decode(line, len, &ev, &e) < 0) {
		notifier_reject(n, origin, lineno, e.msg);
		return -1;
	}
	n->st.received++;
	if (seq == NULL)
		seq = &dummy;
	rc = notifier_submit_event(n, &ev, seq);
	gw_event_clear(&ev);
	return rc;
}

int
notifier_commit(struct notifier *n)
{
	struct gw_err e;
	size_t i;
	int rc = 0;

	if (n->n_pend > 0 && spool_sync(n->sp, &e) < 0) {
		/* Not durable, so not accepted: drop the batch from the live set
		 * (it may reappear after a restart if the data did reach the
		 * disk: sent at least once) and tell the callers. */
		uint64_t *seqs = malloc(n->n_pend * sizeof(*seqs));

		n->st.spool_errors++;
		gw_log_event(n->log, GW_CRITICAL, COMPONENT, "notify.spool_error",
		    json_pack("{s:i}", "events", (int)n->n_pend),
		    "cannot sync the spool, %zu event%s not accepted: %s", n->n_pend,
		    n->n_pend == 1 ? "" : "s", e.msg);
		for (i = 0; seqs != NULL && i < n->n_pend; i++)
			seqs[i] = n->pend[i].seq;
		if (seqs != NULL)
			(void)spool_ack(n->sp, seqs, n->n_pend, &e);
		free(seqs);
		n->n_pend = 0;
		rc = -1;
	}
	n->st.spooled += n->n_pend;	/* read into the queue by kick */
	n->n_pend = 0;
	kick(n);
	return rc;
}

static void
retry_later(struct notifier *n, const char *why)
{
	double d = backoff_next(&n->bo);

	d = d * (0.5 + 0.5 * rand01(n));	/* jitter: half to full delay */
	n->retry_at = ((double)clock_mono_ns() / 1e6) + d * 1000;
	n->st.retried++;
	snprintf(n->last_error, sizeof(n->last_error), "%s", why);
	gw_log_event(n->log, GW_WARNING, COMPONENT, "notify.retry",
	    json_pack("{s:s, s:f, s:i}", "reason", why, "delay_s", d, "queued",
	    (int)nq_events(n->q)),
	    "delivery failed (%s); retrying in %.1f s, %zu event%s queued", why, d,
	    nq_events(n->q), nq_events(n->q) == 1 ? "" : "s");
}

void
notifier_response(struct notifier *n, const struct discord_response *r,
    const char *body, size_t len, const char *transport_error)
{
	struct nq_item **items = n->inflight;
	size_t k = n->n_inflight, i, events = 0;
	enum discord_outcome o;
	char why[300], msg[200];
	double now = ((double)clock_mono_ns() / 1e6);

	if (n->state != ST_SENDING)
		return;
	n->state = ST_IDLE;
	n->n_inflight = 0;
	for (i = 0; i < k; i++)
		events += items[i]->n_seqs;
	discord_rl_update(&n->rl, now, r);
	o = r->status == 0 ? DISCORD_TRANSIENT : discord_classify(r->status);
	msg[0] = '\0';
	if (body != NULL && o != DISCORD_DELIVERED) {
		char num[32];
		int l;

		discord_error_message(body, len, msg, sizeof(msg));
		/* Discord's generic texts repeat the status ("503: Service
		 * Unavailable"): say it once */
		l = snprintf(num, sizeof(num), "%ld:", r->status);
		if (strncmp(msg, num, (size_t)l) == 0)
			memmove(msg, msg + l + (msg[l] == ' '), strlen(msg + l +
			    (msg[l] == ' ')) + 1);
	}
	switch (o) {
	case DISCORD_DELIVERED:
		ack_items(n, items, k);
		n->st.delivered += events;
		if (n->solo > 0)
			n->solo = n->solo > k ? n->solo - k : 0;
		if (n->parked) {
			n->parked = 0;
			n->park_status = 0;
			gw_log_event(n->log, GW_INFO, COMPONENT, "notify.unparked",
			    NULL, "webhook %s accepts messages again; sending the "
			    "%zu queued event%s", n->cfg.redacted_url ?
			    n->cfg.redacted_url : "", nq_events(n->q),
			    nq_events(n->q) == 1 ? "" : "s");
		}
		backoff_reset(&n->bo);
		n->retry_at = 0;
		n->last_error[0] = '\0';
		gw_log_event(n->log, GW_DEBUG, COMPONENT, "notify.delivered",
		    json_pack("{s:i, s:i}", "embeds", (int)k, "events", (int)events),
		    "delivered %zu embed%s (%zu event%s)", k, k == 1 ? "" : "s",
		    events, events == 1 ? "" : "s");
		nq_done(n->q, items, k, now);
		break;
	case DISCORD_RATE_LIMITED:
		n->st.rate_limited++;
		n->last_retry_after = r->has_retry_after ? r->retry_after : -1;
		nq_putback(n->q, items, k);
		gw_log_event(n->log, GW_WARNING, COMPONENT, "notify.rate_limited",
		    json_pack("{s:f, s:f, s:b}", "retry_after_s",
		    r->has_retry_after ? r->retry_after : -1.0, "wait_s",
		    discord_rl_wait_ms(&n->rl, now) / 1000, "global", r->global),
		    "Discord rate limit (%s): waiting %.3f s", r->global ? "global" :
		    "webhook", discord_rl_wait_ms(&n->rl, now) / 1000);
		break;
	case DISCORD_PARK:
		nq_putback(n->q, items, k);
		if (!n->parked) {
			n->parked = 1;
			n->st.parked++;
			gw_log_event(n->log, GW_CRITICAL, COMPONENT, "notify.parked",
			    json_pack("{s:i, s:s, s:s}", "status", (int)r->status,
			    "webhook", n->cfg.redacted_url ? n->cfg.redacted_url : "",
			    "discord", msg),
			    "webhook %s refused us with HTTP %ld (%s): not sending, "
			    "keeping events spooled, retrying every %.0f s",
			    n->cfg.redacted_url ? n->cfg.redacted_url : "(none)",
			    r->status, msg[0] ? msg : "no message", n->cfg.park_retry_s);
		}
		snprintf(n->last_error, sizeof(n->last_error), "HTTP %ld %s",
		    r->status, msg);
		n->park_status = r->status;	/* the latest refusal */
		n->state = ST_PARKED;
		arm(n, n->cfg.park_retry_s * 1000);
		return;
	case DISCORD_REFUSED:
		if (k > 1) {	/* maybe one of them is too big: one at a time */
			nq_putback(n->q, items, k);
			n->solo = k;
			gw_log_event(n->log, GW_WARNING, COMPONENT, "notify.refused",
			    json_pack("{s:i, s:i, s:s}", "status", (int)r->status,
			    "embeds", (int)k, "discord", msg),
			    "Discord refused a batch of %zu (HTTP %ld: %s); sending them "
			    "one by one", k, r->status, msg[0] ? msg : "no message");
		} else {
			snprintf(why, sizeof(why), "Discord refused it: HTTP %ld %s",
			    r->status, msg[0] ? msg : "(no message)");
			if (dead_letter(n, items[0], why) < 0) {
				/* kept in the spool, never re-sent: only the
				 * dead-letter write is tried again */
				free(items[0]->dl_reason);
				items[0]->dl_reason = strdup(why);
				nq_putback(n->q, items, k);
				if (items[0]->dl_reason == NULL)	/* out of memory */
					n->retry_at = n->dl_retry_at;
				if (n->solo > 0)
					n->solo--;
				break;
			}
			backoff_reset(&n->dl_bo);
			nq_done(n->q, items, k, now);
			if (n->solo > 0)
				n->solo--;
		}
		break;
	case DISCORD_TRANSIENT:
		nq_putback(n->q, items, k);
		if (r->status == 0)
			snprintf(why, sizeof(why), "%s", transport_error ?
			    transport_error : "transport error");
		else
			snprintf(why, sizeof(why), "HTTP %ld%s%s", r->status,
			    msg[0] ? " " : "", msg);
		retry_later(n, why);
		break;
	}
	kick(n);
}

void
notifier_on_ack(struct notifier *n,
    void (*cb)(void *arg, const uint64_t *seqs, size_t k, int delivered),
    void *arg)
{
	n->ack_cb = cb;
	n->ack_arg = arg;
}

int
notifier_done(const struct notifier *n, uint64_t seq)
{
	return !spool_is_live(n->sp, seq);
}

size_t
notifier_pending(const struct notifier *n)
{
	size_t k = spool_count(n->sp);

	return k > n->n_stuck ? k - n->n_stuck : 0;
}

int
notifier_busy(const struct notifier *n)
{
	return n->state == ST_SENDING;
}

void
notifier_get_stats(const struct notifier *n, struct notifier_stats *s)
{
	*s = n->st;
}

/* Age of the oldest event still waiting, in seconds; 0 when none waits.
 * The spool's window holds the oldest live records first (it is read
 * forward, in order), each with its acceptance time. */
static double
oldest_s(const struct notifier *n)
{
	const struct spool_rec *recs;
	long long age;

	if (notifier_pending(n) == 0 || spool_live(n->sp, &recs) == 0)
		return 0;
	age = (long long)clock_wall_ms() - recs[0].t_ms;
	return age > 0 ? (double)age / 1000 : 0;	/* clock stepped back */
}

json_t *
notifier_stats_json(const struct notifier *n)
{
	json_t *j;

	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:s}",
	    "received", (json_int_t)n->st.received,
	    "rejected", (json_int_t)n->st.rejected,
	    "spooled", (json_int_t)n->st.spooled,
	    "delivered", (json_int_t)n->st.delivered,
	    "retried", (json_int_t)n->st.retried,
	    "rate_limited", (json_int_t)n->st.rate_limited,
	    "dead_lettered", (json_int_t)n->st.dead_lettered,
	    "parked", (json_int_t)n->st.parked,
	    "spool_errors", (json_int_t)n->st.spool_errors,
	    "queued", (json_int_t)notifier_pending(n),
	    "oldest_s", oldest_s(n),
	    "state", n->parked ? "parked" :
	    n->state == ST_SENDING ? "sending" : "idle");
	if (j != NULL && n->parked && n->park_status != 0)
		json_object_set_new(j, "http_status",
		    json_integer((json_int_t)n->park_status));
	return j;
}
