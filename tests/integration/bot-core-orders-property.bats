#!/usr/bin/env bats
# A property of bot-core's order path, checked over one random run against
# gw-sim's paper broker (docs/orders.md):
#  a) no placeOrder reaches gw-sim while bot-core's gate is closed;
#  b) no orderRef reaches gw-sim twice (an intent is placed at most once,
#     across reconnects, gateway restarts and kill -9 of bot-core);
#  c) after a reconciliation (all must be ok), bot-core's positions equal
#     gw-sim's book.
# gw-sim's own log (sim.order.received, logged before its broker sees the
# order) is the observer independent of bot-core; bot-core's log gives the
# gate's closed intervals. Both logs stamp events with the same host clock.
#
# A feeder appends random intents (MKT and LMT, BUY/SELL, SPY/QQQ, 1..5
# shares; LMT either marketable or resting far from the market) every 20-90
# ms, and now and then resends an old intent id; bot-core's strategy is
# `tail -n +1 -f`, so a restarted bot-core also gets every old intent again.
# Meanwhile a random schedule plays: gw-sim faults (order-reject,
# order-swallow, fill-delay, fill-parts), gw-sim restarts (SIGHUP: the book
# survives), upstream lost/restored (SIGUSR1/SIGUSR2), the operator's
# halt/resume, and kill -9 of bot-core with a restart on the same journal.
# Between two steps it waits for a random number of new intent decisions
# (an event, with a deadline).
#
# The schedule and the intents come from PROP_SEED (printed; default: the
# clock), so a failure is replayed with PROP_SEED=N; the timing is not
# replayed. PROP_SECONDS bounds the schedule (default 40).
load common
bats_require_minimum_version 1.5.0

# The tolerance of check a), in ms. bot-core logs order.placed once the
# frame is in its output buffer; libevent writes it on a later loop turn
# and gw-sim logs sim.order.received when it has read and decoded it. A
# loss (1100, EOF, heartbeat) is only seen after the fact, on another loop
# turn, and then gate.closed is logged: a placeOrder that was already on
# its way may be logged by gw-sim after the gate.closed line. Such an order
# is allowed if it arrives at most TOL ms after the closing AND bot-core's
# own order.placed for it is not later than the closing. 250 ms is
# generous for a loaded 2-core machine (a few ms is usual), yet well below
# how long the gate stays closed here (an outage, a restart or a halt
# lasts 0.3 s or more while the feeder sends every 20-90 ms), so a gate
# that lets orders through while closed is caught.
TOL=250

setup() {
	PORT=$(free_port)
	export GWKIT_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$GWKIT_RUNTIME_DIR" && chmod 700 "$GWKIT_RUNTIME_DIR"
	SIM_PID= BOT_PID= FEED_PID=
	PLAN=$BATS_TEST_TMPDIR/plan.json
	SIMCTL=$BATS_TEST_TMPDIR/sim.ctl
	MARKS=$BATS_TEST_TMPDIR/kills.txt
	PAUSE=$BATS_TEST_TMPDIR/pause PAUSED=$BATS_TEST_TMPDIR/paused
	: >"$MARKS"
	LIFE=0
	export GATEWAY_RETRY_INTERVAL=0.05 GATEWAY_STARTUP_TIMEOUT=20
	export HEARTBEAT_INTERVAL=0.3 HEARTBEAT_TIMEOUT=0.5
	export RECONNECT_MAX=1000 RECONNECT_WINDOW=1
	export STARTING_CAPITAL=100000 LOG_LEVEL=info
	export CLOSE_OUT_TIME=off
	export DRY_RUN=false ORDER_ACK_TIMEOUT=1 MAX_ORDERS_PER_SECOND=15
	export ORDER_JOURNAL=$BATS_TEST_TMPDIR/state/orders.jsonl
	unset TRADING_MODE LIVE_TRADING_CONFIRM STRATEGY_CMD GAMEPLAN_PATH CLIENT_ID ADOPT_POSITIONS
	INTENTS=$BATS_TEST_TMPDIR/intents.jsonl
	SEEN=$BATS_TEST_TMPDIR/seen.jsonl
	: >"$INTENTS"
	: >"$SEEN"
	export INTENTS SEEN
	printf '{"date":"%s","strategy":"A","symbols":["SPY","QQQ"],"hard_limits":{"max_daily_loss_pct":50,"max_single_position":1000},"allow_outside_rth":true,"max_intents_per_minute":10000}\n' \
	    "$(TZ=America/New_York date +%F)" >"$PLAN"
}

teardown() {
	[ -z "$FEED_PID" ] || { kill "$FEED_PID" 2>/dev/null; wait "$FEED_PID" 2>/dev/null; } || true
	stop_pid "$BOT_PID" "$SIM_PID"
	reap_test_procs
}

simctl() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$SIMCTL"; }
sim_set() { [ "$(simctl "$1")" = '{"ok":true}' ] || { echo "gw-sim $1 failed" >&2; return 1; }; }
ctl() { bot-core ctl --control "$GWKIT_RUNTIME_DIR/bot.sock" "$@"; }
gate_open() { [ "$(ctl status | jq .gate_open)" = true ]; }

# start_bot: a new life of bot-core on the same journal, logging to its
# own file ($LOG).
start_bot() {
	LIFE=$((LIFE + 1))
	LOG=$BATS_TEST_TMPDIR/bot-$LIFE.log
	bot-core --port "$PORT" --gameplan "$PLAN" --no-notify \
	    --strategy 'tail -n +1 -f "$INTENTS" & exec cat >>"$SEEN"' \
	    >"$LOG" 2>&1 3>&- &
	BOT_PID=$!
}

count() { grep -cE "$1" "$2" || true; }
# an intent decision: rejected by the risk gate, or placed or refused by
# the order path (with orders on, accepted intents are order.placed)
DECIDED='"event":"(intent\.rejected|order\.(placed|refused))"'
decisions() { count "$DECIDED" "$LOG"; }
reconciled() { count '"event":"orders\.reconciled"' "$LOG"; }

# dwell N: wait for N more intent decisions of this life (bounded: 15 s).
dwell() {
	local want=$(($(decisions) + $1))
	wait_until 15 bash -c "[ \$(grep -cE '$DECIDED' '$LOG') -ge $want ]"
}

# feeder SEED: append a random intent every 20-90 ms; one in ten resends
# an earlier one (same id, same content). Pauses while $PAUSE exists,
# acknowledging with $PAUSE's content in $PAUSED.
feeder() {
	local n=0 k lines=() sym side qty line lmt
	set +e	# a generator: nothing here may end it but kill
	RANDOM=$1
	while :; do
		if [ -e "$PAUSE" ]; then
			cmp -s "$PAUSE" "$PAUSED" 2>/dev/null ||
			    cp "$PAUSE" "$PAUSED" 2>/dev/null
			sleep 0.02	# pacing of the generator, not a wait
			continue
		fi
		if ((n > 0 && RANDOM % 10 == 0)); then
			k=$((RANDOM % n))
			line=${lines[k]}
		else
			n=$((n + 1))
			sym=$((RANDOM % 2)) side=$((RANDOM % 2)) qty=$((RANDOM % 5 + 1))
			sym=${sym/0/SPY} sym=${sym/1/QQQ}
			side=${side/0/BUY} side=${side/1/SELL}
			case $((RANDOM % 5)) in
			0) # marketable: above any ask / below any bid (100..499.99)
				[ "$side" = BUY ] && lmt=900 || lmt=10 ;;
			1) # resting: never fills, ends when a halt cancels it
				[ "$side" = BUY ] && lmt=10 || lmt=900 ;;
			*) lmt= ;;
			esac
			if [ -n "$lmt" ]; then
				line=$(printf '{"type":"intent","id":"f%d","symbol":"%s","side":"%s","quantity":%d,"order_type":"LMT","limit_price":%d}' "$n" "$sym" "$side" "$qty" "$lmt")
			else
				line=$(printf '{"type":"intent","id":"f%d","symbol":"%s","side":"%s","quantity":%d,"order_type":"MKT"}' "$n" "$sym" "$side" "$qty")
			fi
			lines+=("$line")
		fi
		printf '%s\n' "$line" >>"$INTENTS"
		sleep "0.0$((RANDOM % 8 + 2))"	# pacing, not a wait
	done
}

PAUSES=0
pause_feeder() {
	[ -n "$FEED_PID" ] || return 0
	PAUSES=$((PAUSES + 1))
	echo "$PAUSES" >"$PAUSE"
	wait_until 10 cmp -s "$PAUSE" "$PAUSED"
}
resume_feeder() { rm -f "$PAUSE"; }

# The positions: bot-core's (ctl status) and gw-sim's (book), as a sorted
# object symbol -> shares, zero positions left out.
bot_positions() {
	ctl status | jq -cS '.positions | map_values(.position) | with_entries(select(.value != 0))'
}
sim_positions() {
	simctl book | jq -cS '[.positions[] | {key: .symbol, value: (.qty | tonumber)}] | from_entries | with_entries(select(.value != 0))'
}
positions_agree() { [ "$(bot_positions)" = "$(sim_positions)" ]; }

# after_reconcile N WHY: wait for this life's reconciliation number N; it
# must be ok. Then, with the feeder paused, bot-core's positions must come
# to equal gw-sim's book (fills already decided at gw-sim may still be on
# their way: bounded, 15 s).
after_reconcile() {
	wait_until 25 bash -c "[ \$(grep -c '\"event\":\"orders\\.reconciled\"' '$LOG') -ge $1 ]"
	local line
	line=$(grep '"event":"orders\.reconciled"' "$LOG" | sed -n "$1p")
	echo "$line" | jq -e '.fields.ok == true' >/dev/null ||
	    { echo "reconciliation not ok ($2): $line" >&2; return 1; }
	pause_feeder
	if ! wait_until 15 positions_agree; then
		echo "positions differ after reconciliation ($2): bot-core $(bot_positions), gw-sim $(sim_positions)" >&2
		return 1
	fi
	echo "    reconciled ($2), positions agree: $(bot_positions)"
	CHECKS=$((CHECKS + 1))
}

# resend_old N: with the feeder paused, resend N intents gw-sim already
# received; each must be refused (order-refused) by the restarted bot-core.
resend_old() {
	local refs id i before
	mapfile -t refs < <(jq -rR 'fromjson? | select(.event == "sim.order.received") | .fields.order_ref' "$SIM_LOG" | sed -n 's/^gwk://p' | sort -u)
	((${#refs[@]} > 0)) || return 0
	for ((i = 0; i < $1; i++)); do
		id=${refs[RANDOM % ${#refs[@]}]}
		before=$(count "\"type\":\"intent_result\",\"id\":\"$id\",\"accepted\":false,\"rule\":\"order-refused\"" "$SEEN")
		grep -m1 "\"id\":\"$id\"" "$INTENTS" >>"$INTENTS"
		wait_until 10 bash -c "[ \$(grep -c '\"type\":\"intent_result\",\"id\":\"$id\",\"accepted\":false,\"rule\":\"order-refused\"' '$SEEN') -gt $before ]" ||
		    { echo "resent $id was not refused" >&2; return 1; }
		RESENT=$((RESENT + 1))
	done
}

# check: the properties over the logs (python: timestamps to ms, intervals).
check() {
	python3 - "$TOL" "$SIM_LOG" "$SEEN" "$MARKS" "$BATS_TEST_TMPDIR"/bot-*.log <<-'EOF'
	import json, re, sys
	from datetime import datetime, timezone
	tol, simlog, seen, marks = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
	bots = sorted(sys.argv[5:], key=lambda p: int(re.search(r"bot-(\d+)\.log$", p).group(1)))
	def ms(ts):
	    d = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
	    return round(d.timestamp() * 1000)
	def events(path):
	    with open(path) as f:
	        for line in f:
	            try:
	                o = json.loads(line)
	            except ValueError:
	                continue
	            if isinstance(o, dict) and "event" in o and "ts" in o:
	                yield o
	bad = []
	# bot-core's timeline: gate closings (a life's start, gate.closed, a
	# kill -9 from kills.txt) and openings; its order.placed times.
	kills = [int(l.split()[1]) for l in open(marks) if l.strip()]
	timeline, placed = [], {}
	for life, path in enumerate(bots, 1):
	    closed = True
	    for o in events(path):
	        e, t, f = o["event"], ms(o["ts"]), o.get("fields") or {}
	        if e == "bot.starting":
	            timeline.append((t, "close", "life %d starts" % life))
	        elif e == "gate.closed":
	            timeline.append((t, "close", "gate.closed (%s) in life %d" % (f.get("reason"), life)))
	            closed = True
	        elif e == "gate.opened":
	            timeline.append((t, "open", "life %d" % life))
	            closed = False
	        elif e == "order.placed":
	            placed.setdefault("gwk:" + f["id"], t)
	            if closed:	# bot-core's own log, exact: in line order
	                bad.append("bot-core life %d logged order.placed %s while its gate was closed" % (life, f["id"]))
	    if life <= len(kills):
	        timeline.append((kills[life - 1], "close", "kill -9 of life %d" % life))
	intervals, start, why = [], None, None
	for t, kind, what in timeline:	# already in time order, life by life
	    if kind == "close" and start is None:
	        start, why = t, what
	    elif kind == "open" and start is not None:
	        intervals.append((start, t, why))
	        start = None
	if start is not None:
	    intervals.append((start, float("inf"), why))
	# gw-sim's observations
	received = [(ms(o["ts"]), o["fields"]["order_ref"]) for o in events(simlog)
	            if o["event"] == "sim.order.received"]
	refs = {}
	late = maxlag = 0
	for r, ref in received:
	    refs[ref] = refs.get(ref, 0) + 1
	    if ref not in placed:
	        bad.append("gw-sim received %s, which bot-core never logged as placed" % ref)
	    else:
	        maxlag = max(maxlag, r - placed[ref])
	    for c, o, why in intervals:
	        if c < r < o:
	            if r - c > tol:
	                bad.append("a) %s reached gw-sim %d ms after the gate closed (%s), %s ms before it opened"
	                           % (ref, r - c, why, "inf" if o == float("inf") else o - r))
	            elif ref in placed and placed[ref] > c:
	                bad.append("a) %s reached gw-sim %d ms after the gate closed (%s) and was placed %d ms after it"
	                           % (ref, r - c, why, placed[ref] - c))
	            elif ref in placed:
	                late += 1
	for ref, n in sorted(refs.items()):
	    if n > 1:
	        bad.append("b) orderRef %s reached gw-sim %d times" % (ref, n))
	# the strategy's side: each intent id accepted at most once, all lives
	acc, refused, torn = {}, 0, 0
	with open(seen) as f:
	    for line in f:
	        try:
	            o = json.loads(line)
	        except ValueError:
	            torn += 1	# a line cut by kill -9
	            continue
	        if o.get("type") != "intent_result":
	            continue
	        if o.get("accepted"):
	            acc[o["id"]] = acc.get(o["id"], 0) + 1
	        elif o.get("rule") == "order-refused":
	            refused += 1
	for i, n in sorted(acc.items()):
	    if n > 1:
	        bad.append("intent %s accepted %d times" % (i, n))
	print("  %d placeOrders at gw-sim, %d distinct refs, %d closed intervals (%d open-ended), "
	      "%d orders within %d ms of a closing, max placed->received %d ms, %d order-refused, "
	      "%d torn strategy lines" % (len(received), len(refs), len(intervals),
	      sum(1 for i in intervals if i[1] == float("inf")), late, tol, maxlag, refused, torn))
	for b in bad[:20]:
	    print("VIOLATION " + b)
	if len(bad) > 20:
	    print("... %d violations" % len(bad))
	sys.exit(1 if bad else 0)
	EOF
}

@test "property: over random faults, restarts and kill -9, no order while the gate is closed, none twice, positions agree" {
	local seed=${PROP_SEED:-$(($(date +%s%N) / 1000 % 2147483647))}
	local secs=${PROP_SECONDS:-40}
	# every kind of step once, shuffled, then random ones until the time
	# budget is spent
	local steps=(reject swallow delay parts hup lost kill9 halt)
	local extra=(delay delay parts parts reject swallow hup lost kill9 kill9 halt none none)
	local t0 i j tmp act n
	CHECKS=0 RESENT=0
	echo "property seed: $seed (replay: PROP_SEED=$seed bats $BATS_TEST_FILENAME)"
	RANDOM=$seed
	for ((i = ${#steps[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		tmp=${steps[i]} steps[i]=${steps[j]} steps[j]=$tmp
	done

	start_sim "$PORT" --control "$SIMCTL" --tick-ms 50
	wait_listening
	start_bot
	wait_for_line "$LOG" '"event":"gate\.opened"' 20
	feeder $((seed + 1)) 3>&- &
	FEED_PID=$!
	t0=$(now_ms)
	for ((i = 0; i < 200; i++)); do
		if ((i >= ${#steps[@]})); then
			(($(now_ms) - t0 < secs * 1000)) || break
			steps+=("${extra[RANDOM % ${#extra[@]}]}")
		fi
		act=${steps[i]}
		echo "  step $((i + 1)): $act"
		case $act in
		reject) sim_set "order-reject $((RANDOM % 3 + 1))" ;;
		swallow) sim_set "order-swallow $((RANDOM % 2 + 1))" ;;
		delay) sim_set "fill-delay $((RANDOM % 25))" ;;
		parts) sim_set "fill-parts $((RANDOM % 3))" ;;
		hup)	# gw-sim restarts, its book survives; bot-core reconnects
			# and reconciles before the gate reopens
			n=$(($(reconciled) + 1))
			kill -HUP "$SIM_PID"
			after_reconcile "$n" "gw-sim restart"
			resume_feeder
			;;
		lost)	# upstream lost (1100) for a while, then restored (1102)
			n=$(($(count '"event":"gateway\.connectivity_lost"' "$LOG") + 1))
			kill -USR1 "$SIM_PID"
			wait_until 10 bash -c "[ \$(grep -c '\"event\":\"gateway\.connectivity_lost\"' '$LOG') -ge $n ]"
			dwell $((RANDOM % 10 + 3))
			kill -USR2 "$SIM_PID"
			;;
		halt)	# the operator's halt (cancels every open order), resume
			[ "$(ctl halt)" = '{"ok":true}' ]
			dwell $((RANDOM % 10 + 3))
			[ "$(ctl resume)" = '{"ok":true}' ]
			;;
		kill9)	# bot-core dies mid-flow; a new one on the same journal
			# (its strategy resends every old intent)
			{ kill -KILL "$BOT_PID"; wait "$BOT_PID"; } 2>/dev/null || true
			echo "$LIFE $(now_ms)" >>"$MARKS"
			start_bot
			after_reconcile 1 "bot-core restart, life $LIFE"
			wait_until 10 gate_open
			resend_old 3
			resume_feeder
			;;
		none) ;;
		esac
		dwell $((RANDOM % 20 + 5))
	done
	# the end: a last gateway restart and reconciliation with the feeder
	# stopped, then a clean stop
	pause_feeder
	kill "$FEED_PID"
	wait "$FEED_PID" 2>/dev/null || true
	FEED_PID=
	n=$(($(reconciled) + 1))
	kill -HUP "$SIM_PID"
	after_reconcile "$n" "final gw-sim restart"
	ctl status | jq -e '.ok' >/dev/null
	kill -TERM "$BOT_PID"
	wait_exit "$BOT_PID"
	BOT_PID=
	[ "$EXIT_STATUS" -eq 0 ]
	kill -TERM "$SIM_PID"
	wait_exit "$SIM_PID"
	SIM_PID=
	[ "$EXIT_STATUS" -eq 0 ]
	# no sanitizer report from a bot-core that died by kill -9 either
	refute grep -l 'Sanitizer\|runtime error' "$SIM_LOG" "$BATS_TEST_TMPDIR"/bot-*.log
	echo "elapsed $(($(now_ms) - t0)) ms, $i steps, $LIFE bot-core lives, $CHECKS position checks, $RESENT resends refused"
	echo "  $(cat "$BATS_TEST_TMPDIR"/bot-*.log | grep -c '"event":"orders\.reconciled"') reconciliations; order states:" \
	    "$(cat "$BATS_TEST_TMPDIR"/bot-*.log | jq -rR 'fromjson? | select(.event == "order.state") | .fields.state' | sort | uniq -c | tr -s ' \n' ' ')"
	check
	# every reconciliation was ok
	refute grep -h '"event":"orders\.reconciled".*"ok":false' "$BATS_TEST_TMPDIR"/bot-*.log
	# the run exercised what it claims: orders reached gw-sim, the gate
	# closed and reopened, a restarted bot-core refused old ids
	(($(grep -c '"event":"sim\.order\.received"' "$SIM_LOG") >= 20))
	(($(cat "$BATS_TEST_TMPDIR"/bot-*.log | grep -c '"event":"gate\.opened"') > LIFE))
	((RESENT > 0 && CHECKS >= 3))
}
