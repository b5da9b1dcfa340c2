#!/usr/bin/env bats
# stack-init, operations: ctl reload and reload on a signal, configurable
# signal actions and forward_signals, followers that pause or stop around
# their leader's scheduled restart, prefixed output of readiness checks and
# restart commands and the users they run as. Every wait has a deadline.

load init

pid_of() { stack-init ctl status "$1" | jq -r .pid; }

# proc_state PID: the one-letter state in /proc/PID/stat (T when stopped).
proc_state() { sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]) .*/\1/' "/proc/$1/stat"; }

@test "ctl reload: unchanged services keep running, changed restart, removed stop, new start; a bad file changes nothing" {
	start_init '{"services": [
	  {"name": "a", "argv": ["sleep", "600"]},
	  {"name": "b", "argv": ["sleep", "600"]},
	  {"name": "c", "argv": ["sleep", "600"], "stop_timeout": 2}]}'
	wait_until 5 svc_is c '.state == "ready"'
	a1=$(pid_of a) b1=$(pid_of b) c1=$(pid_of c)
	printf '%s\n' '{"services": [
	  {"name": "d", "argv": ["sleep", "600"], "depends_on": ["a"]},
	  {"name": "a", "argv": ["sleep", "600"]},
	  {"name": "b", "argv": ["sleep", "601"]}]}' >"$T/stack.json"
	run stack-init ctl reload
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ok and .added == ["d"] and .removed == ["c"] and .changed == ["b"] and .unchanged == ["a"]'
	wait_for_line "$LOG" '"event":"init\.reloaded"' 10
	wait_until 5 svc_is d '.state == "ready"'
	wait_until 5 svc_is b '.state == "ready"'
	[ "$(pid_of a)" = "$a1" ]
	[ "$(pid_of b)" != "$b1" ]
	run kill -0 "$c1"
	[ "$status" -ne 0 ]
	[ "$(stack-init ctl status | jq -r '.services[].name' | tr '\n' ' ')" = "d a b " ]
	# a broken file: an error naming the place, and nothing changes
	printf '{"services": [\n  {"name": "a",, "argv": ["true"]}\n]}\n' >"$T/stack.json"
	run stack-init ctl reload
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/stack.json:2:16: "* ]]
	wait_for_line "$LOG" '"event":"init\.reload_failed"' 5
	[ "$(pid_of a)" = "$a1" ]
	svc_is d '.state == "ready"'
	# ctl stop, then a reload that changes nothing leaves it stopped
	same_json='{"services": [{"name": "d", "argv": ["sleep", "600"], "depends_on": ["a"]}, {"name": "a", "argv": ["sleep", "600"]}, {"name": "b", "argv": ["sleep", "601"]}]}'
	printf '%s\n' "$same_json" >"$T/stack.json"
	stack-init ctl stop d
	wait_until 5 svc_is d '.state == "down"'
	run stack-init ctl reload
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.unchanged == ["d", "a", "b"] and .changed == []'
	svc_is d '.state == "down"'
}

@test "signals as configured: HUP reloads, INT is ignored, forward_signals chooses who gets USR1/USR2" {
	printf '%s\n' '{"signals": {"HUP": "reload", "INT": "ignore"}, "services": [
	  {"name": "l1", "argv": ["sh", "-c", "trap \"echo got USR1\" USR1; trap \"echo got USR2\" USR2; echo armed; while :; do sleep 0.05; done"], "forward_signals": ["USR1"]},
	  {"name": "l2", "argv": ["sh", "-c", "trap \"echo got USR1\" USR1; trap \"echo got USR2\" USR2; echo armed; while :; do sleep 0.05; done"], "forward_signals": ["USR2"]}]}' >"$T/stack.json"
	stack-init -n "$T/stack.json"
	stack-init --log-level debug "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" '^l1 \| armed$' 5
	wait_for_line "$LOG" '^l2 \| armed$' 5
	kill -USR1 "$INIT_PID"
	wait_for_line "$LOG" '^l1 \| got USR1$' 5
	kill -USR2 "$INIT_PID"
	wait_for_line "$LOG" '^l2 \| got USR2$' 5
	refute grep -q '^l2 | got USR1$' "$LOG"
	refute grep -q '^l1 | got USR2$' "$LOG"
	kill -INT "$INIT_PID"
	wait_for_line "$LOG" 'SIGINT: ignored' 5
	stack-init ctl status >/dev/null
	# HUP: the file is read again
	printf '%s\n' '{"signals": {"HUP": "reload", "INT": "ignore"}, "services": [
	  {"name": "l1", "argv": ["sh", "-c", "trap \"echo got USR1\" USR1; trap \"echo got USR2\" USR2; echo armed; while :; do sleep 0.05; done"], "forward_signals": ["USR1"]},
	  {"name": "l3", "argv": ["sleep", "600"]}]}' >"$T/stack.json"
	kill -HUP "$INIT_PID"
	wait_for_line "$LOG" '"event":"init\.reloaded"' 10
	wait_until 5 svc_is l3 '.state == "ready"'
	[ "$(stack-init ctl status | jq '[.services[] | select(.name == "l2")] | length')" = 0 ]
	# TERM still shuts down
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 15
	[ "$EXIT_STATUS" -eq 0 ]
	INIT_PID=
}

@test "followers: pause is SIGSTOPped and continued, stop is stopped and started, around the leader's scheduled restart" {
	fire=$(( $(date +%s) + 7 ))	# gw needs 1.5 s, then its followers start: room on a loaded machine
	at=$(date -u -d "@$fire" +%H:%M:%S)
	start_init '{"services": [
	  {"name": "gw", "argv": ["sh", "-c", "trap \"rm -f '"$T"'/up; exit 0\" TERM; sleep 1.5; touch '"$T"'/up; while :; do sleep 0.1; done"],
	   "ready": {"argv": ["test", "-e", "'"$T"'/up"], "interval": 0.1, "start_period": 30},
	   "restart": "always", "backoff": 0,
	   "schedule": [{"at": "'"$at"'", "tz": "UTC", "days": "daily", "action": "restart"}],
	   "ready_after_restart": 20},
	  {"name": "paused", "argv": ["sh", "-c", "while :; do sleep 0.05; done"],
	   "depends_on": [{"service": "gw", "condition": "ready"}], "follows": {"service": "gw", "mode": "pause"}},
	  {"name": "held", "argv": ["sh", "-c", "while :; do sleep 0.05; done"],
	   "depends_on": [{"service": "gw", "condition": "ready"}], "follows": {"service": "gw", "mode": "stop"}}]}'
	wait_until 10 svc_is held '.state == "ready"'
	wait_until 10 svc_is paused '.state == "ready"'
	p1=$(pid_of paused) h1=$(pid_of held)
	wait_for_line "$LOG" '"event":"init\.paused".*paused while gw restarts' 10
	wait_for_line "$LOG" '"event":"init\.held".*stopped while gw restarts' 5
	# while gw is down: one is stopped (T), the other is gone
	[ "$(proc_state "$p1")" = T ]
	svc_is paused '.state == "paused"'
	wait_until 5 svc_is held '.state == "held"'
	run kill -0 "$h1"
	[ "$status" -ne 0 ]
	wait_for_line "$LOG" '"event":"init\.restart_completed".*gw' 15
	wait_for_line "$LOG" '"event":"init\.resumed".*paused' 5
	wait_until 5 svc_is held '.state == "ready"'
	[ "$(proc_state "$p1")" != T ]
	[ "$(pid_of paused)" = "$p1" ]
	[ "$(pid_of held)" != "$h1" ]
	svc_is paused '.state == "ready" and .restarts == 0'
	# the order: paused and held before gw went down, both back after it was ready
	l_paused=$(grep -n '"event":"init\.paused"' "$LOG" | cut -d: -f1)
	l_gwstop=$(grep -n '"event":"init\.stopped".*"service":"gw"' "$LOG" | cut -d: -f1)
	l_done=$(grep -n '"event":"init\.restart_completed"' "$LOG" | cut -d: -f1)
	l_resumed=$(grep -n '"event":"init\.resumed"' "$LOG" | cut -d: -f1)
	l_heldstart=$(grep -n '"event":"init\.started".*"service":"held"' "$LOG" | tail -1 | cut -d: -f1)
	[ "$l_paused" -lt "$l_gwstop" ]
	[ "$l_done" -lt "$l_resumed" ]
	[ "$l_done" -lt "$l_heldstart" ]
}

@test "check stderr and restart command output are prefixed; both run as the service's user unless told otherwise" {
	[ "$(id -u)" -eq 0 ] || skip "switching users needs root (uid $(id -u))"
	nob=$(id -u nobody)
	start_init '{"services": [
	  {"name": "e", "external": true, "user": "nobody",
	   "ready": {"argv": ["sh", "-c", "echo check uid $(id -u) >&2; echo not shown"], "interval": 30},
	   "restart_action": {"argv": ["sh", "-c", "echo restart uid $(id -u); echo oops >&2"]}},
	  {"name": "r", "external": true, "user": "nobody",
	   "ready": {"argv": ["sh", "-c", "echo check uid $(id -u) >&2"], "user": "root", "interval": 30},
	   "restart_action": {"argv": ["sh", "-c", "echo restart uid $(id -u)"], "user": "root"}}]}'
	wait_for_line "$LOG" "^e \\(check\\) \\| check uid $nob\$" 5
	wait_for_line "$LOG" '^r \(check\) \| check uid 0$' 5
	refute grep -q 'not shown' "$LOG"
	stack-init ctl restart e
	stack-init ctl restart r
	wait_for_line "$LOG" "^e \\(restart\\) \\| restart uid $nob\$" 5
	wait_for_line "$LOG" '^e \(restart\) \| oops$' 5
	wait_for_line "$LOG" '^r \(restart\) \| restart uid 0$' 5
}

@test "a stalled stdout reader never stalls stack-init: the control socket answers, drops are counted and reported, no line is split" {
	mkfifo "$T/fifo"
	exec 7<>"$T/fifo"	# a reader that never reads: the pipe fills
	printf '%s\n' '{"services": [
	  {"name": "spew", "argv": ["sh", "-c", "while :; do echo spewing-a-line-of-output-0123456789abcdefghijklmnopqrstuvwxyz; done"]},
	  {"name": "crashy", "argv": ["false"], "restart": "always",
	   "backoff": {"initial": 0, "max": 0.01}, "crash_loop": {"failures": 1000, "window": 0.01}}]}' >"$T/stack.json"
	stack-init -n "$T/stack.json"
	stack-init --log-level debug --no-notify "$T/stack.json" >"$T/fifo" 2>&1 3>&- 7>&- &
	INIT_PID=$!
	# each respawn logs four lines, about 800 bytes: 1000 respawns are 2.5
	# times what the pipe (64 KiB) and the queue (256 KiB) hold, and the
	# loop keeps answering. The deadline is generous (a loaded machine
	# respawns slowly); a stack-init blocked on its stdout never answers.
	deadline=$(($(now_ms) + 120000))
	until svc_is crashy '.restarts >= 1000'; do
		if (($(now_ms) > deadline)); then
			echo "after 120 s: $(stack-init ctl --timeout 1 status crashy 2>&1)"
			return 1
		fi
		sleep 0.2
	done
	run timeout 3 stack-init ctl status
	[ "$status" -eq 0 ]
	# now read: the backlog arrives, then the notice about what was dropped
	exec 8<"$T/fifo"	# the reader, open before the test's writer end goes
	exec 7>&-
	cat <&8 >"$T/out" 3>&- &
	CAT_PID=$!
	exec 8<&-
	wait_for_line "$T/out" '^stack-init: [0-9]+ output lines dropped: the log reader was too slow$' 20
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 15
	[ "$EXIT_STATUS" -eq 0 ]
	INIT_PID=
	wait_exit "$CAT_PID" 5
	# every line whole: JSON lines parse, prefixed lines are complete
	grep '^{' "$T/out" | jq -c . >/dev/null
	refute grep -v -E '^(\{.*\}|spew \| spewing-a-line-of-output-0123456789abcdefghijklmnopqrstuvwxyz|stack-init: [0-9]+ output lines dropped: the log reader was too slow)$' "$T/out"
	grep -q '"event":"init\.exit"' "$T/out"
}

@test "user: supplementary groups from /etc/group, HOME, USER and LOGNAME from /etc/passwd (files bind-mounted in a private mount namespace)" {
	[ "$(id -u)" -eq 0 ] || skip "switching users needs root (uid $(id -u))"
	unshare -m true 2>/dev/null || skip "no mount namespace: $(unshare -m true 2>&1)"
	cp /etc/passwd "$T/passwd"
	cp /etc/group "$T/group"
	echo 'gwtest:x:4242:4243:gwkit test:/home/gwtest:/bin/sh' >>"$T/passwd"
	printf '%s\n' 'gwprimary:x:4243:' 'gwa:x:5001:gwtest' 'gwb:x:5002:other,gwtest,more' 'gwnot:x:5003:gwtester' >>"$T/group"
	printf '%s\n' '{"services": [
	  {"name": "as-gwtest", "user": "gwtest", "restart": "no",
	   "argv": ["sh", "-c", "echo uid=$(id -u) gid=$(id -g) groups=$(id -G | tr \" \" ,) home=$HOME user=$USER logname=$LOGNAME"]},
	  {"name": "env-wins", "user": "gwtest", "restart": "no", "env": {"HOME": "/srv"},
	   "argv": ["sh", "-c", "echo home=$HOME"]}]}' >"$T/stack.json"
	unshare -m sh -c 'mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group && exec stack-init --no-control --no-notify "$1/stack.json"' sh "$T" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" '^as-gwtest \| ' 10
	grep -x 'as-gwtest | uid=4242 gid=4243 groups=4243,5001,5002 home=/home/gwtest user=gwtest logname=gwtest' "$LOG"
	wait_for_line "$LOG" '^env-wins \| home=/srv$' 5
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 10
	[ "$EXIT_STATUS" -eq 0 ]
	INIT_PID=
}

@test "a service's last words: every line arrives, before the news of its exit" {
	cat >"$T/words.sh" <<-'SH'
	words() { i=0; while [ $i -lt 200 ]; do echo "$1-$i-0123456789012345678901234567890123456789012345678901234567890123456789"; i=$((i+1)); done; }
	if [ "$2" = trap ]; then
		trap 'words "$1"; exit 0' TERM
		echo armed
		while :; do sleep 0.05; done
	fi
	words "$1"
	exit 3
	SH
	start_init '{"services": [
	  {"name": "bye", "argv": ["sh", "'"$T"'/words.sh", "last-words", "trap"]},
	  {"name": "dies", "restart": "no", "argv": ["sh", "'"$T"'/words.sh", "dying"]}]}'
	wait_for_line "$LOG" '"event":"init\.exited".*"service":"dies"' 10
	[ "$(grep -c '^dies | dying-' "$LOG")" -eq 200 ]
	l_last=$(grep -n '^dies | dying-199-' "$LOG" | cut -d: -f1)
	l_exit=$(grep -n '"event":"init\.exited".*"service":"dies"' "$LOG" | cut -d: -f1)
	[ "$l_last" -lt "$l_exit" ]
	wait_for_line "$LOG" '^bye \| armed$' 5
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 10
	[ "$EXIT_STATUS" -eq 0 ]
	INIT_PID=
	[ "$(grep -c '^bye | last-words-' "$LOG")" -eq 200 ]
	l_last=$(grep -n '^bye | last-words-199-' "$LOG" | cut -d: -f1)
	l_stop=$(grep -n '"event":"init\.stopped".*"service":"bye"' "$LOG" | cut -d: -f1)
	[ "$l_last" -lt "$l_stop" ]
}

@test "shutdown: a process that left its service's group (setsid) is stopped too, SIGTERM first" {
	cat >"$T/daemon.sh" <<-'SH'
	trap 'echo "daemon got TERM" >"$1/daemon.term"; exit 0' TERM
	echo $$ >"$1/daemon.pid"
	while :; do sleep 0.05; done
	SH
	start_init '{"services": [
	  {"name": "spawner", "argv": ["sh", "-c", "setsid sh '"$T"'/daemon.sh '"$T"' </dev/null >/dev/null 2>&1 & sleep 600"]}]}'
	wait_until 5 test -s "$T/daemon.pid"
	dpid=$(cat "$T/daemon.pid")
	# not in the service's process group: the group kill cannot reach it
	[ "$(ps -o pgid= -p "$dpid" | tr -d ' ')" != "$(pid_of spawner)" ]
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 10
	[ "$EXIT_STATUS" -eq 0 ]
	INIT_PID=
	grep -q 'daemon got TERM' "$T/daemon.term"
	run kill -0 "$dpid"
	[ "$status" -ne 0 ]
	grep -E '"event":"init\.leftovers".*"processes":[12],"signal":"TERM"' "$LOG"
	l_left=$(grep -n '"event":"init\.leftovers"' "$LOG" | cut -d: -f1)
	l_stop=$(grep -n '"event":"init\.stopped".*"service":"spawner"' "$LOG" | cut -d: -f1)
	[ "$l_stop" -lt "$l_left" ]
	# (2 when the service's killed sleep was not yet a zombie then)
}

@test "a stalled stderr reader slows the child writing to it; no line is lost" {
	mkfifo "$T/efifo"
	exec 7<>"$T/efifo"	# held open, not read: stderr fills
	start_init_err() {
		printf '%s\n' "$1" >"$T/stack.json"
		stack-init "$T/stack.json" >"$LOG" 2>"$T/efifo" 3>&- 7>&- &
		INIT_PID=$!
		wait_for_line "$LOG" '"event":"init\.started".*"services"' 10
	}
	start_init_err '{"services": [{"name": "loud", "restart": "no",
	  "argv": ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo \"err-line-$i-0123456789012345678901234567890123456789\" >&2; i=$((i+1)); done; echo done"]}]}'
	lpid=$(pid_of loud)
	# the child blocks in its own write once the pipes and 64 KiB wait
	wait_until 20 bash -c "grep -q pipe_write /proc/$lpid/wchan"
	stack-init ctl status >/dev/null
	exec 8<"$T/efifo"
	exec 7>&-
	cat <&8 >"$T/err" 3>&- &
	CAT_PID=$!
	exec 8<&-
	wait_for_line "$LOG" '"event":"init\.exited".*"service":"loud"' 20
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 10
	INIT_PID=
	wait_exit "$CAT_PID" 5
	[ "$(grep -c '^loud | err-line-' "$T/err")" -eq 20000 ]
	refute grep -q 'dropped' "$T/err"
}

@test "reload stops changed services dependents first, as shutdown does" {
	start_init '{"services": [
	  {"name": "base", "argv": ["sleep", "600"], "ready": {"argv": ["true"], "interval": 0.1}},
	  {"name": "top", "argv": ["sh", "-c", "trap \"sleep 0.3; exit 0\" TERM; while :; do sleep 0.05; done"],
	   "depends_on": [{"service": "base", "condition": "ready"}]}]}'
	wait_until 5 svc_is top '.state == "ready"'
	printf '%s\n' '{"services": [
	  {"name": "base", "argv": ["sleep", "601"], "ready": {"argv": ["true"], "interval": 0.1}},
	  {"name": "top", "argv": ["sleep", "600"], "depends_on": [{"service": "base", "condition": "ready"}]}]}' >"$T/stack.json"
	run stack-init ctl reload
	[ "$status" -eq 0 ]
	wait_for_line "$LOG" '"event":"init\.reloaded"' 10
	wait_until 5 svc_is top '.state == "ready"'
	l_top=$(grep -n '"event":"init\.stopped".*"service":"top"' "$LOG" | cut -d: -f1)
	l_base=$(grep -n '"event":"init\.stopping".*"service":"base"' "$LOG" | cut -d: -f1)
	[ "$l_top" -lt "$l_base" ]
}

@test "spawn errors name the step that failed; closed stdin and stderr at start are fine" {
	start_init '{"services": [
	  {"name": "nocwd", "argv": ["true"], "cwd": "/nonexistent-gwkit", "restart": "no"},
	  {"name": "ok", "argv": ["sh", "-c", "echo to-stdout; echo to-stderr >&2; sleep 600"]}]}'
	wait_for_line "$LOG" 'nocwd: cannot enter cwd /nonexistent-gwkit: No such file or directory' 5
	wait_for_line "$LOG" '^ok \| to-stderr$' 5
	stop_pid "$INIT_PID"
	INIT_PID=
	# started with fds 0 and 2 closed: the loop must not take fd 2 for itself
	stack-init --no-notify --no-control "$T/stack.json" >"$T/log2" 0<&- 2>&- 3>&- &
	INIT_PID=$!
	wait_for_line "$T/log2" '^ok \| to-stdout$' 5
	[ "$(readlink "/proc/$INIT_PID/fd/2")" = /dev/null ]
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 10
	[ "$EXIT_STATUS" -eq 0 ]
	INIT_PID=
}

@test "a reload that replaces a restarting leader keeps its paused follower frozen until the new leader is ready" {
	fire=$(( $(date +%s) + 8 ))	# gw needs 1.5 s, then bot starts: room on a loaded machine
	at=$(date -u -d "@$fire" +%H:%M:%S)
	conf() {	# $1: the leader's env value (a change makes a reload replace it)
		printf '%s\n' '{"services": [
		  {"name": "gw", "env": {"V": "'"$1"'"}, "argv": ["sh", "-c", "trap \"rm -f '"$T"'/up; exit 0\" TERM; sleep 1.5; touch '"$T"'/up; while :; do sleep 0.1; done"],
		   "ready": {"argv": ["test", "-e", "'"$T"'/up"], "interval": 0.1, "start_period": 30},
		   "restart": "always", "backoff": 0,
		   "schedule": [{"at": "'"$at"'", "tz": "UTC", "days": "daily", "action": "restart"}],
		   "ready_after_restart": 20},
		  {"name": "bot", "argv": ["sh", "-c", "while :; do sleep 0.05; done"],
		   "depends_on": [{"service": "gw", "condition": "ready"}], "follows": {"service": "gw", "mode": "pause"}}]}'
	}
	start_init "$(conf 1)"
	wait_until 10 svc_is bot '.state == "ready"'
	b1=$(pid_of bot)
	wait_for_line "$LOG" '"event":"init\.paused"' 10
	conf 2 >"$T/stack.json"
	run stack-init ctl reload
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.changed == ["gw"] and .unchanged == ["bot"]'
	wait_for_line "$LOG" '"event":"init\.reloaded"' 10
	svc_is bot '.state == "paused"'
	[ "$(proc_state "$b1")" = T ]
	wait_for_line "$LOG" '"event":"init\.resumed".*"service":"bot"' 15
	[ "$(pid_of bot)" = "$b1" ]
	l_reloaded=$(grep -n '"event":"init\.reloaded"' "$LOG" | cut -d: -f1)
	l_gwready=$(grep -n '"event":"init\.ready".*"service":"gw"' "$LOG" | tail -1 | cut -d: -f1)
	l_resumed=$(grep -n '"event":"init\.resumed"' "$LOG" | cut -d: -f1)
	[ "$l_reloaded" -lt "$l_gwready" ]
	[ "$l_gwready" -lt "$l_resumed" ]
}

@test "restart through IBC that never interrupts readiness: the paused follower is let go after restart_settle (5 s), not 60 s; the log says it was a ctl restart through IBC" {
	port=$(free_port)
	fake-ibc --port "$port" --log "$T/ibc.log" >"$T/ibc.out" 2>&1 3>&- &
	IBC_PID=$!
	wait_for_line "$T/ibc.out" 'fake\.listening' 5
	start_init '{"services": [
	  {"name": "gw", "external": true, "ready": {"argv": ["true"], "interval": 0.2},
	   "restart_action": {"ibc": "127.0.0.1:'"$port"'", "timeout": 5}},
	  {"name": "bot", "argv": ["sh", "-c", "while :; do sleep 0.05; done"],
	   "depends_on": [{"service": "gw", "condition": "ready"}], "follows": {"service": "gw", "mode": "pause"}}]}'
	wait_until 10 svc_is bot '.state == "ready"'
	stack-init ctl restart gw
	wait_for_line "$LOG" '"event":"init\.paused".*bot' 5
	wait_for_line "$LOG" '"event":"init\.resumed".*bot' 25
	[ "$(cat "$T/ibc.log")" = "RESTART" ]
	gap=$(( $(ts_of '"event":"init\.resumed"') - $(ts_of '"event":"init\.paused"') ))
	[ "$gap" -ge 4900 ]
	[ "$gap" -lt 20000 ]	# far from 60 s, with room for a loaded machine
	svc_is bot '.state == "ready"'
	grep '"event":"init\.restart_requested"' "$LOG" | jq -e 'select(.fields.service == "gw") |
	  .message == "gw: restart requested by ctl (IBC RESTART)" and .fields.trigger == "ctl" and .fields.method == "ibc"' >/dev/null
	grep -q '"event":"init\.restart_completed".*ready again after its restart (ctl)' "$LOG"
	refute grep -q 'init\.scheduled_restart' "$LOG"
	refute grep -q 'scheduled restart' "$LOG"
}

@test "a manual restart of a local service says so and how" {
	start_init '{"services": [{"name": "x", "argv": ["sleep", "600"]}]}'
	wait_until 5 svc_is x '.state == "ready"'
	stack-init ctl restart x
	wait_for_line "$LOG" '"event":"init\.restart_requested".*restart requested by ctl \(stop signal, then respawn\)' 5
	grep -E '"event":"init\.restart_requested".*"trigger":"ctl"' "$LOG" | grep -q '"method":"respawn"'
	refute grep -q 'scheduled' "$LOG"
}

@test "health checks once ready: a check that starts failing raises init.unhealthy (error), and init.healthy once it passes again" {
	touch "$T/ok"
	start_init '{"services": [
	  {"name": "gw", "argv": ["sleep", "600"],
	   "health": {"argv": ["test", "-e", "'"$T"'/ok"], "interval": 0.2, "retries": 3}}]}'
	wait_until 5 svc_is gw '.state == "ready"'
	rm "$T/ok"
	wait_for_line "$LOG" '"level":"error".*"event":"init\.unhealthy".*"service":"gw"' 10
	grep '"event":"init\.unhealthy"' "$LOG" | jq -e '.fields.failures == 3 and .fields.action == "alert" and .fields.last == {"code": 1}' >/dev/null
	[ "$(grep -c '"event":"init\.unhealthy"' "$LOG")" -eq 1 ]
	touch "$T/ok"
	wait_for_line "$LOG" '"event":"init\.healthy".*"service":"gw"' 10
	svc_is gw '.state == "ready" and .restarts == 0'
	# action restart: the service is restarted through its restart path
	printf '%s\n' '{"services": [
	  {"name": "gw", "argv": ["sleep", "600"],
	   "health": {"argv": ["test", "-e", "'"$T"'/ok"], "interval": 0.2, "retries": 2, "action": "restart"}}]}' >"$T/stack.json"
	stack-init ctl reload >/dev/null
	wait_for_line "$LOG" '"event":"init\.reloaded"' 10
	wait_until 5 svc_is gw '.state == "ready"'
	p1=$(pid_of gw)
	rm "$T/ok"
	wait_for_line "$LOG" '"event":"init\.restart_requested".*"trigger":"health"' 10
	touch "$T/ok"
	wait_until 10 svc_is gw ".state == \"ready\" and .pid != $p1"
}

@test "a routine restart of a sh + sleep service raises no init.killed_group warning" {
	start_init '{"services": [{"name": "w", "argv": ["sh", "-c", "sleep 600 & wait"]}]}'
	wait_until 5 svc_is w '.state == "ready"'
	for i in 1 2 3 4 5 6 7 8 9 10; do
		stack-init ctl restart w
		wait_until 5 bash -c "[ \$(grep -c '\"event\":\"init\\.started\".*\"service\":\"w\"' '$LOG') -ge $((i + 1)) ]"
	done
	refute grep -E '"level":"warning".*"event":"init\.killed_group"' "$LOG"
}

@test "shutdown: the notifier stops last, after an alert raised during shutdown was handed to its socket" {
	# a stand-in for discord-notify's socket, outside the stack
	socat -u UNIX-LISTEN:"$GWKIT_RUNTIME_DIR/notify.sock",fork OPEN:"$T/got",creat,append 3>&- &
	NOTIFY_PID=$!	# stopped by teardown
	wait_until 5 test -S "$GWKIT_RUNTIME_DIR/notify.sock"
	start_init '{"services": [
	  {"name": "notify", "argv": ["sleep", "600"], "notifier": true},
	  {"name": "bad", "argv": ["sh", "-c", "trap \"exit 3\" TERM; echo armed; while :; do sleep 0.05; done"]},
	  {"name": "top", "argv": ["sleep", "600"], "depends_on": ["bad"]}]}'
	wait_for_line "$LOG" '^bad \| armed$' 5
	wait_until 5 svc_is top '.state == "ready"'
	kill -TERM "$INIT_PID"
	wait_exit "$INIT_PID" 15
	[ "$EXIT_STATUS" -eq 0 ]
	INIT_PID=
	# the unclean stop is a warning, and it reached the notifier's socket
	grep -E '"level":"warning".*"event":"init\.stopped".*"service":"bad"' "$LOG"
	wait_for_line "$T/got" '"event":"init\.stopped".*"service":"bad"' 5
	l_bad=$(grep -n '"event":"init\.stopped".*"service":"bad"' "$LOG" | cut -d: -f1)
	l_top=$(grep -n '"event":"init\.stopped".*"service":"top"' "$LOG" | cut -d: -f1)
	l_notify=$(grep -n '"event":"init\.stopping".*"service":"notify"' "$LOG" | cut -d: -f1)
	[ "$l_bad" -lt "$l_notify" ]
	[ "$l_top" -lt "$l_notify" ]
}

@test "a cycle in follows is refused by -n, naming it (no restart ping-pong)" {
	printf '%s\n' '{"services": [
	  {"name": "a", "argv": ["sleep", "600"], "follows": "b"},
	  {"name": "b", "argv": ["sleep", "600"], "follows": "a"}]}' >"$T/stack.json"
	run stack-init -n "$T/stack.json"
	[ "$status" -eq 78 ]
	[ "$output" = "stack-init: $T/stack.json: follows cycle: a -> b -> a" ]
}
