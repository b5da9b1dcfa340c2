#!/usr/bin/env bash
# make soak SOAK_MINUTES=N: the stack (stack-init supervising gw-sim behind
# a socat relay, discord-notify posting to fake-discord, a bot stand-in
# that waits with gw-probe) under chaos for N minutes: gateway restarts
# through ctl, wedges, kill -9 of the gateway and of the notifier,
# reloads, and Discord answering 429 and 5xx. Then a report:
#   - alerts at warning or above emitted by every program vs delivered to
#     the webhook, by event name (only stack-init forwards its own events
#     to the notifier; the others' are listed for completeness);
#   - RSS and fd-count slopes per program (least squares, per minute, over
#     the longest-lived process of each);
#   - services not running at the end; whether the shutdown was clean.
# Loopback only. Not part of make check. Exit 0 when no forwarded alert
# was lost and the shutdown was clean, else 1.
set -euo pipefail
BIN=${GWKIT_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
MINUTES=${SOAK_MINUTES:-3}
SAMPLE_S=${SOAK_SAMPLE_S:-3}
REPORT=${SOAK_REPORT:-$BIN/soak-report.txt}
case $MINUTES in ''|*[!0-9]*) echo "soak: SOAK_MINUTES: '$MINUTES' is not a number of minutes" >&2; exit 64;; esac
for t in jq socat curl; do
	command -v "$t" >/dev/null || { echo "soak: $t is needed" >&2; exit 69; }
done

tmp=$(mktemp -d)
export GWKIT_RUNTIME_DIR=$tmp/rt
mkdir -m 700 "$GWKIT_RUNTIME_DIR"
export PATH=$BIN:$PATH
LOG=$tmp/init.log STORE=$tmp/store.jsonl SIM_CTL=$tmp/sim.sock
mapfile -t ports < <("$BIN/tests/freeport" 3)
SIM_PORT=${ports[0]} RELAY_PORT=${ports[1]} FAKE_PORT=${ports[2]}
export DISCORD_WEBHOOK_URL=http://127.0.0.1:$FAKE_PORT/api/webhooks/123456789012345678/test-token-abc-0123456789
INIT_PID='' FAKE_PID='' SAMPLER_PID=''

cleanup() {
	local p
	for p in $SAMPLER_PID $INIT_PID $FAKE_PID; do kill "$p" 2>/dev/null || true; done
	for p in $SAMPLER_PID $INIT_PID $FAKE_PID; do wait "$p" 2>/dev/null || true; done
	if [ -n "${SOAK_KEEP:-}" ]; then echo "soak: files kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local end=$(( $(date +%s) + $1 ))
	shift
	until "$@" 2>/dev/null; do
		(( $(date +%s) < end )) || return 1
		sleep 0.1
	done
}
status() { stack-init ctl status 2>/dev/null | jq -c '.services[]'; }
pid_of() { status | jq -r "select(.name == \"$1\") | .pid // empty"; }
is_ready() { status | jq -s -e "map(select(.name == \"$1\"))[0].state == \"ready\"" >/dev/null; }
sim_ctl() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$SIM_CTL" >/dev/null 2>&1; }
fake_ctl() { curl -sf -d "$1" "http://127.0.0.1:$FAKE_PORT/_control" >/dev/null; }

write_config() {	# write_config GENERATION
	cat >"$tmp/stack.json" <<JSON
{"services": [
  {"name": "notify", "argv": ["$BIN/discord-notify", "--no-stdin", "--allow-insecure-url",
     "--coalesce-window", "0", "--drain-timeout", "20"],
   "ready": {"argv": ["$BIN/discord-notify", "--stats"], "interval": 0.5, "timeout": 3, "start_period": 20},
   "restart": "always", "backoff": {"initial": 0.2, "max": 2}, "stop_timeout": 25},
  {"name": "gateway", "argv": ["$BIN/gw-sim", "--port", "$SIM_PORT", "--control", "$SIM_CTL", "--login-delay", "1"],
   "depends_on": [{"service": "notify", "condition": "ready"}],
   "ready": {"argv": ["$BIN/gw-probe", "-q", "--port", "$RELAY_PORT", "--timeout", "2"],
             "interval": 0.5, "timeout": 4, "start_period": 30},
   "restart": "always", "backoff": {"initial": 0.2, "max": 2},
   "crash_loop": {"failures": 50, "window": 60}},
  {"name": "relay", "argv": ["socat", "-lf", "/dev/null",
     "TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr", "TCP:127.0.0.1:$SIM_PORT"],
   "depends_on": [{"service": "notify", "condition": "ready"}], "restart": "always"},
  {"name": "bot", "argv": ["sh", "-c", "$BIN/gw-probe --wait --client-id 918 --port $RELAY_PORT --timeout 2 --retry-interval 0.5 --retry-cap 2 --startup-timeout 120 >/dev/null && echo 'bot: trading' && exec sleep 100000"],
   "env": {"BOT_GENERATION": "$1"},
   "depends_on": [{"service": "notify", "condition": "ready"}, {"service": "gateway", "condition": "ready"}],
   "follows": "gateway", "restart": "always", "backoff": {"initial": 0.2, "max": 2}}
]}
JSON
}

# sample: one line per program process: t, service, program, pid, rss kB, fds.
sampler() {
	local t name pid prog rss fds
	while :; do
		t=$(now)
		{
			echo "stack-init $INIT_PID"
			status | jq -r 'select(.pid) | "\(.name) \(.pid)"'
		} | while read -r name pid; do
			[ -r "/proc/$pid/status" ] || continue
			prog=$(tr -d '\0' <"/proc/$pid/comm" 2>/dev/null) || continue
			rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
			fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
			[ -n "$rss" ] && echo "$t $name $prog $pid $rss $fds"
		done >>"$tmp/samples.txt"
		sleep "$SAMPLE_S"
	done
}

echo "soak: $MINUTES min of chaos on the stack (runtime $GWKIT_RUNTIME_DIR)"
"$BIN/tests/fake-discord" --port "$FAKE_PORT" --store "$STORE" >"$tmp/fake.log" 2>&1 &
FAKE_PID=$!
wait_for 10 grep -q fake.listening "$tmp/fake.log" || { echo "soak: fake-discord did not start" >&2; exit 1; }
generation=1
write_config $generation
stack-init -n "$tmp/stack.json" >/dev/null
stack-init "$tmp/stack.json" >"$LOG" 2>&1 &
INIT_PID=$!
wait_for 60 grep -q '^bot | bot: trading' "$LOG" || { echo "soak: the stack did not come up" >&2; tail "$LOG" >&2; exit 1; }
sampler &
SAMPLER_PID=$!

actions=(ctl-restart wedge kill-gateway kill-notify reload discord-429 discord-5xx)
declare -A done_count=()
end=$(( $(date +%s) + MINUTES * 60 ))
i=0
while (( $(date +%s) < end )); do
	a=${actions[i % ${#actions[@]}]}
	i=$((i + 1))
	case $a in
	ctl-restart) stack-init ctl restart gateway >/dev/null || true ;;
	wedge)
		sim_ctl 'fault wedged' || true
		sleep 3
		stack-init ctl restart gateway >/dev/null || true ;;
	kill-gateway) p=$(pid_of gateway); [ -z "$p" ] || kill -KILL "$p" 2>/dev/null || true ;;
	kill-notify) p=$(pid_of notify); [ -z "$p" ] || kill -KILL "$p" 2>/dev/null || true ;;
	reload)
		generation=$((generation + 1))
		write_config $generation
		stack-init ctl reload >/dev/null || true ;;
	discord-429|discord-5xx)
		if [ "$a" = discord-429 ]; then
			fake_ctl '{"fail_next":2,"status":429,"retry_after":0.5}' || true
		else
			fake_ctl '{"fail_next":2,"status":503}' || true
		fi
		# something to deliver through the fault (the next alert would too)
		discord-notify --send warning "soak: Discord fault $i" --source soak \
			--component soak --event soak.probe --allow-insecure-url --timeout 20 \
			>/dev/null 2>&1 || true ;;
	esac
	done_count[$a]=$(( ${done_count[$a]:-0} + 1 ))
	# let the stack come back before the next blow (bounded)
	wait_for 60 is_ready gateway || echo "soak: gateway not ready 60 s after $a" >&2
	wait_for 60 is_ready bot || echo "soak: bot not ready 60 s after $a" >&2
	wait_for 30 is_ready notify || echo "soak: notify not ready 30 s after $a" >&2
	sleep 2
done

# quiesce: a marker through the notifier; once it is stored, everything
# accepted before it was delivered.
sleep 6		# evsend retries a missing notifier every 5 s
discord-notify --send warning "soak marker" --source soak --component soak \
	--event soak.marker --allow-insecure-url --timeout 60 >/dev/null 2>&1 || true
wait_for 60 grep -q 'soak.marker' "$STORE" || echo "soak: the marker was not delivered within 60 s" >&2
final_status=$(status)
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=
svc_pids=$(jq -r 'select(.pid) | .pid' <<<"$final_status")
kill -TERM "$INIT_PID"
init_rc=0
# shellcheck disable=SC2016 # expanded by eval, at each try
wait_for 60 eval '! kill -0 $INIT_PID' || true
wait "$INIT_PID" || init_rc=$?
INIT_PID=
leftovers=0
for p in $svc_pids; do kill -0 "$p" 2>/dev/null && leftovers=$((leftovers + 1)); done
stop_pid_fake() { kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=; }
stop_pid_fake

# ---------- report ----------
sed -E 's/^[a-z0-9_-]+( \((check|restart)\))? \| //' "$LOG" |
	jq -R -c 'fromjson? | select(type == "object" and has("event") and (.level | type) == "string")' \
	>"$tmp/events.jsonl"
jq -r 'select(.level == "warning" or .level == "error" or .level == "critical") | "\(.source) \(.event)"' \
	"$tmp/events.jsonl" | sort | uniq -c >"$tmp/emitted.txt"
# delivered: the event name as a whole word in an embed's title or footer
jq -r '.embeds[] | "\(.title // "") \(.footer.text // "")"' "$STORE" 2>/dev/null >"$tmp/embeds.txt" || true
{
echo "gwkit soak report: $MINUTES min, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "chaos actions: $(for k in "${!done_count[@]}"; do printf '%s=%s ' "$k" "${done_count[$k]}"; done)"
echo
echo "alerts at warning+ emitted vs delivered to the webhook (by event name):"
printf '  %-16s %-32s %8s %9s  %s\n' program event emitted delivered note
lost=0
while read -r n src ev; do
	d=$(grep -cE "(^|[^A-Za-z0-9_.])${ev//./\\.}(\$|[^A-Za-z0-9_])" "$tmp/embeds.txt" || true)
	note=
	if [ "$src" = stack-init ]; then
		if (( d < n )); then note="LOST $((n - d))"; lost=$((lost + n - d)); fi
	else
		note="(not forwarded by design)"
	fi
	printf '  %-16s %-32s %8d %9d  %s\n' "$src" "$ev" "$n" "$d" "$note"
done <"$tmp/emitted.txt"
echo "  forwarded alerts lost: $lost"
echo
echo "memory and descriptors: least-squares slope per minute over each program's longest-lived"
echo "process, over all its samples and over the second half (start-up growth left out):"
printf '  %-10s %-15s %6s %5s %7s %9s %9s %4s %8s %8s\n' service program pid min "rss kB" "kB/min" "2nd half" fds "fds/min" "2nd half"
awk '
	function slope(k, from, col,   i, n, st, sv, stt, stv, t, v, den) {
		n = st = sv = stt = stv = 0
		for (i = 1; i <= cnt[k]; i++) {
			t = T[k, i]; if (t < from) continue
			v = (col == 5) ? R[k, i] : F[k, i]
			n++; st += t; sv += v; stt += t * t; stv += t * v
		}
		den = n * stt - st * st
		return (n > 2 && den > 0) ? (n * stv - st * sv) / den * 60 : 0
	}
	{ k = $2 " " $3 " " $4; i = ++cnt[k]; T[k, i] = $1; R[k, i] = $5; F[k, i] = $6
	  if (i == 1) t0[k] = $1; t1[k] = $1 }
	END {
		for (k in cnt) {
			split(k, p, " "); svc = p[1]; d = t1[k] - t0[k]
			if (!(svc in best) || d > bestd[svc]) { best[svc] = k; bestd[svc] = d }
		}
		for (svc in best) {
			k = best[svc]; split(k, p, " "); mid = t0[k] + bestd[svc] / 2; n = cnt[k]
			printf "  %-10s %-15s %6s %5.1f %7d %9.2f %9.2f %4d %8.3f %8.3f\n", p[1], p[2], p[3],
			    bestd[svc] / 60, R[k, n], slope(k, 0, 5), slope(k, mid, 5), F[k, n],
			    slope(k, 0, 6), slope(k, mid, 6)
		}
}' "$tmp/samples.txt" | sort
echo
stuck=$(jq -r 'select(.state != "ready") | "\(.name)=\(.state)"' <<<"$final_status" | tr '\n' ' ')
echo "services not running at the end: ${stuck:-none}"
clean=yes
[ "$init_rc" -eq 0 ] || clean="no (stack-init exit $init_rc)"
grep -q '"event":"init.exit".*"code":0' "$LOG" || clean="no (no init.exit with code 0)"
grep -q '"event":"notify.stopped".*"spooled":0' "$LOG" || clean="no (the notifier stopped with events spooled)"
[ "$leftovers" -eq 0 ] || clean="no ($leftovers service processes left)"
echo "shutdown clean: $clean"
} >"$REPORT"
cat "$REPORT"
echo "soak: report in $REPORT"
[ "$lost" -eq 0 ] && [ "$clean" = yes ]
