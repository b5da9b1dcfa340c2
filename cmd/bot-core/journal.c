/*
 * journal: bot-core's durable order journal (journal.h). The codec is
 * pure and strict: a journal line is bot-core's own writing, but a file on
 * disk may have been cut by a crash, edited by hand or written by another
 * version, so every line is checked member by member (jansson,
 * json_unpack_ex, the json_t dropped at once). The file layer does the
 * durable part: one write(2) per line, fdatasync before returning, an
 * exclusive flock, and the torn-tail rule at open.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "jsonval.h"

#define QUOTE_MAX 40
#define ORDER_ID_MAX 2147483647LL
#define COUNT_MAX 1000000000LL
#define TS_MAX_MS 253402300799999LL	/* 9999-12-31T23:59:59.999Z */

static const char *const kind_names[] = {
	NULL, "place", "status", "fill", "commission", "final", "reconciled",
	"resume",
};
#define KIND_LIST "place, status, fill, commission, final, reconciled, resume"

static const char *const final_names[] = {
	NULL, "filled", "cancelled", "rejected", "gone",
};

static const char *const statuses[] = {
	"PendingSubmit", "PendingCancel", "PreSubmitted", "Submitted",
	"ApiPending", "ApiCancelled", "Cancelled", "Filled", "Inactive", NULL,
};

/* The members of each kind, in line order ("kind" and "ts" first). */
static const char *const place_keys[] = { "kind", "ts", "day", "intent",
	"ref", "order_id", "account", "symbol", "side", "qty", "type", "lmt",
	"tif", "client_id", NULL };
static const char *const status_keys[] = { "kind", "ts", "order_id",
	"status", "filled", "remaining", "avg_fill_price", NULL };
static const char *const fill_keys[] = { "kind", "ts", "order_id",
	"exec_id", "side", "shares", "price", "time", "ref", NULL };
static const char *const commission_keys[] = { "kind", "ts", "exec_id",
	"commission", "realized_pnl", NULL };
static const char *const final_keys[] = { "kind", "ts", "order_id",
	"state", "why", NULL };
static const char *const reconciled_keys[] = { "kind", "ts", "orders",
	"fills_adopted", "ok", "problems", NULL };
static const char *const resume_keys[] = { "kind", "ts", "who", NULL };


const char *
journal_kind_name(int kind)
{
	if (kind < JREC_PLACE || kind > JREC_RESUME)
		return "?";
	return kind_names[kind];
}


/* "WHO: MEMBER: problem" (jsonval.h) */
#define fail jsonval_fail

/* --- value rules, shared by the encoder and the decoder --- */

/* min..max bytes of printable ASCII. */
static int
word_ok(const char *s, size_t n, size_t min, size_t max)
{
	size_t i;

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
check_word(const char *who, const char *member, const char *s, size_t n,
    size_t min, size_t max, struct gw_err *err)
{
	if (n < min)
		return fail(err, who, member, "empty");
	if (n > max)
		return fail(err, who, member, "longer than %zu bytes", max);
	if (!word_ok(s, n, min, max))
		return fail(err, who, member, "not printable ASCII");
	return 0;
}

/* Decimal text: digits, optionally '.' and digits; positive: not zero. */
static int
decimal_ok(const char *s, int positive)
{
	size_t i = 0, n = strlen(s);
	int digits = 0, nonzero = 0;

	if (n == 0 || n >= TWS_ORD_QTY)
		return 0;
	while (s[i] >= '0' && s[i] <= '9') {
		nonzero |= s[i++] != '0';
		digits++;
	}
	if (digits == 0)
		return 0;
	if (s[i] == '.') {
		i++;
		digits = 0;
		while (s[i] >= '0' && s[i] <= '9') {
			nonzero |= s[i++] != '0';
			digits++;
		}
		if (digits == 0)
			return 0;
	}
	return i == n && (!positive || nonzero);
}

static int
check_decimal(const char *who, const char *member, const char *s,
    int positive, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];

	if (decimal_ok(s, positive))
		return 0;
	gw_err_quote(q, sizeof(q), s, strlen(s));
	if (positive && decimal_ok(s, 0))
		return fail(err, who, member, "'%s' is not a positive decimal "
		    "number", q);
	return fail(err, who, member, "'%s' is not a decimal number", q);
}

static int
check_order_id(const char *who, long long id, struct gw_err *err)
{
	if (id < 1 || id > ORDER_ID_MAX)
		return fail(err, who, "order_id", "%lld is not in 1..%lld", id,
		    ORDER_ID_MAX);
	return 0;
}

static int
check_count(const char *who, const char *member, long long v,
    struct gw_err *err)
{
	if (v < 0 || v > COUNT_MAX)
		return fail(err, who, member, "%lld is not in 0..%lld", v,
		    COUNT_MAX);
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "yyyy-mm-dd" (a real date, year 1970..9999) into *y, *m, *d. */
static int
parse_date(const char *s, int *y, int *m, int *d)
{
	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	*y = digits(s, 4);
	*m = digits(s + 5, 2);
	*d = digits(s + 8, 2);
	if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 ||
	    *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

static int
check_day(const char *who, const char *day, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	int y, m, d;

	if (strlen(day) == 10 && parse_date(day, &y, &m, &d) == 0)
		return 0;
	gw_err_quote(q, sizeof(q), day, strlen(day));
	return fail(err, who, "day", "'%s' is not a date yyyy-mm-dd", q);
}

/* "2026-12-07T14:31:02.123Z" exactly (the shape journal_encode writes, so
 * that a decoded record encodes to the same line: no leap second), into
 * ms since the epoch. */
static int
parse_ts(const char *s, long long *ms)
{
	int64_t v;

	if (strlen(s) != 24 || s[10] != 'T' || s[19] != '.' || s[23] != 'Z' ||
	    s[17] > '5' || clock_parse_utc_ms(s, &v) < 0 || v > TS_MAX_MS)
		return -1;
	*ms = v;
	return 0;
}

static int
format_ts(long long ms, char out[80])
{
	if (ms > TS_MAX_MS)
		return -1;
	return clock_format_utc_ms(ms, out, 80);
}

static int
status_ok(const char *s)
{
	size_t i;

	for (i = 0; statuses[i] != NULL; i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

static int
check_real(const char *who, const char *member, double v, struct gw_err *err)
{
	if (!isfinite(v))
		return fail(err, who, member, "not a finite number");
	return 0;
}

/* The rules of a record, as the encoder applies them (the decoder checks
 * the same while reading, with messages quoting the input). */
static int
check_record(const struct jrec *r, struct gw_err *err)
{
	const char *who = journal_kind_name(r->kind);
	char ts[80];

	if (r->kind < JREC_PLACE || r->kind > JREC_RESUME)
		return gw_err_set(err, "kind: %d is not a record kind",
		    (int)r->kind);
	if (format_ts(r->ts_ms, ts) < 0)
		return fail(err, who, "ts", "%lld ms is out of range", r->ts_ms);
	switch (r->kind) {
	case JREC_PLACE:
		if (check_day(who, r->u.place.day, err) < 0 ||
		    check_word(who, "intent", r->u.place.intent,
		    strnlen(r->u.place.intent, sizeof(r->u.place.intent)), 1,
		    JOURNAL_INTENT_MAX, err) < 0 ||
		    check_word(who, "ref", r->u.place.ref, strnlen(r->u.place.ref,
		    sizeof(r->u.place.ref)), 1, TWS_ORD_REF - 1, err) < 0 ||
		    check_order_id(who, r->u.place.order_id, err) < 0 ||
		    check_word(who, "account", r->u.place.account,
		    strnlen(r->u.place.account, sizeof(r->u.place.account)), 1,
		    TWS_ORD_STR - 1, err) < 0 ||
		    check_word(who, "symbol", r->u.place.symbol,
		    strnlen(r->u.place.symbol, sizeof(r->u.place.symbol)), 1,
		    TWS_ORD_STR - 1, err) < 0)
			return -1;
		if (r->u.place.side != TWS_ACTION_BUY &&
		    r->u.place.side != TWS_ACTION_SELL)
			return fail(err, who, "side", "%d is not BUY or SELL",
			    r->u.place.side);
		if (check_decimal(who, "qty", r->u.place.qty, 1, err) < 0)
			return -1;
		if (r->u.place.type != TWS_ORDER_MKT &&
		    r->u.place.type != TWS_ORDER_LMT)
			return fail(err, who, "type", "%d is not MKT or LMT",
			    r->u.place.type);
		if (r->u.place.type == TWS_ORDER_LMT &&
		    !(isfinite(r->u.place.lmt) && r->u.place.lmt > 0))
			return fail(err, who, "lmt", "not a positive number");
		if (r->u.place.tif != TWS_TIF_DAY && r->u.place.tif != TWS_TIF_GTC)
			return fail(err, who, "tif", "%d is not DAY or GTC",
			    r->u.place.tif);
		if (r->u.place.client_id < -1)
			return fail(err, who, "client_id", "%d is not >= 0",
			    r->u.place.client_id);
		return 0;
	case JREC_STATUS:
		if (check_order_id(who, r->u.status.order_id, err) < 0)
			return -1;
		if (!status_ok(r->u.status.status))
			return fail(err, who, "status", "not an order status");
		if (check_decimal(who, "filled", r->u.status.filled, 0, err) < 0 ||
		    check_decimal(who, "remaining", r->u.status.remaining, 0,
		    err) < 0)
			return -1;
		return check_real(who, "avg_fill_price",
		    r->u.status.avg_fill_price, err);
	case JREC_FILL:
		if (check_order_id(who, r->u.fill.order_id, err) < 0 ||
		    check_word(who, "exec_id", r->u.fill.exec_id,
		    strnlen(r->u.fill.exec_id, sizeof(r->u.fill.exec_id)), 1,
		    TWS_ORD_STR - 1, err) < 0)
			return -1;
		if (r->u.fill.side != TWS_ACTION_BUY &&
		    r->u.fill.side != TWS_ACTION_SELL)
			return fail(err, who, "side", "%d is not BOT or SLD",
			    r->u.fill.side);
		if (check_decimal(who, "shares", r->u.fill.shares, 1, err) < 0 ||
		    check_real(who, "price", r->u.fill.price, err) < 0 ||
		    check_word(who, "time", r->u.fill.time,
		    strnlen(r->u.fill.time, sizeof(r->u.fill.time)), 0,
		    TWS_ORD_STR - 1, err) < 0 ||
		    check_word(who, "ref", r->u.fill.ref, strnlen(r->u.fill.ref,
		    sizeof(r->u.fill.ref)), 0, TWS_ORD_REF - 1, err) < 0)
			return -1;
		return 0;
	case JREC_COMMISSION:
		if (check_word(who, "exec_id", r->u.commission.exec_id,
		    strnlen(r->u.commission.exec_id,
		    sizeof(r->u.commission.exec_id)), 1, TWS_ORD_STR - 1,
		    err) < 0 ||
		    check_real(who, "commission", r->u.commission.commission,
		    err) < 0)
			return -1;
		if (r->u.commission.has_realized_pnl)
			return check_real(who, "realized_pnl",
			    r->u.commission.realized_pnl, err);
		return 0;
	case JREC_FINAL:
		if (check_order_id(who, r->u.final.order_id, err) < 0)
			return -1;
		if (r->u.final.state < JFINAL_FILLED ||
		    r->u.final.state > JFINAL_GONE)
			return fail(err, who, "state", "%d is not a final state",
			    r->u.final.state);
		if (strnlen(r->u.final.why, sizeof(r->u.final.why)) >
		    JOURNAL_WHY_MAX)
			return fail(err, who, "why", "longer than %d bytes",
			    JOURNAL_WHY_MAX);
		return 0;
	case JREC_RECONCILED:
		return check_count(who, "orders", r->u.reconciled.orders, err) < 0 ||
		    check_count(who, "fills_adopted",
		    r->u.reconciled.fills_adopted, err) < 0 ||
		    check_count(who, "problems", r->u.reconciled.problems, err) < 0
		    ? -1 : 0;
	case JREC_RESUME: {
		size_t n = strnlen(r->u.resume.who, sizeof(r->u.resume.who));

		if (n == 0)
			return fail(err, who, "who", "empty");
		if (n > JOURNAL_WHO_MAX)
			return fail(err, who, "who", "longer than %d bytes",
			    JOURNAL_WHO_MAX);
		return 0;
	}
	}
	return -1;
}

/* --- encoder --- */

/* Set key to v in o (v stolen); a NULL v marks failure. */
static void
put(json_t *o, const char *key, json_t *v, int *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		*ok = 0;
}

/* A JSON string of UTF-8 text; bytes that are not UTF-8 become '?'. */
static json_t *
text(const char *s)
{
	json_t *v;
	char *c;
	size_t i;

	if ((v = json_string(s)) != NULL || (c = strdup(s)) == NULL)
		return v;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}

static json_t *
real(double d, int *prec)
{
	int p = jsonval_real_precision(d);
	double a = fabs(d);

	/* as many digits as the integer part has, so 450 is written 450.0,
	 * not 4.5e2 (%g turns to an exponent when the precision is short) */
	while (p < 17 && a >= 10 && a >= pow(10, p))
		p++;

	if (p > *prec)
		*prec = p;
	return json_real(d);
}

int
journal_encode(const struct jrec *r, char *out, size_t cap,
    struct gw_err *err)
{
	json_t *o;
	char ts[80];
	int ok = 1, prec = 1;
	size_t n, flags;

	if (cap > 0)
		out[0] = '\0';
	if (check_record(r, err) < 0)
		return -1;
	format_ts(r->ts_ms, ts);
	if ((o = json_object()) == NULL)
		return gw_err_set(err, "%s: out of memory",
		    journal_kind_name(r->kind));
	put(o, "kind", json_string(kind_names[r->kind]), &ok);
	put(o, "ts", json_string(ts), &ok);
	switch (r->kind) {
	case JREC_PLACE:
		put(o, "day", json_string(r->u.place.day), &ok);
		put(o, "intent", json_string(r->u.place.intent), &ok);
		put(o, "ref", json_string(r->u.place.ref), &ok);
		put(o, "order_id", json_integer(r->u.place.order_id), &ok);
		put(o, "account", json_string(r->u.place.account), &ok);
		put(o, "symbol", json_string(r->u.place.symbol), &ok);
		put(o, "side", json_string(r->u.place.side == TWS_ACTION_BUY ?
		    "BUY" : "SELL"), &ok);
		put(o, "qty", json_string(r->u.place.qty), &ok);
		put(o, "type", json_string(r->u.place.type == TWS_ORDER_MKT ?
		    "MKT" : "LMT"), &ok);
		if (r->u.place.type == TWS_ORDER_LMT)
			put(o, "lmt", real(r->u.place.lmt, &prec), &ok);
		put(o, "tif", json_string(r->u.place.tif == TWS_TIF_DAY ?
		    "DAY" : "GTC"), &ok);
		if (r->u.place.client_id >= 0)
			put(o, "client_id", json_integer(r->u.place.client_id),
			    &ok);
		break;
	case JREC_STATUS:
		put(o, "order_id", json_integer(r->u.status.order_id), &ok);
		put(o, "status", json_string(r->u.status.status), &ok);
		put(o, "filled", json_string(r->u.status.filled), &ok);
		put(o, "remaining", json_string(r->u.status.remaining), &ok);
		put(o, "avg_fill_price", real(r->u.status.avg_fill_price, &prec),
		    &ok);
		break;
	case JREC_FILL:
		put(o, "order_id", json_integer(r->u.fill.order_id), &ok);
		put(o, "exec_id", json_string(r->u.fill.exec_id), &ok);
		put(o, "side", json_string(r->u.fill.side == TWS_ACTION_BUY ?
		    "BOT" : "SLD"), &ok);
		put(o, "shares", json_string(r->u.fill.shares), &ok);
		put(o, "price", real(r->u.fill.price, &prec), &ok);
		put(o, "time", json_string(r->u.fill.time), &ok);
		put(o, "ref", json_string(r->u.fill.ref), &ok);
		break;
	case JREC_COMMISSION:
		put(o, "exec_id", json_string(r->u.commission.exec_id), &ok);
		put(o, "commission", real(r->u.commission.commission, &prec),
		    &ok);
		if (r->u.commission.has_realized_pnl)
			put(o, "realized_pnl",
			    real(r->u.commission.realized_pnl, &prec), &ok);
		break;
	case JREC_FINAL:
		put(o, "order_id", json_integer(r->u.final.order_id), &ok);
		put(o, "state", json_string(final_names[r->u.final.state]), &ok);
		put(o, "why", text(r->u.final.why), &ok);
		break;
	case JREC_RECONCILED:
		put(o, "orders", json_integer(r->u.reconciled.orders), &ok);
		put(o, "fills_adopted", json_integer(r->u.reconciled.fills_adopted),
		    &ok);
		put(o, "ok", json_boolean(r->u.reconciled.ok), &ok);
		put(o, "problems", json_integer(r->u.reconciled.problems), &ok);
		break;
	case JREC_RESUME:
		put(o, "who", text(r->u.resume.who), &ok);
		break;
	}
	flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(prec);
	n = ok ? json_dumpb(o, NULL, 0, flags) : 0;
	if (n == 0 || n + 2 > cap || n + 1 > JOURNAL_LINE_MAX) {
		json_decref(o);
		if (!ok || n == 0)
			return gw_err_set(err, "%s: out of memory",
			    journal_kind_name(r->kind));
		return gw_err_set(err, "%s: the line (%zu bytes) does not fit "
		    "in %zu", journal_kind_name(r->kind), n + 1,
		    cap < JOURNAL_LINE_MAX ? cap - (cap > 0) :
		    (size_t)JOURNAL_LINE_MAX);
	}
	json_dumpb(o, out, n, flags);
	json_decref(o);
	out[n] = '\n';
	out[n + 1] = '\0';
	return (int)(n + 1);
}

/* --- decoder --- */

/* After a JSON_STRICT json_unpack_ex failed: the first unknown member. */
static int
unknown_member(const json_t *o, const char *who, const char *const *names,
    struct gw_err *err)
{
	char q[QUOTE_MAX + 1];

	if (jsonval_unknown_key(o, names, q, sizeof(q)) != NULL)
		return gw_err_set(err, "%s: unknown member '%s'", who, q);
	return gw_err_set(err, "%s: unexpected content", who);
}

static int
need(const char *who, const char *member, const json_t *v, int ok,
    const char *want, struct gw_err *err)
{
	if (v == NULL)
		return fail(err, who, member, "missing");
	if (!ok)
		return fail(err, who, member, "expected %s, got %s", want,
		    jsonval_type_name(v));
	return 0;
}

/* A string member checked as a word of min..max bytes, into dst. */
static int
get_word(const char *who, const char *member, const json_t *v, size_t min,
    size_t max, char *dst, struct gw_err *err)
{
	if (need(who, member, v, json_is_string(v), "a string", err) < 0 ||
	    check_word(who, member, json_string_value(v), json_string_length(v),
	    min, max, err) < 0)
		return -1;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* UTF-8 text of min..max bytes (jansson checked the UTF-8; no NUL:
 * JSON_ALLOW_NUL is not given). */
static int
get_text(const char *who, const char *member, const json_t *v, size_t min,
    size_t max, char *dst, struct gw_err *err)
{
	size_t n;

	if (need(who, member, v, json_is_string(v), "a string", err) < 0)
		return -1;
	n = json_string_length(v);
	if (n < min)
		return fail(err, who, member, "empty");
	if (n > max)
		return fail(err, who, member, "longer than %zu bytes", max);
	memcpy(dst, json_string_value(v), n + 1);
	return 0;
}

static int
get_decimal(const char *who, const char *member, const json_t *v,
    int positive, char dst[TWS_ORD_QTY], struct gw_err *err)
{
	char q[QUOTE_MAX + 1];

	if (need(who, member, v, json_is_string(v), "a string", err) < 0)
		return -1;
	if (json_string_length(v) >= TWS_ORD_QTY) {
		gw_err_quote(q, sizeof(q), json_string_value(v),
		    json_string_length(v));
		return fail(err, who, member, "'%s' is not a decimal number", q);
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return check_decimal(who, member, dst, positive, err);
}

static int
get_real(const char *who, const char *member, const json_t *v, double *dst,
    struct gw_err *err)
{
	if (need(who, member, v, json_is_number(v), "a number", err) < 0)
		return -1;
	*dst = json_number_value(v);
	return check_real(who, member, *dst, err);
}

static int
get_int(const char *who, const char *member, const json_t *v,
    long long *dst, struct gw_err *err)
{
	if (need(who, member, v, json_is_integer(v), "an integer", err) < 0)
		return -1;
	*dst = json_integer_value(v);
	return 0;
}

/* A string that must be one of names (index 1.. into *dst; names[0] is
 * unused when first is 1). */
static int
get_enum(const char *who, const char *member, const json_t *v,
    const char *const *names, int first, int count, const char *list,
    int *dst, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	int i;

	if (need(who, member, v, json_is_string(v), "a string", err) < 0)
		return -1;
	for (i = first; i < first + count; i++)
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*dst = i;
			return 0;
		}
	jsonval_quote(q, sizeof(q), v);
	return fail(err, who, member, "'%s' is not %s", q, list);
}

static const char *const buy_sell[] = { NULL, "BUY", "SELL" };
static const char *const bot_sld[] = { NULL, "BOT", "SLD" };
static const char *const mkt_lmt[] = { NULL, "MKT", "LMT" };
static const char *const day_gtc[] = { NULL, "DAY", "GTC" };

static int
decode_place(json_t *o, struct jrec *r, struct gw_err *err)
{
	json_t *k, *day = NULL, *intent = NULL, *ref = NULL, *id = NULL;
	json_t *acct = NULL, *sym = NULL, *side = NULL, *qty = NULL;
	json_t *type = NULL, *lmt = NULL, *tif = NULL, *cid = NULL;
	static const char who[] = "place";
	char q[QUOTE_MAX + 1];
	long long client_id = -1;

	if (json_unpack_ex(o, NULL, JSON_STRICT, "{s:o, s:o, s?o, s?o, s?o, "
	    "s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o}", "kind", &k, "ts",
	    &k, "day", &day, "intent", &intent, "ref", &ref, "order_id", &id,
	    "account", &acct, "symbol", &sym, "side", &side, "qty", &qty,
	    "type", &type, "lmt", &lmt, "tif", &tif, "client_id", &cid) < 0)
		return unknown_member(o, who, place_keys, err);
	if (need(who, "day", day, json_is_string(day), "a string", err) < 0)
		return -1;
	if (json_string_length(day) != 10)
		return fail(err, who, "day", "'%s' is not a date yyyy-mm-dd",
		    jsonval_quote(q, sizeof(q), day));
	memcpy(r->u.place.day, json_string_value(day), 11);
	if (check_day(who, r->u.place.day, err) < 0 ||
	    get_word(who, "intent", intent, 1, JOURNAL_INTENT_MAX,
	    r->u.place.intent, err) < 0 ||
	    get_word(who, "ref", ref, 1, TWS_ORD_REF - 1, r->u.place.ref,
	    err) < 0 ||
	    get_int(who, "order_id", id, &r->u.place.order_id, err) < 0 ||
	    check_order_id(who, r->u.place.order_id, err) < 0 ||
	    get_word(who, "account", acct, 1, TWS_ORD_STR - 1,
	    r->u.place.account, err) < 0 ||
	    get_word(who, "symbol", sym, 1, TWS_ORD_STR - 1, r->u.place.symbol,
	    err) < 0 ||
	    get_enum(who, "side", side, buy_sell, 1, 2, "BUY or SELL",
	    &r->u.place.side, err) < 0 ||
	    get_decimal(who, "qty", qty, 1, r->u.place.qty, err) < 0 ||
	    get_enum(who, "type", type, mkt_lmt, 1, 2, "MKT or LMT",
	    &r->u.place.type, err) < 0)
		return -1;
	if (r->u.place.type == TWS_ORDER_LMT) {
		if (get_real(who, "lmt", lmt, &r->u.place.lmt, err) < 0)
			return -1;
		if (!(r->u.place.lmt > 0))
			return fail(err, who, "lmt", "not a positive number");
	} else if (lmt != NULL)
		return fail(err, who, "lmt", "not allowed for MKT");
	/* client_id: optional, so that journals written before it was
	 * recorded still load (their orders match any client) */
	if (cid != NULL) {
		if (get_int(who, "client_id", cid, &client_id, err) < 0)
			return -1;
		if (client_id < 0 || client_id > INT_MAX)
			return fail(err, who, "client_id", "%lld is not "
			    "0..2147483647", client_id);
	}
	r->u.place.client_id = (int)client_id;
	return get_enum(who, "tif", tif, day_gtc, 1, 2, "DAY or GTC",
	    &r->u.place.tif, err);
}

static int
decode_status(json_t *o, struct jrec *r, struct gw_err *err)
{
	json_t *k, *id = NULL, *st = NULL, *filled = NULL, *rem = NULL;
	json_t *avg = NULL;
	static const char who[] = "status";
	char q[QUOTE_MAX + 1];

	if (json_unpack_ex(o, NULL, JSON_STRICT, "{s:o, s:o, s?o, s?o, s?o, "
	    "s?o, s?o}", "kind", &k, "ts", &k, "order_id", &id, "status", &st,
	    "filled", &filled, "remaining", &rem, "avg_fill_price", &avg) < 0)
		return unknown_member(o, who, status_keys, err);
	if (get_int(who, "order_id", id, &r->u.status.order_id, err) < 0 ||
	    check_order_id(who, r->u.status.order_id, err) < 0 ||
	    need(who, "status", st, json_is_string(st), "a string", err) < 0)
		return -1;
	if (!status_ok(json_string_value(st)) ||
	    json_string_length(st) >= sizeof(r->u.status.status))
		return fail(err, who, "status", "'%s' is not an order status",
		    jsonval_quote(q, sizeof(q), st));
	memcpy(r->u.status.status, json_string_value(st),
	    json_string_length(st) + 1);
	if (get_decimal(who, "filled", filled, 0, r->u.status.filled, err) < 0 ||
	    get_decimal(who, "remaining", rem, 0, r->u.status.remaining,
	    err) < 0)
		return -1;
	return get_real(who, "avg_fill_price", avg, &r->u.status.avg_fill_price,
	    err);
}

static int
decode_fill(json_t *o, struct jrec *r, struct gw_err *err)
{
	json_t *k, *id = NULL, *xid = NULL, *side = NULL, *shares = NULL;
	json_t *price = NULL, *time = NULL, *ref = NULL;
	static const char who[] = "fill";

	if (json_unpack_ex(o, NULL, JSON_STRICT, "{s:o, s:o, s?o, s?o, s?o, "
	    "s?o, s?o, s?o, s?o}", "kind", &k, "ts", &k, "order_id", &id,
	    "exec_id", &xid, "side", &side, "shares", &shares, "price", &price,
	    "time", &time, "ref", &ref) < 0)
		return unknown_member(o, who, fill_keys, err);
	if (get_int(who, "order_id", id, &r->u.fill.order_id, err) < 0 ||
	    check_order_id(who, r->u.fill.order_id, err) < 0 ||
	    get_word(who, "exec_id", xid, 1, TWS_ORD_STR - 1, r->u.fill.exec_id,
	    err) < 0 ||
	    get_enum(who, "side", side, bot_sld, 1, 2, "BOT or SLD",
	    &r->u.fill.side, err) < 0 ||
	    get_decimal(who, "shares", shares, 1, r->u.fill.shares, err) < 0 ||
	    get_real(who, "price", price, &r->u.fill.price, err) < 0 ||
	    get_word(who, "time", time, 0, TWS_ORD_STR - 1, r->u.fill.time,
	    err) < 0)
		return -1;
	return get_word(who, "ref", ref, 0, TWS_ORD_REF - 1, r->u.fill.ref, err);
}

static int
decode_commission(json_t *o, struct jrec *r, struct gw_err *err)
{
	json_t *k, *xid = NULL, *comm = NULL, *pnl = NULL;
	static const char who[] = "commission";

	if (json_unpack_ex(o, NULL, JSON_STRICT, "{s:o, s:o, s?o, s?o, s?o}",
	    "kind", &k, "ts", &k, "exec_id", &xid, "commission", &comm,
	    "realized_pnl", &pnl) < 0)
		return unknown_member(o, who, commission_keys, err);
	if (get_word(who, "exec_id", xid, 1, TWS_ORD_STR - 1,
	    r->u.commission.exec_id, err) < 0 ||
	    get_real(who, "commission", comm, &r->u.commission.commission,
	    err) < 0)
		return -1;
	if (pnl == NULL)
		return 0;
	r->u.commission.has_realized_pnl = 1;
	return get_real(who, "realized_pnl", pnl,
	    &r->u.commission.realized_pnl, err);
}

static int
decode_final(json_t *o, struct jrec *r, struct gw_err *err)
{
	json_t *k, *id = NULL, *state = NULL, *why = NULL;
	static const char who[] = "final";

	if (json_unpack_ex(o, NULL, JSON_STRICT, "{s:o, s:o, s?o, s?o, s?o}",
	    "kind", &k, "ts", &k, "order_id", &id, "state", &state, "why",
	    &why) < 0)
		return unknown_member(o, who, final_keys, err);
	if (get_int(who, "order_id", id, &r->u.final.order_id, err) < 0 ||
	    check_order_id(who, r->u.final.order_id, err) < 0 ||
	    get_enum(who, "state", state, final_names, 1, 4,
	    "filled, cancelled, rejected or gone", &r->u.final.state, err) < 0)
		return -1;
	return get_text(who, "why", why, 0, JOURNAL_WHY_MAX, r->u.final.why,
	    err);
}

static int
decode_reconciled(json_t *o, struct jrec *r, struct gw_err *err)
{
	json_t *k, *orders = NULL, *adopted = NULL, *ok = NULL, *probs = NULL;
	static const char who[] = "reconciled";

	if (json_unpack_ex(o, NULL, JSON_STRICT, "{s:o, s:o, s?o, s?o, s?o, "
	    "s?o}", "kind", &k, "ts", &k, "orders", &orders, "fills_adopted",
	    &adopted, "ok", &ok, "problems", &probs) < 0)
		return unknown_member(o, who, reconciled_keys, err);
	if (get_int(who, "orders", orders, &r->u.reconciled.orders, err) < 0 ||
	    check_count(who, "orders", r->u.reconciled.orders, err) < 0 ||
	    get_int(who, "fills_adopted", adopted,
	    &r->u.reconciled.fills_adopted, err) < 0 ||
	    check_count(who, "fills_adopted", r->u.reconciled.fills_adopted,
	    err) < 0 ||
	    need(who, "ok", ok, json_is_boolean(ok), "a boolean", err) < 0)
		return -1;
	r->u.reconciled.ok = json_is_true(ok);
	if (get_int(who, "problems", probs, &r->u.reconciled.problems, err) < 0)
		return -1;
	return check_count(who, "problems", r->u.reconciled.problems, err);
}

static int
decode_resume(json_t *o, struct jrec *r, struct gw_err *err)
{
	json_t *k, *w = NULL;
	static const char who[] = "resume";

	if (json_unpack_ex(o, NULL, JSON_STRICT, "{s:o, s:o, s?o}", "kind", &k,
	    "ts", &k, "who", &w) < 0)
		return unknown_member(o, who, resume_keys, err);
	return get_text(who, "who", w, 1, JOURNAL_WHO_MAX, r->u.resume.who,
	    err);
}

static int
decode(json_t *root, struct jrec *r, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	const char *who;
	json_t *k, *ts;
	int i;

	if (!json_is_object(root))
		return gw_err_set(err, "expected a JSON object, got %s",
		    jsonval_type_name(root));
	if ((k = json_object_get(root, "kind")) == NULL)
		return gw_err_set(err, "kind: missing");
	if (!json_is_string(k))
		return gw_err_set(err, "kind: expected a string, got %s",
		    jsonval_type_name(k));
	for (i = JREC_PLACE; i <= JREC_RESUME; i++)
		if (strcmp(json_string_value(k), kind_names[i]) == 0)
			break;
	if (i > JREC_RESUME)
		return gw_err_set(err, "kind: '%s' is not one of " KIND_LIST,
		    jsonval_quote(q, sizeof(q), k));
	r->kind = (enum jrec_kind)i;
	who = kind_names[i];
	ts = json_object_get(root, "ts");
	if (need(who, "ts", ts, json_is_string(ts), "a string", err) < 0)
		return -1;
	if (parse_ts(json_string_value(ts), &r->ts_ms) < 0)
		return fail(err, who, "ts", "'%s' is not RFC 3339 UTC with "
		    "milliseconds (2026-12-07T14:31:02.123Z)",
		    jsonval_quote(q, sizeof(q), ts));
	switch (r->kind) {
	case JREC_PLACE:
		return decode_place(root, r, err);
	case JREC_STATUS:
		return decode_status(root, r, err);
	case JREC_FILL:
		return decode_fill(root, r, err);
	case JREC_COMMISSION:
		return decode_commission(root, r, err);
	case JREC_FINAL:
		return decode_final(root, r, err);
	case JREC_RECONCILED:
		return decode_reconciled(root, r, err);
	case JREC_RESUME:
		return decode_resume(root, r, err);
	}
	return -1;
}

int
journal_decode_line(const char *line, size_t len, struct jrec *r,
    struct gw_err *err)
{
	json_t *root;
	int rc;

	memset(r, 0, sizeof(*r));
	if (line == NULL)
		len = 0;
	if (len == 0)
		return gw_err_set(err, "empty line");
	if (len >= JOURNAL_LINE_MAX)
		return gw_err_set(err, "line longer than %d bytes",
		    JOURNAL_LINE_MAX - 1);
	if ((root = jsonval_load_line(line, len, 0, err)) == NULL)
		return -1;
	rc = decode(root, r, err);
	json_decref(root);
	if (rc < 0)
		memset(r, 0, sizeof(*r));
	return rc;
}

/* --- the file --- */

struct journal {
	int fd;
	off_t size;			/* bytes of whole, durable-or-pending lines */
	int broken;			/* appends refused; why in broken_why */
	char broken_why[GW_ERR_MAX];
	struct journal_stats stats;
	char path[];
};

/* mkdir -p the directory part of path (0700 for what it creates). */
static int
make_dirs(const char *path, struct gw_err *err)
{
	char *d = strdup(path), *p;
	int rc = 0;

	if (d == NULL)
		return gw_err_set(err, "journal %s: out of memory", path);
	if ((p = strrchr(d, '/')) == NULL || p == d) {
		free(d);
		return 0;
	}
	*p = '\0';
	for (p = d + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			rc = gw_err_set(err, "journal %s: mkdir %s: %s", path, d,
			    strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	free(d);
	return rc;
}

/* fsync the directory holding path (a new file's name is durable). */
static int
sync_dir(const char *path, struct gw_err *err)
{
	char *d = strdup(path), *p;
	int fd, rc = 0;

	if (d == NULL)
		return gw_err_set(err, "journal %s: out of memory", path);
	p = strrchr(d, '/');
	if (p == NULL)
		strcpy(d, ".");
	else if (p == d)
		p[1] = '\0';
	else
		*p = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(fd) < 0)
		rc = gw_err_set(err, "journal %s: fsync of directory %s: %s",
		    path, d, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(d);
	return rc;
}

#define WALK_CHUNK (64 * 1024)	/* read window: > JOURNAL_LINE_MAX */

/*
 * Walk the first size bytes of the file line by line, read through a
 * window of WALK_CHUNK bytes (memory stays flat whatever the journal's
 * size): each line decoded, and through cb when replay is set. *good gets
 * the length of the leading whole, decodable lines; a torn last line is
 * described in info. -1 for a bad line that is not last, a read error or
 * a refusal of cb.
 */
static int
walk(struct journal *j, size_t size, int replay, journal_replay_cb cb,
    void *arg, struct journal_open_info *info, size_t *good,
    struct gw_err *err)
{
	char *buf;
	size_t base = 0, have = 0, pos = 0, len;
	unsigned long line = 1;
	const char *nl;
	struct gw_err e;
	struct jrec r;
	ssize_t n;
	int rc = -1;

	if (size > (size_t)JOURNAL_FILE_MAX)
		return gw_err_set(err, "journal %s: %zu bytes, more than the %ld "
		    "a journal may have: move it aside", j->path, size,
		    JOURNAL_FILE_MAX);
	if ((buf = malloc(WALK_CHUNK + 1)) == NULL)
		return gw_err_set(err, "journal %s: out of memory", j->path);
	for (;;) {
		nl = pos < have ? memchr(buf + pos, '\n', have - pos) : NULL;
		if (nl == NULL && base + have < size) {
			/* more to read: keep the partial line, fill the window */
			memmove(buf, buf + pos, have - pos);
			base += pos;
			have -= pos;
			pos = 0;
			if (have == WALK_CHUNK) {
				gw_err_set(err, "journal %s line %lu: longer than "
				    "%d bytes", j->path, line, WALK_CHUNK);
				goto out;
			}
			n = pread(j->fd, buf + have, WALK_CHUNK - have,
			    (off_t)(base + have));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				gw_err_set(err, "journal %s: read: %s", j->path,
				    n < 0 ? strerror(errno) :
				    "file shrank while read");
				goto out;
			}
			have += (size_t)n;
			if (base + have > size)
				have = size - base;
			continue;
		}
		if (pos >= have)
			break;			/* every line read */
		if (nl == NULL) {
			info->torn = 1;
			info->torn_line = line;
			info->torn_bytes = have - pos;
			snprintf(info->torn_why, sizeof(info->torn_why),
			    "no end of line");
			break;
		}
		len = (size_t)(nl - (buf + pos));
		if (journal_decode_line(buf + pos, len, &r, &e) < 0) {
			if (base + (size_t)(nl - buf) + 1 == size) {
				info->torn = 1;
				info->torn_line = line;
				info->torn_bytes = have - pos;
				snprintf(info->torn_why, sizeof(info->torn_why),
				    "%s", e.msg);
				break;
			}
			gw_err_set(err, "journal %s line %lu: %s", j->path, line,
			    e.msg);
			goto out;
		}
		if (replay && cb != NULL) {
			e.msg[0] = '\0';
			if (cb(arg, &r, line, &e) < 0) {
				gw_err_set(err, "journal %s line %lu: %s",
				    j->path, line, e.msg[0] ? e.msg : "refused");
				goto out;
			}
		}
		if (replay)
			info->records++;
		pos += len + 1;
		line++;
	}
	*good = base + pos;
	rc = 0;
out:
	free(buf);
	return rc;
}

struct journal *
journal_open(const char *path, journal_replay_cb cb, void *arg,
    struct journal_open_info *info, struct gw_err *err)
{
	struct journal_open_info local;
	struct journal *j = NULL;
	struct stat st;
	size_t good;
	int flags;

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (path == NULL || path[0] == '\0') {
		gw_err_set(err, "journal: empty path");
		return NULL;
	}
	if ((j = calloc(1, sizeof(*j) + strlen(path) + 1)) == NULL) {
		gw_err_set(err, "journal %s: out of memory", path);
		return NULL;
	}
	strcpy(j->path, path);
	j->fd = -1;
	if (make_dirs(path, err) < 0)
		goto fail;
	/* O_NONBLOCK: a FIFO must not block the open; refused below */
	flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	j->fd = open(path, flags);
	if (j->fd < 0 && errno == ENOENT) {
		j->fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		info->created = j->fd >= 0;
	}
	if (j->fd < 0) {
		gw_err_set(err, "journal %s: %s", path, errno == EISDIR ?
		    "not a regular file" : strerror(errno));
		goto fail;
	}
	if (fstat(j->fd, &st) < 0) {
		gw_err_set(err, "journal %s: fstat: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		gw_err_set(err, "journal %s: not a regular file", path);
		goto fail;
	}
	if (fcntl(j->fd, F_SETFL, O_RDWR | O_APPEND) < 0) {
		gw_err_set(err, "journal %s: fcntl: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		gw_err_set(err, "journal %s: %s", path,
		    errno == EWOULDBLOCK ? "locked by another process (one "
		    "bot-core per journal)" : strerror(errno));
		goto fail;
	}
	if (info->created && sync_dir(path, err) < 0)
		goto fail;
	/* the size after the lock: nobody else writes it now */
	if (fstat(j->fd, &st) < 0) {
		gw_err_set(err, "journal %s: fstat: %s", path, strerror(errno));
		goto fail;
	}
	/* check every line before replaying any: a journal refused at
	 * line 900 must not have fed 899 records to the caller */
	if (walk(j, (size_t)st.st_size, 0, NULL, NULL, info, &good, err) < 0)
		goto fail;
	if (good < (size_t)st.st_size) {
		if (ftruncate(j->fd, (off_t)good) < 0 || fdatasync(j->fd) < 0) {
			gw_err_set(err, "journal %s: cutting the torn line %lu: "
			    "%s", path, info->torn_line, strerror(errno));
			goto fail;
		}
	}
	if (walk(j, good, 1, cb, arg, info, &good, err) < 0)
		goto fail;
	j->size = (off_t)good;
	info->bytes = j->size;
	return j;
fail:
	journal_close(j);
	return NULL;
}

int
journal_replay(struct journal *j, journal_replay_cb cb, void *arg,
    struct gw_err *err)
{
	struct journal_open_info info;
	size_t good;

	memset(&info, 0, sizeof(info));
	if (walk(j, (size_t)j->size, 1, cb, arg, &info, &good, err) < 0)
		return -1;
	if (info.torn)	/* appended past j->size by someone else: cannot be */
		return gw_err_set(err, "journal %s line %lu: %s", j->path,
		    info.torn_line, info.torn_why);
	return 0;
}

int
journal_append(struct journal *j, const struct jrec *r, struct gw_err *err)
{
	char line[JOURNAL_LINE_MAX + 1];
	struct gw_err e;
	size_t done = 0;
	int64_t t0;
	ssize_t n;
	int len;
	double ms;

	if (j->broken) {
		j->stats.failures++;
		return gw_err_set(err, "journal %s: %s", j->path, j->broken_why);
	}
	if ((len = journal_encode(r, line, sizeof(line), &e)) < 0) {
		j->stats.failures++;
		return gw_err_set(err, "journal %s: %s", j->path, e.msg);
	}
	while (done < (size_t)len) {
		n = write(j->fd, line + done, (size_t)len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : EIO;

			j->stats.failures++;
			/* a part of a line must not stay: the next record
			 * would follow it and make it a bad middle line */
			if (done > 0 && ftruncate(j->fd, j->size) < 0) {
				j->broken = 1;
				snprintf(j->broken_why, sizeof(j->broken_why),
				    "a partly written line could not be cut "
				    "off (%s): restart bot-core", strerror(errno));
			}
			return gw_err_set(err, "journal %s: write: %s", j->path,
			    strerror(saved));
		}
		done += (size_t)n;
	}
	t0 = clock_mono_ns();
	if (fdatasync(j->fd) < 0) {
		int saved = errno;

		/* after a failed fsync the page cache's state is not known
		 * (the kernel may have dropped the dirty pages): never trust
		 * this descriptor again */
		j->stats.failures++;
		j->broken = 1;
		snprintf(j->broken_why, sizeof(j->broken_why), "an earlier "
		    "fdatasync failed (%s): restart bot-core", strerror(saved));
		return gw_err_set(err, "journal %s: fdatasync: %s", j->path,
		    strerror(saved));
	}
	ms = clock_since_ms(t0);
	j->size += len;
	j->stats.appends++;
	j->stats.last_sync_ms = ms;
	j->stats.total_sync_ms += ms;
	if (ms > j->stats.max_sync_ms)
		j->stats.max_sync_ms = ms;
	return 0;
}

void
journal_get_stats(const struct journal *j, struct journal_stats *out)
{
	*out = j->stats;
}

const char *
journal_path(const struct journal *j)
{
	return j->path;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}
