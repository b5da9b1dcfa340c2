/* log: event-record JSON lines on a stream. Trusted input (our own events). */
#include "clock.h"
#include "log.h"
#include "gw_err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct gw_log {
	char source[64];
	FILE *out;
	enum gw_level min;
	enum gw_log_format format;	/* JSON or TEXT, never AUTO */
	void (*sink)(void *, enum gw_level, const char *, size_t);
	void *sink_arg;
};

void
gw_log_set_sink(struct gw_log *log,
    void (*sink)(void *arg, enum gw_level level, const char *line, size_t len),
    void *arg)
{
	log->sink = sink;
	log->sink_arg = arg;
}

static const char *const level_names[] = {
	"debug", "info", "warning", "error", "critical",
};

struct gw_log *
gw_log_new(const char *source, FILE *out, enum gw_level min)
{
	struct gw_log *log = calloc(1, sizeof(*log));

	if (log == NULL)
		return NULL;
	snprintf(log->source, sizeof(log->source), "%s", source);
	log->out = out;
	log->min = min;
	log->format = GW_LOG_JSON;
	return log;
}

void
gw_log_free(struct gw_log *log)
{
	free(log);
}

void
gw_log_set_format(struct gw_log *log, enum gw_log_format f, int tty_fd)
{
	if (f == GW_LOG_AUTO)
		f = tty_fd >= 0 && isatty(tty_fd) ? GW_LOG_TEXT : GW_LOG_JSON;
	log->format = f;
}

int
gw_log_format_parse(const char *s, enum gw_log_format *out)
{
	if (strcasecmp(s, "json") == 0)
		*out = GW_LOG_JSON;
	else if (strcasecmp(s, "text") == 0)
		*out = GW_LOG_TEXT;
	else if (strcasecmp(s, "auto") == 0)
		*out = GW_LOG_AUTO;
	else
		return -1;
	return 0;
}

/* Appends to buf at *pos, never past size - 1; always NUL-terminates. */
static void
put(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
	if (*pos + 1 >= size)
		return;
	if (n > size - 1 - *pos)
		n = size - 1 - *pos;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

static void
put_str(char *buf, size_t size, size_t *pos, const char *s)
{
	put(buf, size, pos, s, strlen(s));
}

/* A field value: strings bare unless empty or holding spaces, quotes or
 * '=' (then JSON-quoted); arrays as a,b,c; other scalars as JSON text. */
static void
put_value(char *buf, size_t size, size_t *pos, json_t *v)
{
	char *t;
	size_t i;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		int plain = *s != '\0';

		for (i = 0; s[i] != '\0' && plain; i++)
			if (isspace((unsigned char)s[i]) || s[i] == '"' ||
			    s[i] == '=' || (unsigned char)s[i] < 0x20)
				plain = 0;
		if (plain) {
			put_str(buf, size, pos, s);
			return;
		}
	} else if (json_is_array(v)) {
		json_t *e;

		json_array_foreach(v, i, e) {
			if (i > 0)
				put(buf, size, pos, ",", 1);
			put_value(buf, size, pos, e);
		}
		return;
	}
	t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (t != NULL)
		put_str(buf, size, pos, t);
	free(t);
}

static void
put_fields(char *buf, size_t size, size_t *pos, const char *prefix,
    json_t *obj, int *first)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		if (json_is_object(v)) {
			char p[256];

			snprintf(p, sizeof(p), "%s%s.", prefix, k);
			put_fields(buf, size, pos, p, v, first);
			continue;
		}
		put_str(buf, size, pos, *first ? " (" : " ");
		*first = 0;
		put_str(buf, size, pos, prefix);
		put_str(buf, size, pos, k);
		put(buf, size, pos, "=", 1);
		put_value(buf, size, pos, v);
	}
}

int
gw_log_text_line(const char *line, size_t len, char *buf, size_t size)
{
	json_t *o, *f;
	const char *ts = NULL, *lv = NULL, *ev = NULL, *msg = NULL;
	size_t pos = 0, i;
	int first = 1;
	char upper[16];

	if (size == 0)
		return -1;
	buf[0] = '\0';
	o = json_loadb(line, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		put(buf, size, &pos, line, len);
		return -1;
	}
	(void)json_unpack(o, "{s?s, s?s, s?s, s?s}", "ts", &ts, "level", &lv,
	    "event", &ev, "message", &msg);
	put_str(buf, size, &pos, ts != NULL ? ts : "-");
	put(buf, size, &pos, " ", 1);
	for (i = 0; lv != NULL && lv[i] != '\0' && i < sizeof(upper) - 1; i++)
		upper[i] = (char)toupper((unsigned char)lv[i]);
	upper[i] = '\0';
	put_str(buf, size, &pos, i > 0 ? upper : "INFO");
	put(buf, size, &pos, " ", 1);
	put_str(buf, size, &pos, ev != NULL ? ev : "-");
	if (msg != NULL && *msg != '\0') {
		put(buf, size, &pos, ": ", 2);
		put_str(buf, size, &pos, msg);
	}
	if (json_is_object(f = json_object_get(o, "fields"))) {
		put_fields(buf, size, &pos, "", f, &first);
		if (!first)
			put(buf, size, &pos, ")", 1);
	}
	json_decref(o);
	return 0;
}

int
gw_level_parse(const char *s, enum gw_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum gw_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
gw_level_name(enum gw_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "info";
	return level_names[level];
}

void
gw_log_timestamp(char buf[32])
{
	if (clock_format_utc_ms(clock_wall_ms(), buf, 32) < 0)
		snprintf(buf, 32, "1970-01-01T00:00:00.000Z");
}

void
gw_log_event(struct gw_log *log, enum gw_level level, const char *component,
    const char *event, json_t *fields, const char *fmt, ...)
{
	char ts[32], msg[1024];
	json_t *o;
	char *line;
	va_list ap;

	if (log == NULL || level < log->min) {
		json_decref(fields);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gw_log_timestamp(ts);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ts", ts,
	    "level", gw_level_name(level), "source", log->source,
	    "component", component, "event", event, "message", msg);
	if (o == NULL) {	/* message not valid UTF-8: show it escaped */
		char safe[sizeof(msg)];

		gw_err_quote(safe, sizeof(safe), msg, strlen(msg));
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ts", ts,
		    "level", gw_level_name(level), "source", log->source,
		    "component", component, "event", event, "message", safe);
	}
	if (o == NULL) {
		json_decref(fields);
		return;
	}
	if (fields != NULL && json_object_size(fields) > 0)
		json_object_set(o, "fields", fields);
	json_decref(fields);
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (line == NULL)
		return;
	if (log->format == GW_LOG_TEXT) {
		char text[4096];

		gw_log_text_line(line, strlen(line), text, sizeof(text));
		fprintf(log->out, "%s\n", text);
	} else {
		fprintf(log->out, "%s\n", line);
	}
	fflush(log->out);
	if (log->sink != NULL)
		log->sink(log->sink_arg, level, line, strlen(line));
	free(line);
}
