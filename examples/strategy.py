#!/usr/bin/env python3
"""Example strategy for bot-core (docs/strategy-protocol.md). Python 3,
standard library only.

bot-core runs it as STRATEGY_CMD, writes JSON lines on its stdin (hello,
tick, gate, strategy, intent_result) and reads JSON lines from its stdout
(intent, log). This one buys 1 share at market of the gameplan's first
symbol when the gate is open, the active strategy is not C and a tick of
that symbol carries an ask; at most one intent per --interval seconds.
With --rotate it buys each gameplan symbol in turn instead (the demo uses
it, so that every symbol's market data is seen to flow again after a
gateway restart). Every decision is logged back through {"type":"log"}.
It exits when its stdin closes (bot-core stopping it).

    STRATEGY_CMD='python3 examples/strategy.py --interval 60'

Rules it follows: one JSON object per line, flushed at once; unknown
message types and keys from bot-core are ignored (new ones may come);
nothing but protocol lines on stdout (stderr is free for debugging: bot-core
logs it).
"""
import argparse
import json
import sys
import time


def send(msg):
    """One message: one compact line, flushed (a pipe is block-buffered)."""
    sys.stdout.write(json.dumps(msg, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def log(message, level="info"):
    send({"type": "log", "level": level, "message": message})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interval", type=float, default=60.0,
                    help="least seconds between two intents (default 60)")
    ap.add_argument("--rotate", action="store_true",
                    help="buy each gameplan symbol in turn, not only the first")
    args = ap.parse_args()

    symbols = []            # the gameplan's symbols, in its order
    turn = 0                # --rotate: index of the symbol bought next
    symbol = None           # the symbol bought next
    gate_open = False
    active = "C"
    last_intent = None      # time.monotonic() of the last intent sent
    n = 0

    for line in sys.stdin:
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "hello":
            plan = msg.get("gameplan") or {}
            symbols = [s["symbol"] if isinstance(s, dict) else s
                       for s in plan.get("symbols") or []]
            symbol = symbols[0] if symbols else None
            log("hello: bot-core %s, dry_run=%s, symbol %s" %
                (msg.get("version"), msg.get("dry_run"),
                 " then ".join(symbols) if args.rotate and symbols else symbol))
        elif kind == "gate":
            gate_open = bool(msg.get("open"))
            log("gate %s (%s)" % ("open" if gate_open else "closed",
                                  msg.get("reason")))
        elif kind == "strategy":
            active = msg.get("active", "C")
            log("strategy %s (%s)" % (active, msg.get("reason")))
        elif kind == "intent_result":
            log("intent %s: %s (%s)" % (
                msg.get("id"),
                "accepted" if msg.get("accepted") else "rejected",
                msg.get("rule")))
        elif kind == "tick":
            now = time.monotonic()
            if (not gate_open or active == "C" or symbol is None or
                    msg.get("symbol") != symbol or msg.get("ask") is None):
                continue
            if last_intent is not None and now - last_intent < args.interval:
                continue
            last_intent = now
            n += 1
            send({"type": "intent", "id": "py-%d" % n, "symbol": symbol,
                  "side": "BUY", "quantity": 1, "order_type": "MKT",
                  "reason": "example: gate open, ask %s" % msg["ask"]})
            if args.rotate:
                turn = (turn + 1) % len(symbols)
                symbol = symbols[turn]
        # anything else: ignored
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(0)
