#!/bin/sh
# Hostile input: each case is a clear error or a counted reject, never a
# crash, a hang or lost rows already stored. The run goes on.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
S='1795515302.117    245 192.0.2.10 TCP_TUNNEL/200 5120 CONNECT api.openai.com:443 brd-customer-h-zone-isp-session-s1 HIER_DIRECT/203.0.113.7 -'
ing() { "$RA" ingest --db t.db "$@" 2>err.txt; echo $?; }
rows() { q t.db "SELECT (SELECT count(*) FROM proxy_events) + (SELECT count(*) FROM gateway_events)"; }

echo "$S" >good.log
ing --format squid good.log >/dev/null
expect "baseline row" 1 "$(rows)"

: >empty.log
expect "empty file: nothing to read, exit 0" 0 "$(ing --format squid empty.log)"
expect "empty file: said so" 1 "$(grep -c "is empty" err.txt)"
: >empty.gz
expect "0-byte .gz" 0 "$(ing empty.gz)"
printf '\037\213garbage that is not deflate' >garbage.gz
expect "garbage .gz: exit 1" 1 "$(ing --format squid garbage.gz)"
expect "garbage .gz: names the file" 1 "$(grep -c "garbage.gz" err.txt)"
{ echo "$S"; echo "$S" | sed 's/s1/s2/'; } | gzip -c -n >two.gz
head -c 60 two.gz >cut.gz
expect "gzip truncated mid-member: exit 1" 1 "$(ing --format squid cut.gz)"

# a 50 MB single line between two good ones: a too_long reject, memory
# bounded (reading it must not buffer it)
{ echo "$S" | sed 's/s1/a1/'; head -c 52428800 /dev/zero | tr '\0' 'x'; echo; echo "$S" | sed 's/s1/a2/'; } >long.log
/usr/bin/time -f "%M" -o rss.txt "$RA" ingest --db t.db --format squid long.log 2>err.txt
expect "50 MB line: rejected as too_long" "too_long" "$(q t.db "SELECT reason FROM rejects WHERE path = 'long.log'")"
expect "50 MB line: the lines around it are read" "a1 a2 " "$(q t.db "SELECT egress_session FROM proxy_events WHERE egress_session LIKE 'a_' ORDER BY 1" | tr '\n' ' ')"
expect "50 MB line: peak RSS under 64 MiB" yes "$(awk '{ print ($1 < 65536 ? "yes" : "no: " $1 " KiB") }' rss.txt)"
expect "50 MB line: excerpt capped" 200 "$(q t.db "SELECT length(excerpt) FROM rejects WHERE path = 'long.log'")"

printf '%s\n' "$S" | sed 's/s1/n1/; s/CONNECT api/CONNECT a\x00pi/' >nul.log
expect "NUL byte: exit 0" 0 "$(ing --format squid nul.log)"
expect "NUL byte: kept escaped" 'a\x00pi.openai.com:443' "$(q t.db "SELECT url FROM proxy_events WHERE egress_session = 'n1'")"
# a bad byte only in the last 8 of 10 bytes, or in 7; valid UTF-8 kept
printf '%s\n' "$S" | sed 's/s1/n2/; s/CONNECT api.openai.com/CONN\xc3\x89CT ab.cd.ef\xff/; s/HIER_DIRECT\/203.0.113.7/HIER_DIRECT\/a\xfe/' >high.log
expect "high bytes: exit 0" 0 "$(ing --format squid high.log)"
# hosts and countries in lower case: a capital in a short host, in the last
# 8 of 10 bytes, in the first 8 of 19
k=0
for h in aB.cd ab.cd.efG Api.openai.com.test; do
    k=$((k + 1))
    printf '%s\n' "$S" | sed "s/s1/cap$k/; s/api.openai.com/$h/; s/zone-isp/zone-isp-country-US/"
done >caps.log
expect "capitals: exit 0" 0 "$(ing --format squid caps.log)"
expect "capitals: hosts and countries lowered" 'ab.cd us ab.cd.efg us api.openai.com.test us ' "$(q t.db "SELECT dest_host, country FROM proxy_events WHERE egress_session LIKE 'cap_' ORDER BY id" | tr '\t\n' '  ')"
expect "high bytes: escaped where not UTF-8" 'ab.cd.ef\xff:443 a\xfe CONNÉCT' "$(q t.db "SELECT url || ' ' || upstream_addr || ' ' || method FROM proxy_events WHERE egress_session = 'n2'")"

printf '%s\r%s\r' "$S" "$S" >cr.log
expect "CR-only plain file: one open last line, left unread" 0 "$(ing --format squid cr.log)"
expect "CR-only plain file: said so" 1 "$(grep -c "does not parse yet" err.txt)"
printf '%s\r%s\r' "$S" "$S" | gzip -c -n >cr.gz
expect "CR-only .gz: exit 1 (no record under --format)" 1 "$(ing --format squid cr.gz)"
expect "CR-only .gz: one reject" 1 "$(q t.db "SELECT count(*) FROM rejects WHERE path = 'cr.gz'")"
printf '%s\r\n%s\n' "$(echo "$S" | sed 's/s1/m1/')" "$(echo "$S" | sed 's/s1/m2/')" >mixed.log
expect "mixed line ends" 0 "$(ing --format squid mixed.log)"
expect "mixed line ends: both read" 2 "$(q t.db "SELECT count(*) FROM proxy_events WHERE egress_session IN ('m1', 'm2')")"

deep=$(head -c 10000 /dev/zero | tr '\0' '[')
printf '{"ts":"2026-11-24T10:00:00Z","caller":"ok"}\n{"ts":"2026-11-24T10:00:00Z","x":%s}\n' "$deep" >deep.log
expect "10,000-deep JSON: exit 0" 0 "$(ing --format relayaudit-jsonl deep.log)"
expect "10,000-deep JSON: a reject" "invalid JSON" "$(q t.db "SELECT reason FROM rejects WHERE path = 'deep.log'")"

cat >edge.log <<'EOT'
{"ts":"2026-11-24T10:00:00Z","caller":"big","status":99999999999999999999}
{"ts":"2026-11-24T10:00:00Z","caller":"big2","tokens_in":"123456789012345678901234"}
{"ts":"1969-07-20T20:17:40Z","caller":"moon"}
{"ts":"2150-01-01T00:00:00Z","caller":"future"}
{"ts":-14182940,"caller":"moon-epoch"}
{"ts":"2026-11-24T10:00:00Z","caller":"'); DROP TABLE files;--","session":"%s%n%x","team":"quote\" back\\slash"}
EOT
expect "edge values: exit 0" 0 "$(ing --format relayaudit-jsonl edge.log)"
expect "integers beyond int64 are rejects" "status: integer out of range;tokens_in: integer out of range;" \
  "$(q t.db "SELECT reason FROM rejects WHERE path = 'edge.log' ORDER BY line_no" | tr '\n' ';')"
expect "before 1970 and after 2100" "moon 1969-07-20T20:17:40Z;future 2150-01-01T00:00:00Z;moon-epoch 1969-07-20T20:17:40Z;" \
  "$(q t.db "SELECT caller || ' ' || ra_iso(ts) FROM gateway_events WHERE caller IN ('moon', 'future', 'moon-epoch') ORDER BY id" | tr '\n' ';')"
expect "SQL and format strings stored verbatim" "'); DROP TABLE files;--|%s%n%x|quote\" back\\slash" \
  "$(q t.db "SELECT caller || '|' || session || '|' || team FROM gateway_events WHERE session LIKE '%\%n%' ESCAPE '\\'")"
expect "files table still there" yes "$(q t.db "SELECT count(*) > 0 FROM files" | sed 's/1/yes/')"

mkdir names
echo "$S" | sed 's/s1/w1/' >"names/with space.log"
echo "$S" | sed 's/s1/w2/' >"names/quo\"te's.log"
echo "$S" | sed 's/s1/w3/' >"names/new
line.log"
expect "odd file names" 0 "$(ing --format squid names)"
expect "odd file names: all read" 3 "$(q t.db "SELECT count(*) FROM proxy_events WHERE egress_session LIKE 'w_'")"

mkdir -p loop/sub
echo "$S" | sed 's/s1/l1/' >loop/sub/x.log
ln -s .. loop/sub/up
expect "symlink loop: exit 0" 0 "$(ing --format squid loop)"
expect "symlink loop: reported" 1 "$(grep -c "loops back" err.txt)"
expect "symlink loop: file read once" 1 "$(q t.db "SELECT count(*) FROM proxy_events WHERE egress_session = 'l1'")"

mkdir -p nofiles/sub
echo "$S" >nofiles/.hidden.log
expect "a directory without files: exit 0" 0 "$(ing --format squid nofiles)"
expect "a directory without files: said" "relayaudit: 'nofiles' holds no file to read (names starting with '.' are skipped)" "$(cat err.txt)"

echo "$S" | sed 's/s1/u1/' >unreadable.log
chmod 000 unreadable.log
if [ "$(id -u)" = 0 ]; then
  chmod 777 . && chmod 666 t.db t.db-wal t.db-shm t.db-claims 2>/dev/null
  setpriv --reuid=65534 --regid=65534 --clear-groups "$RA" ingest --db t.db --format squid unreadable.log good.log 2>err.txt
  urc=$?
else
  "$RA" ingest --db t.db --format squid unreadable.log good.log 2>err.txt
  urc=$?
fi
expect "unreadable file: exit 1" 1 "$urc"
expect "unreadable file: clear message" 1 "$(grep -c "cannot open 'unreadable.log': Permission denied" err.txt)"
expect "unreadable file: the other file still seen" 1 "$(grep -c "good.log" err.txt)"

expect "nothing stored before was lost" 1 "$(q t.db "SELECT count(*) FROM proxy_events WHERE egress_session = 's1'")"
expect "integrity" ok "$(q t.db 'PRAGMA integrity_check')"

# Only ingest makes a database: a mistyped --db for analyze, report, query
# or run (with nothing to ingest) is an error, and no file is left.
for cmd in analyze report query run; do
  sql=; [ $cmd = query ] && sql="SELECT 1"
  "$RA" $cmd --db typo.db ${sql:+"$sql"} >/dev/null 2>err.txt
  expect "$cmd, no database: exit 1" 1 "$?"
  expect "$cmd, no database: said" "relayaudit: no database 'typo.db' (relayaudit ingest makes one)" "$(cat err.txt)"
done
expect "no database made" "" "$(ls typo.db* 2>/dev/null)"
exit $fail
