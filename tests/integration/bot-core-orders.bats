#!/usr/bin/env bats
# bot-core's order path (docs/orders.md) against gw-sim's paper broker:
# reconciliation before the gate opens, an intent placed once and filled,
# the strategy's order and fill messages, halt and flatten, a reject, a
# kill -9 mid-order and restart (no intent sent twice, the outage's fill
# adopted), a gateway restart, an unknown position (Strategy C until ctl
# resume), the journal's lock and the trading-mode matrix. gw-sim's own log
# (sim.order.received, logged before its broker sees the order) is the
# observer independent of bot-core. Loopback only; every wait has a deadline.
load common
bats_require_minimum_version 1.5.0

setup() {
	PORT=$(free_port)
	export GWKIT_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$GWKIT_RUNTIME_DIR" && chmod 700 "$GWKIT_RUNTIME_DIR"
	SIM_PID= BOT_PID=
	BOT_LOG=$BATS_TEST_TMPDIR/bot.log
	PLAN=$BATS_TEST_TMPDIR/plan.json
	SIMCTL=$BATS_TEST_TMPDIR/sim.ctl
	TODAY=$(TZ=America/New_York date +%F)
	export GATEWAY_RETRY_INTERVAL=0.05 GATEWAY_STARTUP_TIMEOUT=20
	export HEARTBEAT_INTERVAL=0.3 HEARTBEAT_TIMEOUT=0.5
	export STARTING_CAPITAL=100000 LOG_LEVEL=debug
	export CLOSE_OUT_TIME=off
	export DRY_RUN=false
	export ORDER_JOURNAL=$BATS_TEST_TMPDIR/state/orders.jsonl
	unset TRADING_MODE LIVE_TRADING_CONFIRM STRATEGY_CMD GAMEPLAN_PATH CLIENT_ID ADOPT_POSITIONS
	# the strategy: every line appended to INTENTS is sent; what bot-core
	# says is kept in SEEN
	INTENTS=$BATS_TEST_TMPDIR/intents.jsonl
	SEEN=$BATS_TEST_TMPDIR/seen.jsonl
	: >"$INTENTS"
	export INTENTS SEEN
	printf '{"date":"%s","strategy":"A","symbols":["SPY","QQQ"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100},"allow_outside_rth":true,"max_intents_per_minute":100}\n' \
	    "$TODAY" >"$PLAN"
}

teardown() {
	stop_pid "$BOT_PID" "$SIM_PID"
	reap_test_procs
}

sim() {
	start_sim "$PORT" --control "$SIMCTL" --tick-ms 50 "$@"
	wait_listening
}

simctl() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$SIMCTL"; }

start_bot() {
	bot-core --port "$PORT" --gameplan "$PLAN" --no-notify \
	    --strategy 'tail -n +1 -f "$INTENTS" & exec cat >>"$SEEN"' "$@" \
	    >>"$BOT_LOG" 2>&1 3>&- &
	BOT_PID=$!
}

ctl() { bot-core ctl --control "$GWKIT_RUNTIME_DIR/bot.sock" "$@"; }
status_field() { ctl status | jq -c ".$1"; }

# intent ID SIDE QTY [LMT]: the strategy sends one intent.
intent() {
	if [ -n "${4:-}" ]; then
		printf '{"type":"intent","id":"%s","symbol":"SPY","side":"%s","quantity":%s,"order_type":"LMT","limit_price":%s}\n' "$1" "$2" "$3" "$4" >>"$INTENTS"
	else
		printf '{"type":"intent","id":"%s","symbol":"SPY","side":"%s","quantity":%s,"order_type":"MKT"}\n' "$1" "$2" "$3" >>"$INTENTS"
	fi
}

# received REF: how many placeOrders gw-sim received with that orderRef.
received() { grep -c "\"event\":\"sim\\.order\\.received\".*\"order_ref\":\"$1\"" "$SIM_LOG" || true; }

gate_open() { [ "$(status_field gate_open)" = true ]; }

@test "paper: reconciled before the gate opens; a MKT intent is placed once, filled, and the strategy hears order and fill" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	# the reconciliation came first, and gw-sim saw its requests
	awk '/"event":"orders\.reconciled"/ { r = NR } /"event":"gate\.opened"/ && !g { g = NR } END { exit !(r && r < g) }' "$BOT_LOG"
	grep -q '"event":"orders\.reconciled".*"ok":true' "$BOT_LOG"
	intent m1 BUY 5
	wait_for_line "$BOT_LOG" '"event":"order\.fill".*"id":"m1"' 10
	wait_for_line "$SEEN" '"type":"fill","id":"m1"' 5
	wait_for_line "$SEEN" '"type":"order","id":"m1".*"state":"filled"' 5
	grep -q '"type":"intent_result","id":"m1","accepted":true' "$SEEN"
	grep -q '"type":"hello".*"dry_run":false' "$SEEN"
	[ "$(received gwk:m1)" = 1 ]
	[ "$(status_field positions.SPY.position)" = 5 ]
	[ "$(status_field orders.state)" = '"ready"' ]
	# the journal promised it before it left, with the client id (1)
	grep -q '"kind":"place".*"intent":"m1".*"client_id":1}' "$ORDER_JOURNAL"
	# the same intent id again is refused: never placed twice
	intent m1 BUY 5
	wait_for_line "$SEEN" '"type":"intent_result","id":"m1","accepted":false,"rule":"order-refused"' 5
	[ "$(received gwk:m1)" = 1 ]
}

@test "a resting LMT order: ctl halt cancels it (reqGlobalCancel) and the strategy hears cancelled" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	intent l1 BUY 3 1.00
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"l1".*"state":"submitted"' 10
	[ "$(status_field orders.open)" = 1 ] || ctl status | jq .orders >&2
	ctl halt >/dev/null
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"l1".*"state":"cancelled"' 10
	wait_for_line "$SEEN" '"type":"order","id":"l1".*"state":"cancelled"' 5
	grep -q '"event":"orders\.cancel_all".*"why":"halt"' "$BOT_LOG"
	[ "$(status_field gate_open)" = false ]
}

@test "a rejected order (gw-sim order-reject) is an error and the strategy hears rejected; the intent is not retried" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	[ "$(simctl 'order-reject 1')" = '{"ok":true}' ]
	intent r1 BUY 1
	wait_for_line "$BOT_LOG" '"level":"error".*"event":"order\.state".*"id":"r1".*"state":"rejected"' 10
	wait_for_line "$SEEN" '"type":"order","id":"r1".*"state":"rejected"' 5
	[ "$(received gwk:r1)" = 1 ]
}

@test "kill -9 mid-order, restart: the intent is not sent twice and the fill during the outage is adopted" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	# fills wait for 40 quotes (2 s): bot-core dies before it hears one
	[ "$(simctl 'fill-delay 40')" = '{"ok":true}' ]
	intent k1 BUY 7
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"k1".*"state":"submitted"' 10
	kill -9 "$BOT_PID"
	wait "$BOT_PID" 2>/dev/null || true
	wait_for_line "$SIM_LOG" '"event":"sim\.fill".*"order_ref":"gwk:k1"' 10
	# the strategy sends k1 again after the restart
	: >"$SEEN"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"orders\.reconciled".*"adopted_fills":1' 15
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	wait_for_line "$SEEN" '"type":"intent_result","id":"k1","accepted":false' 10
	[ "$(received gwk:k1)" = 1 ]
	[ "$(status_field positions.SPY.position)" = 7 ]
	[ "$(simctl book | jq -r '.positions[] | select(.symbol == "SPY") | .qty | tonumber')" = 7 ]
}

@test "a journal from before client ids were kept: its working order is known by its ref at the restart, and followed to its end" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	intent c1 BUY 3 1.00
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"c1".*"state":"submitted"' 10
	kill -9 "$BOT_PID"
	wait "$BOT_PID" 2>/dev/null || true
	sed -i 's/,"client_id":1}$/}/' "$ORDER_JOURNAL"
	refute grep -q client_id "$ORDER_JOURNAL"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"orders\.reconciled".*"ok":true' 15
	wait_until 10 gate_open
	[ "$(status_field orders.open)" = 1 ]
	refute grep -q '"event":"order\.state".*"id":"c1".*"state":"gone"' "$BOT_LOG"
	# the gateway's Cancelled reaches the order: it is followed live
	ctl halt >/dev/null
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"c1".*"state":"cancelled"' 10
	[ "$(received gwk:c1)" = 1 ]
}

@test "reconciliations that never end (gw-sim exec-swallow 2): one critical alert, each session dropped, the third reconciles and the gate opens" {
	sim
	[ "$(simctl 'exec-swallow 2')" = '{"ok":true}' ]
	export ORDER_RECONCILE_TIMEOUT=1
	start_bot
	wait_for_line "$BOT_LOG" '"level":"critical".*"event":"orders\.failed".*reconciliation timed out' 10
	wait_for_line "$BOT_LOG" '"event":"gateway\.disconnected".*a new session reconciles' 5
	wait_for_line "$BOT_LOG" '"event":"orders\.reconciled".*"ok":true' 15
	wait_until 10 gate_open
	# the first timeout alerts; the retry's is logged at info
	[ "$(grep -c '"event":"orders\.failed"' "$BOT_LOG")" = 2 ]
	[ "$(grep -c '"level":"critical".*"event":"orders\.failed"' "$BOT_LOG")" = 1 ]
	# our own drops are no outage: no error, no flatten
	refute grep -q '"level":"error".*"event":"gateway\.disconnected"' "$BOT_LOG"
	refute grep -q '"event":"orders\.flatten_due"' "$BOT_LOG"
	# three API sessions at gw-sim, each a reconciliation
	[ "$(grep -c '"event":"sim\.start_api"' "$SIM_LOG")" = 3 ]
	[ "$(status_field strategy_active)" = '"A"' ]
}

@test "a gateway restart: the book survives it, bot-core reconciles again before the gate reopens" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	intent g1 BUY 2
	wait_for_line "$BOT_LOG" '"event":"order\.fill".*"id":"g1"' 10
	kill -HUP "$SIM_PID"
	wait_for_line "$BOT_LOG" '"event":"gateway\.disconnected"' 10
	wait_until 15 sh -c "[ \$(grep -c '\"event\":\"orders\\.reconciled\"' '$BOT_LOG') -ge 2 ]"
	wait_until 10 gate_open
	[ "$(grep -c '"event":"orders\.reconciled".*"ok":true' "$BOT_LOG")" -ge 2 ]
	[ "$(status_field positions.SPY.position)" = 2 ]
	# no placeOrder reached gw-sim but g1's
	[ "$(grep -c '"event":"sim\.order\.received"' "$SIM_LOG")" = 1 ]
}

@test "a fill during a gateway restart is adopted by the reconciliation on the new session, never placed again" {
	sim --login-delay 2
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	# the fill waits for 20 quotes (1 s): it happens while gw-sim's port
	# is closed for its login delay
	[ "$(simctl 'fill-delay 20')" = '{"ok":true}' ]
	intent d1 BUY 3
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"d1".*"state":"submitted"' 10
	kill -HUP "$SIM_PID"
	wait_for_line "$BOT_LOG" '"event":"gateway\.disconnected"' 10
	wait_for_line "$SIM_LOG" '"event":"sim\.fill".*"order_ref":"gwk:d1"' 10
	refute grep -q '"event":"order\.fill".*"id":"d1"' "$BOT_LOG"
	wait_for_line "$BOT_LOG" '"event":"orders\.reconciled".*"ok":true.*"adopted_fills":1' 20
	wait_for_line "$BOT_LOG" '"event":"order\.fill".*"id":"d1"' 5
	wait_until 10 gate_open
	[ "$(received gwk:d1)" = 1 ]
	[ "$(status_field positions.SPY.position)" = 3 ]
}

@test "a position at the gateway the book does not know: Strategy C until ctl resume, no order meanwhile" {
	sim
	# another client (client id 9) buys before bot-core starts
	printf '%s\n' '{"cmd":"place","id":"next","symbol":"SPY","action":"BUY","qty":"4","type":"MKT","ref":"manual"}' \
	    '{"cmd":"wait","ev":"exec","match":{"symbol":"SPY"},"timeout":10}' |
	    timeout 30 tws-client --port "$PORT" --client-id 9 >/dev/null
	start_bot
	wait_for_line "$BOT_LOG" '"level":"error".*"event":"orders\.reconciled".*"ok":false' 15
	grep -q 'position-mismatch' "$BOT_LOG"
	[ "$(status_field strategy_active)" = '"C"' ]
	intent u1 BUY 1
	wait_for_line "$SEEN" '"type":"intent_result","id":"u1","accepted":false' 5
	[ "$(received gwk:u1)" = 0 ]
	ctl resume >/dev/null
	wait_for_line "$BOT_LOG" '"event":"bot\.resumed"' 5
	[ "$(status_field strategy_active)" = '"A"' ]
	grep -q '"kind":"resume"' "$ORDER_JOURNAL"
}

@test "ctl flatten: halt, then a market order closes the book's position" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	intent f1 BUY 6
	wait_for_line "$BOT_LOG" '"event":"order\.fill".*"id":"f1"' 10
	run ctl flatten
	[ "$status" -eq 0 ]
	wait_for_line "$SIM_LOG" '"event":"sim\.order\.received".*"order_ref":"gwk:flatten-SPY-[0-9]+".*"action":"SELL"' 10
	wait_until 10 sh -c "[ \"\$(bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq .positions.SPY.position)\" = 0 ]"
	[ "$(simctl book | jq -r '.positions[] | select(.symbol == "SPY") | .qty | tonumber')" = 0 ]
	[ "$(status_field gate_open)" = false ]
}

@test "the journal is bot-core's alone: a second bot-core on it exits 78 naming it" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"orders\.journal"' 15
	run -78 bot-core --port "$PORT" --gameplan "$PLAN" --no-notify --no-control
	[[ "$output" == *"$ORDER_JOURNAL"*"locked"* ]]
}

@test "modes: DRY_RUN=false paper on a live account places nothing; live with its confirmation places" {
	sim --accounts U1234567
	start_bot
	wait_for_line "$BOT_LOG" '"level":"critical".*"event":"bot\.account_refused"' 10
	intent p1 BUY 1
	wait_for_line "$SEEN" '"type":"intent_result","id":"p1","accepted":false' 5
	refute grep -q '"event":"sim\.order\.received"' "$SIM_LOG"
	refute grep -q '"event":"orders\.reconciled"' "$BOT_LOG"
	stop_pid "$BOT_PID"
	BOT_PID=
	: >"$INTENTS"
	: >"$SEEN"
	TRADING_MODE=live LIVE_TRADING_CONFIRM=U1234567 start_bot
	wait_until 15 gate_open
	intent p2 BUY 1
	wait_for_line "$BOT_LOG" '"event":"order\.fill".*"id":"p2"' 10
	[ "$(received gwk:p2)" = 1 ]
	grep -q '"event":"sim\.order\.received".*"order_ref":"gwk:p2"' "$SIM_LOG"
}

@test "bad order settings are refused (78): CLOSE_OUT_TIME, MAX_ORDERS_PER_SECOND, ORDER_ACK_TIMEOUT" {
	run -78 env CLOSE_OUT_TIME=25:00 bot-core -n --gameplan "$PLAN"
	[[ "$output" == *"CLOSE_OUT_TIME: '25:00' is not HH:MM"* ]]
	run -78 env MAX_ORDERS_PER_SECOND=0 bot-core -n --gameplan "$PLAN"
	[[ "$output" == *MAX_ORDERS_PER_SECOND* ]]
	run -78 env ORDER_ACK_TIMEOUT=x bot-core -n --gameplan "$PLAN"
	[[ "$output" == *ORDER_ACK_TIMEOUT* ]]
	run -0 env CLOSE_OUT_TIME=off bot-core -n --gameplan "$PLAN"
}

@test "without STARTING_CAPITAL the loss limit is measured against the account's NetLiquidation: Strategy C until it arrives" {
	unset STARTING_CAPITAL
	sim --paper-cash 250000
	start_bot
	wait_for_line "$BOT_LOG" '"event":"risk\.no_capital"' 10
	wait_for_line "$BOT_LOG" '"event":"risk\.capital".*"source":"NetLiquidation".*"capital":250000' 15
	wait_until 10 gate_open
	[ "$(status_field strategy_active)" = '"A"' ]
	[ "$(status_field capital_source)" = '"NetLiquidation"' ]
	[ "$(status_field max_daily_loss)" = 5000 ] || [ "$(status_field max_daily_loss)" = 5000.0 ]
}

# plan_with EXTRA: today's plan with extra top-level members.
plan_with() {
	printf '{"date":"%s","strategy":"A","symbols":["SPY","QQQ"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100},"allow_outside_rth":true,"max_intents_per_minute":100%s}\n' \
	    "$TODAY" "$1" >"$PLAN"
}

@test "gameplan flatten_on_reconnect: a session lost outside a known restart ends flat and halted once reconciled" {
	plan_with ',"flatten_on_reconnect":true'
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	intent o1 BUY 4
	wait_for_line "$BOT_LOG" '"event":"order\.fill".*"id":"o1"' 10
	kill -HUP "$SIM_PID"
	wait_for_line "$BOT_LOG" '"level":"error".*"event":"orders\.flatten_due".*"why":"flatten_on_reconnect"' 20
	wait_for_line "$SIM_LOG" '"event":"sim\.order\.received".*"order_ref":"gwk:flatten-SPY-[0-9]+".*"action":"SELL"' 10
	wait_until 10 sh -c "[ \"\$(bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq .positions.SPY.position)\" = 0 ]"
	[ "$(status_field halted)" = true ]
}

@test "gameplan flatten_at: at its New York time the book is flattened once, and the bot halts" {
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	intent a1 SELL 3
	wait_for_line "$BOT_LOG" '"event":"order\.fill".*"id":"a1"' 10
	plan_with ",\"flatten_at\":\"$(TZ=America/New_York date +%H:%M)\""
	ctl reload >/dev/null
	wait_for_line "$BOT_LOG" '"event":"orders\.flatten_due".*"why":"flatten_at"' 10
	wait_for_line "$SIM_LOG" '"event":"sim\.order\.received".*"order_ref":"gwk:flatten-SPY-[0-9]+".*"action":"BUY"' 10
	wait_until 10 sh -c "[ \"\$(bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq .positions.SPY.position)\" = 0 ]"
	[ "$(grep -c '"event":"orders\.flatten_due"' "$BOT_LOG")" = 1 ]
}

@test "close-out: at CLOSE_OUT_TIME the day's open orders are cancelled, once" {
	# the next New York minute (the one after when too near: the order
	# must be working first); the wait is for that minute, up to ~2 min
	local s ahead=60
	s=$(date +%S)
	((10#$s < 50)) || ahead=120
	CLOSE_OUT_TIME=$(TZ=America/New_York date -d "+$ahead seconds" +%H:%M)
	export CLOSE_OUT_TIME
	sim
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	intent c1 BUY 2 1.00
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"c1".*"state":"submitted"' 5
	refute grep -q '"event":"orders\.cancel_all"' "$BOT_LOG"
	wait_for_line "$BOT_LOG" '"event":"orders\.cancel_all".*"why":"close-out"' 130
	wait_for_line "$BOT_LOG" '"event":"order\.state".*"id":"c1".*"state":"cancelled"' 10
	# once a day (orderman_closeout_due's unit test covers the next ticks)
	[ "$(grep -c '"event":"orders\.cancel_all"' "$BOT_LOG")" = 1 ]
}
