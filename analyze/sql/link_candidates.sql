-- Candidate gateway/proxy pairs for the links (DESIGN.md, "Joins"), best
-- first: the C side (analyze/join.c) takes them greedily, each event at
-- most once. Each statement is one pass.

-- Pass 1: equal request_id.
SELECT g.id AS gid, p.id AS pid, p.ts - g.ts AS dt
FROM gateway_events g
JOIN proxy_events p ON p.request_id = g.request_id
WHERE g.request_id IS NOT NULL
ORDER BY abs(p.ts - g.ts), g.id, p.id;

-- Pass 2: equal egress session (or, for a gateway event without one, a
-- session the map gives its account), within the tolerance, the route's
-- host equal to the destination when both are known, and never two events
-- whose request ids differ.
WITH g AS MATERIALIZED (
  -- the route's host, computed once per gateway event
  SELECT id, ts, egress_session, account, request_id, ra_host(route) AS host
  FROM gateway_events
)
SELECT gid, pid, dt FROM (
  SELECT g.id AS gid, p.id AS pid, p.ts - g.ts AS dt
  FROM g
  JOIN proxy_events p
    ON p.egress_session = g.egress_session
   AND p.ts BETWEEN g.ts - :tolerance AND g.ts + :tolerance
  WHERE g.egress_session IS NOT NULL
    AND (p.dest_host IS NULL OR g.host IS NULL OR g.host = p.dest_host)
    AND NOT (g.request_id IS NOT NULL AND p.request_id IS NOT NULL
             AND g.request_id <> p.request_id)
  UNION
  SELECT g.id, p.id, p.ts - g.ts
  FROM g
  JOIN (SELECT DISTINCT account, egress_session FROM map
        WHERE account IS NOT NULL AND egress_session IS NOT NULL) m
    ON m.account = g.account
  JOIN proxy_events p
    ON p.egress_session = m.egress_session
   AND p.ts BETWEEN g.ts - :tolerance AND g.ts + :tolerance
  WHERE g.egress_session IS NULL
    AND (p.dest_host IS NULL OR g.host IS NULL OR g.host = p.dest_host)
    AND NOT (g.request_id IS NOT NULL AND p.request_id IS NOT NULL
             AND g.request_id <> p.request_id)
)
ORDER BY abs(dt), gid, pid;
