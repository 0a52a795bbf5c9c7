#!/bin/sh
# Progress on stderr for long work, when stderr is a terminal: an ingest
# shows lines, MB, lines/s, and an ETA for plain files (by the bytes
# stored) and .gz files (by the compressed bytes read), over several files
# also which file of how many and an ETA for them all; an analysis shows
# each step as it comes. Never when stderr is not a terminal. The terminal
# is script(1)'s; RELAYAUDIT_PROGRESS_SECONDS=0 shows a line after every
# batch of records, so that the test does not depend on the machine's speed.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

if ! script -qec true /dev/null </dev/null >/dev/null 2>&1; then
  echo "skip: script(1) cannot open a terminal here"
  exit 77
fi

awk 'BEGIN {
  for (i = 0; i < 120000; i++)
    printf "%d.%03d %d 10.0.%d.%d TCP_TUNNEL/200 %d CONNECT api.openai.com:443 user-%d HIER_DIRECT/203.0.113.7 -\n",
      1795478400 + int(i / 10), i % 1000, 100 + i % 900, i % 250, i % 200,
      1000 + i % 5000, i % 50
}' >big.log
gzip -c big.log >big.log.gz

# tty_run CMD: what a terminal shows of CMD (a shell command line), one
# line per carriage return, without the erase-line escapes
tty_run() {
  script -qec "$1" /dev/null </dev/null | tr '\r\033' '\n\n' | sed 's/^\[K//'
}

for f in big.log.gz big.log; do
  out=$(tty_run "RELAYAUDIT_PROGRESS_SECONDS=0 \"$RA\" ingest --db $f.db --format squid $f")
  expect "$f: progress lines with an ETA on a terminal" yes \
    "$(echo "$out" | grep -Eq "^relayaudit: '$f': [0-9]+ lines, [0-9.]+ MB, [0-9]+ lines/s, ETA [0-9]+ s" &&
       echo yes || echo no)"
  expect "$f: then the file's summary" yes \
    "$(echo "$out" | grep -q "^relayaudit: '$f': squid, 120000 records, 0 rejected" &&
       echo yes || echo no)"
  expect "$f: every line stored" 120000 \
    "$(q $f.db "SELECT count(*) FROM proxy_events")"
done

out=$(tty_run "RELAYAUDIT_PROGRESS_SECONDS=0 \"$RA\" ingest --db one.db \
  --format squid big.log")
expect "one file: no count of files" 0 "$(echo "$out" | grep -c ' of 1')"

# Several files: each line also counts the files and gives an ETA for them
# all (their lines' bytes ahead, at the pace of those read so far); one the
# ledger knows unchanged is behind at once.
mkdir dir
cp big.log dir/a.log
sed 's/^17954/17955/' big.log | gzip -c >dir/b.log.gz
sed 's/^17954/17956/' big.log >dir/c.log
"$RA" ingest --db dir.db --format squid dir/a.log 2>/dev/null
out=$(tty_run "RELAYAUDIT_PROGRESS_SECONDS=0 \"$RA\" ingest --db dir.db \
  --format squid dir")
line="^relayaudit: 'dir/[bc]\.log[.gz]*': [0-9]* lines, [0-9.]* MB,"
line="$line [0-9]* lines/s, ETA [0-9]* s; file \([23]\) of 3, ETA [0-9]* s"
expect "a directory: progress names the file of three, with the run's ETA" \
  "2 3" \
  "$(echo "$out" | sed -n "s|$line for all *\$|\1|p" | sort -u | tr '\n' ' ' |
     sed 's/ $//')"
expect "a directory: nothing shown for the unchanged file" 0 \
  "$(echo "$out" | grep -c "'dir/a.log': [0-9]* lines")"
expect "a directory: every line of the three files" 360000 \
  "$(q dir.db "SELECT count(*) FROM proxy_events")"

# A pipe among the files: nothing of it is read before its turn comes
# (bytes read early are lost to it, and its writer may be gone by then:
# the timeouts end such a run).
mkfifo pipe
sed 's/^17954/17957/' big.log >pipe.src
(timeout 60 cat pipe.src >pipe &)
tty_run "RELAYAUDIT_PROGRESS_SECONDS=0 timeout 60 \"$RA\" ingest \
  --db pipe.db --format squid big.log pipe" >/dev/null
expect "a pipe among the files: every line of both" "240000 0" \
  "$(q pipe.db "SELECT count(*) || ' ' || (SELECT count(*) FROM rejects)
                FROM proxy_events")"

# analyze: every step in turn, then the line cleared for the summary
out=$(tty_run "\"$RA\" analyze --db big.log.db")
expect "analyze: the steps on a terminal" \
  "indexes 0,route_hosts 1,links 2,declared_events 3,event_groups 4,bans_events 5,bans 6,shared_account 7,sticky_break 8,sticky_break_exit 9,sticky_break_declared 10,unmapped_ban 11,header_variant 12,header_variant_route 13," \
  "$(echo "$out" | sed -n 's/^relayaudit: analyzing: \([a-z_]*\) (\([0-9]*\) of 14 steps done, [0-9]* s)$/\1 \2/p' | tr '\n' ',')"
expect "analyze: then its summary" yes \
  "$(echo "$out" | grep -q "^relayaudit: analysis run 1: 0 links" && echo yes || echo no)"
"$RA" analyze --db big.log.gz.db 2>err.txt
expect "analyze: no steps shown when stderr is not a terminal" \
  "0 relayaudit: analysis run 1: 0 links, 0 bans, 0 findings" \
  "$(tr -cd '\r\033' <err.txt | wc -c | tr -d ' ') $(cat err.txt)"

RELAYAUDIT_PROGRESS_SECONDS=0 "$RA" ingest --db plain.db --format squid big.log.gz 2>err.txt
expect "no progress when stderr is not a terminal" "0 0" \
  "$(grep -c 'ETA' err.txt) $(tr -cd '\r\033' <err.txt | wc -c | tr -d ' ')"
expect "only the summary" 1 "$(wc -l <err.txt | tr -d ' ')"

exit $fail
