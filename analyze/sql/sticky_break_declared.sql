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
--
-- The observations are grouped first (group_into, analyze/group.c: a hash
-- table beside the scans) by account, what was observed (0 an egress
-- session, 1 a country) and its value; the map is then asked about each
-- of those few groups, not about every event (1 M + 1 M with a map that
-- declares each account's session: 2.5 s -> see bench/RESULTS.md).
-- declared_events.sql made temp.decl (the accounts with a declaration)
-- and grouped the gateway events' own egress sessions into temp.decl_obs,
-- beside the links step: it needs no links (1 M + 1 M with the map: that
-- scan, 0.33 s, was on this thread's turn, the longer one).
-- The linked proxy events' egress sessions and countries, under their
-- gateway event's account. Led by the proxy events in storage order, whose
-- links and gateway events come in about the same order, so that the
-- seeks stay near each other (1 M links: 2.0 s, against 4.1 s from the
-- accounts' index). One row first, or none when nothing is declared.
SELECT CASE WHEN p.egress_session IS NOT NULL THEN 'decl_obs' END
           AS group_into,
       g.account AS key_account, 0 AS key_what, p.egress_session AS key_v,
       1 AS sum_n, p.ts AS "min_first max_last",
       CASE WHEN p.country IS NOT NULL THEN 'decl_obs' END AS group_into,
       g.account AS key_account, 1 AS key_what, p.country AS key_v,
       1 AS sum_n, p.ts AS "min_first max_last"
FROM (SELECT 1 FROM temp.decl LIMIT 1)
     CROSS JOIN proxy_rows p
     CROSS JOIN links l ON l.proxy_id = p.id
     CROSS JOIN gateway_rows g ON g.id = l.gateway_id
WHERE p.ts >= :since AND p.ts < :until
  AND (p.egress_session IS NOT NULL OR p.country IS NOT NULL)
  AND ra_in(g.account, 'SELECT account FROM temp.decl');

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
FROM (
    SELECT (SELECT s FROM strings WHERE id = o.account) AS account_name,
           o.account,
           CASE o.what WHEN 1 THEN 'country' ELSE 'egress_session' END
               AS what,
           (SELECT s FROM strings WHERE id = o.v) AS v, o.n, o.first, o.last
    FROM temp.decl_obs o JOIN temp.decl d ON d.account = o.account
    WHERE (CASE o.what WHEN 1 THEN d.has_country ELSE d.has_session END)
      AND NOT EXISTS (SELECT 1 FROM map_rows m WHERE m.account = o.account
                      AND (CASE o.what WHEN 1 THEN m.country
                           ELSE m.egress_session END) = o.v)
) u ORDER BY u.account_name, u.what, u.v;
