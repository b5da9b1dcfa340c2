#!/usr/bin/env bash
# The order path (issue #15), each figure beside its comparison:
#   1. intent -> placeOrder on the wire: bot-core with DRY_RUN=false on
#      gw-sim, its strategy sending BENCH_ORDERS (1000) MKT intents (filled)
#      and BENCH_RESTING (100) LMT intents far from the market (resting),
#      paced under MAX_ORDERS_PER_SECOND=40; from the intent's write to the
#      strategy's pipe to gw-sim's sim.order.received (and to bot-core's own
#      order.placed: journaled, then sent), p50/p99 over all of them, beside
#      dry run's intent written -> order.would_place for the same intents
#      (with orders on bot-core logs no intent.accepted: order.placed is
#      its first word on an intent). The difference is the order path's
#      cost: the journal's fdatasync before the send, then the send. The
#      journal's last and largest fdatasync (bot-core ctl status:
#      orders.journal) are quoted with its file system.
#   2. placeOrder -> first orderStatus (gw-sim sends openOrder, then
#      orderStatus) with bin/tests/tws-client, BENCH_ORDERS_RT (200) LMT
#      orders that rest, beside as many bare reqCurrentTime round trips.
#   3. reconciliation: bot-core stopped after that day (by default 1,000
#      executions, 100 open orders) and started again on the same journal: its
#      gateway.validated -> orders.reconciled, and the journal's replay
#      (bot.starting -> orders.journal), beside the same two for the empty
#      book and journal of the day's first start.
#   4. bot-core's peak RSS (VmHWM) with that day's orders in its book,
#      against the 4 MiB target, beside dry run's with the same intents, and
#      after the restart's replay.
#
# Method: gw-sim's and bot-core's stdout each go through `botbench stamp`
# (bench/botbench.c), which prefixes every line with the µs
# (CLOCK_REALTIME) at which its read returned, an upper bound on the
# event, within a scheduler wake-up; an intent's start is bash's
# $EPOCHREALTIME (the same clock, µs) taken just before its write to the
# strategy (a fifo the strategy's cat copies to bot-core: one more pipe
# hop, in both columns). The events' own "ts" are whole ms (truncated) and
# are not used. tws-client's lines carry t_us
# (its monotonic µs, taken as it decodes a message); its script is serial
# (each command is sent as the previous wait matches), so a round trip is
# the time between consecutive matched replies, the tool's own turnaround
# (µs) included in both columns; the first of each kind is left out.
set -euo pipefail
export LC_ALL=C
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
BB=$BIN/bench/botbench
ORDERS=${BENCH_ORDERS:-1000}
RESTING=${BENCH_RESTING:-100}
RT=${BENCH_ORDERS_RT:-200}
PACE=${BENCH_ORDERS_PACE:-0.03}	# s between intents: ~33/s, under the 40/s limit
tmp=$(mktemp -d)
# the journal's directory (BENCH_JOURNAL_DIR, default under $TMPDIR):
# fdatasync costs what its file system makes it cost, printed beside it
jdir=$tmp/journal
[ -z "${BENCH_JOURNAL_DIR:-}" ] || jdir=$(mktemp -d "$BENCH_JOURNAL_DIR/bench-orders.XXXXXX")
sim='' bot='' s1='' s2=''
cleanup() {
	local p
	for p in $bot $sim $s1 $s2; do kill "$p" 2>/dev/null || true; done
	for p in $bot $sim $s1 $s2; do wait "$p" 2>/dev/null || true; done
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"
	[ "$jdir" = "$tmp/journal" ] || rm -rf "$jdir"
}
trap cleanup EXIT
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"

# shellcheck source=bench/lib.bash
. "$(dirname "$0")/lib.bash"
count() { grep -c "\"event\":\"$1\"" "$2" || true; }	# EVENT FILE
at_least() { (( $(count "$1" "$2") >= $3 )); }		# EVENT FILE N
status() { "$BIN/bot-core" ctl status | jq -c "$1"; }	# JQ-FILTER
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }	# PID -> KiB
# stamp_of EVENT FILE: the stamp (µs) of EVENT's first line in FILE
stamp_of() { awk -v e="\"event\":\"$1\"" 'index($0, e) { print $1; exit }' "$2"; }
us_ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }
kib_mib() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1024 }'; }

# bot-core: a restart window 12 hours away, no close-out, orders paced by
# the limit at its largest; the plan allows the day's intents (working
# orders count toward the position limit).
h=$(( (10#$(TZ=America/New_York date +%H) + 12) % 24 ))
RESTART_WINDOW=$(printf '%02d:00-%02d:01' "$h" "$h")
export RESTART_WINDOW CLOSE_OUT_TIME=off MAX_ORDERS_PER_SECOND=40
export GATEWAY_RETRY_INTERVAL=0.05 GATEWAY_STARTUP_TIMEOUT=30
export STARTING_CAPITAL=10000000 MARKET_DATA_TYPE=1 LOG_LEVEL=info LOG_FORMAT=json
unset DRY_RUN TRADING_MODE LIVE_TRADING_CONFIRM STRATEGY_CMD GAMEPLAN_PATH CLIENT_ID
unset ADOPT_POSITIONS ORDER_JOURNAL
printf '{"date":"%s","strategy":"A","symbols":["SPY"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100000},"allow_outside_rth":true,"max_intents_per_minute":10000}\n' \
	"$(TZ=America/New_York date +%F)" >"$tmp/plan.json"
# the day: MKT intents alternately buying and selling 1 (filled at once),
# then LMT buys at 1.00 (gw-sim's prices walk in 100..500: they rest)
sides=(SELL BUY)
{
	for ((i = 1; i <= ORDERS; i++)); do
		printf '{"type":"intent","id":"m%d","symbol":"SPY","side":"%s","quantity":1,"order_type":"MKT"}\n' \
			"$i" "${sides[i % 2]}"
	done
	for ((i = 1; i <= RESTING; i++)); do
		printf '{"type":"intent","id":"l%d","symbol":"SPY","side":"BUY","quantity":1,"order_type":"LMT","limit_price":1.00}\n' "$i"
	done
} >"$tmp/day.jsonl"
TOTAL=$((ORDERS + RESTING))

start_sim() {	# NAME: gw-sim, its stdout stamped into $tmp/NAME.sim
	local name=$1
	port=$("$BIN/tests/freeport")
	mkfifo "$tmp/$name.simfifo"
	"$BB" stamp <"$tmp/$name.simfifo" >"$tmp/$name.sim" &
	s1=$!
	"$BIN/gw-sim" --port "$port" --log-format json --log-level info >"$tmp/$name.simfifo" 2>&1 &
	sim=$!
	wait_for 10 grep -q '"event":"sim\.listening"' "$tmp/$name.sim"
}
stop_sim() { stop sim; wait "$s1" 2>/dev/null || true; s1=''; }

# start_bot NAME DRY_RUN: bot-core on $port, its stdout stamped into
# $tmp/NAME.bot; its strategy sends each line written to the fifo
# $tmp/NAME.feed (by feed) and reads what bot-core tells it into /dev/null.
start_bot() {
	local name=$1
	mkfifo "$tmp/$name.botfifo" "$tmp/$name.feed"
	"$BB" stamp <"$tmp/$name.botfifo" >"$tmp/$name.bot" &
	s2=$!
	# shellcheck disable=SC2016	# expanded by the strategy's shell
	FEED=$tmp/$name.feed DRY_RUN=$2 ORDER_JOURNAL=$jdir/bench-orders.jsonl \
		"$BIN/bot-core" --port "$port" --gameplan "$tmp/plan.json" --no-notify \
		--strategy 'cat "$FEED" & exec cat >/dev/null' \
		>"$tmp/$name.botfifo" 2>&1 3>&- &
	bot=$!
	wait_for 30 at_least gate.opened "$tmp/$name.bot" 1
}
# (the feed stays open until bot-core stops: the strategy's end is not
# part of the run)
stop_bot() { stop bot; exec 7>&-; wait "$s2" 2>/dev/null || true; s2=''; }

# feed NAME: the day's intents to the strategy, one every $PACE s; the µs
# just before each write (bash's clock: CLOCK_REALTIME, no fork between)
# and the line go to $tmp/NAME.sent
feed() {
	local l t
	exec 7>"$tmp/$1.feed"
	while IFS= read -r l; do
		t=${EPOCHREALTIME/./}
		printf '%s\n' "$l" >&7
		printf '%s %s\n' "$t" "$l" >>"$tmp/$1.sent"
		sleep "$PACE"
	done <"$tmp/day.jsonl"
}

# lat NAME EVENT FILE...: µs from each intent's write (NAME.sent) to its
# EVENT, matched by intent id (gw-sim's order_ref is gwk:<id>), one a line
lat() {
	awk -v from='"type":"intent"' -v to="\"event\":\"$2\"" '
	function id(   m) {
		if (match($0, /"order_ref":"gwk:[^"]*"/)) return substr($0, RSTART + 17, RLENGTH - 18)
		if (match($0, /"fields":\{"id":"[^"]*"/)) return substr($0, RSTART + 16, RLENGTH - 17)
		if (match($0, /"intent","id":"[^"]*"/)) return substr($0, RSTART + 15, RLENGTH - 16)
		return ""
	}
	index($0, from) { a[id()] = $1 }
	index($0, to) { b[id()] = $1 }
	END { for (k in b) if (k in a) print b[k] - a[k] }' "$tmp/$1.sent" "${@:3}"
}

echo "== the order path: $ORDERS MKT + $RESTING LMT intents, one every $PACE s; reconciliation; RSS"

# --- 2: tws-client's round trips on a gw-sim of its own (its orders rest
# at client id 9: kept away from bot-core's reconciliations)
start_sim rt
{
	for ((i = 1; i <= RT; i++)); do
		printf '{"cmd":"place","id":%d,"symbol":"SPY","action":"BUY","qty":"1","type":"LMT","lmt":1.0,"ref":"rt%d"}\n' $((1000 + i)) "$i"
		printf '{"cmd":"wait","ev":"order_status","match":{"id":%d},"timeout":5}\n' $((1000 + i))
	done
	for ((i = 1; i <= RT; i++)); do
		printf '{"cmd":"time"}\n{"cmd":"wait","ev":"current_time","timeout":5}\n'
	done
	echo '{"cmd":"quit"}'
} | timeout 60 "$BIN/tests/tws-client" --port "$port" --client-id 9 >"$tmp/rt.out"
stop_sim
# consecutive matched replies: the first order_status of each id, then
# every current_time
rt_of() {
	jq -r --arg ev "$1" 'select(.ev == $ev) | "\(.id // "t") \(.t_us)"' "$tmp/rt.out" |
		awk '!seen[$1]++ || $1 == "t" { if (n++) print $2 - p; p = $2 }'
}
read -r place50 place99 _ < <(rt_of order_status | quantiles)
read -r time50 time99 _ < <(rt_of current_time | quantiles)
printf 'placeOrder -> first orderStatus, %d LMT orders: p50 %s ms, p99 %s ms vs reqCurrentTime round trip p50 %s ms, p99 %s ms\n' \
	"$RT" "$place50" "$place99" "$time50" "$time99"

# --- 1, 3, 4: the day with orders on, then a restart on its journal
start_sim day
start_bot live 'false'
recon0=$(( $(stamp_of orders.reconciled "$tmp/live.bot") - $(stamp_of gateway.validated "$tmp/live.bot") ))
replay0=$(( $(stamp_of orders.journal "$tmp/live.bot") - $(stamp_of bot.starting "$tmp/live.bot") ))
feed live
wait_for 30 at_least order.placed "$tmp/live.bot" "$TOTAL"
wait_for 30 at_least sim.order.received "$tmp/day.sim" "$TOTAL"
wait_for 30 at_least order.fill "$tmp/live.bot" "$ORDERS"
wait_for 10 test "$(status .orders.open)" = "$RESTING"
journal=$(status .orders.journal)
hwm_live=$(hwm "$bot")
refused=$(count order.refused "$tmp/live.bot")
stop_bot
jbytes=$(stat -c %s "$jdir/bench-orders.jsonl")
jfs=$(stat -f -c %T "$jdir")

start_bot restart 'false'
recon1=$(( $(stamp_of orders.reconciled "$tmp/restart.bot") - $(stamp_of gateway.validated "$tmp/restart.bot") ))
replay1=$(( $(stamp_of orders.journal "$tmp/restart.bot") - $(stamp_of bot.starting "$tmp/restart.bot") ))
hwm_restart=$(hwm "$bot")
stop_bot
stop_sim
rec=$(grep '"event":"orders\.reconciled"' "$tmp/restart.bot" | sed 's/^[0-9]* //' | jq -c '.fields | {ok, orders, open, gateway_open, adopted_fills, problems}')
jrec=$(grep '"event":"orders\.journal"' "$tmp/restart.bot" | sed 's/^[0-9]* //' | jq -c '.fields | {records, orders, open}')

# --- the same day in dry run
start_sim dry
start_bot dry 'true'
feed dry
wait_for 30 at_least order.would_place "$tmp/dry.bot" "$TOTAL"
hwm_dry=$(hwm "$bot")
stop_bot
stop_sim

lat live sim.order.received "$tmp/day.sim" >"$tmp/wire.us"
lat live order.placed "$tmp/live.bot" >"$tmp/placed.us"
lat dry order.would_place "$tmp/dry.bot" >"$tmp/dry.us"
read -r wire50 wire99 _ < <(quantiles <"$tmp/wire.us")
read -r placed50 placed99 _ < <(quantiles <"$tmp/placed.us")
read -r dry50 dry99 _ < <(quantiles <"$tmp/dry.us")
nwire=$(wc -l <"$tmp/wire.us")
nplaced=$(wc -l <"$tmp/placed.us")
ndry=$(wc -l <"$tmp/dry.us")
sync_last=$(jq -r '.last_sync_ms' <<<"$journal")
sync_max=$(jq -r '.max_sync_ms' <<<"$journal")
sync_mean=$(jq -r '.mean_sync_ms // 0' <<<"$journal")
appends=$(jq -r '.appends' <<<"$journal")

for n in "$nwire" "$nplaced" "$ndry"; do
	[ "$n" = "$TOTAL" ] || { echo "bench: $n of $TOTAL intents matched (wire, placed, dry run: $nwire $nplaced $ndry)" >&2; exit 1; }
done
printf 'intent written -> sim.order.received (orders on), %d intents: p50 %s ms, p99 %s ms vs dry run intent written -> order.would_place: p50 %s ms, p99 %s ms\n' \
	"$TOTAL" "$wire50" "$wire99" "$dry50" "$dry99"
printf 'intent written -> order.placed (journaled, then sent): p50 %s ms, p99 %s ms; order.refused: %s\n' \
	"$placed50" "$placed99" "$refused"
printf 'journal fdatasync (%s, %s appends): mean %.3f ms, last %.3f ms, largest %.3f ms; journal %d bytes\n' \
	"$jfs" "$appends" "$sync_mean" "$sync_last" "$sync_max" "$jbytes"
printf 'reconciliation (gateway.validated -> orders.reconciled): %d orders in the day %.3f ms vs empty book %.3f ms; %s\n' \
	"$TOTAL" "$(us_ms "$recon1")" "$(us_ms "$recon0")" "$rec"
printf 'journal replay (bot.starting -> orders.journal): %s %.3f ms vs empty journal %.3f ms\n' \
	"$jrec" "$(us_ms "$replay1")" "$(us_ms "$replay0")"
printf 'bot-core peak RSS (VmHWM), %d orders in the day: %.2f MiB (target < 4 MiB) vs dry run, same intents: %.2f MiB; after the restart'"'"'s replay: %.2f MiB\n' \
	"$TOTAL" "$(kib_mib "$hwm_live")" "$(kib_mib "$hwm_dry")" "$(kib_mib "$hwm_restart")"

echo
printf '%-44s %12s %12s   %s\n' "order path" "p50/value" "p99" "comparison"
printf '%-44s %12s %12s   %s\n' "intent -> placeOrder on the wire (ms)" "$wire50" "$wire99" "dry run -> would_place: $dry50 / $dry99"
printf '%-44s %12s %12s   %s\n' "placeOrder -> first orderStatus (ms)" "$place50" "$place99" "reqCurrentTime: $time50 / $time99"
printf '%-44s %12.3f %12.3f   %s\n' "journal fdatasync, mean / largest (ms)" "$sync_mean" "$sync_max" "last: $(printf %.3f "$sync_last")"
printf '%-44s %12.3f %12s   %s\n' "reconciliation, $TOTAL orders (ms)" "$(us_ms "$recon1")" "-" "empty book: $(us_ms "$recon0")"
printf '%-44s %12.3f %12s   %s\n' "journal replay, $TOTAL orders (ms)" "$(us_ms "$replay1")" "-" "empty journal: $(us_ms "$replay0")"
printf '%-44s %12.2f %12s   %s\n' "peak RSS, $TOTAL orders (MiB)" "$(kib_mib "$hwm_live")" "-" "target 4; dry run: $(kib_mib "$hwm_dry")"
printf '%-44s %12.2f %12s   %s\n' "peak RSS, restarted on their journal (MiB)" "$(kib_mib "$hwm_restart")" "-" "target 4"
