-- sticky_break (DESIGN.md), the declared sub-kind: it reads the links, so
-- it runs after them (the other sub-kinds are sticky_break.sql).
-- Parameters: :run_id :since :until
-- Accounts, sessions and countries are string-dictionary ids (schema
-- version 3); the findings carry the strings, ordered by them.

-- The seeks below (a link and a gateway event per proxy event) take more
-- pages than analyze's 2 MiB page cache (the size of its sort runs)
-- holds: 32 MiB for this step, as for bans.sql.
PRAGMA cache_size = -32000;

-- declared: an account observed leaving through an egress session or a
-- country the map does not declare for it. Accounts whose rows declare no
-- egress session (or no country) are not checked for it. Countries are
-- stored lower-case on both sides, so their ids compare.
WITH decl AS MATERIALIZED (
    -- only accounts with a declaration are checked: nothing else is read
    SELECT account,
           max(egress_session IS NOT NULL) AS has_session,
           max(country IS NOT NULL) AS has_country
    FROM map_rows WHERE account IS NOT NULL
    GROUP BY account HAVING has_session OR has_country
),
linked AS MATERIALIZED (
    -- Led by the proxy events in storage order, whose links and gateway
    -- events come in about the same order, so that the seeks stay near
    -- each other (1 M links: 2.0 s, against 4.1 s from the accounts'
    -- index). The first loop is one row, or none when nothing is
    -- declared: then nothing else is read.
    SELECT g.account, p.egress_session, p.country, p.ts
    FROM (SELECT 1 FROM decl LIMIT 1)
         CROSS JOIN proxy_rows p
         CROSS JOIN links l ON l.proxy_id = p.id
         CROSS JOIN gateway_rows g ON g.id = l.gateway_id
    WHERE p.ts >= :since AND p.ts < :until
      AND (p.egress_session IS NOT NULL OR p.country IS NOT NULL)
      AND g.account IN (SELECT account FROM decl)
),
obs AS (
    SELECT account, 'egress_session' AS what, egress_session AS v, ts
    FROM (SELECT 1 FROM decl WHERE has_session LIMIT 1)
         CROSS JOIN gateway_rows
    WHERE ts >= :since AND ts < :until
      AND account IN (SELECT account FROM decl WHERE has_session)
      AND egress_session IS NOT NULL
    UNION ALL
    SELECT account, 'egress_session', egress_session, ts FROM linked
    WHERE egress_session IS NOT NULL
    UNION ALL
    SELECT account, 'country', country, ts FROM linked
    WHERE country IS NOT NULL
),
undeclared AS (
    SELECT (SELECT s FROM strings WHERE id = o.account) AS account_name,
           o.account, o.what, (SELECT s FROM strings WHERE id = o.v) AS v,
           count(*) AS n, min(o.ts) AS first, max(o.ts) AS last
    FROM obs o
    WHERE EXISTS (SELECT 1 FROM map_rows m WHERE m.account = o.account
                  AND (CASE o.what WHEN 'country' THEN m.country
                       ELSE m.egress_session END) IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM map_rows m WHERE m.account = o.account
                      AND (CASE o.what WHEN 'country' THEN m.country
                           ELSE m.egress_session END) = o.v)
    GROUP BY o.account, o.what, o.v
)
INSERT INTO findings (run_id, kind, severity, sub, account, egress_session,
                      ts, evidence)
SELECT :run_id, 'sticky_break', 'high', 'declared', u.account_name,
       CASE u.what WHEN 'egress_session' THEN u.v END, u.first,
       json_object(
           'session', NULL,
           'egress_session', CASE u.what WHEN 'egress_session' THEN u.v END,
           'account', u.account_name, 'break', 'declared',
           'observed', u.what, 'values', json_array(u.v),
           'declared', (SELECT json_group_array(d) FROM (
               SELECT DISTINCT (SELECT s FROM strings WHERE id =
                                CASE u.what WHEN 'country' THEN m.country
                                ELSE m.egress_session END) AS d
               FROM map_rows m WHERE m.account = u.account AND d IS NOT NULL
               ORDER BY d)),
           'events', u.n, 'first', ra_iso(u.first), 'last', ra_iso(u.last))
FROM undeclared u ORDER BY u.account_name, u.what, u.v;
