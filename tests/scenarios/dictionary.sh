#!/bin/sh
# Schema version 3 stores repeated text once, in `strings`, and the rows hold
# its id. The writer remembers ids in a bounded table that it empties when
# full (32,768 strings): past that, every string must still map to the one
# row of `strings` that holds it -- no duplicate, no stale id -- and the
# views must give back exactly the text of each line.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

# 50,000 distinct callers (the table empties once), 3 accounts, 100 sessions
awk 'BEGIN {
  for (i = 1; i <= 50000; i++)
    printf "{\"ts\":%.0f,\"caller\":\"caller-%d\",\"account\":\"a%d\",\"session\":\"s%d\"}\n",
      1795478400000 + i, i, i % 3, i % 100
}' >gw1.log
# the same callers in the opposite order, in another file
awk 'BEGIN {
  for (i = 50000; i >= 1; i--)
    printf "{\"ts\":%.0f,\"caller\":\"caller-%d\",\"account\":\"a%d\",\"session\":\"s%d\"}\n",
      1795478500000 + i, i, i % 3, i % 100
}' >gw2.log

"$RA" ingest --db t.db --format relayaudit-jsonl gw1.log 2>/dev/null
expect "every string once" "50103 50103" \
  "$(q t.db "SELECT count(*), count(DISTINCT s) FROM strings" | tr '\t' ' ')"
expect "each row's caller, account and session are its line's" 50000 \
  "$(q t.db "SELECT count(*) FROM gateway_events
             WHERE caller = 'caller-' || line_no AND account = 'a' || (line_no % 3)
               AND session = 's' || (line_no % 100)")"

"$RA" ingest --db t.db --format relayaudit-jsonl gw2.log 2>/dev/null
expect "a second file adds no string" 50103 "$(q t.db "SELECT count(*) FROM strings")"
expect "... and its rows point at the same strings" 50000 \
  "$(q t.db "SELECT count(*) FROM gateway_rows a JOIN gateway_rows b
             ON b.file_id = 2 AND b.line_no = 50001 - a.line_no
             WHERE a.file_id = 1 AND a.caller = b.caller AND a.account = b.account
               AND a.session = b.session")"
expect "no id without its string" 0 \
  "$(q t.db "SELECT count(*) FROM gateway_rows
             WHERE caller NOT IN (SELECT id FROM strings)
                OR account NOT IN (SELECT id FROM strings)")"

# Each parser thread remembers the ids its dictionary fields came to
# (ingest.c, tl_ids), for the texts normalizing left as they were: a text
# that is lowered, cut at a password, redacted or escaped is normalized
# again every time, and a remembered proxy user gives the session and
# country its username rules give. 12,000 Squid lines (three slots, both
# parser threads), six kinds in turn.
awk 'BEGIN {
  for (i = 1; i <= 12000; i++) {
    k = i % 6
    host = k == 0 ? "API.OpenAI.com" : "api.anthropic.com"
    if (k == 0) user = "plain-user"
    if (k == 1) user = "brd-customer-hl_1-zone-isp-session-s1-country-US"
    if (k == 2) user = "bob:hunter2"
    if (k == 3) user = "api_key=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx"
    if (k == 4) user = "caf%E9"
    if (k == 5) user = "brd-customer-hl_1-zone-isp-session-s2-country-de"
    printf "%d.000 5 10.0.0.%d TCP_TUNNEL/200 10 CONNECT %s:443 %s HIER_DIRECT/1.2.3.4 -\n",
      1795478400 + i, k, host, user
  }
}' >rp.log
"$RA" ingest --db r.db --format squid rp.log 2>/dev/null
expect "repeated texts: each kind stored one way, as its first line" \
"0 10.0.0.0 api.openai.com plain-user - - 2000
1 10.0.0.1 api.anthropic.com brd-customer-hl_1-zone-isp-session-s1-country-US s1 us 2000
2 10.0.0.2 api.anthropic.com bob - - 2000
3 10.0.0.3 api.anthropic.com api_key=[redacted] - - 2000
4 10.0.0.4 api.anthropic.com caf\\xe9 - - 2000
5 10.0.0.5 api.anthropic.com brd-customer-hl_1-zone-isp-session-s2-country-de s2 de 2000" \
  "$(q r.db "SELECT line_no % 6, client_ip, dest_host, proxy_user,
                    coalesce(egress_session, '-'), coalesce(country, '-'), count(*)
             FROM proxy_events GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1" | tr '\t' ' ')"
expect "repeated texts: no password, no key" "" \
  "$(grep -a -l -e hunter2 -e sk-proj r.db* 2>/dev/null)"

# A header list's text, as read, is remembered with the ids of the list
# as stored, its fingerprint and the user agent it gives (ingest.c,
# tl_list_ids). 12,000 relayaudit-jsonl lines, six kinds in turn: the
# same list with and without a user agent of the line's own, a list that
# gives none, pairs, the same text in and out. Each kind must be stored as
# its line is when read alone, in a database of its own (nothing
# remembered), and no key may reach the database.
awk 'BEGIN {
  k0 = "{\"User-Agent\":\"SDK/1\",\"Authorization\":\"Bearer sk-live-SECRETKEY0123456789\"}"
  k2 = "{\"x-stainless-lang\":\"python\"}"
  for (i = 1; i <= 12000; i++) {
    k = i % 6
    printf "{\"ts\":%.0f,", 1795478400000 + i
    if (k < 3) printf "\"caller_key\":\"sk-live-SECRETKEY-%d\",", k % 2
    if (k == 0) printf "\"headers_in\":%s,\"headers_out\":{\"user-agent\":\"up/1\"}", k0
    if (k == 1) printf "\"user_agent\":\"own/1\",\"headers_in\":%s,\"headers_out\":{\"user-agent\":\"up/1\"}", k0
    if (k == 2) printf "\"headers_in\":%s,\"headers_out\":[[\"user-agent\",\"up/2\"]]", k2
    if (k == 3) printf "\"headers_in\":[[\"User-Agent\",\"SDK/3\"],[\"x-api-key\",\"sk-ant-api03-SECRETKEY\"]]"
    if (k == 4) printf "\"user_agent\":\"own/4\",\"headers_in\":%s", k2
    if (k == 5) printf "\"headers_in\":{\"User-Agent\":\"SDK/5\"},\"headers_out\":{\"User-Agent\":\"SDK/5\"}"
    printf "}\n"
  }
}' >hl.log
"$RA" ingest --db h.db --format relayaudit-jsonl hl.log 2>/dev/null
head -n 6 hl.log >hl1.log
"$RA" ingest --db h1.db --format relayaudit-jsonl hl1.log 2>/dev/null
cols="line_no % 6, coalesce(user_agent, '-'), headers_in, coalesce(headers_out, '-'),
      hdr_in_fp, coalesce(hdr_out_fp, '-')"
expect "header lists: the user agent of each kind" \
"0 SDK/1 2000
1 own/1 2000
2 - 2000
3 SDK/3 2000
4 own/4 2000
5 SDK/5 2000" \
  "$(q h.db "SELECT line_no % 6, coalesce(user_agent, '-'), count(*)
             FROM gateway_events GROUP BY 1, 2 ORDER BY 1" | tr '\t' ' ')"
expect "header lists: each kind stored one way, as when read alone" \
  "$(q h1.db "SELECT $cols, 2000 FROM gateway_events ORDER BY 1")" \
  "$(q h.db "SELECT $cols, count(*) FROM gateway_events
             GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1")"
# ... and a caller key, remembered with the id of its hash
k0=$(printf %s sk-live-SECRETKEY-0 | sha256sum | cut -c1-64)
k1=$(printf %s sk-live-SECRETKEY-1 | sha256sum | cut -c1-64)
expect "caller keys: each line's hash" \
"0 $k0 2000
1 $k1 2000
2 $k0 2000
3 - 2000
4 - 2000
5 - 2000" \
  "$(q h.db "SELECT line_no % 6, coalesce(caller_key, '-'), count(*)
             FROM gateway_events GROUP BY 1, 2 ORDER BY 1" | tr '\t' ' ')"
expect "header lists: no key" "" \
  "$(grep -a -l SECRETKEY h.db* h1.db* 2>/dev/null)"
exit $fail
