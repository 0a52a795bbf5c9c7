-- Each route's host, for the links' host check and route_mismatch:
-- temp.ra_route_host(route, host), both string-dictionary ids (schema
-- version 3); host is -1 when no string is that host (it then equals no
-- proxy event's), NULL when the route has none. A view: its readers look
-- up a route at a time, once per distinct route (analyze/join.c keeps
-- what link_route_host.sql told it; header_variant_route.sql asks for the
-- routes of its links), where a table of every route took a scan of the
-- events of its own (5 M + 5 M: 0.65 s) and the links' stream a seek a
-- row.
DROP VIEW IF EXISTS temp.ra_route_host;
CREATE TEMP VIEW ra_route_host (route, host) AS
SELECT s.id,
       CASE WHEN ra_host(s.s) IS NOT NULL
            THEN coalesce((SELECT h.id FROM strings h
                           WHERE h.s = ra_host(s.s)), -1) END
FROM strings s;
