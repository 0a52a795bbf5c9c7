#!/bin/sh
# run-samples.sh BIN -- the main job on the bundled samples (`make run`):
# the nightly `run` over the sample day, printing the text report.
set -eu
bin=$1
cd "$(dirname "$0")/.."
export RELAYAUDIT_DATADIR=${RELAYAUDIT_DATADIR:-$PWD}
db=build/samples.db
rm -f "$db" "$db-wal" "$db-shm"
"$bin" run --db "$db" --map samples/map.csv --gateway samples/gateway \
  --proxy samples/proxy --since 2026-11-24 --until 2026-11-25
