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
	    "\xf0\x9f\x9a\xa8 2FA needed");
	assert_string_equal(json_string_value(json_object_get(em, "description")),
	    "2FA needed");
	assert_int_equal(json_integer_value(json_object_get(em, "color")), 0x992d22);
	assert_string_equal(json_string_value(json_object_get(em, "timestamp")),
	    "2026-02-10T14:15:00.123Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(em,
	    "footer"), "text")),
	    "critical \xc2\xb7 gateway.auth_lost \xc2\xb7 bot-core");
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
	    "\xe2\x9c\x85 back \xc3\x97" "7");
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

/* an event decoded from a line as an emitter writes it */
static struct gw_event
parse(const char *line)
{
	struct gw_event_decode_opts o = { 1770732900123LL, NULL };
	struct gw_event ev;
	struct gw_err e;

	if (gw_event_decode_with(line, strlen(line), &o, &ev, &e) != 0)
		fail_msg("%s: %s", line, e.msg);
	return ev;
}

static void
expect_title(const char *line, const char *want)
{
	struct gw_event ev = parse(line);
	char t[512];

	discord_title(&ev, t, sizeof(t));
	if (strcmp(t, want) != 0)
		fail_msg("%s\nwant  %s\ngot   %s", line, want, t);
	gw_event_clear(&ev);
}

#define INIT(lvl, ev, fields) "{\"level\":\"" lvl "\",\"source\":\"stack-init\"," \
	"\"component\":\"init\",\"event\":\"" ev "\",\"message\":\"gateway: " \
	"something\",\"fields\":" fields "}"

/* A title for each templated event, as the emitters write them. */
static void
test_titles(void **state)
{
	static const struct { const char *line, *title; } t[] = {
		{ INIT("warning", "init.exited", "{\"exit\":{\"signal\":\"KILL\","
		    "\"code\":137},\"ran_s\":3.25,\"service\":\"gateway\"}"),
		    "gateway exited (signal KILL)" },
		{ INIT("warning", "init.exited", "{\"exit\":{\"code\":3},"
		    "\"ran_s\":3.2,\"service\":\"gateway\"}"),
		    "gateway exited (code 3)" },
		{ INIT("warning", "init.exited", "{\"exit\":null,\"service\":\"bot\"}"),
		    "bot exited" },
		{ INIT("info", "init.stopped", "{\"exit\":{\"signal\":\"TERM\","
		    "\"code\":143},\"service\":\"gateway\"}"),
		    "gateway stopped (signal TERM)" },
		{ INIT("info", "init.stopped", "{\"exit\":{\"code\":0},"
		    "\"service\":\"gateway\"}"), "gateway stopped (code 0)" },
		{ INIT("critical", "init.crash_loop", "{\"failures\":5,"
		    "\"window_s\":60.0,\"give_up\":false,\"service\":\"gateway\"}"),
		    "gateway crash loop: 5 failures in 60 s" },
		{ INIT("critical", "init.crash_loop", "{\"failures\":5,"
		    "\"window_s\":60.0,\"give_up\":true,\"service\":\"gateway\"}"),
		    "gateway crash loop: 5 failures in 60 s, given up" },
		{ INIT("critical", "init.spawn_failed", "{\"service\":\"bot\"}"),
		    "bot cannot be started" },
		{ INIT("error", "init.not_ready", "{\"waited_s\":30.0123,"
		    "\"service\":\"gateway\"}"), "gateway not ready after 30 s" },
		{ INIT("critical", "init.not_ready_after_restart",
		    "{\"deadline_s\":600.0,\"service\":\"gateway\"}"),
		    "gateway not ready 600 s after its restart" },
		{ INIT("error", "init.check_failed", "{\"service\":\"gateway\"}"),
		    "gateway readiness check cannot run" },
		{ INIT("warning", "init.killed", "{\"pid\":42,\"service\":\"bot\"}"),
		    "bot did not stop in time: killed" },
		{ INIT("warning", "init.killed_group", "{\"pgid\":42,"
		    "\"service\":\"bot\"}"), "bot left processes behind: killed" },
		{ INIT("error", "init.unhealthy", "{\"failures\":3,"
		    "\"action\":\"alert\",\"service\":\"gateway\"}"),
		    "gateway unhealthy: 3 health checks failed in a row" },
		{ INIT("info", "init.healthy", "{\"service\":\"gateway\"}"),
		    "gateway healthy again" },
		{ INIT("critical", "init.restart_action_failed",
		    "{\"service\":\"gateway\"}"), "gateway restart failed" },
		{ INIT("critical", "init.schedule_error", "{\"service\":\"gateway\"}"),
		    "gateway schedule error" },
		{ INIT("warning", "init.output", "{\"service\":\"gateway\"}"),
		    "gateway output not captured" },
		{ INIT("error", "init.reload_failed", "{}"),
		    "configuration reload failed" },
		{ INIT("warning", "init.leftovers", "{\"processes\":2,"
		    "\"signal\":\"KILL\"}"), "2 leftover processes sent SIGKILL" },
		{ "{\"level\":\"critical\",\"source\":\"discord-notify\",\"event\":"
		    "\"notify.parked\",\"message\":\"m\",\"fields\":{\"status\":404,"
		    "\"webhook\":\"https://x/***\",\"discord\":\"Unknown Webhook\"}}",
		    "Discord webhook refused us (HTTP 404)" },
		{ "{\"event\":\"notify.spool_error\",\"message\":\"m\"}",
		    "alert spool cannot be written" },
		{ "{\"event\":\"notify.queue_error\",\"message\":\"m\"}",
		    "alert could not be queued" },
		{ "{\"event\":\"notify.dead_letter\",\"message\":\"m\",\"fields\":"
		    "{\"event\":\"init.exited\",\"source\":\"stack-init\",\"count\":1}}",
		    "alert given up: init.exited from stack-init" },
		{ "{\"event\":\"notify.dead_letter\",\"message\":\"m\",\"fields\":"
		    "{\"seq\":4,\"reason\":\"x\"}}", "alert given up" },
		{ "{\"event\":\"notify.rejected\",\"message\":\"m\",\"fields\":"
		    "{\"origin\":\"stdin\",\"line\":3,\"reason\":\"x\"}}",
		    "bad event line from stdin" },
		{ "{\"event\":\"notify.rate_limited\",\"message\":\"m\",\"fields\":"
		    "{\"retry_after_s\":1.5,\"wait_s\":1.5,\"global\":false}}",
		    "Discord rate limit: waiting 1.5 s" },
		{ "{\"event\":\"notify.retry\",\"message\":\"m\",\"fields\":"
		    "{\"reason\":\"HTTP 500\",\"delay_s\":0.74,\"queued\":3}}",
		    "Discord delivery failing: retry in 0.74 s" },
		{ "{\"event\":\"notify.refused\",\"message\":\"m\",\"fields\":"
		    "{\"status\":400,\"embeds\":3,\"discord\":\"x\"}}",
		    "Discord refused a batch (HTTP 400)" },
		{ "{\"event\":\"sim.listen_failed\",\"message\":\"m\",\"fields\":"
		    "{\"bind\":\"127.0.0.1\",\"port\":4002,\"error\":\"in use\"}}",
		    "gw-sim cannot listen on 127.0.0.1:4002" },
		{ "{\"event\":\"sim.connection_limit\",\"message\":\"m\",\"fields\":"
		    "{\"peer\":\"control\",\"limit\":64}}",
		    "gw-sim connection limit (64) reached" },
		{ "{\"event\":\"sim.client_id_in_use\",\"message\":\"m\",\"fields\":"
		    "{\"peer\":\"127.0.0.1:5\",\"conn\":2,\"client_id\":7}}",
		    "client id 7 already in use" },
		{ "{\"event\":\"sim.subscription_limit\",\"message\":\"m\"}",
		    "market-data line limit reached" },
		{ "{\"event\":\"sim.protocol_error\",\"message\":\"m\",\"fields\":"
		    "{\"peer\":\"127.0.0.1:5\",\"conn\":2,\"reason\":\"x\"}}",
		    "protocol error from 127.0.0.1:5" },
		{ "{\"event\":\"sim.slow_consumer\",\"message\":\"m\",\"fields\":"
		    "{\"peer\":\"127.0.0.1:5\",\"conn\":2}}",
		    "slow client 127.0.0.1:5 dropped" },
		{ "{\"event\":\"sim.upstream_lost\",\"message\":\"m\",\"fields\":"
		    "{\"code\":1100,\"sessions\":2}}",
		    "gateway lost its upstream (code 1100)" },
		{ "{\"event\":\"sim.upstream_restored\",\"message\":\"m\",\"fields\":"
		    "{\"code\":1102,\"sessions\":2}}",
		    "gateway upstream restored (code 1102)" },
		{ "{\"event\":\"sim.accept_error\",\"message\":\"m\"}",
		    "gw-sim cannot accept connections" },
		{ "{\"event\":\"sim.encode_error\",\"message\":\"m\"}",
		    "gw-sim cannot encode a reply" },
		{ "{\"event\":\"sim.control\",\"message\":\"control command 'x': "
		    "bad\",\"fields\":{\"cmd\":\"fault\",\"ok\":false,\"error\":\"bad\"}}",
		    "gw-sim control command fault failed" },
		/* a condition that does not hold: the message */
		{ "{\"event\":\"sim.control\",\"message\":\"control command 'x': ok\","
		    "\"fields\":{\"cmd\":\"fault\",\"ok\":true}}",
		    "control command 'x': ok" },
		/* a template's field missing or empty: the next row, or the message */
		{ INIT("warning", "init.exited", "{\"exit\":{\"code\":3}}"),
		    "gateway: something" },
		{ INIT("warning", "init.exited", "{\"service\":\"  \",\"exit\":"
		    "{\"code\":3}}"), "gateway: something" },
		{ INIT("warning", "init.exited", "{\"service\":\"gw\",\"exit\":"
		    "{\"code\":\"\"}}"), "gw exited" },
		/* a value with a newline stays on the title's line */
		{ INIT("warning", "init.exited", "{\"service\":\"a\\nb\",\"exit\":"
		    "{\"code\":3}}"), "a b exited (code 3)" },
		/* a flat field with a dotted name is found too */
		{ INIT("warning", "init.exited", "{\"service\":\"gw\","
		    "\"exit.code\":4}"), "gw exited (code 4)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_title(t[i].line, t[i].title);
}

/* Unknown events: the message's first line, else the name in words. */
static void
test_title_fallbacks(void **state)
{
	char line[1024], want[512];
	int i, n;

	(void)state;
	expect_title("{\"event\":\"gateway.disconnected\",\"message\":"
	    "\"Gateway closed the API session\"}", "Gateway closed the API session");
	expect_title("{\"level\":\"error\",\"message\":\"disk full\"}", "disk full");
	expect_title("{\"event\":\"backup.failed\",\"message\":\"\\n  \\t first "
	    "line \\t\\r\\nsecond line\"}", "first line");
	expect_title("{\"event\":\"x.y\",\"message\":\"tab\\there\"}", "tab here");
	expect_title("{\"event\":\"gateway.auth_lost\",\"message\":\"\"}",
	    "Gateway auth lost");
	expect_title("{\"event\":\"gateway.auth-lost.now\",\"message\":\" \\n \"}",
	    "Gateway auth lost now");
	expect_title("{\"event\":\"9lives.x\"}", "9lives x");
	/* a long first line: 100 characters, then "…" (code points, not
	 * bytes: é is two bytes) */
	n = snprintf(line, sizeof(line), "{\"event\":\"x.y\",\"message\":\"");
	for (i = 0; i < 150; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "\xc3\xa9");
	snprintf(line + n, sizeof(line) - (size_t)n, "\"}");
	for (i = 0, n = 0; i < 100; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "\xc3\xa9");
	snprintf(want + n, sizeof(want) - (size_t)n, "\xe2\x80\xa6");
	expect_title(line, want);
	/* exactly 100: not cut */
	n = snprintf(line, sizeof(line), "{\"event\":\"x.y\",\"message\":\"");
	for (i = 0; i < 100; i++)
		line[n++] = 'a';
	snprintf(line + n, sizeof(line) - (size_t)n, "\"}");
	memset(want, 'a', 100);
	want[100] = '\0';
	expect_title(line, want);
	/* a small buffer: cut with the ellipsis, never split a character */
	{
		struct gw_event ev = parse("{\"event\":\"x.y\",\"message\":"
		    "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}");
		char t[9];

		discord_title(&ev, t, sizeof(t));
		assert_string_equal(t, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
		gw_event_clear(&ev);
	}
}

/* The embed for init.exited of a gateway killed by SIGKILL. */
static void
test_embed_nested_fields(void **state)
{
	struct gw_event ev = parse("{\"ts\":\"2026-02-10T14:15:00.123Z\","
	    "\"level\":\"warning\",\"source\":\"stack-init\",\"component\":\"init\","
	    "\"event\":\"init.exited\",\"message\":\"gateway: exited (signal KILL) "
	    "after 3.2 s\",\"fields\":{\"exit\":{\"signal\":\"KILL\",\"code\":137},"
	    "\"ran_s\":3.2,\"service\":\"gateway\",\"w\":10.0,\"big\":1e22,"
	    "\"added\":[\"a\",\"b\",\"c\"],"
	    "\"removed\":[],\"none\":{},\"mixed\":[1,2.5,true,null,{\"k\":\"v\"},"
	    "[1]],\"deep\":{\"a\":{\"b\":{\"c\":\"d\"}}},\"empty\":\"\"}}");
	static const char *const want[][2] = {
		{ "exit.signal", "KILL" }, { "exit.code", "137" }, { "ran_s", "3.2" },
		{ "service", "gateway" }, { "w", "10" }, { "big", "1e+22" },
		{ "added", "a, b, c" },
		{ "removed", "(none)" }, { "none", "(none)" },
		{ "mixed", "1, 2.5, true, null, {\"k\":\"v\"}, [1]" },
		{ "deep.a.b.c", "d" }, { "empty", "(empty)" },
	};
	json_t *em, *f;
	size_t i;

	(void)state;
	em = discord_embed(&ev, 1, 60);
	assert_string_equal(json_string_value(json_object_get(em, "title")),
	    "\xe2\x9a\xa0\xef\xb8\x8f gateway exited (signal KILL)");
	assert_string_equal(json_string_value(json_object_get(json_object_get(em,
	    "footer"), "text")),
	    "warning \xc2\xb7 init.exited \xc2\xb7 stack-init");
	assert_string_equal(json_string_value(json_object_get(em, "description")),
	    "gateway: exited (signal KILL) after 3.2 s");
	f = json_object_get(em, "fields");
	assert_int_equal(json_array_size(f), sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(f, i), "name")), want[i][0]);
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(f, i), "value")), want[i][1]);
	}
	json_decref(em);
	/* repeated: the count after the title */
	em = discord_embed(&ev, 4, 60);
	assert_string_equal(json_string_value(json_object_get(em, "title")),
	    "\xe2\x9a\xa0\xef\xb8\x8f gateway exited (signal KILL) \xc3\x97" "4");
	json_decref(em);
	gw_event_clear(&ev);
}

/* More flattened fields than Discord's 25: the 25th says how many more. */
static void
test_embed_field_overflow(void **state)
{
	char line[4096];
	struct gw_event ev;
	json_t *em, *f;
	int i, n;

	(void)state;
	n = snprintf(line, sizeof(line), "{\"event\":\"x.y\",\"message\":\"m\","
	    "\"fields\":{\"a\":{");
	for (i = 0; i < 30; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s\"k%d\":%d",
		    i ? "," : "", i, i);
	snprintf(line + n, sizeof(line) - (size_t)n, "},\"z\":1}}");
	ev = parse(line);
	em = discord_embed(&ev, 1, 60);
	f = json_object_get(em, "fields");
	assert_int_equal(json_array_size(f), 25);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f,
	    23), "name")), "a.k23");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f,
	    24), "name")), "more");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f,
	    24), "value")), "+7 fields not shown");
	assert_true(discord_embed_chars(em) <= DISCORD_MAX_EMBED_TOTAL);
	json_decref(em);
	em = discord_embed(&ev, 2, 60);
	f = json_object_get(em, "fields");
	assert_int_equal(json_array_size(f), 25);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f,
	    24), "value")), "2 times within 60 s; +7 fields not shown");
	json_decref(em);
	gw_event_clear(&ev);
	/* exactly 25: all shown, no marker */
	ev = parse("{\"event\":\"x.y\",\"message\":\"m\",\"fields\":{\"l\":[1,2],"
	    "\"a\":{\"a1\":1,\"a2\":1,\"a3\":1,\"a4\":1,\"a5\":1,\"a6\":1,\"a7\":1,"
	    "\"a8\":1,\"a9\":1,\"a10\":1,\"a11\":1,\"a12\":1,\"a13\":1,\"a14\":1,"
	    "\"a15\":1,\"a16\":1,\"a17\":1,\"a18\":1,\"a19\":1,\"a20\":1,\"a21\":1,"
	    "\"a22\":1,\"a23\":1,\"a24\":1}}}");
	em = discord_embed(&ev, 1, 60);
	f = json_object_get(em, "fields");
	assert_int_equal(json_array_size(f), 25);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f,
	    24), "name")), "a.a24");
	json_decref(em);
	gw_event_clear(&ev);
}

/* A server's wait is bounded by DISCORD_MAX_RETRY_AFTER, and says so. */
static void
test_429_bound(void **state)
{
	struct discord_rl rl;
	struct discord_response r;

	(void)state;
	assert_true(DISCORD_MAX_RETRY_AFTER == 300.0);
	discord_rl_init(&rl);
	memset(&r, 0, sizeof(r));
	r.status = 429;
	r.has_retry_after = 1;
	r.retry_after = 299.5;		/* within: as asked */
	assert_int_equal(discord_rl_update(&rl, 0, &r), 0);
	assert_true(discord_rl_wait_ms(&rl, 0) == 299500);
	r.retry_after = 172800;		/* "2 days": 300 s, and capped */
	assert_int_equal(discord_rl_update(&rl, 0, &r), 1);
	assert_true(discord_rl_wait_ms(&rl, 0) == 300000);
	r.global = 1;
	r.retry_after = 1e300;
	assert_int_equal(discord_rl_update(&rl, 1000, &r), 1);
	assert_true(discord_rl_wait_ms(&rl, 1000) == 300000);
	/* the Retry-After header when the body has none */
	discord_rl_init(&rl);
	memset(&r, 0, sizeof(r));
	r.status = 429;
	discord_parse_header("Retry-After: 3601\r\n", 19, &r);
	assert_int_equal(discord_rl_update(&rl, 0, &r), 1);
	assert_true(discord_rl_wait_ms(&rl, 0) == 300000);
	/* an empty bucket's reset too */
	discord_rl_init(&rl);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.has_remaining = 1;
	r.remaining = 0;
	r.has_reset_after = 1;
	r.reset_after = 5000;
	assert_int_equal(discord_rl_update(&rl, 0, &r), 1);
	assert_true(discord_rl_wait_ms(&rl, 0) == 300000);
	r.reset_after = 2;
	assert_int_equal(discord_rl_update(&rl, 0, &r), 0);
	assert_true(discord_rl_wait_ms(&rl, 0) == 2000);
}

static void
expect_redacted(const struct discord_webhook *wh, const char *in,
    const char *want)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", in);
	discord_redact(wh, buf);
	if (strcmp(buf, want) != 0)
		fail_msg("in    %s\nwant  %s\ngot   %s", in, want, buf);
}

#define RED "https://discord.com/api/webhooks/123456789012345678/***"

/* The token and the URL, in every spelling a server might echo. */
static void
test_redact_forms(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;
	char buf[64];
	size_t n;

	(void)state;
	assert_int_equal(discord_webhook_parse(URL, 0, &wh, &e), 0);
	/* plain */
	expect_redacted(&wh, "x " TOK " y", "x *** y");
	expect_redacted(&wh, "POST " URL "?wait=true failed", "POST " RED
	    "?wait=true failed");
	/* JSON-escaped */
	expect_redacted(&wh, "{\"url\":\"https:\\/\\/discord.com\\/api\\/webhooks"
	    "\\/123456789012345678\\/" TOK "\"}", "{\"url\":\"" RED "\"}");
	expect_redacted(&wh, "{\"t\":\"\\u0041bC-def_GHI.jkl-0123456789\"}",
	    "{\"t\":\"***\"}");
	expect_redacted(&wh, "{\"t\":\"\\u0041\\u0062C-def_GHI.jkl-0123456789\"}",
	    "{\"t\":\"***\"}");
	/* percent-encoded, any case, whole or in part */
	expect_redacted(&wh, "next=https%3A%2F%2Fdiscord.com%2Fapi%2Fwebhooks%2F"
	    "123456789012345678%2F" TOK "&x=1", "next=" RED "&x=1");
	expect_redacted(&wh, "next=https%3a%2f%2fdiscord.com%2fapi%2fwebhooks%2f"
	    "123456789012345678%2f" TOK, "next=" RED);
	expect_redacted(&wh, "%41%62%43%2D%64%65%66%5F%47%48%49%2E%6A%6B%6C%2D"
	    "%30%31%32%33%34%35%36%37%38%39", "***");
	expect_redacted(&wh, "t=%41bC-def_GHI.jkl-0123456789;", "t=***;");
	/* several, and nothing else touched */
	expect_redacted(&wh, TOK TOK " " URL, "****** " RED);
	expect_redacted(&wh, "AbC-def_GHI.jkl-012345678 (one short)",
	    "AbC-def_GHI.jkl-012345678 (one short)");
	expect_redacted(&wh, "%4", "%4");
	expect_redacted(&wh, "\\u00", "\\u00");
	expect_redacted(&wh, "", "");
	/* a buffer with NULs and no terminator */
	memcpy(buf, "a\0" TOK "\0b", 4 + sizeof(TOK) - 1);
	n = discord_redact_buf(&wh, buf, 4 + sizeof(TOK) - 1);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "a\0***\0b", 7);
}

/* A proxy's user:pass@ never shows: the redacted form says ***@, and text
 * loses it in every spelling. */
static void
test_redact_userinfo(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;

	(void)state;
	assert_int_equal(discord_webhook_parse("https://bob:s3cretpw@proxy.example:"
	    "8443/api/webhooks/1/" TOK, 0, &wh, &e), 0);
	assert_string_equal(wh.redacted, "https://***@proxy.example:8443/api/"
	    "webhooks/1/***");
	expect_redacted(&wh, "GET https://bob:s3cretpw@proxy.example:8443/api/"
	    "webhooks/1/" TOK " 407", "GET https://***@proxy.example:8443/api/"
	    "webhooks/1/*** 407");
	expect_redacted(&wh, "auth bob:s3cretpw rejected", "auth *** rejected");
	expect_redacted(&wh, "password s3cretpw", "password ***");
	expect_redacted(&wh, "user bob", "user bob");
	expect_redacted(&wh, "bob%3As3cretpw", "***");
	/* a short password alone is not hunted (it would eat ordinary
	 * words), but the userinfo is */
	assert_int_equal(discord_webhook_parse("https://u:pw@h/api/webhooks/1/" TOK,
	    0, &wh, &e), 0);
	assert_string_equal(wh.redacted, "https://***@h/api/webhooks/1/***");
	expect_redacted(&wh, "u:pw pw", "*** pw");
	expect_redacted(&wh, "u:pw@host pw", "***@host pw");
	/* a user alone */
	assert_int_equal(discord_webhook_parse("https://me@h/api/webhooks/1/" TOK,
	    0, &wh, &e), 0);
	assert_string_equal(wh.redacted, "https://***@h/api/webhooks/1/***");
	expect_redacted(&wh, "x me@h", "x **@h");
	/* too short to hunt alone: ordinary words stay whole */
	expect_redacted(&wh, "{\"message\": \"me\", \"retry_after\": 1}",
	    "{\"message\": \"me\", \"retry_after\": 1}");
	/* curl's Basic authorization for a lone user: base64("me:") */
	expect_redacted(&wh, "Authorization: Basic bWU6", "Authorization: Basic ***");
	/* an '@' in the password: the host is after the last one */
	assert_int_equal(discord_webhook_parse("https://u:p@ss@h/api/webhooks/1/"
	    TOK, 0, &wh, &e), 0);
	assert_string_equal(wh.redacted, "https://***@h/api/webhooks/1/***");
	expect_redacted(&wh, "creds u:p@ss and p@ss", "creds *** and ***");
	/* userinfo but no host */
	assert_int_equal(discord_webhook_parse("https://me@/api/webhooks/1/" TOK,
	    0, &wh, &e), -1);
	assert_string_equal(e.msg, "webhook URL has no host or no path");
}

#define UURL "https://gwuser:s3cretpass@discord.com/api/webhooks/1/" TOK

/* The token in more spellings, alone and mixed. */
static void
test_redact_token_spellings(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;

	(void)state;
	assert_int_equal(discord_webhook_parse(URL, 0, &wh, &e), 0);
	expect_redacted(&wh, "plain " TOK " end", "plain *** end");
	/* JSON, another id: only the token goes */
	expect_redacted(&wh, "json: https:\\/\\/discord.com\\/api\\/webhooks\\/1\\/"
	    TOK "?x", "json: https:\\/\\/discord.com\\/api\\/webhooks\\/1\\/***?x");
	expect_redacted(&wh, "%41%62%43%2D%64%65%66%5F%47%48%49%2E%6A%6B%6C%2D"
	    "%30%31%32%33%34%35%36%37%38%39!", "***!");
	expect_redacted(&wh, "%41%62%43%2d%64%65%66%5f%47%48%49%2e%6a%6b%6c%2d"
	    "0123456789", "***");
	expect_redacted(&wh, "AbC%2Ddef_GHI.jkl-0123456789", "***");
	expect_redacted(&wh, "\\u0041bC-def_GHI.jkl-012345678\\u0039 x", "*** x");
	expect_redacted(&wh, TOK TOK, "******");
	expect_redacted(&wh, "abc-def_GHI.jkl-0123456789",
	    "abc-def_GHI.jkl-0123456789");
}

/* A user:password: the login as ***@, the password
 * alone, the Basic authorization curl sends, the percent-encoded form. */
static void
test_redact_basic_auth(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;

	(void)state;
	assert_int_equal(discord_webhook_parse(UURL, 0, &wh, &e), 0);
	assert_string_equal(wh.redacted,
	    "https://***@discord.com/api/webhooks/1/***");
	assert_null(strstr(wh.redacted, "gwuser"));
	expect_redacted(&wh, "to https://gwuser:s3cretpass@discord.com/",
	    "to https://***@discord.com/");
	expect_redacted(&wh, "pass=s3cretpass", "pass=***");
	/* base64("gwuser:s3cretpass"), plain and JSON-escaped */
	expect_redacted(&wh, "Authorization: Basic Z3d1c2VyOnMzY3JldHBhc3M=",
	    "Authorization: Basic ***");
	expect_redacted(&wh, "Basic Z3d1c2VyOnMzY3JldHBhc3M\\u003d", "Basic ***");
	expect_redacted(&wh, "gwuser%3As3cretpass", "***");
	expect_redacted(&wh, "gwuser alone", "gwuser alone");
	/* curl decodes a %XX in the userinfo before it encodes Basic:
	 * base64("a@b:pass1") */
	assert_int_equal(discord_webhook_parse("https://a%40b:pass1@h/api/webhooks/"
	    "1/" TOK, 0, &wh, &e), 0);
	expect_redacted(&wh, "Basic YUBiOnBhc3Mx", "Basic ***");
	expect_redacted(&wh, "a%40b:pass1", "***");
}

/* A body cut at the cap may end in the first part of a secret: that tail
 * goes; a whole secret before it is redacted. */
static void
test_redact_cut(void **state)
{
	struct discord_webhook wh, empty;
	struct gw_err e;
	char buf[512];
	size_t n, keep;

	(void)state;
	assert_int_equal(discord_webhook_parse(UURL, 0, &wh, &e), 0);
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, TOK, strlen(TOK));
	memcpy(buf + sizeof(buf) - 10, "s3cret", 6);	/* cut: a prefix */
	n = discord_redact_cut(&wh, buf, sizeof(buf));
	keep = sizeof(buf) - 6 * strlen(TOK);	/* the longest secret */
	assert_int_equal(n, keep - strlen(TOK) + 3);
	assert_memory_equal(buf, "***xxx", 6);
	assert_null(memmem(buf, n, "s3cret", 6));
	n = discord_redact_cut(&wh, buf, 10);	/* shorter than the margin */
	assert_int_equal(n, 0);
	memset(&empty, 0, sizeof(empty));	/* nothing to hunt: kept whole */
	assert_int_equal(discord_redact_cut(&empty, buf, 10), 10);
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
		cmocka_unit_test(test_titles),
		cmocka_unit_test(test_title_fallbacks),
		cmocka_unit_test(test_embed_nested_fields),
		cmocka_unit_test(test_embed_field_overflow),
		cmocka_unit_test(test_429_bound),
		cmocka_unit_test(test_redact_forms),
		cmocka_unit_test(test_redact_userinfo),
		cmocka_unit_test(test_redact_token_spellings),
		cmocka_unit_test(test_redact_basic_auth),
		cmocka_unit_test(test_redact_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
