/*
 * libFuzzer target for lib/tws_order. The input is a byte stream of frames
 * as a socket would deliver it. Every frame is decoded by both order
 * decoders (as a client request, as a server message) at several server
 * versions; whatever decodes is encoded again, and when the encoder accepts
 * it (it refuses some values a peer may send, e.g. a zero quantity) the new
 * frame must decode to the same struct. Any broken invariant traps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tws_order.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const int versions[] = { 100, 131, 145, 169, 170, 176, 177 };

static uint8_t out[1 << 16];
static struct tws_fields fs2;	/* large: keep off the stack */

static void
check_err(const struct gw_err *err)
{
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(err->msg[0] != '\0');
	CHECK(strchr(err->msg, '\n') == NULL);
}

/* The frame in out[0..n) splits and holds nothing more. */
static const struct tws_fields *
resplit(ssize_t n)
{
	struct gw_err err = { "" };

	CHECK(n > 4);
	CHECK(tws_wire_decode_frame(out, (size_t)n, &fs2, &err) == n);
	return &fs2;
}

static ssize_t
reenc_req(const struct tws_order_req *r, int sv, struct gw_err *err)
{
	const size_t cap = sizeof(out);

	switch (r->id) {
	case TWS_OUT_PLACE_ORDER:
		return tws_enc_place_order(out, cap, sv, &r->u.place, err);
	case TWS_OUT_CANCEL_ORDER:
		return tws_enc_cancel_order(out, cap, sv, r->u.order_id, err);
	case TWS_OUT_REQ_OPEN_ORDERS:
		return tws_enc_req_open_orders(out, cap, sv, err);
	case TWS_OUT_REQ_ALL_OPEN_ORDERS:
		return tws_enc_req_all_open_orders(out, cap, sv, err);
	case TWS_OUT_REQ_IDS:
		return tws_enc_req_ids(out, cap, sv, r->u.num_ids, err);
	case TWS_OUT_REQ_POSITIONS:
		return tws_enc_req_positions(out, cap, sv, err);
	case TWS_OUT_CANCEL_POSITIONS:
		return tws_enc_cancel_positions(out, cap, sv, err);
	case TWS_OUT_REQ_ACCOUNT_SUMMARY:
		return tws_enc_req_account_summary(out, cap, sv,
		    r->u.account_summary.req_id, r->u.account_summary.group,
		    r->u.account_summary.tags, err);
	case TWS_OUT_CANCEL_ACCOUNT_SUMMARY:
		return tws_enc_cancel_account_summary(out, cap, sv, r->u.req_id,
		    err);
	case TWS_OUT_REQ_EXECUTIONS:
		return tws_enc_req_executions(out, cap, sv, r->u.req_id, err);
	case TWS_OUT_REQ_GLOBAL_CANCEL:
		return tws_enc_req_global_cancel(out, cap, sv, err);
	}
	__builtin_trap();
}

static ssize_t
reenc_in(const struct tws_order_in *m, int sv, struct gw_err *err)
{
	const size_t cap = sizeof(out);

	switch (m->id) {
	case TWS_IN_ORDER_STATUS:
		return tws_enc_order_status(out, cap, sv, &m->u.status, err);
	case TWS_IN_OPEN_ORDER:
		return tws_enc_open_order(out, cap, sv, &m->u.open_order, err);
	case TWS_IN_EXEC_DETAILS:
		return tws_enc_exec_details(out, cap, sv, &m->u.exec, err);
	case TWS_IN_OPEN_ORDER_END:
		return tws_enc_open_order_end(out, cap, sv, err);
	case TWS_IN_EXEC_DETAILS_END:
		return tws_enc_exec_details_end(out, cap, sv, m->u.req_id, err);
	case TWS_IN_COMMISSION_REPORT:
		return tws_enc_commission_report(out, cap, sv, &m->u.commission,
		    err);
	case TWS_IN_POSITION:
		return tws_enc_position(out, cap, sv, &m->u.position, err);
	case TWS_IN_POSITION_END:
		return tws_enc_position_end(out, cap, sv, err);
	case TWS_IN_ACCOUNT_SUMMARY:
		return tws_enc_account_summary(out, cap, sv, &m->u.account_value,
		    err);
	case TWS_IN_ACCOUNT_SUMMARY_END:
		return tws_enc_account_summary_end(out, cap, sv, m->u.req_id, err);
	}
	__builtin_trap();
}

static void
check_frame(const struct tws_fields *f)
{
	static struct tws_order_req r, r2;
	static struct tws_order_in m, m2;
	struct gw_err err;
	size_t v;
	ssize_t n;
	int rc;

	for (v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		err.msg[0] = '\0';
		rc = tws_order_decode_req(f, versions[v], &r, &err);
		if (rc < 0) {
			check_err(&err);
		} else if (rc == 0) {
			err.msg[0] = '\0';
			n = reenc_req(&r, versions[v], &err);
			if (n < 0) {
				check_err(&err);
			} else {
				CHECK(tws_order_decode_req(resplit(n), versions[v],
				    &r2, &err) == 0);
				CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
			}
		}
		err.msg[0] = '\0';
		rc = tws_order_decode_in(f, versions[v], &m, &err);
		if (rc < 0) {
			check_err(&err);
		} else if (rc == 0) {
			err.msg[0] = '\0';
			n = reenc_in(&m, versions[v], &err);
			if (n < 0) {
				check_err(&err);
			} else {
				CHECK(tws_order_decode_in(resplit(n), versions[v],
				    &m2, &err) == 0);
				CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
			}
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tws_fields fs;
	struct gw_err err;
	ssize_t n;

	while (size > 0) {
		err.msg[0] = '\0';
		n = tws_wire_decode_frame(data, size, &fs, &err);
		if (n <= 0)
			break;
		check_frame(&fs);
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
