#!/usr/bin/env bash
# make bench: each figure printed next to its comparison, in one run.
#   1. gw-probe's wall time to a ready verdict against gw-sim vs a port-only
#      check (nc -z, and bash's /dev/tcp) on the same port: median and p99
#      over BENCH_RUNS runs each (default 200); gw-probe's peak RSS.
set -euo pipefail
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
RUNS=${BENCH_RUNS:-200}
tmp=$(mktemp -d)
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_line() {	# FILE REGEX SECONDS
	local i
	for ((i = 0; i < $3 * 50; i++)); do
		grep -Eq "$2" "$1" && return 0
		sleep 0.02
	done
	echo "bench: timed out waiting for /$2/ in $1" >&2
	return 1
}

port=$("$BIN/tests/freeport")
"$BIN/gw-sim" --port "$port" --log-level warning >"$tmp/sim.log" 2>&1 &
sim_pid=$!
# sim.started/listening are info events: poll the port with gw-probe instead.
for ((i = 0; i < 250; i++)); do
	"$BIN/gw-probe" -q --port "$port" --timeout 1 && break
	sleep 0.02
done
"$BIN/gw-probe" --port "$port"

echo
echo "== gw-probe ready verdict vs port-only checks, $RUNS runs each, gw-sim on 127.0.0.1:$port"
"$BIN/bench/runner" "gw-probe(ready)" "$RUNS" 0 -- "$BIN/gw-probe" -q --port "$port" | tee "$tmp/probe"
"$BIN/bench/runner" "gw-probe(ready,--json,--heartbeat)" "$RUNS" 0 -- "$BIN/gw-probe" --json --heartbeat --port "$port" | tee "$tmp/probe-json"
"$BIN/bench/runner" "nc-z(port-only)" "$RUNS" 0 -- nc -z 127.0.0.1 "$port" | tee "$tmp/nc"
"$BIN/bench/runner" "bash-dev-tcp(port-only)" "$RUNS" 0 -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" | tee "$tmp/bash"

field() { sed -nE "s/.* $2=([0-9.]+).*/\\1/p" "$1"; }
pm=$(field "$tmp/probe" median_ms); p99=$(field "$tmp/probe" p99_ms)
nm=$(field "$tmp/nc" median_ms); n99=$(field "$tmp/nc" p99_ms)
rss=$(field "$tmp/probe" max_rss_kib); nrss=$(field "$tmp/nc" max_rss_kib)
jrss=$(field "$tmp/probe-json" max_rss_kib); jm=$(field "$tmp/probe-json" median_ms)
echo
awk -v pm="$pm" -v p99="$p99" -v nm="$nm" -v n99="$n99" -v rss="$rss" -v nrss="$nrss" \
    -v jrss="$jrss" -v jm="$jm" 'BEGIN {
	printf "gw-probe median %.3f ms vs nc -z %.3f ms: %.2fx (target <= 2x)\n", pm, nm, pm / nm
	printf "gw-probe p99    %.3f ms vs nc -z %.3f ms: %.2fx\n", p99, n99, p99 / n99
	printf "gw-probe peak RSS %.2f MiB vs nc -z %.2f MiB (target < 2 MiB)\n", rss / 1024, nrss / 1024
	printf "gw-probe --json --heartbeat: median %.3f ms, peak RSS %.2f MiB\n", jm, jrss / 1024
}'

echo
"$(dirname "$0")/notify.sh"

echo
"$(dirname "$0")/init.sh"

echo
"$(dirname "$0")/bot.sh"

echo
"$(dirname "$0")/health.sh"

echo
"$(dirname "$0")/restart.sh"

echo
"$(dirname "$0")/orders.sh"
