/* Unit tests for lib/initrestart: the restart file stack-init writes and
 * bot-core and health-mon read: decoded, every malformed or stale one
 * refused with a reason, written atomically and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "initrestart.h"

#define NOW 1796679060000LL	/* 2026-12-07T21:31:00Z */

static int
dec(const char *s, struct initrestart *r, struct gw_err *e)
{
	return initrestart_decode(s, strlen(s), NOW, r, e);
}

static void
test_decode_states(void **state)
{
	struct initrestart r;
	struct gw_err e;

	(void)state;
	assert_int_equal(dec("{\"service\":\"gateway\",\"state\":\"in_progress\","
	    "\"trigger\":\"schedule\",\"method\":\"ibc\",\"began\":"
	    "\"2026-12-07T21:30:00.250Z\",\"ended\":null,\"deadline\":"
	    "\"2026-12-07T21:35:00.250Z\"}", &r, &e), 0);
	assert_int_equal(r.state, IR_IN_PROGRESS);
	assert_string_equal(r.service, "gateway");
	assert_string_equal(r.trigger, "schedule");
	assert_string_equal(r.method, "ibc");
	assert_true(r.began_ms == 1796679000250LL);
	assert_true(r.deadline_ms == 1796679300250LL);
	assert_true(r.ended_ms == 0);
	assert_int_equal(dec("{\"service\":\"gw-1\",\"state\":\"completed\","
	    "\"trigger\":\"ctl\",\"method\":\"signal\",\"began\":"
	    "\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:30:03.5Z\","
	    "\"deadline\":null}", &r, &e), 0);
	assert_int_equal(r.state, IR_COMPLETED);
	assert_true(r.ended_ms - r.began_ms == 3500);
	assert_int_equal(dec("{\"service\":\"g\",\"state\":\"failed\",\"began\":"
	    "\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:30:00Z\"}", &r, &e), 0);
	assert_int_equal(r.state, IR_FAILED);
	assert_string_equal(r.trigger, "");
	assert_int_equal(dec("{\"service\":\"g\",\"state\":\"not_ready\",\"began\":"
	    "\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:35:00Z\"}", &r, &e), 0);
	assert_int_equal(r.state, IR_NOT_READY);
	assert_string_equal(initrestart_state_name(IR_NOT_READY), "not_ready");
	assert_string_equal(initrestart_state_name((enum initrestart_state)99),
	    "unknown");
}

static void
test_decode_refusals(void **state)
{
	static const struct { const char *in, *why; } bad[] = {
		{ "", "not JSON" },
		{ "[1]", "not a JSON object" },
		{ "{\"service\":\"g\"}", "state is not a string" },
		{ "{\"service\":\"g\",\"state\":\"done\",\"began\":\"2026-12-07T21:30:00Z\"}", "unknown" },
		{ "{\"state\":\"failed\",\"began\":\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:30:00Z\"}", "service is missing" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"deadline\":\"2026-12-07T21:35:00Z\"}", "began is missing" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"began\":\"2026-12-07T21:30:00Z\"}", "deadline is missing" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"began\":\"yesterday\",\"deadline\":\"2026-12-07T21:35:00Z\"}", "RFC 3339" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"began\":\"2026-12-07T21:30:00+01:00\",\"deadline\":\"2026-12-07T21:35:00Z\"}", "RFC 3339" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"began\":\"2026-13-07T21:30:00Z\",\"deadline\":\"2026-12-07T21:35:00Z\"}", "RFC 3339" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"began\":\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:31:00Z\",\"deadline\":\"2026-12-07T21:35:00Z\"}", "while in progress" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"began\":\"2026-12-07T21:20:00Z\",\"deadline\":\"2026-12-07T21:25:00Z\"}", "stale" },
		{ "{\"service\":\"g\",\"state\":\"completed\",\"began\":\"2026-12-07T21:30:00Z\"}", "ended is missing" },
		{ "{\"service\":\"g\",\"state\":\"completed\",\"began\":\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:29:00Z\"}", "before" },
		{ "{\"service\":\"g\",\"state\":\"completed\",\"trigger\":7,\"began\":\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:31:00Z\"}", "trigger is not a string" },
		{ "{\"service\":\"g\",\"state\":\"completed\",\"method\":\"a\\nb\",\"began\":\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:31:00Z\"}", "not a name" },
		{ "{\"service\":\"gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\",\"state\":\"failed\",\"began\":\"2026-12-07T21:30:00Z\",\"ended\":\"2026-12-07T21:31:00Z\"}", "too long" },
		{ "{\"service\":\"g\",\"service\":\"h\"}", "not JSON" },
		{ "{\"service\":\"g\",\"state\":\"in_progress\",\"began\":\"2026-12-07T21:30:00Z\",\"deadline\":\"2026-12-15T21:30:00Z\"}", "more than a week" },
	};
	struct initrestart r;
	struct gw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		if (dec(bad[i].in, &r, &e) != -1 || strstr(e.msg, bad[i].why) == NULL)
			fail_msg("%s: got '%s', want '%s'", bad[i].in, e.msg, bad[i].why);
		assert_int_equal(r.state, IR_UNKNOWN);
	}
}

static void
test_write_read(void **state)
{
	char dir[] = "/tmp/initrestart-XXXXXX", path[128], buf[256];
	struct initrestart w, r;
	struct gw_err e;
	struct stat st;
	json_t *o;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/restart-gateway.json", dir);
	/* no file: nothing announced */
	assert_int_equal(initrestart_read(path, NOW, &r, &e), 0);
	assert_int_equal(r.state, IR_NONE);
	memset(&w, 0, sizeof(w));
	w.state = IR_IN_PROGRESS;
	snprintf(w.service, sizeof(w.service), "gateway");
	snprintf(w.trigger, sizeof(w.trigger), "schedule");
	snprintf(w.method, sizeof(w.method), "ibc");
	w.began_ms = NOW - 1234;
	w.deadline_ms = NOW + 300000;
	assert_int_equal(initrestart_write(path, &w, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(initrestart_read(path, NOW, &r, &e), 0);
	assert_int_equal(r.state, IR_IN_PROGRESS);
	assert_true(r.began_ms == w.began_ms);
	assert_true(r.deadline_ms == w.deadline_ms);
	assert_string_equal(r.method, "ibc");
	/* past its deadline: stale, unknown */
	assert_int_equal(initrestart_read(path, NOW + 400000, &r, &e), -1);
	assert_int_equal(r.state, IR_UNKNOWN);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "stale"));
	/* over: no deadline written, ended set */
	w.state = IR_COMPLETED;
	w.ended_ms = NOW;
	assert_int_equal(initrestart_write(path, &w, &e), 0);
	f = fopen(path, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_non_null(strstr(buf, "\"deadline\":null"));
	assert_non_null(strstr(buf, "\"ended\":\"2026-12-07T21:31:00.000Z\""));
	assert_true(buf[strlen(buf) - 1] == '\n');
	assert_int_equal(initrestart_read(path, NOW + 400000, &r, &e), 0);
	assert_int_equal(r.state, IR_COMPLETED);
	o = initrestart_json(&w);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "completed");
	json_decref(o);
	/* garbage and oversize files */
	f = fopen(path, "w");
	fputs("{\"service\":", f);
	fclose(f);
	assert_int_equal(initrestart_read(path, NOW, &r, &e), -1);
	assert_non_null(strstr(e.msg, "not JSON"));
	f = fopen(path, "w");
	for (int i = 0; i < INITRESTART_FILE_MAX + 10; i++)
		fputc(' ', f);
	fclose(f);
	assert_int_equal(initrestart_read(path, NOW, &r, &e), -1);
	assert_non_null(strstr(e.msg, "longer than"));
	/* a FIFO (or anything but a regular file) is refused at once */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(initrestart_read(path, NOW, &r, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	unlink(path);
	rmdir(dir);
	/* the path in the runtime directory */
	setenv("GWKIT_RUNTIME_DIR", "/tmp/gwkit-rt", 1);
	assert_int_equal(initrestart_path("gateway", buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "/tmp/gwkit-rt/restart-gateway.json");
	assert_int_equal(initrestart_path("gateway", buf, 16, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_states),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_write_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
