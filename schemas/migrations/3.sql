-- Version 2 -> 3: repeated text moves into the string dictionary
-- `strings`. The event tables become gateway_rows, proxy_rows and map_rows,
-- which hold dictionary ids, and gateway_events, proxy_events and map become
-- views with the same columns as before.
CREATE TABLE strings (
    id INTEGER PRIMARY KEY,
    s  TEXT NOT NULL UNIQUE
);

INSERT INTO strings (s)
SELECT s FROM (
  SELECT caller AS s FROM gateway_events
  UNION SELECT caller_key FROM gateway_events
  UNION SELECT team FROM gateway_events
  UNION SELECT session FROM gateway_events
  UNION SELECT provider FROM gateway_events
  UNION SELECT account FROM gateway_events
  UNION SELECT egress_session FROM gateway_events
  UNION SELECT model FROM gateway_events
  UNION SELECT route FROM gateway_events
  UNION SELECT error_code FROM gateway_events
  UNION SELECT client_ip FROM gateway_events
  UNION SELECT user_agent FROM gateway_events
  UNION SELECT headers_in FROM gateway_events
  UNION SELECT headers_out FROM gateway_events
  UNION SELECT egress_ip FROM gateway_events
  UNION SELECT hdr_in_fp FROM gateway_events
  UNION SELECT hdr_out_fp FROM gateway_events
  UNION SELECT egress_session FROM proxy_events
  UNION SELECT client_ip FROM proxy_events
  UNION SELECT egress_ip FROM proxy_events
  UNION SELECT proxy_user FROM proxy_events
  UNION SELECT country FROM proxy_events
  UNION SELECT upstream_addr FROM proxy_events
  UNION SELECT method FROM proxy_events
  UNION SELECT dest_host FROM proxy_events
  UNION SELECT result FROM proxy_events
  UNION SELECT caller FROM map
  UNION SELECT account FROM map
  UNION SELECT egress_session FROM map
  UNION SELECT country FROM map)
WHERE s IS NOT NULL;

-- d: a dictionary id; the others are stored as they are.
CREATE TABLE gateway_rows (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER REFERENCES files(id),
    line_no        INTEGER,
    ts             INTEGER NOT NULL,  -- request start, UTC ms
    request_id     TEXT,
    caller         INTEGER,           -- d
    caller_key     INTEGER,           -- d: sha256 hex of the downstream key
    team           INTEGER,           -- d
    session        INTEGER,           -- d
    provider       INTEGER,           -- d
    account        INTEGER,           -- d
    egress_session INTEGER,           -- d
    model          INTEGER,           -- d
    route          INTEGER,           -- d
    status         INTEGER,
    error_code     INTEGER,           -- d
    error_message  TEXT,
    latency_ms     INTEGER,
    tokens_in      INTEGER,
    tokens_out     INTEGER,
    cost           REAL,
    client_ip      INTEGER,           -- d
    user_agent     INTEGER,           -- d
    headers_in     INTEGER,           -- d: JSON [[name, value|null], ...]
    headers_out    INTEGER,           -- d
    egress_ip      INTEGER,           -- d
    hdr_in_fp      INTEGER,           -- d: 16-hex header fingerprints
    hdr_out_fp     INTEGER            -- d
);

CREATE TABLE proxy_rows (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER REFERENCES files(id),
    line_no        INTEGER,
    ts             INTEGER NOT NULL,  -- request start, UTC ms
    request_id     TEXT,
    egress_session INTEGER,           -- d
    client_ip      INTEGER,           -- d
    egress_ip      INTEGER,           -- d
    status         INTEGER,
    proxy_user     INTEGER,           -- d
    country        INTEGER,           -- d
    upstream_addr  INTEGER,           -- d
    method         INTEGER,           -- d
    dest_host      INTEGER,           -- d
    dest_port      INTEGER,
    url            TEXT,
    result         INTEGER,           -- d
    bytes          INTEGER,
    duration_ms    INTEGER
);

-- The declared map (relayaudit-map): the operator's intent.
CREATE TABLE map_rows (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER REFERENCES files(id),
    line_no        INTEGER,
    caller         INTEGER,           -- d
    account        INTEGER,           -- d
    egress_session INTEGER,           -- d
    country        INTEGER,           -- d
    max_callers    INTEGER
);


INSERT INTO gateway_rows (
    id, file_id, line_no, ts, request_id, caller, caller_key, team, session,
    provider, account, egress_session, model, route, status, error_code,
    error_message, latency_ms, tokens_in, tokens_out, cost, client_ip,
    user_agent, headers_in, headers_out, egress_ip, hdr_in_fp,
    hdr_out_fp)
SELECT id,
       file_id,
       line_no,
       ts,
       request_id,
       (SELECT id FROM strings WHERE s = caller),
       (SELECT id FROM strings WHERE s = caller_key),
       (SELECT id FROM strings WHERE s = team),
       (SELECT id FROM strings WHERE s = session),
       (SELECT id FROM strings WHERE s = provider),
       (SELECT id FROM strings WHERE s = account),
       (SELECT id FROM strings WHERE s = egress_session),
       (SELECT id FROM strings WHERE s = model),
       (SELECT id FROM strings WHERE s = route),
       status,
       (SELECT id FROM strings WHERE s = error_code),
       error_message,
       latency_ms,
       tokens_in,
       tokens_out,
       cost,
       (SELECT id FROM strings WHERE s = client_ip),
       (SELECT id FROM strings WHERE s = user_agent),
       (SELECT id FROM strings WHERE s = headers_in),
       (SELECT id FROM strings WHERE s = headers_out),
       (SELECT id FROM strings WHERE s = egress_ip),
       (SELECT id FROM strings WHERE s = hdr_in_fp),
       (SELECT id FROM strings WHERE s = hdr_out_fp)
FROM gateway_events ORDER BY id;
DROP TABLE gateway_events;

INSERT INTO proxy_rows (
    id, file_id, line_no, ts, request_id, egress_session, client_ip,
    egress_ip, status, proxy_user, country, upstream_addr, method,
    dest_host, dest_port, url, result, bytes, duration_ms)
SELECT id,
       file_id,
       line_no,
       ts,
       request_id,
       (SELECT id FROM strings WHERE s = egress_session),
       (SELECT id FROM strings WHERE s = client_ip),
       (SELECT id FROM strings WHERE s = egress_ip),
       status,
       (SELECT id FROM strings WHERE s = proxy_user),
       (SELECT id FROM strings WHERE s = country),
       (SELECT id FROM strings WHERE s = upstream_addr),
       (SELECT id FROM strings WHERE s = method),
       (SELECT id FROM strings WHERE s = dest_host),
       dest_port,
       url,
       (SELECT id FROM strings WHERE s = result),
       bytes,
       duration_ms
FROM proxy_events ORDER BY id;
DROP TABLE proxy_events;

INSERT INTO map_rows (
    id, file_id, line_no, caller, account, egress_session, country,
    max_callers)
SELECT id,
       file_id,
       line_no,
       (SELECT id FROM strings WHERE s = caller),
       (SELECT id FROM strings WHERE s = account),
       (SELECT id FROM strings WHERE s = egress_session),
       (SELECT id FROM strings WHERE s = country),
       max_callers
FROM map ORDER BY id;
DROP TABLE map;

CREATE VIEW gateway_events AS
SELECT id, file_id, line_no, ts, request_id,
       (SELECT s FROM strings WHERE id = r.caller) AS caller,
       (SELECT s FROM strings WHERE id = r.caller_key) AS caller_key,
       (SELECT s FROM strings WHERE id = r.team) AS team,
       (SELECT s FROM strings WHERE id = r.session) AS session,
       (SELECT s FROM strings WHERE id = r.provider) AS provider,
       (SELECT s FROM strings WHERE id = r.account) AS account,
       (SELECT s FROM strings WHERE id = r.egress_session) AS egress_session,
       (SELECT s FROM strings WHERE id = r.model) AS model,
       (SELECT s FROM strings WHERE id = r.route) AS route,
       status,
       (SELECT s FROM strings WHERE id = r.error_code) AS error_code,
       error_message, latency_ms, tokens_in, tokens_out, cost,
       (SELECT s FROM strings WHERE id = r.client_ip) AS client_ip,
       (SELECT s FROM strings WHERE id = r.user_agent) AS user_agent,
       (SELECT s FROM strings WHERE id = r.headers_in) AS headers_in,
       (SELECT s FROM strings WHERE id = r.headers_out) AS headers_out,
       (SELECT s FROM strings WHERE id = r.egress_ip) AS egress_ip,
       (SELECT s FROM strings WHERE id = r.hdr_in_fp) AS hdr_in_fp,
       (SELECT s FROM strings WHERE id = r.hdr_out_fp) AS hdr_out_fp
FROM gateway_rows r;

CREATE VIEW proxy_events AS
SELECT id, file_id, line_no, ts, request_id,
       (SELECT s FROM strings WHERE id = r.egress_session) AS egress_session,
       (SELECT s FROM strings WHERE id = r.client_ip) AS client_ip,
       (SELECT s FROM strings WHERE id = r.egress_ip) AS egress_ip,
       status,
       (SELECT s FROM strings WHERE id = r.proxy_user) AS proxy_user,
       (SELECT s FROM strings WHERE id = r.country) AS country,
       (SELECT s FROM strings WHERE id = r.upstream_addr) AS upstream_addr,
       (SELECT s FROM strings WHERE id = r.method) AS method,
       (SELECT s FROM strings WHERE id = r.dest_host) AS dest_host,
       dest_port, url,
       (SELECT s FROM strings WHERE id = r.result) AS result,
       bytes, duration_ms
FROM proxy_rows r;

CREATE VIEW map AS
SELECT id, file_id, line_no,
       (SELECT s FROM strings WHERE id = r.caller) AS caller,
       (SELECT s FROM strings WHERE id = r.account) AS account,
       (SELECT s FROM strings WHERE id = r.egress_session) AS egress_session,
       (SELECT s FROM strings WHERE id = r.country) AS country,
       max_callers
FROM map_rows r;


-- links now refer to the row tables (a foreign key to a view is void).
CREATE TABLE links_v3 (
    gateway_id INTEGER NOT NULL REFERENCES gateway_rows(id),
    proxy_id   INTEGER NOT NULL REFERENCES proxy_rows(id),
    method     TEXT NOT NULL,   -- request_id | session
    dt_ms      INTEGER NOT NULL -- ts_proxy - ts_gateway
);
INSERT INTO links_v3 (gateway_id, proxy_id, method, dt_ms)
SELECT gateway_id, proxy_id, method, dt_ms FROM links ORDER BY rowid;
DROP TABLE links;
ALTER TABLE links_v3 RENAME TO links;
CREATE UNIQUE INDEX links_gateway ON links(gateway_id);
CREATE UNIQUE INDEX links_proxy ON links(proxy_id);
