/* libFuzzer target for bot-core's stratmsg_decode: any bytes, any length.
 * A refusal must say why in one line and leave *m zeroed; a decoded
 * message must keep its bounds (printable id and symbol within their caps,
 * valid enums, a limit price exactly for LMT, texts within the cap and
 * valid for the event log). Every encoder must give one line jansson
 * reads back, whatever the decoded text and numbers. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stratmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
word_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Valid UTF-8 within the cap: json_string takes it. */
static int
text_ok(const char *s)
{
	json_t *v;

	if (strlen(s) > STRATMSG_TEXT_MAX || (v = json_string(s)) == NULL)
		return 0;
	json_decref(v);
	return 1;
}

/* line: one object and its LF, read back by jansson. */
static void
line_ok(char *line, size_t len)
{
	json_t *o;

	if (line == NULL || len < 3 || strlen(line) != len ||
	    line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL)
		__builtin_trap();
	if ((o = json_loadb(line, len, 0, NULL)) == NULL || !json_is_object(o))
		__builtin_trap();
	json_decref(o);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_msg m, zero;
	struct sm_tick t;
	struct gw_err e;
	size_t n;

	memset(&zero, 0, sizeof(zero));
	e.msg[0] = '\0';
	if (stratmsg_decode((const char *)data, size, &m, &e) != 0) {
		if (e.msg[0] == '\0' || memchr(e.msg, '\0', sizeof(e.msg)) ==
		    NULL || strchr(e.msg, '\n') != NULL ||
		    memcmp(&m, &zero, sizeof(m)) != 0)
			__builtin_trap();
		/* the refusal as a reason on the wire */
		line_ok(stratmsg_strategy("C", e.msg, &n), n);
		return 0;
	}
	if (size > STRATMSG_MAX_LINE + 1)
		__builtin_trap();
	if (m.type == SM_LOG) {
		if ((unsigned)m.u.log.level > GW_CRITICAL ||
		    !text_ok(m.u.log.message))
			__builtin_trap();
		line_ok(stratmsg_gate(0, m.u.log.message, &n), n);
		return 0;
	}
	if (m.type != SM_INTENT ||
	    !word_ok(m.u.intent.id, STRATMSG_ID_MAX) ||
	    !word_ok(m.u.intent.symbol, STRATMSG_SYMBOL_MAX) ||
	    (unsigned)m.u.intent.side > SM_SELL ||
	    (unsigned)m.u.intent.order_type > SM_LMT ||
	    m.u.intent.has_limit_price != (m.u.intent.order_type == SM_LMT) ||
	    !isfinite(m.u.intent.quantity) ||
	    (m.u.intent.has_limit_price && !isfinite(m.u.intent.limit_price)) ||
	    !text_ok(m.u.intent.reason))
		__builtin_trap();
	line_ok(stratmsg_intent_result(m.u.intent.id, 1, m.u.intent.reason,
	    &n), n);
	memset(&t, 0, sizeof(t));
	t.symbol = m.u.intent.symbol;
	t.bid = m.u.intent.quantity;
	t.ask = m.u.intent.has_limit_price ? m.u.intent.limit_price : NAN;
	t.last = t.bid / 3;
	t.bid_size = (long long)size - 100;
	t.ask_size = t.last_size = t.volume = -1;
	t.ts_ms = (long long)size * 1000003LL;
	t.coalesced = (unsigned long)size;
	line_ok(stratmsg_tick(&t, &n), n);
	line_ok(stratmsg_hello(m.u.intent.reason, m.u.intent.reason, 1,
	    m.u.intent.id, &n), n);
	return 0;
}
