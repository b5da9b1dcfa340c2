/*
 * jsonval: helpers for the decoders' messages and the encoders' numbers
 * (see jsonval.h). Inputs are values jansson has already parsed.
 */
#include "jsonval.h"

#include <stdio.h>
#include <stdlib.h>

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
