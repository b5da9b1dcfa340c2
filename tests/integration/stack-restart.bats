#!/usr/bin/env bats
# The daily restart across the real stack (issue #14: back to trading
# within 250 ms of the gateway's return, without hammering it, and without
# an alert for a restart stack-init sent). stack-init restarts gw-sim on a
# schedule; bot-core follows it in pause mode, inside its own restart
# window; health-mon watches the gateway through the relay and the bot;
# discord-notify posts to fake-discord. The order of events is asserted,
# never their timing (bench/restart.sh measures that).
load stack

setup() { stack_setup; }
teardown() { stack_teardown; reap_test_procs; }

# ny_window: a RESTART_WINDOW (New York) that began a minute ago and ends
# in 20 minutes: bot-core starts inside it, so only a completed restart
# can open its gate before the clock does.
ny_window() {
	local now
	now=$(( $(date +%s) ))
	printf '%s-%s' "$(TZ=America/New_York date -d "@$((now - 60))" +%H:%M)" \
		"$(TZ=America/New_York date -d "@$((now + 1200))" +%H:%M)"
}

# events_of SERVICE EVENT: the JSON lines of EVENT in SERVICE's prefixed output
events_of() { sed -nE "s/^$1 \\| (\\{.*\"event\":\"$2\".*)$/\\1/p" "$LOG"; }

# line_no REGEX: the first line of the stack log matching REGEX (0: none)
line_no() { grep -nE -m1 "$1" "$LOG" | cut -d: -f1 || true; }

@test "the scheduled restart, whole stack: restart file, bot paused, gw-sim polled fast, the gate reopens before its window ends, and no alert at all" {
	local B=$GWKIT_BIN at window
	window=$(ny_window)
	printf '{"date":"%s","strategy":"A","symbols":["SPY"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":10},"allow_outside_rth":true}\n' \
	    "$(TZ=America/New_York date +%F)" >"$T/plan.json"
	printf '{"interval": 0.3, "restart_file": "%s/restart-gateway.json", "restart_grace": 30,
	  "checks": [{"kind": "gateway", "port": %s, "backend_port": %s, "timeout": 2}, {"kind": "bot"}]}\n' \
	    "$GWKIT_RUNTIME_DIR" "$RELAY_PORT" "$SIM_PORT" >"$T/hm.json"
	at=$(date -u -d "@$(( $(date +%s) + 20 ))" +%H:%M:%S)	# after the stack is up
	SIM_ARGS=', "--login-delay", "2", "--log-format", "json"'
	READY_INTERVAL=2 READY_EXTRA=', "fast_exit": [10, 11], "fast_interval": 0.1'
	GATEWAY_EXTRA=', "schedule": [{"at": "'$at'", "tz": "UTC", "days": "daily", "action": "restart"}],
	  "restart_action": {"signal": "TERM"}, "restart_settle": 0'
	start_stack ",{\"name\": \"botcore\", \"argv\": [\"$B/bot-core\", \"--port\", \"$RELAY_PORT\",
	    \"--gameplan\", \"$T/plan.json\", \"--client-id\", \"7\"],
	  \"env\": {\"STARTING_CAPITAL\": \"100000\", \"RESTART_WINDOW\": \"$window\",
	    \"HEARTBEAT_INTERVAL\": \"0.5\", \"HEARTBEAT_TIMEOUT\": \"2\", \"LOG_FORMAT\": \"json\"},
	  \"depends_on\": [{\"service\": \"notify\", \"condition\": \"ready\"}, {\"service\": \"gateway\", \"condition\": \"ready\"}],
	  \"follows\": {\"service\": \"gateway\", \"mode\": \"pause\"},
	  \"restart\": \"on-failure\", \"backoff\": {\"initial\": 0.2, \"max\": 2}},
	 {\"name\": \"health\", \"argv\": [\"$B/health-mon\", \"--config\", \"$T/hm.json\"],
	  \"depends_on\": [{\"service\": \"notify\", \"condition\": \"ready\"}, {\"service\": \"botcore\", \"condition\": \"started\"}],
	  \"restart\": \"on-failure\", \"backoff\": {\"initial\": 0.2, \"max\": 2}}"
	# bot-core is up inside its window: validated, the gate closed by the clock
	wait_for_line "$LOG" '^botcore \| .*"event":"gateway\.validated"' 30
	wait_until 10 eval 'bot-core ctl status | jq -e ".gateway_validated and (.gate_open | not) and .gate_reason == \"restart-window\"" >/dev/null'
	# the follower was told where stack-init's restart file is
	tr '\0' '\n' <"/proc/$(pid_of botcore)/environ" | grep -qx "GWKIT_RESTART_FILE=$GWKIT_RUNTIME_DIR/restart-gateway.json"
	wait_for_line "$LOG" '^health \| .*"component":"gateway","status":"healthy"' 30
	marker before_restart
	n_alerts=$(count_alerts)

	wait_for_line "$LOG" '"event":"init\.scheduled_restart".*"service":"gateway"' 40
	wait_for_line "$LOG" '"event":"init\.restart_completed".*"service":"gateway"' 30
	# the window ends early: the restart is complete and the new session validated
	wait_for_line "$LOG" '^botcore \| .*"event":"bot\.window_left".*"reason":"restart completed"' 20
	wait_for_line "$LOG" '^botcore \| .*"event":"gate\.opened"' 10
	bot-core ctl status | jq -e '.gate_open and .strategy_active == "A"'
	stack-init ctl status gateway | jq -e '.restart.state == "completed" and .restart.trigger == "schedule" and .restart.ended != null'
	jq -e '.state == "completed"' "$GWKIT_RUNTIME_DIR/restart-gateway.json"

	# the order: announced, gw-sim's port back, stack-init sees it ready,
	# the bot thaws and learns its session is gone (a known restart: info),
	# a new session, the gate open
	l_sched=$(line_no '"event":"init\.scheduled_restart"')
	l_restart=$(line_no '^gateway \| .*"event":"sim\.stopped"')
	l_listen=$(awk -v s="$l_restart" 'NR > s && /^gateway \| .*"event":"sim\.listening"/ { print NR; exit }' "$LOG")
	l_done=$(line_no '"event":"init\.restart_completed"')
	l_lost=$(line_no '^botcore \| .*"event":"gateway\.disconnected"')
	l_open=$(awk -v s="$l_done" 'NR > s && /^botcore \| .*"event":"gate\.opened"/ { print NR; exit }' "$LOG")
	[ -n "$l_listen" ] && [ -n "$l_open" ]
	(( l_sched < l_restart && l_restart < l_listen && l_listen < l_done && l_done < l_open ))
	(( l_lost > l_sched && l_lost < l_open ))
	events_of botcore gateway.disconnected | jq -e -s 'length == 1 and .[0].level == "info" and .[0].fields.restart.trigger == "schedule"'
	# the gateway's cost: since its port's return, one startApi from
	# stack-init's ready check (gw-probe, client 917: the first fast check
	# that passes; no check runs once it is ready) and one from bot-core
	# (client 7). Counted to the end of the log: lines of different
	# services reach it in the order stack-init reads their pipes, so
	# gw-sim's line for bot-core's startApi may follow bot-core's
	# gate.opened.
	starts() { awk -v a="$l_listen" -v id="$1" 'NR > a &&
		/^gateway \| .*"event":"sim\.start_api"/ && index($0, "\"client_id\":" id "}")' "$LOG" | wc -l; }
	[ "$(starts 917)" -eq 1 ]
	[ "$(starts 7)" -eq 1 ]

	# nothing alerted: no event at warning or above from any program after
	# the marker, and the webhook got nothing but the next marker
	marker after_restart
	[ "$(count_alerts)" -eq "$n_alerts" ]
	after=$(awk -v s="$l_sched" 'NR >= s' "$LOG" | sed -E 's/^[a-z]+ \| //' |
		jq -R -r 'fromjson? | select(type == "object" and (.level | type) == "string"
		  and (.level | test("warning|error|critical")) and ((.event // "") | test("marker") | not)) | .event')
	[ -z "$after" ] || { echo "alerts during the restart: $after"; false; }
	# health-mon held the gateway's outage as a restart (info), if it saw it
	refute grep -qE '^health \| .*"event":"health\.(unhealthy|degraded)".*"level":"(warning|error|critical)"' "$LOG"
}
