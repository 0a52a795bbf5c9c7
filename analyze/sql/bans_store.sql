-- The bans step's last part, after bans.sql and ban_active.sql: the
-- lookback window's rule, then temp.ban_ev stored in bans.
-- Parameters: :run_id

-- 5. the lookback window: exactly one caller, several, or none
UPDATE ban_ev SET attribution = CASE json_array_length(coalesce(active, '[]'))
        WHEN 0 THEN 'none' WHEN 1 THEN 'window' ELSE 'ambiguous' END,
    caller = CASE json_array_length(coalesce(active, '[]'))
        WHEN 1 THEN active ->> 0 END,
    candidates = CASE WHEN json_array_length(coalesce(active, '[]')) > 1
        THEN active END
WHERE attribution IS NULL;

INSERT INTO bans (run_id, source, event_id, ts, account, egress_session,
                  request_id, status, class, rule, attribution, caller,
                  candidates, active)
SELECT :run_id, source, event_id, ts,
       (SELECT s FROM strings WHERE id = b.account),
       (SELECT s FROM strings WHERE id = b.egress_session), request_id,
       status, class,
       rule, attribution, caller, coalesce(candidates, '[]'),
       coalesce(active, '[]')
FROM ban_ev b ORDER BY ts, source, event_id;

DROP TABLE temp.ban_ev;
DROP TABLE temp.rid_need;
DROP TABLE temp.rid_caller;
