/*
 * tradmode: bot-core's trading-mode rules (docs/bot-core.md, "Orders and
 * the trading modes"): whether orders may leave the process at all
 * (DRY_RUN), on which kind of account (TRADING_MODE paper or live), and
 * the second opt-in live trading needs (LIVE_TRADING_CONFIRM, the live
 * account's id). Pure: the environment's values in, a decision or a
 * one-line refusal naming the variable(s) and what to do out (main exits
 * 78 on a refusal at start-up). Account ids are not secrets and are named
 * in messages.
 */
#ifndef BOT_TRADMODE_H
#define BOT_TRADMODE_H

#include <stddef.h>

#include "gw_err.h"

#define TRADMODE_ACCOUNT_MAX 31	/* bytes of an account id: [A-Z0-9] */

struct tradmode {
	int dry_run;		/* 1: no order ever leaves bot-core */
	int live;		/* TRADING_MODE=live (else paper) */
	/* LIVE_TRADING_CONFIRM, "" when unset */
	char confirm[TRADMODE_ACCOUNT_MAX + 1];
};

/*
 * Parse the three settings as the environment gives them (NULL or "" is
 * unset). DRY_RUN: cfg_bool's values, unset = true. TRADING_MODE: paper
 * (unset) or live, any case. LIVE_TRADING_CONFIRM: an account id
 * (1..TRADMODE_ACCOUNT_MAX of A-Z, 0-9). Refused (-1, *out zeroed):
 * a bad value of any of the three; with DRY_RUN=false, paper with a
 * confirm (the operator believes it is live) and live without one.
 * In dry run only the values' shapes are checked.
 */
int tradmode_parse(const char *dry_run, const char *trading_mode,
    const char *live_confirm, struct tradmode *out, struct gw_err *err);

/*
 * Judge the session's managed accounts (as tws_session_accounts gives
 * them: "DU1,DU2"; empty items and blanks around items are ignored)
 * against the mode. Paper (dry run or not): every account must be a
 * paper account. Live: no account may be a paper account, and a set
 * confirm must name one of them; without DRY_RUN the confirm is set
 * (tradmode_parse). 0 when the accounts fit, -1 with the reason.
 */
int tradmode_check_accounts(const struct tradmode *m,
    const char *accounts_csv, struct gw_err *err);

/*
 * tradmode_check_accounts, then the account orders go to, copied into
 * out (size outsz, at least TRADMODE_ACCOUNT_MAX + 1): paper, the first
 * managed account; live, the confirmed one (in dry run without a
 * confirm, the first). -1 with the reason when the accounts are refused.
 */
int tradmode_order_account(const struct tradmode *m, const char *accounts_csv,
    char *out, size_t outsz, struct gw_err *err);

/* 1 when the id is a paper account's ("DU...", "DF..."), else 0. */
int tradmode_is_paper_account(const char *id);

/* "dry-run", "paper" or "live": what the process does with an accepted
 * intent. Static storage. */
const char *tradmode_name(const struct tradmode *m);

#endif
