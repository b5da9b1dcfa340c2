/* Unit tests for cmd/discord-notify/http's redaction (pure functions): the
 * webhook's secrets in every spelling a server could echo, and nothing
 * else touched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../cmd/discord-notify/http.h"

#define TOK "AbC-def_GHI.jkl-0123456789"
#define URL "https://discord.com/api/webhooks/123456789012345678/" TOK
#define UURL "https://gwuser:s3cretpass@discord.com/api/webhooks/1/" TOK

static void
check(const struct discord_webhook *wh, const char *in, const char *want)
{
	size_t n = 0;
	char *out = http_redact(wh, in, strlen(in), &n);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
}

static void
test_token_spellings(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;

	(void)state;
	assert_int_equal(discord_webhook_parse(URL, 0, &wh, &e), 0);
	check(&wh, "plain " TOK " end", "plain *** end");
	check(&wh, "json: https:\\/\\/discord.com\\/api\\/webhooks\\/1\\/" TOK "?x",
	    "json: https:\\/\\/discord.com\\/api\\/webhooks\\/1\\/***?x");
	/* every byte %XX, upper and lower case hex; some bytes only */
	check(&wh, "%41%62%43%2D%64%65%66%5F%47%48%49%2E%6A%6B%6C%2D%30%31%32%33"
	    "%34%35%36%37%38%39!", "***!");
	check(&wh, "%41%62%43%2d%64%65%66%5f%47%48%49%2e%6a%6b%6c%2d0123456789",
	    "***");
	check(&wh, "AbC%2Ddef_GHI.jkl-0123456789", "***");
	/* JSON \u escapes, mixed with plain bytes */
	check(&wh, "\\u0041bC-def_GHI.jkl-012345678\\u0039 x", "*** x");
	check(&wh, TOK TOK, "******");
	/* not the token: left alone */
	check(&wh, "AbC-def_GHI.jkl-012345678", "AbC-def_GHI.jkl-012345678");
	check(&wh, "abc-def_GHI.jkl-0123456789", "abc-def_GHI.jkl-0123456789");
	check(&wh, "%4", "%4");
	check(&wh, "\\u00", "\\u00");
	check(&wh, "", "");
}

static void
test_userinfo(void **state)
{
	struct discord_webhook wh;
	struct gw_err e;
	char buf[600];

	(void)state;
	assert_int_equal(discord_webhook_parse(UURL, 0, &wh, &e), 0);
	http_redacted_url(&wh, buf, sizeof(buf));
	assert_string_equal(buf, "https://***@discord.com/api/webhooks/1/***");
	check(&wh, "to https://gwuser:s3cretpass@discord.com/", "to https://***@discord.com/");
	check(&wh, "pass=s3cretpass", "pass=***");
	/* base64("gwuser:s3cretpass"): a Basic Authorization header */
	check(&wh, "Authorization: Basic Z3d1c2VyOnMzY3JldHBhc3M=",
	    "Authorization: Basic ***");
	check(&wh, "gwuser%3As3cretpass", "***");
	check(&wh, "gwuser alone", "gwuser alone");
	/* no userinfo: the redacted URL as it is */
	assert_int_equal(discord_webhook_parse(URL, 0, &wh, &e), 0);
	http_redacted_url(&wh, buf, sizeof(buf));
	assert_string_equal(buf, "https://discord.com/api/webhooks/123456789012345678/***");
	/* a short password alone is not a secret worth garbling text for */
	assert_int_equal(discord_webhook_parse(
	    "https://u:pw@discord.com/api/webhooks/1/" TOK, 0, &wh, &e), 0);
	check(&wh, "u:pw@host pw", "***@host pw");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_spellings),
		cmocka_unit_test(test_userinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
