/*
 * tws_order: the order part of the TWS API wire protocol gwkit speaks
 * (docs/protocol.md, "Orders, positions, executions, account summary"):
 * plain stock orders (STK, MKT/LMT, DAY/GTC), their status, executions,
 * commission reports, positions and account-summary rows, in both
 * directions. bot-core uses the client encoders and the server-message
 * decoders; gw-sim the request decoders and the server encoders.
 *
 * Pure functions over byte buffers, built on tws_wire: decoders take a frame
 * already split by tws_wire_decode_frame and fill plain structs (strings are
 * copied into fixed arrays; a longer field is refused). Encoders write one
 * complete frame into out (capacity cap) and return its length, or -1 with
 * the reason in err. Decoders return 0, or -1 with a one-line reason naming
 * the message and field. Nothing blocks, allocates or keeps state.
 *
 * Layouts are those of negotiated server version 176. Each message accepts
 * the versions up to 176 at which its layout is the same (TWS_ORDER_SV_*);
 * any other version is refused with a clear error.
 */
#ifndef TWS_ORDER_H
#define TWS_ORDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gw_err.h"
#include "tws_wire.h"

/* The newest version gwkit speaks orders at, and the oldest at which each
 * layout below is unchanged (official ibapi server_versions.py). */
#define TWS_ORDER_SV_MAX 176
#define TWS_ORDER_SV_MIN 100		/* the simple requests and ends */
#define TWS_ORDER_SV_PLACE 169		/* MANUAL_ORDER_TIME: placeOrder, cancelOrder */
#define TWS_ORDER_SV_OPEN_ORDER 170	/* PEGBEST_PEGMID_OFFSETS */
#define TWS_ORDER_SV_ORDER_STATUS 131	/* MARKET_CAP_PRICE */
#define TWS_ORDER_SV_EXEC 136		/* LAST_LIQUIDITY */
#define TWS_ORDER_SV_DECODE_PLACE 145	/* ORDER_CONTAINER: no version field */

/* "Unset" for the doubles that have one (Java Double.MAX_VALUE). */
#define TWS_UNSET_DOUBLE 1.7976931348623157e308

#define TWS_ORD_STR 64		/* every text member, NUL included */
#define TWS_ORD_QTY 32		/* decimal quantity text, NUL included */
#define TWS_ORD_TEXT 256	/* warningText, whyHeld */
#define TWS_ORD_REF 80		/* orderRef: bot-core's "gwk:" + a 64-byte intent id */

/* Message ids, client -> server. */
enum {
	TWS_OUT_PLACE_ORDER = 3,
	TWS_OUT_CANCEL_ORDER = 4,
	TWS_OUT_REQ_OPEN_ORDERS = 5,
	TWS_OUT_REQ_EXECUTIONS = 7,
	TWS_OUT_REQ_IDS = 8,
	TWS_OUT_REQ_ALL_OPEN_ORDERS = 16,
	TWS_OUT_REQ_GLOBAL_CANCEL = 58,
	TWS_OUT_REQ_POSITIONS = 61,
	TWS_OUT_REQ_ACCOUNT_SUMMARY = 62,
	TWS_OUT_CANCEL_ACCOUNT_SUMMARY = 63,
	TWS_OUT_CANCEL_POSITIONS = 64,
};

/* Message ids, server -> client (61..64 differ from the client's!). */
enum {
	TWS_IN_ORDER_STATUS = 3,
	TWS_IN_OPEN_ORDER = 5,
	TWS_IN_EXEC_DETAILS = 11,
	TWS_IN_OPEN_ORDER_END = 53,
	TWS_IN_EXEC_DETAILS_END = 55,
	TWS_IN_COMMISSION_REPORT = 59,
	TWS_IN_POSITION = 61,
	TWS_IN_POSITION_END = 62,
	TWS_IN_ACCOUNT_SUMMARY = 63,
	TWS_IN_ACCOUNT_SUMMARY_END = 64,
};

enum tws_action { TWS_ACTION_BUY = 1, TWS_ACTION_SELL = 2 };
enum tws_order_type { TWS_ORDER_MKT = 1, TWS_ORDER_LMT = 2 };
/* TWS_TIF_UNSET only as decoded from a client that sent no tif. */
enum tws_tif { TWS_TIF_UNSET = 0, TWS_TIF_DAY = 1, TWS_TIF_GTC = 2 };

/* A plain stock order (secType STK is implied). lmt_price is used for LMT
 * only; a MKT order has has_lmt_price 0. total_quantity is decimal text
 * ("10", "0.5") as the wire carries it. */
struct tws_order {
	long long order_id;
	char symbol[TWS_ORD_STR];
	char exchange[TWS_ORD_STR];		/* "SMART" */
	char primary_exchange[TWS_ORD_STR];	/* may be "" */
	char currency[TWS_ORD_STR];		/* "USD" */
	int action;				/* enum tws_action */
	char total_quantity[TWS_ORD_QTY];
	int order_type;				/* enum tws_order_type */
	int has_lmt_price;
	double lmt_price;
	int tif;				/* enum tws_tif */
	char order_ref[TWS_ORD_REF];
	char account[TWS_ORD_STR];
	int transmit;				/* 1: send to IB */
	int outside_rth;
};

/* orderStatus (incoming 3). Quantities as decimal text. */
struct tws_order_status {
	long long order_id;
	char status[TWS_ORD_STR];	/* "Submitted", "Filled", ... */
	char filled[TWS_ORD_QTY];
	char remaining[TWS_ORD_QTY];
	double avg_fill_price;
	long long perm_id;
	long long parent_id;
	double last_fill_price;
	int client_id;
	char why_held[TWS_ORD_TEXT];
	double mkt_cap_price;
};

/* openOrder (incoming 5): the order as the server sees it. The server-side
 * fields that gwkit does not use are sent as a real server sends them for
 * a plain stock order and skipped when decoding. o.primary_exchange and
 * o.transmit are not part of the message (decoded as "" and 0); aux price
 * is always 0. commission, min/max are TWS_UNSET_DOUBLE until a fill. */
struct tws_open_order {
	struct tws_order o;
	long long con_id;
	char local_symbol[TWS_ORD_STR];
	char trading_class[TWS_ORD_STR];
	int client_id;
	long long perm_id;
	char status[TWS_ORD_STR];
	double commission;
	char commission_currency[TWS_ORD_STR];
	char warning_text[TWS_ORD_TEXT];
};

/* execDetails (incoming 11); req_id -1 when pushed by a fill. */
struct tws_execution {
	long long req_id;
	long long order_id;
	long long con_id;
	char symbol[TWS_ORD_STR];
	char sec_type[TWS_ORD_STR];
	char exchange[TWS_ORD_STR];		/* the contract's */
	char currency[TWS_ORD_STR];
	char local_symbol[TWS_ORD_STR];
	char trading_class[TWS_ORD_STR];
	char exec_id[TWS_ORD_STR];
	char time[TWS_ORD_STR];			/* opaque: "20261204  14:02:59" */
	char account[TWS_ORD_STR];
	char exec_exchange[TWS_ORD_STR];
	char side[TWS_ORD_STR];			/* "BOT" / "SLD" */
	char shares[TWS_ORD_QTY];
	double price;
	long long perm_id;
	int client_id;
	int liquidation;
	char cum_qty[TWS_ORD_QTY];
	double avg_price;
	char order_ref[TWS_ORD_REF];
	char ev_rule[TWS_ORD_STR];
	double ev_multiplier;
	char model_code[TWS_ORD_STR];
	int last_liquidity;
};

/* commissionReport (incoming 59): joined to its execution by exec_id.
 * realized_pnl and yield are TWS_UNSET_DOUBLE when none. */
struct tws_commission {
	char exec_id[TWS_ORD_STR];
	double commission;
	char currency[TWS_ORD_STR];
	double realized_pnl;
	double yield;
	int yield_redemption_date;	/* yyyymmdd, 0 when none */
};

/* position (incoming 61); position is decimal text, negative = short. */
struct tws_position {
	char account[TWS_ORD_STR];
	long long con_id;
	char symbol[TWS_ORD_STR];
	char sec_type[TWS_ORD_STR];
	char exchange[TWS_ORD_STR];
	char currency[TWS_ORD_STR];
	char local_symbol[TWS_ORD_STR];
	char trading_class[TWS_ORD_STR];
	char position[TWS_ORD_QTY];
	double avg_cost;
};

/* accountSummary (incoming 63): one (account, tag) value as text. */
struct tws_account_value {
	long long req_id;
	char account[TWS_ORD_STR];
	char tag[TWS_ORD_STR];
	char value[TWS_ORD_STR];
	char currency[TWS_ORD_STR];	/* "" for non-money tags */
};

/* A decoded order request (what gw-sim receives). */
struct tws_order_req {
	int id;		/* TWS_OUT_* */
	union {
		struct tws_order place;		/* PLACE_ORDER */
		long long order_id;		/* CANCEL_ORDER */
		int num_ids;			/* REQ_IDS */
		struct {
			long long req_id;
			char group[TWS_ORD_STR];
			char tags[TWS_ORD_TEXT];
		} account_summary;		/* REQ_ACCOUNT_SUMMARY */
		long long req_id;		/* CANCEL_ACCOUNT_SUMMARY, REQ_EXECUTIONS */
	} u;
};

/* A decoded server message (what bot-core receives). */
struct tws_order_in {
	int id;		/* TWS_IN_* */
	union {
		struct tws_order_status status;
		struct tws_open_order open_order;
		struct tws_execution exec;
		struct tws_commission commission;
		struct tws_position position;
		struct tws_account_value account_value;
		long long req_id;	/* EXEC_DETAILS_END, ACCOUNT_SUMMARY_END */
	} u;
};

/* --- client -> server encoders (bot-core) --- */

/* placeOrder as IB's own client sends it: the 115 fields and defaults of
 * the official Python client at sv 169..176. Refuses an incomplete order,
 * a LMT without a finite positive price, a bad quantity. */
ssize_t tws_enc_place_order(uint8_t *out, size_t cap, int server_version,
    const struct tws_order *o, struct gw_err *err);
ssize_t tws_enc_cancel_order(uint8_t *out, size_t cap, int server_version,
    long long order_id, struct gw_err *err);
ssize_t tws_enc_req_open_orders(uint8_t *out, size_t cap, int server_version,
    struct gw_err *err);
ssize_t tws_enc_req_all_open_orders(uint8_t *out, size_t cap,
    int server_version, struct gw_err *err);
/* num_ids is ignored by servers; the official sample sends -1. */
ssize_t tws_enc_req_ids(uint8_t *out, size_t cap, int server_version,
    int num_ids, struct gw_err *err);
ssize_t tws_enc_req_positions(uint8_t *out, size_t cap, int server_version,
    struct gw_err *err);
ssize_t tws_enc_cancel_positions(uint8_t *out, size_t cap, int server_version,
    struct gw_err *err);
/* group "All" or an FA group; tags comma-separated. */
ssize_t tws_enc_req_account_summary(uint8_t *out, size_t cap,
    int server_version, long long req_id, const char *group, const char *tags,
    struct gw_err *err);
ssize_t tws_enc_cancel_account_summary(uint8_t *out, size_t cap,
    int server_version, long long req_id, struct gw_err *err);
/* With an empty filter (every execution since midnight). */
ssize_t tws_enc_req_executions(uint8_t *out, size_t cap, int server_version,
    long long req_id, struct gw_err *err);
ssize_t tws_enc_req_global_cancel(uint8_t *out, size_t cap,
    int server_version, struct gw_err *err);

/* --- server-side decoder (gw-sim) --- */

/* Decode one client frame that is an order request (ids TWS_OUT_* above).
 * placeOrder is read liberally (the official defaults or empty fields,
 * any count from 28 fields on; unset lmtPrice as "", 0 or MAX); the others
 * need their exact field count. Returns 1 when f is not an order request
 * (r->id set, nothing else), 0 when decoded, -1 when malformed. */
int tws_order_decode_req(const struct tws_fields *f, int server_version,
    struct tws_order_req *r, struct gw_err *err);

/* --- server -> client encoders (gw-sim) --- */
ssize_t tws_enc_order_status(uint8_t *out, size_t cap, int server_version,
    const struct tws_order_status *s, struct gw_err *err);
/* The full 136-field sequence, with "None" in deltaNeutralOrderType and
 * adjustedOrderType and the 8 delta-neutral fields, as real servers send. */
ssize_t tws_enc_open_order(uint8_t *out, size_t cap, int server_version,
    const struct tws_open_order *oo, struct gw_err *err);
ssize_t tws_enc_open_order_end(uint8_t *out, size_t cap, int server_version,
    struct gw_err *err);
ssize_t tws_enc_exec_details(uint8_t *out, size_t cap, int server_version,
    const struct tws_execution *x, struct gw_err *err);
ssize_t tws_enc_exec_details_end(uint8_t *out, size_t cap, int server_version,
    long long req_id, struct gw_err *err);
ssize_t tws_enc_commission_report(uint8_t *out, size_t cap,
    int server_version, const struct tws_commission *c, struct gw_err *err);
ssize_t tws_enc_position(uint8_t *out, size_t cap, int server_version,
    const struct tws_position *p, struct gw_err *err);
ssize_t tws_enc_position_end(uint8_t *out, size_t cap, int server_version,
    struct gw_err *err);
ssize_t tws_enc_account_summary(uint8_t *out, size_t cap, int server_version,
    const struct tws_account_value *v, struct gw_err *err);
ssize_t tws_enc_account_summary_end(uint8_t *out, size_t cap,
    int server_version, long long req_id, struct gw_err *err);

/* --- client-side decoder (bot-core) --- */

/* Decode one server frame that is an order message (TWS_IN_* above).
 * orderStatus, openOrder, execDetails, commissionReport and position accept
 * extra trailing fields (newer servers append); the end messages and
 * accountSummary need their exact count, as the official client does.
 * Returns 1 when f is not an order message (m->id set), 0 when decoded,
 * -1 when malformed. */
int tws_order_decode_in(const struct tws_fields *f, int server_version,
    struct tws_order_in *m, struct gw_err *err);

#endif
