/* sim_ctl: gw-sim control-line decoder. Input is untrusted. */
#include "sim_ctl.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

static int
parse_json(const char *line, size_t len, struct sim_ctl_cmd *c,
    struct gw_err *err)
{
	json_error_t jerr;
	const char *name;
	json_t *root, *arg = NULL;
	int rc = -1;

	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return gw_err_set(err, "bad JSON at column %d: %s", jerr.column,
		    jerr.text);
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s?:o}", "cmd", &name,
	    "arg", &arg) < 0) {
		gw_err_set(err, "bad command object: %s", jerr.text);
	} else if (strlen(name) >= sizeof(c->name)) {
		gw_err_set(err, "command name too long");
	} else {
		snprintf(c->name, sizeof(c->name), "%s", name);
		rc = 0;
		if (arg == NULL || json_is_null(arg)) {
			c->has_arg = 0;
		} else if (json_is_string(arg)) {
			c->has_arg = 1;
			/* jansson strings may hold NUL: keep the text before it */
			snprintf(c->arg, sizeof(c->arg), "%s", json_string_value(arg));
		} else if (json_is_integer(arg)) {
			c->has_arg = 1;
			snprintf(c->arg, sizeof(c->arg), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(arg));
		} else {
			rc = gw_err_set(err, "arg must be a string or an integer");
		}
	}
	json_decref(root);
	return rc;
}

int
sim_ctl_parse(const char *line, size_t len, struct sim_ctl_cmd *c,
    struct gw_err *err)
{
	const char *p = line, *end = line + len, *sp;
	size_t n;

	memset(c, 0, sizeof(*c));
	if (len > SIM_CTL_LINE_MAX)
		return gw_err_set(err, "line longer than %d bytes", SIM_CTL_LINE_MAX);
	if (memchr(line, '\0', len) != NULL)
		return gw_err_set(err, "NUL byte inside the line");
	if (len > 0 && line[0] == '{')
		return parse_json(line, len, c, err);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (sp = p; sp < end && *sp != ' ' && *sp != '\t'; sp++)
		;
	n = (size_t)(sp - p);
	if (n >= sizeof(c->name)) {
		char q[40];

		gw_err_quote(q, sizeof(q), p, n);
		return gw_err_set(err, "unknown command '%s'", q);
	}
	memcpy(c->name, p, n);
	c->name[n] = '\0';
	while (sp < end && (*sp == ' ' || *sp == '\t'))
		sp++;
	n = (size_t)(end - sp);
	while (n > 0 && (sp[n - 1] == ' ' || sp[n - 1] == '\t'))
		n--;
	if (n > 0) {
		c->has_arg = 1;
		memcpy(c->arg, sp, n);
		c->arg[n] = '\0';
	}
	return 0;
}
