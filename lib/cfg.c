/* cfg: typed configuration values. Input (flags, env) is untrusted. */
#include "cfg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
quoted(char *dst, size_t sz, const char *s)
{
	gw_err_quote(dst, sz, s, strlen(s));
}

int
cfg_long(const char *name, const char *s, long min, long max, long *out,
    struct gw_err *err)
{
	char q[40], *end;
	long v;

	quoted(q, sizeof(q), s ? s : "");
	if (s == NULL || *s == '\0')
		return gw_err_set(err, "%s: empty value, expected an integer in %ld..%ld",
		    name, min, max);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < min || v > max || end == s ||
	    strchr(" \t\n", s[0]) != NULL)
		return gw_err_set(err, "%s: '%s' is not an integer in %ld..%ld",
		    name, q, min, max);
	*out = v;
	return 0;
}

int
cfg_endpoint(const char *name, const char *s, char *host, size_t hostsz,
    long *port, struct gw_err *err)
{
	const char *h = s, *colon, *portstr = NULL;
	size_t hlen;
	char q[80], pq[40], *end;
	long v;

	quoted(q, sizeof(q), s);
	*port = 0;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':') ||
		    (rb[1] == ':' && rb[2] == '\0'))
			return gw_err_set(err, "%s: '%s' is not host, host:port or "
			    "[IPv6]:port", name, q);
		h = s + 1;
		hlen = (size_t)(rb - h);
		if (rb[1] == ':')
			portstr = rb + 2;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - s);
		portstr = colon + 1;
		if (*portstr == '\0')
			return gw_err_set(err, "%s: '%s' is not host, host:port or "
			    "[IPv6]:port", name, q);
	} else {
		hlen = strlen(s);	/* a name, or a bare IPv6 literal */
	}
	if (hlen == 0 || hlen > 253 || hlen >= hostsz)
		return gw_err_set(err, "%s: the host must be 1..253 characters", name);
	if (portstr != NULL) {
		errno = 0;
		v = strtol(portstr, &end, 10);
		if (*end != '\0' || errno == ERANGE || v < 1 || v > 65535 ||
		    !(*portstr >= '0' && *portstr <= '9')) {
			quoted(pq, sizeof(pq), portstr);
			return gw_err_set(err, "%s: '%s': port '%s' is not an integer "
			    "in 1..65535", name, q, pq);
		}
		*port = v;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return 0;
}

int
cfg_seconds(const char *name, const char *s, double min, double max,
    double *out, struct gw_err *err)
{
	char q[40], *end;
	double v;

	quoted(q, sizeof(q), s ? s : "");
	if (s == NULL || *s == '\0')
		return gw_err_set(err, "%s: empty value, expected seconds in %g..%g",
		    name, min, max);
	errno = 0;
	v = strtod(s, &end);
	/* digits and one optional point only: no hex, inf, nan or exponents */
	if (*end != '\0' || end == s || errno == ERANGE || !isfinite(v) ||
	    strspn(s, "0123456789.") != strlen(s) || v < min || v > max)
		return gw_err_set(err, "%s: '%s' is not a number of seconds in %g..%g",
		    name, q, min, max);
	*out = v;
	return 0;
}

int
cfg_bool(const char *name, const char *s, int *out, struct gw_err *err)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };
	char q[40];
	size_t i;

	for (i = 0; s != NULL && i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	quoted(q, sizeof(q), s ? s : "");
	return gw_err_set(err, "%s: '%s' is not a boolean (true or false)", name, q);
}

const char *
cfg_env_str(const char *var, const char *def)
{
	const char *s = getenv(var);

	return (s == NULL || *s == '\0') ? def : s;
}

int
cfg_env_long(const char *var, long def, long min, long max, long *out,
    struct gw_err *err)
{
	const char *s = getenv(var);

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	return cfg_long(var, s, min, max, out, err);
}

int
cfg_env_seconds(const char *var, double def, double min, double max,
    double *out, struct gw_err *err)
{
	const char *s = getenv(var);

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	return cfg_seconds(var, s, min, max, out, err);
}
