#!/usr/bin/env bash
# Back to trading after a gateway restart (issue #14), each figure beside
# its comparison:
#   BENCH_RESTARTS (20) gw-sim restarts with a login delay of 3 s (the API
#   port is closed for 3 s, as while a gateway restarts and logs in), with
#   bot-core connected directly and through a socat relay (the gnzsnz
#   image's: it accepts, then closes when nothing answers behind it); each
#   with the fast-poll policy (GATEWAY_FAST_POLL=0.1, the default) beside
#   the fixed backoff (GATEWAY_FAST_POLL=0: the first retry after
#   GATEWAY_RETRY_INTERVAL, 5 s, doubling); and the production shape,
#   stack-init restarting the gateway with bot-core paused as its follower
#   (fast: the ready check's fast_exit; fixed: a 5 s check interval).
#
# Per restart: from gw-sim's sim.listening (its port is back) to bot-core's
# gate.opened: p50 and max (target < 250 ms); the API handshakes and TCP
# connections gw-sim received between its sim.restart and the next one
# (the cost to the gateway; 1 is the connection that succeeded); bot-core's
# attempts per outage (the relay's accepted connections, counted from
# socat -d -d, or bot-core's own attempt counter directly).
#
# Method: gw-sim's and bot-core's stdout each go through `botbench stamp`,
# which prefixes every line with the µs (CLOCK_REALTIME) at which its read
# returned: both stamps are upper bounds taken the same way, so their
# difference is the delay the bot saw, within a scheduler wake-up.
set -euo pipefail
export LC_ALL=C
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
BB=$BIN/bench/botbench
RESTARTS=${BENCH_RESTARTS:-20}
LOGIN_DELAY=${BENCH_LOGIN_DELAY:-3}
tmp=$(mktemp -d)
sim='' bot='' relay='' s1='' s2=''
cleanup() {
	local p
	for p in $bot $relay $sim $s1 $s2; do kill "$p" 2>/dev/null || true; done
	for p in $bot $relay $sim $s1 $s2; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"

# shellcheck source=bench/lib.bash
. "$(dirname "$0")/lib.bash"
count() { grep -c "\"event\":\"$1\"" "$2" || true; }	# EVENT FILE
at_least() { (( $(count "$1" "$2") >= $3 )); }		# EVENT FILE N

# bot-core as bench/bot.sh runs it: dry run, no strategy, a restart window
# 12 hours away, reconnects not rate-limited by the window.
h=$(( (10#$(TZ=America/New_York date +%H) + 12) % 24 ))
RESTART_WINDOW=$(printf '%02d:00-%02d:01' "$h" "$h")
export RESTART_WINDOW
export GATEWAY_STARTUP_TIMEOUT=60 GATEWAY_MAX_RETRIES=1000
export RECONNECT_MAX=1000 RECONNECT_WINDOW=300 RESUME_AFTER_RECONNECT=true
export STARTING_CAPITAL=10000000 MARKET_DATA_TYPE=1 LOG_LEVEL=info LOG_FORMAT=json
unset DRY_RUN TRADING_MODE STRATEGY_CMD GAMEPLAN_PATH CLIENT_ID GATEWAY_RETRY_INTERVAL
printf '{"date":"%s","strategy":"A","symbols":["SPY"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100},"allow_outside_rth":true}\n' \
	"$(TZ=America/New_York date +%F)" >"$tmp/plan.json"

# one run: NAME FAST MODE -> a result line in $tmp/NAME.res. MODE: direct
# (bot-core on gw-sim's port), relay (through socat), stack (the
# production shape: stack-init with gw-sim as an external gateway behind
# the relay, restarted by a command, its ready check gw-probe; bot-core a
# follower in pause mode). FAST 0.1: GATEWAY_FAST_POLL=0.1 and, in stack,
# the ready check's fast_exit [10, 11] every 0.1 s; FAST 0: the fixed
# backoff and a plain 5 s check interval (the shipped configuration before).
run() {
	local name=$1 fast=$2 mode=$3 sp rp port i c0 n fx=''
	sp=$("$BIN/tests/freeport")
	mkfifo "$tmp/$name.simfifo" "$tmp/$name.botfifo"
	"$BB" stamp <"$tmp/$name.simfifo" >"$tmp/$name.sim" &
	s1=$!
	"$BIN/gw-sim" --port "$sp" --control "$tmp/$name.ctl" --log-format json \
		--log-level info >"$tmp/$name.simfifo" 2>&1 &
	sim=$!
	wait_for 10 grep -q '"event":"sim\.listening"' "$tmp/$name.sim"
	"$BB" ctl "$tmp/$name.ctl" "login-delay $LOGIN_DELAY" >/dev/null
	port=$sp
	if [ "$mode" != direct ]; then
		rp=$("$BIN/tests/freeport")
		socat -d -d "TCP-LISTEN:$rp,bind=127.0.0.1,reuseaddr,fork" \
			"TCP:127.0.0.1:$sp" 2>"$tmp/$name.relay" &
		relay=$!
		wait_for 10 grep -q 'listening on' "$tmp/$name.relay"
		port=$rp
	fi
	"$BB" stamp <"$tmp/$name.botfifo" >"$tmp/$name.bot" &
	s2=$!
	if [ "$mode" = stack ]; then
		[ "$fast" = 0 ] || fx=', "fast_exit": [10, 11], "fast_interval": 0.1'
		cat >"$tmp/$name.json" <<JSON
{"services": [
 {"name": "gateway", "external": true,
  "ready": {"argv": ["$BIN/gw-probe", "-q", "--port", "$port", "--timeout", "2", "--client-id", "930"],
            "interval": 5, "timeout": 4, "start_period": 60$fx},
  "restart_action": {"argv": ["$BB", "ctl", "$tmp/$name.ctl", "restart"], "timeout": 5},
  "restart_settle": 10, "ready_after_restart": 60},
 {"name": "bot", "argv": ["$BIN/bot-core", "--port", "$port", "--gameplan", "$tmp/plan.json",
    "--no-notify", "--no-control"],
  "env": {"GATEWAY_FAST_POLL": "$fast"},
  "depends_on": [{"service": "gateway", "condition": "ready"}],
  "follows": {"service": "gateway", "mode": "pause"}}]}
JSON
		"$BIN/stack-init" --log-format json "$tmp/$name.json" >"$tmp/$name.botfifo" 2>&1 &
	else
		GATEWAY_FAST_POLL=$fast "$BIN/bot-core" --port "$port" --gameplan "$tmp/plan.json" \
			--no-notify --no-control >"$tmp/$name.botfifo" 2>&1 &
	fi
	bot=$!
	wait_for 30 at_least gate.opened "$tmp/$name.bot" 1
	for ((i = 1; i <= RESTARTS; i++)); do
		c0=$(count sim.restart "$tmp/$name.sim")
		if [ "$mode" = stack ]; then
			"$BIN/stack-init" ctl restart gateway >/dev/null
		else
			"$BB" ctl "$tmp/$name.ctl" restart >/dev/null
		fi
		wait_for 10 at_least sim.restart "$tmp/$name.sim" $((c0 + 1))
		# the gate must have closed and opened again
		wait_for 120 at_least gate.opened "$tmp/$name.bot" $((i + 1))
	done
	stop bot relay sim
	wait "$s1" "$s2" 2>/dev/null || true
	s1='' s2=''
	# per restart i: listening (i+1th sim.listening) -> gate.opened (i+1th);
	# handshakes/connections between the ith sim.restart and the next one (or
	# the end): both lines come through different pipes, so the gate.opened
	# stamp may precede gw-sim line of the handshake that opened it
	awk '
	function ev(line,   m) { return match(line, /"event":"[^"]*"/) ? substr(line, RSTART + 9, RLENGTH - 10) : "" }
	FNR == 1 { f++ }
	f == 1 { e = ev($0); n1++; t1[n1] = $1; e1[n1] = e }
	f == 2 { e = ev($0); if (e == "gate.opened") { go++; open_t[go] = $1 } }
	END {
		# walk gw-sim events: restart k begins at the kth sim.restart
		k = 0; lis = 0
		for (i = 1; i <= n1; i++) {
			if (e1[i] == "sim.restart") { k++; rs[k] = t1[i] }
			if (e1[i] == "sim.listening") { lis++; lt[lis] = t1[i] }
		}
		for (r = 1; r <= k; r++) {
			hs = 0; cn = 0
			for (i = 1; i <= n1; i++)
				if (t1[i] >= rs[r] && (r == k || t1[i] < rs[r + 1])) {
					if (e1[i] == "sim.handshake") hs++
					if (e1[i] == "sim.connection") cn++
				}
			printf "%.1f %d %d\n", (open_t[r + 1] - lt[r + 1]) / 1000, hs, cn
		}
	}' "$tmp/$name.sim" "$tmp/$name.bot" | sort -n | awk -v name="$name" '
	{ d[NR] = $1; H += $2; C += $3; if ($2 > maxh) maxh = $2 }
	END {
		printf "%s restarts=%d p50_ms=%.1f max_ms=%.1f handshakes_per_outage=%.2f max_handshakes=%d connections_per_outage=%.2f\n",
		    name, NR, d[int((NR + 1) / 2)], d[NR], H / NR, maxh, C / NR
	}' >"$tmp/$name.res"
	if [ "$mode" != direct ]; then
		n=$(grep -c 'accepting connection' "$tmp/$name.relay" || true)
		sed -i "s/\$/ relay_accepts_per_outage=$(awk -v n="$n" -v k="$RESTARTS" 'BEGIN { printf "%.1f", (n - 1) / k }')/" "$tmp/$name.res"
	fi
	cat "$tmp/$name.res"
}

echo "== back to trading after a gateway restart: $RESTARTS gw-sim restarts, login delay $LOGIN_DELAY s"
run fast-direct 0.1 direct
run fixed-direct 0 direct
run fast-relay 0.1 relay
run fixed-relay 0 relay
run fast-stack 0.1 stack
run fixed-stack 0 stack
f() { sed -nE "s/.*(^| )$2=([^ ]+).*/\\2/p" "$tmp/$1.res"; }
echo
for w in direct relay stack; do
	printf 'sim.listening -> gate.opened, %-6s: fast poll p50 %s ms, max %s ms (target < 250) vs fixed backoff p50 %s ms, max %s ms\n' \
		"$w" "$(f fast-$w p50_ms)" "$(f fast-$w max_ms)" "$(f fixed-$w p50_ms)" "$(f fixed-$w max_ms)"
	printf 'gw-sim per outage, %-6s: fast poll %s handshakes, %s connections vs fixed backoff %s handshakes, %s connections\n' \
		"$w" "$(f fast-$w handshakes_per_outage)" "$(f fast-$w connections_per_outage)" \
		"$(f fixed-$w handshakes_per_outage)" "$(f fixed-$w connections_per_outage)"
done
for w in relay stack; do
	printf 'relay connections accepted per outage (socat forks), %-5s: fast poll %s vs fixed backoff %s\n' \
		"$w" "$(f fast-$w relay_accepts_per_outage)" "$(f fixed-$w relay_accepts_per_outage)"
done
