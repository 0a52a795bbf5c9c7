-- The bans' lookback (bans.sql, "Joins" 2 of DESIGN.md): for each account
-- and caller, the first and last of their gateway events in each
-- UTC-aligned bucket of :lookback ms, over the events that a ban of the
-- window may look back on ([:since - :lookback, :until)). A ban at t looks
-- at two buckets: the one holding t - :lookback (whose last event must be
-- at or after it) and the next (whose first event must be before t).
-- Grouped in memory beside the scan (group_into: analyze/group.c) and
-- handed to the bans step, so that no (account, caller, ts) index has to
-- be built for it. It reads only the events: analyze runs it beside.
-- Parameters: :since :until :lookback
-- Accounts and callers are string-dictionary ids (schema version 3).
DROP TABLE IF EXISTS temp.ra_lookback;
CREATE TEMP TABLE ra_lookback (
    account INTEGER, caller INTEGER, bs INTEGER, first INTEGER,
    last INTEGER, PRIMARY KEY (account, caller, bs));
-- `+`: one scan, even where an older database still has an index that
-- starts with the account
SELECT 'ra_lookback' AS group_into, account AS key_account,
       caller AS key_caller,
       ts - ((ts % :lookback) + :lookback) % :lookback AS key_bs,
       ts AS min_first, ts AS max_last
FROM gateway_rows
WHERE :lookback > 0 AND ts >= :since - :lookback AND ts < :until
  AND +account IS NOT NULL AND +caller IS NOT NULL;
