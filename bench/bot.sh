#!/usr/bin/env bash
# bot-core against gw-sim, each figure beside its comparison:
#   1. gateway killed (SIGKILL of gw-sim) to gate closed, BENCH_BOT_KILLS (20)
#      runs, against the heartbeat's bound: EOF detection vs heartbeat
#      detection;
#   2. wedged gateway (gw-sim `fault wedged`) to gate closed,
#      BENCH_BOT_WEDGES (10) runs, against HEARTBEAT_INTERVAL +
#      HEARTBEAT_TIMEOUT + 100 ms;
#   3. tick received to line on the strategy's stdin, p50/p99 over
#      BENCH_BOT_TICKS (20000) ticks, beside the same lines at the same rate
#      through a plain pipe and cat; bot-core's CPU per 1,000 ticks beside
#      cat's per 1,000 lines; peak RSS;
#   4. intents per second through the risk gate (BENCH_BOT_INTENTS, 10000,
#      all accepted in dry run) beside the same lines echoed by cat.
# bench/botbench.c is the small C helper (timestamping reader, strategies).
set -euo pipefail
export LC_ALL=C	# $EPOCHREALTIME with a '.'
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
BB=$BIN/bench/botbench
KILLS=${BENCH_BOT_KILLS:-20}
WEDGES=${BENCH_BOT_WEDGES:-10}
TICKS=${BENCH_BOT_TICKS:-20000}
INTENTS=${BENCH_BOT_INTENTS:-10000}	# the gameplan's rate limit caps it at 10000 a minute
tmp=$(mktemp -d)
# the processes of ours still running (each is cleared once reaped)
sim_pid='' bot='' stamp='' feed='' catp='' relay=''
cleanup() {
	local p
	for p in $bot $relay $sim_pid $feed $catp $stamp; do kill "$p" 2>/dev/null || true; done
	for p in $bot $relay $sim_pid $feed $catp $stamp; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"

# shellcheck source=bench/lib.bash
. "$(dirname "$0")/lib.bash"
count() { grep -c "\"event\":\"$1\"" "$2" || true; }	# EVENT FILE
at_least() { (( $(count "$1" "$2") >= $3 )); }		# EVENT FILE N
field() { sed -nE "s/.*(^| )$2=([^ ]+).*/\\2/p" "$1"; }	# FILE KEY

# The environment every bot-core here runs with: dry run (the default),
# short start-up retries, reconnects not rate-limited (the kill and wedge
# runs reconnect 30 times), and a restart window 12 hours away from now.
h=$(( (10#$(TZ=America/New_York date +%H) + 12) % 24 ))
RESTART_WINDOW=$(printf '%02d:00-%02d:01' "$h" "$h")
export RESTART_WINDOW
export GATEWAY_RETRY_INTERVAL=0.05 GATEWAY_STARTUP_TIMEOUT=60 GATEWAY_MAX_RETRIES=10000
export RECONNECT_MAX=1000 RECONNECT_WINDOW=300 RESUME_AFTER_RECONNECT=true
export STARTING_CAPITAL=10000000 MARKET_DATA_TYPE=1 LOG_LEVEL=info LOG_FORMAT=json
unset DRY_RUN TRADING_MODE STRATEGY_CMD GAMEPLAN_PATH CLIENT_ID
printf '{"date":"%s","strategy":"A","symbols":["SPY","QQQ","IWM","DIA"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100},"allow_outside_rth":true,"max_intents_per_minute":10000}\n' \
	"$(TZ=America/New_York date +%F)" >"$tmp/plan.json"

start_sim() {	# PORT ARGS...: gw-sim, once it listens
	local port=$1; shift
	: >"$tmp/sim.log"
	"$BIN/gw-sim" --port "$port" "$@" >"$tmp/sim.log" 2>&1 &
	sim_pid=$!
	wait_for 10 grep -q '"event":"sim\.listening"' "$tmp/sim.log"
}

# --- 1 and 2: one bot-core, no strategy, a short heartbeat (1 s + 0.5 s) so
# the wedged runs are quick. Its stdout goes through `botbench stamp`, which
# prefixes each line with the µs (CLOCK_REALTIME) at which it could read it.
#
# Method, gateway killed: t0 is $EPOCHREALTIME taken just before bash's kill
# builtin (no fork between them); t1 is the stamp of bot-core's gate.closed
# line. t1 - t0 is an upper bound: it adds bot-core's write of the log line
# and the stamp reader's wake-up to the detection itself. The event's own
# "ts" is taken by bot-core as it closes the gate, but in whole ms
# (truncated): it only says the close came before ts + 1 ms, another upper
# bound, printed as a check.
# Polling `bot-core ctl status` would add a fork/exec and a round trip per
# poll (ms), coarser than both.
HB_INT=1 HB_TO=0.5
port=$("$BIN/tests/freeport")
mkfifo "$tmp/botfifo"
"$BB" stamp <"$tmp/botfifo" >"$tmp/bot1.log" &
stamp=$!
start_sim "$port"
HEARTBEAT_INTERVAL=$HB_INT HEARTBEAT_TIMEOUT=$HB_TO "$BIN/bot-core" --port "$port" \
	--gameplan "$tmp/plan.json" --no-notify --no-control >"$tmp/botfifo" 2>&1 &
bot=$!
log=$tmp/bot1.log
for ((i = 1; i <= KILLS; i++)); do
	wait_for 30 at_least gate.opened "$log" "$i"
	c=$(count gate.closed "$log")
	t0=$EPOCHREALTIME
	kill -KILL "$sim_pid"
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=
	wait_for 10 at_least gate.closed "$log" $((c + 1))
	line=$(grep '"event":"gate\.closed"' "$log" | sed -n "$((c + 1))p")
	t1=${line%% *}
	ts=$(sed -nE 's/.*"ts":"([^"]+)".*/\1/p' <<<"$line")
	echo $((t1 - ${t0/./})) >>"$tmp/kill.us"
	# ts is whole ms (truncated): the close was before ts + 1 ms
	echo $(( ($(date -u -d "$ts" +%s%3N) + 1) * 1000 - ${t0/./} )) >>"$tmp/kill-ts.us"
	extra=()	# the last one has the control socket the wedged runs use
	[ "$i" -eq "$KILLS" ] && extra=(--control "$tmp/sim.sock")
	start_sim "$port" "${extra[@]}"
done

# Method, wedged: t0 is taken by `botbench ctl` just before it writes
# "fault wedged" to gw-sim's control socket; t1 as above. Detection waits
# for the next heartbeat (every HB_INT) to go unanswered for HB_TO, so each
# run first waits a random part of the interval after the gate opens: the
# wedge lands at any phase of the heartbeat timer, as in life.
for ((i = 1; i <= WEDGES; i++)); do
	wait_for 30 at_least gate.opened "$log" $((KILLS + i))
	sleep "0.$(printf '%03d' $((RANDOM % 1000)))"	# the phase, not a wait for an event
	c=$(count gate.closed "$log")
	read -r t0 _ < <("$BB" ctl "$tmp/sim.sock" "fault wedged")
	wait_for 10 at_least gate.closed "$log" $((c + 1))
	line=$(grep '"event":"gate\.closed"' "$log" | sed -n "$((c + 1))p")
	echo $((${line%% *} - t0)) >>"$tmp/wedge.us"
	"$BB" ctl "$tmp/sim.sock" "fault none" >/dev/null
done
grep -q '"event":"gateway\.disconnected".*heartbeat' "$log" ||
	{ echo "bench: the wedged gateway was not caught by the heartbeat" >&2; exit 1; }
hwm1=$(awk '/^VmHWM/ {print $2}' "/proc/$bot/status")
stop bot sim_pid
wait "$stamp"; stamp=	# it ends at bot-core's EOF
read -r kmed kmax < <(stats <"$tmp/kill.us")
read -r ktmed ktmax < <(stats <"$tmp/kill-ts.us")
read -r wmed wmax < <(stats <"$tmp/wedge.us")

# --- 3: ticks. gw-sim streams 4 symbols every 10 ms (a burst of 16 tick
# messages) through `botbench relay`, which writes each chunk it reads from
# gw-sim on to bot-core at once and records the µs (CLOCK_REALTIME) taken
# just before that write: when bot-core got the bytes. The strategy is
# `botbench ticks`, exec'd so that its parent is bot-core: it records the
# µs at which each tick line's read() returned, and at the end matches each
# line to the burst it came from (the latest written before the line
# arrived and by the end of the line's ts_ms, the whole ms at which
# bot-core decoded it). Latency = arrival - that burst's write: from
# bot-core's receipt of the burst to the line on the strategy's stdin, the
# later lines of a burst waiting for the earlier ones as they do in life.
# ts_ms alone is no clock for this: it is whole ms, and with ticks every
# 10.000 ms its rounding is about the same for every sample (the phase of
# gw-sim's timer within the ms), a bias of up to 1 ms that would not
# average out. The plain pipe is measured the same way: `botbench feed`
# writes the same number of lines of the same shape, at the rate bot-core
# produced them, in one write() per 10 ms burst, stamped just before the
# write; through cat to the same reader.
# CPU: bot-core's (and cat's) CPU time over exactly the counted ticks, read
# by the reader itself at the first and the last of them.
mapfile -t ports < <("$BIN/tests/freeport" 2)
port=${ports[0]} rport=${ports[1]}
start_sim "$port" --tick-ms 10
"$BB" relay "$rport" "$port" "$tmp/relay.stamps" &
relay=$!
"$BIN/bot-core" --port "$rport" --gameplan "$tmp/plan.json" --no-notify --no-control \
	--strategy "exec $BB ticks $TICKS $tmp/ticks.bot $tmp/relay.stamps" >"$tmp/bot2.log" 2>&1 &
bot=$!
wait_for $((TICKS / 100 + 60)) test -s "$tmp/ticks.bot"
hwm2=$(awk '/^VmHWM/ {print $2}' "/proc/$bot/status")
[ "$(field "$tmp/ticks.bot" pid)" = "$bot" ] ||
	{ echo "bench: the tick reader's parent is not bot-core" >&2; exit 1; }
stop bot relay sim_pid
rate=$(field "$tmp/ticks.bot" rate)
per=$(awk -v r="$rate" 'BEGIN { p = int(r / 100 + 0.5); print p < 1 ? 1 : p }')
mkfifo "$tmp/p1" "$tmp/p2"
"$BB" feed 10 "$per" "$tmp/feed.stamps" >"$tmp/p1" &
feed=$!
cat <"$tmp/p1" >"$tmp/p2" &
catp=$!
"$BB" ticks "$TICKS" "$tmp/ticks.pipe" "$tmp/feed.stamps" "$catp" <"$tmp/p2"
wait "$feed" "$catp" || true	# they end on EPIPE
feed='' catp=''

# --- 4: intents. The strategy (`botbench flood`) waits for the gate open,
# Strategy A and a price for SPY, then writes INTENTS intents (BUY and SELL
# of one share in turn: every risk rule passes) as fast as the pipe takes
# them, reading the intent_result lines as they come; intents/s is from its
# first write to the last result. The comparison is the same program and
# lines with cat echoing each line back: the pipes' own cost.
port=$("$BIN/tests/freeport")
start_sim "$port"
"$BIN/bot-core" --port "$port" --gameplan "$tmp/plan.json" --no-notify --no-control \
	--strategy "exec $BB flood $INTENTS $tmp/flood.bot --ready SPY" >"$tmp/bot3.log" 2>&1 &
bot=$!
wait_for 120 test -s "$tmp/flood.bot"
hwm3=$(awk '/^VmHWM/ {print $2}' "/proc/$bot/status")
stop bot sim_pid
mkfifo "$tmp/e1" "$tmp/e2"
cat <"$tmp/e1" >"$tmp/e2" &
catp=$!
# (its end of e1 opened first: cat opens e1, then e2)
"$BB" flood "$INTENTS" "$tmp/flood.echo" >"$tmp/e1" <"$tmp/e2"
wait "$catp"; catp=

tb=$tmp/ticks.bot tp=$tmp/ticks.pipe
echo "== bot-core against gw-sim (dry run)"
awk -v n="$KILLS" -v med="$kmed" -v max="$kmax" -v tmed="$ktmed" -v tmax="$ktmax" \
    -v wn="$WEDGES" -v wmed="$wmed" -v wmax="$wmax" -v hi="$HB_INT" -v ht="$HB_TO" 'BEGIN {
	bound = (hi + ht) * 1000
	printf "gateway killed (SIGKILL) to gate closed, %d runs: median %.3f ms, max %.3f ms (target < 50 ms; by the event ts, whole ms: median < %.3f, max < %.3f)\n", n, med, max, tmed, tmax
	printf "  vs heartbeat detection: %.0f ms median when wedged below (bound %.0f ms with HEARTBEAT_INTERVAL=%s HEARTBEAT_TIMEOUT=%s; 15000 ms at the defaults 10 + 5 s): EOF is %.0fx faster\n", wmed, bound, hi, ht, wmed / med
	printf "wedged gateway (fault wedged) to gate closed, %d runs: median %.1f ms, max %.1f ms (target <= interval + timeout + 100 = %.0f ms)\n", wn, wmed, wmax, bound + 100
}'
awk -v n="$TICKS" -v bp50="$(field "$tb" p50_ms)" -v bp99="$(field "$tb" p99_ms)" \
    -v pp50="$(field "$tp" p50_ms)" -v pp99="$(field "$tp" p99_ms)" -v rate="$rate" \
    -v bm="$(field "$tb" matched)" -v pm="$(field "$tp" matched)" \
    -v coal="$(field "$tb" coalesced)" -v bcpu="$(field "$tb" cpu_ms)" -v pcpu="$(field "$tp" cpu_ms)" \
    -v src="$(field "$tb" cpu_src)" -v per="$per" 'BEGIN {
	printf "tick received to line on the strategy stdin, %d ticks at %.0f/s (4 symbols, gw-sim every 10 ms, %d matched to their burst, %d coalesced): p50 %.3f ms, p99 %.3f ms vs a plain pipe (%d lines every 10 ms through cat, %d matched): p50 %.3f ms, p99 %.3f ms\n", n, rate, bm, coal, bp50, bp99, per, pm, pp50, pp99
	printf "CPU per 1,000 ticks: bot-core %.2f ms vs cat %.2f ms per 1,000 of the same lines (%s)\n", bcpu * 1000 / n, pcpu * 1000 / n, src
}'
awk -v n="$INTENTS" -v brate="$(field "$tmp/flood.bot" rate)" -v acc="$(field "$tmp/flood.bot" accepted)" \
    -v erate="$(field "$tmp/flood.echo" rate)" 'BEGIN {
	printf "intents through the risk gate: %.0f/s (%d intents, %d accepted, each logged as intent.accepted and order.would_place) vs %.0f/s echoed by cat through the same kind of pipes\n", brate, n, acc, erate
}'
awk -v a="$hwm1" -v b="$hwm2" -v c="$hwm3" -v n=$((KILLS + WEDGES)) 'BEGIN {
	printf "bot-core peak RSS %.2f MiB through %d gateway losses, %.2f MiB streaming ticks, %.2f MiB after the intent flood (target < 4 MiB)\n", a / 1024, n, b / 1024, c / 1024
}'
