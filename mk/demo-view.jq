# mk/demo-view.jq: the readable view of make demo (mk/demo.sh), one line
# per event:   TIME  SOURCE  LEVEL  EVENT  MESSAGE
# Run with jq -R -r (raw input lines) and:
#   --arg mode log|webhook   log: stack-init's output (its own event
#                            records, its services' lines prefixed
#                            "NAME | " or "NAME (check) | "); webhook:
#                            fake-discord's store, one posted message a line
#   --arg color 1|""         ANSI colours by level (the caller decides: a
#                            terminal and NO_COLOR unset)
#   --arg verbose 1|""       also gw-sim's per-connection events, which a
#                            probe every few seconds would otherwise flood
# Event records are docs/events.md's; lines that are not records are
# shown as they are, so nothing a service says is lost.

def pad($n): if length < $n then . + (" " * ($n - length)) else . end;

def paint($level):
  if $color == "" then .
  else ({"debug": "2", "warning": "33", "error": "31", "critical": "1;31"}[$level]) as $c
    | if $c == null then . else "\u001b[\($c)m\(.)\u001b[0m" end
  end;

def row($t; $src; $level; $event; $msg):
  "\($t) \($src | pad(14)) \($level | pad(8)) \($event | pad(26)) \($msg)" | paint($level);

# The clock part of a record's ts (UTC): HH:MM:SS.mmm
def clock: if type == "string" and length >= 23 then .[11:23] else "            " end;
def now_clock: now | (strftime("%H:%M:%S") + "." + ((. * 1000 | floor) % 1000 | tostring | "00\(.)" | .[-3:]));

# A record without a message (fake-discord's start line): its other keys.
def keys_text: to_entries | map(select(.key != "event" and .key != "ts"
  and .key != "level" and .key != "source")) | map("\(.key)=\(.value | tostring)") | join(" ");

def chatty: $verbose == "" and (.event | test("^sim\\.(connection|handshake|start_api|disconnect|request|request_ignored)$"));

def log_line:
  (capture("^(?<svc>[A-Za-z0-9_.-]+)(?<kind> \\([a-z]+\\))? \\| (?<rest>.*)$")
    // {svc: null, kind: null, rest: .}) as $p
  | ($p.rest | try fromjson catch null) as $j
  | if $p.kind == " (check)" and $verbose == "" then empty	# a readiness check failing until it passes
    elif ($j | type) == "object" and ($j.event | type) == "string" then
      if ($j | chatty) then empty
      else row($j.ts | if . == null then now_clock else clock end;
               $j.source // $p.svc // "stack-init";
               ($j.level // "info" | ascii_downcase);
               $j.event;
               (if ($j.message // "") == "" then ($j | keys_text) else $j.message end))
      end
    elif ($j | type) == "object" then empty	# health-mon's check results: its events say what changed
    elif $p.rest == "" then empty
    else row(now_clock; ($p.svc // "stack-init") + ($p.kind // ""); "-"; "(output)"; $p.rest)
    end;

# One stored webhook message: a line per embed; the footer is
# "level · event · source" (docs/events.md, How discord-notify shows a record).
def webhook_line:
  (try fromjson catch null) as $m
  | if ($m | type) != "object" then empty
    else ($m._t // 0) as $t
    | (($t / 1000 | floor | strftime("%H:%M:%S")) + "." + ("00\($t % 1000)" | .[-3:])) as $clock
    | ($m.embeds // [])[]
    | ((.footer.text // "") | split(" · ")) as $f
    | row($clock; "webhook"; ($f[0] // "info"); "posted";
          "\(.title // "")  [\($f[1] // "?") from \($f[2] // "?")]")
    end;

if $mode == "webhook" then webhook_line else log_line end
