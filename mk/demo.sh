#!/usr/bin/env bash
# make demo. Act 1: gw-sim with a 5 s login delay behind a socat
# relay, as in the gnzsnz/ib-gateway image; gw-probe --wait on the relay
# port shows relay-closed turning into ready. Act 2: the same services
# under stack-init with bot-core and the example Python strategy (dry run:
# no order leaves) behind the relay, and a scheduled gateway restart
# seconds ahead: the gate opens, an order it would place, the gate closing
# on the restart and reopening; discord-notify (dry run) shows the alerts
# it would post. Stops everything on exit.
set -euo pipefail
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
EXAMPLES=$(cd "$(dirname "$0")/../examples" && pwd)
GW_PORT=${DEMO_GATEWAY_PORT:-14002}	# the gateway's own API port (4002 in the image)
RELAY_PORT=${DEMO_RELAY_PORT:-14004}	# the socat relay port (4004 in the image)
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
	echo "demo: stopped everything"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in "$GW_PORT" "$RELAY_PORT"; do
	if "$BIN/gw-probe" -q --port "$port" --timeout 0.2; [ $? -ne 10 ]; then
		echo "demo: port $port is in use; set DEMO_GATEWAY_PORT / DEMO_RELAY_PORT" >&2
		exit 1
	fi
done

echo "demo: starting gw-sim on 127.0.0.1:$GW_PORT with a 5 s login delay (a gateway still logging in)"
"$BIN/gw-sim" --port "$GW_PORT" --login-delay 5 >"$tmp/sim.log" 2>&1 &
pids+=($!)
echo "demo: starting the socat relay 127.0.0.1:$RELAY_PORT -> 127.0.0.1:$GW_PORT (as in the gnzsnz image)"
socat -lf /dev/null "TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$GW_PORT" &
pids+=($!)
for ((i = 0; i < 100; i++)); do	# the relay's port accepts within a second
	"$BIN/gw-probe" -q --port "$RELAY_PORT" --timeout 0.2 && break
	[ $? -ne 10 ] && break
	sleep 0.01
done

echo "demo: a port check passes at once, although no gateway answers behind it:"
if nc -z 127.0.0.1 "$RELAY_PORT"; then echo "  nc -z 127.0.0.1 $RELAY_PORT: open"; fi
echo "demo: gw-probe --wait --port $RELAY_PORT --retry-interval 1"
"$BIN/gw-probe" --wait --port "$RELAY_PORT" --retry-interval 1 --retry-cap 2 --startup-timeout 30 \
	| sed 's/^/  /'
echo "demo: the same verdict as JSON:"
"$BIN/gw-probe" --json --heartbeat --port "$RELAY_PORT" | sed 's/^/  /'
echo "demo: gw-sim's own log (event JSON lines), last 2:"
tail -n 2 "$tmp/sim.log" | sed 's/^/  /'
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

# Act 2: the same under stack-init, with bot-core behind the relay, a
# scheduled gateway restart a few seconds ahead and discord-notify printing
# (not sending) the alerts it would post.
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"
echo
echo "demo: now under stack-init: gateway (gw-sim) -> relay (socat) -> bot (bot-core running"
echo "      examples/strategy.py, dry run), a scheduled gateway restart in 12 s,"
echo "      alerts to discord-notify in dry-run mode"
# a dry run listens only when told where; a webhook in the caller's
# environment plays no part in the demo
env -u DISCORD_WEBHOOK_URL -u DISCORD_WEBHOOK_URL_FILE \
	"$BIN/discord-notify" --dry-run --no-stdin --listen "$GWKIT_RUNTIME_DIR/notify.sock" \
	--coalesce-window 0 >"$tmp/notify.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do	# until it listens (deadline 10 s)
	grep -q '"event":"notify.started"' "$tmp/notify.log" && break
	sleep 0.1
done
if ! grep -q '"event":"notify.started"' "$tmp/notify.log"; then
	echo "demo: discord-notify did not start:" >&2
	sed 's/^/  /' "$tmp/notify.log" >&2
	exit 1
fi
# Today's gameplan (New York date): strategy A on SPY, at any hour (the
# demo runs whenever it is run).
today=$(TZ=America/New_York date +%F)
cat >"$tmp/gameplan.json" <<JSON
{"date": "$today", "strategy": "A", "symbols": ["SPY"],
 "hard_limits": {"max_daily_loss_pct": 2, "max_single_position": 100},
 "allow_outside_rth": true}
JSON
# bot-core's own daily restart window (16:29-16:36 New York by default)
# closes the gate; put it twelve hours away from now.
h=$(( (10#$(TZ=America/New_York date +%H) + 12) % 24 ))
window=$(printf '%02d:00-%02d:05' "$h" "$h")
# The bot uses client id 1 (bot-core's default); the gateway's readiness
# check probes with gw-probe's 917.
fire=$(( $(date +%s) + 12 ))
at=$(date -u -d "@$fire" +%H:%M:%S)
cat >"$tmp/stack.json" <<JSON
{"services": [
  {"name": "gateway", "argv": ["$BIN/gw-sim", "--port", "$GW_PORT", "--login-delay", "2", "--log-level", "warning"],
   "ready": {"argv": ["$BIN/gw-probe", "-q", "--port", "$GW_PORT", "--timeout", "1"], "interval": 0.5, "timeout": 2, "start_period": 30},
   "restart": "always", "backoff": 0,
   "schedule": [{"at": "$at", "tz": "UTC", "days": "daily", "action": "restart"}],
   "restart_action": {"signal": "TERM"}, "ready_after_restart": 30},
  {"name": "relay", "argv": ["socat", "-lf", "/dev/null", "TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr", "TCP:127.0.0.1:$GW_PORT"]},
  {"name": "bot", "argv": ["$BIN/bot-core", "--port", "$RELAY_PORT", "--gameplan", "$tmp/gameplan.json",
     "--strategy", "python3 $EXAMPLES/strategy.py --interval 4", "--log-format", "json"],
   "env": {"DRY_RUN": "true", "TRADING_MODE": "paper", "STARTING_CAPITAL": "100000",
     "RESTART_WINDOW": "$window", "GATEWAY_RETRY_INTERVAL": "1"},
   "depends_on": [{"service": "relay", "condition": "started"}], "restart": "on-failure"}
]}
JSON
"$BIN/stack-init" -n "$tmp/stack.json" | sed 's/^/  /'
"$BIN/stack-init" --notify-level info "$tmp/stack.json" >"$tmp/init.log" 2>&1 &
pids+=($!)

# bot_events REGEX [LINE]: bot-core's events (JSON lines, passed through
# by stack-init as "bot | ...") from stack-init's log line LINE on (default
# 1) whose name matches REGEX, one readable line each.
bot_events() {
	tail -n +"${2:-1}" "$tmp/init.log" | sed -n 's/^bot | //p' | jq -Rr --arg re "$1" \
		'fromjson? | select(.event | test($re)) | "  \(.ts[11:23]) \(.event): \(.message)"'
}
# bot_count EVENT: how many times bot-core logged it.
bot_count() { grep -c "^bot | .*\"event\":\"$1\"" "$tmp/init.log" || true; }
# wait_bot EVENT N SECS: until bot-core logged EVENT N times; fails after SECS.
wait_bot() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(bot_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "demo: bot-core did not log $1 (x$2) within $3 s:" >&2
	grep '^bot | ' "$tmp/init.log" | tail -n 20 | sed 's/^/  /' >&2
	exit 1
}

wait_bot gate.opened 1 20
wait_bot order.would_place 1 10
echo "demo: bot-core waited for the gateway through the relay, validated the session and opened the gate;"
echo "      the example strategy sent an intent and bot-core logged the order it would place (dry run):"
bot_events '^(gateway\.(attempt_failed|validated)|bot\.operational|gate\.opened|intent\.accepted|order\.would_place)$' | sed -n 1,12p
echo "demo: stack-init ctl status"
"$BIN/stack-init" ctl status | jq -c '.services[] | {name, state, pid, ready, next_restart}' | sed 's/^/  /'
echo "demo: waiting for the scheduled gateway restart at $at UTC ..."
for ((i = 0; i < 300; i++)); do	# until the restart completed (deadline 30 s)
	grep -q 'init.restart_completed' "$tmp/notify.log" && break
	sleep 0.1
done
wait_bot gate.opened 2 30	# bot-core reconnects by itself
echo "demo: stack-init's events (JSON lines) around the restart:"
grep -E 'scheduled_restart|restart_completed|"init.ready"' "$tmp/init.log" | \
	sed -E 's/.*"event":"([^"]*)","message":"([^"]*)".*/  \1: \2/'
echo "demo: bot-core through the restart: the gate closed at once, reopened once the gateway was back:"
from=$(grep -m 1 -n '^bot | .*"event":"gateway.disconnected"' "$tmp/init.log" | cut -d: -f1)
bot_events '^(gate\.(opened|closed)|gateway\.(disconnected|attempt_failed|validated)|strategy\.changed)$' "$from" | sed -n 1,12p
echo "demo: bot-core ctl status | jq"
"$BIN/bot-core" ctl status | jq . | sed 's/^/  /'
echo "demo: what discord-notify would have posted (embed titles):"
grep -o '"title":"[^"]*"' "$tmp/notify.log" | sed 's/"title":"\(.*\)"/  \1/'
