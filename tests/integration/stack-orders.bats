#!/usr/bin/env bats
# bot-core with orders on (DRY_RUN=false) in the real stack: stack-init
# runs discord-notify (posting to fake-discord), gw-sim (the gateway
# process, its paper broker the account), the socat relay, bot-core (a
# pause follower of the gateway) and health-mon. The gateway is an
# external service restarted through its restart action, as in
# etc/stack.container.json: there the action is IBC's RESTART, here gw-sim's
# "restart" control command. Both restart the gateway in place, and the
# account's positions and orders survive it (a new gw-sim process would
# start with an empty book, which no real gateway restart does).
# gw-sim's own log (sim.order.received, logged before its broker sees the
# order) is the observer independent of bot-core. Loopback only; every
# wait has a deadline; the order of events is asserted, never their timing.
load stack

setup() {
	stack_setup
	PLAN=$T/plan.json
	INTENTS=$T/intents.jsonl
	SEEN=$T/seen.jsonl
	JOURNAL=$T/state/orders.jsonl
	: >"$INTENTS"
	printf '{"date":"%s","strategy":"A","symbols":["SPY"],"hard_limits":{"max_daily_loss_pct":2,"max_single_position":100},"allow_outside_rth":true,"max_intents_per_minute":100}\n' \
	    "$(TZ=America/New_York date +%F)" >"$PLAN"
	printf '{"interval": 0.3, "restart_file": "%s/restart-gateway.json", "restart_grace": 30,
	  "checks": [{"kind": "gateway", "port": %s, "backend_port": %s, "timeout": 2}, {"kind": "bot"}]}\n' \
	    "$GWKIT_RUNTIME_DIR" "$RELAY_PORT" "$SIM_PORT" >"$T/hm.json"
}
teardown() { stack_teardown; reap_test_procs; }

# order_stack [EXTRA_SERVICES_JSON_ARRAY [BOT_EXTRA_DEPENDS_JSON_ARRAY]]:
# the stack file, written with jq (no shell quoting inside JSON), checked
# with -n. EXTRA: more services (default: health-mon). BOT_DEPS: more
# depends_on entries for bot-core.
order_stack() {
	local B=$GWKIT_BIN
	jq -n --arg B "$B" --arg T "$T" --arg sim "$SIM_PORT" --arg relay "$RELAY_PORT" \
	    --arg ctl "$SIM_CTL" --arg plan "$PLAN" --arg intents "$INTENTS" \
	    --arg seen "$SEEN" --arg journal "$JOURNAL" --arg window "$RESTART_WINDOW" \
	    --argjson extra "${1:-null}" --argjson botdeps "${2:-[]}" '
	{services: ([
	  {name: "notify", argv: ["\($B)/discord-notify", "--no-stdin", "--allow-insecure-url",
	     "--coalesce-window", "0", "--drain-timeout", "10"], notifier: true,
	   ready: {argv: ["\($B)/discord-notify", "--stats"], interval: 0.2, timeout: 3, start_period: 20},
	   restart: "always", backoff: {initial: 0.2, max: 2}, stop_timeout: 15},
	  # the gateway process (the gnzsnz container in production)
	  {name: "sim", argv: ["\($B)/gw-sim", "--port", $sim, "--control", $ctl,
	     "--login-delay", "1", "--tick-ms", "50", "--log-format", "json"],
	   depends_on: [{service: "notify", condition: "ready"}],
	   restart: "always", backoff: {initial: 0.2, max: 2}},
	  {name: "relay", argv: ["socat", "-lf", "/dev/null",
	     "TCP-LISTEN:\($relay),bind=127.0.0.1,fork,reuseaddr", "TCP:127.0.0.1:\($sim)"],
	   depends_on: [{service: "notify", condition: "ready"}],
	   restart: "always", backoff: {initial: 0.2, max: 2}},
	  # the gateway as stack-init sees it: external, checked at API level
	  # through the relay, restarted in place by its action
	  {name: "gateway", external: true,
	   depends_on: [{service: "notify", condition: "ready"}, {service: "sim", condition: "started"},
	     {service: "relay", condition: "started"}],
	   ready: {argv: ["\($B)/gw-probe", "-q", "--port", $relay, "--timeout", "2"],
	     interval: 1, timeout: 4, start_period: 20, fast_exit: [10, 11], fast_interval: 0.1},
	   restart_action: {argv: ["sh", "-c",
	     "printf \"restart\\n\" | socat -t 5 - UNIX-CONNECT:\($ctl) | grep -q ok"], timeout: 10},
	   restart_settle: 0, ready_after_restart: 30},
	  {name: "botcore", argv: ["\($B)/bot-core", "--port", $relay, "--gameplan", $plan, "--client-id", "7"],
	   env: {STARTING_CAPITAL: "100000", RESTART_WINDOW: $window,
	     HEARTBEAT_INTERVAL: "0.5", HEARTBEAT_TIMEOUT: "2", GATEWAY_RETRY_INTERVAL: "0.2",
	     LOG_FORMAT: "json", LOG_LEVEL: "info", CLOSE_OUT_TIME: "off",
	     DRY_RUN: "false", TRADING_MODE: "paper", ORDER_JOURNAL: $journal,
	     INTENTS: $intents, SEEN: $seen,
	     STRATEGY_CMD: "tail -n +1 -f \"$INTENTS\" & exec cat >>\"$SEEN\""},
	   # sim and relay too: a dependency through the external gateway
	   # does not order the shutdown (stack-init stops a service whose
	   # only dependent is external at once)
	   depends_on: ([{service: "notify", condition: "ready"}, {service: "sim", condition: "started"},
	     {service: "relay", condition: "started"}, {service: "gateway", condition: "ready"}] + $botdeps),
	   follows: {service: "gateway", mode: "pause"},
	   restart: "on-failure", backoff: {initial: 0.2, max: 2}}
	] + ($extra // [
	  {name: "health", argv: ["\($B)/health-mon", "--config", "\($T)/hm.json"],
	   depends_on: [{service: "notify", condition: "ready"}, {service: "botcore", condition: "started"}],
	   restart: "on-failure", backoff: {initial: 0.2, max: 2}}
	]))}' >"$T/stack.json"
	stack-init -n "$T/stack.json" >/dev/null
}

# start_order_stack [ARGS of order_stack]: fake-discord, then stack-init;
# returns once bot-core's gate is open.
start_order_stack() {
	start_fake
	order_stack "$@"
	stack-init "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" '^botcore \| .*"event":"gate\.opened"' 40
}

# intent ID SIDE QTY: the strategy sends one market intent.
intent() {
	printf '{"type":"intent","id":"%s","symbol":"SPY","side":"%s","quantity":%s,"order_type":"MKT"}\n' \
	    "$1" "$2" "$3" >>"$INTENTS"
}

# received [REF]: placeOrders gw-sim received (with that orderRef).
received() {
	grep -cE "^sim \\| .*\"event\":\"sim\\.order\\.received\".*\"order_ref\":\"${1:-[^\"]*}\"" "$LOG" || true
}

# lines SERVICE EVENT: the stack log's line numbers of EVENT in SERVICE's output
lines() { grep -nE "^$1 \\| .*\"event\":\"${2//./\\.}\"" "$LOG" | cut -d: -f1; }
count_of() { lines "$1" "$2" | wc -l; }

sim_book_qty() {
	printf 'book\n' | socat -t 5 - "UNIX-CONNECT:$SIM_CTL" |
	    jq -r '[.positions[] | select(.symbol == "SPY") | .qty | tonumber] | add // 0'
}
bot_qty() { bot-core ctl status | jq -r '.positions.SPY.position // 0'; }

@test "orders across the daily restart: placed once and filled, reconciled on the new session before the gate reopens, nothing placed twice, books equal, no alert" {
	start_order_stack
	# the first session: reconciled before the gate opened
	r1=$(lines botcore orders.reconciled | head -n1)
	g1=$(lines botcore gate.opened | head -n1)
	[ -n "$r1" ] && (( r1 < g1 ))
	grep -qE '^botcore \| .*"event":"orders\.reconciled".*"ok":true' "$LOG"
	bot-core ctl status | jq -e '.gate_open and .orders.state == "ready"'

	intent s1 BUY 5
	wait_for_line "$LOG" '^botcore \| .*"event":"order\.fill".*"id":"s1"' 15
	wait_for_line "$SEEN" '"type":"order","id":"s1".*"state":"filled"' 5
	wait_until 5 eval '[ "$(bot_qty)" = 5 ]'
	[ "$(sim_book_qty)" = 5 ]
	[ "$(received gwk:s1)" = 1 ]
	wait_for_line "$LOG" '^health \| .*"component":"gateway","status":"healthy"' 30
	marker before_restart
	n_alerts=$(count_alerts)
	n_rec=$(count_of botcore orders.reconciled)
	n_open=$(count_of botcore gate.opened)

	# the daily restart, asked for now: the restart file, bot-core paused,
	# the action (gw-sim restarts in place: sessions dropped, port closed
	# for its login delay), ready again, bot-core let go
	stack-init ctl restart gateway >/dev/null
	wait_for_line "$LOG" '"event":"init\.restart_requested".*"service":"gateway"' 10
	wait_for_line "$LOG" '"event":"init\.restart_completed".*"service":"gateway"' 30
	wait_until 30 eval '[ "$(count_of botcore gate.opened)" -gt "$n_open" ]'
	wait_until 10 eval 'bot-core ctl status | jq -e ".gate_open and .orders.state == \"ready\"" >/dev/null'
	jq -e '.state == "completed" and .trigger == "ctl"' "$GWKIT_RUNTIME_DIR/restart-gateway.json"

	# in order: the restart, the session lost, a new reconciliation (ok),
	# then the gate reopened
	l_req=$(grep -nE -m1 '"event":"init\.restart_requested"' "$LOG" | cut -d: -f1)
	l_lost=$(lines botcore gateway.disconnected | awk -v s="$l_req" '$1 > s' | head -n1)
	l_rec=$(lines botcore orders.reconciled | sed -n "$((n_rec + 1))p")
	l_open=$(lines botcore gate.opened | sed -n "$((n_open + 1))p")
	[ -n "$l_lost" ] && [ -n "$l_rec" ] && [ -n "$l_open" ]
	(( l_req < l_lost && l_lost < l_rec && l_rec < l_open ))
	sed -n "${l_rec}p" "$LOG" | sed -E 's/^botcore \| //' | jq -e '.fields.ok == true'

	# nothing placed twice: gw-sim received one placeOrder in all, the
	# journal promised one
	[ "$(received)" = 1 ]
	[ "$(grep -c '"kind":"place"' "$JOURNAL")" = 1 ]
	# bot-core's book equals gw-sim's
	[ "$(bot_qty)" = 5 ]
	[ "$(sim_book_qty)" = 5 ]
	bot-core ctl status | jq -e '.orders.open == 0'

	# a planned restart is not an alarm: no program logged anything at
	# warning or above from the request on, and the webhook got nothing but
	# the next marker
	marker after_restart
	[ "$(count_alerts)" -eq "$n_alerts" ]
	after=$(awk -v s="$l_req" 'NR >= s' "$LOG" | sed -E 's/^[a-z]+ \| //' |
	    jq -R -r 'fromjson? | select(type == "object" and (.level | type) == "string"
	      and (.level | test("warning|error|critical")) and ((.event // "") | test("marker") | not)) | .event')
	[ -z "$after" ] || { echo "warnings during the restart: $after"; false; }

	# and the bot trades on the new session: once, with the book in step
	intent s2 SELL 2
	wait_for_line "$LOG" '^botcore \| .*"event":"order\.fill".*"id":"s2"' 15
	wait_until 5 eval '[ "$(bot_qty)" = 3 ]'
	[ "$(sim_book_qty)" = 3 ]
	[ "$(received gwk:s2)" = 1 ]
	[ "$(received)" = 2 ]
}

@test "a position another client placed before bot-core started: orders.reconciled error reaches the webhook through discord-notify, and no order goes out" {
	# "manual": another API client (client id 9, a trade by hand) buys 4
	# SPY through the relay; bot-core starts once its fill was reported
	local B=$GWKIT_BIN
	manual=$(jq -n --arg B "$B" --arg relay "$RELAY_PORT" --arg out "$T/manual.out" '[
	  {name: "manual", argv: ["sh", "-c",
	     "printf \"%s\\n\" \"$0\" \"$1\" | \($B)/tests/tws-client --port \($relay) --client-id 9 >\($out) 2>&1; exec sleep 3600",
	     "{\"cmd\":\"place\",\"id\":\"next\",\"symbol\":\"SPY\",\"action\":\"BUY\",\"qty\":\"4\",\"type\":\"MKT\",\"ref\":\"manual\"}",
	     "{\"cmd\":\"wait\",\"ev\":\"exec\",\"match\":{\"symbol\":\"SPY\"},\"timeout\":10}"],
	   depends_on: [{service: "notify", condition: "ready"}, {service: "gateway", condition: "ready"}],
	   ready: {argv: ["grep", "-q", "\"ev\":\"exec\"", $out], interval: 0.2, timeout: 2, start_period: 30},
	   restart: "no"}]')
	start_fake
	order_stack "$manual" '[{"service": "manual", "condition": "ready"}]'
	stack-init "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" '^botcore \| .*"level":"error".*"event":"orders\.reconciled"' 40
	grep -qE '^botcore \| .*"event":"orders\.reconciled".*position-mismatch' "$LOG"
	[ "$(sim_book_qty)" = 4 ]
	[ "$(bot_qty)" = 0 ]
	bot-core ctl status | jq -e '.strategy_active == "C" and (.gate_open | not)'
	# through discord-notify to the webhook: one alert naming the event
	wait_until 25 has_embed -e orders.reconciled
	embeds_matching -e orders.reconciled | jq -e -s 'length == 1'
	has_embed -e orders.reconciled SPY
	# no order meanwhile: the strategy's intent is refused, gw-sim receives
	# nothing but the manual order
	intent u1 BUY 1
	wait_for_line "$SEEN" '"type":"intent_result","id":"u1","accepted":false' 10
	[ "$(received gwk:u1)" = 0 ]
	[ "$(received)" = 1 ]
	marker after_problem
	[ "$(count_embeds -e orders.reconciled)" -eq 1 ]
}

# ---------- the shipped configurations ----------

# The stack files that run bot-core, with the directory that is durable
# storage in their deployment (a volume, the systemd StateDirectory).
shipped_stacks() {
	local root=$BATS_TEST_DIRNAME/../..
	printf '%s %s\n' "$root/etc/stack.container.json" /data \
	    "$root/etc/host.json" /var/lib/gwkit \
	    "$root/deploy/k8s/base/stack.json" /data \
	    "$root/deploy/k8s/optional/restart-cronjob/stack.json" /data
}

@test "shipped configs: bot-core stays in dry run by default; where orders would be journaled is durable storage" {
	local root=$BATS_TEST_DIRNAME/../.. f durable n def
	# bot-core's own default, from its usage text
	def=$(bot-core --help | sed -nE 's/.*ORDER_JOURNAL \(([^)]*)\).*/\1/p')
	[ "$def" = /data/bot-core/orders.jsonl ]
	while read -r f durable; do
		n=$(jq '[.services[] | select(.argv[0] // "" | test("(^|/)bot-core$"))] | length' "$f")
		[ "$n" -ge 1 ] || { echo "$f: no bot-core"; return 1; }
		# the stack file's env, where it sets one, says dry run
		jq -e '[.services[] | select(.argv[0] // "" | test("(^|/)bot-core$")) | .env.DRY_RUN // "unset"]
		    | all(. == "true" or . == "unset")' "$f" >/dev/null || { echo "$f: DRY_RUN not true"; return 1; }
		# the journal (the stack's ORDER_JOURNAL, else the default) is
		# under the deployment's durable directory, never a tmpfs
		j=$(jq -r --arg d "$def" '.services[] | select(.argv[0] // "" | test("(^|/)bot-core$"))
		    | .env.ORDER_JOURNAL // $d' "$f")
		[[ "$j" == "$durable"/* ]] || { echo "$f: ORDER_JOURNAL $j is not under $durable"; return 1; }
	done < <(shipped_stacks)
	# the container stack (compose/): DRY_RUN true, /data a volume
	jq -e '.services[] | select(.name == "bot") | .env.DRY_RUN == "true"' "$root/etc/stack.container.json"
	grep -qx 'VOLUME /data' "$root/compose/Dockerfile"
	refute grep -Eq 'DRY_RUN|ORDER_JOURNAL' "$root/compose/Dockerfile"
	refute grep -Eq '^\s+(DRY_RUN|ORDER_JOURNAL):' "$root/compose/docker-compose.yml"
	grep -Eq '^\s+- \$\{GWKIT_DATA:-gwkit-data\}:/data$' "$root/compose/docker-compose.yml"
	# k8s: DRY_RUN from the statefulset's env, /data a volume claim
	grep -A1 -E 'name: DRY_RUN$' "$root/deploy/k8s/base/statefulset.yaml" | grep -q 'value: "true"'
	# host: /var/lib/gwkit is the unit's StateDirectory
	grep -qx 'StateDirectory=gwkit' "$root/etc/systemd/gwkit.service"
	# and the operator's docs say where the journal lives
	grep -q 'ORDER_JOURNAL' "$root/docs/deploy.md"
	grep -q '/data/bot-core/orders.jsonl' "$root/docs/deploy.md"
}
