#!/usr/bin/env bats
# gw-sim: options, the TWS wire handshake byte for byte, faults, the control
# socket and signals. Loopback only; raw clients are bash /dev/tcp on fd 7/8
# (bats owns fd 3), frames are read with dd and checked with od.
load common
bats_require_minimum_version 1.5.0

setup() {
	PORT=$(free_port)
	SIM_PID=
	WRITER_PID=
	CTL=$BATS_TEST_TMPDIR/run/sim.ctl
}

teardown() {
	exec 7>&- 8>&-
	stop_pid "$WRITER_PID" "$SIM_PID"
	reap_test_procs
}

# --- raw TWS client helpers ---------------------------------------------

# be32 N: N as 4 big-endian bytes.
be32() {
	printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))"
	printf "\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"
}

# hello VERSIONS: "API\0" + length-prefixed "v100..187" (not NUL-terminated).
hello() { printf 'API\0'; be32 ${#1}; printf '%s' "$1"; }

# frame FIELD...: one length-prefixed frame, every field NUL-terminated.
frame() {
	local p=$BATS_TEST_TMPDIR/payload
	printf '%s\0' "$@" >"$p"
	be32 "$(wc -c <"$p")"
	cat "$p"
}

start_api() { frame 71 2 "$1" ""; }
req_mkt_data() { frame 1 11 "$1" 0 "$2" STK "" 0.0 "" "" SMART "" USD "" "" 0 "" 0 0 ""; }

# connect [FD]: open a client connection on fd 7 (or 8).
connect() { eval "exec ${1:-7}<>/dev/tcp/127.0.0.1/$PORT"; }

# read_frame [FD]: the next frame's fields joined by '|' ("176|2026...|");
# fails on EOF or after 5 s.
read_frame() {
	local fd=${1:-7} hdr len
	hdr=$(timeout 5 dd bs=4 count=1 iflag=fullblock status=none <&"$fd" | od -An -tu1)
	set -- $hdr
	[ $# -eq 4 ] || { echo "no frame (EOF or timeout)" >&2; return 1; }
	len=$(($1 << 24 | $2 << 16 | $3 << 8 | $4))
	timeout 5 dd bs="$len" count=1 iflag=fullblock status=none <&"$fd" | tr '\0' '|'
}

# expect_eof [FD]: the peer closes (orderly EOF) within 5 s, sending nothing.
expect_eof() {
	run bash -c "timeout 5 cat <&${1:-7} | wc -c; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 0 ]
	[ "$output" -eq 0 ]
}

# expect_silence SECS [FD]: no byte and no EOF arrives within SECS (a
# negative check needs a bounded wait).
expect_silence() {
	run timeout "$1" dd bs=1 count=1 status=none <&"${2:-7}"
	[ "$status" -eq 124 ]
	[ -z "$output" ]
}

# ready_session CLIENT_ID [FD]: handshake + startApi, consume the 5 replies.
ready_session() {
	local fd=${2:-7}
	connect "$fd"
	{ hello v100..187; start_api "$1"; } >&"$fd"
	read_frame "$fd" >/dev/null			# server version
	[ "$(read_frame "$fd")" = "15|1|DU1234567|" ]
	[ "$(read_frame "$fd")" = "9|1|1|" ]
	read_frame "$fd" >/dev/null			# 2104
	read_frame "$fd" >/dev/null			# 2106
	[[ "$(read_frame "$fd")" == 4\|2\|-1\|2158\|* ]]
}

# expect_refused: a connection to PORT is refused (nothing listens).
expect_refused() {
	run bash -c "exec 9<>/dev/tcp/127.0.0.1/$PORT"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Connection refused"* ]]
}

# ctl LINE: one control command, the JSON reply line.
ctl() { printf '%s\n' "$1" | timeout 5 socat -t 5 - "UNIX-CONNECT:$CTL"; }

# drain_until PATTERN [FD]: read frames until one matches the glob PATTERN;
# every frame before it must be a tick of reqId 1001.
drain_until() {
	local f
	while f=$(read_frame "${2:-7}"); [[ "$f" != $1 ]]; do
		[[ "$f" == [12]\|6\|1001\|* ]] || { echo "unexpected frame: $f" >&2; return 1; }
	done
	[[ "$f" == $1 ]]
}

# count_events NAME N: the sim log has exactly N events NAME.
count_events() { [ "$(grep -c "\"event\":\"$1\"" "$SIM_LOG")" -eq "$2" ]; }

# log_ms REGEX: the ts (epoch ms, the sim's clock) of the last line of the
# sim log matching REGEX.
log_ms() {
	local ts
	ts=$(grep -E -- "$1" "$SIM_LOG" | tail -n 1 | jq -r .ts)
	date -d "$ts" +%s%3N
}

# --- options ----------------------------------------------------------------

@test "--help prints usage on stdout; --version prints the version" {
	run --separate-stderr gw-sim --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: gw-sim "* ]]
	[[ "$output" == *"--client-ids-in-use LIST"* ]]
	[ -z "$stderr" ]
	run gw-sim --version
	[ "$status" -eq 0 ]
	[ "$output" = "gw-sim gwkit 0.1.0" ]
	run gw-sim -V
	[ "$status" -eq 0 ]
	[ "$output" = "gw-sim gwkit 0.1.0" ]
}

@test "an unknown option is worded alike by all four programs" {
	local p want
	for p in gw-probe gw-sim stack-init discord-notify; do
		run --separate-stderr "$GWKIT_BIN/$p" -x
		[ "$status" -eq 64 ] || { echo "$p -x: status $status"; return 1; }
		[ "$stderr" = "$p: -x: unknown option (see --help)" ] || { echo "$p: $stderr"; return 1; }
		run --separate-stderr "$GWKIT_BIN/$p" --frobnicate
		[ "$status" -eq 64 ] || { echo "$p --frobnicate: status $status"; return 1; }
		[ "$stderr" = "$p: --frobnicate: unknown option (see --help)" ] || { echo "$p: $stderr"; return 1; }
		run --separate-stderr "$GWKIT_BIN/$p" -V
		[ "$status" -eq 0 ] || { echo "$p -V: status $status"; return 1; }
		[ "$output" = "$p gwkit 0.1.0" ] || { echo "$p -V: $output"; return 1; }
	done
}

@test "bad flags exit 64 with one line naming the flag and the value" {
	check() {
		local want=$1; shift
		run --separate-stderr gw-sim "$@"
		[ "$status" -eq 64 ] || { echo "gw-sim $*: status $status"; return 1; }
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "gw-sim: $want"* ]] || { echo "got: $stderr"; return 1; }
	}
	check "--port: '0' is not an integer in 1..65535" --port 0
	check "--port: '70000' is not an integer in 1..65535" --port 70000
	check "--port: 'abc' is not an integer in 1..65535" --port abc
	check "--port: '?[31m' is not an integer in 1..65535" --port $'\e[31m'
	check "--accounts: 'DU1 DU2' is not a comma-separated account list" --accounts 'DU1 DU2'
	check "--accounts: empty value" --accounts ''
	check "--control: empty value" --control ''
	check "--fault: 'frozen' is not one of none, relay-dead" --fault frozen
	check "--frobnicate: unknown option (see --help)" --frobnicate
	check "--frobnicate=1: unknown option (see --help)" --frobnicate=1
	check "--help=1: this option takes no value" --help=1
	check "--port: missing value" --port
	check "--max-version: '201' is not an integer in 100..200" --max-version 201
	check "--slow-ms: '-5'" --slow-ms -5
	check "--login-delay: '1s'" --login-delay 1s
	check "--client-ids-in-use: '5,,6'" --client-ids-in-use 5,,6
	check "--client-ids-in-use: client id '-5' is not in 0..2147483647" --client-ids-in-use 5,-5
	check "--client-ids-in-use: client id '2147483648' is not in 0..2147483647" --client-ids-in-use 2147483648
	check "--bind: 'localhost' is not a numeric IPv4 or IPv6 address" --bind localhost
	check "--log-level: 'loud'" --log-level loud
	check "'extra': unexpected argument (see --help)" extra
	check "'a?b': unexpected argument (see --help)" $'a\nb'
	check "-x: unknown option (see --help)" -x
	check "--log-format: 'xml' is not one of json, text, auto" --log-format xml
}

@test "-n prints configuration OK and opens nothing" {
	run gw-sim -n --port "$PORT" --fault wedged --control "$CTL"
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	[ ! -e "$CTL" ]
	run gw-sim -n --port 0
	[ "$status" -eq 64 ]
}

# --- handshake ----------------------------------------------------------------

@test "handshake: v100..187 gets exactly a 2-field server version 176" {
	start_sim "$PORT"
	wait_listening
	connect
	hello v100..187 >&7
	run bash -c 'timeout 5 dd bs=30 count=1 iflag=fullblock status=none <&7 | od -An -tx1 | tr -d " \n"'
	[ "$status" -eq 0 ]
	# 00 00 00 1a | "176\0" | "yyyymmdd hh:mm:ss UTC\0"
	[[ "$output" =~ ^0000001a31373600(3[0-9]){8}20(3[0-9]){2}3a(3[0-9]){2}3a(3[0-9]){2}2055544300$ ]]
	wait_for_line "$SIM_LOG" '"event":"sim\.handshake".*"client_min":100,"client_max":187,"version":176'
}

@test "handshake: the version is min(client max, --max-version)" {
	start_sim "$PORT" --max-version 160
	wait_listening
	connect 7
	hello v100..150 >&7
	[[ "$(read_frame 7)" =~ ^150\|[0-9]{8}\ [0-9:]{8}\ UTC\|$ ]]
	connect 8
	printf 'API\0\0\0\0\x12v100..187 +PACEAPI' >&8
	[[ "$(read_frame 8)" =~ ^160\| ]]
}

@test "handshake: a single-version hello v176 gets version 176" {
	start_sim "$PORT"
	wait_listening
	connect
	hello v176 >&7
	[[ "$(read_frame)" =~ ^176\|[0-9]{8}\ [0-9:]{8}\ UTC\|$ ]]
	wait_for_line "$SIM_LOG" '"event":"sim\.handshake".*"client_min":176,"client_max":176,"version":176'
}

@test "handshake: a client minimum above the maximum is logged and closed" {
	start_sim "$PORT"
	wait_listening
	connect
	hello v201..210 >&7
	expect_eof 7
	wait_for_line "$SIM_LOG" '"event":"sim\.protocol_error".*minimum version 201'
}

@test "startApi: managedAccounts, nextValidId, farm notices, then currentTime" {
	start_sim "$PORT" --accounts DU111,DU222
	wait_listening
	connect
	t_before=$(date +%s)
	{ hello v100..176; start_api 7; frame 49 1; } >&7
	read_frame >/dev/null
	[ "$(read_frame)" = "15|1|DU111,DU222|" ]
	[ "$(read_frame)" = "9|1|1|" ]
	[ "$(read_frame)" = "4|2|-1|2104|Market data farm connection is OK:usfarm||" ]
	[ "$(read_frame)" = "4|2|-1|2106|HMDS data farm connection is OK:ushmds||" ]
	[ "$(read_frame)" = "4|2|-1|2158|Sec-def data farm connection is OK:secdefnj||" ]
	t=$(read_frame)
	t_after=$(date +%s)
	[[ "$t" =~ ^49\|1\|([0-9]+)\|$ ]]
	# the sim's time, taken between our request and its reply
	(( t_before <= BASH_REMATCH[1] && BASH_REMATCH[1] <= t_after ))
	wait_for_line "$SIM_LOG" '"event":"sim\.start_api".*"client_id":7'
}

@test "error layouts follow the negotiated version (165 and 194)" {
	start_sim "$PORT" --max-version 200
	wait_listening
	connect 7
	{ hello v100..165; start_api 1; } >&7
	for i in 1 2 3; do read_frame 7 >/dev/null; done
	[ "$(read_frame 7)" = "4|2|-1|2104|Market data farm connection is OK:usfarm|" ]
	connect 8
	{ hello v100..194; start_api 2; } >&8
	for i in 1 2 3; do read_frame 8 >/dev/null; done
	[[ "$(read_frame 8)" =~ ^4\|-1\|2104\|Market\ data\ farm\ connection\ is\ OK:usfarm\|\|[0-9]{13}\|$ ]]
}

@test "requests before startApi are ignored and logged" {
	start_sim "$PORT"
	wait_listening
	connect
	{ hello v100..187; frame 49 1; start_api 3; } >&7
	read_frame >/dev/null
	[ "$(read_frame)" = "15|1|DU1234567|" ]
	wait_for_line "$SIM_LOG" '"event":"sim\.request_ignored".*"msg":"reqCurrentTime"'
}

@test "ignored requests: the first 5 are logged, the total at close" {
	start_sim "$PORT"
	wait_listening
	connect
	{ hello v100..187; for i in $(seq 12); do frame 49 1; done; start_api 3; } >&7
	read_frame >/dev/null
	[ "$(read_frame)" = "15|1|DU1234567|" ]
	exec 7>&-
	wait_for_line "$SIM_LOG" '"event":"sim\.disconnect".*"reason":"closed by the client.*"ignored":12'
	count_events sim.request_ignored 5
}

# --- market data ----------------------------------------------------------------

@test "reqMktData live: tickReqParams, marketDataType, ticks 1/2/4/8 until cancelled" {
	start_sim "$PORT" --tick-ms 50
	wait_listening
	ready_session 1
	req_mkt_data 1001 SPY >&7
	[ "$(read_frame)" = "81|1001|0.01|9c0001|3|" ]
	[ "$(read_frame)" = "58|1|1001|1|" ]
	for round in 1 2; do
		[[ "$(read_frame)" =~ ^1\|6\|1001\|1\|[0-9]+\.[0-9]+\|[0-9]+\|0\|$ ]]
		[[ "$(read_frame)" =~ ^1\|6\|1001\|2\|[0-9]+\.[0-9]+\|[0-9]+\|0\|$ ]]
		[[ "$(read_frame)" =~ ^1\|6\|1001\|4\|[0-9]+\.[0-9]+\|[0-9]+\|0\|$ ]]
		[[ "$(read_frame)" =~ ^2\|6\|1001\|8\|[0-9]+\|$ ]]
	done
	# After the cancel, the currentTime reply is the last thing we get.
	{ frame 2 2 1001; frame 49 1; } >&7
	while f=$(read_frame); [[ "$f" != 49\|* ]]; do [[ "$f" == [12]\|6\|1001\|* ]]; done
	expect_silence 0.5
}

@test "reqMktData delayed: 10167 first, then delayed tick ids 66/67/68/74" {
	start_sim "$PORT"
	wait_listening
	ready_session 1
	{ frame 59 1 3; req_mkt_data 42 AAPL; } >&7
	[ "$(read_frame)" = "4|2|42|10167|Requested market data is not subscribed. Displaying delayed market data.||" ]
	[ "$(read_frame)" = "81|42|0.01|9c0001|3|" ]
	[ "$(read_frame)" = "58|1|42|3|" ]
	[[ "$(read_frame)" == 1\|6\|42\|66\|* ]]
	[[ "$(read_frame)" == 1\|6\|42\|67\|* ]]
	[[ "$(read_frame)" == 1\|6\|42\|68\|* ]]
	[[ "$(read_frame)" == 2\|6\|42\|74\|* ]]
}

@test "the random walk is seeded: same seed, same prices" {
	# first_ticks FILE ARGS...: the first BID/ASK/LAST ticks into FILE. Run
	# in this shell, not in $(...), so that every assertion inside counts.
	first_ticks() {
		local out=$1; shift
		start_sim "$PORT" "$@"
		wait_listening
		ready_session 1
		req_mkt_data 1 MSFT >&7
		read_frame >/dev/null; read_frame >/dev/null
		: >"$out"
		for i in 1 2 3; do read_frame >>"$out"; echo >>"$out"; done
		exec 7>&-
		stop_pid "$SIM_PID"
		SIM_PID=
	}
	first_ticks "$BATS_TEST_TMPDIR/a" --seed 7
	first_ticks "$BATS_TEST_TMPDIR/b" --seed 7
	first_ticks "$BATS_TEST_TMPDIR/c" --seed 8
	[ "$(wc -l <"$BATS_TEST_TMPDIR/a")" -eq 3 ]
	grep -Eq '^1\|6\|1\|1\|[0-9]+\.[0-9]+\|' "$BATS_TEST_TMPDIR/a"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	run cmp -s "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/c"
	[ "$status" -eq 1 ]
}

# --- faults -----------------------------------------------------------------------

@test "relay-dead: accept, then EOF with 0 bytes" {
	start_sim "$PORT" --fault relay-dead
	wait_listening
	run timeout 5 socat -u "TCP:127.0.0.1:$PORT" -
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	connect
	hello v100..187 >&7
	expect_eof 7
	wait_for_line "$SIM_LOG" '"event":"sim\.connection".*"fault":"relay-dead"'
}

@test "wedged: accepts and reads, never answers, never closes" {
	start_sim "$PORT" --fault wedged
	wait_listening
	connect
	{ hello v100..187; start_api 1; } >&7
	expect_silence 1
	wait_for_line "$SIM_LOG" '"event":"sim\.connection".*"fault":"wedged"'
	run grep -c '"event":"sim\.handshake"' "$SIM_LOG"
	[ "$output" = 0 ]
}

@test "not-logged-in: server version, then nothing after startApi" {
	start_sim "$PORT" --fault not-logged-in
	wait_listening
	connect
	hello v100..187 >&7
	[[ "$(read_frame)" == 176\|* ]]
	start_api 1 >&7
	wait_for_line "$SIM_LOG" '"event":"sim\.start_api"'
	expect_silence 1
}

@test "slow: every reply is delayed by --slow-ms, in order" {
	start_sim "$PORT" --slow-ms 400
	wait_listening
	connect
	t0=$(now_ms)
	{ hello v100..187; start_api 4; frame 49 1; } >&7
	[[ "$(read_frame)" == 176\|* ]]
	(( $(now_ms) - t0 >= 380 ))
	[ "$(read_frame)" = "15|1|DU1234567|" ]
	[ "$(read_frame)" = "9|1|1|" ]
	[[ "$(read_frame)" == *2104* ]]
	[[ "$(read_frame)" == *2106* ]]
	[[ "$(read_frame)" == *2158* ]]
	[[ "$(read_frame)" == 49\|1\|* ]]
}

@test "slow: a client that closes with replies queued is freed at once" {
	start_sim "$PORT" --slow-ms 30000 --control "$CTL"
	wait_listening
	connect
	{ hello v100..187; start_api 4; } >&7
	wait_for_line "$SIM_LOG" '"event":"sim\.start_api"'
	exec 7>&-
	wait_for_line "$SIM_LOG" '"event":"sim\.disconnect".*"reason":"closed by the client"' 10	# not after --slow-ms
	ctl status | jq -e '.sessions == 0'
}

@test "slow: slow-ms 0 and fault none release queued replies at once, in order" {
	start_sim "$PORT" --slow-ms 30000 --control "$CTL"
	wait_listening
	for fd in 7 8; do
		connect $fd
		{ hello v100..187; start_api $fd; frame 49 1; } >&$fd
		wait_until 5 count_events sim.start_api $((fd - 6))
		if [ $fd = 7 ]; then ctl 'slow-ms 0'; else ctl 'fault none'; fi | jq -e '.ok == true'
		[[ "$(read_frame $fd)" == 176\|* ]]
		[ "$(read_frame $fd)" = "15|1|DU1234567|" ]
		[ "$(read_frame $fd)" = "9|1|1|" ]
		[[ "$(read_frame $fd)" == *2104* ]]
		[[ "$(read_frame $fd)" == *2106* ]]
		[[ "$(read_frame $fd)" == *2158* ]]
		[[ "$(read_frame $fd)" == 49\|1\|* ]]
		ctl 'slow-ms 30000' | jq -e '.ok == true'
	done
}

@test "slow then wedged: replies already queued are never sent" {
	start_sim "$PORT" --slow-ms 1000 --control "$CTL"
	wait_listening
	connect
	{ hello v100..187; start_api 4; } >&7
	wait_for_line "$SIM_LOG" '"event":"sim\.start_api"'
	ctl 'fault wedged' | jq -e '.ok == true'
	expect_silence 2
	ctl status | jq -e '.sessions == 1'
}

@test "wedged at run time: a ready session goes silent, then recovers" {
	start_sim "$PORT" --control "$CTL"
	wait_listening
	ready_session 1
	ctl 'fault wedged' | jq -e '.ok == true'
	frame 49 1 >&7
	expect_silence 1
	ctl 'fault none' | jq -e '.ok == true'
	frame 49 1 >&7
	[[ "$(read_frame)" == 49\|1\|* ]]
}

@test "relay-dead: the drain deadline is absolute, not reset by input" {
	start_sim "$PORT" --fault relay-dead
	wait_listening
	connect
	# input every 0.1 s for up to 20 s (until the close makes printf fail)
	( for i in $(seq 200); do printf x || exit 0; sleep 0.1; done ) >&7 2>/dev/null &
	WRITER_PID=$!
	wait_for_line "$SIM_LOG" '"event":"sim\.disconnect".*"reason":"closed by the simulator: relay-dead fault \(the client did not close within 2 s\)"' 15
	# on the sim's clock: 2 s after it accepted, long before the input ends
	d=$(( $(log_ms '"event":"sim\.disconnect"') - $(log_ms '"event":"sim\.connection"') ))
	echo "closed ${d} ms after the accept"	# shown on failure
	(( d >= 1900 && d < 8000 ))
}

@test "client ids in use: listed id and an id held by a ready session get 326 and EOF" {
	start_sim "$PORT" --client-ids-in-use 5,6
	wait_listening
	connect 7
	{ hello v100..187; start_api 6; } >&7
	[[ "$(read_frame 7)" == 176\|* ]]
	[ "$(read_frame 7)" = "4|2|-1|326|Unable to connect as the client id is already in use. Retry with a unique client id.||" ]
	expect_eof 7
	exec 7>&-
	ready_session 9 7
	connect 8
	{ hello v100..187; start_api 9; } >&8
	read_frame 8 >/dev/null
	[[ "$(read_frame 8)" == 4\|2\|-1\|326\|* ]]
	expect_eof 8
	wait_for_line "$SIM_LOG" '"event":"sim\.client_id_in_use".*"client_id":9'
}

@test "login delay: refused at first, then listening and serving" {
	start_sim "$PORT" --login-delay 2
	t0=$(now_ms)
	grep -q '"event":"sim\.started".*"login_delay":2' "$SIM_LOG"
	expect_refused
	wait_listening "$SIM_LOG" 10
	(( $(now_ms) - t0 >= 1500 ))
	ready_session 1
}

@test "listen failure: exit 71 with one line on stderr" {
	start_sim "$PORT"
	wait_listening
	run --separate-stderr gw-sim --port "$PORT"
	[ "$status" -eq 71 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "gw-sim: cannot listen on 127.0.0.1:$PORT: "* ]]
	[[ "$output" == *'"event":"sim.listen_failed"'* ]]
	# sim.stopped tells the truth: failed, with the reason
	echo "${lines[-1]}" | jq -e '.event == "sim.stopped" and .level == "error" and
		.fields.failed == true and (.fields.error | startswith("cannot listen on 127.0.0.1:'"$PORT"': "))'
}

@test "control socket unusable: exit 71 and sim.stopped says failed" {
	mkdir -p "$BATS_TEST_TMPDIR/notsock"
	run --separate-stderr gw-sim --port "$PORT" --control "$BATS_TEST_TMPDIR/notsock"
	[ "$status" -eq 71 ]
	echo "${lines[-1]}" | jq -e '.event == "sim.stopped" and .fields.failed == true'
}

@test "a clean stop: sim.stopped says failed false" {
	start_sim "$PORT"
	wait_listening
	stop_pid "$SIM_PID"
	SIM_PID=
	tail -n 1 "$SIM_LOG" | jq -e '.event == "sim.stopped" and .level == "info" and .fields.failed == false'
}

@test "--log-format text prints readable lines; json and LOG_FORMAT=json stay JSON" {
	# start_text ARGS...: gw-sim in the background, its log in $SIM_LOG
	start_text() {
		SIM_LOG=$BATS_TEST_TMPDIR/sim-$#.log
		gw-sim --port "$PORT" "$@" >"$SIM_LOG" 2>&1 3>&- &
		SIM_PID=$!
	}
	run -0 gw-sim --log-format text -n
	start_text --log-format text
	wait_for_line "$SIM_LOG" '^[0-9TZ:.-]+ INFO sim\.listening: API port 127\.0\.0\.1:'"$PORT"' is listening' 10
	refute grep -q '^{' "$SIM_LOG"
	stop_pid "$SIM_PID"
	LOG_FORMAT=text start_text
	wait_for_line "$SIM_LOG" ' INFO sim\.listening: ' 10
	refute grep -q '^{' "$SIM_LOG"
	stop_pid "$SIM_PID"
	# the flag beats LOG_FORMAT; every line stays a JSON record
	LOG_FORMAT=text start_text --log-format json --log-level info
	wait_listening
	stop_pid "$SIM_PID"
	SIM_PID=
	jq -e -s 'length >= 3 and all(.[]; .source == "gw-sim") and .[-1].event == "sim.stopped"' "$SIM_LOG"
	LOG_FORMAT=xml run --separate-stderr gw-sim -n
	[ "$status" -eq 78 ]
	[ "$stderr" = "gw-sim: LOG_FORMAT: 'xml' is not one of json, text, auto" ]
}

# --- untrusted input ----------------------------------------------------------------

@test "a malformed hello is logged and closed; the next client is served" {
	start_sim "$PORT"
	wait_listening
	connect
	printf 'GET / HTTP/1.0\r\n\r\n' >&7
	expect_eof 7
	wait_for_line "$SIM_LOG" '"event":"sim\.protocol_error".*does not start with'
	exec 7>&-
	ready_session 2
}

@test "an oversized or malformed frame closes that connection only" {
	start_sim "$PORT"
	wait_listening
	ready_session 1 8
	connect 7
	{ hello v100..187; printf '\x00\x10\x00\x00'; } >&7
	read_frame 7 >/dev/null
	expect_eof 7
	wait_for_line "$SIM_LOG" '"event":"sim\.protocol_error".*length 1048576 exceeds the simulator'
	exec 7>&-
	connect 7
	{ hello v100..187; printf '\x7f\xff\xff\xff'; } >&7
	read_frame 7 >/dev/null
	expect_eof 7
	wait_for_line "$SIM_LOG" 'length 2147483647 exceeds the 16777215-byte maximum'
	exec 7>&-
	connect 7
	{ hello v100..187; printf '\0\0\0\x0471\x00x'; } >&7
	read_frame 7 >/dev/null
	expect_eof 7
	wait_for_line "$SIM_LOG" 'not NUL-terminated'
	frame 49 1 >&8
	[[ "$(read_frame 8)" == 49\|1\|* ]]
}

# --- control socket and signals ---------------------------------------------------

@test "control socket: mode 0600 in a 0700 directory, status and errors as JSON" {
	start_sim "$PORT" --control "$CTL"
	wait_listening
	[ "$(stat -c %a "$CTL")" = 600 ]
	[ "$(stat -c %a "${CTL%/*}")" = 700 ]
	ctl status | jq -e '.ok == true and .fault == "none" and .listening == true and .sessions == 0 and .upstream == "ok"'
	ctl 'frobnicate' | jq -e '.ok == false and .error == "unknown command '"'frobnicate'"'"'
	ctl '{"cmd":"fault","arg":"sideways"}' | jq -e '.ok == false and (.error | test("sideways"))'
	ctl '{"cmd":' | jq -e '.ok == false and (.error | test("JSON"))'
	ctl 'slow-ms fast' | jq -e '.ok == false'
	# client ids are 0..2147483647; the list is left as it was
	ctl 'client-ids-in-use 7' | jq -e '.ok == true'
	ctl 'client-ids-in-use -5' | jq -e '.ok == false and .error == "client id '"'-5'"' is not in 0..2147483647"'
	ctl '{"cmd":"client-ids-in-use","arg":-1}' | jq -e '.ok == false and (.error | test("client id .-1. is not in 0..2147483647"))'
	ctl 'client-ids-in-use 5,2147483648' | jq -e '.ok == false'
	ctl status | jq -e '.client_ids_in_use == [7]'
	# several commands on one connection, a bad one in the middle
	run bash -c "printf 'status\nbogus\n{\"cmd\":\"login-delay\",\"arg\":3}\nclient-ids-in-use 5,6\nstatus\n' | timeout 5 socat -t 5 - UNIX-CONNECT:$CTL"
	[ "${#lines[@]}" -eq 5 ]
	echo "${lines[1]}" | jq -e '.ok == false'
	echo "${lines[2]}" | jq -e '.ok == true'
	echo "${lines[4]}" | jq -e '.login_delay == 3 and .client_ids_in_use == [5,6]'
}

@test "control socket: a line over 4096 bytes gets an error and a close" {
	start_sim "$PORT" --control "$CTL"
	wait_listening
	run bash -c "{ head -c 5000 /dev/zero | tr '\\0' x; echo; echo status; } | timeout 5 socat -t 5 - UNIX-CONNECT:$CTL"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "${lines[0]}" | jq -e '.ok == false and (.error | test("4096"))'
	ctl status | jq -e '.ok == true'
}

@test "control socket: a line split across two writes is one command" {
	start_sim "$PORT" --control "$CTL"
	run bash -c "{ printf 'sta'; sleep 0.3; printf 'tus\n'; } | timeout 5 socat -t 5 - UNIX-CONNECT:$CTL"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "${lines[0]}" | jq -e '.ok == true and .fault == "none"'
}

@test "control socket: a last command without a newline gets its reply" {
	start_sim "$PORT" --control "$CTL"
	run bash -c "printf 'status\nfault wedged' | timeout 5 socat -t 5 - UNIX-CONNECT:$CTL"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	echo "${lines[1]}" | jq -e '.ok == true'
	ctl status | jq -e '.fault == "wedged"'
	run bash -c "printf 'bogus' | timeout 5 socat -t 5 - UNIX-CONNECT:$CTL"
	[ "${#lines[@]}" -eq 1 ]
	echo "${lines[0]}" | jq -e '.ok == false and .error == "unknown command '"'bogus'"'"'
}

@test "control socket: a client that reads late still gets every reply" {
	start_sim "$PORT" --control "$CTL"
	# 4000 replies (~1 MiB) while the reader sleeps: the sim stops reading
	# at 64 KiB of unread replies and resumes as they drain.
	yes status | head -n 4000 >"$BATS_TEST_TMPDIR/cmds"
	timeout 20 socat -t 10 - "UNIX-CONNECT:$CTL" <"$BATS_TEST_TMPDIR/cmds" |
	    { sleep 1; cat; } >"$BATS_TEST_TMPDIR/replies"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/replies")" -eq 4000 ]
	[ "$(jq -c 'select(.ok == true and .fault == "none")' "$BATS_TEST_TMPDIR/replies" | wc -l)" -eq 4000 ]
	ctl status | jq -e '.ok == true'
}

@test "accept failures (out of descriptors) are logged once, then accepts resume" {
	SIM_LOG=$BATS_TEST_TMPDIR/sim.log
	(ulimit -n 24 && exec gw-sim --port "$PORT" --control "$CTL") >"$SIM_LOG" 2>&1 3>&- &
	SIM_PID=$!
	wait_listening
	# a control connection made before the descriptors run out: a setting
	# sent on it is logged (sim.config) on the sim's clock ("slow-ms 0"
	# changes nothing while the fault is none)
	coproc CTLC { exec socat - "UNIX-CONNECT:$CTL" 2>/dev/null 3>&-; }
	WRITER_PID=$CTLC_PID	# stopped by teardown
	local fds=() i fd reply t_err deadline
	ctl_now() {
		echo 'slow-ms 0' >&"${CTLC[1]}"
		read -r -t 5 reply <&"${CTLC[0]}"
		jq -e '.ok == true' <<<"$reply" >/dev/null
	}
	ctl_now
	for i in $(seq 30); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
		fds+=("$fd")
	done
	wait_for_line "$SIM_LOG" '"event":"sim\.accept_error".*"listener":"API"'
	# accept is retried every 100 ms while the descriptors stay used up;
	# once a setting is logged 500 ms after the first failure, the
	# failures of the retries before it would have been logged too
	t_err=$(log_ms '"event":"sim\.accept_error"')
	deadline=$(($(now_ms) + 10000))
	until ctl_now && (($(log_ms '"event":"sim\.config"') - t_err >= 500)); do
		(($(now_ms) < deadline)) || { echo "no command logged 500 ms after the accept error" >&2; return 1; }
		sleep 0.05
	done
	count_events sim.accept_error 1
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	wait_until 10 count_events sim.connection 30
	ready_session 1
}

@test "control socket: faults switch at run time" {
	start_sim "$PORT" --control "$CTL"
	wait_listening
	ctl 'fault relay-dead' | jq -e '.ok == true'
	wait_for_line "$SIM_LOG" '"event":"sim\.fault".*"fault":"relay-dead"'
	connect
	expect_eof 7
	exec 7>&-
	ctl '{"cmd":"fault","arg":"none"}' | jq -e '.ok == true'
	ctl status | jq -e '.fault == "none"'
	ready_session 1
}

@test "control socket: a stale socket is replaced, a live one is refused" {
	mkdir -p "${CTL%/*}"
	socat "UNIX-LISTEN:$CTL" /dev/null 3>&- &
	local holder=$!
	wait_until 5 test -S "$CTL"
	run --separate-stderr gw-sim --port "$PORT" --control "$CTL"
	[ "$status" -eq 71 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"$CTL is already in use"* ]]
	stop_pid "$holder"
	# a holder killed with KILL cannot unlink: its socket is stale
	socat "UNIX-LISTEN:$CTL" /dev/null 3>&- &
	holder=$!
	wait_until 5 test -S "$CTL"
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null || true
	[ -S "$CTL" ]
	start_sim "$PORT" --control "$CTL"
	ctl status | jq -e '.ok == true'
}

@test "restart: clients dropped, login delay again, then listening" {
	start_sim "$PORT" --control "$CTL"
	wait_listening
	ready_session 1
	ctl 'login-delay 3' | jq -e '.ok == true'
	ctl restart | jq -e '.ok == true'
	expect_eof 7
	exec 7>&-
	wait_for_line "$SIM_LOG" '"event":"sim\.restart".*"login_delay":3'
	count_events sim.listening 1
	ctl status | jq -e '.listening == false and .sessions == 0'
	expect_refused
	wait_until 10 count_events sim.listening 2
	ready_session 1
}

@test "upstream: lost stops the ticks, 1102 resumes them, 1101 drops the lines" {
	start_sim "$PORT" --control "$CTL" --tick-ms 50
	wait_listening
	ready_session 1
	req_mkt_data 1001 SPY >&7
	[ "$(read_frame)" = "81|1001|0.01|9c0001|3|" ]
	[ "$(read_frame)" = "58|1|1001|1|" ]
	[[ "$(read_frame)" == 1\|6\|1001\|1\|* ]]
	ctl upstream-lost | jq -e '.ok == true'
	drain_until '4|2|-1|1100|*'
	expect_silence 0.5
	ctl status | jq -e '.subscriptions == 1'
	ctl upstream-restored | jq -e '.ok == true'
	[[ "$(read_frame)" == 4\|2\|-1\|1102\|* ]]
	[[ "$(read_frame)" == 1\|6\|1001\|1\|* ]]
	ctl upstream-lost | jq -e '.ok == true'
	drain_until '4|2|-1|1100|*'
	ctl 'upstream-restored 1101' | jq -e '.ok == true'
	[[ "$(read_frame)" == 4\|2\|-1\|1101\|* ]]
	expect_silence 0.5
	ctl status | jq -e '.subscriptions == 0 and .upstream == "ok"'
}

@test "upstream lost and restored reach ready sessions, also ones that log in while lost" {
	start_sim "$PORT" --control "$CTL"
	wait_listening
	ready_session 1 7
	ctl upstream-lost | jq -e '.ok == true'
	[ "$(read_frame 7)" = "4|2|-1|1100|Connectivity between IB and Trader Workstation has been lost.||" ]
	ctl status | jq -e '.upstream == "lost"'
	ready_session 2 8
	[[ "$(read_frame 8)" == 4\|2\|-1\|1100\|* ]]
	ctl 'upstream-restored 1101' | jq -e '.ok == true'
	[ "$(read_frame 7)" = "4|2|-1|1101|Connectivity between IB and Trader Workstation has been restored - data lost.||" ]
	[[ "$(read_frame 8)" == 4\|2\|-1\|1101\|* ]]
	ctl '{"cmd":"upstream-restored","arg":1100}' | jq -e '.ok == false'
	ctl '{"cmd":"upstream-restored"}' | jq -e '.ok == true'
	[[ "$(read_frame 7)" == 4\|2\|-1\|1102\|*"data maintained."* ]]
	wait_for_line "$SIM_LOG" '"event":"sim\.upstream_restored".*"code":1102'
}

@test "signals: USR1 lost, USR2 restored, HUP restart, TERM stops with exit 0" {
	start_sim "$PORT" --control "$CTL"
	wait_listening
	ready_session 1
	kill -USR1 "$SIM_PID"
	[[ "$(read_frame)" == 4\|2\|-1\|1100\|* ]]
	kill -USR2 "$SIM_PID"
	[[ "$(read_frame)" == 4\|2\|-1\|1102\|* ]]
	kill -HUP "$SIM_PID"
	expect_eof 7
	wait_for_line "$SIM_LOG" '"event":"sim\.restart"'
	kill -TERM "$SIM_PID"
	wait_exit "$SIM_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	SIM_PID=
	wait_for_line "$SIM_LOG" '"event":"sim\.stopped"'
	[ ! -e "$CTL" ]
}
