#!/bin/sh
# Schema version 3 stores repeated text once, in `strings`, and the rows hold
# its id. The writer remembers ids in a bounded table that it empties when
# full (32,768 strings): past that, every string must still map to the one
# row of `strings` that holds it -- no duplicate, no stale id -- and the
# views must give back exactly the text of each line.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

# 50,000 distinct callers (the table empties once), 3 accounts, 100 sessions
awk 'BEGIN {
  for (i = 1; i <= 50000; i++)
    printf "{\"ts\":%d,\"caller\":\"caller-%d\",\"account\":\"a%d\",\"session\":\"s%d\"}\n",
      1795478400000 + i, i, i % 3, i % 100
}' >gw1.log
# the same callers in the opposite order, in another file
awk 'BEGIN {
  for (i = 50000; i >= 1; i--)
    printf "{\"ts\":%d,\"caller\":\"caller-%d\",\"account\":\"a%d\",\"session\":\"s%d\"}\n",
      1795478500000 + i, i, i % 3, i % 100
}' >gw2.log

"$RA" ingest --db t.db --format relayaudit-jsonl gw1.log 2>/dev/null
expect "every string once" "50103 50103" \
  "$(q t.db "SELECT count(*), count(DISTINCT s) FROM strings" | tr '\t' ' ')"
expect "each row's caller, account and session are its line's" 50000 \
  "$(q t.db "SELECT count(*) FROM gateway_events
             WHERE caller = 'caller-' || line_no AND account = 'a' || (line_no % 3)
               AND session = 's' || (line_no % 100)")"

"$RA" ingest --db t.db --format relayaudit-jsonl gw2.log 2>/dev/null
expect "a second file adds no string" 50103 "$(q t.db "SELECT count(*) FROM strings")"
expect "... and its rows point at the same strings" 50000 \
  "$(q t.db "SELECT count(*) FROM gateway_rows a JOIN gateway_rows b
             ON b.file_id = 2 AND b.line_no = 50001 - a.line_no
             WHERE a.file_id = 1 AND a.caller = b.caller AND a.account = b.account
               AND a.session = b.session")"
expect "no id without its string" 0 \
  "$(q t.db "SELECT count(*) FROM gateway_rows
             WHERE caller NOT IN (SELECT id FROM strings)
                OR account NOT IN (SELECT id FROM strings)")"
exit $fail
