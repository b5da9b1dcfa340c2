#!/usr/bin/env bats
# gw-sim's paper broker on the wire (docs/gw-sim.md "Orders"), driven by
# tests/helpers/tws-client: fills and the order of their messages, partial
# fills, cancels and their errors, duplicate ids, the reject and swallow
# faults, fills while the client is away, the book across a restart,
# positions and the account summary, and the sim.order.received observer.
# Loopback only; every wait has a deadline (tws-client's wait, wait_for_line).
load common
bats_require_minimum_version 1.5.0

setup() {
	PORT=$(free_port)
	SIM_PID=
	CTL=$BATS_TEST_TMPDIR/run/sim.ctl
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
}

teardown() {
	stop_pid "$SIM_PID"
	reap_test_procs
}

# sim [ARGS...]: gw-sim on $PORT with a control socket and quick ticks.
sim() {
	start_sim "$PORT" --control "$CTL" --tick-ms 50 "$@"
	wait_listening
}

# ctl LINE: one control command; its reply on stdout.
ctl() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$CTL"; }

# client SCRIPT [ARGS...]: tws-client on $PORT with SCRIPT on stdin, stdout
# in $OUT, stderr in $ERR, exit status in $status; never a malformed line.
client() {
	local script=$1
	shift
	status=0
	printf '%s' "$script" | timeout 30 tws-client --port "$PORT" "$@" \
		>"$OUT" 2>"$ERR" || status=$?
	refute grep -q '"ev":"malformed"' "$OUT"
}

# seq_of ID: the order messages about order ID, as ev[:status], one line.
seq_of() {
	jq -r --argjson id "$1" 'select((.ev == "open_order" or .ev == "order_status"
		or .ev == "exec") and .id == $id) | .ev + (if .status then ":" + .status else "" end)' \
		"$OUT" | paste -sd ' '
}

# listening_twice: gw-sim listens again after a restart.
listening_twice() { [ "$(grep -c '"event":"sim\.listening"' "$SIM_LOG")" -ge 2 ]; }

# check JQ-ARGS...: jq's outputs are all true, and there is one at least
# (jq 1.6's -e looks at the last input only).
check() {
	local out
	out=$(jq "$@") || return 1
	[ -n "$out" ] && refute grep -qvx true <<<"$out"
}

# book: the control socket's book reply.
book() { ctl book; }

@test "MKT fills at once: openOrder and orderStatus Submitted, execDetails, openOrder Filled, orderStatus Filled, commissionReport" {
	sim --commission-per-share 0.01
	client '{"cmd":"place","id":"next","symbol":"AAPL","action":"BUY","qty":"10","type":"MKT","ref":"gwk:m1"}
{"cmd":"wait","ev":"commission","timeout":5}
'
	[ "$status" -eq 0 ]
	[ "$(seq_of 1)" = 'open_order:Submitted order_status:Submitted exec open_order:Filled order_status:Filled' ]
	# the commissionReport is the last of them and joins its execution
	run jq -r 'select(.ev | test("^(open_order|order_status|exec|commission)$")) | .ev' "$OUT"
	[ "${lines[-1]}" = commission ]
	xid=$(jq -r 'select(.ev == "exec") | .exec_id' "$OUT")
	[ "$(jq -r 'select(.ev == "commission") | .exec_id' "$OUT")" = "$xid" ]
	check 'select(.ev == "commission") | .commission == 0.1 and .currency == "USD" and (has("realized_pnl") | not)' "$OUT"
	# the execution: pushed (reqId -1), BOT, all 10, our ref, account, client id
	check 'select(.ev == "exec") | .req_id == -1 and .side == "BOT" and .shares == "10"
		and .cum_qty == "10" and .ref == "gwk:m1" and .account == "DU1234567" and .price > 1' "$OUT"
	check 'select(.ev == "order_status" and .status == "Filled") | .filled == "10"
		and .remaining == "0" and .client_id == 7 and .avg_fill_price > 1' "$OUT"
	check 'select(.ev == "open_order" and .status == "Filled") | .commission == 0.1' "$OUT"
	# permId is the same in every message about the order
	[ "$(jq -r 'select(.perm_id) | .perm_id' "$OUT" | sort -u | wc -l)" -eq 1 ]
	wait_for_line "$SIM_LOG" '"event":"sim\.fill".*"order_id":1,.*"side":"BOT","shares":"10"'
}

@test "LMT: a limit below the market rests; one through it waits the fill-delay quotes, then fills at the ask" {
	sim --tick-ms 100
	[ "$(ctl 'fill-delay 3')" = '{"ok":true}' ]
	client '{"cmd":"place","id":1,"symbol":"MSFT","action":"BUY","qty":"5","type":"LMT","lmt":1.5,"ref":"rest"}
{"cmd":"place","id":2,"symbol":"MSFT","action":"BUY","qty":"5","type":"LMT","lmt":5000,"ref":"cross"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Filled"},"timeout":5}
{"cmd":"wait","ev":"commission","timeout":5}
'
	[ "$status" -eq 0 ]
	[ "$(seq_of 1)" = 'open_order:Submitted order_status:Submitted' ]
	[ "$(seq_of 2)" = 'open_order:Submitted order_status:Submitted exec open_order:Filled order_status:Filled' ]
	# it rested at least 2 ticks (3 quotes skipped, the first may come at once)
	t0=$(jq 'select(.ev == "order_status" and .id == 2 and .status == "Submitted") | .t_us' "$OUT")
	t1=$(jq 'select(.ev == "exec" and .id == 2) | .t_us' "$OUT")
	((t1 - t0 >= 150000))
	check 'select(.ev == "exec") | .price < 5000 and .side == "BOT"' "$OUT"
	run book
	check '.orders | map({(.id | tostring): .status}) | add == {"1":"Submitted","2":"Filled"}' <<<"$output"
}

@test "partial fills: --partial-above fills in parts, one per quote, with the running filled; fill-parts overrides it" {
	sim --partial-above 4
	client '{"cmd":"place","id":1,"symbol":"IBM","action":"BUY","qty":"10","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":1,"status":"Filled"},"timeout":5}
{"cmd":"wait","ev":"commission","timeout":5}
'
	[ "$status" -eq 0 ]
	[ "$(seq_of 1)" = 'open_order:Submitted order_status:Submitted exec order_status:Submitted exec order_status:Submitted exec open_order:Filled order_status:Filled' ]
	[ "$(jq -r 'select(.ev == "exec") | .shares + "/" + .cum_qty' "$OUT" | paste -sd ' ')" = '4/4 4/8 2/10' ]
	[ "$(jq -r 'select(.ev == "order_status") | .filled + "/" + .remaining' "$OUT" | paste -sd ' ')" = '0/10 4/6 8/2 10/0' ]
	[ "$(jq -r 'select(.ev == "commission") | .exec_id' "$OUT" | sort -u | wc -l)" -eq 3 ]
	[ "$(ctl 'fill-parts 3')" = '{"ok":true}' ]
	client '{"cmd":"place","id":2,"symbol":"IBM","action":"SELL","qty":"7","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Filled"},"timeout":5}
{"cmd":"wait","ev":"commission","timeout":5}
'
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.ev == "exec") | .side + .shares' "$OUT" | paste -sd ' ')" = 'SLD3 SLD3 SLD1' ]
	run ctl 'fill-parts -1'
	[ "$output" = '{"ok":false,"error":"fill-parts: '"'"'-1'"'"' is not a number of shares in 0..1e+09"}' ]
	run ctl 'fill-parts lots'
	[ "$output" = '{"ok":false,"error":"fill-parts: '"'"'lots'"'"' is not a number"}' ]
}

@test "cancel: orderStatus Cancelled then 202; again 10148; unknown id 10147; a filled order 10148 state Filled" {
	sim
	client '{"cmd":"place","id":1,"symbol":"SPY","action":"BUY","qty":"10","type":"LMT","lmt":1.5}
{"cmd":"wait","ev":"order_status","match":{"id":1,"status":"Submitted"},"timeout":5}
{"cmd":"cancel","id":1}
{"cmd":"wait","ev":"error","match":{"id":1,"code":202},"timeout":5}
{"cmd":"cancel","id":1}
{"cmd":"wait","ev":"error","match":{"id":1,"code":10148},"timeout":5}
{"cmd":"cancel","id":99}
{"cmd":"wait","ev":"error","match":{"id":99,"code":10147},"timeout":5}
{"cmd":"place","id":2,"symbol":"SPY","action":"SELL","qty":"1","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Filled"},"timeout":5}
{"cmd":"cancel","id":2}
{"cmd":"wait","ev":"error","match":{"id":2,"code":10148},"timeout":5}
'
	[ "$status" -eq 0 ]
	[ "$(seq_of 1)" = 'open_order:Submitted order_status:Submitted order_status:Cancelled' ]
	# 202 right after the Cancelled status
	run jq -r 'select(.id == 1 and (.ev == "order_status" or .ev == "error")) | .ev + ":" + (.status // (.code | tostring))' "$OUT"
	[ "${lines[*]}" = 'order_status:Submitted order_status:Cancelled error:202 error:10148' ]
	check 'select(.ev == "error" and .code == 202) | .text == "Order Canceled - reason:"' "$OUT"
	check 'select(.ev == "error" and .id == 1 and .code == 10148) | .text == "OrderId 1 that needs to be cancelled cannot be cancelled, state: Cancelled."' "$OUT"
	check 'select(.ev == "error" and .code == 10147) | .text == "OrderId 99 that needs to be cancelled is not found."' "$OUT"
	check 'select(.ev == "error" and .id == 2 and .code == 10148) | .text | endswith("state: Filled.")' "$OUT"
	wait_for_line "$SIM_LOG" '"event":"sim\.order\.cancel_received".*"order_id":99,"client_id":7'
}

@test "ids: a reused or lower id gets 103 and changes nothing; reqIds answers the next valid id" {
	sim
	client '{"cmd":"place","id":5,"symbol":"AAPL","action":"BUY","qty":"1","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":5,"status":"Filled"},"timeout":5}
{"cmd":"place","id":5,"symbol":"AAPL","action":"BUY","qty":"1","type":"MKT"}
{"cmd":"wait","ev":"error","match":{"id":5,"code":103},"timeout":5}
{"cmd":"place","id":3,"symbol":"AAPL","action":"BUY","qty":"1","type":"MKT"}
{"cmd":"wait","ev":"error","match":{"id":3,"code":103},"timeout":5}
{"cmd":"ids"}
{"cmd":"wait","ev":"next_valid_id","timeout":5}
'
	[ "$status" -eq 0 ]
	check 'select(.ev == "error" and .code == 103) | .text == "Duplicate order ID"' "$OUT"
	[ "$(jq 'select(.ev == "next_valid_id") | .id' "$OUT")" -eq 6 ]
	[ "$(jq -c 'select(.ev == "exec")' "$OUT" | wc -l)" -eq 1 ]
	run book
	check '.next_valid_id == 6 and (.orders | length) == 1 and .positions[0].qty == "1"' <<<"$output"
	# the next session's nextValidId (its ready line) is the book's too
	client ''
	check 'select(.ev == "ready") | .next_valid_id == 6' "$OUT"
}

@test "order-reject: 201, then openOrder and orderStatus Inactive; the next order is accepted" {
	sim
	[ "$(ctl 'order-reject 1')" = '{"ok":true}' ]
	client '{"cmd":"place","id":1,"symbol":"AAPL","action":"BUY","qty":"3","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":1,"status":"Inactive"},"timeout":5}
{"cmd":"place","id":2,"symbol":"AAPL","action":"BUY","qty":"3","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Filled"},"timeout":5}
'
	[ "$status" -eq 0 ]
	run jq -r 'select(.id == 1) | .ev + ":" + (.status // (.code | tostring))' "$OUT"
	[ "${lines[*]}" = 'error:201 open_order:Inactive order_status:Inactive' ]
	check 'select(.ev == "error" and .code == 201) | .text | startswith("Order rejected - reason:")' "$OUT"
	check 'select(.ev == "order_status" and .id == 1) | .filled == "0" and .remaining == "3"' "$OUT"
	[ "$(seq_of 2)" = 'open_order:Submitted order_status:Submitted exec open_order:Filled order_status:Filled' ]
}

@test "order-swallow: no answer at all to the swallowed order; the id counts as used; the observer line is logged" {
	sim
	[ "$(ctl 'order-swallow 1')" = '{"ok":true}' ]
	client '{"cmd":"place","id":1,"symbol":"AAPL","action":"BUY","qty":"3","type":"MKT","ref":"gone"}
{"cmd":"place","id":2,"symbol":"AAPL","action":"BUY","qty":"3","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Filled"},"timeout":5}
{"cmd":"ids"}
{"cmd":"wait","ev":"next_valid_id","timeout":5}
'
	[ "$status" -eq 0 ]
	[ -z "$(jq -c 'select(.id == 1 and .ev != "next_valid_id")' "$OUT")" ]
	[ "$(jq 'select(.ev == "next_valid_id") | .id' "$OUT")" -eq 3 ]
	grep -q '"event":"sim\.order\.received".*"order_id":1,"order_ref":"gone"' "$SIM_LOG"
	run book
	check '[.orders[].id] == [2]' <<<"$output"
}

@test "fills while the client is away: reqExecutions and reqOpenOrders find them after the reconnect" {
	sim
	[ "$(ctl 'fill-delay 20')" = '{"ok":true}' ]
	client '{"cmd":"place","id":1,"symbol":"QQQ","action":"BUY","qty":"4","type":"LMT","lmt":9000,"ref":"away"}
{"cmd":"place","id":2,"symbol":"QQQ","action":"BUY","qty":"4","type":"LMT","lmt":1.5,"ref":"rests"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Submitted"},"timeout":5}
'
	[ "$status" -eq 0 ]
	refute grep -q '"ev":"exec"' "$OUT"
	# the fill happens with nobody connected
	wait_for_line "$SIM_LOG" '"event":"sim\.disconnect"'
	wait_for_line "$SIM_LOG" '"event":"sim\.fill".*"order_id":1,' 10
	client '{"cmd":"executions","req":9}
{"cmd":"wait","ev":"exec_end","match":{"req_id":9},"timeout":5}
{"cmd":"open_orders"}
{"cmd":"wait","ev":"open_order_end","timeout":5}
'
	[ "$status" -eq 0 ]
	check 'select(.ev == "ready") | .next_valid_id == 3' "$OUT"
	check 'select(.ev == "exec") | .req_id == 9 and .id == 1 and .ref == "away" and .shares == "4"' "$OUT"
	xid=$(jq -r 'select(.ev == "exec") | .exec_id' "$OUT")
	[ "$(jq -r 'select(.ev == "commission") | .exec_id' "$OUT")" = "$xid" ]
	# the execution, its commission, then the end
	run jq -r 'select(.ev | test("^(exec|commission|exec_end)$")) | .ev' "$OUT"
	[ "${lines[*]}" = 'exec commission exec_end' ]
	# only the working order, then the end
	run jq -r 'select(.ev | test("^(open_order|order_status|open_order_end)$")) | .ev + ":" + ((.id // "") | tostring)' "$OUT"
	[ "${lines[*]}" = 'open_order:2 order_status:2 open_order_end:' ]
}

@test "the book survives a restart (SIGHUP): ids, permIds, working orders, positions" {
	sim
	client '{"cmd":"place","id":1,"symbol":"AAPL","action":"BUY","qty":"10","type":"MKT"}
{"cmd":"wait","ev":"order_status","match":{"id":1,"status":"Filled"},"timeout":5}
{"cmd":"place","id":2,"symbol":"AAPL","action":"SELL","qty":"3","type":"LMT","lmt":99999,"ref":"resting"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Submitted"},"timeout":5}
'
	[ "$status" -eq 0 ]
	perm=$(jq 'select(.ev == "open_order" and .id == 2) | .perm_id' "$OUT")
	before=$(book | jq -c '{next_valid_id, orders: [.orders[] | {id, perm_id, status}], positions: [.positions[] | {symbol, qty}]}')
	kill -HUP "$SIM_PID"
	wait_for_line "$SIM_LOG" '"event":"sim\.restart"'
	wait_until 10 listening_twice
	[ "$(book | jq -c '{next_valid_id, orders: [.orders[] | {id, perm_id, status}], positions: [.positions[] | {symbol, qty}]}')" = "$before" ]
	client '{"cmd":"open_orders"}
{"cmd":"wait","ev":"open_order_end","timeout":5}
{"cmd":"positions"}
{"cmd":"wait","ev":"position_end","timeout":5}
'
	[ "$status" -eq 0 ]
	check 'select(.ev == "ready") | .next_valid_id == 3' "$OUT"
	check --argjson p "$perm" 'select(.ev == "open_order") | .id == 2 and .perm_id == $p and .ref == "resting" and .status == "Submitted"' "$OUT"
	check 'select(.ev == "position") | .symbol == "AAPL" and .position == "10" and .account == "DU1234567"' "$OUT"
}

@test "positions stream fills until cancelPositions; the account summary follows the fills" {
	sim --paper-cash 100000 --commission-per-share 0.01
	client '{"cmd":"positions"}
{"cmd":"wait","ev":"position_end","timeout":5}
{"cmd":"place","id":1,"symbol":"AAPL","action":"BUY","qty":"10","type":"MKT"}
{"cmd":"wait","ev":"position","match":{"symbol":"AAPL","position":"10"},"timeout":5}
{"cmd":"account_summary","req":1,"tags":"NetLiquidation,TotalCashValue,GrossPositionValue,RealizedPnL,UnrealizedPnL,BuyingPower,AvailableFunds"}
{"cmd":"wait","ev":"account_summary_end","match":{"req_id":1},"timeout":5}
{"cmd":"place","id":2,"symbol":"AAPL","action":"SELL","qty":"10","type":"MKT"}
{"cmd":"wait","ev":"position","match":{"symbol":"AAPL","position":"0"},"timeout":5}
{"cmd":"cancel_positions"}
{"cmd":"account_summary","req":2,"tags":"TotalCashValue,RealizedPnL,GrossPositionValue"}
{"cmd":"wait","ev":"account_summary_end","match":{"req_id":2},"timeout":5}
{"cmd":"cancel_account_summary","req":2}
{"cmd":"place","id":3,"symbol":"AAPL","action":"BUY","qty":"1","type":"MKT"}
{"cmd":"wait","ev":"commission","timeout":5}
'
	[ "$status" -eq 0 ]
	# no position update after cancelPositions (order 3's fill)
	[ "$(jq -c 'select(.ev == "position")' "$OUT" | wc -l)" -eq 2 ]
	buy=$(jq 'select(.ev == "exec" and .id == 1) | .price' "$OUT")
	sell=$(jq 'select(.ev == "exec" and .id == 2) | .price' "$OUT")
	check --argjson b "$buy" 'select(.ev == "position" and .position == "10") | .avg_cost == $b' "$OUT"
	# req 1: the seven tags asked, in USD, cash = 100000 - 10 x buy - 0.10
	[ "$(jq -r 'select(.ev == "account_value" and .req_id == 1) | .tag' "$OUT" | sort | paste -sd ' ')" = 'AvailableFunds BuyingPower GrossPositionValue NetLiquidation RealizedPnL TotalCashValue UnrealizedPnL' ]
	check 'select(.ev == "account_value") | .currency == "USD" and .account == "DU1234567"' "$OUT"
	v() { jq -r --argjson r "$1" --arg t "$2" 'select(.ev == "account_value" and .req_id == $r and .tag == $t) | .value' "$OUT"; }
	awk -v c="$(v 1 TotalCashValue)" -v b="$buy" 'BEGIN { d = c - (100000 - 10 * b - 0.10); exit !(d < 0.006 && d > -0.006) }'
	awk -v g="$(v 1 GrossPositionValue)" -v b="$buy" 'BEGIN { exit !(g > 10 * b - 1 && g < 10 * b + 1) }'
	[ "$(v 1 RealizedPnL)" = 0.00 ]
	# req 2: flat again, realized = 10 x (sell - buy), cash = 100000 + realized - 0.20
	[ "$(v 2 GrossPositionValue)" = 0.00 ]
	awk -v r="$(v 2 RealizedPnL)" -v b="$buy" -v s="$sell" 'BEGIN { d = r - 10 * (s - b); exit !(d < 0.006 && d > -0.006) }'
	awk -v c="$(v 2 TotalCashValue)" -v b="$buy" -v s="$sell" 'BEGIN { d = c - (100000 + 10 * (s - b) - 0.20); exit !(d < 0.006 && d > -0.006) }'
	# the closing fill's commission report carries the realized P&L
	check 'select(.ev == "commission" and has("realized_pnl")) | .commission == 0.1' "$OUT"
	run book
	check '.positions[0].qty == "1" and (.account_values.commissions - 0.21 | fabs) < 1e-9' <<<"$output"
}

@test "sim.order.received: one observer line per placeOrder, before the broker answers, with what was sent" {
	sim
	[ "$(ctl 'order-reject 1')" = '{"ok":true}' ]
	client '{"cmd":"place","id":1,"symbol":"AAPL","action":"BUY","qty":"10","type":"LMT","lmt":101.25,"ref":"gwk:intent-1"}
{"cmd":"wait","ev":"order_status","match":{"id":1,"status":"Inactive"},"timeout":5}
{"cmd":"place","id":2,"symbol":"MSFT","action":"SELL","qty":"0.5","type":"MKT","ref":"gwk:intent-2","tif":"GTC"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Filled"},"timeout":5}
{"cmd":"place","id":2,"symbol":"IBM","action":"BUY","qty":"7","type":"MKT"}
{"cmd":"wait","ev":"error","match":{"id":2,"code":103},"timeout":5}
'
	[ "$status" -eq 0 ]
	run jq -c 'select(.event == "sim.order.received") | .fields | {order_id, order_ref, symbol, action, qty, type, lmt_price, client_id}' "$SIM_LOG"
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = '{"order_id":1,"order_ref":"gwk:intent-1","symbol":"AAPL","action":"BUY","qty":"10","type":"LMT","lmt_price":101.25,"client_id":7}' ]
	[ "${lines[1]}" = '{"order_id":2,"order_ref":"gwk:intent-2","symbol":"MSFT","action":"SELL","qty":"0.5","type":"MKT","lmt_price":null,"client_id":7}' ]
	[ "${lines[2]}" = '{"order_id":2,"order_ref":"","symbol":"IBM","action":"BUY","qty":"7","type":"MKT","lmt_price":null,"client_id":7}' ]
	# logged before the broker's answer: each received line precedes its order's first status
	run jq -r 'select(.event == "sim.order.received" or .event == "sim.order.status") | .event + ":" + (.fields.order_id | tostring) + ":" + (.fields.status // "")' "$SIM_LOG"
	[ "${lines[*]}" = 'sim.order.received:1: sim.order.status:1:Inactive sim.order.received:2: sim.order.status:2:Submitted sim.order.status:2:Filled sim.order.received:2:' ]
}

@test "routing: another client does not see, and cannot cancel, an order; reqAllOpenOrders shows it; its global cancel cancels it" {
	sim
	client '{"cmd":"place","id":1,"symbol":"AAPL","action":"BUY","qty":"2","type":"LMT","lmt":1.5}
{"cmd":"wait","ev":"order_status","match":{"id":1,"status":"Submitted"},"timeout":5}
'
	[ "$status" -eq 0 ]
	client '{"cmd":"cancel","id":1}
{"cmd":"wait","ev":"error","match":{"id":1,"code":10147},"timeout":5}
{"cmd":"open_orders"}
{"cmd":"wait","ev":"open_order_end","timeout":5}
{"cmd":"all_open_orders"}
{"cmd":"wait","ev":"open_order_end","timeout":5}
{"cmd":"global_cancel"}
{"cmd":"time"}
{"cmd":"wait","ev":"current_time","timeout":5}
' --client-id 8
	[ "$status" -eq 0 ]
	# reqOpenOrders: nothing of client 7's; reqAllOpenOrders: order 1, client 7
	run jq -r 'select(.ev | test("^(open_order|open_order_end)$")) | .ev + ":" + ((.client_id // "") | tostring)' "$OUT"
	[ "${lines[*]}" = 'open_order_end: open_order:7 open_order_end:' ]
	# the Cancelled status and its 202 belong to the owner (not connected)
	refute grep -q '"status":"Cancelled"' "$OUT"
	refute grep -q '"code":202' "$OUT"
	run book
	check '.orders[0].status == "Cancelled" and .orders[0].client_id == 7' <<<"$output"
}

@test "gw-sim -n checks the broker flags; --help lists them" {
	run gw-sim -n --paper-cash 5000 --partial-above 100 --commission-per-share 0
	[ "$status" -eq 0 ]
	[ "$output" = 'configuration OK' ]
	run gw-sim -n --paper-cash lots
	[ "$status" -eq 64 ]
	[ "$output" = "gw-sim: --paper-cash: 'lots' is not a number" ]
	run gw-sim -n --commission-per-share -0.01
	[ "$status" -eq 64 ]
	[ "$output" = "gw-sim: --commission-per-share: '-0.01' is not an amount in 0..1e+06" ]
	run gw-sim -n --partial-above -1
	[ "$status" -eq 64 ]
	[ "$output" = "gw-sim: --partial-above: '-1' is not a number of shares in 0..1e+09" ]
	run gw-sim --help
	[[ "$output" == *"--paper-cash N"* && "$output" == *"--partial-above N"* && "$output" == *"--commission-per-share X"* ]]
}
