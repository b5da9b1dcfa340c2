/* libFuzzer target for bot-core's gameplan_parse: any bytes, any length.
 * A refusal must say why in one line and leave an empty Strategy C plan;
 * an accepted plan must keep every rule (strategy, date, limits, symbols)
 * and its gameplan_json must parse back to the same struct. The first
 * byte picks whether "today" is checked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gameplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
plan_ok(const struct gameplan *gp)
{
	size_t i, j, n;

	if ((unsigned)gp->strategy > GP_STRATEGY_C ||
	    strlen(gp->date) != 10 || gp->date[4] != '-' ||
	    gp->date[7] != '-' ||
	    !(gp->max_daily_loss_pct > 0 && gp->max_daily_loss_pct <= 100) ||
	    gp->max_single_position < 1 ||
	    gp->max_single_position > GAMEPLAN_MAX_POSITION ||
	    gp->max_intents_per_minute < 1 ||
	    gp->max_intents_per_minute > GAMEPLAN_MAX_RATE ||
	    (gp->allow_outside_rth != 0 && gp->allow_outside_rth != 1) ||
	    gp->n_symbols > GAMEPLAN_MAX_SYMBOLS ||
	    (gp->n_symbols == 0 && gp->strategy != GP_STRATEGY_C))
		return 0;
	for (i = 0; i < gp->n_symbols; i++) {
		const struct gp_symbol *s = &gp->symbols[i];

		n = strlen(s->name);
		if (n < 1 || n > GAMEPLAN_SYMBOL_MAX ||
		    strspn(s->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-/")
		    != n || s->max_position < 1 ||
		    s->max_position > gp->max_single_position ||
		    gameplan_symbol(gp, s->name) != s)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(gp->symbols[j].name, s->name) == 0)
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *today = NULL;
	struct gameplan a, b;
	struct gw_err e;
	char *s;

	if (size > 0 && (data[0] & 1))
		today = "2026-12-04";
	e.msg[0] = '\0';
	if (gameplan_parse((const char *)data, size, today, &a, &e) != 0) {
		if (e.msg[0] == '\0' || memchr(e.msg, '\0', sizeof(e.msg)) ==
		    NULL || strchr(e.msg, '\n') != NULL ||
		    a.strategy != GP_STRATEGY_C || a.n_symbols != 0)
			__builtin_trap();
		return 0;
	}
	if (!plan_ok(&a) || (today != NULL && strcmp(a.date, today) != 0))
		__builtin_trap();
	if ((s = gameplan_json(&a)) == NULL)
		__builtin_trap();
	if (gameplan_parse(s, strlen(s), today, &b, &e) != 0 ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		__builtin_trap();
	free(s);
	return 0;
}
