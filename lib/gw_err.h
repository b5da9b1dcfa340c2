/*
 * gw_err: the caller-supplied error buffer every library function fills on
 * failure (the json_error_t pattern). Library code never prints or exits.
 */
#ifndef GW_ERR_H
#define GW_ERR_H

#include <stddef.h>

struct gw_err {
	char msg[256];
};

/* Format into err (NULL-safe); always returns -1 so callers can
 * `return gw_err_set(err, ...)`. */
int gw_err_set(struct gw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy at most n bytes of untrusted text into dst (size dstsz) with every
 * byte outside printable ASCII shown as '?', for quoting it in messages. */
void gw_err_quote(char *dst, size_t dstsz, const char *src, size_t n);

#endif
