#!/bin/sh
set -eu
bin=$1
db=${RELAYAUDIT_DB:-build/samples.db}
rm -f "$db" "$db-wal" "$db-shm"
"$bin" ingest --db "$db" --source map samples/map.csv
"$bin" ingest --db "$db" --source gateway samples/gateway
"$bin" ingest --db "$db" --source proxy samples/proxy
"$bin" query --db "$db" "SELECT (SELECT count(*) FROM gateway_events) AS gateway_events, (SELECT count(*) FROM proxy_events) AS proxy_events, (SELECT count(*) FROM map) AS map_rows, (SELECT count(*) FROM rejects) AS rejects"
