# Helpers every bench script shares (sourced, not run).
# shellcheck shell=bash

ms() { date +%s%3N; }
wait_for() {	# SECONDS CMD...: until CMD succeeds, by the wall clock
	local deadline=$(( $(ms) + $1 * 1000 )); shift
	until "$@"; do
		(( $(ms) < deadline )) || { echo "bench: timed out waiting for: $*" >&2; return 1; }
		sleep 0.01
	done
}
stop() {	# VAR...: TERM the pid in each variable, reap it, clear the variable
	local v
	for v in "$@"; do
		kill -TERM "${!v}" 2>/dev/null || true
		wait "${!v}" 2>/dev/null || true
		printf -v "$v" ''
	done
}
# stats: microseconds on stdin, one a line -> "median max" in ms
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }'; }
# quantiles: microseconds on stdin, one a line -> "p50 p99 max" in ms
# (nearest rank)
quantiles() {
	sort -n | awk '{ v[NR] = $1 } END {
		p = int(NR * 0.99); if (p < NR * 0.99) p++
		printf "%.3f %.3f %.3f\n", v[int((NR + 1) / 2)] / 1000, v[p] / 1000, v[NR] / 1000 }'
}
