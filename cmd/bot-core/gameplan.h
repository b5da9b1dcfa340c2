/*
 * gameplan: the day's plan for bot-core (docs/bot-core.md "GAMEPLAN"):
 *
 *   {"date":"2026-12-04","strategy":"A","symbols":["SPY","QQQ"],
 *    "hard_limits":{"max_daily_loss_pct":2.0,"max_single_position":100}}
 *
 * plus optional fields: "allow_outside_rth" (bool, default false),
 * "max_intents_per_minute" (integer 1..10000, default 30), "flatten_at"
 * ("HH:MM", New York), "flatten_on_reconnect" (bool), and per-symbol
 * limits when a symbol is an object {"symbol":"SPY","max_position":50}
 * instead of a string. Unknown keys are an error (a typo must not pass as
 * a plan). The input is untrusted; the decoder is pure (no I/O, no
 * clock: the caller says what "today" is).
 */
#ifndef BOT_GAMEPLAN_H
#define BOT_GAMEPLAN_H

#include <stddef.h>

#include "gw_err.h"

#define GAMEPLAN_MAX_BYTES (1024 * 1024)	/* a longer file is refused */
#define GAMEPLAN_MAX_SYMBOLS 64
#define GAMEPLAN_SYMBOL_MAX 15			/* bytes of a symbol: A-Z 0-9 . - / */
#define GAMEPLAN_MAX_POSITION 1000000000L	/* max_single_position cap */
#define GAMEPLAN_DEFAULT_RATE 30L		/* max_intents_per_minute */
#define GAMEPLAN_MAX_RATE 10000L

enum gp_strategy {
	GP_STRATEGY_A,
	GP_STRATEGY_B,
	GP_STRATEGY_C,		/* cash preservation: no new orders */
};

struct gp_symbol {
	char name[GAMEPLAN_SYMBOL_MAX + 1];
	long max_position;	/* shares; the plan's max_single_position unless
				 * the symbol says less */
};

struct gameplan {
	char date[11];		/* YYYY-MM-DD */
	enum gp_strategy strategy;
	struct gp_symbol symbols[GAMEPLAN_MAX_SYMBOLS];
	size_t n_symbols;
	double max_daily_loss_pct;	/* (0, 100] */
	long max_single_position;	/* shares, >= 1 */
	double max_order_value;		/* hard_limits.max_order_value:
					 * currency per order; 0: none */
	long max_open_orders;		/* hard_limits.max_open_orders: orders
					 * working at once; 0: none */
	int allow_outside_rth;
	long max_intents_per_minute;
	/* orders on (docs/orders.md): flatten every position at a New York
	 * time of day ("flatten_at": "15:55"), and after a runtime outage of
	 * the gateway session ("flatten_on_reconnect": true) */
	int has_flatten_at;
	int flatten_at_min;		/* minute of the day, 0..1439 */
	int flatten_on_reconnect;
};

/*
 * Decode and validate one gameplan document of len bytes. today is the
 * New York date "YYYY-MM-DD" the plan must carry (NULL: not checked).
 * Returns 0 with *gp filled, or -1 with one line naming the problem, e.g.
 * "line 3, column 7: ..." for bad JSON, "strategy: 'D' is not one of A, B,
 * C", "date: 2026-12-03 is not today in New York (2026-12-04)",
 * "hard_limits.max_daily_loss_pct: missing", "symbols: none for strategy
 * A". Strategy C needs no symbols (any given are still checked). Symbols
 * are unique; a symbol's max_position is 1..max_single_position, which is
 * 1..GAMEPLAN_MAX_POSITION. On failure *gp is an empty Strategy C plan.
 * Never reads past len; buf need not be NUL-terminated.
 */
int gameplan_parse(const char *buf, size_t len, const char *today,
    struct gameplan *gp, struct gw_err *err);

/* Read path (at most GAMEPLAN_MAX_BYTES) and gameplan_parse it. A missing
 * file (ENOENT) is -1 with *missing set (the caller warns and holds
 * Strategy C); any other failure (not a regular file, larger than the cap,
 * invalid) names the path: "PATH: strategy: ...". Blocks on the read of a
 * regular file only. missing may be NULL. */
int gameplan_load(const char *path, const char *today, struct gameplan *gp,
    int *missing, struct gw_err *err);

/* The plan as compact JSON in the same format, defaults filled in and
 * every symbol an object with its max_position (gameplan_parse of it gives
 * gp back; this is what the strategy's hello carries). malloc'd,
 * NUL-terminated, no LF; NULL when memory runs out. At most about 3.7 KB. */
char *gameplan_json(const struct gameplan *gp);

/* "A", "B", "C". */
const char *gameplan_strategy_name(enum gp_strategy s);

/* The symbol named name, or NULL. */
const struct gp_symbol *gameplan_symbol(const struct gameplan *gp,
    const char *name);

#endif
