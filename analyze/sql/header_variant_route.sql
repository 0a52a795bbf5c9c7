-- header_variant (DESIGN.md), the route_mismatch sub-kind: it reads the
-- links, so it runs after them (the other sub-kinds are header_variant.sql).
-- Parameters: :run_id :since :until
-- Accounts, routes and hosts are string-dictionary ids (schema version 3);
-- the findings carry the strings, ordered by them.

-- route_mismatch: a gateway event linked by request_id to a proxy event
-- whose destination host is not the route's host (rh, from
-- temp.ra_route_host, route_hosts.sql's view, once per route of these
-- links: a route's host as an id, -1 when no string is that host).
-- Links by request id need a proxy event with one: when none has (Squid's
-- never do), the first loop (temp.ra_proxy_rid, indexes.sql) is no row
-- and the links are not read (5 M + 5 M: 0.24 s).
WITH rl AS MATERIALIZED (
    SELECT g.account, g.request_id, g.ts, g.route, l.proxy_id
    FROM temp.ra_proxy_rid
         CROSS JOIN links l
         JOIN gateway_rows g ON g.id = l.gateway_id
    WHERE l.method = 'request_id' AND g.ts >= :since AND g.ts < :until
      AND g.account IS NOT NULL
),
rh AS MATERIALIZED (
    SELECT route, host FROM temp.ra_route_host
    WHERE route IN (SELECT route FROM rl)
),
mm0 AS MATERIALIZED (
    SELECT l.account, l.request_id, l.ts, l.route, p.dest_host
    FROM rl l JOIN proxy_rows p ON p.id = l.proxy_id
              JOIN rh ON rh.route = l.route
    WHERE p.dest_host IS NOT NULL
      AND rh.host IS NOT NULL AND rh.host <> p.dest_host
),
mm AS MATERIALIZED (
    SELECT (SELECT s FROM strings WHERE id = account) AS account, request_id,
           ts, ra_host((SELECT s FROM strings WHERE id = route)) AS route_host,
           (SELECT s FROM strings WHERE id = dest_host) AS dest_host
    FROM mm0
)
INSERT INTO findings (run_id, kind, severity, sub, account, ts, evidence)
SELECT :run_id, 'header_variant', 'high', 'route_mismatch', account,
       min(ts),
       json_object(
           'variant', 'route_mismatch', 'caller', NULL, 'session', NULL,
           'account', account, 'fingerprints', json_array(),
           'headers', json_array(), 'events', count(*),
           'pairs', (SELECT json_group_array(DISTINCT route_host || ' -> ' || dest_host)
                     FROM mm x WHERE x.account = mm.account),
           'request_ids', (SELECT json_group_array(request_id) FROM (
               SELECT request_id FROM mm x WHERE x.account = mm.account
               ORDER BY ts LIMIT 10)))
FROM mm GROUP BY account ORDER BY account;
