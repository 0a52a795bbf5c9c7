#!/bin/sh
# run-samples.sh BIN -- the main job on the bundled samples (`make run`).
set -eu
bin=$1
cd "$(dirname "$0")/.."
export RELAYAUDIT_DATADIR=${RELAYAUDIT_DATADIR:-$PWD}
db=build/samples.db
rm -f "$db" "$db-wal" "$db-shm"
"$bin" ingest --db "$db" --source map samples/map.csv
"$bin" ingest --db "$db" --source gateway samples/gateway
"$bin" ingest --db "$db" --source proxy samples/proxy
"$bin" query --db "$db" "SELECT account, count(*) AS attempts, count(DISTINCT caller) AS callers, sum(status >= 400) AS errors FROM gateway_events GROUP BY account ORDER BY account"
