#!/bin/sh
# A LiteLLM spend log (no egress session) plus a Squid log, joined through
# the declared map (account -> egress session): the expected links, and a
# ban on the proxy side attributed through its link.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
U='brd-customer-c1-zone-isp'
H='request_id,api_key,spend,prompt_tokens,completion_tokens,startTime,request_duration_ms,model,model_id,custom_llm_provider,api_base,user,metadata,status'
{
  echo "$H"
  echo 'c-1,k1,0.1,1,1,2026-11-24 10:00:00.000,100,gpt-4o,dep-a,openai,https://api.openai.com/v1,,"{""user_api_key_alias"": ""alice""}",success'
  echo 'c-2,k2,0.1,1,1,2026-11-24 10:05:00.000,100,gpt-4o,dep-b,openai,https://api.openai.com/v1,,"{""user_api_key_alias"": ""bob""}",success'
  echo 'c-3,k2,0.1,1,1,2026-11-24 10:06:00.000,100,gpt-4o,dep-c,openai,https://api.openai.com/v1,,"{""user_api_key_alias"": ""bob""}",success'
} >spend.csv
s 10:00:00.040 TCP_TUNNEL/200 api.openai.com "$U-session-sa" >px.log
s 10:05:00.030 TCP_DENIED/407 api.openai.com "$U-session-sb" >>px.log
s 10:06:00.020 TCP_TUNNEL/200 api.openai.com "$U-session-sz" >>px.log
printf 'caller,account,egress_session,country,max_callers\nalice,dep-a,sa,,\nbob,dep-b,sb,,\n' >map.csv
"$RA" ingest --db t.db --source map map.csv 2>/dev/null
"$RA" ingest --db t.db --format litellm-spendlogs spend.csv 2>/dev/null
"$RA" ingest --db t.db --format squid px.log 2>/dev/null
"$RA" analyze --db t.db 2>/dev/null
expect "links through the map" "c-1 sa session 40;c-2 sb session 30;" \
  "$(q t.db "SELECT g.request_id || ' ' || p.egress_session || ' ' || l.method || ' ' || l.dt_ms FROM links l JOIN gateway_events g ON g.id = l.gateway_id JOIN proxy_events p ON p.id = l.proxy_id ORDER BY g.id" | tr '\n' ';')"
expect "the proxy's refusal is bob's, through the link" "blocked link bob dep-b" \
  "$(q t.db "SELECT class || ' ' || attribution || ' ' || caller || ' ' || account FROM bans")"
exit $fail
