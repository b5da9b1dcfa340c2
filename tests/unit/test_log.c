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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_shape),
		cmocka_unit_test(test_threshold_and_bad_utf8),
		cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
