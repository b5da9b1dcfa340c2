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

# 3. a stalled log reader: stdout is a FIFO nobody reads (held open here),
#    a service floods it and a crashing one makes stack-init log; the
#    control socket's round trip beside the same with a reader draining it
cat >"$tmp/flood.json" <<JSON
{"services": [
  {"name": "flood", "argv": ["sh", "-c", "while :; do echo flooding-the-log-reader-0123456789abcdefghijklmnopqrstuvwxyz; done"]},
  {"name": "crash", "argv": ["false"], "restart": "always", "backoff": 0, "crash_loop": {"failures": 1000, "window": 0.01}}]}
JSON
mkfifo "$tmp/fifo"
ctl_ms() {	# median of 21 "ctl status" round trips, in ms
	local i t0 t1
	for i in $(seq 1 21); do
		t0=$(date +%s%N)
		timeout 5 "$BIN/stack-init" ctl status >/dev/null || echo "ctl: no answer" >&2
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{v[NR] = $1} END {printf "%.3f", v[int((NR + 1) / 2)] / 1000}'
}
flood_run() {	# $1: drain | stall
	if [ "$1" = drain ]; then cat "$tmp/fifo" >/dev/null & rpid=$!; exec 7>"$tmp/fifo"
	else exec 7<>"$tmp/fifo"; rpid=; fi
	"$BIN/stack-init" --log-level debug --no-notify "$tmp/flood.json" >"$tmp/fifo" 2>&1 7>&- &
	pid=$!
	for i in $(seq 1 100); do [ -S "$GWKIT_RUNTIME_DIR/init.sock" ] && break; sleep 0.02; done
	sleep 1	# the pipe and the queue fill (stall) or flow (drain)
	med=$(ctl_ms)
	fhwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true; pid=	# stalled: it gives its output 2 s, then exits
	exec 7>&-
	[ -n "$rpid" ] && wait "$rpid"
	echo "$med $fhwm" >"$tmp/flood.$1"
}
flood_run drain
flood_run stall
read -r drain_ms drain_hwm <"$tmp/flood.drain"
read -r stall_ms stall_hwm <"$tmp/flood.stall"
printf "== stack-init with a flooding service and a crash loop logging at debug\n"
printf "ctl status round trip (median of 21): %s ms with stdout stalled (nobody reads it) vs %s ms with a reader draining it (target: it answers; with the blocking writes before outq the loop stalled)\n" "$stall_ms" "$drain_ms"
awk -v a="$stall_hwm" -v b="$drain_hwm" 'BEGIN { printf "peak RSS %.2f MiB stalled vs %.2f MiB draining (target < 2 MiB)\n", a / 1024, b / 1024 }'

awk -v secs="$SECS" -v ni="$n_init" -v loop_ms="$loop_ms" -v hwm="$hwm" -v ihwm="$ihwm" \
    -v wake="$((c1 - c0))" 'BEGIN {
	printf "== stack-init: a crashing service (sh -c exit 1), restart always, backoff 0, %d s\n", secs
	printf "respawn cycle %.3f ms under stack-init vs %.3f ms for a bash loop running the same command %d times: %+.3f ms of supervisor latency per respawn (target < 10 ms)\n", secs * 1000 / ni, loop_ms / ni, ni, secs * 1000 / ni - loop_ms / ni
	printf "stack-init peak RSS %.2f MiB while respawning, %.2f MiB idle (target < 2 MiB)\n", hwm / 1024, ihwm / 1024
	printf "wake-ups while idle: %d in %d s (target 0)\n", wake, secs
}'
