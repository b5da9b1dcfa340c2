/*
 * jsonval: small helpers the gameplan and strategy-protocol decoders share
 * for their one-line errors and their exact numbers. Pure.
 */
#ifndef BOT_JSONVAL_H
#define BOT_JSONVAL_H

#include <stddef.h>

#include <jansson.h>

#include "gw_err.h"

/* "an object", "a string", "an integer", ... for "expected X, got Y". */
const char *jsonval_type_name(const json_t *v);

/* A JSON string value quoted for a message into q (size qsz): bytes
 * outside printable ASCII become '?', cut to fit. Returns q. */
const char *jsonval_quote(char *q, size_t qsz, const json_t *v);

/* Parse one line of len bytes (no LF) as JSON with flags (json_loadb's;
 * JSON_REJECT_DUPLICATES is always added). NULL with one line in err: "NUL
 * byte at offset N" (jansson would take it for the end of the input), or
 * "not JSON at column N: what jansson says" (quoted). The line-level checks
 * (empty, too long) are the caller's. */
json_t *jsonval_load_line(const char *line, size_t len, size_t flags,
    struct gw_err *err);

/* "WHO: KEY: problem" into err, returning -1; who or key may be NULL
 * (then left out with its colon). */
int jsonval_fail(struct gw_err *err, const char *who, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The first key of object o that is not among names (NULL-terminated),
 * quoted for a message into q (size qsz: bytes outside printable ASCII
 * become '?', cut to fit); NULL when every key is known. */
const char *jsonval_unknown_key(const json_t *o, const char *const *names,
    char *q, size_t qsz);

/* The fewest significant digits (%g) that read back as d, for
 * JSON_REAL_PRECISION: 2 is written "2.0", 450.12 "450.12". */
int jsonval_real_precision(double d);

#endif
