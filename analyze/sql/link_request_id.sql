-- Links, pass 1 (DESIGN.md, "Joins"): equal request_id, best first; the C
-- side (analyze/join.c) takes them greedily, each event at most once.
-- any_rid has a row only when some proxy event has a request id, and it
-- is the outer loop: when none has (Squid's never do), the gateway events
-- are not read at all (5 M + 5 M: 0.24 s).
WITH any_rid AS (SELECT 1 FROM proxy_rows WHERE request_id IS NOT NULL
                 LIMIT 1)
SELECT g.id AS gid, p.id AS pid, p.ts - g.ts AS dt
FROM any_rid
CROSS JOIN gateway_rows g
JOIN proxy_rows p ON p.request_id = g.request_id
WHERE g.request_id IS NOT NULL
ORDER BY abs(p.ts - g.ts), g.id, p.id;
