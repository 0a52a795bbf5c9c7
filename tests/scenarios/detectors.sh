#!/bin/sh
# Each detector on small crafted inputs: the positive case, the negative
# case and both sides of each threshold (DESIGN.md defaults).
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
U='brd-customer-c1-zone-isp'

# ---- shared_account --------------------------------------------------------
fresh
g 10:05:00 '"caller":"a","account":"X"' >gw.log
g 10:40:00 '"caller":"b","account":"X"' >>gw.log
g 10:50:00 '"caller":"a","account":"Y"' >>gw.log
load
expect "shared: two callers in one hour" "medium - X;" "$(findings shared_account)"
expect "shared: window bounds" "2026-11-24T10:00:00Z 2026-11-24T11:00:00Z" \
  "$(q t.db "SELECT ra_iso(window_start) || ' ' || ra_iso(window_end) FROM findings")"
expect "shared: evidence callers" '[{"caller":"a","requests":1},{"caller":"b","requests":1}]' \
  "$(q t.db "SELECT json_group_array(json_object('caller', c.value->>'caller', 'requests', c.value->>'requests')) FROM findings, json_each(evidence, '$.callers') c")"
"$RA" analyze --db t.db --max-callers 2 2>/dev/null
expect "shared: --max-callers 2 allows two" "" "$(findings shared_account)"
g 10:55:00 '"caller":"c","account":"X"' >>gw.log
fresh_keep=1
rm -f t.db*; load --max-callers 2
expect "shared: three callers over a limit of 2" "medium - X;" "$(findings shared_account)"
"$RA" analyze --db t.db 2>/dev/null
expect "shared: exceeding by two is high" "high - X;" "$(findings shared_account)"

fresh
g 10:59:00 '"caller":"a","account":"X"' >gw.log
g 11:01:00 '"caller":"b","account":"X"' >>gw.log
load
expect "shared: neighbouring windows are separate" "" "$(findings shared_account)"
"$RA" analyze --db t.db --window 2h 2>/dev/null
expect "shared: a 2h window joins them" "medium - X;" "$(findings shared_account)"

fresh
for t in 10:10:00 11:10:00; do
  g $t '"caller":"a","account":"X"' >>gw.log
  g $t.5 '"caller":"b","account":"X"' >>gw.log
done
load
expect "shared: consecutive windows merge into one, high" "high - X;" "$(findings shared_account)"
expect "shared: merged bounds" "2026-11-24T10:00:00Z 2026-11-24T12:00:00Z 2" \
  "$(q t.db "SELECT ra_iso(window_start) || ' ' || ra_iso(window_end) || ' ' || (evidence->>'windows') FROM findings")"

printf 'caller,account,egress_session,country,max_callers\na,X,,,1\nb,X,,,3\nc,X,,,\n' >map.csv
load
expect "shared: the map's largest max_callers holds" "" "$(findings shared_account)"

# ---- sticky_break: account -------------------------------------------------
fresh
g 10:00:00 '"caller":"a","session":"s1","account":"A"' >gw.log
g 10:30:00 '"caller":"a","session":"s1","account":"B"' >>gw.log
load
expect "sticky account: session hops" "medium account s1;" "$(findings sticky_break)"
"$RA" analyze --db t.db --session-ttl 30m 2>/dev/null
expect "sticky account: not less than the ttl apart" "" "$(findings sticky_break)"
"$RA" analyze --db t.db --session-ttl 31m 2>/dev/null
expect "sticky account: just inside the ttl" "medium account s1;" "$(findings sticky_break)"

fresh
g 10:00:00 '"session":"s1","account":"A","request_id":"r1"' >gw.log
g 10:00:01 '"session":"s1","account":"B","request_id":"r1"' >>gw.log
g 10:00:02 '"session":"s1","account":"A","request_id":"r2"' >>gw.log
g 10:00:03 '"session":"s1","account":"B","request_id":"r3"' >>gw.log
g 10:00:04 '"session":"s2","account":"A"' >>gw.log
load
expect "sticky account: A,B,A,B is one finding" "medium account s1;" "$(findings sticky_break)"
expect "sticky account: switches and retries" "3 1 [\"A\",\"B\"]" \
  "$(q t.db "SELECT (evidence->>'switches') || ' ' || (evidence->>'retries') || ' ' || (evidence->'values') FROM findings")"

# ---- sticky_break: egress_ip and country -------------------------------------
fresh
g 10:00:00 '"egress_session":"e1","egress_ip":"198.51.100.1"' >gw.log
g 10:05:00 '"egress_session":"e1","egress_ip":"198.51.100.2"' >>gw.log
g 12:00:00 '"egress_session":"e2","egress_ip":"198.51.100.1"' >>gw.log
g 12:10:00 '"egress_session":"e2","egress_ip":"198.51.100.2"' >>gw.log
load
expect "sticky egress_ip: within 10m only" "medium egress_ip e1;" "$(findings sticky_break)"
# exit IPs seen by the proxy alone (e3), and by the gateway then the
# proxy (e4); e5's two IPs are 11 minutes apart
bd() {
  printf '{"timestamp":"2026-11-24T%sZ","method":"CONNECT","url":"api.openai.com:443","status_code":"unknown","proxy_peer":"%s","username":"%s-session-%s"}\n' \
    "$1" "$2" "$U" "$3"
}
fresh
bd 10:00:00 198.51.100.7 e3 >bd.log
bd 10:03:00 198.51.100.8 e3 >>bd.log
g 11:00:00 '"egress_session":"e4","egress_ip":"198.51.100.1"' >gw.log
bd 11:02:00 198.51.100.2 e4 >>bd.log
bd 12:00:00 198.51.100.1 e5 >>bd.log
bd 12:11:00 198.51.100.2 e5 >>bd.log
"$RA" ingest --db t.db --format brightdata-pm bd.log 2>/dev/null
load
expect "sticky egress_ip: from proxy events too" \
  "medium egress_ip e3;medium egress_ip e4;" "$(findings sticky_break)"

fresh
s 10:00:00 TCP_TUNNEL/200 api.openai.com "$U-country-us-session-e1" >px.log
s 10:01:00 TCP_TUNNEL/200 api.openai.com "$U-country-DE-session-e1" >>px.log
s 11:00:00 TCP_TUNNEL/200 api.openai.com "$U-country-us-session-e2" >>px.log
s 11:10:00 TCP_TUNNEL/200 api.openai.com "$U-country-de-session-e2" >>px.log
load
expect "sticky country: within 10m, high" "high country e1;" "$(findings sticky_break)"
expect "sticky country: values lower-case" '["us","de"]' "$(q t.db "SELECT evidence->'values' FROM findings")"
"$RA" analyze --db t.db --sticky-window 11m 2>/dev/null
expect "sticky country: --sticky-window 11m" "high country e1;high country e2;" "$(findings sticky_break)"

# ---- sticky_break: declared ------------------------------------------------------
fresh
printf 'caller,account,egress_session,country,max_callers\na,A,e1,us,\nb,B,,,\nc,C,e3,,\n' >map.csv
g 10:00:00 '"caller":"a","account":"A","egress_session":"e1"' >gw.log
g 10:10:00 '"caller":"a","account":"A","egress_session":"e2"' >>gw.log
g 10:20:00 '"caller":"b","account":"B","egress_session":"e9"' >>gw.log
g 10:30:00 '"caller":"c","account":"C","egress_session":"e3"' >>gw.log
g 10:40:00 '"caller":"a","account":"A","egress_session":"e7"' >>gw.log
s 10:00:00.020 TCP_TUNNEL/200 api.openai.com "$U-country-us-session-e1" >px.log
s 10:10:00.020 TCP_TUNNEL/200 api.openai.com "$U-country-fr-session-e2" >>px.log
s 10:30:00.020 TCP_TUNNEL/200 api.openai.com "$U-country-de-session-e3" >>px.log
load
expect "declared: undeclared sessions and country; B not checked, nor C's country (C declares none)" \
  "high declared A;high declared A;high declared A;" "$(findings sticky_break)"
# e2 is seen by the gateway event and by the proxy event linked to it; e7
# by a gateway event alone (declared_events.sql, beside the links)
expect "declared: the observed values and their events" \
  "country:fr:1;egress_session:e2:2;egress_session:e7:1;" \
  "$(q t.db "SELECT (evidence->>'observed') || ':' || (evidence->>'\$.values[0]') || ':' ||
                    (evidence->>'events') FROM findings ORDER BY 1" | tr '\n' ';')"

# ---- unmapped_ban: attribution -------------------------------------------------
fresh
printf 'caller,account,egress_session,country,max_callers\nm,M,,,\np,P,,,\nq,P,,,\n' >map.csv
E='"status":401,"error_code":"invalid_api_key"'
g 01:00:00 "\"caller\":\"a\",\"account\":\"A\",$E,\"request_id\":\"own\"" >gw.log
g 02:00:00 "\"account\":\"A\",$E,\"request_id\":\"r2\"" >>gw.log
g 02:00:00.5 '"caller":"b","account":"A","request_id":"r2"' >>gw.log
g 03:00:00 "\"account\":\"M\",$E,\"request_id\":\"r3\"" >>gw.log
g 03:45:00 '"caller":"w","account":"W"' >>gw.log
g 04:00:00 "\"account\":\"W\",$E,\"request_id\":\"r4\"" >>gw.log
g 04:44:59.999 '"caller":"w","account":"V"' >>gw.log
g 05:00:00 "\"account\":\"V\",$E,\"request_id\":\"r5\"" >>gw.log
g 05:50:00 '"caller":"p","account":"P"' >>gw.log
g 05:55:00 '"caller":"q","account":"P"' >>gw.log
g 06:00:00 "\"account\":\"P\",$E,\"request_id\":\"r6\"" >>gw.log
g 07:00:00 '"caller":"l","account":"L","egress_session":"eL"' >>gw.log
s 07:00:01 TCP_DENIED/407 api.openai.com "$U-session-eL" >px.log
# linked to an event without a caller, whose request id another has
g 07:30:00 '"account":"K","egress_session":"eK","request_id":"rk"' >>gw.log
g 07:30:00.5 '"caller":"k","request_id":"rk"' >>gw.log
s 07:30:01 TCP_DENIED/407 api.openai.com "$U-session-eK" >>px.log
load
expect "attribution: own, request_id, map, window, none, ambiguous, link" \
  "own:a request_id:b map:m window:w none:- ambiguous:- link:l link:k " \
  "$(q t.db "SELECT attribution || ':' || coalesce(caller, '-') FROM bans ORDER BY ts" | tr '\n' ' ')"
expect "attribution: lookback includes ts-15m exactly" '["p","q"]' \
  "$(q t.db "SELECT candidates FROM bans WHERE attribution = 'ambiguous'")"
# The callers active before each ban: a gateway ban's account is its own
# event's (found on the second thread), a proxy ban's comes through its
# link (found in the bans step).
expect "active callers of gateway and proxy bans" \
  'gateway:[] gateway:[] gateway:[] gateway:["w"] gateway:[] gateway:["p","q"] proxy:["l"] proxy:[] ' \
  "$(q t.db "SELECT source || ':' || active FROM bans ORDER BY ts" | tr '\n' ' ')"
expect "unmapped_ban findings: none and ambiguous only" "high ban P;high ban V;" \
  "$(findings unmapped_ban)"
"$RA" analyze --db t.db --lookback 16m 2>/dev/null
expect "attribution: a longer lookback finds the caller" "window:w" \
  "$(q t.db "SELECT attribution || ':' || caller FROM bans WHERE account = 'V'")"

# The lookback of a ban between two 15-minute marks spans two of them:
# [07:52:30, 08:07:30) takes x1 at its start and x4 just before its end,
# and x6 whose second event of its first quarter-hour is inside it; not x2
# 1 ms before it, x3 at the ban's own time, nor x5 whose events bracket
# the window in both quarter-hours.
fresh
g 07:46:00 '"caller":"x5","account":"X"' >gw.log
g 07:46:00 '"caller":"x6","account":"X"' >>gw.log
g 07:52:29.999 '"caller":"x2","account":"X"' >>gw.log
g 07:52:30 '"caller":"x1","account":"X"' >>gw.log
g 07:53:00 '"caller":"x6","account":"X"' >>gw.log
g 08:07:29.999 '"caller":"x4","account":"X"' >>gw.log
g 08:07:30 "\"account\":\"X\",$E,\"request_id\":\"r7\"" >>gw.log
g 08:07:30 '"caller":"x3","account":"X"' >>gw.log
g 08:10:00 '"caller":"x5","account":"X"' >>gw.log
load
expect "attribution: a lookback across two quarter-hours" \
  'ambiguous ["x1","x4","x6"]' \
  "$(q t.db "SELECT attribution || ' ' || candidates FROM bans")"

# ---- header_variant ------------------------------------------------------------
fresh
H1='"headers_in":{"user-agent":"OpenAI/Python 1.82.0"}'
H2='"headers_in":{"user-agent":"curl/8.5.0"}'
g 10:00:00 "\"caller\":\"i\",$H1" >gw.log
g 10:01:00 "\"caller\":\"i\",$H2" >>gw.log
g 10:02:00 "\"caller\":\"i\",$H1" >>gw.log
g 10:00:00 "\"caller\":\"u\",$H1" >>gw.log
g 10:01:00 "\"caller\":\"u\",$H1" >>gw.log
g 10:02:00 "\"caller\":\"u\",$H2" >>gw.log
g 10:03:00 "\"caller\":\"u\",$H2" >>gw.log
g 10:00:00 "\"caller\":\"k\",$H1" >>gw.log
g 10:05:00 "\"caller\":\"k\",\"headers_in\":{\"user-agent\":\"OpenAI/Python 1.82.0\",\"x-request-id\":\"volatile\"}" >>gw.log
O='"headers_out":{"user-agent":"relay/1"'
g 11:00:00 "\"account\":\"M\",$O}" >>gw.log
g 11:01:00 "\"account\":\"M\",$O,\"anthropic-beta\":\"x\"}" >>gw.log
g 11:00:00 "\"account\":\"L\",$O,\"X-Consumer-Username\":\"bob\",\"x-real-ip\":\"10.1.1.1\"}" >>gw.log
g 12:00:00 '"account":"R","route":"https://api.openai.com/v1/chat/completions"' >>gw.log
g 12:01:00 '"account":"R","route":"https://API.openai.com/v1/embeddings"' >>gw.log
g 12:02:00 '"account":"R2","route":"https://api.openai.com/v1/chat"' >>gw.log
g 12:03:00 '"account":"R2","route":"https://relay.example.net/v1/chat"' >>gw.log
g 13:00:00 '"account":"Q","request_id":"rq","route":"https://api.openai.com/v1/x"' >>gw.log
printf '2026-11-24T13:00:00.100Z eq evil.example.com 200 rq\n' >rid.log
load
expect "header_variant: all sub-kinds" \
  "high leak L;high route_mismatch Q;low caller_drift u;low route_variant R2;medium account_mix M;medium caller_drift i;" \
  "$(findings header_variant)"
expect "leak: the identity headers named" '["x-consumer-username","x-real-ip"]' \
  "$(q t.db "SELECT evidence->'headers' FROM findings WHERE sub = 'leak'")"
exit $fail
