#!/bin/sh
# Example strategy for bot-core (docs/strategy-protocol.md) in POSIX sh
# and standard tools. It waits for the first tick, writes one log line and
# one intent (BUY 1 share at market of that tick's symbol), then reads and
# discards the rest of its stdin (intent_result, gate, ...) until bot-core
# closes it. The risk gate judges the intent like any other: while the
# gate is closed it is answered with "accepted":false.
#
#     STRATEGY_CMD='sh examples/strategy.sh'
#
# It relies on bot-core writing compact JSON (no spaces after ':'), as the
# protocol says; a real strategy should use a JSON parser.
while IFS= read -r line; do
	case $line in
	*'"type":"tick"'*) break ;;
	esac
done
symbol=$(printf '%s\n' "$line" | sed -n 's/.*"symbol":"\([^"]*\)".*/\1/p')
[ -n "$symbol" ] || exit 0	# stdin closed before any tick
printf '%s\n' "{\"type\":\"log\",\"message\":\"first tick: $symbol\"}"
printf '%s\n' "{\"type\":\"intent\",\"id\":\"sh-1\",\"symbol\":\"$symbol\",\"side\":\"BUY\",\"quantity\":1,\"order_type\":\"MKT\",\"reason\":\"example: first tick\"}"
exec cat >/dev/null
