-- Links, pass 2 inputs: the gateway and proxy events of each session group
-- (temp.ra_session_group: sessions that one account's map rows tie
-- together), each stream ordered by group then time. analyze/join.c merges
-- them group by group.

-- Statement 1: gateway events with an egress session, and those without
-- one under each session the map gives their account.
SELECT grp, id, ts, host, request_id, egress_session, account FROM (
  SELECT coalesce(sg.grp, g.egress_session) AS grp, g.id, g.ts,
         ra_host(g.route) AS host, g.request_id, g.egress_session,
         NULL AS account
  FROM gateway_events g
  LEFT JOIN temp.ra_session_group sg ON sg.session = g.egress_session
  WHERE g.egress_session IS NOT NULL
  UNION ALL
  SELECT (SELECT sg.grp FROM map m
          JOIN temp.ra_session_group sg ON sg.session = m.egress_session
          WHERE m.account = g.account LIMIT 1),
         g.id, g.ts, ra_host(g.route), g.request_id, NULL, g.account
  FROM gateway_events g
  WHERE g.egress_session IS NULL AND g.account IN (
      SELECT account FROM map WHERE egress_session IS NOT NULL))
ORDER BY grp, ts, id;

-- Statement 2: proxy events with an egress session.
SELECT coalesce(sg.grp, p.egress_session) AS grp, p.id, p.ts, p.dest_host,
       p.request_id, p.egress_session
FROM proxy_events p
LEFT JOIN temp.ra_session_group sg ON sg.session = p.egress_session
WHERE p.egress_session IS NOT NULL
ORDER BY grp, p.ts, p.id;
