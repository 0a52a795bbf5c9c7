#!/bin/sh
# A version-1 database (tests/migration/schema-v1.sql, filled with the rows
# of the samples, links included) is brought to the current version by the
# first read-write open: the same tables, columns and indexes as a new
# database, every row kept, and the same report afterwards. A read-only
# command refuses it instead of touching it.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

sq() { sqlite3 -batch -noheader "$@"; }
run() {
  "$RA" run --db "$1" --map "$SRC/samples/map.csv" --gateway "$SRC/samples/gateway" \
    --proxy "$SRC/samples/proxy" --since 2026-11-24 --until 2026-11-25 2>/dev/null
}
# every table and view, column and index as the schema defines them
shape() {
  sq "$1" "SELECT m.type, m.name, coalesce(group_concat(p.name || ':' || p.type ||
                  ':' || p.\"notnull\" || ':' || p.pk, ','), '')
           FROM sqlite_master m LEFT JOIN pragma_table_info(m.name) p
           WHERE m.name NOT LIKE 'sqlite_%' GROUP BY m.type, m.name
           ORDER BY m.type, m.name;
           SELECT name, sql FROM sqlite_master WHERE type = 'index'
             AND sql IS NOT NULL ORDER BY name"
}
# count and a checksum of every table's rows
rows() {
  for t in files rejects gateway_events proxy_events map links runs bans findings; do
    cols=$(sq "$1" "SELECT group_concat('quote(' || name || ')', '||')
                    FROM pragma_table_info('$t')")
    printf '%s %s\n' "$t" "$(sq "$1" "SELECT count(*), total(length($cols)),
                                        total(unicode(substr($cols, -3)))
                                 FROM $t")"
  done
}

run new.db >new.txt
# The same content in a version-1 database, table by table.
sq v1.db <"$SRC/tests/migration/schema-v1.sql"
sq v1.db "PRAGMA user_version = 1"
for t in files rejects gateway_events proxy_events map links runs bans findings; do
  sq v1.db "ATTACH 'new.db' AS n; INSERT INTO main.$t SELECT * FROM n.$t"
done
expect "the fixture is version 1 with links" "1 231" \
  "$(sq v1.db 'PRAGMA user_version' | tr '\n' ' ')$(sq v1.db 'SELECT count(*) FROM links')"
links_before=$(sq v1.db "SELECT group_concat(gateway_id || '-' || proxy_id || method || dt_ms)
                          FROM (SELECT * FROM links ORDER BY gateway_id)")

"$RA" query --db v1.db "SELECT 1" >/dev/null 2>err
expect "read-only open refuses an old version" \
  "relayaudit: 'v1.db' has another schema version; open it read-write once to migrate" \
  "$(cat err)"
expect "... and leaves it at version 1" 1 "$(sq v1.db 'PRAGMA user_version')"

# An ingest of files already in the ledger: the migration and nothing else.
"$RA" ingest --db v1.db --format squid "$SRC/samples/proxy" 2>mig.err
expect "migrated to version 4" 4 "$(sq v1.db 'PRAGMA user_version')"
expect "... and said so" \
  "relayaudit: 'v1.db': migrating from schema version 1 to 4 (once; a large database takes a while)" \
  "$(grep migrating mig.err)"
expect "no row lost or added" "$(rows new.db)" "$(rows v1.db)"
expect "links kept pair for pair" "$links_before" \
  "$(sq v1.db "SELECT group_concat(gateway_id || '-' || proxy_id || method || dt_ms)
               FROM (SELECT * FROM links ORDER BY gateway_id)")"
expect "links are unique after the migration, proxy side" 1 \
  "$(sq v1.db 'INSERT INTO link_rows SELECT proxy_id, gateway_id + 100000, by_session, dt_ms
               FROM link_rows LIMIT 1' 2>&1 | grep -c 'UNIQUE constraint failed: link_rows.proxy_id')"
expect "... and gateway side" 1 \
  "$(sq v1.db 'INSERT INTO link_rows SELECT proxy_id + 100000, gateway_id, by_session, dt_ms
               FROM link_rows LIMIT 1' 2>&1 | grep -c 'UNIQUE constraint failed: link_rows.gateway_id')"

run v1.db >v1.txt
expect "same tables, columns and indexes as a new database" \
  "$(shape new.db)" "$(shape v1.db)"
expect "the same report from the migrated database (but its run number)" \
  "$(sed 1d new.txt)" "$(sed 1d v1.txt)"
expect "the migrated database's run is its second" 2 \
  "$(sq v1.db 'SELECT max(id) FROM runs')"
exit $fail
