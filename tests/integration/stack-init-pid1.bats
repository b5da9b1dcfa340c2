#!/usr/bin/env bats
# stack-init as PID 1 of a new PID namespace (what it is in a container):
# `unshare --pid --fork --mount-proc --kill-child stack-init CONFIG`.
# Reaping of adopted orphans, ordered shutdown on SIGTERM/SIGINT delivered
# from outside, SIGKILL escalation, signals a PID 1 gets (and those the
# kernel keeps from it), a critical service's exit code through unshare,
# the control socket with the namespace's pids.
#
# Processes are observed from outside the namespace: its init's host pid is
# unshare's child (NSpid ... 1); the namespace's processes are that init and
# its descendants (every process of a PID namespace descends from its init),
# cross-checked by the namespace inode of /proc/PID/ns/pid.
# Every wait polls the log or /proc with a deadline.
load common

# Which unshare works here, decided once: as root a plain PID namespace;
# otherwise (or when root lacks CAP_SYS_ADMIN) one inside a new user
# namespace; else every test is skipped with what unshare said.
setup_file() {
	local out1 out2
	PID1_UNSHARE= PID1_SKIP=
	if ! command -v unshare >/dev/null; then
		PID1_SKIP="unshare (util-linux) is not installed"
	elif [ "$(id -u)" -eq 0 ] &&
	    out1=$(unshare --pid --fork --mount-proc --kill-child sh -c 'echo $$' 2>&1) &&
	    [ "$out1" = 1 ]; then
		PID1_UNSHARE="unshare --pid --fork --mount-proc --kill-child"
	elif out2=$(unshare --user --map-root-user --pid --fork --mount-proc --kill-child sh -c 'echo $$' 2>&1) &&
	    [ "$out2" = 1 ]; then
		PID1_UNSHARE="unshare --user --map-root-user --pid --fork --mount-proc --kill-child"
	else
		PID1_SKIP="no PID namespace available (uid $(id -u)):"
		[ "$(id -u)" -ne 0 ] || PID1_SKIP+=" 'unshare --pid --fork --mount-proc' said: ${out1:-nothing};"
		PID1_SKIP+=" 'unshare --user --map-root-user --pid --fork --mount-proc' said: ${out2:-nothing}"
	fi
	export PID1_UNSHARE PID1_SKIP
}

setup() {
	[ -z "$PID1_SKIP" ] || skip "$PID1_SKIP"
	T=$BATS_TEST_TMPDIR
	export GWKIT_RUNTIME_DIR=$T/rt
	mkdir -m 700 -p "$GWKIT_RUNTIME_DIR"
	UNS_PID= INIT_HPID= NS_INO=
	LOG=$T/init.log
}

# A failing test leaves nothing behind: SIGKILL to the namespace's init
# (from the parent namespace it always lands; the kernel then kills every
# process of the namespace) and unshare reaps it and exits; SIGKILL to
# unshare if it has not (--kill-child passes that on to its child, which
# the host's init then reaps); then the namespace must be empty.
teardown() {
	if [ -n "$UNS_PID" ]; then
		if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "$LOG" ]; then
			echo "--- last lines of $LOG" >&2
			tail -n 40 "$LOG" >&2
		fi
		if [ -n "$INIT_HPID" ] && is_init "$INIT_HPID"; then
			kill -KILL "$INIT_HPID" 2>/dev/null || true
			wait_until 5 eval '! kill -0 "$UNS_PID" 2>/dev/null' || true
		fi
		kill -KILL "$UNS_PID" 2>/dev/null || true
		wait "$UNS_PID" 2>/dev/null || true
		UNS_PID=
	fi
	[ -z "$NS_INO" ] || wait_until 5 ns_empty
	reap_test_procs
}

# inner_pid HOSTPID: the pid as seen in the innermost namespace (NSpid).
inner_pid() { awk '/^NSpid:/ { print $NF }' "/proc/$1/status" 2>/dev/null; }

# host_pid_of INNER: the host pid of the init's child that is INNER inside.
host_pid_of() {
	local k
	for k in $(ps -o pid= --ppid "$INIT_HPID"); do
		if [ "$(inner_pid "$k")" = "$1" ]; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

# is_init HOSTPID: a child of our unshare, pid 1 in its namespace.
is_init() {
	[ -n "$1" ] && [ "$1" -gt 1 ] &&
	    [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$UNS_PID" ] &&
	    [ "$(inner_pid "$1")" = 1 ]
}

find_init() {
	local p
	for p in $(ps -o pid= --ppid "$UNS_PID"); do
		if is_init "$p"; then
			INIT_HPID=$p
			return 0
		fi
	done
	return 1
}

# start_ns CONFIG-JSON [stack-init options...]: write and check the
# configuration, run stack-init as PID 1 of a new PID namespace, wait for
# init.started, find the init's host pid and the namespace.
start_ns() {
	printf '%s\n' "$1" >"$T/stack.json"
	shift
	stack-init -n "$T/stack.json"
	# shellcheck disable=SC2086 # PID1_UNSHARE is a word list
	$PID1_UNSHARE "$GWKIT_BIN/stack-init" "$@" "$T/stack.json" >"$LOG" 2>&1 3>&- &
	UNS_PID=$!
	wait_for_line "$LOG" '"event":"init\.started".*"services"' 10
	wait_until 5 find_init
	NS_INO=$(stat -L -c %i "/proc/$INIT_HPID/ns/pid")
	[ "$NS_INO" != "$(stat -L -c %i /proc/self/ns/pid)" ]
	[ "$(cat "/proc/$INIT_HPID/comm")" = stack-init ]
	# stack-init itself says it is PID 1
	grep -m1 '"event":"init\.started".*"services"' "$LOG" | jq -s -e '.[0].fields.pid == 1'
}

# ns_procs: "HOSTPID PPID STAT COMM" of the namespace's init and all its
# descendants (host view, one ps snapshot).
ns_procs() {
	ps -e -o pid=,ppid=,stat=,comm= | awk -v root="$INIT_HPID" '
	{ pid[NR] = $1; ppid[NR] = $2; line[NR] = $0 }
	END {
		ns[root] = 1
		do {
			more = 0
			for (i = 1; i <= NR; i++)
				if (!(pid[i] in ns) && (ppid[i] in ns)) { ns[pid[i]] = 1; more = 1 }
		} while (more)
		for (i = 1; i <= NR; i++) if (pid[i] in ns) print line[i]
	}'
}

# ns_members: host pids of every process whose PID namespace is ours.
ns_members() {
	stat -L -c '%i %n' /proc/[0-9]*/ns/pid 2>/dev/null |
	    awk -v ino="$NS_INO" '$1 == ino { split($2, a, "/"); print a[3] }'
}
ns_empty() { [ -z "$(ns_members)" ]; }

# sig_init SIG: send SIG from outside to the namespace's init (checked).
sig_init() {
	is_init "$INIT_HPID" || { echo "host pid '$INIT_HPID' is not our namespace's init" >&2; return 1; }
	kill -"$1" "$INIT_HPID"
}

# wait_ns_exit [SECS]: wait for unshare (and so the namespace's init) to
# end; its exit status (stack-init's, passed on by unshare) in NS_STATUS.
wait_ns_exit() {
	wait_until "${1:-10}" eval '! kill -0 "$UNS_PID" 2>/dev/null' || {
		echo "stack-init (host pid $INIT_HPID) still running" >&2
		return 1
	}
	NS_STATUS=0
	wait "$UNS_PID" || NS_STATUS=$?
	UNS_PID=
}

# line_of REGEX: the number of the first log line matching REGEX.
line_of() {
	local n
	n=$(grep -n -m1 -E -- "$1" "$LOG" | cut -d: -f1)
	[ -n "$n" ] || { echo "no line /$1/ in $LOG" >&2; return 1; }
	echo "$n"
}

# event NAME SERVICE: the service's (last) event record NAME, compact JSON.
event() {
	jq -cR --arg e "$1" --arg s "$2" \
	    'fromjson? | select(.event == $e and .fields.service == $s)' "$LOG" | tail -n 1
}

# event_is NAME SERVICE JQ: the service has an event NAME, and its (last)
# record satisfies the jq test (a missing event fails, unlike jq -e on no
# input).
event_is() {
	local e
	e=$(event "$1" "$2")
	[ -n "$e" ] || { echo "no $1 event for $2 in $LOG" >&2; return 1; }
	jq -e "$3" <<<"$e" >/dev/null || { echo "$1 of $2 fails $3: $e" >&2; return 1; }
}

# started_pid SERVICE: the pid in the service's last init.started event.
started_pid() {
	local e
	e=$(event init.started "$1")
	[ -n "$e" ] || { echo "no init.started event for $1 in $LOG" >&2; return 1; }
	jq -r .fields.pid <<<"$e"
}

# ts_ms REGEX: the ts (epoch ms) of the first log line matching REGEX.
ts_ms() {
	local ts
	ts=$(grep -E -m1 -- "$1" "$LOG" | jq -r .ts)
	date -d "$ts" +%s%3N
}

count() { grep -c -E -- "$1" "$LOG" || true; }

# ordered_stop A B...: A stopped before B was signalled, and so on (the
# reverse dependency order), every service stopped before init.exit.
ordered_stop() {
	local prev= s
	for s in "$@"; do
		if [ -n "$prev" ]; then
			[ "$(line_of "\"event\":\"init\\.stopped\".*\"service\":\"$prev\"")" -lt \
			    "$(line_of "\"event\":\"init\\.stopping\".*\"service\":\"$s\"")" ] || {
				echo "$s was signalled before $prev stopped" >&2
				return 1
			}
		fi
		[ "$(line_of "\"event\":\"init\\.stopped\".*\"service\":\"$s\"")" -lt \
		    "$(line_of '"event":"init\.exit"')" ]
		prev=$s
	done
}

@test "PID 1 adopts orphans (also one that left the service's session) and reaps them: no zombie in the namespace" {
	start_ns '{"services": [
	  {"name": "forker", "argv": ["sh", "-c", "for c in 3 4 5; do ( (sleep 1.5; exit $c) & ); done; (setsid sh -c \"sleep 1.5; exit 6\" &); sh -c \"sleep 2 &\"; echo forked; exec sleep 60"]}]}' \
	    --log-level debug
	wait_for_line "$LOG" '^forker \| forked$' 5
	# the five orphans are children of the namespace's init now, next to
	# the service's own process (inner pid from its init.started event)
	main=$(started_pid forker)
	mapfile -t kids < <(ps -o pid= --ppid "$INIT_HPID" | tr -d ' ')
	[ "${#kids[@]}" -eq 6 ]
	adopted=()
	for k in "${kids[@]}"; do
		i=$(inner_pid "$k")
		[ "$i" = "$main" ] || adopted+=("$i")
	done
	[ "${#adopted[@]}" -eq 5 ]
	# they exit on their own (3, 4, 5, 6 and 0): five init.reaped, for
	# exactly those pids
	wait_until 10 bash -c "[ \$(grep -c '\"event\":\"init\\.reaped\"' '$LOG') -ge 5 ]"
	reaped=$(jq -R 'fromjson? | select(.event == "init.reaped") | .fields.pid' "$LOG" | sort -n | xargs)
	[ "$reaped" = "$(printf '%s\n' "${adopted[@]}" | sort -n | xargs)" ]
	# no zombie left; the namespace holds its init and the service only
	run ns_procs
	echo "$output"
	[ "$(grep -c ' Z' <<<"$output" || true)" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(ns_members | wc -l)" -eq 2 ]
	[ "$(count '"event":"init\.reaped"')" -eq 5 ]
	[ "$(count '"event":"init\.exited"')" -eq 0 ]
}

@test "PID 1: a service whose main process exits at once leaves children; they are adopted, killed with its group, reaped" {
	start_ns '{"services": [
	  {"name": "quitter", "argv": ["sh", "-c", "sleep 30 & sleep 31 & exit 0"], "restart": "no"},
	  {"name": "keeper", "argv": ["sleep", "60"]}]}' \
	    --log-level debug
	wait_for_line "$LOG" '"event":"init\.exited".*quitter: exited \(exit 0\)' 5
	grep -q '"event":"init\.killed_group".*"service":"quitter"' "$LOG"
	# both sleeps: adopted by PID 1 when their parent exited, killed, reaped
	wait_until 5 bash -c "[ \$(grep -c '\"event\":\"init\\.reaped\"' '$LOG') -ge 2 ]"
	[ "$(count '"event":"init\.reaped"')" -eq 2 ]
	run ns_procs
	echo "$output"
	[ "$(grep -c ' Z' <<<"$output" || true)" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *" sleep" ]]
	svc_pid=$(started_pid keeper)
	[ "$(inner_pid "$(awk '{ print $1 }' <<<"${lines[1]}")")" = "$svc_pid" ]
}

@test "SIGTERM to PID 1 from outside: services stop in reverse dependency order, exit 0, the namespace is empty" {
	start_ns '{"services": [
	  {"name": "base", "argv": ["sleep", "60"]},
	  {"name": "mid", "argv": ["sh", "-c", "trap \"echo bye; exit 0\" TERM; echo up; while :; do sleep 0.05; done"],
	   "depends_on": ["base"]},
	  {"name": "top", "argv": ["sleep", "60"], "depends_on": [{"service": "mid", "condition": "started"}]},
	  {"name": "solo", "argv": ["sleep", "60"]}]}'
	wait_for_line "$LOG" '^mid \| up$' 5
	wait_until 5 bash -c "[ \$(grep -c '\"event\":\"init\\.ready\"' '$LOG') -eq 4 ]"
	t0=$(now_ms)
	sig_init TERM
	wait_ns_exit 10
	echo "stopped in $(($(now_ms) - t0)) ms"	# shown on failure
	[ "$NS_STATUS" -eq 0 ]
	grep -q '"event":"init\.signal".*SIGTERM: ordered shutdown' "$LOG"
	grep -q '"event":"init\.exit".*"code":0' "$LOG"
	# each service stopped by its stop signal (not by the kernel's SIGKILL
	# when PID 1 died), before stack-init exited, dependents first
	for s in base top solo; do
		event_is init.stopped "$s" '.fields.exit == {"signal": "TERM", "code": 143}'
	done
	event_is init.stopped mid '.fields.exit == {"code": 0}'
	# its trap ran (the line's place relative to init.stopped is not
	# asserted: stack-init may log the exit before the output it read later)
	grep -q '^mid | bye$' "$LOG"
	ordered_stop top mid base
	ordered_stop solo
	[ "$(count '"event":"init\.stopped"')" -eq 4 ]
	[ "$(count '"event":"init\.killed')" -eq 0 ]
	ns_empty
}

@test "PID 1: a service ignoring SIGTERM is SIGKILLed after its stop_timeout; the stop stays ordered, exit 0" {
	start_ns '{"services": [
	  {"name": "base", "argv": ["sleep", "60"]},
	  {"name": "stubborn", "argv": ["sh", "-c", "trap \"\" TERM; echo armed; while :; do sleep 0.1; done"],
	   "stop_timeout": 1, "depends_on": ["base"]},
	  {"name": "top", "argv": ["sleep", "60"], "depends_on": ["stubborn"]}]}'
	wait_for_line "$LOG" '^stubborn \| armed$' 5
	wait_for_line "$LOG" 'top: ready' 5
	sig_init TERM
	wait_ns_exit 10
	[ "$NS_STATUS" -eq 0 ]
	grep -q '"event":"init\.killed".*stubborn: did not stop within 1 s: SIGKILL' "$LOG"
	event_is init.stopped stubborn '.fields.exit == {"signal": "KILL", "code": 137}'
	event_is init.stopped top '.fields.exit.signal == "TERM"'
	event_is init.stopped base '.fields.exit.signal == "TERM"'
	ordered_stop top stubborn base
	[ "$(line_of '"event":"init\.stopping".*"service":"stubborn"')" -lt "$(line_of '"event":"init\.killed"')" ]
	[ "$(line_of '"event":"init\.killed"')" -lt "$(line_of '"event":"init\.stopped".*"service":"stubborn"')" ]
	d=$(( $(ts_ms '"event":"init\.killed"') - $(ts_ms '"event":"init\.stopping".*"service":"stubborn"') ))
	echo "SIGKILL $d ms after SIGTERM"	# shown on failure
	[ "$d" -ge 950 ]
	[ "$d" -lt 6000 ]
	ns_empty
}

@test "SIGINT to PID 1 from outside: the same ordered shutdown, exit 0" {
	start_ns '{"services": [
	  {"name": "a", "argv": ["sleep", "60"]},
	  {"name": "b", "argv": ["sleep", "60"], "depends_on": ["a"]}]}'
	wait_for_line "$LOG" 'b: ready' 5
	sig_init INT
	wait_ns_exit 10
	[ "$NS_STATUS" -eq 0 ]
	grep -q '"event":"init\.signal".*SIGINT: ordered shutdown' "$LOG"
	event_is init.stopped a '.fields.exit.signal == "TERM"'
	event_is init.stopped b '.fields.exit.signal == "TERM"'
	ordered_stop b a
	ns_empty
}

@test "PID 1 forwards HUP, USR1, USR2 from outside; ALRM (default action: terminate) does not end it" {
	start_ns '{"services": [
	  {"name": "listener", "argv": ["sh", "-c", "for s in HUP USR1 USR2 ALRM; do trap \"echo got $s\" $s; done; echo armed; while :; do sleep 0.05; done"]}]}'
	wait_for_line "$LOG" '^listener \| armed$' 5
	for sig in HUP USR1 USR2; do
		sig_init "$sig"
		wait_for_line "$LOG" "^listener \\| got $sig\$" 5
	done
	# a process with no ALRM handler dies of it; PID 1 of a namespace does
	# not (the kernel drops it); stack-init does not forward it either
	sig_init ALRM
	sig_init USR1
	wait_until 5 bash -c "[ \$(grep -c '^listener | got USR1\$' '$LOG') -eq 2 ]"
	is_init "$INIT_HPID"
	stack-init ctl status | jq -s -e '.[0].services[0].name == "listener" and .[0].services[0].state == "ready" and .[0].ok'
	[ "$(count '^listener \| got ALRM')" -eq 0 ]
	sig_init TERM
	wait_ns_exit 10
	[ "$NS_STATUS" -eq 0 ]
	event_is init.stopped listener '.fields.exit.signal == "TERM"'
}

@test "from inside the namespace: kill -KILL 1 is dropped, kill -USR1 1 is forwarded, kill -TERM 1 stops the stack in order" {
	start_ns '{"services": [
	  {"name": "base", "argv": ["sh", "-c", "trap \"\" USR1; exec sleep 60"]},
	  {"name": "insider", "argv": ["sh", "-c", "trap \"echo got USR1\" USR1; echo armed; while [ ! -e '"$T"'/go ]; do sleep 0.05; done; kill -KILL 1; echo \"kill -KILL 1: $?\"; kill -USR1 1; while [ ! -e '"$T"'/term ]; do sleep 0.05; done; echo stopping the stack; kill -TERM 1; while :; do sleep 0.05; done"],
	   "depends_on": ["base"]}]}'
	wait_for_line "$LOG" '^insider \| armed$' 5
	touch "$T/go"
	wait_for_line "$LOG" '^insider \| kill -KILL 1: ' 5
	wait_for_line "$LOG" '^insider \| got USR1$' 5
	# still there and answering (SIGKILL from inside cannot end PID 1)
	is_init "$INIT_HPID"
	stack-init ctl status insider | jq -s -e '.[0].state == "ready"'
	touch "$T/term"
	wait_ns_exit 10
	[ "$NS_STATUS" -eq 0 ]
	grep -q '^insider | stopping the stack$' "$LOG"
	grep -q '"event":"init\.signal".*SIGTERM: ordered shutdown' "$LOG"
	event_is init.stopped insider '.fields.exit.signal == "TERM"'
	event_is init.stopped base '.fields.exit.signal == "TERM"'
	ordered_stop insider base
	[ "$(count '"event":"init\.exited"')" -eq 0 ]	# USR1 ended no service
	ns_empty
}

@test "PID 1: a critical service that goes fatal ends the namespace with its exit code (through unshare)" {
	start_ns '{"services": [
	  {"name": "loop", "argv": ["sh", "-c", "while [ ! -e '"$T"'/go ]; do sleep 0.05; done; exit 7"], "restart": "always", "backoff": 0, "critical": true,
	   "crash_loop": {"failures": 3, "window": 10, "give_up": true}},
	  {"name": "other", "argv": ["sleep", "60"]}]}'
	wait_for_line "$LOG" 'other: ready' 5
	touch "$T/go"	# from now on loop exits 7 at once
	wait_ns_exit 10
	[ "$NS_STATUS" -eq 7 ]
	grep -q '"level":"critical".*"event":"init\.crash_loop".*loop: crash loop: 3 failures' "$LOG"
	[ "$(count '"event":"init\.exited".*"service":"loop"')" -eq 3 ]
	event_is init.stopped other '.fields.exit.signal == "TERM"'
	ordered_stop other
	grep -q '"event":"init\.exit".*"code":7' "$LOG"
	ns_empty
}

@test "PID 1: a critical service dying of a signal gives 128+N through unshare" {
	start_ns '{"services": [
	  {"name": "sig", "argv": ["sh", "-c", "while [ ! -e '"$T"'/go ]; do sleep 0.05; done; kill -USR2 $$"], "restart": "on-failure", "backoff": 0, "critical": true,
	   "crash_loop": {"failures": 2, "window": 10, "give_up": true}},
	  {"name": "other", "argv": ["sleep", "60"], "depends_on": [{"service": "sig", "condition": "started"}]}]}'
	wait_for_line "$LOG" 'other: ready' 5
	touch "$T/go"
	wait_ns_exit 10
	[ "$NS_STATUS" -eq 140 ]
	event_is init.exited sig '.fields.exit == {"signal": "USR2", "code": 140}'
	ordered_stop other
	grep -q '"event":"init\.exit".*"code":140' "$LOG"
	ns_empty
}

@test "ctl status against PID 1's control socket shows the namespace's pids; restart works; the socket goes with it" {
	sock=$T/ctl.sock
	start_ns '{"services": [
	  {"name": "a", "argv": ["sleep", "60"]},
	  {"name": "b", "argv": ["sleep", "61"], "depends_on": ["a"]}]}' \
	    --control "$sock"
	grep -m1 '"event":"init\.started".*"services"' "$LOG" | jq -s -e --arg s "$sock" '.[0].fields.control == $s'
	wait_for_line "$LOG" 'b: ready' 5
	[ "$(stat -c %a "$sock")" = 600 ]
	run stack-init --control "$sock" ctl status
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -s -e '.[0].ok == true and (.[0].services | length) == 2' <<<"$output"
	for n in 0 1; do
		svc=$(jq -c ".services[$n]" <<<"$output")
		name=$(jq -r .name <<<"$svc")
		p=$(jq -r .pid <<<"$svc")
		jq -s -e '.[0].state == "ready" and .[0].restarts == 0' <<<"$svc"
		# a pid of the namespace (small), the one init.started logged,
		# and on the host a child of the init whose NSpid ends with it
		[ "$p" -gt 1 ]
		[ "$p" -lt 100 ]
		[ "$(started_pid "$name")" = "$p" ]
		h=$(host_pid_of "$p")
		[ -n "$h" ]
		[ "$h" -ne "$p" ]
		[ "$(cat "/proc/$h/comm")" = sleep ]
		echo "$name: pid $p in the namespace, $h on the host"	# shown on failure
	done
	old=$(stack-init --control "$sock" ctl status a | jq -r .pid)
	stack-init --control "$sock" ctl restart a
	wait_until 5 bash -c "stack-init --control '$sock' ctl status a | jq -s -e '.[0].restarts == 1 and .[0].state == \"ready\"' >/dev/null"
	new=$(stack-init --control "$sock" ctl status a | jq -r .pid)
	[ "$new" -ne "$old" ]
	[ "$new" -gt 1 ]
	[ "$new" -lt 100 ]
	sig_init TERM
	wait_ns_exit 10
	[ "$NS_STATUS" -eq 0 ]
	[ ! -e "$sock" ]
	run stack-init --control "$sock" ctl status
	[ "$status" -eq 69 ]
}

@test "SIGKILL to PID 1 (docker kill): the kernel ends the whole namespace; the next stack-init takes over the stale control socket" {
	start_ns '{"services": [
	  {"name": "a", "argv": ["sleep", "60"]},
	  {"name": "b", "argv": ["sh", "-c", "(setsid sleep 61 &); exec sleep 62"]}]}'
	wait_for_line "$LOG" 'b: ready' 5
	wait_until 5 bash -c "[ \$(ps -o pid= --ppid $INIT_HPID | wc -l) -eq 3 ]"
	[ "$(ns_members | wc -l)" -eq 4 ]
	sig_init KILL
	wait_ns_exit 5
	# unshare reports its child's death by a signal (util-linux 2.38 exits 1
	# with "sigprocmask unblock failed" trying to die of SIGKILL itself)
	[ "$NS_STATUS" -ne 0 ]
	ns_empty
	[ "$(count '"event":"init\.(stopping|stopped|exit)"')" -eq 0 ]
	# the socket file stayed behind; a new stack-init replaces it
	[ -S "$GWKIT_RUNTIME_DIR/init.sock" ]
	mv "$LOG" "$T/first.log"
	start_ns '{"services": [{"name": "c", "argv": ["sleep", "60"]}]}'
	wait_for_line "$LOG" 'c: ready' 5
	stack-init ctl status | jq -s -e '.[0].services[0].name == "c" and .[0].services[0].state == "ready" and .[0].ok'
}
