/* Unit tests for lib/event: decode/validate/encode of the event record,
 * one test per malformed-input class with its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event.h"

#define HEAD "{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"info\"," \
	"\"source\":\"bot-core\",\"component\":\"gateway\","
#define GOOD HEAD "\"event\":\"gateway.up\",\"message\":\"m\""

static int
decode(const char *line, struct gw_event *ev, struct gw_err *e)
{
	return gw_event_decode(line, strlen(line), ev, e);
}

/* decode must fail with exactly msg and leave ev empty */
static void
expect_fail(const char *line, size_t len, const char *msg)
{
	struct gw_event ev;
	struct gw_err e;

	memset(&ev, 0xa5, sizeof(ev));
	e.msg[0] = '\0';
	if (gw_event_decode(line, len, &ev, &e) != -1)
		fail_msg("accepted: %s", line);
	if (strcmp(e.msg, msg) != 0)
		fail_msg("line  %s\nwant  %s\ngot   %s", line, msg, e.msg);
	assert_null(ev.source);
	assert_null(ev.message);
	assert_null(ev.fields);
	assert_int_equal(ev.n_fields, 0);
}

/* decode, encode, decode again: equal events, and encode is a fixed point */
static void
round_trip(const char *line)
{
	struct gw_event a, b;
	struct gw_err e;
	char *s1, *s2;

	if (decode(line, &a, &e) != 0)
		fail_msg("%s: %s", line, e.msg);
	s1 = gw_event_encode(&a);
	assert_non_null(s1);
	if (decode(s1, &b, &e) != 0)
		fail_msg("%s: %s", s1, e.msg);
	assert_true(gw_event_equal(&a, &b));
	s2 = gw_event_encode(&b);
	assert_non_null(s2);
	assert_string_equal(s1, s2);
	free(s2);
	free(s1);
	gw_event_clear(&b);
	gw_event_clear(&a);
}

static void
test_design_example(void **state)
{
	static const char line[] =
	    "{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"warning\","
	    "\"source\":\"bot-core\",\n \"component\":\"gateway\","
	    "\"event\":\"gateway.disconnected\",\"message\":\"Gateway closed the "
	    "API session\",\n \"fields\":{\"host\":\"gateway\",\"port\":4004,"
	    "\"attempt\":3}}";
	struct gw_event ev;
	struct gw_err e;
	char *s;

	(void)state;
	assert_int_equal(decode(line, &ev, &e), 0);
	assert_string_equal(ev.ts, "2026-02-10T14:15:00.123Z");
	assert_int_equal(ev.level, GW_WARNING);
	assert_string_equal(ev.source, "bot-core");
	assert_string_equal(ev.component, "gateway");
	assert_string_equal(ev.event, "gateway.disconnected");
	assert_string_equal(ev.message, "Gateway closed the API session");
	assert_int_equal(ev.n_fields, 3);
	assert_string_equal(ev.fields[0].name, "host");
	assert_string_equal(ev.fields[0].value, "gateway");
	assert_int_equal(ev.fields[0].kind, GW_FIELD_STRING);
	assert_string_equal(ev.fields[1].name, "port");
	assert_string_equal(ev.fields[1].value, "4004");
	assert_int_equal(ev.fields[1].kind, GW_FIELD_SCALAR);
	assert_string_equal(ev.fields[2].name, "attempt");
	assert_string_equal(ev.fields[2].value, "3");
	s = gw_event_encode(&ev);
	assert_string_equal(s,
	    "{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"warning\","
	    "\"source\":\"bot-core\",\"component\":\"gateway\","
	    "\"event\":\"gateway.disconnected\",\"message\":\"Gateway closed the "
	    "API session\",\"fields\":{\"host\":\"gateway\",\"port\":4004,"
	    "\"attempt\":3}}");
	free(s);
	gw_event_clear(&ev);
	gw_event_clear(&ev);	/* idempotent */
	round_trip(line);
}

static void
test_round_trip(void **state)
{
	(void)state;
	round_trip(GOOD "}");
	round_trip(GOOD ",\"fields\":{}}");
	round_trip(HEAD "\"event\":\"a.b-c.d_e\",\"message\":\"q\\\"b\\\\s\\/ "
	    "\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f \\u00e9 \\ud83d\\ude80\","
	    "\"fields\":{\"r\":0.1,\"big\":1e22,\"neg\":-0.0,\"tiny\":5e-324,"
	    "\"max\":1.7976931348623157e308,\"i\":-9223372036854775808,"
	    "\"t\":true,\"f\":false,\"n\":null,\"s\":\"\",\"u\":\"\\u2028\"}}");
	round_trip("{\"message\":\"\",\"event\":\"x.y\",\"component\":\"c\","
	    "\"source\":\"s\",\"level\":\"critical\",\"ts\":\"2026-12-31T23:59:60Z\"}");
}

/* Non-string values are kept as canonical JSON text. */
static void
test_number_text(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "4004", "4004" }, { "-0", "0" }, { "1.50", "1.5" },
		{ "1.0", "1.0" }, { "100.0", "1e2" }, { "1E+2", "1e2" },
		{ "0.1", "0.1" }, { "1e-7", "1e-7" }, { "-2.5e-300", "-2.5e-300" },
		{ "123456.0", "123456.0" }, { "-0.0", "-0.0" },
		{ "0.30000000000000004", "0.30000000000000004" },
		{ "true", "true" }, { "false", "false" }, { "null", "null" },
	};
	char line[256];
	struct gw_event ev;
	struct gw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), GOOD ",\"fields\":{\"v\":%s}}", t[i].in);
		assert_int_equal(decode(line, &ev, &e), 0);
		assert_int_equal(ev.fields[0].kind, GW_FIELD_SCALAR);
		assert_string_equal(ev.fields[0].value, t[i].out);
		gw_event_clear(&ev);
		round_trip(line);
	}
}

static void
test_malformed(void **state)
{
	static char long_event[400], long_key[140], long_name[400];
	static const struct { const char *line, *msg; } t[] = {
		/* not JSON */
		{ "", "not JSON: unexpected token near end of file at column 0" },
		{ "{\"ts\":", "not JSON: unexpected token near end of file at column 6" },
		{ GOOD "} x", "not JSON: end of file expected near 'x' at column 127" },
		{ GOOD ",\"fields\":{\"x\":1e400}}",
		    "not JSON: real number overflow near '1e400' at column 144" },
		{ "{\"a\":\"\\ud800\"}",
		    "not JSON: invalid Unicode '\\uD800' near '\"\\ud800\"' at column 13" },
		{ "{\n\"ts\":}", "not JSON: unexpected token near '}' at line 2 column 6" },
		{ "{\"a\":\"\001\"}", "not JSON: control character 0x1 near '\"' at column 6" },
		/* duplicates, not an object */
		{ GOOD ",\"level\":\"debug\"}",
		    "duplicate key \"level\" at column 132" },
		{ GOOD ",\"fields\":{\"a\":1,\"a\":2}}",
		    "duplicate key \"a\" at column 144" },
		{ "[1]", "not a JSON object" },
		{ "\"x\"", "not a JSON object" },
		{ "null", "not a JSON object" },
		/* keys: types, and a record with neither message nor event */
		{ "{}", "missing \"message\" and \"event\": a record needs at least one" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\"}",
		    "missing \"message\" and \"event\": a record needs at least one" },
		{ "{\"ts\":1}", "\"ts\" must be a string" },
		{ "{\"ts\":null,\"message\":\"m\"}", "\"ts\" must be a string" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":1}",
		    "\"level\" must be a string" },
		{ "{\"source\":true,\"message\":\"m\"}", "\"source\" must be a string" },
		{ HEAD "\"event\":\"gateway.up\",\"message\":null}",
		    "\"message\" must be a string" },
		{ HEAD "\"event\":[],\"message\":\"\"}", "\"event\" must be a string" },
		/* level */
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"loud\"}",
		    "\"level\": unknown level 'loud' (debug, info, warning, error or critical)" },
		{ "{\"level\":\"warnings\",\"message\":\"m\"}",
		    "\"level\": unknown level 'warnings' (debug, info, warning, error or critical)" },
		{ "{\"level\":\"\",\"message\":\"m\"}",
		    "\"level\": unknown level '' (debug, info, warning, error or critical)" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\\u0000x\"}",
		    "\"level\": unknown level 'info?x' (debug, info, warning, error or critical)" },
		{ "{\"level\":\"warn\\u0000\",\"message\":\"m\"}",
		    "\"level\": unknown level 'warn?' (debug, info, warning, error or critical)" },
		/* ts */
		{ "{\"ts\":\"2026-02-10_14:15:00Z\"}",
		    "\"ts\": '2026-02-10_14:15:00Z' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00\"}",
		    "\"ts\": '2026-02-10T14:15:00' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00+0200\"}",
		    "\"ts\": '2026-02-10T14:15:00+0200' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00+02\"}",
		    "\"ts\": '2026-02-10T14:15:00+02' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00+02:00Z\"}",
		    "\"ts\": '2026-02-10T14:15:00+02:00Z' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00ZZ\"}",
		    "\"ts\": '2026-02-10T14:15:00ZZ' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00.Z\"}",
		    "\"ts\": '2026-02-10T14:15:00.Z' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00,5Z\"}",
		    "\"ts\": '2026-02-10T14:15:00,5Z' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-2-10T14:15:00Z\"}",
		    "\"ts\": '2026-2-10T14:15:00Z' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\\u0000\"}",
		    "\"ts\": '2026-02-10T14:15:00Z?' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"\"}",
		    "\"ts\": '' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ "{\"ts\":\"2026-13-10T14:15:00Z\"}",
		    "\"ts\": month out of range in '2026-13-10T14:15:00Z'" },
		{ "{\"ts\":\"2026-00-10T14:15:00Z\"}",
		    "\"ts\": month out of range in '2026-00-10T14:15:00Z'" },
		{ "{\"ts\":\"2026-02-32T14:15:00Z\"}",
		    "\"ts\": day out of range in '2026-02-32T14:15:00Z'" },
		{ "{\"ts\":\"2026-02-00T14:15:00Z\"}",
		    "\"ts\": day out of range in '2026-02-00T14:15:00Z'" },
		{ "{\"ts\":\"2026-02-29T14:15:00Z\"}",	/* not a leap year */
		    "\"ts\": day out of range in '2026-02-29T14:15:00Z'" },
		{ "{\"ts\":\"2100-02-29T14:15:00Z\"}",
		    "\"ts\": day out of range in '2100-02-29T14:15:00Z'" },
		{ "{\"ts\":\"2026-04-31T14:15:00Z\"}",
		    "\"ts\": day out of range in '2026-04-31T14:15:00Z'" },
		{ "{\"ts\":\"2026-02-10T24:00:00Z\"}",
		    "\"ts\": hour out of range in '2026-02-10T24:00:00Z'" },
		{ "{\"ts\":\"2026-02-10T14:60:00Z\"}",
		    "\"ts\": minute out of range in '2026-02-10T14:60:00Z'" },
		{ "{\"ts\":\"2026-02-10T14:15:61.5Z\"}",
		    "\"ts\": second out of range in '2026-02-10T14:15:61.5Z'" },
		{ "{\"ts\":\"2026-02-10T14:15:00+24:00\"}",
		    "\"ts\": offset out of range in '2026-02-10T14:15:00+24:00'" },
		{ "{\"ts\":\"2026-02-10T14:15:00-05:60\"}",
		    "\"ts\": offset out of range in '2026-02-10T14:15:00-05:60'" },
		{ "{\"ts\":\"0000-01-01T00:30:00+01:00\"}",
		    "\"ts\": '0000-01-01T00:30:00+01:00' is outside years 0000..9999 in UTC" },
		{ "{\"ts\":\"9999-12-31T23:30:00-01:00\"}",
		    "\"ts\": '9999-12-31T23:30:00-01:00' is outside years 0000..9999 in UTC" },
		/* source, component */
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\",\"source\":\"\"}",
		    "\"source\": '' is not 1..64 bytes of [A-Za-z0-9_.-]" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\","
		    "\"source\":\"bot core\"}",
		    "\"source\": 'bot core' is not 1..64 bytes of [A-Za-z0-9_.-]" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\",\"source\":"
		    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
		    "\"source\": 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is not "
		    "1..64 bytes of [A-Za-z0-9_.-]" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\",\"source\":\"s\","
		    "\"component\":\"gate/way\"}",
		    "\"component\": 'gate/way' is not 0..64 bytes of [A-Za-z0-9_.-]" },
		{ "{\"ts\":\"2026-02-10T14:15:00Z\",\"level\":\"info\",\"source\":\"s\","
		    "\"component\":\"g\\u00e9\"}",
		    "\"component\": 'g?" "?' is not 0..64 bytes of [A-Za-z0-9_.-]" },
		/* event */
		{ HEAD "\"event\":\"gateway\"}",
		    "\"event\": 'gateway' is not a dotted name [a-z0-9_]+(.[a-z0-9_-]+)+" },
		{ HEAD "\"event\":\"Gateway.up\"}",
		    "\"event\": 'Gateway.up' is not a dotted name [a-z0-9_]+(.[a-z0-9_-]+)+" },
		{ HEAD "\"event\":\"gateway..up\"}",
		    "\"event\": 'gateway..up' is not a dotted name [a-z0-9_]+(.[a-z0-9_-]+)+" },
		{ HEAD "\"event\":\"gateway.\"}",
		    "\"event\": 'gateway.' is not a dotted name [a-z0-9_]+(.[a-z0-9_-]+)+" },
		{ HEAD "\"event\":\".up\"}",
		    "\"event\": '.up' is not a dotted name [a-z0-9_]+(.[a-z0-9_-]+)+" },
		{ HEAD "\"event\":\"gate-way.up\"}",
		    "\"event\": 'gate-way.up' is not a dotted name [a-z0-9_]+(.[a-z0-9_-]+)+" },
		{ long_event, "\"event\": longer than 128 bytes" },
		/* message */
		{ HEAD "\"event\":\"gateway.up\",\"message\":\"a\\u0000b\"}",
		    "\"message\" contains NUL" },
		/* fields */
		{ GOOD ",\"fields\":[]}", "\"fields\" must be an object" },
		{ GOOD ",\"fields\":null}", "\"fields\" must be an object" },
		{ GOOD ",\"fields\":{\"\":1}}", "\"fields\": empty name" },
		{ long_name, "\"fields\": name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\" "
		    "longer than 64 bytes" },
		{ GOOD ",\"fields\":{\"x\":\"a\\u0000\"}}",
		    "\"fields\": \"x\" contains NUL" },
		/* quoting never shows more than 40 bytes of input */
		{ long_key, "key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" longer "
		    "than 64 bytes (unknown keys become fields)" },
		{ GOOD ",\"\":1}", "empty key \"\" (unknown keys become fields and need "
		    "a name)" },
	};
	size_t i, n;

	(void)state;
	snprintf(long_event, sizeof(long_event), HEAD "\"event\":\"a.%0129d\"}", 0);
	snprintf(long_key, sizeof(long_key), "{\"message\":\"m\",\"%s\":1}",
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
	n = strlen(GOOD ",\"fields\":{\"");
	memcpy(long_name, GOOD ",\"fields\":{\"", n);
	memset(long_name + n, 'n', 65);
	strcpy(long_name + n + 65, "\":1}}");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_fail(t[i].line, strlen(t[i].line), t[i].msg);
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	expect_fail(HEAD "\"event\":\"gateway.up\",\"message\":\"ab\xff\"}",
	    strlen(HEAD "\"event\":\"gateway.up\",\"message\":\"ab\xff\"}"),
	    "invalid UTF-8 at byte offset 124");
	expect_fail("{\"a\":\"\xc3\xa9\xc3\"}", 11,
	    "invalid UTF-8 at byte offset 8");
	expect_fail("{\"a\":\"\xc0\x80\"}", 10, "invalid UTF-8 at byte offset 6");
	expect_fail("{\"a\":\"\xed\xa0\x80\"}", 11, "invalid UTF-8 at byte offset 6");
	expect_fail("\xfe", 1, "invalid UTF-8 at byte offset 0");
	/* a raw NUL is never JSON */
	expect_fail("{}\0", 3, "NUL byte at offset 2");
}

static void
test_newlines(void **state)
{
	struct gw_event ev;
	struct gw_err e;

	(void)state;
	assert_int_equal(decode(GOOD "}\n", &ev, &e), 0);
	gw_event_clear(&ev);
	assert_int_equal(decode(GOOD "}\r\n", &ev, &e), 0);
	assert_string_equal(ev.message, "m");
	gw_event_clear(&ev);
	expect_fail(GOOD "}\n\0", strlen(GOOD) + 3,
	    "NUL byte at offset 126");
}

/* a line of exactly n bytes (message padded with 'x'), then suffix */
static char *
line_of(size_t n, const char *suffix)
{
	static const char head[] = HEAD "\"event\":\"gateway.up\",\"message\":\"";
	size_t h = sizeof(head) - 1, s = strlen(suffix);
	char *p = malloc(n + s + 1);

	assert_non_null(p);
	memcpy(p, head, h);
	memset(p + h, 'x', n - h - 2);
	memcpy(p + n - 2, "\"}", 2);
	memcpy(p + n, suffix, s + 1);
	return p;
}

static void
test_max_line(void **state)
{
	struct gw_event ev;
	struct gw_err e;
	char *p, *s;

	(void)state;
	p = line_of(GW_EVENT_MAX_LINE, "");
	assert_int_equal(gw_event_decode(p, GW_EVENT_MAX_LINE, &ev, &e), 0);
	s = gw_event_encode(&ev);
	assert_non_null(s);
	assert_int_equal(strlen(s), GW_EVENT_MAX_LINE);
	assert_string_equal(s, p);
	free(s);
	/* one more byte in the message: the encoder refuses it too */
	ev.message = realloc(ev.message, strlen(ev.message) + 2);
	strcat(ev.message, "x");
	assert_null(gw_event_encode(&ev));
	gw_event_clear(&ev);
	free(p);

	p = line_of(GW_EVENT_MAX_LINE, "\n");
	assert_int_equal(decode(p, &ev, &e), 0);
	gw_event_clear(&ev);
	free(p);
	p = line_of(GW_EVENT_MAX_LINE, "\r\n");
	assert_int_equal(decode(p, &ev, &e), 0);
	gw_event_clear(&ev);
	free(p);

	p = line_of(GW_EVENT_MAX_LINE + 1, "");
	expect_fail(p, GW_EVENT_MAX_LINE + 1, "line longer than 65536 bytes");
	free(p);
	p = line_of(GW_EVENT_MAX_LINE + 1, "\r\n");
	expect_fail(p, GW_EVENT_MAX_LINE + 3, "line longer than 65536 bytes");
	free(p);
}

static void
test_utf8_message(void **state)
{
	static const char msg[] = "h\xc3\xa9llo \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac "
	    "\xf0\x9f\x9a\x80";
	char line[256], *s;
	struct gw_event ev;
	struct gw_err e;

	(void)state;
	snprintf(line, sizeof(line), HEAD "\"event\":\"gateway.up\",\"message\":\"%s\","
	    "\"fields\":{\"\xe6\x97\xa5\":\"\\u00e9\\ud83d\\ude80\"}}", msg);
	assert_int_equal(decode(line, &ev, &e), 0);
	assert_string_equal(ev.message, msg);
	assert_string_equal(ev.fields[0].name, "\xe6\x97\xa5");
	assert_string_equal(ev.fields[0].value, "\xc3\xa9\xf0\x9f\x9a\x80");
	s = gw_event_encode(&ev);
	assert_non_null(strstr(s, msg));	/* raw UTF-8, not \u escapes */
	assert_non_null(strstr(s, "\"\xe6\x97\xa5\":\"\xc3\xa9\xf0\x9f\x9a\x80\""));
	free(s);
	gw_event_clear(&ev);
	round_trip(line);
}

static void
test_field_count(void **state)
{
	char line[1024], name[8];
	struct gw_event ev;
	struct gw_err e;
	size_t n;
	int i;

	(void)state;
	n = (size_t)snprintf(line, sizeof(line), "%s", GOOD ",\"fields\":{");
	for (i = 0; i < GW_EVENT_MAX_FIELDS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"f%d\":%d",
		    i ? "," : "", i, i);
	snprintf(line + n, sizeof(line) - n, "}}");
	assert_int_equal(decode(line, &ev, &e), 0);
	assert_int_equal(ev.n_fields, 25);
	assert_string_equal(ev.fields[24].name, "f24");
	assert_string_equal(ev.fields[24].value, "24");
	round_trip(line);

	/* the 26th field, by add_field and in a line */
	assert_int_equal(gw_event_add_field(&ev, "f25", "x", 1, &e), -1);
	assert_string_equal(e.msg, "\"fields\": more than 25 fields");
	assert_int_equal(ev.n_fields, 25);
	gw_event_clear(&ev);
	snprintf(line + n, sizeof(line) - n, ",\"f25\":25}}");
	expect_fail(line, strlen(line), "\"fields\": more than 25 fields");

	assert_int_equal(gw_event_init(&ev, GW_INFO, "s", "c", "a.b", "", NULL,
	    &e), 0);
	for (i = 0; i < GW_EVENT_MAX_FIELDS; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(gw_event_add_field(&ev, name, "1", 0, &e), 0);
	}
	assert_int_equal(gw_event_add_field(&ev, "f25", "1", 0, &e), -1);
	assert_string_equal(e.msg, "\"fields\": more than 25 fields");
	gw_event_clear(&ev);
}

static void
test_build(void **state)
{
	struct gw_event ev, back;
	struct gw_err e;
	char *s;

	(void)state;
	assert_int_equal(gw_event_init(&ev, GW_ERROR, "gw-probe", "probe",
	    "probe.handshake_failed", "bad \"reply\"\n\ttab",
	    "2026-02-10T14:15:00.123Z", &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "host", "127.0.0.1", 1, &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "port", "4004", 0, &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "elapsed", " 1.50 ", 0, &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "ok", "false", 0, &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "account", "null", 0, &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "note", "1.50", 1, &e), 0);
	assert_string_equal(ev.fields[2].value, "1.5");
	s = gw_event_encode(&ev);
	assert_string_equal(s,
	    "{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"error\","
	    "\"source\":\"gw-probe\",\"component\":\"probe\","
	    "\"event\":\"probe.handshake_failed\","
	    "\"message\":\"bad \\\"reply\\\"\\n\\ttab\",\"fields\":{"
	    "\"host\":\"127.0.0.1\",\"port\":4004,\"elapsed\":1.5,\"ok\":false,"
	    "\"account\":null,\"note\":\"1.50\"}}");
	assert_int_equal(decode(s, &back, &e), 0);
	assert_true(gw_event_equal(&ev, &back));
	free(s);
	gw_event_clear(&back);

	/* add_field refusals leave ev unchanged */
	assert_int_equal(gw_event_add_field(&ev, "port", "1", 0, &e), -1);
	assert_string_equal(e.msg, "\"fields\": duplicate name \"port\"");
	assert_int_equal(gw_event_add_field(&ev, "", "1", 0, &e), -1);
	assert_string_equal(e.msg, "\"fields\": empty name");
	assert_int_equal(gw_event_add_field(&ev,
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
	    "1", 0, &e), -1);
	assert_string_equal(e.msg, "\"fields\": name "
	    "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\" longer than 64 bytes");
	assert_int_equal(gw_event_add_field(&ev, "x\xff", "1", 0, &e), -1);
	assert_string_equal(e.msg, "\"fields\": name \"x?\" is not valid UTF-8");
	assert_int_equal(gw_event_add_field(&ev, "x", "\xc3(", 1, &e), -1);
	assert_string_equal(e.msg, "\"fields\": \"x\" is not valid UTF-8");
	assert_int_equal(gw_event_add_field(&ev, "x", "\"s\"", 0, &e), -1);
	assert_string_equal(e.msg, "\"fields\": \"x\" is not JSON text of a "
	    "number, true, false, null, an object or an array");
	assert_int_equal(gw_event_add_field(&ev, "x", "[1", 0, &e), -1);
	assert_int_equal(gw_event_add_field(&ev, "x", "{\"a\":1,\"a\":2}", 0, &e),
	    -1);
	assert_int_equal(gw_event_add_field(&ev, "x", "1 2", 0, &e), -1);
	assert_int_equal(gw_event_add_field(&ev, "x", "1e400", 0, &e), -1);
	assert_int_equal(gw_event_add_field(&ev, "x", NULL, 1, &e), -1);
	assert_string_equal(e.msg, "\"fields\": \"x\" has no value");
	assert_int_equal(ev.n_fields, 6);
	gw_event_clear(&ev);
}

static void
test_init_errors(void **state)
{
	static const struct {
		int level;
		const char *source, *component, *event, *message, *ts, *msg;
	} t[] = {
		{ 9, "s", "c", "a.b", "", NULL, "\"level\": unknown level 9" },
		{ -1, "s", "c", "a.b", "", NULL, "\"level\": unknown level -1" },
		{ 1, NULL, "c", "a.b", "", NULL, "missing \"source\"" },
		{ 1, "s", NULL, "a.b", "", NULL, "missing \"component\"" },
		{ 1, "s", "c", NULL, "", NULL, "missing \"event\"" },
		{ 1, "s s", "c", "a.b", "", NULL,
		    "\"source\": 's s' is not 1..64 bytes of [A-Za-z0-9_.-]" },
		{ 1, "s", "", "a.b", "", NULL,
		    "\"component\": '' is not 1..64 bytes of [A-Za-z0-9_.-]" },
		{ 1, "s", "c", "ab", "", NULL,
		    "\"event\": 'ab' is not a dotted name [a-z0-9_]+(.[a-z0-9_-]+)+" },
		{ 1, "s", "c", "a.b", "\xe2\x82", NULL,
		    "\"message\" is not valid UTF-8" },
		{ 1, "s", "c", "a.b", "", "2026-02-10",
		    "\"ts\": '2026-02-10' is not an RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)" },
		{ 1, "s", "c", "a.b", "", "2026-02-10T14:15:00.1234567890123456789012345",
		    "\"ts\": '2026-02-10T14:15:00.12345678901234567...' is not "
		    "an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.fraction] then Z or "
		    "+HH:MM or -HH:MM)" },
	};
	struct gw_event ev;
	struct gw_err e;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(gw_event_init(&ev, (enum gw_level)t[i].level,
		    t[i].source, t[i].component, t[i].event, t[i].message, t[i].ts,
		    &e), -1);
		assert_string_equal(e.msg, t[i].msg);
		assert_null(ev.source);
	}
	/* ts NULL is now, message NULL is "" */
	assert_int_equal(gw_event_init(&ev, GW_DEBUG, "s", "c", "a.b", NULL, NULL,
	    &e), 0);
	assert_string_equal(ev.message, "");
	assert_int_equal(strlen(ev.ts), 24);
	s = gw_event_encode(&ev);
	assert_non_null(s);
	round_trip(s);
	free(s);
	gw_event_clear(&ev);
	/* any fraction, an offset and a leap second are fine, normalised */
	assert_int_equal(gw_event_init(&ev, GW_DEBUG, "s", "c", "a.b", "",
	    "2016-12-31T23:59:60.123456789Z", &e), 0);
	assert_string_equal(ev.ts, "2016-12-31T23:59:60.123Z");
	gw_event_clear(&ev);
	assert_int_equal(gw_event_init(&ev, GW_DEBUG, "s", "c", "a.b", "",
	    "2027-01-01T00:59:60.5+01:00", &e), 0);
	assert_string_equal(ev.ts, "2026-12-31T23:59:60.500Z");
	gw_event_clear(&ev);
}

static void
test_copy_equal(void **state)
{
	struct gw_event a, b;
	struct gw_err e;

	(void)state;
	assert_int_equal(decode(GOOD ",\"fields\":{\"a\":1,\"b\":\"1\"}}", &a, &e),
	    0);
	assert_int_equal(gw_event_copy(&b, &a, &e), 0);
	assert_true(gw_event_equal(&a, &b));
	assert_ptr_not_equal(a.message, b.message);
	assert_ptr_not_equal(a.fields[0].value, b.fields[0].value);
	b.fields[1].kind = GW_FIELD_SCALAR;	/* "1" the string is not 1 the number */
	assert_false(gw_event_equal(&a, &b));
	b.fields[1].kind = GW_FIELD_STRING;
	b.level = GW_ERROR;
	assert_false(gw_event_equal(&a, &b));
	b.level = a.level;
	b.ts[23] = '4';
	assert_false(gw_event_equal(&a, &b));
	gw_event_clear(&b);
	assert_false(gw_event_equal(&a, &b));
	gw_event_clear(&a);
	assert_true(gw_event_equal(&a, &b));
}

/* decode with a fixed receive time, so that the tests are pure */
static int
decode_at(const char *line, long long now_ms, const char *src,
    struct gw_event *ev, struct gw_err *e)
{
	struct gw_event_decode_opts o = { now_ms, src };

	return gw_event_decode_with(line, strlen(line), &o, ev, e);
}

/* Any RFC 3339 offset or fraction, normalised to UTC with milliseconds. */
static void
test_ts_offsets(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "2026-02-10T14:15:00Z", "2026-02-10T14:15:00.000Z" },
		{ "2026-02-10T14:15:00z", "2026-02-10T14:15:00.000Z" },
		{ "2026-02-10t14:15:00.1Z", "2026-02-10T14:15:00.100Z" },
		{ "2026-02-10 14:15:00.12Z", "2026-02-10T14:15:00.120Z" },
		{ "2026-02-10T14:15:00.123456789012345678901234567890Z",
		    "2026-02-10T14:15:00.123Z" },	/* cut, not rounded */
		{ "2026-02-10T14:15:00.9999Z", "2026-02-10T14:15:00.999Z" },
		{ "2026-02-10T14:15:00+00:00", "2026-02-10T14:15:00.000Z" },
		{ "2026-02-10T14:15:00-00:00", "2026-02-10T14:15:00.000Z" },
		{ "2026-02-10T16:15:00.5+02:00", "2026-02-10T14:15:00.500Z" },
		{ "2026-02-10T09:15:00-05:00", "2026-02-10T14:15:00.000Z" },
		{ "2026-02-10T19:45:00+05:30", "2026-02-10T14:15:00.000Z" },
		/* across midnight: back a day with a positive offset ... */
		{ "2026-02-11T01:30:00.250+02:00", "2026-02-10T23:30:00.250Z" },
		/* ... forward a day with a negative one */
		{ "2026-02-10T21:00:00-05:00", "2026-02-11T02:00:00.000Z" },
		/* month, year and leap-day boundaries */
		{ "2026-03-01T00:30:00+01:00", "2026-02-28T23:30:00.000Z" },
		{ "2028-03-01T00:30:00+01:00", "2028-02-29T23:30:00.000Z" },
		{ "2028-02-29T12:00:00Z", "2028-02-29T12:00:00.000Z" },
		{ "2000-02-29T12:00:00Z", "2000-02-29T12:00:00.000Z" },
		{ "2026-12-31T22:00:00-02:00", "2027-01-01T00:00:00.000Z" },
		{ "2027-01-01T01:00:00+01:00", "2027-01-01T00:00:00.000Z" },
		{ "2027-01-01T00:59:60+01:00", "2026-12-31T23:59:60.000Z" },
		{ "1969-12-31T23:59:59.999-00:30", "1970-01-01T00:29:59.999Z" },
		{ "0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z" },
		{ "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z" },
	};
	char line[256];
	struct gw_event ev;
	struct gw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"message\":\"m\"}",
		    t[i].in);
		if (decode(line, &ev, &e) != 0)
			fail_msg("%s: %s", t[i].in, e.msg);
		if (strcmp(ev.ts, t[i].out) != 0)
			fail_msg("%s: want %s got %s", t[i].in, t[i].out, ev.ts);
		gw_event_clear(&ev);
		round_trip(line);
	}
}

/* No ts: the receive time given to decode. */
static void
test_absent_ts(void **state)
{
	struct gw_event ev;
	struct gw_err e;

	(void)state;
	/* 2026-02-10T14:15:00.123Z */
	assert_int_equal(decode_at("{\"message\":\"m\"}", 1770732900123LL, NULL,
	    &ev, &e), 0);
	assert_string_equal(ev.ts, "2026-02-10T14:15:00.123Z");
	gw_event_clear(&ev);
	assert_int_equal(decode_at("{\"message\":\"m\"}", 0, NULL, &ev, &e), 0);
	assert_string_equal(ev.ts, "1970-01-01T00:00:00.000Z");
	gw_event_clear(&ev);
	assert_int_equal(decode_at("{\"message\":\"m\"}", -1, NULL, &ev, &e), 0);
	assert_string_equal(ev.ts, "1969-12-31T23:59:59.999Z");
	gw_event_clear(&ev);
	/* a ts given wins over the receive time */
	assert_int_equal(decode_at("{\"ts\":\"2026-02-10T14:15:00Z\","
	    "\"message\":\"m\"}", 0, NULL, &ev, &e), 0);
	assert_string_equal(ev.ts, "2026-02-10T14:15:00.000Z");
	gw_event_clear(&ev);
	assert_int_equal(decode_at("{\"message\":\"m\"}", 253402300800000LL, NULL,
	    &ev, &e), -1);
	assert_string_equal(e.msg, "\"ts\": absent, and the receive time "
	    "253402300800000 ms is outside years 0000..9999");
	assert_null(ev.source);
	/* the wrapper uses the clock: a well-formed ts of today */
	assert_int_equal(decode("{\"message\":\"m\"}", &ev, &e), 0);
	assert_int_equal(strlen(ev.ts), 24);
	assert_true(strncmp(ev.ts, "20", 2) == 0);
	gw_event_clear(&ev);
}

static void
test_levels(void **state)
{
	static const struct { const char *in; enum gw_level lvl; } t[] = {
		{ "debug", GW_DEBUG }, { "DEBUG", GW_DEBUG },
		{ "info", GW_INFO }, { "Info", GW_INFO }, { "INFO", GW_INFO },
		{ "information", GW_INFO }, { "notice", GW_INFO },
		{ "warning", GW_WARNING }, { "WARNING", GW_WARNING },
		{ "warn", GW_WARNING }, { "Warn", GW_WARNING },
		{ "error", GW_ERROR }, { "ERROR", GW_ERROR }, { "err", GW_ERROR },
		{ "critical", GW_CRITICAL }, { "CRITICAL", GW_CRITICAL },
		{ "crit", GW_CRITICAL }, { "fatal", GW_CRITICAL },
		{ "FATAL", GW_CRITICAL },
	};
	char line[128], *s;
	struct gw_event ev;
	struct gw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "{\"level\":\"%s\",\"message\":\"m\"}",
		    t[i].in);
		if (decode_at(line, 0, NULL, &ev, &e) != 0)
			fail_msg("%s: %s", t[i].in, e.msg);
		assert_int_equal(ev.level, t[i].lvl);
		s = gw_event_encode(&ev);	/* emitted with its canonical name */
		snprintf(line, sizeof(line), "\"level\":\"%s\"",
		    gw_level_name(t[i].lvl));
		assert_non_null(strstr(s, line));
		free(s);
		gw_event_clear(&ev);
	}
	/* absent: info */
	assert_int_equal(decode_at("{\"message\":\"m\"}", 0, NULL, &ev, &e), 0);
	assert_int_equal(ev.level, GW_INFO);
	gw_event_clear(&ev);
}

/* What a script may leave out, and the defaults. */
static void
test_defaults(void **state)
{
	struct gw_event ev;
	struct gw_err e;
	char *s;

	(void)state;
	assert_int_equal(decode_at("{\"level\":\"error\",\"message\":\"disk full\"}",
	    1770732900123LL, NULL, &ev, &e), 0);
	assert_string_equal(ev.ts, "2026-02-10T14:15:00.123Z");
	assert_int_equal(ev.level, GW_ERROR);
	assert_string_equal(ev.source, "script");
	assert_string_equal(ev.component, "");
	assert_string_equal(ev.event, "script.message");
	assert_string_equal(ev.message, "disk full");
	assert_int_equal(ev.n_fields, 0);
	s = gw_event_encode(&ev);
	assert_string_equal(s, "{\"ts\":\"2026-02-10T14:15:00.123Z\","
	    "\"level\":\"error\",\"source\":\"script\",\"component\":\"\","
	    "\"event\":\"script.message\",\"message\":\"disk full\"}");
	round_trip(s);
	free(s);
	gw_event_clear(&ev);
	/* the caller's default source */
	assert_int_equal(decode_at("{\"message\":\"m\"}", 0, "cron", &ev, &e), 0);
	assert_string_equal(ev.source, "cron");
	gw_event_clear(&ev);
	assert_int_equal(decode_at("{\"message\":\"m\"}", 0, "bad source", &ev, &e),
	    -1);
	assert_string_equal(e.msg,
	    "\"source\": 'bad source' is not 1..64 bytes of [A-Za-z0-9_.-]");
	/* an event without a message: message "" */
	assert_int_equal(decode_at("{\"event\":\"backup.failed\"}", 0, NULL, &ev,
	    &e), 0);
	assert_string_equal(ev.event, "backup.failed");
	assert_string_equal(ev.message, "");
	gw_event_clear(&ev);
	/* an empty component given is kept (and round-trips) */
	assert_int_equal(decode_at("{\"component\":\"\",\"message\":\"m\"}", 0,
	    NULL, &ev, &e), 0);
	assert_string_equal(ev.component, "");
	gw_event_clear(&ev);
	/* an empty message given is a message */
	assert_int_equal(decode_at("{\"message\":\"\"}", 0, NULL, &ev, &e), 0);
	assert_string_equal(ev.event, "script.message");
	gw_event_clear(&ev);
}

/* Unknown top-level keys become fields; "fields" wins on a clash. */
static void
test_unknown_keys(void **state)
{
	struct gw_event ev;
	struct gw_err e;
	char line[2048];
	size_t n;
	char *s;
	int i;

	(void)state;
	assert_int_equal(decode_at("{\"event\":\"x.y\",\"host\":\"a\",\"port\":4004,"
	    "\"fields\":{\"attempt\":3,\"port\":1},\"tags\":[\"a\",1],"
	    "\"Level\":\"x\"}", 0, NULL, &ev, &e), 0);
	assert_int_equal(ev.n_fields, 5);
	assert_string_equal(ev.fields[0].name, "attempt");	/* "fields" first */
	assert_string_equal(ev.fields[1].name, "port");
	assert_string_equal(ev.fields[1].value, "1");		/* explicit wins */
	assert_string_equal(ev.fields[2].name, "host");		/* then in order */
	assert_string_equal(ev.fields[2].value, "a");
	assert_int_equal(ev.fields[2].kind, GW_FIELD_STRING);
	assert_string_equal(ev.fields[3].name, "tags");
	assert_string_equal(ev.fields[3].value, "[\"a\",1]");
	assert_int_equal(ev.fields[3].kind, GW_FIELD_JSON);
	assert_string_equal(ev.fields[4].name, "Level");	/* names are exact */
	s = gw_event_encode(&ev);
	assert_string_equal(s, "{\"ts\":\"1970-01-01T00:00:00.000Z\","
	    "\"level\":\"info\",\"source\":\"script\",\"component\":\"\","
	    "\"event\":\"x.y\",\"message\":\"\",\"fields\":{\"attempt\":3,"
	    "\"port\":1,\"host\":\"a\",\"tags\":[\"a\",1],\"Level\":\"x\"}}");
	round_trip(s);
	free(s);
	gw_event_clear(&ev);

	/* they count towards the 25 fields */
	n = (size_t)snprintf(line, sizeof(line), "{\"message\":\"m\","
	    "\"fields\":{");
	for (i = 0; i < 20; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"f%d\":%d",
		    i ? "," : "", i, i);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "}");
	for (i = 20; i < 25; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ",\"f%d\":%d", i, i);
	snprintf(line + n, sizeof(line) - n, ",\"f0\":0}");	/* a clash: dropped */
	assert_int_equal(decode_at(line, 0, NULL, &ev, &e), 0);
	assert_int_equal(ev.n_fields, 25);
	gw_event_clear(&ev);
	snprintf(line + n, sizeof(line) - n, ",\"extra\":1}");
	expect_fail(line, strlen(line),
	    "\"fields\": more than 25 fields with the unknown key \"extra\"");
}

static void
test_nested(void **state)
{
	static const char line[] = "{\"ts\":\"2026-02-10T14:15:00.123Z\","
	    "\"level\":\"warning\",\"source\":\"stack-init\",\"component\":\"init\","
	    "\"event\":\"init.exited\",\"message\":\"gateway: exited (signal KILL) "
	    "after 3.2 s\",\"fields\":{\"exit\":{\"signal\":\"KILL\",\"code\":137},"
	    "\"ran_s\":3.2,\"service\":\"gateway\"}}";
	struct gw_event ev;
	struct gw_err e;
	char *s;

	(void)state;
	assert_int_equal(decode(line, &ev, &e), 0);
	assert_int_equal(ev.n_fields, 3);
	assert_string_equal(ev.fields[0].name, "exit");
	assert_int_equal(ev.fields[0].kind, GW_FIELD_JSON);
	assert_string_equal(ev.fields[0].value, "{\"signal\":\"KILL\",\"code\":137}");
	s = gw_event_encode(&ev);
	assert_string_equal(s, line);
	free(s);
	gw_event_clear(&ev);
	round_trip(line);

	/* canonical text: spaces gone, numbers and strings as for scalars,
	 * member order kept, empty containers kept */
	assert_int_equal(decode(GOOD ",\"fields\":{\"v\":{ \"b\" : [ 1.50, -0, "
	    "1E+2, true, null, \"\\u00e9\\n\\/\" ] , \"a\" : { } , \"c\":[]}}}", &ev,
	    &e), 0);
	assert_string_equal(ev.fields[0].value, "{\"b\":[1.5,0,1e2,true,null,"
	    "\"\xc3\xa9\\n/\"],\"a\":{},\"c\":[]}");
	gw_event_clear(&ev);
	round_trip(GOOD ",\"fields\":{\"v\":{ \"b\" : [ 1.50, -0, 1E+2, true, "
	    "null, \"\\u00e9\\n\\/\" ] , \"a\" : { } , \"c\":[]}}}");
	/* init.stopped, init.reload, sim.config shapes */
	round_trip("{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"info\","
	    "\"source\":\"stack-init\",\"component\":\"init\",\"event\":"
	    "\"init.reload\",\"message\":\"reload\",\"fields\":{\"added\":[\"a\","
	    "\"b\"],\"removed\":[],\"changed\":[\"c\"],\"unchanged\":[]}}");
	/* four levels deep is fine, five is not */
	round_trip(GOOD ",\"fields\":{\"a\":{\"b\":{\"c\":{\"d\":1}}},"
	    "\"l\":[[[[]]]]}}");
	round_trip(GOOD ",\"fields\":{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}}");
	expect_fail(GOOD ",\"fields\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}}",
	    strlen(GOOD ",\"fields\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}}"),
	    "\"fields\": \"a\" is nested deeper than 4 levels");
	expect_fail(GOOD ",\"fields\":{\"x\":1,\"l\":[[[[1]]]]}}",
	    strlen(GOOD ",\"fields\":{\"x\":1,\"l\":[[[[1]]]]}}"),
	    "\"fields\": \"l\" is nested deeper than 4 levels");
	expect_fail(GOOD ",\"deep\":[[[[[]]]]]}",
	    strlen(GOOD ",\"deep\":[[[[[]]]]]}"),
	    "\"fields\": \"deep\" is nested deeper than 4 levels");
	/* names inside objects: 1..64 bytes; strings: no NUL */
	expect_fail(GOOD ",\"fields\":{\"x\":{\"\":1}}}",
	    strlen(GOOD ",\"fields\":{\"x\":{\"\":1}}}"),
	    "\"fields\": \"x\" holds an empty name");
	expect_fail(GOOD ",\"fields\":{\"x\":[{\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\":1}]}}",
	    strlen(GOOD ",\"fields\":{\"x\":[{\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\":1}]}}"),
	    "\"fields\": \"x\" holds a name longer than 64 bytes");
	expect_fail(GOOD ",\"fields\":{\"x\":[\"a\\u0000\"]}}",
	    strlen(GOOD ",\"fields\":{\"x\":[\"a\\u0000\"]}}"),
	    "\"fields\": \"x\" contains NUL");
	expect_fail(GOOD ",\"fields\":{\"x\":{\"a\":1,\"a\":2}}}",
	    strlen(GOOD ",\"fields\":{\"x\":{\"a\":1,\"a\":2}}}"),
	    "duplicate key \"a\" at column 149");
}

/* At most GW_EVENT_MAX_VALUES leaf values in all the fields. */
static void
test_value_count(void **state)
{
	char line[2048], *s;
	struct gw_event ev;
	struct gw_err e;
	size_t n;
	int i;

	(void)state;
	/* 98 in an array, one scalar, one empty object: 100 */
	n = (size_t)snprintf(line, sizeof(line), "%s", GOOD ",\"fields\":{"
	    "\"a\":1,\"e\":{},\"l\":[");
	for (i = 0; i < 98; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%d",
		    i ? "," : "", i);
	snprintf(line + n, sizeof(line) - n, "]}}");
	assert_int_equal(decode(line, &ev, &e), 0);
	round_trip(line);
	/* the 101st, by add_field (any kind) */
	assert_int_equal(gw_event_add_field(&ev, "x", "s", 1, &e), -1);
	assert_string_equal(e.msg, "\"fields\": more than 100 values in all "
	    "(each nested value counts)");
	assert_int_equal(gw_event_add_field(&ev, "x", "[]", 0, &e), -1);
	assert_int_equal(ev.n_fields, 3);
	gw_event_clear(&ev);
	/* and in a line */
	snprintf(line + n, sizeof(line) - n, ",98]}}");
	expect_fail(line, strlen(line), "\"fields\": more than 100 values in all "
	    "(each nested value counts)");

	/* add_field takes objects and arrays as JSON text, canonicalised */
	assert_int_equal(gw_event_init(&ev, GW_WARNING, "stack-init", "init",
	    "init.exited", "m", "2026-02-10T14:15:00.123Z", &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "exit",
	    " { \"signal\" : \"KILL\", \"code\" : 137 } ", 0, &e), 0);
	assert_int_equal(gw_event_add_field(&ev, "added", "[\"a\", \"b\"]", 0, &e),
	    0);
	assert_int_equal(gw_event_add_field(&ev, "deep", "[[[[[1]]]]]", 0, &e), -1);
	assert_string_equal(e.msg, "\"fields\": \"deep\" is nested deeper than 4 "
	    "levels");
	assert_int_equal(ev.n_fields, 2);
	assert_int_equal(ev.fields[0].kind, GW_FIELD_JSON);
	s = gw_event_encode(&ev);
	assert_string_equal(s, "{\"ts\":\"2026-02-10T14:15:00.123Z\","
	    "\"level\":\"warning\",\"source\":\"stack-init\",\"component\":\"init\","
	    "\"event\":\"init.exited\",\"message\":\"m\",\"fields\":{\"exit\":"
	    "{\"signal\":\"KILL\",\"code\":137},\"added\":[\"a\",\"b\"]}}");
	round_trip(s);
	free(s);
	assert_non_null(gw_event_field(&ev, "added"));
	assert_null(gw_event_field(&ev, "nope"));
	gw_event_clear(&ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_number_text),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_newlines),
		cmocka_unit_test(test_max_line),
		cmocka_unit_test(test_utf8_message),
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_copy_equal),
		cmocka_unit_test(test_ts_offsets),
		cmocka_unit_test(test_absent_ts),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_value_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
