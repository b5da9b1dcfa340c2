/*
 * event: the event record, the JSON line every gwkit program speaks
 * (shared/design.md "The event record"):
 *
 *   {"ts":"2026-02-10T14:15:00.123Z","level":"warning","source":"bot-core",
 *    "component":"gateway","event":"gateway.disconnected",
 *    "message":"Gateway closed the API session",
 *    "fields":{"host":"gateway","port":4004,"attempt":3}}
 *
 * Decode validates a line from outside (untrusted bytes) into a struct
 * gw_event; init/add_field build one; encode writes it back as one compact
 * line. Every gw_event that came out of this module satisfies
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
#define GW_EVENT_MAX_FIELDS 25

/* A field's value as text: a string's raw UTF-8 (is_string = 1), or the
 * canonical JSON text of a number, true, false or null (is_string = 0).
 * Integers are printed as decimal, reals in the shortest form that reads
 * back to the same double and always with a '.' or an exponent ("1.0",
 * "0.1", "1e22"). */
struct gw_event_field {
	char *name;
	char *value;
	int is_string;
};

struct gw_event {
	char ts[40];		/* as given, validated: RFC 3339 UTC, 'Z' */
	enum gw_level level;
	char *source;		/* heap, NUL-terminated, valid UTF-8 */
	char *component;
	char *event;
	char *message;
	size_t n_fields;
	struct gw_event_field *fields;	/* in the order given */
};

/* Decode one line of len bytes; a single trailing "\n" or "\r\n" is
 * tolerated and does not count towards GW_EVENT_MAX_LINE. Returns 0, or -1
 * with a one-line reason in err (quoting at most ~40 bytes of the input,
 * non-printable bytes as '?'). On success ev owns heap memory, freed by
 * gw_event_clear(); on failure ev is left empty (clearing it is harmless). */
int gw_event_decode(const char *line, size_t len, struct gw_event *ev,
    struct gw_err *err);

/* Free what ev owns and leave it empty. NULL-safe; idempotent. */
void gw_event_clear(struct gw_event *ev);

/* Build an event from copies of its parts, with the rules decode applies.
 * ts NULL means now (millisecond precision); message NULL means "". Returns
 * 0, or -1 with the reason in err and ev left empty. */
int gw_event_init(struct gw_event *ev, enum gw_level level,
    const char *source, const char *component, const char *event,
    const char *message, const char *ts, struct gw_err *err);

/* Append a copy of one field. is_string = 0 takes value as JSON text of a
 * number, true, false or null and stores it canonicalised (see struct
 * gw_event_field), so "1.50" is kept as "1.5". Rejects a 26th field, an
 * empty or over-64-byte or repeated name, text that is not valid UTF-8 and
 * a non-scalar value. Returns 0, or -1 with the reason in err and ev
 * unchanged. */
int gw_event_add_field(struct gw_event *ev, const char *name,
    const char *value, int is_string, struct gw_err *err);

/* Encode as one compact JSON line without a newline: keys in the order ts,
 * level, source, component, event, message, fields (left out when there
 * are none); text as UTF-8, only '"', '\\' and control characters escaped.
 * Returns a malloc'd NUL-terminated string, or NULL when memory runs out,
 * ev is not one this module made (a NULL member, a level out of range) or
 * the line would exceed GW_EVENT_MAX_LINE (only possible for a decoded
 * line within a few bytes of the limit that spelled reals tersely, e.g.
 * "123e1" becomes "1.23e3"). */
char *gw_event_encode(const struct gw_event *ev);

/* Deep copy of src into dst (dst's previous contents are not freed).
 * Returns 0, or -1 (out of memory) with dst left empty. */
int gw_event_copy(struct gw_event *dst, const struct gw_event *src,
    struct gw_err *err);

/* 1 when every member of a and b is equal (fields in order), else 0. */
int gw_event_equal(const struct gw_event *a, const struct gw_event *b);

#endif
