#!/usr/bin/env bats
# gw-probe --wait's retry policy (lib/gwretry.h): cheap verdicts
# (unreachable, relay-closed) polled every GATEWAY_FAST_POLL, costly ones
# backed off and counted by --max-retries, output rate-limited. gw-sim's
# own event log counts the handshakes it received. Loopback only.
load common
bats_require_minimum_version 1.5.0

setup() {
	{ read -r PORT; read -r PORT2; } < <(free_port 2)
	SIM_PID= SOCAT_PID=
	CTL=$BATS_TEST_TMPDIR/sim.ctl
}

teardown() {
	stop_pid "$SOCAT_PID" "$SIM_PID"
	reap_test_procs
}

# start_relay FROM TO: the gnzsnz image's socat relay, on loopback; waits
# until it accepts (with its backend down that costs gw-sim nothing).
start_relay() {
	socat -lf /dev/null "TCP-LISTEN:$1,fork,reuseaddr,bind=127.0.0.1" "TCP:127.0.0.1:$2" &
	SOCAT_PID=$!
	wait_until 10 nc -z 127.0.0.1 "$1"
}

# sim_ctl CMD: one control command; fails unless gw-sim answers ok.
sim_ctl() {
	local reply
	reply=$(printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$CTL")
	[[ "$reply" == *'"ok":true'* ]] || { echo "sim_ctl $1: $reply" >&2; return 1; }
}

# count_events NAME [FILE]: how many NAME events gw-sim logged.
count_events() {
	grep -c "\"event\":\"${1//./\\.}\"" "${2:-$SIM_LOG}" || true
}

# events_after_restart: gw-sim's listening and handshake events from its
# last restart on, in order.
events_after_restart() {
	sed -n '/"event":"sim\.restart"/,$p' "$SIM_LOG" |
	    grep -oE '"event":"sim\.(listening|handshake)"'
}

# check_accounting: every attempt of the --wait run in $output (JSON lines)
# is either shown or counted in a shown line's "suppressed".
check_accounting() {
	local shown suppressed total
	shown=${#lines[@]}
	suppressed=$(printf '%s\n' "${lines[@]}" | jq -s 'map(.suppressed) | add')
	total=$(echo "${lines[-1]}" | jq .attempt)
	echo "shown $shown, suppressed $suppressed, attempts $total"	# on failure
	[ $((shown + suppressed)) -eq "$total" ]
}

@test "port closed 3 s (login delay): many cheap attempts, few lines, one handshake" {
	start_sim "$PORT" --login-delay 3 --log-format json
	run --separate-stderr gw-probe --wait --json --port "$PORT" --startup-timeout 60
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output"
	echo "${lines[0]}" | jq -e '.verdict == "unreachable" and .attempt == 1 and
		.costly_attempts == 0 and .suppressed == 0 and .next_attempt_s == 0.1'
	echo "${lines[-1]}" | jq -e '.verdict == "ready" and .attempt >= 10 and
		.costly_attempts == 0 and .next_attempt_s == null and .gave_up == null'
	# rate limit: the first failure, at most one more per 5 s, the last
	[ "${#lines[@]}" -le 4 ]
	check_accounting
	# the port was closed until then: the one connection is the ready one
	wait_for_line "$SIM_LOG" '"event":"sim\.handshake"' 5
	[ "$(count_events sim.handshake)" -eq 1 ]
	[ "$(count_events sim.connection)" -eq 1 ]
}

@test "behind a socat relay: relay-closed until gw-sim listens, then ready; one handshake" {
	start_sim "$PORT2" --login-delay 3 --log-format json
	start_relay "$PORT" "$PORT2"
	run --separate-stderr gw-probe --wait --json --port "$PORT" --startup-timeout 60
	[ "$status" -eq 0 ]
	echo "$output"
	# the verdicts shown, repeats collapsed: relay-closed, then ready
	[ "$(printf '%s\n' "${lines[@]}" | jq -sc '[.[].verdict] | reduce .[] as $v ([]; if .[-1] == $v then . else . + [$v] end)')" = '["relay-closed","ready"]' ]
	echo "${lines[-1]}" | jq -e '.attempt >= 10 and .costly_attempts == 0'
	[ "${#lines[@]}" -le 4 ]
	check_accounting
	wait_for_line "$SIM_LOG" '"event":"sim\.handshake"' 5
	[ "$(count_events sim.handshake)" -eq 1 ]
}

@test "gw-sim restart via its control socket: ready after sim.listening, one handshake after the restart" {
	start_sim "$PORT" --log-format json --control "$CTL"
	wait_listening
	sim_ctl "login-delay 2"
	sim_ctl restart
	wait_for_line "$SIM_LOG" '"event":"sim\.restart"' 5
	run --separate-stderr gw-probe --wait --json --port "$PORT" --startup-timeout 60
	[ "$status" -eq 0 ]
	echo "$output"
	echo "${lines[0]}" | jq -e '.verdict == "unreachable"'
	echo "${lines[-1]}" | jq -e '.verdict == "ready" and .costly_attempts == 0'
	wait_for_line "$SIM_LOG" '"event":"sim\.handshake"' 5
	# after the restart: listening again, then the probe's one handshake
	run events_after_restart
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = '"event":"sim.listening"' ]
	[ "${lines[1]}" = '"event":"sim.handshake"' ]
}

@test "logged out: not-logged-in is costly, at most one handshake per 5 s, exit 13" {
	start_sim "$PORT" --fault not-logged-in --log-format json
	wait_listening
	run --separate-stderr gw-probe --wait --json --port "$PORT" --retry-interval 5 \
		--retry-cap 5 --startup-timeout 13 --timeout 0.5
	echo "$output"; echo "$stderr"
	[ "$status" -eq 13 ]
	# every costly attempt has its line
	echo "${lines[0]}" | jq -e '.verdict == "not-logged-in" and .next_attempt_s == 5'
	echo "${lines[-1]}" | jq -e '.verdict == "not-logged-in" and
		.costly_attempts == .attempt and .suppressed == 0 and
		(.gave_up | test("^giving up: startup timeout 13 s spent after [23] attempts$"))'
	[ "${#lines[@]}" -eq "$(echo "${lines[-1]}" | jq .attempt)" ]
	# 13 s at one handshake per 5 s: 3 at most; each attempt was one
	n=$(count_events sim.handshake)
	[ "$n" -le 3 ]
	[ "$n" -eq "${#lines[@]}" ]
}

@test "--max-retries counts costly attempts only" {
	start_sim "$PORT" --fault not-logged-in --log-format json
	wait_listening
	run --separate-stderr gw-probe --wait --port "$PORT" --retry-interval 0.05 --startup-timeout 30 \
		--max-retries 3 --timeout 0.2
	[ "$status" -eq 13 ]
	[ "$stderr" = "gw-probe: giving up after 3 costly attempts (--max-retries)" ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == "not-logged-in "*"; attempt 1 (1 costly of 3), next in 0.05 s" ]]
	[[ "${lines[1]}" == "not-logged-in "*"; attempt 2 (2 costly of 3), next in 0.1 s" ]]
	[[ "${lines[2]}" == "not-logged-in "* ]]
	[[ "${lines[2]}" != *attempt* ]]
	[ "$(count_events sim.handshake)" -eq 3 ]
	# cheap attempts do not count: --max-retries 1 at a closed port goes on
	# until the budget is spent, the last line telling how many went unshown
	run --separate-stderr gw-probe --wait --port "$PORT2" --max-retries 1 --startup-timeout 0.5
	[ "$status" -eq 10 ]
	[[ "$stderr" =~ ^gw-probe:\ giving\ up:\ startup\ timeout\ 0\.5\ s\ spent\ after\ ([0-9]+)\ attempts$ ]]
	total=${BASH_REMATCH[1]}
	[ "$total" -ge 3 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "unreachable "*"; attempt 1 (0 costly of 1), next in 0.1 s" ]]
	[[ "${lines[1]}" =~ ^unreachable\ .*\ \(([0-9]+)\ earlier\ attempts?\ not\ shown\)$ ]]
	[ $((BASH_REMATCH[1] + 2)) -eq "$total" ]
}

@test "repeated cheap failures: one line per 5 s besides the first and the last" {
	run --separate-stderr gw-probe --wait --json --port "$PORT" --startup-timeout 6.5
	[ "$status" -eq 10 ]
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	echo "${lines[1]}" | jq -e '.verdict == "unreachable" and .suppressed > 0 and .next_attempt_s == 0.1'
	echo "${lines[2]}" | jq -e '.gave_up != null and .next_attempt_s == null'
	check_accounting
}

@test "GATEWAY_FAST_POLL=0 (or --fast-poll 0): the old policy; the flag beats the variable" {
	GATEWAY_FAST_POLL=0 run --separate-stderr gw-probe --wait --json --port "$PORT" \
		--retry-interval 0.3 --max-retries 3
	[ "$status" -eq 10 ]
	[ "$stderr" = "" ]
	[ "${#lines[@]}" -eq 3 ]
	echo "${lines[0]}" | jq -e '.attempt == 1 and .next_attempt_s == 0.3'
	echo "${lines[1]}" | jq -e '.attempt == 2 and .next_attempt_s == 0.6'
	echo "${lines[2]}" | jq -e '.gave_up == "giving up after 3 attempts (--max-retries)" and .costly_attempts == 0'
	run --separate-stderr gw-probe --wait --json --port "$PORT" --fast-poll 0 \
		--retry-interval 0.3 --max-retries 2
	[ "$status" -eq 10 ]
	echo "${lines[0]}" | jq -e '.next_attempt_s == 0.3'
	# the flag wins: fast polling at 0.2 s despite the variable, and the
	# other way round
	GATEWAY_FAST_POLL=0 run --separate-stderr gw-probe --wait --json --port "$PORT" \
		--fast-poll 0.2 --retry-interval 0.3 --startup-timeout 0.5
	[ "$status" -eq 10 ]
	echo "${lines[0]}" | jq -e '.next_attempt_s == 0.2'
	GATEWAY_FAST_POLL=0.2 run --separate-stderr gw-probe --wait --json --port "$PORT" \
		--fast-poll 0 --retry-interval 0.3 --max-retries 2
	[ "$status" -eq 10 ]
	echo "${lines[0]}" | jq -e '.next_attempt_s == 0.3'
	echo "${lines[1]}" | jq -e '.gave_up == "giving up after 2 attempts (--max-retries)"'
}

@test "bad GATEWAY_FAST_POLL or --fast-poll: exit 64, one line naming it" {
	local v
	for v in 0.01 61 abc -1; do
		GATEWAY_FAST_POLL=$v run gw-probe -n
		[ "$status" -eq 64 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "gw-probe: GATEWAY_FAST_POLL: '$v' "* ]]
		run gw-probe -n --fast-poll "$v"
		[ "$status" -eq 64 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "gw-probe: --fast-poll: '$v' "* ]]
	done
	run gw-probe -n --fast-poll 0.01
	[ "$output" = "gw-probe: --fast-poll: '0.01' is neither 0 (off) nor in 0.05..60 seconds" ]
	GATEWAY_FAST_POLL= run gw-probe -n
	[ "$status" -eq 0 ]
	GATEWAY_FAST_POLL=0.05 run gw-probe -n --fast-poll 60
	[ "$status" -eq 0 ]
	run gw-probe --help
	[[ "$output" == *"--fast-poll S"*GATEWAY_FAST_POLL* ]]
}

@test "GATEWAY_RETRY_CAP caps the costly backoff (--retry-cap wins); a bad value is one line, exit 64" {
	GATEWAY_FAST_POLL=0 GATEWAY_RETRY_CAP=0.3 run --separate-stderr gw-probe --wait --json \
		--port "$PORT" --retry-interval 0.1 --max-retries 5
	[ "$status" -eq 10 ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -s -c 'map(.next_attempt_s)')" = '[0.1,0.2,0.3,0.3,null]' ]
	GATEWAY_FAST_POLL=0 GATEWAY_RETRY_CAP=0.3 run --separate-stderr gw-probe --wait --json \
		--port "$PORT" --retry-interval 0.1 --retry-cap 0.2 --max-retries 4
	[ "$(printf '%s\n' "${lines[@]}" | jq -s -c 'map(.next_attempt_s)')" = '[0.1,0.2,0.2,null]' ]
	GATEWAY_RETRY_CAP=abc run gw-probe -n
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: GATEWAY_RETRY_CAP: 'abc' is not a number of seconds in 0.01..86400" ]
}

@test "--wait stopped by a signal: exit 128+N, and one stderr line says how far it got" {
	# SIGTERM: a background job of a non-interactive shell starts with
	# SIGINT ignored, so SIGINT is tried by hand in the notes, TERM here
	gw-probe --wait --port "$PORT" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	wait_for_line "$BATS_TEST_TMPDIR/out" '^unreachable .*attempt 1 ' 10
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?	# in this shell: `run wait` would wait in a subshell
	echo "status $rc"; cat "$BATS_TEST_TMPDIR/err"
	[ "$rc" -eq 143 ]
	run cat "$BATS_TEST_TMPDIR/err"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^gw-probe:\ stopped\ by\ SIGTERM\ after\ [0-9]+\ attempts?\ \(0\ costly,\ [0-9]+\ not\ shown\)$ ]]
}
