#!/bin/sh
# SIGKILL at 24 random moments during the ingest of a multi-file archive
# (plain and .gz, two formats), re-running each time: the final database
# has exactly the rows of one uninterrupted run, no duplicates, and a
# complete ledger.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

mkdir -p arch/gw arch/px
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o ra_gen "$SRC/scripts/gen.c" || exit 1
./ra_gen pair 60000 arch
mv arch/gateway.jsonl arch/gw/gateway.log
head -n 30000 arch/access.log >arch/px/access.log.1
tail -n 30000 arch/access.log >arch/px/access.log
rm arch/access.log
gzip -n arch/px/access.log.1
split -l 20000 arch/gw/gateway.log arch/gw/part.
rm arch/gw/gateway.log
gzip -n arch/gw/part.aa

ingest_all() {
  "$RA" ingest --db "$1" --source gateway arch/gw 2>/dev/null &&
    "$RA" ingest --db "$1" --source proxy arch/px 2>/dev/null
}
ingest_all ref.db

kills=0
seed=7
step=0
while [ $kills -lt 24 ]; do
  # alternate between the two directories, each killed at random moments
  if [ $((step % 2)) = 0 ]; then dir=arch/gw src=gateway; else dir=arch/px src=proxy; fi
  step=$((step + 1))
  "$RA" ingest --db t.db --source $src $dir 2>/dev/null &
  pid=$!
  # a pseudo-random delay of 0.02 to 0.79 s
  seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
  sleep "0.$(printf '%02d' $(( seed % 78 + 2 )))"
  if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid 2>/dev/null
    kills=$((kills + 1))
  fi
  wait $pid 2>/dev/null
  # everything finished before a kill: start over to keep killing
  if [ "$(q t.db 'SELECT count(*) FROM files WHERE complete = 1')" = 5 ]; then
    rm -f t.db t.db-wal t.db-shm t.db-claims
  fi
done
ingest_all t.db
sum() {
  q "$1" "SELECT count(*), count(DISTINCT file_id || ':' || line_no), sum(ts), sum(length(request_id)) FROM gateway_events" 
  q "$1" "SELECT count(*), count(DISTINCT file_id || ':' || line_no), sum(ts), sum(bytes) FROM proxy_events"
  q "$1" "SELECT count(*), sum(records), sum(complete), sum(reader_pid IS NULL) FROM files"
}
expect "killed 24 times" 24 "$kills"
expect "same rows, counts and ledger as one uninterrupted run" "$(sum ref.db | tr '\n' ' ')" "$(sum t.db | tr '\n' ' ')"
expect "no duplicates" "60000 60000" \
  "$(q t.db "SELECT count(*), count(DISTINCT request_id) FROM gateway_events" | tr '\t' ' ')"
exit $fail
