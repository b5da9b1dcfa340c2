#!/usr/bin/env bats
# The host recipes in etc/: the stack and health-mon configurations, the
# systemd units, gw-soft-restart, the cron lines, the Windows Task
# Scheduler files. What each test can and cannot prove: etc/README.md,
# "What make check proves". Loopback only; no Docker, cron, systemd
# manager or PowerShell is run.
load common
bats_require_minimum_version 1.5.0

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
ETC=$ROOT/etc

setup() {
	T=$BATS_TEST_TMPDIR
	IBC_PID= SIM_PID= RUN_PID=
}

teardown() {
	stop_pid "$RUN_PID" "$IBC_PID" "$SIM_PID"
	reap_test_procs
}

# The stack-init configurations (every etc/*.json but health-mon's).
stack_configs() {
	local f
	for f in "$ETC"/*.json; do
		case $(basename "$f") in
		health-mon*.json) ;;
		*) printf '%s\n' "$f" ;;
		esac
	done
}

# ---------- the JSON configurations ----------

@test "every etc/*.json passes its program's -n (health-mon*.json: health-mon's, the rest stack-init's)" {
	local n=0 f
	for f in "$ETC"/*.json; do
		case $(basename "$f") in
		health-mon*.json) run health-mon -n --config "$f" ;;
		*) run stack-init -n "$f" ;;
		esac
		[ "$status" -eq 0 ] || { echo "$f: $output"; return 1; }
		[ "$output" = "configuration OK" ] || { echo "$f: $output"; return 1; }
		n=$((n + 1))
	done
	# stack.container, host, stack.example, health-mon, health-mon.host
	[ "$n" -ge 5 ]
}

# stack-init -n checks the meaning of a configuration, not that the
# programs it names exist (/opt/ibc is not on this machine). So: every
# program a stack runs is one the Makefile builds, or one of the outside
# programs etc/README.md documents.
@test "stack configurations run only gwkit programs or the documented outside ones (gw-ibc-log, ibcstart.sh, Xvfb, sh)" {
	local progs f p
	progs=" $(sed -n 's/^PROGS := //p' "$ROOT/Makefile") "
	[ "$progs" != "  " ]
	while read -r f; do
		run jq -r '.services[] | (.argv, .ready.argv?, .health.argv?, .restart_action.argv?)
			| select(. != null) | .[0]' "$f"
		[ "$status" -eq 0 ]
		[ -n "$output" ]
		while read -r p; do
			case $p in
			gw-ibc-log | /opt/ibc/scripts/ibcstart.sh | Xvfb | sh)
				grep -qF "$(basename "$p")" "$ETC/README.md" ||
					{ echo "$f: $p is not documented in etc/README.md"; return 1; } ;;
			*)
				[[ "$progs" == *" $p "* ]] ||
					{ echo "$f: runs '$p', which is neither a gwkit program nor a documented one"; return 1; } ;;
			esac
		done <<<"$output"
	done < <(stack_configs)
}

@test "the container and host stacks: the gateway's probe, IBC restart at 16:30 New York, health-mon's --config is a file in etc/" {
	local f want_probe want_ibc conf
	for f in "$ETC/stack.container.json" "$ETC/host.json"; do
		case $f in
		# in the container the address is the image's GATEWAY_HOST and
		# GATEWAY_PORT (compose/.env picks 4004 paper or 4003 live)
		*container*) want_probe=""; want_ibc=ib-gateway:7462 ;;
		*) want_probe=" --host 127.0.0.1 --port 4002"; want_ibc=127.0.0.1:7462 ;;
		esac
		run jq -r '.services[] | select(.name == "gateway") | .ready.argv | join(" ")' "$f"
		[ "$output" = "gw-probe -q$want_probe" ] || { echo "$f: probe '$output'"; return 1; }
		run jq -r '.services[] | select(.name == "gateway") | .restart_action.ibc' "$f"
		[ "$output" = "$want_ibc" ]
		run jq -c '.services[] | select(.name == "gateway") | .schedule' "$f"
		# restarted Monday to Saturday; Sunday's is the weekly login
		# (after IBKR's Sunday token reset a soft restart would need 2FA)
		[ "$output" = '[{"at":"16:30","tz":"America/New_York","days":"daily","action":"restart"},{"at":"12:00","tz":"America/New_York","days":"sun","action":"login"}]' ]
		run jq -c '.services[] | select(.name == "gateway") | .login' "$f"
		[ "$output" = '{"max_cold_per_hour":3,"remind":300}' ]
		# the bot pauses around the gateway's restarts
		run jq -r '.services[] | select(.name == "bot") | .follows.mode' "$f"
		[ "$output" = pause ]
		# health-mon reads /etc/gwkit/<a file of etc/>
		conf=$(jq -r '.services[] | select(.name == "health") | .argv as $a
			| ($a | index("--config")) as $i | $a[$i + 1]' "$f")
		[[ "$conf" == /etc/gwkit/* ]] || { echo "$f: health-mon --config '$conf'"; return 1; }
		[ -f "$ETC/$(basename "$conf")" ] || { echo "$f: $conf is not in etc/"; return 1; }
	done
	# the container's health-mon probes the gateway the same way as stack-init
	# (from the container's environment: no address of its own)
	run jq -r '.checks[] | select(.kind == "gateway") | "\(.host) \(.port)"' "$ETC/health-mon.json"
	[ "$output" = "null null" ]
	run grep -cE '^[[:space:]]+GATEWAY_(HOST=ib-gateway|PORT=4004)' "$BATS_TEST_DIRNAME/../../compose/Dockerfile"
	[ "$output" = 2 ]
	run jq -r '.checks[] | select(.kind == "gateway") | "\(.host) \(.port)"' "$ETC/health-mon.host.json"
	[ "$output" = "127.0.0.1 4002" ]
}

@test "IBC's log: stack-init decodes the gateway's output, gw-ibc-log copies it where health-mon reads it; one weekly slot everywhere" {
	local f slot want
	# host: IBC under stack-init, its output through gw-ibc-log
	run jq -c '.services[] | select(.name == "gateway") | [.ibc_log, .argv[0:2], .env.IBC_LOG]' "$ETC/host.json"
	[ "$output" = '[true,["gw-ibc-log","/opt/ibc/scripts/ibcstart.sh"],"/var/lib/gwkit/ibc.log"]' ]
	run jq -r '.login.ibc_log' "$ETC/health-mon.host.json"
	[ "$output" = /var/lib/gwkit/ibc.log ]
	# the container: the file the gateway container writes (compose/)
	run jq -r '.services[] | select(.name == "gateway") | .ibc_log' "$ETC/stack.container.json"
	[ "$output" = /ibc-log/ibc.log ]
	# health-mon's weekly slot is stack-init's "login" schedule entry
	want=$(jq -c '.services[] | select(.name == "gateway") | .schedule[] | select(.action == "login")
		| {day: .days, at, tz}' "$ETC/stack.container.json")
	[ "$want" = '{"day":"sun","at":"12:00","tz":"America/New_York"}' ]
	for f in host.json; do
		slot=$(jq -c '.services[] | select(.name == "gateway") | .schedule[] | select(.action == "login")
			| {day: .days, at, tz}' "$ETC/$f")
		[ "$slot" = "$want" ] || { echo "$f: $slot"; return 1; }
	done
	for f in health-mon.json health-mon.sidecar.json health-mon.host.json; do
		slot=$(jq -c '.login.weekly | {day, at, tz}' "$ETC/$f")
		[ "$slot" = "$want" ] || { echo "$f: $slot"; return 1; }
	done
	# the script is compose's ibc-log.sh (tested there), executable
	cmp "$ETC/bin/gw-ibc-log" "$ROOT/compose/ib-gateway/ibc-log.sh"
	[ -x "$ETC/bin/gw-ibc-log" ]
}

# bot-core -n checks its environment (DRY_RUN, TRADING_MODE, ports, ...):
# each stack's bot environment, alone, must pass it. A missing gameplan
# is only a warning (Strategy C), so the absolute path needs not exist.
@test "each stack's bot-core environment passes bot-core -n, and is a paper dry run" {
	local f n=0
	while read -r f; do
		jq -e '.services[] | select(.argv[0]? == "bot-core")' "$f" >/dev/null || continue
		mapfile -t kv < <(jq -r '.services[] | select(.argv[0] == "bot-core") | .env // {}
			| to_entries[] | "\(.key)=\(.value)"' "$f")
		run env -i PATH="$PATH" "${kv[@]}" bot-core -n
		[ "$status" -eq 0 ] || { echo "$f: $output"; return 1; }
		[[ "$output" == *"configuration OK"* ]]
		[[ " ${kv[*]} " == *" DRY_RUN=true "* ]] || { echo "$f: not DRY_RUN=true"; return 1; }
		# TRADING_MODE: paper, or left to the environment (bot-core's default is paper)
		[[ " ${kv[*]} " != *" TRADING_MODE="* || " ${kv[*]} " == *" TRADING_MODE=paper "* ]] ||
			{ echo "$f: not TRADING_MODE=paper"; return 1; }
		n=$((n + 1))
	done < <(stack_configs)
	[ "$n" -eq 2 ]
}

# health-mon -n does not parse "http" (it is opened at start), so check
# its shape here: a numeric IPv4 address (no name lookup) and a port.
@test "health-mon configurations: http is a numeric ADDR:PORT; the container's listens on all addresses, the host's on loopback" {
	run jq -r .http "$ETC/health-mon.json"
	[ "$output" = "0.0.0.0:9464" ]
	run jq -r .http "$ETC/health-mon.host.json"
	[ "$output" = "127.0.0.1:9464" ]
	local f h
	for f in "$ETC"/health-mon*.json; do
		h=$(jq -r .http "$f")
		[[ "$h" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{1,5}$ ]] || { echo "$f: http '$h'"; return 1; }
	done
}

# ---------- systemd ----------

# A copy of etc/systemd with /usr/local/bin/ pointing at the built
# programs (systemd-analyze verify requires every ExecStart to exist);
# gw-soft-restart is not built by make: it points at etc/bin.
units_copy() {
	mkdir -p "$T/units"
	local u
	for u in "$ETC"/systemd/*; do
		sed -e "s#/usr/local/bin/gw-soft-restart#$ETC/bin/gw-soft-restart#g" \
			-e "s#/usr/local/bin/#$GWKIT_BIN/#g" "$u" >"$T/units/$(basename "$u")"
	done
}

@test "systemd units pass systemd-analyze verify with nothing to say (unknown keys and bad values are only warnings)" {
	units_copy
	cd "$T/units"
	run systemd-analyze verify --man=no ./gwkit.service ./gw-restart.service ./gw-restart.timer
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "gwkit.service: stack-init with host.json; stop order left to stack-init; reload is SIGHUP, which host.json maps to reload; a private runtime directory" {
	local u=$ETC/systemd/gwkit.service
	grep -qx 'Type=simple' "$u"
	grep -qx 'ExecStart=/usr/local/bin/stack-init /etc/gwkit/host.json' "$u"
	grep -qx 'KillMode=mixed' "$u"
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$u"
	run jq -r .signals.HUP "$ETC/host.json"
	[ "$output" = reload ]
	grep -qx 'RuntimeDirectoryMode=0700' "$u"
	grep -qx 'Environment=GWKIT_RUNTIME_DIR=/run/gwkit' "$u"
	# the stop timeout outlasts host.json's stop chain
	local chain
	chain=$(jq '[.services[].stop_timeout // 10] | add' "$ETC/host.json")
	(($(sed -n 's/^TimeoutStopSec=//p' "$u") > chain))
	# options that would break the JVM stay out (comments aside)
	refute grep -Eq '^(MemoryDenyWriteExecute|RestrictNamespaces|ProcSubset)=' "$u"
	# hardening that is there, as systemd reads it
	units_copy
	run systemd-analyze security --offline=true "$T/units/gwkit.service"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Overall exposure level for gwkit.service: "[0-3].*" OK"* ]] || { echo "$output" | tail -n 3; return 1; }
}

@test "gw-restart.timer: 16:30 New York is 21:30 UTC in January and 20:30 UTC in July, and the day DST starts" {
	local cal
	cal=$(sed -n 's/^OnCalendar=//p' "$ETC/systemd/gw-restart.timer")
	[ -n "$cal" ]
	grep -qx 'Unit=gw-restart.service' "$ETC/systemd/gw-restart.timer"
	grep -qx 'ExecStart=/usr/local/bin/gw-soft-restart' "$ETC/systemd/gw-restart.service"
	run env TZ=UTC systemd-analyze calendar --base-time='2027-01-15 12:00:00 UTC' "$cal"
	[[ "$output" == *"Next elapse: Fri 2027-01-15 21:30:00 UTC"* ]] || { echo "$output"; return 1; }
	run env TZ=UTC systemd-analyze calendar --base-time='2027-07-15 12:00:00 UTC' "$cal"
	[[ "$output" == *"Next elapse: Thu 2027-07-15 20:30:00 UTC"* ]] || { echo "$output"; return 1; }
	run env TZ=UTC systemd-analyze calendar --base-time='2027-03-14 12:00:00 UTC' "$cal"
	[[ "$output" == *"Next elapse: Sun 2027-03-14 20:30:00 UTC"* ]] || { echo "$output"; return 1; }
}

# ---------- gw-soft-restart ----------

# start_ibc ARGS...: fake-ibc on a free port ($IBC_PORT), logging what it
# receives to $T/ibc.log.
start_ibc() {
	IBC_PORT=$(free_port)
	fake-ibc --port "$IBC_PORT" --log "$T/ibc.log" "$@" >"$T/ibc.out" 2>&1 &
	IBC_PID=$!
	wait_for_line "$T/ibc.out" '"event":"fake\.listening"' 10
}

soft_restart() {
	run env GATEWAY_HOST=127.0.0.1 GATEWAY_RETRY_INTERVAL=1 \
		timeout 60 "$ETC/bin/gw-soft-restart" --ibc "127.0.0.1:$IBC_PORT" "$@"
}

@test "gw-soft-restart: IBC says OK, the gateway stays ready: RESTART sent once, ready again, exit 0" {
	start_ibc
	SIM_PORT=$(free_port)
	start_sim "$SIM_PORT"
	GATEWAY_PORT=$SIM_PORT soft_restart --settle 1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/ibc.log")" = RESTART ]
	[[ "$output" == *"IBC 127.0.0.1:$IBC_PORT: OK RESTART command accepted"* ]]
	[[ "$output" == *"stayed ready for 1s"* ]]
	# gw-probe --wait's own verdict, then the script's conclusion
	[[ "$output" == *"ready 127.0.0.1:$SIM_PORT server="*"ready again"* ]]
}

@test "gw-soft-restart: the gateway drops after IBC's OK and comes back: it waits for the new session (INFO lines skipped)" {
	start_ibc --reply 'INFO restarting soon' --reply 'OK RESTART in progress'
	SIM_PORT=$(free_port)
	# no gateway yet: the first probe after the OK fails ("went down")
	env GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$SIM_PORT" GATEWAY_RETRY_INTERVAL=1 \
		"$ETC/bin/gw-soft-restart" --ibc "127.0.0.1:$IBC_PORT" --settle 30 >"$T/run.out" 2>&1 &
	RUN_PID=$!
	wait_for_line "$T/run.out" 'went down' 20
	start_sim "$SIM_PORT"
	wait_for_line "$T/run.out" 'is ready again' 40
	wait_exit "$RUN_PID"
	RUN_PID=
	cat "$T/run.out"
	[ "$EXIT_STATUS" -eq 0 ]
	grep -q 'IBC 127.0.0.1:[0-9]*: OK RESTART in progress' "$T/run.out"
	# in this order: down, gw-probe --wait sees the new session, ready again
	run grep -n -e 'went down' -e "^ready 127.0.0.1:$SIM_PORT server=" -e 'is ready again' "$T/run.out"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"went down"* ]]
	[[ "${lines[1]}" == *"ready 127.0.0.1:$SIM_PORT"* ]]
	[[ "${lines[2]}" == *"is ready again"* ]]
}

@test "gw-soft-restart: IBC answers ERROR, or OKAY: exit 1, the gateway is not waited for" {
	start_ibc --reply 'ERROR RESTART already in progress'
	GATEWAY_PORT=1 soft_restart
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused RESTART: ERROR RESTART already in progress"* ]]
	[[ "$output" != *waiting* ]]
	stop_pid "$IBC_PID"
	start_ibc --reply 'OKAY'
	GATEWAY_PORT=1 soft_restart
	[ "$status" -eq 1 ]
}

@test "gw-soft-restart: IBC closes without answering, is silent, or is not there: exit 69 within its deadline" {
	start_ibc --close
	soft_restart
	[ "$status" -eq 69 ]
	[[ "$output" == *"closed without an answer"* ]]
	stop_pid "$IBC_PID"
	start_ibc --silent
	local t0
	t0=$(now_ms)
	soft_restart --timeout 1
	[ "$status" -eq 69 ]
	[[ "$output" == *"no answer within 1s"* ]]
	(($(now_ms) - t0 < 10000))
	stop_pid "$IBC_PID"
	IBC_PID=
	# a port nothing listens on
	IBC_PORT=$(free_port)
	soft_restart
	[ "$status" -eq 69 ]
}

@test "gw-soft-restart: the gateway does not come back: gw-probe's verdict as exit code (10 unreachable)" {
	start_ibc
	GATEWAY_PORT=$(free_port) GATEWAY_STARTUP_TIMEOUT=2 soft_restart --settle 0
	echo "$output"
	[ "$status" -eq 10 ]
	[[ "$output" == *"not ready again after its restart (gw-probe exit 10)"* ]]
}

@test "gw-soft-restart: usage errors exit 64 before anything is sent" {
	start_ibc
	run "$ETC/bin/gw-soft-restart" --ibc nonsense
	[ "$status" -eq 64 ]
	run "$ETC/bin/gw-soft-restart" --ibc "127.0.0.1:$IBC_PORT" --settle soon
	[ "$status" -eq 64 ]
	run "$ETC/bin/gw-soft-restart" --frobnicate
	[ "$status" -eq 64 ]
	[ ! -s "$T/ibc.log" ]
}

@test "shellcheck: etc/bin/* and every shell script under etc/" {
	local scripts=() f
	while IFS= read -r f; do
		case $(head -c 64 "$f") in
		'#!/bin/sh'* | '#!/bin/bash'* | '#!/usr/bin/env bash'* | '#!/usr/bin/env sh'*) scripts+=("$f") ;;
		esac
	done < <(find "$ETC" -type f)
	[ "${#scripts[@]}" -ge 1 ]
	[[ " ${scripts[*]} " == *"/etc/bin/gw-soft-restart "* ]]
	run shellcheck "${scripts[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
}

# ---------- cron ----------

# The cron jobs of etc/cron/gwkit, the commented bare-host alternative
# included: "MIN HOURS DOW COMMAND" per line (the user field dropped).
cron_jobs() {
	sed -nE 's/^#?([0-9]+) ([0-9,]+) \* \* ([0-9*-]+) [a-z]+ (.*)$/\1 \2 \3 \4/p' "$ETC/cron/gwkit"
}

# dow_match FIELD DOW: does cron's day-of-week FIELD (*, N, N-M) match DOW (0-6)?
dow_match() {
	case $1 in
	'*') return 0 ;;
	*-*) (($2 >= ${1%-*} && $2 <= ${1#*-})) ;;
	*) (($2 == $1)) ;;
	esac
}

# Each job's guard runs as cron would run it (sh, \% unescaped) with
# `date` pinned to each UTC instant the job fires on a given day; the
# instants that pass must be exactly the wanted New York time, once a day
# (on New York weekdays only for a 1-5 job). Days: winter, summer, and
# both sides of the 2027 DST changes (14 March, 7 November).
@test "cron: each guarded job runs exactly once a day at its New York time, in winter, in summer and across both DST changes" {
	mkdir -p "$T/shim"
	printf '#!/bin/sh\nexec /bin/date -d "@$FAKE_NOW" "$@"\n' >"$T/shim/date"
	chmod +x "$T/shim/date"
	local min hours dow cmd guard want day h t runs expect ny_dow due n=0
	while read -r min hours dow cmd; do
		guard=${cmd%% && *}
		[ "$guard" != "$cmd" ] || { echo "no guard: $cmd"; return 1; }
		guard=${guard//\\%/%}
		want=$(sed -nE 's/.* = ([0-9]{2}:[0-9]{2}) \]$/\1/p' <<<"$guard")
		[ -n "$want" ] || { echo "no time in: $guard"; return 1; }
		for day in 2027-01-15 2027-01-16 2027-03-13 2027-03-14 2027-03-15 \
			2027-07-15 2027-11-06 2027-11-07 2027-11-08 2027-12-24; do
			runs=()
			for h in ${hours//,/ }; do
				t=$(date -u -d "$day $h:$min:00" +%s)
				dow_match "$dow" "$(date -u -d "@$t" +%w)" || continue
				if FAKE_NOW=$t PATH="$T/shim:$PATH" sh -c "$guard"; then
					runs+=("$t")
				fi
			done
			# independently: the instant that is $want in New York that
			# day, and whether the job is due that day (the design: the
			# start on weekdays, the restart daily)
			expect=$(date -u -d "TZ=\"America/New_York\" $day $want" +%s)
			ny_dow=$(TZ=America/New_York date -d "@$expect" +%w)
			case $want in
			06:00) due=1-5 ;;
			16:30) due='*' ;;
			*) echo "unexpected time $want: $cmd"; return 1 ;;
			esac
			if dow_match "$due" "$ny_dow"; then
				[ "${#runs[@]}" -eq 1 ] || { echo "$day $want: ${#runs[@]} runs: $cmd"; return 1; }
				[ "${runs[0]}" -eq "$expect" ] || { echo "$day $want: ran at $(date -u -d "@${runs[0]}")"; return 1; }
			else
				[ "${#runs[@]}" -eq 0 ] || { echo "$day (weekend) $want: ${#runs[@]} runs"; return 1; }
			fi
		done
		n=$((n + 1))
	done < <(cron_jobs)
	# 06:00 start, 16:30 restart, the bare-host 16:30 alternative
	[ "$n" -eq 3 ]
}

@test "cron: the jobs are the compose start, the stack-init restart and gw-soft-restart; % escaped; no CRON_TZ" {
	run cron_jobs
	[[ "$output" == *"= 06:00 ] && cd /opt/gwkit/compose && docker compose up -d"* ]]
	[[ "$output" == *"= 16:30 ] && docker exec gwkit stack-init ctl restart gateway"* ]]
	[[ "$output" == *"= 16:30 ] && /usr/local/bin/gw-soft-restart"* ]]
	# an unescaped % would end the command for cron
	refute grep -E '^#?[0-9].*[^\\]%' "$ETC/cron/gwkit"
	refute grep -q '^CRON_TZ' "$ETC/cron/gwkit"
}

# ---------- Windows ----------

# xp FILE XPATH: the string value of XPATH in a Task Scheduler file
# (the elements are in the task namespace: matched by local name).
xp() { xmllint --xpath "string($2)" "$1"; }
el() { printf "*[local-name()='%s']" "$1"; }

@test "Task Scheduler XML: well-formed, the task schema's namespace, 06:00 weekdays and 16:30 daily, the script and its action" {
	local s=$ETC/windows/gwkit-start.xml r=$ETC/windows/gwkit-restart.xml f
	for f in "$s" "$r"; do
		xmllint --noout "$f"
		[ "$(xp "$f" 'namespace-uri(/*)')" = "http://schemas.microsoft.com/windows/2004/02/mit/task" ]
		[ "$(xp "$f" "local-name(/*)")" = Task ]
		[ "$(xp "$f" "//$(el Exec)/$(el Command)")" = powershell.exe ]
		[[ "$(xp "$f" "//$(el Exec)/$(el Arguments)")" == *'-File "C:\gwkit\gwkit.ps1"'* ]]
		# the action runs as the declared principal
		[ "$(xp "$f" "//$(el Actions)/@Context")" = "$(xp "$f" "//$(el Principal)/@id")" ]
		# triggerBaseType is a sequence: Enabled before StartBoundary
		[ "$(xp "$f" "count(//$(el CalendarTrigger)/$(el StartBoundary)/preceding-sibling::$(el Enabled))")" = 1 ]
	done
	# start: 06:00 local (no UTC offset: it follows the PC's DST), Monday to Friday
	[[ "$(xp "$s" "//$(el StartBoundary)")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T06:00:00$ ]]
	[ "$(xp "$s" "count(//$(el DaysOfWeek)/*)")" = 5 ]
	for d in Monday Tuesday Wednesday Thursday Friday; do
		[ "$(xp "$s" "count(//$(el DaysOfWeek)/$(el $d))")" = 1 ]
	done
	[[ "$(xp "$s" "//$(el Arguments)")" == *"-Action start"* ]]
	[ "$(xp "$s" "//$(el StartWhenAvailable)")" = true ]
	# restart: 16:30 local, every day, never run late
	[[ "$(xp "$r" "//$(el StartBoundary)")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T16:30:00$ ]]
	[ "$(xp "$r" "//$(el ScheduleByDay)/$(el DaysInterval)")" = 1 ]
	[[ "$(xp "$r" "//$(el Arguments)")" == *"-Action restart"* ]]
	[ "$(xp "$r" "//$(el StartWhenAvailable)")" = false ]
}

# There is no PowerShell on Debian 12: the script is checked for its shape
# only (parameters, the commands it runs, exit codes), not run.
@test "gwkit.ps1 (structure only, not run): its parameters, docker exec gwkit stack-init ctl restart gateway, exit codes as documented" {
	local ps=$ETC/windows/gwkit.ps1 f p
	grep -qF "[ValidateSet('start', 'restart')]" "$ps"
	for p in Action ComposeDir Container Service TimeoutSec LogFile; do
		grep -Eq "^    \[[a-z]+\]\\\$$p( = .*)?,?\$" "$ps" || { echo "parameter $p missing"; return 1; }
	done
	grep -qF "[string]\$Container = 'gwkit'," "$ps"
	grep -qF "[string]\$Service = 'gateway'," "$ps"
	grep -qF "@('exec', \$Container, 'stack-init', 'ctl', 'restart', \$Service)" "$ps"
	grep -qF "@('exec', \$Container, 'stack-init', 'ctl', 'status', \$Service)" "$ps"
	grep -qF "@('compose', 'up', '-d')" "$ps"
	# stack-init ctl's exit codes it tells apart (docs/stack-init.md)
	grep -Eq '^ +1 \{$' "$ps"
	grep -Eq '^ +69 \{$' "$ps"
	# the exit codes used are the documented ones, in the script and in etc/README.md
	run bash -c "grep -Eo '\bexit [0-9]+' '$ps' | sort -u | tr '\n' ' '"
	[ "$output" = "exit 0 exit 1 exit 2 exit 3 " ]
	for p in '0  done' '1  a command failed' '2  the gateway is not ready' '3  Docker is not available'; do
		grep -qF "$p" "$ps" || { echo "not documented in the script: $p"; return 1; }
	done
	run bash -c "tr '\n' ' ' <'$ETC/README.md' | tr -s ' '"
	[[ "$output" == *'exit codes: 0 ready, 1 a command failed or stack-init refused or the restart never began, 2 not ready within `-TimeoutSec`, 3 Docker not available'* ]]
	# braces balance (a crude parse)
	[ "$(tr -cd '{' <"$ps" | wc -c)" -eq "$(tr -cd '}' <"$ps" | wc -c)" ]
	[ "$(tr -cd '(' <"$ps" | wc -c)" -eq "$(tr -cd ')' <"$ps" | wc -c)" ]
	# the tasks pass only declared parameters, and actions of the ValidateSet
	for f in "$ETC"/windows/*.xml; do
		args=$(xp "$f" "//$(el Arguments)")
		args=${args#*gwkit.ps1\" }
		for p in $(grep -Eo -- '-[A-Z][A-Za-z]+' <<<"$args"); do
			grep -Eq "\\\$${p#-}( |,|\$)" "$ps" || { echo "$f passes $p, not a parameter"; return 1; }
		done
		[[ "$args" =~ -Action\ (start|restart) ]]
	done
}

# ---------- the README ----------

@test "etc/README.md names every file under etc/" {
	local f rel
	while IFS= read -r f; do
		rel=${f#"$ETC"/}
		grep -qF "$rel" "$ETC/README.md" || { echo "etc/README.md does not mention $rel"; return 1; }
	done < <(find "$ETC" -type f ! -name README.md)
}
