#!/usr/bin/env bash
# discord-notify: a 1,000-event burst against the fake Discord server
# rate-limited at 5 requests per 2 s. Prints requests sent, 429s received,
# drain time beside the minimum possible at that rate with 10-embed
# batches, events lost, and discord-notify's peak RSS. Then a backlog: peak
# RSS and restart time with a large spool (BENCH_BACKLOG events, 200,000)
# left by a parked webhook, vs the same with an empty spool.
set -euo pipefail
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
N=${BENCH_EVENTS:-1000}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"

# shellcheck source=bench/lib.bash
. "$(dirname "$0")/lib.bash"
TOKEN=bench-token-0123456789abcdef	# discord-notify wants >= 20 characters

port=$("$BIN/tests/freeport")
"$BIN/tests/fake-discord" --port "$port" --webhook "123456789012345678/$TOKEN" --rate 5/2 \
	--store "$tmp/store.jsonl" >"$tmp/fake.log" 2>&1 &
pids+=($!)
wait_for 10 grep -q fake.listening "$tmp/fake.log"
printf 'http://127.0.0.1:%s/api/webhooks/123456789012345678/%s\n' "$port" "$TOKEN" >"$tmp/wh"
"$BIN/discord-notify" --webhook-file "$tmp/wh" --allow-insecure-url --no-stdin \
	--log-level warning >"$tmp/notify.log" 2>&1 &
npid=$!
pids+=("$npid")
wait_for 10 test -S "$GWKIT_RUNTIME_DIR/notify.sock"

for ((i = 1; i <= N; i++)); do
	printf '{"ts":"2026-02-10T14:15:00.123Z","level":"warning","source":"bench","component":"burst","event":"bench.event","message":"event %d","fields":{"n":%d}}\n' "$i" "$i"
done >"$tmp/burst"
stored() { [ -f "$tmp/store.jsonl" ] && jq -s '[.[].embeds | length] | add // 0' "$tmp/store.jsonl" || echo 0; }
t0=$(ms)
socat -t 5 - "UNIX-CONNECT:$GWKIT_RUNTIME_DIR/notify.sock" <"$tmp/burst"
all_stored() { [ "$(stored)" -ge "$N" ]; }
wait_for 300 all_stored
t1=$(ms)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$npid/status")
stats=$(curl -sf "http://127.0.0.1:$port/_stats")
requests=$(jq .requests <<<"$stats")
r429=$(jq '.status."429" // 0' <<<"$stats")
unique=$(jq -r '.embeds[].description' "$tmp/store.jsonl" | sort -u | wc -l)
lost=$((N - unique))
floor=$("$BIN/bench/curlfloor" | awk '{print $1}')
awk -v n="$N" -v req="$requests" -v r429="$r429" -v t="$((t1 - t0))" -v lost="$lost" -v hwm="$hwm" \
    -v floor="$floor" 'BEGIN {
	minreq = int((n + 9) / 10)			# 10 embeds per request
	minms = (int((minreq + 4) / 5) - 1) * 2000	# 5 per 2 s window, first window at 0
	printf "== discord-notify: %d-event burst, fake Discord at 5 requests / 2 s\n", n
	printf "requests sent %d (minimum %d with 10-embed batches)\n", req, minreq
	printf "429 received %d (target 0)\n", r429
	printf "drain time %.2f s vs minimum %.2f s: %.3fx (target <= 1.1x)\n", t / 1000, minms / 1000, t / minms
	printf "events lost %d (target 0)\n", lost
	printf "discord-notify peak RSS %.2f MiB vs %.2f MiB for a program that only initialises libcurl (target < 4 MiB)\n", hwm / 1024, floor / 1024
}'

# --- backlog: a parked webhook left a large spool behind. Peak RSS and the
# time from exec to "notify.started" (the spool scanned, the socket up) and
# to the first request, with that spool vs with an empty one.
B=${BENCH_BACKLOG:-200000}
bport=$("$BIN/tests/freeport")
"$BIN/tests/fake-discord" --port "$bport" --webhook "123456789012345678/$TOKEN" \
	--store "$tmp/bstore.jsonl" >"$tmp/bfake.log" 2>&1 &
pids+=($!)
wait_for 10 grep -q fake.listening "$tmp/bfake.log"
printf 'http://127.0.0.1:%s/api/webhooks/123456789012345678/%s\n' "$bport" "$TOKEN" >"$tmp/bwh"
curl -sf -X POST --data '{"deleted":true}' "http://127.0.0.1:$bport/_control" >/dev/null

# run_parked DIR: start on spool DIR with the webhook parked; print
# "<ms to started> <ms to parked> <VmHWM KiB>", then stop it.
run_parked() {
	local dir=$1 t0 t1 t2 p
	: >"$tmp/blog"
	t0=$(ms)
	"$BIN/discord-notify" --webhook-file "$tmp/bwh" --allow-insecure-url --no-stdin --no-listen \
		--spool "$dir" >"$tmp/blog" 2>&1 &
	p=$!
	wait_for 120 grep -q '"notify\.started"' "$tmp/blog"
	t1=$(ms)
	if grep -q '"notify\.spool_loaded"' "$tmp/blog"; then
		wait_for 120 grep -q '"notify\.parked"' "$tmp/blog"
	fi
	t2=$(ms)
	echo "$((t1 - t0)) $((t2 - t0)) $(awk '/^VmHWM/ {print $2}' "/proc/$p/status")"
	kill "$p"
	wait "$p" 2>/dev/null || true
}
mkdir -m 700 "$tmp/empty" "$tmp/big"
awk -v n="$B" -v t="$(ms)" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "{\"seq\":%d,\"t\":%s,\"ev\":{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"warning\",\"source\":\"bench\",\"component\":\"backlog\",\"event\":\"bench.event\",\"message\":\"backlog event %d of a parked webhook, with some words to make it a typical alert line\",\"fields\":{\"n\":%d,\"host\":\"gateway\",\"port\":4004,\"attempt\":3}}}\n", i, t, i, i
}' >"$tmp/big/spool.jsonl"
size=$(stat -c %s "$tmp/big/spool.jsonl")
read -r e_start e_first e_hwm < <(run_parked "$tmp/empty")
read -r b_start b_first b_hwm < <(run_parked "$tmp/big")
awk -v b="$B" -v size="$size" -v es="$e_start" -v ef="$e_first" -v eh="$e_hwm" \
    -v bs="$b_start" -v bf="$b_first" -v bh="$b_hwm" 'BEGIN {
	printf "== discord-notify: restart with a %d-event backlog (%.1f MB spool), webhook parked\n", b, size / 1e6
	printf "peak RSS %.2f MiB vs %.2f MiB with an empty spool (target: the same, bounded)\n", bh / 1024, eh / 1024
	printf "exec to started %.2f s vs %.2f s with an empty spool\n", bs / 1000, es / 1000
	printf "exec to first request (parked) %.2f s (empty spool: no request)\n", bf / 1000
}'
