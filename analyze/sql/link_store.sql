-- Links (DESIGN.md, "Joins"): link_rows made again. analyze/join.c makes
-- the links as the INSERT reads them from ra_links_made, a table over rows
-- in memory that refills itself (gateway id, proxy id, by_session, dt);
-- SQLite sorts them by their proxy event, link_rows' key, and appends them
-- in key order. The rows it reads are never all in memory: the sort
-- spills to its files. The index on the gateway side comes after
-- (link_index.sql).
DROP INDEX IF EXISTS links_gateway;
DELETE FROM link_rows;
INSERT INTO link_rows (gateway_id, proxy_id, by_session, dt_ms)
SELECT c0, c1, c2, c3 FROM ra_links_made ORDER BY c1;
