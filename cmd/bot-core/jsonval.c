/*
 * jsonval: helpers for the decoders' messages and the encoders' numbers
 * (see jsonval.h). Inputs are values jansson has already parsed.
 */
#include "jsonval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_err.h"

const char *
jsonval_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "an object";
	case JSON_ARRAY:	return "an array";
	case JSON_STRING:	return "a string";
	case JSON_INTEGER:	return "an integer";
	case JSON_REAL:		return "a real number";
	case JSON_TRUE:		return "true";
	case JSON_FALSE:	return "false";
	case JSON_NULL:		return "null";
	}
	return "something else";
}

const char *
jsonval_quote(char *q, size_t qsz, const json_t *v)
{
	gw_err_quote(q, qsz, json_string_value(v), json_string_length(v));
	return q;
}

int
jsonval_real_precision(double d)
{
	char b[40];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(b, sizeof(b), "%.*g", p, d);
		if (strtod(b, NULL) == d)
			return p;
	}
	return 17;
}

json_t *
jsonval_load_line(const char *line, size_t len, size_t flags,
    struct gw_err *err)
{
	char text[120];		/* jansson's text, quoted and cut to fit */
	json_error_t jerr;
	const char *nul;
	json_t *root;

	if ((nul = memchr(line, '\0', len)) != NULL) {
		gw_err_set(err, "NUL byte at offset %zu", (size_t)(nul - line));
		return NULL;
	}
	root = json_loadb(line, len, flags | JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jansson's own text names its API flag */
		if (json_error_code(&jerr) == json_error_null_character)
			snprintf(jerr.text, sizeof(jerr.text),
			    "\\u0000 is not allowed in a string");
		gw_err_quote(text, sizeof(text), jerr.text, strlen(jerr.text));
		gw_err_set(err, "not JSON at column %d: %s", jerr.column, text);
	}
	return root;
}

const char *
jsonval_unknown_key(const json_t *o, const char *const *names, char *q,
    size_t qsz)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)o, k, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(k, names[i]) == 0)
				break;
		if (names[i] == NULL) {
			gw_err_quote(q, qsz, k, strlen(k));
			return q;
		}
	}
	return NULL;
}

int
jsonval_fail(struct gw_err *err, const char *who, const char *key,
    const char *fmt, ...)
{
	char m[GW_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (who == NULL)
		return gw_err_set(err, "%s: %s", key, m);
	if (key == NULL)
		return gw_err_set(err, "%s: %s", who, m);
	return gw_err_set(err, "%s: %s: %s", who, key, m);
}
