#!/bin/sh
# Gateway <-> proxy links (DESIGN.md, "Joins"): request-id precedence, the
# tolerance boundary, ties, map-only sessions, host and request-id guards.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
U='brd-customer-c1-zone-isp'
links() {
  q t.db "SELECT g.request_id || '>' || p.line_no || ':' || l.method || ':' || l.dt_ms
          FROM links l JOIN gateway_events g ON g.id = l.gateway_id
          JOIN proxy_events p ON p.id = l.proxy_id ORDER BY g.id" | tr '\n' ' '
}

# Tolerance boundary: 5000 ms links, 5001 ms does not.
fresh
R='"route":"https://api.openai.com/v1/chat/completions"'
g 10:00:00 "\"request_id\":\"g1\",\"egress_session\":\"e1\",$R" >gw.log
g 11:00:00 "\"request_id\":\"g2\",\"egress_session\":\"e2\",$R" >>gw.log
s 10:00:05 TCP_TUNNEL/200 api.openai.com "$U-session-e1" >px.log
s 11:00:05.001 TCP_TUNNEL/200 api.openai.com "$U-session-e2" >>px.log
load
expect "tolerance: 5000 ms in, 5001 ms out" "g1>1:session:5000 " "$(links)"
"$RA" analyze --db t.db --join-tolerance 6s 2>/dev/null
expect "tolerance: --join-tolerance 6s" "g1>1:session:5000 g2>2:session:5001 " "$(links)"

# Ties: two proxy events equally far; the lower proxy id wins. And the
# nearest pair is taken first, greedily over all pairs.
fresh
g 10:00:00 "\"request_id\":\"g1\",\"egress_session\":\"e1\",$R" >gw.log
g 10:00:02 "\"request_id\":\"g2\",\"egress_session\":\"e1\",$R" >>gw.log
s 10:00:01 TCP_TUNNEL/200 api.openai.com "$U-session-e1" >px.log
s 09:59:59 TCP_TUNNEL/200 api.openai.com "$U-session-e1" >>px.log
load
expect "ties: g1 and g2 both 1 s from proxy 1; g1 (lower id) takes it" \
  "g1>1:session:1000 g2>2:session:-3000 " "$(links)"

# Request id first, even when a session candidate is nearer; and two events
# whose request ids differ never link.
fresh
g 10:00:00 "\"request_id\":\"r1\",\"egress_session\":\"e1\",$R" >gw.log
g 10:30:00 "\"request_id\":\"r9\",\"egress_session\":\"e3\",$R" >>gw.log
printf '2026-11-24T10:00:04.000Z e1 api.openai.com 200 r1\n' >rid.log
printf '2026-11-24T10:00:00.100Z e1 api.openai.com 200 zz\n' >>rid.log
printf '2026-11-24T10:30:00.100Z e3 api.openai.com 200 r8\n' >>rid.log
load
expect "request id wins; differing ids never link" "r1>1:request_id:4000 " "$(links)"

# Map only: no egress session on the gateway event; the map gives its
# account's. Hosts must agree when both are known.
fresh
printf 'caller,account,egress_session,country,max_callers\nc,A,eA,,\n' >map.csv
g 10:00:00 "\"request_id\":\"m1\",\"account\":\"A\",$R" >gw.log
g 10:10:00 "\"request_id\":\"m2\",\"account\":\"A\",$R" >>gw.log
g 10:20:00 "\"request_id\":\"m3\",\"account\":\"B\",$R" >>gw.log
s 10:00:01 TCP_TUNNEL/200 api.openai.com "$U-session-eA" >px.log
s 10:10:01 TCP_TUNNEL/200 other.example.com "$U-session-eA" >>px.log
s 10:20:01 TCP_TUNNEL/200 api.openai.com "$U-session-eA" >>px.log
load
expect "map-only session; host mismatch and unmapped account do not link" \
  "m1>1:session:1000 " "$(links)"

# Dense sessions: the matcher against a brute-force greedy over every
# candidate pair (listed by SQL, sorted by |dt|, gateway id, proxy id, taken
# in turn by awk), with ties at 50 ms steps. The tolerances put one, two and
# eight |dt| values in each of the matcher's queue buckets.
# dense SEED GATEWAY PROXY SESSIONS: that many events at random 50 ms
# steps in ten minutes, on that many sessions, into a fresh database.
dense() {
  fresh
  awk -v R="$R" -v seed="$1" -v ng="$2" -v np="$3" -v ns="$4" 'BEGIN {
    srand(seed)
    for (i = 1; i <= ng; i++) {
      ms = int(rand() * 600) * 50
      printf "{\"ts\":\"2026-11-24T10:%02d:%06.3fZ\",\"request_id\":\"d%d\",\"egress_session\":\"e%d\",%s}\n",
        int(ms / 60000), (ms % 60000) / 1000, i, int(rand() * ns), R > "gw.log"
    }
    for (i = 1; i <= np; i++) {
      ms = int(rand() * 600) * 50
      printf "%.3f 0 10.0.0.1 TCP_TUNNEL/200 100 CONNECT api.openai.com:443 brd-customer-c1-zone-isp-session-e%d HIER_DIRECT/1.2.3.4 -\n",
        1795514400 + ms / 1000, int(rand() * ns) > "px.log"
    } }'
  load
}
dense 7 240 300 3
greedy() {
  q t.db "SELECT g.id || ' ' || p.id FROM gateway_events g JOIN proxy_events p
          ON p.egress_session = g.egress_session AND abs(p.ts - g.ts) <= $1
          ORDER BY abs(p.ts - g.ts), g.id, p.id" |
    awk '!($1 in g) && !($2 in p) { g[$1]; p[$2]; print }' | sort -n | tr '\n' ' '
}
pairs() {
  q t.db "SELECT gateway_id || ' ' || proxy_id FROM links ORDER BY gateway_id" |
    tr '\n' ' '
}
want=$(greedy 5000)
expect "dense: 240 x 300 events, at least 200 links" 1 \
  "$(echo "$want" | awk '{ print (NF / 2 >= 200) }')"
expect "dense: greedy over all pairs, tolerance 5 s" "$want" "$(pairs)"
expect "dense: stored by proxy event, each link its proxy event's row" \
  "$(q t.db "SELECT count(*) FROM links")" \
  "$(q t.db "SELECT count(*) FROM link_rows r JOIN proxy_rows p ON p.id = r.rowid")"
expect "dense: a join led by the proxy events finds a link by that key" 1 \
  "$(q t.db "EXPLAIN QUERY PLAN SELECT g.account FROM proxy_rows p
       CROSS JOIN links l ON l.proxy_id = p.id
       CROSS JOIN gateway_rows g ON g.id = l.gateway_id" |
     grep -c 'SEARCH link_rows USING INTEGER PRIMARY KEY')"
for tol in 6000 30000; do
  "$RA" analyze --db t.db --join-tolerance "${tol}ms" 2>/dev/null
  expect "dense: greedy over all pairs, tolerance $tol ms" "$(greedy $tol)" "$(pairs)"
done
# The streams are cut by session group into partitions of about 32 k
# events, and the links by proxy id into ranges of 64 k ids: here of 4
# (128 partitions, most empty, and 128 ranges), the proxy stream spilled
# on the second connection and on this one.
for cores in 2 1; do
  RELAYAUDIT_TEST_SPILL_EVENTS=4 RELAYAUDIT_CORES=$cores \
    "$RA" analyze --db t.db 2>/dev/null
  expect "dense: in 128 partitions, $cores core(s)" "$want" "$(pairs)"
done

# Many session groups in one partition (its table of groups grows from 64
# slots, twice): 100 sessions.
dense 11 400 400 100
want=$(greedy 5000)
expect "100 sessions: at least 50 links" 1 \
  "$(echo "$want" | awk '{ print (NF / 2 >= 50) }')"
expect "100 sessions: greedy over all pairs, tolerance 5 s" "$want" "$(pairs)"

# The links are made as the INSERT that stores them reads them: when the
# making fails halfway (here its gateway stream cannot be read, after the
# request ids), the analysis fails with the making's own message, not
# SQLite's word for it, and the links of the analysis before stay.
before=$(pairs)
mkdir broken && cp -R "$SRC/schemas" "$SRC/analyze" broken/ &&
  rm broken/analyze/sql/link_gateway_stream.sql
RELAYAUDIT_DATADIR=$PWD/broken "$RA" analyze --db t.db 2>err.txt
expect "a link stream that cannot be read: exit 1, its path named" \
  "1 1" "$? $(grep -c "link_gateway_stream.sql" err.txt)"
expect "... the links of the analysis before kept" "$before" "$(pairs)"
exit $fail
