/*
 * event: decode, validate, build and encode the event-record JSON line.
 * Decode input is untrusted bytes (sockets, pipes): parsed once with
 * jansson, unpacked, checked and copied into a struct gw_event, the json_t
 * dropped. The encoder is hand-written so that field values keep the exact
 * text decode stored (jansson would re-print reals with 17 digits).
 */
#include "event.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define QUOTE_MAX 40	/* bytes of input an error message may quote */

enum { K_TS, K_LEVEL, K_SOURCE, K_COMPONENT, K_EVENT, K_MESSAGE, K_FIELDS,
	K_N };

static const char *const key_names[K_N] = {
	"ts", "level", "source", "component", "event", "message", "fields",
};

/* q must hold QUOTE_MAX + 1 bytes. */
static const char *
quote(char *q, const char *s, size_t n)
{
	gw_err_quote(q, QUOTE_MAX + 1, s, n);
	return q;
}

static char *
memdup0(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Strict UTF-8 as jansson checks it: no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
static int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, len;
	uint32_t cp, min;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* RFC 3339 UTC: YYYY-MM-DDTHH:MM:SS[.1-9 digits]Z. */
static int
check_ts(const char *s, size_t n, struct gw_err *err)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	static const struct { const char *what; size_t at; int lo, hi; } r[] = {
		{ "month", 5, 1, 12 }, { "day", 8, 1, 31 }, { "hour", 11, 0, 23 },
		{ "minute", 14, 0, 59 }, { "second", 17, 0, 60 },
	};
	char q[QUOTE_MAX + 1];
	size_t i, f;

	for (i = 0; i < sizeof(pat) - 1; i++) {
		if (i >= n || (pat[i] == 'd' ? !is_digit(s[i]) : s[i] != pat[i]))
			goto bad;
	}
	if (i < n && s[i] == '.') {
		for (f = ++i; i < n && is_digit(s[i]); i++)
			;
		if (i - f < 1 || i - f > 9)
			goto bad;
	}
	if (i + 1 != n || s[i] != 'Z')
		goto bad;
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		int v = (s[r[i].at] - '0') * 10 + (s[r[i].at + 1] - '0');

		if (v < r[i].lo || v > r[i].hi)
			return gw_err_set(err, "\"ts\": %s out of range in '%s'",
			    r[i].what, quote(q, s, n));
	}
	return 0;
bad:
	return gw_err_set(err,
	    "\"ts\": '%s' is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS[.fraction]Z)",
	    quote(q, s, n));
}

/* source, component: 1..64 bytes of [A-Za-z0-9_.-]. */
static int
check_ident(const char *key, const char *s, size_t n, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    is_digit(c) || c == '_' || c == '.' || c == '-'))
			break;
	}
	if (n == 0 || n > GW_EVENT_MAX_NAME || i < n)
		return gw_err_set(err,
		    "\"%s\": '%s' is not 1..64 bytes of [A-Za-z0-9_.-]", key,
		    quote(q, s, n));
	return 0;
}

/* ^[a-z0-9_]+(\.[a-z0-9_-]+)+$, at most 128 bytes. */
static int
check_event_name(const char *s, size_t n, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	size_t i, seg = 0, dots = 0;

	if (n > GW_EVENT_MAX_EVENT)
		return gw_err_set(err, "\"event\": longer than %d bytes",
		    GW_EVENT_MAX_EVENT);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (seg == 0)
				break;
			dots++;
			seg = 0;
		} else if ((c >= 'a' && c <= 'z') || is_digit(c) || c == '_' ||
		    (c == '-' && dots > 0)) {
			seg++;
		} else {
			break;
		}
	}
	if (i < n || dots == 0 || seg == 0)
		return gw_err_set(err, "\"event\": '%s' is not a dotted name "
		    "[a-z0-9_]+(.[a-z0-9_-]+)+", quote(q, s, n));
	return 0;
}

static int
check_level(const char *s, size_t n, enum gw_level *level,
    struct gw_err *err)
{
	char q[QUOTE_MAX + 1];

	if (memchr(s, '\0', n) != NULL || gw_level_parse(s, level) < 0)
		return gw_err_set(err, "\"level\": unknown level '%s'",
		    quote(q, s, n));
	return 0;
}

/* The shortest "%.*g" that reads back as d, with a terse exponent and
 * always a '.' or an 'e' so that it reads back as a real. Assumes the C
 * locale's decimal point, like every gwkit program (none calls setlocale). */
static void
format_real(double d, char out[40])
{
	char tmp[32], *e;
	int p;
	size_t o, i;

	for (p = 1; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (p == 17)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	e = strchr(tmp, 'e');
	if (e == NULL) {
		snprintf(out, 40, "%s%s", tmp, strchr(tmp, '.') ? "" : ".0");
		return;
	}
	o = (size_t)(e - tmp) + 1;
	memcpy(out, tmp, o);
	i = o;
	if (tmp[i] == '+')
		i++;
	else if (tmp[i] == '-')
		out[o++] = tmp[i++];
	while (tmp[i] == '0' && tmp[i + 1] != '\0')
		i++;
	snprintf(out + o, 40 - o, "%s", tmp + i);
}

/* Canonical text of a scalar that is not a string; -1 for anything else. */
static int
scalar_text(const json_t *v, char out[40])
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(out, 40, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		format_real(json_real_value(v), out);
		return 0;
	case JSON_TRUE:
		snprintf(out, 40, "true");
		return 0;
	case JSON_FALSE:
		snprintf(out, 40, "false");
		return 0;
	case JSON_NULL:
		snprintf(out, 40, "null");
		return 0;
	default:
		return -1;
	}
}

static int
oom(struct gw_err *err)
{
	return gw_err_set(err, "out of memory");
}

static int
decode_fields(const json_t *obj, struct gw_event *ev, struct gw_err *err)
{
	const char *name;
	json_t *v;
	char q[QUOTE_MAX + 1], num[40];

	if (!json_is_object(obj))
		return gw_err_set(err, "\"fields\" must be an object");
	if (json_object_size(obj) > GW_EVENT_MAX_FIELDS)
		return gw_err_set(err, "\"fields\": more than %d fields",
		    GW_EVENT_MAX_FIELDS);
	if (json_object_size(obj) == 0)
		return 0;
	ev->fields = calloc(json_object_size(obj), sizeof(*ev->fields));
	if (ev->fields == NULL)
		return oom(err);
	json_object_foreach((json_t *)obj, name, v) {
		struct gw_event_field *f = &ev->fields[ev->n_fields];
		size_t nlen = strlen(name);	/* jansson refuses NUL in keys */

		if (nlen == 0)
			return gw_err_set(err, "\"fields\": empty name");
		if (nlen > GW_EVENT_MAX_NAME)
			return gw_err_set(err,
			    "\"fields\": name \"%s\" longer than %d bytes",
			    quote(q, name, nlen), GW_EVENT_MAX_NAME);
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			size_t n = json_string_length(v);

			if (memchr(s, '\0', n) != NULL)
				return gw_err_set(err, "\"fields\": \"%s\" contains NUL",
				    quote(q, name, nlen));
			f->value = memdup0(s, n);
			f->is_string = 1;
		} else if (scalar_text(v, num) == 0) {
			f->value = strdup(num);
		} else {
			return gw_err_set(err, "\"fields\": \"%s\" is not a scalar",
			    quote(q, name, nlen));
		}
		f->name = memdup0(name, nlen);
		ev->n_fields++;	/* counted before the check: clear frees it */
		if (f->name == NULL || f->value == NULL)
			return oom(err);
	}
	return 0;
}

static int
decode_object(const json_t *root, struct gw_event *ev, struct gw_err *err)
{
	json_t *o[K_N] = { NULL };
	const char *key, *s[K_FIELDS];
	size_t n[K_FIELDS], i;
	json_error_t jerr;
	json_t *v;
	char q[QUOTE_MAX + 1];

	if (!json_is_object(root))
		return gw_err_set(err, "not a JSON object");
	if (json_unpack_ex((json_t *)root, &jerr, JSON_STRICT,
	    "{s?o, s?o, s?o, s?o, s?o, s?o, s?o}", key_names[K_TS], &o[K_TS],
	    key_names[K_LEVEL], &o[K_LEVEL], key_names[K_SOURCE], &o[K_SOURCE],
	    key_names[K_COMPONENT], &o[K_COMPONENT], key_names[K_EVENT],
	    &o[K_EVENT], key_names[K_MESSAGE], &o[K_MESSAGE],
	    key_names[K_FIELDS], &o[K_FIELDS]) < 0) {
		/* jansson lists leftovers in hash order: name the first given */
		json_object_foreach((json_t *)root, key, v) {
			for (i = 0; i < K_N; i++)
				if (strcmp(key, key_names[i]) == 0)
					break;
			if (i == K_N)
				return gw_err_set(err, "unknown key \"%s\"",
				    quote(q, key, strlen(key)));
		}
		return gw_err_set(err, "bad event object: %s", jerr.text);
	}
	/* key by key in record order: presence, type, then content */
	for (i = 0; i < K_FIELDS; i++) {
		int rc = 0;

		if (o[i] == NULL)
			return gw_err_set(err, "missing \"%s\"", key_names[i]);
		if (!json_is_string(o[i]))
			return gw_err_set(err, "\"%s\" must be a string",
			    key_names[i]);
		s[i] = json_string_value(o[i]);
		n[i] = json_string_length(o[i]);
		switch (i) {
		case K_TS:
			rc = check_ts(s[i], n[i], err);
			break;
		case K_LEVEL:
			rc = check_level(s[i], n[i], &ev->level, err);
			break;
		case K_SOURCE:
		case K_COMPONENT:
			rc = check_ident(key_names[i], s[i], n[i], err);
			break;
		case K_EVENT:
			rc = check_event_name(s[i], n[i], err);
			break;
		case K_MESSAGE:
			if (memchr(s[i], '\0', n[i]) != NULL)
				rc = gw_err_set(err, "message contains NUL");
			break;
		}
		if (rc < 0)
			return -1;
	}
	memcpy(ev->ts, s[K_TS], n[K_TS]);	/* check_ts: at most 30 bytes */
	ev->ts[n[K_TS]] = '\0';
	ev->source = memdup0(s[K_SOURCE], n[K_SOURCE]);
	ev->component = memdup0(s[K_COMPONENT], n[K_COMPONENT]);
	ev->event = memdup0(s[K_EVENT], n[K_EVENT]);
	ev->message = memdup0(s[K_MESSAGE], n[K_MESSAGE]);
	if (ev->source == NULL || ev->component == NULL || ev->event == NULL ||
	    ev->message == NULL)
		return oom(err);
	if (o[K_FIELDS] != NULL)
		return decode_fields(o[K_FIELDS], ev, err);
	return 0;
}

/* jansson's error text quotes at most 20 bytes of input ("near '...'"),
 * but they may be any bytes: pass it through gw_err_quote. */
static int
load_error(const json_error_t *jerr, struct gw_err *err)
{
	char text[JSON_ERROR_TEXT_LENGTH], q[QUOTE_MAX + 1];
	const char *near;

	switch (json_error_code(jerr)) {
	case json_error_invalid_utf8:
		return gw_err_set(err, "invalid UTF-8 at byte offset %d",
		    jerr->position);
	case json_error_duplicate_key:
		near = strstr(jerr->text, " near '");
		if (near != NULL) {
			size_t n;

			near += 7;
			n = strlen(near);
			if (n > 0 && near[n - 1] == '\'')
				n--;
			return gw_err_set(err, "duplicate key %s at column %d",
			    quote(q, near, n), jerr->column);
		}
		return gw_err_set(err, "duplicate key at column %d",
		    jerr->column);
	default:
		gw_err_quote(text, sizeof(text), jerr->text, strlen(jerr->text));
		if (jerr->line > 1)	/* raw newlines are JSON whitespace */
			return gw_err_set(err, "not JSON: %s at line %d column %d",
			    text, jerr->line, jerr->column);
		return gw_err_set(err, "not JSON: %s at column %d", text,
		    jerr->column);
	}
}

int
gw_event_decode(const char *line, size_t len, struct gw_event *ev,
    struct gw_err *err)
{
	json_error_t jerr;
	const char *nul;
	json_t *root;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (len > 0 && line[len - 1] == '\n') {
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
	}
	if (len > GW_EVENT_MAX_LINE)
		return gw_err_set(err, "line longer than %d bytes",
		    GW_EVENT_MAX_LINE);
	/* never valid JSON, and jansson takes it for the end of the input */
	if (len > 0 && (nul = memchr(line, '\0', len)) != NULL)
		return gw_err_set(err, "NUL byte at offset %zu",
		    (size_t)(nul - line));
	root = json_loadb(len > 0 ? line : "", len,
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
	if (root == NULL)
		return load_error(&jerr, err);
	rc = decode_object(root, ev, err);
	json_decref(root);
	if (rc < 0)
		gw_event_clear(ev);
	return rc;
}

void
gw_event_clear(struct gw_event *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->n_fields; i++) {
		free(ev->fields[i].name);
		free(ev->fields[i].value);
	}
	free(ev->fields);
	free(ev->message);
	free(ev->event);
	free(ev->component);
	free(ev->source);
	memset(ev, 0, sizeof(*ev));
}

int
gw_event_init(struct gw_event *ev, enum gw_level level, const char *source,
    const char *component, const char *event, const char *message,
    const char *ts, struct gw_err *err)
{
	char now[32];

	memset(ev, 0, sizeof(*ev));
	if (ts == NULL) {
		gw_log_timestamp(now);
		ts = now;
	}
	if (message == NULL)
		message = "";
	if (source == NULL || component == NULL || event == NULL)
		return gw_err_set(err, "missing \"%s\"", source == NULL ?
		    "source" : component == NULL ? "component" : "event");
	if ((unsigned)level > GW_CRITICAL)
		return gw_err_set(err, "\"level\": unknown level %d", (int)level);
	if (check_ts(ts, strlen(ts), err) < 0 ||
	    check_ident("source", source, strlen(source), err) < 0 ||
	    check_ident("component", component, strlen(component), err) < 0 ||
	    check_event_name(event, strlen(event), err) < 0)
		return -1;
	if (!utf8_valid(message, strlen(message)))
		return gw_err_set(err, "\"message\" is not valid UTF-8");
	snprintf(ev->ts, sizeof(ev->ts), "%s", ts);
	ev->level = level;
	ev->source = strdup(source);
	ev->component = strdup(component);
	ev->event = strdup(event);
	ev->message = strdup(message);
	if (ev->source == NULL || ev->component == NULL || ev->event == NULL ||
	    ev->message == NULL) {
		gw_event_clear(ev);
		return oom(err);
	}
	return 0;
}

int
gw_event_add_field(struct gw_event *ev, const char *name, const char *value,
    int is_string, struct gw_err *err)
{
	struct gw_event_field *fields, *f;
	char q[QUOTE_MAX + 1], num[40];
	size_t nlen, i;

	if (ev->n_fields >= GW_EVENT_MAX_FIELDS)
		return gw_err_set(err, "\"fields\": more than %d fields",
		    GW_EVENT_MAX_FIELDS);
	nlen = name == NULL ? 0 : strlen(name);
	if (nlen == 0)
		return gw_err_set(err, "\"fields\": empty name");
	if (nlen > GW_EVENT_MAX_NAME)
		return gw_err_set(err, "\"fields\": name \"%s\" longer than %d bytes",
		    quote(q, name, nlen), GW_EVENT_MAX_NAME);
	if (!utf8_valid(name, nlen))
		return gw_err_set(err, "\"fields\": name \"%s\" is not valid UTF-8",
		    quote(q, name, nlen));
	for (i = 0; i < ev->n_fields; i++)
		if (strcmp(ev->fields[i].name, name) == 0)
			return gw_err_set(err, "\"fields\": duplicate name \"%s\"",
			    quote(q, name, nlen));
	if (value == NULL)
		return gw_err_set(err, "\"fields\": \"%s\" has no value",
		    quote(q, name, nlen));
	if (is_string) {
		if (!utf8_valid(value, strlen(value)))
			return gw_err_set(err, "\"fields\": \"%s\" is not valid UTF-8",
			    quote(q, name, nlen));
	} else {
		json_error_t jerr;
		json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);
		int rc = v == NULL ? -1 : scalar_text(v, num);

		json_decref(v);
		if (rc < 0)
			return gw_err_set(err, "\"fields\": \"%s\" is not a JSON "
			    "number, true, false or null", quote(q, name, nlen));
		value = num;
	}
	fields = realloc(ev->fields, (ev->n_fields + 1) * sizeof(*fields));
	if (fields == NULL)
		return oom(err);
	ev->fields = fields;
	f = &fields[ev->n_fields];
	f->name = strdup(name);
	f->value = strdup(value);
	f->is_string = is_string != 0;
	if (f->name == NULL || f->value == NULL) {
		free(f->name);
		free(f->value);
		return oom(err);
	}
	ev->n_fields++;
	return 0;
}

/* Growable output for the encoder; stops growing past the line limit. */
struct buf {
	char *p;
	size_t len, cap;
	int bad;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n > GW_EVENT_MAX_LINE) {
		b->bad = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->bad = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_lit(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* A JSON string: UTF-8 as is, '"', '\\' and controls escaped. */
static void
buf_str(struct buf *b, const char *s)
{
	const char *run = s;
	char esc[8];

	if (s == NULL) {
		b->bad = 1;
		return;
	}
	buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': buf_lit(b, "\\\""); break;
		case '\\': buf_lit(b, "\\\\"); break;
		case '\b': buf_lit(b, "\\b"); break;
		case '\f': buf_lit(b, "\\f"); break;
		case '\n': buf_lit(b, "\\n"); break;
		case '\r': buf_lit(b, "\\r"); break;
		case '\t': buf_lit(b, "\\t"); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			buf_lit(b, esc);
		}
	}
	buf_add(b, run, (size_t)(s - run));
	buf_add(b, "\"", 1);
}

static void
buf_member(struct buf *b, const char *sep, const char *key, const char *val)
{
	buf_lit(b, sep);
	buf_str(b, key);
	buf_add(b, ":", 1);
	buf_str(b, val);
}

char *
gw_event_encode(const struct gw_event *ev)
{
	struct buf b = { NULL, 0, 0, 0 };
	size_t i;

	if ((unsigned)ev->level > GW_CRITICAL || (ev->n_fields > 0 &&
	    ev->fields == NULL))
		return NULL;
	buf_member(&b, "{", "ts", ev->ts);
	buf_member(&b, ",", "level", gw_level_name(ev->level));
	buf_member(&b, ",", "source", ev->source);
	buf_member(&b, ",", "component", ev->component);
	buf_member(&b, ",", "event", ev->event);
	buf_member(&b, ",", "message", ev->message);
	for (i = 0; i < ev->n_fields; i++) {
		const struct gw_event_field *f = &ev->fields[i];

		buf_lit(&b, i == 0 ? ",\"fields\":{" : ",");
		buf_str(&b, f->name);
		buf_add(&b, ":", 1);
		if (f->is_string)
			buf_str(&b, f->value);
		else if (f->value != NULL)
			buf_lit(&b, f->value);
		else
			b.bad = 1;
	}
	buf_lit(&b, ev->n_fields > 0 ? "}}" : "}");
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int
gw_event_copy(struct gw_event *dst, const struct gw_event *src,
    struct gw_err *err)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	memcpy(dst->ts, src->ts, sizeof(dst->ts));
	dst->level = src->level;
	dst->source = strdup(src->source ? src->source : "");
	dst->component = strdup(src->component ? src->component : "");
	dst->event = strdup(src->event ? src->event : "");
	dst->message = strdup(src->message ? src->message : "");
	if (dst->source == NULL || dst->component == NULL ||
	    dst->event == NULL || dst->message == NULL)
		goto fail;
	if (src->n_fields > 0) {
		dst->fields = calloc(src->n_fields, sizeof(*dst->fields));
		if (dst->fields == NULL)
			goto fail;
	}
	for (i = 0; i < src->n_fields; i++) {
		struct gw_event_field *f = &dst->fields[i];

		f->name = strdup(src->fields[i].name ? src->fields[i].name : "");
		f->value = strdup(src->fields[i].value ? src->fields[i].value : "");
		f->is_string = src->fields[i].is_string;
		dst->n_fields++;
		if (f->name == NULL || f->value == NULL)
			goto fail;
	}
	return 0;
fail:
	gw_event_clear(dst);
	return oom(err);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
gw_event_equal(const struct gw_event *a, const struct gw_event *b)
{
	size_t i;

	if (strncmp(a->ts, b->ts, sizeof(a->ts)) != 0 || a->level != b->level ||
	    !str_eq(a->source, b->source) || !str_eq(a->component, b->component) ||
	    !str_eq(a->event, b->event) || !str_eq(a->message, b->message) ||
	    a->n_fields != b->n_fields)
		return 0;
	for (i = 0; i < a->n_fields; i++) {
		if (!str_eq(a->fields[i].name, b->fields[i].name) ||
		    !str_eq(a->fields[i].value, b->fields[i].value) ||
		    a->fields[i].is_string != b->fields[i].is_string)
			return 0;
	}
	return 1;
}
