# Helpers for discord-notify's tests (discord-notify.bats,
# discord-notify-core.bats): the fake Discord server on a port of the
# test's own, a webhook file naming it, the daemon on the test's socket,
# and waits on what the fake stored. Loopback only.
load common

TOKEN=test-token-abc-0123456789
WID=123456789012345678

# notify_setup: the test's runtime dir, port, webhook file, socket, spool.
notify_setup() {
	T=$BATS_TEST_TMPDIR
	export GWKIT_RUNTIME_DIR=$T/rt
	mkdir -m 700 -p "$GWKIT_RUNTIME_DIR"
	FAKE_PID= NOTIFY_PID=
	FAKE_PORT=$(free_port)
	printf 'http://127.0.0.1:%s/api/webhooks/%s/%s\n' "$FAKE_PORT" "$WID" "$TOKEN" >"$T/webhook"
	SOCK=$GWKIT_RUNTIME_DIR/notify.sock
	SPOOL=$GWKIT_RUNTIME_DIR/notify-spool
}

# notify_teardown PID...: stop them; the secret never appears in anything
# discord-notify printed.
notify_teardown() {
	stop_pid "$@"
	if compgen -G "$T/notify*.log" >/dev/null; then
		refute grep -l "$TOKEN" "$T"/notify*.log
	fi
}

start_fake() {
	fake-discord --port "$FAKE_PORT" --webhook "$WID/$TOKEN" --store "$T/store.jsonl" "$@" >"$T/fake.log" 2>&1 3>&- &
	FAKE_PID=$!
	wait_for_line "$T/fake.log" '"fake\.listening"' 10
}

fake_ctl() { curl -sf -X POST --data "$1" "http://127.0.0.1:$FAKE_PORT/_control"; }
fake_stats() { curl -sf "http://127.0.0.1:$FAKE_PORT/_stats"; }

# start_notify [args]: the daemon on the test's socket, webhook from a
# file; waits for this run's notify.started (the log is appended to across
# restarts).
start_notify() {
	local n0
	n0=$(cat "$T/notify.log" 2>/dev/null | wc -l)
	discord-notify --webhook-file "$T/webhook" --allow-insecure-url --no-stdin \
		--park-retry 1 "$@" >>"$T/notify.log" 2>&1 3>&- &
	NOTIFY_PID=$!
	wait_until 20 sh -c "tail -n +$((n0 + 1)) '$T/notify.log' | grep -q '\"event\":\"notify\.started\"'"
}

# stop_notify: SIGTERM the daemon and wait for it (deadline: stop_pid).
stop_notify() { stop_pid "$NOTIFY_PID"; NOTIFY_PID=; }

to_socket() { socat -t 5 - "UNIX-CONNECT:$SOCK"; }

# stored_count: embeds stored by the fake so far.
stored_count() {
	[ -f "$T/store.jsonl" ] || { echo 0; return; }
	jq -s '[.[].embeds | length] | add // 0' "$T/store.jsonl"
}

# wait_stored N SECONDS: until the fake has stored at least N embeds.
wait_stored() {
	local want=$1 secs=${2:-20}
	local deadline=$(( $(now_ms) + secs * 1000 ))
	while (( $(now_ms) < deadline )); do
		(( $(stored_count) >= want )) && return 0
		sleep 0.05
	done
	echo "stored $(stored_count) of $want embeds within ${secs}s" >&2
	tail -n 5 "$T/notify.log" >&2
	return 1
}
