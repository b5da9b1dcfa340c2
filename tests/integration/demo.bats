#!/usr/bin/env bats
# make demo (mk/demo.sh) run headless: the whole stack on gw-sim under one
# stack-init, a scheduled gateway restart a few seconds in, the readable
# view on a file (not a terminal: no colour). The tests read the view
# itself, as a newcomer would, and check the events happened in order,
# the status page answered, the demo ended by itself (DEMO_SECONDS) or on
# a Ctrl-C to its process group, every service stopping in reverse order
# and no process left behind. Loopback only; every wait has a deadline.
load common

setup() {
	T=$BATS_TEST_TMPDIR
	DEMO=$BATS_TEST_DIRNAME/../../mk/demo.sh
	OUT=$T/out.txt
	DIR=$T/demo
	DEMO_PID=
}

teardown() {
	if [ -n "$DEMO_PID" ]; then stop_pid "$DEMO_PID"; fi
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		echo "--- the demo's output (last 80 lines)"
		tail -n 80 "$OUT" 2>/dev/null
	fi
	reap_test_procs
}

# start_demo VAR=VALUE...: mk/demo.sh in a session of its own (a process
# group a test can Ctrl-C as a terminal would), output to $OUT, logs kept
# in $DIR; DEMO_PID is the script, DEMO_PGID its process group.
start_demo() {
	env "$@" DEMO_DIR="$DIR" GWKIT_BIN="$GWKIT_BIN" setsid -w "$DEMO" >"$OUT" 2>&1 3>&- &
	DEMO_PID=$!
	wait_until 10 test -s "$OUT"
	# setsid runs the script in place, or forks it when it leads a group
	DEMO_PGID=$(awk '{ print $5 }' "/proc/$DEMO_PID/stat")
}

demo_gone() { ! kill -0 "$DEMO_PID" 2>/dev/null; }

# wait_demo SECS: until the demo exits; its status into DEMO_RC.
wait_demo() {
	wait_until "$1" demo_gone
	DEMO_RC=0
	wait "$DEMO_PID" || DEMO_RC=$?
	DEMO_PID=
}

# The view's event lines (they start with HH:MM:SS.mmm) ordered by time,
# stable: two tails feed the view (stack-init's log, the webhook's store),
# so the file's order between them is only as good as their latency. A
# run across midnight (UTC) keeps its order.
by_time() {
	awk '/^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9][0-9][0-9] / {
		split(substr($1, 1, 8), t, ":")
		s = t[1] * 3600 + t[2] * 60 + t[3] + substr($1, 10) / 1000
		if (first == "") first = s
		if (s < first - 3600) s += 86400
		printf "%.3f\t%s\n", s, $0 }' "$OUT" | sort -s -n -k1,1 | cut -f2-
}

# in_order FILE REGEX...: each REGEX (awk ERE) matches a line after the
# line the previous one matched; says which step is missing.
in_order() {
	local file=$1 n=0 prev=start re m
	shift
	for re in "$@"; do
		m=$(RE=$re awk -v from="$n" 'NR > from && $0 ~ ENVIRON["RE"] { print NR; exit }' "$file")
		if [ -z "$m" ]; then
			echo "missing, in order: /$re/ after /$prev/ (line $n of $file)" >&2
			return 1
		fi
		n=$m prev=$re
	done
}

# The pids of every process the stack ran (services, the strategy, and
# stack-init itself), from its raw log.
stack_pids() {
	sed -E 's/^[a-z]+ \| //' "$DIR/init.log" | jq -R -r 'fromjson? | select(type == "object")
		| select(.event == "init.started" or .event == "strategy.started")
		| .fields.pid // empty'
}

# Nothing the demo started is alive: the pids from its log, and any
# process still naming its directory (the view's tails, a service).
all_gone() {
	local p n=0
	for p in $(stack_pids); do
		n=$((n + 1))
		if kill -0 "$p" 2>/dev/null; then
			echo "pid $p is still running: $(tr '\0' ' ' <"/proc/$p/cmdline")" >&2
			return 1
		fi
	done
	# the six services, the strategy and stack-init at least
	[ "$n" -ge 8 ] || { echo "only $n pids in the log" >&2; return 1; }
	refute pgrep -f -- "$DIR/" >/dev/null
}

@test "make demo headless: the restart story in order, the status page, no colour off a terminal, a clean end after DEMO_SECONDS" {
	start_demo NO_COLOR= DEMO_SECONDS=50 DEMO_RESTART_AFTER=20 DEMO_LOGIN_DELAY=5 DEMO_INTENT_INTERVAL=2
	wait_for_line "$OUT" '^demo: status page: http://127\.0\.0\.1:[0-9]+/ ' 10
	url=$(sed -n 's/^demo: status page: \([^ ]*\) .*/\1/p' "$OUT")
	# health-mon starts once the bot's gate is open; the page names the gateway
	wait_until 60 curl -sf -o "$T/page.html" "$url"
	grep -q 'gateway' "$T/page.html"
	grep -qi '<html' "$T/page.html"
	wait_demo 120
	[ "$DEMO_RC" -eq 0 ]

	by_time >"$T/sorted.txt"
	# the day: the gateway logs in behind the relay, the gate opens, an
	# order it would place; the scheduled restart: announced, the bot
	# paused, the gateway back, the bot thawed: its session lost (a known
	# restart: info), a new session at once, the gate open, orders again
	in_order "$T/sorted.txt" \
		'stack-init +info +init\.ready +relay: ready after' \
		'bot-core +info +gateway\.attempt_failed +gateway attempt 1: relay-closed' \
		'bot-core +info +gate\.opened' \
		'bot-core +info +order\.would_place +dry run: would BUY 1 [A-Z]+' \
		'stack-init +info +init\.scheduled_restart +gateway: scheduled restart' \
		'stack-init +info +init\.paused +bot: paused' \
		'bot-core +info +gateway\.disconnected .*a known restart of gateway' \
		'bot-core +info +gateway\.validated' \
		'bot-core +info +gate\.opened' \
		'bot-core +info +order\.would_place +dry run: would BUY'
	# stack-init sees the gateway ready too (bot-core and stack-init's
	# check both poll every 0.1 s: either may be first)
	in_order "$T/sorted.txt" 'stack-init +info +init\.ready +relay: ready after' \
		'stack-init +info +init\.ready +gateway: ready after' 'init\.scheduled_restart'
	# stack-init's side of it (the thawed bot's first event may carry the
	# same millisecond as init.resumed, or one before: not ordered here)
	in_order "$T/sorted.txt" 'init\.paused +bot: paused' \
		'init\.restart_completed +gateway: ready again after its scheduled restart' \
		'init\.resumed +bot: resumed'
	# a restart stack-init sent is no alarm: nothing at warning or above
	# from the restart's announcement to the shutdown, nothing posted
	awk '/init\.scheduled_restart/ { on = 1 } /init\.signal/ { on = 0 }
	    on && / (warning|error|critical) / { print; bad = 1 } END { exit bad }' "$T/sorted.txt"
	# health-mon held what it saw as the restart's, at info
	in_order "$T/sorted.txt" 'init\.scheduled_restart' 'health-mon +info +health\.restart +gateway restarting'
	# health-mon saw the restart end (no "recovered": it never announced an outage)
	in_order "$T/sorted.txt" 'init\.restart_completed' 'health-mon +info +health\.restart +gateway restarted .*completed'
	refute grep -Eq 'health-mon +[a-z]+ +health\.recovered +gateway' "$T/sorted.txt"
	# market data subscribed again for every symbol of the gameplan: an
	# order for each after the restart
	for sym in SPY QQQ IWM; do
		in_order "$T/sorted.txt" 'init\.restart_completed' "order\\.would_place +dry run: would BUY 1 $sym "
	done
	# DEMO_SECONDS: stack-init stops every service in reverse order
	in_order "$OUT" 'init\.signal +SIGTERM: ordered shutdown' 'init\.shutdown' \
		'init\.stopped +health: stopped' 'init\.stopped +bot: stopped' 'init\.stopped +relay: stopped' \
		'init\.stopped +gateway: stopped' 'init\.stopped +notify: stopped' 'init\.stopped +webhook: stopped' \
		'init\.exit +all services down; exiting with 0' \
		'^demo: stack-init stopped every service in reverse order \(exit 0\)'
	grep -Eq '^demo: bot-core would have placed [1-9][0-9]* orders \(dry run\); [0-9]+ alerts? were posted' "$OUT"
	# not a terminal: no colour codes at all
	refute grep -q $'\033' "$OUT"
	all_gone
}

@test "make demo: Ctrl-C (SIGINT to its process group) stops the stack in reverse order, exit 0, nothing left" {
	start_demo DEMO_RESTART_AFTER=600
	# once the whole stack runs: health-mon starts last
	wait_for_line "$OUT" 'health-mon +info +health\.started' 60
	kill -INT -- "-$DEMO_PGID"
	wait_demo 60
	[ "$DEMO_RC" -eq 0 ]
	in_order "$OUT" 'init\.signal +SIGINT: ordered shutdown' 'init\.shutdown' \
		'init\.stopped +health: stopped' 'init\.stopped +bot: stopped' 'init\.stopped +relay: stopped' 'init\.stopped +gateway: stopped' \
		'init\.stopped +notify: stopped' 'init\.stopped +webhook: stopped' \
		'init\.exit +all services down; exiting with 0' \
		'^demo: stack-init stopped every service in reverse order \(exit 0\)'
	# one ordered shutdown: the script did not add a SIGTERM of its own
	refute grep -q 'init\.signal +SIGTERM' "$OUT"
	all_gone
}
