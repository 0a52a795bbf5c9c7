-- Each route's host, once per distinct route, for the links' host check and
-- route_mismatch: temp.ra_route_host(route, host), both string-dictionary
-- ids (schema version 3); host is -1 when no string is that host (it then
-- equals no proxy event's), NULL when the route has none. It reads only the
-- events; analyze runs it on its own connection, before the links, while
-- the second thread sorts the links' proxy stream.
DROP TABLE IF EXISTS temp.ra_route_host;
CREATE TEMP TABLE ra_route_host (route INTEGER PRIMARY KEY, host INTEGER);
INSERT INTO temp.ra_route_host
SELECT r.route,
       CASE WHEN ra_host(s.s) IS NOT NULL
            THEN coalesce((SELECT h.id FROM strings h
                           WHERE h.s = ra_host(s.s)), -1) END
FROM (SELECT DISTINCT route FROM gateway_rows WHERE route IS NOT NULL) r
JOIN strings s ON s.id = r.route;
