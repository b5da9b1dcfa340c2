#!/bin/sh
# Entrypoint wrapper for the gnzsnz/ib-gateway image: turn on IBC's command
# server, then exec the image's own start script (given as arguments)
# through ibc-log.sh beside this file, which copies IBC's output to
# $IBC_LOG on the volume gwkit reads (empty: no copy).
#
# Why: the image's IBC template hard-codes CommandServerPort=0 and an empty
# ControlFrom (gnzsnz/ib-gateway-docker, stable/config/ibc/config.ini.tmpl,
# section "8. IBC Command Server Settings"), and these are not among its
# environment variables. Its start script (stable/scripts/run.sh) fills the
# template into config.ini with envsubst at every start (apply_settings in
# stable/scripts/common.sh, from $IBC_INI_TMPL, which stable/Dockerfile sets
# to /home/ibgateway/ibc/config.ini.tmpl). Editing the two lines in place,
# before that runs, keeps every other setting and placeholder of the tag in
# use; copying the whole template into this repository would freeze it.
#
# IBC accepts commands from the loopback address and from the addresses in
# ControlFrom, matched against the client's IP (or its reverse-DNS name,
# which under compose is not the service name): IBC_CONTROL_FROM is the
# fixed address compose gives the gwkit container. Port 7462 is IBC's
# convention (IBC resources/config.ini); it is never published on the host.
set -eu

tmpl=${IBC_INI_TMPL:-}
port=${IBC_COMMAND_SERVER_PORT:-7462}
from=${IBC_CONTROL_FROM:-}

die() { echo "enable-command-server: $*" >&2; exit 1; }

[ "$#" -gt 0 ] || die "usage: $0 START-SCRIPT [ARG...] (the image's run.sh)"
[ -n "$tmpl" ] || die "IBC_INI_TMPL is not set: is this the gnzsnz/ib-gateway image?"
[ -f "$tmpl" ] || die "$tmpl: no such file: the image's layout changed"
case $port in
'' | *[!0-9]*) die "IBC_COMMAND_SERVER_PORT: '$port' is not a port number" ;;
esac
[ -n "$from" ] || die "IBC_CONTROL_FROM is empty: name the gwkit container's address"
# Only addresses and host names: the value goes into a sed expression.
case $from in
*[!0-9A-Za-z.,:_-]*) die "IBC_CONTROL_FROM: '$from' is not a list of addresses or host names" ;;
esac

# Both settings must be there exactly once, or the template is not the one
# this was written for: stop rather than start a gateway that cannot be
# restarted softly (a CRITICAL init.restart_action_failed at 16:30).
for key in CommandServerPort ControlFrom; do
	n=$(grep -c "^$key=" "$tmpl" || true)
	[ "$n" = 1 ] || die "$tmpl: expected one '$key=' line, found $n"
done

# Idempotent: a restarted container finds its own edit and makes it again.
sed -i -e "s/^CommandServerPort=.*/CommandServerPort=$port/" \
	-e "s/^ControlFrom=.*/ControlFrom=$from/" "$tmpl"
grep -qx "CommandServerPort=$port" "$tmpl" || die "$tmpl: the edit did not take"
echo "enable-command-server: IBC command server on port $port, commands from $from"

exec /bin/sh "${0%/*}/ibc-log.sh" "$@"
