#!/usr/bin/env node
// A real third-party TWS client against gw-sim's orders: @stoqey/ib (npm,
// pinned by package-lock.json, installed into bin/node-ib by
// `mk/deps.sh stoqey`; NODE_PATH points there) places a marketable LMT BUY,
// a MKT SELL and a resting LMT BUY (cancelled after reqOpenOrders), then
// asks reqExecutions, reqPositions and reqAccountSummary. Every event it
// decodes is printed as one JSON line: {"ev":..., "t_ms":..., fields}; each
// request it sends as a {"ev":"request","what":...} line first.
// tests/integration/gw-sim-stoqey.bats checks the fields.
//
//   node check.js --port P [--client-id N] [--symbol S] [--timeout SECONDS]
//
// Exit: 0 every step done and nothing unexpected; 1 an error event it did
// not expect (a "decode_failure" line when @stoqey/ib could not decode a
// message: unknown id, fields left over, too few fields, an exception);
// 2 no connection; 3 a step timed out (a "timeout" line names it); 64 usage.
"use strict";

const t0 = process.hrtime.bigint();
function out(ev, fields) {
	const t_ms = Number(process.hrtime.bigint() - t0) / 1e6;
	process.stdout.write(JSON.stringify({ ev, t_ms: Math.round(t_ms * 1000) / 1000, ...fields }) + "\n");
}

function usage(msg) {
	process.stderr.write(`check.js: ${msg}\nusage: node check.js --port P [--client-id N] [--symbol S] [--timeout SECONDS]\n`);
	process.exit(64);
}

const opt = { port: 0, clientId: 11, symbol: "AAPL", timeout: 10 };
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i], v = process.argv[i + 1];
	if (v === undefined) usage(`${k}: missing value`);
	if (k === "--port") opt.port = Number(v);
	else if (k === "--client-id") opt.clientId = Number(v);
	else if (k === "--symbol") opt.symbol = v;
	else if (k === "--timeout") opt.timeout = Number(v);
	else usage(`${k}: unknown option`);
}
if (!(Number.isInteger(opt.port) && opt.port > 0 && opt.port < 65536)) usage("--port: 1..65535 required");
if (!(opt.timeout > 0)) usage("--timeout: seconds > 0");

let ib;
try {
	ib = require("@stoqey/ib");
} catch (e) {
	process.stderr.write(`check.js: cannot load @stoqey/ib (NODE_PATH=${process.env.NODE_PATH || ""}): ${e.message}\n`);
	process.exit(2);
}
const { IBApi, EventName, OrderAction, OrderType, SecType, TimeInForce } = ib;

const api = new IBApi({ host: "127.0.0.1", port: opt.port, clientId: opt.clientId });
const seen = [];		// every printed line, for the steps' predicates
const waiters = [];
const expected = [];		// error events announced by a step: {id, code}
let unexpected = 0;
let lastTokens = null;		// the last message received, raw
let connected = false;
let done = false;

function record(ev, fields) {
	const line = { ev, ...fields };
	out(ev, fields);
	seen.push(line);
	for (const w of waiters.slice()) {
		if (w.pred(line)) {
			waiters.splice(waiters.indexOf(w), 1);
			clearTimeout(w.timer);
			w.resolve(line);
		}
	}
}

// until(what, pred): the first line (already seen or to come) with pred
// true; exit 3 after --timeout seconds.
function until(what, pred) {
	const hit = seen.find(pred);
	if (hit) return Promise.resolve(hit);
	return new Promise((resolve) => {
		const w = { pred, resolve };
		w.timer = setTimeout(() => {
			out("timeout", { waiting_for: what, after_s: opt.timeout });
			finish(3);
		}, opt.timeout * 1000);
		waiters.push(w);
	});
}

function finish(code) {
	if (done) return;
	done = true;
	try { api.disconnect(); } catch (e) { /* closing anyway */ }
	// let stdout drain; nothing else keeps the process alive
	setImmediate(() => process.exit(code));
}

// sent(what, fields): print a "request" line, then call send (the lines
// that follow it answer it or came after it).
function sent(what, fields, send) {
	record("request", { what, ...fields });
	send();
}

const num = (v) => (v === undefined || v === null ? null : Number(v));

api.on(EventName.received, (tokens) => { lastTokens = tokens; });
api.on(EventName.connected, () => { connected = true; record("connected", {}); });
api.on(EventName.disconnected, () => {
	record("disconnected", {});
	if (!done) finish(connected ? 1 : 2);
});
api.on(EventName.server, (version, time) => record("server", { version, time }));
api.on(EventName.info, (text, code) => record("info", { code, text }));
api.on(EventName.error, (err, code, reqId) => {
	const text = err && err.message ? err.message : String(err);
	// @stoqey/ib reports what it cannot decode as error 505 (UNKNOWN_ID):
	// "No parser implementation found", "Decoding error on X: unprocessed
	// data left on queue", "Underrun error on X".
	if (code === 505 || /Decoding error|Underrun error|No parser implementation/.test(text)) {
		record("decode_failure", { code, id: reqId, text, message: lastTokens });
		unexpected++;
		return;
	}
	const i = expected.findIndex((x) => x.code === code && x.id === reqId);
	if (i >= 0) expected.splice(i, 1);
	else unexpected++;
	record("error", { id: reqId, code, text, expected: i >= 0 });
});
api.on(EventName.nextValidId, (id) => record("next_valid_id", { id }));
api.on(EventName.openOrder, (id, c, o, s) => record("open_order", {
	id, symbol: c.symbol, sec_type: c.secType, exchange: c.exchange, currency: c.currency,
	action: o.action, qty: num(o.totalQuantity), type: o.orderType,
	lmt: o.orderType === "LMT" ? num(o.lmtPrice) : undefined, tif: o.tif, ref: o.orderRef,
	account: o.account, perm_id: o.permId, client_id: o.clientId,
	status: s.status, commission: s.commission, commission_currency: s.commissionCurrency,
}));
api.on(EventName.openOrderEnd, () => record("open_order_end", {}));
api.on(EventName.orderStatus, (id, status, filled, remaining, avg, permId, parentId, last, clientId, whyHeld) =>
	record("order_status", {
		id, status, filled: num(filled), remaining: num(remaining), avg_fill_price: avg,
		perm_id: permId, parent_id: parentId, last_fill_price: last, client_id: clientId, why_held: whyHeld,
	}));
api.on(EventName.execDetails, (reqId, c, x) => record("exec", {
	req_id: reqId, id: x.orderId, symbol: c.symbol, sec_type: c.secType, side: x.side,
	shares: num(x.shares), price: x.price, perm_id: x.permId, exec_id: x.execId, time: x.time,
	account: x.acctNumber, cum_qty: num(x.cumQty), avg_price: x.avgPrice, ref: x.orderRef,
	client_id: x.clientId,
}));
api.on(EventName.execDetailsEnd, (reqId) => record("exec_end", { req_id: reqId }));
api.on(EventName.commissionReport, (r) => record("commission", {
	exec_id: r.execId, commission: r.commission, currency: r.currency,
	realized_pnl: r.realizedPNL,
}));
api.on(EventName.position, (account, c, pos, avgCost) => record("position", {
	account, symbol: c.symbol, sec_type: c.secType, position: num(pos), avg_cost: avgCost,
}));
api.on(EventName.positionEnd, () => record("position_end", {}));
api.on(EventName.accountSummary, (reqId, account, tag, value, currency) =>
	record("account_value", { req_id: reqId, account, tag, value, currency }));
api.on(EventName.accountSummaryEnd, (reqId) => record("account_summary_end", { req_id: reqId }));
api.on(EventName.currentTime, (time) => record("current_time", { time }));

process.on("uncaughtException", (e) => {
	record("decode_failure", { code: null, text: `exception: ${e && e.stack ? e.stack.split("\n")[0] : e}`, message: lastTokens });
	finish(1);
});

const contract = { symbol: opt.symbol, secType: SecType.STK, exchange: "SMART", currency: "USD" };
const order = (action, type, qty, lmt, ref) => ({
	action, orderType: type, totalQuantity: qty, tif: TimeInForce.DAY, orderRef: ref, transmit: true,
	...(type === OrderType.LMT ? { lmtPrice: lmt } : {}),
});
const filled = (id) => (l) => l.ev === "order_status" && l.id === id && l.status === "Filled";

async function fillSteps(id) {
	// a fill: execDetails, then openOrder/orderStatus Filled, then its commissionReport
	const x = await until(`exec of order ${id}`, (l) => l.ev === "exec" && l.id === id && l.req_id === -1);
	await until(`order_status Filled of order ${id}`, filled(id));
	await until(`commission of ${x.exec_id}`, (l) => l.ev === "commission" && l.exec_id === x.exec_id);
}

async function run() {
	const first = await until("nextValidId", (l) => l.ev === "next_valid_id");
	const lmtId = first.id, mktId = first.id + 1, restId = first.id + 2;

	// 1. a marketable LMT BUY: fills at the ask
	sent("placeOrder", { id: lmtId }, () =>
		api.placeOrder(lmtId, contract, order(OrderAction.BUY, OrderType.LMT, 10, 999, "stoqey:lmt")));
	await until(`open_order ${lmtId}`, (l) => l.ev === "open_order" && l.id === lmtId);
	await fillSteps(lmtId);

	// 2. a MKT SELL of part of it: fills at the bid, closes 4 shares
	sent("placeOrder", { id: mktId }, () =>
		api.placeOrder(mktId, contract, order(OrderAction.SELL, OrderType.MKT, 4, undefined, "stoqey:mkt")));
	await until(`open_order ${mktId}`, (l) => l.ev === "open_order" && l.id === mktId);
	await fillSteps(mktId);

	// 3. a LMT BUY far below the market rests; reqOpenOrders shows it; cancel it
	sent("placeOrder", { id: restId }, () =>
		api.placeOrder(restId, contract, order(OrderAction.BUY, OrderType.LMT, 1, 1.0, "stoqey:rest")));
	await until(`order_status Submitted of ${restId}`,
		(l) => l.ev === "order_status" && l.id === restId && l.status === "Submitted");
	const before = seen.length;
	sent("reqOpenOrders", {}, () => api.reqOpenOrders());
	await until("open_order_end", (l) => l.ev === "open_order_end" && seen.indexOf(l) >= before);
	expected.push({ id: restId, code: 202 });
	sent("cancelOrder", { id: restId }, () => api.cancelOrder(restId));
	await until(`order_status Cancelled of ${restId}`,
		(l) => l.ev === "order_status" && l.id === restId && l.status === "Cancelled");
	await until(`error 202 for ${restId}`, (l) => l.ev === "error" && l.id === restId && l.code === 202);

	// 4. the day's executions, positions, account summary
	sent("reqExecutions", { req_id: 9001 }, () => api.reqExecutions(9001, {}));
	await until("exec_end 9001", (l) => l.ev === "exec_end" && l.req_id === 9001);
	sent("reqPositions", {}, () => api.reqPositions());
	await until("position_end", (l) => l.ev === "position_end");
	sent("cancelPositions", {}, () => api.cancelPositions());
	sent("reqAccountSummary", { req_id: 9002 }, () =>
		api.reqAccountSummary(9002, "All", "NetLiquidation,TotalCashValue,RealizedPnL"));
	await until("account_summary_end 9002", (l) => l.ev === "account_summary_end" && l.req_id === 9002);
	sent("cancelAccountSummary", { req_id: 9002 }, () => api.cancelAccountSummary(9002));

	// a last round trip, so that anything sent before it has been decoded
	sent("reqCurrentTime", {}, () => api.reqCurrentTime());
	await until("current_time", (l) => l.ev === "current_time");
	out("done", { unexpected_errors: unexpected, expected_left: expected.length });
	finish(unexpected === 0 && expected.length === 0 ? 0 : 1);
}

const connectTimer = setTimeout(() => {
	if (!connected) {
		out("timeout", { waiting_for: "connection", after_s: opt.timeout });
		finish(2);
	}
}, opt.timeout * 1000);
api.once(EventName.connected, () => clearTimeout(connectTimer));
api.connect();
run().catch((e) => {
	out("failed", { reason: String(e && e.stack ? e.stack.split("\n")[0] : e) });
	finish(1);
});
