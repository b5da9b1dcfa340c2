/* Unit tests for lib/discord: webhook URLs, embeds within limits, the
 * rate-limit state machine, header and body parsing, classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "discord.h"

#define TOK "AbC-def_GHI.jkl-0123456789"
#define URL "https://discord.com/api/webhooks/123456789012345678/" TOK

static void
test_webhook_ok(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;

	(void)state;
	assert_int_equal(discord_webhook_parse(URL, 0, &wh, &e), 0);
	assert_string_equal(wh.redacted,
	    "https://discord.com/api/webhooks/123456789012345678/***");
	assert_null(strstr(wh.redacted, "AbC"));
	assert_int_equal(discord_webhook_parse(
	    "http://127.0.0.1:8080/api/webhooks/1/tok45678901234567890", 1, &wh, &e), 0);
	assert_string_equal(wh.redacted, "http://127.0.0.1:8080/api/webhooks/1/***");
}

static void
test_webhook_errors_never_show_token(void **state)
{
	static const struct { const char *url; int insecure; const char *msg; } t[] = {
		{ "", 0, "webhook URL is empty" },
		{ "http://discord.com/api/webhooks/1/SECRETTOKEN", 0,
		  "webhook URL must be https (http only with --allow-insecure-url, for tests)" },
		{ "ftp://x/api/webhooks/1/SECRETTOKEN", 0, "webhook URL must start with https://" },
		{ "https:///api/webhooks/1/SECRETTOKEN", 0, "webhook URL has no host or no path" },
		{ "https://discord.com/api/hooks/1/SECRETTOKEN", 0,
		  "webhook URL path has no /webhooks/<id>/<token>" },
		{ "https://discord.com/api/webhooks/abc/SECRETTOKEN", 0,
		  "webhook URL: the id after /webhooks/ must be digits" },
		{ "https://discord.com/api/webhooks/1/", 0,
		  "webhook URL: the token after the id is missing or malformed "
		  "(at least 20 of A-Z a-z 0-9 _ . -)" },
		{ "https://discord.com/api/webhooks/1/SECRETTOKEN", 0,	/* 11: too short */
		  "webhook URL: the token after the id is missing or malformed "
		  "(at least 20 of A-Z a-z 0-9 _ . -)" },
		{ "https://discord.com/api/webhooks/1/SECRET TOKEN", 0,
		  "webhook URL contains a space or a non-ASCII byte" },
		{ "https://discord.com/api/webhooks/1/SECRETTOKEN0123456789?wait=true", 0,
		  "webhook URL must not carry a query string (discord-notify adds ?wait=true)" },
	};
	struct discord_webhook wh;
	struct gw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(discord_webhook_parse(t[i].url, t[i].insecure, &wh, &e), -1);
		assert_string_equal(e.msg, t[i].msg);
		assert_null(strstr(e.msg, "SECRET"));
	}
}

static void
test_redact(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;
	char s[200] = "Failed: " URL " and again " TOK TOK "x";
	char one[sizeof(TOK)] = TOK, *exact = strdup(TOK);
	struct discord_webhook empty;

	(void)state;
	assert_int_equal(discord_webhook_parse(URL, 0, &wh, &e), 0);
	discord_redact(&wh, s);
	assert_string_equal(s, "Failed: https://discord.com/api/webhooks/"
	    "123456789012345678/*** and again ******x");
	discord_redact(&wh, one);	/* the buffer is just the token: shrinks */
	assert_string_equal(one, "***");
	discord_redact(&wh, exact);	/* heap-exact: no write past the end */
	assert_string_equal(exact, "***");
	free(exact);
	memset(&empty, 0, sizeof(empty));	/* not parsed: left alone */
	strcpy(one, "abc");
	discord_redact(&empty, one);
	assert_string_equal(one, "abc");
}

static struct gw_event
mkevent(enum gw_level lvl, const char *event, const char *msg)
{
	struct gw_event ev;
	struct gw_err e;

	assert_int_equal(gw_event_init(&ev, lvl, "bot-core", "gateway", event, msg,
	    "2026-02-10T14:15:00.123Z", &e), 0);
	return ev;
}

static void
test_embed_shape(void **state)
{
	struct gw_event ev = mkevent(GW_CRITICAL, "gateway.auth_lost", "2FA needed");
	struct gw_err e;
	json_t *em, *f;

	(void)state;
	assert_int_equal(gw_event_add_field(&ev, "port", "4004", 0, &e), 0);
	em = discord_embed(&ev, 1, 60);
	assert_string_equal(json_string_value(json_object_get(em, "title")),
	    "\xf0\x9f\x9a\xa8 CRITICAL gateway.auth_lost");
	assert_string_equal(json_string_value(json_object_get(em, "description")),
	    "2FA needed");
	assert_int_equal(json_integer_value(json_object_get(em, "color")), 0x992d22);
	assert_string_equal(json_string_value(json_object_get(em, "timestamp")),
	    "2026-02-10T14:15:00.123Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(em,
	    "footer"), "text")), "bot-core \xc2\xb7 gateway");
	f = json_array_get(json_object_get(em, "fields"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "name")), "port");
	assert_string_equal(json_string_value(json_object_get(f, "value")), "4004");
	json_decref(em);
	gw_event_clear(&ev);
}

static void
test_embed_ok_event_and_count(void **state)
{
	struct gw_event ev = mkevent(GW_INFO, "gateway.recovered", "back");
	json_t *em = discord_embed(&ev, 7, 60), *fields;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(em, "title")),
	    "\xe2\x9c\x85 INFO gateway.recovered \xc3\x97" "7");
	assert_int_equal(json_integer_value(json_object_get(em, "color")), 0x2ecc71);
	fields = json_object_get(em, "fields");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields,
	    0), "value")), "7 times within 60 s");
	json_decref(em);
	gw_event_clear(&ev);
}

static void
test_embed_truncated_within_limits(void **state)
{
	size_t big = 70000, i;
	char *msg = malloc(big + 1);
	struct gw_event ev;
	struct gw_err e;
	json_t *em;
	const char *d;
	char name[8];

	(void)state;
	/* multibyte text: limits count code points, and cuts must not split one */
	for (i = 0; i + 2 <= big; i += 2)
		memcpy(msg + i, "\xc3\xa9", 2);	/* é */
	msg[i] = '\0';
	ev = mkevent(GW_ERROR, "x.y", msg);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		assert_int_equal(gw_event_add_field(&ev, name, msg + big - 3000, 1, &e), 0);
	}
	em = discord_embed(&ev, 1, 60);
	d = json_string_value(json_object_get(em, "description"));
	assert_non_null(strstr(d, "\xe2\x80\xa6 [truncated]"));
	assert_true(discord_embed_chars(em) <= DISCORD_MAX_EMBED_TOTAL);
	assert_int_equal(json_array_size(json_object_get(em, "fields")), 25);
	assert_true(strlen(json_string_value(json_object_get(json_array_get(
	    json_object_get(em, "fields"), 0), "value"))) <= 2 * DISCORD_MAX_FIELD_VALUE);
	json_decref(em);
	/* with a count, the 25th place is the "repeated" field: the field left
	 * out is named there, not dropped silently */
	em = discord_embed(&ev, 3, 60);
	assert_int_equal(json_array_size(json_object_get(em, "fields")), 25);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(em, "fields"), 24), "value")),
	    "3 times within 60 s; +1 field not shown");
	assert_true(discord_embed_chars(em) <= DISCORD_MAX_EMBED_TOTAL);
	json_decref(em);
	gw_event_clear(&ev);
	free(msg);
}

static void
test_payload_mention(void **state)
{
	json_t *p = discord_payload(json_array(), "<@&42>");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(p, "content")), "<@&42>");
	assert_int_equal(json_array_size(json_object_get(json_object_get(p,
	    "allowed_mentions"), "parse")), 2);
	json_decref(p);
	p = discord_payload(json_array(), NULL);
	assert_null(json_object_get(p, "content"));
	json_decref(p);
}

static void
test_rate_limit(void **state)
{
	struct discord_rl rl;
	struct discord_response r;

	(void)state;
	discord_rl_init(&rl);
	assert_true(discord_rl_wait_ms(&rl, 1000) == 0);
	memset(&r, 0, sizeof(r));	/* bucket not empty: no wait */
	r.status = 200;
	r.has_remaining = 1;
	r.remaining = 2;
	r.has_reset_after = 1;
	r.reset_after = 1.5;
	discord_rl_update(&rl, 1000, &r);
	assert_true(discord_rl_wait_ms(&rl, 1000) == 0);
	r.remaining = 0;		/* empty: wait for the reset */
	discord_rl_update(&rl, 1000, &r);
	assert_true(discord_rl_wait_ms(&rl, 1000) == 1500);
	assert_true(discord_rl_wait_ms(&rl, 2600) == 0);
	memset(&r, 0, sizeof(r));	/* 429: retry_after */
	r.status = 429;
	r.has_retry_after = 1;
	r.retry_after = 0.25;
	discord_rl_update(&rl, 5000, &r);
	assert_true(discord_rl_wait_ms(&rl, 5000) == 250);
	r.global = 1;			/* global 429 */
	r.retry_after = 2;
	discord_rl_update(&rl, 6000, &r);
	assert_true(discord_rl_wait_ms(&rl, 6000) == 2000);
	memset(&r, 0, sizeof(r));	/* 429 without any hint: 1 s */
	r.status = 429;
	discord_rl_update(&rl, 10000, &r);
	assert_true(discord_rl_wait_ms(&rl, 10000) == 1000);
}

static void
test_429_floor_and_backoff(void **state)
{
	struct discord_rl rl;
	struct discord_response r;
	double t = 0;
	int i;

	(void)state;
	discord_rl_init(&rl);
	memset(&r, 0, sizeof(r));
	r.status = 429;
	r.has_retry_after = 1;
	r.retry_after = 0;	/* "0" or garbage: at least 250 ms, doubling */
	for (i = 0; i < 4; i++) {
		discord_rl_update(&rl, t, &r);
		assert_true(discord_rl_wait_ms(&rl, t) == 250.0 * (1 << i));
	}
	for (i = 0; i < 20; i++)	/* capped */
		discord_rl_update(&rl, t, &r);
	assert_true(discord_rl_wait_ms(&rl, t) == DISCORD_MAX_429_BACKOFF * 1000);
	r.retry_after = -5;	/* malformed: 1 s, but the streak floor wins */
	discord_rl_update(&rl, t, &r);
	assert_true(discord_rl_wait_ms(&rl, t) == DISCORD_MAX_429_BACKOFF * 1000);
	memset(&r, 0, sizeof(r));	/* a transport error keeps the streak */
	discord_rl_update(&rl, t, &r);
	r.status = 200;			/* an answer ends it */
	discord_rl_update(&rl, t, &r);
	r.status = 429;
	r.has_retry_after = 1;
	r.retry_after = 0.1;
	t = 1e6;
	discord_rl_update(&rl, t, &r);
	assert_true(discord_rl_wait_ms(&rl, t) == 250);
}

static void
test_retry_after_header_fallback(void **state)
{
	struct discord_response r;

	(void)state;
	memset(&r, 0, sizeof(r));	/* Retry-After header, body without it */
	discord_parse_header("Retry-After: 2\r\n", 16, &r);
	discord_parse_429("<html>rate limited</html>", 25, &r);
	assert_true(r.has_retry_after && r.retry_after == 2);
	discord_parse_429("{\"retry_after\":0.75}", 20, &r);	/* the body wins */
	assert_true(r.retry_after == 0.75);
}

static void
test_headers_and_bodies(void **state)
{
	struct discord_response r;
	char msg[64];

	(void)state;
	memset(&r, 0, sizeof(r));
	discord_parse_header("X-RateLimit-Remaining: 4\r\n", 26, &r);
	discord_parse_header("x-ratelimit-reset-after: 1.234\r\n", 32, &r);
	discord_parse_header("Retry-After: 3\r\n", 16, &r);
	discord_parse_header("X-RateLimit-Global: true\r\n", 26, &r);
	discord_parse_header("X-RateLimit-Remaining: -1\r\n", 27, &r);	/* ignored */
	discord_parse_header("garbage without colon", 21, &r);
	assert_true(r.has_remaining && r.remaining == 4);
	assert_true(r.has_reset_after && r.reset_after == 1.234);
	assert_true(r.has_retry_after && r.retry_after == 3);
	assert_int_equal(r.global, 1);
	memset(&r, 0, sizeof(r));
	{
		const char *b = "{\"message\":\"You are being rate limited.\","
		    "\"retry_after\":0.5,\"global\":false}";
		discord_parse_429(b, strlen(b), &r);
	}
	assert_true(r.has_retry_after && r.retry_after == 0.5 && !r.global);
	memset(&r, 0, sizeof(r));
	discord_parse_429("not json", 8, &r);
	assert_false(r.has_retry_after);
	{
		const char *b = "{\"message\":\"Unknown Webhook\",\"code\":10015}";
		discord_error_message(b, strlen(b), msg, sizeof(msg));
	}
	assert_string_equal(msg, "Unknown Webhook");
	discord_error_message("<html>", 6, msg, sizeof(msg));
	assert_string_equal(msg, "");
}

static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(discord_classify(200), DISCORD_DELIVERED);
	assert_int_equal(discord_classify(204), DISCORD_DELIVERED);
	assert_int_equal(discord_classify(429), DISCORD_RATE_LIMITED);
	assert_int_equal(discord_classify(401), DISCORD_PARK);
	assert_int_equal(discord_classify(403), DISCORD_PARK);
	assert_int_equal(discord_classify(404), DISCORD_PARK);
	assert_int_equal(discord_classify(400), DISCORD_REFUSED);
	assert_int_equal(discord_classify(413), DISCORD_REFUSED);
	assert_int_equal(discord_classify(500), DISCORD_TRANSIENT);
	assert_int_equal(discord_classify(503), DISCORD_TRANSIENT);
	assert_int_equal(discord_classify(0), DISCORD_TRANSIENT);
	assert_string_equal(discord_outcome_name(DISCORD_PARK), "parked");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_ok),
		cmocka_unit_test(test_webhook_errors_never_show_token),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_embed_shape),
		cmocka_unit_test(test_embed_ok_event_and_count),
		cmocka_unit_test(test_embed_truncated_within_limits),
		cmocka_unit_test(test_payload_mention),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_429_floor_and_backoff),
		cmocka_unit_test(test_retry_after_header_fallback),
		cmocka_unit_test(test_headers_and_bodies),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
