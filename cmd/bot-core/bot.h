/*
 * bot: bot-core's core (docs/bot-core.md): it ties the gateway session
 * (gwconn), the safety gate (gate), the gameplan, the risk gate and shadow
 * book (risk) and the strategy process (strategy) together, and is the
 * single choke point every order intent passes. It logs every decision as
 * an event; the log's sink sends alerts to discord-notify. One object on
 * the event loop; nothing here blocks or exits.
 */
#ifndef BOT_BOT_H
#define BOT_BOT_H

#include <jansson.h>

#include "gw_err.h"
#include "gwconn.h"
#include "log.h"
#include "orderman.h"
#include "tradmode.h"

struct event_base;
struct evdns_base;
struct bot;

/* ORDER_JOURNAL when unset. */
#define BOT_JOURNAL_DEFAULT "/data/bot-core/orders.jsonl"
/* bot_start's return when the order journal cannot be opened (exit 78). */
#define BOT_START_CONFIG (-2)

/* RESTART_WINDOW when unset (New York time). */
#define BOT_WINDOW_DEFAULT "16:29-16:36"

struct bot_config {
	struct gwconn_config gw;
	char gameplan_path[4096];	/* GAMEPLAN_PATH */
	const char *strategy_cmd;	/* STRATEGY_CMD; NULL: none */
	struct tradmode mode;		/* DRY_RUN, TRADING_MODE,
					 * LIVE_TRADING_CONFIRM (tradmode) */
	int dry_run;			/* mode.dry_run */
	const char *trading_mode;	/* "paper" or "live": mode.live */
	double starting_capital;	/* STARTING_CAPITAL; 0: not set */
	int window_start_min, window_end_min;	/* RESTART_WINDOW, New York */
	int resume_after_reconnect;	/* RESUME_AFTER_RECONNECT */
	double strategy_restart_max_s;	/* 60 */
	const char *tz;			/* "America/New_York" (tests: $BOT_TZ) */
	char restart_file[4096];	/* --restart-file, GWKIT_RESTART_FILE:
					 * stack-init's restart file; "": none */
	struct orderman_config orders;	/* the order path (not dry run) */
};

void bot_config_init(struct bot_config *cfg);

/*
 * What bot_new's owner is told: the start-up wait gave up (exit 1 so the
 * supervisor's policy applies), or a stop has completed (exit 0).
 */
struct bot_hooks {
	void (*on_exit)(void *arg, int code);
	void *arg;
};

struct bot *bot_new(struct event_base *base, struct evdns_base *dns,
    const struct bot_config *cfg, struct gw_log *log,
    const struct bot_hooks *hooks, struct gw_err *err);

/* Load the gameplan, open the order journal (not in dry run: -2,
 * BOT_START_CONFIG, when it cannot be opened), start the strategy process
 * and the gateway wait. */
int bot_start(struct bot *b, struct gw_err *err);

/* Close the gate, stop the strategy, cancel market data, disconnect;
 * hooks.on_exit(0) once done. Idempotent. */
void bot_stop(struct bot *b);

/* The operator's kill switch and its release (bot.sock, `bot-core ctl`):
 * halt closes the gate and holds Strategy C until resume. who names the
 * caller for the log. */
void bot_halt(struct bot *b, const char *who);
void bot_resume(struct bot *b, const char *who);

/* The operator's flatten (`bot-core ctl flatten`): halt, cancel every
 * open order and close every position of the book with market orders
 * (only with orders on, on a reconciled session). 0, or -1 with the
 * reason. */
int bot_flatten(struct bot *b, const char *who, struct gw_err *err);

/* Re-read and re-validate the gameplan (SIGHUP, ctl reload): 0, or -1
 * with the reason (Strategy C holds, an alert is sent). */
int bot_reload(struct bot *b, struct gw_err *err);

/* The status reply of bot.sock (docs/bot-core.md "CONTROL SOCKET"): a
 * new reference, NULL when memory runs out. */
json_t *bot_status(const struct bot *b);

void bot_free(struct bot *b);

#endif
