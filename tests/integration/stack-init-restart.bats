#!/usr/bin/env bats
# stack-init and a restart it sends: readiness checks retried after
# fast_interval when their exit status is in fast_exit; the restart file
# (restart-<service>.json in the runtime directory, the SERVICE object's
# "restart"): in_progress while gw-sim logs in again, then completed, with
# no handshake during the outage; GWKIT_RESTART_FILE for followers; a stale
# file from a previous run removed at start-up. Loopback only; every wait
# has a deadline; counts, not timings.

bats_require_minimum_version 1.5.0
load init

# outage CODE FAST_EXIT: a service whose ready check appends "fail" to
# $T/runs and exits CODE while $T/down exists, else "ok" and 0 (interval
# 1). The flag is there for 2 s after the first check: FAILS is how many
# checks failed after the first one.
outage() {
	cat >"$T/check.sh" <<-SH
	#!/bin/sh
	if [ -e "$T/down" ]; then echo fail >>"$T/runs"; exit $1; fi
	echo ok >>"$T/runs"
	SH
	chmod +x "$T/check.sh"
	touch "$T/down"
	start_init '{"services": [{"name": "a", "argv": ["sleep", "1000"],
	  "ready": {"argv": ["'"$T/check.sh"'"], "interval": 1, "timeout": 5,
	            "start_period": 30'"$2"'}}]}'
	wait_until 10 test -s "$T/runs"
	sleep 2	# the outage itself (not a wait for anything)
	rm "$T/down"
	wait_until 10 svc_is a '.state == "ready"'
	FAILS=$(($(grep -c fail "$T/runs") - 1))
	echo "failed checks after the first: $FAILS"	# shown on failure
}

@test "fast_exit: a check failing with a listed code runs again after fast_interval (many runs in a 2 s outage)" {
	outage 11 ', "fast_exit": [10, 11], "fast_interval": 0.1'
	[ "$FAILS" -ge 8 ]
	[ "$(tail -n 1 "$T/runs")" = ok ]
}

@test "fast_exit: a code not listed keeps interval (at most 2 runs in a 2 s outage with interval 1)" {
	outage 12 ', "fast_exit": [10, 11], "fast_interval": 0.1'
	[ "$FAILS" -le 2 ]
	[ "$(tail -n 1 "$T/runs")" = ok ]
}

@test "stack-init -n refuses a bad fast_exit or fast_interval with one line naming the key (78)" {
	printf '%s\n' '{"services": [{"name": "a", "argv": ["x"], "ready": {"argv": ["p"], "fast_exit": [10, 300]}}]}' >"$T/a.json"
	run -78 --separate-stderr stack-init -n "$T/a.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"service 'a': ready.fast_exit[1]: expected an exit code from 1 to 255" ]]
	printf '%s\n' '{"services": [{"name": "a", "argv": ["x"], "ready": {"argv": ["p"], "fast_interval": 0.1}}]}' >"$T/b.json"
	run -78 --separate-stderr stack-init -n "$T/b.json"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"service 'a': ready.fast_interval: only with \"fast_exit\" (the exit codes it applies to)" ]]
	printf '%s\n' '{"services": [{"name": "a", "argv": ["x"], "ready": {"notify_fd": 3, "fast_exit": [10]}}]}' >"$T/c.json"
	run -78 --separate-stderr stack-init -n "$T/c.json"
	[[ "$stderr" == *"service 'a': ready: notify_fd cannot be combined with fast_exit or fast_interval (they are about check commands)" ]]
	printf '%s\n' '{"services": [{"name": "a", "argv": ["x"], "ready": {"argv": ["p"], "fast_exit": [10, 11], "fast_interval": 0.05}}]}' >"$T/d.json"
	run -0 stack-init -n "$T/d.json"
}

# gw_config PORT [SCHEDULE-AT]: gw-sim (login delay 2 s) with gw-probe as
# its fast ready check, restarted by SIGTERM.
gw_config() {
	local sched=
	[ -n "${2:-}" ] && sched=', "schedule": [{"at": "'"$2"'", "tz": "UTC", "days": "daily", "action": "restart"}]'
	echo '{"services": [
	  {"name": "gw", "argv": ["gw-sim", "--port", "'"$1"'", "--login-delay", "2", "--log-format", "json"],
	   "ready": {"argv": ["gw-probe", "-q", "--port", "'"$1"'", "--timeout", "2"],
	             "interval": 1, "timeout": 5, "start_period": 30,
	             "fast_exit": [10, 11], "fast_interval": 0.1},
	   "restart": "always", "backoff": 0, "restart_action": {"signal": "TERM"},
	   "ready_after_restart": 30'"$sched"'}]}'
}

# handshakes_between FROM-REGEX TO-REGEX: sim.handshake lines in $LOG
# after the first line matching FROM and before the next matching TO.
handshakes_between() {
	awk -v from="$1" -v to="$2" '
	    !on && $0 ~ from { on = 1; next }
	    on && $0 ~ to { exit }
	    on && /"event":"sim\.handshake"/ { c++ }
	    END { print c + 0 }' "$LOG"
}

# restart_seen TRIGGER METHOD FROM-REGEX: the restart file goes in_progress
# (seen in ctl status during gw-sim's login delay), then completed once the
# ready check passes again; no handshake reached gw-sim between the restart
# (the line FROM-REGEX) and its listening again; the ready check's came
# after that.
restart_seen() {
	local f=$GWKIT_RUNTIME_DIR/restart-gw.json
	wait_until 10 svc_is gw '.restart.state == "in_progress"'
	svc_is gw '.restart.trigger == "'"$1"'" and .restart.method == "'"$2"'" and .restart.ended == null and (.restart.deadline | type) == "string"'
	wait_until 15 svc_is gw '.restart.state == "completed"'
	svc_is gw '.ready and (.restart.ended | type) == "string" and .restart.deadline == null'
	jq -e '.service == "gw" and .state == "completed" and .trigger == "'"$1"'" and .method == "'"$2"'"' "$f"
	[ "$(grep -c '"event":"init\.ready".*"service":"gw"' "$LOG")" -eq 2 ]
	[ "$(grep -c '"event":"sim\.listening"' "$LOG")" -eq 2 ]
	[ "$(handshakes_between "$3" '"event":"sim\.listening"')" -eq 0 ]
	[ "$(awk '/"event":"sim\.listening"/ { n++ } n == 2 && /"event":"sim\.handshake"/ { c++ } END { print c + 0 }' "$LOG")" -ge 1 ]
}

@test "ctl restart of gw-sim: the restart file says in_progress during the login delay, then completed; no handshake during the outage" {
	port=$(free_port)
	start_init "$(gw_config "$port")"
	wait_until 15 svc_is gw '.state == "ready" and .restart == null'
	refute test -e "$GWKIT_RUNTIME_DIR/restart-gw.json"
	stack-init ctl restart gw
	restart_seen ctl respawn '"event":"init\.restart_requested"'
}

@test "a scheduled restart of gw-sim (signal method): in_progress, then completed; no handshake during the outage" {
	port=$(free_port)
	fire=$(( $(date +%s) + 6 ))	# gw-sim is ready first (its login delay is 2 s)
	start_init "$(gw_config "$port" "$(date -u -d "@$fire" +%H:%M:%S)")"
	wait_until 15 svc_is gw '.state == "ready" and .restart == null'
	wait_for_line "$LOG" '"event":"init\.scheduled_restart"' 15
	restart_seen schedule signal '"event":"init\.scheduled_restart"'
}

@test "a follower gets GWKIT_RESTART_FILE (its leader's file) unless its env sets it; others do not" {
	unset GWKIT_RESTART_FILE
	start_init '{"services": [
	  {"name": "lead", "argv": ["sleep", "1000"]},
	  {"name": "f1", "argv": ["sh", "-c", "echo \"$GWKIT_RESTART_FILE\" > '"$T"'/f1.out; exec sleep 1000"], "follows": "lead"},
	  {"name": "f2", "argv": ["sh", "-c", "echo \"$GWKIT_RESTART_FILE\" > '"$T"'/f2.out; exec sleep 1000"],
	   "follows": {"service": "lead", "mode": "stop"}, "env": {"GWKIT_RESTART_FILE": "/elsewhere/r.json"}},
	  {"name": "other", "argv": ["sh", "-c", "echo \"x$GWKIT_RESTART_FILE\" > '"$T"'/o.out; exec sleep 1000"]}]}'
	wait_until 10 test -s "$T/f1.out"
	wait_until 10 test -s "$T/f2.out"
	wait_until 10 test -s "$T/o.out"
	[ "$(cat "$T/f1.out")" = "$GWKIT_RUNTIME_DIR/restart-lead.json" ]
	[ "$(cat "$T/f2.out")" = /elsewhere/r.json ]
	[ "$(cat "$T/o.out")" = x ]
}

@test "a restart file a previous run left for a configured service is removed at start-up; another service's is not" {
	printf '%s\n' '{"service":"s","state":"in_progress","trigger":"ctl","method":"signal","began":"2026-01-01T00:00:00.000Z","ended":null,"deadline":"2099-01-01T00:00:00.000Z"}' \
	    >"$GWKIT_RUNTIME_DIR/restart-s.json"
	echo '{}' >"$GWKIT_RUNTIME_DIR/restart-gone.json"
	start_init '{"services": [{"name": "s", "argv": ["sleep", "1000"]}]}'
	wait_for_line "$LOG" '"event":"init\.restart_file_removed".*"service":"s"' 5
	refute test -e "$GWKIT_RUNTIME_DIR/restart-s.json"
	test -e "$GWKIT_RUNTIME_DIR/restart-gone.json"
	wait_until 10 svc_is s '.state == "ready" and .restart == null'
}
