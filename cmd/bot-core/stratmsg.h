/*
 * stratmsg: the strategy protocol (docs/strategy-protocol.md): JSON lines
 * between bot-core and a strategy process on its stdin/stdout.
 *
 * To the strategy (encoders, strict): hello, tick, gate, strategy,
 * intent_result. From the strategy (decoder, untrusted, pure): intent and
 * log. A line is at most STRATMSG_MAX_LINE bytes.
 */
#ifndef BOT_STRATMSG_H
#define BOT_STRATMSG_H

#include <stddef.h>

#include "gw_err.h"
#include "log.h"

#define STRATMSG_PROTOCOL 1		/* hello's "protocol" */
#define STRATMSG_MAX_LINE 4096
#define STRATMSG_ID_MAX 64		/* bytes of an intent id */
#define STRATMSG_SYMBOL_MAX 15
#define STRATMSG_TEXT_MAX 512		/* reason, log message (longer: cut) */

enum sm_type { SM_INTENT, SM_LOG };
enum sm_side { SM_BUY, SM_SELL };
enum sm_order_type { SM_MKT, SM_LMT };

struct sm_intent {
	char id[STRATMSG_ID_MAX + 1];	/* non-empty, printable ASCII */
	char symbol[STRATMSG_SYMBOL_MAX + 1];
	enum sm_side side;
	double quantity;		/* any number: the risk gate judges it */
	enum sm_order_type order_type;
	int has_limit_price;
	double limit_price;
	char reason[STRATMSG_TEXT_MAX + 1];	/* "" when absent */
};

struct sm_log {
	enum gw_level level;		/* "level" optional, default info */
	char message[STRATMSG_TEXT_MAX + 1];
};

struct sm_msg {
	enum sm_type type;
	union {
		struct sm_intent intent;
		struct sm_log log;
	} u;
};

/*
 * Decode one line (without its LF; a CR before it is allowed) from the
 * strategy. Returns 0, or -1 with one line naming the problem ("not JSON
 * at column 5: ...", "type: 'order' is not intent or log", "intent:
 * side: 'HOLD' is not BUY or SELL", "intent: limit_price: needed for
 * LMT"). Unknown keys, an empty line and a line longer than
 * STRATMSG_MAX_LINE (CR not counted) are errors too; reason and message
 * are cut to STRATMSG_TEXT_MAX bytes on a UTF-8 boundary. On failure *m
 * is zeroed. Pure.
 */
int stratmsg_decode(const char *line, size_t len, struct sm_msg *m,
    struct gw_err *err);

/* One latest-value market snapshot of a symbol (NaN / -1 when unknown). */
struct sm_tick {
	const char *symbol;
	double bid, ask, last;
	long long bid_size, ask_size, last_size, volume;
	long long ts_ms;		/* wall clock of the latest change */
	unsigned long coalesced;	/* ticks folded into this one */
};

/* Encoders: one compact JSON object and its LF, malloc'd (NUL-terminated,
 * length in *len, which may be NULL), or NULL when memory runs out.
 * Reals are written with the fewest digits that read back exactly. A NULL
 * string is written as "", bytes of a string that are not UTF-8 as '?'.
 * hello: gameplan_json as from gameplan_json() (NULL, or text that is not
 * a JSON object: "gameplan":null). tick: a price that is not finite
 * (NaN: unknown) and a negative size, volume or ts_ms (-1: unknown) are
 * written as null. */
char *stratmsg_hello(const char *version, const char *gameplan_json,
    int dry_run, const char *trading_mode, size_t *len);
char *stratmsg_tick(const struct sm_tick *t, size_t *len);
char *stratmsg_gate(int open, const char *reason, size_t *len);
char *stratmsg_strategy(const char *active, const char *reason, size_t *len);
char *stratmsg_intent_result(const char *id, int accepted, const char *rule,
    size_t *len);

/* The order path (docs/strategy-protocol.md "order", "fill"): a state
 * change of the order an accepted intent became, and one execution of
 * it. Texts are copied; a NULL one is written as "". */
struct sm_order {
	const char *id;		/* the intent's id */
	long long order_id;
	const char *symbol;
	const char *state;	/* ordbook_state_name: "submitted", ... */
	const char *from;
	double filled;		/* shares filled so far */
	const char *why;
};

struct sm_fill {
	const char *id;
	long long order_id;
	const char *symbol;
	const char *side;	/* "BUY" / "SELL" */
	double shares, price;	/* this execution */
	double filled;		/* the order's shares filled so far */
	double avg_price;	/* their average price */
	const char *exec_id;
};

char *stratmsg_order(const struct sm_order *m, size_t *len);
char *stratmsg_fill(const struct sm_fill *m, size_t *len);

#endif
