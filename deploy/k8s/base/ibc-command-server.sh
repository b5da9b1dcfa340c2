#!/bin/sh
# Start the gnzsnz/ib-gateway image with IBC's command server enabled, so
# that stack-init's daily soft restart ("restart_action": {"ibc":
# "127.0.0.1:7462"}) gets IBC's OK instead of "connection refused".
#
# The image ships the command server disabled: its IBC template
# (config/ibc/config.ini.tmpl in https://github.com/gnzsnz/ib-gateway-docker,
# copied to $IBC_INI_TMPL = /home/ibgateway/ibc/config.ini.tmpl) says
# CommandServerPort=0, and none of its environment variables changes that.
# Its start script (/home/ibgateway/scripts/run.sh, the image's CMD) fills
# $IBC_INI_TMPL into $IBC_INI with envsubst (apply_settings in
# scripts/common.sh). Rather than ship a copy of their template, this
# wrapper edits the image's own template into a copy, points IBC_INI_TMPL
# at it and execs their start script: credentials still come from
# TWS_USERID / TWS_PASSWORD_FILE, and a new image tag keeps its own
# template. IBC's settings are documented in IBC's resources/config.ini
# (https://github.com/IbcAlpha/IBC), section "IBC Command Server Settings".
set -eu

src=${IBC_INI_TMPL:-/home/ibgateway/ibc/config.ini.tmpl}
# The edited copy: /tmp is writable in the image (GWKIT_IBC_TMPL for tests).
dst=${GWKIT_IBC_TMPL:-/tmp/ibc-config.ini.tmpl}
start=${SCRIPT_PATH:-/home/ibgateway/scripts}/run.sh

# 7462 is IBC's conventional port. BindAddress=127.0.0.1: the command
# server listens on the pod's loopback only, where stack-init (the gwkit
# container, same network namespace) reaches it and no other pod can, even
# without the NetworkPolicy; whoever reaches it can STOP the gateway.
# ControlFrom stays empty: "commands can always be sent from the same host".
sed -e 's/^CommandServerPort=.*/CommandServerPort=7462/' \
    -e 's/^BindAddress=.*/BindAddress=127.0.0.1/' \
    -e 's/^ControlFrom=.*/ControlFrom=/' "$src" >"$dst"

# A template whose layout changed (a new image tag) must not start the
# gateway with the command server silently off: every 16:30 restart would
# then fail. Exactly one of each setting, with our value, or stop here.
for want in CommandServerPort=7462 BindAddress=127.0.0.1; do
	n=$(grep -c "^${want%%=*}=" "$dst" || true)
	if [ "$n" != 1 ] || ! grep -qx "$want" "$dst"; then
		echo "ibc-command-server: $src: expected one '${want%%=*}=' line, found $n; cannot enable the command server" >&2
		exit 78
	fi
done

IBC_INI_TMPL=$dst
export IBC_INI_TMPL
echo "ibc-command-server: IBC command server on 127.0.0.1:7462 ($dst)"
# IBC's output also to $IBC_LOG, the emptyDir the gwkit container reads
# (ibc-log.sh beside this file says how; empty IBC_LOG: no copy).
exec /bin/sh "${0%/*}/ibc-log.sh" "$start" "$@"
