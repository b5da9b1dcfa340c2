#!/usr/bin/env bats
# health-mon's login component (docs/health-mon.md "LOGIN") against a fake
# IBC log (lines appended to a file health-mon follows), gw-sim for the API
# side, and the real discord-notify in front of fake-discord, which counts
# the alerts (level and text). Loopback only; every wait is on an event
# with a deadline. Short windows (2FA 3 s, budgets of seconds) make each
# scenario run in seconds.
load notify
load ibclog
bats_require_minimum_version 1.5.0

setup() {
	notify_setup
	{ read -r PORT; read -r HTTP; } < <(free_port 2)
	SIM_PID= HM_PID=
	HM_LOG=$T/hm.log
	IBC=$T/ibc.log
	: >"$IBC"
	unset HEALTH_CONFIG HEALTH_INTERVAL GATEWAY_HOST GATEWAY_PORT
	start_fake
	start_notify --coalesce-window 0
	start_sim "$PORT" --control "$T/sim.sock"
	wait_listening
}

teardown() {
	stop_pid "$HM_PID" "$SIM_PID"
	notify_teardown "$NOTIFY_PID" "$FAKE_PID"
	reap_test_procs
}

sim() { echo "$*" | socat - "UNIX-CONNECT:$T/sim.sock" >/dev/null; }

# ibc_say TEXT: one line as IBC writes it; ibc_raw TEXT: as ibcstart.sh
# echoes it (tests/integration/ibclog.bash).
ibc_say() { ibclog_line "$IBC" "$*"; }
ibc_raw() { ibclog_raw "$IBC" "$*"; }

# ny FMT [SECONDS]: now (+SECONDS) in New York time, as date(1) FMT.
ny() { TZ=America/New_York date -d "@$(($(date +%s) + ${2:-0}))" "+$1"; }

# A weekly slot two days away (nothing now is planned) or around now.
far_weekly() { echo "{\"day\": \"$(ny %a 172800 | tr A-Z a-z)\", \"at\": \"12:00\"}"; }
weekly_at() { echo "{\"day\": \"$(ny %a "$1" | tr A-Z a-z)\", \"at\": \"$(ny %H:%M:%S "$1")\"}"; }

# hm_config LOGIN_KEYS: the file, with the login object's keys added.
hm_config() {
	cat >"$T/hm.json" <<-EOF
	{"interval": 0.2, "thresholds": {"fail": 1},
	 "checks": [{"kind": "gateway", "port": $PORT, "timeout": 1}],
	 "login": {"ibc_log": "$IBC", "twofa_window": 3, "max_attempts": 2, $1}}
	EOF
	export HEALTH_CONFIG=$T/hm.json
}

start_hm() {
	health-mon "$@" >"$HM_LOG" 2>&1 3>&- &
	HM_PID=$!
	wait_for_line "$HM_LOG" '"event":"health\.ibc_log".*following' 10
}

# wait_state S: health-mon said the login is in state S.
wait_state() { wait_for_line "$HM_LOG" "\"event\":\"health\\.login[.a-z]*\".*\"state\":\"$1\"" "${2:-10}"; }

# The login's states in order (repeats folded).
states() {
	grep -E '"event":"health\.login(\.ready)?"' "$HM_LOG" | jq -r .fields.state |
		uniq | paste -sd' '
}

# finish N: N embeds reached fake-discord, then stop health-mon and the
# notifier (both flush), so the count is final.
finish() {
	wait_stored "$1" 20
	stop_pid "$HM_PID"
	HM_PID=
	stop_notify
}

# The alerts as stored: "level alert: description", one per line.
alerts() {
	[ -f "$T/store.jsonl" ] || return 0
	jq -r '.embeds[] | "\(.footer.text | split(" · ")[0]) \(.description)"' "$T/store.jsonl"
}

@test "-n: the login keys are validated, each error names its key; --ibc-log" {
	hm_config "\"weekly\": $(far_weekly)"
	run health-mon -n
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	hm_config '"weekly": {"day": "someday", "at": "17:00"}'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *"login.weekly.day: 'someday' is not one of"* ]]
	hm_config '"weekly": {"day": "sun", "at": "25:00"}'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *"login.weekly: time '25:00'"* ]]
	hm_config '"weekly": {"day": "sun"}'
	run health-mon -n
	[[ "$output" == *"login.weekly.at: missing"* ]]
	hm_config '"warn_before": [3600, "soon"]'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *"login.warn_before[1]: expected seconds"* ]]
	hm_config '"upstream_warn": 600, "upstream_crit": 300'
	run health-mon -n
	[[ "$output" == *"login.upstream_crit: 300 is below upstream_warn (600)"* ]]
	hm_config '"reset_windows": [{"days": "daily", "from": "23:45", "to": "23:45"}]'
	run health-mon -n
	[ "$status" -eq 78 ]
	[[ "$output" == *"login.reset_windows[0]: from and to are the same time"* ]]
	hm_config '"reset_windows": [{"days": "fri", "from": "23:00"}]'
	run health-mon -n
	[[ "$output" == *"login.reset_windows[0].to: missing"* ]]
	hm_config '"restart_budget": 0'
	run health-mon -n
	[[ "$output" == *"login.restart_budget: 0 is not in 1..86400"* ]]
	hm_config '"bogus": 1'
	run health-mon -n
	[[ "$output" == *"login.bogus: unknown key"* ]]
	unset HEALTH_CONFIG
	run health-mon -n --ibc-log -
	[ "$status" -eq 0 ]
	run health-mon -n --ibc-log ''
	[ "$status" -eq 64 ]
	[[ "$output" == *"--ibc-log: a path of"* ]]
}

@test "weekly login approved in time: WARNING at both leads, CRITICAL with the deadline, resolved on ready" {
	# the slot 10 s from now, warnings 6 and 3 s before it
	slot=$(($(date +%s) + 10))
	hm_config "\"weekly\": $(weekly_at $((slot - $(date +%s)))), \"warn_before\": [6, 3]"
	start_hm --http "127.0.0.1:$HTTP"
	wait_state ready
	wait_state weekly_due 15
	wait_for_line "$HM_LOG" 'in 3 s.*"alert":"weekly"' 10
	# the slot: the gateway goes down for its planned cold start (an
	# expected restart: no alert), then IBC's lines ask for the 2FA
	wait_until 10 bash -c "[ \$(date +%s) -ge $((slot - 1)) ]"
	sim fault not-logged-in
	wait_state restarting
	wait_until 10 bash -c "[ \$(date +%s) -ge $((slot + 1)) ]"
	ibc_raw "autorestart file not found: full authentication will be required"
	ibc_say "Second Factor Authentication initiated"
	wait_state awaiting_2fa
	curl -s "http://127.0.0.1:$HTTP/metrics" >"$T/metrics"
	promtool check metrics <"$T/metrics"
	grep -qx 'gwkit_login_state{state="awaiting_2fa"} 1' "$T/metrics"
	grep -qx 'gwkit_login_state{state="ready"} 0' "$T/metrics"
	grep -q '^gwkit_login_deadline_timestamp_seconds ' "$T/metrics"
	curl -s "http://127.0.0.1:$HTTP/" | grep -q '<td class="st unhealthy">awaiting_2fa</td>'
	sim fault none
	ibc_say "Login has completed"
	wait_for_line "$HM_LOG" '"event":"health\.login\.ready"' 10
	curl -s "http://127.0.0.1:$HTTP/metrics" | tee "$T/metrics" | grep '^gwkit_login_state{'
	grep -qx 'gwkit_login_state{state="ready"} 1' "$T/metrics"
	finish 4
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 4 ]
	grep -q '^warning weekly login at .* ET (in 6 s): keep your phone at hand, approve within 3 s$' "$T/alerts"
	grep -q '^warning weekly login at .* ET (in 3 s)' "$T/alerts"
	grep -Eq '^critical planned login: approve the IBKR push on your phone by [0-9]{2}:[0-9]{2}:[0-9]{2} ET' "$T/alerts"
	grep -Eq '^info logged in [0-9]{2}:[0-9]{2} ET, API ready$' "$T/alerts"
	states
	# (ready again between weekly_due and restarting when the slot passes
	# before a check sees the gateway down: a loaded machine's timing)
	[[ "$(states)" =~ ^"ready weekly_due"( ready)?" restarting awaiting_2fa"( restarting)?" ready"$ ]]
	jq -se '[.[] | select(.event == "health.login" and .fields.state == "awaiting_2fa")][0].fields.planned == true' \
		<(grep '"event":"health.login' "$HM_LOG")
}

@test "approval missed then retried: attempt 2 in the same episode, stop after max_attempts, one resolution" {
	hm_config "\"weekly\": $(weekly_at -60)"	# inside the planned slot
	start_hm
	wait_state ready
	ibc_say "Second Factor Authentication initiated"
	wait_state awaiting_2fa
	sim fault not-logged-in
	ibc_say "Duration since login: 181 seconds"
	ibc_say "Re-login after second factor authentication timeout in 5 second"
	ibc_say "Login attempt: 2"
	ibc_say "Second Factor Authentication initiated"
	wait_state 2fa_retrying
	# attempt 2's 3 s pass: stop
	wait_for_line "$HM_LOG" '"alert":"stop"' 10
	# the operator's retry later: a third push, no more alerts; approved
	ibc_say "Re-login after second factor authentication timeout in 5 second"
	ibc_say "Second Factor Authentication initiated"
	wait_for_line "$HM_LOG" '"attempt":3' 10
	sim fault none
	ibc_say "Login has completed"
	wait_for_line "$HM_LOG" '"event":"health\.login\.ready"' 10
	finish 4
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 4 ]
	[ "$(sed -n 1p "$T/alerts" | cut -c1-40)" = "critical planned login: approve the IBKR" ]
	sed -n 2p "$T/alerts" | grep -q '^critical 2FA attempt 2 of 2: the last push was not approved; approve the new IBKR push on your phone by'
	sed -n 3p "$T/alerts" | grep -qx 'critical stop: 2 pushes unanswered, automatic retries stopped; run `stack-init ctl login gateway` when ready'
	sed -n 4p "$T/alerts" | grep -q '^info logged in .* ET, API ready$'
	states
	[[ "$(states)" =~ "awaiting_2fa 2fa_retrying"( restarting)?" ready"$ ]]
}

@test "stuck at the dialog: CRITICAL with the exact fix, once" {
	hm_config "\"weekly\": $(weekly_at -60)"
	start_hm
	wait_state ready
	ibc_say "Second Factor Authentication initiated"
	wait_state awaiting_2fa
	sim fault not-logged-in
	ibc_say "Duration since login: 181 seconds"
	ibc_say "Re-login after second factor authentication timeout not required"
	wait_state stuck_login
	# many more checks, and the same state says nothing more
	n=$(grep -c '"component":"gateway"' "$HM_LOG")
	wait_until 10 bash -c "[ \$(grep -c '\"component\":\"gateway\"' '$HM_LOG') -ge $((n + 10)) ]"
	[ "$(grep -c '"alert":"stuck"' "$HM_LOG")" -eq 1 ]
	sim fault none
	ibc_say "Login has completed"
	wait_for_line "$HM_LOG" '"event":"health\.login\.ready"' 10
	finish 3
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 3 ]
	grep -q '^critical stuck at the login dialog: IBC waits after a 2FA timeout and will not log in again by itself. Fix: when you can approve within 3 minutes, run `stack-init ctl login gateway` (or restart the gateway container) for one new push' "$T/alerts"
	states
	[[ "$(states)" =~ "awaiting_2fa stuck_login"( restarting)?" ready"$ ]]
}

@test "lock-out: WARNING with the wait's end, no restarts until then" {
	hm_config "\"weekly\": $(far_weekly)"
	start_hm
	wait_state ready
	ibc_say "Too many failed login attempts. Please wait 10 minutes & 0 seconds before trying again"
	wait_state locked_out
	sim fault not-logged-in
	finish 1
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 1 ]
	# until = now + 600 s, said in New York time (HH:MM, this or the next minute)
	a=$(ny %H:%M 600) b=$(ny %H:%M 660)
	grep -Eq "^warning too many failed logins, wait until ($a|$b) ET; no restarts until then$" "$T/alerts"
}

@test "unexpected mid-week login: 'session lost mid-week' for the cold login and its push, resolved" {
	hm_config "\"weekly\": $(far_weekly)"
	start_hm
	wait_state ready
	ibc_raw "autorestart file not found: full authentication will be required"
	ibc_say "Starting session: will exit if login dialog is not displayed within 60 seconds"
	wait_state unexpected_login
	sim fault not-logged-in
	ibc_say "Second Factor Authentication initiated"
	wait_for_line "$HM_LOG" 'approve the IBKR push.*"alert":"unexpected"' 10
	sim fault none
	ibc_say "Login has completed"
	wait_for_line "$HM_LOG" '"event":"health\.login\.ready"' 10
	finish 3
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 3 ]
	sed -n 1p "$T/alerts" | grep -q '^critical session lost mid-week: the gateway is doing a full login outside the planned slot'
	sed -n 2p "$T/alerts" | grep -Eq '^critical session lost mid-week: unexpected login outside the planned slot; approve the IBKR push on your phone by [0-9:]{8} ET$'
	sed -n 3p "$T/alerts" | grep -q '^info logged in'
	states
	[[ "$(states)" =~ ^"ready unexpected_login"( unknown)?" ready"$ ]]
	jq -se 'all(.[] | select(.event == "health.login" and .fields.state == "unexpected_login"); .fields.planned == false)' \
		<(grep '"event":"health.login' "$HM_LOG")
}

@test "competing session: WARNING at once, resolved when the gateway logs in again" {
	hm_config "\"weekly\": $(far_weekly)"
	start_hm
	wait_state ready
	ibc_say "Existing session detected: User must choose whether to continue with this session"
	wait_state competing
	sim fault not-logged-in
	sim fault none
	ibc_say "Login has completed"
	wait_for_line "$HM_LOG" '"event":"health\.login\.ready"' 10
	finish 2
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 2 ]
	grep -q "^warning someone logged in with the gateway's user elsewhere" "$T/alerts"
	states
	[[ "$(states)" =~ ^"ready competing"( unknown)?" ready"$ ]]
}

@test "a nightly 1100 inside the reset window: upstream_down, and no alert past its durations" {
	hm_config "\"weekly\": $(far_weekly), \"upstream_warn\": 1, \"upstream_crit\": 2,
	    \"reset_windows\": [{\"days\": \"daily\", \"from\": \"$(ny %H:%M -120)\", \"to\": \"$(ny %H:%M 600)\"}]"
	start_hm
	wait_state ready
	sim upstream-lost
	wait_state upstream_down
	jq -se '[.[] | select(.event == "health.login" and .fields.state == "upstream_down")][0].fields.in_reset_window == true' \
		<(grep '"event":"health.login' "$HM_LOG")
	# past upstream_crit (2 s): still nothing said
	t0=$(date +%s)
	wait_until 10 bash -c "[ \$(date +%s) -ge $((t0 + 4)) ]"
	refute grep -Eq '"level":"(warning|critical)".*"event":"health\.login' "$HM_LOG"
	sim upstream-restored 1102
	wait_for_line "$HM_LOG" '"event":"health\.login".*"state":"ready","prev":"upstream_down"' 10
	stop_pid "$HM_PID"
	HM_PID=
	stop_notify
	[ "$(stored_count)" -eq 0 ]
	refute grep -q '"event":"health.login.ready"' "$HM_LOG"
}

@test "the same 1100 outside the reset windows: WARNING, then CRITICAL by duration, resolved on 1102" {
	hm_config "\"weekly\": $(far_weekly), \"upstream_warn\": 1, \"upstream_crit\": 2,
	    \"reset_windows\": [{\"days\": \"daily\", \"from\": \"$(ny %H:%M 3600)\", \"to\": \"$(ny %H:%M 3660)\"}]"
	start_hm
	wait_state ready
	sim upstream-lost
	wait_state upstream_down
	wait_for_line "$HM_LOG" '"level":"critical".*"alert":"upstream"' 10
	sim upstream-restored 1102
	wait_for_line "$HM_LOG" '"event":"health\.login\.ready"' 10
	finish 3
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 3 ]
	sed -n 1p "$T/alerts" | grep -q "^warning IB servers unreachable from the gateway for 1 s (1100 without 1101/1102), outside IBKR's reset windows"
	sed -n 2p "$T/alerts" | grep -q "^critical IB servers unreachable from the gateway for 2 s"
}

@test "restarting: no alert within the budget; past it CRITICAL 'did not come back'; stdin as the IBC log" {
	# a fake init.sock: the gateway service is "starting" until told otherwise
	echo starting >"$T/gwstate"
	python3 - "$GWKIT_RUNTIME_DIR/init.sock" "$T/gwstate" <<'PY' &
import json, socket, sys
path, statefile = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    c.makefile().readline()
    st = open(statefile).read().strip()
    c.sendall((json.dumps({"ok": True, "services": [{"name": "gateway", "state": st,
        "pid": 1, "uptime_s": 1, "restarts": 1, "last_exit": None, "ready": st == "ready",
        "external": True, "next_restart": None}]}) + "\n").encode())
    c.close()
PY
	FAKE_INIT=$!
	wait_until 10 test -S "$GWKIT_RUNTIME_DIR/init.sock"
	cat >"$T/hm.json" <<-EOF
	{"interval": 0.2, "thresholds": {"fail": 3},
	 "checks": [{"kind": "gateway", "port": $PORT, "timeout": 1}, {"kind": "init", "timeout": 1}],
	 "login": {"restart_budget": 3, "weekly": $(far_weekly)}}
	EOF
	export HEALTH_CONFIG=$T/hm.json
	sim fault not-logged-in
	# IBC's log on stdin: a FIFO kept open by this shell
	mkfifo "$T/ibc.fifo"
	exec 5<>"$T/ibc.fifo"
	health-mon --ibc-log - <"$T/ibc.fifo" >"$HM_LOG" 2>&1 &
	HM_PID=$!
	wait_state restarting
	t0=$(date +%s)
	# within the budget: nothing
	wait_until 10 bash -c "[ \$(date +%s) -ge $((t0 + 2)) ]"
	refute grep -q '"alert":"budget"' "$HM_LOG"
	wait_for_line "$HM_LOG" '"level":"critical".*"alert":"budget"' 10
	echo "$(date '+%Y-%m-%d %H:%M:%S:000') IBC: Login has completed" >&5
	echo ready >"$T/gwstate"
	sim fault none
	wait_for_line "$HM_LOG" '"event":"health\.login\.ready"' 10
	finish 2
	exec 5>&-
	kill "$FAKE_INIT"
	alerts | tee "$T/alerts"
	[ "$(wc -l <"$T/alerts")" -eq 2 ]
	grep -q '^critical gateway did not come back: still restarting 3 s after the restart began (stack-init is restarting the gateway)$' "$T/alerts"
	grep -q '^info logged in' "$T/alerts"
	grep -q '"event":"health.ibc_log".*stdin' "$HM_LOG"
}
