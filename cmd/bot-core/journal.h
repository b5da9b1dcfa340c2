/*
 * journal: bot-core's durable order journal: one append-only file of JSON
 * lines (docs/bot-core.md, "The order journal"), one record a line, each
 * with its own timestamp (and a place record with its New York trading
 * day), so one file serves every day.
 *
 * The promise: a place record is appended, and fdatasync'd, BEFORE its
 * placeOrder leaves. A journal that has a place record for an intent says
 * "this intent may have reached the gateway": after a reconnect or a
 * restart (kill -9 included) bot-core reconciles it with the gateway
 * instead of sending it again. A record whose append did not return 0 was
 * never promised: the caller must not send its order.
 *
 * Two layers: a pure codec (journal_encode, journal_decode_line: strict,
 * fuzzed) and the file (journal_open replays and locks, journal_append
 * writes and syncs). The file's contents are trusted only as far as the
 * codec checks them: a bad line in the middle refuses the journal.
 *
 * TODO: compaction. The file grows by some hundred bytes per order event;
 * nothing rewrites it yet. The plan: at open, above a size, write the
 * records of orders without a final record plus today's records to a
 * temporary file, fsync it, rename it over the journal, fsync the
 * directory.
 */
#ifndef BOT_JOURNAL_H
#define BOT_JOURNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "gw_err.h"
#include "tws_order.h"

#define JOURNAL_LINE_MAX 4096		/* bytes of a line, LF included */
#define JOURNAL_INTENT_MAX 64		/* bytes of an intent id */
#define JOURNAL_WHY_MAX 255		/* bytes of final's why (UTF-8) */
#define JOURNAL_WHO_MAX 127		/* bytes of resume's who (UTF-8) */
#define JOURNAL_FILE_MAX (1L << 30)	/* a bigger journal is refused */

enum jrec_kind {
	JREC_PLACE = 1,		/* about to send placeOrder */
	JREC_STATUS,		/* an orderStatus */
	JREC_FILL,		/* an execDetails */
	JREC_COMMISSION,	/* a commissionReport */
	JREC_FINAL,		/* the order is done */
	JREC_RECONCILED,	/* a reconciliation with the gateway ended */
	JREC_RESUME,		/* the operator accepted a problem (ctl resume) */
};

enum jrec_final {
	JFINAL_FILLED = 1,
	JFINAL_CANCELLED,
	JFINAL_REJECTED,
	JFINAL_GONE,		/* not found at the gateway by reconciliation */
};

/*
 * One record. ts_ms: the caller's wall clock, milliseconds since the Unix
 * epoch, written as RFC 3339 UTC with milliseconds
 * ("2026-12-07T14:31:02.123Z"; 0 .. 9999-12-31T23:59:59.999Z). Texts are
 * NUL-terminated; "word" members are printable ASCII. Quantities are
 * decimal text as the wire carries them ("100", "0.5"); prices doubles
 * (finite). Members of another kind are ignored by the encoder and zero
 * after decoding.
 */
struct jrec {
	enum jrec_kind kind;
	long long ts_ms;
	union {
		struct {
			char day[11];		/* New York trading day yyyy-mm-dd */
			char intent[JOURNAL_INTENT_MAX + 1];	/* 1..64, word */
			char ref[TWS_ORD_REF];	/* orderRef, 1..79, word */
			long long order_id;	/* 1..2^31-1 */
			char account[TWS_ORD_STR];	/* 1..63, word */
			char symbol[TWS_ORD_STR];	/* 1..63, word */
			int side;		/* enum tws_action: "BUY"/"SELL" */
			char qty[TWS_ORD_QTY];	/* > 0 */
			int type;		/* enum tws_order_type: "MKT"/"LMT" */
			double lmt;		/* LMT only: > 0 */
			int tif;		/* TWS_TIF_DAY / GTC: "DAY"/"GTC" */
			int client_id;		/* the API client that placed
						 * it, 0..2^31-1; -1: not
						 * recorded (optional member) */
		} place;
		struct {
			long long order_id;
			char status[TWS_ORD_STR];	/* one of IB's (below) */
			char filled[TWS_ORD_QTY];	/* >= 0 */
			char remaining[TWS_ORD_QTY];	/* >= 0 */
			double avg_fill_price;
		} status;
		struct {
			long long order_id;
			char exec_id[TWS_ORD_STR];	/* 1..63, word */
			int side;		/* enum tws_action: "BOT"/"SLD" */
			char shares[TWS_ORD_QTY];	/* > 0 */
			double price;
			char time[TWS_ORD_STR];	/* the exec's, opaque; 0..63, word */
			char ref[TWS_ORD_REF];	/* its orderRef; 0..79, word */
		} fill;
		struct {
			char exec_id[TWS_ORD_STR];	/* 1..63, word */
			double commission;
			int has_realized_pnl;	/* realized_pnl written when 1 */
			double realized_pnl;
		} commission;
		struct {
			long long order_id;
			int state;		/* enum jrec_final */
			char why[JOURNAL_WHY_MAX + 1];	/* UTF-8, may be "" */
		} final;
		struct {
			long long orders;	/* 0..1e9 */
			long long fills_adopted;	/* 0..1e9 */
			int ok;			/* bool */
			long long problems;	/* 0..1e9 */
		} reconciled;
		struct {
			char who[JOURNAL_WHO_MAX + 1];	/* UTF-8, 1..127 bytes */
		} resume;
	} u;
};

/* The order statuses a status record may carry (IB's set, as orderStatus
 * sends them): PendingSubmit, PendingCancel, PreSubmitted, Submitted,
 * ApiPending, ApiCancelled, Cancelled, Filled, Inactive. */

/* "place", "status", ... or "?" for a value outside the enum. */
const char *journal_kind_name(int kind);

/*
 * One record as one compact JSON line with its LF into out (capacity cap,
 * NUL-terminated): "kind" first, then "ts", then the kind's members in the
 * order of the docs' tables. Returns the line's length (LF included), or
 * -1 with the reason naming the member when r breaks a rule above (bad
 * kind, ts out of range, a word that is empty, too long or not printable,
 * bad decimal text, a price that is not finite, ...) or the line does not
 * fit. why and who with bytes that are not UTF-8 are written with '?' for
 * those bytes (the gateway's texts are not ours to check). Pure.
 */
int journal_encode(const struct jrec *r, char *out, size_t cap,
    struct gw_err *err);

/*
 * Decode one line (without its LF) into *r. Strict: a JSON object whose
 * "kind" is known, every member of that kind present (realized_pnl and
 * lmt as the rules say) with its type and rule, nothing else. Returns 0,
 * or -1 with one line naming the member ("place: qty: '1x' is not a
 * decimal number", "status: filled: missing", "fill: side: 'BUY' is not
 * BOT or SLD", "kind: 'x' is not one of place, status, ...", "place:
 * unknown member 'y'") and *r zeroed. decode(encode(r)) gives r back. Pure.
 */
int journal_decode_line(const char *line, size_t len, struct jrec *r,
    struct gw_err *err);

/* --- the file --- */

struct journal;

/* Called by journal_open for each record, in file order; line is its line
 * number (from 1). Return 0, or -1 with a reason in err: journal_open then
 * fails with "journal PATH line N: reason". */
typedef int (*journal_replay_cb)(void *arg, const struct jrec *r,
    unsigned long line, struct gw_err *err);

struct journal_open_info {
	int created;			/* the file did not exist */
	unsigned long records;		/* replayed */
	off_t bytes;			/* the file's size after any cut */
	int torn;			/* a torn last line was cut off */
	unsigned long torn_line;	/* its line number */
	size_t torn_bytes;		/* bytes cut */
	char torn_why[GW_ERR_MAX];	/* "no end of line" or the decode error */
};

struct journal_stats {
	unsigned long appends;		/* records made durable */
	unsigned long failures;		/* appends that returned -1 */
	double last_sync_ms;		/* duration of the last fdatasync */
	double max_sync_ms;
	double total_sync_ms;		/* sum over appends */
};

/*
 * Open the journal at path: create it (mode 0600) and its missing
 * directories (0700) when needed, lock it (flock LOCK_EX|LOCK_NB: a
 * second opener fails "journal PATH: locked by another process"), read
 * it, and replay every record through cb (may be NULL). A torn last line
 * (no LF, or not decodable and last: a write cut by a crash, whose
 * promise was never made since its fsync did not return) is cut off with
 * ftruncate and reported in *info (may be NULL). A line that is not
 * decodable and is not the last refuses the journal ("journal PATH line
 * N: reason"): bot-core must not trade on it. A path that is not a
 * regular file is refused. Blocks on disk I/O. Returns the journal, or
 * NULL with the reason (naming the path).
 */
struct journal *journal_open(const char *path, journal_replay_cb cb,
    void *arg, struct journal_open_info *info, struct gw_err *err);

/*
 * Append one record: encode, write the whole line (looping on short
 * writes), fdatasync. Returns 0 once the record is durable. -1 with the
 * reason on any failure: the caller must not act on the record (for a
 * place record: not send the order; go to Strategy C). A failed write is
 * cut back off the file; after a failed fdatasync, or a cut that failed,
 * the journal refuses every later append (what is on disk is unknown:
 * restart bot-core, whose open reads what is there). Blocks on disk I/O.
 */
int journal_append(struct journal *j, const struct jrec *r,
    struct gw_err *err);

/*
 * Read the journal again from its start and pass every record through cb
 * (a second pass over a journal already opened, checked and cut by
 * journal_open; memory stays flat). A refusal of cb stops it: -1 with
 * "journal PATH line N: reason". Blocks on disk I/O.
 */
int journal_replay(struct journal *j, journal_replay_cb cb, void *arg,
    struct gw_err *err);

/* Counters and fdatasync durations since open. */
void journal_get_stats(const struct journal *j, struct journal_stats *out);

/* The path as given to journal_open. */
const char *journal_path(const struct journal *j);

/* Unlock and close; NULL-safe. */
void journal_close(struct journal *j);

#endif
