-- header_variant (DESIGN.md): one finding per subject; the sub-kinds
-- caller_drift, account_mix, leak and route_variant. They read only the
-- events, so analyze may run them beside the links step; route_mismatch,
-- which reads the links, is header_variant_route.sql.
-- Parameters: :run_id :since :until
-- Callers, accounts, fingerprints, routes and sessions are read as
-- string-dictionary ids (schema version 3), which compare as their strings
-- do; the findings carry the strings, and subjects are ordered by them.

-- The window's event groups (event_groups.sql) without their windows:
-- every sub-kind below reads this small table (counts, first and last
-- compose) instead of scanning the events again.
DROP TABLE IF EXISTS temp.hv;
CREATE TEMP TABLE hv AS
SELECT nullif(caller, 0) AS caller, nullif(hdr_in_fp, 0) AS hdr_in_fp,
       nullif(account, 0) AS account, nullif(hdr_out_fp, 0) AS hdr_out_fp,
       nullif(route, 0) AS route, sum(n) AS n, min(first) AS first,
       max(last) AS last, min(id) AS id
FROM temp.ev_groups
GROUP BY caller, hdr_in_fp, account, hdr_out_fp, route
ORDER BY caller, hdr_in_fp, account, hdr_out_fp, route;

-- caller_drift: a caller with more than one inbound fingerprint. Medium when
-- the variants interleave (A, B, A: two clients share a key), low when each
-- switch is for good (an upgrade).
WITH fps AS MATERIALIZED (
    SELECT caller, hdr_in_fp AS fp, sum(n) AS n, min(first) AS first,
           max(last) AS last
    FROM temp.hv WHERE caller IS NOT NULL AND hdr_in_fp IS NOT NULL
      AND caller IN (SELECT caller FROM temp.hv WHERE hdr_in_fp IS NOT NULL
                     GROUP BY caller HAVING count(DISTINCT hdr_in_fp) > 1)
    GROUP BY caller, hdr_in_fp
),
ev AS MATERIALIZED (
    -- the events of drifting callers only (none: nothing is read)
    SELECT caller, ts, session, hdr_in_fp AS fp, user_agent,
           lag(hdr_in_fp) OVER (PARTITION BY caller ORDER BY ts, id) AS prev
    FROM gateway_rows
    WHERE EXISTS (SELECT 1 FROM fps)
      AND ts >= :since AND ts < :until AND hdr_in_fp IS NOT NULL
      AND caller IN (SELECT caller FROM fps)
),
drift AS MATERIALIZED (
    SELECT caller, count(DISTINCT fp) AS k, sum(prev IS NOT NULL AND prev <> fp) AS changes,
           min(ts) AS first
    FROM ev GROUP BY caller
),
ua AS MATERIALIZED (
    -- the least user agent of each (caller, fingerprint), as text
    SELECT caller, fp, min((SELECT s FROM strings WHERE id = user_agent)) AS ua
    FROM (SELECT DISTINCT caller, fp, user_agent FROM ev)
    GROUP BY caller, fp
),
fpj AS MATERIALIZED (
    SELECT caller, (SELECT s FROM strings WHERE id = caller) AS name,
           json_group_array(fpname) AS fps,
           json_group_array(json_object(
               'fingerprint', fpname, 'requests', n, 'first', ra_iso(first),
               'last', ra_iso(last), 'user_agent', ua)) AS detail
    FROM (SELECT f.*, (SELECT s FROM strings WHERE id = f.fp) AS fpname, u.ua
          FROM fps f LEFT JOIN ua u ON u.caller = f.caller AND u.fp = f.fp
          ORDER BY f.caller, f.first) GROUP BY caller
),
sess AS MATERIALIZED (
    SELECT caller, json_group_array(name) AS arr FROM (
        SELECT caller, name, row_number() OVER (PARTITION BY caller
                                                ORDER BY name) AS k
        FROM (SELECT caller, (SELECT s FROM strings WHERE id = session) AS name
              FROM (SELECT DISTINCT caller, session FROM ev
                    WHERE session IS NOT NULL
                      AND caller IN (SELECT caller FROM drift))))
    WHERE k <= 20 GROUP BY caller
)
INSERT INTO findings (run_id, kind, severity, sub, caller, ts, evidence)
SELECT :run_id, 'header_variant',
       CASE WHEN d.changes > d.k - 1 THEN 'medium' ELSE 'low' END,
       'caller_drift', fpj.name, d.first,
       json_object(
           'variant', 'caller_drift', 'caller', fpj.name, 'session', NULL,
           'account', NULL,
           'fingerprints', json(fpj.fps),
           'headers', json_array(),
           'interleaved', json(CASE WHEN d.changes > d.k - 1 THEN 'true'
                                    ELSE 'false' END),
           'switches', d.changes,
           'sessions', json(coalesce(sess.arr, '[]')),
           'detail', json(fpj.detail))
FROM drift d JOIN fpj ON fpj.caller = d.caller
LEFT JOIN sess ON sess.caller = d.caller
ORDER BY fpj.name;

-- account_mix: an account that receives more than one outbound fingerprint.
WITH fps AS (
    SELECT account, hdr_out_fp, sum(n) AS n, min(first) AS first,
           max(last) AS last
    FROM temp.hv
    WHERE account IS NOT NULL AND hdr_out_fp IS NOT NULL
    GROUP BY account, hdr_out_fp
),
mix AS (
    SELECT (SELECT s FROM strings WHERE id = account) AS account,
           (SELECT s FROM strings WHERE id = hdr_out_fp) AS fp, n, first,
           last
    FROM fps
    WHERE account IN (SELECT account FROM fps GROUP BY account
                      HAVING count(*) > 1)
    ORDER BY account, first
)
INSERT INTO findings (run_id, kind, severity, sub, account, ts, evidence)
SELECT :run_id, 'header_variant', 'medium', 'account_mix', account,
       min(first),
       json_object(
           'variant', 'account_mix', 'caller', NULL, 'session', NULL,
           'account', account, 'fingerprints', json_group_array(fp),
           'headers', json_array(),
           'detail', json_group_array(json_object(
               'fingerprint', fp, 'requests', n, 'first', ra_iso(first),
               'last', ra_iso(last))))
FROM mix GROUP BY account ORDER BY account;

-- leak: identity headers (schemas/headers.conf, loaded into
-- temp.ra_identity) in what an account was sent. Names are part of the
-- fingerprint, so one event per (account, fingerprint) is enough to read.
WITH rep AS MATERIALIZED (
    -- a fingerprint exists exactly when headers_out does
    SELECT account, hdr_out_fp, min(id) AS id, sum(n) AS n
    FROM temp.hv
    WHERE account IS NOT NULL AND hdr_out_fp IS NOT NULL
    GROUP BY account, hdr_out_fp
),
leaks AS MATERIALIZED (
    SELECT DISTINCT r.account, r.hdr_out_fp, r.n, lower(h.value ->> 0) AS name
    FROM rep r JOIN gateway_rows g ON g.id = r.id,
         json_each((SELECT s FROM strings WHERE id = g.headers_out)) h
    WHERE EXISTS (SELECT 1 FROM temp.ra_identity i
                  WHERE lower(h.value ->> 0) GLOB i.pattern)
)
INSERT INTO findings (run_id, kind, severity, sub, account, ts, evidence)
SELECT :run_id, 'header_variant', 'high', 'leak', l.name,
       (SELECT min(first) FROM temp.hv h WHERE h.account = l.account),
       json_object(
           'variant', 'leak', 'caller', NULL, 'session', NULL,
           'account', l.name,
           'fingerprints', (SELECT json_group_array(DISTINCT
                                (SELECT s FROM strings WHERE id = hdr_out_fp))
                            FROM leaks x WHERE x.account = l.account),
           'headers', (SELECT json_group_array(name) FROM (
               SELECT DISTINCT name FROM leaks x
               WHERE x.account = l.account ORDER BY name)),
           'requests', (SELECT sum(n) FROM (SELECT DISTINCT hdr_out_fp, n
                                            FROM leaks x
                                            WHERE x.account = l.account)))
FROM (SELECT account, (SELECT s FROM strings WHERE id = account) AS name
      FROM (SELECT DISTINCT account FROM leaks)) l ORDER BY l.name;

-- route_variant: an account reached through more than one base URL.
WITH routes AS (
    SELECT (SELECT s FROM strings WHERE id = account) AS account,
           ra_base_url((SELECT s FROM strings WHERE id = route)) AS base,
           sum(n) AS n, min(first) AS first, max(last) AS last
    FROM (SELECT account, route, sum(n) AS n, min(first) AS first,
                 max(last) AS last
          FROM temp.hv
          WHERE account IS NOT NULL AND route IS NOT NULL
          GROUP BY account, route)
    GROUP BY 1, 2 ORDER BY 1, first
)
INSERT INTO findings (run_id, kind, severity, sub, account, ts, evidence)
SELECT :run_id, 'header_variant', 'low', 'route_variant', account,
       min(first),
       json_object(
           'variant', 'route_variant', 'caller', NULL, 'session', NULL,
           'account', account, 'fingerprints', json_array(),
           'headers', json_array(), 'routes', json_group_array(base),
           'detail', json_group_array(json_object(
               'route', base, 'requests', n, 'first', ra_iso(first),
               'last', ra_iso(last))))
FROM routes GROUP BY account HAVING count(*) > 1 ORDER BY account;

DROP TABLE temp.hv;
