#!/usr/bin/env bash
# make demo (first version): gw-sim with a 5 s login delay behind a socat
# relay, as in the gnzsnz/ib-gateway image; gw-probe --wait on the relay
# port shows relay-closed turning into ready. Stops everything on exit.
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
	echo "demo: stopped gw-sim and the relay"
}
trap cleanup EXIT INT TERM

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
echo "demo: gw-sim's own log (event JSON lines), last 5:"
tail -n 5 "$tmp/sim.log" | sed 's/^/  /'
