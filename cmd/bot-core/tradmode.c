/*
 * tradmode: the trading-mode rules (tradmode.h). Input is the operator's
 * environment and the gateway's managedAccounts list: both untrusted
 * text, quoted with gw_err_quote in messages. Pure: no I/O, no globals.
 */
#include "tradmode.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"

#define QUOTE 40		/* bytes of a bad value a message quotes */
#define LIST_QUOTE 120		/* bytes of the account list a message quotes */

/*
 * Paper accounts. IB gives paper trading accounts ids of their own: "DU"
 * and digits for an individual paper account (DU1234567), "DF" and digits
 * for the paper master of an advisor (FA) account; live ones are "U..."
 * (individual), "F..." (FA master), "I..." (institution). IB's account
 * management guide shows the paper login's account as DU...; no IB page
 * we could find lists every prefix, so this follows the convention the
 * ib_insync / ib_async users check (managedAccounts() items starting with
 * ("DU", "DF")) and QuantConnect's IB brokerage notes (FA codes start
 * with F, FA or I). bot-core's earlier check knew "DU" only. A wrong
 * "paper" here would let paper mode trade a live account, so the test is
 * exact: the two prefixes and nothing wider (a bare "D" is not paper).
 */
static const char *const paper_prefixes[] = { "DU", "DF", NULL };

static int
is_paper(const char *id, size_t n)
{
	size_t i;

	for (i = 0; paper_prefixes[i] != NULL; i++)
		if (n > 2 && strncmp(id, paper_prefixes[i], 2) == 0)
			return 1;
	return 0;
}

int
tradmode_is_paper_account(const char *id)
{
	return id != NULL && is_paper(id, strlen(id));
}

/* 1..TRADMODE_ACCOUNT_MAX of [A-Z0-9]. */
static int
account_shape(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > TRADMODE_ACCOUNT_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

int
tradmode_parse(const char *dry_run, const char *trading_mode,
    const char *live_confirm, struct tradmode *out, struct gw_err *err)
{
	char q[QUOTE + 1];

	memset(out, 0, sizeof(*out));
	out->dry_run = 1;
	if (dry_run != NULL && dry_run[0] != '\0' &&
	    cfg_bool("DRY_RUN", dry_run, &out->dry_run, err) < 0)
		goto fail;
	if (trading_mode == NULL || trading_mode[0] == '\0' ||
	    strcasecmp(trading_mode, "paper") == 0)
		out->live = 0;
	else if (strcasecmp(trading_mode, "live") == 0)
		out->live = 1;
	else {
		gw_err_quote(q, sizeof(q), trading_mode, strlen(trading_mode));
		gw_err_set(err, "TRADING_MODE: '%s' is not one of paper, live", q);
		goto fail;
	}
	if (live_confirm != NULL && live_confirm[0] != '\0') {
		if (!account_shape(live_confirm, strlen(live_confirm))) {
			gw_err_quote(q, sizeof(q), live_confirm,
			    strlen(live_confirm));
			gw_err_set(err, "LIVE_TRADING_CONFIRM: '%s' is not an "
			    "account id (1..%d of A-Z, 0-9)", q,
			    TRADMODE_ACCOUNT_MAX);
			goto fail;
		}
		memcpy(out->confirm, live_confirm, strlen(live_confirm) + 1);
	}
	if (out->dry_run)
		return 0;
	if (!out->live && out->confirm[0] != '\0') {
		gw_err_set(err, "LIVE_TRADING_CONFIRM is set but TRADING_MODE is "
		    "paper: unset LIVE_TRADING_CONFIRM to trade on paper, or set "
		    "TRADING_MODE=live");
		goto fail;
	}
	if (out->live && tradmode_is_paper_account(out->confirm)) {
		gw_err_set(err, "LIVE_TRADING_CONFIRM: %s is a paper account id: "
		    "set the live account's id, or TRADING_MODE=paper (and no "
		    "LIVE_TRADING_CONFIRM)", out->confirm);
		goto fail;
	}
	if (out->live && out->confirm[0] == '\0') {
		gw_err_set(err, "TRADING_MODE=live with DRY_RUN=false needs "
		    "LIVE_TRADING_CONFIRM=<the live account id>: set it, or "
		    "DRY_RUN=true");
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* The next item of the list from *p: its start in *b, length returned;
 * -1 at the end. Blanks around items and empty items are skipped. */
static int
next_item(const char **p, const char **b)
{
	const char *s = *p, *e;
	size_t n;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0') {
			*p = s;
			return -1;
		}
		e = s;
		while (*e != '\0' && *e != ',')
			e++;
		n = (size_t)(e - s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		*p = e;
		*b = s;
		return (int)n;
	}
}

static int
check(const struct tradmode *m, const char *csv, char *first, size_t firstsz,
    struct gw_err *err)
{
	char q[QUOTE + 1], list[LIST_QUOTE + 1];
	const char *p = csv != NULL ? csv : "", *b;
	int n, count = 0, confirmed = 0;

	while ((n = next_item(&p, &b)) >= 0) {
		gw_err_quote(q, sizeof(q), b, (size_t)n);
		if (!account_shape(b, (size_t)n))
			return gw_err_set(err, "managed account '%s' is not an "
			    "account id (1..%d of A-Z, 0-9): refused",
			    q, TRADMODE_ACCOUNT_MAX);
		if (!m->live && !is_paper(b, (size_t)n))
			return gw_err_set(err, "TRADING_MODE=paper but %s is a "
			    "live account: log the gateway in to the paper "
			    "account, or see TRADING_MODE=live", q);
		if (m->live && is_paper(b, (size_t)n))
			return gw_err_set(err, "TRADING_MODE=live but %s is a "
			    "paper account: set TRADING_MODE=paper for a paper "
			    "login", q);
		if (m->confirm[0] != '\0' && strlen(m->confirm) == (size_t)n &&
		    memcmp(m->confirm, b, (size_t)n) == 0)
			confirmed = 1;
		if (count++ == 0 && first != NULL)
			snprintf(first, firstsz, "%.*s", n, b);
	}
	if (count == 0)
		return gw_err_set(err, "no managed accounts: the gateway's "
		    "managedAccounts list is empty");
	if (m->confirm[0] != '\0' && !confirmed) {
		gw_err_quote(list, sizeof(list), csv, strlen(csv));
		return gw_err_set(err, "LIVE_TRADING_CONFIRM=%s is not among the "
		    "managed accounts (%s): set it to the live account's id",
		    m->confirm, list);
	}
	return 0;
}

int
tradmode_check_accounts(const struct tradmode *m, const char *accounts_csv,
    struct gw_err *err)
{
	return check(m, accounts_csv, NULL, 0, err);
}

int
tradmode_order_account(const struct tradmode *m, const char *accounts_csv,
    char *out, size_t outsz, struct gw_err *err)
{
	if (outsz > 0)
		out[0] = '\0';
	if (outsz < TRADMODE_ACCOUNT_MAX + 1)
		return gw_err_set(err, "order account: buffer of %zu bytes is "
		    "too small", outsz);
	if (check(m, accounts_csv, out, outsz, err) < 0) {
		out[0] = '\0';
		return -1;
	}
	if (m->live && m->confirm[0] != '\0')
		snprintf(out, outsz, "%s", m->confirm);
	return 0;
}

const char *
tradmode_name(const struct tradmode *m)
{
	if (m->dry_run)
		return "dry-run";
	return m->live ? "live" : "paper";
}
