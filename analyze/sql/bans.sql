-- The ban-class events of bans_events.sql (temp.ban_ev) attributed to a
-- caller (DESIGN.md, "Joins" 2): own caller, same request_id, link, map;
-- then the lookback window (ban_active.sql, bans_store.sql, which the
-- bans step runs after this file), and stored in bans.
-- ban_ev's account, own_caller and egress_session are string-dictionary ids
-- (schema version 3); caller, candidates and active are text.

-- The links' attribution walk more pages than analyze's 2 MiB page caches
-- (the size of its sort runs) hold: 32 MiB each for main and temp in this
-- step (the connection's own sizes come back after it, analyze/sqlrun.c).
PRAGMA main.cache_size = -32000;
PRAGMA temp.cache_size = -32000;

-- A proxy event's account: through its link, else the map's row for its
-- egress session (when the map names exactly one account for it).
UPDATE ban_ev SET account = (
    SELECT g.account FROM links l JOIN gateway_rows g ON g.id = l.gateway_id
    WHERE l.proxy_id = ban_ev.event_id)
WHERE source = 'proxy';
UPDATE ban_ev SET account = (
    SELECT min(account) FROM map_rows m
    WHERE m.egress_session = ban_ev.egress_session AND account IS NOT NULL
    HAVING count(DISTINCT account) = 1)
WHERE source = 'proxy' AND account IS NULL AND egress_session IS NOT NULL;

-- 1. its own caller
UPDATE ban_ev SET caller = (SELECT s FROM strings WHERE id = own_caller),
                  attribution = 'own'
WHERE own_caller IS NOT NULL;

-- The callers that rules 2 and 3 ask after: for each request id a ban
-- event carries, or the gateway event linked to a proxy ban (when that has
-- no caller of its own), the caller of the first gateway event (by id)
-- with that request id and a caller. One scan of the events, and only when
-- some ban asks (the first loop is one row, or none), instead of an index
-- over every event's request id built each analysis.
DROP TABLE IF EXISTS temp.rid_need;
CREATE TEMP TABLE rid_need (request_id TEXT PRIMARY KEY);
INSERT OR IGNORE INTO rid_need
SELECT request_id FROM ban_ev
WHERE attribution IS NULL AND request_id IS NOT NULL;
INSERT OR IGNORE INTO rid_need
SELECT g.request_id
FROM ban_ev b JOIN links l ON l.proxy_id = b.event_id
              JOIN gateway_rows g ON g.id = l.gateway_id
WHERE b.attribution IS NULL AND b.source = 'proxy'
  AND g.caller IS NULL AND g.request_id IS NOT NULL;
DROP TABLE IF EXISTS temp.rid_caller;
CREATE TEMP TABLE rid_caller AS
SELECT request_id, caller, min(id) AS id -- caller: of the least id's row
FROM (SELECT 1 FROM temp.rid_need LIMIT 1) CROSS JOIN gateway_rows
WHERE request_id IN (SELECT request_id FROM temp.rid_need)
  AND caller IS NOT NULL
GROUP BY request_id;
CREATE UNIQUE INDEX temp.rid_caller_request ON rid_caller(request_id);

-- 2. another gateway event with the same request_id that has one
UPDATE ban_ev SET attribution = 'request_id', caller = (
    SELECT s FROM strings WHERE id = (
        SELECT r.caller FROM temp.rid_caller r
        WHERE r.request_id = ban_ev.request_id))
WHERE attribution IS NULL AND request_id IS NOT NULL
  AND request_id IN (SELECT request_id FROM temp.rid_caller);

-- 3. through its link: the linked gateway event's caller, its own or by
-- request_id
UPDATE ban_ev SET attribution = 'link', caller = (
    SELECT s FROM strings WHERE id = (
        SELECT coalesce(g.caller,
                        (SELECT r.caller FROM temp.rid_caller r
                         WHERE r.request_id = g.request_id))
        FROM links l JOIN gateway_rows g ON g.id = l.gateway_id
        WHERE l.proxy_id = ban_ev.event_id))
WHERE attribution IS NULL AND source = 'proxy';
UPDATE ban_ev SET attribution = NULL WHERE attribution = 'link' AND caller IS NULL;

-- 4. the declared map, when its rows for the account name exactly one caller
UPDATE ban_ev SET attribution = 'map', caller = (
    SELECT s FROM strings WHERE id = (
        SELECT min(caller) FROM map_rows m
        WHERE m.account = ban_ev.account AND caller IS NOT NULL
        HAVING count(DISTINCT caller) = 1))
WHERE attribution IS NULL AND account IS NOT NULL;
UPDATE ban_ev SET attribution = NULL WHERE attribution = 'map' AND caller IS NULL;
