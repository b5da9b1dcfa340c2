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


# Every process a test starts inherits GWKIT_TEST_TAG, one value per test.
# reap_test_procs (the last step of every teardown) kills whatever of them is
# still running, so a failed test leaves nothing behind: no port or socket
# held for the next test, and no process keeping bats's output (fd 3) open,
# which would hang the whole suite at its end. Each one reaped is named on
# stderr (shown with a failed test's output) and, when GWKIT_REAP_LOG names
# a file, appended to it with the test's name.
GWKIT_TEST_TAG="gwkit-test:${BATS_TEST_TMPDIR:-$$}"
export GWKIT_TEST_TAG
reap_test_procs() {
	local pids p i
	# the glob is expanded before grep starts, so grep never lists itself
	pids=$(grep -lzx -- "GWKIT_TEST_TAG=$GWKIT_TEST_TAG" /proc/[0-9]*/environ 2>/dev/null |
		cut -d/ -f3 | grep -vx -e "$$" -e "$BASHPID")
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || continue	# gone, or the pipeline above
		echo "reaped a leftover process ($BATS_TEST_DESCRIPTION): $p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)" |
			tee -a "${GWKIT_REAP_LOG:-/dev/null}" >&2
		kill -TERM "$p" 2>/dev/null || true
	done
	for i in $(seq 1 100); do
		for p in $pids; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -n "$p" ] || break
		sleep 0.02
	done
	for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
	return 0
}

# The default teardown, for files that need no other.
teardown() { reap_test_procs; }

# far_window: a one-minute RESTART_WINDOW (New York) twelve hours from now,
# so no test meets the daily restart window by the time of day it runs at.
far_window() {
	printf '%s-%s' "$(TZ=America/New_York date -d '+12 hours' +%H:%M)" \
		"$(TZ=America/New_York date -d '+12 hours 1 minute' +%H:%M)"
}
# bot-core and health-mon read it; a test that wants a window sets its own.
RESTART_WINDOW=$(far_window)
export RESTART_WINDOW

# refute CMD...: succeeds when CMD fails. A bare '! cmd' in the middle of a
# bats test asserts nothing (errexit ignores a negated command); a function
# returning non-zero does fail the test.
refute() { ! "$@"; }
