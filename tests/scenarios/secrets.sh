#!/bin/sh
# Keys of every shape planted in every field of every format: none of them
# may appear in the database, in rejects, in query output or on stderr.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

K1=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234
K2=sk-ant-api03-ZyXwVuTsRqPoNmLkJiHg-0987
K3=AIzaSyB0123456789abcdefghijklmnopqrstuv
K4=tok_opaque.bearer.Secret77
K5=hunter2pass
K6=sk-live-short1
keys="$K1 $K2 $K3 $K4 $K5 $K6"

cat >g.log <<EOT
{"ts":"2026-11-24T10:00:00Z","request_id":"$K1","caller":"x $K2","caller_key":"$K6","team":"$K3","session":"s $K1","provider":"openai","account":"acct $K2","egress_session":"e $K3","model":"m $K1","route":"https://u:$K5@api.openai.com/v1?key=$K3","status":401,"error_code":"invalid_api_key","error_message":"Incorrect API key provided: $K1 (Bearer $K4)","client_ip":"10.0.0.1","user_agent":"ua Bearer $K4","egress_ip":"$K2","headers_in":{"authorization":"Bearer $K4","x-api-key":"$K6","user-agent":"agent $K1","x-app":"Bearer $K4","proxy-authorization":"Basic dXNlcjpodW50ZXIycGFzcw=="},"headers_out":[["authorization","Bearer $K1"],["x-api-key","$K2"],["anthropic-version","$K3"]]}
{"ts":"2026-11-24T10:00:01Z","broken json with $K1 and Bearer $K4 and "x-api-key":"$K6" and password=$K5
EOT
cat >p.log <<EOT
1795515302.117    245 192.0.2.10 TCP_MISS/200 5120 GET http://user:$K5@api.openai.com/v1/models?api_key=$K1 brd-customer-h-zone-isp-session-$K3-country-us HIER_DIRECT/203.0.113.7 -
1795515302.117 not squid at all $K2 Bearer $K4 http://a:$K5@b/
EOT
cat >m.csv <<EOT
caller,account,egress_session,country,max_callers
$K1,$K2,$K3,us,1
EOT
"$RA" ingest --db t.db --format relayaudit-jsonl g.log 2>>err.txt
"$RA" ingest --db t.db --format squid p.log 2>>err.txt
"$RA" ingest --db t.db --source map m.csv 2>>err.txt
for t in gateway_events proxy_events map rejects files; do
  "$RA" query --db t.db --format json "SELECT * FROM $t" >>out.txt 2>>err.txt
done
expect "gateway rows" 1 "$(q t.db 'SELECT count(*) FROM gateway_events')"
expect "proxy rows" 1 "$(q t.db 'SELECT count(*) FROM proxy_events')"
expect "rejects" 2 "$(q t.db 'SELECT count(*) FROM rejects')"
expect "caller_key is a hash" "$(printf '%s' "$K6" | sha256sum | cut -c1-64)" "$(q t.db 'SELECT caller_key FROM gateway_events')"
sqlite3 t.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
for k in $keys; do
  found=$(grep -a -l -F -- "$k" t.db* out.txt err.txt 2>/dev/null | tr '\n' ' ')
  expect "no trace of $k" "" "$found"
done
# The password of Basic credentials, base64-encoded, must not be there either.
found=$(grep -a -l -F "dXNlcjpodW50ZXIycGFzcw" t.db* out.txt err.txt | tr '\n' ' ')
expect "no basic credentials" "" "$found"
exit $fail
