-- Version 1 -> 2: the links' UNIQUE constraints become named unique
-- indexes, which analyze drops before it stores the links of a run and
-- builds again after (one sort instead of 1 M random index inserts).
CREATE TABLE links_v2 (
    gateway_id INTEGER NOT NULL REFERENCES gateway_events(id),
    proxy_id   INTEGER NOT NULL REFERENCES proxy_events(id),
    method     TEXT NOT NULL,   -- request_id | session
    dt_ms      INTEGER NOT NULL -- ts_proxy - ts_gateway
);
INSERT INTO links_v2 (gateway_id, proxy_id, method, dt_ms)
SELECT gateway_id, proxy_id, method, dt_ms FROM links ORDER BY rowid;
DROP TABLE links;
ALTER TABLE links_v2 RENAME TO links;
CREATE UNIQUE INDEX links_gateway ON links(gateway_id);
CREATE UNIQUE INDEX links_proxy ON links(proxy_id);
