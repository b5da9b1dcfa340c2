#!/usr/bin/env bash
# stack-init: respawn latency of a crashing service with backoff 0 beside a
# bare fork/exec/wait loop, peak RSS, and wake-ups while idle.
set -euo pipefail
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
SECS=${BENCH_INIT_SECONDS:-3}
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"
ms() { date +%s%3N; }

# 1. respawn: a command that exits 1 at once, restart always, backoff 0;
#    each start appends a line, so the count is the number of cycles
cat >"$tmp/count.json" <<JSON
{"services": [{"name": "crash", "argv": ["sh", "-c", "echo >> $tmp/n; exit 1"], "restart": "always",
  "backoff": 0, "crash_loop": {"failures": 1000, "window": 0.01}, "prefix_output": false}]}
JSON
: >"$tmp/n"
"$BIN/stack-init" --log-level critical --no-control "$tmp/count.json" >/dev/null 2>&1 &
pid=$!
sleep "$SECS"	# the measurement window itself, not a wait for an event
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"; wait "$pid" || true; pid=
n_init=$(wc -l <"$tmp/n")
#    the comparison: the same command, the same number of times, in a loop
: >"$tmp/n"
t0=$(ms)
for ((i = 0; i < n_init; i++)); do sh -c "echo >> $tmp/n; exit 1" || true; done
t1=$(ms)
loop_ms=$((t1 - t0))

# 2. idle: one sleeping service, nothing scheduled; count wake-ups
cat >"$tmp/idle.json" <<JSON
{"services": [{"name": "idle", "argv": ["sleep", "600"], "prefix_output": false}]}
JSON
"$BIN/stack-init" --log-level critical "$tmp/idle.json" >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 100); do [ -S "$GWKIT_RUNTIME_DIR/init.sock" ] && break; sleep 0.02; done
sleep 0.5
c0=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$pid/status")
sleep "$SECS"
c1=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$pid/status")
ihwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"; wait "$pid" || true; pid=

awk -v secs="$SECS" -v ni="$n_init" -v loop_ms="$loop_ms" -v hwm="$hwm" -v ihwm="$ihwm" \
    -v wake="$((c1 - c0))" 'BEGIN {
	printf "== stack-init: a crashing service (sh -c exit 1), restart always, backoff 0, %d s\n", secs
	printf "respawn cycle %.3f ms under stack-init vs %.3f ms for a bash loop running the same command %d times: %+.3f ms of supervisor latency per respawn (target < 10 ms)\n", secs * 1000 / ni, loop_ms / ni, ni, secs * 1000 / ni - loop_ms / ni
	printf "stack-init peak RSS %.2f MiB while respawning, %.2f MiB idle (target < 2 MiB)\n", hwm / 1024, ihwm / 1024
	printf "wake-ups while idle: %d in %d s (target 0)\n", wake, secs
}'
