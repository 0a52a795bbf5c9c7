-- Indexes the joins and detectors need. Created by analyze rather than at
-- ingest, so that a bulk load does not maintain them row by row.
CREATE INDEX IF NOT EXISTS gateway_ts ON gateway_events(ts);
-- the lookback of a ban: one seek per caller of its account
DROP INDEX IF EXISTS gateway_account_ts;
CREATE INDEX IF NOT EXISTS gateway_account_caller ON gateway_events(account, caller, ts);
CREATE INDEX IF NOT EXISTS gateway_session_ts ON gateway_events(session, ts);
CREATE INDEX IF NOT EXISTS gateway_egress_ts ON gateway_events(egress_session, ts);
CREATE INDEX IF NOT EXISTS gateway_request ON gateway_events(request_id);
CREATE INDEX IF NOT EXISTS proxy_ts ON proxy_events(ts);
-- covering: the session join reads only this index
CREATE INDEX IF NOT EXISTS proxy_egress_ts ON proxy_events(egress_session, ts, dest_host, request_id);
CREATE INDEX IF NOT EXISTS proxy_request ON proxy_events(request_id);
CREATE INDEX IF NOT EXISTS map_account ON map(account);
CREATE INDEX IF NOT EXISTS map_egress ON map(egress_session);
CREATE INDEX IF NOT EXISTS bans_run ON bans(run_id);
CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id);
