#!/usr/bin/env bats
# fake-discord (tests/helpers/fake-discord.c): the fake Discord webhook
# server itself, driven with curl. Loopback only; every request has a
# deadline (--max-time); the server's answers are compact JSON, so they are
# checked as exact strings.
load common
bats_require_minimum_version 1.5.0

ID=123456789012345678
TOKEN=test-token-abc-0123456789

setup() {
	command -v curl >/dev/null || skip "curl is not installed"
	PORT=$(free_port)
	FAKE_PID=
	FAKE_LOG=$BATS_TEST_TMPDIR/fake.log
	FAKE_ERR=$BATS_TEST_TMPDIR/fake.err
	STORE=$BATS_TEST_TMPDIR/store.jsonl
	BASE=http://127.0.0.1:$PORT
	HOOK=$BASE/api/webhooks/$ID/$TOKEN
}

teardown() {
	stop_pid "$FAKE_PID"
	reap_test_procs
	# A sanitizer build reports on stderr; any report fails the test.
	if grep -Eq 'Sanitizer|runtime error' "$FAKE_ERR" 2>/dev/null; then
		cat "$FAKE_ERR" >&2
		return 1
	fi
}

# start_fake [ARGS...]: run the fake on $PORT with a store, wait for its
# fake.listening line.
start_fake() {
	"$GWKIT_BIN/tests/fake-discord" --port "$PORT" --store "$STORE" "$@" \
	    >"$FAKE_LOG" 2>"$FAKE_ERR" 3>&- &
	FAKE_PID=$!
	wait_for_line "$FAKE_LOG" "^\\{\"event\":\"fake\\.listening\",\"port\":$PORT\\}\$" 10
}

# req METHOD URL [BODY]: one request; sets CODE, BODY (response body) and
# HDRS (a file of response headers). curl's own exit status is CURL_RC.
req() {
	local method=$1 url=$2 data=${3-}
	HDRS=$BATS_TEST_TMPDIR/headers
	local out=$BATS_TEST_TMPDIR/body
	local args=(-s --max-time 5 -X "$method" -o "$out" -D "$HDRS"
	    -w '%{http_code}')
	[ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
	CURL_RC=0
	CODE=$(curl "${args[@]}" "$url") || CURL_RC=$?
	BODY=$(cat "$out" 2>/dev/null || true)
}

post() { req POST "$HOOK${2-}" "$1"; }
control() {
	req POST "$BASE/_control" "$1"
	[ "$CODE" = 200 ] && [ "$BODY" = '{"ok":true}' ]
}

# header NAME: the value of response header NAME (case-insensitive).
header() { grep -i "^$1:" "$HDRS" | head -n 1 | cut -d: -f2- | tr -d ' \r'; }

# stats_has TEXT: GET /_stats contains TEXT.
stats_has() { curl -s --max-time 2 "$BASE/_stats" | grep -qF -- "$1"; }

# repeat CHAR N: CHAR N times.
repeat() { printf "%${2}s" '' | sed "s/ /$1/g"; }

@test "wait=true: 200 with the message object, and the store has the line" {
	start_fake
	post '{"content":"gateway down","embeds":[{"title":"é"}]}' '?wait=true'
	[ "$CODE" = 200 ]
	[[ "$BODY" == '{"id":"'[0-9]*'","type":0,'* ]]
	[[ "$BODY" == *'"webhook_id":"'$ID'","content":"gateway down","embeds":[{"title":"é","type":"rich"}],'* ]]
	# Flushed at once: readable while the server runs.
	[ "$(wc -l <"$STORE")" -eq 1 ]
	[[ "$(cat "$STORE")" == '{"content":"gateway down","embeds":[{"title":"é"}],"_seq":1,"_t":'[0-9]*'}' ]]
}

@test "without wait: 204 and no body" {
	start_fake
	post '{"content":"x"}'
	[ "$CODE" = 204 ]
	[ -z "$BODY" ]
	[ "$(wc -l <"$STORE")" -eq 1 ]
}

@test "wrong token: 401 Invalid Webhook Token, nothing stored" {
	start_fake
	req POST "$BASE/api/webhooks/$ID/wrong-token" '{"content":"x"}'
	[ "$CODE" = 401 ]
	[ "$BODY" = '{"message":"Invalid Webhook Token","code":50027}' ]
	[ ! -s "$STORE" ]
}

@test "unknown id: 404 Unknown Webhook (also on the versioned path)" {
	start_fake
	req POST "$BASE/api/webhooks/999/$TOKEN" '{"content":"x"}'
	[ "$CODE" = 404 ]
	[ "$BODY" = '{"message":"Unknown Webhook","code":10015}' ]
	req POST "$BASE/api/v10/webhooks/$ID/$TOKEN" '{"content":"x"}'
	[ "$CODE" = 204 ]
}

@test "--webhook sets the known id and token" {
	start_fake --webhook 42/s3cret
	req POST "$BASE/api/webhooks/42/s3cret" '{"content":"x"}'
	[ "$CODE" = 204 ]
	post '{"content":"x"}'
	[ "$CODE" = 404 ]
}

@test "description over 4096 code points: 400 50035 naming embeds.0.description" {
	start_fake
	# 4096 two-byte characters pass (8192 bytes): the limit counts code points.
	post "{\"embeds\":[{\"description\":\"$(repeat é 4096)\"}]}"
	[ "$CODE" = 204 ]
	post "{\"embeds\":[{\"description\":\"$(repeat é 4097)\"}]}"
	[ "$CODE" = 400 ]
	[ "$BODY" = '{"code":50035,"message":"Invalid Form Body","errors":{"embeds":{"0":{"description":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 4096 or fewer in length."}]}}}}}' ]
	[ "$(wc -l <"$STORE")" -eq 1 ]
}

@test "content over 2000, field value over 1024, embeds over 6000 in total: each named" {
	start_fake
	post "{\"content\":\"$(repeat a 2001)\"}"
	[ "$CODE" = 400 ]
	[ "$BODY" = '{"code":50035,"message":"Invalid Form Body","errors":{"content":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 2000 or fewer in length."}]}}}' ]
	post "{\"embeds\":[{\"fields\":[{\"name\":\"a\",\"value\":\"b\"},{\"name\":\"n\",\"value\":\"$(repeat v 1025)\"}]}]}"
	[ "$CODE" = 400 ]
	[[ "$BODY" == *'"errors":{"embeds":{"0":{"fields":{"1":{"value":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 1024 or fewer in length."}]}}}}}}}' ]]
	local d3000 d3001
	d3000=$(repeat x 3000)
	d3001=$(repeat y 3001)
	post "{\"embeds\":[{\"description\":\"$d3000\"},{\"description\":\"$d3000\"}]}"
	[ "$CODE" = 204 ]
	post "{\"embeds\":[{\"description\":\"$d3000\"},{\"description\":\"$d3001\"}]}"
	[ "$CODE" = 400 ]
	[[ "$BODY" == *'"errors":{"embeds":{"_errors":[{"code":"MAX_EMBED_SIZE_EXCEEDED","message":"Embed size exceeds maximum size of 6000"}]}}}' ]]
}

@test "empty, non-JSON and non-JSON-typed bodies: 400 50006; over 64 KiB: 413" {
	start_fake
	local empty='{"message":"Cannot send an empty message","code":50006}'
	post '{}'
	[ "$CODE" = 400 ]
	[ "$BODY" = "$empty" ]
	post '{"content":"","embeds":[]}'
	[ "$CODE" = 400 ]
	[ "$BODY" = "$empty" ]
	post 'not json'
	[ "$CODE" = 400 ]
	[ "$BODY" = "$empty" ]
	CODE=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
	    --data-binary '{"content":"x"}' "$HOOK")
	[ "$CODE" = 400 ]
	local big=$BATS_TEST_TMPDIR/big.json
	{ printf '{"content":"'; repeat a 66000; printf '"}'; } >"$big"
	req POST "$HOOK" "@$big"
	[ "$CODE" = 413 ]
	[ "$BODY" = '{"message":"Request entity too large","code":40005}' ]
	[ ! -s "$STORE" ]
}

@test "rate 2/1: the third request in the window is 429; after Reset-After it passes" {
	start_fake --rate 2/1
	post '{"content":"1"}'
	[ "$CODE" = 204 ]
	[ "$(header X-RateLimit-Limit)" = 2 ]
	[ "$(header X-RateLimit-Remaining)" = 1 ]
	[[ "$(header X-RateLimit-Reset-After)" =~ ^[01]\.[0-9]{3}$ ]]
	[[ "$(header X-RateLimit-Reset)" =~ ^[0-9]{10}\.[0-9]{3}$ ]]
	[[ "$(header X-RateLimit-Bucket)" =~ ^[0-9a-f]{32}$ ]]
	post '{"content":"2"}'
	[ "$CODE" = 204 ]
	[ "$(header X-RateLimit-Remaining)" = 0 ]
	post '{"content":"3"}'
	[ "$CODE" = 429 ]
	[ "$(header Retry-After)" = 1 ]
	[ "$(header X-RateLimit-Scope)" = user ]
	[ "$(header X-RateLimit-Remaining)" = 0 ]
	[[ "$BODY" =~ ^\{\"message\":\"You\ are\ being\ rate\ limited\.\",\"retry_after\":0\.[0-9]+,\"global\":false\}$ ]]
	[ "$(wc -l <"$STORE")" -eq 2 ]
	# The protocol's instruction: wait Reset-After (plus a margin), retry.
	local after
	after=$(header X-RateLimit-Reset-After)
	sleep "$(awk -v a="$after" 'BEGIN { print a + 0.05 }')"
	post '{"content":"3 again"}'
	[ "$CODE" = 204 ]
	[ "$(header X-RateLimit-Remaining)" = 1 ]
	[ "$(wc -l <"$STORE")" -eq 3 ]
}

@test "rate set and cleared at run time; global_429_next answers global 429s" {
	start_fake
	post '{"content":"x"}'
	[ "$CODE" = 204 ]
	[ -z "$(header X-RateLimit-Limit)" ]
	control '{"rate":"1/60"}'
	post '{"content":"x"}'
	[ "$CODE" = 204 ]
	post '{"content":"x"}'
	[ "$CODE" = 429 ]
	control '{"rate":null}'
	post '{"content":"x"}'
	[ "$CODE" = 204 ]
	control '{"global_429_next":1,"retry_after":2.5}'
	post '{"content":"x"}'
	[ "$CODE" = 429 ]
	[ "$BODY" = '{"message":"You are being rate limited.","retry_after":2.5,"global":true}' ]
	[ "$(header X-RateLimit-Global)" = true ]
	[ "$(header Retry-After)" = 3 ]
	post '{"content":"x"}'
	[ "$CODE" = 204 ]
}

@test "fail_next 2 status 500: two 500s, then success" {
	start_fake
	control '{"fail_next":2,"status":500}'
	post '{"content":"a"}'
	[ "$CODE" = 500 ]
	[ "$BODY" = '{"message":"500: Internal Server Error","code":0}' ]
	post '{"content":"b"}'
	[ "$CODE" = 500 ]
	post '{"content":"c"}'
	[ "$CODE" = 204 ]
	[[ "$(cat "$STORE")" == '{"content":"c","_seq":1,'* ]]
}

@test "drop_next: the connection closes with no response, then service resumes" {
	start_fake
	control '{"drop_next":1}'
	post '{"content":"a"}'
	[ "$CURL_RC" -eq 52 ]	# curl: empty reply from server
	[ "$CODE" = 000 ]
	post '{"content":"b"}'
	[ "$CODE" = 204 ]
	[ "$(wc -l <"$STORE")" -eq 1 ]
}

@test "deleted: 404 for every request until undeleted" {
	start_fake
	control '{"deleted":true}'
	post '{"content":"a"}'
	[ "$CODE" = 404 ]
	[ "$BODY" = '{"message":"Unknown Webhook","code":10015}' ]
	control '{"deleted":false}'
	post '{"content":"b"}'
	[ "$CODE" = 204 ]
}

@test "delay_ms holds every webhook answer" {
	start_fake --delay-ms 300
	local t0 t1
	t0=$(now_ms)
	post '{"content":"a"}'
	t1=$(now_ms)
	[ "$CODE" = 204 ]
	(( t1 - t0 >= 300 ))
	control '{"delay_ms":0}'
	post '{"content":"b"}'
	[ "$CODE" = 204 ]
}

@test "stats counts requests, statuses, invalid requests and stored embeds" {
	start_fake --rate 3/60
	post '{"content":"a","embeds":[{"title":"1"},{"title":"2"}]}' '?wait=true'	# 200
	post '{"content":"b"}'						# 204
	req POST "$BASE/api/webhooks/$ID/bad" '{"content":"x"}'		# 401
	post '{"content":"c"}'						# 429
	control '{"drop_next":1}'
	post '{"content":"d"}'						# dropped
	req GET "$BASE/_stats"
	[ "$CODE" = 200 ]
	[ "$BODY" = '{"requests":5,"stored":2,"status":{"200":1,"204":1,"400":0,"401":1,"403":0,"404":0,"405":0,"413":0,"429":1,"500":0,"502":0,"503":0,"other":0},"invalid":2,"embeds_stored":2,"dropped":1}' ]
	control '{"reset":true}'
	req GET "$BASE/_stats"
	[[ "$BODY" == '{"requests":0,"stored":0,'* ]]
	[ ! -s "$STORE" ]
}

@test "control: unknown keys and bad values are refused with a reason" {
	start_fake
	req POST "$BASE/_control" '{"bogus":1}'
	[ "$CODE" = 400 ]
	[[ "$BODY" == '{"ok":false,"error":"'*'bogus"}' ]]
	req POST "$BASE/_control" '{"fail_next":1,"status":418}'
	[ "$CODE" = 400 ]
	[ "$BODY" = '{"ok":false,"error":"status: must be one of 400, 401, 403, 404, 429, 500, 502, 503"}' ]
	req POST "$BASE/_control" '{"rate":"5"}'
	[ "$CODE" = 400 ]
	[[ "$BODY" == '{"ok":false,"error":"rate: '* ]]
	# A refused request changes nothing.
	req POST "$BASE/_control" '{"fail_next":1,"rate":"x"}'
	[ "$CODE" = 400 ]
	post '{"content":"x"}'
	[ "$CODE" = 204 ]
}

@test "unknown paths: 404 Discord-like body" {
	start_fake
	req GET "$BASE/api/users/@me"
	[ "$CODE" = 404 ]
	[ "$BODY" = '{"message":"404: Not Found","code":0}' ]
}

@test "SIGTERM with an answer held back: exit 0" {
	start_fake --delay-ms 5000
	curl -s --max-time 10 -H 'Content-Type: application/json' \
	    -d '{"content":"x"}' "$HOOK" >/dev/null 3>&- &
	local cpid=$!
	wait_until 5 stats_has '"requests":1,'

	kill -TERM "$FAKE_PID"
	wait_exit "$FAKE_PID"
	FAKE_PID=
	[ "$EXIT_STATUS" -eq 0 ]
	wait "$cpid" || true
}

@test "bad flags: exit 64" {
	run "$GWKIT_BIN/tests/fake-discord" --port 1 --rate 0/1
	[ "$status" -eq 64 ]
	run "$GWKIT_BIN/tests/fake-discord"
	[ "$status" -eq 64 ]
}
