/* Unit tests for lib/log: event-record lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"

/* Log one event into a memory stream and parse the single line back. */
static json_t *
one_line(enum gw_level min, enum gw_level lvl, json_t *fields, const char *msg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct gw_log *log = gw_log_new("gw-test", f, min);
	json_error_t je;
	json_t *o = NULL;

	gw_log_event(log, lvl, "gateway", "gateway.disconnected", fields, "%s", msg);
	fclose(f);
	gw_log_free(log);
	if (len > 0) {
		assert_int_equal(buf[len - 1], '\n');
		assert_null(memchr(buf, '\n', len - 1));	/* exactly one line */
		o = json_loadb(buf, len, 0, &je);
		assert_non_null(o);
	}
	free(buf);
	return o;
}

static void
test_record_shape(void **state)
{
	json_t *o;
	const char *ts, *lvl, *src, *comp, *ev, *msg;
	json_int_t port;
	json_error_t je;

	(void)state;
	o = one_line(GW_INFO, GW_WARNING, json_pack("{s:I}", "port", (json_int_t)4004),
	    "Gateway closed the API session");
	assert_int_equal(json_unpack_ex(o, &je, JSON_STRICT,
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:I}}", "ts", &ts, "level", &lvl,
	    "source", &src, "component", &comp, "event", &ev, "message", &msg,
	    "fields", "port", &port), 0);
	assert_string_equal(lvl, "warning");
	assert_string_equal(src, "gw-test");
	assert_string_equal(comp, "gateway");
	assert_string_equal(ev, "gateway.disconnected");
	assert_string_equal(msg, "Gateway closed the API session");
	assert_int_equal(port, 4004);
	assert_int_equal(strlen(ts), 24);	/* 2026-02-10T14:15:00.123Z */
	assert_int_equal(ts[23], 'Z');
	json_decref(o);
}

static void
test_threshold_and_bad_utf8(void **state)
{
	json_t *o;

	(void)state;
	assert_null(one_line(GW_WARNING, GW_INFO, json_object(), "dropped below min"));
	o = one_line(GW_DEBUG, GW_ERROR, NULL, "bad \xff\xfe bytes");
	assert_string_equal(json_string_value(json_object_get(o, "message")),
	    "bad ?? bytes");
	assert_null(json_object_get(o, "fields"));
	json_decref(o);
}

static void
test_levels(void **state)
{
	enum gw_level l;

	(void)state;
	assert_int_equal(gw_level_parse("critical", &l), 0);
	assert_int_equal(l, GW_CRITICAL);
	assert_int_equal(gw_level_parse("CRITICAL", &l), -1);
	assert_int_equal(gw_level_parse("verbose", &l), -1);
	assert_string_equal(gw_level_name(GW_DEBUG), "debug");
}

static void
test_text_line(void **state)
{
	char buf[512];
	const char *l = "{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"warning\","
	    "\"source\":\"stack-init\",\"component\":\"init\",\"event\":"
	    "\"init.exited\",\"message\":\"gateway exited\",\"fields\":{"
	    "\"service\":\"gateway\",\"exit\":{\"signal\":\"KILL\",\"code\":null},"
	    "\"deps\":[\"a\",\"b\"],\"why\":\"two words\",\"n\":3}}";

	(void)state;
	assert_int_equal(gw_log_text_line(l, strlen(l), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-02-10T14:15:00.123Z WARNING init.exited: "
	    "gateway exited (service=gateway exit.signal=KILL exit.code=null "
	    "deps=a,b why=\"two words\" n=3)");
	/* no fields, no message */
	l = "{\"ts\":\"t\",\"level\":\"info\",\"event\":\"x.y\",\"message\":\"\"}";
	assert_int_equal(gw_log_text_line(l, strlen(l), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "t INFO x.y");
	/* not JSON: kept as it was */
	assert_int_equal(gw_log_text_line("plain words", 11, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "plain words");
	/* cut to size, always terminated */
	assert_int_equal(gw_log_text_line(l, strlen(l), buf, 5), 0);
	assert_string_equal(buf, "t IN");
}

static void
test_format_parse(void **state)
{
	enum gw_log_format f;

	(void)state;
	assert_int_equal(gw_log_format_parse("TEXT", &f), 0);
	assert_int_equal(f, GW_LOG_TEXT);
	assert_int_equal(gw_log_format_parse("json", &f), 0);
	assert_int_equal(f, GW_LOG_JSON);
	assert_int_equal(gw_log_format_parse("auto", &f), 0);
	assert_int_equal(f, GW_LOG_AUTO);
	assert_int_equal(gw_log_format_parse("yaml", &f), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_shape),
		cmocka_unit_test(test_threshold_and_bad_utf8),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_text_line),
		cmocka_unit_test(test_format_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
