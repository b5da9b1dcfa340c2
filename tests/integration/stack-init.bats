#!/usr/bin/env bats
# stack-init: start order with readiness, restart policies, backoff, crash
# loops, reaping, exit statuses, ordered shutdown, SIGKILL escalation,
# scheduled restarts (signal and IBC actions), the control socket.
# Loopback only; every wait polls the log or the control socket with a
# deadline.

load init

@test "-n, --help, --version, usage and configuration errors" {
	printf '%s\n' '{"services":[{"name":"a","argv":["true"]}]}' >"$T/ok.json"
	run stack-init -n "$T/ok.json"
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	printf '{"services": [\n  {"name": "a",, "argv": ["true"]}\n]}\n' >"$T/bad.json"
	run stack-init -n "$T/bad.json"
	[ "$status" -eq 78 ]
	[[ "$output" == "stack-init: $T/bad.json:2:16: "* ]]
	printf '%s\n' '{"services":[{"name":"bot","argv":["true"],"depends_on":["gatway"]}]}' >"$T/bad2.json"
	run stack-init -n "$T/bad2.json"
	[ "$status" -eq 78 ]
	[[ "$output" == *"unknown service 'gatway'"* ]]
	printf '%s\n' '{"services":[{"name":"a","argv":["true"],"depends_on":["b"]},{"name":"b","argv":["true"],"depends_on":["a"]}]}' >"$T/cyc.json"
	run stack-init -n "$T/cyc.json"
	[ "$status" -eq 78 ]
	[[ "$output" == *"cycle"* ]]
	run stack-init
	[ "$status" -eq 64 ]
	run stack-init --bogus x.json
	[ "$status" -eq 64 ]
	run stack-init --help
	[ "$status" -eq 0 ]
	run stack-init --version
	[[ "$output" =~ ^stack-init\ gwkit\ [0-9.]+$ ]]
	run stack-init ctl status
	[ "$status" -eq 69 ]
}

@test "a dependent with condition ready starts only after gw-sim's login delay and gw-probe passing" {
	port=$(free_port)
	start_init '{"services": [
	  {"name": "gateway", "argv": ["gw-sim", "--port", "'"$port"'", "--login-delay", "2", "--log-level", "warning"],
	   "ready": {"argv": ["gw-probe", "-q", "--port", "'"$port"'", "--timeout", "1"], "interval": 0.2, "timeout": 2, "start_period": 30},
	   "restart": "always"},
	  {"name": "bot", "argv": ["sh", "-c", "gw-probe --port '"$port"'; exec sleep 60"],
	   "depends_on": [{"service": "gateway", "condition": "ready"}]}]}'
	wait_for_line "$LOG" '^bot \| ready 127\.0\.0\.1' 15
	t_gw=$(ts_of '"event":"init\.started".*gateway: started')
	t_ready=$(ts_of '"event":"init\.ready".*"service":"gateway"')
	t_bot=$(ts_of '"event":"init\.started".*bot: started')
	[ $((t_ready - t_gw)) -ge 1900 ]	# the login delay
	[ "$t_bot" -ge "$t_ready" ]
	status_of gateway | jq -e '.state == "ready" and .ready == true'
}

@test "restart policies: no, on-failure, always, unless-stopped" {
	start_init '{"services": [
	  {"name": "no", "argv": ["sh", "-c", "exit 3"], "restart": "no"},
	  {"name": "onfail-ok", "argv": ["sh", "-c", "exit 0"], "restart": "on-failure"},
	  {"name": "onfail-bad", "argv": ["sh", "-c", "sleep 0.2; exit 1"], "restart": "on-failure", "backoff": 0},
	  {"name": "always", "argv": ["sh", "-c", "sleep 0.2; exit 0"], "restart": "always", "backoff": 0},
	  {"name": "unless", "argv": ["sleep", "60"], "restart": "unless-stopped"}]}'
	wait_for_line "$LOG" 'onfail-bad: started.*' 5
	wait_until 10 bash -c "[ \$(grep -c 'always: started' '$LOG') -ge 3 ]"
	wait_until 10 bash -c "[ \$(grep -c 'onfail-bad: started' '$LOG') -ge 3 ]"
	[ "$(grep -c '"no: started' "$LOG")" -eq 1 ]
	[ "$(grep -c '"onfail-ok: started' "$LOG")" -eq 1 ]
	status_of no | jq -e '.state == "exited" and .last_exit.code == 3'
	status_of onfail-ok | jq -e '.state == "exited" and .last_exit.code == 0'
	stack-init ctl stop unless
	wait_until 5 svc_is unless '.state == "down"'
	run stack-init ctl start unless
	[ "$status" -eq 0 ]
	wait_until 5 svc_is unless '.state == "ready"'
}

@test "backoff doubles from its initial delay; 0 respawns at once" {
	start_init '{"services": [
	  {"name": "crash", "argv": ["false"], "restart": "always",
	   "backoff": {"initial": 0.2, "max": 5, "reset_after": 10},
	   "crash_loop": {"failures": 100, "window": 60}}]}'
	wait_until 20 bash -c "[ \$(grep -c 'crash: started' '$LOG') -ge 4 ]"
	mapfile -t t < <(grep 'crash: started' "$LOG" | head -n 4 | jq -r .ts | while read -r ts; do date -d "$ts" +%s%3N; done)
	d1=$((t[1] - t[0])); d2=$((t[2] - t[1])); d3=$((t[3] - t[2]))
	echo "delays ${d1} ${d2} ${d3} ms"	# shown when the test fails
	# the lower bounds are the doubling; the upper ones only rule out a
	# jump to the cap (5 s), with room for a loaded machine
	[ "$d1" -ge 200 ]
	[ "$d1" -lt 1700 ]
	[ "$d2" -ge 400 ]
	[ "$d2" -lt 1900 ]
	[ "$d3" -ge 800 ]
	[ "$d3" -lt 2300 ]
}

@test "crash loop: a critical alert; give_up makes it fatal; a critical fatal service ends stack-init with its code" {
	start_init '{"services": [
	  {"name": "loop", "argv": ["sh", "-c", "exit 7"], "restart": "always", "backoff": 0, "critical": true,
	   "crash_loop": {"failures": 3, "window": 10, "give_up": true}},
	  {"name": "other", "argv": ["sleep", "60"]}]}'
	wait_for_line "$LOG" '"level":"critical".*"event":"init\.crash_loop".*loop: crash loop: 3 failures' 10
	wait_exit "$INIT_PID"
	INIT_PID=
	[ "$EXIT_STATUS" -eq 7 ]
	grep -q '"event":"init\.stopped".*other: stopped' "$LOG"
}

@test "exit codes 0-255 and deaths by signal are reported" {
	start_init '{"services": [
	  {"name": "c0", "argv": ["sh", "-c", "exit 0"], "restart": "no"},
	  {"name": "c1", "argv": ["sh", "-c", "exit 1"], "restart": "no"},
	  {"name": "c127", "argv": ["sh", "-c", "exit 127"], "restart": "no"},
	  {"name": "c200", "argv": ["sh", "-c", "exit 200"], "restart": "no"},
	  {"name": "c255", "argv": ["sh", "-c", "exit 255"], "restart": "no"},
	  {"name": "killed", "argv": ["sh", "-c", "kill -KILL $$"], "restart": "no"},
	  {"name": "segv", "argv": ["sh", "-c", "kill -SEGV $$"], "restart": "no"}]}'
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"init\\.exited\"' '$LOG') -ge 7 ]"
	for c in 0 1 127 200 255; do
		status_of "c$c" | jq -e ".last_exit.code == $c"
	done
	status_of killed | jq -e '.last_exit.signal == "KILL" and .last_exit.code == 137'
	status_of segv | jq -e '.last_exit.signal == "SEGV" and .last_exit.code == 139'
	grep -q 'killed: exited (signal KILL)' "$LOG"
}

@test "orphans are reaped: no zombies under stack-init" {
	printf '%s\n' '{"services": [
	  {"name": "parent", "argv": ["sh", "-c", "for i in 1 2 3 4 5; do (sleep 2 &) ; done; exec sleep 60"]}]}' >"$T/stack.json"
	stack-init --log-level debug "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" 'parent: started' 5
	# the orphaned sleeps are adopted by stack-init (a child subreaper) ...
	wait_until 5 bash -c "[ \$(ps -o pid= --ppid $INIT_PID | wc -l) -ge 2 ]"
	# ... and reaped when they exit: five init.reaped events, no zombies
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"init\\.reaped\"' '$LOG') -eq 5 ]"
	[ "$(ps -o stat= --ppid "$INIT_PID" | grep -c Z)" -eq 0 ]
	[ "$(ps -o pid= --ppid "$INIT_PID" | wc -l)" -eq 1 ]
}

@test "SIGTERM stops dependents first, escalates to SIGKILL after stop_timeout, exits 0" {
	start_init '{"services": [
	  {"name": "base", "argv": ["sleep", "60"]},
	  {"name": "stubborn", "argv": ["sh", "-c", "trap \"\" TERM; while :; do sleep 0.1; done"], "stop_timeout": 0.5,
	   "depends_on": ["base"]},
	  {"name": "top", "argv": ["sleep", "60"], "depends_on": ["stubborn"]}]}'
	wait_for_line "$LOG" 'top: started' 5
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID"
	INIT_PID=
	[ "$EXIT_STATUS" -eq 0 ]
	grep -q '"event":"init\.killed".*stubborn' "$LOG"
	t_top=$(ts_of 'top: stopped')
	t_stub=$(ts_of 'stubborn: stopped')
	t_base=$(ts_of 'base: stopped')
	[ "$t_top" -le "$t_stub" ]
	[ "$t_stub" -le "$t_base" ]
	[ $((t_stub - t_top)) -ge 450 ]
}

@test "readiness by notification fd" {
	start_init '{"services": [
	  {"name": "svc", "argv": ["sh", "-c", "sleep 0.3; echo >&5; exec sleep 60"], "ready": {"notify_fd": 5}},
	  {"name": "after", "argv": ["sleep", "60"], "depends_on": [{"service": "svc", "condition": "ready"}]}]}'
	wait_for_line "$LOG" 'after: started' 5
	t0=$(ts_of 'svc: started')
	t1=$(ts_of '"event":"init\.ready".*svc: ready')
	[ $((t1 - t0)) -ge 250 ]
}

@test "output passes through, each line prefixed with the service name" {
	start_init '{"services": [
	  {"name": "talker", "argv": ["sh", "-c", "echo one; echo two >&2; printf partial; exec sleep 60"]}]}'
	wait_for_line "$LOG" '^talker \| one$' 5
	wait_for_line "$LOG" '^talker \| two$' 5
}

@test "control socket: 0600, status lines, start/stop/restart, errors" {
	start_init '{"services": [{"name": "s", "argv": ["sleep", "60"]}]}'
	wait_for_line "$LOG" 's: started' 5
	[ "$(stat -c %a "$GWKIT_RUNTIME_DIR/init.sock")" = 600 ]
	run stack-init ctl status
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e -s 'length == 1 and (.[0] | .ok == true and (.services | length) == 1 and (.services[0] |
	    .name == "s" and .state == "ready" and (.pid | type) == "number" and .restarts == 0))' <<<"$output"
	run stack-init ctl restart s
	[ "$status" -eq 0 ]
	wait_until 5 svc_is s '.restarts == 1 and .state == "ready"'
	run stack-init ctl stop nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown service 'nosuch'"* ]]
	run stack-init ctl frobnicate s
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown verb 'frobnicate'"* ]]
}

@test "a scheduled restart a few seconds ahead: gw-sim restarts and its dependent reconnects" {
	port=$(free_port)
	fire=$(( $(date +%s) + 8 ))	# the gateway is ready first, even on a loaded machine
	at=$(date -u -d "@$fire" +%H:%M:%S)
	start_init '{"services": [
	  {"name": "gateway", "argv": ["gw-sim", "--port", "'"$port"'", "--login-delay", "1", "--log-level", "warning"],
	   "ready": {"argv": ["gw-probe", "-q", "--port", "'"$port"'", "--timeout", "1"], "interval": 0.2, "timeout": 2, "start_period": 30},
	   "restart": "always", "backoff": 0,
	   "schedule": [{"at": "'"$at"'", "tz": "UTC", "days": "daily", "action": "restart"}],
	   "restart_action": {"signal": "TERM"}, "ready_after_restart": 20},
	  {"name": "bot", "argv": ["sh", "-c", "while :; do if gw-probe -q --port '"$port"' --timeout 1; then s=up; else s=down; fi; [ \"$s\" != \"$l\" ] && echo \"gateway $s\"; l=$s; sleep 0.1; done"],
	   "depends_on": [{"service": "gateway", "condition": "ready"}]}]}'
	wait_for_line "$LOG" '^bot \| gateway up$' 15
	wait_for_line "$LOG" '"event":"init\.scheduled_restart".*gateway' 15
	wait_for_line "$LOG" '^bot \| gateway down$' 10
	wait_for_line "$LOG" '"event":"init\.restart_completed".*gateway' 20
	wait_until 10 bash -c "[ \$(grep -c '^bot | gateway up$' '$LOG') -ge 2 ]"
	# the bot's own probe may see it up before stack-init's readiness check
	gw_restarted() { status_of gateway | jq -e '.restarts == 1 and .state == "ready" and (.next_restart | type) == "string"' >/dev/null; }
	wait_until 10 gw_restarted
	# fired at the wall-clock time, not before (the supervisor takes a
	# monotonic timer ending up to 0.5 ms early as due: the log's ts, cut
	# to the millisecond, may then read 1 ms early), and within a few
	# seconds of it (a loaded machine may run the timer late)
	want=$((fire * 1000))
	got=$(ts_of '"event":"init\.scheduled_restart"')
	echo "fired $((got - want)) ms after $at"	# shown when the test fails
	[ $((got - want)) -ge -1 ]
	[ $((got - want)) -lt 3000 ]
}

@test "IBC restart action: RESTART sent, OK required; an ERROR reply is a critical alert" {
	port=$(free_port)
	fake-ibc --port "$port" --log "$T/ibc.log" >"$T/ibc.out" 2>&1 3>&- &
	IBC_PID=$!
	wait_for_line "$T/ibc.out" 'fake\.listening' 5
	at=$(date -u -d "@$(( $(date +%s) + 5 ))" +%H:%M:%S)	# stack-init runs by then
	start_init '{"services": [
	  {"name": "gateway", "external": true,
	   "schedule": [{"at": "'"$at"'", "tz": "UTC", "action": "restart"}],
	   "restart_action": {"ibc": "127.0.0.1:'"$port"'", "timeout": 5}}]}'
	wait_for_line "$LOG" '"event":"init\.restart_action".*IBC: OK' 15
	[ "$(cat "$T/ibc.log")" = "RESTART" ]
	# no ready check: the restart is complete when IBC said OK
	wait_for_line "$LOG" '"event":"init\.restart_completed".*gateway' 5
	stop_pid "$IBC_PID"
	fake-ibc --port "$port" --reply "ERROR not allowed" --log "$T/ibc.log" >"$T/ibc.out" 2>&1 3>&- &
	IBC_PID=$!
	wait_for_line "$T/ibc.out" 'fake\.listening' 5
	stack-init ctl restart gateway
	wait_for_line "$LOG" '"level":"critical".*"event":"init\.restart_action_failed".*ERROR not allowed' 10
	[ "$(grep -c 'init\.not_ready_after_restart' "$LOG")" -eq 0 ]
}

@test "alerts go to discord-notify's socket when it runs, and nothing breaks when it does not" {
	# a dry run listens only when given --listen
	discord-notify --dry-run --no-stdin --listen "$GWKIT_RUNTIME_DIR/notify.sock" >"$T/notify.log" 2>&1 3>&- &
	NOTIFY_PID=$!
	wait_for_line "$T/notify.log" '"event":"notify\.started"' 10
	start_init '{"services": [
	  {"name": "loop", "argv": ["false"], "restart": "always", "backoff": 0,
	   "crash_loop": {"failures": 3, "window": 10, "give_up": true}},
	  {"name": "fds", "argv": ["sh", "-c", "echo fds: $(ls /proc/self/fd); exec sleep 60"], "restart": "no"}]}'
	wait_for_line "$LOG" '"event":"init\.crash_loop"' 10
	# the critical alert reached the notifier (printed as a dry-run payload)
	wait_for_line "$T/notify.log" '"dry_run":true.*critical · init\.crash_loop · stack-init' 10
	# info-level events stay local (threshold warning)
	[ "$(grep '"dry_run":true' "$T/notify.log" | grep -c 'init\.started')" -eq 0 ]
	# a service started now, with stack-init connected to the notifier,
	# inherits exactly the descriptors the first one did (those bats left
	# open to stack-init): nothing of stack-init's own leaks into children
	stack-init ctl restart fds
	wait_until 5 bash -c "[ \$(grep -c '^fds | fds:' '$LOG') -eq 2 ]"
	[ "$(grep '^fds | fds:' "$LOG" | sort -u | wc -l)" -eq 1 ]
	stop_pid "$NOTIFY_PID"
	stack-init ctl start loop
	wait_until 10 bash -c "[ \$(grep -c 'init\\.crash_loop' '$LOG') -ge 2 ]"
	kill -0 "$INIT_PID"
}

@test "HUP, USR1 and USR2 are forwarded to the services" {
	start_init '{"services": [
	  {"name": "listener", "argv": ["sh", "-c", "trap \"echo got HUP\" HUP; trap \"echo got USR1\" USR1; trap \"echo got USR2\" USR2; echo armed; while :; do sleep 0.05; done"]}]}'
	wait_for_line "$LOG" '^listener \| armed$' 5
	for sig in HUP USR1 USR2; do
		kill -"$sig" "$INIT_PID"
		wait_for_line "$LOG" "^listener \\| got $sig\$" 5
	done
	kill -0 "$INIT_PID"
}

@test "a service that cannot be executed follows its restart policy; critical + give_up ends stack-init with 127" {
	start_init '{"services": [
	  {"name": "missing", "argv": ["/nonexistent/program"], "restart": "always", "backoff": 0, "critical": true,
	   "crash_loop": {"failures": 3, "window": 10, "give_up": true}}]}'
	wait_for_line "$LOG" 'missing: cannot run /nonexistent/program: No such file or directory' 5
	wait_exit "$INIT_PID"
	INIT_PID=
	[ "$EXIT_STATUS" -eq 127 ]
	[ "$(grep -c '"event":"init\.spawn_failed"' "$LOG")" -eq 3 ]
	grep -q '"event":"init\.crash_loop"' "$LOG"
}

@test "notification-fd readiness has a deadline: start_period" {
	start_init '{"services": [
	  {"name": "mute", "argv": ["sleep", "60"], "ready": {"notify_fd": 5, "start_period": 0.5}}]}'
	wait_for_line "$LOG" '"level":"error".*"event":"init\.not_ready".*mute: no readiness notification after 0 s|"event":"init\.not_ready".*mute' 5
	svc_is mute '.state == "starting" and .ready == false'
}

@test "what is left of a service's process group goes with it (no stragglers holding ports)" {
	start_init '{"services": [
	  {"name": "leader", "argv": ["sh", "-c", "sh -c \"trap \\\"\\\" TERM; exec sleep 4242.5\" & echo spawned; wait"],
	   "restart": "no", "stop_timeout": 1}]}'
	wait_for_line "$LOG" '^leader \| spawned$' 5
	wait_until 5 pgrep -f 'sleep 4242[.]5'
	stack-init ctl stop leader
	wait_for_line "$LOG" '"event":"init\.killed_group".*leader' 5
	wait_until 5 bash -c '! pgrep -f "sleep 4242[.]5"'
}

@test "a notify fd that collides with stack-init's own descriptors still works, and exec errors are still reported" {
	start_init '{"services": [
	  {"name": "n3", "argv": ["sh", "-c", "echo >&3; exec sleep 60"], "ready": {"notify_fd": 3}},
	  {"name": "bad", "argv": ["/nonexistent/x"], "restart": "no", "ready": {"notify_fd": 4}},
	  {"name": "nobody-here", "argv": ["true"], "user": "no-such-user-gwkit", "restart": "no"},
	  {"name": "as-nobody", "argv": ["id", "-u"], "user": "nobody", "restart": "no"}]}'
	wait_for_line "$LOG" '"event":"init\.ready".*n3: ready' 5
	# the static binary reads /etc/passwd itself (no NSS): the user switch works
	wait_for_line "$LOG" "^as-nobody \\| $(id -u nobody)\$" 5
	wait_for_line "$LOG" 'bad: cannot run /nonexistent/x: No such file or directory' 5
	wait_for_line "$LOG" "nobody-here: user: no user 'no-such-user-gwkit' in /etc/passwd" 5
	svc_is nobody-here '.state == "fatal"'
}
