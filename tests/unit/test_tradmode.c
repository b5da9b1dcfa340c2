/* Unit tests for bot-core's tradmode: the settings' values and defaults,
 * every refusal of tradmode_parse with its exact message, and the whole
 * matrix of mode (dry run paper, dry run live, paper, live) x accounts
 * (paper, live, mixed) x LIVE_TRADING_CONFIRM (unset, matching, not
 * matching, malformed) through tradmode_check_accounts and the account
 * orders go to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tradmode.h"

static void
test_parse_defaults(void **state)
{
	struct tradmode m;
	struct gw_err e;

	(void)state;
	assert_int_equal(tradmode_parse(NULL, NULL, NULL, &m, &e), 0);
	assert_int_equal(m.dry_run, 1);
	assert_int_equal(m.live, 0);
	assert_string_equal(m.confirm, "");
	assert_string_equal(tradmode_name(&m), "dry-run");
	assert_int_equal(tradmode_parse("", "", "", &m, &e), 0);
	assert_int_equal(m.dry_run, 1);
	assert_int_equal(m.live, 0);
	/* cfg_bool's spellings, any case; TRADING_MODE any case */
	assert_int_equal(tradmode_parse("No", "PAPER", NULL, &m, &e), 0);
	assert_int_equal(m.dry_run, 0);
	assert_int_equal(m.live, 0);
	assert_string_equal(tradmode_name(&m), "paper");
	assert_int_equal(tradmode_parse("0", "Live", "U1234567", &m, &e), 0);
	assert_int_equal(m.dry_run, 0);
	assert_int_equal(m.live, 1);
	assert_string_equal(m.confirm, "U1234567");
	assert_string_equal(tradmode_name(&m), "live");
	assert_int_equal(tradmode_parse("TRUE", "live", NULL, &m, &e), 0);
	assert_int_equal(m.dry_run, 1);
	assert_int_equal(m.live, 1);
	assert_string_equal(tradmode_name(&m), "dry-run");
}

/* A refusal: -1, the exact message, *out zeroed. */
static void
refused(const char *dry, const char *mode, const char *confirm,
    const char *msg)
{
	struct tradmode m, zero;
	struct gw_err e;

	memset(&zero, 0, sizeof(zero));
	memset(&m, 0x55, sizeof(m));
	e.msg[0] = '\0';
	assert_int_equal(tradmode_parse(dry, mode, confirm, &m, &e), -1);
	assert_string_equal(e.msg, msg);
	assert_memory_equal(&m, &zero, sizeof(m));
}

static void
test_parse_refused(void **state)
{
	(void)state;
	refused("maybe", NULL, NULL,
	    "DRY_RUN: 'maybe' is not a boolean (true or false)");
	refused(NULL, "yolo", NULL,
	    "TRADING_MODE: 'yolo' is not one of paper, live");
	refused("false", "papr", NULL,
	    "TRADING_MODE: 'papr' is not one of paper, live");
	/* malformed confirm: refused whatever DRY_RUN says */
	refused(NULL, "live", "u1234567",
	    "LIVE_TRADING_CONFIRM: 'u1234567' is not an account id "
	    "(1..31 of A-Z, 0-9)");
	refused("true", "paper", "U-1",
	    "LIVE_TRADING_CONFIRM: 'U-1' is not an account id "
	    "(1..31 of A-Z, 0-9)");
	refused("false", "live", "U1234567 ",
	    "LIVE_TRADING_CONFIRM: 'U1234567 ' is not an account id "
	    "(1..31 of A-Z, 0-9)");
	refused("false", "live", "U123456789012345678901234567890123",
	    "LIVE_TRADING_CONFIRM: 'U123456789012345678901234567890123' is "
	    "not an account id (1..31 of A-Z, 0-9)");
	refused("false", "live", "U1\x01",
	    "LIVE_TRADING_CONFIRM: 'U1?' is not an account id "
	    "(1..31 of A-Z, 0-9)");
	/* paper with a confirm: the operator thinks it is live */
	refused("false", NULL, "U1234567",
	    "LIVE_TRADING_CONFIRM is set but TRADING_MODE is paper: unset "
	    "LIVE_TRADING_CONFIRM to trade on paper, or set TRADING_MODE=live");
	/* live without the second opt-in */
	refused("false", "live", NULL,
	    "TRADING_MODE=live with DRY_RUN=false needs "
	    "LIVE_TRADING_CONFIRM=<the live account id>: set it, or "
	    "DRY_RUN=true");
	refused("off", "LIVE", "",
	    "TRADING_MODE=live with DRY_RUN=false needs "
	    "LIVE_TRADING_CONFIRM=<the live account id>: set it, or "
	    "DRY_RUN=true");
	refused("false", "live", "DU1234567",
	    "LIVE_TRADING_CONFIRM: DU1234567 is a paper account id: set the "
	    "live account's id, or TRADING_MODE=paper (and no "
	    "LIVE_TRADING_CONFIRM)");
}

static void
test_parse_dry_run_shapes_only(void **state)
{
	struct tradmode m;
	struct gw_err e;

	(void)state;
	/* dry run: the combination is not judged, only the values */
	assert_int_equal(tradmode_parse(NULL, "paper", "U1234567", &m, &e), 0);
	assert_int_equal(m.dry_run, 1);
	assert_string_equal(m.confirm, "U1234567");
	assert_int_equal(tradmode_parse("yes", "live", "DU1", &m, &e), 0);
	assert_int_equal(m.live, 1);
}

static void
test_paper_prefixes(void **state)
{
	(void)state;
	assert_true(tradmode_is_paper_account("DU1234567"));
	assert_true(tradmode_is_paper_account("DF1234567"));
	assert_false(tradmode_is_paper_account("U1234567"));
	assert_false(tradmode_is_paper_account("F1234567"));
	assert_false(tradmode_is_paper_account("D1234567"));
	assert_false(tradmode_is_paper_account("DI1234567"));
	assert_false(tradmode_is_paper_account("du1234567"));
	assert_false(tradmode_is_paper_account("DU"));
	assert_false(tradmode_is_paper_account(""));
	assert_false(tradmode_is_paper_account(NULL));
}

/* One cell of the matrix: the account orders go to, or the refusal. */
static void
cell(const char *dry, const char *mode, const char *confirm,
    const char *accounts, const char *want_account, const char *want_err)
{
	char acct[TRADMODE_ACCOUNT_MAX + 1];
	struct tradmode m;
	struct gw_err e;

	assert_int_equal(tradmode_parse(dry, mode, confirm, &m, &e), 0);
	e.msg[0] = '\0';
	if (want_err != NULL) {
		assert_int_equal(tradmode_check_accounts(&m, accounts, &e), -1);
		assert_string_equal(e.msg, want_err);
		e.msg[0] = '\0';
		strcpy(acct, "junk");
		assert_int_equal(tradmode_order_account(&m, accounts, acct,
		    sizeof(acct), &e), -1);
		assert_string_equal(e.msg, want_err);
		assert_string_equal(acct, "");
		return;
	}
	assert_int_equal(tradmode_check_accounts(&m, accounts, &e), 0);
	assert_int_equal(tradmode_order_account(&m, accounts, acct,
	    sizeof(acct), &e), 0);
	assert_string_equal(acct, want_account);
}

#define PAPER_ACCTS "DU111,DF222"
#define LIVE_ACCTS "U111,U222"
#define MIXED_ACCTS "U111,DU222"
#define E_PAPER_LIVE(a) "TRADING_MODE=paper but " a " is a live account: " \
	"log the gateway in to the paper account, or see TRADING_MODE=live"
#define E_LIVE_PAPER(a) "TRADING_MODE=live but " a " is a paper account: " \
	"set TRADING_MODE=paper for a paper login"
#define E_NOT_AMONG(c, l) "LIVE_TRADING_CONFIRM=" c " is not among the " \
	"managed accounts (" l "): set it to the live account's id"

static void
test_matrix_paper(void **state)
{
	static const char *const dry[] = { NULL, "false" };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* confirm unset: only paper accounts; the first gets orders */
		cell(dry[i], "paper", NULL, PAPER_ACCTS, "DU111", NULL);
		cell(dry[i], NULL, NULL, "DF9", "DF9", NULL);
		cell(dry[i], "paper", NULL, LIVE_ACCTS, NULL,
		    E_PAPER_LIVE("U111"));
		cell(dry[i], "paper", NULL, MIXED_ACCTS, NULL,
		    E_PAPER_LIVE("U111"));
		cell(dry[i], "paper", NULL, "DU1,U2", NULL, E_PAPER_LIVE("U2"));
	}
	/* in dry run a confirm with paper is only shape-checked; it must
	 * still be among the accounts, as a rehearsal of the real run */
	cell(NULL, "paper", "DU111", PAPER_ACCTS, "DU111", NULL);
	cell(NULL, "paper", "DU999", PAPER_ACCTS, NULL,
	    E_NOT_AMONG("DU999", PAPER_ACCTS));
	cell(NULL, "paper", "U111", MIXED_ACCTS, NULL, E_PAPER_LIVE("U111"));
}

static void
test_matrix_live(void **state)
{
	(void)state;
	/* live, real: confirm matching, not matching; any paper account */
	cell("false", "live", "U222", LIVE_ACCTS, "U222", NULL);
	cell("false", "live", "U111", LIVE_ACCTS, "U111", NULL);
	cell("false", "live", "U333", LIVE_ACCTS, NULL,
	    E_NOT_AMONG("U333", LIVE_ACCTS));
	cell("false", "live", "U11", LIVE_ACCTS, NULL,
	    E_NOT_AMONG("U11", LIVE_ACCTS));
	cell("false", "live", "U111", MIXED_ACCTS, NULL, E_LIVE_PAPER("DU222"));
	cell("false", "live", "U111", PAPER_ACCTS, NULL, E_LIVE_PAPER("DU111"));
	/* live in dry run: the same account rules, the confirm optional */
	cell("true", "live", NULL, LIVE_ACCTS, "U111", NULL);
	cell("true", "live", "U222", LIVE_ACCTS, "U222", NULL);
	cell("true", "live", "U333", LIVE_ACCTS, NULL,
	    E_NOT_AMONG("U333", LIVE_ACCTS));
	cell("true", "live", NULL, MIXED_ACCTS, NULL, E_LIVE_PAPER("DU222"));
	cell("true", "live", NULL, PAPER_ACCTS, NULL, E_LIVE_PAPER("DU111"));
}

static void
test_account_lists(void **state)
{
	struct tradmode paper, live;
	char acct[TRADMODE_ACCOUNT_MAX + 1];
	struct gw_err e;

	(void)state;
	assert_int_equal(tradmode_parse("false", "paper", NULL, &paper, &e), 0);
	assert_int_equal(tradmode_parse("false", "live", "U2", &live, &e), 0);
	/* blanks and empty items (IB's FA lists end with a comma) */
	assert_int_equal(tradmode_order_account(&paper, " DU1 ,,DU2,", acct,
	    sizeof(acct), &e), 0);
	assert_string_equal(acct, "DU1");
	assert_int_equal(tradmode_order_account(&live, "U1, U2 ,", acct,
	    sizeof(acct), &e), 0);
	assert_string_equal(acct, "U2");
	/* empty lists */
	assert_int_equal(tradmode_check_accounts(&paper, "", &e), -1);
	assert_string_equal(e.msg, "no managed accounts: the gateway's "
	    "managedAccounts list is empty");
	assert_int_equal(tradmode_check_accounts(&live, " , ", &e), -1);
	assert_string_equal(e.msg, "no managed accounts: the gateway's "
	    "managedAccounts list is empty");
	assert_int_equal(tradmode_check_accounts(&paper, NULL, &e), -1);
	/* items that are not account ids */
	assert_int_equal(tradmode_check_accounts(&paper, "DU1,du2", &e), -1);
	assert_string_equal(e.msg, "managed account 'du2' is not an account "
	    "id (1..31 of A-Z, 0-9): refused");
	assert_int_equal(tradmode_check_accounts(&live, "U2,U 3", &e), -1);
	assert_string_equal(e.msg, "managed account 'U 3' is not an account "
	    "id (1..31 of A-Z, 0-9): refused");
	/* a confirm must match a whole item, not a prefix */
	assert_int_equal(tradmode_check_accounts(&live, "U22", &e), -1);
	assert_string_equal(e.msg, E_NOT_AMONG("U2", "U22"));
	/* the order account's buffer */
	assert_int_equal(tradmode_order_account(&paper, "DU1", acct, 8, &e),
	    -1);
	assert_string_equal(e.msg, "order account: buffer of 8 bytes is too "
	    "small");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_parse_dry_run_shapes_only),
		cmocka_unit_test(test_paper_prefixes),
		cmocka_unit_test(test_matrix_paper),
		cmocka_unit_test(test_matrix_live),
		cmocka_unit_test(test_account_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
