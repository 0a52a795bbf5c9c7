-- Links, pass 1 (DESIGN.md, "Joins"): equal request_id, best first; the C
-- side (analyze/join.c) takes them greedily, each event at most once.
-- temp.ra_proxy_rid (indexes.sql) has a row only when some proxy event
-- has a request id, and it is the outer loop: when none has (Squid's never
-- do), the gateway events are not read at all (5 M + 5 M: 0.24 s).
SELECT g.id AS gid, p.id AS pid, p.ts - g.ts AS dt
FROM temp.ra_proxy_rid
CROSS JOIN gateway_rows g
JOIN proxy_rows p ON p.request_id = g.request_id
WHERE g.request_id IS NOT NULL
ORDER BY abs(p.ts - g.ts), g.id, p.id;
