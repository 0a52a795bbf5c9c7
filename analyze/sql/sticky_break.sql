-- sticky_break (DESIGN.md): one finding per subject and break. This step
-- is the sub-kind account; sticky_break_exit.sql has egress_ip and
-- country, sticky_break_declared.sql the declared one (it reads the
-- links). The first two read only the events, so analyze may run them
-- beside the links step, and as two steps the main thread can take the
-- second when it comes to it first.
-- Parameters: :run_id :since :until :session_ttl
-- Sessions and accounts are read as string-dictionary ids (schema version
-- 3), which compare as their strings do; the findings carry the strings,
-- and subjects are ordered by them.

-- Each sub-kind keeps the subjects that saw more than one value: only
-- their events go through the ordered pass. Those of this one, multi_s
-- (downstream sessions and their least and greatest account), were
-- gathered by event_groups.sql's scan of the gateway events (group_into:
-- analyze/group.c), which costs less than an upsert per event, or GROUP
-- BY's sort of every event.

-- account: consecutive events of one downstream session, less than
-- :session_ttl apart, on different accounts.

-- The switches: an event of a session whose account is not that of the
-- session's event before it (in order of time, then id), with that
-- event's. ra_switches (analyze/switches.c) cuts the events by session
-- into partitions of a temporary file and sorts one partition at a time
-- in memory; an ordered copy of the events, joined to itself on row
-- numbers, cost 5 M events 2.4 s. Only the events of the subjects
-- gathered above are read: ra_in is `session IN (SELECT ...)` through a
-- hash (ingest/sqlfuncs.c; IN seeks a b-tree for each event). `+account`
-- keeps SQLite from reading every event with an account through an
-- older database's (account, caller, ts) index, a seek per row: this runs
-- on a read-only connection of its own, whose snapshot still has it until
-- the run that drops it commits (5 M events: 10.8 s against 2.4 s).
DELETE FROM temp.multi_s WHERE lo = hi; -- one account: no switch
WITH sw AS MATERIALIZED (
    SELECT c0 AS session, c1 AS ts, c3 AS account, c4 AS request_id,
           p3 AS prev_account, p1 AS prev_ts, p4 AS prev_request
    FROM ra_switches(
        format('SELECT session, ts, id, account, request_id
                FROM gateway_rows
                WHERE ts >= %d AND ts < %d
                  AND ra_in(session, ''SELECT k FROM temp.multi_s'')
                  AND +account IS NOT NULL', :since, :until),
        2, (SELECT coalesce(max(id), 0) FROM gateway_rows))
    WHERE ts - prev_ts < :session_ttl
),
vals AS MATERIALIZED (
    -- the values in order of first appearance, one JSON array per subject
    SELECT session, (SELECT s FROM strings WHERE id = session) AS name,
           json_group_array((SELECT s FROM strings WHERE id = v)) AS arr
    FROM (SELECT session, v, min(t) AS t FROM (
              SELECT session, prev_account AS v, prev_ts AS t FROM sw
              UNION ALL SELECT session, account, ts FROM sw)
          GROUP BY session, v ORDER BY session, t)
    GROUP BY session
)
INSERT INTO findings (run_id, kind, severity, sub, session, ts, evidence)
SELECT :run_id, 'sticky_break', 'medium', 'account', v.name, min(w.prev_ts),
       json_object(
           'session', v.name, 'egress_session', NULL, 'account', NULL,
           'break', 'account',
           'values', json(v.arr),
           'switches', count(*),
           'retries', sum(w.request_id IS NOT NULL
                          AND w.request_id = w.prev_request),
           'first', ra_iso(min(w.prev_ts)), 'last', ra_iso(max(w.ts)))
FROM sw w JOIN vals v ON v.session = w.session
GROUP BY w.session ORDER BY v.name;

DROP TABLE temp.multi_s;
