-- The ban-class events of bans_events.sql (temp.ban_ev) attributed to a
-- caller (DESIGN.md, "Joins" 2): own caller, same request_id, link, map,
-- lookback window; then stored in bans.
-- Parameters: :run_id :lookback
-- ban_ev's account, own_caller and egress_session are string-dictionary ids
-- (schema version 3); caller, candidates and active are text.

-- The lookback's seeks below (into temp.ra_lookback, for each ban and
-- caller of its account, while ban_ev's rows grow) and the links'
-- attribution walk more pages than analyze's 2 MiB page caches (the size
-- of its sort runs) hold: 32 MiB each for main and temp in this step (the
-- connection's own sizes come back after it, analyze/sqlrun.c). 5 M + 5 M,
-- the active callers of 100 k bans: 0.67 s, against 2.1 s.
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

-- The callers active on the account in [ts - lookback, ts): the candidates
-- of the window rule, and evidence for every ban (the one who triggered a
-- ban is not always the one who caused it).
-- The callers come from temp.ra_lookback (event_groups.sql): each one's
-- first and last event per bucket of :lookback ms. The window [ts -
-- lookback, ts) meets two buckets, those that start after ts - 2 lookback
-- and before ts: the first ends by ts, so it holds an event of the window
-- when its last is at or after ts - lookback; the second starts after ts -
-- lookback, so it does when its first is before ts. One condition for
-- both, one seek per caller of the account, whatever its traffic.
DROP TABLE IF EXISTS temp.acc_caller;
CREATE TEMP TABLE acc_caller AS
SELECT account, caller, (SELECT s FROM strings WHERE id = caller) AS name
FROM (SELECT DISTINCT account, caller FROM temp.ra_lookback
      WHERE account IN (SELECT account FROM ban_ev));
CREATE INDEX temp.acc_caller_account ON acc_caller(account, name);
UPDATE ban_ev SET active = (
    SELECT json_group_array(name) FROM (
        SELECT a.name FROM acc_caller a
        WHERE a.account = ban_ev.account
          AND EXISTS (SELECT 1 FROM temp.ra_lookback k
                      WHERE k.account = a.account AND k.caller = a.caller
                        AND k.bs > ban_ev.ts - 2 * :lookback
                        AND k.bs < ban_ev.ts
                        AND k.last >= ban_ev.ts - :lookback
                        AND k.first < ban_ev.ts)
        ORDER BY a.name))
WHERE account IS NOT NULL;
DROP TABLE temp.acc_caller;

-- 5. the lookback window: exactly one caller, several, or none
UPDATE ban_ev SET attribution = CASE json_array_length(coalesce(active, '[]'))
        WHEN 0 THEN 'none' WHEN 1 THEN 'window' ELSE 'ambiguous' END,
    caller = CASE json_array_length(coalesce(active, '[]'))
        WHEN 1 THEN active ->> 0 END,
    candidates = CASE WHEN json_array_length(coalesce(active, '[]')) > 1
        THEN active END
WHERE attribution IS NULL;

INSERT INTO bans (run_id, source, event_id, ts, account, egress_session,
                  request_id, status, class, rule, attribution, caller,
                  candidates, active)
SELECT :run_id, source, event_id, ts,
       (SELECT s FROM strings WHERE id = b.account),
       (SELECT s FROM strings WHERE id = b.egress_session), request_id,
       status, class,
       rule, attribution, caller, coalesce(candidates, '[]'),
       coalesce(active, '[]')
FROM ban_ev b ORDER BY ts, source, event_id;

DROP TABLE temp.ban_ev;
DROP TABLE temp.rid_need;
DROP TABLE temp.rid_caller;
