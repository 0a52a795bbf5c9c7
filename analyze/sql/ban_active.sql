-- The callers active on a ban's account in [ts - lookback, ts): the
-- candidates of the window rule (bans_store.sql), and evidence for every
-- ban (the one who triggered a ban is not always the one who caused it).
-- Run twice, each ban's once: after bans_events.sql, on the second thread,
-- for the bans whose own event names the account (a gateway's), and in
-- the bans step after bans.sql, for those whose account came through a
-- link or the map. A ban no caller was active for gets '[]', so it is not
-- looked at again.
-- Parameters: :lookback

-- The seeks into temp.ra_lookback, one per ban and caller of its account,
-- walk more pages than analyze's 2 MiB page caches hold: 32 MiB each for
-- main and temp here (the connection's own sizes come back after it,
-- analyze/sqlrun.c). 5 M + 5 M, the active callers of 100 k bans: 0.67 s,
-- against 2.1 s.
PRAGMA main.cache_size = -32000;
PRAGMA temp.cache_size = -32000;

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
      WHERE account IN (SELECT account FROM ban_ev WHERE active IS NULL));
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
WHERE account IS NOT NULL AND active IS NULL;
DROP TABLE temp.acc_caller;
