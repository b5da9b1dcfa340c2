/*
 * gw_err: the caller-supplied error buffer every library function fills on
 * failure (the json_error_t pattern). Library code never prints or exits.
 */
#ifndef GW_ERR_H
#define GW_ERR_H

#include <stddef.h>

/* Buffer sizes every program shares: an error message; a reason built from
 * one with a short prefix ("event rejected: ..."); an untrusted value
 * quoted inside a message (gw_err_quote cuts it to fit). */
#define GW_ERR_MAX 256
#define GW_WHY_MAX (GW_ERR_MAX + 44)
#define GW_QUOTE_MAX 64

struct gw_err {
	char msg[GW_ERR_MAX];
};

/* Format into err (NULL-safe); always returns -1 so callers can
 * `return gw_err_set(err, ...)`. */
int gw_err_set(struct gw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy at most n bytes of untrusted text into dst (size dstsz) with every
 * byte outside printable ASCII shown as '?', for quoting it in messages. */
void gw_err_quote(char *dst, size_t dstsz, const char *src, size_t n);

#endif
