/*
 * tws-client: a scriptable TWS API order client, for tests and benchmarks
 * (not installed). It connects to a gateway (gw-sim) with lib/tws_session,
 * runs a script of JSON-line commands from stdin one at a time, and prints
 * every order-related message it receives as one compact JSON line on
 * stdout. Requests are encoded with lib/tws_order's client encoders and
 * messages decoded with tws_order_decode_in: it is their first consumer on
 * the wire. Bytes from the gateway and the script are untrusted.
 *
 *   tws-client --port P [--host 127.0.0.1] [--client-id N] [--timeout S]
 *
 * Output: {"ev":"ready",...} first, then one line per message; every line
 * has "ev" first and "t_us" (microseconds since start, monotonic) second.
 * Script (one JSON object per line; blank lines and '#' lines ignored):
 * place, cancel, open_orders, all_open_orders, ids, positions,
 * cancel_positions, account_summary, cancel_account_summary, executions,
 * global_cancel, time, wait, quit (tests/helpers/README.md).
 * Exit: 0 done (quit or end of input), 2 connect failed, 3 a wait timed
 * out, 4 session lost, 64 usage or script error.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "gw_err.h"
#include "opt.h"
#include "tws_order.h"
#include "tws_session.h"
#include "tws_wire.h"

#define PROG		"tws-client"
#define MAX_LINE	65536		/* a script line, newline excluded */
#define MAX_HISTORY	65536		/* lines kept for the next wait */
#define FRAME_CAP	8192		/* placeOrder is ~115 short fields */

enum { EXIT_CONNECT = 2, EXIT_WAIT = 3, EXIT_LOST = 4 };

struct opts {
	const char *host;
	long port;
	long client_id;
	double timeout;		/* seconds */
	int stop;
};

struct ctx {
	struct opts o;
	struct event_base *base;
	struct tws_session *sess;
	int64_t t0_ns;
	int ready;
	int finished;
	int exit_code;

	/* the script */
	struct evbuffer *in;
	struct event *stdin_ev;
	struct event *resume_ev;	/* run the script from the loop */
	int in_eof;
	int script_ended;
	long line_no;
	long long next_id;
	int have_next_id;

	/* output: lines held until ready, lines since the last wait ended */
	json_t *held;
	json_t *history;

	/* the wait in progress */
	int waiting;
	long wait_line;
	double wait_secs;
	char *wait_ev;
	json_t *wait_match;
	struct event *wait_timer;

	struct tws_order_in msg;	/* decode scratch (10 KiB) */
};

static void script_run(struct ctx *c);

/* --- output --- */

static void
finish(struct ctx *c, int code)
{
	if (c->finished)
		return;
	c->finished = 1;
	c->exit_code = code;
	if (c->sess != NULL) {
		if (tws_session_is_ready(c->sess))
			tws_session_flush(c->sess);
		tws_session_close(c->sess);
	}
	event_base_loopbreak(c->base);
}

static json_t *
line_new(struct ctx *c, const char *ev)
{
	json_t *o = json_object();

	if (o == NULL)
		errx(EX_OSERR, "out of memory");
	json_object_set_new(o, "ev", json_string(ev));
	json_object_set_new(o, "t_us",
	    json_integer((json_int_t)((clock_mono_ns() - c->t0_ns) / 1000)));
	return o;
}

/* Text from the wire may not be UTF-8: then it is shown quoted ('?'). */
static void
set_strn(json_t *o, const char *key, const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);

	if (v == NULL) {
		char q[TWS_ORD_TEXT + 4];

		gw_err_quote(q, sizeof(q), s, n);
		v = json_string(q);
	}
	json_object_set_new(o, key, v);
}

static void
set_str(json_t *o, const char *key, const char *s)
{
	set_strn(o, key, s, strlen(s));
}

static void
set_int(json_t *o, const char *key, long long v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void
set_real(json_t *o, const char *key, double v)
{
	json_object_set_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

/* Numbers compare by value (101 matches 101.0); the rest with json_equal. */
static int
member_equal(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

static int
wait_matches(const struct ctx *c, json_t *line)
{
	const char *ev = json_string_value(json_object_get(line, "ev"));
	const char *key;
	json_t *want;

	if (ev == NULL || strcmp(ev, c->wait_ev) != 0)
		return 0;
	json_object_foreach(c->wait_match, key, want) {
		json_t *got = json_object_get(line, key);

		if (got == NULL || !member_equal(got, want))
			return 0;
	}
	return 1;
}

static void
wait_end(struct ctx *c)
{
	c->waiting = 0;
	evtimer_del(c->wait_timer);
	free(c->wait_ev);
	c->wait_ev = NULL;
	json_decref(c->wait_match);
	c->wait_match = NULL;
	json_array_clear(c->history);
	event_active(c->resume_ev, EV_TIMEOUT, 0);
}

static void
print_line(struct ctx *c, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(15));

	if (s == NULL)
		errx(EX_OSERR, "out of memory");
	fputs(s, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	free(s);
	if (c->waiting && wait_matches(c, o)) {
		json_decref(o);
		wait_end(c);
		return;
	}
	if (json_array_size(c->history) >= MAX_HISTORY)
		json_array_clear(c->history);	/* a bench without waits */
	json_array_append_new(c->history, o);
}

/* Print (taking o), or hold it until the ready line is out. */
static void
emit(struct ctx *c, json_t *o)
{
	if (!c->ready) {
		json_array_append_new(c->held, o);
		return;
	}
	print_line(c, o);
}

static void
flush_held(struct ctx *c)
{
	size_t i;
	json_t *o;

	json_array_foreach(c->held, i, o)
		print_line(c, json_incref(o));
	json_array_clear(c->held);
}

/* --- messages from the gateway --- */

static const char *
action_name(int a)
{
	return a == TWS_ACTION_BUY ? "BUY" : a == TWS_ACTION_SELL ? "SELL" : "";
}

static const char *
type_name(int t)
{
	return t == TWS_ORDER_MKT ? "MKT" : t == TWS_ORDER_LMT ? "LMT" : "";
}

static const char *
tif_name(int t)
{
	return t == TWS_TIF_DAY ? "DAY" : t == TWS_TIF_GTC ? "GTC" : "";
}

static json_t *
order_line(struct ctx *c, const struct tws_order_in *m)
{
	json_t *o;

	switch (m->id) {
	case TWS_IN_ORDER_STATUS: {
		const struct tws_order_status *s = &m->u.status;

		o = line_new(c, "order_status");
		set_int(o, "id", s->order_id);
		set_str(o, "status", s->status);
		set_str(o, "filled", s->filled);
		set_str(o, "remaining", s->remaining);
		set_real(o, "avg_fill_price", s->avg_fill_price);
		set_int(o, "perm_id", s->perm_id);
		set_int(o, "parent_id", s->parent_id);
		set_real(o, "last_fill_price", s->last_fill_price);
		set_int(o, "client_id", s->client_id);
		set_str(o, "why_held", s->why_held);
		return o;
	}
	case TWS_IN_OPEN_ORDER: {
		const struct tws_open_order *oo = &m->u.open_order;

		o = line_new(c, "open_order");
		set_int(o, "id", oo->o.order_id);
		set_str(o, "symbol", oo->o.symbol);
		set_str(o, "action", action_name(oo->o.action));
		set_str(o, "qty", oo->o.total_quantity);
		set_str(o, "type", type_name(oo->o.order_type));
		if (oo->o.has_lmt_price)
			set_real(o, "lmt", oo->o.lmt_price);
		set_str(o, "tif", tif_name(oo->o.tif));
		set_str(o, "ref", oo->o.order_ref);
		set_str(o, "account", oo->o.account);
		set_str(o, "status", oo->status);
		set_int(o, "perm_id", oo->perm_id);
		set_int(o, "client_id", oo->client_id);
		if (oo->commission != TWS_UNSET_DOUBLE)
			set_real(o, "commission", oo->commission);
		return o;
	}
	case TWS_IN_OPEN_ORDER_END:
		return line_new(c, "open_order_end");
	case TWS_IN_EXEC_DETAILS: {
		const struct tws_execution *x = &m->u.exec;

		o = line_new(c, "exec");
		set_int(o, "req_id", x->req_id);
		set_int(o, "id", x->order_id);
		set_str(o, "symbol", x->symbol);
		set_str(o, "side", x->side);
		set_str(o, "shares", x->shares);
		set_real(o, "price", x->price);
		set_int(o, "perm_id", x->perm_id);
		set_str(o, "exec_id", x->exec_id);
		set_str(o, "time", x->time);
		set_str(o, "account", x->account);
		set_str(o, "cum_qty", x->cum_qty);
		set_real(o, "avg_price", x->avg_price);
		set_str(o, "ref", x->order_ref);
		return o;
	}
	case TWS_IN_EXEC_DETAILS_END:
		o = line_new(c, "exec_end");
		set_int(o, "req_id", m->u.req_id);
		return o;
	case TWS_IN_COMMISSION_REPORT: {
		const struct tws_commission *k = &m->u.commission;

		o = line_new(c, "commission");
		set_str(o, "exec_id", k->exec_id);
		set_real(o, "commission", k->commission);
		set_str(o, "currency", k->currency);
		if (k->realized_pnl != TWS_UNSET_DOUBLE)
			set_real(o, "realized_pnl", k->realized_pnl);
		return o;
	}
	case TWS_IN_POSITION: {
		const struct tws_position *p = &m->u.position;

		o = line_new(c, "position");
		set_str(o, "account", p->account);
		set_str(o, "symbol", p->symbol);
		set_str(o, "position", p->position);
		set_real(o, "avg_cost", p->avg_cost);
		return o;
	}
	case TWS_IN_POSITION_END:
		return line_new(c, "position_end");
	case TWS_IN_ACCOUNT_SUMMARY: {
		const struct tws_account_value *v = &m->u.account_value;

		o = line_new(c, "account_value");
		set_int(o, "req_id", v->req_id);
		set_str(o, "account", v->account);
		set_str(o, "tag", v->tag);
		set_str(o, "value", v->value);
		set_str(o, "currency", v->currency);
		return o;
	}
	case TWS_IN_ACCOUNT_SUMMARY_END:
		o = line_new(c, "account_summary_end");
		set_int(o, "req_id", m->u.req_id);
		return o;
	default:
		return NULL;
	}
}

static void
on_message(struct ctx *c, const struct tws_session_event *ev)
{
	struct tws_order_in *m = &c->msg;
	const struct tws_in_msg *w = ev->msg;
	struct gw_err e;
	json_t *o;
	int rc;

	if (w->known && w->id == TWS_IN_NEXT_VALID_ID) {
		long long id = w->u.next_valid_id.order_id;

		if (!c->have_next_id || id > c->next_id)
			c->next_id = id;
		c->have_next_id = 1;
		if (c->ready) {		/* the first one is in the ready line */
			o = line_new(c, "next_valid_id");
			set_int(o, "id", id);
			emit(c, o);
		}
		return;
	}
	if (w->known && w->id == TWS_IN_CURRENT_TIME) {
		o = line_new(c, "current_time");
		set_int(o, "time", w->u.current_time.time);
		emit(c, o);
		return;
	}
	if (ev->fields == NULL)
		return;
	memset(&e, 0, sizeof(e));
	rc = tws_order_decode_in(ev->fields, tws_session_server_version(c->sess),
	    m, &e);
	if (rc == 1)
		return;		/* ticks, managedAccounts, ...: not ours */
	if (rc < 0) {
		o = line_new(c, "malformed");
		set_int(o, "id", m->id);
		set_str(o, "reason", e.msg);
		emit(c, o);
		return;
	}
	if ((o = order_line(c, m)) != NULL)
		emit(c, o);
}

static void
on_session(struct tws_session *s, const struct tws_session_event *ev,
    void *arg)
{
	struct ctx *c = arg;
	json_t *o;

	(void)s;
	if (c->finished)
		return;
	switch (ev->type) {
	case TWS_EV_READY:
		c->ready = 1;
		if (!c->have_next_id) {
			c->next_id = tws_session_next_valid_id(c->sess);
			c->have_next_id = 1;
		}
		o = line_new(c, "ready");
		set_int(o, "server_version", tws_session_server_version(c->sess));
		set_str(o, "accounts", tws_session_accounts(c->sess));
		set_int(o, "next_valid_id", tws_session_next_valid_id(c->sess));
		print_line(c, o);
		flush_held(c);
		script_run(c);
		break;
	case TWS_EV_FAILED:
		c->ready = 1;	/* print what came before, then the verdict */
		flush_held(c);
		o = line_new(c, "failed");
		set_str(o, "verdict", tws_verdict_name(ev->verdict));
		set_str(o, "reason", ev->reason ? ev->reason : "");
		print_line(c, o);
		finish(c, EXIT_CONNECT);
		break;
	case TWS_EV_LOST:
		o = line_new(c, "lost");
		set_str(o, "reason", ev->reason ? ev->reason : "");
		print_line(c, o);
		finish(c, c->script_ended ? 0 : EXIT_LOST);
		break;
	case TWS_EV_NOTICE: {
		const struct tws_in_msg *w = ev->msg;

		o = line_new(c, "error");
		set_int(o, "id", w->u.error.req_id);
		set_int(o, "code", w->u.error.code);
		set_strn(o, "text", w->u.error.text.p, w->u.error.text.len);
		emit(c, o);
		break;
	}
	case TWS_EV_MESSAGE:
		on_message(c, ev);
		break;
	}
}

/* --- the script --- */

static _Noreturn void
script_die(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit 64 at once: a script error is the test's bug, not the gateway's. */
static _Noreturn void
script_die(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG ": line %ld: ", c->line_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EX_USAGE);
}

static void
send_frame(struct ctx *c, const char *cmd, const uint8_t *buf, ssize_t n,
    const struct gw_err *e)
{
	struct gw_err se;

	if (n < 0)
		script_die(c, "%s: %s", cmd, e->msg);
	if (tws_session_send(c->sess, buf, (size_t)n, &se) < 0) {
		fprintf(stderr, PROG ": line %ld: %s: cannot send: %s\n",
		    c->line_no, cmd, se.msg);
		finish(c, EXIT_LOST);
	}
}

static void
copy_field(struct ctx *c, const char *what, char *dst, size_t dstsz,
    const char *src)
{
	if (strlen(src) >= dstsz)
		script_die(c, "place: %s: longer than %zu bytes", what,
		    dstsz - 1);
	memcpy(dst, src, strlen(src) + 1);
}

static void
cmd_place(struct ctx *c, json_t *j, int sv)
{
	const char *cmd, *symbol, *action, *type, *tif = "DAY", *ref = "",
	    *account = "";
	json_t *id, *qty;
	double lmt = NAN;
	struct tws_order o;
	json_error_t je;
	struct gw_err e;
	uint8_t buf[FRAME_CAP];

	if (json_unpack_ex(j, &je, 0, "{s:s, s:o, s:s, s:s, s:o, s:s, s?F, "
	    "s?s, s?s, s?s !}", "cmd", &cmd, "id", &id, "symbol", &symbol,
	    "action", &action, "qty", &qty, "type", &type, "lmt", &lmt,
	    "tif", &tif, "ref", &ref, "account", &account) < 0)
		script_die(c, "place: %s", je.text);
	memset(&o, 0, sizeof(o));
	if (json_is_string(id) && strcmp(json_string_value(id), "next") == 0) {
		if (!c->have_next_id)
			script_die(c, "place: id \"next\": no nextValidId yet");
		o.order_id = c->next_id++;
	} else if (json_is_integer(id)) {
		o.order_id = json_integer_value(id);
	} else {
		script_die(c, "place: id must be an integer or \"next\"");
	}
	copy_field(c, "symbol", o.symbol, sizeof(o.symbol), symbol);
	strcpy(o.exchange, "SMART");
	strcpy(o.currency, "USD");
	if (strcmp(action, "BUY") == 0)
		o.action = TWS_ACTION_BUY;
	else if (strcmp(action, "SELL") == 0)
		o.action = TWS_ACTION_SELL;
	else
		script_die(c, "place: action must be BUY or SELL");
	if (json_is_string(qty))
		copy_field(c, "qty", o.total_quantity, sizeof(o.total_quantity),
		    json_string_value(qty));
	else if (json_is_integer(qty))
		snprintf(o.total_quantity, sizeof(o.total_quantity), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(qty));
	else
		script_die(c, "place: qty must be a decimal string (\"10\")");
	if (strcmp(type, "MKT") == 0) {
		o.order_type = TWS_ORDER_MKT;
		if (!isnan(lmt))
			script_die(c, "place: lmt given for a MKT order");
	} else if (strcmp(type, "LMT") == 0) {
		o.order_type = TWS_ORDER_LMT;
		if (isnan(lmt))
			script_die(c, "place: a LMT order needs lmt");
		o.has_lmt_price = 1;
		o.lmt_price = lmt;
	} else {
		script_die(c, "place: type must be MKT or LMT");
	}
	if (strcmp(tif, "DAY") == 0)
		o.tif = TWS_TIF_DAY;
	else if (strcmp(tif, "GTC") == 0)
		o.tif = TWS_TIF_GTC;
	else
		script_die(c, "place: tif must be DAY or GTC");
	copy_field(c, "ref", o.order_ref, sizeof(o.order_ref), ref);
	copy_field(c, "account", o.account, sizeof(o.account), account);
	o.transmit = 1;
	send_frame(c, "place", buf, tws_enc_place_order(buf, sizeof(buf), sv,
	    &o, &e), &e);
}

static void
cmd_wait(struct ctx *c, json_t *j)
{
	const char *cmd, *ev;
	json_t *match = NULL;
	double secs = c->o.timeout;
	json_error_t je;
	size_t i;
	json_t *line;

	if (json_unpack_ex(j, &je, 0, "{s:s, s:s, s?o, s?F !}", "cmd", &cmd,
	    "ev", &ev, "match", &match, "timeout", &secs) < 0)
		script_die(c, "wait: %s", je.text);
	if (match != NULL && !json_is_object(match))
		script_die(c, "wait: match must be an object");
	if (!(secs > 0 && secs <= 86400))
		script_die(c, "wait: timeout must be in (0, 86400] seconds");
	c->wait_ev = strdup(ev);
	c->wait_match = match != NULL ? json_incref(match) : json_object();
	if (c->wait_ev == NULL || c->wait_match == NULL)
		errx(EX_OSERR, "out of memory");
	c->wait_line = c->line_no;
	c->wait_secs = secs;
	c->waiting = 1;
	json_array_foreach(c->history, i, line) {
		if (wait_matches(c, line)) {
			wait_end(c);
			return;
		}
	}
	struct timeval tv = clock_tv_ms(secs * 1000);
	evtimer_add(c->wait_timer, &tv);
}

static void
on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *c = arg;
	char *m = json_dumps(c->wait_match, JSON_COMPACT | JSON_PRESERVE_ORDER);

	(void)fd;
	(void)what;
	fflush(stdout);
	fprintf(stderr, PROG ": line %ld: timed out after %g s waiting for %s %s\n",
	    c->wait_line, c->wait_secs, c->wait_ev, m ? m : "{}");
	free(m);
	finish(c, EXIT_WAIT);
}

/* The commands that take no argument but "cmd". */
static void
cmd_plain(struct ctx *c, json_t *j, const char *name)
{
	json_error_t je;
	const char *cmd;

	if (json_unpack_ex(j, &je, 0, "{s:s !}", "cmd", &cmd) < 0)
		script_die(c, "%s: %s", name, je.text);
}

static long long
cmd_req(struct ctx *c, json_t *j, const char *name)
{
	json_error_t je;
	const char *cmd;
	json_int_t req;

	if (json_unpack_ex(j, &je, 0, "{s:s, s:I !}", "cmd", &cmd, "req",
	    &req) < 0)
		script_die(c, "%s: %s", name, je.text);
	return req;
}

/* Run one command line; the script stops here while a wait is on. */
static void
run_line(struct ctx *c, const char *line, size_t len)
{
	int sv = tws_session_server_version(c->sess);
	json_error_t je;
	json_t *j;
	const char *cmd;
	uint8_t buf[FRAME_CAP];
	struct gw_err e;
	ssize_t n;

	while (len > 0 && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	if (len == 0 || line[0] == '#')
		return;
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		script_die(c, "not JSON: %s", je.text);
	if (!json_is_object(j) ||
	    json_unpack_ex(j, &je, 0, "{s:s}", "cmd", &cmd) < 0)
		script_die(c, "not a command object with a \"cmd\" string");
	memset(&e, 0, sizeof(e));
	if (strcmp(cmd, "place") == 0) {
		cmd_place(c, j, sv);
	} else if (strcmp(cmd, "cancel") == 0) {
		json_int_t id;

		if (json_unpack_ex(j, &je, 0, "{s:s, s:I !}", "cmd", &cmd,
		    "id", &id) < 0)
			script_die(c, "cancel: %s", je.text);
		n = tws_enc_cancel_order(buf, sizeof(buf), sv, id, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "open_orders") == 0) {
		cmd_plain(c, j, cmd);
		n = tws_enc_req_open_orders(buf, sizeof(buf), sv, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "all_open_orders") == 0) {
		cmd_plain(c, j, cmd);
		n = tws_enc_req_all_open_orders(buf, sizeof(buf), sv, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "ids") == 0) {
		cmd_plain(c, j, cmd);
		n = tws_enc_req_ids(buf, sizeof(buf), sv, -1, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "positions") == 0) {
		cmd_plain(c, j, cmd);
		n = tws_enc_req_positions(buf, sizeof(buf), sv, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "cancel_positions") == 0) {
		cmd_plain(c, j, cmd);
		n = tws_enc_cancel_positions(buf, sizeof(buf), sv, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "account_summary") == 0) {
		const char *tags, *group = "All";
		json_int_t req;

		if (json_unpack_ex(j, &je, 0, "{s:s, s:I, s:s, s?s !}", "cmd",
		    &cmd, "req", &req, "tags", &tags, "group", &group) < 0)
			script_die(c, "account_summary: %s", je.text);
		n = tws_enc_req_account_summary(buf, sizeof(buf), sv, req,
		    group, tags, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "cancel_account_summary") == 0) {
		n = tws_enc_cancel_account_summary(buf, sizeof(buf), sv,
		    cmd_req(c, j, cmd), &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "executions") == 0) {
		n = tws_enc_req_executions(buf, sizeof(buf), sv,
		    cmd_req(c, j, cmd), &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "global_cancel") == 0) {
		cmd_plain(c, j, cmd);
		n = tws_enc_req_global_cancel(buf, sizeof(buf), sv, &e);
		send_frame(c, cmd, buf, n, &e);
	} else if (strcmp(cmd, "time") == 0) {
		cmd_plain(c, j, cmd);
		if (tws_session_req_current_time(c->sess, &e) < 0) {
			fprintf(stderr, PROG ": line %ld: time: cannot send: %s\n",
			    c->line_no, e.msg);
			finish(c, EXIT_LOST);
		}
	} else if (strcmp(cmd, "wait") == 0) {
		cmd_wait(c, j);
	} else if (strcmp(cmd, "quit") == 0) {
		cmd_plain(c, j, cmd);
		c->script_ended = 1;
		finish(c, 0);
	} else {
		char q[GW_QUOTE_MAX];

		gw_err_quote(q, sizeof(q), cmd, strlen(cmd));
		script_die(c, "unknown command \"%s\"", q);
	}
	json_decref(j);
}

/* Run the script's complete lines until a wait, the end, or more input
 * is needed. */
static void
script_run(struct ctx *c)
{
	while (c->ready && !c->finished && !c->waiting) {
		size_t len;
		char *line = evbuffer_readln(c->in, &len, EVBUFFER_EOL_LF);

		if (line == NULL) {
			size_t left = evbuffer_get_length(c->in);

			if (left > MAX_LINE) {
				c->line_no++;
				script_die(c, "longer than %d bytes", MAX_LINE);
			}
			if (!c->in_eof)
				return;
			if (left == 0) {	/* end of the script */
				c->script_ended = 1;
				finish(c, 0);
				return;
			}
			line = malloc(left + 1);	/* a last line without LF */
			if (line == NULL)
				errx(EX_OSERR, "out of memory");
			len = left;
			evbuffer_remove(c->in, line, left);
			line[len] = '\0';
		}
		c->line_no++;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > MAX_LINE)
			script_die(c, "longer than %d bytes", MAX_LINE);
		if (memchr(line, '\0', len) != NULL)
			script_die(c, "NUL byte in the line");
		run_line(c, line, len);
		free(line);
	}
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	script_run(arg);
}

static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *c = arg;
	int n;

	(void)what;
	n = evbuffer_read(c->in, fd, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			warn("stdin");
		c->in_eof = 1;
		event_del(c->stdin_ev);
	}
	script_run(c);
}

/* A pipe, socket or terminal is read from the loop; a regular file or
 * /dev/null (which epoll refuses, and which never block) at once. */
static int
stdin_open(struct ctx *c)
{
	struct stat st;

	if (fstat(0, &st) < 0)
		return -1;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(0)) {
		c->stdin_ev = event_new(c->base, 0, EV_READ | EV_PERSIST,
		    on_stdin, c);
		return c->stdin_ev == NULL ? -1 : event_add(c->stdin_ev, NULL);
	}
	for (;;) {
		int n = evbuffer_read(c->in, 0, 65536);

		if (n == 0)
			break;
		if (n < 0 && errno != EINTR)
			return -1;
	}
	c->in_eof = 1;
	return 0;
}

/* --- main --- */

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " --port P [--host 127.0.0.1] [--client-id N] "
	    "[--timeout S] < script\n");
}

#define FIELD(m) OPT_FIELD(struct opts, m)
static const struct opt_def optdefs[] = {
	{ "--host", 0, required_argument, opt_ptr, FIELD(host), 0, 0 },
	{ "--port", 0, required_argument, opt_long, FIELD(port), 1, 65535 },
	{ "--client-id", 0, required_argument, opt_long, FIELD(client_id), 0,
	    2147483647 },
	{ "--timeout", 0, required_argument, opt_seconds, FIELD(timeout),
	    0.001, 86400 },
	{ "--help", 'h', no_argument, opt_stop, FIELD(stop), 0, 0 },
};
static const struct opt_set optset = { "", PROG ": ", "", "--help", optdefs,
    sizeof(optdefs) / sizeof(optdefs[0]) };

static void
parse_options(int argc, char **argv, struct opts *o)
{
	struct gw_err e;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->client_id = 7;
	o->timeout = 10;
	switch (opt_parse(argc, argv, &optset, o, &e)) {
	case OPT_STOP:
		usage(stdout);
		exit(0);
	case 0:
		break;
	default:
		fprintf(stderr, "%s\n", e.msg);
		usage(stderr);
		exit(EX_USAGE);
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument (see --help)\n");
		exit(EX_USAGE);
	}
	if (o->port == 0) {
		fprintf(stderr, PROG ": --port is required\n");
		usage(stderr);
		exit(EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	struct ctx c;
	struct tws_session_config cfg;
	struct gw_err e;
	int ms;

	memset(&c, 0, sizeof(c));
	c.t0_ns = clock_mono_ns();
	parse_options(argc, argv, &c.o);
	ms = (int)(c.o.timeout * 1000);
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = c.o.host;
	cfg.port = (int)c.o.port;
	cfg.client_id = (int)c.o.client_id;
	cfg.connect_timeout_ms = ms;
	cfg.version_timeout_ms = ms;
	cfg.ready_timeout_ms = ms;
	if (tws_session_config_check(&cfg, &e) < 0)
		errx(EX_USAGE, "%s", e.msg);

	signal(SIGPIPE, SIG_IGN);
	c.base = event_base_new();
	c.in = evbuffer_new();
	c.held = json_array();
	c.history = json_array();
	if (c.base == NULL || c.in == NULL || c.held == NULL ||
	    c.history == NULL)
		errx(EX_OSERR, "out of memory");
	c.resume_ev = event_new(c.base, -1, 0, on_resume, &c);
	c.wait_timer = evtimer_new(c.base, on_wait_timeout, &c);
	if (c.resume_ev == NULL || c.wait_timer == NULL)
		errx(EX_OSERR, "out of memory");
	if (stdin_open(&c) < 0)
		err(EX_OSERR, "stdin");
	c.sess = tws_session_new(c.base, NULL, &cfg, on_session, &c, &e);
	if (c.sess == NULL)
		errx(EX_USAGE, "%s", e.msg);
	if (tws_session_start(c.sess, &e) < 0)
		errx(EX_OSERR, "%s", e.msg);
	if (event_base_dispatch(c.base) < 0)
		errx(EX_OSERR, "event loop failed");
	fflush(stdout);

	tws_session_free(c.sess);
	event_base_loop(c.base, EVLOOP_NONBLOCK);	/* a cancelled lookup */
	if (c.stdin_ev != NULL)
		event_free(c.stdin_ev);
	event_free(c.wait_timer);
	event_free(c.resume_ev);
	free(c.wait_ev);
	json_decref(c.wait_match);
	json_decref(c.history);
	json_decref(c.held);
	evbuffer_free(c.in);
	event_base_free(c.base);
	return c.exit_code;
}
