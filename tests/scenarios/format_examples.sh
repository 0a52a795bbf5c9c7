#!/bin/sh
# Every built-in format's example lines parse into a record (or a known
# skip), so a definition's documentation cannot rot.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
n=0
for f in $("$RA" formats | cut -d' ' -f1); do
  out=$("$RA" formats "$f")
  n=$((n + 1))
  expect "$f examples parse" "" "$(printf '%s\n' "$out" | grep 'rejected:')"
  expect "$f has an example" "yes" "$(printf '%s\n' "$out" | grep -q '^gives:' && echo yes)"
done
expect "formats listed" 16 "$n"
exit $fail
