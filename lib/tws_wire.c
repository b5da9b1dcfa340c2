/*
 * tws_wire: TWS API wire codec (docs/protocol.md).
 * Input to every decoder is untrusted bytes from a socket; lengths are
 * checked against caps before anything is read or copied.
 */
#include "tws_wire.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- encoding ---------- */

static void
enc_begin(struct tws_enc *e, uint8_t *out, size_t cap)
{
	tws_enc_begin(e, out, cap);
}

void
tws_enc_begin(struct tws_enc *e, uint8_t *out, size_t cap)
{
	e->out = out;
	e->cap = cap;
	e->len = 4;
	e->overflow = cap < 4;
	e->bad = NULL;
}

static void
enc_bytes(struct tws_enc *e, const void *p, size_t n)
{
	if (e->overflow || n > e->cap - e->len) {
		e->overflow = 1;
		return;
	}
	memcpy(e->out + e->len, p, n);
	e->len += n;
}

static void
enc_str(struct tws_enc *e, const char *s)
{
	enc_bytes(e, s, strlen(s) + 1);
}

void
tws_enc_field(struct tws_enc *e, const char *p, size_t n)
{
	if (e->overflow || n >= e->cap - e->len) {
		e->overflow = 1;
		return;
	}
	memcpy(e->out + e->len, p, n);
	e->out[e->len + n] = '\0';
	e->len += n + 1;
}

static void
enc_fmt(struct tws_enc *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
enc_fmt(struct tws_enc *e, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		e->overflow = 1;
		return;
	}
	enc_bytes(e, tmp, (size_t)n + 1);
}

int
tws_fmt_double(char *dst, size_t dstsz, double v)
{
	char tmp[64];	/* at most 40: 16 digits, point, 20 decimals */
	const char *x;
	int prec, ex, dec;

	if (!isfinite(v))
		return -1;
	if (v == 0) {
		snprintf(tmp, sizeof(tmp), "%s", signbit(v) ? "-0.0" : "0.0");
	} else {
		for (prec = 1;; prec++) {	/* 17 digits always read back */
			snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
			if (prec >= 17 || strtod(tmp, NULL) == v)
				break;
		}
		x = strchr(tmp, 'e');
		ex = x ? atoi(x + 1) : 0;
		if (ex >= -4 && ex < 16) {
			dec = prec - 1 - ex;
			snprintf(tmp, sizeof(tmp), "%.*f", dec > 0 ? dec : 0, v);
			if (dec <= 0)
				strcat(tmp, ".0");
		}	/* else tmp already holds "1e-05", "1.5e+16" */
		if (strtod(tmp, NULL) != v)	/* cannot happen; never send a wrong price */
			snprintf(tmp, sizeof(tmp), "%.17g", v);
	}
	if (strlen(tmp) >= dstsz)
		return -1;
	memcpy(dst, tmp, strlen(tmp) + 1);
	return 0;
}

static void
enc_double(struct tws_enc *e, double v)
{
	char tmp[64];

	if (tws_fmt_double(tmp, sizeof(tmp), v) < 0) {
		if (e->bad == NULL && !isfinite(v))
			e->bad = "number is not finite";
		e->overflow = 1;
		return;
	}
	enc_str(e, tmp);
}

static ssize_t
enc_end(struct tws_enc *e, const char *what, struct gw_err *err)
{
	return tws_enc_end(e, what, err);
}

ssize_t
tws_enc_end(struct tws_enc *e, const char *what, struct gw_err *err)
{
	size_t n;

	if (e->bad != NULL)
		return gw_err_set(err, "%s: %s", what, e->bad);
	if (e->overflow)
		return gw_err_set(err, "%s: message does not fit in %zu bytes",
		    what, e->cap);
	n = e->len - 4;
	if (n > TWS_MAX_MSG_LEN)
		return gw_err_set(err, "%s: message longer than %u bytes", what,
		    TWS_MAX_MSG_LEN);
	e->out[0] = (uint8_t)(n >> 24);
	e->out[1] = (uint8_t)(n >> 16);
	e->out[2] = (uint8_t)(n >> 8);
	e->out[3] = (uint8_t)n;
	return (ssize_t)e->len;
}

static int
text_ok(const char *s, const char *what, struct gw_err *err)
{
	if (s == NULL)
		return gw_err_set(err, "%s: missing text", what);
	return 0;
}

ssize_t
tws_enc_hello(uint8_t *out, size_t cap, int min_version, int max_version,
    const char *options, struct gw_err *err)
{
	char ver[TWS_MAX_HELLO_LEN + 1];
	size_t n;
	int k;

	if (min_version < 1 || max_version < min_version ||
	    max_version >= TWS_SV_PROTOBUF)
		return gw_err_set(err, "hello: bad version range %d..%d",
		    min_version, max_version);
	if (min_version == max_version)
		k = snprintf(ver, sizeof(ver), "v%d", min_version);
	else
		k = snprintf(ver, sizeof(ver), "v%d..%d", min_version, max_version);
	if (options != NULL && options[0] != '\0')
		k = snprintf(ver + k, sizeof(ver) - (size_t)k, " %s", options) + k;
	if (k < 0 || (size_t)k > TWS_MAX_HELLO_LEN)
		return gw_err_set(err, "hello: connect options too long");
	n = (size_t)k;
	if (cap < 8 + n)
		return gw_err_set(err, "hello: message does not fit in %zu bytes", cap);
	memcpy(out, "API", 4);
	out[4] = (uint8_t)(n >> 24);
	out[5] = (uint8_t)(n >> 16);
	out[6] = (uint8_t)(n >> 8);
	out[7] = (uint8_t)n;
	memcpy(out + 8, ver, n);	/* the one unterminated text (protocol.md §3.1) */
	return (ssize_t)(8 + n);
}

ssize_t
tws_enc_start_api(uint8_t *out, size_t cap, int server_version, int client_id,
    const char *capabilities, struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_fmt(&e, "%d", TWS_OUT_START_API);
	enc_str(&e, "2");
	enc_fmt(&e, "%d", client_id);
	if (server_version >= TWS_SV_OPTIONAL_CAPABILITIES)
		enc_str(&e, capabilities ? capabilities : "");
	return enc_end(&e, "startApi", err);
}

ssize_t
tws_enc_req_current_time(uint8_t *out, size_t cap, struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "49");
	enc_str(&e, "1");
	return enc_end(&e, "reqCurrentTime", err);
}

ssize_t
tws_enc_req_market_data_type(uint8_t *out, size_t cap, int type,
    struct gw_err *err)
{
	struct tws_enc e;

	if (type < 1 || type > 4)
		return gw_err_set(err, "reqMarketDataType: type %d not in 1..4", type);
	enc_begin(&e, out, cap);
	enc_str(&e, "59");
	enc_str(&e, "1");
	enc_fmt(&e, "%d", type);
	return enc_end(&e, "reqMarketDataType", err);
}

ssize_t
tws_enc_req_mkt_data(uint8_t *out, size_t cap, int server_version,
    long long req_id, const struct tws_contract *c, const char *generic_ticks,
    int snapshot, struct gw_err *err)
{
	struct tws_enc e;

	if (c == NULL || text_ok(c->symbol, "reqMktData symbol", err) < 0 ||
	    text_ok(c->sec_type, "reqMktData secType", err) < 0 ||
	    text_ok(c->exchange, "reqMktData exchange", err) < 0 ||
	    text_ok(c->currency, "reqMktData currency", err) < 0)
		return gw_err_set(err, "reqMktData: incomplete contract");
	if (strcmp(c->sec_type, "BAG") == 0)
		return gw_err_set(err, "reqMktData: BAG contracts are not supported");
	/* reqMktData VERSION 11, 20 fields at sv >= 114 (official client). */
	enc_begin(&e, out, cap);
	enc_str(&e, "1");
	enc_str(&e, "11");
	enc_fmt(&e, "%lld", req_id);
	enc_fmt(&e, "%lld", c->con_id);
	enc_str(&e, c->symbol);
	enc_str(&e, c->sec_type);
	enc_str(&e, "");		/* lastTradeDateOrContractMonth */
	enc_str(&e, "0.0");		/* strike */
	enc_str(&e, "");		/* right */
	enc_str(&e, "");		/* multiplier */
	enc_str(&e, c->exchange);
	enc_str(&e, c->primary_exchange ? c->primary_exchange : "");
	enc_str(&e, c->currency);
	enc_str(&e, "");		/* localSymbol */
	enc_str(&e, "");		/* tradingClass */
	enc_str(&e, "0");		/* deltaNeutral */
	enc_str(&e, generic_ticks ? generic_ticks : "");
	enc_str(&e, snapshot ? "1" : "0");
	if (server_version >= TWS_SV_REQ_SMART_COMPONENTS)
		enc_str(&e, "0");	/* regulatorySnapshot */
	enc_str(&e, "");		/* mktDataOptions */
	return enc_end(&e, "reqMktData", err);
}

ssize_t
tws_enc_cancel_mkt_data(uint8_t *out, size_t cap, long long req_id,
    struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "2");
	enc_str(&e, "2");
	enc_fmt(&e, "%lld", req_id);
	return enc_end(&e, "cancelMktData", err);
}

ssize_t
tws_enc_server_version(uint8_t *out, size_t cap, int version,
    const char *conn_time, struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_fmt(&e, "%d", version);
	enc_str(&e, conn_time ? conn_time : "");
	return enc_end(&e, "server version", err);
}

ssize_t
tws_enc_managed_accounts(uint8_t *out, size_t cap, const char *accounts,
    struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "15");
	enc_str(&e, "1");
	enc_str(&e, accounts ? accounts : "");
	return enc_end(&e, "managedAccounts", err);
}

ssize_t
tws_enc_next_valid_id(uint8_t *out, size_t cap, long long order_id,
    struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "9");
	enc_str(&e, "1");
	enc_fmt(&e, "%lld", order_id);
	return enc_end(&e, "nextValidId", err);
}

ssize_t
tws_enc_error(uint8_t *out, size_t cap, int server_version, long long req_id,
    int code, const char *text, long long time_ms, struct gw_err *err)
{
	struct tws_enc e;

	/* Three layouts by negotiated version (protocol.md §6). */
	enc_begin(&e, out, cap);
	enc_str(&e, "4");
	if (server_version < TWS_SV_ERROR_TIME)
		enc_str(&e, "2");
	enc_fmt(&e, "%lld", req_id);
	enc_fmt(&e, "%d", code);
	enc_str(&e, text ? text : "");
	if (server_version >= TWS_SV_ADVANCED_ORDER_REJECT)
		enc_str(&e, "");
	if (server_version >= TWS_SV_ERROR_TIME)
		enc_fmt(&e, "%lld", time_ms);
	return enc_end(&e, "error", err);
}

ssize_t
tws_enc_current_time(uint8_t *out, size_t cap, long long t, struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "49");
	enc_str(&e, "1");
	enc_fmt(&e, "%lld", t);
	return enc_end(&e, "currentTime", err);
}

ssize_t
tws_enc_tick_price(uint8_t *out, size_t cap, long long req_id, int tick_type,
    double price, const char *size, int attr_mask, struct gw_err *err)
{
	struct tws_enc e;

	/* Always all 7 fields, version 6 (protocol.md §9). */
	enc_begin(&e, out, cap);
	enc_str(&e, "1");
	enc_str(&e, "6");
	enc_fmt(&e, "%lld", req_id);
	enc_fmt(&e, "%d", tick_type);
	enc_double(&e, price);
	enc_str(&e, size ? size : "");
	enc_fmt(&e, "%d", attr_mask);
	return enc_end(&e, "tickPrice", err);
}

ssize_t
tws_enc_tick_size(uint8_t *out, size_t cap, long long req_id, int tick_type,
    const char *size, struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "2");
	enc_str(&e, "6");
	enc_fmt(&e, "%lld", req_id);
	enc_fmt(&e, "%d", tick_type);
	enc_str(&e, size ? size : "");
	return enc_end(&e, "tickSize", err);
}

ssize_t
tws_enc_tick_req_params(uint8_t *out, size_t cap, long long req_id,
    double min_tick, const char *bbo_exchange, int snapshot_permissions,
    struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "81");	/* no version field (protocol.md §9) */
	enc_fmt(&e, "%lld", req_id);
	enc_double(&e, min_tick);
	enc_str(&e, bbo_exchange ? bbo_exchange : "");
	enc_fmt(&e, "%d", snapshot_permissions);
	return enc_end(&e, "tickReqParams", err);
}

ssize_t
tws_enc_market_data_type(uint8_t *out, size_t cap, long long req_id, int type,
    struct gw_err *err)
{
	struct tws_enc e;

	enc_begin(&e, out, cap);
	enc_str(&e, "58");
	enc_str(&e, "1");
	enc_fmt(&e, "%lld", req_id);
	enc_fmt(&e, "%d", type);
	return enc_end(&e, "marketDataType", err);
}

/* ---------- decoding ---------- */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Parse a decimal int out of [p, p+n) (not NUL-terminated). */
static int
parse_dec(const char *p, size_t n, long long min, long long max,
    long long *out)
{
	long long v = 0;
	size_t i = 0;
	int neg = 0, d;

	if (n > 0 && (p[0] == '-' || p[0] == '+')) {
		neg = p[0] == '-';
		i = 1;
	}
	if (i == n || n - i > 19)
		return -1;
	/* Accumulate as a negative number so that LLONG_MIN is reachable. */
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = p[i] - '0';
		if (v < (LLONG_MIN + d) / 10)
			return -1;
		v = v * 10 - d;
	}
	if (!neg) {
		if (v == LLONG_MIN)
			return -1;
		v = -v;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
tws_field_ll(const struct tws_field *fld, long long min, long long max,
    long long *out)
{
	if (fld->len == 0) {	/* unset (protocol.md §2) */
		if (0 < min || 0 > max)
			return -1;
		*out = 0;
		return 0;
	}
	return parse_dec(fld->p, fld->len, min, max, out);
}

ssize_t
tws_wire_decode_hello(const uint8_t *buf, size_t len, struct tws_hello *out,
    struct gw_err *err)
{
	const char *v, *dots, *sp, *end;
	long long lo, hi;
	uint32_t n;
	size_t vlen;
	char q[48];

	if (len == 0)
		return 0;
	if (len < 4)
		return memcmp(buf, "API", len) == 0 ? 0 :
		    gw_err_set(err, "hello: does not start with \"API\\0\"");
	if (memcmp(buf, "API", 4) != 0)
		return gw_err_set(err, "hello: does not start with \"API\\0\"");
	if (len < 8)
		return 0;
	n = be32(buf + 4);
	if (n == 0 || n > TWS_MAX_HELLO_LEN)
		return gw_err_set(err, "hello: version string length %u not in 1..%d",
		    n, TWS_MAX_HELLO_LEN);
	if (len - 8 < n)
		return 0;
	v = (const char *)buf + 8;
	end = v + n;
	if (memchr(v, '\0', n) != NULL)
		return gw_err_set(err, "hello: NUL inside the version string");
	sp = memchr(v, ' ', n);
	vlen = sp ? (size_t)(sp - v) : n;
	gw_err_quote(q, sizeof(q), v, vlen);
	if (vlen < 1 || v[0] != 'v')
		return gw_err_set(err, "hello: version string \"%s\" does not start with 'v'", q);
	dots = memmem(v, vlen, "..", 2);
	if (dots == NULL) {
		if (parse_dec(v + 1, vlen - 1, 1, INT_MAX, &lo) < 0)
			return gw_err_set(err, "hello: bad version \"%s\"", q);
		hi = lo;
	} else if (parse_dec(v + 1, (size_t)(dots - v - 1), 1, INT_MAX, &lo) < 0 ||
	    parse_dec(dots + 2, vlen - (size_t)(dots - v) - 2, 1, INT_MAX, &hi) < 0) {
		return gw_err_set(err, "hello: bad version range \"%s\"", q);
	}
	if (hi < lo)
		return gw_err_set(err, "hello: version range \"%s\" is empty", q);
	out->min_version = (int)lo;
	out->max_version = (int)hi;
	out->options[0] = '\0';
	if (sp != NULL) {
		size_t olen = (size_t)(end - sp - 1);
		if (olen >= sizeof(out->options))
			olen = sizeof(out->options) - 1;
		memcpy(out->options, sp + 1, olen);
		out->options[olen] = '\0';
	}
	return (ssize_t)(8 + n);
}

ssize_t
tws_wire_decode_frame(const uint8_t *buf, size_t len, struct tws_fields *out,
    struct gw_err *err)
{
	const char *p, *end, *nul;
	uint32_t n;

	if (len < 4)
		return 0;
	n = be32(buf);
	if (n > TWS_MAX_MSG_LEN)
		return gw_err_set(err, "frame: length %u exceeds the %u-byte maximum",
		    n, TWS_MAX_MSG_LEN);
	if (n == 0)
		return gw_err_set(err, "frame: empty message");
	if (len - 4 < n)
		return 0;
	p = (const char *)buf + 4;
	end = p + n;
	if (end[-1] != '\0')
		return gw_err_set(err, "frame: last field is not NUL-terminated");
	out->n = 0;
	while (p < end) {
		if (out->n == TWS_MAX_FIELDS)
			return gw_err_set(err, "frame: more than %d fields",
			    TWS_MAX_FIELDS);
		nul = memchr(p, '\0', (size_t)(end - p));	/* found: end[-1] is NUL */
		out->f[out->n].p = p;
		out->f[out->n].len = (size_t)(nul - p);
		out->n++;
		p = nul + 1;
	}
	return (ssize_t)(4 + n);
}

int
tws_wire_decode_server_version(const struct tws_fields *f, int *version,
    char time[TWS_SERVER_VERSION_TIME_LEN], struct gw_err *err)
{
	long long v;
	char q[48];

	if (f->n != 2)
		return gw_err_set(err, "server version reply: expected 2 fields, got %zu",
		    f->n);
	if (f->f[0].len == 0 || tws_field_ll(&f->f[0], 1, 9999, &v) < 0) {
		gw_err_quote(q, sizeof(q), f->f[0].p, f->f[0].len);
		return gw_err_set(err, "server version reply: bad version \"%s\"", q);
	}
	*version = (int)v;
	gw_err_quote(time, TWS_SERVER_VERSION_TIME_LEN, f->f[1].p, f->f[1].len);
	return 0;
}

void
tws_cur_init(struct tws_cur *c, const struct tws_fields *f, const char *msg,
    struct gw_err *err)
{
	c->f = f;
	c->i = 0;
	c->msg = msg;
	c->err = err;
	c->failed = 0;
}

const struct tws_field *
tws_cur_next(struct tws_cur *c, const char *name)
{
	if (c->failed)
		return NULL;
	if (c->i >= c->f->n) {
		c->failed = 1;
		gw_err_set(c->err, "%s: missing field %s (message has %zu fields)",
		    c->msg, name, c->f->n);
		return NULL;
	}
	return &c->f->f[c->i++];
}

void
tws_cur_fail(struct tws_cur *c, const char *name, const struct tws_field *fld,
    const char *why)
{
	char q[48];

	c->failed = 1;
	gw_err_quote(q, sizeof(q), fld->p, fld->len);
	gw_err_set(c->err, "%s: field %s: \"%s\" %s", c->msg, name, q, why);
}

long long
tws_cur_ll(struct tws_cur *c, const char *name, long long min, long long max)
{
	const struct tws_field *fld = tws_cur_next(c, name);
	long long v = 0;
	char why[64];

	if (fld == NULL)
		return 0;
	if (tws_field_ll(fld, min, max, &v) < 0) {
		snprintf(why, sizeof(why), "is not an integer in %lld..%lld", min,
		    max);
		tws_cur_fail(c, name, fld, why);
		return 0;
	}
	return v;
}

double
tws_cur_double(struct tws_cur *c, const char *name)
{
	const struct tws_field *fld = tws_cur_next(c, name);
	char *endp;
	double v;

	if (fld == NULL || fld->len == 0)
		return 0;
	/* strtod alone would skip leading white space and take hex, "nan" and
	 * "inf"; a wire number starts with a sign, a digit or a point. An
	 * underflow (ERANGE with a finite result) reads as the nearest double,
	 * so that every double the encoder writes decodes again. */
	v = strtod(fld->p, &endp);	/* fld->p is NUL-terminated in the frame */
	if (endp != fld->p + fld->len || !isfinite(v) || fld->len > 40 ||
	    strchr("+-.0123456789", fld->p[0]) == NULL ||
	    strpbrk(fld->p, "xXnN") != NULL) {
		tws_cur_fail(c, name, fld, "is not a number");
		return 0;
	}
	return v;
}

static struct tws_field
cur_str(struct tws_cur *c, const char *name)
{
	const struct tws_field *fld = tws_cur_next(c, name);
	struct tws_field none = { "", 0 };

	return fld ? *fld : none;
}

#define ID_MAX 0x7fffffffffffLL

int
tws_wire_decode_in(const struct tws_fields *f, int server_version,
    struct tws_in_msg *m, struct gw_err *err)
{
	struct tws_cur c;
	long long id;

	tws_cur_init(&c, f, "message", err);
	memset(m, 0, sizeof(*m));
	if (f->n > 0 && f->f[0].len == 0)	/* "" would read as unset = 0 */
		return gw_err_set(err, "message: empty message id");
	id = tws_cur_ll(&c, "id", 0, 100000);
	if (c.failed)
		return -1;
	m->id = (int)id;
	m->known = 1;
	c.msg = tws_in_name(m->id);
	switch (m->id) {
	case TWS_IN_NEXT_VALID_ID:
		tws_cur_ll(&c, "version", 0, 1000);
		m->u.next_valid_id.order_id = tws_cur_ll(&c, "orderId", -ID_MAX, ID_MAX);
		break;
	case TWS_IN_MANAGED_ACCOUNTS:
		tws_cur_ll(&c, "version", 0, 1000);
		m->u.managed_accounts.accounts = cur_str(&c, "accountsList");
		break;
	case TWS_IN_ERROR:
		if (server_version < TWS_SV_ERROR_TIME)
			tws_cur_ll(&c, "version", 0, 1000);
		m->u.error.req_id = tws_cur_ll(&c, "id", -ID_MAX, ID_MAX);
		m->u.error.code = (int)tws_cur_ll(&c, "code", -1000000, 1000000);
		m->u.error.text = cur_str(&c, "errorMsg");
		if (server_version >= TWS_SV_ADVANCED_ORDER_REJECT)
			m->u.error.advanced_json = cur_str(&c, "advancedOrderRejectJson");
		if (server_version >= TWS_SV_ERROR_TIME)
			m->u.error.time_ms = tws_cur_ll(&c, "errorTime", 0, LLONG_MAX);
		break;
	case TWS_IN_CURRENT_TIME:
		tws_cur_ll(&c, "version", 0, 1000);
		m->u.current_time.time = tws_cur_ll(&c, "time", 0, LLONG_MAX);
		break;
	case TWS_IN_TICK_PRICE:
		tws_cur_ll(&c, "version", 0, 1000);
		m->u.tick_price.req_id = tws_cur_ll(&c, "tickerId", -ID_MAX, ID_MAX);
		m->u.tick_price.tick_type = (int)tws_cur_ll(&c, "tickType", 0, 1000);
		m->u.tick_price.price = tws_cur_double(&c, "price");
		m->u.tick_price.size = cur_str(&c, "size");
		m->u.tick_price.attr_mask = (int)tws_cur_ll(&c, "attrMask", 0, INT_MAX);
		break;
	case TWS_IN_TICK_SIZE:
		tws_cur_ll(&c, "version", 0, 1000);
		m->u.tick_size.req_id = tws_cur_ll(&c, "tickerId", -ID_MAX, ID_MAX);
		m->u.tick_size.tick_type = (int)tws_cur_ll(&c, "tickType", 0, 1000);
		m->u.tick_size.size = cur_str(&c, "size");
		break;
	case TWS_IN_MARKET_DATA_TYPE:
		tws_cur_ll(&c, "version", 0, 1000);
		m->u.market_data_type.req_id = tws_cur_ll(&c, "reqId", -ID_MAX, ID_MAX);
		m->u.market_data_type.type = (int)tws_cur_ll(&c, "marketDataType", 0, 100);
		break;
	case TWS_IN_TICK_REQ_PARAMS:
		m->u.tick_req_params.req_id = tws_cur_ll(&c, "tickerId", -ID_MAX, ID_MAX);
		m->u.tick_req_params.min_tick = tws_cur_double(&c, "minTick");
		m->u.tick_req_params.bbo_exchange = cur_str(&c, "bboExchange");
		m->u.tick_req_params.snapshot_permissions =
		    (int)tws_cur_ll(&c, "snapshotPermissions", 0, INT_MAX);
		break;
	default:
		m->known = 0;	/* real gateways send many more; not an error */
		break;
	}
	return c.failed ? -1 : 0;
}

int
tws_wire_decode_out(const struct tws_fields *f, int server_version,
    struct tws_out_msg *m, struct gw_err *err)
{
	struct tws_cur c;
	long long id;

	tws_cur_init(&c, f, "message", err);
	(void)server_version;
	memset(m, 0, sizeof(*m));
	if (f->n > 0 && f->f[0].len == 0)	/* "" would read as unset = 0 */
		return gw_err_set(err, "message: empty message id");
	id = tws_cur_ll(&c, "id", 0, 100000);
	if (c.failed)
		return -1;
	m->id = (int)id;
	m->known = 1;
	c.msg = tws_out_name(m->id);
	switch (m->id) {
	case TWS_OUT_START_API:
		tws_cur_ll(&c, "version", 0, 1000);	/* any version (protocol.md §4) */
		m->u.start_api.client_id = (int)tws_cur_ll(&c, "clientId", INT_MIN, INT_MAX);
		if (f->n > 3)
			m->u.start_api.capabilities = cur_str(&c, "optionalCapabilities");
		break;
	case TWS_OUT_REQ_CURRENT_TIME:
		tws_cur_ll(&c, "version", 0, 1000);
		break;
	case TWS_OUT_REQ_MARKET_DATA_TYPE:
		tws_cur_ll(&c, "version", 0, 1000);
		m->u.req_market_data_type.type = (int)tws_cur_ll(&c, "marketDataType", 1, 4);
		break;
	case TWS_OUT_REQ_MKT_DATA: {
		struct tws_field sec;

		tws_cur_ll(&c, "version", 0, 1000);
		m->u.req_mkt_data.req_id = tws_cur_ll(&c, "tickerId", -ID_MAX, ID_MAX);
		m->u.req_mkt_data.con_id = tws_cur_ll(&c, "conId", 0, ID_MAX);
		m->u.req_mkt_data.symbol = cur_str(&c, "symbol");
		sec = m->u.req_mkt_data.sec_type = cur_str(&c, "secType");
		cur_str(&c, "lastTradeDateOrContractMonth");
		tws_cur_double(&c, "strike");
		cur_str(&c, "right");
		cur_str(&c, "multiplier");
		m->u.req_mkt_data.exchange = cur_str(&c, "exchange");
		cur_str(&c, "primaryExchange");
		m->u.req_mkt_data.currency = cur_str(&c, "currency");
		cur_str(&c, "localSymbol");
		cur_str(&c, "tradingClass");
		if (!c.failed && sec.len == 3 && memcmp(sec.p, "BAG", 3) == 0) {
			long long legs = tws_cur_ll(&c, "comboLegsCount", 0, 100), i;
			for (i = 0; i < legs && !c.failed; i++) {
				cur_str(&c, "comboLeg.conId");
				cur_str(&c, "comboLeg.ratio");
				cur_str(&c, "comboLeg.action");
				cur_str(&c, "comboLeg.exchange");
			}
		}
		if (tws_cur_ll(&c, "deltaNeutral", 0, 1) == 1) {
			cur_str(&c, "deltaNeutral.conId");
			cur_str(&c, "deltaNeutral.delta");
			cur_str(&c, "deltaNeutral.price");
		}
		m->u.req_mkt_data.generic_ticks = cur_str(&c, "genericTickList");
		m->u.req_mkt_data.snapshot = (int)tws_cur_ll(&c, "snapshot", 0, 1);
		break;
	}
	case TWS_OUT_CANCEL_MKT_DATA:
		tws_cur_ll(&c, "version", 0, 1000);	/* @stoqey/ib sends 1, others 2 */
		m->u.cancel_mkt_data.req_id = tws_cur_ll(&c, "tickerId", -ID_MAX, ID_MAX);
		break;
	default:
		m->known = 0;
		break;
	}
	return c.failed ? -1 : 0;
}

const char *
tws_in_name(int id)
{
	switch (id) {
	case TWS_IN_TICK_PRICE: return "tickPrice";
	case TWS_IN_TICK_SIZE: return "tickSize";
	case TWS_IN_ERROR: return "error";
	case TWS_IN_NEXT_VALID_ID: return "nextValidId";
	case TWS_IN_MANAGED_ACCOUNTS: return "managedAccounts";
	case TWS_IN_CURRENT_TIME: return "currentTime";
	case TWS_IN_MARKET_DATA_TYPE: return "marketDataType";
	case TWS_IN_TICK_REQ_PARAMS: return "tickReqParams";
	default: return "unknown";
	}
}

const char *
tws_out_name(int id)
{
	switch (id) {
	case TWS_OUT_REQ_MKT_DATA: return "reqMktData";
	case TWS_OUT_CANCEL_MKT_DATA: return "cancelMktData";
	case TWS_OUT_REQ_CURRENT_TIME: return "reqCurrentTime";
	case TWS_OUT_REQ_MARKET_DATA_TYPE: return "reqMarketDataType";
	case TWS_OUT_START_API: return "startApi";
	default: return "unknown";
	}
}
