-- Links, pass 2 inputs: the gateway events with their session group
-- (temp.ra_session_group: sessions that one account's map rows tie
-- together), in storage order; link_proxy_stream.sql is the proxy side,
-- read on a second connection when there is one. analyze/join.c cuts both
-- into partitions by group, and matches them group by group, each group's
-- events put in time order there.
-- Sessions, accounts and hosts are dictionary ids (schema version 3): they
-- compare as their strings do.

-- A request id only tells two events apart when both have one: where no
-- proxy event has any (temp.ra_proxy_rid, indexes.sql, is empty; Squid's
-- never have one), the stream carries none, so that the join copies no
-- text (5 M + 5 M, when the streams were sorted: groups matched
-- 4.73-5.04 -> 4.60-4.65 s).
-- Gateway events with an egress session, and those without
-- one under each session the map gives their account (one scan). The
-- route's host is looked up by analyze/join.c, once per route
-- (link_route_host.sql), not here with a seek a row.
SELECT grp, id, ts, route,
       CASE WHEN (SELECT one FROM temp.ra_proxy_rid) THEN request_id
       END AS request_id,
       egress_session, account FROM (
  SELECT CASE WHEN g.egress_session IS NOT NULL
              THEN coalesce(sg.grp, g.egress_session)
              ELSE (SELECT sg2.grp FROM map_rows m
                    JOIN temp.ra_session_group sg2
                      ON sg2.session = m.egress_session
                    WHERE m.account = g.account LIMIT 1) END AS grp,
         g.id, g.ts, g.route, g.request_id, g.egress_session,
         CASE WHEN g.egress_session IS NULL THEN g.account END AS account
  FROM gateway_rows g
  LEFT JOIN temp.ra_session_group sg ON sg.session = g.egress_session
  WHERE g.egress_session IS NOT NULL
     OR g.account IN (SELECT account FROM map_rows
                      WHERE egress_session IS NOT NULL));
