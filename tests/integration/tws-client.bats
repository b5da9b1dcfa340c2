#!/usr/bin/env bats
# tests/helpers/tws-client (the scriptable TWS order client) against gw-sim:
# the ready line, the output record, request/answer through lib/tws_session,
# waits (history and timeout), script errors, connect failure, a lost
# session. Loopback only; every wait has a deadline.
load common
bats_require_minimum_version 1.5.0

setup() {
	PORT=$(free_port)
	SIM_PID=
	CLI_PID=
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
}

teardown() {
	stop_pid "$CLI_PID" "$SIM_PID"
	reap_test_procs
}

# client SCRIPT [ARGS...]: run tws-client on $PORT with SCRIPT on stdin
# (a pipe), stdout in $OUT, stderr in $ERR; its exit status in $status.
client() {
	local script=$1
	shift
	status=0
	printf '%s' "$script" | timeout 20 tws-client --port "$PORT" "$@" \
		>"$OUT" 2>"$ERR" || status=$?
}

@test "ready is the first line: server version, account, next valid id; end of input exits 0" {
	start_sim "$PORT"
	wait_listening
	client ''
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	run jq -ce 'select(.ev == "ready") | [.server_version, .accounts, .next_valid_id, (.t_us | type)]' \
		< <(head -n 1 "$OUT")
	[ "$status" -eq 0 ]
	[ "$output" = '[176,"DU1234567",1,"number"]' ]
	# the farm notices that came with the handshake follow it, as error lines
	run jq -c 'select(.ev == "error") | [.id, .code]' "$OUT"
	[ "${lines[*]}" = '[-1,2104] [-1,2106] [-1,2158]' ]
}

@test "every line has ev first and t_us second; time gets current_time" {
	start_sim "$PORT"
	wait_listening
	client '{"cmd":"time"}
{"cmd":"wait","ev":"current_time","timeout":5}
{"cmd":"quit"}
'
	[ "$status" -eq 0 ]
	run jq -c '[keys_unsorted[0:2]]' "$OUT"
	for l in "${lines[@]}"; do [ "$l" = '[["ev","t_us"]]' ]; done
	now=$(date +%s)
	t=$(jq -s -e '[.[] | select(.ev == "current_time")] | if length == 1 then .[0].time else false end' "$OUT")
	((t >= now - 60 && t <= now + 5))
	# t_us never goes back (monotonic clock, one process)
	jq -s -e '[.[] | select(.ev != "error") | .t_us] | . == sort' "$OUT"
}

@test "a wait matches a line printed before it, but not one an earlier wait matched" {
	start_sim "$PORT"
	wait_listening
	client '# two requests, two answers
{"cmd":"time"}
{"cmd":"time"}

{"cmd":"wait","ev":"current_time","timeout":5}
{"cmd":"wait","ev":"current_time","timeout":5}
{"cmd":"wait","ev":"current_time","timeout":0.3}
'
	[ "$status" -eq 3 ]
	[ "$(jq -c 'select(.ev == "current_time")' "$OUT" | wc -l)" -eq 2 ]
	[ "$(cat "$ERR")" = 'tws-client: line 7: timed out after 0.3 s waiting for current_time {}' ]
}

@test "a wait times out with exit 3 naming the line, the event and the match" {
	start_sim "$PORT"
	wait_listening
	client '{"cmd":"time"}
{"cmd":"wait","ev":"order_status","match":{"id":5,"status":"Filled"},"timeout":0.5}
{"cmd":"quit"}
'
	[ "$status" -eq 3 ]
	[ "$(cat "$ERR")" = 'tws-client: line 2: timed out after 0.5 s waiting for order_status {"id":5,"status":"Filled"}' ]
	# a match member that differs does not match (the time is not 1)
	client '{"cmd":"time"}
{"cmd":"wait","ev":"current_time","match":{"time":1},"timeout":0.3}
'
	[ "$status" -eq 3 ]
	grep -q '"ev":"current_time"' "$OUT"
}

@test "script errors exit 64 with one stderr line naming the line number" {
	start_sim "$PORT"
	wait_listening
	client '{"cmd":"time"}
# a comment, and a blank line:

{"cmd":"time"
'
	[ "$status" -eq 64 ]
	[[ $(cat "$ERR") == 'tws-client: line 4: not JSON: '* ]]

	client '{"cmd":"bogus"}'
	[ "$status" -eq 64 ]
	[ "$(cat "$ERR")" = 'tws-client: line 1: unknown command "bogus"' ]

	client '[1,2]'
	[ "$status" -eq 64 ]
	[ "$(cat "$ERR")" = 'tws-client: line 1: not a command object with a "cmd" string' ]

	client '{"cmd":"time","extra":1}'
	[ "$status" -eq 64 ]
	[[ $(cat "$ERR") == 'tws-client: line 1: time: '*'unpacked'* ]]

	client '{"cmd":"place","id":"next","symbol":"AAPL","action":"BUY","qty":"10","type":"LMT"}'
	[ "$status" -eq 64 ]
	[ "$(cat "$ERR")" = 'tws-client: line 1: place: a LMT order needs lmt' ]

	client '{"cmd":"place","id":1,"symbol":"AAPL","action":"HOLD","qty":"10","type":"MKT"}'
	[ "$status" -eq 64 ]
	[ "$(cat "$ERR")" = 'tws-client: line 1: place: action must be BUY or SELL' ]

	client '{"cmd":"wait","ev":"order_status","timeout":-1}'
	[ "$status" -eq 64 ]
	[ "$(cat "$ERR")" = 'tws-client: line 1: wait: timeout must be in (0, 86400] seconds' ]
}

@test "connect failure: a failed line with the verdict, exit 2" {
	# nothing listens on $PORT
	client '{"cmd":"time"}' --timeout 2
	[ "$status" -eq 2 ]
	run jq -c 'select(.ev == "failed") | .verdict' "$OUT"
	[ "$status" -eq 0 ]
	[ "$output" = '"unreachable"' ]
	[ "$(wc -l <"$OUT")" -eq 1 ]
}

@test "a gateway that never logs in: failed within --timeout, exit 2" {
	start_sim "$PORT" --fault not-logged-in
	wait_listening
	start=$(now_ms)
	client '' --timeout 1
	[ "$status" -eq 2 ]
	(($(now_ms) - start < 5000))
	jq -s -e 'map(select(.ev == "failed")) | length == 1 and .[0].verdict == "not-logged-in"' "$OUT"
}

@test "the gateway goes away during a wait: a lost line, exit 4" {
	start_sim "$PORT"
	wait_listening
	# a file: its end comes at once, but the script is held by the wait
	printf '%s\n' '{"cmd":"wait","ev":"order_status","timeout":30}' >"$BATS_TEST_TMPDIR/script"
	tws-client --port "$PORT" <"$BATS_TEST_TMPDIR/script" >"$OUT" 2>"$ERR" 3>&- &
	CLI_PID=$!
	wait_for_line "$OUT" '"ev":"ready"' 10
	stop_pid "$SIM_PID"
	SIM_PID=
	wait_exit "$CLI_PID"
	CLI_PID=
	[ "$EXIT_STATUS" -eq 4 ]
	jq -s -e 'map(select(.ev == "lost")) | length == 1 and (.[0].reason | length > 0)' "$OUT"
}

@test "usage: --port is required, bad flags exit 64" {
	run -64 tws-client </dev/null
	[[ $output == *'--port is required'* ]]
	run -64 tws-client --port 0 </dev/null
	run -64 tws-client --port 1 --bogus </dev/null
	run -0 tws-client --help
	[[ $output == usage:* ]]
}

@test "orders: a MKT fill (exec, Filled, commission in that order), a cancel (Cancelled, 202), positions; nothing malformed" {
	start_sim "$PORT"
	wait_listening
	client '{"cmd":"place","id":"next","symbol":"MSFT","action":"BUY","qty":"5","type":"MKT","ref":"gwk:t1"}
{"cmd":"wait","ev":"order_status","match":{"id":1,"status":"Filled"}}
{"cmd":"wait","ev":"commission"}
{"cmd":"place","id":"next","symbol":"MSFT","action":"BUY","qty":"1","type":"LMT","lmt":1.0,"tif":"GTC"}
{"cmd":"wait","ev":"order_status","match":{"id":2,"status":"Submitted"}}
{"cmd":"cancel","id":2}
{"cmd":"wait","ev":"error","match":{"id":2,"code":202}}
{"cmd":"positions"}
{"cmd":"wait","ev":"position_end"}
{"cmd":"quit"}
'
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.ev == "malformed")' "$OUT" | wc -l)" -eq 0 ]
	run jq -c 'select(.ev == "open_order" and .id == 1) | [.symbol, .action, .qty, .type, .ref, .status, has("lmt")]' "$OUT"
	[ "${lines[0]}" = '["MSFT","BUY","5","MKT","gwk:t1","Submitted",false]' ]
	# the fill's messages in §8.4's order
	run jq -c 'select((.ev == "exec" or .ev == "commission") or
		(.ev == "order_status" and .id == 1)) | [.ev, .status // .shares // .currency]' "$OUT"
	[ "${lines[*]}" = '["order_status","Submitted"] ["exec","5"] ["order_status","Filled"] ["commission","USD"]' ]
	jq -s -e 'map(select(.ev == "exec")) | length == 1 and (.[0] | .price > 0 and .side == "BOT" and .ref == "gwk:t1")' "$OUT"
	run jq -c 'select(.ev == "open_order" and .id == 2) | [.type, .lmt, .tif]' "$OUT"
	[ "${lines[0]}" = '["LMT",1,"GTC"]' ]
	run jq -c 'select((.ev == "order_status" and .id == 2) or (.ev == "error" and .id == 2)) | .status // .code' "$OUT"
	[ "${lines[*]}" = '"Submitted" "Cancelled" 202' ]
	run jq -c 'select(.ev == "position") | [.account, .symbol, .position]' "$OUT"
	[ "$output" = '["DU1234567","MSFT","5"]' ]
}
