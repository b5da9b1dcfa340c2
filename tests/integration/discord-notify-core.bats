#!/usr/bin/env bats
# discord-notify's delivery core (lib/notifier, lib/nq, lib/spool) against
# the fake Discord server: bounded memory with a large backlog, pauses,
# repeats of an in-flight event, dead-letter failures, the spool
# directory's safety and damaged spools. Loopback only; waits poll
# observable state (the fake's store, log lines) with deadlines.
load notify

setup() { notify_setup; }

teardown() {
	notify_teardown "$NOTIFY_PID" "$FAKE_PID"
	# sanitizer builds: no report of any kind
	if compgen -G "$T/notify*.log" >/dev/null; then
		refute grep -l 'runtime error\|AddressSanitizer\|LeakSanitizer' "$T"/notify*.log
	fi
	reap_test_procs
}

# sanitized: 1 when discord-notify is an AddressSanitizer build
sanitized() { ldd "$(command -v discord-notify)" 2>/dev/null | grep -q libasan; }

# ev LEVEL EVENT MESSAGE: one event line
ev() {
	printf '{"ts":"2026-02-10T14:15:00.123Z","level":"%s","source":"bot-core","component":"gateway","event":"%s","message":"%s"}\n' "$1" "$2" "$3"
}

hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# spool_backlog GROUPS SIZE DISTINCT: a spool file written directly: GROUPS
# groups of SIZE identical events ("group K", accepted now, so each group
# coalesces into one embed), then DISTINCT distinct ones ("tail K") padded
# to about 1 KB of record each.
spool_backlog() {
	mkdir -m 700 -p "$SPOOL"
	awk -v g="$1" -v s="$2" -v d="$3" -v t="$(now_ms)" 'BEGIN {
		pad = sprintf("%400s", ""); gsub(/ /, "p", pad)
		seq = 0
		for (k = 1; k <= g; k++)
			for (i = 1; i <= s; i++)
				printf "{\"seq\":%d,\"t\":%s,\"ev\":{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"warning\",\"source\":\"bot-core\",\"component\":\"gateway\",\"event\":\"gateway.disconnected\",\"message\":\"group %d\",\"fields\":{\"pad\":\"%s\"}}}\n", ++seq, t, k, pad
		for (k = 1; k <= d; k++)
			printf "{\"seq\":%d,\"t\":%s,\"ev\":{\"ts\":\"2026-02-10T14:15:00.123Z\",\"level\":\"warning\",\"source\":\"bot-core\",\"component\":\"gateway\",\"event\":\"gateway.disconnected\",\"message\":\"tail %d\",\"fields\":{\"pad\":\"%s\"}}}\n", ++seq, t, k, substr(pad, 1, 300)
	}' >"$SPOOL/spool.jsonl"
}

@test "a large backlog: memory stays bounded (VmHWM) and every event is delivered in order" {
	spool_backlog 1000 100 1500	# 101,500 events, ~65 MB on disk
	limit=32768	# KiB
	if sanitized; then	# ASan's shadow and quarantine: a looser bound
		export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16
		limit=131072
	fi
	start_fake
	fake_ctl '{"deleted":true}'	# parked first: the whole backlog waits
	start_notify --log-level info
	wait_for_line "$T/notify.log" '"event":"notify\.spool_loaded".*"events":101500' 20
	wait_for_line "$T/notify.log" '"event":"notify\.parked"' 20
	fake_ctl '{"deleted":false}'
	wait_stored 2500 60
	hwm=$(hwm_kb "$NOTIFY_PID")
	echo "peak RSS ${hwm} KiB"	# shown if the test fails
	(( hwm < limit ))
	# in order: group 1..1000 (each x100), then tail 1..1500
	diff <(jq -r '.embeds[].description' "$T/store.jsonl") \
		<(for ((k = 1; k <= 1000; k++)); do echo "group $k"; done
		  for ((k = 1; k <= 1500; k++)); do echo "tail $k"; done)
	[ "$(jq -r '.embeds[].title' "$T/store.jsonl" | grep -c '×100$')" -eq 1000 ]
	run discord-notify --stats
	echo "$output" | jq -e '.delivered == 101500 and .queued == 0'
}

@test "a long 429 pause logs one notify.paused (wait_s, capped or not)" {
	start_fake
	fake_ctl '{"fail_next":1,"status":429,"retry_after":3600}'
	start_notify --drain-timeout 0.2
	ev warning e.x "held by a rate limit" | to_socket
	wait_for_line "$T/notify.log" '"level":"warning".*"event":"notify\.paused"' 10
	line=$(grep '"event":"notify\.paused"' "$T/notify.log")
	jq -e '.fields.reason == "rate_limit" and .fields.retry_after_s == 3600
		and .fields.wait_s >= 30 and .fields.wait_s <= 3600
		and .fields.capped == (.fields.wait_s < 3599)' <<<"$line"
	[ "$(grep -c '"event":"notify\.paused"' "$T/notify.log")" -eq 1 ]
	refute grep -q '"event":"notify\.resumed"' "$T/notify.log"
}

@test "a short 429 pause is not reported as paused" {
	start_fake
	fake_ctl '{"fail_next":1,"status":429,"retry_after":0.5}'
	start_notify
	ev warning e.x "briefly held" | to_socket
	wait_stored 1 10
	grep -q '"event":"notify\.rate_limited"' "$T/notify.log"
	refute grep -q '"event":"notify\.paused"' "$T/notify.log"
}

@test "repeats that arrive while the first embed is in flight wait for the window: one embed per window" {
	start_fake --delay-ms 1500
	start_notify --coalesce-window 3
	ev warning e.x "flapping" | to_socket
	wait_until 10 sh -c "curl -sf http://127.0.0.1:$FAKE_PORT/_stats | jq -e '.requests == 1' >/dev/null"
	for i in $(seq 10); do ev warning e.x "flapping"; done | to_socket
	wait_stored 2 20
	[ "$(jq -r '.embeds[].title' "$T/store.jsonl" | sed -n 2p)" = "⚠️ flapping ×10" ]
	[ "$(jq -r '.embeds[].footer.text' "$T/store.jsonl" | sed -n 2p)" = "warning · e.x · bot-core" ]
	# the second went out a whole window after the first was delivered
	gap=$(jq -s '.[1]._t - .[0]._t' "$T/store.jsonl")
	echo "gap ${gap} ms"
	(( gap >= 1500 + 3000 - 300 ))
}

@test "retry messages say the HTTP status once" {
	start_fake
	fake_ctl '{"fail_next":1,"status":503}'
	start_notify
	ev warning e.x "retry me" | to_socket
	wait_stored 1 15
	grep -q '"event":"notify\.retry".*HTTP 503 Service Unavailable' "$T/notify.log"
	refute grep -q '503 503' "$T/notify.log"
}

@test "a refused event whose dead-letter write fails is never POSTed again; the write is retried" {
	mkdir -m 700 -p "$SPOOL/dead-letter.jsonl"	# a directory: cannot be written
	start_fake
	fake_ctl '{"fail_next":1000,"status":400}'
	start_notify
	ev warning e.x "refused" | to_socket
	wait_for_line "$T/notify.log" '"event":"notify\.spool_error".*cannot write the dead-letter file' 10
	# wait for the write's second failure (backoff 1 s): still one request
	wait_until 10 sh -c "[ \$(grep -c 'cannot write the dead-letter file' '$T/notify.log') -ge 2 ]"
	fake_stats | jq -e '.requests == 1'
	rmdir "$SPOOL/dead-letter.jsonl"
	wait_until 10 sh -c "discord-notify --stats | jq -e '.dead_lettered == 1 and .queued == 0' >/dev/null"
	fake_stats | jq -e '.requests == 1'
	jq -e '.ev.message == "refused" and (.reason | test("HTTP 400"))' "$SPOOL/dead-letter.jsonl"
}

@test "--spool: a directory open to others, someone else's, or a symbolic link is refused (exit 73)" {
	mkdir -m 777 "$T/open"
	chmod 777 "$T/open"
	run timeout 10 discord-notify --webhook-file "$T/webhook" --allow-insecure-url --no-stdin --no-listen --spool "$T/open"
	[ "$status" -eq 73 ]
	[[ "$output" == *"$T/open"*"writable by group or others"* ]]
	[ "${#lines[@]}" -eq 1 ]
	mkdir -m 700 "$T/real"
	ln -s "$T/real" "$T/link"
	run timeout 10 discord-notify --webhook-file "$T/webhook" --allow-insecure-url --no-stdin --no-listen --spool "$T/link"
	[ "$status" -eq 73 ]
	[[ "$output" == *"$T/link"*"symbolic link"* ]]
	if [ "$(id -u)" -eq 0 ]; then
		mkdir -m 700 "$T/theirs"
		chown 65534:65534 "$T/theirs"
		run timeout 10 discord-notify --webhook-file "$T/webhook" --allow-insecure-url --no-stdin --no-listen --spool "$T/theirs"
		[ "$status" -eq 73 ]
		[[ "$output" == *"$T/theirs"*"owned by uid 65534"* ]]
	fi
}

@test "--spool: a planted symbolic link in the spool is refused, its target untouched" {
	mkdir -m 700 "$T/sp"
	echo precious >"$T/victim"
	ln -s "$T/victim" "$T/sp/spool.jsonl"
	run timeout 10 discord-notify --webhook-file "$T/webhook" --allow-insecure-url --no-stdin --no-listen --spool "$T/sp"
	[ "$status" -eq 73 ]
	[[ "$output" == *"spool.jsonl"*"symbolic link"* ]]
	[ "$(cat "$T/victim")" = precious ]
	rm "$T/sp/spool.jsonl"
	# the compaction's tmp file: 300 events delivered compact the spool
	ln -s "$T/victim" "$T/sp/spool.jsonl.tmp"
	start_fake
	start_notify --spool "$T/sp" --coalesce-window 0
	for i in $(seq 300); do ev info e.x "m $i"; done | to_socket
	wait_stored 300 60
	[ "$(cat "$T/victim")" = precious ]
	[ ! -L "$T/sp/spool.jsonl.tmp" ]
}

@test "a damaged spool: duplicate, backward and out-of-range seqs are dead-lettered with the reason, the rest delivered in order" {
	mkdir -m 700 -p "$SPOOL"
	t=$(now_ms)
	for s in 1 2 2 7 5 18446744073709551615 8; do
		printf '{"seq":%s,"t":%s,"ev":%s}\n' "$s" "$t" "$(ev warning e.x "seq $s")"
	done >"$SPOOL/spool.jsonl"
	start_fake
	start_notify --coalesce-window 0
	wait_stored 4 15
	diff <(jq -r '.embeds[].description' "$T/store.jsonl") <(printf 'seq %s\n' 1 2 7 8)
	[ "$(wc -l <"$SPOOL/dead-letter.jsonl")" -eq 3 ]
	dl_has() { jq -se --arg r "$1" --arg l "$2" \
		'map(select((.reason | test($r)) and (.line | test($l)))) | length == 1' "$SPOOL/dead-letter.jsonl"; }
	dl_has 'seq 2 is not above 2' '"seq":2,'
	dl_has 'seq 5 is not above 7' '"seq":5,'
	dl_has 'seq 18446744073709551615 out of range' '"seq":18446744073709551615,'
	grep -q '"event":"notify\.spool_damaged"' "$T/notify.log"
	ev warning e.x "new" | to_socket
	wait_stored 5 10
	stop_notify
	start_notify	# dead-lettered once only
	[ "$(wc -l <"$SPOOL/dead-letter.jsonl")" -eq 3 ]
}

@test "seqs never wrap: at the maximum a new event is refused (critical), and a drained spool numbers from 1" {
	mkdir -m 700 -p "$SPOOL"
	ev warning e.x "the last seq" | jq -c --argjson t "$(now_ms)" '{seq: 1, t: $t, ev: .}' |
		sed 's/"seq":1,/"seq":9223372036854775807,/' >"$SPOOL/spool.jsonl"
	start_fake
	fake_ctl '{"deleted":true}'
	start_notify
	ev warning e.x "one too many" | to_socket
	wait_for_line "$T/notify.log" '"level":"critical".*"event":"notify\.spool_error".*sequence numbers are exhausted' 10
	fake_ctl '{"deleted":false}'
	wait_stored 1 15
	stop_notify
	start_notify
	ev warning e.x "after the restart" | to_socket
	wait_stored 2 15
	jq -r '.embeds[].description' "$T/store.jsonl" | grep -qx "after the restart"
	grep -q '"seq":1,' "$SPOOL/spool.jsonl"
}
