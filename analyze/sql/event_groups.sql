-- One scan of the gateway events, four tables of few groups (group_into:
-- analyze/group.c), made on the second thread when there is one.
--
-- ev_groups: the window's events grouped by everything shared_account and
-- header_variant count: caller, fingerprints, account and route per
-- UTC-aligned window of :window ms. Both detectors read this small table
-- (counts, first and last compose) instead of each going over every
-- event. 0 stands for NULL in the key (ids start at 1). Copied to the
-- connections of the two steps that read it (analyze.c's lends).
--
-- ra_lookback: the bans' lookback (bans.sql, "Joins" 2 of DESIGN.md): for
-- each account and caller, the first and last of their events in each
-- UTC-aligned bucket of :lookback ms, over the events that a ban of the
-- window may look back on ([:since - :lookback, :until)). A ban at t looks
-- at two buckets: the one holding t - :lookback (whose last event must be
-- at or after it) and the next (whose first event must be before t); no
-- (account, caller, ts) index is built for it. Handed to the bans step.
--
-- multi_s and multi_ip: the subjects of sticky_break.sql (downstream
-- sessions and their accounts) and sticky_break_exit.sql (egress sessions
-- and their exit IPs) with the least and greatest value each saw in the
-- window, gathered by this same scan rather than one of their own (5 M
-- events: that scan took 1.8-2.7 s); sticky_break_exit.sql adds the proxy
-- events' exit IPs. Copied to their connections (analyze.c's lends).
-- Parameters: :since :until :window :lookback
DROP TABLE IF EXISTS temp.multi_s;
CREATE TEMP TABLE multi_s (k INTEGER PRIMARY KEY, lo INTEGER, hi INTEGER);
DROP TABLE IF EXISTS temp.multi_ip;
CREATE TEMP TABLE multi_ip (k INTEGER PRIMARY KEY, lo INTEGER, hi INTEGER);
DROP TABLE IF EXISTS temp.ev_groups;
CREATE TEMP TABLE ev_groups (
    caller INTEGER, hdr_in_fp INTEGER, account INTEGER, hdr_out_fp INTEGER,
    route INTEGER, ws INTEGER, n INTEGER, first INTEGER, last INTEGER,
    id INTEGER,
    PRIMARY KEY (caller, hdr_in_fp, account, hdr_out_fp, route, ws));
DROP TABLE IF EXISTS temp.ra_lookback;
CREATE TEMP TABLE ra_lookback (
    account INTEGER, caller INTEGER, bs INTEGER, first INTEGER,
    last INTEGER, PRIMARY KEY (account, caller, bs));
-- An upsert per event into ev_groups cost four times the scan (1 M events:
-- 0.93 s against 0.18 s).
SELECT CASE WHEN ts >= :since
             AND ((caller IS NOT NULL AND hdr_in_fp IS NOT NULL)
                  OR account IS NOT NULL)
            THEN 'ev_groups' END AS group_into,
       coalesce(caller, 0) AS key_caller,
       coalesce(hdr_in_fp, 0) AS key_hdr_in_fp,
       coalesce(account, 0) AS key_account,
       coalesce(hdr_out_fp, 0) AS key_hdr_out_fp,
       coalesce(route, 0) AS key_route,
       ts - ((ts % :window) + :window) % :window AS key_ws,
       1 AS sum_n, ts AS "min_first max_last", id AS min_id,
       CASE WHEN :lookback > 0 AND account IS NOT NULL
             AND caller IS NOT NULL
            THEN 'ra_lookback' END AS group_into,
       account AS key_account, caller AS key_caller,
       ts - ((ts % :lookback) + :lookback) % :lookback AS key_bs,
       ts AS "min_first max_last",
       CASE WHEN ts >= :since AND session IS NOT NULL
             AND account IS NOT NULL
            THEN 'multi_s' END AS group_into,
       session AS key_k, account AS "min_lo max_hi",
       CASE WHEN ts >= :since AND egress_session IS NOT NULL
             AND egress_ip IS NOT NULL
            THEN 'multi_ip' END AS group_into,
       egress_session AS key_k, egress_ip AS "min_lo max_hi"
FROM gateway_rows
WHERE ts >= min(:since, :since - max(:lookback, 0)) AND ts < :until;
