-- Links, pass 1 (DESIGN.md, "Joins"): equal request_id, best first; the C
-- side (analyze/join.c) takes them greedily, each event at most once.
SELECT g.id AS gid, p.id AS pid, p.ts - g.ts AS dt
FROM gateway_rows g
JOIN proxy_rows p ON p.request_id = g.request_id
WHERE g.request_id IS NOT NULL
ORDER BY abs(p.ts - g.ts), g.id, p.id;
