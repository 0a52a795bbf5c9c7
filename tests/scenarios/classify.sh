#!/bin/sh
# Every classification rule with a real provider error, as the providers
# document and send them. Each event has its own caller, so each ban-class
# one lands in `bans` attributed `own`; the others must not be there.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

n=0
# case STATUS CODE MESSAGE EXPECTED-CLASS
case_() {
  n=$((n + 1))
  printf '{"ts":"2026-11-24T10:00:%02dZ","caller":"c%d","account":"A%d","request_id":"r%d","status":%s,"error_code":%s,"error_message":%s}\n' \
    "$n" "$n" "$n" "$n" "$1" "$2" "$3" >>gw.log
  echo "r$n $4" >>want.txt
}
fresh
: >want.txt
case_ 401 '"account_deactivated"' '"Your OpenAI account has been deactivated, please check your email for more information. If you feel this is an error, contact us through our help center at help.openai.com."' ban
case_ 401 '"invalid_api_key"' '"Incorrect API key provided: sk-proj-********************************wxyz. You can find your API key at https://platform.openai.com/account/api-keys."' ban
case_ 429 '"insufficient_quota"' '"You exceeded your current quota, please check your plan and billing details."' quota
case_ 429 '"rate_limit_exceeded"' '"Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29500, Requested 900."' rate_limit
case_ 403 '"unsupported_country_region_territory"' '"Country, region, or territory not supported"' blocked
case_ 400 '"invalid_request_error"' '"This organization has been disabled."' ban
case_ 400 '"invalid_request_error"' '"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."' quota
case_ 401 '"authentication_error"' '"invalid x-api-key"' ban
case_ 403 '"permission_error"' '"Your API key does not have permission to use the specified resource."' ban
case_ 429 '"rate_limit_error"' '"Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits)"' rate_limit
case_ 529 '"overloaded_error"' '"Overloaded"' none
case_ 403 '"PERMISSION_DENIED"' '"Permission denied: Consumer '"'"'api_key:[redacted]'"'"' has been suspended."' ban
case_ 403 '"CONSUMER_SUSPENDED"' '"Permission denied: Consumer has been suspended."' ban
case_ 403 '"PERMISSION_DENIED"' '"The caller does not have permission"' ban
case_ 400 '"INVALID_ARGUMENT"' '"API key not valid. Please pass a valid API key."' ban
case_ 400 '"API_KEY_INVALID"' '"API key expired. Please renew the API key."' ban
case_ 429 '"RESOURCE_EXHAUSTED"' '"Resource has been exhausted (e.g. check quota)."' quota
case_ 429 '"429"' '"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-02-01 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds."' rate_limit
case_ 500 '"server_error"' '"The server had an error while processing your request. Sorry about that!"' none
case_ 400 '"context_length_exceeded"' '"This model'"'"'s maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens."' none
case_ 404 '"model_not_found"' '"The model `gpt-5-turbo` does not exist or you do not have access to it."' none
case_ 0 null '"HTTPSConnectionPool(host='"'"'api.openai.com'"'"', port=443): Max retries exceeded (Caused by ProxyError('"'"'Unable to connect to proxy'"'"', OSError('"'"'Tunnel connection failed: 407 Proxy Authentication Required'"'"')))"' blocked
case_ 0 null '"Tunnel connection failed: 403 Forbidden"' blocked
case_ 0 null '"Request timed out."' none
case_ 407 null '"Proxy Authentication Required"' blocked
case_ 503 '"service_unavailable"' '"Service Unavailable"' none
load
got=$(q t.db "SELECT request_id || ' ' || class FROM bans ORDER BY ts" | tr '\n' ';')
want=$(grep -v ' none$' want.txt | tr '\n' ';')
expect "gateway classes" "$want" "$got"
expect "all attributed own" "own" "$(q t.db "SELECT DISTINCT attribution FROM bans")"

# Proxy side: the proxy's own refusals are blocked; an origin's 403 that the
# proxy passed on is not.
fresh
U='brd-customer-c1-zone-isp'
s 10:00:00 TCP_DENIED/403 api.openai.com "$U-session-p1" >px.log
s 10:00:01 TCP_DENIED/407 api.openai.com "$U-session-p2" >>px.log
s 10:00:02 TCP_MISS/403 api.openai.com "$U-session-p3" >>px.log
s 10:00:03 TCP_TUNNEL/200 api.openai.com "$U-session-p4" >>px.log
s 10:00:04 TCP_MISS/407 api.openai.com "$U-session-p5" >>px.log
s 10:00:05 TCP_MISS/503 api.openai.com "$U-session-p6" >>px.log
load
expect "proxy classes" "p1 blocked squid-denied;p2 blocked squid-denied;p5 blocked proxy-auth-required;" \
  "$(q t.db "SELECT p.egress_session || ' ' || b.class || ' ' || b.rule FROM bans b JOIN proxy_events p ON p.id = b.event_id ORDER BY b.ts" | tr '\n' ';')"
exit $fail
