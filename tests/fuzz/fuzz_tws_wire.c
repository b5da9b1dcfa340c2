/*
 * libFuzzer target for lib/tws_wire. The input is a byte stream as a socket
 * would deliver it: an optional client hello, then frames. Every frame is
 * interpreted every way a gwkit program could (server version reply,
 * server -> client at several server versions, client -> server), decoded
 * values are re-encoded and decoded again, and any broken invariant traps.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tws_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const int versions[] = { 1, 71, 72, 100, 113, 114, 165, 166, 176, 193,
    194, 200 };

/* A failed decoder left a non-empty, terminated reason. */
static void
check_err(const struct gw_err *err)
{
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(err->msg[0] != '\0');
}

static int
field_eq(const struct tws_field *a, const struct tws_field *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* A field decoded from a frame is a C string of exactly len bytes. */
static void
check_field(const struct tws_field *fld)
{
	CHECK(fld->p != NULL);
	CHECK(fld->p[fld->len] == '\0');
	CHECK(memchr(fld->p, '\0', fld->len) == NULL);
}

static void
check_hello(const uint8_t *data, size_t size, uint8_t *scratch, size_t cap)
{
	struct tws_hello h, h2;
	struct gw_err err = { "" };
	ssize_t r, r2;
	size_t k;

	r = tws_wire_decode_hello(data, size, &h, &err);
	if (r < 0) {
		check_err(&err);
		return;
	}
	if (r == 0)
		return;
	CHECK((size_t)r <= size && r >= 9 && r <= 8 + TWS_MAX_HELLO_LEN);
	CHECK(h.min_version >= 1 && h.min_version <= h.max_version);
	CHECK(memchr(h.options, '\0', sizeof(h.options)) != NULL);
	/* Every shorter prefix needs more. */
	for (k = 0; k < (size_t)r; k += 1 + k / 4)
		CHECK(tws_wire_decode_hello(data, k, &h2, &err) == 0);
	if (h.max_version >= TWS_SV_PROTOBUF)
		return;
	r2 = tws_enc_hello(scratch, cap, h.min_version, h.max_version, h.options,
	    &err);
	CHECK(r2 > 0);	/* normalising ("v+05..5" -> "v5") only shortens */
	CHECK(tws_wire_decode_hello(scratch, (size_t)r2, &h2, &err) == r2);
	CHECK(h2.min_version == h.min_version && h2.max_version == h.max_version);
	CHECK(strcmp(h2.options, h.options) == 0);
}

static void
check_server_version(const struct tws_fields *fs, uint8_t *scratch, size_t cap)
{
	static struct tws_fields fs2;
	struct gw_err err = { "" };
	char t[TWS_SERVER_VERSION_TIME_LEN], t2[TWS_SERVER_VERSION_TIME_LEN];
	int v = -1, v2 = -1;
	ssize_t n;

	if (tws_wire_decode_server_version(fs, &v, t, &err) < 0) {
		check_err(&err);
		return;
	}
	CHECK(v >= 1 && v <= 9999);
	CHECK(memchr(t, '\0', sizeof(t)) != NULL);
	n = tws_enc_server_version(scratch, cap, v, t, &err);
	CHECK(n > 0);
	CHECK(tws_wire_decode_frame(scratch, (size_t)n, &fs2, &err) == n);
	CHECK(tws_wire_decode_server_version(&fs2, &v2, t2, &err) == 0);
	CHECK(v2 == v && strcmp(t2, t) == 0);
}

/* Re-encode a decoded server -> client message (every known id has an
 * encoder); 0 for an id without one. */
static ssize_t
reencode_in(const struct tws_in_msg *m, int sv, uint8_t *out, size_t cap,
    struct gw_err *err)
{
	switch (m->id) {
	case TWS_IN_NEXT_VALID_ID:
		return tws_enc_next_valid_id(out, cap, m->u.next_valid_id.order_id,
		    err);
	case TWS_IN_MANAGED_ACCOUNTS:
		return tws_enc_managed_accounts(out, cap,
		    m->u.managed_accounts.accounts.p, err);
	case TWS_IN_ERROR:
		return tws_enc_error(out, cap, sv, m->u.error.req_id,
		    m->u.error.code, m->u.error.text.p, m->u.error.time_ms, err);
	case TWS_IN_CURRENT_TIME:
		return tws_enc_current_time(out, cap, m->u.current_time.time, err);
	case TWS_IN_TICK_PRICE:
		return tws_enc_tick_price(out, cap, m->u.tick_price.req_id,
		    m->u.tick_price.tick_type, m->u.tick_price.price,
		    m->u.tick_price.size.p, m->u.tick_price.attr_mask, err);
	case TWS_IN_TICK_SIZE:
		return tws_enc_tick_size(out, cap, m->u.tick_size.req_id,
		    m->u.tick_size.tick_type, m->u.tick_size.size.p, err);
	case TWS_IN_MARKET_DATA_TYPE:
		return tws_enc_market_data_type(out, cap,
		    m->u.market_data_type.req_id, m->u.market_data_type.type, err);
	case TWS_IN_TICK_REQ_PARAMS:
		return tws_enc_tick_req_params(out, cap,
		    m->u.tick_req_params.req_id, m->u.tick_req_params.min_tick,
		    m->u.tick_req_params.bbo_exchange.p,
		    m->u.tick_req_params.snapshot_permissions, err);
	}
	return 0;
}

static int
same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static void
check_in_equal(const struct tws_in_msg *a, const struct tws_in_msg *b, int sv)
{
	CHECK(a->id == b->id && a->known == b->known);
	switch (a->id) {
	case TWS_IN_NEXT_VALID_ID:
		CHECK(a->u.next_valid_id.order_id == b->u.next_valid_id.order_id);
		break;
	case TWS_IN_MANAGED_ACCOUNTS:
		CHECK(field_eq(&a->u.managed_accounts.accounts,
		    &b->u.managed_accounts.accounts));
		break;
	case TWS_IN_ERROR:
		CHECK(a->u.error.req_id == b->u.error.req_id);
		CHECK(a->u.error.code == b->u.error.code);
		CHECK(field_eq(&a->u.error.text, &b->u.error.text));
		CHECK(b->u.error.advanced_json.len == 0);	/* we send "" */
		if (sv >= TWS_SV_ERROR_TIME)
			CHECK(a->u.error.time_ms == b->u.error.time_ms);
		else
			CHECK(a->u.error.time_ms == 0 && b->u.error.time_ms == 0);
		break;
	case TWS_IN_CURRENT_TIME:
		CHECK(a->u.current_time.time == b->u.current_time.time);
		break;
	case TWS_IN_TICK_PRICE:
		CHECK(a->u.tick_price.req_id == b->u.tick_price.req_id);
		CHECK(a->u.tick_price.tick_type == b->u.tick_price.tick_type);
		CHECK(same_double(a->u.tick_price.price, b->u.tick_price.price));
		CHECK(field_eq(&a->u.tick_price.size, &b->u.tick_price.size));
		CHECK(a->u.tick_price.attr_mask == b->u.tick_price.attr_mask);
		break;
	case TWS_IN_TICK_SIZE:
		CHECK(a->u.tick_size.req_id == b->u.tick_size.req_id);
		CHECK(a->u.tick_size.tick_type == b->u.tick_size.tick_type);
		CHECK(field_eq(&a->u.tick_size.size, &b->u.tick_size.size));
		break;
	case TWS_IN_MARKET_DATA_TYPE:
		CHECK(a->u.market_data_type.req_id == b->u.market_data_type.req_id);
		CHECK(a->u.market_data_type.type == b->u.market_data_type.type);
		break;
	case TWS_IN_TICK_REQ_PARAMS:
		CHECK(a->u.tick_req_params.req_id == b->u.tick_req_params.req_id);
		CHECK(same_double(a->u.tick_req_params.min_tick,
		    b->u.tick_req_params.min_tick));
		CHECK(field_eq(&a->u.tick_req_params.bbo_exchange,
		    &b->u.tick_req_params.bbo_exchange));
		CHECK(a->u.tick_req_params.snapshot_permissions ==
		    b->u.tick_req_params.snapshot_permissions);
		break;
	}
}

/* The decimal syntax a wire double must have: [+-] (d+[.d*] | .d+)
 * [(e|E)[+-]d+]. strtod alone also takes " 5", "0x1p3", "nan", "inf". */
static int
is_decimal(const struct tws_field *fld)
{
	const char *p = fld->p, *end = fld->p + fld->len;
	size_t d = 0;

	if (p < end && (*p == '+' || *p == '-'))
		p++;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		d++;
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			d++;
	if (d == 0)
		return 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p == end;
}

static void
check_in(const struct tws_fields *fs, int sv, uint8_t *scratch, size_t cap)
{
	static struct tws_fields fs2;
	struct tws_in_msg m, m2;
	struct gw_err err = { "" };
	ssize_t n;

	if (tws_wire_decode_in(fs, sv, &m, &err) < 0) {
		check_err(&err);
		return;
	}
	CHECK(m.id >= 0 && m.id <= 100000);
	CHECK(m.known == (strcmp(tws_in_name(m.id), "unknown") != 0));
	if (!m.known)
		return;
	switch (m.id) {
	case TWS_IN_MANAGED_ACCOUNTS:
		check_field(&m.u.managed_accounts.accounts);
		break;
	case TWS_IN_ERROR:
		check_field(&m.u.error.text);
		if (sv >= TWS_SV_ADVANCED_ORDER_REJECT)
			check_field(&m.u.error.advanced_json);
		CHECK(m.u.error.time_ms >= 0);
		break;
	case TWS_IN_TICK_PRICE:
		CHECK(isfinite(m.u.tick_price.price));
		CHECK(fs->f[4].len == 0 || is_decimal(&fs->f[4]));
		check_field(&m.u.tick_price.size);
		break;
	case TWS_IN_TICK_SIZE:
		check_field(&m.u.tick_size.size);
		break;
	case TWS_IN_TICK_REQ_PARAMS:
		CHECK(isfinite(m.u.tick_req_params.min_tick));
		CHECK(fs->f[2].len == 0 || is_decimal(&fs->f[2]));
		check_field(&m.u.tick_req_params.bbo_exchange);
		break;
	}
	n = reencode_in(&m, sv, scratch, cap, &err);
	CHECK(n > 0);	/* every decoded value is encodable */
	CHECK(tws_wire_decode_frame(scratch, (size_t)n, &fs2, &err) == n);
	CHECK(tws_wire_decode_in(&fs2, sv, &m2, &err) == 0);
	check_in_equal(&m, &m2, sv);
}

static void
check_out(const struct tws_fields *fs, int sv, uint8_t *scratch, size_t cap)
{
	static struct tws_fields fs2;
	struct tws_out_msg m, m2;
	struct tws_contract c;
	struct gw_err err = { "" };
	ssize_t n = 0;

	if (tws_wire_decode_out(fs, sv, &m, &err) < 0) {
		check_err(&err);
		return;
	}
	CHECK(m.known == (strcmp(tws_out_name(m.id), "unknown") != 0));
	switch (m.id) {
	case TWS_OUT_START_API:
		if (m.u.start_api.capabilities.p != NULL)
			check_field(&m.u.start_api.capabilities);
		n = tws_enc_start_api(scratch, cap, sv, m.u.start_api.client_id,
		    m.u.start_api.capabilities.p, &err);
		break;
	case TWS_OUT_REQ_CURRENT_TIME:
		n = tws_enc_req_current_time(scratch, cap, &err);
		break;
	case TWS_OUT_REQ_MARKET_DATA_TYPE:
		CHECK(m.u.req_market_data_type.type >= 1 &&
		    m.u.req_market_data_type.type <= 4);
		n = tws_enc_req_market_data_type(scratch, cap,
		    m.u.req_market_data_type.type, &err);
		break;
	case TWS_OUT_REQ_MKT_DATA:
		check_field(&m.u.req_mkt_data.symbol);
		check_field(&m.u.req_mkt_data.sec_type);
		check_field(&m.u.req_mkt_data.exchange);
		check_field(&m.u.req_mkt_data.currency);
		check_field(&m.u.req_mkt_data.generic_ticks);
		CHECK(m.u.req_mkt_data.snapshot == 0 || m.u.req_mkt_data.snapshot == 1);
		c.con_id = m.u.req_mkt_data.con_id;
		c.symbol = m.u.req_mkt_data.symbol.p;
		c.sec_type = m.u.req_mkt_data.sec_type.p;
		c.exchange = m.u.req_mkt_data.exchange.p;
		c.primary_exchange = "";
		c.currency = m.u.req_mkt_data.currency.p;
		n = tws_enc_req_mkt_data(scratch, cap, sv, m.u.req_mkt_data.req_id,
		    &c, m.u.req_mkt_data.generic_ticks.p, m.u.req_mkt_data.snapshot,
		    &err);
		if (strcmp(c.sec_type, "BAG") == 0) {
			CHECK(n == -1);
			return;
		}
		break;
	case TWS_OUT_CANCEL_MKT_DATA:
		n = tws_enc_cancel_mkt_data(scratch, cap, m.u.cancel_mkt_data.req_id,
		    &err);
		break;
	default:
		CHECK(!m.known);
		return;
	}
	CHECK(n > 0);
	CHECK(tws_wire_decode_frame(scratch, (size_t)n, &fs2, &err) == n);
	CHECK(tws_wire_decode_out(&fs2, sv, &m2, &err) == 0);
	CHECK(m2.id == m.id && m2.known);
	switch (m.id) {
	case TWS_OUT_START_API:
		CHECK(m2.u.start_api.client_id == m.u.start_api.client_id);
		if (sv >= TWS_SV_OPTIONAL_CAPABILITIES &&
		    m.u.start_api.capabilities.p != NULL)
			CHECK(field_eq(&m2.u.start_api.capabilities,
			    &m.u.start_api.capabilities));
		break;
	case TWS_OUT_REQ_MARKET_DATA_TYPE:
		CHECK(m2.u.req_market_data_type.type == m.u.req_market_data_type.type);
		break;
	case TWS_OUT_REQ_MKT_DATA:
		CHECK(m2.u.req_mkt_data.req_id == m.u.req_mkt_data.req_id);
		CHECK(m2.u.req_mkt_data.con_id == m.u.req_mkt_data.con_id);
		CHECK(field_eq(&m2.u.req_mkt_data.symbol, &m.u.req_mkt_data.symbol));
		CHECK(field_eq(&m2.u.req_mkt_data.sec_type,
		    &m.u.req_mkt_data.sec_type));
		CHECK(field_eq(&m2.u.req_mkt_data.exchange,
		    &m.u.req_mkt_data.exchange));
		CHECK(field_eq(&m2.u.req_mkt_data.currency,
		    &m.u.req_mkt_data.currency));
		CHECK(field_eq(&m2.u.req_mkt_data.generic_ticks,
		    &m.u.req_mkt_data.generic_ticks));
		CHECK(m2.u.req_mkt_data.snapshot == m.u.req_mkt_data.snapshot);
		break;
	case TWS_OUT_CANCEL_MKT_DATA:
		CHECK(m2.u.cancel_mkt_data.req_id == m.u.cancel_mkt_data.req_id);
		break;
	}
}

/* tws_field_ll against a slow reference: strtoll on a copy. */
static void
check_field_ll(const struct tws_field *fld)
{
	static const long long bounds[][2] = {
		{ LLONG_MIN, LLONG_MAX }, { 0, 100000 }, { -1000000, 1000000 },
		{ INT_MIN, INT_MAX }, { 1, 4 },
	};
	char tmp[32], *end;
	long long v, ref;
	size_t i, k;
	int ok, refok;

	if (fld->len >= sizeof(tmp))
		return;
	memcpy(tmp, fld->p, fld->len);
	tmp[fld->len] = '\0';
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		v = 12345;
		ok = tws_field_ll(fld, bounds[i][0], bounds[i][1], &v) == 0;
		if (fld->len == 0) {
			ref = 0;
			refok = 1;
		} else {
			/* Our syntax: optional sign, 1..19 digits, nothing else. */
			k = (tmp[0] == '-' || tmp[0] == '+') ? 1 : 0;
			refok = fld->len > k && fld->len - k <= 19 &&
			    strspn(tmp + k, "0123456789") == fld->len - k;
			ref = 0;
			if (refok) {
				errno = 0;
				ref = strtoll(tmp, &end, 10);
				refok = errno == 0 && *end == '\0';
			}
		}
		refok = refok && ref >= bounds[i][0] && ref <= bounds[i][1];
		CHECK(ok == refok);
		if (ok)
			CHECK(v == ref);
		else
			CHECK(v == 12345);
	}
}

static void
check_frames(const uint8_t *data, size_t size, uint8_t *scratch, size_t cap)
{
	static struct tws_fields fs;
	struct gw_err err;
	size_t off = 0, i, sum;
	ssize_t r;

	while (off < size) {
		err.msg[0] = '\0';
		r = tws_wire_decode_frame(data + off, size - off, &fs, &err);
		if (r < 0) {
			check_err(&err);
			return;
		}
		if (r == 0) {
			CHECK(err.msg[0] == '\0');
			return;
		}
		CHECK((size_t)r <= size - off && r > 4);
		CHECK((size_t)r == 4 + ((size_t)data[off] << 24 |
		    (size_t)data[off + 1] << 16 | (size_t)data[off + 2] << 8 |
		    data[off + 3]));
		CHECK(fs.n >= 1 && fs.n <= TWS_MAX_FIELDS);
		sum = 0;
		for (i = 0; i < fs.n; i++) {
			check_field(&fs.f[i]);
			CHECK((const uint8_t *)fs.f[i].p ==
			    data + off + 4 + sum);	/* contiguous, in order */
			sum += fs.f[i].len + 1;
		}
		CHECK(sum + 4 == (size_t)r);
		if (fs.n <= 4)
			for (i = 0; i < fs.n; i++)
				check_field_ll(&fs.f[i]);
		check_server_version(&fs, scratch, cap);
		for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
			check_in(&fs, versions[i], scratch, cap);
			check_out(&fs, versions[i], scratch, cap);
		}
		off += (size_t)r;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Re-encoding can grow a message: "" becomes "0", "+5" stays "5". */
	size_t cap = 2 * size + 4096;
	uint8_t *scratch = malloc(cap);
	struct tws_field raw;
	struct tws_hello h;
	struct gw_err err;
	ssize_t r;

	if (scratch == NULL)
		return 0;
	raw.p = (const char *)data;	/* tws_field_ll needs no terminator */
	raw.len = size < 24 ? size : 24;
	check_field_ll(&raw);
	check_hello(data, size, scratch, cap);
	r = tws_wire_decode_hello(data, size, &h, &err);
	/* A stream that is not (only) a hello is read as frames from byte 0. */
	if (r > 0)
		check_frames(data + r, size - (size_t)r, scratch, cap);
	check_frames(data, size, scratch, cap);
	free(scratch);
	return 0;
}
