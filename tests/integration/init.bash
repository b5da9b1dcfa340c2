# Shared by the stack-init test files: a private runtime directory per
# test, stack-init started on a configuration with its log in $LOG, and
# status queries through the control socket.
load common

setup() {
	T=$BATS_TEST_TMPDIR
	export GWKIT_RUNTIME_DIR=$T/rt
	mkdir -m 700 -p "$GWKIT_RUNTIME_DIR"
	INIT_PID= SIM_PID= IBC_PID= NOTIFY_PID=
	LOG=$T/init.log
}

teardown() {
	stop_pid "$INIT_PID" "$IBC_PID" "$SIM_PID" "$NOTIFY_PID"
	reap_test_procs
}

# start_init CONFIG-JSON: write it, check it, run stack-init on it.
start_init() {
	printf '%s\n' "$1" >"$T/stack.json"
	stack-init -n "$T/stack.json"
	stack-init "$T/stack.json" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	wait_for_line "$LOG" '"event":"init\.started".*"services"' 10
}

# ts_of REGEX: the ts (epoch ms) of the first log line matching REGEX.
ts_of() {
	local ts
	ts=$(grep -E -m1 -- "$1" "$LOG" | jq -r .ts)
	date -d "$ts" +%s%3N
}

# status_of NAME: the service's status object (ctl status NAME); null
# after it when ctl fails (jq -e passes on no input at all).
status_of() { stack-init ctl status "$1" || echo null; }

# svc_is NAME JQ: the service's status object satisfies the jq test.
svc_is() { stack-init ctl status "$1" 2>/dev/null | jq -s -e ".[0] | $2" >/dev/null; }
