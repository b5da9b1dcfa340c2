#!/usr/bin/env bats
# bot-core back to trading after a gateway restart (issue 14): cheap
# failures (port closed, relay closed) polled fast, costly ones backed off,
# attempt lines rate-limited; the restart file stack-init writes makes a
# known restart's loss quiet and ends the restart window early.
# gw-sim's handshakes are counted from its own event log. Loopback only;
# every wait is on an event with a deadline; no durations are asserted.
load common
bats_require_minimum_version 1.5.0

setup() {
	PORT=$(free_port)
	export GWKIT_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$GWKIT_RUNTIME_DIR" && chmod 700 "$GWKIT_RUNTIME_DIR"
	SIM_PID= BOT_PID= RELAY_PID=
	BOT_LOG=$BATS_TEST_TMPDIR/bot.log
	PLAN=$BATS_TEST_TMPDIR/plan.json
	SIM_SOCK=$BATS_TEST_TMPDIR/sim.sock
	RFILE=$GWKIT_RUNTIME_DIR/restart-gateway.json
	TODAY=$(TZ=America/New_York date +%F)
	printf '{"date":"%s","strategy":"A","symbols":["SPY"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100},"allow_outside_rth":true}\n' \
	    "$TODAY" >"$PLAN"
	export GATEWAY_RETRY_INTERVAL=0.5 GATEWAY_STARTUP_TIMEOUT=20
	export HEARTBEAT_INTERVAL=0.3 HEARTBEAT_TIMEOUT=1
	export STARTING_CAPITAL=100000 LOG_LEVEL=debug
	# outside the daily restart window whatever the hour the tests run
	unset DRY_RUN TRADING_MODE STRATEGY_CMD GAMEPLAN_PATH CLIENT_ID \
	    GATEWAY_FAST_POLL GWKIT_RESTART_FILE
}

teardown() {
	stop_pid "$BOT_PID" "$RELAY_PID" "$SIM_PID"
	reap_test_procs
}

# start_bot [args...]: bot-core on PORT (default the simulator's).
start_bot() {
	bot-core --port "${BOT_PORT:-$PORT}" --gameplan "$PLAN" --no-notify \
	    --log-format json "$@" >"$BOT_LOG" 2>&1 3>&- &
	BOT_PID=$!
}

sim() { start_sim "$PORT" --control "$SIM_SOCK" --log-format json "$@"; }

# sim_ctl CMD...: one control command per argument, each answered ok.
sim_ctl() {
	local out
	out=$(printf '%s\n' "$@" | socat - "UNIX-CONNECT:$SIM_SOCK")
	[ "$(grep -c '"ok":true' <<<"$out")" -eq "$#" ]
}

ctl() { bot-core ctl --control "$GWKIT_RUNTIME_DIR/bot.sock" "$@"; }
status_field() { ctl status | jq -c ".$1"; }

count() { grep -c -- "$2" "$1" || true; }

# wait_count FILE REGEX N [SECS]: until FILE has at least N matching lines.
wait_count() {
	wait_until "${4:-10}" bash -c "[ \$(grep -c -- '$2' '$1') -ge $3 ]"
}

# nth_line FILE REGEX N: the line number of the Nth match.
nth_line() { grep -n -- "$2" "$1" | sed -n "${3}p" | cut -d: -f1; }

# between FILE FROM TO REGEX: matches strictly between lines FROM and TO.
between() {
	awk -v a="$2" -v b="$3" 'NR > a && NR < b' "$1" | grep -c -- "$4" || true
}

# ts FILE REGEX N: the ts of the Nth matching event.
ts() { grep -- "$2" "$1" | sed -n "${3}p" | jq -r .ts; }

# utc [DATE-OFFSET]: an RFC 3339 UTC time with milliseconds.
utc() { date -u -d "${1:-now}" +%Y-%m-%dT%H:%M:%S.%3NZ; }

# restart_file STATE [BEGAN]: the file stack-init writes, atomically.
restart_file() {
	local began=${2:-$(utc)}
	if [ "$1" = in_progress ]; then
		printf '{"service":"gateway","state":"in_progress","trigger":"schedule","method":"ibc","began":"%s","ended":null,"deadline":"%s"}\n' \
		    "$began" "$(utc '+60 sec')" >"$RFILE.tmp"
	else
		printf '{"service":"gateway","state":"%s","trigger":"schedule","method":"ibc","began":"%s","ended":"%s","deadline":null}\n' \
		    "$1" "$began" "$(utc)" >"$RFILE.tmp"
	fi
	mv "$RFILE.tmp" "$RFILE"
}

# outage_counts: gw-sim's handshakes between the last sim.restart and the
# sim.listening after it (DURING), and from there to the end (AFTER).
outage_counts() {
	local r l
	r=$(grep -n '"event":"sim.restart"' "$SIM_LOG" | tail -1 | cut -d: -f1)
	l=$(awk -v r="$r" 'NR > r && /"event":"sim.listening"/ { print NR; exit }' "$SIM_LOG")
	[ -n "$r" ] && [ -n "$l" ]
	DURING=$(between "$SIM_LOG" "$r" "$l" '"event":"sim.handshake"')
	DURING_CONN=$(between "$SIM_LOG" "$r" "$l" '"event":"sim.connection"')
	AFTER=$(between "$SIM_LOG" "$l" 1000000000 '"event":"sim.handshake"')
}

@test "gw-sim restart, direct: no handshake while the port is closed, one once it listens, then the gate opens" {
	sim
	start_bot
	wait_count "$BOT_LOG" '"event":"gate.opened"' 1
	sim_ctl 'login-delay 3' restart
	wait_for_line "$BOT_LOG" '"event":"gate.closed"' 10
	wait_count "$SIM_LOG" '"event":"sim.listening"' 2 15
	wait_count "$BOT_LOG" '"event":"gate.opened"' 2 10
	outage_counts
	[ "$DURING" -eq 0 ]
	[ "$DURING_CONN" -eq 0 ]
	[ "$AFTER" -eq 1 ]
	# the order: the port listened, then the gate opened
	[[ "$(ts "$SIM_LOG" '"event":"sim.listening"' 2)" < "$(ts "$BOT_LOG" '"event":"gate.opened"' 2)" ]] ||
	    [ "$(ts "$SIM_LOG" '"event":"sim.listening"' 2)" = "$(ts "$BOT_LOG" '"event":"gate.opened"' 2)" ]
	# the loss: the first look at once, the attempts meanwhile cheap
	grep '"event":"gateway.disconnected"' "$BOT_LOG" | jq -e '.fields.retry_in_s == 0'
	grep '"event":"gateway.attempt_failed"' "$BOT_LOG" |
	    jq -e -s 'length >= 1 and all(.fields.verdict == "unreachable" and .fields.costly == 0)'
	[ "$(status_field gate_open)" = true ]
}

@test "gw-sim restart behind a socat relay: relay-closed attempts, no handshake meanwhile, lines rate-limited" {
	read -r RELAY <<<"$(free_port 2 | grep -vx "$PORT" | head -1)"
	sim
	wait_listening
	socat "TCP-LISTEN:$RELAY,fork,reuseaddr,bind=127.0.0.1" "TCP:127.0.0.1:$PORT" \
	    2>"$BATS_TEST_TMPDIR/relay.log" 3>&- &
	RELAY_PID=$!
	wait_until 5 nc -z 127.0.0.1 "$RELAY"
	BOT_PORT=$RELAY start_bot
	wait_count "$BOT_LOG" '"event":"gate.opened"' 1
	sim_ctl 'login-delay 6' restart
	wait_count "$SIM_LOG" '"event":"sim.listening"' 2 15
	wait_count "$BOT_LOG" '"event":"gate.opened"' 2 10
	outage_counts
	[ "$DURING" -eq 0 ]
	[ "$AFTER" -eq 1 ]
	grep '"event":"gateway.attempt_failed"' "$BOT_LOG" >"$BATS_TEST_TMPDIR/att"
	jq -e -s 'length >= 2 and all(.fields.verdict == "relay-closed")' "$BATS_TEST_TMPDIR/att"
	# fewer lines than attempts: the last line's counter is beyond the
	# number of lines, and it says how many it left out
	jq -e -s 'last.fields.attempt > length and last.fields.suppressed > 0' "$BATS_TEST_TMPDIR/att"
	jq -e -s '(map(.fields.suppressed) | add) + length == last.fields.attempt' "$BATS_TEST_TMPDIR/att"
}

@test "logged out after a restart: costly attempts backed off, at most one handshake per 5 s" {
	export GATEWAY_RETRY_INTERVAL=5
	sim
	start_bot
	wait_count "$BOT_LOG" '"event":"gate.opened"' 1
	sim_ctl 'fault not-logged-in' 'login-delay 0' restart
	wait_for_line "$BOT_LOG" '"event":"gateway.disconnected"' 10
	# two not-logged-in verdicts take about 15 s (5 s each to judge, 5 s
	# of backoff between)
	wait_count "$BOT_LOG" '"event":"gateway.attempt_failed".*"verdict":"not-logged-in"' 2 30
	r=$(grep -n '"event":"sim.restart"' "$SIM_LOG" | tail -1 | cut -d: -f1)
	n=$(between "$SIM_LOG" "$r" 1000000000 '"event":"sim.handshake"')
	[ "$n" -ge 2 ]
	[ "$n" -le 3 ]
	# seen from gw-sim: the second handshake came no sooner than the
	# first attempt's 5 s to judge plus the 5 s backoff (timers never
	# fire early; without the backoff it would come 0.1 s after the
	# verdict, about 5 s after the first)
	ms() { date -u -d "$1" +%s%3N; }
	t1=$(awk -v a="$r" 'NR > a' "$SIM_LOG" | grep '"event":"sim.handshake"' | sed -n 1p | jq -r .ts)
	t2=$(awk -v a="$r" 'NR > a' "$SIM_LOG" | grep '"event":"sim.handshake"' | sed -n 2p | jq -r .ts)
	(( $(ms "$t2") - $(ms "$t1") >= 9900 ))
	grep '"event":"gateway.attempt_failed".*"verdict":"not-logged-in"' "$BOT_LOG" |
	    jq -e -s 'all(.fields.retry_in_s >= 5) and (map(.fields.costly) == [1, 2])'
	[ "$(status_field gate_open)" = false ]
}

@test "GATEWAY_FAST_POLL=0: the old policy, the first reconnect after the retry interval; a bad value exits 78 naming it" {
	export GATEWAY_FAST_POLL=0
	sim
	start_bot
	wait_count "$BOT_LOG" '"event":"gate.opened"' 1
	sim_ctl 'login-delay 1' restart
	wait_for_line "$BOT_LOG" '"event":"gateway.disconnected"' 10
	grep '"event":"gateway.disconnected"' "$BOT_LOG" | jq -e '.fields.retry_in_s == 0.5'
	wait_count "$BOT_LOG" '"event":"gate.opened"' 2 15
	for bad in 0.01 61 fast -1; do
		run -78 env GATEWAY_FAST_POLL=$bad bot-core -n --gameplan "$PLAN"
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"GATEWAY_FAST_POLL"*"$bad"* ]]
	done
	run -0 env GATEWAY_FAST_POLL=0.05 bot-core -n --gameplan "$PLAN"
	run -78 env GATEWAY_RETRY_CAP=0 bot-core -n --gameplan "$PLAN"
	[ "$output" = "bot-core: GATEWAY_RETRY_CAP: '0' is not a number of seconds in 0.01..86400" ]
	run -64 bot-core -n --gameplan "$PLAN" --restart-file ''
	[[ "$output" == *--restart-file* ]]
}

@test "a restart in the restart file: the loss is info, not alerted, the gate closes all the same; without it the loss is an error" {
	export GWKIT_RESTART_FILE=$RFILE
	sim
	start_bot
	wait_count "$BOT_LOG" '"event":"gate.opened"' 1
	restart_file in_progress
	sim_ctl 'login-delay 1' restart
	wait_for_line "$BOT_LOG" '"event":"gateway.disconnected"' 10
	wait_count "$BOT_LOG" '"event":"gate.opened"' 2 15
	d=$(nth_line "$BOT_LOG" '"event":"gateway.disconnected"' 1)
	# nothing at warning or above for the loss
	[ "$(awk -v d="$d" 'NR >= d' "$BOT_LOG" | grep -cE '"level":"(warning|error|critical)"')" -eq 0 ]
	grep '"event":"gateway.disconnected"' "$BOT_LOG" |
	    jq -e '.level == "info" and .fields.restart.trigger == "schedule" and .fields.restart.method == "ibc"'
	awk -v d="$d" 'NR > d' "$BOT_LOG" | grep '"event":"gate.closed"' |
	    jq -e '.level == "info" and .fields.reason == "not-validated" and .fields.restart.service == "gateway"'
	awk -v d="$d" 'NR > d' "$BOT_LOG" | grep '"event":"strategy.changed".*"active":"C"' |
	    jq -e '.level == "info" and .fields.restart.state == "in_progress"'
	# no file: the same loss alerts as before
	rm "$RFILE"
	sim_ctl 'login-delay 1' restart
	wait_count "$BOT_LOG" '"event":"gateway.disconnected"' 2 10
	grep '"event":"gateway.disconnected"' "$BOT_LOG" | sed -n 2p |
	    jq -e '.level == "error" and (.fields | has("restart") | not)'
	wait_count "$BOT_LOG" '"level":"warning".*"event":"gate.closed".*not-validated' 1 5
}

@test "a known restart that ends not_ready while the session is lost: one warning naming it" {
	export GWKIT_RESTART_FILE=$RFILE
	sim
	start_bot
	wait_count "$BOT_LOG" '"event":"gate.opened"' 1
	began=$(utc)
	restart_file in_progress "$began"
	sim_ctl 'login-delay 30' restart
	wait_for_line "$BOT_LOG" '"level":"info".*"event":"gateway.disconnected"' 10
	restart_file not_ready "$began"
	wait_for_line "$BOT_LOG" '"event":"gateway.restart_failed"' 10
	grep '"event":"gateway.restart_failed"' "$BOT_LOG" |
	    jq -e -s 'length == 1 and .[0].level == "warning" and .[0].fields.state == "not_ready" and .[0].fields.trigger == "schedule"'
	# said once: still one after a few more window ticks
	u=$(status_field uptime_seconds)
	wait_until 10 bash -c "[ \$(bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq .uptime_seconds) -ge $((u + 2)) ]"
	[ "$(count "$BOT_LOG" '"event":"gateway.restart_failed"')" -eq 1 ]
}

# window_now: a RESTART_WINDOW holding now (New York), five minutes long.
window_now() {
	export RESTART_WINDOW="$(TZ=America/New_York date +%H:%M)-$(TZ=America/New_York date -d '+5 min' +%H:%M)"
}

# restart_in_window STATE: in the window, a restart (in progress in the
# file, gw-sim restarted) that the file then says ended in STATE.
restart_in_window() {
	window_now
	sim
	start_bot --restart-file "$RFILE"
	wait_for_line "$BOT_LOG" '"event":"gateway.validated"' 10
	[ "$(status_field gate_reason)" = '"restart-window"' ]
	began=$(utc)
	restart_file in_progress "$began"
	sim_ctl 'login-delay 1' restart
	wait_count "$SIM_LOG" '"event":"sim.listening"' 2 10
	wait_count "$BOT_LOG" '"event":"gateway.validated"' 2 10
	restart_file "$1" "$began"
}

@test "restart window: a completed restart ends it early, and it is not raised again before the clock's end" {
	restart_in_window completed
	wait_for_line "$BOT_LOG" '"event":"gate.opened"' 10
	grep '"event":"bot.window_left"' "$BOT_LOG" |
	    jq -e -s 'length == 1 and .[0].fields.reason == "restart completed" and .[0].fields.trigger == "schedule" and .[0].fields.method == "ibc"'
	[ "$(status_field gate_open)" = true ]
	[ "$(status_field restart.state)" = '"completed"' ]
	# the loss inside the window was a known restart: info
	grep '"event":"gateway.disconnected"' "$BOT_LOG" | jq -e '.level == "info"'
	# two more window ticks: still open
	u=$(status_field uptime_seconds)
	wait_until 10 bash -c "[ \$(bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq .uptime_seconds) -ge $((u + 2)) ]"
	[ "$(status_field gate_open)" = true ]
	[ "$(count "$BOT_LOG" '"event":"bot.window_entered"')" -eq 1 ]
}

@test "restart window: a failed restart leaves it to the clock" {
	restart_in_window failed
	wait_until 10 bash -c "bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq -e '.restart.state == \"failed\"' >/dev/null"
	u=$(status_field uptime_seconds)
	wait_until 10 bash -c "[ \$(bot-core ctl --control '$GWKIT_RUNTIME_DIR/bot.sock' status | jq .uptime_seconds) -ge $((u + 2)) ]"
	[ "$(status_field gate_open)" = false ]
	[ "$(status_field gate_reason)" = '"restart-window"' ]
	[ "$(count "$BOT_LOG" '"event":"gate.opened"')" -eq 0 ]
	[ "$(count "$BOT_LOG" '"event":"bot.window_left"')" -eq 0 ]
}
