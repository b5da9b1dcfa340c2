#!/usr/bin/env bats
# discord-notify against the fake Discord webhook server (tests/helpers/
# fake-discord.c). Loopback only; waits poll observable state (the fake's
# store, log lines) with deadlines.
load common

TOKEN=test-token-abc
WID=123456789012345678

setup() {
	T=$BATS_TEST_TMPDIR
	export GWKIT_RUNTIME_DIR=$T/rt
	mkdir -m 700 -p "$GWKIT_RUNTIME_DIR"
	FAKE_PID= NOTIFY_PID= HOLD_PID=
	FAKE_PORT=$(free_port)
	printf 'http://127.0.0.1:%s/api/webhooks/%s/%s\n' "$FAKE_PORT" "$WID" "$TOKEN" >"$T/webhook"
	SOCK=$GWKIT_RUNTIME_DIR/notify.sock
}

teardown() {
	stop_pid "$HOLD_PID" "$NOTIFY_PID" "$FAKE_PID"
	# the secret never appears in anything discord-notify printed
	if compgen -G "$T/notify*.log" >/dev/null; then
		! grep -l "$TOKEN" "$T"/notify*.log
	fi
}

start_fake() {
	fake-discord --port "$FAKE_PORT" --store "$T/store.jsonl" "$@" >"$T/fake.log" 2>&1 3>&- &
	FAKE_PID=$!
	wait_for_line "$T/fake.log" '"fake\.listening"' 10
}

fake_ctl() { curl -sf -X POST --data "$1" "http://127.0.0.1:$FAKE_PORT/_control"; }
fake_stats() { curl -sf "http://127.0.0.1:$FAKE_PORT/_stats"; }

# start_notify [args]: the daemon on the test's socket, webhook from a file.
start_notify() {
	discord-notify --webhook-file "$T/webhook" --allow-insecure-url --no-stdin \
		--park-retry 1 "$@" >>"$T/notify.log" 2>&1 3>&- &
	NOTIFY_PID=$!
	wait_for_line "$T/notify.log" '"event":"notify\.started"' 10
}

# events N [SOURCE] [PREFIX]: N distinct event lines.
events() {
	local n=$1 src=${2:-bot-core} pre=${3:-msg} i
	for ((i = 1; i <= n; i++)); do
		printf '{"ts":"2026-02-10T14:15:00.123Z","level":"warning","source":"%s","component":"gateway","event":"gateway.disconnected","message":"%s %d","fields":{"n":%d}}\n' "$src" "$pre" "$i" "$i"
	done
}

to_socket() { socat -t 5 - "UNIX-CONNECT:$SOCK"; }

# stored_count: embeds stored by the fake so far.
stored_count() {
	[ -f "$T/store.jsonl" ] || { echo 0; return; }
	jq -s '[.[].embeds | length] | add // 0' "$T/store.jsonl"
}

# wait_stored N SECONDS: until the fake has stored at least N embeds.
wait_stored() {
	local want=$1 secs=${2:-20}
	local deadline=$(( $(date +%s) + secs ))
	while (( $(date +%s) < deadline )); do
		(( $(stored_count) >= want )) && return 0
		sleep 0.05
	done
	echo "stored $(stored_count) of $want embeds within ${secs}s" >&2
	tail -n 5 "$T/notify.log" >&2
	return 1
}

descriptions() { jq -r '.embeds[].description' "$T/store.jsonl"; }

# wait_stats JQ SECONDS: until the daemon's counters satisfy the jq test.
wait_stats() {
	local deadline=$(( $(date +%s) + ${2:-10} ))
	while (( $(date +%s) < deadline )); do
		discord-notify --stats 2>/dev/null | jq -e "$1" >/dev/null && return 0
		sleep 0.05
	done
	echo "stats never satisfied $1: $(discord-notify --stats 2>&1)" >&2
	return 1
}

@test "delivers an event as one embed with the documented shape" {
	start_fake
	start_notify
	printf '%s\n' '{"ts":"2026-02-10T14:15:00.123Z","level":"warning","source":"bot-core","component":"gateway","event":"gateway.disconnected","message":"Gateway closed the API session","fields":{"host":"gateway","port":4004,"attempt":3}}' | to_socket
	wait_stored 1 10
	jq -e '.embeds[0] | .title == "⚠️ WARNING gateway.disconnected"
		and .description == "Gateway closed the API session"
		and .timestamp == "2026-02-10T14:15:00.123Z"
		and .footer.text == "bot-core · gateway"
		and ([.fields[] | .name + "=" + .value] == ["host=gateway", "port=4004", "attempt=3"])
		and (.color | type) == "number"' "$T/store.jsonl"
}

@test "a burst of 1000 events at 5 requests per 2 s arrives complete, once each, in order per source, with no 429" {
	start_fake --rate 5/2
	start_notify
	paste -d '\n' <(events 500 alpha a) <(events 500 beta b) >"$T/burst"
	to_socket <"$T/burst"
	wait_stored 1000 90
	[ "$(descriptions | wc -l)" -eq 1000 ]
	[ "$(descriptions | sort -u | wc -l)" -eq 1000 ]
	diff <(descriptions | grep '^a ') <(events 500 alpha a | jq -r .message)
	diff <(descriptions | grep '^b ') <(events 500 beta b | jq -r .message)
	fake_stats | jq -e '.status."429" // 0 | . == 0'
	run discord-notify --stats
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.delivered == 1000 and .rate_limited == 0 and .queued == 0'
}

@test "429 honours retry_after before resending" {
	start_fake
	fake_ctl '{"fail_next":1,"status":429,"retry_after":1.5}'
	start_notify
	t0=$(date +%s%3N)
	events 1 | to_socket
	wait_stored 1 10
	# the first post got the 429 at once; the resend waited retry_after
	t_stored=$(jq -s '.[0]._t' "$T/store.jsonl")
	echo "stored $((t_stored - t0)) ms after sending" >&3
	[ $((t_stored - t0)) -ge 1500 ]
	[ $((t_stored - t0)) -lt 4000 ]
	grep -q '"event":"notify\.rate_limited".*"retry_after_s":1.5' "$T/notify.log"
	run discord-notify --stats
	echo "$output" | jq -e '.rate_limited == 1 and .delivered == 1'
	fake_stats | jq -e '.status."429" == 1 and .requests == 2'
}

@test "5xx answers are retried with backoff until delivered" {
	start_fake
	fake_ctl '{"fail_next":2,"status":500}'
	start_notify
	events 3 | to_socket
	wait_stored 3 20
	[ "$(grep -c '"event":"notify\.retry"' "$T/notify.log")" -eq 2 ]
	[ "$(descriptions | sort -u | wc -l)" -eq 3 ]
}

@test "refused connections are retried until the server comes up" {
	start_notify
	events 2 | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.retry".*Couldn.t connect|"event":"notify\.retry".*refused' 10
	start_fake
	wait_stored 2 30
}

@test "kill -9 mid-drain, restart: nothing accepted is lost" {
	start_fake --rate 5/2
	start_notify
	events 200 | to_socket
	wait_stored 30 30
	kill -9 "$NOTIFY_PID"
	wait "$NOTIFY_PID" 2>/dev/null || true
	NOTIFY_PID=
	start_notify
	wait_for_line "$T/notify.log" '"event":"notify\.spool_loaded"' 10
	wait_stored 200 90
	# every message at least once; only the batch in flight may repeat
	diff <(descriptions | sort -u) <(events 200 | jq -r .message | sort -u)
	[ "$(descriptions | wc -l)" -le 210 ]
}

@test "404 parks the webhook: one critical line, events kept, unparked when fixed" {
	start_fake
	fake_ctl '{"deleted":true}'
	start_notify
	events 3 | to_socket
	wait_for_line "$T/notify.log" '"level":"critical".*"event":"notify\.parked"' 10
	grep -q '/api/webhooks/123456789012345678/\*\*\*' "$T/notify.log"
	run discord-notify --stats
	echo "$output" | jq -e '.parked == 1 and .queued == 3 and .state == "parked"'
	[ "$(grep -c '"event":"notify\.parked"' "$T/notify.log")" -eq 1 ]
	fake_ctl '{"deleted":false}'
	wait_stored 3 10
	wait_for_line "$T/notify.log" '"event":"notify\.unparked"' 5
}

@test "large events are split across requests within Discord's limits" {
	start_fake
	start_notify
	big=$(head -c 3000 /dev/zero | tr '\0' 'x')
	for i in 1 2 3 4 5; do
		printf '{"ts":"2026-02-10T14:15:00Z","level":"info","source":"s","component":"c","event":"big.one","message":"%s %s"}\n' "$i" "$big"
	done | to_socket
	wait_stored 5 10
	# 3000-character descriptions: at most one per 6000-character request
	[ "$(wc -l <"$T/store.jsonl")" -eq 5 ]
	fake_stats | jq -e '.status."400" // 0 | . == 0'
}

@test "a 400 on a batch is resent one embed per request; a refused single goes to the dead-letter file" {
	start_fake
	start_notify
	fake_ctl '{"fail_next":2,"status":400}'
	events 3 | to_socket
	wait_stored 2 10
	wait_for_line "$T/notify.log" '"event":"notify\.refused"' 5
	wait_for_line "$T/notify.log" '"event":"notify\.dead_letter"' 5
	[ "$(jq -s length "$GWKIT_RUNTIME_DIR/notify-spool/dead-letter.jsonl")" -eq 1 ]
	jq -e '.reason | test("HTTP 400")' "$GWKIT_RUNTIME_DIR/notify-spool/dead-letter.jsonl"
}

@test "bad lines are rejected with a reason and line number; good ones pass" {
	start_fake
	start_notify
	{
		events 1 s first
		echo 'not json'
		echo '{"ts":"2026-02-10T14:15:00Z","level":"loud","source":"s","component":"c","event":"a.b","message":"m"}'
		printf '{"ts":"2026-02-10T14:15:00Z","level":"info","source":"s","component":"c","event":"a.b","message":"\xff"}\n'
		head -c 70000 /dev/zero | tr '\0' 'a'; echo
		events 1 s second
	} | to_socket
	wait_stored 2 10
	[ "$(descriptions | tr '\n' ' ')" = "first 1 second 1 " ]
	run discord-notify --stats
	echo "$output" | jq -e '.rejected == 4 and .delivered == 2'
	grep -q '"line":2,"reason":"not JSON' "$T/notify.log"
	grep -q "unknown level 'loud'" "$T/notify.log"
	grep -q 'invalid UTF-8' "$T/notify.log"
	grep -q 'line longer than 65536 bytes' "$T/notify.log"
}

@test "a silent client and a half line do not block other clients" {
	start_fake
	start_notify
	( exec socat -u - "UNIX-CONNECT:$SOCK" < <(printf '{"ts":'; exec sleep 30) ) >/dev/null 2>&1 &
	HOLD_PID=$!
	events 1 s other | to_socket
	wait_stored 1 10
}

@test "repeats of a sent event inside the window are held as one" {
	start_fake
	start_notify --coalesce-window 60
	events 1 flappy same | to_socket
	wait_stored 1 10
	# sent just now: four repeats wait out the window as one held embed
	for i in 1 2 3 4; do events 1 flappy same; done | to_socket
	wait_stats '.received == 5' 10
	run discord-notify --stats
	echo "$output" | jq -e '.queued == 4 and .delivered == 1 and .received == 5'
	[ "$(jq -s length "$T/store.jsonl")" -eq 1 ]
}

@test "held repeats go out as one embed with the count when the window ends" {
	start_fake
	start_notify --coalesce-window 1
	events 1 flappy same | to_socket
	wait_stored 1 10
	for i in 1 2 3; do events 1 flappy same; done | to_socket
	wait_stored 2 10
	[ "$(jq -s length "$T/store.jsonl")" -eq 2 ]
	tail -n 1 "$T/store.jsonl" | jq -e '.embeds[0].title | endswith("×3")'
	tail -n 1 "$T/store.jsonl" | jq -e '.embeds[0].fields[-1] == {"name":"repeated","value":"3 times within 1 s","inline":true}'
}

@test "coalescing of waiting events: folded into one embed with the count" {
	start_fake
	fake_ctl '{"fail_next":1,"status":503}'
	start_notify
	events 1 flappy same | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.retry"' 5
	for i in 1 2; do events 1 flappy same; done | to_socket
	wait_stored 1 10
	jq -e '.embeds[0].title | endswith("×3")' "$T/store.jsonl"
	run discord-notify --stats
	echo "$output" | jq -e '.delivered == 3 and .queued == 0'
}

@test "--send is delivered through a running daemon (exit 0)" {
	start_fake
	start_notify
	run discord-notify --send warning "disk almost full" --source cron --timeout 10
	[ "$status" -eq 0 ]
	jq -e '.embeds[0].description == "disk almost full" and .embeds[0].footer.text == "cron · cli"' "$T/store.jsonl"
}

@test "--send without a daemon delivers by itself; with Discord down it exits 75 and keeps the event" {
	start_fake
	run discord-notify --send info "standalone" --webhook-file "$T/webhook" --allow-insecure-url --timeout 10
	[ "$status" -eq 0 ]
	wait_stored 1 5
	stop_pid "$FAKE_PID"; FAKE_PID=
	run discord-notify --send info "later" --webhook-file "$T/webhook" --allow-insecure-url --timeout 1.5
	[ "$status" -eq 75 ]
	[[ "$output" == *"kept in"* ]]
	[[ "$output" != *"$TOKEN"* ]]
	start_fake
	start_notify
	wait_stored 1 10
	[ "$(descriptions | tail -n 1)" = "later" ]
}

@test "SIGTERM stops input, drains, exits 0; the rest stays spooled and goes first next time" {
	start_fake
	fake_ctl '{"deleted":true}'
	start_notify --drain-timeout 0.5
	events 2 | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.parked"' 10
	kill -TERM "$NOTIFY_PID"
	wait "$NOTIFY_PID"; rc=$?
	NOTIFY_PID=
	[ "$rc" -eq 0 ]
	grep -q '"event":"notify\.stopped".*"spooled":2' "$T/notify.log"
	[ ! -e "$SOCK" ]
	fake_ctl '{"deleted":false}'
	start_notify
	wait_stored 2 10
}

@test "SIGUSR1 prints the counters as one JSON line on stderr" {
	start_notify --dry-run
	events 1 | to_socket
	wait_for_line "$T/notify.log" '"dry_run":true' 5
	kill -USR1 "$NOTIFY_PID"
	wait_for_line "$T/notify.log" '^\{"received":1,"rejected":0,"spooled":1,"delivered":1' 5
}

@test "no webhook: warns once and prints the payloads; --once exits when done" {
	run bash -c "events() { $(declare -f events | tail -n +2); }; events 2 | DISCORD_WEBHOOK_URL= discord-notify --once --no-listen"
	[ "$status" -eq 0 ]
	[ "$(grep -c '"event":"notify.no_webhook"' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^{"dry_run":true' <<<"$output")" -eq 1 ]
	grep '^{"dry_run":true' <<<"$output" | jq -e '.payload.embeds | length == 2'
}

@test "configuration errors: exit 78/64 with one line that never shows the token" {
	DISCORD_WEBHOOK_URL="http://discord.com/api/webhooks/1/SECRETTOKEN" run discord-notify -n
	[ "$status" -eq 78 ]
	[ "$output" = "discord-notify: DISCORD_WEBHOOK_URL: webhook URL must be https (http only with --allow-insecure-url, for tests)" ]
	DISCORD_WEBHOOK_URL="https://discord.com/api/webhooks/x/SECRETTOKEN" run discord-notify -n
	[ "$status" -eq 78 ]
	[[ "$output" != *SECRETTOKEN* ]]
	run discord-notify -n --webhook-file /nonexistent
	[ "$status" -eq 78 ]
	DISCORD_WEBHOOK_URL="https://discord.com/api/webhooks/1/SECRETTOKEN" run discord-notify -n
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	run discord-notify --coalesce-window -1
	[ "$status" -eq 64 ]
	run discord-notify --bogus
	[ "$status" -eq 64 ]
	[ "$output" = "discord-notify: --bogus: unknown option (see --help)" ]
	run discord-notify --send loud "x"
	[ "$status" -eq 64 ]
	[[ "$output" == *"level 'loud'"* ]]
	run discord-notify --stats
	[ "$status" -eq 69 ]
	run discord-notify --help
	[ "$status" -eq 0 ]
	run discord-notify --version
	[[ "$output" =~ ^discord-notify\ gwkit\ [0-9.]+$ ]]
}

@test "a second instance on the same spool is refused (exit 73)" {
	start_notify --dry-run
	run discord-notify --dry-run --no-stdin --listen "$T/other.sock"
	[ "$status" -eq 73 ]
	[[ "$output" == *"in use by another discord-notify"* ]]
}

@test "--mention goes into the content of batches with a critical event only" {
	start_fake
	start_notify --mention '<@&4242>'
	events 1 s plain | to_socket
	wait_stored 1 10
	printf '%s\n' '{"ts":"2026-02-10T14:15:00Z","level":"critical","source":"s","component":"c","event":"gateway.auth_lost","message":"2FA needed"}' | to_socket
	wait_stored 2 10
	jq -s -e '.[0].content == null and .[1].content == "<@&4242>"
		and .[1].embeds[0].title == "🚨 CRITICAL gateway.auth_lost"' "$T/store.jsonl"
}

@test "events still failing after --max-age go to the dead-letter file with the last error" {
	start_fake
	fake_ctl '{"fail_next":1000,"status":500}'
	start_notify --max-age 2
	events 1 s old | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.dead_letter"' 15
	jq -e '.reason | test("^not delivered within 2 s; last error: HTTP 500")' \
		"$GWKIT_RUNTIME_DIR/notify-spool/dead-letter.jsonl"
	jq -e '.ev.message == "old 1"' "$GWKIT_RUNTIME_DIR/notify-spool/dead-letter.jsonl"
	wait_stats '.dead_lettered == 1 and .queued == 0' 5
}
