/*
 * Unit tests for lib/tws_wire: every encoder against the exact bytes of
 * the official client and docs/protocol.md, decoder round trips, and one test per
 * malformed-input class with its exact error message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tws_wire.h"

/* A string literal with embedded NULs as (bytes, length). */
#define LIT(s) ((const uint8_t *)(s)), (sizeof(s) - 1)
/* The same as (const char *, length) for payloads. */
#define P(s) (s), (sizeof(s) - 1)

#define MSG_2104 "Market data farm connection is OK:usfarm"

static uint8_t buf[4096];

static void
assert_bytes(ssize_t n, const uint8_t *got, const uint8_t *want, size_t wlen)
{
	assert_int_equal(n, (ssize_t)wlen);
	assert_memory_equal(got, want, wlen);
}

static void
assert_field(const struct tws_field *f, const char *want)
{
	assert_non_null(f->p);
	assert_int_equal(f->len, strlen(want));
	assert_memory_equal(f->p, want, f->len);
	assert_int_equal(f->p[f->len], '\0');
}

/* Decode exactly one frame covering all of b[0..n). */
static void
decode_one(const uint8_t *b, size_t n, struct tws_fields *fs)
{
	struct gw_err err = { "" };

	assert_int_equal(tws_wire_decode_frame(b, n, fs, &err), (ssize_t)n);
	assert_string_equal(err.msg, "");
}

/* A frame around the given payload, in buf. */
static size_t
frame_of(const void *payload, size_t n)
{
	assert_true(n + 4 <= sizeof(buf));
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	memcpy(buf + 4, payload, n);
	return n + 4;
}

/* Frame the payload, decode it, run decode_in and expect failure with msg. */
static void
expect_in_error(const void *payload, size_t n, int sv, const char *msg)
{
	struct tws_fields fs;
	struct tws_in_msg m;
	struct gw_err err = { "" };

	decode_one(buf, frame_of(payload, n), &fs);
	assert_int_equal(tws_wire_decode_in(&fs, sv, &m, &err), -1);
	assert_string_equal(err.msg, msg);
}

static void
expect_out_error(const void *payload, size_t n, int sv, const char *msg)
{
	struct tws_fields fs;
	struct tws_out_msg m;
	struct gw_err err = { "" };

	decode_one(buf, frame_of(payload, n), &fs);
	assert_int_equal(tws_wire_decode_out(&fs, sv, &m, &err), -1);
	assert_string_equal(err.msg, msg);
}

static void
expect_hello_error(const void *b, size_t n, const char *msg)
{
	struct tws_hello h;
	struct gw_err err = { "" };

	assert_int_equal(tws_wire_decode_hello(b, n, &h, &err), -1);
	assert_string_equal(err.msg, msg);
}

static void
expect_frame_error(const void *b, size_t n, const char *msg)
{
	struct tws_fields fs;
	struct gw_err err = { "" };

	assert_int_equal(tws_wire_decode_frame(b, n, &fs, &err), -1);
	assert_string_equal(err.msg, msg);
}

static const struct tws_contract spy = {
	0, "SPY", "STK", "SMART", "", "USD",
};

#define SPY_PAYLOAD \
	"1\0" "11\0" "1001\0" "0\0" "SPY\0" "STK\0" "\0" "0.0\0" "\0" "\0" \
	"SMART\0" "\0" "USD\0" "\0" "\0" "0\0" "\0" "0\0" "0\0" "\0"

/* ---------- client -> server encoders (protocol.md §§3.1, 4, 7, 9) ---------- */

static void
test_enc_hello_range(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_hello(buf, sizeof(buf), 100, 176, NULL, &err), buf,
	    LIT("\x41\x50\x49\x00" "\x00\x00\x00\x09"
	    "\x76\x31\x30\x30\x2e\x2e\x31\x37\x36"));
	/* An empty option string sends no space. */
	assert_bytes(tws_enc_hello(buf, sizeof(buf), 100, 176, "", &err), buf,
	    LIT("API\0" "\0\0\0\x09" "v100..176"));
}

static void
test_enc_hello_options(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_hello(buf, sizeof(buf), 100, 176, "+PACEAPI", &err),
	    buf, LIT("\x41\x50\x49\x00" "\x00\x00\x00\x12"
	    "\x76\x31\x30\x30\x2e\x2e\x31\x37\x36\x20"
	    "\x2b\x50\x41\x43\x45\x41\x50\x49"));
}

static void
test_enc_hello_single(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_hello(buf, sizeof(buf), 176, 176, NULL, &err), buf,
	    LIT("API\0" "\0\0\0\x04" "v176"));
}

static void
test_enc_hello_bad_args(void **state)
{
	struct gw_err err;
	char opts[1100];

	(void)state;
	assert_int_equal(tws_enc_hello(buf, sizeof(buf), 0, 176, NULL, &err), -1);
	assert_string_equal(err.msg, "hello: bad version range 0..176");
	assert_int_equal(tws_enc_hello(buf, sizeof(buf), 177, 176, NULL, &err), -1);
	assert_string_equal(err.msg, "hello: bad version range 177..176");
	/* A max above 200 would switch to the binary protocol (protocol.md §3.3). */
	assert_int_equal(tws_enc_hello(buf, sizeof(buf), 100, 201, NULL, &err), -1);
	assert_string_equal(err.msg, "hello: bad version range 100..201");
	memset(opts, 'o', sizeof(opts) - 1);
	opts[sizeof(opts) - 1] = '\0';
	assert_int_equal(tws_enc_hello(buf, sizeof(buf), 100, 176, opts, &err), -1);
	assert_string_equal(err.msg, "hello: connect options too long");
	/* The longest options that fit: "v100..176 " + 1014 = 1024 bytes... */
	opts[1014] = '\0';
	assert_int_equal(tws_enc_hello(buf, sizeof(buf), 100, 176, opts, &err),
	    8 + TWS_MAX_HELLO_LEN);
	/* ...and one more byte is too many. */
	opts[1014] = 'o';
	opts[1015] = '\0';
	assert_int_equal(tws_enc_hello(buf, sizeof(buf), 100, 176, opts, &err), -1);
	assert_string_equal(err.msg, "hello: connect options too long");
}

static void
test_enc_start_api(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_start_api(buf, sizeof(buf), 176, 7, "", &err), buf,
	    LIT("\x00\x00\x00\x08" "\x37\x31\x00\x32\x00\x37\x00\x00"));
	/* NULL capabilities is the same as "". */
	assert_bytes(tws_enc_start_api(buf, sizeof(buf), 176, 7, NULL, &err), buf,
	    LIT("\0\0\0\x08" "71\0" "2\0" "7\0" "\0"));
	/* The boundary: the 4th field appears at sv 72. */
	assert_bytes(tws_enc_start_api(buf, sizeof(buf), 72, 7, NULL, &err), buf,
	    LIT("\0\0\0\x08" "71\0" "2\0" "7\0" "\0"));
}

static void
test_enc_start_api_old(void **state)
{
	struct gw_err err;

	(void)state;
	/* sv < 72: no optionalCapabilities, even when given. */
	assert_bytes(tws_enc_start_api(buf, sizeof(buf), 71, 7, "cap", &err), buf,
	    LIT("\0\0\0\x07" "71\0" "2\0" "7\0"));
}

static void
test_enc_req_current_time(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_req_current_time(buf, sizeof(buf), &err), buf,
	    LIT("\0\0\0\x05" "49\0" "1\0"));
}

static void
test_enc_req_market_data_type(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_req_market_data_type(buf, sizeof(buf), 3, &err), buf,
	    LIT("\0\0\0\x07" "59\0" "1\0" "3\0"));
	assert_int_equal(tws_enc_req_market_data_type(buf, sizeof(buf), 0, &err), -1);
	assert_string_equal(err.msg, "reqMarketDataType: type 0 not in 1..4");
	assert_int_equal(tws_enc_req_market_data_type(buf, sizeof(buf), 5, &err), -1);
	assert_string_equal(err.msg, "reqMarketDataType: type 5 not in 1..4");
}

static void
test_enc_req_mkt_data(void **state)
{
	struct gw_err err;

	(void)state;
	/* reqMktData: verified bytes from the official client at sv 176. */
	assert_bytes(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1001, &spy, "", 0,
	    &err), buf, LIT("\x00\x00\x00\x30"
	    "\x31\x00\x31\x31\x00\x31\x30\x30\x31\x00\x30\x00\x53\x50\x59\x00"
	    "\x53\x54\x4b\x00\x00\x30\x2e\x30\x00\x00\x00"
	    "\x53\x4d\x41\x52\x54\x00\x00\x55\x53\x44\x00\x00\x00\x30\x00\x00"
	    "\x30\x00\x30\x00\x00"));
	assert_bytes(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1001, &spy, NULL,
	    0, &err), buf, LIT("\0\0\0\x30" SPY_PAYLOAD));
}

static void
test_enc_req_mkt_data_variants(void **state)
{
	struct gw_err err;
	struct tws_contract c = { 756733, "SPY", "STK", "SMART", "ARCA", "USD" };

	(void)state;
	/* sv < 114: no regulatorySnapshot field. */
	assert_bytes(tws_enc_req_mkt_data(buf, sizeof(buf), 113, 1001, &spy, "", 0,
	    &err), buf, LIT("\0\0\0\x2e"
	    "1\0" "11\0" "1001\0" "0\0" "SPY\0" "STK\0" "\0" "0.0\0" "\0" "\0"
	    "SMART\0" "\0" "USD\0" "\0" "\0" "0\0" "\0" "0\0" "\0"));
	assert_bytes(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 7, &c, "233,236",
	    1, &err), buf, LIT("\0\0\0\x3d"
	    "1\0" "11\0" "7\0" "756733\0" "SPY\0" "STK\0" "\0" "0.0\0" "\0" "\0"
	    "SMART\0" "ARCA\0" "USD\0" "\0" "\0" "0\0" "233,236\0" "1\0" "0\0"
	    "\0"));
}

static void
test_enc_req_mkt_data_bad_contract(void **state)
{
	struct gw_err err;
	struct tws_contract c = spy;

	(void)state;
	assert_int_equal(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1, NULL, "",
	    0, &err), -1);
	assert_string_equal(err.msg, "reqMktData: incomplete contract");
	c.symbol = NULL;
	assert_int_equal(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1, &c, "", 0,
	    &err), -1);
	assert_string_equal(err.msg, "reqMktData: incomplete contract");
	c = spy;
	c.currency = NULL;
	assert_int_equal(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1, &c, "", 0,
	    &err), -1);
	assert_string_equal(err.msg, "reqMktData: incomplete contract");
	c = spy;
	c.sec_type = "BAG";
	assert_int_equal(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1, &c, "", 0,
	    &err), -1);
	assert_string_equal(err.msg, "reqMktData: BAG contracts are not supported");
}

static void
test_enc_cancel_mkt_data(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_cancel_mkt_data(buf, sizeof(buf), 1001, &err), buf,
	    LIT("\0\0\0\x09" "2\0" "2\0" "1001\0"));
}

/* ---------- server -> client encoders (protocol.md §§3.2, 5-7, 9) ---------- */

static void
test_enc_server_version(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_server_version(buf, sizeof(buf), 176,
	    "20250425 15:23:54 EST", &err), buf, LIT("\x00\x00\x00\x1a"
	    "\x31\x37\x36\x00"
	    "\x32\x30\x32\x35\x30\x34\x32\x35\x20\x31\x35\x3a\x32\x33\x3a\x35"
	    "\x34\x20\x45\x53\x54\x00"));
}

static void
test_enc_managed_accounts(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_managed_accounts(buf, sizeof(buf), "DU1234567", &err),
	    buf, LIT("\0\0\0\x0f" "15\0" "1\0" "DU1234567\0"));
}

static void
test_enc_next_valid_id(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_next_valid_id(buf, sizeof(buf), 1, &err), buf,
	    LIT("\0\0\0\x06" "9\0" "1\0" "1\0"));
}

static void
test_enc_error_sv176(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_error(buf, sizeof(buf), 176, -1, 2104, MSG_2104, 0,
	    &err), buf, LIT("\0\0\0\x36" "4\0" "2\0" "-1\0" "2104\0" MSG_2104 "\0"
	    "\0"));
}

static void
test_enc_error_sv165(void **state)
{
	struct gw_err err;

	(void)state;
	/* time_ms is not sent below 194. */
	assert_bytes(tws_enc_error(buf, sizeof(buf), 165, -1, 2104, MSG_2104,
	    1745612634123LL, &err), buf, LIT("\0\0\0\x35" "4\0" "2\0" "-1\0"
	    "2104\0" MSG_2104 "\0"));
}

static void
test_enc_error_sv194(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_error(buf, sizeof(buf), 194, -1, 2104, MSG_2104,
	    1745612634123LL, &err), buf, LIT("\0\0\0\x42" "4\0" "-1\0" "2104\0"
	    MSG_2104 "\0" "\0" "1745612634123\0"));
}

static void
test_enc_current_time(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_current_time(buf, sizeof(buf), 1745612634, &err), buf,
	    LIT("\0\0\0\x10" "49\0" "1\0" "1745612634\0"));
}

static void
test_enc_tick_price(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_tick_price(buf, sizeof(buf), 1001, 1, 500.12, "300", 0,
	    &err), buf, LIT("\0\0\0\x18" "1\0" "6\0" "1001\0" "1\0" "500.12\0"
	    "300\0" "0\0"));
	/* Whole prices keep a decimal point, as the official clients print. */
	assert_bytes(tws_enc_tick_price(buf, sizeof(buf), 1001, 66, 500, NULL, 3,
	    &err), buf, LIT("\0\0\0\x15" "1\0" "6\0" "1001\0" "66\0" "500.0\0"
	    "\0" "3\0"));
}

static void
test_enc_tick_price_not_finite(void **state)
{
	struct gw_err err;

	(void)state;
	assert_int_equal(tws_enc_tick_price(buf, sizeof(buf), 1001, 1, NAN, "300",
	    0, &err), -1);
	assert_string_equal(err.msg, "tickPrice: number is not finite");
	assert_int_equal(tws_enc_tick_price(buf, sizeof(buf), 1001, 1, -INFINITY,
	    "300", 0, &err), -1);
	assert_string_equal(err.msg, "tickPrice: number is not finite");
	/* Not finite wins over a small buffer: the argument is the real fault. */
	assert_int_equal(tws_enc_tick_req_params(buf, 6, 1001, INFINITY, "x", 3,
	    &err), -1);
	assert_string_equal(err.msg, "tickReqParams: number is not finite");
}

/* Doubles print as Python's repr does, which is what official clients send. */
static void
test_enc_double_text(void **state)
{
	static const struct { double v; const char *text; } cases[] = {
		{ 500.0, "500.0" }, { 0.01, "0.01" }, { 100.0, "100.0" },
		{ 1e15, "1000000000000000.0" }, { 1e16, "1e+16" },
		{ 1e-5, "1e-05" }, { 0.0001, "0.0001" }, { 0.0, "0.0" },
		{ -0.0, "-0.0" }, { -1.25, "-1.25" }, { 9.95, "9.95" },
		{ 0.30000000000000004, "0.30000000000000004" },
		{ 1.5e300, "1.5e+300" }, { 123456.789, "123456.789" },
		{ 4.9406564584124654e-324, "5e-324" },
		{ 12345678901234567.0, "1.2345678901234568e+16" },
	};
	struct tws_fields fs;
	struct gw_err err;
	ssize_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = tws_enc_tick_req_params(buf, sizeof(buf), 1, cases[i].v, "", 0,
		    &err);
		decode_one(buf, (size_t)n, &fs);
		assert_int_equal(fs.n, 5);
		assert_field(&fs.f[2], cases[i].text);
	}
}

static void
test_enc_tick_size(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_tick_size(buf, sizeof(buf), 1001, 8, "123456", &err),
	    buf, LIT("\0\0\0\x12" "2\0" "6\0" "1001\0" "8\0" "123456\0"));
}

static void
test_enc_tick_req_params(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_tick_req_params(buf, sizeof(buf), 1001, 0.01, "9c0001",
	    3, &err), buf, LIT("\0\0\0\x16" "81\0" "1001\0" "0.01\0" "9c0001\0"
	    "3\0"));
}

static void
test_enc_market_data_type(void **state)
{
	struct gw_err err;

	(void)state;
	assert_bytes(tws_enc_market_data_type(buf, sizeof(buf), 1001, 3, &err), buf,
	    LIT("\0\0\0\x0c" "58\0" "1\0" "1001\0" "3\0"));
}

/* Every encoder, at every capacity below the size it needs, fails with
 * "<name>: message does not fit in <cap> bytes" and writes nothing past cap. */
typedef ssize_t (*enc_fn)(uint8_t *, size_t, struct gw_err *);

static ssize_t e_hello(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_hello(o, c, 100, 176, "+PACEAPI", e); }
static ssize_t e_start_api(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_start_api(o, c, 176, 7, "", e); }
static ssize_t e_req_current_time(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_req_current_time(o, c, e); }
static ssize_t e_req_market_data_type(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_req_market_data_type(o, c, 3, e); }
static ssize_t e_req_mkt_data(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_req_mkt_data(o, c, 176, 1001, &spy, "233", 0, e); }
static ssize_t e_cancel_mkt_data(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_cancel_mkt_data(o, c, 1001, e); }
static ssize_t e_server_version(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_server_version(o, c, 176, "20250425 15:23:54 EST", e); }
static ssize_t e_managed_accounts(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_managed_accounts(o, c, "DU1234567", e); }
static ssize_t e_next_valid_id(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_next_valid_id(o, c, 1, e); }
static ssize_t e_error(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_error(o, c, 194, -1, 2104, MSG_2104, 1745612634123LL, e); }
static ssize_t e_current_time(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_current_time(o, c, 1745612634, e); }
static ssize_t e_tick_price(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_tick_price(o, c, 1001, 1, 500.12, "300", 0, e); }
static ssize_t e_tick_size(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_tick_size(o, c, 1001, 8, "123456", e); }
static ssize_t e_tick_req_params(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_tick_req_params(o, c, 1001, 0.01, "9c0001", 3, e); }
static ssize_t e_market_data_type(uint8_t *o, size_t c, struct gw_err *e)
{ return tws_enc_market_data_type(o, c, 1001, 3, e); }

static const struct {
	const char *name;
	enc_fn fn;
	size_t need;
} encoders[] = {
	{ "hello", e_hello, 0x1a },
	{ "startApi", e_start_api, 0x0c },
	{ "reqCurrentTime", e_req_current_time, 0x09 },
	{ "reqMarketDataType", e_req_market_data_type, 0x0b },
	{ "reqMktData", e_req_mkt_data, 0x37 },
	{ "cancelMktData", e_cancel_mkt_data, 0x0d },
	{ "server version", e_server_version, 0x1e },
	{ "managedAccounts", e_managed_accounts, 0x13 },
	{ "nextValidId", e_next_valid_id, 0x0a },
	{ "error", e_error, 0x46 },
	{ "currentTime", e_current_time, 0x14 },
	{ "tickPrice", e_tick_price, 0x1c },
	{ "tickSize", e_tick_size, 0x16 },
	{ "tickReqParams", e_tick_req_params, 0x1a },
	{ "marketDataType", e_market_data_type, 0x10 },
};

static void
test_enc_cap_too_small(void **state)
{
	uint8_t out[128];
	struct gw_err err;
	char want[128];
	size_t i, cap, k;

	(void)state;
	for (i = 0; i < sizeof(encoders) / sizeof(encoders[0]); i++) {
		assert_int_equal(encoders[i].fn(out, sizeof(out), &err),
		    (ssize_t)encoders[i].need);
		assert_int_equal(encoders[i].fn(out, encoders[i].need, &err),
		    (ssize_t)encoders[i].need);
		for (cap = 0; cap < encoders[i].need; cap++) {
			memset(out, 0xa5, sizeof(out));
			err.msg[0] = '\0';
			assert_int_equal(encoders[i].fn(out, cap, &err), -1);
			snprintf(want, sizeof(want),
			    "%s: message does not fit in %zu bytes",
			    encoders[i].name, cap);
			assert_string_equal(err.msg, want);
			for (k = cap; k < sizeof(out); k++)
				assert_int_equal(out[k], 0xa5);
		}
		/* A NULL err is allowed. */
		assert_int_equal(encoders[i].fn(out, 0, NULL), -1);
	}
}

/* ---------- framing: hello ---------- */

static void
test_decode_hello_range(void **state)
{
	struct tws_hello h;
	struct gw_err err = { "" };

	(void)state;
	memset(&h, 0x5a, sizeof(h));
	assert_int_equal(tws_wire_decode_hello(LIT("API\0" "\0\0\0\x09"
	    "v100..176"), &h, &err), 17);
	assert_int_equal(h.min_version, 100);
	assert_int_equal(h.max_version, 176);
	assert_string_equal(h.options, "");
	assert_string_equal(err.msg, "");
}

static void
test_decode_hello_single(void **state)
{
	struct tws_hello h;
	struct gw_err err = { "" };

	(void)state;
	assert_int_equal(tws_wire_decode_hello(LIT("API\0" "\0\0\0\x04" "v176"), &h,
	    &err), 12);
	assert_int_equal(h.min_version, 176);
	assert_int_equal(h.max_version, 176);
	assert_string_equal(h.options, "");
}

static void
test_decode_hello_options(void **state)
{
	struct tws_hello h;
	struct gw_err err = { "" };

	(void)state;
	assert_int_equal(tws_wire_decode_hello(LIT("API\0" "\0\0\0\x12"
	    "v100..176 +PACEAPI"), &h, &err), 26);
	assert_int_equal(h.min_version, 100);
	assert_int_equal(h.max_version, 176);
	assert_string_equal(h.options, "+PACEAPI");
	/* Everything after the first space, spaces included. */
	assert_int_equal(tws_wire_decode_hello(LIT("API\0" "\0\0\0\x0a"
	    "v176 a b c"), &h, &err), 18);
	assert_int_equal(h.min_version, 176);
	assert_string_equal(h.options, "a b c");
	/* A trailing space is an empty option string. */
	assert_int_equal(tws_wire_decode_hello(LIT("API\0" "\0\0\0\x05" "v176 "),
	    &h, &err), 13);
	assert_string_equal(h.options, "");
}

static void
test_decode_hello_options_truncated(void **state)
{
	uint8_t in[8 + 1000];
	struct tws_hello h;
	struct gw_err err = { "" };
	size_t n = 10 + 500;

	(void)state;
	memcpy(in, "API\0", 4);
	in[4] = 0;
	in[5] = 0;
	in[6] = (uint8_t)(n >> 8);
	in[7] = (uint8_t)n;
	memcpy(in + 8, "v100..176 ", 10);
	memset(in + 18, 'o', 500);
	assert_int_equal(tws_wire_decode_hello(in, 8 + n, &h, &err),
	    (ssize_t)(8 + n));
	assert_int_equal(h.max_version, 176);
	assert_int_equal(strlen(h.options), sizeof(h.options) - 1);
	assert_int_equal(h.options[0], 'o');
	assert_int_equal(h.options[sizeof(h.options) - 2], 'o');
}

static void
test_decode_hello_need_more(void **state)
{
	static const uint8_t in[] = "API\0" "\0\0\0\x12" "v100..176 +PACEAPI";
	struct tws_hello h;
	struct gw_err err = { "" };
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(in) - 1; n++)
		assert_int_equal(tws_wire_decode_hello(in, n, &h, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(tws_wire_decode_hello(in, n, &h, &err), 26);
	assert_int_equal(tws_wire_decode_hello(NULL, 0, &h, &err), 0);
}

/* The hello and the first frame usually arrive in one read. */
static void
test_decode_hello_then_frame(void **state)
{
	static const uint8_t in[] = "API\0" "\0\0\0\x09" "v100..176"
	    "\0\0\0\x08" "71\0" "2\0" "7\0" "\0";
	struct tws_hello h;
	struct tws_fields fs;
	struct tws_out_msg m;
	struct gw_err err = { "" };

	(void)state;
	assert_int_equal(tws_wire_decode_hello(in, sizeof(in) - 1, &h, &err), 17);
	decode_one(in + 17, sizeof(in) - 1 - 17, &fs);
	assert_int_equal(tws_wire_decode_out(&fs, 176, &m, &err), 0);
	assert_int_equal(m.id, TWS_OUT_START_API);
	assert_int_equal(m.u.start_api.client_id, 7);
}

static void
test_hello_not_api(void **state)
{
	(void)state;
	expect_hello_error(LIT("APX\0" "\0\0\0\x04" "v176"),
	    "hello: does not start with \"API\\0\"");
	expect_hello_error(LIT("API " "\0\0\0\x04" "v176"),
	    "hello: does not start with \"API\\0\"");
	/* Rejected as soon as the first wrong byte is seen. */
	expect_hello_error(LIT("GE"), "hello: does not start with \"API\\0\"");
	/* The legacy pre-V100 handshake (node-ib; protocol.md §3). */
	expect_hello_error(LIT("62\0"), "hello: does not start with \"API\\0\"");
}

static void
test_hello_bad_length(void **state)
{
	(void)state;
	expect_hello_error(LIT("API\0" "\0\0\0\0"),
	    "hello: version string length 0 not in 1..1024");
	/* Rejected from the 4 length bytes alone. */
	expect_hello_error(LIT("API\0" "\0\0\x04\x01"),
	    "hello: version string length 1025 not in 1..1024");
	expect_hello_error(LIT("API\0" "\xff\xff\xff\xff"),
	    "hello: version string length 4294967295 not in 1..1024");
}

static void
test_hello_bad_prefix(void **state)
{
	(void)state;
	expect_hello_error(LIT("API\0" "\0\0\0\x09" "x100..176"),
	    "hello: version string \"x100..176\" does not start with 'v'");
	expect_hello_error(LIT("API\0" "\0\0\0\x05" " v176"),
	    "hello: version string \"\" does not start with 'v'");
}

static void
test_hello_bad_range(void **state)
{
	(void)state;
	expect_hello_error(LIT("API\0" "\0\0\0\x06" "v..176"),
	    "hello: bad version range \"v..176\"");
	expect_hello_error(LIT("API\0" "\0\0\0\x06" "v100.."),
	    "hello: bad version range \"v100..\"");
	expect_hello_error(LIT("API\0" "\0\0\0\x0a" "v100...176"),
	    "hello: bad version range \"v100...176\"");
	expect_hello_error(LIT("API\0" "\0\0\0\x07" "v0..176"),
	    "hello: bad version range \"v0..176\"");
	/* Above INT_MAX. */
	expect_hello_error(LIT("API\0" "\0\0\0\x10" "v100..2147483648"),
	    "hello: bad version range \"v100..2147483648\"");
}

static void
test_hello_empty_range(void **state)
{
	(void)state;
	expect_hello_error(LIT("API\0" "\0\0\0\x09" "v176..100"),
	    "hello: version range \"v176..100\" is empty");
}

static void
test_hello_bad_single(void **state)
{
	(void)state;
	expect_hello_error(LIT("API\0" "\0\0\0\x01" "v"),
	    "hello: bad version \"v\"");
	expect_hello_error(LIT("API\0" "\0\0\0\x04" "vabc"),
	    "hello: bad version \"vabc\"");
	expect_hello_error(LIT("API\0" "\0\0\0\x02" "v0"),
	    "hello: bad version \"v0\"");
	/* Non-printable bytes are quoted as '?'. */
	expect_hello_error(LIT("API\0" "\0\0\0\x04" "v1\x01\xff"),
	    "hello: bad version \"v1??\"");
}

static void
test_hello_nul_inside(void **state)
{
	(void)state;
	expect_hello_error(LIT("API\0" "\0\0\0\x09" "v100\0.176"),
	    "hello: NUL inside the version string");
	/* A NUL-terminated string (a common client bug) is rejected too. */
	expect_hello_error(LIT("API\0" "\0\0\0\x0a" "v100..176\0"),
	    "hello: NUL inside the version string");
}

/* ---------- framing: frames ---------- */

static void
test_decode_frame_fields(void **state)
{
	static const uint8_t in[] = "\0\0\0\x08" "71\0" "2\0" "7\0" "\0";
	struct tws_fields fs;

	(void)state;
	decode_one(in, sizeof(in) - 1, &fs);
	assert_int_equal(fs.n, 4);
	assert_field(&fs.f[0], "71");
	assert_field(&fs.f[1], "2");
	assert_field(&fs.f[2], "7");
	assert_field(&fs.f[3], "");
	/* Fields point into the caller's buffer. */
	assert_ptr_equal(fs.f[0].p, (const char *)in + 4);
	assert_ptr_equal(fs.f[3].p, (const char *)in + 11);
}

static void
test_decode_frame_need_more(void **state)
{
	static const uint8_t in[] = "\0\0\0\x18" "1\0" "6\0" "1001\0" "1\0"
	    "500.12\0" "300\0" "0\0";
	struct tws_fields fs;
	struct gw_err err = { "" };
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(in) - 1; n++)
		assert_int_equal(tws_wire_decode_frame(in, n, &fs, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(tws_wire_decode_frame(in, n, &fs, &err), 28);
	assert_int_equal(fs.n, 7);
	assert_int_equal(tws_wire_decode_frame(NULL, 0, &fs, &err), 0);
}

static void
test_decode_frame_two_messages(void **state)
{
	static const uint8_t in[] = "\0\0\0\x0f" "15\0" "1\0" "DU1234567\0"
	    "\0\0\0\x06" "9\0" "1\0" "1\0" "\0\0";	/* + a partial third */
	struct tws_fields fs;
	struct tws_in_msg m;
	struct gw_err err = { "" };
	size_t off = 0;
	ssize_t r;

	(void)state;
	r = tws_wire_decode_frame(in, sizeof(in) - 1, &fs, &err);
	assert_int_equal(r, 19);
	assert_int_equal(tws_wire_decode_in(&fs, 176, &m, &err), 0);
	assert_int_equal(m.id, TWS_IN_MANAGED_ACCOUNTS);
	assert_field(&m.u.managed_accounts.accounts, "DU1234567");
	off += (size_t)r;
	r = tws_wire_decode_frame(in + off, sizeof(in) - 1 - off, &fs, &err);
	assert_int_equal(r, 10);
	assert_int_equal(tws_wire_decode_in(&fs, 176, &m, &err), 0);
	assert_int_equal(m.id, TWS_IN_NEXT_VALID_ID);
	assert_int_equal(m.u.next_valid_id.order_id, 1);
	off += (size_t)r;
	assert_int_equal(tws_wire_decode_frame(in + off, sizeof(in) - 1 - off, &fs,
	    &err), 0);
	assert_string_equal(err.msg, "");
}

static void
test_frame_too_long(void **state)
{
	(void)state;
	/* Rejected from the 4 length bytes alone, before the payload. */
	expect_frame_error(LIT("\x01\x00\x00\x00"),
	    "frame: length 16777216 exceeds the 16777215-byte maximum");
	expect_frame_error(LIT("\xff\xff\xff\xff" "9\0"),
	    "frame: length 4294967295 exceeds the 16777215-byte maximum");
}

static void
test_frame_max_len_needs_more(void **state)
{
	struct tws_fields fs;
	struct gw_err err = { "" };

	(void)state;
	/* TWS_MAX_MSG_LEN itself is legal: wait for the payload. */
	assert_int_equal(tws_wire_decode_frame(LIT("\x00\xff\xff\xff" "9\0"), &fs,
	    &err), 0);
	assert_string_equal(err.msg, "");
}

static void
test_frame_empty(void **state)
{
	(void)state;
	expect_frame_error(LIT("\0\0\0\0"), "frame: empty message");
	expect_frame_error(LIT("\0\0\0\0" "\0\0\0\x03" "49\0"),
	    "frame: empty message");
}

static void
test_frame_unterminated(void **state)
{
	(void)state;
	expect_frame_error(LIT("\0\0\0\x05" "9\0" "1\0" "1"),
	    "frame: last field is not NUL-terminated");
	expect_frame_error(LIT("\0\0\0\x02" "49"),
	    "frame: last field is not NUL-terminated");
}

static void
test_frame_too_many_fields(void **state)
{
	static uint8_t in[4 + TWS_MAX_FIELDS + 1];
	struct tws_fields fs;
	struct gw_err err = { "" };
	size_t i;

	(void)state;
	/* Exactly TWS_MAX_FIELDS empty fields is fine. */
	memset(in, 0, sizeof(in));
	in[2] = (uint8_t)(TWS_MAX_FIELDS >> 8);
	in[3] = (uint8_t)TWS_MAX_FIELDS;
	assert_int_equal(tws_wire_decode_frame(in, 4 + TWS_MAX_FIELDS, &fs, &err),
	    4 + TWS_MAX_FIELDS);
	assert_int_equal(fs.n, TWS_MAX_FIELDS);
	for (i = 0; i < fs.n; i++)
		assert_field(&fs.f[i], "");
	in[2] = (uint8_t)((TWS_MAX_FIELDS + 1) >> 8);
	in[3] = (uint8_t)(TWS_MAX_FIELDS + 1);
	expect_frame_error(in, sizeof(in), "frame: more than 512 fields");
}

/* ---------- server version reply ---------- */

static void
test_decode_server_version(void **state)
{
	struct tws_fields fs;
	struct gw_err err = { "" };
	char t[TWS_SERVER_VERSION_TIME_LEN];
	int v = 0;
	ssize_t n;

	(void)state;
	n = tws_enc_server_version(buf, sizeof(buf), 176, "20250425 15:23:54 EST",
	    &err);
	decode_one(buf, (size_t)n, &fs);
	assert_int_equal(tws_wire_decode_server_version(&fs, &v, t, &err), 0);
	assert_int_equal(v, 176);
	assert_string_equal(t, "20250425 15:23:54 EST");
}

static void
test_decode_server_version_time_quoted(void **state)
{
	struct tws_fields fs;
	struct gw_err err = { "" };
	char t[TWS_SERVER_VERSION_TIME_LEN];
	char longt[100];
	int v = 0;

	(void)state;
	decode_one(buf, frame_of(P("178\0" "a\tb\x80\0")), &fs);
	assert_int_equal(tws_wire_decode_server_version(&fs, &v, t, &err), 0);
	assert_int_equal(v, 178);
	assert_string_equal(t, "a?b?");
	/* An over-long time is cut to 63 bytes ending in "...". */
	memset(longt, 'T', sizeof(longt));
	memcpy(longt, "178", 4);
	longt[sizeof(longt) - 1] = '\0';
	decode_one(buf, frame_of(longt, sizeof(longt)), &fs);
	assert_int_equal(tws_wire_decode_server_version(&fs, &v, t, &err), 0);
	assert_int_equal(strlen(t), TWS_SERVER_VERSION_TIME_LEN - 1);
	assert_string_equal(t + TWS_SERVER_VERSION_TIME_LEN - 4, "...");
}

static void
expect_sv_error(const void *payload, size_t n, const char *msg)
{
	struct tws_fields fs;
	struct gw_err err = { "" };
	char t[TWS_SERVER_VERSION_TIME_LEN];
	int v = -7;

	decode_one(buf, frame_of(payload, n), &fs);
	assert_int_equal(tws_wire_decode_server_version(&fs, &v, t, &err), -1);
	assert_string_equal(err.msg, msg);
	assert_int_equal(v, -7);
}

static void
test_server_version_field_count(void **state)
{
	(void)state;
	expect_sv_error(P("176\0"),
	    "server version reply: expected 2 fields, got 1");
	expect_sv_error(P("176\0" "20250425 15:23:54 EST\0" "x\0"),
	    "server version reply: expected 2 fields, got 3");
	/* A news bulletin or other message before the reply (protocol.md §3.2). */
	expect_sv_error(P("4\0" "2\0" "-1\0" "2104\0" "x\0"),
	    "server version reply: expected 2 fields, got 5");
}

static void
test_server_version_bad_number(void **state)
{
	(void)state;
	expect_sv_error(P("abc\0" "t\0"),
	    "server version reply: bad version \"abc\"");
	expect_sv_error(P("\0" "t\0"), "server version reply: bad version \"\"");
	expect_sv_error(P("0\0" "t\0"), "server version reply: bad version \"0\"");
	expect_sv_error(P("10000\0" "t\0"),
	    "server version reply: bad version \"10000\"");
	expect_sv_error(P("17 6\0" "t\0"),
	    "server version reply: bad version \"17 6\"");
}

/* ---------- server -> client round trips ---------- */

static void
roundtrip_in(ssize_t n, int sv, struct tws_in_msg *m)
{
	static struct tws_fields fs;
	struct gw_err err = { "" };

	assert_true(n > 0);
	decode_one(buf, (size_t)n, &fs);
	memset(m, 0x5a, sizeof(*m));
	assert_int_equal(tws_wire_decode_in(&fs, sv, m, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(m->known, 1);
}

static void
test_rt_managed_accounts(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_managed_accounts(buf, sizeof(buf),
	    "DU1234567,DU7654321", NULL), 176, &m);
	assert_int_equal(m.id, TWS_IN_MANAGED_ACCOUNTS);
	assert_field(&m.u.managed_accounts.accounts, "DU1234567,DU7654321");
	assert_string_equal(tws_in_name(m.id), "managedAccounts");
}

static void
test_rt_next_valid_id(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_next_valid_id(buf, sizeof(buf), 123456789012LL, NULL),
	    176, &m);
	assert_int_equal(m.id, TWS_IN_NEXT_VALID_ID);
	assert_int_equal(m.u.next_valid_id.order_id, 123456789012LL);
	roundtrip_in(tws_enc_next_valid_id(buf, sizeof(buf), -1, NULL), 176, &m);
	assert_int_equal(m.u.next_valid_id.order_id, -1);
	assert_string_equal(tws_in_name(m.id), "nextValidId");
}

static void
test_rt_error_sv165(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_error(buf, sizeof(buf), 165, -1, 2104, MSG_2104,
	    1745612634123LL, NULL), 165, &m);
	assert_int_equal(m.id, TWS_IN_ERROR);
	assert_int_equal(m.u.error.req_id, -1);
	assert_int_equal(m.u.error.code, 2104);
	assert_field(&m.u.error.text, MSG_2104);
	assert_int_equal(m.u.error.advanced_json.len, 0);
	assert_int_equal(m.u.error.time_ms, 0);
}

static void
test_rt_error_sv176(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_error(buf, sizeof(buf), 176, 1001, 10167,
	    "Requested market data is not subscribed.", 0, NULL), 176, &m);
	assert_int_equal(m.id, TWS_IN_ERROR);
	assert_int_equal(m.u.error.req_id, 1001);
	assert_int_equal(m.u.error.code, 10167);
	assert_field(&m.u.error.text, "Requested market data is not subscribed.");
	assert_field(&m.u.error.advanced_json, "");
	assert_int_equal(m.u.error.time_ms, 0);
}

static void
test_rt_error_sv194(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_error(buf, sizeof(buf), 194, -1, 1100,
	    "Connectivity between IB and Trader Workstation has been lost.",
	    1745612634123LL, NULL), 194, &m);
	assert_int_equal(m.id, TWS_IN_ERROR);
	assert_int_equal(m.u.error.req_id, -1);
	assert_int_equal(m.u.error.code, 1100);
	assert_field(&m.u.error.text,
	    "Connectivity between IB and Trader Workstation has been lost.");
	assert_field(&m.u.error.advanced_json, "");
	assert_int_equal(m.u.error.time_ms, 1745612634123LL);
}

static void
test_rt_error_json(void **state)
{
	struct tws_in_msg m;

	(void)state;
	/* A non-empty advancedOrderRejectJson, hand-built (we never send one). */
	roundtrip_in((ssize_t)frame_of(P("4\0" "2\0" "7\0" "201\0" "Order rejected\0" "{\"a\":1}\0")), 176, &m);
	assert_int_equal(m.u.error.req_id, 7);
	assert_int_equal(m.u.error.code, 201);
	assert_field(&m.u.error.text, "Order rejected");
	assert_field(&m.u.error.advanced_json, "{\"a\":1}");
}

static void
test_rt_current_time(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_current_time(buf, sizeof(buf), 1745612634, NULL), 176,
	    &m);
	assert_int_equal(m.id, TWS_IN_CURRENT_TIME);
	assert_int_equal(m.u.current_time.time, 1745612634);
}

static void
test_rt_tick_price(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_tick_price(buf, sizeof(buf), 1001, 1, 500.12, "300", 0,
	    NULL), 176, &m);
	assert_int_equal(m.id, TWS_IN_TICK_PRICE);
	assert_int_equal(m.u.tick_price.req_id, 1001);
	assert_int_equal(m.u.tick_price.tick_type, 1);
	assert_true(m.u.tick_price.price == 500.12);
	assert_field(&m.u.tick_price.size, "300");
	assert_int_equal(m.u.tick_price.attr_mask, 0);
	roundtrip_in(tws_enc_tick_price(buf, sizeof(buf), 1001, 66, -0.1, "", 6,
	    NULL), 176, &m);
	assert_int_equal(m.u.tick_price.tick_type, 66);
	assert_true(m.u.tick_price.price == -0.1);
	assert_field(&m.u.tick_price.size, "");
	assert_int_equal(m.u.tick_price.attr_mask, 6);
}

/* Every finite double the encoder writes must decode to the same double. */
static void
test_rt_tick_price_doubles(void **state)
{
	static const double vals[] = {
		0.0, 1.0, 0.1, 1e-5, 123456789.123, 1e22, 1e300, -1e-300,
		4.9406564584124654e-324, 2.2250738585072014e-308,
		1.7976931348623157e308, 0.30000000000000004,
	};
	struct tws_in_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		roundtrip_in(tws_enc_tick_price(buf, sizeof(buf), 1, 4, vals[i], "1",
		    0, NULL), 176, &m);
		assert_memory_equal(&m.u.tick_price.price, &vals[i], sizeof(double));
	}
}

static void
test_rt_tick_size(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_tick_size(buf, sizeof(buf), 1001, 8, "123456", NULL),
	    176, &m);
	assert_int_equal(m.id, TWS_IN_TICK_SIZE);
	assert_int_equal(m.u.tick_size.req_id, 1001);
	assert_int_equal(m.u.tick_size.tick_type, 8);
	assert_field(&m.u.tick_size.size, "123456");
	/* Sizes are Decimal strings, passed through untouched. */
	roundtrip_in(tws_enc_tick_size(buf, sizeof(buf), 1001, 74, "0.5", NULL),
	    176, &m);
	assert_int_equal(m.u.tick_size.tick_type, 74);
	assert_field(&m.u.tick_size.size, "0.5");
}

static void
test_rt_tick_req_params(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_tick_req_params(buf, sizeof(buf), 1001, 0.01, "9c0001",
	    3, NULL), 176, &m);
	assert_int_equal(m.id, TWS_IN_TICK_REQ_PARAMS);
	assert_int_equal(m.u.tick_req_params.req_id, 1001);
	assert_true(m.u.tick_req_params.min_tick == 0.01);
	assert_field(&m.u.tick_req_params.bbo_exchange, "9c0001");
	assert_int_equal(m.u.tick_req_params.snapshot_permissions, 3);
}

static void
test_rt_market_data_type(void **state)
{
	struct tws_in_msg m;

	(void)state;
	roundtrip_in(tws_enc_market_data_type(buf, sizeof(buf), 1001, 3, NULL), 176,
	    &m);
	assert_int_equal(m.id, TWS_IN_MARKET_DATA_TYPE);
	assert_int_equal(m.u.market_data_type.req_id, 1001);
	assert_int_equal(m.u.market_data_type.type, 3);
}

static void
test_in_unknown_id(void **state)
{
	struct tws_fields fs;
	struct tws_in_msg m;
	struct gw_err err = { "" };

	(void)state;
	/* News bulletin (14) and a made-up id: not ours, not an error. */
	decode_one(buf, frame_of(P("14\0" "1\0" "5\0" "1\0" "news\0" "NYSE\0")),
	    &fs);
	assert_int_equal(tws_wire_decode_in(&fs, 176, &m, &err), 0);
	assert_int_equal(m.id, 14);
	assert_int_equal(m.known, 0);
	assert_string_equal(tws_in_name(m.id), "unknown");
	decode_one(buf, frame_of(P("99999\0")), &fs);
	assert_int_equal(tws_wire_decode_in(&fs, 176, &m, &err), 0);
	assert_int_equal(m.id, 99999);
	assert_int_equal(m.known, 0);
	assert_string_equal(err.msg, "");
}

/* ---------- client -> server round trips ---------- */

static void
roundtrip_out(ssize_t n, int sv, struct tws_out_msg *m)
{
	static struct tws_fields fs;
	struct gw_err err = { "" };

	assert_true(n > 0);
	decode_one(buf, (size_t)n, &fs);
	memset(m, 0x5a, sizeof(*m));
	assert_int_equal(tws_wire_decode_out(&fs, sv, m, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(m->known, 1);
}

static void
test_rt_start_api(void **state)
{
	struct tws_out_msg m;

	(void)state;
	roundtrip_out(tws_enc_start_api(buf, sizeof(buf), 176, 7, "", NULL), 176,
	    &m);
	assert_int_equal(m.id, TWS_OUT_START_API);
	assert_int_equal(m.u.start_api.client_id, 7);
	assert_field(&m.u.start_api.capabilities, "");
	roundtrip_out(tws_enc_start_api(buf, sizeof(buf), 176, -3, "cap", NULL),
	    176, &m);
	assert_int_equal(m.u.start_api.client_id, -3);
	assert_field(&m.u.start_api.capabilities, "cap");
	assert_string_equal(tws_out_name(m.id), "startApi");
}

static void
test_rt_start_api_old(void **state)
{
	struct tws_out_msg m;

	(void)state;
	roundtrip_out(tws_enc_start_api(buf, sizeof(buf), 71, 2147483647, "cap",
	    NULL), 71, &m);
	assert_int_equal(m.id, TWS_OUT_START_API);
	assert_int_equal(m.u.start_api.client_id, 2147483647);
	assert_int_equal(m.u.start_api.capabilities.len, 0);
	/* Any version number is accepted (protocol.md §4). */
	roundtrip_out((ssize_t)frame_of(P("71\0" "1\0" "12\0")), 176, &m);
	assert_int_equal(m.u.start_api.client_id, 12);
}

static void
test_rt_req_current_time(void **state)
{
	struct tws_out_msg m;

	(void)state;
	roundtrip_out(tws_enc_req_current_time(buf, sizeof(buf), NULL), 176, &m);
	assert_int_equal(m.id, TWS_OUT_REQ_CURRENT_TIME);
	assert_string_equal(tws_out_name(m.id), "reqCurrentTime");
}

static void
test_rt_req_market_data_type(void **state)
{
	struct tws_out_msg m;
	int t;

	(void)state;
	for (t = 1; t <= 4; t++) {
		roundtrip_out(tws_enc_req_market_data_type(buf, sizeof(buf), t, NULL),
		    176, &m);
		assert_int_equal(m.id, TWS_OUT_REQ_MARKET_DATA_TYPE);
		assert_int_equal(m.u.req_market_data_type.type, t);
	}
}

static void
test_rt_req_mkt_data(void **state)
{
	struct tws_contract c = { 756733, "SPY", "STK", "SMART", "ARCA", "USD" };
	struct tws_out_msg m;

	(void)state;
	roundtrip_out(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1001, &spy, "",
	    0, NULL), 176, &m);
	assert_int_equal(m.id, TWS_OUT_REQ_MKT_DATA);
	assert_int_equal(m.u.req_mkt_data.req_id, 1001);
	assert_int_equal(m.u.req_mkt_data.con_id, 0);
	assert_field(&m.u.req_mkt_data.symbol, "SPY");
	assert_field(&m.u.req_mkt_data.sec_type, "STK");
	assert_field(&m.u.req_mkt_data.exchange, "SMART");
	assert_field(&m.u.req_mkt_data.currency, "USD");
	assert_field(&m.u.req_mkt_data.generic_ticks, "");
	assert_int_equal(m.u.req_mkt_data.snapshot, 0);
	roundtrip_out(tws_enc_req_mkt_data(buf, sizeof(buf), 113, 42, &c,
	    "233,236", 1, NULL), 113, &m);
	assert_int_equal(m.u.req_mkt_data.req_id, 42);
	assert_int_equal(m.u.req_mkt_data.con_id, 756733);
	assert_field(&m.u.req_mkt_data.generic_ticks, "233,236");
	assert_int_equal(m.u.req_mkt_data.snapshot, 1);
}

static void
test_rt_req_mkt_data_stq(void **state)
{
	struct tws_out_msg m;

	(void)state;
	/* @stoqey/ib sends "" for an unset conId and strike (protocol.md §2). */
	roundtrip_out((ssize_t)frame_of(P("1\0" "11\0" "5\0" "\0" "AAPL\0" "STK\0" "\0" "\0" "\0" "\0"
	    "SMART\0" "\0" "USD\0" "\0" "\0" "0\0" "\0" "0\0" "0\0" "\0")), 176, &m);
	assert_int_equal(m.u.req_mkt_data.req_id, 5);
	assert_int_equal(m.u.req_mkt_data.con_id, 0);
	assert_field(&m.u.req_mkt_data.symbol, "AAPL");
}

static void
test_rt_req_mkt_data_delta_neutral_and_bag(void **state)
{
	struct tws_out_msg m;

	(void)state;
	/* deltaNeutral=1 carries 3 more fields before genericTickList. */
	roundtrip_out((ssize_t)frame_of(P("1\0" "11\0" "5\0" "0\0" "ES\0" "FUT\0" "\0" "0.0\0" "\0" "\0"
	    "CME\0" "\0" "USD\0" "\0" "\0" "1\0" "9\0" "0.5\0" "1.0\0" "233\0"
	    "1\0" "0\0" "\0")), 176, &m);
	assert_field(&m.u.req_mkt_data.sec_type, "FUT");
	assert_field(&m.u.req_mkt_data.generic_ticks, "233");
	assert_int_equal(m.u.req_mkt_data.snapshot, 1);
	/* BAG: a leg count, then 4 fields per leg. */
	roundtrip_out((ssize_t)frame_of(P("1\0" "11\0" "6\0" "0\0" "X\0" "BAG\0" "\0" "0.0\0" "\0" "\0"
	    "SMART\0" "\0" "USD\0" "\0" "\0" "1\0" "1\0" "1\0" "BUY\0" "SMART\0"
	    "0\0" "\0" "1\0" "0\0" "\0")), 176, &m);
	assert_field(&m.u.req_mkt_data.sec_type, "BAG");
	assert_field(&m.u.req_mkt_data.generic_ticks, "");
	assert_int_equal(m.u.req_mkt_data.snapshot, 1);
}

static void
test_rt_cancel_mkt_data(void **state)
{
	struct tws_out_msg m;

	(void)state;
	roundtrip_out(tws_enc_cancel_mkt_data(buf, sizeof(buf), 1001, NULL), 176,
	    &m);
	assert_int_equal(m.id, TWS_OUT_CANCEL_MKT_DATA);
	assert_int_equal(m.u.cancel_mkt_data.req_id, 1001);
	/* @stoqey/ib sends version 1 (cancelMktData; protocol.md §9). */
	roundtrip_out((ssize_t)frame_of(P("2\0" "1\0" "77\0")), 176, &m);
	assert_int_equal(m.u.cancel_mkt_data.req_id, 77);
}

static void
test_out_unknown_id(void **state)
{
	struct tws_fields fs;
	struct tws_out_msg m;
	struct gw_err err = { "" };

	(void)state;
	/* reqIds (8) is not ours: decoded, not known, not an error. */
	decode_one(buf, frame_of(P("8\0" "1\0" "1\0")), &fs);
	assert_int_equal(tws_wire_decode_out(&fs, 176, &m, &err), 0);
	assert_int_equal(m.id, 8);
	assert_int_equal(m.known, 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(tws_out_name(m.id), "unknown");
}

/* ---------- malformed messages ---------- */

static void
test_bad_message_id(void **state)
{
	(void)state;
	expect_in_error(P("abc\0" "1\0"), 176,
	    "message: field id: \"abc\" is not an integer in 0..100000");
	expect_in_error(P("-1\0"), 176,
	    "message: field id: \"-1\" is not an integer in 0..100000");
	expect_in_error(P("100001\0"), 176,
	    "message: field id: \"100001\" is not an integer in 0..100000");
	expect_in_error(P(" 9\0" "1\0" "1\0"), 176,
	    "message: field id: \" 9\" is not an integer in 0..100000");
	expect_in_error(P("\0" "1\0" "1\0"), 176, "message: empty message id");
	expect_out_error(P("7\x01\0"), 176,
	    "message: field id: \"7?\" is not an integer in 0..100000");
	expect_out_error(P("\0"), 176, "message: empty message id");
}

static void
test_missing_fields(void **state)
{
	(void)state;
	expect_in_error(P("9\0" "1\0"), 176,
	    "nextValidId: missing field orderId (message has 2 fields)");
	expect_in_error(P("15\0" "1\0"), 176,
	    "managedAccounts: missing field accountsList (message has 2 fields)");
	expect_in_error(P("49\0"), 176,
	    "currentTime: missing field version (message has 1 fields)");
	expect_in_error(P("1\0" "6\0" "1001\0" "1\0" "500.12\0" "300\0"), 176,
	    "tickPrice: missing field attrMask (message has 6 fields)");
	expect_in_error(P("2\0" "6\0" "1001\0" "8\0"), 176,
	    "tickSize: missing field size (message has 4 fields)");
	expect_in_error(P("81\0" "1001\0" "0.01\0" "9c0001\0"), 176,
	    "tickReqParams: missing field snapshotPermissions (message has 4 fields)");
	expect_in_error(P("58\0" "1\0" "1001\0"), 176,
	    "marketDataType: missing field marketDataType (message has 3 fields)");
	expect_out_error(P("71\0" "2\0"), 176,
	    "startApi: missing field clientId (message has 2 fields)");
	expect_out_error(P("59\0" "1\0"), 176,
	    "reqMarketDataType: missing field marketDataType (message has 2 fields)");
	expect_out_error(P("2\0" "2\0"), 176,
	    "cancelMktData: missing field tickerId (message has 2 fields)");
	expect_out_error(P("49\0"), 176,
	    "reqCurrentTime: missing field version (message has 1 fields)");
}

static void
test_error_layouts_mismatch(void **state)
{
	(void)state;
	/* The sv 165 layout read at 176 lacks the json field... */
	expect_in_error(P("4\0" "2\0" "-1\0" "2104\0" MSG_2104 "\0"), 176,
	    "error: missing field advancedOrderRejectJson (message has 5 fields)");
	expect_in_error(P("4\0" "2\0" "-1\0"), 165,
	    "error: missing field code (message has 3 fields)");
}

static void
test_bad_integers(void **state)
{
	(void)state;
	expect_in_error(P("9\0" "1\0" "12x\0"), 176,
	    "nextValidId: field orderId: \"12x\" is not an integer in "
	    "-140737488355327..140737488355327");
	expect_in_error(P("9\0" "1\0" "140737488355328\0"), 176,
	    "nextValidId: field orderId: \"140737488355328\" is not an integer in "
	    "-140737488355327..140737488355327");
	expect_in_error(P("9\0" "v1\0" "1\0"), 176,
	    "nextValidId: field version: \"v1\" is not an integer in 0..1000");
	expect_in_error(P("58\0" "1\0" "1001\0" "101\0"), 176,
	    "marketDataType: field marketDataType: \"101\" is not an integer in "
	    "0..100");
	expect_in_error(P("4\0" "2\0" "-1\0" "1e3\0" "x\0" "\0"), 176,
	    "error: field code: \"1e3\" is not an integer in -1000000..1000000");
	expect_in_error(P("4\0" "-1\0" "2104\0" "x\0" "\0" "-5\0"), 194,
	    "error: field errorTime: \"-5\" is not an integer in "
	    "0..9223372036854775807");
	expect_in_error(P("49\0" "1\0" "99999999999999999999\0"), 176,
	    "currentTime: field time: \"99999999999999999999\" is not an integer "
	    "in 0..9223372036854775807");
	expect_in_error(P("1\0" "6\0" "1001\0" "1001\0" "1.0\0" "1\0" "0\0"), 176,
	    "tickPrice: field tickType: \"1001\" is not an integer in 0..1000");
	expect_out_error(P("59\0" "1\0" "5\0"), 176,
	    "reqMarketDataType: field marketDataType: \"5\" is not an integer in "
	    "1..4");
	expect_out_error(P("71\0" "2\0" "2147483648\0" "\0"), 176,
	    "startApi: field clientId: \"2147483648\" is not an integer in "
	    "-2147483648..2147483647");
}

static void
test_bad_prices(void **state)
{
	static const char *const bad[] = {
		"abc", "nan", "NAN", "inf", "-inf", "infinity", "1e999", "-1e999",
		"0x10", "1.5.5", "1e", " 5", "5 ", "+", ".", "--1", "1,5",
	};
	char payload[64], want[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = (size_t)snprintf(payload, sizeof(payload), "1|6|1001|1|%s|300|0|",
		    bad[i]);
		for (char *p = payload; *p; p++)
			if (*p == '|')
				*p = '\0';
		snprintf(want, sizeof(want),
		    "tickPrice: field price: \"%s\" is not a number", bad[i]);
		expect_in_error(payload, n, 176, want);
	}
	expect_in_error(P("81\0" "1001\0" "0.0.1\0" "x\0" "3\0"), 176,
	    "tickReqParams: field minTick: \"0.0.1\" is not a number");
	/* Longer than 40 characters, quoted and cut. */
	expect_in_error(P("81\0" "1\0" "00000000000000000000000000000000000000001\0"
	    "x\0" "3\0"), 176,
	    "tickReqParams: field minTick: \"00000000000000000000000000000000000000001\" is not a number");
}

static void
test_good_prices(void **state)
{
	static const struct { const char *text; double v; } good[] = {
		{ "", 0.0 }, { "0", 0.0 }, { "-0.5", -0.5 }, { "+2", 2.0 },
		{ ".25", 0.25 }, { "5.", 5.0 }, { "1e3", 1000.0 }, { "1E-2", 0.01 },
		{ "1e-999", 0.0 },	/* underflow reads as the nearest double */
	};
	char payload[64];
	struct tws_fields fs;
	struct tws_in_msg m;
	struct gw_err err = { "" };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = (size_t)snprintf(payload, sizeof(payload), "1|6|1|1|%s|1|0|",
		    good[i].text);
		for (char *p = payload; *p; p++)
			if (*p == '|')
				*p = '\0';
		decode_one(buf, frame_of(payload, n), &fs);
		assert_int_equal(tws_wire_decode_in(&fs, 176, &m, &err), 0);
		assert_true(m.u.tick_price.price == good[i].v);
	}
}

static void
test_req_mkt_data_truncated(void **state)
{
	static const char full[] = SPY_PAYLOAD;
	struct gw_err err;
	size_t n, nul;

	(void)state;
	assert_int_equal(tws_enc_req_mkt_data(buf, sizeof(buf), 176, 1001, &spy, "",
	    0, &err), 0x34);
	/* Cut after the 10th field (multiplier): exchange is missing. */
	for (n = 0, nul = 0; nul < 10; n++)
		if (full[n] == '\0')
			nul++;
	expect_out_error(full, n, 176,
	    "reqMktData: missing field exchange (message has 10 fields)");
	expect_out_error(full, 16, 176,
	    "reqMktData: missing field secType (message has 5 fields)");
	/* Every shorter prefix that ends on a field boundary is rejected. */
	for (n = 1, nul = 0; n < sizeof(full) - 1; n++) {
		struct tws_fields fs;
		struct tws_out_msg m;

		if (full[n - 1] != '\0')
			continue;
		if (++nul >= 18)	/* snapshot is the last field we read */
			break;
		decode_one(buf, frame_of(full, n), &fs);
		assert_int_equal(fs.n, nul);
		assert_int_equal(tws_wire_decode_out(&fs, 176, &m, &err), -1);
		assert_non_null(strstr(err.msg, "reqMktData: missing field "));
	}
}

static void
test_req_mkt_data_bad_values(void **state)
{
	(void)state;
	expect_out_error(P("1\0" "11\0" "5\0" "0\0" "SPY\0" "STK\0" "\0" "zero\0"
	    "\0" "\0" "SMART\0" "\0" "USD\0" "\0" "\0" "0\0" "\0" "0\0" "0\0" "\0"), 176, "reqMktData: field strike: \"zero\" is not a number");
	expect_out_error(P("1\0" "11\0" "5\0" "-1\0" "SPY\0" "STK\0" "\0" "0\0"
	    "\0" "\0" "SMART\0" "\0" "USD\0" "\0" "\0" "0\0" "\0" "0\0" "0\0" "\0"), 176,
	    "reqMktData: field conId: \"-1\" is not an integer in 0..140737488355327");
	expect_out_error(P("1\0" "11\0" "5\0" "0\0" "SPY\0" "STK\0" "\0" "0\0"
	    "\0" "\0" "SMART\0" "\0" "USD\0" "\0" "\0" "2\0" "\0" "0\0" "0\0" "\0"), 176,
	    "reqMktData: field deltaNeutral: \"2\" is not an integer in 0..1");
	expect_out_error(P("1\0" "11\0" "5\0" "0\0" "X\0" "BAG\0" "\0" "0\0"
	    "\0" "\0" "SMART\0" "\0" "USD\0" "\0" "\0" "101\0"), 176,
	    "reqMktData: field comboLegsCount: \"101\" is not an integer in 0..100");
	expect_out_error(P("1\0" "11\0" "5\0" "0\0" "X\0" "BAG\0" "\0" "0\0"
	    "\0" "\0" "SMART\0" "\0" "USD\0" "\0" "\0" "2\0" "1\0" "1\0" "BUY\0"
	    "SMART\0"), 176,
	    "reqMktData: missing field comboLeg.conId (message has 20 fields)");
}

/* ---------- tws_field_ll ---------- */

static int
ll(const char *s, long long min, long long max, long long *out)
{
	struct tws_field f = { s, strlen(s) };

	*out = 4242;
	return tws_field_ll(&f, min, max, out);
}

static void
test_field_ll_empty(void **state)
{
	long long v;

	(void)state;
	assert_int_equal(ll("", -5, 5, &v), 0);
	assert_int_equal(v, 0);
	/* "" is 0, so it fails a range that excludes 0. */
	assert_int_equal(ll("", 1, 5, &v), -1);
	assert_int_equal(v, 4242);
	assert_int_equal(ll("", -5, -1, &v), -1);
}

static void
test_field_ll_sign(void **state)
{
	long long v;

	(void)state;
	assert_int_equal(ll("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(ll("+5", -10, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ll("-0", -10, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ll("007", -10, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ll("-", -10, 10, &v), -1);
	assert_int_equal(ll("+", -10, 10, &v), -1);
	assert_int_equal(ll("--5", -10, 10, &v), -1);
	assert_int_equal(ll("+-5", -10, 10, &v), -1);
	assert_int_equal(ll("5-", -10, 10, &v), -1);
	assert_int_equal(ll(" 5", -10, 10, &v), -1);
	assert_int_equal(ll("5 ", -10, 10, &v), -1);
	assert_int_equal(ll("0x5", -10, 10, &v), -1);
	assert_int_equal(ll("5.0", -10, 10, &v), -1);
	assert_int_equal(v, 4242);
}

static void
test_field_ll_overflow(void **state)
{
	long long v;

	(void)state;
	assert_int_equal(ll("9223372036854775807", LLONG_MIN, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(ll("-9223372036854775808", LLONG_MIN, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MIN);
	assert_int_equal(ll("-9223372036854775807", LLONG_MIN, LLONG_MAX, &v), 0);
	assert_true(v == -LLONG_MAX);
	assert_int_equal(ll("9223372036854775808", LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(ll("+9223372036854775808", LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(ll("-9223372036854775809", LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(ll("9999999999999999999", LLONG_MIN, LLONG_MAX, &v), -1);
	/* 20 digits is too many, whatever their value. */
	assert_int_equal(ll("12345678901234567890", LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(ll("00000000000000000001", LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(ll("-12345678901234567890", LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(v, 4242);
	assert_int_equal(ll("0000000000000000001", LLONG_MIN, LLONG_MAX, &v), 0);
	assert_int_equal(v, 1);
}

static void
test_field_ll_bounds(void **state)
{
	long long v;

	(void)state;
	assert_int_equal(ll("10", 10, 20, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(ll("20", 10, 20, &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(ll("9", 10, 20, &v), -1);
	assert_int_equal(ll("21", 10, 20, &v), -1);
	assert_int_equal(ll("-11", -10, 10, &v), -1);
	assert_int_equal(ll("7", 7, 7, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ll("2147483648", INT_MIN, INT_MAX, &v), -1);
	assert_int_equal(ll("-2147483649", INT_MIN, INT_MAX, &v), -1);
	assert_int_equal(ll("-2147483648", INT_MIN, INT_MAX, &v), 0);
	assert_true(v == INT_MIN);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(tws_in_name(TWS_IN_TICK_PRICE), "tickPrice");
	assert_string_equal(tws_in_name(TWS_IN_TICK_SIZE), "tickSize");
	assert_string_equal(tws_in_name(TWS_IN_ERROR), "error");
	assert_string_equal(tws_in_name(TWS_IN_CURRENT_TIME), "currentTime");
	assert_string_equal(tws_in_name(TWS_IN_MARKET_DATA_TYPE), "marketDataType");
	assert_string_equal(tws_in_name(TWS_IN_TICK_REQ_PARAMS), "tickReqParams");
	assert_string_equal(tws_in_name(-1), "unknown");
	assert_string_equal(tws_out_name(TWS_OUT_REQ_MKT_DATA), "reqMktData");
	assert_string_equal(tws_out_name(TWS_OUT_CANCEL_MKT_DATA), "cancelMktData");
	assert_string_equal(tws_out_name(TWS_OUT_REQ_MARKET_DATA_TYPE),
	    "reqMarketDataType");
	assert_string_equal(tws_out_name(0), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enc_hello_range),
		cmocka_unit_test(test_enc_hello_options),
		cmocka_unit_test(test_enc_hello_single),
		cmocka_unit_test(test_enc_hello_bad_args),
		cmocka_unit_test(test_enc_start_api),
		cmocka_unit_test(test_enc_start_api_old),
		cmocka_unit_test(test_enc_req_current_time),
		cmocka_unit_test(test_enc_req_market_data_type),
		cmocka_unit_test(test_enc_req_mkt_data),
		cmocka_unit_test(test_enc_req_mkt_data_variants),
		cmocka_unit_test(test_enc_req_mkt_data_bad_contract),
		cmocka_unit_test(test_enc_cancel_mkt_data),
		cmocka_unit_test(test_enc_server_version),
		cmocka_unit_test(test_enc_managed_accounts),
		cmocka_unit_test(test_enc_next_valid_id),
		cmocka_unit_test(test_enc_error_sv176),
		cmocka_unit_test(test_enc_error_sv165),
		cmocka_unit_test(test_enc_error_sv194),
		cmocka_unit_test(test_enc_current_time),
		cmocka_unit_test(test_enc_tick_price),
		cmocka_unit_test(test_enc_tick_price_not_finite),
		cmocka_unit_test(test_enc_double_text),
		cmocka_unit_test(test_enc_tick_size),
		cmocka_unit_test(test_enc_tick_req_params),
		cmocka_unit_test(test_enc_market_data_type),
		cmocka_unit_test(test_enc_cap_too_small),
		cmocka_unit_test(test_decode_hello_range),
		cmocka_unit_test(test_decode_hello_single),
		cmocka_unit_test(test_decode_hello_options),
		cmocka_unit_test(test_decode_hello_options_truncated),
		cmocka_unit_test(test_decode_hello_need_more),
		cmocka_unit_test(test_decode_hello_then_frame),
		cmocka_unit_test(test_hello_not_api),
		cmocka_unit_test(test_hello_bad_length),
		cmocka_unit_test(test_hello_bad_prefix),
		cmocka_unit_test(test_hello_bad_range),
		cmocka_unit_test(test_hello_empty_range),
		cmocka_unit_test(test_hello_bad_single),
		cmocka_unit_test(test_hello_nul_inside),
		cmocka_unit_test(test_decode_frame_fields),
		cmocka_unit_test(test_decode_frame_need_more),
		cmocka_unit_test(test_decode_frame_two_messages),
		cmocka_unit_test(test_frame_too_long),
		cmocka_unit_test(test_frame_max_len_needs_more),
		cmocka_unit_test(test_frame_empty),
		cmocka_unit_test(test_frame_unterminated),
		cmocka_unit_test(test_frame_too_many_fields),
		cmocka_unit_test(test_decode_server_version),
		cmocka_unit_test(test_decode_server_version_time_quoted),
		cmocka_unit_test(test_server_version_field_count),
		cmocka_unit_test(test_server_version_bad_number),
		cmocka_unit_test(test_rt_managed_accounts),
		cmocka_unit_test(test_rt_next_valid_id),
		cmocka_unit_test(test_rt_error_sv165),
		cmocka_unit_test(test_rt_error_sv176),
		cmocka_unit_test(test_rt_error_sv194),
		cmocka_unit_test(test_rt_error_json),
		cmocka_unit_test(test_rt_current_time),
		cmocka_unit_test(test_rt_tick_price),
		cmocka_unit_test(test_rt_tick_price_doubles),
		cmocka_unit_test(test_rt_tick_size),
		cmocka_unit_test(test_rt_tick_req_params),
		cmocka_unit_test(test_rt_market_data_type),
		cmocka_unit_test(test_in_unknown_id),
		cmocka_unit_test(test_rt_start_api),
		cmocka_unit_test(test_rt_start_api_old),
		cmocka_unit_test(test_rt_req_current_time),
		cmocka_unit_test(test_rt_req_market_data_type),
		cmocka_unit_test(test_rt_req_mkt_data),
		cmocka_unit_test(test_rt_req_mkt_data_stq),
		cmocka_unit_test(test_rt_req_mkt_data_delta_neutral_and_bag),
		cmocka_unit_test(test_rt_cancel_mkt_data),
		cmocka_unit_test(test_out_unknown_id),
		cmocka_unit_test(test_bad_message_id),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_error_layouts_mismatch),
		cmocka_unit_test(test_bad_integers),
		cmocka_unit_test(test_bad_prices),
		cmocka_unit_test(test_good_prices),
		cmocka_unit_test(test_req_mkt_data_truncated),
		cmocka_unit_test(test_req_mkt_data_bad_values),
		cmocka_unit_test(test_field_ll_empty),
		cmocka_unit_test(test_field_ll_sign),
		cmocka_unit_test(test_field_ll_overflow),
		cmocka_unit_test(test_field_ll_bounds),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
