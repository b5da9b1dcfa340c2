/*
 * log: a program's own events as event-record JSON lines (docs/events.md):
 * {"ts","level","source","component","event","message","fields"}.
 * Writes whole lines with one fwrite and flushes, so lines from several
 * processes sharing a pipe do not interleave.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdio.h>
#include <jansson.h>

enum gw_level {
	GW_DEBUG,
	GW_INFO,
	GW_WARNING,
	GW_ERROR,
	GW_CRITICAL,
};

struct gw_log;

/* How lines look on the log's stream: JSON event records (for pipelines,
 * the default off a terminal) or one readable line per event (on a
 * terminal). AUTO picks TEXT when the given fd is a terminal. The sink (see
 * gw_log_set_sink) always receives the JSON line, whatever the format. */
enum gw_log_format {
	GW_LOG_AUTO,
	GW_LOG_JSON,
	GW_LOG_TEXT,
};

/* out is borrowed (usually stdout). Returns NULL on allocation failure. */
struct gw_log *gw_log_new(const char *source, FILE *out, enum gw_level min);
void gw_log_free(struct gw_log *log);

/* Emit one event line when level >= the log's minimum. fields is a JSON
 * object (values may nest, see docs/events.md) or NULL; its reference is
 * stolen either way. Never fails loudly. */
void gw_log_event(struct gw_log *log, enum gw_level level,
    const char *component, const char *event, json_t *fields,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Also hand every emitted line (without newline) to sink(arg, level, ...),
 * e.g. evsend_line to forward alerts to discord-notify. NULL removes it. */
void gw_log_set_sink(struct gw_log *log,
    void (*sink)(void *arg, enum gw_level level, const char *line, size_t len),
    void *arg);

/* Set the format; AUTO resolves now, to TEXT when isatty(tty_fd) (pass the
 * fd behind the log's stream, e.g. STDOUT_FILENO), else JSON. */
void gw_log_set_format(struct gw_log *log, enum gw_log_format f, int tty_fd);

/* "json" | "text" | "auto" (case-insensitive) -> format; -1 otherwise. */
int gw_log_format_parse(const char *s, enum gw_log_format *out);

/* The readable one-line form of an event-record JSON line, without a
 * newline, into buf (always NUL-terminated, cut to size):
 *   2026-02-10T14:15:00.123Z WARNING gateway.disconnected: Gateway closed
 *   the API session (host=gateway port=4004 exit.code=1)
 * Nested objects in fields show as dotted names, arrays as a,b,c; strings
 * with spaces are quoted. Returns 0, or -1 when line is not a JSON object
 * (buf then holds the line as it was). Pure. */
int gw_log_text_line(const char *line, size_t len, char *buf, size_t size);

/* "debug".."critical" -> level; -1 for anything else. */
int gw_level_parse(const char *s, enum gw_level *out);
const char *gw_level_name(enum gw_level level);

/* RFC 3339 UTC with milliseconds, "2026-02-10T14:15:00.123Z". */
void gw_log_timestamp(char buf[32]);

#endif
