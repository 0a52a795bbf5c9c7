-- Indexes the joins and detectors need. Created by analyze rather than at
-- ingest, so that a bulk load does not maintain them row by row. The time
-- indexes are indexes_window.sql: only a bounded window needs them.
-- the proxy events' request ids, for the links' first pass, which scans
-- the gateway events: a partial index (an equality implies NOT NULL), so
-- that events without one (all of Squid's) cost a later ingest nothing;
-- schema.sql makes it with a new database; built here in one made before
DROP INDEX IF EXISTS proxy_request;
CREATE INDEX IF NOT EXISTS proxy_request_id ON proxy_rows(request_id) WHERE request_id IS NOT NULL;
-- One row when some proxy event has a request id, none when none has
-- (Squid's never do), read by what matches request ids on this
-- connection: the links' first pass (link_request_id.sql), their
-- gateway stream (link_gateway_stream.sql) and route_mismatch
-- (header_variant_route.sql). One seek into proxy_request_id.
DROP VIEW IF EXISTS temp.ra_proxy_rid;
CREATE TEMP VIEW ra_proxy_rid (one) AS
SELECT 1 FROM proxy_rows WHERE request_id IS NOT NULL LIMIT 1;
-- the ban-class events by time (bans_events.sql), in a database made
-- before schema.sql had them
CREATE INDEX IF NOT EXISTS gateway_ban ON gateway_rows(ts) WHERE status IS NULL OR status = 0 OR status >= 400;
CREATE INDEX IF NOT EXISTS proxy_ban ON proxy_rows(ts) WHERE status IS NULL OR status = 0 OR status >= 400;
CREATE INDEX IF NOT EXISTS map_account ON map_rows(account);
CREATE INDEX IF NOT EXISTS map_egress ON map_rows(egress_session);
CREATE INDEX IF NOT EXISTS bans_run ON bans(run_id);
CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id);
-- Dropped since schema 1: each cost more to build than it saved (the
-- session join and the ordered passes sort what they read once).
DROP INDEX IF EXISTS gateway_session_ts;
DROP INDEX IF EXISTS gateway_egress_ts;
DROP INDEX IF EXISTS proxy_egress_ts;
DROP INDEX IF EXISTS gateway_account_ts;
-- Dropped since schema 3, the same: the bans' lookback reads per-caller
-- buckets of time (event_groups.sql) instead of walking (account, caller, ts);
-- the links' first pass scans the gateway events' request ids, and the
-- bans look up only the request ids they ask after (bans.sql).
DROP INDEX IF EXISTS gateway_account_caller;
DROP INDEX IF EXISTS gateway_request;
DROP INDEX IF EXISTS gateway_request_id;
