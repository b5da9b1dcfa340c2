#!/usr/bin/env bats
# stack-init and the gateway's login (issue #13): a gateway whose IBC log
# stack-init reads ("ibc_log": true, its own output; or "PATH", a file an
# external gateway's container writes) is never restarted while a login is
# pending, reminds instead, caps its cold relaunches, holds them during a
# lock-out, and logs in on request (ctl login) or on schedule (IBC STOP for
# an external one). The gateway is a small script printing IBC's lines as
# IBC 3.24.1 writes them (tests/integration/ibclog.bash, the fake IBC
# log writer, also used for the external gateway's file). Loopback only;
# every wait is a deadline on an event.

bats_require_minimum_version 1.5.0
load init
load ibclog

# gw_head: the start of a gateway script ($T/gw.sh, run by bash): IBC's
# lines through ibclog.bash to its stdout, each start counted in $T/starts.
gw_head() {
	cat <<-SH
	. "$BATS_TEST_DIRNAME/ibclog.bash"
	out=/dev/stdout
	echo start >>"$T/starts"
	SH
}

# gateway_script: $T/gw.sh, a gateway that starts a fresh session, waits
# for the second factor until $T/approved exists, then logs in and runs.
# Each start appends a line to $T/starts.
gateway_script() {
	{ gw_head; cat <<-SH
	ibclog_session_cold \$out
	ibclog_login_attempt \$out 1
	ibclog_2fa_begin \$out
	while [ ! -f "$T/approved" ]; do sleep 0.05; done
	ibclog_2fa_approve \$out
	exec sleep 600
	SH
	} >"$T/gw.sh"
}

# count REGEX: lines of the log matching REGEX.
count() { grep -cE -- "$1" "$LOG" || true; }

# at_in SECS: a UTC "HH:MM:SS" SECS seconds from now.
at_in() { date -u -d "@$(( $(date +%s) + $1 ))" +%H:%M:%S; }

@test "-n names the login keys in one-line errors" {
	printf '%s\n' '{"services": [{"name": "gw", "external": true, "ibc_log": true}]}' >"$T/a.json"
	run -78 stack-init -n "$T/a.json"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"service 'gw': ibc_log: true means IBC's output is this service's own"* ]]
	printf '%s\n' '{"services": [{"name": "gw", "argv": ["x"], "ibc_log": true, "login": {"max_cold_per_hour": 99}}]}' >"$T/b.json"
	run -78 stack-init -n "$T/b.json"
	[[ "$output" == *"service 'gw': login.max_cold_per_hour: expected an integer from 0 to 60" ]]
	printf '%s\n' '{"services": [{"name": "gw", "argv": ["x"], "schedule": [{"at": "01:05", "tz": "UTC", "action": "login"}]}]}' >"$T/c.json"
	run -78 stack-init -n "$T/c.json"
	[[ "$output" == *"service 'gw': schedule[0].action: \"login\" needs \"ibc_log\""* ]]
	printf '%s\n' '{"services": [{"name": "gw", "argv": ["x"], "ibc_log": true, "login": {"remind": 60},
	  "schedule": [{"at": "01:05", "tz": "America/New_York", "days": "sun", "action": "login"}]}]}' >"$T/d.json"
	run -0 stack-init -n "$T/d.json"
	[ "$output" = "configuration OK" ]
}

@test "while the second factor is awaited: no restart (start period, schedule, ctl restart), reminders; after the login, normal behaviour" {
	gateway_script
	start_init '{"services": [
	  {"name": "gateway", "argv": ["bash", "'"$T"'/gw.sh"], "restart": "always", "backoff": 0,
	   "ready": {"argv": ["test", "-f", "'"$T"'/approved"], "interval": 0.2, "start_period": 1},
	   "schedule": [{"at": "'"$(at_in 3)"'", "tz": "UTC", "action": "restart"}],
	   "ibc_log": true, "login": {"remind": 1}}]}'
	wait_for_line "$LOG" '"level":"warning".*"event":"init\.login_state".*"state":"awaiting_2fa"' 10
	# the start period ends: a warning that says why, not a restart
	wait_for_line "$LOG" '"level":"warning".*"event":"init\.not_ready".*"login_pending":true' 10
	grep '"event":"init\.not_ready"' "$LOG" | grep -q 'waiting for the second factor'
	# the scheduled restart is skipped, with an event
	wait_for_line "$LOG" '"event":"init\.login_pending".*"suppressed":"scheduled restart"' 10
	# reminders, every second
	wait_until 10 bash -c "[ \$(grep -c '\"suppressed\":\"reminder\"' '$LOG') -ge 2 ]"
	grep '"suppressed":"reminder"' "$LOG" | head -1 | jq -e '.level == "warning" and (.message | test("waiting for the second factor on the operator.s phone; not restarting \\(attempt 1, approve by [0-9:]{8}\\)")) and (.fields.approve_by | test("Z$"))'
	# the operator's restart is refused too
	run -1 stack-init ctl restart gateway
	[[ "$output" == *"a login is pending"*"ctl login gateway --force"* ]]
	svc_is gateway '.login.state == "awaiting_2fa" and .login.pending == true and .login.attempts == 1 and .state == "starting"'
	# one process all along
	[ "$(wc -l <"$T/starts")" -eq 1 ]
	[ "$(count '"event":"init\.stopping"')" -eq 0 ]
	# approved: logged in, ready, reminders stop, restarts work again
	touch "$T/approved"
	wait_for_line "$LOG" '"event":"init\.login_state".*logged in.*"state":"idle"' 10
	wait_for_line "$LOG" '"event":"init\.ready"' 10
	n=$(count '"suppressed":"reminder"')
	svc_is gateway '.login.pending == false and .login.state == "idle"'
	stack-init ctl restart gateway
	wait_until 10 bash -c "[ \$(wc -l <'$T/starts') -eq 2 ]"
	wait_for_line "$LOG" '"event":"init\.stopping"' 5
	[ "$(count '"suppressed":"reminder"')" -eq "$n" ]
}

@test "health restart and ready_after_restart wait for a pending login" {
	{ gw_head; cat <<-SH
	ibclog_session_restart \$out
	ibclog_login_completed \$out
	touch "$T/up"
	while [ ! -f "$T/weekly" ]; do sleep 0.05; done
	rm -f "$T/up"
	ibclog_token_expired \$out
	ibclog_session_cold \$out
	ibclog_login_attempt \$out 1
	ibclog_2fa_begin \$out
	exec sleep 600
	SH
	} >"$T/gw.sh"
	start_init '{"services": [
	  {"name": "gateway", "argv": ["bash", "'"$T"'/gw.sh"], "restart": "always", "backoff": 0,
	   "ready": {"argv": ["test", "-f", "'"$T"'/up"], "interval": 0.2},
	   "health": {"interval": 0.2, "retries": 2, "action": "restart"},
	   "ready_after_restart": 1,
	   "ibc_log": true, "login": {"remind": 60}}]}'
	wait_for_line "$LOG" '"event":"init\.ready"' 10
	touch "$T/weekly"
	wait_for_line "$LOG" '"event":"init\.login_state".*not planned.*"state":"awaiting_2fa"' 10
	wait_for_line "$LOG" '"event":"init\.unhealthy"' 10
	wait_for_line "$LOG" '"event":"init\.login_pending".*"suppressed":"restart after failed health checks"' 5
	[ "$(count '"event":"init\.restart_requested"')" -eq 0 ]
	# the operator asks for a fresh login: the ready_after_restart alert
	# (1 s) waits for the login instead of going off
	run -0 stack-init ctl login gateway --force
	wait_for_line "$LOG" '"event":"init\.login_started".*"forced":true' 5
	wait_until 10 bash -c "[ \$(wc -l <'$T/starts') -eq 2 ]"
	wait_for_line "$LOG" '"event":"init\.login_pending".*"suppressed":"ready_after_restart"' 10
	[ "$(count '"event":"init\.not_ready_after_restart"')" -eq 0 ]
	[ "$(wc -l <"$T/starts")" -eq 2 ]
}

@test "cold relaunches are capped per hour; ctl login resumes over the cap" {
	{ gw_head; cat <<-SH
	ibclog_session_restart \$out
	ibclog_token_expired \$out
	exit 1
	SH
	} >"$T/gw.sh"
	start_init '{"services": [
	  {"name": "gateway", "argv": ["bash", "'"$T"'/gw.sh"], "restart": "always", "backoff": 0,
	   "crash_loop": {"failures": 100},
	   "ibc_log": true, "login": {"max_cold_per_hour": 2}}]}'
	wait_for_line "$LOG" '"level":"critical".*"event":"init\.cold_relaunch_capped"' 10
	grep '"event":"init\.cold_relaunch_capped"' "$LOG" | jq -e '.fields.max_per_hour == 2 and .fields.count == 2 and (.message | test("stack-init ctl login gateway"))'
	[ "$(count '"event":"init\.cold_relaunch",')" -eq 2 ]
	[ "$(wc -l <"$T/starts")" -eq 3 ]	# the first start and two relaunches
	svc_is gateway '.state == "held" and .login.hold == "cap" and .login.cold_relaunches == 2 and .login.cold == true'
	# held: nothing more happens on its own (a ctl status round trip
	# later, still three starts and one cap alert)
	stack-init ctl status >/dev/null
	[ "$(wc -l <"$T/starts")" -eq 3 ]
	[ "$(count '"event":"init\.cold_relaunch_capped"')" -eq 1 ]
	# ctl start does not get round the cap: it says what does
	run -1 stack-init ctl start gateway
	[[ "$output" == *"service 'gateway' is held: its cold relaunches reached login.max_cold_per_hour; 'stack-init ctl login gateway' relaunches it"* ]]
	# the operator's login goes over the cap, counted
	run -0 stack-init ctl login gateway
	wait_for_line "$LOG" '"event":"init\.login_started".*"trigger":"ctl"' 5
	wait_until 10 bash -c "[ \$(wc -l <'$T/starts') -ge 4 ]"
	grep '"event":"init\.cold_relaunch",' "$LOG" | tail -1 | jq -e '.fields.forced == true and .fields.count == 3'
	# and the next automatic one is capped again
	wait_until 10 bash -c "[ \$(grep -c 'init\\.cold_relaunch_capped' '$LOG') -eq 2 ]"
	[ "$(wc -l <"$T/starts")" -eq 4 ]
}

@test "a lock-out holds the relaunch until its wait has passed" {
	{ gw_head; cat <<-SH
	if [ "\$(wc -l <"$T/starts")" -eq 1 ]; then
		ibclog_login_attempt \$out 1
		ibclog_lockout \$out 0 3 2
		exit 1
	fi
	ibclog_login_attempt \$out 2
	ibclog_login_completed \$out
	exec sleep 600
	SH
	} >"$T/gw.sh"
	start_init '{"services": [
	  {"name": "gateway", "argv": ["bash", "'"$T"'/gw.sh"], "restart": "always", "backoff": 0,
	   "ibc_log": true}]}'
	wait_for_line "$LOG" '"level":"warning".*"event":"init\.locked_out".*not relaunching until [0-9:]{8}' 10
	svc_is gateway '.state == "held" and .login.hold == "locked_out" and .login.pending == true and (.login.locked_until | test("Z$"))'
	# a login now would make it worse: refused
	run -75 stack-init ctl login gateway
	[[ "$output" == *'"pending":true'* ]]
	wait_for_line "$LOG" '"event":"init\.login_refused"' 5
	wait_for_line "$LOG" '"event":"init\.login_state".*logged in.*"state":"idle"' 10
	[ "$(wc -l <"$T/starts")" -eq 2 ]
	# relaunched only once the 3 s wait had passed
	locked=$(ts_of '"event":"init\.login_state".*"state":"locked_out"')
	second=$(grep '"event":"init\.started","message":"gateway: started' "$LOG" | sed -n 2p | jq -r .ts)
	second=$(date -d "$second" +%s%3N)
	echo "relaunched $((second - locked)) ms after the lock-out"
	[ $((second - locked)) -ge 2900 ]
}

@test "ctl login: refused while the second factor is awaited (exit 75), accepted with --force" {
	gateway_script
	start_init '{"services": [
	  {"name": "gateway", "argv": ["bash", "'"$T"'/gw.sh"], "restart": "always", "backoff": 0,
	   "ready": {"argv": ["test", "-f", "'"$T"'/approved"], "interval": 0.2},
	   "ibc_log": true},
	  {"name": "plain", "argv": ["sleep", "600"]}]}'
	wait_for_line "$LOG" '"event":"init\.login_state".*"state":"awaiting_2fa"' 10
	run -75 stack-init ctl login gateway
	echo "$output" | grep '^{' | jq -e '.ok == false and .pending == true and (.error | test("a login is pending, waiting for the second factor"))'
	[[ "$output" == *"ctl login gateway --force"* ]]
	wait_for_line "$LOG" '"event":"init\.login_refused"' 5
	[ "$(wc -l <"$T/starts")" -eq 1 ]
	# no ibc_log: nothing to log in
	run -1 stack-init ctl login plain
	[[ "$output" == *"service 'plain' has no \"ibc_log\""* ]]
	run -64 stack-init ctl restart gateway --force
	# forced: a fresh push (the process restarted), planned from now on
	run -0 stack-init ctl login gateway --force
	wait_for_line "$LOG" '"event":"init\.login_started".*"forced":true' 5
	wait_until 10 bash -c "[ \$(wc -l <'$T/starts') -eq 2 ]"
	wait_for_line "$LOG" '"event":"init\.login_state".*"state":"awaiting_2fa".*"expected":true' 10
	touch "$T/approved"
	wait_for_line "$LOG" '"event":"init\.restart_completed".*"login":true' 10
	grep '"event":"init\.restart_completed"' "$LOG" | grep -q 'after its login (ctl)'
	# logged in: a login is no longer refused
	run -0 stack-init ctl login gateway
	wait_until 10 bash -c "[ \$(wc -l <'$T/starts') -eq 3 ]"
}

@test "an external gateway's IBC log file: pending from its lines; a planned login sends IBC STOP" {
	port=$(free_port)
	fake-ibc --port "$port" --log "$T/ibc.log" >"$T/ibc.out" 2>&1 3>&- &
	IBC_PID=$!
	wait_for_line "$T/ibc.out" 'fake\.listening' 5
	start_init '{"services": [
	  {"name": "gateway", "external": true,
	   "restart_action": {"ibc": "127.0.0.1:'"$port"'", "timeout": 5},
	   "ibc_log": "'"$T"'/ibc-log/ibc.log", "login": {"remind": 60}}]}'
	wait_for_line "$LOG" '"event":"init\.ibc_log".*following' 5
	# the container starts writing its log after stack-init started
	mkdir "$T/ibc-log"
	ibclog_session_cold "$T/ibc-log/ibc.log"
	ibclog_login_attempt "$T/ibc-log/ibc.log" 1
	ibclog_2fa_begin "$T/ibc-log/ibc.log"
	wait_for_line "$LOG" '"event":"init\.login_state".*"state":"awaiting_2fa"' 10
	svc_is gateway '.login.state == "awaiting_2fa" and .login.pending == true'
	run -1 stack-init ctl restart gateway
	[[ "$output" == *"a login is pending"* ]]
	[ ! -s "$T/ibc.log" ]
	ibclog_2fa_approve "$T/ibc-log/ibc.log"
	wait_for_line "$LOG" '"event":"init\.login_state".*logged in' 10
	# Sunday's planned login, now: STOP, not RESTART
	stop_pid "$INIT_PID"
	: >"$LOG"
	start_init '{"services": [
	  {"name": "gateway", "external": true,
	   "restart_action": {"ibc": "127.0.0.1:'"$port"'", "timeout": 5},
	   "schedule": [{"at": "'"$(at_in 3)"'", "tz": "UTC", "action": "login"}],
	   "ibc_log": "'"$T"'/ibc-log/ibc.log"}]}'
	wait_for_line "$LOG" '"level":"warning".*"event":"init\.login_started".*"planned":true' 10
	grep '"event":"init\.login_started"' "$LOG" | jq -e '.fields.trigger == "schedule" and .fields.method == "ibc" and (.message | test("planned login \\(IBC STOP"))'
	wait_for_line "$LOG" '"event":"init\.restart_action".*IBC: OK' 10
	[ "$(cat "$T/ibc.log")" = "STOP" ]
	svc_is gateway '.login.expected == true'
	# the container comes back and logs in: planned, as the event says
	ibclog_session_cold "$T/ibc-log/ibc.log"
	ibclog_login_attempt "$T/ibc-log/ibc.log" 1
	ibclog_2fa_begin "$T/ibc-log/ibc.log"
	wait_for_line "$LOG" '"event":"init\.login_state".*a planned login.*"state":"awaiting_2fa"' 10
}
