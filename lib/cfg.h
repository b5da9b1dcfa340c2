/*
 * cfg: typed values from flags and environment variables with one-line
 * errors that name the setting ("GATEWAY_PORT: 'abc' is not an integer in
 * 1..65535"). Input is untrusted text; nothing here prints or exits.
 */
#ifndef GW_CFG_H
#define GW_CFG_H

#include "gw_err.h"

/* Decimal integer in [min, max]. */
int cfg_long(const char *name, const char *s, long min, long max, long *out,
    struct gw_err *err);

/* Non-negative seconds with an optional fraction ("5", "0.25") in [min, max]. */
int cfg_seconds(const char *name, const char *s, double min, double max,
    double *out, struct gw_err *err);

/* true/false, 1/0, yes/no, on/off (case-insensitive). */
int cfg_bool(const char *name, const char *s, int *out, struct gw_err *err);

/* Environment variants: unset or empty leaves *out at def. */
int cfg_env_long(const char *var, long def, long min, long max, long *out,
    struct gw_err *err);
int cfg_env_seconds(const char *var, double def, double min, double max,
    double *out, struct gw_err *err);
/* An endpoint "host", "host:port", "[v6]" or "[v6]:port" (a bare IPv6
 * literal, with two colons or more, has no port). The host (without
 * brackets, 1..253 bytes) goes into host; *port gets the port (1..65535),
 * or 0 when none is given. -1 with the reason, naming `name`, otherwise. */
int cfg_endpoint(const char *name, const char *s, char *host, size_t hostsz,
    long *port, struct gw_err *err);

/* String: unset or empty gives def (borrowed). */
const char *cfg_env_str(const char *var, const char *def);

#endif
