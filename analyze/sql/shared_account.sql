-- shared_account (DESIGN.md): an account that served more than its limit of
-- distinct callers (the map's largest max_callers, else :max_callers)
-- within one UTC-aligned window of :window ms. Consecutive violating
-- windows merge into one finding whose callers are the union.
-- Parameters: :run_id :window :max_callers (the window's events are
-- temp.ev_groups, made by event_groups.sql)
-- Accounts and callers are read as string-dictionary ids (schema version
-- 3); the findings carry the strings, ordered by them.
-- per: each caller's requests on an account in one window, from the
-- window's event groups (event_groups.sql).
DROP TABLE IF EXISTS temp.per;
CREATE TEMP TABLE per (
    account INTEGER, ws INTEGER, caller INTEGER, n INTEGER, first INTEGER,
    last INTEGER, PRIMARY KEY (account, ws, caller));
INSERT INTO temp.per
SELECT account, ws, caller, sum(n), min(first), max(last)
FROM temp.ev_groups
WHERE account <> 0 AND caller <> 0
GROUP BY account, ws, caller;

WITH lim AS (
    SELECT account, max(max_callers) AS m FROM map_rows
    WHERE account IS NOT NULL AND max_callers IS NOT NULL
    GROUP BY account
),
viol AS (
    SELECT per.account, per.ws, coalesce(lim.m, :max_callers) AS lim
    FROM per LEFT JOIN lim ON lim.account = per.account
    GROUP BY per.account, per.ws
    HAVING count(*) > coalesce(lim.m, :max_callers)
),
runs AS (
    SELECT account, lim, min(ws) AS start, max(ws) + :window AS stop,
           count(*) AS windows
    FROM (SELECT account, ws, lim,
                 ws - :window * row_number() OVER (PARTITION BY account
                                                   ORDER BY ws) AS grp
          FROM viol)
    GROUP BY account, grp
),
callers AS (
    SELECT r.account, r.start,
           (SELECT s FROM strings WHERE id = per.caller) AS caller,
           sum(per.n) AS requests, min(per.first) AS first,
           max(per.last) AS last
    FROM runs r JOIN per ON per.account = r.account
                        AND per.ws >= r.start AND per.ws < r.stop
    GROUP BY r.account, r.start, per.caller
),
named AS (
    SELECT *, (SELECT s FROM strings WHERE id = account) AS name FROM runs
)
INSERT INTO findings (run_id, kind, severity, account, ts, window_start,
                      window_end, evidence)
SELECT :run_id, 'shared_account',
       CASE WHEN count(*) - r.lim >= 2 OR r.windows > 1 THEN 'high'
            ELSE 'medium' END,
       r.name, r.start, r.start, r.stop,
       json_object(
           'account', r.name,
           'window_start', ra_iso(r.start), 'window_end', ra_iso(r.stop),
           'windows', r.windows, 'max_callers', r.lim,
           'callers', json_group_array(json_object(
               'caller', c.caller, 'requests', c.requests,
               'first', ra_iso(c.first), 'last', ra_iso(c.last))))
FROM named r JOIN (SELECT * FROM callers ORDER BY caller) c
  ON c.account = r.account AND c.start = r.start
GROUP BY r.account, r.start
ORDER BY r.name, r.start;

DROP TABLE temp.per;
