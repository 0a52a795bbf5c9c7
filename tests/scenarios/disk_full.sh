#!/bin/sh
# A full disk (here: ulimit -f) is a clear error; the database stays intact
# and usable, and the next run picks up where the last good commit ended.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o ra_gen "$SRC/scripts/gen.c" || exit 1
./ra_gen squid 150000 >big.log
"$RA" ingest --db t.db --source map "$SRC/samples/map.csv" 2>/dev/null
(ulimit -f 8000; "$RA" ingest --db t.db --format squid big.log) 2>err.txt
rc=$?
expect "exit 1 on a full disk" 1 "$rc"
expect "a clear message" "1" "$(grep -c -i -E 'disk|full|large|space' err.txt)"
expect "the database is intact" "ok" "$(q t.db 'PRAGMA integrity_check')"
done_rows=$(q t.db 'SELECT count(*) FROM proxy_events')
expect "the ledger matches the rows committed" "$done_rows" "$(q t.db 'SELECT coalesce(sum(records), 0) FROM files WHERE source = '"'proxy'"'')"
expect "the map is still there" 8 "$(q t.db 'SELECT count(*) FROM map')"
"$RA" ingest --db t.db --format squid big.log 2>err2.txt || cat err2.txt
expect "the next run completes it" "150000 150000 1" \
  "$(q t.db "SELECT count(*), count(DISTINCT line_no), (SELECT complete FROM files WHERE source = 'proxy') FROM proxy_events" | tr '\t' ' ')"

# analyze on a full disk: its links' temporary file (where SQLite puts its
# own) cannot be written. A clear error, exit 1, the events intact and no
# analysis stored; with room again, the analysis. (On a database analyzed
# before, the write-ahead log fills first: the first analysis here.)
mkdir pair && ./ra_gen pair 100000 pair
"$RA" ingest --db p.db --format relayaudit-jsonl pair/gateway.jsonl 2>/dev/null
"$RA" ingest --db p.db --format squid pair/access.log 2>/dev/null
events="SELECT (SELECT count(*) FROM gateway_events) + (SELECT count(*) FROM proxy_events)"
(ulimit -f 256; "$RA" analyze --db p.db) 2>err3.txt
expect "analyze, its temporary file full: exit 1" 1 "$?"
expect "... a clear message" 1 \
  "$(grep -c 'cannot write a temporary file for the links' err3.txt)"
expect "... the database intact" "ok" "$(q p.db 'PRAGMA integrity_check')"
expect "... the events kept, no analysis stored" "200000 0 0" \
  "$(q p.db "$events") $(q p.db 'SELECT count(*) FROM runs') $(q p.db 'SELECT count(*) FROM links')"
"$RA" analyze --db p.db 2>/dev/null
expect "with room, the analysis" "1 100000" \
  "$(q p.db 'SELECT count(*) FROM runs') $(q p.db 'SELECT count(*) FROM links')"
exit $fail
