#!/usr/bin/env bats
# gw-probe against gw-sim faults and a real socat relay. Loopback only.
load common

setup() {
	{ read -r PORT; read -r PORT2; } < <(free_port 2)
	SIM_PID= SOCAT_PID= HOLD_PID=
}

teardown() {
	stop_pid "$HOLD_PID" "$SOCAT_PID" "$SIM_PID"
}

# start_relay FROM TO: the gnzsnz image's socat command line, on loopback.
start_relay() {
	socat -lf /dev/null "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$2" &
	SOCAT_PID=$!
	local i
	for i in $(seq 1 250); do
		nc -z 127.0.0.1 "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# sim_ctl CMD: one control command, returns the JSON reply line.
sim_ctl() {
	printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.ctl"
}

@test "ready: exit 0 and the documented JSON fields" {
	start_sim "$PORT"
	wait_listening
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '
		.verdict == "ready" and .host == "127.0.0.1" and .port == '"$PORT"' and
		.client_id == 917 and .server_version == 176 and
		(.connection_time | type) == "string" and
		.accounts == ["DU1234567"] and (.next_valid_id | type) == "number" and
		([.notices[].code] | index(2104)) != null and
		(.timings_ms.connect <= .timings_ms.server_version) and
		(.timings_ms.server_version <= .timings_ms.ready) and
		.timings_ms.heartbeat == null and .reason == null and .exit_code == 0'
}

@test "ready: one human line with server version and accounts" {
	start_sim "$PORT" --accounts DU111,DU222
	wait_listening
	run gw-probe --port "$PORT"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^ready\ 127\.0\.0\.1:$PORT\ server=176\ accounts=DU111,DU222\ in\ [0-9.]+\ ms$ ]]
}

@test "ready with --heartbeat reports the round trip" {
	start_sim "$PORT"
	wait_listening
	run gw-probe --port "$PORT" --heartbeat --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.verdict == "ready" and (.timings_ms.heartbeat | type) == "number"'
}

@test "-q prints nothing and keeps the exit code" {
	start_sim "$PORT"
	wait_listening
	run gw-probe -q --port "$PORT"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run gw-probe -q --port "$PORT2"
	[ "$status" -eq 10 ]
	[ -z "$output" ]
}

@test "unreachable: nothing listening, exit 10" {
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 10 ]
	echo "$output" | jq -e '.verdict == "unreachable" and (.reason | test("refused")) and .exit_code == 10'
}

@test "unreachable while gw-sim is still logging in (--login-delay)" {
	start_sim "$PORT" --login-delay 30
	run gw-probe --port "$PORT"
	[ "$status" -eq 10 ]
	[[ "$output" == unreachable* ]]
}

@test "relay-closed: gw-sim --fault relay-dead, exit 11" {
	start_sim "$PORT" --fault relay-dead
	wait_listening
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 11 ]
	echo "$output" | jq -e '.verdict == "relay-closed" and .server_version == null'
}

@test "handshake-timeout: gw-sim --fault wedged, exit 12 at the deadline" {
	start_sim "$PORT" --fault wedged
	wait_listening
	run gw-probe --port "$PORT" --timeout 0.5 --json
	[ "$status" -eq 12 ]
	echo "$output" | jq -e '.verdict == "handshake-timeout" and .timings_ms.total >= 500 and .timings_ms.total < 2000'
}

@test "not-logged-in: gw-sim --fault not-logged-in, exit 13" {
	start_sim "$PORT" --fault not-logged-in
	wait_listening
	run gw-probe --port "$PORT" --timeout 0.5 --json
	[ "$status" -eq 13 ]
	echo "$output" | jq -e '.verdict == "not-logged-in" and .server_version == 176 and .next_valid_id == null and (.reason | test("no nextValidId or managedAccounts"))'
}

@test "client-id-in-use: a listed client id gets 326, exit 14" {
	start_sim "$PORT" --client-ids-in-use 5,917
	wait_listening
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 14 ]
	echo "$output" | jq -e '.verdict == "client-id-in-use" and ([.notices[].code] | index(326)) != null'
	run gw-probe --port "$PORT" --client-id 6
	[ "$status" -eq 0 ]
}

@test "client-id-in-use: a second session with a connected client id" {
	start_sim "$PORT"
	wait_listening
	# Hold a ready session with client id 55 open: hello, then startApi.
	(
		exec 3<>"/dev/tcp/127.0.0.1/$PORT"
		printf 'API\x00\x00\x00\x00\x09v100..176' >&3
		printf '\x00\x00\x00\x0971\x002\x0055\x00\x00' >&3
		exec sleep 30	# hold the session until teardown kills us
	) >/dev/null 2>&1 &
	HOLD_PID=$!
	wait_for_line "$SIM_LOG" '"event":"sim\.start_api".*"client_id":55' 10
	run gw-probe --port "$PORT" --client-id 55 --json
	[ "$status" -eq 14 ]
	echo "$output" | jq -e '.verdict == "client-id-in-use"'
}

@test "upstream-down: 1100 via the control socket, exit 15; restored, exit 0" {
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.ctl"
	wait_listening
	run sim_ctl upstream-lost
	[[ "$output" == *'"ok":true'* ]]
	run gw-probe --port "$PORT" --heartbeat --json
	[ "$status" -eq 15 ]
	echo "$output" | jq -e '.verdict == "upstream-down" and ([.notices[].code] | index(1100)) != null'
	run sim_ctl "upstream-restored 1101"
	[[ "$output" == *'"ok":true'* ]]
	run gw-probe --port "$PORT"
	[ "$status" -eq 0 ]
}

@test "slow gateway: ready within a generous deadline, timeout within a short one" {
	start_sim "$PORT" --fault slow --slow-ms 300
	wait_listening
	run gw-probe --port "$PORT" --timeout 0.1
	[ "$status" -eq 12 ]
	run gw-probe --port "$PORT" --timeout 3 --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.timings_ms.server_version >= 300'
}

@test "socat relay, backend down: relay-closed (a port check would pass)" {
	start_relay "$PORT" "$PORT2"
	nc -z 127.0.0.1 "$PORT"
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 11 ]
	echo "$output" | jq -e '.verdict == "relay-closed" and (.timings_ms.connect | type) == "number"'
}

@test "socat relay, backend up: ready through the relay" {
	start_sim "$PORT2"
	wait_listening
	start_relay "$PORT" "$PORT2"
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.verdict == "ready" and .accounts == ["DU1234567"]'
}

@test "--wait: relay-closed turns into ready after the login delay" {
	start_sim "$PORT2" --login-delay 2
	start_relay "$PORT" "$PORT2"
	run gw-probe --wait --port "$PORT" --retry-interval 0.2 --retry-cap 0.5 --json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 2 ]
	echo "${lines[0]}" | jq -e '.verdict == "relay-closed" and .attempt == 1 and .next_attempt_s == 0.2'
	echo "${lines[-1]}" | jq -e '.verdict == "ready" and .next_attempt_s == null'
}

@test "--wait: gives up after --max-retries with the last verdict" {
	run gw-probe --wait --port "$PORT" --retry-interval 0.05 --max-retries 3
	[ "$status" -eq 10 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"attempt 1/3, next in 0.05 s" ]]
	[[ "${lines[1]}" == *"attempt 2/3, next in 0.1 s" ]]
	[[ "${lines[2]}" == unreachable* ]]
	[[ "${lines[2]}" != *attempt* ]]
}

@test "--wait: gives up when --startup-timeout is spent, never past it" {
	start_sim "$PORT" --fault wedged
	wait_listening
	# --timeout larger than what the budget leaves: the last attempt is cut
	# to the budget, so the whole run ends at about 1 s, not 1 s + 0.8 s.
	start=$(date +%s%N)
	run gw-probe --wait --port "$PORT" --timeout 0.8 --retry-interval 0.1 --startup-timeout 1 --max-retries 100
	end=$(date +%s%N)
	[ "$status" -eq 12 ]
	elapsed_ms=$(( (end - start) / 1000000 ))
	echo "elapsed ${elapsed_ms} ms"	# shown on failure
	[ "$elapsed_ms" -ge 900 ]
	[ "$elapsed_ms" -lt 1500 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == handshake-timeout* ]]
}

@test "--wait honours GATEWAY_MAX_RETRIES and GATEWAY_RETRY_INTERVAL" {
	GATEWAY_MAX_RETRIES=2 GATEWAY_RETRY_INTERVAL=0.05 run gw-probe --wait --port "$PORT"
	[ "$status" -eq 10 ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "GATEWAY_HOST and GATEWAY_PORT are the defaults; flags override" {
	start_sim "$PORT"
	wait_listening
	GATEWAY_HOST=localhost GATEWAY_PORT=$PORT run gw-probe --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.host == "localhost" and .verdict == "ready"'
	GATEWAY_HOST=127.0.0.2 GATEWAY_PORT=$PORT run gw-probe -q
	[ "$status" -eq 10 ]
	GATEWAY_PORT=$PORT2 run gw-probe -q --port "$PORT"
	[ "$status" -eq 0 ]
}

@test "gw-sim restart: ready, unreachable during login, ready again" {
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.ctl" --login-delay 0
	wait_listening
	run gw-probe -q --port "$PORT"
	[ "$status" -eq 0 ]
	run sim_ctl "login-delay 2"
	[[ "$output" == *'"ok":true'* ]]
	run sim_ctl restart
	[[ "$output" == *'"ok":true'* ]]
	run gw-probe --port "$PORT"
	[ "$status" -eq 10 ]
	run gw-probe --wait --port "$PORT" --retry-interval 0.2 --retry-cap 0.5 -q
	[ "$status" -eq 0 ]
}

@test "usage errors exit 64 with one line naming the flag" {
	run gw-probe --port 0
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --port: '0' is not an integer in 1..65535" ]
	run gw-probe --port 70000
	[ "$status" -eq 64 ]
	[[ "$output" == *"--port: '70000'"* ]]
	run gw-probe --port abc
	[ "$status" -eq 64 ]
	[[ "$output" == *"--port: 'abc'"* ]]
	run gw-probe --timeout -1
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --timeout: '-1' is not a number of seconds in 0.001..86400" ]
	run gw-probe --client-id x
	[ "$status" -eq 64 ]
	run gw-probe --bogus
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --bogus: unknown option (see --help)" ]
	run gw-probe --port 4 -Zq
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: -Z: unknown option (see --help)" ]
	run gw-probe --json=1
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --json=1: this option takes no value" ]
	run gw-probe --wait --retry-interval 0
	[ "$status" -eq 64 ]
	[[ "$output" == *"--retry-interval: '0'"* ]]
	run gw-probe --host "$(printf 'h%.0s' $(seq 1 300))"
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --host: must be 1..253 characters" ]
	run gw-probe --port
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --port: missing value" ]
	run gw-probe extra
	[ "$status" -eq 64 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "bad environment values exit 64 naming the variable" {
	GATEWAY_PORT=abc run gw-probe
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: GATEWAY_PORT: 'abc' is not an integer in 1..65535" ]
	GATEWAY_RETRY_INTERVAL=-5 run gw-probe
	[ "$status" -eq 64 ]
	[[ "$output" == *GATEWAY_RETRY_INTERVAL* ]]
	GATEWAY_MAX_RETRIES=0 run gw-probe
	[ "$status" -eq 64 ]
	GATEWAY_STARTUP_TIMEOUT=never run gw-probe
	[ "$status" -eq 64 ]
	GATEWAY_HOST="$(printf 'h%.0s' $(seq 1 300))" run gw-probe -n
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: GATEWAY_HOST: must be 1..253 characters" ]
}

@test "-n, --help and --version" {
	run gw-probe -n --port 4004
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	run gw-probe --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	[[ "$output" == *"15 upstream-down"* ]]
	run gw-probe --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^gw-probe\ gwkit\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}
