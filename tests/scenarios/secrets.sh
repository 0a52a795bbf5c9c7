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
K7=opaqueWsTok99
K8=oauthClientSecret42
keys="$K1 $K2 $K3 $K4 $K5 $K6 $K7 $K8"

cat >g.log <<EOT
{"ts":"2026-11-24T10:00:00Z","request_id":"$K1","caller":"x $K2","caller_key":"$K6","team":"$K3","session":"s $K1","provider":"openai","account":"acct $K2","egress_session":"e $K3","model":"m $K1","route":"https://u:$K5@api.openai.com/v1?key=$K3&session_token=$K7","status":401,"error_code":"invalid_api_key","error_message":"Incorrect API key provided: $K1 (Bearer $K4)","client_ip":"10.0.0.1","user_agent":"ua Bearer $K4","egress_ip":"$K2","headers_in":{"authorization":"Bearer $K4","x-api-key":"$K6","user-agent":"agent $K1","x-app":"Bearer $K4","x-auth-token":"$K7","proxy-authorization":"Basic dXNlcjpodW50ZXIycGFzcw=="},"headers_out":[["authorization","Bearer $K1"],["x-api-key","$K2"],["anthropic-version","$K3"]]}
{"ts":"2026-11-24T10:00:01Z","broken json with $K1 and Bearer $K4 and "x-api-key":"$K6" and password=$K5
EOT
cat >p.log <<EOT
1795515302.117    245 192.0.2.10 TCP_MISS/200 5120 GET http://user:$K5@api.openai.com/v1/models?api_key=$K1&token=$K7 brd-customer-h-zone-isp-session-$K3-country-us HIER_DIRECT/203.0.113.7 -
1795515302.117 not squid at all $K2 Bearer $K4 http://a:$K5@b/ client_secret=$K8
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
# Every other format, a key of every shape in the places its lines carry
# free text, URLs, users and headers.
P1="http://user:$K5@api.openai.com/v1?key=$K1"
printf '192.0.2.1 - u:%s [24/Nov/2026:10:15:02 +0000] "GET %s HTTP/1.1" 200 1 "-" "Bearer %s" TCP_MISS:HIER_DIRECT\n' "$K5" "$P1" "$K4" >sc.log
printf '10.0.3.7 - %s [24/Nov/2026:10:15:02 +0000] "GET %s HTTP/1.1" 200 5 "%s" "ua %s" "%s" rt=0.2\n' "$K2" "$P1" "$K3" "$K1" "$K6" >ng.log
printf '10.0.3.7 - - [24/Nov/2026:10:15:02 +0000] "GET %s HTTP/1.1" 200 5 "-" "%s" 10 0.1 [u] [] 10.1.0.1:443 5 0.1 200 %s\n' "$P1" "$K3" "abcdef0123456789" >in.log
printf '[2026-11-24T10:15:02.113Z] "GET %s HTTP/1.1" 200 - 1 2 3 4 "%s" "Bearer %s" "%s" "api.openai.com" "1.2.3.4:443"\n' "$P1" "$K1" "$K4" "$K2" >en.log
printf '261124101502.113 3128 00000 %s 10.0.3.7:1 1.2.3.4:443 1 2 0 GET %s HTTP/1.1\n' "$K1" "$P1" >3p.log
printf '{"url":"%s","method":"GET","status_code":"200","timestamp":"2026-11-24T10:15:02Z","username":"brd-customer-x-zone-y-session-%s","password":"%s","request_headers":{"x-request-id":"%s","authorization":"Bearer %s"},"response_headers":{"x-luminati-error":"%s"}}\n' "$P1" "$K3" "$K5" "$K1" "$K4" "$K2" >bd.log
printf 'Nov 24 10:15:02 h haproxy[7]: 10.0.0.1:1 [24/Nov/2026:10:15:02.113] f b/s 0/0/0/0/0 200 1 - - ---- 1/1/0/0/0 0/0 {%s|Bearer %s} {} "GET %s HTTP/1.1"\n' "$K1" "$K4" "$P1" >ha.log
printf '[11.24 10:15:02] %s.exe - %s:443 error : proxy auth Bearer %s failed for http://u:%s@p:1/\n' "$K1" "$K2" "$K4" "$K5" >px.log
printf '{"started_at":1795515302113,"upstream_uri":"%s","request":{"headers":{"authorization":"Bearer %s","x-api-key":"%s","user-agent":"%s"}},"response":{"status":200},"consumer":{"username":"%s"},"service":{"name":"s"}}\n' "$P1" "$K4" "$K6" "$K1" "$K2" >kg.log
printf '{"start_time":"2026-11-24T10:15:02Z","genai_backend_name":"%s","x-request-id":"%s","user-agent":"Bearer %s","upstream_host":"%s","x-consumer-username":"%s"}\n' "$K1" "$K2" "$K4" "$P1" "$K3" >ea.log
printf 'request_id,api_key,startTime,model_id,api_base,user,metadata,status\n%s,%s,2026-11-24 10:15:02,%s,%s,%s,"{""user_api_key_alias"": ""%s""}",failure\n' "$K1" "$K6" "$K2" "$P1" "$K3" "$K1" >ll.csv
printf 'request_id,startTime,api_base,model_id,exception_string,status_code\n%s,2026-11-24 10:15:02,%s,%s,"Incorrect API key provided: %s (Bearer %s)",401\n' "$K2" "$P1" "$K3" "$K1" "$K4" >le.csv
printf 'id,created_at,type,content,username,token_name,channel_id,other\n1,1795515302,5,"bad key %s",%s,%s,1,"{""request_path"":""%s""}"\n' "$K1" "$K2" "$K3" "$P1" >na.csv
for spec in squid-combined:sc.log nginx-combined:ng.log ingress-nginx:in.log \
  envoy-text:en.log 3proxy:3p.log brightdata-pm:bd.log haproxy-http:ha.log \
  proxifier:px.log kong-filelog:kg.log envoy-ai-json:ea.log \
  litellm-spendlogs:ll.csv litellm-errorlogs:le.csv newapi-logs:na.csv; do
  "$RA" ingest --db t.db --year 2026 --format "${spec%%:*}" "${spec#*:}" 2>>err.txt
  expect "${spec%%:*} read" 0 "$?"
done
for t in gateway_events proxy_events rejects; do
  "$RA" query --db t.db --format csv "SELECT * FROM $t" >>out.txt 2>>err.txt
done
"$RA" analyze --db t.db 2>>err.txt
for f in text md json csv; do
  "$RA" report --db t.db --format $f >>out.txt 2>>err.txt
done
sqlite3 t.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
for k in $keys; do
  found=$(grep -a -l -F -- "$k" t.db* out.txt err.txt 2>/dev/null | tr '\n' ' ')
  expect "no trace of $k" "" "$found"
done
# The password of Basic credentials, base64-encoded, must not be there either.
found=$(grep -a -l -F "dXNlcjpodW50ZXIycGFzcw" t.db* out.txt err.txt | tr '\n' ' ')
expect "no basic credentials" "" "$found"
exit $fail
