/* Unit tests for lib/probe: exit codes, the JSON object and the human line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"

static void
test_exit_codes(void **state)
{
	static const struct { enum tws_verdict v; const char *name; int code; } t[] = {
		{ TWS_READY, "ready", 0 },
		{ TWS_UNREACHABLE, "unreachable", 10 },
		{ TWS_RELAY_CLOSED, "relay-closed", 11 },
		{ TWS_HANDSHAKE_TIMEOUT, "handshake-timeout", 12 },
		{ TWS_NOT_LOGGED_IN, "not-logged-in", 13 },
		{ TWS_CLIENT_ID_IN_USE, "client-id-in-use", 14 },
		{ TWS_UPSTREAM_DOWN, "upstream-down", 15 },
		{ TWS_NOT_API, "not-api", 16 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(tws_verdict_name(t[i].v), t[i].name);
		assert_int_equal(probe_exit_code(t[i].v), t[i].code);
	}
	assert_int_equal(probe_exit_code(TWS_VERDICT_COUNT), 70);
}

static struct probe_result
ready_result(void)
{
	struct probe_result r;

	memset(&r, 0, sizeof(r));
	r.verdict = TWS_READY;
	strcpy(r.host, "127.0.0.1");
	r.port = 4004;
	r.client_id = 917;
	r.server_version = 176;
	strcpy(r.connection_time, "20260225 10:00:00 EST");
	strcpy(r.accounts, "DU1,DU2,");
	r.have_next_valid_id = 1;
	r.next_valid_id = 1;
	r.n_notices = 1;
	r.notices[0].req_id = -1;
	r.notices[0].code = 2104;
	strcpy(r.notices[0].text, "Market data farm connection is OK:usfarm");
	r.tm.connect_ms = 0.1;
	r.tm.version_ms = 0.5;
	r.tm.ready_ms = 2.0;
	r.heartbeat_ms = -1;
	r.total_ms = 2.1;
	r.bytes_received = 321;
	return r;
}

static void
test_json_ready(void **state)
{
	struct probe_result r = ready_result();
	json_t *o = probe_result_json(&r), *notices, *tm, *accts, *hb, *reason;
	const char *verdict, *host, *ct, *text;
	int port, cid, sv, nvid, code, ec, rx;
	double total;
	json_error_t je;

	(void)state;
	assert_int_equal(json_unpack_ex(o, &je, JSON_STRICT,
	    "{s:s, s:s, s:i, s:i, s:i, s:s, s:o, s:i, s:o, s:o, s:i, s:o, s:i}",
	    "verdict", &verdict, "host", &host, "port", &port, "client_id", &cid,
	    "server_version", &sv, "connection_time", &ct, "accounts", &accts,
	    "next_valid_id", &nvid, "notices", &notices, "timings_ms", &tm,
	    "bytes_received", &rx, "reason", &reason, "exit_code", &ec), 0);
	assert_int_equal(rx, 321);
	assert_string_equal(verdict, "ready");
	assert_int_equal(port, 4004);
	assert_int_equal(sv, 176);
	assert_int_equal(ec, 0);
	assert_true(json_is_null(reason));
	assert_int_equal(json_array_size(accts), 2);	/* trailing comma dropped */
	assert_string_equal(json_string_value(json_array_get(accts, 1)), "DU2");
	assert_int_equal(json_unpack(json_array_get(notices, 0), "{s:i, s:s}",
	    "code", &code, "text", &text), 0);
	assert_int_equal(code, 2104);
	assert_int_equal(json_unpack(tm, "{s:F, s:o}", "total", &total,
	    "heartbeat", &hb), 0);
	assert_true(total > 2.09 && total < 2.11);
	assert_true(json_is_null(hb));
	json_decref(o);
}

static void
test_json_failure_nulls(void **state)
{
	struct probe_result r;
	json_t *o;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.verdict = TWS_RELAY_CLOSED;
	strcpy(r.host, "gateway");
	r.port = 4004;
	strcpy(r.reason, "connection closed by peer before the server version");
	r.tm.connect_ms = 0.2;
	r.tm.version_ms = r.tm.ready_ms = r.heartbeat_ms = -1;
	o = probe_result_json(&r);
	assert_true(json_is_null(json_object_get(o, "server_version")));
	assert_true(json_is_null(json_object_get(o, "next_valid_id")));
	assert_true(json_is_null(json_object_get(json_object_get(o, "timings_ms"), "ready")));
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "relay-closed");
	assert_int_equal(json_integer_value(json_object_get(o, "exit_code")), 11);
	json_decref(o);
}

static void
test_lines(void **state)
{
	struct probe_result r = ready_result();
	char buf[512];

	(void)state;
	strcpy(r.accounts, "DU1234567");
	probe_result_line(&r, buf, sizeof(buf));
	assert_string_equal(buf, "ready 127.0.0.1:4004 server=176 accounts=DU1234567 in 2.1 ms");
	r.verdict = TWS_NOT_LOGGED_IN;
	strcpy(r.host, "::1");
	strcpy(r.reason, "no nextValidId");
	probe_result_line(&r, buf, sizeof(buf));
	assert_string_equal(buf, "not-logged-in [::1]:4004 in 2.1 ms: no nextValidId");
	r.verdict = TWS_NOT_API;
	strcpy(r.host, "127.0.0.1");
	strcpy(r.reason, "not a TWS API endpoint: got \"SSH-2.0-x\"");
	probe_result_line(&r, buf, sizeof(buf));
	assert_string_equal(buf, "not-api 127.0.0.1:4004 in 2.1 ms: "
	    "not a TWS API endpoint: got \"SSH-2.0-x\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_ready),
		cmocka_unit_test(test_json_failure_nulls),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
