#!/bin/sh
# run.sh BIN -- `make bench`: relayaudit beside zcat, sqlite3 .import and
# GoAccess (scripts/deps.sh --bench installs it; its row is left out when it
# is missing) on the same generated inputs, in the same run,
# with peak RSS and ratios. Figures only; nothing here passes or fails.
#   BENCH_LINES=N   lines per input [1000000]
#   BENCH_JSON=0    skip the JSON library comparison
#   BENCH_BIG=1     also the scale checks: 20 M lines, a 1 GB archive re-run
#   BENCH_RUNS=R    each row of the first table R times, the median
#                   reported (this VM drifts; the ratios compare them) [3]
#   BENCH_PAIR_RUNS=R  ingest + analyze of the event pairs R times, medians
#                   reported [3]
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
if [ ! -s "$dir/pair-$N/gateway.jsonl" ]; then
  mkdir -p "$dir/pair-$N"
  "$dir/ra_gen" pair "$N" "$dir/pair-$N"
fi

# run LABEL CMD...: time (s) and peak RSS (KiB) into $secs and $kib
run() {
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/err.txt" ||
    { echo "failed: $*" >&2; cat "$dir/err.txt" >&2; }
  read -r secs kib <"$dir/time.txt"
}
# row LABEL LINES [BASE_SECS [WHAT]]: one line of the table; the ratio is
# BASE_SECS / this time (speed-up over the base), or with WHAT = "slower"
# this time / BASE_SECS
row() {
  awk -v l="$1" -v n="$2" -v s="$secs" -v k="$kib" -v b="${3:-0}" -v w="${4:-}" 'BEGIN {
    r = (s > 0 && n > 0 ? sprintf("%10.0f/s", n / s) : "")
    x = ""
    if (b > 0 && s > 0)
      x = (w == "slower" ? sprintf("%.2fx the time of the ingest", s / b) \
                         : sprintf("%.2fx", b / s))
    printf "| %-46s | %7.2f s | %12s | %7.1f MiB | %s |\n", l, s, r, k / 1024, x }'
}
fresh() { rm -f "$dir"/b.db "$dir"/b.db-wal "$dir"/b.db-shm "$dir"/b.db-claims; }
# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# check_cores: two zcats side by side, the time in $secs. They take one
# zcat's time when both cores run at full speed. This VM has slow bursts
# of seconds that slow the runs keeping both cores busy (relayaudit's
# ingests): run right after each of those, this shows a burst in the
# seconds it slows them.
one_zcat="zcat '$dir/squid-$N.log.gz'"
two_zcats="$one_zcat & $one_zcat; wait"
check_cores() { run sh -c "$two_zcats"; }
# med LABEL CMD...: CMD BENCH_RUNS times, each after $prep (fresh: into a
# new b.db) and, with $check set, followed by it; $secs the median, $kib
# the largest peak RSS; the runs listed in $dir/runs.txt, each with the
# check's time after it
prep=fresh check=
med() {
  label=$1
  shift
  t="" c="" k=0 i=0
  while [ "$i" -lt "${BENCH_RUNS:-3}" ]; do
    i=$((i + 1))
    $prep
    run "$@"
    t="$t $secs"
    k=$((kib > k ? kib : k))
    if [ -n "$check" ]; then
      s=$secs
      $check
      c="$c $secs" secs=$s
    fi
  done
  secs=$(echo $t | tr ' ' '\n' | median) kib=$k
  echo "    $label:$t s${c:+ (two zcats at once right after each:$c s)}" \
    >>"$dir/runs.txt"
}
# pair_rows DB DIR N: ingest DIR's N gateway + N proxy events into a fresh
# DB, then analyze them, BENCH_PAIR_RUNS times; two rows (the medians, the
# largest peak RSS), analyze's with its ratio to the ingest. The steps
# printed after are the last run's.
pair_rows() {
  ing_t="" ana_t="" ing_k=0 ana_k=0
  r=0
  while [ "$r" -lt "${BENCH_PAIR_RUNS:-3}" ]; do
    r=$((r + 1))
    rm -f "$1" "$1-wal" "$1-shm" "$1-claims"
    run "$RA" ingest --db "$1" --format relayaudit-jsonl "$2/gateway.jsonl"
    s1=$secs k1=$kib
    run "$RA" ingest --db "$1" --format squid "$2/access.log"
    ing_t="$ing_t $(awk -v a="$s1" -v b="$secs" 'BEGIN { print a + b }')"
    ing_k=$(( k1 > ing_k ? k1 : ing_k )); ing_k=$(( kib > ing_k ? kib : ing_k ))
    RELAYAUDIT_TIMINGS=1 run "$RA" analyze --db "$1"
    ana_t="$ana_t $secs"
    ana_k=$(( kib > ana_k ? kib : ana_k ))
  done
  ing=$(echo $ing_t | tr ' ' '\n' | median)
  secs=$ing kib=$ing_k
  row "relayaudit ingest gateway + proxy (2 x $3 events)" "$((2 * $3))"
  secs=$(echo $ana_t | tr ' ' '\n' | median) kib=$ana_k
  row "relayaudit analyze of those events" "$((2 * $3))" "$ing" slower
  { echo "    (each of $r runs: ingest$ing_t s; analyze$ana_t s)"
    grep -E "indexes [0-9]|findings" "$dir/err.txt" | sed 's/^relayaudit: /    /'
  } >"$dir/pair-runs.txt"
}

echo
echo "inputs: $N lines each: Squid $(du -h "$dir/squid-$N.log" | cut -f1) plain," \
     "$(du -h "$dir/squid-$N.log.gz" | cut -f1) gzipped; relayaudit-jsonl" \
     "$(du -h "$dir/gateway-$N.jsonl" | cut -f1)"
echo "machine: $(nproc) cores, $(uname -sr), sqlite $(sqlite3 --version | cut -d' ' -f1)"
echo
echo "| command | time | lines/s | peak RSS | speed vs sqlite3 .import |"
echo "| --- | --- | --- | --- | --- |"
: >"$dir/runs.txt"
med zcat sh -c "$one_zcat"
row "zcat squid.log.gz > /dev/null" "$N"
med "2 zcat at once" sh -c "$two_zcats"
row "2 x zcat at once (both cores busy)" "$((2 * N))"
med ".import" sqlite3 "$dir/b.db" ".mode csv" ".import $dir/squid-$N.csv t"
imp=$secs
row "sqlite3 .import (same records as CSV)" "$N" "$imp"
if command -v goaccess >/dev/null; then
  # GoAccess 1.7's predefined SQUID format parses none of these lines
  # ("doesn't match specifier '%x'"): `logformat squid` spelled out.
  med goaccess goaccess "$dir/squid-$N.log" --no-global-config --no-progress \
    --log-format='%x.%^ %~%L %h %^/%s %b %m %U %^' \
    --date-format=%s --time-format=%s -o "$dir/ga.json"
  row "goaccess (squid log to JSON)" "$N" "$imp"
fi
check=check_cores
med "squid plain" "$RA" ingest --db "$dir/b.db" --format squid "$dir/squid-$N.log"
row "relayaudit ingest squid (plain)" "$N" "$imp"
med "squid .gz" "$RA" ingest --db "$dir/b.db" --format squid "$dir/squid-$N.log.gz"
row "relayaudit ingest squid (.gz)" "$N" "$imp"
run "$RA" ingest --db "$dir/b.db" --format squid "$dir/squid-$N.log.gz" "$dir/squid-$N.log"
row "relayaudit re-run over the same files (ledger)" 0
med jsonl "$RA" ingest --db "$dir/b.db" --format relayaudit-jsonl "$dir/gateway-$N.jsonl"
check=
row "relayaudit ingest relayaudit-jsonl" "$N" "$imp"

# analysis: N gateway events + the N proxy tunnels they opened
fresh
pair_rows "$dir/b.db" "$dir/pair-$N" "$N"
# the same events with a map that declares each account's egress session
# (the map's checks read every link: sticky_break_declared)
map=$dir/pair-$N/map.csv
if [ ! -s "$map" ]; then
  { echo "caller,account,egress_session,country,max_callers"
    grep -o '"account":"[^"]*","egress_session":"[^"]*"' \
      "$dir/pair-$N/gateway.jsonl" | sort -u |
      sed 's/"account":"\([^"]*\)","egress_session":"\([^"]*\)"/,\1,\2,,/'
  } >"$map.tmp" && mv "$map.tmp" "$map"
fi
fresh
"$RA" ingest --db "$dir/b.db" --source map "$map" 2>/dev/null
"$RA" ingest --db "$dir/b.db" --format relayaudit-jsonl \
  "$dir/pair-$N/gateway.jsonl" 2>/dev/null
"$RA" ingest --db "$dir/b.db" --format squid "$dir/pair-$N/access.log" \
  2>/dev/null
# each run analyzes a copy of the ingested database
copy_map() {
  rm -f "$dir"/m.db "$dir"/m.db-wal "$dir"/m.db-shm "$dir"/m.db-claims
  cp "$dir/b.db" "$dir/m.db"
}
prep=copy_map
med "analyze with the map" env RELAYAUDIT_TIMINGS=1 "$RA" analyze --db "$dir/m.db"
prep=fresh
row "relayaudit analyze, with a map of the accounts" "$((2 * N))" "$ing" slower
grep -E "indexes [0-9]" "$dir/err.txt" | sed 's/^relayaudit: /    map: /' \
  >"$dir/map-steps.txt"
echo
echo "each of ${BENCH_RUNS:-3} runs (medians in the table):"
cat "$dir/runs.txt"
echo
echo "analyze: $N gateway events + the $N proxy tunnels they opened"
cat "$dir/pair-runs.txt" "$dir/map-steps.txt"

if [ "${BENCH_JSON:-1}" = 1 ]; then
  echo
  echo "JSON libraries on 200k relayaudit-jsonl lines (docs/json-library.md):"
  head -n 200000 "$dir/gateway-$N.jsonl" >"$dir/json-200k.jsonl"
  # jsmn is a header alone: no pkg-config entry
  for lib in JANSSON:jansson JSONC:json-c YAJL:yajl JSMN: CJSON:libcjson; do
    d=${lib%%:*} p=${lib#*:}
    # shellcheck disable=SC2046
    cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -DUSE_$d -o "$dir/jc_$d" \
      bench/json_choice.c ${p:+$(pkg-config --cflags --libs "$p")}
    "$dir/jc_$d" "$dir/json-200k.jsonl"
  done
fi

# BENCH_BIG=1: the scale checks of issue 6 -- peak RSS at 20 M Squid lines
# (against 1 M above) and a nightly re-run over an unchanged archive of
# more than 1 GB (rotated files, everything already in the ledger).
if [ "${BENCH_BIG:-0}" = 1 ]; then
  big=$dir/big
  mkdir -p "$big/archive"
  if [ ! -s "$big/squid-20M.log.gz" ]; then
    echo "generating 20 M Squid lines..." >&2
    "$dir/ra_gen" squid 20000000 | gzip -1 >"$big/squid-20M.log.gz"
  fi
  if [ ! -s "$big/archive/access.log.1" ]; then
    # 8 rotated files of 1 M lines each (~1.2 GB), the oldest gzipped
    zcat "$big/squid-20M.log.gz" | head -n 8000000 |
      split -l 1000000 -a 1 --numeric-suffixes=1 - "$big/archive/access.log."
    gzip -1 "$big/archive/access.log.8"
  fi
  echo
  echo "scale: $(du -h "$big/squid-20M.log.gz" | cut -f1) gzipped (20 M lines)," \
       "archive $(du -sh "$big/archive" | cut -f1) in $(ls "$big/archive" | wc -l) files"
  echo
  echo "| command | time | lines/s | peak RSS | |"
  echo "| --- | --- | --- | --- | --- |"
  rm -f "$big"/s.db*
  run "$RA" ingest --db "$big/s.db" --format squid "$big/squid-20M.log.gz"
  row "relayaudit ingest squid (.gz), 20 M lines" 20000000
  rm -f "$big"/s.db*
  run "$RA" ingest --db "$big/s.db" --format squid "$big/archive"
  row "relayaudit ingest archive (first run)" 8000000
  run "$RA" ingest --db "$big/s.db" --format squid "$big/archive"
  row "relayaudit re-run, archive unchanged" 0
  rm -f "$big"/s.db*

  # analyze at the scale issue 6 names: 5 M gateway + 5 M proxy events
  if [ ! -s "$big/pair-5M/gateway.jsonl" ]; then
    mkdir -p "$big/pair-5M"
    "$dir/ra_gen" pair 5000000 "$big/pair-5M"
  fi
  echo
  echo "| step (5 M gateway + 5 M proxy events) | time | events/s | peak RSS | |"
  echo "| --- | --- | --- | --- | --- |"
  pair_rows "$big/s.db" "$big/pair-5M" 5000000
  echo
  cat "$dir/pair-runs.txt"
  rm -f "$big"/s.db*
fi
