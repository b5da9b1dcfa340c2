/* libFuzzer target for gw_event_decode_with: any bytes, any length. A
 * decoded event must encode, and the encoding must decode to an equal
 * event and be a fixed point of encode; a refusal must say why. The
 * decoded event also goes through what the notifier does with it: its
 * Discord title and embed (nested fields flattened) must stay within
 * Discord's limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "discord.h"
#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
members_ok(const struct gw_event *ev)
{
	size_t i;

	if (strlen(ev->ts) != 24 || ev->ts[23] != 'Z' ||
	    ev->source == NULL || ev->component == NULL || ev->event == NULL ||
	    ev->message == NULL || (unsigned)ev->level > GW_CRITICAL ||
	    ev->n_fields > GW_EVENT_MAX_FIELDS ||
	    (ev->n_fields > 0) != (ev->fields != NULL))
		return 0;
	for (i = 0; i < ev->n_fields; i++) {
		const struct gw_event_field *f = &ev->fields[i];

		if (f->name == NULL || f->value == NULL || f->name[0] == '\0' ||
		    (unsigned)f->kind > GW_FIELD_JSON ||
		    (f->kind == GW_FIELD_JSON && f->value[0] != '{' &&
		    f->value[0] != '['))
			return 0;
	}
	return 1;
}

static void
check_embed(const struct gw_event *ev, unsigned count)
{
	json_t *em = discord_embed(ev, count, 60), *f;
	const char *title;

	if (em == NULL)
		__builtin_trap();
	title = json_string_value(json_object_get(em, "title"));
	f = json_object_get(em, "fields");
	if (title == NULL || strlen(title) > 4 * DISCORD_MAX_TITLE ||
	    json_array_size(f) > DISCORD_MAX_FIELDS ||
	    discord_embed_chars(em) > DISCORD_MAX_EMBED_TOTAL)
		__builtin_trap();
	json_decref(em);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_event_decode_opts o = { 1770732900123LL, NULL };
	struct gw_event a, b, c;
	struct gw_err e;
	char *s1, *s2;

	e.msg[0] = '\0';
	if (size > 0)	/* the receive time too: years 0000..9999 or a refusal */
		o.now_ms = (long long)(int8_t)data[0] * 2600000000000LL;
	if (gw_event_decode_with((const char *)data, size, &o, &a, &e) != 0) {
		if (e.msg[0] == '\0' || memchr(e.msg, '\0', sizeof(e.msg)) == NULL ||
		    strchr(e.msg, '\n') != NULL ||
		    a.source != NULL || a.fields != NULL || a.n_fields != 0)
			__builtin_trap();	/* every failure says why, owns nothing */
		return 0;
	}
	if (!members_ok(&a))
		__builtin_trap();
	check_embed(&a, 1);
	check_embed(&a, 3);
	s1 = gw_event_encode(&a);
	if (s1 == NULL) {
		/* only a line near the limit may encode longer (defaults,
		 * normalised ts, reals spelled out) */
		if (size + 512 < GW_EVENT_MAX_LINE)
			__builtin_trap();
		gw_event_clear(&a);
		return 0;
	}
	if (gw_event_decode_with(s1, strlen(s1), &o, &b, &e) != 0 ||
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
