# Helpers for the stack-level tests (stack.bats, events-contract.bats):
# the real programs together under one stack-init, in a runtime directory
# of their own per test. gw-sim is the gateway, a socat relay forwards to
# it as in the gnzsnz/ib-gateway image, discord-notify posts to
# fake-discord, a shell loop stands in for the bot (gw-probe --wait, then
# holds), and gw-probe checks readiness through the relay.
load common

# The webhook fake-discord knows by default (tests/helpers/README.md).
WEBHOOK_PATH=/api/webhooks/123456789012345678/test-token-abc-0123456789

stack_setup() {
	T=$BATS_TEST_TMPDIR
	export GWKIT_RUNTIME_DIR=$T/rt
	mkdir -m 700 -p "$GWKIT_RUNTIME_DIR"
	INIT_PID= FAKE_PID=
	LOG=$T/init.log
	STORE=$T/store.jsonl
	local ports
	mapfile -t ports < <(free_port 3)
	SIM_PORT=${ports[0]} RELAY_PORT=${ports[1]} FAKE_PORT=${ports[2]}
	SIM_CTL=$T/sim.sock
	export DISCORD_WEBHOOK_URL=http://127.0.0.1:$FAKE_PORT$WEBHOOK_PATH
}

# stack_teardown: stop stack-init (it stops its services), then the fake;
# on failure, the end of the stack's log goes to the test's output.
stack_teardown() {
	stop_pid "$INIT_PID"
	stop_pid "$FAKE_PID"
	if [ -n "${BATS_TEST_COMPLETED:-}" ]; then return 0; fi
	{
		echo "--- init.log (last 60 lines)"
		tail -n 60 "$LOG" 2>/dev/null
		echo "--- webhook store"
		jq -c '.embeds[] | {title, footer: .footer.text}' "$STORE" 2>/dev/null
	}
}

start_fake() {
	fake-discord --port "$FAKE_PORT" --store "$STORE" >"$T/fake.log" 2>&1 3>&- &
	FAKE_PID=$!
	wait_for_line "$T/fake.log" '"event":"fake\.listening"' 10
}

# fake_control JSON: send a control request to fake-discord.
fake_control() {
	curl -sf -d "$1" "http://127.0.0.1:$FAKE_PORT/_control" >/dev/null
}

# The services every stack test runs, as JSON array members (no brackets).
# Everything depends on the notifier, so that it starts first and stops
# last: alerts raised while the others stop still reach it.
# GATEWAY_EXTRA: more keys for the gateway's object (leading comma).
# BOT_EXTRA: more keys for the bot's object (leading comma).
# READY_INTERVAL (0.3) and READY_EXTRA (leading comma): the gateway's ready check.
base_services() {
	local B=$GWKIT_BIN
	cat <<JSON
  {"name": "notify", "argv": ["$B/discord-notify", "--no-stdin", "--allow-insecure-url",
     "--coalesce-window", "0", "--drain-timeout", "10"], "notifier": true,
   "ready": {"argv": ["$B/discord-notify", "--stats"], "interval": 0.2, "timeout": 3, "start_period": 20},
   "restart": "always", "backoff": {"initial": 0.2, "max": 2}, "stop_timeout": 15},
  {"name": "gateway", "argv": ["$B/gw-sim", "--port", "$SIM_PORT", "--control", "$SIM_CTL"${SIM_ARGS:-}],
   "depends_on": [{"service": "notify", "condition": "ready"}],
   "ready": {"argv": ["$B/gw-probe", "-q", "--port", "$RELAY_PORT", "--timeout", "2"],
             "interval": ${READY_INTERVAL:-0.3}, "timeout": 4, "start_period": 20${READY_EXTRA:-}},
   "restart": "always", "backoff": {"initial": 0.2, "max": 2}, "ready_after_restart": 20${GATEWAY_EXTRA:-}},
  {"name": "relay", "argv": ["socat", "-lf", "/dev/null",
     "TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr", "TCP:127.0.0.1:$SIM_PORT"],
   "depends_on": [{"service": "notify", "condition": "ready"}], "restart": "always", "backoff": {"initial": 0.2, "max": 2}},
  {"name": "bot", "argv": ["sh", "-c", "$B/gw-probe --wait --client-id 918 --port $RELAY_PORT --timeout 2 --retry-interval 0.2 --retry-cap 1 --startup-timeout 60 && echo 'bot: trading' && exec sleep 3600"],
   "depends_on": [{"service": "notify", "condition": "ready"}, {"service": "gateway", "condition": "ready"}],
   "follows": "gateway", "restart": "always", "backoff": {"initial": 0.2, "max": 2}${BOT_EXTRA:-}}
JSON
}

# write_stack [EXTRA]: the configuration (base services, then EXTRA: more
# array members with a leading comma) into $T/stack.json, checked with -n.
write_stack() {
	{
		echo '{"services": ['
		base_services
		printf '%s\n' "${1:-}"
		echo ']}'
	} >"$T/stack.json"
	stack-init -n "$T/stack.json" >/dev/null
}

# start_stack [EXTRA]: fake-discord, then stack-init on write_stack's file;
# returns once the bot trades (the whole stack is up).
start_stack() {
	[ -n "$FAKE_PID" ] || start_fake
	write_stack "${1:-}"
	stack-init "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" '^bot \| bot: trading' 40
}

pid_of() { stack-init ctl status "$1" | jq -r .pid; }
svc_is() { stack-init ctl status "$1" 2>/dev/null | jq -s -e ".[0] | $2" >/dev/null; }

# sim_ctl COMMAND: one command to gw-sim's control socket; its reply is ok.
sim_ctl() {
	local r
	r=$(printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$SIM_CTL") || return 1
	jq -e '.ok' <<<"$r" >/dev/null
}

# embeds_matching [-e EVENT] TEXT...: the stored embeds (one compact JSON
# per line) whose title, description, footer and field values together
# contain every TEXT and, with -e, the event name EVENT as a whole word
# (init.killed does not match init.killed_group). The event name is in
# the title or the footer, the service name in the title or the text.
embeds_matching() {
	[ -s "$STORE" ] || return 0
	local ev='' args=() i=0 t cond='true'
	if [ "$1" = -e ]; then ev=$2; shift 2; fi
	for t in "$@"; do
		args+=(--arg "a$i" "$t")
		cond+=" and (\$blob | contains(\$a$i))"
		i=$((i + 1))
	done
	jq -c --arg ev "$ev" "${args[@]}" '.embeds[] |
		([.title, .description, .footer.text, (.fields // [] | .[] | .name, .value)]
		 | map(. // "" | tostring) | join("\n")) as $blob
		| select(($ev == "" or ($blob | test("(^|[^A-Za-z0-9_.])"
		    + ($ev | gsub("\\."; "\\.")) + "($|[^A-Za-z0-9_])")))
		    and '"$cond"')' "$STORE"
}

count_embeds() { embeds_matching "$@" | wc -l; }
has_embed() { [ "$(count_embeds "$@")" -ge 1 ]; }

# marker NAME: a warning event straight into the notifier's socket; once
# it is stored at the webhook, everything the notifier accepted before it
# was delivered (one request at a time, in order).
marker() {
	discord-notify --send warning "marker $1" --source stack-test --component test \
		--event "test.marker_$1" --allow-insecure-url --timeout 20 >/dev/null
	wait_until 20 has_embed -e "test.marker_$1"
}

# events_in_log [LEVEL-REGEX]: the event names of every JSON line in the
# stack's log, its services' prefixed lines included, one per line.
events_in_log() {
	sed -E 's/^[a-z]+ \| //' "$LOG" | jq -R -r --arg lv "${1:-.}" \
		'fromjson? | select(type == "object" and (.event | type) == "string"
		 and (.level | type) == "string" and (.level | test($lv))) | .event'
}

# count_alerts: the stored embeds that are not test markers.
count_alerts() {
	[ -s "$STORE" ] || { echo 0; return 0; }
	jq -c '.embeds[] | select(([.title, .footer.text] | map(. // "") | join(" "))
		| test("test\\.marker_") | not)' "$STORE" | wc -l
}
