# Shared helpers for gwkit's bats tests. Loopback only; every wait has a
# deadline and polls for an observable event (a log line, a port answering).
: "${GWKIT_BIN:=$(cd "$BATS_TEST_DIRNAME/../../bin" && pwd)}"
export GWKIT_BIN
PATH="$GWKIT_BIN:$GWKIT_BIN/tests:$PATH"

# free_port [N]: N distinct currently-free loopback ports, one per line.
free_port() { "$GWKIT_BIN/tests/freeport" "${1:-1}"; }

# wait_for_line FILE REGEX [SECONDS]: succeed once FILE has a line matching
# REGEX (grep -E); fail with the file's tail after the deadline (default 10 s).
wait_for_line() {
	local file=$1 re=$2 secs=${3:-10}
	local deadline=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
	while (( $(date +%s%N) / 1000000 < deadline )); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.02
	done
	echo "timed out after ${secs}s waiting for /$re/ in $file:" >&2
	tail -n 20 "$file" >&2 2>/dev/null
	return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_until SECS CMD...: poll CMD every 20 ms until it succeeds or SECS pass.
wait_until() {
	local secs=$1 deadline
	shift
	deadline=$(($(now_ms) + secs * 1000))
	until "$@"; do
		(($(now_ms) < deadline)) || { echo "timed out: $*" >&2; return 1; }
		sleep 0.02
	done
}

# wait_exit PID: wait up to 5 s for PID (a child of this shell) to exit;
# its exit status goes to EXIT_STATUS.
wait_exit() {
	local i
	for i in $(seq 1 250); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.02
	done
	EXIT_STATUS=0
	wait "$1" || EXIT_STATUS=$?
}

# start_sim PORT [gw-sim args...]: start gw-sim on 127.0.0.1:PORT in the
# background, log to $BATS_TEST_TMPDIR/sim.log, remember its pid in SIM_PID,
# and wait until it reports it started.
start_sim() {
	local port=$1; shift
	SIM_LOG=$BATS_TEST_TMPDIR/sim.log
	gw-sim --port "$port" "$@" >"$SIM_LOG" 2>&1 3>&- &
	SIM_PID=$!
	wait_for_line "$SIM_LOG" '"event":"sim\.started"' 10
}

# wait_listening FILE: wait for gw-sim's sim.listening event in its log.
wait_listening() { wait_for_line "${1:-$SIM_LOG}" '"event":"sim\.listening"' "${2:-10}"; }

# stop_pid PID...: TERM, then wait; KILL if still alive after 5 s.
stop_pid() {
	local p
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null || continue
		local i
		for i in $(seq 1 250); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.02
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}


# refute CMD...: succeeds when CMD fails. A bare '! cmd' in the middle of a
# bats test asserts nothing (errexit ignores a negated command); a function
# returning non-zero does fail the test.
refute() { ! "$@"; }
