/* Unit tests for bot-core's order journal: the exact line of each record
 * kind and its round trip, every malformed class with its exact message,
 * the encoder's refusals, and the file: create (0600, directories),
 * append and reopen replaying the same records, a torn last line cut
 * (no LF; LF but garbage), a bad middle line refused with its line
 * number, the lock, a non-regular path, a replay callback's refusal, and
 * an append that fails mid-line (RLIMIT_FSIZE) giving -1 and leaving no
 * partial line behind. Files live in a fresh directory under $TMPDIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal.h"

#define TS 1796653862123LL	/* 2026-12-07T14:31:02.123Z */

static void
rec_place(struct jrec *r, int lmt)
{
	memset(r, 0, sizeof(*r));
	r->kind = JREC_PLACE;
	r->ts_ms = TS;
	strcpy(r->u.place.day, "2026-12-07");
	strcpy(r->u.place.intent, "py-1");
	strcpy(r->u.place.ref, "gwk:py-1");
	r->u.place.order_id = 17;
	strcpy(r->u.place.account, "DU1234567");
	strcpy(r->u.place.symbol, "SPY");
	r->u.place.side = lmt ? TWS_ACTION_SELL : TWS_ACTION_BUY;
	strcpy(r->u.place.qty, lmt ? "0.5" : "10");
	r->u.place.type = lmt ? TWS_ORDER_LMT : TWS_ORDER_MKT;
	r->u.place.lmt = lmt ? 451.5 : 0;
	r->u.place.tif = TWS_TIF_DAY;
	/* the LMT one stands for a journal from before client_id was kept */
	r->u.place.client_id = lmt ? -1 : 7;
}

/* The records of every kind and the exact line each gives. */
static const char *const lines[] = {
	"{\"kind\":\"place\",\"ts\":\"2026-12-07T14:31:02.123Z\","
	"\"day\":\"2026-12-07\",\"intent\":\"py-1\",\"ref\":\"gwk:py-1\","
	"\"order_id\":17,\"account\":\"DU1234567\",\"symbol\":\"SPY\","
	"\"side\":\"BUY\",\"qty\":\"10\",\"type\":\"MKT\",\"tif\":\"DAY\","
	"\"client_id\":7}\n",
	"{\"kind\":\"place\",\"ts\":\"2026-12-07T14:31:02.123Z\","
	"\"day\":\"2026-12-07\",\"intent\":\"py-1\",\"ref\":\"gwk:py-1\","
	"\"order_id\":17,\"account\":\"DU1234567\",\"symbol\":\"SPY\","
	"\"side\":\"SELL\",\"qty\":\"0.5\",\"type\":\"LMT\",\"lmt\":451.5,"
	"\"tif\":\"DAY\"}\n",
	"{\"kind\":\"status\",\"ts\":\"2026-12-07T14:31:02.123Z\","
	"\"order_id\":17,\"status\":\"Filled\",\"filled\":\"10\","
	"\"remaining\":\"0\",\"avg_fill_price\":450.12}\n",
	"{\"kind\":\"fill\",\"ts\":\"2026-12-07T14:31:02.123Z\","
	"\"order_id\":17,\"exec_id\":\"0001f4e8.6571.01.01\",\"side\":\"BOT\","
	"\"shares\":\"10\",\"price\":450.0,\"time\":\"20261207  09:31:02\","
	"\"ref\":\"gwk:py-1\"}\n",
	"{\"kind\":\"commission\",\"ts\":\"2026-12-07T14:31:02.123Z\","
	"\"exec_id\":\"0001f4e8.6571.01.01\",\"commission\":1.0}\n",
	"{\"kind\":\"commission\",\"ts\":\"2026-12-07T14:31:02.123Z\","
	"\"exec_id\":\"x\",\"commission\":-0.25,\"realized_pnl\":12.75}\n",
	"{\"kind\":\"final\",\"ts\":\"2026-12-07T14:31:02.123Z\","
	"\"order_id\":17,\"state\":\"gone\",\"why\":\"not found at the "
	"gateway \\\"\xc3\xa9\\\"\"}\n",
	"{\"kind\":\"reconciled\",\"ts\":\"1970-01-01T00:00:00.000Z\","
	"\"orders\":3,\"fills_adopted\":1,\"ok\":false,\"problems\":2}\n",
	"{\"kind\":\"resume\",\"ts\":\"9999-12-31T23:59:59.999Z\","
	"\"who\":\"uid 1000 pid 42\"}\n",
};

static void
records(struct jrec r[9])
{
	rec_place(&r[0], 0);
	rec_place(&r[1], 1);
	memset(&r[2], 0, sizeof(r[2]) * 7);
	r[2].kind = JREC_STATUS;
	r[2].ts_ms = TS;
	r[2].u.status.order_id = 17;
	strcpy(r[2].u.status.status, "Filled");
	strcpy(r[2].u.status.filled, "10");
	strcpy(r[2].u.status.remaining, "0");
	r[2].u.status.avg_fill_price = 450.12;
	r[3].kind = JREC_FILL;
	r[3].ts_ms = TS;
	r[3].u.fill.order_id = 17;
	strcpy(r[3].u.fill.exec_id, "0001f4e8.6571.01.01");
	r[3].u.fill.side = TWS_ACTION_BUY;
	strcpy(r[3].u.fill.shares, "10");
	r[3].u.fill.price = 450;
	strcpy(r[3].u.fill.time, "20261207  09:31:02");
	strcpy(r[3].u.fill.ref, "gwk:py-1");
	r[4].kind = JREC_COMMISSION;
	r[4].ts_ms = TS;
	strcpy(r[4].u.commission.exec_id, "0001f4e8.6571.01.01");
	r[4].u.commission.commission = 1;
	r[5].kind = JREC_COMMISSION;
	r[5].ts_ms = TS;
	strcpy(r[5].u.commission.exec_id, "x");
	r[5].u.commission.commission = -0.25;
	r[5].u.commission.has_realized_pnl = 1;
	r[5].u.commission.realized_pnl = 12.75;
	r[6].kind = JREC_FINAL;
	r[6].ts_ms = TS;
	r[6].u.final.order_id = 17;
	r[6].u.final.state = JFINAL_GONE;
	strcpy(r[6].u.final.why, "not found at the gateway \"\xc3\xa9\"");
	r[7].kind = JREC_RECONCILED;
	r[7].ts_ms = 0;
	r[7].u.reconciled.orders = 3;
	r[7].u.reconciled.fills_adopted = 1;
	r[7].u.reconciled.problems = 2;
	r[8].kind = JREC_RESUME;
	r[8].ts_ms = 253402300799999LL;
	strcpy(r[8].u.resume.who, "uid 1000 pid 42");
}

static void
test_codec_round_trip(void **state)
{
	char out[JOURNAL_LINE_MAX];
	struct jrec r[9], back;
	struct gw_err e;
	size_t i;
	int n;

	(void)state;
	records(r);
	for (i = 0; i < 9; i++) {
		n = journal_encode(&r[i], out, sizeof(out), &e);
		assert_int_equal(n, (int)strlen(lines[i]));
		assert_string_equal(out, lines[i]);
		assert_int_equal(journal_decode_line(out, (size_t)n - 1, &back,
		    &e), 0);
		assert_memory_equal(&back, &r[i], sizeof(back));
	}
	/* decoding accepts any member order and an integer price */
	{
		static const char any[] = "{\"ts\":\"2026-12-07T14:31:02.123Z\","
		    "\"avg_fill_price\":450,\"remaining\":\"5\",\"filled\":"
		    "\"5.5\",\"status\":\"Submitted\",\"order_id\":2147483647,"
		    "\"kind\":\"status\"}";

		assert_int_equal(journal_decode_line(any, strlen(any), &back,
		    &e), 0);
	}
	assert_int_equal(back.kind, JREC_STATUS);
	assert_true(back.u.status.avg_fill_price == 450.0);
	assert_int_equal(back.u.status.order_id, 2147483647);
	assert_string_equal(journal_kind_name(JREC_RECONCILED), "reconciled");
	assert_string_equal(journal_kind_name(0), "?");
}

/* A line refused with the exact message, *r zeroed. */
static void
bad(const char *line, const char *msg)
{
	struct jrec r, zero;
	struct gw_err e;

	memset(&zero, 0, sizeof(zero));
	memset(&r, 0x5a, sizeof(r));
	e.msg[0] = '\0';
	assert_int_equal(journal_decode_line(line, strlen(line), &r, &e), -1);
	assert_string_equal(e.msg, msg);
	assert_memory_equal(&r, &zero, sizeof(r));
}

#define T "\"ts\":\"2026-12-07T14:31:02.123Z\""
#define PLACE_HEAD "{\"kind\":\"place\"," T ",\"day\":\"2026-12-07\"," \
	"\"intent\":\"i\",\"ref\":\"gwk:i\",\"order_id\":1,\"account\":\"DU1\"," \
	"\"symbol\":\"SPY\""

static void
test_codec_malformed(void **state)
{
	char big[JOURNAL_LINE_MAX + 2];

	(void)state;
	/* the line */
	bad("", "empty line");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bad(big, "line longer than 4095 bytes");
	assert_int_equal(journal_decode_line("{}\0x", 4, &(struct jrec){0},
	    &(struct gw_err){{0}}), -1);
	bad("{\"kind\":", "not JSON at column 8: unexpected token near end "
	    "of file");
	bad("[1]", "expected a JSON object, got an array");
	bad("{\"kind\":\"place\",\"kind\":\"place\"}",
	    "not JSON at column 22: duplicate object key near '\"kind\"'");
	/* kind */
	bad("{\"ts\":1}", "kind: missing");
	bad("{\"kind\":1}", "kind: expected a string, got an integer");
	bad("{\"kind\":\"order\"}", "kind: 'order' is not one of place, "
	    "status, fill, commission, final, reconciled, resume");
	/* ts */
	bad("{\"kind\":\"resume\",\"who\":\"x\"}", "resume: ts: missing");
	bad("{\"kind\":\"resume\",\"ts\":5,\"who\":\"x\"}",
	    "resume: ts: expected a string, got an integer");
	bad("{\"kind\":\"resume\",\"ts\":\"2026-12-07T14:31:02Z\",\"who\":\"x\"}",
	    "resume: ts: '2026-12-07T14:31:02Z' is not RFC 3339 UTC with "
	    "milliseconds (2026-12-07T14:31:02.123Z)");
	bad("{\"kind\":\"resume\",\"ts\":\"2026-02-30T14:31:02.123Z\","
	    "\"who\":\"x\"}", "resume: ts: '2026-02-30T14:31:02.123Z' is not "
	    "RFC 3339 UTC with milliseconds (2026-12-07T14:31:02.123Z)");
	bad("{\"kind\":\"resume\",\"ts\":\"2026-12-07T24:00:00.000Z\","
	    "\"who\":\"x\"}", "resume: ts: '2026-12-07T24:00:00.000Z' is not "
	    "RFC 3339 UTC with milliseconds (2026-12-07T14:31:02.123Z)");
	/* unknown member, missing member, wrong type */
	bad("{\"kind\":\"resume\"," T ",\"who\":\"x\",\"extra\":1}",
	    "resume: unknown member 'extra'");
	bad("{\"kind\":\"resume\"," T "}", "resume: who: missing");
	bad("{\"kind\":\"resume\"," T ",\"who\":\"\"}", "resume: who: empty");
	bad("{\"kind\":\"status\"," T ",\"order_id\":\"1\"}",
	    "status: order_id: expected an integer, got a string");
	bad("{\"kind\":\"status\"," T ",\"order_id\":0}",
	    "status: order_id: 0 is not in 1..2147483647");
	bad("{\"kind\":\"status\"," T ",\"order_id\":1,\"status\":\"Done\"}",
	    "status: status: 'Done' is not an order status");
	bad("{\"kind\":\"status\"," T ",\"order_id\":1,\"status\":\"Filled\","
	    "\"filled\":\"1\",\"remaining\":\"0\"}",
	    "status: avg_fill_price: missing");
	bad("{\"kind\":\"status\"," T ",\"order_id\":1,\"status\":\"Filled\","
	    "\"filled\":\"1\",\"remaining\":\"0\",\"avg_fill_price\":\"1\"}",
	    "status: avg_fill_price: expected a number, got a string");
	/* decimal text */
	bad("{\"kind\":\"status\"," T ",\"order_id\":1,\"status\":\"Filled\","
	    "\"filled\":10}", "status: filled: expected a string, got an "
	    "integer");
	bad("{\"kind\":\"status\"," T ",\"order_id\":1,\"status\":\"Filled\","
	    "\"filled\":\"1x\"}", "status: filled: '1x' is not a decimal "
	    "number");
	bad("{\"kind\":\"status\"," T ",\"order_id\":1,\"status\":\"Filled\","
	    "\"filled\":\"-1\"}", "status: filled: '-1' is not a decimal "
	    "number");
	bad("{\"kind\":\"status\"," T ",\"order_id\":1,\"status\":\"Filled\","
	    "\"filled\":\"1.\"}", "status: filled: '1.' is not a decimal "
	    "number");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"0.0\"}",
	    "place: qty: '0.0' is not a positive decimal number");
	/* sides and the place rules */
	bad(PLACE_HEAD ",\"side\":\"BOT\"}", "place: side: 'BOT' is not BUY or "
	    "SELL");
	bad("{\"kind\":\"fill\"," T ",\"order_id\":1,\"exec_id\":\"e\","
	    "\"side\":\"BUY\"}", "fill: side: 'BUY' is not BOT or SLD");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"STP\"}",
	    "place: type: 'STP' is not MKT or LMT");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"LMT\","
	    "\"tif\":\"DAY\"}", "place: lmt: missing");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"LMT\","
	    "\"lmt\":0,\"tif\":\"DAY\"}", "place: lmt: not a positive number");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"MKT\","
	    "\"lmt\":1,\"tif\":\"DAY\"}", "place: lmt: not allowed for MKT");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"MKT\","
	    "\"tif\":\"IOC\"}", "place: tif: 'IOC' is not DAY or GTC");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"MKT\","
	    "\"tif\":\"DAY\",\"client_id\":\"7\"}",
	    "place: client_id: expected an integer, got a string");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"MKT\","
	    "\"tif\":\"DAY\",\"client_id\":-1}",
	    "place: client_id: -1 is not 0..2147483647");
	bad(PLACE_HEAD ",\"side\":\"BUY\",\"qty\":\"1\",\"type\":\"MKT\","
	    "\"tif\":\"DAY\",\"client_id\":2147483648}",
	    "place: client_id: 2147483648 is not 0..2147483647");
	bad("{\"kind\":\"place\"," T ",\"day\":\"2026-13-01\"}",
	    "place: day: '2026-13-01' is not a date yyyy-mm-dd");
	bad("{\"kind\":\"place\"," T ",\"day\":\"2026-1-01\"}",
	    "place: day: '2026-1-01' is not a date yyyy-mm-dd");
	bad("{\"kind\":\"place\"," T ",\"day\":\"2026-12-07\",\"intent\":"
	    "\"a\\tb\"}", "place: intent: not printable ASCII");
	bad("{\"kind\":\"place\"," T ",\"day\":\"2026-12-07\",\"intent\":"
	    "\"12345678901234567890123456789012345678901234567890123456789012345"
	    "\"}", "place: intent: longer than 64 bytes");
	/* final, reconciled */
	bad("{\"kind\":\"final\"," T ",\"order_id\":1,\"state\":\"done\"}",
	    "final: state: 'done' is not filled, cancelled, rejected or gone");
	bad("{\"kind\":\"reconciled\"," T ",\"orders\":1,\"fills_adopted\":0,"
	    "\"ok\":1}", "reconciled: ok: expected a boolean, got an integer");
	bad("{\"kind\":\"reconciled\"," T ",\"orders\":-1}",
	    "reconciled: orders: -1 is not in 0..1000000000");
}

static void
test_encode_refused(void **state)
{
	char out[JOURNAL_LINE_MAX];
	struct jrec r;
	struct gw_err e;

	(void)state;
	rec_place(&r, 1);
	r.u.place.lmt = -1;
	assert_int_equal(journal_encode(&r, out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "place: lmt: not a positive number");
	rec_place(&r, 0);
	strcpy(r.u.place.qty, "1e3");
	assert_int_equal(journal_encode(&r, out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "place: qty: '1e3' is not a decimal number");
	rec_place(&r, 0);
	r.ts_ms = -1;
	assert_int_equal(journal_encode(&r, out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "place: ts: -1 ms is out of range");
	rec_place(&r, 0);
	r.u.place.intent[0] = '\0';
	assert_int_equal(journal_encode(&r, out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "place: intent: empty");
	rec_place(&r, 0);
	r.kind = 0;
	assert_int_equal(journal_encode(&r, out, sizeof(out), &e), -1);
	assert_string_equal(e.msg, "kind: 0 is not a record kind");
	/* too small a buffer */
	rec_place(&r, 0);
	assert_int_equal(journal_encode(&r, out, 100, &e), -1);
	assert_string_equal(e.msg, "place: the line (215 bytes) does not fit "
	    "in 99");
	/* why that is not UTF-8: written with '?' */
	memset(&r, 0, sizeof(r));
	r.kind = JREC_FINAL;
	r.u.final.order_id = 3;
	r.u.final.state = JFINAL_REJECTED;
	strcpy(r.u.final.why, "bad \xff");
	assert_true(journal_encode(&r, out, sizeof(out), &e) > 0);
	assert_non_null(strstr(out, "\"why\":\"bad ?\""));
}

/* --- the file --- */

struct replay {
	int n;
	struct jrec r[16];
	unsigned long line[16];
	int refuse_at;		/* line number to refuse, 0: none */
};

static int
replay_cb(void *arg, const struct jrec *r, unsigned long line,
    struct gw_err *err)
{
	struct replay *rp = arg;

	if (rp->refuse_at != 0 && line == (unsigned long)rp->refuse_at)
		return gw_err_set(err, "order 17 placed twice");
	if (rp->n < 16) {
		rp->r[rp->n] = *r;
		rp->line[rp->n] = line;
	}
	rp->n++;
	return 0;
}

static char dir[256];

static int
setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_journal.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path_of(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", dir, name);
}

static void
write_file(const char *p, const char *s)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static long
file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return (long)st.st_size;
}

static void
test_append_reopen(void **state)
{
	struct journal_open_info info;
	struct journal_stats st;
	struct replay rp;
	struct jrec r[9];
	struct journal *j;
	struct gw_err e;
	struct stat sb;
	char p[400], want[600];
	int i;

	(void)state;
	path_of(p, sizeof(p), "sub/dir/orders.jsonl");
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	assert_int_equal(info.created, 1);
	assert_int_equal(info.records, 0);
	assert_int_equal(rp.n, 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	path_of(p, sizeof(p), "sub");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	records(r);
	for (i = 0; i < 9; i++)
		assert_int_equal(journal_append(j, &r[i], &e), 0);
	journal_get_stats(j, &st);
	assert_int_equal(st.appends, 9);
	assert_int_equal(st.failures, 0);
	assert_true(st.max_sync_ms >= st.last_sync_ms);
	assert_true(st.total_sync_ms >= st.max_sync_ms);
	assert_true(st.last_sync_ms >= 0);
	/* a record the encoder refuses: -1, nothing written */
	r[0].u.place.order_id = 0;
	assert_int_equal(journal_append(j, &r[0], &e), -1);
	path_of(p, sizeof(p), "sub/dir/orders.jsonl");
	snprintf(want, sizeof(want), "journal %s: place: order_id: 0 is not "
	    "in 1..2147483647", p);
	assert_string_equal(e.msg, want);
	r[0].u.place.order_id = 17;
	journal_close(j);

	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	assert_int_equal(info.created, 0);
	assert_int_equal(info.torn, 0);
	assert_int_equal(info.records, 9);
	assert_int_equal(rp.n, 9);
	for (i = 0; i < 9; i++) {
		assert_memory_equal(&rp.r[i], &r[i], sizeof(r[i]));
		assert_int_equal(rp.line[i], i + 1);
	}
	assert_int_equal(info.bytes, file_size(p));
	journal_close(j);
}

static void
test_torn_tail(void **state)
{
	struct journal_open_info info;
	struct replay rp;
	struct journal *j;
	struct gw_err e;
	char p[400], text[2 * JOURNAL_LINE_MAX];
	size_t whole;

	(void)state;
	path_of(p, sizeof(p), "torn.jsonl");
	/* no LF at the end: a write cut short */
	snprintf(text, sizeof(text), "%s%s%.40s", lines[0], lines[2], lines[3]);
	whole = strlen(lines[0]) + strlen(lines[2]);
	write_file(p, text);
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	assert_int_equal(info.torn, 1);
	assert_int_equal(info.torn_line, 3);
	assert_int_equal(info.torn_bytes, 40);
	assert_string_equal(info.torn_why, "no end of line");
	assert_int_equal(info.records, 2);
	assert_int_equal(rp.n, 2);
	assert_int_equal(file_size(p), (long)whole);
	assert_int_equal(info.bytes, (long)whole);
	/* the next record follows the whole lines */
	{
		struct jrec r;

		rec_place(&r, 1);
		assert_int_equal(journal_append(j, &r, &e), 0);
	}
	journal_close(j);
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	assert_int_equal(info.torn, 0);
	assert_int_equal(rp.n, 3);
	assert_int_equal(rp.r[2].u.place.type, TWS_ORDER_LMT);
	journal_close(j);

	/* an LF but garbage, and last (zeros a crash left): cut */
	snprintf(text, sizeof(text), "%s{\"kind\":\"fi\n", lines[0]);
	write_file(p, text);
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	assert_int_equal(info.torn, 1);
	assert_int_equal(info.torn_line, 2);
	assert_int_equal(info.torn_bytes, 12);
	assert_string_equal(info.torn_why, "not JSON at column 11: "
	    "premature end of input near '\"fi'");
	assert_int_equal(rp.n, 1);
	assert_int_equal(file_size(p), (long)strlen(lines[0]));
	journal_close(j);
}

/* A journal far larger than the read window (64 KiB): every record is
 * replayed in order, lines across the window's edges included, and a torn
 * tail after them is still found and cut; memory does not grow with it. */
static void
test_large_journal(void **state)
{
	struct journal_open_info info;
	struct replay rp;
	struct journal *j;
	struct gw_err e;
	struct jrec r;
	char p[400];
	long whole;
	int i, fd;

	(void)state;
	path_of(p, sizeof(p), "large.jsonl");
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	for (i = 1; i <= 3000; i++) {
		rec_place(&r, i % 2);
		r.u.place.order_id = i;
		assert_int_equal(journal_append(j, &r, &e), 0);
	}
	journal_close(j);
	whole = file_size(p);
	assert_true(whole > 4 * 64 * 1024);
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"kind\":\"pla", 13), 13);
	close(fd);
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	assert_int_equal(info.records, 3000);
	assert_int_equal(rp.n, 3000);
	assert_int_equal(rp.line[15], 16);
	assert_int_equal(rp.r[15].u.place.order_id, 16);
	assert_int_equal(info.torn, 1);
	assert_int_equal(info.torn_line, 3001);
	assert_int_equal(info.torn_bytes, 13);
	assert_int_equal(file_size(p), whole);
	journal_close(j);
}

static void
test_bad_middle_line(void **state)
{
	struct journal_open_info info;
	struct replay rp;
	struct journal *j;
	struct gw_err e;
	char p[400], text[2 * JOURNAL_LINE_MAX], want[600];

	(void)state;
	path_of(p, sizeof(p), "bad.jsonl");
	snprintf(text, sizeof(text), "%s{\"kind\":\"fill\"}\n%s", lines[0],
	    lines[2]);
	write_file(p, text);
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_null(j);
	snprintf(want, sizeof(want), "journal %s line 2: fill: ts: missing", p);
	assert_string_equal(e.msg, want);
	/* nothing replayed, nothing cut */
	assert_int_equal(rp.n, 0);
	assert_int_equal(file_size(p), (long)strlen(text));
	/* an empty line in the middle, too */
	snprintf(text, sizeof(text), "%s\n%s", lines[0], lines[2]);
	write_file(p, text);
	assert_null(journal_open(p, NULL, NULL, NULL, &e));
	snprintf(want, sizeof(want), "journal %s line 2: empty line", p);
	assert_string_equal(e.msg, want);
	/* the callback's refusal names the line */
	snprintf(text, sizeof(text), "%s%s", lines[0], lines[2]);
	write_file(p, text);
	memset(&rp, 0, sizeof(rp));
	rp.refuse_at = 2;
	assert_null(journal_open(p, replay_cb, &rp, NULL, &e));
	snprintf(want, sizeof(want), "journal %s line 2: order 17 placed "
	    "twice", p);
	assert_string_equal(e.msg, want);
}

static void
test_lock_and_kinds_of_path(void **state)
{
	struct journal *j, *k;
	struct gw_err e;
	char p[400], want[600];

	(void)state;
	path_of(p, sizeof(p), "locked.jsonl");
	j = journal_open(p, NULL, NULL, NULL, &e);
	assert_non_null(j);
	k = journal_open(p, NULL, NULL, NULL, &e);
	assert_null(k);
	snprintf(want, sizeof(want), "journal %s: locked by another process "
	    "(one bot-core per journal)", p);
	assert_string_equal(e.msg, want);
	journal_close(j);
	k = journal_open(p, NULL, NULL, NULL, &e);
	assert_non_null(k);
	journal_close(k);
	/* not a regular file */
	assert_null(journal_open(dir, NULL, NULL, NULL, &e));
	snprintf(want, sizeof(want), "journal %s: not a regular file", dir);
	assert_string_equal(e.msg, want);
	path_of(p, sizeof(p), "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_null(journal_open(p, NULL, NULL, NULL, &e));
	snprintf(want, sizeof(want), "journal %s: not a regular file", p);
	assert_string_equal(e.msg, want);
	assert_null(journal_open("/dev/null", NULL, NULL, NULL, &e));
	assert_string_equal(e.msg, "journal /dev/null: not a regular file");
	assert_null(journal_open("", NULL, NULL, NULL, &e));
	assert_string_equal(e.msg, "journal: empty path");
}

static void
test_append_fails(void **state)
{
	struct journal_open_info info;
	struct journal_stats st;
	struct sigaction sa, old;
	struct rlimit rl, saved;
	struct replay rp;
	struct journal *j;
	struct jrec r;
	struct gw_err e;
	char p[400], want[600];
	long before;

	(void)state;
	path_of(p, sizeof(p), "full.jsonl");
	j = journal_open(p, NULL, NULL, NULL, &e);
	assert_non_null(j);
	rec_place(&r, 0);
	assert_int_equal(journal_append(j, &r, &e), 0);
	before = file_size(p);
	/* the file may grow by 20 bytes only: the next line is written in
	 * part, then write fails with EFBIG */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGXFSZ, &sa, &old), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	rl = saved;
	rl.rlim_cur = (rlim_t)before + 20;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	r.u.place.order_id = 18;
	e.msg[0] = '\0';
	assert_int_equal(journal_append(j, &r, &e), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(sigaction(SIGXFSZ, &old, NULL), 0);
	snprintf(want, sizeof(want), "journal %s: write: %s", p,
	    strerror(EFBIG));
	assert_string_equal(e.msg, want);
	/* the partial line was cut back off */
	assert_int_equal(file_size(p), before);
	journal_get_stats(j, &st);
	assert_int_equal(st.appends, 1);
	assert_int_equal(st.failures, 1);
	/* the journal still works, and reopens with both whole records */
	r.u.place.order_id = 19;
	assert_int_equal(journal_append(j, &r, &e), 0);
	journal_close(j);
	memset(&rp, 0, sizeof(rp));
	j = journal_open(p, replay_cb, &rp, &info, &e);
	assert_non_null(j);
	assert_int_equal(info.torn, 0);
	assert_int_equal(rp.n, 2);
	assert_int_equal(rp.r[0].u.place.order_id, 17);
	assert_int_equal(rp.r[1].u.place.order_id, 19);
	journal_close(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_round_trip),
		cmocka_unit_test(test_codec_malformed),
		cmocka_unit_test(test_encode_refused),
		cmocka_unit_test_setup_teardown(test_append_reopen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_journal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_middle_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock_and_kinds_of_path,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_fails, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
