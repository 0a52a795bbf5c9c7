-- sticky_break (DESIGN.md), the sub-kinds egress_ip and country; the
-- account one is sticky_break.sql, which runs before it (see there).
-- Parameters: :run_id :since :until :sticky_window
-- Egress sessions, IPs and countries are read as string-dictionary ids
-- (schema version 3), which compare as their strings do; the findings
-- carry the strings, and subjects are ordered by them.

-- The subjects that saw more than one value, with the least and greatest
-- (group_into: analyze/group.c): multi_ip (egress sessions and their exit
-- IPs, both tables; event_groups.sql's scan of the gateway events made
-- it) and multi_c (egress sessions and their countries), from one scan
-- of the proxy events here.
DROP TABLE IF EXISTS temp.multi_c;
CREATE TEMP TABLE multi_c (k INTEGER PRIMARY KEY, lo INTEGER, hi INTEGER);
SELECT CASE WHEN egress_ip IS NOT NULL THEN 'multi_ip' END AS group_into,
       egress_session AS key_k, egress_ip AS "min_lo max_hi",
       CASE WHEN country IS NOT NULL THEN 'multi_c' END AS group_into,
       egress_session AS key_k, country AS "min_lo max_hi"
FROM proxy_rows
WHERE ts >= :since AND ts < :until AND egress_session IS NOT NULL
  AND (egress_ip IS NOT NULL OR country IS NOT NULL);
DELETE FROM temp.multi_ip WHERE lo = hi; -- one value: no switch
DELETE FROM temp.multi_c WHERE lo = hi;

-- egress_ip: two events (gateway or proxy) of one egress session, less than
-- :sticky_window apart, with different exit IPs. country: two proxy events
-- of one egress session, less than :sticky_window apart, for different
-- countries. Each sub-kind's switches (sw: an event and the one before it
-- in its session, whose value differs) come from ra_switches
-- (analyze/switches.c), which cuts the events by session into partitions
-- of a temporary file and sorts one partition at a time in memory, not
-- all of them (lag() over a window sorted every event of those sessions);
-- one finding per sub-kind and session is made from them below. Only the
-- events of the sessions that saw more than one value are read (ra_in:
-- `IN (SELECT ...)` through a hash, ingest/sqlfuncs.c), none when no
-- session did (the first loop is one row, or none).
WITH ip_sw AS MATERIALIZED (
    SELECT 'egress_ip' AS sub, c0 AS egress_session, c1 AS ts, c4 AS v,
           c5 AS request_id, p4 AS prev_v, p1 AS prev_ts,
           p5 AS prev_request
    FROM ra_switches(
        format('SELECT egress_session, ts, 0, id, egress_ip, request_id
                FROM (SELECT 1 FROM temp.multi_ip LIMIT 1)
                     CROSS JOIN gateway_rows
                WHERE ts >= %d AND ts < %d
                  AND ra_in(egress_session,
                            ''SELECT k FROM temp.multi_ip'')
                  AND egress_ip IS NOT NULL
                UNION ALL
                SELECT egress_session, ts, 1, id, egress_ip, request_id
                FROM (SELECT 1 FROM temp.multi_ip LIMIT 1)
                     CROSS JOIN proxy_rows
                WHERE ts >= %d AND ts < %d
                  AND ra_in(egress_session,
                            ''SELECT k FROM temp.multi_ip'')
                  AND egress_ip IS NOT NULL',
               :since, :until, :since, :until),
        3, (SELECT coalesce((SELECT max(id) FROM gateway_rows), 0) +
                   coalesce((SELECT max(id) FROM proxy_rows), 0)))
    WHERE ts - prev_ts < :sticky_window
),
c_sw AS MATERIALIZED (
    SELECT 'country' AS sub, c0 AS egress_session, c1 AS ts, c3 AS v,
           c4 AS request_id, p3 AS prev_v, p1 AS prev_ts,
           p4 AS prev_request
    FROM ra_switches(
        format('SELECT egress_session, ts, id, country, request_id
                FROM (SELECT 1 FROM temp.multi_c LIMIT 1)
                     CROSS JOIN proxy_rows
                WHERE ts >= %d AND ts < %d
                  AND ra_in(egress_session,
                            ''SELECT k FROM temp.multi_c'')
                  AND country IS NOT NULL', :since, :until),
        2, (SELECT coalesce(max(id), 0) FROM proxy_rows))
    WHERE ts - prev_ts < :sticky_window
),
sw AS (SELECT * FROM ip_sw UNION ALL SELECT * FROM c_sw),
vals AS MATERIALIZED (
    -- the values in order of first appearance, one JSON array per subject
    SELECT sub, egress_session,
           (SELECT s FROM strings WHERE id = egress_session) AS name,
           json_group_array((SELECT s FROM strings WHERE id = v)) AS arr
    FROM (SELECT sub, egress_session, v, min(t) AS t FROM (
              SELECT sub, egress_session, prev_v AS v, prev_ts AS t FROM sw
              UNION ALL SELECT sub, egress_session, v, ts FROM sw)
          GROUP BY sub, egress_session, v ORDER BY sub, egress_session, t)
    GROUP BY sub, egress_session
)
INSERT INTO findings (run_id, kind, severity, sub, egress_session, ts,
                      evidence)
SELECT :run_id, 'sticky_break',
       CASE w.sub WHEN 'country' THEN 'high' ELSE 'medium' END, w.sub,
       v.name, min(w.prev_ts),
       json_object(
           'session', NULL, 'egress_session', v.name,
           'account', NULL, 'break', w.sub,
           'values', json(v.arr),
           'switches', count(*),
           'retries', sum(w.request_id IS NOT NULL
                          AND w.request_id = w.prev_request),
           'first', ra_iso(min(w.prev_ts)), 'last', ra_iso(max(w.ts)))
FROM sw w JOIN vals v ON v.sub = w.sub AND v.egress_session = w.egress_session
GROUP BY w.sub, w.egress_session
ORDER BY w.sub = 'country', v.name; -- egress_ip's first, as they were

DROP TABLE temp.multi_ip;
DROP TABLE temp.multi_c;
