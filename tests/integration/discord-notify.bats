#!/usr/bin/env bats
# discord-notify against the fake Discord webhook server (tests/helpers/
# fake-discord.c). Loopback only; waits poll observable state (the fake's
# store, log lines) with deadlines.
load notify
bats_require_minimum_version 1.5.0

setup() {
	notify_setup
	HOLD_PID= HOLD2_PID=
}

teardown() { notify_teardown "$HOLD_PID" "$HOLD2_PID" "$NOTIFY_PID" "$FAKE_PID"; reap_test_procs; }

# events N [SOURCE] [PREFIX]: N distinct event lines.
events() {
	local n=$1 src=${2:-bot-core} pre=${3:-msg} i
	for ((i = 1; i <= n; i++)); do
		printf '{"ts":"2026-02-10T14:15:00.123Z","level":"warning","source":"%s","component":"gateway","event":"gateway.disconnected","message":"%s %d","fields":{"n":%d}}\n' "$src" "$pre" "$i" "$i"
	done
}

descriptions() { jq -r '.embeds[].description' "$T/store.jsonl"; }

SPOOL() { echo "$GWKIT_RUNTIME_DIR/notify-spool"; }

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

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
	jq -e '.embeds[0] | .title == "⚠️ Gateway closed the API session"
		and .description == "Gateway closed the API session"
		and .timestamp == "2026-02-10T14:15:00.123Z"
		and .footer.text == "warning · gateway.disconnected · bot-core"
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
	echo "stored $((t_stored - t0)) ms after sending" >&2	# shown only if the test fails
	[ $((t_stored - t0)) -ge 1500 ]
	[ $((t_stored - t0)) -lt 8000 ]
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
	fake_ctl '{"deleted":true}'
	start_notify
	# parked: all three wait in the queue, then go as one batch of three
	events 3 | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.parked"' 10
	wait_stats '.queued == 3' 5
	fake_ctl '{"deleted":false,"fail_next":2,"status":400}'
	wait_stored 2 10
	wait_for_line "$T/notify.log" '"event":"notify\.refused".*"embeds":3' 5
	wait_for_line "$T/notify.log" '"event":"notify\.dead_letter"' 5
	[ "$(jq -s length "$(SPOOL)/dead-letter.jsonl")" -eq 1 ]
	jq -e '(.reason | test("HTTP 400")) and .ev.message == "msg 1"' "$(SPOOL)/dead-letter.jsonl"
	[ "$(descriptions | tr '\n' ' ')" = "msg 2 msg 3 " ]
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

@test "a line is at most 65536 bytes before its newline, a CR not counted: a command of 65537 is rejected, of 65536 served" {
	start_fake
	start_notify
	# pad_cmd N: {"cmd":"stats"} padded with spaces to N bytes
	pad_cmd() { printf '{"cmd":"stats"%*s}' $(($1 - 15)) ''; }
	{ pad_cmd 65537; echo; } | to_socket >"$T/raw"
	[ ! -s "$T/raw" ]
	{ pad_cmd 65536; printf '\r\n'; } | to_socket >"$T/raw"
	jq -e '.ok == true and .stats.rejected == 1' "$T/raw"
	grep -q '"event":"notify\.rejected".*line longer than 65536 bytes' "$T/notify.log"
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
	# sent just now: four repeats wait out the window as one held embed;
	# a different event after them is the barrier: once it is stored, the
	# repeats before it have been handled too
	{ for i in 1 2 3 4; do events 1 flappy same; done; events 1 other barrier; } | to_socket
	# (released repeats would have gone before the barrier or with it)
	wait_stored 2 10
	[ "$(descriptions | tr '\n' ' ')" = "same 1 barrier 1 " ]
	run discord-notify --stats
	echo "$output" | jq -e '.queued == 4 and .delivered == 2 and .received == 6'
}

@test "held repeats go out as one embed with the count when the window ends" {
	start_fake
	start_notify --coalesce-window 3
	events 1 flappy same | to_socket
	wait_stored 1 10
	for i in 1 2 3; do events 1 flappy same; done | to_socket
	wait_stored 2 10
	[ "$(jq -s length "$T/store.jsonl")" -eq 2 ]
	tail -n 1 "$T/store.jsonl" | jq -e '.embeds[0].title | endswith("×3")'
	tail -n 1 "$T/store.jsonl" | jq -e '.embeds[0].fields[-1] == {"name":"repeated","value":"3 times within 3 s","inline":true}'
	# held until the window after the first send ended
	jq -s -e '.[1]._t - .[0]._t >= 2900' "$T/store.jsonl"
}

@test "a folded critical repeat is shown at the highest level, with the mention" {
	start_fake
	fake_ctl '{"deleted":true}'
	start_notify --mention '<@&4242>'
	{
		printf '%s\n' '{"ts":"2026-02-10T14:15:00Z","level":"warning","source":"s","component":"c","event":"gw.flap","message":"flap"}'
		printf '%s\n' '{"ts":"2026-02-10T14:15:01Z","level":"critical","source":"s","component":"c","event":"gw.flap","message":"flap"}'
	} | to_socket
	wait_stats '.queued == 2' 10
	fake_ctl '{"deleted":false}'
	wait_stored 1 10
	jq -e '.content == "<@&4242>" and (.embeds[0].title | . == "🚨 flap ×2")' "$T/store.jsonl"
}

@test "coalescing of waiting events: folded into one embed with the count" {
	start_fake
	fake_ctl '{"fail_next":1000,"status":503}'
	start_notify
	events 1 flappy same | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.retry"' 5
	for i in 1 2; do events 1 flappy same; done | to_socket
	wait_stats '.received == 3 and .queued == 3' 5
	fake_ctl '{"fail_next":0}'
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
	jq -e '.embeds[0].description == "disk almost full" and .embeds[0].footer.text == "warning · notify.message · cron"' "$T/store.jsonl"
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
	t0=$(now_ms)
	kill -TERM "$NOTIFY_PID"
	wait_exit "$NOTIFY_PID"
	t1=$(now_ms)
	NOTIFY_PID=
	[ "$EXIT_STATUS" -eq 0 ]
	echo "exit $((t1 - t0)) ms after SIGTERM" >&2	# shown only if the test fails
	(( t1 - t0 >= 450 && t1 - t0 < 6000 ))
	grep -q '"event":"notify\.stopped".*"spooled":2' "$T/notify.log"
	[ ! -e "$SOCK" ]
	fake_ctl '{"deleted":false}'
	start_notify
	wait_stored 2 10
}

@test "SIGUSR1 prints the counters as one JSON line on stderr" {
	start_notify --dry-run --listen "$SOCK"	# a dry run listens only when asked
	events 1 | to_socket
	wait_for_line "$T/notify.log" '"dry_run":true' 5
	kill -USR1 "$NOTIFY_PID"
	wait_for_line "$T/notify.log" '^\{"received":1,"rejected":0,"spooled":1,"delivered":1' 5
}

@test "--send to a daemon in dry run exits 0 at once: printed is what a dry run delivers" {
	start_notify --dry-run --listen "$SOCK"
	run timeout 10 discord-notify --send warning "dry send" --timeout 5
	[ "$status" -eq 0 ]
	[[ "$output" != *"not delivered"* ]]
	wait_for_line "$T/notify.log" '"dry send"' 5	# the daemon printed the payload
}

@test "a dry run and a run with no webhook leave the spool alone; --send with no webhook exits 78" {
	start_notify --coalesce-window 0	# Discord down: two events stay spooled
	events 2 s kept | to_socket
	wait_stats '.spooled == 2' 5
	stop_notify
	export TMPDIR=$T/tmp; mkdir "$TMPDIR"	# where the throwaway spools go
	run bash -c "events() { $(declare -f events | tail -n +2); }; events 1 s printed | DISCORD_WEBHOOK_URL= discord-notify --once --no-listen"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^{"dry_run":true' <<<"$output")" -eq 1 ]
	[[ "$output" != *'"kept 1"'* ]]	# the spool was not read
	run discord-notify --once --no-listen --dry-run --webhook-file "$T/webhook" --allow-insecure-url < /dev/null
	[ "$status" -eq 0 ]
	DISCORD_WEBHOOK_URL= run discord-notify --send info "nowhere"
	[ "$status" -eq 78 ]
	[[ "$output" == *"no webhook configured"* ]]
	[ -z "$(ls -A "$TMPDIR")" ]	# removed at exit
	start_fake
	start_notify
	wait_stored 2 10
	[ "$(descriptions | tr '\n' ' ')" = "kept 1 kept 2 " ]
}

@test "--once with stdin that epoll cannot watch (/dev/null) exits at once" {
	t0=$(now_ms)
	run timeout 10 discord-notify --once --no-listen --webhook-file "$T/webhook" --allow-insecure-url < /dev/null
	t1=$(now_ms)
	[ "$status" -eq 0 ]
	(( t1 - t0 < 6000 ))	# not at timeout's 10 s
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
	[ "$status" -eq 78 ]	# too short to be a real token
	[[ "$output" == *"at least 20"* && "$output" != *SECRETTOKEN* ]]
	DISCORD_WEBHOOK_URL="https://discord.com/api/webhooks/1/SECRETTOKEN-0123456789" run discord-notify -n
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
	start_notify
	run discord-notify --webhook-file "$T/webhook" --allow-insecure-url --no-stdin --listen "$T/other.sock"
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
		and .[1].embeds[0].title == "🚨 2FA needed"' "$T/store.jsonl"
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

@test "a global 429 pauses everything for its retry_after" {
	start_fake
	fake_ctl '{"global_429_next":1,"retry_after":1.2}'
	start_notify
	t0=$(now_ms)
	events 1 | to_socket
	wait_stored 1 10
	t_stored=$(jq -s '.[0]._t' "$T/store.jsonl")
	(( t_stored - t0 >= 1200 && t_stored - t0 < 8000 ))
	grep -q '"event":"notify\.rate_limited".*"global":true' "$T/notify.log"
	fake_stats | jq -e '.status."429" == 1 and .requests == 2'
}

@test "401 (token invalid) parks the webhook; the first success unparks it" {
	start_fake
	fake_ctl '{"fail_next":1,"status":401}'
	start_notify
	events 2 | to_socket
	wait_for_line "$T/notify.log" '"level":"critical".*"event":"notify\.parked".*"status":401' 10
	wait_stored 2 10	# the probe after --park-retry 1 s
	wait_for_line "$T/notify.log" '"event":"notify\.unparked"' 5
	fake_stats | jq -e '.status."401" == 1 and .requests == 2'
}

@test "--send through a running daemon exits 75 when Discord stays down (the daemon keeps it)" {
	start_notify	# no fake: connections are refused
	run discord-notify --send error "disk full" --timeout 1
	[ "$status" -eq 75 ]
	[[ "$output" == *"the daemon keeps it spooled"* ]]
	wait_stats '.spooled == 1 and .queued == 1' 5
	start_fake
	wait_stored 1 15
	[ "$(descriptions)" = "disk full" ]
}

@test "--send: a daemon that drops the connection: delivered from the spool here, else exit 69" {
	start_fake
	# something on the socket that takes the request and closes, no reply
	socat UNIX-LISTEN:"$SOCK",fork OPEN:/dev/null 3>&- &
	HOLD_PID=$!
	wait_until 5 test -S "$SOCK"
	run discord-notify --send info "fell back" --webhook-file "$T/webhook" --allow-insecure-url --timeout 10
	[ "$status" -eq 0 ]
	[[ "$output" == *"did not take the event"* ]]
	wait_stored 1 5
	# the same, while a daemon elsewhere holds the spool: 69, never 75
	start_notify --listen "$T/other.sock"
	run discord-notify --send info "lost?" --webhook-file "$T/webhook" --allow-insecure-url --timeout 2
	[ "$status" -eq 69 ]
	[[ "$output" == *"NOT spooled"* ]]
}

@test "a non-ASCII event near the size limit survives a restart byte for byte" {
	start_notify	# Discord down
	msg=$(printf 'é%.0s' $(seq 1 12000))	# 24000 bytes; \u00e9-escaped it would be 72000
	printf '{"ts":"2026-02-10T14:15:00Z","level":"info","source":"s","component":"c","event":"big.utf8","message":"%s"}\n' "$msg" | to_socket
	wait_stats '.spooled == 1' 5
	stop_notify
	start_fake
	start_notify
	wait_stored 1 10
	run ! grep -q '"event":"notify\.dead_letter"' "$T/notify.log"
	jq -e '.embeds[0].description | startswith("éééé") and endswith("… [truncated]")' "$T/store.jsonl"
	[ ! -e "$(SPOOL)/dead-letter.jsonl" ]
}

@test "a spool record that no longer decodes goes to the dead-letter file at start" {
	mkdir -m 700 -p "$(SPOOL)"
	printf '{"seq":1,"t":1,"ev":{"ts":"2026-02-10T14:15:00Z","level":"loud","source":"s","component":"c","event":"a.b","message":"m"}}\n' >"$(SPOOL)/spool.jsonl"
	events 1 | jq -c '{seq: 2, t: (now * 1000 | floor), ev: .}' >>"$(SPOOL)/spool.jsonl"
	start_fake
	start_notify
	wait_stored 1 10
	wait_for_line "$T/notify.log" '"level":"error".*"event":"notify\.dead_letter".*unreadable spool record' 5
	jq -e '(.reason | test("unknown level")) and .ev.level == "loud"' "$(SPOOL)/dead-letter.jsonl"
	stop_notify
	start_notify	# acked: not again
	wait_for_line "$T/notify.log" '"event":"notify\.started"' 5
	[ "$(grep -c 'unreadable spool record' "$T/notify.log")" -eq 1 ]
}

@test "a failed dead-letter write keeps the event until it can be written" {
	mkdir -m 700 -p "$(SPOOL)/dead-letter.jsonl"	# a directory: cannot be opened for writing
	start_fake
	fake_ctl '{"fail_next":1000,"status":400}'
	start_notify
	events 1 s refused | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.spool_error".*cannot write the dead-letter file' 10
	run discord-notify --stats
	echo "$output" | jq -e '.queued == 1 and .dead_lettered == 0 and .spool_errors >= 1'
	rmdir "$(SPOOL)/dead-letter.jsonl"
	wait_stats '.dead_lettered == 1 and .queued == 0' 10
	jq -e '.ev.message == "refused 1"' "$(SPOOL)/dead-letter.jsonl"
}

@test "a client that floods stats requests and never reads is paused, then dropped; memory stays bounded" {
	start_fake
	start_notify --client-timeout 2
	yes '{"cmd":"stats"}' | head -n 600000 >"$T/flood"	# ~9.6 MB of requests, ~100 MB of replies
	socat -u - "UNIX-CONNECT:$SOCK" <"$T/flood" >/dev/null 2>&1 3>&- &
	HOLD_PID=$!
	max=0 deadline=$(( $(now_ms) + 3000 ))
	while (( $(now_ms) < deadline )); do
		r=$(rss_kb "$NOTIFY_PID"); (( r > max )) && max=$r
		sleep 0.1
	done
	echo "peak RSS ${max} KiB" >&2	# shown only if the test fails
	(( max < 30000 ))
	run discord-notify --stats	# others are still served
	[ "$status" -eq 0 ]
	wait_for_line "$T/notify.log" '"event":"notify\.client_idle".*replies not read' 10
	events 1 | to_socket
	wait_stored 1 10
}

@test "idle and half-line clients are dropped after --client-timeout" {
	start_fake
	start_notify --client-timeout 1
	( exec socat -u - "UNIX-CONNECT:$SOCK" < <(printf '{"ts":'; exec sleep 30) ) >/dev/null 2>&1 &
	HOLD_PID=$!
	wait_for_line "$T/notify.log" '"event":"notify\.client_idle".*half a line' 5
	wait_for_line "$T/notify.log" '"event":"notify\.rejected".*unterminated line dropped' 5
}

@test "at --max-clients the least recently active idle client makes room; logged once" {
	start_fake
	start_notify --max-clients 2 --log-level debug
	( exec socat -u - "UNIX-CONNECT:$SOCK" < <(exec sleep 30) ) >/dev/null 2>&1 &
	HOLD_PID=$!
	wait_for_line "$T/notify.log" '"event":"notify\.client_connected".*"origin":"socket peer 1"' 5
	( exec socat -u - "UNIX-CONNECT:$SOCK" < <(exec sleep 30) ) >/dev/null 2>&1 &
	HOLD2_PID=$!
	wait_for_line "$T/notify.log" '"event":"notify\.client_connected".*"origin":"socket peer 2"' 5
	events 1 s third | to_socket
	events 1 s fourth | to_socket
	wait_stored 2 10
	grep -q '"event":"notify\.client_evicted".*"origin":"socket peer 1"' "$T/notify.log"
	[ "$(grep -c '"event":"notify\.client_limit"' "$T/notify.log")" -eq 1 ]
}

@test "SIGTERM with a request in flight exits cleanly (no leak under the sanitizers)" {
	start_fake --delay-ms 5000
	start_notify --drain-timeout 0.3
	events 1 | to_socket
	wait_until 5 sh -c "curl -sf http://127.0.0.1:$FAKE_PORT/_stats | jq -e '.requests == 1' >/dev/null"
	kill -TERM "$NOTIFY_PID"
	wait_exit "$NOTIFY_PID"
	NOTIFY_PID=
	[ "$EXIT_STATUS" -eq 0 ]
	refute grep -q 'LeakSanitizer\|AddressSanitizer' "$T/notify.log"
}

# one_event [MESSAGE]: a valid event line.
one_event() {
	printf '{"ts":"2026-02-10T14:15:00Z","level":"warning","source":"s","component":"c","event":"a.b","message":"%s"}\n' "${1:-m}"
}

@test "a client that half-closes after its send requests still gets every reply, in order" {
	start_fake
	start_notify
	req() { printf '{"cmd":"send","wait_ms":5000,"event":%s}\n' "$(one_event "$1")"; }
	# socat half-closes the socket once its stdin ends, then reads for up to 6 s
	run bash -c "$(declare -f one_event req); req first | socat -t 6 - UNIX-CONNECT:$SOCK"
	[ "$status" -eq 0 ]
	[ "$output" = '{"ok":true,"delivered":true}' ]
	# two sends and a stats request in one connection: three replies, in order
	run bash -c "$(declare -f one_event req); { req second; req third; echo '{\"cmd\":\"stats\"}'; } | socat -t 6 - UNIX-CONNECT:$SOCK"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = '{"ok":true,"delivered":true}' ]
	[ "${lines[1]}" = '{"ok":true,"delivered":true}' ]
	jq -e '.stats.delivered == 3' <<<"${lines[2]}"
	[ "$(descriptions | tr '\n' ' ')" = "first second third " ]
}

@test "--send while the webhook refuses us (404) fails at once with exit 77 and the HTTP status" {
	start_fake
	fake_ctl '{"deleted":true}'
	start_notify
	# through the daemon: the refusal arrives while the --send waits
	t0=$(now_ms)
	run discord-notify --send warning "first" --timeout 20
	[ "$status" -eq 77 ]
	(( $(now_ms) - t0 < 12000 ))	# not at --timeout
	[[ "$output" == *"refused"*"HTTP 404"* ]]
	# the daemon is parked now: it answers at once
	t0=$(now_ms)
	run discord-notify --send warning "second" --timeout 20
	[ "$status" -eq 77 ]
	(( $(now_ms) - t0 < 12000 ))
	[[ "$output" == *"HTTP 404"* && "$output" != *"$TOKEN"* ]]
	wait_stats '.queued == 2 and .state == "parked"' 5
	# standalone, and --once: the same
	stop_notify
	t0=$(now_ms)
	run discord-notify --send warning "third" --webhook-file "$T/webhook" --allow-insecure-url --timeout 20
	[ "$status" -eq 77 ]
	(( $(now_ms) - t0 < 12000 ))
	[[ "$output" == *"the webhook http://127.0.0.1:$FAKE_PORT/api/webhooks/$WID/*** refused us with HTTP 404"* ]]
	[[ "$output" == *"3 events kept in"* && "$output" != *"$TOKEN"* ]]
	run bash -c "$(declare -f one_event); one_event fourth | discord-notify --once --no-listen --webhook-file $T/webhook --allow-insecure-url --timeout 20 2>&1 >/dev/null"
	[ "$status" -eq 77 ]
	[[ "$output" == *"--once: the webhook"*"HTTP 404"* ]]
	# nothing lost: all four go once the webhook is back
	fake_ctl '{"deleted":false}'
	start_notify
	wait_stored 4 10
	[ "$(descriptions | sort | tr '\n' ' ')" = "first fourth second third " ]
}

@test "--dry-run works from any directory with no runtime directory, and creates none" {
	mkdir "$T/cwd" "$T/tmp"
	cd "$T/cwd"
	run bash -c "$(declare -f one_event); one_event dry | GWKIT_RUNTIME_DIR=$T/missing/rt TMPDIR=$T/tmp timeout 10 discord-notify --dry-run"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^{"dry_run":true' <<<"$output")" -eq 1 ]
	grep '^{"dry_run":true' <<<"$output" | jq -e '.payload.embeds[0].description == "dry"'
	[ ! -e "$T/missing" ]
	[ -z "$(find "$T/tmp" "$T/cwd" -mindepth 1)" ]	# its throwaway spool is gone
	# nor a default one ($XDG_RUNTIME_DIR/gwkit; as root without it /run/gwkit)
	mkdir -m 700 "$T/xdg"
	run bash -c "$(declare -f one_event); one_event | env -u GWKIT_RUNTIME_DIR XDG_RUNTIME_DIR=$T/xdg TMPDIR=$T/tmp timeout 10 discord-notify --dry-run"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^{"dry_run":true' <<<"$output")" -eq 1 ]
	[ ! -e "$T/xdg/gwkit" ]
}

@test "the dry run's notify.started line names the same spool in its message and its fields" {
	mkdir "$T/tmp"
	run env TMPDIR="$T/tmp" discord-notify --dry-run --no-stdin
	[ "$status" -eq 0 ]
	line=$(grep '"event":"notify\.started"' <<<"$output")
	spool=$(jq -r .fields.spool <<<"$line")
	[[ "$spool" == "$T/tmp/discord-notify-dry-"* ]]
	jq -e --arg s "$spool" '.message | endswith("spool " + $s)' <<<"$line"
	jq -e '.fields.dry_run == true and .fields.socket == null' <<<"$line"
}

@test "--help and the doc list the same exit codes, with the same words" {
	run discord-notify --help
	[ "$status" -eq 0 ]
	help=$(sed -n '/^exit status:$/,$p' <<<"$output" | tail -n +2 | sed 's/^ *//')
	doc=$(sed -n '/^## EXIT STATUS$/,/^## /p' "$BATS_TEST_DIRNAME/../../docs/discord-notify.md" |
		grep '^    ' | sed 's/^ *//')
	[ -n "$help" ]
	diff <(echo "$help") <(echo "$doc")
	# every code the program uses is listed
	[ "$(grep -oE '^[0-9]+' <<<"$help" | tr '\n' ' ')" = "0 64 69 70 73 75 77 78 " ]
}

@test "the token and a user:password never leave discord-notify, even when the server echoes the request" {
	printf 'http://gwuser:s3cretpass@127.0.0.1:%s/api/webhooks/%s/%s\n' "$FAKE_PORT" "$WID" "$TOKEN" >"$T/webhook"
	start_fake
	fake_ctl '{"echo":true,"fail_next":1,"status":500}'
	start_notify
	events 1 s echoed | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.retry".*proxy error: POST' 10	# the echo arrived
	fake_ctl '{"fail_next":1,"status":401}'
	wait_for_line "$T/notify.log" '"event":"notify\.parked".*proxy error' 10
	fake_ctl '{"fail_next":1,"status":400}'
	wait_for_line "$T/notify.log" '"event":"notify\.dead_letter".*proxy error' 10
	jq -e '.reason | test("proxy error: POST .*/\\*\\*\\*")' "$(SPOOL)/dead-letter.jsonl"
	fake_ctl '{"fail_next":1,"status":404}'
	discord-notify --send info "via the daemon" --timeout 10 >>"$T/notify-send.log" 2>&1 || true
	stop_notify
	fake_ctl '{"fail_next":1,"status":403}'
	discord-notify --send info "standalone" --webhook-file "$T/webhook" --allow-insecure-url \
		--timeout 10 >>"$T/notify-send.log" 2>&1 || true
	grep -q 'refused us with HTTP 403' "$T/notify-send.log"
	grep -q '"event":"notify\.started".*"webhook":"http://\*\*\*@127\.0\.0\.1:[0-9]*/api/webhooks/[0-9]*/\*\*\*"' "$T/notify.log"
	# the fake did echo them all: the secrets were there to leak
	fake_stats | jq -e '.status."500" == 1 and .status."401" == 1 and .status."400" == 1 and .status."404" == 1 and .status."403" == 1'
	pct=$(printf '%s' "$TOKEN" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g')
	b64=$(printf 'gwuser:s3cretpass' | base64)
	for f in "$T"/notify*.log "$(SPOOL)"/*; do
		for secret in "$TOKEN" "$pct" "${pct^^}" s3cretpass "$b64"; do
			if grep -qiF -- "$secret" "$f"; then
				echo "$f holds $secret:" >&2; grep -iF -- "$secret" "$f" >&2
				return 1
			fi
		done
	done
}

@test "started with fds 0, 1 and 2 closed: they are /dev/null, not the event loop's or the spool's" {
	start_fake
	# stdin closed: no "reading stdin failed" (it was the epoll fd)
	# (not through bats' run, which would hand it a pipe as fd 0)
	discord-notify --once --no-listen --webhook-file "$T/webhook" --allow-insecure-url \
		0<&- >"$T/out0" 2>&1
	grep -q '"event":"notify\.started".*"stdin":true' "$T/out0"
	run ! grep -q 'stdin_error' "$T/out0"
	# stdout and stderr closed: a rejected line is said on stderr, and must
	# not land in the spool; the good line is delivered
	bash -c "$(declare -f one_event); { echo junk; one_event closed; } |
		discord-notify --once --no-listen --webhook-file $T/webhook --allow-insecure-url 1>&- 2>&-"
	wait_stored 1 5
	[ "$(descriptions)" = "closed" ]
	jq -e 'has("seq") or has("ack")' "$(SPOOL)/spool.jsonl" >/dev/null
	run ! grep -q 'rejected' "$(SPOOL)/spool.jsonl"
}

@test "a rejected line is also said on stderr, in one line naming origin and line number" {
	start_fake
	start_notify
	printf '%s\nnot json\n' "$(one_event ok)" | to_socket
	wait_stored 1 10
	grep -qx 'discord-notify: rejected line 2 from socket peer [0-9]*: not JSON.*' "$T/notify.log"
	# a send request's bad event: the reply says why, and so does stderr
	run bash -c "echo '{\"cmd\":\"send\",\"event\":{\"ts\":1}}' | socat -t 5 - UNIX-CONNECT:$SOCK"
	jq -e '.ok == false and (.error | startswith("event rejected: "))' <<<"$output"
	grep -qx 'discord-notify: rejected line 1 from send request: .*' "$T/notify.log"
	run bash -c "$(declare -f one_event); { one_event; echo '{\"ts\":1}'; } |
		discord-notify --dry-run 2>&1 >/dev/null"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "discord-notify: rejected line 2 from stdin: "* ]]
}

@test "--text: every stdin line is a message; --default-level takes non-JSON lines as text" {
	start_fake
	printf 'disk almost full\n{"not":"an event"}\n\n' |
		discord-notify --text --once --no-listen --webhook-file "$T/webhook" --allow-insecure-url
	wait_stored 2 5
	jq -s -e '[.[].embeds[]] | length == 2
		and .[0].description == "disk almost full" and .[1].description == "{\"not\":\"an event\"}"
		and .[0].footer.text == "warning · notify.message · text" and .[0].title == "⚠️ disk almost full"' "$T/store.jsonl"
	fake_ctl '{"reset":true}'
	{ one_event json; echo "  backup failed"; } |
		discord-notify --default-level error --source backup --once --no-listen \
			--webhook-file "$T/webhook" --allow-insecure-url
	wait_stored 2 5
	jq -s -e '[.[].embeds[]] | (.[0].description == "json" and .[0].footer.text == "warning · a.b · s")
		and .[1].description == "  backup failed" and .[1].footer.text == "error · notify.message · backup"
		and (.[1].title | test("backup failed"))' "$T/store.jsonl"
	# without either, plain text is rejected (and says so)
	run bash -c "echo 'plain words' | discord-notify --dry-run 2>&1 >/dev/null"
	[[ "$output" == *"rejected line 1 from stdin: not JSON"* ]]
	# socket lines too, with --default-level
	fake_ctl '{"reset":true}'
	start_notify --default-level info
	echo 'from a script' | to_socket
	wait_stored 1 10
	jq -e '.embeds[0].description == "from a script" and .embeds[0].footer.text == "info · notify.message · text"' "$T/store.jsonl"
	run discord-notify --text --send info x
	[ "$status" -eq 64 ]
	run discord-notify --default-level loud -n
	[ "$status" -eq 64 ]
	[[ "$output" == *"--default-level: 'loud'"* ]]
}

@test "--log-format text prints readable lines; json (the default off a terminal) stays JSON" {
	run discord-notify --dry-run --no-stdin --log-format text
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^20[0-9-]+T[0-9:.]+Z\ INFO\ notify\.started:\ delivering\ to\ stdout ]]
	run ! grep -q '^{' <<<"$output"
	run discord-notify --dry-run --no-stdin
	jq -e '.event == "notify.started"' <<<"${lines[0]}"
	LOG_FORMAT=text run discord-notify --dry-run --no-stdin
	[[ "${lines[0]}" == *" INFO notify.started: "* ]]
	LOG_FORMAT=text run discord-notify --dry-run --no-stdin --log-format json	# the flag wins
	jq -e '.event == "notify.started"' <<<"${lines[0]}"
	run discord-notify --log-format xml -n
	[ "$status" -eq 64 ]
	[ "$output" = "discord-notify: --log-format: 'xml' is not one of json, text, auto" ]
}

@test "docs/discord-notify.md points into docs/, not shared/; its cron lines set PATH and a webhook" {
	doc=$BATS_TEST_DIRNAME/../../docs/discord-notify.md
	run ! grep -n 'shared/' "$doc"
	# every cron line (five time fields) runs under cron's PATH=/usr/bin:/bin:
	# a full path to discord-notify (or its own PATH), and a webhook for --send
	grep -E '^ +([0-9*,/-]+ +){5}' "$doc" >"$T/cron"
	[ -s "$T/cron" ]
	while read -r l; do
		[[ "$l" == *" /"*"/discord-notify "* || "$l" == *"PATH="* ]]
		[[ "$l" != *"--send"* || "$l" == *"DISCORD_WEBHOOK_URL"* || "$l" == *"--webhook-file"* ]]
	done <"$T/cron"
	# and it runs as written there (with the test's paths), delivering its event
	start_fake
	l=$(grep -- '--send' "$T/cron" | head -n 1 | sed -E 's/^ +([^ ]+ +){5}//')
	l=${l//\/usr\/local\/bin\/discord-notify/$GWKIT_BIN/discord-notify}
	l=${l//\/etc\/gwkit\/discord_webhook/$T/webhook}
	env -i PATH=/usr/bin:/bin GWKIT_RUNTIME_DIR="$GWKIT_RUNTIME_DIR" sh -c "$l --allow-insecure-url"
	wait_stored 1 5
	[ "$(descriptions)" = "daily restart done" ]
}

@test "a pipeline: --text reads stdin only and exits once it has ended and all is delivered; --timeout counts from that end" {
	start_fake
	# a slow producer: the second line comes after --timeout has passed
	# since the start; no socket is made (none given)
	run bash -c "{ echo first; sleep 2; echo second; } | discord-notify --text --webhook-file $T/webhook --allow-insecure-url --timeout 1"
	[ "$status" -eq 0 ]
	[ "$(descriptions | tr '\n' ' ')" = "first second " ]
	[ ! -e "$SOCK" ]
	# the same for --once with event records
	run bash -c "$(declare -f one_event); { sleep 2; one_event third; } | discord-notify --once --no-listen --webhook-file $T/webhook --allow-insecure-url --timeout 1"
	[ "$status" -eq 0 ]
	wait_stored 3 5
	# and with Discord down, 75 at --timeout after the end, the rest kept
	stop_pid "$FAKE_PID"; FAKE_PID=
	t0=$(now_ms)
	run bash -c "echo fourth | discord-notify --text --webhook-file $T/webhook --allow-insecure-url --timeout 1"
	[ "$status" -eq 75 ]
	(( $(now_ms) - t0 < 10000 ))
	[[ "$output" == *"1 event not delivered within 1 s of the end of the input; kept in"* ]]
}
