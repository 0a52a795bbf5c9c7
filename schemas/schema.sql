-- relayaudit database schema, version 3 (PRAGMA user_version = 3).
-- The names of tables and columns here are the SQL contract of DESIGN.md:
-- add columns freely, rename none. Later versions are reached through
-- schemas/migrations/<version>.sql, applied in order.

-- The ingest ledger: one row per file, known by the SHA-256 of its first
-- fp_len bytes after decompression (fp_len = min(64 KiB, size)).
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL,     -- where it was last read from
    source      TEXT NOT NULL,     -- gateway | proxy | map
    format      TEXT NOT NULL,
    fp          TEXT NOT NULL,
    fp_len      INTEGER NOT NULL,
    gzip        INTEGER NOT NULL DEFAULT 0,
    offset      INTEGER NOT NULL DEFAULT 0, -- decompressed bytes consumed
    line_no     INTEGER NOT NULL DEFAULT 0, -- lines consumed up to offset
    size_read   INTEGER NOT NULL DEFAULT 0, -- bytes seen, an open tail too
    tail_table  TEXT,                       -- record taken from a last line
    tail_id     INTEGER,                    -- without newline (re-read)
    records     INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    complete    INTEGER NOT NULL DEFAULT 0, -- read to its end without error
    error       TEXT,
    reader_pid  INTEGER,                    -- the ingest reading it now
    dev         INTEGER, inode INTEGER, size INTEGER, mtime INTEGER,
    first_ts    INTEGER,                    -- when first ingested (UTC ms)
    last_ts     INTEGER                     -- when last read (UTC ms)
);
CREATE INDEX files_fp ON files(fp_len, fp);
CREATE INDEX files_path ON files(path);

-- Lines that did not fit their format, secrets redacted, at most 200 bytes.
CREATE TABLE rejects (
    id       INTEGER PRIMARY KEY,
    file_id  INTEGER REFERENCES files(id),
    path     TEXT NOT NULL,
    line_no  INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    excerpt  TEXT
);

-- The string dictionary (schema version 3). Text that repeats from event to
-- event (callers, accounts, sessions, hosts, users, header lists...) is
-- stored once here; the *_rows tables hold its id in a column of the same
-- name, and the views gateway_events, proxy_events and map present the
-- canonical text columns. An id stands for one string in every column, so
-- ids compare, group and join as their strings do (but do not sort as
-- them). Strings are never deleted.
CREATE TABLE strings (
    id INTEGER PRIMARY KEY,
    s  TEXT NOT NULL UNIQUE
);

-- d: a dictionary id; the others are stored as they are. The writer reads
-- it from here: a text field whose column is declared INTEGER is stored as
-- its id.
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

-- The ban-class events by time (analyze/sql/bans_events.sql): partial
-- indexes, so that they hold only the rare events with an error status,
-- and maintaining them costs an ingest nothing measurable, while each
-- analysis is spared a scan of every event (5 M events: 0.6 s a table).
-- analyze/sql/indexes.sql builds them in a database made before them.
CREATE INDEX gateway_ban ON gateway_rows(ts) WHERE status IS NULL OR status = 0 OR status >= 400;
CREATE INDEX proxy_ban ON proxy_rows(ts) WHERE status IS NULL OR status = 0 OR status >= 400;
-- The proxy events' request ids, for the links' first pass: partial too,
-- so that events without one (all of Squid's) cost an ingest nothing, and
-- the first analysis of a database is spared a scan of every proxy event
-- to build it (5 M: 0.25 s). analyze/sql/indexes.sql builds it in a
-- database made before it.
CREATE INDEX proxy_request_id ON proxy_rows(request_id) WHERE request_id IS NOT NULL;

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

-- The SQL contract's names (DESIGN.md), column for column as schema
-- version 2 stored them.
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

-- Each event is in at most one link. A link's row is its proxy event's id,
-- so that the joins led by proxy events (the bans, sticky_break) reach it
-- without an index, and analyze stores a run's links in that order; the
-- gateway side's unique index is named so that analyze can build it after
-- that bulk insert (schema version 4). by_session: 0 for a link by
-- request id, 1 by session; the view links spells it as `method`.
CREATE TABLE link_rows (
    proxy_id   INTEGER PRIMARY KEY REFERENCES proxy_rows(id),
    gateway_id INTEGER NOT NULL REFERENCES gateway_rows(id),
    by_session INTEGER NOT NULL,
    dt_ms      INTEGER NOT NULL -- ts_proxy - ts_gateway
);
CREATE UNIQUE INDEX links_gateway ON link_rows(gateway_id);

CREATE VIEW links AS
SELECT gateway_id, proxy_id,
       CASE by_session WHEN 0 THEN 'request_id' ELSE 'session' END AS method,
       dt_ms
FROM link_rows;

CREATE TABLE runs (
    id         INTEGER PRIMARY KEY,
    started    INTEGER NOT NULL,  -- UTC ms
    finished   INTEGER,
    since      INTEGER,           -- analysis window, UTC ms (NULL = open)
    until      INTEGER,
    params     TEXT NOT NULL,     -- JSON
    version    TEXT NOT NULL
);

CREATE TABLE bans (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES runs(id),
    source      TEXT NOT NULL,    -- gateway | proxy
    event_id    INTEGER NOT NULL,
    ts          INTEGER NOT NULL,
    account     TEXT,
    egress_session TEXT,
    request_id  TEXT,
    status      INTEGER,
    class       TEXT NOT NULL,    -- ban | quota | rate_limit | blocked
    rule        TEXT,             -- the classification rule that matched
    attribution TEXT NOT NULL,    -- own | request_id | link | map | window | ambiguous | none
    caller      TEXT,
    candidates  TEXT,             -- JSON array: callers when ambiguous
    active      TEXT              -- JSON array: callers on the account in the lookback
);

CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER REFERENCES runs(id),
    kind           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    sub            TEXT,          -- break or variant
    account        TEXT,
    caller         TEXT,
    session        TEXT,
    egress_session TEXT,
    ts             INTEGER,
    window_start   INTEGER,
    window_end     INTEGER,
    evidence       TEXT NOT NULL  -- JSON
);
