/* Unit tests for bot-core's gameplan: a valid plan of each strategy, each
 * rule, each malformed class with its exact message, the date check, the
 * JSON form round trip and the file loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "gameplan.h"

#define TODAY "2026-12-04"
#define LIMITS "\"hard_limits\":{\"max_daily_loss_pct\":2.0," \
	"\"max_single_position\":100}"
#define PLAN(rest) "{\"date\":\"" TODAY "\",\"strategy\":\"A\"," \
	"\"symbols\":[\"SPY\"]," LIMITS rest "}"

static int
parse(const char *s, struct gameplan *gp, struct gw_err *e)
{
	e->msg[0] = '\0';
	return gameplan_parse(s, strlen(s), TODAY, gp, e);
}

static int
parse_on(const char *s, const char *today, struct gameplan *gp,
    struct gw_err *e)
{
	return gameplan_parse(s, strlen(s), today, gp, e);
}

static void
test_valid_a(void **state)
{
	struct gameplan gp;
	struct gw_err e;

	(void)state;
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"A\","
	    "\"symbols\":[\"SPY\",\"QQQ\"],\"hard_limits\":"
	    "{\"max_daily_loss_pct\":2.0,\"max_single_position\":100}}",
	    &gp, &e), 0);
	assert_string_equal(gp.date, TODAY);
	assert_int_equal(gp.strategy, GP_STRATEGY_A);
	assert_int_equal(gp.n_symbols, 2);
	assert_string_equal(gp.symbols[0].name, "SPY");
	assert_string_equal(gp.symbols[1].name, "QQQ");
	assert_int_equal(gp.symbols[0].max_position, 100);
	assert_true(gp.max_daily_loss_pct == 2.0);
	assert_int_equal(gp.max_single_position, 100);
	assert_int_equal(gp.allow_outside_rth, 0);
	assert_int_equal(gp.max_intents_per_minute, 30);
	assert_non_null(gameplan_symbol(&gp, "QQQ"));
	assert_null(gameplan_symbol(&gp, "IWM"));
	assert_string_equal(gameplan_strategy_name(gp.strategy), "A");
}

static void
test_valid_b_options(void **state)
{
	struct gameplan gp;
	struct gw_err e;

	(void)state;
	/* every option, symbol objects, integer percentage, key order free */
	assert_int_equal(parse("{\"max_intents_per_minute\":10000,"
	    "\"allow_outside_rth\":true,\"strategy\":\"B\",\"symbols\":"
	    "[{\"symbol\":\"BRK.B\",\"max_position\":50},\"EUR/USD\","
	    "{\"max_position\":100,\"symbol\":\"X-1\"},{\"symbol\":\"ABCDEFGHIJKLMNO\"}],"
	    "\"hard_limits\":{\"max_single_position\":100,"
	    "\"max_daily_loss_pct\":100},\"date\":\"2026-12-04\"}", &gp, &e),
	    0);
	assert_int_equal(gp.strategy, GP_STRATEGY_B);
	assert_int_equal(gp.n_symbols, 4);
	assert_string_equal(gp.symbols[0].name, "BRK.B");
	assert_int_equal(gp.symbols[0].max_position, 50);
	assert_string_equal(gp.symbols[1].name, "EUR/USD");
	assert_int_equal(gp.symbols[1].max_position, 100);
	assert_int_equal(gp.symbols[2].max_position, 100);
	assert_int_equal(gp.symbols[3].max_position, 100);
	assert_int_equal(gameplan_symbol(&gp, "X-1")->max_position, 100);
	assert_true(gp.max_daily_loss_pct == 100.0);
	assert_int_equal(gp.allow_outside_rth, 1);
	assert_int_equal(gp.max_intents_per_minute, 10000);
	assert_int_equal(parse(PLAN(",\"max_intents_per_minute\":1,"
	    "\"allow_outside_rth\":false"), &gp, &e), 0);
	assert_int_equal(gp.max_intents_per_minute, 1);
	assert_int_equal(gp.allow_outside_rth, 0);
	/* the smallest loss limit above 0 */
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"A\","
	    "\"symbols\":[\"SPY\"],\"hard_limits\":{\"max_daily_loss_pct\":"
	    "1e-9,\"max_single_position\":1000000000}}", &gp, &e), 0);
	assert_int_equal(gp.max_single_position, 1000000000L);
}

static void
test_valid_c(void **state)
{
	struct gameplan gp;
	struct gw_err e;

	(void)state;
	/* C: no symbols needed, absent or empty */
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"C\","
	    LIMITS "}", &gp, &e), 0);
	assert_int_equal(gp.strategy, GP_STRATEGY_C);
	assert_int_equal(gp.n_symbols, 0);
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"C\","
	    "\"symbols\":[]," LIMITS "}", &gp, &e), 0);
	/* ... but any given are still checked */
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"C\","
	    "\"symbols\":[\"spy\"]," LIMITS "}", &gp, &e), -1);
	assert_string_equal(e.msg,
	    "symbols[0]: 'spy' is not upper-case A-Z 0-9 . - /");
	/* whitespace and a BOM-less multi-line file */
	assert_int_equal(parse("\n {\n  \"date\": \"2026-12-04\",\r\n"
	    "  \"strategy\": \"C\",\n  " LIMITS "\n}\n\n", &gp, &e), 0);
}

static void
test_date(void **state)
{
	struct gameplan gp;
	struct gw_err e;
	static const char yesterday[] = "{\"date\":\"2026-12-03\","
	    "\"strategy\":\"A\",\"symbols\":[\"SPY\"]," LIMITS "}";

	(void)state;
	assert_int_equal(parse(yesterday, &gp, &e), -1);
	assert_string_equal(e.msg,
	    "date: 2026-12-03 is not today in New York (2026-12-04)");
	assert_int_equal(gp.strategy, GP_STRATEGY_C);	/* failure: empty C */
	assert_int_equal(gp.n_symbols, 0);
	/* NULL today: not checked */
	assert_int_equal(gameplan_parse(yesterday, strlen(yesterday), NULL,
	    &gp, &e), 0);
	assert_string_equal(gp.date, "2026-12-03");
	assert_int_equal(gameplan_parse(yesterday, strlen(yesterday),
	    "2026-12-03", &gp, &e), 0);
	/* leap days */
	assert_int_equal(parse_on("{\"date\":\"2028-02-29\",\"strategy\":"
	    "\"C\"," LIMITS "}", "2028-02-29", &gp, &e), 0);
	assert_int_equal(parse_on("{\"date\":\"2000-02-29\",\"strategy\":"
	    "\"C\"," LIMITS "}", NULL, &gp, &e), 0);
	/* a typo is named before a stale date */
	assert_int_equal(parse("{\"date\":\"2026-12-03\",\"strategy\":\"D\","
	    "\"symbols\":[\"SPY\"]," LIMITS "}", &gp, &e), -1);
	assert_string_equal(e.msg, "strategy: 'D' is not one of A, B, C");
}

struct bad {
	const char *in;
	const char *msg;
};

#define SYM(s) "{\"date\":\"2026-12-04\",\"strategy\":\"A\",\"symbols\":" \
	s "," LIMITS "}"
#define LIM(s) "{\"date\":\"2026-12-04\",\"strategy\":\"A\"," \
	"\"symbols\":[\"SPY\"],\"hard_limits\":" s "}"

static const struct bad bad[] = {
	/* the document */
	{ "", "empty" },
	{ " \n\t\r\n", "empty" },
	{ "{\"date\":", "line 1, column 8: unexpected token near end of file" },
	{ "{\n  \"date\": \"2026-12-04\",\n  \"strategy\": A\n}",
	  "line 3, column 15: invalid token near 'A'" },
	{ "{\"date\":\"2026-12-04\"} x",
	  "line 1, column 23: end of file expected near 'x'" },
	{ "{\"a\":\"\xff\"}", "line 1, column 6: unable to decode byte 0xff near '\"'" },
	{ "{\"date\":\"\\u0000\"}",
	  "line 1, column 16: \\u0000 is not allowed in a string" },
	{ "{\"date\":\"x\",\"date\":\"y\"}",
	  "line 1, column 18: duplicate object key near '\"date\"'" },
	{ "[1]", "expected a JSON object, got an array" },
	{ "\"plan\"", "expected a JSON object, got a string" },
	{ "42", "expected a JSON object, got an integer" },
	{ "null", "expected a JSON object, got null" },
	{ "{}", "date: missing" },
	{ PLAN(",\"stratgy\":\"B\""), "unknown key 'stratgy'" },
	{ "{\"Date\":1,\"x\":2}", "unknown key 'Date'" },
	/* date */
	{ "{\"date\":20261204}", "date: expected a string, got an integer" },
	{ "{\"date\":\"04/12/2026\"}", "date: '04/12/2026' is not YYYY-MM-DD" },
	{ "{\"date\":\"2026-12-4\"}", "date: '2026-12-4' is not YYYY-MM-DD" },
	{ "{\"date\":\"2026-12-04T00:00\"}",
	  "date: '2026-12-04T00:00' is not YYYY-MM-DD" },
	{ "{\"date\":\"2026-1a-04\"}", "date: '2026-1a-04' is not YYYY-MM-DD" },
	{ "{\"date\":\"2026-13-01\"}", "date: 2026-13-01 does not exist" },
	{ "{\"date\":\"2026-00-10\"}", "date: 2026-00-10 does not exist" },
	{ "{\"date\":\"2026-02-29\"}", "date: 2026-02-29 does not exist" },
	{ "{\"date\":\"2100-02-29\"}", "date: 2100-02-29 does not exist" },
	{ "{\"date\":\"2026-04-31\"}", "date: 2026-04-31 does not exist" },
	{ "{\"date\":\"2026-12-00\"}", "date: 2026-12-00 does not exist" },
	{ "{\"date\":\"0000-12-04\"}", "date: 0000-12-04 does not exist" },
	/* strategy */
	{ "{\"date\":\"2026-12-04\"}", "strategy: missing" },
	{ "{\"date\":\"2026-12-04\",\"strategy\":\"D\"}",
	  "strategy: 'D' is not one of A, B, C" },
	{ "{\"date\":\"2026-12-04\",\"strategy\":\"a\"}",
	  "strategy: 'a' is not one of A, B, C" },
	{ "{\"date\":\"2026-12-04\",\"strategy\":\"\"}",
	  "strategy: '' is not one of A, B, C" },
	{ "{\"date\":\"2026-12-04\",\"strategy\":\"A\\n\"}",
	  "strategy: 'A?' is not one of A, B, C" },
	{ "{\"date\":\"2026-12-04\",\"strategy\":[\"A\"]}",
	  "strategy: expected a string, got an array" },
	/* hard_limits */
	{ "{\"date\":\"2026-12-04\",\"strategy\":\"A\",\"symbols\":[\"SPY\"]}",
	  "hard_limits: missing" },
	{ LIM("[]"), "hard_limits: expected an object, got an array" },
	{ LIM("{}"), "hard_limits.max_daily_loss_pct: missing" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_pos\":1}"),
	  "hard_limits: unknown key 'max_single_pos'" },
	{ LIM("{\"max_daily_loss_pct\":\"2\"}"),
	  "hard_limits.max_daily_loss_pct: expected a number, got a string" },
	{ LIM("{\"max_daily_loss_pct\":0}"),
	  "hard_limits.max_daily_loss_pct: 0 is not in (0, 100]" },
	{ LIM("{\"max_daily_loss_pct\":-2.5}"),
	  "hard_limits.max_daily_loss_pct: -2.5 is not in (0, 100]" },
	{ LIM("{\"max_daily_loss_pct\":100.5}"),
	  "hard_limits.max_daily_loss_pct: 100.5 is not in (0, 100]" },
	{ LIM("{\"max_daily_loss_pct\":1e400}"),
	  "line 1, column 95: real number overflow near '1e400'" },
	{ LIM("{\"max_daily_loss_pct\":2}"),
	  "hard_limits.max_single_position: missing" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":100.0}"),
	  "hard_limits.max_single_position: expected an integer, "
	  "got a real number" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":null}"),
	  "hard_limits.max_single_position: expected an integer, got null" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":0}"),
	  "hard_limits.max_single_position: 0 is not in 1..1000000000" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":-5}"),
	  "hard_limits.max_single_position: -5 is not in 1..1000000000" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":1000000001}"),
	  "hard_limits.max_single_position: 1000000001 is not in "
	  "1..1000000000" },
	/* symbols */
	{ "{\"date\":\"2026-12-04\",\"strategy\":\"A\"," LIMITS "}",
	  "symbols: none for strategy A" },
	{ "{\"date\":\"2026-12-04\",\"strategy\":\"B\",\"symbols\":[]," LIMITS
	  "}", "symbols: none for strategy B" },
	{ SYM("\"SPY\""), "symbols: expected an array, got a string" },
	{ SYM("[\"SPY\",1]"),
	  "symbols[1]: expected a string or an object, got an integer" },
	{ SYM("[[\"SPY\"]]"),
	  "symbols[0]: expected a string or an object, got an array" },
	{ SYM("[\"\"]"), "symbols[0]: empty symbol" },
	{ SYM("[\"spy\"]"), "symbols[0]: 'spy' is not upper-case A-Z 0-9 . - /" },
	{ SYM("[\"SPY \"]"),
	  "symbols[0]: 'SPY ' is not upper-case A-Z 0-9 . - /" },
	{ SYM("[\"S\\u00c9\"]"),
	  "symbols[0]: 'S?" "?' is not upper-case A-Z 0-9 . - /" },
	{ SYM("[\"ABCDEFGHIJKLMNOP\"]"),
	  "symbols[0]: 'ABCDEFGHIJKLMNOP' is longer than 15 bytes" },
	{ SYM("[\"SPY\",\"QQQ\",\"SPY\"]"),
	  "symbols[2]: 'SPY' is already symbols[0]" },
	{ SYM("[\"SPY\",{\"symbol\":\"SPY\"}]"),
	  "symbols[1]: 'SPY' is already symbols[0]" },
	{ SYM("[{}]"), "symbols[0].symbol: missing" },
	{ SYM("[{\"symbol\":\"SPY\",\"max\":5}]"),
	  "symbols[0]: unknown key 'max'" },
	{ SYM("[{\"symbol\":null}]"),
	  "symbols[0].symbol: expected a string, got null" },
	{ SYM("[{\"symbol\":\"spy\"}]"),
	  "symbols[0].symbol: 'spy' is not upper-case A-Z 0-9 . - /" },
	{ SYM("[{\"symbol\":\"SPY\",\"max_position\":\"5\"}]"),
	  "symbols[0].max_position: expected an integer, got a string" },
	{ SYM("[{\"symbol\":\"SPY\",\"max_position\":0}]"),
	  "symbols[0].max_position: 0 is not in 1..100" },
	{ SYM("[{\"symbol\":\"SPY\",\"max_position\":101}]"),
	  "symbols[0].max_position: 101 is not in 1..100" },
	/* optional fields */
	{ PLAN(",\"allow_outside_rth\":1"),
	  "allow_outside_rth: expected true or false, got an integer" },
	{ PLAN(",\"allow_outside_rth\":\"true\""),
	  "allow_outside_rth: expected true or false, got a string" },
	{ PLAN(",\"max_intents_per_minute\":0"),
	  "max_intents_per_minute: 0 is not in 1..10000" },
	{ PLAN(",\"max_intents_per_minute\":10001"),
	  "max_intents_per_minute: 10001 is not in 1..10000" },
	{ PLAN(",\"max_intents_per_minute\":1.5"),
	  "max_intents_per_minute: expected an integer, got a real number" },
	{ PLAN(",\"flatten_at\":\"24:00\""),
	  "flatten_at: '24:00' is not a time HH:MM (New York)" },
	{ PLAN(",\"flatten_at\":\"9:30\""),
	  "flatten_at: '9:30' is not a time HH:MM (New York)" },
	{ PLAN(",\"flatten_at\":\"15:60\""),
	  "flatten_at: '15:60' is not a time HH:MM (New York)" },
	{ PLAN(",\"flatten_at\":1555"),
	  "flatten_at: expected a time \"HH:MM\" (New York), got an integer" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":1,"
	    "\"max_order_value\":0}"),
	  "hard_limits.max_order_value: 0 is not in (0, 1e12]" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":1,"
	    "\"max_order_value\":\"5000\"}"),
	  "hard_limits.max_order_value: expected a number, got a string" },
	{ LIM("{\"max_daily_loss_pct\":2,\"max_single_position\":1,"
	    "\"max_open_orders\":0}"),
	  "hard_limits.max_open_orders: 0 is not in 1..10000" },
	{ PLAN(",\"flatten_on_reconnect\":\"yes\""),
	  "flatten_on_reconnect: expected true or false, got a string" },
};

static void
test_malformed(void **state)
{
	struct gameplan gp;
	struct gw_err e;
	size_t i;
	int wrong = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i].in, &gp, &e) != -1 ||
		    strcmp(e.msg, bad[i].msg) != 0) {
			print_error("case %zu: %s\n  got:  %s\n  want: %s\n",
			    i, bad[i].in, e.msg, bad[i].msg);
			wrong++;
		}
		assert_int_equal(gp.strategy, GP_STRATEGY_C);
		assert_int_equal(gp.n_symbols, 0);
	}
	assert_int_equal(wrong, 0);
}

static void
test_bytes(void **state)
{
	static const char plan[] = PLAN("");
	char *copy;
	struct gameplan gp;
	struct gw_err e;

	(void)state;
	/* not NUL-terminated, read only up to len */
	copy = malloc(sizeof(plan) - 1);
	assert_non_null(copy);
	memcpy(copy, plan, sizeof(plan) - 1);
	assert_int_equal(gameplan_parse(copy, sizeof(plan) - 1, TODAY, &gp,
	    &e), 0);
	assert_int_equal(gameplan_parse(copy, sizeof(plan) - 2, TODAY, &gp,
	    &e), -1);
	free(copy);
	assert_int_equal(gameplan_parse("{\"date\":\0}", 11, TODAY, &gp, &e),
	    -1);
	assert_string_equal(e.msg, "NUL byte at offset 8");
	assert_int_equal(gameplan_parse(NULL, 0, TODAY, &gp, &e), -1);
	assert_string_equal(e.msg, "empty");
}

static void
test_symbols_max(void **state)
{
	char buf[4096];
	struct gameplan gp;
	struct gw_err e;
	size_t n;
	int i;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "{\"date\":\"2026-12-04\","
	    "\"strategy\":\"A\",\"symbols\":[");
	for (i = 0; i < GAMEPLAN_MAX_SYMBOLS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"S%d\"",
		    i ? "," : "", i);
	snprintf(buf + n, sizeof(buf) - n, "]," LIMITS "}");
	assert_int_equal(parse(buf, &gp, &e), 0);
	assert_int_equal(gp.n_symbols, GAMEPLAN_MAX_SYMBOLS);
	assert_string_equal(gp.symbols[63].name, "S63");
	snprintf(buf + n, sizeof(buf) - n, ",\"S64\"]," LIMITS "}");
	assert_int_equal(parse(buf, &gp, &e), -1);
	assert_string_equal(e.msg, "symbols: more than 64");
}

/* gameplan_json gives the plan back through gameplan_parse. */
static void
test_json_round_trip(void **state)
{
	struct gameplan a, b;
	struct gw_err e;
	char *s;

	(void)state;
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"B\","
	    "\"symbols\":[\"SPY\",{\"symbol\":\"QQQ\",\"max_position\":7}],"
	    "\"hard_limits\":{\"max_daily_loss_pct\":0.1,"
	    "\"max_single_position\":100},\"allow_outside_rth\":true}",
	    &a, &e), 0);
	s = gameplan_json(&a);
	assert_non_null(s);
	assert_string_equal(s, "{\"date\":\"2026-12-04\",\"strategy\":\"B\","
	    "\"symbols\":[{\"symbol\":\"SPY\",\"max_position\":100},"
	    "{\"symbol\":\"QQQ\",\"max_position\":7}],\"hard_limits\":"
	    "{\"max_daily_loss_pct\":0.1,\"max_single_position\":100},"
	    "\"allow_outside_rth\":true,\"max_intents_per_minute\":30}");
	assert_int_equal(parse(s, &b, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(s);
	/* the flatten options: written only when set */
	assert_int_equal(parse(PLAN(",\"flatten_at\":\"15:55\","
	    "\"flatten_on_reconnect\":true"), &a, &e), 0);
	assert_true(a.has_flatten_at);
	assert_int_equal(a.flatten_at_min, 15 * 60 + 55);
	assert_true(a.flatten_on_reconnect);
	s = gameplan_json(&a);
	assert_non_null(s);
	assert_non_null(strstr(s, ",\"max_intents_per_minute\":30,"
	    "\"flatten_at\":\"15:55\",\"flatten_on_reconnect\":true}"));
	assert_int_equal(parse(s, &b, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(s);
	/* the optional limits: written only when set */
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"A\","
	    "\"symbols\":[\"SPY\"],\"hard_limits\":{\"max_daily_loss_pct\":2,"
	    "\"max_single_position\":10,\"max_order_value\":2500.5,"
	    "\"max_open_orders\":3}}", &a, &e), 0);
	assert_true(a.max_order_value == 2500.5);
	assert_int_equal(a.max_open_orders, 3);
	s = gameplan_json(&a);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"hard_limits\":{\"max_daily_loss_pct\":2.0,"
	    "\"max_single_position\":10,\"max_order_value\":2500.5,"
	    "\"max_open_orders\":3}"));
	assert_int_equal(parse(s, &b, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(s);
	/* a C plan without symbols, an integral percentage */
	assert_int_equal(parse("{\"date\":\"2026-12-04\",\"strategy\":\"C\","
	    "\"hard_limits\":{\"max_daily_loss_pct\":2,"
	    "\"max_single_position\":1}}", &a, &e), 0);
	s = gameplan_json(&a);
	assert_non_null(s);
	assert_string_equal(s, "{\"date\":\"2026-12-04\",\"strategy\":\"C\","
	    "\"symbols\":[],\"hard_limits\":{\"max_daily_loss_pct\":2.0,"
	    "\"max_single_position\":1},\"allow_outside_rth\":false,"
	    "\"max_intents_per_minute\":30}");
	assert_int_equal(parse(s, &b, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(s);
}

static char tmpdir[64];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_gameplan.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/plan.json", tmpdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/fifo", tmpdir);
	unlink(p);
	return rmdir(tmpdir);
}

static void
write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
test_load(void **state)
{
	static const char plan[] = PLAN("");
	char path[128], want[256], *big;
	struct gameplan gp;
	struct gw_err e;
	int missing = -1;

	(void)state;
	snprintf(path, sizeof(path), "%s/plan.json", tmpdir);
	/* missing */
	assert_int_equal(gameplan_load(path, TODAY, &gp, &missing, &e), -1);
	assert_int_equal(missing, 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(e.msg, want);
	assert_int_equal(gp.strategy, GP_STRATEGY_C);
	assert_int_equal(gameplan_load(path, TODAY, &gp, NULL, &e), -1);
	/* valid */
	write_file(path, plan, sizeof(plan) - 1);
	assert_int_equal(gameplan_load(path, TODAY, &gp, &missing, &e), 0);
	assert_int_equal(missing, 0);
	assert_int_equal(gp.strategy, GP_STRATEGY_A);
	assert_string_equal(gp.symbols[0].name, "SPY");
	/* invalid: the path, then the problem */
	assert_int_equal(gameplan_load(path, "2026-12-05", &gp, &missing, &e),
	    -1);
	assert_int_equal(missing, 0);
	snprintf(want, sizeof(want), "%s: date: 2026-12-04 is not today in "
	    "New York (2026-12-05)", path);
	assert_string_equal(e.msg, want);
	write_file(path, "{\n\"date\" 1}", 11);
	assert_int_equal(gameplan_load(path, TODAY, &gp, &missing, &e), -1);
	snprintf(want, sizeof(want), "%s: line 2, column 8: ':' expected "
	    "near '1'", path);
	assert_string_equal(e.msg, want);
	/* exactly the cap is read; one byte more is refused */
	big = malloc(GAMEPLAN_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, ' ', GAMEPLAN_MAX_BYTES + 1);
	memcpy(big, plan, sizeof(plan) - 1);
	write_file(path, big, GAMEPLAN_MAX_BYTES);
	assert_int_equal(gameplan_load(path, TODAY, &gp, &missing, &e), 0);
	write_file(path, big, GAMEPLAN_MAX_BYTES + 1);
	assert_int_equal(gameplan_load(path, TODAY, &gp, &missing, &e), -1);
	assert_int_equal(missing, 0);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	assert_string_equal(e.msg, want);
	free(big);
	/* not a regular file: a directory, a FIFO (must not block) */
	assert_int_equal(gameplan_load(tmpdir, TODAY, &gp, &missing, &e), -1);
	assert_int_equal(missing, 0);
	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	assert_string_equal(e.msg, want);
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(gameplan_load(path, TODAY, &gp, &missing, &e), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_string_equal(e.msg, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_a),
		cmocka_unit_test(test_valid_b_options),
		cmocka_unit_test(test_valid_c),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_symbols_max),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test_setup_teardown(test_load, setup_dir,
		    teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
