#!/bin/sh
# Two ingests into one database at once end with correct totals; query and
# report work while an ingest runs.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o ra_gen "$SRC/scripts/gen.c" || exit 1
mkdir a b
./ra_gen squid 40000 >a/one.log
./ra_gen squid 30000 | sed 's/^17/18/' >b/two.log

# The same files from two processes at once, and a third directory each.
"$RA" ingest --db t.db --format squid a b 2>err1.txt &
p1=$!
"$RA" ingest --db t.db --format squid b a 2>err2.txt &
p2=$!
# Readers meanwhile, once the first ingest has made the database (on a
# loaded machine that can take longer than any fixed sleep).
i=0
until q t.db "SELECT 1 FROM files LIMIT 1" >/dev/null 2>&1 || [ $i -ge 300 ]; do
  sleep 0.1
  i=$((i + 1))
done
"$RA" query --db t.db "SELECT count(*) >= 0 FROM proxy_events" >q.txt 2>&1
qrc=$?
wait $p1
r1=$?
wait $p2
r2=$?
expect "both ingests succeed" "0 0" "$r1 $r2"
[ "$r1 $r2" = "0 0" ] || grep -v records err1.txt err2.txt
expect "a query while ingesting" "0" "$qrc"
expect "every line exactly once" "70000 70000" \
  "$(q t.db "SELECT count(*), count(DISTINCT file_id || ':' || line_no) FROM proxy_events" | tr '\t' ' ')"
expect "ledger" "2 70000 2" \
  "$(q t.db "SELECT count(*), sum(records), sum(complete) FROM files" | tr '\t' ' ')"
"$RA" ingest --db t.db --format squid a b 2>/dev/null
expect "and again adds nothing" "70000" "$(q t.db "SELECT count(*) FROM proxy_events")"

# Two ingests that start on one new database: the first to switch it to
# WAL mode holds it alone for a moment, which SQLite reports at once,
# without waiting (it failed about one time in ten). Twenty new databases.
head -n 300 a/one.log >c.log
bad=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  rm -f n.db n.db-wal n.db-shm n.db-claims
  "$RA" ingest --db n.db --format squid c.log 2>/dev/null &
  p4=$!
  "$RA" ingest --db n.db --format squid c.log 2>>errn.txt || bad=$((bad + 1))
  wait $p4 || bad=$((bad + 1))
done
expect "two ingests of a new database, 20 times: none fails" 0 "$bad"
[ "$bad" = 0 ] || sort errn.txt | uniq -c

# report while an ingest holds the write lock
"$RA" analyze --db t.db 2>/dev/null
./ra_gen jsonl 30000 >g.log
"$RA" ingest --db t.db --format relayaudit-jsonl g.log 2>/dev/null &
p3=$!
sleep 0.3
"$RA" report --db t.db --format json >r.json 2>/dev/null
expect "report while ingesting" "0" "$?"
wait $p3
exit $fail
