/* gw_err: error buffer helpers. Trusted input only (format strings). */
#include "gw_err.h"

#include <stdarg.h>
#include <stdio.h>

int
gw_err_set(struct gw_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
gw_err_quote(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i, o = 0;

	if (dstsz == 0)
		return;
	for (i = 0; i < n && o + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n && o >= 3) {	/* truncated: say so, even if only "..." fits */
		dst[o - 3] = dst[o - 2] = dst[o - 1] = '.';
	}
	dst[o] = '\0';
}
