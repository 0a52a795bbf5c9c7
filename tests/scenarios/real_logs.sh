#!/bin/sh
# The real public logs of ../shared/real-logs, read where they are, with
# exact counts of records, skipped lines and rejects; auto-detection picks
# each one's format; a few fields checked by hand against the lines.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"
R="$SRC/../shared/real-logs"
[ -d "$R" ] || { echo "FAIL: $R is missing"; exit 1; }

"$RA" ingest --db t.db --year 2017 "$R/proxifier_loghub_2k.log" 2>err.txt
"$RA" ingest --db t.db "$R/nginx_combined_xff_zanbil_lnav.log" 2>>err.txt
"$RA" ingest --db t.db "$R/haproxy_httplog_syslog_lnav.log" 2>>err.txt
expect "formats detected and counts (records rejected skipped complete)" \
  "proxifier 2000 0 0 1;nginx-combined 1000 0 0 1;haproxy-http 13 0 4 1;" \
  "$(q t.db "SELECT format || ' ' || records || ' ' || rejected || ' ' || skipped || ' ' || complete FROM files ORDER BY id" | tr '\n' ';')"
expect "rows" "3013" "$(q t.db 'SELECT count(*) FROM proxy_events')"
expect "detection said so" "3" "$(grep -c '(detected)' err.txt)"
expect "the year given was used" "1" "$(grep -c "year 2017" err.txt)"

# Proxifier: the last line has no newline and is a record; a close line's
# start is its time minus the lifetime; bytes = sent + received.
expect "proxifier last line" "2017-07-27T10:23:25Z" \
  "$(q t.db "SELECT ra_iso(max(ts)) FROM proxy_events WHERE file_id = 1 AND line_no = 2000")"
expect "proxifier close line" "close 829 0 proxy.cse.cuhk.edu.hk 5070" \
  "$(q t.db "SELECT result || ' ' || bytes || ' ' || duration_ms || ' ' || dest_host || ' ' || dest_port FROM proxy_events WHERE file_id = 1 AND line_no = 8")"
expect "proxifier 00:01 lifetime" "2017-10-30T16:49:06Z 1000" \
  "$(q t.db "SELECT ra_iso(ts) || ' ' || duration_ms FROM proxy_events WHERE file_id = 1 AND line_no = 4")"
expect "proxifier results" "close 947;error 97;open 956;" \
  "$(q t.db "SELECT result || ' ' || count(*) FROM proxy_events WHERE file_id = 1 GROUP BY result ORDER BY result" | tr '\n' ';')"

# nginx: +0330 offsets; 13 lines carry an X-Forwarded-For.
expect "nginx first line in UTC" "2019-01-22T00:26:14Z 54.36.149.41 GET 200 30577" \
  "$(q t.db "SELECT ra_iso(ts) || ' ' || client_ip || ' ' || method || ' ' || status || ' ' || bytes FROM proxy_events WHERE file_id = 2 AND line_no = 1")"

# HAProxy: 13 requests, the lifecycle lines skipped; accept date in UTC.
expect "haproxy first request" "2019-02-25T16:19:48.143Z 141.35.244.171 bk_admin/nginx_sonst 200 1487 ----" \
  "$(q t.db "SELECT ra_iso(ts) || ' ' || client_ip || ' ' || upstream_addr || ' ' || status || ' ' || duration_ms || ' ' || result FROM proxy_events WHERE file_id = 3 ORDER BY line_no LIMIT 1")"
expect "haproxy --check" "haproxy-http on '$R/haproxy_httplog_syslog_lnav.log': 17 lines, 13 records, 0 rejected, 4 skipped: match rate 100.0%" \
  "$("$RA" formats --check "$R/haproxy_httplog_syslog_lnav.log" haproxy-http)"
exit $fail
