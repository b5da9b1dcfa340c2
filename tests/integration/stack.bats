#!/usr/bin/env bats
# The stack: the real programs together under one stack-init (see
# stack.bash). Each test provokes one thing an operator cares about and
# checks what reaches the (fake) Discord webhook, with deadlines.

load stack

setup() { stack_setup; }
teardown() { stack_teardown; reap_test_procs; }

@test "kill -9 of the gateway: exactly one alert, a readable title, the event name in the footer; it comes back and the bot goes on" {
	start_stack
	gw1=$(pid_of gateway)
	kill -KILL "$gw1"
	wait_until 25 has_embed -e init.exited gateway
	wait_until 20 svc_is gateway '.state == "ready"'
	[ "$(pid_of gateway)" != "$gw1" ]
	marker after_kill
	[ "$(count_embeds -e init.exited gateway)" -eq 1 ]
	e=$(embeds_matching -e init.exited gateway)
	title=$(jq -r .title <<<"$e")
	[[ "$title" == *gateway* ]]
	[[ "$title" == *KILL* ]]
	[[ "$title" != *init.exited* ]]
	[[ "$(jq -r .footer.text <<<"$e")" == *init.exited* ]]
}

# A wedged gateway keeps its port open and answers nothing: only an
# API-level probe tells it from a healthy one.
@test "a wedged gateway: the health check alerts once (readable title) while the port stays open; ctl restart brings it back" {
	GATEWAY_EXTRA=', "health": {"interval": 0.5, "timeout": 4, "retries": 2, "action": "alert"}'
	start_stack
	gw1=$(pid_of gateway)
	sim_ctl 'fault wedged'
	run gw-probe --port "$RELAY_PORT" --timeout 1
	[ "$status" -eq 12 ]
	[[ "$output" == handshake-timeout* ]]
	# stack-init notices by itself: two failed health checks in a row
	wait_until 30 has_embed -e init.unhealthy "gateway unhealthy"
	marker wedged
	[ "$(count_embeds -e init.unhealthy)" -eq 1 ]
	embeds_matching -e init.unhealthy | jq -e '.title | test("init\\.") | not'
	stack-init ctl restart gateway
	wait_until 20 svc_is gateway ".state == \"ready\" and .pid != $gw1"
	run gw-probe --port "$RELAY_PORT" --timeout 2
	[ "$status" -eq 0 ]
	marker after_wedge
	# a restart asked for with ctl is not an unexpected exit
	[ "$(count_embeds -e init.exited gateway)" -eq 0 ]
}

@test "a crash-looping service: its crash-loop alert arrives once, and it goes fatal" {
	start_stack ',{"name": "flaky", "argv": ["sh", "-c", "sleep 0.1; exit 3"],
	  "depends_on": [{"service": "notify", "condition": "ready"}],
	  "restart": "always", "backoff": {"initial": 0.05, "max": 0.2},
	  "crash_loop": {"failures": 3, "window": 30, "give_up": true}}'
	wait_until 20 svc_is flaky '.state == "fatal"'
	wait_until 20 has_embed -e init.crash_loop flaky
	marker after_loop
	[ "$(count_embeds -e init.crash_loop flaky)" -eq 1 ]
	e=$(embeds_matching -e init.crash_loop flaky)
	[[ "$(jq -r .title <<<"$e")" != *init.crash_loop* ]]
	[[ "$(jq -r .footer.text <<<"$e")" == *init.crash_loop* ]]
	# each of its exits was an init.exited warning: all of them arrived
	n=$(grep -c '"event":"init.exited".*"service":"flaky"' "$LOG")
	[ "$n" -ge 3 ]
	[ "$(count_embeds -e init.exited flaky)" -eq "$n" ]
}

@test "the scheduled restart: the gateway restarts, the bot follows, the info events are logged and nothing alerts" {
	at=$(date -u -d "@$(( $(date +%s) + 15 ))" +%H:%M:%S)	# after the stack is up, even on a loaded machine
	GATEWAY_EXTRA=', "schedule": [{"at": "'$at'", "tz": "UTC", "days": "daily", "action": "restart"}],
	  "restart_action": {"signal": "TERM"}'
	start_stack
	gw1=$(pid_of gateway) bot1=$(pid_of bot)
	refute grep -q '"event":"init\.scheduled_restart"' "$LOG"	# the pids above are from before it
	wait_for_line "$LOG" '"event":"init\.scheduled_restart".*"service":"gateway"' 30
	wait_for_line "$LOG" '"event":"init\.restart_completed".*"service":"gateway"' 20
	wait_until 20 eval '[ "$(grep -c "^bot | bot: trading" "$LOG")" -ge 2 ]'
	[ "$(pid_of gateway)" != "$gw1" ]
	[ "$(pid_of bot)" != "$bot1" ]
	svc_is bot '.state == "ready"'
	marker after_schedule
	# a planned restart is not an alarm: nothing at warning or above
	[ -z "$(events_in_log 'warning|error|critical')" ]
	[ "$(count_alerts)" -eq 0 ]
}

@test "ctl reload: a changed bot restarts alone without an alert; a broken file alerts once and changes nothing" {
	start_stack
	gw1=$(pid_of gateway) bot1=$(pid_of bot)
	BOT_EXTRA=', "env": {"BOT_GENERATION": "2"}' write_stack
	run stack-init ctl reload
	[ "$status" -eq 0 ]
	jq -e -s '.[0] | .changed == ["bot"] and .added == [] and .removed == []' <<<"$output"
	wait_for_line "$LOG" '"event":"init\.reloaded"' 20
	wait_until 20 eval '[ "$(grep -c "^bot | bot: trading" "$LOG")" -ge 2 ]'
	[ "$(pid_of gateway)" = "$gw1" ]
	[ "$(pid_of bot)" != "$bot1" ]
	bot2=$(pid_of bot)
	printf '{"services": [\n  {"name": "bot",, "argv": ["true"]}\n]}\n' >"$T/stack.json"
	run stack-init ctl reload
	[ "$status" -eq 1 ]
	wait_until 20 has_embed -e init.reload_failed
	marker after_reload
	[ "$(count_embeds -e init.reload_failed)" -eq 1 ]
	has_embed -e init.reload_failed "stack.json:2"
	# the good reload raised nothing at warning or above
	[ "$(count_alerts)" -eq 1 ]
	[ "$(pid_of bot)" = "$bot2" ]
	[ "$(pid_of gateway)" = "$gw1" ]
}

@test "kill -9 of the notifier: the alert about it, raised while it was down, arrives once it is back, with no other event to push it" {
	start_stack
	n1=$(pid_of notify)
	kill -KILL "$n1"
	wait_until 20 svc_is notify ".state == \"ready\" and .pid != $n1"
	# stack-init retries a missing notifier every 5 s
	wait_until 25 has_embed -e init.exited notify
	marker after_notifier
	[ "$(count_embeds -e init.exited notify)" -eq 1 ]
}

@test "TERM to stack-init: a clean exit 0, and the alerts raised during the shutdown reach the webhook" {
	start_stack ',{"name": "stubborn", "argv": ["sh", "-c", "trap \"\" TERM; echo armed; while :; do sleep 0.1; done"],
	  "depends_on": [{"service": "notify", "condition": "ready"}], "stop_timeout": 1}'
	wait_for_line "$LOG" '^stubborn \| armed' 10
	pids=$(stack-init ctl status | jq -r '.services[] | select(.pid) | .pid')
	kill -TERM "$INIT_PID"
	wait_until 40 eval '! kill -0 $INIT_PID 2>/dev/null'
	wait "$INIT_PID" || st=$?
	INIT_PID=
	[ "${st:-0}" -eq 0 ]
	grep -q '"event":"init\.exit".*"code":0' "$LOG"
	grep -q '"event":"init\.killed".*"service":"stubborn"' "$LOG"
	for p in $pids; do refute kill -0 "$p" 2>/dev/null; done
	# the notifier stopped last and delivered what the shutdown raised
	grep -q '"event":"notify\.stopped".*"spooled":0' "$LOG"
	[ "$(count_embeds -e init.killed stubborn)" -eq 1 ]
}

# ---------- the examples in etc/ ----------

# etc/*.json with their programs' -n: tests/integration/deploy-host.bats.

# compose/: tests/integration/deploy-compose.bats (docker-compose config,
# mounts, secrets, probe client ids).

@test "examples: every variable in etc/gwkit.env.example is documented in docs/runtime.md" {
	root=$BATS_TEST_DIRNAME/../..
	vars=$(sed -nE 's/^#? ?([A-Z][A-Z0-9_]+)=.*/\1/p' "$root/etc/gwkit.env.example")
	[ -n "$vars" ]
	for v in $vars; do
		grep -q "\`$v\`" "$root/docs/runtime.md" || { echo "$v is not in docs/runtime.md"; return 1; }
	done
}

# make demo: tests/integration/demo.bats.

# bot-core in the stack (docs/bot-core.md): the real bot core behind the
# relay, its alerts through the real notifier to the fake webhook.
@test "bot-core under stack-init: the gateway killed closes the gate, the alert arrives, the gate reopens when it is back" {
	local B=$GWKIT_BIN
	printf '{"date":"%s","strategy":"A","symbols":["SPY"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":10},"allow_outside_rth":true}\n' \
	    "$(TZ=America/New_York date +%F)" >"$T/plan.json"
	start_stack ",{\"name\": \"botcore\", \"argv\": [\"$B/bot-core\", \"--port\", \"$RELAY_PORT\",
	    \"--gameplan\", \"$T/plan.json\", \"--client-id\", \"7\"],
	  \"env\": {\"STARTING_CAPITAL\": \"100000\", \"RESTART_WINDOW\": \"$RESTART_WINDOW\",
	    \"HEARTBEAT_INTERVAL\": \"0.5\", \"HEARTBEAT_TIMEOUT\": \"2\", \"GATEWAY_RETRY_INTERVAL\": \"0.2\"},
	  \"depends_on\": [{\"service\": \"notify\", \"condition\": \"ready\"}],
	  \"restart\": \"on-failure\", \"backoff\": {\"initial\": 0.2, \"max\": 2}}"
	wait_for_line "$LOG" '^botcore \| .*"event":"gate\.opened"' 30
	bot-core ctl status | jq -e '.gate_open and .gateway_validated and .strategy_active == "A"'
	kill -KILL "$(pid_of gateway)"
	wait_for_line "$LOG" '^botcore \| .*"event":"gate\.closed"' 20
	wait_until 25 has_embed -e gateway.disconnected
	# back once the gateway is: a second gate.opened, and ready again
	wait_until 40 bash -c "[ \$(grep -c '^botcore | .*\"event\":\"gate.opened\"' '$LOG') -ge 2 ]"
	bot-core ctl status | jq -e '.gate_open and .strategy_active == "A"'
	marker after_botcore
	[ "$(count_embeds -e gateway.disconnected)" -eq 1 ]
}

# health-mon in the stack (docs/health-mon.md): it judges the gateway
# through the relay at API level; its alert reaches the webhook through
# the real notifier.
@test "health-mon under stack-init: a dead gateway behind the relay, one health.unhealthy alert at the webhook, recovered after" {
	local B=$GWKIT_BIN
	printf '{"interval": 0.3, "checks": [{"kind": "gateway", "port": %s, "backend_port": %s, "timeout": 2}, {"kind": "init"}]}\n' \
	    "$RELAY_PORT" "$SIM_PORT" >"$T/hm.json"
	start_stack ",{\"name\": \"health\", \"argv\": [\"$B/health-mon\", \"--config\", \"$T/hm.json\"],
	  \"depends_on\": [{\"service\": \"notify\", \"condition\": \"ready\"}],
	  \"restart\": \"on-failure\", \"backoff\": {\"initial\": 0.2, \"max\": 2}}"
	wait_for_line "$LOG" '^health \| .*"component":"gateway","status":"healthy"' 30
	# the port stays open (the relay), the API is gone
	sim_ctl "fault relay-dead"
	wait_until 25 has_embed -e health.unhealthy gateway
	sim_ctl "fault none"
	wait_for_line "$LOG" '^health \| .*"event":"health\.recovered"' 40
	marker after_health
	[ "$(count_embeds -e health.unhealthy gateway)" -eq 1 ]
	e=$(embeds_matching -e health.unhealthy gateway)
	[[ "$(jq -r '.title + .description' <<<"$e")" == *relay-closed* ]]
}

# The weekly login across the stack (issue #13): stack-init, bot-core and
# health-mon read the same IBC log (tests/integration/ibclog.bash writes
# IBC 3.24.1's lines); gw-sim plays the API side: its sessions dropped and
# "not logged in" while the push waits on the operator's phone.
@test "the weekly login across the stack: the push awaited (no restart, ctl login refused, gate closed, one CRITICAL with the deadline), approved: gate reopens, resolved" {
	load ibclog
	local B=$GWKIT_BIN IBC=$T/ibc.log day at
	: >"$IBC"
	printf '{"date":"%s","strategy":"A","symbols":["SPY"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":10},"allow_outside_rth":true}\n' \
	    "$(TZ=America/New_York date +%F)" >"$T/plan.json"
	# the planned weekly slot is now (New York time): this login is planned
	day=$(TZ=America/New_York date +%a | tr 'A-Z' 'a-z')
	at=$(TZ=America/New_York date +%H:%M)
	printf '{"interval": 0.3, "checks": [{"kind": "gateway", "port": %s, "timeout": 2}, {"kind": "init"}],
	  "login": {"ibc_log": "%s", "restart_budget": 120, "warn_before": [60],
	    "weekly": {"day": "%s", "at": "%s", "tz": "America/New_York"}}}\n' \
	    "$RELAY_PORT" "$IBC" "$day" "$at" >"$T/hm.json"
	health-mon -n --config "$T/hm.json"
	GATEWAY_EXTRA=", \"ibc_log\": \"$IBC\", \"login\": {\"remind\": 1}"
	start_stack ",{\"name\": \"botcore\", \"argv\": [\"$B/bot-core\", \"--port\", \"$RELAY_PORT\",
	    \"--gameplan\", \"$T/plan.json\", \"--client-id\", \"7\"],
	  \"env\": {\"STARTING_CAPITAL\": \"100000\", \"RESTART_WINDOW\": \"$RESTART_WINDOW\",
	    \"HEARTBEAT_INTERVAL\": \"0.5\", \"HEARTBEAT_TIMEOUT\": \"2\", \"GATEWAY_RETRY_INTERVAL\": \"0.2\"},
	  \"depends_on\": [{\"service\": \"notify\", \"condition\": \"ready\"}],
	  \"restart\": \"on-failure\", \"backoff\": {\"initial\": 0.2, \"max\": 2}},
	 {\"name\": \"health\", \"argv\": [\"$B/health-mon\", \"--config\", \"$T/hm.json\"],
	  \"depends_on\": [{\"service\": \"notify\", \"condition\": \"ready\"}],
	  \"restart\": \"on-failure\", \"backoff\": {\"initial\": 0.2, \"max\": 2}}"
	wait_for_line "$LOG" '^botcore \| .*"event":"gate\.opened"' 30
	wait_for_line "$LOG" '^health \| .*"component":"gateway","status":"healthy"' 30
	local gw_pid; gw_pid=$(pid_of gateway)

	# The weekly token is gone: the gateway logs in again from scratch and
	# IBC sends the push. The API: sessions dropped, then "not logged in".
	sim_ctl "fault not-logged-in"
	sim_ctl "restart"
	ibclog_session_cold "$IBC"
	ibclog_login_attempt "$IBC" 1
	ibclog_2fa_begin "$IBC"
	wait_for_line "$LOG" '^botcore \| .*"event":"gate\.closed"' 20
	wait_for_line "$LOG" '"event":"init\.login_state".*awaiting_2fa' 20
	wait_until 30 has_embed -e health.login "approve the IBKR push on your phone by"
	# nothing restarts the gateway while the push waits; the operator's
	# retry is refused; the gate stays closed
	run stack-init ctl restart gateway
	[ "$status" -eq 1 ]
	wait_for_line "$LOG" '"event":"init\.login_pending"' 20
	run stack-init ctl login gateway
	[ "$status" -eq 75 ]
	bot-core ctl status | jq -e '.gate_open == false'

	# approved on the phone: logged in, the API ready again
	sim_ctl "fault none"
	ibclog_2fa_approve "$IBC" 25
	wait_until 40 bash -c "[ \$(grep -c '^botcore | .*\"event\":\"gate.opened\"' '$LOG') -ge 2 ]"
	wait_until 30 has_embed -e health.login.ready "API ready"
	bot-core ctl status | jq -e '.gate_open and .strategy_active == "A"'
	marker after_login
	[ "$(pid_of gateway)" = "$gw_pid" ]	# never restarted
	[ "$(count_embeds -e health.login "approve the IBKR push")" -eq 1 ]
	[ "$(count_embeds -e health.login.ready)" -eq 1 ]
	# one page per problem: the gateway component's own alert superseded
	[ "$(count_embeds -e health.unhealthy gateway)" -eq 0 ]
}
