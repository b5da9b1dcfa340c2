#!/usr/bin/env bats
# health-mon stays quiet while stack-init restarts the gateway on purpose
# (docs/health-mon.md "QUIET RESTARTS"): gw-sim behind a socat relay, a
# fake bot.sock whose gate the test opens and closes, stack-init's restart
# file written by the test, and the real discord-notify in front of
# fake-discord, which stores what would have reached people. Loopback only;
# every wait is on an event with a deadline.
load notify
bats_require_minimum_version 1.5.0

setup() {
	notify_setup
	{ read -r PORT; read -r RELAY; read -r HTTP; } < <(free_port 3)
	SIM_PID= HM_PID= SOCAT_PID= BOT_PID=
	HM_LOG=$T/hm.log
	RF=$GWKIT_RUNTIME_DIR/restart-gateway.json
	unset HEALTH_CONFIG HEALTH_INTERVAL GATEWAY_HOST GATEWAY_PORT GWKIT_RESTART_FILE
	echo closed >"$T/gate"
	start_fake
	start_notify --coalesce-window 0
	start_sim "$PORT" --control "$T/sim.sock"
	wait_listening
	socat -lf /dev/null "TCP-LISTEN:$RELAY,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$PORT" &
	SOCAT_PID=$!
	wait_until 10 nc -z 127.0.0.1 "$RELAY"
	fake_bot
}

teardown() {
	stop_pid "$HM_PID" "$BOT_PID" "$SOCAT_PID" "$SIM_PID"
	notify_teardown "$NOTIFY_PID" "$FAKE_PID"
	reap_test_procs
}

sim() { printf '%s\n' "$@" | socat - "UNIX-CONNECT:$T/sim.sock" >/dev/null; }

# fake_bot: bot-core's bot.sock answering "status"; the gate is open or
# closed (not-validated: the session lost) as $T/gate says.
fake_bot() {
	python3 - "$GWKIT_RUNTIME_DIR/bot.sock" "$T/gate" <<'PY' &
import json, socket, sys
path, gate = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    c.makefile().readline()
    is_open = open(gate).read().strip() == "open"
    c.sendall((json.dumps({"ok": True, "gate_open": is_open,
        "gate_reason": "" if is_open else "not-validated",
        "strategy_active": "A", "halted": False,
        "last_gateway_check": None}) + "\n").encode())
    c.close()
PY
	BOT_PID=$!
	wait_until 10 test -S "$GWKIT_RUNTIME_DIR/bot.sock"
}

# utc SECONDS: now + SECONDS as RFC 3339 UTC with milliseconds.
utc() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%S.000Z; }

# restart_file STATE [DEADLINE_S]: stack-init's file for the gateway,
# written atomically. began is fixed by the first call (the restart's
# start); in_progress gets a deadline DEADLINE_S (60) after now, the other
# states "ended" now.
restart_file() {
	local st=$1 ended=null deadline=null
	: "${BEGAN:=$(utc -1)}"
	if [ "$st" = in_progress ]; then
		deadline="\"$(utc "${2:-60}")\""
	else
		ended="\"$(utc 0)\""
	fi
	printf '{"service":"gateway","state":"%s","trigger":"schedule","method":"ibc","began":"%s","ended":%s,"deadline":%s}\n' \
		"$st" "$BEGAN" "$ended" "$deadline" >"$RF.tmp"
	mv "$RF.tmp" "$RF"
}

# hm_config EXTRA_KEYS: the gateway behind the relay and the bot, fast.
hm_config() {
	cat >"$T/hm.json" <<-EOF
	{"interval": 0.2, "thresholds": {"fail": 1},
	 "checks": [{"kind": "gateway", "port": $RELAY, "backend_port": $PORT, "timeout": 1},
	            {"kind": "bot", "timeout": 1}]${1:+, $1}}
	EOF
	export HEALTH_CONFIG=$T/hm.json
}

start_hm() {
	health-mon --http "127.0.0.1:$HTTP" "$@" >"$HM_LOG" 2>&1 3>&- &
	HM_PID=$!
	wait_for_line "$HM_LOG" '"event":"health\.http"' 10
}

# count REGEX: lines of health-mon's output matching it.
count() { grep -cE -- "$1" "$HM_LOG" || true; }

# loud [COMPONENT]: health-mon's events at warning or above (of COMPONENT).
loud() {
	jq -Rc --arg c "${1:-}" 'fromjson? | select(.event != null and
	    (.level == "warning" or .level == "error" or .level == "critical") and
	    ($c == "" or .component == $c))' "$HM_LOG"
}

metric() { curl -s "http://127.0.0.1:$HTTP/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# finish: stop health-mon and the notifier (both flush) so what
# fake-discord stored is final.
finish() {
	stop_pid "$HM_PID"
	HM_PID=
	stop_notify
}

@test "a restart stack-init announced: the gateway's and the bot's outage are said at info, nothing reaches Discord, no recovered pair" {
	restart_file in_progress
	export GWKIT_RESTART_FILE=$RF	# as stack-init gives it (the default)
	hm_config
	start_hm
	wait_for_line "$HM_LOG" '"event":"health\.restart".*"state":"in_progress"' 10
	# the bot's gate is closed for the restart window: held
	wait_for_line "$HM_LOG" '"component":"bot","event":"health\.degraded".*"superseded_by":"restart"' 10
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge 2 ]"
	[ "$(metric gwkit_health_restart_in_progress)" = 1 ]
	[ "$(metric gwkit_health_restart_quiet)" = 1 ]
	curl -s "http://127.0.0.1:$HTTP/metrics" | promtool check metrics
	sim "login-delay 3" restart
	# relay up, gateway down: said at info, naming the restart
	wait_for_line "$HM_LOG" '"component":"gateway","event":"health\.unhealthy".*"superseded_by":"restart"' 10
	line=$(grep '"component":"gateway","event":"health.unhealthy"' "$HM_LOG" | head -1)
	jq -e '.level == "info" and .fields.restart == "in_progress" and .fields.trigger == "schedule" and .fields.method == "ibc" and (.fields.reason | test("relay up, gateway down")) and (.message | test("gateway restarting \\(stack-init: schedule, IBC RESTART\\)"))' <<<"$line"
	grep -q '"component":"gateway","status":"unhealthy".*"restart":"in_progress"' "$HM_LOG"
	curl -s "http://127.0.0.1:$HTTP/" >"$T/page.html"
	grep -q '</span> (restart)</td>' "$T/page.html"
	grep -q 'id="restart">restart of gateway: in_progress' "$T/page.html"
	# gw-sim back; the bot's gate opens; stack-init says completed
	wait_until 20 bash -c "[ \$(grep -c '\"event\":\"sim.listening\"' '$SIM_LOG') -ge 2 ]"
	wait_for_line "$HM_LOG" '"component":"gateway","status":"healthy".*' 10
	echo open >"$T/gate"
	restart_file completed
	wait_for_line "$HM_LOG" '"event":"health\.restart".*"state":"completed"' 10
	n=$(count '"component":"gateway","status":"healthy"')
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge $((n + 3)) ]"
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"bot\",\"status\":\"healthy\"' '$HM_LOG') -ge 2 ]"
	[ "$(metric gwkit_health_restart_in_progress)" = 0 ]
	curl -s "http://127.0.0.1:$HTTP/healthz" | jq -e '.status == "healthy" and .restart.state == "completed"'
	finish
	loud
	[ -z "$(loud)" ]
	[ "$(count '"event":"health\.recovered"')" -eq 0 ]
	[ "$(stored_count)" -eq 0 ]
	cat "$GWKIT_RUNTIME_DIR/health-mon.state"
	# the state file agrees: healthy, nothing announced
	jq -e '.components.gateway.status == "healthy" and .components.gateway.last_alert_ms == 0 and .components.bot.last_alert_ms == 0' \
		"$GWKIT_RUNTIME_DIR/health-mon.state"
}

@test "without the file (restart_file \"\" over GWKIT_RESTART_FILE): the same outage alerts as today, and reaches Discord" {
	restart_file in_progress
	export GWKIT_RESTART_FILE=$RF
	hm_config '"restart_file": ""'
	start_hm
	wait_for_line "$HM_LOG" '"component":"bot","event":"health\.degraded".*"level":"warning"|"level":"warning".*"component":"bot","event":"health\.degraded"' 10
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge 2 ]"
	sim "login-delay 3" restart
	wait_for_line "$HM_LOG" '"level":"critical".*"event":"health\.unhealthy"' 10
	loud gateway | jq -e 'select(.event == "health.unhealthy") | .fields.reason | test("relay up, gateway down")'
	wait_for_line "$HM_LOG" '"component":"gateway","event":"health\.recovered"' 20
	refute grep -q '"superseded_by":"restart"' "$HM_LOG"
	refute grep -q '"event":"health\.restart"' "$HM_LOG"
	[ -z "$(metric gwkit_health_restart_in_progress)" ]	# no file: no gauge
	wait_stored 2 20	# bot degraded, gateway unhealthy (recovered: info, not sent)
	jq -r ".embeds[].footer.text" "$T/store.jsonl" >"$T/footers"
	cat "$T/footers"
	grep -q "critical · health.unhealthy" "$T/footers"
	grep -q "warning · health.degraded" "$T/footers"
	finish
}

@test "not_ready: the outage held while in progress is alerted as soon as the file says so, once" {
	hm_config "\"restart_file\": \"$RF\""
	restart_file in_progress
	start_hm
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge 2 ]"
	sim "login-delay 600" restart
	wait_for_line "$HM_LOG" '"component":"gateway","event":"health\.unhealthy".*"superseded_by":"restart"' 10
	[ -z "$(loud gateway)" ]
	restart_file not_ready
	wait_for_line "$HM_LOG" '"level":"critical".*"component":"gateway","event":"health\.unhealthy"' 10
	# the info line came first, the alert after it
	grep -n '"component":"gateway","event":"health.unhealthy"' "$HM_LOG" >"$T/order"
	[ "$(wc -l <"$T/order")" -eq 2 ]
	head -1 "$T/order" | grep -q '"superseded_by":"restart"'
	tail -1 "$T/order" | grep -q '"level":"critical"'
	n=$(count '"component":"gateway","status":"unhealthy"')
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"unhealthy\"' '$HM_LOG') -ge $((n + 5)) ]"
	[ "$(loud gateway | grep -c '"health.unhealthy"')" -eq 1 ]
	wait_stored 1 20
}

@test "completed but still down: quiet for restart_grace after it, then alerted" {
	hm_config "\"restart_file\": \"$RF\", \"restart_grace\": 3"
	echo open >"$T/gate"
	restart_file in_progress
	start_hm
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge 2 ]"
	sim "login-delay 600" restart
	wait_for_line "$HM_LOG" '"component":"gateway","event":"health\.unhealthy".*"superseded_by":"restart"' 10
	restart_file completed
	wait_for_line "$HM_LOG" '"level":"critical".*"component":"gateway","event":"health\.unhealthy"' 20
	# after "completed" was read, checks still found it down without an
	# alert (the grace), then the alert: in that order, once
	done_at=$(grep -n '"event":"health.restart".*"state":"completed"' "$HM_LOG" | cut -d: -f1)
	crit_at=$(grep -n '"level":"critical".*"event":"health.unhealthy"' "$HM_LOG" | cut -d: -f1)
	[ -n "$done_at" ] && [ "$crit_at" -gt "$done_at" ]
	between=$(sed -n "${done_at},${crit_at}p" "$HM_LOG" | grep -c '"component":"gateway","status":"unhealthy".*"restart":"completed"')
	[ "$between" -ge 1 ]
	[ "$(loud gateway | grep -c '"health.unhealthy"')" -eq 1 ]
}

@test "a stale file (in progress past its deadline): alerts as without it, and one warning naming the file" {
	hm_config "\"restart_file\": \"$RF\""
	BEGAN=$(utc -120)
	restart_file in_progress -60
	start_hm
	wait_for_line "$HM_LOG" '"event":"health\.restart_file"' 10
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge 2 ]"
	sim "login-delay 600" restart
	wait_for_line "$HM_LOG" '"level":"critical".*"component":"gateway","event":"health\.unhealthy"' 10
	n=$(count '"component":"gateway","status":"unhealthy"')
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"unhealthy\"' '$HM_LOG') -ge $((n + 5)) ]"
	[ "$(count '"event":"health\.restart_file"')" -eq 1 ]
	line=$(grep '"event":"health.restart_file"' "$HM_LOG")
	jq -e --arg p "$RF" '.level == "warning" and .fields.path == $p and (.fields.error | test("stale"))' <<<"$line"
	refute grep -q '"superseded_by":"restart"' "$HM_LOG"
	# a different error is said once more
	echo 'not json' >"$RF"
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"health.restart_file\"' '$HM_LOG') -ge 2 ]"
	grep '"event":"health.restart_file"' "$HM_LOG" | tail -1 | jq -e '.fields.error | test("not JSON")'
}

@test "-n: restart_file and restart_grace are checked, each error one line (78)" {
	hm_config "\"restart_file\": \"$RF\", \"restart_grace\": 0"
	run health-mon -n
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	for bad in '"restart_grace": -1' '"restart_grace": 3601' '"restart_grace": "30"' \
	    '"restart_file": 5' '"restart_file": null' "\"restart_file\": \"$(printf 'x%.0s' $(seq 1 1100))\""; do
		hm_config "$bad"
		run health-mon -n
		echo "$bad -> $status $output"
		[ "$status" -eq 78 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"hm.json: restart_"* ]]
	done
	hm_config '"restart_grace": 3601'
	run health-mon -n
	[[ "$output" == *"restart_grace: 3601 is not in 0..3600"* ]]
	unset HEALTH_CONFIG
	run env GWKIT_RESTART_FILE="$(printf 'x%.0s' $(seq 1 1100))" health-mon -n
	[ "$status" -eq 78 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *GWKIT_RESTART_FILE* ]]
}
