-- unmapped_ban (DESIGN.md): every ban-class event of this run that could not
-- be traced to one caller. Severity: ban high, quota and blocked medium,
-- rate_limit low. Parameters: :run_id
INSERT INTO findings (run_id, kind, severity, sub, account, egress_session,
                      ts, evidence)
SELECT :run_id, 'unmapped_ban',
       CASE class WHEN 'ban' THEN 'high' WHEN 'rate_limit' THEN 'low'
                  ELSE 'medium' END,
       class, account, egress_session, ts,
       json_object(
           'account', account, 'ts', ra_iso(ts), 'request_id', request_id,
           'egress_session', egress_session,
           'class', class, 'attribution', attribution,
           'candidates', json(candidates), 'source', source,
           'event_id', event_id, 'status', status, 'rule', rule)
FROM bans
WHERE run_id = :run_id AND attribution IN ('ambiguous', 'none')
ORDER BY ts, source, event_id;
