#!/bin/sh
# analyze on one core (every step in turn) and on two (the steps that need no
# links on a second thread beside the links step, their ban events and
# findings handed over and numbered in order) stores the same links, bans and
# findings, ids included.
RA=$1
SRC=$2
. "$SRC/tests/scenarios/lib.inc"

"$RA" ingest --db one.db --source map "$SRC/samples/map.csv" 2>/dev/null
"$RA" ingest --db one.db "$SRC/samples/gateway" "$SRC/samples/proxy" 2>/dev/null
cp one.db two.db
cp one.db few.db
cp one.db late.db
cp one.db last.db
cp one.db ahead.db
RELAYAUDIT_CORES=1 "$RA" analyze --db one.db 2>/dev/null
RELAYAUDIT_CORES=2 "$RA" analyze --db two.db 2>/dev/null
# with few file descriptors, one connection does it all (a second thread's
# connections would leave too few for the sorts' temporary files)
(ulimit -n 12 && RELAYAUDIT_CORES=2 "$RA" analyze --db few.db 2>/dev/null)
# a step the second thread has not started when the main thread comes to
# it runs on the main thread (debug builds hold the second thread back
# until the main one has taken the step named): here it takes the proxy
# stream and the steps up to event_groups, whose tables the second thread
# then waits for; then every step
RELAYAUDIT_CORES=2 RELAYAUDIT_TEST_CREW_AFTER=event_groups \
  timeout 60 "$RA" analyze --db late.db 2>/dev/null
RELAYAUDIT_CORES=2 RELAYAUDIT_TEST_CREW_AFTER=header_variant \
  timeout 60 "$RA" analyze --db last.db 2>/dev/null
# while the second thread runs a step, the main thread takes a later one
# that it has not started (held: sticky_break until sticky_break_exit is
# taken)
RELAYAUDIT_CORES=2 RELAYAUDIT_TEST_CREW_HOLD=sticky_break \
  timeout 60 "$RA" analyze --db ahead.db 2>/dev/null
dump() {
  q "$1" "SELECT 'L', gateway_id, proxy_id, method, dt_ms FROM links
          ORDER BY gateway_id" | md5sum
  q "$1" "SELECT 'B', id, source, event_id, account, attribution, caller,
                 candidates, active FROM bans ORDER BY id" | md5sum
  q "$1" "SELECT 'F', id, kind, severity, sub, account, caller, session,
                 egress_session, ts, window_start, window_end, evidence
          FROM findings ORDER BY id" | md5sum
}
# the samples plant findings of every detector; on two cores the staged ones
# (shared_account, sticky_break's first three checks, header_variant's
# first four) keep their places around those that read links
expect "findings on two cores, by id" \
  "shared_account/- sticky_break/account sticky_break/egress_ip sticky_break/country sticky_break/declared sticky_break/declared unmapped_ban/quota unmapped_ban/ban unmapped_ban/blocked header_variant/caller_drift header_variant/caller_drift header_variant/account_mix header_variant/leak header_variant/route_variant" \
  "$(q two.db "SELECT group_concat(kind || '/' || coalesce(sub, '-'), ' ')
               FROM (SELECT kind, sub FROM findings ORDER BY id)")"
expect "links, bans, findings: one core = two cores" "$(dump one.db)" "$(dump two.db)"
expect "links, bans, findings: 12 file descriptors" "$(dump one.db)" "$(dump few.db)"
expect "links, bans, findings: steps taken by the main thread" \
  "$(dump one.db)" "$(dump late.db)"
expect "links, bans, findings: every step on the main thread" \
  "$(dump one.db)" "$(dump last.db)"
expect "links, bans, findings: a later step taken ahead" \
  "$(dump one.db)" "$(dump ahead.db)"
exit $fail
