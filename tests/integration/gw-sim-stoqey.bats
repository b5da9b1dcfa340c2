#!/usr/bin/env bats
# gw-sim's orders through a real third-party TWS client: @stoqey/ib 1.6.10
# (npm; pinned by tests/integration/stoqey/package-lock.json, installed into
# bin/node-ib by `mk/deps.sh stoqey`, which make check runs).
# tests/integration/stoqey/check.js places a marketable LMT BUY 10, a MKT
# SELL 4 and a resting LMT BUY 1 (seen by reqOpenOrders, then cancelled),
# then asks reqExecutions, reqPositions and reqAccountSummary, printing one
# JSON line per event @stoqey/ib decoded. It runs once (setup_file); each
# test checks one part of what it decoded. Without node or the package (no
# npm registry when make check installed it) every test skips and says why.
load common
bats_require_minimum_version 1.5.0

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
NODE_IB=$TOP/bin/node-ib

# why_skip: empty when the check can run, else the reason.
why_skip() {
	command -v node >/dev/null 2>&1 || { echo "node is not installed (mk/deps.sh stoqey)"; return; }
	[ -f "$NODE_IB/node_modules/@stoqey/ib/package.json" ] ||
		{ echo "@stoqey/ib is not installed in bin/node-ib (mk/deps.sh stoqey; npm registry unreachable?)"; return; }
	cmp -s "$TOP/tests/integration/stoqey/package-lock.json" "$NODE_IB/package-lock.json" ||
		{ echo "bin/node-ib does not match tests/integration/stoqey/package-lock.json (run mk/deps.sh stoqey)"; return; }
	# gw-sim answers orders from the release that has --paper-cash on
	"$GWKIT_BIN/gw-sim" --help 2>&1 | grep -q -- --paper-cash ||
		{ echo "this gw-sim does not answer orders (no --paper-cash)"; return; }
}

setup_file() {
	SKIP_WHY=$(why_skip)
	export SKIP_WHY
	[ -z "$SKIP_WHY" ] || return 0
	local port
	port=$("$GWKIT_BIN/tests/freeport")
	"$GWKIT_BIN/gw-sim" --port "$port" >"$BATS_FILE_TMPDIR/sim.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/sim.pid"
	wait_for_line "$BATS_FILE_TMPDIR/sim.log" '"event":"sim\.listening"' 10
	CHECK_STATUS=0
	NODE_PATH=$NODE_IB/node_modules timeout 60 node "$TOP/tests/integration/stoqey/check.js" \
		--port "$port" --client-id 11 --symbol AAPL --timeout 15 \
		>"$BATS_FILE_TMPDIR/check.out" 2>"$BATS_FILE_TMPDIR/check.err" 3>&- || CHECK_STATUS=$?
	export CHECK_STATUS
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/sim.pid" ] && stop_pid "$(cat "$BATS_FILE_TMPDIR/sim.pid")"
	return 0
}

setup() {
	[ -z "$SKIP_WHY" ] || skip "$SKIP_WHY"
	OUT=$BATS_FILE_TMPDIR/check.out
}

# q JQ: jq -c over check.js's lines as one array ($a).
q() { jq -c -s "$1" "$OUT"; }

@test "check.js completes with exit 0: no decode failure, no unexpected error" {
	if [ "$CHECK_STATUS" -ne 0 ]; then
		echo "check.js exit $CHECK_STATUS; its output:" >&2
		cat "$OUT" "$BATS_FILE_TMPDIR/check.err" >&2
	fi
	[ "$CHECK_STATUS" -eq 0 ]
	[ "$(q '[.[] | select(.ev == "decode_failure")] | length')" -eq 0 ]
	[ "$(q '[.[] | select(.ev == "error" and .expected != true)] | length')" -eq 0 ]
	[ "$(q '[.[] | select(.ev == "done")][0] | [.unexpected_errors, .expected_left]')" = '[0,0]' ]
	# nor did gw-sim find anything wrong in what @stoqey/ib sent
	refute grep -q '"sim\.protocol_error"' "$BATS_FILE_TMPDIR/sim.log"
}

@test "the LMT BUY: openOrder decoded with its fields, Submitted then Filled" {
	run q '[.[] | select(.ev == "open_order" and .ref == "stoqey:lmt")][0] |
		[.symbol, .sec_type, .action, .qty, .type, .lmt, .tif, .account, .client_id, (.perm_id > 0)]'
	[ "$output" = '["AAPL","STK","BUY",10,"LMT",999,"DAY","DU1234567",11,true]' ]
	id=$(q '[.[] | select(.ev == "open_order" and .ref == "stoqey:lmt")][0].id')
	run q "[.[] | select(.ev == \"order_status\" and .id == $id) | .status]"
	[[ $output == '["Submitted",'*'"Filled"]' ]]
	run q "[.[] | select(.ev == \"order_status\" and .id == $id)] | last |
		[.filled, .remaining, (.avg_fill_price > 0), .avg_fill_price == .last_fill_price, .client_id]"
	[ "$output" = '[10,0,true,true,11]' ]
}

@test "a fill arrives as execDetails, then orderStatus Filled, then its commissionReport" {
	# the line numbers of the LMT order's pushed exec, its Filled status,
	# and the commission report of that exec
	run q '([.[] | select(.ev == "open_order" and .ref == "stoqey:lmt")][0].id) as $id |
		([.[] | select(.ev == "exec" and .id == $id and .req_id == -1)][0].exec_id) as $x |
		to_entries | [
		(map(select(.value.ev == "exec" and .value.exec_id == $x))[0].key),
		(map(select(.value.ev == "order_status" and .value.id == $id and .value.status == "Filled"))[0].key),
		(map(select(.value.ev == "commission" and .value.exec_id == $x))[0].key)]'
	[[ $output =~ ^\[([0-9]+),([0-9]+),([0-9]+)\]$ ]]
	((BASH_REMATCH[1] < BASH_REMATCH[2] && BASH_REMATCH[2] < BASH_REMATCH[3]))
}

@test "execDetails: symbol, side, shares, price > 0, account, orderRef" {
	run q '[.[] | select(.ev == "exec" and .req_id == -1) |
		[.symbol, .side, .shares, (.price > 0), .cum_qty, .avg_price == .price, .account, .ref, .client_id]]'
	[ "$output" = '[["AAPL","BOT",10,true,10,true,"DU1234567","stoqey:lmt",11],["AAPL","SLD",4,true,4,true,"DU1234567","stoqey:mkt",11]]' ]
	# exec ids are unique
	[ "$(q '[.[] | select(.ev == "exec" and .req_id == -1) | .exec_id] | unique | length')" -eq 2 ]
}

@test "the MKT SELL fills; its commissionReport carries the realized P&L of the closed shares" {
	run q '[.[] | select(.ev == "open_order" and .ref == "stoqey:mkt")][0] | [.action, .qty, .type, has("lmt")]'
	[ "$output" = '["SELL",4,"MKT",false]' ]
	run q '[.[] | select(.ev == "order_status" and .status == "Filled")] | unique_by(.id) | map([.filled, .remaining])'
	[ "$output" = '[[10,0],[4,0]]' ]
	# commission > 0 in USD on both; realized P&L only on the closing fill
	run q '[.[] | select(.ev == "commission") | [(.commission > 0), .currency, has("realized_pnl")]] | unique'
	[ "$output" = '[[true,"USD",false],[true,"USD",true]]' ]
	sold=$(q '[.[] | select(.ev == "exec" and .side == "SLD")][0].exec_id')
	run q "[.[] | select(.ev == \"commission\" and .exec_id == $sold)][0].realized_pnl | type"
	[ "$output" = '"number"' ]
}

@test "reqOpenOrders lists the resting order; cancelOrder: Cancelled, then the expected error 202" {
	id=$(q '[.[] | select(.ev == "open_order" and .ref == "stoqey:rest")][0].id')
	[ "$id" != null ]
	# between the reqOpenOrders request and openOrderEnd: that order, Submitted
	run q "(to_entries | map(select(.value.ev == \"request\" and .value.what == \"reqOpenOrders\"))[0].key) as \$r |
		.[\$r:] | (to_entries | map(select(.value.ev == \"open_order_end\"))[0].key) as \$e |
		.[:\$e] | map(select(.ev == \"open_order\" and .id == $id) | [.type, .lmt, .status])"
	[ "$output" = '[["LMT",1,"Submitted"]]' ]
	run q "[.[] | select((.ev == \"order_status\" and .id == $id and .status == \"Cancelled\") or
		(.ev == \"error\" and .id == $id)) | .status // .code]"
	[ "$output" = '["Cancelled",202]' ]
}

@test "reqExecutions returns the day's two executions, then execDetailsEnd with the req id" {
	run q '[.[] | select(.ev == "exec" and .req_id == 9001) | .exec_id] | sort'
	pushed=$(q '[.[] | select(.ev == "exec" and .req_id == -1) | .exec_id] | sort')
	[ "$output" = "$pushed" ]
	[ "$(q '[.[] | select(.ev == "exec_end")] | map(.req_id)')" = '[9001]' ]
}

@test "reqPositions: AAPL 6 (10 bought, 4 sold) at an average cost > 0, then positionEnd" {
	run q '[.[] | select(.ev == "position" and .symbol == "AAPL")] | last | [.account, .position, (.avg_cost > 0)]'
	[ "$output" = '["DU1234567",6,true]' ]
	[ "$(q '[.[] | select(.ev == "position_end")] | length')" -ge 1 ]
}

@test "reqAccountSummary: the three tags asked, for the account, then accountSummaryEnd" {
	run q '[.[] | select(.ev == "account_value" and .req_id == 9002) | .tag] | sort'
	[ "$output" = '["NetLiquidation","RealizedPnL","TotalCashValue"]' ]
	run q '[.[] | select(.ev == "account_value" and .req_id == 9002) | [.account, .currency, (.value | tonumber | type)]] | unique'
	[ "$output" = '[["DU1234567","USD","number"]]' ]
	[ "$(q '[.[] | select(.ev == "account_summary_end")] | map(.req_id)')" = '[9002]' ]
}
