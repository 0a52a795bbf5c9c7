#!/bin/sh
# make-corpus.sh -- the fuzz targets' seed corpus (tests/fuzz/corpus/),
# taken from samples/ and tests/format-samples/. The first byte of a
# regex, csv or json seed selects the format (see tests/fuzz/fuzz_*.c).
set -eu
cd "$(dirname "$0")/.."
c=tests/fuzz/corpus
rm -rf "$c"
mkdir -p "$c/reader" "$c/regex" "$c/csv" "$c/json" "$c/timestamp" \
  "$c/username" "$c/headers"
fs=tests/format-samples
cp samples/gateway/gateway.log.2.gz "$c/reader/gateway.gz"
head -c 1500 samples/proxy/access.log.1.gz >"$c/reader/truncated.gz"
head -n 5 samples/proxy/access.log | sed 's/$/\r/' >"$c/reader/crlf.log"
cat samples/gateway/gateway.log.2.gz samples/proxy/access.log.1.gz >"$c/reader/two-members.gz"
seed() { # DIR NAME SELECTOR FILE [LINES]
  n=0
  while IFS= read -r line; do
    n=$((n + 1))
    printf "\\$(printf '%03o' "$3")%s" "$line" >"$c/$1/$2-$n"
  done <"$4"
}
seed regex squid 0 "$fs/squid.log"
seed regex squid-combined 1 "$fs/squid-combined.log"
seed regex nginx-combined 2 "$fs/nginx-combined.log"
seed regex ingress-nginx 3 "$fs/ingress-nginx.log"
seed regex haproxy-http 4 "$fs/haproxy-http.log"
seed regex envoy-text 5 "$fs/envoy-text.log"
seed regex 3proxy 6 "$fs/3proxy.log"
seed regex proxifier 7 "$fs/proxifier.log"
tail -n +2 samples/map.csv >map.tmp && seed csv map 0 map.tmp && rm map.tmp
tail -n +2 "$fs/litellm-spendlogs.csv" | head -n 1 >s.tmp && seed csv spend 1 s.tmp && rm s.tmp
tail -n +2 "$fs/newapi-logs.csv" >s.tmp && seed csv newapi 2 s.tmp && rm s.tmp
tail -n +2 "$fs/litellm-errorlogs.csv" >s.tmp && seed csv errorlogs 3 s.tmp && rm s.tmp
head -n 3 samples/gateway/gateway.log >s.tmp && seed json jsonl 0 s.tmp && rm s.tmp
seed json kong 1 "$fs/kong-filelog.log"
seed json brightdata 2 "$fs/brightdata-pm.log"
seed json envoy-ai 3 "$fs/envoy-ai-json.log"
seed json newapi 4 "$fs/newapi-logs.jsonl"
seed json spend 5 "$fs/litellm-spendlogs.jsonl"
printf '%s\n' "2026-11-24T10:15:02.113Z" "2026-11-24 10:15:02+03:30" \
  "1795515302.117" "1795515302117000" "24/Nov/2026:13:45:02 +0330" \
  "Nov  4 10:15:02" >t.tmp && seed timestamp iso 0 t.tmp
printf '%s\n' "11.24 10:15:02" >t.tmp && seed timestamp proxifier 2 t.tmp
printf '%s\n' "261124101502.113" >t.tmp && seed timestamp 3proxy 4 t.tmp && rm t.tmp
i=0
for u in brd-customer-hl_1a2b-zone-isp-session-acct03a-country-us \
  lum-customer-c_77-zone-static-session-rand42 \
  customer-acme-cc-US-sessid-abc123-sesstime-10 \
  user-spuser1-country-gb-session-s77 package-123456-country-fr-sessionid-qq1 \
  alice-US-17 bob-res-cc-nl-sid-99881; do
  i=$((i + 1))
  printf '%s' "$u" >"$c/username/u$i"
done
printf '%s' '{"user-agent":"OpenAI/Python 1.82.0","x-stainless-lang":"python","authorization":"Bearer sk-live-0123abcd"}' >"$c/headers/object"
printf '%s' '[["X-App","a"],["x-api-key","sk-ant-secret-value-123456"],["x-app","b"]]' >"$c/headers/pairs"
