#!/usr/bin/env bats
# The container image and the compose deployment (compose/), checked where
# no Docker engine runs: docker-compose 1.29 renders the compose file
# offline (`config`), and the rendered model is asserted on; yamllint and
# shellcheck lint the files; hadolint is not packaged for Debian 12, so the
# Dockerfile is parsed here and held to what matters (COPY sources exist and
# reach the build context, the runtime packages cover every library ldd
# reports, non-root, stack-init as ENTRYPOINT, a gw-probe HEALTHCHECK).
# Validators and python3-yaml: mk/deps.sh check.
load common
bats_require_minimum_version 1.5.0

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
C=$ROOT/compose

# render OUT [ENV-LINE...]: docker-compose config (all profiles' services)
# as JSON in OUT, from a test .env holding only the given lines. env -i: the
# caller's environment would override .env values (TRADING_MODE, ...).
render() {
	local out=$1 envf=$1.env
	shift
	printf '%s\n' "$@" >"$envf"
	env -i PATH="$PATH" HOME="${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}" LANG=C.UTF-8 \
		docker-compose -f "$C/docker-compose.yml" --env-file "$envf" \
		--profile sidecar config >"$out.yml" || return 1
	python3 -c 'import sys, json, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)' \
		"$out.yml" >"$out"
}

setup_file() {
	# one rendering with the defaults, shared by the tests that read it
	render "$BATS_FILE_TMPDIR/config.json" 'TWS_USERID=test-user'
}

setup() {
	T=$BATS_TEST_TMPDIR
	CFG=$BATS_FILE_TMPDIR/config.json
}

# jq -e with vols (a service's volumes as {source, target, read_only},
# whichever syntax compose rendered them in) on FILE, or (q) on the
# rendered configuration.
JQDEFS='def vols: map(if type == "string" then (split(":") as $p |
	{source: $p[0], target: $p[1], read_only: (($p[2] // "") | split(",") | index("ro") != null)})
	else . end);'
qf() { local f=$1; shift; jq -e "${@:1:$#-1}" "$JQDEFS ${*: -1}" "$f"; }
q() { qf "$CFG" "$@"; }

# dockerfile_json FILE: the Dockerfile as JSON: its stages, each with its
# base, name and instructions (continuations joined, comments dropped).
dockerfile_json() {
	python3 - "$1" <<'PY'
import json, shlex, sys
stages, cur, buf = [], None, ""
for raw in open(sys.argv[1]):
    line = raw.rstrip("\n")
    if not buf and (line.lstrip().startswith("#") or not line.strip()):
        continue
    if buf and line.lstrip().startswith("#"):
        continue                      # a comment inside a continuation
    if line.endswith("\\"):
        buf += line[:-1] + " "
        continue
    ins = (buf + line).strip()
    buf = ""
    op, _, arg = ins.partition(" ")
    op, arg = op.upper(), arg.strip()
    if op == "FROM":
        w = arg.split()
        cur = {"base": w[0], "name": w[2] if len(w) > 2 and w[1].upper() == "AS" else None,
               "ins": []}
        stages.append(cur)
        continue
    if cur is None:
        continue                      # ARG before FROM
    item = {"op": op, "arg": arg}
    if op in ("COPY", "ADD"):
        if arg.endswith("]"):
            words = json.loads(arg[arg.index("["):])
            flags = shlex.split(arg[:arg.index("[")])
        else:
            w = shlex.split(arg)
            flags = [x for x in w if x.startswith("--")]
            words = [x for x in w if not x.startswith("--")]
        item["flags"] = flags
        item["src"], item["dest"] = words[:-1], words[-1]
    if op == "RUN" and "apt-get install" in arg:
        pkgs, on = [], False
        for word in arg.replace("&&", " && ").split():
            if word == "install":
                on = True
            elif word in ("&&", ";", "|"):
                on = False
            elif on and not word.startswith("-"):
                pkgs.append(word)
        item["apt"] = pkgs
    cur["ins"].append(item)
json.dump(stages, sys.stdout)
PY
}

# ---------------------------------------------------------------- compose

@test "compose: docker-compose config renders the deployment offline from a test .env" {
	[ -s "$CFG" ]
	q '.services | keys == ["gwkit", "gwkit-tools", "health-mon", "ib-gateway"]'
	q '.services["health-mon"].profiles == ["sidecar"]'
	# without the user name compose refuses (the ${TWS_USERID:?} guard)
	run render "$T/nouser.json" 'TRADING_MODE=paper'
	[ "$status" -ne 0 ]
	[[ "$output" == *TWS_USERID* ]]
}

@test "compose: the gateway image is pinned to a release tag, not latest or stable" {
	img=$(jq -r '.services["ib-gateway"].image' "$CFG")
	echo "image: $img"
	[[ "$img" =~ ^ghcr\.io/gnzsnz/ib-gateway:[0-9]+\.[0-9]+\.[0-9]+[a-z]*$ ]]
	# no service runs an unpinned third-party image
	run jq -r '.services[] | select(.build == null) | .image' "$CFG"
	for i in $output; do
		[[ "$i" == *:* && "$i" != *:latest && "$i" != *:stable ]] ||
			{ echo "unpinned image: $i"; return 1; }
	done
}

@test "compose: every published port is bound to 127.0.0.1; IBC's 7462 is not published; no host network" {
	run jq -r '.services | to_entries[] | .key as $s | (.value.ports // [])[] |
		if type == "string" then "\($s) \(.)"
		else "\($s) \(.host_ip // "-"):\(.published // "-"):\(.target)" end' "$CFG"
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	n=0
	while read -r svc spec; do
		spec=${spec%/*}
		IFS=: read -r ip pub target extra <<<"$spec"
		[ -z "$extra" ] && [ -n "$target" ] || { echo "$svc: $spec: no host address"; return 1; }
		[ "$ip" = 127.0.0.1 ] || { echo "$svc: $spec is not bound to 127.0.0.1"; return 1; }
		[ "$target" != 7462 ] && [ "$pub" != 7462 ] || { echo "$svc publishes IBC's 7462"; return 1; }
		n=$((n + 1))
	done <<<"$output"
	[ "$n" -eq 3 ]	# the API relay, the status page, the sidecar's
	q '[.services[] | (.network_mode // "") | select(. == "host")] | length == 0'
	q '[.services[] | (.expose // [])[] | tostring | select(startswith("7462"))] | length == 0'
}

@test "compose: no secret values inline: passwords and the webhook come from secret files git and docker ignore" {
	# every secret-ish variable is a *_FILE pointing into /run/secrets
	run jq -r '.services[] | (.environment // {}) | to_entries[] |
		select(.key | test("PASSWORD|PASSWD|SECRET|TOKEN|WEBHOOK"; "i")) | "\(.key)=\(.value)"' "$CFG"
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	while IFS='=' read -r k v; do
		[[ "$k" == *_FILE && "$v" == /run/secrets/* ]] || { echo "inline secret? $k=$v"; return 1; }
	done <<<"$output"
	q '.services["ib-gateway"].environment.TWS_PASSWORD_FILE == "/run/secrets/tws_password"'
	q '.services.gwkit.environment.DISCORD_WEBHOOK_URL_FILE == "/run/secrets/discord_webhook"'
	q '.services["ib-gateway"].secrets | map(.source) == ["tws_password"]'
	q '.services.gwkit.secrets | map(.source) == ["discord_webhook"]'
	# every secret is a file under compose/secrets/, which git and the
	# image build context both leave out
	run jq -r '.secrets[] | .file' "$CFG"
	[ "${#lines[@]}" -eq 2 ]
	for f in "${lines[@]}"; do
		[[ "$f" == "$C/secrets/"* ]] || { echo "secret outside compose/secrets: $f"; return 1; }
	done
	refute grep -Eq '(PASSWORD|WEBHOOK_URL)[:=]' "$C/docker-compose.yml" "$C/.env.example"
	refute grep -Eq 'discord(app)?\.com/api/webhooks/[0-9]' "$C/docker-compose.yml" "$C/.env.example"
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$C" check-ignore -q .env
		git -C "$C" check-ignore -q secrets/tws_password
		git -C "$C" check-ignore -q secrets/discord_webhook
	fi
}

@test "compose: the gateway's health check is gw-probe through the relay port, with its own client id" {
	q '.services["ib-gateway"].healthcheck.test[0] == "CMD"'
	probe=$(jq -r '.services["ib-gateway"].healthcheck.test[1]' "$CFG")
	[[ "$probe" == */gw-probe ]]
	# an API-level probe of the relay (4004 paper), not a port check
	q '.services["ib-gateway"].healthcheck.test as $t |
		($t | index("--port")) as $i | $i != null and $t[$i + 1] == "4004"'
	run render "$T/live.json" 'TWS_USERID=u' 'TRADING_MODE=live' 'GATEWAY_PORT=4003'
	[ "$status" -eq 0 ]
	jq -e '.services["ib-gateway"].healthcheck.test as $t |
		($t | index("--port")) as $i | $t[$i + 1] == "4003"' "$T/live.json"
	jq -e '.services.gwkit.environment.GATEWAY_PORT == "4003"' "$T/live.json"
	# its client id differs from every other probe's (bot 1, stack-init 917,
	# a bot's wait 918, health-mon 919, the image's HEALTHCHECK)
	id=$(jq -r '.services["ib-gateway"].healthcheck.test as $t |
		$t[($t | index("--client-id")) + 1]' "$CFG")
	img_id=$(sed -n 's/.*"--client-id", "\([0-9]*\)".*/\1/p' "$C/Dockerfile")
	[ -n "$id" ] && [ -n "$img_id" ]
	for other in 1 917 918 919 "$img_id"; do
		[ "$id" != "$other" ] || { echo "client id $id collides"; return 1; }
	done
	# the probe binary comes from the gwkit image through the gwkit-tools
	# volume: mounted read-only where the check runs it ...
	dir=${probe%/gw-probe}
	q --arg d "$dir" '.services["ib-gateway"].volumes | vols |
		any(.source == "gwkit-tools" and .target == $d and .read_only == true)'
	# ... and filled by gwkit-tools, from the image's static gw-probe
	q --arg d "$dir" '.services["gwkit-tools"].volumes | vols | any(.source == "gwkit-tools" and .target == $d)'
	q --arg p "$probe" '.services["gwkit-tools"].entrypoint as $e |
		($e | index("/usr/local/bin/gw-probe")) != null and $e[-1] == $p'
	q '.services["gwkit-tools"].image == .services.gwkit.image'
	q '.volumes | has("gwkit-tools")'
}

@test "compose: start order: gwkit-tools completed, then the gateway, gwkit once the gateway is healthy" {
	q '.services["ib-gateway"].depends_on["gwkit-tools"].condition == "service_completed_successfully"'
	q '.services.gwkit.depends_on["ib-gateway"].condition == "service_healthy"'
	q '.services["gwkit-tools"].restart == "no"'
	q '.services["gwkit-tools"].network_mode == "none"'
}

@test "compose: the gateway: paper by default, New York time zone, AUTO_RESTART_TIME unset, password from a file" {
	q '.services["ib-gateway"].environment.TRADING_MODE == "paper"'
	q '.services.gwkit.environment.TRADING_MODE == "paper"'
	q '.services["ib-gateway"].environment.TIME_ZONE == "America/New_York"'
	q '.services["ib-gateway"].environment | has("AUTO_RESTART_TIME") | not'
	q '.services["ib-gateway"].environment | has("TWS_PASSWORD") | not'
	q '.services["ib-gateway"].environment.TWS_USERID == "test-user"'
	# stack-init's schedule is what restarts the gateway; its time zone
	# database is in the image (tzdata, checked with the Dockerfile below)
}

@test "compose: IBC's command server is enabled by a wrapper that runs the image's own start script; only gwkit may command it" {
	ep=$(jq -r '.services["ib-gateway"].entrypoint | join(" ")' "$CFG")
	[[ "$ep" == "/bin/sh /opt/gwkit-ibc/enable-command-server.sh" ]]
	# the script is mounted read-only from compose/ib-gateway/
	q '.services["ib-gateway"].volumes | vols | any(.target == "/opt/gwkit-ibc/enable-command-server.sh"
		and .read_only == true)'
	src=$(jq -r "$JQDEFS"' .services["ib-gateway"].volumes | vols | .[] |
		select(.target == "/opt/gwkit-ibc/enable-command-server.sh") | .source' "$CFG")
	[ "$src" = "$C/ib-gateway/enable-command-server.sh" ]
	# every bind mount's source exists (with the defaults, this script)
	run jq -r "$JQDEFS"' .services[] | (.volumes // []) | vols | .[] | .source |
		select(startswith("/"))' "$CFG"
	[ "${#lines[@]}" -ge 1 ]
	for f in "${lines[@]}"; do
		[ -e "$f" ] || { echo "bind mount source missing: $f"; return 1; }
	done
	# an entrypoint clears the image's CMD: it is given back explicitly
	# (gnzsnz stable/Dockerfile: CMD ["/home/ibgateway/scripts/run.sh"])
	q '.services["ib-gateway"].command == ["/home/ibgateway/scripts/run.sh"]'
	q '.services["ib-gateway"].environment.IBC_COMMAND_SERVER_PORT == "7462"'
	# ControlFrom is gwkit's fixed address, inside the network's subnet
	from=$(jq -r '.services["ib-gateway"].environment.IBC_CONTROL_FROM' "$CFG")
	ip=$(jq -r '.services.gwkit.networks["gwkit-net"].ipv4_address' "$CFG")
	net=$(jq -r '.networks["gwkit-net"].ipam.config[0].subnet' "$CFG")
	[ "$from" = "$ip" ]
	python3 -c 'import ipaddress, sys; assert ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2])' "$ip" "$net"
	q '.services["ib-gateway"].networks | has("gwkit-net")'
}

@test "compose: enable-command-server.sh sets the port and ControlFrom in a gnzsnz-shaped template, then execs the start script" {
	# a template of the image's shape: the two settings, a commented
	# example line that must stay untouched, a placeholder for envsubst
	cat >"$T/config.ini.tmpl" <<-'EOF'
		IbLoginId=${TWS_USERID}
		#CommandServerPort=7462
		CommandServerPort=0
		#ControlFrom=example-host
		ControlFrom=
		BindAddress=
	EOF
	sh_run() { env IBC_INI_TMPL="$T/config.ini.tmpl" IBC_CONTROL_FROM=172.28.74.10 "$@"; }
	run sh_run sh "$C/ib-gateway/enable-command-server.sh" sh -c 'echo started "$@"' x a b
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "started a b" ]
	grep -qx 'CommandServerPort=7462' "$T/config.ini.tmpl"
	grep -qx '#CommandServerPort=7462' "$T/config.ini.tmpl"
	grep -qx 'ControlFrom=172.28.74.10' "$T/config.ini.tmpl"
	grep -qx '#ControlFrom=example-host' "$T/config.ini.tmpl"
	grep -qx 'IbLoginId=${TWS_USERID}' "$T/config.ini.tmpl"
	# a restarted container runs it again on its own edit: the same result
	cp "$T/config.ini.tmpl" "$T/first"
	run sh_run sh "$C/ib-gateway/enable-command-server.sh" true
	[ "$status" -eq 0 ]
	cmp "$T/first" "$T/config.ini.tmpl"
	# a template without the setting (the image changed): no start at all
	grep -v '^ControlFrom=' "$T/first" >"$T/config.ini.tmpl"
	run sh_run sh "$C/ib-gateway/enable-command-server.sh" touch "$T/started"
	[ "$status" -ne 0 ]
	[[ "$output" == *"expected one 'ControlFrom=' line"* ]]
	[ ! -e "$T/started" ]
	# a ControlFrom that would break out of the sed expression is refused
	cp "$T/first" "$T/config.ini.tmpl"
	run env IBC_INI_TMPL="$T/config.ini.tmpl" IBC_CONTROL_FROM='x/e' \
		sh "$C/ib-gateway/enable-command-server.sh" true
	[ "$status" -ne 0 ]
	cmp "$T/first" "$T/config.ini.tmpl"
}

@test "compose: IBC's log: the gateway writes /ibc-log on a tmpfs volume of its user's, gwkit and the sidecar read it; the 2FA settings" {
	# the wrapper hands over to ibc-log.sh, mounted beside it
	grep -qx 'exec /bin/sh "${0%/\*}/ibc-log.sh" "$@"' "$C/ib-gateway/enable-command-server.sh"
	q '.services["ib-gateway"].volumes | vols | any(.target == "/opt/gwkit-ibc/ibc-log.sh" and .read_only == true)'
	q '.services["ib-gateway"].environment.IBC_LOG == "/ibc-log/ibc.log"'
	q '.services["ib-gateway"].volumes | vols | any(.target == "/ibc-log" and .source == "ibc-log" and .read_only == false)'
	q '.services.gwkit.volumes | vols | any(.target == "/ibc-log" and .source == "ibc-log" and .read_only == true)'
	q '.services["health-mon"].volumes | vols | any(.target == "/ibc-log" and .source == "ibc-log" and .read_only == true)'
	# a named volume's root is root's: tmpfs options make it the gateway
	# user's (1000) and readable by gwkit's group (10001), and bound it
	q '.volumes["ibc-log"].driver_opts.type == "tmpfs"'
	q '.volumes["ibc-log"].driver_opts.o | split(",") | (index("uid=1000") != null) and (index("gid=10001") != null)
		and (index("mode=0750") != null) and any(startswith("size="))'
	# gwkit's configurations follow that file
	run jq -r '.services[] | select(.name == "gateway") | .ibc_log' "$ROOT/etc/stack.container.json"
	[ "$output" = /ibc-log/ibc.log ]
	for f in health-mon.json health-mon.sidecar.json; do
		run jq -r '.login.ibc_log' "$ROOT/etc/$f"
		[ "$output" = /ibc-log/ibc.log ] || { echo "$f: $output"; return 1; }
	done
	# one push per login, no loop of IBC's own; this session stays primary;
	# no cold restart of IBC's own (the weekly login is stack-init's)
	q '.services["ib-gateway"].environment.RELOGIN_AFTER_TWOFA_TIMEOUT == "no"'
	q '.services["ib-gateway"].environment.TWOFA_TIMEOUT_ACTION == "exit"'
	q '.services["ib-gateway"].environment.EXISTING_SESSION_DETECTED_ACTION == "primary"'
	q '.services["ib-gateway"].environment | has("TWS_COLD_RESTART") | not'
	# .env overrides them
	run render "$T/yes.json" 'TWS_USERID=u' 'RELOGIN_AFTER_TWOFA_TIMEOUT=yes' 'TWOFA_TIMEOUT_ACTION=restart'
	[ "$status" -eq 0 ]
	qf "$T/yes.json" '.services["ib-gateway"].environment | .RELOGIN_AFTER_TWOFA_TIMEOUT == "yes" and .TWOFA_TIMEOUT_ACTION == "restart"'
}

# A fake start script: its lines on stdout and stderr, a last line without
# a newline, then (with "wait") a TERM trap like run.sh's, else exit 7.
fake_run_sh() {
	cat >"$1" <<-'EOF'
		#!/bin/bash
		trap 'echo "run.sh: got TERM"; echo "run.sh: last words"; exit 143' TERM
		echo "2024-01-02 03:04:05:678 IBC: Second Factor Authentication initiated"
		echo ".> to stderr" >&2
		if [ "${1:-}" = wait ]; then
			echo "run.sh: waiting"
			while :; do sleep 0.05; done
		fi
		printf 'no newline'
		exit 7
	EOF
	chmod +x "$1"
}

@test "compose: ibc-log.sh copies the start script's output to IBC_LOG and stdout and returns its exit status" {
	fake_run_sh "$T/run.sh"
	mkdir "$T/log"
	run --separate-stderr env IBC_LOG="$T/log/ibc.log" sh "$C/ib-gateway/ibc-log.sh" "$T/run.sh"
	[ "$status" -eq 7 ]
	want=$(printf '%s\n' "2024-01-02 03:04:05:678 IBC: Second Factor Authentication initiated" ".> to stderr" "no newline")
	# stdout carries stdout and stderr (docker logs), the file the same lines
	[ "$output" = "$want" ]
	[ -z "$stderr" ]
	[ "$(cat "$T/log/ibc.log")" = "$want" ]
	# the next start keeps the previous file as ibc.log.1, starts afresh
	run env IBC_LOG="$T/log/ibc.log" sh "$C/ib-gateway/ibc-log.sh" sh -c 'echo second; exit 0'
	[ "$status" -eq 0 ]
	[ "$output" = second ]
	[ "$(cat "$T/log/ibc.log")" = second ]
	[ "$(cat "$T/log/ibc.log.1")" = "$want" ]
	# the same script in the k8s ConfigMap and for a bare host
	cmp "$C/ib-gateway/ibc-log.sh" "$ROOT/deploy/k8s/base/ibc-log.sh"
	cmp "$C/ib-gateway/ibc-log.sh" "$ROOT/etc/bin/gw-ibc-log"
}

@test "compose: ibc-log.sh passes SIGTERM to the start script, copies its last lines, exits with its status" {
	fake_run_sh "$T/run.sh"
	mkdir "$T/log"
	IBC_LOG="$T/log/ibc.log" sh "$C/ib-gateway/ibc-log.sh" "$T/run.sh" wait >"$T/out" 2>&1 &
	pid=$!
	wait_for_line "$T/log/ibc.log" '^run\.sh: waiting$' 10
	kill -TERM "$pid"
	# within 10 s, or the signal was not passed on (then clean up, fail)
	if ! wait_until 10 refute kill -0 "$pid"; then
		kill -KILL "$pid"
		pkill -KILL -f "^/bin/bash $T/run.sh wait" || :
		return 1
	fi
	wait_exit "$pid"
	[ "$EXIT_STATUS" -eq 143 ]
	for f in "$T/out" "$T/log/ibc.log"; do
		grep -qx 'run.sh: got TERM' "$f"
		# written right before the start script exits: still copied
		grep -qx 'run.sh: last words' "$f"
	done
	# nothing of the wrapper is left (the copy ended with the pipe)
	run pgrep -f "$T/run.sh"
	[ "$status" -eq 1 ]
}

@test "compose: ibc-log.sh keeps the file below IBC_LOG_MAX (renamed to .1), and refuses a bad setting before starting anything" {
	mkdir "$T/log"
	# 300 lines of 100 bytes with a 4096-byte limit: rotated several times
	run env IBC_LOG="$T/log/ibc.log" IBC_LOG_MAX=4096 sh "$C/ib-gateway/ibc-log.sh" \
		sh -c 'i=0; while [ $i -lt 300 ]; do printf "%099d\n" $i; i=$((i + 1)); done'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 300 ]
	[ "$(stat -c %s "$T/log/ibc.log")" -lt 4096 ]
	[ "$(stat -c %s "$T/log/ibc.log.1")" -ge 4096 ]
	[ "$(stat -c %s "$T/log/ibc.log.1")" -lt 4200 ]
	# the newest line is the last of the file
	[ "$(tail -n 1 "$T/log/ibc.log")" = "$(printf '%099d' 299)" ]
	# no volume: exit 78 with the reason, the command not run
	run env IBC_LOG="$T/nowhere/ibc.log" sh "$C/ib-gateway/ibc-log.sh" touch "$T/started"
	[ "$status" -eq 78 ]
	[[ "$output" == *"IBC_LOG: $T/nowhere: no such directory (is the volume mounted?)"* ]]
	[ ! -e "$T/started" ]
	run env IBC_LOG="$T/log/ibc.log" IBC_LOG_MAX=lots sh "$C/ib-gateway/ibc-log.sh" touch "$T/started"
	[ "$status" -eq 78 ]
	[[ "$output" == *"IBC_LOG_MAX: 'lots' is not a number of bytes"* ]]
	run env IBC_LOG="$T/log/ibc.log" IBC_LOG_MAX=100 sh "$C/ib-gateway/ibc-log.sh" touch "$T/started"
	[ "$status" -eq 78 ]
	[ ! -e "$T/started" ]
	# a read-only directory (as root, only a mode would not stop the write)
	if [ "$(id -u)" != 0 ]; then
		mkdir "$T/ro" && chmod 0555 "$T/ro"
		run env IBC_LOG="$T/ro/ibc.log" sh "$C/ib-gateway/ibc-log.sh" touch "$T/started"
		[ "$status" -eq 78 ]
		[[ "$output" == *"cannot write"* ]]
	fi
	# IBC_LOG empty: no copy, the command is exec'd as it is
	run env IBC_LOG= sh "$C/ib-gateway/ibc-log.sh" sh -c 'echo plain; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = plain ]
	run sh "$C/ib-gateway/ibc-log.sh"
	[ "$status" -eq 64 ]
}

@test "compose: gwkit: read-only root, state and sockets on volumes, tmpfs /tmp, no capabilities (the gateway neither); the status page on loopback (gwkit 9464, the sidecar 9465)" {
	q '.services.gwkit.read_only == true'
	q '.services.gwkit.volumes | vols | any(.target == "/data" and .source == "gwkit-data")'
	q '.services.gwkit.volumes | vols | any(.target == "/run/gwkit" and .source == "gwkit-run")'
	q '.services.gwkit.tmpfs | index("/tmp") != null'
	q '.services.gwkit.cap_drop == ["ALL"]'
	q '.services.gwkit.security_opt == ["no-new-privileges:true"]'
	# the gateway's image gives its user passwordless sudo: no way back
	q '.services["ib-gateway"].cap_drop == ["ALL"]'
	q '.services["ib-gateway"].security_opt == ["no-new-privileges:true"]'
	q '.services.gwkit.build.dockerfile == "compose/Dockerfile"'
	[ "$(jq -r '.services.gwkit.build.context' "$CFG")" = "$ROOT" ]
	q '.services.gwkit.environment.GATEWAY_HOST == "ib-gateway"'
	# the sidecar: the same image, health-mon with the baked-in config,
	# the sockets' volume, HTTP reachable through a loopback-only port
	q '.services["health-mon"].image == .services.gwkit.image'
	q '.services["health-mon"].entrypoint == ["/usr/local/bin/health-mon"]'
	q '.services["health-mon"].command[0:2] == ["--config", "/etc/gwkit/health-mon.sidecar.json"]'
	q '.services["health-mon"].volumes | vols | any(.target == "/run/gwkit" and .source == "gwkit-run")'
	q '.services["health-mon"].ports == ["127.0.0.1:9465:9464/tcp"]'
	# health-mon under stack-init: its page on the host's loopback too
	q '.services.gwkit.ports == ["127.0.0.1:9464:9464/tcp"]'
	q '.services["health-mon"].command as $c | ($c | index("--http")) as $i | $c[$i + 1] | endswith(":9464")'
	# GWKIT_DATA=./data: a host directory instead of the named volume
	run render "$T/bind.json" 'TWS_USERID=u' 'GWKIT_DATA=./data'
	[ "$status" -eq 0 ]
	qf "$T/bind.json" --arg d "$C/data" '.services.gwkit.volumes | vols | any(.target == "/data" and .source == $d)'
}

@test "compose: .env.example documents every variable docker-compose.yml reads, and no others" {
	used=$(grep -o '\${[A-Z_][A-Z0-9_]*' "$C/docker-compose.yml" | cut -c3- | sort -u)
	documented=$(sed -nE 's/^#?([A-Z_][A-Z0-9_]*)=.*/\1/p' "$C/.env.example" | sort -u)
	[ -n "$used" ]
	echo "used: $used"
	echo "documented: $documented"
	[ "$used" = "$documented" ]
}

@test "compose: yamllint (strict) passes on the compose files" {
	n=0
	for f in "$C"/*.yml "$C"/*.yaml; do
		[ -e "$f" ] || continue
		run yamllint -s "$f"
		[ "$status" -eq 0 ] || { echo "$output"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}

@test "compose: shellcheck passes on the compose helper scripts" {
	mapfile -t scripts < <(find "$C" -name '*.sh' -type f)
	[ "${#scripts[@]}" -ge 1 ]
	shellcheck "${scripts[@]}"
}

# ------------------------------------------------------------- Dockerfile

@test "Dockerfile: every COPY source exists in the repository and reaches the build context (.dockerignore)" {
	dockerfile_json "$C/Dockerfile" >"$T/df.json"
	jq -r '.[].ins[] | select(.op == "COPY" or .op == "ADD") |
		select(any(.flags[]; startswith("--from=")) | not) | .src[]' "$T/df.json" >"$T/srcs"
	[ -s "$T/srcs" ]
	grep -qx 'etc/stack.container.json' "$T/srcs"
	grep -qx 'etc/health-mon.json' "$T/srcs"
	grep -qx 'etc/health-mon.sidecar.json' "$T/srcs"
	run python3 - "$ROOT" "$T/srcs" <<'PY'
import os, re, sys
root, srcs = sys.argv[1], [l.strip() for l in open(sys.argv[2]) if l.strip()]
def rx(p):
    out, i = "", 0
    while i < len(p):
        if p.startswith("**/", i): out += "(.*/)?"; i += 3
        elif p.startswith("**", i): out += ".*"; i += 2
        elif p[i] == "*": out += "[^/]*"; i += 1
        elif p[i] == "?": out += "[^/]"; i += 1
        else: out += re.escape(p[i]); i += 1
    return re.compile(out + "$")
pats = []
ign = os.path.join(root, ".dockerignore")
for l in open(ign) if os.path.exists(ign) else []:
    l = l.strip()
    if l and not l.startswith("#"):
        neg = l.startswith("!")
        pats.append((neg, rx(os.path.normpath(l.lstrip("!").strip("/")))))
def ignored(path):
    # Docker: the last matching pattern wins; a pattern matching a parent
    # directory excludes what is below it.
    parts, verdict = path.split("/"), False
    for k in range(1, len(parts) + 1):
        sub = "/".join(parts[:k])
        for neg, r in pats:
            if r.match(sub):
                verdict = not neg
    return verdict
bad = 0
for s in srcs:
    p = os.path.normpath(s)
    if not os.path.exists(os.path.join(root, p)):
        print(f"COPY {s}: no such file in the repository"); bad = 1
    elif p != "." and ignored(p):
        print(f"COPY {s}: excluded by .dockerignore"); bad = 1
sys.exit(bad)
PY
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "Dockerfile: .dockerignore keeps compose/.env, compose/secrets, bin and .git out of the build context" {
	ign=$ROOT/.dockerignore
	[ -f "$ign" ]
	for p in .git bin compose/.env compose/secrets; do
		grep -qx "$p" "$ign" || { echo "$p is not in .dockerignore"; return 1; }
	done
	# the build stage copies the whole context: that is why the above matters
	dockerfile_json "$C/Dockerfile" | jq -e '.[0].ins | any(.op == "COPY" and .src == ["."])'
}

@test "Dockerfile: the runtime stage's packages provide every shared library of the built programs (ldd, dpkg -S)" {
	dockerfile_json "$C/Dockerfile" >"$T/df.json"
	jq -r '.[-1].ins[] | select(.apt) | .apt[]' "$T/df.json" >"$T/pkgs"
	[ -s "$T/pkgs" ]
	progs=$(sed -n 's/^PROGS := //p' "$ROOT/Makefile")
	[ -n "$progs" ]
	: >"$T/libs"
	for p in $progs; do
		[ -x "$GWKIT_BIN/$p" ] || { echo "$GWKIT_BIN/$p: not built"; return 1; }
		# static programs: "not a dynamic executable" / "statically linked"
		ldd "$GWKIT_BIN/$p" 2>/dev/null | awk -v p="$p" '
			/=>/ && $3 ~ /^\// { print p, $3; next }
			$1 ~ /^\// { print p, $1 }' >>"$T/libs" || true
	done
	# discord-notify links libcurl: the check has something to check
	grep -q '^discord-notify .*libcurl' "$T/libs"
	run python3 - "$T/pkgs" "$T/libs" <<'PY'
import os, re, subprocess, sys
listed = {l.strip() for l in open(sys.argv[1]) if l.strip()}
libs = [l.split() for l in open(sys.argv[2]) if l.strip()]
def cands(path):
    # dpkg knows a file by the path its package ships (usrmerge: /usr/lib
    # where ldd says /lib), or the symlink's target
    out = [path, os.path.realpath(path)]
    for c in list(out):
        if c.startswith("/lib"): out.append("/usr" + c)
        if c.startswith("/usr/lib"): out.append(c[4:])
    return out
# one dpkg -S for every candidate path (it prints "pkg[:arch][, ...]: path"
# for the ones it knows and fails for the others)
allc = sorted({c for _, lib in libs for c in cands(lib)})
known = {}
r = subprocess.run(["dpkg", "-S"] + allc, capture_output=True, text=True)
for line in r.stdout.splitlines():
    pkgs, _, path = line.partition(": ")
    known[path.strip()] = pkgs.split(",")[0].split(":")[0].strip()
def owner(path):
    return next((known[c] for c in cands(path) if c in known), None)
# What apt installs with the listed packages: their Depends and Pre-Depends,
# recursively, as this Debian 12 host's dpkg knows them; plus what a
# debian:12-slim image starts with (Essential and Priority: required, the
# minbase set it is made from).
info, base = {}, set()
out = subprocess.run(["dpkg-query", "-W", "-f",
    "${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\n"],
    capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    name, ess, prio, deps = line.split("\t")
    names = set()
    for d in deps.split(","):
        for alt in d.split("|"):
            alt = re.split(r"[ (:]", alt.strip())[0]
            if alt: names.add(alt)
    info[name] = names
    if ess == "yes" or prio == "required":
        base.add(name)
have, todo = set(), list(listed | base)
while todo:
    p = todo.pop()
    if p in have: continue
    have.add(p)
    todo.extend(info.get(p, ()))
bad = 0
for prog, lib in libs:
    # a sanitizer build (make check SANITIZE=...) is not what the image
    # ships; its runtime libraries are no requirement of the image
    if re.search(r"/lib(a|ub|l|t|hwa)san\.so", lib):
        continue
    pkg = owner(lib)
    if pkg is None:
        print(f"{prog}: {lib}: no Debian package owns it"); bad = 1
    elif pkg not in have:
        print(f"{prog}: {lib} is in {pkg}, which the runtime stage does not install"); bad = 1
    else:
        print(f"ok {prog}: {lib} ({pkg})")
sys.exit(bad)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "Dockerfile: runtime stage: debian:12-slim, no compilers, user 10001, stack-init ENTRYPOINT, gw-probe HEALTHCHECK, OCI labels" {
	dockerfile_json "$C/Dockerfile" >"$T/df.json"
	# multi-stage: build on debian:12, run on debian:12-slim, pinned by tag
	jq -e '.[0].base == "debian:12" and .[0].name == "build"' "$T/df.json"
	jq -e '.[-1].base == "debian:12-slim" and length >= 2' "$T/df.json"
	jq -e 'all(.[]; .base | test(":latest$") | not)' "$T/df.json"
	jq -e '.[0].ins | any(.apt and (.apt | index("build-essential")))' "$T/df.json"
	# no toolchain and no -dev package in the runtime stage
	run jq -r '.[-1].ins[] | select(.apt) | .apt[]' "$T/df.json"
	[ "$status" -eq 0 ]
	for p in $output; do
		case $p in
		build-essential | gcc* | g++* | cpp* | clang* | make | *-dev | pkg-config | lowdown)
			echo "runtime stage installs $p"; return 1 ;;
		esac
	done
	[[ " ${lines[*]} " == *" tzdata "* && " ${lines[*]} " == *" ca-certificates "* ]]
	# the programs come from the build stage's make install
	jq -e '.[-1].ins | any(.op == "COPY" and (.flags | index("--from=build")) and .src == ["/out/"])' "$T/df.json"
	# the last USER is not root
	user=$(jq -r '[.[-1].ins[] | select(.op == "USER") | .arg] | last' "$T/df.json")
	echo "user: $user"
	[ -n "$user" ] && [ "$user" != null ]
	case ${user%%:*} in root | 0) return 1 ;; esac
	grep -Eq -- "--uid ${user%%:*}\b" "$C/Dockerfile"
	# exec-form ENTRYPOINT stack-init, CMD the baked-in stack file
	jq -e '[.[-1].ins[] | select(.op == "ENTRYPOINT") | .arg] | last | fromjson == ["/usr/local/bin/stack-init"]' "$T/df.json"
	jq -e '[.[-1].ins[] | select(.op == "CMD") | .arg] | last | fromjson == ["/etc/gwkit/stack.json"]' "$T/df.json"
	jq -e '.[-1].ins | any(.op == "COPY" and .dest == "/etc/gwkit/stack.json")' "$T/df.json"
	# HEALTHCHECK: exec form, gw-probe; host and port from the environment
	hc=$(jq -r '[.[-1].ins[] | select(.op == "HEALTHCHECK") | .arg] | last' "$T/df.json")
	echo "healthcheck: $hc"
	[[ "$hc" =~ CMD\ \[\"/usr/local/bin/gw-probe\" ]]
	[[ "$hc" != *--host* && "$hc" != *--port* ]]
	jq -e '.[-1].ins | any(.op == "ENV" and (.arg | test("GATEWAY_HOST=")) and (.arg | test("GATEWAY_PORT=")))' "$T/df.json"
	jq -e '.[-1].ins | any(.op == "ENV" and (.arg | test("GWKIT_RUNTIME_DIR=/run/gwkit")))' "$T/df.json"
	jq -e '.[-1].ins | any(.op == "VOLUME" and .arg == "/data")' "$T/df.json"
	# OCI labels
	for l in title description licenses version revision; do
		jq -e --arg l "org.opencontainers.image.$l=" '.[-1].ins | any(.op == "LABEL" and (.arg | contains($l)))' "$T/df.json" ||
			{ echo "label $l missing"; return 1; }
	done
}
