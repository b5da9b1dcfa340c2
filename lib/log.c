/* log: event-record JSON lines on a stream. Trusted input (our own events). */
#include "log.h"
#include "gw_err.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gw_log {
	char source[64];
	FILE *out;
	enum gw_level min;
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
	return log;
}

void
gw_log_free(struct gw_log *log)
{
	free(log);
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
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
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
	fprintf(log->out, "%s\n", line);
	fflush(log->out);
	if (log->sink != NULL)
		log->sink(log->sink_arg, level, line, strlen(line));
	free(line);
}
