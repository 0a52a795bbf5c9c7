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

# The same rows as one ingest of everything at once.
head -n 139 "$src" >all.log
"$RA" ingest --db once.db --format squid all.log 2>/dev/null
cols="ts, egress_session, country, dest_host, bytes, status, duration_ms"
q t.db "SELECT $cols FROM proxy_events ORDER BY 1, 2, 5" >a.csv
q once.db "SELECT $cols FROM proxy_events ORDER BY 1, 2, 5" >b.csv
expect "same rows as one uninterrupted ingest" same "$(cmp -s a.csv b.csv && echo same || echo different)"
expect "line numbers continue across runs" 14 "$(q t.db 'SELECT max(line_no) FROM proxy_events WHERE file_id = 2')"
exit $fail
