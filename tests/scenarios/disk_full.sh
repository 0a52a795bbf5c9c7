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
exit $fail
