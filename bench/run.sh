#!/bin/sh
# run.sh BIN -- `make bench`: relayaudit beside zcat and sqlite3 .import on
# the same generated inputs, in the same run, with peak RSS. Figures only;
# nothing here passes or fails.
set -eu
RA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
N=${BENCH_LINES:-1000000}
dir=build/bench
mkdir -p "$dir"
export RELAYAUDIT_DATADIR=$PWD

cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$dir/ra_gen" scripts/gen.c
if [ ! -s "$dir/squid-$N.log" ]; then
  echo "generating $N lines of each input..." >&2
  "$dir/ra_gen" squid "$N" >"$dir/squid-$N.log"
  gzip -c -6 "$dir/squid-$N.log" >"$dir/squid-$N.log.gz"
  "$dir/ra_gen" squid-csv "$N" >"$dir/squid-$N.csv"
  "$dir/ra_gen" jsonl "$N" >"$dir/gateway-$N.jsonl"
fi

# measure LABEL LINES CMD... : prints one row; time and peak RSS from
# /usr/bin/time (elapsed seconds, max resident KiB).
measure() {
  label=$1 lines=$2
  shift 2
  rm -f "$dir"/b.db "$dir"/b.db-wal "$dir"/b.db-shm
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/err.txt" ||
    { echo "$label: failed:" >&2; cat "$dir/err.txt" >&2; }
  read -r secs kib <"$dir/time.txt"
  awk -v l="$label" -v s="$secs" -v k="$kib" -v n="$lines" 'BEGIN {
    printf "%-44s %8.2f s %12.0f lines/s %8.1f MiB\n", l, s, (s > 0 ? n / s : 0), k / 1024 }'
}

echo
echo "inputs: $N lines each ($(du -h "$dir/squid-$N.log" | cut -f1) Squid plain," \
     "$(du -h "$dir/squid-$N.log.gz" | cut -f1) gzipped," \
     "$(du -h "$dir/gateway-$N.jsonl" | cut -f1) relayaudit-jsonl)"
echo "machine: $(nproc) cores, $(uname -sr), $(sqlite3 --version | cut -d' ' -f1) sqlite3"
echo
printf "%-44s %10s %20s %12s\n" "command" "time" "rate" "peak RSS"
measure "zcat squid.log.gz > /dev/null" "$N" sh -c "zcat '$dir/squid-$N.log.gz'"
measure "sqlite3 .import (same records as CSV)" "$N" \
  sqlite3 "$dir/b.db" ".mode csv" ".import $dir/squid-$N.csv t"
measure "relayaudit ingest squid (plain)" "$N" \
  "$RA" ingest --db "$dir/b.db" --format squid "$dir/squid-$N.log"
measure "relayaudit ingest squid (.gz)" "$N" \
  "$RA" ingest --db "$dir/b.db" --format squid "$dir/squid-$N.log.gz"
measure "relayaudit ingest relayaudit-jsonl" "$N" \
  "$RA" ingest --db "$dir/b.db" --format relayaudit-jsonl "$dir/gateway-$N.jsonl"
measure "relayaudit re-ingest, unchanged (ledger)" "$N" sh -c \
  "'$RA' ingest --db '$dir/b.db' --format squid '$dir/squid-$N.log.gz' 2>/dev/null &&
   '$RA' ingest --db '$dir/b.db' --format squid '$dir/squid-$N.log.gz'"

# Analysis: N gateway events and the N proxy tunnels they opened.
if [ ! -s "$dir/pair-$N/gateway.jsonl" ]; then
  mkdir -p "$dir/pair-$N"
  "$dir/ra_gen" pair "$N" "$dir/pair-$N"
fi
echo
echo "analysis input: $N gateway events + $N proxy events"
printf "%-44s %10s %20s %12s\n" "command" "time" "rate" "peak RSS"
rm -f "$dir"/a.db*
/usr/bin/time -f "%e %M" -o "$dir/time.txt" "$RA" ingest --db "$dir/a.db" \
  --format relayaudit-jsonl "$dir/pair-$N/gateway.jsonl" 2>/dev/null
read -r s1 k1 <"$dir/time.txt"
/usr/bin/time -f "%e %M" -o "$dir/time.txt" "$RA" ingest --db "$dir/a.db" \
  --format squid "$dir/pair-$N/access.log" 2>/dev/null
read -r s2 k2 <"$dir/time.txt"
awk -v s="$s1" -v t="$s2" -v k="$k1" -v l="$k2" -v n="$N" 'BEGIN {
  printf "%-44s %8.2f s %12.0f lines/s %8.1f MiB\n", "relayaudit ingest (gateway + proxy)", s + t,
    2 * n / (s + t), (k > l ? k : l) / 1024 }'
/usr/bin/time -f "%e %M" -o "$dir/time.txt" "$RA" analyze --db "$dir/a.db" 2>"$dir/err.txt"
read -r s3 k3 <"$dir/time.txt"
awk -v s="$s3" -v k="$k3" -v n="$N" 'BEGIN {
  printf "%-44s %8.2f s %12.0f events/s %7.1f MiB\n", "relayaudit analyze (all of it)", s, 2 * n / s, k / 1024 }'
cat "$dir/err.txt"

if [ "${BENCH_JSON:-1}" = 1 ]; then
  echo
  echo "JSON libraries on the relayaudit-jsonl input (docs/json-library.md):"
  head -n 200000 "$dir/gateway-$N.jsonl" >"$dir/json-200k.jsonl"
  for lib in JANSSON:jansson JSONC:json-c CJSON:libcjson; do
    d=${lib%%:*} p=${lib#*:}
    # shellcheck disable=SC2046
    cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -DUSE_$d -o "$dir/jc_$d" \
      bench/json_choice.c $(pkg-config --cflags --libs "$p")
    "$dir/jc_$d" "$dir/json-200k.jsonl"
  done
fi
