/*
 * event: the event record, the JSON line every gwkit program speaks
 * (docs/events.md "The event record"):
 *
 *   {"ts":"2026-02-10T14:15:00.123Z","level":"warning","source":"bot-core",
 *    "component":"gateway","event":"gateway.disconnected",
 *    "message":"Gateway closed the API session",
 *    "fields":{"host":"gateway","port":4004,"exit":{"code":3}}}
 *
 * Decode validates a line from outside (untrusted bytes) into a struct
 * gw_event, liberally (any RFC 3339 offset, "warn", missing keys with
 * documented defaults, unknown keys kept as fields); init/add_field build
 * one; encode writes it back strictly, as one compact canonical line.
 * Every gw_event that came out of this module satisfies
 * decode(encode(ev)) == ev. No I/O, no globals.
 */
#ifndef GW_EVENT_H
#define GW_EVENT_H

#include <stddef.h>

#include "gw_err.h"
#include "log.h"

#define GW_EVENT_MAX_LINE 65536		/* bytes, excluding the newline */
#define GW_EVENT_MAX_NAME 64		/* source, component, field names */
#define GW_EVENT_MAX_EVENT 128		/* the dotted event name */
#define GW_EVENT_MAX_FIELDS 25		/* top-level names in "fields" */
#define GW_EVENT_MAX_DEPTH 4		/* "a":{"b":{"c":{"d":1}}} is 4 deep */
#define GW_EVENT_MAX_VALUES 100		/* leaf values in all the fields */

/* Decode defaults (docs/events.md). */
#define GW_EVENT_DEFAULT_SOURCE "script"
#define GW_EVENT_DEFAULT_EVENT "script.message"

/* What a field's value text holds. */
enum gw_field_kind {
	GW_FIELD_STRING,	/* a string's raw UTF-8 */
	GW_FIELD_SCALAR,	/* canonical JSON number, true, false or null */
	GW_FIELD_JSON,		/* canonical compact JSON of an object or array */
};

/* A field's value as text. Canonical JSON: integers in decimal, reals in
 * the shortest form that reads back to the same double and always with a
 * '.' or an exponent ("1.0", "0.1", "1e22"); objects and arrays compact,
 * members in the order given, strings as UTF-8 with only '"', '\\' and
 * control characters escaped. */
struct gw_event_field {
	char *name;
	char *value;
	enum gw_field_kind kind;
};

struct gw_event {
	char ts[40];		/* RFC 3339 UTC, ms: "2026-02-10T14:15:00.123Z" */
	enum gw_level level;
	char *source;		/* heap, NUL-terminated, valid UTF-8 */
	char *component;	/* may be "" (a decoded record without one) */
	char *event;
	char *message;
	size_t n_fields;
	struct gw_event_field *fields;	/* in the order given */
};

/* What decode needs from outside the line. */
struct gw_event_decode_opts {
	long long now_ms;	/* receive time, ms since the epoch: the ts of a
				 * record without one */
	const char *default_source;	/* source of a record without one;
					 * NULL = GW_EVENT_DEFAULT_SOURCE */
};

/* Decode one line of len bytes; a single trailing "\n" or "\r\n" is
 * tolerated and does not count towards GW_EVENT_MAX_LINE. Pure. The
 * accepted forms and defaults are in docs/events.md: ts any RFC 3339 time
 * (normalised to UTC with milliseconds, absent = opts->now_ms), level any
 * case and a few aliases (absent = info), source absent = the default,
 * component absent = "", event absent = GW_EVENT_DEFAULT_EVENT, message
 * absent = "" (but not both event and message), unknown top-level keys
 * become fields (an explicit "fields" entry of the same name wins).
 * Returns 0, or -1 with a one-line reason in err naming the key (quoting
 * at most ~40 bytes of the input, non-printable bytes as '?'). On success
 * ev owns heap memory, freed by gw_event_clear(); on failure ev is left
 * empty (clearing it is harmless). */
int gw_event_decode_with(const char *line, size_t len,
    const struct gw_event_decode_opts *opts, struct gw_event *ev,
    struct gw_err *err);

/* gw_event_decode_with with now_ms = the wall clock now and the default
 * source (the one impure part: reads the clock). */
int gw_event_decode(const char *line, size_t len, struct gw_event *ev,
    struct gw_err *err);

/* Free what ev owns and leave it empty. NULL-safe; idempotent. */
void gw_event_clear(struct gw_event *ev);

/* Build an event from copies of its parts, strictly: level in range,
 * source and component 1..64 bytes of [A-Za-z0-9_.-], a dotted event
 * name, message valid UTF-8. ts NULL means now; otherwise any RFC 3339
 * time decode accepts, stored normalised. message NULL means "". Returns
 * 0, or -1 with the reason in err and ev left empty. */
int gw_event_init(struct gw_event *ev, enum gw_level level,
    const char *source, const char *component, const char *event,
    const char *message, const char *ts, struct gw_err *err);

/* Append a copy of one field. is_string = 1 takes value as UTF-8 text;
 * is_string = 0 takes it as JSON text of a number, true, false, null, an
 * object or an array, stored canonicalised (see struct gw_event_field), so
 * "1.50" is kept as "1.5" and "{ \"a\" : 1 }" as "{\"a\":1}". Rejects a
 * 26th field, an empty or over-64-byte or repeated name, text that is not
 * valid UTF-8, JSON that is not one value, a value nested deeper than
 * GW_EVENT_MAX_DEPTH, and more than GW_EVENT_MAX_VALUES leaf values in
 * all. Returns 0, or -1 with the reason in err and ev unchanged. */
int gw_event_add_field(struct gw_event *ev, const char *name,
    const char *value, int is_string, struct gw_err *err);

/* Encode as one compact JSON line without a newline: keys in the order ts,
 * level, source, component, event, message, fields (left out when there
 * are none); text as UTF-8, only '"', '\\' and control characters escaped.
 * Returns a malloc'd NUL-terminated string, or NULL when memory runs out,
 * ev is not one this module made (a NULL member, a level out of range) or
 * the line would exceed GW_EVENT_MAX_LINE (possible for a decoded line
 * near the limit: defaults and a normalised ts add bytes, and reals
 * spelled tersely grow, e.g. "123e1" becomes "1.23e3"). */
char *gw_event_encode(const struct gw_event *ev);

/* Deep copy of src into dst (dst's previous contents are not freed).
 * Returns 0, or -1 (out of memory) with dst left empty. */
int gw_event_copy(struct gw_event *dst, const struct gw_event *src,
    struct gw_err *err);

/* 1 when every member of a and b is equal (fields in order), else 0. */
int gw_event_equal(const struct gw_event *a, const struct gw_event *b);

/* The field named name, or NULL. */
const struct gw_event_field *gw_event_field(const struct gw_event *ev,
    const char *name);

#endif
