/* libFuzzer target for gw_event_decode: any bytes, any length. A decoded
 * event must encode, and the encoding must decode to an equal event and be
 * a fixed point of encode; a refusal must say why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
members_ok(const struct gw_event *ev)
{
	size_t i;

	if (memchr(ev->ts, '\0', sizeof(ev->ts)) == NULL ||
	    ev->source == NULL || ev->component == NULL || ev->event == NULL ||
	    ev->message == NULL || (unsigned)ev->level > GW_CRITICAL ||
	    ev->n_fields > GW_EVENT_MAX_FIELDS ||
	    (ev->n_fields > 0) != (ev->fields != NULL))
		return 0;
	for (i = 0; i < ev->n_fields; i++)
		if (ev->fields[i].name == NULL || ev->fields[i].value == NULL ||
		    ev->fields[i].name[0] == '\0')
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_event a, b, c;
	struct gw_err e;
	char *s1, *s2;

	e.msg[0] = '\0';
	if (gw_event_decode((const char *)data, size, &a, &e) != 0) {
		if (e.msg[0] == '\0' || memchr(e.msg, '\0', sizeof(e.msg)) == NULL ||
		    a.source != NULL || a.fields != NULL || a.n_fields != 0)
			__builtin_trap();	/* every failure says why, owns nothing */
		return 0;
	}
	if (!members_ok(&a))
		__builtin_trap();
	s1 = gw_event_encode(&a);
	if (s1 == NULL) {
		/* only a line at the very limit may re-encode longer */
		if (size + 256 < GW_EVENT_MAX_LINE)
			__builtin_trap();
		gw_event_clear(&a);
		return 0;
	}
	if (gw_event_decode(s1, strlen(s1), &b, &e) != 0 ||
	    !gw_event_equal(&a, &b))
		__builtin_trap();
	s2 = gw_event_encode(&b);
	if (s2 == NULL || strcmp(s1, s2) != 0)
		__builtin_trap();
	if (gw_event_copy(&c, &b, &e) != 0 || !gw_event_equal(&a, &c))
		__builtin_trap();
	free(s2);
	free(s1);
	gw_event_clear(&c);
	gw_event_clear(&b);
	gw_event_clear(&a);
	return 0;
}
