#!/usr/bin/env bash
# make demo: the whole gwkit stack on a simulated gateway, no IB account
# needed, under one stack-init, in the order it starts:
#   webhook  a fake Discord webhook (tests/helpers/fake-discord) on loopback
#   notify   discord-notify posting the alerts to it
#   gateway  gw-sim with a login delay (the API port stays closed meanwhile)
#   relay    socat in front of it, as in the gnzsnz/ib-gateway image: its
#            port is open before the API is ready ("port open, API not ready")
#   bot      bot-core (dry run: no order leaves) with a demo gameplan,
#            Strategy A on SPY, QQQ and IWM, and examples/strategy.py
#   health   health-mon, with its status page on 127.0.0.1
# A trading day compressed: the gateway's scheduled restart (16:30 New York
# in production) fires DEMO_RESTART_AFTER seconds (60) after the start:
# stack-init writes the restart file, pauses the bot (it follows the
# gateway), restarts gw-sim and polls it every 0.1 s while its port is
# closed; once it answers, the bot thaws, finds its session gone (a known
# restart: info, no alert), reconnects at once and subscribes again, and
# "would place" orders resume. The terminal shows one line per event (mk/demo-view.jq), coloured
# by level on a terminal unless NO_COLOR is set.
#
# Environment: DEMO_SECONDS=N ends the demo after N s (else Ctrl-C ends it);
# DEMO_RESTART_AFTER (60); DEMO_LOGIN_DELAY (6, gw-sim's login in seconds);
# DEMO_INTENT_INTERVAL (5, seconds between the strategy's intents);
# DEMO_VERBOSE=1 shows gw-sim's per-connection events too; DEMO_DIR=PATH
# keeps the logs there (else a temporary directory, removed at the end);
# DEMO_GATEWAY_PORT, DEMO_RELAY_PORT, DEMO_WEBHOOK_PORT, DEMO_STATUS_PORT
# (else free ports). Either way the demo ends with stack-init stopping
# every service in reverse order; the exit status is stack-init's (0).
set -euo pipefail
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
HERE=$(cd "$(dirname "$0")" && pwd)
EXAMPLES=$(cd "$HERE/../examples" && pwd)
RESTART_AFTER=${DEMO_RESTART_AFTER:-60}
LOGIN_DELAY=${DEMO_LOGIN_DELAY:-6}
INTENT_INTERVAL=${DEMO_INTENT_INTERVAL:-5}
SECONDS_LIMIT=${DEMO_SECONDS:-}

die() { echo "demo: $*" >&2; exit 1; }
for v in RESTART_AFTER LOGIN_DELAY INTENT_INTERVAL SECONDS_LIMIT; do
	case ${!v} in
	*[!0-9]*) die "DEMO_${v/SECONDS_LIMIT/SECONDS}: '${!v}' is not a whole number of seconds" ;;
	esac
done
if [ -z "$RESTART_AFTER" ] || [ -z "$LOGIN_DELAY" ] || [ -z "$INTENT_INTERVAL" ]; then
	die "DEMO_RESTART_AFTER, DEMO_LOGIN_DELAY and DEMO_INTENT_INTERVAL need a value"
fi
for t in jq socat python3 tail; do
	command -v "$t" >/dev/null || die "$t is needed (mk/deps.sh demo)"
done
for p in gw-sim gw-probe discord-notify stack-init bot-core health-mon tests/fake-discord; do
	[ -x "$BIN/$p" ] || die "$BIN/$p is missing: run make demo (it builds it)"
done
# bot-core's gameplan is dated in New York: without the zone database the
# date would silently be UTC's
[ -e /usr/share/zoneinfo/America/New_York ] || die "the tz database is needed (apt-get install tzdata)"

if [ -n "${DEMO_DIR:-}" ]; then
	mkdir -p "$DEMO_DIR"
	tmp=$(cd "$DEMO_DIR" && pwd)
	keep=1
else
	tmp=$(mktemp -d)
	keep=
fi
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -p "$GWKIT_RUNTIME_DIR"
chmod 700 "$GWKIT_RUNTIME_DIR"	# the daemons refuse one open to others
# Every daemon logs event-record JSON lines for the view to read; the
# caller's webhook, if any, plays no part.
export LOG_FORMAT=json LOG_LEVEL=info
unset DISCORD_WEBHOOK_URL DISCORD_WEBHOOK_URL_FILE

INIT_PID='' VIEW_PIDS=()
# shellcheck disable=SC2317	# called by the EXIT trap
cleanup() {
	local p
	# only on an error path is stack-init still running here
	if [ -n "$INIT_PID" ] && kill -0 "$INIT_PID" 2>/dev/null; then
		kill -TERM "$INIT_PID" 2>/dev/null || true
		wait "$INIT_PID" 2>/dev/null || true
	fi
	for p in "${VIEW_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${VIEW_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -z "$keep" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
# Ctrl-C reaches stack-init from the terminal too; either way the script
# only notes it and waits for stack-init's ordered shutdown below.
stop_signal=
trap 'stop_signal=${stop_signal:-INT}' INT
trap 'stop_signal=${stop_signal:-TERM}' TERM

# ---------- ports ----------
# port_free PORT: nothing listens there (gw-probe: 10 = unreachable).
port_free() { local rc=0; "$BIN/gw-probe" -q --port "$1" --timeout 0.5 || rc=$?; [ "$rc" -eq 10 ]; }
free=()
if [ -x "$BIN/tests/freeport" ]; then mapfile -t free < <("$BIN/tests/freeport" 4); fi
SIM_PORT=${DEMO_GATEWAY_PORT:-${free[0]:-14002}}	# 4002 in the gnzsnz image
RELAY_PORT=${DEMO_RELAY_PORT:-${free[1]:-14004}}	# its socat relay: 4004
FAKE_PORT=${DEMO_WEBHOOK_PORT:-${free[2]:-14080}}
STATUS_PORT=${DEMO_STATUS_PORT:-${free[3]:-19464}}	# health-mon: 9464
for port in "$SIM_PORT" "$RELAY_PORT" "$FAKE_PORT" "$STATUS_PORT"; do
	port_free "$port" || die "port $port is in use; set DEMO_GATEWAY_PORT, DEMO_RELAY_PORT, DEMO_WEBHOOK_PORT or DEMO_STATUS_PORT"
done

# ---------- configuration ----------
# Today's gameplan (New York date): Strategy A on three symbols, at any
# hour (the demo runs whenever it is run); gw-sim quotes any symbol.
today=$(TZ=America/New_York date +%F)
cat >"$tmp/gameplan.json" <<JSON
{"date": "$today", "strategy": "A", "symbols": ["SPY", "QQQ", "IWM"],
 "hard_limits": {"max_daily_loss_pct": 2, "max_single_position": 100},
 "allow_outside_rth": true, "max_intents_per_minute": 30}
JSON
# bot-core's own daily restart window (16:29-16:36 New York by default)
# closes the gate; put it twelve hours away from now.
h=$(( (10#$(TZ=America/New_York date +%H) + 12) % 24 ))
window=$(printf '%02d:00-%02d:05' "$h" "$h")
# health-mon every 2 s (60 in production), so that it sees the gateway's
# few seconds of login; a short cooldown.
cat >"$tmp/health-mon.json" <<JSON
{"interval": 2,
 "restart_file": "$GWKIT_RUNTIME_DIR/restart-gateway.json",
 "thresholds": {"fail": 2, "ok": 1, "cooldown": 5},
 "checks": [
   {"kind": "gateway", "port": $RELAY_PORT, "backend_port": $SIM_PORT, "timeout": 2},
   {"kind": "bot", "stale": 30},
   {"kind": "init"},
   {"kind": "notifier"}]}
JSON
WEBHOOK=http://127.0.0.1:$FAKE_PORT/api/webhooks/123456789012345678/test-token-abc-0123456789
fire=$(( $(date +%s) + RESTART_AFTER ))
at=$(date -u -d "@$fire" +%H:%M:%S)
# Start order: webhook, notify, gateway, relay, bot, health; a shutdown
# stops them in reverse (the notifier last of all but its webhook:
# notifier: true), so the bot leaves before its gateway and alerts raised
# while the others stop still reach the webhook. The relay is ready when
# its port accepts, which is all a port check knows; bot-core starts then,
# not once the gateway is ready: it meets "port open, API not ready" itself
# and waits at API level, as gw-probe --wait does. It counts as ready once
# its gate is open. health-mon starts then; it reads the restart file and
# stays quiet while the restart is under way.
cat >"$tmp/stack.json" <<JSON
{"services": [
  {"name": "webhook", "argv": ["$BIN/tests/fake-discord", "--port", "$FAKE_PORT", "--store", "$tmp/webhook.jsonl"],
   "ready": {"argv": ["socat", "-u", "OPEN:/dev/null", "TCP:127.0.0.1:$FAKE_PORT"], "interval": 0.2, "timeout": 2},
   "restart": "always"},
  {"name": "notify", "argv": ["$BIN/discord-notify", "--no-stdin", "--allow-insecure-url",
     "--coalesce-window", "0", "--drain-timeout", "5"],
   "env": {"DISCORD_WEBHOOK_URL": "$WEBHOOK"}, "notifier": true,
   "depends_on": [{"service": "webhook", "condition": "ready"}],
   "ready": {"argv": ["$BIN/discord-notify", "--stats"], "interval": 0.2, "timeout": 3},
   "restart": "always", "stop_timeout": 10},
  {"name": "gateway", "argv": ["$BIN/gw-sim", "--port", "$SIM_PORT", "--login-delay", "$LOGIN_DELAY"],
   "depends_on": [{"service": "notify", "condition": "ready"}],
   "ready": {"argv": ["$BIN/gw-probe", "-q", "--port", "$RELAY_PORT", "--timeout", "2"],
             "interval": 2, "timeout": 4, "start_period": 60, "fast_exit": [10, 11], "fast_interval": 0.1},
   "restart": "always", "backoff": {"initial": 0.2, "max": 2},
   "schedule": [{"at": "$at", "tz": "UTC", "days": "daily", "action": "restart"}],
   "restart_action": {"signal": "TERM"}, "ready_after_restart": 60},
  {"name": "relay", "argv": ["socat", "-lf", "/dev/null",
     "TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr", "TCP:127.0.0.1:$SIM_PORT"],
   "ready": {"argv": ["socat", "-u", "OPEN:/dev/null", "TCP:127.0.0.1:$RELAY_PORT"], "interval": 0.2, "timeout": 2},
   "depends_on": [{"service": "gateway", "condition": "started"}], "restart": "always"},
  {"name": "bot", "argv": ["$BIN/bot-core", "--port", "$RELAY_PORT", "--gameplan", "$tmp/gameplan.json",
     "--strategy", "python3 $EXAMPLES/strategy.py --interval $INTENT_INTERVAL --rotate"],
   "env": {"DRY_RUN": "true", "TRADING_MODE": "paper", "STARTING_CAPITAL": "100000",
     "RESTART_WINDOW": "$window", "GATEWAY_RETRY_INTERVAL": "1", "GATEWAY_STARTUP_TIMEOUT": "120"},
   "depends_on": [{"service": "notify", "condition": "ready"}, {"service": "relay", "condition": "ready"}],
   "ready": {"argv": ["sh", "-c", "$BIN/bot-core ctl status | grep -q '\\"gate_open\\":true'"],
             "interval": 0.5, "timeout": 3, "start_period": 60},
   "follows": {"service": "gateway", "mode": "pause"},
   "restart": "on-failure"},
  {"name": "health", "argv": ["$BIN/health-mon", "--config", "$tmp/health-mon.json",
     "--http", "127.0.0.1:$STATUS_PORT"],
   "env": {"RESTART_WINDOW": "$window"},
   "depends_on": [{"service": "gateway", "condition": "ready"}, {"service": "bot", "condition": "ready"}],
   "restart": "on-failure"}
]}
JSON
"$BIN/stack-init" -n "$tmp/stack.json" >/dev/null

# ---------- the view ----------
color=
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then color=1; fi
say() {	# a line of the demo's own, bold on a terminal
	if [ -n "$color" ]; then printf '\033[1m%s\033[0m\n' "demo: $*"; else printf '%s\n' "demo: $*"; fi
}
if [ -n "$SECONDS_LIMIT" ]; then how="ends by itself after $SECONDS_LIMIT s (or Ctrl-C)"; else how="Ctrl-C stops it"; fi
say "the gwkit stack on a simulated gateway, no account needed (dry run: no order leaves)."
say "  under one stack-init: webhook (a fake Discord) <- notify (discord-notify);"
say "  gateway (gw-sim, a ${LOGIN_DELAY} s login) <- relay (socat, as in the gnzsnz/ib-gateway image)"
say "  <- bot (bot-core + examples/strategy.py, Strategy A on SPY QQQ IWM); health (health-mon)."
say "status page: http://127.0.0.1:$STATUS_PORT/ (also /healthz and /metrics)"
say "the gateway's scheduled restart (16:30 New York in production) fires at $at UTC, in $RESTART_AFTER s:"
say "  stack-init announces it (the restart file), pauses the bot, restarts the gateway and polls it every 0.1 s;"
say "  a planned restart posts no alert; the gate reopens a fraction of a second after the gateway is back."
say "$how; the services stop in reverse order. Times are UTC; columns: time, source, level, event, message."
say "raw logs: $tmp$([ -n "$keep" ] || echo ' (removed at the end; DEMO_DIR=PATH keeps them)')"
echo

: >"$tmp/init.log"
: >"$tmp/webhook.jsonl"
"$BIN/stack-init" --log-format json "$tmp/stack.json" >"$tmp/init.log" 2>&1 &
INIT_PID=$!
# The view follows the files until stack-init is gone (tail --pid reads
# what was left, then ends). Started in the background, it ignores the
# terminal's Ctrl-C and so shows the whole shutdown.
tail -s 0.2 --pid="$INIT_PID" -n +1 -f "$tmp/init.log" |
	jq --unbuffered -R -r --arg mode log --arg color "$color" --arg verbose "${DEMO_VERBOSE:-}" -f "$HERE/demo-view.jq" &
VIEW_PIDS+=($!)
tail -s 0.2 --pid="$INIT_PID" -n +1 -f "$tmp/webhook.jsonl" |
	jq --unbuffered -R -r --arg mode webhook --arg color "$color" --arg verbose '' -f "$HERE/demo-view.jq" &
VIEW_PIDS+=($!)

# ---------- run until DEMO_SECONDS, Ctrl-C or stack-init's own end ----------
start=$(date +%s)
while kill -0 "$INIT_PID" 2>/dev/null && [ -z "$stop_signal" ]; do
	if [ -n "$SECONDS_LIMIT" ] && (( $(date +%s) - start >= SECONDS_LIMIT )); then break; fi
	sleep 0.2 || true	# a Ctrl-C kills the sleep: the trap has noted it
done
# A Ctrl-C on the terminal reached stack-init too: give it a second to say
# so, and send SIGTERM only when it did not (SIGINT sent to this script
# alone, DEMO_SECONDS, a SIGTERM).
if [ "$stop_signal" = INT ]; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -q '"event":"init.shutdown"' "$tmp/init.log" && break
		sleep 0.1 || true
	done
fi
if kill -0 "$INIT_PID" 2>/dev/null && ! grep -q '"event":"init.shutdown"' "$tmp/init.log"; then
	kill -TERM "$INIT_PID" 2>/dev/null || true
fi
# stack-init stops the services in reverse order, each within its
# stop_timeout; a wait interrupted by another Ctrl-C is simply resumed.
while kill -0 "$INIT_PID" 2>/dev/null; do wait "$INIT_PID" || true; done
rc=0
wait "$INIT_PID" || rc=$?	# its status, kept by bash once it is reaped
INIT_PID=
for p in "${VIEW_PIDS[@]}"; do wait "$p" || true; done
VIEW_PIDS=()
echo
posted=$(jq -s '[.[].embeds // [] | length] | add // 0' "$tmp/webhook.jsonl" 2>/dev/null || echo 0)
orders=$(grep -c '"event":"order.would_place"' "$tmp/init.log" || true)
if [ "$rc" -eq 0 ]; then
	say "stack-init stopped every service in reverse order (exit 0)."
	say "bot-core would have placed $orders orders (dry run); $posted alerts were posted to the webhook."
else
	say "stack-init exited $rc; the raw log is $tmp/init.log"
	keep=1
fi
exit "$rc"
