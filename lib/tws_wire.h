/*
 * tws_wire: encoders and decoders for the subset of the TWS API socket
 * protocol gwkit speaks (see docs/protocol.md). Pure functions over
 * byte buffers: no I/O, no allocation, no globals. Input is untrusted.
 *
 * Decoders return the number of bytes consumed, 0 when more bytes are
 * needed, or -1 when the input is malformed (reason in err). Encoders write
 * one complete wire message into out (capacity cap) and return its length,
 * or -1 (reason in err) when it does not fit or an argument is invalid.
 */
#ifndef TWS_WIRE_H
#define TWS_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gw_err.h"

#define TWS_MAX_MSG_LEN 0xFFFFFFu	/* official ibapi const.py MAX_MSG_LEN */
#define TWS_MAX_FIELDS 512		/* more than any message we decode */
#define TWS_MAX_HELLO_LEN 1024		/* "v100..176 +opts"; real ones are < 64 */
#define TWS_SERVER_VERSION_TIME_LEN 64

/* Versions that change layouts (official ibapi server_versions.py). */
#define TWS_SV_OPTIONAL_CAPABILITIES 72
#define TWS_SV_REQ_SMART_COMPONENTS 114
#define TWS_SV_ADVANCED_ORDER_REJECT 166
#define TWS_SV_ERROR_TIME 194
#define TWS_SV_PROTOBUF 201

/* Message ids, server -> client. */
enum {
	TWS_IN_TICK_PRICE = 1,
	TWS_IN_TICK_SIZE = 2,
	TWS_IN_ERROR = 4,
	TWS_IN_NEXT_VALID_ID = 9,
	TWS_IN_MANAGED_ACCOUNTS = 15,
	TWS_IN_CURRENT_TIME = 49,
	TWS_IN_MARKET_DATA_TYPE = 58,
	TWS_IN_TICK_REQ_PARAMS = 81,
};

/* Message ids, client -> server. */
enum {
	TWS_OUT_REQ_MKT_DATA = 1,
	TWS_OUT_CANCEL_MKT_DATA = 2,
	TWS_OUT_REQ_CURRENT_TIME = 49,
	TWS_OUT_REQ_MARKET_DATA_TYPE = 59,
	TWS_OUT_START_API = 71,
};

/* A field inside a decoded frame: points into the caller's buffer and is
 * NUL-terminated there (every wire field ends with NUL), so p is a C string
 * valid as long as that buffer is. */
struct tws_field {
	const char *p;
	size_t len;
};

struct tws_fields {
	size_t n;
	struct tws_field f[TWS_MAX_FIELDS];
};

/* The client's first bytes: "API\0" + length-prefixed "v<min>..<max>[ opts]". */
struct tws_hello {
	int min_version;
	int max_version;
	char options[256];	/* text after the first space, truncated */
};

/* Decoded server -> client message. String members point into the frame. */
struct tws_in_msg {
	int id;			/* message id; unknown ids decode with known=0 */
	int known;
	union {
		struct { long long order_id; } next_valid_id;
		struct { struct tws_field accounts; } managed_accounts;
		struct {
			long long req_id;
			int code;
			struct tws_field text;
			struct tws_field advanced_json;
			long long time_ms;	/* 0 when absent */
		} error;
		struct { long long time; } current_time;
		struct {
			long long req_id;
			int tick_type;
			double price;
			struct tws_field size;
			int attr_mask;
		} tick_price;
		struct {
			long long req_id;
			int tick_type;
			struct tws_field size;
		} tick_size;
		struct {
			long long req_id;
			int type;
		} market_data_type;
		struct {
			long long req_id;
			double min_tick;
			struct tws_field bbo_exchange;
			int snapshot_permissions;
		} tick_req_params;
	} u;
};

struct tws_contract {
	long long con_id;
	const char *symbol;
	const char *sec_type;		/* "STK" */
	const char *exchange;		/* "SMART" */
	const char *primary_exchange;	/* may be "" */
	const char *currency;		/* "USD" */
};

/* Decoded client -> server message (what gw-sim receives). */
struct tws_out_msg {
	int id;
	int known;
	union {
		struct {
			int client_id;
			struct tws_field capabilities;
		} start_api;
		struct { int type; } req_market_data_type;
		struct {
			long long req_id;
			long long con_id;
			struct tws_field symbol;
			struct tws_field sec_type;
			struct tws_field exchange;
			struct tws_field currency;
			struct tws_field generic_ticks;
			int snapshot;
		} req_mkt_data;
		struct { long long req_id; } cancel_mkt_data;
	} u;
};

/* --- building blocks for the message codecs (tws_wire's, tws_order's) ---
 *
 * A frame under construction in a caller buffer: the 4-byte length, then
 * NUL-terminated fields. Overflow and a bad argument are sticky and reported
 * once by tws_enc_end, which writes the length and returns the frame's size
 * (or -1 with err naming what). */
struct tws_enc {
	uint8_t *out;
	size_t cap;
	size_t len;
	int overflow;
	const char *bad;	/* an argument that cannot be encoded */
};

void tws_enc_begin(struct tws_enc *e, uint8_t *out, size_t cap);
/* One field of n bytes (no NUL among them) and its terminator. */
void tws_enc_field(struct tws_enc *e, const char *p, size_t n);
ssize_t tws_enc_end(struct tws_enc *e, const char *what, struct gw_err *err);

/* A field-reading cursor over a decoded frame. The first error sticks in
 * err ("<msg>: field <name>: \"<value>\" <why>" or "<msg>: missing field
 * <name> (message has N fields)"); after it every read returns NULL / 0. */
struct tws_cur {
	const struct tws_fields *f;
	size_t i;
	const char *msg;
	struct gw_err *err;
	int failed;
};

void tws_cur_init(struct tws_cur *c, const struct tws_fields *f,
    const char *msg, struct gw_err *err);
const struct tws_field *tws_cur_next(struct tws_cur *c, const char *name);
void tws_cur_fail(struct tws_cur *c, const char *name,
    const struct tws_field *fld, const char *why);
/* Strict decimal in [min, max] ("" is 0). */
long long tws_cur_ll(struct tws_cur *c, const char *name, long long min,
    long long max);
/* A wire number ("" is 0): no white space, hex, nan or inf. */
double tws_cur_double(struct tws_cur *c, const char *name);

/* --- framing --- */

/* Decode the client hello at the start of a connection. Returns bytes
 * consumed, 0 for more, -1 when it is not a valid V100+ hello. */
ssize_t tws_wire_decode_hello(const uint8_t *buf, size_t len,
    struct tws_hello *out, struct gw_err *err);

/* Decode one length-prefixed frame into NUL-terminated fields. Returns bytes
 * consumed (4 + payload), 0 for more, -1 when malformed: length above
 * TWS_MAX_MSG_LEN (checked before anything else), empty payload, last field
 * not NUL-terminated, more than TWS_MAX_FIELDS fields. */
ssize_t tws_wire_decode_frame(const uint8_t *buf, size_t len,
    struct tws_fields *out, struct gw_err *err);

/* Interpret a decoded frame as the server's first reply: exactly two fields,
 * server version (1..9999) and connection time. */
int tws_wire_decode_server_version(const struct tws_fields *f, int *version,
    char time[TWS_SERVER_VERSION_TIME_LEN], struct gw_err *err);

/* Interpret a decoded frame sent by the server. The layout of some messages
 * (error) depends on the negotiated server_version. */
int tws_wire_decode_in(const struct tws_fields *f, int server_version,
    struct tws_in_msg *m, struct gw_err *err);

/* Interpret a decoded frame sent by a client. */
int tws_wire_decode_out(const struct tws_fields *f, int server_version,
    struct tws_out_msg *m, struct gw_err *err);

/* Strict decimal integer of a field in [min, max]; "" is 0 (unset). */
int tws_field_ll(const struct tws_field *fld, long long min, long long max,
    long long *out);

/* --- client -> server encoders --- */
ssize_t tws_enc_hello(uint8_t *out, size_t cap, int min_version,
    int max_version, const char *options, struct gw_err *err);
ssize_t tws_enc_start_api(uint8_t *out, size_t cap, int server_version,
    int client_id, const char *capabilities, struct gw_err *err);
ssize_t tws_enc_req_current_time(uint8_t *out, size_t cap, struct gw_err *err);
ssize_t tws_enc_req_market_data_type(uint8_t *out, size_t cap, int type,
    struct gw_err *err);
ssize_t tws_enc_req_mkt_data(uint8_t *out, size_t cap, int server_version,
    long long req_id, const struct tws_contract *c, const char *generic_ticks,
    int snapshot, struct gw_err *err);
ssize_t tws_enc_cancel_mkt_data(uint8_t *out, size_t cap, long long req_id,
    struct gw_err *err);

/* --- server -> client encoders --- */
ssize_t tws_enc_server_version(uint8_t *out, size_t cap, int version,
    const char *conn_time, struct gw_err *err);
ssize_t tws_enc_managed_accounts(uint8_t *out, size_t cap,
    const char *accounts, struct gw_err *err);
ssize_t tws_enc_next_valid_id(uint8_t *out, size_t cap, long long order_id,
    struct gw_err *err);
/* time_ms is sent only at server_version >= TWS_SV_ERROR_TIME. */
ssize_t tws_enc_error(uint8_t *out, size_t cap, int server_version,
    long long req_id, int code, const char *text, long long time_ms,
    struct gw_err *err);
ssize_t tws_enc_current_time(uint8_t *out, size_t cap, long long t,
    struct gw_err *err);
ssize_t tws_enc_tick_price(uint8_t *out, size_t cap, long long req_id,
    int tick_type, double price, const char *size, int attr_mask,
    struct gw_err *err);
ssize_t tws_enc_tick_size(uint8_t *out, size_t cap, long long req_id,
    int tick_type, const char *size, struct gw_err *err);
ssize_t tws_enc_tick_req_params(uint8_t *out, size_t cap, long long req_id,
    double min_tick, const char *bbo_exchange, int snapshot_permissions,
    struct gw_err *err);
ssize_t tws_enc_market_data_type(uint8_t *out, size_t cap, long long req_id,
    int type, struct gw_err *err);

/* Name of a message id for logs ("nextValidId"), "unknown" otherwise. */
/* A double as the official clients print it (Python repr): the fewest
 * significant digits that read back the same, in fixed notation with a
 * decimal point ("0.0", "500.0", "500.12") unless the exponent is below -4
 * or above 15 ("1e-05", "1e+16"). -1 for NaN, infinities or no room. */
int tws_fmt_double(char *dst, size_t dstsz, double v);

const char *tws_in_name(int id);
const char *tws_out_name(int id);

#endif
