/* libFuzzer target for ibclog_decode and the login tracker: any bytes, any
 * length. The whole input is one line for the decoder (its class must not
 * depend on bytes past 4096 or on letter case, and attempt / wait_s only
 * belong to their classes); then it is cut at '\n' and each piece is
 * decoded and fed to a tracker, whose fields must stay consistent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ibclog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const struct ibclog_line *l)
{
	if ((unsigned)l->kind >= IBCLOG_KIND_COUNT || l->attempt < 0 ||
	    l->wait_s < 0 || l->wait_s > 10000000L ||
	    (l->kind != IBCLOG_LOGIN_ATTEMPT && l->attempt != 0) ||
	    (l->kind != IBCLOG_LOCKOUT && l->wait_s != 0) ||
	    strcmp(ibclog_kind_name(l->kind), "unknown") == 0)
		__builtin_trap();
}

static void
check_tracker(const struct ibclog_tracker *t, int64_t now_ms)
{
	if ((unsigned)t->state > IBCLOG_COMPETING || t->attempts < 0 ||
	    (t->cold != 0 && t->cold != 1) ||
	    (t->expected != 0 && t->expected != 1) ||
	    (t->repush && t->state != IBCLOG_AWAITING_2FA) ||
	    (t->deadline_ms != 0 && t->state != IBCLOG_AWAITING_2FA &&
	    t->state != IBCLOG_LOCKED_OUT) ||
	    (t->state == IBCLOG_AWAITING_2FA && t->attempts < 1) ||
	    t->since_ms > now_ms || t->completed_ms > now_ms ||
	    (t->state == IBCLOG_AWAITING_2FA &&
	    !ibclog_tracker_pending(t, now_ms)))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl, *end = s + size;
	struct ibclog_line a, b;
	struct ibclog_tracker t;
	int64_t now_ms = 0;
	char *up;
	size_t i;

	ibclog_decode(s, size, &a);
	check_line(&a);
	ibclog_decode(s, size < 4096 ? size : 4096, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		__builtin_trap();
	if ((up = malloc(size + 1)) == NULL)
		return 0;
	for (i = 0; i < size; i++)
		up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	ibclog_decode(up, size, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		__builtin_trap();
	free(up);

	ibclog_tracker_init(&t, size > 0 ? (double)data[0] : 0);
	if (size > 1 && (data[1] & 1))
		ibclog_tracker_expect(&t, 0);
	while (s < end) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		ibclog_decode(s, (size_t)(nl - s), &a);
		check_line(&a);
		now_ms += (int64_t)(nl - s) * 997;	/* time moves with the bytes */
		ibclog_tracker_feed(&t, &a, now_ms);
		check_tracker(&t, now_ms);
		s = nl + (nl < end);
	}
	return 0;
}
