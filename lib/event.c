/*
 * event: decode, validate, build and encode the event-record JSON line.
 * Decode input is untrusted bytes (sockets, pipes): parsed once with
 * jansson, checked and copied into a struct gw_event, the json_t dropped.
 * Decoding is liberal (people write these lines in scripts), encoding
 * strict and canonical. The encoder is hand-written so that field values
 * keep the exact text decode stored (jansson would re-print reals with 17
 * digits).
 */
#include "clock.h"
#include "event.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

static int
oom(struct gw_err *err)
{
	return gw_err_set(err, "out of memory");
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

/* ---------- time ---------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's "chrono-compatible low-level date algorithms"). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void
civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

static unsigned
days_in_month(long long y, unsigned m)
{
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

static long long
floor_div(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 bytes and the NUL) from values in range. */
static void
put_ts(char out[32], int y, unsigned mo, unsigned d, int h, int mi, int sec,
    int ms)
{
	char tmp[96];

	snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo, d,
	    h, mi, sec, ms);
	memcpy(out, tmp, 25);
	out[24] = '\0';
}

/* ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ"; -1 outside years
 * 0000..9999. */
static int
format_ms(long long ms, char out[32])
{
	long long days = floor_div(ms, 86400000LL), rem = ms - days * 86400000LL,
	    y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -1;
	put_ts(out, (int)y, m, d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
	return 0;
}

static int
two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* RFC 3339: YYYY-MM-DD, 'T' (or 't' or a space, as GNU date
 * --rfc-3339 writes it), HH:MM:SS, an optional fraction of any length,
 * then 'Z', 'z' or an offset +HH:MM / -HH:MM. Written to out normalised:
 * UTC, 'Z', milliseconds (further digits cut, never rounded up into the
 * next second). A leap second (:60) is kept. */
static int
parse_ts(const char *s, size_t n, char out[32], struct gw_err *err)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	char q[QUOTE_MAX + 1];
	size_t i, f;
	long long y, days, mins;
	unsigned mo, d;
	int h, mi, sec, ms = 0, digits, sign = 0, off = 0;

	for (i = 0; i < sizeof(pat) - 1; i++) {
		if (i >= n)
			goto bad;
		if (pat[i] == 'd' ? !is_digit(s[i]) : pat[i] == 'T' ?
		    (s[i] != 'T' && s[i] != 't' && s[i] != ' ') : s[i] != pat[i])
			goto bad;
	}
	if (i < n && s[i] == '.') {
		for (f = ++i; i < n && is_digit(s[i]); i++)
			if (i - f < 3)
				ms = ms * 10 + (s[i] - '0');
		if (i == f)
			goto bad;
		for (digits = (int)(i - f); digits < 3; digits++)
			ms *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '+' ? 1 : -1;
		if (n - i != 6 || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) ||
		    s[i + 3] != ':' || !is_digit(s[i + 4]) || !is_digit(s[i + 5]))
			goto bad;
		if (two(s + i + 1) > 23 || two(s + i + 4) > 59)
			return gw_err_set(err, "\"ts\": offset out of range in '%s'",
			    quote(q, s, n));
		off = sign * (two(s + i + 1) * 60 + two(s + i + 4));
		i += 6;
	} else {
		goto bad;
	}
	if (i != n)
		goto bad;
	y = two(s) * 100 + two(s + 2);
	mo = (unsigned)two(s + 5);
	d = (unsigned)two(s + 8);
	h = two(s + 11);
	mi = two(s + 14);
	sec = two(s + 17);
	if (mo < 1 || mo > 12)
		return gw_err_set(err, "\"ts\": month out of range in '%s'",
		    quote(q, s, n));
	if (d < 1 || d > days_in_month(y, mo))
		return gw_err_set(err, "\"ts\": day out of range in '%s'",
		    quote(q, s, n));
	if (h > 23 || mi > 59 || sec > 60)
		return gw_err_set(err, "\"ts\": %s out of range in '%s'", h > 23 ?
		    "hour" : mi > 59 ? "minute" : "second", quote(q, s, n));
	/* in minutes, so that a leap second stays :60 */
	mins = days_from_civil(y, mo, d) * 1440 + h * 60 + mi - off;
	days = floor_div(mins, 1440);
	mins -= days * 1440;
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		return gw_err_set(err, "\"ts\": '%s' is outside years 0000..9999 "
		    "in UTC", quote(q, s, n));
	put_ts(out, (int)y, mo, d, (int)(mins / 60), (int)(mins % 60), sec, ms);
	return 0;
bad:
	return gw_err_set(err, "\"ts\": '%s' is not an RFC 3339 time "
	    "(YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM or -HH:MM)",
	    quote(q, s, n));
}

/* ---------- names and levels ---------- */

/* source, component: 1..64 bytes of [A-Za-z0-9_.-] (0..64 with
 * allow_empty). */
static int
check_ident(const char *key, const char *s, size_t n, int allow_empty,
    struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    is_digit(c) || c == '_' || c == '.' || c == '-'))
			break;
	}
	if ((n == 0 && !allow_empty) || n > GW_EVENT_MAX_NAME || i < n)
		return gw_err_set(err,
		    "\"%s\": '%s' is not %s..64 bytes of [A-Za-z0-9_.-]", key,
		    quote(q, s, n), allow_empty ? "0" : "1");
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

/* The names decode accepts for each level, in any case. */
static const struct {
	const char *name;
	enum gw_level level;
} level_names[] = {
	{ "debug", GW_DEBUG },
	{ "info", GW_INFO }, { "information", GW_INFO }, { "notice", GW_INFO },
	{ "warning", GW_WARNING }, { "warn", GW_WARNING },
	{ "error", GW_ERROR }, { "err", GW_ERROR },
	{ "critical", GW_CRITICAL }, { "crit", GW_CRITICAL },
	{ "fatal", GW_CRITICAL },
};

static int
check_level(const char *s, size_t n, enum gw_level *level,
    struct gw_err *err)
{
	char q[QUOTE_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strlen(level_names[i].name) == n &&
		    strncasecmp(s, level_names[i].name, n) == 0) {
			*level = level_names[i].level;
			return 0;
		}
	}
	return gw_err_set(err, "\"level\": unknown level '%s' (debug, info, "
	    "warning, error or critical)", quote(q, s, n));
}

/* ---------- canonical JSON text ---------- */

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

/* Growable output; stops growing past the line limit (bad) or when
 * memory runs out (bad and oom). */
struct buf {
	char *p;
	size_t len, cap;
	int bad, oom;
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
			b->bad = b->oom = 1;
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

/* Canonical compact text of a field's value v (at depth 1; what it holds
 * one level deeper each), counting leaf values (scalars, empty objects
 * and arrays) into *leaves. fname names the field in errors. */
static int
canon(const json_t *v, int depth, size_t *leaves, struct buf *b,
    const char *fname, struct gw_err *err)
{
	char q[QUOTE_MAX + 1], num[40];
	const char *k;
	json_t *m;
	size_t i, kl;

	if (depth > GW_EVENT_MAX_DEPTH)
		return gw_err_set(err, "\"fields\": \"%s\" is nested deeper than %d "
		    "levels", quote(q, fname, strlen(fname)), GW_EVENT_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0)
			(*leaves)++;
		buf_add(b, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, k, m) {
			kl = strlen(k);	/* jansson refuses NUL in keys */
			if (kl == 0)
				return gw_err_set(err, "\"fields\": \"%s\" holds an "
				    "empty name", quote(q, fname, strlen(fname)));
			if (kl > GW_EVENT_MAX_NAME)
				return gw_err_set(err, "\"fields\": \"%s\" holds a name "
				    "longer than %d bytes", quote(q, fname, strlen(fname)),
				    GW_EVENT_MAX_NAME);
			if (i++ > 0)
				buf_add(b, ",", 1);
			buf_str(b, k);
			buf_add(b, ":", 1);
			if (canon(m, depth + 1, leaves, b, fname, err) < 0)
				return -1;
		}
		buf_add(b, "}", 1);
		break;
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			(*leaves)++;
		buf_add(b, "[", 1);
		json_array_foreach((json_t *)v, i, m) {
			if (i > 0)
				buf_add(b, ",", 1);
			if (canon(m, depth + 1, leaves, b, fname, err) < 0)
				return -1;
		}
		buf_add(b, "]", 1);
		break;
	case JSON_STRING:
		if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
			return gw_err_set(err, "\"fields\": \"%s\" contains NUL",
			    quote(q, fname, strlen(fname)));
		buf_str(b, json_string_value(v));
		(*leaves)++;
		break;
	default:
		scalar_text(v, num);
		buf_lit(b, num);
		(*leaves)++;
		break;
	}
	if (*leaves > GW_EVENT_MAX_VALUES)
		return gw_err_set(err, "\"fields\": more than %d values in all "
		    "(each nested value counts)", GW_EVENT_MAX_VALUES);
	if (b->oom)
		return oom(err);
	if (b->bad)
		return gw_err_set(err, "\"fields\": \"%s\" is longer than %d bytes",
		    quote(q, fname, strlen(fname)), GW_EVENT_MAX_LINE);
	return 0;
}

/* Leaf values in a stored field (as canon counts them). */
static size_t
leaves_of(const json_t *v)
{
	size_t n = 0, i;
	const char *k;
	json_t *m;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, m)
			n += leaves_of(m);
	} else if (json_is_array(v)) {
		json_array_foreach((json_t *)v, i, m)
			n += leaves_of(m);
	} else {
		return 1;
	}
	return n > 0 ? n : 1;
}

static int
check_field_name(const char *name, size_t nlen, struct gw_err *err)
{
	char q[QUOTE_MAX + 1];

	if (nlen == 0)
		return gw_err_set(err, "\"fields\": empty name");
	if (nlen > GW_EVENT_MAX_NAME)
		return gw_err_set(err, "\"fields\": name \"%s\" longer than %d bytes",
		    quote(q, name, nlen), GW_EVENT_MAX_NAME);
	return 0;
}

/* Append field name = v (any JSON value) to ev, counting its leaves into
 * *leaves. The name is checked by the caller. */
static int
push_field(struct gw_event *ev, const char *name, const json_t *v,
    size_t *leaves, struct gw_err *err)
{
	struct gw_event_field *fields, *f;
	struct buf b = { NULL, 0, 0, 0, 0 };
	enum gw_field_kind kind;
	char q[QUOTE_MAX + 1], num[40], *val;

	if (json_is_string(v)) {
		if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
			return gw_err_set(err, "\"fields\": \"%s\" contains NUL",
			    quote(q, name, strlen(name)));
		kind = GW_FIELD_STRING;
		val = memdup0(json_string_value(v), json_string_length(v));
		(*leaves)++;
	} else if (json_is_object(v) || json_is_array(v)) {
		if (canon(v, 1, leaves, &b, name, err) < 0) {
			free(b.p);
			return -1;
		}
		kind = GW_FIELD_JSON;
		val = b.p;
	} else {
		scalar_text(v, num);
		kind = GW_FIELD_SCALAR;
		val = strdup(num);
		(*leaves)++;
	}
	if (val == NULL)
		return oom(err);
	if (*leaves > GW_EVENT_MAX_VALUES) {
		free(val);
		return gw_err_set(err, "\"fields\": more than %d values in all "
		    "(each nested value counts)", GW_EVENT_MAX_VALUES);
	}
	fields = realloc(ev->fields, (ev->n_fields + 1) * sizeof(*fields));
	if (fields == NULL) {
		free(val);
		return oom(err);
	}
	ev->fields = fields;
	f = &fields[ev->n_fields];
	if ((f->name = strdup(name)) == NULL) {
		free(val);
		return oom(err);
	}
	f->value = val;
	f->kind = kind;
	ev->n_fields++;
	return 0;
}

/* ---------- decode ---------- */

const struct gw_event_field *
gw_event_field(const struct gw_event *ev, const char *name)
{
	size_t i;

	for (i = 0; i < ev->n_fields; i++)
		if (ev->fields[i].name != NULL && strcmp(ev->fields[i].name, name) == 0)
			return &ev->fields[i];
	return NULL;
}

static int
key_index(const char *key)
{
	int i;

	for (i = 0; i < K_N; i++)
		if (strcmp(key, key_names[i]) == 0)
			break;
	return i;
}

/* A known key's value: absent (NULL, 0) or a string without NUL bytes
 * where they could hide (the checks below reject them by content). */
static int
get_string(json_t *const o[K_N], int k, const char **s, size_t *n,
    struct gw_err *err)
{
	*s = NULL;
	*n = 0;
	if (o[k] == NULL)
		return 0;
	if (!json_is_string(o[k]))
		return gw_err_set(err, "\"%s\" must be a string", key_names[k]);
	*s = json_string_value(o[k]);
	*n = json_string_length(o[k]);
	return 0;
}

static int
decode_object(const json_t *root, const struct gw_event_decode_opts *opts,
    struct gw_event *ev, struct gw_err *err)
{
	json_t *o[K_N] = { NULL }, *v;
	const char *key, *s[K_FIELDS], *src;
	size_t n[K_FIELDS], leaves = 0;
	char q[QUOTE_MAX + 1];
	int i;

	if (!json_is_object(root))
		return gw_err_set(err, "not a JSON object");
	json_object_foreach((json_t *)root, key, v)
		if ((i = key_index(key)) < K_N)
			o[i] = v;
	/* key by key in record order: type, then content, else the default */
	for (i = 0; i < K_FIELDS; i++)
		if (get_string(o, i, &s[i], &n[i], err) < 0)
			return -1;
	if (s[K_TS] != NULL) {
		if (parse_ts(s[K_TS], n[K_TS], ev->ts, err) < 0)
			return -1;
	} else if (format_ms(opts->now_ms, ev->ts) < 0) {
		return gw_err_set(err, "\"ts\": absent, and the receive time %lld ms "
		    "is outside years 0000..9999", opts->now_ms);
	}
	ev->level = GW_INFO;
	if (s[K_LEVEL] != NULL && check_level(s[K_LEVEL], n[K_LEVEL], &ev->level,
	    err) < 0)
		return -1;
	if (s[K_SOURCE] == NULL) {
		src = opts->default_source ? opts->default_source :
		    GW_EVENT_DEFAULT_SOURCE;
		s[K_SOURCE] = src;
		n[K_SOURCE] = strlen(src);
	}
	if (check_ident("source", s[K_SOURCE], n[K_SOURCE], 0, err) < 0)
		return -1;
	if (s[K_COMPONENT] != NULL && check_ident("component", s[K_COMPONENT],
	    n[K_COMPONENT], 1, err) < 0)
		return -1;
	if (s[K_EVENT] != NULL && check_event_name(s[K_EVENT], n[K_EVENT],
	    err) < 0)
		return -1;
	if (s[K_MESSAGE] != NULL && memchr(s[K_MESSAGE], '\0', n[K_MESSAGE]))
		return gw_err_set(err, "\"message\" contains NUL");
	if (s[K_EVENT] == NULL && s[K_MESSAGE] == NULL)
		return gw_err_set(err, "missing \"message\" and \"event\": a record "
		    "needs at least one");
	ev->source = memdup0(s[K_SOURCE], n[K_SOURCE]);
	ev->component = s[K_COMPONENT] ? memdup0(s[K_COMPONENT],
	    n[K_COMPONENT]) : strdup("");
	ev->event = s[K_EVENT] ? memdup0(s[K_EVENT], n[K_EVENT]) :
	    strdup(GW_EVENT_DEFAULT_EVENT);
	ev->message = s[K_MESSAGE] ? memdup0(s[K_MESSAGE], n[K_MESSAGE]) :
	    strdup("");
	if (ev->source == NULL || ev->component == NULL || ev->event == NULL ||
	    ev->message == NULL)
		return oom(err);

	if (o[K_FIELDS] != NULL) {
		if (!json_is_object(o[K_FIELDS]))
			return gw_err_set(err, "\"fields\" must be an object");
		if (json_object_size(o[K_FIELDS]) > GW_EVENT_MAX_FIELDS)
			return gw_err_set(err, "\"fields\": more than %d fields",
			    GW_EVENT_MAX_FIELDS);
		json_object_foreach(o[K_FIELDS], key, v) {
			if (check_field_name(key, strlen(key), err) < 0 ||
			    push_field(ev, key, v, &leaves, err) < 0)
				return -1;
		}
	}
	/* unknown top-level keys: fields too, unless "fields" has the name */
	json_object_foreach((json_t *)root, key, v) {
		size_t kl = strlen(key);

		if (key_index(key) < K_N || gw_event_field(ev, key) != NULL)
			continue;
		if (kl == 0)
			return gw_err_set(err, "empty key \"\" (unknown keys become "
			    "fields and need a name)");
		if (kl > GW_EVENT_MAX_NAME)
			return gw_err_set(err, "key \"%s\" longer than %d bytes (unknown "
			    "keys become fields)", quote(q, key, kl), GW_EVENT_MAX_NAME);
		if (ev->n_fields >= GW_EVENT_MAX_FIELDS)
			return gw_err_set(err, "\"fields\": more than %d fields with the "
			    "unknown key \"%s\"", GW_EVENT_MAX_FIELDS, quote(q, key, kl));
		if (push_field(ev, key, v, &leaves, err) < 0)
			return -1;
	}
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
gw_event_decode_with(const char *line, size_t len,
    const struct gw_event_decode_opts *opts, struct gw_event *ev,
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
	rc = decode_object(root, opts, ev, err);
	json_decref(root);
	if (rc < 0)
		gw_event_clear(ev);
	return rc;
}

int
gw_event_decode(const char *line, size_t len, struct gw_event *ev,
    struct gw_err *err)
{
	struct gw_event_decode_opts o = { 0, NULL };

	o.now_ms = (long long)clock_wall_ms();
	return gw_event_decode_with(line, len, &o, ev, err);
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

/* ---------- build ---------- */

int
gw_event_init(struct gw_event *ev, enum gw_level level, const char *source,
    const char *component, const char *event, const char *message,
    const char *ts, struct gw_err *err)
{
	char now[32];

	memset(ev, 0, sizeof(*ev));
	if (message == NULL)
		message = "";
	if (source == NULL || component == NULL || event == NULL)
		return gw_err_set(err, "missing \"%s\"", source == NULL ?
		    "source" : component == NULL ? "component" : "event");
	if ((unsigned)level > GW_CRITICAL)
		return gw_err_set(err, "\"level\": unknown level %d", (int)level);
	if (ts == NULL) {
		gw_log_timestamp(now);
		ts = now;
	}
	if (parse_ts(ts, strlen(ts), ev->ts, err) < 0 ||
	    check_ident("source", source, strlen(source), 0, err) < 0 ||
	    check_ident("component", component, strlen(component), 0, err) < 0 ||
	    check_event_name(event, strlen(event), err) < 0) {
		memset(ev, 0, sizeof(*ev));
		return -1;
	}
	if (!utf8_valid(message, strlen(message))) {
		memset(ev, 0, sizeof(*ev));
		return gw_err_set(err, "\"message\" is not valid UTF-8");
	}
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
	char q[QUOTE_MAX + 1];
	size_t nlen, i, leaves = 0;
	json_error_t jerr;
	json_t *v;
	int rc;

	if (ev->n_fields >= GW_EVENT_MAX_FIELDS)
		return gw_err_set(err, "\"fields\": more than %d fields",
		    GW_EVENT_MAX_FIELDS);
	nlen = name == NULL ? 0 : strlen(name);
	if (check_field_name(name, nlen, err) < 0)
		return -1;
	if (!utf8_valid(name, nlen))
		return gw_err_set(err, "\"fields\": name \"%s\" is not valid UTF-8",
		    quote(q, name, nlen));
	if (gw_event_field(ev, name) != NULL)
		return gw_err_set(err, "\"fields\": duplicate name \"%s\"",
		    quote(q, name, nlen));
	if (value == NULL)
		return gw_err_set(err, "\"fields\": \"%s\" has no value",
		    quote(q, name, nlen));
	if (is_string) {
		if (!utf8_valid(value, strlen(value)))
			return gw_err_set(err, "\"fields\": \"%s\" is not valid UTF-8",
			    quote(q, name, nlen));
		v = json_stringn_nocheck(value, strlen(value));
	} else {
		v = json_loads(value, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
		    &jerr);
		if (v == NULL || json_is_string(v)) {
			json_decref(v);
			return gw_err_set(err, "\"fields\": \"%s\" is not JSON text of "
			    "a number, true, false, null, an object or an array",
			    quote(q, name, nlen));
		}
	}
	if (v == NULL)
		return oom(err);
	for (i = 0; i < ev->n_fields; i++) {
		json_t *old;

		if (ev->fields[i].kind != GW_FIELD_JSON) {
			leaves++;
			continue;
		}
		old = json_loads(ev->fields[i].value, 0, NULL);
		leaves += old != NULL ? leaves_of(old) : 1;
		json_decref(old);
	}
	rc = push_field(ev, name, v, &leaves, err);
	json_decref(v);
	return rc;
}

/* ---------- encode, copy, compare ---------- */

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
	struct buf b = { NULL, 0, 0, 0, 0 };
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
		if (f->kind == GW_FIELD_STRING)
			buf_str(&b, f->value);
		else if (f->value != NULL)	/* canonical JSON text */
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
		f->kind = src->fields[i].kind;
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
		    a->fields[i].kind != b->fields[i].kind)
			return 0;
	}
	return 1;
}
