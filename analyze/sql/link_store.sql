-- Links (DESIGN.md, "Joins"): link_rows made again. analyze/join.c makes
-- the links when the INSERT first reads ra_links_made, a table over rows
-- in memory that refills itself (gateway id, proxy id, by_session, dt),
-- and hands them over by proxy event, link_rows' key: the table says so,
-- and the ORDER BY sorts nothing (5 M + 5 M events: groups matched and
-- links stored 5.4 s with SQLite's sort, 3.4-3.6 s without). They are
-- appended in key order, and never all in memory: they wait in ranges of
-- proxy ids in a temporary file. The index on the gateway side comes
-- after (link_index.sql).
DROP INDEX IF EXISTS links_gateway;
DELETE FROM link_rows;
INSERT INTO link_rows (gateway_id, proxy_id, by_session, dt_ms)
SELECT c0, c1, c2, c3 FROM ra_links_made ORDER BY c1;
