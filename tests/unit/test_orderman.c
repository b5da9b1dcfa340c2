/*
 * Unit tests for bot-core's orderman: a real event base, a real journal in
 * a temporary directory, a fake send hook that records every frame (and,
 * for a placeOrder, checks that its place record is already in the
 * journal file), and the gateway's answers fed as tws_order_in structs.
 * Frames are decoded back with tws_wire_decode_frame + tws_order_decode_req.
 * Every wait on a timer is a loop with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <event2/event.h>

#include "clock.h"
#include "journal.h"
#include "orderman.h"
#include "tws_order.h"
#include "tws_wire.h"

#define SV 176
#define ACCT "DU1234567"
#define MAX_FRAMES 64
#define MAX_CH 64
/* 2026-12-07 15:00:00 UTC, a Monday, 10:00 in New York */
#define WALL0 1796655600000LL

struct fx {
	struct event_base *base;
	char dir[64], path[128];
	struct orderman_config cfg;
	struct orderman_hooks hooks;
	struct orderman *om;
	struct orderman_open_info info;
	int64_t mono_off, wall;
	/* what the hooks saw */
	struct tws_order_req req[MAX_FRAMES];
	int n_req;
	int send_fail;
	int place_journaled;		/* place records found at send time */
	int place_not_journaled;
	struct ordbook_change ch[MAX_CH];
	int n_ch;
	int n_recon;
	struct ordbook_recon recon;
	int n_failed;
	char failed[512];
};

/* --- hooks --- */

static int64_t
fx_mono(void *arg)
{
	struct fx *fx = arg;

	return clock_mono_ms() + fx->mono_off;
}

static int64_t
fx_wall(void *arg)
{
	struct fx *fx = arg;

	return fx->wall;
}

/* Whether the journal file holds a place record for order_id. */
static int
journal_has(struct fx *fx, enum jrec_kind kind, long long order_id)
{
	FILE *f = fopen(fx->path, "r");
	char line[JOURNAL_LINE_MAX + 1];
	struct jrec r;
	struct gw_err e;
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");

		if (journal_decode_line(line, len, &r, &e))
			continue;
		if (r.kind != kind)
			continue;
		if (order_id < 0 ||
		    (kind == JREC_PLACE && r.u.place.order_id == order_id) ||
		    (kind == JREC_FINAL && r.u.final.order_id == order_id) ||
		    (kind == JREC_FILL && r.u.fill.order_id == order_id) ||
		    (kind == JREC_STATUS && r.u.status.order_id == order_id))
			n++;
	}
	fclose(f);
	return n;
}

/* The client id the journal's place record of order_id keeps; -2: none. */
static int
place_client(struct fx *fx, long long order_id)
{
	FILE *f = fopen(fx->path, "r");
	char line[JOURNAL_LINE_MAX + 1];
	struct jrec r;
	struct gw_err e;
	int client = -2;

	if (!f)
		return client;
	while (fgets(line, sizeof(line), f))
		if (!journal_decode_line(line, strcspn(line, "\n"), &r, &e) &&
		    r.kind == JREC_PLACE && r.u.place.order_id == order_id)
			client = r.u.place.client_id;
	fclose(f);
	return client;
}

static int
fx_send(void *arg, const uint8_t *frame, size_t len, struct gw_err *err)
{
	struct fx *fx = arg;
	struct tws_fields f;
	struct gw_err e;

	assert_true(fx->n_req < MAX_FRAMES);
	assert_int_equal(tws_wire_decode_frame(frame, len, &f, &e),
	    (ssize_t)len);
	assert_int_equal(tws_order_decode_req(&f, SV, &fx->req[fx->n_req], &e),
	    0);
	if (fx->req[fx->n_req].id == TWS_OUT_PLACE_ORDER) {
		if (journal_has(fx, JREC_PLACE,
		    fx->req[fx->n_req].u.place.order_id))
			fx->place_journaled++;
		else
			fx->place_not_journaled++;
	}
	fx->n_req++;
	if (fx->send_fail)
		return gw_err_set(err, "connection reset");
	return 0;
}

static void
fx_change(void *arg, const struct ordbook_change *c)
{
	struct fx *fx = arg;

	assert_true(fx->n_ch < MAX_CH);
	fx->ch[fx->n_ch++] = *c;
}

static void
fx_reconciled(void *arg, const struct ordbook_recon *r)
{
	struct fx *fx = arg;

	fx->n_recon++;
	fx->recon = *r;
}

static void
fx_failed(void *arg, const char *why)
{
	struct fx *fx = arg;

	fx->n_failed++;
	snprintf(fx->failed, sizeof(fx->failed), "%s", why);
}

/* --- fixture --- */

static void
fx_open(struct fx *fx)
{
	struct gw_err e;

	fx->om = orderman_new(fx->base, &fx->cfg, &fx->hooks, &fx->info, &e);
	if (!fx->om)
		fail_msg("orderman_new: %s", e.msg);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_orderman.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/journal.jsonl", fx->dir);
	fx->base = event_base_new();
	assert_non_null(fx->base);
	orderman_config_init(&fx->cfg);
	fx->cfg.client_id = 0;
	snprintf(fx->cfg.journal_path, sizeof(fx->cfg.journal_path), "%s",
	    fx->path);
	fx->hooks.send = fx_send;
	fx->hooks.change = fx_change;
	fx->hooks.reconciled = fx_reconciled;
	fx->hooks.failed = fx_failed;
	fx->hooks.mono_ms = fx_mono;
	fx->hooks.wall_ms = fx_wall;
	fx->hooks.arg = fx;
	fx->wall = WALL0;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	orderman_free(fx->om);
	event_base_free(fx->base);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Simulate a crash or a restart: the same journal, a new orderman. */
static void
fx_reopen(struct fx *fx)
{
	orderman_free(fx->om);
	fx->om = NULL;
	fx->n_req = fx->n_ch = fx->n_recon = fx->n_failed = 0;
	fx_open(fx);
}

/* Run the loop until *flag is non-zero, at most ms. */
static void
run_until(struct fx *fx, const int *flag, int ms)
{
	int64_t deadline = clock_mono_ms() + ms;

	while (!*flag && clock_mono_ms() < deadline)
		event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_true(*flag);
}

/* --- the gateway's answers --- */

static void
feed(struct fx *fx, const struct tws_order_in *m)
{
	struct gw_err e;

	if (orderman_on_message(fx->om, m, &e))
		fail_msg("on_message %d: %s", m->id, e.msg);
}

static void
feed_end(struct fx *fx, int id, long long req_id)
{
	struct tws_order_in m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.u.req_id = req_id;
	feed(fx, &m);
}

static void
feed_exec(struct fx *fx, long long req_id, long long order_id,
    const char *ref, const char *exec_id, const char *side,
    const char *shares, double price)
{
	struct tws_order_in m;

	memset(&m, 0, sizeof(m));
	m.id = TWS_IN_EXEC_DETAILS;
	m.u.exec.req_id = req_id;
	m.u.exec.order_id = order_id;
	snprintf(m.u.exec.symbol, sizeof(m.u.exec.symbol), "AAPL");
	snprintf(m.u.exec.sec_type, sizeof(m.u.exec.sec_type), "STK");
	snprintf(m.u.exec.currency, sizeof(m.u.exec.currency), "USD");
	snprintf(m.u.exec.exec_id, sizeof(m.u.exec.exec_id), "%s", exec_id);
	snprintf(m.u.exec.time, sizeof(m.u.exec.time), "20261207  10:01:02");
	snprintf(m.u.exec.account, sizeof(m.u.exec.account), ACCT);
	snprintf(m.u.exec.side, sizeof(m.u.exec.side), "%s", side);
	snprintf(m.u.exec.shares, sizeof(m.u.exec.shares), "%s", shares);
	snprintf(m.u.exec.cum_qty, sizeof(m.u.exec.cum_qty), "%s", shares);
	m.u.exec.price = price;
	m.u.exec.avg_price = price;
	snprintf(m.u.exec.order_ref, sizeof(m.u.exec.order_ref), "%s", ref);
	feed(fx, &m);
}

static void
feed_status(struct fx *fx, long long order_id, const char *status,
    const char *filled, const char *remaining)
{
	struct tws_order_in m;

	memset(&m, 0, sizeof(m));
	m.id = TWS_IN_ORDER_STATUS;
	m.u.status.order_id = order_id;
	snprintf(m.u.status.status, sizeof(m.u.status.status), "%s", status);
	snprintf(m.u.status.filled, sizeof(m.u.status.filled), "%s", filled);
	snprintf(m.u.status.remaining, sizeof(m.u.status.remaining), "%s",
	    remaining);
	feed(fx, &m);
}

static void
feed_position(struct fx *fx, const char *symbol, const char *qty)
{
	struct tws_order_in m;

	memset(&m, 0, sizeof(m));
	m.id = TWS_IN_POSITION;
	snprintf(m.u.position.account, sizeof(m.u.position.account), ACCT);
	snprintf(m.u.position.symbol, sizeof(m.u.position.symbol), "%s",
	    symbol);
	snprintf(m.u.position.sec_type, sizeof(m.u.position.sec_type), "STK");
	snprintf(m.u.position.currency, sizeof(m.u.position.currency), "USD");
	snprintf(m.u.position.position, sizeof(m.u.position.position), "%s",
	    qty);
	m.u.position.avg_cost = 10;
	feed(fx, &m);
}

/* session_ready; returns the reqExecutions id it sent. Checks the four
 * requests of the sequence. */
static long long
start_recon(struct fx *fx, long long next_valid_id)
{
	struct gw_err e;
	int first = fx->n_req;
	long long exec_req = -1;

	if (orderman_session_ready(fx->om, SV, next_valid_id, ACCT, &e))
		fail_msg("session_ready: %s", e.msg);
	assert_int_equal(fx->n_req - first, 4);
	assert_int_equal(fx->req[first].id, TWS_OUT_REQ_ALL_OPEN_ORDERS);
	assert_int_equal(fx->req[first + 1].id, TWS_OUT_REQ_EXECUTIONS);
	exec_req = fx->req[first + 1].u.req_id;
	assert_int_equal(fx->req[first + 2].id, TWS_OUT_REQ_POSITIONS);
	assert_int_equal(fx->req[first + 3].id, TWS_OUT_REQ_ACCOUNT_SUMMARY);
	assert_string_equal(fx->req[first + 3].u.account_summary.tags,
	    ORDERMAN_SUMMARY_TAGS);
	assert_int_equal(orderman_state(fx->om), ORDERMAN_RECONCILING);
	return exec_req;
}

/* A reconciliation with nothing at the gateway. */
static void
recon_empty(struct fx *fx, long long next_valid_id)
{
	long long exec_req = start_recon(fx, next_valid_id);
	int before = fx->n_recon;

	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req);
	feed_end(fx, TWS_IN_POSITION_END, 0);
	assert_int_equal(fx->n_recon, before + 1);
	assert_int_equal(orderman_state(fx->om), ORDERMAN_READY);
}

static int
place(struct fx *fx, const char *id, int side, double qty, int type,
    double lmt, long long *order_id, struct gw_err *e)
{
	struct orderman_intent in;

	memset(&in, 0, sizeof(in));
	snprintf(in.id, sizeof(in.id), "%s", id);
	snprintf(in.symbol, sizeof(in.symbol), "AAPL");
	in.side = side;
	in.qty = qty;
	in.type = type;
	in.lmt = lmt;
	return orderman_place(fx->om, &in, ACCT, order_id, e);
}

static void
place_ok(struct fx *fx, const char *id, long long want_id)
{
	struct gw_err e;
	long long oid = -1;

	if (place(fx, id, TWS_ACTION_BUY, 100, TWS_ORDER_MKT, 0, &oid, &e))
		fail_msg("place %s: %s", id, e.msg);
	assert_int_equal(oid, want_id);
}

static int
count_req(struct fx *fx, int id)
{
	int n = 0;

	for (int i = 0; i < fx->n_req; i++)
		n += fx->req[i].id == id;
	return n;
}

/* --- tests --- */

/* The place record is durable before the placeOrder frame leaves, and the
 * frame carries the order as built. */
static void
test_place_journal_before_send(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	long long oid = 0;
	const struct tws_order *o;

	fx_open(fx);
	assert_int_equal(fx->info.journal.created, 1);
	recon_empty(fx, 7);
	assert_int_equal(place(fx, "buy-aapl-1", TWS_ACTION_BUY, 10,
	    TWS_ORDER_LMT, 187.25, &oid, &e), 0);
	assert_int_equal(oid, 7);
	assert_int_equal(fx->n_req, 5);
	assert_int_equal(fx->place_journaled, 1);
	assert_int_equal(fx->place_not_journaled, 0);
	o = &fx->req[4].u.place;
	assert_int_equal(fx->req[4].id, TWS_OUT_PLACE_ORDER);
	assert_int_equal(o->order_id, 7);
	assert_string_equal(o->symbol, "AAPL");
	assert_string_equal(o->exchange, "SMART");
	assert_string_equal(o->currency, "USD");
	assert_int_equal(o->action, TWS_ACTION_BUY);
	assert_string_equal(o->total_quantity, "10");
	assert_int_equal(o->order_type, TWS_ORDER_LMT);
	assert_true(fabs(o->lmt_price - 187.25) < 1e-9);
	assert_int_equal(o->tif, TWS_TIF_DAY);
	assert_string_equal(o->order_ref, "gwk:buy-aapl-1");
	assert_string_equal(o->account, ACCT);
	assert_int_equal(o->transmit, 1);
	assert_int_equal(orderman_next_order_id(fx->om), 8);
}

/* A journal append that fails sends nothing, calls failed, and no later
 * order goes either. */
static void
test_journal_failure_sends_nothing(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	struct rlimit old, lim;
	struct stat st;
	long long oid = -1;
	int rc;

	fx_open(fx);
	recon_empty(fx, 1);
	assert_int_equal(stat(fx->path, &st), 0);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = place(fx, "i1", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0, &oid, &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(rc, -1);
	assert_int_equal(oid, 0);
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 0);
	assert_int_equal(fx->n_failed, 1);
	assert_non_null(strstr(fx->failed, "journal"));
	assert_int_equal(journal_has(fx, JREC_PLACE, -1), 0);
	/* the disk is back, but the journal's promise is not: refused */
	rc = place(fx, "i2", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0, &oid, &e);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(e.msg, "journal failed"));
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 0);
}

/* The sequence: four requests, answers, all three ends, the report, the
 * reconciled record; orders only afterwards. */
static void
test_reconciliation_sequence(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	long long exec_req;
	json_t *st;
	struct tws_order_in m;

	fx_open(fx);
	exec_req = start_recon(fx, 1);
	assert_int_equal(place(fx, "early", TWS_ACTION_BUY, 1, TWS_ORDER_MKT,
	    0, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not reconciled"));
	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	feed_position(fx, "MSFT", "0");
	feed_end(fx, TWS_IN_POSITION_END, 0);
	/* another request's end does not count */
	feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req + 1);
	assert_int_equal(fx->n_recon, 0);
	memset(&m, 0, sizeof(m));
	m.id = TWS_IN_ACCOUNT_SUMMARY;
	m.u.account_value.req_id = fx->req[3].u.account_summary.req_id;
	snprintf(m.u.account_value.account, TWS_ORD_STR, ACCT);
	snprintf(m.u.account_value.tag, TWS_ORD_STR, "NetLiquidation");
	snprintf(m.u.account_value.value, TWS_ORD_STR, "100000.00");
	snprintf(m.u.account_value.currency, TWS_ORD_STR, "USD");
	feed(fx, &m);
	assert_int_equal(orderman_state(fx->om), ORDERMAN_RECONCILING);
	feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req);
	assert_int_equal(fx->n_recon, 1);
	assert_int_equal(fx->recon.ok, 1);
	assert_int_equal(fx->recon.problems, 0);
	assert_int_equal(orderman_reconciled(fx->om), 1);
	assert_int_equal(journal_has(fx, JREC_RECONCILED, -1), 1);
	st = orderman_status(fx->om);
	assert_non_null(st);
	assert_string_equal(json_string_value(json_object_get(st, "state")),
	    "ready");
	assert_true(json_is_true(json_object_get(json_object_get(st,
	    "last_reconciliation"), "ok")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(st, "account_summary"), 0), "value")),
	    "100000.00");
	json_decref(st);
	place_ok(fx, "after", 1);
}

/* No end within the deadline: failed, and no orders. */
static void
test_reconciliation_timeout(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;

	fx->cfg.recon_timeout_s = 0.05;
	fx_open(fx);
	start_recon(fx, 1);
	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	run_until(fx, &fx->n_failed, 3000);
	assert_non_null(strstr(fx->failed, "timed out"));
	assert_non_null(strstr(fx->failed, "positionEnd"));
	assert_null(strstr(fx->failed, "openOrderEnd"));
	assert_int_equal(orderman_state(fx->om), ORDERMAN_FAILED);
	assert_int_equal(fx->n_recon, 0);
	assert_int_equal(place(fx, "x", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	/* late ends change nothing */
	feed_end(fx, TWS_IN_POSITION_END, 0);
	assert_int_equal(fx->n_recon, 0);
	/* only a new session reconciles again (bot-core drops this one) */
	assert_int_equal(orderman_recon_timed_out(fx->om), 1);
	orderman_session_lost(fx->om);
	assert_int_equal(orderman_recon_timed_out(fx->om), 0);
	recon_empty(fx, 1);
	assert_int_equal(orderman_recon_timed_out(fx->om), 0);
}

/* An order placed, then bot-core killed before any answer; the fill
 * happened during the outage. A new orderman on the same journal sends
 * nothing again, restores the order, and reconciliation adopts the fill. */
static void
test_restart_adopts_fills(void **state)
{
	struct fx *fx = *state;
	long long exec_req;
	struct ordbook_order o;
	struct ordbook_pos p;
	int fills = 0, filled = 0;

	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "buy-1", 1);
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 1);

	fx_reopen(fx);
	assert_int_equal(fx->info.orders, 1);
	assert_int_equal(fx->info.open, 1);
	assert_int_equal(fx->info.max_order_id, 1);
	assert_int_equal(fx->n_req, 0);
	assert_int_equal(ordbook_get(orderman_book(fx->om), 1, &o), 0);
	assert_int_equal(o.state, ORDBOOK_PENDING_SUBMIT);

	exec_req = start_recon(fx, 1);
	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	feed_exec(fx, exec_req, 1, "gwk:buy-1", "0001.01", "BOT", "100", 10);
	feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req);
	feed_position(fx, "AAPL", "100");
	feed_end(fx, TWS_IN_POSITION_END, 0);
	assert_int_equal(fx->n_recon, 1);
	assert_int_equal(fx->recon.ok, 1);
	assert_int_equal(fx->recon.adopted_fills, 1);
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 0);
	for (int i = 0; i < fx->n_ch; i++) {
		fills += fx->ch[i].kind == ORDBOOK_CH_FILL;
		filled += fx->ch[i].kind == ORDBOOK_CH_STATE &&
		    fx->ch[i].to == ORDBOOK_FILLED;
	}
	assert_int_equal(fills, 1);
	assert_int_equal(filled, 1);
	assert_int_equal(journal_has(fx, JREC_FILL, 1), 1);
	assert_int_equal(journal_has(fx, JREC_FINAL, 1), 1);
	/* the next id skips the journal's */
	assert_int_equal(orderman_next_order_id(fx->om), 2);

	/* and a third life has it all from the journal alone */
	fx_reopen(fx);
	assert_int_equal(fx->info.open, 0);
	assert_int_equal(ordbook_get(orderman_book(fx->om), 1, &o), 0);
	assert_int_equal(o.state, ORDBOOK_FILLED);
	assert_int_equal(ordbook_position(orderman_book(fx->om), "AAPL", &p),
	    0);
	assert_true(fabs(p.qty - 100) < 1e-9);
	assert_int_equal(fx->n_req, 0);
}

/* An intent id is placed once, across reopens and days. */
static void
test_duplicate_intent_across_reopen(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;

	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "dup", 1);
	assert_int_equal(place(fx, "dup", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "duplicate intent"));
	feed_status(fx, 1, "Filled", "100", "0");

	fx_reopen(fx);
	recon_empty(fx, 1);
	assert_int_equal(place(fx, "dup", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "duplicate intent"));

	/* next day: yesterday's settled order is left out of the book, its
	 * intent is still remembered */
	fx->wall = WALL0 + 24LL * 3600 * 1000;
	fx_reopen(fx);
	assert_int_equal(fx->info.old_settled, 1);
	assert_int_equal(fx->info.orders, 0);
	assert_int_equal(fx->info.intents, 1);
	recon_empty(fx, 1);
	assert_int_equal(place(fx, "dup", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "duplicate intent"));
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 0);
	place_ok(fx, "fresh", 2);
}

/* A position held overnight: yesterday's filled order is left out of the
 * book, its fills carry the position forward (and not its P&L); today's
 * fills add to it. The journal is read through a small window: a day of
 * many records opens the same. */
static void
test_position_carried_overnight(void **state)
{
	struct fx *fx = *state;
	struct ordbook_pos p;

	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "y1", 1);
	feed_exec(fx, -1, 1, "gwk:y1", "0003.01", "BOT", "100", 10);
	feed_status(fx, 1, "Filled", "100", "0");
	fx->wall = WALL0 + 24LL * 3600 * 1000;
	fx_reopen(fx);
	assert_int_equal(fx->info.old_settled, 1);
	assert_int_equal(fx->info.orders, 0);
	assert_int_equal(ordbook_position(orderman_book(fx->om), "AAPL", &p), 0);
	assert_true(p.qty == 100);
	assert_true(p.avg_cost == 10);
	assert_true(p.realized == 0);
	{
		/* the gateway holds it too: reconciled, no problem */
		long long exec_req = start_recon(fx, 1);

		feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
		feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req);
		feed_position(fx, "AAPL", "100");
		feed_end(fx, TWS_IN_POSITION_END, 0);
		assert_int_equal(orderman_state(fx->om), ORDERMAN_READY);
	}
	place_ok(fx, "t1", 2);
	feed_exec(fx, -1, 2, "gwk:t1", "0004.01", "SLD", "40", 12);
	assert_int_equal(ordbook_position(orderman_book(fx->om), "AAPL", &p), 0);
	assert_true(p.qty == 60);
	assert_true(p.realized == 80);
}

/* Ids: max(nextValidId, journal's highest + 1), a failed send consumes
 * its id and is never re-sent. */
static void
test_ids_never_reused(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	long long oid = 0;

	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "a", 1);
	place_ok(fx, "b", 2);
	fx->send_fail = 1;
	assert_int_equal(place(fx, "c", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    &oid, &e), -1);
	assert_int_equal(oid, 3);
	assert_non_null(strstr(e.msg, "stays pending"));
	fx->send_fail = 0;
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 3);
	place_ok(fx, "d", 4);
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 4);

	fx_reopen(fx);
	assert_int_equal(fx->info.max_order_id, 4);
	recon_empty(fx, 2);		/* the gateway's id is behind */
	place_ok(fx, "e", 5);
	orderman_session_lost(fx->om);
	recon_empty(fx, 40);		/* and ahead */
	place_ok(fx, "f", 40);
	/* the failed one was never sent again */
	for (int i = 0; i < fx->n_req; i++)
		if (fx->req[i].id == TWS_OUT_PLACE_ORDER)
			assert_true(fx->req[i].u.place.order_id != 3);
}

static void
test_rate_limit(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;

	fx->cfg.max_orders_per_s = 2;
	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "r1", 1);
	place_ok(fx, "r2", 2);
	assert_int_equal(place(fx, "r3", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "rate"));
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 2);
	assert_int_equal(journal_has(fx, JREC_PLACE, -1), 2);
	fx->mono_off += 1001;
	place_ok(fx, "r3", 3);		/* refused intents are not used up */
}

/* cancel_all sends reqGlobalCancel; the cancellations come back as
 * changes, journaled first. */
static void
test_cancel_all(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;

	fx_open(fx);
	assert_int_equal(orderman_cancel_all(fx->om, "halt", &e), -1);
	assert_int_equal(fx->n_req, 0);
	recon_empty(fx, 1);
	place_ok(fx, "c1", 1);
	feed_status(fx, 1, "Submitted", "0", "100");
	assert_int_equal(orderman_cancel_all(fx->om, "halt", &e), 0);
	assert_int_equal(fx->req[fx->n_req - 1].id, TWS_OUT_REQ_GLOBAL_CANCEL);
	fx->n_ch = 0;
	feed_status(fx, 1, "Cancelled", "0", "100");
	assert_int_equal(fx->n_ch, 1);
	assert_int_equal(fx->ch[0].kind, ORDBOOK_CH_STATE);
	assert_int_equal(fx->ch[0].to, ORDBOOK_CANCELLED);
	assert_int_equal(journal_has(fx, JREC_FINAL, 1), 1);
	assert_int_equal(journal_has(fx, JREC_STATUS, 1), 2);
}

/* Before reconciliation and after the session is lost, nothing is sent. */
static void
test_place_refused_offline(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	int n;

	fx_open(fx);
	assert_int_equal(orderman_state(fx->om), ORDERMAN_OFFLINE);
	assert_int_equal(place(fx, "p", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not reconciled"));
	recon_empty(fx, 1);
	place_ok(fx, "p", 1);
	orderman_session_lost(fx->om);
	n = fx->n_req;
	assert_int_equal(place(fx, "q", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not reconciled"));
	assert_int_equal(fx->n_req, n);
	/* a lost session abandons a reconciliation under way */
	start_recon(fx, 1);
	orderman_session_lost(fx->om);
	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	feed_end(fx, TWS_IN_POSITION_END, 0);
	assert_int_equal(fx->n_recon, 1);
	assert_int_equal(orderman_state(fx->om), ORDERMAN_OFFLINE);
}

/* No answer within ack_timeout_s: the order becomes unknown, not re-sent. */
static void
test_ack_timeout(void **state)
{
	struct fx *fx = *state;
	int unknown = 0;
	int64_t deadline;

	fx->cfg.ack_timeout_s = 0.05;
	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "slow", 1);
	deadline = clock_mono_ms() + 3000;
	while (!unknown && clock_mono_ms() < deadline) {
		event_base_loop(fx->base, EVLOOP_ONCE);
		for (int i = 0; i < fx->n_ch; i++)
			unknown += fx->ch[i].kind == ORDBOOK_CH_STATE &&
			    fx->ch[i].to == ORDBOOK_UNKNOWN;
	}
	assert_int_equal(unknown, 1);
	assert_int_equal(count_req(fx, TWS_OUT_PLACE_ORDER), 1);
}

/* flatten: reqGlobalCancel, then a MKT order closing the position. */
static void
test_flatten(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	unsigned placed = 0;
	const struct tws_order *o;

	fx->cfg.max_orders_per_s = 1;
	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "buy", 1);
	feed_exec(fx, -1, 1, "gwk:buy", "0002.01", "BOT", "100", 10);
	assert_int_equal(orderman_flatten(fx->om, "halt", &placed, &e), 0);
	assert_int_equal(placed, 1);
	assert_int_equal(fx->req[fx->n_req - 2].id, TWS_OUT_REQ_GLOBAL_CANCEL);
	assert_int_equal(fx->req[fx->n_req - 1].id, TWS_OUT_PLACE_ORDER);
	o = &fx->req[fx->n_req - 1].u.place;
	assert_int_equal(o->action, TWS_ACTION_SELL);
	assert_string_equal(o->total_quantity, "100");
	assert_int_equal(o->order_type, TWS_ORDER_MKT);
	assert_string_equal(o->order_ref, "gwk:flatten-AAPL-2");
	assert_int_equal(fx->place_journaled, 2);
}

/* An open order at the gateway that the book does not know: a problem;
 * no orders until the operator accepts it (a resume record). */
/* An open order and its status, as another API client's or ours. */
static void
feed_open(struct fx *fx, long long id, int client_id, const char *ref,
    const char *status)
{
	struct tws_order_in m;

	memset(&m, 0, sizeof(m));
	m.id = TWS_IN_OPEN_ORDER;
	m.u.open_order.o.order_id = id;
	m.u.open_order.client_id = client_id;
	snprintf(m.u.open_order.o.symbol, TWS_ORD_STR, "AAPL");
	snprintf(m.u.open_order.o.exchange, TWS_ORD_STR, "SMART");
	snprintf(m.u.open_order.o.currency, TWS_ORD_STR, "USD");
	m.u.open_order.o.action = TWS_ACTION_BUY;
	snprintf(m.u.open_order.o.total_quantity, TWS_ORD_QTY, "100");
	m.u.open_order.o.order_type = TWS_ORDER_MKT;
	m.u.open_order.o.tif = TWS_TIF_DAY;
	snprintf(m.u.open_order.o.order_ref, TWS_ORD_REF, "%s", ref);
	snprintf(m.u.open_order.o.account, TWS_ORD_STR, ACCT);
	snprintf(m.u.open_order.status, TWS_ORD_STR, "%s", status);
	feed(fx, &m);
	memset(&m, 0, sizeof(m));
	m.id = TWS_IN_ORDER_STATUS;
	m.u.status.order_id = id;
	m.u.status.client_id = client_id;
	snprintf(m.u.status.status, TWS_ORD_STR, "%s", status);
	snprintf(m.u.status.filled, TWS_ORD_QTY, "0");
	snprintf(m.u.status.remaining, TWS_ORD_QTY, "100");
	feed(fx, &m);
}

static void
test_problem_then_resume(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	long long exec_req;

	fx_open(fx);
	exec_req = start_recon(fx, 1);
	feed_open(fx, 99, 0, "", "Submitted");
	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req);
	feed_end(fx, TWS_IN_POSITION_END, 0);
	assert_int_equal(fx->n_recon, 1);
	assert_int_equal(fx->recon.ok, 0);
	assert_true(fx->recon.problems >= 1);
	assert_int_equal(fx->recon.problem[0].kind, ORDBOOK_PROB_UNKNOWN_ORDER);
	assert_int_equal(orderman_state(fx->om), ORDERMAN_PROBLEM);
	assert_int_equal(place(fx, "p", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not reconciled (problem)"));
	assert_int_equal(orderman_resume(fx->om, "ops", &e), 0);
	assert_int_equal(journal_has(fx, JREC_RESUME, -1), 1);
	assert_int_equal(orderman_resume(fx->om, "ops", &e), -1);
	/* above every id reqAllOpenOrders showed */
	place_ok(fx, "p", 100);
}

/* Order ids are numbered per API client, and reqAllOpenOrders shows every
 * client's: another client's order 1 (a status of its own included) is an
 * unknown order, ours stays as it was, the journal keeps our client id,
 * and the next id is above every id the answers carried. */
static void
test_other_client_same_id(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;
	long long exec_req;
	int before;

	fx->cfg.client_id = 7;
	fx_open(fx);
	recon_empty(fx, 1);
	place_ok(fx, "mine", 1);
	assert_int_equal(place_client(fx, 1), 7);
	orderman_session_lost(fx->om);
	exec_req = start_recon(fx, 2);
	before = fx->n_ch;
	feed_open(fx, 1, 7, "gwk:mine", "Submitted");	/* ours */
	feed_open(fx, 1, 3, "theirs", "PreSubmitted");	/* the same id */
	feed_open(fx, 30, 3, "", "Submitted");
	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req);
	feed_end(fx, TWS_IN_POSITION_END, 0);
	assert_int_equal(fx->n_recon, 2);
	assert_int_equal(fx->recon.ok, 0);
	assert_int_equal(fx->recon.problems, 2);
	assert_int_equal(fx->recon.problem[0].kind, ORDBOOK_PROB_UNKNOWN_ORDER);
	assert_int_equal(fx->recon.problem[0].order_id, 1);
	assert_non_null(strstr(fx->recon.problem[0].text, "'theirs'"));
	assert_int_equal(fx->recon.problem[1].order_id, 30);
	assert_int_equal(fx->recon.open, 1);
	assert_int_equal(fx->recon.gone + fx->recon.cancelled +
	    fx->recon.filled, 0);
	/* ours: pending-submit -> submitted, and nothing else */
	assert_int_equal(fx->n_ch - before, 1);
	assert_int_equal(fx->ch[before].order_id, 1);
	assert_int_equal(fx->ch[before].to, ORDBOOK_SUBMITTED);
	assert_int_equal(orderman_resume(fx->om, "ops", &(struct gw_err){""}),
	    0);
	place_ok(fx, "next", 31);

	/* an open order at the top of the id range: no id is left above it */
	orderman_session_lost(fx->om);
	exec_req = start_recon(fx, 2);
	feed_open(fx, 2147483647LL, 3, "", "Submitted");
	feed_end(fx, TWS_IN_OPEN_ORDER_END, 0);
	feed_end(fx, TWS_IN_EXEC_DETAILS_END, exec_req);
	feed_end(fx, TWS_IN_POSITION_END, 0);
	assert_int_equal(orderman_resume(fx->om, "ops", &(struct gw_err){""}),
	    0);
	assert_int_equal(place(fx, "top", TWS_ACTION_BUY, 1, TWS_ORDER_MKT, 0,
	    NULL, &e), -1);
	assert_string_equal(e.msg, "intent top: no order id left: the next "
	    "would be 2147483648, above 2147483647");
}

static void
test_closeout_due(void **state)
{
	struct fx *fx = *state;
	struct tm tm = { .tm_year = 126, .tm_yday = 340, .tm_hour = 15,
	    .tm_min = 58 };

	fx_open(fx);
	assert_int_equal(orderman_closeout_due(fx->om, &tm), 0);
	tm.tm_min = 59;
	assert_int_equal(orderman_closeout_due(fx->om, &tm), 1);
	tm.tm_hour = 16;
	assert_int_equal(orderman_closeout_due(fx->om, &tm), 0);
	tm.tm_yday++;
	assert_int_equal(orderman_closeout_due(fx->om, &tm), 1);
}

/* A second orderman on a locked journal is refused with its path. */
static void
test_journal_locked(void **state)
{
	struct fx *fx = *state;
	struct gw_err e;

	fx_open(fx);
	assert_null(orderman_new(fx->base, &fx->cfg, &fx->hooks, NULL, &e));
	assert_non_null(strstr(e.msg, fx->path));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_position_carried_overnight,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_journal_before_send,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_failure_sends_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconciliation_sequence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconciliation_timeout,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_adopts_fills,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_duplicate_intent_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_never_reused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_place_refused_offline,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flatten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_client_same_id,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_problem_then_resume,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_closeout_due, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_locked, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
