#!/bin/sh
# ibc-log.sh COMMAND [ARG...]: run the gateway's start script (the
# gnzsnz/ib-gateway image's run.sh, or IBC's ibcstart.sh on a host) with
# its output copied, line by line, to $IBC_LOG as well as to this
# process's stdout, so that gwkit can read IBC's log: health-mon's and
# stack-init's "ibc_log" tell a gateway waiting for the operator's second
# factor from one restarting (docs/operations.md, "The weekly login").
#
# Why a copy: in the gnzsnz image run.sh starts IBC's ibcstart.sh itself,
# and IBC writes its log only to stdout (IbcAlpha/IBC Utils.java,
# logToConsole; ibcstart.sh writes no file): it reaches `docker logs` and
# nothing else. gwkit reads the copy on a volume both containers mount
# (gwkit read-only); docker logs keeps the full output as before.
#
# What it keeps: the command's exit status (returned as this script's), its
# signals (SIGTERM, SIGINT and SIGHUP are passed on to it: docker stop and
# the kubelet signal PID 1, which is this script), and the output on
# stdout. Why not exec the command after `exec > >(tee FILE)`: PID 1's exit
# kills everything left in the container at once, so run.sh's last lines
# ("IBC returned exit status 87") could be lost between the pipe and the
# copy; here the copy is given up to 2 s to drain first.
#
# The file is bounded: an existing one is renamed to FILE.1 at start, and
# the running one is renamed to FILE.1 whenever it reaches $IBC_LOG_MAX
# bytes (default 4 MiB), so FILE and FILE.1 together stay below twice
# that. Readers follow the path (lib/linefollow handles the rename).
#
# Input: the command's output, untrusted text, copied as lines (a last line
# without a newline gets one). Settings (environment): IBC_LOG the file
# (empty: no copy, the command is exec'd as it is); IBC_LOG_MAX bytes
# (>= 4096). The same file is deploy/k8s/base/ibc-log.sh and
# etc/bin/gw-ibc-log (tests/integration/deploy-compose.bats compares them).
set -eu

me=${0##*/}
file=${IBC_LOG:-}
max=${IBC_LOG_MAX:-4194304}

die() { echo "$me: $*" >&2; exit 78; }

[ "$#" -gt 0 ] || { echo "usage: $me COMMAND [ARG...] (IBC_LOG=FILE)" >&2; exit 64; }
[ -n "$file" ] || exec "$@"
case $max in
'' | *[!0-9]*) die "IBC_LOG_MAX: '$max' is not a number of bytes" ;;
esac
[ "$max" -ge 4096 ] || die "IBC_LOG_MAX: $max is below 4096 bytes"
dir=$(dirname -- "$file")
# Stop rather than start a gateway whose login gwkit cannot see: a missing
# or read-only volume is a deployment error, found at the first start.
[ -d "$dir" ] || die "IBC_LOG: $dir: no such directory (is the volume mounted?)"
if [ -s "$file" ]; then
	mv -f -- "$file" "$file.1" || die "IBC_LOG: cannot rotate $file"
fi
(: >>"$file") 2>/dev/null || die "IBC_LOG: $file: cannot write (the volume's owner and mode?)"

# copy: stdin to stdout and to $file, line by line. It ignores the signals
# meant for the command (a signal to the whole process group, ^C on a
# terminal) and ends at EOF, when the command and all its children have
# closed the pipe; a failed write (disk full, the reader gone) is skipped.
copy() {
	set +e
	trap '' INT TERM HUP PIPE
	n=$(wc -c <"$file" 2>/dev/null) || n=0
	warned=
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
		if ! { printf '%s\n' "$line" >>"$file"; } 2>/dev/null; then
			if [ -z "$warned" ]; then
				echo "$me: cannot write $file; output continues on stdout only" >&2
				warned=1
			fi
			continue
		fi
		warned=
		n=$((n + ${#line} + 1))
		if [ "$n" -ge "$max" ]; then
			mv -f -- "$file" "$file.1" 2>/dev/null
			n=0
		fi
	done
	: >"$tmp/done"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ibc-log.XXXXXX") || die "cannot make a directory for the pipe"
mkfifo "$tmp/out" || die "cannot make a pipe in $tmp"
copy <"$tmp/out" &
copier=$!
# The write end on fd 4 (the open waits for the copy to open its end);
# then the pipe's name can go ($tmp stays for the copy's "done").
exec 4>"$tmp/out"
rm -f "$tmp/out"

child=
pending=
forward() {
	if [ -n "$child" ]; then
		kill "-$1" "$child" 2>/dev/null
	else
		pending=$1
	fi
	return 0
}
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP

# A command started with & by a non-interactive shell ignores SIGINT and
# SIGQUIT (POSIX, "Asynchronous Lists"), and a bash that starts with a
# signal ignored cannot trap it (run.sh traps SIGINT and SIGTERM; the JVM
# dumps its threads on SIGQUIT): GNU env gives them their default back.
if env --default-signal=INT,QUIT true 2>/dev/null; then
	set -- env --default-signal=INT,QUIT "$@"
fi
# The command writes into the pipe; this shell keeps no copy of its write
# end, or the copy would never see EOF.
"$@" >&4 2>&4 4>&- &
child=$!
exec 4>&-
[ -z "$pending" ] || forward "$pending"

# wait returns early (above 128) when a trapped signal arrives: wait again
# until the command itself has ended, then take its status.
status=0
while :; do
	if wait "$child"; then status=0; else status=$?; fi
	kill -0 "$child" 2>/dev/null || break
done

# Let the copy drain the command's last lines, for 2 s at most: a child
# the command left running (Xvfb, socat) may hold the pipe open for ever.
# The copy says it reached EOF with a file (a zombie would pass kill -0).
i=0
while [ ! -e "$tmp/done" ] && [ "$i" -lt 40 ]; do
	sleep 0.05 2>/dev/null || break
	i=$((i + 1))
done
[ -e "$tmp/done" ] || kill -KILL "$copier" 2>/dev/null || :
wait "$copier" 2>/dev/null || :
rm -rf "$tmp"
exit "$status"
