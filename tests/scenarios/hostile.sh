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
# Compressions zlib does not read (logrotate's compresscmd) and an SQLite
# database: one clear error each, not lines of binary rejected; the files
# around them read.
mkdir packed
printf '\3757zXZ\0\0\4binary' >packed/a.log.4.xz
printf '\050\265\057\375binary' >packed/a.log.3.zst
printf 'BZh91AY&SYbinary' >packed/a.log.2.bz2
printf 'PK\3\4binary' >packed/a.log.1.zip
"$RA" ingest --db packed/old.db --format squid good.log 2>/dev/null
echo "$S" | sed 's/s1/z1/' >packed/a.log
expect "xz, zstd, bzip2, zip, SQLite: exit 1" 1 "$(ing --format squid packed)"
expect "xz, zstd, bzip2, zip, SQLite: one message each" "a.log.1.zip a zip archive: unpack it (unzip)|a.log.2.bz2 bzip2-compressed: decompress it (bzip2 -d)|a.log.3.zst zstd-compressed: decompress it (zstd -d)|a.log.4.xz xz-compressed: decompress it (xz -d)|old.db an SQLite database, not a log" \
  "$(sed -n "s/^relayaudit: 'packed\/\([^']*\)' is \(.*\); relayaudit reads plain and gzip files$/\1 \2/p" err.txt | sort | paste -sd'|')"
expect "xz, zstd, bzip2, zip, SQLite: nothing rejected, the plain file read" "0 1" \
  "$(q t.db "SELECT (SELECT count(*) FROM rejects WHERE path LIKE 'packed/%'), (SELECT count(*) FROM proxy_events WHERE egress_session = 'z1')" | tr '\t' ' ')"
printf 'BZh is a word\n' >bzh.log
ing --format squid bzh.log >/dev/null
expect "'BZh' text is not bzip2: read as text, its line rejected" "0 1" \
  "$(grep -c compressed err.txt) $(q t.db "SELECT count(*) FROM rejects WHERE path = 'bzh.log'")"

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
# copytruncate under a writer that goes on at its old offset: each day's
# file starts with a hole of NUL bytes longer than --max-line. The hole is
# skipped, not a line; every record is read once, through two rotations
# and a gzip; a file is known by its text, not by its hole.
mkdir holes
day() { sz=$(stat -c %s holes/app.log); shift; { head -c "$sz" /dev/zero; for x; do echo "$S" | sed "s/s1/$x/"; done; } >holes/next; }
{ head -c 2000000 /dev/zero; for x in h1 h2; do echo "$S" | sed "s/s1/$x/"; done; } >holes/app.log
expect "hole: exit 0" 0 "$(ing --format squid holes)"
expect "hole: said so" "'holes/app.log': 2000000 NUL bytes skipped, from offset 0" "$(grep -o "^relayaudit: 'holes/app.log': [0-9]* NUL bytes skipped, from offset [0-9]*" err.txt | cut -c13-)"
day holes h3; cp holes/app.log holes/app.log.1; mv holes/next holes/app.log
expect "hole, rotated once: exit 0" 0 "$(ing --format squid holes)"
gzip holes/app.log.1; mv holes/app.log.1.gz holes/app.log.2.gz
day holes h4 h5; cp holes/app.log holes/app.log.1; mv holes/next holes/app.log
echo "$S" | sed 's/s1/h6/' >>holes/app.log
expect "hole, rotated twice: exit 0" 0 "$(ing --format squid holes)"
expect "hole: every record once, none rejected" "h1 h2 h3 h4 h5 h6 |0" \
  "$(q t.db "SELECT egress_session FROM proxy_events WHERE egress_session LIKE 'h_' ORDER BY 1" | tr '\n' ' ')|$(q t.db "SELECT count(*) FROM rejects WHERE path LIKE 'holes/%'")"
expect "hole: the growth's own hole only" "" "$(grep "'holes/app.log.1': .*NUL bytes" err.txt)"
# A ledger row of an earlier relayaudit, fingerprinted over the hole: the
# file is still known (nothing read twice), and takes its text's print.
{ head -c 100000 /dev/zero; echo "$S" | sed 's/s1/o1/'; } >old.log
ing --format squid old.log >/dev/null
q t.db "UPDATE files SET fp = '$(head -c 65536 old.log | sha256sum | cut -c1-64)', fp_len = 65536 WHERE path = 'old.log'" >/dev/null
echo "$S" | sed 's/s1/o2/' >>old.log
ing --format squid old.log >/dev/null
expect "hole, earlier ledger: known, resumed" "resuming at line 2" "$(grep -o 'resuming at line 2' err.txt)"
expect "hole, earlier ledger: each record once" "o1 o2 " "$(q t.db "SELECT egress_session FROM proxy_events WHERE egress_session LIKE 'o_' ORDER BY 1" | tr '\n' ' ')"
head -c 300000 /dev/zero >nuls.log
expect "only NUL bytes: exit 0" 0 "$(ing --format squid nuls.log)"
expect "only NUL bytes: said so" 1 "$(grep -c "'nuls.log' holds only NUL bytes; nothing to read" err.txt)"

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

# The database inside the directory walked (`ingest .` with the default
# --db): its files are skipped, never read as logs into itself.
mkdir here
echo "$S" | sed 's/s1/h1/' >here/a.log
(cd here && "$RA" ingest --format squid . 2>../err1.txt && "$RA" ingest --format squid . 2>../err.txt)
expect "the database's own files: exit 0 twice" 0 "$?"
expect "the database's own files: skipped, said once" "relayaudit: './relayaudit.db' is this database: skipped, with its -wal, -shm, -journal and -claims files" \
  "$(grep -v "'./a.log'" err.txt)"
expect "the database's own files: the log read, nothing rejected" "1 0" \
  "$(q here/relayaudit.db "SELECT (SELECT count(*) FROM proxy_events), (SELECT count(*) FROM rejects)" | tr '\t' ' ')"

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

# CSV: a stray quote is a malformed line, and a quote that never closes (at
# a later malformed line, past the 1 MiB limit, or to the end) rejects its
# line alone: the records after it are read, not swallowed into its cell --
# in a plain file and in a .gz. Column 10 (prompt_tokens) numbers the rows.
H='id,user_id,created_at,type,content,username,token_name,model_name,quota,prompt_tokens,completion_tokens,use_time,is_stream,channel_id,token_id,group,ip,other'
row() { echo "$1,7,1795515301,${3:-2},${2-},alice,ci-bot,gpt-4o,900,$1,2,2,false,12,33,default,10.20.0.10,"; }
{ echo "$H"; row 1; row 2 '"say "hi" twice'; row 3 '"never closed'; row 4; row 5 '"a ""quoted""
newline"' 5; row 6; } >quote.csv
gzip -c -n quote.csv >quote.csv.gz
{ echo "$H"; row 1; row 2 '"open to the end'; row 3; row 4; } >open-end.csv
{ echo "$H"; row 1 '"open past 1 MiB'; i=2; while [ $i -le 20000 ]; do row $i; i=$((i + 1)); done; } >open-long.csv
for f in quote.csv quote.csv.gz open-end.csv open-long.csv; do
  rm -f qt.db
  "$RA" ingest --db qt.db --format newapi-logs $f 2>err.txt
  expect "$f: exit 0" 0 "$?"
done
# (the last qt.db is open-long.csv's)
expect "open-long.csv: one reject" "2 unclosed quote" "$(q qt.db "SELECT line_no, reason FROM rejects" | tr '\t' ' ')"
expect "open-long.csv: said with file and line" 1 "$(grep -c "^relayaudit: open-long.csv:2: unclosed quote$" err.txt)"
expect "open-long.csv: the 19999 records after it read" "19999 2 20000" "$(q qt.db "SELECT count(*), min(tokens_in), max(tokens_in) FROM gateway_events" | tr '\t' ' ')"
for f in quote.csv quote.csv.gz; do
  rm -f qt.db
  "$RA" ingest --db qt.db --format newapi-logs $f 2>/dev/null
  expect "$f: the stray quote, the unclosed one" "3 malformed CSV|4 unclosed quote" "$(q qt.db "SELECT line_no, reason FROM rejects ORDER BY 1" | tr '\t' ' ' | paste -sd'|')"
  expect "$f: the records around them, the quoted newline kept" "2 1 |5 4 |6 5 a \"quoted\"/newline|8 6 " "$(q qt.db "SELECT line_no, tokens_in, replace(error_message, char(10), '/') FROM gateway_events ORDER BY 1" | tr '\t' ' ' | paste -sd'|')"
done
rm -f qt.db
"$RA" ingest --db qt.db --format newapi-logs open-end.csv 2>/dev/null
expect "open-end.csv: line 3 rejected, 2 4 5 read" "3 unclosed quote|2 4 5" "$(q qt.db "SELECT line_no, reason FROM rejects" | tr '\t' ' ')|$(q qt.db "SELECT line_no FROM gateway_events ORDER BY 1" | paste -sd' ')"
expect "formats --check says the same" "newapi-logs on 'quote.csv': 8 lines, 4 records, 2 rejected, 0 skipped: match rate 66.7%|  line 3: malformed CSV|  line 4: unclosed quote" "$("$RA" formats --check quote.csv newapi-logs 2>&1 | sed -n '1p;3p;5p' | paste -sd'|')"
# Open to the unterminated end of a plain file, the record may still be
# being written: it waits for the file to grow, as a last line does.
{ echo "$H"; row 1; printf '2,7,1795515301,2,"being\nwritten'; } >growing.csv
rm -f qt.db
"$RA" ingest --db qt.db --format newapi-logs growing.csv 2>err.txt
expect "growing.csv: waits" "1 0" "$(q qt.db "SELECT (SELECT count(*) FROM gateway_events), (SELECT count(*) FROM rejects)" | tr '\t' ' ')"
printf '",alice,ci-bot,gpt-4o,900,1,2,2,false,12,33,default,10.20.0.10,\n' >>growing.csv
"$RA" ingest --db qt.db --format newapi-logs growing.csv 2>err.txt
expect "growing.csv: read once complete" "2 0" "$(q qt.db "SELECT (SELECT count(*) FROM gateway_events), (SELECT count(*) FROM rejects)" | tr '\t' ' ')"

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
