#!/usr/bin/env bats
# gw-probe against gw-sim faults and a real socat relay. Loopback only.
load common
bats_require_minimum_version 1.5.0

setup() {
	{ read -r PORT; read -r PORT2; } < <(free_port 2)
	SIM_PID= SOCAT_PID= HOLD_PID= LISTEN_PID= SIM2_PID=
}

teardown() {
	stop_pid "$LISTEN_PID" "$HOLD_PID" "$SOCAT_PID" "$SIM2_PID" "$SIM_PID"
	reap_test_procs
}

# start_listener PORT SHELL-CMD: a TCP server on 127.0.0.1:PORT that runs
# SHELL-CMD for each connection (its stdin/stdout are the socket); not a
# TWS API endpoint. Waits until the port accepts.
start_listener() {
	# the command goes in a file: socat's address syntax would eat quotes
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/listener.sh"
	socat -lf /dev/null "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr" \
	    "SYSTEM:sh $BATS_TEST_TMPDIR/listener.sh" >/dev/null 2>&1 3>&- &
	LISTEN_PID=$!
	wait_until 10 nc -z 127.0.0.1 "$1"
}

# The hello gw-probe sends is 17 bytes ("API\0", then v100..176 framed):
# a listener that reads it before answering closes with FIN, not RST.
HELLO_LEN=17

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
	echo "$output" | jq -e '.verdict == "handshake-timeout" and .timings_ms.total >= 500 and .timings_ms.total < 4000'
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
	run gw-probe --port "$PORT" --timeout 10 --json
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
	# relay-closed is cheap: polled every GATEWAY_FAST_POLL (0.1 s), not
	# after --retry-interval
	echo "${lines[0]}" | jq -e '.verdict == "relay-closed" and .attempt == 1 and .costly_attempts == 0 and .next_attempt_s == 0.1'
	echo "${lines[-1]}" | jq -e '.verdict == "ready" and .next_attempt_s == null'
}

# The next three use the old policy (GATEWAY_FAST_POLL=0): every attempt
# at an unreachable port counts against --max-retries and has its line.
# Costly-only counting: gw-probe-wait.bats.
@test "--wait: gives up after --max-retries with the last verdict" {
	GATEWAY_FAST_POLL=0 run --separate-stderr gw-probe --wait --port "$PORT" --retry-interval 0.05 --max-retries 3
	[ "$status" -eq 10 ]
	[ "$stderr" = "gw-probe: giving up after 3 attempts (--max-retries)" ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"attempt 1/3, next in 0.05 s" ]]
	[[ "${lines[1]}" == *"attempt 2/3, next in 0.1 s" ]]
	[[ "${lines[2]}" == unreachable* ]]
	[[ "${lines[2]}" != *attempt* ]]
}

@test "--wait: gives up when --startup-timeout is spent, never past it" {
	start_sim "$PORT" --fault wedged
	wait_listening
	# --timeout larger than what the budget leaves after the first attempt
	# (1.5 s, then 0.1 s): the second attempt is cut to the 0.4 s left, so
	# the run ends at about 2 s, not 2 s + 1.1 s. The cut is read from the
	# attempt's own words ("no server version within N ms"), not from a
	# wall clock that a loaded machine would stretch.
	start=$(date +%s%N)
	run --separate-stderr gw-probe --wait --port "$PORT" --timeout 1.5 --retry-interval 0.1 --startup-timeout 2 --max-retries 100
	end=$(date +%s%N)
	[ "$status" -eq 12 ]
	[ "$stderr" = "gw-probe: giving up: startup timeout 2 s spent after 2 attempts" ]
	elapsed_ms=$(( (end - start) / 1000000 ))
	echo "elapsed ${elapsed_ms} ms; ${lines[1]:-}"	# shown on failure
	[ "$elapsed_ms" -ge 1900 ]
	[ "$elapsed_ms" -lt 8000 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == handshake-timeout* ]]
	[[ "${lines[1]}" == handshake-timeout* ]]
	cut=$(sed -nE 's/.*within ([0-9]+) ms.*/\1/p' <<<"${lines[1]}")
	[ -n "$cut" ]
	[ "$cut" -lt 1000 ]	# about 400, far from the 1500 of --timeout
}

@test "--wait honours GATEWAY_MAX_RETRIES and GATEWAY_RETRY_INTERVAL" {
	GATEWAY_FAST_POLL=0 GATEWAY_MAX_RETRIES=2 GATEWAY_RETRY_INTERVAL=0.05 run --separate-stderr gw-probe --wait --port "$PORT"
	[ "$status" -eq 10 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "gw-probe: giving up after 2 attempts (GATEWAY_MAX_RETRIES)" ]
}

@test "--wait --json: the last object says why it gave up; -q says nothing" {
	GATEWAY_FAST_POLL=0 run --separate-stderr gw-probe --wait --json --port "$PORT" --retry-interval 0.05 --max-retries 2
	[ "$status" -eq 10 ]
	[ -z "$stderr" ]
	echo "${lines[0]}" | jq -e '.gave_up == null and .attempt == 1'
	echo "${lines[1]}" | jq -e '.gave_up == "giving up after 2 attempts (--max-retries)" and .next_attempt_s == null'
	run --separate-stderr gw-probe --wait --json --port "$PORT" --retry-interval 0.2 --startup-timeout 0.3
	[ "$status" -eq 10 ]
	echo "${lines[-1]}" | jq -e '.gave_up | test("^giving up: startup timeout 0.3 s spent after [0-9]+ attempts?$")'
	GATEWAY_FAST_POLL=0 run --separate-stderr gw-probe -q --wait --port "$PORT" --retry-interval 0.05 --max-retries 2
	[ "$status" -eq 10 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "--wait: a ready gateway never prints a giving-up line" {
	start_sim "$PORT"
	wait_listening
	run --separate-stderr gw-probe --wait --json --port "$PORT"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" | jq -e '.verdict == "ready" and .gave_up == null'
}

@test "--startup-timeout at its documented maximum (31536000 s) does not overflow" {
	# replies take 100 ms: an attempt cut to a few ms could not be ready
	start_sim "$PORT" --fault slow --slow-ms 100
	wait_listening
	run gw-probe --wait --startup-timeout 31536000 --port "$PORT" --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.verdict == "ready" and .timings_ms.ready >= 100'
	GATEWAY_STARTUP_TIMEOUT=31536000 run gw-probe --wait -q --port "$PORT"
	[ "$status" -eq 0 ]
}

@test "--startup-timeout at its maximum: a wedged gateway still gets the whole --timeout" {
	start_sim "$PORT" --fault wedged
	wait_listening
	run gw-probe --wait --startup-timeout 31536000 --max-retries 1 --timeout 0.4 --port "$PORT" --json
	[ "$status" -eq 12 ]
	echo "$output" | jq -e '.verdict == "handshake-timeout" and .timings_ms.total >= 400'
	# the wait after connect is the budget less the connect time: about
	# 400 ms (399 when connect took a millisecond), never an overflowed 2 ms
	ms=$(echo "$output" | jq -r .reason | sed -nE 's/.*within ([0-9]+) ms.*/\1/p')
	echo "waited ${ms} ms after connect"	# shown on failure
	[ -n "$ms" ]
	[ "$ms" -ge 100 ]	# (a loaded machine may take long to connect)
}

@test "--host HOST:PORT and --host [V6]:PORT name the endpoint" {
	start_sim "$PORT"
	wait_listening
	run gw-probe --host "127.0.0.1:$PORT" --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.verdict == "ready" and .host == "127.0.0.1" and .port == '"$PORT"
	run gw-probe --host "127.0.0.1:$PORT"
	[ "$status" -eq 0 ]
	[[ "$output" == "ready 127.0.0.1:$PORT "* ]]
	# the same port given both ways is fine
	run gw-probe -q --host "127.0.0.1:$PORT" --port "$PORT"
	[ "$status" -eq 0 ]
	# a port in --host beats GATEWAY_PORT (a flag beats the environment)
	GATEWAY_PORT=$PORT2 run gw-probe -q --host "127.0.0.1:$PORT"
	[ "$status" -eq 0 ]
	SIM_LOG2=$BATS_TEST_TMPDIR/sim6.log
	gw-sim --bind ::1 --port "$PORT2" >"$SIM_LOG2" 2>&1 3>&- &
	SIM2_PID=$!
	wait_listening "$SIM_LOG2"
	run gw-probe --host "[::1]:$PORT2" --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.verdict == "ready" and .host == "::1" and .port == '"$PORT2"
	run gw-probe --host "::1" --port "$PORT2"
	[ "$status" -eq 0 ]
	[[ "$output" == "ready [::1]:$PORT2 "* ]]
}

@test "GATEWAY_HOST may carry the port; disagreeing ports are a usage error naming both" {
	start_sim "$PORT"
	wait_listening
	GATEWAY_HOST=127.0.0.1:$PORT run gw-probe --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.port == '"$PORT"
	# --port beats the port in GATEWAY_HOST
	GATEWAY_HOST=127.0.0.1:$PORT2 run gw-probe -q --port "$PORT"
	[ "$status" -eq 0 ]
	run gw-probe --host "127.0.0.1:$PORT" --port "$PORT2"
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --host '127.0.0.1:$PORT' says port $PORT but --port says $PORT2" ]
	GATEWAY_HOST=127.0.0.1:$PORT GATEWAY_PORT=$PORT2 run gw-probe
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: GATEWAY_HOST '127.0.0.1:$PORT' says port $PORT but GATEWAY_PORT says $PORT2" ]
	run gw-probe --host 127.0.0.1:99999
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --host: '127.0.0.1:99999': port '99999' is not an integer in 1..65535" ]
	run gw-probe --host '[::1'
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: --host: '[::1' is not host, host:port or [IPv6]:port" ]
	GATEWAY_HOST=gw: run gw-probe -n
	[ "$status" -eq 64 ]
	[ "$output" = "gw-probe: GATEWAY_HOST: 'gw:' is not host, host:port or [IPv6]:port" ]
}

@test "not-api: an SSH banner, exit 16, naming what was seen" {
	start_listener "$PORT" "printf 'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\\r\\n'; sleep 5"
	run gw-probe --port "$PORT"
	[ "$status" -eq 16 ]
	[[ "$output" =~ ^not-api\ 127\.0\.0\.1:$PORT\ in\ [0-9.]+\ ms:\ not\ a\ TWS\ API\ endpoint:\ got\ \"SSH-2\.0-OpenSSH_9\.6p1\ Ubuntu-3ubuntu13\.5\"\ \(frame\ length\ 1397966893 ]]
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 16 ]
	echo "$output" | jq -e '.verdict == "not-api" and .exit_code == 16 and
		(.reason | startswith("not a TWS API endpoint: got \"SSH-2.0-OpenSSH_9.6p1")) and
		.server_version == null and .bytes_received > 0'
}

@test "not-api: an HTTP response, exit 16" {
	start_listener "$PORT" "head -c $HELLO_LEN >/dev/null; printf 'HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n'"
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 16 ]
	echo "$output" | jq -e '.verdict == "not-api" and
		(.reason | startswith("not a TWS API endpoint: got \"HTTP/1.1 400 Bad Request\" (frame length"))'
}

@test "not-api: a few bytes then EOF is not the relay (which sends none)" {
	start_listener "$PORT" "head -c $HELLO_LEN >/dev/null; printf 'no\\n'"
	run gw-probe --port "$PORT"
	[ "$status" -eq 16 ]
	[[ "$output" == *': not a TWS API endpoint: got "no", then connection closed by peer' ]]
}

@test "handshake-timeout on a silent port asks whether it is an API port" {
	start_listener "$PORT" "sleep 5"
	run gw-probe --port "$PORT" --timeout 0.3 --json
	[ "$status" -eq 12 ]
	echo "$output" | jq -e '.verdict == "handshake-timeout" and .bytes_received == 0 and
		(.reason | contains("no bytes received; is port '"$PORT"' a TWS API port?"))'
}

@test "-q silences libevent's own messages too" {
	# EVENT_SHOW_METHOD makes libevent log "[msg] libevent using: ..." on
	# stderr through its log callback, as it logs "Nameserver ... has failed"
	run --separate-stderr env EVENT_SHOW_METHOD=1 gw-probe -q --port "$PORT"
	[ "$status" -eq 10 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr env EVENT_SHOW_METHOD=1 gw-probe --port "$PORT"
	[ "$status" -eq 10 ]
	[[ "$stderr" == "gw-probe: libevent: libevent using: "* ]]
}

@test "accounts: empty entries are dropped; an all-empty list is not logged in" {
	start_sim "$PORT" --accounts ',DU111,,DU222,'
	wait_listening
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.accounts == ["DU111","DU222"]'
	run gw-probe --port "$PORT"
	[[ "$output" == *" accounts=DU111,DU222 in "* ]]
	stop_pid "$SIM_PID"
	start_sim "$PORT" --accounts ',,,,'
	wait_listening
	run gw-probe --port "$PORT" --json
	[ "$status" -eq 13 ]
	echo "$output" | jq -e '.verdict == "not-logged-in" and .accounts == [] and
		.reason == "managedAccounts is empty (not logged in to an account)"'
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
	run sim_ctl "login-delay 5"	# the probe below runs within it, even on a loaded machine
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
	[[ "$output" == *"15 upstream-down, 16 not-api"* ]]
	run gw-probe --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^gw-probe\ gwkit\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}
