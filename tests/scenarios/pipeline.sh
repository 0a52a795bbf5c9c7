#!/bin/sh
# The ingest pipeline parses on two threads (one for CSV) but stores in
# reading order: over many slots of lines, rows keep their line order,
# rejects are stored and reported in line order, a plain run and a
# gzipped run of the same lines store the same rows, and every parser of a
# `csv json` file reads it the way its first line says.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

# 30,000 lines (several slots of 4,096), every 7th line broken
awk 'BEGIN {
  for (i = 1; i <= 30000; i++)
    if (i % 7 == 0)
      printf "broken line %d\n", i
    else
      printf "%d.%03d 12 10.0.0.%d TCP_TUNNEL/200 %d CONNECT h%d.example:443 u-session-s%d HIER_DIRECT/1.2.3.4 -\n",
        1795478400 + i, i % 1000, i % 250, 100 + i, i % 9, i % 40
}' >px.log
awk 'BEGIN {
  for (i = 1; i <= 30000; i++)
    if (i % 7 == 0)
      printf "{\"ts\": broken %d\n", i
    else
      printf "{\"ts\":%d,\"request_id\":\"r-%d\",\"caller\":\"c%d\",\"account\":\"a%d\"}\n",
        1795478400000 + i, i, i % 5, i % 3
}' >gw.log

"$RA" ingest --db t.db --format squid px.log 2>px.err
"$RA" ingest --db t.db --format relayaudit-jsonl gw.log 2>gw.err

for t in proxy_events:px gateway_events:gw; do
  tab=${t%%:*} f=${t#*:}
  expect "$tab: records" 25715 "$(q t.db "SELECT count(*) FROM $tab")"
  expect "$tab: rows in line order" "0 25715" \
    "$(q t.db "SELECT (SELECT count(*) FROM $tab a JOIN $tab b ON b.id = a.id + 1
                       WHERE b.line_no <= a.line_no), count(DISTINCT line_no) FROM $tab" |
       tr '\t' ' ')"
  expect "$tab: no line 7k stored" 0 \
    "$(q t.db "SELECT count(*) FROM $tab WHERE line_no % 7 = 0")"
  expect "$f.log: rejects in line order" "4285 0" \
    "$(q t.db "SELECT count(*), (SELECT count(*) FROM rejects a JOIN rejects b
                                ON b.id = a.id + 1 AND b.path = a.path
                                WHERE b.line_no <= a.line_no)
               FROM rejects WHERE path = '$f.log'" | tr '\t' ' ')"
  expect "$f.log: the first ten rejects reported in order" \
    "7 14 21 28 35 42 49 56 63 70" \
    "$(grep -o "^relayaudit: $f.log:[0-9][0-9]*" $f.err | cut -d: -f3 | tr '\n' ' ' | sed 's/ $//')"
  expect "$f.log: the rest counted" \
    "relayaudit: $f.log: 4275 more rejected lines not shown" \
    "$(grep 'more rejected' $f.err)"
done

# The same lines gzipped, into another database: the same rows.
gzip -c px.log >px.log.gz
"$RA" ingest --db g.db --format squid px.log.gz 2>/dev/null
rows() { q "$1" "SELECT line_no, ts, client_ip, dest_host, egress_session FROM proxy_events ORDER BY id" | cksum; }
expect "gzipped: the same rows in the same order" "$(rows t.db)" "$(rows g.db)"
# `engine csv json` read as JSON lines on two parser threads: the file's
# first line decides for both, so a line that looks like CSV in a later
# slot is a reject, not a switch of engine (lines 4097 and 8193 open the
# second and third slots of 4,096 lines: whichever thread reads a slot
# first sees one).
awk 'BEGIN {
  for (i = 1; i <= 10000; i++)
    if (i == 4097 || i == 8193)
      print "request_id,call_type,startTime"
    else
      printf "{\"request_id\":\"q-%d\",\"startTime\":\"2026-11-24 10:%02d:%02d\",\"model\":\"m\"}\n",
        i, (i / 60) % 60, i % 60
}' >spend.jsonl
RELAYAUDIT_TIMINGS=1 "$RA" ingest --db s.db --format litellm-spendlogs spend.jsonl 2>spend.err
expect "csv json as JSON lines: two parser threads" "2 parser(s)" \
  "$(grep -o '[0-9] parser(s)' spend.err)"
RELAYAUDIT_TIMINGS=1 "$RA" ingest --db c.db --format litellm-spendlogs \
  "$SRC/tests/format-samples/litellm-spendlogs.csv" 2>csv.err
expect "csv json as CSV: one parser thread (the header is state)" "1 parser(s)" \
  "$(grep -o '[0-9] parser(s)' csv.err)"
expect "csv json as JSON lines: records" 9998 \
  "$(q s.db 'SELECT count(*) FROM gateway_events')"
expect "csv json as JSON lines: the CSV-looking lines rejected" "4097 8193" \
  "$(q s.db 'SELECT line_no FROM rejects ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"
exit $fail
