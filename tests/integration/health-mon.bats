#!/usr/bin/env bats
# health-mon against gw-sim, a socat relay, fake daemons' sockets and the
# real notifier. Loopback only; every wait is on an event with a deadline.
load common
bats_require_minimum_version 1.5.0

setup() {
	{ read -r PORT; read -r RELAY; read -r HTTP; } < <(free_port 3)
	export GWKIT_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p -m 700 "$GWKIT_RUNTIME_DIR"
	SIM_PID= HM_PID= SOCAT_PID=
	HM_LOG=$BATS_TEST_TMPDIR/hm.log
	export GATEWAY_PORT=$PORT
	unset HEALTH_CONFIG HEALTH_INTERVAL GATEWAY_HOST
}

teardown() {
	stop_pid "$HM_PID" "$SOCAT_PID" "$SIM_PID"
	reap_test_procs
}

# config JSON: the configuration file, and HEALTH_CONFIG pointing at it.
config() {
	printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/hm.json"
	export HEALTH_CONFIG=$BATS_TEST_TMPDIR/hm.json
}

start_hm() {
	health-mon --no-notify "$@" >"$HM_LOG" 2>&1 3>&- &
	HM_PID=$!
}

# relay FROM TO: the gnzsnz image's socat relay on loopback.
relay() {
	socat -lf /dev/null "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$2" &
	SOCAT_PID=$!
	wait_until 10 nc -z 127.0.0.1 "$1"
}

@test "-n: configuration OK; a bad file names line and column or the key (78); bad flags 64" {
	run health-mon -n
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	config '{"checks": [{"kind": "gateway", "port": 70000}]}'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *"checks[0].port: 70000 is not in 1..65535"* ]]
	config '{"checks": [ {"kind": "gateway",, } ]}'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" =~ hm\.json:1:[0-9]+: ]]
	config '{"checks": [{"kind": "radar"}]}'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *"checks[0].kind"* ]]
	config '{"interval": 5, "bogus": 1}'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *"bogus: unknown key"* ]]
	unset HEALTH_CONFIG
	run env HEALTH_INTERVAL=soon health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *HEALTH_INTERVAL* ]]
	run health-mon --bogus
	[ "$status" -eq 64 ]
	run health-mon --version
	[ "$status" -eq 0 ]
	[[ "$output" == "health-mon gwkit "* ]]
}

@test "--once: a ready gateway is healthy (exit 0), one JSON line per check in the original shape" {
	start_sim "$PORT"
	wait_listening
	run health-mon --once
	[ "$status" -eq 0 ]
	line=$(grep '"component":"gateway"' <<<"$output")
	jq -e '.status == "healthy" and .port_responding == true and .verdict == "ready" and (.timestamp | type) == "string" and .timings_ms.ready > 0' <<<"$line"
	grep -q '"component":"host"' <<<"$output"
}

@test "--once names what is wrong: relay up with the gateway down, wedged, not logged in, nothing listening (exit 1)" {
	relay "$RELAY" "$PORT"
	config "{\"checks\": [{\"kind\": \"gateway\", \"port\": $RELAY, \"backend_port\": $PORT, \"timeout\": 3}]}"
	run health-mon --once
	[ "$status" -eq 1 ]
	jq -e '.status == "unhealthy" and .verdict == "relay-closed" and .port_responding == true and (.reason | test("relay up, gateway down"))' <<<"$output"
	start_sim "$PORT" --fault wedged
	wait_listening
	config "{\"checks\": [{\"kind\": \"gateway\", \"timeout\": 2}]}"
	run health-mon --once
	[ "$status" -eq 1 ]
	jq -e '.verdict == "handshake-timeout"' <<<"$output"
	stop_pid "$SIM_PID"
	start_sim "$PORT" --fault not-logged-in
	wait_listening
	run health-mon --once
	[ "$status" -eq 1 ]
	jq -e '.verdict == "not-logged-in"' <<<"$output"
	stop_pid "$SIM_PID"
	SIM_PID=
	run health-mon --once
	[ "$status" -eq 1 ]
	jq -e '.verdict == "unreachable" and .port_responding == false' <<<"$output"
}

@test "transitions alert once each: unhealthy after 2 failures, recovered with the downtime; a steady state alerts nothing" {
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	wait_listening
	config '{"interval": 0.2, "checks": [{"kind": "gateway", "timeout": 1}]}'
	start_hm
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge 3 ]"
	refute grep -q '"event":"health\.' <(grep -v 'health.started\|health.http' "$HM_LOG")
	echo "fault relay-dead" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$HM_LOG" '"level":"critical".*"event":"health\.unhealthy"' 10
	echo "fault none" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_for_line "$HM_LOG" '"event":"health\.recovered".*"downtime_s"' 10
	# two failures were needed: at least two unhealthy lines before the alert
	n=$(awk '/"event":"health.unhealthy"/ { print fails; exit }
	    /"component":"gateway","status":"unhealthy"/ { fails++ }' "$HM_LOG")
	[ "$n" -ge 2 ]
	[ "$(grep -c '"event":"health.unhealthy"' "$HM_LOG")" -eq 1 ]
	[ "$(grep -c '"event":"health.recovered"' "$HM_LOG")" -eq 1 ]
}

@test "a flapping gateway gives a bounded number of alerts (the cooldown), not one per check" {
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	wait_listening
	config '{"interval": 0.1, "thresholds": {"fail": 1, "cooldown": 300, "max_alerts": 4},
	    "checks": [{"kind": "gateway", "timeout": 1}]}'
	start_hm
	for i in $(seq 1 12); do
		echo "fault relay-dead" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
		wait_until 10 bash -c "[ \$(grep -c '\"status\":\"unhealthy\"' '$HM_LOG') -ge $i ]"
		echo "fault none" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
		wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"healthy\"' '$HM_LOG') -ge $i ]"
	done
	alerts=$(grep -cE '"event":"health\.(unhealthy|recovered|degraded)"' "$HM_LOG")
	echo "alerts: $alerts"
	[ "$alerts" -ge 2 ]
	[ "$alerts" -le 4 ]
}

@test "the state survives a restart: no second alert for an outage already reported" {
	config '{"interval": 0.2, "checks": [{"kind": "gateway", "timeout": 1}]}'
	start_hm
	wait_for_line "$HM_LOG" '"event":"health\.unhealthy"' 10
	stop_pid "$HM_PID"
	[ -s "$GWKIT_RUNTIME_DIR/health-mon.state" ]
	jq -e '.components.gateway.status == "unhealthy"' "$GWKIT_RUNTIME_DIR/health-mon.state"
	: >"$HM_LOG"
	start_hm
	wait_until 10 bash -c "[ \$(grep -c '\"status\":\"unhealthy\"' '$HM_LOG') -ge 4 ]"
	refute grep -q '"event":"health\.unhealthy"' "$HM_LOG"
	start_sim "$PORT"
	wait_for_line "$HM_LOG" '"event":"health\.recovered"' 10
}

@test "the file's state puts the state file elsewhere (a volume), and a restart reads it from there" {
	mkdir "$BATS_TEST_TMPDIR/data"
	config '{"interval": 0.2, "checks": [{"kind": "gateway", "timeout": 1}],
	    "state": "'"$BATS_TEST_TMPDIR"'/data/hm.state"}'
	start_hm
	wait_for_line "$HM_LOG" '"event":"health\.unhealthy"' 10
	stop_pid "$HM_PID"
	jq -e '.components.gateway.status == "unhealthy"' "$BATS_TEST_TMPDIR/data/hm.state"
	[ ! -e "$GWKIT_RUNTIME_DIR/health-mon.state" ]
	: >"$HM_LOG"
	start_hm
	wait_until 10 bash -c "[ \$(grep -c '\"status\":\"unhealthy\"' '$HM_LOG') -ge 4 ]"
	refute grep -q '"event":"health\.unhealthy"' "$HM_LOG"	# already reported
}

@test "HTTP: /healthz 200 then 503, /metrics passes promtool, the page names each component, bad requests 404/405" {
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	wait_listening
	config '{"interval": 0.2, "checks": [{"kind": "gateway", "timeout": 1}, {"kind": "host"}]}'
	start_hm --http "127.0.0.1:$HTTP"
	wait_for_line "$HM_LOG" '"event":"health\.http"' 10
	wait_until 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTP/healthz)\" = 200 ]"
	curl -s "http://127.0.0.1:$HTTP/healthz" | jq -e '.status == "healthy" and .components.gateway.status == "healthy"'
	curl -s "http://127.0.0.1:$HTTP/metrics" >"$BATS_TEST_TMPDIR/metrics"
	promtool check metrics <"$BATS_TEST_TMPDIR/metrics"
	grep -q '^gwkit_health_component_status{component="gateway"' "$BATS_TEST_TMPDIR/metrics"
	page=$(curl -s "http://127.0.0.1:$HTTP/")
	[[ "$page" == *gateway* ]]
	[[ "$page" == *host* ]]
	[[ "$page" == *"<svg"* ]]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/nope")" = 404 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$HTTP/healthz")" = 405 ]
	echo "fault relay-dead" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_until 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTP/healthz)\" = 503 ]"
	curl -s "http://127.0.0.1:$HTTP/healthz" | jq -e '.status == "unhealthy"'
}

@test "the restart action asks stack-init, at most max_per_hour" {
	# a fake init.sock that answers every request ok and records it
	python3 - "$GWKIT_RUNTIME_DIR/init.sock" "$BATS_TEST_TMPDIR/asked" <<'EOF' &
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    line = c.makefile().readline()
    open(log, "a").write(line)
    c.sendall(b'{"ok":true}\n')
    c.close()
EOF
	FAKE=$!
	wait_until 10 test -S "$GWKIT_RUNTIME_DIR/init.sock"
	config '{"interval": 0.1, "thresholds": {"fail": 1},
	    "checks": [{"kind": "gateway", "timeout": 1}],
	    "action": {"restart_gateway": true, "after": 2, "max_per_hour": 2}}'
	start_hm
	wait_until 10 bash -c "[ \$(cat '$BATS_TEST_TMPDIR/asked' 2>/dev/null | grep -c restart) -ge 2 ]"
	wait_for_line "$HM_LOG" '"event":"health\.action_skipped".*rate limit' 10
	grep -q '"cmd":"restart","service":"gateway"' "$BATS_TEST_TMPDIR/asked"
	[ "$(grep -c '"event":"health.action"' "$HM_LOG")" -eq 2 ]
	kill "$FAKE"
}

@test "the restart action never runs inside the daily restart window" {
	python3 - "$GWKIT_RUNTIME_DIR/init.sock" "$BATS_TEST_TMPDIR/asked" <<'PY' &
import socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    open(log, "a").write(c.makefile().readline())
    c.sendall(b'{"ok":true}\n')
    c.close()
PY
	FAKE=$!
	wait_until 10 test -S "$GWKIT_RUNTIME_DIR/init.sock"
	config '{"interval": 0.1, "thresholds": {"fail": 1},
	    "checks": [{"kind": "gateway", "timeout": 1}],
	    "action": {"restart_gateway": true, "after": 2, "max_per_hour": 2}}'
	# a window around now, New York time (it may cross midnight)
	from=$(TZ=America/New_York date -d '-2 min' +%H:%M)
	to=$(TZ=America/New_York date -d '+5 min' +%H:%M)
	export RESTART_WINDOW=$from-$to
	start_hm
	wait_for_line "$HM_LOG" '"event":"health\.action_skipped".*restart window' 10
	# many more failed checks, and still no request to stack-init
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\",\"status\":\"unhealthy\"' '$HM_LOG') -ge 20 ]"
	[ ! -e "$BATS_TEST_TMPDIR/asked" ]
	refute grep -q '"event":"health.action"' "$HM_LOG"
	kill "$FAKE"
}

@test "the notifier absent: health-mon runs on and says so" {
	config '{"interval": 0.2, "checks": [{"kind": "notifier", "timeout": 1}]}'
	health-mon >"$HM_LOG" 2>&1 3>&- &
	HM_PID=$!
	wait_for_line "$HM_LOG" '"component":"notifier","status":"unhealthy".*not reachable' 10
	wait_for_line "$HM_LOG" '"event":"health\.unhealthy"' 10
	kill -0 "$HM_PID"
}

# The status page as a person sees it: rendered by a real browser
# (headless Chromium), then the rendered DOM's components table read.
@test "the status page in headless Chromium: each component's row names it and its state" {
	start_sim "$PORT" --control "$BATS_TEST_TMPDIR/sim.sock"
	wait_listening
	config '{"interval": 0.2, "thresholds": {"fail": 1},
	    "checks": [{"kind": "gateway", "timeout": 1}, {"kind": "host"}]}'
	start_hm --http "127.0.0.1:$HTTP"
	echo "fault relay-dead" | socat - "UNIX-CONNECT:$BATS_TEST_TMPDIR/sim.sock" >/dev/null
	wait_until 10 bash -c "curl -s http://127.0.0.1:$HTTP/healthz | jq -e '.components.gateway.status == \"unhealthy\" and .components.host.status == \"healthy\"' >/dev/null"
	# --no-sandbox: the tests may run as root; the page has no scripts
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
	    --user-data-dir="$BATS_TEST_TMPDIR/chromium" \
	    --dump-dom "http://127.0.0.1:$HTTP/" >"$BATS_TEST_TMPDIR/dom.html" 2>/dev/null
	python3 - "$BATS_TEST_TMPDIR/dom.html" >"$BATS_TEST_TMPDIR/rows.txt" <<'PY'
import sys
from html.parser import HTMLParser
class Rows(HTMLParser):
    def __init__(self):
        super().__init__(); self.on = False; self.rows = []; self.cell = None
    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "components") in attrs: self.on = True
        elif self.on and tag == "tr": self.rows.append([])
        elif self.on and tag == "td": self.cell = ""
    def handle_endtag(self, tag):
        if tag == "table": self.on = False
        elif self.on and tag == "td" and self.cell is not None:
            self.rows[-1].append(self.cell.strip()); self.cell = None
    def handle_data(self, data):
        if self.cell is not None: self.cell += data
p = Rows(); p.feed(open(sys.argv[1]).read())
for r in p.rows:
    if r: print(" | ".join(r[:3]))
PY
	cat "$BATS_TEST_TMPDIR/rows.txt"
	grep -Eq '^gateway \| gateway \| unhealthy$' "$BATS_TEST_TMPDIR/rows.txt"
	grep -Eq '^host \| host \| healthy$' "$BATS_TEST_TMPDIR/rows.txt"
	# the chart: one inline SVG per component, no external resource
	[ "$(grep -o '<svg' "$BATS_TEST_TMPDIR/dom.html" | wc -l)" -ge 2 ]
	refute grep -Eq '(src|href)="https?://' "$BATS_TEST_TMPDIR/dom.html"
}
