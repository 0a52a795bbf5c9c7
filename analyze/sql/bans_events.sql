-- Ban-class events of the window, classified by schemas/classify.rules
-- (loaded into temp.ra_rules), into temp.ban_ev; bans.sql attributes them.
-- This step reads only the events, so analyze may run it beside the links
-- step and hand temp.ban_ev over.
-- Parameters: :since :until
-- ban_ev's account, own_caller and egress_session are string-dictionary ids
-- (schema version 3); caller, candidates and active are text.

DROP TABLE IF EXISTS temp.ban_ev;
CREATE TEMP TABLE ban_ev (
    source TEXT, event_id INTEGER, ts INTEGER, account INTEGER,
    request_id TEXT, status INTEGER, error_code TEXT, error_message TEXT,
    result TEXT, own_caller INTEGER, egress_session INTEGER,
    class TEXT, rule TEXT, attribution TEXT, caller TEXT, candidates TEXT,
    active TEXT);

INSERT INTO ban_ev (source, event_id, ts, account, request_id, status,
                    error_code, error_message, own_caller, egress_session)
SELECT 'gateway', id, ts, account, request_id, status,
       (SELECT s FROM strings WHERE id = g.error_code), error_message,
       caller, egress_session
FROM gateway_rows g
WHERE ts >= :since AND ts < :until
  AND (status IS NULL OR status = 0 OR status >= 400);

INSERT INTO ban_ev (source, event_id, ts, request_id, status, result,
                    egress_session)
SELECT 'proxy', id, ts, request_id, status,
       (SELECT s FROM strings WHERE id = p.result), egress_session
FROM proxy_rows p
WHERE ts >= :since AND ts < :until
  AND (status IS NULL OR status = 0 OR status >= 400);

-- The first rule (by order) whose every condition holds.
UPDATE ban_ev SET (class, rule) = (
    SELECT r.class, r.name FROM temp.ra_rules r
    WHERE (r.source = 'any' OR r.source = ban_ev.source)
      AND (r.status_lo IS NULL OR ban_ev.status BETWEEN r.status_lo AND r.status_hi)
      AND (r.code_re IS NULL OR ban_ev.error_code REGEXP r.code_re)
      AND (r.msg_re IS NULL OR ban_ev.error_message REGEXP r.msg_re)
      AND (r.result_re IS NULL OR ban_ev.result REGEXP r.result_re)
    ORDER BY r.ord LIMIT 1);
DELETE FROM ban_ev WHERE class IS NULL OR class = 'none';
