/*
 * jsonval: small helpers the gameplan and strategy-protocol decoders share
 * for their one-line errors and their exact numbers. Pure.
 */
#ifndef BOT_JSONVAL_H
#define BOT_JSONVAL_H

#include <stddef.h>

#include <jansson.h>

/* "an object", "a string", "an integer", ... for "expected X, got Y". */
const char *jsonval_type_name(const json_t *v);

/* A JSON string value quoted for a message into q (size qsz): bytes
 * outside printable ASCII become '?', cut to fit. Returns q. */
const char *jsonval_quote(char *q, size_t qsz, const json_t *v);

/* The fewest significant digits (%g) that read back as d, for
 * JSON_REAL_PRECISION: 2 is written "2.0", 450.12 "450.12". */
int jsonval_real_precision(double d);

#endif
