/* Unit tests for bot-core's stratmsg: every decode error class with its
 * exact message, valid intents and logs, CR before LF, the line cap, and
 * each encoder's line parsed back with jansson (NaN and -1 as null). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "gameplan.h"
#include "stratmsg.h"

static int
decode(const char *s, struct sm_msg *m, struct gw_err *e)
{
	e->msg[0] = '\0';
	return stratmsg_decode(s, strlen(s), m, e);
}

static void
test_intent(void **state)
{
	struct sm_msg m;
	struct gw_err e;

	(void)state;
	assert_int_equal(decode("{\"type\":\"intent\",\"id\":\"i-1\","
	    "\"symbol\":\"SPY\",\"side\":\"BUY\",\"quantity\":1,"
	    "\"order_type\":\"MKT\"}", &m, &e), 0);
	assert_int_equal(m.type, SM_INTENT);
	assert_string_equal(m.u.intent.id, "i-1");
	assert_string_equal(m.u.intent.symbol, "SPY");
	assert_int_equal(m.u.intent.side, SM_BUY);
	assert_true(m.u.intent.quantity == 1.0);
	assert_int_equal(m.u.intent.order_type, SM_MKT);
	assert_int_equal(m.u.intent.has_limit_price, 0);
	assert_string_equal(m.u.intent.reason, "");
	/* LMT, every field, any key order; quantity and price are judged by
	 * the risk gate, not here */
	assert_int_equal(decode(" {\"reason\":\"mean reversion \\u00e9\","
	    "\"limit_price\":-3,\"order_type\":\"LMT\",\"quantity\":-2.5,"
	    "\"side\":\"SELL\",\"symbol\":\"spy\",\"id\":\"a b\","
	    "\"type\":\"intent\"} ", &m, &e), 0);
	assert_int_equal(m.u.intent.side, SM_SELL);
	assert_true(m.u.intent.quantity == -2.5);
	assert_int_equal(m.u.intent.order_type, SM_LMT);
	assert_int_equal(m.u.intent.has_limit_price, 1);
	assert_true(m.u.intent.limit_price == -3.0);
	assert_string_equal(m.u.intent.symbol, "spy");
	assert_string_equal(m.u.intent.id, "a b");
	assert_string_equal(m.u.intent.reason, "mean reversion \xc3\xa9");
	/* null for an optional field is absent */
	assert_int_equal(decode("{\"type\":\"intent\",\"id\":\"x\","
	    "\"symbol\":\"SPY\",\"side\":\"BUY\",\"quantity\":1,"
	    "\"order_type\":\"MKT\",\"limit_price\":null,\"reason\":null}",
	    &m, &e), 0);
	assert_int_equal(m.u.intent.has_limit_price, 0);
}

static void
test_log(void **state)
{
	struct sm_msg m;
	struct gw_err e;

	(void)state;
	assert_int_equal(decode("{\"type\":\"log\",\"message\":\"hi\"}", &m,
	    &e), 0);
	assert_int_equal(m.type, SM_LOG);
	assert_int_equal(m.u.log.level, GW_INFO);
	assert_string_equal(m.u.log.message, "hi");
	assert_int_equal(decode("{\"level\":\"warning\",\"type\":\"log\","
	    "\"message\":\"\"}", &m, &e), 0);
	assert_int_equal(m.u.log.level, GW_WARNING);
	assert_string_equal(m.u.log.message, "");
	assert_int_equal(decode("{\"type\":\"log\",\"level\":\"critical\","
	    "\"message\":\"x\"}", &m, &e), 0);
	assert_int_equal(m.u.log.level, GW_CRITICAL);
	assert_int_equal(decode("{\"type\":\"log\",\"level\":null,"
	    "\"message\":\"x\"}", &m, &e), 0);
	assert_int_equal(m.u.log.level, GW_INFO);
}

static void
test_cr_and_cap(void **state)
{
	static char line[STRATMSG_MAX_LINE + 3];
	static const char head[] = "{\"type\":\"log\",\"message\":\"";
	struct sm_msg m;
	struct gw_err e;
	size_t n;

	(void)state;
	assert_int_equal(decode("{\"type\":\"log\",\"message\":\"x\"}\r", &m,
	    &e), 0);
	assert_string_equal(m.u.log.message, "x");
	/* only one CR, only at the end */
	assert_int_equal(decode("{\"type\":\"log\",\"message\":\"x\"}\r\r", &m,
	    &e), 0);	/* the second is JSON whitespace */
	assert_int_equal(decode("{\"type\":\"log\",\r\"message\":\"x\"}", &m,
	    &e), 0);
	/* a line of exactly the cap, its CR not counted; the message cut to
	 * STRATMSG_TEXT_MAX bytes */
	memset(line, 'a', sizeof(line));
	memcpy(line, head, sizeof(head) - 1);
	n = STRATMSG_MAX_LINE;
	line[n - 2] = '"';
	line[n - 1] = '}';
	line[n] = '\r';
	assert_int_equal(stratmsg_decode(line, n, &m, &e), 0);
	assert_int_equal(strlen(m.u.log.message), STRATMSG_TEXT_MAX);
	assert_int_equal(stratmsg_decode(line, n + 1, &m, &e), 0);
	/* one byte more */
	line[n - 2] = 'a';
	line[n - 1] = '"';
	line[n] = '}';
	assert_int_equal(stratmsg_decode(line, n + 1, &m, &e), -1);
	assert_string_equal(e.msg, "line longer than 4096 bytes");
	line[n + 1] = '\r';
	assert_int_equal(stratmsg_decode(line, n + 2, &m, &e), -1);
	assert_string_equal(e.msg, "line longer than 4096 bytes");
}

/* A cut never splits a UTF-8 character. */
static void
test_cut_utf8(void **state)
{
	char line[2048];
	struct sm_msg m;
	struct gw_err e;
	size_t n, i;

	(void)state;
	n = (size_t)snprintf(line, sizeof(line),
	    "{\"type\":\"intent\",\"id\":\"x\",\"symbol\":\"S\",\"side\":\"BUY\","
	    "\"quantity\":1,\"order_type\":\"MKT\",\"reason\":\"a");
	for (i = 0; i < 300; i++) {	/* 1 + 600 bytes: the cut is at 511 */
		memcpy(line + n, "\xc3\xa9", 2);
		n += 2;
	}
	memcpy(line + n, "\"}", 3);
	assert_int_equal(decode(line, &m, &e), 0);
	assert_int_equal(strlen(m.u.intent.reason), STRATMSG_TEXT_MAX - 1);
	assert_memory_equal(m.u.intent.reason + STRATMSG_TEXT_MAX - 3,
	    "\xc3\xa9", 2);
}

struct bad {
	const char *in;
	const char *msg;
};

#define INTENT(s) "{\"type\":\"intent\"," s "}"
#define OK_ID "\"id\":\"i1\",\"symbol\":\"SPY\""
#define OK_SIDE OK_ID ",\"side\":\"BUY\",\"quantity\":1"

static const struct bad bad[] = {
	/* the line */
	{ "", "empty line" },
	{ "\r", "empty line" },
	{ "{\"type\":", "not JSON at column 8: unexpected token near end of file" },
	{ "hello", "not JSON at column 5: invalid token near 'hello'" },
	{ "{\"type\":\"log\"} {}",
	  "not JSON at column 16: end of file expected near '{'" },
	{ "{\"type\":\"log\",\"message\":\"\xff\"}",
	  "not JSON at column 25: unable to decode byte 0xff near '\"'" },
	{ "{\"type\":\"log\",\"message\":\"\\u0000\"}",
	  "not JSON at column 32: \\u0000 is not allowed in a string" },
	{ "{\"type\":\"log\",\"type\":\"log\"}",
	  "not JSON at column 20: duplicate object key near '\"type\"'" },
	{ "[]", "expected a JSON object, got an array" },
	{ "\"intent\"", "expected a JSON object, got a string" },
	{ "1.5", "expected a JSON object, got a real number" },
	{ "true", "expected a JSON object, got true" },
	/* type */
	{ "{}", "type: missing" },
	{ "{\"type\":1}", "type: expected a string, got an integer" },
	{ "{\"type\":\"order\"}", "type: 'order' is not intent or log" },
	{ "{\"type\":\"Intent\"}", "type: 'Intent' is not intent or log" },
	{ "{\"type\":\"tick\"}", "type: 'tick' is not intent or log" },
	/* intent */
	{ INTENT(OK_SIDE ",\"order_type\":\"MKT\",\"qty\":1"),
	  "intent: unknown key 'qty'" },
	{ "{\"type\":\"intent\"}", "intent: id: missing" },
	{ INTENT("\"id\":7"), "intent: id: expected a string, got an integer" },
	{ INTENT("\"id\":\"\""), "intent: id: empty" },
	{ INTENT("\"id\":\"0123456789012345678901234567890123456789"
	  "01234567890123456789012345\""), "intent: id: longer than 64 bytes" },
	{ INTENT("\"id\":\"a\\tb\""), "intent: id: not printable ASCII" },
	{ INTENT("\"id\":\"\\u00e9\""), "intent: id: not printable ASCII" },
	{ INTENT("\"id\":\"x\""), "intent: symbol: missing" },
	{ INTENT("\"id\":\"x\",\"symbol\":[]"),
	  "intent: symbol: expected a string, got an array" },
	{ INTENT("\"id\":\"x\",\"symbol\":\"\""), "intent: symbol: empty" },
	{ INTENT("\"id\":\"x\",\"symbol\":\"ABCDEFGHIJKLMNOP\""),
	  "intent: symbol: longer than 15 bytes" },
	{ INTENT("\"id\":\"x\",\"symbol\":\"S\\n\""),
	  "intent: symbol: not printable ASCII" },
	{ INTENT(OK_ID), "intent: side: missing" },
	{ INTENT(OK_ID ",\"side\":0"),
	  "intent: side: expected a string, got an integer" },
	{ INTENT(OK_ID ",\"side\":\"HOLD\""),
	  "intent: side: 'HOLD' is not BUY or SELL" },
	{ INTENT(OK_ID ",\"side\":\"buy\""),
	  "intent: side: 'buy' is not BUY or SELL" },
	{ INTENT(OK_ID ",\"side\":\"BUY\""), "intent: quantity: missing" },
	{ INTENT(OK_ID ",\"side\":\"BUY\",\"quantity\":\"1\""),
	  "intent: quantity: expected a number, got a string" },
	{ INTENT(OK_ID ",\"side\":\"BUY\",\"quantity\":null"),
	  "intent: quantity: expected a number, got null" },
	{ INTENT(OK_SIDE), "intent: order_type: missing" },
	{ INTENT(OK_SIDE ",\"order_type\":false"),
	  "intent: order_type: expected a string, got false" },
	{ INTENT(OK_SIDE ",\"order_type\":\"STP\""),
	  "intent: order_type: 'STP' is not MKT or LMT" },
	{ INTENT(OK_SIDE ",\"order_type\":\"LMT\""),
	  "intent: limit_price: needed for LMT" },
	{ INTENT(OK_SIDE ",\"order_type\":\"LMT\",\"limit_price\":null"),
	  "intent: limit_price: needed for LMT" },
	{ INTENT(OK_SIDE ",\"order_type\":\"LMT\",\"limit_price\":\"1.5\""),
	  "intent: limit_price: expected a number, got a string" },
	{ INTENT(OK_SIDE ",\"order_type\":\"MKT\",\"limit_price\":1.5"),
	  "intent: limit_price: not allowed for MKT" },
	{ INTENT(OK_SIDE ",\"order_type\":\"MKT\",\"reason\":{}"),
	  "intent: reason: expected a string, got an object" },
	/* log */
	{ "{\"type\":\"log\"}", "log: message: missing" },
	{ "{\"type\":\"log\",\"message\":null}",
	  "log: message: expected a string, got null" },
	{ "{\"type\":\"log\",\"message\":[\"x\"]}",
	  "log: message: expected a string, got an array" },
	{ "{\"type\":\"log\",\"message\":\"x\",\"fields\":{}}",
	  "log: unknown key 'fields'" },
	{ "{\"type\":\"log\",\"level\":3,\"message\":\"x\"}",
	  "log: level: expected a string, got an integer" },
	{ "{\"type\":\"log\",\"level\":\"loud\",\"message\":\"x\"}",
	  "log: level: 'loud' is not debug, info, warning, error or critical" },
	{ "{\"type\":\"log\",\"level\":\"WARNING\",\"message\":\"x\"}",
	  "log: level: 'WARNING' is not debug, info, warning, error or "
	  "critical" },
};

static void
test_malformed(void **state)
{
	struct sm_msg m, zero;
	struct gw_err e;
	size_t i;
	int wrong = 0;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode(bad[i].in, &m, &e) != -1 ||
		    strcmp(e.msg, bad[i].msg) != 0) {
			print_error("case %zu: %s\n  got:  %s\n  want: %s\n",
			    i, bad[i].in, e.msg, bad[i].msg);
			wrong++;
		}
		assert_memory_equal(&m, &zero, sizeof(m));
	}
	assert_int_equal(wrong, 0);
}

static void
test_nul(void **state)
{
	struct sm_msg m;
	struct gw_err e;

	(void)state;
	assert_int_equal(stratmsg_decode("{\"type\"\0:1}", 11, &m, &e), -1);
	assert_string_equal(e.msg, "NUL byte at offset 7");
	assert_int_equal(stratmsg_decode(NULL, 0, &m, &e), -1);
	assert_string_equal(e.msg, "empty line");
}

/* The line parsed back: one object, compact, ending in exactly one LF. */
static json_t *
parse_line(char *s, size_t len)
{
	json_error_t je;
	json_t *o;

	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	assert_true(len >= 2 && s[len - 1] == '\n');
	assert_null(memchr(s, '\n', len - 1));
	assert_null(strstr(s, ": "));
	o = json_loadb(s, len, 0, &je);
	assert_non_null(o);
	assert_true(json_is_object(o));
	free(s);
	return o;
}

static void
test_encode_tick(void **state)
{
	struct sm_tick t = { "SPY", 450.12, 450.13, 450.125, 300, 200, 100,
	    123456789, 1770732900123LL, 3 };
	json_t *o;
	char *s;
	size_t n;

	(void)state;
	s = stratmsg_tick(&t, &n);
	assert_string_equal(s, "{\"type\":\"tick\",\"symbol\":\"SPY\","
	    "\"bid\":450.12,\"ask\":450.13,\"last\":450.125,\"bid_size\":300,"
	    "\"ask_size\":200,\"last_size\":100,\"volume\":123456789,"
	    "\"ts_ms\":1770732900123,\"coalesced\":3}\n");
	o = parse_line(s, n);
	assert_true(json_real_value(json_object_get(o, "bid")) == 450.12);
	assert_true(json_real_value(json_object_get(o, "last")) == 450.125);
	json_decref(o);
	/* unknown: NaN prices, -1 sizes become null; an integral price is
	 * still a real; awkward reals read back exactly */
	t.bid = NAN;
	t.ask = 0.1 + 0.2;
	t.last = 451;
	t.bid_size = -1;
	t.volume = -1;
	t.ts_ms = -1;
	t.coalesced = 0;
	s = stratmsg_tick(&t, &n);
	o = parse_line(s, n);
	assert_true(json_is_null(json_object_get(o, "bid")));
	assert_true(json_real_value(json_object_get(o, "ask")) == 0.1 + 0.2);
	assert_true(json_is_real(json_object_get(o, "last")));
	assert_true(json_real_value(json_object_get(o, "last")) == 451.0);
	assert_true(json_is_null(json_object_get(o, "bid_size")));
	assert_int_equal(json_integer_value(json_object_get(o, "ask_size")),
	    200);
	assert_true(json_is_null(json_object_get(o, "volume")));
	assert_true(json_is_null(json_object_get(o, "ts_ms")));
	assert_int_equal(json_integer_value(json_object_get(o, "coalesced")),
	    0);
	assert_int_equal(json_object_size(o), 11);
	json_decref(o);
	/* all unknown */
	t.ask = t.last = INFINITY;
	t.ask_size = t.last_size = -1;
	s = stratmsg_tick(&t, &n);
	assert_string_equal(s, "{\"type\":\"tick\",\"symbol\":\"SPY\","
	    "\"bid\":null,\"ask\":null,\"last\":null,\"bid_size\":null,"
	    "\"ask_size\":null,\"last_size\":null,\"volume\":null,"
	    "\"ts_ms\":null,\"coalesced\":0}\n");
	free(s);
}

static void
test_encode_hello(void **state)
{
	struct gameplan gp;
	struct gw_err e;
	json_t *o, *plan;
	char *pj, *s;
	size_t n;
	int i;

	(void)state;
	s = stratmsg_hello("0.4.0", "{\"date\":\"2026-12-04\",\"strategy\":"
	    "\"C\",\"hard_limits\":{\"max_daily_loss_pct\":0.1}}", 1, "paper",
	    &n);
	assert_string_equal(s, "{\"type\":\"hello\",\"protocol\":1,"
	    "\"version\":\"0.4.0\",\"gameplan\":{\"date\":\"2026-12-04\","
	    "\"strategy\":\"C\",\"hard_limits\":{\"max_daily_loss_pct\":0.1}},"
	    "\"dry_run\":true,\"trading_mode\":\"paper\"}\n");
	free(s);
	/* no plan (missing) or not an object: null */
	s = stratmsg_hello("0.4.0", NULL, 0, "live", &n);
	o = parse_line(s, n);
	assert_true(json_is_null(json_object_get(o, "gameplan")));
	assert_true(json_is_false(json_object_get(o, "dry_run")));
	assert_string_equal(json_string_value(json_object_get(o,
	    "trading_mode")), "live");
	json_decref(o);
	s = stratmsg_hello("0.4.0", "[1", 1, "paper", &n);
	o = parse_line(s, n);
	assert_true(json_is_null(json_object_get(o, "gameplan")));
	json_decref(o);
	/* the largest plan (64 longest symbols, largest limits) from
	 * gameplan_json: the hello still fits in one STRATMSG_MAX_LINE line,
	 * and the plan in it parses back to the same struct */
	memset(&gp, 0, sizeof(gp));
	snprintf(gp.date, sizeof(gp.date), "2026-12-04");
	gp.strategy = GP_STRATEGY_A;
	gp.max_daily_loss_pct = 0.1 + 0.2;
	gp.max_single_position = GAMEPLAN_MAX_POSITION;
	gp.max_intents_per_minute = GAMEPLAN_MAX_RATE;
	gp.allow_outside_rth = 1;
	gp.n_symbols = GAMEPLAN_MAX_SYMBOLS;
	for (i = 0; i < GAMEPLAN_MAX_SYMBOLS; i++) {
		snprintf(gp.symbols[i].name, sizeof(gp.symbols[i].name),
		    "ABCDEFGHIJKL%03d", i);
		gp.symbols[i].max_position = GAMEPLAN_MAX_POSITION;
	}
	pj = gameplan_json(&gp);
	assert_non_null(pj);
	s = stratmsg_hello("0.4.0-rc.1+g0123456789ab", pj, 1, "paper", &n);
	free(pj);
	assert_true(n <= STRATMSG_MAX_LINE);
	o = parse_line(s, n);
	plan = json_object_get(o, "gameplan");
	pj = json_dumps(plan, JSON_COMPACT);
	assert_non_null(pj);
	{
		struct gameplan back;

		assert_int_equal(gameplan_parse(pj, strlen(pj), "2026-12-04",
		    &back, &e), 0);
		assert_memory_equal(&back, &gp, sizeof(gp));
	}
	free(pj);
	json_decref(o);
}

static void
test_encode_others(void **state)
{
	json_t *o;
	char *s;
	size_t n;

	(void)state;
	s = stratmsg_gate(1, "ok", &n);
	assert_string_equal(s, "{\"type\":\"gate\",\"open\":true,"
	    "\"reason\":\"ok\"}\n");
	assert_int_equal(n, strlen(s));
	free(s);
	s = stratmsg_gate(0, NULL, NULL);
	assert_string_equal(s, "{\"type\":\"gate\",\"open\":false,"
	    "\"reason\":\"\"}\n");
	free(s);
	/* quotes, control characters and bad UTF-8 in a reason */
	s = stratmsg_gate(0, "gateway said \"no\"\n\xff\xc3\xa9", &n);
	o = parse_line(s, n);
	assert_string_equal(json_string_value(json_object_get(o, "reason")),
	    "gateway said \"no\"\n???");
	json_decref(o);
	s = stratmsg_gate(0, "restart window \xc3\xa9", &n);
	o = parse_line(s, n);
	assert_string_equal(json_string_value(json_object_get(o, "reason")),
	    "restart window \xc3\xa9");
	json_decref(o);
	s = stratmsg_strategy("C", "halt", &n);
	assert_string_equal(s, "{\"type\":\"strategy\",\"active\":\"C\","
	    "\"reason\":\"halt\"}\n");
	free(s);
	s = stratmsg_intent_result("i-1", 0, "max-single-position", &n);
	assert_string_equal(s, "{\"type\":\"intent_result\",\"id\":\"i-1\","
	    "\"accepted\":false,\"rule\":\"max-single-position\"}\n");
	o = parse_line(s, n);
	assert_int_equal(json_object_size(o), 4);
	json_decref(o);
	s = stratmsg_intent_result("x\"y", 1, "ok", &n);
	o = parse_line(s, n);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
	    "x\"y");
	assert_true(json_is_true(json_object_get(o, "accepted")));
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intent),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_cr_and_cap),
		cmocka_unit_test(test_cut_utf8),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_encode_tick),
		cmocka_unit_test(test_encode_hello),
		cmocka_unit_test(test_encode_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
