#!/bin/sh
# Ingesting twice, growing a file, rotating and gzipping it, and a last line
# without a newline: exact row counts each time, and the same rows as one
# ingest of all the content at once.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

src="$SRC/samples/proxy/access.log"
mkdir logs
head -n 100 "$src" >logs/access.log
"$RA" ingest --db t.db --format squid logs 2>/dev/null
expect "first ingest" 100 "$(q t.db 'SELECT count(*) FROM proxy_events')"
"$RA" ingest --db t.db --format squid logs 2>/dev/null
expect "second ingest adds nothing" 100 "$(q t.db 'SELECT count(*) FROM proxy_events')"

sed -n 101,120p "$src" >>logs/access.log
"$RA" ingest --db t.db --format squid logs 2>/dev/null
expect "grown file read from where it stopped" 120 "$(q t.db 'SELECT count(*) FROM proxy_events')"

# Grows by 5 more lines, then logrotate renames and compresses it, and a
# new file starts: only the 5 and the new file's 10 are new.
sed -n 121,125p "$src" >>logs/access.log
mv logs/access.log logs/access.log.1
gzip -n logs/access.log.1
sed -n 126,135p "$src" >logs/access.log
"$RA" ingest --db t.db --format squid logs 2>err
expect "rotated + gzipped copy recognised" 135 "$(q t.db 'SELECT count(*) FROM proxy_events')"
expect "ledger rows" 2 "$(q t.db 'SELECT count(*) FROM files')"
expect "rotated file known by content" "logs/access.log.1.gz" "$(q t.db 'SELECT path FROM files WHERE id = 1')"

# A last line without a newline is taken, and replaced once completed.
line=$(sed -n 136p "$src")
printf '%s' "$line" >>logs/access.log
"$RA" ingest --db t.db --format squid logs 2>/dev/null
expect "unterminated last line taken" 136 "$(q t.db 'SELECT count(*) FROM proxy_events')"
"$RA" ingest --db t.db --format squid logs 2>/dev/null
expect "unchanged file with a tail adds nothing" 136 "$(q t.db 'SELECT count(*) FROM proxy_events')"
printf '\n' >>logs/access.log
sed -n 137,138p "$src" >>logs/access.log
"$RA" ingest --db t.db --format squid logs 2>/dev/null
expect "tail replaced when the file grew" 138 "$(q t.db 'SELECT count(*) FROM proxy_events')"

# Half a line does not parse: left unread until it is complete.
line=$(sed -n 139p "$src")
printf '%s' "$line" | cut -c1-30 | tr -d '\n' >>logs/access.log
"$RA" ingest --db t.db --format squid logs 2>err
expect "half a line left unread" 138 "$(q t.db 'SELECT count(*) FROM proxy_events')"
expect "half a line is not a reject" 0 "$(q t.db 'SELECT count(*) FROM rejects')"
printf '%s\n' "$line" | cut -c31- >>logs/access.log
"$RA" ingest --db t.db --format squid logs 2>/dev/null
expect "completed line read once" 139 "$(q t.db 'SELECT count(*) FROM proxy_events')"

# A CSV export that grew, read from where it stopped: its header still names
# the columns (the first new row is not taken for one), and so in a rotated
# and gzipped copy. prompt_tokens (tokens_in) numbers the rows.
row() { echo "$1,7,1795515301,2,,alice,ci-bot,gpt-4o,900,$1,2,2,false,12,33,default,10.20.0.10,"; }
echo 'id,user_id,created_at,type,content,username,token_name,model_name,quota,prompt_tokens,completion_tokens,use_time,is_stream,channel_id,token_id,group,ip,other' >logs.csv
row 1 >>logs.csv
"$RA" ingest --db csv.db --format newapi-logs logs.csv 2>/dev/null
row 2 >>logs.csv
row 3 >>logs.csv
"$RA" ingest --db csv.db --format newapi-logs logs.csv 2>/dev/null
row 4 >>logs.csv
gzip -c -n logs.csv >logs.csv.1.gz
"$RA" ingest --db csv.db --format newapi-logs logs.csv.1.gz 2>/dev/null
expect "grown CSV: every row once, by its header" "1 alice/ci-bot|2 alice/ci-bot|3 alice/ci-bot|4 alice/ci-bot" "$(q csv.db 'SELECT tokens_in, caller FROM gateway_events ORDER BY 1' | tr '\t' ' ' | paste -sd'|')"
expect "grown CSV: no reject, nothing skipped" "0 0" "$(q csv.db 'SELECT (SELECT count(*) FROM rejects), (SELECT sum(skipped) FROM files)' | tr '\t' ' ')"

# A .gz cut mid-line (its compression still running): the cut line is
# rejected once however often the file is read while cut, and its reject
# goes when the rest comes.
mkdir cut
gzip -c -n "$src" >whole.gz
head -c 1500 whole.gz >cut/access.log.2.gz
"$RA" ingest --db cut.db --format squid cut 2>/dev/null
expect "cut .gz: exit 1" 1 "$?"
"$RA" ingest --db cut.db --format squid cut 2>/dev/null
expect "cut .gz read again: exit 1" 1 "$?"
expect "cut .gz read again: its cut line rejected once" "1 cut off by the damage" "$(q cut.db 'SELECT count(*), reason FROM rejects' | tr '\t' ' ')"
expect "cut .gz read again: the ledger counts it once" "1 0" "$(q cut.db 'SELECT rejected, complete FROM files' | tr '\t' ' ')"
cp whole.gz cut/access.log.2.gz
"$RA" ingest --db cut.db --format squid cut 2>/dev/null
expect "cut .gz completed: exit 0" 0 "$?"
expect "cut .gz completed: no reject left" 0 "$(q cut.db 'SELECT count(*) FROM rejects')"
expect "cut .gz completed: every line once" "$(wc -l <"$src") 0 1 $(wc -l <"$src")" "$(q cut.db 'SELECT records, rejected, complete, (SELECT count(*) FROM proxy_events) FROM files' | tr '\t' ' ')"

# A file that grew by bad lines only is still in its format: the lines are
# rejected, and the run succeeds.
sed -n 1,5p "$src" >grew.log
"$RA" ingest --db grew.db --format squid grew.log 2>/dev/null
printf 'garbage\nmore garbage\n' >>grew.log
"$RA" ingest --db grew.db --format squid grew.log 2>err
expect "grown by bad lines only: exit 0" 0 "$?"
expect "grown by bad lines only: not called another format" 0 "$(grep -c 'not in format' err)"
expect "grown by bad lines only: rows, rejects" "5 2 6,7" "$(q grew.db 'SELECT (SELECT count(*) FROM proxy_events), rejected, (SELECT group_concat(line_no) FROM rejects) FROM files' | tr '\t' ' ')"

# Read first under a format it is not in: nothing taken (exit 1). Read
# again under the right one, the same file, then renamed and gzipped: read
# from its start once, the wrong format's rejects gone.
mkdir wrong
sed -n 1,20p "$src" >wrong/proxy.log
"$RA" ingest --db wrong.db --format relayaudit-jsonl wrong 2>/dev/null
expect "wrong format: exit 1" 1 "$?"
expect "wrong format: every line rejected" 20 "$(q wrong.db 'SELECT count(*) FROM rejects')"
"$RA" ingest --db wrong.db --format squid wrong 2>err
expect "right format: exit 0" 0 "$?"
expect "right format: says why it reads it again" 1 "$(grep -c "'wrong/proxy.log': read before as relayaudit-jsonl, no line of it taken; read again as squid" err)"
expect "right format: every line once, no reject left" "20 0 squid 20 1 20" "$(q wrong.db 'SELECT (SELECT count(*) FROM proxy_events), (SELECT count(*) FROM rejects), format, records, complete, line_no FROM files' | tr '\t' ' ')"
"$RA" ingest --db wrong.db --format relayaudit-jsonl wrong 2>/dev/null
"$RA" ingest --db wrong.db wrong 2>/dev/null
expect "a file read as its format is not read again as another" "20 0 1" "$(q wrong.db 'SELECT (SELECT count(*) FROM proxy_events), (SELECT count(*) FROM rejects), count(*) FROM files' | tr '\t' ' ')"
sed -n 1,20p "$src" >wrong2.log
"$RA" ingest --db wrong2.db --format relayaudit-jsonl wrong2.log 2>/dev/null
gzip -n wrong2.log
"$RA" ingest --db wrong2.db --format squid wrong2.log.gz 2>/dev/null
expect "right format, file renamed and gzipped: read once" "20 0 1 wrong2.log.gz" "$(q wrong2.db 'SELECT (SELECT count(*) FROM proxy_events), (SELECT count(*) FROM rejects), count(*), path FROM files' | tr '\t' ' ')"

# A map is loaded whole each time, under one ledger row: loaded again, its
# bad line is one reject, not one a load; grown, its new row is taken.
printf 'caller,account,egress_session,country,max_callers\na,A,,,1\nb,B,,,x\n' >map.csv
"$RA" ingest --db map.db --source map map.csv 2>/dev/null
"$RA" ingest --db map.db --source map map.csv 2>/dev/null
expect "map loaded twice: one ledger row, one reject" "1 1 1 1 1 3" "$(q map.db 'SELECT (SELECT count(*) FROM map), count(*), records, rejected, complete, (SELECT group_concat(line_no) FROM rejects) FROM files' | tr '\t' ' ')"
printf 'c,C,,,\n' >>map.csv
"$RA" ingest --db map.db --source map map.csv 2>/dev/null
expect "map grown: loaded whole again" "2 1 2 1 a,c" "$(q map.db 'SELECT (SELECT count(*) FROM map), count(*), records, rejected, (SELECT group_concat(caller) FROM map) FROM files' | tr '\t' ' ')"
# The map named by --format alone is loaded whole too: a map loaded again
# after another replaces it, though unchanged since it was read.
printf 'caller,account,egress_session,country,max_callers\nb,B,,,\n' >mapb.csv
for m in map.csv mapb.csv map.csv; do
    "$RA" ingest --db map.db --format relayaudit-map $m 2>/dev/null
done
expect "map loaded again after another: its rows" "a,c" "$(q map.db 'SELECT group_concat(caller) FROM map')"

# The same rows as one ingest of everything at once.
head -n 139 "$src" >all.log
"$RA" ingest --db once.db --format squid all.log 2>/dev/null
cols="ts, egress_session, country, dest_host, bytes, status, duration_ms"
q t.db "SELECT $cols FROM proxy_events ORDER BY 1, 2, 5" >a.csv
q once.db "SELECT $cols FROM proxy_events ORDER BY 1, 2, 5" >b.csv
expect "same rows as one uninterrupted ingest" same "$(cmp -s a.csv b.csv && echo same || echo different)"
expect "line numbers continue across runs" 14 "$(q t.db 'SELECT max(line_no) FROM proxy_events WHERE file_id = 2')"
exit $fail
