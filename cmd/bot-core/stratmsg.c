/*
 * stratmsg: the strategy protocol's lines (docs/strategy-protocol.md).
 * The decoder reads what a strategy process writes: untrusted (any
 * language, any bug), so every malformed line gives one line naming the
 * problem and the caller treats it as fatal for that process. Parsed once
 * with jansson, copied into struct sm_msg, the json_t dropped. The
 * encoders write what bot-core sends: strict, compact, one object a line.
 */
#include "stratmsg.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonval.h"

#define QUOTE_MAX 40		/* bytes of input a message may quote */

static const char *const intent_keys[] = {
	"type", "id", "symbol", "side", "quantity", "order_type",
	"limit_price", "reason", NULL,
};
static const char *const log_keys[] = { "type", "level", "message", NULL };

/* "WHO: KEY: problem" (jsonval.h) */
#define fail jsonval_fail


/* After a JSON_STRICT json_unpack_ex failed: name the first unknown key in
 * line order. */
static int
unknown_key(struct gw_err *err, const char *who, const json_t *obj,
    const char *const *names)
{
	char q[QUOTE_MAX + 1];

	if (jsonval_unknown_key(obj, names, q, sizeof(q)) != NULL)
		return fail(err, who, NULL, "unknown key '%s'", q);
	return fail(err, who, NULL, "unexpected content");
}

/* A required string: 1..max bytes of printable ASCII, into dst. */
static int
get_word(const char *who, const char *key, const json_t *v, char *dst,
    size_t max, struct gw_err *err)
{
	const char *s;
	size_t i, n;

	if (v == NULL)
		return fail(err, who, key, "missing");
	if (!json_is_string(v))
		return fail(err, who, key, "expected a string, got %s",
		    jsonval_type_name(v));
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0)
		return fail(err, who, key, "empty");
	if (n > max)
		return fail(err, who, key, "longer than %zu bytes", max);
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return fail(err, who, key, "not printable ASCII");
	memcpy(dst, s, n + 1);
	return 0;
}

/* Free text (UTF-8, checked by jansson), cut to STRATMSG_TEXT_MAX bytes
 * on a character boundary so the cut text is still valid UTF-8 for the
 * event log. null or absent is "". */
static int
get_text(const char *who, const char *key, const json_t *v, int required,
    char dst[STRATMSG_TEXT_MAX + 1], struct gw_err *err)
{
	size_t n;

	dst[0] = '\0';
	if (v == NULL && required)
		return fail(err, who, key, "missing");
	if (v == NULL || (json_is_null(v) && !required))
		return 0;
	if (!json_is_string(v))
		return fail(err, who, key, "expected a string, got %s",
		    jsonval_type_name(v));
	n = json_string_length(v);
	if (n > STRATMSG_TEXT_MAX) {
		n = STRATMSG_TEXT_MAX;
		while (n > 0 &&
		    ((unsigned char)json_string_value(v)[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return 0;
}

static int
decode_intent(const json_t *o, struct sm_intent *in, struct gw_err *err)
{
	json_t *t, *id = NULL, *sym = NULL, *side = NULL, *qty = NULL;
	json_t *otype = NULL, *limit = NULL, *reason = NULL;
	static const char who[] = "intent";
	char q[QUOTE_MAX + 1];
	json_error_t jerr;
	const char *s;

	if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT,
	    "{s:o, s?o, s?o, s?o, s?o, s?o, s?o, s?o}", "type", &t, "id", &id,
	    "symbol", &sym, "side", &side, "quantity", &qty, "order_type",
	    &otype, "limit_price", &limit, "reason", &reason) < 0)
		return unknown_key(err, who, o, intent_keys);
	if (get_word(who, "id", id, in->id, STRATMSG_ID_MAX, err) < 0 ||
	    get_word(who, "symbol", sym, in->symbol, STRATMSG_SYMBOL_MAX,
	    err) < 0)
		return -1;

	if (side == NULL)
		return fail(err, who, "side", "missing");
	if (!json_is_string(side))
		return fail(err, who, "side", "expected a string, got %s",
		    jsonval_type_name(side));
	s = json_string_value(side);
	if (strcmp(s, "BUY") == 0)
		in->side = SM_BUY;
	else if (strcmp(s, "SELL") == 0)
		in->side = SM_SELL;
	else
		return fail(err, who, "side", "'%s' is not BUY or SELL",
		    jsonval_quote(q, QUOTE_MAX + 1, side));

	if (qty == NULL)
		return fail(err, who, "quantity", "missing");
	if (!json_is_number(qty))
		return fail(err, who, "quantity", "expected a number, got %s",
		    jsonval_type_name(qty));
	in->quantity = json_number_value(qty);

	if (otype == NULL)
		return fail(err, who, "order_type", "missing");
	if (!json_is_string(otype))
		return fail(err, who, "order_type", "expected a string, got %s",
		    jsonval_type_name(otype));
	s = json_string_value(otype);
	if (strcmp(s, "MKT") == 0)
		in->order_type = SM_MKT;
	else if (strcmp(s, "LMT") == 0)
		in->order_type = SM_LMT;
	else
		return fail(err, who, "order_type", "'%s' is not MKT or LMT",
		    jsonval_quote(q, QUOTE_MAX + 1, otype));

	if (limit != NULL && json_is_null(limit))
		limit = NULL;
	if (limit != NULL && !json_is_number(limit))
		return fail(err, who, "limit_price", "expected a number, got %s",
		    jsonval_type_name(limit));
	if (limit == NULL && in->order_type == SM_LMT)
		return fail(err, who, "limit_price", "needed for LMT");
	/* a market order with a price: the strategy believes something
	 * the order would not do */
	if (limit != NULL && in->order_type == SM_MKT)
		return fail(err, who, "limit_price", "not allowed for MKT");
	if (limit != NULL) {
		in->has_limit_price = 1;
		in->limit_price = json_number_value(limit);
	}
	return get_text(who, "reason", reason, 0, in->reason, err);
}

static int
decode_log(const json_t *o, struct sm_log *lg, struct gw_err *err)
{
	json_t *t, *level = NULL, *msg = NULL;
	static const char who[] = "log";
	char q[QUOTE_MAX + 1];
	json_error_t jerr;

	if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT, "{s:o, s?o, s?o}",
	    "type", &t, "level", &level, "message", &msg) < 0)
		return unknown_key(err, who, o, log_keys);
	lg->level = GW_INFO;
	if (level != NULL && !json_is_null(level)) {
		if (!json_is_string(level))
			return fail(err, who, "level", "expected a string, got %s",
			    jsonval_type_name(level));
		if (gw_level_parse(json_string_value(level), &lg->level) < 0)
			return fail(err, who, "level", "'%s' is not debug, info, "
			    "warning, error or critical",
			    jsonval_quote(q, QUOTE_MAX + 1, level));
	}
	return get_text(who, "message", msg, 1, lg->message, err);
}

static int
decode(const json_t *root, struct sm_msg *m, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	json_t *t;

	if (!json_is_object(root))
		return gw_err_set(err, "expected a JSON object, got %s",
		    jsonval_type_name(root));
	if ((t = json_object_get(root, "type")) == NULL)
		return gw_err_set(err, "type: missing");
	if (!json_is_string(t))
		return gw_err_set(err, "type: expected a string, got %s",
		    jsonval_type_name(t));
	if (strcmp(json_string_value(t), "intent") == 0) {
		m->type = SM_INTENT;
		return decode_intent(root, &m->u.intent, err);
	}
	if (strcmp(json_string_value(t), "log") == 0) {
		m->type = SM_LOG;
		return decode_log(root, &m->u.log, err);
	}
	return gw_err_set(err, "type: '%s' is not intent or log",
	    jsonval_quote(q, QUOTE_MAX + 1, t));
}

int
stratmsg_decode(const char *line, size_t len, struct sm_msg *m,
    struct gw_err *err)
{
	json_t *root;
	int rc;

	memset(m, 0, sizeof(*m));
	if (line == NULL)
		len = 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > STRATMSG_MAX_LINE)
		return gw_err_set(err, "line longer than %d bytes",
		    STRATMSG_MAX_LINE);
	if (len == 0)
		return gw_err_set(err, "empty line");
	if ((root = jsonval_load_line(line, len, JSON_DECODE_ANY, err)) ==
	    NULL)
		return -1;
	rc = decode(root, m, err);
	json_decref(root);
	if (rc < 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

/* Encoders. */

/* A JSON string of s; NULL is "", and bytes that are not UTF-8 (a reason
 * may quote the gateway) become '?' rather than failing the line. */
static json_t *
jstr(const char *s)
{
	json_t *v;
	char *c;
	size_t i;

	if (s == NULL)
		s = "";
	if ((v = json_string(s)) != NULL || (c = strdup(s)) == NULL)
		return v;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}

/* The fewest significant digits (%g) that read back as d: 450.12 prints
 * as "450.12", not "450.12000000000001". */
/* The largest real_precision over the reals in v (trusted, shallow). */
static int
max_precision(const json_t *v, int depth)
{
	const char *k;
	json_t *e;
	size_t i;
	int p = 1, q;

	if (json_is_real(v))
		return jsonval_real_precision(json_real_value(v));
	if (depth > 8)
		return 17;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			if ((q = max_precision(e, depth + 1)) > p)
				p = q;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if ((q = max_precision(e, depth + 1)) > p)
				p = q;
	}
	return p;
}

/* Set key to v in o; v's reference is stolen; a NULL v marks failure. */
static void
put(json_t *o, const char *key, json_t *v, int *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		*ok = 0;
}

/* o (stolen) as one compact line with its LF; precision as from
 * real_precision (the largest over o's reals: each still reads back). */
static char *
finish(json_t *o, int ok, int precision, size_t *len)
{
	size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(precision);
	char *out = NULL;
	size_t n;

	if (ok && o != NULL && (n = json_dumpb(o, NULL, 0, flags)) > 0 &&
	    (out = malloc(n + 2)) != NULL) {
		json_dumpb(o, out, n, flags);
		out[n] = '\n';
		out[n + 1] = '\0';
		if (len != NULL)
			*len = n + 1;
	}
	json_decref(o);
	return out;
}

static json_t *
new_msg(const char *type, int *ok)
{
	json_t *o = json_object();

	*ok = o != NULL;
	if (o != NULL)
		put(o, "type", json_string(type), ok);
	return o;
}

char *
stratmsg_hello(const char *version, const char *gameplan_json, int dry_run,
    const char *trading_mode, size_t *len)
{
	json_t *o, *plan = NULL;
	int ok;

	o = new_msg("hello", &ok);
	if (o == NULL)
		return NULL;
	put(o, "protocol", json_integer(STRATMSG_PROTOCOL), &ok);
	put(o, "version", jstr(version), &ok);
	if (gameplan_json != NULL)
		plan = json_loads(gameplan_json, 0, NULL);
	if (plan != NULL && !json_is_object(plan)) {
		json_decref(plan);
		plan = NULL;
	}
	put(o, "gameplan", plan != NULL ? plan : json_null(), &ok);
	put(o, "dry_run", json_boolean(dry_run), &ok);
	put(o, "trading_mode", jstr(trading_mode), &ok);
	return finish(o, ok, plan != NULL ? max_precision(plan, 0) : 1, len);
}

/* A price: null unless finite. */
static json_t *
price(double d, int *precision)
{
	int p;

	if (!isfinite(d))
		return json_null();
	if ((p = jsonval_real_precision(d)) > *precision)
		*precision = p;
	return json_real(d);
}

/* A size, volume or time: null when negative (unknown). */
static json_t *
count(long long n)
{
	return n < 0 ? json_null() : json_integer((json_int_t)n);
}

char *
stratmsg_tick(const struct sm_tick *t, size_t *len)
{
	int ok, precision = 1;
	json_t *o;

	o = new_msg("tick", &ok);
	if (o == NULL)
		return NULL;
	put(o, "symbol", jstr(t->symbol), &ok);
	put(o, "bid", price(t->bid, &precision), &ok);
	put(o, "ask", price(t->ask, &precision), &ok);
	put(o, "last", price(t->last, &precision), &ok);
	put(o, "bid_size", count(t->bid_size), &ok);
	put(o, "ask_size", count(t->ask_size), &ok);
	put(o, "last_size", count(t->last_size), &ok);
	put(o, "volume", count(t->volume), &ok);
	put(o, "ts_ms", count(t->ts_ms), &ok);
	put(o, "coalesced", json_integer(t->coalesced > (unsigned long)
	    LLONG_MAX ? LLONG_MAX : (json_int_t)t->coalesced), &ok);
	return finish(o, ok, precision, len);
}

char *
stratmsg_gate(int open, const char *reason, size_t *len)
{
	json_t *o;
	int ok;

	if ((o = new_msg("gate", &ok)) == NULL)
		return NULL;
	put(o, "open", json_boolean(open), &ok);
	put(o, "reason", jstr(reason), &ok);
	return finish(o, ok, 1, len);
}

char *
stratmsg_strategy(const char *active, const char *reason, size_t *len)
{
	json_t *o;
	int ok;

	if ((o = new_msg("strategy", &ok)) == NULL)
		return NULL;
	put(o, "active", jstr(active), &ok);
	put(o, "reason", jstr(reason), &ok);
	return finish(o, ok, 1, len);
}

char *
stratmsg_intent_result(const char *id, int accepted, const char *rule,
    size_t *len)
{
	json_t *o;
	int ok;

	if ((o = new_msg("intent_result", &ok)) == NULL)
		return NULL;
	put(o, "id", jstr(id), &ok);
	put(o, "accepted", json_boolean(accepted), &ok);
	put(o, "rule", jstr(rule), &ok);
	return finish(o, ok, 1, len);
}

char *
stratmsg_order(const struct sm_order *m, size_t *len)
{
	int ok, precision = 1;
	json_t *o;

	if ((o = new_msg("order", &ok)) == NULL)
		return NULL;
	put(o, "id", jstr(m->id), &ok);
	put(o, "order_id", json_integer(m->order_id), &ok);
	put(o, "symbol", jstr(m->symbol), &ok);
	put(o, "state", jstr(m->state), &ok);
	put(o, "from", jstr(m->from), &ok);
	put(o, "filled", price(m->filled, &precision), &ok);
	put(o, "why", jstr(m->why), &ok);
	return finish(o, ok, precision, len);
}

char *
stratmsg_fill(const struct sm_fill *m, size_t *len)
{
	int ok, precision = 1;
	json_t *o;

	if ((o = new_msg("fill", &ok)) == NULL)
		return NULL;
	put(o, "id", jstr(m->id), &ok);
	put(o, "order_id", json_integer(m->order_id), &ok);
	put(o, "symbol", jstr(m->symbol), &ok);
	put(o, "side", jstr(m->side), &ok);
	put(o, "shares", price(m->shares, &precision), &ok);
	put(o, "price", price(m->price, &precision), &ok);
	put(o, "filled", price(m->filled, &precision), &ok);
	put(o, "avg_price", price(m->avg_price, &precision), &ok);
	put(o, "exec_id", jstr(m->exec_id), &ok);
	return finish(o, ok, precision, len);
}
