/*
 * libFuzzer target for gw-sim's paper broker: the input is a byte-coded
 * sequence of operations (place, quote, cancel, global cancel, the four
 * faults, a clock step), each an opcode byte and its argument bytes; the
 * high bit of the opcode drops the messages (no client connected). After
 * every operation the book's invariants must hold: position = sum of
 * signed fills, cash = start - signed notional - commissions,
 * NetLiquidation = cash + positions at mark, filled + remaining = qty,
 * filled = the sum of the order's executions, permIds and ids increasing,
 * execIds unique, and the messages consistent with the book.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"

#define START_CASH 1000000.0
#define MAX_OPS 400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const syms[] = { "AAPL", "MSFT", "SPY" };

struct seen {
	size_t execs;		/* execDetails messages */
	size_t errors;
	int last_code;
	int bad;
};

static void
check_msg(const struct broker_msg *m, void *arg)
{
	struct seen *s = arg;
	const struct broker_order *o = &m->order;

	switch (m->kind) {
	case BROKER_MSG_OPEN_ORDER:
	case BROKER_MSG_ORDER_STATUS:
		if (fabs(o->filled + o->remaining - o->req.qty) > 1e-6 ||
		    o->filled < 0 || o->remaining < 0 ||
		    (o->status == BROKER_FILLED && o->remaining != 0) ||
		    (o->status == BROKER_SUBMITTED && o->remaining <= 0))
			s->bad = 1;
		break;
	case BROKER_MSG_EXEC_DETAILS:
		s->execs++;
		if (m->exec.shares <= 0 || m->exec.price <= 0 ||
		    m->exec.exec_id[0] == '\0')
			s->bad = 1;
		break;
	case BROKER_MSG_COMMISSION:
		if (m->exec.commission < 0)
			s->bad = 1;
		break;
	case BROKER_MSG_ERROR:
		s->errors++;
		s->last_code = m->error.code;
		if (m->error.text[0] == '\0')
			s->bad = 1;
		break;
	default:
		s->bad = 1;
	}
}

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (1 + fabs(a) + fabs(b));
}

static void
check_book(const struct broker *b)
{
	struct broker_account a;
	double cash = START_CASH, comm = 0, nl;
	size_t i, k, nx = broker_exec_count(b);

	broker_account_values(b, &a);
	for (i = 0; i < nx; i++) {
		const struct broker_exec *x = broker_exec_at(b, i);
		double sq = x->side == BROKER_BUY ? x->shares : -x->shares;

		cash -= sq * x->price + x->commission;
		comm += x->commission;
		for (k = 0; k < i; k++)
			if (strcmp(broker_exec_at(b, k)->exec_id,
			    x->exec_id) == 0)
				__builtin_trap();
	}
	if (!near(a.cash, cash) || !near(a.commissions, comm))
		__builtin_trap();
	nl = a.cash;
	for (k = 0; k < broker_position_count(b); k++) {
		struct broker_position p;
		double pos = 0;

		broker_position_at(b, k, &p);
		for (i = 0; i < nx; i++) {
			const struct broker_exec *x = broker_exec_at(b, i);

			if (strcmp(x->symbol, p.symbol) == 0)
				pos += x->side == BROKER_BUY ? x->shares :
				    -x->shares;
		}
		if (!near(p.qty, pos) ||
		    !near(p.unrealized_pnl, p.qty * (p.mark - p.avg_cost)))
			__builtin_trap();
		nl += p.qty * p.mark;
	}
	if (!near(a.net_liquidation, nl) ||
	    !near(a.net_liquidation, START_CASH + a.realized_pnl +
	    a.unrealized_pnl - a.commissions))
		__builtin_trap();
	for (i = 0; i < broker_order_count(b); i++) {
		const struct broker_order *o = broker_order_at(b, i);
		double f = 0;

		for (k = 0; k < nx; k++)
			if (broker_exec_at(b, k)->order_id == o->req.id)
				f += broker_exec_at(b, k)->shares;
		if (!near(o->filled + o->remaining, o->req.qty) ||
		    !near(o->filled, f) ||
		    o->req.id >= broker_next_valid_id(b))
			__builtin_trap();
		if (i > 0 && (o->perm_id <= broker_order_at(b, i - 1)->perm_id ||
		    o->req.id <= broker_order_at(b, i - 1)->req.id))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct broker_config c;
	struct broker_order_req r;
	struct broker *b;
	struct gw_err e;
	time_t now = 1796304000;
	size_t i = 0, ops = 0;

	memset(&c, 0, sizeof(c));
	snprintf(c.account, sizeof(c.account), "DU1234567");
	c.cash = START_CASH;
	c.partial_above = 40;
	c.commission_per_share = 0.005;
	c.first_order_id = 1;
	c.first_perm_id = 1500000001;
	if ((b = broker_new(&c, &e)) == NULL)
		__builtin_trap();

	while (i + 4 <= size && ops++ < MAX_OPS) {
		uint8_t op = data[i], x = data[i + 1], y = data[i + 2],
		    z = data[i + 3];
		struct seen s = { 0, 0, 0, 0 };
		broker_emit_cb emit = op & 0x80 ? NULL : check_msg;
		size_t n_orders = broker_order_count(b);
		size_t n_execs = broker_exec_count(b);
		long long next = broker_next_valid_id(b);

		i += 4;
		switch (op & 0x7f) {
		case 0: case 1: case 2:		/* place */
			memset(&r, 0, sizeof(r));
			r.id = next - 2 + (x & 3);
			snprintf(r.symbol, sizeof(r.symbol), "%s",
			    syms[(x >> 2) % 3]);
			r.action = (x >> 4) & 1 ? BROKER_SELL : BROKER_BUY;
			r.type = (x >> 5) & 1 ? BROKER_LMT : BROKER_MKT;
			r.tif = (x >> 6) & 1 ? BROKER_GTC : BROKER_DAY;
			r.qty = y % 120;
			r.lmt_price = 90 + z / 10.0;
			if (op & 0x40)
				snprintf(r.account, sizeof(r.account), "DU9");
			snprintf(r.order_ref, sizeof(r.order_ref), "i%u", z);
			if (broker_place(b, &r, now, emit, &s, &e) == -1)
				__builtin_trap();
			if (r.id < next && (broker_order_count(b) != n_orders ||
			    (emit != NULL && s.last_code != 103)))
				__builtin_trap();
			break;
		case 3: case 4: case 5:		/* quote */
			if (broker_quote(b, syms[x % 3], 90 + y / 10.0,
			    90 + y / 10.0 + z / 100.0, now, emit, &s, &e) == -1)
				__builtin_trap();
			break;
		case 6:
			broker_cancel(b, (long long)x - 2, emit, &s);
			if (emit != NULL && s.errors == 0)
				__builtin_trap();	/* 202, 10147, 10148 */
			break;
		case 7:
			broker_global_cancel(b, emit, &s);
			for (size_t k = 0; k < broker_order_count(b); k++)
				if (broker_order_working(broker_order_at(b, k)))
					__builtin_trap();
			break;
		case 8:
			broker_fault_reject(b, x % 3);
			break;
		case 9:
			broker_fault_swallow(b, x % 3);
			break;
		case 10:
			broker_fault_delay(b, x % 3);
			break;
		case 11:
			if (broker_fault_partial(b, x % 20, &e) == -1)
				__builtin_trap();
			break;
		default:
			now += x;
			break;
		}
		if (s.bad || (emit != NULL &&
		    s.execs != broker_exec_count(b) - n_execs))
			__builtin_trap();
		check_book(b);
	}
	broker_free(b);
	return 0;
}
