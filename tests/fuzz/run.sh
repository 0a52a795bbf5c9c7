#!/bin/sh
# run.sh BUILD SECONDS -- every libFuzzer target for SECONDS, starting from
# a copy of its seed corpus; prints the executions each made.
set -u
build=$1
secs=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
export RELAYAUDIT_DATADIR="$src"
status=0
for t in ${FUZZ_TARGETS:-reader regex csv json timestamp username headers}; do
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work" "$build/fuzz-crashes"
  cp -n "$src/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null
  "$build/tests/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-crashes/$t-" "$work" >"$build/fuzz-$t.log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$t.log" | grep -o '[0-9]*$')
  printf '%-10s %12s executions in %ss%s\n' "$t" "${runs:-?}" "$secs" \
    "$([ $rc -ne 0 ] && echo "  FAILED: see $build/fuzz-$t.log")"
  [ $rc -ne 0 ] && status=1
done
exit $status
