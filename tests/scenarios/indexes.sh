#!/bin/sh
# Which indexes analyze builds: the joins' and the detectors' always, the
# time indexes only for a bounded window (an analysis of everything reads
# whole tables), and once built they stay.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

idx() {
  q t.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master
          WHERE type = 'index' AND sql IS NOT NULL ORDER BY name)"
}
"$RA" ingest --db t.db --source map "$SRC/samples/map.csv" 2>/dev/null
"$RA" ingest --db t.db "$SRC/samples/gateway" "$SRC/samples/proxy" 2>/dev/null
base="bans_run files_fp files_path findings_run gateway_ban links_gateway map_account map_egress proxy_ban proxy_request_id"
"$RA" analyze --db t.db 2>/dev/null
expect "all data: no time indexes" "$base" "$(idx)"
n_all=$(q t.db "SELECT count(*) FROM findings WHERE run_id = 1")
# An older database's (account, caller, ts) index goes at the next
# analysis (the bans' lookback reads event_groups.sql's buckets instead); and
# the second thread, which still sees it, reads no events through it (a
# seek per event, not one scan).
sqlite3 t.db "CREATE INDEX gateway_account_caller ON gateway_rows(account, caller, ts)"
RELAYAUDIT_TIMINGS=plan "$RA" analyze --db t.db 2>plan.txt
expect "a second analysis: the old index gone" "$base" "$(idx)"
expect "a second analysis: no walk of the events by an index on account" 0 \
  "$(grep -c 'USING INDEX gateway_account_caller (account>?)' plan.txt)"
# the ban-class events (error statuses, rare) through their partial indexes,
# not a scan of every event
expect "the ban-class events read through their partial indexes" 2 \
  "$(grep -c 'SEARCH [a-z_]* USING INDEX [a-z]*_ban (ts>? AND ts<?)' plan.txt)"
"$RA" analyze --db t.db --since 2026-11-24 2>/dev/null
expect "a window: the time indexes too" \
  "bans_run files_fp files_path findings_run gateway_ban gateway_ts links_gateway map_account map_egress proxy_ban proxy_request_id proxy_ts" \
  "$(idx)"
"$RA" analyze --db t.db 2>/dev/null
expect "all data again: they stay" 12 "$(idx | wc -w | tr -d ' ')"
expect "the same findings with and without them" "$n_all" \
  "$(q t.db "SELECT count(*) FROM findings WHERE run_id = 4")"
exit $fail
