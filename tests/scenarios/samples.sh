#!/bin/sh
# The planted anomalies of samples/ (samples/README.md, written by hand from
# scripts/gen.c) are all found, and nothing else is.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

"$RA" run --db t.db --map "$SRC/samples/map.csv" --gateway "$SRC/samples/gateway" \
  --proxy "$SRC/samples/proxy" --since 2026-11-24 --until 2026-11-25 >/dev/null 2>&1
got=$(q t.db "SELECT kind || ' ' || severity || ' ' || coalesce(sub, '-') || ' ' ||
              coalesce(account, caller, session, egress_session, '-')
              FROM findings ORDER BY 1" | tr '\n' ';')
# P1, P3, P4, P5 (twice), P6, P7, P8, P9, P11, P11b, P12, P13, P14
want="header_variant high leak oa-pool-04;\
header_variant low caller_drift team-b/batch;\
header_variant low route_variant gm-01;\
header_variant medium account_mix an-01;\
header_variant medium caller_drift team-e/research;\
shared_account medium - oa-pool-02;\
sticky_break high country acct03a;\
sticky_break high declared an-01;\
sticky_break high declared oa-pool-03;\
sticky_break medium account s-web-hop;\
sticky_break medium egress_ip acct01a;\
unmapped_ban high ban oa-pool-04;\
unmapped_ban medium blocked acct77x;\
unmapped_ban medium quota gm-02;"
expect "the planted findings, and only those" "$want" "$got"
expect "P1 callers" "team-b/batch,team-c/agent" \
  "$(q t.db "SELECT group_concat(c.value->>'caller') FROM findings, json_each(evidence, '$.callers') c WHERE kind = 'shared_account'")"
expect "P1 window" "2026-11-24T13:00:00Z 2026-11-24T14:00:00Z" \
  "$(q t.db "SELECT evidence->>'window_start' || ' ' || (evidence->>'window_end') FROM findings WHERE kind = 'shared_account'")"
expect "P5 country switches" "2" \
  "$(q t.db "SELECT evidence->>'switches' FROM findings WHERE sub = 'country'")"
expect "P7 candidates" '["team-a/web","team-d/eval"]' \
  "$(q t.db "SELECT evidence->'candidates' FROM findings WHERE sub = 'ban'")"
expect "P10 attributed bans" "an-02 rate_limit own team-f/support;oa-pool-03 ban own team-a/ci-bot;" \
  "$(q t.db "SELECT account || ' ' || class || ' ' || attribution || ' ' || caller FROM bans WHERE attribution = 'own' ORDER BY 1" | tr '\n' ';')"
expect "ban-class events" "5" "$(q t.db 'SELECT count(*) FROM bans')"
expect "every gateway event linked" "231 231" \
  "$(q t.db "SELECT (SELECT count(*) FROM gateway_events) || ' ' || (SELECT count(*) FROM links)")"

# A map that cannot be read fails the run (exit 1) and stops no other
# ingest: every gateway and proxy event is stored, the report written.
"$RA" run --db nomap.db --map missing.csv --gateway "$SRC/samples/gateway" \
  --proxy "$SRC/samples/proxy" --since 2026-11-24 --until 2026-11-25 \
  --format csv -o nomap.csv 2>/dev/null
expect "a map that cannot be read: exit 1" 1 "$?"
events="SELECT (SELECT count(*) FROM gateway_events) || ' ' || (SELECT count(*) FROM proxy_events)"
expect "a map that cannot be read: every event stored" "$(q t.db "$events")" "$(q nomap.db "$events")"
expect "a map that cannot be read: the report written" "$(q nomap.db 'SELECT count(*) + 1 FROM findings')" "$(wc -l <nomap.csv | tr -d ' ')"

# -o writes through a temporary file, and the report gets the mode writing
# it in place would give: the umask's when new, its own when replaced.
(umask 022 && "$RA" report --db t.db -o mode.txt)
expect "report -o: a new file by the umask (022)" 644 "$(stat -c %a mode.txt)"
chmod 640 mode.txt
(umask 022 && "$RA" report --db t.db -o mode.txt)
expect "report -o: a replaced file keeps its mode" 640 "$(stat -c %a mode.txt)"
rm mode.txt
(umask 077 && "$RA" report --db t.db -o mode.txt)
expect "report -o: a new file by the umask (077)" 600 "$(stat -c %a mode.txt)"
expect "report -o: no temporary file left" "mode.txt" "$(ls mode.txt*)"
exit $fail
