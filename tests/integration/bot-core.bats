#!/usr/bin/env bats
# bot-core against gw-sim: start-up, validation, the gate, the gameplan,
# the strategy pipe, the risk gate in dry run, the control socket.
# Loopback only; every wait is on an event with a deadline.
load common
bats_require_minimum_version 1.5.0

setup() {
	PORT=$(free_port)
	export GWKIT_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$GWKIT_RUNTIME_DIR" && chmod 700 "$GWKIT_RUNTIME_DIR"
	SIM_PID= BOT_PID=
	BOT_LOG=$BATS_TEST_TMPDIR/bot.log
	PLAN=$BATS_TEST_TMPDIR/plan.json
	TODAY=$(TZ=America/New_York date +%F)
	# short budgets: the tests wait on events, these only bound them
	export GATEWAY_RETRY_INTERVAL=0.05 GATEWAY_STARTUP_TIMEOUT=20
	export HEARTBEAT_INTERVAL=0.3 HEARTBEAT_TIMEOUT=0.5
	export STARTING_CAPITAL=100000 LOG_LEVEL=debug
	# outside the daily restart window whatever the hour the tests run
	unset DRY_RUN TRADING_MODE LIVE_TRADING_CONFIRM STRATEGY_CMD GAMEPLAN_PATH CLIENT_ID
}

teardown() {
	stop_pid "$BOT_PID" "$SIM_PID"
	reap_test_procs
}

# plan STRATEGY [extra JSON members]: today's gameplan with SPY and QQQ,
# trading at any hour (the tests run at any time).
plan() {
	printf '{"date":"%s","strategy":"%s","symbols":["SPY","QQQ"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100},"allow_outside_rth":true%s}\n' \
	    "$TODAY" "$1" "${2:-}" >"$PLAN"
}

# start_bot [args...]: bot-core on the simulator's port, logging to BOT_LOG.
start_bot() {
	bot-core --port "$PORT" --gameplan "$PLAN" --no-notify "$@" \
	    >"$BOT_LOG" 2>&1 3>&- &
	BOT_PID=$!
}

ctl() { bot-core ctl --control "$GWKIT_RUNTIME_DIR/bot.sock" "$@"; }

# status_field NAME: one field of ctl status (jq -c).
status_field() { ctl status | jq -c ".$1"; }

ev() { grep -c "\"event\":\"$1\"" "$BOT_LOG" || true; }

@test "-n: configuration OK; bad environment values exit 78 naming the variable; bad flags 64" {
	plan A
	run bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	run env GATEWAY_PORT=abc bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *GATEWAY_PORT*abc* ]]
	run env HEARTBEAT_TIMEOUT=-1 bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *HEARTBEAT_TIMEOUT* ]]
	run env MARKET_DATA_TYPE=5 bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *MARKET_DATA_TYPE* ]]
	run env TRADING_MODE=yolo bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *"TRADING_MODE: 'yolo'"* ]]
	run env RESTART_WINDOW=25:00-26:00 bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *RESTART_WINDOW* ]]
	run env STARTING_CAPITAL=lots bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *STARTING_CAPITAL* ]]
	run bot-core --bogus
	[ "$status" -eq 64 ]
	[[ "$output" == *"--bogus: unknown option"* ]]
	run bot-core --port 0
	[ "$status" -eq 64 ]
	run bot-core --version
	[ "$status" -eq 0 ]
	[[ "$output" == "bot-core gwkit "* ]]
	run bot-core --help
	[ "$status" -eq 0 ]
	[[ "$output" == *GATEWAY_STARTUP_TIMEOUT* ]]
}

@test "DRY_RUN: a value that is not a boolean is refused (78)" {
	plan A
	run env DRY_RUN=maybe bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *DRY_RUN* ]]
}

@test "-n with a malformed gameplan names the problem (78); a missing one is a warning" {
	printf '{"date":"%s","strategy":"D"}' "$TODAY" >"$PLAN"
	run bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *strategy* ]]
	printf '{"date": ' >"$PLAN"
	run bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *line*column* ]]
	run bot-core -n --gameplan "$BATS_TEST_TMPDIR/none.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Strategy C"* ]]
}

@test "EC-15: a gateway already up is used at once; validated, accounts logged, operational, gate opens" {
	plan A
	start_sim "$PORT" --accounts DU111,DU222
	t0=$(now_ms)
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	(( $(now_ms) - t0 < 5000 ))
	[ "$(ev gateway.attempt_failed)" -eq 0 ]
	grep -q '"event":"gateway.accounts".*"kind":"paper"' "$BOT_LOG"
	grep -q '"event":"bot.operational".*"dry_run":true' "$BOT_LOG"
	[ "$(status_field gate_open)" = true ]
	[ "$(status_field gateway_validated)" = true ]
	[ "$(status_field accounts)" = '["DU111","DU222"]' ]
	[ "$(status_field strategy_active)" = '"A"' ]
	[ "$(status_field dry_run)" = true ]
}

@test "EC-01: no gateway: cheap attempts until the budget is spent, lines rate-limited, critical on giving up, exit 1; GATEWAY_FAST_POLL=0: warning at attempt 3" {
	plan A
	# a closed port is a cheap failure: polled fast, not counted against
	# GATEWAY_MAX_RETRIES; the start-up budget ends the wait
	export GATEWAY_MAX_RETRIES=4 GATEWAY_STARTUP_TIMEOUT=2
	start_bot
	wait_until 20 bash -c "! kill -0 $BOT_PID 2>/dev/null"
	wait "$BOT_PID" || EXIT_STATUS=$?
	BOT_PID=
	[ "${EXIT_STATUS:-0}" -eq 1 ]
	grep '"event":"gateway.attempt_failed"' "$BOT_LOG" |
	    jq -e -s 'all(.fields.verdict == "unreachable" and .fields.costly == 0) and last.fields.attempt > 4 and last.fields.attempt > length and last.fields.retry_in_s == -1'
	refute grep -qE '"level":"(warning|error)".*"event":"gateway.attempt_failed"' "$BOT_LOG"
	grep -q '"level":"critical".*"event":"gateway.unavailable"' "$BOT_LOG"
	# the policy before lib/gwretry: every attempt counts and has its line
	GATEWAY_FAST_POLL=0 GATEWAY_STARTUP_TIMEOUT=20 start_bot
	wait_until 20 bash -c "! kill -0 $BOT_PID 2>/dev/null"
	wait "$BOT_PID" || EXIT_STATUS=$?
	BOT_PID=
	[ "${EXIT_STATUS:-0}" -eq 1 ]
	[ "$(ev gateway.attempt_failed)" -eq 4 ]
	grep -q '"level":"warning".*"event":"gateway.attempt_failed".*"attempt":3' "$BOT_LOG"
	grep -q '"level":"critical".*"event":"gateway.unavailable"' "$BOT_LOG"
}

@test "EC-02: the gateway starts late: bot-core proceeds once it listens" {
	plan A
	start_sim "$PORT" --login-delay 2
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gateway.attempt_failed"' 10
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 20
}

@test "EC-03: not logged in: no validation, the gate stays closed, the state says why" {
	plan A
	start_sim "$PORT" --fault not-logged-in
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gateway.attempt_failed".*"verdict":"not-logged-in"' 20
	[ "$(status_field gate_open)" = false ]
	[ "$(status_field gate_reason)" = '"not-validated"' ]
	[ "$(ev gate.opened)" -eq 0 ]
}

@test "EC-04/07: the gateway dies: gate closed on EOF, Strategy C, reconnect when it returns" {
	plan A
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	stop_pid "$SIM_PID"
	wait_for_line "$BOT_LOG" '"event":"gateway\.disconnected"' 10
	wait_for_line "$BOT_LOG" '"event":"gate\.closed"' 5
	[ "$(status_field gate_open)" = false ]
	[ "$(status_field strategy_active)" = '"C"' ]
	start_sim "$PORT"
	wait_until 20 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -ge 2 ]"
	[ "$(status_field strategy_active)" = '"A"' ]
}

@test "EC-05: a wedged gateway is caught by the heartbeat deadline" {
	plan A
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	echo "fault wedged" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$BOT_LOG" '"event":"gate\.closed"' 10
	grep -q '"event":"gateway.disconnected".*heartbeat' "$BOT_LOG"
}

@test "EC-09: the daily restart (gw-sim restart): reconnect and market data again" {
	plan A
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock" --tick-ms 50 \
	    --log-level debug
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	wait_until 10 bash -c "[ \$(grep -c '\"msg\":\"reqMktData\"' '$SIM_LOG') -ge 2 ]"
	echo "restart" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$BOT_LOG" '"event":"gateway\.disconnected"' 10
	wait_until 20 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -ge 2 ]"
	# market data again after the restart: two symbols, two sessions
	wait_until 10 bash -c "[ \$(grep -c '\"msg\":\"reqMktData\"' '$SIM_LOG') -ge 4 ]"
}

@test "EC-11: no gameplan: warning and Strategy C, the gate stays closed" {
	start_sim "$PORT"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gameplan\.missing"' 10
	wait_for_line "$BOT_LOG" '"event":"gateway\.validated"' 10
	[ "$(status_field strategy_active)" = '"C"' ]
	[ "$(status_field gate_open)" = false ]
}

@test "EC-12: a malformed gameplan: error naming it, Strategy C" {
	printf '{"date":"%s","strategy":"A","symbols":[],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100}}' \
	    "$TODAY" >"$PLAN"
	start_sim "$PORT"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gameplan\.invalid".*symbols' 10
	wait_for_line "$BOT_LOG" '"event":"gateway\.validated"' 10
	[ "$(status_field strategy_active)" = '"C"' ]
}

@test "a live account while TRADING_MODE=paper is refused for the life of the process" {
	plan A
	start_sim "$PORT" --accounts U1234567
	start_bot
	wait_for_line "$BOT_LOG" '"level":"critical".*"event":"bot\.account_refused"' 10
	[ "$(status_field gate_reason)" = '"live-account-refused"' ]
	ctl resume >/dev/null
	[ "$(status_field gate_open)" = false ]
}

@test "TRADING_MODE=live (dry run) with a paper account is refused for the life of the process" {
	plan A
	start_sim "$PORT" --accounts DU1234567
	TRADING_MODE=live start_bot
	wait_for_line "$BOT_LOG" '"level":"critical".*"event":"bot\.account_refused"' 10
	grep -q 'TRADING_MODE=live but DU1234567 is a' "$BOT_LOG"
	[ "$(status_field gate_reason)" = '"live-account-refused"' ]
}

@test "a LIVE_TRADING_CONFIRM that names none of the managed accounts is refused" {
	plan A
	start_sim "$PORT" --accounts U1234567
	TRADING_MODE=live LIVE_TRADING_CONFIRM=U7654321 start_bot
	wait_for_line "$BOT_LOG" '"level":"critical".*"event":"bot\.account_refused"' 10
	grep -q 'LIVE_TRADING_CONFIRM=U7654321 is not among the' "$BOT_LOG"
	[ "$(status_field gate_open)" = false ]
}

@test "LIVE_TRADING_CONFIRM: a malformed id, or set with TRADING_MODE=paper and DRY_RUN=false, is refused (78)" {
	run env LIVE_TRADING_CONFIRM='u1 2' bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *"LIVE_TRADING_CONFIRM: 'u1 2' is not an"* ]]
	run env DRY_RUN=false LIVE_TRADING_CONFIRM=U1 bot-core -n --gameplan "$PLAN"
	[ "$status" -eq 78 ]
	[[ "$output" == *"LIVE_TRADING_CONFIRM is set but TRADING_MODE is"* ]]
}

@test "EC-16: two bot-cores with one client id: the second never validates" {
	plan A
	start_sim "$PORT"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	bot-core --port "$PORT" --gameplan "$PLAN" --no-notify --no-control \
	    >"$BATS_TEST_TMPDIR/bot2.log" 2>&1 3>&- &
	BOT2=$!
	wait_for_line "$BATS_TEST_TMPDIR/bot2.log" '"event":"gateway.attempt_failed".*client-id' 15
	refute grep -q '"event":"gateway.validated"' "$BATS_TEST_TMPDIR/bot2.log"
	stop_pid "$BOT2"
}

@test "halt closes the gate and holds C until resume; halt is audited" {
	plan A
	start_sim "$PORT"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	run ctl halt
	[ "$status" -eq 0 ]
	[ "$output" = '{"ok":true}' ]
	[ "$(status_field gate_reason)" = '"halted"' ]
	[ "$(status_field strategy_active)" = '"C"' ]
	grep -q '"event":"bot.ctl".*"verb":"halt"' "$BOT_LOG"
	ctl resume >/dev/null
	[ "$(status_field gate_open)" = true ]
	run ctl frob
	[ "$status" -eq 64 ]
}

@test "ctl with no bot-core: no answer (69)" {
	run ctl status
	[ "$status" -eq 69 ]
}

@test "the strategy: hello, ticks, an intent accepted in dry run (order.would_place), rejections answered with their rule" {
	plan A
	start_sim "$PORT" --tick-ms 50
	cat >"$BATS_TEST_TMPDIR/strat.sh" <<-'EOF'
	#!/bin/sh
	# one intent after the first tick, then a bad symbol, then a fraction
	n=0
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$STRAT_SEEN"
		case $line in
		*'"type":"tick"'*)
			n=$((n + 1))
			if [ $n -eq 1 ]; then
				echo '{"type":"intent","id":"i1","symbol":"SPY","side":"BUY","quantity":1,"order_type":"MKT"}'
				echo '{"type":"intent","id":"i2","symbol":"TSLA","side":"BUY","quantity":1,"order_type":"MKT"}'
				echo '{"type":"intent","id":"i3","symbol":"SPY","side":"BUY","quantity":1.5,"order_type":"MKT"}'
				echo '{"type":"log","level":"info","message":"sent three"}'
			fi;;
		esac
	done
	EOF
	export STRAT_SEEN=$BATS_TEST_TMPDIR/seen.txt
	start_bot --strategy "sh $BATS_TEST_TMPDIR/strat.sh"
	wait_for_line "$BOT_LOG" '"event":"order\.would_place".*"id":"i1"' 15
	wait_for_line "$BOT_LOG" '"event":"intent\.rejected".*"id":"i2".*"rule":"symbol-not-in-gameplan"' 5
	wait_for_line "$BOT_LOG" '"event":"intent\.rejected".*"id":"i3".*"rule":"quantity"' 5
	wait_for_line "$BOT_LOG" '"event":"strategy\.log"' 5
	wait_for_line "$STRAT_SEEN" '"type":"intent_result".*"id":"i1".*"accepted":true' 5
	wait_for_line "$STRAT_SEEN" '"type":"intent_result".*"id":"i2".*"accepted":false' 5
	grep -q '"type":"hello"' "$STRAT_SEEN"
	[ "$(status_field intents_accepted)" = 1 ]
	[ "$(status_field intents_rejected)" = 2 ]
	[ "$(status_field positions.SPY.position)" = 1 ]
}

@test "no intent is accepted while the gate is closed" {
	plan A
	start_sim "$PORT" --tick-ms 50 --control "$BATS_TEST_TMPDIR/sim.sock"
	cat >"$BATS_TEST_TMPDIR/strat.sh" <<-'EOF'
	#!/bin/sh
	# an intent for every tick and every gate message
	i=0
	while IFS= read -r line; do
		i=$((i + 1))
		echo "{\"type\":\"intent\",\"id\":\"n$i\",\"symbol\":\"SPY\",\"side\":\"BUY\",\"quantity\":1,\"order_type\":\"MKT\"}"
	done
	EOF
	start_bot --strategy "sh $BATS_TEST_TMPDIR/strat.sh"
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	ctl halt >/dev/null
	wait_for_line "$BOT_LOG" '"event":"intent\.rejected".*"rule":"gate-closed"' 10
	stop_pid "$SIM_PID"
	wait_for_line "$BOT_LOG" '"event":"gateway\.disconnected"' 10
	stop_pid "$BOT_PID"
	BOT_PID=
	# between every gate.closed and the next gate.opened: no acceptance
	run awk '/"event":"gate.closed"/ { closed = 1 }
	    /"event":"gate.opened"/ { closed = 0 }
	    closed && /"event":"(intent.accepted|order.would_place)"/ { bad++ }
	    END { exit bad > 0 }' "$BOT_LOG"
	[ "$status" -eq 0 ]
	grep -q '"event":"intent.rejected".*"rule":"gate-closed"' "$BOT_LOG"
}

@test "a strategy that writes garbage or exits is logged, restarted, and C holds meanwhile" {
	plan A
	start_sim "$PORT"
	start_bot --strategy 'echo not-json; sleep 30'
	wait_for_line "$BOT_LOG" '"event":"strategy\.bad_line"' 10
	wait_for_line "$BOT_LOG" '"event":"strategy\.exited"' 10
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"strategy.started\"' '$BOT_LOG') -ge 2 ]"
}

@test "SIGTERM: gate closed, strategy stopped, exit 0; SIGHUP reloads the gameplan" {
	plan C
	start_sim "$PORT"
	start_bot --strategy 'cat >/dev/null'
	wait_for_line "$BOT_LOG" '"event":"gateway\.validated"' 10
	[ "$(status_field strategy_active)" = '"C"' ]
	plan A
	kill -HUP "$BOT_PID"
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gameplan.loaded\"' '$BOT_LOG') -ge 2 ]"
	wait_until 5 bash -c "[ \"\$(bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq -r .strategy_active)\" = A ]"
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID"
	BOT_PID=
	[ "$EXIT_STATUS" -eq 0 ]
	grep -q '"event":"bot.stopped"' "$BOT_LOG"
	grep -q '"event":"strategy.stopped"' "$BOT_LOG"
}

@test "the example strategies run: examples/strategy.py and examples/strategy.sh get an intent accepted in dry run" {
	plan A
	start_sim "$PORT" --tick-ms 50
	ex=$BATS_TEST_DIRNAME/../../examples
	start_bot --strategy "python3 $ex/strategy.py --interval 1"
	wait_for_line "$BOT_LOG" '"event":"order\.would_place"' 20
	wait_for_line "$BOT_LOG" '"event":"strategy\.log"' 5
	refute grep -q '"event":"strategy\.bad_line"' "$BOT_LOG"
	stop_pid "$BOT_PID"
	BOT_PID=
	: >"$BOT_LOG"
	start_bot --strategy "sh $ex/strategy.sh"
	wait_for_line "$BOT_LOG" '"event":"order\.would_place"' 20
	refute grep -q '"event":"strategy\.bad_line"' "$BOT_LOG"
}

@test "EC-06: a bad host or port is a fast, clear error: the attempts name it, exit 1" {
	plan A
	# unreachable is a cheap verdict: the start-up budget ends the wait,
	# GATEWAY_MAX_RETRIES counts the costly attempts (not-api below)
	export GATEWAY_MAX_RETRIES=2 GATEWAY_STARTUP_TIMEOUT=2
	# a name that cannot resolve (.invalid never does, RFC 6761)
	t0=$(now_ms)
	run -1 bot-core --host no-such-gateway.invalid --gameplan "$PLAN" \
	    --no-notify --no-control
	(( $(now_ms) - t0 < 10000 ))
	[ "$(grep -c '"event":"gateway.attempt_failed".*"verdict":"unreachable".*no-such-gateway\.invalid' <<<"$output")" -ge 1 ]
	grep -q '"level":"critical".*"event":"gateway.unavailable".*no-such-gateway\.invalid' <<<"$output"
	# a port nobody listens on
	t0=$(now_ms)
	run -1 bot-core --port "$PORT" --gameplan "$PLAN" --no-notify --no-control
	(( $(now_ms) - t0 < 10000 ))
	grep -q "\"event\":\"gateway.attempt_failed\".*\"verdict\":\"unreachable\".*127.0.0.1:$PORT.*refused" <<<"$output"
	# a port where something else answers (here an SSH banner)
	socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" \
	    SYSTEM:'echo SSH-2.0-OpenSSH_9.6; cat >/dev/null' 3>&- &
	SIM_PID=$!
	wait_until 5 nc -z 127.0.0.1 "$PORT"
	t0=$(now_ms)
	run -1 bot-core --port "$PORT" --gameplan "$PLAN" --no-notify --no-control
	(( $(now_ms) - t0 < 10000 ))
	grep -q '"event":"gateway.attempt_failed".*"verdict":"not-api".*SSH-2.0' <<<"$output"
	grep -q '"event":"gateway.unavailable".*not-api' <<<"$output"
}

@test "EC-08: slow replies below the heartbeat deadline: no gate flapping; above it the gate closes" {
	plan A
	export HEARTBEAT_INTERVAL=0.3 HEARTBEAT_TIMEOUT=1
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock" --slow-ms 250 \
	    --log-level debug
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 15
	# ten heartbeats seen by the gateway: the first eight had their
	# deadline pass, each answered 250 ms late
	wait_until 15 bash -c "[ \$(grep -c '\"msg\":\"reqCurrentTime\"' '$SIM_LOG') -ge 10 ]"
	[ "$(ev gate.closed)" -eq 0 ]
	[ "$(ev gate.opened)" -eq 1 ]
	[ "$(ev gateway.disconnected)" -eq 0 ]
	[ "$(status_field gate_open)" = true ]
	# the same gateway slower than the deadline: caught
	echo "slow-ms 1500" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$BOT_LOG" '"event":"gate\.closed".*"reason":"heartbeat-missed"' 10
}

@test "EC-10: repeated gateway restarts: reconnect attempts are rate-limited" {
	plan A
	export RECONNECT_MAX=2 RECONNECT_WINDOW=30
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	# two restarts: one reconnect each, within the limit
	for n in 2 3; do
		echo restart | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
		wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -ge $n ]"
	done
	[ "$(ev gateway.reconnect_limited)" -eq 0 ]
	# the third within the window: no attempt now, the next when the
	# oldest leaves the window (about 30 s after it)
	echo restart | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$BOT_LOG" '"event":"gateway\.reconnect_limited"' 10
	grep '"event":"gateway.reconnect_limited"' "$BOT_LOG" |
	    jq -e '.fields.retry_in_s > 20 and .fields.retry_in_s <= 30'
	[ "$(status_field gate_open)" = false ]
	[ "$(status_field gateway_connected)" = false ]
	[ "$(ev gateway.validated)" -eq 3 ]
}

# stuck_notifier PATH MODE: a Unix stream server at PATH that accepts and
# never reads (MODE accept) or never accepts (MODE noaccept).
stuck_notifier() {
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
held = []
while True:
    if sys.argv[2] == "accept":
        c, _ = s.accept()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        held.append(c)
    else:
        time.sleep(60)
' "$1" "$2" 3>&- &
	NOTIFIER_PID=$!
	wait_until 5 test -S "$1"
}

# ctl_fast: ctl status answers within 2 s (a blocked bot-core never would;
# the margin is for a loaded machine).
ctl_fast() {
	local t0
	t0=$(now_ms)
	status_field ok | grep -qx true
	(( $(now_ms) - t0 < 2000 ))
}

@test "EC-13: a notifier absent or stuck does not hold bot-core up: validated, gate open, ctl answers promptly" {
	plan A
	start_sim "$PORT" --tick-ms 20
	flood='while read -r l; do echo "{\"type\":\"intent\",\"id\":\"x\",\"symbol\":\"NOPE\",\"side\":\"BUY\",\"quantity\":1,\"order_type\":\"MKT\"}"; done'
	# absent: nothing at the path
	bot-core --port "$PORT" --gameplan "$PLAN" --notify "$BATS_TEST_TMPDIR/none.sock" \
	    >"$BOT_LOG" 2>&1 3>&- &
	BOT_PID=$!
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	ctl_fast
	stop_pid "$BOT_PID"
	for mode in accept noaccept; do
		# stuck: every event down to debug goes to a notifier that never
		# reads (or never accepts), with a strategy flooding rejections
		: >"$BOT_LOG"
		rm -f "$BATS_TEST_TMPDIR/stuck.sock"
		stuck_notifier "$BATS_TEST_TMPDIR/stuck.sock" "$mode"
		bot-core --port "$PORT" --gameplan "$PLAN" \
		    --notify "$BATS_TEST_TMPDIR/stuck.sock" --notify-level debug \
		    --strategy "$flood" >"$BOT_LOG" 2>&1 3>&- &
		BOT_PID=$!
		wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
		# well past the 256 KiB evsend keeps waiting
		wait_until 20 bash -c "[ \$(stat -c %s '$BOT_LOG') -gt 1000000 ]"
		ctl_fast
		[ "$(status_field gate_open)" = true ]
		# and it still stops at once
		kill -TERM "$BOT_PID"
		wait_until 5 bash -c "! kill -0 $BOT_PID 2>/dev/null"
		wait_exit "$BOT_PID"
		BOT_PID=
		[ "$EXIT_STATUS" -eq 0 ]
		stop_pid "$NOTIFIER_PID"
	done
}

@test "upstream lost and restored (gw-sim control): the gate closes with connectivity-lost and reopens; 1101 subscribes again" {
	plan A
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock" --tick-ms 50 \
	    --log-level debug
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	wait_until 10 bash -c "[ \$(grep -c '\"msg\":\"reqMktData\"' '$SIM_LOG') -eq 2 ]"
	echo upstream-lost | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$BOT_LOG" '"event":"gate\.closed".*"reason":"connectivity-lost"' 10
	grep -q '"event":"gateway.connectivity_lost"' "$BOT_LOG"
	[ "$(status_field gate_reason)" = '"connectivity-lost"' ]
	# 1101: restored, data lost: the gate reopens and market data is
	# requested again
	echo "upstream-restored 1101" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -ge 2 ]"
	wait_until 10 bash -c "[ \$(grep -c '\"msg\":\"reqMktData\"' '$SIM_LOG') -eq 4 ]"
	[ "$(status_field gate_open)" = true ]
	[ "$(ev gateway.disconnected)" -eq 0 ]
	# 1102: restored, data maintained: reopens, no new request
	echo upstream-lost | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gate.closed\"' '$BOT_LOG') -ge 2 ]"
	echo "upstream-restored 1102" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -ge 3 ]"
	hb=$(grep -c '"msg":"reqCurrentTime"' "$SIM_LOG" || true)
	wait_until 10 bash -c "[ \$(grep -c '\"msg\":\"reqCurrentTime\"' '$SIM_LOG') -ge $((hb + 3)) ]"
	[ "$(grep -c '"msg":"reqMktData"' "$SIM_LOG")" -eq 4 ]
}

@test "upstream already lost when the session starts: the 1100 among the first messages keeps the gate closed until 1102" {
	plan A
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	echo upstream-lost | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gateway\.validated"' 10
	grep -q '"event":"gateway.connectivity_lost"' "$BOT_LOG"
	[ "$(status_field gate_open)" = false ]
	[ "$(status_field gate_reason)" = '"connectivity-lost"' ]
	[ "$(ev gate.opened)" -eq 0 ]
	echo "upstream-restored 1102" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	[ "$(status_field gate_open)" = true ]
}

@test "status: starting_capital and max_daily_loss, the loss limit in currency" {
	export STARTING_CAPITAL=100000
	plan A		# max_daily_loss_pct 2
	start_sim "$PORT"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gateway\.validated"' 10
	# compared as numbers: jq versions print 100000.0 differently
	ctl status | jq -e '.starting_capital == 100000 and .max_daily_loss == 2000'
}

# The weekly login (issue #13): whatever health-mon calls the login's state,
# bot-core sees one of three faces of the gateway, and its gate is closed in
# each until the gateway is ready again: the port closed (restarting, a
# push awaited, stuck at the dialog, locked out), "not logged in" behind an
# open port (a login or a competing session in progress), and 1100 without
# 1101/1102 (upstream down).
@test "the login's faces: port closed, not logged in, upstream lost: the gate closed in each, open only once ready" {
	plan A
	local sock=$BATS_TEST_TMPDIR/sim.sock n
	start_sim "$PORT" --control "$sock"
	start_bot
	wait_for_line "$BOT_LOG" '"event":"gate\.opened"' 10
	simc() { echo "$1" | socat - "UNIX-CONNECT:$sock" | jq -e .ok >/dev/null; }
	opened() { grep -c '"event":"gate.opened"' "$BOT_LOG" || true; }
	closed() { grep -c '"event":"gate.closed"' "$BOT_LOG" || true; }

	# 1. the port closed for 3 s (a restart, or a login waiting for the phone)
	n=$(opened)
	simc "login-delay 3"
	simc restart
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gate.closed\"' '$BOT_LOG') -ge 1 ]"
	wait_for_line "$BOT_LOG" '"event":"gateway\.attempt_failed"' 10
	[ "$(status_field gate_open)" = false ]
	wait_until 20 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -gt $n ]"

	# 2. the port open, the API "not logged in"
	n=$(opened)
	simc "login-delay 0"
	simc "fault not-logged-in"
	simc restart
	wait_for_line "$BOT_LOG" '"event":"gateway\.attempt_failed".*"verdict":"not-logged-in"' 10
	[ "$(status_field gate_open)" = false ]
	[ "$(opened)" -eq "$n" ]
	simc "fault none"
	wait_until 20 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -gt $n ]"

	# 3. logged in, but IBKR's servers unreachable (1100)
	n=$(opened)
	local c; c=$(closed)
	simc upstream-lost
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gate.closed\"' '$BOT_LOG') -gt $c ]"
	[ "$(status_field gate_reason)" = '"connectivity-lost"' ]
	[ "$(opened)" -eq "$n" ]
	simc "upstream-restored 1102"
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gate.opened\"' '$BOT_LOG') -gt $n ]"
	[ "$(status_field gate_open)" = true ]
}
