/*
 * bot: bot-core's core (see bot.h). Inputs are the gateway's events
 * (gwconn), the strategy's messages (strategy, decoded by stratmsg: the
 * strategy is untrusted) and the operator's requests; every order intent
 * passes risk_check behind the gate, and nothing else can accept one.
 *
 * Strategy C (cash preservation) is the union of its causes: no valid
 * gameplan or a plan that says C, the operator's halt, a refused live
 * account, no starting capital for the loss limit, the loss limit hit,
 * the strategy process down, a lost session not yet resumed. Each cause
 * is raised and cleared on its own; the gate's GATE_STRATEGY_C follows
 * their union.
 *
 * A restart stack-init announced (its restart file, lib/initrestart;
 * untrusted: a bad or stale file counts as none) changes two things only:
 * a loss it explains is logged at info, not alerted, and a completed one
 * ends the restart window early. The gate itself closes on every loss
 * exactly as it would without the file.
 */
#include "bot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "gameplan.h"
#include "gate.h"
#include "initrestart.h"
#include "orderman.h"
#include "risk.h"
#include "sched.h"
#include "strategy.h"
#include "stratmsg.h"

#define COMPONENT "bot"
#define WINDOW_TICK_S 1.0	/* how often the restart window is looked at */
#define RESTART_POLL_S 0.1	/* the restart file, while only it holds the
				 * window (session back, restart in progress) */
#define OUTAGE_WARN_S 60	/* a cheap-only outage: warning, then error */
#define OUTAGE_ERROR_S 300
#define BOT_VERSION "gwkit 0.1.0"

/* The causes of Strategy C (bit per cause). */
enum c_cause {
	C_PLAN,			/* no valid gameplan, or the plan says C */
	C_HALT,			/* the operator's halt */
	C_LIVE,			/* a live account while TRADING_MODE=paper */
	C_CAPITAL,		/* STARTING_CAPITAL not set for A/B */
	C_LOSS,			/* the day's loss limit hit */
	C_STRATEGY,		/* the strategy process is down */
	C_SESSION,		/* the session was lost and not yet resumed */
	C_STOPPING,		/* bot-core is stopping */
	C_ORDERS,		/* the order path failed or reconciliation
				 * found a problem (until ctl resume) */
	C_N
};

static const char *const c_names[C_N] = {
	[C_PLAN] = "gameplan",
	[C_HALT] = "halted",
	[C_LIVE] = "live-account-refused",
	[C_CAPITAL] = "no-starting-capital",
	[C_LOSS] = "loss-limit",
	[C_STRATEGY] = "strategy-process-down",
	[C_SESSION] = "session-lost",
	[C_STOPPING] = "stopping",
	[C_ORDERS] = "order-path",
};

struct bot {
	struct event_base *base;
	struct gw_log *log;
	struct bot_config cfg;
	struct bot_hooks hooks;
	struct gwconn *gw;
	struct strategy *st;
	struct risk *risk;
	struct gate gate;
	struct gameplan plan;
	int have_plan;
	unsigned c_causes;	/* bit per enum c_cause */
	int active_c;		/* the last strategy told: C or the plan's */
	struct event *window_timer;
	struct event *restart_poll;	/* RESTART_POLL_S, see window_check */
	int window_released;	/* the window ended early; until the clock's
				 * end it is not raised again */
	int64_t ready_wall_ms;	/* the current/last session became ready */
	int outage_warned, outage_errored;	/* this outage's alerts */
	int costly_warned, costly_errored;	/* the same, costly attempts */
	int64_t since_wall_ms;	/* bot-core started or last lost its session */
	/* a loss put down to a known restart: while the loss's events are
	 * logged (loss_known), and the restart's began (0: the window) */
	struct known *loss_known;
	int64_t loss_began_ms;
	int64_t warned_began_ms;	/* failed/not_ready warned once */
	char file_error[GW_WHY_MAX];	/* the last bad restart file, said once */
	struct initrestart last_restart;	/* as last read (status) */
	int have_restart;
	int64_t start_ms;
	int operational_sent;
	int stopping, stopped;
	char last_error[GW_WHY_MAX];
	unsigned long intents_accepted, intents_rejected;
	/* the order path (NULL in dry run) and the account it trades */
	struct orderman *om;
	char order_account[TRADMODE_ACCOUNT_MAX + 1];
	/* C_ORDERS is the union of these (orders_cause) */
	int orders_failed;	/* the journal failed: for the process' life */
	int orders_problem;	/* reconciliation found a problem, or an order
				 * message was refused: until ctl resume */
	int orders_unsettled;	/* a reconciliation failed (timeout, refused
				 * answers): until one succeeds */
	unsigned recon_drops;	/* sessions dropped in a row for a timed-out
				 * reconciliation (recon_drop_cb) */
	int dropping;		/* lost() follows our own gwconn_drop */
	double day_nl;		/* the day's first NetLiquidation, applied
				 * once the book is reconciled; 0: none */
	/* the daily loss limit's base: STARTING_CAPITAL, or with orders on
	 * the order account's NetLiquidation less the day's P&L when first
	 * read on a New York day */
	double capital;
	const char *capital_source;	/* "STARTING_CAPITAL", "NetLiquidation" */
	char capital_day[16];
	char flatten_day[16];	/* the gameplan's flatten_at done that day */
	int flatten_due;	/* a session lost outside a known restart
				 * and not yet flattened for (the gameplan's
				 * flatten_on_reconnect) */
};

static void send_line(struct bot *b, char *line, size_t len);

/* A restart known to explain a loss (docs/bot-core.md "A KNOWN RESTART"):
 * the restart file's, or the daily restart window's. */
struct known {
	int on;
	int from_file;
	struct initrestart r;	/* from_file */
};

/* ---------- small helpers ---------- */

void
bot_config_init(struct bot_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	gwconn_config_init(&cfg->gw);
	snprintf(cfg->gameplan_path, sizeof(cfg->gameplan_path), "%s",
	    "/data/gameplan.json");
	cfg->mode.dry_run = 1;
	cfg->dry_run = 1;
	cfg->trading_mode = "paper";
	cfg->window_start_min = 16 * 60 + 29;
	cfg->window_end_min = 16 * 60 + 36;
	cfg->resume_after_reconnect = 1;
	cfg->strategy_restart_max_s = 60;
	cfg->tz = "America/New_York";
}

/* New York local time now; -1 (and a logged error, once per cause) when
 * the zone cannot be read. */
static int
ny_now(struct bot *b, struct tm *tm)
{
	struct gw_err e;

	if (sched_local(b->cfg.tz, time(NULL), tm, &e) < 0) {
		snprintf(b->last_error, sizeof(b->last_error), "%s", e.msg);
		return -1;
	}
	return 0;
}

static void
set_error(struct bot *b, const char *msg)
{
	snprintf(b->last_error, sizeof(b->last_error), "%s", msg);
}

/* The strategy in force: the plan's, unless a cause holds C. */
static enum gp_strategy
active(const struct bot *b)
{
	if (b->c_causes != 0 || !b->have_plan)
		return GP_STRATEGY_C;
	return b->plan.strategy;
}

/* The first cause of C, for messages ("" when none). */
static const char *
c_reason(const struct bot *b)
{
	int i;

	for (i = 0; i < C_N; i++)
		if (b->c_causes & (1u << i))
			return c_names[i];
	return b->have_plan ? "gameplan" : "no-gameplan";
}

/* ---------- a known restart ---------- */

/* Add the field "restart" naming k to f (may be NULL) and a message tail
 * to note ("" when k is NULL). */
static void
known_note(const struct known *k, json_t *f, char *note, size_t sz)
{
	note[0] = '\0';
	if (k == NULL || !k->on)
		return;
	if (k->from_file) {
		if (f != NULL)
			json_object_set_new(f, "restart", json_pack("{s:s, s:s,"
			    " s:s, s:s}", "service", k->r.service, "state",
			    initrestart_state_name(k->r.state), "trigger",
			    k->r.trigger, "method", k->r.method));
		snprintf(note, sz, " (a known restart of %s: %s, %s)",
		    k->r.service, k->r.trigger[0] ? k->r.trigger : "?",
		    k->r.method[0] ? k->r.method : "?");
	} else {
		if (f != NULL)
			json_object_set_new(f, "restart", json_pack("{s:s}",
			    "trigger", "restart-window"));
		snprintf(note, sz, " (inside the daily restart window)");
	}
}

/* Read the restart file: 0 with *r (IR_NONE when there is none), or -1
 * when none is configured or it is bad or stale (said once per problem, at
 * info: then no restart is known and the clock rules). A restart that
 * explained a loss and then ended failed or not_ready is warned about
 * once. */
static int
read_restart(struct bot *b, struct initrestart *r)
{
	struct gw_err e;

	b->have_restart = 0;
	if (b->cfg.restart_file[0] == '\0')
		return -1;
	if (initrestart_read(b->cfg.restart_file, clock_wall_ms(), r, &e) < 0) {
		if (strcmp(e.msg, b->file_error) != 0) {
			snprintf(b->file_error, sizeof(b->file_error), "%s", e.msg);
			gw_log_event(b->log, GW_INFO, COMPONENT,
			    "bot.restart_file", json_pack("{s:s, s:s}", "path",
			    b->cfg.restart_file, "error", e.msg), "the restart "
			    "file is not usable (%s): no restart is known", e.msg);
		}
		return -1;
	}
	b->file_error[0] = '\0';
	b->last_restart = *r;
	b->have_restart = r->state != IR_NONE;
	if (b->loss_began_ms != 0 && r->began_ms == b->loss_began_ms &&
	    b->warned_began_ms != r->began_ms &&
	    gate_restart_failed(r, b->ready_wall_ms)) {
		b->warned_began_ms = r->began_ms;
		gw_log_event(b->log, GW_WARNING, "gateway",
		    "gateway.restart_failed", json_pack("{s:s, s:s, s:s, s:s}",
		    "service", r->service, "state", initrestart_state_name(r->state),
		    "trigger", r->trigger, "method", r->method),
		    "the restart of %s (%s, %s) that took the session ended %s",
		    r->service, r->trigger, r->method,
		    initrestart_state_name(r->state));
	}
	return 0;
}

/* Whether a restart is known now: the file shows one that began after the
 * last session became ready, in progress or completed less than a minute
 * ago; or the restart window is raised. */
static int
restart_known(struct bot *b, struct known *k)
{
	memset(k, 0, sizeof(*k));
	if (read_restart(b, &k->r) == 0 &&
	    gate_restart_known(&k->r, b->ready_wall_ms, clock_wall_ms())) {
		k->on = k->from_file = 1;
		return 1;
	}
	k->on = gate_is_raised(&b->gate, GATE_RESTART_WINDOW);
	return k->on;
}

/* ---------- the gate ---------- */

static void
tell_gate(struct bot *b)
{
	size_t len;
	char *line = stratmsg_gate(gate_is_open(&b->gate),
	    gate_reason(&b->gate), &len);

	send_line(b, line, len);
}

static void
gate_change(struct bot *b, enum gate_cond c, int on, const char *detail)
{
	if (!gate_set(&b->gate, c, on, detail))
		return;
	if (gate_is_open(&b->gate)) {
		gw_log_event(b->log, GW_INFO, "gate", "gate.opened", NULL,
		    "gate open: orders may be placed");
	} else {
		json_t *f = json_pack("{s:s, s:s}", "reason",
		    gate_reason(&b->gate), "detail", gate_detail(&b->gate));
		char note[160];

		/* A loss a known restart explains is no alert; the gate
		 * closes all the same. */
		known_note(b->loss_known, f, note, sizeof(note));
		gw_log_event(b->log, b->loss_known ? GW_INFO : GW_WARNING,
		    "gate", "gate.closed", f, "gate closed: %s%s%s%s",
		    gate_reason(&b->gate), gate_detail(&b->gate)[0] ? ": " : "",
		    gate_detail(&b->gate), note);
	}
	tell_gate(b);
}

/* ---------- Strategy C ---------- */

/* After any change of causes or plan: the gate's GATE_STRATEGY_C, the
 * strategy.changed event and the strategy's "strategy" message. */
static void
strategy_update(struct bot *b)
{
	enum gp_strategy s = active(b);
	int c = s == GP_STRATEGY_C;
	const char *name = gameplan_strategy_name(s);
	const char *why = c ? c_reason(b) : "gameplan";
	size_t len;
	char *line;

	gate_change(b, GATE_STRATEGY_C, c, c ? why : NULL);
	if (c == b->active_c && b->active_c != -1)
		return;
	b->active_c = c;
	{
		json_t *f = json_pack("{s:s, s:s}", "active", name, "reason",
		    why);
		char note[160];

		known_note(c ? b->loss_known : NULL, f, note, sizeof(note));
		gw_log_event(b->log, c && b->loss_known == NULL ? GW_WARNING :
		    GW_INFO, COMPONENT, "strategy.changed", f, "strategy %s "
		    "(%s)%s", name, why, note);
	}
	line = stratmsg_strategy(name, why, &len);
	send_line(b, line, len);
}

static void
cause(struct bot *b, enum c_cause c, int on)
{
	unsigned bit = 1u << c;

	if (on == ((b->c_causes & bit) != 0))
		return;
	if (on)
		b->c_causes |= bit;
	else
		b->c_causes &= ~bit;
	strategy_update(b);
}

/* ---------- the gameplan ---------- */

/* Today in New York as YYYY-MM-DD; "" when the zone is unreadable. */
static void
ny_today(struct bot *b, char buf[16])
{
	struct tm tm;

	buf[0] = '\0';
	if (ny_now(b, &tm) == 0)
		strftime(buf, 16, "%Y-%m-%d", &tm);
}

/* Load and validate the gameplan. Returns 0 with the plan in force, or -1
 * with err (Strategy C holds; logged and alerted here). */
static int
load_plan(struct bot *b, struct gw_err *err)
{
	struct gameplan gp;
	char today[16];
	int missing = 0;

	ny_today(b, today);
	if (gameplan_load(b->cfg.gameplan_path, today[0] ? today : NULL, &gp,
	    &missing, err) < 0) {
		b->have_plan = 0;
		set_error(b, err->msg);
		if (missing)
			gw_log_event(b->log, GW_WARNING, "gameplan",
			    "gameplan.missing", json_pack("{s:s}", "path",
			    b->cfg.gameplan_path),
			    "no gameplan at %s: Strategy C", b->cfg.gameplan_path);
		else
			gw_log_event(b->log, GW_ERROR, "gameplan",
			    "gameplan.invalid", json_pack("{s:s, s:s}", "path",
			    b->cfg.gameplan_path, "error", err->msg),
			    "gameplan rejected: %s: Strategy C", err->msg);
		cause(b, C_PLAN, 1);
		return -1;
	}
	b->plan = gp;
	b->have_plan = 1;
	if (b->risk != NULL)
		risk_set_plan(b->risk, &gp);
	gw_log_event(b->log, GW_INFO, "gameplan", "gameplan.loaded",
	    json_pack("{s:s, s:s, s:s, s:i, s:f, s:i}", "path",
	    b->cfg.gameplan_path, "date", gp.date, "strategy",
	    gameplan_strategy_name(gp.strategy), "symbols", (int)gp.n_symbols,
	    "max_daily_loss_pct", gp.max_daily_loss_pct,
	    "max_single_position", (int)gp.max_single_position),
	    "gameplan %s: strategy %s, %zu symbol%s", gp.date,
	    gameplan_strategy_name(gp.strategy), gp.n_symbols,
	    gp.n_symbols == 1 ? "" : "s");
	if (gp.strategy != GP_STRATEGY_C && !(b->capital > 0)) {
		gw_log_event(b->log, GW_ERROR, "gameplan", "risk.no_capital", NULL,
		    "%s: the daily loss limit cannot be judged; Strategy C",
		    b->cfg.dry_run ? "STARTING_CAPITAL is not set" :
		    "STARTING_CAPITAL is not set and the gateway has not given "
		    "the account's NetLiquidation yet");
		cause(b, C_CAPITAL, 1);
	} else {
		cause(b, C_CAPITAL, 0);
	}
	cause(b, C_PLAN, gp.strategy == GP_STRATEGY_C);
	return 0;
}

static int
subscribe_plan(struct bot *b, struct gw_err *err)
{
	const char *syms[GAMEPLAN_MAX_SYMBOLS];
	size_t i, n = 0;

	if (b->have_plan && b->plan.strategy != GP_STRATEGY_C)
		for (i = 0; i < b->plan.n_symbols; i++)
			syms[n++] = b->plan.symbols[i].name;
	return gwconn_subscribe(b->gw, syms, n, err);
}

/* ---------- the strategy process ---------- */

static void
send_line(struct bot *b, char *line, size_t len)
{
	if (line != NULL && b->st != NULL && strategy_running(b->st))
		(void)strategy_send(b->st, line, len);
	free(line);
}

static void
on_strategy_start(void *arg, pid_t pid)
{
	struct bot *b = arg;
	char *plan = b->have_plan ? gameplan_json(&b->plan) : NULL, *line, *ps;
	size_t len;

	gw_log_event(b->log, GW_INFO, "strategy", "strategy.started",
	    json_pack("{s:I}", "pid", (json_int_t)pid),
	    "strategy process %ld started", (long)pid);
	line = stratmsg_hello(BOT_VERSION, plan, b->cfg.dry_run,
	    b->cfg.trading_mode, &len);
	free(plan);
	send_line(b, line, len);
	tell_gate(b);
	ps = (char *)gameplan_strategy_name(active(b));
	line = stratmsg_strategy(ps, active(b) == GP_STRATEGY_C ? c_reason(b) :
	    "gameplan", &len);
	send_line(b, line, len);
	cause(b, C_STRATEGY, 0);
}

/* ---------- the order path (not dry run; docs/orders.md) ---------- */

/* What the position limit must count of the symbol's working orders. */
static void
pending_update(struct bot *b, const char *symbol)
{
	struct ordbook_exposure e;

	if (b->om == NULL || b->risk == NULL)
		return;
	ordbook_exposure(orderman_book(b->om), symbol, NAN, &e);
	risk_set_pending(b->risk, symbol, e.buy_qty, e.sell_qty);
	ordbook_exposure(orderman_book(b->om), NULL, NAN, &e);
	risk_set_open_orders(b->risk, e.open_orders);
}

static void
loss_check(struct bot *b)
{
	if (risk_loss_limit_hit(b->risk) && !(b->c_causes & (1u << C_LOSS))) {
		gw_log_event(b->log, GW_CRITICAL, "risk", "risk.loss_limit",
		    json_pack("{s:f}", "pnl", risk_pnl(b->risk)),
		    "daily loss limit reached (P&L %.2f): Strategy C",
		    risk_pnl(b->risk));
		cause(b, C_LOSS, 1);
	}
}

/* An accepted intent becomes an order (orderman: journaled, then sent). */
static void
place(struct bot *b, const struct sm_intent *in)
{
	struct orderman_intent oi;
	struct gw_err e;
	long long id = 0;
	const char *rule = "ok";
	size_t len;
	char *line;

	memset(&oi, 0, sizeof(oi));
	snprintf(oi.id, sizeof(oi.id), "%s", in->id);
	snprintf(oi.symbol, sizeof(oi.symbol), "%s", in->symbol);
	oi.side = in->side == SM_BUY ? TWS_ACTION_BUY : TWS_ACTION_SELL;
	oi.qty = in->quantity;
	oi.type = in->order_type == SM_MKT ? TWS_ORDER_MKT : TWS_ORDER_LMT;
	oi.lmt = in->has_limit_price ? in->limit_price : 0;
	if (b->order_account[0] == '\0' || !gate_is_open(&b->gate)) {
		rule = "gate-closed";	/* cannot happen: risk checked it */
		gw_err_set(&e, "no order account or gate closed");
	} else if (orderman_place(b->om, &oi, b->order_account, &id, &e) < 0) {
		rule = "order-refused";
	}
	if (strcmp(rule, "ok") == 0 || id > 0) {
		b->intents_accepted++;
		gw_log_event(b->log, GW_INFO, "risk", "intent.accepted",
		    json_pack("{s:s, s:s}", "id", in->id, "symbol", in->symbol),
		    "intent %s accepted", in->id);
		gw_log_event(b->log, id > 0 && strcmp(rule, "ok") != 0 ?
		    GW_ERROR : GW_INFO, "orders", "order.placed",
		    json_pack("{s:s, s:I, s:s, s:s, s:f, s:s, s:o, s:s, s:b, s:s}",
		    "id", in->id, "order_id", (json_int_t)id, "symbol",
		    in->symbol, "side", in->side == SM_BUY ? "BUY" : "SELL",
		    "quantity", in->quantity, "order_type",
		    in->order_type == SM_MKT ? "MKT" : "LMT", "limit_price",
		    in->has_limit_price ? json_real(in->limit_price) :
		    json_null(), "account", b->order_account, "sent",
		    strcmp(rule, "ok") == 0, "reason", in->reason),
		    "order %lld: %s %g %s %s on %s%s%s", id,
		    in->side == SM_BUY ? "BUY" : "SELL", in->quantity, in->symbol,
		    in->order_type == SM_MKT ? "MKT" : "LMT", b->order_account,
		    strcmp(rule, "ok") == 0 ? "" : ": journaled but the send "
		    "failed, reconciliation settles it: ",
		    strcmp(rule, "ok") == 0 ? "" : e.msg);
		rule = "ok";	/* it may have reached the gateway */
		pending_update(b, in->symbol);
	} else {
		b->intents_rejected++;
		gw_log_event(b->log, GW_WARNING, "orders", "order.refused",
		    json_pack("{s:s, s:s, s:s}", "id", in->id, "symbol",
		    in->symbol, "error", e.msg),
		    "intent %s not placed: %s", in->id, e.msg);
	}
	line = stratmsg_intent_result(in->id, strcmp(rule, "ok") == 0, rule,
	    &len);
	send_line(b, line, len);
}

static int
om_send(void *arg, const uint8_t *frame, size_t len, struct gw_err *err)
{
	struct bot *b = arg;

	return gwconn_send(b->gw, frame, len, err);
}

/* A change of the book: the event log, the risk book, the strategy. */
static void
om_change(void *arg, const struct ordbook_change *c)
{
	struct bot *b = arg;
	enum gw_level lvl = GW_INFO;
	size_t len;
	char *line;

	switch (c->kind) {
	case ORDBOOK_CH_STATE: {
		struct ordbook_order o;
		struct sm_order m;

		if (c->to == ORDBOOK_REJECTED || c->to == ORDBOOK_UNKNOWN)
			lvl = GW_ERROR;
		else if (c->to == ORDBOOK_GONE)
			lvl = GW_WARNING;
		memset(&o, 0, sizeof(o));
		(void)ordbook_get(orderman_book(b->om), c->order_id, &o);
		gw_log_event(b->log, lvl, "orders", "order.state",
		    json_pack("{s:s, s:I, s:s, s:s, s:s, s:f, s:s}", "id",
		    c->intent_id, "order_id", (json_int_t)c->order_id, "symbol",
		    c->symbol, "state", ordbook_state_name(c->to), "from",
		    ordbook_state_name(c->from), "filled", o.filled, "why",
		    c->why), "order %lld (%s %s): %s -> %s%s%s", c->order_id,
		    c->intent_id, c->symbol, ordbook_state_name(c->from),
		    ordbook_state_name(c->to), c->why[0] ? ": " : "", c->why);
		m = (struct sm_order){ c->intent_id, c->order_id, c->symbol,
		    ordbook_state_name(c->to), ordbook_state_name(c->from),
		    o.filled, c->why };
		line = stratmsg_order(&m, &len);
		send_line(b, line, len);
		pending_update(b, c->symbol);
		break;
	}
	case ORDBOOK_CH_FILL: {
		const char *side = c->side == TWS_ACTION_BUY ? "BUY" : "SELL";
		struct sm_fill m = { c->intent_id, c->order_id, c->symbol, side,
		    c->shares, c->price, c->cum, c->avg, c->exec_id };

		gw_log_event(b->log, GW_INFO, "orders", "order.fill",
		    json_pack("{s:s, s:I, s:s, s:s, s:f, s:f, s:f, s:f, s:s}",
		    "id", c->intent_id, "order_id", (json_int_t)c->order_id,
		    "symbol", c->symbol, "side", side, "shares", c->shares,
		    "price", c->price, "filled", c->cum, "avg_price", c->avg,
		    "exec_id", c->exec_id), "order %lld (%s): %s %g %s at %.4f "
		    "(%g filled)", c->order_id, c->intent_id, side, c->shares,
		    c->symbol, c->price, c->cum);
		(void)risk_fill(b->risk, c->symbol, c->side == TWS_ACTION_BUY ?
		    c->shares : -c->shares, c->price);
		line = stratmsg_fill(&m, &len);
		send_line(b, line, len);
		pending_update(b, c->symbol);
		loss_check(b);
		break;
	}
	case ORDBOOK_CH_COMMISSION:
		gw_log_event(b->log, GW_DEBUG, "orders", "order.commission",
		    json_pack("{s:I, s:s, s:f}", "order_id",
		    (json_int_t)c->order_id, "exec_id", c->exec_id, "commission",
		    c->commission), "order %lld: commission %.4f (%s)",
		    c->order_id, c->commission, c->exec_id);
		break;
	}
}

/* C_ORDERS follows its causes. */
static void
orders_cause(struct bot *b)
{
	cause(b, C_ORDERS, b->orders_failed || b->orders_problem ||
	    b->orders_unsettled);
}

static void net_liquidation_apply(struct bot *b);
static void flatten_now(struct bot *b, const char *who);

static void
om_reconciled(void *arg, const struct ordbook_recon *r)
{
	struct bot *b = arg;
	json_t *probs = json_array(), *f;
	unsigned i;

	for (i = 0; i < r->n_problem; i++)
		json_array_append_new(probs, json_pack("{s:s, s:I, s:s, s:s}",
		    "kind", ordbook_problem_name(r->problem[i].kind), "order_id",
		    (json_int_t)r->problem[i].order_id, "symbol",
		    r->problem[i].symbol, "text", r->problem[i].text));
	f = json_pack("{s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o}",
	    "ok", r->ok, "orders", r->orders, "open", r->open, "gateway_open",
	    r->gw_open, "adopted_fills", r->adopted_fills, "filled", r->filled,
	    "cancelled", r->cancelled, "gone", r->gone, "problems",
	    r->problems, "problem", probs);
	if (r->ok)
		gw_log_event(b->log, GW_INFO, "orders", "orders.reconciled", f,
		    "orders reconciled with the gateway: %u orders, %u open, "
		    "%u fills adopted", r->orders, r->open, r->adopted_fills);
	else
		gw_log_event(b->log, GW_ERROR, "orders", "orders.reconciled", f,
		    "reconciliation found %u problem(s): Strategy C until "
		    "`bot-core ctl resume`; first: %s", r->problems,
		    r->n_problem > 0 ? r->problem[0].text : "");
	if (!r->ok) {
		set_error(b, r->n_problem > 0 ? r->problem[0].text :
		    "reconciliation problem");
		b->orders_problem = 1;
	}
	b->orders_unsettled = 0;
	b->recon_drops = 0;
	orders_cause(b);
	/* positions the reconciliation adopted count for the risk gate */
	{
		struct ordbook_pos p;
		size_t k;

		for (k = 0; ordbook_position_at(orderman_book(b->om), k,
		    &p) == 0; k++)
			if (p.adopted)
				(void)risk_seed(b->risk, p.symbol, p.qty,
				    p.avg_cost, p.realized);
	}
	net_liquidation_apply(b);
	/* the original design's "runtime disconnection: close positions,
	 * Strategy C, alert", when the gameplan asks for it: halted before
	 * the gate can open, flattened once the session is sound */
	if (r->ok && b->flatten_due && b->have_plan &&
	    b->plan.flatten_on_reconnect) {
		gw_log_event(b->log, GW_ERROR, "orders", "orders.flatten_due",
		    json_pack("{s:s}", "why", "flatten_on_reconnect"),
		    "the session came back after an outage and the gameplan says "
		    "flatten_on_reconnect: flattening, Strategy C until resume");
		bot_halt(b, "gameplan flatten_on_reconnect");
		gate_change(b, GATE_RECONCILING, 0, NULL);
		flatten_now(b, "gameplan flatten_on_reconnect");
		b->flatten_due = 0;
		return;
	}
	if (r->ok)
		b->flatten_due = 0;
	gate_change(b, GATE_RECONCILING, 0, NULL);
}

/* A reconciliation that timed out cannot be tried again on its session
 * (a late answer of the first try would be taken for the second's), so
 * the session is dropped and the next one reconciles; the gateway sees
 * one handshake per ORDER_RECONCILE_TIMEOUT at most. On the next turn of
 * the loop: not from inside orderman's callback. */
static void
recon_drop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bot *b = arg;

	(void)fd;
	(void)what;
	if (b->stopping || b->om == NULL || !orderman_recon_timed_out(b->om) ||
	    !gwconn_validated(b->gw))
		return;
	b->recon_drops++;
	b->dropping = 1;
	gwconn_drop(b->gw, "reconciliation timed out: a new session "
	    "reconciles");
	b->dropping = 0;
}

static void
om_failed(void *arg, const char *why)
{
	struct bot *b = arg;
	int again;

	if (orderman_broken(b->om))
		b->orders_failed = 1;	/* the journal: nothing fixes it */
	else
		b->orders_unsettled = 1;
	set_error(b, why);
	/* the first timed-out reconciliation alerts; the retries that
	 * follow it are logged, and the reconciliation that succeeds ends
	 * the episode */
	again = orderman_recon_timed_out(b->om) && b->recon_drops > 0;
	gw_log_event(b->log, again ? GW_INFO : GW_CRITICAL, "orders",
	    "orders.failed", json_pack("{s:s, s:b, s:i}", "error", why,
	    "for_good", b->orders_failed, "retries", (int)b->recon_drops),
	    "the order path failed: %s: Strategy C%s", why,
	    b->orders_failed ? " until bot-core is restarted" :
	    orderman_recon_timed_out(b->om) ? " until a new session "
	    "reconciles (reconnecting now)" :
	    " until the next session reconciles");
	orders_cause(b);
	if (orderman_recon_timed_out(b->om)) {
		struct timeval now = { 0, 0 };

		if (event_base_once(b->base, -1, EV_TIMEOUT, recon_drop_cb, b,
		    &now) < 0)
			set_error(b, "cannot schedule the session drop");
	}
}

/* The order account's NetLiquidation (the reconciliation asks for it):
 * the first one of a New York day, less the day's P&L so far (the book
 * has the day's fills), becomes the loss limit's base, replacing
 * STARTING_CAPITAL (docs/orders.md). */
static void
net_liquidation(struct bot *b, const struct tws_account_value *v)
{
	char today[16], *end;
	double nl, base;

	if (strcmp(v->tag, "NetLiquidation") != 0 ||
	    strcmp(v->account, b->order_account) != 0)
		return;
	ny_today(b, today);
	if (today[0] == '\0' || strcmp(today, b->capital_day) == 0)
		return;
	nl = strtod(v->value, &end);
	base = nl - risk_pnl(b->risk);
	if (end == v->value || *end != '\0' || !isfinite(nl) || !(nl > 0)) {
		gw_log_event(b->log, GW_WARNING, "risk", "risk.capital",
		    json_pack("{s:s, s:s}", "source", "NetLiquidation", "error",
		    "not a positive amount"), "NetLiquidation of %s is not a "
		    "usable amount; the loss limit keeps its base", v->account);
		return;
	}
	(void)base;
	b->day_nl = nl;
	net_liquidation_apply(b);
}

/* The stored NetLiquidation becomes the day's base once the book is
 * reconciled (its fills adopted), less the day's P&L so far. */
static void
net_liquidation_apply(struct bot *b)
{
	char today[16];
	double base, nl = b->day_nl;

	if (!(nl > 0) || b->om == NULL || !orderman_reconciled(b->om))
		return;
	ny_today(b, today);
	if (today[0] == '\0' || strcmp(today, b->capital_day) == 0)
		return;
	base = nl - risk_pnl(b->risk);
	b->day_nl = 0;
	if (!(base > 0)) {
		gw_log_event(b->log, GW_WARNING, "risk", "risk.capital",
		    json_pack("{s:s, s:s}", "source", "NetLiquidation", "error",
		    "not a positive amount"), "NetLiquidation %.2f less today's "
		    "P&L %.2f is not a usable base; the loss limit keeps its "
		    "base", nl, risk_pnl(b->risk));
		return;
	}
	snprintf(b->capital_day, sizeof(b->capital_day), "%s", today);
	b->capital = base;
	b->capital_source = "NetLiquidation";
	risk_set_capital(b->risk, base);
	gw_log_event(b->log, GW_INFO, "risk", "risk.capital",
	    json_pack("{s:s, s:s, s:f, s:f, s:f}", "source", "NetLiquidation",
	    "account", b->order_account, "net_liquidation", nl, "pnl",
	    risk_pnl(b->risk), "capital", base),
	    "the day's loss limit is measured against %.2f (%s's "
	    "NetLiquidation %.2f less today's P&L %.2f)", base,
	    b->order_account, nl, risk_pnl(b->risk));
	if (b->have_plan && b->plan.strategy != GP_STRATEGY_C)
		cause(b, C_CAPITAL, 0);
	loss_check(b);
}

/* Open the journal and replay it; the risk book starts from its
 * positions. BOT_START_CONFIG when it cannot be opened. */
static int
orders_open(struct bot *b, struct gw_err *err)
{
	struct orderman_hooks h;
	struct orderman_open_info info;
	struct ordbook_pos p;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.send = om_send;
	h.change = om_change;
	h.reconciled = om_reconciled;
	h.failed = om_failed;
	h.arg = b;
	if ((b->om = orderman_new(b->base, &b->cfg.orders, &h, &info,
	    err)) == NULL)
		return BOT_START_CONFIG;
	if (info.journal.torn)
		gw_log_event(b->log, GW_WARNING, "orders", "orders.journal_torn",
		    json_pack("{s:s, s:I, s:I, s:s}", "path",
		    b->cfg.orders.journal_path, "line",
		    (json_int_t)info.journal.torn_line, "bytes",
		    (json_int_t)info.journal.torn_bytes, "why",
		    info.journal.torn_why), "order journal %s: a torn last "
		    "line %lu (%zu bytes: %s) was cut off (a write a crash "
		    "interrupted)", b->cfg.orders.journal_path,
		    info.journal.torn_line, info.journal.torn_bytes,
		    info.journal.torn_why);
	gw_log_event(b->log, GW_INFO, "orders", "orders.journal",
	    json_pack("{s:s, s:b, s:I, s:i, s:i, s:I}", "path",
	    b->cfg.orders.journal_path, "created", info.journal.created,
	    "records", (json_int_t)info.records, "orders", info.orders, "open",
	    info.open, "max_order_id", (json_int_t)info.max_order_id),
	    "order journal %s: %lu records, %u orders (%u open)",
	    b->cfg.orders.journal_path, info.records, info.orders, info.open);
	for (i = 0; ordbook_position_at(orderman_book(b->om), i, &p) == 0; i++)
		(void)risk_seed(b->risk, p.symbol, p.qty, p.avg_cost, p.realized);
	gate_change(b, GATE_RECONCILING, 1, "not yet reconciled");
	return 0;
}

/* One intent: the choke point. */
static void
on_intent(struct bot *b, const struct sm_intent *in)
{
	enum risk_rule rule;
	struct tm ny;
	double price = NAN;
	int open = gate_is_open(&b->gate);
	size_t len;
	char *line;

	if (ny_now(b, &ny) < 0) {
		rule = RISK_HOURS;	/* no clock, no trading */
	} else {
		rule = risk_check(b->risk, in, open, active(b), &ny,
		    clock_mono_ms(), b->cfg.dry_run, &price);
		if (rule == RISK_OK && !open)
			rule = RISK_GATE_CLOSED;	/* never past a closed gate */
	}
	if (rule == RISK_OK && b->om != NULL) {
		place(b, in);
		return;
	}
	if (rule == RISK_OK) {
		b->intents_accepted++;
		gw_log_event(b->log, GW_INFO, "risk", "intent.accepted",
		    json_pack("{s:s, s:s}", "id", in->id, "symbol", in->symbol),
		    "intent %s accepted", in->id);
		gw_log_event(b->log, GW_INFO, "orders", "order.would_place",
		    json_pack("{s:s, s:s, s:s, s:f, s:s, s:o, s:f, s:b, s:s}",
		    "id", in->id, "symbol", in->symbol, "side",
		    in->side == SM_BUY ? "BUY" : "SELL", "quantity", in->quantity,
		    "order_type", in->order_type == SM_MKT ? "MKT" : "LMT",
		    "limit_price", in->has_limit_price ?
		    json_real(in->limit_price) : json_null(), "fill_price",
		    isnan(price) ? 0.0 : price, "simulated", 1, "reason",
		    in->reason),
		    "dry run: would %s %g %s %s (simulated fill at %.4f)",
		    in->side == SM_BUY ? "BUY" : "SELL", in->quantity, in->symbol,
		    in->order_type == SM_MKT ? "MKT" : "LMT",
		    isnan(price) ? 0.0 : price);
		if (risk_loss_limit_hit(b->risk) && !(b->c_causes & (1u << C_LOSS))) {
			gw_log_event(b->log, GW_CRITICAL, "risk", "risk.loss_limit",
			    json_pack("{s:f}", "pnl", risk_pnl(b->risk)),
			    "daily loss limit reached (P&L %.2f): Strategy C",
			    risk_pnl(b->risk));
			cause(b, C_LOSS, 1);
		}
	} else {
		b->intents_rejected++;
		gw_log_event(b->log, GW_INFO, "risk", "intent.rejected",
		    json_pack("{s:s, s:s, s:s}", "id", in->id, "symbol",
		    in->symbol, "rule", risk_rule_name(rule)),
		    "intent %s rejected: %s", in->id, risk_rule_name(rule));
	}
	line = stratmsg_intent_result(in->id, rule == RISK_OK,
	    risk_rule_name(rule), &len);
	send_line(b, line, len);
}

/* The session is validated now: none of the gate's session conditions
 * (flatten passes the gate, which a halt closes, but never these). */
static int
session_sound(const struct bot *b)
{
	static const enum gate_cond conds[] = { GATE_NOT_VALIDATED,
	    GATE_CLIENT_ID, GATE_CONN_LOST, GATE_HEARTBEAT, GATE_FARM,
	    GATE_RECONCILING, GATE_LIVE_REFUSED };
	size_t i;

	for (i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		if (gate_is_raised(&b->gate, conds[i]))
			return 0;
	return b->om != NULL && orderman_reconciled(b->om);
}

/* The gameplan's flatten_at: once a New York day, at or after its time,
 * on a sound session (a later tick tries again until then). */
static void
flatten_at_check(struct bot *b, const struct tm *ny)
{
	char today[16];
	struct gw_err e;

	if (b->om == NULL || !b->have_plan || !b->plan.has_flatten_at ||
	    ny->tm_hour * 60 + ny->tm_min < b->plan.flatten_at_min ||
	    !session_sound(b))
		return;
	strftime(today, sizeof(today), "%Y-%m-%d", ny);
	if (strcmp(today, b->flatten_day) == 0)
		return;
	snprintf(b->flatten_day, sizeof(b->flatten_day), "%s", today);
	gw_log_event(b->log, GW_WARNING, "orders", "orders.flatten_due",
	    json_pack("{s:s}", "why", "flatten_at"), "the gameplan's flatten_at "
	    "time: flattening, Strategy C until resume");
	(void)bot_flatten(b, "gameplan flatten_at", &e);
}

/* Cancel every open order (halt, close-out); logged. */
static void
cancel_all(struct bot *b, const char *why)
{
	struct gw_err e;

	if (b->om == NULL)
		return;
	if (orderman_cancel_all(b->om, why, &e) < 0)
		gw_log_event(b->log, GW_ERROR, "orders", "orders.cancel_all",
		    json_pack("{s:s, s:b, s:s}", "why", why, "sent", 0, "error",
		    e.msg), "cannot cancel the open orders (%s): %s", why, e.msg);
	else
		gw_log_event(b->log, GW_WARNING, "orders", "orders.cancel_all",
		    json_pack("{s:s, s:b}", "why", why, "sent", 1),
		    "cancelling every open order (%s)", why);
}

static void
on_strategy_message(void *arg, const struct sm_msg *m)
{
	struct bot *b = arg;

	if (m->type == SM_INTENT) {
		on_intent(b, &m->u.intent);
		return;
	}
	gw_log_event(b->log, m->u.log.level, "strategy", "strategy.log", NULL,
	    "%s", m->u.log.message);
}

static void
on_strategy_bad_line(void *arg, const char *reason)
{
	struct bot *b = arg;

	set_error(b, reason);
	gw_log_event(b->log, GW_ERROR, "strategy", "strategy.bad_line",
	    json_pack("{s:s}", "error", reason),
	    "the strategy wrote an invalid line: %s; restarting it", reason);
}

static void
on_strategy_stderr(void *arg, const char *line, size_t len)
{
	struct bot *b = arg;

	gw_log_event(b->log, GW_INFO, "strategy", "strategy.stderr", NULL,
	    "strategy | %.*s", (int)len, line);
}

static void
on_strategy_exit(void *arg, int status, const char *why, double restart_in_s)
{
	struct bot *b = arg;

	if (b->stopping) {
		gw_log_event(b->log, GW_INFO, "strategy", "strategy.stopped", NULL,
		    "strategy process stopped (%s)", why);
		return;
	}
	set_error(b, why);
	gw_log_event(b->log, GW_ERROR, "strategy", "strategy.exited",
	    json_pack("{s:i, s:s, s:f}", "status", status, "why", why,
	    "restart_in_s", restart_in_s),
	    "strategy process ended (%s): Strategy C; restarting it in %.1f s",
	    why, restart_in_s);
	cause(b, C_STRATEGY, 1);
}

/* ---------- the gateway ---------- */

/* Log the accounts; refuse accounts that do not fit the trading mode
 * (tradmode: a live one while TRADING_MODE=paper, a paper one while live,
 * a LIVE_TRADING_CONFIRM that names none of them), for the life of the
 * process. */
static void
check_accounts(struct bot *b)
{
	char buf[512], *save = NULL, *a;
	int live = 0, paper = 0;
	json_t *list = json_array();
	struct gw_err e;

	snprintf(buf, sizeof(buf), "%s", gwconn_accounts(b->gw));
	for (a = strtok_r(buf, ",", &save); a != NULL;
	    a = strtok_r(NULL, ",", &save)) {
		int is_paper = tradmode_is_paper_account(a);

		json_array_append_new(list, json_pack("{s:s, s:s}", "account", a,
		    "kind", is_paper ? "paper" : "live"));
		if (is_paper)
			paper++;
		else
			live++;
	}
	gw_log_event(b->log, GW_INFO, "gateway", "gateway.accounts",
	    json_pack("{s:o}", "accounts", list),
	    "accounts %s: %d paper, %d live", gwconn_accounts(b->gw), paper,
	    live);
	if (tradmode_order_account(&b->cfg.mode, gwconn_accounts(b->gw),
	    b->order_account, sizeof(b->order_account), &e) < 0)
		b->order_account[0] = '\0';
	else
		return;
	if (!gate_is_raised(&b->gate, GATE_LIVE_REFUSED)) {
		gw_log_event(b->log, GW_CRITICAL, "gateway", "bot.account_refused",
		    json_pack("{s:s, s:s, s:s}", "accounts",
		    gwconn_accounts(b->gw), "trading_mode", b->cfg.trading_mode,
		    "error", e.msg),
		    "accounts refused for %s trading: %s; the gate stays closed "
		    "until bot-core is restarted", b->cfg.trading_mode, e.msg);
		set_error(b, e.msg);
		gate_change(b, GATE_LIVE_REFUSED, 1, gwconn_accounts(b->gw));
		cause(b, C_LIVE, 1);
	}
}

static void
operational(struct bot *b)
{
	if (b->operational_sent)
		return;
	b->operational_sent = 1;
	gw_log_event(b->log, GW_INFO, COMPONENT, "bot.operational",
	    json_pack("{s:b, s:s, s:s, s:s, s:b, s:s}", "dry_run", b->cfg.dry_run,
	    "trading_mode", b->cfg.trading_mode, "accounts",
	    gwconn_accounts(b->gw), "strategy",
	    gameplan_strategy_name(active(b)), "gate", gate_is_open(&b->gate),
	    "gate_reason", gate_reason(&b->gate)),
	    "operational: dry run %s, %s trading, strategy %s, gate %s",
	    b->cfg.dry_run ? "on" : "off", b->cfg.trading_mode,
	    gameplan_strategy_name(active(b)), gate_reason(&b->gate));
}

static void
on_notice(struct bot *b, int code, const char *text)
{
	switch (code) {
	case 1100:
		gw_log_event(b->log, GW_ERROR, "gateway", "gateway.connectivity_lost",
		    NULL, "1100: %s", text);
		gate_change(b, GATE_CONN_LOST, 1, "1100");
		/* order states may change unseen until it is restored */
		if (b->om != NULL)
			gate_change(b, GATE_RECONCILING, 1, "connectivity lost");
		break;
	case 1101:
	case 1102:
		gw_log_event(b->log, GW_INFO, "gateway",
		    "gateway.connectivity_restored", json_pack("{s:i}", "code",
		    code), "%d: %s", code, text);
		gate_change(b, GATE_CONN_LOST, 0, NULL);
		gate_change(b, GATE_FARM, 0, NULL);
		/* with orders on: reconcile again before the gate opens */
		if (b->om != NULL && gate_is_raised(&b->gate, GATE_RECONCILING) &&
		    gwconn_validated(b->gw) && b->order_account[0] != '\0') {
			struct gw_err e;

			if (orderman_session_ready(b->om,
			    gwconn_server_version(b->gw),
			    gwconn_next_valid_id(b->gw), b->order_account, &e) < 0)
				om_failed(b, e.msg);
		}
		break;
	case 2110:
		gw_log_event(b->log, GW_WARNING, "gateway", "gateway.farm_broken",
		    NULL, "2110: %s", text);
		gate_change(b, GATE_FARM, 1, "2110");
		break;
	case 2104:		/* market data farm OK */
	case 2106:		/* HMDS data farm OK */
	case 2158:		/* sec-def data farm OK */
		gw_log_event(b->log, GW_DEBUG, "gateway", "gateway.notice",
		    json_pack("{s:i, s:s}", "code", code, "text", text),
		    "%d: %s", code, text);
		gate_change(b, GATE_FARM, 0, NULL);
		break;
	case 326:
		gw_log_event(b->log, GW_CRITICAL, "gateway",
		    "gateway.client_id_in_use", json_pack("{s:i}", "client_id",
		    b->cfg.gw.client_id), "326: client id %d is in use: %s",
		    b->cfg.gw.client_id, text);
		set_error(b, "client id in use (326)");
		gate_change(b, GATE_CLIENT_ID, 1, "326");
		break;
	default:
		gw_log_event(b->log, GW_DEBUG, "gateway", "gateway.notice",
		    json_pack("{s:i, s:s}", "code", code, "text", text),
		    "%d: %s", code, text);
	}
}

static void window_check(struct bot *b);

/* A failed attempt that deserves a line (gwretry_report). Levels: info
 * while a restart is known; else costly attempt 3 a warning and 10 an
 * error; an outage of cheap failures a warning once it lasted
 * OUTAGE_WARN_S, an error at OUTAGE_ERROR_S. With fast polling off every
 * attempt counts as costly (the policy before). */
static void
attempt_failed(struct bot *b, const struct gwconn_event *ev)
{
	enum gw_level lvl = GW_INFO;
	struct known k;
	char note[160];
	json_t *f;

	if (!ev->cheap || b->cfg.gw.fast_poll_s == 0) {
		/* Costly attempts alert whatever explains the loss: a
		 * restart's gateway that answers but is not logged in (a 2FA
		 * waiting) is news; once per outage each, at or past 3 and
		 * 10 (a suppressed line must not skip the alert). */
		(void)restart_known(b, &k);
		if (ev->costly >= 10 && !b->costly_errored) {
			lvl = GW_ERROR;
			b->costly_errored = b->costly_warned = 1;
		} else if (ev->costly >= 3 && !b->costly_warned) {
			lvl = GW_WARNING;
			b->costly_warned = 1;
		}
	} else if (!restart_known(b, &k)) {
		if (ev->outage_s >= OUTAGE_ERROR_S && !b->outage_errored) {
			lvl = GW_ERROR;
			b->outage_errored = b->outage_warned = 1;
		} else if (ev->outage_s >= OUTAGE_WARN_S && !b->outage_warned) {
			lvl = GW_WARNING;
			b->outage_warned = 1;
		}
	}
	f = json_pack("{s:i, s:s, s:s, s:f, s:I, s:I, s:f}", "attempt",
	    ev->attempt, "verdict", ev->verdict ? ev->verdict : "", "reason",
	    ev->reason ? ev->reason : "", "retry_in_s", ev->delay_s, "costly",
	    (json_int_t)ev->costly, "suppressed", (json_int_t)ev->suppressed,
	    "outage_s", ev->outage_s);
	known_note(&k, f, note, sizeof(note));
	gw_log_event(b->log, lvl, "gateway", "gateway.attempt_failed", f,
	    "gateway attempt %d: %s (%s); next in %.1f s%s", ev->attempt,
	    ev->verdict ? ev->verdict : "?", ev->reason ? ev->reason : "",
	    ev->delay_s, note);
}

/* The session ended: the gate closes and Strategy C holds, whatever the
 * cause; a known restart only makes the events info instead of alerts. */
static void
lost(struct bot *b, const struct gwconn_event *ev)
{
	const char *why = ev->reason ? ev->reason : "";
	struct known k;
	char note[160];
	json_t *f;

	set_error(b, ev->reason ? ev->reason : "session lost");
	b->since_wall_ms = clock_wall_ms();
	b->outage_warned = b->outage_errored = 0;
	b->costly_warned = b->costly_errored = 0;
	if (restart_known(b, &k)) {
		b->loss_known = &k;
		b->loss_began_ms = k.from_file ? k.r.began_ms : 0;
	}
	f = json_pack("{s:s, s:f}", "reason", why, "retry_in_s", ev->delay_s);
	known_note(b->loss_known, f, note, sizeof(note));
	/* our own drop (recon_drop_cb) is no outage: no flatten, no alert */
	if (b->loss_known == NULL && !b->dropping)
		b->flatten_due = 1;
	gw_log_event(b->log, b->loss_known || b->dropping ? GW_INFO : GW_ERROR,
	    "gateway",
	    "gateway.disconnected", f, "gateway session lost (%s): Strategy "
	    "C, reconnecting in %.1f s%s", why, ev->delay_s, note);
	if (strstr(why, "heartbeat") != NULL)
		gate_change(b, GATE_HEARTBEAT, 1, why);
	gate_change(b, GATE_NOT_VALIDATED, 1, why);
	gate_change(b, GATE_FARM, 0, NULL);	/* the next session says */
	if (b->om != NULL) {
		orderman_session_lost(b->om);
		gate_change(b, GATE_RECONCILING, 1, "session lost");
	}
	cause(b, C_SESSION, 1);
	b->loss_known = NULL;
}

static void
on_gw(struct gwconn *g, const struct gwconn_event *ev, void *arg)
{
	struct bot *b = arg;
	struct gw_err e;

	(void)g;
	switch (ev->type) {
	case GWC_ATTEMPT_FAILED:
		if (ev->report)
			attempt_failed(b, ev);
		break;
	case GWC_GAVE_UP:
		set_error(b, ev->reason ? ev->reason : "gateway unavailable");
		gw_log_event(b->log, GW_CRITICAL, "gateway", "gateway.unavailable",
		    json_pack("{s:i, s:s}", "attempts", ev->attempt, "reason",
		    ev->reason ? ev->reason : ""),
		    "gateway not ready after %d attempts (%s): giving up",
		    ev->attempt, ev->reason ? ev->reason : "");
		cause(b, C_SESSION, 1);
		if (b->hooks.on_exit != NULL)
			b->hooks.on_exit(b->hooks.arg, 1);
		break;
	case GWC_READY:
		b->ready_wall_ms = clock_wall_ms();
		b->outage_warned = b->outage_errored = 0;
		b->costly_warned = b->costly_errored = 0;
		b->loss_began_ms = 0;
		gw_log_event(b->log, GW_INFO, "gateway", "gateway.validated",
		    json_pack("{s:i, s:s}", "server_version",
		    gwconn_server_version(b->gw), "accounts",
		    gwconn_accounts(b->gw)),
		    "gateway session validated (server version %d)",
		    gwconn_server_version(b->gw));
		check_accounts(b);
		gate_change(b, GATE_HEARTBEAT, 0, NULL);
		/* A 1100 that came with the session's first messages (the
		 * notice is passed on before READY) still holds: the gate
		 * stays closed until its 1101/1102. */
		gate_change(b, GATE_CONN_LOST, ev->verdict != NULL &&
		    strcmp(ev->verdict, "upstream-down") == 0, "1100");
		/* GATE_FARM is not cleared here: a 2110 among the session's
		 * first messages holds until a farm-OK notice (it was cleared
		 * when the last session was lost) */
		gate_change(b, GATE_CLIENT_ID, 0, NULL);
		window_check(b);	/* a completed restart ends the window */
		gate_change(b, GATE_NOT_VALIDATED, 0, NULL);
		if (b->cfg.resume_after_reconnect)
			cause(b, C_SESSION, 0);
		if (subscribe_plan(b, &e) < 0)
			set_error(b, e.msg);
		/* orders on: reconcile before the gate may open (refused
		 * accounts hold the gate closed anyway: no reconciliation) */
		if (b->om != NULL && b->order_account[0] != '\0' &&
		    orderman_session_ready(b->om, gwconn_server_version(b->gw),
		    gwconn_next_valid_id(b->gw), b->order_account, &e) < 0)
			om_failed(b, e.msg);
		operational(b);
		break;
	case GWC_LOST:
		lost(b, ev);
		break;
	case GWC_HEARTBEAT_OK:
		gate_change(b, GATE_HEARTBEAT, 0, NULL);
		break;
	case GWC_NOTICE:
		on_notice(b, ev->code, ev->text ? ev->text : "");
		/* an order's id, never one of our request ids */
		if (b->om != NULL && ev->id > 0 && ev->id < GWCONN_REQ_ID_MIN)
			orderman_on_error(b->om, ev->id, ev->code,
			    ev->text ? ev->text : "");
		break;
	case GWC_TICK:
		if (ev->quote == NULL)
			break;
		risk_mark(b->risk, ev->quote->symbol, ev->quote->bid,
		    ev->quote->ask, ev->quote->last);
		if (b->st != NULL && strategy_running(b->st)) {
			struct sm_tick t = { ev->quote->symbol, ev->quote->bid,
			    ev->quote->ask, ev->quote->last, ev->quote->bid_size,
			    ev->quote->ask_size, ev->quote->last_size,
			    ev->quote->volume, ev->quote->ts_ms, 0 };

			(void)strategy_send_tick(b->st, &t);
		}
		break;
	case GWC_RECONNECT_LIMITED:
		gw_log_event(b->log, GW_WARNING, "gateway",
		    "gateway.reconnect_limited", json_pack("{s:f}", "retry_in_s",
		    ev->delay_s), "too many reconnects in the window: next "
		    "attempt in %.0f s", ev->delay_s);
		break;
	case GWC_ORDER:
		/* dry run: no order of ours exists; nothing to act on */
		if (b->om != NULL && ev->order != NULL &&
		    ev->order->id == TWS_IN_ACCOUNT_SUMMARY)
			net_liquidation(b, &ev->order->u.account_value);
		if (b->om != NULL && ev->order != NULL &&
		    orderman_on_message(b->om, ev->order, &e) < 0) {
			/* the book no longer matches the gateway's view */
			gw_log_event(b->log, GW_ERROR, "orders",
			    "orders.bad_message", json_pack("{s:i, s:s}",
			    "message_id", ev->order->id, "error", e.msg),
			    "an order message the book refuses: %s: Strategy C "
			    "until `bot-core ctl resume`", e.msg);
			set_error(b, e.msg);
			b->orders_problem = 1;
			orders_cause(b);
		}
		break;
	case GWC_ORDER_BAD:
		/* With orders on, bot-core can no longer trust its view of
		 * them: Strategy C until an operator looks. */
		gw_log_event(b->log, b->om != NULL ? GW_ERROR : GW_WARNING,
		    "gateway", "gateway.bad_message",
		    json_pack("{s:i, s:s}", "message_id", ev->code, "error",
		    ev->reason ? ev->reason : ""),
		    "an order message from the gateway does not decode: %s%s",
		    ev->reason ? ev->reason : "", b->om != NULL ?
		    ": Strategy C until `bot-core ctl resume`" : "");
		if (b->om != NULL) {
			set_error(b, ev->reason ? ev->reason : "bad message");
			b->orders_problem = 1;
			orders_cause(b);
		}
		break;
	}
}

/* ---------- the restart window ---------- */

/*
 * The window ends early when the restart it is there for is over: the
 * file says completed, the restart began inside today's window, and the
 * session we hold became ready after it began. While the session is back
 * but the file still says in progress (stack-init's readiness check comes
 * after ours), the file is read again every RESTART_POLL_S.
 */
static void
window_check(struct bot *b)
{
	struct initrestart r;
	struct gw_err e;
	struct tm ny;
	int64_t now = clock_wall_ms(), ws;
	struct timeval tv = clock_tv_ms(RESTART_POLL_S * 1000.0);

	if (!gate_is_raised(&b->gate, GATE_RESTART_WINDOW) ||
	    read_restart(b, &r) < 0)
		return;
	if (r.state == IR_IN_PROGRESS && gwconn_validated(b->gw))
		evtimer_add(b->restart_poll, &tv);
	if (sched_local(b->cfg.tz, (time_t)(now / 1000), &ny, &e) < 0 ||
	    !sched_in_window(b->cfg.window_start_min, b->cfg.window_end_min,
	    &ny))
		return;
	ws = gate_window_start_tz(b->cfg.tz, b->cfg.window_start_min, &ny, now);
	if (!gate_window_may_end(&r, ws, gwconn_validated(b->gw),
	    b->ready_wall_ms, b->since_wall_ms))
		return;
	b->window_released = 1;
	evtimer_del(b->restart_poll);
	gw_log_event(b->log, GW_INFO, COMPONENT, "bot.window_left",
	    json_pack("{s:s, s:s, s:s, s:s}", "reason", "restart completed",
	    "service", r.service, "trigger", r.trigger, "method", r.method),
	    "leaving the daily restart window early: the restart of %s (%s, "
	    "%s) completed", r.service, r.trigger, r.method);
	gate_change(b, GATE_RESTART_WINDOW, 0, NULL);
}

static void
on_restart_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	window_check(arg);
}

static void
on_window_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bot *b = arg;
	struct initrestart r;
	struct tm ny;
	int in;

	(void)fd;
	(void)what;
	if (ny_now(b, &ny) < 0) {
		in = 1;		/* no clock: assume the worst */
	} else {
		if (b->om != NULL && session_sound(b) &&
		    orderman_closeout_due(b->om, &ny))
			cancel_all(b, "close-out");
		flatten_at_check(b, &ny);
		in = sched_in_window(b->cfg.window_start_min, b->cfg.window_end_min,
		    &ny);
		if (!in)
			b->window_released = 0;	/* the next window is whole */
		else if (b->window_released)
			in = 0;		/* ended early; not again today */
	}
	if (in != gate_is_raised(&b->gate, GATE_RESTART_WINDOW)) {
		/* Leaving by the clock with no validated session: the
		 * restart did not bring the gateway back, and what alerted
		 * nothing inside the window must now (once). */
		int down = !in && !gwconn_validated(b->gw);

		gw_log_event(b->log, down ? GW_WARNING : GW_INFO, COMPONENT,
		    in ? "bot.window_entered" : "bot.window_left",
		    json_pack("{s:s, s:b}", "reason", "clock", "validated",
		    !down), "%s the daily restart window%s",
		    in ? "entering" : "leaving", down ? " with no validated "
		    "gateway session: Strategy C holds" : "");
		if (in) {
			/* A planned, daily closing: logged at info, no alert
			 * (the gate closes all the same). */
			struct known k;

			memset(&k, 0, sizeof(k));
			k.on = 1;
			b->loss_known = &k;
			gate_change(b, GATE_RESTART_WINDOW, 1, "daily restart");
			b->loss_known = NULL;
		} else {
			gate_change(b, GATE_RESTART_WINDOW, 0, NULL);
		}
	} else if (in) {
		window_check(b);
	} else if (b->loss_began_ms != 0 && b->warned_began_ms !=
	    b->loss_began_ms) {
		(void)read_restart(b, &r);	/* failed or not_ready: warn */
	}
}

/* ---------- life cycle ---------- */

struct bot *
bot_new(struct event_base *base, struct evdns_base *dns,
    const struct bot_config *cfg, struct gw_log *log,
    const struct bot_hooks *hooks, struct gw_err *err)
{
	struct bot *b = calloc(1, sizeof(*b));
	struct strategy_config sc;
	static const struct strategy_cbs scb = { on_strategy_start,
	    on_strategy_message, on_strategy_bad_line, on_strategy_stderr,
	    on_strategy_exit };
	struct timeval tv = clock_tv_ms(WINDOW_TICK_S * 1000.0);

	if (b == NULL) {
		gw_err_set(err, "out of memory");
		return NULL;
	}
	b->base = base;
	b->log = log;
	b->cfg = *cfg;
	if (hooks != NULL)
		b->hooks = *hooks;
	b->active_c = -1;
	if (cfg->starting_capital > 0) {
		b->capital = cfg->starting_capital;
		b->capital_source = "STARTING_CAPITAL";
	}
	b->start_ms = clock_mono_ms();
	b->since_wall_ms = clock_wall_ms();
	gate_init(&b->gate);
	if ((b->gw = gwconn_new(base, dns, &cfg->gw, on_gw, b, err)) == NULL)
		goto fail;
	if (cfg->strategy_cmd != NULL && cfg->strategy_cmd[0] != '\0') {
		memset(&sc, 0, sizeof(sc));
		sc.cmd = cfg->strategy_cmd;
		sc.restart_min_s = 1;
		sc.restart_max_s = cfg->strategy_restart_max_s;
		sc.stop_timeout_s = 5;
		if ((b->st = strategy_new(base, &sc, &scb, b, err)) == NULL)
			goto fail;
	}
	b->window_timer = event_new(base, -1, EV_PERSIST, on_window_tick, b);
	b->restart_poll = evtimer_new(base, on_restart_poll, b);
	if (b->window_timer == NULL || b->restart_poll == NULL ||
	    evtimer_add(b->window_timer, &tv) < 0) {
		gw_err_set(err, "cannot arm the restart-window timer");
		goto fail;
	}
	return b;
fail:
	bot_free(b);
	return NULL;
}

int
bot_start(struct bot *b, struct gw_err *err)
{
	struct gameplan none;
	struct gw_err e;
	int rc;

	gw_log_event(b->log, GW_INFO, COMPONENT, "bot.starting",
	    json_pack("{s:s, s:i, s:i, s:b, s:s, s:s}", "host", b->cfg.gw.host,
	    "port", b->cfg.gw.port, "client_id", b->cfg.gw.client_id, "dry_run",
	    b->cfg.dry_run, "trading_mode", b->cfg.trading_mode, "gameplan",
	    b->cfg.gameplan_path), "bot-core starting: gateway %s:%d, client id "
	    "%d, dry run %s, %s trading", b->cfg.gw.host, b->cfg.gw.port,
	    b->cfg.gw.client_id, b->cfg.dry_run ? "on" : "off",
	    b->cfg.trading_mode);
	cause(b, C_SESSION, 1);		/* until the first validation */
	(void)load_plan(b, &e);
	memset(&none, 0, sizeof(none));
	none.strategy = GP_STRATEGY_C;
	none.max_daily_loss_pct = 100;
	none.max_single_position = 1;
	none.max_intents_per_minute = 1;
	if ((b->risk = risk_new(b->have_plan ? &b->plan : &none,
	    b->capital > 0 ? b->capital : 1)) == NULL)
		return gw_err_set(err, "out of memory");
	if (!b->cfg.dry_run && (rc = orders_open(b, err)) < 0)
		return rc;
	on_window_tick(-1, 0, b);
	if (subscribe_plan(b, err) < 0)
		return -1;
	if (b->st != NULL && strategy_start(b->st, err) < 0)
		return -1;
	return gwconn_start(b->gw, err);
}

static void
stopped(void *arg)
{
	struct bot *b = arg;

	if (b->stopped)
		return;
	b->stopped = 1;
	gwconn_stop(b->gw);
	gw_log_event(b->log, GW_INFO, COMPONENT, "bot.stopped", NULL,
	    "bot-core stopped");
	if (b->hooks.on_exit != NULL)
		b->hooks.on_exit(b->hooks.arg, 0);
}

void
bot_stop(struct bot *b)
{
	if (b->stopping)
		return;
	b->stopping = 1;
	gw_log_event(b->log, GW_INFO, COMPONENT, "bot.stopping", NULL,
	    "bot-core stopping: gate closed, strategy stopping");
	gate_change(b, GATE_HALTED, 1, "stopping");
	cause(b, C_STOPPING, 1);
	if (b->st != NULL)
		strategy_stop(b->st, stopped, b);
	else
		stopped(b);
}

void
bot_halt(struct bot *b, const char *who)
{
	gw_log_event(b->log, GW_WARNING, COMPONENT, "bot.halted",
	    json_pack("{s:s}", "by", who), "halted by %s: gate closed, "
	    "Strategy C until resume", who);
	gate_change(b, GATE_HALTED, 1, who);
	cause(b, C_HALT, 1);
	cancel_all(b, "halt");
}

void
bot_resume(struct bot *b, const char *who)
{
	gw_log_event(b->log, GW_INFO, COMPONENT, "bot.resumed",
	    json_pack("{s:s}", "by", who), "resumed by %s", who);
	if (!b->stopping)
		gate_change(b, GATE_HALTED, 0, NULL);
	cause(b, C_HALT, 0);
	if (gwconn_validated(b->gw))
		cause(b, C_SESSION, 0);
	if (b->om != NULL && b->orders_problem) {
		struct gw_err e;

		/* the operator accepts what was found */
		if (orderman_state(b->om) == ORDERMAN_PROBLEM &&
		    orderman_resume(b->om, who, &e) < 0)
			gw_log_event(b->log, GW_ERROR, "orders", "orders.failed",
			    json_pack("{s:s, s:b}", "error", e.msg, "for_good", 0),
			    "resume: %s", e.msg);
		else
			b->orders_problem = 0;
		orders_cause(b);
		net_liquidation_apply(b);
	}
}

static int flatten_orders(struct bot *b, const char *who,
    struct gw_err *err);

int
bot_flatten(struct bot *b, const char *who, struct gw_err *err)
{
	if (b->om == NULL)
		return gw_err_set(err, "flatten: dry run: there are no orders");
	bot_halt(b, who);
	return flatten_orders(b, who, err);
}

static void
flatten_now(struct bot *b, const char *who)
{
	struct gw_err e;

	(void)flatten_orders(b, who, &e);
}

/* The closing orders of a flatten (the bot is halted already). */
static int
flatten_orders(struct bot *b, const char *who, struct gw_err *err)
{
	unsigned placed = 0;
	int rc;

	if (!session_sound(b)) {
		gw_err_set(err, "flatten: the gateway session is not validated "
		    "now (%s): open orders stay cancel-requested, positions "
		    "open", gate_reason(&b->gate));
		gw_log_event(b->log, GW_ERROR, "orders", "orders.flatten",
		    json_pack("{s:s, s:i, s:s}", "by", who, "placed", 0, "error",
		    err->msg), "%s", err->msg);
		return -1;
	}
	rc = orderman_flatten(b->om, who, &placed, err);
	gw_log_event(b->log, rc < 0 ? GW_ERROR : GW_WARNING, "orders",
	    "orders.flatten", json_pack("{s:s, s:i, s:s}", "by", who, "placed",
	    placed, "error", rc < 0 ? err->msg : ""),
	    "flatten by %s: %u closing order(s) placed%s%s", who, placed,
	    rc < 0 ? "; " : "", rc < 0 ? err->msg : "");
	return rc;
}

int
bot_reload(struct bot *b, struct gw_err *err)
{
	if (load_plan(b, err) < 0)
		return -1;
	return subscribe_plan(b, err);
}

/* RFC 3339 UTC of a wall-clock ms value. */
static json_t *
ts_json(int64_t ms)
{
	char buf[40];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(ms % 1000));
	return json_string(buf);
}

json_t *
bot_status(const struct bot *b)
{
	json_t *accounts = json_array(), *loss_limit = json_null();
	char buf[512], *save = NULL, *a;

	/* the limit risk.c applies, in currency, for health-mon to judge how
	 * near the day's loss is; none without a plan or a capital */
	if (b->have_plan && b->capital > 0)
		loss_limit = json_real(b->plan.max_daily_loss_pct *
		    b->capital / 100);

	snprintf(buf, sizeof(buf), "%s", gwconn_accounts(b->gw));
	for (a = strtok_r(buf, ",", &save); a != NULL;
	    a = strtok_r(NULL, ",", &save))
		json_array_append_new(accounts, json_string(a));
	return json_pack("{s:b, s:b, s:b, s:b, s:s, s:s, s:o, s:i, s:o, s:I,"
	    " s:s, s:s, s:b, s:s, s:o, s:f, s:f, s:o, s:I, s:I, s:s, s:b, s:b,"
	    " s:I, s:o, s:s, s:s, s:o}",
	    "ok", 1,
	    "gateway_connected", gwconn_connected(b->gw),
	    "gateway_validated", gwconn_validated(b->gw),
	    "gate_open", gate_is_open(&b->gate),
	    "gate_reason", gate_reason(&b->gate),
	    "gate_detail", gate_detail(&b->gate),
	    "last_gateway_check", ts_json(gwconn_last_check_ms(b->gw)),
	    "server_version", gwconn_server_version(b->gw),
	    "accounts", accounts,
	    "uptime_seconds", (json_int_t)((clock_mono_ms() - b->start_ms) / 1000),
	    "strategy_active", gameplan_strategy_name(active(b)),
	    "strategy_reason", active(b) == GP_STRATEGY_C ? c_reason(b) :
	    "gameplan",
	    "dry_run", b->cfg.dry_run,
	    "trading_mode", b->cfg.trading_mode,
	    "positions", b->risk ? risk_positions_json(b->risk) : json_object(),
	    "pnl", b->risk ? risk_pnl(b->risk) : 0.0,
	    "starting_capital", b->capital > 0 ? b->capital : 0.0,
	    "max_daily_loss", loss_limit,
	    "intents_accepted", (json_int_t)b->intents_accepted,
	    "intents_rejected", (json_int_t)b->intents_rejected,
	    "last_error", b->last_error,
	    "halted", (b->c_causes & (1u << C_HALT)) != 0,
	    "strategy_running", b->st != NULL && strategy_running(b->st),
	    "ticks_coalesced", (json_int_t)(b->st ?
	    strategy_ticks_coalesced(b->st) : 0),
	    "restart", b->have_restart ? initrestart_json(&b->last_restart) :
	    json_null(),
	    "order_account", b->order_account,
	    "capital_source", b->capital_source ? b->capital_source : "",
	    "orders", b->om != NULL ? orderman_status(b->om) : json_null());
}

void
bot_free(struct bot *b)
{
	if (b == NULL)
		return;
	if (b->restart_poll != NULL)
		event_free(b->restart_poll);
	if (b->window_timer != NULL)
		event_free(b->window_timer);
	strategy_free(b->st);
	orderman_free(b->om);
	gwconn_free(b->gw);
	risk_free(b->risk);
	free(b);
}
