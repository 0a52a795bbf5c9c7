-- sticky_break (DESIGN.md), the declared sub-kind's first half: the
-- accounts the map declares something for (temp.decl) and what the gateway
-- events show of them themselves, their own egress sessions, grouped into
-- temp.decl_obs (the grouping is sticky_break_declared.sql's, which adds
-- the linked proxy events and makes the findings). It reads only the
-- events and the map, so analyze runs it beside the links step and hands
-- temp.decl_obs over.
-- Parameters: :since :until
-- Accounts and sessions are string-dictionary ids (schema version 3).

-- only accounts with a declaration are checked: nothing else is read
DROP TABLE IF EXISTS temp.decl;
CREATE TEMP TABLE decl (account INTEGER PRIMARY KEY, has_session INTEGER,
                        has_country INTEGER);
INSERT INTO temp.decl
SELECT account, max(egress_session IS NOT NULL) AS has_session,
       max(country IS NOT NULL) AS has_country
FROM map_rows WHERE account IS NOT NULL
GROUP BY account HAVING has_session OR has_country;
DROP TABLE IF EXISTS temp.decl_obs;
CREATE TEMP TABLE decl_obs (account INTEGER, what INTEGER, v INTEGER,
                            n INTEGER, first INTEGER, last INTEGER,
                            PRIMARY KEY (account, what, v));
-- The gateway events' own egress sessions. The first loop is one row, or
-- none when no account declares a session: then nothing else is read.
SELECT 'decl_obs' AS group_into, g.account AS key_account, 0 AS key_what,
       g.egress_session AS key_v, 1 AS sum_n, g.ts AS "min_first max_last"
FROM (SELECT 1 FROM temp.decl WHERE has_session LIMIT 1)
     CROSS JOIN gateway_rows g
WHERE g.ts >= :since AND g.ts < :until
  AND ra_in(g.account, 'SELECT account FROM temp.decl WHERE has_session')
  AND g.egress_session IS NOT NULL;
