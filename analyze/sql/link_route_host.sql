-- Links, pass 2: a route's host for the host check (route_hosts.sql's
-- view), asked by analyze/join.c once per route and kept.
SELECT host FROM temp.ra_route_host WHERE route = :route;
