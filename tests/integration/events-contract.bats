#!/usr/bin/env bats
# The event record as a contract between programs (docs/events.md): real
# events of every program, provoked by running them and causing faults,
# must all be accepted by discord-notify, and every name a program emits
# must be documented. The tests of this file share what they collect
# ($BATS_FILE_TMPDIR/events/*.jsonl) and run in order.
#
# The warning+ names no test could provoke are written to
# $GWKIT_BIN/events-contract.log (a log, not the TAP output).

load stack

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/events"
}

setup() {
	stack_setup
	EV=$BATS_FILE_TMPDIR/events
}

teardown() {
	stop_pid "${SIM2_PID:-}" "${SIM_PID:-}" "${NOTIFY_PID:-}"
	stack_teardown
	reap_test_procs
}

# collect NAME FILE: keep FILE's event-record lines (JSON objects with an
# "event"), service prefixes ("name | ", "name (check) | ") stripped.
collect() {
	sed -E 's/^[a-z0-9_-]+( \((check|restart)\))? \| //' "$2" |
		jq -R -c 'fromjson? | select(type == "object" and has("event"))' >"$EV/$1.jsonl"
}

# documented [LEVEL-REGEX]: the event names in docs/events.md's tables
# whose level column matches, one per line, sorted.
documented() {
	sed -nE 's/^\| `([a-z_]+\.[a-z_.]+)` \| ([^|]*) \|.*/\1 \2/p' \
		"$BATS_TEST_DIRNAME/../../docs/events.md" |
		awk -v re="${1:-.}" '$0 ~ re { print $1 }' | sort -u
}

emitted() { cat "$EV"/*.jsonl | jq -r '.event' | sort -u; }

@test "events: gw-sim's, provoked (client id in use, protocol error, bad control command, upstream lost, port in use)" {
	start_sim "$SIM_PORT" --control "$SIM_CTL" --client-ids-in-use 5 --log-level debug
	wait_listening
	gw-probe -q --port "$SIM_PORT"
	run gw-probe -q --port "$SIM_PORT" --client-id 5
	[ "$status" -eq 14 ]
	printf 'GET / HTTP/1.0\r\n\r\n' | socat -t 2 - "TCP:127.0.0.1:$SIM_PORT" >/dev/null || true
	for c in 'fault frozen' 'fault wedged' 'fault none' 'slow-ms 0' 'upstream-lost' \
		'upstream-restored 1101' 'login-delay 0' 'restart'; do
		printf '%s\n' "$c" | socat -t 5 - "UNIX-CONNECT:$SIM_CTL" >/dev/null
	done
	wait_listening "$SIM_LOG" 10
	run gw-sim --port "$SIM_PORT" --log-level debug
	[ "$status" -eq 71 ]
	printf '%s\n' "$output" >"$T/sim2.log"
	stop_pid "$SIM_PID"
	SIM_PID=
	cat "$SIM_LOG" "$T/sim2.log" >"$T/all.log"
	collect gw-sim "$T/all.log"
	for e in sim.client_id_in_use sim.protocol_error sim.control sim.upstream_lost \
		sim.listen_failed sim.stopped; do
		jq -s -e --arg e "$e" 'any(.[]; .event == $e)' "$EV/gw-sim.jsonl" >/dev/null ||
			{ echo "no $e"; return 1; }
	done
}

# notify_once NAME [FAULT-JSON] [discord-notify args...] < lines: one
# --once run on a spool of its own, after setting the fake's fault.
notify_once() {
	local name=$1 fault=$2
	shift 2
	[ -z "$fault" ] || fake_control "$fault"
	discord-notify --once --no-listen --allow-insecure-url --coalesce-window 0 \
		--spool "$T/spool-$name" --timeout 20 "$@" >"$T/notify-$name.log" 2>&1
}

ev_line() {
	printf '{"ts":"2026-01-01T00:00:00Z","level":"%s","source":"test","component":"contract","event":"test.%s","message":"%s"}\n' "$1" "$2" "$3"
}

@test "events: discord-notify's, provoked (no webhook, rejected line, 429, 5xx, 400, 401, damaged spool, client limit)" {
	start_fake
	ev_line warning one "one" | env -u DISCORD_WEBHOOK_URL \
		discord-notify --once --no-listen --spool "$T/spool-nowh" >"$T/notify-nowh.log" 2>&1
	{ echo 'this is not JSON'; ev_line info two "two"; } | notify_once rejected ''
	ev_line warning three "three" | notify_once r429 '{"fail_next":1,"status":429,"retry_after":0.2}'
	ev_line warning four "four" | notify_once r500 '{"fail_next":1,"status":503}'
	{ ev_line warning five "five"; ev_line warning six "six"; } |
		notify_once r400 '{"fail_next":2,"status":400}' || true
	# --once ends with 77 at once when the webhook refuses us (parked)
	rc=0
	ev_line warning seven "seven" | notify_once r401 '{"fail_next":1,"status":401}' --park-retry 1 || rc=$?
	[ "$rc" -eq 77 ]
	# a spool with a line that no longer decodes
	mkdir -m 700 "$T/spool-damaged"
	echo 'garbage' >"$T/spool-damaged/spool.jsonl"
	ev_line info eight "eight" | notify_once damaged ''
	# more socket clients than --max-clients
	discord-notify --no-stdin --listen "$T/n.sock" --max-clients 1 --allow-insecure-url \
		--spool "$T/spool-clients" >"$T/notify-clients.log" 2>&1 3>&- &
	NOTIFY_PID=$!
	wait_for_line "$T/notify-clients.log" '"event":"notify\.started"' 10
	socat -u EXEC:'sleep 5' "UNIX-CONNECT:$T/n.sock" 3>&- &
	c1=$!
	socat -u EXEC:'sleep 5' "UNIX-CONNECT:$T/n.sock" 3>&- &
	c2=$!
	wait_for_line "$T/notify-clients.log" '"event":"notify\.client_limit"' 10
	kill "$c1" "$c2" 2>/dev/null || true
	wait "$c1" "$c2" 2>/dev/null || true
	stop_pid "$NOTIFY_PID"
	NOTIFY_PID=
	# a daemon parked by a 401 comes back by itself (--once would exit 77)
	fake_control '{"fail_next":1,"status":401}'
	discord-notify --no-stdin --listen "$T/p.sock" --park-retry 1 --allow-insecure-url \
		--coalesce-window 0 --spool "$T/spool-park" >"$T/notify-park.log" 2>&1 3>&- &
	NOTIFY_PID=$!
	wait_for_line "$T/notify-park.log" '"event":"notify\.started"' 10
	ev_line warning nine "nine" | socat -u - "UNIX-CONNECT:$T/p.sock"
	wait_for_line "$T/notify-park.log" '"event":"notify\.unparked"' 20
	stop_pid "$NOTIFY_PID"
	NOTIFY_PID=
	cat "$T"/notify-*.log >"$T/all.log"
	collect discord-notify "$T/all.log"
	for e in notify.no_webhook notify.rejected notify.rate_limited notify.retry \
		notify.refused notify.dead_letter notify.parked notify.unparked \
		notify.spool_damaged notify.client_limit notify.stopped; do
		jq -s -e --arg e "$e" 'any(.[]; .event == $e)' "$EV/discord-notify.jsonl" >/dev/null ||
			{ echo "no $e"; return 1; }
	done
}

@test "events: stack-init's, provoked (spawn failure, crash loop, not ready, check failure, failed restart action, not ready after restart, reload failure, kills at shutdown)" {
	at=$(date -u -d "@$(( $(date +%s) + 5 ))" +%H:%M:%S)	# neveragain is ready by then
	sched='"schedule": [{"at": "'$at'", "tz": "UTC", "days": "daily", "action": "restart"}]'
	cat >"$T/stack.json" <<JSON
{"services": [
  {"name": "gone", "argv": ["$T/no-such-program"], "restart": "no"},
  {"name": "flaky", "argv": ["sh", "-c", "exit 3"], "restart": "always",
   "backoff": {"initial": 0.05, "max": 0.1}, "crash_loop": {"failures": 2, "window": 30, "give_up": true}},
  {"name": "slowready", "argv": ["sleep", "600"],
   "ready": {"argv": ["false"], "interval": 0.1, "timeout": 1, "start_period": 0.5}},
  {"name": "nocheck", "argv": ["sleep", "600"],
   "ready": {"argv": ["$T/no-such-check"], "interval": 0.2, "timeout": 1, "start_period": 30}},
  {"name": "grouped", "argv": ["sh", "-c", "sleep 600 & sleep 0.3; exit 1"], "restart": "no"},
  {"name": "badaction", "argv": ["sleep", "600"], $sched,
   "restart_action": {"argv": ["false"], "timeout": 5}},
  {"name": "neveragain", "argv": ["sh", "-c", "[ -e $T/started ] && exec sleep 600; touch $T/started $T/ready; trap 'rm -f $T/ready; exit 0' TERM; while :; do sleep 0.1; done"],
   "ready": {"argv": ["test", "-e", "$T/ready"], "interval": 0.1, "timeout": 1},
   $sched, "restart_action": {"signal": "TERM"}, "ready_after_restart": 1},
  {"name": "stubborn", "argv": ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"], "stop_timeout": 1},
  {"name": "escaper", "argv": ["sh", "-c", "setsid sh -c 'trap \"\" TERM; exec sleep 600' & exec sleep 600"]}
]}
JSON
	stack-init -n "$T/stack.json"
	stack-init --log-level debug "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	for e in init.spawn_failed init.crash_loop init.not_ready init.check_failed \
		init.killed_group init.restart_action_failed init.not_ready_after_restart; do
		wait_for_line "$LOG" "\"event\":\"${e//./\\.}\"" 20
	done
	# a good reload (its event carries arrays), then a broken file
	sed -i 's/"slowready", "argv": \["sleep", "600"\]/"slowready", "argv": ["sleep", "601"]/' "$T/stack.json"
	run stack-init ctl reload
	[ "$status" -eq 0 ]
	wait_for_line "$LOG" '"event":"init\.reloaded"' 20
	echo '{"services": [' >"$T/stack.json"
	run stack-init ctl reload
	[ "$status" -eq 1 ]
	wait_for_line "$LOG" '"event":"init\.reload_failed"' 10
	kill -TERM "$INIT_PID"
	wait_until 30 eval '! kill -0 $INIT_PID 2>/dev/null'
	INIT_PID=
	grep -q '"event":"init\.killed"' "$LOG"
	grep -q '"event":"init\.leftovers".*"level":"warning"\|"level":"warning".*"event":"init\.leftovers"' "$LOG"
	collect stack-init "$LOG"
}

@test "events: every line collected from the programs goes through discord-notify --dry-run, none rejected" {
	cat "$EV"/*.jsonl >"$T/all.jsonl"
	n=$(wc -l <"$T/all.jsonl")
	[ "$n" -gt 100 ]
	env -u DISCORD_WEBHOOK_URL discord-notify --dry-run --once --no-listen --coalesce-window 0 --timeout 60 \
		<"$T/all.jsonl" >"$T/dry.log" 2>&1
	rejected=$(grep -c '"event":"notify\.rejected"' "$T/dry.log" || true)
	if [ "$rejected" -ne 0 ]; then
		grep '"event":"notify\.rejected"' "$T/dry.log" | jq -r .fields.reason | sort | uniq -c | head -20
		return 1
	fi
	printed=$(jq -R 'fromjson? | select(.dry_run) | .payload.embeds | length' "$T/dry.log" |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$printed" -eq "$n" ]
}

@test "events: every name a program emitted is in docs/events.md; the warning+ ones not provoked are logged" {
	documented >"$T/doc.txt"
	[ "$(wc -l <"$T/doc.txt")" -gt 50 ]
	emitted >"$T/emitted.txt"
	missing=$(comm -23 "$T/emitted.txt" "$T/doc.txt")
	if [ -n "$missing" ]; then
		echo "emitted but not in docs/events.md: $missing"
		return 1
	fi
	documented 'warning|error|critical' >"$T/doc-warn.txt"
	{
		echo "# $(date -u +%FT%TZ) events-contract: warning+ names in docs/events.md not provoked by the tests"
		comm -23 "$T/doc-warn.txt" "$T/emitted.txt"
	} >"$GWKIT_BIN/events-contract.log"
	# 25 of the 36 documented today are provoked; none may get lost
	[ "$(comm -12 "$T/doc-warn.txt" "$T/emitted.txt" | wc -l)" -ge 25 ]
}

@test "events: every event-name literal in the sources is in docs/events.md" {
	root=$BATS_TEST_DIRNAME/../..
	documented >"$T/doc.txt"
	# lib/svcconf.c parses stack-init's file: its "health.retries" and the
	# like are configuration keys named in errors, not events.
	grep -rhoE --exclude=svcconf.c '"(sim|notify|init|probe|bot|health|gateway|gate|gameplan|strategy|intent|order|risk)\.[a-z_]+(\.[a-z_]+)*"' \
		"$root/cmd" "$root/lib" | tr -d '"' |
		grep -vE '\.(h|c|sock|jsonl|lock|json)$' | sort -u >"$T/src.txt"
	[ "$(wc -l <"$T/src.txt")" -gt 50 ]
	missing=$(comm -23 "$T/src.txt" "$T/doc.txt")
	if [ -n "$missing" ]; then
		echo "in the sources but not in docs/events.md: $missing"
		return 1
	fi
}
