#!/usr/bin/env bats
# stack-init ctl, the client of the control socket, and the socket's
# server side: usage, one JSON document per reply, status of one service,
# --control after ctl, the reply parsed (not searched), one deadline, a
# full server answering "too many control clients", a request ended by EOF,
# the init.ctl audit line; and --log-format. Loopback only: Unix sockets in
# the test's directory; every wait has a deadline.

bats_require_minimum_version 1.5.0
load init

teardown() {
	stop_pid "$FAKE_PID" "$HOLD_PID"
	stop_pid "$INIT_PID" "$IBC_PID" "$SIM_PID" "$NOTIFY_PID"
	reap_test_procs
}

SOCK() { echo "$GWKIT_RUNTIME_DIR/init.sock"; }

# one_doc JQ-TEST [JQ-OPTIONS...]: stdin is exactly one JSON document and
# it passes the test (a bare jq -e passes on empty input).
one_doc() { jq -e -s "${@:2}" "length == 1 and (.[0] | $1)" >/dev/null; }

# fake_server SCRIPT: a control socket at $T/fake.sock whose every
# connection runs the sh SCRIPT (stdin: the request, stdout: the reply).
fake_server() {
	socat "UNIX-LISTEN:$T/fake.sock,fork" "SYSTEM:$1" 3>&- &
	FAKE_PID=$!
	wait_until 5 test -S "$T/fake.sock"
}

# ctl_audit PID: the init.ctl line of the ctl client with that pid.
ctl_audit() {
	wait_for_line "$LOG" "\"event\":\"init\\.ctl\".*\"pid\":$1," 5 >&2 || return 1
	grep '"event":"init\.ctl"' "$LOG" | jq -c "select(.fields.pid == $1)"
}

# ctl_bg ARGS...: run stack-init ctl ARGS in the background (so that its
# pid is known: CTL_PID) and wait for it (exit status in CTL_RC).
ctl_bg() {
	stack-init ctl "$@" >"$T/ctl.out" 2>"$T/ctl.err" 3>&- &
	CTL_PID=$!
	CTL_RC=0
	wait "$CTL_PID" || CTL_RC=$?
}

# sockets_of PID: how many sockets the process holds.
sockets_of() { find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

@test "ctl start, stop, restart and reload each leave an init.ctl line: verb, service, peer uid and pid, result; status does not" {
	start_init '{"services": [{"name": "s", "argv": ["sleep", "60"]}]}'
	wait_until 5 svc_is s '.state == "ready"'
	uid=$(id -u)
	for verb in stop start restart; do
		ctl_bg "$verb" s
		[ "$CTL_RC" -eq 0 ]
		ctl_audit "$CTL_PID" | one_doc '.level == "info" and .component == "init"
		    and .fields == {"verb": $v, "service": "s", "uid": $u, "pid": '"$CTL_PID"', "result": "ok"}' --arg v "$verb" --argjson u "$uid"
		ctl_audit "$CTL_PID" | one_doc '.message | test("^ctl " + $v + " s from uid [0-9]+ pid [0-9]+: ok$")' --arg v "$verb"
	done
	ctl_bg reload
	[ "$CTL_RC" -eq 0 ]
	ctl_audit "$CTL_PID" | one_doc '.fields.verb == "reload" and (.fields | has("service") | not) and .fields.result == "ok"'
	ctl_bg stop nosuch
	[ "$CTL_RC" -eq 1 ]
	ctl_audit "$CTL_PID" | one_doc '.fields.verb == "stop" and .fields.service == "nosuch" and .fields.result == "error"
	    and .fields.error == "unknown service '\''nosuch'\''"'
	# a request from a raw client, with a verb the server does not know
	printf '%s\n' '{"cmd": "frobnicate", "service": "s"}' | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
	one_doc '.ok == false and (.error | test("unknown command .frobnicate."))' <"$T/raw"
	wait_for_line "$LOG" '"event":"init\.ctl".*"verb":"frobnicate".*"result":"error"' 5
	# status changes nothing: no audit line
	stack-init ctl status >/dev/null
	stack-init ctl status s >/dev/null
	[ "$(grep -c '"event":"init\.ctl"' "$LOG")" -eq 6 ]
	[ "$(grep '"event":"init\.ctl"' "$LOG" | grep -c '"verb":"status"')" -eq 0 ]
}

@test "ctl usage: an unknown verb is named with the list of verbs (64); ctl --help (0); a missing or extra name (64)" {
	run --separate-stderr stack-init ctl bogus
	[ "$status" -eq 64 ]
	[ -z "$output" ]
	[ "$stderr" = "stack-init: ctl: unknown verb 'bogus': one of status, reload, start, stop, restart, login (see stack-init ctl --help)" ]
	run --separate-stderr stack-init ctl --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "${lines[0]}" == "usage: stack-init ctl "* ]]
	[[ "$output" == *"status [NAME]"* && "$output" == *"--timeout SECS"* && "$output" == *"69 no answer"* ]]
	run stack-init ctl -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: stack-init ctl "* ]]
	run stack-init ctl
	[ "$status" -eq 64 ]
	[[ "$output" == *"a verb is needed: status, reload, start, stop, restart, login"* ]]
	run stack-init ctl start
	[ "$status" -eq 64 ]
	[ "$output" = "stack-init: ctl start: a service name is needed" ]
	run stack-init ctl reload x
	[ "$status" -eq 64 ]
	[ "$output" = "stack-init: ctl reload: takes no service name" ]
	run stack-init ctl status a b
	[ "$status" -eq 64 ]
	run stack-init ctl --bogus status
	[ "$status" -eq 64 ]
	[[ "$output" == *"'--bogus': unknown option"* ]]
	run stack-init ctl --timeout soon status
	[ "$status" -eq 64 ]
	[[ "$output" == *"--timeout"* ]]
	run stack-init ctl status --control
	[ "$status" -eq 64 ]
	[[ "$output" == *"--control: missing value"* ]]
	# the main --help points to it
	run stack-init --help
	[[ "$output" == *"stack-init ctl [--control PATH] [--timeout SECS] VERB [NAME]"* ]]
}

@test "ctl status NAME replies with that service alone; an unknown name is an error naming it (exit 1)" {
	start_init '{"services": [{"name": "a", "argv": ["sleep", "60"]}, {"name": "b", "argv": ["sleep", "61"]}]}'
	wait_until 5 svc_is b '.state == "ready"'
	run --separate-stderr stack-init ctl status b
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	one_doc '.ok == true and .name == "b" and .state == "ready" and (.pid | type) == "number" and (has("services") | not)' <<<"$output"
	[ "$(jq -r .pid <<<"$output")" = "$(stack-init ctl status | jq -r '.services[] | select(.name == "b") | .pid')" ]
	run --separate-stderr stack-init ctl status nosuch
	[ "$status" -eq 1 ]
	one_doc '. == {"ok": false, "error": "unknown service '\''nosuch'\''"}' <<<"$output"
	[ "$stderr" = "stack-init: ctl status: unknown service 'nosuch'" ]
}

@test "--control PATH is taken before ctl, after ctl and after the verb" {
	printf '%s\n' '{"services": [{"name": "s", "argv": ["sleep", "60"]}]}' >"$T/stack.json"
	stack-init --control "$T/other.sock" --no-notify "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" '"event":"init\.started".*"services"' 10
	run stack-init ctl status	# the default socket: nobody there
	[ "$status" -eq 69 ]
	for args in "--control $T/other.sock ctl status s" "ctl --control $T/other.sock status s" \
	    "ctl status s --control $T/other.sock" "ctl status --control=$T/other.sock s"; do
		run stack-init $args
		[ "$status" -eq 0 ]
		one_doc '.ok and .name == "s"' <<<"$output"
	done
	run stack-init ctl restart s --timeout 3 --control "$T/other.sock"
	[ "$status" -eq 0 ]
}

@test "one JSON document per reply: ctl status | jq works; the server answers one line; errors are one object" {
	start_init '{"services": [{"name": "s", "argv": ["sleep", "60"]}, {"name": "t", "argv": ["sleep", "61"]}]}'
	wait_until 5 svc_is t '.state == "ready"'
	[ "$(stack-init ctl status s | jq -r .state)" = ready ]
	stack-init ctl status | one_doc '.ok == true and (.services | map(.name)) == ["s", "t"] and (.services | all(.state == "ready"))'
	[ "$(stack-init ctl status | jq -s length)" -eq 1 ]
	[ "$(stack-init ctl status | wc -l)" -eq 1 ]
	[ "$(stack-init ctl stop nosuch 2>/dev/null | jq -c .)" = '{"ok":false,"error":"unknown service '\''nosuch'\''"}' ]
	[ "$(stack-init ctl restart s | jq -c .)" = '{"ok":true}' ]
	# the wire: exactly one line per request
	for req in '{"cmd":"status"}' '{"cmd":"status","service":"t"}' '{"cmd":"stop","service":"nosuch"}' 'not json'; do
		printf '%s\n' "$req" | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
		[ "$(wc -l <"$T/raw")" -eq 1 ]
		one_doc 'has("ok")' <"$T/raw"
	done
}

@test "the client parses the reply: \"ok\" inside another field is no success, a reply without ok or not JSON is no answer (69), EOF ends a reply" {
	fake_server "head -n 1 >/dev/null; cat '$T/reply'"
	printf '%s\n' '{"ok":false,"error":"refused here","detail":{"ok":true}}' >"$T/reply"
	run --separate-stderr stack-init ctl --control "$T/fake.sock" restart x
	[ "$status" -eq 1 ]
	[ "$stderr" = "stack-init: ctl restart: refused here" ]
	one_doc '.detail.ok' <<<"$output"
	printf '%s\n' 'stack-init says "ok":true' >"$T/reply"
	run --separate-stderr stack-init ctl --control "$T/fake.sock" status
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ "$stderr" == "stack-init: ctl: $T/fake.sock: a reply that is not a JSON object with \"ok\": "* ]]
	printf '%s\n' '{"error":"x","ok":"yes"}' >"$T/reply"
	run stack-init ctl --control "$T/fake.sock" status
	[ "$status" -eq 69 ]
	printf '%s' '{"ok":true,"services":[]}' >"$T/reply"	# no newline: EOF ends it
	run --separate-stderr stack-init ctl --control "$T/fake.sock" status
	[ "$status" -eq 0 ]
	[ "$output" = '{"ok":true,"services":[]}' ]
	: >"$T/reply"	# closed without a word
	run --separate-stderr stack-init ctl --control "$T/fake.sock" status
	[ "$status" -eq 69 ]
	[ "$stderr" = "stack-init: ctl: $T/fake.sock closed the connection without a reply" ]
}

@test "one deadline for the whole exchange (--timeout, default 5 s): a reply trickling in forever is given up on (69)" {
	fake_server "head -n 1 >/dev/null; while printf x; do sleep 0.2; done"
	t0=$(now_ms)
	run --separate-stderr stack-init ctl --control "$T/fake.sock" --timeout 1 status
	t1=$(now_ms)
	[ "$status" -eq 69 ]
	[ "$stderr" = "stack-init: ctl: no reply from $T/fake.sock within the deadline (--timeout)" ]
	echo "gave up after $((t1 - t0)) ms"
	[ $((t1 - t0)) -ge 950 ]
	[ $((t1 - t0)) -lt 10000 ]
	# the default: 5 s in all, not 5 s per read
	t0=$(now_ms)
	run timeout 30 stack-init ctl --control "$T/fake.sock" status
	t1=$(now_ms)
	echo "gave up after $((t1 - t0)) ms"
	[ "$status" -eq 69 ]
	[ $((t1 - t0)) -ge 4950 ]
	[ $((t1 - t0)) -lt 20000 ]	# per read, the trickle would last until timeout 30
}

@test "every control slot held: the server answers in one line and closes; ctl exits 69 with a message, never of SIGPIPE" {
	start_init '{"services": [{"name": "s", "argv": ["sleep", "60"]}]}'
	wait_until 5 svc_is s '.state == "ready"'
	base=$(sockets_of "$INIT_PID")
	# 32 clients (the limit) that never finish a request: a byte a second
	# keeps each inside the server's 5 s idle limit
	perl -MIO::Socket::UNIX -e '
		my @s = map { IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n" } 1 .. 32;
		$SIG{TERM} = sub { exit 0 };
		while (1) { syswrite($_, " ") for @s; sleep 1 }' "$(SOCK)" 3>&- &
	HOLD_PID=$!
	# all 32 taken by stack-init
	wait_until 10 bash -c "[ \$(find /proc/$INIT_PID/fd -lname 'socket:*' | wc -l) -ge $((base + 32)) ]"
	for i in 1 2 3 4 5; do
		run --separate-stderr stack-init ctl status
		[ "$status" -eq 69 ]
		one_doc '. == {"ok": false, "error": "too many control clients", "busy": true}' <<<"$output"
		[ "$stderr" = "stack-init: ctl: $(SOCK): too many control clients; try again" ]
		run stack-init ctl restart s
		[ "$status" -eq 69 ]
	done
	# on the wire: one JSON line, at once, then the close
	timeout 5 socat -u "UNIX-CONNECT:$(SOCK)" - >"$T/raw" 2>/dev/null 3>&- || true
	[ "$(cat "$T/raw")" = '{"ok":false,"error":"too many control clients","busy":true}' ]
	# the slots free up: answered again
	stop_pid "$HOLD_PID"
	HOLD_PID=
	wait_until 10 bash -c 'stack-init ctl status s >/dev/null 2>&1'
	run stack-init ctl status s
	[ "$status" -eq 0 ]
}

@test "a request without its newline, then EOF, is answered" {
	start_init '{"services": [{"name": "s", "argv": ["sleep", "60"]}]}'
	wait_until 5 svc_is s '.state == "ready"'
	printf '%s' '{"cmd":"status","service":"s"}' | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
	[ "$(wc -l <"$T/raw")" -eq 1 ]
	one_doc '.ok and .name == "s" and .state == "ready"' <"$T/raw"
	printf '%s' '{"cmd":"restart","service":"s"}' | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
	one_doc '. == {"ok": true}' <"$T/raw"
	wait_until 5 svc_is s '.restarts == 1 and .state == "ready"'
	# an empty connection gets nothing and breaks nothing
	socat -t 2 - "UNIX-CONNECT:$(SOCK)" </dev/null >"$T/raw" 3>&-
	[ ! -s "$T/raw" ]
	svc_is s '.state == "ready"'
}

@test "a request is at most 1024 bytes before its newline, a CR not counted: 1025 get the length error, 1024 are served" {
	start_init '{"services": [{"name": "s", "argv": ["sleep", "60"]}]}'
	wait_until 5 svc_is s '.state == "ready"'
	# pad_req N: {"cmd":"status"} padded with spaces to N bytes
	pad_req() { printf '{"cmd":"status"%*s}' $(($1 - 16)) ''; }
	[ "$(pad_req 1024 | wc -c)" -eq 1024 ]
	too_long='. == {"ok": false, "error": "request longer than 1024 bytes"}'
	for end in '\n' '\r\n' ''; do
		{ pad_req 1025; printf "$end"; } | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
		one_doc "$too_long" <"$T/raw"
		{ pad_req 1024; printf "$end"; } | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
		one_doc '.ok == true and (.services | map(.name)) == ["s"]' <"$T/raw"
	done
	# not JSON: the bad-request error, not the length one
	{ printf '%1024s' '' | tr ' ' x; printf '\n'; } | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
	one_doc '.ok == false and (.error | startswith("expected {"))' <"$T/raw"
	{ printf '%1025s' '' | tr ' ' x; printf '\n'; } | socat -t 5 - "UNIX-CONNECT:$(SOCK)" >"$T/raw" 3>&-
	one_doc "$too_long" <"$T/raw"
}

@test "--log-format text prints readable lines; json and the default off a terminal stay JSON; LOG_FORMAT; a bad value is a usage error" {
	printf '%s\n' '{"services": [{"name": "s", "argv": ["sh", "-c", "echo hello; exec sleep 60"]}]}' >"$T/stack.json"
	run_fmt() {	# $1: output file; the rest: stack-init's options
		local out=$1
		shift
		stack-init --no-notify --no-control "$@" "$T/stack.json" >"$out" 2>&1 3>&- &
		INIT_PID=$!
		wait_for_line "$out" '^s \| hello$' 10
		wait_for_line "$out" 'init\.ready' 10
		stop_pid "$INIT_PID"
		INIT_PID=
	}
	run_fmt "$T/text.log" --log-format text
	grep -E '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z INFO init\.started: supervising 1 service from .* \(services=1 pid=[0-9]+ control=null\)$' "$T/text.log"
	grep -E '^20[0-9-]+T[0-9:.]+Z INFO init\.ready: s: ready after ' "$T/text.log"
	refute grep -q '^{' "$T/text.log"
	LOG_FORMAT=text run_fmt "$T/env.log"
	grep -q ' INFO init\.started: supervising 1 service' "$T/env.log"
	refute grep -q '^{' "$T/env.log"
	# the flag wins over LOG_FORMAT; a file is not a terminal: auto is JSON
	LOG_FORMAT=text run_fmt "$T/json.log" --log-format json
	LOG_FORMAT=auto run_fmt "$T/auto.log"
	for f in "$T/json.log" "$T/auto.log"; do
		grep -v '^s | hello$' "$f" | jq -e -s 'length >= 3 and all(.source == "stack-init")'
		grep '"event":"init\.started".*"services":1' "$f"
	done
	run stack-init --log-format xml "$T/stack.json"
	[ "$status" -eq 64 ]
	[ "$output" = "stack-init: --log-format: 'xml' is not one of json, text, auto" ]
	LOG_FORMAT=yaml run stack-init -n "$T/stack.json"
	[ "$status" -eq 64 ]
	[ "$output" = "stack-init: LOG_FORMAT: 'yaml' is not one of json, text, auto" ]
	run stack-init --help
	[[ "$output" == *"--log-format F"* ]]
}
