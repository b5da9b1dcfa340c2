#!/usr/bin/env bash
# make demo. Act 1: gw-sim with a 5 s login delay behind a socat
# relay, as in the gnzsnz/ib-gateway image; gw-probe --wait on the relay
# port shows relay-closed turning into ready. Act 2: the same services
# under stack-init with a scheduled restart seconds ahead; discord-notify
# (dry run) shows the alerts it would post. Stops everything on exit.
set -euo pipefail
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
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

# Act 2: the same under stack-init, with a scheduled restart a few seconds
# ahead and discord-notify printing (not sending) the alerts it would post.
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"
echo
echo "demo: now under stack-init: gateway (gw-sim) -> relay (socat) -> bot (waits with gw-probe), "
echo "      a scheduled gateway restart in 8 s, alerts to discord-notify in dry-run mode"
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
# The bot waits with client id 918: the gateway's readiness check probes
# with gw-probe's default 917 at the same moments, and two sessions with
# one client id collide (error 326).
fire=$(( $(date +%s) + 8 ))
at=$(date -u -d "@$fire" +%H:%M:%S)
cat >"$tmp/stack.json" <<JSON
{"services": [
  {"name": "gateway", "argv": ["$BIN/gw-sim", "--port", "$GW_PORT", "--login-delay", "2", "--log-level", "warning"],
   "ready": {"argv": ["$BIN/gw-probe", "-q", "--port", "$GW_PORT", "--timeout", "1"], "interval": 0.5, "timeout": 2, "start_period": 30},
   "restart": "always", "backoff": 0,
   "schedule": [{"at": "$at", "tz": "UTC", "days": "daily", "action": "restart"}],
   "restart_action": {"signal": "TERM"}, "ready_after_restart": 30},
  {"name": "relay", "argv": ["socat", "-lf", "/dev/null", "TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr", "TCP:127.0.0.1:$GW_PORT"]},
  {"name": "bot", "argv": ["sh", "-c", "$BIN/gw-probe --wait --client-id 918 --retry-interval 1 --retry-cap 1 --port $RELAY_PORT; echo trading loop running; exec sleep 600"],
   "depends_on": [{"service": "relay", "condition": "started"}], "follows": "gateway"}
]}
JSON
"$BIN/stack-init" -n "$tmp/stack.json" | sed 's/^/  /'
"$BIN/stack-init" --notify-level info "$tmp/stack.json" >"$tmp/init.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 200; i++)); do	# until the bot reports its loop (deadline 20 s)
	grep -q '^bot | trading loop running' "$tmp/init.log" && break
	sleep 0.1
done
echo "demo: the services' own output, as stack-init passes it through:"
grep -E '^[a-z]+ \| ' "$tmp/init.log" | sed 's/^/  /'
echo "demo: stack-init ctl status"
"$BIN/stack-init" ctl status | jq -c '.services[]' | sed 's/^/  /'
echo "demo: waiting for the scheduled restart at $at UTC ..."
for ((i = 0; i < 300; i++)); do	# until the restart completed (deadline 30 s)
	grep -q 'init.restart_completed' "$tmp/notify.log" && break
	sleep 0.1
done
for ((i = 0; i < 200; i++)); do	# the bot follows the gateway (deadline 20 s)
	[ "$(grep -c '^bot | trading loop running' "$tmp/init.log")" -ge 2 ] && break
	sleep 0.1
done
echo "demo: stack-init's events (JSON lines) around the restart:"
grep -E 'scheduled_restart|restart_completed|"init.ready"' "$tmp/init.log" | \
	sed -E 's/.*"event":"([^"]*)","message":"([^"]*)".*/  \1: \2/'
echo "demo: what discord-notify would have posted (embed titles):"
grep -o '"title":"[^"]*"' "$tmp/notify.log" | sed 's/"title":"\(.*\)"/  \1/'
