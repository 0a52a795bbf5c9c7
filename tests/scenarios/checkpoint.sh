#!/bin/sh
# The write-ahead log is copied back into the database by a thread of its
# own while the writer goes on, and starts over past 8 times that many
# pages, so it stays bounded however much one ingest writes. Small logs
# here (RELAYAUDIT_WAL_PAGES=20: a checkpoint every 20 pages of 16 KiB,
# a restart past 160) over about 1,000 pages of rows, 250 a transaction.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o ra_gen "$SRC/scripts/gen.c" || exit 1
./ra_gen squid 200000 >a.log

RELAYAUDIT_WAL_PAGES=20 "$RA" ingest --db t.db --format squid a.log 2>err.txt &
pid=$!
# The log's file only grows (it is reused from its start when the log
# starts over) and goes at the end: its largest size is the last seen.
wal=0 db=0
while kill -0 $pid 2>/dev/null; do
  w=$(stat -c %s t.db-wal 2>/dev/null || echo 0)
  d=$(stat -c %s t.db 2>/dev/null || echo 0)
  [ "$w" -gt "$wal" ] && wal=$w
  [ "$d" -gt "$db" ] && db=$d
  sleep 0.02
done
wait $pid
expect "the ingest succeeds" 0 "$?"
expect "no log left after the run" no "$([ -e t.db-wal ] && echo yes || echo no)"
expect "every line once" "200000 200000" \
  "$(q t.db "SELECT count(*), count(DISTINCT line_no) FROM proxy_events" | tr '\t' ' ')"
expect "the database is whole" ok "$(q t.db "PRAGMA integrity_check")"
final=$(stat -c %s t.db)
# Started over: at most 160 pages and the transaction that crossed them
# (about 250 pages), where the whole run's log would be the database.
expect "the log stayed bounded (< 480 pages)" yes \
  "$([ "$wal" -lt $((480 * 16384)) ] && [ "$final" -gt $((800 * 16384)) ] && echo yes || echo "no: log $wal, database $final")"
# Copied back during the run, not only at the end.
expect "checkpoints during the run" yes \
  "$([ "$db" -gt $((400 * 16384)) ] && echo yes || echo "no: largest $db of $final")"
exit $fail
