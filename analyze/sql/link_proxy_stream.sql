-- Links, pass 2 inputs: the proxy events with an egress session, with
-- their session group (temp.ra_session_group), in storage order;
-- link_gateway_stream.sql is the other side. Read by analyze/join.c, which
-- cuts it into partitions by group, on a second connection when there is
-- one (it needs nothing that the links step makes).
SELECT coalesce(sg.grp, p.egress_session) AS grp, p.id, p.ts, p.dest_host,
       p.request_id, p.egress_session
FROM proxy_rows p
LEFT JOIN temp.ra_session_group sg ON sg.session = p.egress_session
WHERE p.egress_session IS NOT NULL;
